/* engine/vmc-logotype.c — the logotype extension (id-pe-logotype, 1.3.6.1.5.5.7.1.12).
 *
 * RFC 3709 §4.1 / RFC 9399 §4.1 (LogotypeExtn, LogotypeInfo, LogotypeData,
 * LogotypeImage, LogotypeDetails, HashAlgAndValue), RFC 2397 (data: URI),
 * RFC 6170 §4 (compressed SVG in data: URIs), spec/bimi-receiver.md §7.4.
 * A small bounded DER reader (X.690 §8.1): definite lengths only, tags of one
 * byte only (everything the logotype syntax uses), depth bounded. Only
 * subjectLogo → direct → image[0] → imageDetails is decoded; the other
 * components are skipped as opaque TLVs (BIMI uses none of them).
 */
#include "engine/vmc.h"
#include "engine/vmc-private.h"
#include "engine/limits.h"
#include "engine/base/base-base64.h"
#include "engine/base/base-der.h"
#include "engine/base/base-mem.h"

#include <string.h>
#include <gio/gio.h>

typedef struct {
  const guint8 *base;    /* start of the whole input, for offsets */
  const guint8 *p;
  gsize len;
} DerCursor;

typedef struct {
  guint8 tag;
  gsize offset;          /* of the tag byte */
  DerCursor body;
} DerTlv;

static gboolean
der_next(DerCursor *c, DerTlv *out, GError **error)
{
  gsize off = (gsize) (c->p - c->base);
  BimiDerTlv tlv;
  BimiDerStatus st;

  if (!bimi_der_read_tlv(c->p, c->len, 4, &tlv, &st)) {
    switch (st) {
    case BIMI_DER_TRUNCATED:
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype DER: truncated TLV at offset %" G_GSIZE_FORMAT, off);
      break;
    case BIMI_DER_MULTIBYTE_TAG:
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype DER: multi-byte tag at offset %" G_GSIZE_FORMAT, off);
      break;
    case BIMI_DER_LENGTH_FORM:
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                  "logotype DER: unsupported length form at offset %" G_GSIZE_FORMAT, off);
      break;
    case BIMI_DER_TRUNCATED_LENGTH:
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype DER: truncated length at offset %" G_GSIZE_FORMAT, off);
      break;
    default:
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                  "logotype DER: length %" G_GSIZE_FORMAT " at offset %" G_GSIZE_FORMAT " runs past its container",
                  tlv.body_len, off);
      break;
    }
    return FALSE;
  }
  out->tag = tlv.tag;
  out->offset = off;
  out->body.base = c->base;
  out->body.p = c->p + tlv.header_len;
  out->body.len = tlv.body_len;
  c->p += tlv.header_len + tlv.body_len;
  c->len -= tlv.header_len + tlv.body_len;
  return TRUE;
}

static gboolean
der_expect(DerCursor *c, guint8 tag, const char *what, DerTlv *out, GError **error)
{
  gsize off = (gsize) (c->p - c->base);

  if (c->len == 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype DER: %s missing at offset %" G_GSIZE_FORMAT, what, off);
    return FALSE;
  }
  if (!der_next(c, out, error))
    return FALSE;
  if (out->tag != tag) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "logotype DER: %s at offset %" G_GSIZE_FORMAT ": tag 0x%02x, expected 0x%02x", what, off, out->tag, tag);
    return FALSE;
  }
  return TRUE;
}

/* IA5String → NUL-terminated copy; only printable ASCII accepted. */
static char *
ia5_dup(const DerTlv *t, const char *what, GError **error)
{
  if (t->body.len > BIMI_VMC_MAX_LOGO_URI_BYTES) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT,
                "logotype: %s at offset %" G_GSIZE_FORMAT " longer than %u bytes", what, t->offset, BIMI_VMC_MAX_LOGO_URI_BYTES);
    return NULL;
  }
  for (gsize i = 0; i < t->body.len; i++) {
    if (t->body.p[i] < 0x20 || t->body.p[i] > 0x7e) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                  "logotype: %s at offset %" G_GSIZE_FORMAT ": non-printable byte 0x%02x", what, t->offset, t->body.p[i]);
      return NULL;
    }
  }
  return g_strndup((const char *) t->body.p, t->body.len);
}

static const struct {
  const guint8 der[9];
  gsize len;
  BimiLogoHashAlg alg;
} hash_oids[] = {
  { { 0x2b, 0x0e, 0x03, 0x02, 0x1a }, 5, BIMI_LOGO_HASH_SHA1 },                               /* 1.3.14.3.2.26 */
  { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 }, 9, BIMI_LOGO_HASH_SHA256 },     /* 2.16.840.1.101.3.4.2.1 */
  { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 }, 9, BIMI_LOGO_HASH_SHA384 },
  { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 }, 9, BIMI_LOGO_HASH_SHA512 },
};

BIMI_DEFINE_STATIC_FREE_FUNC(BimiLogoHash, logo_hash_free, h)
{
  g_bytes_unref(h->value);
}

BIMI_DEFINE_FREE_FUNC(BimiLogotypeDetails, bimi_vmc__logotype_details_free, d)
{
  g_free(d->media_type);
  g_clear_pointer(&d->hashes, g_ptr_array_unref);
  g_clear_pointer(&d->uris, g_ptr_array_unref);
}

static gboolean
parse_details(DerCursor *c, BimiLogotypeDetails *d, GError **error)
{
  DerTlv mt, hashes, uris;

  if (!der_expect(c, 0x16, "mediaType", &mt, error))
    return FALSE;
  d->media_type = ia5_dup(&mt, "mediaType", error);
  if (d->media_type == NULL)
    return FALSE;
  if (!der_expect(c, 0x30, "logotypeHash", &hashes, error))
    return FALSE;
  while (hashes.body.len > 0) {
    DerTlv hv, alg, oid, val;
    BimiLogoHash *h;

    if (d->hashes->len >= BIMI_VMC_MAX_LOGOTYPE_ITEMS) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT, "logotype: more than %u hashes", BIMI_VMC_MAX_LOGOTYPE_ITEMS);
      return FALSE;
    }
    if (!der_expect(&hashes.body, 0x30, "HashAlgAndValue", &hv, error) ||
        !der_expect(&hv.body, 0x30, "hashAlg", &alg, error) ||
        !der_expect(&alg.body, 0x06, "hashAlg OID", &oid, error) ||
        !der_expect(&hv.body, 0x04, "hashValue", &val, error))
      return FALSE;
    h = g_new0(BimiLogoHash, 1);
    for (gsize i = 0; i < G_N_ELEMENTS(hash_oids); i++)
      if (oid.body.len == hash_oids[i].len && memcmp(oid.body.p, hash_oids[i].der, oid.body.len) == 0)
        h->alg = hash_oids[i].alg;
    h->value = g_bytes_new(val.body.p, val.body.len);
    g_ptr_array_add(d->hashes, h);
  }
  if (d->hashes->len == 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: empty logotypeHash at offset %" G_GSIZE_FORMAT, hashes.offset);
    return FALSE;
  }
  if (!der_expect(c, 0x30, "logotypeURI", &uris, error))
    return FALSE;
  while (uris.body.len > 0) {
    DerTlv u;
    char *s;

    if (d->uris->len >= BIMI_VMC_MAX_LOGOTYPE_ITEMS) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT, "logotype: more than %u URIs", BIMI_VMC_MAX_LOGOTYPE_ITEMS);
      return FALSE;
    }
    if (!der_expect(&uris.body, 0x16, "logotypeURI entry", &u, error))
      return FALSE;
    s = ia5_dup(&u, "logotypeURI", error);
    if (s == NULL)
      return FALSE;
    g_ptr_array_add(d->uris, s);
  }
  if (d->uris->len == 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: empty logotypeURI at offset %" G_GSIZE_FORMAT, uris.offset);
    return FALSE;
  }
  return TRUE;
}

BimiLogotypeDetails *
bimi_vmc__logotype_parse(const guint8 *der, gsize len, GError **error)
{
  DerCursor top = { der, der, len };
  DerTlv extn, t, direct, images, image, details;
  gboolean found = FALSE;
  g_autoptr(BimiLogotypeDetails) d = NULL;

  if (len > BIMI_VMC_MAX_CERT_BYTES) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT, "logotype: extension larger than %u bytes", BIMI_VMC_MAX_CERT_BYTES);
    return NULL;
  }
  if (!der_expect(&top, 0x30, "LogotypeExtn", &extn, error))
    return NULL;
  if (top.len != 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "logotype DER: %" G_GSIZE_FORMAT " trailing bytes after LogotypeExtn", top.len);
    return NULL;
  }
  /* [0] communityLogos, [1] issuerLogo, [2] subjectLogo, [3] otherLogos, in order. */
  while (extn.body.len > 0) {
    if (!der_next(&extn.body, &t, error))
      return NULL;
    if (t.tag == 0xa2) {
      found = TRUE;
      break;
    }
    if (t.tag != 0xa0 && t.tag != 0xa1 && t.tag != 0xa3) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                  "logotype DER: unexpected tag 0x%02x at offset %" G_GSIZE_FORMAT " in LogotypeExtn", t.tag, t.offset);
      return NULL;
    }
  }
  if (!found) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: no subjectLogo");
    return NULL;
  }
  /* subjectLogo [2] EXPLICIT LogotypeInfo; LogotypeInfo ::= CHOICE { direct [0] IMPLICIT LogotypeData, indirect [1] } */
  if (t.body.len > 0 && t.body.p[0] == 0xa1) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "logotype: subjectLogo at offset %" G_GSIZE_FORMAT " is indirect (unsupported by BIMI)", t.offset);
    return NULL;
  }
  if (!der_expect(&t.body, 0xa0, "subjectLogo.direct", &direct, error))
    return NULL;
  /* LogotypeData ::= SEQUENCE { image SEQUENCE OF LogotypeImage OPTIONAL, audio [1] ... OPTIONAL } */
  if (direct.body.len == 0 || direct.body.p[0] != 0x30) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "logotype: subjectLogo at offset %" G_GSIZE_FORMAT " has no image", direct.offset);
    return NULL;
  }
  if (!der_expect(&direct.body, 0x30, "image", &images, error) ||
      !der_expect(&images.body, 0x30, "LogotypeImage", &image, error) ||
      !der_expect(&image.body, 0x30, "imageDetails", &details, error))
    return NULL;
  d = g_new0(BimiLogotypeDetails, 1);
  d->hashes = g_ptr_array_new_with_free_func((GDestroyNotify) logo_hash_free);
  d->uris = g_ptr_array_new_with_free_func(g_free);
  if (!parse_details(&details.body, d, error))
    return NULL;
  if (details.body.len != 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "logotype DER: trailing bytes in imageDetails at offset %" G_GSIZE_FORMAT, details.offset);
    return NULL;
  }
  return g_steal_pointer(&d);
}

/* gunzip with a hard output cap (checked before every append). */
static GBytes *
gunzip_bounded(const guint8 *in, gsize in_len, GError **error)
{
  g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GByteArray) out = g_byte_array_new();
  guint8 buf[4096];
  gsize done = 0;

  for (;;) {
    gsize r = 0, w = 0;
    g_autoptr(GError) local = NULL;
    GConverterResult res = g_converter_convert(G_CONVERTER(z), in + done, in_len - done, buf, sizeof buf,
                                               G_CONVERTER_INPUT_AT_END, &r, &w, &local);
    if (res == G_CONVERTER_ERROR) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: gzip: %s", local->message);
      return NULL;
    }
    done += r;
    if (out->len + w > BIMI_VMC_MAX_SVG_BYTES) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT,
                  "logotype: uncompressed SVG larger than %u bytes", BIMI_VMC_MAX_SVG_BYTES);
      return NULL;
    }
    g_byte_array_append(out, buf, (guint) w);
    if (res == G_CONVERTER_FINISHED)
      break;
    if (r == 0 && w == 0) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: gzip stream truncated");
      return NULL;
    }
  }
  if (done != in_len) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "logotype: %" G_GSIZE_FORMAT " bytes after the gzip stream", in_len - done);
    return NULL;
  }
  return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

GBytes *
bimi_vmc__logo_data_uri_decode(const char *uri, GError **error)
{
  gsize len = strlen(uri), comma, dec_len = 0;
  const char *meta;
  g_autoptr(GBytes) decoded = NULL;
  const guint8 *raw = NULL;
  g_auto(GStrv) params = NULL;
  gboolean base64 = FALSE;

  if (len > BIMI_VMC_MAX_LOGO_URI_BYTES) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT, "logotype: URI longer than %u bytes", BIMI_VMC_MAX_LOGO_URI_BYTES);
    return NULL;
  }
  if (len < 5 || g_ascii_strncasecmp(uri, "data:", 5) != 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: URI is not a data: URI");
    return NULL;
  }
  meta = uri + 5;
  for (comma = 0; meta[comma] != '\0' && meta[comma] != ','; comma++)
    ;
  if (meta[comma] != ',') {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: data: URI without ','");
    return NULL;
  }
  {
    g_autofree char *m = g_strndup(meta, comma);
    params = g_strsplit(m, ";", -1);
  }
  if (params[0] == NULL || g_ascii_strcasecmp(g_strstrip(params[0]), "image/svg+xml") != 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: data: URI media type is not image/svg+xml");
    return NULL;
  }
  for (guint i = 1; params[i] != NULL; i++)
    if (g_ascii_strcasecmp(g_strstrip(params[i]), "base64") == 0)
      base64 = TRUE;
  if (!base64) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype: data: URI is not base64-encoded");
    return NULL;
  }
  {
    /* Strict base64 (RFC 2397 §3, RFC 4648 §4); the decoded bytes are never
     * more than the URI's, which BIMI_VMC_MAX_LOGO_URI_BYTES bounds. */
    const char *b = meta + comma + 1;
    gsize blen = strlen(b);
    BimiBase64Error e;
    decoded = bimi_base64_decode(b, blen, blen, BIMI_BASE64_STRICT, &e);
    if (decoded == NULL && e.status == BIMI_BASE64_BAD_CHAR) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                  "logotype: data: URI byte %" G_GSIZE_FORMAT " is not base64", (gsize) (b - uri) + e.offset);
      return NULL;
    }
    if (decoded == NULL) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                  "logotype: data: URI is not valid base64 (length %" G_GSIZE_FORMAT ")", blen);
      return NULL;
    }
    raw = g_bytes_get_data(decoded, &dec_len);
  }
  if (dec_len >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
    return gunzip_bounded(raw, dec_len, error);
  if (dec_len > BIMI_VMC_MAX_SVG_BYTES) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT, "logotype: SVG larger than %u bytes", BIMI_VMC_MAX_SVG_BYTES);
    return NULL;
  }
  return g_steal_pointer(&decoded);
}
