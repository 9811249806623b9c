/* survey/survey-run.h — `bimi survey`'s engine: read mailboxes, evaluate every message in parallel,
 * count (issue 17).
 *
 * One reader (the calling thread) streams the inputs through report/mail-source (mbox, Maildir,
 * directory of .eml, or "-": one path per line on stdin) into a bounded queue; @jobs evaluation
 * threads take messages from it, run them through the evaluate pipeline — exactly as bimi-fcgi does,
 * the envelope from the topmost Received field of an [auth] trusted_receivers host — and add the
 * observation to the stats. At most jobs * (BIMI_SURVEY_QUEUE_PER_JOB + 1) messages are in memory
 * at once, whatever the size of the mailbox.
 *
 * A message that cannot be read or evaluated (over the size limit, not RFC 5322, an unreadable
 * trusted Received field) is counted and listed as malformed with its file and reason; the run goes
 * on.
 */
#ifndef BIMI_SURVEY_RUN_H
#define BIMI_SURVEY_RUN_H

#include <glib.h>
#include "engine/message.h"
#include "evaluate/evaluate.h"
#include "survey/survey-stats.h"

G_BEGIN_DECLS

#define BIMI_SURVEY_ERROR (bimi_survey_error_quark())
GQuark bimi_survey_error_quark(void);

typedef enum {
  BIMI_SURVEY_ERROR_INPUT = 1, /**< an INPUT given cannot be opened (the path and the OS message) */
  BIMI_SURVEY_ERROR_ARGUMENT,  /**< a bad option value (--bin, --jobs, --from/--to); the message names it */
} BimiSurveyError;

/** Where a survey run is. */
typedef struct {
  guint64 done;        /**< messages finished (evaluated, malformed or left out) */
  guint64 total;       /**< messages in the input when known beforehand (every INPUT a Maildir), else 0 */
  guint64 bytes_read;  /**< bytes of input read (every INPUT a file: mbox or one message), else 0 */
  guint64 bytes_total; /**< the sizes of those files at the start, else 0 */
  double elapsed;      /**< seconds since the start (monotonic clock) */
} BimiSurveyProgress;

/**
 * BimiSurveyProgressFunc:
 * @progress: (transfer none): where the run is; @total or @bytes_total (or neither: INPUT "-",
 *   other directories, a mix) gives the share done
 *
 * Called on the reading thread about every BIMI_SURVEY_PROGRESS_MS and once at the end.
 */
typedef void (*BimiSurveyProgressFunc)(const BimiSurveyProgress *progress, gpointer user_data);

/** Milliseconds between two progress calls. */
#define BIMI_SURVEY_PROGRESS_MS 250

/** What to survey. (transfer none) */
typedef struct {
  BimiEvaluator *evaluator;       /**< shared by the threads (thread-safe) */
  const char *const *inputs;      /**< paths (mbox file, Maildir, directory, a message file) or "-" */
  guint jobs;                     /**< evaluation threads, 1..BIMI_SURVEY_MAX_JOBS */
  gint64 now;                     /**< evaluation time, seconds since the epoch */
  gboolean has_from, has_to;      /**< --from / --to given */
  gint64 from, to;                /**< keep messages with from <= Received date < to (UTC seconds); an
                                   *   undated message is left out when either is given */
  BimiSurveyStats *stats;         /**< where the counts go */
  BimiSurveyProgressFunc progress; /**< (nullable) */
  gpointer progress_data;
} BimiSurveyRunOptions;

/** What the run measured. */
typedef struct {
  guint64 messages;      /**< messages read (evaluated, malformed and left out) */
  guint64 evaluated;     /**< messages evaluated */
  double elapsed;        /**< seconds, monotonic clock */
  double messages_per_second; /**< @messages / @elapsed */
} BimiSurveyRunResult;

/**
 * bimi_survey_run:
 * @options: what to survey
 * @out: (out caller-allocates): counts of the run
 * @error: BIMI_SURVEY_ERROR_INPUT when an INPUT cannot be opened (checked before any message is
 *   read; a path read from stdin that cannot be opened is listed as malformed instead),
 *   BIMI_SURVEY_ERROR_ARGUMENT for @jobs out of range
 *
 * Returns: TRUE when every input was read (malformed messages do not count as a failure).
 */
gboolean bimi_survey_run(const BimiSurveyRunOptions *options, BimiSurveyRunResult *out, GError **error);

/**
 * bimi_survey_received_time:
 * @msg: a parsed message
 * @trusted_receivers: (array zero-terminated=1) (nullable): [auth] trusted_receivers
 * @out_time: (out): seconds since the epoch (UTC)
 *
 * The date-time (RFC 5322 §3.6.7, after the last ";") of the topmost Received field written by a
 * trusted receiver (the hop bimi_received_envelope() reads the envelope from); without one, of the
 * topmost Received field. Parsed with GMime (RFC 5322 §3.3, obsolete forms too), zone applied; a date
 * outside years 1..9999 in UTC counts as unreadable.
 *
 * Returns: TRUE with *@out_time set, FALSE when no such field has a readable date.
 */
gboolean bimi_survey_received_time(const BimiMessage *msg, const char *const *trusted_receivers, gint64 *out_time);

/**
 * bimi_survey_parse_duration:
 * @text: "6h", "30m", "1d", "1w", "3600s" or "3600" (seconds)
 * @out_seconds: (out): the duration
 * @error: BIMI_SURVEY_ERROR_ARGUMENT: not a duration, below BIMI_SURVEY_MIN_BIN_SECONDS, or over a
 *   year
 *
 * Parses --bin.
 */
gboolean bimi_survey_parse_duration(const char *text, gint64 *out_seconds, GError **error);

G_END_DECLS

#endif /* BIMI_SURVEY_RUN_H */
