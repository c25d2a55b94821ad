#ifndef CAIRN_LIBPQ_H
#define CAIRN_LIBPQ_H

// libpq's types from the system headers (Debian: libpq-dev). The library itself is loaded when first needed
// (`cairn_pq_load`), not linked: it pulls in Kerberos, LDAP and GnuTLS, which cost every cairn command ~5 ms to
// load although only `audit verify` on PostgreSQL uses libpq. Call the `cairn_PQ...` functions below, never `PQ...`.
#include <postgresql/libpq-fe.h>

/// Loads libpq (once); NULL when it is ready, else why it is not (missing library or function).
const char *cairn_pq_load(void);

PGconn *cairn_PQconnectdbParams(const char *const *keywords, const char *const *values, int expandDBName);
ConnStatusType cairn_PQstatus(const PGconn *connection);
void cairn_PQfinish(PGconn *connection);
char *cairn_PQerrorMessage(const PGconn *connection);
PGresult *cairn_PQexec(PGconn *connection, const char *query);
ExecStatusType cairn_PQresultStatus(const PGresult *result);
char *cairn_PQresultErrorMessage(const PGresult *result);
void cairn_PQclear(PGresult *result);
int cairn_PQntuples(const PGresult *result);
int cairn_PQnfields(const PGresult *result);
char *cairn_PQgetvalue(const PGresult *result, int row, int field);
int cairn_PQgetCopyData(PGconn *connection, char **buffer, int async);
void cairn_PQfreemem(void *pointer);
PGresult *cairn_PQgetResult(PGconn *connection);

#endif
