#pragma once
// The SQLite store's class: the Store port over one SQLite connection. Its calls are defined
// here and in factors.cpp (app factors, recovery codes); open_store is in
// store.cpp, the migrations in schema.cpp.
#include "store/sqlite/sqlite.hpp"

#include <twofa/validate.hpp>

#include <array>
#include <memory>
#include <mutex>

namespace twofa::sqlite {

class SqliteStore final : public Store {
  public:
    explicit SqliteStore(const std::string& path)
        : m_path(path), m_publisher(path),
          // NOMUTEX: the store's own mutex already serialises every use of the connection;
          // SQLite's per-call locking on top was 5 % of the listener's CPU.
          m_db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
               k_busy_timeout_ms) {
        apply_pragmas(m_db);
    }

    // The schema up to date (a constructor cannot return an Error).
    Status migrate_now() {
        return guarded_status("cannot migrate", [&]() -> Status {
            TRY_ASSIGN(m_versions.found, migrate(m_db, k_schema_version));
            m_versions.now = k_schema_version;
            return {};
        });
    }

    std::string describe() const override { return m_path; }
    std::string health_detail() const override {
        return "schema " + std::to_string(m_versions.now) + ", mode 0600";
    }
    SchemaVersions schema_versions() const override { return m_versions; }

    Result<TableRows> read_table(const std::string& table, const std::string& key,
                                 std::int64_t offset, int limit) override {
        return guarded<TableRows>("cannot read " + table, [&]() -> Result<TableRows> {
            return read_rows(m_db, table, key, offset, limit);
        });
    }
    Status write_table(const std::string& table, const std::string& key,
                       const TableRows& rows) override {
        return guarded_status("cannot write " + table, [&]() -> Status {
            write_rows(m_db, table, key, rows);
            return {};
        });
    }

    void publish_change() override { m_publisher.publish(); }
    Result<std::unique_ptr<ChangeWaiter>> subscribe() override { return sqlite::subscribe(m_path); }

    Result<std::int64_t> insert_user(const UserRecord& u) override {
        return guarded<std::int64_t>("cannot add user", [&]() -> Result<std::int64_t> {
            Lease lease(cached(Query::insert_user));
            auto& q = *lease;
            q.bind(1, u.email);
            q.bind(2, u.name);
            q.bind(3, u.country_code);
            q.bind(4, u.phone);
            q.bind(5, u.provider);
            q.bind(6, u.provider_user);
            q.bind(7, u.password_hash);
            q.bind(8, to_string(u.status));
            q.bind(9, u.created_at);
            q.bind(10, u.updated_at);
            bind_or_null(q, 11, u.unix_user); // NULL for none: the column is UNIQUE
            if (q.exec() == 0) {
                return make_error(Exit::conflict, "user " + u.email + " already exists",
                                  "an existing user is accepted only when asked to");
            }
            return static_cast<std::int64_t>(m_db.getLastInsertRowid());
        });
    }

    Result<std::optional<UserRecord>> find_user(const std::string& email) override {
        return user_where(Query::user_by_email, email);
    }

    Result<std::optional<UserRecord>> find_user_by_unix(const std::string& unix_user) override {
        return user_where(Query::user_by_unix, unix_user);
    }

    Status each_user(bool latest_session, const UserVisitor& fn) override; // factors.cpp

    Result<bool> delete_user(const std::string& email) override {
        return guarded<bool>("cannot remove user", [&]() -> Result<bool> {
            SQLite::Statement q(m_db, "DELETE FROM users WHERE email = ?");
            q.bind(1, email);
            return q.exec() > 0;
        });
    }

    Status update_user(const UserRecord& u) override {
        return guarded_status("cannot update user", [&]() -> Status {
            Lease lease(cached(Query::update_user));
            auto& q = *lease;
            q.bind(1, to_string(u.status));
            q.bind(2, u.failed_logins);
            q.bind(3, u.locked_until);
            q.bind(4, u.password_hash);
            q.bind(5, u.updated_at);
            q.bind(6, u.code_failures);
            q.bind(7, u.code_locked_until);
            bind_or_null(q, 8, u.unix_user);
            q.bind(9, u.id);
            if (q.exec() == 0) {
                return make_error(Exit::not_found, "user " + u.email + " no longer exists",
                                  "run twofa user list");
            }
            return {};
        });
    }

    Result<std::optional<UserRecord>> find_user_by_id(std::int64_t id) override {
        return first<UserRecord>(
            "cannot read user", Query::user_by_id, [&](auto& q) { q.bind(1, id); },
            store::read_user<Row>);
    }

    Result<std::int64_t> insert_session(const SessionRecord& s) override {
        return guarded<std::int64_t>("cannot start a session", [&]() -> Result<std::int64_t> {
            SQLite::Statement q(m_db, "INSERT INTO login_sessions (id_hash, user_id, provider, "
                                      "provider_user, method, status, challenge, attempts, "
                                      "sends, last_send_at, created_at, expires_at, updated_at) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            q.bind(1, s.id_hash);
            q.bind(2, s.user_id);
            q.bind(3, s.provider);
            q.bind(4, s.provider_user);
            q.bind(5, to_string(s.method));
            q.bind(6, to_string(s.status));
            bind_or_null(q, 7, s.challenge);
            q.bind(8, s.attempts);
            q.bind(9, s.sends);
            q.bind(10, s.last_send_at);
            q.bind(11, s.created_at);
            q.bind(12, s.expires_at);
            q.bind(13, s.updated_at);
            q.exec();
            return static_cast<std::int64_t>(m_db.getLastInsertRowid());
        });
    }

    Result<std::optional<SessionRecord>> find_session(const std::string& id_hash) override {
        return first<SessionRecord>(
            "cannot read the session", Query::session_by_hash, [&](auto& q) { q.bind(1, id_hash); },
            store::read_session<Row>);
    }

    Result<std::optional<PushTarget>> find_push_target(const std::string& provider,
                                                       const std::string& handle) override {
        return first<PushTarget>(
            "cannot read the session", Query::push_target,
            [&](auto& q) {
                q.bind(1, handle);
                q.bind(2, provider);
            },
            store::read_push_target<Row>);
    }

    Result<std::optional<SessionRecord>> latest_session(std::int64_t user_id) override {
        return first<SessionRecord>(
            "cannot read sessions", Query::latest_session, [&](auto& q) { q.bind(1, user_id); },
            store::read_session<Row>);
    }

    Status update_session_state(const SessionRecord& s) override;
    Status update_user_status(const UserRecord& u) override;

    Status update_session(const SessionRecord& s) override {
        return guarded_status("cannot update the session", [&]() -> Status {
            Lease lease(cached(Query::update_session));
            auto& q = *lease;
            q.bind(1, to_string(s.method));
            q.bind(2, to_string(s.status));
            bind_or_null(q, 3, s.challenge);
            q.bind(4, s.attempts);
            q.bind(5, s.sends);
            q.bind(6, s.last_send_at);
            q.bind(7, s.expires_at);
            q.bind(8, s.updated_at);
            q.bind(9, s.checks_in_flight);
            q.bind(10, s.lease_until);
            q.bind(11, s.id);
            if (q.exec() == 0) {
                return make_error(Exit::not_found, "the login session no longer exists",
                                  "run twofa login again");
            }
            return {};
        });
    }

    Result<std::int64_t> prune_audit(std::int64_t before, int limit) override; // factors.cpp

    Result<std::vector<AuditCount>> audit_counts(std::int64_t since) override {
        using R = std::vector<AuditCount>;
        return guarded<R>("cannot read the audit trail", [&]() -> Result<R> {
            SQLite::Statement q(m_db, "SELECT event, outcome, COUNT(*) FROM audit_events "
                                      "WHERE at >= ? GROUP BY event, outcome "
                                      "ORDER BY event, outcome");
            q.bind(1, since);
            R out;
            while (q.executeStep()) {
                out.push_back(AuditCount{q.getColumn(0).getString(), q.getColumn(1).getString(),
                                         q.getColumn(2).getInt64()});
            }
            return out;
        });
    }

    Status audit(const AuditEvent& e) override {
        return guarded_status("cannot write the audit trail", [&]() -> Status {
            Lease lease(cached(Query::audit));
            auto& q = *lease;
            q.bind(1, e.at);
            q.bind(2, e.event);
            q.bind(3, e.email);
            q.bind(4, e.session);
            q.bind(5, e.outcome);
            q.bind(6, e.detail);
            q.exec();
            if (m_audit_sink) {
                m_in_transaction ? m_unsent_audit.push_back(e) : m_audit_sink(e);
            }
            return {};
        });
    }

    Result<std::vector<AuditEvent>> recent_audit(int limit) override {
        using R = std::vector<AuditEvent>;
        return guarded<R>("cannot read the audit trail", [&]() -> Result<R> {
            SQLite::Statement q(m_db, "SELECT at, event, email, session, outcome, detail FROM "
                                      "audit_events ORDER BY id DESC LIMIT ?");
            q.bind(1, limit);
            R out;
            while (q.executeStep()) {
                out.push_back(store::read_audit(Row{q}));
            }
            return out;
        });
    }

    // App factors and recovery codes (factors.cpp).
    Status put_app_factor(const AppFactor& f) override;
    Result<std::optional<AppFactor>> find_app_factor(const std::string& user) override;
    Result<std::vector<AppFactor>> list_app_factors() override;
    Status delete_app_factor(const std::string& user) override;
    Result<bool> claim_app_step(const std::string& user, std::int64_t step) override;
    Status set_recovery_codes(const std::string& user,
                              const std::vector<std::string>& hashes) override;
    Result<bool> use_recovery_code(const std::string& user, const std::string& hash,
                                   std::int64_t now) override;
    Result<int> recovery_codes_left(const std::string& user) override;

    Status transaction(const std::function<Status()>& fn) override {
        std::lock_guard lock(m_mutex);
        m_unsent_audit.clear();
        m_in_transaction = true;
        Status r;
        try {
            SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
            r = fn();
            if (r.ok()) {
                tx.commit();
                for (const AuditEvent& e : m_unsent_audit) {
                    m_audit_sink(e);
                }
            }
            // the destructor rolls back when not committed
        } catch (const SQLite::Exception& e) {
            r = store_error("transaction failed", e);
        }
        m_in_transaction = false;
        m_unsent_audit.clear();
        return r;
    }

    Status snapshot(const std::function<Status()>& fn) override {
        std::lock_guard lock(m_mutex);
        Status r;
        try {
            m_db.exec("PRAGMA query_only = 1");
            SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::DEFERRED);
            r = fn();
            tx.commit(); // ends the read: nothing was written
        } catch (const SQLite::Exception& e) {
            r = store_error("cannot read the database", e);
        }
        m_db.tryExec("PRAGMA query_only = 0");
        return r;
    }

    void upkeep_in_background() override {
        std::lock_guard lock(m_mutex);
        if (!m_checkpointer) {
            // SQLite's default cache is 2 MiB: the challenge index and the sessions a
            // listener's callbacks land on, spread over the table, did not fit, and each
            // miss was a read(2). (It cannot fail; if it did, the default would stay.)
            m_db.tryExec("PRAGMA cache_size = -16384");
            m_checkpointer = std::make_unique<Checkpointer>(m_path, m_db);
        }
    }

    void set_audit_sink(AuditSink sink) override {
        std::lock_guard lock(m_mutex);
        m_audit_sink = std::move(sink);
    }

    Status check_health() override {
        return guarded_status("health check failed", [&]() -> Status {
            auto check = m_db.execAndGet("PRAGMA quick_check").getString();
            if (check != "ok") {
                return make_error(Exit::store, "database integrity check failed: " + check,
                                  "restore it from a backup");
            }
            int version = m_db.execAndGet("PRAGMA user_version").getInt();
            if (version != k_schema_version) {
                return make_error(Exit::store,
                                  "schema version " + std::to_string(version) + ", expected " +
                                      std::to_string(k_schema_version),
                                  "run a twofa command that writes (it migrates)");
            }
            return {};
        });
    }

  private:
    // The prepared statement of a frequent query, made on first use (callers hold m_mutex).
    SQLite::Statement& cached(Query query) {
        auto& slot = m_statements[static_cast<std::size_t>(query)];
        if (!slot) {
            slot = std::make_unique<SQLite::Statement>(m_db, sql_of(query));
        }
        return *slot;
    }

    // The first row of a frequent query, with `bind` applied, as `read` makes it; or nullopt.
    template <class R, class Bind, class Read>
    Result<std::optional<R>> first(std::string_view what, Query query, Bind&& bind, Read&& read) {
        return guarded<std::optional<R>>(what, [&]() -> Result<std::optional<R>> {
            Lease lease(cached(query));
            auto& q = *lease;
            bind(q);
            if (q.executeStep()) {
                return std::optional<R>(read(Row{q}));
            }
            return std::optional<R>();
        });
    }

    // The user whose `column` (email, unix_user: both unique) holds value, or nullopt.
    Result<std::optional<UserRecord>> user_where(Query query, const std::string& value) {
        return first<UserRecord>(
            "cannot read user", query, [&](auto& q) { q.bind(1, value); }, store::read_user<Row>);
    }

    // what: the start of the message should it fail (a view: no string made on success).
    template <class T, class F> Result<T> guarded(std::string_view what, F&& fn) {
        std::lock_guard lock(m_mutex);
        try {
            return fn();
        } catch (const SQLite::Exception& e) {
            return store_error(std::string(what), e);
        }
    }
    template <class F> Status guarded_status(std::string_view what, F&& fn) {
        return guarded<void>(what, std::forward<F>(fn));
    }

    std::string m_path;
    ChangePublisher m_publisher;
    SQLite::Database m_db;
    SchemaVersions m_versions;
    std::array<std::unique_ptr<SQLite::Statement>, k_queries> m_statements;
    // One connection shared by threads: a transaction holds the mutex until it ends.
    std::recursive_mutex m_mutex;
    AuditSink m_audit_sink;
    bool m_in_transaction = false;                // under m_mutex
    std::vector<AuditEvent> m_unsent_audit;       // written in the open transaction, not yet sent
    std::unique_ptr<Checkpointer> m_checkpointer; // destroyed before m_db
};

} // namespace twofa::sqlite
