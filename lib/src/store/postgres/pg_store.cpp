// The PostgreSQL store: opening it, transactions, users and login sessions.
#include "store/postgres/pg_store.hpp"

#include <twofa/validate.hpp>

namespace twofa::pg {

namespace {

const std::string k_users = std::string("SELECT ") + store::k_user_columns + " FROM users ";
const std::string k_sessions =
    std::string("SELECT ") + store::k_session_columns + " FROM login_sessions ";

UserRecord user_of(const Row& r) {
    return store::read_user(r);
}
SessionRecord session_of(const Row& r) {
    return store::read_session(r);
}

} // namespace

Status PgStore::migrate_now(bool may_create) {
    return guarded<void>("cannot migrate", [&]() -> Status {
        TRY_ASSIGN(m_versions.found, migrate(*m_conn, k_schema_version, may_create));
        m_versions.now = k_schema_version;
        return {};
    });
}

void PgStore::publish_change() {
    // Delivered by the server to every LISTENing waiter, on any host.
    (void)guarded<void>("cannot publish the change", [&]() -> Status {
        m_conn->exec(std::string("NOTIFY ") + k_channel);
        return {};
    });
}

// BEGIN (as `begin` says), the write lock when asked, fn, then COMMIT, or ROLLBACK when fn
// or the database failed: what both kinds of transaction share. The caller holds m_mutex.
Status PgStore::run_transaction(const char* begin, bool write_lock,
                                const std::function<Status()>& fn) {
    Status r;
    try {
        m_conn->exec(begin);
        m_in_transaction = true; // a write in a read-only one fails, never opens its own
        if (write_lock) {
            m_conn->exec(k_write_lock);
        }
        r = fn();
        m_conn->exec(r.ok() ? "COMMIT" : "ROLLBACK");
    } catch (const PgError& e) {
        r = store_error("transaction failed", e, url());
        roll_back();
    } catch (...) {
        roll_back();
        m_in_transaction = false;
        throw;
    }
    m_in_transaction = false;
    return r;
}

Status PgStore::transaction(const std::function<Status()>& fn) {
    std::lock_guard lock(m_mutex);
    m_unsent_audit.clear();
    Status r = run_transaction("BEGIN", true, fn);
    if (r.ok() && m_audit_sink) {
        for (const AuditEvent& e : m_unsent_audit) {
            m_audit_sink(e);
        }
    }
    m_unsent_audit.clear();
    return r;
}

Status PgStore::snapshot(const std::function<Status()>& fn) {
    std::lock_guard lock(m_mutex);
    return run_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", false, fn);
}

void PgStore::roll_back() noexcept {
    try {
        m_conn->exec("ROLLBACK"); // a lost connection has rolled back already
    } catch (const PgError&) {    // NOLINT(bugprone-empty-catch) the first error is the one
    }
}

Status PgStore::check_health() {
    return guarded<void>("health check failed", [&]() -> Status {
        int version = schema_version(*m_conn);
        if (version != k_schema_version) {
            return make_error(Exit::store,
                              "schema version " + std::to_string(version) + ", expected " +
                                  std::to_string(k_schema_version),
                              "run twofa db migrate");
        }
        return {};
    });
}

std::string PgStore::health_detail() const {
    const int v = PQserverVersion(m_conn->raw()); // 150018 for 15.18
    return "schema " + std::to_string(m_versions.now) + ", PostgreSQL " +
           std::to_string(v / 10000) + "." + std::to_string(v % 100);
}

Result<std::int64_t> PgStore::insert_user(const UserRecord& u) {
    return write<std::int64_t>("cannot add user", [&]() -> Result<std::int64_t> {
        auto r = m_conn->exec("INSERT INTO users (email, name, country_code, phone, provider, "
                              "provider_user, password_hash, status, created_at, updated_at, "
                              "unix_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                              "ON CONFLICT (lower(email)) DO NOTHING RETURNING id",
                              Params()
                                  .text(u.email)
                                  .text(u.name)
                                  .int64(u.country_code)
                                  .text(u.phone)
                                  .text(u.provider)
                                  .text(u.provider_user)
                                  .text(u.password_hash)
                                  .text(to_string(u.status))
                                  .int64(u.created_at)
                                  .int64(u.updated_at)
                                  .text_or_null(u.unix_user));
        if (PQntuples(r.get()) == 0) {
            return make_error(Exit::conflict, "user " + u.email + " already exists",
                              "an existing user is accepted only when asked to");
        }
        return Row{r.get(), 0}.int64(0);
    });
}

Result<std::optional<UserRecord>> PgStore::find_user(const std::string& email) {
    return one<UserRecord>("cannot read user", k_users + "WHERE lower(email) = lower($1)",
                           Params().text(email), user_of);
}

Result<std::optional<UserRecord>> PgStore::find_user_by_unix(const std::string& unix_user) {
    return one<UserRecord>("cannot read user", k_users + "WHERE unix_user = $1",
                           Params().text(unix_user), user_of);
}

Result<std::optional<UserRecord>> PgStore::find_user_by_id(std::int64_t id) {
    return one<UserRecord>("cannot read user", k_users + "WHERE id = $1", Params().int64(id),
                           user_of);
}

Status PgStore::each_user(bool latest_session, const UserVisitor& fn) {
    return guarded<void>("cannot list users", [&]() -> Status {
        // A cursor in a read-only transaction: a page of rows in memory at a time, no lock.
        m_conn->exec("BEGIN READ ONLY");
        Status walked;
        try {
            m_conn->exec("DECLARE twofa_users NO SCROLL CURSOR FOR " +
                         store::users_sql(latest_session, "lower(u.email) COLLATE \"C\", u.id"));
            for (int rows = -1; rows != 0 && walked.ok();) {
                auto r = m_conn->exec("FETCH 1000 FROM twofa_users");
                rows = PQntuples(r.get());
                for (int i = 0; i < rows && walked.ok(); ++i) {
                    walked = store::visit_joined(
                        Row{r.get(), i}, PQgetisnull(r.get(), i, store::k_user_column_count) == 0,
                        fn);
                }
            }
        } catch (const PgError&) {
            roll_back();
            throw;
        }
        m_conn->exec("COMMIT");
        return walked;
    });
}

Result<bool> PgStore::delete_user(const std::string& email) {
    return write<bool>("cannot remove user", [&]() -> Result<bool> {
        auto r =
            m_conn->exec("DELETE FROM users WHERE lower(email) = lower($1)", Params().text(email));
        return affected(r) > 0;
    });
}

Status PgStore::update_user(const UserRecord& u) {
    return write<void>("cannot update user", [&]() -> Status {
        auto r = m_conn->exec("UPDATE users SET status = $1, failed_logins = $2, "
                              "locked_until = $3, password_hash = $4, updated_at = $5, "
                              "code_failures = $6, code_locked_until = $7, unix_user = $8 "
                              "WHERE id = $9",
                              Params()
                                  .text(to_string(u.status))
                                  .int64(u.failed_logins)
                                  .int64(u.locked_until)
                                  .text(u.password_hash)
                                  .int64(u.updated_at)
                                  .int64(u.code_failures)
                                  .int64(u.code_locked_until)
                                  .text_or_null(u.unix_user)
                                  .int64(u.id));
        if (affected(r) == 0) {
            return make_error(Exit::not_found, "user " + u.email + " no longer exists",
                              "run twofa user list");
        }
        return {};
    });
}

Result<std::int64_t> PgStore::insert_session(const SessionRecord& s) {
    return write<std::int64_t>("cannot start a session", [&]() -> Result<std::int64_t> {
        auto r = m_conn->exec(
            "INSERT INTO login_sessions (id_hash, user_id, provider, provider_user, method, "
            "status, challenge, attempts, sends, last_send_at, created_at, expires_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
            "RETURNING id",
            Params()
                .text(s.id_hash)
                .int64(s.user_id)
                .text(s.provider)
                .text(s.provider_user)
                .text(to_string(s.method))
                .text(to_string(s.status))
                .text_or_null(s.challenge)
                .int64(s.attempts)
                .int64(s.sends)
                .int64(s.last_send_at)
                .int64(s.created_at)
                .int64(s.expires_at)
                .int64(s.updated_at));
        return Row{r.get(), 0}.int64(0);
    });
}

Result<std::optional<SessionRecord>> PgStore::find_session(const std::string& id_hash) {
    return one<SessionRecord>("cannot read the session", k_sessions + "WHERE id_hash = $1",
                              Params().text(id_hash), session_of);
}

Result<std::optional<Store::PushTarget>> PgStore::find_push_target(const std::string& provider,
                                                                   const std::string& handle) {
    static const std::string sql = store::push_target_sql("$1", "$2");
    return one<PushTarget>("cannot read the session", sql, Params().text(handle).text(provider),
                           store::read_push_target<Row>);
}

Result<std::optional<SessionRecord>> PgStore::latest_session(std::int64_t user_id) {
    return one<SessionRecord>("cannot read sessions",
                              k_sessions +
                                  "WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
                              Params().int64(user_id), session_of);
}

Status PgStore::update_session(const SessionRecord& s) {
    return write<void>("cannot update the session", [&]() -> Status {
        auto r = m_conn->exec("UPDATE login_sessions SET method = $1, status = $2, "
                              "challenge = $3, attempts = $4, sends = $5, last_send_at = $6, "
                              "expires_at = $7, updated_at = $8, checks_in_flight = $9, "
                              "lease_until = $10 WHERE id = $11",
                              Params()
                                  .text(to_string(s.method))
                                  .text(to_string(s.status))
                                  .text_or_null(s.challenge)
                                  .int64(s.attempts)
                                  .int64(s.sends)
                                  .int64(s.last_send_at)
                                  .int64(s.expires_at)
                                  .int64(s.updated_at)
                                  .int64(s.checks_in_flight)
                                  .int64(s.lease_until)
                                  .int64(s.id));
        if (affected(r) == 0) {
            return make_error(Exit::not_found, "the login session no longer exists",
                              "run twofa login again");
        }
        return {};
    });
}

Status PgStore::update_session_state(const SessionRecord& s) {
    return write<void>("cannot update the session", [&]() -> Status {
        auto r = m_conn->exec(
            "UPDATE login_sessions SET status = $1, expires_at = $2, "
            "updated_at = $3 WHERE id = $4",
            Params().text(to_string(s.status)).int64(s.expires_at).int64(s.updated_at).int64(s.id));
        if (affected(r) == 0) {
            return make_error(Exit::not_found, "the login session no longer exists",
                              "run twofa login again");
        }
        return {};
    });
}

Status PgStore::update_user_status(const UserRecord& u) {
    return write<void>("cannot update user", [&]() -> Status {
        auto r = m_conn->exec("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3",
                              Params().text(to_string(u.status)).int64(u.updated_at).int64(u.id));
        if (affected(r) == 0) {
            return make_error(Exit::not_found, "user " + u.email + " no longer exists",
                              "run twofa user list");
        }
        return {};
    });
}

} // namespace twofa::pg

namespace twofa {

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url, StoreOpen mode) {
    TRY_ASSIGN(auto conn, pg::Connection::open(url));
    auto store = std::make_unique<pg::PgStore>(std::move(conn));
    TRY(store->migrate_now(mode != StoreOpen::existing));
    return std::unique_ptr<Store>(std::move(store));
}

} // namespace twofa
