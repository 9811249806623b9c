/* cache/records-redis.c — the record/evidence cache backend on Redis, shared
 * by a fleet of nodes (issue 18, DESIGN.md §8 "a shared Redis/Valkey backend
 * lets a fleet fetch, validate and render each brand once").
 *
 * Keys (PREFIX is [cache] redis_prefix):
 *   PREFIX "rec:" KEY          the entry, bimi_redis_entry_encode(), SET ... PX
 *                              (stale_until - now): Redis drops it when no node
 *                              may serve it any more;
 *   PREFIX "rec:" KEY ":lock"  the single-flight lock, a random token,
 *                              SET ... NX PX lock_ms; deleted by its owner
 *                              (compare-and-delete), or expired when the owner
 *                              crashed.
 * Node memory (the memory backend) is a first level: a fresh entry there is
 * served without a round trip for BIMI_CACHE_REDIS_LOCAL_FRESH_MS; after that,
 * or when it is stale or missing, Redis is asked (another node may have
 * refreshed it; an entry Redis lost is put back). While Redis is away the node
 * memory is the whole cache. While Redis is unavailable the
 * node works on its memory alone (per-node single-flight), as a node with
 * backend = memory would; no request fails because of Redis.
 *
 * Single-flight across the fleet: the node-local flight first (one thread per
 * node asks Redis), then the lock. A node that finds the lock held polls
 * (doubling intervals) for the entry or the lock's end, at most wait_ms; past
 * it, or when Redis goes away meanwhile, it leads itself: the wait bounds the
 * latency, never the answer. A lock won is followed by one more GET, so a
 * leader that finished between our GET and our SET NX is not fetched twice.
 */
#include "cache/redis.h"
#include "cache/records-private.h"
#include "engine/limits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

typedef struct {
  BimiRecordCacheBackend base;
  BimiRedis *redis;
  BimiRecordCacheBackend *memory;
  guint lock_ms;
  pthread_mutex_t lock;
  GHashTable *tokens; /* key -> lock token of the flights this node leads with a Redis lock; under lock */
  atomic_ullong lock_waits, wait_timeouts, remote_hits;
} RedisBackend;

#define COUNT(b, field) atomic_fetch_add_explicit(&(b)->field, 1, memory_order_relaxed)
#define READ(b, field) atomic_load_explicit(&(b)->field, memory_order_relaxed)

static char *
entry_key(const char *key)
{
  return g_strconcat("rec:", key, NULL);
}

static char *
lock_key(const char *key)
{
  return g_strconcat("rec:", key, ":lock", NULL);
}

/* Reads the entry of @key from Redis: OK with @out (servable at @now), NONE
 * (absent, expired or invalid: counted; *invalid tells), or UNAVAILABLE. */
static BimiRedisResult
remote_get(RedisBackend *b, const char *key, gint64 now, BimiCacheEntry *out, gboolean *invalid)
{
  g_autofree char *k = entry_key(key);
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;
  BimiRedisResult res;

  res = bimi_redis_get(b->redis, k, BIMI_CACHE_MAX_VALUE_BYTES + 128u, &raw);
  if (res != BIMI_REDIS_OK)
    return res;
  if (!bimi_redis_entry_decode(raw, out, &error)) {
    g_debug("cache: redis %s: %s: a miss", k, error->message);
    bimi_redis_note_invalid(b->redis);
    if (invalid != NULL)
      *invalid = TRUE;
    return BIMI_REDIS_NONE;
  }
  if (now >= out->stale_until) {
    bimi_cache_entry_clear(out);
    return BIMI_REDIS_NONE;
  }
  return BIMI_REDIS_OK;
}

/* Puts a fresh entry that node memory holds back into Redis (Redis restarted
 * empty, evicted it, or holds bytes that are not an entry: @replace): the
 * fleet shares it again. */
static void
repopulate(RedisBackend *b, const char *key, const BimiCacheEntry *e, gint64 now, gboolean replace)
{
  g_autofree char *k = entry_key(key);
  g_autoptr(GBytes) encoded = bimi_redis_entry_encode(e->value, e->negative, e->stored_at, e->expires_at,
                                                      e->stale_until);
  guint64 px_ms = (guint64) (e->stale_until - now) / 1000u;

  if (px_ms >= 1)
    bimi_redis_set(b->redis, k, encoded, px_ms, !replace);
}

static gboolean
redis_get(BimiRecordCacheBackend *self, const char *key, gint64 now, BimiCacheEntry *out)
{
  RedisBackend *b = (RedisBackend *) self;
  BimiCacheEntry local = { 0 }, remote = { 0 };
  gint64 local_at = 0;
  gboolean have_local, invalid = FALSE;

  have_local = bimi_record_cache__memory_get(b->memory, key, now, &local, &local_at);
  if (have_local && now < local.expires_at && now - local_at < (gint64) BIMI_CACHE_REDIS_LOCAL_FRESH_MS * 1000 &&
      now >= local_at) {
    *out = local;
    return TRUE;
  }
  switch (remote_get(b, key, now, &remote, &invalid)) {
  case BIMI_REDIS_OK:
    if (!have_local || remote.expires_at >= local.expires_at) {
      if (!have_local || remote.stored_at != local.stored_at)
        COUNT(b, remote_hits);
      bimi_record_cache__memory_put_entry(b->memory, key, &remote, now);
      bimi_cache_entry_clear(&local);
      *out = remote;
      return TRUE;
    }
    bimi_cache_entry_clear(&remote);
    break;
  case BIMI_REDIS_UNAVAILABLE:
    bimi_redis_note_fallback(b->redis);
    break;
  case BIMI_REDIS_NONE:
    if (have_local && now < local.expires_at)
      repopulate(b, key, &local, now, invalid);
    break;
  }
  if (have_local) {
    *out = local;
    return TRUE;
  }
  return FALSE;
}

static gboolean
redis_put(BimiRecordCacheBackend *self, const char *key, GBytes *value, gboolean negative, gint64 now, guint ttl_s,
          guint stale_s, GError **error)
{
  RedisBackend *b = (RedisBackend *) self;
  g_autofree char *k = entry_key(key);
  g_autoptr(GBytes) encoded = NULL;
  gint64 expires_at = now + (gint64) ttl_s * G_USEC_PER_SEC;
  gint64 stale_until = expires_at + (gint64) stale_s * G_USEC_PER_SEC;

  if (!b->memory->vtable->put_with_ttl(b->memory, key, value, negative, now, ttl_s, stale_s, error))
    return FALSE;
  encoded = bimi_redis_entry_encode(value, negative, now, expires_at, stale_until);
  if (bimi_redis_set(b->redis, k, encoded, (guint64) (ttl_s + (guint64) stale_s) * 1000u, FALSE) ==
      BIMI_REDIS_UNAVAILABLE)
    bimi_redis_note_fallback(b->redis); /* node memory has it: degrade, never fail */
  return TRUE;
}

static char *
new_token(void)
{
  static atomic_ullong counter;
  guint8 raw[16];
  GString *s = g_string_sized_new(2 * sizeof raw);

  if (getrandom(raw, sizeof raw, 0) != (ssize_t) sizeof raw) {
    /* no entropy source: still unique enough for a lock (time, pid, counter) */
    guint64 parts[2] = { (guint64) g_get_real_time() ^ ((guint64) getpid() << 40),
                         atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed) };
    memcpy(raw, parts, sizeof raw);
  }
  for (gsize i = 0; i < sizeof raw; i++)
    g_string_append_printf(s, "%02x", raw[i]);
  return g_string_free(s, FALSE);
}

/* A fresh entry of @key in Redis (another node's flight ended just now)?
 * Then copy it into node memory. */
static gboolean
remote_has_fresh(RedisBackend *b, const char *key, gint64 now)
{
  BimiCacheEntry e = { 0 };
  gboolean fresh;

  if (remote_get(b, key, now, &e, NULL) != BIMI_REDIS_OK)
    return FALSE;
  fresh = now < e.expires_at;
  if (fresh)
    bimi_record_cache__memory_put_entry(b->memory, key, &e, now);
  bimi_cache_entry_clear(&e);
  return fresh;
}

static BimiFlightClaim
redis_claim(BimiRecordCacheBackend *self, const char *key, gint64 now, guint wait_ms)
{
  RedisBackend *b = (RedisBackend *) self;
  g_autofree char *lk = lock_key(key);
  g_autofree char *token = new_token();
  g_autoptr(GBytes) token_bytes = g_bytes_new(token, strlen(token));
  BimiFlightClaim local = b->memory->vtable->claim(b->memory, key, now, wait_ms);
  gint64 deadline;
  guint poll_ms = BIMI_CACHE_REDIS_POLL_MIN_MS;
  gboolean waited = FALSE;

  if (local != BIMI_FLIGHT_LEADER)
    return local; /* another thread of this node leads (or led) it */

  deadline = g_get_monotonic_time() + (gint64) wait_ms * 1000;
  for (;;) {
    switch (bimi_redis_set(b->redis, lk, token_bytes, b->lock_ms, TRUE)) {
    case BIMI_REDIS_OK:
      if (remote_has_fresh(b, key, now)) {
        bimi_redis_del_if(b->redis, lk, token);
        b->memory->vtable->release(b->memory, key, TRUE);
        return BIMI_FLIGHT_DONE;
      }
      pthread_mutex_lock(&b->lock);
      g_hash_table_replace(b->tokens, g_strdup(key), g_steal_pointer(&token));
      pthread_mutex_unlock(&b->lock);
      return BIMI_FLIGHT_LEADER;
    case BIMI_REDIS_UNAVAILABLE:
      bimi_redis_note_fallback(b->redis);
      return BIMI_FLIGHT_LEADER; /* node-local flight only */
    case BIMI_REDIS_NONE:
      break; /* another node leads */
    }
    if (wait_ms == 0) {
      /* a stale refresh another node runs: keep serving stale */
      b->memory->vtable->release(b->memory, key, TRUE);
      return BIMI_FLIGHT_BUSY;
    }
    if (!waited) {
      waited = TRUE;
      COUNT(b, lock_waits);
    }
    if (g_get_monotonic_time() >= deadline) {
      COUNT(b, wait_timeouts);
      return BIMI_FLIGHT_LEADER; /* waited long enough: fetch ourselves, without the lock */
    }
    g_usleep((gulong) MIN((gint64) poll_ms * 1000, MAX(deadline - g_get_monotonic_time(), 0)));
    poll_ms = MIN(poll_ms * 2u, BIMI_CACHE_REDIS_POLL_MAX_MS);
    if (remote_has_fresh(b, key, now)) {
      b->memory->vtable->release(b->memory, key, TRUE);
      return BIMI_FLIGHT_DONE;
    }
  }
}

static void
redis_release(BimiRecordCacheBackend *self, const char *key, gboolean ok)
{
  RedisBackend *b = (RedisBackend *) self;
  gpointer stored_key = NULL, token = NULL;

  pthread_mutex_lock(&b->lock);
  if (g_hash_table_steal_extended(b->tokens, key, &stored_key, &token))
    g_free(stored_key);
  pthread_mutex_unlock(&b->lock);
  if (token != NULL) {
    g_autofree char *lk = lock_key(key);
    /* a failed flight also frees the lock: the next node tries at once */
    bimi_redis_del_if(b->redis, lk, token);
    g_free(token);
  }
  b->memory->vtable->release(b->memory, key, ok);
}

static void
redis_stats(BimiRecordCacheBackend *self, BimiRecordCacheBackendStats *out)
{
  RedisBackend *b = (RedisBackend *) self;
  b->memory->vtable->stats(b->memory, out);
}

static void
redis_free(BimiRecordCacheBackend *self)
{
  RedisBackend *b = (RedisBackend *) self;

  bimi_record_cache_backend_free(b->memory);
  bimi_redis_unref(b->redis);
  g_hash_table_destroy(b->tokens);
  pthread_mutex_destroy(&b->lock);
  g_free(b);
}

static const BimiRecordCacheBackendVTable redis_vtable = {
  redis_get, redis_put, redis_claim, redis_release, redis_stats, redis_free,
};

BimiRecordCacheBackend *
bimi_record_cache_backend_new_redis(BimiRedis *redis, BimiRecordCacheBackend *memory, guint lock_ms)
{
  RedisBackend *b;

  BIMI_CACHE_REGISTER_QUARK();
  g_return_val_if_fail(redis != NULL && memory != NULL && lock_ms >= 1, NULL);
  b = g_new0(RedisBackend, 1);
  b->base.vtable = &redis_vtable;
  b->redis = bimi_redis_ref(redis);
  b->memory = memory;
  b->lock_ms = lock_ms;
  pthread_mutex_init(&b->lock, NULL);
  b->tokens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return &b->base;
}

void
bimi_record_cache_backend_redis_stats(BimiRecordCacheBackend *backend, BimiRedisBackendStats *out)
{
  RedisBackend *b = (RedisBackend *) backend;

  g_return_if_fail(backend != NULL && backend->vtable == &redis_vtable && out != NULL);
  out->lock_waits = READ(b, lock_waits);
  out->wait_timeouts = READ(b, wait_timeouts);
  out->remote_hits = READ(b, remote_hits);
}
