/* fuzz/fuzz-dmarc.c — libFuzzer target for the DMARC record parser
 * (engine/dmarc-record.c, RFC 9989 §4.7, RFC 7489 §6.3-6.4).
 *
 * Parses the input in both modes and checks the promises of dmarc.h for
 * every record that parses: enums in range, pct 0..100, at most
 * BIMI_DMARC_MAX_REPORT_URIS URIs each, RFC 9989 mode reports no pct/rf/ri,
 * RFC 7489 mode no np/psd/t, errors only from BIMI_DMARC_ERROR. Then it runs
 * the evaluator against an in-memory zone whose "_dmarc" records are the
 * input, so discovery, the tree walk, alignment and the JSON object see the
 * hostile bytes too.
 * Any breach aborts.
 */
#include "engine/dmarc-private.h"
#include "engine/dmarc.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_record(const BimiDmarcRecord *r, BimiDmarcMode mode)
{
  if (r->mode != mode || r->p > BIMI_DMARC_POLICY_REJECT || r->sp > BIMI_DMARC_POLICY_REJECT ||
      r->np > BIMI_DMARC_POLICY_REJECT || r->psd > BIMI_DMARC_PSD_N || r->adkim > BIMI_DMARC_ALIGN_STRICT ||
      r->aspf > BIMI_DMARC_ALIGN_STRICT || r->pct > 100 || r->fo == NULL || r->rua == NULL ||
      r->ruf == NULL || r->warnings == NULL)
    abort();
  if (g_strv_length(r->rua) > BIMI_DMARC_MAX_REPORT_URIS || g_strv_length(r->ruf) > BIMI_DMARC_MAX_REPORT_URIS)
    abort();
  if (mode == BIMI_DMARC_MODE_RFC9989 && (r->pct != 100 || r->rf != NULL || r->ri != 0))
    abort();
  if (mode == BIMI_DMARC_MODE_RFC7489 && (r->has_np || r->psd != BIMI_DMARC_PSD_U || r->testing || r->rf == NULL))
    abort();
  if (r->has_sp && r->sp_invalid)
    abort();
}

/* Every "_dmarc" name answers the fuzz input (split at NUL bytes into several
 * TXT records); "*.timeout" names time out; everything else is NXDOMAIN. */
static gboolean
fuzz_lookup(gpointer user_data, const char *name, BimiDnsType type, BimiDmarcDnsReply *out, GError **error)
{
  GBytes *input = user_data;
  gsize len = 0;
  const char *p = g_bytes_get_data(input, &len);
  (void) error;

  if (g_str_has_suffix(name, ".timeout")) {
    out->status = BIMI_DNS_TEMPERROR;
    out->detail = g_strdup("timeout");
    return TRUE;
  }
  if (type != BIMI_DNS_TYPE_TXT || !g_str_has_prefix(name, "_dmarc.")) {
    out->status = BIMI_DNS_NXDOMAIN;
    return TRUE;
  }
  out->status = BIMI_DNS_NOERROR;
  out->texts = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  while (len > 0 && out->texts->len < 4) {
    const char *nul = memchr(p, '\0', len);
    gsize n = nul != NULL ? (gsize) (nul - p) : len;
    g_ptr_array_add(out->texts, g_bytes_new(p, n));
    if (nul == NULL)
      break;
    p += n + 1;
    len -= n + 1;
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *in = (const char *) data;
  g_autoptr(GBytes) bytes = g_bytes_new(data, size);
  const BimiDmarcDkimInput dkim[] = {
    { "mail.example.com", BIMI_DMARC_AUTH_PASS },
    { "a.b.c.d.e.f.g.h.i.example.com", BIMI_DMARC_AUTH_PASS },
  };

  for (int m = 0; m < 2; m++) {
    BimiDmarcMode mode = m == 0 ? BIMI_DMARC_MODE_RFC9989 : BIMI_DMARC_MODE_RFC7489;
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDmarcRecord) r = bimi_dmarc_record_parse(in, size, mode, &error);
    if (r == NULL) {
      fuzz_expect_error(error, BIMI_DMARC_ERROR);
    } else {
      if (error != NULL)
        abort();
      check_record(r, mode);
    }
  }
  if (size > BIMI_DMARC_MAX_RECORD_BYTES)
    return 0;
  for (int m = 0; m < 2; m++) {
    BimiDmarcOptions options = { .mode = m == 0 ? BIMI_DMARC_MODE_RFC9989 : BIMI_DMARC_MODE_RFC7489 };
    BimiDmarcInput input = {
      .author_domain = "news.sub.example.com",
      .spf_mail_from_domain = "x.timeout",
      .spf_mail_from_result = BIMI_DMARC_AUTH_PASS,
      .dkim = dkim,
      .n_dkim = G_N_ELEMENTS(dkim),
      .message_id = "<1@example.com>",
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDmarcEvaluation) ev = bimi_dmarc__evaluate_with_lookup(fuzz_lookup, bytes, &options, &input, &error);
    if (ev == NULL || error != NULL || ev->result > BIMI_DMARC_RESULT_PERMERROR || ev->reason == NULL)
      abort();
    if (ev->has_policy != (ev->record != NULL))
      abort();
    if (ev->result == BIMI_DMARC_RESULT_PASS && ev->disposition != BIMI_DMARC_POLICY_NONE)
      abort();
    /* The JSON object must serialize (warnings quote hostile bytes). */
    g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
    bimi_dmarc_evaluation_build_json(ev, b);
    g_autoptr(JsonNode) root = bimi_json_writer_get_node(b);
    if (root == NULL)
      abort();
    g_autofree char *json = json_to_string(root, FALSE);
    if (json == NULL || json[0] != '{')
      abort();
  }
  return 0;
}
