/* survey/survey-stats.h — the counts of `bimi survey` (issue 17): one observation per evaluated
 * message, aggregated per time bin of the Received date (UTC) and in total.
 *
 * An observation is read from a decision of the evaluate pipeline (evaluate/evaluate.h, the same
 * one bimi-fcgi answers): auth.rdns (FCrDNS), auth.dmarc (result, published policy, disposition
 * after pct / t= test mode and the ARC / trusted-A-R overrides the pipeline applied), auth.bimi and
 * the decision. From it, what a DMARC-enforcing receiver would do (RFC 9989 §5.5 / RFC 7489 §6.6
 * "Mail Receiver Actions") under three policies:
 *   - published: a DMARC "fail" gets its disposition (reject / quarantine; none → deliver);
 *   - refuse p=none too: moreover a "fail" whose disposition is none without an override
 *     (p=none, t=y test mode, pct not sampled) is rejected — what large mailbox providers do;
 *   - refuse PTR-less clients too: the published policy, and a client without a PTR (FCrDNS none)
 *     is rejected.
 * "Refused" is reject + quarantine: the mail does not reach the inbox.
 *
 * Not thread-safe: the survey runner adds under its own lock.
 */
#ifndef BIMI_SURVEY_STATS_H
#define BIMI_SURVEY_STATS_H

#include <glib.h>
#include "evaluate/evaluate.h"

G_BEGIN_DECLS

/** FCrDNS of the client address (engine/rdns), or no envelope (no trusted Received field). */
typedef enum {
  BIMI_SURVEY_FCRDNS_PASS,
  BIMI_SURVEY_FCRDNS_FAIL,       /**< PTR names exist, none forward-confirmed */
  BIMI_SURVEY_FCRDNS_NONE,       /**< no PTR record */
  BIMI_SURVEY_FCRDNS_TEMPERROR,
  BIMI_SURVEY_FCRDNS_NO_ENVELOPE, /**< no Received field of a trusted receiver (or no client address in it) */
  BIMI_SURVEY_FCRDNS_N
} BimiSurveyFcrdns;

/** The DMARC result; no-from: the message has no usable RFC5322.From, DMARC did not run. */
typedef enum {
  BIMI_SURVEY_DMARC_PASS,
  BIMI_SURVEY_DMARC_FAIL,
  BIMI_SURVEY_DMARC_NONE,
  BIMI_SURVEY_DMARC_TEMPERROR,
  BIMI_SURVEY_DMARC_PERMERROR,
  BIMI_SURVEY_DMARC_NO_FROM,
  BIMI_SURVEY_DMARC_N
} BimiSurveyDmarc;

/** The policy the author domain publishes (p=, or sp=/np= where it applies), as requested. */
typedef enum {
  BIMI_SURVEY_POLICY_REJECT,
  BIMI_SURVEY_POLICY_QUARANTINE,
  BIMI_SURVEY_POLICY_NONE,
  BIMI_SURVEY_POLICY_NO_RECORD,
  BIMI_SURVEY_POLICY_UNKNOWN,    /**< DNS temperror, an unusable record, or no From */
  BIMI_SURVEY_POLICY_N
} BimiSurveyPolicy;

/** What a receiver does with the message. */
typedef enum {
  BIMI_SURVEY_ACTION_REJECT,
  BIMI_SURVEY_ACTION_QUARANTINE,
  BIMI_SURVEY_ACTION_DELIVER,
  BIMI_SURVEY_ACTION_N
} BimiSurveyAction;

/** Which receiver policy (see the top of this file). */
typedef enum {
  BIMI_SURVEY_SCENARIO_PUBLISHED,
  BIMI_SURVEY_SCENARIO_REFUSE_P_NONE,
  BIMI_SURVEY_SCENARIO_REFUSE_NO_PTR,
  BIMI_SURVEY_SCENARIO_N
} BimiSurveyScenario;

/** Whether the author domain publishes a BIMI Assertion Record. */
typedef enum {
  BIMI_SURVEY_BIMI_RECORD,        /**< found (valid, declined or invalid) */
  BIMI_SURVEY_BIMI_NO_RECORD,
  BIMI_SURVEY_BIMI_NOT_LOOKED_UP, /**< discovery did not run: DMARC did not pass or does not enforce, no From */
  BIMI_SURVEY_BIMI_TEMPERROR,
  BIMI_SURVEY_BIMI_N
} BimiSurveyBimiRecord;

/** Decision kinds (BimiDecisionKind order: none, logo, logo+checkmark). */
#define BIMI_SURVEY_DECISION_N 3
/** Decision reasons (BimiDecisionReason, every value). */
#define BIMI_SURVEY_REASON_N (BIMI_DECISION_REASON_TEMPERROR + 1)

/** The stable names used in the table, JSON and CSV ("pass", "no_envelope", "no_record"...). (transfer none) */
const char *bimi_survey_fcrdns_to_string(BimiSurveyFcrdns v);
const char *bimi_survey_dmarc_to_string(BimiSurveyDmarc v);
const char *bimi_survey_policy_to_string(BimiSurveyPolicy v);
const char *bimi_survey_action_to_string(BimiSurveyAction v);
/** "published", "refuse_p_none", "refuse_no_ptr". */
const char *bimi_survey_scenario_to_string(BimiSurveyScenario v);
/** "record", "no_record", "not_looked_up", "temperror". */
const char *bimi_survey_bimi_record_to_string(BimiSurveyBimiRecord v);

/** One evaluated message, typed. Plain data; @author_domain owned (free with bimi_survey_observation_clear()). */
typedef struct {
  gboolean dated;          /**< @time is set (a Received date was read) */
  gint64 time;             /**< the Received date, seconds since the epoch (UTC) */
  BimiSurveyFcrdns fcrdns;
  BimiSurveyDmarc dmarc;
  BimiSurveyPolicy policy;
  char *author_domain;     /**< lower case, NULL without a usable From */
  BimiSurveyAction action[BIMI_SURVEY_SCENARIO_N];
  BimiSurveyBimiRecord bimi_record;
  BimiDecisionKind decision;
  BimiDecisionReason reason;
} BimiSurveyObservation;

/**
 * bimi_survey_observation_from_decision:
 * @decision: (transfer none): an evaluation of one message (bimi_evaluator_evaluate()); read, not
 *   changed (its typed BimiDecisionAuth: no JSON is parsed)
 * @out: (out caller-allocates): filled; @dated and @time are left as they are (the caller reads
 *   the Received date); clear with bimi_survey_observation_clear()
 *
 * Reads what the decision's auth.rdns, auth.dmarc and auth.bimi members (docs/api.md) hold, typed, and computes the
 * three receivers' actions (see the top of this file).
 */
void bimi_survey_observation_from_decision(BimiDecision *decision, BimiSurveyObservation *out);

/** Frees @obs's strings (not @obs). */
void bimi_survey_observation_clear(BimiSurveyObservation *obs);

/** The counts of one bin or of the total. Plain data. */
typedef struct {
  guint64 messages;
  guint64 fcrdns[BIMI_SURVEY_FCRDNS_N];
  guint64 dmarc[BIMI_SURVEY_DMARC_N];
  guint64 policy[BIMI_SURVEY_POLICY_N];          /**< by messages */
  guint64 policy_domains[BIMI_SURVEY_POLICY_N];  /**< by distinct author domains (a domain seen under two
                                                  *   policies counts under each) */
  guint64 action[BIMI_SURVEY_SCENARIO_N][BIMI_SURVEY_ACTION_N];
  guint64 bimi_record[BIMI_SURVEY_BIMI_N];
  guint64 decision[BIMI_SURVEY_DECISION_N];      /**< indexed by BimiDecisionKind */
  guint64 reason[BIMI_SURVEY_REASON_N];          /**< indexed by BimiDecisionReason */
  gboolean domains_capped;                       /**< BIMI_SURVEY_MAX_DOMAINS was reached: policy_domains
                                                  *   are a lower bound */
} BimiSurveyCounts;

/** Refused (reject + quarantine) under @scenario. */
guint64 bimi_survey_counts_refused(const BimiSurveyCounts *c, BimiSurveyScenario scenario);
/** @count / @c->messages, 0 when there is no message. */
double bimi_survey_counts_share(const BimiSurveyCounts *c, guint64 count);

/** A message that could not be evaluated. */
typedef struct {
  char *where;   /**< the file (an mbox message: "PATH, message N (line L)") */
  char *reason;  /**< why (the error message) */
} BimiSurveyMalformed;

typedef struct BimiSurveyStats BimiSurveyStats;

/**
 * bimi_survey_stats_new:
 * @bin_seconds: bin width in seconds, at least BIMI_SURVEY_MIN_BIN_SECONDS; bins start at multiples
 *   of it since the epoch (6 h bins start at 00:00, 06:00, 12:00, 18:00 UTC)
 *
 * Returns: (transfer full): empty counts.
 */
BimiSurveyStats *bimi_survey_stats_new(gint64 bin_seconds);
void bimi_survey_stats_free(BimiSurveyStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiSurveyStats, bimi_survey_stats_free)

/**
 * bimi_survey_stats_add:
 * @obs: (transfer none): one evaluated message
 *
 * Counts @obs in the total and, when dated, in its bin (a new bin past BIMI_SURVEY_MAX_BINS: in the
 * total only, counted by bimi_survey_stats_beyond_bin_limit()); undated ones in the total only.
 */
void bimi_survey_stats_add(BimiSurveyStats *stats, const BimiSurveyObservation *obs);

/**
 * bimi_survey_stats_add_malformed:
 * @seq: the message's position in the input (0-based), so that the list keeps the input order
 * @where: (transfer none): the file
 * @reason: (transfer none): why it was not evaluated
 *
 * Counted always; listed up to BIMI_SURVEY_MAX_MALFORMED_LISTED.
 */
void bimi_survey_stats_add_malformed(BimiSurveyStats *stats, guint64 seq, const char *where, const char *reason);

/** Counts a message left out by --from / --to (not evaluated). */
void bimi_survey_stats_add_outside_period(BimiSurveyStats *stats);

gint64 bimi_survey_stats_bin_seconds(const BimiSurveyStats *stats);
/** Bins that hold at least one message, in time order. */
guint bimi_survey_stats_n_bins(const BimiSurveyStats *stats);
/** Start of bin @i (seconds since the epoch, UTC); the bin ends bin_seconds later. */
gint64 bimi_survey_stats_bin_start(const BimiSurveyStats *stats, guint i);
/** The counts of bin @i. (transfer none) */
const BimiSurveyCounts *bimi_survey_stats_bin(const BimiSurveyStats *stats, guint i);
/** The counts of every evaluated message. (transfer none) */
const BimiSurveyCounts *bimi_survey_stats_total(const BimiSurveyStats *stats);
/** Evaluated messages without a readable Received date (in the total, in no bin). */
guint64 bimi_survey_stats_undated(const BimiSurveyStats *stats);
/** Evaluated messages whose bin would have been past BIMI_SURVEY_MAX_BINS (in the total only). */
guint64 bimi_survey_stats_beyond_bin_limit(const BimiSurveyStats *stats);
/** Messages left out by --from / --to. */
guint64 bimi_survey_stats_outside_period(const BimiSurveyStats *stats);
/** Malformed messages (all of them, listed or not). */
guint64 bimi_survey_stats_n_malformed(const BimiSurveyStats *stats);
/**
 * bimi_survey_stats_malformed:
 * Returns: (transfer none) (element-type BimiSurveyMalformed): the listed ones, in input order.
 */
GPtrArray *bimi_survey_stats_malformed(BimiSurveyStats *stats);

G_END_DECLS

#endif /* BIMI_SURVEY_STATS_H */
