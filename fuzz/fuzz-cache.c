/* fuzz/fuzz-cache.c — libFuzzer target for what cache/ reads from outside:
 * file names and PNG bytes found in the logo store directory (which another
 * process, or an operator, may have put there) and the (selector, domain) key
 * of the record cache (from DNS and headers).
 *
 * The first byte picks the check:
 *  0: PNG structure check — whatever it accepts has the signature, an IHDR
 *     of the asked size and the IEND trailer;
 *  1: store file names — whatever is accepted is "<64 hex>.svg" or
 *     "<64 hex>-<px>.png" with px in range, in the subdirectory of its hash;
 *  2: record-cache key — a key that is accepted round-trips: after complete()
 *     a lookup (also upper-cased) is a HIT with the same bytes.
 * Any breach aborts.
 */
#include "cache/records.h"
#include "cache/store-private.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static gint64
fixed_clock(gpointer user_data)
{
  (void) user_data;
  return (gint64) 1700000000 * G_USEC_PER_SEC;
}

static void
check_png(const uint8_t *data, size_t size)
{
  guint px;

  if (size < 2)
    return;
  px = ((guint) data[0] << 8) | data[1];
  data += 2;
  size -= 2;
  if (!bimi_logo_store__png_is_valid(data, size, px))
    return;
  if (size < 45 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp(data + 12, "IHDR", 4) != 0 ||
      memcmp(data + size - 8, "IEND", 4) != 0)
    abort();
  if ((((guint) data[18] << 8) | data[19]) != px || (((guint) data[22] << 8) | data[23]) != px ||
      data[16] != 0 || data[17] != 0 || data[20] != 0 || data[21] != 0)
    abort();
}

static void
check_name(const uint8_t *data, size_t size)
{
  g_autofree char *name = NULL;
  const char *kind;
  char sub[3];
  gsize len;

  if (size < 1 || size > 300)
    return;
  kind = (data[0] & 1) ? "svg" : "png";
  name = g_strndup((const char *) data + 1, size - 1);
  len = strlen(name);
  sub[0] = len > 0 ? name[0] : 'x';
  sub[1] = len > 1 ? name[1] : 'x';
  sub[2] = '\0';
  if (!bimi_logo_store__name_is_store_file(kind, sub, name))
    return;
  for (gsize i = 0; i < BIMI_LOGO_HASH_HEX_LEN; i++)
    if (!g_ascii_isxdigit(name[i]) || g_ascii_isupper(name[i]))
      abort();
  if (kind[0] == 's') {
    if (len != BIMI_LOGO_HASH_HEX_LEN + 4 || strcmp(name + BIMI_LOGO_HASH_HEX_LEN, ".svg") != 0)
      abort();
  } else {
    guint64 px = 0;
    g_autofree char *digits = NULL;
    if (len < BIMI_LOGO_HASH_HEX_LEN + 6 || name[BIMI_LOGO_HASH_HEX_LEN] != '-' ||
        strcmp(name + len - 4, ".png") != 0)
      abort();
    digits = g_strndup(name + BIMI_LOGO_HASH_HEX_LEN + 1, len - BIMI_LOGO_HASH_HEX_LEN - 5);
    if (digits[0] == '0' ||
        !g_ascii_string_to_unsigned(digits, 10, 1, BIMI_CACHE_MAX_PNG_PX, &px, NULL))
      abort();
  }
}

static void
check_key(const uint8_t *data, size_t size)
{
  static BimiRecordCache *cache;
  const uint8_t *nul = memchr(data, '\0', size);
  g_autofree char *selector = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *upper_domain = NULL;
  g_autoptr(GBytes) value = NULL;
  BimiCacheEntry e = { 0 };
  BimiRecordCacheStatus st;

  if (cache == NULL) {
    BimiRecordCacheConfig cfg = { .max_ttl = 3600, .negative_ttl = 60, .max_stale = 0, .wait_ms = 0 };
    cache = bimi_record_cache_new(bimi_record_cache_backend_new_memory(64), &cfg, fixed_clock, NULL);
  }
  if (nul == NULL)
    return;
  selector = g_strndup((const char *) data, (gsize) (nul - data));
  domain = g_strndup((const char *) nul + 1, size - (gsize) (nul - data) - 1);
  if (!bimi_record_cache_lookup(cache, selector, domain, &e, &st, NULL))
    return;
  if (strlen(selector) > BIMI_CACHE_MAX_SELECTOR_BYTES || strlen(domain) > BIMI_DNS_MAX_NAME_BYTES + 1)
    abort();
  if (st == BIMI_RECORD_CACHE_MISS) {
    value = g_bytes_new(data, size);
    if (!bimi_record_cache_complete(cache, selector, domain, value, FALSE, 60, NULL, NULL))
      abort();
  } else if (st != BIMI_RECORD_CACHE_HIT) {
    abort(); /* no waits, no staleness with a fixed clock and max_stale 0 */
  } else {
    value = g_bytes_ref(e.value);
  }
  bimi_cache_entry_clear(&e);
  upper_domain = g_ascii_strup(domain, -1);
  if (!bimi_record_cache_lookup(cache, selector, upper_domain, &e, &st, NULL) || st != BIMI_RECORD_CACHE_HIT ||
      !g_bytes_equal(e.value, value))
    abort();
  bimi_cache_entry_clear(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  switch (data[0] % 3) {
  case 0:
    check_png(data + 1, size - 1);
    break;
  case 1:
    check_name(data + 1, size - 1);
    break;
  default:
    check_key(data + 1, size - 1);
    break;
  }
  return 0;
}
