/* fuzz/fuzz-fcgi-query.c — libFuzzer target for bimi-fcgi's request parsing
 * (fcgi/http.c): the query string, the envelope taken from it, the route of
 * a path, Content-Length and If-None-Match, on arbitrary bytes.
 *
 * Checks the promises of fcgi/http.h and aborts on any breach: a parsed query
 * holds only allowed names, at most BIMI_SERVER_MAX_QUERY_PARAMS of them, with
 * UTF-8 values free of NUL; an error names a field; a route's hash is 64
 * lowercase hex digits, its size 1..9999, its domain non-empty UTF-8 within
 * BIMI_SERVER_MAX_DOMAIN_BYTES.
 */
#include "cache/store.h"
#include "engine/limits.h"
#include "fcgi/http.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = { "ip", "helo", "mail_from", "selector", NULL };

static void
check_query(const char *in, size_t size)
{
  g_autoptr(GError) error = NULL;
  const char *field = NULL;
  g_autoptr(GHashTable) t = bimi_fcgi_query_parse(in, size, names, &field, &error);
  if (t == NULL) {
    if (error == NULL || field == NULL)
      abort();
    return;
  }
  if (error != NULL || g_hash_table_size(t) > BIMI_SERVER_MAX_QUERY_PARAMS || size > BIMI_SERVER_MAX_QUERY_BYTES)
    abort();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, t);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    gboolean known = FALSE;
    for (guint i = 0; names[i] != NULL; i++)
      known = known || strcmp(names[i], k) == 0;
    if (!known || !g_utf8_validate(v, -1, NULL))
      abort();
  }
  BimiEnvelope env;
  g_autoptr(GError) env_error = NULL;
  if (!bimi_fcgi_envelope_from_query(t, &env, &field, &env_error)) {
    if (env_error == NULL || field == NULL)
      abort();
  } else if ((env.helo != NULL && (env.helo[0] == '\0' || strlen(env.helo) > BIMI_SERVER_MAX_HELO_BYTES)) ||
             (env.mail_from != NULL && strlen(env.mail_from) > BIMI_SERVER_MAX_MAIL_FROM_BYTES)) {
    abort();
  }
}

static void
check_route(const char *in, size_t size)
{
  BimiFcgiRoute r;
  g_autoptr(GError) error = NULL;
  const char *field = NULL;

  if (!bimi_fcgi_route_parse(in, size, &r, &field, &error)) {
    if (error == NULL || r.hash != NULL || r.domain != NULL)
      abort();
    if (error->code == BIMI_FCGI_ERROR_BAD_REQUEST && field == NULL)
      abort();
    return;
  }
  switch (r.id) {
  case BIMI_FCGI_ROUTE_LOGO_PNG:
    if (r.px == 0 || r.px > 9999)
      abort();
    G_GNUC_FALLTHROUGH;
  case BIMI_FCGI_ROUTE_LOGO_SVG:
    if (!bimi_logo_store_hash_is_valid(r.hash))
      abort();
    break;
  case BIMI_FCGI_ROUTE_DOMAIN:
    if (r.domain == NULL || r.domain[0] == '\0' || strlen(r.domain) > BIMI_SERVER_MAX_DOMAIN_BYTES ||
        !g_utf8_validate(r.domain, -1, NULL))
      abort();
    break;
  case BIMI_FCGI_ROUTE_NOT_FOUND:
    abort();
  default:
    break;
  }
  bimi_fcgi_route_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *in = (const char *) data;
  g_autofree char *text = g_strndup(in, size);
  guint64 length;

  check_query(in, size);
  check_route(in, size);
  /* The same bytes behind the route prefixes, so the fuzzer reaches the segment parsers. */
  static const char *const prefixes[] = { "/bimi/v1/domain/", "/bimi/v1/logo/" };
  for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
    g_autoptr(GByteArray) p = g_byte_array_new();
    g_byte_array_append(p, (const guint8 *) prefixes[i], (guint) strlen(prefixes[i]));
    g_byte_array_append(p, data, (guint) MIN(size, (size_t) BIMI_SERVER_MAX_PATH_BYTES));
    check_route((const char *) p->data, p->len);
  }
  if (bimi_fcgi_parse_content_length(text, &length) && text[0] == '\0' && length != 0)
    abort();
  bimi_fcgi_etag_matches(text, "\"5e1858ea\"");
  g_free(bimi_fcgi_log_escape(text, 64));
  return 0;
}
