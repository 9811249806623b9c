/* survey/survey-table.c — the operator's tables of `bimi survey` (issue 17), and the one list of
 * tables the JSON and CSV writers share.
 *
 * The receiver tables follow RFC 9989 §5.5 / RFC 7489 §6.6 as survey-stats.h explains.
 */
#include "survey/survey-output.h"

#include <math.h>
#include <string.h>

#include "engine/limits.h"

static const char *const FCRDNS_LABELS[] = { "pass", "fail", "none (no PTR)", "temperror", "no envelope" };
static const char *const DMARC_LABELS[] = { "pass", "fail", "none", "temperror", "permerror", "no From" };
static const char *const POLICY_LABELS[] = { "p=reject", "p=quarantine", "p=none", "no record", "unknown" };
static const char *const ACTION_LABELS[] = { "reject", "quarantine", "deliver", "refused" };
static const char *const ACTION_NAMES[] = { "reject", "quarantine", "deliver", "refused" };
static const char *const BIMI_LABELS[] = { "BIMI record", "no record", "not looked up", "temperror" };
static const char *const DECISION_NAMES[] = { "logo+checkmark", "logo", "none" };
/* filled once from the enums' own names */
static const char *fcrdns_names[BIMI_SURVEY_FCRDNS_N], *dmarc_names[BIMI_SURVEY_DMARC_N],
    *policy_names[BIMI_SURVEY_POLICY_N], *bimi_names[BIMI_SURVEY_BIMI_N], *reason_names[BIMI_SURVEY_REASON_N];

static void
init_names(void)
{
  static gsize done = 0;

  if (g_once_init_enter(&done)) {
    for (guint i = 0; i < BIMI_SURVEY_FCRDNS_N; i++)
      fcrdns_names[i] = bimi_survey_fcrdns_to_string(i);
    for (guint i = 0; i < BIMI_SURVEY_DMARC_N; i++)
      dmarc_names[i] = bimi_survey_dmarc_to_string(i);
    for (guint i = 0; i < BIMI_SURVEY_POLICY_N; i++)
      policy_names[i] = bimi_survey_policy_to_string(i);
    for (guint i = 0; i < BIMI_SURVEY_BIMI_N; i++)
      bimi_names[i] = bimi_survey_bimi_record_to_string(i);
    for (guint i = 0; i < BIMI_SURVEY_REASON_N; i++)
      reason_names[i] = bimi_decision_reason_to_string(i);
    g_once_init_leave(&done, 1);
  }
}

G_STATIC_ASSERT(BIMI_SURVEY_REASON_N <= 32);

double
bimi_survey__share(guint64 count, guint64 denominator)
{
  return denominator > 0 ? round((double) count / (double) denominator * 10000.0) / 10000.0 : 0.0;
}

static void
set_table(BimiSurveyTable *t, const char *name, const char *title, guint n, const char *const *labels,
          const char *const *names, const guint64 *values, guint64 denominator)
{
  t->name = name;
  t->title = title;
  t->n = n;
  t->labels = labels;
  t->names = names;
  memcpy(t->values, values, n * sizeof *values);
  t->denominator = denominator;
}

static void
set_receiver(BimiSurveyTable *t, const BimiSurveyCounts *c, BimiSurveyScenario s, const char *name,
             const char *title)
{
  guint64 v[4] = { c->action[s][BIMI_SURVEY_ACTION_REJECT], c->action[s][BIMI_SURVEY_ACTION_QUARANTINE],
                   c->action[s][BIMI_SURVEY_ACTION_DELIVER], bimi_survey_counts_refused(c, s) };
  set_table(t, name, title, 4, ACTION_LABELS, ACTION_NAMES, v, c->messages);
}

guint
bimi_survey__tables(const BimiSurveyCounts *c, BimiSurveyTable *tables, guint max)
{
  guint64 domains = 0;
  guint64 decision[3] = { c->decision[BIMI_DECISION_LOGO_CHECKMARK], c->decision[BIMI_DECISION_LOGO],
                          c->decision[BIMI_DECISION_NONE] };
  guint n = 0;

  g_return_val_if_fail(max >= 10, 0);
  init_names();
  for (guint i = 0; i < BIMI_SURVEY_POLICY_N; i++)
    domains += c->policy_domains[i];
  set_table(&tables[n++], "fcrdns", "FCrDNS of the SMTP client (the trusted receiver's Received field)",
            BIMI_SURVEY_FCRDNS_N, FCRDNS_LABELS, fcrdns_names, c->fcrdns, c->messages);
  set_table(&tables[n++], "dmarc", "DMARC result", BIMI_SURVEY_DMARC_N, DMARC_LABELS, dmarc_names, c->dmarc,
            c->messages);
  set_table(&tables[n++], "policy", "Published DMARC policy of the author domain, by messages", BIMI_SURVEY_POLICY_N,
            POLICY_LABELS, policy_names, c->policy, c->messages);
  set_table(&tables[n++], "policy_domains", "Published DMARC policy, by distinct author domains",
            BIMI_SURVEY_POLICY_N, POLICY_LABELS, policy_names, c->policy_domains, domains);
  set_receiver(&tables[n++], c, BIMI_SURVEY_SCENARIO_PUBLISHED, "receiver_published",
               "A DMARC-enforcing receiver: the published policy applied to DMARC failures");
  set_receiver(&tables[n++], c, BIMI_SURVEY_SCENARIO_REFUSE_P_NONE, "receiver_refuse_p_none",
               "The same, refusing the failures of p=none (and t=y, pct) domains too");
  set_receiver(&tables[n++], c, BIMI_SURVEY_SCENARIO_REFUSE_NO_PTR, "receiver_refuse_no_ptr",
               "The published policy, refusing clients without a PTR (FCrDNS none) too");
  set_table(&tables[n++], "bimi_record", "BIMI: does the author domain publish a BIMI record", BIMI_SURVEY_BIMI_N,
            BIMI_LABELS, bimi_names, c->bimi_record, c->messages);
  set_table(&tables[n++], "bimi_decision", "BIMI decision", 3, DECISION_NAMES, DECISION_NAMES, decision,
            c->messages);
  set_table(&tables[n++], "bimi_reason", "BIMI decision by reason", BIMI_SURVEY_REASON_N, reason_names,
            reason_names, c->reason, c->messages);
  return n;
}

char *
bimi_survey_format_time(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

  return dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

/* "6-hour", "30-minute", "1-day" */
static char *
bin_words(gint64 s)
{
  if (s % 86400 == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT "-day", s / 86400);
  if (s % 3600 == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT "-hour", s / 3600);
  if (s % 60 == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT "-minute", s / 60);
  return g_strdup_printf("%" G_GINT64_FORMAT "-second", s);
}

/* A bin's row label: "2026-03-02 06:00" (UTC). */
static char *
row_label(gint64 start)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(start);

  return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("?");
}

/* Appends @s padded to @width (right-aligned when @right). Widths count characters (UTF-8). */
static void
pad(GString *out, const char *s, guint width, gboolean right)
{
  glong len = g_utf8_strlen(s, -1);
  guint fill = len < (glong) width ? width - (guint) len : 0;

  if (!right)
    g_string_append(out, s);
  for (guint i = 0; i < fill; i++)
    g_string_append_c(out, ' ');
  if (right)
    g_string_append(out, s);
}

/* One table: a row per bin and the total; the columns the total uses (all of them, except for the
 * reason table, where only reasons that occur are shown). */
static void
write_one(GString *out, BimiSurveyStats *stats, guint index)
{
  BimiSurveyTable total[16];
  guint n_bins = bimi_survey_stats_n_bins(stats);
  guint n_rows = n_bins + 1;
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free); /* n_rows x (2 + columns) */
  guint cols[32], n_cols = 0, width[34] = { 0 };
  const BimiSurveyTable *t;

  bimi_survey__tables(bimi_survey_stats_total(stats), total, G_N_ELEMENTS(total));
  t = &total[index];
  for (guint i = 0; i < t->n; i++)
    if (strcmp(t->name, "bimi_reason") != 0 || t->values[i] > 0)
      cols[n_cols++] = i;

  /* the head */
  g_ptr_array_add(cells, g_strdup(""));
  g_ptr_array_add(cells, g_strdup(strcmp(t->name, "policy_domains") == 0 ? "domains" : "messages"));
  for (guint j = 0; j < n_cols; j++)
    g_ptr_array_add(cells, g_strdup(t->labels[cols[j]]));
  for (guint r = 0; r < n_rows; r++) {
    BimiSurveyTable row[16];
    const BimiSurveyCounts *c = r < n_bins ? bimi_survey_stats_bin(stats, r) : bimi_survey_stats_total(stats);
    const BimiSurveyTable *rt;
    bimi_survey__tables(c, row, G_N_ELEMENTS(row));
    rt = &row[index];
    g_ptr_array_add(cells, r < n_bins ? row_label(bimi_survey_stats_bin_start(stats, r)) : g_strdup("total"));
    g_ptr_array_add(cells, g_strdup_printf("%" G_GUINT64_FORMAT, rt->denominator));
    for (guint j = 0; j < n_cols; j++)
      g_ptr_array_add(cells, g_strdup_printf("%" G_GUINT64_FORMAT " %5.1f%%", rt->values[cols[j]],
                                             bimi_survey__share(rt->values[cols[j]], rt->denominator) * 100.0));
  }
  for (guint r = 0; r <= n_rows; r++)
    for (guint j = 0; j < n_cols + 2; j++) {
      glong len = g_utf8_strlen(cells->pdata[r * (n_cols + 2) + j], -1);
      width[j] = MAX(width[j], (guint) len);
    }

  g_string_append_printf(out, "\n%s\n", t->title);
  for (guint r = 0; r <= n_rows; r++) {
    for (guint j = 0; j < n_cols + 2; j++) {
      if (j > 0)
        g_string_append(out, "  ");
      pad(out, cells->pdata[r * (n_cols + 2) + j], width[j], j > 0);
    }
    g_string_append_c(out, '\n');
  }
  if (strcmp(t->name, "policy_domains") == 0 && bimi_survey_stats_total(stats)->domains_capped)
    g_string_append_printf(out, "(more than %u distinct domains: the counts are a lower bound)\n",
                           BIMI_SURVEY_MAX_DOMAINS);
}

void
bimi_survey_write_table(BimiSurveyStats *stats, const BimiSurveyReportInfo *info, GString *out)
{
  g_autofree char *words = bin_words(bimi_survey_stats_bin_seconds(stats));
  BimiSurveyTable tables[16];
  guint n = bimi_survey__tables(bimi_survey_stats_total(stats), tables, G_N_ELEMENTS(tables));
  GPtrArray *malformed = bimi_survey_stats_malformed(stats);
  guint64 n_malformed = bimi_survey_stats_n_malformed(stats);

  g_string_append_printf(out,
                         "bimi survey: %" G_GUINT64_FORMAT " messages read, %" G_GUINT64_FORMAT
                         " evaluated, %" G_GUINT64_FORMAT " malformed",
                         info->run->messages, info->run->evaluated, n_malformed);
  if (info->has_from || info->has_to)
    g_string_append_printf(out, ", %" G_GUINT64_FORMAT " outside --from/--to", bimi_survey_stats_outside_period(stats));
  g_string_append_printf(out, "; %s bins by the Received date (UTC, rows: bin start)\n", words);
  if (bimi_survey_stats_undated(stats) > 0)
    g_string_append_printf(out, "%" G_GUINT64_FORMAT " evaluated message%s no readable Received date: in the "
                           "total only\n", bimi_survey_stats_undated(stats),
                           bimi_survey_stats_undated(stats) == 1 ? " has" : "s have");
  {
    const BimiSurveyCounts *all = bimi_survey_stats_total(stats);
    guint64 none = all->fcrdns[BIMI_SURVEY_FCRDNS_NO_ENVELOPE];
    if (all->messages > 0 && none > 0)
      g_string_append_printf(out, "warning: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " messages (%.1f %%) have no "
                             "envelope (no Received field of an [auth] trusted_receivers host): FCrDNS and SPF were "
                             "not evaluated for them, so their DMARC results and the refusal shares below overstate "
                             "failures; set trusted_receivers to your MX names (-c CONFIG)\n",
                             none, all->messages, 100.0 * (double) none / (double) all->messages);
  }
  if (bimi_survey_stats_beyond_bin_limit(stats) > 0)
    g_string_append_printf(out, "%" G_GUINT64_FORMAT " messages fell past %u bins: in the total only (use a "
                           "larger --bin or --from/--to)\n", bimi_survey_stats_beyond_bin_limit(stats),
                           BIMI_SURVEY_MAX_BINS);
  for (guint i = 0; i < n; i++)
    write_one(out, stats, i);
  if (n_malformed > 0) {
    g_string_append_printf(out, "\nMalformed messages (%" G_GUINT64_FORMAT "), not evaluated:\n", n_malformed);
    for (guint i = 0; i < malformed->len; i++) {
      const BimiSurveyMalformed *m = malformed->pdata[i];
      g_string_append_printf(out, "  %s: %s\n", m->where, m->reason);
    }
    if (n_malformed > malformed->len)
      g_string_append_printf(out, "  ... and %" G_GUINT64_FORMAT " more (only the first %u are listed)\n",
                             n_malformed - malformed->len, BIMI_SURVEY_MAX_MALFORMED_LISTED);
  }
}
