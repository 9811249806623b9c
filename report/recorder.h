/* report/recorder.h — records evaluations without ever blocking a request (issue 15).
 *
 * A bounded queue drained by one writer thread that owns its own connection to the
 * report database (report/report-db.h). bimi_report_recorder_submit() only takes a
 * lock and appends: when the queue holds @capacity records it drops the new one,
 * counts it (the bimi_report_records_total{outcome="dropped"} metric) and warns —
 * a slow or full disk costs reports, never a request. The writer commits batches of
 * at most BIMI_REPORT_WRITE_BATCH records per transaction; a crash (even SIGKILL)
 * loses at most the queued and uncommitted records, and SQLite's WAL rolls the file
 * back to the last commit, never to a corrupt state.
 */
#ifndef BIMI_REPORT_RECORDER_H
#define BIMI_REPORT_RECORDER_H

#include <glib.h>
#include "report/record.h"

G_BEGIN_DECLS

typedef struct BimiReportRecorder BimiReportRecorder;

/** Counters of a recorder (the metrics endpoint exposes them). */
typedef struct {
  guint64 submitted;  /**< records offered */
  guint64 written;    /**< inserted (committed) */
  guint64 duplicates; /**< already in the database (same dedup key) */
  guint64 dropped;    /**< refused because the queue was full */
  guint64 failed;     /**< lost because the database failed (each failure is logged) */
  guint64 queued;     /**< waiting now */
} BimiReportRecorderStats;

/**
 * bimi_report_recorder_new:
 * @path: the database file (see bimi_report_db_open())
 * @capacity: most records waiting, 1..BIMI_REPORT_MAX_QUEUE
 * @error: BIMI_REPORT_DB_ERROR_* from opening and migrating (bimi_report_schema),
 *   BIMI_REPORT_DB_ERROR_INVALID for a @capacity out of range
 *
 * Opens and migrates the database in the calling thread (so that a bad path is a
 * start-up error), then starts the writer thread with that connection.
 *
 * Returns: (transfer full): the recorder, or NULL with @error.
 */
BimiReportRecorder *bimi_report_recorder_new(const char *path, guint capacity, GError **error);

/**
 * bimi_report_recorder_free:
 * @recorder: (nullable) (transfer full)
 *
 * Writes what is queued, stops the writer thread and closes the database.
 */
void bimi_report_recorder_free(BimiReportRecorder *recorder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiReportRecorder, bimi_report_recorder_free)

/**
 * bimi_report_recorder_submit:
 * @recorder: the recorder
 * @record: (transfer full): a finished record
 *
 * Never waits for the disk. Thread-safe. A record whose dedup key this recorder
 * has already committed (the last BIMI_REPORT_RECORDED_MEMO_MAX keys at most) is
 * freed and counted as a duplicate at once: the database would ignore it
 * (ON CONFLICT DO NOTHING), and rows are never deleted.
 *
 * Returns: TRUE when queued or known as a duplicate; FALSE when the queue was
 * full (the record is freed, counted as dropped, and a warning is logged for the
 * first drop and every BIMI_REPORT_DROP_WARN_EVERY-th after it).
 */
gboolean bimi_report_recorder_submit(BimiReportRecorder *recorder, BimiReportRecord *record);

/**
 * bimi_report_recorder_submit_evaluation:
 * @recorder: the recorder
 * @input: an evaluation's outcome (transfer none)
 *
 * bimi_report_record_new_from_evaluation() and bimi_report_recorder_submit(), the
 * same counters and the same rows, except that the record of an evaluation whose
 * dedup key the recorder has committed is not built: counted as a duplicate at once
 * (issue 21: webmail evaluates a message again on each view). Nothing when @input
 * makes no record. Thread-safe.
 */
void bimi_report_recorder_submit_evaluation(BimiReportRecorder *recorder, const BimiReportEvaluationInput *input);

/**
 * bimi_report_recorder_flush:
 * @recorder: the recorder
 *
 * Waits until every record submitted before the call is committed or counted as
 * failed (the CLI before it exits, tests). Thread-safe.
 */
void bimi_report_recorder_flush(BimiReportRecorder *recorder);

/** Copies the counters into @out. Thread-safe. */
void bimi_report_recorder_get_stats(BimiReportRecorder *recorder, BimiReportRecorderStats *out);

/**
 * bimi_report_recorder_append_metrics:
 * @recorder: (nullable): the recorder, NULL when recording is off (nothing appended)
 * @out: Prometheus text lines are appended: bimi_report_records_total{outcome=
 *   "written|duplicate|dropped|failed"} and bimi_report_queue_length.
 */
void bimi_report_recorder_append_metrics(BimiReportRecorder *recorder, GString *out);

/* For tests: how many committed dedup keys the recorder remembers now. */
guint bimi_report_recorder__memo_size(BimiReportRecorder *recorder);

/* For tests: while paused the writer takes nothing from the queue. */
void bimi_report_recorder__set_paused(BimiReportRecorder *recorder, gboolean paused);

G_END_DECLS

#endif /* BIMI_REPORT_RECORDER_H */
