/* tests/test-report-db.c — report/report-db: the SQLite file, WAL, migrations per module. */
#include "report/report-db.h"
#include "engine/limits.h"
#include "tests/lib/data.h"
#include "tests/lib/net.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define QUERY_INT(db, sql) bimi_test_sqlite_int(bimi_report_db_handle(db), (sql))

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fx_setup(Fixture *fx, gconstpointer data)
{
  fx->dir = bimi_test_make_tmpdir("test-report-db-XXXXXX");
  fx->path = g_build_filename(fx->dir, "reports.sqlite", NULL);
}

static void
fx_teardown(Fixture *fx, gconstpointer data)
{
  bimi_test_remove_tree(fx->dir);
  g_free(fx->path);
  g_free(fx->dir);
}

static char *
query_text(BimiReportDb *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  char *v;
  g_assert_cmpint(sqlite3_prepare_v2(bimi_report_db_handle(db), sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  v = g_strdup((const char *) sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return v;
}

static const char *const alpha_v2[] = {
  "CREATE TABLE alpha (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
  "ALTER TABLE alpha ADD COLUMN note TEXT; INSERT INTO alpha (name, note) VALUES ('one', 'v2');",
};
static const BimiReportDbSchema alpha1 = { "alpha", alpha_v2, 1 };
static const BimiReportDbSchema alpha2 = { "alpha", alpha_v2, 2 };

static void
test_open_wal(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) db = bimi_report_db_open(fx->path, &error);
  g_autofree char *mode = NULL;
  GStatBuf st;

  g_assert_no_error(error);
  mode = query_text(db, "PRAGMA journal_mode");
  g_assert_cmpstr(mode, ==, "wal");
  g_assert_cmpint(QUERY_INT(db, "PRAGMA synchronous"), ==, 2); /* FULL */
  g_assert_cmpint(QUERY_INT(db, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint(QUERY_INT(db, "SELECT count(*) FROM schema_version"), ==, 0);
  g_assert_cmpstr(bimi_report_db_path(db), ==, fx->path);
  g_assert_cmpint(g_stat(fx->path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0640);
}

static void
test_migrate_in_order(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 v = -1;
  {
    g_autoptr(BimiReportDb) db = bimi_report_db_open(fx->path, &error);
    g_assert_no_error(error);
    g_assert_true(bimi_report_db_get_version(db, "alpha", &v, &error));
    g_assert_cmpint(v, ==, 0);
    g_assert_true(bimi_report_db_migrate(db, &alpha1, &error));
    g_assert_no_error(error);
    g_assert_true(bimi_report_db_get_version(db, "alpha", &v, &error));
    g_assert_cmpint(v, ==, 1);
    /* Idempotent. */
    g_assert_true(bimi_report_db_migrate(db, &alpha1, &error));
    g_assert_cmpint(QUERY_INT(db, "SELECT count(*) FROM pragma_table_info('alpha')"), ==, 2);
  }
  {
    /* A later program appends migration 2: only it runs. */
    g_autoptr(BimiReportDb) db = bimi_report_db_open(fx->path, &error);
    g_assert_no_error(error);
    g_assert_true(bimi_report_db_migrate(db, &alpha2, &error));
    g_assert_no_error(error);
    g_assert_true(bimi_report_db_get_version(db, "alpha", &v, &error));
    g_assert_cmpint(v, ==, 2);
    g_assert_cmpint(QUERY_INT(db, "SELECT count(*) FROM pragma_table_info('alpha')"), ==, 3);
    g_assert_cmpint(QUERY_INT(db, "SELECT count(*) FROM alpha WHERE note = 'v2'"), ==, 1);
    g_assert_true(bimi_report_db_migrate(db, &alpha2, &error));
    g_assert_cmpint(QUERY_INT(db, "SELECT count(*) FROM alpha"), ==, 1);
  }
  {
    /* An older program (knows version 1 only) refuses the newer database. */
    g_autoptr(BimiReportDb) db = bimi_report_db_open(fx->path, &error);
    g_assert_no_error(error);
    g_assert_false(bimi_report_db_migrate(db, &alpha1, &error));
    g_assert_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_SCHEMA);
    g_assert_nonnull(strstr(error->message, "newer than this program"));
  }
}

static void
test_two_modules(Fixture *fx, gconstpointer data)
{
  static const char *const beta_m[] = { "CREATE TABLE beta (x INTEGER);" };
  static const BimiReportDbSchema beta = { "beta", beta_m, 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) db = bimi_report_db_open(fx->path, &error);
  gint64 v = 0;

  g_assert_true(bimi_report_db_migrate(db, &alpha2, &error));
  g_assert_true(bimi_report_db_migrate(db, &beta, &error));
  g_assert_no_error(error);
  g_assert_cmpint(QUERY_INT(db, "SELECT count(*) FROM schema_version"), ==, 2);
  g_assert_true(bimi_report_db_get_version(db, "beta", &v, &error));
  g_assert_cmpint(v, ==, 1);
}

static void
test_failed_migration_rolls_back(Fixture *fx, gconstpointer data)
{
  static const char *const bad[] = {
    "CREATE TABLE gamma (x INTEGER);",
    "CREATE TABLE gamma_two (y INTEGER); INSERT INTO no_such_table VALUES (1);",
  };
  static const BimiReportDbSchema gamma = { "gamma", bad, 2 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) db = bimi_report_db_open(fx->path, &error);
  gint64 v = -1;

  g_assert_false(bimi_report_db_migrate(db, &gamma, &error));
  g_assert_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_SCHEMA);
  g_assert_nonnull(strstr(error->message, "\"gamma\" migration to version 2"));
  g_assert_nonnull(strstr(error->message, "no_such_table"));
  g_clear_error(&error);
  /* Version 1 stays; nothing of the failed version 2 remains. */
  g_assert_true(bimi_report_db_get_version(db, "gamma", &v, &error));
  g_assert_cmpint(v, ==, 1);
  g_assert_cmpint(QUERY_INT(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'gamma'"), ==, 1);
  g_assert_cmpint(QUERY_INT(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'gamma_two'"), ==, 0);
}

static void
test_module_name(Fixture *fx, gconstpointer data)
{
  static const char *const m[] = { "SELECT 1;" };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) db = bimi_report_db_open(fx->path, &error);
  g_autofree char *longest = g_strnfill(BIMI_REPORT_DB_MAX_MODULE_BYTES, 'a');
  g_autofree char *too_long = g_strnfill(BIMI_REPORT_DB_MAX_MODULE_BYTES + 1, 'a');
  BimiReportDbSchema s = { longest, m, 1 };

  g_assert_true(bimi_report_db_migrate(db, &s, &error));
  g_assert_no_error(error);
  s.module = too_long;
  g_assert_false(bimi_report_db_migrate(db, &s, &error));
  g_assert_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID);
  g_clear_error(&error);
  s.module = "Ingest";
  g_assert_false(bimi_report_db_migrate(db, &s, &error));
  g_assert_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "\"Ingest\""));
}

static void
test_not_a_database(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) db = NULL;
  g_autofree char *missing = g_build_filename(fx->dir, "no", "such", "dir", "x.sqlite", NULL);

  g_assert_true(g_file_set_contents(fx->path, "this is not an SQLite database, not at all, really.\n", -1, NULL));
  db = bimi_report_db_open(fx->path, &error);
  g_assert_null(db);
  g_assert_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_IO);
  g_assert_nonnull(strstr(error->message, fx->path));
  g_clear_error(&error);

  db = bimi_report_db_open(missing, &error);
  g_assert_null(db);
  g_assert_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_IO);
  g_assert_nonnull(strstr(error->message, missing));
}

/* BIMI_REPORT_DB_BUSY_TIMEOUT_MS: a writer waits for another connection's write
 * lock, and gives up with _BUSY when it is held past the timeout. */
typedef struct {
  BimiReportDb *holder;
  guint release_after_ms;
} Holder;

static gpointer
release_later(gpointer data)
{
  Holder *h = data;
  g_usleep(h->release_after_ms * 1000);
  bimi_report_db_rollback(h->holder);
  return NULL;
}

static void
test_busy_timeout(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) a = bimi_report_db_open(fx->path, &error);
  g_autoptr(BimiReportDb) b = bimi_report_db_open(fx->path, &error);
  Holder h = { a, 300 };
  GThread *t;
  gint64 t0, waited_ms;

  g_assert_no_error(error);
  g_assert_cmpint(QUERY_INT(b, "PRAGMA busy_timeout"), ==, BIMI_REPORT_DB_BUSY_TIMEOUT_MS);

  /* Released while b waits: b gets the lock. */
  g_assert_true(bimi_report_db_begin(a, &error));
  t = g_thread_new("holder", release_later, &h);
  g_assert_true(bimi_report_db_begin(b, &error));
  g_assert_no_error(error);
  g_thread_join(t);
  bimi_report_db_rollback(b);

  /* Held throughout: _BUSY once the timeout has passed. */
  g_assert_true(bimi_report_db_begin(a, &error));
  t0 = g_get_monotonic_time();
  g_assert_false(bimi_report_db_begin(b, &error));
  waited_ms = (g_get_monotonic_time() - t0) / 1000;
  g_assert_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_BUSY);
  g_test_message("busy: gave up after %" G_GINT64_FORMAT " ms (timeout %u ms)", waited_ms,
                 BIMI_REPORT_DB_BUSY_TIMEOUT_MS);
  bimi_report_db_rollback(a);
}

/* A cached statement is compiled once per connection and handed out reset, its
 * bindings cleared; bimi_report_db_close() finalizes it. */
static void
test_prepare_cached(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) db = bimi_report_db_open(fx->path, &error);
  static const char sql[] = "SELECT ?1 + 1";
  sqlite3_stmt *first, *again;

  g_assert_no_error(error);
  first = bimi_report_db_prepare_cached(db, sql, "add one", &error);
  g_assert_no_error(error);
  g_assert_nonnull(first);
  sqlite3_bind_int(first, 1, 41);
  g_assert_cmpint(sqlite3_step(first), ==, SQLITE_ROW);
  g_assert_cmpint(sqlite3_column_int(first, 0), ==, 42);
  /* the same text from another buffer: the same statement, reset, unbound (NULL + 1 is NULL) */
  g_autofree char *copy = g_strdup(sql);
  again = bimi_report_db_prepare_cached(db, copy, "add one", &error);
  g_assert_true(again == first);
  g_assert_cmpint(sqlite3_step(again), ==, SQLITE_ROW);
  g_assert_cmpint(sqlite3_column_type(again, 0), ==, SQLITE_NULL);
  sqlite3_reset(again);
  g_assert_true(sqlite3_next_stmt(bimi_report_db_handle(db), NULL) == first);
  g_assert_null(sqlite3_next_stmt(bimi_report_db_handle(db), first));
  /* SQL that does not compile: an error naming what it was for */
  g_assert_null(bimi_report_db_prepare_cached(db, "SELECT FROM nowhere", "a broken query", &error));
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "prepare a broken query"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fx_setup, fn, fx_teardown)
  ADD("/report-db/open/wal", test_open_wal);
  ADD("/report-db/open/not-a-database", test_not_a_database);
  ADD("/report-db/migrate/in-order", test_migrate_in_order);
  ADD("/report-db/migrate/two-modules", test_two_modules);
  ADD("/report-db/migrate/failure-rolls-back", test_failed_migration_rolls_back);
  ADD("/report-db/limit/module-name", test_module_name);
  ADD("/report-db/limit/busy-timeout", test_busy_timeout);
  ADD("/report-db/prepare-cached", test_prepare_cached);
  return g_test_run();
}
