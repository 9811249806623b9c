/* engine/bimi-record.c — BIMI Assertion Record and BIMI-Selector parsers.
 *
 * Implements draft-brand-indicators-for-message-identification-12 §4.2/§4.3
 * (record), §5.1 (BIMI-Selector), the -11 `lps=` local-part selectors, as
 * read in spec/bimi-receiver.md §2, §2.1, §2.2 and §3. The tag-list itself is
 * RFC 6376 §3.2 (engine/taglist): strict for the record (an empty tag-spec
 * such as ";;" makes it invalid), lenient about empty tag-specs in the
 * BIMI-Selector header field (a header we only read a selector from).
 *
 * Decisions and deviations:
 * - `v=BIMI1` is matched exactly, as the draft says ("MUST match precisely");
 *   Mail::BIMI and mailauth accept `v=bimi1` (spec §2 Decision, §12 item 7):
 *   we do not, such a TXT record is discarded like any non-BIMI text.
 * - BIMI-Selector: the ABNF allows `"BIMI" 1DIGIT`, but BIMI1 is the only
 *   version; any other is treated as an invalid header (NOT_BIMI).
 * - l= (spec §2): a URI whose last path segment ends in another image suffix
 *   (.png, .jpg, .gif, .ico, .webp, ...) is a permanent error before any fetch;
 *   .svg, .svgz, no suffix and a query after .svg are fine.
 * - l=/a= (spec §2, §13 rule 6): one absolute https URI with a DNS host name
 *   of at least two labels whose last label is not numeric; IP literals,
 *   "localhost", user info, whitespace, non-ASCII and unencoded commas are
 *   refused. Ports are allowed (the fetcher applies its own address rules).
 * - avp= with another value is ignored and not propagated (spec §2: "MUST be
 *   ignored"), noted as a warning; it does not make the record fail.
 * - lps= prefixes must each be 1*63(ALPHA/DIGIT/"-"); an empty element
 *   ("a,,b") makes the record invalid (no auto-fixing, spec §2). An empty
 *   lps= matches every local part (spec §2.2 step 2).
 */
#include "engine/bimi.h"
#include "engine/base/base-mem.h"
#include "engine/bimi-private.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-domain.h"
#include "engine/limits.h"
#include "engine/taglist.h"

#include <string.h>

G_DEFINE_QUARK(bimi-bimi-error-quark, bimi_bimi_error)

const char *
bimi_bimi_avp_to_string(BimiBimiAvp avp)
{
  return avp == BIMI_BIMI_AVP_PERSONAL ? "personal" : "brand";
}

BIMI_DEFINE_FREE_FUNC(BimiBimiRecord, bimi_bimi_record_free, record)
{
  BIMI_FREE_ALL(record->location, record->evidence);
  g_strfreev(record->lps);
  g_strfreev(record->warnings);
}

/* "v" *WSP "=" *WSP "BIMI1" followed by the end, WSP, CR/LF or ";".
 * Leading FWS is tolerated (the tag-list allows it). */
gboolean
bimi_bimi__has_version_prefix(const char *text, gsize len)
{
  return bimi_taglist_has_version(text, len, "BIMI1", BIMI_TAGLIST_VERSION_SKIP_LINES);
}

gboolean
bimi_bimi_uri_check(const char *uri, GError **error)
{
  gsize len;
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *host = NULL;
  const char *h;
  gsize hlen;
  BimiDomainInfo info;
  gboolean numeric = TRUE;

  g_return_val_if_fail(uri != NULL, FALSE);
  len = strlen(uri);
  if (len > BIMI_BIMI_MAX_URI_BYTES) {
    g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_LIMIT,
                "URI is %" G_GSIZE_FORMAT " bytes, more than BIMI_BIMI_MAX_URI_BYTES (%u)", len,
                BIMI_BIMI_MAX_URI_BYTES);
    return FALSE;
  }
  for (gsize i = 0; i < len; i++) {
    guchar c = (guchar) uri[i];
    if (c <= 0x20 || c >= 0x7f) {
      g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                  "URI has a space, control or non-ASCII byte at offset %" G_GSIZE_FORMAT, i);
      return FALSE;
    }
    if (c == ',') {
      g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                  "URI has an unencoded comma at offset %" G_GSIZE_FORMAT " (one URI only)", i);
      return FALSE;
    }
  }
  if (len < 8 || g_ascii_strncasecmp(uri, "https://", 8) != 0) {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID, "URI scheme is not https");
    return FALSE;
  }
  parsed = g_uri_parse(uri, G_URI_FLAGS_ENCODED, &local);
  if (parsed == NULL) {
    g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID, "URI does not parse: %s", local->message);
    return FALSE;
  }
  if (g_uri_get_userinfo(parsed) != NULL) {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID, "URI has user info");
    return FALSE;
  }
  h = g_uri_get_host(parsed);
  if (h == NULL || *h == '\0') {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID, "URI has no host");
    return FALSE;
  }
  if (g_hostname_is_ip_address(h) || strchr(h, ':') != NULL || uri[8] == '[') {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                        "URI host is an IP literal, not a DNS name");
    return FALSE;
  }
  host = g_ascii_strdown(h, -1);
  hlen = strlen(host);
  if (hlen > 1 && host[hlen - 1] == '.')
    hlen--;
  if (!bimi_domain_check(host, hlen, BIMI_DNS_MAX_NAME_BYTES, 2, BIMI_DOMAIN_LDH, &info)) {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                        "URI host is not a fully qualified DNS name");
    return FALSE;
  }
  for (gsize i = 0; i < info.last_label_len; i++) {
    if (!g_ascii_isdigit(host[info.last_label_offset + i]))
      numeric = FALSE;
  }
  if (numeric) {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                        "URI host ends in a numeric label (an address, not a DNS name)");
    return FALSE;
  }
  return TRUE;
}

static gboolean
taglist_error(GError *local, const char *what, GError **error)
{
  int code = BIMI_BIMI_ERROR_SYNTAX;

  if (g_error_matches(local, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_LIMIT))
    code = BIMI_BIMI_ERROR_LIMIT;
  g_set_error(error, BIMI_BIMI_ERROR, code, "%s: %s", what, local->message);
  return FALSE;
}

/* lps= (spec §2, §2.2): comma list of 1*63(ALPHA/DIGIT/"-"), WSP around the
 * commas; an empty value is the empty list. */
static char **
parse_lps(const char *value, gsize offset, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  gsize len = strlen(value), i = 0;

  while (i < len && bimi_char_is_wsp(value[i]))
    i++;
  if (i == len) {
    g_ptr_array_add(out, NULL);
    return (char **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
  }
  for (;;) {
    gsize start, end;
    while (i < len && (bimi_char_is_wsp(value[i]) || value[i] == '\r' || value[i] == '\n'))
      i++;
    start = i;
    while (i < len && value[i] != ',')
      i++;
    end = i;
    while (end > start && (bimi_char_is_wsp(value[end - 1]) || value[end - 1] == '\r' || value[end - 1] == '\n'))
      end--;
    if (end == start || end - start > BIMI_BIMI_MAX_LPS_BYTES) {
      g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                  "lps: empty or too long prefix at offset %" G_GSIZE_FORMAT, offset + start);
      return NULL;
    }
    for (gsize k = start; k < end; k++) {
      if (!g_ascii_isalnum(value[k]) && value[k] != '-') {
        g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                    "lps: bad byte in prefix at offset %" G_GSIZE_FORMAT, offset + k);
        return NULL;
      }
    }
    if (out->len >= BIMI_BIMI_MAX_LPS_PREFIXES) {
      g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_LIMIT,
                  "lps: more than BIMI_BIMI_MAX_LPS_PREFIXES (%u) prefixes", BIMI_BIMI_MAX_LPS_PREFIXES);
      return NULL;
    }
    g_ptr_array_add(out, g_ascii_strdown(value + start, (gssize) (end - start)));
    if (i >= len)
      break;
    i++; /* ',' */
  }
  g_ptr_array_add(out, NULL);
  return (char **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* Image formats other than SVG by the suffixes they are served under (the
 * IANA "BIMI formats" registry holds SVG only; spec §2 `l=`). */
static const char *const raster_suffixes[] = {
  "apng", "avif", "bmp", "gif", "heic", "heif", "ico", "jfif", "jpe", "jpeg", "jpg", "jxl", "pjp", "pjpeg",
  "png", "tif", "tiff", "webp", NULL,
};

const char *
bimi_bimi__location_image_suffix(const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse(uri, G_URI_FLAGS_ENCODED, NULL);
  g_autofree char *path = NULL;
  const char *base, *dot;

  if (parsed == NULL)
    return NULL;
  /* The suffix of the last path segment after percent-decoding ("%2Epng"
   * ends in .png too); the query and fragment do not count. */
  path = g_uri_unescape_string(g_uri_get_path(parsed), NULL);
  if (path == NULL)
    return NULL;
  base = strrchr(path, '/');
  base = base != NULL ? base + 1 : path;
  dot = strrchr(base, '.');
  if (dot == NULL)
    return NULL;
  for (gsize i = 0; raster_suffixes[i] != NULL; i++) {
    if (g_ascii_strcasecmp(dot + 1, raster_suffixes[i]) == 0)
      return raster_suffixes[i];
  }
  return NULL;
}

static gboolean
parse_uri_tag(const BimiTag *tag, char **out, GError **error)
{
  g_autoptr(GError) local = NULL;
  const char *suffix;

  *out = NULL;
  if (tag == NULL || tag->value[0] == '\0')
    return TRUE;
  if (!bimi_bimi_uri_check(tag->value, &local)) {
    g_set_error(error, BIMI_BIMI_ERROR, (int) local->code, "%s= (offset %" G_GSIZE_FORMAT "): %s", tag->name,
                tag->value_offset, local->message);
    return FALSE;
  }
  /* Spec §2 `l=`: the target must be SVG or SVGZ; a URI ending in another
   * image suffix is a permanent error, before any fetch. */
  if (strcmp(tag->name, "l") == 0 && (suffix = bimi_bimi__location_image_suffix(tag->value)) != NULL) {
    g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                "l= (offset %" G_GSIZE_FORMAT "): the URI names a .%s image; the indicator must be SVG or SVGZ",
                tag->value_offset, suffix);
    return FALSE;
  }
  *out = g_strdup(tag->value);
  return TRUE;
}

BimiBimiRecord *
bimi_bimi_record_parse(const char *text, gsize len, GError **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail(text != NULL || len == 0, NULL);
  if (len > BIMI_BIMI_MAX_RECORD_BYTES) {
    g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_LIMIT,
                "record is %" G_GSIZE_FORMAT " bytes, more than BIMI_BIMI_MAX_RECORD_BYTES (%u)", len,
                BIMI_BIMI_MAX_RECORD_BYTES);
    return NULL;
  }
  if (!bimi_bimi__has_version_prefix(text, len)) {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_NOT_BIMI,
                        "does not start with v=BIMI1 (offset 0)");
    return NULL;
  }
  /* RFC 6376 §3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ] and a
   * tag-spec has a tag-name: one trailing ";" ends the list, an empty
   * tag-spec (";;", "; ;") is a syntax error (spec §2: no auto-correction). */
  g_autoptr(BimiTagList) list = bimi_taglist_parse(text, len, 0, &local);
  if (list == NULL) {
    taglist_error(local, "record", error);
    return NULL;
  }
  /* The prefix check saw v=BIMI1 first; the tag-list agrees by construction. */
  g_assert(bimi_taglist_get_n_tags(list) > 0);

  g_autoptr(BimiBimiRecord) rec = g_new0(BimiBimiRecord, 1);
  const BimiTag *tag = bimi_taglist_lookup(list, "l");
  if (tag == NULL) {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID, "l= is missing (it is required)");
    return NULL;
  }
  if (!parse_uri_tag(tag, &rec->location, error))
    return NULL;
  if (!parse_uri_tag(bimi_taglist_lookup(list, "a"), &rec->evidence, error))
    return NULL;
  rec->declined = rec->location == NULL && rec->evidence == NULL;

  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
  tag = bimi_taglist_lookup(list, "avp");
  if (tag != NULL) {
    if (strcmp(tag->value, "personal") == 0) {
      rec->avp = BIMI_BIMI_AVP_PERSONAL;
      rec->has_avp = TRUE;
    } else if (strcmp(tag->value, "brand") == 0) {
      rec->avp = BIMI_BIMI_AVP_BRAND;
      rec->has_avp = TRUE;
    } else {
      rec->avp_invalid = TRUE;
      g_ptr_array_add(warnings, g_strdup_printf("avp: unknown value ignored (offset %" G_GSIZE_FORMAT ")",
                                                tag->value_offset));
    }
  }
  tag = bimi_taglist_lookup(list, "lps");
  if (tag != NULL) {
    rec->lps = parse_lps(tag->value, tag->value_offset, error);
    if (rec->lps == NULL)
      return NULL;
    rec->has_lps = TRUE;
  }
  g_ptr_array_add(warnings, NULL);
  rec->warnings = (char **) g_ptr_array_free(g_steal_pointer(&warnings), FALSE);
  return g_steal_pointer(&rec);
}

/* Spec §2.1: selector = sub-domain *("." sub-domain), lower-cased. */
gboolean
bimi_bimi_selector_is_valid(const char *s, gsize len)
{
  if (len == 0 || len > BIMI_BIMI_MAX_SELECTOR_BYTES)
    return FALSE;
  return bimi_domain_check(s, len, BIMI_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_LDH, NULL);
}

gboolean
bimi_bimi_selector_parse(const char *value, gsize len, char **out_selector, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(BimiTagList) list = NULL;
  const BimiTag *tag;

  g_return_val_if_fail(out_selector != NULL, FALSE);
  *out_selector = NULL;
  if (len > BIMI_BIMI_MAX_SELECTOR_HEADER_BYTES) {
    g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_LIMIT,
                "BIMI-Selector is %" G_GSIZE_FORMAT " bytes, more than BIMI_BIMI_MAX_SELECTOR_HEADER_BYTES (%u)",
                len, BIMI_BIMI_MAX_SELECTOR_HEADER_BYTES);
    return FALSE;
  }
  if (!bimi_bimi__has_version_prefix(value, len)) {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_NOT_BIMI,
                        "BIMI-Selector does not start with v=BIMI1 (offset 0)");
    return FALSE;
  }
  list = bimi_taglist_parse(value, len, BIMI_TAGLIST_FLAG_ALLOW_EMPTY, &local);
  if (list == NULL)
    return taglist_error(local, "BIMI-Selector", error);
  tag = bimi_taglist_lookup(list, "s");
  if (tag == NULL) {
    g_set_error_literal(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID, "BIMI-Selector has no s=");
    return FALSE;
  }
  if (!bimi_bimi_selector_is_valid(tag->value, strlen(tag->value))) {
    g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID,
                "BIMI-Selector s= is not a selector (offset %" G_GSIZE_FORMAT ")", tag->value_offset);
    return FALSE;
  }
  *out_selector = g_ascii_strdown(tag->value, -1);
  return TRUE;
}

char *
bimi_bimi_local_part_selector(const char *local_part, const char *const *prefixes)
{
  g_autoptr(GString) out = NULL;
  gboolean pending_dash = FALSE;
  gboolean matched;

  g_return_val_if_fail(local_part != NULL, NULL);
  out = g_string_sized_new(64);
  for (const char *p = local_part; *p != '\0' && *p != '+'; p++) {
    if (*p == '_' || *p == '.') {
      pending_dash = TRUE;
      continue;
    }
    if (pending_dash) {
      g_string_append_c(out, '-');
      pending_dash = FALSE;
    }
    if (!g_ascii_isalnum(*p) && *p != '-')
      return NULL;
    if (out->len >= 2 * BIMI_BIMI_MAX_LPS_BYTES)
      return NULL;
    g_string_append_c(out, g_ascii_tolower(*p));
  }
  /* strip leading/trailing "-" (a trailing run of "_"/"." was never written) */
  while (out->len > 0 && out->str[0] == '-')
    g_string_erase(out, 0, 1);
  while (out->len > 0 && out->str[out->len - 1] == '-')
    g_string_truncate(out, out->len - 1);
  if (out->len == 0 || out->len > BIMI_BIMI_MAX_LPS_BYTES)
    return NULL;
  matched = prefixes == NULL || prefixes[0] == NULL;
  for (guint i = 0; !matched && prefixes[i] != NULL; i++)
    matched = g_str_has_prefix(out->str, prefixes[i]);
  if (!matched)
    return NULL;
  return g_string_free(g_steal_pointer(&out), FALSE);
}
