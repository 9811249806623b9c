/* cache/redis.c — the hiredis client of the fleet cache: URL, connection pool,
 * up/down state with backoff, and the versioned entry codec (issue 18).
 *
 * Protocol: RESP through hiredis (blocking contexts, one per thread at a
 * time, pooled). Commands used: AUTH, SELECT, GET, SET key value PX ms [NX]
 * (Redis >= 2.6.12; Valkey), and one EVAL for the compare-and-delete of a
 * lock (the pattern of the Redis documentation of SET, "Patterns").
 * URL: the IANA "redis" URI scheme (redis://[[user]:password@]host[:port][/db]),
 * parsed by GLib's GUri (RFC 3986); "unix:/path" for a unix socket.
 *
 * Degrade, never fail: any connect or command failure marks Redis down (one
 * warning), every later call answers UNAVAILABLE at once until the backoff
 * ends; then exactly one caller probes; its success marks Redis up (one
 * message). Callers fall back to node memory meanwhile. An error reply
 * (WRONGTYPE on another application's key, OOM) counts as an error but does
 * not take the connection down.
 *
 * hiredis 0.14 writes with write(2): a server gone mid-command would raise
 * SIGPIPE. The library must not change the process' signal dispositions, so
 * SIGPIPE is blocked in the calling thread around each command and a pending
 * one is consumed (the technique of curl's sigpipe.h).
 */
#include "cache/redis.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <errno.h>
#include <hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void
bimi_redis_address_clear(BimiRedisAddress *addr)
{
  if (addr == NULL)
    return;
  BIMI_FREE_ALL(addr->host, addr->unix_path, addr->username, addr->password);
  memset(addr, 0, sizeof *addr);
}

/* ---- URL ------------------------------------------------------------------ */

static gboolean
invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
invalid(GError **error, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  g_propagate_error(error, g_error_new_valist(BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID, fmt, ap));
  va_end(ap);
  return FALSE;
}

/* A decimal number of 1..@max_digits digits, no sign, at most @max. */
static gboolean
parse_uint(const char *s, gsize len, guint max, guint *out)
{
  guint64 v = 0;

  if (len == 0 || len > 10)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if (!g_ascii_isdigit(s[i]))
      return FALSE;
    v = v * 10 + (guint64) (s[i] - '0');
  }
  if (v > max)
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static gboolean
parse_db(const char *text, BimiRedisAddress *out, GError **error)
{
  if (!parse_uint(text, strlen(text), BIMI_CACHE_REDIS_MAX_DB, &out->db))
    return invalid(error, "redis_url: database \"%s\" is not a number 0..%u", text, BIMI_CACHE_REDIS_MAX_DB);
  return TRUE;
}

gboolean
bimi_redis_url_parse(const char *url, BimiRedisAddress *out, GError **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local = NULL;
  const char *scheme, *path, *query;
  gsize len;

  g_return_val_if_fail(url != NULL && out != NULL, FALSE);
  memset(out, 0, sizeof *out);
  len = strnlen(url, BIMI_CACHE_REDIS_MAX_URL_BYTES + 1);
  if (len == 0 || len > BIMI_CACHE_REDIS_MAX_URL_BYTES)
    return invalid(error, "redis_url: must be 1 to %u bytes", BIMI_CACHE_REDIS_MAX_URL_BYTES);
  for (gsize i = 0; i < len; i++) {
    if ((guchar) url[i] <= 0x20 || (guchar) url[i] >= 0x7f)
      return invalid(error, "redis_url: byte 0x%02x at offset %" G_GSIZE_FORMAT " (printable ASCII only)",
                     (guchar) url[i], i);
  }
  uri = g_uri_parse(url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_PARSE_RELAXED, &local);
  if (uri == NULL)
    return invalid(error, "redis_url: %s", local->message);
  scheme = g_uri_get_scheme(uri);
  path = g_uri_get_path(uri);
  query = g_uri_get_query(uri);

  if (g_ascii_strcasecmp(scheme, "unix") == 0) {
    if (g_uri_get_host(uri) != NULL && *g_uri_get_host(uri) != '\0')
      return invalid(error, "redis_url: write a unix socket as unix:/PATH (no host)");
    if (path == NULL || path[0] != '/' || path[1] == '\0')
      return invalid(error, "redis_url: unix: needs an absolute socket path");
    if (strlen(path) >= 108) /* sizeof sun_path on Linux */
      return invalid(error, "redis_url: unix socket path longer than 107 bytes");
    out->unix_path = g_strdup(path);
    if (query != NULL) {
      if (!g_str_has_prefix(query, "db=")) {
        bimi_redis_address_clear(out);
        return invalid(error, "redis_url: the only query of unix: is db=N");
      }
      if (!parse_db(query + 3, out, error)) {
        bimi_redis_address_clear(out);
        return FALSE;
      }
    }
    return TRUE;
  }
  if (g_ascii_strcasecmp(scheme, "rediss") == 0 || g_ascii_strcasecmp(scheme, "valkeys") == 0)
    return invalid(error, "redis_url: %s (TLS) is not supported by the hiredis of this build; use a unix socket "
                   "or a local TLS tunnel", scheme);
  if (g_ascii_strcasecmp(scheme, "redis") != 0 && g_ascii_strcasecmp(scheme, "valkey") != 0)
    return invalid(error, "redis_url: scheme \"%s\" is not redis:// or unix:", scheme);
  if (g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0')
    return invalid(error, "redis_url: no host");
  if (query != NULL || g_uri_get_fragment(uri) != NULL)
    return invalid(error, "redis_url: a query or fragment is not allowed in redis://");
  out->host = g_strdup(g_uri_get_host(uri));
  out->port = g_uri_get_port(uri) > 0 ? (guint) g_uri_get_port(uri) : 6379u;
  if (g_uri_get_user(uri) != NULL && *g_uri_get_user(uri) != '\0')
    out->username = g_strdup(g_uri_get_user(uri));
  if (g_uri_get_password(uri) != NULL && *g_uri_get_password(uri) != '\0')
    out->password = g_strdup(g_uri_get_password(uri));
  if (path != NULL && *path != '\0' && strcmp(path, "/") != 0) {
    if (!parse_db(path + (path[0] == '/' ? 1 : 0), out, error)) {
      bimi_redis_address_clear(out);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- the client ----------------------------------------------------------- */

struct BimiRedis {
  BimiRedisAddress addr;
  char *prefix;
  guint connect_timeout_ms, timeout_ms;
  pthread_mutex_t lock;
  GPtrArray *idle;      /* redisContext*, under lock */
  gboolean up;          /* under lock */
  gboolean probing;     /* a caller is trying while down; under lock */
  gint64 retry_at;      /* monotonic µs; under lock */
  guint backoff_ms;     /* under lock */
  atomic_ullong commands, errors, downs, recoveries, fallbacks, invalid_values, connects;
};

#define COUNT(r, field) atomic_fetch_add_explicit(&(r)->field, 1, memory_order_relaxed)
#define READ(r, field) atomic_load_explicit(&(r)->field, memory_order_relaxed)

BimiRedis *
bimi_redis_new(const BimiRedisConfig *config, GError **error)
{
  BimiRedis *r;
  BimiRedisAddress addr;

  BIMI_CACHE_REGISTER_QUARK();
  g_return_val_if_fail(config != NULL && config->url != NULL, NULL);
  g_return_val_if_fail(config->connect_timeout_ms >= 1 && config->timeout_ms >= 1, NULL);
  if (!bimi_redis_url_parse(config->url, &addr, error))
    return NULL;
  if (config->prefix != NULL && strlen(config->prefix) > BIMI_CACHE_REDIS_MAX_PREFIX_BYTES) {
    bimi_redis_address_clear(&addr);
    invalid(error, "redis_prefix: longer than %u bytes", BIMI_CACHE_REDIS_MAX_PREFIX_BYTES);
    return NULL;
  }
  if (config->password != NULL && *config->password != '\0') {
    g_free(addr.password);
    addr.password = g_strdup(config->password);
  }
  r = g_atomic_rc_box_new0(BimiRedis);
  r->addr = addr;
  r->prefix = g_strdup(config->prefix != NULL ? config->prefix : "");
  r->connect_timeout_ms = config->connect_timeout_ms;
  r->timeout_ms = config->timeout_ms;
  pthread_mutex_init(&r->lock, NULL);
  r->idle = g_ptr_array_new_with_free_func((GDestroyNotify) redisFree);
  r->up = TRUE;
  r->backoff_ms = BIMI_CACHE_REDIS_BACKOFF_MIN_MS;
  return r;
}

/* What the last reference releases; g_atomic_rc_box_release_full() frees the box. */
BIMI_DEFINE_ATOMIC_RC_FUNCS(BimiRedis, bimi_redis, redis)
{
  g_ptr_array_unref(redis->idle);
  pthread_mutex_destroy(&redis->lock);
  bimi_redis_address_clear(&redis->addr);
  g_free(redis->prefix);
}

static struct timeval
ms_to_tv(guint ms)
{
  struct timeval tv = { .tv_sec = ms / 1000u, .tv_usec = (suseconds_t) (ms % 1000u) * 1000 };
  return tv;
}

static const char *
where(BimiRedis *r, char *buf, gsize size)
{
  if (r->addr.unix_path != NULL)
    g_snprintf(buf, size, "unix:%s", r->addr.unix_path);
  else
    g_snprintf(buf, size, "%s:%u", r->addr.host, r->addr.port);
  return buf;
}

/* Redis went away (or never answered): log on the change only. */
static void
mark_down(BimiRedis *r, gboolean probe, const char *why)
{
  char buf[160];
  gboolean changed = FALSE;

  COUNT(r, errors);
  pthread_mutex_lock(&r->lock);
  if (r->up) {
    r->up = FALSE;
    r->backoff_ms = BIMI_CACHE_REDIS_BACKOFF_MIN_MS;
    changed = TRUE;
  } else if (probe) {
    r->backoff_ms = MIN(r->backoff_ms * 2u, BIMI_CACHE_REDIS_BACKOFF_MAX_MS);
  }
  if (probe || changed) {
    r->probing = FALSE;
    r->retry_at = g_get_monotonic_time() + (gint64) r->backoff_ms * 1000;
  }
  /* Connections opened before the failure are likely dead too. */
  if (changed)
    g_ptr_array_set_size(r->idle, 0);
  pthread_mutex_unlock(&r->lock);
  if (changed) {
    COUNT(r, downs);
    g_warning("cache: redis %s unavailable (%s): serving from node memory, retrying with backoff",
              where(r, buf, sizeof buf), why);
  }
}

static void
mark_up(BimiRedis *r)
{
  char buf[160];
  gboolean changed = FALSE;

  pthread_mutex_lock(&r->lock);
  if (!r->up) {
    r->up = TRUE;
    r->probing = FALSE;
    r->backoff_ms = BIMI_CACHE_REDIS_BACKOFF_MIN_MS;
    changed = TRUE;
  }
  pthread_mutex_unlock(&r->lock);
  if (changed) {
    COUNT(r, recoveries);
    g_message("cache: redis %s reachable again: the fleet cache is shared again", where(r, buf, sizeof buf));
  }
}

/* Runs one command on @c with SIGPIPE blocked in this thread (see the top). */
static redisReply *
command_argv(redisContext *c, int argc, const char **argv, const size_t *argvlen)
{
  sigset_t pipe_set, old;
  struct timespec zero = { 0, 0 };
  redisReply *reply;
  gboolean was_pending;
  sigset_t pending;

  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  reply = redisCommandArgv(c, argc, argv, argvlen);
  if (!was_pending && !sigismember(&old, SIGPIPE)) {
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE))
      while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
      }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return reply;
}

/* Runs a command of the connection set-up (AUTH, SELECT) on @c: FALSE with
 * @why set to "@what: the server's or hiredis' error" when it fails. */
static gboolean
setup_command(redisContext *c, int argc, const char **argv, const char *what, char **why)
{
  redisReply *reply = command_argv(c, argc, argv, NULL);
  gboolean ok = reply != NULL && reply->type != REDIS_REPLY_ERROR;

  if (!ok)
    *why = g_strdup_printf("%s: %s", what, reply != NULL ? reply->str : c->errstr);
  if (reply != NULL)
    freeReplyObject(reply);
  return ok;
}

/* A fresh connection with AUTH and SELECT done, or NULL with @why set. */
static redisContext *
connect_new(BimiRedis *r, char **why)
{
  struct timeval tv = ms_to_tv(r->connect_timeout_ms);
  redisContext *c;

  c = r->addr.unix_path != NULL ? redisConnectUnixWithTimeout(r->addr.unix_path, tv)
                                : redisConnectWithTimeout(r->addr.host, (int) r->addr.port, tv);
  if (c == NULL) {
    *why = g_strdup("cannot allocate a hiredis context");
    return NULL;
  }
  if (c->err != 0) {
    *why = g_strdup_printf("connect: %s", c->errstr);
    redisFree(c);
    return NULL;
  }
  COUNT(r, connects);
  /* AUTH and SELECT within the connect deadline; commands get theirs after. */
  redisSetTimeout(c, tv);
  if (r->addr.password != NULL) {
    const char *argv[3] = { "AUTH", r->addr.username != NULL ? r->addr.username : r->addr.password,
                            r->addr.password };
    if (!setup_command(c, r->addr.username != NULL ? 3 : 2, argv, "AUTH", why)) {
      redisFree(c);
      return NULL;
    }
  }
  if (r->addr.db != 0) {
    char db[16], what[32];
    const char *argv[2] = { "SELECT", db };
    g_snprintf(db, sizeof db, "%u", r->addr.db);
    g_snprintf(what, sizeof what, "SELECT %u", r->addr.db);
    if (!setup_command(c, 2, argv, what, why)) {
      redisFree(c);
      return NULL;
    }
  }
  redisSetTimeout(c, ms_to_tv(r->timeout_ms));
  return c;
}

/* A connection for one command, or NULL (down within the backoff, or the
 * connect failed). *probe says whether this caller probes a down server. */
static redisContext *
conn_take(BimiRedis *r, gboolean *probe)
{
  redisContext *c = NULL;
  g_autofree char *why = NULL;

  *probe = FALSE;
  pthread_mutex_lock(&r->lock);
  if (!r->up) {
    if (r->probing || g_get_monotonic_time() < r->retry_at) {
      pthread_mutex_unlock(&r->lock);
      return NULL;
    }
    r->probing = TRUE;
    *probe = TRUE;
  }
  if (r->idle->len > 0)
    c = g_ptr_array_steal_index_fast(r->idle, r->idle->len - 1);
  pthread_mutex_unlock(&r->lock);
  if (c != NULL)
    return c;
  c = connect_new(r, &why);
  if (c == NULL)
    mark_down(r, *probe, why);
  return c;
}

static void
conn_give(BimiRedis *r, redisContext *c)
{
  pthread_mutex_lock(&r->lock);
  if (r->up && r->idle->len < BIMI_CACHE_REDIS_MAX_IDLE) {
    g_ptr_array_add(r->idle, c);
    c = NULL;
  }
  pthread_mutex_unlock(&r->lock);
  if (c != NULL)
    redisFree(c);
}

/* Runs one command; the reply, or NULL: unavailable. An ERROR reply is
 * returned only when @wrongtype is given and the server said WRONGTYPE (a key
 * of another type: another application's); then *wrongtype is set. */
static redisReply *
run_full(BimiRedis *r, int argc, const char **argv, const size_t *argvlen, gboolean *wrongtype)
{
  gboolean probe;
  redisContext *c = conn_take(r, &probe);
  redisReply *reply;

  if (c == NULL)
    return NULL;
  COUNT(r, commands);
  reply = command_argv(c, argc, argv, argvlen);
  if (reply == NULL) {
    g_autofree char *why = g_strdup_printf("%s: %s", argv[0], c->errstr[0] ? c->errstr : "no reply");
    redisFree(c);
    mark_down(r, probe, why);
    return NULL;
  }
  mark_up(r);
  conn_give(r, c);
  if (reply->type == REDIS_REPLY_ERROR && wrongtype != NULL && g_str_has_prefix(reply->str, "WRONGTYPE")) {
    *wrongtype = TRUE;
    return reply;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    /* The server answered: not down, but this command did nothing. */
    g_debug("cache: redis %s: %s", argv[0], reply->str);
    COUNT(r, errors);
    freeReplyObject(reply);
    return NULL;
  }
  return reply;
}

static redisReply *
run(BimiRedis *r, int argc, const char **argv, const size_t *argvlen)
{
  return run_full(r, argc, argv, argvlen, NULL);
}

static char *
full_key(BimiRedis *r, const char *key)
{
  return g_strconcat(r->prefix, key, NULL);
}

BimiRedisResult
bimi_redis_get(BimiRedis *redis, const char *key, gsize max_bytes, GBytes **value)
{
  g_autofree char *k = NULL;
  const char *argv[2];
  redisReply *reply;
  BimiRedisResult res;
  gboolean wrongtype = FALSE;

  g_return_val_if_fail(redis != NULL && key != NULL && value != NULL, BIMI_REDIS_UNAVAILABLE);
  *value = NULL;
  k = full_key(redis, key);
  argv[0] = "GET";
  argv[1] = k;
  reply = run_full(redis, 2, argv, NULL, &wrongtype);
  if (reply == NULL)
    return BIMI_REDIS_UNAVAILABLE;
  if (wrongtype) {
    g_debug("cache: redis GET %s: %s: a miss", k, reply->str);
    COUNT(redis, invalid_values);
    res = BIMI_REDIS_NONE;
  } else if (reply->type == REDIS_REPLY_NIL) {
    res = BIMI_REDIS_NONE;
  } else if (reply->type != REDIS_REPLY_STRING || reply->len > max_bytes) {
    COUNT(redis, invalid_values);
    res = BIMI_REDIS_NONE;
  } else {
    *value = g_bytes_new(reply->str, reply->len);
    res = BIMI_REDIS_OK;
  }
  freeReplyObject(reply);
  return res;
}

BimiRedisResult
bimi_redis_set(BimiRedis *redis, const char *key, GBytes *value, guint64 px_ms, gboolean nx)
{
  g_autofree char *k = NULL;
  char px[24];
  const char *argv[6];
  size_t argvlen[6];
  gsize vlen;
  redisReply *reply;
  BimiRedisResult res;

  g_return_val_if_fail(redis != NULL && key != NULL && value != NULL && px_ms >= 1, BIMI_REDIS_UNAVAILABLE);
  k = full_key(redis, key);
  g_snprintf(px, sizeof px, "%" G_GUINT64_FORMAT, px_ms);
  argv[0] = "SET";
  argv[1] = k;
  argv[2] = g_bytes_get_data(value, &vlen);
  argv[3] = "PX";
  argv[4] = px;
  argv[5] = "NX";
  for (int i = 0; i < 6; i++)
    argvlen[i] = i == 2 ? vlen : strlen(argv[i]);
  if (argv[2] == NULL)
    argv[2] = "";
  reply = run(redis, nx ? 6 : 5, argv, argvlen);
  if (reply == NULL)
    return BIMI_REDIS_UNAVAILABLE;
  res = reply->type == REDIS_REPLY_NIL ? BIMI_REDIS_NONE : BIMI_REDIS_OK;
  freeReplyObject(reply);
  return res;
}

/* Delete KEYS[1] only while it holds ARGV[1]. */
static const char del_if_script[] =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

BimiRedisResult
bimi_redis_del_if(BimiRedis *redis, const char *key, const char *token)
{
  g_autofree char *k = NULL;
  const char *argv[5];
  redisReply *reply;
  BimiRedisResult res;

  g_return_val_if_fail(redis != NULL && key != NULL && token != NULL, BIMI_REDIS_UNAVAILABLE);
  k = full_key(redis, key);
  argv[0] = "EVAL";
  argv[1] = del_if_script;
  argv[2] = "1";
  argv[3] = k;
  argv[4] = token;
  reply = run(redis, 5, argv, NULL);
  if (reply == NULL)
    return BIMI_REDIS_UNAVAILABLE;
  res = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1 ? BIMI_REDIS_OK : BIMI_REDIS_NONE;
  freeReplyObject(reply);
  return res;
}

void
bimi_redis_note_invalid(BimiRedis *redis)
{
  COUNT(redis, invalid_values);
}

void
bimi_redis_note_fallback(BimiRedis *redis)
{
  COUNT(redis, fallbacks);
}

void
bimi_redis_get_stats(BimiRedis *redis, BimiRedisStats *out)
{
  g_return_if_fail(redis != NULL && out != NULL);
  pthread_mutex_lock(&redis->lock);
  out->up = redis->up;
  pthread_mutex_unlock(&redis->lock);
  out->commands = READ(redis, commands);
  out->errors = READ(redis, errors);
  out->downs = READ(redis, downs);
  out->recoveries = READ(redis, recoveries);
  out->fallbacks = READ(redis, fallbacks);
  out->invalid_values = READ(redis, invalid_values);
  out->connects = READ(redis, connects);
}

/* ---- the entry codec ------------------------------------------------------- */

#define ENTRY_MAGIC "bimi-rc/1 "
/* "bimi-rc/1 N STORED EXPIRES STALE LEN\n": four numbers of at most 20 digits. */
#define ENTRY_MAX_HEADER_BYTES (sizeof ENTRY_MAGIC - 1 + 2 + 4 * 21)

GBytes *
bimi_redis_entry_encode(GBytes *value, gboolean negative, gint64 stored_at, gint64 expires_at, gint64 stale_until)
{
  g_autofree char *header = NULL;
  gsize vlen, hlen;
  const guint8 *v;
  guint8 *buf;

  g_return_val_if_fail(value != NULL, NULL);
  g_return_val_if_fail(stored_at >= 0 && stored_at <= expires_at && expires_at <= stale_until, NULL);
  v = g_bytes_get_data(value, &vlen);
  header = g_strdup_printf(ENTRY_MAGIC "%d %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                           " %" G_GSIZE_FORMAT "\n", negative ? 1 : 0, stored_at, expires_at, stale_until, vlen);
  hlen = strlen(header);
  buf = g_malloc(hlen + vlen);
  memcpy(buf, header, hlen);
  if (vlen > 0)
    memcpy(buf + hlen, v, vlen);
  return g_bytes_new_take(buf, hlen + vlen);
}

/* One decimal field ended by @stop: at most 19 digits (fits gint64). */
static gboolean
read_number(const char *p, gsize len, gsize *pos, char stop, guint64 *out)
{
  guint64 v = 0;
  gsize start = *pos, i = *pos;

  while (i < len && g_ascii_isdigit(p[i]) && i - start < 19) {
    v = v * 10 + (guint64) (p[i] - '0');
    i++;
  }
  if (i == start || i >= len || p[i] != stop)
    return FALSE;
  *pos = i + 1;
  *out = v;
  return TRUE;
}

gboolean
bimi_redis_entry_decode(GBytes *bytes, BimiCacheEntry *out, GError **error)
{
  static const char *const names[] = { "negative flag", "stored time", "expiry time", "stale time", "length" };
  guint64 f[5];
  gsize len, pos;
  const char *p;

  g_return_val_if_fail(bytes != NULL && out != NULL, FALSE);
  memset(out, 0, sizeof *out);
  p = g_bytes_get_data(bytes, &len);
  if (p == NULL || len < sizeof ENTRY_MAGIC - 1 || memcmp(p, ENTRY_MAGIC, sizeof ENTRY_MAGIC - 1) != 0)
    return invalid(error, "cache entry: not \"%s\" (another format version, or not ours)", "bimi-rc/1");
  pos = sizeof ENTRY_MAGIC - 1;
  for (guint i = 0; i < G_N_ELEMENTS(f); i++) {
    if (!read_number(p, MIN(len, ENTRY_MAX_HEADER_BYTES), &pos, i + 1 < G_N_ELEMENTS(f) ? ' ' : '\n', &f[i]))
      return invalid(error, "cache entry: bad %s at offset %" G_GSIZE_FORMAT, names[i], pos);
  }
  if (f[0] > 1)
    return invalid(error, "cache entry: negative flag %" G_GUINT64_FORMAT " is not 0 or 1", f[0]);
  if (f[1] > G_MAXINT64 || f[2] > G_MAXINT64 || f[3] > G_MAXINT64 || f[1] > f[2] || f[2] > f[3])
    return invalid(error, "cache entry: times out of order (stored <= expires <= stale)");
  if (f[4] > BIMI_CACHE_MAX_VALUE_BYTES)
    return invalid(error, "cache entry: value of %" G_GUINT64_FORMAT " bytes exceeds %u", f[4],
                   BIMI_CACHE_MAX_VALUE_BYTES);
  if (f[4] != len - pos)
    return invalid(error, "cache entry: %" G_GSIZE_FORMAT " value bytes where the header says %" G_GUINT64_FORMAT
                   " (truncated?)", len - pos, f[4]);
  out->value = g_bytes_new_from_bytes(bytes, pos, len - pos);
  out->negative = f[0] == 1;
  out->stored_at = (gint64) f[1];
  out->expires_at = (gint64) f[2];
  out->stale_until = (gint64) f[3];
  return TRUE;
}
