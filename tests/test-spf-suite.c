/* tests/test-spf-suite.c — runs the openspf SPF test suites against
 * bimi_spf_check() with an offline resolver built from each scenario's zone
 * data (RFC 7208 suite: every case must pass; RFC 4408 suite: every case
 * whose answer RFC 7208 did not change).
 *
 * Data: $BIMI_UPSTREAM_DIR/spf-openspf-rfc7208/{rfc7208,rfc4408}-tests.json,
 * the JSON twins of the YAML suites (every scalar a string), see FORMAT.md
 * there. Zone data → RFC 1035 master text:
 *  - TXT/SPF strings quoted with \" \\ and \DDD for bytes outside 0x20-0x7e;
 *    a list is one RR of several character-strings (longer strings split
 *    at 255 bytes, which RFC 7208 §3.3 joins back); a list of zero strings,
 *    which master format cannot express, becomes one empty string;
 *  - "SPF" items are served as TXT unless the owner has a TXT item
 *    ("TXT: NONE" included), and as type SPF too;
 *  - a bare "TIMEOUT" item makes the owner a fault name (the DNS layer turns
 *    its NXDOMAIN/NODATA answers into temperror "timeout");
 *  - MX [pref, ""] is the null MX ".".
 * json-glib cuts strings at NUL, so the JSON escape \u0000 (two records of
 * the suite end with a NUL byte) is rewritten to U+E000 before parsing and
 * turned back into \000 in the zone text.
 *
 * The explanation "DEFAULT" is the receiver's default explanation: the runner
 * sets BimiSpfOptions.default_explanation to "DEFAULT", as the pyspf harness.
 *
 * The counts are printed at the end as TAP comments and on stderr, which
 * prove passes through (it hides comments), so `make check` shows them.
 */
#include "engine/spf.h"
#include "tests/lib/data.h"
#include "engine/dns.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *suite; /* "rfc7208" / "rfc4408" */
  const char *test;
  const char *reason;
} ListedCase;

/* Cases we believe the suite gets wrong: they must keep failing (a listed
 * case that passes, or that the suite no longer has, fails the run, so the
 * list cannot rot), each with the RFC section that supports our answer.
 *
 * v-macro-ip6: the result (fail) matches; the explanation differs only in
 * the case of the hex nibbles of %{i}. RFC 7208 §7.3 defines the IPv6 "i"
 * as dot-separated nibbles without fixing their case, and the §7.4 example
 * writes them in lower case ("%{ir}.%{v}._spf.%{d2}" →
 * "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
 * we follow the example, the suite expects upper case
 * ("...E.B.A.B.E.F.A.C.ip6.arpa"). Explanations are compared exactly. */
static const ListedCase expected_failures[] = {
  { "rfc7208", "v-macro-ip6", "RFC 7208 7.3/7.4: lower-case nibbles of %{i}, as the 7.4 example" },
  { "rfc4408", "v-macro-ip6", "RFC 7208 7.3/7.4: lower-case nibbles of %{i}, as the 7.4 example" },
  { NULL, NULL, NULL },
};

/* RFC 4408 suite: cases whose answer RFC 7208 changed, skipped with the reason.
 * None is needed: the 15 tests whose answer changed (txtonly, spfonly,
 * spftimeout, txttimeout, nospftxttimeout, spfoverride, multitxt1, multispf2,
 * invalid-domain-*, exists-dnserr, cidr6-0-ip4, cidr6-ip4, mx-limit) list the
 * RFC 7208 answer among their accepted results, and the RFC 4408 suite has no
 * void-lookup tests. Keep this list for any future release of the suite. */
static const ListedCase rfc4408_changed[] = {
  { NULL, NULL, NULL },
};

typedef struct {
  char *suite;
  char *scenario;
  char *name;
  char *zone;            /* master text of the scenario */
  GPtrArray *faults;     /* of char*, shared by the scenario's cases (ref) */
  char *helo;
  char *host;
  char *mailfrom;
  GPtrArray *accepted;   /* of char* */
  char *explanation;     /* nullable */
  const char *expected_failure;
  const char *skip;
} SuiteCase;

typedef struct {
  guint passed;
  guint failed;        /* unexpected failures, and listed cases that passed */
  guint xfailed;       /* listed expected failures that failed as expected */
  guint skipped;
} Counts;

static Counts counts_7208, counts_4408;

static const char *
listed(const ListedCase *list, const char *suite, const char *test)
{
  for (const ListedCase *l = list; l->suite != NULL; l++) {
    if (strcmp(l->suite, suite) == 0 && strcmp(l->test, test) == 0)
      return l->reason;
  }
  return NULL;
}

/* ---- zone text ------------------------------------------------------------- */

/* Appends a domain name, escaping master-file specials (RFC 1035 §5.1) and
 * bytes outside printable ASCII as \DDD, plus a trailing dot. */
static void
append_name(GString *out, const char *name)
{
  gsize len = strlen(name);
  if (len == 0) {
    g_string_append_c(out, '.');
    return;
  }
  for (gsize i = 0; i < len; i++) {
    guint8 c = (guint8) name[i];
    if (c <= 0x20 || c >= 0x7f || strchr(";()\"\\@$", c) != NULL)
      g_string_append_printf(out, "\\%03u", c);
    else
      g_string_append_c(out, (char) c);
  }
  if (name[len - 1] != '.')
    g_string_append_c(out, '.');
}

/* Decodes U+E000 (our stand-in for NUL) back to a 0 byte. */
static GByteArray *
raw_bytes(const char *s)
{
  GByteArray *b = g_byte_array_new();
  for (const char *p = s; *p != '\0'; p++) {
    if ((guint8) p[0] == 0xee && (guint8) p[1] == 0x80 && (guint8) p[2] == 0x80) {
      guint8 z = 0;
      g_byte_array_append(b, &z, 1);
      p += 2;
    } else {
      g_byte_array_append(b, (const guint8 *) p, 1);
    }
  }
  return b;
}

static void
append_character_strings(GString *out, const char *s)
{
  g_autoptr(GByteArray) b = raw_bytes(s);
  gsize pos = 0;
  do {
    gsize n = MIN(b->len - pos, 255);
    g_string_append_c(out, '"');
    for (gsize i = 0; i < n; i++) {
      guint8 c = b->data[pos + i];
      if (c == '"' || c == '\\')
        g_string_append_printf(out, "\\%c", c);
      else if (c < 0x20 || c >= 0x7f)
        g_string_append_printf(out, "\\%03u", c);
      else
        g_string_append_c(out, (char) c);
    }
    g_string_append(out, "\" ");
    pos += n;
  } while (pos < b->len);
}

static void
append_text_rr(GString *zone, const char *owner, const char *type, JsonNode *value)
{
  append_name(zone, owner);
  g_string_append_printf(zone, " 300 IN %s ", type);
  if (JSON_NODE_HOLDS_ARRAY(value)) {
    JsonArray *a = json_node_get_array(value);
    if (json_array_get_length(a) == 0)
      g_string_append(zone, "\"\"");
    for (guint i = 0; i < json_array_get_length(a); i++)
      append_character_strings(zone, json_array_get_string_element(a, i));
  } else {
    append_character_strings(zone, json_node_get_string(value));
  }
  g_string_append_c(zone, '\n');
}

static void
build_zone(JsonObject *zonedata, GString *zone, GPtrArray *faults)
{
  g_autoptr(GList) owners = zonedata != NULL ? json_object_get_members(zonedata) : NULL;

  for (GList *l = owners; l != NULL; l = l->next) {
    const char *owner = l->data;
    JsonArray *items = json_object_get_array_member(zonedata, owner);
    gboolean has_txt = FALSE;

    for (guint i = 0; i < json_array_get_length(items); i++) {
      JsonNode *item = json_array_get_element(items, i);
      if (JSON_NODE_HOLDS_OBJECT(item) && json_object_has_member(json_node_get_object(item), "TXT"))
        has_txt = TRUE;
    }
    for (guint i = 0; i < json_array_get_length(items); i++) {
      JsonNode *item = json_array_get_element(items, i);
      JsonObject *rr;
      g_autoptr(GList) types = NULL;

      if (JSON_NODE_HOLDS_VALUE(item)) {
        g_assert_cmpstr(json_node_get_string(item), ==, "TIMEOUT");
        g_ptr_array_add(faults, g_strdup(owner));
        continue;
      }
      rr = json_node_get_object(item);
      types = json_object_get_members(rr);
      for (GList *t = types; t != NULL; t = t->next) {
        const char *type = t->data;
        JsonNode *value = json_object_get_member(rr, type);
        if (JSON_NODE_HOLDS_VALUE(value) && g_strcmp0(json_node_get_string(value), "NONE") == 0)
          continue; /* "no record of that type here" */
        if (strcmp(type, "TXT") == 0) {
          append_text_rr(zone, owner, "TXT", value);
        } else if (strcmp(type, "SPF") == 0) {
          append_text_rr(zone, owner, "SPF", value);
          if (!has_txt)
            append_text_rr(zone, owner, "TXT", value);
        } else if (strcmp(type, "MX") == 0) {
          JsonArray *mx = json_node_get_array(value);
          append_name(zone, owner);
          g_string_append_printf(zone, " 300 IN MX %s ", json_array_get_string_element(mx, 0));
          append_name(zone, json_array_get_string_element(mx, 1));
          g_string_append_c(zone, '\n');
        } else if (strcmp(type, "PTR") == 0 || strcmp(type, "CNAME") == 0) {
          append_name(zone, owner);
          g_string_append_printf(zone, " 300 IN %s ", type);
          append_name(zone, json_node_get_string(value));
          g_string_append_c(zone, '\n');
        } else if (strcmp(type, "A") == 0 || strcmp(type, "AAAA") == 0) {
          append_name(zone, owner);
          g_string_append_printf(zone, " 300 IN %s %s\n", type, json_node_get_string(value));
        } else {
          g_error("unexpected record type %s at %s", type, owner);
        }
      }
    }
  }
}

/* ---- JSON loading ---------------------------------------------------------- */

/* Rewrites the JSON escape \u0000 to \ue000 (json-glib strings end at NUL). */
static char *
protect_nul(const char *text, gsize len)
{
  GString *s = g_string_sized_new(len);
  for (gsize i = 0; i < len; i++) {
    if (text[i] == '\\' && i + 1 < len) {
      if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0) {
        g_string_append(s, "\\ue000");
        i += 5;
      } else {
        g_string_append_c(s, text[i]);
        g_string_append_c(s, text[i + 1]);
        i++;
      }
      continue;
    }
    g_string_append_c(s, text[i]);
  }
  return g_string_free(s, FALSE);
}

static char *
slugify(const char *text)
{
  GString *s = g_string_new(NULL);
  gboolean dash = FALSE;
  for (const char *p = text; *p != '\0'; p++) {
    if (g_ascii_isalnum(*p)) {
      if (dash && s->len > 0)
        g_string_append_c(s, '-');
      g_string_append_c(s, g_ascii_tolower(*p));
      dash = FALSE;
    } else {
      dash = TRUE;
    }
  }
  return g_string_free(s, FALSE);
}

static void
case_free(gpointer data)
{
  SuiteCase *c = data;
  g_free(c->suite);
  g_free(c->scenario);
  g_free(c->name);
  g_free(c->zone);
  g_ptr_array_unref(c->faults);
  g_free(c->helo);
  g_free(c->host);
  g_free(c->mailfrom);
  g_ptr_array_unref(c->accepted);
  g_free(c->explanation);
  g_free(c);
}

static Counts *
counts_for(const char *suite)
{
  return strcmp(suite, "rfc7208") == 0 ? &counts_7208 : &counts_4408;
}

static void
run_case(gconstpointer data)
{
  const SuiteCase *c = data;
  Counts *counts = counts_for(c->suite);
  BimiDnsConfig config = { 0 };
  g_autoptr(BimiDnsResolver) resolver = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) ip = NULL;
  g_autoptr(BimiSpfResult) r = NULL;
  BimiSpfOptions options = { 0 };
  const char *got;
  gboolean result_ok = FALSE, explanation_ok = TRUE;

  if (c->skip != NULL) {
    counts->skipped++;
    g_test_skip(c->skip);
    return;
  }
  config.offline = TRUE;
  resolver = bimi_dns_resolver_new(&config, &error);
  g_assert_no_error(error);
  g_assert_nonnull(resolver);
  if (!bimi_dns_resolver_add_zone_data(resolver, c->zone, strlen(c->zone), c->scenario, ".", &error)) {
    g_test_message("zone data:\n%s", c->zone);
    g_assert_no_error(error);
  }
  for (guint i = 0; i < c->faults->len; i++) {
    gboolean ok = bimi_dns_resolver_add_fault_name(resolver, g_ptr_array_index(c->faults, i), &error);
    g_assert_no_error(error);
    g_assert_true(ok);
  }
  ip = g_inet_address_new_from_string(c->host);
  g_assert_nonnull(ip);
  options.default_explanation = "DEFAULT";
  options.now = 1700000000;
  r = bimi_spf_check(resolver, ip, c->helo, c->mailfrom, &options, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);

  got = bimi_spf_result_to_string(r->result);
  {
    g_autofree char *shown = g_strescape(r->explanation != NULL ? r->explanation : "-", NULL);
    g_test_message("got %s; mechanism %s; problem %s; explanation %s; %u terms, %u void",
                   got, r->mechanism != NULL ? r->mechanism : "-", r->problem != NULL ? r->problem : "-",
                   shown, r->dns_lookups, r->void_lookups);
  }
  for (guint i = 0; i < c->accepted->len; i++)
    result_ok |= strcmp(got, g_ptr_array_index(c->accepted, i)) == 0;
  if (c->explanation != NULL) {
    if (r->explanation == NULL)
      explanation_ok = FALSE;
    else
      explanation_ok = strcmp(r->explanation, c->explanation) == 0;
  }
  if (result_ok && explanation_ok) {
    if (c->expected_failure != NULL) {
      counts->failed++;
      g_test_fail_printf("%s: listed as an expected failure (%s) but passes: remove it from the list", c->name,
                         c->expected_failure);
      return;
    }
    counts->passed++;
    return;
  }
  if (c->expected_failure != NULL)
    counts->xfailed++;
  else
    counts->failed++;
  {
    g_autofree char *accepted = NULL;
    g_ptr_array_add(c->accepted, NULL);
    accepted = g_strjoinv("|", (char **) c->accepted->pdata);
    g_ptr_array_remove_index(c->accepted, c->accepted->len - 1);
    if (c->expected_failure != NULL) {
      g_autofree char *shown = g_strescape(r->explanation != NULL ? r->explanation : "(none)", NULL);
      g_test_incomplete_printf("expected failure (%s): got %s, explanation '%s'", c->expected_failure, got, shown);
      return;
    }
    g_test_message("zone:\n%s", c->zone);
    g_test_fail_printf("%s/%s: got %s (problem: %s, mechanism: %s), expected %s; explanation '%s', expected '%s'",
                       c->scenario, c->name, got, r->problem ? r->problem : "-",
                       r->mechanism ? r->mechanism : "-", accepted,
                       r->explanation ? r->explanation : "(none)",
                       c->explanation ? c->explanation : "(not checked)");
  }
}

/* Every listed expected failure names a case of a loaded suite: a case the
 * suite renamed or dropped must leave the list too. */
static void
test_listed_cases_exist(gconstpointer data)
{
  const GPtrArray *cases = data;
  for (const ListedCase *l = expected_failures; l->suite != NULL; l++) {
    gboolean found = FALSE, suite_loaded = FALSE;
    for (guint i = 0; i < cases->len && !found; i++) {
      const SuiteCase *c = g_ptr_array_index(cases, i);
      suite_loaded |= strcmp(c->suite, l->suite) == 0;
      found = strcmp(c->suite, l->suite) == 0 && strcmp(c->name, l->test) == 0;
    }
    if (!found && (suite_loaded || strcmp(l->suite, "rfc7208") == 0))
      g_test_fail_printf("expected failure %s/%s is not in the suite: remove it from the list", l->suite, l->test);
  }
}

static void
load_suite(const char *suite, const char *path, GPtrArray *keep)
{
  g_autofree char *text = NULL;
  g_autofree char *fixed = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonArray *scenarios;

  if (!g_file_get_contents(path, &text, &len, &error))
    g_error("%s: %s (set BIMI_UPSTREAM_DIR)", path, error->message);
  fixed = protect_nul(text, len);
  if (!json_parser_load_from_data(parser, fixed, -1, &error))
    g_error("%s: %s", path, error->message);
  scenarios = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "scenarios");
  for (guint s = 0; s < json_array_get_length(scenarios); s++) {
    JsonObject *sc = json_array_get_object_element(scenarios, s);
    JsonObject *tests = json_object_get_object_member(sc, "tests");
    JsonObject *zonedata = json_object_has_member(sc, "zonedata") &&
                                   JSON_NODE_HOLDS_OBJECT(json_object_get_member(sc, "zonedata"))
                               ? json_object_get_object_member(sc, "zonedata")
                               : NULL;
    g_autofree char *slug = slugify(json_object_get_string_member(sc, "description"));
    g_autoptr(GString) zone = g_string_new(NULL);
    g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GList) names = json_object_get_members(tests);

    build_zone(zonedata, zone, faults);
    for (GList *l = names; l != NULL; l = l->next) {
      const char *name = l->data;
      JsonObject *t = json_object_get_object_member(tests, name);
      JsonNode *result = json_object_get_member(t, "result");
      SuiteCase *c = g_new0(SuiteCase, 1);
      g_autofree char *path_name = NULL;

      c->suite = g_strdup(suite);
      c->scenario = g_strdup(slug);
      c->name = g_strdup(name);
      c->zone = g_strdup(zone->str);
      c->faults = g_ptr_array_ref(faults);
      c->helo = g_strdup(json_object_get_string_member(t, "helo"));
      c->host = g_strdup(json_object_get_string_member(t, "host"));
      c->mailfrom = g_strdup(json_object_get_string_member(t, "mailfrom"));
      c->accepted = g_ptr_array_new_with_free_func(g_free);
      if (JSON_NODE_HOLDS_ARRAY(result)) {
        JsonArray *a = json_node_get_array(result);
        for (guint i = 0; i < json_array_get_length(a); i++)
          g_ptr_array_add(c->accepted, g_strdup(json_array_get_string_element(a, i)));
      } else {
        g_ptr_array_add(c->accepted, g_strdup(json_node_get_string(result)));
      }
      if (json_object_has_member(t, "explanation"))
        c->explanation = g_strdup(json_object_get_string_member(t, "explanation"));
      c->expected_failure = listed(expected_failures, suite, name);
      if (strcmp(suite, "rfc4408") == 0)
        c->skip = listed(rfc4408_changed, suite, name);
      g_ptr_array_add(keep, c);
      path_name = g_strdup_printf("/spf/%s/%s/%s", suite, slug, name);
      g_test_add_data_func(path_name, c, run_case);
    }
  }
}

int
main(int argc, char **argv)
{
  const char *upstream = bimi_test_upstream_dir();
  g_autofree char *dir = NULL;
  g_autofree char *p7208 = NULL;
  g_autofree char *p4408 = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(case_free);
  int status;

  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  dir = g_build_filename(upstream != NULL ? upstream : "../shared/upstream", "spf-openspf-rfc7208", NULL);
  p7208 = g_build_filename(dir, "rfc7208-tests.json", NULL);
  p4408 = g_build_filename(dir, "rfc4408-tests.json", NULL);
  load_suite("rfc7208", p7208, keep);
  if (g_file_test(p4408, G_FILE_TEST_EXISTS))
    load_suite("rfc4408", p4408, keep);
  g_test_add_data_func("/spf/expected-failures/listed-cases-exist", keep, test_listed_cases_exist);
  status = g_test_run();
  /* On stdout as TAP comments, and on stderr too: prove hides the comments
   * but passes stderr through, so `make check` shows the counts. */
  for (int fd = 0; fd < 2; fd++) {
    FILE *out = fd == 0 ? stdout : stderr;
    fprintf(out, "%sspf-rfc7208: %u passed, %u failed, %u expected failures\n", fd == 0 ? "# " : "",
            counts_7208.passed, counts_7208.failed, counts_7208.xfailed);
    fprintf(out, "%sspf-rfc4408: %u passed, %u failed, %u expected failures, %u skipped (answers changed by RFC 7208)\n",
            fd == 0 ? "# " : "", counts_4408.passed, counts_4408.failed, counts_4408.xfailed, counts_4408.skipped);
    fflush(out);
  }
  return status;
}
