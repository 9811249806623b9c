/* engine/spf-private.h — SPF internals shared by spf.c, spf-record.c,
 * spf-macro.c, the unit tests and the fuzz targets. Not a public API.
 */
#ifndef BIMI_SPF_PRIVATE_H
#define BIMI_SPF_PRIVATE_H

#include "engine/spf.h"

G_BEGIN_DECLS

/* ---- records (spf-record.c, RFC 7208 §4.5, §4.6, §5, §6, §12) ------------ */

typedef enum {
  BIMI_SPF_MECH_ALL,
  BIMI_SPF_MECH_INCLUDE,
  BIMI_SPF_MECH_A,
  BIMI_SPF_MECH_MX,
  BIMI_SPF_MECH_PTR,
  BIMI_SPF_MECH_IP4,
  BIMI_SPF_MECH_IP6,
  BIMI_SPF_MECH_EXISTS,
} BimiSpfMechanismKind;

/** One mechanism (§5). Plain data owned by its record. */
typedef struct {
  BimiSpfMechanismKind kind;
  BimiSpfResultCode qualifier; /**< PASS ('+', default), FAIL '-', SOFTFAIL '~', NEUTRAL '?' */
  char *text;                  /**< the term as written, qualifier included */
  gsize offset;                /**< byte offset of the term in the record */
  char *domain_spec;           /**< unexpanded macro-string; NULL = the current <domain> */
  guint8 network[16];          /**< ip4 (first 4 bytes) / ip6 network */
  guint cidr4;                 /**< a, mx, ip4: prefix length, default 32 */
  guint cidr6;                 /**< a, mx, ip6: prefix length, default 128 */
} BimiSpfMechanism;

/** A parsed, syntax-checked SPF record (§4.6: errors anywhere are found before evaluation). */
typedef struct {
  GPtrArray *mechanisms;       /**< of BimiSpfMechanism*, in record order */
  char *redirect;              /**< redirect= domain-spec, or NULL */
  char *exp;                   /**< exp= domain-spec, or NULL */
  guint unknown_modifiers;     /**< ignored modifiers (§6) */
} BimiSpfRecord;

/**
 * bimi_spf__record_is_spf:
 * Whether @text (@len bytes) starts a version 1 SPF record: "v=spf1",
 * case-insensitively, followed by a space or the end (§4.5).
 */
gboolean bimi_spf__record_is_spf(const char *text, gsize len);

/**
 * bimi_spf__record_parse:
 * @text: (array length=len): the record, TXT strings already joined (§3.3); untrusted
 * @len: bytes of @text, at most BIMI_SPF_MAX_RECORD_BYTES
 * @error: BIMI_SPF_ERROR_SYNTAX ("offset N: ...") or _LIMIT (record bytes, terms)
 *
 * Parses the whole record per the ABNF of §12: terms separated by one or
 * more spaces only, each term a mechanism or a modifier; domain-specs and
 * modifier values are checked as macro-strings (§7.1) with a valid
 * domain-end; CIDR lengths without leading zeros and within range; redirect=
 * and exp= at most once each (§6).
 *
 * Returns: (transfer full): the record, or NULL with @error set.
 */
BimiSpfRecord *bimi_spf__record_parse(const char *text, gsize len, GError **error);
void bimi_spf__record_free(BimiSpfRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiSpfRecord, bimi_spf__record_free)

/* ---- macros (spf-macro.c, RFC 7208 §7) ------------------------------------ */

/** Where a macro-string appears: decides which letters are allowed (§7.3) and
 * whether spaces are literal text (explain-string, §6.2). */
typedef enum {
  BIMI_SPF_MACRO_DOMAIN,   /**< domain-spec: letters s l o d i p h v */
  BIMI_SPF_MACRO_EXPLAIN,  /**< explanation TXT text: also c r t, and spaces */
  BIMI_SPF_MACRO_MODIFIER, /**< unknown-modifier value: syntax only, every letter */
} BimiSpfMacroMode;

/**
 * BimiSpfMacroValidatedName:
 * Computes %{p} (§7.3 with §5.5): returns (transfer none) the validated
 * domain name or "unknown", or NULL with @error set when evaluation must stop
 * (a processing limit). Called at most once per expansion that uses %{p}.
 */
typedef const char *(*BimiSpfMacroValidatedName)(gpointer user_data, GError **error);

/** The values macro letters expand to. All (transfer none). */
typedef struct {
  const char *sender;         /**< s: <sender> */
  const char *local_part;     /**< l: local-part of <sender> */
  const char *sender_domain;  /**< o: domain of <sender> */
  const char *domain;         /**< d: current <domain> */
  const char *ip_dotted;      /**< i: "192.0.2.3" or 32 dot-separated nibbles */
  const char *ip_text;        /**< c: "192.0.2.3" or RFC 5952 text */
  const char *ip_version;     /**< v: "in-addr" or "ip6" */
  const char *helo;           /**< h: HELO/EHLO domain */
  const char *receiver;       /**< r: receiving host */
  gint64 now;                 /**< t: Unix seconds */
  /** p: NULL = always "unknown" (no DNS, e.g. in the fuzzer) */
  BimiSpfMacroValidatedName validated_name;
  gpointer validated_name_data;
} BimiSpfMacroContext;

/**
 * bimi_spf__macro_check:
 * @text: (array length=len): a macro-string; untrusted
 * @mode: which grammar applies
 * @base_offset: added to the offsets in error messages (position of @text in its record)
 * @out_ends_with_macro: (out) (optional): whether the string ends with a macro-expand
 * @error: BIMI_SPF_ERROR_SYNTAX with the offset of the bad '%' or byte
 *
 * Syntax check only (§7.1): '%' must start "%{" letter *DIGIT ["r"] *delimiter "}"
 * (a DIGIT value must be nonzero), "%%", "%_" or "%-"; other bytes must be
 * visible ASCII (and SP in BIMI_SPF_MACRO_EXPLAIN).
 */
gboolean bimi_spf__macro_check(const char *text, gsize len, BimiSpfMacroMode mode, gsize base_offset,
                               gboolean *out_ends_with_macro, GError **error);

/**
 * bimi_spf__macro_expand:
 * @text: (array length=len): the macro-string; untrusted
 * @mode: which grammar applies
 * @ctx: the values (transfer none)
 * @out: string the expansion is appended to
 * @error: BIMI_SPF_ERROR_SYNTAX as bimi_spf__macro_check(); BIMI_SPF_ERROR_LIMIT
 *         when the expansion would exceed BIMI_SPF_MAX_EXPANSION_BYTES; or the
 *         error of @ctx->validated_name
 *
 * Expands per §7.3/§7.4: transformers (right-hand parts after optional
 * reversal), delimiters (split on any of them, join with "."), URL escaping
 * (RFC 3986 unreserved kept, the rest %XX uppercase) for uppercase letters.
 * Does not truncate: see bimi_spf__domain_from_expansion().
 */
gboolean bimi_spf__macro_expand(const char *text, gsize len, BimiSpfMacroMode mode,
                                const BimiSpfMacroContext *ctx, GString *out, GError **error);

/**
 * bimi_spf__domain_from_expansion:
 * @expanded: an expanded domain-spec
 *
 * §7.3 last paragraphs: drops one trailing dot, then whole labels from the
 * left until the name fits BIMI_DNS_MAX_NAME_BYTES.
 *
 * Returns: (transfer full): the name to query, or NULL when it is not a
 * valid DNS name (empty, an empty label, a label over 63 bytes): the
 * mechanism then treats it as non-existent (RFC 7208 §4.3, §4.8).
 */
char *bimi_spf__domain_from_expansion(const char *expanded);

/**
 * bimi_spf__domain_is_valid:
 * §4.3: a multi-label name, no empty label, labels at most 63 bytes, at most
 * 253 bytes (one trailing dot allowed), not a domain literal.
 */
gboolean bimi_spf__domain_is_valid(const char *domain);

G_END_DECLS

#endif /* BIMI_SPF_PRIVATE_H */
