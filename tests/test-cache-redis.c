/* tests/test-cache-redis.c — cache/redis: the redis_url parser, the entry
 * codec (truncated and foreign values are misses), and the record-cache
 * backend against a real redis-server on a unix socket: entries shared by
 * two "nodes", TTL as PX, negative entries, stale-while-revalidate across
 * nodes, fleet single-flight exactly-once under 3 nodes x 16 threads, a
 * crashed leader's lock expiring, the wait bound, and Redis going away and
 * coming back (fallback to memory, one state change each way, counted).
 * Also run under ThreadSanitizer (Makefile TSAN_TESTS). */
#include "cache/redis.h"
#include "cache/brands.h"
#include "cache/records.h"
#include "engine/limits.h"
#include "tests/lib/cache-origin.h"
#include "tests/lib/clock.h"
#include "tests/lib/net.h"

#include <hiredis.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REDIS_SERVER "/usr/bin/redis-server"
#define T0 ((gint64) 1700000000 * G_USEC_PER_SEC)

/* ---- a private redis-server ----------------------------------------------- */

static char *tmpdir;
static char *sock_path;
static GPid server_pid;

static gboolean
server_ping(void)
{
  struct timeval tv = { 0, 200000 };
  redisContext *c = redisConnectUnixWithTimeout(sock_path, tv);
  gboolean ok = FALSE;

  if (c != NULL && c->err == 0) {
    redisReply *r = redisCommand(c, "PING");
    ok = r != NULL && r->type == REDIS_REPLY_STATUS;
    if (r != NULL)
      freeReplyObject(r);
  }
  if (c != NULL)
    redisFree(c);
  return ok;
}

static void
server_start(void)
{
  g_autoptr(GError) error = NULL;
  const char *args[] = { REDIS_SERVER, "--port", "0", "--unixsocket", sock_path, "--unixsocketperm", "700",
                         "--save", "", "--appendonly", "no", "--dir", tmpdir, "--loglevel", "warning" };
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

  for (gsize i = 0; i < G_N_ELEMENTS(args); i++)
    g_ptr_array_add(argv, g_strdup(args[i]));
  g_ptr_array_add(argv, NULL);
  g_assert_true(g_spawn_async(NULL, (char **) argv->pdata, NULL,
                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &server_pid,
                              &error));
  g_assert_no_error(error);
  for (int i = 0; i < 200 && !server_ping(); i++)
    g_usleep(20000);
  g_assert_true(server_ping());
}

static void
server_stop(void)
{
  int status;

  if (server_pid <= 0)
    return;
  kill(server_pid, SIGKILL);
  waitpid(server_pid, &status, 0);
  server_pid = 0;
  unlink(sock_path);
}

/* One raw command on a fresh connection (the test's view of the server). */
static redisReply *
raw(const char *fmt, ...)
{
  struct timeval tv = { 1, 0 };
  redisContext *c = redisConnectUnixWithTimeout(sock_path, tv);
  redisReply *r;
  va_list ap;

  g_assert_nonnull(c);
  g_assert_cmpint(c->err, ==, 0);
  va_start(ap, fmt);
  r = redisvCommand(c, fmt, ap);
  va_end(ap);
  redisFree(c);
  g_assert_nonnull(r);
  return r;
}

static void
flushall(void)
{
  freeReplyObject(raw("FLUSHALL"));
}

/* ---- nodes ---------------------------------------------------------------- */

typedef struct {
  BimiRedis *redis;
  BimiRecordCacheBackend *backend; /* owned by cache */
  BimiRecordCache *cache;
} Node;

static BimiRedis *
new_client(const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf("unix:%s", sock_path);
  BimiRedisConfig rc = { .url = url, .prefix = prefix, .connect_timeout_ms = 500, .timeout_ms = 500 };
  BimiRedis *r = bimi_redis_new(&rc, &error);

  g_assert_no_error(error);
  return r;
}

static void
node_init(Node *n, BimiTestClock *clock, guint max_stale, guint wait_ms, guint lock_ms)
{
  BimiRecordCacheConfig cfg = { .max_ttl = 86400, .negative_ttl = 300, .max_stale = max_stale, .wait_ms = wait_ms };

  n->redis = new_client("t:");
  n->backend = bimi_record_cache_backend_new_redis(n->redis, bimi_record_cache_backend_new_memory(1000), lock_ms);
  n->cache = bimi_record_cache_new(n->backend, &cfg, clock != NULL ? bimi_test_clock_now : NULL, clock);
}

static void
node_clear(Node *n)
{
  g_clear_pointer(&n->cache, bimi_record_cache_free);
  g_clear_pointer(&n->redis, bimi_redis_unref);
}

static GBytes *
str_bytes(const char *s)
{
  return g_bytes_new(s, strlen(s) + 1);
}

static const char *
value_str(const BimiCacheEntry *e)
{
  return g_bytes_get_data(e->value, NULL);
}

/* ---- the URL ---------------------------------------------------------------- */

static void
test_url(void)
{
  static const struct {
    const char *url;
    const char *host, *unix_path, *user, *password;
    guint port, db;
  } good[] = {
    { "redis://127.0.0.1:6380/2", "127.0.0.1", NULL, NULL, NULL, 6380, 2 },
    { "redis://cache.example", "cache.example", NULL, NULL, NULL, 6379, 0 },
    { "redis://:s%40cret@h:1/", "h", NULL, NULL, "s@cret", 1, 0 },
    { "redis://bimi:pw@[::1]:7000/15", "::1", NULL, "bimi", "pw", 7000, 15 },
    { "valkey://h/255", "h", NULL, NULL, NULL, 6379, 255 },
    { "unix:/run/redis/redis.sock", NULL, "/run/redis/redis.sock", NULL, NULL, 0, 0 },
    { "unix:/tmp/r.sock?db=3", NULL, "/tmp/r.sock", NULL, NULL, 0, 3 },
  };
  static const struct {
    const char *url, *says;
  } bad[] = {
    { "rediss://h:6380/0", "TLS" },
    { "http://h/0", "scheme" },
    { "redis:///0", "no host" },
    { "redis://h/256", "database" },
    { "redis://h/x", "database" },
    { "redis://h/0?x=1", "query" },
    { "unix:relative.sock", "absolute" },
    { "unix:/tmp/r.sock?dbx=1", "db=N" },
    { "redis://h /0", "0x20" },
    { "", "1 to" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    BimiRedisAddress a;
    g_autoptr(GError) error = NULL;
    g_test_message("%s", good[i].url);
    g_assert_true(bimi_redis_url_parse(good[i].url, &a, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(a.host, ==, good[i].host);
    g_assert_cmpstr(a.unix_path, ==, good[i].unix_path);
    g_assert_cmpstr(a.username, ==, good[i].user);
    g_assert_cmpstr(a.password, ==, good[i].password);
    if (a.host != NULL)
      g_assert_cmpuint(a.port, ==, good[i].port);
    g_assert_cmpuint(a.db, ==, good[i].db);
    bimi_redis_address_clear(&a);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    BimiRedisAddress a;
    g_autoptr(GError) error = NULL;
    g_assert_false(bimi_redis_url_parse(bad[i].url, &a, &error));
    g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
    g_test_message("%s: %s", bad[i].url, error->message);
    g_assert_nonnull(strstr(error->message, bad[i].says));
  }
}

/* BIMI_CACHE_REDIS_MAX_URL_BYTES and BIMI_CACHE_REDIS_MAX_PREFIX_BYTES. */
static void
test_url_limits(void)
{
  g_autoptr(GError) error = NULL;
  GString *url = g_string_new("redis://");
  g_autofree char *prefix = g_strnfill(BIMI_CACHE_REDIS_MAX_PREFIX_BYTES + 1, 'p');
  BimiRedisAddress a;
  BimiRedisConfig rc = { .url = "redis://h/0", .prefix = prefix, .connect_timeout_ms = 1, .timeout_ms = 1 };

  while (url->len < BIMI_CACHE_REDIS_MAX_URL_BYTES - 2)
    g_string_append_c(url, 'h');
  g_string_append(url, "/0");
  g_assert_cmpuint(url->len, ==, BIMI_CACHE_REDIS_MAX_URL_BYTES);
  g_assert_true(bimi_redis_url_parse(url->str, &a, &error));
  bimi_redis_address_clear(&a);
  g_string_insert_c(url, 8, 'h');
  g_assert_false(bimi_redis_url_parse(url->str, &a, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_string_free(url, TRUE);
  g_clear_error(&error);

  g_assert_null(bimi_redis_new(&rc, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "redis_prefix"));
  g_clear_error(&error);
  prefix[BIMI_CACHE_REDIS_MAX_PREFIX_BYTES] = '\0';
  bimi_redis_unref(bimi_redis_new(&rc, &error));
  g_assert_no_error(error);
}

/* ---- the codec -------------------------------------------------------------- */

static void
test_codec(void)
{
  g_autoptr(GBytes) value = str_bytes("[verdict]\nformat=1\n");
  g_autoptr(GBytes) enc = bimi_redis_entry_encode(value, TRUE, 10, 20, 30);
  BimiCacheEntry e;
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *p = g_bytes_get_data(enc, &len);

  g_assert_true(g_str_has_prefix(p, "bimi-rc/1 1 10 20 30 20\n"));
  g_assert_true(bimi_redis_entry_decode(enc, &e, &error));
  g_assert_no_error(error);
  g_assert_true(e.negative);
  g_assert_cmpint(e.stored_at, ==, 10);
  g_assert_cmpint(e.expires_at, ==, 20);
  g_assert_cmpint(e.stale_until, ==, 30);
  g_assert_true(g_bytes_equal(e.value, value));
  bimi_cache_entry_clear(&e);

  /* every truncation is refused, never read as a shorter value */
  for (gsize cut = 0; cut < len; cut++) {
    g_autoptr(GBytes) t = g_bytes_new_from_bytes(enc, 0, cut);
    g_assert_false(bimi_redis_entry_decode(t, &e, &error));
    g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
    g_assert_null(e.value);
    g_clear_error(&error);
  }
  {
    static const char *const foreign[] = {
      "hello", "bimi-rc/2 0 1 2 3 0\n", "bimi-rc/1 2 1 2 3 0\n", "bimi-rc/1 0 3 2 3 0\n",
      "bimi-rc/1 0 1 2 3 1\nxy", "bimi-rc/1 0 -1 2 3 0\n", "bimi-rc/1 0 1 2 3 0",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(foreign); i++) {
      g_autoptr(GBytes) f = g_bytes_new_static(foreign[i], strlen(foreign[i]));
      g_assert_false(bimi_redis_entry_decode(f, &e, &error));
      g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
      g_test_message("%s -> %s", foreign[i], error->message);
      g_clear_error(&error);
    }
  }
  /* BIMI_CACHE_MAX_VALUE_BYTES: the length field past it is refused before any use */
  {
    g_autofree char *big = g_strdup_printf("bimi-rc/1 0 1 2 3 %u\n", BIMI_CACHE_MAX_VALUE_BYTES + 1);
    g_autoptr(GBytes) f = g_bytes_new(big, strlen(big));
    g_assert_false(bimi_redis_entry_decode(f, &e, &error));
    g_assert_nonnull(strstr(error->message, "exceeds"));
  }
}

/* ---- against the server --------------------------------------------------- */

static void
test_shared_entries(void)
{
  BimiTestClock clock = { T0 };
  Node a, b;
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) v = str_bytes("verdict-1");
  redisReply *r;

  flushall();
  node_init(&a, &clock, 600, 1000, 5000);
  node_init(&b, &clock, 600, 1000, 5000);
  g_assert_true(bimi_record_cache_lookup(a.cache, "default", "Brand.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  g_assert_true(bimi_record_cache_complete(a.cache, "default", "brand.example", v, FALSE, 120, NULL, &error));
  g_assert_no_error(error);

  /* the other node reads it (no fetch) */
  g_assert_true(bimi_record_cache_lookup(b.cache, "default", "brand.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  g_assert_cmpstr(value_str(&e), ==, "verdict-1");
  g_assert_cmpint(e.expires_at, ==, T0 + 120 * G_USEC_PER_SEC);
  bimi_cache_entry_clear(&e);

  /* SET ... PX: the key lives ttl + max_stale, in milliseconds */
  r = raw("PTTL t:rec:default._bimi.brand.example");
  g_assert_cmpint(r->type, ==, REDIS_REPLY_INTEGER);
  g_assert_cmpint(r->integer, >, (120 + 600) * 1000 - 5000);
  g_assert_cmpint(r->integer, <=, (120 + 600) * 1000);
  freeReplyObject(r);
  /* the lock is gone once the flight ended */
  r = raw("EXISTS t:rec:default._bimi.brand.example:lock");
  g_assert_cmpint(r->integer, ==, 0);
  freeReplyObject(r);

  /* negative entries: shared, TTL capped at negative_ttl, never served stale */
  g_assert_true(bimi_record_cache_lookup(b.cache, "s2", "brand.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  g_assert_true(bimi_record_cache_complete(b.cache, "s2", "brand.example", v, TRUE, 86400, NULL, &error));
  g_assert_true(bimi_record_cache_lookup(a.cache, "s2", "brand.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  g_assert_true(e.negative);
  g_assert_cmpint(e.stale_until, ==, T0 + 300 * G_USEC_PER_SEC);
  bimi_cache_entry_clear(&e);
  r = raw("PTTL t:rec:s2._bimi.brand.example");
  g_assert_cmpint(r->integer, <=, 300 * 1000);
  freeReplyObject(r);
  clock.now += 301 * G_USEC_PER_SEC;
  g_assert_true(bimi_record_cache_lookup(a.cache, "s2", "brand.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  bimi_record_cache_abandon(a.cache, "s2", "brand.example");
  node_clear(&a);
  node_clear(&b);
}

/* Stale-while-revalidate across nodes: one node refreshes, the other serves
 * stale meanwhile, then reads the refreshed entry from Redis. */
static void
test_stale_across_nodes(void)
{
  BimiTestClock clock = { T0 };
  Node a, b;
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) v1 = str_bytes("v1");
  g_autoptr(GBytes) v2 = str_bytes("v2");

  flushall();
  node_init(&a, &clock, 600, 1000, 5000);
  node_init(&b, &clock, 600, 1000, 5000);
  g_assert_true(bimi_record_cache_lookup(a.cache, "default", "stale.example", &e, &st, &error));
  g_assert_true(bimi_record_cache_complete(a.cache, "default", "stale.example", v1, FALSE, 60, NULL, &error));
  g_assert_true(bimi_record_cache_lookup(b.cache, "default", "stale.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  bimi_cache_entry_clear(&e);
  clock.now += 61 * G_USEC_PER_SEC;

  g_assert_true(bimi_record_cache_lookup(a.cache, "default", "stale.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_STALE_REFRESH);
  g_assert_cmpstr(value_str(&e), ==, "v1");
  bimi_cache_entry_clear(&e);
  /* node b (its memory has v1, stale) serves stale; the lock is a's */
  g_assert_true(bimi_record_cache_lookup(b.cache, "default", "stale.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_STALE);
  g_assert_cmpstr(value_str(&e), ==, "v1");
  bimi_cache_entry_clear(&e);
  g_assert_true(bimi_record_cache_complete(a.cache, "default", "stale.example", v2, FALSE, 60, NULL, &error));
  /* b's memory copy is stale: it asks Redis and finds v2 fresh */
  g_assert_true(bimi_record_cache_lookup(b.cache, "default", "stale.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  g_assert_cmpstr(value_str(&e), ==, "v2");
  bimi_cache_entry_clear(&e);
  node_clear(&a);
  node_clear(&b);
}

/* Truncated and foreign values in Redis: misses, counted; the leader overwrites them. */
static void
test_garbage_is_miss(void)
{
  BimiTestClock clock = { T0 };
  Node a;
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) v = str_bytes("good");
  g_autoptr(GBytes) enc = bimi_redis_entry_encode(v, FALSE, T0, T0 + 60 * G_USEC_PER_SEC,
                                                  T0 + 60 * G_USEC_PER_SEC);
  gsize len;
  const char *p = g_bytes_get_data(enc, &len);
  BimiRedisStats rs;

  flushall();
  node_init(&a, &clock, 0, 1000, 5000);
  freeReplyObject(raw("SET t:rec:default._bimi.trunc.example %b", p, len - 2));
  freeReplyObject(raw("RPUSH t:rec:default._bimi.list.example x"));
  freeReplyObject(raw("SET t:rec:default._bimi.other.example %s", "{\"not\":\"ours\"}"));
  static const char *const domains[] = { "trunc.example", "list.example", "other.example" };
  for (gsize i = 0; i < G_N_ELEMENTS(domains); i++) {
    g_assert_true(bimi_record_cache_lookup(a.cache, "default", domains[i], &e, &st, &error));
    g_assert_no_error(error);
    g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
    g_assert_true(bimi_record_cache_complete(a.cache, "default", domains[i], v, FALSE, 60, NULL, &error));
    g_assert_no_error(error);
  }
  bimi_redis_get_stats(a.redis, &rs);
  g_assert_cmpuint(rs.invalid_values, >=, 3);
  g_assert_true(rs.up);
  g_assert_cmpuint(rs.downs, ==, 0);
  /* overwritten with a valid entry: another node reads it */
  {
    Node b;
    node_init(&b, &clock, 0, 1000, 5000);
    g_assert_true(bimi_record_cache_lookup(b.cache, "default", "trunc.example", &e, &st, &error));
    g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
    g_assert_cmpstr(value_str(&e), ==, "good");
    bimi_cache_entry_clear(&e);
    node_clear(&b);
  }
  node_clear(&a);
}

/* ---- fleet single-flight ---------------------------------------------------- */

#define NODES 3
#define THREADS_PER_NODE 16

typedef struct {
  Node *node;
  BimiTestOrigin *fetcher;
  const char *domain;
  atomic_int *go;
  gboolean ok;
  char value[8];
} Worker;

static gpointer
worker_run(gpointer data)
{
  Worker *w = data;
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  GError *error = NULL;

  while (!atomic_load(w->go))
    g_usleep(100);
  w->ok = bimi_record_cache_get(w->node->cache, "default", w->domain, bimi_test_origin_fetch, w->fetcher, &e, &st, &error);
  if (w->ok)
    g_strlcpy(w->value, value_str(&e), sizeof w->value);
  else
    g_test_message("worker: %s", error->message);
  g_clear_error(&error);
  bimi_cache_entry_clear(&e);
  return NULL;
}

static void
test_fleet_single_flight(void)
{
  Node nodes[NODES];
  BimiTestOrigin f = { .ttl_s = 300, .sleep_ms = 100 };
  Worker w[NODES * THREADS_PER_NODE];
  GThread *t[NODES * THREADS_PER_NODE];
  atomic_int go = 0;
  guint64 waits = 0;

  flushall();
  for (int n = 0; n < NODES; n++)
    node_init(&nodes[n], NULL, 0, 5000, 5000);
  for (int i = 0; i < NODES * THREADS_PER_NODE; i++) {
    w[i] = (Worker) { &nodes[i % NODES], &f, "cold.example", &go, FALSE, "" };
    t[i] = g_thread_new("w", worker_run, &w[i]);
  }
  atomic_store(&go, 1);
  for (int i = 0; i < NODES * THREADS_PER_NODE; i++)
    g_thread_join(t[i]);
  g_assert_cmpuint(atomic_load(&f.calls), ==, 1);
  for (int i = 0; i < NODES * THREADS_PER_NODE; i++) {
    g_assert_true(w[i].ok);
    g_assert_cmpstr(w[i].value, ==, "v1");
  }
  for (int n = 0; n < NODES; n++) {
    BimiRedisBackendStats bs;
    bimi_record_cache_backend_redis_stats(nodes[n].backend, &bs);
    waits += bs.lock_waits;
    g_assert_cmpuint(bs.wait_timeouts, ==, 0);
    node_clear(&nodes[n]);
  }
  /* the two nodes that did not lead waited on the lock */
  g_assert_cmpuint(waits, ==, NODES - 1);
}

/* A leader that crashed leaves its lock; it expires (PX) and a waiter leads.
 * A lock that outlives wait_ms: the waiter leads itself after wait_ms. */
static void
test_lock_expiry_and_wait_bound(void)
{
  Node a;
  BimiTestOrigin f = { .ttl_s = 300 };
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  g_autoptr(GError) error = NULL;
  BimiRedisBackendStats bs;
  gint64 t0;

  flushall();
  node_init(&a, NULL, 0, 3000, 5000);
  freeReplyObject(raw("SET t:rec:default._bimi.crashed.example:lock dead-node PX 300"));
  t0 = g_get_monotonic_time();
  g_assert_true(bimi_record_cache_get(a.cache, "default", "crashed.example", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_no_error(error);
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_REFRESHED);
  g_test_message("waited %" G_GINT64_FORMAT " ms for the crashed leader's lock to expire",
                 (g_get_monotonic_time() - t0) / 1000);
  bimi_cache_entry_clear(&e);
  bimi_record_cache_backend_redis_stats(a.backend, &bs);
  g_assert_cmpuint(bs.lock_waits, ==, 1);
  g_assert_cmpuint(bs.wait_timeouts, ==, 0);
  node_clear(&a);

  node_init(&a, NULL, 0, 200, 5000);
  freeReplyObject(raw("SET t:rec:default._bimi.stuck.example:lock slow-node PX 60000"));
  g_assert_true(bimi_record_cache_get(a.cache, "default", "stuck.example", bimi_test_origin_fetch, &f, &e, &st, &error));
  g_assert_no_error(error);
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_REFRESHED);
  bimi_cache_entry_clear(&e);
  bimi_record_cache_backend_redis_stats(a.backend, &bs);
  g_assert_cmpuint(bs.lock_waits, ==, 1);
  g_assert_cmpuint(bs.wait_timeouts, ==, 1);
  /* the other node's lock is left alone */
  {
    redisReply *r = raw("GET t:rec:default._bimi.stuck.example:lock");
    g_assert_cmpstr(r->str, ==, "slow-node");
    freeReplyObject(r);
  }
  g_assert_cmpuint(atomic_load(&f.calls), ==, 2);
  node_clear(&a);
}

/* Redis down: the node serves from memory, logs and counts one state change,
 * retries after the backoff; back up: one recovery, shared again. */
static void
test_down_and_back(void)
{
  BimiTestClock clock = { T0 };
  Node a;
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) v = str_bytes("kept");
  BimiRedisStats rs;
  guint64 commands;

  flushall();
  node_init(&a, &clock, 0, 1000, 5000);
  server_stop();
  g_test_expect_message("bimi", G_LOG_LEVEL_WARNING, "cache: redis unix:* unavailable*");
  g_assert_true(bimi_record_cache_lookup(a.cache, "default", "down.example", &e, &st, &error));
  g_test_assert_expected_messages();
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  g_assert_true(bimi_record_cache_complete(a.cache, "default", "down.example", v, FALSE, 60, NULL, &error));
  g_assert_no_error(error);
  g_assert_true(bimi_record_cache_lookup(a.cache, "default", "down.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  g_assert_cmpstr(value_str(&e), ==, "kept");
  bimi_cache_entry_clear(&e);
  bimi_redis_get_stats(a.redis, &rs);
  g_assert_false(rs.up);
  g_assert_cmpuint(rs.downs, ==, 1);
  g_assert_cmpuint(rs.fallbacks, >=, 2);
  /* within BIMI_CACHE_REDIS_BACKOFF_MIN_MS nothing is tried */
  commands = rs.commands;
  g_assert_true(bimi_record_cache_lookup(a.cache, "default", "down2.example", &e, &st, &error));
  bimi_record_cache_abandon(a.cache, "default", "down2.example");
  bimi_redis_get_stats(a.redis, &rs);
  g_assert_cmpuint(rs.commands, ==, commands);
  g_assert_cmpuint(rs.connects, ==, 0);

  server_start();
  g_usleep(3 * BIMI_CACHE_REDIS_BACKOFF_MIN_MS * 1000); /* no probe ran meanwhile: the backoff is the first one */
  g_test_expect_message("bimi", G_LOG_LEVEL_MESSAGE, "cache: redis * reachable again*");
  g_assert_true(bimi_record_cache_lookup(a.cache, "default", "up.example", &e, &st, &error));
  g_test_assert_expected_messages();
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_MISS);
  g_assert_true(bimi_record_cache_complete(a.cache, "default", "up.example", v, FALSE, 60, NULL, &error));
  bimi_redis_get_stats(a.redis, &rs);
  g_assert_true(rs.up);
  g_assert_cmpuint(rs.downs, ==, 1);
  g_assert_cmpuint(rs.recoveries, ==, 1);
  {
    redisReply *r = raw("EXISTS t:rec:default._bimi.up.example");
    g_assert_cmpint(r->integer, ==, 1);
    freeReplyObject(r);
  }
  /* what node memory kept through the outage goes back into the (empty) Redis once node memory
   * asks again (after BIMI_CACHE_REDIS_LOCAL_FRESH_MS), so the fleet shares it again */
  {
    redisReply *r = raw("EXISTS t:rec:default._bimi.down.example");
    g_assert_cmpint(r->integer, ==, 0);
    freeReplyObject(r);
  }
  clock.now += (BIMI_CACHE_REDIS_LOCAL_FRESH_MS + 1) * 1000;
  g_assert_true(bimi_record_cache_lookup(a.cache, "default", "down.example", &e, &st, &error));
  g_assert_cmpint(st, ==, BIMI_RECORD_CACHE_HIT);
  g_assert_cmpstr(value_str(&e), ==, "kept");
  bimi_cache_entry_clear(&e);
  {
    redisReply *r = raw("PTTL t:rec:default._bimi.down.example");
    g_assert_cmpint(r->integer, >, 0);
    g_assert_cmpint(r->integer, <=, 59 * 1000);
    freeReplyObject(r);
  }
  node_clear(&a);
}

/* Issue 19: the caution's brand registry (cache/brands.c) shares what one node learned through
 * Redis: another node sees it at its next read, a new node starts from it, the key lives until the
 * last certificate's notAfter. */
static void
test_brand_registry(void)
{
  BimiTestClock clock = { T0 };
  Node a, b;
  const BimiCautionOptions options = { 5, 1, NULL };
  const char *const domains[] = { "vmc.demo.test", NULL };
  g_autoptr(BimiCautionBrand) brand = bimi_caution_brand_new("Acme Rockets", domains, NULL);
  gint64 now = T0 / G_USEC_PER_SEC;
  redisReply *r;

  flushall();
  node_init(&a, &clock, 600, 1000, 5000);
  node_init(&b, &clock, 600, 1000, 5000);
  brand->source = BIMI_CAUTION_SOURCE_VMC;
  brand->record_domain = g_strdup("vmc.demo.test");
  brand->not_after = now + 86400;
  {
    g_autoptr(BimiBrandRegistry) ra = bimi_brand_registry_new(NULL, &options, a.backend, 10, NULL);
    g_autoptr(BimiBrandRegistry) rb = bimi_brand_registry_new(NULL, &options, b.backend, 10, NULL);
    g_autoptr(BimiCautionSet) before = bimi_brand_registry_get_set(rb, now);
    g_autoptr(BimiCautionSet) after = NULL;
    g_autoptr(BimiCautionMatch) m = NULL;

    g_assert_cmpuint(bimi_caution_set_size(before), ==, 0);
    g_assert_true(bimi_brand_registry_learn(ra, brand, now));
    r = raw("PTTL t:rec:" BIMI_BRAND_REGISTRY_KEY);
    g_assert_cmpint(r->type, ==, REDIS_REPLY_INTEGER);
    g_assert_cmpint(r->integer, >, (86400 - 5) * 1000);
    g_assert_cmpint(r->integer, <=, 86400 * 1000);
    freeReplyObject(r);
    after = bimi_brand_registry_get_set(rb, now + BIMI_BRAND_REGISTRY_REFRESH_S);
    g_assert_cmpuint(bimi_caution_set_size(after), ==, 1);
    m = bimi_caution_check(after, "Acme Rockets", "other.example", TRUE);
    g_assert_nonnull(m);
    g_assert_cmpstr(m->domains[0], ==, "vmc.demo.test");
  }
  node_clear(&a);
  node_clear(&b);
}


int
main(int argc, char **argv)
{
  int rc;

  g_test_init(&argc, &argv, NULL);
  signal(SIGPIPE, SIG_IGN);
  g_test_add_func("/cache/redis/url", test_url);
  g_test_add_func("/cache/redis/url-limits", test_url_limits);
  g_test_add_func("/cache/redis/codec", test_codec);
  if (!bimi_test_require_program(REDIS_SERVER, "/cache/redis/server/skipped"))
    return g_test_run();
  tmpdir = g_dir_make_tmp("bimi-redis-XXXXXX", NULL);
  sock_path = g_build_filename(tmpdir, "redis.sock", NULL);
  server_start();
  g_test_add_func("/cache/redis/server/shared-entries", test_shared_entries);
  g_test_add_func("/cache/redis/server/stale-across-nodes", test_stale_across_nodes);
  g_test_add_func("/cache/redis/server/garbage-is-miss", test_garbage_is_miss);
  g_test_add_func("/cache/redis/server/fleet-single-flight", test_fleet_single_flight);
  g_test_add_func("/cache/redis/server/lock-expiry-and-wait-bound", test_lock_expiry_and_wait_bound);
  g_test_add_func("/cache/redis/server/down-and-back", test_down_and_back);
  g_test_add_func("/cache/redis/server/brand-registry", test_brand_registry);
  rc = g_test_run();
  server_stop();
  rmdir(tmpdir);
  g_free(sock_path);
  g_free(tmpdir);
  return rc;
}
