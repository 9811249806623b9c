/* tests/test-svg.c — engine/svg: the embedded schema, every named limit, the
 * parser hardening (entities, DTD, network, XInclude), the profile rules and
 * their codes and lines, the xlink:href decision, error-handler hygiene,
 * concurrent validation, the fixtures in fixtures/svg/, and `bimi svg check`.
 * The upstream logos are run by tests/test-svg-suite.c. */
#include "engine/svg.h"
#include "engine/svg-private.h"
#include "engine/limits.h"
#include "tests/lib/cli.h"
#include "tests/lib/expect.h"
#include "tests/lib/data.h"
#include "tests/lib/svg.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libxml/xmlerror.h>
#include <libxml/globals.h>

#define HEAD "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 100 100\">"
#define TITLE "<title>Example</title>"

/* ---- helpers ------------------------------------------------------------ */

static BimiSvgResult *
validate_len(const char *s, gsize len)
{
  g_autoptr(GBytes) b = g_bytes_new(s, len);
  g_autoptr(GError) error = NULL;
  BimiSvgResult *r = bimi_svg_validate(b, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  g_assert_cmpuint(r->size, ==, len);
  g_assert_true(r->valid == (r->errors->len == 0));
  return r;
}

static BimiSvgResult *
validate(const char *s)
{
  return validate_len(s, strlen(s));
}

static char *
codes(const GPtrArray *issues)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < issues->len; i++) {
    const BimiSvgIssue *issue = issues->pdata[i];
    g_string_append_printf(s, "%s%s@%u", i > 0 ? " " : "", issue->code, issue->line);
  }
  return g_string_free(s, FALSE);
}

static gint
str_ptr_cmp(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The distinct codes of @issues, sorted, space-separated. */
static char *
code_set(const GPtrArray *issues)
{
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < issues->len; i++) {
    const char *c = ((const BimiSvgIssue *) issues->pdata[i])->code;
    gboolean dup = FALSE;
    for (guint j = 0; j < seen->len; j++)
      dup = dup || strcmp(seen->pdata[j], c) == 0;
    if (!dup)
      g_ptr_array_add(seen, g_strdup(c));
  }
  g_ptr_array_sort(seen, str_ptr_cmp);
  g_ptr_array_add(seen, NULL);
  return g_strjoinv(" ", (char **) seen->pdata);
}

static const BimiSvgIssue *
find(const GPtrArray *issues, const char *code)
{
  for (guint i = 0; i < issues->len; i++) {
    const BimiSvgIssue *issue = issues->pdata[i];
    if (strcmp(issue->code, code) == 0)
      return issue;
  }
  return NULL;
}

static void
assert_valid(const BimiSvgResult *r)
{
  if (!r->valid)
    bimi_test_svg_dump(r);
  g_assert_true(r->valid);
  g_assert_cmpuint(r->errors->len, ==, 0);
}

/* Invalid, with @code among the errors at @line (0 = any line). */
static void
assert_error(const BimiSvgResult *r, const char *code, guint line)
{
  const BimiSvgIssue *e = find(r->errors, code);
  if (e == NULL) {
    bimi_test_svg_dump(r);
    g_error("expected error %s", code);
  }
  g_assert_false(r->valid);
  if (line != 0)
    g_assert_cmpuint(e->line, ==, line);
}

static GBytes *
read_file(const char *path)
{
  return bimi_test_read_bytes(path);
}

static const char *
upstream_dir(void)
{
  const char *d = bimi_test_upstream_dir();
  return d != NULL ? d : "../shared/upstream";
}

/* ---- the embedded schema ------------------------------------------------ */

static void
test_schema_embedded_upstream(void)
{
  g_autofree char *path = g_build_filename(upstream_dir(), "bimi", "schema", "SVG_PS-latest.rng", NULL);
  g_autoptr(GBytes) upstream = read_file(path);
  g_autoptr(GBytes) embedded = bimi_svg_get_schema();
  g_assert_cmpuint(g_bytes_get_size(embedded), ==, 224843);
  g_assert_true(g_bytes_equal(embedded, upstream));
}

static void
test_schema_embedded_shipped(void)
{
  g_autoptr(GBytes) shipped = read_file("data/schema/SVG_PS-latest.rng");
  g_autoptr(GBytes) embedded = bimi_svg_get_schema();
  g_assert_true(g_bytes_equal(embedded, shipped));
  /* The generator's literal ends exactly at the length it recorded. */
  g_assert_cmpint(bimi_svg__schema_rng[bimi_svg__schema_rng_len], ==, '\0');
  g_assert_cmpuint(strlen(bimi_svg__schema_rng), ==, bimi_svg__schema_rng_len);
}

static void
test_schema_generator_reproducible(void)
{
  /* engine/svg-schema.c is exactly what scripts/gen-svg-schema makes of the shipped schema. */
  char path[] = "/tmp/test-svg-schema-XXXXXX";
  int fd = g_mkstemp(path);
  char script[] = "scripts/gen-svg-schema";
  char input[] = "data/schema/SVG_PS-latest.rng";
  char *argv[] = { script, input, path, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_cmpint(fd, >=, 0);
  close(fd);
  if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error))
    g_error("spawn: %s", error->message);
  g_assert_true(g_spawn_check_wait_status(status, NULL));
  g_autoptr(GBytes) generated = read_file(path);
  g_autoptr(GBytes) committed = read_file("engine/svg-schema.c");
  g_unlink(path);
  g_assert_true(g_bytes_equal(generated, committed));
}

static void
test_schema_compiles(void)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(bimi_svg_init(&error));
  g_assert_no_error(error);
  g_assert_true(bimi_svg_init(&error));
}

/* ---- limits ------------------------------------------------------------------ */

/* A valid SVG of exactly @len bytes: padded with a comment. */
static char *
padded_svg(gsize len)
{
  const char *head = HEAD TITLE "<!--";
  const char *tail = "--></svg>";
  gsize fixed = strlen(head) + strlen(tail);
  g_assert_cmpuint(len, >=, fixed);
  GString *s = g_string_new(head);
  for (gsize i = 0; i < len - fixed; i++)
    g_string_append_c(s, 'x');
  g_string_append(s, tail);
  g_assert_cmpuint(s->len, ==, len);
  return g_string_free(s, FALSE);
}

static void
test_limit_size(void)
{
  g_autofree char *at = padded_svg(BIMI_SVG_MAX_BYTES);
  g_autofree char *over = padded_svg(BIMI_SVG_MAX_BYTES + 1);
  g_autoptr(BimiSvgResult) ok = validate(at);
  g_autoptr(BimiSvgResult) big = validate(over);

  g_assert_cmpuint(BIMI_SVG_MAX_BYTES, ==, 32768);
  assert_valid(ok);
  g_assert_cmpstr(ok->title, ==, "Example");
  /* Over the limit: one error, nothing parsed (no title). */
  g_assert_false(big->valid);
  g_assert_cmpuint(big->errors->len, ==, 1);
  g_assert_cmpstr(((BimiSvgIssue *) big->errors->pdata[0])->code, ==, BIMI_SVG_CODE_TOO_LARGE);
  g_assert_nonnull(strstr(((BimiSvgIssue *) big->errors->pdata[0])->message, "32769 bytes"));
  g_assert_null(big->title);
}

/* A limit of the validator: @at (at the limit) is valid; @over (one past it) is invalid with
 * exactly one error, @code on @line, whose message contains @needle (NULL: not checked).
 * Returns: (transfer full): the result for @over. */
static BimiSvgResult *
assert_limit(const char *at, const char *over, const char *code, guint line, const char *needle)
{
  g_autoptr(BimiSvgResult) ok = validate(at);
  g_autoptr(BimiSvgResult) bad = validate(over);

  assert_valid(ok);
  g_assert_cmpuint(bad->errors->len, ==, 1);
  assert_error(bad, code, line);
  if (needle != NULL)
    g_assert_nonnull(strstr(((BimiSvgIssue *) bad->errors->pdata[0])->message, needle));
  return g_steal_pointer(&bad);
}

static char *
nested_svg(guint depth)
{
  GString *s = g_string_new(HEAD TITLE);
  for (guint i = 1; i < depth; i++)
    g_string_append(s, "<g>");
  for (guint i = 1; i < depth; i++)
    g_string_append(s, "</g>");
  g_string_append(s, "</svg>");
  return g_string_free(s, FALSE);
}

static void
test_limit_depth(void)
{
  g_autofree char *at = nested_svg(BIMI_SVG_MAX_DEPTH);
  g_autofree char *over = nested_svg(BIMI_SVG_MAX_DEPTH + 1);

  bimi_svg_result_free(assert_limit(at, over, BIMI_SVG_CODE_TOO_DEEP, 1, "deeper than 32 levels"));
}

/* root + title + @n children: @n + 2 elements. */
static char *
wide_svg(guint n, const char *child)
{
  GString *s = g_string_new(HEAD TITLE);
  for (guint i = 0; i < n; i++)
    g_string_append(s, child);
  g_string_append(s, "</svg>");
  return g_string_free(s, FALSE);
}

static void
test_limit_nodes(void)
{
  g_autofree char *at = wide_svg(BIMI_SVG_MAX_NODES - 2, "<g/>");
  g_autofree char *over = wide_svg(BIMI_SVG_MAX_NODES - 1, "<g/>");
  g_autofree char *comments = wide_svg(BIMI_SVG_MAX_NODES - 1, "<!---->");
  g_autoptr(BimiSvgResult) many_comments = validate(comments);

  g_assert_cmpuint(strlen(over), <=, BIMI_SVG_MAX_BYTES);
  bimi_svg_result_free(assert_limit(at, over, BIMI_SVG_CODE_TOO_MANY_NODES, 1, NULL));
  g_assert_cmpuint(many_comments->errors->len, ==, 1);
  assert_error(many_comments, BIMI_SVG_CODE_TOO_MANY_NODES, 1);
}

static void
test_limit_issues(void)
{
  /* One style error and one schema error per rect, one line each. */
  GString *s = g_string_new(HEAD TITLE "\n");
  for (guint i = 0; i < BIMI_SVG_MAX_ISSUES + 10; i++)
    g_string_append(s, "<rect style=\"fill:red\" width=\"1\" height=\"1\"/>\n");
  g_string_append(s, "</svg>");
  g_autoptr(BimiSvgResult) r = validate(s->str);
  g_string_free(s, TRUE);

  g_assert_false(r->valid);
  g_assert_cmpuint(r->errors->len, ==, BIMI_SVG_MAX_ISSUES);
  g_assert_true(r->truncated);
  /* Sorted by line: the first kept error is on the first rect's line. */
  g_assert_cmpuint(((BimiSvgIssue *) r->errors->pdata[0])->line, ==, 2);
  for (guint i = 1; i < r->errors->len; i++)
    g_assert_cmpuint(((BimiSvgIssue *) r->errors->pdata[i - 1])->line, <=,
                     ((BimiSvgIssue *) r->errors->pdata[i])->line);
}

static void
test_limit_title_length(void)
{
  g_autofree char *t64 = g_strnfill(BIMI_SVG_TITLE_RECOMMENDED_CHARS, 'a');
  g_autofree char *t65 = g_strnfill(BIMI_SVG_TITLE_RECOMMENDED_CHARS + 1, 'a');
  g_autofree char *s64 = g_strdup_printf(HEAD "<title>%s</title></svg>", t64);
  g_autofree char *s65 = g_strdup_printf(HEAD "<title>%s</title></svg>", t65);
  g_autoptr(BimiSvgResult) r64 = validate(s64);
  g_autoptr(BimiSvgResult) r65 = validate(s65);

  assert_valid(r64);
  g_assert_cmpuint(r64->warnings->len, ==, 0);
  assert_valid(r65);
  g_assert_true(bimi_svg_result_has_warning(r65, BIMI_SVG_CODE_TITLE_LONG));
  g_assert_cmpstr(r65->title, ==, t65);
}

/* ---- parsing -------------------------------------------------------------- */

static void
test_parse_length_not_nul(void)
{
  /* Only the first len bytes count: the rest would be a syntax error. */
  const char buf[] = HEAD TITLE "</svg><<<garbage";
  gsize len = strlen(HEAD TITLE "</svg>");
  g_autoptr(GBytes) whole = g_bytes_new(buf, sizeof buf - 1);
  g_autoptr(GBytes) slice = g_bytes_new_from_bytes(whole, 0, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSvgResult) r = bimi_svg_validate(slice, &error);
  g_autoptr(BimiSvgResult) bad = validate_len(buf, sizeof buf - 1);

  g_assert_no_error(error);
  assert_valid(r);
  assert_error(bad, BIMI_SVG_CODE_NOT_XML, 1);
}

static void
test_parse_not_xml(void)
{
  g_autoptr(BimiSvgResult) empty = validate_len("", 0);
  g_autoptr(BimiSvgResult) gz = validate_len("\x1f\x8b\x08\x00\x00\x00", 6);
  g_autoptr(BimiSvgResult) text = validate("hello");
  g_autoptr(BimiSvgResult) mismatch = validate(HEAD "\n" TITLE "\n<g>\n</svg>");
  g_autoptr(BimiSvgResult) undefined_entity = validate(HEAD "<title>&foo;</title></svg>");
  g_autoptr(BimiSvgResult) nul = validate_len(HEAD TITLE "\0</svg>", strlen(HEAD TITLE) + 7);

  assert_error(empty, BIMI_SVG_CODE_NOT_XML, 0);
  assert_error(gz, BIMI_SVG_CODE_NOT_XML, 0);
  g_assert_nonnull(strstr(((BimiSvgIssue *) gz->errors->pdata[0])->message, "SVGZ"));
  assert_error(text, BIMI_SVG_CODE_NOT_XML, 1);
  assert_error(mismatch, BIMI_SVG_CODE_NOT_XML, 4);
  g_assert_null(mismatch->title);
  assert_error(undefined_entity, BIMI_SVG_CODE_NOT_XML, 1);
  g_assert_nonnull(strstr(((BimiSvgIssue *) undefined_entity->errors->pdata[0])->message, "foo"));
  assert_error(nul, BIMI_SVG_CODE_NOT_XML, 1);
}

static void
test_parse_doctype(void)
{
  g_autoptr(BimiSvgResult) entity = validate("<?xml version=\"1.0\"?>\n<!DOCTYPE svg [\n<!ENTITY x \"xx\">\n]>\n" HEAD
                                             "<title>&x;</title></svg>");
  g_autoptr(BimiSvgResult) external = validate("<!DOCTYPE svg [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>"
                                               HEAD "<title>&x;</title></svg>");
  g_autoptr(BimiSvgResult) element = validate("<!DOCTYPE svg [<!ELEMENT svg ANY>]>" HEAD TITLE "</svg>");
  g_autoptr(BimiSvgResult) notation = validate("<!DOCTYPE svg [<!NOTATION n SYSTEM \"x\">]>" HEAD TITLE "</svg>");
  g_autoptr(BimiSvgResult) unparsed = validate("<!DOCTYPE svg [<!ENTITY u SYSTEM \"x\" NDATA n>]>" HEAD TITLE "</svg>");
  /* An ATTLIST could give xmlns a default: refused, the tree would differ. */
  g_autoptr(BimiSvgResult) attlist = validate("<!DOCTYPE svg [<!ATTLIST svg xmlns CDATA #FIXED "
                                              "\"http://www.w3.org/2000/svg\">]>"
                                              "<svg version=\"1.2\" baseProfile=\"tiny-ps\">" TITLE "</svg>");
  /* A DOCTYPE with a network DTD: warning only, and nothing is fetched. */
  g_autoptr(BimiSvgResult) public_id = validate("<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
                                                "\"http://192.0.2.1/svg11.dtd\">\n" HEAD TITLE "</svg>");
  g_autoptr(BimiSvgResult) empty_subset = validate("<!DOCTYPE svg []>" HEAD TITLE "</svg>");

  g_assert_cmpuint(entity->errors->len, ==, 1);
  assert_error(entity, BIMI_SVG_CODE_DOCTYPE_ENTITY, 3);
  g_assert_null(entity->title);
  assert_error(external, BIMI_SVG_CODE_DOCTYPE_ENTITY, 1);
  g_assert_nonnull(strstr(((BimiSvgIssue *) external->errors->pdata[0])->message, "(external)"));
  assert_error(element, BIMI_SVG_CODE_DOCTYPE_SUBSET, 1);
  assert_error(notation, BIMI_SVG_CODE_DOCTYPE_SUBSET, 1);
  assert_error(unparsed, BIMI_SVG_CODE_DOCTYPE_ENTITY, 1);
  g_assert_cmpuint(attlist->errors->len, ==, 1);
  assert_error(attlist, BIMI_SVG_CODE_DOCTYPE_SUBSET, 1);
  assert_valid(public_id);
  g_assert_true(bimi_svg_result_has_warning(public_id, BIMI_SVG_CODE_DOCTYPE));
  g_assert_cmpuint(((BimiSvgIssue *) public_id->warnings->pdata[0])->line, ==, 1);
  assert_valid(empty_subset);
  g_assert_true(bimi_svg_result_has_warning(empty_subset, BIMI_SVG_CODE_DOCTYPE));
}

static void
test_parse_encoding(void)
{
  /* ISO-8859-1 input: the title comes back as UTF-8. */
  g_autoptr(BimiSvgResult) r = validate("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" HEAD
                                        "<title>Caf\xe9</title></svg>");
  assert_valid(r);
  g_assert_cmpstr(r->title, ==, "Caf\xc3\xa9");
}

/* ---- profile rules ------------------------------------------------------ */

static void
test_rules_root(void)
{
  g_autoptr(BimiSvgResult) spaced = validate("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\" 1.2 \" "
                                             "baseProfile=\"tiny-ps\" viewBox=\"0 0 1 1\">" TITLE "</svg>");
  g_autoptr(BimiSvgResult) wrong_ns = validate("<svg xmlns=\"http://example.com/\" version=\"1.2\" "
                                               "baseProfile=\"tiny-ps\">" TITLE "</svg>");
  g_autoptr(BimiSvgResult) not_svg = validate("<html xmlns=\"http://www.w3.org/2000/svg\"/>");
  g_autoptr(BimiSvgResult) x_only = validate("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\"\n"
                                             "baseProfile=\"tiny-ps\" x=\"0\">" TITLE "</svg>");
  g_autoptr(BimiSvgResult) no_profile = validate("<svg xmlns=\"http://www.w3.org/2000/svg\">" TITLE "</svg>");

  /* The schema compares tokens; so do we. */
  assert_valid(spaced);
  assert_error(wrong_ns, BIMI_SVG_CODE_NOT_SVG, 1);
  assert_error(wrong_ns, BIMI_SVG_CODE_SCHEMA, 1);
  assert_error(not_svg, BIMI_SVG_CODE_NOT_SVG, 1);
  g_assert_cmpuint(x_only->errors->len, >=, 1);
  assert_error(x_only, BIMI_SVG_CODE_ROOT_X_Y, 1);
  assert_error(no_profile, BIMI_SVG_CODE_VERSION, 1);
  assert_error(no_profile, BIMI_SVG_CODE_BASE_PROFILE, 1);
  g_assert_nonnull(strstr(find(no_profile->errors, BIMI_SVG_CODE_VERSION)->message, "lacks version=\"1.2\""));
}

static void
test_rules_title(void)
{
  g_autoptr(BimiSvgResult) collapsed = validate(HEAD "\n<!-- c -->\n<title>\n  Acme\t  Corp \n</title></svg>");
  g_autoptr(BimiSvgResult) blank = validate(HEAD "<title> \t </title></svg>");
  g_autoptr(BimiSvgResult) late = validate(HEAD "\n<desc>d</desc>\n<title>T</title></svg>");
  g_autoptr(BimiSvgResult) nested = validate(HEAD "<g><title>T</title></g></svg>");
  g_autoptr(BimiSvgResult) other_ns = validate(HEAD "<title xmlns=\"http://example.com/\">T</title></svg>");

  /* Comments and white space before <title> are fine; the text is collapsed. */
  assert_valid(collapsed);
  g_assert_cmpstr(collapsed->title, ==, "Acme Corp");
  assert_error(blank, BIMI_SVG_CODE_TITLE_EMPTY, 1);
  g_assert_null(blank->title);
  assert_error(late, BIMI_SVG_CODE_TITLE_NOT_FIRST, 3);
  g_assert_nonnull(strstr(find(late->errors, BIMI_SVG_CODE_TITLE_NOT_FIRST)->message, "<desc> (line 2)"));
  g_assert_cmpstr(late->title, ==, "T");
  assert_error(nested, BIMI_SVG_CODE_TITLE_MISSING, 1);
  assert_error(other_ns, BIMI_SVG_CODE_TITLE_MISSING, 1);
}

static void
test_rules_forbidden(void)
{
  const struct {
    const char *body;
    const char *code;
  } cases[] = {
    { "<script>alert(1)</script>", BIMI_SVG_CODE_SCRIPT },
    { "<handler/>", BIMI_SVG_CODE_SCRIPT },
    { "<listener/>", BIMI_SVG_CODE_SCRIPT },
    { "<rect width=\"1\" height=\"1\"><set attributeName=\"fill\" to=\"red\"/></rect>", BIMI_SVG_CODE_ANIMATION },
    { "<animateTransform/>", BIMI_SVG_CODE_ANIMATION },
    { "<animateMotion/>", BIMI_SVG_CODE_ANIMATION },
    { "<animateColor/>", BIMI_SVG_CODE_ANIMATION },
    { "<discard/>", BIMI_SVG_CODE_ANIMATION },
    { "<animation/>", BIMI_SVG_CODE_ANIMATION },
    { "<a><rect width=\"1\" height=\"1\"/></a>", BIMI_SVG_CODE_LINK },
    { "<image width=\"1\" height=\"1\" href=\"#x\"/>", BIMI_SVG_CODE_IMAGE },
    { "<audio/>", BIMI_SVG_CODE_MEDIA },
    { "<video/>", BIMI_SVG_CODE_MEDIA },
    { "<foreignObject/>", BIMI_SVG_CODE_FOREIGN_OBJECT },
    { "<style>rect{}</style>", BIMI_SVG_CODE_STYLE },
    { "<rect style=\"fill:red\" width=\"1\" height=\"1\"/>", BIMI_SVG_CODE_STYLE },
    { "<rect onload=\"x()\" width=\"1\" height=\"1\"/>", BIMI_SVG_CODE_EVENT_ATTRIBUTE },
    { "<rect ONCLICK=\"x()\" width=\"1\" height=\"1\"/>", BIMI_SVG_CODE_EVENT_ATTRIBUTE },
    { "<use href=\"data:image/svg+xml,&lt;svg/&gt;\"/>", BIMI_SVG_CODE_EXTERNAL_REF },
    { "<use href=\"logo.svg#a\"/>", BIMI_SVG_CODE_EXTERNAL_REF },
    { "<rect width=\"1\" height=\"1\" fill=\"url(http://x/#g)\"/>", BIMI_SVG_CODE_EXTERNAL_REF },
    { "<rect width=\"1\" height=\"1\" fill=\"url(&quot;//x/#g&quot;)\"/>", BIMI_SVG_CODE_EXTERNAL_REF },
    { "<rect width=\"1\" height=\"1\" stroke=\"URL(//x/#g)\"/>", BIMI_SVG_CODE_EXTERNAL_REF },
    { "<rect width=\"1\" height=\"1\" fill=\"url(#a) url(x)\"/>", BIMI_SVG_CODE_EXTERNAL_REF },
    { "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"/etc/passwd\"/>", BIMI_SVG_CODE_EXTERNAL_REF },
    { "<switch/>", BIMI_SVG_CODE_SCHEMA },
    { "<clipPath/>", BIMI_SVG_CODE_SCHEMA },
    { "<tspan/>", BIMI_SVG_CODE_SCHEMA },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *svg = g_strdup_printf(HEAD TITLE "\n%s</svg>", cases[i].body);
    g_autoptr(BimiSvgResult) r = validate(svg);
    g_test_message("case %" G_GSIZE_FORMAT ": %s", i, cases[i].body);
    assert_error(r, cases[i].code, 2);
    /* And the schema agrees that each of these is outside the profile,
     * except the references it cannot see (any string is a valid href). */
    if (strcmp(cases[i].code, BIMI_SVG_CODE_EXTERNAL_REF) != 0 || strstr(cases[i].body, "xi:include") != NULL)
      assert_error(r, BIMI_SVG_CODE_SCHEMA, 2);
  }
}

static void
test_rules_quoted_text_bounded(void)
{
  /* Attacker names and values are quoted at most 64 bytes long in messages. */
  g_autofree char *name = g_strnfill(5000, 'n');
  g_autofree char *value = g_strnfill(5000, 'v');
  g_autofree char *svg = g_strdup_printf(HEAD TITLE "<%s style=\"%s\" on%s=\"x\" href=\"%s\"/></svg>", name, value,
                                         name, value);
  g_autoptr(BimiSvgResult) r = validate(svg);
  g_assert_cmpuint(r->errors->len, >=, 4);
  for (guint i = 0; i < r->errors->len; i++) {
    const BimiSvgIssue *e = r->errors->pdata[i];
    g_assert_cmpuint(strlen(e->message), <, strcmp(e->code, BIMI_SVG_CODE_SCHEMA) != 0 ? 400 : 520);
  }
  assert_error(r, BIMI_SVG_CODE_STYLE, 1);
  assert_error(r, BIMI_SVG_CODE_EVENT_ATTRIBUTE, 1);
  assert_error(r, BIMI_SVG_CODE_EXTERNAL_REF, 1);
}

static void
test_rules_internal_references(void)
{
  g_autoptr(BimiSvgResult) r = validate(HEAD TITLE "<defs><linearGradient id=\"g\"/><rect id=\"r\" width=\"1\" "
                                        "height=\"1\"/></defs><use href=\"#r\"/>"
                                        "<rect width=\"1\" height=\"1\" fill=\"url( '#g' )\"/></svg>");
  assert_valid(r);
  g_assert_cmpuint(r->warnings->len, ==, 0);
}

static void
test_rules_viewbox(void)
{
  g_autoptr(BimiSvgResult) square = validate(HEAD TITLE "</svg>");
  g_autoptr(BimiSvgResult) comma = validate("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" "
                                            "baseProfile=\"tiny-ps\" viewBox=\" 0,0 , 64.5,64.5 \">" TITLE "</svg>");
  g_autoptr(BimiSvgResult) wide = validate("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" "
                                           "baseProfile=\"tiny-ps\" viewBox=\"0 0 200 100\">" TITLE "</svg>");
  g_autoptr(BimiSvgResult) missing = validate("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" "
                                              "baseProfile=\"tiny-ps\">" TITLE "</svg>");
  g_autoptr(BimiSvgResult) junk = validate("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" "
                                           "baseProfile=\"tiny-ps\" viewBox=\"0 0 10\">" TITLE "</svg>");

  assert_valid(square);
  g_assert_cmpuint(square->warnings->len, ==, 0);
  assert_valid(comma);
  g_assert_cmpuint(comma->warnings->len, ==, 0);
  /* Recommendations only: valid, with a warning (§6 rule 11). */
  assert_valid(wide);
  g_assert_true(bimi_svg_result_has_warning(wide, BIMI_SVG_CODE_NOT_SQUARE));
  assert_valid(missing);
  g_assert_true(bimi_svg_result_has_warning(missing, BIMI_SVG_CODE_VIEWBOX_MISSING));
  g_assert_true(bimi_svg_result_has_warning(junk, BIMI_SVG_CODE_VIEWBOX_MISSING));
}

/* ---- the xlink:href decision ------------------------------------------- */

#define XLINK_HEAD "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" " \
                   "version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 100 100\">"

static void
test_xlink_href(void)
{
  g_autoptr(BimiSvgResult) internal = validate(XLINK_HEAD TITLE "<defs><rect id=\"r\" width=\"1\" height=\"1\"/>"
                                               "</defs>\n<use xlink:href=\"#r\"/></svg>");
  g_autoptr(BimiSvgResult) external = validate(XLINK_HEAD TITLE "\n<use xlink:href=\"x.svg#r\"/></svg>");
  g_autoptr(BimiSvgResult) both = validate(XLINK_HEAD TITLE "<defs><rect id=\"r\" width=\"1\" height=\"1\"/>"
                                           "</defs>\n<use href=\"#r\" xlink:href=\"#r\"/></svg>");
  g_autoptr(BimiSvgResult) on_rect = validate(XLINK_HEAD TITLE "\n<rect xlink:href=\"#r\" width=\"1\" height=\"1\"/>"
                                              "</svg>");

  /* Internal xlink:href on <use>: accepted, with a warning at its line. */
  assert_valid(internal);
  g_assert_cmpuint(internal->warnings->len, ==, 1);
  g_assert_cmpstr(((BimiSvgIssue *) internal->warnings->pdata[0])->code, ==, BIMI_SVG_CODE_XLINK_HREF);
  g_assert_cmpuint(((BimiSvgIssue *) internal->warnings->pdata[0])->line, ==, 2);
  assert_error(external, BIMI_SVG_CODE_EXTERNAL_REF, 2);
  g_assert_false(bimi_svg_result_has_warning(external, BIMI_SVG_CODE_XLINK_HREF));
  /* Both spellings: not rewritten, the schema refuses the xlink one. */
  assert_error(both, BIMI_SVG_CODE_SCHEMA, 2);
  g_assert_false(bimi_svg_result_has_warning(both, BIMI_SVG_CODE_XLINK_HREF));
  assert_error(on_rect, BIMI_SVG_CODE_SCHEMA, 2);
}

/* ---- libxml2 error handlers ------------------------------------------------ */

static void
caller_structured(void *user, xmlErrorPtr err)
{
  (*(guint *) user)++;
}

static const char *const noisy[] = {
  "<svg", /* not XML */
  HEAD "<bogus/></svg>",
  "<!DOCTYPE svg [<!ENTITY a \"b\">]><svg/>",
  "<svg xmlns=\"relative\"><x:y/></svg>",
  "<?xml version=\"1.0\" encoding=\"no-such-charset\"?><svg/>",
};

static void
test_handlers_restored(void)
{
  guint calls = 0;
  xmlGenericErrorFunc generic = xmlGenericError;
  void *generic_ctx = xmlGenericErrorContext;
  xmlSetStructuredErrorFunc(&calls, caller_structured);
  for (gsize i = 0; i < G_N_ELEMENTS(noisy); i++) {
    g_autoptr(BimiSvgResult) r = validate(noisy[i]);
    g_assert_false(r->valid);
  }
  /* The caller's handler is back in place and never saw our errors. */
  g_assert_true(xmlStructuredError == caller_structured);
  g_assert_true(xmlStructuredErrorContext == &calls);
  g_assert_cmpuint(calls, ==, 0);
  g_assert_true(xmlGenericError == generic);
  g_assert_true(xmlGenericErrorContext == generic_ctx);
  xmlSetStructuredErrorFunc(NULL, NULL);
}

static void
test_handlers_silent(void)
{
  /* Nothing reaches stderr, whatever the input. */
  char path[] = "/tmp/test-svg-stderr-XXXXXX";
  int fd = g_mkstemp(path);
  int saved = dup(STDERR_FILENO);
  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(saved, >=, 0);
  fflush(stderr);
  g_assert_cmpint(dup2(fd, STDERR_FILENO), ==, STDERR_FILENO);
  for (gsize i = 0; i < G_N_ELEMENTS(noisy); i++) {
    g_autoptr(BimiSvgResult) r = validate(noisy[i]);
    g_assert_false(r->valid);
  }
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
  close(fd);
  g_unlink(path);
  if (len != 0)
    g_error("libxml2 wrote to stderr: %s", contents);
}

/* ---- threads --------------------------------------------------------------- */

static const char *const thread_inputs[] = {
  HEAD TITLE "<rect width=\"1\" height=\"1\" fill=\"#c00\"/></svg>",
  HEAD "<desc>d</desc>" TITLE "<script/></svg>",
  XLINK_HEAD TITLE "<defs><rect id=\"r\" width=\"1\" height=\"1\"/></defs><use xlink:href=\"#r\"/></svg>",
  "<!DOCTYPE svg [<!ENTITY a \"b\">]>" HEAD TITLE "</svg>",
  "<svg",
};

static gpointer
thread_main(gpointer data)
{
  char **expected = data;
  for (guint round = 0; round < 25; round++) {
    for (gsize i = 0; i < G_N_ELEMENTS(thread_inputs); i++) {
      g_autoptr(GBytes) b = g_bytes_new_static(thread_inputs[i], strlen(thread_inputs[i]));
      g_autoptr(BimiSvgResult) r = bimi_svg_validate(b, NULL);
      g_autofree char *e = r != NULL ? codes(r->errors) : NULL;
      g_autofree char *w = r != NULL ? codes(r->warnings) : NULL;
      g_autofree char *got = g_strdup_printf("%s|%s", e, w);
      if (g_strcmp0(got, expected[i]) != 0)
        return g_strdup_printf("input %" G_GSIZE_FORMAT ": got %s, expected %s", i, got, expected[i]);
    }
  }
  return NULL;
}

static void
test_threads(void)
{
  char *expected[G_N_ELEMENTS(thread_inputs)];
  GThread *threads[8];

  for (gsize i = 0; i < G_N_ELEMENTS(thread_inputs); i++) {
    g_autoptr(BimiSvgResult) r = validate(thread_inputs[i]);
    g_autofree char *e = codes(r->errors);
    g_autofree char *w = codes(r->warnings);
    expected[i] = g_strdup_printf("%s|%s", e, w);
  }
  g_assert_cmpstr(expected[0], ==, "|");
  g_assert_cmpstr(expected[2], ==, "|xlink-href@1");
  for (gsize t = 0; t < G_N_ELEMENTS(threads); t++)
    threads[t] = g_thread_new("svg", thread_main, expected);
  for (gsize t = 0; t < G_N_ELEMENTS(threads); t++) {
    g_autofree char *failure = g_thread_join(threads[t]);
    if (failure != NULL)
      g_error("thread %" G_GSIZE_FORMAT ": %s", t, failure);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(thread_inputs); i++)
    g_free(expected[i]);
}

/* ---- fixtures/svg/ ---------------------------------------------------------- */

static const struct {
  const char *file;
  gboolean valid;
  const char *errors;   /* distinct error codes, sorted */
  const char *warnings; /* distinct warning codes, sorted */
  guint line;           /* line of the first error (or warning when valid) */
  const char *title;
} fixtures[] = {
  { "valid-multiline.svg", TRUE, "", "", 0, "Example Brand" },
  { "valid-fill-url-internal.svg", TRUE, "", "", 0, "Example" },
  { "warn-doctype-public.svg", TRUE, "", "doctype", 2, "Example" },
  { "warn-no-viewbox.svg", TRUE, "", "viewbox-missing", 1, "Example" },
  { "warn-not-square.svg", TRUE, "", "not-square", 1, "Wide Example" },
  { "warn-title-long.svg", TRUE, "", "title-long", 2,
    "An Example Brand Name That Goes On And On Far Beyond Sixty-Four Characters" },
  { "invalid-doctype-attlist.svg", FALSE, "doctype-subset", "", 3, NULL },
  { "invalid-doctype-billion-laughs.svg", FALSE, "doctype-entity", "", 3, NULL },
  { "invalid-doctype-xxe.svg", FALSE, "doctype-entity", "", 3, NULL },
  { "invalid-parameter-entity.svg", FALSE, "doctype-entity", "", 3, NULL },
  { "invalid-event-attribute.svg", FALSE, "event-attribute schema", "", 3, "Example" },
  { "invalid-fill-url-external.svg", FALSE, "external-reference", "", 3, "Example" },
  { "invalid-use-external-href.svg", FALSE, "external-reference", "", 3, "Example" },
  { "invalid-use-xlink-href-external.svg", FALSE, "external-reference schema", "", 3, "Example" },
  { "invalid-xlink-href-gradient.svg", FALSE, "schema", "", 3, "Example" },
  { "invalid-xinclude.svg", FALSE, "external-reference schema", "", 3, "Example" },
  { "invalid-xml-stylesheet.svg", FALSE, "style", "", 2, "Example" },
  { "invalid-title-empty.svg", FALSE, "title-empty", "", 2, NULL },
  { "invalid-title-duplicate.svg", FALSE, "schema title-duplicate", "", 3, "Example" },
  { "invalid-not-svg-namespace.svg", FALSE, "not-svg schema", "", 1, NULL },
  { "invalid-not-xml.svg", FALSE, "not-xml", "", 4, NULL },
  { "invalid-many.svg", FALSE, "animation external-reference link media not-xml schema script", "", 2, "Example" },
};

static void
test_fixture(gconstpointer data)
{
  guint i = GPOINTER_TO_UINT(data);
  g_autofree char *path = g_build_filename("fixtures", "svg", fixtures[i].file, NULL);
  g_autoptr(GBytes) b = read_file(path);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSvgResult) r = bimi_svg_validate(b, &error);

  g_assert_no_error(error);
  bimi_test_svg_dump(r);
  g_autofree char *errs = code_set(r->errors);
  g_autofree char *warns = code_set(r->warnings);
  g_assert_cmpint(r->valid, ==, fixtures[i].valid);
  g_assert_cmpstr(errs, ==, fixtures[i].errors);
  g_assert_cmpstr(warns, ==, fixtures[i].warnings);
  if (fixtures[i].line != 0) {
    const GPtrArray *list = r->errors->len > 0 ? r->errors : r->warnings;
    g_assert_cmpuint(((BimiSvgIssue *) list->pdata[0])->line, ==, fixtures[i].line);
  }
  g_assert_cmpstr(r->title, ==, fixtures[i].title);
}

static void
test_fixtures_listed(void)
{
  /* Every file in fixtures/svg/ has an expectation above. */
  g_autoptr(GDir) dir = g_dir_open("fixtures/svg", 0, NULL);
  const char *name;
  guint n = 0;
  g_assert_nonnull(dir);
  while ((name = g_dir_read_name(dir)) != NULL) {
    gboolean listed = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(fixtures); i++)
      listed = listed || strcmp(fixtures[i].file, name) == 0;
    if (!listed)
      g_error("fixtures/svg/%s has no expectation in tests/test-svg.c", name);
    n++;
  }
  g_assert_cmpuint(n, ==, G_N_ELEMENTS(fixtures));
}

/* ---- bimi svg check ----------------------------------------------------------- */

/* `bimi svg ARGS...`: asserts the exit status and what stdout contains. */
static BimiTestCliRun *
run_cli(const char *const *args, int status, const char *const *out_has)
{
  return bimi_test_cli_expect("svg", args, status, out_has);
}

static void
test_cli_text(void)
{
  const char *valid[] = { "check", "fixtures/svg/warn-not-square.svg", NULL };
  const char *valid_has[] = { "valid SVG Tiny PS, 179 bytes, 0 errors, 1 warning", "warning line 1 [not-square]",
                              "title: \"Wide Example\"", NULL };
  const char *invalid[] = { "check", "fixtures/svg/invalid-many.svg", NULL };
  const char *invalid_has[] = { "INVALID", "error   line 2 [script]", "error   line 3 [media]", NULL };

  bimi_test_cli_run_free(run_cli(valid, 0, valid_has));
  bimi_test_cli_run_free(run_cli(invalid, 1, invalid_has));
}

static void
test_cli_json(void)
{
  const char *args[] = { "check", "--json", "fixtures/svg/invalid-event-attribute.svg", NULL };
  g_autoptr(BimiTestCliRun) run = run_cli(args, 1, NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  g_assert_true(json_parser_load_from_data(parser, run->out, -1, &error));
  g_assert_no_error(error);
  JsonObject *root = json_node_get_object(json_parser_get_root(parser));
  g_assert_false(json_object_get_boolean_member(root, "valid"));
  g_assert_cmpint(json_object_get_int_member(root, "size"), ==, 193);
  g_assert_cmpstr(json_object_get_string_member(root, "title"), ==, "Example");
  JsonArray *errors = json_object_get_array_member(root, "errors");
  g_assert_cmpuint(json_array_get_length(errors), ==, 2);
  JsonObject *e0 = json_array_get_object_element(errors, 0);
  g_assert_cmpstr(json_object_get_string_member(e0, "code"), ==, "event-attribute");
  g_assert_cmpint(json_object_get_int_member(e0, "line"), ==, 3);
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(root, "warnings")), ==, 0);
}

static void
test_cli_exit_codes(void)
{
  const struct {
    const char *args[4];
    int code;
    const char *in_err;
  } cases[] = {
    { { "check", "fixtures/svg/valid-multiline.svg", NULL, NULL }, 0, NULL },
    { { "check", "fixtures/svg/invalid-not-xml.svg", NULL, NULL }, 1, NULL },
    { { "check", "fixtures/svg/does-not-exist.svg", NULL, NULL }, 2, "does-not-exist.svg" },
    { { "check", NULL, NULL, NULL }, 2, "exactly one SVG file" },
    { { "verify", "fixtures/svg/valid-multiline.svg", NULL, NULL }, 2, "bimi svg check" },
    { { NULL, NULL, NULL, NULL }, 2, "bimi svg check" },
    { { "check", "--no-such-option", "x.svg", NULL }, 2, "no-such-option" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(BimiTestCliRun) run = run_cli(cases[i].args, cases[i].code, NULL);
    if (cases[i].in_err != NULL && strstr(run->err, cases[i].in_err) == NULL)
      g_error("case %" G_GSIZE_FORMAT ": stderr \"%s\" lacks \"%s\"", i, run->err, cases[i].in_err);
  }
}

static void
test_cli_too_large(void)
{
  /* An oversized logo is a violation (exit 1), not an unreadable file. */
  g_autofree char *big = padded_svg(BIMI_SVG_MAX_BYTES + 100);
  char path[] = "/tmp/test-svg-big-XXXXXX";
  int fd = g_mkstemp(path);
  g_assert_cmpint(fd, >=, 0);
  close(fd);
  g_assert_true(g_file_set_contents(path, big, -1, NULL));
  const char *args[] = { "check", path, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int code = bimi_test_cli_run("svg", args, &out, &err);
  g_unlink(path);
  g_assert_cmpint(code, ==, 1);
  g_assert_nonnull(strstr(out, "[too-large] 32868 bytes"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);

  g_test_add_func("/svg/schema/embedded-equals-upstream", test_schema_embedded_upstream);
  g_test_add_func("/svg/schema/embedded-equals-shipped", test_schema_embedded_shipped);
  g_test_add_func("/svg/schema/generator-reproducible", test_schema_generator_reproducible);
  g_test_add_func("/svg/schema/compiles", test_schema_compiles);
  g_test_add_func("/svg/limit/size", test_limit_size);
  g_test_add_func("/svg/limit/depth", test_limit_depth);
  g_test_add_func("/svg/limit/nodes", test_limit_nodes);
  g_test_add_func("/svg/limit/issues", test_limit_issues);
  g_test_add_func("/svg/limit/title-length", test_limit_title_length);
  g_test_add_func("/svg/parse/length-not-nul", test_parse_length_not_nul);
  g_test_add_func("/svg/parse/not-xml", test_parse_not_xml);
  g_test_add_func("/svg/parse/doctype", test_parse_doctype);
  g_test_add_func("/svg/parse/encoding", test_parse_encoding);
  g_test_add_func("/svg/rules/root", test_rules_root);
  g_test_add_func("/svg/rules/title", test_rules_title);
  g_test_add_func("/svg/rules/forbidden", test_rules_forbidden);
  g_test_add_func("/svg/rules/internal-references", test_rules_internal_references);
  g_test_add_func("/svg/rules/quoted-text-bounded", test_rules_quoted_text_bounded);
  g_test_add_func("/svg/rules/viewbox", test_rules_viewbox);
  g_test_add_func("/svg/xlink-href", test_xlink_href);
  g_test_add_func("/svg/handlers/restored", test_handlers_restored);
  g_test_add_func("/svg/handlers/silent", test_handlers_silent);
  g_test_add_func("/svg/threads", test_threads);
  g_test_add_func("/svg/fixtures/listed", test_fixtures_listed);
  for (gsize i = 0; i < G_N_ELEMENTS(fixtures); i++) {
    g_autofree char *name = g_strdup_printf("/svg/fixtures/%s", fixtures[i].file);
    g_test_add_data_func(name, GUINT_TO_POINTER(i), test_fixture);
  }
  g_test_add_func("/svg/cli/text", test_cli_text);
  g_test_add_func("/svg/cli/json", test_cli_json);
  g_test_add_func("/svg/cli/exit-codes", test_cli_exit_codes);
  g_test_add_func("/svg/cli/too-large", test_cli_too_large);
  return g_test_run();
}
