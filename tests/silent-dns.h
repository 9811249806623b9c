/* tests/silent-dns.h — a UDP DNS responder on 127.0.0.1 for deadline tests
 * (linked into every test binary; see the Makefile's TEST_SUPPORT).
 *
 * It answers PTR questions with @ptr_names names "n1.slow.example" ...,
 * TXT questions with one TXT record holding @txt (when @txt is not NULL),
 * and drops every other question, so that the client's per-query deadline
 * passes: the shape of a PTR zone whose names live on dead servers.
 * A name whose first label starts with "nx" is NXDOMAIN with the SOA of the
 * root in the authority section (TTL SILENT_DNS_SOA_TTL, MINIMUM
 * SILENT_DNS_SOA_MINIMUM): RFC 2308 negative caching.
 */
#ifndef BIMI_TESTS_SILENT_DNS_H
#define BIMI_TESTS_SILENT_DNS_H

#include <glib.h>

/** TTL and MINIMUM of the SOA sent with NXDOMAIN, seconds (negative TTL: the smaller). */
#define SILENT_DNS_SOA_TTL 3600u
#define SILENT_DNS_SOA_MINIMUM 30u

typedef struct _SilentDns SilentDns;

/** Starts the responder on an ephemeral loopback port. */
SilentDns *silent_dns_start(guint ptr_names, const char *txt);
/** The UDP port, for a "127.0.0.1@PORT" forwarder. */
guint16 silent_dns_port(SilentDns *server);
/** How many different names were asked with @qtype (retries counted once). */
guint silent_dns_names_asked(SilentDns *server, guint qtype);
/** Stops the thread and frees the server. */
void silent_dns_stop(SilentDns *server);

#endif /* BIMI_TESTS_SILENT_DNS_H */
