/* engine/vmc-sct.c — the SignedCertificateTimestampList (RFC 6962 §3.3) parser.
 *
 * RFC 6962 §3.2 SCT structure (TLS presentation language, RFC 5246 §4):
 *   opaque SerializedSCT<1..2^16-1>; SerializedSCT sct_list<1..2^16-1>;
 *   struct { Version sct_version; LogID id; uint64 timestamp;
 *            CtExtensions extensions<0..2^16-1>; digitally-signed struct {...} }
 * Structure only: signature verification is OpenSSL's CT API (engine/vmc.c),
 * which re-parses the same bytes. This parser exists to bound and report
 * malformed lists precisely, and is what the fuzz target exercises.
 */
#include "engine/vmc.h"
#include "engine/base/base-mem.h"
#include "engine/vmc-private.h"
#include "engine/limits.h"

#include <string.h>

BIMI_DEFINE_FREE_FUNC(BimiSct, bimi_vmc__sct_free, sct)
{
  g_bytes_unref(sct->raw);
}

static gboolean
rd_u16(const guint8 *p, gsize len, gsize *pos, gsize *out)
{
  if (len - *pos < 2)
    return FALSE;
  *out = ((gsize) p[*pos] << 8) | p[*pos + 1];
  *pos += 2;
  return TRUE;
}

static gboolean
parse_one(const guint8 *p, gsize len, gsize base, BimiSct *s, GError **error)
{
  gsize pos = 0;

  s->version = p[0];
  if (s->version != 0)
    return TRUE; /* unknown version: kept opaque (RFC 6962 §3.2) */
  if (len < 1 + 32 + 8) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "SCT at offset %" G_GSIZE_FORMAT ": truncated header", base);
    return FALSE;
  }
  pos = 1;
  memcpy(s->log_id, p + pos, 32);
  pos += 32;
  s->timestamp_ms = 0;
  for (int i = 0; i < 8; i++)
    s->timestamp_ms = (s->timestamp_ms << 8) | p[pos + (gsize) i];
  pos += 8;
  if (!rd_u16(p, len, &pos, &s->extensions_len) || len - pos < s->extensions_len) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "SCT at offset %" G_GSIZE_FORMAT ": truncated extensions", base);
    return FALSE;
  }
  pos += s->extensions_len;
  if (len - pos < 2) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "SCT at offset %" G_GSIZE_FORMAT ": truncated signature algorithm", base);
    return FALSE;
  }
  s->hash_alg = p[pos];
  s->sig_alg = p[pos + 1];
  pos += 2;
  if (!rd_u16(p, len, &pos, &s->signature_len) || len - pos != s->signature_len || s->signature_len == 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "SCT at offset %" G_GSIZE_FORMAT ": signature length does not match the SCT length", base);
    return FALSE;
  }
  return TRUE;
}

GPtrArray *
bimi_vmc__sct_list_parse(const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_vmc__sct_free);
  gsize pos = 0, total = 0;

  if (!rd_u16(data, len, &pos, &total) || total != len - 2) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "SCT list: length prefix does not match the %" G_GSIZE_FORMAT " bytes present", len);
    return NULL;
  }
  while (pos < len) {
    gsize n = 0, start;
    BimiSct *s;

    if (out->len >= BIMI_VMC_MAX_SCTS) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT, "SCT list: more than %u SCTs", BIMI_VMC_MAX_SCTS);
      return NULL;
    }
    if (!rd_u16(data, len, &pos, &n) || n == 0 || len - pos < n) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "SCT list: bad SCT length at offset %" G_GSIZE_FORMAT, pos);
      return NULL;
    }
    start = pos;
    s = g_new0(BimiSct, 1);
    s->raw = g_bytes_new(data + start, n);
    g_ptr_array_add(out, s);
    if (!parse_one(data + start, n, start, s, error))
      return NULL;
    pos += n;
  }
  return g_steal_pointer(&out);
}

GPtrArray *
bimi_vmc__sct_list_from_extension(const guint8 *data, gsize len, GError **error)
{
  gsize n, hdr = 2;

  /* extnValue holds a DER OCTET STRING whose contents are the TLS list (RFC 6962 §3.3). */
  if (len < 2 || data[0] != 0x04) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "SCT extension: not an OCTET STRING");
    return NULL;
  }
  n = data[1];
  if (n == 0x81 || n == 0x82) {
    gsize k = n & 0x7f;
    if (len < 2 + k) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "SCT extension: truncated length");
      return NULL;
    }
    n = k == 1 ? data[2] : (((gsize) data[2] << 8) | data[3]);
    hdr += k;
  } else if (n & 0x80) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "SCT extension: unsupported length form");
    return NULL;
  }
  if (n != len - hdr) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "SCT extension: OCTET STRING length mismatch");
    return NULL;
  }
  return bimi_vmc__sct_list_parse(data + hdr, n, error);
}
