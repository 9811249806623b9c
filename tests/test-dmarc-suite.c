/* tests/test-dmarc-suite.c — runs $BIMI_UPSTREAM_DIR/dmarc-scenarios-derived/
 * dmarc-scenarios.json (see FORMAT.md there): one GTest case per scenario and
 * mode, /dmarc/suite/<mode>/<id>.
 *
 * Each scenario's zone is loaded into the in-memory DNS of dmarc-stub.h
 * (NXDOMAIN / NODATA / "TIMEOUT" as FORMAT.md says), its already-evaluated
 * inputs are fed as passing results (dkim_pass_domains → DKIM PASS with that
 * d=, spf_pass_domain → SPF PASS of that MAIL FROM domain), and every key of
 * "expect" is compared: result, policy (null = none reported), policy_domain,
 * dkim_aligned, spf_aligned, and dmarc_queries — the exact ordered list of
 * distinct "_dmarc" names asked.
 *
 * The RFC 9989 run is repeated through the real resolver (engine/dns,
 * offline: the zone written as RFC 1035 master text, "TIMEOUT" names as
 * fault names) and bimi_dmarc_evaluate(), /dmarc/suite/rfc9989-resolver/<id>,
 * so the adapter of engine/dmarc-dns.c meets the same expectations.
 *
 * RFC 9989 mode runs all 53, upstream_pending ones included: the tree walk,
 * psd, np and t are implemented, so their expectations (derived from
 * RFC 9989 by the upstream author) are binding. RFC 7489 mode runs them too,
 * except the scenarios listed in rfc7489_skips with the reason the RFC 7489
 * answer differs.
 *
 * A missing suite is a failure, unless BIMI_ALLOW_MISSING_UPSTREAM is set.
 */
#include "engine/dmarc.h"
#include "tests/lib/data.h"
#include "tests/lib/zone-text.h"
#include "dmarc-stub.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define SUITE_FILE "dmarc-scenarios-derived/dmarc-scenarios.json"
#define EXPECTED_SCENARIOS 53u

static JsonParser *suite_parser;
static JsonArray *scenarios;

/* Scenarios whose expectation is RFC 9989 behaviour that RFC 7489 does not have. */
static const struct {
  const char *id;
  const char *why;
} rfc7489_skips[] = {
  /* A.4 existence test, B.4.2 and the rest pass in RFC 7489 mode as well. */
  { "treewalk-psd-n", "psd= is not an RFC 7489 tag: the policy is example.com's (PSL Organizational Domain), p=none" },
  { "treewalk-8-query-cap", "RFC 7489 asks the Author Domain and the PSL Organizational Domain only" },
  { "np-nxdomain-subdomain", "np= is not an RFC 7489 tag: sp applies" },
  { "B.4.3-psd-y", "psd=y is not an RFC 7489 tag: PSL says bank.example is the Organizational Domain" },
  { "t-y-reject-to-quarantine", "t= is not an RFC 7489 tag: no downgrade" },
  { "t-y-quarantine-to-none", "t= is not an RFC 7489 tag: no downgrade" },
  { "stalwart-np-nonexistent-sub", "np= is not an RFC 7489 tag: sp applies" },
  { "stalwart-psd-n-org", "psd= is not an RFC 7489 tag: no record at the PSL Organizational Domain example.com, result none" },
  { "stalwart-psd-y-split-orgs", "psd= is not an RFC 7489 tag: PSL says bank.example for both, aligned" },
  { "stalwart-query-cap", "np= is not an RFC 7489 tag: sp (absent) → p=reject" },
};

static const char *
member_string(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  if (n == NULL || JSON_NODE_HOLDS_NULL(n))
    return NULL;
  return json_node_get_string(n);
}

static void
load_zone(Stub *stub, JsonObject *zone)
{
  g_autoptr(GList) names = json_object_get_members(zone);

  for (GList *l = names; l != NULL; l = l->next) {
    const char *name = l->data;
    JsonNode *node = json_object_get_member(zone, name);
    if (JSON_NODE_HOLDS_VALUE(node)) {
      g_assert_cmpstr(json_node_get_string(node), ==, "TIMEOUT");
      stub_timeout(stub, name);
      continue;
    }
    JsonObject *types = json_node_get_object(node);
    g_auto(GStrv) txt = bimi_test_json_txt_records(types);
    for (guint i = 0; txt[i] != NULL; i++)
      stub_add(stub, name, BIMI_DNS_TYPE_TXT, txt[i], strlen(txt[i]));
    if (json_object_has_member(types, "A"))
      stub_add(stub, name, BIMI_DNS_TYPE_A, "a", 1);
    if (json_object_has_member(types, "AAAA"))
      stub_add(stub, name, BIMI_DNS_TYPE_AAAA, "aaaa", 4);
    if (json_object_has_member(types, "MX"))
      stub_add(stub, name, BIMI_DNS_TYPE_MX, "mx", 2);
  }
}

/* The same zone as RFC 1035 master-format text for engine/dns. */
static BimiDnsResolver *
zone_resolver(JsonObject *zone)
{
  g_autoptr(GList) names = json_object_get_members(zone);
  g_autoptr(GString) text = g_string_new("$TTL 300\n");
  g_autoptr(GError) error = NULL;
  BimiDnsConfig config = { .offline = TRUE };
  BimiDnsResolver *r = bimi_dns_resolver_new(&config, &error);

  g_assert_no_error(error);
  for (GList *l = names; l != NULL; l = l->next) {
    const char *name = l->data;
    JsonNode *node = json_object_get_member(zone, name);
    if (JSON_NODE_HOLDS_VALUE(node)) {
      bimi_dns_resolver_add_fault_name(r, name, &error);
      g_assert_no_error(error);
      continue;
    }
    JsonObject *types = json_node_get_object(node);
    if (json_object_has_member(types, "TXT")) {
      JsonArray *rrs = json_object_get_array_member(types, "TXT");
      for (guint i = 0; i < json_array_get_length(rrs); i++) {
        JsonArray *strings = json_array_get_array_element(rrs, i);
        g_string_append_printf(text, "%s. IN TXT", name);
        for (guint k = 0; k < json_array_get_length(strings); k++) {
          const char *str = json_array_get_string_element(strings, k);
          bimi_test_zone_append_string(text, str, strlen(str));
        }
        g_string_append_c(text, '\n');
      }
    }
    if (json_object_has_member(types, "A")) {
      JsonArray *rrs = json_object_get_array_member(types, "A");
      for (guint i = 0; i < json_array_get_length(rrs); i++)
        g_string_append_printf(text, "%s. IN A %s\n", name, json_array_get_string_element(rrs, i));
    }
    if (json_object_has_member(types, "MX")) {
      JsonArray *rrs = json_object_get_array_member(types, "MX");
      for (guint i = 0; i < json_array_get_length(rrs); i++) {
        JsonObject *mx = json_array_get_object_element(rrs, i);
        g_string_append_printf(text, "%s. IN MX %" G_GINT64_FORMAT " %s.\n", name,
                               json_object_get_int_member(mx, "priority"), member_string(mx, "exchange"));
      }
    }
  }
  g_test_message("zone:\n%s", text->str);
  bimi_dns_resolver_add_zone_data(r, text->str, text->len, "scenario.zone", NULL, &error);
  g_assert_no_error(error);
  return r;
}

typedef struct {
  guint index;
  BimiDmarcMode mode;
  gboolean resolver;
} CaseData;

static void
run_case(gconstpointer data)
{
  const CaseData *cd = data;
  JsonObject *sc = json_array_get_object_element(scenarios, cd->index);
  JsonObject *in = json_object_get_object_member(sc, "input");
  JsonObject *expect = json_object_get_object_member(sc, "expect");
  JsonArray *dkim_domains = json_object_get_array_member(in, "dkim_pass_domains");
  Stub *stub = stub_new();
  g_autofree BimiDmarcDkimInput *dkim = NULL;
  BimiDmarcInput input = { 0 };
  BimiDmarcOptions options = { .mode = cd->mode };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDmarcEvaluation) ev = NULL;
  guint n_dkim = json_array_get_length(dkim_domains);

  g_test_message("%s (%s): %s", member_string(sc, "id"), member_string(sc, "spec"),
                 member_string(sc, "note") ? member_string(sc, "note") : "");
  load_zone(stub, json_object_get_object_member(sc, "zone"));
  dkim = g_new0(BimiDmarcDkimInput, MAX(n_dkim, 1));
  for (guint i = 0; i < n_dkim; i++) {
    dkim[i].domain = json_array_get_string_element(dkim_domains, i);
    dkim[i].result = BIMI_DMARC_AUTH_PASS;
  }
  input.author_domain = member_string(in, "header_from_domain");
  input.dkim = dkim;
  input.n_dkim = n_dkim;
  input.spf_mail_from_domain = member_string(in, "spf_pass_domain");
  input.spf_mail_from_result = input.spf_mail_from_domain != NULL ? BIMI_DMARC_AUTH_PASS : BIMI_DMARC_AUTH_NONE;

  if (cd->resolver) {
    g_autoptr(BimiDnsResolver) r = zone_resolver(json_object_get_object_member(sc, "zone"));
    ev = bimi_dmarc_evaluate(r, &options, &input, &error);
  } else {
    ev = bimi_dmarc__evaluate_with_lookup(stub_lookup, stub, &options, &input, &error);
  }
  g_assert_no_error(error);
  g_assert_nonnull(ev);
  g_test_message("result %s (%s), policy %s from %s at %s", bimi_dmarc_result_to_string(ev->result), ev->reason,
                 ev->has_policy ? bimi_dmarc_policy_to_string(ev->policy) : "-",
                 bimi_dmarc_policy_source_to_string(ev->policy_source), ev->policy_domain);

  if (json_object_has_member(expect, "result"))
    g_assert_cmpstr(bimi_dmarc_result_to_string(ev->result), ==, member_string(expect, "result"));
  if (json_object_has_member(expect, "policy")) {
    const char *want = member_string(expect, "policy");
    g_assert_cmpstr(ev->has_policy ? bimi_dmarc_policy_to_string(ev->policy) : NULL, ==, want);
  }
  if (json_object_has_member(expect, "policy_domain"))
    g_assert_cmpstr(ev->policy_domain, ==, member_string(expect, "policy_domain"));
  if (json_object_has_member(expect, "dkim_aligned"))
    g_assert_cmpint(ev->dkim_aligned, ==, json_object_get_boolean_member(expect, "dkim_aligned"));
  if (json_object_has_member(expect, "spf_aligned"))
    g_assert_cmpint(ev->spf_aligned, ==, json_object_get_boolean_member(expect, "spf_aligned"));
  if (json_object_has_member(expect, "dmarc_queries")) {
    JsonArray *want = json_object_get_array_member(expect, "dmarc_queries");
    for (guint i = 0; i < ev->queries->len; i++)
      g_test_message("query %u: %s", i, (const char *) g_ptr_array_index(ev->queries, i));
    g_assert_cmpuint(ev->queries->len, ==, json_array_get_length(want));
    for (guint i = 0; i < ev->queries->len; i++)
      g_assert_cmpstr(g_ptr_array_index(ev->queries, i), ==, json_array_get_string_element(want, i));
  }
  stub_free(stub);
}

static void
check_count(gconstpointer data)
{
  guint pending = 0;
  (void) data;
  g_assert_cmpuint(json_array_get_length(scenarios), ==, EXPECTED_SCENARIOS);
  for (guint i = 0; i < json_array_get_length(scenarios); i++) {
    JsonObject *sc = json_array_get_object_element(scenarios, i);
    if (json_object_has_member(sc, "upstream_pending"))
      pending++;
  }
  g_test_message("%u scenarios, %u flagged upstream_pending (all run in RFC 9989 mode)", EXPECTED_SCENARIOS, pending);
  g_assert_cmpuint(pending, ==, 11u);
}

static void
skip_case(gconstpointer data)
{
  g_test_skip(data);
}

int
main(int argc, char **argv)
{
  const char *dir;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) datas = g_ptr_array_new_with_free_func(g_free);
  JsonNode *root;
  int rc;

  g_test_init(&argc, &argv, NULL);
  dir = bimi_test_upstream_dir();
  path = g_build_filename(dir != NULL ? dir : "../shared/upstream", SUITE_FILE, NULL);
  suite_parser = json_parser_new();
  if (!json_parser_load_from_file(suite_parser, path, &error)) {
    g_autofree char *why = g_strdup_printf("cannot load %s: %s", path, error->message);
    g_test_add_data_func_full("/dmarc/suite/load", g_steal_pointer(&why), bimi_test_missing_suite, g_free);
    rc = g_test_run();
    g_object_unref(suite_parser);
    return rc;
  }
  root = json_parser_get_root(suite_parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root) || !json_object_has_member(json_node_get_object(root), "scenarios"))
    g_error("%s: no \"scenarios\" array", path);
  scenarios = json_object_get_array_member(json_node_get_object(root), "scenarios");
  g_test_add_data_func("/dmarc/suite/count", NULL, check_count);

  for (guint m = 0; m < 3; m++) {
    BimiDmarcMode mode = m == 1 ? BIMI_DMARC_MODE_RFC7489 : BIMI_DMARC_MODE_RFC9989;
    for (guint i = 0; i < json_array_get_length(scenarios); i++) {
      JsonObject *sc = json_array_get_object_element(scenarios, i);
      const char *id = member_string(sc, "id");
      g_autofree char *name = g_strdup_printf("/dmarc/suite/%s%s/%s", bimi_dmarc_mode_to_string(mode),
                                              m == 2 ? "-resolver" : "", id);
      const char *skip = NULL;
      CaseData *cd;

      if (mode == BIMI_DMARC_MODE_RFC7489)
        for (gsize k = 0; k < G_N_ELEMENTS(rfc7489_skips); k++)
          if (strcmp(rfc7489_skips[k].id, id) == 0)
            skip = rfc7489_skips[k].why;
      if (skip != NULL) {
        g_test_add_data_func(name, skip, skip_case);
        continue;
      }
      cd = g_new0(CaseData, 1);
      cd->index = i;
      cd->mode = mode;
      cd->resolver = m == 2;
      g_ptr_array_add(datas, cd);
      g_test_add_data_func(name, cd, run_case);
    }
  }
  rc = g_test_run();
  g_object_unref(suite_parser);
  return rc;
}
