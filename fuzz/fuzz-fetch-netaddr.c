/* fuzz/fuzz-fetch-netaddr.c — libFuzzer target for engine/fetch-netaddr.c (address text and classification).
 *
 * Parses the input as address text; when it parses, classifies it and checks
 * the promises of netaddr.h: a range text always, "global" exactly for public
 * addresses, an IPv4-mapped form classified like its IPv4 address, an
 * IPv4-compatible form never public. Also classifies the raw bytes when the
 * input is 4 or 16 bytes long. Any breach aborts.
 */
#include "engine/fetch-netaddr.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check(const guint8 *addr, gsize len)
{
  const char *range = NULL;
  BimiNetaddrClass k = bimi_netaddr_classify(addr, len, &range);

  if (range == NULL || (k == BIMI_NETADDR_PUBLIC) != (strcmp(range, "global") == 0))
    abort();
  if (len == 4) {
    guint8 mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    guint8 compat[16] = { 0 };
    memcpy(mapped + 12, addr, 4);
    memcpy(compat + 12, addr, 4);
    if (bimi_netaddr_classify(mapped, 16, NULL) != k)
      abort();
    if (bimi_netaddr_classify(compat, 16, NULL) == BIMI_NETADDR_PUBLIC)
      abort();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  guint8 addr[16];
  gsize len = 0;
  GError *error = NULL;

  if (bimi_netaddr_parse((const char *) data, size, addr, &len, &error)) {
    if (len != 4 && len != 16)
      abort();
    check(addr, len);
  } else {
    if (error == NULL || error->message == NULL)
      abort();
    g_error_free(error);
  }
  if (size == 4 || size == 16)
    check(data, size);
  return 0;
}
