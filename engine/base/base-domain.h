/* engine/base/base-domain.h — domain names as text: validate, compare, contain.
 *
 * RFC 1035 §2.3.1 (preferred name syntax: LDH labels, letter-digit at both
 * ends), §2.3.4 (63-byte labels, 255-octet names = 253 characters), RFC 5321
 * §4.1.2 (Domain = sub-domain *("." sub-domain)), RFC 6376 §3.5 (selectors and
 * d= may hold '_' and underscore-led labels), RFC 4343 (ASCII case-insensitive
 * comparison). Checks and comparisons take A-labels; bimi_domain_to_ascii() and
 * bimi_domain_to_unicode() convert IDNs with libidn2 (RFC 5890/5891, UTS #46).
 */
#pragma once

#include <glib.h>

#include "engine/base/base-limits.h"

typedef enum {
  BIMI_DOMAIN_LDH = 0,                    /* labels of letters, digits, '-', not at either end (RFC 1035 §2.3.1) */
  BIMI_DOMAIN_UNDERSCORE = 1u << 0,       /* '_' allowed too (RFC 6376 §3.5, RFC 8552 attrleaf labels) */
  BIMI_DOMAIN_HYPHEN_EDGES = 1u << 1,     /* '-' allowed at a label's ends */
  BIMI_DOMAIN_ANY_BYTES = 1u << 2,        /* lengths only: any byte other than '.' in a label */
  BIMI_DOMAIN_EMPTY_LABELS = 1u << 3,     /* lengths only: "a..b" and "a." pass */
  BIMI_DOMAIN_NO_LABEL_LIMIT = 1u << 4,   /* no BIMI_BASE_DNS_MAX_LABEL_BYTES check */
} BimiDomainFlags;

typedef enum {
  BIMI_DOMAIN_OK = 0,
  BIMI_DOMAIN_EMPTY,          /* no byte at all */
  BIMI_DOMAIN_TOO_LONG,       /* longer than the maximum given */
  BIMI_DOMAIN_LABEL_TOO_LONG, /* offset: the label's first byte */
  BIMI_DOMAIN_EMPTY_LABEL,    /* offset: where the empty label is */
  BIMI_DOMAIN_BAD_BYTE,       /* offset: the byte */
  BIMI_DOMAIN_HYPHEN_EDGE,    /* offset: the label's first byte */
  BIMI_DOMAIN_TOO_FEW_LABELS, /* fewer than min_labels */
} BimiDomainStatus;

typedef struct {
  BimiDomainStatus status;
  gsize offset;            /* of the error */
  guint labels;            /* labels counted (on success) */
  gsize last_label_offset; /* the rightmost label (on success) */
  gsize last_label_len;
} BimiDomainInfo;

/**
 * bimi_domain_check:
 * @s: the name (transfer none), not NUL-terminated, no trailing dot
 * @len: bytes in @s
 * @max_len: the longest name accepted (BIMI_BASE_DNS_MAX_NAME_BYTES, or G_MAXSIZE for none)
 * @min_labels: the fewest labels accepted (1 for any name, 2 for "a host in a domain")
 * @flags: #BimiDomainFlags
 * @info: (out) (optional): the verdict, the error's offset, the labels
 *
 * Validates a domain name in presentation form. Checks, in this order: empty,
 * @max_len, then label by label from the left (bytes, length, hyphens), then
 * @min_labels.
 * Returns: TRUE when the name passes.
 */
gboolean bimi_domain_check(const char *s, gsize len, gsize max_len, guint min_labels, guint flags,
                           BimiDomainInfo *info);

/**
 * bimi_domain_equal:
 * @a, @b: NUL-terminated names (transfer none)
 *
 * RFC 4343 comparison: ASCII case-insensitive, one trailing dot ignored on
 * each side. Empty names (and "." alone) equal nothing.
 */
gboolean bimi_domain_equal(const char *a, const char *b);

/**
 * bimi_domain_is_within:
 * @name: a NUL-terminated name (transfer none)
 * @parent: a NUL-terminated name (transfer none)
 *
 * TRUE when @name is @parent or a subdomain of it (label-aligned: "xa.example"
 * is not within "a.example"), ASCII case-insensitive, one trailing dot ignored.
 */
gboolean bimi_domain_is_within(const char *name, const char *parent);

/** Why bimi_domain_to_ascii() refused a name. */
typedef enum {
  BIMI_DOMAIN_IDN_OK = 0,
  BIMI_DOMAIN_IDN_BAD_UTF8, /* a byte ≥ 0x80 and the name is not valid UTF-8 */
  BIMI_DOMAIN_IDN_INVALID,  /* libidn2 refused it in nontransitional and transitional processing */
} BimiDomainIdnStatus;

/**
 * bimi_domain_to_ascii:
 * @name: the name (transfer none), not NUL-terminated: ASCII, or U-labels in UTF-8
 * @len: bytes in @name
 * @out_ascii: (out) (transfer full): on success, the lower-case A-label form
 * @out_reason: (out) (optional) (transfer none): for BIMI_DOMAIN_IDN_INVALID,
 *   libidn2's words (idn2_strerror() of the nontransitional attempt), else NULL
 *
 * The U-label → A-label normalisation (RFC 5891 §4 via idn2_lookup_u8() with
 * NFC input, UTS #46 nontransitional, then transitional as a fallback). An
 * all-ASCII name is only lower-cased; lengths and LDH are not checked here
 * (bimi_domain_check() does that on the result).
 * Returns: BIMI_DOMAIN_IDN_OK, or why not (*@out_ascii untouched).
 */
BimiDomainIdnStatus bimi_domain_to_ascii(const char *name, gsize len, char **out_ascii, const char **out_reason);

/**
 * bimi_domain_to_unicode:
 * @ascii: a NUL-terminated A-label form (transfer none)
 *
 * The U-label form for display (RFC 5891 §5 via idn2_to_unicode_8z8z()): a
 * copy of @ascii when it holds no "xn--" label or does not decode to valid UTF-8.
 * Returns: (transfer full): the name.
 */
char *bimi_domain_to_unicode(const char *ascii);
