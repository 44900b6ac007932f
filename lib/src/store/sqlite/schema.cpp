// The SQLite schema: its migrations, in order, and how they are applied.
#include "store/sqlite/sqlite.hpp"

#include <sqlite3.h>

#include <array>
#include <chrono>
#include <mutex>
#include <thread>

namespace twofa::sqlite {

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
    // 4: provider-neutral: users and sessions name their provider and its user id; a
    //    session's challenge replaces the OneTouch uuid (existing rows are Authy's)
    R"sql(
ALTER TABLE users ADD COLUMN provider TEXT NOT NULL DEFAULT 'authy';
ALTER TABLE users ADD COLUMN provider_user TEXT NOT NULL DEFAULT '';
UPDATE users SET provider_user = CAST(authy_id AS TEXT);
DROP INDEX users_authy_id;
ALTER TABLE users DROP COLUMN authy_id;
CREATE INDEX users_provider_user ON users (provider, provider_user);
ALTER TABLE login_sessions ADD COLUMN provider TEXT NOT NULL DEFAULT 'authy';
ALTER TABLE login_sessions ADD COLUMN provider_user TEXT NOT NULL DEFAULT '';
UPDATE login_sessions SET provider_user =
    (SELECT users.provider_user FROM users WHERE users.id = login_sessions.user_id);
ALTER TABLE login_sessions RENAME COLUMN approval_uuid TO challenge;
)sql",
    // 5: offline TOTP: sealed app secrets, the last time step accepted, recovery codes
    R"sql(
CREATE TABLE app_factors (
    provider_user TEXT    PRIMARY KEY,
    sealed        TEXT    NOT NULL,
    key_id        TEXT    NOT NULL,
    algorithm     TEXT    NOT NULL,
    digits        INTEGER NOT NULL,
    period        INTEGER NOT NULL,
    window        INTEGER NOT NULL,
    confirmed     INTEGER NOT NULL DEFAULT 0,
    last_step     INTEGER NOT NULL DEFAULT -1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE TABLE recovery_codes (
    provider_user TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    used_at       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider_user, hash)
);
)sql",
    // 6: the Unix account a user's second factor guards (PAM, twofa gate)
    R"sql(
ALTER TABLE users ADD COLUMN unix_user TEXT;
CREATE UNIQUE INDEX users_unix_user ON users (unix_user);
)sql",
};

} // namespace

Error store_error(const std::string& what, const SQLite::Exception& e) {
    int code = e.getErrorCode();
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
        return make_error(Exit::store, what + ": the database is busy",
                          "another twofa process holds it; try again");
    }
    if (code == SQLITE_CONSTRAINT) {
        return make_error(Exit::conflict, what + ": it would clash with an existing row",
                          "a unique value is taken; choose another");
    }
    if (code == SQLITE_READONLY) {
        return make_error(Exit::store, what + ": the database is read-only", "check permissions");
    }
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
        return make_error(Exit::store, what + ": the database is corrupt",
                          "restore it from a backup");
    }
    return make_error(Exit::store, what + ": " + e.what(), "check the database's health");
}

void configure_library() {
    static std::once_flag once;
    std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

void apply_pragmas(SQLite::Database& db) {
    // Switching a new database to WAL reads its header, then upgrades to a write lock in the
    // same statement. SQLite answers SQLITE_BUSY at once, without the busy timeout, when
    // another process holds the write lock meanwhile (waiting could deadlock: that process
    // may need this one's read lock gone to commit), as when several processes create the
    // database together. So the switch is tried again, with no lock held in between, for as
    // long as the busy timeout would have waited.
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(k_busy_timeout_ms);
    for (;;) {
        try {
            db.exec("PRAGMA journal_mode = WAL");
            break;
        } catch (const SQLite::Exception& e) {
            if (e.getErrorCode() != SQLITE_BUSY || std::chrono::steady_clock::now() > give_up) {
                throw;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
}

Result<int> migrate(SQLite::Database& db, int target) {
    const int version = db.execAndGet("PRAGMA user_version").getInt();
    if (version > k_schema_version) {
        return make_error(Exit::store,
                          "the database has schema version " + std::to_string(version) +
                              ", newer than this twofa (" + std::to_string(k_schema_version) + ")",
                          "upgrade twofa");
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
    return version;
}

} // namespace twofa::sqlite

namespace twofa {

Status migrate_sqlite_file(const std::string& path, int version) {
    try {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                            sqlite::k_busy_timeout_ms);
        sqlite::apply_pragmas(db);
        TRY(sqlite::migrate(db, version));
        return {};
    } catch (const SQLite::Exception& e) {
        return sqlite::store_error("cannot migrate " + path, e);
    }
}

} // namespace twofa
