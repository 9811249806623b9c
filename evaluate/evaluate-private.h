/* evaluate/evaluate-private.h — what the files of evaluate/ share
 * (evaluate.c: the evaluator, the pipeline and the decision;
 * evaluate-evidence.c: logo and Evidence Document validation through the
 * record cache, and the cached-verdict codec; evaluate-json.c: the DESIGN.md
 * §4 object). Library-internal: tests and fuzz/fuzz-evaluate-cache.c may
 * include it.
 */
#ifndef BIMI_EVALUATE_PRIVATE_H
#define BIMI_EVALUATE_PRIVATE_H

#include "evaluate/evaluate.h"
#include "engine/arc.h"
#include "engine/bimi.h"
#include "engine/dkim.h"
#include "engine/dmarc.h"
#include "engine/fetch.h"
#include "engine/message.h"
#include "engine/rdns.h"
#include "engine/spf.h"
#include "engine/vmc.h"
#include "cache/brands.h"
#include "cache/records.h"
#include "cache/redis.h"
#include "cache/store.h"
#include "cache/flight.h"
#include "renderer/worker.h"
#include "report/recorder.h"

G_BEGIN_DECLS

struct _BimiEvaluator { /* a g_atomic_rc_box */
  BimiConfig *config;
  char *authserv_id;           /**< of the A-R written and trusted: [auth] authserv_id, else the host name the
                                *   caller gave bimi_evaluator_new() (the pipeline reads no host name) */
  BimiDnsResolver *resolver;
  BimiDkimKeyCache *dkim_keys; /**< decoded DKIM/ARC keys by name, for their TTL (issue 21) */
  BimiDmarcRecordCache *dmarc_records; /**< parsed DMARC policy records by text (issue 21) */
  BimiFetcher *fetcher;
  BimiVmcTrust *trust;
  BimiRecordCache *records;
  BimiRedis *redis;            /**< [cache] backend = redis: the fleet's shared cache, else NULL */
  BimiRecordCacheBackend *records_backend; /**< the backend of records (owned by it), for its counters */
  BimiLogoStore *store;
  BimiRenderPool *pool;
  GThreadPool *envelope_pool;  /**< FCrDNS + SPF of one message, run while DKIM and ARC verify */
  BimiReportRecorder *recorder; /**< [report] db: DMARC evaluations recorded for aggregate reports, or NULL */
  BimiCacheTtlBounds ttl_bounds;
  BimiRenderOptions render_options;
  /* metrics: labelled counters (bimi_evaluate__count()), and atomics */
  GMutex counters_lock;
  GHashTable *counters;     /**< series key (family, label values) → guint64 count */
  gint n_envelope_inline;   /**< envelope tasks run inline: their DNS answers were cached */
  gint n_validations;       /**< logo/evidence validations run (cache misses and uncached) */
  /* brand-side failures logged once per state change (bimi_evaluate__note_brand()) */
  GMutex brands_lock;
  GHashTable *brand_states; /**< "domain\x1fselector" → the last failure detail ("" = fine) */
  BimiEvaluatorBrandFunc brand_func;
  gpointer brand_data;
  /* evaluate-logo.c: logos that cannot be rendered (issue 13) */
  GMutex unrenderable_lock;
  GHashTable *unrenderable; /**< hash (lowercase hex) → expiry and detail; at most BIMI_EVALUATE_MAX_UNRENDERABLE */
  BimiFlightGroup *probes;  /**< single flight of probe renders, keyed by hash */
  gint n_probes;            /**< probe renders run */
  gint n_unrenderable;      /**< logos judged unrenderable (probe or PNG request) */
  gint n_unrenderable_hits; /**< validations and PNG requests answered from the unrenderable table */
  gint n_fleet_logos;       /**< logo SVGs this node took from Redis (another node validated them) */
  /* evaluate-logo.c: validated SVGs for the header form (issue 21) */
  GMutex indicators_lock;
  GHashTable *indicators;   /**< hash (lowercase hex) → SVG and expiry; at most BIMI_EVALUATE_MAX_INDICATOR_MEMO */
  /* evaluate-evidence.c: decoded verdicts by their record-cache value (issue 21) */
  GMutex verdicts_lock;
  GHashTable *verdicts;     /**< value bytes (GBytes) → decoded verdict; at most BIMI_EVALUATE_MAX_VERDICT_MEMO */
  /* evaluate-caution.c: brand-impersonation caution (issue 19) */
  BimiBrandRegistry *brands; /**< [caution] enabled: the operator's and the learned brands; else NULL */
};

/** The metric families of bimi_evaluator_append_metrics() (evaluate.c's metric_families table). */
typedef enum {
  BIMI_EVALUATE_METRIC_EVALUATIONS,
  BIMI_EVALUATE_METRIC_DECISIONS,
  BIMI_EVALUATE_METRIC_TEMPERRORS,
  BIMI_EVALUATE_METRIC_AUTH_RESULTS,
  BIMI_EVALUATE_METRIC_FILTER_ACTIONS,
  BIMI_EVALUATE_METRIC_DNS_ANSWERS,
  BIMI_EVALUATE_METRIC_DNS_TIMEOUTS,
  BIMI_EVALUATE_METRIC_DNS_QUESTIONS,
  BIMI_EVALUATE_METRIC_ENVELOPE_INLINE,
  BIMI_EVALUATE_METRIC_VALIDATIONS,
  BIMI_EVALUATE_METRIC_FETCHES,
  BIMI_EVALUATE_METRIC_CERT_VERDICTS,
  BIMI_EVALUATE_METRIC_CACHE_LOOKUPS,
  BIMI_EVALUATE_METRIC_CACHE_ENTRIES,
  BIMI_EVALUATE_METRIC_CACHE_BYTES,
  BIMI_EVALUATE_METRIC_CACHE_EVICTIONS,
  BIMI_EVALUATE_METRIC_CACHE_WRITES,
  BIMI_EVALUATE_METRIC_RENDERS,
  BIMI_EVALUATE_METRIC_RENDER_PROBES,
  BIMI_EVALUATE_METRIC_RENDER_WORKERS,
  BIMI_EVALUATE_METRIC_UNRENDERABLE,
  BIMI_EVALUATE_METRIC_CAUTIONS,          /* issue 19: evaluate-caution.c */
  BIMI_EVALUATE_METRIC_CAUTION_BRANDS,
  BIMI_EVALUATE_METRIC_CAUTION_REGISTRY,
  BIMI_EVALUATE_METRIC_REDIS_UP,
  BIMI_EVALUATE_METRIC_REDIS_DOWNS,
  BIMI_EVALUATE_METRIC_REDIS_RECOVERIES,
  BIMI_EVALUATE_METRIC_REDIS_FALLBACKS,
  BIMI_EVALUATE_METRIC_REDIS_ERRORS,
  BIMI_EVALUATE_METRIC_REDIS_COMMANDS,
  BIMI_EVALUATE_METRIC_REDIS_INVALID_VALUES,
  BIMI_EVALUATE_METRIC_REDIS_REMOTE_HITS,
  BIMI_EVALUATE_METRIC_REDIS_LOCK_WAITS,
  BIMI_EVALUATE_METRIC_REDIS_WAIT_TIMEOUTS,
  BIMI_EVALUATE_METRIC_REDIS_LOGOS,
  BIMI_EVALUATE_N_METRICS
} BimiEvaluateMetric;

/** Adds one to the series of family @metric with label values @label1, @label2 (NULL when the
 *  family has fewer labels). Thread-safe. */
void bimi_evaluate__count(BimiEvaluator *ev, BimiEvaluateMetric metric, const char *label1, const char *label2);
/* The same series at 0 when it does not exist yet, so that a family shows each of its label values from the start. */
void bimi_evaluate__count_declare(BimiEvaluator *ev, BimiEvaluateMetric metric, const char *label1,
                                  const char *label2);

/**
 * bimi_evaluate__note_brand:
 * @domain: the record domain, @selector: its selector
 * @failure: (nullable): the brand-side failure detail ("VMC expired 2026-11-30T00:00:00Z", "logo fetch: connect:
 *   ..."), NULL when the brand's indicator validated
 *
 * Calls the evaluator's BimiEvaluatorBrandFunc once per (domain, selector) per change of state: the first
 * failure, a different failure, and the recovery. The table is bounded by BIMI_EVALUATE_MAX_BRAND_STATES. Thread-safe.
 */
void bimi_evaluate__note_brand(BimiEvaluator *ev, const char *domain, const char *selector, const char *failure);
/** g_hash_table_size() of @table under @lock (the sizes tests read). */
guint bimi_evaluate__locked_size(GMutex *lock, GHashTable *table);
/** Brands in the table of bimi_evaluate__note_brand() (tests). */
guint bimi_evaluate__brand_states_size(BimiEvaluator *ev);

/** What the logo/evidence validation of one Assertion Record concluded. */
typedef enum {
  BIMI_EVALUATE_VERDICT_VMC,          /**< valid VMC: its SVG is displayed */
  BIMI_EVALUATE_VERDICT_CMC,          /**< valid CMC: its SVG is displayed */
  BIMI_EVALUATE_VERDICT_NO_EVIDENCE,  /**< no a=; the l= logo is valid SVG Tiny PS */
  BIMI_EVALUATE_VERDICT_FAIL,         /**< see reason */
} BimiEvaluateVerdictKind;

/**
 * BimiEvaluateVerdict:
 * The validated outcome of an (l=, a=) pair, what the record cache holds
 * (serialized by bimi_evaluate__verdict_encode()). Plain data, strings owned.
 */
/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define BIMI_EVALUATE_ISO_TIME_SIZE 21

typedef struct {
  BimiEvaluateVerdictKind kind;
  BimiDecisionReason reason; /**< VMC, CMC, EVIDENCE_MISSING, or for FAIL one of SVG_INVALID,
                          *   LOGO_FETCH_FAILED, EVIDENCE_FETCH_FAILED, EVIDENCE_INVALID, LOGO_MISMATCH,
                          *   SVG_UNRENDERABLE, TEMPERROR (named by bimi_decision_reason_to_string()) */
  char *detail;          /**< one line, human: why (A-R comment); never NULL */
  char *location;        /**< the l= URI validated, or NULL */
  char *evidence;        /**< the a= URI validated, or NULL */
  char *sha256;          /**< SHA-256 of the displayed SVG (lowercase hex), NULL unless valid; in the logo
                          *   store only when a decision shows it ([policy]) */
  char *title;           /**< its <title> (alt text), or NULL */
  gboolean svg_from_evidence; /**< the displayed SVG is the certificate's */
  BimiBimiAuthority authority; /**< policy.authority: none (no a=), pass, fail */
  /* the mark certificate, when one validated (VMC/CMC); else NULL / 0 */
  char *cert_type;       /**< "vmc" | "cmc" */
  char *mark_type;       /**< MCR text ("Registered Mark"...), NULL when absent */
  char *organization;
  char *issuer;
  char *trademark_country;
  char *trademark_office;
  char *trademark_id;
  gboolean pilot;
  gint64 not_after;      /**< leaf notAfter, Unix seconds; 0 without a certificate */
  char not_after_text[BIMI_EVALUATE_ISO_TIME_SIZE]; /**< not_after as RFC 3339 UTC ("2027-01-31T23:59:59Z"),
                          *   formatted once when the verdict is made or decoded (issue 21: not per request);
                          *   "" when not_after is past year 9999. Set with bimi_evaluate__verdict_set_not_after() */
  gboolean temperror;    /**< a fetch failed for a reason that may pass (reason "temperror"; cached
                          *   BIMI_EVALUATE_TEMPERROR_TTL_S only) */
  /* not serialized: how this evaluation got it */
  gboolean cached;       /**< read from the record cache */
  gint64 expires_at;     /**< Unix seconds the verdict stays fresh (cache entry), 0 = unknown */
} BimiEvaluateVerdict;

void bimi_evaluate__verdict_free(BimiEvaluateVerdict *verdict);

/**
 * bimi_evaluate__verdict_set_not_after:
 * @verdict: the verdict being made or decoded
 * @t: the leaf certificate's notAfter, Unix seconds
 *
 * Sets not_after and its RFC 3339 UTC spelling not_after_text ("2026-06-01T00:00:00Z", the
 * decision JSON's and the brand log's), formatted here once per verdict: the verdict memo's
 * copies carry the text, so no request formats a date (issue 21). A time GDateTime cannot
 * represent (past year 9999) leaves the text "".
 */
void bimi_evaluate__verdict_set_not_after(BimiEvaluateVerdict *verdict, gint64 t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiEvaluateVerdict, bimi_evaluate__verdict_free)

/**
 * bimi_evaluate__verdict_encode:
 * Returns: (transfer full): @verdict as a GKeyFile text ([verdict] group,
 *   format BIMI_EVALUATE_CACHE_FORMAT), the record-cache value.
 */
GBytes *bimi_evaluate__verdict_encode(const BimiEvaluateVerdict *verdict);

/**
 * bimi_evaluate__verdict_decode:
 * @value: a record-cache value, untrusted (a shared backend may hold bytes
 *   another process wrote), at most BIMI_EVALUATE_MAX_CACHE_VALUE_BYTES
 * @error: BIMI_EVALUATE_ERROR_INTERNAL "cache value: ..." naming the key at fault
 *   (too large, not a key file, another format version, unknown kind, reason or
 *   authority, a temperror flag that disagrees with the reason, a string over BIMI_EVALUATE_MAX_CACHE_STRING_BYTES or not
 *   UTF-8, a sha256 that is not 64 lowercase hex, a valid verdict without one)
 *
 * Returns: (transfer full): the verdict, or NULL with @error set.
 */
BimiEvaluateVerdict *bimi_evaluate__verdict_decode(GBytes *value, GError **error);

/**
 * bimi_evaluate__verdict_decode_memo:
 * @evaluator: its memo of decoded verdicts
 * @value: a record-cache value, untrusted
 * @error: as bimi_evaluate__verdict_decode()
 *
 * bimi_evaluate__verdict_decode() through the evaluator's memo (issue 21): a value whose
 * bytes were decoded before is copied from the memo instead of parsed again. Values that do
 * not decode are not remembered. The memo holds at most BIMI_EVALUATE_MAX_VERDICT_MEMO
 * verdicts and starts empty again when full.
 *
 * Returns: (transfer full): the verdict, or NULL with @error set.
 */
BimiEvaluateVerdict *bimi_evaluate__verdict_decode_memo(BimiEvaluator *evaluator, GBytes *value, GError **error);

/** Entries in the decoded-verdict memo (tests). */
guint bimi_evaluate__verdict_memo_size(BimiEvaluator *evaluator);

/** (transfer full): a deep copy of @verdict. */
BimiEvaluateVerdict *bimi_evaluate__verdict_copy(const BimiEvaluateVerdict *verdict);

/** The memo's table and lock (bimi_evaluator_new(), the last unref). */
void bimi_evaluate__verdict_memo_init(BimiEvaluator *evaluator);
void bimi_evaluate__verdict_memo_clear(BimiEvaluator *evaluator);

/**
 * bimi_evaluate__evidence:
 * @evaluator: the evaluator (fetcher, trust store, logo store, record cache)
 * @record_domain: header.d, the domain the Assertion Record was found at
 * @selector: header.selector
 * @location: (nullable): l=; @evidence: (nullable): a= (not both NULL)
 * @dns_ttl: TTL of the Assertion Record, seconds
 * @now: evaluation time, Unix seconds
 *
 * The logo flow of spec §5 and §7 through the record cache (single-flight,
 * key = @selector at @record_domain). Never fails: a failure is a verdict.
 *
 * Returns: (transfer full): the verdict.
 */
BimiEvaluateVerdict *bimi_evaluate__evidence(BimiEvaluator *evaluator, const char *record_domain,
                                             const char *selector, const char *location, const char *evidence,
                                             guint dns_ttl, gint64 now);

/* ---- evaluate-logo.c: a logo is shown only if it renders ---- */

/** What a probe render found. */
typedef enum {
  BIMI_EVALUATE_PROBE_OK,           /**< it renders at the largest configured size */
  BIMI_EVALUATE_PROBE_UNRENDERABLE, /**< it cannot, by its own fault (remembered) */
  BIMI_EVALUATE_PROBE_TEMPORARY,    /**< no verdict now (no worker free, none could start) */
} BimiEvaluateProbe;

/* Sets up / tears down the unrenderable table and the probe flight group. */
void bimi_evaluate__logo_init(BimiEvaluator *evaluator);
void bimi_evaluate__logo_clear(BimiEvaluator *evaluator);

/**
 * bimi_evaluate__probe:
 * @svg: (transfer none): the validated SVG; @hash: its SHA-256, lowercase hex
 * @now: Unix seconds (the table's expiry clock)
 * @png_out: (out) (transfer full): the PNG at the largest [render] size when this call rendered it, else NULL
 * @detail: (out) (transfer full): why not, for UNRENDERABLE and TEMPORARY; else NULL
 *
 * Renders @svg once at the largest configured size in the worker pool (a
 * probe), single-flight per @hash, unless the unrenderable table or the store
 * already answers. An input failure is noted in the table.
 */
BimiEvaluateProbe bimi_evaluate__probe(BimiEvaluator *evaluator, GBytes *svg, const char *hash, gint64 now,
                                       GBytes **png_out, char **detail);

/** Whether @hash is remembered as unrenderable at @now; *@detail (nullable) gets why. */
gboolean bimi_evaluate__unrenderable_lookup(BimiEvaluator *evaluator, const char *hash, gint64 now, char **detail);
/** Remembers @hash as unrenderable until @now + max([cache] negative_ttl, BIMI_EVALUATE_TEMPERROR_TTL_S). */
void bimi_evaluate__unrenderable_note(BimiEvaluator *evaluator, const char *hash, gint64 now, const char *detail);
/** Entries in the unrenderable table (tests). */
guint bimi_evaluate__unrenderable_size(BimiEvaluator *evaluator);

/**
 * bimi_evaluate__indicator_svg:
 * @hash: SHA-256 of a validated SVG, lowercase hex
 * @now: Unix seconds (the memo's expiry clock)
 *
 * The SVG of @hash for the header form (BIMI-Indicator): from the indicator memo while
 * its entry is younger than BIMI_EVALUATE_INDICATOR_MEMO_TTL_S, else from the logo store
 * (bimi_evaluator_logo_svg()), then remembered. The memo holds at most
 * BIMI_EVALUATE_MAX_INDICATOR_MEMO SVGs. The bytes are content-addressed, so a memo hit is
 * exactly what the store holds or held.
 *
 * Returns: (transfer full) (nullable): the SVG, or NULL when the store does not have it.
 */
GBytes *bimi_evaluate__indicator_svg(BimiEvaluator *evaluator, const char *hash, gint64 now);
/**
 * bimi_evaluate__indicator_base64:
 * @hash: @now: as bimi_evaluate__indicator_svg()
 *
 * The base64 of bimi_evaluate__indicator_svg()'s SVG (the BIMI-Indicator value, spec §9.2),
 * encoded once per memo entry (issue 21: not per request).
 *
 * Returns: (transfer full) (nullable): the base64 text, or NULL when the store does not have it.
 */
char *bimi_evaluate__indicator_base64(BimiEvaluator *evaluator, const char *hash, gint64 now);
/** Entries in the indicator memo (tests). */
guint bimi_evaluate__indicator_memo_size(BimiEvaluator *evaluator);

/** Everything one evaluation produced, for the decision and the JSON. */
typedef struct {
  gboolean domain_status;     /**< bimi_evaluator_domain_status(): no message */
  char *client_ip;            /**< envelope as used (given or from Received), or NULL */
  char *helo;
  char *mail_from;
  char *envelope_source;      /**< "request", "received" or NULL (none) */
  BimiRdnsResult *rdns;       /**< NULL without a client IP */
  BimiSpfResult *spf;         /**< MAIL FROM identity (HELO for a null path); NULL without IP */
  BimiSpfResult *spf_helo;    /**< HELO identity, when checked separately; else NULL */
  GPtrArray *dkim;            /**< of BimiDkimSignature*; NULL for domain status */
  BimiArcChain *arc;          /**< NULL for domain status */
  BimiDmarcEvaluation *dmarc;
  char *own_authres_note;     /**< [auth] trust_own_authres: which A-R was trusted, or why none */
  BimiBimiResult *bimi;
  BimiEvaluateVerdict *verdict; /**< NULL unless discovery passed */
  guint ignored_receiver_headers; /**< inbound BIMI-Location/-Indicator/-Logo-Preference fields ignored */
  /* the decision */
  BimiDecisionKind kind;
  BimiDecisionReason reason;
  gboolean temperror;
  guint ttl;
  char *authres;              /**< NULL for domain status */
  BimiFilterOutcome *filter;  /**< consent-aware filtering (evaluate/filter.h); NULL for domain status */
  gint64 started_us;          /**< monotonic, when the evaluation started */
  gint64 evidence_us;         /**< monotonic microseconds spent in bimi_evaluate__run_evidence() */
  BimiCautionMatch *caution;  /**< the brand the message claims and is not authenticated as, or NULL */
} BimiEvaluateRun;

void bimi_evaluate__run_clear(BimiEvaluateRun *run);

/* evaluate.c: sets a BIMI_EVALUATE_ERROR @code about @field, message "<field>: <format...>". */
void bimi_evaluate__set_field_error(GError **error, BimiEvaluateError code, BimiEvaluateField field,
                                    const char *format, ...) G_GNUC_PRINTF(4, 5);

/* evaluate.c: the decision of [policy] into run->kind/reason/temperror/ttl,
 * and the bimi= result adjusted to the verdict (spec §9.1). @now: the
 * evaluation's Unix seconds (the same clock that set the verdict's expires_at). */
void bimi_evaluate__decide(BimiEvaluator *evaluator, BimiEvaluateRun *run, gboolean dmarc_overridden, gint64 now);
/* evaluate.c: the logo flow when discovery passed (sets run->verdict). */
void bimi_evaluate__run_evidence(BimiEvaluator *evaluator, BimiEvaluateRun *run, gint64 now);
/* evaluate.c: the BimiDecision of @run (JSON built, counters, @run cleared); @now: the evaluation's
 * Unix seconds (the indicator memo's clock). (transfer full) */
BimiDecision *bimi_evaluate__finish(BimiEvaluator *evaluator, BimiEvaluateRun *run, gint64 now);
/* evaluate.c: sets BIMI_EVALUATE_ERROR_INTERNAL "@what: cause", clears @run, returns NULL. */
BimiDecision *bimi_evaluate__internal_error(BimiEvaluateRun *run, GError **error, const char *what,
                                            const GError *cause);
/* evaluate-message.c: the GThreadPool function of the envelope pool (FCrDNS + SPF). */
void bimi_evaluate__envelope_task_run(gpointer data, gpointer pool_data);


/** The DESIGN.md §4 object of @run as compact JSON text; @bimi_location and @bimi_indicator
 *  (nullable) are the header form (bimi_decision's fields). (transfer full) */
char *bimi_evaluate__build_json(BimiEvaluator *evaluator, const BimiEvaluateRun *run, const char *bimi_location,
                                const char *bimi_indicator);

/**
 * bimi_evaluate__logo_share:
 * @ev: the evaluator
 * @hash: SHA-256 (lowercase hex) of @svg
 * @svg: (transfer none): a displayed SVG this node just put into its logo store
 *
 * [cache] backend = redis: also SET PREFIX "svg:" HASH in Redis, so that any
 * node can serve the hash (PX = max_ttl + max_stale, the longest a verdict
 * naming it lives). Redis unavailable: nothing (counted by the client).
 */
void bimi_evaluate__logo_share(BimiEvaluator *ev, const char *hash, GBytes *svg);

/**
 * bimi_evaluate__logo_from_fleet:
 * @ev: the evaluator
 * @hash: a valid hash missing from this node's logo store
 *
 * [cache] backend = redis: GET PREFIX "svg:" HASH; an SVG whose SHA-256 is
 * @hash goes into this node's store (anything else is an invalid value,
 * counted). PNGs are rendered locally from it on request.
 *
 * Returns: TRUE when the store holds the SVG now.
 */
gboolean bimi_evaluate__logo_from_fleet(BimiEvaluator *ev, const char *hash);

/* ---- evaluate-caution.c: brand-impersonation caution (issue 19) ---- */

/* Builds ev->brands from [caution] (brands_file, stop_words_file) with the record cache's backend.
 * @error: the file's problem (naming file, group and key), for BIMI_EVALUATE_ERROR_SETUP "[caution]". */
gboolean bimi_evaluate__caution_init(BimiEvaluator *ev, GError **error);
/* --check-config: the [caution] files as bimi_evaluate__caution_init() reads them; problems appended. */
void bimi_evaluate__caution_check_config(const BimiConfig *config, const char *source, GPtrArray *problems);
/* Sets run->caution for a message whose decision is none: @dmarc_pass when DMARC passed for the
 * Author Domain (or a trusted ARC sealer or our own A-R said so). Counts bimi_cautions_total. */
void bimi_evaluate__caution_check(BimiEvaluator *ev, BimiEvaluateRun *run, const BimiMessage *msg,
                                  gboolean dmarc_pass, gint64 now);
/* [caution] learn: the brand of a validated VMC/CMC @cert found at @record_domain, logo title @title
 * (nullable) and SHA-256 @sha256 (nullable), into the registry. */
void bimi_evaluate__caution_learn(BimiEvaluator *ev, const BimiVmcResult *cert, const char *record_domain,
                                  const char *title, const char *sha256, gint64 now);
/* The value of the "caution" member where @b expects one: null, or {brand, domains, signal, matched, text}. */
void bimi_evaluate__caution_build_json(BimiJsonWriter *b, const BimiCautionMatch *caution);
/* The registry's series for the metrics endpoint (GArray of evaluate.c's Series, via @add). */
void bimi_evaluate__caution_metrics(BimiEvaluator *ev, void (*add)(GArray *all, BimiEvaluateMetric m, const char *l1,
                                                                  const char *l2, guint64 value), GArray *all);

G_END_DECLS

#endif /* BIMI_EVALUATE_PRIVATE_H */
