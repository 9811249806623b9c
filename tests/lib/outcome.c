/* tests/lib/outcome.c — see outcome.h. */
#include "tests/lib/outcome.h"

#include <string.h>

gpointer
bimi_test_expect_ok(gpointer result, const GError *error)
{
  g_assert_no_error(error);
  g_assert_nonnull(result);
  return result;
}

void
bimi_test_expect_refused(gconstpointer result, const GError *error, GQuark domain, gint code, const char *needle)
{
  g_assert_null(result);
  g_assert_error(error, domain, code);
  if (needle != NULL && strstr(error->message, needle) == NULL)
    g_error("message \"%s\" lacks \"%s\"", error->message, needle);
}
