/* fcgi/metrics.c — request counters and latency histograms of bimi-fcgi in
 * the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * One mutex guards everything: a request takes it once, for a few additions,
 * which costs nothing next to a FastCGI round trip.
 */
#include "fcgi/metrics.h"
#include "engine/base/base-mem.h"

#include <string.h>

/* Statuses the service sends get their own series; anything else is "other". */
static const guint known_status[] = { 200, 304, 400, 404, 405, 413, 500, 503 };
#define N_STATUS (G_N_ELEMENTS(known_status) + 1)

/* Latency buckets, seconds: a cached decision is ~1 ms, a cold one waits on DNS and HTTPS. */
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS G_N_ELEMENTS(buckets)


struct _BimiFcgiMetrics {
  GMutex lock;
  guint64 requests[BIMI_FCGI_N_ROUTES][N_STATUS];
  guint64 bucket_counts[BIMI_FCGI_N_ROUTES][N_BUCKETS]; /* not cumulative; summed when rendered */
  guint64 count[BIMI_FCGI_N_ROUTES];
  double sum[BIMI_FCGI_N_ROUTES];
  guint64 rejected, dropped, reloads_ok, reloads_failed;
};

BimiFcgiMetrics *
bimi_fcgi_metrics_new(void)
{
  BimiFcgiMetrics *m = g_new0(BimiFcgiMetrics, 1);
  g_mutex_init(&m->lock);
  return m;
}

BIMI_DEFINE_FREE_FUNC(BimiFcgiMetrics, bimi_fcgi_metrics_free, metrics)
{
  g_mutex_clear(&metrics->lock);
}

static guint
status_index(guint status)
{
  for (guint i = 0; i < G_N_ELEMENTS(known_status); i++)
    if (known_status[i] == status)
      return i;
  return N_STATUS - 1;
}

void
bimi_fcgi_metrics_observe(BimiFcgiMetrics *metrics, BimiFcgiRouteId route, guint status, double seconds)
{
  guint r = (guint) route < BIMI_FCGI_N_ROUTES ? (guint) route : BIMI_FCGI_ROUTE_NOT_FOUND;
  guint b = 0;

  if (!(seconds >= 0))
    seconds = 0;
  while (b < N_BUCKETS && seconds > buckets[b])
    b++;
  g_mutex_lock(&metrics->lock);
  metrics->requests[r][status_index(status)]++;
  if (b < N_BUCKETS)
    metrics->bucket_counts[r][b]++;
  metrics->count[r]++;
  metrics->sum[r] += seconds;
  g_mutex_unlock(&metrics->lock);
}

void
bimi_fcgi_metrics_count_rejected(BimiFcgiMetrics *metrics)
{
  g_mutex_lock(&metrics->lock);
  metrics->rejected++;
  g_mutex_unlock(&metrics->lock);
}

void
bimi_fcgi_metrics_count_dropped(BimiFcgiMetrics *metrics)
{
  g_mutex_lock(&metrics->lock);
  metrics->dropped++;
  g_mutex_unlock(&metrics->lock);
}

void
bimi_fcgi_metrics_count_reload(BimiFcgiMetrics *metrics, gboolean ok)
{
  g_mutex_lock(&metrics->lock);
  if (ok)
    metrics->reloads_ok++;
  else
    metrics->reloads_failed++;
  g_mutex_unlock(&metrics->lock);
}

static void
append_double(GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  /* Locale-independent, and short: 0.025 rather than 0.025000000000000001. */
  g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.9g", v));
}

static void
header(GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
bimi_fcgi_metrics_render(BimiFcgiMetrics *metrics, const BimiFcgiGauges *gauges, GString *out)
{
  BimiFcgiMetrics snap;

  g_mutex_lock(&metrics->lock);
  memcpy(&snap, metrics, sizeof snap);
  g_mutex_unlock(&metrics->lock);

  header(out, "bimi_fcgi_requests_total", "counter", "Requests answered, by route and HTTP status.");
  for (guint r = 0; r < BIMI_FCGI_N_ROUTES; r++)
    for (guint s = 0; s < N_STATUS; s++) {
      if (snap.requests[r][s] == 0 && !(s == 0 && r != BIMI_FCGI_ROUTE_NOT_FOUND))
        continue;
      g_string_append_printf(out, "bimi_fcgi_requests_total{route=\"%s\",status=\"", bimi_fcgi_route_name(r));
      if (s < G_N_ELEMENTS(known_status))
        g_string_append_printf(out, "%u", known_status[s]);
      else
        g_string_append(out, "other");
      g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n", snap.requests[r][s]);
    }

  header(out, "bimi_fcgi_request_duration_seconds", "histogram",
         "Time from reading a request to its last answer byte, by route.");
  for (guint r = 0; r < BIMI_FCGI_N_ROUTES; r++) {
    guint64 cumulative = 0;
    const char *route = bimi_fcgi_route_name(r);
    for (guint b = 0; b < N_BUCKETS; b++) {
      cumulative += snap.bucket_counts[r][b];
      g_string_append_printf(out, "bimi_fcgi_request_duration_seconds_bucket{route=\"%s\",le=\"", route);
      append_double(out, buckets[b]);
      g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n", cumulative);
    }
    g_string_append_printf(out, "bimi_fcgi_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" G_GUINT64_FORMAT "\n",
                           route, snap.count[r]);
    g_string_append_printf(out, "bimi_fcgi_request_duration_seconds_sum{route=\"%s\"} ", route);
    append_double(out, snap.sum[r]);
    g_string_append_printf(out, "\nbimi_fcgi_request_duration_seconds_count{route=\"%s\"} %" G_GUINT64_FORMAT "\n", route,
                           snap.count[r]);
  }

  header(out, "bimi_fcgi_rejected_total", "counter", "Requests answered 503 because more than max_queue were waiting.");
  g_string_append_printf(out, "bimi_fcgi_rejected_total %" G_GUINT64_FORMAT "\n", snap.rejected);
  header(out, "bimi_fcgi_dropped_connections_total", "counter",
         "Connections closed unanswered: past the connection bound, or the 503 queue full too.");
  g_string_append_printf(out, "bimi_fcgi_dropped_connections_total %" G_GUINT64_FORMAT "\n", snap.dropped);
  header(out, "bimi_fcgi_reloads_total", "counter", "SIGHUP reloads, by result.");
  g_string_append_printf(out, "bimi_fcgi_reloads_total{result=\"ok\"} %" G_GUINT64_FORMAT "\n", snap.reloads_ok);
  g_string_append_printf(out, "bimi_fcgi_reloads_total{result=\"failed\"} %" G_GUINT64_FORMAT "\n", snap.reloads_failed);

  if (gauges != NULL) {
    header(out, "bimi_fcgi_workers", "gauge", "Worker threads.");
    g_string_append_printf(out, "bimi_fcgi_workers %u\n", gauges->workers);
    header(out, "bimi_fcgi_in_flight_requests", "gauge", "Requests a worker is running now.");
    g_string_append_printf(out, "bimi_fcgi_in_flight_requests %u\n", gauges->in_flight);
    header(out, "bimi_fcgi_queue_length", "gauge", "Readable connections waiting for a worker.");
    g_string_append_printf(out, "bimi_fcgi_queue_length %u\n", gauges->queued);
    header(out, "bimi_fcgi_queue_limit", "gauge", "max_queue: waiting requests beyond it get 503.");
    g_string_append_printf(out, "bimi_fcgi_queue_limit %u\n", gauges->max_queue);
    header(out, "bimi_fcgi_connections", "gauge", "Open FastCGI connections (idle, queued, busy).");
    g_string_append_printf(out, "bimi_fcgi_connections %u\n", gauges->connections);
  }
}
