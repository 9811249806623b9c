/* cache/cache.c — shared pieces of cache/: error quark, clock, TTL rule.
 *
 * TTL: issue 8 — min(DNS TTL (RFC 1035 §3.2.1, RFC 2181 §8), HTTP max-age
 * (RFC 9111 §5.2.2.1) clamped to [min_ttl, max_ttl], certificate notAfter
 * (RFC 5280 §4.1.2.5)). Deviation: the result is also capped at max_ttl, so a
 * week-long DNS TTL cannot pin a revoked mark for a week.
 */
#include "cache/cache.h"

G_DEFINE_QUARK(bimi-cache-error-quark, bimi_cache_error)

gint64
bimi_cache_now(BimiCacheClockFunc clock, gpointer user_data)
{
  return clock != NULL ? clock(user_data) : g_get_real_time();
}

guint
bimi_cache_compute_ttl(const BimiCacheTtlBounds *bounds, gint64 now, guint dns_ttl,
                       gint64 http_max_age, gint64 not_after)
{
  guint64 ttl;

  g_return_val_if_fail(bounds != NULL, 0);
  g_return_val_if_fail(bounds->min_ttl <= bounds->max_ttl, 0);

  ttl = MIN((guint64) dns_ttl, (guint64) bounds->max_ttl);
  if (http_max_age >= 0) {
    guint64 age = (guint64) http_max_age;
    age = CLAMP(age, (guint64) bounds->min_ttl, (guint64) bounds->max_ttl);
    ttl = MIN(ttl, age);
  }
  if (not_after != 0) {
    if (not_after <= now)
      return 0;
    ttl = MIN(ttl, (guint64) (not_after - now));
  }
  return (guint) ttl;
}
