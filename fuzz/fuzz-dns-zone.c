/* fuzz/fuzz-dns-zone.c — libFuzzer target for the RFC 1035 master-file parser
 * (engine/dns-zone.c), the code behind bimi_dns_resolver_add_zone_data().
 *
 * Parse-only: a fresh BimiDnsZone per input, no libunbound context (which
 * would cost a thread per input). Every record produced is re-parsed from
 * its canonical text, which must succeed and give the same text: the form
 * handed to libunbound is always one our own parser accepts unchanged.
 */
#include "engine/dns-zone.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(BimiDnsZone) zone = bimi_dns__zone_new(BIMI_MAX_ZONE_RECORDS);
  g_autoptr(GPtrArray) records = NULL;

  if (size > BIMI_MAX_ZONE_FILE_BYTES)
    return 0;
  records = bimi_dns__zone_parse(zone, (const char *) data, size, "fuzz", NULL, NULL);
  if (records == NULL)
    return 0;
  for (guint i = 0; i < records->len; i++) {
    g_autofree char *text = bimi_dns__zone_record_to_string(records->pdata[i]);
    g_autoptr(BimiDnsZone) again = bimi_dns__zone_new(1);
    g_autoptr(GPtrArray) back = bimi_dns__zone_parse(again, text, strlen(text), "again", NULL, NULL);
    g_autofree char *text2 = NULL;
    if (back == NULL || back->len != 1)
      g_error("canonical record does not parse back: %s", text);
    text2 = bimi_dns__zone_record_to_string(back->pdata[0]);
    if (strcmp(text, text2) != 0)
      g_error("canonical record is not stable: %s -> %s", text, text2);
  }
  return 0;
}
