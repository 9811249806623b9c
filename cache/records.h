/* cache/records.h — the record/evidence cache (issue 8, DESIGN.md §8).
 *
 * Key: (selector, Author Domain). Value: opaque serialized bytes (the BIMI
 * record, the logo hash, the evidence validation result — the caller's
 * serialization), so that a shared backend (Redis, hiredis) stores the same
 * bytes as the embedded one. Each entry is positive or negative (no record,
 * declined, invalid) and has a TTL; an expired positive entry stays servable
 * for max_stale more seconds (stale-while-revalidate) while one caller
 * refreshes it. Concurrent misses of one key are single-flighted: one caller
 * fetches, the others wait (bounded by wait_ms) and read what it stored.
 *
 * Two layers:
 *  - BimiRecordCacheBackend: the storage interface of DESIGN.md §8 (get, put
 *    with TTL, single-flight claim/release); bimi_record_cache_backend_new_memory()
 *    is the embedded LRU, bimi_record_cache_backend_new_redis() (cache/redis.h)
 *    the fleet's shared one;
 *  - BimiRecordCache: the policy on top (TTL caps, negative TTL, staleness,
 *    single-flight protocol, counters). Time comes from the injected clock.
 * Every function is thread-safe.
 */
#ifndef BIMI_CACHE_RECORDS_H
#define BIMI_CACHE_RECORDS_H

#include <glib.h>
#include "cache/cache.h"
#include "cache/flight.h"

G_BEGIN_DECLS

/** One cached value as read back (caller-allocated; release with bimi_cache_entry_clear()). */
typedef struct {
  GBytes *value;       /**< (transfer full) the opaque serialized value; never NULL once filled */
  gboolean negative;   /**< a negative entry (no record, declined, invalid) */
  gint64 stored_at;    /**< when it was stored, microseconds since the epoch (cache clock) */
  gint64 expires_at;   /**< end of freshness, microseconds since the epoch */
  gint64 stale_until;  /**< end of the stale-while-revalidate window (== expires_at for negative entries) */
} BimiCacheEntry;

/** Releases the value of @entry and zeroes it; safe on a zeroed entry. */
void bimi_cache_entry_clear(BimiCacheEntry *entry);

typedef struct BimiRecordCacheBackend BimiRecordCacheBackend;

/** Counters a backend keeps itself (the front end adds its own). */
typedef struct {
  guint64 entries;     /**< entries held now */
  guint64 evictions;   /**< entries dropped by the size bound (LRU) */
  guint64 expirations; /**< entries dropped because their stale window had ended */
} BimiRecordCacheBackendStats;

/**
 * BimiRecordCacheBackendVTable:
 * @get: copy the entry of @key into @out (value ref'd) if one exists with
 *   @now < stale_until, marking it recently used; FALSE otherwise (an entry
 *   past stale_until may be dropped). Never fails: a backend that cannot
 *   answer reports a miss.
 * @put_with_ttl: store @value under @key: fresh until now + @ttl_s, servable
 *   stale until that + @stale_s. Replaces any entry. @error: BIMI_CACHE_ERROR_*.
 * @claim: single-flight claim (cache/flight.h semantics; a shared backend
 *   implements it with an expiring lock key, and may answer DONE when a fresh
 *   entry at @now (the cache clock, microseconds) appeared meanwhile).
 * @release: end a flight that @claim made the caller lead.
 * @stats: fill the backend's counters.
 * @free: destroy the backend.
 *
 * The interface of DESIGN.md §8. Keys are printable ASCII without spaces
 * ("<selector>._bimi.<domain>"), at most BIMI_CACHE_MAX_KEY_BYTES.
 */
typedef struct {
  gboolean (*get)(BimiRecordCacheBackend *self, const char *key, gint64 now, BimiCacheEntry *out);
  gboolean (*put_with_ttl)(BimiRecordCacheBackend *self, const char *key, GBytes *value, gboolean negative,
                           gint64 now, guint ttl_s, guint stale_s, GError **error);
  BimiFlightClaim (*claim)(BimiRecordCacheBackend *self, const char *key, gint64 now, guint wait_ms);
  void (*release)(BimiRecordCacheBackend *self, const char *key, gboolean ok);
  void (*stats)(BimiRecordCacheBackend *self, BimiRecordCacheBackendStats *out);
  void (*free)(BimiRecordCacheBackend *self);
} BimiRecordCacheBackendVTable;

/** The base of every backend: embed it first in the implementation's struct. */
struct BimiRecordCacheBackend {
  const BimiRecordCacheBackendVTable *vtable;
};

/**
 * bimi_record_cache_backend_new_memory:
 * @max_entries: most entries held, 1..BIMI_CACHE_MAX_ENTRIES; the least
 *   recently used entry is evicted to make room
 *
 * Returns: (transfer full): the embedded in-memory LRU backend.
 */
BimiRecordCacheBackend *bimi_record_cache_backend_new_memory(guint max_entries);

/** bimi_record_cache_backend_free: destroys any backend (NULL is ignored). */
void bimi_record_cache_backend_free(BimiRecordCacheBackend *backend);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiRecordCacheBackend, bimi_record_cache_backend_free)

/** Policy of a BimiRecordCache ([cache] keys of evaluate/config.h), seconds unless named. */
typedef struct {
  guint max_ttl;      /**< cap of every positive TTL */
  guint negative_ttl; /**< TTL of negative entries (a smaller given TTL wins) */
  guint max_stale;    /**< how long past expiry a positive entry may still be served, 0: never */
  guint wait_ms;      /**< longest single-flight wait, milliseconds */
} BimiRecordCacheConfig;

/** Counters of a BimiRecordCache (the metrics endpoint exposes them). */
typedef struct {
  guint64 hits;          /**< fresh positive entries served */
  guint64 negative_hits; /**< fresh negative entries served */
  guint64 stale_hits;    /**< expired positive entries served within max_stale */
  guint64 misses;        /**< lookups that found nothing usable and led the fetch */
  guint64 waits;         /**< lookups that waited for another caller's fetch */
  guint64 wait_timeouts; /**< waits that ran past wait_ms */
  guint64 refreshes;     /**< stale entries whose refresh this cache handed out */
  guint64 fetches;       /**< fetch callbacks run by bimi_record_cache_get() */
  guint64 entries, evictions, expirations; /**< from the backend */
} BimiRecordCacheStats;

typedef struct BimiRecordCache BimiRecordCache;

/**
 * bimi_record_cache_new:
 * @backend: (transfer full): the storage
 * @config: (transfer none): the policy (copied)
 * @clock: (nullable): the wall clock, NULL for g_get_real_time()
 * @clock_data: passed to @clock
 *
 * Returns: (transfer full): the cache; free with bimi_record_cache_free().
 */
BimiRecordCache *bimi_record_cache_new(BimiRecordCacheBackend *backend, const BimiRecordCacheConfig *config,
                                       BimiCacheClockFunc clock, gpointer clock_data);
void bimi_record_cache_free(BimiRecordCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiRecordCache, bimi_record_cache_free)

/** What a lookup found. */
typedef enum {
  BIMI_RECORD_CACHE_HIT,           /**< a fresh entry (positive or negative: see entry.negative) */
  BIMI_RECORD_CACHE_WAITED,        /**< a fresh entry stored by the flight this caller waited for */
  BIMI_RECORD_CACHE_STALE,         /**< an expired positive entry within max_stale; another caller refreshes */
  BIMI_RECORD_CACHE_STALE_REFRESH, /**< the same, and THIS caller holds the refresh: it must call
                                    *   bimi_record_cache_complete() or _abandon() (now or from a worker) */
  BIMI_RECORD_CACHE_MISS,          /**< nothing usable; THIS caller leads the fetch: complete() or abandon() */
  BIMI_RECORD_CACHE_REFRESHED,     /**< bimi_record_cache_get() only: this caller fetched (miss or refresh) */
} BimiRecordCacheStatus;

/**
 * bimi_record_cache_lookup:
 * @cache: the cache
 * @selector: BIMI selector (RFC-draft "s=" value; LDH, '_' and '.'), 1..63 bytes
 * @domain: Author Domain in A-label form, case-insensitive, 1..253 bytes
 * @out: (out caller-allocates): the entry for HIT, WAITED, STALE and
 *   STALE_REFRESH (clear it with bimi_cache_entry_clear()); zeroed otherwise
 * @status: (out): what was found
 * @error: BIMI_CACHE_ERROR_INVALID (bad selector or domain),
 *   BIMI_CACHE_ERROR_TIMEOUT (another caller's fetch ran past wait_ms),
 *   BIMI_CACHE_ERROR_FAILED (another caller's fetch, which we waited for, failed)
 *
 * The split API: the caller may run the fetch of a MISS or STALE_REFRESH
 * wherever it likes (a worker pool answers with the stale entry at once).
 *
 * Returns: TRUE with @status and @out set, FALSE with @error.
 */
gboolean bimi_record_cache_lookup(BimiRecordCache *cache, const char *selector, const char *domain,
                                  BimiCacheEntry *out, BimiRecordCacheStatus *status, GError **error);

/**
 * bimi_record_cache_complete:
 * @cache: the cache
 * @selector: @domain: the key of a MISS or STALE_REFRESH this caller holds
 * @value: (transfer none): the serialized value, at most BIMI_CACHE_MAX_VALUE_BYTES
 * @negative: a negative entry: TTL min(@ttl_s, negative_ttl), never served stale
 * @ttl_s: TTL in seconds (bimi_cache_compute_ttl()); capped at max_ttl; raised
 *   to 1 s so that the callers waiting on this flight can read it
 * @out: (out caller-allocates) (optional): the entry as stored
 * @error: BIMI_CACHE_ERROR_INVALID, _LIMIT (value too large), or the backend's
 *
 * Stores the value and ends the flight (waiters wake and read it). On error
 * the flight is ended as failed.
 *
 * Returns: TRUE when stored.
 */
gboolean bimi_record_cache_complete(BimiRecordCache *cache, const char *selector, const char *domain,
                                    GBytes *value, gboolean negative, guint ttl_s, BimiCacheEntry *out,
                                    GError **error);

/**
 * bimi_record_cache_abandon:
 * @cache: the cache
 * @selector: @domain: the key of a MISS or STALE_REFRESH this caller holds
 *
 * Ends the flight without storing (the fetch failed: temperror). Waiters get
 * BIMI_CACHE_ERROR_FAILED; a stale entry stays as it was.
 */
void bimi_record_cache_abandon(BimiRecordCache *cache, const char *selector, const char *domain);

/**
 * BimiRecordFetchFunc:
 * @selector: @domain: the key
 * @user_data: as given
 * @value: (out) (transfer full): the serialized value
 * @negative: (out): whether it is a negative result
 * @ttl_s: (out): its TTL, seconds
 * @error: why nothing could be fetched (not cached)
 *
 * Returns: TRUE with the outputs set, or FALSE with @error.
 */
typedef gboolean (*BimiRecordFetchFunc)(const char *selector, const char *domain, gpointer user_data,
                                        GBytes **value, gboolean *negative, guint *ttl_s, GError **error);

/**
 * bimi_record_cache_get:
 * @cache: @selector: @domain: as for bimi_record_cache_lookup()
 * @fetch: called when this caller leads a MISS or a STALE_REFRESH, synchronously
 * @user_data: for @fetch
 * @out: (out caller-allocates): the entry to use
 * @status: (out): HIT, WAITED, STALE, or REFRESHED (fetched now); a refresh
 *   whose fetch fails serves the stale entry with STALE
 * @error: those of lookup and complete, or @fetch's error on a miss
 *
 * The convenience API: lookup, fetch when leading, complete or abandon.
 *
 * Returns: TRUE with @out filled.
 */
gboolean bimi_record_cache_get(BimiRecordCache *cache, const char *selector, const char *domain,
                               BimiRecordFetchFunc fetch, gpointer user_data, BimiCacheEntry *out,
                               BimiRecordCacheStatus *status, GError **error);

/** bimi_record_cache_get_stats: a snapshot of the counters. */
void bimi_record_cache_get_stats(BimiRecordCache *cache, BimiRecordCacheStats *out);

G_END_DECLS

#endif /* BIMI_CACHE_RECORDS_H */
