/* engine/vmc-pem.c — the Evidence Document's PEM chain loader.
 *
 * RFC 7468 §2/§5 (textual encoding of certificates): "-----BEGIN CERTIFICATE-----"
 * ... base64 ... "-----END CERTIFICATE-----", explanatory text between blocks
 * ignored. draft-fetch-validation-vmc-wchuang-11 §"VMC Evidence Document":
 * the document is a PEM chain, leaf first. Deliberate deviations: lax base64
 * (whitespace inside lines tolerated, as RFC 7468 §3 "lax" parsers do);
 * a block of another label (a private key, a CRL) is refused, since an
 * Evidence Document must hold certificates only.
 */
#include "engine/vmc.h"
#include "engine/vmc-private.h"
#include "engine/limits.h"
#include "engine/base/base-base64.h"

#include <string.h>
#include <openssl/x509.h>

static const char pem_begin[] = "-----BEGIN ";
static const char pem_begin_cert[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end_cert[] = "-----END CERTIFICATE-----";

static gboolean
line_has_prefix(const guint8 *line, gsize n, const char *prefix)
{
  gsize pl = strlen(prefix);
  return n >= pl && memcmp(line, prefix, pl) == 0;
}

/* Trailing whitespace trimmed length. */
static gsize
rtrim(const guint8 *line, gsize n)
{
  while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
    n--;
  return n;
}

static void
x509_free_cb(gpointer p)
{
  X509_free(p);
}

GPtrArray *
bimi_vmc__pem_chain_parse(const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func(x509_free_cb);
  g_autoptr(GString) b64 = NULL; /* the block's base64, blanks removed */
  gsize pos = 0, lineno = 0, block_line = 0;
  gboolean in_block = FALSE;

  if (len > BIMI_VMC_MAX_PEM_BYTES) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT,
                "PEM document of %" G_GSIZE_FORMAT " bytes exceeds %u", len, BIMI_VMC_MAX_PEM_BYTES);
    return NULL;
  }
  while (pos < len) {
    const guint8 *line = data + pos;
    const guint8 *nl = memchr(line, '\n', len - pos);
    gsize n = nl ? (gsize) (nl - line) : len - pos;

    pos += n + (nl ? 1 : 0);
    lineno++;
    if (n > BIMI_VMC_MAX_PEM_LINE_BYTES) {
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT,
                  "line %" G_GSIZE_FORMAT ": longer than %u bytes", lineno, BIMI_VMC_MAX_PEM_LINE_BYTES);
      return NULL;
    }
    n = rtrim(line, n);
    if (!in_block) {
      if (n == strlen(pem_begin_cert) && line_has_prefix(line, n, pem_begin_cert)) {
        if (certs->len >= BIMI_VMC_MAX_CHAIN_CERTS) {
          g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT,
                      "line %" G_GSIZE_FORMAT ": more than %u certificates", lineno, BIMI_VMC_MAX_CHAIN_CERTS);
          return NULL;
        }
        in_block = TRUE;
        block_line = lineno;
        b64 = g_string_new(NULL);
      } else if (line_has_prefix(line, n, pem_begin)) {
        g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                    "line %" G_GSIZE_FORMAT ": a PEM block that is not a CERTIFICATE", lineno);
        return NULL;
      }
      continue;
    }
    if (line_has_prefix(line, n, "-----")) {
      const unsigned char *p;
      const guint8 *der_data;
      gsize der_len;
      BimiBase64Error e;
      g_autoptr(GBytes) der = NULL;
      X509 *x;

      if (n != strlen(pem_end_cert) || !line_has_prefix(line, n, pem_end_cert)) {
        g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                    "line %" G_GSIZE_FORMAT ": expected '%s'", lineno, pem_end_cert);
        return NULL;
      }
      if (b64->len % 4 != 0) {
        g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                    "certificate at line %" G_GSIZE_FORMAT ": base64 not padded to a multiple of 4", block_line);
        return NULL;
      }
      der = bimi_base64_decode(b64->str, b64->len, BIMI_VMC_MAX_CERT_BYTES, BIMI_BASE64_STRICT, &e);
      if (der == NULL) {
        g_set_error(error, BIMI_VMC_ERROR, e.status == BIMI_BASE64_TOO_LONG ? BIMI_VMC_ERROR_LIMIT : BIMI_VMC_ERROR_PARSE,
                    "certificate at line %" G_GSIZE_FORMAT ": %s", block_line,
                    e.status == BIMI_BASE64_TOO_LONG ? "larger than the certificate limit" : "'=' inside base64 data");
        return NULL;
      }
      der_data = g_bytes_get_data(der, &der_len);
      p = der_data;
      x = d2i_X509(NULL, &p, (long) der_len);
      if (x == NULL || p != der_data + der_len) {
        X509_free(x);
        g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                    "certificate at line %" G_GSIZE_FORMAT ": not a DER X.509 certificate", block_line);
        return NULL;
      }
      g_ptr_array_add(certs, x);
      g_string_free(g_steal_pointer(&b64), TRUE);
      in_block = FALSE;
      continue;
    }
    /* Base64 body line: only the alphabet, '=' and blanks. */
    {
      gsize chars = 0;
      char clean[BIMI_VMC_MAX_PEM_LINE_BYTES];

      for (gsize i = 0; i < n; i++) {
        guint8 c = line[i];
        if (c == ' ' || c == '\t')
          continue;
        if (!bimi_base64_is_alphabet(c) && c != '=') {
          g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                      "line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT ": not base64 (0x%02x)", lineno, i + 1, c);
          return NULL;
        }
        clean[chars++] = (char) c;
      }
      /* '=' only as padding: the block ends at the next quantum boundary. */
      for (gsize i = 0; i < chars; i++) {
        if (clean[i] == '=' && i + 1 < chars && clean[i + 1] != '=') {
          g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                      "line %" G_GSIZE_FORMAT ": '=' inside base64 data", lineno);
          return NULL;
        }
      }
      if (b64->len / 4 * 3 + chars > BIMI_VMC_MAX_CERT_BYTES) {
        g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT,
                    "certificate at line %" G_GSIZE_FORMAT ": larger than %u bytes", block_line, BIMI_VMC_MAX_CERT_BYTES);
        return NULL;
      }
      g_string_append_len(b64, clean, (gssize) chars);
    }
  }
  if (in_block) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                "certificate at line %" G_GSIZE_FORMAT ": no END line", block_line);
    return NULL;
  }
  if (certs->len == 0) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "no certificate in the document");
    return NULL;
  }
  return g_steal_pointer(&certs);
}
