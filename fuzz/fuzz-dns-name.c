/* fuzz/fuzz-dns-name.c — libFuzzer target for engine/dns-name.c: domain names in
 * RDATA wire form (RFC 1035 §3.1, no compression pointers) and in presentation
 * form (RFC 1035 §5.1 escapes).
 *
 * The input is read both ways. A wire name that parses must print to text that
 * parses back to an equal name, and that text must be stable (print, parse,
 * print gives the same bytes), with and without the master-file escapes. Text
 * that parses must print to text that parses back to an equal name. */
#include "engine/dns-private.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

static void
round_trip(const BimiDnsName *name, BimiDnsNameFlags flags)
{
  g_autofree char *text = bimi_dns__name_to_text(name, flags);
  g_autofree char *again = NULL;
  BimiDnsName back;

  if (!bimi_dns__name_from_text(text, strlen(text), NULL, &back, NULL))
    __builtin_trap();
  if (!bimi_dns__name_equal(name, &back))
    __builtin_trap();
  again = bimi_dns__name_to_text(&back, flags);
  if (strcmp(text, again) != 0)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  BimiDnsName name;
  gsize consumed = 0;

  if (bimi_dns__name_from_wire(data, size, &consumed, &name)) {
    if (consumed == 0 || consumed > size)
      __builtin_trap();
    round_trip(&name, 0);
    round_trip(&name, BIMI_DNS__NAME_MASTER | BIMI_DNS__NAME_TRAILING_DOT);
  }
  if (bimi_dns__name_from_text((const char *) data, size, NULL, &name, NULL)) {
    round_trip(&name, 0);
    round_trip(&name, BIMI_DNS__NAME_MASTER);
  }
  return 0;
}
