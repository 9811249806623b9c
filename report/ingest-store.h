/* report/ingest-store.h — received aggregate reports in the report database (issue 16).
 *
 * The ingest module's tables in the one database of report/report-db.h (module
 * "ingest", its own migrations): ingest_report (one row per report, UNIQUE
 * (org_name, report_id): RFC 9990 §3.1.1 makes report_id unique per reporting
 * organisation, so a report ingested twice, e.g. from two mailboxes, is stored
 * once), ingest_record, ingest_reason, ingest_auth_result. Extensions are not
 * stored (RFC 9990 §3.1.4: a receiver ignores the ones it does not know).
 */
#ifndef BIMI_REPORT_INGEST_STORE_H
#define BIMI_REPORT_INGEST_STORE_H

#include <glib.h>

#include "report/ingest-xml.h"
#include "report/report-db.h"

G_BEGIN_DECLS

/**
 * bimi_ingest_store_migrate:
 * @db: the database
 * @error: as bimi_report_db_migrate()
 *
 * Brings the ingest tables up to date (idempotent).
 *
 * Returns: TRUE when they are.
 */
gboolean bimi_ingest_store_migrate(BimiReportDb *db, GError **error);

/**
 * bimi_ingest_store_report:
 * @db: the database (migrated)
 * @report: the parsed report
 * @source: where it came from (a path, "PATH, message N"), kept with the report
 * @now: Unix seconds, kept as the ingestion time
 * @duplicate_out: (out): TRUE when (org_name, report_id) was stored already:
 *   nothing is written then
 * @error: BIMI_REPORT_DB_ERROR_BUSY, _IO, _INVALID
 *
 * Stores @report and its records in one transaction.
 *
 * Returns: TRUE when the report is stored (or was already).
 */
gboolean bimi_ingest_store_report(BimiReportDb *db, const BimiIngestReport *report, const char *source, gint64 now,
                                  gboolean *duplicate_out, GError **error);

G_END_DECLS

#endif /* BIMI_REPORT_INGEST_STORE_H */
