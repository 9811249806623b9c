/* tests/test-base-mem.c — engine/base/base-mem: BIMI_FREE_ALL frees every
 * argument once, reads them all before freeing (a struct may come last), and
 * skips NULL; the functions BIMI_DEFINE_FREE_FUNC and BIMI_DEFINE_ATOMIC_RC_FUNCS
 * define run the body after them exactly once, on the last release only, and
 * accept NULL; the _clear of BIMI_DEFINE_CLEAR_FUNC empties a value and may run
 * again. The frees themselves are checked by LeakSanitizer and ASan in
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

/* ---- BIMI_DEFINE_FREE_FUNC / BIMI_DEFINE_ATOMIC_RC_FUNCS ---------------- */

typedef struct {
  char *name;
  guint *cleared; /* counts the clear calls; outlives the struct */
} Thing;

BIMI_DEFINE_STATIC_FREE_FUNC(Thing, thing_free, t)
{
  g_free(t->name);
  (*t->cleared)++;
}

typedef struct _Shared Shared;
struct _Shared {
  char *name;
  guint *cleared;
};

BIMI_DECLARE_ATOMIC_RC_FUNCS(Shared, shared)

BIMI_DEFINE_ATOMIC_RC_FUNCS(Shared, shared, s)
{
  g_free(s->name);
  (*s->cleared)++;
}

static void
test_define_free(void)
{
  guint cleared = 0;
  Thing *t = g_new0(Thing, 1);

  t->name = g_strdup("brand.example");
  t->cleared = &cleared;
  thing_free(t);
  g_assert_cmpuint(cleared, ==, 1);
  thing_free(NULL);
  g_assert_cmpuint(cleared, ==, 1);
}

static void
test_define_atomic_rc(void)
{
  guint cleared = 0;
  Shared *s = g_atomic_rc_box_new0(Shared);

  s->name = g_strdup("brand.example");
  s->cleared = &cleared;
  g_assert_true(shared_ref(s) == s);
  shared_unref(s);
  g_assert_cmpuint(cleared, ==, 0); /* one reference left */
  {
    g_autoptr(Shared) held = shared_ref(s); /* the cleanup BIMI_DECLARE_ATOMIC_RC_FUNCS declares */
    g_assert_true(held == s);
  }
  g_assert_cmpuint(cleared, ==, 0); /* the scope's reference is dropped, one left */
  shared_unref(s);
  g_assert_cmpuint(cleared, ==, 1); /* the last one cleared and freed it */
  shared_unref(NULL);
  g_assert_cmpuint(cleared, ==, 1);
}

/* BIMI_DEFINE_CLEAR_FUNC: a stack value whose clear runs its body, leaves it empty, and may run again. */
typedef struct {
  GPtrArray *lines;
} Summary;

static void summary_clear(Summary *s);
BIMI_DEFINE_CLEAR_FUNC(Summary, summary_clear, s)
{
  g_clear_pointer(&s->lines, g_ptr_array_unref);
}

static void
test_define_clear(void)
{
  Summary s = { g_ptr_array_new_with_free_func(g_free) };

  g_ptr_array_add(s.lines, g_strdup("brand.example"));
  summary_clear(&s);
  g_assert_null(s.lines);
  summary_clear(&s); /* a second clear finds nothing to release */
  summary_clear(NULL);
  g_assert_null(s.lines);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/mem/struct-last", test_struct_last);
  g_test_add_func("/base/mem/arguments-once", test_arguments_once);
  g_test_add_func("/base/mem/nulls-and-empty", test_nulls_and_empty);
  g_test_add_func("/base/mem/define-free", test_define_free);
  g_test_add_func("/base/mem/define-atomic-rc", test_define_atomic_rc);
  g_test_add_func("/base/mem/define-clear", test_define_clear);
  return g_test_run();
}
