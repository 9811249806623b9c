/* tests/lib/assert.c — see assert.h. */
#include "tests/lib/assert.h"

#include <string.h>

void
bimi_test_assert_error_names(const GError *error, GQuark domain, gint code, const char *needle, gsize index)
{
  g_assert_error(error, domain, code);
  if (strstr(error->message, needle) == NULL)
    g_error("case %" G_GSIZE_FORMAT ": '%s' lacks '%s'", index, error->message, needle);
}
