/* tests/test-filter.c — evaluate/filter: consent lists (the BIMI_FILTER_MAX_CONSENT_BYTES limit
 * included), what the dmarc and no-ptr filters recommend, what a consent applies (never more than
 * recommended, deliver without consent), the label, and the JSON "filter" member. The whole
 * pipeline with the demo messages is tests/filter-consent.t. */
#include "evaluate/filter.h"
#include "engine/limits.h"

#include <string.h>

static void
test_consent_parse(void)
{
  static const struct {
    const char *text;
    guint set;
  } good[] = {
    { "", 0 },
    { "none", 0 },
    { " NONE ", 0 },
    { "dmarc", BIMI_FILTER_DMARC },
    { "no-ptr", BIMI_FILTER_NO_PTR },
    { "dmarc,no-ptr", BIMI_FILTER_ALL },
    { " no-ptr , dmarc ", BIMI_FILTER_ALL },
    { "dmarc,dmarc", BIMI_FILTER_DMARC },
  };
  static const char *const bad[] = { "spam", "dmarc,", ",dmarc", "dmarc,,no-ptr", "none,dmarc", "no_ptr",
                                     "dmarc;no-ptr", "dmarc\xff" };

  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;
    guint set = 99;
    g_assert_true(bimi_filter_consent_parse(good[i].text, &set, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(set, ==, good[i].set);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    guint set = 99;
    g_assert_false(bimi_filter_consent_parse(bad[i], &set, &error));
    g_assert_error(error, BIMI_FILTER_ERROR, BIMI_FILTER_ERROR_CONSENT);
    g_assert_true(g_str_has_prefix(error->message, "consent: "));
    g_assert_cmpuint(set, ==, 0);
  }
  {
    g_autoptr(GError) error = NULL;
    guint set = 0;
    g_assert_false(bimi_filter_consent_parse("spam", &set, &error));
    g_assert_cmpstr(error->message, ==, "consent: 'spam' is not a filter (dmarc, no-ptr, or none)");
  }
}

/* BIMI_FILTER_MAX_CONSENT_BYTES: a valid list padded with blanks to exactly the limit passes, one byte more fails. */
static void
test_consent_limit(void)
{
  g_autoptr(GString) at = g_string_new("dmarc,no-ptr");
  g_autoptr(GError) error = NULL;
  guint set = 0;

  while (at->len < BIMI_FILTER_MAX_CONSENT_BYTES)
    g_string_append_c(at, ' ');
  g_assert_true(bimi_filter_consent_parse(at->str, &set, &error));
  g_assert_cmpuint(set, ==, BIMI_FILTER_ALL);
  g_string_append_c(at, ' ');
  g_assert_false(bimi_filter_consent_parse(at->str, &set, &error));
  g_assert_error(error, BIMI_FILTER_ERROR, BIMI_FILTER_ERROR_CONSENT);
  g_assert_nonnull(strstr(error->message, "longer than 64 bytes"));
}

static void
test_consent_to_string(void)
{
  for (guint set = 0; set <= BIMI_FILTER_ALL; set++) {
    g_autofree char *text = bimi_filter_consent_to_string(set);
    guint back = 99;
    g_assert_true(bimi_filter_consent_parse(text, &back, NULL));
    g_assert_cmpuint(back, ==, set);
  }
  g_autofree char *none = bimi_filter_consent_to_string(0);
  g_autofree char *all = bimi_filter_consent_to_string(BIMI_FILTER_ALL);
  g_assert_cmpstr(none, ==, "none");
  g_assert_cmpstr(all, ==, "dmarc, no-ptr");
}

/* Writable strings for the plain-data structs below (the filter only reads them). */
static char reason_text[] = "no passing identifier aligned with vmc.demo.test";
static char domain_text[] = "vmc.demo.test";
static char ip_text[] = "192.0.2.66";

/* A DMARC evaluation with the fields the filter reads. */
static void
init_dmarc(BimiDmarcEvaluation *d, BimiDmarcResult result, BimiDmarcPolicy requested, BimiDmarcPolicy policy,
           BimiDmarcPolicy disposition)
{
  memset(d, 0, sizeof *d);
  d->result = result;
  d->reason = reason_text;
  d->author_domain = domain_text;
  d->policy_domain = domain_text;
  d->has_policy = TRUE;
  d->policy_source = BIMI_DMARC_POLICY_FROM_P;
  d->requested_policy = requested;
  d->policy = policy;
  d->disposition = disposition;
}

static void
init_rdns(BimiRdnsResult *r, BimiRdnsResultCode code)
{
  memset(r, 0, sizeof *r);
  r->result = code;
  r->ip = ip_text;
}

static BimiFilterOutcome *
run(const BimiDmarcEvaluation *d, const BimiRdnsResult *r, guint consent)
{
  BimiFilterInput in = { d, r, BIMI_FILTER_ACTION_QUARANTINE, consent, TRUE };
  return bimi_filter_evaluate(&in);
}

static void
test_dmarc_reject(void)
{
  BimiDmarcEvaluation d;
  init_dmarc(&d, BIMI_DMARC_RESULT_FAIL, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_REJECT);

  g_autoptr(BimiFilterOutcome) none = run(&d, NULL, 0);
  g_assert_cmpint(none->recommended, ==, BIMI_FILTER_ACTION_REJECT);
  g_assert_cmpint(none->applied, ==, BIMI_FILTER_ACTION_DELIVER);
  g_assert_cmpuint(none->reasons->len, ==, 1);
  const BimiFilterReason *r = g_ptr_array_index(none->reasons, 0);
  g_assert_cmpint(r->filter, ==, BIMI_FILTER_DMARC);
  g_assert_cmpstr(r->detail, ==,
                  "DMARC fail for vmc.demo.test (no passing identifier aligned with vmc.demo.test): "
                  "p=reject at _dmarc.vmc.demo.test");
  g_assert_false(bimi_filter_reason_applied(none, r));
  g_assert_cmpstr(none->label_code, ==, "dmarc-fail-reject");
  g_assert_cmpstr(none->label_text, ==,
                  "Failed sender authentication for a domain that asks to reject its unauthenticated mail");

  /* consent to the other filter only applies nothing */
  g_autoptr(BimiFilterOutcome) other = run(&d, NULL, BIMI_FILTER_NO_PTR);
  g_assert_cmpint(other->applied, ==, BIMI_FILTER_ACTION_DELIVER);
  g_autoptr(BimiFilterOutcome) yes = run(&d, NULL, BIMI_FILTER_DMARC);
  g_assert_cmpint(yes->applied, ==, BIMI_FILTER_ACTION_REJECT);
  g_assert_cmpstr(yes->label_code, ==, "dmarc-fail-reject"); /* the label does not depend on the consent */
}

/* The overrides the pipeline applied lowered the disposition: the filter follows it. */
static void
test_dmarc_overrides(void)
{
  BimiDmarcEvaluation d;

  /* t=y: p=reject lowered to quarantine */
  init_dmarc(&d, BIMI_DMARC_RESULT_FAIL, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_QUARANTINE,
             BIMI_DMARC_POLICY_QUARANTINE);
  g_autoptr(BimiFilterOutcome) t = run(&d, NULL, BIMI_FILTER_ALL);
  g_assert_cmpint(t->recommended, ==, BIMI_FILTER_ACTION_QUARANTINE);
  g_assert_cmpint(t->applied, ==, BIMI_FILTER_ACTION_QUARANTINE);
  g_assert_cmpstr(t->label_code, ==, "dmarc-fail-quarantine");
  g_assert_true(g_str_has_suffix(((BimiFilterReason *) g_ptr_array_index(t->reasons, 0))->detail,
                                 ", t=y test mode: quarantine"));
  /* a trusted ARC sealer relaxed the disposition to none: nothing recommended, no label */
  init_dmarc(&d, BIMI_DMARC_RESULT_FAIL, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_NONE);
  d.arc_override = TRUE;
  g_autoptr(BimiFilterOutcome) arc = run(&d, NULL, BIMI_FILTER_ALL);
  g_assert_cmpint(arc->recommended, ==, BIMI_FILTER_ACTION_DELIVER);
  g_assert_cmpuint(arc->reasons->len, ==, 0);
  g_assert_null(arc->label_code);
  /* pass, none, temperror and permerror recommend nothing */
  for (BimiDmarcResult res = BIMI_DMARC_RESULT_NONE; res <= BIMI_DMARC_RESULT_PERMERROR; res++) {
    if (res == BIMI_DMARC_RESULT_FAIL)
      continue;
    init_dmarc(&d, res, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_NONE);
    g_autoptr(BimiFilterOutcome) o = run(&d, NULL, BIMI_FILTER_ALL);
    g_assert_cmpint(o->recommended, ==, BIMI_FILTER_ACTION_DELIVER);
  }
}

static void
test_no_ptr(void)
{
  BimiRdnsResult r;
  BimiDmarcEvaluation d;

  init_rdns(&r, BIMI_RDNS_RESULT_NONE);
  g_autoptr(BimiFilterOutcome) none = run(NULL, &r, BIMI_FILTER_NO_PTR);
  g_assert_cmpint(none->recommended, ==, BIMI_FILTER_ACTION_QUARANTINE);
  g_assert_cmpint(none->applied, ==, BIMI_FILTER_ACTION_QUARANTINE);
  g_assert_cmpstr(((BimiFilterReason *) g_ptr_array_index(none->reasons, 0))->detail, ==,
                  "the client 192.0.2.66 has no PTR record (FCrDNS none)");
  g_assert_cmpstr(none->label_code, ==, "no-ptr");
  init_rdns(&r, BIMI_RDNS_RESULT_FAIL);
  g_autoptr(BimiFilterOutcome) fail = run(NULL, &r, 0);
  g_assert_cmpint(fail->recommended, ==, BIMI_FILTER_ACTION_QUARANTINE);
  g_assert_cmpint(fail->applied, ==, BIMI_FILTER_ACTION_DELIVER);
  /* a DNS failure never filters; a pass neither */
  init_rdns(&r, BIMI_RDNS_RESULT_TEMPERROR);
  g_autoptr(BimiFilterOutcome) temp = run(NULL, &r, BIMI_FILTER_ALL);
  g_assert_cmpint(temp->recommended, ==, BIMI_FILTER_ACTION_DELIVER);
  init_rdns(&r, BIMI_RDNS_RESULT_PASS);
  g_autoptr(BimiFilterOutcome) pass = run(NULL, &r, BIMI_FILTER_ALL);
  g_assert_cmpint(pass->recommended, ==, BIMI_FILTER_ACTION_DELIVER);
  /* [filter] no_ptr = reject, beside a DMARC quarantine: the strongest wins, the label stays DMARC's */
  init_rdns(&r, BIMI_RDNS_RESULT_NONE);
  init_dmarc(&d, BIMI_DMARC_RESULT_FAIL, BIMI_DMARC_POLICY_QUARANTINE, BIMI_DMARC_POLICY_QUARANTINE,
             BIMI_DMARC_POLICY_QUARANTINE);
  BimiFilterInput in = { &d, &r, BIMI_FILTER_ACTION_REJECT, BIMI_FILTER_DMARC, FALSE };
  g_autoptr(BimiFilterOutcome) both = bimi_filter_evaluate(&in);
  g_assert_cmpint(both->recommended, ==, BIMI_FILTER_ACTION_REJECT);
  g_assert_cmpint(both->applied, ==, BIMI_FILTER_ACTION_QUARANTINE);
  g_assert_cmpstr(both->label_code, ==, "dmarc-fail-quarantine");
  in.no_ptr_action = BIMI_FILTER_ACTION_DELIVER;
  g_autoptr(BimiFilterOutcome) off = bimi_filter_evaluate(&in);
  g_assert_cmpuint(off->reasons->len, ==, 1);
}

/* Every combination: applied never exceeds recommended, and is deliver without consent. */
static void
test_never_more(void)
{
  BimiDmarcEvaluation d;
  BimiRdnsResult r;

  for (BimiDmarcPolicy disp = BIMI_DMARC_POLICY_NONE; disp <= BIMI_DMARC_POLICY_REJECT; disp++)
    for (BimiRdnsResultCode rc = BIMI_RDNS_RESULT_NONE; rc <= BIMI_RDNS_RESULT_TEMPERROR; rc++)
      for (BimiFilterAction np = BIMI_FILTER_ACTION_DELIVER; np <= BIMI_FILTER_ACTION_REJECT; np++)
        for (guint consent = 0; consent <= BIMI_FILTER_ALL; consent++) {
          init_dmarc(&d, BIMI_DMARC_RESULT_FAIL, disp, disp, disp);
          init_rdns(&r, rc);
          BimiFilterInput in = { &d, &r, np, consent, TRUE };
          g_autoptr(BimiFilterOutcome) o = bimi_filter_evaluate(&in);
          g_assert_cmpint(o->applied, <=, o->recommended);
          if (consent == 0)
            g_assert_cmpint(o->applied, ==, BIMI_FILTER_ACTION_DELIVER);
          if (consent == BIMI_FILTER_ALL)
            g_assert_cmpint(o->applied, ==, o->recommended);
          g_assert_true((o->label_code == NULL) == (o->recommended == BIMI_FILTER_ACTION_DELIVER));
        }
}

static void
test_json(void)
{
  BimiDmarcEvaluation d;
  BimiRdnsResult r;
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  g_autoptr(BimiJsonWriter) nb = bimi_json_writer_new();
  g_autoptr(JsonNode) root = NULL, null_root = NULL;
  g_autofree char *text = NULL;

  init_dmarc(&d, BIMI_DMARC_RESULT_FAIL, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_REJECT, BIMI_DMARC_POLICY_REJECT);
  init_rdns(&r, BIMI_RDNS_RESULT_NONE);
  BimiFilterInput in = { &d, &r, BIMI_FILTER_ACTION_QUARANTINE, BIMI_FILTER_NO_PTR, FALSE };
  g_autoptr(BimiFilterOutcome) o = bimi_filter_evaluate(&in);
  bimi_filter_outcome_build_json(o, b);
  root = bimi_json_writer_get_node(b);
  text = json_to_string(root, FALSE);
  g_assert_cmpstr(text, ==,
                  "{\"recommended\":{\"action\":\"reject\",\"reasons\":["
                  "{\"filter\":\"dmarc\",\"action\":\"reject\",\"detail\":\"DMARC fail for vmc.demo.test (no passing "
                  "identifier aligned with vmc.demo.test): p=reject at _dmarc.vmc.demo.test\"},"
                  "{\"filter\":\"no-ptr\",\"action\":\"quarantine\",\"detail\":\"the client 192.0.2.66 has no PTR "
                  "record (FCrDNS none)\"}]},"
                  "\"applied\":{\"action\":\"quarantine\",\"reasons\":[{\"filter\":\"no-ptr\",\"action\":"
                  "\"quarantine\",\"detail\":\"the client 192.0.2.66 has no PTR record (FCrDNS none)\"}]},"
                  "\"consent\":[\"no-ptr\"],\"consent_source\":\"default\","
                  "\"label\":{\"code\":\"dmarc-fail-reject\",\"text\":\"Failed sender authentication for a domain "
                  "that asks to reject its unauthenticated mail\"}}");
  bimi_json_begin_array(nb);
  bimi_filter_outcome_build_json(NULL, nb);
  bimi_json_end_array(nb);
  null_root = bimi_json_writer_get_node(nb);
  g_assert_cmpuint(json_array_get_length(json_node_get_array(null_root)), ==, 1);
  g_assert_true(json_array_get_null_element(json_node_get_array(null_root), 0));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/filter/consent/parse", test_consent_parse);
  g_test_add_func("/filter/consent/limit", test_consent_limit);
  g_test_add_func("/filter/consent/to-string", test_consent_to_string);
  g_test_add_func("/filter/dmarc/reject", test_dmarc_reject);
  g_test_add_func("/filter/dmarc/overrides", test_dmarc_overrides);
  g_test_add_func("/filter/no-ptr", test_no_ptr);
  g_test_add_func("/filter/never-more-than-recommended", test_never_more);
  g_test_add_func("/filter/json", test_json);
  return g_test_run();
}
