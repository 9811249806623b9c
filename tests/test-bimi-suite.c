/* tests/test-bimi-suite.c — engine/bimi against the collected vectors in
 * $BIMI_UPSTREAM_DIR/bimi/:
 *
 * - dns/example-records.txt: every Assertion Record vector parsed and then
 *   discovered through the DNS layer (so multi-string TXT is joined as DNS
 *   delivers it), with the outcome its comment names; every DMARC vector
 *   through the gate of spec §4.
 * - dns/mail-bimi_zonefile.txt: Mail::BIMI's zone, loaded as is. Its records
 *   are written `v=bimi1`; we follow the draft ("MUST match precisely",
 *   spec §2 Decision) and discard them, so those domains give none; the one
 *   `v=BIMI1` record (fastmaildmarc.com) passes; the CNAME is followed.
 * - headers/draft-examples.txt: BIMI-Selector examples parse as stated; our
 *   A-R entries and BIMI-Location values match the draft's examples.
 */
#include "engine/bimi.h"
#include "engine/limits.h"
#include "tests/lib/data.h"
#include "tests/lib/outcome.h"

#include <string.h>

static char *
read_upstream(const char *rel)
{
  g_autofree char *path = bimi_test_upstream_path(rel);
  g_autoptr(GError) error = NULL;
  char *text = NULL;
  g_file_get_contents(path, &text, NULL, &error);
  g_assert_no_error(error);
  return text;
}

static BimiDnsResolver *
resolver_for(const char *zone_text)
{
  return bimi_test_resolver_zone_text(zone_text, strlen(zone_text), "suite.zone");
}

/* "owner TXT "a" "b" ; comment" → rdata (the quoted strings as written),
 * joined text, comment. FALSE when the line is no such vector. */
static gboolean
split_vector(const char *line, char **owner, char **rdata, char **joined, char **comment)
{
  const char *p = strstr(line, " TXT ");
  const char *start;
  GString *j;

  if (p == NULL || line[0] == '#')
    return FALSE;
  *owner = g_strndup(line, (gsize) (p - line));
  p += 5;
  while (*p == ' ')
    p++;
  start = p;
  j = g_string_new(NULL);
  while (*p == '"') {
    const char *q = strchr(p + 1, '"');
    g_assert_nonnull(q);
    g_string_append_len(j, p + 1, q - p - 1);
    p = q + 1;
    while (*p == ' ')
      p++;
  }
  *rdata = g_strndup(start, (gsize) (p - start));
  *joined = g_string_free(j, FALSE);
  *comment = g_strdup(*p == ';' ? p + 1 : p);
  g_strstrip(*comment);
  return TRUE;
}

/* The vectors of bimi/dns/example-records.txt whose lines start with @prefix. (transfer full) */
static GStrv
example_vectors(const char *prefix)
{
  g_autofree char *text = read_upstream("bimi/dns/example-records.txt");
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_autoptr(GStrvBuilder) vectors = g_strv_builder_new();

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix(lines[i], prefix))
      g_strv_builder_add(vectors, lines[i]);
  return g_strv_builder_end(vectors);
}

/* ---- Assertion Record vectors ------------------------------------------------- */

static void
test_record_vectors(void)
{
  g_auto(GStrv) lines = example_vectors("default._bimi.example.com TXT");

  for (guint i = 0; lines[i] != NULL; i++) {
    g_autofree char *owner = NULL, *rdata = NULL, *joined = NULL, *comment = NULL;
    g_autofree char *zone = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiBimiRecord) rec = NULL;
    g_autoptr(BimiDnsResolver) resolver = NULL;
    g_autoptr(BimiBimiResult) r = bimi_bimi_result_new();
    BimiBimiResultCode want;
    int want_error = -1;

    g_assert_true(split_vector(lines[i], &owner, &rdata, &joined, &comment));
    g_test_message("vector: %s => %s", joined, comment);
    rec = bimi_bimi_record_parse(joined, strlen(joined), &error);

    if (g_str_has_prefix(comment, "valid")) {
      g_assert_no_error(error);
      g_assert_false(rec->declined);
      g_assert_nonnull(rec->location);
      want = BIMI_BIMI_RESULT_PASS;
      if (strstr(comment, "evidence present") != NULL)
        g_assert_cmpstr(rec->evidence, ==, "https://example.com/vmc.pem");
      if (strstr(comment, "avatar preference personal") != NULL)
        g_assert_true(rec->has_avp && rec->avp == BIMI_BIMI_AVP_PERSONAL);
      if (strstr(comment, "local-part selectors") != NULL) {
        g_assert_cmpuint(g_strv_length(rec->lps), ==, 2);
        g_assert_cmpstr(rec->lps[1], ==, "brand-two-noreply");
      }
      if (strstr(comment, "a= absent") != NULL)
        g_assert_null(rec->evidence);
    } else if (g_str_has_prefix(comment, "avp ignored")) {
      g_assert_no_error(error);
      g_assert_true(rec->avp_invalid);
      g_assert_false(rec->has_avp);
      want = BIMI_BIMI_RESULT_PASS;
    } else if (g_str_has_prefix(comment, "declin")) {
      g_assert_no_error(error);
      g_assert_true(rec->declined);
      want = BIMI_BIMI_RESULT_DECLINED;
      if (strstr(comment, "local-part selectors") != NULL)
        g_assert_cmpstr(rec->lps[0], ==, "brand-indicators-");
    } else if (g_str_has_prefix(comment, "fail: duplicate")) {
      want_error = BIMI_BIMI_ERROR_SYNTAX;
      want = BIMI_BIMI_RESULT_FAIL;
    } else if (g_str_has_prefix(comment, "fail")) {
      want_error = BIMI_BIMI_ERROR_INVALID;
      want = BIMI_BIMI_RESULT_FAIL;
    } else if (g_str_has_prefix(comment, "discarded") || g_str_has_prefix(comment, "ignored")) {
      want_error = BIMI_BIMI_ERROR_NOT_BIMI;
      want = BIMI_BIMI_RESULT_NONE;
    } else {
      g_error("vector without a known outcome: %s", lines[i]);
    }
    if (want_error >= 0) {
      bimi_test_expect_refused(rec, error, BIMI_BIMI_ERROR, want_error, NULL);
    }

    /* The same text through DNS and discovery. */
    zone = g_strdup_printf("default._bimi.example.com. TXT %s\n", rdata);
    resolver = resolver_for(zone);
    g_clear_error(&error);
    g_assert_true(bimi_bimi_discover(resolver, "default", "example.com", NULL, NULL, r, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(bimi_bimi_result_code_to_string(r->code), ==, bimi_bimi_result_code_to_string(want));
    if (want == BIMI_BIMI_RESULT_FAIL)
      g_assert_cmpstr(r->reason_code, ==, "invalid-record");
  }
  g_assert_cmpuint(g_strv_length(lines), ==, 24);
}

/* ---- DMARC gate vectors ---------------------------------------------------------- */

static BimiBimiGate *
gate_for(const char *zone, const char *author, const BimiBimiOptions *options)
{
  g_autoptr(BimiDnsResolver) resolver = resolver_for(zone);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDmarcEvaluation) ev = NULL;
  BimiDmarcInput input = { 0 };
  BimiDmarcOptions dopt = { 0 };
  BimiDmarcDkimInput dkim = { author, BIMI_DMARC_AUTH_PASS };
  BimiBimiGate *gate;

  input.author_domain = author;
  input.dkim = &dkim;
  input.n_dkim = 1;
  dopt.mode = BIMI_DMARC_MODE_RFC9989;
  ev = bimi_dmarc_evaluate(resolver, &dopt, &input, &error);
  g_assert_no_error(error);
  g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
  gate = bimi_bimi_dmarc_gate(options, ev);
  g_assert_nonnull(gate);
  return gate;
}

static void
test_dmarc_vectors(void)
{
  g_auto(GStrv) lines = example_vectors("_dmarc.");

  for (guint i = 0; lines[i] != NULL; i++) {
    g_autofree char *owner = NULL, *rdata = NULL, *joined = NULL, *comment = NULL, *zone = NULL;
    g_autoptr(BimiBimiGate) gate = NULL;
    const char *author = "example.com";
    gboolean qualifies;

    if (strstr(lines[i], " + ") != NULL) {
      /* "_dmarc.sub.example.com TXT "..." + _dmarc.example.com TXT "..." ; comment" */
      g_auto(GStrv) halves = g_strsplit(lines[i], " + ", 2);
      g_autofree char *o2 = NULL, *r2 = NULL, *j2 = NULL, *c2 = NULL;
      g_autofree char *first = g_strconcat(halves[0], " ;", NULL);
      g_assert_true(split_vector(first, &owner, &rdata, &joined, &c2));
      g_free(c2);
      c2 = NULL;
      g_assert_true(split_vector(halves[1], &o2, &r2, &j2, &comment));
      zone = g_strdup_printf("%s. TXT %s\n%s. TXT %s\nsub.example.com. A 192.0.2.1\n", owner, rdata, o2, r2);
      author = "sub.example.com";
    } else {
      g_assert_true(split_vector(lines[i], &owner, &rdata, &joined, &comment));
      zone = g_strdup_printf("%s. TXT %s\n", owner, rdata);
    }
    g_test_message("dmarc vector: %s => %s", lines[i], comment);
    qualifies = g_str_has_prefix(comment, "qualifies");
    gate = gate_for(zone, author, NULL);
    if (strstr(comment, "many receivers still skip") != NULL) {
      /* issue 6: pct must be 100 where present (default); the draft's reading as an option */
      BimiBimiOptions lenient = { TRUE };
      g_autoptr(BimiBimiGate) g2 = gate_for(zone, author, &lenient);
      g_assert_false(gate->ok);
      g_assert_cmpstr(gate->reason_code, ==, "author-pct");
      g_assert_true(g2->ok);
    } else {
      g_assert_cmpint(gate->ok, ==, qualifies);
      if (!qualifies)
        g_assert_true(g_str_has_prefix(gate->reason_code, strstr(comment, "org-domain") ? "org-" : "author-"));
    }
  }
  g_assert_cmpuint(g_strv_length(lines), ==, 9);
}

/* ---- Mail::BIMI zone file ---------------------------------------------------------- */

static void
test_mail_bimi_zonefile(void)
{
  g_autofree char *text = read_upstream("bimi/dns/mail-bimi_zonefile.txt");
  g_autoptr(BimiDnsResolver) resolver = resolver_for(text);
  const char *lower_only[] = { "domain.com", "dnslookupmulti.com", "dnslookupspfall.com", "cachenull.com" };
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(BimiBimiResult) r = bimi_bimi_result_new();
    g_assert_true(bimi_bimi_discover(resolver, "default", "fastmaildmarc.com", NULL, NULL, r, &error));
    g_assert_cmpint(r->code, ==, BIMI_BIMI_RESULT_PASS);
    g_assert_cmpstr(r->record->location, ==, "https://fastmaildmarc.com/FM_BIMI.svg");
    g_assert_null(r->record->evidence);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(lower_only); i++) {
    g_autoptr(BimiBimiResult) r = bimi_bimi_result_new();
    g_assert_true(bimi_bimi_discover(resolver, "default", lower_only[i], NULL, NULL, r, &error));
    g_assert_cmpint(r->code, ==, BIMI_BIMI_RESULT_NONE); /* v=bimi1 discarded (draft: exact match) */
    /* ... and said so: the query log and the reason name the record and why it does not count */
    g_assert_nonnull(strstr(g_ptr_array_index(r->queries, 0), "NOERROR (0 matching; TXT \"v=bimi1"));
    g_assert_true(g_str_has_suffix(g_ptr_array_index(r->queries, 0),
                                   "does not count: the version must be exactly v=BIMI1, upper case)"));
    g_assert_nonnull(strstr(r->reason, "does not count: the version tag must be exactly \"v=BIMI1\""));
  }
  {
    g_autoptr(BimiBimiResult) r = bimi_bimi_result_new();
    g_assert_true(bimi_bimi_discover(resolver, "selector", "dnslookupcname.com", NULL, NULL, r, &error));
    g_assert_cmpstr(g_ptr_array_index(r->queries, 0), ==,
                    "selector._bimi.dnslookupcname.com NOERROR via CNAME cnametarget.dnslookupcname.com (0 matching; "
                    "TXT \"v=bimi1; l=https://fastmaildmarc.com/FM_BIMI.svg\" does not count: the version must be "
                    "exactly v=BIMI1, upper case)");
  }
  {
    /* same-selector fallback: selector._bimi.<org> only */
    g_autoptr(BimiBimiResult) r = bimi_bimi_result_new();
    g_assert_true(bimi_bimi_discover(resolver, "selector", "sub.results.com", "results.com", NULL, r, &error));
    g_assert_cmpint(r->code, ==, BIMI_BIMI_RESULT_NONE);
    g_assert_cmpuint(r->queries->len, ==, 2);
    g_assert_true(g_str_has_prefix(g_ptr_array_index(r->queries, 1), "selector._bimi.results.com NXDOMAIN"));
  }
  g_assert_no_error(error);
}

/* ---- header examples ------------------------------------------------------------------- */

static BimiBimiResult *
pass_result(const char *domain, const char *selector, const char *l, const char *a)
{
  BimiBimiResult *r = bimi_bimi_result_new();
  g_autofree char *text = g_strdup_printf("v=BIMI1; l=%s; a=%s; avp=brand", l ? l : "", a ? a : "");
  g_autoptr(GError) error = NULL;

  r->code = BIMI_BIMI_RESULT_PASS;
  r->record = bimi_bimi_record_parse(text, strlen(text), &error);
  g_assert_no_error(error);
  r->record_domain = g_strdup(domain);
  r->record_selector = g_strdup(selector);
  return r;
}

static void
test_header_examples(void)
{
  g_autofree char *text = read_upstream("bimi/headers/draft-examples.txt");
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  guint n_sel = 0, n_ar = 0, n_loc = 0;

  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = lines[i];
    g_autoptr(GError) error = NULL;

    if (g_str_has_prefix(line, "BIMI-Selector: ")) {
      const char *v = line + 15;
      const char *arrow = strstr(v, "->");
      gsize len = arrow ? (gsize) (arrow - v) : strlen(v);
      g_autofree char *sel = NULL;
      while (len > 0 && v[len - 1] == ' ')
        len--;
      if (arrow != NULL) {
        g_assert_false(bimi_bimi_selector_parse(v, len, &sel, &error));
        g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_NOT_BIMI);
      } else {
        g_assert_true(bimi_bimi_selector_parse(v, len, &sel, &error));
        g_assert_cmpstr(sel, ==, "selector");
      }
      n_sel++;
    } else if (g_str_has_prefix(line, "Authentication-Results: ")) {
      /* The draft writes URIs bare; RFC 8601 §2.2 (RFC 2045 token) needs them
       * quoted (":" and "/" are tspecials), as engine/authres writes and reads. */
      g_autoptr(GRegex) re = g_regex_new("=(https://[^ ;]+)", 0, 0, NULL);
      g_autofree char *v = g_regex_replace(re, line + 24, -1, 0, "=\"\\1\"", 0, NULL);
      g_autoptr(BimiAuthres) want = bimi_authres_parse(v, strlen(v), &error);
      g_autoptr(BimiAuthres) got = NULL;
      g_autoptr(BimiBimiResult) r = NULL;
      const BimiAuthresResult *w, *g;
      g_assert_no_error(error);
      w = bimi_authres_find_result(want, "bimi");
      g_assert_nonnull(w);
      if (g_strcmp0(w->result, "pass") == 0) {
        const char *a = bimi_authres_result_get_property(w, "policy", "authority-uri");
        r = pass_result(bimi_authres_result_get_property(w, "header", "d"),
                        bimi_authres_result_get_property(w, "header", "selector"),
                        bimi_authres_result_get_property(w, "policy", "indicator-uri"), a);
        if (g_strcmp0(bimi_authres_result_get_property(w, "policy", "authority"), "pass") == 0)
          r->authority = BIMI_BIMI_AUTHORITY_PASS;
        if (bimi_authres_result_get_property(w, "policy", "logo-preference") == NULL)
          r->record->has_avp = FALSE;
      } else {
        r = bimi_bimi_result_new();
        r->code = g_strcmp0(w->result, "none") == 0        ? BIMI_BIMI_RESULT_NONE
                  : g_strcmp0(w->result, "declined") == 0  ? BIMI_BIMI_RESULT_DECLINED
                  : g_strcmp0(w->result, "skipped") == 0   ? BIMI_BIMI_RESULT_SKIPPED
                  : g_strcmp0(w->result, "fail") == 0      ? BIMI_BIMI_RESULT_FAIL
                                                            : BIMI_BIMI_RESULT_TEMPERROR;
      }
      got = bimi_authres_new("example.com");
      g = bimi_bimi_result_add_authres(r, got);
      g_assert_cmpstr(g->result, ==, w->result);
      /* every property we write (but policy.authority=none, which the
       * draft's short examples leave out) appears in the example with the
       * same value */
      for (guint k = 0; k < g->properties->len; k++) {
        const BimiAuthresProperty *p = g_ptr_array_index(g->properties, k);
        if (strcmp(p->ptype, "policy") == 0 && strcmp(p->name, "authority") == 0 && strcmp(p->value, "none") == 0)
          continue;
        g_assert_cmpstr(bimi_authres_result_get_property(w, p->ptype, p->name), ==, p->value);
      }
      n_ar++;
    } else if (g_str_has_prefix(line, "BIMI-Location: ")) {
      const char *v = line + 15;
      const char *paren = strstr(v, "  (");
      g_autofree char *want = g_strndup(v, paren ? (gsize) (paren - v) : strlen(v));
      g_autofree char *l = NULL, *a = NULL;
      g_autoptr(BimiBimiResult) r = NULL;
      g_autofree char *got = NULL;
      char *ls = strstr(want, "l="), *as = strstr(want, "a=");
      g_strstrip(want);
      if (ls != NULL && as != NULL)
        continue; /* we write one URI: the one the displayed SVG came from (spec §9.2) */
      if (ls != NULL)
        l = g_strdup(ls + 2);
      if (as != NULL)
        a = g_strdup(as + 2);
      r = pass_result("example.com", "default", l, a);
      got = bimi_bimi_location_header_value(r, a != NULL);
      g_assert_cmpstr(got, ==, want);
      n_loc++;
    }
  }
  g_assert_cmpuint(n_sel, ==, 2);
  g_assert_cmpuint(n_ar, ==, 7);
  g_assert_cmpuint(n_loc, ==, 2);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/bimi-suite/dns/record-vectors", test_record_vectors);
  g_test_add_func("/bimi-suite/dns/dmarc-vectors", test_dmarc_vectors);
  g_test_add_func("/bimi-suite/dns/mail-bimi-zonefile", test_mail_bimi_zonefile);
  g_test_add_func("/bimi-suite/headers/draft-examples", test_header_examples);
  return g_test_run();
}
