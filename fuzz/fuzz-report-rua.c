/* fuzz/fuzz-report-rua.c — libFuzzer target for the rua= destination parser
 * (report/rua.c: DMARC URIs with "!size", RFC 6068 mailto percent-encoding).
 *
 * Parses the input as one URI and checks the promises of report/rua.h: an error is
 * from BIMI_REPORT_RUA_ERROR only; a destination is printable ASCII only (no CR/LF can
 * reach a mail header or an SMTP command), ends in '@' and its lower-case domain, and
 * keeps the URI as given. Then
 * the input is split at commas as a whole rua= list is. Any breach aborts.
 */
#include "engine/limits.h"
#include "fuzz/fuzz.h"
#include "report/rua.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_one(const char *uri, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRua) r = bimi_report_rua_parse(uri, len, &error);
  gsize alen, dlen;

  if (r == NULL) {
    fuzz_expect_error(error, BIMI_REPORT_RUA_ERROR);
    return;
  }
  if (error != NULL || r->address == NULL || r->domain == NULL || r->uri == NULL)
    abort();
  if (strlen(r->uri) != len || memcmp(r->uri, uri, len) != 0)
    abort();
  alen = strlen(r->address);
  dlen = strlen(r->domain);
  if (alen <= dlen + 1 || strcmp(r->address + alen - dlen, r->domain) != 0 || r->address[alen - dlen - 1] != '@')
    abort();
  for (gsize i = 0; i < alen; i++)
    if ((guchar) r->address[i] < 0x20 || (guchar) r->address[i] > 0x7e)
      abort();
  for (gsize i = 0; i < dlen; i++)
    if (g_ascii_isupper(r->domain[i]))
      abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *) data, size);
  g_auto(GStrv) parts = NULL;

  check_one((const char *) data, size);
  parts = g_strsplit(text, ",", (gint) BIMI_DMARC_MAX_REPORT_URIS + 1);
  for (guint i = 0; parts[i] != NULL; i++)
    check_one(parts[i], strlen(parts[i]));
  return 0;
}
