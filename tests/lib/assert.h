/* tests/lib/assert.h — assertions the unit tests share beyond GLib's g_assert_*. */
#ifndef BIMI_TESTS_LIB_ASSERT_H
#define BIMI_TESTS_LIB_ASSERT_H

#include <glib.h>

/** Asserts that @error is set with @domain and @code (g_assert_error) and that its message
 * contains @needle; a missing @needle fails the test naming case @index of the caller's
 * table, the message and the needle. */
void bimi_test_assert_error_names(const GError *error, GQuark domain, gint code, const char *needle, gsize index);

#endif /* BIMI_TESTS_LIB_ASSERT_H */
