#pragma once
// The store port: users, login sessions and the audit trail, and the change feed that wakes
// a waiting login. Backends live under lib/src/store/<name>/ and are chosen by the db
// setting's scheme (open_store): SQLite (one host) and PostgreSQL (several).
#include <twofa/provider.hpp>
#include <twofa/result.hpp>
#include <twofa/session.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace twofa {

struct UserRecord {
    std::int64_t id = 0;
    std::string email;
    std::string name;
    int country_code = 0;
    std::string phone;         // digits only
    std::string provider;      // the second-factor provider that enrolled the user
    std::string provider_user; // the provider's id for the user (opaque)
    std::string password_hash; // empty: no password (imported without one)
    SessionState status = SessionState::unverified; // mirrors the latest session
    int failed_logins = 0;
    std::int64_t locked_until = 0; // unix seconds; 0 when not locked
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    // Wrong second-factor codes in a row, across sessions (a new login does not reset it;
    // a correct code, an approved push or `user unlock` does).
    int code_failures = 0;
    // No code is checked and no login started before this (unix seconds): back-off, or a
    // lock (k_locked_for_good until an administrator unlocks).
    std::int64_t code_locked_until = 0;
    // The Unix account whose logins (PAM, twofa gate) this user's second factor guards; ""
    // for none. Unique.
    std::string unix_user;
};

// code_locked_until of a user locked until an administrator unlocks it.
inline constexpr std::int64_t k_locked_for_good = 253402300799; // 9999-12-31

// A login session. The id itself is never stored: id_hash is its SHA-256 (hex).
struct SessionRecord {
    std::int64_t id = 0;
    std::string id_hash;
    std::int64_t user_id = 0;
    std::string provider; // the provider and its user id, as when the session began
    std::string provider_user;
    Channel method = Channel::sms;
    SessionState status = SessionState::unverified;
    std::string challenge;        // the provider's handle (a push request), empty for codes
    int attempts = 0;             // wrong codes, and checks out at the provider (in flight)
    int checks_in_flight = 0;     // of those, checks not answered yet: a lease each
    std::int64_t lease_until = 0; // when in-flight checks lapse (their process died)
    int sends = 0;                // codes sent
    std::int64_t last_send_at = 0;
    std::int64_t created_at = 0;
    std::int64_t expires_at = 0;
    std::int64_t updated_at = 0;
};

// Audit events of one kind and outcome since some time, for summaries.
struct AuditCount {
    std::string event;
    std::string outcome;
    std::int64_t count = 0;
};

struct AuditEvent {
    std::int64_t at = 0;
    std::string event;   // "user.add", "login.password", ...
    std::string email;   // may be empty
    std::string session; // hashed session id, may be empty
    std::string outcome; // "ok", "denied", ...
    std::string detail;  // never a secret
};

// A factor set up with an app secret (offline TOTP), kept for its provider: the secret only
// sealed, its parameters, and the last time step accepted.
struct AppFactor {
    std::string provider_user;
    std::string sealed; // the secret, sealed with the provider's key (hex)
    std::string key_id; // which key sealed it
    std::string algorithm = "sha1";
    int digits = 6;
    int period = 30;
    int window = 1;
    bool confirmed = false;      // a first code was accepted: the factor counts
    std::int64_t last_step = -1; // codes of this time step or an earlier one are refused
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

// Newest schema version; PRAGMA user_version (SQLite) or the twofa_schema table (PostgreSQL)
// holds the version of a database. Both backends have the same migrations, step by step.
inline constexpr int k_schema_version = 6;

// The schema version a database had when this process opened it, and has now.
struct SchemaVersions {
    int found = 0;
    int now = 0;
};

// Rows of one table, every value as text (nullopt: NULL), for copying between backends.
using CellValue = std::optional<std::string>;
struct TableRows {
    std::vector<std::string> columns;
    std::vector<std::vector<CellValue>> rows;
};

// A waiting login's subscription to the store's change feed: fd() becomes readable after a
// writer published a change, and only once that change's commit is visible to readers.
class ChangeWaiter {
  public:
    virtual ~ChangeWaiter() = default;
    // A descriptor for poll(2); -1 when the backend cannot signal (the caller polls slowly).
    virtual int fd() const = 0;
    // Consumes the pending signals.
    virtual void drain() = 0;
};

// Receives each audit event once it is durable (syslog, the journal).
using AuditSink = std::function<void(const AuditEvent&)>;

class Store {
  public:
    virtual ~Store() = default;

    // The sink sees every audit event written through this store once it is durable: after
    // the commit of the transaction that wrote it (never for one rolled back), or at once
    // outside a transaction.
    virtual void set_audit_sink(AuditSink sink) = 0;

    // The change feed. publish_change is called after a commit that a waiting login cares
    // about (the listener's writer, after each batch): it wakes every subscriber of this
    // database, in any process. (SQLite: a FIFO per waiter in <db>-notify.d/; PostgreSQL:
    // NOTIFY, delivered only after commit by the server itself.)
    virtual void publish_change() = 0;
    virtual Result<std::unique_ptr<ChangeWaiter>> subscribe() = 0;

    // Inserts a user; Exit::conflict when the email (case-insensitively) exists.
    virtual Result<std::int64_t> insert_user(const UserRecord& user) = 0;
    // The user with this email (case-insensitive), or nullopt.
    virtual Result<std::optional<UserRecord>> find_user(const std::string& email) = 0;
    // Every user, ordered by email, one at a time, with its newest session when
    // latest_session (nullopt: none, and always without): one query, in memory one page of rows
    // whatever the number of users. fn's error stops it.
    using UserVisitor = std::function<Status(UserRecord&&, std::optional<SessionRecord>&&)>;
    virtual Status each_user(bool latest_session, const UserVisitor& fn) = 0;
    // Deletes a user and its sessions; false when there was none.
    virtual Result<bool> delete_user(const std::string& email) = 0;
    // The user guarding this Unix account, or nullopt.
    virtual Result<std::optional<UserRecord>> find_user_by_unix(const std::string& unix_user) = 0;
    // Writes status, lockout fields, password hash, Unix user and updated_at of an existing
    // user (Exit::conflict when another user has that Unix user).
    virtual Status update_user(const UserRecord& user) = 0;
    // Writes only status and updated_at of an existing user (its latest session's status):
    // the user's indexed columns untouched, so fewer pages to write.
    virtual Status update_user_status(const UserRecord& user) { return update_user(user); }
    // The user with this row id, or nullopt.
    virtual Result<std::optional<UserRecord>> find_user_by_id(std::int64_t id) = 0;

    // Inserts a session; its row id.
    virtual Result<std::int64_t> insert_session(const SessionRecord& session) = 0;
    // The session whose id hashes to id_hash, or nullopt.
    virtual Result<std::optional<SessionRecord>> find_session(const std::string& id_hash) = 0;
    // The user's newest session, or nullopt.
    virtual Result<std::optional<SessionRecord>> latest_session(std::int64_t user_id) = 0;
    // What a push result needs, read at once: the session waiting on this provider's
    // challenge, its user (nullopt when gone) and the id of the user's newest session (0 for
    // none), which the session's new state is mirrored to when it is that one.
    struct PushTarget {
        SessionRecord session;
        std::optional<UserRecord> user;
        std::int64_t latest_session_id = 0;
    };
    // One query (the listener's writer runs it for every callback).
    virtual Result<std::optional<PushTarget>> find_push_target(const std::string& provider,
                                                               const std::string& handle) = 0;
    // Writes method, status, challenge, counters and times of an existing session.
    virtual Status update_session(const SessionRecord& session) = 0;
    // Writes only status, expires_at and updated_at: a state change of a session read in the
    // same transaction (a push result), without touching its indexed challenge.
    virtual Status update_session_state(const SessionRecord& session) {
        return update_session(session);
    }

    // App factors (offline TOTP) and their recovery codes (keyed hashes), by provider user.
    // Inserts or replaces the user's factor.
    virtual Status put_app_factor(const AppFactor& factor) = 0;
    virtual Result<std::optional<AppFactor>> find_app_factor(const std::string& provider_user) = 0;
    // Every factor (key rotation).
    virtual Result<std::vector<AppFactor>> list_app_factors() = 0;
    // Deletes the factor and its recovery codes.
    virtual Status delete_app_factor(const std::string& provider_user) = 0;
    // Records time step `step` as used, in one statement: true when it is later than every
    // step accepted before, false when it (or a later one) was (a reused code).
    virtual Result<bool> claim_app_step(const std::string& provider_user, std::int64_t step) = 0;
    // Replaces the user's recovery codes with these hashes.
    virtual Status set_recovery_codes(const std::string& provider_user,
                                      const std::vector<std::string>& hashes) = 0;
    // Marks an unused code used, in one statement: true when there was one.
    virtual Result<bool> use_recovery_code(const std::string& provider_user,
                                           const std::string& hash, std::int64_t now) = 0;
    virtual Result<int> recovery_codes_left(const std::string& provider_user) = 0;

    // Appends to the audit trail.
    virtual Status audit(const AuditEvent& event) = 0;
    // The newest audit events, newest first.
    virtual Result<std::vector<AuditEvent>> recent_audit(int limit) = 0;
    // Counts of audit events at or after `since`, by event and outcome.
    virtual Result<std::vector<AuditCount>> audit_counts(std::int64_t since) = 0;
    // Deletes up to `limit` audit events older than `before` (unix seconds), oldest first, in
    // one short transaction; how many it deleted.
    virtual Result<std::int64_t> prune_audit(std::int64_t before, int limit) = 0;
    // Runs fn in one IMMEDIATE transaction; commits when it succeeds, rolls back otherwise.
    virtual Status transaction(const std::function<Status()>& fn) = 0;
    // Runs fn's reads in one read-only transaction: one consistent view, and no write lock,
    // so writers (a listener) go on meanwhile. A write in it fails.
    virtual Status snapshot(const std::function<Status()>& fn) = 0;
    // Reachable, intact (SQLite's quick_check) and at the current schema version.
    virtual Status check_health() = 0;
    // For a long-running writer (the listener): housekeeping that would stall a commit is
    // done on a thread of its own (SQLite: WAL checkpoints), and the pages it reads are kept
    // (SQLite: a 16 MiB page cache). Nothing for other backends.
    virtual void upkeep_in_background() {}

    // Where the store is, for people: the path, or the URL (which never holds a password).
    virtual std::string describe() const = 0;
    // What a health check adds: "schema 6, mode 0600" or "schema 6, PostgreSQL 15.18".
    virtual std::string health_detail() const = 0;
    virtual SchemaVersions schema_versions() const = 0;

    // db copy. Up to `limit` rows of `table` (a name from the backend's schema) from `offset`,
    // in the order of `key` (its primary key columns).
    virtual Result<TableRows> read_table(const std::string& table, const std::string& key,
                                         std::int64_t offset, int limit) = 0;
    // Inserts the rows, overwriting any with the same key; identity counters move past them.
    virtual Status write_table(const std::string& table, const std::string& key,
                               const TableRows& rows) = 0;
};

// Whether opening a store may create it. Only commands that write may; read-only ones must
// never leave an empty database behind and report success on it.
enum class StoreOpen {
    existing,            // Exit::store when there is no database
    create,              // create the file (0600); its folder must exist
    create_with_folders, // also create missing folders (the default XDG location), the last 0700
};

// Opens the store the db setting names: a path or sqlite:///path (SQLite), or
// postgresql://… / postgres://… (PostgreSQL, open_postgres_store). Exit::config for a scheme
// no backend serves. The rest as open_sqlite_store.
Result<std::unique_ptr<Store>> open_store(const std::string& location, StoreOpen mode);

// Opens and migrates a SQLite store. Exit::config when the file is readable by group/others,
// Exit::store when it is missing (existing) or its folder is (create), or for SQLite failures.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 StoreOpen mode = StoreOpen::create_with_folders);

// Connects to PostgreSQL (libpq; the URL's parameters such as sslmode and passfile apply) and
// migrates. Exit::config for a malformed URL or one carrying a password (credentials come
// from a password file: passfile=, PGPASSFILE or ~/.pgpass), Exit::store when the server
// cannot be reached or, for `existing`, holds no twofa schema.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url, StoreOpen mode);

// Test hook: creates or migrates a database file only up to `version`.
Status migrate_sqlite_file(const std::string& path, int version);

} // namespace twofa
