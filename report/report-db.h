/* report/report-db.h — the one SQLite database of DMARC reporting (issues 15 and 16).
 *
 * One database file holds what the receiver records for the aggregate reports it
 * sends (issue 15: evaluations, built reports, the sent-log) and what it ingests
 * from the reports others send (issue 16). Each module owns its tables and brings
 * them up to date through an ordered list of migrations:
 *
 *   static const char *const my_migrations[] = {
 *     "CREATE TABLE ingest_report (...);",          // version 1
 *     "ALTER TABLE ingest_report ADD COLUMN x;",    // version 2, appended later
 *   };
 *   static const BimiReportDbSchema my_schema = {
 *     "ingest", my_migrations, G_N_ELEMENTS(my_migrations) };
 *   bimi_report_db_migrate(db, &my_schema, &error);
 *
 * The table schema_version (module TEXT PRIMARY KEY, version INTEGER) records, per
 * module, how many migrations ran. bimi_report_db_migrate() runs the missing ones in
 * order, each in its own BEGIN IMMEDIATE transaction together with the version bump,
 * so two processes opening the same file at once never run one twice and a crash
 * leaves either the old or the new version. Migrations are append-only: never edit
 * or reorder a released one. A database whose version for a module is higher than
 * the migrations this program knows is refused (BIMI_REPORT_DB_ERROR_SCHEMA): an
 * older program must not write into a newer schema.
 *
 * The connection: WAL journal (readers never block the writer, a crash — even
 * SIGKILL — rolls back to the last commit), synchronous=FULL (a committed sent-log
 * row survives power loss, so a report is never sent twice), foreign keys on, a busy
 * timeout of BIMI_REPORT_DB_BUSY_TIMEOUT_MS for the other process's write lock.
 *
 * Threads: a BimiReportDb is one SQLite connection; use it from one thread at a
 * time (open one per thread: the recorder's writer thread has its own).
 */
#ifndef BIMI_REPORT_DB_H
#define BIMI_REPORT_DB_H

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define BIMI_REPORT_DB_ERROR (bimi_report_db_error_quark())
GQuark bimi_report_db_error_quark(void);

/** Why a database operation could not be carried out. */
typedef enum {
  BIMI_REPORT_DB_ERROR_IO,      /**< the file cannot be opened, read or written; disk full; not a database */
  BIMI_REPORT_DB_ERROR_BUSY,    /**< another connection held the lock past the busy timeout */
  BIMI_REPORT_DB_ERROR_SCHEMA,  /**< a migration failed, or the database is newer than this program */
  BIMI_REPORT_DB_ERROR_INVALID, /**< an input is unusable (bad module name, SQL that does not prepare) */
} BimiReportDbError;

typedef struct BimiReportDb BimiReportDb;

/**
 * BimiReportDbSchema:
 * @module: the owner's name: 1..32 of [a-z0-9_] ("report", "ingest")
 * @migrations: SQL scripts (one or more statements each); migration i brings the
 *   module from version i to version i + 1
 * @n_migrations: how many; the module's current version
 *
 * A module's tables, as an append-only list of migrations. Static data.
 */
typedef struct {
  const char *module;
  const char *const *migrations;
  gsize n_migrations;
} BimiReportDbSchema;

/**
 * bimi_report_db_open:
 * @path: the database file (created with mode 0640 when missing — SQLite gives its
 *   -wal and -shm files the same mode; the directory must exist)
 * @error: BIMI_REPORT_DB_ERROR_IO (cannot open or create, not a database, WAL
 *   refused — e.g. a read-only directory), _BUSY, _SCHEMA (schema_version unusable)
 *
 * Opens @path read-write, sets WAL, synchronous=FULL, foreign_keys and the busy
 * timeout, and creates the schema_version table. Runs no module's migrations: each
 * module calls bimi_report_db_migrate() with its schema.
 *
 * Returns: (transfer full): the connection, or NULL with @error.
 */
BimiReportDb *bimi_report_db_open(const char *path, GError **error);

/**
 * bimi_report_db_close:
 * @db: (nullable) (transfer full): the connection
 *
 * Finalizes the statements the database still owns and closes the connection
 * (the last connection to close checkpoints the WAL into the main file).
 */
void bimi_report_db_close(BimiReportDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiReportDb, bimi_report_db_close)

/**
 * bimi_report_db_migrate:
 * @db: the connection
 * @schema: the module's migrations
 * @error: BIMI_REPORT_DB_ERROR_INVALID (bad module name), _SCHEMA (a migration
 *   failed: the message names the module, the version and SQLite's text; or the
 *   database already has a higher version than @schema knows), _BUSY, _IO
 *
 * Runs the migrations of @schema that the database has not seen, in order, each
 * in one BEGIN IMMEDIATE transaction with its schema_version row. Idempotent.
 *
 * Returns: TRUE when the module's tables are at version @schema->n_migrations.
 */
gboolean bimi_report_db_migrate(BimiReportDb *db, const BimiReportDbSchema *schema, GError **error);

/**
 * bimi_report_db_get_version:
 * @db: the connection
 * @module: a module name
 * @version_out: (out): the module's version, 0 when it has none yet
 * @error: BIMI_REPORT_DB_ERROR_IO, _BUSY
 *
 * Returns: TRUE when @version_out is set.
 */
gboolean bimi_report_db_get_version(BimiReportDb *db, const char *module, gint64 *version_out, GError **error);

/**
 * bimi_report_db_handle:
 * @db: the connection
 *
 * Returns: (transfer none): the SQLite connection, for the module's own prepared
 * statements (sqlite3_prepare_v2 and friends); valid until bimi_report_db_close().
 */
sqlite3 *bimi_report_db_handle(BimiReportDb *db);

/**
 * bimi_report_db_path:
 * @db: the connection
 *
 * Returns: (transfer none): the path the database was opened with.
 */
const char *bimi_report_db_path(BimiReportDb *db);

/**
 * bimi_report_db_exec:
 * @db: the connection
 * @sql: one or more SQL statements without parameters
 * @error: BIMI_REPORT_DB_ERROR_BUSY, _IO, _INVALID (the statement failed otherwise)
 *
 * Returns: TRUE when every statement ran.
 */
gboolean bimi_report_db_exec(BimiReportDb *db, const char *sql, GError **error);

/**
 * bimi_report_db_begin:
 * @db: the connection
 * @error: BIMI_REPORT_DB_ERROR_BUSY, _IO
 *
 * BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy timeout), so a
 * read-then-write transaction never fails half-way with SQLITE_BUSY. End it with
 * bimi_report_db_commit() or bimi_report_db_rollback().
 *
 * Returns: TRUE when the transaction is open.
 */
gboolean bimi_report_db_begin(BimiReportDb *db, GError **error);

/**
 * bimi_report_db_commit:
 * @db: the connection
 * @error: BIMI_REPORT_DB_ERROR_BUSY, _IO (then the transaction is rolled back)
 *
 * Returns: TRUE when the transaction is durable.
 */
gboolean bimi_report_db_commit(BimiReportDb *db, GError **error);

/**
 * bimi_report_db_rollback:
 * @db: the connection
 *
 * Rolls back the open transaction, if any (never fails: SQLite rolls back on close too).
 */
void bimi_report_db_rollback(BimiReportDb *db);

/**
 * bimi_report_db_prepare_cached:
 * @db: the connection
 * @sql: one SQL statement (transfer none)
 * @what: what it does ("insert evaluation"), for the error message
 * @error: BIMI_REPORT_DB_ERROR_* (bimi_report_db_set_error()) when it cannot be prepared
 *
 * The statement @sql prepared once per connection (SQLITE_PREPARE_PERSISTENT) and kept
 * until bimi_report_db_close(): from the second call on it is reset with its bindings
 * cleared, not compiled again (issue 21: a prepare per recorded evaluation was half the
 * recorder's CPU). Reset it (sqlite3_reset) after its last step; never finalize it.
 * Like the connection, for one thread at a time.
 *
 * Returns: (transfer none) (nullable): the statement, ready to bind.
 */
sqlite3_stmt *bimi_report_db_prepare_cached(BimiReportDb *db, const char *sql, const char *what, GError **error);

/**
 * bimi_report_db_set_error:
 * @db: the connection
 * @error: (nullable): set from the connection's last SQLite error
 * @what: what was being done ("insert evaluation"), for the message
 *
 * Maps the last SQLite result code to BIMI_REPORT_DB_ERROR_BUSY (SQLITE_BUSY,
 * SQLITE_LOCKED), _IO (SQLITE_IOERR, _FULL, _CANTOPEN, _CORRUPT, _NOTADB, _READONLY,
 * _PERM) or _INVALID (everything else); the message is "<path>: <what>: <sqlite text>".
 * For modules that run their own statements.
 *
 * Returns: FALSE, so that `return bimi_report_db_set_error(...)` reads well.
 */
gboolean bimi_report_db_set_error(BimiReportDb *db, GError **error, const char *what);

/**
 * bimi_report_db_bind_text:
 * @st: a prepared statement
 * @i: the 1-based parameter index
 * @s: (nullable): the text (copied by SQLite: SQLITE_TRANSIENT); NULL binds SQL NULL
 *
 * Binds an optional text column, the way every report table stores an absent value.
 */
void bimi_report_db_bind_text(sqlite3_stmt *st, int i, const char *s);

/**
 * bimi_report_db_prepare:
 * @db: the connection
 * @sql: one SQL statement (transfer none)
 * @what: what it does ("group evaluations"), for the error message
 * @error: BIMI_REPORT_DB_ERROR_* (bimi_report_db_set_error()) when it cannot be prepared
 *
 * A statement of its own for a query run once (a statement run per evaluation is
 * bimi_report_db_prepare_cached()'s): sqlite3_finalize() it, or end it with
 * bimi_report_db_finish() after its last step.
 *
 * Returns: (transfer full) (nullable): the statement, ready to bind.
 */
sqlite3_stmt *bimi_report_db_prepare(BimiReportDb *db, const char *sql, const char *what, GError **error);

/**
 * bimi_report_db_finish:
 * @db: the connection
 * @st: (transfer full): a statement of bimi_report_db_prepare() stepped to its end; finalized here
 * @rc: the result code of its last sqlite3_step()
 * @what: what it did, for the error message
 * @error: BIMI_REPORT_DB_ERROR_* (bimi_report_db_set_error()) when @rc is not SQLITE_DONE
 *
 * Finalizes @st and checks that its steps ran to the end.
 *
 * Returns: TRUE when @rc is SQLITE_DONE.
 */
gboolean bimi_report_db_finish(BimiReportDb *db, sqlite3_stmt *st, int rc, const char *what, GError **error);

G_END_DECLS

#endif /* BIMI_REPORT_DB_H */
