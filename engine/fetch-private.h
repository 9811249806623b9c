/* engine/fetch-private.h — engine/fetch internals shared with tests and fuzzers. */
#ifndef BIMI_FETCH_PRIVATE_H
#define BIMI_FETCH_PRIVATE_H

#include "engine/fetch.h"

#include <sys/socket.h>

G_BEGIN_DECLS

/**
 * bimi_fetch__cache_control_max_age:
 * @value: (array length=len): Cache-Control field value(s) joined by ",", untrusted
 * @len: bytes of @value
 *
 * RFC 9111 §5.2: `s-maxage` (we are a shared cache) wins over `max-age`;
 * `no-store` and `no-cache` (without field names) give 0; the first valid
 * occurrence of a directive counts (§4.2.1); a delta-seconds larger than
 * BIMI_FETCH_MAX_AGE_LIMIT is that limit (§1.2.2); malformed directives are
 * skipped.
 *
 * Returns: seconds, or -1 when the value says nothing about freshness.
 */
gint64 bimi_fetch__cache_control_max_age(const char *value, gsize len);

/**
 * bimi_fetch__media_type:
 * @value: (array length=len): a Content-Type value, untrusted
 * @len: bytes of @value, at most BIMI_FETCH_MAX_HEADER_VALUE_BYTES
 *
 * RFC 9110 §8.3.1: `type "/" subtype` before any parameters, lower-cased.
 *
 * Returns: (transfer full) (nullable): "type/subtype", or NULL when @value is
 *   not a media type.
 */
char *bimi_fetch__media_type(const char *value, gsize len);

/**
 * bimi_fetch__exempt_endpoint:
 * @fetcher: a fetcher not yet in use
 * @ip: an IP address in text form
 * @port: a TCP port
 *
 * Tests only: connections to exactly @ip:@port skip the address and port
 * checks, so that a local origin can redirect to another local (refused)
 * address while allow_private_addresses is off.
 */
void bimi_fetch__exempt_endpoint(BimiFetcher *fetcher, const char *ip, guint port);

/**
 * bimi_fetch__endpoint_allowed:
 * @fetcher: the fetcher (its allow_private_addresses and test exemption)
 * @sa: the socket address about to be connected
 * @salen: its length
 * @detail: (out) (transfer full): why it is refused, set only on FALSE
 *
 * The open-socket check: a public address (engine/fetch-netaddr.c) and port 443.
 *
 * Returns: TRUE when a connection may be opened.
 */
gboolean bimi_fetch__endpoint_allowed(BimiFetcher *fetcher, const struct sockaddr *sa, gsize salen, char **detail);

/**
 * bimi_fetch__endpoint_allowed_port:
 * @fetcher: the fetcher
 * @sa: the socket address about to be connected
 * @salen: its length
 * @allowed_port: the one port the hop's scheme allows (443 https, 80 http for CRLs)
 * @detail: (out) (transfer full): why it is refused, set only on FALSE
 *
 * bimi_fetch__endpoint_allowed() with the port of the hop's scheme.
 *
 * Returns: TRUE when a connection may be opened.
 */
gboolean bimi_fetch__endpoint_allowed_port(BimiFetcher *fetcher, const struct sockaddr *sa, gsize salen,
                                           guint allowed_port, char **detail);

/**
 * bimi_fetch__host_check:
 * @host: a URL's host as libcurl's URL parser gives it (UTF-8 for an IDN,
 *   "[...]" for an IPv6 literal), untrusted, NUL-terminated
 * @allow_private: TRUE: IP literals and single-label names are accepted
 * @out_host: (out) (transfer full): the host in its final form, set on TRUE:
 *   the UTS #46 mapping (RFC 5891, libidn2 non-transitional, NFC input) of an
 *   IDN, lower case, without a trailing dot — what is resolved and connected to
 * @detail: (out) (transfer full): why it is refused, set on FALSE
 *
 * The host is judged in its mapped form, so full-width digits and ideographic
 * full stops ("１２７.０.０.１", "127。0。0.1") are the IP literal they map to.
 * Refused: an invalid IDN, an IP literal (unless @allow_private), a label
 * that is empty, longer than 63 bytes or holds a byte other than letter,
 * digit, '-', '_', a name over BIMI_DNS_MAX_NAME_BYTES; without
 * @allow_private also a single label and a numeric last label ("127.1").
 *
 * Returns: TRUE when the host may be fetched from.
 */
gboolean bimi_fetch__host_check(const char *host, gboolean allow_private, char **out_host, char **detail);

/**
 * bimi_fetch__resolve_pin:
 * @fetcher: the fetcher (its resolver)
 * @host: a host name in its final form (bimi_fetch__host_check())
 * @port: the port libcurl will connect to
 * @deadline: g_get_monotonic_time() µs by which the lookups must end
 * @out_pin: (out) (transfer full): "HOST:PORT:ADDR,...,[ADDR6]" (the
 *   CURLOPT_RESOLVE form) with at most BIMI_FETCH_MAX_ADDRESSES_PER_FAMILY
 *   addresses of each family, A first; set on BIMI_FETCH_REASON_NONE
 * @detail: (out) (transfer full): why not, set otherwise
 *
 * Resolves A and AAAA through engine/dns.
 *
 * Returns: BIMI_FETCH_REASON_NONE, _DNS (no resolver, NXDOMAIN or NODATA for
 *   both, a temperror and no address, a name engine/dns refuses) or _TIMEOUT
 *   (@deadline passed).
 */
BimiFetchReason bimi_fetch__resolve_pin(BimiFetcher *fetcher, const char *host, guint port, gint64 deadline,
                                        char **out_pin, char **detail);

/** Per-host slot: wait until @deadline (g_get_monotonic_time() µs); FALSE = none freed. */
gboolean bimi_fetch__slot_acquire(BimiFetcher *fetcher, const char *host, gint64 deadline);
/** Gives back a slot taken by bimi_fetch__slot_acquire(). */
void bimi_fetch__slot_release(BimiFetcher *fetcher, const char *host);

G_END_DECLS

#endif /* BIMI_FETCH_PRIVATE_H */
