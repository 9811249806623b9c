/* tests/test-survey.c — survey/ without the pipeline: the limits of engine/limits.h's survey section
 * (BIMI_SURVEY_MAX_BINS, BIMI_SURVEY_MAX_DOMAINS, BIMI_SURVEY_MAX_MALFORMED_LISTED,
 * BIMI_SURVEY_MIN_BIN_SECONDS), the bin arithmetic (UTC, floor for dates before 1970), --bin parsing, the
 * Received date of the trusted hop, and the receiver actions read from decision JSON.
 * The counts of a whole run are checked by tests/survey-cli.t.
 */
#include "engine/limits.h"
#include "survey/survey-output.h"
#include "survey/survey-run.h"
#include "survey/survey-stats.h"

#include <string.h>

static BimiSurveyObservation
obs_at(gint64 t, const char *domain, BimiSurveyPolicy policy)
{
  BimiSurveyObservation o = { 0 };

  o.dated = TRUE;
  o.time = t;
  o.fcrdns = BIMI_SURVEY_FCRDNS_PASS;
  o.dmarc = BIMI_SURVEY_DMARC_PASS;
  o.policy = policy;
  o.author_domain = g_strdup(domain);
  for (guint s = 0; s < BIMI_SURVEY_SCENARIO_N; s++)
    o.action[s] = BIMI_SURVEY_ACTION_DELIVER;
  o.decision = BIMI_DECISION_NONE;
  o.reason = BIMI_DECISION_REASON_NO_RECORD;
  return o;
}

/* Adds one observation of obs_at(). */
static void
add_at(BimiSurveyStats *s, gint64 t, const char *domain, BimiSurveyPolicy policy)
{
  BimiSurveyObservation o = obs_at(t, domain, policy);

  bimi_survey_stats_add(s, &o);
  bimi_survey_observation_clear(&o);
}

static void
test_bins_utc(void)
{
  g_autoptr(BimiSurveyStats) s = bimi_survey_stats_new(6 * 3600);
  /* 2026-03-02T05:59:59Z, 06:00:00Z, 1969-12-31T23:00:00Z (before the epoch: the bin below) */
  gint64 times[] = { 1772431199, 1772431200, -3600, 1772431200 + 3 };
  BimiSurveyObservation o;

  for (guint i = 0; i < G_N_ELEMENTS(times); i++)
    add_at(s, times[i], "a.example", BIMI_SURVEY_POLICY_REJECT);
  o = obs_at(0, "a.example", BIMI_SURVEY_POLICY_REJECT);
  o.dated = FALSE;
  bimi_survey_stats_add(s, &o);
  bimi_survey_observation_clear(&o);
  g_assert_cmpuint(bimi_survey_stats_n_bins(s), ==, 3);
  g_assert_cmpint(bimi_survey_stats_bin_start(s, 0), ==, -6 * 3600);
  g_assert_cmpint(bimi_survey_stats_bin_start(s, 1), ==, 1772409600);
  g_assert_cmpint(bimi_survey_stats_bin_start(s, 2), ==, 1772431200);
  g_assert_cmpuint(bimi_survey_stats_bin(s, 2)->messages, ==, 2);
  g_assert_cmpuint(bimi_survey_stats_total(s)->messages, ==, 5);
  g_assert_cmpuint(bimi_survey_stats_undated(s), ==, 1);
  g_assert_cmpuint(bimi_survey_stats_bin(s, 2)->policy_domains[BIMI_SURVEY_POLICY_REJECT], ==, 1);
}

/* BIMI_SURVEY_MAX_BINS bins are kept; a message of one more bin counts in the total only. */
static void
test_max_bins(void)
{
  g_autoptr(BimiSurveyStats) s = bimi_survey_stats_new(BIMI_SURVEY_MIN_BIN_SECONDS);

  for (guint i = 0; i <= BIMI_SURVEY_MAX_BINS; i++)
    add_at(s, (gint64) i * BIMI_SURVEY_MIN_BIN_SECONDS, "a.example", BIMI_SURVEY_POLICY_NONE);
  g_assert_cmpuint(bimi_survey_stats_n_bins(s), ==, BIMI_SURVEY_MAX_BINS);
  g_assert_cmpuint(bimi_survey_stats_beyond_bin_limit(s), ==, 1);
  g_assert_cmpuint(bimi_survey_stats_total(s)->messages, ==, BIMI_SURVEY_MAX_BINS + 1);
  /* an existing bin still counts */
  add_at(s, 0, "a.example", BIMI_SURVEY_POLICY_NONE);
  g_assert_cmpuint(bimi_survey_stats_bin(s, 0)->messages, ==, 2);
  g_assert_cmpuint(bimi_survey_stats_beyond_bin_limit(s), ==, 1);
}

/* BIMI_SURVEY_MAX_DOMAINS distinct domains are counted per table; past it the count is capped. */
static void
test_max_domains(void)
{
  g_autoptr(BimiSurveyStats) s = bimi_survey_stats_new(86400);
  char name[64];

  for (guint i = 0; i <= BIMI_SURVEY_MAX_DOMAINS; i++) {
    g_snprintf(name, sizeof name, "d%u.example", i);
    add_at(s, 0, name, BIMI_SURVEY_POLICY_QUARANTINE);
  }
  g_assert_cmpuint(bimi_survey_stats_total(s)->policy_domains[BIMI_SURVEY_POLICY_QUARANTINE], ==,
                   BIMI_SURVEY_MAX_DOMAINS);
  g_assert_true(bimi_survey_stats_total(s)->domains_capped);
  g_assert_cmpuint(bimi_survey_stats_total(s)->policy[BIMI_SURVEY_POLICY_QUARANTINE], ==,
                   BIMI_SURVEY_MAX_DOMAINS + 1);
}

/* BIMI_SURVEY_MAX_MALFORMED_LISTED are listed, in input order; all are counted. */
static void
test_max_malformed(void)
{
  g_autoptr(BimiSurveyStats) s = bimi_survey_stats_new(3600);
  GPtrArray *list;

  for (guint i = BIMI_SURVEY_MAX_MALFORMED_LISTED + 5; i-- > 0;) {
    g_autofree char *where = g_strdup_printf("m%u.eml", i);
    bimi_survey_stats_add_malformed(s, i, where, "bad");
  }
  list = bimi_survey_stats_malformed(s);
  g_assert_cmpuint(bimi_survey_stats_n_malformed(s), ==, BIMI_SURVEY_MAX_MALFORMED_LISTED + 5);
  g_assert_cmpuint(list->len, ==, BIMI_SURVEY_MAX_MALFORMED_LISTED);
  /* the first ones added were the last of the input: listed in input order */
  g_assert_cmpstr(((BimiSurveyMalformed *) list->pdata[0])->where, ==, "m5.eml");
}

static void
test_duration(void)
{
  static const struct { const char *text; gint64 seconds; } good[] = {
    { "6h", 21600 }, { "30m", 1800 }, { "1d", 86400 }, { "1w", 604800 }, { "3600s", 3600 }, { "60", 60 },
    { "366d", 366 * 86400 },
  };
  static const char *const bad[] = { "", "h", "6", "59s", "6x", "6hh", "-6h", "+6h", " 6h", "367d", "99999999999w" };

  for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
    gint64 v = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(bimi_survey_parse_duration(good[i].text, &v, &error));
    g_assert_cmpint(v, ==, good[i].seconds);
  }
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    gint64 v = 0;
    g_autoptr(GError) error = NULL;
    g_assert_false(bimi_survey_parse_duration(bad[i], &v, &error));
    g_assert_error(error, BIMI_SURVEY_ERROR, BIMI_SURVEY_ERROR_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "--bin"));
  }
}

static void
assert_received_time(const char *text, const char *const *trusted, gboolean found, gint64 want)
{
  g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  gint64 t = 0;

  g_assert_no_error(error);
  g_assert_cmpint(bimi_survey_received_time(msg, trusted, &t), ==, found);
  if (found)
    g_assert_cmpint(t, ==, want);
}

static void
test_received_time(void)
{
  const char *const trusted[] = { "mx.example.net", NULL };
  const char *msg =
      "Received: by mailstore.example.net; Tue, 03 Mar 2026 00:00:00 +0000\n"
      "Received: from a.example (a.example [192.0.2.1])\n\tby MX.example.net. with ESMTP id 1\n"
      "\tfor <u@example.net>; Mon, 2 Mar 2026 22:10:00 +0900\n"
      "Received: from b.example by a.example; Mon, 02 Mar 2026 10:00:00 +0000\n"
      "From: a@a.example\n\nbody\n";

  /* the trusted hop (its by-host case-insensitively, the root dot ignored), zone applied: 13:10 UTC */
  assert_received_time(msg, trusted, TRUE, 1772457000);
  /* no trusted receivers: the topmost field */
  assert_received_time(msg, NULL, TRUE, 1772496000);
  /* no trusted hop: the topmost field's date */
  assert_received_time("Received: from x by y; Mon, 02 Mar 2026 10:00:00 +0000\nFrom: a@b.example\n\nx\n", trusted,
                       TRUE, 1772445600);
  /* no date anywhere */
  assert_received_time("Received: from x by mx.example.net with SMTP\nFrom: a@b.example\n\nx\n", trusted, FALSE, 0);
  assert_received_time("From: a@b.example\n\nx\n", trusted, FALSE, 0);
  /* a date that is year 10000 in UTC: unreadable */
  assert_received_time("Received: from x by mx.example.net; 31 Dec 9999 23:59:59 -1200\nFrom: a@b.example\n\nx\n",
                       trusted, FALSE, 0);
  /* an unreadable date */
  assert_received_time("Received: from x by mx.example.net; yesterday\nFrom: a@b.example\n\nx\n", trusted, FALSE, 0);
}

/* The receiver actions from a decision's typed auth facts (the JSON's auth.rdns, auth.dmarc and
 * auth.bimi; survey-stats.h); @bimi_result < 0: auth.bimi is null. */
static BimiSurveyObservation
observe(BimiDecisionAuth auth, int bimi_result)
{
  g_autofree char *author = g_strdup("Example.COM");
  BimiDecision d = { 0 };
  BimiSurveyObservation o = { 0 };

  d.auth = auth;
  d.has_bimi = bimi_result >= 0;
  d.bimi_result = bimi_result >= 0 ? (BimiBimiResultCode) bimi_result : BIMI_BIMI_RESULT_NONE;
  d.author_domain = author;
  d.reason_id = BIMI_DECISION_REASON_DMARC_FAIL;
  bimi_survey_observation_from_decision(&d, &o);
  g_assert_cmpstr(o.author_domain, ==, "example.com");
  return o;
}

static void
test_actions(void)
{
  BimiSurveyObservation o;

  /* p=reject failure from a client without PTR (rdns none; dmarc fail, requested reject, disposition
   * reject, a record; bimi null) */
  o = observe((BimiDecisionAuth) { .has_rdns = TRUE, .rdns = BIMI_RDNS_RESULT_NONE, .has_dmarc = TRUE,
                                   .dmarc = BIMI_DMARC_RESULT_FAIL, .has_requested_policy = TRUE,
                                   .requested_policy = BIMI_DMARC_POLICY_REJECT, .has_dmarc_record = TRUE,
                                   .disposition = BIMI_DMARC_POLICY_REJECT }, -1);
  g_assert_cmpint(o.fcrdns, ==, BIMI_SURVEY_FCRDNS_NONE);
  g_assert_cmpint(o.policy, ==, BIMI_SURVEY_POLICY_REJECT);
  g_assert_cmpint(o.action[BIMI_SURVEY_SCENARIO_PUBLISHED], ==, BIMI_SURVEY_ACTION_REJECT);
  g_assert_cmpint(o.bimi_record, ==, BIMI_SURVEY_BIMI_NOT_LOOKED_UP);
  bimi_survey_observation_clear(&o);
  /* p=none failure: delivered, refused when p=none is refused too */
  o = observe((BimiDecisionAuth) { .has_rdns = TRUE, .rdns = BIMI_RDNS_RESULT_FAIL, .has_dmarc = TRUE,
                                   .dmarc = BIMI_DMARC_RESULT_FAIL, .has_requested_policy = TRUE,
                                   .requested_policy = BIMI_DMARC_POLICY_NONE, .has_dmarc_record = TRUE,
                                   .disposition = BIMI_DMARC_POLICY_NONE }, -1);
  g_assert_cmpint(o.action[BIMI_SURVEY_SCENARIO_PUBLISHED], ==, BIMI_SURVEY_ACTION_DELIVER);
  g_assert_cmpint(o.action[BIMI_SURVEY_SCENARIO_REFUSE_P_NONE], ==, BIMI_SURVEY_ACTION_REJECT);
  g_assert_cmpint(o.action[BIMI_SURVEY_SCENARIO_REFUSE_NO_PTR], ==, BIMI_SURVEY_ACTION_DELIVER);
  bimi_survey_observation_clear(&o);
  /* a p=reject failure a trusted ARC sealer vouched for: delivered in every policy */
  o = observe((BimiDecisionAuth) { .has_rdns = TRUE, .rdns = BIMI_RDNS_RESULT_PASS, .has_dmarc = TRUE,
                                   .dmarc = BIMI_DMARC_RESULT_FAIL, .has_requested_policy = TRUE,
                                   .requested_policy = BIMI_DMARC_POLICY_REJECT, .has_dmarc_record = TRUE,
                                   .disposition = BIMI_DMARC_POLICY_NONE, .arc_override = TRUE }, -1);
  for (guint s = 0; s < BIMI_SURVEY_SCENARIO_N; s++)
    g_assert_cmpint(o.action[s], ==, BIMI_SURVEY_ACTION_DELIVER);
  bimi_survey_observation_clear(&o);
  /* no record; no envelope; a BIMI record whose logo fetch timed out still counts as published */
  o = observe((BimiDecisionAuth) { .has_dmarc = TRUE, .dmarc = BIMI_DMARC_RESULT_NONE, .has_bimi_record = TRUE },
              BIMI_BIMI_RESULT_TEMPERROR);
  g_assert_cmpint(o.fcrdns, ==, BIMI_SURVEY_FCRDNS_NO_ENVELOPE);
  g_assert_cmpint(o.policy, ==, BIMI_SURVEY_POLICY_NO_RECORD);
  g_assert_cmpint(o.bimi_record, ==, BIMI_SURVEY_BIMI_RECORD);
  bimi_survey_observation_clear(&o);
  /* a DNS temperror: the policy is unknown, the BIMI lookup a temperror */
  o = observe((BimiDecisionAuth) { .has_rdns = TRUE, .rdns = BIMI_RDNS_RESULT_TEMPERROR, .has_dmarc = TRUE,
                                   .dmarc = BIMI_DMARC_RESULT_TEMPERROR }, BIMI_BIMI_RESULT_TEMPERROR);
  g_assert_cmpint(o.fcrdns, ==, BIMI_SURVEY_FCRDNS_TEMPERROR);
  g_assert_cmpint(o.policy, ==, BIMI_SURVEY_POLICY_UNKNOWN);
  g_assert_cmpint(o.bimi_record, ==, BIMI_SURVEY_BIMI_TEMPERROR);
  bimi_survey_observation_clear(&o);
  /* no usable From: no DMARC result, no policy; BIMI skipped */
  o = observe((BimiDecisionAuth) { .has_rdns = TRUE, .rdns = BIMI_RDNS_RESULT_PASS }, BIMI_BIMI_RESULT_SKIPPED);
  g_assert_cmpint(o.dmarc, ==, BIMI_SURVEY_DMARC_NO_FROM);
  g_assert_cmpint(o.policy, ==, BIMI_SURVEY_POLICY_UNKNOWN);
  g_assert_cmpint(o.bimi_record, ==, BIMI_SURVEY_BIMI_NOT_LOOKED_UP);
  bimi_survey_observation_clear(&o);
}

/* The text table, JSON and CSV writers give the same numbers for one stats. */
static void
test_outputs_agree(void)
{
  g_autoptr(BimiSurveyStats) s = bimi_survey_stats_new(3600);
  BimiSurveyRunResult run = { .messages = 3, .evaluated = 2, .elapsed = 1.0, .messages_per_second = 3.0 };
  const char *const inputs[] = { "in", NULL };
  BimiSurveyReportInfo info = { .inputs = inputs, .jobs = 1, .run = &run };
  BimiSurveyObservation o = obs_at(3600, "a.example", BIMI_SURVEY_POLICY_REJECT);
  g_autoptr(GString) text = g_string_new(NULL), csv = g_string_new(NULL);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autofree char *js = NULL;

  o.action[BIMI_SURVEY_SCENARIO_PUBLISHED] = BIMI_SURVEY_ACTION_QUARANTINE;
  bimi_survey_stats_add(s, &o);
  bimi_survey_observation_clear(&o);
  add_at(s, 3700, "b.example", BIMI_SURVEY_POLICY_NONE);
  bimi_survey_stats_add_malformed(s, 2, "x,\"y\".eml", "no header");
  bimi_survey_write_table(s, &info, text);
  bimi_survey_write_csv(s, &info, csv);
  json = bimi_survey_build_json(s, &info);
  json_generator_set_root(gen, json);
  js = json_generator_to_data(gen, NULL);
  g_assert_nonnull(strstr(text->str, "\ntotal                   2  1  50.0%"));
  g_assert_nonnull(strstr(csv->str, "\r\ntotal,,receiver_published,quarantine,1,0.5000,\r\n"));
  g_assert_nonnull(strstr(csv->str, "\r\nrun,,malformed,\"x,\"\"y\"\".eml\",1,,no header\r\n"));
  g_assert_nonnull(strstr(js, "\"receiver_published\":{\"counts\":{\"reject\":0,\"quarantine\":1,\"deliver\":1,"
                              "\"refused\":1},\"shares\":{\"reject\":0.0,\"quarantine\":0.5,\"deliver\":0.5,"
                              "\"refused\":0.5}}"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/survey/stats/bins-utc", test_bins_utc);
  g_test_add_func("/survey/stats/max-bins", test_max_bins);
  g_test_add_func("/survey/stats/max-domains", test_max_domains);
  g_test_add_func("/survey/stats/max-malformed", test_max_malformed);
  g_test_add_func("/survey/run/duration", test_duration);
  g_test_add_func("/survey/run/received-time", test_received_time);
  g_test_add_func("/survey/stats/actions", test_actions);
  g_test_add_func("/survey/output/agree", test_outputs_agree);
  return g_test_run();
}
