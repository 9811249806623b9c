/* report/ingest.h — one input item (a report file or a report e-mail) into the database (issue 16).
 *
 * The glue of `bimi report ingest`: an item's bytes are a report payload (XML,
 * gzip, zip: report/ingest-payload.h) or a message carrying report parts
 * (report/ingest-mime.h); each report found is stored once
 * (report/ingest-store.h). A malformed payload is refused with its reason and
 * the rest goes on; only a database failure stops.
 */
#ifndef BIMI_REPORT_INGEST_H
#define BIMI_REPORT_INGEST_H

#include <glib.h>

#include "report/report-db.h"

G_BEGIN_DECLS

/** What a batch did so far. */
typedef struct {
  guint64 items;       /**< items looked at (files, messages) */
  guint64 reports;     /**< reports parsed */
  guint64 stored;      /**< reports stored now */
  guint64 duplicates;  /**< reports stored before (same org_name and report_id) */
  guint64 refused;     /**< payloads or items refused */
  guint64 messages;    /**< messages counted by the reports stored now */
} BimiIngestCounts;

/** Called for each refusal: @where names the item (and part), @reason says why. */
typedef void (*BimiIngestRefusedFunc)(const char *where, const GError *reason, gpointer user_data);

/**
 * bimi_ingest_bytes:
 * @db: the database (ingest tables migrated)
 * @data: (transfer none): the item's bytes
 * @where: how to name the item in refusals and in the stored report's source
 * @now: Unix seconds (the ingestion time stored)
 * @counts: (inout): updated
 * @refused: (nullable): called for each refused payload
 * @user_data: for @refused
 * @error: BIMI_REPORT_DB_ERROR_* only (a database failure: the batch should stop)
 *
 * Returns: FALSE only with @error.
 */
gboolean bimi_ingest_bytes(BimiReportDb *db, GBytes *data, const char *where, gint64 now, BimiIngestCounts *counts,
                           BimiIngestRefusedFunc refused, gpointer user_data, GError **error);

G_END_DECLS

#endif /* BIMI_REPORT_INGEST_H */
