/* tests/test-cache-records.c — cache/records (+ cache/flight, cache/cache TTL
 * rule): TTL expiry on a pinned clock, negative entries, LRU bound,
 * stale-while-revalidate, single-flight exactly-once under 32 threads. */
#include "cache/records.h"
#include "engine/limits.h"
#include "tests/lib/cache-origin.h"
#include "tests/lib/clock.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define T0 ((gint64) 1700000000 * G_USEC_PER_SEC)

static void
advance(BimiTestClock *c, gint64 seconds)
{
  c->now += seconds * G_USEC_PER_SEC;
}

static const char *
value_str(const BimiCacheEntry *e)
{
  return g_bytes_get_data(e->value, NULL);
}

static BimiRecordCache *
new_cache(BimiTestClock *clock, guint max_entries, guint max_stale, guint wait_ms)
{
  BimiRecordCacheConfig cfg = { .max_ttl = 86400, .negative_ttl = 300, .max_stale = max_stale,
                                .wait_ms = wait_ms };
  return bimi_record_cache_new(bimi_record_cache_backend_new_memory(max_entries), &cfg,
                               clock != NULL ? bimi_test_clock_now : NULL, clock);
}

static void
test_ttl_compute(void)
{
  BimiCacheTtlBounds b = { .min_ttl = 3600, .max_ttl = 86400 };
  gint64 now = 1700000000;

  /* DNS TTL alone (no max-age, no certificate). */
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 300, -1, 0), ==, 300);
  /* max-age below min_ttl is raised to it; DNS TTL larger. */
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 86400, 60, 0), ==, 3600);
  /* max-age above max_ttl is lowered; DNS TTL larger still: max_ttl caps everything. */
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 604800, 1000000, 0), ==, 86400);
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 604800, -1, 0), ==, 86400);
  /* max-age inside the bounds wins over a larger DNS TTL. */
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 86400, 7200, 0), ==, 7200);
  /* The certificate expiring in 120 s wins. */
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 86400, 7200, now + 120), ==, 120);
  /* Expired certificate, or DNS TTL 0: do not cache. */
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 86400, 7200, now), ==, 0);
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 86400, 7200, now - 1), ==, 0);
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 0, 7200, now + 5000), ==, 0);
  /* max-age 0 is raised to min_ttl (the bound exists to stop refetch storms). */
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, 86400, 0, 0), ==, 3600);
  /* RFC 2181 §8 largest TTL. */
  g_assert_cmpuint(bimi_cache_compute_ttl(&b, now, BIMI_DNS_MAX_TTL, -1, G_MAXINT64), ==, 86400);
}

static void
test_hit_and_expiry(void)
{
  BimiTestClock clock = { T0 };
  g_autoptr(BimiRecordCache) cache = new_cache(&clock, 100, 0, 1000);
  BimiTestOrigin f = { .name_in_value = TRUE, .ttl_s = 600 };
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  BimiRecordCacheStats stats;
  GError *error = NULL;

  g_assert_true(bimi_record_cache_get(cache, "default", "example.com", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_no_error(error);
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_REFRESHED);
  g_assert_cmpstr(value_str(&e), ==, "v1:default/example.com");
  g_assert_cmpint(e.expires_at, ==, T0 + 600 * G_USEC_PER_SEC);
  g_assert_false(e.negative);
  bimi_cache_entry_clear(&e);

  /* 599 s later: a hit; the key is case-insensitive and ignores a trailing dot. */
  advance(&clock, 599);
  g_assert_true(bimi_record_cache_get(cache, "DEFAULT", "Example.COM.", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  g_assert_cmpstr(value_str(&e), ==, "v1:default/example.com");
  bimi_cache_entry_clear(&e);
  g_assert_cmpuint(atomic_load(&f.calls), ==, 1);

  /* At exactly T0+600 the entry has expired (max_stale 0): fetched again. */
  advance(&clock, 1);
  g_assert_true(bimi_record_cache_get(cache, "default", "example.com", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_REFRESHED);
  g_assert_cmpstr(value_str(&e), ==, "v2:default/example.com");
  bimi_cache_entry_clear(&e);

  /* Another selector is another key. */
  g_assert_true(bimi_record_cache_get(cache, "brand", "example.com", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_cmpstr(value_str(&e), ==, "v3:brand/example.com");
  bimi_cache_entry_clear(&e);

  bimi_record_cache_get_stats(cache, &stats);
  g_assert_cmpuint(stats.hits, ==, 1);
  g_assert_cmpuint(stats.misses, ==, 3);
  g_assert_cmpuint(stats.fetches, ==, 3);
  g_assert_cmpuint(stats.expirations, ==, 1);
  g_assert_cmpuint(stats.entries, ==, 2);

  /* The TTL is capped at max_ttl. */
  f.ttl_s = 10 * 86400;
  g_assert_true(bimi_record_cache_get(cache, "x", "cap.example", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_cmpint(e.expires_at - e.stored_at, ==, (gint64) 86400 * G_USEC_PER_SEC);
  bimi_cache_entry_clear(&e);
}

static void
test_negative(void)
{
  BimiTestClock clock = { T0 };
  g_autoptr(BimiRecordCache) cache = new_cache(&clock, 100, 3600, 1000);
  BimiTestOrigin f = { .name_in_value = TRUE, .ttl_s = 3600, .negative = TRUE };
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  BimiRecordCacheStats stats;

  g_assert_true(bimi_record_cache_get(cache, "default", "none.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_true(e.negative);
  /* Negative TTL: min(3600, negative_ttl = 300); no stale window. */
  g_assert_cmpint(e.expires_at, ==, T0 + 300 * G_USEC_PER_SEC);
  g_assert_cmpint(e.stale_until, ==, e.expires_at);
  bimi_cache_entry_clear(&e);

  advance(&clock, 299);
  g_assert_true(bimi_record_cache_get(cache, "default", "none.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  g_assert_true(e.negative);
  bimi_cache_entry_clear(&e);

  /* Expired negative entries are never served stale, even with max_stale 3600. */
  advance(&clock, 1);
  f.negative = FALSE;
  g_assert_true(bimi_record_cache_get(cache, "default", "none.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_REFRESHED);
  g_assert_false(e.negative);
  bimi_cache_entry_clear(&e);
  g_assert_cmpuint(atomic_load(&f.calls), ==, 2);

  /* A smaller negative TTL than negative_ttl is kept. */
  f.negative = TRUE;
  f.ttl_s = 30;
  g_assert_true(bimi_record_cache_get(cache, "default", "short.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(e.expires_at - e.stored_at, ==, 30 * G_USEC_PER_SEC);
  bimi_cache_entry_clear(&e);

  bimi_record_cache_get_stats(cache, &stats);
  g_assert_cmpuint(stats.negative_hits, ==, 1);
  g_assert_cmpuint(stats.stale_hits, ==, 0);
}

static void
test_lru(void)
{
  BimiTestClock clock = { T0 };
  g_autoptr(BimiRecordCache) cache = new_cache(&clock, 3, 0, 1000);
  BimiTestOrigin f = { .name_in_value = TRUE, .ttl_s = 600 };
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  BimiRecordCacheStats stats;
  const char *domains[] = { "a.example", "b.example", "c.example" };

  for (gsize i = 0; i < 3; i++) {
    g_assert_true(bimi_record_cache_get(cache, "s", domains[i], bimi_test_origin_fetch, &f, &e, &st, NULL));
    bimi_cache_entry_clear(&e);
  }
  /* Touch a: b is now least recently used. */
  g_assert_true(bimi_record_cache_get(cache, "s", "a.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  bimi_cache_entry_clear(&e);
  g_assert_true(bimi_record_cache_get(cache, "s", "d.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  bimi_cache_entry_clear(&e);
  bimi_record_cache_get_stats(cache, &stats);
  g_assert_cmpuint(stats.evictions, ==, 1);
  g_assert_cmpuint(stats.entries, ==, 3);

  /* a, c, d hit; b was evicted and is fetched again (evicting c, now the oldest). */
  g_assert_true(bimi_record_cache_get(cache, "s", "a.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  bimi_cache_entry_clear(&e);
  g_assert_true(bimi_record_cache_get(cache, "s", "d.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  bimi_cache_entry_clear(&e);
  g_assert_true(bimi_record_cache_get(cache, "s", "b.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_REFRESHED);
  bimi_cache_entry_clear(&e);
  g_assert_true(bimi_record_cache_get(cache, "s", "c.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_REFRESHED);
  bimi_cache_entry_clear(&e);
  bimi_record_cache_get_stats(cache, &stats);
  g_assert_cmpuint(stats.evictions, ==, 3);
  g_assert_cmpuint(atomic_load(&f.calls), ==, 6);
}

static void
test_stale_while_revalidate(void)
{
  BimiTestClock clock = { T0 };
  g_autoptr(BimiRecordCache) cache = new_cache(&clock, 100, 600, 1000);
  BimiTestOrigin f = { .name_in_value = TRUE, .ttl_s = 60 };
  BimiCacheEntry e = { 0 }, e2 = { 0 };
  BimiRecordCacheStatus st, st2;
  BimiRecordCacheStats stats;
  g_autoptr(GBytes) v = g_bytes_new_static("fresh", 6);
  GError *error = NULL;

  g_assert_true(bimi_record_cache_get(cache, "default", "brand.example", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(e.stale_until, ==, T0 + (60 + 600) * G_USEC_PER_SEC);
  bimi_cache_entry_clear(&e);

  /* Expired by 100 s: the first lookup serves stale and holds the refresh... */
  advance(&clock, 160);
  g_assert_true(bimi_record_cache_lookup(cache, "default", "brand.example", &e, &st, &error));
  g_assert_no_error(error);
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_STALE_REFRESH);
  g_assert_cmpstr(value_str(&e), ==, "v1:default/brand.example");
  bimi_cache_entry_clear(&e);
  /* ...a concurrent one serves stale without waiting and without refreshing. */
  g_assert_true(bimi_record_cache_lookup(cache, "default", "brand.example", &e2, &st2, &error));
  g_assert_cmpint(st2, ==, BIMI_RECORD_CACHE_STALE);
  g_assert_cmpstr(value_str(&e2), ==, "v1:default/brand.example");
  bimi_cache_entry_clear(&e2);
  /* The refresh lands: fresh again. */
  g_assert_true(bimi_record_cache_complete(cache, "default", "brand.example", v, FALSE, 60, NULL, &error));
  g_assert_true(bimi_record_cache_lookup(cache, "default", "brand.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  g_assert_cmpstr(value_str(&e), ==, "fresh");
  bimi_cache_entry_clear(&e);

  /* Origin down during a refresh: get() serves the stale entry, the next lookup may refresh again. */
  advance(&clock, 61);
  f.fail = TRUE;
  g_assert_true(bimi_record_cache_get(cache, "default", "brand.example", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_no_error(error);
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_STALE);
  g_assert_cmpstr(value_str(&e), ==, "fresh");
  bimi_cache_entry_clear(&e);
  f.fail = FALSE;
  g_assert_true(bimi_record_cache_get(cache, "default", "brand.example", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_REFRESHED);
  g_assert_cmpstr(value_str(&e), ==, "v3:default/brand.example");
  bimi_cache_entry_clear(&e);

  /* Staleness is bounded: past expires + max_stale it is a miss. */
  advance(&clock, 60 + 600);
  g_assert_true(bimi_record_cache_lookup(cache, "default", "brand.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  g_assert_null(e.value);
  bimi_record_cache_abandon(cache, "default", "brand.example");

  bimi_record_cache_get_stats(cache, &stats);
  g_assert_cmpuint(stats.stale_hits, ==, 4);
  g_assert_cmpuint(stats.refreshes, ==, 3);
}

/* ---- single-flight under 32 threads ------------------------------------ */

#define N_THREADS 32

typedef struct {
  BimiRecordCache *cache;
  BimiTestOrigin *fetcher;
  atomic_uint *gate;
  char *value;
  BimiRecordCacheStatus status;
  gboolean ok;
} Worker;

static void *
worker_main(void *data)
{
  Worker *w = data;
  BimiCacheEntry e = { 0 };
  GError *error = NULL;

  atomic_fetch_add(w->gate, 1);
  while (atomic_load(w->gate) < N_THREADS)
    sched_yield(); /* start together */
  w->ok = bimi_record_cache_get(w->cache, "default", "popular.example", bimi_test_origin_fetch, w->fetcher, &e,
                                &w->status, &error);
  if (w->ok)
    w->value = g_strdup(value_str(&e));
  g_clear_error(&error);
  bimi_cache_entry_clear(&e);
  return NULL;
}

static void
test_single_flight(void)
{
  BimiTestClock clock = { T0 };
  g_autoptr(BimiRecordCache) cache = new_cache(&clock, 100, 0, 10000);
  BimiTestOrigin f = { .name_in_value = TRUE, .ttl_s = 600, .sleep_ms = 100 };
  atomic_uint gate = 0;
  Worker workers[N_THREADS];
  pthread_t threads[N_THREADS];
  BimiRecordCacheStats stats;
  guint leaders = 0;

  for (guint i = 0; i < N_THREADS; i++) {
    workers[i] = (Worker) { .cache = cache, .fetcher = &f, .gate = &gate };
    g_assert_cmpint(pthread_create(&threads[i], NULL, worker_main, &workers[i]), ==, 0);
  }
  for (guint i = 0; i < N_THREADS; i++)
    pthread_join(threads[i], NULL);

  g_assert_cmpuint(atomic_load(&f.calls), ==, 1);
  for (guint i = 0; i < N_THREADS; i++) {
    g_assert_true(workers[i].ok);
    g_assert_cmpstr(workers[i].value, ==, "v1:default/popular.example");
    if (workers[i].status == BIMI_RECORD_CACHE_REFRESHED)
      leaders++;
    else
      g_assert_true(workers[i].status == BIMI_RECORD_CACHE_WAITED || workers[i].status == BIMI_RECORD_CACHE_HIT);
    g_free(workers[i].value);
  }
  g_assert_cmpuint(leaders, ==, 1);
  bimi_record_cache_get_stats(cache, &stats);
  g_assert_cmpuint(stats.misses, ==, 1);
  g_assert_cmpuint(stats.fetches, ==, 1);
  g_assert_cmpuint(stats.waits + stats.hits, ==, N_THREADS - 1);
  g_assert_cmpuint(stats.wait_timeouts, ==, 0);
}

/* A failing leader: every waiter gets BIMI_CACHE_ERROR_FAILED, nothing is cached, one fetch. */
static void
test_single_flight_failure(void)
{
  BimiTestClock clock = { T0 };
  g_autoptr(BimiRecordCache) cache = new_cache(&clock, 100, 0, 10000);
  BimiTestOrigin f = { .name_in_value = TRUE, .ttl_s = 600, .sleep_ms = 100, .fail = TRUE };
  atomic_uint gate = 0;
  Worker workers[N_THREADS];
  pthread_t threads[N_THREADS];
  BimiRecordCacheStats stats;

  for (guint i = 0; i < N_THREADS; i++) {
    workers[i] = (Worker) { .cache = cache, .fetcher = &f, .gate = &gate };
    g_assert_cmpint(pthread_create(&threads[i], NULL, worker_main, &workers[i]), ==, 0);
  }
  for (guint i = 0; i < N_THREADS; i++) {
    pthread_join(threads[i], NULL);
    g_assert_false(workers[i].ok);
  }
  /* Waiters that arrived after the failure led a fetch of their own; most shared the failure. */
  bimi_record_cache_get_stats(cache, &stats);
  g_assert_cmpuint(atomic_load(&f.calls), ==, stats.misses);
  g_assert_cmpuint(stats.misses + stats.waits, ==, N_THREADS);
  g_assert_cmpuint(stats.entries, ==, 0);
}

typedef struct {
  BimiRecordCache *cache;
  GError *error;
  gboolean ok;
} Waiter;

static void *
waiter_main(void *data)
{
  Waiter *w = data;
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;

  w->ok = bimi_record_cache_lookup(w->cache, "default", "slow.example", &e, &st, &w->error);
  bimi_cache_entry_clear(&e);
  return NULL;
}

static void
test_wait_bounded(void)
{
  BimiTestClock clock = { T0 };
  g_autoptr(BimiRecordCache) cache = new_cache(&clock, 100, 0, 50);
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  BimiRecordCacheStats stats;
  Waiter w = { .cache = cache };
  pthread_t t;
  gint64 start;

  g_assert_true(bimi_record_cache_lookup(cache, "default", "slow.example", &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  /* We lead and never finish: a second lookup gives up after wait_ms = 50 ms. */
  start = g_get_monotonic_time();
  g_assert_cmpint(pthread_create(&t, NULL, waiter_main, &w), ==, 0);
  pthread_join(t, NULL);
  g_assert_false(w.ok);
  g_assert_error(w.error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_TIMEOUT);
  g_assert_cmpint(g_get_monotonic_time() - start, >=, 50000);
  g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
  g_clear_error(&w.error);
  bimi_record_cache_get_stats(cache, &stats);
  g_assert_cmpuint(stats.wait_timeouts, ==, 1);
  bimi_record_cache_abandon(cache, "default", "slow.example");
  /* Abandoned: the next lookup leads. */
  g_assert_true(bimi_record_cache_lookup(cache, "default", "slow.example", &e, &st, NULL));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  bimi_record_cache_abandon(cache, "default", "slow.example");
}

static void
test_key_and_value_limits(void)
{
  BimiTestClock clock = { T0 };
  g_autoptr(BimiRecordCache) cache = new_cache(&clock, 100, 0, 50);
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  GError *error = NULL;
  g_autofree char *sel64 = g_strnfill(BIMI_CACHE_MAX_SELECTOR_BYTES + 1, 's');
  g_autofree char *sel63 = g_strnfill(BIMI_CACHE_MAX_SELECTOR_BYTES, 's');
  g_autofree char *dom254 = g_strnfill(BIMI_DNS_MAX_NAME_BYTES + 1, 'd');
  g_autofree char *dom253 = g_strnfill(BIMI_DNS_MAX_NAME_BYTES, 'd');
  g_autoptr(GBytes) big = g_bytes_new_take(g_malloc0(BIMI_CACHE_MAX_VALUE_BYTES + 1), BIMI_CACHE_MAX_VALUE_BYTES + 1);
  g_autoptr(GBytes) ok = g_bytes_new_take(g_malloc0(BIMI_CACHE_MAX_VALUE_BYTES), BIMI_CACHE_MAX_VALUE_BYTES);

  g_assert_false(bimi_record_cache_lookup(cache, sel64, "example.com", &e, &st, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(bimi_record_cache_lookup(cache, "default", dom254, &e, &st, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(bimi_record_cache_lookup(cache, "", "example.com", &e, &st, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(bimi_record_cache_lookup(cache, "default", "exa mple.com", &e, &st, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "offset 3"));
  g_clear_error(&error);
  g_assert_false(bimi_record_cache_lookup(cache, "a\r\nSET", "example.com", &e, &st, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_clear_error(&error);

  /* The largest key works end to end. */
  g_assert_true(bimi_record_cache_lookup(cache, sel63, dom253, &e, &st, &error));
  g_assert_no_error(error);
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  /* A value over the limit is refused and ends the flight as failed. */
  g_assert_false(bimi_record_cache_complete(cache, sel63, dom253, big, FALSE, 60, NULL, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT);
  g_clear_error(&error);
  g_assert_true(bimi_record_cache_lookup(cache, sel63, dom253, &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  g_assert_true(bimi_record_cache_complete(cache, sel63, dom253, ok, FALSE, 60, &e, &error));
  g_assert_cmpuint(g_bytes_get_size(e.value), ==, BIMI_CACHE_MAX_VALUE_BYTES);
  bimi_cache_entry_clear(&e);
  g_assert_true(bimi_record_cache_lookup(cache, sel63, dom253, &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  bimi_cache_entry_clear(&e);
}

/* The real clock works as the default (NULL clock). */
static void
test_default_clock(void)
{
  g_autoptr(BimiRecordCache) cache = new_cache(NULL, 10, 0, 50);
  BimiTestOrigin f = { .name_in_value = TRUE, .ttl_s = 600 };
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  gint64 before = g_get_real_time();

  g_assert_true(bimi_record_cache_get(cache, "default", "example.com", bimi_test_origin_fetch, &f, &e, &st, NULL));
  g_assert_cmpint(e.stored_at, >=, before);
  g_assert_cmpint(e.stored_at, <=, g_get_real_time());
  bimi_cache_entry_clear(&e);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache/ttl/compute", test_ttl_compute);
  g_test_add_func("/cache/records/hit-and-expiry", test_hit_and_expiry);
  g_test_add_func("/cache/records/negative", test_negative);
  g_test_add_func("/cache/records/lru", test_lru);
  g_test_add_func("/cache/records/stale-while-revalidate", test_stale_while_revalidate);
  g_test_add_func("/cache/records/single-flight", test_single_flight);
  g_test_add_func("/cache/records/single-flight-failure", test_single_flight_failure);
  g_test_add_func("/cache/records/wait-bounded", test_wait_bounded);
  g_test_add_func("/cache/records/limits", test_key_and_value_limits);
  g_test_add_func("/cache/records/default-clock", test_default_clock);
  return g_test_run();
}
