// Users of the Flask tutorial app (TwilioDevEd/authy2fa-flask), read from its own SQLite
// database for `twofa user import --from-flask-db`: its `users` table, read-only.
#include <twofa/users.hpp>
#include <twofa/validate.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <set>
#include <sys/stat.h>

namespace twofa {

Result<std::vector<ImportRow>> read_flask_users(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return make_error(Exit::usage, strip_control(path) + " is not a database file",
                          "give the tutorial app's SQLite file, e.g. twofa/authy2fa.sqlite");
    }
    try {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        std::set<std::string> columns;
        SQLite::Statement info(db, "SELECT name FROM pragma_table_info('users')");
        while (info.executeStep()) {
            columns.insert(info.getColumn(0).getString());
        }
        for (const char* needed :
             {"id", "email", "password_hash", "full_name", "country_code", "phone"}) {
            if (columns.count(needed) == 0U) {
                return make_error(Exit::usage,
                                  strip_control(path) + " has no users table with a " + needed +
                                      " column",
                                  "is this the tutorial app's database? it has users(email, "
                                  "password_hash, full_name, country_code, phone, ...)");
            }
        }
        SQLite::Statement q(db, "SELECT id, email, password_hash, full_name, country_code, phone "
                                "FROM users ORDER BY id");
        std::vector<ImportRow> rows;
        while (q.executeStep()) {
            if (rows.size() >= 1'000'000) {
                return make_error(Exit::usage,
                                  "more than a million users in " + strip_control(path),
                                  "export them to CSV and import it in parts");
            }
            ImportRow row;
            row.line = static_cast<std::size_t>(q.getColumn(0).getInt64());
            const char* keys[] = {"email", "password_hash", "name", "country_code", "phone"};
            for (int i = 0; i < 5; ++i) {
                if (!q.getColumn(i + 1).isNull()) {
                    std::string value = q.getColumn(i + 1).getString();
                    if (value.size() > k_max_import_line) {
                        return make_error(Exit::usage,
                                          "user " + std::to_string(row.line) + " has a " + keys[i] +
                                              " longer than 64 KiB",
                                          "is this the tutorial app's database?");
                    }
                    row.fields[keys[i]] = std::move(value);
                }
            }
            rows.push_back(std::move(row));
        }
        return rows;
    } catch (const SQLite::Exception& e) {
        return make_error(Exit::usage,
                          "cannot read " + strip_control(path) + ": " + strip_control(e.what()),
                          "give the tutorial app's SQLite file, e.g. twofa/authy2fa.sqlite");
    }
}

} // namespace twofa
