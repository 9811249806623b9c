/* tests/test-svg-suite.c — every SVG under $BIMI_UPSTREAM_DIR/bimi/svg gets
 * the verdict its name or SOURCES.md gives (spec/bimi-receiver.md §6, §14):
 *
 *  - extracted-from-vmc/ (all files): real logos decoded from mark certificates → valid,
 *    with the <title> the certificate's owner wrote, and no warning;
 *  - upstream/mail-bimi_FM-good.svg: Mail::BIMI's good SVG → valid;
 *  - synthetic/valid-*: valid; synthetic/invalid-*: invalid WITH the specific
 *    code of the rule each file breaks (below), not just "schema";
 *  - synthetic/edge-use-xlink-href-internal.svg: our decision (engine/svg.c):
 *    valid, with the "xlink-href" warning.
 *
 * One GTest case per file, /svg/suite/<dir>/<file>. A file without an
 * expectation here fails /svg/suite/all-listed, so new upstream data must be
 * classified. A missing directory fails unless BIMI_ALLOW_MISSING_UPSTREAM is
 * set (then skipped).
 */
#include "engine/svg.h"
#include "tests/lib/data.h"
#include "tests/lib/svg.h"

#include <string.h>

typedef struct {
  const char *path;     /* relative to bimi/svg/ */
  gboolean valid;
  const char *error;    /* a code that must be among the errors (invalid only) */
  const char *warning;  /* the only warning expected, NULL = none */
  const char *title;    /* expected <title>, NULL = none */
} Expectation;

static const Expectation expectations[] = {
  { "extracted-from-vmc/cnn.svg", TRUE, NULL, NULL, "CNN" },
  { "extracted-from-vmc/globalsign-vmc.svg", TRUE, NULL, NULL, "GMO GlobalSign Inc." },
  { "extracted-from-vmc/paypal_vmc.svg", TRUE, NULL, NULL, "PayPal" },
  { "extracted-from-vmc/redshift.svg", TRUE, NULL, NULL, "RedSift, Ltd" },
  { "extracted-from-vmc/rspamd-valimail.svg", TRUE, NULL, NULL, "Valimail" },
  { "extracted-from-vmc/xometry_cmc.svg", TRUE, NULL, NULL, "Xometry" },
  { "upstream/mail-bimi_FM-good.svg", TRUE, NULL, NULL, "FM-Icon-RGB" },
  { "synthetic/valid-minimal.svg", TRUE, NULL, NULL, "Example" },
  { "synthetic/valid-defs-use-href.svg", TRUE, NULL, NULL, "Example" },
  { "synthetic/edge-use-xlink-href-internal.svg", TRUE, NULL, BIMI_SVG_CODE_XLINK_HREF, "Example" },
  { "synthetic/invalid-a-link.svg", FALSE, BIMI_SVG_CODE_LINK, NULL, "Example" },
  { "synthetic/invalid-animate.svg", FALSE, BIMI_SVG_CODE_ANIMATION, NULL, "Example" },
  { "synthetic/invalid-baseprofile-tiny.svg", FALSE, BIMI_SVG_CODE_BASE_PROFILE, NULL, "Example" },
  { "synthetic/invalid-desc-before-title.svg", FALSE, BIMI_SVG_CODE_TITLE_NOT_FIRST, NULL, "Example" },
  /* The schema accepts this one: the parser setup must refuse it. */
  { "synthetic/invalid-doctype-entity.svg", FALSE, BIMI_SVG_CODE_DOCTYPE_ENTITY, NULL, NULL },
  { "synthetic/invalid-foreignobject.svg", FALSE, BIMI_SVG_CODE_FOREIGN_OBJECT, NULL, "Example" },
  { "synthetic/invalid-image-external.svg", FALSE, BIMI_SVG_CODE_IMAGE, NULL, "Example" },
  { "synthetic/invalid-no-title.svg", FALSE, BIMI_SVG_CODE_TITLE_MISSING, NULL, NULL },
  { "synthetic/invalid-plain-svg-no-profile.svg", FALSE, BIMI_SVG_CODE_BASE_PROFILE, NULL, "Example" },
  { "synthetic/invalid-root-x-y.svg", FALSE, BIMI_SVG_CODE_ROOT_X_Y, NULL, "Example" },
  { "synthetic/invalid-script.svg", FALSE, BIMI_SVG_CODE_SCRIPT, NULL, "Example" },
  { "synthetic/invalid-style-attribute.svg", FALSE, BIMI_SVG_CODE_STYLE, NULL, "Example" },
  { "synthetic/invalid-style-element.svg", FALSE, BIMI_SVG_CODE_STYLE, NULL, "Example" },
  { "synthetic/invalid-version-1.1.svg", FALSE, BIMI_SVG_CODE_VERSION, NULL, "Example" },
};

/* Extra codes some files must carry besides the main one. */
static const struct {
  const char *path;
  const char *code;
} also_errors[] = {
  { "synthetic/invalid-image-external.svg", BIMI_SVG_CODE_EXTERNAL_REF },
  { "synthetic/invalid-plain-svg-no-profile.svg", BIMI_SVG_CODE_VERSION },
  { "synthetic/invalid-a-link.svg", BIMI_SVG_CODE_EXTERNAL_REF },
};

static char *svg_dir;

static void
run_file(gconstpointer data)
{
  const Expectation *x = data;
  g_autofree char *path = g_build_filename(svg_dir, x->path, NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents(path, &contents, &len, &error))
    g_error("%s", error->message);
  g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&contents), len);
  g_autoptr(BimiSvgResult) r = bimi_svg_validate(bytes, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  bimi_test_svg_dump(r);

  g_assert_cmpuint(r->size, ==, len);
  g_assert_cmpint(r->valid, ==, x->valid);
  g_assert_true(r->valid == (r->errors->len == 0));
  if (x->error != NULL)
    g_assert_true(bimi_svg_result_has_error(r, x->error));
  for (gsize i = 0; i < G_N_ELEMENTS(also_errors); i++) {
    if (strcmp(also_errors[i].path, x->path) == 0)
      g_assert_true(bimi_svg_result_has_error(r, also_errors[i].code));
  }
  /* Every error carries a line (these files all have a root element). */
  for (guint i = 0; i < r->errors->len; i++)
    g_assert_cmpuint(((BimiSvgIssue *) r->errors->pdata[i])->line, >, 0);
  if (x->warning == NULL) {
    g_assert_cmpuint(r->warnings->len, ==, 0);
  } else {
    g_assert_cmpuint(r->warnings->len, ==, 1);
    g_assert_cmpstr(((BimiSvgIssue *) r->warnings->pdata[0])->code, ==, x->warning);
  }
  g_assert_cmpstr(r->title, ==, x->title);
}

static void
collect(const char *dir, const char *rel, GPtrArray *out)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  if (d == NULL)
    return;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_autofree char *full = g_build_filename(dir, name, NULL);
    g_autofree char *r = rel[0] != '\0' ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
    if (g_file_test(full, G_FILE_TEST_IS_DIR))
      collect(full, r, out);
    else if (g_str_has_suffix(name, ".svg") || g_str_has_suffix(name, ".svgz"))
      g_ptr_array_add(out, g_steal_pointer(&r));
  }
}

static void
all_listed(void)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  collect(svg_dir, "", files);
  for (guint i = 0; i < files->len; i++) {
    gboolean listed = FALSE;
    for (gsize j = 0; j < G_N_ELEMENTS(expectations); j++)
      listed = listed || strcmp(expectations[j].path, files->pdata[i]) == 0;
    if (!listed)
      g_error("%s/%s has no expectation in tests/test-svg-suite.c", svg_dir, (const char *) files->pdata[i]);
  }
  g_assert_cmpuint(files->len, ==, G_N_ELEMENTS(expectations));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);

  const char *dir = bimi_test_upstream_dir();
  svg_dir = g_build_filename(dir != NULL ? dir : "../shared/upstream", "bimi", "svg", NULL);
  if (!g_file_test(svg_dir, G_FILE_TEST_IS_DIR)) {
    g_autofree char *why = g_strdup_printf("%s: no such directory", svg_dir);
    g_test_add_data_func_full("/svg/suite/load", g_steal_pointer(&why), bimi_test_missing_suite, g_free);
  } else {
    g_test_add_func("/svg/suite/all-listed", all_listed);
    for (gsize i = 0; i < G_N_ELEMENTS(expectations); i++) {
      g_autofree char *name = g_strdup_printf("/svg/suite/%s", expectations[i].path);
      g_test_add_data_func(name, &expectations[i], run_file);
    }
  }
  int rc = g_test_run();
  g_free(svg_dir);
  return rc;
}
