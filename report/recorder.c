/* report/recorder.c — bounded queue + one writer thread into the report database
 * (issue 15: "writes never block a request on disk").
 *
 * SQLite allows one writer at a time per file anyway; one thread with batched
 * transactions (BEGIN IMMEDIATE ... COMMIT, WAL, synchronous=FULL) gives the best
 * throughput and keeps every request thread off the disk.
 *
 * The recorded-key memo (issue 21): the dedup keys of the records the writer has
 * committed, inserted or found already there. Rows of the evaluation table are never
 * deleted (nothing in the project deletes them), so a key committed once stays in the
 * database, and a record with that key would be an ON CONFLICT DO NOTHING: submit
 * counts it as a duplicate at once, without queueing it, waking the writer or asking
 * SQLite. A key joins only after its batch committed (a failed batch is retried by
 * the next submission of the same message, as before). At most
 * BIMI_REPORT_RECORDED_MEMO_MAX keys; one more and the memo starts empty.
 */
#include "report/recorder.h"

#include "engine/limits.h"

struct BimiReportRecorder {
  BimiReportDb *db;        /* owned by the writer thread once it runs */
  GMutex lock;
  GCond wake;              /* the writer: work or stop */
  GCond idle;              /* flushers: queue drained */
  GQueue queue;            /* of BimiReportRecord* */
  guint capacity;
  gboolean stop;
  gboolean paused;
  gboolean waiting;        /* the writer sleeps on wake: a submit signals it (only then: issue 21) */
  guint in_flight;         /* taken by the writer, not yet committed */
  guint64 taken;           /* records the writer has finished with (sequence for flush) */
  guint64 enqueued;        /* records ever queued */
  GHashTable *recorded;    /* dedup keys committed (set of owned strings): the memo above */
  BimiReportRecorderStats stats;
  GThread *thread;
};

static gboolean
write_batch(BimiReportRecorder *rec, GPtrArray *batch, guint64 *written, guint64 *dups, guint64 *failed)
{
  g_autoptr(GError) error = NULL;
  guint64 w = 0, d = 0;

  if (!bimi_report_db_begin(rec->db, &error))
    goto fail;
  for (guint i = 0; i < batch->len; i++) {
    gboolean inserted = FALSE;
    if (!bimi_report_record_insert(rec->db, g_ptr_array_index(batch, i), &inserted, &error)) {
      bimi_report_db_rollback(rec->db);
      goto fail;
    }
    if (inserted)
      w++;
    else
      d++;
  }
  if (!bimi_report_db_commit(rec->db, &error))
    goto fail;
  *written += w;
  *dups += d;
  return TRUE;
fail:
  g_warning("report: %u evaluation record(s) lost: %s", batch->len, error->message);
  *failed += batch->len;
  return FALSE;
}

/* Under rec->lock: @batch's keys are in the database now. */
static void
remember_committed(BimiReportRecorder *rec, GPtrArray *batch)
{
  for (guint i = 0; i < batch->len; i++) {
    BimiReportRecord *r = g_ptr_array_index(batch, i);
    if (g_hash_table_contains(rec->recorded, r->dedup_key))
      continue;
    if (g_hash_table_size(rec->recorded) >= BIMI_REPORT_RECORDED_MEMO_MAX)
      g_hash_table_remove_all(rec->recorded);
    g_hash_table_add(rec->recorded, g_strdup(r->dedup_key));
  }
}

static gpointer
writer_main(gpointer data)
{
  BimiReportRecorder *rec = data;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_report_record_free);

  g_mutex_lock(&rec->lock);
  for (;;) {
    guint64 written = 0, dups = 0, failed = 0;
    gboolean committed;

    while (!rec->stop && (rec->paused || g_queue_is_empty(&rec->queue))) {
      rec->waiting = TRUE;
      g_cond_wait(&rec->wake, &rec->lock);
      rec->waiting = FALSE;
    }
    if (g_queue_is_empty(&rec->queue) && rec->stop)
      break;
    while (batch->len < BIMI_REPORT_WRITE_BATCH && !g_queue_is_empty(&rec->queue))
      g_ptr_array_add(batch, g_queue_pop_head(&rec->queue));
    rec->in_flight = batch->len;
    rec->stats.queued = rec->queue.length;
    g_mutex_unlock(&rec->lock);

    committed = write_batch(rec, batch, &written, &dups, &failed);

    g_mutex_lock(&rec->lock);
    if (committed)
      remember_committed(rec, batch);
    rec->stats.written += written;
    rec->stats.duplicates += dups;
    rec->stats.failed += failed;
    rec->taken += batch->len;
    rec->in_flight = 0;
    g_ptr_array_set_size(batch, 0);
    g_cond_broadcast(&rec->idle);
  }
  g_mutex_unlock(&rec->lock);
  return NULL;
}

BimiReportRecorder *
bimi_report_recorder_new(const char *path, guint capacity, GError **error)
{
  g_autoptr(BimiReportDb) db = NULL;
  BimiReportRecorder *rec;

  g_return_val_if_fail(path != NULL, NULL);
  if (capacity < 1 || capacity > BIMI_REPORT_MAX_QUEUE) {
    g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID,
                "report queue capacity %u is not within 1..%u", capacity, BIMI_REPORT_MAX_QUEUE);
    return NULL;
  }
  db = bimi_report_db_open(path, error);
  if (db == NULL || !bimi_report_db_migrate(db, &bimi_report_schema, error))
    return NULL;

  rec = g_new0(BimiReportRecorder, 1);
  rec->db = g_steal_pointer(&db);
  rec->capacity = capacity;
  g_mutex_init(&rec->lock);
  g_cond_init(&rec->wake);
  g_cond_init(&rec->idle);
  g_queue_init(&rec->queue);
  rec->recorded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  rec->thread = g_thread_new("bimi-report-writer", writer_main, rec);
  return rec;
}

void
bimi_report_recorder_free(BimiReportRecorder *rec)
{
  if (rec == NULL)
    return;
  g_mutex_lock(&rec->lock);
  rec->stop = TRUE;
  rec->paused = FALSE;
  g_cond_broadcast(&rec->wake);
  g_mutex_unlock(&rec->lock);
  g_thread_join(rec->thread);
  bimi_report_db_close(rec->db);
  g_queue_clear_full(&rec->queue, (GDestroyNotify) bimi_report_record_free);
  g_hash_table_unref(rec->recorded);
  g_cond_clear(&rec->idle);
  g_cond_clear(&rec->wake);
  g_mutex_clear(&rec->lock);
  g_free(rec);
}

gboolean
bimi_report_recorder_submit(BimiReportRecorder *rec, BimiReportRecord *record)
{
  guint64 dropped = 0;
  gboolean known;

  g_return_val_if_fail(rec != NULL && record != NULL, FALSE);
  g_mutex_lock(&rec->lock);
  rec->stats.submitted++;
  known = g_hash_table_contains(rec->recorded, record->dedup_key);
  if (known) {
    rec->stats.duplicates++; /* committed before: the insert would do nothing */
  } else if (rec->queue.length >= rec->capacity) {
    dropped = ++rec->stats.dropped;
  } else {
    g_queue_push_tail(&rec->queue, record);
    rec->enqueued++;
    rec->stats.queued = rec->queue.length;
    /* A busy writer takes the queue when its batch is done: waking it costs a futex call
     * per request for nothing (GLib's g_cond_signal always enters the kernel). */
    if (rec->waiting)
      g_cond_signal(&rec->wake);
  }
  g_mutex_unlock(&rec->lock);
  if (known) {
    bimi_report_record_free(record);
    return TRUE;
  }
  if (dropped == 0)
    return TRUE;
  bimi_report_record_free(record);
  if (dropped == 1 || dropped % BIMI_REPORT_DROP_WARN_EVERY == 0)
    g_warning("report: queue full (%u records): evaluation record dropped (%" G_GUINT64_FORMAT " so far)",
              rec->capacity, dropped);
  return FALSE;
}

void
bimi_report_recorder_submit_evaluation(BimiReportRecorder *rec, const BimiReportEvaluationInput *in)
{
  char key[BIMI_REPORT_KEY_HEX_LEN + 1];
  BimiReportEvaluationInput keyed;
  BimiReportRecord *record;
  gboolean known;

  g_return_if_fail(rec != NULL && in != NULL);
  if (!bimi_report_evaluation_dedup_key(in, key))
    return;
  g_mutex_lock(&rec->lock);
  known = g_hash_table_contains(rec->recorded, key);
  if (known) {
    rec->stats.submitted++;
    rec->stats.duplicates++;
  }
  g_mutex_unlock(&rec->lock);
  if (known)
    return;
  keyed = *in;
  keyed.dedup_key = key;
  record = bimi_report_record_new_from_evaluation(&keyed);
  if (record != NULL)
    bimi_report_recorder_submit(rec, record);
}

void
bimi_report_recorder_flush(BimiReportRecorder *rec)
{
  guint64 target;

  g_return_if_fail(rec != NULL);
  g_mutex_lock(&rec->lock);
  target = rec->enqueued;
  while (rec->taken < target && !rec->paused)
    g_cond_wait(&rec->idle, &rec->lock);
  g_mutex_unlock(&rec->lock);
}

void
bimi_report_recorder_get_stats(BimiReportRecorder *rec, BimiReportRecorderStats *out)
{
  g_return_if_fail(rec != NULL && out != NULL);
  g_mutex_lock(&rec->lock);
  *out = rec->stats;
  out->queued = rec->queue.length;
  g_mutex_unlock(&rec->lock);
}

void
bimi_report_recorder_append_metrics(BimiReportRecorder *rec, GString *out)
{
  BimiReportRecorderStats s;

  if (rec == NULL)
    return;
  bimi_report_recorder_get_stats(rec, &s);
  g_string_append(out,
                  "# HELP bimi_report_records_total DMARC evaluation records for aggregate reports, by outcome.\n"
                  "# TYPE bimi_report_records_total counter\n");
  g_string_append_printf(out, "bimi_report_records_total{outcome=\"written\"} %" G_GUINT64_FORMAT "\n", s.written);
  g_string_append_printf(out, "bimi_report_records_total{outcome=\"duplicate\"} %" G_GUINT64_FORMAT "\n",
                         s.duplicates);
  g_string_append_printf(out, "bimi_report_records_total{outcome=\"dropped\"} %" G_GUINT64_FORMAT "\n", s.dropped);
  g_string_append_printf(out, "bimi_report_records_total{outcome=\"failed\"} %" G_GUINT64_FORMAT "\n", s.failed);
  g_string_append_printf(out,
                         "# HELP bimi_report_queue_length Evaluation records waiting for the report writer.\n"
                         "# TYPE bimi_report_queue_length gauge\nbimi_report_queue_length %" G_GUINT64_FORMAT "\n",
                         s.queued);
}

guint
bimi_report_recorder__memo_size(BimiReportRecorder *rec)
{
  guint n;

  g_return_val_if_fail(rec != NULL, 0);
  g_mutex_lock(&rec->lock);
  n = g_hash_table_size(rec->recorded);
  g_mutex_unlock(&rec->lock);
  return n;
}

void
bimi_report_recorder__set_paused(BimiReportRecorder *rec, gboolean paused)
{
  g_return_if_fail(rec != NULL);
  g_mutex_lock(&rec->lock);
  rec->paused = paused;
  g_cond_broadcast(&rec->wake);
  g_cond_broadcast(&rec->idle);
  g_mutex_unlock(&rec->lock);
}
