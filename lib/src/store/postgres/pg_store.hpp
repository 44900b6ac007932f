#pragma once
// The PostgreSQL store's class: the Store port over one libpq connection. Users and sessions
// are in pg_store.cpp, app factors, the audit trail and db copy's rows in pg_rows.cpp.
//
// Concurrency: every write runs in a transaction that first takes one advisory lock
// (k_write_lock), so writers from any process or host run one at a time, exactly as SQLite's
// IMMEDIATE transactions do; reads take no lock and see every committed write (READ
// COMMITTED). A lost connection is an Exit::store error for that call and is re-opened by
// the next one.
#include "store/postgres/pg.hpp"

#include <mutex>

namespace twofa::pg {

class PgStore final : public Store {
  public:
    explicit PgStore(std::unique_ptr<Connection> conn) : m_conn(std::move(conn)) {}

    Status migrate_now(bool may_create);

    void set_audit_sink(AuditSink sink) override {
        std::lock_guard lock(m_mutex);
        m_audit_sink = std::move(sink);
    }
    void publish_change() override;
    Result<std::unique_ptr<ChangeWaiter>> subscribe() override { return pg::subscribe(url()); }

    Result<std::int64_t> insert_user(const UserRecord& user) override;
    Result<std::optional<UserRecord>> find_user(const std::string& email) override;
    Result<bool> delete_user(const std::string& email) override;
    Status each_user(bool latest_session, const UserVisitor& fn) override;
    Result<std::optional<UserRecord>> find_user_by_unix(const std::string& unix_user) override;
    Status update_user(const UserRecord& user) override;
    Result<std::optional<UserRecord>> find_user_by_id(std::int64_t id) override;

    Result<std::int64_t> insert_session(const SessionRecord& session) override;
    Result<std::optional<SessionRecord>> find_session(const std::string& id_hash) override;
    Result<std::optional<PushTarget>> find_push_target(const std::string& provider,
                                                       const std::string& handle) override;
    Result<std::optional<SessionRecord>> latest_session(std::int64_t user_id) override;
    Status update_session(const SessionRecord& session) override;
    Status update_session_state(const SessionRecord& session) override;
    Status update_user_status(const UserRecord& user) override;

    Status put_app_factor(const AppFactor& factor) override;
    Result<std::optional<AppFactor>> find_app_factor(const std::string& user) override;
    Result<std::vector<AppFactor>> list_app_factors() override;
    Status delete_app_factor(const std::string& user) override;
    Result<bool> claim_app_step(const std::string& user, std::int64_t step) override;
    Status set_recovery_codes(const std::string& user,
                              const std::vector<std::string>& hashes) override;
    Result<bool> use_recovery_code(const std::string& user, const std::string& hash,
                                   std::int64_t now) override;
    Result<int> recovery_codes_left(const std::string& user) override;

    Status audit(const AuditEvent& event) override;
    Result<std::vector<AuditEvent>> recent_audit(int limit) override;
    Result<std::vector<AuditCount>> audit_counts(std::int64_t since) override;
    Result<std::int64_t> prune_audit(std::int64_t before, int limit) override;
    Status transaction(const std::function<Status()>& fn) override;
    Status snapshot(const std::function<Status()>& fn) override;
    Status check_health() override;

    std::string describe() const override { return url(); }
    std::string health_detail() const override;
    SchemaVersions schema_versions() const override { return m_versions; }
    Result<TableRows> read_table(const std::string& table, const std::string& key,
                                 std::int64_t offset, int limit) override;
    Status write_table(const std::string& table, const std::string& key,
                       const TableRows& rows) override;

  private:
    const std::string& url() const { return m_conn->url(); }
    Status run_transaction(const char* begin, bool write_lock, const std::function<Status()>& fn);
    void roll_back() noexcept;

    // fn() under the lock, a PgError as a store error.
    template <class T, class F> Result<T> guarded(const std::string& what, F&& fn) {
        std::lock_guard lock(m_mutex);
        try {
            return fn();
        } catch (const PgError& e) {
            return store_error(what, e, url());
        }
    }
    // A write: in the open transaction, or in one of its own (under the write lock).
    template <class T, class F> Result<T> write(const std::string& what, F&& fn) {
        std::lock_guard lock(m_mutex);
        if (m_in_transaction) {
            return guarded<T>(what, fn);
        }
        std::optional<Result<T>> out;
        Status done = transaction([&]() -> Status {
            out.emplace(guarded<T>(what, fn));
            if (!out->ok()) {
                return out->error();
            }
            return {};
        });
        if (!done.ok()) {
            return done.error();
        }
        return std::move(*out);
    }
    // The user or session of the first row, or nullopt.
    template <class R, class Read>
    Result<std::optional<R>> one(const std::string& what, const std::string& sql,
                                 const Params& params, Read read) {
        return guarded<std::optional<R>>(what, [&]() -> Result<std::optional<R>> {
            auto r = m_conn->exec(sql, params);
            if (PQntuples(r.get()) == 0) {
                return std::optional<R>();
            }
            return std::optional<R>(read(Row{r.get(), 0}));
        });
    }

    std::unique_ptr<Connection> m_conn;
    SchemaVersions m_versions;
    // One connection shared by threads: a transaction holds the mutex until it ends.
    std::recursive_mutex m_mutex;
    AuditSink m_audit_sink;
    bool m_in_transaction = false;          // under m_mutex
    std::vector<AuditEvent> m_unsent_audit; // written in the open transaction, not yet sent
};

} // namespace twofa::pg
