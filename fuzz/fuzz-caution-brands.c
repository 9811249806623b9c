/* fuzz/fuzz-caution-brands.c — libFuzzer target for engine/caution-brands.c: the
 * [caution] brands_file reader and the learned registry's record-cache value (issue 19).
 *
 * The first byte picks the form (even: operator brands file, odd: registry value), the
 * rest is the text. For every list that parses it checks the promises of caution.h:
 * at most BIMI_CAUTION_MAX_BRANDS brands, each with a name of 1..BIMI_CAUTION_MAX_NAME_BYTES
 * UTF-8 bytes, 1..BIMI_CAUTION_MAX_BRAND_DOMAINS distinct lower-case LDH domains, a logo hash of
 * 64 lowercase hex digits or none; registry brands with a record domain, a notAfter and
 * source vmc/cmc. Then the registry form written from them reads back equal, and a brand set
 * builds from them and answers a check. Any breach aborts.
 */
#include "engine/caution.h"
#include "engine/limits.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_brand(const BimiCautionBrand *b, BimiCautionBrandsFormat format)
{
  guint n = b->domains != NULL ? g_strv_length(b->domains) : 0;

  if (b->name == NULL || *b->name == '\0' || strlen(b->name) > BIMI_CAUTION_MAX_NAME_BYTES ||
      !g_utf8_validate(b->name, -1, NULL))
    abort();
  if (n == 0 || n > BIMI_CAUTION_MAX_BRAND_DOMAINS)
    abort();
  for (guint i = 0; i < n; i++) {
    for (const char *p = b->domains[i]; *p != '\0'; p++)
      if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-' || *p == '.'))
        abort();
    for (guint k = 0; k < i; k++)
      if (strcmp(b->domains[i], b->domains[k]) == 0)
        abort();
  }
  if (b->logo_sha256 != NULL && strlen(b->logo_sha256) != 64)
    abort();
  if (format == BIMI_CAUTION_BRANDS_OPERATOR && (b->source != BIMI_CAUTION_SOURCE_OPERATOR || b->not_after != 0))
    abort();
  if (format == BIMI_CAUTION_BRANDS_REGISTRY &&
      (b->source == BIMI_CAUTION_SOURCE_OPERATOR || b->not_after <= 0 || b->record_domain == NULL))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  BimiCautionBrandsFormat format;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) brands = NULL;

  if (size == 0)
    return 0;
  format = (data[0] & 1) ? BIMI_CAUTION_BRANDS_REGISTRY : BIMI_CAUTION_BRANDS_OPERATOR;
  brands = bimi_caution_brands_parse((const char *) data + 1, size - 1, "fuzz", format, &error);
  if (brands == NULL) {
    fuzz_expect_error(error, BIMI_CAUTION_ERROR);
    return 0;
  }
  if (error != NULL || brands->len > BIMI_CAUTION_MAX_BRANDS)
    abort();
  for (guint i = 0; i < brands->len; i++)
    check_brand(g_ptr_array_index(brands, i), format);
  if (format == BIMI_CAUTION_BRANDS_REGISTRY) {
    /* the writer's text reads back: same brands (a repeated group was merged by the key file) */
    g_autoptr(GBytes) text = bimi_caution_brands_to_registry(brands);
    g_autoptr(GPtrArray) back = bimi_caution_brands_parse(g_bytes_get_data(text, NULL), g_bytes_get_size(text),
                                                          "fuzz", BIMI_CAUTION_BRANDS_REGISTRY, NULL);
    if (back == NULL || back->len != brands->len)
      abort();
  }
  if (brands->len > 0 && brands->len <= 64) { /* an empty registry ("[registry]" alone) has no brand 0 */
    BimiCautionOptions options = { BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH, 1, NULL };
    g_autoptr(BimiCautionSet) set = bimi_caution_set_new(brands, &options, NULL);
    if (set != NULL) {
      const BimiCautionBrand *b = g_ptr_array_index(brands, 0);
      g_autoptr(BimiCautionMatch) mine = bimi_caution_check(set, b->name, b->domains[0], TRUE);
      if (mine != NULL && bimi_caution_signal_to_string(mine->signals) == NULL)
        abort();
    }
  }
  return 0;
}
