/* tests/test-base-mem.c — engine/base/base-mem: BIMI_FREE_ALL frees every
 * argument once, reads them all before freeing (a struct may come last), and
 * skips NULL. The frees themselves are checked by LeakSanitizer and ASan in
 * `make check SANITIZE=1` (a skipped block is a leak, a double one an error). */
#include "engine/base/base-mem.h"

typedef struct {
  char *name;
  char *detail;
  char *unset;
} Record;

static guint made;

static char *
counted_strdup(const char *s)
{
  made++;
  return g_strdup(s);
}

static void
test_struct_last(void)
{
  Record *r = g_new0(Record, 1);
  r->name = g_strdup("brand.example");
  r->detail = g_strdup("p=reject");
  /* the members are read before r itself goes; r->unset is NULL */
  BIMI_FREE_ALL(r->name, r->detail, r->unset, r);
}

static void
test_arguments_once(void)
{
  made = 0;
  BIMI_FREE_ALL(counted_strdup("a"), counted_strdup("b"), counted_strdup("c"));
  g_assert_cmpuint(made, ==, 3); /* the count of the macro does not evaluate them again */
  BIMI_FREE_ALL(counted_strdup("one"));
  g_assert_cmpuint(made, ==, 4);
}

static void
test_nulls_and_empty(void)
{
  gpointer none[] = { NULL, NULL };
  BIMI_FREE_ALL(NULL);
  bimi_free_all(none, G_N_ELEMENTS(none));
  bimi_free_all(NULL, 0);
  g_assert_null(none[0]);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/mem/struct-last", test_struct_last);
  g_test_add_func("/base/mem/arguments-once", test_arguments_once);
  g_test_add_func("/base/mem/nulls-and-empty", test_nulls_and_empty);
  return g_test_run();
}
