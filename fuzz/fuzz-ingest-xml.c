/* fuzz/fuzz-ingest-xml.c — libFuzzer target for report/ingest-xml (RFC 7489 App. C,
 * RFC 9990 §3 aggregate reports).
 *
 * Parses the input in one piece and again fed in small pieces (the push parser
 * must not depend on where the chunks break), and checks what ingest-xml.h
 * promises of an accepted report: the required fields set, records within
 * BIMI_INGEST_MAX_RECORDS, list and field lengths within their limits,
 * message_count the sum of the counts, end not before begin; and the same
 * verdict (and the same report) for both feeds. Any breach aborts.
 */
#include "engine/limits.h"
#include "fuzz/fuzz.h"
#include "report/ingest-xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_field(const char *s)
{
  if (s != NULL && strlen(s) > BIMI_INGEST_MAX_FIELD_BYTES)
    abort();
}

static void
check(const BimiIngestReport *r)
{
  if (r->org_name == NULL || r->report_id == NULL || r->domain == NULL || r->p == NULL || r->begin < 0 ||
      r->end < r->begin)
    abort();
  check_field(r->org_name);
  check_field(r->report_id);
  check_field(r->domain);
  if (r->records->len > BIMI_INGEST_MAX_RECORDS || r->errors->len > BIMI_INGEST_MAX_LIST_ITEMS ||
      r->extensions->len > BIMI_INGEST_MAX_LIST_ITEMS)
    abort();
  guint64 sum = 0;
  for (guint i = 0; i < r->records->len; i++) {
    const BimiIngestRecord *rec = g_ptr_array_index(r->records, i);
    if (rec->source_ip == NULL || rec->count == 0 || rec->disposition == NULL || rec->dkim == NULL ||
        rec->spf == NULL || rec->header_from == NULL)
      abort();
    if (rec->dkim_results->len > BIMI_INGEST_MAX_AUTH_RESULTS || rec->spf_results->len > BIMI_INGEST_MAX_AUTH_RESULTS ||
        rec->reasons->len > BIMI_INGEST_MAX_LIST_ITEMS)
      abort();
    check_field(rec->header_from);
    sum += rec->count;
  }
  if (sum != r->message_count)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(BimiIngestReport) r1 = bimi_ingest_xml_parse(data, size, &e1);
  g_autoptr(BimiIngestXmlParser) p = bimi_ingest_xml_parser_new();
  gboolean ok = TRUE;
  for (size_t off = 0; ok && off < size; off += 7)
    ok = bimi_ingest_xml_parser_feed(p, data + off, MIN(7, size - off), &e2);
  g_autoptr(BimiIngestReport) r2 = ok ? bimi_ingest_xml_parser_finish(p, &e2) : NULL;
  if ((r1 == NULL) != (e1 != NULL) || (r2 == NULL) != (e2 != NULL))
    abort();
  if ((r1 == NULL) != (r2 == NULL))
    abort();
  if (r1 != NULL) {
    check(r1);
    if (r1->records->len != r2->records->len || r1->message_count != r2->message_count ||
        strcmp(r1->report_id, r2->report_id) != 0)
      abort();
  }
  return 0;
}
