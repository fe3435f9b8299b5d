/* store_attempts.c — how many times each task was started (the attempt
 * number recorded with its row). */
#include "store_internal.h"

int dln_store_attempt_start(dln_store *s, const char *cell_hash,
                            int seed_index, int *attempt)
{
    int own, ok = 0;
    *attempt = 1;
    if (dln_store_txn_begin(s, &own))
        return 1;
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_ATTEMPT,
                                      "INSERT INTO attempts(cell_hash,"
                                      " seed_index, n) VALUES (?1, ?2, 1) "
                                      "ON CONFLICT(cell_hash, seed_index) "
                                      "DO UPDATE SET n = n + 1 RETURNING n");
    if (st) {
        sqlite3_bind_text(st, 1, cell_hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, seed_index);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *attempt = sqlite3_column_int(st, 0);
            ok = sqlite3_step(st) == SQLITE_DONE;
        }
        if (!ok)
            dln_store_fail(s, "count attempt");
        sqlite3_reset(st);
    }
    return dln_store_txn_end(s, own, ok);
}

int dln_store_attempt_count(dln_store *s, const char *cell_hash,
                            int seed_index, int *n)
{
    int rc;
    *n = 0;
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_ATTEMPT_COUNT,
                                      "SELECT n FROM attempts WHERE "
                                      "cell_hash = ?1 AND seed_index = ?2");
    if (!st)
        return 1;
    sqlite3_bind_text(st, 1, cell_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, seed_index);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int(st, 0);
    else if (rc != SQLITE_DONE)
        dln_store_fail(s, "read attempts");
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : 1;
}
