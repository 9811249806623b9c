/* engine/dmarc.h — DMARC: RFC 9989 (DMARCbis, the default) and RFC 7489.
 *
 * Three layers, usable apart:
 *  - the record parser (bimi_dmarc_record_parse), pure, no DNS;
 *  - the Organizational Domain: by libpsl with Debian's Public Suffix List
 *    (RFC 7489 §3.2, bimi_dmarc_org_domain_psl) or by the DNS tree walk
 *    (RFC 9989), inside the evaluator;
 *  - the evaluator (bimi_dmarc_evaluate): takes the Author Domain and the
 *    already-evaluated SPF and DKIM outcomes as plain inputs, discovers the
 *    policy, checks Identifier Alignment, selects p/sp/np and the disposition.
 *    It never verifies SPF or DKIM itself.
 *
 * Every string given to or returned by this module is a domain in ASCII
 * (A-labels), compared case-insensitively; a trailing dot is ignored.
 */
#ifndef BIMI_DMARC_H
#define BIMI_DMARC_H

#include <glib.h>
#include "engine/base/base-json.h"
#include "engine/dns.h"
#include "engine/message.h"
#include "engine/spf.h"
#include "engine/dkim.h"
#include "engine/authres.h"

G_BEGIN_DECLS

#define BIMI_DMARC_ERROR (bimi_dmarc_error_quark())
GQuark bimi_dmarc_error_quark(void);

/** Why a record could not be parsed or an evaluation could not run. */
typedef enum {
  BIMI_DMARC_ERROR_NOT_DMARC, /**< the text does not start with "v=DMARC1" (not a DMARC record: discard it) */
  BIMI_DMARC_ERROR_SYNTAX,    /**< starts with v=DMARC1 but is no valid tag-list (duplicate tag, bad byte...) */
  BIMI_DMARC_ERROR_LIMIT,     /**< a DMARC limit of engine/limits.h was exceeded */
  BIMI_DMARC_ERROR_INVALID,   /**< an input is unusable (bad domain name, unknown enum value) */
  BIMI_DMARC_ERROR_PSL,       /**< the Public Suffix List could not be loaded */
  BIMI_DMARC_ERROR_DNS,       /**< the resolver refused a query (not a DNS answer: those are results) */
} BimiDmarcError;

/** Which specification drives policy discovery and the Organizational Domain. */
typedef enum {
  BIMI_DMARC_MODE_RFC9989, /**< DNS tree walk, psd/np/t, pct/rf/ri ignored (default) */
  BIMI_DMARC_MODE_RFC7489, /**< Public Suffix List, pct honoured, np/psd/t unknown tags */
} BimiDmarcMode;

/** "rfc9989" / "rfc7489". (transfer none) */
const char *bimi_dmarc_mode_to_string(BimiDmarcMode mode);
/** Parses "rfc9989"/"rfc7489" (case-insensitive). FALSE when unknown. */
gboolean bimi_dmarc_mode_from_string(const char *text, BimiDmarcMode *out_mode);

/** A requested policy (p, sp, np) and a disposition. */
typedef enum {
  BIMI_DMARC_POLICY_NONE,
  BIMI_DMARC_POLICY_QUARANTINE,
  BIMI_DMARC_POLICY_REJECT,
} BimiDmarcPolicy;

/** "none" "quarantine" "reject". (transfer none) */
const char *bimi_dmarc_policy_to_string(BimiDmarcPolicy policy);

typedef enum {
  BIMI_DMARC_ALIGN_RELAXED, /**< "r": same Organizational Domain */
  BIMI_DMARC_ALIGN_STRICT,  /**< "s": identical domains */
} BimiDmarcAlignMode;

/** psd= (RFC 9989): y, n or u (the default: unspecified). */
typedef enum {
  BIMI_DMARC_PSD_U,
  BIMI_DMARC_PSD_Y,
  BIMI_DMARC_PSD_N,
} BimiDmarcPsd;

/**
 * BimiDmarcRecord:
 * A parsed DMARC record. Plain data; every string owned by the struct.
 * Invalid values of optional tags are dropped (the tag counts as absent and
 * the default applies, RFC 7489 §6.3, RFC 9989 §4.7); each drop is listed in
 * @warnings. Tags of the other RFC (pct/rf/ri in RFC 9989 mode; np/psd/t in
 * RFC 7489 mode) are unknown tags and ignored, as both RFCs require.
 */
typedef struct {
  BimiDmarcMode mode;      /**< the RFC the record was read under */
  gboolean has_p;          /**< a valid p= was present */
  BimiDmarcPolicy p;       /**< p (NONE when absent) */
  gboolean has_sp;
  BimiDmarcPolicy sp;      /**< sp; when absent the evaluator uses p */
  gboolean sp_invalid;     /**< sp present with an invalid value (RFC 7489 §6.6.3 step 6) */
  gboolean has_np;         /**< RFC 9989 only */
  BimiDmarcPolicy np;      /**< np; when absent the evaluator uses sp, then p */
  BimiDmarcPsd psd;        /**< RFC 9989 only; U otherwise */
  gboolean testing;        /**< t=y (RFC 9989 only) */
  BimiDmarcAlignMode adkim;
  BimiDmarcAlignMode aspf;
  char **rua;              /**< NULL-terminated valid DMARC URIs (with any "!size"), maybe empty */
  char **ruf;              /**< likewise */
  char *fo;                /**< fo value as written ("0" by default) */
  guint pct;               /**< 0..100, default 100 (RFC 7489 only; 100 in RFC 9989 mode) */
  char *rf;                /**< RFC 7489 only, default "afrf"; NULL in RFC 9989 mode */
  guint32 ri;              /**< RFC 7489 only, seconds, default 86400; 0 in RFC 9989 mode */
  gboolean has_pct;        /**< a pct= tag was present, in either mode */
  guint pct_rfc7489;       /**< pct= read as RFC 7489 §6.3 reads it (absent or invalid: 100), in either mode:
                            *   BIMI's gate reads it (spec §4) whatever the DMARC mode */
  char **warnings;         /**< NULL-terminated "tag: what was wrong (offset N)" list, maybe empty */
} BimiDmarcRecord;

void bimi_dmarc_record_free(BimiDmarcRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDmarcRecord, bimi_dmarc_record_free)

/**
 * bimi_dmarc_record_parse:
 * @text: (array length=len): one TXT record, its character-strings joined
 *   without separator (untrusted, need not be NUL-terminated)
 * @len: bytes of @text, at most BIMI_DMARC_MAX_RECORD_BYTES
 * @mode: the RFC in force
 * @error: BIMI_DMARC_ERROR_NOT_DMARC when the record does not begin with the
 *   tag "v" whose value is exactly (case-sensitively) "DMARC1" — WSP around
 *   "=" allowed (RFC 7489 §6.4, RFC 9989 §4.7); BIMI_DMARC_ERROR_SYNTAX when it
 *   does but the rest is not a tag-list (the message names the byte offset),
 *   or a tag appears twice (names compared case-insensitively);
 *   BIMI_DMARC_ERROR_LIMIT (BIMI_DMARC_MAX_RECORD_BYTES,
 *   BIMI_DMARC_MAX_REPORT_URIS, the tag-list limits).
 *
 * Tag names and values other than v are case-insensitive ("p=Reject",
 * "adkim=S"). Empty tag-specs (";;") are skipped. A missing or invalid p is
 * reported as has_p = FALSE: whether that record still applies (as p=none,
 * when rua holds a valid URI) is the evaluator's decision (RFC 7489 §6.6.3
 * step 6, RFC 9989 §4.7).
 *
 * Returns: (transfer full): the record, or NULL with @error set.
 */
BimiDmarcRecord *bimi_dmarc_record_parse(const char *text, gsize len, BimiDmarcMode mode, GError **error);

/**
 * bimi_dmarc_org_domain_psl:
 * @domain: a domain name, ASCII or UTF-8, any case, NUL-terminated
 * @error: BIMI_DMARC_ERROR_PSL when the list cannot be loaded
 *
 * RFC 7489 §3.2: the Organizational Domain is the registrable domain under
 * the Public Suffix List (longest matching public suffix plus one label).
 * The list is Debian's /usr/share/publicsuffix/public_suffix_list.dat
 * (package publicsuffix), loaded once per process with libpsl, or libpsl's
 * built-in list when the file is missing. The answer is lower case and keeps
 * the input's form (A-labels stay A-labels, U-labels stay UTF-8).
 *
 * Returns: (transfer full) (nullable): the Organizational Domain; NULL with
 * @error unset when @domain is itself a public suffix, empty, or starts with
 * a dot; NULL with @error set when the list is unavailable.
 */
char *bimi_dmarc_org_domain_psl(const char *domain, GError **error);

/**
 * bimi_dmarc_author_domain:
 * @msg: a parsed message
 * @out_domain: (out) (transfer full): the Author Domain (lower case, A-labels)
 * @out_reason: (out) (transfer full): why there is none
 *
 * RFC 7489 §6.6.1 and RFC 9989 §4.2: the Author Domain is the domain of the
 * one mailbox of the one RFC5322.From field. No From field, several From
 * fields, a From field that does not parse, more or fewer than one mailbox,
 * a mailbox without a domain or with a domain literal: no Author Domain, and
 * DMARC reports permerror with @out_reason.
 *
 * Returns: TRUE with *@out_domain set, or FALSE with *@out_reason set.
 */
gboolean bimi_dmarc_author_domain(const BimiMessage *msg, char **out_domain, char **out_reason);

/** Outcomes of the SPF and DKIM layers as DMARC sees them (RFC 8601 names). */
typedef enum {
  BIMI_DMARC_AUTH_NONE,
  BIMI_DMARC_AUTH_PASS,
  BIMI_DMARC_AUTH_FAIL,
  BIMI_DMARC_AUTH_SOFTFAIL,
  BIMI_DMARC_AUTH_NEUTRAL,
  BIMI_DMARC_AUTH_TEMPERROR,
  BIMI_DMARC_AUTH_PERMERROR,
  BIMI_DMARC_AUTH_POLICY,
} BimiDmarcAuthResult;

/** SPF's RFC 7208 result as DMARC sees it (RFC 8601 names map one to one). */
BimiDmarcAuthResult bimi_dmarc_auth_result_from_spf(BimiSpfResultCode result);
/** DKIM's RFC 6376 result as DMARC sees it (only pass can align). */
BimiDmarcAuthResult bimi_dmarc_auth_result_from_dkim(BimiDkimResult result);

/** One verified DKIM signature as DMARC needs it. Strings (transfer none). */
typedef struct {
  const char *domain;           /**< the d= tag */
  BimiDmarcAuthResult result;   /**< only PASS can align */
} BimiDmarcDkimInput;

/**
 * BimiDmarcInput:
 * Everything the evaluator needs, already evaluated elsewhere. All pointers
 * (transfer none), read during bimi_dmarc_evaluate() only.
 *
 * SPF: DMARC uses the SPF result of the MAIL FROM identity only (RFC 7489
 * §4.1; RFC 9989 §4.3, "relies solely on SPF authentication of the domain
 * found in the SMTP MAIL FROM command"). When MAIL FROM is null, RFC 7208 §2.4
 * makes that identity postmaster@<HELO domain>: set @spf_mail_from_domain to
 * NULL and pass the result of that check as @spf_mail_from_result; the
 * evaluator then aligns the HELO domain. The separate HELO-identity check
 * (RFC 7208 §2.3), @spf_helo_result, is never used for alignment by either RFC.
 */
typedef struct {
  const char *author_domain;         /**< from bimi_dmarc_author_domain(); NULL → permerror */
  const char *author_domain_error;   /**< the reason when @author_domain is NULL */
  const char *spf_mail_from_domain;  /**< domain of RFC5321.MailFrom; NULL or "" for a null path */
  const char *spf_helo_domain;       /**< the HELO/EHLO domain, or NULL */
  BimiDmarcAuthResult spf_mail_from_result; /**< check_host() of the MAIL FROM identity */
  BimiDmarcAuthResult spf_helo_result;      /**< reported context only */
  const BimiDmarcDkimInput *dkim;    /**< (array length=n_dkim) every signature, any result */
  guint n_dkim;                      /**< at most BIMI_DMARC_MAX_DKIM_INPUTS */
  const char *message_id;            /**< Message-ID field value as written, or NULL: pct sampling key */
  const char *date;                  /**< Date field value as written, or NULL: pct sampling key */
  /* ARC hook (issue: ARC). Prefer bimi_dmarc_evaluation_apply_arc_override()
   * after the evaluation, which knows adkim/aspf. TRUE when a configured trusted ARC sealer's
   * ARC-Authentication-Results say the original DMARC evaluation passed
   * (RFC 8617 §7.2.1, local policy). A "fail" result then gets disposition
   * none and override "arc"; the result itself stays fail. */
  gboolean arc_trusted_pass;
  const char *arc_sealer;            /**< the trusted sealer's d=, reported, or NULL */
} BimiDmarcInput;

typedef enum {
  BIMI_DMARC_RESULT_NONE,
  BIMI_DMARC_RESULT_PASS,
  BIMI_DMARC_RESULT_FAIL,
  BIMI_DMARC_RESULT_TEMPERROR,
  BIMI_DMARC_RESULT_PERMERROR,
} BimiDmarcResult;

/** "none" "pass" "fail" "temperror" "permerror". (transfer none) */
const char *bimi_dmarc_result_to_string(BimiDmarcResult result);

/** Which tag supplied the policy. */
typedef enum {
  BIMI_DMARC_POLICY_FROM_NONE, /**< no policy (result none/temperror/permerror) */
  BIMI_DMARC_POLICY_FROM_P,
  BIMI_DMARC_POLICY_FROM_SP,
  BIMI_DMARC_POLICY_FROM_NP,
} BimiDmarcPolicySource;

/** "" "p" "sp" "np". (transfer none) */
const char *bimi_dmarc_policy_source_to_string(BimiDmarcPolicySource source);

/** What changed an evaluation after the evaluator's own verdict (bimi_dmarc_evaluation_apply_*()). */
typedef enum {
  BIMI_DMARC_OVERRIDE_ARC,              /**< RFC 8617 §7.2.1: a trusted ARC sealer relaxed a fail's disposition */
  BIMI_DMARC_OVERRIDE_TRUSTED_AUTHRES,  /**< our own A-R's dmarc= verdict replaced the re-verification */
} BimiDmarcOverrideKind;

/** One override, the one report shape of both kinds. Plain data, owned by the evaluation. */
typedef struct {
  BimiDmarcOverrideKind kind;
  char *by;                       /**< ARC: the sealer's d= (or NULL); TRUSTED_AUTHRES: the authserv-id of our A-R */
  BimiDmarcResult reverified;     /**< the result the evaluator itself found (before this override) */
  char *reverified_reason;        /**< and its reason */
} BimiDmarcOverride;

/**
 * BimiDmarcEvaluation:
 * The outcome, plain data, every string owned. Free with bimi_dmarc_evaluation_free().
 */
typedef struct {
  BimiDmarcMode mode;
  BimiDmarcResult result;
  char *reason;                 /**< one line: why this result */
  char *author_domain;          /**< NULL on author permerror */
  char *policy_domain;          /**< where the policy record was found, or NULL */
  const BimiDmarcRecord *record; /**< that record, or NULL (transfer none: owned by @policy_records) */
  gboolean p_defaulted;         /**< p absent/invalid, rua valid: acting as p=none */
  gboolean has_policy;          /**< @policy/@policy_source are meaningful */
  BimiDmarcPolicySource policy_source;
  BimiDmarcPolicy requested_policy; /**< the value of that tag, before t=y */
  BimiDmarcPolicy policy;       /**< after the t=y downgrade (RFC 9989 §4.7) */
  int author_domain_exists;     /**< 1, 0, or -1 (not asked): RFC 9989 np existence test */
  /* Disposition (what the record asks for this message). */
  BimiDmarcPolicy disposition;  /**< none unless result is fail */
  gboolean pct_sampled;         /**< RFC 7489: this message fell inside pct (always TRUE at pct=100) */
  gboolean arc_override;        /**< disposition relaxed to none by policy.override=arc */
  char *arc_sealer;
  /* Organizational Domains of the Author Domain. */
  char *org_domain;             /**< by the method of @mode */
  char *org_domain_psl;         /**< RFC 7489 (libpsl); NULL when the author is a public suffix */
  char *org_domain_tree_walk;   /**< RFC 9989 (DNS); NULL when not determined (DNS failure) */
  gboolean org_domain_divergence; /**< both known and different */
  /* Identifier Alignment (RFC 7489 §3.1, RFC 9989 §4.4). */
  BimiDmarcAlignMode adkim;
  BimiDmarcAlignMode aspf;
  gboolean dkim_aligned;        /**< some passing signature aligns */
  char *dkim_aligned_domain;    /**< d= of the first aligned passing signature, or NULL */
  GArray *dkim_signature_aligned; /**< of gboolean, one per input signature (aligned_with_from) */
  gboolean spf_aligned;
  char *spf_domain;             /**< the identity aligned for SPF: MAIL FROM domain or HELO domain */
  gboolean spf_domain_is_helo;  /**< MAIL FROM was null (RFC 7208 §2.4) */
  /* Every "_dmarc.<name>" TXT query made, in order, each once (answers cached
   * per evaluation), tree walks for alignment and divergence included. */
  GPtrArray *queries;           /**< of char* */
  /* What those queries found, one entry per name, in the same order, each record parsed once: BIMI's
   * enforcement gate (bimi_bimi_dmarc_gate()) reads the records of the Author Domain and the Organizational
   * Domain from here instead of asking again. Look up with bimi_dmarc_evaluation_find_policy_record(). */
  GPtrArray *policy_records;    /**< of BimiDmarcPolicyRecord* */
  GPtrArray *overrides;         /**< of BimiDmarcOverride*, in the order applied (maybe empty) */
} BimiDmarcEvaluation;

/**
 * bimi_dmarc_evaluation_find_override:
 * @evaluation: an evaluation
 * @kind: the override asked for
 *
 * Returns: (transfer none) (nullable): the override of @kind applied to @evaluation, or NULL.
 */
const BimiDmarcOverride *bimi_dmarc_evaluation_find_override(const BimiDmarcEvaluation *evaluation,
                                                             BimiDmarcOverrideKind kind);

/**
 * bimi_dmarc_evaluation_apply_trusted_authres:
 * @evaluation: a finished evaluation (modified in place)
 * @verdict: the dmarc= result our own Authentication-Results gave the Author
 *   Domain at delivery (engine/authres-trust found an A-R the sender cannot
 *   have forged)
 * @authserv_id: our authserv-id (RFC 8601 §2.5), copied
 *
 * Local policy ([auth] trust_own_authres): the verdict our MTA stamped at
 * delivery replaces the re-verification (DKIM keys may have rotated since).
 * The result becomes @verdict with the reason "<verdict> by our own
 * Authentication-Results at delivery"; a fail takes the policy's disposition
 * (unless an ARC override relaxed it), anything else disposition none. The
 * policy records stay (BIMI's gate reads them). Recorded as an override of
 * kind TRUSTED_AUTHRES with what re-verification found; the A-R says so in
 * the dmarc= comment (bimi_dmarc_evaluation_add_authres()). No error.
 */
void bimi_dmarc_evaluation_apply_trusted_authres(BimiDmarcEvaluation *evaluation, BimiDmarcResult verdict,
                                                 const char *authserv_id);

/**
 * BimiDmarcPolicyRecord:
 * One "_dmarc.<domain>" TXT answer as an evaluation read it. Plain data, owned
 * by the evaluation. Records not starting with v=DMARC1 are discarded; each
 * other one is parsed once, under RFC 9989 (RFC 7489 evaluations parse the
 * valid one a second time under RFC 7489 when they use it).
 */
typedef struct {
  char *domain;              /**< lower case, no trailing dot: the name asked is "_dmarc." + this */
  BimiDnsStatus status;      /**< NOERROR, NXDOMAIN/NODATA (no record), TEMPERROR; NXDOMAIN when the
                              *   name is longer than a DNS name may be (never asked) */
  char *detail;              /**< temperror detail, or NULL */
  guint32 ttl;               /**< seconds the answer may be cached (G_MAXUINT32: not asked) */
  guint n_dmarc;             /**< records starting with v=DMARC1 */
  guint n_valid;             /**< of those, the ones that parse */
  BimiDmarcRecord *record;   /**< the one record that parses (n_valid == 1), read under RFC 9989; else NULL */
  char *problem;             /**< n_dmarc == 1 and it does not parse: why; else NULL */
  /*< private >*/
  GBytes *valid_text;        /**< the text of @record */
  BimiDmarcRecord *record_rfc7489; /**< @record read under RFC 7489, parsed when first needed */
} BimiDmarcPolicyRecord;

/**
 * bimi_dmarc_evaluation_find_policy_record:
 * @evaluation: a finished evaluation
 * @domain: a domain (any case, trailing dot ignored)
 *
 * The answer at "_dmarc.<domain>" this evaluation asked for. An evaluation
 * whose result is pass or fail has asked for the Author Domain and for its
 * Organizational Domain (org_domain, else org_domain_psl), so that BIMI's
 * gate (spec §4) needs no query of its own.
 *
 * Returns: (transfer none) (nullable): the entry, or NULL when never asked.
 */
const BimiDmarcPolicyRecord *bimi_dmarc_evaluation_find_policy_record(const BimiDmarcEvaluation *evaluation,
                                                                      const char *domain);

void bimi_dmarc_evaluation_free(BimiDmarcEvaluation *evaluation);

/**
 * bimi_dmarc_evaluation_apply_arc_override:
 * @evaluation: a finished evaluation (modified in place)
 * @sealer: (nullable) (transfer none): the trusted ARC sealer's d=, copied
 *
 * RFC 8617 §7.2.1 local policy, after bimi_arc_trusted_pass() said TRUE for
 * this evaluation's Author Domain and adkim/aspf: a "fail" whose disposition
 * is not none gets disposition none, arc_override TRUE and @sealer. The
 * result stays fail. Returns whether it changed anything. No error.
 */
gboolean bimi_dmarc_evaluation_apply_arc_override(BimiDmarcEvaluation *evaluation, const char *sealer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDmarcEvaluation, bimi_dmarc_evaluation_free)

/**
 * BimiDmarcRecordCache:
 * Parsed DMARC records by (record text, mode), shared by threads (issue 21: the policy
 * records of a busy domain are the same text request after request; OpenDKIM's and rspamd's
 * key caches do the same for DKIM keys). Parsing is a function of the text and the mode
 * alone, so an entry never goes stale; DNS TTLs stay the resolver's business. At most
 * BIMI_DMARC_RECORD_CACHE_MAX_ENTRIES entries; when full it starts empty again.
 */
typedef struct _BimiDmarcRecordCache BimiDmarcRecordCache;

/** Returns: (transfer full): an empty cache. */
BimiDmarcRecordCache *bimi_dmarc_record_cache_new(void);
void bimi_dmarc_record_cache_free(BimiDmarcRecordCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDmarcRecordCache, bimi_dmarc_record_cache_free)

/**
 * bimi_dmarc_record_cache_parse:
 * @cache: (nullable): the cache; NULL: bimi_dmarc_record_parse() itself
 * @text: (array length=len), @len, @mode, @error: as bimi_dmarc_record_parse()
 *
 * bimi_dmarc_record_parse() through @cache: a text parsed before under @mode is copied
 * from the cache, its error included (the same domain, code and message). Thread-safe.
 *
 * Returns: (transfer full): the record, or NULL with @error set.
 */
BimiDmarcRecord *bimi_dmarc_record_cache_parse(BimiDmarcRecordCache *cache, const char *text, gsize len,
                                               BimiDmarcMode mode, GError **error);

/** Entries in @cache (tests, metrics). */
guint bimi_dmarc_record_cache_size(BimiDmarcRecordCache *cache);

/** Returns: (transfer full): a deep copy of @record. */
BimiDmarcRecord *bimi_dmarc_record_copy(const BimiDmarcRecord *record);

/** Evaluator settings ([policy] of the configuration). */
typedef struct {
  BimiDmarcMode mode;
  BimiDmarcRecordCache *record_cache; /**< (nullable): parsed records by text (issue 21); NULL: parse each time */
} BimiDmarcOptions;

/**
 * bimi_dmarc_evaluate:
 * @resolver: the shared resolver (every "_dmarc" TXT query and the RFC 9989
 *   existence test — A, AAAA, MX of the Author Domain — go through it)
 * @options: (nullable): NULL = RFC 9989
 * @input: the message's Author Domain and authentication outcomes
 * @error: BIMI_DMARC_ERROR_LIMIT (more than BIMI_DMARC_MAX_DKIM_INPUTS
 *   signatures), BIMI_DMARC_ERROR_PSL, BIMI_DMARC_ERROR_DNS (resolver refused
 *   a query for another reason than an invalid name)
 *
 * RFC 9989 mode: policy discovery by the DNS tree walk (at most
 * BIMI_DMARC_MAX_TREE_WALK_QUERIES queries per walk: the Author Domain, then
 * at most 7 labels, then one label less each time), Organizational Domain by
 * the tree walk with the psd= stop rules, np for non-existent subdomains,
 * t=y downgrade. RFC 7489 mode: Author Domain, then Organizational Domain by
 * the PSL, pct sampling keyed on a SHA-256 of Message-ID and Date (the same
 * message always gets the same answer).
 *
 * DNS failures are results: temperror when a policy query times out;
 * invalid DMARC records are permerror; no record is none.
 *
 * Returns: (transfer full): the evaluation, or NULL with @error set.
 */
BimiDmarcEvaluation *bimi_dmarc_evaluate(BimiDnsResolver *resolver, const BimiDmarcOptions *options,
                                         const BimiDmarcInput *input, GError **error);

/**
 * BimiDmarcMessageInput:
 * The one way a DMARC input is built (engine/dmarc-input.c): from a message
 * and what SPF and DKIM found (bimi_dmarc_message_input_init()), or for a
 * bare domain (bimi_dmarc_message_input_init_domain()). Initialise, evaluate
 * with bimi_dmarc_evaluate_message(), clear with
 * bimi_dmarc_message_input_clear(). The arguments must outlive it.
 */
typedef struct {
  BimiDmarcInput input;   /**< what bimi_dmarc_evaluate() takes; points into this struct and the arguments */
  /*< private >*/
  char *author, *author_reason, *message_id, *date;
  GArray *dkim;           /* of BimiDmarcDkimInput, one per signature (at most BIMI_DMARC_MAX_DKIM_INPUTS) */
  GPtrArray *signatures;  /* the BimiDkimSignature* they came from, same order (a reference) */
  BimiDmarcDkimInput domain_dkim;
} BimiDmarcMessageInput;

/**
 * bimi_dmarc_message_input_init:
 * @in: (out caller-allocates): the input to fill
 * @msg: the message (the Author Domain, Message-ID and Date come from it)
 * @spf: (nullable): SPF of the MAIL FROM identity (postmaster@HELO for a null
 *   path, RFC 7208 §2.4) from bimi_spf_check(); NULL = none (no client address)
 * @spf_helo: (nullable): SPF of the HELO identity on its own (RFC 7208 §2.3,
 *   bimi_spf_check_helo()), reported only
 * @helo: (nullable): the HELO/EHLO name
 * @signatures: (nullable) (element-type BimiDkimSignature): every DKIM
 *   signature bimi_dkim_verify() returned; bimi_dmarc_evaluate_message()
 *   records each one's alignment in it (a reference is kept)
 *
 * RFC 7489 §4.1, RFC 9989 §4.3: what DMARC needs, from the layers that
 * verified it. At most BIMI_DMARC_MAX_DKIM_INPUTS signatures go to DMARC.
 */
void bimi_dmarc_message_input_init(BimiDmarcMessageInput *in, const BimiMessage *msg, const BimiSpfResult *spf,
                                   const BimiSpfResult *spf_helo, const char *helo, GPtrArray *signatures);

/**
 * bimi_dmarc_message_input_init_domain:
 * @in: (out caller-allocates): the input to fill
 * @domain: a domain (A-labels), copied
 *
 * The input of a message From: @domain whose one DKIM signature d=@domain
 * passed and no SPF: what policy would apply to a sender that authenticates,
 * at which domains (`bimi lookup` and the service's domain endpoint).
 */
void bimi_dmarc_message_input_init_domain(BimiDmarcMessageInput *in, const char *domain);

/** Frees what bimi_dmarc_message_input_init*() allocated (not @in itself) and zeroes @in. */
void bimi_dmarc_message_input_clear(BimiDmarcMessageInput *in);

/**
 * bimi_dmarc_evaluate_message:
 * @resolver: as bimi_dmarc_evaluate()
 * @options: (nullable): as bimi_dmarc_evaluate()
 * @in: a filled input
 * @error: as bimi_dmarc_evaluate()
 *
 * bimi_dmarc_evaluate() of @in->input, then the Identifier Alignment found
 * for each signature written into its BimiDkimSignature.aligned_with_from
 * (signatures past BIMI_DMARC_MAX_DKIM_INPUTS stay UNKNOWN).
 *
 * Returns: (transfer full): the evaluation, or NULL with @error set.
 */
BimiDmarcEvaluation *bimi_dmarc_evaluate_message(BimiDnsResolver *resolver, const BimiDmarcOptions *options,
                                                 BimiDmarcMessageInput *in, GError **error);

/**
 * bimi_dmarc_evaluation_build_json:
 * @ev: an evaluation
 * @writer: a BimiJsonWriter where a value is expected (transfer none)
 *
 * Adds one object, the "auth.dmarc" value of the service and of
 * `bimi dmarc --json`: result, reason, mode, author_domain, policy_domain,
 * policy (after t=y; null without a policy), policy_source ("p"/"sp"/"np"),
 * requested_policy, disposition, pct_sampled, override ("arc" or null),
 * arc_sealer, author_domain_exists (true/false/null), org_domain,
 * org_domain_psl, org_domain_tree_walk, org_domain_divergence, alignment
 * {adkim, aspf ("r"/"s"), dkim_aligned, dkim_domain, dkim_signatures_aligned
 * [bool per input signature], spf_aligned, spf_domain, spf_identity
 * ("mailfrom"/"helo"/null)}, record (null, or every tag of the record in
 * force plus "warnings"), queries (the "_dmarc" names asked, in order).
 */
void bimi_dmarc_evaluation_build_json(const BimiDmarcEvaluation *ev, BimiJsonWriter *writer);

/**
 * bimi_dmarc_evaluation_add_authres:
 * @evaluation: a DMARC evaluation (transfer none)
 * @ar: where to append (transfer none)
 *
 * Appends "dmarc=<result>" with header.from (the Author Domain),
 * policy.dmarc (the disposition), polrec.p and polrec.domain (RFC 9989 IANA:
 * the record's p= and, when not the Author Domain, where it was found), and
 * policy.override=arc + policy.arc-sealer for a trusted-sealer override.
 */
void bimi_dmarc_evaluation_add_authres(const BimiDmarcEvaluation *evaluation, BimiAuthres *ar);

G_END_DECLS

#endif /* BIMI_DMARC_H */
