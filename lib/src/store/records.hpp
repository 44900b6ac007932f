#pragma once
// What the backends share about rows: the column lists of users, sessions and app factors (the
// same names in every schema) and how one row of each becomes a record. A Row is a backend's
// view of the current result row: text(i) (NULL reads as "") and int64(i).
#include <twofa/store.hpp>

namespace twofa::store {

inline constexpr const char* k_user_columns =
    "id, email, name, country_code, phone, provider, provider_user, password_hash, status, "
    "failed_logins, locked_until, created_at, updated_at, code_failures, code_locked_until, "
    "unix_user";

inline constexpr const char* k_session_columns =
    "id, id_hash, user_id, provider, provider_user, method, status, challenge, attempts, sends, "
    "last_send_at, created_at, expires_at, updated_at, checks_in_flight, lease_until";

// "window" is a keyword in PostgreSQL: quoted, as both backends accept.
inline constexpr const char* k_factor_columns =
    "provider_user, sealed, key_id, algorithm, digits, period, \"window\", confirmed, last_step, "
    "created_at, updated_at";

// The tables a copy moves, parents first, each with its key (db copy).
struct TableSpec {
    const char* name;
    const char* key;
};
inline constexpr TableSpec k_tables[] = {
    {"users", "id"},
    {"login_sessions", "id"},
    {"audit_events", "id"},
    {"app_factors", "provider_user"},
    {"recovery_codes", "provider_user, hash"},
};

// Columns `by` places further on: the second record of a joined row.
template <class Row> struct Shifted {
    const Row& row;
    int by;
    std::string text(int i) const { return row.text(i + by); }
    std::int64_t int64(int i) const { return row.int64(i + by); }
};

// The columns of a list, each prefixed ("u.id, u.email, …").
inline std::string prefixed(const char* columns, const std::string& prefix) {
    std::string out = prefix;
    for (const char* c = columns; *c != '\0'; ++c) {
        out += *c;
        if (*c == ' ' && c != columns && *(c - 1) == ',') {
            out += prefix;
        }
    }
    return out;
}
// Columns in a list ("a, b, c": 3).
constexpr int column_count(const char* columns) {
    int n = 1;
    for (const char* c = columns; *c != '\0'; ++c) {
        n += *c == ',' ? 1 : 0;
    }
    return n;
}
inline constexpr int k_user_column_count = column_count(k_user_columns);
inline constexpr int k_session_column_count = column_count(k_session_columns);

// Every user and its newest session (NULLs for none), for each_user; `order` is the dialect's
// ORDER BY.
inline std::string users_with_latest_sql(const std::string& order) {
    return "SELECT " + prefixed(k_user_columns, "u.") + ", " + prefixed(k_session_columns, "s.") +
           " FROM users u LEFT JOIN login_sessions s ON s.id = (SELECT id FROM login_sessions "
           "WHERE user_id = u.id ORDER BY created_at DESC, id DESC LIMIT 1) ORDER BY " +
           order;
}
// The users alone, shaped like the join (the first session column NULL: no session).
inline std::string users_sql(bool latest_session, const std::string& order) {
    if (latest_session) {
        return users_with_latest_sql(order);
    }
    return "SELECT " + prefixed(k_user_columns, "u.") + ", NULL FROM users u ORDER BY " + order;
}

// Store::find_push_target's query: the session's columns, then its user's (NULLs when it is
// gone), then the id of the user's newest session. $challenge and $provider are the dialect's
// placeholders.
inline std::string push_target_sql(const char* challenge, const char* provider) {
    return "SELECT " + prefixed(k_session_columns, "s.") + ", " + prefixed(k_user_columns, "u.") +
           ", (SELECT id FROM login_sessions WHERE user_id = s.user_id "
           "ORDER BY created_at DESC, id DESC LIMIT 1) "
           "FROM login_sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.challenge = " +
           challenge + " AND s.provider = " + provider;
}

// An unknown name (a newer twofa wrote it) reads as a state that lets nothing through.
inline SessionState state_of(const std::string& name) {
    return parse_state(name).value_or(SessionState::unverified);
}

template <class Row> UserRecord read_user(const Row& r) {
    UserRecord u;
    u.id = r.int64(0);
    u.email = r.text(1);
    u.name = r.text(2);
    u.country_code = static_cast<int>(r.int64(3));
    u.phone = r.text(4);
    u.provider = r.text(5);
    u.provider_user = r.text(6);
    u.password_hash = r.text(7);
    u.status = state_of(r.text(8));
    u.failed_logins = static_cast<int>(r.int64(9));
    u.locked_until = r.int64(10);
    u.created_at = r.int64(11);
    u.updated_at = r.int64(12);
    u.code_failures = static_cast<int>(r.int64(13));
    u.code_locked_until = r.int64(14);
    u.unix_user = r.text(15);
    return u;
}

template <class Row> SessionRecord read_session(const Row& r) {
    SessionRecord s;
    s.id = r.int64(0);
    s.id_hash = r.text(1);
    s.user_id = r.int64(2);
    s.provider = r.text(3);
    s.provider_user = r.text(4);
    s.method = parse_channel(r.text(5)).value_or(Channel::sms);
    s.status = state_of(r.text(6));
    s.challenge = r.text(7);
    s.attempts = static_cast<int>(r.int64(8));
    s.sends = static_cast<int>(r.int64(9));
    s.last_send_at = r.int64(10);
    s.created_at = r.int64(11);
    s.expires_at = r.int64(12);
    s.updated_at = r.int64(13);
    s.checks_in_flight = static_cast<int>(r.int64(14));
    s.lease_until = r.int64(15);
    return s;
}

template <class Row> AppFactor read_factor(const Row& r) {
    AppFactor f;
    f.provider_user = r.text(0);
    f.sealed = r.text(1);
    f.key_id = r.text(2);
    f.algorithm = r.text(3);
    f.digits = static_cast<int>(r.int64(4));
    f.period = static_cast<int>(r.int64(5));
    f.window = static_cast<int>(r.int64(6));
    f.confirmed = r.int64(7) != 0;
    f.last_step = r.int64(8);
    f.created_at = r.int64(9);
    f.updated_at = r.int64(10);
    return f;
}

inline AuditEvent read_audit(const auto& r) {
    return AuditEvent{r.int64(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)};
}

// A row of push_target_sql.
template <class Row> Store::PushTarget read_push_target(const Row& r) {
    Store::PushTarget t;
    t.session = read_session(r);
    Shifted<Row> user{r, k_session_column_count};
    if (user.int64(0) != 0) { // row ids start at 1: 0 is the NULL of a missing user
        t.user = read_user(user);
    }
    t.latest_session_id = r.int64(k_session_column_count + k_user_column_count);
    return t;
}

// One joined row as the visitor takes it.
template <class Row>
Status visit_joined(const Row& r, bool has_session, const Store::UserVisitor& fn) {
    std::optional<SessionRecord> s;
    if (has_session) {
        s = read_session(Shifted<Row>{r, k_user_column_count});
    }
    return fn(read_user(r), std::move(s));
}

} // namespace twofa::store
