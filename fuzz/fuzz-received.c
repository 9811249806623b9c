/* fuzz/fuzz-received.c — libFuzzer target for engine/received (RFC 5321 §4.4).
 *
 * The input is parsed twice: as one Received field value with
 * bimi_received_parse(), and as a whole message walked by
 * bimi_received_envelope() with "mx.example.net" as the trusted receiver.
 * Checks: a failure sets a BIMI_RECEIVED_ERROR and leaves the hop empty; every
 * string returned is valid UTF-8 without controls; a client address is a
 * canonical GInetAddress text (parsing and printing it again gives itself,
 * never an IPv4-mapped IPv6 form); the envelope outputs are all NULL unless
 * it returns TRUE.
 */
#include "engine/limits.h"
#include "engine/received.h"
#include "fuzz/fuzz.h"

#include <gio/gio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_string(const char *s)
{
  if (s == NULL)
    return;
  if (!g_utf8_validate(s, -1, NULL))
    abort();
  for (const char *p = s; *p != '\0'; p++)
    if ((guchar) *p < 0x20 && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
      abort();
}

static void
check_ip(const char *ip)
{
  if (ip == NULL)
    return;
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);
  if (a == NULL)
    abort();
  g_autofree char *again = g_inet_address_to_string(a);
  if (strcmp(again, ip) != 0)
    abort();
  /* An IPv4-mapped address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) must have become
   * IPv4; "::ffff:192:c000:209" is another IPv6 address that only starts alike. */
  if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6) {
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (memcmp(g_inet_address_to_bytes(a), mapped, sizeof mapped) == 0)
      abort();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *in = (const char *) data;
  {
    BimiReceivedHop hop = { 0 };
    g_autoptr(GError) error = NULL;
    if (bimi_received_parse(in, size, &hop, &error)) {
      if (error != NULL || size > BIMI_RECEIVED_MAX_BYTES)
        abort();
      check_string(hop.helo);
      check_string(hop.by_host);
      check_string(hop.with);
      check_string(hop.for_addr);
      check_ip(hop.client_ip);
      bimi_received_hop_clear(&hop);
    } else if (error == NULL || error->domain != BIMI_RECEIVED_ERROR || hop.helo != NULL ||
               hop.client_ip != NULL || hop.by_host != NULL || hop.with != NULL || hop.for_addr != NULL) {
      abort();
    }
  }
  {
    g_autoptr(GBytes) raw = g_bytes_new(data, size);
    g_autoptr(BimiMessage) msg = bimi_message_parse(raw, NULL);
    if (msg == NULL)
      return 0;
    static const char *const trusted[] = { "mx.example.net", NULL };
    g_autofree char *ip = NULL, *helo = NULL, *mail_from = NULL;
    g_autoptr(GError) error = NULL;
    if (bimi_received_envelope(msg, trusted, &ip, &helo, &mail_from, &error)) {
      if (error != NULL)
        abort();
      check_ip(ip);
      check_string(helo);
      check_string(mail_from);
    } else if (ip != NULL || helo != NULL || mail_from != NULL ||
               (error != NULL && error->domain != BIMI_RECEIVED_ERROR)) {
      abort();
    }
  }
  return 0;
}
