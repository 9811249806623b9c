/* fuzz/fuzz-dmarc-input.c — libFuzzer target for engine/dmarc-input.c: the one
 * builder of the DMARC input from a hostile message (RFC 7489 §3.1.1 and RFC 9989
 * §4.3: the Author Domain from RFC5322.From, Message-ID and Date as written).
 *
 * The input is a raw message; the first line, up to LF, is the HELO name (a
 * hostile one too). Invariants: exactly one of author_domain and
 * author_domain_error is set; the Author Domain is not empty; no signature
 * without signatures; the bare-domain builder takes the Author Domain it found
 * and gives it back with its one DKIM input. */
#include "engine/dmarc.h"
#include "engine/message.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *nl = memchr(data, '\n', size);
  g_autofree char *helo = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(BimiMessage) msg = NULL;
  BimiDmarcMessageInput in;

  if (nl == NULL)
    return 0;
  helo = g_strndup((const char *) data, (gsize) (nl - data));
  raw = g_bytes_new(nl + 1, size - (gsize) (nl - data) - 1);
  msg = bimi_message_parse(raw, NULL);
  if (msg == NULL)
    return 0;
  bimi_dmarc_message_input_init(&in, msg, NULL, NULL, *helo != '\0' ? helo : NULL, NULL);
  if ((in.input.author_domain == NULL) == (in.input.author_domain_error == NULL))
    __builtin_trap();
  if (in.input.n_dkim != 0)
    __builtin_trap();
  if (in.input.author_domain != NULL) {
    BimiDmarcMessageInput bare;
    if (*in.input.author_domain == '\0')
      __builtin_trap();
    bimi_dmarc_message_input_init_domain(&bare, in.input.author_domain);
    if (bare.input.author_domain == NULL || strcmp(bare.input.author_domain, in.input.author_domain) != 0 ||
        bare.input.n_dkim != 1)
      __builtin_trap();
    bimi_dmarc_message_input_clear(&bare);
  }
  bimi_dmarc_message_input_clear(&in);
  return 0;
}
