// twofa user import FILE|-
#include "app.hpp"
#include "cli_help.hpp"
#include "terminal.hpp"

#include <twofa/password.hpp>
#include <twofa/validate.hpp>

#include <chrono>
#include <cmath>
#include <iostream>

namespace twofa::cli {

namespace {

struct ImportArgs {
    std::string file;
    int jobs = 8;
    bool google_authenticator = false;
    bool flask_db = false; // FILE is the tutorial app's SQLite database
    NewUserFields fields;  // the one user a google-authenticator file belongs to
    bool password_stdin = false;
};

// One user whose TOTP factor moves over from google-authenticator-libpam, keeping the app's
// entry and the scratch codes.
int run_adopt(App& app, const ImportArgs& a) {
    if (a.fields.email.empty()) {
        throw Failure(make_error(Exit::usage, "a google-authenticator file names no user",
                                 "add --email EMAIL"));
    }
    auto user = unwrap(validate_user_fields(a.fields, false));
    std::string file = unwrap(read_input_file(a.file, k_max_import_line));
    std::string hash;
    if (a.password_stdin) {
        hash = unwrap(hash_password(obtain_password(true, user.email)));
    }
    auto out = unwrap(adopt_user(app.store(), app.provider("totp"), user, hash, file, App::now()));
    if (app.json) {
        auto doc = user_json(out.user, false);
        doc["notes"] = out.notes;
        app.print_json(doc);
        return 0;
    }
    std::cout << "Imported " << out.user.email << " (TOTP id " << out.user.provider_user
              << "): the app's entry keeps working.\n";
    for (const auto& note : out.notes) {
        std::cout << "  " << note << "\n";
    }
    if (hash.empty()) {
        std::cout << "  no password: twofa login refuses the user until it is imported again "
                     "with --password-stdin\n";
    }
    return 0;
}

// "[#####.....] 120/1000 · 85 rows/s · 10 s left", redrawn on stderr as rows finish.
void draw_progress(std::size_t done, std::size_t total,
                   std::chrono::steady_clock::time_point start) {
    constexpr std::size_t k_width = 30;
    std::size_t filled = total == 0 ? k_width : done * k_width / total;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << "\r\033[K[" << std::string(filled, '#') << std::string(k_width - filled, '.')
              << "] " << done << "/" << total;
    if (seconds >= 0.5 && done > 0) {
        const double rate = static_cast<double>(done) / seconds;
        std::cerr << " \xc2\xb7 " << std::llround(rate) << " rows/s \xc2\xb7 "
                  << std::llround(static_cast<double>(total - done) / rate) << " s left";
    }
    std::cerr << std::flush;
}

void refuse_bulk_secrets(const ProviderInfo& info) {
    if (info.shows_secret) {
        throw Failure(make_error(
            Exit::usage,
            info.display + " users are not imported in bulk: each must see a secret once",
            "enroll them with twofa user add, or import a ~/.google_authenticator file with "
            "--google-authenticator"));
    }
}

// Runs the import; the first Ctrl-C or SIGTERM lets the rows started finish, a second quits.
ImportSummary import_stoppably(App& app, const std::vector<ImportRow>& rows, ImportOptions opts,
                               bool progress) {
    StopRequest stop("twofa: stopping: the rows already started are finished and stored "
                     "(interrupt again to quit at once)\n");
    opts.stop = &stop.requested();
    set_status_line_active(progress);
    auto s = import_users(app.store(), app.runtime().provider_factory(), rows, opts, App::now());
    set_status_line_active(false);
    return s;
}

void print_summary(App& app, const ImportSummary& s) {
    if (app.json) {
        nlohmann::json summary = {{"total", s.total},
                                  {"enrolled", s.enrolled},
                                  {"existed", s.existed},
                                  {"failed", s.failed}};
        if (s.skipped > 0) {
            summary["skipped"] = s.skipped;
            summary["stopped"] = true;
        }
        app.print_json({{"summary", summary}});
        return;
    }
    std::cout << s.total << " rows: " << s.enrolled << " enrolled, " << s.existed
              << " already enrolled, " << s.failed << " failed";
    if (s.skipped > 0) {
        std::cout << ", " << s.skipped << " not started";
    }
    std::cout << "\n" << std::flush;
}

int run_import(App& app, const ImportArgs& a) {
    if (a.google_authenticator) {
        return run_adopt(app, a);
    }
    refuse_bulk_secrets(app.provider_info());
    auto rows = a.flask_db
                    ? unwrap(read_flask_users(a.file))
                    : unwrap(parse_import(unwrap(read_input_file(a.file, k_max_import_bytes))));
    const bool progress = app.fancy() && rows.size() > 1;
    ImportOptions opts;
    opts.jobs = a.jobs;
    const auto start = std::chrono::steady_clock::now();
    opts.on_row = [&](const RowOutcome& r, std::size_t done, std::size_t total) {
        if (app.json) {
            nlohmann::json j = {{"line", r.line}, {"email", r.email}, {"result", r.result}};
            if (!r.provider_user.empty()) {
                j[app.provider_info().user_id_key] =
                    provider_user_value(app.provider_info(), r.provider_user);
            }
            if (r.result == "failed") {
                j["error"] = error_json(r.error);
            }
            app.print_json(j);
            return;
        }
        if (progress) {
            std::cerr << "\r\033[K";
        }
        // Successes are summarised on a terminal; every row is listed otherwise.
        if (r.result == "failed") {
            std::cerr << "line " << r.line << ": " << r.email << ": failed: " << r.error.text()
                      << "\n";
        } else if (!progress) {
            std::cout << "line " << r.line << ": " << r.email << ": " << r.result << "\n";
        }
        if (progress) {
            draw_progress(done, total, start);
        }
    };
    const ImportSummary s = import_stoppably(app, rows, opts, progress);
    if (progress) {
        std::cerr << "\r\033[K";
    }
    print_summary(app, s);
    if (s.skipped > 0) {
        std::cerr << "twofa: error: the import was stopped with " << s.skipped
                  << " rows not started (run it again with the same file: the rows done are "
                     "reported as existing)\n";
        return static_cast<int>(Exit::interrupted);
    }
    return s.failed == 0 ? 0 : static_cast<int>(s.first_failure);
}

} // namespace

void register_user_import(CLI::App& user_cmd, App& app) {
    auto a = std::make_shared<ImportArgs>();
    auto* cmd = user_cmd.add_subcommand(
        "import",
        "enroll users from CSV (email,phone,country_code,name[,password_hash]) or JSON lines");
    cmd->footer("Ctrl-C stops it cleanly: the rows started are finished and stored, the rest "
                "are counted as not started (exit 130); run it again with the same file to go "
                "on.");
    cmd->add_option("file", a->file, "input file, or - for standard input")->required();
    cmd->add_option("--jobs,-j", a->jobs, "registrations in flight at once")
        ->capture_default_str()
        ->check(whole_number(1, 64));
    cmd->add_flag("--google-authenticator", a->google_authenticator,
                  "FILE is a ~/.google_authenticator: enroll --email as a totp user with its "
                  "secret and scratch codes");
    cmd->add_flag("--from-flask-db", a->flask_db,
                  "FILE is the Flask tutorial app's SQLite database (twofa/authy2fa.sqlite): "
                  "import its users table, Werkzeug password hashes included")
        ->excludes("--google-authenticator");
    cmd->add_option("--email", a->fields.email, "with --google-authenticator: the user's email");
    cmd->add_option("--name", a->fields.name, "with --google-authenticator: full name");
    cmd->add_flag("--password-stdin", a->password_stdin,
                  "with --google-authenticator: a password for twofa login, from one stdin line");
    cmd->callback([&app, a] {
        app.may_create_store = true;
        app.run = [&app, a] { return run_import(app, *a); };
    });
}

} // namespace twofa::cli
