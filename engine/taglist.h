/* engine/taglist.h — RFC 6376 §3.2 tag=value lists.
 *
 * One parser for every "tag=value; tag=value" text the engine reads:
 * DKIM-Signature header fields and DKIM key records (RFC 6376 §3.5, §3.6.1),
 * ARC-Seal / ARC-Message-Signature (RFC 8617 §4.1), DMARC records (RFC 7489
 * §6.4) and BIMI Assertion Records. It only checks the tag-list grammar;
 * which tags are required, known or allowed is the consumer's business.
 *
 * Grammar (RFC 6376 §3.2, FWS from RFC 5322 §3.2.2):
 *
 *   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  =  ALPHA *ALNUMPUNC          ; ALNUMPUNC = ALPHA / DIGIT / "_"
 *   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      =  1*VALCHAR                 ; VALCHAR = %x21-3A / %x3C-7E
 *
 * Tag names are case-sensitive and reported as written; duplicate names are an
 * error ("Tags with duplicate names MUST NOT occur"). Values may be empty.
 */
#ifndef BIMI_TAGLIST_H
#define BIMI_TAGLIST_H

#include <glib.h>

G_BEGIN_DECLS

#define BIMI_TAGLIST_ERROR (bimi_taglist_error_quark())
GQuark bimi_taglist_error_quark(void);

/** Why a tag-list could not be parsed. Every message names the byte offset. */
typedef enum {
  BIMI_TAGLIST_ERROR_SYNTAX,     /**< not a tag-list (bad name, missing "=", bad byte, empty tag-spec...) */
  BIMI_TAGLIST_ERROR_DUPLICATE,  /**< the same tag name twice (RFC 6376 §3.2) */
  BIMI_TAGLIST_ERROR_LIMIT,      /**< BIMI_MAX_TAGLIST_BYTES, BIMI_MAX_TAGS or BIMI_MAX_TAG_NAME_BYTES exceeded */
} BimiTaglistError;

/**
 * BimiTaglistFlags:
 * @BIMI_TAGLIST_FLAG_NONE: strict RFC 6376 §3.2 (DKIM, ARC). A stray ";"
 *   (";;", a leading ";", "; ;") is an empty tag-spec and a syntax error, as
 *   the ValiMail ARC suite expects (ams_format_tags_sc: "additional semicolons
 *   are invalid").
 * @BIMI_TAGLIST_FLAG_ALLOW_EMPTY: empty tag-specs are skipped instead of being
 *   an error, for consumers that are told to be lenient (DMARC, RFC 7489 §6.4
 *   and §6.6.3; BIMI records). An input with no tag at all then parses into an
 *   empty list.
 *
 * In both modes WSP and FWS around "=" and ";" are accepted: RFC 6376 §3.2
 * already allows them, which covers the tolerance DMARC and BIMI ask for.
 */
typedef enum {
  BIMI_TAGLIST_FLAG_NONE = 0,
  BIMI_TAGLIST_FLAG_ALLOW_EMPTY = 1 << 0,
} BimiTaglistFlags;

/**
 * BimiTag:
 * One tag of a parsed list. (transfer none): owned by its BimiTagList.
 * All offsets and lengths are in bytes into the input given to
 * bimi_taglist_parse().
 *
 * @name: the tag name, NUL-terminated, case as written.
 * @value: the value with the surrounding FWS trimmed, NUL-terminated; internal
 *   WSP/FWS (folding CRLFs included) kept exactly as written. "" when empty.
 * @name_offset: where the name starts.
 * @value_offset, @value_len: the trimmed value in the input (value_len is
 *   strlen(value)). For an empty value, value_offset is where it would start.
 * @raw_value_offset, @raw_value_len: everything between "=" and the next ";"
 *   (or the end), surrounding whitespace included — exactly what RFC 6376
 *   §3.7 deletes from the b= tag before hashing the signature header.
 */
typedef struct {
  const char *name;
  const char *value;
  gsize name_offset;
  gsize value_offset;
  gsize value_len;
  gsize raw_value_offset;
  gsize raw_value_len;
} BimiTag;

/** A parsed tag-list, tags in input order. Opaque; free with bimi_taglist_free(). */
typedef struct _BimiTagList BimiTagList;

/**
 * bimi_taglist_parse:
 * @input: the tag-list bytes (untrusted; need not be NUL-terminated; NUL bytes
 *   are a syntax error).
 * @len: length of @input in bytes, at most BIMI_MAX_TAGLIST_BYTES. One CRLF at
 *   the very end (the end of a header field) is accepted and ignored.
 * @flags: BimiTaglistFlags.
 * @error: BIMI_TAGLIST_ERROR_SYNTAX, _DUPLICATE or _LIMIT; the message says
 *   what was wrong and at which byte offset.
 *
 * Parses an RFC 6376 §3.2 tag-list. Returns: (transfer full) the list, or NULL
 * with @error set.
 */
BimiTagList *bimi_taglist_parse(const char *input, gsize len, BimiTaglistFlags flags,
                                GError **error);

/** bimi_taglist_free: frees @list and all its tags. NULL is ignored. */
void bimi_taglist_free(BimiTagList *list);

/** bimi_taglist_get_n_tags: number of tags in @list (0 only with BIMI_TAGLIST_FLAG_ALLOW_EMPTY). */
guint bimi_taglist_get_n_tags(const BimiTagList *list);

/**
 * bimi_taglist_get:
 * @index: 0 ≤ index < bimi_taglist_get_n_tags(), in input order.
 * Returns: (transfer none) the tag, valid while @list lives.
 */
const BimiTag *bimi_taglist_get(const BimiTagList *list, guint index);

/**
 * bimi_taglist_lookup:
 * @name: NUL-terminated tag name, compared case-sensitively (RFC 6376 §3.2).
 * Returns: (transfer none) the tag, or NULL when absent.
 */
const BimiTag *bimi_taglist_lookup(const BimiTagList *list, const char *name);

/**
 * bimi_taglist_lookup_value:
 * Returns: (transfer none) the trimmed value of tag @name, or NULL when absent
 * ("" for a present but empty value).
 */
const char *bimi_taglist_lookup_value(const BimiTagList *list, const char *name);

/**
 * bimi_taglist_value_strip_ws:
 * @tag: a tag of a list.
 *
 * The value with every SP, HTAB, CR and LF removed — how base64 values (DKIM
 * b=, bh=, p=; RFC 6376 §3.5 and §3.6.1 allow FWS inside them) are decoded.
 * Returns: (transfer full) a new NUL-terminated string.
 */
char *bimi_taglist_value_strip_ws(const BimiTag *tag);

/** Flags of bimi_taglist_has_version(). */
typedef enum {
  BIMI_TAGLIST_VERSION_DEFAULT = 0,
  BIMI_TAGLIST_VERSION_SKIP_LINES = 1u << 0, /* CR and LF before "v" are skipped too */
  BIMI_TAGLIST_VERSION_V_ANY_CASE = 1u << 1, /* "V=" as well as "v=" */
  BIMI_TAGLIST_VERSION_END_STRICT = 1u << 2, /* after the version only WSP, then the end or ';' */
} BimiTaglistVersionFlags;

/**
 * bimi_taglist_has_version:
 * @text: a record's raw bytes (transfer none), not NUL-terminated
 * @len: bytes in @text
 * @version: the version value, e.g. "DMARC1" (RFC 7489 §6.4), "BIMI1"
 * @flags: #BimiTaglistVersionFlags
 *
 * Whether @text starts with the "v=@version" tag (WSP allowed around "="),
 * checked on the raw bytes before any tag-list parsing, so that another TXT
 * record is "not ours" rather than a syntax error. Without
 * %BIMI_TAGLIST_VERSION_END_STRICT the version may be followed by the end,
 * WSP, ';', CR or LF.
 */
gboolean bimi_taglist_has_version(const char *text, gsize len, const char *version, guint flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiTagList, bimi_taglist_free)

G_END_DECLS

#endif /* BIMI_TAGLIST_H */
