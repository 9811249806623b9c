/* tests/lib/dns-wire.h — the DNS message bytes the fake resolvers of the tests
 * write (RFC 1035 §4.1; linked into every test binary, see the Makefile's
 * TEST_SUPPORT): tests/silent-dns.c and the fake server of tests/test-dns.c.
 */
#ifndef BIMI_TESTS_LIB_DNS_WIRE_H
#define BIMI_TESTS_LIB_DNS_WIRE_H

#include <glib.h>

/** Appends @v as two bytes, network order. */
void bimi_test_dns_put16(GByteArray *b, guint v);

/** Appends @v as four bytes, network order. */
void bimi_test_dns_put32(GByteArray *b, guint32 v);

/**
 * bimi_test_dns_reply_new:
 * @q: the query message (at least 12 bytes)
 * @qend: the offset just after its question's QTYPE and QCLASS
 * @rcode: the RCODE of the reply (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN)
 * @ancount: the number of answers the caller appends
 * @nscount: the number of authority records the caller appends after them
 *
 * Returns: (transfer full): the header of the reply to @q (its ID; QR, RD, RA;
 *   one question, @ancount answers, @nscount authority records, no additional ones) and
 *   the question echoed (RFC 1035 §4.1.1, §4.1.2).
 */
GByteArray *bimi_test_dns_reply_new(const guint8 *q, gsize qend, guint rcode, guint ancount, guint nscount);

/** Appends the fixed part of an answer for the question (NAME a pointer to
 * it, 0xc00c; @qtype; class IN; TTL @ttl seconds); RDLENGTH and RDATA follow
 * from the caller (RFC 1035 §4.1.3, §4.1.4). */
void bimi_test_dns_answer_start(GByteArray *b, guint qtype, guint32 ttl);

#endif /* BIMI_TESTS_LIB_DNS_WIRE_H */
