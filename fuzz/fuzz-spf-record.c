/* fuzz/fuzz-spf-record.c — libFuzzer target: the SPF record parser
 * (engine/spf-record.c, RFC 7208 §4.5/§12) on arbitrary bytes.
 *
 * Checks beyond "no crash": a parsed record has consistent fields (CIDR in
 * range, offsets inside the input, domain-specs that pass the macro check).
 */
#include "engine/limits.h"
#include "engine/spf-private.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSpfRecord) rec = NULL;
  gboolean is_spf = bimi_spf__record_is_spf((const char *) data, size);

  rec = bimi_spf__record_parse((const char *) data, size, &error);
  if (rec == NULL) {
    g_assert_nonnull(error);
    g_assert_true(error->domain == BIMI_SPF_ERROR);
    return 0;
  }
  g_assert_true(is_spf);
  g_assert_cmpuint(size, <=, BIMI_SPF_MAX_RECORD_BYTES);
  for (guint i = 0; i < rec->mechanisms->len; i++) {
    const BimiSpfMechanism *m = g_ptr_array_index(rec->mechanisms, i);
    g_assert_cmpuint(m->cidr4, <=, 32);
    g_assert_cmpuint(m->cidr6, <=, 128);
    g_assert_cmpuint(m->offset + strlen(m->text), <=, size);
    g_assert_true(memcmp(data + m->offset, m->text, strlen(m->text)) == 0);
    if (m->domain_spec != NULL)
      g_assert_true(bimi_spf__macro_check(m->domain_spec, strlen(m->domain_spec), BIMI_SPF_MACRO_DOMAIN,
                                          0, NULL, NULL));
  }
  return 0;
}
