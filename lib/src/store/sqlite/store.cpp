// The SQLite store. SQLiteCpp and every SQL string of the project live in this file.
#include <twofa/store.hpp>

#include "util/fs_util.hpp"

#include <twofa/validate.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace twofa {

namespace {

// Migration N moves a database from user_version N-1 to N. Never edit a released entry:
// add a new one.
constexpr std::array<const char*, k_schema_version> k_migrations{
    // 1: users
    R"sql(
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL DEFAULT '',
    country_code  INTEGER NOT NULL CHECK (country_code BETWEEN 1 AND 999),
    phone         TEXT    NOT NULL,
    authy_id      INTEGER NOT NULL,
    password_hash TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT 'unverified',
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX users_authy_id ON users (authy_id);
)sql",
    // 2: login sessions and the audit trail
    R"sql(
CREATE TABLE login_sessions (
    id            INTEGER PRIMARY KEY,
    id_hash       TEXT    NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method        TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    approval_uuid TEXT    UNIQUE,
    attempts      INTEGER NOT NULL DEFAULT 0,
    sends         INTEGER NOT NULL DEFAULT 0,
    last_send_at  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX login_sessions_user ON login_sessions (user_id, created_at);
CREATE TABLE audit_events (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    event    TEXT    NOT NULL,
    email    TEXT    NOT NULL DEFAULT '',
    session  TEXT    NOT NULL DEFAULT '',
    outcome  TEXT    NOT NULL,
    detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at);
)sql",
    // 3: second-factor failures counted per user across sessions; leases on code checks
    R"sql(
ALTER TABLE users ADD COLUMN code_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN code_locked_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE login_sessions ADD COLUMN checks_in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE login_sessions ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
)sql",
};

Error store_error(const std::string& what, const SQLite::Exception& e) {
    int code = e.getErrorCode();
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
        return make_error(Exit::store, what + ": the database is busy",
                          "another twofa process holds it; try again");
    }
    if (code == SQLITE_READONLY) {
        return make_error(Exit::store, what + ": the database is read-only", "check permissions");
    }
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
        return make_error(Exit::store, what + ": the database is corrupt",
                          "restore it from a backup");
    }
    return make_error(Exit::store, what + ": " + e.what(), "run twofa status --health");
}

void apply_pragmas(SQLite::Database& db) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
}

// Runs the migrations from the current user_version up to `target`, each in its own
// transaction together with its version bump, so a crash leaves a consistent version.
void migrate(SQLite::Database& db, int target) {
    int version = db.execAndGet("PRAGMA user_version").getInt();
    if (version > k_schema_version) {
        throw Failure(make_error(Exit::store,
                                 "the database has schema version " + std::to_string(version) +
                                     ", newer than this twofa (" +
                                     std::to_string(k_schema_version) + ")",
                                 "upgrade twofa"));
    }
    for (int v = version; v < target; ++v) {
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        // Another process may have migrated while we waited for the lock.
        if (db.execAndGet("PRAGMA user_version").getInt() != v) {
            continue;
        }
        db.exec(k_migrations[static_cast<std::size_t>(v)]);
        db.exec("PRAGMA user_version = " + std::to_string(v + 1));
        tx.commit();
    }
}

// Creates the file 0600 before SQLite touches it (with `create`; else it must exist), and
// refuses an existing file that group or others can access. Folders: see StoreOpen.
Status prepare_file(const std::string& path, StoreOpen mode) {
    const std::string folder = detail::parent_dir(path);
    struct stat st {};
    if (mode == StoreOpen::existing && ::stat(path.c_str(), &st) != 0) {
        return make_error(Exit::store, "no database at " + strip_control(path),
                          "enroll a user first, or set the db setting or TWOFA_DB to the database");
    }
    if (mode == StoreOpen::create_with_folders) {
        if (auto r = detail::make_private_dir(folder); !r.ok()) {
            return r;
        }
    } else if (mode == StoreOpen::create && ::stat(folder.c_str(), &st) != 0) {
        return make_error(Exit::store,
                          "the database's folder " + strip_control(folder) + " does not exist",
                          "create it (mode 0700), or choose another database path");
    }
    int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (mode == StoreOpen::existing ? 0 : O_CREAT);
    int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) {
        return make_error(Exit::store,
                          "cannot open database " + strip_control(path) + ": " +
                              std::strerror(errno),
                          "check the database path and permissions");
    }
    int rc = ::fstat(fd, &st);
    ::close(fd);
    if (rc != 0 || !S_ISREG(st.st_mode)) {
        return make_error(Exit::store, "database " + strip_control(path) + " is not a regular file",
                          "check the database path");
    }
    if ((st.st_mode & 077) != 0) {
        return make_error(Exit::config,
                          "database " + strip_control(path) + " is accessible by group or others",
                          "run: chmod 600 " + strip_control(path));
    }
    return {};
}

UserRecord read_user(SQLite::Statement& q) {
    UserRecord u;
    u.id = q.getColumn(0).getInt64();
    u.email = q.getColumn(1).getString();
    u.name = q.getColumn(2).getString();
    u.country_code = q.getColumn(3).getInt();
    u.phone = q.getColumn(4).getString();
    u.authy_id = q.getColumn(5).getInt64();
    u.password_hash = q.getColumn(6).getString();
    u.status = q.getColumn(7).getString();
    u.failed_logins = q.getColumn(8).getInt();
    u.locked_until = q.getColumn(9).getInt64();
    u.created_at = q.getColumn(10).getInt64();
    u.updated_at = q.getColumn(11).getInt64();
    u.code_failures = q.getColumn(12).getInt();
    u.code_locked_until = q.getColumn(13).getInt64();
    return u;
}

SessionRecord read_session(SQLite::Statement& q) {
    SessionRecord s;
    s.id = q.getColumn(0).getInt64();
    s.id_hash = q.getColumn(1).getString();
    s.user_id = q.getColumn(2).getInt64();
    s.method = q.getColumn(3).getString();
    s.status = q.getColumn(4).getString();
    s.approval_uuid = q.getColumn(5).getString(); // NULL reads as ""
    s.attempts = q.getColumn(6).getInt();
    s.sends = q.getColumn(7).getInt();
    s.last_send_at = q.getColumn(8).getInt64();
    s.created_at = q.getColumn(9).getInt64();
    s.expires_at = q.getColumn(10).getInt64();
    s.updated_at = q.getColumn(11).getInt64();
    s.checks_in_flight = q.getColumn(12).getInt();
    s.lease_until = q.getColumn(13).getInt64();
    return s;
}

constexpr const char* k_session_columns =
    "id, id_hash, user_id, method, status, approval_uuid, attempts, sends, last_send_at, "
    "created_at, expires_at, updated_at, checks_in_flight, lease_until";

// Binds a UUID, or NULL for none (the column is UNIQUE, and NULLs never collide).
void bind_uuid(SQLite::Statement& q, int index, const std::string& uuid) {
    if (uuid.empty()) {
        q.bind(index);
    } else {
        q.bind(index, uuid);
    }
}

// A cached prepared statement, reset (and its bindings cleared) when the lease ends, so no
// half-read SELECT keeps a read transaction open between calls.
class Lease {
  public:
    explicit Lease(SQLite::Statement& s) : m_s(s) {}
    ~Lease() {
        try {
            m_s.reset();
            m_s.clearBindings();
        } catch (const SQLite::Exception&) { // NOLINT(bugprone-empty-catch) the next use fails
        }
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SQLite::Statement& operator*() { return m_s; }

  private:
    SQLite::Statement& m_s;
};

constexpr const char* k_user_columns =
    "id, email, name, country_code, phone, authy_id, password_hash, status, failed_logins, "
    "locked_until, created_at, updated_at, code_failures, code_locked_until";

class SqliteStore final : public Store {
  public:
    explicit SqliteStore(const std::string& path)
        : m_db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX, 5000) {
        apply_pragmas(m_db);
        migrate(m_db, k_schema_version);
    }

    Result<std::int64_t> insert_user(const UserRecord& u) override {
        return guarded<std::int64_t>("cannot add user", [&]() -> Result<std::int64_t> {
            SQLite::Statement q(m_db, "INSERT INTO users (email, name, country_code, phone, "
                                      "authy_id, password_hash, status, created_at, updated_at) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                      "ON CONFLICT (email) DO NOTHING");
            q.bind(1, u.email);
            q.bind(2, u.name);
            q.bind(3, u.country_code);
            q.bind(4, u.phone);
            q.bind(5, u.authy_id);
            q.bind(6, u.password_hash);
            q.bind(7, u.status);
            q.bind(8, u.created_at);
            q.bind(9, u.updated_at);
            if (q.exec() == 0) {
                return make_error(Exit::conflict, "user " + u.email + " already exists",
                                  "use --if-not-exists to accept that");
            }
            return static_cast<std::int64_t>(m_db.getLastInsertRowid());
        });
    }

    Result<std::optional<UserRecord>> find_user(const std::string& email) override {
        using R = std::optional<UserRecord>;
        return guarded<R>("cannot read user", [&]() -> Result<R> {
            SQLite::Statement q(m_db, std::string("SELECT ") + k_user_columns +
                                          " FROM users WHERE email = ?");
            q.bind(1, email);
            if (q.executeStep()) {
                return R(read_user(q));
            }
            return R();
        });
    }

    Result<std::vector<UserRecord>> list_users() override {
        using R = std::vector<UserRecord>;
        return guarded<R>("cannot list users", [&]() -> Result<R> {
            SQLite::Statement q(m_db, std::string("SELECT ") + k_user_columns +
                                          " FROM users ORDER BY email");
            R out;
            while (q.executeStep()) {
                out.push_back(read_user(q));
            }
            return out;
        });
    }

    Result<bool> delete_user(const std::string& email) override {
        return guarded<bool>("cannot remove user", [&]() -> Result<bool> {
            SQLite::Statement q(m_db, "DELETE FROM users WHERE email = ?");
            q.bind(1, email);
            return q.exec() > 0;
        });
    }

    Status update_user(const UserRecord& u) override {
        return guarded_status("cannot update user", [&]() -> Status {
            Lease lease(cached("UPDATE users SET status = ?, failed_logins = ?, "
                               "locked_until = ?, password_hash = ?, updated_at = ?, "
                               "code_failures = ?, code_locked_until = ? WHERE id = ?"));
            auto& q = *lease;
            q.bind(1, u.status);
            q.bind(2, u.failed_logins);
            q.bind(3, u.locked_until);
            q.bind(4, u.password_hash);
            q.bind(5, u.updated_at);
            q.bind(6, u.code_failures);
            q.bind(7, u.code_locked_until);
            q.bind(8, u.id);
            if (q.exec() == 0) {
                return make_error(Exit::not_found, "user " + u.email + " no longer exists",
                                  "run twofa user list");
            }
            return {};
        });
    }

    Result<std::optional<UserRecord>> find_user_by_id(std::int64_t id) override {
        using R = std::optional<UserRecord>;
        return guarded<R>("cannot read user", [&]() -> Result<R> {
            Lease lease(
                cached(std::string("SELECT ") + k_user_columns + " FROM users WHERE id = ?"));
            auto& q = *lease;
            q.bind(1, id);
            if (q.executeStep()) {
                return R(read_user(q));
            }
            return R();
        });
    }

    Result<std::int64_t> insert_session(const SessionRecord& s) override {
        return guarded<std::int64_t>("cannot start a session", [&]() -> Result<std::int64_t> {
            SQLite::Statement q(m_db, "INSERT INTO login_sessions (id_hash, user_id, method, "
                                      "status, approval_uuid, attempts, sends, last_send_at, "
                                      "created_at, expires_at, updated_at) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            q.bind(1, s.id_hash);
            q.bind(2, s.user_id);
            q.bind(3, s.method);
            q.bind(4, s.status);
            bind_uuid(q, 5, s.approval_uuid);
            q.bind(6, s.attempts);
            q.bind(7, s.sends);
            q.bind(8, s.last_send_at);
            q.bind(9, s.created_at);
            q.bind(10, s.expires_at);
            q.bind(11, s.updated_at);
            q.exec();
            return static_cast<std::int64_t>(m_db.getLastInsertRowid());
        });
    }

    Result<std::optional<SessionRecord>> find_session(const std::string& id_hash) override {
        return session_where("id_hash = ?", id_hash);
    }

    Result<std::optional<SessionRecord>> find_session_by_uuid(const std::string& uuid) override {
        return session_where("approval_uuid = ?", uuid);
    }

    Result<std::optional<SessionRecord>> latest_session(std::int64_t user_id) override {
        using R = std::optional<SessionRecord>;
        return guarded<R>("cannot read sessions", [&]() -> Result<R> {
            Lease lease(cached(std::string("SELECT ") + k_session_columns +
                               " FROM login_sessions WHERE user_id = ? "
                               "ORDER BY created_at DESC, id DESC LIMIT 1"));
            auto& q = *lease;
            q.bind(1, user_id);
            if (q.executeStep()) {
                return R(read_session(q));
            }
            return R();
        });
    }

    Status update_session(const SessionRecord& s) override {
        return guarded_status("cannot update the session", [&]() -> Status {
            Lease lease(cached("UPDATE login_sessions SET method = ?, status = ?, "
                               "approval_uuid = ?, attempts = ?, sends = ?, "
                               "last_send_at = ?, expires_at = ?, updated_at = ?, "
                               "checks_in_flight = ?, lease_until = ? WHERE id = ?"));
            auto& q = *lease;
            q.bind(1, s.method);
            q.bind(2, s.status);
            bind_uuid(q, 3, s.approval_uuid);
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
            Lease lease(cached("INSERT INTO audit_events (at, event, email, session, "
                               "outcome, detail) VALUES (?, ?, ?, ?, ?, ?)"));
            auto& q = *lease;
            q.bind(1, e.at);
            q.bind(2, e.event);
            q.bind(3, e.email);
            q.bind(4, e.session);
            q.bind(5, e.outcome);
            q.bind(6, e.detail);
            q.exec();
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
                out.push_back(AuditEvent{q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                                         q.getColumn(2).getString(), q.getColumn(3).getString(),
                                         q.getColumn(4).getString(), q.getColumn(5).getString()});
            }
            return out;
        });
    }

    Status transaction(const std::function<Status()>& fn) override {
        std::lock_guard lock(m_mutex);
        try {
            SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
            Status r = fn();
            if (r.ok()) {
                tx.commit();
            }
            return r; // the destructor rolls back when not committed
        } catch (const SQLite::Exception& e) {
            return store_error("transaction failed", e);
        }
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
                                  "run any twofa command to migrate");
            }
            return {};
        });
    }

  private:
    // The prepared statement for this SQL, made on first use (callers hold m_mutex).
    SQLite::Statement& cached(const std::string& sql) {
        auto& slot = m_statements[sql];
        if (!slot) {
            slot = std::make_unique<SQLite::Statement>(m_db, sql);
        }
        return *slot;
    }

    Result<std::optional<SessionRecord>> session_where(const char* where, const std::string& v) {
        using R = std::optional<SessionRecord>;
        return guarded<R>("cannot read the session", [&]() -> Result<R> {
            Lease lease(cached(std::string("SELECT ") + k_session_columns +
                               " FROM login_sessions WHERE " + where));
            auto& q = *lease;
            q.bind(1, v);
            if (q.executeStep()) {
                return R(read_session(q));
            }
            return R();
        });
    }

    template <class T, class F> Result<T> guarded(const std::string& what, F&& fn) {
        std::lock_guard lock(m_mutex);
        try {
            return fn();
        } catch (const SQLite::Exception& e) {
            return store_error(what, e);
        }
    }
    template <class F> Status guarded_status(const std::string& what, F&& fn) {
        std::lock_guard lock(m_mutex);
        try {
            return fn();
        } catch (const SQLite::Exception& e) {
            return store_error(what, e);
        }
    }

    SQLite::Database m_db;
    std::map<std::string, std::unique_ptr<SQLite::Statement>> m_statements;
    // One connection shared by threads: a transaction holds the mutex until it ends, so
    // calls from other threads never land inside it.
    std::recursive_mutex m_mutex;
};

} // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, StoreOpen mode) {
    if (auto r = prepare_file(path, mode); !r.ok()) {
        return r.error();
    }
    try {
        return std::unique_ptr<Store>(std::make_unique<SqliteStore>(path));
    } catch (const SQLite::Exception& e) {
        return store_error("cannot open database " + path, e);
    } catch (const Failure& f) {
        return f.error();
    }
}

Status migrate_sqlite_file(const std::string& path, int version) {
    try {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000);
        apply_pragmas(db);
        migrate(db, version);
        return {};
    } catch (const SQLite::Exception& e) {
        return store_error("cannot migrate " + path, e);
    }
}

} // namespace twofa
