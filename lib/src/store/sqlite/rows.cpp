// Rows and queries of the SQLite store: the SQL of the frequent queries, and whole rows for
// db copy.
#include "store/sqlite/sqlite.hpp"

namespace twofa::sqlite {

void bind_or_null(SQLite::Statement& q, int index, const std::string& handle) {
    if (handle.empty()) {
        q.bind(index);
    } else {
        q.bind(index, handle);
    }
}

std::string sql_of(Query query) {
    const std::string sessions =
        std::string("SELECT ") + store::k_session_columns + " FROM login_sessions WHERE ";
    const std::string users = std::string("SELECT ") + store::k_user_columns + " FROM users WHERE ";
    switch (query) {
    case Query::insert_user:
        return "INSERT INTO users (email, name, country_code, phone, provider, provider_user, "
               "password_hash, status, created_at, updated_at, unix_user) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING";
    case Query::update_user:
        return "UPDATE users SET status = ?, failed_logins = ?, locked_until = ?, "
               "password_hash = ?, updated_at = ?, code_failures = ?, code_locked_until = ?, "
               "unix_user = ? WHERE id = ?";
    case Query::user_by_id:
        return users + "id = ?";
    case Query::user_by_email:
        return users + "email = ?";
    case Query::user_by_unix:
        return users + "unix_user = ?";
    case Query::session_by_hash:
        return sessions + "id_hash = ?";
    case Query::push_target:
        return store::push_target_sql("?1", "?2");
    case Query::latest_session:
        return sessions + "user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1";
    case Query::update_session:
        return "UPDATE login_sessions SET method = ?, status = ?, challenge = ?, attempts = ?, "
               "sends = ?, last_send_at = ?, expires_at = ?, updated_at = ?, "
               "checks_in_flight = ?, lease_until = ? WHERE id = ?";
    case Query::update_session_state:
        return "UPDATE login_sessions SET status = ?, expires_at = ?, updated_at = ? WHERE id = ?";
    case Query::update_user_status:
        return "UPDATE users SET status = ?, updated_at = ? WHERE id = ?";
    case Query::audit:
        return "INSERT INTO audit_events (at, event, email, session, outcome, detail) "
               "VALUES (?, ?, ?, ?, ?, ?)";
    }
    return {};
}

TableRows read_rows(SQLite::Database& db, const std::string& table, const std::string& key,
                    std::int64_t offset, int limit) {
    SQLite::Statement q(db, "SELECT * FROM " + table + " ORDER BY " + key + " LIMIT ? OFFSET ?");
    q.bind(1, limit);
    q.bind(2, offset);
    TableRows out;
    for (int i = 0; i < q.getColumnCount(); ++i) {
        out.columns.emplace_back(q.getColumnName(i));
    }
    while (q.executeStep()) {
        auto& row = out.rows.emplace_back();
        for (int i = 0; i < q.getColumnCount(); ++i) {
            auto c = q.getColumn(i);
            row.push_back(c.isNull() ? CellValue() : CellValue(c.getString()));
        }
    }
    return out;
}

void write_rows(SQLite::Database& db, const std::string& table, const std::string& key,
                const TableRows& rows) {
    std::string names;
    std::string marks;
    std::string updates;
    for (const auto& c : rows.columns) {
        const std::string quoted = "\"" + c + "\"";
        names += (names.empty() ? "" : ", ") + quoted;
        marks += marks.empty() ? "?" : ", ?";
        updates += (updates.empty() ? "" : ", ") + quoted + " = excluded." + quoted;
    }
    SQLite::Statement q(db, "INSERT INTO " + table + " (" + names + ") VALUES (" + marks +
                                ") ON CONFLICT (" + key + ") DO UPDATE SET " + updates);
    for (const auto& row : rows.rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            const int at = static_cast<int>(i) + 1;
            row[i] ? q.bind(at, *row[i]) : q.bind(at);
        }
        q.exec();
        q.reset();
    }
}

Lease::~Lease() {
    try {
        m_s.reset();
        m_s.clearBindings();
    } catch (const SQLite::Exception&) { // NOLINT(bugprone-empty-catch) the next use fails
    }
}

} // namespace twofa::sqlite
