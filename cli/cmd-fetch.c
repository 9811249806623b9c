/* cli/cmd-fetch.c — `bimi fetch URL`: one fetch through engine/fetch.
 *
 * The same hardened GET the engine uses for l= and a= (https only, caps,
 * deadlines, redirects, SSRF guard), with the outcome as text or JSON:
 * status, reason code, HTTP status, media type, validators, freshness,
 * final URL, peer address, and the body's size and SHA-256 (-o writes it).
 *
 * Exit: 0 ok or not-modified, 1 failed, 3 failed for a reason that may pass
 * later (timeout, dns, connect, busy), 2 usage or internal error.
 */
#include "cli/commands.h"
#include "engine/base/base-json.h"
#include "engine/fetch.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

static char *
body_sha256(const BimiFetchResult *r)
{
  if (r->body == NULL)
    return NULL;
  return g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, r->body);
}

static void
build_json(gconstpointer result, BimiJsonWriter *b)
{
  const BimiFetchResult *r = result;
  g_autofree char *sha = body_sha256(r);

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sssu sss?I ssu?I bs", "status", bimi_fetch_status_to_string(r->status),
                        "reason", r->status == BIMI_FETCH_STATUS_FAILED ? bimi_fetch_reason_to_string(r->reason) : NULL,
                        "detail", r->detail, "http_status", r->http_status, "content_type", r->content_type,
                        "etag", r->etag, "last_modified", r->last_modified, "max_age", r->max_age >= 0, r->max_age,
                        "final_url", r->final_url, "remote_ip", r->remote_ip, "redirects", r->redirects,
                        "body_bytes", r->body != NULL, (gint64) (r->body != NULL ? g_bytes_get_size(r->body) : 0),
                        "inflated", r->inflated, "sha256", sha);
  bimi_json_end_object(b);
}

/* Server-controlled text for a terminal: control characters escaped. */
static void
print_field(const char *name, const char *value)
{
  g_autofree char *shown = NULL;

  if (value == NULL)
    return;
  shown = g_strescape(value, NULL);
  printf("%s: %s\n", name, shown);
}

static void
print_human(gconstpointer result)
{
  const BimiFetchResult *r = result;
  g_autofree char *sha = body_sha256(r);

  printf("status: %s", bimi_fetch_status_to_string(r->status));
  if (r->status == BIMI_FETCH_STATUS_FAILED)
    printf(" (%s)", bimi_fetch_reason_to_string(r->reason));
  printf("\n");
  print_field("detail", r->detail);
  if (r->http_status != 0)
    printf("http status: %u\n", r->http_status);
  print_field("content type", r->content_type);
  print_field("etag", r->etag);
  print_field("last modified", r->last_modified);
  if (r->max_age >= 0)
    printf("max age: %" G_GINT64_FORMAT " s\n", r->max_age);
  print_field("final url", r->final_url);
  print_field("remote ip", r->remote_ip);
  if (r->redirects > 0)
    printf("redirects: %u\n", r->redirects);
  if (r->body != NULL)
    printf("body: %" G_GSIZE_FORMAT " bytes%s, sha256 %s\n", g_bytes_get_size(r->body),
           r->inflated ? " (inflated from SVGZ)" : "", sha);
}

int
bimi_cli_cmd_fetch(int argc, char **argv)
{
  g_autofree char *kind = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *last_modified = NULL;
  g_autofree char *output = NULL;
  g_auto(GStrv) resolve = NULL;
  g_auto(GStrv) zone_files = NULL;
  gboolean allow_private = FALSE, json = FALSE;
  int timeout_ms = 0;
  const GOptionEntry entries[] = {
    { "kind", 0, 0, G_OPTION_ARG_STRING, &kind, "logo (default: l=, SVG/SVGZ) or evidence (a=, PEM)", "KIND" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "Trust these TLS roots instead of the system's", "FILE" },
    { "allow-private", 0, 0, G_OPTION_ARG_NONE, &allow_private,
      "Allow loopback/private/special addresses, any port, IP literals (tests, demo)", NULL },
    { "resolve", 0, 0, G_OPTION_ARG_STRING_ARRAY, &resolve, "Pin HOST:PORT:ADDRESS (repeatable)", "PIN" },
    { "zone", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &zone_files,
      "Resolve host names from this RFC 1035 zone file only, offline (repeatable)", "FILE" },
    { "if-none-match", 0, 0, G_OPTION_ARG_STRING, &etag, "Conditional request on this ETag", "ETAG" },
    { "if-modified-since", 0, 0, G_OPTION_ARG_STRING, &last_modified, "Conditional request on this date", "DATE" },
    { "timeout-ms", 0, 0, G_OPTION_ARG_INT, &timeout_ms, "Deadline of the whole fetch (default 5000)", "MS" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the body to FILE", "FILE" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) resolver = NULL;
  BimiFetchConfig config = { 0 };
  BimiFetchRequest req = { .kind = BIMI_FETCH_KIND_LOGO };

  const BimiCliSpec spec = {
    .name = "fetch", .parameters = "URL - fetch a BIMI logo or Evidence Document over HTTPS",
    .entries = entries, .n_args = 1, .args_usage = "expected exactly one URL",
    .json = &json, .json_help = "Print the result as JSON",
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (kind != NULL && strcmp(kind, "evidence") == 0)
    req.kind = BIMI_FETCH_KIND_EVIDENCE;
  else if (kind != NULL && strcmp(kind, "logo") != 0)
    return bimi_cli_usage_error("fetch", "--kind must be logo or evidence");
  if (timeout_ms < 0)
    return bimi_cli_usage_error("fetch", "--timeout-ms must not be negative");
  req.if_none_match = etag;
  req.if_modified_since = last_modified;
  req.now = g_get_real_time() / G_USEC_PER_SEC; /* the CLI owns the clock (STYLE §7) */

  config.allow_private_addresses = allow_private;
  config.ca_file = ca_file;
  config.resolve = (const char *const *) resolve;
  config.timeout_ms = (guint) timeout_ms;
  if (zone_files != NULL && zone_files[0] != NULL) {
    BimiDnsConfig dns_config = { .zone_files = (const char *const *) zone_files };
    resolver = bimi_dns_resolver_new(&dns_config, &error);
  } else {
    resolver = bimi_dns_resolver_new(NULL, &error);
  }
  if (resolver == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "fetch: %s", error->message);
  config.resolver = resolver;
  g_autoptr(BimiFetcher) fetcher = bimi_fetch_fetcher_new(&config, &error);
  if (fetcher == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "fetch: %s", error->message);
  g_autoptr(BimiFetchResult) r = bimi_fetch_url(fetcher, argv[1], &req, &error);
  if (r == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "fetch: %s", error->message);
  if (output != NULL && r->body != NULL &&
      !bimi_cli_write_output(output, g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body), &error)) {
    return bimi_cli_fail(BIMI_EXIT_USAGE, "fetch: %s", error->message);
  }
  bimi_cli_print_result(json, build_json, print_human, r);
  if (r->status != BIMI_FETCH_STATUS_FAILED)
    return BIMI_EXIT_PASS;
  switch (r->reason) {
  case BIMI_FETCH_REASON_TIMEOUT:
  case BIMI_FETCH_REASON_DNS:
  case BIMI_FETCH_REASON_CONNECT:
  case BIMI_FETCH_REASON_BUSY:
    return BIMI_EXIT_TEMPERROR;
  default:
    return BIMI_EXIT_FAIL;
  }
}
