/* engine/fetch-netaddr.c — address classification for the fetcher's SSRF guard.
 *
 * Implements: the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and updates: RFC 1122 §3.2.1.3, RFC 1918, RFC 3927, RFC 5737,
 * RFC 6598, RFC 2544, RFC 5771, RFC 919, RFC 4291 §2.4–§2.7, RFC 4193,
 * RFC 3849, RFC 9637, RFC 6052, RFC 8215, RFC 3056, RFC 6666, RFC 9602);
 * spec/bimi-receiver.md §12 item 15 and §13 item 6 (attacker-chosen URLs).
 *
 * Deliberate deviations, all on the side of refusing:
 *  - 192.0.0.0/24 is refused whole, although 192.0.0.9 and 192.0.0.10 are
 *    globally reachable anycast (no BIMI origin lives there).
 *  - 2001::/23 (Teredo, ORCHID, AMT, AS112 ...) is refused whole: Teredo
 *    embeds obfuscated IPv4 addresses, and nothing of worth is lost.
 *  - All IPv6 outside 2000::/3 is refused (unallocated or special), except the
 *    IPv4-carrying forms whose embedded address is public (mapped, NAT64).
 *  - IPv4-compatible addresses (::a.b.c.d, deprecated) are never public.
 *  - 192.88.99.0/24 (deprecated 6to4 relay anycast, RFC 7526) is refused.
 */
#include "engine/fetch-netaddr.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

G_DEFINE_QUARK(bimi-netaddr-error-quark, bimi_netaddr_error)

typedef struct {
  guint8 prefix[16];
  guint bits;
  BimiNetaddrClass klass;
  const char *range;
} Range;

/* Longest prefixes are not needed: no two entries of one table overlap,
 * except 255.255.255.255 inside 240/4, which comes first. */
static const Range v4_ranges[] = {
  { { 255, 255, 255, 255 }, 32, BIMI_NETADDR_BROADCAST, "255.255.255.255/32" },
  { { 0 }, 8, BIMI_NETADDR_UNSPECIFIED, "0.0.0.0/8" },
  { { 10 }, 8, BIMI_NETADDR_PRIVATE, "10.0.0.0/8" },
  { { 100, 64 }, 10, BIMI_NETADDR_SHARED, "100.64.0.0/10" },
  { { 127 }, 8, BIMI_NETADDR_LOOPBACK, "127.0.0.0/8" },
  { { 169, 254 }, 16, BIMI_NETADDR_LINK_LOCAL, "169.254.0.0/16" },
  { { 172, 16 }, 12, BIMI_NETADDR_PRIVATE, "172.16.0.0/12" },
  { { 192, 0, 0 }, 24, BIMI_NETADDR_RESERVED, "192.0.0.0/24" },
  { { 192, 0, 2 }, 24, BIMI_NETADDR_DOCUMENTATION, "192.0.2.0/24" },
  { { 192, 88, 99 }, 24, BIMI_NETADDR_RESERVED, "192.88.99.0/24" },
  { { 192, 168 }, 16, BIMI_NETADDR_PRIVATE, "192.168.0.0/16" },
  { { 198, 18 }, 15, BIMI_NETADDR_BENCHMARKING, "198.18.0.0/15" },
  { { 198, 51, 100 }, 24, BIMI_NETADDR_DOCUMENTATION, "198.51.100.0/24" },
  { { 203, 0, 113 }, 24, BIMI_NETADDR_DOCUMENTATION, "203.0.113.0/24" },
  { { 224 }, 4, BIMI_NETADDR_MULTICAST, "224.0.0.0/4" },
  { { 240 }, 4, BIMI_NETADDR_RESERVED, "240.0.0.0/4" },
};

/* IPv6 ranges that carry no IPv4 address, checked after the embedded forms
 * (::/128 and ::1/128 are handled with the IPv4-compatible form). */
static const Range v6_ranges[] = {
  { { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, BIMI_NETADDR_PRIVATE, "64:ff9b:1::/48" },
  { { 0x01, 0x00 }, 64, BIMI_NETADDR_RESERVED, "100::/64" },
  { { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 }, 48, BIMI_NETADDR_BENCHMARKING, "2001:2::/48" },
  { { 0x20, 0x01, 0x0d, 0xb8 }, 32, BIMI_NETADDR_DOCUMENTATION, "2001:db8::/32" },
  { { 0x20, 0x01 }, 23, BIMI_NETADDR_RESERVED, "2001::/23" },
  { { 0x3f, 0xff }, 20, BIMI_NETADDR_DOCUMENTATION, "3fff::/20" },
  { { 0x5f, 0x00 }, 16, BIMI_NETADDR_RESERVED, "5f00::/16" },
  { { 0xfc }, 7, BIMI_NETADDR_PRIVATE, "fc00::/7" },
  { { 0xfe, 0x80 }, 10, BIMI_NETADDR_LINK_LOCAL, "fe80::/10" },
  { { 0xfe, 0xc0 }, 10, BIMI_NETADDR_PRIVATE, "fec0::/10" },
  { { 0xff }, 8, BIMI_NETADDR_MULTICAST, "ff00::/8" },
};

static gboolean
prefix_match(const guint8 *addr, const guint8 *prefix, guint bits)
{
  guint full = bits / 8, rest = bits % 8;

  if (memcmp(addr, prefix, full) != 0)
    return FALSE;
  if (rest == 0)
    return TRUE;
  return ((addr[full] ^ prefix[full]) & (guint8) (0xffu << (8 - rest))) == 0;
}

static BimiNetaddrClass
classify_v4(const guint8 *a, const char **out_range)
{
  for (gsize i = 0; i < G_N_ELEMENTS(v4_ranges); i++) {
    if (prefix_match(a, v4_ranges[i].prefix, v4_ranges[i].bits)) {
      *out_range = v4_ranges[i].range;
      return v4_ranges[i].klass;
    }
  }
  *out_range = "global";
  return BIMI_NETADDR_PUBLIC;
}

static BimiNetaddrClass
classify_v6(const guint8 *a, const char **out_range)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 zero12[12] = { 0 };
  static const guint8 nat64[12] = { 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
  const char *v4_range = NULL;
  BimiNetaddrClass k;

  if (memcmp(a, mapped, 12) == 0) {
    k = classify_v4(a + 12, &v4_range);
    *out_range = k == BIMI_NETADDR_PUBLIC ? "global" : v4_range;
    return k;
  }
  if (memcmp(a, zero12, 12) == 0) {
    /* ::/128 and ::1/128 first: they are not IPv4-compatible addresses. */
    if (a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0) {
      *out_range = "::/128";
      return BIMI_NETADDR_UNSPECIFIED;
    }
    if (a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 1) {
      *out_range = "::1/128";
      return BIMI_NETADDR_LOOPBACK;
    }
    k = classify_v4(a + 12, &v4_range);
    *out_range = k == BIMI_NETADDR_PUBLIC ? "::/96" : v4_range;
    return k == BIMI_NETADDR_PUBLIC ? BIMI_NETADDR_RESERVED : k;
  }
  if (memcmp(a, nat64, 12) == 0) {
    k = classify_v4(a + 12, &v4_range);
    *out_range = k == BIMI_NETADDR_PUBLIC ? "global" : v4_range;
    return k;
  }
  if (a[0] == 0x20 && a[1] == 0x02) {
    k = classify_v4(a + 2, &v4_range);
    *out_range = k == BIMI_NETADDR_PUBLIC ? "global" : v4_range;
    return k;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(v6_ranges); i++) {
    if (prefix_match(a, v6_ranges[i].prefix, v6_ranges[i].bits)) {
      *out_range = v6_ranges[i].range;
      return v6_ranges[i].klass;
    }
  }
  if ((a[0] & 0xe0) != 0x20) {
    *out_range = "outside 2000::/3";
    return BIMI_NETADDR_RESERVED;
  }
  *out_range = "global";
  return BIMI_NETADDR_PUBLIC;
}

BimiNetaddrClass
bimi_netaddr_classify(const guint8 *addr, gsize len, const char **out_range)
{
  const char *range = NULL;
  BimiNetaddrClass k;

  g_return_val_if_fail(addr != NULL || len == 0, BIMI_NETADDR_RESERVED);
  if (len == 4)
    k = classify_v4(addr, &range);
  else if (len == 16)
    k = classify_v6(addr, &range);
  else {
    range = "not an IP address";
    k = BIMI_NETADDR_RESERVED;
  }
  if (out_range != NULL)
    *out_range = range;
  return k;
}

BimiNetaddrClass
bimi_netaddr_classify_sockaddr(const struct sockaddr *sa, gsize salen, const char **out_range)
{
  if (sa != NULL && sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in sin;
    memcpy(&sin, sa, sizeof sin);
    return bimi_netaddr_classify((const guint8 *) &sin.sin_addr, 4, out_range);
  }
  if (sa != NULL && sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, sa, sizeof sin6);
    return bimi_netaddr_classify((const guint8 *) &sin6.sin6_addr, 16, out_range);
  }
  if (out_range != NULL)
    *out_range = "not an IPv4 or IPv6 socket address";
  return BIMI_NETADDR_RESERVED;
}

gboolean
bimi_netaddr_parse(const char *text, gsize len, guint8 out[16], gsize *out_len, GError **error)
{
  char buf[65];

  g_return_val_if_fail(text != NULL || len == 0, FALSE);
  if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
    text++;
    len -= 2;
  }
  if (len == 0 || len >= sizeof buf) {
    g_set_error(error, BIMI_NETADDR_ERROR, BIMI_NETADDR_ERROR_SYNTAX,
                "address text of %" G_GSIZE_FORMAT " bytes (expected 1 to 64)", len);
    return FALSE;
  }
  if (memchr(text, '\0', len) != NULL) {
    g_set_error(error, BIMI_NETADDR_ERROR, BIMI_NETADDR_ERROR_SYNTAX, "NUL byte in address text");
    return FALSE;
  }
  memcpy(buf, text, len);
  buf[len] = '\0';
  memset(out, 0, 16);
  /* glibc's inet_pton(AF_INET) takes exactly four decimal octets without
   * leading zeros: the ambiguous inet_aton forms (0x7f.1, 017.0.0.1,
   * 2130706433) are refused rather than guessed. */
  if (memchr(buf, ':', len) == NULL) {
    if (inet_pton(AF_INET, buf, out) == 1) {
      *out_len = 4;
      return TRUE;
    }
  } else if (inet_pton(AF_INET6, buf, out) == 1) {
    *out_len = 16;
    return TRUE;
  }
  {
    g_autofree char *shown = g_strescape(buf, NULL);
    g_set_error(error, BIMI_NETADDR_ERROR, BIMI_NETADDR_ERROR_SYNTAX,
                "'%s' is not an IPv4 dotted quad or an IPv6 address", shown);
  }
  return FALSE;
}

const char *
bimi_netaddr_class_to_string(BimiNetaddrClass klass)
{
  switch (klass) {
  case BIMI_NETADDR_PUBLIC: return "public";
  case BIMI_NETADDR_UNSPECIFIED: return "unspecified";
  case BIMI_NETADDR_LOOPBACK: return "loopback";
  case BIMI_NETADDR_PRIVATE: return "private";
  case BIMI_NETADDR_SHARED: return "shared";
  case BIMI_NETADDR_LINK_LOCAL: return "link-local";
  case BIMI_NETADDR_MULTICAST: return "multicast";
  case BIMI_NETADDR_BROADCAST: return "broadcast";
  case BIMI_NETADDR_DOCUMENTATION: return "documentation";
  case BIMI_NETADDR_BENCHMARKING: return "benchmarking";
  case BIMI_NETADDR_RESERVED: return "reserved";
  }
  return "reserved";
}
