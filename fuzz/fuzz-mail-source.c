/* fuzz/fuzz-mail-source.c — libFuzzer target for report/mail-source (mbox
 * splitting, RFC 4155, mboxrd unquoting).
 *
 * Reads the input as an mbox from a memory stream and checks: every item has
 * data or an error, never both; no message is longer than the input; the
 * messages together are no longer than the input (From_ lines and quoting
 * only ever remove bytes); the reader ends without an error (a memory stream
 * cannot fail). Any breach aborts.
 */
#include "engine/limits.h"
#include "fuzz/fuzz.h"
#include "report/mail-source.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static(data, size);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes(bytes);
  g_autoptr(BimiMailSource) src = bimi_mail_source_open_mbox_stream(in, "fuzz");
  BimiMailSourceItem *item = NULL;
  g_autoptr(GError) error = NULL;
  gsize total = 0;
  while (bimi_mail_source_next(src, &item, &error)) {
    if ((item->data == NULL) == (item->error == NULL) || item->where == NULL)
      abort();
    if (item->data != NULL) {
      gsize len = 0;
      const guint8 *m = g_bytes_get_data(item->data, &len);
      total += len;
      if (len > size || (len > 0 && m == NULL))
        abort();
    }
    bimi_mail_source_item_free(item);
  }
  if (error != NULL || total > size)
    abort();
  return 0;
}
