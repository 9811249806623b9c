/* survey/survey-output.h — the three forms of `bimi survey`'s result, carrying the same numbers:
 * the operator's tables (survey-table.c), JSON (survey-json.c) and CSV (survey-csv.c).
 *
 * Shares are of the messages of the row (the bin, or the total); "by distinct domains" shares are of
 * the distinct author domains of the row. Bins are labelled by their start, UTC.
 */
#ifndef BIMI_SURVEY_OUTPUT_H
#define BIMI_SURVEY_OUTPUT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include "survey/survey-run.h"
#include "survey/survey-stats.h"

G_BEGIN_DECLS

/** What was surveyed and how the run went. (transfer none) */
typedef struct {
  const char *const *inputs;
  guint jobs;
  gboolean has_from, has_to;
  gint64 from, to;                 /**< seconds since the epoch */
  const BimiSurveyRunResult *run;
} BimiSurveyReportInfo;

/**
 * bimi_survey_write_table:
 * @out: the text is appended: a summary line, one table per measurement (rows: each bin, then the
 *   total; cells "count (share %)"), and the malformed messages (file: reason)
 */
void bimi_survey_write_table(BimiSurveyStats *stats, const BimiSurveyReportInfo *info, GString *out);

/**
 * bimi_survey_build_json:
 *
 * {"survey": {inputs, bin_seconds, from, to, jobs}, "messages": {read, evaluated, malformed,
 *  outside_period, undated, beyond_bin_limit}, "elapsed_seconds", "messages_per_second",
 *  "total": COUNTS, "bins": [{"start", "end", COUNTS...}], "malformed": [{"file", "reason"}]}
 * with COUNTS = {"messages", and one member per table of bimi_survey__tables(): "fcrdns", "dmarc",
 *  "policy", "policy_domains" (with "capped"), "receiver_published", "receiver_refuse_p_none",
 *  "receiver_refuse_no_ptr" (reject, quarantine, deliver, refused), "bimi_record", "bimi_decision",
 *  "bimi_reason"}, each {"counts": {...}, "shares": {...}} (shares rounded to 4 decimals). Category
 *  names: survey-stats.h's *_to_string(), decision kinds and reasons as in the decision object.
 *
 * Returns: (transfer full): the object.
 */
JsonNode *bimi_survey_build_json(BimiSurveyStats *stats, const BimiSurveyReportInfo *info);

/**
 * bimi_survey_write_csv:
 * @out: RFC 4180 CSV is appended, CRLF line ends, one number per row:
 *   bin_start,bin_end,table,category,count,share,note
 *   bin_start is the bin's RFC 3339 start, "total" for the total, "run" for the run's counters;
 *   a malformed message is a row of table "malformed" (category: the file, note: the reason)
 */
void bimi_survey_write_csv(BimiSurveyStats *stats, const BimiSurveyReportInfo *info, GString *out);

/** "2026-03-02T06:00:00Z" (transfer full) */
char *bimi_survey_format_time(gint64 t);

/** One table of the output: a name and its categories, in order. */
typedef struct {
  const char *name;           /**< "fcrdns", "dmarc", "policy", "policy_domains", "bimi_record"... */
  const char *title;          /**< the heading of the text table */
  guint n;                    /**< categories */
  const char *const *labels;  /**< the text table's column heads */
  const char *const *names;   /**< the JSON and CSV category names */
  guint64 values[32];         /**< counts, filled by bimi_survey__table_fill() */
  guint64 denominator;        /**< what the shares are of */
} BimiSurveyTable;

/* Library-internal (the three writers share the tables, so they agree on every number). */
/** The tables of @c, in output order, filled. Returns how many (at most @max). */
guint bimi_survey__tables(const BimiSurveyCounts *c, BimiSurveyTable *tables, guint max);
/** @count / @denominator rounded to 4 decimals (0 without a denominator). */
double bimi_survey__share(guint64 count, guint64 denominator);

G_END_DECLS

#endif /* BIMI_SURVEY_OUTPUT_H */
