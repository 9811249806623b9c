/* tests/silent-dns.c — see silent-dns.h. RFC 1035 §4.1 messages, built by hand. */
#include "tests/silent-dns.h"
#include "tests/lib/dns-wire.h"
#include "tests/lib/net.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct _SilentDns {
  int fd;
  guint16 port;
  guint ptr_names;
  char *txt;
  gint stop;
  GMutex lock;
  GHashTable *asked; /* "TYPE/name" → itself */
  GThread *thread;
};

/* NXDOMAIN for the question of @q (@qend bytes), with the root's SOA in the
 * authority section (RFC 2308 §3). */
static GByteArray *
nxdomain(const guint8 *q, gsize qend)
{
  static const guint8 soa_names[] = { 1, 'a', 0, 1, 'b', 0 }; /* MNAME a. RNAME b. */
  GByteArray *b = bimi_test_dns_reply_new(q, qend, 3, 0, 1); /* NXDOMAIN */

  g_byte_array_append(b, (const guint8 *) "", 1); /* owner: the root */
  bimi_test_dns_put16(b, 6); /* SOA */
  bimi_test_dns_put16(b, 1);
  bimi_test_dns_put32(b, SILENT_DNS_SOA_TTL);
  bimi_test_dns_put16(b, sizeof soa_names + 20);
  g_byte_array_append(b, soa_names, sizeof soa_names);
  bimi_test_dns_put32(b, 1); /* serial */
  bimi_test_dns_put32(b, 3600); /* refresh */
  bimi_test_dns_put32(b, 600); /* retry */
  bimi_test_dns_put32(b, 86400); /* expire */
  bimi_test_dns_put32(b, SILENT_DNS_SOA_MINIMUM);
  return b;
}

/* The reply to @q, or NULL to stay silent. Records the question. */
static GByteArray *
reply(SilentDns *s, const guint8 *q, gsize qlen)
{
  gsize pos = 12, qend;
  guint qtype, ancount = 0;
  gboolean nx;
  GString *name = g_string_new(NULL);
  GByteArray *b;

  if (qlen < 12) {
    g_string_free(name, TRUE);
    return NULL;
  }
  while (pos < qlen && q[pos] != 0 && q[pos] < 64 && pos + 1 + q[pos] < qlen) {
    if (name->len > 0)
      g_string_append_c(name, '.');
    g_string_append_len(name, (const char *) q + pos + 1, q[pos]);
    pos += 1 + q[pos];
  }
  if (pos + 5 > qlen || q[pos] != 0) {
    g_string_free(name, TRUE);
    return NULL;
  }
  qend = pos + 5;
  qtype = (guint) (q[pos + 1] << 8 | q[pos + 2]);
  g_mutex_lock(&s->lock);
  {
    char *key = g_strdup_printf("%u/%s", qtype, name->str);
    g_hash_table_add(s->asked, key);
  }
  g_mutex_unlock(&s->lock);
  nx = name->len >= 2 && g_ascii_strncasecmp(name->str, "nx", 2) == 0;
  g_string_free(name, TRUE);

  if (nx)
    return nxdomain(q, qend);
  if (qtype == 12)
    ancount = s->ptr_names;
  else if (qtype == 16 && s->txt != NULL)
    ancount = 1;
  else
    return NULL; /* silent */

  b = bimi_test_dns_reply_new(q, qend, 0, ancount, 0);
  for (guint i = 0; i < ancount; i++) {
    bimi_test_dns_answer_start(b, qtype, 60);
    if (qtype == 12) {
      char label[16];
      guint8 n = (guint8) g_snprintf(label, sizeof label, "n%u", i + 1);
      static const guint8 tail[] = { 4, 's', 'l', 'o', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
      bimi_test_dns_put16(b, 1u + n + sizeof tail);
      g_byte_array_append(b, &n, 1);
      g_byte_array_append(b, (const guint8 *) label, n);
      g_byte_array_append(b, tail, sizeof tail);
    } else {
      guint8 len = (guint8) MIN(strlen(s->txt), 255);
      bimi_test_dns_put16(b, 1u + len);
      g_byte_array_append(b, &len, 1);
      g_byte_array_append(b, (const guint8 *) s->txt, len);
    }
  }
  return b;
}

static gpointer
serve(gpointer data)
{
  SilentDns *s = data;
  while (!g_atomic_int_get(&s->stop)) {
    BimiTestDatagram d;
    GByteArray *out;

    if (!bimi_test_udp_receive(s->fd, 20, &d))
      continue;
    out = reply(s, d.data, d.len);
    if (out != NULL) {
      (void) sendto(s->fd, out->data, out->len, 0, (struct sockaddr *) &d.from, d.fromlen);
      g_byte_array_unref(out);
    }
  }
  return NULL;
}

SilentDns *
silent_dns_start(guint ptr_names, const char *txt)
{
  SilentDns *s = g_new0(SilentDns, 1);

  s->fd = bimi_test_udp_listen(&s->port);
  s->ptr_names = ptr_names;
  s->txt = g_strdup(txt);
  g_mutex_init(&s->lock);
  s->asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  s->thread = g_thread_new("silent-dns", serve, s);
  return s;
}

guint16
silent_dns_port(SilentDns *server)
{
  return server->port;
}

guint
silent_dns_names_asked(SilentDns *server, guint qtype)
{
  g_autofree char *prefix = g_strdup_printf("%u/", qtype);
  GHashTableIter it;
  gpointer key;
  guint n = 0;

  g_mutex_lock(&server->lock);
  g_hash_table_iter_init(&it, server->asked);
  while (g_hash_table_iter_next(&it, &key, NULL))
    n += g_str_has_prefix(key, prefix);
  g_mutex_unlock(&server->lock);
  return n;
}

void
silent_dns_stop(SilentDns *server)
{
  g_atomic_int_set(&server->stop, 1);
  g_thread_join(server->thread);
  close(server->fd);
  g_hash_table_unref(server->asked);
  g_mutex_clear(&server->lock);
  g_free(server->txt);
  g_free(server);
}
