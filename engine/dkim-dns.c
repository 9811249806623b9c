/* engine/dkim-dns.c — the DNS key fetcher of engine/dkim (RFC 6376 §3.6.2, §6.1.2).
 *
 * A TXT query for <selector>._domainkey.<domain>; each record's character-
 * strings are joined (§3.6.2.2, engine/dns does it). NXDOMAIN and NODATA mean
 * "no key" (permerror, §6.1.2 step 3); SERVFAIL and timeouts are temperror.
 * Kept apart from dkim.c so that programs verifying with their own fetcher
 * (tests, fuzzers) do not link the resolver.
 */
#include "engine/dkim.h"

BimiDkimKeyStatus
bimi_dkim_key_fetch_dns(const char *qname, GPtrArray **out_records, char **out_detail, guint32 *out_ttl,
                        gpointer user_data)
{
  BimiDnsResolver *resolver = user_data;
  g_autoptr(GError) local = NULL;
  g_autoptr(BimiDnsAnswer) answer = bimi_dns_lookup_record(resolver, qname, BIMI_DNS_TYPE_TXT, NULL, &local);

  *out_records = NULL;
  if (answer == NULL) {
    if (out_detail != NULL)
      *out_detail = g_strdup(local->message);
    return BIMI_DKIM_KEY_TEMPERROR;
  }
  switch (answer->status) {
  case BIMI_DNS_NXDOMAIN:
  case BIMI_DNS_NODATA:
    return BIMI_DKIM_KEY_NONE;
  case BIMI_DNS_TEMPERROR:
    if (out_detail != NULL)
      *out_detail = g_strdup(answer->detail ? answer->detail : "temporary DNS error");
    return BIMI_DKIM_KEY_TEMPERROR;
  case BIMI_DNS_NOERROR:
    break;
  }
  GPtrArray *records = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < answer->records->len; i++) {
    const BimiDnsRecord *r = g_ptr_array_index(answer->records, i);
    if (r->type == BIMI_DNS_TYPE_TXT && r->text != NULL)
      g_ptr_array_add(records, g_bytes_ref(r->text));
  }
  *out_records = records;
  *out_ttl = answer->ttl;
  return BIMI_DKIM_KEY_FOUND;
}
