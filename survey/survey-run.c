/* survey/survey-run.c — the reader, the bounded queue and the evaluation threads of `bimi survey`.
 *
 * The Received date is the date-time of RFC 5322 §3.6.7 ("received-token* ; date-time") of the
 * hop the envelope comes from (RFC 5321 §4.4: the topmost field a trusted receiver wrote; the field
 * itself is read by engine/received), parsed by GMime's RFC 5322 §3.3 date parser.
 *
 * Memory: the reader blocks when the queue holds jobs * BIMI_SURVEY_QUEUE_PER_JOB messages; each
 * thread holds one more while it evaluates it. Nothing else of the mailbox is kept.
 */
#include "survey/survey-run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <gmime/gmime.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "engine/limits.h"
#include "engine/received.h"
#include "report/mail-source.h"

G_DEFINE_QUARK(bimi-survey-error-quark, bimi_survey_error)

/* ---- the Received date ------------------------------------------------------------------------ */

/* GDateTime's range in UTC: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define MIN_UTC G_GINT64_CONSTANT(-62135596800)
#define MAX_UTC G_GINT64_CONSTANT(253402300799)

/* The date after the last ';' of one Received value, or FALSE. */
static gboolean
received_value_time(const char *value, gsize len, gint64 *out_time)
{
  const char *semi = memrchr(value, ';', len);
  g_autofree char *date = NULL;
  g_autoptr(GDateTime) dt = NULL;

  if (semi == NULL)
    return FALSE;
  date = g_strndup(semi + 1, len - (gsize) (semi + 1 - value));
  dt = g_mime_utils_header_decode_date(g_strstrip(date));
  if (dt == NULL)
    return FALSE;
  *out_time = g_date_time_to_unix(dt);
  /* A local date near the ends of GDateTime's range can lie outside it in UTC (31 Dec 9999 -1200):
   * no bin could be labelled; such a date is as unreadable as a malformed one. */
  return *out_time >= MIN_UTC && *out_time <= MAX_UTC;
}

static gboolean
is_trusted(const char *host, const char *const *trusted)
{
  gsize hlen;

  if (host == NULL || trusted == NULL)
    return FALSE;
  hlen = strlen(host);
  if (hlen > 0 && host[hlen - 1] == '.')
    hlen--;
  for (guint i = 0; trusted[i] != NULL; i++) {
    gsize tlen = strlen(trusted[i]);
    if (tlen > 0 && trusted[i][tlen - 1] == '.')
      tlen--;
    if (tlen == hlen && g_ascii_strncasecmp(host, trusted[i], hlen) == 0)
      return TRUE;
  }
  return FALSE;
}

gboolean
bimi_survey_received_time(const BimiMessage *msg, const char *const *trusted_receivers, gint64 *out_time)
{
  g_autoptr(GArray) fields = bimi_message_find_fields(msg, "Received");
  gint64 topmost = 0;
  gboolean have_topmost = FALSE;

  if (fields == NULL)
    return FALSE;
  for (guint i = 0; i < fields->len; i++) {
    const BimiHeaderField *f = bimi_message_get_field(msg, g_array_index(fields, guint, i));
    gsize len = 0;
    g_autofree char *value = bimi_header_field_dup_unfolded_value(f, &len);
    BimiReceivedHop hop = { 0 };
    gint64 t;
    gboolean trusted;

    if (value == NULL)
      continue;
    if (!received_value_time(value, len, &t))
      continue;
    if (!have_topmost) {
      topmost = t;
      have_topmost = TRUE;
    }
    if (trusted_receivers == NULL || trusted_receivers[0] == NULL)
      break;
    if (len > BIMI_RECEIVED_MAX_BYTES || !bimi_received_parse(value, len, &hop, NULL))
      continue;
    trusted = is_trusted(hop.by_host, trusted_receivers);
    bimi_received_hop_clear(&hop);
    if (trusted) {
      *out_time = t;
      return TRUE;
    }
  }
  if (have_topmost)
    *out_time = topmost;
  return have_topmost;
}

/* ---- --bin ------------------------------------------------------------------------------------ */

gboolean
bimi_survey_parse_duration(const char *text, gint64 *out_seconds, GError **error)
{
  static const struct { char unit; gint64 seconds; } units[] = {
    { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
  };
  char *end = NULL;
  gint64 n, mult = 1;

  errno = 0;
  n = g_ascii_strtoll(text, &end, 10);
  if (errno != 0 || end == text || !g_ascii_isdigit(text[0]) || (end[0] != '\0' && end[1] != '\0'))
    goto bad;
  if (end[0] != '\0') {
    guint i;
    for (i = 0; i < G_N_ELEMENTS(units) && units[i].unit != end[0]; i++)
      ;
    if (i == G_N_ELEMENTS(units))
      goto bad;
    mult = units[i].seconds;
  }
  if (n > 366 * 86400 / mult || n * mult < BIMI_SURVEY_MIN_BIN_SECONDS) {
    g_set_error(error, BIMI_SURVEY_ERROR, BIMI_SURVEY_ERROR_ARGUMENT,
                "--bin: '%s' is out of range (%u s to 366 days)", text, BIMI_SURVEY_MIN_BIN_SECONDS);
    return FALSE;
  }
  *out_seconds = n * mult;
  return TRUE;

bad:
  g_set_error(error, BIMI_SURVEY_ERROR, BIMI_SURVEY_ERROR_ARGUMENT,
              "--bin: '%s' is not a duration (a number and s, m, h, d or w: 6h, 30m, 1d)", text);
  return FALSE;
}

/* ---- the queue -------------------------------------------------------------------------------- */

typedef struct {
  guint64 seq;
  BimiMailSourceItem *item;
} Job;

typedef struct {
  const BimiSurveyRunOptions *o;
  const char *const *trusted;  /* [auth] trusted_receivers */
  GMutex lock;                 /* guards everything below and o->stats */
  GCond not_empty;
  GCond not_full;
  GCond progressed;
  GQueue queue;                /* of Job* */
  guint capacity;
  gboolean closed;             /* the reader is done */
  guint64 done;
  guint64 evaluated;
} Shared;

static void
job_free(Job *job)
{
  bimi_mail_source_item_free(job->item);
  g_free(job);
}

/* Evaluates one message and counts it (under the lock). */
static void
process(Shared *sh, Job *job)
{
  const BimiSurveyRunOptions *o = sh->o;
  BimiMailSourceItem *item = job->item;
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = NULL;
  g_autoptr(BimiDecision) d = NULL;
  BimiSurveyObservation obs = { 0 };
  gboolean outside = FALSE;

  if (item->error == NULL) {
    msg = bimi_message_parse(item->data, &error);
    if (msg != NULL) {
      obs.dated = bimi_survey_received_time(msg, sh->trusted, &obs.time);
      if ((o->has_from || o->has_to) &&
          (!obs.dated || (o->has_from && obs.time < o->from) || (o->has_to && obs.time >= o->to)))
        outside = TRUE;
      else
        d = bimi_evaluator_evaluate(o->evaluator, item->data, NULL, o->now, &error);
    }
    if (d != NULL)
      bimi_survey_observation_from_decision(d, &obs);
  }

  g_mutex_lock(&sh->lock);
  if (item->error != NULL)
    bimi_survey_stats_add_malformed(o->stats, job->seq, item->where, item->error->message);
  else if (outside)
    bimi_survey_stats_add_outside_period(o->stats);
  else if (d == NULL)
    bimi_survey_stats_add_malformed(o->stats, job->seq, item->where, error->message);
  else {
    bimi_survey_stats_add(o->stats, &obs);
    sh->evaluated++;
  }
  sh->done++;
  g_cond_signal(&sh->progressed);
  g_mutex_unlock(&sh->lock);
  bimi_survey_observation_clear(&obs);
}

static gpointer
worker_main(gpointer data)
{
  Shared *sh = data;

  for (;;) {
    Job *job;
    g_mutex_lock(&sh->lock);
    while (g_queue_is_empty(&sh->queue) && !sh->closed)
      g_cond_wait(&sh->not_empty, &sh->lock);
    job = g_queue_pop_head(&sh->queue);
    if (job != NULL)
      g_cond_signal(&sh->not_full);
    g_mutex_unlock(&sh->lock);
    if (job == NULL)
      return NULL; /* closed and drained */
    process(sh, job);
    job_free(job);
  }
}

/* ---- the reader ------------------------------------------------------------------------------- */

typedef struct {
  Shared *sh;
  guint64 seq;
  guint64 total;        /* known beforehand, or 0 */
  guint64 bytes_total;  /* the input files' sizes, or 0 */
  guint64 bytes_before; /* bytes read from the sources finished */
  BimiMailSource *current; /* the source being read, or NULL */
  gint64 started;       /* monotonic, microseconds */
  gint64 last_progress; /* monotonic, microseconds */
} Reader;

static double
elapsed_s(const Reader *r)
{
  return (double) (g_get_monotonic_time() - r->started) / G_USEC_PER_SEC;
}

/* Calls the progress function when BIMI_SURVEY_PROGRESS_MS passed (or @force); the lock is held. */
static void
maybe_progress(Reader *r, gboolean force)
{
  const BimiSurveyRunOptions *o = r->sh->o;
  gint64 now = g_get_monotonic_time();
  BimiSurveyProgress p = { 0 };

  if (o->progress == NULL || (!force && now - r->last_progress < BIMI_SURVEY_PROGRESS_MS * 1000))
    return;
  r->last_progress = now;
  p.done = r->sh->done;
  p.total = r->total;
  if (r->bytes_total > 0) {
    p.bytes_total = r->bytes_total;
    p.bytes_read = r->bytes_before + (r->current != NULL ? bimi_mail_source_bytes(r->current) : 0);
  }
  p.elapsed = elapsed_s(r);
  g_mutex_unlock(&r->sh->lock);
  o->progress(&p, o->progress_data);
  g_mutex_lock(&r->sh->lock);
}

/* Waits on @cond with the lock held, waking for the progress calls. */
static void
wait_with_progress(Reader *r, GCond *cond)
{
  gint64 until = g_get_monotonic_time() + BIMI_SURVEY_PROGRESS_MS * 1000;

  if (!g_cond_wait_until(cond, &r->sh->lock, until))
    maybe_progress(r, FALSE);
}

/* Hands one item to the threads (takes it). */
static void
push(Reader *r, BimiMailSourceItem *item)
{
  Shared *sh = r->sh;
  Job *job = g_new0(Job, 1);

  job->seq = r->seq++;
  job->item = item;
  g_mutex_lock(&sh->lock);
  while (g_queue_get_length(&sh->queue) >= sh->capacity)
    wait_with_progress(r, &sh->not_full);
  g_queue_push_tail(&sh->queue, job);
  g_cond_signal(&sh->not_empty);
  maybe_progress(r, FALSE);
  g_mutex_unlock(&sh->lock);
}

/* An item that stands for a whole input that failed (a path from stdin that cannot be opened, an
 * mbox whose stream broke): listed as malformed. */
static void
push_error(Reader *r, const char *where, const GError *error)
{
  BimiMailSourceItem *item = g_new0(BimiMailSourceItem, 1);

  item->kind = BIMI_MAIL_SOURCE_ITEM_FILE;
  item->where = g_strdup(where);
  item->error = g_error_copy(error);
  push(r, item);
}

static void
read_source(Reader *r, BimiMailSource *source, const char *path)
{
  r->current = source;
  for (;;) {
    BimiMailSourceItem *item = NULL;
    g_autoptr(GError) error = NULL;
    if (!bimi_mail_source_next(source, &item, &error)) {
      if (error != NULL)
        push_error(r, path, error);
      break;
    }
    push(r, item);
  }
  r->bytes_before += bimi_mail_source_bytes(source);
  r->current = NULL;
}

static void
read_path(Reader *r, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMailSource) source = bimi_mail_source_open(path, &error);

  if (source == NULL)
    push_error(r, path, error);
  else
    read_source(r, source, path);
}

/* INPUT "-": one path per line on stdin; blank lines skipped. */
static void
read_stdin_paths(Reader *r)
{
  char line[BIMI_SURVEY_MAX_PATH_LINE_BYTES + 2];
  guint64 n = 0;

  while (fgets(line, sizeof line, stdin) != NULL) {
    gsize len = strlen(line);
    n++;
    if (len > 0 && line[len - 1] != '\n' && !feof(stdin)) {
      g_autoptr(GError) error = g_error_new(BIMI_SURVEY_ERROR, BIMI_SURVEY_ERROR_INPUT,
                                            "path longer than %u bytes", BIMI_SURVEY_MAX_PATH_LINE_BYTES);
      g_autofree char *where = g_strdup_printf("stdin, line %" G_GUINT64_FORMAT, n);
      int c;
      while ((c = getc(stdin)) != EOF && c != '\n')
        ;
      push_error(r, where, error);
      continue;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = '\0';
    if (len == 0)
      continue;
    read_path(r, line);
  }
}

/* Files of a Maildir's new/ and cur/ (the progress total); -1 when @path is not a Maildir. */
static gint64
maildir_count(const char *path)
{
  static const char *const subdirs[] = { "new", "cur" };
  gint64 n = 0;

  for (guint i = 0; i < G_N_ELEMENTS(subdirs); i++) {
    g_autofree char *sub = g_build_filename(path, subdirs[i], NULL);
    g_autoptr(GDir) dir = g_dir_open(sub, 0, NULL);
    const char *name;
    if (dir == NULL)
      return -1;
    while ((name = g_dir_read_name(dir)) != NULL)
      if (name[0] != '.')
        n++;
  }
  return n;
}

gboolean
bimi_survey_run(const BimiSurveyRunOptions *o, BimiSurveyRunResult *out, GError **error)
{
  Shared sh = { 0 };
  Reader r = { 0 };
  g_autoptr(GPtrArray) threads = NULL;
  BimiConfig *config = bimi_evaluator_get_config(o->evaluator);
  gboolean all_maildirs = TRUE, all_files = TRUE;
  gint64 total = 0;
  guint64 bytes_total = 0;

  memset(out, 0, sizeof *out);
  if (o->jobs < 1 || o->jobs > BIMI_SURVEY_MAX_JOBS) {
    g_set_error(error, BIMI_SURVEY_ERROR, BIMI_SURVEY_ERROR_ARGUMENT, "--jobs: %u is out of range (1 to %u)",
                o->jobs, BIMI_SURVEY_MAX_JOBS);
    return FALSE;
  }
  /* Every INPUT opens before the first message is read: a typo fails at once, not after hours. */
  for (guint i = 0; o->inputs[i] != NULL; i++) {
    if (strcmp(o->inputs[i], "-") == 0) {
      all_maildirs = all_files = FALSE;
      continue;
    }
    if (!g_file_test(o->inputs[i], G_FILE_TEST_EXISTS)) {
      g_set_error(error, BIMI_SURVEY_ERROR, BIMI_SURVEY_ERROR_INPUT, "%s: %s", o->inputs[i], g_strerror(ENOENT));
      return FALSE;
    }
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(BimiMailSource) probe = bimi_mail_source_open(o->inputs[i], &local);
      if (probe == NULL) {
        g_set_error(error, BIMI_SURVEY_ERROR, BIMI_SURVEY_ERROR_INPUT, "%s", local->message);
        return FALSE;
      }
    }
    if (all_maildirs && o->progress != NULL) {
      gint64 n = maildir_count(o->inputs[i]);
      if (n < 0)
        all_maildirs = FALSE;
      else
        total += n;
    }
    if (all_files && o->progress != NULL) {
      /* mbox files or single messages: the share of bytes read gives the ETA */
      GStatBuf st;
      if (g_stat(o->inputs[i], &st) == 0 && S_ISREG(st.st_mode))
        bytes_total += (guint64) st.st_size;
      else
        all_files = FALSE;
    }
  }

  g_mime_init(); /* the date parser's tables; idempotent (report/ingest-mime calls it too) */
  sh.o = o;
  sh.trusted = (const char *const *) config->auth_trusted_receivers;
  sh.capacity = o->jobs * BIMI_SURVEY_QUEUE_PER_JOB;
  g_mutex_init(&sh.lock);
  g_cond_init(&sh.not_empty);
  g_cond_init(&sh.not_full);
  g_cond_init(&sh.progressed);
  g_queue_init(&sh.queue);
  r.sh = &sh;
  r.total = all_maildirs && o->progress != NULL ? (guint64) total : 0;
  r.bytes_total = all_files && o->progress != NULL ? bytes_total : 0;
  r.started = g_get_monotonic_time();
  r.last_progress = r.started;

  threads = g_ptr_array_new();
  for (guint i = 0; i < o->jobs; i++)
    g_ptr_array_add(threads, g_thread_new("bimi-survey", worker_main, &sh));

  for (guint i = 0; o->inputs[i] != NULL; i++) {
    if (strcmp(o->inputs[i], "-") == 0)
      read_stdin_paths(&r);
    else
      read_path(&r, o->inputs[i]);
  }

  g_mutex_lock(&sh.lock);
  sh.closed = TRUE;
  g_cond_broadcast(&sh.not_empty);
  while (sh.done < r.seq)
    wait_with_progress(&r, &sh.progressed);
  maybe_progress(&r, TRUE);
  g_mutex_unlock(&sh.lock);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join(threads->pdata[i]);

  out->messages = r.seq;
  out->evaluated = sh.evaluated;
  out->elapsed = elapsed_s(&r);
  out->messages_per_second = out->elapsed > 0 ? (double) out->messages / out->elapsed : 0.0;
  g_cond_clear(&sh.progressed);
  g_cond_clear(&sh.not_full);
  g_cond_clear(&sh.not_empty);
  g_mutex_clear(&sh.lock);
  return TRUE;
}
