/* survey/survey-stats.c — observations from decisions, and their counts per bin and in total.
 *
 * The receiver actions follow RFC 9989 §5.5 / RFC 7489 §6.6: only a DMARC "fail" is acted on, with
 * the disposition the engine computed (engine/dmarc: the published p/sp/np, reduced by t=y test
 * mode in RFC 9989 mode or by pct sampling in RFC 7489 mode, relaxed to none by a trusted ARC
 * sealer); see survey-stats.h for the three receiver policies.
 */
#include "survey/survey-stats.h"

#include <string.h>

#include "engine/base/base-mem.h"
#include "engine/base/base-names.h"
#include "engine/limits.h"

/* ---- names -------------------------------------------------------------------------------------- */

/* The names of each enum of survey-stats.h, in the order of its values (the _N member counts them). */
static const char *const fcrdns_names[] = { "pass", "fail", "none", "temperror", "no_envelope" };
static const char *const dmarc_names[] = { "pass", "fail", "none", "temperror", "permerror", "no_from" };
static const char *const policy_names[] = { "reject", "quarantine", "none", "no_record", "unknown" };
static const char *const action_names[] = { "reject", "quarantine", "deliver" };
static const char *const scenario_names[] = { "published", "refuse_p_none", "refuse_no_ptr" };
static const char *const bimi_record_names[] = { "record", "no_record", "not_looked_up", "temperror" };
G_STATIC_ASSERT(G_N_ELEMENTS(fcrdns_names) == BIMI_SURVEY_FCRDNS_N);
G_STATIC_ASSERT(G_N_ELEMENTS(dmarc_names) == BIMI_SURVEY_DMARC_N);
G_STATIC_ASSERT(G_N_ELEMENTS(policy_names) == BIMI_SURVEY_POLICY_N);
G_STATIC_ASSERT(G_N_ELEMENTS(action_names) == BIMI_SURVEY_ACTION_N);
G_STATIC_ASSERT(G_N_ELEMENTS(scenario_names) == BIMI_SURVEY_SCENARIO_N);
G_STATIC_ASSERT(G_N_ELEMENTS(bimi_record_names) == BIMI_SURVEY_BIMI_N);

BIMI_DEFINE_NAME_TO_STRING(BimiSurveyFcrdns, bimi_survey_fcrdns_to_string, fcrdns_names, "?")
BIMI_DEFINE_NAME_TO_STRING(BimiSurveyDmarc, bimi_survey_dmarc_to_string, dmarc_names, "?")
BIMI_DEFINE_NAME_TO_STRING(BimiSurveyPolicy, bimi_survey_policy_to_string, policy_names, "?")
BIMI_DEFINE_NAME_TO_STRING(BimiSurveyAction, bimi_survey_action_to_string, action_names, "?")
BIMI_DEFINE_NAME_TO_STRING(BimiSurveyScenario, bimi_survey_scenario_to_string, scenario_names, "?")
BIMI_DEFINE_NAME_TO_STRING(BimiSurveyBimiRecord, bimi_survey_bimi_record_to_string, bimi_record_names, "?")

/* ---- observation ------------------------------------------------------------------------------ */

/* Every fact below is the typed twin of a member of the decision's JSON "auth" object (docs/api.md),
 * BimiDecisionAuth: the same values, without parsing the JSON back (json-glib's parser emits GObject
 * signals under one process-wide lock, and the evaluation threads queued on it). */

/* engine/rdns's and engine/dmarc's results as the survey counts them (the enums list them in other orders). */
static const BimiSurveyFcrdns fcrdns_by_rdns_result[] = {
  [BIMI_RDNS_RESULT_NONE] = BIMI_SURVEY_FCRDNS_NONE,
  [BIMI_RDNS_RESULT_PASS] = BIMI_SURVEY_FCRDNS_PASS,
  [BIMI_RDNS_RESULT_FAIL] = BIMI_SURVEY_FCRDNS_FAIL,
  [BIMI_RDNS_RESULT_TEMPERROR] = BIMI_SURVEY_FCRDNS_TEMPERROR,
};
static const BimiSurveyDmarc dmarc_by_dmarc_result[] = {
  [BIMI_DMARC_RESULT_NONE] = BIMI_SURVEY_DMARC_NONE,
  [BIMI_DMARC_RESULT_PASS] = BIMI_SURVEY_DMARC_PASS,
  [BIMI_DMARC_RESULT_FAIL] = BIMI_SURVEY_DMARC_FAIL,
  [BIMI_DMARC_RESULT_TEMPERROR] = BIMI_SURVEY_DMARC_TEMPERROR,
  [BIMI_DMARC_RESULT_PERMERROR] = BIMI_SURVEY_DMARC_PERMERROR,
};

/* auth.rdns.result and auth.dmarc.result; a null auth.rdns (no client address) is "no envelope", a null
 * auth.dmarc (no usable From) "no From". A result past the tables (none today) counts as a temperror of
 * FCrDNS, as no From for DMARC. */
static void
observe_results(const BimiDecisionAuth *a, BimiSurveyObservation *out)
{
  if (!a->has_rdns)
    out->fcrdns = BIMI_SURVEY_FCRDNS_NO_ENVELOPE;
  else if ((guint) a->rdns < G_N_ELEMENTS(fcrdns_by_rdns_result))
    out->fcrdns = fcrdns_by_rdns_result[a->rdns];
  else
    out->fcrdns = BIMI_SURVEY_FCRDNS_TEMPERROR;
  if (a->has_dmarc && (guint) a->dmarc < G_N_ELEMENTS(dmarc_by_dmarc_result))
    out->dmarc = dmarc_by_dmarc_result[a->dmarc];
  else
    out->dmarc = BIMI_SURVEY_DMARC_NO_FROM;
}

static BimiSurveyPolicy
policy_from_dmarc(BimiDmarcPolicy p)
{
  switch (p) {
  case BIMI_DMARC_POLICY_REJECT: return BIMI_SURVEY_POLICY_REJECT;
  case BIMI_DMARC_POLICY_QUARANTINE: return BIMI_SURVEY_POLICY_QUARANTINE;
  case BIMI_DMARC_POLICY_NONE: return BIMI_SURVEY_POLICY_NONE;
  default: return BIMI_SURVEY_POLICY_UNKNOWN;
  }
}

/* The published (requested) policy; a "none" result without a record is "no record". */
static BimiSurveyPolicy
policy_of(const BimiDecisionAuth *a, BimiSurveyDmarc result)
{
  if (a->has_dmarc && a->has_requested_policy)
    return policy_from_dmarc(a->requested_policy);
  if (result == BIMI_SURVEY_DMARC_NONE && !a->has_dmarc_record)
    return BIMI_SURVEY_POLICY_NO_RECORD;
  return BIMI_SURVEY_POLICY_UNKNOWN;
}

/* A record found is a record published, whatever became of its indicator (pass, declined, fail;
 * temperror of the logo or evidence fetch); else the result says why there is none. */
static BimiSurveyBimiRecord
bimi_record_of(const BimiDecision *d)
{
  if (d->auth.has_bimi_record)
    return BIMI_SURVEY_BIMI_RECORD;
  if (!d->has_bimi || d->bimi_result == BIMI_BIMI_RESULT_SKIPPED)
    return BIMI_SURVEY_BIMI_NOT_LOOKED_UP;
  if (d->bimi_result == BIMI_BIMI_RESULT_NONE)
    return BIMI_SURVEY_BIMI_NO_RECORD;
  if (d->bimi_result == BIMI_BIMI_RESULT_TEMPERROR)
    return BIMI_SURVEY_BIMI_TEMPERROR;
  return BIMI_SURVEY_BIMI_RECORD; /* fail: an invalid record, or several */
}

void
bimi_survey_observation_from_decision(BimiDecision *decision, BimiSurveyObservation *out)
{
  const BimiDecisionAuth *a = &decision->auth;
  BimiSurveyAction published = BIMI_SURVEY_ACTION_DELIVER;

  observe_results(a, out);
  out->policy = policy_of(a, out->dmarc);
  g_free(out->author_domain);
  out->author_domain = decision->author_domain != NULL ? g_ascii_strdown(decision->author_domain, -1) : NULL;
  out->bimi_record = bimi_record_of(decision);
  out->decision = decision->kind;
  out->reason = decision->reason_id;

  if (out->dmarc == BIMI_SURVEY_DMARC_FAIL) {
    BimiSurveyPolicy disposition = policy_from_dmarc(a->disposition);
    if (disposition == BIMI_SURVEY_POLICY_REJECT)
      published = BIMI_SURVEY_ACTION_REJECT;
    else if (disposition == BIMI_SURVEY_POLICY_QUARANTINE)
      published = BIMI_SURVEY_ACTION_QUARANTINE;
  }
  out->action[BIMI_SURVEY_SCENARIO_PUBLISHED] = published;
  /* p=none refused too: a fail the sender's policy (p=none, t=y, pct) let through is rejected;
   * one an override relaxed (a trusted ARC sealer vouched for it) is not. */
  out->action[BIMI_SURVEY_SCENARIO_REFUSE_P_NONE] =
      out->dmarc == BIMI_SURVEY_DMARC_FAIL && published == BIMI_SURVEY_ACTION_DELIVER && !a->arc_override
          ? BIMI_SURVEY_ACTION_REJECT
          : published;
  out->action[BIMI_SURVEY_SCENARIO_REFUSE_NO_PTR] =
      out->fcrdns == BIMI_SURVEY_FCRDNS_NONE ? BIMI_SURVEY_ACTION_REJECT : published;
}

void
bimi_survey_observation_clear(BimiSurveyObservation *obs)
{
  g_clear_pointer(&obs->author_domain, g_free);
}

/* ---- counts ------------------------------------------------------------------------------------ */

guint64
bimi_survey_counts_refused(const BimiSurveyCounts *c, BimiSurveyScenario scenario)
{
  return c->action[scenario][BIMI_SURVEY_ACTION_REJECT] + c->action[scenario][BIMI_SURVEY_ACTION_QUARANTINE];
}

double
bimi_survey_counts_share(const BimiSurveyCounts *c, guint64 count)
{
  return c->messages > 0 ? (double) count / (double) c->messages : 0.0;
}

/* One bin (or the total): the counts and the distinct domains seen under each policy. */
typedef struct {
  gint64 start;
  BimiSurveyCounts counts;
  GHashTable *domains[BIMI_SURVEY_POLICY_N]; /* of char* (owned), a set */
  guint n_domains;                           /* entries of all sets together */
} Bin;

static Bin *
bin_new(gint64 start)
{
  Bin *b = g_new0(Bin, 1);

  b->start = start;
  for (guint i = 0; i < BIMI_SURVEY_POLICY_N; i++)
    b->domains[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return b;
}

static void
bin_free(gpointer p)
{
  Bin *b = p;

  for (guint i = 0; i < BIMI_SURVEY_POLICY_N; i++)
    g_hash_table_unref(b->domains[i]);
  g_free(b);
}

static void
bin_add(Bin *b, const BimiSurveyObservation *obs)
{
  BimiSurveyCounts *c = &b->counts;

  c->messages++;
  c->fcrdns[obs->fcrdns]++;
  c->dmarc[obs->dmarc]++;
  c->policy[obs->policy]++;
  for (guint s = 0; s < BIMI_SURVEY_SCENARIO_N; s++)
    c->action[s][obs->action[s]]++;
  c->bimi_record[obs->bimi_record]++;
  if ((guint) obs->decision < BIMI_SURVEY_DECISION_N)
    c->decision[obs->decision]++;
  if ((guint) obs->reason < BIMI_SURVEY_REASON_N)
    c->reason[obs->reason]++;
  if (obs->author_domain != NULL && !g_hash_table_contains(b->domains[obs->policy], obs->author_domain)) {
    if (b->n_domains >= BIMI_SURVEY_MAX_DOMAINS) {
      c->domains_capped = TRUE;
    } else {
      g_hash_table_add(b->domains[obs->policy], g_strdup(obs->author_domain));
      b->n_domains++;
      c->policy_domains[obs->policy]++;
    }
  }
}

struct BimiSurveyStats {
  gint64 bin_seconds;
  GHashTable *bins;     /* start (gint64*) -> Bin* */
  GPtrArray *sorted;    /* of Bin* (borrowed from @bins), in time order */
  Bin *total;
  guint64 undated;
  guint64 beyond_bin_limit;
  guint64 outside_period;
  guint64 n_malformed;
  GPtrArray *malformed; /* of Malformed*, sorted by seq on access */
  gboolean malformed_sorted;
};

typedef struct {
  BimiSurveyMalformed pub;
  guint64 seq;
} Malformed;

static void
malformed_free(gpointer p)
{
  Malformed *m = p;

  g_free(m->pub.where);
  g_free(m->pub.reason);
  g_free(m);
}

BimiSurveyStats *
bimi_survey_stats_new(gint64 bin_seconds)
{
  BimiSurveyStats *s;

  g_return_val_if_fail(bin_seconds >= BIMI_SURVEY_MIN_BIN_SECONDS, NULL);
  s = g_new0(BimiSurveyStats, 1);
  s->bin_seconds = bin_seconds;
  s->bins = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, bin_free);
  s->sorted = g_ptr_array_new();
  s->total = bin_new(0);
  s->malformed = g_ptr_array_new_with_free_func(malformed_free);
  return s;
}

BIMI_DEFINE_FREE_FUNC(BimiSurveyStats, bimi_survey_stats_free, stats)
{
  g_clear_pointer(&stats->sorted, g_ptr_array_unref);
  g_hash_table_unref(stats->bins);
  bin_free(stats->total);
  g_ptr_array_unref(stats->malformed);
}

/* The position where a bin starting at @start belongs in @sorted (binary search). */
static guint
sorted_position(GPtrArray *sorted, gint64 start)
{
  guint lo = 0, hi = sorted->len;

  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (((const Bin *) sorted->pdata[mid])->start < start)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void
bimi_survey_stats_add(BimiSurveyStats *stats, const BimiSurveyObservation *obs)
{
  bin_add(stats->total, obs);
  if (!obs->dated) {
    stats->undated++;
    return;
  }
  {
    /* floor division: dates before 1970 fall in the bin below, not towards zero */
    gint64 start = obs->time - (((obs->time % stats->bin_seconds) + stats->bin_seconds) % stats->bin_seconds);
    Bin *b = g_hash_table_lookup(stats->bins, &start);
    if (b == NULL) {
      if (g_hash_table_size(stats->bins) >= BIMI_SURVEY_MAX_BINS) {
        stats->beyond_bin_limit++;
        return;
      }
      b = bin_new(start);
      g_hash_table_insert(stats->bins, &b->start, b);
      g_ptr_array_insert(stats->sorted, (gint) sorted_position(stats->sorted, start), b);
    }
    bin_add(b, obs);
  }
}

void
bimi_survey_stats_add_malformed(BimiSurveyStats *stats, guint64 seq, const char *where, const char *reason)
{
  Malformed *m;

  stats->n_malformed++;
  if (stats->malformed->len >= BIMI_SURVEY_MAX_MALFORMED_LISTED)
    return;
  m = g_new0(Malformed, 1);
  m->seq = seq;
  m->pub.where = g_strdup(where);
  m->pub.reason = g_strdup(reason);
  g_ptr_array_add(stats->malformed, m);
  stats->malformed_sorted = FALSE;
}

void
bimi_survey_stats_add_outside_period(BimiSurveyStats *stats)
{
  stats->outside_period++;
}

gint64
bimi_survey_stats_bin_seconds(const BimiSurveyStats *stats)
{
  return stats->bin_seconds;
}

guint
bimi_survey_stats_n_bins(const BimiSurveyStats *stats)
{
  return g_hash_table_size(stats->bins);
}

gint64
bimi_survey_stats_bin_start(const BimiSurveyStats *stats, guint i)
{
  g_return_val_if_fail(i < stats->sorted->len, 0);
  return ((const Bin *) stats->sorted->pdata[i])->start;
}

const BimiSurveyCounts *
bimi_survey_stats_bin(const BimiSurveyStats *stats, guint i)
{
  g_return_val_if_fail(i < stats->sorted->len, NULL);
  return &((const Bin *) stats->sorted->pdata[i])->counts;
}

const BimiSurveyCounts *
bimi_survey_stats_total(const BimiSurveyStats *stats)
{
  return &stats->total->counts;
}

guint64
bimi_survey_stats_undated(const BimiSurveyStats *stats)
{
  return stats->undated;
}

guint64
bimi_survey_stats_beyond_bin_limit(const BimiSurveyStats *stats)
{
  return stats->beyond_bin_limit;
}

guint64
bimi_survey_stats_outside_period(const BimiSurveyStats *stats)
{
  return stats->outside_period;
}

guint64
bimi_survey_stats_n_malformed(const BimiSurveyStats *stats)
{
  return stats->n_malformed;
}

static gint
malformed_compare(gconstpointer a, gconstpointer b)
{
  const Malformed *x = *(Malformed *const *) a, *y = *(Malformed *const *) b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

GPtrArray *
bimi_survey_stats_malformed(BimiSurveyStats *stats)
{
  if (!stats->malformed_sorted) {
    g_ptr_array_sort(stats->malformed, malformed_compare);
    stats->malformed_sorted = TRUE;
  }
  return stats->malformed;
}
