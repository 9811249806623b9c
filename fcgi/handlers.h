/* fcgi/handlers.h — one FastCGI request, start to finish: route, read, call
 * the evaluator, answer (DESIGN.md §4), count and log it.
 *
 * The server (fcgi/server.c) owns connections and threads; these functions
 * see one request that FCGX_Accept_r() has read the parameters of, and
 * never close or keep the connection themselves: they say whether the
 * request's body was read to its end, which is what keeping it needs.
 */
#ifndef BIMI_FCGI_HANDLERS_H
#define BIMI_FCGI_HANDLERS_H

#include <fcgiapp.h>
#include <glib.h>
#include "evaluate/evaluate.h"
#include "fcgi/metrics.h"

G_BEGIN_DECLS

/** Fills @out with the server's gauges at this moment (for GET /bimi/v1/metrics and /health). */
typedef void (*BimiFcgiGaugesFunc)(gpointer user_data, BimiFcgiGauges *out);

/** What a request runs with. (transfer none): the caller keeps @evaluator referenced for the call. */
typedef struct {
  BimiEvaluator *evaluator;
  BimiFcgiMetrics *metrics;
  BimiFcgiGaugesFunc gauges;
  gpointer gauges_data;
} BimiFcgiContext;

/**
 * bimi_fcgi_handle_request:
 * @req: a request accepted by FCGX_Accept_r() (parameters read, body unread)
 * @ctx: the evaluator and counters
 * @started_us: g_get_monotonic_time() when the request became readable (for the latency)
 *
 * Routes and answers the request; bad input of any kind is an HTTP answer
 * (400, 404, 405, 413), never a crash; evaluator failures are 503 with
 * Retry-After. Logs one line (method, path, status, decision, ms) at info.
 *
 * Returns: TRUE when the request body (FCGI_STDIN) was read to its end, so
 *   the connection can serve another request; FALSE after a 413 or a body
 *   that could not be read (close the connection).
 */
gboolean bimi_fcgi_handle_request(FCGX_Request *req, const BimiFcgiContext *ctx, gint64 started_us);

/**
 * bimi_fcgi_handle_overload:
 * @req: @ctx: @started_us: as for bimi_fcgi_handle_request()
 *
 * Answers 503 with Retry-After (BIMI_SERVER_RETRY_AFTER_S) without
 * evaluating anything: more than [server] max_queue requests are waiting.
 * Reads at most BIMI_SERVER_MAX_DRAIN_BYTES of the body.
 *
 * Returns: as bimi_fcgi_handle_request().
 */
gboolean bimi_fcgi_handle_overload(FCGX_Request *req, const BimiFcgiContext *ctx, gint64 started_us);

G_END_DECLS

#endif /* BIMI_FCGI_HANDLERS_H */
