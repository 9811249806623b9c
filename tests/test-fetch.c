/* tests/test-fetch.c — engine/fetch-netaddr.c and the network-free parts of engine/fetch.
 *
 * The address classification table (IANA special-purpose registries, with the
 * IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms), address text parsing,
 * the header-value parsers, the URL checks that refuse before any network
 * traffic, the open-socket rule (address + port 443), the per-host slots and
 * the fetcher's configuration errors. The transfers themselves are in
 * tests/test-fetch-nginx.c.
 */
#include "engine/fetch.h"
#include "engine/fetch-private.h"
#include "engine/limits.h"
#include "engine/fetch-netaddr.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

typedef struct {
  const char *addr;
  BimiNetaddrClass klass;
  const char *range;
} ClassCase;

static const ClassCase class_cases[] = {
  /* IPv4 */
  { "0.0.0.0", BIMI_NETADDR_UNSPECIFIED, "0.0.0.0/8" },
  { "0.1.2.3", BIMI_NETADDR_UNSPECIFIED, "0.0.0.0/8" },
  { "10.1.2.3", BIMI_NETADDR_PRIVATE, "10.0.0.0/8" },
  { "9.255.255.255", BIMI_NETADDR_PUBLIC, "global" },
  { "11.0.0.0", BIMI_NETADDR_PUBLIC, "global" },
  { "100.63.255.255", BIMI_NETADDR_PUBLIC, "global" },
  { "100.64.0.1", BIMI_NETADDR_SHARED, "100.64.0.0/10" },
  { "100.127.255.255", BIMI_NETADDR_SHARED, "100.64.0.0/10" },
  { "100.128.0.0", BIMI_NETADDR_PUBLIC, "global" },
  { "127.0.0.1", BIMI_NETADDR_LOOPBACK, "127.0.0.0/8" },
  { "127.255.255.254", BIMI_NETADDR_LOOPBACK, "127.0.0.0/8" },
  { "169.254.169.254", BIMI_NETADDR_LINK_LOCAL, "169.254.0.0/16" },
  { "172.15.255.255", BIMI_NETADDR_PUBLIC, "global" },
  { "172.16.0.1", BIMI_NETADDR_PRIVATE, "172.16.0.0/12" },
  { "172.31.255.255", BIMI_NETADDR_PRIVATE, "172.16.0.0/12" },
  { "172.32.0.0", BIMI_NETADDR_PUBLIC, "global" },
  { "192.0.0.8", BIMI_NETADDR_RESERVED, "192.0.0.0/24" },
  { "192.0.2.1", BIMI_NETADDR_DOCUMENTATION, "192.0.2.0/24" },
  { "192.88.99.1", BIMI_NETADDR_RESERVED, "192.88.99.0/24" },
  { "192.168.1.1", BIMI_NETADDR_PRIVATE, "192.168.0.0/16" },
  { "192.169.0.0", BIMI_NETADDR_PUBLIC, "global" },
  { "198.17.255.255", BIMI_NETADDR_PUBLIC, "global" },
  { "198.18.0.1", BIMI_NETADDR_BENCHMARKING, "198.18.0.0/15" },
  { "198.19.255.255", BIMI_NETADDR_BENCHMARKING, "198.18.0.0/15" },
  { "198.20.0.0", BIMI_NETADDR_PUBLIC, "global" },
  { "198.51.100.7", BIMI_NETADDR_DOCUMENTATION, "198.51.100.0/24" },
  { "203.0.113.9", BIMI_NETADDR_DOCUMENTATION, "203.0.113.0/24" },
  { "223.255.255.255", BIMI_NETADDR_PUBLIC, "global" },
  { "224.0.0.1", BIMI_NETADDR_MULTICAST, "224.0.0.0/4" },
  { "239.255.255.250", BIMI_NETADDR_MULTICAST, "224.0.0.0/4" },
  { "240.0.0.1", BIMI_NETADDR_RESERVED, "240.0.0.0/4" },
  { "255.255.255.254", BIMI_NETADDR_RESERVED, "240.0.0.0/4" },
  { "255.255.255.255", BIMI_NETADDR_BROADCAST, "255.255.255.255/32" },
  { "8.8.8.8", BIMI_NETADDR_PUBLIC, "global" },
  { "1.1.1.1", BIMI_NETADDR_PUBLIC, "global" },
  /* IPv6 */
  { "::", BIMI_NETADDR_UNSPECIFIED, "::/128" },
  { "::1", BIMI_NETADDR_LOOPBACK, "::1/128" },
  { "fc00::1", BIMI_NETADDR_PRIVATE, "fc00::/7" },
  { "fd12:3456:789a::1", BIMI_NETADDR_PRIVATE, "fc00::/7" },
  { "fe80::1", BIMI_NETADDR_LINK_LOCAL, "fe80::/10" },
  { "febf:ffff::1", BIMI_NETADDR_LINK_LOCAL, "fe80::/10" },
  { "fec0::1", BIMI_NETADDR_PRIVATE, "fec0::/10" },
  { "ff02::1", BIMI_NETADDR_MULTICAST, "ff00::/8" },
  { "2001:db8::1", BIMI_NETADDR_DOCUMENTATION, "2001:db8::/32" },
  { "3fff::1", BIMI_NETADDR_DOCUMENTATION, "3fff::/20" },
  { "2001:2::1", BIMI_NETADDR_BENCHMARKING, "2001:2::/48" },
  { "2001::1", BIMI_NETADDR_RESERVED, "2001::/23" },
  { "2001:1ff::1", BIMI_NETADDR_RESERVED, "2001::/23" },
  { "2001:200::1", BIMI_NETADDR_PUBLIC, "global" },
  { "100::1", BIMI_NETADDR_RESERVED, "100::/64" },
  { "5f00::1", BIMI_NETADDR_RESERVED, "5f00::/16" },
  { "4000::1", BIMI_NETADDR_RESERVED, "outside 2000::/3" },
  { "2606:4700:4700::1111", BIMI_NETADDR_PUBLIC, "global" },
  { "2a00:1450:4001::200e", BIMI_NETADDR_PUBLIC, "global" },
  /* IPv4-mapped ::ffff:0:0/96 */
  { "::ffff:127.0.0.1", BIMI_NETADDR_LOOPBACK, "127.0.0.0/8" },
  { "::ffff:10.0.0.1", BIMI_NETADDR_PRIVATE, "10.0.0.0/8" },
  { "::ffff:169.254.169.254", BIMI_NETADDR_LINK_LOCAL, "169.254.0.0/16" },
  { "::ffff:100.64.1.1", BIMI_NETADDR_SHARED, "100.64.0.0/10" },
  { "::ffff:0.0.0.0", BIMI_NETADDR_UNSPECIFIED, "0.0.0.0/8" },
  { "::ffff:255.255.255.255", BIMI_NETADDR_BROADCAST, "255.255.255.255/32" },
  { "::ffff:8.8.8.8", BIMI_NETADDR_PUBLIC, "global" },
  /* IPv4-compatible ::/96 (deprecated: never public) */
  { "::127.0.0.1", BIMI_NETADDR_LOOPBACK, "127.0.0.0/8" },
  { "::192.168.0.1", BIMI_NETADDR_PRIVATE, "192.168.0.0/16" },
  { "::8.8.8.8", BIMI_NETADDR_RESERVED, "::/96" },
  /* IPv4-translated ::ffff:0:0:0/96 (SIIT): outside 2000::/3 */
  { "::ffff:0:7f00:1", BIMI_NETADDR_RESERVED, "outside 2000::/3" },
  /* NAT64 64:ff9b::/96 and the local-use 64:ff9b:1::/48 */
  { "64:ff9b::7f00:1", BIMI_NETADDR_LOOPBACK, "127.0.0.0/8" },
  { "64:ff9b::10.0.0.1", BIMI_NETADDR_PRIVATE, "10.0.0.0/8" },
  { "64:ff9b::169.254.169.254", BIMI_NETADDR_LINK_LOCAL, "169.254.0.0/16" },
  { "64:ff9b::8.8.8.8", BIMI_NETADDR_PUBLIC, "global" },
  { "64:ff9b:1::8.8.8.8", BIMI_NETADDR_PRIVATE, "64:ff9b:1::/48" },
  /* 6to4 2002::/16: the IPv4 address in bits 16..47 */
  { "2002:7f00:1::1", BIMI_NETADDR_LOOPBACK, "127.0.0.0/8" },
  { "2002:a9fe:a9fe::1", BIMI_NETADDR_LINK_LOCAL, "169.254.0.0/16" },
  { "2002:c0a8:101::", BIMI_NETADDR_PRIVATE, "192.168.0.0/16" },
  { "2002:6440:1::1", BIMI_NETADDR_SHARED, "100.64.0.0/10" },
  { "2002:808:808::1", BIMI_NETADDR_PUBLIC, "global" },
};

static void
test_classify_table(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(class_cases); i++) {
    const ClassCase *c = &class_cases[i];
    g_autoptr(GError) error = NULL;
    guint8 addr[16];
    gsize len = 0;
    const char *range = NULL;
    BimiNetaddrClass k;

    g_assert_true(bimi_netaddr_parse(c->addr, strlen(c->addr), addr, &len, &error));
    g_assert_no_error(error);
    k = bimi_netaddr_classify(addr, len, &range);
    if (k != c->klass || g_strcmp0(range, c->range) != 0)
      g_error("%s: expected %s (%s), got %s (%s)", c->addr, bimi_netaddr_class_to_string(c->klass), c->range,
              bimi_netaddr_class_to_string(k), range);
  }
}

static void
test_classify_sockaddr(void)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(443) };
  struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
  const char *range = NULL;

  g_assert_cmpint(inet_pton(AF_INET, "169.254.169.254", &sin.sin_addr), ==, 1);
  g_assert_cmpint(bimi_netaddr_classify_sockaddr((struct sockaddr *) &sin, sizeof sin, &range), ==,
                  BIMI_NETADDR_LINK_LOCAL);
  g_assert_cmpint(inet_pton(AF_INET6, "::ffff:192.168.0.1", &sin6.sin6_addr), ==, 1);
  g_assert_cmpint(bimi_netaddr_classify_sockaddr((struct sockaddr *) &sin6, sizeof sin6, &range), ==,
                  BIMI_NETADDR_PRIVATE);
  /* Too short for its family, or another family: never public. */
  g_assert_cmpint(bimi_netaddr_classify_sockaddr((struct sockaddr *) &sin6, sizeof sin, NULL), ==,
                  BIMI_NETADDR_RESERVED);
  sin.sin_family = AF_UNIX;
  g_assert_cmpint(bimi_netaddr_classify_sockaddr((struct sockaddr *) &sin, sizeof sin, NULL), ==,
                  BIMI_NETADDR_RESERVED);
  g_assert_cmpint(bimi_netaddr_classify((const guint8 *) "abcdef", 6, &range), ==, BIMI_NETADDR_RESERVED);
}

static void
test_parse(void)
{
  const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "0x7f.0.0.1", "017.0.0.1", "2130706433", "256.0.0.1",
                        "1.2.3.4 ", "::g", "1:2:3:4:5:6:7:8:9", "[::1", "[]", "localhost" };
  guint8 addr[16];
  gsize len = 0;
  char big[80];

  g_assert_true(bimi_netaddr_parse("[::1]", 5, addr, &len, NULL));
  g_assert_cmpuint(len, ==, 16);
  g_assert_cmpuint(addr[15], ==, 1);
  /* Explicit length: the text after it is not read. */
  g_assert_true(bimi_netaddr_parse("10.0.0.1XYZ", 8, addr, &len, NULL));
  g_assert_cmpuint(len, ==, 4);
  g_assert_cmpuint(addr[0], ==, 10);
  g_assert_cmpuint(addr[3], ==, 1);
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    if (bimi_netaddr_parse(bad[i], strlen(bad[i]), addr, &len, &error))
      g_error("'%s' parsed", bad[i]);
    g_assert_error(error, BIMI_NETADDR_ERROR, BIMI_NETADDR_ERROR_SYNTAX);
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false(bimi_netaddr_parse("1.2.3.4\0", 8, addr, &len, &error));
    g_assert_error(error, BIMI_NETADDR_ERROR, BIMI_NETADDR_ERROR_SYNTAX);
  }
  {
    g_autoptr(GError) error = NULL;
    memset(big, '1', sizeof big);
    g_assert_false(bimi_netaddr_parse(big, 65, addr, &len, &error));
    g_assert_error(error, BIMI_NETADDR_ERROR, BIMI_NETADDR_ERROR_SYNTAX);
    g_assert_nonnull(strstr(error->message, "65 bytes"));
  }
}

static void
test_cache_control(void)
{
  static const struct {
    const char *value;
    gint64 max_age;
  } cases[] = {
    { "max-age=600", 600 },
    { "public, max-age=600", 600 },
    { "max-age=600, s-maxage=60", 60 },
    { "s-maxage=60,max-age=600", 60 },
    { "no-store, max-age=600", 0 },
    { "max-age=600, no-cache", 0 },
    { "no-cache=\"Set-Cookie\", max-age=5", 5 },
    { "max-age=\"30\"", 30 },
    { "MAX-AGE=7", 7 },
    { "max-age = 4", 4 },
    { "max-age=1, max-age=2", 1 },
    { "max-age=abc", -1 },
    { "max-age=abc, max-age=9", 9 },
    { "max-age=10x", -1 },
    { "max-age=", -1 },
    { "max-age", -1 },
    { "max-age=99999999999999999999999", 2147483647 },
    { "max-age=2147483648", 2147483647 },
    { "foo=\"a,max-age=9\", max-age=3", 3 },
    { "foo=\"a\\\"b,max-age=9\", max-age=3", 3 },
    { "private", -1 },
    { "", -1 },
    { ",,, ,", -1 },
    { "max-age=\"12", -1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    gint64 got = bimi_fetch__cache_control_max_age(cases[i].value, strlen(cases[i].value));
    if (got != cases[i].max_age)
      g_error("Cache-Control '%s': expected %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT, cases[i].value,
              cases[i].max_age, got);
  }
  /* Explicit length: "max-age=60" read as "max-age=6". */
  g_assert_cmpint(bimi_fetch__cache_control_max_age("max-age=60", 9), ==, 6);
  g_assert_cmpint(bimi_fetch__cache_control_max_age(NULL, 0), ==, -1);
}

static void
test_media_type(void)
{
  static const struct {
    const char *value;
    const char *media;
  } cases[] = {
    { "image/svg+xml", "image/svg+xml" },
    { " Image/SVG+XML ; charset=utf-8", "image/svg+xml" },
    { "image/svg+xml;", "image/svg+xml" },
    { "application/pem-certificate-chain", "application/pem-certificate-chain" },
    { "text", NULL },
    { "/xml", NULL },
    { "image/", NULL },
    { "image/svg xml", NULL },
    { "image/svg+xml, text/html", NULL },
    { "", NULL },
  };
  g_autofree char *huge = g_malloc(BIMI_FETCH_MAX_HEADER_VALUE_BYTES + 1);

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = bimi_fetch__media_type(cases[i].value, strlen(cases[i].value));
    if (g_strcmp0(got, cases[i].media) != 0)
      g_error("Content-Type '%s': expected %s, got %s", cases[i].value, cases[i].media ? cases[i].media : "NULL",
              got ? got : "NULL");
  }
  memset(huge, 'a', BIMI_FETCH_MAX_HEADER_VALUE_BYTES + 1);
  memcpy(huge, "image/", 6);
  g_assert_null(bimi_fetch__media_type(huge, BIMI_FETCH_MAX_HEADER_VALUE_BYTES + 1));
  {
    g_autofree char *at_limit = bimi_fetch__media_type(huge, BIMI_FETCH_MAX_HEADER_VALUE_BYTES);
    g_assert_nonnull(at_limit);
  }
}

static BimiFetcher *
new_fetcher(gboolean allow_private)
{
  g_autoptr(GError) error = NULL;
  BimiFetchConfig c = { .allow_private_addresses = allow_private };
  BimiFetcher *f = bimi_fetch_fetcher_new(&c, &error);
  g_assert_no_error(error);
  return f;
}

/* URLs refused before any DNS or connection. */
static void
test_url_checks(void)
{
  static const struct {
    const char *url;
    BimiFetchReason reason;
    const char *detail;
  } cases[] = {
    { "http://example.com/logo.svg", BIMI_FETCH_REASON_SCHEME, "'http'" },
    { "HTTP://example.com/logo.svg", BIMI_FETCH_REASON_SCHEME, "'http'" },
    { "ftp://example.com/logo.svg", BIMI_FETCH_REASON_SCHEME, "'ftp'" },
    { "data://example.com/x", BIMI_FETCH_REASON_SCHEME, "'data'" },
    { "https://user:pw@example.com/logo.svg", BIMI_FETCH_REASON_URL, "userinfo" },
    { "https://127.0.0.1/logo.svg", BIMI_FETCH_REASON_URL, "IP literal" },
    { "https://8.8.8.8/logo.svg", BIMI_FETCH_REASON_URL, "IP literal" },
    { "https://0x7f.1/logo.svg", BIMI_FETCH_REASON_URL, "IP literal" },       /* curl normalises to 127.0.0.1 */
    { "https://2130706433/logo.svg", BIMI_FETCH_REASON_URL, "IP literal" },
    { "https://[::1]/logo.svg", BIMI_FETCH_REASON_URL, "IP literal" },
    { "https://[::ffff:169.254.169.254]/", BIMI_FETCH_REASON_URL, "IP literal" },
    { "https://localhost/logo.svg", BIMI_FETCH_REASON_URL, "fully qualified" },
    { "https://metadata/computeMetadata/v1/", BIMI_FETCH_REASON_URL, "fully qualified" },
    { "not a url", BIMI_FETCH_REASON_URL, "absolute URL" },
    { "/logo.svg", BIMI_FETCH_REASON_URL, "absolute URL" },
    { "https://example.com:99999/", BIMI_FETCH_REASON_URL, "absolute URL" },
    /* issue 13: the host is judged in its IDNA-mapped form (full-width digits,
     * ideographic full stops), not as libcurl's URL parser hands it out */
    { "https://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.\xef\xbc\x90.\xef\xbc\x90.\xef\xbc\x91/",
      BIMI_FETCH_REASON_URL, "maps to the IP literal 127.0.0.1" },
    { "https://127\xe3\x80\x82" "0\xe3\x80\x82" "0.1/", BIMI_FETCH_REASON_URL, "maps to the IP literal 127.0.0.1" },
    { "https://169\xef\xbc\x8e" "254.169.254/latest/", BIMI_FETCH_REASON_URL, "maps to the IP literal 169.254.169.254" },
    { "https://example.\xef\xbc\x91/", BIMI_FETCH_REASON_URL, "numeric label" },
    { "https://127.0.0.1./logo.svg", BIMI_FETCH_REASON_URL, "IP literal" },
    { "https://10.0.1/logo.svg", BIMI_FETCH_REASON_URL, "IP literal" },
    { "https://\xe2\x80\x8b.example/", BIMI_FETCH_REASON_URL, "empty label" },
    { "https://exa$mple.com/", BIMI_FETCH_REASON_URL, "" },
  };
  g_autoptr(BimiFetcher) f = new_fetcher(FALSE);
  BimiFetchRequest req = { .kind = BIMI_FETCH_KIND_LOGO };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiFetchResult) r = bimi_fetch_url(f, cases[i].url, &req, &error);
    g_assert_no_error(error);
    if (r->status != BIMI_FETCH_STATUS_FAILED || r->reason != cases[i].reason ||
        r->detail == NULL || strstr(r->detail, cases[i].detail) == NULL)
      g_error("%s: expected %s (%s), got %s/%s (%s)", cases[i].url, bimi_fetch_reason_to_string(cases[i].reason),
              cases[i].detail, bimi_fetch_status_to_string(r->status), bimi_fetch_reason_to_string(r->reason),
              r->detail ? r->detail : "");
    g_assert_cmpuint(r->http_status, ==, 0);
    g_assert_null(r->remote_ip);
    g_assert_cmpstr(r->final_url, ==, cases[i].url);
  }
  {
    /* BIMI_FETCH_MAX_URL_BYTES: one byte over. */
    g_autoptr(GString) url = g_string_new("https://example.com/");
    g_autoptr(BimiFetchResult) r = NULL;
    while (url->len < BIMI_FETCH_MAX_URL_BYTES + 1)
      g_string_append_c(url, 'a');
    r = bimi_fetch_url(f, url->str, &req, NULL);
    g_assert_cmpint(r->reason, ==, BIMI_FETCH_REASON_URL);
    g_assert_nonnull(strstr(r->detail, "2049 bytes"));
  }
}

/* bimi_fetch__host_check(): the final form of a host, and what is refused in it. */
static void
test_host_final_form(void)
{
  static const struct {
    const char *host;
    gboolean allow_private;
    const char *want;        /* NULL: refused */
  } cases[] = {
    { "Example.COM", FALSE, "example.com" },
    { "example.com.", FALSE, "example.com" },
    { "b\xc3\xbc" "cher.example", FALSE, "xn--bcher-kva.example" },
    { "\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85.com", FALSE,
      "example.com" },                                             /* full-width letters */
    { "logo\xe3\x80\x82" "example\xe3\x80\x82" "com", FALSE, "logo.example.com" }, /* ideographic full stops */
    { "img_cdn.example.com", FALSE, "img_cdn.example.com" },
    { "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.\xef\xbc\x90.\xef\xbc\x90.\xef\xbc\x91", FALSE, NULL },
    { "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.\xef\xbc\x90.\xef\xbc\x90.\xef\xbc\x91", TRUE, "127.0.0.1" },
    { "127\xe3\x80\x82" "0\xe3\x80\x82" "0.1", FALSE, NULL },
    { "[::1]", FALSE, NULL },
    { "[::1]", TRUE, "[::1]" },
    { "localhost", FALSE, NULL },
    { "localhost", TRUE, "localhost" },
    { "example.123", FALSE, NULL },
    { "a..example", FALSE, NULL },
    { "-\xff.example", FALSE, NULL },                            /* not UTF-8: no valid IDN */
    { "ex ample.com", FALSE, NULL },
    { "xn--a.example\xc3\xbc", FALSE, NULL },                    /* an invalid A-label inside an IDN */
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *out = NULL;
    g_autofree char *detail = NULL;
    gboolean ok = bimi_fetch__host_check(cases[i].host, cases[i].allow_private, &out, &detail);
    if (ok != (cases[i].want != NULL) || g_strcmp0(out, cases[i].want) != 0)
      g_error("host %s: expected %s, got %s (%s)", cases[i].host, cases[i].want ? cases[i].want : "refusal",
              out ? out : "refusal", detail ? detail : "");
    g_assert_true(ok || detail != NULL);
  }
  {
    /* BIMI_DNS_MAX_NAME_BYTES: a mapped name one byte over is refused. */
    g_autoptr(GString) name = g_string_new(NULL);
    g_autofree char *out = NULL, *detail = NULL;
    while (name->len < BIMI_DNS_MAX_NAME_BYTES - 4)
      g_string_append(name, "abcdefghi.");
    g_string_truncate(name, BIMI_DNS_MAX_NAME_BYTES - 4);
    g_string_append(name, ".com");
    g_assert_cmpuint(name->len, ==, BIMI_DNS_MAX_NAME_BYTES);
    g_assert_true(bimi_fetch__host_check(name->str, FALSE, &out, &detail));
    g_clear_pointer(&out, g_free);
    g_string_prepend_c(name, 'x');
    g_assert_false(bimi_fetch__host_check(name->str, FALSE, &out, &detail));
    g_assert_nonnull(strstr(detail, "at most 253"));
  }
}

static BimiDnsResolver *
zone_resolver(void)
{
  static const char zone[] =
    "logo.example.     A     192.0.2.1\n"
    "logo.example.     AAAA  2001:db8::1\n"
    "alias.example.    CNAME logo.example.\n"
    "v6only.example.   AAAA  2001:db8::6\n"
    "txtonly.example.  TXT   \"not an address\"\n"
    "many.example.     A     192.0.2.10\nmany.example. A 192.0.2.11\nmany.example. A 192.0.2.12\n"
    "many.example.     A     192.0.2.13\nmany.example. A 192.0.2.14\nmany.example. A 192.0.2.15\n"
    "many.example.     A     192.0.2.16\nmany.example. A 192.0.2.17\nmany.example. A 192.0.2.18\n";
  g_autoptr(GError) error = NULL;
  BimiDnsConfig c = { .offline = TRUE, .timeout_ms = 200 };
  BimiDnsResolver *r = bimi_dns_resolver_new(&c, &error);

  g_assert_no_error(error);
  g_assert_true(bimi_dns_resolver_add_zone_data(r, zone, sizeof zone - 1, "fetch.zone", NULL, &error));
  g_assert_true(bimi_dns_resolver_add_fault_name(r, "slow.example", &error));
  g_assert_no_error(error);
  return r;
}

static guint
count_char(const char *s, char c)
{
  guint n = 0;
  for (; *s != '\0'; s++)
    n += *s == c;
  return n;
}

/* Fetch hosts resolve through engine/dns (A and AAAA), pinned for libcurl. */
static void
test_resolve_pin(void)
{
  g_autoptr(BimiDnsResolver) dns = zone_resolver();
  BimiFetchConfig c = { .resolver = dns };
  g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&c, NULL);
  g_autoptr(BimiFetcher) no_dns = new_fetcher(FALSE);
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  static const struct {
    const char *host;
    BimiFetchReason reason;
    const char *want;        /* the pin, or a piece of the detail */
  } cases[] = {
    { "logo.example", BIMI_FETCH_REASON_NONE, "logo.example:443:192.0.2.1,[2001:db8::1]" },
    { "alias.example", BIMI_FETCH_REASON_NONE, "alias.example:443:192.0.2.1,[2001:db8::1]" },
    { "v6only.example", BIMI_FETCH_REASON_NONE, "v6only.example:443:[2001:db8::6]" },
    { "nx.example", BIMI_FETCH_REASON_DNS, "A NXDOMAIN, AAAA NXDOMAIN" },
    { "txtonly.example", BIMI_FETCH_REASON_DNS, "A NODATA, AAAA NODATA" },
    { "slow.example", BIMI_FETCH_REASON_DNS, "TEMPERROR" },
  };

  g_assert_nonnull(f);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *pin = NULL, *detail = NULL;
    BimiFetchReason reason = bimi_fetch__resolve_pin(f, cases[i].host, 443, deadline, &pin, &detail);
    if (reason != cases[i].reason ||
        (reason == BIMI_FETCH_REASON_NONE ? g_strcmp0(pin, cases[i].want) != 0
                                          : detail == NULL || strstr(detail, cases[i].want) == NULL))
      g_error("%s: expected %s %s, got %s %s", cases[i].host, bimi_fetch_reason_to_string(cases[i].reason),
              cases[i].want, bimi_fetch_reason_to_string(reason), pin ? pin : detail);
  }
  {
    /* BIMI_FETCH_MAX_ADDRESSES_PER_FAMILY: 9 A records, 8 pinned. */
    g_autofree char *pin = NULL, *detail = NULL;
    g_assert_cmpint(bimi_fetch__resolve_pin(f, "many.example", 443, deadline, &pin, &detail), ==,
                    BIMI_FETCH_REASON_NONE);
    g_assert_cmpuint(count_char(pin, ',') + 1, ==, BIMI_FETCH_MAX_ADDRESSES_PER_FAMILY);
  }
  {
    /* The fetch deadline bounds the lookups: already passed → timeout. */
    g_autofree char *pin = NULL, *detail = NULL;
    g_assert_cmpint(bimi_fetch__resolve_pin(f, "logo.example", 443, g_get_monotonic_time() - 1, &pin, &detail), ==,
                    BIMI_FETCH_REASON_TIMEOUT);
  }
  {
    /* Without a resolver a name that is not pinned is not fetched at all. */
    g_autofree char *pin = NULL, *detail = NULL;
    g_assert_cmpint(bimi_fetch__resolve_pin(no_dns, "logo.example", 443, deadline, &pin, &detail), ==,
                    BIMI_FETCH_REASON_DNS);
    g_assert_nonnull(strstr(detail, "no DNS resolver"));
  }
  {
    /* Whole fetches: NXDOMAIN from the zone is reason dns; the zone's
     * documentation address reaches the socket guard (and is refused there). */
    BimiFetchRequest req = { .kind = BIMI_FETCH_KIND_LOGO };
    g_autoptr(BimiFetchResult) nx = bimi_fetch_url(f, "https://nx.example/logo.svg", &req, NULL);
    g_autoptr(BimiFetchResult) doc = bimi_fetch_url(f, "https://logo.example/logo.svg", &req, NULL);
    g_autoptr(BimiFetchResult) unpinned = bimi_fetch_url(no_dns, "https://logo.example/logo.svg", &req, NULL);
    g_assert_cmpint(nx->reason, ==, BIMI_FETCH_REASON_DNS);
    g_assert_nonnull(strstr(nx->detail, "NXDOMAIN"));
    g_assert_cmpint(doc->reason, ==, BIMI_FETCH_REASON_FORBIDDEN_ADDRESS);
    g_assert_true(strstr(doc->detail, "192.0.2.1: documentation") != NULL ||
                  strstr(doc->detail, "2001:db8::1: documentation") != NULL);
    g_assert_cmpint(unpinned->reason, ==, BIMI_FETCH_REASON_DNS);
  }
}

static void
set_v4(struct sockaddr_in *sin, const char *ip, guint port)
{
  memset(sin, 0, sizeof *sin);
  sin->sin_family = AF_INET;
  sin->sin_port = htons((guint16) port);
  g_assert_cmpint(inet_pton(AF_INET, ip, &sin->sin_addr), ==, 1);
}

/* The open-socket rule, called with socket addresses only (nothing connects). */
static void
test_endpoint_rule(void)
{
  g_autoptr(BimiFetcher) strict = new_fetcher(FALSE);
  g_autoptr(BimiFetcher) lax = new_fetcher(TRUE);
  struct sockaddr_in sin;
  struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
  char *detail = NULL;

  set_v4(&sin, "8.8.8.8", 443);
  g_assert_true(bimi_fetch__endpoint_allowed(strict, (struct sockaddr *) &sin, sizeof sin, &detail));
  g_assert_null(detail);
  set_v4(&sin, "8.8.8.8", 8443);
  g_assert_false(bimi_fetch__endpoint_allowed(strict, (struct sockaddr *) &sin, sizeof sin, &detail));
  g_assert_nonnull(strstr(detail, "port 8443"));
  g_clear_pointer(&detail, g_free);
  g_assert_true(bimi_fetch__endpoint_allowed(lax, (struct sockaddr *) &sin, sizeof sin, &detail));

  set_v4(&sin, "169.254.169.254", 443);
  g_assert_false(bimi_fetch__endpoint_allowed(strict, (struct sockaddr *) &sin, sizeof sin, &detail));
  g_assert_nonnull(strstr(detail, "169.254.169.254: link-local address (169.254.0.0/16)"));
  g_clear_pointer(&detail, g_free);
  g_assert_true(bimi_fetch__endpoint_allowed(lax, (struct sockaddr *) &sin, sizeof sin, &detail));

  g_assert_cmpint(inet_pton(AF_INET6, "64:ff9b::a00:1", &sin6.sin6_addr), ==, 1);
  g_assert_false(bimi_fetch__endpoint_allowed(strict, (struct sockaddr *) &sin6, sizeof sin6, &detail));
  g_assert_nonnull(strstr(detail, "private address (10.0.0.0/8)"));
  g_clear_pointer(&detail, g_free);
  g_assert_cmpint(inet_pton(AF_INET6, "2606:4700::1", &sin6.sin6_addr), ==, 1);
  g_assert_true(bimi_fetch__endpoint_allowed(strict, (struct sockaddr *) &sin6, sizeof sin6, &detail));

  /* The test exemption is one exact address and port. */
  bimi_fetch__exempt_endpoint(strict, "127.0.0.1", 8443);
  set_v4(&sin, "127.0.0.1", 8443);
  g_assert_true(bimi_fetch__endpoint_allowed(strict, (struct sockaddr *) &sin, sizeof sin, &detail));
  set_v4(&sin, "127.0.0.1", 8444);
  g_assert_false(bimi_fetch__endpoint_allowed(strict, (struct sockaddr *) &sin, sizeof sin, &detail));
  g_clear_pointer(&detail, g_free);
  set_v4(&sin, "127.0.0.2", 8443);
  g_assert_false(bimi_fetch__endpoint_allowed(strict, (struct sockaddr *) &sin, sizeof sin, &detail));
  g_clear_pointer(&detail, g_free);
}

/* BIMI_FETCH_MAX_PER_HOST-style limit: the third fetch to a host waits, then gives up. */
static void
test_per_host_slots(void)
{
  g_autoptr(GError) error = NULL;
  BimiFetchConfig c = { .max_per_host = 2 };
  g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&c, &error);
  gint64 soon;

  g_assert_no_error(error);
  soon = g_get_monotonic_time() + 50 * 1000;
  g_assert_true(bimi_fetch__slot_acquire(f, "a.example", soon));
  g_assert_true(bimi_fetch__slot_acquire(f, "a.example", soon));
  g_assert_true(bimi_fetch__slot_acquire(f, "b.example", soon));   /* per host, not global */
  g_assert_false(bimi_fetch__slot_acquire(f, "a.example", soon));
  g_assert_cmpint(g_get_monotonic_time(), >=, soon);
  bimi_fetch__slot_release(f, "a.example");
  g_assert_true(bimi_fetch__slot_acquire(f, "a.example", g_get_monotonic_time() + 50 * 1000));
  bimi_fetch__slot_release(f, "a.example");
  bimi_fetch__slot_release(f, "a.example");
  bimi_fetch__slot_release(f, "b.example");
}

typedef struct {
  BimiFetcher *f;
  gint64 acquired_at;
} Waiter;

static gpointer
waiter_thread(gpointer data)
{
  Waiter *w = data;
  if (bimi_fetch__slot_acquire(w->f, "c.example", g_get_monotonic_time() + 2 * G_USEC_PER_SEC)) {
    w->acquired_at = g_get_monotonic_time();
    bimi_fetch__slot_release(w->f, "c.example");
  }
  return NULL;
}

/* A waiter is woken by a release from another thread. */
static void
test_per_host_wakeup(void)
{
  BimiFetchConfig c = { .max_per_host = 1 };
  g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&c, NULL);
  Waiter w = { f, 0 };
  GThread *t;
  gint64 released;

  g_assert_true(bimi_fetch__slot_acquire(f, "c.example", g_get_monotonic_time() + G_USEC_PER_SEC));
  t = g_thread_new("waiter", waiter_thread, &w);
  g_usleep(100 * 1000);
  released = g_get_monotonic_time();
  bimi_fetch__slot_release(f, "c.example");
  g_thread_join(t);
  g_assert_cmpint(w.acquired_at, >=, released);
  g_assert_cmpint(w.acquired_at - released, <, G_USEC_PER_SEC);
}

static void
test_config_errors(void)
{
  const char *too_many[BIMI_FETCH_MAX_RESOLVE_PINS + 2];
  const char *bad_pin[] = { "origin.test:443", NULL };
  const char *bad_port[] = { "origin.test:0:127.0.0.1", NULL };
  const char *bad_addr[] = { "origin.test:443:not-an-ip", NULL };
  const char *good_pin[] = { "origin.test:443:127.0.0.1", "v6.origin.test:443:[::1]", NULL };
  struct {
    BimiFetchConfig c;
    const char *message;
  } cases[] = {
    { { .logo_max_bytes = BIMI_FETCH_MAX_BODY_BYTES + 1 }, "body cap" },
    { { .evidence_max_bytes = BIMI_FETCH_MAX_BODY_BYTES + 1 }, "body cap" },
    { { .max_redirects = BIMI_FETCH_MAX_REDIRECTS_LIMIT + 1 }, "max_redirects" },
    { { .ca_file = "/nonexistent/ca.pem" }, "ca_file" },
    { { .resolve = bad_pin }, "HOST:PORT:ADDRESS" },
    { { .resolve = bad_port }, "HOST:PORT:ADDRESS" },
    { { .resolve = bad_addr }, "not an IP address list" },
    { { .resolve = too_many }, "resolve pins" },
  };

  for (gsize i = 0; i < BIMI_FETCH_MAX_RESOLVE_PINS + 1; i++)
    too_many[i] = "origin.test:443:127.0.0.1";
  too_many[BIMI_FETCH_MAX_RESOLVE_PINS + 1] = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&cases[i].c, &error);
    g_assert_null(f);
    g_assert_error(error, BIMI_FETCH_ERROR, BIMI_FETCH_ERROR_CONFIG);
    g_assert_nonnull(strstr(error->message, cases[i].message));
  }
  {
    g_autoptr(GError) error = NULL;
    BimiFetchConfig ok = { .logo_max_bytes = BIMI_FETCH_MAX_BODY_BYTES, .max_redirects = 0, .redirects_set = TRUE,
                           .resolve = good_pin, .ca_file = "fixtures/tls/ca.pem" };
    g_autoptr(BimiFetcher) f = bimi_fetch_fetcher_new(&ok, &error);
    g_assert_no_error(error);
    g_assert_nonnull(f);
  }
}

static void
test_strings(void)
{
  const char *const *logo = bimi_fetch_default_types(BIMI_FETCH_KIND_LOGO);
  const char *const *evidence = bimi_fetch_default_types(BIMI_FETCH_KIND_EVIDENCE);

  g_assert_cmpstr(logo[0], ==, "image/svg+xml");
  g_assert_null(logo[1]);
  g_assert_true(g_strv_contains(evidence, "application/pem-certificate-chain"));
  g_assert_true(g_strv_contains(evidence, "application/x-x509-ca-cert"));
  g_assert_false(g_strv_contains(evidence, "text/html"));
  g_assert_cmpstr(bimi_fetch_reason_to_string(BIMI_FETCH_REASON_FORBIDDEN_ADDRESS), ==, "forbidden-address");
  g_assert_cmpstr(bimi_fetch_reason_to_string(BIMI_FETCH_REASON_TOO_LARGE), ==, "too-large");
  g_assert_cmpstr(bimi_fetch_reason_to_string(BIMI_FETCH_REASON_HTTP_STATUS), ==, "http-status");
  g_assert_cmpstr(bimi_fetch_reason_to_string(BIMI_FETCH_REASON_CONTENT_TYPE), ==, "content-type");
  g_assert_cmpstr(bimi_fetch_status_to_string(BIMI_FETCH_STATUS_NOT_MODIFIED), ==, "not-modified");
  g_assert_cmpstr(bimi_netaddr_class_to_string(BIMI_NETADDR_SHARED), ==, "shared");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/netaddr/classify/table", test_classify_table);
  g_test_add_func("/netaddr/classify/sockaddr", test_classify_sockaddr);
  g_test_add_func("/netaddr/parse", test_parse);
  g_test_add_func("/fetch/header/cache-control", test_cache_control);
  g_test_add_func("/fetch/header/media-type", test_media_type);
  g_test_add_func("/fetch/url/refused-before-network", test_url_checks);
  g_test_add_func("/fetch/url/host-final-form", test_host_final_form);
  g_test_add_func("/fetch/dns/resolve-pin", test_resolve_pin);
  g_test_add_func("/fetch/socket/endpoint-rule", test_endpoint_rule);
  g_test_add_func("/fetch/per-host/limit", test_per_host_slots);
  g_test_add_func("/fetch/per-host/wakeup", test_per_host_wakeup);
  g_test_add_func("/fetch/config/errors", test_config_errors);
  g_test_add_func("/fetch/strings", test_strings);
  return g_test_run();
}
