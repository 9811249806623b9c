/* fcgi/metrics.h — the service's own counters, exposed at GET /bimi/v1/metrics
 * in the Prometheus text exposition format 0.0.4: requests by route and
 * status, a latency histogram by route, 503 rejections, reloads. Decisions
 * are the engine's family (bimi_decisions_total{decision,reason}), counted once. The engine adds its own lines (bimi_evaluator_append_metrics()).
 * Thread-safe: every worker records into one instance.
 */
#ifndef BIMI_FCGI_METRICS_H
#define BIMI_FCGI_METRICS_H

#include <glib.h>
#include "fcgi/http.h"

G_BEGIN_DECLS

typedef struct _BimiFcgiMetrics BimiFcgiMetrics;

/** Gauges read at the moment of the scrape, supplied by the server. */
typedef struct {
  guint workers;      /**< worker threads */
  guint in_flight;    /**< requests a worker is running now */
  guint queued;       /**< readable connections waiting for a worker */
  guint connections;  /**< open FastCGI connections (idle, queued, busy) */
  guint max_queue;    /**< [server] max_queue in force */
} BimiFcgiGauges;

/** Returns: (transfer full): empty counters. */
BimiFcgiMetrics *bimi_fcgi_metrics_new(void);
void bimi_fcgi_metrics_free(BimiFcgiMetrics *metrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiFcgiMetrics, bimi_fcgi_metrics_free)

/**
 * bimi_fcgi_metrics_observe:
 * @route: the route the request was for
 * @status: the HTTP status sent (100..599; others are counted as 0)
 * @seconds: time from the request's first byte to its last answer byte
 */
void bimi_fcgi_metrics_observe(BimiFcgiMetrics *metrics, BimiFcgiRouteId route, guint status, double seconds);

/** Counts a request answered 503 because more than [server] max_queue were waiting. */
void bimi_fcgi_metrics_count_rejected(BimiFcgiMetrics *metrics);
/** Counts a connection closed unanswered because the service was past BIMI_SERVER_MAX_CONNECTIONS
 *  or the 503 queue was full too. */
void bimi_fcgi_metrics_count_dropped(BimiFcgiMetrics *metrics);
/** Counts a SIGHUP reload, @ok = whether the new configuration took effect. */
void bimi_fcgi_metrics_count_reload(BimiFcgiMetrics *metrics, gboolean ok);

/**
 * bimi_fcgi_metrics_render:
 * @gauges: (nullable): the gauges at this moment
 * @out: lines are appended (# HELP, # TYPE, samples), each ending in '\n'
 */
void bimi_fcgi_metrics_render(BimiFcgiMetrics *metrics, const BimiFcgiGauges *gauges, GString *out);

G_END_DECLS

#endif /* BIMI_FCGI_METRICS_H */
