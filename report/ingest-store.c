/* report/ingest-store.c — received aggregate reports in SQLite (issue 16).
 *
 * RFC 9990 §3.1.1 (report_id unique per org_name), RFC 7489 Appendix C. The
 * schema is the "ingest" module's migrations in report/report-db; a report is
 * one BEGIN IMMEDIATE transaction (INSERT OR IGNORE of the report row decides
 * "duplicate" under the write lock, so two ingest processes never store a
 * report twice).
 */
#include "report/ingest-store.h"

#include <sqlite3.h>

static const char *const ingest_migrations[] = {
  /* version 1 */
  "CREATE TABLE ingest_report ("
  "  id INTEGER PRIMARY KEY,"
  "  org_name TEXT NOT NULL,"
  "  report_id TEXT NOT NULL,"
  "  email TEXT, extra_contact_info TEXT, generator TEXT, version TEXT, xml_namespace TEXT,"
  "  begin_time INTEGER NOT NULL, end_time INTEGER NOT NULL,"
  "  policy_domain TEXT NOT NULL,"
  "  adkim TEXT, aspf TEXT, p TEXT NOT NULL, sp TEXT, np TEXT, pct INTEGER, fo TEXT, testing TEXT,"
  "  discovery_method TEXT, version_published TEXT,"
  "  errors TEXT,"
  "  message_count INTEGER NOT NULL,"
  "  source TEXT NOT NULL,"
  "  ingested_at INTEGER NOT NULL,"
  "  UNIQUE (org_name, report_id));"
  "CREATE INDEX ingest_report_domain ON ingest_report (policy_domain, begin_time);"
  "CREATE TABLE ingest_record ("
  "  id INTEGER PRIMARY KEY,"
  "  report INTEGER NOT NULL REFERENCES ingest_report(id) ON DELETE CASCADE,"
  "  source_ip TEXT NOT NULL,"
  "  count INTEGER NOT NULL,"
  "  disposition TEXT NOT NULL, dkim TEXT NOT NULL, spf TEXT NOT NULL,"
  "  header_from TEXT NOT NULL, envelope_from TEXT, envelope_to TEXT);"
  "CREATE INDEX ingest_record_report ON ingest_record (report);"
  "CREATE TABLE ingest_reason ("
  "  record INTEGER NOT NULL REFERENCES ingest_record(id) ON DELETE CASCADE,"
  "  type TEXT NOT NULL, comment TEXT);"
  "CREATE INDEX ingest_reason_record ON ingest_reason (record);"
  "CREATE TABLE ingest_auth_result ("
  "  record INTEGER NOT NULL REFERENCES ingest_record(id) ON DELETE CASCADE,"
  "  method TEXT NOT NULL CHECK (method IN ('dkim', 'spf')),"
  "  domain TEXT NOT NULL, selector TEXT, scope TEXT, result TEXT NOT NULL, human_result TEXT);"
  "CREATE INDEX ingest_auth_result_record ON ingest_auth_result (record);",
};

static const BimiReportDbSchema ingest_schema = { "ingest", ingest_migrations, G_N_ELEMENTS(ingest_migrations) };

gboolean
bimi_ingest_store_migrate(BimiReportDb *db, GError **error)
{
  return bimi_report_db_migrate(db, &ingest_schema, error);
}

/* Runs a bound statement that returns no rows; resets it for the next use. */
static gboolean
step_done(BimiReportDb *db, sqlite3_stmt *st, const char *what, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return bimi_report_db_set_error(db, error, what);
  return TRUE;
}

/* The statements of an ingestion, prepared once per connection (bimi_report_db_prepare_cached()). */
static const char SQL_REPORT[] =
  "INSERT OR IGNORE INTO ingest_report (org_name, report_id, email, extra_contact_info, generator, version,"
  " xml_namespace, begin_time, end_time, policy_domain, adkim, aspf, p, sp, np, pct, fo, testing,"
  " discovery_method, version_published, errors, message_count, source, ingested_at)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
  " ?22, ?23, ?24)";
static const char SQL_RECORD[] =
  "INSERT INTO ingest_record (report, source_ip, count, disposition, dkim, spf, header_from, envelope_from,"
  " envelope_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_REASON[] = "INSERT INTO ingest_reason (record, type, comment) VALUES (?1, ?2, ?3)";
static const char SQL_AUTH[] =
  "INSERT INTO ingest_auth_result (record, method, domain, selector, scope, result, human_result)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/* The cached statement @sql, ready to bind; NULL + @error. */
static sqlite3_stmt *
statement(BimiReportDb *db, const char *sql, GError **error)
{
  return bimi_report_db_prepare_cached(db, sql, "prepare ingest statement", error);
}

static gboolean
insert_auth(BimiReportDb *db, sqlite3_int64 record, const char *method, GPtrArray *list, GError **error)
{
  for (guint i = 0; i < list->len; i++) {
    const BimiIngestAuthResult *a = g_ptr_array_index(list, i);
    sqlite3_stmt *st = statement(db, SQL_AUTH, error);
    if (st == NULL)
      return FALSE;
    sqlite3_bind_int64(st, 1, record);
    bimi_report_db_bind_text(st, 2, method);
    bimi_report_db_bind_text(st, 3, a->domain);
    bimi_report_db_bind_text(st, 4, a->selector);
    bimi_report_db_bind_text(st, 5, a->scope);
    bimi_report_db_bind_text(st, 6, a->result);
    bimi_report_db_bind_text(st, 7, a->human_result);
    if (!step_done(db, st, "insert auth result", error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
insert_all(BimiReportDb *db, const BimiIngestReport *r, const char *source, gint64 now, gboolean *duplicate_out,
           GError **error)
{
  sqlite3 *h = bimi_report_db_handle(db);
  /* <error> texts, one per line (NULL when none). */
  g_autoptr(GString) joined = g_string_new(NULL);
  for (guint i = 0; i < r->errors->len; i++)
    g_string_append_printf(joined, "%s%s", i > 0 ? "\n" : "", (const char *) g_ptr_array_index(r->errors, i));
  const char *errors = r->errors->len > 0 ? joined->str : NULL;
  sqlite3_stmt *st = statement(db, SQL_REPORT, error);
  if (st == NULL)
    return FALSE;
  bimi_report_db_bind_text(st, 1, r->org_name);
  bimi_report_db_bind_text(st, 2, r->report_id);
  bimi_report_db_bind_text(st, 3, r->email);
  bimi_report_db_bind_text(st, 4, r->extra_contact_info);
  bimi_report_db_bind_text(st, 5, r->generator);
  bimi_report_db_bind_text(st, 6, r->version);
  bimi_report_db_bind_text(st, 7, r->xml_namespace);
  sqlite3_bind_int64(st, 8, r->begin);
  sqlite3_bind_int64(st, 9, r->end);
  bimi_report_db_bind_text(st, 10, r->domain);
  bimi_report_db_bind_text(st, 11, r->adkim);
  bimi_report_db_bind_text(st, 12, r->aspf);
  bimi_report_db_bind_text(st, 13, r->p);
  bimi_report_db_bind_text(st, 14, r->sp);
  bimi_report_db_bind_text(st, 15, r->np);
  if (r->pct >= 0)
    sqlite3_bind_int(st, 16, r->pct);
  else
    sqlite3_bind_null(st, 16);
  bimi_report_db_bind_text(st, 17, r->fo);
  bimi_report_db_bind_text(st, 18, r->testing);
  bimi_report_db_bind_text(st, 19, r->discovery_method);
  bimi_report_db_bind_text(st, 20, r->version_published);
  bimi_report_db_bind_text(st, 21, errors);
  sqlite3_bind_int64(st, 22, (sqlite3_int64) r->message_count);
  bimi_report_db_bind_text(st, 23, source);
  sqlite3_bind_int64(st, 24, now);
  if (!step_done(db, st, "insert report", error))
    return FALSE;
  if (sqlite3_changes(h) == 0) {
    *duplicate_out = TRUE;
    return TRUE;
  }
  sqlite3_int64 report_row = sqlite3_last_insert_rowid(h);
  for (guint i = 0; i < r->records->len; i++) {
    const BimiIngestRecord *rec = g_ptr_array_index(r->records, i);
    st = statement(db, SQL_RECORD, error);
    if (st == NULL)
      return FALSE;
    sqlite3_bind_int64(st, 1, report_row);
    bimi_report_db_bind_text(st, 2, rec->source_ip);
    sqlite3_bind_int64(st, 3, (sqlite3_int64) rec->count);
    bimi_report_db_bind_text(st, 4, rec->disposition);
    bimi_report_db_bind_text(st, 5, rec->dkim);
    bimi_report_db_bind_text(st, 6, rec->spf);
    bimi_report_db_bind_text(st, 7, rec->header_from);
    bimi_report_db_bind_text(st, 8, rec->envelope_from);
    bimi_report_db_bind_text(st, 9, rec->envelope_to);
    if (!step_done(db, st, "insert record", error))
      return FALSE;
    sqlite3_int64 record_row = sqlite3_last_insert_rowid(h);
    for (guint j = 0; j < rec->reasons->len; j++) {
      const BimiIngestReason *reason = g_ptr_array_index(rec->reasons, j);
      st = statement(db, SQL_REASON, error);
      if (st == NULL)
        return FALSE;
      sqlite3_bind_int64(st, 1, record_row);
      bimi_report_db_bind_text(st, 2, reason->type);
      bimi_report_db_bind_text(st, 3, reason->comment);
      if (!step_done(db, st, "insert reason", error))
        return FALSE;
    }
    if (!insert_auth(db, record_row, "dkim", rec->dkim_results, error) ||
        !insert_auth(db, record_row, "spf", rec->spf_results, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
bimi_ingest_store_report(BimiReportDb *db, const BimiIngestReport *report, const char *source, gint64 now,
                         gboolean *duplicate_out, GError **error)
{
  g_return_val_if_fail(db != NULL && report != NULL && source != NULL && duplicate_out != NULL, FALSE);
  *duplicate_out = FALSE;
  if (!bimi_report_db_begin(db, error))
    return FALSE;
  if (!insert_all(db, report, source, now, duplicate_out, error)) {
    bimi_report_db_rollback(db);
    return FALSE;
  }
  return bimi_report_db_commit(db, error);
}
