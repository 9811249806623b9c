/* tests/test-base-names.c — engine/base/base-names: a name table read both
 * ways; gaps and values past the table get the fallback; the lookup is exact
 * or ASCII-caseless as asked, finds nothing for NULL and leaves the output
 * alone when it fails; the BIMI_DEFINE_NAME_* macros define the same. */
#include "engine/base/base-names.h"

typedef enum { COLOR_RED, COLOR_GAP, COLOR_GREEN, COLOR_BLUE } Color;

static const char *const color_names[] = {
  [COLOR_RED] = "red",
  [COLOR_GREEN] = "green",
  [COLOR_BLUE] = "blue",
};

static const char *color_to_string(Color value);
static gboolean color_from_string(const char *text, Color *out_value);
static gboolean color_from_string_caseless(const char *text, Color *out_value);

static BIMI_DEFINE_NAME_TO_STRING(Color, color_to_string, color_names, "unknown")
static BIMI_DEFINE_NAME_FROM_STRING(Color, color_from_string, color_names, BIMI_NAMES_EXACT)
static BIMI_DEFINE_NAME_FROM_STRING(Color, color_from_string_caseless, color_names, BIMI_NAMES_ASCII_CASELESS)

static void
test_get(void)
{
  g_assert_cmpstr(bimi_names_get(color_names, G_N_ELEMENTS(color_names), COLOR_GREEN, NULL), ==, "green");
  g_assert_cmpstr(bimi_names_get(color_names, G_N_ELEMENTS(color_names), COLOR_GAP, "gap"), ==, "gap");
  g_assert_null(bimi_names_get(color_names, G_N_ELEMENTS(color_names), 4, NULL));
  g_assert_cmpstr(bimi_names_get(color_names, G_N_ELEMENTS(color_names), G_MAXUINT, "past"), ==, "past");
  g_assert_cmpstr(bimi_names_get(NULL, 0, 0, "empty"), ==, "empty");
}

static void
test_find(void)
{
  guint v = 99;

  g_assert_true(bimi_names_find(color_names, G_N_ELEMENTS(color_names), "blue", BIMI_NAMES_EXACT, &v));
  g_assert_cmpuint(v, ==, COLOR_BLUE);
  v = 99;
  g_assert_false(bimi_names_find(color_names, G_N_ELEMENTS(color_names), "Blue", BIMI_NAMES_EXACT, &v));
  g_assert_cmpuint(v, ==, 99); /* unchanged */
  g_assert_true(bimi_names_find(color_names, G_N_ELEMENTS(color_names), "bLuE", BIMI_NAMES_ASCII_CASELESS, &v));
  g_assert_cmpuint(v, ==, COLOR_BLUE);
  v = 99;
  g_assert_false(bimi_names_find(color_names, G_N_ELEMENTS(color_names), NULL, BIMI_NAMES_ASCII_CASELESS, &v));
  g_assert_false(bimi_names_find(color_names, G_N_ELEMENTS(color_names), "", BIMI_NAMES_ASCII_CASELESS, &v));
  g_assert_false(bimi_names_find(color_names, G_N_ELEMENTS(color_names), "blue ", BIMI_NAMES_ASCII_CASELESS, &v));
  g_assert_cmpuint(v, ==, 99);
}

static void
test_define_to_string(void)
{
  g_assert_cmpstr(color_to_string(COLOR_RED), ==, "red");
  g_assert_cmpstr(color_to_string(COLOR_BLUE), ==, "blue");
  g_assert_cmpstr(color_to_string(COLOR_GAP), ==, "unknown");
  g_assert_cmpstr(color_to_string((Color) 17), ==, "unknown");
}

static void
test_define_from_string(void)
{
  Color c = COLOR_RED;

  g_assert_true(color_from_string("green", &c));
  g_assert_cmpint(c, ==, COLOR_GREEN);
  g_assert_false(color_from_string("GREEN", &c));
  g_assert_true(color_from_string_caseless("GREEN", &c));
  g_assert_cmpint(c, ==, COLOR_GREEN);
  g_assert_true(color_from_string("red", NULL)); /* the output is optional */
  g_assert_false(color_from_string(NULL, &c));
  g_assert_cmpint(c, ==, COLOR_GREEN);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/names/get", test_get);
  g_test_add_func("/base/names/find", test_find);
  g_test_add_func("/base/names/define-to-string", test_define_to_string);
  g_test_add_func("/base/names/define-from-string", test_define_from_string);
  return g_test_run();
}
