/* fuzz/fuzz-fetch.c — libFuzzer target for the header parsers of engine/fetch.
 *
 * Feeds the input as a Cache-Control value (RFC 9111 §5.2) and as a
 * Content-Type value (RFC 9110 §8.3). Checks: freshness is -1 or within
 * 0..BIMI_FETCH_MAX_AGE_LIMIT; a media type, when found, is lower case,
 * has exactly one '/', no whitespace, and is no longer than the input.
 */
#include "engine/fetch-private.h"
#include "engine/limits.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  gint64 age = bimi_fetch__cache_control_max_age((const char *) data, size);
  char *media;

  if (age < -1 || age > BIMI_FETCH_MAX_AGE_LIMIT)
    abort();
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
