/* fuzz/fuzz.h — what every libFuzzer target in fuzz/ shares: the entry point's
 * prototype (libFuzzer's, also called by fuzz/replay-main.c) and the checks of
 * the error contract of STYLE.md §2 that each target applies to its parser.
 * A violated contract aborts: libFuzzer (and ASan in the replay) report it
 * with the input that caused it.
 */
#ifndef BIMI_FUZZ_H
#define BIMI_FUZZ_H

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

/* libFuzzer calls this once per input (data: size bytes, not NUL-terminated, owned by the caller). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A refusal carries a GError of the module's own domain: abort when @error is
 * NULL or belongs to another domain. */
static inline void
fuzz_expect_error(const GError *error, GQuark domain)
{
  if (error == NULL || error->domain != domain)
    abort();
}

/* Exactly one of a result and an error: abort when both or neither are set. */
static inline void
fuzz_expect_one_of(gconstpointer result, const GError *error)
{
  if ((result == NULL) == (error == NULL))
    abort();
}

#endif
