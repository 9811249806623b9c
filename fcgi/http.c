/* fcgi/http.c — routing, query strings, Content-Length, error bodies, log
 * escaping for bimi-fcgi (DESIGN.md §4). Pure functions over untrusted bytes.
 *
 * Query strings follow application/x-www-form-urlencoded as browsers write
 * it (WHATWG URL §5.1); percent-decoding is GLib's g_uri_unescape_segment(),
 * which refuses escapes of NUL. CONTENT_LENGTH is RFC 3875 §4.1.2.
 */
#include "fcgi/http.h"
#include "engine/base/base-names.h"
#include "engine/base/base-text.h"
#include "engine/limits.h"
#include "cache/store.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

G_DEFINE_QUARK(bimi-fcgi-error-quark, bimi_fcgi_error)

#define PREFIX "/bimi/v1/"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

/* Longest decimal logo size in a path: 4 digits (sizes are at most 2048). */
#define MAX_PX_DIGITS 4u

static const char *const route_names[BIMI_FCGI_N_ROUTES] = {
  [BIMI_FCGI_ROUTE_NOT_FOUND] = "not_found", [BIMI_FCGI_ROUTE_EVALUATE] = "evaluate",
  [BIMI_FCGI_ROUTE_DOMAIN] = "domain",       [BIMI_FCGI_ROUTE_LOGO_SVG] = "logo_svg",
  [BIMI_FCGI_ROUTE_LOGO_PNG] = "logo_png",   [BIMI_FCGI_ROUTE_HEALTH] = "health",
  [BIMI_FCGI_ROUTE_METRICS] = "metrics",
};

BIMI_DEFINE_NAME_TO_STRING(BimiFcgiRouteId, bimi_fcgi_route_name, route_names, "not_found")

const char *
bimi_fcgi_route_allow(BimiFcgiRouteId id)
{
  switch (id) {
  case BIMI_FCGI_ROUTE_EVALUATE:
    return "POST";
  case BIMI_FCGI_ROUTE_DOMAIN:
  case BIMI_FCGI_ROUTE_LOGO_SVG:
  case BIMI_FCGI_ROUTE_LOGO_PNG:
  case BIMI_FCGI_ROUTE_HEALTH:
  case BIMI_FCGI_ROUTE_METRICS:
    return "GET, HEAD";
  case BIMI_FCGI_ROUTE_NOT_FOUND:
  default:
    return NULL;
  }
}

gboolean
bimi_fcgi_route_method_allowed(BimiFcgiRouteId id, const char *method)
{
  if (method == NULL)
    return FALSE;
  if (id == BIMI_FCGI_ROUTE_EVALUATE)
    return strcmp(method, "POST") == 0;
  if (bimi_fcgi_route_allow(id) == NULL)
    return FALSE;
  return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

void
bimi_fcgi_route_clear(BimiFcgiRoute *route)
{
  g_clear_pointer(&route->domain, g_free);
  g_clear_pointer(&route->hash, g_free);
  route->px = 0;
  route->id = BIMI_FCGI_ROUTE_NOT_FOUND;
}

static gboolean
bad(GError **error, const char **field, const char *name, const char *message)
{
  if (field != NULL)
    *field = name;
  g_set_error_literal(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST, message);
  return FALSE;
}

static gboolean
not_found(GError **error)
{
  g_set_error_literal(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_NOT_FOUND, "no such resource");
  return FALSE;
}

static gboolean
equals(const char *p, gsize len, const char *word)
{
  gsize n = strlen(word);
  return len == n && memcmp(p, word, n) == 0;
}

static gboolean
take_hash(const char *p, gsize len, BimiFcgiRoute *out, const char **field, GError **error)
{
  char hash[BIMI_LOGO_HASH_HEX_LEN + 1];

  if (len != BIMI_LOGO_HASH_HEX_LEN)
    return bad(error, field, "hash", "logo hash must be 64 lowercase hex digits");
  memcpy(hash, p, len);
  hash[len] = '\0';
  if (!bimi_logo_store_hash_is_valid(hash))
    return bad(error, field, "hash", "logo hash must be 64 lowercase hex digits");
  out->hash = g_strdup(hash);
  return TRUE;
}

static gboolean
take_px(const char *p, gsize len, BimiFcgiRoute *out, const char **field, GError **error)
{
  guint px = 0;

  if (len == 0 || len > MAX_PX_DIGITS || p[0] == '0')
    return bad(error, field, "size", "logo size must be a decimal number of pixels");
  for (gsize i = 0; i < len; i++) {
    if (!g_ascii_isdigit(p[i]))
      return bad(error, field, "size", "logo size must be a decimal number of pixels");
    px = px * 10 + (guint) (p[i] - '0');
  }
  out->px = px;
  return TRUE;
}

/* The shape of a domain name (RFC 1035 §2.3.1, RFC 5890 U-labels): labels of
 * 1..63 bytes, ASCII letters, digits, '-' or '_' (DNS allows it, e.g. in
 * service names) or any non-ASCII UTF-8 (IDNA is the evaluator's job), one
 * optional trailing dot. */
static gboolean
domain_shape_ok(const char *d)
{
  gsize label = 0;

  for (const char *p = d; *p != '\0'; p++) {
    guchar c = (guchar) *p;
    if (c == '.') {
      if (label == 0)
        return FALSE;
      label = 0;
      continue;
    }
    if (c < 0x80 && !g_ascii_isalnum(c) && c != '-' && c != '_')
      return FALSE;
    if (++label > 63)
      return FALSE;
  }
  return TRUE;
}

gboolean
bimi_fcgi_route_parse(const char *path, gsize len, BimiFcgiRoute *out, const char **field, GError **error)
{
  const char *rest;
  gsize rest_len;

  memset(out, 0, sizeof *out);
  if (field != NULL)
    *field = NULL;
  if (path == NULL || len > BIMI_SERVER_MAX_PATH_BYTES || len < PREFIX_LEN || memcmp(path, PREFIX, PREFIX_LEN) != 0)
    return not_found(error);
  rest = path + PREFIX_LEN;
  rest_len = len - PREFIX_LEN;

  if (equals(rest, rest_len, "evaluate"))
    out->id = BIMI_FCGI_ROUTE_EVALUATE;
  else if (equals(rest, rest_len, "health"))
    out->id = BIMI_FCGI_ROUTE_HEALTH;
  else if (equals(rest, rest_len, "metrics"))
    out->id = BIMI_FCGI_ROUTE_METRICS;
  if (out->id != BIMI_FCGI_ROUTE_NOT_FOUND)
    return TRUE;

  if (rest_len >= 7 && memcmp(rest, "domain/", 7) == 0) {
    const char *seg = rest + 7;
    gsize seg_len = rest_len - 7;
    out->id = BIMI_FCGI_ROUTE_DOMAIN;
    if (memchr(seg, '/', seg_len) != NULL) {
      out->id = BIMI_FCGI_ROUTE_NOT_FOUND;
      return not_found(error);
    }
    if (seg_len == 0)
      return bad(error, field, "domain", "domain is empty");
    /* An escape takes 3 bytes for 1, so the decoded form is never longer. */
    g_autofree char *decoded = g_uri_unescape_segment(seg, seg + seg_len, "/");
    if (decoded == NULL)
      return bad(error, field, "domain", "domain is not correctly percent-encoded (or encodes NUL or '/')");
    if (decoded[0] == '\0' || strlen(decoded) > BIMI_SERVER_MAX_DOMAIN_BYTES)
      return bad(error, field, "domain", "domain is empty or too long");
    if (!g_utf8_validate(decoded, -1, NULL))
      return bad(error, field, "domain", "domain is not UTF-8");
    if (!domain_shape_ok(decoded))
      return bad(error, field, "domain", "domain is not a domain name (dot-separated labels of letters, digits and hyphens)");
    out->domain = g_steal_pointer(&decoded);
    return TRUE;
  }

  if (rest_len >= 5 && memcmp(rest, "logo/", 5) == 0) {
    const char *seg = rest + 5;
    gsize seg_len = rest_len - 5;
    const char *slash = memchr(seg, '/', seg_len);
    if (slash == NULL) {
      /* <sha256>.svg */
      if (seg_len < 4 || memcmp(seg + seg_len - 4, ".svg", 4) != 0)
        return not_found(error);
      out->id = BIMI_FCGI_ROUTE_LOGO_SVG;
      if (!take_hash(seg, seg_len - 4, out, field, error)) {
        bimi_fcgi_route_clear(out);
        out->id = BIMI_FCGI_ROUTE_LOGO_SVG;
        return FALSE;
      }
      return TRUE;
    }
    /* <sha256>/<px>.png */
    const char *file = slash + 1;
    gsize file_len = seg_len - (gsize) (file - seg);
    if (memchr(file, '/', file_len) != NULL || file_len < 4 || memcmp(file + file_len - 4, ".png", 4) != 0)
      return not_found(error);
    out->id = BIMI_FCGI_ROUTE_LOGO_PNG;
    if (!take_hash(seg, (gsize) (slash - seg), out, field, error) || !take_px(file, file_len - 4, out, field, error)) {
      bimi_fcgi_route_clear(out);
      out->id = BIMI_FCGI_ROUTE_LOGO_PNG;
      return FALSE;
    }
    return TRUE;
  }
  return not_found(error);
}

/* Decodes one form-urlencoded component: '+' is a space, then %XX. NULL when
 * an escape is malformed or encodes NUL. */
static char *
form_decode(const char *p, gsize len)
{
  g_autofree char *plus = g_strndup(p, len);
  for (char *c = plus; *c != '\0'; c++)
    if (*c == '+')
      *c = ' ';
  if (strlen(plus) != len) /* a raw NUL byte in the query */
    return NULL;
  return g_uri_unescape_segment(plus, plus + len, NULL);
}

static const char *
allowed_name(const char *const *allowed, const char *name)
{
  for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++)
    if (strcmp(allowed[i], name) == 0)
      return allowed[i];
  return NULL;
}

GHashTable *
bimi_fcgi_query_parse(const char *query, gsize len, const char *const *allowed, const char **field, GError **error)
{
  g_autoptr(GHashTable) table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  gsize pos = 0;
  guint pairs = 0;

  if (field != NULL)
    *field = NULL;
  if (query == NULL || len == 0)
    return g_steal_pointer(&table);
  if (len > BIMI_SERVER_MAX_QUERY_BYTES) {
    bad(error, field, "query", "query string too long");
    return NULL;
  }
  /* Count the pairs before decoding any. */
  for (gsize i = 0; i < len; i++)
    if (query[i] != '&' && (i + 1 == len || query[i + 1] == '&'))
      pairs++;
  if (pairs > BIMI_SERVER_MAX_QUERY_PARAMS) {
    bad(error, field, "query", "too many query parameters");
    return NULL;
  }
  while (pos <= len) {
    const char *start = query + pos;
    const char *amp = memchr(start, '&', len - pos);
    gsize piece_len = amp != NULL ? (gsize) (amp - start) : len - pos;
    pos += piece_len + 1;
    if (piece_len == 0)
      continue;
    const char *eq = memchr(start, '=', piece_len);
    gsize name_len = eq != NULL ? (gsize) (eq - start) : piece_len;
    g_autofree char *name = form_decode(start, name_len);
    if (name == NULL) {
      bad(error, field, "query", "query parameter name is not correctly percent-encoded");
      return NULL;
    }
    const char *known = allowed_name(allowed, name);
    if (known == NULL) {
      g_autofree char *shown = bimi_fcgi_log_escape(name, 64);
      if (field != NULL)
        *field = "query";
      g_set_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST, "unknown query parameter \"%s\"", shown);
      return NULL;
    }
    if (g_hash_table_contains(table, known)) {
      if (field != NULL)
        *field = known;
      g_set_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST, "query parameter \"%s\" given twice", known);
      return NULL;
    }
    char *value = eq != NULL ? form_decode(eq + 1, piece_len - name_len - 1) : g_strdup("");
    if (value == NULL || !g_utf8_validate(value, -1, NULL)) {
      g_free(value);
      if (field != NULL)
        *field = known;
      g_set_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST,
                  "query parameter \"%s\" is not correctly percent-encoded UTF-8", known);
      return NULL;
    }
    g_hash_table_insert(table, g_strdup(known), value);
  }
  return g_steal_pointer(&table);
}

static gboolean
printable_ascii(const char *s, gboolean allow_space)
{
  for (; *s != '\0'; s++) {
    guchar c = (guchar) *s;
    if (c < 0x20 || c == 0x7f || (c == ' ' && !allow_space))
      return FALSE;
    if (c >= 0x80)
      return FALSE;
  }
  return TRUE;
}

/* RFC 6531 lets MAIL FROM carry UTF-8 (SMTPUTF8): refuse only controls and spaces. */
static gboolean
no_controls_or_space(const char *s)
{
  for (; *s != '\0'; s++) {
    guchar c = (guchar) *s;
    if (c <= 0x20 || c == 0x7f)
      return FALSE;
  }
  return TRUE;
}

gboolean
bimi_fcgi_envelope_from_query(GHashTable *query, BimiEnvelope *out, const char **field, GError **error)
{
  const char *ip = g_hash_table_lookup(query, "ip");
  const char *helo = g_hash_table_lookup(query, "helo");
  const char *mail_from = g_hash_table_lookup(query, "mail_from");

  memset(out, 0, sizeof *out);
  if (field != NULL)
    *field = NULL;
  if (ip != NULL) {
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(ip);
    if (addr == NULL || strchr(ip, '%') != NULL)
      return bad(error, field, "ip", "ip is not an IPv4 or IPv6 address");
  }
  if (helo != NULL) {
    if (helo[0] == '\0' || strlen(helo) > BIMI_SERVER_MAX_HELO_BYTES || !printable_ascii(helo, FALSE))
      return bad(error, field, "helo", "helo must be 1-255 printable US-ASCII characters (a domain or an address literal)");
  }
  if (mail_from != NULL) {
    if (strlen(mail_from) > BIMI_SERVER_MAX_MAIL_FROM_BYTES || !no_controls_or_space(mail_from))
      return bad(error, field, "mail_from", "mail_from must be an address of at most 256 bytes without spaces");
  }
  out->client_ip = ip;
  out->helo = helo;
  out->mail_from = mail_from;
  return TRUE;
}

gboolean
bimi_fcgi_parse_content_length(const char *text, guint64 *out)
{
  *out = 0;
  if (text == NULL || text[0] == '\0')
    return TRUE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit(*p))
      return FALSE;
  return g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, out, NULL);
}

/* ---- a whole request waiting on the connection (fastcgi-spec §3, §5) ---- */

#define FCGI_HEADER_LEN 8
#define FCGI_VERSION_1 1
#define FCGI_BEGIN_REQUEST 1
#define FCGI_PARAMS 4
#define FCGI_STDIN 5

/* One name-value length (fastcgi-spec §3.4): 1 byte < 128, or 4 bytes with the top bit set. */
static gboolean
nv_length(const guchar *p, gsize len, gsize *at, guint32 *out)
{
  if (*at >= len)
    return FALSE;
  if (p[*at] < 0x80) {
    *out = p[(*at)++];
    return TRUE;
  }
  if (len - *at < 4)
    return FALSE;
  *out = ((guint32) (p[*at] & 0x7f) << 24) | ((guint32) p[*at + 1] << 16) | ((guint32) p[*at + 2] << 8) | p[*at + 3];
  *at += 4;
  return TRUE;
}

/* CONTENT_LENGTH among the pairs of the PARAMS stream @p; G_MAXUINT64 when absent or bad. */
static guint64
params_content_length(const guchar *p, gsize len)
{
  static const char key[] = "CONTENT_LENGTH";
  gsize at = 0;

  while (at < len) {
    guint32 nlen, vlen;
    if (!nv_length(p, len, &at, &nlen) || !nv_length(p, len, &at, &vlen) || nlen > len - at ||
        vlen > len - at - nlen)
      break;
    if (nlen == sizeof key - 1 && memcmp(p + at, key, nlen) == 0) {
      char text[24];
      guint64 n;
      if (vlen == 0 || vlen >= sizeof text)
        return G_MAXUINT64;
      memcpy(text, p + at + nlen, vlen);
      text[vlen] = '\0';
      return bimi_fcgi_parse_content_length(text, &n) ? n : G_MAXUINT64;
    }
    at += (gsize) nlen + vlen;
  }
  return G_MAXUINT64;
}

static BimiFcgiScan
scan_bad(GError **error, const char *why)
{
  g_set_error(error, BIMI_FCGI_ERROR, BIMI_FCGI_ERROR_BAD_REQUEST, "FastCGI: %s", why);
  return BIMI_FCGI_SCAN_MORE;
}

BimiFcgiScan
bimi_fcgi_scan_request(const guchar *p, gsize len, gsize *need, guint64 *content_length, GError **error)
{
  g_autoptr(GByteArray) params = NULL;
  gsize at = 0;
  guint records = 0, id = 0;
  gboolean params_done = FALSE;

  g_return_val_if_fail(p != NULL || len == 0, BIMI_FCGI_SCAN_MORE);
  *need = 0;
  *content_length = G_MAXUINT64;
  for (;;) {
    if (len - at < FCGI_HEADER_LEN) {
      *need = at + FCGI_HEADER_LEN;
      break;
    }
    const guchar *h = p + at;
    guint type = h[1], rid = ((guint) h[2] << 8) | h[3];
    gsize clen = ((gsize) h[4] << 8) | h[5], plen = h[6];
    if (h[0] != FCGI_VERSION_1)
      return scan_bad(error, "not a FastCGI 1.0 record");
    if (++records > BIMI_SERVER_MAX_SCAN_RECORDS)
      return scan_bad(error, "too many records before the request is complete");
    if (len - at - FCGI_HEADER_LEN < clen + plen) {
      *need = at + FCGI_HEADER_LEN + clen + plen;
      break;
    }
    const guchar *content = h + FCGI_HEADER_LEN;
    at += FCGI_HEADER_LEN + clen + plen;
    if (type == FCGI_BEGIN_REQUEST && rid != 0) {
      if (id != 0)
        return scan_bad(error, "a second FCGI_BEGIN_REQUEST");
      if (clen != 8)
        return scan_bad(error, "FCGI_BEGIN_REQUEST body is not 8 bytes");
      id = rid;
      params = g_byte_array_new();
      continue;
    }
    if (rid == 0 || rid != id)
      continue; /* a management record, or another request's: libfcgi answers or ignores it */
    if (type == FCGI_PARAMS && !params_done) {
      if (clen == 0) {
        params_done = TRUE;
        *content_length = params_content_length(params->data, params->len);
      } else if (params->len + clen > BIMI_SERVER_READAHEAD_BYTES) {
        return scan_bad(error, "parameters too long");
      } else {
        g_byte_array_append(params, content, (guint) clen);
      }
    } else if (type == FCGI_STDIN && params_done && clen == 0) {
      return BIMI_FCGI_SCAN_READY;
    }
  }
  return params_done ? BIMI_FCGI_SCAN_HEADERS : BIMI_FCGI_SCAN_MORE;
}

/* The opaque-tag of an entity-tag: without W/ (weak comparison, RFC 9110 §8.8.3.2). */
static void
opaque_tag(const char *p, gsize len, const char **tag, gsize *tag_len)
{
  if (len >= 2 && p[0] == 'W' && p[1] == '/') {
    p += 2;
    len -= 2;
  }
  *tag = p;
  *tag_len = len;
}

gboolean
bimi_fcgi_etag_matches(const char *if_none_match, const char *etag)
{
  const char *ours;
  gsize ours_len;
  const char *p = if_none_match;

  if (p == NULL || etag == NULL)
    return FALSE;
  opaque_tag(etag, strlen(etag), &ours, &ours_len);
  while (*p != '\0') {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    if (*p == '\0')
      break;
    const char *start = p;
    if (*p == '*')
      return TRUE;
    if (p[0] == 'W' && p[1] == '/')
      p += 2;
    if (*p != '"')
      return FALSE;
    const char *close = strchr(p + 1, '"');
    if (close == NULL)
      return FALSE;
    p = close + 1;
    const char *theirs;
    gsize theirs_len;
    opaque_tag(start, (gsize) (p - start), &theirs, &theirs_len);
    if (theirs_len == ours_len && memcmp(theirs, ours, ours_len) == 0)
      return TRUE;
  }
  return FALSE;
}

char *
bimi_fcgi_error_json(const char *message, const char *field)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autofree char *valid = g_utf8_make_valid(message != NULL ? message : "error", -1);
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "error");
  json_builder_add_string_value(b, valid);
  if (field != NULL) {
    json_builder_set_member_name(b, "field");
    json_builder_add_string_value(b, field);
  }
  json_builder_end_object(b);
  root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  return json_generator_to_data(gen, NULL);
}

char *
bimi_fcgi_log_escape(const char *text, gsize max)
{
  if (text == NULL)
    return g_strdup("-");
  /* One byte past @max is enough to know that "..." follows. */
  return bimi_text_escape_ascii(text, strnlen(text, max < G_MAXSIZE ? max + 1 : max), max, BIMI_TEXT_ESCAPE_QUOTE);
}
