#include <sqlite3.h>

/* sqlite3_db_config is variadic, which Swift cannot call. Leaves the WAL for the next writer's
   automatic checkpoint instead of checkpointing (and syncing the database file twice) when the
   last connection closes: a short command's close cost two of its three fsyncs. */
static inline int governance_sqlite_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
