/* tests/test-cache-dns.c — engine/dns-cache: the in-process DNS answer cache.
 *
 * TTLs under an injected clock (a question whose answer expired reaches
 * libunbound again), RFC 2308 negative TTLs offline (zone SOA) and online
 * (the SOA of a loopback responder), temperror never kept, the entry and
 * byte bounds of engine/limits.h, and many threads on one cache (this file
 * is part of the ThreadSanitizer run: the Makefile's TSAN_TESTS).
 */
#include "engine/dns.h"
#include "engine/dns-private.h"
#include "tests/silent-dns.h"
#include "tests/lib/data.h"

#include <string.h>

/* ---- helpers --------------------------------------------------------------- */

typedef struct {
  gint64 now_us; /* atomic */
} FakeClock;

static gint64
fake_now(gpointer data)
{
  FakeClock *c = data;
  return __atomic_load_n(&c->now_us, __ATOMIC_RELAXED);
}

static void
advance(FakeClock *c, guint seconds)
{
  __atomic_fetch_add(&c->now_us, (gint64) seconds * G_USEC_PER_SEC, __ATOMIC_RELAXED);
}

static guint64
questions(BimiDnsResolver *r)
{
  BimiDnsCacheStats st;
  bimi_dns_resolver_get_cache_stats(r, &st);
  return st.questions;
}

static const char zone[] =
  "$ORIGIN example.\n"
  "@      300 IN SOA ns.example. hostmaster.example. 1 3600 600 86400 45\n"
  "host   60  IN TXT \"v=spf1 -all\"\n"
  "host   60  IN A 192.0.2.1\n"
  "alias  600 IN CNAME host.example.\n"
  "$ORIGIN other.\n"
  "plain  60  IN A 192.0.2.2\n";

/* A resolver answering from the zone above, its cache on @clock (transfer full). */
static BimiDnsResolver *
zone_resolver(FakeClock *clock)
{
  BimiDnsResolver *r = bimi_test_resolver_zone_text(zone, strlen(zone), "cache.zone");
  bimi_dns_resolver_set_clock(r, fake_now, clock);
  return r;
}

/* Looks @name/@type up on @r and asserts the answer's status and TTL (seconds). */
static void
assert_answer(BimiDnsResolver *r, const char *name, BimiDnsType type, BimiDnsStatus status, guint32 ttl)
{
  g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, name, type);

  g_assert_cmpint(a->status, ==, status);
  g_assert_cmpuint(a->ttl, ==, ttl);
}

/* ---- TTLs ------------------------------------------------------------------ */

/* The acceptance test: a positive answer is served from the cache
 * until its TTL runs out under the injected clock, then the question reaches
 * the resolver (libunbound) again. */
static void
test_ttl_expiry(void)
{
  FakeClock clock = { 1000 * G_USEC_PER_SEC };
  g_autoptr(BimiDnsResolver) r = zone_resolver(&clock);
  BimiDnsCacheStats st;
  guint64 q0;

  q0 = questions(r);
  assert_answer(r, "host.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NOERROR, 60);
  g_assert_cmpuint(questions(r), ==, q0 + 1);
  g_assert_true(bimi_dns_resolver_is_cached(r, "HOST.example.", BIMI_DNS_TYPE_TXT));
  g_assert_false(bimi_dns_resolver_is_cached(r, "host.example", BIMI_DNS_TYPE_A));

  advance(&clock, 40);
  {
    /* RFC 4343: the same question */
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "Host.Example.", BIMI_DNS_TYPE_TXT);
    g_assert_cmpint(a->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpuint(a->ttl, ==, 60); /* as received: decisions stay byte-identical */
    g_assert_cmpstr(a->qname, ==, "host.example");
    g_assert_cmpuint(a->records->len, ==, 1);
    g_assert_cmpmem(g_bytes_get_data(((BimiDnsRecord *) a->records->pdata[0])->text, NULL), 11, "v=spf1 -all", 11);
  }
  g_assert_cmpuint(questions(r), ==, q0 + 1); /* a hit: libunbound was not asked */

  advance(&clock, 20); /* exactly the TTL: expired */
  g_assert_false(bimi_dns_resolver_is_cached(r, "host.example", BIMI_DNS_TYPE_TXT));
  assert_answer(r, "host.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NOERROR, 60);
  g_assert_cmpuint(questions(r), ==, q0 + 2); /* the second question reached the resolver */
  bimi_dns_resolver_get_cache_stats(r, &st);
  g_assert_cmpuint(st.hits, ==, 1);
  g_assert_cmpuint(st.misses, ==, 2);
  g_assert_cmpuint(st.expirations, ==, 1);
  g_assert_cmpuint(st.insertions, ==, 2);
  g_assert_cmpuint(st.entries, ==, 1);
}

/* A CNAME chain is kept as the one final answer, for the smallest TTL on it. */
static void
test_cname_ttl(void)
{
  FakeClock clock = { 0 };
  g_autoptr(BimiDnsResolver) r = zone_resolver(&clock);
  guint64 q0;

  {
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "alias.example", BIMI_DNS_TYPE_A);
    g_assert_cmpint(a->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpstr(a->canonical_name, ==, "host.example");
    g_assert_cmpuint(a->ttl, ==, 60);
  }
  q0 = questions(r);
  advance(&clock, 59);
  {
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "alias.example", BIMI_DNS_TYPE_A);
    g_assert_cmpstr(a->canonical_name, ==, "host.example");
    g_assert_cmpuint(a->ttl, ==, 60);
  }
  g_assert_cmpuint(questions(r), ==, q0);
  advance(&clock, 1);
  g_autoptr(BimiDnsAnswer) b = bimi_test_lookup(r, "alias.example", BIMI_DNS_TYPE_A);
  g_assert_cmpuint(questions(r), >, q0);
}

/* RFC 2308 §5 offline: NXDOMAIN and NODATA under a zone's SOA are kept for
 * min(SOA TTL, MINIMUM) = 45 s; a name no SOA covers has TTL 0 and is asked
 * every time. */
static void
test_negative_offline(void)
{
  FakeClock clock = { 0 };
  g_autoptr(BimiDnsResolver) r = zone_resolver(&clock);
  guint64 q0;

  assert_answer(r, "missing.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NXDOMAIN, 45);
  assert_answer(r, "host.example", BIMI_DNS_TYPE_MX, BIMI_DNS_NODATA, 45);
  q0 = questions(r);
  advance(&clock, 44);
  assert_answer(r, "missing.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NXDOMAIN, 45);
  {
    g_autoptr(BimiDnsAnswer) nodata = bimi_test_lookup(r, "host.example", BIMI_DNS_TYPE_MX);
    g_assert_cmpint(nodata->status, ==, BIMI_DNS_NODATA);
    g_assert_cmpuint(nodata->records->len, ==, 0);
  }
  g_assert_cmpuint(questions(r), ==, q0);
  advance(&clock, 1);
  {
    g_autoptr(BimiDnsAnswer) nx = bimi_test_lookup(r, "missing.example", BIMI_DNS_TYPE_TXT);
    g_assert_cmpint(nx->status, ==, BIMI_DNS_NXDOMAIN);
  }
  g_assert_cmpuint(questions(r), ==, q0 + 1);

  /* other. has no SOA: no negative TTL, nothing kept */
  for (int i = 0; i < 2; i++)
    assert_answer(r, "missing.other", BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN, 0);
  g_assert_cmpuint(questions(r), ==, q0 + 3);
}

/* RFC 2308 §5 online: the responder's NXDOMAIN carries an SOA with TTL 3600
 * and MINIMUM 30: the answer is kept 30 s. */
static void
test_negative_online(void)
{
  SilentDns *server = silent_dns_start(0, "v=spf1 -all");
  g_autofree char *fwd = g_strdup_printf("127.0.0.1@%u", silent_dns_port(server));
  const char *fwds[] = { fwd, NULL };
  BimiDnsConfig config = { .forwarders = fwds, .timeout_ms = 3000 };
  FakeClock clock = { 0 };
  BimiDnsResolver *r = bimi_test_resolver_new(&config);
  guint64 q0;

  bimi_dns_resolver_set_clock(r, fake_now, &clock);
  assert_answer(r, "nxhost.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NXDOMAIN,
                MIN(SILENT_DNS_SOA_TTL, SILENT_DNS_SOA_MINIMUM));
  assert_answer(r, "txt.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NOERROR, 60);
  q0 = questions(r);
  advance(&clock, SILENT_DNS_SOA_MINIMUM - 1);
  assert_answer(r, "nxhost.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NXDOMAIN,
                MIN(SILENT_DNS_SOA_TTL, SILENT_DNS_SOA_MINIMUM));
  g_assert_cmpuint(questions(r), ==, q0);
  advance(&clock, 1);
  {
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "nxhost.example", BIMI_DNS_TYPE_TXT);
    g_assert_cmpint(a->status, ==, BIMI_DNS_NXDOMAIN);
  }
  g_assert_cmpuint(questions(r), ==, q0 + 1);
  bimi_dns_resolver_unref(r);
  silent_dns_stop(server);
}

/* Temperror (here the fault list's "timeout") is never kept. */
static void
test_temperror_not_kept(void)
{
  g_autoptr(BimiDnsResolver) r = bimi_test_resolver_zone_text(zone, strlen(zone), "cache.zone");
  g_autoptr(GError) error = NULL;
  guint64 q0;

  g_assert_true(bimi_dns_resolver_add_fault_name(r, "missing.example", &error));
  g_assert_no_error(error);
  q0 = questions(r);
  for (int i = 0; i < 3; i++) {
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "missing.example", BIMI_DNS_TYPE_TXT);
    g_assert_cmpint(a->status, ==, BIMI_DNS_TEMPERROR);
  }
  g_assert_cmpuint(questions(r), ==, q0 + 3);
  g_assert_false(bimi_dns_resolver_is_cached(r, "missing.example", BIMI_DNS_TYPE_TXT));
}

/* New zone data empties the cache: the next answer is the new one. */
static void
test_zone_data_clears(void)
{
  static const char more[] = "late.example. 300 IN A 192.0.2.9\n";
  g_autoptr(BimiDnsResolver) r = bimi_test_resolver_zone_text(zone, strlen(zone), "cache.zone");
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsAnswer) before = bimi_test_lookup(r, "late.example", BIMI_DNS_TYPE_A);
  g_autoptr(BimiDnsAnswer) after = NULL;

  g_assert_cmpint(before->status, ==, BIMI_DNS_NXDOMAIN);
  g_assert_true(bimi_dns_resolver_add_zone_data(r, more, strlen(more), "more.zone", NULL, &error));
  g_assert_no_error(error);
  after = bimi_test_lookup(r, "late.example", BIMI_DNS_TYPE_A);
  g_assert_cmpint(after->status, ==, BIMI_DNS_NOERROR);
}

/* ---- the bounds of engine/limits.h ---------------------------------------- */

static BimiDnsAnswer *
fake_answer(const char *qname, GBytes *text, guint n_records)
{
  BimiDnsAnswer *a = g_new0(BimiDnsAnswer, 1);
  a->qname = g_strdup(qname);
  a->type = BIMI_DNS_TYPE_TXT;
  a->status = BIMI_DNS_NOERROR;
  a->ttl = 300;
  a->records = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_dns__record_free);
  for (guint i = 0; i < n_records; i++) {
    BimiDnsRecord *rec = g_new0(BimiDnsRecord, 1);
    rec->type = BIMI_DNS_TYPE_TXT;
    rec->ttl = 300;
    rec->text = g_bytes_ref(text);
    rec->strings = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    g_ptr_array_add(rec->strings, g_bytes_ref(text));
    g_ptr_array_add(a->records, rec);
  }
  return a;
}

static void
insert_name(BimiDnsCache *cache, guint i, GBytes *text, guint n_records)
{
  g_autofree char *qname = g_strdup_printf("n%u.example", i);
  g_autoptr(BimiDnsAnswer) a = fake_answer(qname, text, n_records);
  BimiDnsName wire;
  g_assert_true(bimi_dns__name_from_text(qname, strlen(qname), NULL, &wire, NULL));
  bimi_dns__cache_insert(cache, &wire, a, 0);
}

static gboolean
has_name(BimiDnsCache *cache, guint i)
{
  g_autofree char *qname = g_strdup_printf("n%u.example", i);
  BimiDnsName wire;
  g_assert_true(bimi_dns__name_from_text(qname, strlen(qname), NULL, &wire, NULL));
  return bimi_dns__cache_contains(cache, &wire, BIMI_DNS_TYPE_TXT, 0);
}

/* BIMI_DNS_CACHE_MAX_ENTRIES: twice as many answers leave exactly the bound
 * held (every stripe full), the oldest gone first. */
static void
test_limit_entries(void)
{
  g_autoptr(BimiDnsCache) cache = bimi_dns__cache_new(BIMI_DNS_CACHE_MAX_ENTRIES, BIMI_DNS_CACHE_MAX_BYTES);
  g_autoptr(GBytes) text = g_bytes_new_static("v=spf1 -all", 11);
  const guint n = 2 * BIMI_DNS_CACHE_MAX_ENTRIES;
  BimiDnsCacheStats st;

  for (guint i = 0; i < n; i++)
    insert_name(cache, i, text, 1);
  bimi_dns__cache_get_stats(cache, &st);
  g_assert_cmpuint(st.insertions, ==, n);
  g_assert_cmpuint(st.entries, ==, BIMI_DNS_CACHE_MAX_ENTRIES);
  g_assert_cmpuint(st.evictions, ==, n - BIMI_DNS_CACHE_MAX_ENTRIES);
  g_assert_cmpuint(st.bytes, <=, BIMI_DNS_CACHE_MAX_BYTES);
  g_assert_false(has_name(cache, 0));
  g_assert_true(has_name(cache, n - 1));
  g_test_message("%u entries, %" G_GSIZE_FORMAT " bytes held", st.entries, st.bytes);
}

/* BIMI_DNS_CACHE_MAX_BYTES: large answers evict by bytes long before the
 * entry bound; one answer above a stripe's share is not kept at all. */
static void
test_limit_bytes(void)
{
  g_autoptr(BimiDnsCache) cache = bimi_dns__cache_new(BIMI_DNS_CACHE_MAX_ENTRIES, BIMI_DNS_CACHE_MAX_BYTES);
  g_autofree guint8 *big = g_malloc0(BIMI_DNS_MAX_RDATA_BYTES);
  g_autoptr(GBytes) text = g_bytes_new(big, BIMI_DNS_MAX_RDATA_BYTES);
  g_autoptr(BimiDnsAnswer) probe = fake_answer("n0.example", text, 4);
  gsize each = bimi_dns__cache_answer_bytes(probe);
  guint n = (guint) (2 * BIMI_DNS_CACHE_MAX_BYTES / each);
  BimiDnsCacheStats st;

  g_assert_cmpuint(n, <, BIMI_DNS_CACHE_MAX_ENTRIES);
  for (guint i = 0; i < n; i++)
    insert_name(cache, i, text, 4);
  bimi_dns__cache_get_stats(cache, &st);
  g_assert_cmpuint(st.bytes, <=, BIMI_DNS_CACHE_MAX_BYTES);
  g_assert_cmpuint(st.bytes, >, BIMI_DNS_CACHE_MAX_BYTES / 2);
  g_assert_cmpuint(st.evictions, >, 0);
  g_assert_cmpuint(st.entries, ==, n - st.evictions);
  g_assert_true(has_name(cache, n - 1));

  /* more than 1/BIMI_DNS_CACHE_STRIPES of the bytes in one answer */
  insert_name(cache, n, text, (guint) (BIMI_DNS_CACHE_MAX_BYTES / BIMI_DNS_CACHE_STRIPES / each * 4 + 4));
  g_assert_false(has_name(cache, n));
}

/* ---- threads (TSan) -------------------------------------------------------- */

typedef struct {
  BimiDnsResolver *resolver;
  FakeClock *clock;
  gint failures;
  gint stop;
} Shared;

static gpointer
worker(gpointer data)
{
  Shared *s = data;
  static const struct { const char *name; BimiDnsType type; BimiDnsStatus status; } qs[] = {
    { "host.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NOERROR }, { "host.example", BIMI_DNS_TYPE_A, BIMI_DNS_NOERROR },
    { "alias.example", BIMI_DNS_TYPE_A, BIMI_DNS_NOERROR },  { "missing.example", BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN },
    { "host.example", BIMI_DNS_TYPE_MX, BIMI_DNS_NODATA },   { "plain.other", BIMI_DNS_TYPE_A, BIMI_DNS_NOERROR },
  };
  for (guint i = 0; i < 300; i++) {
    g_autoptr(BimiDnsAnswer) a = bimi_dns_lookup(s->resolver, qs[i % G_N_ELEMENTS(qs)].name,
                                                 qs[i % G_N_ELEMENTS(qs)].type, NULL);
    if (a == NULL || a->status != qs[i % G_N_ELEMENTS(qs)].status ||
        (a->status == BIMI_DNS_NOERROR && a->records->len != 1))
      g_atomic_int_inc(&s->failures);
  }
  return NULL;
}

static gpointer
ticker(gpointer data)
{
  Shared *s = data;
  while (!g_atomic_int_get(&s->stop)) {
    advance(s->clock, 7); /* entries expire while others read them */
    g_usleep(200);
  }
  return NULL;
}

static void
test_threads(void)
{
  FakeClock clock = { 0 };
  g_autoptr(BimiDnsResolver) r = zone_resolver(&clock);
  Shared s = { r, &clock, 0, 0 };
  GThread *threads[8], *tick;
  BimiDnsCacheStats st;

  tick = g_thread_new("ticker", ticker, &s);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("lookups", worker, &s);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  g_atomic_int_set(&s.stop, 1);
  g_thread_join(tick);
  g_assert_cmpint(s.failures, ==, 0);
  bimi_dns_resolver_get_cache_stats(r, &st);
  g_assert_cmpuint(st.hits + st.misses, ==, 8 * 300);
  g_assert_cmpuint(st.hits, >, 0);
  g_test_message("8 threads: %" G_GUINT64_FORMAT " hits, %" G_GUINT64_FORMAT " misses, %" G_GUINT64_FORMAT
                 " expirations",
                 st.hits, st.misses, st.expirations);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache-dns/ttl/expiry", test_ttl_expiry);
  g_test_add_func("/cache-dns/ttl/cname", test_cname_ttl);
  g_test_add_func("/cache-dns/ttl/negative-offline", test_negative_offline);
  g_test_add_func("/cache-dns/ttl/negative-online", test_negative_online);
  g_test_add_func("/cache-dns/ttl/temperror-not-kept", test_temperror_not_kept);
  g_test_add_func("/cache-dns/zone-data-clears", test_zone_data_clears);
  g_test_add_func("/cache-dns/limits/entries", test_limit_entries);
  g_test_add_func("/cache-dns/limits/bytes", test_limit_bytes);
  g_test_add_func("/cache-dns/threads", test_threads);
  return g_test_run();
}
