/* survey/survey-csv.c — `bimi survey --csv`: the numbers of survey-table.c, one per row, RFC 4180
 * (CRLF line ends; a field with a comma, a quote or a line break quoted, quotes doubled). */
#include "survey/survey-output.h"

#include "engine/base/base-text.h"

/* One row; @share < 0: empty. */
static void
row(GString *out, const char *start, const char *end, const char *table, const char *category, guint64 count,
    double share, const char *note)
{
  g_autofree char *c = g_strdup_printf("%" G_GUINT64_FORMAT, count);
  char s[G_ASCII_DTOSTR_BUF_SIZE] = "";

  if (share >= 0)
    g_ascii_formatd(s, sizeof s, "%.4f", share);
  bimi_text_append_csv_field(out, start, FALSE);
  bimi_text_append_csv_field(out, end, FALSE);
  bimi_text_append_csv_field(out, table, FALSE);
  bimi_text_append_csv_field(out, category, FALSE);
  bimi_text_append_csv_field(out, c, FALSE);
  bimi_text_append_csv_field(out, s, FALSE);
  bimi_text_append_csv_field(out, note, TRUE);
}

static void
counts_rows(GString *out, const char *start, const char *end, const BimiSurveyCounts *c)
{
  BimiSurveyTable tables[16];
  guint n = bimi_survey__tables(c, tables, G_N_ELEMENTS(tables));

  row(out, start, end, "messages", "messages", c->messages, -1, "");
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < tables[i].n; j++)
      row(out, start, end, tables[i].name, tables[i].names[j], tables[i].values[j],
          bimi_survey__share(tables[i].values[j], tables[i].denominator),
          g_str_equal(tables[i].name, "policy_domains") && c->domains_capped ? "capped" : "");
}

void
bimi_survey_write_csv(BimiSurveyStats *stats, const BimiSurveyReportInfo *info, GString *out)
{
  GPtrArray *malformed = bimi_survey_stats_malformed(stats);
  gint64 width = bimi_survey_stats_bin_seconds(stats);

  g_string_append(out, "bin_start,bin_end,table,category,count,share,note\r\n");
  row(out, "run", "", "run", "read", info->run->messages, -1, "");
  row(out, "run", "", "run", "evaluated", info->run->evaluated, -1, "");
  row(out, "run", "", "run", "malformed", bimi_survey_stats_n_malformed(stats), -1, "");
  row(out, "run", "", "run", "outside_period", bimi_survey_stats_outside_period(stats), -1, "");
  row(out, "run", "", "run", "undated", bimi_survey_stats_undated(stats), -1, "");
  row(out, "run", "", "run", "beyond_bin_limit", bimi_survey_stats_beyond_bin_limit(stats), -1, "");
  counts_rows(out, "total", "", bimi_survey_stats_total(stats));
  for (guint i = 0; i < bimi_survey_stats_n_bins(stats); i++) {
    gint64 start = bimi_survey_stats_bin_start(stats, i);
    g_autofree char *s = bimi_survey_format_time(start);
    g_autofree char *e = bimi_survey_format_time(start + width);
    counts_rows(out, s, e, bimi_survey_stats_bin(stats, i));
  }
  for (guint i = 0; i < malformed->len; i++) {
    const BimiSurveyMalformed *m = malformed->pdata[i];
    row(out, "run", "", "malformed", m->where, 1, -1, m->reason);
  }
}
