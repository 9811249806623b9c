/* tests/lib/clock.c — see clock.h. */
#include "tests/lib/clock.h"

gint64
bimi_test_clock_now(gpointer data)
{
  return ((const BimiTestClock *) data)->now;
}
