/* fuzz/fuzz-fetch.c — libFuzzer target for the header parsers of engine/fetch.
 *
 * Feeds the input as a Cache-Control value (RFC 9111 §5.2) and as a
 * Content-Type value (RFC 9110 §8.3). Checks: freshness is -1 or within
 * 0..BIMI_FETCH_MAX_AGE_LIMIT; a media type, when found, is lower case,
 * has exactly one '/', no whitespace, and is no longer than the input.
 * Also feeds it (up to its first NUL) as a URL host to bimi_fetch__host_check():
 * an accepted host without allow_private is lower-case ASCII letters, digits,
 * '-', '_' and '.', at most BIMI_DNS_MAX_NAME_BYTES, has a dot, never parses
 * as an IP address and never ends in a numeric label; a refusal has a detail.
 */
#include "engine/fetch-netaddr.h"
#include "engine/fetch-private.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_host(const uint8_t *data, size_t size)
{
  g_autofree char *host = g_strndup((const char *) data, size);
  g_autofree char *out = NULL;
  g_autofree char *detail = NULL;
  guint8 addr[16];
  gsize addr_len, len;
  const char *last;

  if (!bimi_fetch__host_check(host, FALSE, &out, &detail)) {
    if (detail == NULL || out != NULL)
      abort();
    return;
  }
  len = strlen(out);
  if (len == 0 || len > BIMI_DNS_MAX_NAME_BYTES || strchr(out, '.') == NULL || detail != NULL)
    abort();
  for (gsize i = 0; i < len; i++)
    if (!(g_ascii_islower(out[i]) || g_ascii_isdigit(out[i]) || out[i] == '-' || out[i] == '_' || out[i] == '.'))
      abort();
  if (bimi_netaddr_parse(out, len, addr, &addr_len, NULL))
    abort();
  last = strrchr(out, '.') + 1;
  if (*last == '\0' || strspn(last, "0123456789") == strlen(last))
    abort();
  g_clear_pointer(&out, g_free);
  if (bimi_fetch__host_check(host, TRUE, &out, &detail) && (out == NULL || strlen(out) > BIMI_FETCH_MAX_URL_BYTES))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  gint64 age = bimi_fetch__cache_control_max_age((const char *) data, size);
  char *media;

  if (age < -1 || age > BIMI_FETCH_MAX_AGE_LIMIT)
    abort();
  check_host(data, size);
  media = bimi_fetch__media_type((const char *) data, size);
  if (media != NULL) {
    gsize len = strlen(media);
    const char *slash = strchr(media, '/');
    if (len > size || slash == NULL || strchr(slash + 1, '/') != NULL || slash == media || slash[1] == '\0')
      abort();
    for (gsize i = 0; i < len; i++)
      if (g_ascii_isupper(media[i]) || media[i] == ' ' || media[i] == '\t' || media[i] == ';')
        abort();
    g_free(media);
  }
  return 0;
}
