/* fuzz/fuzz-dkim-signature.c — libFuzzer target for the DKIM-Signature parser
 * (RFC 6376 §3.5) and the verifier around it (§5.4.2, §3.7, §6.1).
 *
 * 1. bimi_dkim__sig_parse() on the input as a field value; for a value that
 *    parses, checks the promises of dkim-private.h: b= range inside the
 *    input and starting after '=', lower-case d=, i= domain within d=,
 *    h= bounded and containing from, decoded sizes bounded.
 * 2. The input as the value of a DKIM-Signature field of a small message,
 *    verified with fixed keys (the RFC 8463 Ed25519 and RSA keys), so that
 *    header selection, b= deletion and canonicalization run on hostile
 *    tags. The result must be a valid enum with a reason; pass is impossible
 *    without the private keys, so a pass aborts.
 * 3. The input as a folded base64 value (b=, bh=): bimi_base64_decode_to()
 *    skipping FWS in place must agree with stripping the FWS first and
 *    decoding that (same bytes, or the same error at the same offset), and
 *    what decodes must be what GLib's decoder makes of the padded text.
 */
#include "engine/base/base-base64.h"
#include "engine/dkim-private.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const ed_key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char *const rsa_key =
  "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0"
  "Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

static BimiDkimKeyStatus
fetch(const char *qname, GPtrArray **out, char **detail, guint32 *ttl, gpointer data)
{
  (void) data;
  if (g_str_has_prefix(qname, "temp"))
    return BIMI_DKIM_KEY_TEMPERROR;
  if (g_str_has_prefix(qname, "none"))
    return BIMI_DKIM_KEY_NONE;
  *out = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  const char *k = g_str_has_prefix(qname, "brisbane") ? ed_key : rsa_key;
  g_ptr_array_add(*out, g_bytes_new_static(k, strlen(k)));
  (void) detail;
  return BIMI_DKIM_KEY_FOUND;
}

/* Step 3 of the header comment. */
static void
check_base64(const char *in, size_t size)
{
  if (size > 4096)
    return;
  g_autofree char *stripped = g_malloc(size + 4);
  gsize n = 0;
  for (size_t i = 0; i < size; i++) {
    if (in[i] != ' ' && in[i] != '\t' && in[i] != '\r' && in[i] != '\n')
      stripped[n++] = in[i];
  }
  guint8 out[512];
  gsize out_len = 0;
  BimiBase64Error e1 = { 0 }, e2 = { 0 };
  gboolean ok = bimi_base64_decode_to(in, size, BIMI_BASE64_SKIP_FWS, out, sizeof out, &out_len, &e1);
  g_autoptr(GBytes) ref = bimi_base64_decode(stripped, n, sizeof out, BIMI_BASE64_STRICT, &e2);
  if (ok != (ref != NULL))
    abort();
  if (!ok) {
    if (e1.status != e2.status || (e1.status == BIMI_BASE64_BAD_CHAR && e1.offset != e2.offset) ||
        (e1.status == BIMI_BASE64_TOO_LONG && e1.out_len != e2.out_len))
      abort();
    return;
  }
  if (g_bytes_get_size(ref) != out_len || memcmp(g_bytes_get_data(ref, NULL), out, out_len) != 0)
    abort();
  /* GLib's decoder on the text padded to whole quanta */
  while (n % 4 != 0)
    stripped[n++] = '=';
  stripped[n] = '\0';
  gsize glen = 0;
  g_autofree guchar *g = n > 0 ? g_base64_decode(stripped, &glen) : NULL;
  if (glen != out_len || (out_len > 0 && memcmp(g, out, out_len) != 0))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_base64((const char *) data, size);
  const char *in = (const char *) data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDkimSigParams) p = bimi_dkim__sig_parse(in, size, &error);
  if (p == NULL) {
    fuzz_expect_error(error, BIMI_DKIM_ERROR);
  } else {
    if (p->b_raw_offset == 0 || p->b_raw_offset + p->b_raw_len > size || in[p->b_raw_offset - 1] != '=')
      abort();
    for (const char *c = p->domain; *c; c++)
      if (g_ascii_isupper(*c))
        abort();
    gsize il = strlen(p->identity_domain), dl = strlen(p->domain);
    if (il < dl || strcmp(p->identity_domain + il - dl, p->domain) != 0)
      abort();
    guint n = g_strv_length(p->signed_headers);
    if (n == 0 || n > BIMI_DKIM_MAX_SIGNED_HEADERS)
      abort();
    if (p->b_len == 0 || p->b_len > sizeof p->b || p->bh_len == 0 || p->bh_len > sizeof p->bh)
      abort();
  }

  if (size > 8192)
    return 0;
  g_autoptr(GString) msg = g_string_new("DKIM-Signature:");
  g_string_append_len(msg, in, (gssize) size);
  g_string_append(msg, "\r\nFrom: Joe <joe@football.example.com>\r\nSubject: hi\r\nSubject: again\r\n\r\nBody \r\n\r\n");
  g_autoptr(GBytes) raw = g_bytes_new(msg->str, msg->len);
  g_autoptr(BimiMessage) m = bimi_message_parse(raw, NULL);
  if (m == NULL)
    return 0;
  BimiDkimOptions o = { .now = 1528637909, .key_fetch = fetch };
  g_autoptr(GPtrArray) res = bimi_dkim_verify(m, &o, &error);
  if (res == NULL)
    abort(); /* only OpenSSL breakage can stop an evaluation */
  for (guint i = 0; i < res->len; i++) {
    const BimiDkimSignature *s = g_ptr_array_index(res, i);
    if (s->reason == NULL || s->result > BIMI_DKIM_RESULT_POLICY || s->result == BIMI_DKIM_RESULT_PASS)
      abort();
  }
  return 0;
}
