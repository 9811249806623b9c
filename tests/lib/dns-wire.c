/* tests/lib/dns-wire.c — see dns-wire.h. */
#include "tests/lib/dns-wire.h"

void
bimi_test_dns_put16(GByteArray *b, guint v)
{
  guint8 x[2] = { (guint8) (v >> 8), (guint8) v };

  g_byte_array_append(b, x, 2);
}

void
bimi_test_dns_put32(GByteArray *b, guint32 v)
{
  bimi_test_dns_put16(b, v >> 16);
  bimi_test_dns_put16(b, v & 0xffff);
}

GByteArray *
bimi_test_dns_reply_new(const guint8 *q, gsize qend, guint rcode, guint ancount, guint nscount)
{
  GByteArray *b = g_byte_array_new();

  g_byte_array_append(b, q, 2);          /* ID */
  bimi_test_dns_put16(b, 0x8180 | rcode); /* QR RD RA */
  bimi_test_dns_put16(b, 1);
  bimi_test_dns_put16(b, ancount);
  bimi_test_dns_put16(b, nscount);
  bimi_test_dns_put16(b, 0);
  g_byte_array_append(b, q + 12, (guint) (qend - 12));
  return b;
}

void
bimi_test_dns_answer_start(GByteArray *b, guint qtype, guint32 ttl)
{
  bimi_test_dns_put16(b, 0xc00c);
  bimi_test_dns_put16(b, qtype);
  bimi_test_dns_put16(b, 1);
  bimi_test_dns_put32(b, ttl);
}
