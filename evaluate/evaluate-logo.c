/* evaluate/evaluate-logo.c — a logo is shown only if it renders (issue 13).
 *
 * SVG Tiny PS validation (engine/svg) accepts documents that librsvg cannot
 * render within the worker's limits: <use> amplification through internal
 * references, a viewBox of NaN or 1e308, CPU-heavy paths. Before a verdict
 * promises PNG URLs, the logo is rendered once by the worker pool at the
 * largest configured size (a probe: bimi_render_pool_probe(), which holds at
 * most half the workers). A render failure that is the input's fault
 * (bimi_render_error_is_input(): deadline, memory, librsvg error, two worker
 * deaths) makes the logo unrenderable: the verdict is "svg-unrenderable"
 * (decision none), nothing enters the public logo store, and the hash is
 * remembered for [cache] negative_ttl (at least BIMI_EVALUATE_TEMPERROR_TTL_S)
 * in a table of at most BIMI_EVALUATE_MAX_UNRENDERABLE entries, so neither a
 * new validation nor a PNG request renders it again meanwhile. Probes of one
 * hash are single-flight (cache/flight.h), failures included: waiters read the
 * leader's verdict from the table.
 *
 * No RFC governs this; the BIMI draft's security considerations (§8: the SVG
 * is attacker-supplied) and spec/bimi-receiver.md §5 (a receiver MAY decline to
 * show an indicator it cannot display) do.
 *
 * The indicator memo (issue 21): the header form of every decision that shows a
 * logo carries its SVG (BIMI-Indicator, BIMI draft §7.7). Reading it from the logo
 * store costs an open/read, a SHA-256 of up to 32 KiB and an atime update per
 * request, so validated SVGs are kept in memory for BIMI_EVALUATE_INDICATOR_MEMO_TTL_S,
 * at most BIMI_EVALUATE_MAX_INDICATOR_MEMO of them (bounded like the unrenderable table).
 */
#include "evaluate/evaluate-private.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <string.h>

/* The values of both bounded tables start with their expiry (make_room() reads it). */
typedef struct {
  gint64 expires_at; /* Unix seconds */
  char *detail;
} Unrenderable;

typedef struct {
  gint64 expires_at; /* Unix seconds */
  GBytes *svg;
  char *base64;      /* the header form's base64 of @svg, made at the first request for it (or NULL) */
} Indicator;

BIMI_DEFINE_STATIC_FREE_FUNC(Indicator, indicator_free, m)
{
  g_bytes_unref(m->svg);
  g_free(m->base64);
}

/* Under the memo's lock: a copy of @m's base64 form, encoded once per entry (issue 21). */
static char *
indicator_base64(Indicator *m)
{
  gsize len = 0;
  const guchar *data = g_bytes_get_data(m->svg, &len);

  if (m->base64 == NULL)
    m->base64 = g_base64_encode(data, len);
  return g_strdup(m->base64);
}

static void
unrenderable_free(gpointer data)
{
  Unrenderable *u = data;
  BIMI_FREE_ALL(u->detail, u);
}

void
bimi_evaluate__logo_init(BimiEvaluator *ev)
{
  g_mutex_init(&ev->unrenderable_lock);
  ev->unrenderable = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, unrenderable_free);
  ev->probes = bimi_flight_group_new();
  g_mutex_init(&ev->indicators_lock);
  ev->indicators = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) indicator_free);
}

void
bimi_evaluate__logo_clear(BimiEvaluator *ev)
{
  g_clear_pointer(&ev->unrenderable, g_hash_table_unref);
  g_clear_pointer(&ev->probes, bimi_flight_group_free);
  g_mutex_clear(&ev->unrenderable_lock);
  g_clear_pointer(&ev->indicators, g_hash_table_unref);
  g_mutex_clear(&ev->indicators_lock);
}

/* Before @key goes into the bounded table @t (values start with a gint64 expiry):
 * when it is new and @t holds @max entries, drop what expired at @now; if nothing
 * did, the entry closest to expiry. The caller holds the table's lock. */
static void
make_room(GHashTable *t, const char *key, guint max, gint64 now)
{
  GHashTableIter it;
  gpointer k, value;
  const char *oldest = NULL;
  gint64 oldest_at = G_MAXINT64;

  if (g_hash_table_contains(t, key) || g_hash_table_size(t) < max)
    return;
  g_hash_table_iter_init(&it, t);
  while (g_hash_table_iter_next(&it, &k, &value)) {
    gint64 expires_at = *(const gint64 *) value;
    if (expires_at <= now)
      g_hash_table_iter_remove(&it);
    else if (expires_at < oldest_at) {
      oldest_at = expires_at;
      oldest = k;
    }
  }
  if (g_hash_table_size(t) >= max && oldest != NULL)
    g_hash_table_remove(t, oldest);
}

/* The memo's SVG of @hash (transfer full, or NULL), and with @base64 its base64 form too. */
static GBytes *
indicator_get(BimiEvaluator *ev, const char *hash, gint64 now, char **base64)
{
  Indicator *m;
  GBytes *svg = NULL;

  g_mutex_lock(&ev->indicators_lock);
  m = g_hash_table_lookup(ev->indicators, hash);
  if (m != NULL && m->expires_at > now) {
    svg = g_bytes_ref(m->svg);
    if (base64 != NULL)
      *base64 = indicator_base64(m);
  }
  g_mutex_unlock(&ev->indicators_lock);
  if (svg != NULL)
    return svg;
  svg = bimi_evaluator_logo_svg(ev, hash, NULL);
  g_mutex_lock(&ev->indicators_lock);
  if (svg == NULL) {
    g_hash_table_remove(ev->indicators, hash); /* the store no longer has it */
  } else {
    m = g_new0(Indicator, 1);
    m->expires_at = now + (gint64) BIMI_EVALUATE_INDICATOR_MEMO_TTL_S;
    m->svg = g_bytes_ref(svg);
    if (base64 != NULL)
      *base64 = indicator_base64(m);
    make_room(ev->indicators, hash, BIMI_EVALUATE_MAX_INDICATOR_MEMO, now);
    g_hash_table_replace(ev->indicators, g_strdup(hash), m);
  }
  g_mutex_unlock(&ev->indicators_lock);
  return svg;
}

GBytes *
bimi_evaluate__indicator_svg(BimiEvaluator *ev, const char *hash, gint64 now)
{
  return indicator_get(ev, hash, now, NULL);
}

char *
bimi_evaluate__indicator_base64(BimiEvaluator *ev, const char *hash, gint64 now)
{
  char *base64 = NULL;
  GBytes *svg = indicator_get(ev, hash, now, &base64);

  g_clear_pointer(&svg, g_bytes_unref);
  return base64;
}

guint
bimi_evaluate__indicator_memo_size(BimiEvaluator *ev)
{
  g_mutex_lock(&ev->indicators_lock);
  guint n = g_hash_table_size(ev->indicators);
  g_mutex_unlock(&ev->indicators_lock);
  return n;
}

gboolean
bimi_evaluate__unrenderable_lookup(BimiEvaluator *ev, const char *hash, gint64 now, char **detail)
{
  Unrenderable *u;
  gboolean hit = FALSE;

  g_mutex_lock(&ev->unrenderable_lock);
  u = g_hash_table_lookup(ev->unrenderable, hash);
  if (u != NULL && u->expires_at > now) {
    hit = TRUE;
    if (detail != NULL)
      *detail = g_strdup(u->detail);
  } else if (u != NULL) {
    g_hash_table_remove(ev->unrenderable, hash);
  }
  g_mutex_unlock(&ev->unrenderable_lock);
  if (hit)
    g_atomic_int_inc(&ev->n_unrenderable_hits);
  return hit;
}

void
bimi_evaluate__unrenderable_note(BimiEvaluator *ev, const char *hash, gint64 now, const char *detail)
{
  guint ttl = MAX(ev->config->cache_negative_ttl, BIMI_EVALUATE_TEMPERROR_TTL_S);
  Unrenderable *u = g_new0(Unrenderable, 1);

  u->expires_at = now + (gint64) ttl;
  u->detail = g_strdup(detail);
  g_mutex_lock(&ev->unrenderable_lock);
  make_room(ev->unrenderable, hash, BIMI_EVALUATE_MAX_UNRENDERABLE, now);
  g_hash_table_replace(ev->unrenderable, g_strdup(hash), u);
  g_mutex_unlock(&ev->unrenderable_lock);
  g_atomic_int_inc(&ev->n_unrenderable);
}

guint
bimi_evaluate__unrenderable_size(BimiEvaluator *ev)
{
  return bimi_evaluate__locked_size(&ev->unrenderable_lock, ev->unrenderable);
}

guint
bimi_evaluate__locked_size(GMutex *lock, GHashTable *table)
{
  guint n;

  g_mutex_lock(lock);
  n = g_hash_table_size(table);
  g_mutex_unlock(lock);
  return n;
}

BimiEvaluateProbe
bimi_evaluate__probe(BimiEvaluator *ev, GBytes *svg, const char *hash, gint64 now, GBytes **png_out,
                     char **detail)
{
  const BimiConfig *c = ev->config;
  guint px = c->render_sizes[c->render_n_sizes - 1];
  g_autoptr(GError) error = NULL;
  GBytes *png;
  gboolean ok;

  *png_out = NULL;
  *detail = NULL;
  for (int round = 0; round < 2; round++) {
    if (bimi_evaluate__unrenderable_lookup(ev, hash, now, detail))
      return BIMI_EVALUATE_PROBE_UNRENDERABLE;
    /* A PNG in the store means a probe (or a PNG request) rendered it before. */
    png = bimi_logo_store_get_png(ev->store, hash, px, NULL);
    if (png != NULL) {
      g_bytes_unref(png);
      return BIMI_EVALUATE_PROBE_OK;
    }
    switch (bimi_flight_group_claim(ev->probes, hash, 2 * c->render_deadline_ms + c->cache_wait_ms)) {
    case BIMI_FLIGHT_LEADER:
      break;
    case BIMI_FLIGHT_DONE:
    case BIMI_FLIGHT_FAILED:
      continue; /* the leader's outcome is in the store or the table */
    case BIMI_FLIGHT_BUSY:
    case BIMI_FLIGHT_TIMEOUT:
    default:
      *detail = g_strdup("another render of this logo did not finish in time");
      return BIMI_EVALUATE_PROBE_TEMPORARY;
    }
    g_atomic_int_inc(&ev->n_probes);
    png = bimi_render_pool_probe(ev->pool, svg, px, &error);
    ok = png != NULL;
    if (!ok && bimi_render_error_is_input(error)) {
      /* noted before the release: the waiters read it from the table */
      *detail = g_strdup_printf("cannot be rendered at %u px: %s", px, error->message);
      bimi_evaluate__unrenderable_note(ev, hash, now, *detail);
    }
    bimi_flight_group_release(ev->probes, hash, ok);
    if (ok) {
      *png_out = png;
      return BIMI_EVALUATE_PROBE_OK;
    }
    if (*detail != NULL)
      return BIMI_EVALUATE_PROBE_UNRENDERABLE;
    *detail = g_strdup_printf("render: %s", error->message);
    return BIMI_EVALUATE_PROBE_TEMPORARY;
  }
  *detail = g_strdup("the render of this logo by another request failed for a reason that may pass");
  return BIMI_EVALUATE_PROBE_TEMPORARY;
}

/* ---- the fleet's logos (issue 18) ------------------------------------- */

void
bimi_evaluate__logo_share(BimiEvaluator *ev, const char *hash, GBytes *svg)
{
  g_autofree char *key = NULL;
  guint64 px_ms;

  if (ev->redis == NULL || g_bytes_get_size(svg) > BIMI_CACHE_REDIS_MAX_SVG_BYTES)
    return;
  key = g_strconcat("svg:", hash, NULL);
  px_ms = ((guint64) ev->config->cache_max_ttl + ev->config->cache_max_stale) * 1000u;
  if (bimi_redis_set(ev->redis, key, svg, px_ms, FALSE) == BIMI_REDIS_UNAVAILABLE)
    bimi_redis_note_fallback(ev->redis);
}

gboolean
bimi_evaluate__logo_from_fleet(BimiEvaluator *ev, const char *hash)
{
  g_autofree char *key = NULL;
  g_autofree char *sum = NULL;
  g_autoptr(GBytes) svg = NULL;
  g_autoptr(GError) error = NULL;

  if (ev->redis == NULL)
    return FALSE;
  key = g_strconcat("svg:", hash, NULL);
  switch (bimi_redis_get(ev->redis, key, BIMI_CACHE_REDIS_MAX_SVG_BYTES, &svg)) {
  case BIMI_REDIS_OK:
    break;
  case BIMI_REDIS_UNAVAILABLE:
    bimi_redis_note_fallback(ev->redis);
    return FALSE;
  case BIMI_REDIS_NONE:
  default:
    return FALSE;
  }
  /* content-addressed: bytes that do not hash to the key are not ours */
  sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, svg);
  if (g_strcmp0(sum, hash) != 0) {
    g_debug("evaluate: redis %s holds bytes of another hash: a miss", key);
    bimi_redis_note_invalid(ev->redis);
    return FALSE;
  }
  if (!bimi_logo_store_put_svg(ev->store, svg, NULL, &error)) {
    g_debug("evaluate: logo store: %s", error->message);
    return FALSE;
  }
  g_atomic_int_inc(&ev->n_fleet_logos);
  return TRUE;
}
