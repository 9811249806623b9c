/* cache/redis.h — the shared Redis (or Valkey) cache of a bimi-fcgi fleet
 * (issue 18, DESIGN.md §8).
 *
 * Three pieces:
 *  - BimiRedis: a thread-safe hiredis client: a pool of blocking connections
 *    with connect and command timeouts, and the "degrade, never fail" state
 *    machine (up / down; while down every call answers "unavailable" at once,
 *    one caller probes again after a backoff that doubles from
 *    BIMI_CACHE_REDIS_BACKOFF_MIN_MS to BIMI_CACHE_REDIS_BACKOFF_MAX_MS; each
 *    state change is logged once and counted);
 *  - the record-cache backend on it (bimi_record_cache_backend_new_redis()):
 *    entries under PREFIX "rec:" KEY with SET ... PX, fleet single-flight with
 *    SET PREFIX "rec:" KEY ":lock" TOKEN NX PX, and a node-local memory LRU in
 *    front that also serves while Redis is away;
 *  - the entry codec (bimi_redis_entry_encode()/_decode()): a versioned header
 *    "bimi-rc/1" with the entry's times and the value's length, so that a
 *    truncated value or another application's bytes are a miss.
 */
#ifndef BIMI_CACHE_REDIS_H
#define BIMI_CACHE_REDIS_H

#include <glib.h>
#include "engine/base/base-mem.h"
#include "cache/cache.h"
#include "cache/records.h"

G_BEGIN_DECLS

/** Where the Redis server listens, from a redis_url. */
typedef struct {
  char *host;      /**< TCP host (name or address literal, no brackets), or NULL for a unix socket */
  guint port;      /**< TCP port, 1..65535 (default 6379) */
  char *unix_path; /**< absolute path of the unix socket, or NULL for TCP */
  guint db;        /**< logical database (SELECT), 0..BIMI_CACHE_REDIS_MAX_DB */
  char *username;  /**< ACL user name (Redis 6 AUTH username password), or NULL */
  char *password;  /**< AUTH password, or NULL */
} BimiRedisAddress;

/** Frees the strings of @addr and zeroes it; safe on a zeroed one. */
void bimi_redis_address_clear(BimiRedisAddress *addr);

/**
 * bimi_redis_url_parse:
 * @url: "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]" (the IANA "redis" URI
 *   scheme; HOST may be an IPv6 literal in brackets) or "unix:/PATH[?db=N]",
 *   at most BIMI_CACHE_REDIS_MAX_URL_BYTES; userinfo is percent-decoded
 * @out: (out caller-allocates): the address (clear with bimi_redis_address_clear())
 * @error: BIMI_CACHE_ERROR_INVALID naming the part at fault ("rediss" TLS
 *   included: the hiredis of Debian 12 has no TLS; use a unix socket or a
 *   local TLS tunnel)
 *
 * Returns: TRUE with @out filled.
 */
gboolean bimi_redis_url_parse(const char *url, BimiRedisAddress *out, GError **error);

/** How to reach Redis ([cache] redis_* keys of evaluate/config.h). */
typedef struct {
  const char *url;            /**< redis_url, see bimi_redis_url_parse() */
  const char *password;       /**< (nullable) redis_password; replaces the URL's password */
  const char *prefix;         /**< redis_prefix: prepended to every key, at most BIMI_CACHE_REDIS_MAX_PREFIX_BYTES */
  guint connect_timeout_ms;   /**< deadline of one connect (and AUTH, SELECT), ms, >= 1 */
  guint timeout_ms;           /**< deadline of one command, ms, >= 1 */
} BimiRedisConfig;

typedef struct BimiRedis BimiRedis;

/**
 * bimi_redis_new:
 * @config: (transfer none): the settings (copied)
 * @error: BIMI_CACHE_ERROR_INVALID (bad URL or prefix)
 *
 * Makes the client; it connects lazily, so a server that is down at start is
 * a fallback, not an error.
 *
 * Returns: (transfer full): the client; release with bimi_redis_unref().
 */
BimiRedis *bimi_redis_new(const BimiRedisConfig *config, GError **error);
BIMI_DECLARE_ATOMIC_RC_FUNCS(BimiRedis, bimi_redis)

/** What a command found. */
typedef enum {
  BIMI_REDIS_OK,          /**< done (GET: a value) */
  BIMI_REDIS_NONE,        /**< GET: no such key; SET NX: the key exists already */
  BIMI_REDIS_UNAVAILABLE, /**< Redis is down, slow, or answered an error: use the fallback */
} BimiRedisResult;

/**
 * bimi_redis_get:
 * @redis: the client
 * @key: the key without the prefix (the client adds it)
 * @max_bytes: largest value accepted; a larger one (or a non-string) is
 *   counted as an invalid value and reported as NONE
 * @value: (out) (transfer full): the value for OK, else NULL
 *
 * Returns: OK, NONE or UNAVAILABLE.
 */
BimiRedisResult bimi_redis_get(BimiRedis *redis, const char *key, gsize max_bytes, GBytes **value);

/**
 * bimi_redis_set:
 * @redis: the client
 * @key: the key without the prefix
 * @value: (transfer none): the bytes
 * @px_ms: time to live, milliseconds (SET ... PX), >= 1
 * @nx: SET ... NX: only when the key does not exist
 *
 * Returns: OK, NONE (@nx and the key exists) or UNAVAILABLE.
 */
BimiRedisResult bimi_redis_set(BimiRedis *redis, const char *key, GBytes *value, guint64 px_ms, gboolean nx);

/**
 * bimi_redis_del_if:
 * @redis: the client
 * @key: the key without the prefix
 * @token: delete only while the key holds exactly this string (a lock the
 *   caller still owns; one EVAL, atomic on the server)
 *
 * Returns: OK (deleted), NONE (held by someone else or gone) or UNAVAILABLE.
 */
BimiRedisResult bimi_redis_del_if(BimiRedis *redis, const char *key, const char *token);

/** Marks one value read from Redis as invalid (another application's, truncated): counted. */
void bimi_redis_note_invalid(BimiRedis *redis);
/** Counts one operation served from node memory because Redis was unavailable. */
void bimi_redis_note_fallback(BimiRedis *redis);

/** Counters and state of a client (the metrics endpoint exposes them). */
typedef struct {
  gboolean up;             /**< the last command reached Redis (TRUE before the first) */
  guint64 commands;        /**< commands sent */
  guint64 errors;          /**< commands or connects that failed (I/O, timeout, error reply) */
  guint64 downs;           /**< transitions up -> down */
  guint64 recoveries;      /**< transitions down -> up */
  guint64 fallbacks;       /**< operations served from node memory instead */
  guint64 invalid_values;  /**< values that were not ours or were truncated: treated as misses */
  guint64 connects;        /**< connections opened */
} BimiRedisStats;

/** bimi_redis_get_stats: a snapshot of the counters. */
void bimi_redis_get_stats(BimiRedis *redis, BimiRedisStats *out);

/* ---- the entry codec ------------------------------------------------------ */

/**
 * bimi_redis_entry_encode:
 * @value: (transfer none): the opaque record-cache value
 * @negative: @stored_at: @expires_at: @stale_until: as in BimiCacheEntry
 *   (microseconds since the epoch, stored_at <= expires_at <= stale_until)
 *
 * Returns: (transfer full): "bimi-rc/1 N STORED EXPIRES STALE LEN\n" + value.
 */
GBytes *bimi_redis_entry_encode(GBytes *value, gboolean negative, gint64 stored_at, gint64 expires_at,
                                gint64 stale_until);

/**
 * bimi_redis_entry_decode:
 * @bytes: (transfer none): untrusted bytes read from Redis
 * @out: (out caller-allocates): the entry (clear with bimi_cache_entry_clear())
 * @error: BIMI_CACHE_ERROR_INVALID naming what is wrong (magic or version,
 *   a field, the times out of order, a length that is not what follows:
 *   truncated or padded; a value over BIMI_CACHE_MAX_VALUE_BYTES)
 *
 * Returns: TRUE with @out filled (the value shares @bytes' memory).
 */
gboolean bimi_redis_entry_decode(GBytes *bytes, BimiCacheEntry *out, GError **error);

/* ---- the record-cache backend -------------------------------------------- */

/** Counters of the Redis record-cache backend beyond the client's. */
typedef struct {
  guint64 lock_waits;     /**< claims that found another node's lock and waited */
  guint64 wait_timeouts;  /**< of those, waits that ran past wait_ms (this node then fetched itself) */
  guint64 remote_hits;    /**< entries read from Redis (not in node memory, or fresher there) */
} BimiRedisBackendStats;

/**
 * bimi_record_cache_backend_new_redis:
 * @redis: (transfer none): the client (a reference is taken)
 * @memory: (transfer full): the node-local backend (bimi_record_cache_backend_new_memory()):
 *   a first level for fresh entries and the whole cache while Redis is away
 * @lock_ms: life of a single-flight lock, ms (a crashed leader's lock expires after it)
 *
 * get: node memory when fresh there, else Redis (copied into node memory);
 * put: node memory and SET PX (stale_until - now); claim: the node-local
 * flight first, then SET ":lock" NX PX; a node that finds the lock held polls
 * (BIMI_CACHE_REDIS_POLL_MIN_MS doubling to _MAX_MS) for the value or the
 * lock until wait_ms, then leads itself: a wait never fails a request.
 * Redis unavailable: everything works on node memory alone (counted).
 *
 * Returns: (transfer full): the backend.
 */
BimiRecordCacheBackend *bimi_record_cache_backend_new_redis(BimiRedis *redis, BimiRecordCacheBackend *memory,
                                                            guint lock_ms);

/**
 * bimi_record_cache_backend_redis_stats:
 * @backend: a backend of bimi_record_cache_backend_new_redis()
 * @out: (out caller-allocates): its counters
 */
void bimi_record_cache_backend_redis_stats(BimiRecordCacheBackend *backend, BimiRedisBackendStats *out);

G_END_DECLS

#endif /* BIMI_CACHE_REDIS_H */
