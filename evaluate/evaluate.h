/* evaluate/evaluate.h — the pipeline and the decision (DESIGN.md §1, §3 "decision", §4).
 *
 * One BimiEvaluator per process holds everything long-lived: the configuration,
 * the one DNS resolver, the HTTPS fetcher, the BIMI trust store, the record and
 * evidence cache (single-flight), the content-addressed logo store and the
 * render worker pool. It is thread-safe: any number of threads may call
 * bimi_evaluator_evaluate() at once (bimi-fcgi's workers do).
 *
 * bimi_evaluator_evaluate() runs, for one received message:
 *   rdns → spf → dkim → arc → dmarc → bimi discovery → Evidence Document and
 *   logo (through the record cache) → decision
 * and returns the decision object of DESIGN.md §4 as JSON plus the few fields
 * the service needs for its headers.
 *
 * Decision reasons (BimiDecision.reason), stable codes:
 *   logo+checkmark: "vmc"                 valid VMC, Registered/Government Mark (or absent on pre-2022 VMCs)
 *   logo:           "cmc"                 valid CMC and [policy] cmc = logo
 *                   "logo-without-evidence"  no a=, [policy] logo_without_evidence = logo
 *   none:           "no-from" (no usable RFC5322.From), "dmarc-fail", "dmarc-not-enforcing",
 *                   "no-fcrdns", "no-record", "declined", "invalid-record", "svg-invalid",
 *                   "logo-fetch-failed", "evidence-fetch-failed", "evidence-invalid",
 *                   "evidence-missing", "logo-mismatch", "cmc-not-shown", "svg-unrenderable"
 *                   (valid SVG Tiny PS that the renderer cannot draw within its deadline and
 *                   memory limits; issue 13), "temperror"
 */
#ifndef BIMI_EVALUATE_H
#define BIMI_EVALUATE_H

#include <glib.h>
#include "engine/base/base-mem.h"
#include "engine/base/base-json.h"
#include "evaluate/config.h"
#include "engine/bimi.h"
#include "evaluate/filter.h"
#include "engine/caution.h"

G_BEGIN_DECLS

#define BIMI_EVALUATE_ERROR (bimi_evaluate_error_quark())
GQuark bimi_evaluate_error_quark(void);

typedef enum {
  BIMI_EVALUATE_ERROR_MESSAGE = 1, /**< not an RFC 5322 message, or over the header limits (→ HTTP 400, field "message") */
  BIMI_EVALUATE_ERROR_ENVELOPE,    /**< bad client IP, HELO or MAIL FROM (→ 400; the message names the field) */
  BIMI_EVALUATE_ERROR_ARGUMENT,    /**< bad domain, selector, logo hash or size (→ 400 / 404) */
  BIMI_EVALUATE_ERROR_NOT_FOUND,   /**< logo hash not in the store (→ 404) */
  BIMI_EVALUATE_ERROR_SETUP,       /**< bimi_evaluator_new(): a component could not be built (trust store, cache dir...) */
  BIMI_EVALUATE_ERROR_INTERNAL,    /**< a component failed for a reason that is not the input's fault (→ 500 / 503) */
} BimiEvaluateError;

/** The request field a BIMI_EVALUATE_ERROR is about (the "field" of the service's error JSON). */
typedef enum {
  BIMI_EVALUATE_FIELD_NONE,      /**< no one field (_SETUP, _INTERNAL, _NOT_FOUND) */
  BIMI_EVALUATE_FIELD_MESSAGE,   /**< the message body */
  BIMI_EVALUATE_FIELD_IP,        /**< envelope client IP */
  BIMI_EVALUATE_FIELD_HELO,
  BIMI_EVALUATE_FIELD_MAIL_FROM,
  BIMI_EVALUATE_FIELD_DOMAIN,    /**< domain status: the domain */
  BIMI_EVALUATE_FIELD_SELECTOR,
  BIMI_EVALUATE_FIELD_HASH,      /**< logo: the SHA-256 */
  BIMI_EVALUATE_FIELD_SIZE,      /**< logo: the PNG size */
} BimiEvaluateField;

/** "message", "ip", "helo", "mail_from", "domain", "selector", "hash", "size"; NULL for NONE. (transfer none) */
const char *bimi_evaluate_field_to_string(BimiEvaluateField field);

/**
 * bimi_evaluate_error_get_field:
 * @error: (nullable): an error from this module
 *
 * BIMI_EVALUATE_ERROR is an extended GError (G_DEFINE_EXTENDED_ERROR) that
 * carries the request field at fault; its message starts with the field's
 * name ("ip: not an IPv4 or IPv6 address").
 *
 * Returns: the field, NONE for another domain or an error about no one field.
 */
BimiEvaluateField bimi_evaluate_error_get_field(const GError *error);

/** The SMTP envelope as the receiving MX saw it. Every field optional (NULL). (transfer none) */
typedef struct {
  const char *client_ip;  /**< IPv4 or IPv6 literal */
  const char *helo;       /**< HELO/EHLO identity */
  const char *mail_from;  /**< MAIL FROM address; "" is the null reverse-path */
} BimiEnvelope;

/** What to show. */
typedef enum {
  BIMI_DECISION_NONE,
  BIMI_DECISION_LOGO,
  BIMI_DECISION_LOGO_CHECKMARK,
} BimiDecisionKind;

/** "none", "logo", "logo+checkmark". (transfer none) */
const char *bimi_decision_kind_to_string(BimiDecisionKind kind);

/** Why: the stable reason codes of the top of this file, in a fixed order (bimi_decision_reason_to_string()). */
typedef enum {
  BIMI_DECISION_REASON_VMC,
  BIMI_DECISION_REASON_CMC,
  BIMI_DECISION_REASON_LOGO_WITHOUT_EVIDENCE,
  BIMI_DECISION_REASON_NO_FROM,
  BIMI_DECISION_REASON_DMARC_FAIL,
  BIMI_DECISION_REASON_DMARC_NOT_ENFORCING,
  BIMI_DECISION_REASON_NO_FCRDNS,
  BIMI_DECISION_REASON_NO_RECORD,
  BIMI_DECISION_REASON_DECLINED,
  BIMI_DECISION_REASON_INVALID_RECORD,
  BIMI_DECISION_REASON_SVG_INVALID,
  BIMI_DECISION_REASON_SVG_UNRENDERABLE,
  BIMI_DECISION_REASON_LOGO_FETCH_FAILED,
  BIMI_DECISION_REASON_EVIDENCE_FETCH_FAILED,
  BIMI_DECISION_REASON_EVIDENCE_INVALID,
  BIMI_DECISION_REASON_EVIDENCE_MISSING,
  BIMI_DECISION_REASON_LOGO_MISMATCH,
  BIMI_DECISION_REASON_CMC_NOT_SHOWN,
  BIMI_DECISION_REASON_TEMPERROR,
} BimiDecisionReason;

/** The stable code: "vmc", "no-record", "temperror"... (transfer none) */
const char *bimi_decision_reason_to_string(BimiDecisionReason reason);
/** Parses a stable code (exact spelling). FALSE when unknown. */
gboolean bimi_decision_reason_from_string(const char *text, BimiDecisionReason *out_reason);

/** The mark certificate of a decision (the JSON's "mark"). Strings owned. */
typedef struct {
  char *certificate_type;  /**< "vmc" | "cmc" */
  char *mark_type;         /**< MCR text ("Registered Mark"...), or NULL */
  char *organization;      /**< or NULL */
  char *issuer;            /**< or NULL */
  char *not_after;         /**< leaf notAfter, RFC 3339 UTC, or NULL */
} BimiDecisionMark;

/** The JSON's "auth" members a mailbox survey counts (survey/survey-stats), typed: the same values
 * as the JSON without parsing it back. */
typedef struct {
  gboolean has_rdns;             /**< auth.rdns is not null (the envelope had a client address) */
  BimiRdnsResultCode rdns;       /**< its result */
  gboolean has_dmarc;            /**< auth.dmarc is a message's result (not null, not domain status) */
  BimiDmarcResult dmarc;         /**< auth.dmarc.result (after the overrides) */
  gboolean has_requested_policy; /**< auth.dmarc.requested_policy is not null */
  BimiDmarcPolicy requested_policy;
  gboolean has_dmarc_record;     /**< auth.dmarc.record is not null */
  BimiDmarcPolicy disposition;   /**< auth.dmarc.disposition */
  gboolean arc_override;         /**< auth.dmarc.override is "arc" */
  gboolean has_bimi_record;      /**< auth.bimi.record is not null (a record was found, valid or not) */
} BimiDecisionAuth;

/** One answer. Plain data, owned by the caller; free with bimi_decision_free(). */
typedef struct {
  BimiDecisionKind kind;
  char *reason;                 /**< stable code (see the top of this file); never NULL */
  BimiDecisionReason reason_id; /**< the same, as the enum */
  char *logo_sha256;            /**< lowercase hex SHA-256 of the displayed SVG, NULL for none */
  guint ttl;                    /**< seconds the answer may be cached (Cache-Control max-age) */
  gboolean temperror;           /**< some input could not be evaluated now (DNS, fetch): retry later */
  char *authentication_results; /**< RFC 8601 value written for the whole evaluation; NULL for domain status */
  char *json_text;              /**< the whole DESIGN.md §4 object (decision, reason, indicator, mark, auth,
                                 *   authentication_results, ttl, header form) as compact JSON text */
  JsonNode *json;               /**< the same as a json-glib tree: NULL until bimi_decision_get_json() */
  /* The same answer typed, for callers that print it (`bimi evaluate`): */
  char *logo_alt;               /**< the indicator's alt text (its <title>), or NULL */
  BimiDecisionMark *mark;       /**< the mark certificate, NULL when the JSON's mark is null */
  gboolean has_bimi;            /**< auth.bimi is not null: @bimi_result and @bimi_reason are set */
  BimiBimiResultCode bimi_result; /**< the bimi= result (spec §9.1) */
  char *bimi_reason;            /**< its human reason */
  char *indicator_detail;       /**< the logo/evidence validation's one-line detail, NULL when none ran */
  /* For the request log line (fcgi) and --headers: */
  char *author_domain;          /**< RFC5322.From domain, NULL without a usable From */
  char *selector;               /**< BIMI selector used, NULL when discovery did not run */
  char *bimi_location;          /**< BIMI-Location value ("v=BIMI1; l=...; a=..."), NULL unless a logo is shown
                                 *   (draft §7.7, spec/bimi-receiver.md §9.2) */
  char *bimi_indicator;         /**< BIMI-Indicator value: base64 of the shown SVG, unfolded; NULL likewise */
  double dns_ms;                /**< milliseconds before the logo/evidence step: authentication and BIMI
                                 *   discovery, DNS-bound */
  double fetch_ms;              /**< milliseconds in the logo/evidence step: fetches (or cache) and validation */
  /* Consent-aware filtering (issue 17): the JSON's "filter", typed */
  BimiFilterOutcome *filter;    /**< recommended and applied action, consent, label; NULL for domain status */
  BimiCautionMatch *caution;    /**< the JSON's "caution": the brand this message claims and is not
                                 *   authenticated as (issue 19), NULL when none (always NULL for domain status) */
  BimiDecisionAuth auth;         /**< what the survey counts of the JSON's "auth", typed */
} BimiDecision;

void bimi_decision_free(BimiDecision *decision);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDecision, bimi_decision_free)

/**
 * bimi_decision_get_json:
 * @decision: a decision
 *
 * The decision object (DESIGN.md §4) as a json-glib tree, parsed from
 * @decision->json_text on the first call and kept in @decision->json (for the
 * CLI's pretty printing and for tests; the service answers with the text).
 * Not thread-safe: a decision belongs to one thread.
 *
 * Returns: (transfer none): the tree.
 */
JsonNode *bimi_decision_get_json(BimiDecision *decision);

typedef struct _BimiEvaluator BimiEvaluator;

/**
 * bimi_evaluator_new:
 * @config: (transfer none): referenced for the evaluator's life
 * @host_name: (nullable) (transfer none): the machine's host name, given by the caller (the library reads
 *   no host name, as it reads no clock: STYLE §7): the authserv-id (RFC 8601 §2.5) of the
 *   Authentication-Results written and trusted when [auth] authserv_id is empty; copied. Ignored when
 *   authserv_id is set.
 * @error: BIMI_EVALUATE_ERROR_SETUP naming the component ([auth] when authserv_id is empty and @host_name
 *   is NULL or empty; [dns], [fetch], [trust], [cache], [render])
 *
 * Builds the resolver, fetcher, trust store, record cache, logo store (creating
 * [cache] dir) and render pool (started lazily) from @config.
 *
 * Returns: (transfer full): the evaluator, or NULL with @error set.
 */
BimiEvaluator *bimi_evaluator_new(BimiConfig *config, const char *host_name, GError **error);

/**
 * bimi_evaluator_check_config:
 * @config: a parsed configuration
 * @source: the configuration file's name, for the messages
 * @problems: (element-type utf8): gets one message per problem, appended
 *
 * Runs every check bimi_evaluator_new() runs, without stopping at the first
 * problem and without opening anything for writing (no cache directory is
 * created, no render worker started): the paths (bimi_config_check_paths()),
 * the SVG schema, the resolver (each forwarder, zone file and trust anchor),
 * the fetcher (CA file, each resolve pin and connect_to entry), the trust
 * store and the render worker. `bimi-fcgi --check-config` runs it.
 *
 * Returns: TRUE when no problem was found.
 */
gboolean bimi_evaluator_check_config(const BimiConfig *config, const char *source, GPtrArray *problems);

/**
 * BimiEvaluatorBrandFunc:
 * @domain: the record domain, @selector: its selector (both escaped for a log)
 * @failure: (nullable): the brand-side failure ("VMC expired 2026-11-30T00:00:00Z",
 *   "logo-fetch-failed: ..."), escaped; NULL when the brand's indicator validates again
 * @user_data: as given to bimi_evaluator_set_brand_func()
 *
 * Called once per brand (domain, selector) per change of state, from the
 * evaluating thread: the first failure, another failure, the recovery.
 */
typedef void (*BimiEvaluatorBrandFunc)(const char *domain, const char *selector, const char *failure,
                                       gpointer user_data);

/**
 * bimi_evaluator_set_brand_func:
 * @func: (nullable): where brand state changes go (bimi-fcgi logs them at warning level); NULL: nowhere
 *
 * Set before the evaluator is shared between threads.
 */
void bimi_evaluator_set_brand_func(BimiEvaluator *evaluator, BimiEvaluatorBrandFunc func, gpointer user_data);

/**
 * bimi_evaluate_dmarc_status_build_json:
 * @dmarc: the DMARC evaluation of a domain without a message (bimi_dmarc_message_input_init_domain())
 * @gate: (nullable): BIMI's enforcement gate over it, NULL when it did not run
 * @b: a builder where a value is expected
 *
 * The "dmarc" member of domain status and `bimi lookup --json`: what was checked — the policy record
 * found and whether it enforces — never a DMARC result, since no message was evaluated:
 * {"checked": "policy", "mode", "author_domain", "org_domain", "record_found", "policy_domain",
 *  "policy", "enforcing" (null on a DNS temperror), "reason", "queries"}.
 */
void bimi_evaluate_dmarc_status_build_json(const BimiDmarcEvaluation *dmarc, const BimiBimiGate *gate, BimiJsonWriter *b);

/* Reference counted, so that a SIGHUP reload can swap in a new evaluator while
 * requests in flight finish on the old one. Thread-safe. */
BIMI_DECLARE_ATOMIC_RC_FUNCS(BimiEvaluator, bimi_evaluator)

/** The configuration in use. (transfer none) */
BimiConfig *bimi_evaluator_get_config(BimiEvaluator *evaluator);

/**
 * bimi_evaluator_now:
 * Returns: [testing] now when set, else the wall clock; seconds since the epoch.
 */
gint64 bimi_evaluator_now(BimiEvaluator *evaluator);

/**
 * bimi_evaluator_evaluate:
 * @evaluator: the evaluator
 * @message: (transfer none): the raw RFC 5322 message, LF or CRLF, untrusted
 * @envelope: (nullable): the envelope; NULL or all-NULL = unknown (then, when
 *   [auth] trusted_receivers is set, taken from the topmost Received field added
 *   by one of them; else rdns and spf are none)
 * @now: evaluation time, seconds since the epoch (certificate validity, DKIM x=, cache)
 * @error: BIMI_EVALUATE_ERROR_MESSAGE, _ENVELOPE (bad input: never a crash);
 *   _INTERNAL
 *
 * Returns: (transfer full): the decision, or NULL with @error set.
 */
BimiDecision *bimi_evaluator_evaluate(BimiEvaluator *evaluator, GBytes *message, const BimiEnvelope *envelope,
                                      gint64 now, GError **error);

/** The consent argument of bimi_evaluator_evaluate_with_consent() meaning "the request gave none":
 *  [filter] default_consent applies. */
#define BIMI_FILTER_CONSENT_DEFAULT G_MAXUINT

/**
 * bimi_evaluator_evaluate_with_consent:
 * @consent: the filters the user consented to (bits of BimiFilterKind, bimi_filter_consent_parse()),
 *   or BIMI_FILTER_CONSENT_DEFAULT for [filter] default_consent
 *
 * bimi_evaluator_evaluate() (which is this with BIMI_FILTER_CONSENT_DEFAULT) with the user's consent
 * to filtering (issue 17, evaluate/filter.h): the decision's "filter" member recommends an action
 * (DMARC disposition after the overrides, [filter] no_ptr) and applies only what @consent covers
 * (deliver without consent). The applied action is what [report] db records as the RFC 9990
 * disposition. The Authentication-Results value and every other member do not depend on @consent.
 *
 * Returns: (transfer full): the decision, or NULL with @error set (the errors of bimi_evaluator_evaluate()).
 */
BimiDecision *bimi_evaluator_evaluate_with_consent(BimiEvaluator *evaluator, GBytes *message,
                                                   const BimiEnvelope *envelope, guint consent, gint64 now,
                                                   GError **error);

/**
 * bimi_evaluator_domain_status:
 * @domain: the Author Domain to look up (U-label or A-label)
 * @selector: (nullable): the selector, NULL = "default"
 * @now: evaluation time
 * @error: BIMI_EVALUATE_ERROR_ARGUMENT (not a domain / selector), _INTERNAL
 *
 * GET /bimi/v1/domain/<domain>: the BIMI status of a domain without a message:
 * DMARC enforcement gate, Assertion Record, logo and Evidence Document, as if a
 * message from @domain had passed DMARC. authentication_results is NULL.
 *
 * Returns: (transfer full): the decision, or NULL with @error set.
 */
BimiDecision *bimi_evaluator_domain_status(BimiEvaluator *evaluator, const char *domain, const char *selector,
                                           gint64 now, GError **error);

/**
 * bimi_evaluator_logo_svg:
 * @hash: 64 lowercase hex characters (anything else: BIMI_EVALUATE_ERROR_ARGUMENT)
 * @error: _ARGUMENT, _NOT_FOUND
 *
 * Returns: (transfer full): the validated SVG from the logo store.
 */
GBytes *bimi_evaluator_logo_svg(BimiEvaluator *evaluator, const char *hash, GError **error);

/**
 * bimi_evaluator_logo_png:
 * @hash: 64 lowercase hex characters
 * @px: square size in pixels, one of [render] sizes (else _ARGUMENT)
 * @error: _ARGUMENT, _NOT_FOUND (no such SVG, or the SVG cannot be rendered: a
 *   cached verdict, not retried for [cache] negative_ttl), _INTERNAL (the render
 *   failed for a reason that may pass: no worker free or none could start)
 *
 * The PNG from the store, rendered by the worker pool and stored atomically on a
 * miss (single-flight per hash and size).
 *
 * Returns: (transfer full): PNG bytes.
 */
GBytes *bimi_evaluator_logo_png(BimiEvaluator *evaluator, const char *hash, guint px, GError **error);

/** The components the service's health check looks at (GET /bimi/v1/health, docs/api.md). */
typedef enum {
  BIMI_HEALTH_RENDER_WORKER, /**< a render worker (`bimi __render-worker`) runs or can be started */
  BIMI_HEALTH_TRUST_STORE,   /**< at least one BIMI trust anchor is valid now */
  BIMI_HEALTH_CACHE_DIR,     /**< [cache] dir exists and a file can be created in it */
  BIMI_HEALTH_N_CHECKS
} BimiHealthCheck;

/** One check's outcome. */
typedef struct {
  const char *name;  /**< "render_worker", "trust_store", "cache_dir" (static) */
  gboolean ok;
  char *detail;      /**< what was found, e.g. "5 of 5 anchors valid" or the error; (transfer full) */
} BimiHealthResult;

/**
 * bimi_evaluator_check_health:
 * @evaluator: the evaluator
 * @out: (out caller-allocates): one result per BimiHealthCheck, indexed by it; free the details with
 *   bimi_health_results_clear()
 *
 * Runs the checks now: the render pool can run a worker (bimi_render_pool_check(): starts one when none
 * runs, at most WORKER_START_MS), the trust store has an anchor valid at bimi_evaluator_now(), and a file
 * can be created and removed in [cache] dir (a real write, so that a read-only mount, a removed
 * directory or lost permissions count, also for root).
 *
 * Returns: TRUE when every check passed (the service is "ok"), FALSE when one failed ("degraded").
 */
gboolean bimi_evaluator_check_health(BimiEvaluator *evaluator, BimiHealthResult out[BIMI_HEALTH_N_CHECKS]);

/** Frees the details of @n results filled by bimi_evaluator_check_health(). */
void bimi_health_results_clear(BimiHealthResult *results, guint n);

/**
 * bimi_evaluator_append_metrics:
 * @out: Prometheus text exposition lines are appended (cache, fetch, render,
 *   decision counters); the service adds its own request metrics.
 */
void bimi_evaluator_append_metrics(BimiEvaluator *evaluator, GString *out);

G_END_DECLS

#endif /* BIMI_EVALUATE_H */
