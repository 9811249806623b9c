/* cache/cache.h — what the two caches share: the error domain, the injected
 * clock, the counters and the TTL rule (issue 8, DESIGN.md §1 and §8).
 *
 * Two caches live in cache/:
 *  - cache/records.h: the record/evidence cache (memory by default, behind a
 *    small backend interface so that a shared Redis backend can follow);
 *  - cache/store.h: the content-addressed logo store on disk (SVG + PNGs).
 * Both take every "now" from a BimiCacheClockFunc, so tests pin time.
 */
#ifndef BIMI_CACHE_H
#define BIMI_CACHE_H

#include <glib.h>

G_BEGIN_DECLS

#define BIMI_CACHE_ERROR (bimi_cache_error_quark())
GQuark bimi_cache_error_quark(void);
/* G_DEFINE_QUARK registers lazily through a plain static: a benign race that
 * ThreadSanitizer reports. Every constructor of cache/ calls this first, so the
 * quark exists before any thread that may use the object is started. */
#define BIMI_CACHE_REGISTER_QUARK() ((void) bimi_cache_error_quark())

/** Why a cache operation could not be carried out (a miss is a result, never an error). */
typedef enum {
  BIMI_CACHE_ERROR_INVALID, /**< an input is unusable (bad hash, size out of range, key too long) */
  BIMI_CACHE_ERROR_LIMIT,   /**< a cache limit of engine/limits.h was exceeded */
  BIMI_CACHE_ERROR_IO,      /**< a file-system call failed (the message names the path and errno text) */
  BIMI_CACHE_ERROR_TIMEOUT, /**< a single-flight wait ran past its bound */
  BIMI_CACHE_ERROR_FAILED,  /**< the flight this caller waited for failed; nothing was cached */
} BimiCacheError;

/**
 * BimiCacheClockFunc:
 * @user_data: the pointer given with the function
 *
 * The wall clock of a cache: microseconds since the Unix epoch (the unit of
 * g_get_real_time(), which is what a NULL clock means). Bounded waits use the
 * monotonic clock instead, never this one.
 */
typedef gint64 (*BimiCacheClockFunc)(gpointer user_data);

/**
 * bimi_cache_now:
 * @clock: (nullable): the clock, NULL for g_get_real_time()
 * @user_data: passed to @clock
 *
 * Returns: the time in microseconds since the Unix epoch.
 */
gint64 bimi_cache_now(BimiCacheClockFunc clock, gpointer user_data);

/** TTL bounds of the record/evidence cache ([cache] min_ttl, max_ttl), seconds. */
typedef struct {
  guint min_ttl; /**< smallest TTL an HTTP max-age is raised to */
  guint max_ttl; /**< largest TTL of any entry */
} BimiCacheTtlBounds;

/**
 * bimi_cache_compute_ttl:
 * @bounds: min_ttl and max_ttl, seconds (min_ttl <= max_ttl)
 * @now: the evaluation time, seconds since the epoch
 * @dns_ttl: TTL of the BIMI TXT record, seconds (RFC 1035 §3.2.1; RFC 2181 §8 caps it at 2^31-1)
 * @http_max_age: the smallest Cache-Control max-age of the logo and evidence
 *   responses, seconds (RFC 9111 §5.2.2.1), or -1 when neither gave one
 * @not_after: the evidence certificate's notAfter, seconds since the epoch
 *   (RFC 5280 §4.1.2.5), or 0 when there is no certificate
 *
 * The issue-8 rule: TTL = min(DNS TTL, HTTP max-age clamped to
 * [min_ttl, max_ttl], seconds until not_after), never above max_ttl. A missing
 * max-age counts as max_ttl. A DNS TTL of 0 or a certificate already expired
 * gives 0: do not cache (a negative entry is what the caller stores then).
 *
 * Returns: the TTL in seconds, 0..max_ttl.
 */
guint bimi_cache_compute_ttl(const BimiCacheTtlBounds *bounds, gint64 now, guint dns_ttl,
                             gint64 http_max_age, gint64 not_after);

G_END_DECLS

#endif /* BIMI_CACHE_H */
