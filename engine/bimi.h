/* engine/bimi.h — BIMI: Assertion Record, BIMI-Selector header, discovery and
 * the DMARC preconditions (draft-brand-indicators-for-message-identification-12
 * as read in spec/bimi-receiver.md §1–§4 and §9).
 *
 * What this module decides: whether a message qualifies for BIMI (§1, §4),
 * which selector applies (§3), which Assertion Record is used and where it was
 * found (§2, §3), and the Authentication-Results `bimi=` entry plus the
 * BIMI-Location / BIMI-Indicator values an MTA adds (§9). It does not fetch
 * or validate the indicator (engine/fetch, engine/svg) nor the evidence
 * document (engine/vmc): the pipeline (evaluate/) does that after a
 * BIMI_BIMI_RESULT_PASS and downgrades the result with
 * bimi_bimi_result_set_fail() when they do not validate.
 *
 * Inbound BIMI-Location, BIMI-Indicator and BIMI-Logo-Preference fields are
 * never read here (spec §9.2: "MUST be removed ... regardless of outcome").
 * The evaluate step must strip (or ignore) them before the message is
 * stored or shown, and must never take a logo from them.
 */
#ifndef BIMI_BIMI_H
#define BIMI_BIMI_H

#include <glib.h>
#include "engine/base/base-json.h"
#include "engine/authres.h"
#include "engine/dkim.h"
#include "engine/dmarc.h"
#include "engine/dns.h"
#include "engine/message.h"

G_BEGIN_DECLS

#define BIMI_BIMI_ERROR (bimi_bimi_error_quark())
GQuark bimi_bimi_error_quark(void);

/** Why a record or header could not be used, or an evaluation could not run. */
typedef enum {
  BIMI_BIMI_ERROR_NOT_BIMI, /**< the text does not start with "v=BIMI1": not a BIMI record (discard it) */
  BIMI_BIMI_ERROR_SYNTAX,   /**< starts with v=BIMI1 but is no valid tag-list (duplicate tag, bad byte...) */
  BIMI_BIMI_ERROR_INVALID,  /**< parses, but breaks a rule of spec §2/§3 (l= missing, bad URI, bad selector) */
  BIMI_BIMI_ERROR_LIMIT,    /**< a BIMI limit of engine/limits.h was exceeded */
  BIMI_BIMI_ERROR_DNS,      /**< the resolver refused to ask (not a DNS answer: those are results) */
} BimiBimiError;

/* ---- Assertion Record (spec §2) ------------------------------------------ */

/** avp= (spec §2; draft -09+). */
typedef enum {
  BIMI_BIMI_AVP_BRAND,    /**< "brand", also the default when absent or invalid */
  BIMI_BIMI_AVP_PERSONAL, /**< "personal" */
} BimiBimiAvp;

/** "brand" / "personal". (transfer none) */
const char *bimi_bimi_avp_to_string(BimiBimiAvp avp);

/** A parsed Assertion Record. All strings owned by the record. */
typedef struct {
  char *location;      /**< l= URI (https, DNS host), NULL when empty */
  char *evidence;      /**< a= URI (https, DNS host), NULL when empty or absent */
  gboolean declined;   /**< l= and a= both empty: declination to publish */
  BimiBimiAvp avp;     /**< avp=, BRAND when absent or invalid */
  gboolean has_avp;    /**< avp= present with a valid value (only then propagated, spec §9.1) */
  gboolean avp_invalid; /**< avp= present with another value: ignored, not propagated */
  gboolean has_lps;    /**< lps= present */
  char **lps;          /**< lower-case prefixes (NULL-terminated, may be empty = match all); NULL when !has_lps */
  char **warnings;     /**< NULL-terminated "tag: what (offset N)" notes, maybe empty */
} BimiBimiRecord;

void bimi_bimi_record_free(BimiBimiRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiBimiRecord, bimi_bimi_record_free)

/**
 * bimi_bimi_record_parse:
 * @text: (array length=len): the TXT character-strings joined without
 *   separator (untrusted, not NUL-terminated).
 * @len: bytes of @text; more than BIMI_BIMI_MAX_RECORD_BYTES is a LIMIT error.
 * @error: BIMI_BIMI_ERROR_NOT_BIMI (does not start with `v=BIMI1`, matched
 *   exactly as the draft says; not a BIMI record, discard it),
 *   _SYNTAX (tag-list, RFC 6376 §3.2, incl. duplicate tags), _INVALID
 *   (l= missing, l=/a= not one https:// URI with a DNS host name, a URI longer
 *   than BIMI_BIMI_MAX_URI_BYTES, a bad lps= prefix), _LIMIT. Messages say
 *   which tag and the byte offset.
 *
 * Parses a BIMI Assertion Record (spec §2): v=BIMI1 first, l= required (may be
 * empty), a= absent = empty, both empty = declined, avp= and lps= parsed,
 * unknown tags ignored.
 *
 * Returns: (transfer full) the record, or NULL with @error set.
 */
BimiBimiRecord *bimi_bimi_record_parse(const char *text, gsize len, GError **error);

/**
 * bimi_bimi_uri_check:
 * @uri: NUL-terminated candidate l=/a= value (already trimmed).
 * @error: BIMI_BIMI_ERROR_INVALID (what is wrong), _LIMIT (longer than
 *   BIMI_BIMI_MAX_URI_BYTES).
 *
 * Spec §2 / §13 rule 6: exactly one absolute `https://` URI (GUri, RFC 3986)
 * whose host is a DNS name — no IP literal, no "localhost", no user info,
 * no unencoded comma (a comma means two URIs), no whitespace.
 */
gboolean bimi_bimi_uri_check(const char *uri, GError **error);

/* ---- BIMI-Selector header (spec §3) -------------------------------------- */

/**
 * bimi_bimi_selector_parse:
 * @value: (array length=len): the unfolded BIMI-Selector field value (untrusted).
 * @len: bytes; more than BIMI_BIMI_MAX_SELECTOR_HEADER_BYTES is a LIMIT error.
 * @out_selector: (out) (transfer full): the selector, lower case.
 * @error: _NOT_BIMI (no leading v=BIMI1), _SYNTAX (tag-list), _INVALID (s=
 *   missing, or not `sub-domain *("." sub-domain)` of RFC 5321, or longer than
 *   BIMI_BIMI_MAX_SELECTOR_BYTES), _LIMIT.
 *
 * Parses `v=BIMI1; s=<selector>;` (spec §3: v= required and first, s= required).
 * Only version BIMI1 exists; another `BIMI<digit>` is NOT_BIMI.
 */
gboolean bimi_bimi_selector_parse(const char *value, gsize len, char **out_selector, GError **error);

/**
 * bimi_bimi_selector_is_valid:
 * @s: (array length=len): candidate selector.
 *
 * Spec §2.1: `sub-domain *("." sub-domain)` (RFC 5321 Domain, no address
 * literal), 1..BIMI_BIMI_MAX_SELECTOR_BYTES bytes.
 */
gboolean bimi_bimi_selector_is_valid(const char *s, gsize len);

/**
 * bimi_bimi_local_part_selector:
 * @local_part: the From local-part (UTF-8, NUL-terminated).
 * @prefixes: (nullable): lower-case lps= prefixes; NULL or empty matches all.
 *
 * Spec §2.2 step 1–2: drop "+" and what follows; each run of "_"/"." becomes
 * one "-"; strip leading/trailing "-"; lower case; only [a-z0-9-], 1..63 bytes;
 * must start with one of @prefixes.
 *
 * Returns: (transfer full) (nullable): the local-part selector, or NULL.
 */
char *bimi_bimi_local_part_selector(const char *local_part, const char *const *prefixes);

/* ---- DMARC gate (spec §4) ------------------------------------------------ */

/** One DMARC record as the gate saw it. */
typedef struct {
  char *domain;          /**< the domain whose `_dmarc.` name was asked */
  gboolean found;        /**< exactly one v=DMARC1 record was there */
  gboolean has_p;        /**< a valid p= */
  BimiDmarcPolicy p;
  gboolean has_sp;
  BimiDmarcPolicy sp;
  gboolean has_np;
  BimiDmarcPolicy np;
  gboolean has_pct;      /**< pct= present (read as RFC 7489 does, even in RFC 9989 mode) */
  guint pct;
  gboolean testing;      /**< t=y (RFC 9989) */
} BimiBimiDmarcPolicy;

/** Outcome of the enforcement gate of spec §4 steps 7–9 (+ RFC 9989 t=y). */
typedef struct {
  gboolean ok;                   /**< both records enforce */
  char *reason_code;             /**< NULL when ok, else a skipped reason (see bimi_bimi_evaluate) */
  char *reason;                  /**< human one-liner, NULL when ok */
  gboolean temperror;            /**< a DMARC record could not be fetched (DNS temperror) */
  BimiBimiDmarcPolicy author;    /**< record at the Author Domain (found may be FALSE) */
  BimiBimiDmarcPolicy org;       /**< record at the Organizational Domain (same as author when equal) */
  gboolean has_effective;        /**< @effective is the DMARC evaluation's policy */
  BimiDmarcPolicy effective;     /**< policy the DMARC evaluation applied (after t=y) */
} BimiBimiGate;

void bimi_bimi_gate_free(BimiBimiGate *gate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiBimiGate, bimi_bimi_gate_free)

/** Gate settings. Zero = the defaults the issue asks for. */
typedef struct {
  /* spec §4 Decision: pct<100 skips with quarantine; FALSE (default) also
   * skips p=reject with pct<100 (issue 6: "pct = 100 where present"), TRUE
   * accepts reject "with any percentage" as the draft overview says. */
  gboolean allow_reject_partial_pct;
} BimiBimiOptions;

/**
 * bimi_bimi_dmarc_gate:
 * @options: (nullable): settings; NULL = defaults.
 * @dmarc: the DMARC evaluation of the message (author_domain and org_domain
 *   set); its policy is the effective policy, and its policy_records hold the
 *   records the gate reads: the gate makes no DNS query of its own (one query
 *   and one parse per record per evaluation).
 *
 * Spec §4 steps 7–9: the records of the Author Domain and of the
 * Organizational Domain must both enforce: p not none (absent/invalid p counts
 * as none), no sp=none, pct=100 where present (see @options), not t=y; the
 * effective policy the DMARC evaluation applied must not be none; the
 * Organizational Domain must publish a record. Reason codes: "author-p-none",
 * "author-sp-none", "author-pct", "author-testing", "org-p-none",
 * "org-sp-none", "org-pct", "org-testing", "org-no-record",
 * "effective-policy-none", "dmarc-record-temperror" (a record DMARC could not
 * read, see bimi_dmarc_evaluation_find_policy_record()).
 *
 * Returns: (transfer full) the gate. No error.
 */
BimiBimiGate *bimi_bimi_dmarc_gate(const BimiBimiOptions *options, const BimiDmarcEvaluation *dmarc);

/* ---- Discovery and the result (spec §3, §9) ------------------------------ */

/** A-R `bimi=` results (spec §9.1). */
typedef enum {
  BIMI_BIMI_RESULT_NONE,
  BIMI_BIMI_RESULT_PASS,
  BIMI_BIMI_RESULT_FAIL,
  BIMI_BIMI_RESULT_TEMPERROR,
  BIMI_BIMI_RESULT_DECLINED,
  BIMI_BIMI_RESULT_SKIPPED,
} BimiBimiResultCode;

/** "none" "pass" "fail" "temperror" "declined" "skipped". (transfer none) */
const char *bimi_bimi_result_code_to_string(BimiBimiResultCode code);

/** Where the selector came from. */
typedef enum {
  BIMI_BIMI_SELECTOR_DEFAULT,     /**< "default" */
  BIMI_BIMI_SELECTOR_HEADER,      /**< a covered, valid BIMI-Selector header */
  BIMI_BIMI_SELECTOR_ARGUMENT,    /**< given by the caller (bimi lookup --selector) */
} BimiBimiSelectorSource;

/** policy.authority (spec §9.1): set by the pipeline after engine/vmc. */
typedef enum {
  BIMI_BIMI_AUTHORITY_NONE,  /**< no evidence presented or not checked */
  BIMI_BIMI_AUTHORITY_PASS,
  BIMI_BIMI_AUTHORITY_FAIL,
} BimiBimiAuthority;

/**
 * Why the BIMI result is what it is: the typed form of
 * BimiBimiResult.reason_code (bimi_bimi_reason_to_string gives the stable
 * name). BIMI_BIMI_REASON_GATE stands for every code of the enforcement gate
 * (spec §4 steps 7–9), whose name is the gate's own reason_code.
 */
typedef enum {
  BIMI_BIMI_REASON_NO_RECORD,                /**< none: "no-record" */
  BIMI_BIMI_REASON_RECORD_FOUND,             /**< pass: "record-found" */
  BIMI_BIMI_REASON_DECLINED,                 /**< declined: "declined" */
  BIMI_BIMI_REASON_NO_FROM,                  /**< skipped (§4 step 1): "no-from" */
  BIMI_BIMI_REASON_MULTIPLE_FROM_FIELDS,     /**< skipped: "multiple-from-fields" */
  BIMI_BIMI_REASON_MULTIPLE_FROM_MAILBOXES,  /**< skipped: "multiple-from-mailboxes" */
  BIMI_BIMI_REASON_FROM_INVALID,             /**< skipped: "from-invalid" */
  BIMI_BIMI_REASON_FROM_NO_DOMAIN,           /**< skipped: "from-no-domain" */
  BIMI_BIMI_REASON_DMARC_NOT_PASS,           /**< skipped (§4 steps 4–6): "dmarc-not-pass" */
  BIMI_BIMI_REASON_DMARC_TEMPERROR,          /**< skipped: "dmarc-temperror" */
  BIMI_BIMI_REASON_GATE,                     /**< skipped or temperror: the gate's reason_code */
  BIMI_BIMI_REASON_DNS_TEMPERROR,            /**< temperror: "dns-temperror" */
  BIMI_BIMI_REASON_MULTIPLE_RECORDS,         /**< fail: "multiple-records" */
  BIMI_BIMI_REASON_INVALID_RECORD,           /**< fail: "invalid-record" */
  BIMI_BIMI_REASON_INDICATOR,                /**< fail (set by the pipeline): "indicator" */
  BIMI_BIMI_REASON_EVIDENCE,                 /**< fail (set by the pipeline): "evidence" */
  BIMI_BIMI_REASON_FETCH_TEMPERROR,          /**< temperror (set by the pipeline): "fetch-temperror" */
} BimiBimiReason;

/**
 * bimi_bimi_reason_to_string:
 * @reason: a BimiBimiReason.
 *
 * Returns: (transfer none): its stable name, e.g. "dmarc-temperror"; "gate"
 * for BIMI_BIMI_REASON_GATE (the result carries the gate's own code).
 */
const char *bimi_bimi_reason_to_string(BimiBimiReason reason);

/**
 * bimi_bimi_reason_is_from:
 * Returns: TRUE for the reasons of spec §4 step 1 (the From precondition:
 * no From, several From fields or mailboxes, unparsable, no domain).
 */
gboolean bimi_bimi_reason_is_from(BimiBimiReason reason);

/** The BIMI part of one evaluation. Plain data; strings owned. */
typedef struct {
  BimiBimiResultCode code;
  BimiBimiReason reason_id;     /**< the reason as an enum; compare this, not reason_code */
  /* Stable reason code, the name of @reason_id (bimi_bimi_reason_to_string),
   * or for BIMI_BIMI_REASON_GATE the gate's code (bimi_bimi_dmarc_gate, e.g.
   * "dmarc-record-temperror", "org-no-record"). Never NULL. */
  char *reason_code;
  char *reason;                 /**< human one-liner (A-R comment); never NULL */
  char *author_domain;          /**< NULL when the From precondition failed */
  char *org_domain;
  char *local_part;             /**< From local-part (for lps=), or NULL */
  char *selector;               /**< selector asked ("default" unless a header/argument applied) */
  BimiBimiSelectorSource selector_source;
  char *selector_note;          /**< why that selector (e.g. "BIMI-Selector not covered by h= of d=example.com") */
  BimiBimiGate *gate;           /**< NULL when skipped before the gate */
  BimiBimiRecord *record;       /**< the record used, NULL unless pass/declined */
  char *record_text;            /**< that record's TXT text, or the invalid one on fail */
  char *record_domain;          /**< header.d: domain the record was found at (author or org) */
  char *record_selector;        /**< header.selector: the selector of the name found (lps-selector when used) */
  char *record_name;            /**< "<sel>._bimi.<domain>" queried */
  char *canonical_name;         /**< CNAME target the record was found at, or NULL */
  gboolean org_fallback;        /**< found at the Organizational Domain */
  gboolean lps_used;            /**< the record came from a local-part selector name */
  guint32 ttl;                  /**< seconds this discovery may be cached (smallest TTL seen) */
  GPtrArray *queries;           /**< of char*: "NAME STATUS", in order */
  BimiBimiAuthority authority;  /**< policy.authority, NONE until the pipeline sets it */
} BimiBimiResult;

void bimi_bimi_result_free(BimiBimiResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiBimiResult, bimi_bimi_result_free)

/** What bimi_bimi_evaluate() looks at. Everything (transfer none). */
typedef struct {
  const BimiMessage *message;        /**< the message (From:, BIMI-Selector:) */
  const BimiDmarcEvaluation *dmarc;  /**< its DMARC evaluation (required) */
  /* its DKIM results (BimiDkimSignature*), in the order given to DMARC, so that
   * dmarc->dkim_signature_aligned[i] describes element i; NULL = none */
  const GPtrArray *dkim;
  /* spec §4 steps 4–6: the receiver treats a non-pass as pass (trusted ARC
   * chain, trusted forwarder, local policy) */
  gboolean dmarc_pass_override;
} BimiBimiInput;

/**
 * bimi_bimi_evaluate:
 * @resolver: DNS for the Assertion Records (the DMARC records come from @input->dmarc).
 * @options: (nullable): gate settings; NULL = defaults.
 * @input: the message and its authentication results.
 * @error: BIMI_BIMI_ERROR_DNS (resolver refused a query), _LIMIT.
 *
 * Spec §1 steps 1–6: From precondition, DMARC pass, enforcement gate,
 * selector (§3), discovery author → org with the same selector, lps= (§2.2),
 * exactly one v=BIMI1 record, record validity, declination. A result PASS
 * means "a valid record with an indicator or evidence URI was found": the
 * pipeline still fetches and validates them.
 *
 * Returns: (transfer full) the result, or NULL with @error set.
 */
BimiBimiResult *bimi_bimi_evaluate(BimiDnsResolver *resolver, const BimiBimiOptions *options,
                                   const BimiBimiInput *input, GError **error);

/**
 * bimi_bimi_discover:
 * @resolver: DNS.
 * @selector: selector (lower case, valid), e.g. "default".
 * @author_domain: Author Domain (A-labels, lower case).
 * @org_domain: (nullable): Organizational Domain; NULL or equal = no fallback.
 * @local_part: (nullable): From local-part for lps= (spec §2.2); NULL = skip lps.
 * @result: the result to fill: code NONE/PASS/FAIL/DECLINED/TEMPERROR and
 *   the record fields; other fields are left alone.
 * @error: BIMI_BIMI_ERROR_DNS.
 *
 * Spec §3 discovery alone (what `bimi lookup` and the service's domain
 * endpoint use).
 */
gboolean bimi_bimi_discover(BimiDnsResolver *resolver, const char *selector, const char *author_domain,
                            const char *org_domain, const char *local_part, BimiBimiResult *result,
                            GError **error);

/** bimi_bimi_result_new: an empty result (code NONE). (transfer full) */
BimiBimiResult *bimi_bimi_result_new(void);

/**
 * bimi_bimi_result_new_for_domain:
 * @domain: the Author Domain of a message that is not there (A-labels)
 * @selector: the selector to discover, lower-case ("default" when none was asked for)
 * @dmarc: the DMARC evaluation of that message (bimi_dmarc_message_input_init_domain())
 *
 * The result a lookup of @domain starts from, before its gate and discovery
 * (`bimi lookup`, the service's domain endpoint): the Author Domain, the
 * Organizational Domain DMARC found (else the PSL's, else @domain itself),
 * @selector and its source (BIMI_BIMI_SELECTOR_DEFAULT for "default", else
 * _ARGUMENT).
 *
 * Returns: (transfer full): the result, code NONE as bimi_bimi_result_new().
 */
BimiBimiResult *bimi_bimi_result_new_for_domain(const char *domain, const char *selector,
                                                const BimiDmarcEvaluation *dmarc);

/**
 * bimi_bimi_result_set:
 * @result: the result to change.
 * @code: the new `bimi=` result.
 * @reason_id: why; not BIMI_BIMI_REASON_GATE (use bimi_bimi_result_apply_gate).
 * @reason: the human one-liner (A-R comment), copied.
 *
 * Sets code, reason_id, reason_code (the name of @reason_id) and reason
 * together, so that they cannot disagree. For the pipeline: the indicator or
 * evidence did not validate (spec §9.1 fail, BIMI_BIMI_REASON_INDICATOR or
 * _EVIDENCE), or could not be fetched (temperror, _FETCH_TEMPERROR).
 */
void bimi_bimi_result_set(BimiBimiResult *result, BimiBimiResultCode code, BimiBimiReason reason_id,
                          const char *reason);

/**
 * bimi_bimi_result_apply_gate:
 * @result: a result whose @gate is set (not NULL).
 *
 * When the gate refused (spec §4 steps 7–9), the result takes its outcome:
 * temperror when a DMARC record could not be fetched, else skipped, with
 * reason_id BIMI_BIMI_REASON_GATE and the gate's reason_code and reason.
 *
 * Returns: TRUE when the gate refused (discovery must not run), FALSE when it
 * let the message through (the result is unchanged).
 */
gboolean bimi_bimi_result_apply_gate(BimiBimiResult *result);

/**
 * bimi_bimi_result_add_authres:
 * Appends the `bimi=` resinfo to @ar (spec §9.1): the result, its reason as
 * comment (skipped/fail/none/temperror), and on pass/declined header.d and
 * header.selector; on pass policy.authority (+ policy.authority-uri when a=
 * is set), policy.indicator-uri (l=) and policy.logo-preference (only when
 * avp= was valid). Returns: (transfer none) the resinfo added.
 */
BimiAuthresResult *bimi_bimi_result_add_authres(const BimiBimiResult *result, BimiAuthres *ar);

/**
 * bimi_bimi_location_header_value:
 * @svg_from_evidence: the displayed SVG came from the evidence document.
 *
 * The BIMI-Location value (spec §9.2): "v=BIMI1; l=<l=>" or, when the SVG
 * came from the evidence document, "v=BIMI1; a=<a=>". Only on PASS.
 *
 * Returns: (transfer full) (nullable): the value, NULL unless PASS.
 */
char *bimi_bimi_location_header_value(const BimiBimiResult *result, gboolean svg_from_evidence);

/**
 * bimi_bimi_indicator_header_value:
 * @svg: the validated, uncompressed SVG (engine/svg said valid), at most
 *   BIMI_SVG_MAX_BYTES.
 * @error: BIMI_BIMI_ERROR_LIMIT when larger.
 *
 * The BIMI-Indicator value (spec §9.2): base64 of the uncompressed SVG,
 * folded for RFC 5321/5322 line limits: the first line holds
 * BIMI_BIMI_INDICATOR_FIRST_LINE_CHARS characters (after "BIMI-Indicator: "),
 * the following ones "\r\n " + BIMI_BIMI_INDICATOR_LINE_CHARS characters,
 * so no line exceeds 78 characters.
 *
 * Returns: (transfer full) the folded value (no trailing CRLF), or NULL.
 */
char *bimi_bimi_indicator_header_value(GBytes *svg, GError **error);

/**
 * bimi_bimi_is_receiver_header:
 * @name: (array length=len): a header field name (compared case-insensitively).
 *
 * Spec §9.2: BIMI-Location, BIMI-Indicator and BIMI-Logo-Preference are set
 * by the receiver only. evaluate/ calls this on every field of an
 * inbound message and removes (or ignores) the matching ones before the
 * message is stored or shown, whatever the BIMI outcome; nothing in the
 * engine reads them.
 *
 * Returns: TRUE for one of those three names.
 */
gboolean bimi_bimi_is_receiver_header(const char *name, gsize len);

/**
 * bimi_bimi_result_build_json:
 * Adds the result as one JSON object to @writer: result, reason_code,
 * reason, author_domain, org_domain, selector {name, source, note},
 * gate {ok, reason_code, author {...}, org {...}, effective_policy},
 * record {text, domain, selector, name, canonical_name, org_fallback, lps,
 * l, a, declined, avp, lps_prefixes, warnings}, queries[], ttl, authority.
 */
void bimi_bimi_result_build_json(const BimiBimiResult *result, BimiJsonWriter *writer);

G_END_DECLS

#endif /* BIMI_BIMI_H */
