/* engine/fetch.c — hardened HTTPS GET for BIMI l= and a= URLs (libcurl).
 *
 * Implements: spec/bimi-receiver.md §5 (indicator retrieval: HTTPS, web-PKI
 * TLS, SVG or SVGZ, size as a retrieval limit), §7.1 (evidence: HTTPS, TLS to a
 * web-PKI root), §12 item 15 and §13 item 6 (SSRF/DoS: caps, deadlines,
 * redirects, every hop https with a DNS name); RFC 9110 §15.4 (redirects),
 * §13.1.2–§13.1.3 and RFC 9111 §4.3 (conditional requests, 304); RFC 9111
 * §4.2.1 and §5.2–§5.3 (freshness from Cache-Control and Expires).
 *
 * Decisions (spec leaves them to the receiver):
 *  - Redirects: the spec says nothing; we follow at most max_redirects
 *    (default 2) ourselves, so that each hop's URL passes the same checks as
 *    the first (https, DNS name, length) and each hop has its own per-host slot.
 *  - Ports: only 443 unless allow_private_addresses. A BIMI origin is a public
 *    web server; other ports on public addresses reach admin interfaces and
 *    let a sender use us as a port scanner. Checked on the socket (so on
 *    every hop), not on the URL.
 *  - The SSRF check runs in the open-socket callback, on the address curl is
 *    about to connect to, after DNS: DNS rebinding and redirects cannot get
 *    around it. Proxies from the environment are disabled (a proxy would be the
 *    peer, hiding the real target).
 *  - Caps: decoded bytes (curl decodes Content-Encoding before our write
 *    callback) ≤ the kind's cap; bytes received ≤ BIMI_FETCH_WIRE_FACTOR × cap
 *    (a gzip stream of empty blocks grows the wire, not the body); an
 *    announced Content-Length over the cap fails before the body.
 *  - SVGZ: allowed for logos (spec §5). A logo body that starts with the gzip
 *    magic after HTTP decoding is inflated here, capped the same way.
 *  - Status: only 200 is a success (304 when the request was conditional).
 *  - Cache-Control: s-maxage, then max-age, then Expires − Date (without a
 *    Date, Expires − the request's now: the engine reads no clock, STYLE §7);
 *    no-store and no-cache → 0. The caller applies its own bounds.
 *  - CRLs (BIMI_FETCH_KIND_CRL): http or https on every hop, port 80 for an
 *    http hop and 443 for an https one (checked on the socket, like above), any
 *    media type: the CRL's signature, verified by engine/vmc against the issuing
 *    CA, is what protects it (RFC 5280 §5); see bimi_fetch_crl() in fetch.h.
 */
#include "engine/fetch.h"
#include "engine/base/base-mem.h"
#include "engine/fetch-private.h"
#include "engine/limits.h"
#include "engine/fetch-netaddr.h"
#include "engine/dns.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-cursor.h"
#include "engine/base/base-domain.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <idn2.h>

G_DEFINE_QUARK(bimi-fetch-error-quark, bimi_fetch_error)

#define USER_AGENT "bimi-engine/" BIMI_VERSION

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CURLU, curl_url_cleanup)

struct _BimiFetcher {
  guint connect_timeout_ms;
  guint timeout_ms;
  guint max_redirects;
  guint logo_max_bytes;
  guint evidence_max_bytes;
  guint crl_max_bytes;
  guint max_per_host;
  gboolean allow_private_addresses;
  char *ca_file;
  struct curl_slist *connect_to;
  GPtrArray *resolve_pins;   /* the configured "HOST:PORT:ADDR" pins (char *) */
  GArray *redirections;      /* the configured connect_to entries, parsed (Redirection) */
  BimiDnsResolver *resolver; /* ref; NULL: only pinned names and IP literals are fetched */

  GMutex lock;
  GCond cond;
  GHashTable *per_host;      /* host name (lower case) → active fetches (GUINT_TO_POINTER) */

  char *exempt_ip;           /* tests: bimi_fetch__exempt_endpoint() */
  guint exempt_port;
};

/* ---- result ---------------------------------------------------------- */

BIMI_DEFINE_FREE_FUNC(BimiFetchResult, bimi_fetch_result_free, result)
{
  g_free(result->detail);
  g_clear_pointer(&result->body, g_bytes_unref);
  BIMI_FREE_ALL(result->content_type, result->etag, result->last_modified, result->final_url, result->remote_ip);
}

const char *
bimi_fetch_reason_to_string(BimiFetchReason reason)
{
  switch (reason) {
  case BIMI_FETCH_REASON_NONE: return "none";
  case BIMI_FETCH_REASON_URL: return "url";
  case BIMI_FETCH_REASON_SCHEME: return "scheme";
  case BIMI_FETCH_REASON_DNS: return "dns";
  case BIMI_FETCH_REASON_CONNECT: return "connect";
  case BIMI_FETCH_REASON_FORBIDDEN_ADDRESS: return "forbidden-address";
  case BIMI_FETCH_REASON_TLS: return "tls";
  case BIMI_FETCH_REASON_TIMEOUT: return "timeout";
  case BIMI_FETCH_REASON_TOO_LARGE: return "too-large";
  case BIMI_FETCH_REASON_HTTP_STATUS: return "http-status";
  case BIMI_FETCH_REASON_CONTENT_TYPE: return "content-type";
  case BIMI_FETCH_REASON_REDIRECT: return "redirect";
  case BIMI_FETCH_REASON_PROTOCOL: return "protocol";
  case BIMI_FETCH_REASON_BUSY: return "busy";
  }
  return "protocol";
}

const char *
bimi_fetch_status_to_string(BimiFetchStatus status)
{
  switch (status) {
  case BIMI_FETCH_STATUS_OK: return "ok";
  case BIMI_FETCH_STATUS_NOT_MODIFIED: return "not-modified";
  case BIMI_FETCH_STATUS_FAILED: return "failed";
  }
  return "failed";
}

static const char *const logo_types[] = { "image/svg+xml", NULL };
static const char *const evidence_types[] = {
  "application/pem-certificate-chain", "application/x-pem-file", "application/x-x509-ca-cert",
  "text/plain", "application/octet-stream", NULL,
};

/* CRLs: any media type (see bimi_fetch_crl()); the list is empty. */
static const char *const crl_types[] = { NULL };

const char *const *
bimi_fetch_default_types(BimiFetchKind kind)
{
  switch (kind) {
  case BIMI_FETCH_KIND_EVIDENCE: return evidence_types;
  case BIMI_FETCH_KIND_CRL: return crl_types;
  case BIMI_FETCH_KIND_LOGO: default: return logo_types;
  }
}

/* ---- header value parsers (hostile text, explicit lengths) ------------- */

char *
bimi_fetch__media_type(const char *value, gsize len)
{
  BimiCursor c = bimi_cursor_init(value, len);
  gsize ows, type_start, type_len, subtype_len, end;

  if (value == NULL || len > BIMI_FETCH_MAX_HEADER_VALUE_BYTES)
    return NULL;
  /* RFC 9110 §8.3.1: OWS type "/" subtype, then OWS and parameters (";"). No
   * run can pass the whole value, so the spans' maximum is never hit. */
  bimi_cursor_span(&c, bimi_char_is_wsp, len, &ows);
  type_start = c.pos;
  bimi_cursor_span(&c, bimi_char_is_tchar, len, &type_len);
  if (type_len == 0 || bimi_cursor_peek(&c) != '/')
    return NULL;
  c.pos++;
  bimi_cursor_span(&c, bimi_char_is_tchar, len, &subtype_len);
  if (subtype_len == 0)
    return NULL;
  end = c.pos;
  bimi_cursor_span(&c, bimi_char_is_wsp, len, &ows);
  if (!bimi_cursor_at_end(&c) && bimi_cursor_peek(&c) != ';')
    return NULL;
  return g_ascii_strdown(value + type_start, (gssize) (end - type_start));
}

/* Reads delta-seconds (RFC 9111 §1.2.2) at *p; a larger value is the limit. */
static gboolean
read_delta_seconds(const char *v, gsize len, gsize *i, gint64 *out)
{
  gint64 n = 0;
  gsize start = *i;
  gboolean quoted = FALSE;

  /* RFC 9111 §5.2: senders use the token form, recipients accept the quoted one. */
  if (*i < len && v[*i] == '"') {
    quoted = TRUE;
    (*i)++;
    start = *i;
  }
  while (*i < len && g_ascii_isdigit(v[*i])) {
    if (n < BIMI_FETCH_MAX_AGE_LIMIT)
      n = n * 10 + (v[*i] - '0');
    (*i)++;
  }
  if (*i == start)
    return FALSE;
  if (quoted) {
    if (*i >= len || v[*i] != '"')
      return FALSE;
    (*i)++;
  }
  *out = n > BIMI_FETCH_MAX_AGE_LIMIT ? BIMI_FETCH_MAX_AGE_LIMIT : n;
  return TRUE;
}

/* Skips one directive argument we do not interpret (token or quoted-string). */
static void
skip_argument(const char *v, gsize len, gsize *i)
{
  if (*i < len && v[*i] == '"') {
    (*i)++;
    while (*i < len && v[*i] != '"') {
      if (v[*i] == '\\' && *i + 1 < len)
        (*i)++;
      (*i)++;
    }
    if (*i < len)
      (*i)++;
    return;
  }
  while (*i < len && bimi_char_is_tchar((guchar) v[*i]))
    (*i)++;
}

gint64
bimi_fetch__cache_control_max_age(const char *v, gsize len)
{
  gint64 max_age = -1, s_maxage = -1;
  gboolean no_store = FALSE;
  gsize i = 0;

  if (v == NULL)
    return -1;
  while (i < len) {
    gsize name_start, name_len;
    gboolean has_arg = FALSE, valid = TRUE;
    gint64 secs = -1;

    while (i < len && (bimi_char_is_wsp((guchar) v[i]) || v[i] == ','))
      i++;
    name_start = i;
    while (i < len && bimi_char_is_tchar((guchar) v[i]))
      i++;
    name_len = i - name_start;
    while (i < len && bimi_char_is_wsp((guchar) v[i]))
      i++;
    if (i < len && v[i] == '=') {
      gsize arg_start;
      i++;
      while (i < len && bimi_char_is_wsp((guchar) v[i]))
        i++;
      arg_start = i;
      has_arg = TRUE;
      if (name_len == 7 && g_ascii_strncasecmp(v + name_start, "max-age", 7) == 0)
        valid = read_delta_seconds(v, len, &i, &secs);
      else if (name_len == 8 && g_ascii_strncasecmp(v + name_start, "s-maxage", 8) == 0)
        valid = read_delta_seconds(v, len, &i, &secs);
      if (i == arg_start)
        skip_argument(v, len, &i);
    }
    while (i < len && bimi_char_is_wsp((guchar) v[i]))
      i++;
    if (i < len && v[i] != ',') {
      /* Malformed directive: skip to the next comma outside quotes. */
      gboolean in_quotes = FALSE;
      valid = FALSE;
      while (i < len && (in_quotes || v[i] != ',')) {
        if (v[i] == '"')
          in_quotes = !in_quotes;
        else if (v[i] == '\\' && in_quotes && i + 1 < len)
          i++;
        i++;
      }
    }
    if (name_len == 0 || !valid)
      continue;
    if (name_len == 7 && g_ascii_strncasecmp(v + name_start, "max-age", 7) == 0 && has_arg) {
      if (max_age < 0)
        max_age = secs;
    } else if (name_len == 8 && g_ascii_strncasecmp(v + name_start, "s-maxage", 8) == 0 && has_arg) {
      if (s_maxage < 0)
        s_maxage = secs;
    } else if ((name_len == 8 && g_ascii_strncasecmp(v + name_start, "no-store", 8) == 0) ||
               (name_len == 8 && g_ascii_strncasecmp(v + name_start, "no-cache", 8) == 0 && !has_arg)) {
      no_store = TRUE;
    }
  }
  if (no_store)
    return 0;
  if (s_maxage >= 0)
    return s_maxage;
  return max_age;
}

/* ---- fetcher ------------------------------------------------------------ */

static gboolean
global_init(GError **error)
{
  static gsize once = 0;
  static CURLcode rc = CURLE_OK;

  if (g_once_init_enter(&once)) {
    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    g_once_init_leave(&once, 1);
  }
  if (rc != CURLE_OK) {
    g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_INTERNAL, "curl_global_init: %s",
                curl_easy_strerror(rc));
    return FALSE;
  }
  return TRUE;
}

/* One connect_to entry: connections for host:port go to chost:cport. */
typedef struct {
  char *host;                /* lower case */
  guint port;
  char *chost;               /* lower case; empty keeps the host */
  guint cport;
} Redirection;

static void
redirection_clear(gpointer data)
{
  Redirection *r = data;
  BIMI_FREE_ALL(r->host, r->chost);
}

/* "HOST:PORT:CONNECT-HOST:CONNECT-PORT": HOST a name, both ports 1..65535,
 * CONNECT-HOST empty, a name, or a bracketed IPv6 address (curl's syntax). */
static gboolean
connect_to_valid(const char *entry, Redirection *out)
{
  const char *c1 = strchr(entry, ':');
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  const char *c3 = strrchr(entry, ':');
  g_autofree char *port = NULL, *chost = NULL;

  if (c1 == NULL || c2 == NULL || c3 == c2 || c1 == entry || strlen(entry) > BIMI_FETCH_MAX_URL_BYTES)
    return FALSE;
  port = g_strndup(c1 + 1, (gsize) (c2 - c1 - 1));
  chost = g_strndup(c2 + 1, (gsize) (c3 - c2 - 1));
  if (!g_ascii_string_to_unsigned(port, 10, 1, 65535, NULL, NULL) ||
      !g_ascii_string_to_unsigned(c3 + 1, 10, 1, 65535, NULL, NULL))
    return FALSE;
  if (chost[0] == '[' ? chost[strlen(chost) - 1] != ']' : strchr(chost, ':') != NULL)
    return FALSE;
  out->host = g_ascii_strdown(entry, (gssize) (c1 - entry));
  out->port = (guint) g_ascii_strtoull(port, NULL, 10);
  out->chost = g_ascii_strdown(chost, -1);
  out->cport = (guint) g_ascii_strtoull(c3 + 1, NULL, 10);
  return TRUE;
}

/* TRUE when @list (the ADDRESS part of a HOST:PORT:ADDRESS pin, libcurl CURLOPT_RESOLVE) is
 * one or more comma-separated IP addresses, IPv6 ones in brackets: libcurl would refuse
 * anything else only at the first fetch. */
static gboolean
resolve_pin_addresses_ok(const char *list)
{
  g_auto(GStrv) addrs = g_strsplit(list, ",", -1);

  for (gsize i = 0; addrs[i] != NULL; i++) {
    const char *a = addrs[i];
    gsize n = strlen(a);
    g_autofree char *bare = NULL;

    if (n >= 2 && a[0] == '[' && a[n - 1] == ']')
      bare = g_strndup(a + 1, n - 2);
    else if (strchr(a, ':') == NULL)
      bare = g_strdup(a);
    if (bare == NULL || !g_hostname_is_ip_address(bare))
      return FALSE;
  }
  return addrs[0] != NULL;
}

BimiFetcher *
bimi_fetch_fetcher_new(const BimiFetchConfig *config, GError **error)
{
  g_autoptr(BimiFetcher) f = NULL;
  guint pins = 0;

  g_return_val_if_fail(config != NULL, NULL);
  if (!global_init(error))
    return NULL;
  f = g_new0(BimiFetcher, 1);
  g_mutex_init(&f->lock);
  g_cond_init(&f->cond);
  f->per_host = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  f->resolve_pins = g_ptr_array_new_with_free_func(g_free);
  f->redirections = g_array_new(FALSE, TRUE, sizeof(Redirection));
  g_array_set_clear_func(f->redirections, redirection_clear);
  if (config->resolver != NULL)
    f->resolver = bimi_dns_resolver_ref(config->resolver);
  f->connect_timeout_ms = config->connect_timeout_ms ? config->connect_timeout_ms : BIMI_FETCH_CONNECT_TIMEOUT_MS;
  f->timeout_ms = config->timeout_ms ? config->timeout_ms : BIMI_FETCH_TOTAL_TIMEOUT_MS;
  f->max_redirects = config->redirects_set || config->max_redirects ? config->max_redirects
                                                                    : BIMI_FETCH_MAX_REDIRECTS;
  f->logo_max_bytes = config->logo_max_bytes ? config->logo_max_bytes : BIMI_FETCH_LOGO_MAX_BYTES;
  f->evidence_max_bytes = config->evidence_max_bytes ? config->evidence_max_bytes
                                                     : BIMI_FETCH_EVIDENCE_MAX_BYTES;
  f->crl_max_bytes = config->crl_max_bytes ? config->crl_max_bytes : BIMI_FETCH_CRL_MAX_BYTES;
  f->max_per_host = config->max_per_host ? config->max_per_host : BIMI_FETCH_MAX_PER_HOST;
  f->allow_private_addresses = config->allow_private_addresses;

  if (f->logo_max_bytes > BIMI_FETCH_MAX_BODY_BYTES || f->evidence_max_bytes > BIMI_FETCH_MAX_BODY_BYTES ||
      f->crl_max_bytes > BIMI_FETCH_MAX_BODY_BYTES) {
    g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG,
                "body cap larger than %u bytes", BIMI_FETCH_MAX_BODY_BYTES);
    return NULL;
  }
  if (f->max_redirects > BIMI_FETCH_MAX_REDIRECTS_LIMIT) {
    g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG,
                "max_redirects %u larger than %u", f->max_redirects, BIMI_FETCH_MAX_REDIRECTS_LIMIT);
    return NULL;
  }
  if (config->ca_file != NULL && *config->ca_file != '\0') {
    if (g_access(config->ca_file, R_OK) != 0) {
      g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG,
                  "ca_file %s: cannot be read", config->ca_file);
      return NULL;
    }
    f->ca_file = g_strdup(config->ca_file);
  }
  for (gsize i = 0; config->resolve != NULL && config->resolve[i] != NULL; i++) {
    const char *pin = config->resolve[i];
    g_auto(GStrv) parts = NULL;

    if (++pins > BIMI_FETCH_MAX_RESOLVE_PINS) {
      g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG,
                  "more than %u resolve pins", BIMI_FETCH_MAX_RESOLVE_PINS);
      return NULL;
    }
    parts = g_strsplit(pin, ":", 3);
    if (g_strv_length(parts) != 3 || *parts[0] == '\0' || *parts[2] == '\0' ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, 65535, NULL, NULL)) {
      g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG,
                  "resolve pin '%s': expected HOST:PORT:ADDRESS", pin);
      return NULL;
    }
    if (!resolve_pin_addresses_ok(parts[2])) {
      g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG,
                  "resolve pin '%s': '%s' is not an IP address list (IPv4, or IPv6 in brackets; comma-separated)",
                  pin, parts[2]);
      return NULL;
    }
    g_ptr_array_add(f->resolve_pins, g_strdup(pin));
  }
  pins = 0;
  for (gsize i = 0; config->connect_to != NULL && config->connect_to[i] != NULL; i++) {
    const char *entry = config->connect_to[i];
    struct curl_slist *next;
    Redirection parsed = { 0 };

    if (++pins > BIMI_FETCH_MAX_RESOLVE_PINS) {
      g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG,
                  "more than %u connect_to entries", BIMI_FETCH_MAX_RESOLVE_PINS);
      return NULL;
    }
    if (!connect_to_valid(entry, &parsed)) {
      g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG,
                  "connect_to '%s': expected HOST:PORT:CONNECT-HOST:CONNECT-PORT", entry);
      return NULL;
    }
    next = curl_slist_append(f->connect_to, entry);
    if (next == NULL) {
      g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_INTERNAL, "out of memory");
      return NULL;
    }
    f->connect_to = next;
    g_array_append_val(f->redirections, parsed);
  }
  return g_steal_pointer(&f);
}

BIMI_DEFINE_FREE_FUNC(BimiFetcher, bimi_fetch_fetcher_free, f)
{
  g_mutex_clear(&f->lock);
  g_cond_clear(&f->cond);
  g_hash_table_unref(f->per_host);
  g_free(f->ca_file);
  curl_slist_free_all(f->connect_to);
  g_ptr_array_unref(f->resolve_pins);
  g_array_unref(f->redirections);
  g_clear_pointer(&f->resolver, bimi_dns_resolver_unref);
  g_free(f->exempt_ip);
}

void
bimi_fetch__exempt_endpoint(BimiFetcher *fetcher, const char *ip, guint port)
{
  g_free(fetcher->exempt_ip);
  fetcher->exempt_ip = g_strdup(ip);
  fetcher->exempt_port = port;
}

/* Per-host concurrency: wait for a slot until @deadline (monotonic µs). */
gboolean
bimi_fetch__slot_acquire(BimiFetcher *f, const char *host, gint64 deadline)
{
  gboolean ok = TRUE;

  g_mutex_lock(&f->lock);
  while (GPOINTER_TO_UINT(g_hash_table_lookup(f->per_host, host)) >= f->max_per_host) {
    if (!g_cond_wait_until(&f->cond, &f->lock, deadline)) {
      ok = GPOINTER_TO_UINT(g_hash_table_lookup(f->per_host, host)) < f->max_per_host;
      break;
    }
  }
  if (ok) {
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(f->per_host, host));
    g_hash_table_insert(f->per_host, g_strdup(host), GUINT_TO_POINTER(n + 1));
  }
  g_mutex_unlock(&f->lock);
  return ok;
}

void
bimi_fetch__slot_release(BimiFetcher *f, const char *host)
{
  guint n;

  g_mutex_lock(&f->lock);
  n = GPOINTER_TO_UINT(g_hash_table_lookup(f->per_host, host));
  if (n <= 1)
    g_hash_table_remove(f->per_host, host);
  else
    g_hash_table_insert(f->per_host, g_strdup(host), GUINT_TO_POINTER(n - 1));
  g_cond_broadcast(&f->cond);
  g_mutex_unlock(&f->lock);
}

/* ---- one transfer -------------------------------------------------------- */

typedef struct {
  BimiFetcher *fetcher;
  CURL *curl;
  GByteArray *body;
  gsize cap;                 /* decoded bytes */
  curl_off_t wire_cap;       /* bytes received */
  gboolean started;
  gboolean keep;             /* status 200: keep the body */
  char *too_large;           /* detail when a cap was hit */
  char *forbidden;           /* detail of the last refused socket */
  guint port;                /* the port this hop's scheme allows: 443 (https) or 80 (http, CRLs) */
  gboolean literal_target;   /* this hop connects to an IP literal: libcurl resolves nothing */
  gboolean resolve_refused;  /* libcurl wanted to resolve a name itself, and was refused */
  gsize header_bytes;        /* of this hop's response header section(s) */
} Transfer;

static void
transfer_reset(Transfer *t)
{
  g_byte_array_set_size(t->body, 0);
  t->started = FALSE;
  t->keep = FALSE;
  g_clear_pointer(&t->too_large, g_free);
  g_clear_pointer(&t->forbidden, g_free);
  t->literal_target = FALSE;
  t->resolve_refused = FALSE;
  t->header_bytes = 0;
}

/* CURLOPT_HEADERFUNCTION: bounds the whole header section (BIMI_FETCH_MAX_HEADER_BYTES),
 * so that many long lines are too-large like one over-long line. Returning less than
 * given makes libcurl stop the transfer (CURLE_WRITE_ERROR), mapped by t->too_large. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
  Transfer *t = userdata;
  gsize n = size * nmemb;   /* size is always 1 for header data */

  (void) data;
  if (n > BIMI_FETCH_MAX_HEADER_BYTES - MIN(t->header_bytes, BIMI_FETCH_MAX_HEADER_BYTES)) {
    if (t->too_large == NULL)
      t->too_large = g_strdup_printf("response header section over %u bytes", BIMI_FETCH_MAX_HEADER_BYTES);
    return 0;
  }
  t->header_bytes += n;
  return n;
}

static gboolean
has_header(CURL *curl, const char *name)
{
  struct curl_header *h = NULL;
  return curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK;
}

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  Transfer *t = userdata;
  gsize n = size * nmemb;

  if (!t->started) {
    long code = 0;
    t->started = TRUE;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    t->keep = code == 200;
    if (t->keep) {
      curl_off_t announced = -1;
      curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
      /* Without Content-Encoding the announced length is the body's. */
      if (announced > (curl_off_t) t->cap && !has_header(t->curl, "Content-Encoding")) {
        t->too_large = g_strdup_printf("Content-Length %" CURL_FORMAT_CURL_OFF_T " exceeds the cap of %"
                                       G_GSIZE_FORMAT " bytes", announced, t->cap);
        return 0;
      }
    }
  }
  if (!t->keep)
    return n;  /* error and redirect bodies are dropped (the wire cap still counts them) */
  if (n > t->cap - t->body->len) {
    t->too_large = g_strdup_printf("body exceeds the cap of %" G_GSIZE_FORMAT " bytes (after decoding)", t->cap);
    return 0;
  }
  g_byte_array_append(t->body, (const guint8 *) ptr, (guint) n);
  return n;
}

static int
on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  Transfer *t = clientp;

  if (dlnow > t->wire_cap) {
    if (t->too_large == NULL)
      t->too_large = g_strdup_printf("more than %" CURL_FORMAT_CURL_OFF_T " bytes received", t->wire_cap);
    return 1;
  }
  return 0;
}

gboolean
bimi_fetch__endpoint_allowed(BimiFetcher *f, const struct sockaddr *sa, gsize salen, char **detail)
{
  return bimi_fetch__endpoint_allowed_port(f, sa, salen, 443, detail);
}

gboolean
bimi_fetch__endpoint_allowed_port(BimiFetcher *f, const struct sockaddr *sa, gsize salen, guint allowed_port,
                                  char **detail)
{
  char ip[INET6_ADDRSTRLEN] = "?";
  guint port = 0;
  const char *range = NULL;
  BimiNetaddrClass k;

  if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in sin;
    memcpy(&sin, sa, sizeof sin);
    inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof ip);
    port = ntohs(sin.sin_port);
  } else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, sa, sizeof sin6);
    inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof ip);
    port = ntohs(sin6.sin6_port);
  } else {
    *detail = g_strdup("refused a socket that is not IPv4 or IPv6");
    return FALSE;
  }
  if (f->allow_private_addresses)
    return TRUE;
  if (f->exempt_ip != NULL && strcmp(f->exempt_ip, ip) == 0 && f->exempt_port == port)
    return TRUE;
  k = bimi_netaddr_classify_sockaddr(sa, salen, &range);
  if (k != BIMI_NETADDR_PUBLIC) {
    *detail = g_strdup_printf("refused to connect to %s: %s address (%s)", ip, bimi_netaddr_class_to_string(k), range);
    return FALSE;
  }
  if (port != allowed_port) {
    *detail = g_strdup_printf("refused to connect to %s port %u: only port %u is fetched", ip, port, allowed_port);
    return FALSE;
  }
  return TRUE;
}

/* libcurl calls this for every socket it is about to connect (each address
 * of each hop): the SSRF guard sees the real peer, after DNS. */
static curl_socket_t
on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
  Transfer *t = clientp;
  char *detail = NULL;
  curl_socket_t fd;

  if (purpose != CURLSOCKTYPE_IPCXN) {
    g_free(t->forbidden);
    t->forbidden = g_strdup("refused a socket that is not a plain IP connection");
    return CURL_SOCKET_BAD;
  }
  if (!bimi_fetch__endpoint_allowed_port(t->fetcher, &a->addr, a->addrlen, t->port, &detail)) {
    g_free(t->forbidden);
    t->forbidden = detail;
    return CURL_SOCKET_BAD;
  }
  fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  return fd < 0 ? CURL_SOCKET_BAD : fd;
}

/* libcurl calls this when a name is not in its DNS cache, i.e. when it is
 * about to ask the system resolver. Every name a hop connects to was resolved
 * by engine/dns (or pinned) and is in the cache, so this only lets IP
 * literals through (libcurl reaches its literal check after this call). */
static int
on_resolver_start(void *resolver_state, void *reserved, void *userdata)
{
  Transfer *t = userdata;

  if (t->literal_target)
    return 0;
  t->resolve_refused = TRUE;
  return 1;
}

/* ---- URL checks (every hop) ---------------------------------------------- */

gboolean
bimi_fetch__host_check(const char *host, gboolean allow_private, char **out_host, char **detail)
{
  g_autofree char *mapped = NULL;
  g_autofree char *shown = NULL;
  gsize len;
  guint8 addr[16];
  gsize addr_len;
  gboolean numeric, ascii = TRUE;
  BimiDomainInfo info = { 0 };

  *out_host = NULL;
  len = strlen(host);
  if (len == 0 || len > BIMI_FETCH_MAX_URL_BYTES) {
    *detail = g_strdup("URL without a usable host");
    return FALSE;
  }
  /* Shown as is when it is printable UTF-8 (callers escape what they print). */
  shown = g_utf8_validate(host, -1, NULL) ? g_strdup(host) : g_strescape(host, NULL);
  for (gsize i = 0; i < len; i++) {
    if ((guchar) host[i] < 0x20 || host[i] == 0x7f) {
      g_free(shown);
      shown = g_strescape(host, NULL);
      break;
    }
  }
  if (host[0] == '[') {
    /* An IPv6 literal (libcurl's parser checked its syntax). */
    if (!allow_private) {
      *detail = g_strdup_printf("host %s is an IP literal, not a domain name", shown);
      return FALSE;
    }
    *out_host = g_ascii_strdown(host, -1);
    return TRUE;
  }
  for (gsize i = 0; i < len; i++)
    ascii = ascii && (guchar) host[i] < 0x80;
  if (ascii) {
    mapped = g_ascii_strdown(host, -1);
  } else {
    /* What libcurl would connect to: the UTS #46 mapping of an IDN (RFC 5891,
     * non-transitional, NFC input; full-width digits and ideographic full
     * stops become ASCII here), so the checks below see the final form. */
    char *alabel = NULL;
    int rc = idn2_to_ascii_8z(host, &alabel, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
      *detail = g_strdup_printf("host %s is not a valid internationalized domain name (%s)", shown,
                                idn2_strerror(rc));
      return FALSE;
    }
    mapped = g_ascii_strdown(alabel, -1);
    idn2_free(alabel);
  }
  len = strlen(mapped);
  if (len > 1 && mapped[len - 1] == '.')
    mapped[--len] = '\0';
  if (bimi_netaddr_parse(mapped, len, addr, &addr_len, NULL)) {
    if (!allow_private) {
      *detail = ascii ? g_strdup_printf("host %s is an IP literal, not a domain name", mapped)
                      : g_strdup_printf("host %s maps to the IP literal %s, not a domain name", shown, mapped);
      return FALSE;
    }
    *out_host = g_steal_pointer(&mapped);
    return TRUE;
  }
  /* Letters, digits, '-' (also at a label's ends, as libcurl accepts) and
   * '_' (seen in real host names); two labels at least unless @allow_private. */
  if (!bimi_domain_check(mapped, len, BIMI_DNS_MAX_NAME_BYTES, allow_private ? 1 : 2,
                         BIMI_DOMAIN_UNDERSCORE | BIMI_DOMAIN_HYPHEN_EDGES, &info)) {
    switch (info.status) {
    case BIMI_DOMAIN_TOO_LONG:
      *detail = g_strdup_printf("host name of %" G_GSIZE_FORMAT " bytes (at most %u)", len, BIMI_DNS_MAX_NAME_BYTES);
      break;
    case BIMI_DOMAIN_TOO_FEW_LABELS:
      *detail = g_strdup_printf("host %s is not a fully qualified domain name", shown);
      break;
    case BIMI_DOMAIN_BAD_BYTE:
      *detail = g_strdup_printf("host %s has a byte that is not a letter, digit, '-' or '_' (offset %" G_GSIZE_FORMAT
                                " of %s)", shown, info.offset, mapped);
      break;
    default:
      *detail = g_strdup_printf("host %s has an empty label or one longer than 63 bytes", shown);
      break;
    }
    return FALSE;
  }
  numeric = TRUE;
  for (gsize k = 0; k < info.last_label_len; k++)
    numeric = numeric && bimi_char_is_digit((guchar) mapped[info.last_label_offset + k]);
  if (!allow_private && numeric) {
    /* "127.1", "10.0.1": libcurl and inet_aton() read these as addresses. */
    *detail = g_strdup_printf("host %s ends in a numeric label (an address, not a domain name)", shown);
    return FALSE;
  }
  *out_host = g_steal_pointer(&mapped);
  return TRUE;
}

/* The hop's URL: length, scheme (https; CRLs also http), no userinfo, a DNS
 * host name checked in its final (IDNA-mapped) form. *out_url is the URL with
 * that host, the one handed to libcurl; *out_port the port the scheme allows
 * on the socket, *out_url_port the port the URL names. */
static BimiFetchReason
check_url(BimiFetcher *f, BimiFetchKind kind, const char *url, char **out_url, char **out_host, guint *out_port,
          guint *out_url_port, char **detail)
{
  g_autoptr(CURLU) u = NULL;
  g_autofree char *scheme = NULL;
  char *part = NULL;
  gsize len = strlen(url);

  if (len > BIMI_FETCH_MAX_URL_BYTES) {
    *detail = g_strdup_printf("URL of %" G_GSIZE_FORMAT " bytes (at most %u)", len, BIMI_FETCH_MAX_URL_BYTES);
    return BIMI_FETCH_REASON_URL;
  }
  u = curl_url();
  if (u == NULL || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    *detail = g_strdup("not an absolute URL");
    return BIMI_FETCH_REASON_URL;
  }
  if (curl_url_get(u, CURLUPART_SCHEME, &part, 0) != CURLUE_OK) {
    *detail = g_strdup("URL without a scheme");
    return BIMI_FETCH_REASON_URL;
  }
  scheme = g_ascii_strdown(part, -1);
  curl_free(part);
  if (strcmp(scheme, "https") == 0) {
    *out_port = 443;
  } else if (kind == BIMI_FETCH_KIND_CRL && strcmp(scheme, "http") == 0) {
    *out_port = 80;
  } else {
    g_autofree char *shown = g_strescape(scheme, NULL);
    *detail = g_strdup_printf(kind == BIMI_FETCH_KIND_CRL ? "scheme '%s' is neither http nor https"
                                                          : "scheme '%s' is not https", shown);
    return BIMI_FETCH_REASON_SCHEME;
  }
  if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK) {
    curl_free(part);
    *detail = g_strdup("URL with userinfo");
    return BIMI_FETCH_REASON_URL;
  }
  if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK) {
    *detail = g_strdup("URL without a host");
    return BIMI_FETCH_REASON_URL;
  }
  {
    g_autofree char *host = g_strdup(part);
    curl_free(part);
    if (!bimi_fetch__host_check(host, f->allow_private_addresses, out_host, detail))
      return BIMI_FETCH_REASON_URL;
  }
  if (curl_url_set(u, CURLUPART_HOST, *out_host, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_URL, &part, 0) != CURLUE_OK) {
    *detail = g_strdup("URL does not take its mapped host back");
    return BIMI_FETCH_REASON_URL;
  }
  *out_url = g_strdup(part);
  curl_free(part);
  if (curl_url_get(u, CURLUPART_PORT, &part, CURLU_DEFAULT_PORT) != CURLUE_OK) {
    *detail = g_strdup("URL without a port");
    return BIMI_FETCH_REASON_URL;
  }
  *out_url_port = (guint) g_ascii_strtoull(part, NULL, 10);
  curl_free(part);
  return BIMI_FETCH_REASON_NONE;
}

/* ---- name resolution through engine/dns (every hop) ----------------------- */

static gboolean
is_ip_literal(const char *host)
{
  guint8 addr[16];
  gsize addr_len;

  return host[0] == '[' || bimi_netaddr_parse(host, strlen(host), addr, &addr_len, NULL);
}

/* Appends up to BIMI_FETCH_MAX_ADDRESSES_PER_FAMILY addresses of @a to @pin. */
static guint
append_addresses(GString *pin, const BimiDnsAnswer *a)
{
  guint n = 0;

  if (a == NULL || a->status != BIMI_DNS_NOERROR)
    return 0;
  for (guint i = 0; i < a->records->len && n < BIMI_FETCH_MAX_ADDRESSES_PER_FAMILY; i++) {
    const BimiDnsRecord *rec = g_ptr_array_index(a->records, i);
    g_autofree char *text = NULL;
    if (rec->address == NULL)
      continue;
    text = g_inet_address_to_string(rec->address);
    if (pin->str[pin->len - 1] != ':')
      g_string_append_c(pin, ',');
    if (g_inet_address_get_family(rec->address) == G_SOCKET_FAMILY_IPV6)
      g_string_append_printf(pin, "[%s]", text);
    else
      g_string_append(pin, text);
    n++;
  }
  return n;
}

BimiFetchReason
bimi_fetch__resolve_pin(BimiFetcher *f, const char *host, guint port, gint64 deadline, char **out_pin,
                        char **detail)
{
  g_autoptr(BimiDnsAnswer) a = NULL;
  g_autoptr(BimiDnsAnswer) aaaa = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) pin = NULL;
  const BimiDnsAnswer *failed = NULL;

  *out_pin = NULL;
  if (f->resolver == NULL) {
    *detail = g_strdup_printf("%s is neither pinned nor resolvable (the fetcher has no DNS resolver)", host);
    return BIMI_FETCH_REASON_DNS;
  }
  a = bimi_dns_lookup_deadline(f->resolver, host, BIMI_DNS_TYPE_A, deadline, &error);
  if (a != NULL)
    aaaa = bimi_dns_lookup_deadline(f->resolver, host, BIMI_DNS_TYPE_AAAA, deadline, &error);
  if (a == NULL || aaaa == NULL) {
    *detail = g_strdup_printf("%s: %s", host, error->message);
    return BIMI_FETCH_REASON_DNS;
  }
  pin = g_string_new(NULL);
  g_string_append_printf(pin, "%s:%u:", host, port);
  if (append_addresses(pin, a) + append_addresses(pin, aaaa) > 0) {
    *out_pin = g_string_free(g_steal_pointer(&pin), FALSE);
    return BIMI_FETCH_REASON_NONE;
  }
  failed = a->status == BIMI_DNS_TEMPERROR ? a : aaaa->status == BIMI_DNS_TEMPERROR ? aaaa : NULL;
  if (failed != NULL && g_strcmp0(failed->detail, "deadline") == 0) {
    *detail = g_strdup_printf("the fetch deadline passed while resolving %s", host);
    return BIMI_FETCH_REASON_TIMEOUT;
  }
  if (failed != NULL) {
    *detail = g_strdup_printf("%s %s: TEMPERROR (%s)", host, bimi_dns_type_to_string(failed->type),
                              failed->detail != NULL ? failed->detail : "?");
    return BIMI_FETCH_REASON_DNS;
  }
  *detail = g_strdup_printf("%s has no address: A %s, AAAA %s", host, bimi_dns_status_to_string(a->status),
                            bimi_dns_status_to_string(aaaa->status));
  return BIMI_FETCH_REASON_DNS;
}

/* The CURLOPT_RESOLVE list of one hop to @host:@port: the configured pins,
 * plus the addresses engine/dns gives for the name libcurl will connect to
 * (after connect_to), unless that is an IP literal or already pinned. */
static BimiFetchReason
hop_resolve_list(BimiFetcher *f, Transfer *t, const char *host, guint port, gint64 deadline,
                 struct curl_slist **out_list, char **detail)
{
  const char *chost = host;
  guint cport = port;
  g_autofree char *key = NULL;
  g_autofree char *pin = NULL;
  struct curl_slist *list = NULL;
  BimiFetchReason reason;
  gboolean pinned = FALSE;

  *out_list = NULL;
  for (guint i = 0; i < f->redirections->len; i++) {
    const Redirection *r = &g_array_index(f->redirections, Redirection, i);
    if (r->port == port && strcmp(r->host, host) == 0) {
      chost = r->chost[0] != '\0' ? r->chost : host;
      cport = r->cport;
      break;
    }
  }
  key = g_strdup_printf("%s:%u:", chost, cport);
  for (guint i = 0; i < f->resolve_pins->len && !pinned; i++)
    pinned = g_ascii_strncasecmp(g_ptr_array_index(f->resolve_pins, i), key, strlen(key)) == 0;
  t->literal_target = is_ip_literal(chost);
  if (!pinned && !t->literal_target) {
    reason = bimi_fetch__resolve_pin(f, chost, cport, deadline, &pin, detail);
    if (reason != BIMI_FETCH_REASON_NONE)
      return reason;
  }
  for (guint i = 0; i < f->resolve_pins->len; i++)
    list = curl_slist_append(list, g_ptr_array_index(f->resolve_pins, i));
  if (pin != NULL)
    list = curl_slist_append(list, pin);
  *out_list = list;
  return BIMI_FETCH_REASON_NONE;
}

/* ---- response inspection -------------------------------------------------- */

/* The value of the newest @name header of the last response, bounded, or NULL. */
static char *
header_value(CURL *curl, const char *name)
{
  struct curl_header *h = NULL;

  if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h->value == NULL)
    return NULL;
  if (strlen(h->value) > BIMI_FETCH_MAX_HEADER_VALUE_BYTES)
    return NULL;
  return g_strdup(h->value);
}

static gint64
freshness(CURL *curl, gint64 now)
{
  struct curl_header *h = NULL;
  size_t count;
  gint64 best = -1;
  g_autofree char *expires = NULL;
  g_autofree char *date = NULL;

  if (curl_easy_header(curl, "Cache-Control", 0, CURLH_HEADER, -1, &h) == CURLHE_OK) {
    g_autoptr(GString) all = g_string_new(NULL);
    count = h->amount;
    for (size_t i = 0; i < count; i++) {
      if (curl_easy_header(curl, "Cache-Control", i, CURLH_HEADER, -1, &h) != CURLHE_OK)
        break;
      if (all->len + strlen(h->value) + 1 > BIMI_FETCH_MAX_HEADER_VALUE_BYTES)
        break;
      g_string_append(all, h->value);
      g_string_append_c(all, ',');
    }
    best = bimi_fetch__cache_control_max_age(all->str, all->len);
    if (best >= 0)
      return best;
  }
  expires = header_value(curl, "Expires");
  if (expires != NULL) {
    time_t e = curl_getdate(expires, NULL);
    time_t d;
    date = header_value(curl, "Date");
    d = date != NULL ? curl_getdate(date, NULL) : -1;
    /* RFC 9111 §5.3: an invalid Expires means "already expired". */
    if (e < 0)
      return 0;
    if (d < 0 && now <= 0)
      return -1; /* no Date and no caller clock: nothing to subtract from */
    if (d < 0)
      d = (time_t) now; /* RFC 9111 §4.2.1: the time the response was received */
    if (e <= d)
      return 0;
    return MIN((gint64) (e - d), (gint64) BIMI_FETCH_MAX_AGE_LIMIT);
  }
  return -1;
}

static void
take_cache_headers(CURL *curl, gint64 now, BimiFetchResult *r)
{
  g_free(r->etag);
  r->etag = header_value(curl, "ETag");
  g_free(r->last_modified);
  r->last_modified = header_value(curl, "Last-Modified");
  r->max_age = freshness(curl, now);
}

static gboolean
type_accepted(const BimiFetchRequest *req, const char *content_type, char **detail)
{
  const char *const *types = req->accept_types != NULL ? req->accept_types : bimi_fetch_default_types(req->kind);
  gboolean missing_ok = req->accept_types != NULL ? req->accept_missing_type
                                                  : req->kind != BIMI_FETCH_KIND_LOGO;
  g_autofree char *media = NULL;

  if (req->accept_types == NULL && req->kind == BIMI_FETCH_KIND_CRL)
    return TRUE; /* the CRL's signature protects it, not its label (bimi_fetch_crl()) */
  if (content_type == NULL) {
    if (!missing_ok)
      *detail = g_strdup("no Content-Type");
    return missing_ok;
  }
  media = bimi_fetch__media_type(content_type, strlen(content_type));
  if (media != NULL && g_strv_contains(types, media))
    return TRUE;
  {
    g_autofree char *shown = g_strescape(content_type, NULL);
    *detail = g_strdup_printf("Content-Type '%s' is not accepted", shown);
  }
  return FALSE;
}

/* SVGZ (spec §5): inflate a gzip body into at most @cap bytes. */
static GBytes *
inflate_bounded(const guint8 *in, gsize in_len, gsize cap, BimiFetchReason *reason, char **detail)
{
  g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GByteArray) out = g_byte_array_new();
  guint8 buf[8192];
  gsize done_in = 0;

  for (;;) {
    g_autoptr(GError) error = NULL;
    gsize read = 0, written = 0;
    GConverterResult cr = g_converter_convert(G_CONVERTER(z), in + done_in, in_len - done_in, buf, sizeof buf,
                                              G_CONVERTER_INPUT_AT_END, &read, &written, &error);
    if (cr == G_CONVERTER_ERROR) {
      *reason = BIMI_FETCH_REASON_PROTOCOL;
      *detail = g_strdup_printf("SVGZ body does not inflate: %s", error->message);
      return NULL;
    }
    done_in += read;
    if (written > cap - out->len) {
      *reason = BIMI_FETCH_REASON_TOO_LARGE;
      *detail = g_strdup_printf("SVGZ inflates past the cap of %" G_GSIZE_FORMAT " bytes", cap);
      return NULL;
    }
    g_byte_array_append(out, buf, (guint) written);
    if (cr == G_CONVERTER_FINISHED)
      break;
    if (read == 0 && written == 0) {
      *reason = BIMI_FETCH_REASON_PROTOCOL;
      *detail = g_strdup("SVGZ body is truncated");
      return NULL;
    }
  }
  if (done_in != in_len) {
    *reason = BIMI_FETCH_REASON_PROTOCOL;
    *detail = g_strdup_printf("%" G_GSIZE_FORMAT " bytes after the SVGZ gzip stream", in_len - done_in);
    return NULL;
  }
  return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

static BimiFetchReason
map_curl_error(CURLcode rc, const Transfer *t, const char *remote_ip)
{
  if (t->too_large != NULL)
    return BIMI_FETCH_REASON_TOO_LARGE;
  if (t->resolve_refused)
    return BIMI_FETCH_REASON_DNS;
  if (t->forbidden != NULL && (rc == CURLE_COULDNT_CONNECT || remote_ip == NULL || *remote_ip == '\0'))
    return BIMI_FETCH_REASON_FORBIDDEN_ADDRESS;
  switch (rc) {
  case CURLE_UNSUPPORTED_PROTOCOL:
    return BIMI_FETCH_REASON_SCHEME;
  case CURLE_URL_MALFORMAT:
    return BIMI_FETCH_REASON_URL;
  case CURLE_COULDNT_RESOLVE_HOST:
    return BIMI_FETCH_REASON_DNS;
  case CURLE_COULDNT_CONNECT:
    return BIMI_FETCH_REASON_CONNECT;
  case CURLE_OPERATION_TIMEDOUT:
    return BIMI_FETCH_REASON_TIMEOUT;
  case CURLE_FILESIZE_EXCEEDED:
  case CURLE_OUT_OF_MEMORY:   /* libcurl's code for a header line over its CURL_MAX_HTTP_HEADER */
    return BIMI_FETCH_REASON_TOO_LARGE;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_USE_SSL_FAILED:
    return BIMI_FETCH_REASON_TLS;
  default:
    return BIMI_FETCH_REASON_PROTOCOL;
  }
}

static void
fail(BimiFetchResult *r, BimiFetchReason reason, char *detail)
{
  r->status = BIMI_FETCH_STATUS_FAILED;
  r->reason = reason;
  g_free(r->detail);
  r->detail = detail;
}

static void
set_common_options(CURL *curl, BimiFetcher *f, BimiFetchKind kind, Transfer *t, char *errbuf)
{
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  /* Every hop's URL is checked by check_url() first; this is the second lock. */
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, kind == BIMI_FETCH_KIND_CRL ? "http,https" : "https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, kind == BIMI_FETCH_KIND_CRL ? "http,https" : "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, USER_AGENT);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
  if (f->ca_file != NULL)
    curl_easy_setopt(curl, CURLOPT_CAINFO, f->ca_file);
  /* CURLOPT_RESOLVE is set per hop (hop_resolve_list()): engine/dns answers. */
  curl_easy_setopt(curl, CURLOPT_RESOLVER_START_FUNCTION, on_resolver_start);
  curl_easy_setopt(curl, CURLOPT_RESOLVER_START_DATA, t);
  if (f->connect_to != NULL)
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, f->connect_to);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, t->wire_cap);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, t);
}

BimiFetchResult *
bimi_fetch_url(BimiFetcher *f, const char *url, const BimiFetchRequest *req, GError **error)
{
  g_autoptr(BimiFetchResult) r = g_new0(BimiFetchResult, 1);
  g_autofree char *current = NULL;
  struct curl_slist *headers = NULL;
  struct curl_slist *hop_resolve = NULL;
  gint64 deadline;
  char errbuf[CURL_ERROR_SIZE];
  Transfer t = { 0 };
  CURL *curl;
  gboolean conditional;

  g_return_val_if_fail(f != NULL && url != NULL && req != NULL, NULL);
  r->max_age = -1;
  deadline = g_get_monotonic_time() + (gint64) f->timeout_ms * 1000;

  curl = curl_easy_init();
  if (curl == NULL) {
    g_set_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_INTERNAL, "curl_easy_init failed");
    return NULL;
  }
  t.fetcher = f;
  t.curl = curl;
  t.body = g_byte_array_new();
  t.cap = req->kind == BIMI_FETCH_KIND_EVIDENCE ? f->evidence_max_bytes
        : req->kind == BIMI_FETCH_KIND_CRL    ? f->crl_max_bytes
                                              : f->logo_max_bytes;
  t.wire_cap = (curl_off_t) t.cap * BIMI_FETCH_WIRE_FACTOR;
  set_common_options(curl, f, req->kind, &t, errbuf);

  conditional = req->if_none_match != NULL || req->if_modified_since != NULL;
  if (req->if_none_match != NULL && strpbrk(req->if_none_match, "\r\n") == NULL &&
      strlen(req->if_none_match) <= BIMI_FETCH_MAX_HEADER_VALUE_BYTES) {
    g_autofree char *line = g_strdup_printf("If-None-Match: %s", req->if_none_match);
    headers = curl_slist_append(headers, line);
  }
  if (req->if_modified_since != NULL && strpbrk(req->if_modified_since, "\r\n") == NULL &&
      strlen(req->if_modified_since) <= BIMI_FETCH_MAX_HEADER_VALUE_BYTES) {
    g_autofree char *line = g_strdup_printf("If-Modified-Since: %s", req->if_modified_since);
    headers = curl_slist_append(headers, line);
  }
  if (headers != NULL)
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  current = g_strdup(url);
  for (guint hop = 0;; hop++) {
    g_autofree char *host = NULL;
    g_autofree char *hop_url = NULL;
    g_autofree char *detail = NULL;
    struct curl_slist *resolve = NULL;
    BimiFetchReason reason;
    guint url_port = 0;
    gint64 remaining_ms;
    CURLcode rc;
    long code = 0;
    char *ip = NULL;
    char *location = NULL;

    g_free(r->final_url);
    r->final_url = g_strdup(current);
    reason = check_url(f, req->kind, current, &hop_url, &host, &t.port, &url_port, &detail);
    if (reason != BIMI_FETCH_REASON_NONE) {
      fail(r, reason, hop > 0 ? g_strdup_printf("redirect %u: %s", hop, detail) : g_steal_pointer(&detail));
      break;
    }
    if (!bimi_fetch__slot_acquire(f, host, deadline)) {
      fail(r, BIMI_FETCH_REASON_BUSY,
           g_strdup_printf("%u fetches from %s already running until the deadline", f->max_per_host, host));
      break;
    }
    remaining_ms = (deadline - g_get_monotonic_time()) / 1000;
    if (remaining_ms <= 0) {
      bimi_fetch__slot_release(f, host);
      fail(r, BIMI_FETCH_REASON_TIMEOUT, g_strdup_printf("no time left for hop %u", hop));
      break;
    }
    transfer_reset(&t);
    reason = hop_resolve_list(f, &t, host, url_port, deadline, &resolve, &detail);
    if (reason != BIMI_FETCH_REASON_NONE) {
      bimi_fetch__slot_release(f, host);
      fail(r, reason, hop > 0 ? g_strdup_printf("redirect %u: %s", hop, detail) : g_steal_pointer(&detail));
      break;
    }
    curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
    curl_slist_free_all(hop_resolve);
    hop_resolve = resolve;
    errbuf[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, hop_url);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) remaining_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long) MIN((gint64) f->connect_timeout_ms, remaining_ms));
    rc = curl_easy_perform(curl);
    bimi_fetch__slot_release(f, host);

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    r->http_status = (guint) code;
    if (curl_easy_getinfo(curl, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != NULL && *ip != '\0') {
      g_free(r->remote_ip);
      r->remote_ip = g_strdup(ip);
    }
    if (rc == CURLE_FILESIZE_EXCEEDED && t.too_large == NULL) {
      g_autofree char *announced = header_value(curl, "Content-Length");
      g_autofree char *shown = announced != NULL ? g_strescape(announced, NULL) : g_strdup("?");
      t.too_large = g_strdup_printf("Content-Length %s exceeds the limit of %" CURL_FORMAT_CURL_OFF_T
                                    " bytes received", shown, t.wire_cap);
    }
    if (rc != CURLE_OK) {
      BimiFetchReason why = map_curl_error(rc, &t, ip);
      g_autofree char *own = NULL;
      const char *text = t.too_large != NULL ? t.too_large
                       : why == BIMI_FETCH_REASON_FORBIDDEN_ADDRESS ? t.forbidden
                       : errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
      if (t.resolve_refused)
        text = own = g_strdup_printf("libcurl wanted to resolve a name for %s itself; refused (engine/dns resolves)",
                                     host);
      else if (rc == CURLE_OUT_OF_MEMORY && t.too_large == NULL)
        text = own = g_strdup_printf("response header larger than libcurl accepts (%u bytes a line): %s",
                                     (guint) CURL_MAX_HTTP_HEADER, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
      fail(r, why, hop > 0 ? g_strdup_printf("redirect %u: %s", hop, text) : g_strdup(text));
      break;
    }
    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
      if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) != CURLE_OK || location == NULL) {
        fail(r, BIMI_FETCH_REASON_REDIRECT, g_strdup_printf("HTTP %ld without a usable Location", code));
        break;
      }
      if (hop >= f->max_redirects) {
        fail(r, BIMI_FETCH_REASON_REDIRECT, g_strdup_printf("more than %u redirects", f->max_redirects));
        break;
      }
      r->redirects = hop + 1;
      g_free(current);
      current = g_strdup(location);
      continue;
    }
    if (code == 304 && conditional) {
      r->status = BIMI_FETCH_STATUS_NOT_MODIFIED;
      take_cache_headers(curl, req->now, r);
      break;
    }
    if (code != 200) {
      fail(r, BIMI_FETCH_REASON_HTTP_STATUS, g_strdup_printf("HTTP status %ld", code));
      break;
    }
    {
      char *ct = NULL;
      g_autofree char *why = NULL;
      if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL &&
          strlen(ct) <= BIMI_FETCH_MAX_HEADER_VALUE_BYTES)
        r->content_type = g_strdup(ct);
      else if (ct != NULL) {
        fail(r, BIMI_FETCH_REASON_CONTENT_TYPE, g_strdup("Content-Type too long"));
        break;
      }
      if (!type_accepted(req, r->content_type, &why)) {
        fail(r, BIMI_FETCH_REASON_CONTENT_TYPE, g_steal_pointer(&why));
        break;
      }
    }
    take_cache_headers(curl, req->now, r);
    if (req->kind == BIMI_FETCH_KIND_LOGO && t.body->len >= 2 && t.body->data[0] == 0x1f && t.body->data[1] == 0x8b) {
      g_autofree char *why = NULL;
      BimiFetchReason bad = BIMI_FETCH_REASON_NONE;
      GBytes *inflated = inflate_bounded(t.body->data, t.body->len, t.cap, &bad, &why);
      if (inflated == NULL) {
        fail(r, bad, g_steal_pointer(&why));
        break;
      }
      r->body = inflated;
      r->inflated = TRUE;
    } else {
      r->body = g_bytes_new(t.body->data, t.body->len);
    }
    r->status = BIMI_FETCH_STATUS_OK;
    break;
  }

  curl_easy_cleanup(curl);
  curl_slist_free_all(hop_resolve);
  curl_slist_free_all(headers);
  g_byte_array_unref(t.body);
  BIMI_FREE_ALL(t.too_large, t.forbidden);
  return g_steal_pointer(&r);
}
