/* engine/base/base-der.c — one DER TLV (X.690 §8.1.2 identifier, §8.1.3
 * definite length; §10.1 DER: definite form only). */
#include "engine/base/base-der.h"

static gboolean
der_fail(BimiDerStatus *status, BimiDerStatus what)
{
  if (status != NULL)
    *status = what;
  return FALSE;
}

gboolean
bimi_der_read_tlv(const guint8 *p, gsize len, guint max_len_octets, BimiDerTlv *out, BimiDerStatus *status)
{
  gsize n, hdr = 2;

  g_return_val_if_fail((p != NULL || len == 0) && out != NULL && max_len_octets <= sizeof(gsize), FALSE);
  if (len < 2)
    return der_fail(status, BIMI_DER_TRUNCATED);
  if ((p[0] & 0x1f) == 0x1f)
    return der_fail(status, BIMI_DER_MULTIBYTE_TAG);
  n = p[1];
  if (n & 0x80) {
    gsize k = n & 0x7f;
    if (k == 0 || k > max_len_octets)
      return der_fail(status, BIMI_DER_LENGTH_FORM);
    if (len < 2 + k)
      return der_fail(status, BIMI_DER_TRUNCATED_LENGTH);
    n = 0;
    for (gsize i = 0; i < k; i++)
      n = (n << 8) | p[2 + i];
    hdr += k;
  }
  out->tag = p[0];
  out->header_len = hdr;
  out->body_len = n;
  if (n > len - hdr)
    return der_fail(status, BIMI_DER_OVERRUN);
  if (status != NULL)
    *status = BIMI_DER_OK;
  return TRUE;
}
