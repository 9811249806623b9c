/* tests/lib/clock.h — a clock the test sets by hand, for the caches and
 * stores that take their time from a BimiClockFunc-style callback
 * (gint64 (*)(gpointer), microseconds), STYLE.md §7. */
#ifndef BIMI_TESTS_LIB_CLOCK_H
#define BIMI_TESTS_LIB_CLOCK_H

#include <glib.h>

/** The time a test's clock shows, in microseconds since the epoch; the test moves it. */
typedef struct {
  gint64 now;
} BimiTestClock;

/** The clock callback: @data is a BimiTestClock; returns its `now` (microseconds). */
gint64 bimi_test_clock_now(gpointer data);

#endif /* BIMI_TESTS_LIB_CLOCK_H */
