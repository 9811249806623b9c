/* tests/test-dkim-canon-portable.c — tests/test-dkim-canon.c on the
 * word-at-a-time scan of engine/dkim-canon.c (the fallback where SSE2 is
 * missing): this program compiles its own copy of dkim-canon.c with
 * BIMI_DKIM_CANON_PORTABLE, which the linker takes instead of the one in
 * libbimi.a. */
#define BIMI_DKIM_CANON_PORTABLE 1
#include "engine/dkim-canon.c"
#include "tests/test-dkim-canon.c"
