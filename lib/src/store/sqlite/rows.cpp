// Rows and queries of the SQLite store: the column lists, reading a row into a record (names
// on disk, enums at the API), and the SQL of the frequent queries.
#include "store/sqlite/sqlite.hpp"

namespace twofa::sqlite {

const char* const k_user_columns =
    "id, email, name, country_code, phone, provider, provider_user, password_hash, status, "
    "failed_logins, locked_until, created_at, updated_at, code_failures, code_locked_until, "
    "unix_user";

const char* const k_session_columns =
    "id, id_hash, user_id, provider, provider_user, method, status, challenge, attempts, sends, "
    "last_send_at, created_at, expires_at, updated_at, checks_in_flight, lease_until";

namespace {

// An unknown name (a newer twofa wrote it) reads as a state that lets nothing through.
SessionState state_of(const std::string& name) {
    return parse_state(name).value_or(SessionState::unverified);
}

} // namespace

UserRecord read_user(SQLite::Statement& q) {
    UserRecord u;
    u.id = q.getColumn(0).getInt64();
    u.email = q.getColumn(1).getString();
    u.name = q.getColumn(2).getString();
    u.country_code = q.getColumn(3).getInt();
    u.phone = q.getColumn(4).getString();
    u.provider = q.getColumn(5).getString();
    u.provider_user = q.getColumn(6).getString();
    u.password_hash = q.getColumn(7).getString();
    u.status = state_of(q.getColumn(8).getString());
    u.failed_logins = q.getColumn(9).getInt();
    u.locked_until = q.getColumn(10).getInt64();
    u.created_at = q.getColumn(11).getInt64();
    u.updated_at = q.getColumn(12).getInt64();
    u.code_failures = q.getColumn(13).getInt();
    u.code_locked_until = q.getColumn(14).getInt64();
    u.unix_user = q.getColumn(15).getString(); // NULL reads as ""
    return u;
}

SessionRecord read_session(SQLite::Statement& q) {
    SessionRecord s;
    s.id = q.getColumn(0).getInt64();
    s.id_hash = q.getColumn(1).getString();
    s.user_id = q.getColumn(2).getInt64();
    s.provider = q.getColumn(3).getString();
    s.provider_user = q.getColumn(4).getString();
    s.method = parse_channel(q.getColumn(5).getString()).value_or(Channel::sms);
    s.status = state_of(q.getColumn(6).getString());
    s.challenge = q.getColumn(7).getString(); // NULL reads as ""
    s.attempts = q.getColumn(8).getInt();
    s.sends = q.getColumn(9).getInt();
    s.last_send_at = q.getColumn(10).getInt64();
    s.created_at = q.getColumn(11).getInt64();
    s.expires_at = q.getColumn(12).getInt64();
    s.updated_at = q.getColumn(13).getInt64();
    s.checks_in_flight = q.getColumn(14).getInt();
    s.lease_until = q.getColumn(15).getInt64();
    return s;
}

void bind_or_null(SQLite::Statement& q, int index, const std::string& handle) {
    if (handle.empty()) {
        q.bind(index);
    } else {
        q.bind(index, handle);
    }
}

std::string sql_of(Query query) {
    const std::string sessions =
        std::string("SELECT ") + k_session_columns + " FROM login_sessions WHERE ";
    switch (query) {
    case Query::update_user:
        return "UPDATE users SET status = ?, failed_logins = ?, locked_until = ?, "
               "password_hash = ?, updated_at = ?, code_failures = ?, code_locked_until = ?, "
               "unix_user = ? WHERE id = ?";
    case Query::user_by_id:
        return std::string("SELECT ") + k_user_columns + " FROM users WHERE id = ?";
    case Query::session_by_hash:
        return sessions + "id_hash = ?";
    case Query::session_by_challenge:
        return sessions + "challenge = ? AND provider = ?";
    case Query::latest_session:
        return sessions + "user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1";
    case Query::update_session:
        return "UPDATE login_sessions SET method = ?, status = ?, challenge = ?, attempts = ?, "
               "sends = ?, last_send_at = ?, expires_at = ?, updated_at = ?, "
               "checks_in_flight = ?, lease_until = ? WHERE id = ?";
    case Query::audit:
        return "INSERT INTO audit_events (at, event, email, session, outcome, detail) "
               "VALUES (?, ?, ?, ?, ?, ?)";
    }
    return {};
}

Lease::~Lease() {
    try {
        m_s.reset();
        m_s.clearBindings();
    } catch (const SQLite::Exception&) { // NOLINT(bugprone-empty-catch) the next use fails
    }
}

} // namespace twofa::sqlite
