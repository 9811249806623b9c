/* tests/test-arc-suite.c — engine/arc against the public ARC data:
 *
 *   arc-valimail/arc-draft-validation-tests.json   171 cases: the chain
 *     validation status equals cv (empty cv = fail, FORMAT.md). Each
 *     scenario's txt-records become zone text for engine/dns (offline); the
 *     folded p= keeps its spaces, which the key parser strips (RFC 6376
 *     §3.6.1 allows FWS in base64). Expected failures: one,
 *     ams_fields_c_na (see expected_failures[] below for why).
 *   stalwart-mail-auth/arc/001-002.txt   real Gmail-sealed (RSA) and
 *     Stalwart-sealed (Ed25519) messages: ARC pass.
 *
 * Sealing (arc-draft-sign-tests) is not run: engine/arc only validates.
 */
#include "engine/arc.h"
#include "engine/dns.h"
#include "tests/lib/data.h"
#include "tests/lib/files.h"
#include "tests/lib/zone-text.h"

#include <string.h>
#include <json-glib/json-glib.h>

static JsonArray *scenarios;
static guint n_passed, n_failed, n_total;

/* One TXT record as zone text: split into character-strings of at most 200
 * bytes (RFC 1035 limits each to 255), '"' and '\' escaped. */
static void
append_txt(GString *zone, const char *name, const char *value)
{
  gsize len = strlen(value);
  g_string_append_printf(zone, "%s. IN TXT", name);
  for (gsize off = 0; off < len || off == 0; off += 200) {
    bimi_test_zone_append_string(zone, value + off, MIN(len - off, 200));
    if (len == 0)
      break;
  }
  g_string_append_c(zone, '\n');
}

static BimiDnsResolver *
resolver_from_zone(const char *zone, gsize len)
{
  return bimi_test_resolver_zone_text(zone, len, "arc.zone");
}

/* Cases we believe the suite gets wrong. Each must really fail (so the list
 * cannot rot) and is reported in the summary. */
static const struct {
  const char *name;
  const char *why;
} expected_failures[] = {
  { "ams_fields_c_na", "no c= means simple/simple (RFC 6376 §3.5, inherited by RFC 8617 §4.1.2); "
                       "the suite signed relaxed/relaxed, the default of an ARC draft" },
};
static guint n_expected_failures;

static const char *
expected_failure(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(expected_failures); i++)
    if (strcmp(expected_failures[i].name, name) == 0)
      return expected_failures[i].why;
  return NULL;
}

static BimiArcChain *
validate(const char *text, gsize len, BimiDnsResolver *r, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new(text, len);
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  if (msg == NULL) {
    /* cv_empty: an empty message has no ARC field. */
    g_test_message("message does not parse: %s", error->message);
    BimiArcChain *none = g_new0(BimiArcChain, 1);
    none->sets = g_ptr_array_new();
    none->reason = g_strdup("message does not parse");
    return none;
  }
  BimiArcOptions opts = { .now = now, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = r };
  BimiArcChain *chain = bimi_arc_validate(msg, &opts, &error);
  g_assert_no_error(error);
  return chain;
}

static void
run_scenario(gconstpointer data)
{
  guint index = GPOINTER_TO_UINT(data);
  JsonObject *sc = json_array_get_object_element(scenarios, index);
  JsonObject *txt = json_object_get_object_member(sc, "txt-records");
  JsonObject *tests = json_object_get_object_member(sc, "tests");
  g_autoptr(GString) zone = g_string_new("$TTL 300\n");
  g_autoptr(GList) names = json_object_get_members(txt);
  for (GList *l = names; l != NULL; l = l->next)
    append_txt(zone, l->data, json_object_get_string_member(txt, l->data));
  g_autoptr(BimiDnsResolver) r = resolver_from_zone(zone->str, zone->len);

  g_autoptr(GList) cases = json_object_get_members(tests);
  guint failed = 0;
  for (GList *l = cases; l != NULL; l = l->next) {
    JsonObject *t = json_object_get_object_member(tests, l->data);
    const char *message = json_object_get_string_member(t, "message");
    const char *cv = json_object_get_string_member(t, "cv");
    const char *expect = cv[0] == '\0' ? "fail" : cv;
    g_autoptr(BimiArcChain) chain = validate(message, strlen(message), r, 1500000000);
    const char *got = bimi_arc_result_to_string(chain->result);
    n_total++;
    /* RFC 8617 §5.2 step 5 on the suite's multi-set chains: the AMS of i=1
     * broken by a From edit leaves oldest-pass at 2; intact chains give 0. */
    gint want_oldest = -1;
    if (strcmp(l->data, "cv_pass_i2_1_ams1_invalid") == 0)
      want_oldest = 2;
    else if (g_str_has_prefix(l->data, "cv_pass_i"))
      want_oldest = 0;
    if (want_oldest >= 0 && chain->result == BIMI_ARC_RESULT_PASS && chain->oldest_pass != (guint) want_oldest) {
      n_failed++;
      failed++;
      g_test_message("FAILED %s: oldest_pass %u, expected %d", (const char *) l->data, chain->oldest_pass,
                     want_oldest);
    } else if (expected_failure(l->data) != NULL) {
      if (g_ascii_strcasecmp(got, expect) == 0) {
        n_failed++;
        failed++;
        g_test_message("FAILED %s: listed as an expected failure but passes", (const char *) l->data);
      } else {
        n_expected_failures++;
        g_test_message("expected failure %s: %s", (const char *) l->data, expected_failure(l->data));
      }
    } else if (g_ascii_strcasecmp(got, expect) == 0) {
      n_passed++;
    } else {
      n_failed++;
      failed++;
      g_test_message("FAILED %s: expected %s, got %s (%s)", (const char *) l->data, expect, got, chain->reason);
    }
  }
  if (failed > 0)
    g_test_fail();
}

static void
test_summary(void)
{
  g_test_message("arc-valimail: %u passed, %u failed, %u expected failures of %u", n_passed, n_failed,
                 n_expected_failures, n_total);
  g_printerr("arc-valimail: %u passed, %u failed, %u expected failures of %u (see tests/test-arc-suite.c)\n",
             n_passed, n_failed, n_expected_failures, n_total);
  g_assert_cmpuint(n_total, ==, 171);
  g_assert_cmpuint(n_expected_failures, ==, G_N_ELEMENTS(expected_failures));
  g_assert_cmpuint(n_passed, ==, 171 - G_N_ELEMENTS(expected_failures));
}

/* Stalwart: "name value" DNS lines, a blank line, the message. */
static void
test_stalwart(void)
{
  for (guint n = 1; n <= 2; n++) {
    g_autofree char *rel = g_strdup_printf("stalwart-mail-auth/arc/%03u.txt", n);
    g_autofree char *path = bimi_test_upstream_path(rel);
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_get_contents(path, &contents, &len, &error));
    g_autoptr(GString) zone = g_string_new("$TTL 300\n");
    gsize pos = 0;
    while (pos < len) {
      const char *nl = memchr(contents + pos, '\n', len - pos);
      gsize le = nl ? (gsize) (nl - contents) : len;
      gsize next = nl ? le + 1 : len;
      gsize ce = le > pos && contents[le - 1] == '\r' ? le - 1 : le;
      if (ce == pos) {
        pos = next;
        break;
      }
      const char *sp = memchr(contents + pos, ' ', ce - pos);
      g_assert_nonnull(sp);
      g_autofree char *name = g_strndup(contents + pos, (gsize) (sp - (contents + pos)));
      g_autofree char *value = g_strndup(sp + 1, ce - (gsize) (sp + 1 - contents));
      append_txt(zone, name, value);
      pos = next;
    }
    g_autoptr(BimiDnsResolver) r = resolver_from_zone(zone->str, zone->len);
    g_autoptr(BimiArcChain) chain = validate(contents + pos, len - pos, r, 1667843664);
    g_test_message("%s: %s (%s) instances=%u oldest_pass=%u", rel, bimi_arc_result_to_string(chain->result),
                   chain->reason, chain->instances, chain->oldest_pass);
    g_assert_cmpstr(bimi_arc_result_to_string(chain->result), ==, "pass");
    g_assert_cmpuint(chain->instances, >=, 1);
    g_assert_cmpuint(chain->sets->len, ==, chain->instances);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_autofree char *path = bimi_test_upstream_path("arc-valimail/arc-draft-validation-tests.json");
  g_autoptr(JsonParser) parser = bimi_test_load_json(path);
  scenarios = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "scenarios");
  for (guint i = 0; i < json_array_get_length(scenarios); i++) {
    JsonObject *sc = json_array_get_object_element(scenarios, i);
    g_autofree char *slug = g_ascii_strdown(json_object_get_string_member(sc, "description"), -1);
    g_strdelimit(slug, " ", '-');
    g_autofree char *name = g_strdup_printf("/arc-suite/valimail/%s", slug);
    g_test_add_data_func(name, GUINT_TO_POINTER(i), run_scenario);
  }
  g_test_add_func("/arc-suite/valimail/summary", test_summary);
  g_test_add_func("/arc-suite/stalwart", test_stalwart);
  return g_test_run();
}
