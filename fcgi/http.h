/* fcgi/http.h — the pure parts of bimi-fcgi's HTTP surface (DESIGN.md §4):
 * routing of the request path, the query string, Content-Length, JSON error
 * bodies and log escaping. No sockets, no libfcgi, no clock: unit-tested in
 * tests/test-fcgi-http.c and fuzzed in fuzz/fuzz-fcgi-query.c.
 *
 * Every input here comes from the network (through nginx, which does not
 * normalise REQUEST_URI or QUERY_STRING): each length is bounded by a named
 * constant of engine/limits.h before anything is allocated for it.
 */
#ifndef BIMI_FCGI_HTTP_H
#define BIMI_FCGI_HTTP_H

#include <glib.h>
#include "evaluate/evaluate.h"

G_BEGIN_DECLS

#define BIMI_FCGI_ERROR (bimi_fcgi_error_quark())
GQuark bimi_fcgi_error_quark(void);

typedef enum {
  BIMI_FCGI_ERROR_NOT_FOUND = 1, /**< no route has this path (→ 404) */
  BIMI_FCGI_ERROR_BAD_REQUEST,   /**< a path segment or query parameter is malformed (→ 400; a field is named) */
} BimiFcgiError;

/** The routes of DESIGN.md §4, all under /bimi/v1/. */
typedef enum {
  BIMI_FCGI_ROUTE_NOT_FOUND = 0, /**< anything else (404) */
  BIMI_FCGI_ROUTE_EVALUATE,      /**< POST /bimi/v1/evaluate */
  BIMI_FCGI_ROUTE_DOMAIN,        /**< GET  /bimi/v1/domain/<domain> */
  BIMI_FCGI_ROUTE_LOGO_SVG,      /**< GET  /bimi/v1/logo/<sha256>.svg */
  BIMI_FCGI_ROUTE_LOGO_PNG,      /**< GET  /bimi/v1/logo/<sha256>/<px>.png */
  BIMI_FCGI_ROUTE_HEALTH,        /**< GET  /bimi/v1/health */
  BIMI_FCGI_ROUTE_METRICS,       /**< GET  /bimi/v1/metrics */
} BimiFcgiRouteId;
#define BIMI_FCGI_N_ROUTES 7

/** A routed request path. Free the strings with bimi_fcgi_route_clear(). */
typedef struct {
  BimiFcgiRouteId id;
  char *domain; /**< ROUTE_DOMAIN: the percent-decoded segment, valid UTF-8, 1..BIMI_SERVER_MAX_DOMAIN_BYTES */
  char *hash;   /**< ROUTE_LOGO_*: 64 lowercase hex digits */
  guint px;     /**< ROUTE_LOGO_PNG: 1..9999 (whether it is a configured size is the caller's question) */
} BimiFcgiRoute;

/** Metric label of a route: "evaluate", "domain", "logo_svg", "logo_png", "health", "metrics", "not_found". */
const char *bimi_fcgi_route_name(BimiFcgiRouteId id);

/** The methods a route answers, as an Allow header value: "POST" or "GET, HEAD" (NULL for NOT_FOUND). */
const char *bimi_fcgi_route_allow(BimiFcgiRouteId id);

/**
 * bimi_fcgi_route_method_allowed:
 * Returns: whether @method (case-sensitive, RFC 9110 §9.1) is in bimi_fcgi_route_allow(@id).
 */
gboolean bimi_fcgi_route_method_allowed(BimiFcgiRouteId id, const char *method);

/**
 * bimi_fcgi_route_parse:
 * @path: (array length=len): the raw path of REQUEST_URI (before any '?'), untrusted, not NUL-terminated
 * @len: bytes of @path
 * @out: (out caller-allocates): the route; on error, @out->id says which route the path was
 *   meant for (NOT_FOUND when none) and holds no strings
 * @field: (out) (optional) (transfer none): on BIMI_FCGI_ERROR_BAD_REQUEST, the part at fault:
 *   "domain", "hash" or "size"
 * @error: BIMI_FCGI_ERROR_NOT_FOUND (no such route, or @len > BIMI_SERVER_MAX_PATH_BYTES),
 *   BIMI_FCGI_ERROR_BAD_REQUEST (a logo hash that is not 64 lowercase hex digits, a size that
 *   is not a decimal 1..9999 without leading zero, a domain segment that is empty, badly
 *   percent-encoded, encodes NUL or '/', is not UTF-8 or is longer than BIMI_SERVER_MAX_DOMAIN_BYTES)
 *
 * Matches exactly (no trailing slash, no dot segments, no decoding except
 * the domain segment), so that the nginx locations and this router agree on
 * what a logo URL is.
 *
 * Returns: TRUE when @out names a route.
 */
gboolean bimi_fcgi_route_parse(const char *path, gsize len, BimiFcgiRoute *out, const char **field,
                               GError **error);

/** Frees the strings of @route and resets it to NOT_FOUND. */
void bimi_fcgi_route_clear(BimiFcgiRoute *route);

/**
 * bimi_fcgi_query_parse:
 * @query: (array length=len) (nullable): QUERY_STRING, application/x-www-form-urlencoded
 *   (WHATWG URL §5.1: pairs split on '&', name and value on the first '=', '+' is a space,
 *   then percent-decoding), untrusted
 * @len: bytes of @query
 * @allowed: NULL-terminated parameter names the route takes
 * @field: (out) (optional) (transfer none): on error, the parameter at fault (one of @allowed),
 *   or "query" for the query as a whole or an unknown name
 * @error: BIMI_FCGI_ERROR_BAD_REQUEST: @len > BIMI_SERVER_MAX_QUERY_BYTES, more than
 *   BIMI_SERVER_MAX_QUERY_PARAMS pairs, a name not in @allowed, a name given twice, a bad
 *   percent-escape, an escape of NUL, or a value that is not UTF-8
 *
 * Empty pairs ("a=1&&b=2", a trailing '&') are skipped, as browsers do.
 *
 * Returns: (transfer full) (nullable): name → value (both owned by the table), or NULL with @error.
 */
GHashTable *bimi_fcgi_query_parse(const char *query, gsize len, const char *const *allowed, const char **field,
                                  GError **error);

/**
 * bimi_fcgi_envelope_from_query:
 * @query: a table of bimi_fcgi_query_parse() for the names "ip", "helo", "mail_from"
 * @out: (out caller-allocates): pointers into @query (transfer none); absent names are NULL
 * @field: (out) (optional) (transfer none): on error "ip", "helo" or "mail_from"
 * @error: BIMI_FCGI_ERROR_BAD_REQUEST: ip not an IPv4 or IPv6 literal; helo empty, longer than
 *   BIMI_SERVER_MAX_HELO_BYTES or not printable US-ASCII (RFC 5321 §4.1.1.1: a domain or an
 *   address literal); mail_from longer than BIMI_SERVER_MAX_MAIL_FROM_BYTES or holding
 *   a space or control character ("" is the null reverse-path, RFC 5321 §4.5.5)
 *
 * The SMTP envelope of POST /bimi/v1/evaluate (DESIGN.md §4).
 *
 * Returns: TRUE when every given field is well-formed.
 */
gboolean bimi_fcgi_envelope_from_query(GHashTable *query, BimiEnvelope *out, const char **field, GError **error);

/**
 * bimi_fcgi_parse_content_length:
 * @text: (nullable): CONTENT_LENGTH (RFC 3875 §4.1.2): 1*DIGIT, or NULL/"" for none
 * @out: (out): the length in bytes, 0 when absent
 *
 * Returns: FALSE when @text is not a decimal number or does not fit 64 bits.
 */
gboolean bimi_fcgi_parse_content_length(const char *text, guint64 *out);

/** What bimi_fcgi_scan_request() found in the first bytes of a connection. */
typedef enum {
  BIMI_FCGI_SCAN_MORE = 0,  /**< the request is not all there yet: wait for *need bytes */
  BIMI_FCGI_SCAN_READY,     /**< BEGIN_REQUEST, PARAMS to their end and FCGI_STDIN to its end are all there */
  BIMI_FCGI_SCAN_HEADERS,   /**< BEGIN_REQUEST and PARAMS to their end are there, FCGI_STDIN is not */
} BimiFcgiScan;

/**
 * bimi_fcgi_scan_request:
 * @p: (array length=len): the bytes waiting on a FastCGI connection (peeked, not consumed), untrusted
 * @len: bytes of @p
 * @need: (out): on BIMI_FCGI_SCAN_MORE, how many bytes from the start the next step needs (> @len)
 * @content_length: (out): on _READY and _HEADERS, the CONTENT_LENGTH parameter in bytes
 *   (G_MAXUINT64 when absent or not a number: the handler will say 400)
 * @error: BIMI_FCGI_ERROR_BAD_REQUEST: not FastCGI 1.0 (a version byte other than 1), a
 *   BEGIN_REQUEST that is not 8 bytes or has request id 0, a second BEGIN_REQUEST, more than
 *   BIMI_SERVER_MAX_SCAN_RECORDS records, or PARAMS longer than BIMI_SERVER_READAHEAD_BYTES
 *
 * FastCGI 1.0 (fastcgi-spec §3.3 records, §3.4 name-value pairs, §5.1 FCGI_BEGIN_REQUEST,
 * §5.2 the PARAMS and STDIN streams, each ended by an empty record): tells whether one whole
 * request has arrived, so that a worker reading it never waits on the peer. Management
 * records (request id 0) and records of other request ids are skipped (libfcgi answers or
 * ignores them). Returns _READY once the empty FCGI_STDIN record of the request is there,
 * _HEADERS when only the parameters are complete.
 *
 * Returns: what was found, or BIMI_FCGI_SCAN_MORE with @error set when the bytes can never
 *   become a request (close the connection).
 */
BimiFcgiScan bimi_fcgi_scan_request(const guchar *p, gsize len, gsize *need, guint64 *content_length,
                                    GError **error);

/**
 * bimi_fcgi_etag_matches:
 * @if_none_match: (nullable): the If-None-Match field value, untrusted: "*" or a list of entity-tags
 * @etag: our entity-tag, quoted, optionally W/-prefixed
 *
 * RFC 9110 §13.1.2: weak comparison against each listed tag.
 *
 * Returns: TRUE when the client's copy is current (answer 304).
 */
gboolean bimi_fcgi_etag_matches(const char *if_none_match, const char *etag);

/**
 * bimi_fcgi_error_json:
 * @message: what is wrong, UTF-8 (invalid bytes are replaced)
 * @field: (nullable): the request part at fault ("ip", "message", "hash"...)
 *
 * Returns: (transfer full): the JSON body {"error": @message, "field": @field} (no "field" when NULL).
 */
char *bimi_fcgi_error_json(const char *message, const char *field);

/**
 * bimi_fcgi_log_escape:
 * @text: (nullable): attacker-controlled text (a path, a header)
 * @max: most input bytes shown; more ends in "..."
 *
 * STYLE.md §7: logs escape what senders control. Printable US-ASCII stays,
 * '\\' and '"' and every other byte become \\xHH.
 *
 * Returns: (transfer full): the escaped text ("-" for NULL).
 */
char *bimi_fcgi_log_escape(const char *text, gsize max);

G_END_DECLS

#endif /* BIMI_FCGI_HTTP_H */
