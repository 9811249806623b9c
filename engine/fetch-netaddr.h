/* engine/fetch-netaddr.h — is this IP address one the fetcher may connect to?
 *
 * The SSRF guard of engine/fetch (spec/bimi-receiver.md §12 item 15, §13
 * item 6): `l=` and `a=` URLs are chosen by the sender of a message, so the
 * address a socket is about to connect to is classified against the IANA
 * special-purpose registries (RFC 6890 with its updates: IPv4 and IPv6
 * Special-Purpose Address Registries) and only globally routable unicast
 * addresses are allowed. IPv6 forms that carry an IPv4 address
 * (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96,
 * 6to4 2002::/16) are classified by the IPv4 address they carry.
 */
#ifndef BIMI_FETCH_NETADDR_H
#define BIMI_FETCH_NETADDR_H

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

#define BIMI_NETADDR_ERROR (bimi_netaddr_error_quark())
GQuark bimi_netaddr_error_quark(void);

typedef enum {
  BIMI_NETADDR_ERROR_SYNTAX,   /**< not an IPv4 dotted quad or IPv6 text address */
} BimiNetaddrError;

/** What an address is, for the SSRF guard. Only _PUBLIC may be connected to. */
typedef enum {
  BIMI_NETADDR_PUBLIC = 0,     /**< globally routable unicast */
  BIMI_NETADDR_UNSPECIFIED,    /**< 0.0.0.0/8 ("this network"), ::/128 */
  BIMI_NETADDR_LOOPBACK,       /**< 127.0.0.0/8, ::1/128 */
  BIMI_NETADDR_PRIVATE,        /**< RFC 1918, fc00::/7 ULA, fec0::/10 site-local, 64:ff9b:1::/48 */
  BIMI_NETADDR_SHARED,         /**< 100.64.0.0/10 (RFC 6598, carrier-grade NAT) */
  BIMI_NETADDR_LINK_LOCAL,     /**< 169.254.0.0/16 (cloud metadata lives here), fe80::/10 */
  BIMI_NETADDR_MULTICAST,      /**< 224.0.0.0/4, ff00::/8 */
  BIMI_NETADDR_BROADCAST,      /**< 255.255.255.255 */
  BIMI_NETADDR_DOCUMENTATION,  /**< 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20 */
  BIMI_NETADDR_BENCHMARKING,   /**< 198.18.0.0/15, 2001:2::/48 */
  BIMI_NETADDR_RESERVED,       /**< 240/4, 192.0.0/24, 192.88.99/24, IPv6 outside 2000::/3, 2001::/23, ... */
} BimiNetaddrClass;

/**
 * bimi_netaddr_classify:
 * @addr: (array length=len): the address in network byte order
 * @len: 4 (IPv4) or 16 (IPv6); any other length is BIMI_NETADDR_RESERVED
 * @out_range: (out) (optional) (transfer none): the special range matched, in
 *   CIDR text ("10.0.0.0/8"; for an IPv6 form carrying IPv4, the range of the
 *   embedded IPv4 address, e.g. "127.0.0.0/8" for ::ffff:127.0.0.1), or
 *   "global" for a public address; a static string
 *
 * IPv6 addresses that embed IPv4 (::ffff:0:0/96 mapped, ::/96 compatible,
 * 64:ff9b::/96 NAT64, 2002::/16 6to4) take the class of the embedded IPv4
 * address; an IPv4-compatible address is never public (deprecated by RFC 4291
 * §2.5.5.1, so a public one is BIMI_NETADDR_RESERVED).
 *
 * Returns: the class; only BIMI_NETADDR_PUBLIC is fetchable.
 */
BimiNetaddrClass bimi_netaddr_classify(const guint8 *addr, gsize len, const char **out_range);

/**
 * bimi_netaddr_classify_sockaddr:
 * @sa: an AF_INET or AF_INET6 socket address
 * @salen: its length in bytes
 * @out_range: (out) (optional) (transfer none): as for bimi_netaddr_classify()
 *
 * Returns: the class of the address in @sa; other families and short
 * lengths are BIMI_NETADDR_RESERVED.
 */
BimiNetaddrClass bimi_netaddr_classify_sockaddr(const struct sockaddr *sa, gsize salen, const char **out_range);

/**
 * bimi_netaddr_parse:
 * @text: (array length=len): an address in text form, untrusted, need not be
 *   NUL-terminated: IPv4 dotted quad (four decimal octets only — no octal,
 *   hex or short forms) or RFC 4291 §2.2 IPv6 text, optionally in brackets
 * @len: bytes of @text, at most 64
 * @out: (out caller-allocates): 16 bytes; receives the address in network order
 * @out_len: (out): 4 or 16
 * @error: BIMI_NETADDR_ERROR_SYNTAX, with what was wrong
 *
 * Returns: TRUE on success.
 */
gboolean bimi_netaddr_parse(const char *text, gsize len, guint8 out[16], gsize *out_len, GError **error);

/** The class as a short token ("public", "loopback", "private", ...). (transfer none) */
const char *bimi_netaddr_class_to_string(BimiNetaddrClass klass);

G_END_DECLS

#endif /* BIMI_FETCH_NETADDR_H */
