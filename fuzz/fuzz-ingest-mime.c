/* fuzz/fuzz-ingest-mime.c — libFuzzer target for report/ingest-mime (the report
 * parts of a report e-mail, through GMime).
 *
 * Checks: NULL exactly with an error; every part found is non-empty, starts like
 * XML, gzip or zip, and has a name and a media type; never more parts than
 * BIMI_INGEST_MAX_MIME_PARTS. Each part found is then parsed as a payload (the
 * whole ingest path of one message). Any breach aborts.
 */
#include "engine/limits.h"
#include "fuzz/fuzz.h"
#include "report/ingest-mime.h"
#include "report/ingest-payload.h"

#include <stdint.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) message = g_bytes_new_static(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parts = bimi_ingest_mime_parts(message, &error);
  fuzz_expect_one_of(parts, error);
  if (parts == NULL)
    return 0;
  if (parts->len == 0 || parts->len > BIMI_INGEST_MAX_MIME_PARTS)
    abort();
  for (guint i = 0; i < parts->len; i++) {
    const BimiIngestPart *part = g_ptr_array_index(parts, i);
    gsize len = 0;
    const guint8 *d = g_bytes_get_data(part->data, &len);
    if (part->name == NULL || part->media_type == NULL ||
        bimi_ingest_payload_kind(d, len) == BIMI_INGEST_PAYLOAD_UNKNOWN)
      abort();
    g_autoptr(GError) perr = NULL;
    g_autoptr(GPtrArray) reports = bimi_ingest_payload_parse(part->data, &perr);
    if ((reports == NULL) != (perr != NULL))
      abort();
  }
  return 0;
}
