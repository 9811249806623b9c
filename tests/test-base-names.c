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
  static const struct {
    const char *text;
    guint flags;
    gboolean found;
    guint value; /* when found; else the output stays 99 */
  } cases[] = {
    { "blue", BIMI_NAMES_EXACT, TRUE, COLOR_BLUE },      { "Blue", BIMI_NAMES_EXACT, FALSE, 99 },
    { "bLuE", BIMI_NAMES_ASCII_CASELESS, TRUE, COLOR_BLUE }, { NULL, BIMI_NAMES_EXACT, FALSE, 99 },
    { NULL, BIMI_NAMES_ASCII_CASELESS, FALSE, 99 },      { "", BIMI_NAMES_ASCII_CASELESS, FALSE, 99 },
    { "blue ", BIMI_NAMES_ASCII_CASELESS, FALSE, 99 },   { "red", BIMI_NAMES_EXACT, TRUE, COLOR_RED },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    guint v = 99;
    gboolean found = bimi_names_find(color_names, G_N_ELEMENTS(color_names), cases[i].text, cases[i].flags, &v);
    g_assert_cmpint(found, ==, cases[i].found);
    g_assert_cmpuint(v, ==, cases[i].value);
  }
}

static void
test_define(void)
{
  /* the same as the table read directly, gaps and values past it included */
  for (guint v = COLOR_RED; v <= COLOR_BLUE + 1; v++)
    g_assert_cmpstr(color_to_string((Color) v), ==,
                    bimi_names_get(color_names, G_N_ELEMENTS(color_names), v, "unknown"));
  g_assert_cmpstr(color_to_string(COLOR_BLUE), ==, "blue");
  g_assert_cmpstr(color_to_string(COLOR_GAP), ==, "unknown");
  g_assert_cmpstr(color_to_string((Color) 17), ==, "unknown");

  /* and back */
  static const struct {
    const char *text;
    gboolean caseless, found;
    Color value; /* when found; else the output keeps COLOR_GAP */
  } cases[] = {
    { "green", FALSE, TRUE, COLOR_GREEN }, { "GREEN", FALSE, FALSE, COLOR_GAP },
    { "GREEN", TRUE, TRUE, COLOR_GREEN },  { NULL, FALSE, FALSE, COLOR_GAP },
    { NULL, TRUE, FALSE, COLOR_GAP },      { "gap", TRUE, FALSE, COLOR_GAP },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    Color c = COLOR_GAP;
    gboolean found = cases[i].caseless ? color_from_string_caseless(cases[i].text, &c)
                                       : color_from_string(cases[i].text, &c);
    g_assert_cmpint(found, ==, cases[i].found);
    g_assert_cmpint(c, ==, cases[i].value);
  }
  g_assert_true(color_from_string("red", NULL)); /* the output is optional */
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/names/get", test_get);
  g_test_add_func("/base/names/find", test_find);
  g_test_add_func("/base/names/define", test_define);
  return g_test_run();
}
