/* fuzz/fuzz-message.c — libFuzzer target for engine/message.c: the header
 * index (bimi_message_parse) and everything built on it (unfolding, field
 * lookup, the body, From parsing). Checks the index invariants as it goes. */
#include "engine/message.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) raw = g_bytes_new(data, size);
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, NULL);
  g_autoptr(GPtrArray) from = NULL;
  g_autoptr(GArray) idx = NULL;
  gsize canon_size, body_len = 0, expect = 0;
  const char *canon;
  guint n_from = 0;

  if (msg == NULL)
    return 0;
  canon = g_bytes_get_data(bimi_message_get_canonical(msg), &canon_size);
  for (guint i = 0; i < bimi_message_get_n_fields(msg); i++) {
    const BimiHeaderField *f = bimi_message_get_field(msg, i);
    g_autofree char *v = NULL;
    gsize vlen = 0;
    if (f->field_offset != expect || f->field_length < 2 || f->field_offset + f->field_length > canon_size ||
        f->value_offset + f->value_length + 2 != f->field_offset + f->field_length ||
        memcmp(canon + f->field_offset + f->field_length - 2, "\r\n", 2) != 0)
      __builtin_trap();
    expect = f->field_offset + f->field_length;
    v = bimi_header_field_dup_unfolded_value(f, &vlen);
    if (vlen > f->value_length)
      __builtin_trap();
  }
  bimi_message_get_body(msg, &body_len);
  if (bimi_message_get_body_offset(msg) + body_len != canon_size)
    __builtin_trap();
  idx = bimi_message_find_fields(msg, "from");
  from = bimi_message_get_from_mailboxes(msg, &n_from, NULL);
  if (n_from != idx->len)
    __builtin_trap();
  return 0;
}
