/* tests/test-dns.c — engine/dns: the libunbound wrapper, offline zone data,
 * the fault list, CNAME chasing, deadlines, concurrency.
 *
 * Offline tests answer from fixtures/dns/example.zone and inline zone text.
 * Online tests talk to a tiny UDP responder on 127.0.0.1 run by this file
 * (silent, late, SERVFAIL, oversized answers): no network is needed.
 */
#include "engine/dns.h"
#include "tests/lib/dns-wire.h"
#include "engine/dns-private.h"
#include "tests/silent-dns.h"
#include "tests/lib/cli.h"
#include "tests/lib/data.h"
#include "tests/lib/files.h"
#include "tests/lib/net.h"
#include "tests/lib/outcome.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib/gstdio.h>

#define FIXTURE "fixtures/dns/example.zone"

/* ---- helpers --------------------------------------------------------------- */

static BimiDnsResolver *
offline_resolver(const char *zone_text)
{
  return bimi_test_resolver_zone_text(zone_text, zone_text ? strlen(zone_text) : 0, "inline.zone");
}

static BimiDnsResolver *
fixture_resolver(const char *const *fault_names)
{
  const char *zones[] = { FIXTURE, NULL };
  return bimi_test_resolver_zone_files(zones, fault_names);
}

static void
assert_status(BimiDnsResolver *r, const char *name, BimiDnsType type, BimiDnsStatus status)
{
  g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, name, type);
  if (a->status != status)
    g_error("%s %s: %s (%s), expected %s", name, bimi_dns_type_to_string(type), bimi_dns_status_to_string(a->status),
            a->detail ? a->detail : "-", bimi_dns_status_to_string(status));
  if (status != BIMI_DNS_NOERROR)
    g_assert_cmpuint(a->records->len, ==, 0);
  else
    g_assert_cmpuint(a->records->len, >, 0);
}

static const BimiDnsRecord *
record(const BimiDnsAnswer *a, guint i)
{
  g_assert_cmpuint(i, <, a->records->len);
  return a->records->pdata[i];
}

static void
assert_text(const BimiDnsRecord *rec, const char *expected)
{
  g_assert_cmpmem(g_bytes_get_data(rec->text, NULL), g_bytes_get_size(rec->text), expected, strlen(expected));
}

static char *
address_text(const BimiDnsRecord *rec)
{
  return g_inet_address_to_string(rec->address);
}

/* ---- a tiny UDP responder on 127.0.0.1 ------------------------------------ */

typedef enum {
  FAKE_ANSWER,   /* A 192.0.2.1, TXT "v=spf1 " "-all", NXDOMAIN for names starting "nx" */
  FAKE_SERVFAIL, /* RCODE 2 for everything */
  FAKE_BIG,      /* BIMI_DNS_MAX_ANSWER_RECORDS + 1 A records */
} FakeMode;

typedef struct {
  int fd;
  guint16 port;
  FakeMode mode;
  guint delay_ms;  /* before replying to names starting with "late" */
  gint stop;
  gint queries;
  GThread *thread;
} FakeServer;

/* A reply waiting for its time. */
typedef struct {
  gint64 due;
  GByteArray *reply;
  struct sockaddr_storage to;
  socklen_t tolen;
} Scheduled;

static void
scheduled_free(Scheduled *s)
{
  g_byte_array_unref(s->reply);
  g_free(s);
}

/* RFC 1035 §4.1: header, the question echoed, answers pointing at it. */
static GByteArray *
fake_reply(const FakeServer *fs, const guint8 *q, gsize qlen)
{
  gsize pos = 12, qend;
  guint qtype;
  gboolean nx;
  GByteArray *b;
  guint rcode = 0, ancount = 0;

  if (qlen < 12)
    return NULL;
  while (pos < qlen && q[pos] != 0)
    pos += 1 + q[pos];
  if (pos + 5 > qlen)
    return NULL;
  qend = pos + 5;
  qtype = (guint) (q[pos + 1] << 8 | q[pos + 2]);
  nx = qlen > 14 && q[12] >= 2 && q[13] == 'n' && q[14] == 'x';

  if (fs->mode == FAKE_SERVFAIL)
    rcode = 2;
  else if (fs->mode == FAKE_ANSWER && nx)
    rcode = 3;
  else if (fs->mode == FAKE_BIG && qtype == BIMI_DNS_TYPE_A)
    ancount = BIMI_DNS_MAX_ANSWER_RECORDS + 1;
  else if (fs->mode == FAKE_ANSWER && (qtype == BIMI_DNS_TYPE_A || qtype == BIMI_DNS_TYPE_TXT))
    ancount = 1;

  b = bimi_test_dns_reply_new(q, qend, rcode, ancount, 0);
  for (guint i = 0; i < ancount; i++) {
    bimi_test_dns_answer_start(b, qtype, 60);
    if (qtype == BIMI_DNS_TYPE_TXT) {
      static const guint8 txt[] = { 7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l' };
      bimi_test_dns_put16(b, sizeof txt);
      g_byte_array_append(b, txt, sizeof txt);
    } else {
      guint8 addr[4] = { 192, 0, 2, (guint8) (1 + i % 250) };
      addr[2] = (guint8) (2 + i / 250);
      bimi_test_dns_put16(b, 4);
      g_byte_array_append(b, addr, 4);
    }
  }
  return b;
}

static gpointer
fake_thread(gpointer data)
{
  FakeServer *fs = data;
  g_autoptr(GPtrArray) queue = g_ptr_array_new_with_free_func((GDestroyNotify) scheduled_free);

  while (!g_atomic_int_get(&fs->stop)) {
    BimiTestDatagram d;
    Scheduled *sc;
    gint64 now = g_get_monotonic_time();
    int wait_ms = 20;

    for (guint i = 0; i < queue->len;) {
      sc = queue->pdata[i];
      if (sc->due <= now) {
        (void) sendto(fs->fd, sc->reply->data, sc->reply->len, 0, (struct sockaddr *) &sc->to, sc->tolen);
        g_ptr_array_remove_index(queue, i);
      } else {
        wait_ms = MIN(wait_ms, (int) ((sc->due - now) / 1000) + 1);
        i++;
      }
    }
    if (!bimi_test_udp_receive(fs->fd, wait_ms, &d))
      continue;
    g_atomic_int_inc(&fs->queries);
    sc = g_new0(Scheduled, 1);
    sc->reply = fake_reply(fs, d.data, d.len);
    if (sc->reply == NULL) {
      g_free(sc);
      continue;
    }
    sc->due = g_get_monotonic_time();
    if (d.len > 17 && memcmp(d.data + 13, "late", 4) == 0)
      sc->due += (gint64) fs->delay_ms * G_TIME_SPAN_MILLISECOND;
    memcpy(&sc->to, &d.from, d.fromlen);
    sc->tolen = d.fromlen;
    g_ptr_array_add(queue, sc);
  }
  return NULL;
}

static FakeServer *
fake_start(FakeMode mode, guint delay_ms)
{
  FakeServer *fs = g_new0(FakeServer, 1);
  fs->fd = bimi_test_udp_listen(&fs->port);
  fs->mode = mode;
  fs->delay_ms = delay_ms;
  fs->thread = g_thread_new("fake-dns", fake_thread, fs);
  return fs;
}

static void
fake_stop(FakeServer *fs)
{
  g_atomic_int_set(&fs->stop, 1);
  g_thread_join(fs->thread);
  close(fs->fd);
  g_free(fs);
}

static BimiDnsResolver *
forwarding_resolver(guint16 port, guint timeout_ms)
{
  g_autofree char *fwd = g_strdup_printf("127.0.0.1@%u", port);
  const char *fwds[] = { fwd, NULL };
  BimiDnsConfig config = { 0 };

  config.forwarders = fwds;
  config.timeout_ms = timeout_ms;
  return bimi_test_resolver_new(&config);
}

/* `build/bimi dns ARGS...`: the exit code, stdout and stderr. */
static int
run_cli(const char *const *args, char **out, char **err)
{
  return bimi_test_cli_run("dns", args, out, err);
}

/* Plain --help lists the DNS options (not only --help-dns) under "bimi dns". */
static void
test_cli_help(void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = { "--help", NULL };
  const char *expected[] = { "Usage:\n  bimi dns [OPTION", "--json", "--zone=FILE", "--dns-timeout=NAME",
                             "--forwarder=ADDR[@PORT]", "--timeout-ms=MS", "--trust-anchor=FILE" };

  g_assert_cmpint(run_cli(args, &out, &err), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
    if (strstr(out, expected[i]) == NULL)
      g_error("--help output lacks '%s':\n%s", expected[i], out);
  }
}

/* Inputs refused rather than silently taken: --zone with --forwarder (offline
 * has no server to forward to) and a --timeout-ms below 1. */
static void
test_cli_refused(void)
{
  static const struct { const char *args[8]; const char *in_err; } cases[] = {
    { { "A", "mail.example.com", "--zone", FIXTURE, "--forwarder", "127.0.0.1@53", NULL },
      "--zone and --forwarder are exclusive" },
    { { "A", "mail.example.com", "--zone", FIXTURE, "--timeout-ms", "0", NULL }, "--timeout-ms must be at least 1" },
    { { "A", "mail.example.com", "--zone", FIXTURE, "--timeout-ms", "-5", NULL }, "--timeout-ms must be at least 1" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_assert_cmpint(run_cli(cases[i].args, &out, &err), ==, 2);
    if (strstr(err, cases[i].in_err) == NULL || strstr(err, "Try 'bimi dns --help'") == NULL)
      g_error("case %" G_GSIZE_FORMAT ": stderr '%s' lacks '%s'", i, err, cases[i].in_err);
    g_assert_cmpstr(out, ==, "");
  }
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *args[] = { "A", "mail.example.com", "--zone", FIXTURE, "--timeout-ms", "2000", NULL };
    g_assert_cmpint(run_cli(args, &out, &err), ==, 0);
    g_assert_nonnull(strstr(out, "A 300 192.0.2.25"));
  }
}

/* ---- offline answers ---------------------------------------------------------- */

/* The three non-error outcomes, told apart (RFC 2308 §2.1, §2.2). */
static void
test_offline_statuses(void)
{
  g_autoptr(BimiDnsResolver) r = fixture_resolver(NULL);
  g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "_dmarc.example.com", BIMI_DNS_TYPE_TXT);

  g_assert_cmpint(a->status, ==, BIMI_DNS_NOERROR);
  g_assert_cmpstr(a->qname, ==, "_dmarc.example.com");
  g_assert_cmpuint(a->ttl, ==, 3600);
  g_assert_null(a->canonical_name);
  g_assert_null(a->detail);
  g_assert_cmpuint(a->records->len, ==, 1);
  assert_text(record(a, 0), "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
  g_assert_cmpuint(record(a, 0)->strings->len, ==, 1);

  assert_status(r, "_dmarc.example.com", BIMI_DNS_TYPE_AAAA, BIMI_DNS_NODATA);
  assert_status(r, "nothing.example.com", BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN);
  assert_status(r, "x._dmarc.example.com", BIMI_DNS_TYPE_TXT, BIMI_DNS_NXDOMAIN);
  assert_status(r, "example.org", BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN);
  /* empty non-terminals exist: NODATA (RFC 8020 §2 reasoning) */
  assert_status(r, "_bimi.example.com", BIMI_DNS_TYPE_TXT, BIMI_DNS_NODATA);
  assert_status(r, "_domainkey.example.com", BIMI_DNS_TYPE_TXT, BIMI_DNS_NODATA);
  assert_status(r, "com", BIMI_DNS_TYPE_A, BIMI_DNS_NODATA);
  assert_status(r, "in-addr.arpa", BIMI_DNS_TYPE_PTR, BIMI_DNS_NODATA);
  {
    g_autoptr(BimiDnsAnswer) nx = bimi_test_lookup(r, "nothing.example.com", BIMI_DNS_TYPE_TXT);
    g_autoptr(BimiDnsAnswer) nodata = bimi_test_lookup(r, "_dmarc.example.com", BIMI_DNS_TYPE_MX);
    /* offline negative answers have no SOA, hence no negative TTL */
    g_assert_cmpuint(nx->ttl, ==, 0);
    g_assert_cmpuint(nodata->ttl, ==, 0);
  }
}

/* libunbound's built-in zones do not leak into offline data. */
static void
test_offline_builtin_zones(void)
{
  g_autoptr(BimiDnsResolver) r = fixture_resolver(NULL);
  const char *names[] = { "localhost", "1.0.0.127.in-addr.arpa", "127.in-addr.arpa", "test", "x.test", "invalid",
                          "onion", "home.arpa", "10.in-addr.arpa", "1.1.168.192.in-addr.arpa",
                          "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
                          "resolver.arpa", "d.f.ip6.arpa" };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    assert_status(r, names[i], BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN);
    assert_status(r, names[i], BIMI_DNS_TYPE_PTR, BIMI_DNS_NXDOMAIN);
  }
  /* but zone data under such names is served */
  {
    g_autoptr(BimiDnsResolver) r2 = offline_resolver("mail.test. A 192.0.2.7\nlocalhost. A 192.0.2.8\n");
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r2, "mail.test", BIMI_DNS_TYPE_A);
    g_autoptr(BimiDnsAnswer) b = bimi_test_lookup(r2, "localhost", BIMI_DNS_TYPE_A);
    g_autofree char *s1 = NULL, *s2 = NULL;
    g_assert_cmpint(a->status, ==, BIMI_DNS_NOERROR);
    s1 = address_text(record(a, 0));
    g_assert_cmpstr(s1, ==, "192.0.2.7");
    g_assert_cmpint(b->status, ==, BIMI_DNS_NOERROR);
    s2 = address_text(record(b, 0));
    g_assert_cmpstr(s2, ==, "192.0.2.8");
    assert_status(r2, "localhost", BIMI_DNS_TYPE_AAAA, BIMI_DNS_NODATA);
  }
}

/* Every type, with the fixture's records. */
static void
test_offline_types(void)
{
  g_autoptr(BimiDnsResolver) r = fixture_resolver(NULL);
  g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "Example.COM.", BIMI_DNS_TYPE_A);
  g_autoptr(BimiDnsAnswer) aaaa = bimi_test_lookup(r, "example.com", BIMI_DNS_TYPE_AAAA);
  g_autoptr(BimiDnsAnswer) mx = bimi_test_lookup(r, "example.com", BIMI_DNS_TYPE_MX);
  g_autoptr(BimiDnsAnswer) ptr = bimi_test_lookup(r, "25.2.0.192.in-addr.arpa", BIMI_DNS_TYPE_PTR);
  g_autoptr(BimiDnsAnswer) cname = bimi_test_lookup(r, "smtp.example.com", BIMI_DNS_TYPE_CNAME);
  g_autoptr(BimiDnsAnswer) mail = bimi_test_lookup(r, "mail.example.com", BIMI_DNS_TYPE_A);
  g_autofree char *s1 = address_text(record(a, 0));
  g_autofree char *s2 = address_text(record(aaaa, 0));
  const BimiDnsRecord *m0, *m1;

  g_assert_cmpstr(a->qname, ==, "example.com");
  g_assert_cmpstr(s1, ==, "192.0.2.10");
  g_assert_cmpint(record(a, 0)->type, ==, BIMI_DNS_TYPE_A);
  g_assert_cmpstr(s2, ==, "2001:db8::10");
  g_assert_cmpuint(mx->records->len, ==, 2);
  m0 = record(mx, 0);
  m1 = record(mx, 1);
  if (m0->preference > m1->preference) {
    const BimiDnsRecord *t = m0;
    m0 = m1;
    m1 = t;
  }
  g_assert_cmpuint(m0->preference, ==, 10);
  g_assert_cmpstr(m0->name, ==, "mail.example.com");
  g_assert_cmpuint(m1->preference, ==, 20);
  g_assert_cmpstr(m1->name, ==, "mail2.example.com");
  g_assert_cmpstr(record(ptr, 0)->name, ==, "mail.example.com");
  g_assert_cmpuint(ptr->ttl, ==, 3600);
  /* asking for the CNAME itself: the record, nothing followed */
  g_assert_cmpint(cname->status, ==, BIMI_DNS_NOERROR);
  g_assert_cmpstr(record(cname, 0)->name, ==, "mail.example.com");
  g_assert_null(cname->canonical_name);
  g_assert_cmpuint(cname->ttl, ==, 600);
  /* explicit TTLs win over $TTL, both orders of TTL and class */
  g_assert_cmpuint(mail->ttl, ==, 300);
  g_assert_cmpuint(record(mail, 0)->ttl, ==, 300);
  assert_status(r, "mail.example.com", BIMI_DNS_TYPE_AAAA, BIMI_DNS_NOERROR);
  {
    g_autoptr(BimiDnsAnswer) p26 = bimi_test_lookup(r, "26.2.0.192.in-addr.arpa", BIMI_DNS_TYPE_PTR);
    g_assert_cmpuint(p26->ttl, ==, 86400);
  }
}

/* TXT strings joined with nothing between (RFC 7208 §3.3, RFC 6376
 * §3.6.2.2) and kept apart; escapes resolved (RFC 1035 §5.1). */
static void
test_offline_txt(void)
{
  g_autoptr(BimiDnsResolver) r = fixture_resolver(NULL);
  g_autoptr(BimiDnsAnswer) dkim = bimi_test_lookup(r, "brisbane._domainkey.example.com", BIMI_DNS_TYPE_TXT);
  g_autoptr(BimiDnsAnswer) esc = bimi_test_lookup(r, "escaped.example.com", BIMI_DNS_TYPE_TXT);
  g_autoptr(BimiDnsAnswer) bimi = bimi_test_lookup(r, "default._bimi.example.com", BIMI_DNS_TYPE_TXT);
  const BimiDnsRecord *k = record(dkim, 0);

  assert_text(k, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  g_assert_cmpuint(k->strings->len, ==, 2);
  g_assert_cmpmem(g_bytes_get_data(k->strings->pdata[0], NULL), g_bytes_get_size(k->strings->pdata[0]),
                  "v=DKIM1; k=ed25519; ", 20);
  assert_text(record(esc, 0), "say \"hello\"; byesecond;string");
  g_assert_cmpuint(record(esc, 0)->strings->len, ==, 2);
  assert_text(record(bimi, 0), "v=BIMI1; l=https://bimi.example.com/logo.svg; a=https://bimi.example.com/vmc.pem");
  assert_status(r, "example.com", BIMI_DNS_TYPE_SPF, BIMI_DNS_NODATA);
}

/* SPF (type 99), binary bytes, empty strings and an empty RDATA. */
static void
test_offline_spf_and_binary(void)
{
  g_autoptr(BimiDnsResolver) r = offline_resolver("spf.example. SPF \"v=spf1 \" \"-all\"\n"
                                                  "bin.example. TXT \"\\000\\255\\\"\" \"\" \"x\"\n"
                                                  "null.example. SPF \\# 1 00\n");
  g_autoptr(BimiDnsAnswer) spf = bimi_test_lookup(r, "spf.example", BIMI_DNS_TYPE_SPF);
  g_autoptr(BimiDnsAnswer) bin = bimi_test_lookup(r, "bin.example", BIMI_DNS_TYPE_TXT);
  g_autoptr(BimiDnsAnswer) null = bimi_test_lookup(r, "null.example", BIMI_DNS_TYPE_SPF);

  g_assert_cmpint(record(spf, 0)->type, ==, BIMI_DNS_TYPE_SPF);
  assert_text(record(spf, 0), "v=spf1 -all");
  g_assert_cmpmem(g_bytes_get_data(record(bin, 0)->text, NULL), g_bytes_get_size(record(bin, 0)->text),
                  "\0\377\"x", 4);
  g_assert_cmpuint(record(bin, 0)->strings->len, ==, 3);
  g_assert_cmpint(null->status, ==, BIMI_DNS_NOERROR);
  g_assert_cmpuint(record(null, 0)->strings->len, ==, 1);
  g_assert_cmpuint(g_bytes_get_size(record(null, 0)->text), ==, 0);
  assert_status(r, "spf.example", BIMI_DNS_TYPE_TXT, BIMI_DNS_NODATA);
}

/* RFC 1034 §3.6.2: CNAMEs are followed, loops and long chains are temperror. */
static void
test_offline_cname(void)
{
  g_autoptr(GString) zone = g_string_new("a.example. 300 CNAME b.example.\n"
                                         "b.example. 200 CNAME c.example.\n"
                                         "c.example. 100 TXT \"end\"\n"
                                         "loop1.example. CNAME loop2.example.\n"
                                         "loop2.example. CNAME loop1.example.\n"
                                         "self.example. CNAME self.example.\n"
                                         "dangling.example. CNAME nowhere.example.\n"
                                         "fixture.example. CNAME www.example.com.\n");
  g_autoptr(BimiDnsResolver) r = NULL;

  /* chain0 -> chain1 -> ... -> chainN: N CNAMEs */
  for (guint i = 0; i <= BIMI_DNS_MAX_CNAME_CHAIN; i++)
    g_string_append_printf(zone, "chain%u.example. CNAME chain%u.example.\n", i, i + 1);
  g_string_append_printf(zone, "chain%u.example. A 192.0.2.99\n", BIMI_DNS_MAX_CNAME_CHAIN + 1);
  r = offline_resolver(zone->str);
  {
    const char *second = "www.example.com. 50 CNAME example.com.\nexample.com. A 192.0.2.10\n";
    g_autoptr(GError) error = NULL;
    g_assert_true(bimi_dns_resolver_add_zone_data(r, second, strlen(second), "second.zone", NULL, &error));
  }
  {
    g_autoptr(BimiDnsAnswer) x = bimi_test_lookup(r, "a.example", BIMI_DNS_TYPE_TXT);
    g_assert_cmpint(x->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpstr(x->canonical_name, ==, "c.example");
    assert_text(record(x, 0), "end");
    g_assert_cmpuint(x->ttl, ==, 100);
  }
  {
    g_autoptr(BimiDnsAnswer) x = bimi_test_lookup(r, "a.example", BIMI_DNS_TYPE_A);
    g_assert_cmpint(x->status, ==, BIMI_DNS_NODATA);
    g_assert_cmpstr(x->canonical_name, ==, "c.example");
  }
  {
    g_autoptr(BimiDnsAnswer) x = bimi_test_lookup(r, "dangling.example", BIMI_DNS_TYPE_A);
    g_assert_cmpint(x->status, ==, BIMI_DNS_NXDOMAIN);
    g_assert_cmpstr(x->canonical_name, ==, "nowhere.example");
  }
  {
    g_autoptr(BimiDnsAnswer) x = bimi_test_lookup(r, "loop1.example", BIMI_DNS_TYPE_A);
    g_assert_cmpint(x->status, ==, BIMI_DNS_TEMPERROR);
    g_assert_cmpstr(x->detail, ==, "CNAME loop at loop1.example");
    g_assert_cmpuint(x->records->len, ==, 0);
    g_assert_cmpuint(x->ttl, ==, 0);
  }
  {
    g_autoptr(BimiDnsAnswer) x = bimi_test_lookup(r, "self.example", BIMI_DNS_TYPE_TXT);
    g_assert_cmpint(x->status, ==, BIMI_DNS_TEMPERROR);
    g_assert_cmpstr(x->detail, ==, "CNAME loop at self.example");
  }
  {
    /* chain1 is BIMI_DNS_MAX_CNAME_CHAIN CNAMEs from the A record: allowed */
    g_autoptr(BimiDnsAnswer) ok = bimi_test_lookup(r, "chain1.example", BIMI_DNS_TYPE_A);
    g_autoptr(BimiDnsAnswer) bad = bimi_test_lookup(r, "chain0.example", BIMI_DNS_TYPE_A);
    g_autofree char *expected = g_strdup_printf("chain%u.example", BIMI_DNS_MAX_CNAME_CHAIN + 1);
    g_assert_cmpint(ok->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpstr(ok->canonical_name, ==, expected);
    g_assert_cmpint(bad->status, ==, BIMI_DNS_TEMPERROR);
    g_assert_cmpstr(bad->detail, ==, "more than 8 CNAMEs");
  }
  {
    /* across zone sources */
    g_autoptr(BimiDnsAnswer) x = bimi_test_lookup(r, "fixture.example", BIMI_DNS_TYPE_A);
    g_autofree char *s = NULL;
    g_assert_cmpint(x->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpstr(x->canonical_name, ==, "example.com");
    s = address_text(record(x, 0));
    g_assert_cmpstr(s, ==, "192.0.2.10");
    g_assert_cmpuint(x->ttl, ==, 50);
  }
}

/* RFC 7208 test-suite TIMEOUT: unanswerable questions about a listed name
 * time out; questions its data answers still answer. */
static void
test_fault_list(void)
{
  const char *faults[] = { "_dmarc.example.com", "GONE.example.com.", NULL };
  g_autoptr(BimiDnsResolver) r = fixture_resolver(faults);
  g_autoptr(BimiDnsAnswer) txt = bimi_test_lookup(r, "_dmarc.example.com", BIMI_DNS_TYPE_TXT);
  g_autoptr(BimiDnsAnswer) aaaa = bimi_test_lookup(r, "_DMARC.example.com.", BIMI_DNS_TYPE_AAAA);
  g_autoptr(BimiDnsAnswer) gone = bimi_test_lookup(r, "gone.example.com", BIMI_DNS_TYPE_TXT);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint(txt->status, ==, BIMI_DNS_NOERROR);
  assert_text(record(txt, 0), "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
  g_assert_cmpint(aaaa->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_cmpstr(aaaa->detail, ==, "timeout");
  g_assert_cmpuint(aaaa->ttl, ==, 0);
  g_assert_cmpint(gone->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_cmpstr(gone->detail, ==, "timeout");
  /* names not listed are unaffected */
  assert_status(r, "other.example.com", BIMI_DNS_TYPE_TXT, BIMI_DNS_NXDOMAIN);
  /* a listed CNAME target counts too */
  g_assert_true(bimi_dns_resolver_add_fault_name(r, "mail.example.com", &error));
  g_assert_no_error(error);
  assert_status(r, "smtp.example.com", BIMI_DNS_TYPE_TXT, BIMI_DNS_TEMPERROR);
  assert_status(r, "smtp.example.com", BIMI_DNS_TYPE_A, BIMI_DNS_NOERROR);
  g_assert_false(bimi_dns_resolver_add_fault_name(r, "bad..name", &error));
  g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME);
}

/* RFC 1035 §2.3.4 bounds on query names. */
static void
test_invalid_names(void)
{
  g_autoptr(BimiDnsResolver) r = fixture_resolver(NULL);
  g_autofree char *l64 = g_strnfill(64, 'a');
  g_autofree char *n253 = bimi_test_longest_name('b');
  g_autofree char *n254 = g_strconcat(n253, "b", NULL);
  g_autofree char *long_label = g_strdup_printf("%s.example.com", l64);
  const char *bad[] = { "", "a..b", ".a", "a\\", "a\\300", long_label, n254 };

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDnsAnswer) a = bimi_dns_lookup(r, bad[i], BIMI_DNS_TYPE_A, &error);
    bimi_test_expect_refused(a, error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME, NULL);
  }
  g_assert_cmpuint(strlen(n253), ==, 253);
  assert_status(r, n253, BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN);
  /* an escaped name reaches the data it names */
  {
    g_autoptr(BimiDnsResolver) r2 = offline_resolver("sp\\032ace.example. A 192.0.2.5\n"
                                                     "user\\@Example.com.spf.example. A 192.0.2.6\n"
                                                     "x.example. CNAME dot\\.ted.example.\n"
                                                     "dot\\.ted.example. A 192.0.2.7\n");
    g_autoptr(BimiDnsAnswer) at = bimi_test_lookup(r2, "USER@example.com.spf.example", BIMI_DNS_TYPE_A);
    g_autoptr(BimiDnsAnswer) sp = bimi_test_lookup(r2, "sp\\ ace.example.", BIMI_DNS_TYPE_A);
    g_autoptr(BimiDnsAnswer) dot = bimi_test_lookup(r2, "x.example", BIMI_DNS_TYPE_A);
    assert_status(r2, "sp\\032ace.example", BIMI_DNS_TYPE_A, BIMI_DNS_NOERROR);
    g_assert_cmpint(sp->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpstr(sp->qname, ==, "sp\\032ace.example");
    g_assert_cmpint(at->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpstr(at->qname, ==, "user@example.com.spf.example");
    g_assert_cmpint(dot->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpstr(dot->canonical_name, ==, "dot\\.ted.example");
    assert_status(r2, dot->canonical_name, BIMI_DNS_TYPE_A, BIMI_DNS_NOERROR);
    assert_status(r2, "dot.ted.example", BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN);
  }
}

/* Zone errors through the public API: file:line, I/O, limits. */
static void
test_zone_errors(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) r = offline_resolver(NULL);
  g_autofree char *dir = g_dir_make_tmp("bimi-dns-XXXXXX", NULL);
  g_autofree char *bad = g_build_filename(dir, "bad.zone", NULL);
  g_autofree char *missing = g_build_filename(dir, "missing.zone", NULL);
  const char *zones[] = { FIXTURE, bad, NULL };
  const char *zones_missing[] = { missing, NULL };
  BimiDnsConfig config = { 0 };
  g_autofree char *expected = g_strdup_printf("%s:3: unsupported record type 'HINFO' (supported: A AAAA CNAME MX NS PTR SOA SPF TXT)", bad);
  BimiDnsResolver *none;

  const char *broken = "a. A 192.0.2.1\n\nb. A 1.2.3\n";
  const char *www = "www A 192.0.2.80\n";

  g_assert_false(bimi_dns_resolver_add_zone_data(r, broken, strlen(broken), "x.zone", NULL, &error));
  g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_ZONE_SYNTAX);
  g_assert_nonnull(strstr(error->message, "x.zone:3: A address '1.2.3' is not valid"));
  g_clear_error(&error);
  /* the failed source added nothing */
  assert_status(r, "a", BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN);

  g_assert_true(g_file_set_contents(bad, "ok.example. A 192.0.2.1\n; comment\nhost.example. HINFO \"PC\" \"Unix\"\n",
                                    -1, NULL));
  config.zone_files = zones;
  none = bimi_dns_resolver_new(&config, &error);
  bimi_test_expect_refused(none, error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_ZONE_SYNTAX, NULL);
  g_assert_cmpstr(error->message, ==, expected);
  g_clear_error(&error);

  config.zone_files = zones_missing;
  none = bimi_dns_resolver_new(&config, &error);
  bimi_test_expect_refused(none, error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_IO, NULL);
  g_clear_error(&error);

  /* BIMI_MAX_ZONE_FILE_BYTES, checked before reading */
  {
    gsize n = BIMI_MAX_ZONE_FILE_BYTES + 1;
    g_autofree char *big = g_malloc(n);
    memset(big, ' ', n);
    g_assert_false(bimi_dns_resolver_add_zone_data(r, big, n, "big.zone", NULL, &error));
    g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_LIMIT);
    g_clear_error(&error);
    g_assert_true(bimi_dns_resolver_add_zone_data(r, big, n - 1, "big.zone", NULL, &error));
    g_assert_no_error(error);
    /* and as a file */
    g_assert_true(g_file_set_contents(bad, big, (gssize) n, NULL));
    config.zone_files = zones;
    none = bimi_dns_resolver_new(&config, &error);
    bimi_test_expect_refused(none, error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_LIMIT, NULL);
    g_clear_error(&error);
  }
  /* a default origin */
  g_assert_true(bimi_dns_resolver_add_zone_data(r, www, strlen(www), "o.zone", "origin.example", &error));
  g_assert_no_error(error);
  assert_status(r, "www.origin.example", BIMI_DNS_TYPE_A, BIMI_DNS_NOERROR);
  g_unlink(bad);
  g_rmdir(dir);
}

/* Configuration errors. */
static void
test_config_errors(void)
{
  const char *bad_fwds[] = { "127.0.0.1@", "127.0.0.1@0", "127.0.0.1@65536", "localhost", "::1@x", "1.2.3.4.5",
                             "fe80::1%eth0", "" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad_fwds); i++) {
    const char *fwds[] = { bad_fwds[i], NULL };
    BimiDnsConfig config = { 0 };
    g_autoptr(GError) error = NULL;
    config.forwarders = fwds;
    g_assert_null(bimi_dns_resolver_new(&config, &error));
    g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG);
  }
  {
    const char *fwds[] = { "127.0.0.1@5353", "::1", "192.0.2.1@53", NULL };
    BimiDnsConfig config = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDnsResolver) r = NULL;
    config.forwarders = fwds;
    r = bimi_dns_resolver_new(&config, &error);
    g_assert_no_error(error);
  }
  {
    const char *fwds[] = { "127.0.0.1@5353", NULL };
    BimiDnsConfig config = { 0 };
    g_autoptr(GError) error = NULL;
    config.forwarders = fwds;
    config.trust_anchor_file = "/nonexistent/root.key";
    g_assert_null(bimi_dns_resolver_new(&config, &error));
    g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG);
  }
  {
    /* offline (zone files, or offline = TRUE) and forwarders are exclusive */
    const char *fwds[] = { "127.0.0.1@5353", NULL };
    const char *zones[] = { FIXTURE, NULL };
    for (int offline = 0; offline <= 1; offline++) {
      BimiDnsConfig config = { 0 };
      g_autoptr(GError) error = NULL;
      config.forwarders = fwds;
      config.zone_files = offline ? NULL : zones;
      config.offline = offline;
      g_assert_null(bimi_dns_resolver_new(&config, &error));
      g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG);
      g_assert_nonnull(strstr(error->message, "exclusive"));
    }
  }
  {
    const char *faults[] = { "ok.example", "a..b", NULL };
    BimiDnsConfig config = { 0 };
    g_autoptr(GError) error = NULL;
    config.offline = TRUE;
    config.fault_names = faults;
    g_assert_null(bimi_dns_resolver_new(&config, &error));
    g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME);
  }
}

/* BIMI_MAX_ZONE_FILE_BYTES holds on the bytes read: /dev/zero (st_size 0)
 * and a file one byte over are _LIMIT; a file at the limit is read and
 * parsed (its NULs are a syntax error, not a limit). */
static void
test_zone_file_limit(void)
{
  g_autofree char *over = bimi_test_sparse_file("bimi-dns-XXXXXX", BIMI_MAX_ZONE_FILE_BYTES + 1);
  g_autofree char *at = bimi_test_sparse_file("bimi-dns-XXXXXX", BIMI_MAX_ZONE_FILE_BYTES);
  g_autofree char *limit_text = g_strdup_printf("more than %u bytes", BIMI_MAX_ZONE_FILE_BYTES);
  const char *paths[] = { "/dev/zero", over, at, "/nonexistent/x.zone" };
  const int codes[] = { BIMI_DNS_ERROR_LIMIT, BIMI_DNS_ERROR_LIMIT, BIMI_DNS_ERROR_ZONE_SYNTAX, BIMI_DNS_ERROR_IO };

  for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
    const char *files[] = { paths[i], NULL };
    BimiDnsConfig config = { 0 };
    g_autoptr(GError) error = NULL;
    config.zone_files = files;
    g_assert_null(bimi_dns_resolver_new(&config, &error));
    g_assert_error(error, BIMI_DNS_ERROR, codes[i]);
    g_assert_nonnull(strstr(error->message, paths[i]));
    if (codes[i] == BIMI_DNS_ERROR_LIMIT)
      g_assert_nonnull(strstr(error->message, limit_text));
  }
  g_unlink(over);
  g_unlink(at);
}

/* RFC 1035 §3.5 and RFC 3596 §2.5 (the RFC's own example). */
static void
test_reverse_names(void)
{
  static const struct { const char *ip, *name; } cases[] = {
    { "192.0.2.25", "25.2.0.192.in-addr.arpa" },
    { "10.0.0.1", "1.0.0.10.in-addr.arpa" },
    { "4321:0:1:2:3:4:567:89ab", "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa" },
    { "2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" },
    { "::ffff:192.0.2.1", "1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(cases[i].ip);
    g_autofree char *name = bimi_dns_reverse_name(addr);
    g_assert_cmpstr(name, ==, cases[i].name);
  }
  /* and it is what the fixture's PTR records are found under */
  {
    g_autoptr(BimiDnsResolver) r = fixture_resolver(NULL);
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string("192.0.2.26");
    g_autofree char *name = bimi_dns_reverse_name(addr);
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, name, BIMI_DNS_TYPE_PTR);
    g_assert_cmpstr(record(a, 0)->name, ==, "mail2.example.com");
  }
}

static void
test_type_strings(void)
{
  static const BimiDnsType types[] = { BIMI_DNS_TYPE_A, BIMI_DNS_TYPE_NS, BIMI_DNS_TYPE_CNAME, BIMI_DNS_TYPE_PTR,
                                       BIMI_DNS_TYPE_MX, BIMI_DNS_TYPE_TXT, BIMI_DNS_TYPE_AAAA, BIMI_DNS_TYPE_SPF };
  BimiDnsType t = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
    g_autofree char *lower = g_ascii_strdown(bimi_dns_type_to_string(types[i]), -1);
    g_assert_true(bimi_dns_type_from_string(lower, &t));
    g_assert_cmpint(t, ==, types[i]);
  }
  g_assert_cmpstr(bimi_dns_type_to_string(BIMI_DNS_TYPE_SPF), ==, "SPF");
  g_assert_cmpint(BIMI_DNS_TYPE_SPF, ==, 99);
  g_assert_null(bimi_dns_type_to_string((BimiDnsType) 6));
  g_assert_false(bimi_dns_type_from_string("SOA", &t));
  g_assert_false(bimi_dns_type_from_string("", &t));
  g_assert_cmpstr(bimi_dns_status_to_string(BIMI_DNS_NOERROR), ==, "NOERROR");
  g_assert_cmpstr(bimi_dns_status_to_string(BIMI_DNS_NODATA), ==, "NODATA");
  g_assert_cmpstr(bimi_dns_status_to_string(BIMI_DNS_NXDOMAIN), ==, "NXDOMAIN");
  g_assert_cmpstr(bimi_dns_status_to_string(BIMI_DNS_TEMPERROR), ==, "TEMPERROR");
}

/* ---- concurrency ------------------------------------------------------------------ */

#define DMARC "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"

typedef struct {
  BimiDnsResolver *resolver;
  guint rounds;
  gint failures;
} Shared;

static gpointer
worker(gpointer data)
{
  Shared *s = data;
  for (guint i = 0; i < s->rounds; i++) {
    g_autoptr(BimiDnsAnswer) a = bimi_dns_lookup(s->resolver, "_dmarc.example.com", BIMI_DNS_TYPE_TXT, NULL);
    g_autoptr(BimiDnsAnswer) b = bimi_dns_lookup(s->resolver, "www.example.com", BIMI_DNS_TYPE_A, NULL);
    g_autoptr(BimiDnsAnswer) c = bimi_dns_lookup(s->resolver, "nx.example.com", BIMI_DNS_TYPE_MX, NULL);
    g_autoptr(BimiDnsAnswer) d = bimi_dns_lookup(s->resolver, "_dmarc.example.com", BIMI_DNS_TYPE_AAAA, NULL);
    gboolean ok = a != NULL && a->status == BIMI_DNS_NOERROR && a->records->len == 1 &&
                  g_bytes_get_size(((BimiDnsRecord *) a->records->pdata[0])->text) == strlen(DMARC) &&
                  b != NULL && b->status == BIMI_DNS_NOERROR && g_strcmp0(b->canonical_name, "example.com") == 0 &&
                  c != NULL && c->status == BIMI_DNS_NXDOMAIN &&
                  d != NULL && d->status == BIMI_DNS_TEMPERROR; /* in the fault list */
    if (!ok)
      g_atomic_int_inc(&s->failures);
  }
  return NULL;
}

/* One resolver, many threads asking at once. */
static void
test_concurrent_lookups(void)
{
  const char *faults[] = { "_dmarc.example.com", NULL };
  g_autoptr(BimiDnsResolver) r = fixture_resolver(faults);
  Shared s = { r, 100, 0 };
  GThread *threads[8];

  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("lookup", worker, &s);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  g_assert_cmpint(s.failures, ==, 0);
}

/* ---- online: deadlines and server failures --------------------------------- */

/* A forwarder that never answers: the deadline turns it into temperror. */
static void
test_deadline(void)
{
  guint16 port = 0;
  int fd = bimi_test_udp_listen(&port); /* bound, never read */
  g_autoptr(BimiDnsResolver) r = forwarding_resolver(port, 300);
  g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "example.com", BIMI_DNS_TYPE_TXT);
  g_autoptr(BimiDnsAnswer) b = bimi_test_lookup(r, "example.net", BIMI_DNS_TYPE_A);

  g_assert_cmpint(a->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_cmpstr(a->detail, ==, "timeout");
  g_assert_cmpuint(a->records->len, ==, 0);
  g_assert_cmpuint(a->ttl, ==, 0);
  g_assert_cmpint(b->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_cmpstr(b->detail, ==, "timeout");
  close(fd);
}

/* bimi_dns_lookup_deadline(): the caller's deadline wins when it is earlier
 * ("deadline"), the per-query one when it is ("timeout"); a deadline already
 * passed asks nothing. */
static void
test_overall_deadline(void)
{
  SilentDns *s = silent_dns_start(0, NULL); /* drops every A question */
  g_autoptr(BimiDnsResolver) r = forwarding_resolver(silent_dns_port(s), 3000);
  g_autoptr(BimiDnsResolver) quick = forwarding_resolver(silent_dns_port(s), 100);
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_monotonic_time();
  g_autoptr(BimiDnsAnswer) soon =
    bimi_dns_lookup_deadline(r, "soon.example", BIMI_DNS_TYPE_A, now + 150 * G_TIME_SPAN_MILLISECOND, &error);
  g_autoptr(BimiDnsAnswer) past = bimi_dns_lookup_deadline(r, "past.example", BIMI_DNS_TYPE_A, now, &error);
  g_autoptr(BimiDnsAnswer) later = bimi_dns_lookup_deadline(quick, "later.example", BIMI_DNS_TYPE_A,
                                                            G_MAXINT64, &error);
  g_autoptr(BimiDnsAnswer) bad = NULL;

  g_assert_no_error(error);
  g_assert_cmpint(soon->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_cmpstr(soon->detail, ==, "deadline");
  g_assert_cmpint(past->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_cmpstr(past->detail, ==, "deadline");
  g_assert_cmpstr(past->qname, ==, "past.example");
  g_assert_cmpuint(past->ttl, ==, 0);
  g_assert_cmpint(later->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_cmpstr(later->detail, ==, "timeout");
  /* soon and later were asked, past never was */
  g_assert_cmpuint(silent_dns_names_asked(s, BIMI_DNS_TYPE_A), ==, 2);
  /* a bad name is still an error, deadline or not */
  bad = bimi_dns_lookup_deadline(r, "a..b", BIMI_DNS_TYPE_A, now, &error);
  bimi_test_expect_refused(bad, error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME, NULL);
  g_assert_cmpuint(bimi_dns_resolver_get_timeout_ms(r), ==, 3000);
  g_clear_pointer(&r, bimi_dns_resolver_unref);
  g_clear_pointer(&quick, bimi_dns_resolver_unref);
  silent_dns_stop(s);
}

/* Answers that arrive after the caller gave up are dropped safely, and the
 * resolver keeps working; a prompt answer is parsed. */
static void
test_late_answers(void)
{
  FakeServer *fs = fake_start(FAKE_ANSWER, 200);
  g_autoptr(BimiDnsResolver) r = forwarding_resolver(fs->port, 100);
  {
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "late.example", BIMI_DNS_TYPE_A);
    g_assert_cmpint(a->status, ==, BIMI_DNS_TEMPERROR);
    g_assert_cmpstr(a->detail, ==, "timeout");
  }
  {
    g_autoptr(BimiDnsAnswer) t = bimi_test_lookup(r, "prompt.example", BIMI_DNS_TYPE_TXT);
    g_assert_cmpint(t->status, ==, BIMI_DNS_NOERROR);
    g_assert_cmpuint(t->ttl, ==, 60);
    assert_text(record(t, 0), "v=spf1 -all");
    g_assert_cmpuint(record(t, 0)->strings->len, ==, 2);
  }
  g_usleep(600 * G_TIME_SPAN_MILLISECOND); /* the late answer comes in meanwhile */
  g_assert_cmpint(g_atomic_int_get(&fs->queries), >=, 2);
  {
    /* libunbound kept resolving the cancelled query and cached the answer */
    g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "late.example", BIMI_DNS_TYPE_A);
    g_autofree char *s = NULL;
    g_assert_cmpint(a->status, ==, BIMI_DNS_NOERROR);
    s = address_text(record(a, 0));
    g_assert_cmpstr(s, ==, "192.0.2.1");
  }
  assert_status(r, "nxdomain.example", BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN);
  g_clear_pointer(&r, bimi_dns_resolver_unref);
  fake_stop(fs);
}

/* Many callers time out at once against a slow server, then it is freed
 * with queries still in flight. */
static gpointer
slow_worker(gpointer data)
{
  Shared *s = data;
  for (guint i = 0; i < s->rounds; i++) {
    /* half of them answered late, after the deadline */
    g_autofree char *name = g_strdup_printf("%s%u-%p.example", i % 2 ? "late" : "fast", i, (void *) g_thread_self());
    g_autoptr(BimiDnsAnswer) a = bimi_dns_lookup(s->resolver, name, BIMI_DNS_TYPE_A, NULL);
    if (a == NULL || (a->status != BIMI_DNS_TEMPERROR && a->status != BIMI_DNS_NOERROR))
      g_atomic_int_inc(&s->failures);
  }
  return NULL;
}

static void
test_concurrent_timeouts(void)
{
  FakeServer *fs = fake_start(FAKE_ANSWER, 60);
  BimiDnsResolver *r = forwarding_resolver(fs->port, 50);
  Shared s = { r, 5, 0 };
  GThread *threads[6];

  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("slow", slow_worker, &s);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  g_assert_cmpint(s.failures, ==, 0);
  bimi_dns_resolver_unref(r);
  fake_stop(fs);
}

/* SERVFAIL from the server is temperror. */
static void
test_servfail(void)
{
  FakeServer *fs = fake_start(FAKE_SERVFAIL, 0);
  g_autoptr(BimiDnsResolver) r = forwarding_resolver(fs->port, 3000);
  g_autoptr(BimiDnsAnswer) a = bimi_test_lookup(r, "broken.example", BIMI_DNS_TYPE_TXT);

  g_assert_cmpint(a->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_cmpstr(a->detail, ==, "SERVFAIL");
  g_assert_cmpuint(a->ttl, ==, 0);
  g_clear_pointer(&r, bimi_dns_resolver_unref);
  fake_stop(fs);
}

/* DNSSEC (RFC 4035 §5): with a trust anchor for example. (a made-up DS) the
 * responder's unsigned answers cannot be validated — it has no DNSKEY — so
 * they are bogus, which is temperror "bogus: ..."; without the anchor the
 * same answer is NOERROR. */
static void
test_bogus_dnssec(void)
{
  FakeServer *fs = fake_start(FAKE_ANSWER, 0);
  g_autofree char *fwd = g_strdup_printf("127.0.0.1@%u", fs->port);
  const char *fwds[] = { fwd, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *anchor = NULL;
  int fd = g_file_open_tmp("bimi-anchor-XXXXXX", &anchor, &error);
  static const char ds[] =
    "example. 3600 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n";
  BimiDnsConfig config = { 0 };
  g_autoptr(BimiDnsResolver) r = NULL;
  g_autoptr(BimiDnsResolver) plain = NULL;
  g_autoptr(BimiDnsAnswer) a = NULL;
  g_autoptr(BimiDnsAnswer) b = NULL;

  g_assert_no_error(error);
  g_assert_cmpint(write(fd, ds, strlen(ds)), ==, (gssize) strlen(ds));
  close(fd);
  config.forwarders = fwds;
  config.timeout_ms = 3000;
  config.trust_anchor_file = anchor;
  r = bimi_dns_resolver_new(&config, &error);
  g_assert_no_error(error);
  a = bimi_test_lookup(r, "host.example", BIMI_DNS_TYPE_TXT);
  g_assert_cmpint(a->status, ==, BIMI_DNS_TEMPERROR);
  g_assert_true(g_str_has_prefix(a->detail, "bogus: "));
  g_assert_nonnull(strstr(a->detail, "DNSKEY"));
  g_assert_cmpuint(a->records->len, ==, 0);
  g_assert_cmpuint(a->ttl, ==, 0);

  plain = forwarding_resolver(fs->port, 3000);
  b = bimi_test_lookup(plain, "host.example", BIMI_DNS_TYPE_TXT);
  g_assert_cmpint(b->status, ==, BIMI_DNS_NOERROR);
  g_clear_pointer(&r, bimi_dns_resolver_unref);
  g_clear_pointer(&plain, bimi_dns_resolver_unref);
  fake_stop(fs);
  g_unlink(anchor);
}

/* BIMI_DNS_MAX_ANSWER_RECORDS: a larger answer is an error, not truncated. */
static void
test_answer_limit(void)
{
  FakeServer *fs = fake_start(FAKE_BIG, 0);
  g_autoptr(BimiDnsResolver) r = forwarding_resolver(fs->port, 3000);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsAnswer) a = bimi_dns_lookup(r, "big.example", BIMI_DNS_TYPE_A, &error);

  bimi_test_expect_refused(a, error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_LIMIT, "more than 256 records");
  g_clear_pointer(&r, bimi_dns_resolver_unref);
  fake_stop(fs);
}

/* The fault list works online too. */
static void
test_fault_list_online(void)
{
  FakeServer *fs = fake_start(FAKE_ANSWER, 0);
  g_autoptr(BimiDnsResolver) r = forwarding_resolver(fs->port, 3000);
  g_autoptr(GError) error = NULL;

  g_assert_true(bimi_dns_resolver_add_fault_name(r, "nxhost.example", &error));
  g_assert_true(bimi_dns_resolver_add_fault_name(r, "host.example", &error));
  assert_status(r, "nxhost.example", BIMI_DNS_TYPE_A, BIMI_DNS_TEMPERROR);
  assert_status(r, "nxother.example", BIMI_DNS_TYPE_A, BIMI_DNS_NXDOMAIN);
  assert_status(r, "host.example", BIMI_DNS_TYPE_A, BIMI_DNS_NOERROR);
  assert_status(r, "host.example", BIMI_DNS_TYPE_MX, BIMI_DNS_TEMPERROR);
  assert_status(r, "other.example", BIMI_DNS_TYPE_MX, BIMI_DNS_NODATA);
  g_clear_pointer(&r, bimi_dns_resolver_unref);
  fake_stop(fs);
}

/* Answers keep the zone-file order of an RRset, every time: libunbound's
 * rrset-roundrobin is off and zone data reaches it in an order that survives
 * its head insertion. Records of one RRset are interleaved with others. */
static void
test_offline_record_order(void)
{
  static const char zone[] =
    "$ORIGIN order.example.\n"
    "mx  MX 10 m3.order.example.\n"
    "ptr PTR n5.order.example.\n"
    "mx  MX 10 m1.order.example.\n"
    "ptr PTR n1.order.example.\n"
    "other A 192.0.2.1\n"
    "mx  MX 20 m2.order.example.\n"
    "ptr PTR n4.order.example.\n"
    "ptr PTR n2.order.example.\n"
    "ptr PTR n3.order.example.\n"
    "mx  MX 5 m4.order.example.\n";
  static const char *const ptrs[] = { "n5", "n1", "n4", "n2", "n3" };
  static const char *const mxs[] = { "m3", "m1", "m2", "m4" };
  g_autoptr(BimiDnsResolver) r = offline_resolver(zone);

  for (guint round = 0; round < 20; round++) {
    g_autoptr(BimiDnsAnswer) ptr = bimi_test_lookup(r, "ptr.order.example", BIMI_DNS_TYPE_PTR);
    g_autoptr(BimiDnsAnswer) mx = bimi_test_lookup(r, "mx.order.example", BIMI_DNS_TYPE_MX);
    g_assert_cmpuint(ptr->records->len, ==, G_N_ELEMENTS(ptrs));
    g_assert_cmpuint(mx->records->len, ==, G_N_ELEMENTS(mxs));
    for (guint i = 0; i < G_N_ELEMENTS(ptrs); i++) {
      g_autofree char *want = g_strconcat(ptrs[i], ".order.example", NULL);
      g_assert_cmpstr(record(ptr, i)->name, ==, want);
    }
    for (guint i = 0; i < G_N_ELEMENTS(mxs); i++) {
      g_autofree char *want = g_strconcat(mxs[i], ".order.example", NULL);
      g_assert_cmpstr(record(mx, i)->name, ==, want);
    }
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/dns/offline/statuses", test_offline_statuses);
  g_test_add_func("/dns/offline/builtin-zones", test_offline_builtin_zones);
  g_test_add_func("/dns/offline/types", test_offline_types);
  g_test_add_func("/dns/offline/txt", test_offline_txt);
  g_test_add_func("/dns/offline/spf-and-binary", test_offline_spf_and_binary);
  g_test_add_func("/dns/offline/cname", test_offline_cname);
  g_test_add_func("/dns/offline/record-order", test_offline_record_order);
  g_test_add_func("/dns/fault-list/offline", test_fault_list);
  g_test_add_func("/dns/fault-list/online", test_fault_list_online);
  g_test_add_func("/dns/names/invalid", test_invalid_names);
  g_test_add_func("/dns/names/reverse", test_reverse_names);
  g_test_add_func("/dns/types/strings", test_type_strings);
  g_test_add_func("/dns/errors/zone", test_zone_errors);
  g_test_add_func("/dns/errors/config", test_config_errors);
  g_test_add_func("/dns/limits/zone-file", test_zone_file_limit);
  g_test_add_func("/dns/cli/help", test_cli_help);
  g_test_add_func("/dns/cli/refused", test_cli_refused);
  g_test_add_func("/dns/threads/lookups", test_concurrent_lookups);
  g_test_add_func("/dns/threads/timeouts", test_concurrent_timeouts);
  g_test_add_func("/dns/online/deadline", test_deadline);
  g_test_add_func("/dns/online/overall-deadline", test_overall_deadline);
  g_test_add_func("/dns/online/late-answers", test_late_answers);
  g_test_add_func("/dns/online/servfail", test_servfail);
  g_test_add_func("/dns/online/bogus-dnssec", test_bogus_dnssec);
  g_test_add_func("/dns/limits/answer-records", test_answer_limit);
  return g_test_run();
}
