/* fuzz/fuzz-fcgi-records.c — libFuzzer target for bimi_fcgi_scan_request()
 * (fcgi/http.c): the look bimi-fcgi's dispatcher takes at the bytes waiting on
 * a FastCGI connection (fastcgi-spec §3.3 records, §3.4 name-value pairs, §5).
 *
 * Checks the promises of fcgi/http.h and aborts on any breach: an error is
 * BIMI_FCGI_ERROR_BAD_REQUEST; MORE says a need beyond the input; READY and
 * HEADERS stay so when bytes are appended (a prefix decision never changes);
 * READY never comes from fewer than 32 bytes (BEGIN_REQUEST, empty PARAMS,
 * empty STDIN).
 */
#include "engine/limits.h"
#include "fcgi/http.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  gsize need = 0;
  guint64 cl = 0;
  BimiFcgiScan r = bimi_fcgi_scan_request(data, size, &need, &cl, &error);

  if (error != NULL) {
    if (error->domain != BIMI_FCGI_ERROR || error->code != BIMI_FCGI_ERROR_BAD_REQUEST || r != BIMI_FCGI_SCAN_MORE)
      abort();
    return 0;
  }
  if (r == BIMI_FCGI_SCAN_MORE && need <= size)
    abort();
  if (r == BIMI_FCGI_SCAN_READY && size < 32)
    abort();
  if (r != BIMI_FCGI_SCAN_MORE && size > 0) {
    /* The same bytes followed by one more record header: the decision holds. */
    g_autofree guchar *more = g_malloc(size + 8);
    static const guchar extra[8] = { 1, 5, 0, 1, 0, 0, 0, 0 };
    memcpy(more, data, size);
    memcpy(more + size, extra, 8);
    g_autoptr(GError) again_error = NULL;
    gsize need2;
    guint64 cl2;
    BimiFcgiScan again = bimi_fcgi_scan_request(more, size + 8, &need2, &cl2, &again_error);
    if (r == BIMI_FCGI_SCAN_READY && (again != BIMI_FCGI_SCAN_READY || cl2 != cl))
      abort();
    if (r == BIMI_FCGI_SCAN_HEADERS && again == BIMI_FCGI_SCAN_MORE && again_error == NULL)
      abort();
  }
  return 0;
}
