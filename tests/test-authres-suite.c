/* tests/test-authres-suite.c — runs the Authentication-Results cases of
 * $BIMI_UPSTREAM_DIR/authres-derived/authres-parse-cases.json (see FORMAT.md
 * there): one GTest case per JSON case, /authres/suite/NN with NN the index
 * in "cases". Each header field is parsed with bimi_authres_parse_field();
 * a case with "syntax_error" must be rejected, every other must give exactly
 * the expected authserv-id, version, and results (method, version, result,
 * reason, properties type/name/value) in order.
 *
 * A missing suite is a failure, unless BIMI_ALLOW_MISSING_UPSTREAM is set
 * (then the run is skipped).
 */
#include "engine/authres.h"
#include "tests/lib/data.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define SUITE_FILE "authres-derived/authres-parse-cases.json"
#define EXPECTED_CASES 37u
#define EXPECTED_REJECTS 4u

static JsonParser *suite_parser;
static JsonArray *suite_cases; /* (transfer none), owned by suite_parser */

/* A JSON member that is a string, or NULL when absent or null. */
static const char *
member_string(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  if (n == NULL || JSON_NODE_HOLDS_NULL(n))
    return NULL;
  g_assert_true(JSON_NODE_HOLDS_VALUE(n));
  return json_node_get_string(n);
}

/* Expected "version" strings ("1") as the int our structures use, -1 for null. */
static int
member_version(JsonObject *o, const char *name)
{
  const char *v = member_string(o, name);
  if (v == NULL)
    return -1;
  guint64 n = 0;
  g_autoptr(GError) error = NULL;
  if (!g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT, &n, &error))
    g_error("bad expected version \"%s\": %s", v, error->message);
  return (int) n;
}

static void
run_case(gconstpointer data)
{
  JsonObject *c = json_array_get_object_element(suite_cases, GPOINTER_TO_UINT(data));
  const char *header = member_string(c, "header");
  JsonObject *expect = json_object_get_object_member(c, "expect");
  g_assert_nonnull(header);
  g_assert_nonnull(expect);
  g_test_message("header: %s", header);

  g_autoptr(GError) error = NULL;
  g_autoptr(BimiAuthres) ar = bimi_authres_parse_field(header, strlen(header), &error);

  if (json_object_has_member(expect, "syntax_error")) {
    g_assert_true(json_object_get_boolean_member(expect, "syntax_error"));
    if (ar != NULL) {
      g_autofree char *got = bimi_authres_to_string(ar);
      g_error("accepted a field that must be rejected; parsed as \"%s\"", got);
    }
    g_assert_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_SYNTAX);
    g_test_message("rejected: %s", error->message);
    return;
  }

  g_assert_no_error(error);
  g_assert_nonnull(ar);
  g_assert_cmpstr(ar->authserv_id, ==, member_string(expect, "authserv_id"));
  g_assert_cmpint(ar->version, ==, member_version(expect, "version"));

  JsonArray *results = json_object_get_array_member(expect, "results");
  g_assert_cmpuint(ar->results->len, ==, json_array_get_length(results));
  for (guint i = 0; i < ar->results->len; i++) {
    const BimiAuthresResult *r = ar->results->pdata[i];
    JsonObject *er = json_array_get_object_element(results, i);
    g_assert_cmpstr(r->method, ==, member_string(er, "method"));
    g_assert_cmpint(r->method_version, ==, member_version(er, "version"));
    g_assert_cmpstr(r->result, ==, member_string(er, "result"));
    g_assert_cmpstr(r->reason, ==, member_string(er, "reason"));
    JsonArray *props = json_object_get_array_member(er, "properties");
    g_assert_cmpuint(r->properties->len, ==, json_array_get_length(props));
    for (guint j = 0; j < r->properties->len; j++) {
      const BimiAuthresProperty *p = r->properties->pdata[j];
      JsonObject *ep = json_array_get_object_element(props, j);
      g_assert_cmpstr(p->ptype, ==, member_string(ep, "type"));
      g_assert_cmpstr(p->name, ==, member_string(ep, "name"));
      g_assert_cmpstr(p->value, ==, member_string(ep, "value"));
    }
  }

  /* What we accept we can also write back, unchanged. */
  g_autofree char *s = bimi_authres_to_string(ar);
  g_autoptr(BimiAuthres) back = bimi_authres_parse(s, strlen(s), &error);
  g_assert_no_error(error);
  g_assert_true(bimi_authres_equal(ar, back));
}

static void
check_counts(gconstpointer data)
{
  JsonArray *cases = suite_cases;
  guint rejects = 0;
  (void) data;
  g_assert_cmpuint(json_array_get_length(cases), ==, EXPECTED_CASES);
  for (guint i = 0; i < json_array_get_length(cases); i++) {
    JsonObject *e = json_object_get_object_member(json_array_get_object_element(cases, i), "expect");
    if (json_object_has_member(e, "syntax_error"))
      rejects++;
  }
  g_assert_cmpuint(rejects, ==, EXPECTED_REJECTS);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);

  const char *dir = bimi_test_upstream_dir();
  g_autofree char *path = g_build_filename(dir != NULL ? dir : "../shared/upstream", SUITE_FILE, NULL);
  g_autoptr(GError) error = NULL;
  suite_parser = json_parser_new();
  if (!json_parser_load_from_file(suite_parser, path, &error)) {
    g_autofree char *why = g_strdup_printf("cannot load %s: %s", path, error->message);
    g_test_add_data_func_full("/authres/suite/load", g_steal_pointer(&why), bimi_test_missing_suite, g_free);
    int rc = g_test_run();
    g_object_unref(suite_parser);
    return rc;
  }

  JsonNode *root = json_parser_get_root(suite_parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root) ||
      !json_object_has_member(json_node_get_object(root), "cases")) {
    g_error("%s: no \"cases\" array", path);
  }
  suite_cases = json_object_get_array_member(json_node_get_object(root), "cases");
  g_test_add_data_func("/authres/suite/count", NULL, check_counts);
  for (guint i = 0; i < json_array_get_length(suite_cases); i++) {
    g_autofree char *name = g_strdup_printf("/authres/suite/%02u", i);
    g_test_add_data_func(name, GUINT_TO_POINTER(i), run_case);
  }
  int rc = g_test_run();
  g_object_unref(suite_parser);
  return rc;
}
