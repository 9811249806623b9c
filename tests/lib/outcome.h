/* tests/lib/outcome.h — the two outcomes of a call that returns a result or NULL and a GError
 * (STYLE.md §2: outputs first, gboolean/pointer + GError **), asserted the same way in every test.
 */
#ifndef BIMI_TESTS_LIB_OUTCOME_H
#define BIMI_TESTS_LIB_OUTCOME_H

#include <glib.h>
#include <string.h>

/** Asserts that the call that returned @result and set (or not) @error succeeded: @error is unset and
 * @result is not NULL. Returns @result, so a helper can end with `return bimi_test_expect_ok(r, error);`.
 * (transfer none: the caller's reference passes through) */
gpointer bimi_test_expect_ok(gpointer result, const GError *error);

/** Asserts that the call that returned @result and set @error refused: @result is NULL, @error is set
 * with @domain and @code (g_assert_error), and its message contains @needle (NULL: any message). A
 * message without @needle fails the test naming both. */
void bimi_test_expect_refused(gconstpointer result, const GError *error, GQuark domain, gint code,
                              const char *needle);

/** Defines `static Type *name(const char *text)`: @parse (an engine parser of the form
 * `Type *parse(const char *text, gsize len, GError **error)`) over the NUL-terminated @text must
 * succeed (bimi_test_expect_ok()); returns its result. (transfer full) */
#define BIMI_TEST_DEFINE_PARSE_OK(name, Type, parse)     \
  static Type *name(const char *text)                     \
  {                                                       \
    g_autoptr(GError) error = NULL;                       \
    Type *result = parse(text, strlen(text), &error);     \
    return bimi_test_expect_ok(result, error);            \
  }

/** Defines `static void name(const char *text, gsize len, gint code, const char *needle)`: @parse (as
 * for BIMI_TEST_DEFINE_PARSE_OK) over the @len bytes of @text must refuse with the GError @domain and
 * the @code given, its message containing @needle (NULL: any message; bimi_test_expect_refused()). */
#define BIMI_TEST_DEFINE_PARSE_REFUSED(name, Type, parse, domain)               \
  static void name(const char *text, gsize len, gint code, const char *needle)  \
  {                                                                              \
    g_autoptr(GError) error = NULL;                                              \
    g_autoptr(Type) result = parse(text, len, &error);                           \
    bimi_test_expect_refused(result, error, (domain), code, needle);             \
  }

#endif /* BIMI_TESTS_LIB_OUTCOME_H */
