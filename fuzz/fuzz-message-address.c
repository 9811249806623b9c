/* fuzz/fuzz-message-address.c — libFuzzer target for engine/message-address.c: RFC 5322
 * address lists (comments, quoted strings, groups, obs-route, RFC 2047
 * encoded words, IDN domains). Checks that every string returned is valid
 * UTF-8. */
#include "engine/message.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) list = bimi_message_parse_address_list((const char *) data, size, NULL);

  if (list == NULL)
    return 0;
  for (guint i = 0; i < list->len; i++) {
    const BimiMailbox *m = list->pdata[i];
    if (m->local_part == NULL || !g_utf8_validate(m->local_part, -1, NULL))
      __builtin_trap();
    if (m->display_name != NULL && (!g_utf8_validate(m->display_name, -1, NULL) || m->display_name[0] == '\0'))
      __builtin_trap();
    if (m->group != NULL && !g_utf8_validate(m->group, -1, NULL))
      __builtin_trap();
    if ((m->domain == NULL) != (m->domain_utf8 == NULL))
      __builtin_trap();
    if (m->domain != NULL && (!g_utf8_validate(m->domain_utf8, -1, NULL) || strlen(m->domain) > 255))
      __builtin_trap();
  }
  return 0;
}
