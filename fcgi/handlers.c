/* fcgi/handlers.c — the routes of DESIGN.md §4 over libfcgi (FCGX_*).
 *
 * Responses are CGI responses (RFC 3875 §6.2: "Status:" then header fields,
 * an empty line, the body) with Content-Length, so nginx can keep its client
 * connection alive. Caching (RFC 9111): decisions are private to the message
 * and cached for their computed ttl; domain status is public for its ttl with
 * a weak ETag of the body; logos are content-addressed, so immutable with
 * the hash as strong ETag (the nginx site sends the same tags for the files
 * it serves itself). Errors are JSON {"error", "field"} and never cached.
 */
#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/log.h"
#include "engine/base/base-text.h"
#include "engine/limits.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#define JSON_TYPE "application/json"
#define NO_STORE "no-store"
/* One year: content-addressed bytes never change (RFC 8246 immutable). */
#define IMMUTABLE "public, max-age=31536000, immutable"

typedef struct {
  FCGX_Request *req;
  const BimiFcgiContext *ctx;
  const char *method;
  const char *path;       /* for the log line; may be NULL */
  gsize path_len;
  BimiFcgiRouteId route;
  gboolean head;
  guint status;
  gboolean body_done;     /* FCGI_STDIN read to its end */
  BimiDecision *d;        /* the decision answered (owned, for the log line), or NULL */
} Exchange;

static const char *
reason_phrase(guint status)
{
  switch (status) {
  case 200: return "OK";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 413: return "Content Too Large";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Unknown";
  }
}

/* "@name@value" CRLF into @h. */
static void
append_header(GString *h, const char *name, const char *value)
{
  g_string_append(h, name);
  g_string_append(h, value);
  g_string_append(h, "\r\n");
}

/* Writes the whole answer. @extra: further header lines, each ending in CRLF, or NULL. */
static void
respond(Exchange *ex, guint status, const char *content_type, const char *cache_control, const char *etag,
        const char *extra, const void *body, gsize body_len)
{
  g_autoptr(GString) h = g_string_sized_new(256);

  /* the header lines without printf (issue 21): one answer per request */
  g_string_append(h, "Status: ");
  bimi_text_append_uint(h, status);
  g_string_append_c(h, ' ');
  g_string_append(h, reason_phrase(status));
  g_string_append(h, "\r\n");
  if (content_type != NULL)
    append_header(h, "Content-Type: ", content_type);
  if (status != 304) {
    g_string_append(h, "Content-Length: ");
    bimi_text_append_uint(h, body_len);
    g_string_append(h, "\r\n");
  }
  if (cache_control != NULL)
    append_header(h, "Cache-Control: ", cache_control);
  if (etag != NULL)
    append_header(h, "ETag: ", etag);
  g_string_append(h, "X-Content-Type-Options: nosniff\r\n");
  if (extra != NULL)
    g_string_append(h, extra);
  g_string_append(h, "\r\n");
  FCGX_PutStr(h->str, (int) h->len, ex->req->out);
  if (!ex->head && status != 304 && body_len > 0) {
    const char *p = body;
    while (body_len > 0) {
      int chunk = (int) MIN(body_len, (gsize) G_MAXINT);
      if (FCGX_PutStr(p, chunk, ex->req->out) != chunk)
        break;
      p += chunk;
      body_len -= (gsize) chunk;
    }
  }
  ex->status = status;
}

static void
respond_json(Exchange *ex, guint status, const char *cache_control, const char *etag, const char *extra,
             const char *json)
{
  respond(ex, status, JSON_TYPE, cache_control, etag, extra, json, strlen(json));
}

static void
respond_error(Exchange *ex, guint status, const char *message, const char *field, const char *extra)
{
  g_autofree char *json = bimi_fcgi_error_json(message, field);
  respond_json(ex, status, NO_STORE, NULL, extra, json);
}

static void
respond_unavailable(Exchange *ex, const char *message)
{
  g_autofree char *retry = g_strdup_printf("Retry-After: %u\r\n", BIMI_SERVER_RETRY_AFTER_S);
  respond_error(ex, 503, message, NULL, retry);
}

/* The request field an evaluator error is about (carried by the error, evaluate/evaluate.h), or @fallback. */
static const char *
error_field(const GError *error, const char *fallback)
{
  const char *name = bimi_evaluate_field_to_string(bimi_evaluate_error_get_field(error));

  return name != NULL ? name : fallback;
}

/* Maps an evaluator error to its answer (evaluate/evaluate.h says which code means what). */
static void
respond_gerror(Exchange *ex, const GError *error, const char *argument_field)
{
  if (error != NULL && error->domain == BIMI_EVALUATE_ERROR) {
    switch ((BimiEvaluateError) error->code) {
    case BIMI_EVALUATE_ERROR_MESSAGE:
      respond_error(ex, 400, error->message, "message", NULL);
      return;
    case BIMI_EVALUATE_ERROR_ENVELOPE:
      respond_error(ex, 400, error->message, error_field(error, "ip"), NULL);
      return;
    case BIMI_EVALUATE_ERROR_ARGUMENT:
      respond_error(ex, 400, error->message, error_field(error, argument_field), NULL);
      return;
    case BIMI_EVALUATE_ERROR_NOT_FOUND:
      respond_error(ex, 404, error->message, NULL, NULL);
      return;
    case BIMI_EVALUATE_ERROR_SETUP:
    case BIMI_EVALUATE_ERROR_INTERNAL:
    default:
      break;
    }
  }
  g_warning("%s %s: %s", ex->method, bimi_fcgi_route_name(ex->route), error != NULL ? error->message : "failed");
  respond_unavailable(ex, "the request could not be evaluated now; try again");
}

/* Reads and drops what is left of FCGI_STDIN, at most @max bytes. TRUE when its end was reached. */
static gboolean
drain_body(FCGX_Stream *in, gsize max)
{
  char buf[8192];
  gsize total = 0;

  for (;;) {
    int n = FCGX_GetStr(buf, sizeof buf, in);
    if (n < 0 || FCGX_GetError(in) != 0)
      return FALSE;
    total += (gsize) n;
    if ((gsize) n < sizeof buf)
      break;
    if (total > max)
      return FALSE;
  }
  return FCGX_HasSeenEOF(in) == EOF && FCGX_GetError(in) == 0;
}

static gint64
evaluation_now(Exchange *ex)
{
  return bimi_evaluator_now(ex->ctx->evaluator);
}

/* A weak tag of a decision (RFC 9110 §8.8.1): every member but "ttl", which counts down
 * with the clock and is sent as max-age anyway; the same status of a domain gets the same
 * tag in the next second too. (transfer full) "W/\"<32 hex>\"". */
static char *
decision_weak_etag(JsonNode *json)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  JsonObject *o = json_node_get_object(json);
  g_autoptr(GList) names = json_object_get_members(o);

  for (GList *l = names; l != NULL; l = l->next) {
    const char *name = l->data;
    if (strcmp(name, "ttl") == 0)
      continue;
    g_autofree char *value = json_to_string(json_object_get_member(o, name), FALSE);
    g_checksum_update(sum, (const guchar *) name, (gssize) strlen(name) + 1);
    g_checksum_update(sum, (const guchar *) value, (gssize) strlen(value) + 1);
  }
  return g_strdup_printf("W/\"%.32s\"", g_checksum_get_string(sum));
}

/* Answers @d (transfer full: kept for the log line until finish()). */
static void
respond_decision(Exchange *ex, BimiDecision *d, gboolean is_public)
{
  char cc[64];
  g_autofree char *etag = NULL;

  g_snprintf(cc, sizeof cc, "%s, max-age=%u", is_public ? "public" : "private", d->ttl);
  ex->d = d;
  if (is_public) {
    etag = decision_weak_etag(bimi_decision_get_json(d));
    if (bimi_fcgi_etag_matches(FCGX_GetParam("HTTP_IF_NONE_MATCH", ex->req->envp), etag)) {
      respond(ex, 304, NULL, cc, etag, NULL, NULL, 0);
      return;
    }
  }
  respond_json(ex, 200, cc, etag, NULL, d->json_text);
}

static void
handle_evaluate(Exchange *ex, const char *query)
{
  static const char *const names[] = { "ip", "helo", "mail_from", "consent", NULL };
  BimiConfig *config = bimi_evaluator_get_config(ex->ctx->evaluator);
  guint consent = BIMI_FILTER_CONSENT_DEFAULT;
  const char *consent_text;
  const char *field = NULL;
  g_autoptr(GError) error = NULL;
  guint64 declared = 0;

  if (!bimi_fcgi_parse_content_length(FCGX_GetParam("CONTENT_LENGTH", ex->req->envp), &declared)) {
    respond_error(ex, 400, "CONTENT_LENGTH is not a number", "message", NULL);
    return; /* body left unread: the connection is closed */
  }
  if (declared > config->server_max_message_bytes) {
    g_autofree char *msg = g_strdup_printf("message larger than %u bytes", config->server_max_message_bytes);
    respond_error(ex, 413, msg, "message", NULL);
    return; /* 413 without reading the body; the connection is closed */
  }

  g_autoptr(GHashTable) params = bimi_fcgi_query_parse(query, query != NULL ? strlen(query) : 0, names, &field, &error);
  BimiEnvelope envelope;
  if (params == NULL || !bimi_fcgi_envelope_from_query(params, &envelope, &field, &error)) {
    ex->body_done = drain_body(ex->req->in, BIMI_SERVER_MAX_DRAIN_BYTES);
    respond_error(ex, 400, error->message, field, NULL);
    return;
  }
  /* consent=: the filters the user agreed to (issue 17); absent: [filter] default_consent */
  consent_text = g_hash_table_lookup(params, "consent");
  if (consent_text != NULL && !bimi_filter_consent_parse(consent_text, &consent, &error)) {
    ex->body_done = drain_body(ex->req->in, BIMI_SERVER_MAX_DRAIN_BYTES);
    respond_error(ex, 400, error->message, "consent", NULL);
    return;
  }

  /* The body: exactly the declared length, then the end of FCGI_STDIN. */
  gsize len = (gsize) declared;
  g_autofree char *buf = g_malloc(len + 1);
  gsize got = 0;
  while (got < len) {
    int n = FCGX_GetStr(buf + got, (int) MIN(len - got, (gsize) 65536), ex->req->in);
    if (n <= 0)
      break;
    got += (gsize) n;
  }
  if (got < len || FCGX_GetError(ex->req->in) != 0) {
    ex->body_done = FALSE;
    respond_error(ex, 400, "message body shorter than its CONTENT_LENGTH", "message", NULL);
    return;
  }
  char probe;
  if (FCGX_GetStr(&probe, 1, ex->req->in) != 0 || FCGX_HasSeenEOF(ex->req->in) != EOF) {
    ex->body_done = FALSE;
    respond_error(ex, 400, "message body longer than its CONTENT_LENGTH", "message", NULL);
    return;
  }
  ex->body_done = TRUE;
  if (len == 0) {
    respond_error(ex, 400, "empty message: POST the raw RFC 5322 message as the body", "message", NULL);
    return;
  }

  g_autoptr(GBytes) message = g_bytes_new_take(g_steal_pointer(&buf), len);
  BimiDecision *d =
    bimi_evaluator_evaluate_with_consent(ex->ctx->evaluator, message, &envelope, consent, evaluation_now(ex), &error);
  if (d == NULL) {
    respond_gerror(ex, error, "message");
    return;
  }
  respond_decision(ex, d, FALSE);
}

static void
handle_domain(Exchange *ex, const BimiFcgiRoute *route, const char *query)
{
  static const char *const names[] = { "selector", NULL };
  const char *field = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) params = bimi_fcgi_query_parse(query, query != NULL ? strlen(query) : 0, names, &field, &error);

  if (params == NULL) {
    respond_error(ex, 400, error->message, field, NULL);
    return;
  }
  const char *selector = g_hash_table_lookup(params, "selector");
  BimiDecision *d =
    bimi_evaluator_domain_status(ex->ctx->evaluator, route->domain, selector, evaluation_now(ex), &error);
  if (d == NULL) {
    respond_gerror(ex, error, "domain");
    return;
  }
  respond_decision(ex, d, TRUE);
}

static gboolean
not_modified(Exchange *ex, const char *etag)
{
  if (!bimi_fcgi_etag_matches(FCGX_GetParam("HTTP_IF_NONE_MATCH", ex->req->envp), etag))
    return FALSE;
  respond(ex, 304, NULL, IMMUTABLE, etag, NULL, NULL, 0);
  return TRUE;
}

static void
handle_logo_svg(Exchange *ex, const BimiFcgiRoute *route)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = g_strdup_printf("\"%s\"", route->hash);

  if (not_modified(ex, etag))
    return;
  g_autoptr(GBytes) svg = bimi_evaluator_logo_svg(ex->ctx->evaluator, route->hash, &error);
  if (svg == NULL) {
    respond_gerror(ex, error, "hash");
    return;
  }
  gsize len;
  const void *data = g_bytes_get_data(svg, &len);
  /* An SVG opened as a document must not run or load anything. */
  respond(ex, 200, "image/svg+xml", IMMUTABLE, etag, "Content-Security-Policy: default-src 'none'\r\n", data, len);
}

static void
handle_logo_png(Exchange *ex, const BimiFcgiRoute *route)
{
  BimiConfig *config = bimi_evaluator_get_config(ex->ctx->evaluator);
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = g_strdup_printf("\"%s-%u\"", route->hash, route->px);
  gboolean allowed = FALSE;

  for (guint i = 0; i < config->render_n_sizes; i++)
    allowed = allowed || config->render_sizes[i] == route->px;
  if (!allowed) {
    g_autoptr(GString) msg = g_string_new("logo size must be one of");
    for (guint i = 0; i < config->render_n_sizes; i++)
      g_string_append_printf(msg, " %u", config->render_sizes[i]);
    respond_error(ex, 400, msg->str, "size", NULL);
    return;
  }
  if (not_modified(ex, etag))
    return;
  g_autoptr(GBytes) png = bimi_evaluator_logo_png(ex->ctx->evaluator, route->hash, route->px, &error);
  if (png == NULL) {
    respond_gerror(ex, error, "hash");
    return;
  }
  gsize len;
  const void *data = g_bytes_get_data(png, &len);
  respond(ex, 200, "image/png", IMMUTABLE, etag, NULL, data, len);
}

/* GET /bimi/v1/health: "ok" (200) when every component the service depends on works, else "degraded"
 * (503, so that a load balancer takes the instance out) with the failing check's detail
 * (bimi_evaluator_check_health(); docs/api.md). */
static void
handle_health(Exchange *ex)
{
  BimiFcgiGauges g = { 0 };
  BimiHealthResult checks[BIMI_HEALTH_N_CHECKS] = { 0 };
  g_autoptr(JsonBuilder) b = json_builder_new();
  gboolean healthy = bimi_evaluator_check_health(ex->ctx->evaluator, checks);

  if (ex->ctx->gauges != NULL)
    ex->ctx->gauges(ex->ctx->gauges_data, &g);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "status");
  json_builder_add_string_value(b, healthy ? "ok" : "degraded");
  json_builder_set_member_name(b, "version");
  json_builder_add_string_value(b, BIMI_VERSION);
  json_builder_set_member_name(b, "workers");
  json_builder_add_int_value(b, g.workers);
  json_builder_set_member_name(b, "in_flight");
  json_builder_add_int_value(b, g.in_flight);
  json_builder_set_member_name(b, "queued");
  json_builder_add_int_value(b, g.queued);
  json_builder_set_member_name(b, "checks");
  json_builder_begin_object(b);
  for (guint i = 0; i < BIMI_HEALTH_N_CHECKS; i++) {
    json_builder_set_member_name(b, checks[i].name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, checks[i].ok);
    json_builder_set_member_name(b, "detail");
    json_builder_add_string_value(b, checks[i].detail);
    json_builder_end_object(b);
  }
  json_builder_end_object(b);
  json_builder_end_object(b);
  bimi_health_results_clear(checks, BIMI_HEALTH_N_CHECKS);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *json = json_to_string(root, FALSE);
  respond_json(ex, healthy ? 200 : 503, NO_STORE, NULL, NULL, json);
}

/* The health check as gauges: bimi_health_ok (1 ok, 0 degraded) and one bimi_health_check_ok per check. */
static void
append_health_metrics(BimiEvaluator *evaluator, GString *out)
{
  BimiHealthResult checks[BIMI_HEALTH_N_CHECKS] = { 0 };
  gboolean healthy = bimi_evaluator_check_health(evaluator, checks);

  g_string_append(out, "# HELP bimi_health_ok 1 when every health check passes (GET /bimi/v1/health is ok), "
                       "0 when degraded.\n# TYPE bimi_health_ok gauge\n");
  g_string_append_printf(out, "bimi_health_ok %d\n", healthy ? 1 : 0);
  g_string_append(out, "# HELP bimi_health_check_ok 1 when this health check passes, 0 when it fails.\n"
                       "# TYPE bimi_health_check_ok gauge\n");
  for (guint i = 0; i < BIMI_HEALTH_N_CHECKS; i++)
    g_string_append_printf(out, "bimi_health_check_ok{check=\"%s\"} %d\n", checks[i].name, checks[i].ok ? 1 : 0);
  bimi_health_results_clear(checks, BIMI_HEALTH_N_CHECKS);
}

static void
handle_metrics(Exchange *ex)
{
  BimiFcgiGauges g = { 0 };
  g_autoptr(GString) out = g_string_sized_new(8192);

  if (ex->ctx->gauges != NULL)
    ex->ctx->gauges(ex->ctx->gauges_data, &g);
  bimi_fcgi_metrics_render(ex->ctx->metrics, &g, out);
  bimi_evaluator_append_metrics(ex->ctx->evaluator, out);
  append_health_metrics(ex->ctx->evaluator, out);
  respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", NO_STORE, NULL, NULL, out->str, out->len);
}

static void
begin(Exchange *ex, FCGX_Request *req, const BimiFcgiContext *ctx)
{
  memset(ex, 0, sizeof *ex);
  ex->req = req;
  ex->ctx = ctx;
  ex->method = FCGX_GetParam("REQUEST_METHOD", req->envp);
  ex->path = FCGX_GetParam("REQUEST_URI", req->envp);
  if (ex->path == NULL)
    ex->path = FCGX_GetParam("DOCUMENT_URI", req->envp);
  if (ex->path != NULL) {
    const char *q = strchr(ex->path, '?');
    ex->path_len = q != NULL ? (gsize) (q - ex->path) : strlen(ex->path);
  }
  ex->head = ex->method != NULL && strcmp(ex->method, "HEAD") == 0;
  if (bimi_fcgi_log_enabled(G_LOG_LEVEL_DEBUG)) {
    g_autofree char *m = bimi_fcgi_log_escape(ex->method, 16);
    g_autofree char *p = bimi_fcgi_log_escape(ex->path, 200);
    g_debug("%s %s: started", m, p);
  }
}

static void
finish(Exchange *ex, gint64 started_us)
{
  double seconds = (double) (g_get_monotonic_time() - started_us) / G_USEC_PER_SEC;
  const BimiDecision *d = ex->d;

  bimi_fcgi_metrics_observe(ex->ctx->metrics, ex->route, ex->status, seconds);
  if (bimi_fcgi_log_enabled(G_LOG_LEVEL_INFO)) {
    /* One line per request: what was asked, and for a decision why (its reason), for whom (author domain,
     * selector), on what (certificate type) and where the time went. Sender-controlled values escaped
     * (a brand name's spaces as \x20, so key=value stays one token), all in the log's one buffer. */
    char status[16], total[BIMI_FCGI_LOG_MS_LEN], dns[BIMI_FCGI_LOG_MS_LEN], fetch[BIMI_FCGI_LOG_MS_LEN];
    const BimiCautionMatch *caution = d != NULL ? d->caution : NULL;
    g_snprintf(status, sizeof status, "%u", ex->status);
    bimi_fcgi_log_format_ms(total, seconds * 1000.0);
    if (d != NULL) {
      bimi_fcgi_log_format_ms(dns, d->dns_ms);
      bimi_fcgi_log_format_ms(fetch, d->fetch_ms);
    }
    const BimiFcgiLogField fields[] = {
      { "method", ex->method != NULL ? ex->method : "-", -1, 16, 0 },
      { "path", ex->path != NULL ? ex->path : "-", ex->path != NULL ? (gssize) ex->path_len : -1, 200, 0 },
      { "status", status, -1, 0, 0 },
      { "decision", d != NULL ? bimi_decision_kind_to_string(d->kind) : NULL, -1, 0, 0 },
      { "reason", d != NULL ? d->reason : NULL, -1, 0, 0 },
      { "author_domain", d != NULL ? d->author_domain : NULL, -1, 255, 0 },
      { "selector", d != NULL ? d->selector : NULL, -1, 64, 0 },
      { "certificate_type", d != NULL && d->mark != NULL ? d->mark->certificate_type : NULL, -1, 0, 0 },
      { "caution", caution != NULL ? bimi_caution_signal_to_string(caution->signals) : NULL, -1, 0, 0 },
      { "caution_brand", caution != NULL ? caution->brand : NULL, -1, 128, BIMI_TEXT_ESCAPE_SPACE },
      { "dns_ms", d != NULL ? dns : NULL, -1, 0, 0 },
      { "fetch_ms", d != NULL ? fetch : NULL, -1, 0, 0 },
      { "total_ms", total, -1, 0, 0 },
    };
    bimi_fcgi_log_request(fields, G_N_ELEMENTS(fields));
  }
  g_clear_pointer(&ex->d, bimi_decision_free);
}

gboolean
bimi_fcgi_handle_request(FCGX_Request *req, const BimiFcgiContext *ctx, gint64 started_us)
{
  Exchange ex;
  BimiFcgiRoute route = { 0 };
  const char *field = NULL;
  g_autoptr(GError) error = NULL;

  begin(&ex, req, ctx);
  gboolean routed = ex.path != NULL && bimi_fcgi_route_parse(ex.path, ex.path_len, &route, &field, &error);
  ex.route = route.id;

  if (ex.method == NULL) {
    ex.body_done = drain_body(req->in, BIMI_SERVER_MAX_DRAIN_BYTES);
    respond_error(&ex, 400, "no REQUEST_METHOD", NULL, NULL);
  } else if (route.id == BIMI_FCGI_ROUTE_NOT_FOUND) {
    ex.body_done = drain_body(req->in, BIMI_SERVER_MAX_DRAIN_BYTES);
    respond_error(&ex, 404, "no such resource", NULL, NULL);
  } else if (!bimi_fcgi_route_method_allowed(route.id, ex.method)) {
    g_autofree char *allow = g_strdup_printf("Allow: %s\r\n", bimi_fcgi_route_allow(route.id));
    g_autofree char *msg = g_strdup_printf("method not allowed; use %s", bimi_fcgi_route_allow(route.id));
    ex.body_done = drain_body(req->in, BIMI_SERVER_MAX_DRAIN_BYTES);
    respond_error(&ex, 405, msg, NULL, allow);
  } else if (!routed) {
    ex.body_done = drain_body(req->in, BIMI_SERVER_MAX_DRAIN_BYTES);
    respond_error(&ex, 400, error->message, field, NULL);
  } else if (route.id == BIMI_FCGI_ROUTE_EVALUATE) {
    handle_evaluate(&ex, FCGX_GetParam("QUERY_STRING", req->envp));
  } else {
    ex.body_done = drain_body(req->in, BIMI_SERVER_MAX_DRAIN_BYTES);
    switch (route.id) {
    case BIMI_FCGI_ROUTE_DOMAIN:
      handle_domain(&ex, &route, FCGX_GetParam("QUERY_STRING", req->envp));
      break;
    case BIMI_FCGI_ROUTE_LOGO_SVG:
      handle_logo_svg(&ex, &route);
      break;
    case BIMI_FCGI_ROUTE_LOGO_PNG:
      handle_logo_png(&ex, &route);
      break;
    case BIMI_FCGI_ROUTE_HEALTH:
      handle_health(&ex);
      break;
    case BIMI_FCGI_ROUTE_METRICS:
      handle_metrics(&ex);
      break;
    case BIMI_FCGI_ROUTE_EVALUATE:
    case BIMI_FCGI_ROUTE_NOT_FOUND:
    default:
      respond_error(&ex, 404, "no such resource", NULL, NULL);
      break;
    }
  }
  finish(&ex, started_us);
  bimi_fcgi_route_clear(&route);
  return ex.body_done;
}

gboolean
bimi_fcgi_handle_overload(FCGX_Request *req, const BimiFcgiContext *ctx, gint64 started_us)
{
  Exchange ex;
  BimiFcgiRoute route = { 0 };

  begin(&ex, req, ctx);
  if (ex.path != NULL)
    bimi_fcgi_route_parse(ex.path, ex.path_len, &route, NULL, NULL);
  ex.route = route.id; /* only a metric label here: nothing of the request is used */
  bimi_fcgi_route_clear(&route);
  ex.body_done = drain_body(req->in, BIMI_SERVER_MAX_DRAIN_BYTES);
  respond_unavailable(&ex, "overloaded: too many requests waiting; try again");
  finish(&ex, started_us);
  return ex.body_done;
}
