/* bench/dkim-corpus.c — verifies every message of a DKIM corpus in one
 * process, as a receiving MX does; run by bench/dkim-corpus.sh.
 *
 *   dkim-corpus FORWARDER FILE...
 *
 * Keys come from DNS through engine/dns with FORWARDER ("ADDR@PORT", the
 * corpus's nsd on loopback) and, as in bimi-fcgi, through one
 * BimiDkimKeyCache (decoded keys kept for their TTL). Each file is read,
 * parsed (bimi_message_parse) and verified (bimi_dkim_verify) in turn; the
 * clock is pinned to the corpus's signing time. Prints one line:
 *   messages N signatures S pass P fail F other O
 * and exits 1 when a signature does not pass (the corpus is all good).
 */
#include "engine/dkim.h"
#include "engine/dns.h"
#include "engine/limits.h"
#include "engine/message.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: dkim-corpus FORWARDER FILE...\n");
    return 2;
  }
  const char *forwarders[] = { argv[1], NULL };
  BimiDnsConfig cfg = { .forwarders = forwarders, .timeout_ms = 4000 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) resolver = bimi_dns_resolver_new(&cfg, &error);
  if (resolver == NULL) {
    fprintf(stderr, "dkim-corpus: %s\n", error->message);
    return 2;
  }
  BimiDkimOptions o = { .now = 1700000100, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = resolver };
#ifdef BIMI_DKIM_KEY_CACHE_MAX_ENTRIES
  g_autoptr(BimiDkimKeyCache) cache = bimi_dkim_key_cache_new(0);
  o.key_cache = cache;
#endif
  guint64 n_sigs = 0, n_pass = 0, n_fail = 0, n_other = 0;
  for (int i = 2; i < argc; i++) {
    char *data;
    gsize len;
    if (!g_file_get_contents(argv[i], &data, &len, &error)) {
      fprintf(stderr, "dkim-corpus: %s\n", error->message);
      return 2;
    }
    g_autoptr(GBytes) raw = g_bytes_new_take(data, len);
    g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
    g_autoptr(GPtrArray) r = msg != NULL ? bimi_dkim_verify(msg, &o, &error) : NULL;
    if (r == NULL) {
      fprintf(stderr, "dkim-corpus: %s: %s\n", argv[i], error->message);
      return 2;
    }
    for (guint j = 0; j < r->len; j++) {
      const BimiDkimSignature *s = g_ptr_array_index(r, j);
      n_sigs++;
      if (s->result == BIMI_DKIM_RESULT_PASS)
        n_pass++;
      else if (s->result == BIMI_DKIM_RESULT_FAIL)
        n_fail++;
      else
        n_other++;
      if (s->result != BIMI_DKIM_RESULT_PASS)
        fprintf(stderr, "dkim-corpus: %s: signature %u: %s (%s)\n", argv[i], j + 1,
                bimi_dkim_result_to_string(s->result), s->reason);
    }
  }
  printf("messages %d signatures %" G_GUINT64_FORMAT " pass %" G_GUINT64_FORMAT " fail %" G_GUINT64_FORMAT
         " other %" G_GUINT64_FORMAT "\n",
         argc - 2, n_sigs, n_pass, n_fail, n_other);
  return n_pass == n_sigs ? 0 : 1;
}
