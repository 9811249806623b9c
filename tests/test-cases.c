/* tests/test-cases.c — the message cases of tests/cases/<area>/<case>/ as
 * data (format: tests/cases/README.md), each run twice against the same
 * offline world (tests/lib/origin.h: the evaluate zone, a real nginx TLS
 * origin serving the test PKI, evaluated at 2026-06-01T00:00:00Z):
 *
 *   /cases/<area>/<case>/library  bimi_evaluator_evaluate() on message.eml
 *   /cases/<area>/<case>/cli      `bimi evaluate message.eml --config F --json`
 *                                 with the same configuration, and its exit code
 *
 * Both answers are checked against the one expect.json; every mismatch is
 * reported as "tests/cases/<area>/<case>: <run>: <field>: got X, want Y".
 * Every case also gets the invariants of every decision: the JSON agrees with
 * the typed BimiDecision, the indicator and mark members are there, the
 * Authentication-Results value parses with our authserv-id and its bimi=
 * result is the JSON's auth.bimi.result.
 *
 * Usage: test-cases [GTest options] — runs from the repository root;
 * BIMI_CASES_DIR overrides tests/cases.
 */
#include "evaluate/evaluate.h"
#include "engine/authres.h"
#include "tests/lib/cli.h"
#include "tests/lib/origin.h"
#include "tests/lib/net.h"

#include <string.h>
#include <json-glib/json-glib.h>

typedef struct {
  char *dir;  /* tests/cases/<area>/<case> */
  char *name; /* <area>/<case> */
} Case;

static BimiTestOrigin *origin;
static const char *cases_dir = "tests/cases";

/* ---- reading a case ------------------------------------------------------ */

static JsonNode *
read_json(const char *dir, const char *file, gboolean required)
{
  g_autofree char *path = g_build_filename(dir, file, NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    if (required)
      g_error("%s: missing", path);
    return NULL;
  }
  if (!json_parser_load_from_file(parser, path, &error))
    g_error("%s: %s", path, error->message);
  if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
    g_error("%s: not a JSON object", path);
  return json_node_copy(json_parser_get_root(parser));
}

static char *
read_optional_text(const char *dir, const char *file)
{
  g_autofree char *path = g_build_filename(dir, file, NULL);
  char *text = NULL;

  if (!g_file_get_contents(path, &text, NULL, NULL))
    return NULL;
  return text;
}

static const char *
string_member(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
           ? json_node_get_string(n)
           : NULL;
}

/* The evaluator configuration of @c: the origin's, plus the case's zone file
 * and config.ini lines. */
static char *
case_config(const Case *c)
{
  g_autofree char *zone = g_build_filename(c->dir, "zone", NULL);
  g_autofree char *extra = read_optional_text(c->dir, "config.ini");
  const char *zones[] = { zone, NULL };

  if (extra != NULL && strstr(extra, "@CASE_DIR@") != NULL) {
    /* a file of the case ([caution] brands_file): the configuration is written elsewhere */
    g_autofree char *abs = g_canonicalize_filename(c->dir, NULL);
    g_auto(GStrv) parts = g_strsplit(extra, "@CASE_DIR@", -1);
    g_free(extra);
    extra = g_strjoinv(abs, parts);
  }
  return bimi_test_origin_config(origin, g_file_test(zone, G_FILE_TEST_EXISTS) ? zones : NULL, extra);
}

/* ---- comparing ------------------------------------------------------------- */

typedef struct {
  const Case *c;
  const char *run; /* "library" or "cli" */
  guint failures;
} Report;

G_GNUC_PRINTF(3, 4)
static void
mismatch(Report *r, const char *field, const char *fmt, ...)
{
  g_autofree char *what = NULL;
  va_list ap;

  va_start(ap, fmt);
  what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_test_message("%s/%s: %s: %s: %s", cases_dir, r->c->name, r->run, field, what);
  r->failures++;
}

static char *
node_text(JsonNode *n)
{
  return n != NULL ? json_to_string(n, FALSE) : g_strdup("(absent)");
}

/* RFC 6901 JSON Pointer into @root: NULL when a step is missing. */
static JsonNode *
pointer(JsonNode *root, const char *ptr)
{
  g_auto(GStrv) steps = NULL;
  JsonNode *n = root;

  if (*ptr == '\0')
    return root;
  if (*ptr != '/')
    return NULL;
  steps = g_strsplit(ptr + 1, "/", -1);
  for (guint i = 0; steps[i] != NULL && n != NULL; i++) {
    g_autoptr(GString) step = g_string_new(steps[i]);
    g_string_replace(step, "~1", "/", 0);
    g_string_replace(step, "~0", "~", 0);
    if (JSON_NODE_HOLDS_OBJECT(n)) {
      n = json_object_get_member(json_node_get_object(n), step->str);
    } else if (JSON_NODE_HOLDS_ARRAY(n)) {
      guint64 index;
      JsonArray *a = json_node_get_array(n);
      if (!g_ascii_string_to_unsigned(step->str, 10, 0, G_MAXUINT, &index, NULL) || index >= json_array_get_length(a))
        return NULL;
      n = json_array_get_element(a, (guint) index);
    } else {
      return NULL;
    }
  }
  return n;
}

/* want null matches a JSON null or an absent member. */
static void
expect_equal(Report *r, const char *field, JsonNode *got, JsonNode *want)
{
  gboolean same;

  if (JSON_NODE_HOLDS_NULL(want))
    same = got == NULL || JSON_NODE_HOLDS_NULL(got);
  else
    same = got != NULL && json_node_equal(got, want);
  if (!same) {
    g_autofree char *g = node_text(got), *w = node_text(want);
    mismatch(r, field, "got %s, want %s", g, w);
  }
}

static void
expect_string(Report *r, const char *field, const char *got, const char *want)
{
  if (g_strcmp0(got, want) != 0)
    mismatch(r, field, "got %s%s%s, want %s%s%s", got ? "\"" : "", got ? got : "(none)", got ? "\"" : "",
             want ? "\"" : "", want ? want : "(none)", want ? "\"" : "");
}

/* "method" → its result; "method ptype.property" → that property. */
static const char *
authres_lookup(const BimiAuthres *ar, const char *key)
{
  g_auto(GStrv) parts = g_strsplit(key, " ", 2);
  const BimiAuthresResult *res = ar ? bimi_authres_find_result(ar, parts[0]) : NULL;
  const char *dot;

  if (res == NULL)
    return NULL;
  if (parts[1] == NULL)
    return res->result;
  dot = strchr(parts[1], '.');
  if (dot == NULL)
    return NULL;
  {
    g_autofree char *ptype = g_strndup(parts[1], (gsize) (dot - parts[1]));
    return bimi_authres_result_get_property(res, ptype, dot + 1);
  }
}

static gboolean
is_sha256_hex(const char *s)
{
  if (s == NULL || strlen(s) != 64)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
      return FALSE;
  return TRUE;
}

/* Everything expect.json says, and the invariants, against one decision JSON. */
static void
check_json(Report *r, JsonNode *got, JsonObject *expect)
{
  JsonObject *o = json_node_get_object(got);
  const char *decision = string_member(expect, "decision");
  const char *ar_text = string_member(o, "authentication_results");
  g_autoptr(BimiAuthres) ar = NULL;

  expect_string(r, "decision", string_member(o, "decision"), decision);
  expect_string(r, "reason", string_member(o, "reason"), string_member(expect, "reason"));
  if (!json_object_has_member(o, "indicator") || !json_object_has_member(o, "mark"))
    mismatch(r, "indicator/mark", "members missing");
  if (g_strcmp0(decision, "none") == 0) {
    if (!json_object_get_null_member(o, "indicator"))
      mismatch(r, "/indicator", "not null for decision none");
  } else if (!is_sha256_hex(string_member(json_object_get_object_member(o, "indicator"), "sha256"))) {
    mismatch(r, "/indicator/sha256", "not a lowercase SHA-256");
  }
  if (json_object_has_member(expect, "ttl")) {
    JsonObject *t = json_object_get_object_member(expect, "ttl");
    gint64 ttl = json_object_get_int_member_with_default(o, "ttl", -1);
    if (json_object_has_member(t, "min") && ttl < json_object_get_int_member(t, "min"))
      mismatch(r, "ttl", "got %" G_GINT64_FORMAT ", want at least %" G_GINT64_FORMAT, ttl,
               json_object_get_int_member(t, "min"));
    if (json_object_has_member(t, "max") && ttl > json_object_get_int_member(t, "max"))
      mismatch(r, "ttl", "got %" G_GINT64_FORMAT ", want at most %" G_GINT64_FORMAT, ttl,
               json_object_get_int_member(t, "max"));
  }
  if (json_object_has_member(expect, "json")) {
    JsonObject *want = json_object_get_object_member(expect, "json");
    g_autoptr(GList) keys = json_object_get_members(want);
    for (GList *k = keys; k != NULL; k = k->next)
      expect_equal(r, k->data, pointer(got, k->data), json_object_get_member(want, k->data));
  }
  if (json_object_has_member(expect, "json_contains")) {
    JsonObject *want = json_object_get_object_member(expect, "json_contains");
    g_autoptr(GList) keys = json_object_get_members(want);
    for (GList *k = keys; k != NULL; k = k->next) {
      JsonNode *n = pointer(got, k->data);
      const char *needle = json_object_get_string_member(want, k->data);
      const char *hay = n != NULL && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_string(n) : NULL;
      if (hay == NULL || strstr(hay, needle) == NULL)
        mismatch(r, k->data, "got %s, want a string containing \"%s\"", hay ? hay : "(none)", needle);
    }
  }
  /* the Authentication-Results value */
  if (ar_text == NULL) {
    mismatch(r, "authentication_results", "missing");
    return;
  }
  {
    g_autoptr(GError) error = NULL;
    ar = bimi_authres_parse(ar_text, strlen(ar_text), &error);
    if (ar == NULL) {
      mismatch(r, "authentication_results", "does not parse: %s", error->message);
      return;
    }
  }
  expect_string(r, "authentication_results authserv-id", ar->authserv_id, BIMI_TEST_ORIGIN_AUTHSERV_ID);
  {
    JsonNode *bimi = pointer(got, "/auth/bimi/result");
    expect_string(r, "authentication_results bimi= (against /auth/bimi/result)", authres_lookup(ar, "bimi"),
                  bimi && JSON_NODE_HOLDS_VALUE(bimi) ? json_node_get_string(bimi) : NULL);
  }
  if (json_object_has_member(expect, "authres")) {
    JsonObject *want = json_object_get_object_member(expect, "authres");
    g_autoptr(GList) keys = json_object_get_members(want);
    for (GList *k = keys; k != NULL; k = k->next) {
      g_autofree char *field = g_strdup_printf("authres %s", (const char *) k->data);
      JsonNode *w = json_object_get_member(want, k->data);
      expect_string(r, field, authres_lookup(ar, k->data), JSON_NODE_HOLDS_NULL(w) ? NULL : json_node_get_string(w));
    }
  }
  if (json_object_has_member(expect, "authres_contains")) {
    JsonArray *want = json_object_get_array_member(expect, "authres_contains");
    for (guint i = 0; i < json_array_get_length(want); i++) {
      const char *needle = json_array_get_string_element(want, i);
      if (strstr(ar_text, needle) == NULL)
        mismatch(r, "authres_contains", "\"%s\" lacks \"%s\"", ar_text, needle);
    }
  }
}

static void
finish(Report *r)
{
  if (r->failures > 0)
    g_test_fail_printf("%s/%s: %s: %u field(s) differ from expect.json (see the messages above)", cases_dir,
                       r->c->name, r->run, r->failures);
}

/* ---- the two runs ------------------------------------------------------------ */

/* What a run reads of its case folder. */
typedef struct {
  JsonNode *expect;   /* expect.json */
  JsonNode *envelope; /* envelope.json, or NULL */
  JsonObject *eo;     /* its object, or NULL */
  char *config;       /* the evaluator configuration (case_config()) */
} Loaded;

static void
load(const Case *c, Loaded *l)
{
  l->expect = read_json(c->dir, "expect.json", TRUE);
  l->envelope = read_json(c->dir, "envelope.json", FALSE);
  l->eo = l->envelope ? json_node_get_object(l->envelope) : NULL;
  l->config = case_config(c);
}

static void
loaded_clear(Loaded *l)
{
  g_clear_pointer(&l->expect, json_node_unref);
  g_clear_pointer(&l->envelope, json_node_unref);
  g_clear_pointer(&l->config, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Loaded, loaded_clear)

static void
run_library(gconstpointer data)
{
  const Case *c = data;
  Report r = { c, "library", 0 };
  g_auto(Loaded) l = { 0 };
  JsonObject *want, *eo;
  g_autofree char *path = g_build_filename(c->dir, "message.eml", NULL);
  g_autofree char *data_text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = NULL;
  g_autoptr(BimiEvaluator) ev = NULL;
  g_autoptr(BimiDecision) d = NULL;
  g_autoptr(GBytes) raw = NULL;
  BimiEnvelope env;
  gsize len;

  load(c, &l);
  want = json_node_get_object(l.expect);
  eo = l.eo;
  env = (BimiEnvelope){ string_member(eo, "ip"), string_member(eo, "helo"), string_member(eo, "mail_from") };
  config = bimi_config_new_from_data(l.config, strlen(l.config), "test", &error);
  g_assert_no_error(error);
  ev = bimi_evaluator_new(config, "host.unused.test", &error);
  g_assert_no_error(error);
  g_assert_true(g_file_get_contents(path, &data_text, &len, NULL));
  raw = g_bytes_new_take(g_steal_pointer(&data_text), len);
  d = bimi_evaluator_evaluate(ev, raw, eo ? &env : NULL, BIMI_TEST_ORIGIN_NOW, &error);
  if (d == NULL) {
    mismatch(&r, "evaluate", "error %s", error->message);
    finish(&r);
    return;
  }
  /* the typed decision agrees with its JSON */
  {
    JsonObject *o = json_node_get_object(bimi_decision_get_json(d));
    JsonObject *ind = json_object_get_null_member(o, "indicator") ? NULL : json_object_get_object_member(o, "indicator");
    expect_string(&r, "BimiDecision.kind", bimi_decision_kind_to_string(d->kind), string_member(want, "decision"));
    expect_string(&r, "BimiDecision.reason", d->reason, string_member(want, "reason"));
    expect_string(&r, "BimiDecision.logo_sha256 (against /indicator/sha256)", d->logo_sha256,
                  string_member(ind, "sha256"));
    expect_string(&r, "BimiDecision.authentication_results", d->authentication_results,
                  string_member(o, "authentication_results"));
    if (json_object_get_int_member_with_default(o, "ttl", -1) != (gint64) d->ttl)
      mismatch(&r, "BimiDecision.ttl", "got %u, JSON says %" G_GINT64_FORMAT, d->ttl,
               json_object_get_int_member_with_default(o, "ttl", -1));
    if (json_object_has_member(want, "temperror") &&
        !d->temperror != !json_object_get_boolean_member(want, "temperror"))
      mismatch(&r, "temperror", "got %s", d->temperror ? "true" : "false");
  }
  check_json(&r, bimi_decision_get_json(d), want);
  finish(&r);
}

/* The CLI's exit code for @expect: "exit" when given, else 0 for a logo, 3 for
 * a temperror, 1 for none (docs/api.md, the CLI). */
static int
expected_exit(JsonObject *expect)
{
  if (json_object_has_member(expect, "exit"))
    return (int) json_object_get_int_member(expect, "exit");
  if (g_strcmp0(string_member(expect, "decision"), "none") != 0)
    return 0;
  return json_object_get_boolean_member_with_default(expect, "temperror", FALSE) ? 3 : 1;
}

static void
run_cli(gconstpointer data)
{
  const Case *c = data;
  Report r = { c, "cli", 0 };
  g_auto(Loaded) l = { 0 };
  g_autofree char *config_path = NULL;
  g_autofree char *message = g_build_filename(c->dir, "message.eml", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *args[4 + 2 * 3 + 1];
  guint n = 0;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  static const char *const envelope_options[][2] = { { "ip", "--ip" }, { "helo", "--helo" },
                                                     { "mail_from", "--mail-from" } };
  int status, want_exit;

  load(c, &l);
  want_exit = expected_exit(json_node_get_object(l.expect));
  config_path = g_strdup_printf("%s/case-%u.conf", origin->tmp, origin->n_cache_dirs);
  g_assert_true(g_file_set_contents(config_path, l.config, -1, NULL));
  args[n++] = message;
  args[n++] = "--config";
  args[n++] = config_path;
  args[n++] = "--json";
  for (gsize i = 0; i < G_N_ELEMENTS(envelope_options); i++)
    if (string_member(l.eo, envelope_options[i][0]) != NULL) {
      args[n++] = envelope_options[i][1];
      args[n++] = string_member(l.eo, envelope_options[i][0]);
    }
  args[n] = NULL;
  status = bimi_test_cli_run("evaluate", args, &out, &err);
  if (status != want_exit)
    mismatch(&r, "exit", "got %d, want %d (stderr: %s)", status, want_exit, err);
  if (!json_parser_load_from_data(parser, out, -1, &error) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
    mismatch(&r, "stdout", "not a JSON object: %s (stderr: %s)", out, err);
  else
    check_json(&r, json_parser_get_root(parser), json_node_get_object(l.expect));
  finish(&r);
}

/* ---- the tree -------------------------------------------------------------- */

static gint
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static char **
sorted_subdirs(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  const char *name;

  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
      g_ptr_array_add(names, g_strdup(name));
  }
  g_ptr_array_sort(names, compare_names);
  g_ptr_array_add(names, NULL);
  return (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
}


int
main(int argc, char **argv)
{
  g_auto(GStrv) areas = NULL;
  g_autoptr(GPtrArray) cases = g_ptr_array_new();
  int rc;

  g_test_init(&argc, &argv, NULL);
  if (g_getenv("BIMI_CASES_DIR") != NULL)
    cases_dir = g_getenv("BIMI_CASES_DIR");
  if (!bimi_test_require_program(BIMI_TEST_NGINX, "/cases/skipped"))
    return g_test_run();
  areas = sorted_subdirs(cases_dir);
  for (guint a = 0; areas[a] != NULL; a++) {
    g_autofree char *area_dir = g_build_filename(cases_dir, areas[a], NULL);
    g_auto(GStrv) names = sorted_subdirs(area_dir);
    for (guint i = 0; names[i] != NULL; i++) {
      Case *c = g_new0(Case, 1);
      c->dir = g_build_filename(area_dir, names[i], NULL);
      c->name = g_strdup_printf("%s/%s", areas[a], names[i]);
      g_ptr_array_add(cases, c);
    }
  }
  g_assert_cmpuint(cases->len, >, 0);
  for (guint i = 0; i < cases->len; i++) {
    const Case *c = g_ptr_array_index(cases, i);
    g_autofree char *lib = g_strdup_printf("/cases/%s/library", c->name);
    g_autofree char *cli = g_strdup_printf("/cases/%s/cli", c->name);
    g_test_add_data_func(lib, c, run_library);
    g_test_add_data_func(cli, c, run_cli);
  }
  origin = bimi_test_origin_start();
  rc = g_test_run();
  bimi_test_origin_stop(origin);
  for (guint i = 0; i < cases->len; i++) {
    Case *c = g_ptr_array_index(cases, i);
    g_free(c->dir);
    g_free(c->name);
    g_free(c);
  }
  return rc;
}
