// The libpq connection: the URL checked before use, statements that throw PgError, and a
// reconnect after the server went away.
#include "store/postgres/pg.hpp"
#include "util/lazy_library.hpp"

#include <twofa/validate.hpp>

namespace twofa::pg {

namespace {

// libpq's messages end in a newline and may run over several lines: the first, printable.
std::string first_line(const char* message) {
    std::string m = message == nullptr ? "" : message;
    m = m.substr(0, m.find('\n'));
    return strip_control(m);
}

void discard_notice(void* /*unused*/, const char* /*message*/) {}

struct OptionsFree {
    void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

Status check_url(const std::string& url) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, OptionsFree> options(PQconninfoParse(url.c_str(), &error));
    if (!options) {
        std::string why = first_line(error);
        PQfreemem(error);
        return make_error(Exit::config, "the db URL is not a PostgreSQL URL: " + why,
                          "write postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full");
    }
    for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
        if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') {
            return make_error(Exit::config, "the db URL carries a password",
                              "put it in a 0600 password file: passfile=PATH in the URL, "
                              "PGPASSFILE, or ~/.pgpass");
        }
    }
    return {};
}

} // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::string& url) {
    TRY(detail::load_libpq());
    TRY(check_url(url));
    // Earlier keywords are defaults the URL's own parameters override.
    const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
    const char* values[] = {"5", "twofa", url.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 1);
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
        std::string why = conn == nullptr ? "out of memory" : first_line(PQerrorMessage(conn));
        PQfinish(conn);
        return make_error(Exit::store,
                          "cannot connect to PostgreSQL at " + strip_control(url) + ": " + why,
                          "check that the server runs and accepts this user; the password "
                          "comes from a password file (PGPASSFILE, ~/.pgpass)");
    }
    std::unique_ptr<Connection> c(new Connection(conn, url));
    try {
        c->set_up();
    } catch (const PgError& e) {
        return store_error("cannot set up the connection", e, url);
    }
    return c;
}

Connection::~Connection() {
    PQfinish(m_conn);
}

void Connection::set_up() {
    m_prepared.clear();
    PQsetNoticeProcessor(m_conn, discard_notice, nullptr);
    // A writer waits for the write lock as long as SQLite's busy timeout, then fails.
    exec("SET lock_timeout = '5s'");
}

void Connection::ensure_open() {
    if (PQstatus(m_conn) == CONNECTION_OK) {
        return;
    }
    PQreset(m_conn);
    if (PQstatus(m_conn) != CONNECTION_OK) {
        throw PgError("the server is unreachable: " + first_line(PQerrorMessage(m_conn)), "", true);
    }
    set_up();
}

PgResult Connection::exec(const std::string& sql, const Params& params) {
    ensure_open();
    const auto& values = params.values();
    std::vector<const char*> raw;
    raw.reserve(values.size());
    for (const auto& v : values) {
        raw.push_back(v ? v->c_str() : nullptr);
    }
    // Without parameters, PQexec: a migration is several statements.
    PgResult r(raw.empty()
                   ? PQexec(m_conn, sql.c_str())
                   : PQexecPrepared(m_conn, prepared(sql, static_cast<int>(raw.size())).c_str(),
                                    static_cast<int>(raw.size()), raw.data(), nullptr, nullptr, 0));
    ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail(r);
    }
    return r;
}

void Connection::fail(const PgResult& r) {
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    throw PgError(first_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(m_conn)),
                  state == nullptr ? "" : state, PQstatus(m_conn) != CONNECTION_OK);
}

const std::string& Connection::prepared(const std::string& sql, int params) {
    auto found = m_prepared.find(sql);
    if (found != m_prepared.end()) {
        return found->second;
    }
    std::string name = "twofa_" + std::to_string(m_prepared.size());
    PgResult r(PQprepare(m_conn, name.c_str(), sql.c_str(), params, nullptr));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        fail(r);
    }
    return m_prepared.emplace(sql, std::move(name)).first->second;
}

Error store_error(const std::string& what, const PgError& e, const std::string& where) {
    const std::string& s = e.sqlstate();
    auto cls = s.substr(0, 2);
    if (e.connection_lost() || cls == "08" || s.rfind("57P", 0) == 0) {
        return make_error(Exit::store,
                          what + ": PostgreSQL at " + strip_control(where) + " is unreachable (" +
                              e.what() + ")",
                          "check that the server runs; commands retry when run again");
    }
    if (cls == "23") {
        return make_error(Exit::conflict, what + ": it would clash with an existing row",
                          "a unique value is taken; choose another");
    }
    if (s == "40001" || s == "40P01" || s == "55P03") {
        return make_error(Exit::store, what + ": the database is busy", "try again");
    }
    if (s == "42P01") {
        return make_error(Exit::store, what + ": the database has no twofa schema",
                          "run twofa db migrate");
    }
    return make_error(Exit::store, what + ": " + e.what(), "check the database's health");
}

} // namespace twofa::pg
