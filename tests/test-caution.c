/* tests/test-caution.c — engine/caution (issue 19): the normaliser (NFKC, case fold,
 * UTS #39 skeleton), legal forms, the edit distance, the brands file and registry
 * forms with their errors and limits, and the check's two signals with positives and
 * negatives: the brand's own mail, an unrelated short name, the name inside a longer
 * word, mixed-script names, IDN and edit-distance lookalikes, stop words.
 */
#include "engine/caution-private.h"
#include "engine/base/base-domain.h"
#include "engine/limits.h"
#include "tests/lib/outcome.h"

#include <glib/gstdio.h>
#include <string.h>

static char *
skel(const char *s)
{
  g_autoptr(GError) error = NULL;
  char *out = bimi_caution_skeleton(s, strlen(s), &error);
  g_assert_no_error(error);
  return out;
}

static void
test_skeleton(void)
{
  g_autofree char *a = skel("Acme Rockets");
  g_autofree char *b = skel("ACME ROCKETS");
  g_autofree char *c = skel("Acme R\xce\xbf" "ckets");          /* Greek small omicron */
  g_autofree char *d = skel("\xd0\x90" "cme  Rockets!!");        /* Cyrillic capital A, punctuation */
  g_autofree char *e = skel("\xef\xbc\xa1\xef\xbd\x83me Rockets"); /* fullwidth "Ａｃ" (NFKC) */
  g_autofree char *f = skel("Ac\xe2\x80\x8bme Rock\xc3\xa9ts");  /* zero-width space, é */
  g_autofree char *g = skel("Acme-Rockets");
  g_autofree char *h = skel("  ...  ");

  g_assert_cmpstr(a, ==, "acrne rockets"); /* the skeleton maps "m" to "rn" */
  g_assert_cmpstr(b, ==, a);
  g_assert_cmpstr(c, ==, a);
  g_assert_cmpstr(d, ==, a);
  g_assert_cmpstr(e, ==, a);
  g_assert_cmpstr(f, ==, a);
  g_assert_cmpstr(g, ==, a);
  g_assert_cmpstr(h, ==, "");
}

static void
test_skeleton_errors(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *big = g_strnfill(BIMI_CAUTION_MAX_TEXT_BYTES + 1, 'a');
  g_autofree char *ok = g_strnfill(BIMI_CAUTION_MAX_TEXT_BYTES, 'a');
  g_autofree char *s = NULL;

  g_assert_null(bimi_caution_skeleton("a\xff" "b", 3, &error));
  g_assert_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_INPUT);
  g_clear_error(&error);
  g_assert_null(bimi_caution_skeleton(big, strlen(big), &error));
  g_assert_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT);
  g_assert_nonnull(strstr(error->message, "BIMI_CAUTION_MAX_TEXT_BYTES"));
  g_clear_error(&error);
  s = bimi_caution_skeleton(ok, strlen(ok), &error);
  g_assert_no_error(error);
  g_assert_cmpuint(strlen(s), ==, BIMI_CAUTION_MAX_TEXT_BYTES);
}

/* BIMI_CAUTION_MAX_NORMALIZED_UNITS: U+FDFA expands to 18 characters under NFKC. */
static void
test_normalized_units(void)
{
  GString *s = g_string_new(NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tokens = NULL;
  guint fits = BIMI_CAUTION_MAX_NORMALIZED_UNITS / 18u;

  for (guint i = 0; i < fits; i++)
    g_string_append(s, "\xef\xb7\xba"); /* U+FDFA ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM */
  tokens = bimi_caution__tokens(s->str, s->len, FALSE, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(tokens->len, ==, 3 * fits + 1); /* four words each, the last and first of neighbours joined */
  g_clear_pointer(&tokens, g_ptr_array_unref);
  g_string_append(s, "\xef\xb7\xba");
  tokens = bimi_caution__tokens(s->str, s->len, FALSE, NULL, &error);
  bimi_test_expect_refused(tokens, error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT,
                           "BIMI_CAUTION_MAX_NORMALIZED_UNITS");
  g_string_free(s, TRUE);
}

static void
test_domain_skeleton(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = bimi_caution_domain_skeleton("acme.demo.test", &error);
  g_autofree char *idn = NULL, *b = NULL, *c = NULL;

  g_assert_no_error(error);
  g_assert_cmpstr(a, ==, "acrne.derno.test");
  g_assert_cmpint(bimi_domain_to_ascii("\xd0\xb0" "cme.demo.test", 15, &idn, NULL), ==, BIMI_DOMAIN_IDN_OK);
  g_assert_true(g_str_has_prefix(idn, "xn--"));
  b = bimi_caution_domain_skeleton(idn, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(b, ==, a);
  c = bimi_caution_domain_skeleton("vmc-demo.test", &error);
  g_assert_cmpstr(c, ==, "vrnc-derno.test");
}

static void
test_edit_distance(void)
{
  static const struct { const char *a, *b; guint max, want; } cases[] = {
    { "acme", "acme", 1, 0 }, { "acme", "acne", 1, 1 }, { "acme", "acmee", 1, 1 }, { "acme", "came", 1, 1 },
    { "acme", "amce", 1, 1 }, { "acme", "xyzw", 1, 2 }, { "acme", "acmexyz", 2, 3 }, { "", "ab", 3, 2 },
    { "vmc.demo.test", "vmc-demo.test", 1, 1 }, { "acmerockets", "acme-rockets", 1, 1 },
    { "kitten", "sitting", 3, 3 }, { "kitten", "sitting", 2, 3 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    glong al, bl;
    g_autofree gunichar *a = g_utf8_to_ucs4_fast(cases[i].a, -1, &al);
    g_autofree gunichar *b = g_utf8_to_ucs4_fast(cases[i].b, -1, &bl);
    guint d = bimi_caution__edit_distance(a, (gsize) al, b, (gsize) bl, cases[i].max);
    if (d != cases[i].want)
      g_error("%s / %s (max %u): %u, want %u", cases[i].a, cases[i].b, cases[i].max, d, cases[i].want);
  }
}

static void
test_legal_forms(void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "Acme Rockets, Inc.", "Acme Rockets" }, { "Acme Rockets Inc", "Acme Rockets" },
    { "Bluebird Bakery Ltd", "Bluebird Bakery" }, { "Fjord Travel AS", "Fjord Travel" },
    { "Müller Werkzeuge GmbH & Co. KG", "Müller Werkzeuge" }, { "Acme Pty Ltd", "Acme" },
    { "Acme K.K.", "Acme" }, { "株式会社アクメ", "アクメ" }, { "アクメ株式会社", "アクメ" },
    { "The Acme Company", "Acme" }, { "Test Brand, Inc.", "Test Brand" }, { "Inc.", "Inc." },
    { "  Acme S.p.A. ", "Acme" }, { "Acme Rockets", "Acme Rockets" }, { "Co", "Co" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = bimi_caution_brand_name_from_organization(cases[i].in);
    g_assert_cmpstr(got, ==, cases[i].out);
  }
  g_assert_null(bimi_caution_brand_name_from_organization("   "));
  g_assert_null(bimi_caution_brand_name_from_organization("\xff"));
}

/* ---- brands files ---- */

static GPtrArray *
parse(const char *text, BimiCautionBrandsFormat format, GError **error)
{
  return bimi_caution_brands_parse(text, strlen(text), "brands.conf", format, error);
}

static void
assert_parse_error(const char *text, BimiCautionBrandsFormat format, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) brands = parse(text, format, &error);

  bimi_test_expect_refused(brands, error, BIMI_CAUTION_ERROR, code, needle);
}

static void
test_brands_file(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) brands = parse("# the operator's brands\n"
                                      "[Acme Rockets]\n"
                                      "domains = vmc.demo.test;ACME.demo.test;vmc.demo.test;\n"
                                      "logo_sha256 = " "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                                      "[B\xc3\xbc" "cher Haus]\n"
                                      "domains = b\xc3\xbc" "cher.example\n",
                                      BIMI_CAUTION_BRANDS_OPERATOR, &error);
  const BimiCautionBrand *b;

  g_assert_no_error(error);
  g_assert_cmpuint(brands->len, ==, 2);
  b = g_ptr_array_index(brands, 0);
  g_assert_cmpstr(b->name, ==, "Acme Rockets");
  g_assert_cmpuint(g_strv_length(b->domains), ==, 2);
  g_assert_cmpstr(b->domains[0], ==, "vmc.demo.test");
  g_assert_cmpstr(b->domains[1], ==, "acme.demo.test");
  g_assert_cmpstr(b->logo_sha256, ==, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  g_assert_cmpint(b->source, ==, BIMI_CAUTION_SOURCE_OPERATOR);
  g_assert_cmpint(b->not_after, ==, 0);
  b = g_ptr_array_index(brands, 1);
  g_assert_cmpstr(b->domains[0], ==, "xn--bcher-kva.example");
  g_assert_null(b->logo_sha256);

  assert_parse_error("[Acme]\ndomain = a.example\n", BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_SYNTAX,
                     "brands.conf: [Acme] domain: unknown key");
  assert_parse_error("[Acme]\nlogo_sha256 = ab\n", BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_SYNTAX,
                     "[Acme] domains: missing");
  assert_parse_error("[Acme]\ndomains = a.example\nlogo_sha256 = ab\n", BIMI_CAUTION_BRANDS_OPERATOR,
                     BIMI_CAUTION_ERROR_SYNTAX, "[Acme] logo_sha256: not 64");
  assert_parse_error("[Acme]\ndomains = not a domain;\n", BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_SYNTAX,
                     "[Acme] domains: \"not a domain\"");
  assert_parse_error("[Acme]\ndomains = localhost\n", BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_SYNTAX,
                     "at least two labels");
  assert_parse_error("[Acme]\ndomains = ;\n", BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_SYNTAX,
                     "domains: none given");
  assert_parse_error("domains = a.example\n", BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_SYNTAX,
                     "brands.conf: ");
  assert_parse_error("[Acme\n", BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_SYNTAX, "brands.conf: ");
}

static void
test_brands_file_limits(void)
{
  GString *s = g_string_new("[Acme]\ndomains = ");
  g_autofree char *big = g_strnfill(BIMI_CAUTION_MAX_BRANDS_FILE_BYTES + 1, '#');
  g_autofree char *long_name = g_strnfill(BIMI_CAUTION_MAX_NAME_BYTES + 1, 'a');
  g_autofree char *name_text = g_strdup_printf("[%s]\ndomains = a.example\n", long_name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ok = NULL;

  for (guint i = 0; i < BIMI_CAUTION_MAX_BRAND_DOMAINS; i++)
    g_string_append_printf(s, "d%u.example;", i);
  ok = parse(s->str, BIMI_CAUTION_BRANDS_OPERATOR, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(((BimiCautionBrand *) g_ptr_array_index(ok, 0))->domains), ==,
                   BIMI_CAUTION_MAX_BRAND_DOMAINS);
  g_string_append(s, "one-more.example\n");
  assert_parse_error(s->str, BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_LIMIT, "BIMI_CAUTION_MAX_BRAND_DOMAINS");
  assert_parse_error(big, BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_LIMIT, "BIMI_CAUTION_MAX_BRANDS_FILE_BYTES");
  assert_parse_error(name_text, BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_SYNTAX, "BIMI_CAUTION_MAX_NAME_BYTES");
  g_string_free(s, TRUE);

  /* BIMI_CAUTION_MAX_BRANDS groups parse; one more is refused */
  s = g_string_new(NULL);
  for (guint i = 0; i <= BIMI_CAUTION_MAX_BRANDS; i++)
    g_string_append_printf(s, "[Brand %u]\ndomains=b%u.example\n", i, i);
  assert_parse_error(s->str, BIMI_CAUTION_BRANDS_OPERATOR, BIMI_CAUTION_ERROR_LIMIT, "BIMI_CAUTION_MAX_BRANDS");
  g_string_free(s, TRUE);
}

static void
test_brands_load(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("caution-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "brands.conf", NULL);
  g_autoptr(GPtrArray) brands = NULL;

  g_assert_null(bimi_caution_brands_load(path, &error));
  g_assert_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_IO);
  g_clear_error(&error);
  g_assert_true(g_file_set_contents(path, "[Acme Rockets]\ndomains=vmc.demo.test\n[X]\nfoo=1\n", -1, NULL));
  g_assert_null(bimi_caution_brands_load(path, &error));
  g_assert_nonnull(strstr(error->message, path));
  g_assert_nonnull(strstr(error->message, "[X] foo"));
  g_clear_error(&error);
  g_assert_true(g_file_set_contents(path, "[Acme Rockets]\ndomains=vmc.demo.test\n", -1, NULL));
  brands = bimi_caution_brands_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(brands->len, ==, 1);
  g_unlink(path);
  g_rmdir(dir);
}

static void
test_registry_form(void)
{
  g_autoptr(GPtrArray) brands = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_caution_brand_free);
  const char *const domains[] = { "vmc.demo.test", "acme.demo.test", NULL };
  BimiCautionBrand *b = bimi_caution_brand_new("Acme Rockets", domains, NULL);
  g_autoptr(GBytes) text = NULL;
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GError) error = NULL;
  const BimiCautionBrand *r;

  b->alias = g_strdup("Acme Rockets logo");
  b->source = BIMI_CAUTION_SOURCE_VMC;
  b->record_domain = g_strdup("vmc.demo.test");
  b->not_after = 1900000000;
  b->logo_sha256 = g_strnfill(64, 'a');
  g_ptr_array_add(brands, b);
  text = bimi_caution_brands_to_registry(brands);
  back = bimi_caution_brands_parse(g_bytes_get_data(text, NULL), g_bytes_get_size(text), NULL,
                                   BIMI_CAUTION_BRANDS_REGISTRY, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(back->len, ==, 1);
  r = g_ptr_array_index(back, 0);
  g_assert_cmpstr(r->name, ==, "Acme Rockets");
  g_assert_cmpstr(r->alias, ==, "Acme Rockets logo");
  g_assert_cmpstr(r->record_domain, ==, "vmc.demo.test");
  g_assert_cmpint(r->source, ==, BIMI_CAUTION_SOURCE_VMC);
  g_assert_cmpint(r->not_after, ==, 1900000000);
  g_assert_cmpstr(r->domains[1], ==, "acme.demo.test");
  g_assert_cmpstr(r->logo_sha256, ==, b->logo_sha256);

  assert_parse_error("[registry]\nformat=2\n", BIMI_CAUTION_BRANDS_REGISTRY, BIMI_CAUTION_ERROR_SYNTAX,
                     "[registry] format: not 1");
  assert_parse_error("[registry]\nformat=1\n[a.example]\nname=A Brand\ndomains=a.example\nsource=vmc\n",
                     BIMI_CAUTION_BRANDS_REGISTRY, BIMI_CAUTION_ERROR_SYNTAX, "[a.example] not_after");
  assert_parse_error("[registry]\nformat=1\n[a.example]\nname=A Brand\ndomains=a.example\nsource=x\nnot_after=5\n",
                     BIMI_CAUTION_BRANDS_REGISTRY, BIMI_CAUTION_ERROR_SYNTAX, "[a.example] source");
  assert_parse_error("[registry]\nformat=1\n[not a domain]\nname=A Brand\ndomains=a.example\nsource=vmc\nnot_after=5\n",
                     BIMI_CAUTION_BRANDS_REGISTRY, BIMI_CAUTION_ERROR_SYNTAX, "record domain");
  assert_parse_error("[registry]\nformat=1\n[a.example]\ndomains=a.example\n", BIMI_CAUTION_BRANDS_REGISTRY,
                     BIMI_CAUTION_ERROR_SYNTAX, "[a.example] name: missing");
}

/* ---- the check ---- */

/* A brand of a test's set: its name and up to two domains (the rest NULL). */
typedef struct {
  const char *name;
  const char *const domains[3];
} BrandSpec;

/* The caution set of the @n brands of @specs under @options; asserts that it builds. (transfer full) */
static BimiCautionSet *
set_of(const BrandSpec *specs, gsize n, const BimiCautionOptions *options)
{
  g_autoptr(GPtrArray) brands = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_caution_brand_free);
  g_autoptr(GError) error = NULL;
  BimiCautionSet *set;

  for (gsize i = 0; i < n; i++)
    g_ptr_array_add(brands, bimi_caution_brand_new(specs[i].name, specs[i].domains, NULL));
  set = bimi_caution_set_new(brands, options, &error);
  return bimi_test_expect_ok(set, error);
}

static BimiCautionSet *
demo_set(guint max_edit_distance)
{
  static const BrandSpec brands[] = {
    { "Acme Rockets", { "vmc.demo.test", "acme.demo.test" } },
    { "Bluebird Bakery", { "cmc.demo.test" } },
    { "ACME rockets", { "acmerockets.example" } }, /* merged into the first */
    { "Acme", { "ab.example" } },                  /* too short to claim */
    { "Help Desk", { "help-desk.example" } },      /* a stop phrase */
  };
  BimiCautionOptions options = { BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH, max_edit_distance, NULL };
  BimiCautionSet *set = set_of(brands, G_N_ELEMENTS(brands), &options);

  g_assert_cmpuint(bimi_caution_set_size(set), ==, 4);
  return set;
}

/* Expects @signal ("display-name", "lookalike-domain", "both") and @brand, or no caution for NULL. */
static void
expect(const BimiCautionSet *set, const char *name, const char *domain, gboolean pass, const char *signal,
       const char *brand)
{
  g_autoptr(BimiCautionMatch) m = bimi_caution_check(set, name, domain, pass);

  if (signal == NULL) {
    if (m != NULL)
      g_error("\"%s\" <%s> (dmarc %s): flagged as %s (%s), want nothing", name ? name : "", domain ? domain : "",
              pass ? "pass" : "fail", m->brand, bimi_caution_signal_to_string(m->signals));
    return;
  }
  if (m == NULL)
    g_error("\"%s\" <%s> (dmarc %s): not flagged, want %s", name ? name : "", domain ? domain : "",
            pass ? "pass" : "fail", signal);
  g_assert_cmpstr(bimi_caution_signal_to_string(m->signals), ==, signal);
  g_assert_cmpstr(m->brand, ==, brand);
}

static void
test_display_name(void)
{
  g_autoptr(BimiCautionSet) set = demo_set(1);
  g_autoptr(BimiCautionMatch) m = NULL;

  /* positives: another domain, the brand's own domain without DMARC, case, Greek omicron, extra words */
  expect(set, "Acme Rockets", "spoofer.demo.test", FALSE, "display-name", "Acme Rockets");
  expect(set, "Acme Rockets", "vmc.demo.test", FALSE, "display-name", "Acme Rockets");
  expect(set, "Acme Rockets Support", "gmail.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "ACME ROCKETS", "mailer.example", TRUE, "display-name", "Acme Rockets");
  /* a trademark or service-mark sign, a squared legal form, a circled or superscript number glued to the name:
   * NFKC would make "Rockets™" the token "rocketstm"; symbols are separators */
  expect(set, "Acme Rockets\xe2\x84\xa2", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "Acme\xe2\x84\xa2" "Rockets Support", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "Acme Rockets\xe2\x84\xa0", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "Acme Rockets\xe3\x8d\xbf", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "Acme Rockets\xe2\x91\xa0", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "Acme Rockets\xc2\xb2", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "Acme R\xce\xbf" "ckets", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "\xd0\x90\xd1\x81me Rockets", "mailer.example", TRUE, "display-name", "Acme Rockets"); /* Cyrillic А, с */
  expect(set, "Your AcmeRockets order", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "Acme.Rockets", "mailer.example", TRUE, "display-name", "Acme Rockets");
  expect(set, "bluebird bakery", "mailer.example", FALSE, "display-name", "Bluebird Bakery");
  /* negatives: the brand's own mail, an unrelated short name, inside a longer word, stop phrases */
  expect(set, "Acme Rockets", "vmc.demo.test", TRUE, NULL, NULL);
  expect(set, "Acme Rockets", "news.acme.demo.test", TRUE, NULL, NULL);
  expect(set, "Acme Rockets", "acmerockets.example", TRUE, NULL, NULL); /* the merged brand's domain */
  expect(set, "Acme", "mailer.example", FALSE, NULL, NULL);
  expect(set, "Acme Plumbing", "acme-plumbing.example", TRUE, NULL, NULL);
  expect(set, "acmerocketsville", "mailer.example", FALSE, NULL, NULL);
  expect(set, "Acme Rocketship Club", "mailer.example", FALSE, NULL, NULL);
  expect(set, "Help Desk", "mailer.example", FALSE, NULL, NULL);
  expect(set, NULL, NULL, FALSE, NULL, NULL);
  expect(set, "", "", FALSE, NULL, NULL);

  m = bimi_caution_check(set, "Acme Rockets Support", "gmail.example", TRUE);
  g_assert_cmpstr(m->text, ==, "Claims to be Acme Rockets \xe2\x80\x94 not verified");
  g_assert_cmpstr(m->matched, ==, "Acme Rockets Support");
  g_assert_cmpuint(g_strv_length(m->domains), ==, 3);
  g_assert_cmpstr(m->domains[2], ==, "acmerockets.example");
}

/* Japanese display names, written without spaces: ICU's dictionary word break makes the tokens. */
static void
test_display_name_unspaced(void)
{
  /* 三井住友カード (a Han and katakana name), アクメロケッツ (an unknown katakana word) */
  static const BrandSpec brands[] = {
    { "三井住友カード", { "card.jp.example" } },
    { "アクメロケッツ", { "rockets.jp.example" } },
  };
  BimiCautionOptions options = { BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH, 1, NULL };
  g_autoptr(BimiCautionSet) set = set_of(brands, G_N_ELEMENTS(brands), &options);
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(GError) error = NULL;

  /* the tokens: 三井住友カードのお知らせ → 三井 住友 カード の お知らせ */
  tokens = bimi_caution__tokens("三井住友カードのお知らせ", strlen("三井住友カードのお知らせ"), FALSE, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(tokens->len, ==, 5);
  g_assert_true(bimi_caution__token_is_unspaced(g_ptr_array_index(tokens, 2)));
  g_assert_false(bimi_caution__token_is_unspaced("acme"));

  /* positives: the brand inside a sentence, after 【重要】, with a legal form, half-width katakana */
  expect(set, "三井住友カードのお知らせ", "mailer.example", FALSE, "display-name", "三井住友カード");
  expect(set, "【重要】三井住友カードからのお知らせ", "mailer.example", TRUE, "display-name", "三井住友カード");
  expect(set, "アクメロケッツ株式会社サポート", "mailer.example", TRUE, "display-name", "アクメロケッツ");
  /* cut アクメ ロケ ッ ツ サポート by the dictionary: the run of whole tokens spells the name */
  expect(set, "アクメロケッツサポート", "mailer.example", TRUE, "display-name", "アクメロケッツ");
  expect(set, "ｱｸﾒﾛｹｯﾂ お知らせ",
         "mailer.example", TRUE, "display-name", "アクメロケッツ"); /* half-width katakana */
  /* negatives: the brand's own mail, a different bank of the same group, part of a longer katakana word */
  expect(set, "三井住友カードのお知らせ", "card.jp.example", TRUE, NULL, NULL);
  expect(set, "三井住友銀行", "mailer.example", FALSE, NULL, NULL);
  expect(set, "アクメロケッツァー", "mailer.example", FALSE, NULL, NULL);
}

static void
test_lookalike_domain(void)
{
  g_autoptr(BimiCautionSet) set = demo_set(1);
  g_autoptr(BimiCautionSet) exact = demo_set(0);
  g_autofree char *cyrillic = NULL;
  g_autoptr(BimiCautionMatch) m = NULL;

  /* an IDN with a Cyrillic "а": the skeleton of acme.demo.test */
  g_assert_cmpint(bimi_domain_to_ascii("\xd0\xb0" "cme.demo.test", 15, &cyrillic, NULL), ==, BIMI_DOMAIN_IDN_OK);
  expect(set, "Newsletter", cyrillic, TRUE, "lookalike-domain", "Acme Rockets");
  expect(set, "Acme Rockets", cyrillic, TRUE, "both", "Acme Rockets");
  expect(exact, "Newsletter", cyrillic, TRUE, "lookalike-domain", "Acme Rockets");
  m = bimi_caution_check(set, "Newsletter", cyrillic, TRUE);
  g_assert_cmpstr(m->matched, ==, "\xd0\xb0" "cme.demo.test"); /* the Unicode form, as a reader sees it */
  /* a digit for a letter: same skeleton */
  expect(exact, NULL, "vmc.dem0.test", TRUE, "lookalike-domain", "Acme Rockets");
  /* edit distance 1 across registrants */
  expect(set, NULL, "vmc-demo.test", TRUE, "lookalike-domain", "Acme Rockets");
  expect(set, NULL, "acme-rockets.example", TRUE, "lookalike-domain", "Acme Rockets");
  expect(set, NULL, "acmerocket.example", TRUE, "lookalike-domain", "Acme Rockets");
  expect(exact, NULL, "vmc-demo.test", TRUE, NULL, NULL); /* max_edit_distance = 0 */
  /* the brand name spelt in the labels */
  expect(exact, NULL, "acme-rockets.example", TRUE, "lookalike-domain", "Acme Rockets");
  expect(exact, NULL, "secure.acme-rockets-login.example", TRUE, "lookalike-domain", "Acme Rockets");
  /* negatives: the brand's own domains, its subdomains, unrelated and short registrable parts,
   * the same registrant's other names */
  expect(set, NULL, "vmc.demo.test", FALSE, NULL, NULL);
  expect(set, NULL, "mail.acme.demo.test", FALSE, NULL, NULL);
  expect(set, NULL, "example.org", FALSE, NULL, NULL);
  expect(set, NULL, "dema.test", FALSE, NULL, NULL);   /* "demo" is shorter than min_name_length */
  expect(set, NULL, "ab.example", FALSE, NULL, NULL);
  expect(set, NULL, "ac.example", FALSE, NULL, NULL);
  expect(set, NULL, "vmd.demo.test", FALSE, NULL, NULL); /* the same Organizational Domain */
  expect(set, NULL, "acme-plumbing.example", FALSE, NULL, NULL);
  expect(set, NULL, "help-desk.example", FALSE, NULL, NULL);
}

/* The two bounds of the check: a brand name of BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH characters claims, one
 * character less does not; a configured edit distance above BIMI_CAUTION_MAX_EDIT_DISTANCE is clamped to it
 * (a registrable part at that distance is flagged, one more edit is not). */
static void
test_check_limits(void)
{
  static const BrandSpec brands[] = {
    { "Orbit", { "orbit.example" } },
    { "Orbi", { "orbi.example" } },
    { "Orbital Freight", { "rocketlaunch.example" } },
  };
  BimiCautionOptions options = { BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH, BIMI_CAUTION_MAX_EDIT_DISTANCE + 2, NULL };
  g_autoptr(BimiCautionSet) set = NULL;

  g_assert_cmpuint(strlen("Orbit"), ==, BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH);
  g_assert_cmpuint(BIMI_CAUTION_MAX_EDIT_DISTANCE, ==, 3);
  set = set_of(brands, G_N_ELEMENTS(brands), &options);

  expect(set, "Orbit", "mailer.example", FALSE, "display-name", "Orbit");
  expect(set, "Orbi", "mailer.example", FALSE, NULL, NULL);
  /* three substitutions in "rocketlaunch": within the clamped distance; four: not */
  expect(set, NULL, "rocketlqqqch.example", TRUE, "lookalike-domain", "Orbital Freight");
  expect(set, NULL, "rocketqqqqch.example", TRUE, NULL, NULL);
}

static void
test_stop_words(void)
{
  static const BrandSpec orion[] = { { "Orion", { "orion.example" } } };
  const char *const words[] = { "orion", NULL };
  BimiCautionOptions options = { 3, 1, words };
  g_autoptr(BimiCautionSet) set = NULL;
  g_autoptr(BimiCautionSet) builtin = NULL;
  g_autofree char *dir = g_dir_make_tmp("caution-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "stop.txt", NULL);
  g_auto(GStrv) loaded = NULL;
  g_autoptr(GError) error = NULL;

  set = set_of(orion, G_N_ELEMENTS(orion), &options);
  expect(set, "Orion", "other.example", FALSE, NULL, NULL);
  options.stop_words = NULL;
  builtin = set_of(orion, G_N_ELEMENTS(orion), &options);
  expect(builtin, "Orion", "other.example", FALSE, "display-name", "Orion");

  g_assert_true(g_file_set_contents(path, "# common words\nOrion   \n\nsupport # trailing comment\n", -1, NULL));
  loaded = bimi_caution_stop_words_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(loaded), ==, 2);
  g_assert_cmpstr(loaded[0], ==, "Orion");
  g_assert_cmpstr(loaded[1], ==, "support");
  g_assert_true(g_file_set_contents(path, "ok\n\xff\n", -1, NULL));
  g_assert_null(bimi_caution_stop_words_load(path, &error));
  g_assert_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_SYNTAX);
  g_assert_nonnull(strstr(error->message, "line 2"));
  g_clear_error(&error);
  {
    GString *s = g_string_new(NULL);
    for (guint i = 0; i <= BIMI_CAUTION_MAX_STOP_WORDS; i++)
      g_string_append_printf(s, "w%u\n", i);
    g_assert_true(g_file_set_contents(path, s->str, (gssize) s->len, NULL));
    g_string_free(s, TRUE);
  }
  g_assert_null(bimi_caution_stop_words_load(path, &error));
  g_assert_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT);
  g_assert_nonnull(strstr(error->message, "BIMI_CAUTION_MAX_STOP_WORDS"));
  g_clear_error(&error);
  {
    g_autofree char *big = g_strnfill(BIMI_CAUTION_MAX_STOP_WORDS_FILE_BYTES + 1, '#');
    g_assert_true(g_file_set_contents(path, big, -1, NULL));
  }
  g_assert_null(bimi_caution_stop_words_load(path, &error));
  g_assert_nonnull(strstr(error->message, "BIMI_CAUTION_MAX_STOP_WORDS_FILE_BYTES"));
  g_unlink(path);
  g_rmdir(dir);
}

static void
test_set_limit(void)
{
  g_autoptr(GPtrArray) brands = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_caution_brand_free);
  const char *const d[] = { "a.example", NULL };
  BimiCautionOptions options = { 5, 1, NULL };
  g_autoptr(GError) error = NULL;
  BimiCautionBrand *b = bimi_caution_brand_new("Brand", d, NULL);

  for (guint i = 0; i <= BIMI_CAUTION_MAX_BRANDS; i++)
    g_ptr_array_add(brands, b);
  g_assert_null(bimi_caution_set_new(brands, &options, &error));
  g_assert_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT);
  g_ptr_array_set_free_func(brands, NULL);
  bimi_caution_brand_free(b);
}

/* A long display name is read up to BIMI_CAUTION_MAX_TEXT_BYTES: a brand past it is not seen. */
static void
test_long_display_name(void)
{
  g_autoptr(BimiCautionSet) set = demo_set(1);
  g_autofree char *pad = g_strnfill(BIMI_CAUTION_MAX_TEXT_BYTES - 13, 'x');
  g_autofree char *within = g_strdup_printf("Acme Rockets %s", pad);
  g_autofree char *beyond = g_strdup_printf("%s  Acme Rockets", pad);

  expect(set, within, "mailer.example", FALSE, "display-name", "Acme Rockets");
  expect(set, beyond, "mailer.example", FALSE, NULL, NULL);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/caution/skeleton", test_skeleton);
  g_test_add_func("/caution/skeleton-errors", test_skeleton_errors);
  g_test_add_func("/caution/normalized-units", test_normalized_units);
  g_test_add_func("/caution/domain-skeleton", test_domain_skeleton);
  g_test_add_func("/caution/edit-distance", test_edit_distance);
  g_test_add_func("/caution/legal-forms", test_legal_forms);
  g_test_add_func("/caution/display-name-unspaced", test_display_name_unspaced);
  g_test_add_func("/caution/brands-file", test_brands_file);
  g_test_add_func("/caution/brands-file-limits", test_brands_file_limits);
  g_test_add_func("/caution/brands-load", test_brands_load);
  g_test_add_func("/caution/registry-form", test_registry_form);
  g_test_add_func("/caution/display-name", test_display_name);
  g_test_add_func("/caution/lookalike-domain", test_lookalike_domain);
  g_test_add_func("/caution/stop-words", test_stop_words);
  g_test_add_func("/caution/check-limits", test_check_limits);
  g_test_add_func("/caution/set-limit", test_set_limit);
  g_test_add_func("/caution/long-display-name", test_long_display_name);
  return g_test_run();
}
