/* fuzz/fuzz-evaluate-cache.c — libFuzzer target for the record-cache value
 * decoder of evaluate/ (bimi_evaluate__verdict_decode): the cached
 * verdict of a logo and Evidence Document validation, which a shared cache
 * backend may hold from another process, so it is untrusted input.
 *
 * Whatever the decoder accepts must be consistent (a valid verdict names a
 * 64-hex logo, a failure none; every string within
 * BIMI_EVALUATE_MAX_CACHE_STRING_BYTES and UTF-8) and must round-trip:
 * encode(decode(x)) decodes to the same fields. Any breach aborts.
 */
#include "engine/limits.h"
#include "evaluate/evaluate-private.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_string(const char *s)
{
  if (s != NULL && (strlen(s) > BIMI_EVALUATE_MAX_CACHE_STRING_BYTES || !g_utf8_validate(s, -1, NULL)))
    abort();
}

static void
check_same(const BimiEvaluateVerdict *a, const BimiEvaluateVerdict *b)
{
  if (a->kind != b->kind || a->authority != b->authority || a->pilot != b->pilot ||
      a->svg_from_evidence != b->svg_from_evidence || a->not_after != b->not_after ||
      a->reason != b->reason || g_strcmp0(a->detail, b->detail) != 0 ||
      g_strcmp0(a->location, b->location) != 0 || g_strcmp0(a->evidence, b->evidence) != 0 ||
      g_strcmp0(a->sha256, b->sha256) != 0 || g_strcmp0(a->title, b->title) != 0 ||
      g_strcmp0(a->cert_type, b->cert_type) != 0 || g_strcmp0(a->mark_type, b->mark_type) != 0 ||
      g_strcmp0(a->organization, b->organization) != 0 || g_strcmp0(a->issuer, b->issuer) != 0 ||
      g_strcmp0(a->trademark_country, b->trademark_country) != 0 ||
      g_strcmp0(a->trademark_office, b->trademark_office) != 0 ||
      g_strcmp0(a->trademark_id, b->trademark_id) != 0)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) value = g_bytes_new(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiEvaluateVerdict) v = bimi_evaluate__verdict_decode(value, &error);
  g_autoptr(BimiEvaluateVerdict) again = NULL;
  g_autoptr(GBytes) encoded = NULL;

  if (v == NULL) {
    fuzz_expect_error(error, BIMI_EVALUATE_ERROR);
    return 0;
  }
  if (v->detail == NULL || (v->location == NULL && v->evidence == NULL))
    abort();
  if ((v->kind == BIMI_EVALUATE_VERDICT_FAIL) != (v->sha256 == NULL))
    abort();
  check_string(v->detail);
  check_string(v->location);
  check_string(v->evidence);
  check_string(v->title);
  check_string(v->organization);
  check_string(v->issuer);
  encoded = bimi_evaluate__verdict_encode(v);
  again = bimi_evaluate__verdict_decode(encoded, &error);
  if (again == NULL)
    abort();
  check_same(v, again);
  return 0;
}
