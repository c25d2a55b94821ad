#include "CLibPQ.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define FUNCTIONS(X) X(PQconnectdbParams) X(PQstatus) X(PQfinish) X(PQerrorMessage) X(PQexec) X(PQresultStatus) \
    X(PQresultErrorMessage) X(PQclear) X(PQntuples) X(PQnfields) X(PQgetvalue) X(PQgetCopyData) X(PQfreemem) X(PQgetResult)

// __typeof__ does not evaluate its operand: naming a libpq function here makes no reference the linker must resolve.
#define POINTER(name) static __typeof__(&name) p_##name;
FUNCTIONS(POINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[512];
static int ready;

static void load(void) {
    void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(failure, sizeof failure, "cannot load libpq, PostgreSQL's client library (Debian: libpq5): %s", dlerror());
        return;
    }
#define RESOLVE(name)                                                                   \
    if (!(p_##name = (__typeof__(&name))dlsym(library, #name))) {                        \
        snprintf(failure, sizeof failure, "the libpq found has no %s; it is too old", #name); \
        return;                                                                           \
    }
    FUNCTIONS(RESOLVE)
    ready = 1;
}

const char *cairn_pq_load(void) {
    pthread_once(&once, load);
    return ready ? NULL : failure;
}

PGconn *cairn_PQconnectdbParams(const char *const *keywords, const char *const *values, int expandDBName) {
    return p_PQconnectdbParams(keywords, values, expandDBName);
}
ConnStatusType cairn_PQstatus(const PGconn *connection) { return p_PQstatus(connection); }
void cairn_PQfinish(PGconn *connection) { p_PQfinish(connection); }
char *cairn_PQerrorMessage(const PGconn *connection) { return p_PQerrorMessage(connection); }
PGresult *cairn_PQexec(PGconn *connection, const char *query) { return p_PQexec(connection, query); }
ExecStatusType cairn_PQresultStatus(const PGresult *result) { return p_PQresultStatus(result); }
char *cairn_PQresultErrorMessage(const PGresult *result) { return p_PQresultErrorMessage(result); }
void cairn_PQclear(PGresult *result) { p_PQclear(result); }
int cairn_PQntuples(const PGresult *result) { return p_PQntuples(result); }
int cairn_PQnfields(const PGresult *result) { return p_PQnfields(result); }
char *cairn_PQgetvalue(const PGresult *result, int row, int field) { return p_PQgetvalue(result, row, field); }
int cairn_PQgetCopyData(PGconn *connection, char **buffer, int async) { return p_PQgetCopyData(connection, buffer, async); }
void cairn_PQfreemem(void *pointer) { p_PQfreemem(pointer); }
PGresult *cairn_PQgetResult(PGconn *connection) { return p_PQgetResult(connection); }
