/* fuzz/fuzz-ingest-payload.c — libFuzzer target for report/ingest-payload (XML,
 * gzip and zip report payloads, decompressed through libarchive within the
 * BIMI_INGEST_* bounds).
 *
 * Checks: NULL exactly with an error; an accepted payload gives at least one
 * report, each within the record limit, and no more than
 * BIMI_INGEST_MAX_ARCHIVE_ENTRIES of them. Any breach aborts.
 */
#include "engine/limits.h"
#include "fuzz/fuzz.h"
#include "report/ingest-payload.h"

#include <stdint.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) payload = g_bytes_new_static(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) reports = bimi_ingest_payload_parse(payload, &error);
  fuzz_expect_one_of(reports, error);
  if (reports != NULL) {
    if (reports->len == 0 || reports->len > BIMI_INGEST_MAX_ARCHIVE_ENTRIES)
      abort();
    for (guint i = 0; i < reports->len; i++) {
      const BimiIngestReport *r = g_ptr_array_index(reports, i);
      if (r->records->len > BIMI_INGEST_MAX_RECORDS || r->org_name == NULL)
        abort();
    }
  }
  return 0;
}
