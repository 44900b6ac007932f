#pragma once
// The PostgreSQL backend's internal pieces: a libpq connection that throws, its results and
// parameters, the schema. libpq and every PostgreSQL SQL string live under
// lib/src/store/postgres/.
#include "store/records.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <unordered_map>

namespace twofa::pg {

// A failed statement or a lost connection. sqlstate is empty when libpq had no server error.
class PgError : public std::runtime_error {
  public:
    PgError(const std::string& message, std::string sqlstate, bool connection_lost)
        : std::runtime_error(message), m_sqlstate(std::move(sqlstate)),
          m_connection_lost(connection_lost) {}
    const std::string& sqlstate() const { return m_sqlstate; }
    bool connection_lost() const { return m_connection_lost; }

  private:
    std::string m_sqlstate;
    bool m_connection_lost;
};

// A PgError as a twofa Error: unreachable or busy servers are Exit::store, unique clashes
// Exit::conflict. `where` names the server for people.
Error store_error(const std::string& what, const PgError& e, const std::string& where);

struct ResultFree {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultFree>;

// Text parameters $1…$n; nullopt is NULL.
class Params {
  public:
    Params& text(std::string v) {
        m_values.emplace_back(std::move(v));
        return *this;
    }
    Params& int64(std::int64_t v) { return text(std::to_string(v)); }
    Params& text_or_null(const std::string& v) { // NULL for "" (UNIQUE columns)
        v.empty() ? m_values.emplace_back() : m_values.emplace_back(v);
        return *this;
    }
    Params& value(const CellValue& v) {
        m_values.push_back(v);
        return *this;
    }
    const std::vector<CellValue>& values() const { return m_values; }

  private:
    std::vector<CellValue> m_values;
};

// Row `row` of a result, for the shared readers.
struct Row {
    const PGresult* r;
    int row;
    std::string text(int i) const { return PQgetvalue(r, row, i); } // NULL reads as ""
    std::int64_t int64(int i) const { return std::strtoll(PQgetvalue(r, row, i), nullptr, 10); }
};

// One libpq connection. Throws PgError.
class Connection {
  public:
    // Checks the URL (Exit::config) and connects (Exit::store).
    static Result<std::unique_ptr<Connection>> open(const std::string& url);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Statements with parameters run prepared (once per connection).
    PgResult exec(const std::string& sql, const Params& params = {});
    // Reconnects when the connection was lost (a server restart): a call after a failure
    // finds a working connection again or throws.
    void ensure_open();
    PGconn* raw() const { return m_conn; }
    const std::string& url() const { return m_url; }

  private:
    Connection(PGconn* conn, std::string url) : m_conn(conn), m_url(std::move(url)) {}
    void set_up(); // per connection: notices discarded, the lock timeout
    // The name of sql prepared on this connection (prepared on first use).
    const std::string& prepared(const std::string& sql, int params);
    [[noreturn]] void fail(const PgResult& r); // the failed result (or connection) as PgError
    PGconn* m_conn;
    std::string m_url;
    // Statements with parameters are parsed and planned once per connection; a reconnect
    // starts the list again.
    std::unordered_map<std::string, std::string> m_prepared;
};

// Rows a command touched (UPDATE, DELETE, INSERT).
inline long affected(const PgResult& r) {
    return std::strtol(PQcmdTuples(r.get()), nullptr, 10);
}

// The advisory lock every write transaction takes first: writers run one at a time, as
// SQLite's IMMEDIATE transactions do, so every read-check-write keeps SQLite's guarantees.
inline constexpr const char* k_write_lock = "SELECT pg_advisory_xact_lock(7420183)";

// The NOTIFY channel of the change feed.
inline constexpr const char* k_channel = "twofa_change";

// Creates twofa_schema and runs the migrations up to `target` (one transaction, under the
// write lock); the version found. Exit::store for a newer database, or (may_create false)
// one without a twofa schema.
Result<int> migrate(Connection& c, int target, bool may_create);

// The current version (health).
int schema_version(Connection& c);

// The change feed: NOTIFY on publish, LISTEN on a connection of its own per waiter.
Result<std::unique_ptr<ChangeWaiter>> subscribe(const std::string& url);

// db copy's reads and writes of whole rows.
TableRows read_rows(Connection& c, const std::string& table, const std::string& key,
                    std::int64_t offset, int limit);
void write_rows(Connection& c, const std::string& table, const std::string& key,
                const TableRows& rows);

} // namespace twofa::pg
