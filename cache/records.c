/* cache/records.c — record/evidence cache: memory LRU backend, TTL policy,
 * negative entries, single-flight, stale-while-revalidate (issue 8; the
 * backend interface is DESIGN.md §8's "get, put with TTL, single-flight claim").
 *
 * Stale-while-revalidate follows RFC 5861 §3 in spirit: an expired positive
 * entry is served for max_stale more seconds while exactly one caller
 * refreshes it. Deviation: negative entries are never served stale (a brand
 * that publishes a record must not wait max_stale to appear).
 *
 * Locks are pthread mutexes (see cache/flight.c for why not GMutex); counters
 * are C11 relaxed atomics.
 */
#include "cache/records.h"
#include "cache/records-private.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

void
bimi_cache_entry_clear(BimiCacheEntry *entry)
{
  if (entry == NULL)
    return;
  g_clear_pointer(&entry->value, g_bytes_unref);
  memset(entry, 0, sizeof *entry);
}

/* ---- the memory backend ------------------------------------------------- */

typedef struct {
  char *key;           /* owned; also the hash-table key */
  GBytes *value;
  gboolean negative;
  gint64 stored_at, expires_at, stale_until;
  gint64 local_at;     /* when this level got it (== stored_at unless copied from another level) */
  GList link;          /* in MemoryBackend.lru, head = most recent */
} Node;

typedef struct {
  BimiRecordCacheBackend base;
  pthread_mutex_t lock;
  GHashTable *table;   /* key -> Node* */
  GQueue lru;
  guint max_entries;
  guint64 evictions, expirations; /* under lock */
  BimiFlightGroup *flights;
} MemoryBackend;

BIMI_DEFINE_STATIC_FREE_FUNC(Node, node_free, n)
{
  g_bytes_unref(n->value);
  g_free(n->key);
}

static void
memory_drop_locked(MemoryBackend *m, Node *n)
{
  g_queue_unlink(&m->lru, &n->link);
  g_hash_table_remove(m->table, n->key); /* frees n */
}

static gboolean
memory_get_full(BimiRecordCacheBackend *self, const char *key, gint64 now, BimiCacheEntry *out, gint64 *local_at)
{
  MemoryBackend *m = (MemoryBackend *) self;
  Node *n;

  pthread_mutex_lock(&m->lock);
  n = g_hash_table_lookup(m->table, key);
  if (n == NULL) {
    pthread_mutex_unlock(&m->lock);
    return FALSE;
  }
  if (now >= n->stale_until) {
    memory_drop_locked(m, n);
    m->expirations++;
    pthread_mutex_unlock(&m->lock);
    return FALSE;
  }
  if (m->lru.head != &n->link) {
    g_queue_unlink(&m->lru, &n->link);
    g_queue_push_head_link(&m->lru, &n->link);
  }
  out->value = g_bytes_ref(n->value);
  out->negative = n->negative;
  out->stored_at = n->stored_at;
  out->expires_at = n->expires_at;
  out->stale_until = n->stale_until;
  if (local_at != NULL)
    *local_at = n->local_at;
  pthread_mutex_unlock(&m->lock);
  return TRUE;
}

static gboolean
memory_get(BimiRecordCacheBackend *self, const char *key, gint64 now, BimiCacheEntry *out)
{
  return memory_get_full(self, key, now, out, NULL);
}

static void
memory_insert(MemoryBackend *m, const char *key, GBytes *value, gboolean negative, gint64 stored_at,
              gint64 expires_at, gint64 stale_until, gint64 local_at)
{
  Node *n = g_new0(Node, 1);
  Node *old;

  n->key = g_strdup(key);
  n->value = g_bytes_ref(value);
  n->negative = negative;
  n->stored_at = stored_at;
  n->expires_at = expires_at;
  n->stale_until = stale_until;
  n->local_at = local_at;
  n->link.data = n;

  pthread_mutex_lock(&m->lock);
  old = g_hash_table_lookup(m->table, key);
  if (old != NULL)
    memory_drop_locked(m, old);
  while (g_hash_table_size(m->table) >= m->max_entries && m->lru.tail != NULL) {
    memory_drop_locked(m, m->lru.tail->data);
    m->evictions++;
  }
  g_hash_table_insert(m->table, n->key, n);
  g_queue_push_head_link(&m->lru, &n->link);
  pthread_mutex_unlock(&m->lock);
}

static gboolean
memory_put(BimiRecordCacheBackend *self, const char *key, GBytes *value, gboolean negative,
           gint64 now, guint ttl_s, guint stale_s, GError **error)
{
  gint64 expires_at = now + (gint64) ttl_s * G_USEC_PER_SEC;

  memory_insert((MemoryBackend *) self, key, value, negative, now, expires_at,
                expires_at + (gint64) stale_s * G_USEC_PER_SEC, now);
  return TRUE;
}

static BimiFlightClaim
memory_claim(BimiRecordCacheBackend *self, const char *key, gint64 now, guint wait_ms)
{
  return bimi_flight_group_claim(((MemoryBackend *) self)->flights, key, wait_ms);
}

static void
memory_release(BimiRecordCacheBackend *self, const char *key, gboolean ok)
{
  bimi_flight_group_release(((MemoryBackend *) self)->flights, key, ok);
}

static void
memory_stats(BimiRecordCacheBackend *self, BimiRecordCacheBackendStats *out)
{
  MemoryBackend *m = (MemoryBackend *) self;

  pthread_mutex_lock(&m->lock);
  out->entries = g_hash_table_size(m->table);
  out->evictions = m->evictions;
  out->expirations = m->expirations;
  pthread_mutex_unlock(&m->lock);
}

static void
memory_free(BimiRecordCacheBackend *self)
{
  MemoryBackend *m = (MemoryBackend *) self;

  g_hash_table_destroy(m->table);
  bimi_flight_group_free(m->flights);
  pthread_mutex_destroy(&m->lock);
  g_free(m);
}

static const BimiRecordCacheBackendVTable memory_vtable = {
  memory_get, memory_put, memory_claim, memory_release, memory_stats, memory_free,
};

BimiRecordCacheBackend *
bimi_record_cache_backend_new_memory(guint max_entries)
{
  MemoryBackend *m;

  g_return_val_if_fail(max_entries >= 1 && max_entries <= BIMI_CACHE_MAX_ENTRIES, NULL);
  m = g_new0(MemoryBackend, 1);
  m->base.vtable = &memory_vtable;
  pthread_mutex_init(&m->lock, NULL);
  m->table = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) node_free);
  g_queue_init(&m->lru);
  m->max_entries = max_entries;
  m->flights = bimi_flight_group_new();
  return &m->base;
}

void
bimi_record_cache__memory_put_entry(BimiRecordCacheBackend *memory, const char *key, const BimiCacheEntry *entry,
                                    gint64 now)
{
  g_return_if_fail(memory != NULL && memory->vtable == &memory_vtable && entry != NULL && entry->value != NULL);
  memory_insert((MemoryBackend *) memory, key, entry->value, entry->negative, entry->stored_at, entry->expires_at,
                entry->stale_until, now);
}

gboolean
bimi_record_cache__memory_get(BimiRecordCacheBackend *memory, const char *key, gint64 now, BimiCacheEntry *out,
                              gint64 *local_at)
{
  g_return_val_if_fail(memory != NULL && memory->vtable == &memory_vtable && out != NULL, FALSE);
  return memory_get_full(memory, key, now, out, local_at);
}

void
bimi_record_cache_backend_free(BimiRecordCacheBackend *backend)
{
  if (backend != NULL)
    backend->vtable->free(backend);
}

/* ---- the cache policy --------------------------------------------------- */

struct BimiRecordCache {
  BimiRecordCacheBackend *backend;
  BimiRecordCacheConfig config;
  BimiCacheClockFunc clock;
  gpointer clock_data;
  atomic_ullong hits, negative_hits, stale_hits, misses, waits, wait_timeouts, refreshes, fetches;
};

#define COUNT(c, field) atomic_fetch_add_explicit(&(c)->field, 1, memory_order_relaxed)
#define READ(c, field) atomic_load_explicit(&(c)->field, memory_order_relaxed)

BimiRecordCache *
bimi_record_cache_new(BimiRecordCacheBackend *backend, const BimiRecordCacheConfig *config,
                      BimiCacheClockFunc clock, gpointer clock_data)
{
  BimiRecordCache *c;

  g_return_val_if_fail(backend != NULL && config != NULL, NULL);
  BIMI_CACHE_REGISTER_QUARK();
  c = g_new0(BimiRecordCache, 1);
  c->backend = backend;
  c->config = *config;
  c->clock = clock;
  c->clock_data = clock_data;
  return c;
}

BIMI_DEFINE_FREE_FUNC(BimiRecordCache, bimi_record_cache_free, cache)
{
  bimi_record_cache_backend_free(cache->backend);
}

static inline gboolean
name_char_ok(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
         ch == '_' || ch == '.';
}

static inline char
ascii_lower(char ch)
{
  return ch >= 'A' && ch <= 'Z' ? (char) (ch + ('a' - 'A')) : ch;
}

/* "<selector>._bimi.<domain>" lowercased into @key (BIMI_CACHE_MAX_KEY_BYTES + 1). */
static gboolean
make_key(const char *selector, const char *domain, char *key, GError **error)
{
  gsize slen = strnlen(selector, BIMI_CACHE_MAX_SELECTOR_BYTES + 1);
  gsize dlen = strnlen(domain, BIMI_DNS_MAX_NAME_BYTES + 2);
  gsize k = 0;

  if (dlen > 0 && domain[dlen - 1] == '.' && dlen <= BIMI_DNS_MAX_NAME_BYTES + 1)
    dlen--; /* "example.com." names the same domain */
  if (slen == 0 || slen > BIMI_CACHE_MAX_SELECTOR_BYTES) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID,
                "cache key: selector must be 1 to %u bytes", BIMI_CACHE_MAX_SELECTOR_BYTES);
    return FALSE;
  }
  if (dlen == 0 || dlen > BIMI_DNS_MAX_NAME_BYTES) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID,
                "cache key: domain must be 1 to %u bytes", BIMI_DNS_MAX_NAME_BYTES);
    return FALSE;
  }
  for (gsize i = 0; i < slen; i++) {
    if (!name_char_ok(selector[i])) {
      g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID,
                  "cache key: selector byte 0x%02x at offset %" G_GSIZE_FORMAT " is not LDH, '_' or '.'",
                  (guchar) selector[i], i);
      return FALSE;
    }
    key[k++] = ascii_lower(selector[i]);
  }
  memcpy(key + k, "._bimi.", 7);
  k += 7;
  for (gsize i = 0; i < dlen; i++) {
    if (!name_char_ok(domain[i])) {
      g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID,
                  "cache key: domain byte 0x%02x at offset %" G_GSIZE_FORMAT " is not LDH, '_' or '.' "
                  "(A-labels only)", (guchar) domain[i], i);
      return FALSE;
    }
    key[k++] = ascii_lower(domain[i]);
  }
  key[k] = '\0';
  return TRUE;
}

/* The number of claim rounds before a lookup gives up: a round ends without an
 * entry only when the entry the leader stored was evicted before we read it. */
#define MAX_CLAIM_ROUNDS 4

gboolean
bimi_record_cache_lookup(BimiRecordCache *cache, const char *selector, const char *domain,
                         BimiCacheEntry *out, BimiRecordCacheStatus *status, GError **error)
{
  char key[BIMI_CACHE_MAX_KEY_BYTES + 1];
  BimiRecordCacheBackend *b;
  gint64 now;

  g_return_val_if_fail(cache != NULL && selector != NULL && domain != NULL, FALSE);
  g_return_val_if_fail(out != NULL && status != NULL, FALSE);
  memset(out, 0, sizeof *out);
  if (!make_key(selector, domain, key, error))
    return FALSE;
  b = cache->backend;
  now = bimi_cache_now(cache->clock, cache->clock_data);

  if (b->vtable->get(b, key, now, out)) {
    if (now < out->expires_at) {
      if (out->negative)
        COUNT(cache, negative_hits);
      else
        COUNT(cache, hits);
      *status = BIMI_RECORD_CACHE_HIT;
      return TRUE;
    }
    /* Stale: serve it; whoever wins the (non-waiting) claim refreshes. */
    COUNT(cache, stale_hits);
    if (b->vtable->claim(b, key, now, 0) == BIMI_FLIGHT_LEADER) {
      COUNT(cache, refreshes);
      *status = BIMI_RECORD_CACHE_STALE_REFRESH;
    } else {
      *status = BIMI_RECORD_CACHE_STALE;
    }
    return TRUE;
  }

  for (guint round = 0; round < MAX_CLAIM_ROUNDS; round++) {
    BimiFlightClaim claim = b->vtable->claim(b, key, now, cache->config.wait_ms);

    switch (claim) {
    case BIMI_FLIGHT_LEADER:
      COUNT(cache, misses);
      *status = BIMI_RECORD_CACHE_MISS;
      return TRUE;
    case BIMI_FLIGHT_TIMEOUT:
    case BIMI_FLIGHT_BUSY:
      COUNT(cache, waits);
      COUNT(cache, wait_timeouts);
      g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_TIMEOUT,
                  "%s: another lookup did not finish within %u ms", key, cache->config.wait_ms);
      return FALSE;
    case BIMI_FLIGHT_FAILED:
      COUNT(cache, waits);
      g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_FAILED,
                  "%s: the lookup this request waited for failed", key);
      return FALSE;
    case BIMI_FLIGHT_DONE:
      COUNT(cache, waits);
      now = bimi_cache_now(cache->clock, cache->clock_data);
      if (b->vtable->get(b, key, now, out)) {
        *status = BIMI_RECORD_CACHE_WAITED;
        return TRUE;
      }
      break; /* evicted already: claim again */
    }
  }
  g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT,
              "%s: entry evicted %u times before it could be read (max_entries too small?)", key,
              MAX_CLAIM_ROUNDS);
  return FALSE;
}

gboolean
bimi_record_cache_complete(BimiRecordCache *cache, const char *selector, const char *domain,
                           GBytes *value, gboolean negative, guint ttl_s, BimiCacheEntry *out,
                           GError **error)
{
  char key[BIMI_CACHE_MAX_KEY_BYTES + 1];
  BimiRecordCacheBackend *b;
  guint stale_s;
  gint64 now;
  gboolean ok;

  g_return_val_if_fail(cache != NULL && selector != NULL && domain != NULL && value != NULL, FALSE);
  if (out != NULL)
    memset(out, 0, sizeof *out);
  if (!make_key(selector, domain, key, error))
    return FALSE; /* no flight can exist for a key that make_key() refuses */
  b = cache->backend;
  if (g_bytes_get_size(value) > BIMI_CACHE_MAX_VALUE_BYTES) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT, "%s: value of %" G_GSIZE_FORMAT
                " bytes exceeds %u", key, g_bytes_get_size(value), BIMI_CACHE_MAX_VALUE_BYTES);
    b->vtable->release(b, key, FALSE);
    return FALSE;
  }
  if (negative) {
    ttl_s = MIN(ttl_s, cache->config.negative_ttl);
    stale_s = 0;
  } else {
    ttl_s = MIN(ttl_s, cache->config.max_ttl);
    stale_s = cache->config.max_stale;
  }
  ttl_s = MAX(ttl_s, 1u);
  now = bimi_cache_now(cache->clock, cache->clock_data);
  ok = b->vtable->put_with_ttl(b, key, value, negative, now, ttl_s, stale_s, error);
  if (ok && out != NULL) {
    out->value = g_bytes_ref(value);
    out->negative = negative;
    out->stored_at = now;
    out->expires_at = now + (gint64) ttl_s * G_USEC_PER_SEC;
    out->stale_until = out->expires_at + (gint64) stale_s * G_USEC_PER_SEC;
  }
  b->vtable->release(b, key, ok);
  return ok;
}

void
bimi_record_cache_abandon(BimiRecordCache *cache, const char *selector, const char *domain)
{
  char key[BIMI_CACHE_MAX_KEY_BYTES + 1];

  g_return_if_fail(cache != NULL && selector != NULL && domain != NULL);
  if (make_key(selector, domain, key, NULL))
    cache->backend->vtable->release(cache->backend, key, FALSE);
}

gboolean
bimi_record_cache_get(BimiRecordCache *cache, const char *selector, const char *domain,
                      BimiRecordFetchFunc fetch, gpointer user_data, BimiCacheEntry *out,
                      BimiRecordCacheStatus *status, GError **error)
{
  g_autoptr(GBytes) value = NULL;
  g_autoptr(GError) fetch_error = NULL;
  gboolean negative = FALSE;
  guint ttl_s = 0;

  g_return_val_if_fail(fetch != NULL, FALSE);
  if (!bimi_record_cache_lookup(cache, selector, domain, out, status, error))
    return FALSE;
  if (*status != BIMI_RECORD_CACHE_MISS && *status != BIMI_RECORD_CACHE_STALE_REFRESH)
    return TRUE;

  COUNT(cache, fetches);
  if (!fetch(selector, domain, user_data, &value, &negative, &ttl_s, &fetch_error) || value == NULL) {
    bimi_record_cache_abandon(cache, selector, domain);
    if (*status == BIMI_RECORD_CACHE_STALE_REFRESH) {
      g_debug("cache: refresh of %s/%s failed, serving stale: %s", selector, domain,
              fetch_error != NULL ? fetch_error->message : "no value");
      *status = BIMI_RECORD_CACHE_STALE;
      return TRUE;
    }
    if (fetch_error != NULL)
      g_propagate_error(error, g_steal_pointer(&fetch_error));
    else
      g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_FAILED, "fetch returned no value");
    return FALSE;
  }
  if (*status == BIMI_RECORD_CACHE_STALE_REFRESH) {
    /* Keep the stale entry for the caller if the store fails. */
    BimiCacheEntry fresh = { 0 };
    if (!bimi_record_cache_complete(cache, selector, domain, value, negative, ttl_s, &fresh, NULL)) {
      *status = BIMI_RECORD_CACHE_STALE;
      return TRUE;
    }
    bimi_cache_entry_clear(out);
    *out = fresh;
  } else if (!bimi_record_cache_complete(cache, selector, domain, value, negative, ttl_s, out, error)) {
    return FALSE;
  }
  *status = BIMI_RECORD_CACHE_REFRESHED;
  return TRUE;
}

void
bimi_record_cache_get_stats(BimiRecordCache *cache, BimiRecordCacheStats *out)
{
  BimiRecordCacheBackendStats bs = { 0 };

  g_return_if_fail(cache != NULL && out != NULL);
  cache->backend->vtable->stats(cache->backend, &bs);
  out->hits = READ(cache, hits);
  out->negative_hits = READ(cache, negative_hits);
  out->stale_hits = READ(cache, stale_hits);
  out->misses = READ(cache, misses);
  out->waits = READ(cache, waits);
  out->wait_timeouts = READ(cache, wait_timeouts);
  out->refreshes = READ(cache, refreshes);
  out->fetches = READ(cache, fetches);
  out->entries = bs.entries;
  out->evictions = bs.evictions;
  out->expirations = bs.expirations;
}
