/* fuzz/fuzz-cache-redis.c — libFuzzer target for cache/redis.c: the record-cache
 * entry codec (bytes another process wrote into the shared Redis) and the
 * redis_url parser.
 *
 * An entry that decodes must encode back to exactly the same bytes (the
 * header has one spelling) and keep stored <= expires <= stale; a value
 * decoded never exceeds BIMI_CACHE_MAX_VALUE_BYTES. A URL that parses names
 * either a unix socket or a host with a port, never both. */
#include "cache/redis.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = g_bytes_new(data, size);
  BimiCacheEntry e;
  BimiRedisAddress a;

  if (bimi_redis_entry_decode(bytes, &e, NULL)) {
    g_autoptr(GBytes) again = bimi_redis_entry_encode(e.value, e.negative, e.stored_at, e.expires_at, e.stale_until);
    if (!g_bytes_equal(again, bytes))
      __builtin_trap();
    if (e.stored_at > e.expires_at || e.expires_at > e.stale_until ||
        g_bytes_get_size(e.value) > BIMI_CACHE_MAX_VALUE_BYTES)
      __builtin_trap();
    bimi_cache_entry_clear(&e);
  }
  if (size <= BIMI_CACHE_REDIS_MAX_URL_BYTES) {
    g_autofree char *url = g_strndup((const char *) data, size);
    if (bimi_redis_url_parse(url, &a, NULL)) {
      if ((a.unix_path != NULL) == (a.host != NULL))
        __builtin_trap();
      if (a.host != NULL && (a.port == 0 || a.port > 65535))
        __builtin_trap();
      if (a.db > BIMI_CACHE_REDIS_MAX_DB)
        __builtin_trap();
      bimi_redis_address_clear(&a);
    }
  }
  return 0;
}
