/* engine/caution.h — brand-impersonation caution (issue 19): who a message claims to be.
 *
 * A registered brand is a name ("Acme Rockets") and the domains it is verified for
 * (a VMC/CMC's SAN dNSNames plus the BIMI record's domain, or the operator's
 * [caution] brands_file). A message *claims* a brand when
 *   - display-name signal: the RFC5322.From display name (RFC 5322 §3.4), normalised
 *     (Unicode NFKC + case fold, UTS #39 §4 confusable skeleton with ICU's spoof
 *     checker, nonspacing marks and default-ignorables dropped, spaces and
 *     punctuation collapsed) contains the brand name's skeleton as a whole token
 *     sequence ("ACME ROCKETS Support", "Acme Rοckets" with a Greek omicron; not
 *     "acmerocketsville", not "Acme" alone); or
 *   - lookalike-domain signal: the author domain's Unicode form (RFC 5891 §5, libidn2)
 *     has the skeleton of a brand domain, or its registrable part (RFC 7489 §3.2,
 *     libpsl) lies within a small edit distance (optimal string alignment: insert,
 *     delete, substitute, swap neighbours) of a brand domain or of its registrable
 *     part, or its labels spell the brand name ("acme-rockets.example");
 * and it is *not authenticated* as the brand: DMARC (RFC 7489 §6.6 / RFC 9989) did not
 * pass for the author domain, or the author domain is not within one of the brand's
 * domains. A name shorter than min_name_length letters and digits, or made only of
 * stop-list words ("Support", "Security Team"), never claims anything on its own.
 *
 * The caution is advice to the reader: it can warn, it cannot prove. It changes no
 * decision and no Authentication-Results.
 *
 * Brands enter a BimiCautionSet, immutable and shared between threads, which
 * precomputes every skeleton and index once, so that a check costs a few hash
 * lookups and the normalisation of one display name and one domain.
 */
#ifndef BIMI_CAUTION_H
#define BIMI_CAUTION_H

#include <glib.h>
#include "engine/base/base-mem.h"

G_BEGIN_DECLS

#define BIMI_CAUTION_ERROR (bimi_caution_error_quark())
GQuark bimi_caution_error_quark(void);

typedef enum {
  BIMI_CAUTION_ERROR_INPUT = 1, /**< text that cannot be normalised: not UTF-8, or ICU refused it */
  BIMI_CAUTION_ERROR_LIMIT,     /**< a BIMI_CAUTION_* limit of engine/limits.h; the message names it */
  BIMI_CAUTION_ERROR_SYNTAX,    /**< a brands file or registry value that does not parse: names file, group, key */
  BIMI_CAUTION_ERROR_IO,        /**< a file could not be read */
} BimiCautionError;

/** Where a brand comes from. */
typedef enum {
  BIMI_CAUTION_SOURCE_OPERATOR, /**< [caution] brands_file */
  BIMI_CAUTION_SOURCE_VMC,      /**< a validated Verified Mark Certificate */
  BIMI_CAUTION_SOURCE_CMC,      /**< a validated Common Mark Certificate */
} BimiCautionSource;

/** "operator", "vmc", "cmc". (transfer none) */
const char *bimi_caution_source_to_string(BimiCautionSource source);

/**
 * BimiCautionBrand:
 * One registered brand. Plain data, every string owned (bimi_caution_brand_free()).
 */
typedef struct {
  char *name;          /**< the brand's name as shown ("Acme Rockets"), UTF-8, 1..BIMI_CAUTION_MAX_NAME_BYTES */
  char *alias;         /**< a second name (the logo's <title> when it differs), or NULL */
  char **domains;      /**< A-labels, lower case, NULL-terminated, 1..BIMI_CAUTION_MAX_BRAND_DOMAINS */
  char *logo_sha256;   /**< 64 lowercase hex of the mark's SVG, or NULL */
  BimiCautionSource source;
  char *record_domain; /**< learned brands: the BIMI record's domain (the registry's key); else NULL */
  gint64 not_after;    /**< learned brands: the certificate's notAfter, Unix seconds; 0 = no expiry */
} BimiCautionBrand;

/**
 * bimi_caution_brand_new:
 * @name: the brand's name, UTF-8 (copied)
 * @domains: (array zero-terminated=1): its domains, U- or A-labels (converted to lower-case A-labels
 *   with libidn2, duplicates dropped)
 * @error: BIMI_CAUTION_ERROR_SYNTAX naming the value at fault (an empty or over-long name, not UTF-8,
 *   no domain, a domain that is not a host name), _LIMIT (more than BIMI_CAUTION_MAX_BRAND_DOMAINS)
 *
 * Returns: (transfer full): a brand with source OPERATOR, no alias, logo or expiry; NULL with @error.
 */
BimiCautionBrand *bimi_caution_brand_new(const char *name, const char *const *domains, GError **error);
BimiCautionBrand *bimi_caution_brand_copy(const BimiCautionBrand *brand);
void bimi_caution_brand_free(BimiCautionBrand *brand);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiCautionBrand, bimi_caution_brand_free)

/**
 * bimi_caution_brand_name_from_organization:
 * @organization: a certificate subject's organizationName (X.520 O), UTF-8
 *
 * The brand name inside an organisation name: legal-form designations at the end
 * ("Inc.", "Ltd", "LLC", "GmbH", "K.K.", "S.A.", "Pty Ltd"...) or at either end in
 * CJK ("株式会社", "有限会社", "有限公司"...) and the separators before them removed:
 * "Acme Rockets, Inc." gives "Acme Rockets", "株式会社アクメ" gives "アクメ".
 *
 * Returns: (transfer full): the name, whitespace trimmed; @organization itself
 *   (trimmed) when nothing else would remain; NULL when it is empty or not UTF-8.
 */
char *bimi_caution_brand_name_from_organization(const char *organization);

/**
 * bimi_caution_skeleton:
 * @text: UTF-8 text (a display name, a brand name), not NUL-terminated
 * @len: its bytes, at most BIMI_CAUTION_MAX_TEXT_BYTES
 * @error: BIMI_CAUTION_ERROR_INPUT (not UTF-8, ICU failure), _LIMIT
 *
 * The normal form names are compared in: NFKC case fold, UTS #39 skeleton (ICU
 * uspoof_getSkeleton()), NFKC case fold again, nonspacing marks dropped, and every run
 * of characters that are not letters or digits made one space (none at the ends).
 * "ACME Rοckets!" and "acme rockets" give the same string ("acrne rockets": the
 * skeleton maps "m" to "rn").
 *
 * Returns: (transfer full): the skeleton, maybe ""; NULL with @error.
 */
char *bimi_caution_skeleton(const char *text, gsize len, GError **error);

/**
 * bimi_caution_domain_skeleton:
 * @domain: a domain name, A-labels or U-labels
 * @error: BIMI_CAUTION_ERROR_INPUT, _LIMIT (longer than BIMI_DNS_MAX_NAME_BYTES * 4)
 *
 * The Unicode form (A-labels decoded with libidn2) under the same NFKC case fold,
 * skeleton and mark removal as bimi_caution_skeleton(), dots and hyphens kept:
 * "xn--cme-8cd.demo.test" (Cyrillic "а") and "acme.demo.test" share "acrne.derno.test".
 *
 * Returns: (transfer full): the skeleton; NULL with @error.
 */
char *bimi_caution_domain_skeleton(const char *domain, GError **error);

/** The signals (both may be set). */
typedef enum {
  BIMI_CAUTION_SIGNAL_DISPLAY_NAME = 1 << 0,
  BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN = 1 << 1,
} BimiCautionSignal;

/** "display-name", "lookalike-domain", "both"; NULL for 0. (transfer none) */
const char *bimi_caution_signal_to_string(guint signals);

/** Matching settings ([caution] keys). */
typedef struct {
  guint min_name_length;    /**< fewest letters and digits (before the skeleton) a brand name needs to claim */
  guint max_edit_distance;  /**< 0..BIMI_CAUTION_MAX_EDIT_DISTANCE: registrable-part distance of a lookalike */
  const char *const *stop_words; /**< (nullable): names that never claim a brand alone; NULL = the built-in list */
} BimiCautionOptions;

/** The built-in stop list ("support", "security", "team", "info"...). (transfer none) */
const char *const *bimi_caution_builtin_stop_words(void);

/**
 * bimi_caution_stop_words_load:
 * @path: a text file, one word or phrase per line, '#' starts a comment
 * @error: BIMI_CAUTION_ERROR_IO, _LIMIT (BIMI_CAUTION_MAX_STOP_WORDS_FILE_BYTES,
 *   BIMI_CAUTION_MAX_STOP_WORDS), _SYNTAX (not UTF-8: file and line named)
 *
 * Returns: (transfer full): the words, NULL-terminated; NULL with @error.
 */
char **bimi_caution_stop_words_load(const char *path, GError **error);

/** The two text forms of a brand list. */
typedef enum {
  /** [caution] brands_file: one group per brand, the group name is the brand's name:
   *  "[Acme Rockets]" with "domains = vmc.demo.test;acme.demo.test;" and optional
   *  "logo_sha256 = <64 hex>". */
  BIMI_CAUTION_BRANDS_OPERATOR,
  /** The learned registry's value in the record cache (cache/brands.c): group "registry" with
   *  "format = 1", then one group per BIMI record domain with name, alias, domains,
   *  logo_sha256, source (vmc|cmc) and not_after (Unix seconds). */
  BIMI_CAUTION_BRANDS_REGISTRY,
} BimiCautionBrandsFormat;

/**
 * bimi_caution_brands_parse:
 * @data: the text (GKeyFile syntax), untrusted, not NUL-terminated
 * @len: its bytes, at most BIMI_CAUTION_MAX_BRANDS_FILE_BYTES
 * @source: the file's name (or "registry") for the messages
 * @format: which of the two forms
 * @error: BIMI_CAUTION_ERROR_SYNTAX "SOURCE: [GROUP] KEY: why" (GKeyFile's syntax error with
 *   its line; an unknown key; a missing domains or name; a domain that is not a host name; a
 *   logo_sha256 that is not 64 hex; a bad source or not_after; a name over
 *   BIMI_CAUTION_MAX_NAME_BYTES), _LIMIT (BIMI_CAUTION_MAX_BRANDS_FILE_BYTES,
 *   BIMI_CAUTION_MAX_BRANDS groups, BIMI_CAUTION_MAX_BRAND_DOMAINS per brand)
 *
 * Returns: (transfer full) (element-type BimiCautionBrand): the brands in file order; NULL with @error.
 */
GPtrArray *bimi_caution_brands_parse(const char *data, gsize len, const char *source,
                                     BimiCautionBrandsFormat format, GError **error);

/**
 * bimi_caution_brands_load:
 * @path: a brands file (BIMI_CAUTION_BRANDS_OPERATOR)
 * @error: BIMI_CAUTION_ERROR_IO (unreadable), and those of bimi_caution_brands_parse()
 *
 * Returns: (transfer full) (element-type BimiCautionBrand): the brands; NULL with @error.
 */
GPtrArray *bimi_caution_brands_load(const char *path, GError **error);

/**
 * bimi_caution_brands_to_registry:
 * @brands: (element-type BimiCautionBrand): learned brands, each with a record_domain
 *
 * Returns: (transfer full): the BIMI_CAUTION_BRANDS_REGISTRY text that
 *   bimi_caution_brands_parse() reads back into equal brands.
 */
GBytes *bimi_caution_brands_to_registry(GPtrArray *brands);

typedef struct _BimiCautionSet BimiCautionSet;

/**
 * bimi_caution_set_new:
 * @brands: (element-type BimiCautionBrand) (transfer none): the brands (copied); brands
 *   whose skeletons are equal are merged (their domains united), at most BIMI_CAUTION_MAX_BRANDS
 * @options: (transfer none): copied
 * @error: BIMI_CAUTION_ERROR_LIMIT (more brands than BIMI_CAUTION_MAX_BRANDS),
 *   _INPUT (a brand name or stop word ICU cannot normalise)
 *
 * Precomputes every skeleton and index. Immutable and thread-safe once built.
 *
 * Returns: (transfer full): the set; NULL with @error.
 */
BimiCautionSet *bimi_caution_set_new(GPtrArray *brands, const BimiCautionOptions *options, GError **error);
BIMI_DECLARE_ATOMIC_RC_FUNCS(BimiCautionSet, bimi_caution_set)
/** Brands in @set after merging. */
guint bimi_caution_set_size(const BimiCautionSet *set);

/** What one message claims. Plain data, strings owned (bimi_caution_match_free()). */
typedef struct {
  char *brand;      /**< the brand's name ("Acme Rockets") */
  char **domains;   /**< its verified domains (A-labels), NULL-terminated */
  guint signals;    /**< BimiCautionSignal bits, never 0 */
  char *matched;    /**< the display name, or the author domain (Unicode form) for a domain-only match */
  char *text;       /**< "Claims to be Acme Rockets — not verified" */
} BimiCautionMatch;

void bimi_caution_match_free(BimiCautionMatch *match);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiCautionMatch, bimi_caution_match_free)

/**
 * bimi_caution_check:
 * @set: the brands
 * @display_name: (nullable): the RFC5322.From display name, UTF-8 (at most BIMI_CAUTION_MAX_TEXT_BYTES
 *   are read: the part a reader sees)
 * @author_domain: (nullable): the RFC5322.From domain, A-labels, lower case
 * @dmarc_pass: whether DMARC passed for @author_domain (or a trusted override said so)
 *
 * Finds the brand the message claims and is not authenticated as: the brands whose
 * domains @author_domain is within are skipped when @dmarc_pass (the message is
 * theirs), and never count as a lookalike. With several, the one matching both
 * signals, then the longest name, wins. Never fails: text ICU cannot normalise
 * matches nothing.
 *
 * Returns: (transfer full) (nullable): the claim, or NULL when the message claims no
 *   registered brand it is not authenticated as.
 */
BimiCautionMatch *bimi_caution_check(const BimiCautionSet *set, const char *display_name,
                                     const char *author_domain, gboolean dmarc_pass);

G_END_DECLS

#endif /* BIMI_CAUTION_H */
