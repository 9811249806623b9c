/* fuzz/fuzz-dns-cache.c — libFuzzer target for engine/dns-cache.c: the answer cache
 * driven by a fuzzed stream of operations on names and RDATA taken from the input
 * (the wire bytes a DNS server controls), with a small cache so that eviction runs.
 *
 * Operations, one byte each then their arguments:
 *   0 insert: TTL (1 byte, seconds), status (1 byte mod 4), type (1 byte: A or TXT),
 *     RDATA length (1 byte) and RDATA, then a wire name (RFC 1035 §3.1)
 *   1 lookup: type, wire name
 *   2 advance the clock by one byte of seconds
 *   3 clear
 * Invariants (RFC 2308 §5, §7; the cache's bounds): a hit is never a temperror, has a
 * TTL above 0 and the type asked; after the clock moved past the largest TTL (255 s)
 * every lookup misses; the entry and byte counts never exceed the bounds. */
#include "engine/dns-private.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

#define MAX_ENTRIES 64u  /* 4 per stripe: eviction is reached */
#define MAX_BYTES (64u * 1024u)

typedef struct {
  const uint8_t *p;
  size_t left;
} Input;

static gboolean
take(Input *in, size_t n, const uint8_t **out)
{
  if (in->left < n)
    return FALSE;
  *out = in->p;
  in->p += n;
  in->left -= n;
  return TRUE;
}

static gboolean
take_name(Input *in, BimiDnsName *name)
{
  gsize used = 0;
  if (!bimi_dns__name_from_wire(in->p, in->left, &used, name) || used == 0 || used > in->left)
    return FALSE;
  in->p += used;
  in->left -= used;
  return TRUE;
}

static BimiDnsType
type_of(uint8_t b)
{
  return (b & 1) ? BIMI_DNS_TYPE_TXT : BIMI_DNS_TYPE_A;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(BimiDnsCache) cache = bimi_dns__cache_new(MAX_ENTRIES, MAX_BYTES);
  Input in = { data, size };
  gint64 now = G_GINT64_CONSTANT(1000000000) * G_USEC_PER_SEC / 1000;
  gint64 last_insert = now;
  const uint8_t *op;

  while (take(&in, 1, &op)) {
    const uint8_t *a = NULL;
    BimiDnsName name;
    BimiDnsCacheStats st;

    switch (*op & 3) {
    case 0: {
      const uint8_t *rdata;
      g_autoptr(BimiDnsAnswer) answer = NULL;
      if (!take(&in, 4, &a) || !take(&in, a[3], &rdata) || !take_name(&in, &name))
        return 0;
      answer = g_new0(BimiDnsAnswer, 1);
      answer->qname = bimi_dns__name_to_text(&name, 0);
      answer->type = type_of(a[2]);
      answer->status = (BimiDnsStatus) (a[1] % 4);
      answer->ttl = a[0];
      answer->records = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_dns__record_free);
      if (answer->status == BIMI_DNS_NOERROR) {
        BimiDnsRecord *rec = bimi_dns__record_from_rdata(answer->type, answer->ttl, rdata, a[3], NULL);
        if (rec == NULL)
          answer->status = BIMI_DNS_NODATA;
        else
          g_ptr_array_add(answer->records, rec);
      }
      bimi_dns__cache_insert(cache, &name, answer, now);
      last_insert = now;
      break;
    }
    case 1: {
      g_autoptr(BimiDnsAnswer) hit = NULL;
      BimiDnsType type;
      if (!take(&in, 1, &a) || !take_name(&in, &name))
        return 0;
      type = type_of(a[0]);
      hit = bimi_dns__cache_lookup(cache, &name, type, now);
      if (hit != NULL) {
        if (hit->status == BIMI_DNS_TEMPERROR || hit->ttl == 0 || hit->type != type)
          __builtin_trap();
        if (now - last_insert > 255 * G_USEC_PER_SEC)
          __builtin_trap();
      }
      if (bimi_dns__cache_contains(cache, &name, type, now) != (hit != NULL))
        __builtin_trap();
      break;
    }
    case 2:
      if (!take(&in, 1, &a))
        return 0;
      now += (gint64) a[0] * 2 * G_USEC_PER_SEC;
      break;
    default:
      bimi_dns__cache_clear(cache);
      break;
    }
    bimi_dns__cache_get_stats(cache, &st);
    if (st.entries > MAX_ENTRIES || st.bytes > MAX_BYTES)
      __builtin_trap();
  }
  return 0;
}
