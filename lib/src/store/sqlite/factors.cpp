// App factors (offline TOTP) and recovery codes in SQLite, and the store's walk over every
// user and its audit pruning: the Store port's calls as SQL, called by SqliteStore.
#include "store/sqlite/sqlite_store.hpp"

#include <memory>
#include <sqlite3.h>

namespace twofa::sqlite {

void put_factor(SQLite::Database& db, const AppFactor& f) {
    SQLite::Statement q(db, std::string("INSERT OR REPLACE INTO app_factors (") +
                                store::k_factor_columns +
                                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, f.provider_user);
    q.bind(2, f.sealed);
    q.bind(3, f.key_id);
    q.bind(4, f.algorithm);
    q.bind(5, f.digits);
    q.bind(6, f.period);
    q.bind(7, f.window);
    q.bind(8, f.confirmed ? 1 : 0);
    q.bind(9, f.last_step);
    q.bind(10, f.created_at);
    q.bind(11, f.updated_at);
    q.exec();
}

std::vector<AppFactor> factors_where(SQLite::Database& db, const std::string* provider_user) {
    SQLite::Statement q(db, std::string("SELECT ") + store::k_factor_columns + " FROM app_factors" +
                                (provider_user != nullptr ? " WHERE provider_user = ?" : ""));
    if (provider_user != nullptr) {
        q.bind(1, *provider_user);
    }
    std::vector<AppFactor> out;
    while (q.executeStep()) {
        out.push_back(store::read_factor(Row{q}));
    }
    return out;
}

void delete_factor(SQLite::Database& db, const std::string& provider_user) {
    for (const char* table : {"app_factors", "recovery_codes"}) {
        SQLite::Statement q(db, std::string("DELETE FROM ") + table + " WHERE provider_user = ?");
        q.bind(1, provider_user);
        q.exec();
    }
}

bool claim_step(SQLite::Database& db, const std::string& provider_user, std::int64_t step) {
    SQLite::Statement q(db, "UPDATE app_factors SET last_step = ? "
                            "WHERE provider_user = ? AND last_step < ?");
    q.bind(1, step);
    q.bind(2, provider_user);
    q.bind(3, step);
    return q.exec() > 0;
}

void set_codes(SQLite::Database& db, const std::string& provider_user,
               const std::vector<std::string>& hashes) {
    SQLite::Statement del(db, "DELETE FROM recovery_codes WHERE provider_user = ?");
    del.bind(1, provider_user);
    del.exec();
    SQLite::Statement ins(db, "INSERT OR IGNORE INTO recovery_codes (provider_user, hash) "
                              "VALUES (?, ?)");
    for (const auto& h : hashes) {
        ins.bind(1, provider_user);
        ins.bind(2, h);
        ins.exec();
        ins.reset();
    }
}

bool use_code(SQLite::Database& db, const std::string& provider_user, const std::string& hash,
              std::int64_t now) {
    SQLite::Statement q(db, "UPDATE recovery_codes SET used_at = ? "
                            "WHERE provider_user = ? AND hash = ? AND used_at = 0");
    q.bind(1, now);
    q.bind(2, provider_user);
    q.bind(3, hash);
    return q.exec() > 0;
}

int codes_left(SQLite::Database& db, const std::string& provider_user) {
    SQLite::Statement q(db, "SELECT count(*) FROM recovery_codes "
                            "WHERE provider_user = ? AND used_at = 0");
    q.bind(1, provider_user);
    q.executeStep();
    return q.getColumn(0).getInt();
}

Status SqliteStore::put_app_factor(const AppFactor& f) {
    return guarded_status("cannot write the app factor", [&]() -> Status {
        put_factor(m_db, f);
        return {};
    });
}
Result<std::optional<AppFactor>> SqliteStore::find_app_factor(const std::string& user) {
    using R = std::optional<AppFactor>;
    return guarded<R>("cannot read the app factor", [&]() -> Result<R> {
        auto found = factors_where(m_db, &user);
        return found.empty() ? R() : R(std::move(found.front()));
    });
}
Result<std::vector<AppFactor>> SqliteStore::list_app_factors() {
    using R = std::vector<AppFactor>;
    return guarded<R>("cannot read the app factors",
                      [&]() -> Result<R> { return factors_where(m_db, nullptr); });
}
Status SqliteStore::delete_app_factor(const std::string& user) {
    return guarded_status("cannot remove the app factor", [&]() -> Status {
        delete_factor(m_db, user);
        return {};
    });
}
Result<bool> SqliteStore::claim_app_step(const std::string& user, std::int64_t step) {
    return guarded<bool>("cannot record the code",
                         [&]() -> Result<bool> { return claim_step(m_db, user, step); });
}
Status SqliteStore::set_recovery_codes(const std::string& user,
                                       const std::vector<std::string>& hashes) {
    return guarded_status("cannot write recovery codes", [&]() -> Status {
        set_codes(m_db, user, hashes);
        return {};
    });
}
Result<bool> SqliteStore::use_recovery_code(const std::string& user, const std::string& hash,
                                            std::int64_t now) {
    return guarded<bool>("cannot record the recovery code",
                         [&]() -> Result<bool> { return use_code(m_db, user, hash, now); });
}
Result<int> SqliteStore::recovery_codes_left(const std::string& user) {
    return guarded<int>("cannot read recovery codes",
                        [&]() -> Result<int> { return codes_left(m_db, user); });
}

namespace {

// A row of a statement stepped through SQLite's own API: each_user reads every column of every
// user, where SQLiteCpp's Column objects (a shared_ptr copy each) were a tenth of the listing.
struct RawRow {
    sqlite3_stmt* q;
    std::string text(int i) const { // NULL reads as ""
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(q, i));
        return p == nullptr ? std::string()
                            : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(q, i)));
    }
    std::int64_t int64(int i) const { return sqlite3_column_int64(q, i); }
};

} // namespace

Status SqliteStore::each_user(bool latest_session, const UserVisitor& fn) {
    return guarded_status("cannot list users", [&]() -> Status {
        sqlite3* db = m_db.getHandle();
        const std::string sql = store::users_sql(latest_session, "u.email");
        sqlite3_stmt* raw = nullptr;
        if (int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr); rc != SQLITE_OK) {
            throw SQLite::Exception(db, rc);
        }
        const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> q(raw, sqlite3_finalize);
        int rc = SQLITE_ROW;
        while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
            const bool has_session =
                sqlite3_column_type(q.get(), store::k_user_column_count) != SQLITE_NULL;
            TRY(store::visit_joined(RawRow{q.get()}, has_session, fn));
        }
        if (rc != SQLITE_DONE) {
            throw SQLite::Exception(db, rc);
        }
        return {};
    });
}

Result<std::int64_t> SqliteStore::prune_audit(std::int64_t before, int limit) {
    return guarded<std::int64_t>("cannot prune the audit trail", [&]() -> Result<std::int64_t> {
        SQLite::Statement q(m_db, "DELETE FROM audit_events WHERE id IN (SELECT id FROM "
                                  "audit_events WHERE at < ? ORDER BY id LIMIT ?)");
        q.bind(1, before);
        q.bind(2, limit);
        return static_cast<std::int64_t>(q.exec());
    });
}

} // namespace twofa::sqlite
