/* engine/dmarc-dns.c — bimi_dmarc_evaluate(): the DMARC evaluator over engine/dns.
 *
 * Only adapts BimiDnsAnswer to what the evaluator needs (RFC 9989 §4.10,
 * RFC 7489 §6.6.3 distinguish NOERROR, NODATA/NXDOMAIN and temporary
 * failures; TXT character-strings are joined without separator, RFC 7489
 * §6.6.3 / RFC 7208 §3.3). Kept apart from dmarc.c so programs that use the
 * evaluator through another lookup function do not link the resolver.
 */
#include "engine/dmarc.h"
#include "engine/dmarc-private.h"

static gboolean
resolver_lookup(gpointer user_data, const char *name, BimiDnsType type, BimiDmarcDnsReply *out, GError **error)
{
  BimiDnsResolver *resolver = user_data;
  g_autoptr(GError) local = NULL;
  /* A name the resolver refuses cannot hold a record: NXDOMAIN. */
  g_autoptr(BimiDnsAnswer) answer = bimi_dns_lookup_record(resolver, name, type, NULL, &local);

  if (answer == NULL) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  out->status = answer->status;
  out->detail = g_strdup(answer->detail);
  out->ttl = answer->ttl;
  if (answer->status == BIMI_DNS_NOERROR && answer->records != NULL) {
    guint kept = 0;
    for (guint i = 0; i < answer->records->len; i++) {
      const BimiDnsRecord *rr = g_ptr_array_index(answer->records, i);
      if (rr->type != type)
        continue;
      kept++;
      if (type == BIMI_DNS_TYPE_TXT && rr->text != NULL) {
        if (out->texts == NULL)
          out->texts = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
        g_ptr_array_add(out->texts, g_bytes_ref(rr->text));
      }
    }
    if (kept == 0)
      out->status = BIMI_DNS_NODATA;
  }
  return TRUE;
}

BimiDmarcEvaluation *
bimi_dmarc_evaluate(BimiDnsResolver *resolver, const BimiDmarcOptions *options, const BimiDmarcInput *input,
                    GError **error)
{
  g_return_val_if_fail(resolver != NULL, NULL);
  return bimi_dmarc__evaluate_with_lookup(resolver_lookup, resolver, options, input, error);
}
