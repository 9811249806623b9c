/* report/report-db.c — the one SQLite database of DMARC reporting (issues 15, 16).
 *
 * SQLite (https://sqlite.org/wal.html, https://sqlite.org/pragma.html): WAL journal,
 * synchronous=FULL, busy timeout, BEGIN IMMEDIATE for every write transaction.
 * Migrations per module, versions in schema_version (see report-db.h).
 */
#include "report/report-db.h"

#include "engine/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(bimi-report-db-error-quark, bimi_report_db_error)

struct BimiReportDb {
  sqlite3 *db;
  char *path;
  GHashTable *statements; /* SQL text → sqlite3_stmt *, prepared once (bimi_report_db_prepare_cached()) */
};

gboolean
bimi_report_db_set_error(BimiReportDb *db, GError **error, const char *what)
{
  int code = sqlite3_extended_errcode(db->db) & 0xff;
  BimiReportDbError e;

  switch (code) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    e = BIMI_REPORT_DB_ERROR_BUSY;
    break;
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_CANTOPEN:
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
  case SQLITE_READONLY:
  case SQLITE_PERM:
    e = BIMI_REPORT_DB_ERROR_IO;
    break;
  default:
    e = BIMI_REPORT_DB_ERROR_INVALID;
    break;
  }
  g_set_error(error, BIMI_REPORT_DB_ERROR, e, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->db));
  return FALSE;
}

gboolean
bimi_report_db_exec(BimiReportDb *db, const char *sql, GError **error)
{
  g_return_val_if_fail(db != NULL && sql != NULL, FALSE);
  if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return bimi_report_db_set_error(db, error, "exec");
  return TRUE;
}

gboolean
bimi_report_db_begin(BimiReportDb *db, GError **error)
{
  g_return_val_if_fail(db != NULL, FALSE);
  if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return bimi_report_db_set_error(db, error, "begin transaction");
  return TRUE;
}

gboolean
bimi_report_db_commit(BimiReportDb *db, GError **error)
{
  g_return_val_if_fail(db != NULL, FALSE);
  if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    bimi_report_db_set_error(db, error, "commit");
    bimi_report_db_rollback(db);
    return FALSE;
  }
  return TRUE;
}

void
bimi_report_db_rollback(BimiReportDb *db)
{
  g_return_if_fail(db != NULL);
  if (!sqlite3_get_autocommit(db->db))
    (void) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3 *
bimi_report_db_handle(BimiReportDb *db)
{
  g_return_val_if_fail(db != NULL, NULL);
  return db->db;
}

const char *
bimi_report_db_path(BimiReportDb *db)
{
  g_return_val_if_fail(db != NULL, NULL);
  return db->path;
}

sqlite3_stmt *
bimi_report_db_prepare_cached(BimiReportDb *db, const char *sql, const char *what, GError **error)
{
  sqlite3_stmt *st;

  g_return_val_if_fail(db != NULL && sql != NULL && what != NULL, NULL);
  if (db->statements == NULL)
    db->statements = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  st = g_hash_table_lookup(db->statements, sql);
  if (st != NULL) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    g_autofree char *msg = g_strconcat("prepare ", what, NULL);
    bimi_report_db_set_error(db, error, msg);
    return NULL;
  }
  g_hash_table_insert(db->statements, g_strdup(sql), st);
  return st;
}

void
bimi_report_db_close(BimiReportDb *db)
{
  sqlite3_stmt *st;

  if (db == NULL)
    return;
  if (db->db != NULL) {
    while ((st = sqlite3_next_stmt(db->db, NULL)) != NULL)
      sqlite3_finalize(st); /* the cached statements too */
    sqlite3_close(db->db);
  }
  if (db->statements != NULL)
    g_hash_table_unref(db->statements);
  g_free(db->path);
  g_free(db);
}

/* Creates @path with mode 0640 when it does not exist, so that SQLite (which
 * would use 0644) and its -wal/-shm files (which copy the main file's mode)
 * never expose the recorded addresses to every local user. */
static gboolean
create_private(const char *path, GError **error)
{
  int fd = g_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd >= 0) {
    close(fd);
    return TRUE;
  }
  if (errno == EEXIST)
    return TRUE;
  g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_IO, "%s: cannot create the database: %s", path,
              g_strerror(errno));
  return FALSE;
}

BimiReportDb *
bimi_report_db_open(const char *path, GError **error)
{
  g_autoptr(BimiReportDb) db = NULL;
  sqlite3_stmt *st = NULL;
  const unsigned char *mode;
  int rc;

  g_return_val_if_fail(path != NULL, NULL);
  (void) bimi_report_db_error_quark();
  if (*path == '\0') {
    g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID, "empty database path");
    return NULL;
  }
  if (!create_private(path, error))
    return NULL;

  db = g_new0(BimiReportDb, 1);
  db->path = g_strdup(path);
  rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    if (db->db == NULL) {
      g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_IO, "%s: cannot open: %s", path,
                  sqlite3_errstr(rc));
      return NULL;
    }
    bimi_report_db_set_error(db, error, "open");
    return NULL;
  }
  sqlite3_extended_result_codes(db->db, 1);
  sqlite3_busy_timeout(db->db, (int) BIMI_REPORT_DB_BUSY_TIMEOUT_MS);

  /* journal_mode answers with the mode in force: "wal", or the old mode when the
   * change was refused (another connection in rollback mode, read-only media). */
  if (sqlite3_prepare_v2(db->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK) {
    bimi_report_db_set_error(db, error, "set WAL journal");
    return NULL;
  }
  rc = sqlite3_step(st);
  mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
  if (mode == NULL || g_ascii_strcasecmp((const char *) mode, "wal") != 0) {
    if (rc != SQLITE_ROW)
      bimi_report_db_set_error(db, error, "set WAL journal");
    else
      g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_IO,
                  "%s: the WAL journal was refused (journal mode %s)", path, mode ? (const char *) mode : "?");
    sqlite3_finalize(st);
    return NULL;
  }
  sqlite3_finalize(st);

  if (!bimi_report_db_exec(db,
                           "PRAGMA synchronous=FULL;"
                           "PRAGMA foreign_keys=ON;"
                           "CREATE TABLE IF NOT EXISTS schema_version ("
                           "  module TEXT PRIMARY KEY NOT NULL,"
                           "  version INTEGER NOT NULL CHECK (version >= 0)"
                           ") STRICT;",
                           error))
    return NULL;
  return g_steal_pointer(&db);
}

static gboolean
module_name_is_valid(const char *m)
{
  gsize n = m != NULL ? strlen(m) : 0;
  if (n == 0 || n > BIMI_REPORT_DB_MAX_MODULE_BYTES)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_islower(m[i]) || g_ascii_isdigit(m[i]) || m[i] == '_'))
      return FALSE;
  return TRUE;
}

gboolean
bimi_report_db_get_version(BimiReportDb *db, const char *module, gint64 *version_out, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc;

  g_return_val_if_fail(db != NULL && module != NULL && version_out != NULL, FALSE);
  if (sqlite3_prepare_v2(db->db, "SELECT version FROM schema_version WHERE module = ?1", -1, &st, NULL) != SQLITE_OK)
    return bimi_report_db_set_error(db, error, "read schema_version");
  sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *version_out = sqlite3_column_int64(st, 0);
  else if (rc == SQLITE_DONE)
    *version_out = 0;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return bimi_report_db_set_error(db, error, "read schema_version");
  return TRUE;
}

gboolean
bimi_report_db_migrate(BimiReportDb *db, const BimiReportDbSchema *schema, GError **error)
{
  gint64 version = 0;

  g_return_val_if_fail(db != NULL && schema != NULL, FALSE);
  g_return_val_if_fail(schema->n_migrations == 0 || schema->migrations != NULL, FALSE);
  if (!module_name_is_valid(schema->module)) {
    g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID,
                "schema module name \"%s\" is not 1..%u of [a-z0-9_]", schema->module ? schema->module : "",
                BIMI_REPORT_DB_MAX_MODULE_BYTES);
    return FALSE;
  }

  /* Cheap check without the write lock: nothing to do in the common case. */
  if (!bimi_report_db_get_version(db, schema->module, &version, error))
    return FALSE;
  if (version == (gint64) schema->n_migrations)
    return TRUE;

  for (;;) {
    sqlite3_stmt *st = NULL;
    char *errmsg = NULL;
    int rc;

    if (!bimi_report_db_begin(db, error))
      return FALSE;
    /* Again under the lock: another process may have migrated meanwhile. */
    if (!bimi_report_db_get_version(db, schema->module, &version, error)) {
      bimi_report_db_rollback(db);
      return FALSE;
    }
    if (version > (gint64) schema->n_migrations) {
      bimi_report_db_rollback(db);
      g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_SCHEMA,
                  "%s: module \"%s\" is at schema version %" G_GINT64_FORMAT
                  ", newer than this program knows (%" G_GSIZE_FORMAT ")",
                  db->path, schema->module, version, schema->n_migrations);
      return FALSE;
    }
    if (version == (gint64) schema->n_migrations) {
      bimi_report_db_rollback(db);
      return TRUE;
    }
    if (sqlite3_exec(db->db, schema->migrations[version], NULL, NULL, &errmsg) != SQLITE_OK) {
      g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_SCHEMA,
                  "%s: module \"%s\" migration to version %" G_GINT64_FORMAT " failed: %s", db->path,
                  schema->module, version + 1, errmsg ? errmsg : sqlite3_errmsg(db->db));
      sqlite3_free(errmsg);
      bimi_report_db_rollback(db);
      return FALSE;
    }
    rc = sqlite3_prepare_v2(db->db,
                            "INSERT INTO schema_version (module, version) VALUES (?1, ?2) "
                            "ON CONFLICT (module) DO UPDATE SET version = excluded.version",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_text(st, 1, schema->module, -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 2, version + 1);
      rc = sqlite3_step(st);
      sqlite3_finalize(st);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
      bimi_report_db_set_error(db, error, "write schema_version");
      bimi_report_db_rollback(db);
      return FALSE;
    }
    if (!bimi_report_db_commit(db, error))
      return FALSE;
  }
}

void
bimi_report_db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s != NULL)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

sqlite3_stmt *
bimi_report_db_prepare(BimiReportDb *db, const char *sql, const char *what, GError **error)
{
  sqlite3_stmt *st = NULL;

  g_return_val_if_fail(db != NULL && sql != NULL, NULL);
  if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
    bimi_report_db_set_error(db, error, what);
    return NULL;
  }
  return st;
}

gboolean
bimi_report_db_finish(BimiReportDb *db, sqlite3_stmt *st, int rc, const char *what, GError **error)
{
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return bimi_report_db_set_error(db, error, what);
  return TRUE;
}
