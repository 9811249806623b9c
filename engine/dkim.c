/* engine/dkim.c — DKIM verification, RFC 6376 §3.5, §3.7, §5.4.2, §6.1,
 * RFC 8463 §3 (ed25519-sha256), RFC 8301 §3 (rsa-sha1, key sizes).
 *
 * bimi_dkim_verify() works in three phases so that the body is read once:
 *  1. parse each DKIM-Signature (§3.5), check x= against the caller's now,
 *     fetch and parse its key (§6.1.2, key rules in dkim-key.c);
 *  2. one pass over the body feeding one streaming canonicalizer+hasher per
 *     distinct (body canonicalization, hash, l=) of the signatures still alive
 *     (§3.4.3-5, §3.7), straight from the message buffer;
 *  3. per signature: compare bh=, hash the selected header fields (§5.4.2:
 *     bottom-up, a name listed more often than present adds nothing) and the
 *     signature field with b= emptied (§3.7), verify with OpenSSL EVP.
 *
 * Deliberate choices (each is reported through the reason string):
 *  - v= must be "1" (§3.5 "MUST have the value 1"); drafts without v= are
 *    permerror.
 *  - x= must be greater than t= (§3.5 "MUST be greater"); x <= t is permerror.
 *    A t= in the future is accepted (§3.5: verifiers MAY ignore such
 *    signatures; the Stalwart vectors show real clock skew).
 *  - i= is decoded as dkim-quoted-printable (§2.11) before its domain is taken
 *    (older signers encode it; Mail::DKIM good_qp_*).
 *  - rsa-sha1 (RFC 8301 §3.1 "MUST NOT consider ... valid"): verified anyway;
 *    a correct one is "policy", an incorrect one "fail".
 *  - RSA keys below BIMI_DKIM_MIN_RSA_BITS: "fail" "key too short" (RFC 8301
 *    §3.2); above BIMI_DKIM_MAX_KEY_BITS: permerror.
 *  - l= larger than the canonical body: "fail" (the signer hashed bytes that
 *    are no longer there).
 *  - Several TXT records at the key name: permerror (RFC 6376 leaves it open;
 *    picking one would let the result depend on DNS order).
 */
#include "engine/dkim-private.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-text.h"
#include "engine/limits.h"

#include <string.h>
#include <openssl/err.h>

G_DEFINE_QUARK(bimi-dkim-error-quark, bimi_dkim_error)

const char *
bimi_dkim_result_to_string(BimiDkimResult result)
{
  switch (result) {
  case BIMI_DKIM_RESULT_PASS: return "pass";
  case BIMI_DKIM_RESULT_FAIL: return "fail";
  case BIMI_DKIM_RESULT_NEUTRAL: return "neutral";
  case BIMI_DKIM_RESULT_TEMPERROR: return "temperror";
  case BIMI_DKIM_RESULT_PERMERROR: return "permerror";
  case BIMI_DKIM_RESULT_POLICY: return "policy";
  }
  return "permerror";
}

BIMI_DEFINE_FREE_FUNC(BimiDkimSignature, bimi_dkim_signature_free, sig)
{
  BIMI_FREE_ALL(sig->reason, sig->domain, sig->identity, sig->identity_domain, sig->selector, sig->algorithm_name);
  g_strfreev(sig->signed_headers);
  g_free(sig->b_prefix);
}

gboolean
bimi_dkim_signature_covers_header(const BimiDkimSignature *sig, const char *name)
{
  g_return_val_if_fail(sig != NULL && name != NULL, FALSE);
  if (sig->signed_headers == NULL)
    return FALSE;
  for (guint i = 0; sig->signed_headers[i] != NULL; i++) {
    if (g_ascii_strcasecmp(sig->signed_headers[i], name) == 0)
      return TRUE;
  }
  return FALSE;
}

/* ---- small parsers ----------------------------------------------------- */

/* Parses 1..@max_digits decimal digits (RFC 6376 §3.5 t= x= "12 digits",
 * l= "76 digits"); saturates at G_MAXUINT64 for l=. */
static gboolean
parse_decimal(const char *v, guint max_digits, guint64 *out)
{
  gsize n = strlen(v);
  guint64 acc = 0;
  if (n == 0 || n > max_digits)
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    if (!g_ascii_isdigit(v[i]))
      return FALSE;
    guint d = (guint) (v[i] - '0');
    if (acc > (G_MAXUINT64 - d) / 10)
      acc = G_MAXUINT64;
    else
      acc = acc * 10 + d;
  }
  *out = acc;
  return TRUE;
}

/* A domain name or selector: dot-separated labels of letters, digits, '-'
 * and '_' (RFC 6376 §3.5 domain-name and selector, A-labels only). */
static gboolean
is_dns_name(const char *v)
{
  return bimi_domain_check(v, strlen(v), BIMI_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_UNDERSCORE | BIMI_DOMAIN_HYPHEN_EDGES,
                           NULL);
}

/* dkim-quoted-printable (§2.11): "=HH" decodes, everything else stays. */
static char *
qp_decode(const char *v)
{
  char *out = g_malloc(strlen(v) + 1); /* decoding only shortens */
  gsize o = 0;
  for (gsize i = 0; v[i] != '\0'; i++) {
    if (v[i] == '=' && g_ascii_isxdigit(v[i + 1]) && g_ascii_isxdigit(v[i + 2])) {
      char c = (char) (g_ascii_xdigit_value(v[i + 1]) * 16 + g_ascii_xdigit_value(v[i + 2]));
      if (c == '\0' || (guchar) c < 0x21 || (guchar) c > 0x7e)
        c = '?'; /* keep the identity printable */
      out[o++] = c;
      i += 2;
    } else {
      out[o++] = v[i];
    }
  }
  out[o] = '\0';
  return out;
}

static gboolean
is_field_name(const char *v)
{
  if (v[0] == '\0')
    return FALSE;
  for (gsize i = 0; v[i] != '\0'; i++) {
    if ((guchar) v[i] < 33 || (guchar) v[i] > 126 || v[i] == ':')
      return FALSE;
  }
  return TRUE;
}

/* ---- DKIM-Signature (§3.5) -------------------------------------------- */

BIMI_DEFINE_FREE_FUNC(BimiDkimSigParams, bimi_dkim__sig_params_free, p)
{
  bimi_taglist_free(p->tags);
  BIMI_FREE_ALL(p->domain, p->identity, p->identity_domain);
  g_strfreev(p->signed_headers);
  g_free(p->b_prefix);
}

#define INVALID(...) \
  do { \
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, __VA_ARGS__); \
    return NULL; \
  } while (0)

BimiDkimSigParams *
bimi_dkim__sig_parse(const char *value, gsize len, GError **error)
{
  return bimi_dkim__sig_parse_kind(value, len, BIMI_DKIM_SIG_KIND_DKIM, error);
}

static const char *
kind_name(BimiDkimSigKind kind)
{
  switch (kind) {
  case BIMI_DKIM_SIG_KIND_ARC_AMS: return "ARC-Message-Signature";
  case BIMI_DKIM_SIG_KIND_ARC_SEAL: return "ARC-Seal";
  case BIMI_DKIM_SIG_KIND_DKIM: default: return "DKIM-Signature";
  }
}

/* RFC 8617 §4.2.1: instance 1..50, decimal. */
static gboolean
parse_instance(const char *v, guint *out)
{
  guint64 num;
  if (!parse_decimal(v, 2, &num) || num < 1 || num > BIMI_ARC_MAX_SETS)
    return FALSE;
  *out = (guint) num;
  return TRUE;
}

/* The tags a signature field may carry, each found once by index_tags()
 * (one pass over the list instead of a lookup per tag: issue 21). */
enum { T_V, T_A, T_B, T_BH, T_C, T_D, T_H, T_I, T_L, T_Q, T_S, T_T, T_X, T_CV, N_KNOWN_TAGS };

static const char *const known_tag_names[N_KNOWN_TAGS] = {
  [T_V] = "v", [T_A] = "a", [T_B] = "b", [T_BH] = "bh", [T_C] = "c", [T_D] = "d", [T_H] = "h",
  [T_I] = "i", [T_L] = "l", [T_Q] = "q", [T_S] = "s", [T_T] = "t", [T_X] = "x", [T_CV] = "cv",
};

/* The slot + 1 of each one-letter tag name (0: not a known tag). */
static const guint8 one_letter_tag[256] = {
  ['v'] = T_V + 1, ['a'] = T_A + 1, ['b'] = T_B + 1, ['c'] = T_C + 1, ['d'] = T_D + 1, ['h'] = T_H + 1,
  ['i'] = T_I + 1, ['l'] = T_L + 1, ['q'] = T_Q + 1, ['s'] = T_S + 1, ['t'] = T_T + 1, ['x'] = T_X + 1,
};

/* Fills @slots with the known tags of @tags (NULL when absent); other tags
 * are ignored (RFC 6376 §3.2 "unrecognized tags MUST be ignored"). */
static void
index_tags(const BimiTagList *tags, const BimiTag **slots)
{
  guint n = bimi_taglist_get_n_tags(tags);
  memset(slots, 0, N_KNOWN_TAGS * sizeof *slots);
  for (guint i = 0; i < n; i++) {
    const BimiTag *t = bimi_taglist_get(tags, i);
    const char *nm = t->name;
    gint k = -1;
    if (nm[1] == '\0') {
      k = (gint) one_letter_tag[(guchar) nm[0]] - 1;
    } else if (nm[2] == '\0') {
      if (nm[0] == 'b' && nm[1] == 'h')
        k = T_BH;
      else if (nm[0] == 'c' && nm[1] == 'v')
        k = T_CV;
    }
    if (k >= 0)
      slots[k] = t; /* names are unique: the tag-list parser refused duplicates */
  }
}

/* Decodes the base64 value of @t (FWS inside allowed, RFC 6376 §3.5) into
 * @out: "empty b=" when there is nothing to decode. */
static gboolean
decode_b64_tag(const BimiTag *t, guint8 *out, gsize out_size, gsize *out_len, const char *what, GError **error)
{
  if (t->value_len == 0) { /* the value is trimmed: empty iff nothing but FWS */
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "empty %s", what);
    return FALSE;
  }
  return bimi_dkim__base64_decode_fws(t->value, t->value_len, out, out_size, out_len, what, error);
}

/* The first 8 base64 characters of b= (FWS skipped), for reports. */
static char *
b64_prefix(const BimiTag *t)
{
  char buf[9];
  gsize o = 0;
  for (gsize i = 0; i < t->value_len && o < 8; i++) {
    char c = t->value[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
      buf[o++] = c;
  }
  return g_strndup(buf, o);
}

/* Whether the q= list (RFC 6376 §3.5, colon-separated, items trimmed)
 * offers dns/txt (ASCII case-insensitive). */
static gboolean
q_offers_dns_txt(const char *v)
{
  for (const char *start = v;;) {
    const char *end = strchr(start, ':');
    const char *stop = end != NULL ? end : start + strlen(start);
    const char *a = start, *z = stop;
    while (a < z && g_ascii_isspace(*a))
      a++;
    while (z > a && g_ascii_isspace(z[-1]))
      z--;
    if (z - a == 7 && g_ascii_strncasecmp(a, "dns/txt", 7) == 0)
      return TRUE;
    if (end == NULL)
      return FALSE;
    start = end + 1;
  }
}

BimiDkimSigParams *
bimi_dkim__sig_parse_kind(const char *value, gsize len, BimiDkimSigKind kind, GError **error)
{
  g_autoptr(GError) local = NULL;
  const gboolean arc = kind != BIMI_DKIM_SIG_KIND_DKIM;
  const gboolean seal = kind == BIMI_DKIM_SIG_KIND_ARC_SEAL;
  g_autoptr(BimiDkimSigParams) p = g_new0(BimiDkimSigParams, 1);
  const BimiTag *tag[N_KNOWN_TAGS];
  const char *v;
  guint64 num;

  p->timestamp = p->expiration = -1;
  p->tags = bimi_taglist_parse(value, len, BIMI_TAGLIST_FLAG_NONE, &local);
  if (p->tags == NULL) {
    g_set_error(error, BIMI_DKIM_ERROR,
                local->code == BIMI_TAGLIST_ERROR_LIMIT ? BIMI_DKIM_ERROR_LIMIT : BIMI_DKIM_ERROR_SYNTAX,
                "%s: %s", kind_name(kind), local->message);
    return NULL;
  }
  index_tags(p->tags, tag);
  static const guint8 req_dkim[] = { T_V, T_A, T_B, T_BH, T_D, T_H, T_S };
  static const guint8 req_ams[] = { T_I, T_A, T_B, T_BH, T_D, T_H, T_S };
  static const guint8 req_seal[] = { T_I, T_A, T_B, T_CV, T_D, T_S };
  const guint8 *req = seal ? req_seal : arc ? req_ams : req_dkim;
  guint n_req = seal ? G_N_ELEMENTS(req_seal) : arc ? G_N_ELEMENTS(req_ams) : G_N_ELEMENTS(req_dkim);
  for (guint i = 0; i < n_req; i++) {
    if (tag[req[i]] == NULL)
      INVALID("missing tag %s=", known_tag_names[req[i]]);
  }
  if (!arc && strcmp(tag[T_V]->value, "1") != 0)
    INVALID("v= is not 1");
  if (arc && !parse_instance(tag[T_I]->value, &p->instance))
    INVALID("i= is not an ARC instance (1..%u)", BIMI_ARC_MAX_SETS);
  if (seal && tag[T_H] != NULL)
    INVALID("h= is not allowed in an ARC-Seal (RFC 8617 §4.1.3)");

  v = tag[T_A]->value;
  p->algorithm_name = v;
  if (strcmp(v, "rsa-sha256") == 0)
    p->algorithm = BIMI_DKIM_ALG_RSA_SHA256;
  else if (strcmp(v, "ed25519-sha256") == 0)
    p->algorithm = BIMI_DKIM_ALG_ED25519_SHA256;
  else if (strcmp(v, "rsa-sha1") == 0)
    p->algorithm = BIMI_DKIM_ALG_RSA_SHA1;
  else
    INVALID("unknown algorithm a=");

  if (!decode_b64_tag(tag[T_B], p->b, sizeof p->b, &p->b_len, "b=", error))
    return NULL;
  p->b_prefix = b64_prefix(tag[T_B]);
  p->b_raw_offset = tag[T_B]->raw_value_offset;
  p->b_raw_len = tag[T_B]->raw_value_len;
  if (!seal && !decode_b64_tag(tag[T_BH], p->bh, sizeof p->bh, &p->bh_len, "bh=", error))
    return NULL;

  v = seal || tag[T_C] == NULL ? NULL : tag[T_C]->value;
  p->header_canon = p->body_canon = BIMI_DKIM_CANON_SIMPLE;
  if (seal)
    p->header_canon = BIMI_DKIM_CANON_RELAXED; /* RFC 8617 §5.1.1 */
  if (v != NULL) {
    const char *slash = strchr(v, '/');
    gsize hl = slash ? (gsize) (slash - v) : strlen(v);
    const char *bc = slash ? slash + 1 : "simple";
    if (hl == 7 && memcmp(v, "relaxed", 7) == 0)
      p->header_canon = BIMI_DKIM_CANON_RELAXED;
    else if (!(hl == 6 && memcmp(v, "simple", 6) == 0))
      INVALID("unknown header canonicalization in c=");
    if (strcmp(bc, "relaxed") == 0)
      p->body_canon = BIMI_DKIM_CANON_RELAXED;
    else if (strcmp(bc, "simple") != 0)
      INVALID("unknown body canonicalization in c=");
  }

  v = tag[T_D]->value;
  if (!is_dns_name(v))
    INVALID("d= is not a domain name");
  p->domain = g_ascii_strdown(v, -1);

  v = tag[T_S]->value;
  if (!is_dns_name(v))
    INVALID("s= is not a selector");
  p->selector = v;

  if (seal)
    p->signed_headers = g_new0(char *, 1);
  else
    p->signed_headers = bimi_text_split_trimmed(tag[T_H]->value, ':');
  if (!seal) {
    guint n = g_strv_length(p->signed_headers);
    gboolean from = FALSE;
    if (n > BIMI_DKIM_MAX_SIGNED_HEADERS) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_LIMIT,
                  "h= lists %u names, more than BIMI_DKIM_MAX_SIGNED_HEADERS (%u)", n,
                  BIMI_DKIM_MAX_SIGNED_HEADERS);
      return NULL;
    }
    for (guint i = 0; i < n; i++) {
      /* An AMS may hold empty entries ("h=from::to", "h="): they name no
       * field and select nothing (ValiMail ams_fields_h_mis_hdr, _h_empty). */
      if (arc && p->signed_headers[i][0] == '\0')
        continue;
      if (!is_field_name(p->signed_headers[i]))
        INVALID("h= entry %u is not a header field name", i + 1);
      if (g_ascii_strcasecmp(p->signed_headers[i], "from") == 0)
        from = TRUE;
    }
    if (!from && !arc)
      INVALID("h= lacks from");
  }

  v = arc || tag[T_I] == NULL ? NULL : tag[T_I]->value;
  if (v != NULL) {
    p->identity = qp_decode(v);
    const char *at = strrchr(p->identity, '@');
    if (at == NULL)
      INVALID("i= has no @");
    if (!is_dns_name(at + 1))
      INVALID("i= domain is not a domain name");
    p->identity_domain = g_ascii_strdown(at + 1, -1);
    gsize il = strlen(p->identity_domain), dl = strlen(p->domain);
    if (!(il == dl && strcmp(p->identity_domain, p->domain) == 0) &&
        !(il > dl && p->identity_domain[il - dl - 1] == '.' &&
          strcmp(p->identity_domain + il - dl, p->domain) == 0))
      INVALID("i= not within d=");
  } else {
    p->identity = g_strconcat("@", p->domain, NULL);
    p->identity_domain = g_strdup(p->domain);
  }

  v = arc || tag[T_L] == NULL ? NULL : tag[T_L]->value;
  if (v != NULL) {
    if (!parse_decimal(v, 76, &num))
      INVALID("l= is not a decimal number");
    p->has_length = TRUE;
    p->length = num;
  }
  v = arc || tag[T_Q] == NULL ? NULL : tag[T_Q]->value;
  if (v != NULL && !q_offers_dns_txt(v))
    INVALID("q= does not offer dns/txt");
  v = tag[T_T] == NULL ? NULL : tag[T_T]->value;
  if (v != NULL) {
    if (!parse_decimal(v, 16, &num))
      INVALID("t= is not a timestamp");
    p->timestamp = (gint64) num;
  }
  v = tag[T_X] == NULL ? NULL : tag[T_X]->value;
  if (v != NULL) {
    if (!parse_decimal(v, 16, &num))
      INVALID("x= is not a timestamp");
    p->expiration = (gint64) num;
    if (p->timestamp >= 0 && p->expiration <= p->timestamp)
      INVALID("x= is not after t=");
  }
  return g_steal_pointer(&p);
}

/* ---- verification ------------------------------------------------------ */

typedef struct {
  BimiDkimSignature *out;
  BimiDkimSigParams *params;
  BimiDkimKey *key;
  const BimiHeaderField *field;
  gint body_slot;     /* index into the body hashers, -1 = not needed */
  gboolean done;      /* result already decided */
} Work;

/* Decides the signature: its result and reason (printf-style, checked by bimi_text_set_printf()). */
#define decide(w, res, ...) \
  ((w)->out->result = (res), (w)->done = TRUE, bimi_text_set_printf(&(w)->out->reason, __VA_ARGS__))
/* The same with a fixed reason: no printf on the path every good signature
 * takes (issue 21). */
#define decide_text(w, res, text) \
  ((w)->out->result = (res), (w)->done = TRUE, g_free((w)->out->reason), (w)->out->reason = g_strdup(text))

/* When a signature does not parse, still report what can be read of it, so
 * that the operator sees whose signature was broken. */
static void
salvage_tags(BimiDkimSignature *out, const BimiHeaderField *f)
{
  g_autoptr(BimiTagList) tags = bimi_taglist_parse(f->value, f->value_length,
                                                   BIMI_TAGLIST_FLAG_ALLOW_EMPTY, NULL);
  const char *v;
  if (tags == NULL)
    return;
  if ((v = bimi_taglist_lookup_value(tags, "d")) != NULL && is_dns_name(v))
    out->domain = g_ascii_strdown(v, -1);
  if ((v = bimi_taglist_lookup_value(tags, "s")) != NULL && is_dns_name(v))
    out->selector = g_strdup(v);
  if ((v = bimi_taglist_lookup_value(tags, "a")) != NULL && strlen(v) < 64)
    out->algorithm_name = g_strdup(v);
}

/* The parameters the result reports. The strings @p owns move over at the
 * end of the verification (give_strings()): no copy of each (issue 21). */
static void
copy_params(BimiDkimSignature *out, const BimiDkimSigParams *p)
{
  out->selector = g_strdup(p->selector);
  out->algorithm_name = g_strdup(p->algorithm_name);
  out->algorithm = p->algorithm;
  out->header_canon = p->header_canon;
  out->body_canon = p->body_canon;
  out->timestamp = p->timestamp;
  out->expiration = p->expiration;
  out->body_length_limited = p->has_length;
  out->body_length = p->has_length ? p->length : 0;
}

/* Moves the strings @p owns into @out once @p is no longer used. */
static void
give_strings(BimiDkimSignature *out, BimiDkimSigParams *p)
{
  out->domain = g_steal_pointer(&p->domain);
  out->identity = g_steal_pointer(&p->identity);
  out->identity_domain = g_steal_pointer(&p->identity_domain);
  out->signed_headers = g_steal_pointer(&p->signed_headers);
  out->b_prefix = g_steal_pointer(&p->b_prefix);
}

#define KEY_BAD(res, ...) \
  do { \
    *out_result = (res); \
    *out_reason = g_strdup_printf(__VA_ARGS__); \
    return FALSE; \
  } while (0)

/* Asks the fetcher for @qname's one key record and decodes it (through the
 * key cache when there is one). */
static gboolean
fetch_and_parse(const BimiDkimOptions *options, const char *qname, BimiDkimKey **out_key, BimiDkimResult *out_result,
                char **out_reason)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *detail = NULL;
  g_autoptr(GError) local = NULL;
  guint32 ttl = 0;

  switch (options->key_fetch(qname, &records, &detail, &ttl, options->key_fetch_data)) {
  case BIMI_DKIM_KEY_NONE:
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "no key");
  case BIMI_DKIM_KEY_TEMPERROR:
    KEY_BAD(BIMI_DKIM_RESULT_TEMPERROR, "key lookup failed (%s)", detail ? detail : "temporary DNS error");
  case BIMI_DKIM_KEY_FOUND:
    break;
  }
  if (records == NULL || records->len == 0)
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "no key");
  if (records->len > 1)
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "several key records (%u)", records->len);
  GBytes *record = g_ptr_array_index(records, 0);
  BimiDkimKey *key;
  if (options->key_cache != NULL) {
    key = bimi_dkim__key_cache_parse(options->key_cache, qname, record, ttl, options->now, &local);
  } else {
    gsize len;
    const char *text = g_bytes_get_data(record, &len);
    key = bimi_dkim__key_parse(text ? text : "", len, &local);
  }
  if (key == NULL)
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "%s", local->message);
  *out_key = key;
  return TRUE;
}

gboolean
bimi_dkim__fetch_key(const BimiDkimOptions *options, const BimiDkimSigParams *p, BimiDkimKey **out_key,
                     BimiDkimResult *out_result, char **out_reason)
{
  static const char infix[] = "._domainkey.";
  gsize sl = strlen(p->selector), dl = strlen(p->domain);
  char qname[BIMI_DNS_MAX_NAME_BYTES + 1];

  *out_key = NULL;
  *out_reason = NULL;
  if (sl + sizeof infix - 1 + dl > BIMI_DNS_MAX_NAME_BYTES)
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "no key (key name longer than 253 bytes)");
  /* selector lower-cased here; d= already is */
  for (gsize i = 0; i < sl; i++)
    qname[i] = g_ascii_tolower(p->selector[i]);
  memcpy(qname + sl, infix, sizeof infix - 1);
  memcpy(qname + sl + sizeof infix - 1, p->domain, dl + 1);
  BimiDkimKey *key = options->key_cache != NULL ? bimi_dkim__key_cache_lookup(options->key_cache, qname, options->now)
                                                : NULL;
  if (key == NULL && !fetch_and_parse(options, qname, &key, out_result, out_reason))
    return FALSE;
  *out_key = key;
  if (key->revoked)
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "key revoked");
  gboolean ed = p->algorithm == BIMI_DKIM_ALG_ED25519_SHA256;
  if (ed != (key->type == BIMI_DKIM_KEY_TYPE_ED25519))
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "key type k= does not match a=");
  if (p->algorithm == BIMI_DKIM_ALG_RSA_SHA1 ? !key->allows_sha1 : !key->allows_sha256)
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "key h= does not allow the hash of a=");
  if (key->strict && strcmp(p->identity_domain, p->domain) != 0)
    KEY_BAD(BIMI_DKIM_RESULT_PERMERROR, "key t=s requires the i= domain to equal d=");
  if (key->type == BIMI_DKIM_KEY_TYPE_RSA && key->bits < BIMI_DKIM_MIN_RSA_BITS)
    KEY_BAD(BIMI_DKIM_RESULT_FAIL, "key too short (%u bits, RFC 8301 requires %u)", key->bits,
            BIMI_DKIM_MIN_RSA_BITS);
  return TRUE;
}

static void
fetch_key(Work *w, const BimiDkimOptions *options)
{
  BimiDkimResult res;
  g_autofree char *reason = NULL;
  if (!bimi_dkim__fetch_key(options, w->params, &w->key, &res, &reason)) {
    if (w->key != NULL) {
      w->out->key_testing = w->key->testing;
      w->out->key_strict = w->key->strict;
      w->out->key_bits = w->key->bits;
    }
    decide(w, res, "%s", reason);
    return;
  }
  w->out->key_testing = w->key->testing;
  w->out->key_strict = w->key->strict;
  w->out->key_bits = w->key->bits;
}

typedef struct {
  BimiDkimCanon canon;
  gboolean sha1;
  guint64 limit;
  BimiDkimBodyHasher *hasher;
  guint8 digest[EVP_MAX_MD_SIZE];
  guint digest_len;
  guint64 canon_len;
} BodySlot;

/* The slot of @p's (canonicalization, hash, l=) among the @n_slots of
 * @slots (room for one per signature), added when new. */
static gint
body_slot_for(BodySlot *slots, guint *n_slots, const BimiDkimSigParams *p)
{
  gboolean sha1 = p->algorithm == BIMI_DKIM_ALG_RSA_SHA1;
  guint64 limit = p->has_length ? p->length : G_MAXUINT64;
  for (guint i = 0; i < *n_slots; i++) {
    BodySlot *s = &slots[i];
    if (s->canon == p->body_canon && s->sha1 == sha1 && s->limit == limit)
      return (gint) i;
  }
  BodySlot *s = &slots[(*n_slots)++];
  *s = (BodySlot) { .canon = p->body_canon, .sha1 = sha1, .limit = limit };
  s->hasher = bimi_dkim__body_hasher_new(p->body_canon, sha1 ? EVP_sha1() : bimi_dkim__sha256(), limit);
  return (gint) *n_slots - 1;
}

/* ASCII case-insensitive equality of @n bytes (RFC 5322 field names), inline:
 * it runs for every (h= name, field) pair of the same length. */
static inline gboolean
ascii_case_equal(const char *a, const char *b, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    guint8 x = (guint8) a[i], y = (guint8) b[i];
    if (x != y && ((x | 0x20) != (y | 0x20) || (guint8) ((x | 0x20) - 'a') > 'z' - 'a'))
      return FALSE;
  }
  return TRUE;
}

/* §5.4.2 + §3.7: the canonical header data the signature covers. */
GByteArray *
bimi_dkim__header_data(const BimiMessage *msg, const BimiHeaderField *sig_field, const BimiDkimSigParams *p)
{
  return bimi_dkim__header_data_skip(msg, sig_field, p, NULL);
}

static void header_data_append(GByteArray *data, const BimiMessage *msg, const BimiHeaderField *sig_field,
                               const BimiDkimSigParams *p, const gboolean *skip);

GByteArray *
bimi_dkim__header_data_skip(const BimiMessage *msg, const BimiHeaderField *sig_field, const BimiDkimSigParams *p,
                            const gboolean *skip)
{
  gsize header_bytes = bimi_message_get_body_offset(msg);
  /* canonical header data is at most the header section plus the signature
   * field again: one allocation in the common case */
  GByteArray *data = g_byte_array_sized_new((guint) MIN(header_bytes + sig_field->field_length, G_MAXUINT / 2));
  header_data_append(data, msg, sig_field, p, skip);
  return data;
}

/* bimi_dkim__header_data_skip() appending to @data. */
static void
header_data_append(GByteArray *data, const BimiMessage *msg, const BimiHeaderField *sig_field,
                   const BimiDkimSigParams *p, const gboolean *skip)
{
  guint n_fields = bimi_message_get_n_fields(msg);
  /* Each h= name takes the bottom-most instance of that name not taken yet
   * (§5.4.2); a name listed more often than present finds none and adds
   * nothing. On the stack for ordinary headers (issue 21). */
  guint8 taken_stack[256];
  g_autofree guint8 *taken_heap = n_fields > sizeof taken_stack ? g_new0(guint8, n_fields) : NULL;
  guint8 *taken = taken_heap != NULL ? taken_heap : taken_stack;
  if (taken_heap == NULL)
    memset(taken, 0, MAX(n_fields, 1));

  for (guint i = 0; p->signed_headers[i] != NULL; i++) {
    const char *name = p->signed_headers[i];
    gsize name_len = strlen(name);
    for (guint k = n_fields; k-- > 0;) {
      const BimiHeaderField *f = bimi_message_get_field(msg, k);
      if (taken[k] || (skip != NULL && skip[k]) || f->name_length != name_len || !ascii_case_equal(f->name, name, name_len))
        continue;
      taken[k] = TRUE;
      bimi_dkim__canon_header(data, p->header_canon, f->name, f->name_length, f->field, f->field_length, f->value,
                              f->value_length);
      break;
    }
  }

  /* The signature field itself, b= value deleted, without its final CRLF. */
  bimi_dkim__canon_header_hole(data, p->header_canon, sig_field, p->b_raw_offset, p->b_raw_len);
  g_assert(data->len >= 2);
  g_byte_array_set_size(data, data->len - 2);
}

gboolean
bimi_dkim__verify_data(const BimiDkimSigParams *p, const BimiDkimKey *key, const guint8 *data, gsize len,
                       gboolean *ok, GError **error)
{
  gsize sig_len = p->b_len;
  const guint8 *sig = p->b;
  int rc;

  if (p->algorithm == BIMI_DKIM_ALG_RSA_SHA256 && key->rsa_sha256 != NULL) {
    /* RSASSA-PKCS1-v1_5 over the SHA-256 of the header data, with the key's
     * ready context (the same check EVP_DigestVerify makes, without setting
     * up a digest-verify context per signature: issue 21) */
    guint8 hash[32], id[32];
    unsigned int hl = 0;
    if (EVP_Digest(data, len, hash, &hl, bimi_dkim__sha256(), NULL) != 1) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INTERNAL, "OpenSSL: cannot set up RSA verification");
      return FALSE;
    }
    if (key->memo != NULL && bimi_dkim__key_verify_memo_lookup(key, p->algorithm, hash, sig, sig_len, id, ok))
      return TRUE;
    if ((rc = bimi_dkim__key_verify_rsa_sha256(key, sig, sig_len, hash)) < 0) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INTERNAL, "OpenSSL: cannot set up RSA verification");
      return FALSE;
    }
    ERR_clear_error();
    *ok = rc == 1;
    if (key->memo != NULL)
      bimi_dkim__key_verify_memo_store(key, id, *ok);
    return TRUE;
  }

  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx == NULL) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INTERNAL, "EVP_MD_CTX_new failed");
    return FALSE;
  }
  if (p->algorithm == BIMI_DKIM_ALG_ED25519_SHA256) {
    /* RFC 8463 §3: Ed25519 (pure) over the SHA-256 of the header data. */
    guint8 hash[32], id[32];
    unsigned int hl = 0;
    if (EVP_Digest(data, len, hash, &hl, bimi_dkim__sha256(), NULL) != 1) {
      EVP_MD_CTX_free(ctx);
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INTERNAL, "OpenSSL: cannot set up Ed25519 verification");
      return FALSE;
    }
    if (key->memo != NULL && bimi_dkim__key_verify_memo_lookup(key, p->algorithm, hash, sig, sig_len, id, ok)) {
      EVP_MD_CTX_free(ctx);
      return TRUE;
    }
    if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) != 1) {
      EVP_MD_CTX_free(ctx);
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INTERNAL, "OpenSSL: cannot set up Ed25519 verification");
      return FALSE;
    }
    rc = EVP_DigestVerify(ctx, sig, sig_len, hash, hl);
    if (key->memo != NULL && rc >= 0)
      bimi_dkim__key_verify_memo_store(key, id, rc == 1);
  } else {
    const EVP_MD *md = p->algorithm == BIMI_DKIM_ALG_RSA_SHA1 ? EVP_sha1() : bimi_dkim__sha256();
    if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key->pkey) != 1) {
      EVP_MD_CTX_free(ctx);
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INTERNAL, "OpenSSL: cannot set up RSA verification");
      return FALSE;
    }
    rc = EVP_DigestVerify(ctx, sig, sig_len, data, len);
  }
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  *ok = rc == 1;
  return TRUE;
}

/* The header data of each signature bimi_dkim_verify() checks is built in
 * one buffer per thread, kept between calls (issue 21: no allocation per
 * signature). A buffer a huge header section grew beyond this is let go. */
#define HEADER_SCRATCH_KEEP_BYTES (64u * 1024u)

static GPrivate header_scratch_key = G_PRIVATE_INIT((GDestroyNotify) g_byte_array_unref);

/* (transfer none): this thread's buffer, empty. */
static GByteArray *
header_scratch(void)
{
  GByteArray *data = g_private_get(&header_scratch_key);
  if (data == NULL) {
    data = g_byte_array_sized_new(4096);
    g_private_set(&header_scratch_key, data);
  }
  g_byte_array_set_size(data, 0);
  return data;
}

static void
header_scratch_done(GByteArray *data)
{
  if (data->len > HEADER_SCRATCH_KEEP_BYTES)
    g_private_replace(&header_scratch_key, NULL);
}

GPtrArray *
bimi_dkim_verify(const BimiMessage *msg, const BimiDkimOptions *options, GError **error)
{
  g_return_val_if_fail(msg != NULL && options != NULL && options->key_fetch != NULL, NULL);
  guint max = options->max_signatures ? options->max_signatures : BIMI_DKIM_DEFAULT_MAX_SIGNATURES;
  if (max > BIMI_DKIM_MAX_SIGNATURES) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_LIMIT,
                "max_signatures %u exceeds BIMI_DKIM_MAX_SIGNATURES (%u)", max, BIMI_DKIM_MAX_SIGNATURES);
    return NULL;
  }
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_dkim_signature_free);
  /* the signature fields, per-signature state and body hashers: on the
   * stack for a message with a few signatures (issue 21), on the heap beyond */
  guint n_sigs = bimi_message_count_fields(msg, "DKIM-Signature");
  guint idx_stack[4];
  Work work_stack[G_N_ELEMENTS(idx_stack)];
  BodySlot slot_stack[G_N_ELEMENTS(idx_stack)];
  gboolean small = n_sigs <= G_N_ELEMENTS(idx_stack);
  g_autofree guint *idx_heap = small ? NULL : g_new(guint, n_sigs);
  g_autofree Work *work_heap = small ? NULL : g_new0(Work, n_sigs);
  g_autofree BodySlot *slot_heap = small ? NULL : g_new0(BodySlot, n_sigs);
  guint *idx = small ? idx_stack : idx_heap;
  Work *work = work_heap != NULL ? work_heap : work_stack;
  BodySlot *slots = slot_heap != NULL ? slot_heap : slot_stack;
  guint n_slots = 0;
  gboolean ok = TRUE;

  if (small)
    memset(work_stack, 0, sizeof work_stack);
  for (guint k = 0, j = 0; j < n_sigs; k++) {
    if (bimi_header_field_has_name(bimi_message_get_field(msg, k), "DKIM-Signature"))
      idx[j++] = k;
  }

  /* Phase 1: parse, check times, fetch keys. */
  for (guint i = 0; i < n_sigs; i++) {
    Work *w = &work[i];
    g_autoptr(GError) local = NULL;
    w->field = bimi_message_get_field(msg, idx[i]);
    w->out = g_new0(BimiDkimSignature, 1);
    w->out->field_index = idx[i];
    w->out->signature_number = i;
    w->out->timestamp = w->out->expiration = -1;
    w->body_slot = -1;
    g_ptr_array_add(results, w->out);
    if (i >= max) {
      salvage_tags(w->out, w->field);
      decide(w, BIMI_DKIM_RESULT_PERMERROR, "too many signatures (only the first %u are verified)", max);
      continue;
    }
    w->params = bimi_dkim__sig_parse(w->field->value, w->field->value_length, &local);
    if (w->params == NULL) {
      salvage_tags(w->out, w->field);
      decide(w, BIMI_DKIM_RESULT_PERMERROR, "%s", local->message);
      continue;
    }
    copy_params(w->out, w->params);
    if (w->params->expiration >= 0 && options->now > w->params->expiration) {
      decide(w, BIMI_DKIM_RESULT_PERMERROR, "signature expired");
      continue;
    }
    fetch_key(w, options);
    if (!w->done)
      w->body_slot = body_slot_for(slots, &n_slots, w->params);
  }

  /* Phase 2: the body, once, through every distinct canonicalizer. */
  if (n_slots > 0) {
    gsize body_len;
    const guint8 *body = bimi_message_get_body(msg, &body_len);
    const gsize chunk = 64 * 1024;
    for (gsize off = 0; off < body_len; off += chunk) {
      gsize n = MIN(chunk, body_len - off);
      for (guint s = 0; s < n_slots; s++)
        bimi_dkim__body_hasher_update(slots[s].hasher, body + off, n);
    }
    for (guint s = 0; s < n_slots; s++) {
      BodySlot *slot = &slots[s];
      slot->digest_len = bimi_dkim__body_hasher_finish(slot->hasher, slot->digest, &slot->canon_len);
    }
  }

  /* Phase 3: body hash comparison, header hash, signature. */
  for (guint i = 0; i < n_sigs && ok; i++) {
    Work *w = &work[i];
    if (w->done)
      continue;
    BodySlot *slot = &slots[w->body_slot];
    const BimiDkimSigParams *p = w->params;
    if (p->has_length)
      w->out->body_bytes_unsigned = slot->canon_len > p->length ? slot->canon_len - p->length : 0;
    if (p->has_length && p->length > slot->canon_len) {
      decide(w, BIMI_DKIM_RESULT_FAIL, "l= exceeds the body length (%" G_GUINT64_FORMAT " canonical bytes)",
             slot->canon_len);
      continue;
    }
    if (p->bh_len != slot->digest_len || memcmp(p->bh, slot->digest, p->bh_len) != 0) {
      decide(w, BIMI_DKIM_RESULT_FAIL, "body hash mismatch");
      continue;
    }
    GByteArray *data = header_scratch();
    header_data_append(data, msg, w->field, p, NULL);
    gboolean good = FALSE;
    gboolean done = bimi_dkim__verify_data(p, w->key, data->data, data->len, &good, error);
    header_scratch_done(data);
    if (!done) {
      ok = FALSE;
      break;
    }
    if (!good)
      decide_text(w, BIMI_DKIM_RESULT_FAIL, "signature verification failed");
    else if (p->algorithm == BIMI_DKIM_ALG_RSA_SHA1)
      decide(w, BIMI_DKIM_RESULT_POLICY, "rsa-sha1 is not accepted (RFC 8301)");
    else
      decide_text(w, BIMI_DKIM_RESULT_PASS, "signature verified");
  }

  for (guint i = 0; i < n_sigs; i++) {
    if (ok && work[i].params != NULL)
      give_strings(work[i].out, work[i].params);
    bimi_dkim__sig_params_free(work[i].params);
    bimi_dkim__key_unref(work[i].key);
  }
  for (guint s = 0; s < n_slots; s++)
    bimi_dkim__body_hasher_free(slots[s].hasher);
  if (!ok)
    return NULL;
  return g_steal_pointer(&results);
}
