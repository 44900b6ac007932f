// The PostgreSQL store: app factors and recovery codes, the audit trail, and whole rows for
// db copy.
#include "store/postgres/pg_store.hpp"

namespace twofa::pg {

namespace {

const std::string k_factors =
    std::string("SELECT ") + store::k_factor_columns + " FROM app_factors ";

AppFactor factor_of(const Row& r) {
    return store::read_factor(r);
}

// "name" for an identifier from the schema (a column of a table this backend made).
std::string quoted(const std::string& name) {
    return "\"" + name + "\"";
}

} // namespace

Status PgStore::put_app_factor(const AppFactor& f) {
    return write<void>("cannot write the app factor", [&]() -> Status {
        m_conn->exec(std::string("INSERT INTO app_factors (") + store::k_factor_columns +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                         "ON CONFLICT (provider_user) DO UPDATE SET sealed = excluded.sealed, "
                         "key_id = excluded.key_id, algorithm = excluded.algorithm, "
                         "digits = excluded.digits, period = excluded.period, "
                         "\"window\" = excluded.\"window\", confirmed = excluded.confirmed, "
                         "last_step = excluded.last_step, created_at = excluded.created_at, "
                         "updated_at = excluded.updated_at",
                     Params()
                         .text(f.provider_user)
                         .text(f.sealed)
                         .text(f.key_id)
                         .text(f.algorithm)
                         .int64(f.digits)
                         .int64(f.period)
                         .int64(f.window)
                         .int64(f.confirmed ? 1 : 0)
                         .int64(f.last_step)
                         .int64(f.created_at)
                         .int64(f.updated_at));
        return {};
    });
}

Result<std::optional<AppFactor>> PgStore::find_app_factor(const std::string& user) {
    return one<AppFactor>("cannot read the app factor", k_factors + "WHERE provider_user = $1",
                          Params().text(user), factor_of);
}

Result<std::vector<AppFactor>> PgStore::list_app_factors() {
    using R = std::vector<AppFactor>;
    return guarded<R>("cannot read the app factors", [&]() -> Result<R> {
        auto r = m_conn->exec(k_factors);
        R out;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            out.push_back(store::read_factor(Row{r.get(), i}));
        }
        return out;
    });
}

Status PgStore::delete_app_factor(const std::string& user) {
    return write<void>("cannot remove the app factor", [&]() -> Status {
        for (const char* table : {"app_factors", "recovery_codes"}) {
            m_conn->exec(std::string("DELETE FROM ") + table + " WHERE provider_user = $1",
                         Params().text(user));
        }
        return {};
    });
}

Result<bool> PgStore::claim_app_step(const std::string& user, std::int64_t step) {
    return write<bool>("cannot record the code", [&]() -> Result<bool> {
        auto r = m_conn->exec("UPDATE app_factors SET last_step = $1 "
                              "WHERE provider_user = $2 AND last_step < $1",
                              Params().int64(step).text(user));
        return affected(r) > 0;
    });
}

Status PgStore::set_recovery_codes(const std::string& user,
                                   const std::vector<std::string>& hashes) {
    return write<void>("cannot write recovery codes", [&]() -> Status {
        m_conn->exec("DELETE FROM recovery_codes WHERE provider_user = $1", Params().text(user));
        for (const auto& h : hashes) {
            m_conn->exec("INSERT INTO recovery_codes (provider_user, hash) VALUES ($1, $2) "
                         "ON CONFLICT DO NOTHING",
                         Params().text(user).text(h));
        }
        return {};
    });
}

Result<bool> PgStore::use_recovery_code(const std::string& user, const std::string& hash,
                                        std::int64_t now) {
    return write<bool>("cannot record the recovery code", [&]() -> Result<bool> {
        auto r = m_conn->exec("UPDATE recovery_codes SET used_at = $1 "
                              "WHERE provider_user = $2 AND hash = $3 AND used_at = 0",
                              Params().int64(now).text(user).text(hash));
        return affected(r) > 0;
    });
}

Result<int> PgStore::recovery_codes_left(const std::string& user) {
    return guarded<int>("cannot read recovery codes", [&]() -> Result<int> {
        auto r = m_conn->exec("SELECT count(*) FROM recovery_codes "
                              "WHERE provider_user = $1 AND used_at = 0",
                              Params().text(user));
        return static_cast<int>(Row{r.get(), 0}.int64(0));
    });
}

Status PgStore::audit(const AuditEvent& e) {
    // Writes run in a transaction (the caller's or their own), whose commit sends the event.
    return write<void>("cannot write the audit trail", [&]() -> Status {
        m_conn->exec(
            "INSERT INTO audit_events (at, event, email, session, outcome, detail) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            Params().int64(e.at).text(e.event).text(e.email).text(e.session).text(e.outcome).text(
                e.detail));
        m_unsent_audit.push_back(e);
        return {};
    });
}

Result<std::int64_t> PgStore::prune_audit(std::int64_t before, int limit) {
    return write<std::int64_t>("cannot prune the audit trail", [&]() -> Result<std::int64_t> {
        auto r = m_conn->exec("DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events "
                              "WHERE at < $1 ORDER BY id LIMIT $2)",
                              Params().int64(before).int64(limit));
        return static_cast<std::int64_t>(affected(r));
    });
}

Result<std::vector<AuditEvent>> PgStore::recent_audit(int limit) {
    using R = std::vector<AuditEvent>;
    return guarded<R>("cannot read the audit trail", [&]() -> Result<R> {
        auto r = m_conn->exec("SELECT at, event, email, session, outcome, detail FROM "
                              "audit_events ORDER BY id DESC LIMIT $1",
                              Params().int64(limit));
        R out;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            out.push_back(store::read_audit(Row{r.get(), i}));
        }
        return out;
    });
}

Result<std::vector<AuditCount>> PgStore::audit_counts(std::int64_t since) {
    using R = std::vector<AuditCount>;
    return guarded<R>("cannot read the audit trail", [&]() -> Result<R> {
        auto r = m_conn->exec("SELECT event, outcome, COUNT(*) FROM audit_events WHERE at >= $1 "
                              "GROUP BY event, outcome ORDER BY event, outcome",
                              Params().int64(since));
        R out;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            Row row{r.get(), i};
            out.push_back(AuditCount{row.text(0), row.text(1), row.int64(2)});
        }
        return out;
    });
}

Result<TableRows> PgStore::read_table(const std::string& table, const std::string& key,
                                      std::int64_t offset, int limit) {
    return guarded<TableRows>("cannot read " + table, [&]() -> Result<TableRows> {
        auto r = m_conn->exec("SELECT * FROM " + table + " ORDER BY " + key + " LIMIT $1 OFFSET $2",
                              Params().int64(limit).int64(offset));
        TableRows out;
        const int columns = PQnfields(r.get());
        for (int c = 0; c < columns; ++c) {
            out.columns.emplace_back(PQfname(r.get(), c));
        }
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            auto& row = out.rows.emplace_back();
            for (int c = 0; c < columns; ++c) {
                row.push_back(PQgetisnull(r.get(), i, c) != 0
                                  ? CellValue()
                                  : CellValue(PQgetvalue(r.get(), i, c)));
            }
        }
        return out;
    });
}

Status PgStore::write_table(const std::string& table, const std::string& key,
                            const TableRows& rows) {
    return write<void>("cannot write " + table, [&]() -> Status {
        std::string names;
        std::string marks;
        std::string updates;
        for (std::size_t i = 0; i < rows.columns.size(); ++i) {
            const std::string q = quoted(rows.columns[i]);
            names += (i == 0 ? "" : ", ") + q;
            marks += (i == 0 ? "$" : ", $") + std::to_string(i + 1);
            updates += (i == 0 ? "" : ", ") + q + " = excluded." + q;
        }
        const std::string sql = "INSERT INTO " + table + " (" + names + ") VALUES (" + marks +
                                ") ON CONFLICT (" + key + ") DO UPDATE SET " + updates;
        for (const auto& row : rows.rows) {
            Params p;
            for (const auto& v : row) {
                p.value(v);
            }
            m_conn->exec(sql, p);
        }
        if (key == "id") { // the identity continues after the copied rows
            m_conn->exec("SELECT setval(pg_get_serial_sequence('" + table +
                         "', 'id'), GREATEST((SELECT max(id) FROM " + table + "), 1))");
        }
        return {};
    });
}

} // namespace twofa::pg
