// libpq's functions that twofa calls, forwarded to the library loaded on first use
// (util/lazy_library.hpp): only a PostgreSQL store pays for loading it.
#include "store/postgres/pg.hpp"
#include "util/lazy_library.hpp"

namespace {
twofa::detail::LazyLibrary g_libpq("libpq.so.5", "libpq5");
} // namespace

twofa::Status twofa::detail::load_libpq() {
    return g_libpq.load();
}

extern "C" {

TWOFA_FORWARDER void PQclear(PGresult* res) {
    TWOFA_LAZY(g_libpq, PQclear);
    real(res);
}
TWOFA_FORWARDER char* PQcmdTuples(PGresult* res) {
    TWOFA_LAZY(g_libpq, PQcmdTuples);
    return real(res);
}
TWOFA_FORWARDER PGconn* PQconnectdbParams(const char* const* keywords, const char* const* values,
                                          int expand) {
    TWOFA_LAZY(g_libpq, PQconnectdbParams);
    return real(keywords, values, expand);
}
TWOFA_FORWARDER void PQconninfoFree(PQconninfoOption* options) {
    TWOFA_LAZY(g_libpq, PQconninfoFree);
    real(options);
}
TWOFA_FORWARDER PQconninfoOption* PQconninfoParse(const char* conninfo, char** errmsg) {
    TWOFA_LAZY(g_libpq, PQconninfoParse);
    return real(conninfo, errmsg);
}
TWOFA_FORWARDER int PQconsumeInput(PGconn* conn) {
    TWOFA_LAZY(g_libpq, PQconsumeInput);
    return real(conn);
}
TWOFA_FORWARDER char* PQerrorMessage(const PGconn* conn) {
    TWOFA_LAZY(g_libpq, PQerrorMessage);
    return real(conn);
}
TWOFA_FORWARDER PGresult* PQexec(PGconn* conn, const char* query) {
    TWOFA_LAZY(g_libpq, PQexec);
    return real(conn, query);
}
TWOFA_FORWARDER PGresult* PQexecPrepared(PGconn* conn, const char* name, int n,
                                         const char* const* values, const int* lengths,
                                         const int* formats, int result_format) {
    TWOFA_LAZY(g_libpq, PQexecPrepared);
    return real(conn, name, n, values, lengths, formats, result_format);
}
TWOFA_FORWARDER void PQfinish(PGconn* conn) {
    TWOFA_LAZY(g_libpq, PQfinish);
    real(conn);
}
TWOFA_FORWARDER char* PQfname(const PGresult* res, int field) {
    TWOFA_LAZY(g_libpq, PQfname);
    return real(res, field);
}
TWOFA_FORWARDER void PQfreemem(void* ptr) {
    TWOFA_LAZY(g_libpq, PQfreemem);
    real(ptr);
}
TWOFA_FORWARDER int PQgetisnull(const PGresult* res, int row, int field) {
    TWOFA_LAZY(g_libpq, PQgetisnull);
    return real(res, row, field);
}
TWOFA_FORWARDER char* PQgetvalue(const PGresult* res, int row, int field) {
    TWOFA_LAZY(g_libpq, PQgetvalue);
    return real(res, row, field);
}
TWOFA_FORWARDER int PQnfields(const PGresult* res) {
    TWOFA_LAZY(g_libpq, PQnfields);
    return real(res);
}
TWOFA_FORWARDER PGnotify* PQnotifies(PGconn* conn) {
    TWOFA_LAZY(g_libpq, PQnotifies);
    return real(conn);
}
TWOFA_FORWARDER int PQntuples(const PGresult* res) {
    TWOFA_LAZY(g_libpq, PQntuples);
    return real(res);
}
TWOFA_FORWARDER PGresult* PQprepare(PGconn* conn, const char* name, const char* query, int n,
                                    const Oid* types) {
    TWOFA_LAZY(g_libpq, PQprepare);
    return real(conn, name, query, n, types);
}
TWOFA_FORWARDER void PQreset(PGconn* conn) {
    TWOFA_LAZY(g_libpq, PQreset);
    real(conn);
}
TWOFA_FORWARDER char* PQresultErrorField(const PGresult* res, int code) {
    TWOFA_LAZY(g_libpq, PQresultErrorField);
    return real(res, code);
}
TWOFA_FORWARDER char* PQresultErrorMessage(const PGresult* res) {
    TWOFA_LAZY(g_libpq, PQresultErrorMessage);
    return real(res);
}
TWOFA_FORWARDER ExecStatusType PQresultStatus(const PGresult* res) {
    TWOFA_LAZY(g_libpq, PQresultStatus);
    return real(res);
}
TWOFA_FORWARDER int PQserverVersion(const PGconn* conn) {
    TWOFA_LAZY(g_libpq, PQserverVersion);
    return real(conn);
}
TWOFA_FORWARDER PQnoticeProcessor PQsetNoticeProcessor(PGconn* conn, PQnoticeProcessor proc,
                                                       void* arg) {
    TWOFA_LAZY(g_libpq, PQsetNoticeProcessor);
    return real(conn, proc, arg);
}
TWOFA_FORWARDER int PQsocket(const PGconn* conn) {
    TWOFA_LAZY(g_libpq, PQsocket);
    return real(conn);
}
TWOFA_FORWARDER ConnStatusType PQstatus(const PGconn* conn) {
    TWOFA_LAZY(g_libpq, PQstatus);
    return real(conn);
}

} // extern "C"
