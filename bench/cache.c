/* bench/cache.c — cache hit latency and throughput (issue 8, `make bench`).
 *
 * Prints one line per figure: "<name> <value> <unit>".
 *  - record cache: lookup of a warm entry among 1000 keys, 1 thread (ns per
 *    hit) and 2 threads (hits per second, both together);
 *  - logo store: PNG read of a warm entry (open, read, IHDR/IEND check,
 *    access-time update), 1 thread (ns per hit) and 2 threads (hits/s).
 * Bounded: each figure runs for about BENCH_SECONDS.
 */
#include "cache/records.h"
#include "cache/store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N_KEYS 1000
#define BENCH_SECONDS 1.0

static char domains[N_KEYS][32];

typedef struct Job Job;
struct Job {
  BimiRecordCache *cache;
  BimiLogoStore *store;
  const char *hash;
  void (*batch)(Job *j, guint64 n); /* one batch of hits, the @n-th hit of this job first */
  guint batch_size;                 /* hits per batch: the clock is read between batches */
  guint64 done;
  gint64 elapsed_us;
};

/* Lookups of warm record-cache entries, each a hit. */
static void
record_batch(Job *j, guint64 n)
{
  for (guint i = 0; i < j->batch_size; i++) {
    BimiCacheEntry e;
    BimiRecordCacheStatus st;
    if (!bimi_record_cache_lookup(j->cache, "default", domains[(n + i) % N_KEYS], &e, &st, NULL) ||
        st != BIMI_RECORD_CACHE_HIT)
      g_error("bench: expected a hit");
    bimi_cache_entry_clear(&e);
  }
}

/* Reads of a warm PNG of the logo store. */
static void
store_batch(Job *j, guint64 n)
{
  (void) n;
  for (guint i = 0; i < j->batch_size; i++) {
    GBytes *png = bimi_logo_store_get_png(j->store, j->hash, 64, NULL);
    if (png == NULL)
      g_error("bench: expected a PNG hit");
    g_bytes_unref(png);
  }
}

/* A thread (or the caller): the job's batches for about BENCH_SECONDS; hits and time in the job. */
static void *
timed_hits(void *data)
{
  Job *j = data;
  gint64 start = g_get_monotonic_time(), end = start + (gint64) (BENCH_SECONDS * G_USEC_PER_SEC);
  guint64 n = 0;

  while (g_get_monotonic_time() < end) {
    j->batch(j, n);
    n += j->batch_size;
  }
  j->done = n;
  j->elapsed_us = g_get_monotonic_time() - start;
  return NULL;
}

static void
run(const char *name, void (*batch)(Job *j, guint64 n), guint batch_size, Job *proto)
{
  Job one = *proto, two[2];
  pthread_t t[2];
  double rate = 0;

  one.batch = batch;
  one.batch_size = batch_size;
  two[0] = two[1] = one;
  timed_hits(&one);
  printf("cache.%s.hit_latency %.0f ns\n", name, (double) one.elapsed_us * 1000.0 / (double) one.done);
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, timed_hits, &two[i]);
  for (int i = 0; i < 2; i++) {
    pthread_join(t[i], NULL);
    rate += (double) two[i].done * G_USEC_PER_SEC / (double) two[i].elapsed_us;
  }
  printf("cache.%s.hits_per_second_2_threads %.0f hits/s\n", name, rate);
}

static GBytes *
fake_png(guint px)
{
  static const guchar head[16] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
  static const guchar iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
  gsize total = 2048; /* about a 64 px logo */
  guchar *p = g_malloc0(total);

  memcpy(p, head, sizeof head);
  p[19] = (guchar) px;
  p[23] = (guchar) px;
  memcpy(p + total - 12, iend, sizeof iend);
  return g_bytes_new_take(p, total);
}

int
main(void)
{
  BimiRecordCacheConfig cfg = { .max_ttl = 86400, .negative_ttl = 300, .max_stale = 3600, .wait_ms = 1000 };
  g_autoptr(BimiRecordCache) cache = bimi_record_cache_new(bimi_record_cache_backend_new_memory(N_KEYS * 2),
                                                           &cfg, NULL, NULL);
  g_autoptr(GBytes) value = g_bytes_new_take(g_malloc0(600), 600); /* a serialized record + evidence */
  g_autoptr(GBytes) svg = g_bytes_new_static("<svg/>", 6);
  g_autoptr(GBytes) png = fake_png(64);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("bimi-bench-cache-XXXXXX", &error);
  g_autoptr(BimiLogoStore) store = NULL;
  char hash[BIMI_LOGO_HASH_HEX_LEN + 1];
  Job proto = { 0 };

  for (guint i = 0; i < N_KEYS; i++) {
    BimiCacheEntry e;
    BimiRecordCacheStatus st;
    g_snprintf(domains[i], sizeof domains[i], "brand%u.example", i);
    if (!bimi_record_cache_lookup(cache, "default", domains[i], &e, &st, NULL) ||
        !bimi_record_cache_complete(cache, "default", domains[i], value, FALSE, 86400, NULL, NULL))
      g_error("bench: fill failed");
  }
  proto.cache = cache;
  run("records", record_batch, 1000, &proto);

  if (dir == NULL)
    g_error("bench: %s", error->message);
  store = bimi_logo_store_open(dir, 64u << 20, NULL, NULL, &error);
  if (store == NULL || !bimi_logo_store_put_svg(store, svg, hash, &error) ||
      !bimi_logo_store_put_png(store, hash, 64, png, &error))
    g_error("bench: %s", error->message);
  proto.store = store;
  proto.hash = hash;
  run("store_png", store_batch, 100, &proto);

  {
    g_autofree char *svg_path = bimi_logo_store_svg_path(store, hash);
    g_autofree char *png_path = bimi_logo_store_png_path(store, hash, 64);
    g_autofree char *d1 = g_path_get_dirname(svg_path);
    g_autofree char *d2 = g_path_get_dirname(png_path);
    g_autofree char *k1 = g_path_get_dirname(d1);
    g_autofree char *k2 = g_path_get_dirname(d2);
    unlink(svg_path);
    unlink(png_path);
    rmdir(d1);
    rmdir(d2);
    rmdir(k1);
    rmdir(k2);
    rmdir(dir);
  }
  return 0;
}
