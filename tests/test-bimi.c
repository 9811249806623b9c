/* tests/test-bimi.c — engine/bimi: Assertion Record and BIMI-Selector parsers,
 * local-part selectors, the DMARC preconditions, selector choice, discovery
 * and the output (A-R, BIMI-Location, BIMI-Indicator, JSON).
 *
 * Discovery tests answer from fixtures/bimi/bimi.zone (offline); DMARC is the
 * real engine/dmarc evaluation of a message whose DKIM signature passed
 * (the DKIM results themselves are built here: engine/dkim has its own tests).
 */
#include "engine/bimi.h"
#include "engine/bimi-private.h"
#include "engine/limits.h"
#include "tests/lib/data.h"
#include "tests/lib/outcome.h"

#include <string.h>

#define ZONE "fixtures/bimi/bimi.zone"

/* ---- helpers --------------------------------------------------------------- */

static BimiDnsResolver *
zone_resolver(void)
{
  static const char *const zones[] = { ZONE, NULL };
  static const char *const faults[] = { "default._bimi.slow.example", "_dmarc.dmarcslow.example", NULL };
  return bimi_test_resolver_zone_files(zones, faults);
}

static BimiDkimSignature *
fake_sig(const char *domain, BimiDkimResult result, const char *h)
{
  BimiDkimSignature *s = g_new0(BimiDkimSignature, 1);
  s->result = result;
  s->reason = g_strdup("test");
  s->domain = g_strdup(domain);
  s->signed_headers = g_strsplit(h, ":", -1);
  return s;
}

typedef struct {
  const char *dkim_domain;     /* NULL: no signature */
  BimiDkimResult dkim_result;
  const char *h;               /* h= of that signature */
  BimiDmarcMode mode;
  gboolean override;
  const BimiBimiOptions *options;
} Run;

/* Evaluates BIMI for @message_text (LF line ends are fine). */
static BimiBimiResult *
run_with(const char *message_text, const Run *run)
{
  g_autoptr(BimiDnsResolver) resolver = zone_resolver();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new(message_text, strlen(message_text));
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  g_autoptr(GPtrArray) sigs = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_dkim_signature_free);
  g_autoptr(BimiDmarcEvaluation) ev = NULL;
  BimiDmarcMessageInput input;
  BimiDmarcOptions options = { 0 };
  BimiBimiInput bin = { 0 };
  BimiBimiResult *r;

  g_assert_no_error(error);
  if (run->dkim_domain != NULL)
    g_ptr_array_add(sigs, fake_sig(run->dkim_domain, run->dkim_result, run->h ? run->h : "from:to:subject"));
  /* DMARC records each signature's alignment in it, which BIMI reads */
  bimi_dmarc_message_input_init(&input, msg, NULL, NULL, NULL, sigs);
  options.mode = run->mode;
  ev = bimi_dmarc_evaluate_message(resolver, &options, &input, &error);
  bimi_dmarc_message_input_clear(&input);
  g_assert_no_error(error);
  bin.message = msg;
  bin.dmarc = ev;
  bin.dkim = sigs;
  bin.dmarc_pass_override = run->override;
  r = bimi_bimi_evaluate(resolver, run->options, &bin, &error);
  return bimi_test_expect_ok(r, error);
}

/* A message From: @from, signed (pass) by @dkim_domain with h=from:to:subject. */
static BimiBimiResult *
run_simple(const char *from, const char *dkim_domain)
{
  g_autofree char *text = g_strdup_printf("From: %s\r\nTo: u@example.net\r\nSubject: hi\r\n\r\nbody\r\n", from);
  Run run = { dkim_domain, BIMI_DKIM_RESULT_PASS, NULL, BIMI_DMARC_MODE_RFC9989, FALSE, NULL };
  return run_with(text, &run);
}

static void
assert_result(const BimiBimiResult *r, BimiBimiResultCode code, const char *reason_code)
{
  if (r->code != code || g_strcmp0(r->reason_code, reason_code) != 0)
    g_test_message("got %s/%s (%s)", bimi_bimi_result_code_to_string(r->code), r->reason_code, r->reason);
  g_assert_cmpstr(bimi_bimi_result_code_to_string(r->code), ==, bimi_bimi_result_code_to_string(code));
  g_assert_cmpstr(r->reason_code, ==, reason_code);
  /* the typed reason names the same thing (the gate's codes are its own) */
  if (r->reason_id != BIMI_BIMI_REASON_GATE)
    g_assert_cmpstr(bimi_bimi_reason_to_string(r->reason_id), ==, reason_code);
  else
    g_assert_cmpstr(r->reason_code, ==, r->gate->reason_code);
}

static void
test_reason_names(void)
{
  g_assert_cmpstr(bimi_bimi_reason_to_string(BIMI_BIMI_REASON_NO_RECORD), ==, "no-record");
  g_assert_cmpstr(bimi_bimi_reason_to_string(BIMI_BIMI_REASON_DMARC_TEMPERROR), ==, "dmarc-temperror");
  g_assert_cmpstr(bimi_bimi_reason_to_string(BIMI_BIMI_REASON_FETCH_TEMPERROR), ==, "fetch-temperror");
  g_assert_cmpstr(bimi_bimi_reason_to_string((BimiBimiReason) 999), ==, "unknown");
  g_assert_true(bimi_bimi_reason_is_from(BIMI_BIMI_REASON_NO_FROM));
  g_assert_true(bimi_bimi_reason_is_from(BIMI_BIMI_REASON_FROM_NO_DOMAIN));
  g_assert_true(bimi_bimi_reason_is_from(BIMI_BIMI_REASON_MULTIPLE_FROM_MAILBOXES));
  g_assert_false(bimi_bimi_reason_is_from(BIMI_BIMI_REASON_DMARC_TEMPERROR));
  g_assert_false(bimi_bimi_reason_is_from(BIMI_BIMI_REASON_GATE));
}

/* ---- record parser ---------------------------------------------------------- */

BIMI_TEST_DEFINE_PARSE_OK(parse_ok, BimiBimiRecord, bimi_bimi_record_parse)

static void
parse_fails(const char *text, int code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiBimiRecord) rec = bimi_bimi_record_parse(text, strlen(text), &error);
  bimi_test_expect_refused(rec, error, BIMI_BIMI_ERROR, code, NULL);
}

static void
test_record_full(void)
{
  g_autoptr(BimiBimiRecord) rec =
    parse_ok("v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem; avp=personal; x=1");
  g_assert_cmpstr(rec->location, ==, "https://example.com/logo.svg");
  g_assert_cmpstr(rec->evidence, ==, "https://example.com/vmc.pem");
  g_assert_false(rec->declined);
  g_assert_true(rec->has_avp);
  g_assert_cmpint(rec->avp, ==, BIMI_BIMI_AVP_PERSONAL);
  g_assert_false(rec->has_lps);
  g_assert_null(rec->lps);
}

static void
test_record_declined(void)
{
  static const char *const declined[] = { "v=BIMI1; l=; a=;", "v=BIMI1; l=" };
  g_autoptr(BimiBimiRecord) c = parse_ok("v=BIMI1; l=; a=https://example.com/vmc.pem");

  for (gsize i = 0; i < G_N_ELEMENTS(declined); i++) {
    g_autoptr(BimiBimiRecord) r = parse_ok(declined[i]);
    g_assert_true(r->declined);
    g_assert_null(r->location);
  }
  g_assert_false(c->declined); /* evidence only is not a declination */
  g_assert_cmpstr(c->evidence, ==, "https://example.com/vmc.pem");
}

static void
test_record_errors(void)
{
  parse_fails("v=BIMI1", BIMI_BIMI_ERROR_INVALID);                          /* l= required */
  parse_fails("v=BIMI1; a=https://example.com/vmc.pem", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; l=http://example.com/logo.svg", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; l=https://192.0.2.1/logo.svg", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; l=https://[2001:db8::1]/logo.svg", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; l=https://localhost/logo.svg", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; l=https://user@example.com/logo.svg", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; l=https://a.example/1.svg,https://a.example/2.svg", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; l=https://a.example/x y.svg", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; v=BIMI1; l=https://example.com/logo.svg", BIMI_BIMI_ERROR_SYNTAX);
  parse_fails("l=https://example.com/logo.svg; v=BIMI1", BIMI_BIMI_ERROR_NOT_BIMI);
  parse_fails("v=bimi1; l=https://example.com/logo.svg", BIMI_BIMI_ERROR_NOT_BIMI);
  parse_fails("v=BIMI10; l=https://example.com/logo.svg", BIMI_BIMI_ERROR_NOT_BIMI);
  parse_fails("", BIMI_BIMI_ERROR_NOT_BIMI);
  parse_fails("v=BIMI1; l=https://example.com/logo.svg; lps=a,,b", BIMI_BIMI_ERROR_INVALID);
  parse_fails("v=BIMI1; l=https://example.com/logo.svg; lps=a_b", BIMI_BIMI_ERROR_INVALID);
}

/* Spec §2 `l=`: another image suffix is a permanent error before any fetch,
 * the message names the suffix; SVG, SVGZ, no suffix and a query stay fine. */
static void
test_record_image_suffix(void)
{
  static const struct { const char *uri; const char *suffix; } bad[] = {
    { "https://images.example.com/brand.png", "png" },
    { "https://images.example.com/brand.jpg", "jpg" },
    { "https://images.example.com/brand.JPEG", "jpeg" },
    { "https://images.example.com/brand.gif", "gif" },
    { "https://images.example.com/favicon.ico", "ico" },
    { "https://images.example.com/brand.webp", "webp" },
    { "https://images.example.com/brand.png?v=2", "png" },
    { "https://images.example.com/brand.png#x", "png" },
    { "https://images.example.com/brand%2Epng", "png" },
  };
  static const char *const good[] = {
    "https://images.example.com/brand.svg", "https://images.example.com/brand.svgz",
    "https://images.example.com/brand", "https://images.example.com/brand.svg?v=2",
    "https://images.example.com/png", "https://images.example.com/brand.png/logo.svg",
    "https://images.example.com/logo.svg?f=brand.png", "https://png.example.com/",
  };

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *rec = g_strdup_printf("v=BIMI1; l=%s; a=", bad[i].uri);
    g_autofree char *dot = g_strdup_printf(".%s image", bad[i].suffix);
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiBimiRecord) r = bimi_bimi_record_parse(rec, strlen(rec), &error);
    bimi_test_expect_refused(r, error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID, dot);
    g_assert_cmpstr(bimi_bimi__location_image_suffix(bad[i].uri), ==, bad[i].suffix);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autofree char *rec = g_strdup_printf("v=BIMI1; l=%s; a=", good[i]);
    g_autoptr(BimiBimiRecord) r = parse_ok(rec);
    g_assert_cmpstr(r->location, ==, good[i]);
    g_assert_null(bimi_bimi__location_image_suffix(good[i]));
  }
  /* a= is an Evidence Document: the suffix rule is about the indicator only */
  {
    g_autoptr(BimiBimiRecord) r = parse_ok("v=BIMI1; l=; a=https://example.com/vmc.pem");
    g_assert_cmpstr(r->evidence, ==, "https://example.com/vmc.pem");
  }
}

/* RFC 6376 §3.2 tag-list = tag-spec *( ";" tag-spec ) [ ";" ]: one trailing
 * ";" is allowed, an empty tag-spec (";;") is not. */
static void
test_record_empty_tag_spec(void)
{
  g_autoptr(BimiBimiRecord) one = parse_ok("v=BIMI1; l=https://x.example/l.svg;");
  g_autoptr(BimiBimiRecord) wsp = parse_ok("v=BIMI1; l=https://x.example/l.svg; ");
  g_assert_cmpstr(one->location, ==, "https://x.example/l.svg");
  g_assert_cmpstr(wsp->location, ==, "https://x.example/l.svg");
  parse_fails("v=BIMI1; l=https://x.example/l.svg;;", BIMI_BIMI_ERROR_SYNTAX);
  parse_fails("v=BIMI1; l=https://x.example/l.svg; ; ", BIMI_BIMI_ERROR_SYNTAX);
  parse_fails("v=BIMI1;; l=https://x.example/l.svg", BIMI_BIMI_ERROR_SYNTAX);
}

static void
test_record_lps_avp(void)
{
  g_autoptr(BimiBimiRecord) a = parse_ok("v=BIMI1; l=https://example.com/l.svg; lps=Brand-One-, brand-two ;");
  g_autoptr(BimiBimiRecord) b = parse_ok("v=BIMI1; l=https://example.com/l.svg; lps=");
  g_autoptr(BimiBimiRecord) c = parse_ok("v=BIMI1; l=https://example.com/l.svg; avp=banana");
  g_assert_true(a->has_lps);
  g_assert_cmpuint(g_strv_length(a->lps), ==, 2);
  g_assert_cmpstr(a->lps[0], ==, "brand-one-");
  g_assert_cmpstr(a->lps[1], ==, "brand-two");
  g_assert_true(b->has_lps);
  g_assert_cmpuint(g_strv_length(b->lps), ==, 0);
  g_assert_false(c->has_avp);
  g_assert_true(c->avp_invalid);
  g_assert_cmpint(c->avp, ==, BIMI_BIMI_AVP_BRAND);
  g_assert_cmpuint(g_strv_length(c->warnings), ==, 1);
}

static void
test_record_limits(void)
{
  g_autoptr(GString) rec = g_string_new("v=BIMI1; l=https://example.com/");
  g_autoptr(GString) uri = g_string_new("https://example.com/");
  g_autoptr(GString) lps = g_string_new("v=BIMI1; l=https://example.com/l.svg; lps=");
  g_autoptr(GError) error = NULL;

  while (rec->len <= BIMI_BIMI_MAX_RECORD_BYTES)
    g_string_append_c(rec, 'x');
  parse_fails(rec->str, BIMI_BIMI_ERROR_LIMIT);
  while (uri->len <= BIMI_BIMI_MAX_URI_BYTES)
    g_string_append_c(uri, 'x');
  g_assert_false(bimi_bimi_uri_check(uri->str, &error));
  g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_LIMIT);
  g_clear_error(&error);
  g_string_truncate(uri, BIMI_BIMI_MAX_URI_BYTES);
  g_assert_true(bimi_bimi_uri_check(uri->str, &error));
  g_assert_no_error(error);
  for (guint i = 0; i <= BIMI_BIMI_MAX_LPS_PREFIXES; i++)
    g_string_append_printf(lps, "%sp%u", i ? "," : "", i);
  parse_fails(lps->str, BIMI_BIMI_ERROR_LIMIT);
  /* one prefix longer than a DNS label (BIMI_BIMI_MAX_LPS_BYTES) */
  g_string_assign(lps, "v=BIMI1; l=https://example.com/l.svg; lps=");
  for (guint i = 0; i <= BIMI_BIMI_MAX_LPS_BYTES; i++)
    g_string_append_c(lps, 'p');
  parse_fails(lps->str, BIMI_BIMI_ERROR_INVALID);
  g_string_truncate(lps, lps->len - 1);
  {
    g_autoptr(BimiBimiRecord) ok = parse_ok(lps->str);
    g_assert_cmpuint(strlen(ok->lps[0]), ==, BIMI_BIMI_MAX_LPS_BYTES);
  }
}

/* A record "v=bimi1; ..." (lower case) does not count (the version tag is case-sensitive, draft
 * §4.2): discovery says none, and both the reason and the query log say which TXT was found and why. */
static void
test_version_case_explained(void)
{
  static const char zone[] = "default._bimi.lower.example. TXT \"v=bimi1; l=https://lower.example/logo.svg\"\n";
  BimiDnsConfig config = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) r = NULL;
  g_autoptr(BimiBimiResult) res = bimi_bimi_result_new();

  config.offline = TRUE;
  r = bimi_dns_resolver_new(&config, &error);
  g_assert_no_error(error);
  g_assert_true(bimi_dns_resolver_add_zone_data(r, zone, strlen(zone), "lower.zone", NULL, &error));
  g_assert_true(bimi_bimi_discover(r, "default", "lower.example", NULL, NULL, res, &error));
  g_assert_no_error(error);
  g_assert_cmpint(res->code, ==, BIMI_BIMI_RESULT_NONE);
  g_assert_cmpstr(res->reason, ==, "no BIMI record at default._bimi.lower.example; the TXT record "
                  "\"v=bimi1; l=https://lower.example/logo.svg\" at default._bimi.lower.example does not count: "
                  "the version tag must be exactly \"v=BIMI1\" (case-sensitive, draft §4.2)");
  g_assert_cmpuint(res->queries->len, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(res->queries, 0), ==,
                  "default._bimi.lower.example NOERROR (0 matching; TXT \"v=bimi1; l=https://lower.example/logo.svg\" "
                  "does not count: the version must be exactly v=BIMI1, upper case)");
}

/* BIMI_BIMI_MAX_TXT_RECORDS: only that many TXT records at a name are looked
 * at (the resolver does not keep zone order, so count what was kept). */
static void
test_txt_records_limit(void)
{
  g_autoptr(GString) zone = g_string_new(NULL);
  BimiDnsConfig config = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) r = NULL;
  g_autoptr(BimiBimiResult) res = bimi_bimi_result_new();
  g_autofree char *want = g_strdup_printf("default._bimi.many.example NOERROR (%u matching)", BIMI_BIMI_MAX_TXT_RECORDS);

  for (guint i = 0; i < BIMI_BIMI_MAX_TXT_RECORDS + 8; i++)
    g_string_append_printf(zone, "default._bimi.many.example. TXT \"v=BIMI1; l=https://many.example/%u.svg\"\n", i);
  config.offline = TRUE;
  r = bimi_dns_resolver_new(&config, &error);
  g_assert_no_error(error);
  g_assert_true(bimi_dns_resolver_add_zone_data(r, zone->str, zone->len, "many.zone", NULL, &error));
  g_assert_true(bimi_bimi_discover(r, "default", "many.example", NULL, NULL, res, &error));
  g_assert_no_error(error);
  assert_result(res, BIMI_BIMI_RESULT_FAIL, "multiple-records");
  g_assert_cmpstr(g_ptr_array_index(res->queries, 0), ==, want);
}

/* ---- BIMI-Selector ------------------------------------------------------------ */

static void
test_selector_parse(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sel = NULL;
  g_autoptr(GString) big = g_string_new("v=BIMI1; s=");
  g_autoptr(GString) longsel = g_string_new("v=BIMI1; s=");

  g_assert_true(bimi_bimi_selector_parse("v=BIMI1; s=Brand.Promo;", 23, &sel, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(sel, ==, "brand.promo");
  g_clear_pointer(&sel, g_free);
  g_assert_false(bimi_bimi_selector_parse("s=myselector;", 13, &sel, &error));
  g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_NOT_BIMI);
  g_assert_null(sel);
  g_clear_error(&error);
  g_assert_false(bimi_bimi_selector_parse("v=BIMI1;", 8, &sel, &error));
  g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(bimi_bimi_selector_parse("v=BIMI1; s=bad_sel", 18, &sel, &error));
  g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(bimi_bimi_selector_parse("v=BIMI1; s=a..b", 15, &sel, &error));
  g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID);
  g_clear_error(&error);
  /* limits: the header and the selector */
  while (big->len <= BIMI_BIMI_MAX_SELECTOR_HEADER_BYTES)
    g_string_append_c(big, 'a');
  g_assert_false(bimi_bimi_selector_parse(big->str, big->len, &sel, &error));
  g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_LIMIT);
  g_clear_error(&error);
  while (longsel->len <= 11 + BIMI_BIMI_MAX_SELECTOR_BYTES)
    g_string_append(longsel, longsel->len % 10 == 0 ? "." : "a");
  g_assert_false(bimi_bimi_selector_parse(longsel->str, longsel->len, &sel, &error));
  g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_INVALID);
}

static void
test_local_part_selector(void)
{
  const char *prefixes[] = { "brand-indicators-", NULL };
  const char *none[] = { NULL };
  struct {
    const char *in;
    const char *const *prefixes;
    const char *out;
  } cases[] = {
    { "Brand_Indicators.News+tag", prefixes, "brand-indicators-news" },
    { "brand..indicators__news", prefixes, "brand-indicators-news" },
    { "_brand-indicators-x.", prefixes, "brand-indicators-x" },
    { "noreply", prefixes, NULL },
    { "noreply", none, "noreply" },
    { "noreply", NULL, "noreply" },
    { "+only", NULL, NULL },
    { "caf\xc3\xa9", NULL, NULL },
    { "a!b", NULL, NULL },
    { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL }, /* 64 > 63 */
    { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = bimi_bimi_local_part_selector(cases[i].in, cases[i].prefixes);
    g_assert_cmpstr(got, ==, cases[i].out);
  }
}

/* ---- preconditions (spec §1, §4) ------------------------------------------------ */

static void
test_pre_good(void)
{
  g_autoptr(BimiBimiResult) r = run_simple("a@brand.example", "brand.example");
  assert_result(r, BIMI_BIMI_RESULT_PASS, "record-found");
  g_assert_cmpstr(r->record_domain, ==, "brand.example");
  g_assert_cmpstr(r->record_selector, ==, "default");
  g_assert_cmpstr(r->record->evidence, ==, "https://brand.example/vmc.pem");
  g_assert_true(r->gate->ok);
}

static void
test_pre_from(void)
{
  Run run = { "brand.example", BIMI_DKIM_RESULT_PASS, NULL, BIMI_DMARC_MODE_RFC9989, FALSE, NULL };
  g_autoptr(BimiBimiResult) none = run_with("To: u@example.net\r\n\r\nx\r\n", &run);
  g_autoptr(BimiBimiResult) two = run_with("From: a@brand.example\r\nFrom: b@brand.example\r\n\r\nx\r\n", &run);
  g_autoptr(BimiBimiResult) list = run_with("From: a@brand.example, b@brand.example\r\n\r\nx\r\n", &run);
  g_autoptr(BimiBimiResult) bad = run_with("From: <<<\r\n\r\nx\r\n", &run);
  g_autoptr(BimiBimiResult) lit = run_with("From: a@[192.0.2.1]\r\n\r\nx\r\n", &run);
  assert_result(none, BIMI_BIMI_RESULT_SKIPPED, "no-from");
  assert_result(two, BIMI_BIMI_RESULT_SKIPPED, "multiple-from-fields");
  assert_result(list, BIMI_BIMI_RESULT_SKIPPED, "multiple-from-mailboxes");
  assert_result(bad, BIMI_BIMI_RESULT_SKIPPED, "from-invalid");
  assert_result(lit, BIMI_BIMI_RESULT_SKIPPED, "from-no-domain");
  g_assert_cmpuint(two->queries->len, ==, 0); /* no DNS before the preconditions hold */
}

static void
test_pre_dmarc(void)
{
  g_autoptr(BimiBimiResult) unsigned_ = run_simple("a@brand.example", NULL);
  g_autoptr(BimiBimiResult) other = run_simple("a@brand.example", "elsewhere.example");
  Run run = { NULL, BIMI_DKIM_RESULT_PASS, NULL, BIMI_DMARC_MODE_RFC9989, TRUE, NULL };
  g_autoptr(BimiBimiResult) overridden = run_with("From: a@brand.example\r\n\r\nx\r\n", &run);
  assert_result(unsigned_, BIMI_BIMI_RESULT_SKIPPED, "dmarc-not-pass");
  assert_result(other, BIMI_BIMI_RESULT_SKIPPED, "dmarc-not-pass");
  g_assert_cmpstr(other->reason, ==, "message failed DMARC");
  assert_result(overridden, BIMI_BIMI_RESULT_PASS, "record-found"); /* §4 step 5: local policy */
  {
    /* _dmarc.dmarcslow.example times out: DMARC temperror, BIMI not attempted */
    g_autoptr(BimiBimiResult) slow = run_simple("a@dmarcslow.example", "dmarcslow.example");
    assert_result(slow, BIMI_BIMI_RESULT_SKIPPED, "dmarc-temperror");
    g_assert_cmpuint(slow->queries->len, ==, 0);
  }
}

static void
test_pre_gate(void)
{
  struct {
    const char *from;
    const char *dkim;
    const char *code;
  } cases[] = {
    { "a@pnone.example", "pnone.example", "author-p-none" },
    { "a@spnone.example", "spnone.example", "author-sp-none" },
    { "a@pct.example", "pct.example", "author-pct" },
    { "a@rejectpct.example", "rejectpct.example", "author-pct" },
    { "a@testing.example", "testing.example", "author-testing" },
    { "a@sub.orgnone.example", "sub.orgnone.example", "org-p-none" },
    { "a@ghost.npnone.example", "npnone.example", "effective-policy-none" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(BimiBimiResult) r = run_simple(cases[i].from, cases[i].dkim);
    g_test_message("%s", cases[i].from);
    assert_result(r, BIMI_BIMI_RESULT_SKIPPED, cases[i].code);
    g_assert_false(r->gate->ok);
    g_assert_null(r->record);
  }
}

static void
test_pre_gate_options(void)
{
  BimiBimiOptions opts = { TRUE };
  Run run = { "rejectpct.example", BIMI_DKIM_RESULT_PASS, NULL, BIMI_DMARC_MODE_RFC9989, FALSE, &opts };
  g_autoptr(BimiBimiResult) r = run_with("From: a@rejectpct.example\r\n\r\nx\r\n", &run);
  Run q = { "pct.example", BIMI_DKIM_RESULT_PASS, NULL, BIMI_DMARC_MODE_RFC9989, FALSE, &opts };
  g_autoptr(BimiBimiResult) quarantine = run_with("From: a@pct.example\r\n\r\nx\r\n", &q);
  /* RFC 7489 mode: PSL org domain noorg.example has no record */
  Run psl = { "sub.noorg.example", BIMI_DKIM_RESULT_PASS, NULL, BIMI_DMARC_MODE_RFC7489, FALSE, NULL };
  g_autoptr(BimiBimiResult) noorg = run_with("From: a@sub.noorg.example\r\n\r\nx\r\n", &psl);
  assert_result(r, BIMI_BIMI_RESULT_PASS, "record-found");
  g_assert_cmpuint(r->gate->author.pct, ==, 10);
  assert_result(quarantine, BIMI_BIMI_RESULT_SKIPPED, "author-pct");
  assert_result(noorg, BIMI_BIMI_RESULT_SKIPPED, "org-no-record");
}

/* ---- selector (spec §3) ----------------------------------------------------------- */

#define SEL_MSG "From: a@brand.example\r\nBIMI-Selector: v=BIMI1; s=promo;\r\nSubject: x\r\n\r\nbody\r\n"

static void
test_selector_covered(void)
{
  Run run = { "brand.example", BIMI_DKIM_RESULT_PASS, "from:subject:bimi-selector", BIMI_DMARC_MODE_RFC9989,
              FALSE, NULL };
  g_autoptr(BimiBimiResult) r = run_with(SEL_MSG, &run);
  assert_result(r, BIMI_BIMI_RESULT_PASS, "record-found");
  g_assert_cmpint(r->selector_source, ==, BIMI_BIMI_SELECTOR_HEADER);
  g_assert_cmpstr(r->selector, ==, "promo");
  g_assert_cmpstr(r->record_name, ==, "promo._bimi.brand.example");
  g_assert_cmpstr(r->record->location, ==, "https://brand.example/promo.svg"); /* two strings joined */
}

static void
test_selector_not_covered(void)
{
  Run run = { "brand.example", BIMI_DKIM_RESULT_PASS, "from:subject", BIMI_DMARC_MODE_RFC9989, FALSE, NULL };
  g_autoptr(BimiBimiResult) r = run_with(SEL_MSG, &run);
  assert_result(r, BIMI_BIMI_RESULT_PASS, "record-found");
  g_assert_cmpint(r->selector_source, ==, BIMI_BIMI_SELECTOR_DEFAULT);
  g_assert_cmpstr(r->selector, ==, "default");
  g_assert_cmpstr(r->selector_note, ==, "BIMI-Selector ignored: not in h= of the aligned signature d=brand.example");
  g_assert_cmpstr(r->record_name, ==, "default._bimi.brand.example");
}

static void
test_selector_two_headers(void)
{
  Run run = { "brand.example", BIMI_DKIM_RESULT_PASS, "from:bimi-selector:bimi-selector", BIMI_DMARC_MODE_RFC9989,
              FALSE, NULL };
  g_autoptr(BimiBimiResult) r =
    run_with("From: a@brand.example\r\nBIMI-Selector: v=BIMI1; s=promo;\r\nBIMI-Selector: v=BIMI1; s=promo;\r\n\r\nx\r\n",
             &run);
  g_assert_cmpint(r->selector_source, ==, BIMI_BIMI_SELECTOR_DEFAULT);
  g_assert_cmpstr(r->selector_note, ==, "2 BIMI-Selector headers: all ignored");
  g_assert_cmpstr(r->record_name, ==, "default._bimi.brand.example");
}

static void
test_selector_invalid_or_unaligned(void)
{
  Run cov = { "brand.example", BIMI_DKIM_RESULT_PASS, "from:bimi-selector", BIMI_DMARC_MODE_RFC9989, FALSE, NULL };
  g_autoptr(BimiBimiResult) invalid =
    run_with("From: a@brand.example\r\nBIMI-Selector: s=promo;\r\n\r\nx\r\n", &cov);
  /* covered, but by a signature that does not align (DMARC passes via override) */
  Run other = { "elsewhere.example", BIMI_DKIM_RESULT_PASS, "from:bimi-selector", BIMI_DMARC_MODE_RFC9989, TRUE,
                NULL };
  g_autoptr(BimiBimiResult) unaligned = run_with(SEL_MSG, &other);
  g_assert_cmpint(invalid->selector_source, ==, BIMI_BIMI_SELECTOR_DEFAULT);
  g_assert_true(g_str_has_prefix(invalid->selector_note, "BIMI-Selector ignored: BIMI-Selector does not start"));
  g_assert_cmpint(unaligned->selector_source, ==, BIMI_BIMI_SELECTOR_DEFAULT);
  g_assert_cmpstr(unaligned->selector_note, ==, "BIMI-Selector ignored: no passing DMARC-aligned DKIM signature");
}

/* ---- discovery (spec §3) ------------------------------------------------------------ */

/* One evaluation asks each "_dmarc" name once, and BIMI's gate asks none of its own: it reads the records
 * the DMARC evaluation found (issue 14). The resolver counts every question. */
static void
test_gate_uses_dmarc_records(void)
{
  static const BimiDmarcMode modes[] = { BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_MODE_RFC7489 };

  for (gsize m = 0; m < G_N_ELEMENTS(modes); m++) {
    g_autoptr(BimiDnsResolver) resolver = zone_resolver();
    g_autoptr(GError) error = NULL;
    const char *text = "From: news@mail.brand.example\r\nTo: u@example.net\r\nSubject: hi\r\n\r\nbody\r\n";
    g_autoptr(GBytes) raw = g_bytes_new_static(text, strlen(text));
    g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
    g_autoptr(GPtrArray) sigs = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_dkim_signature_free);
    g_autoptr(BimiDmarcEvaluation) ev = NULL;
    g_autoptr(BimiBimiResult) r = NULL;
    BimiDmarcDkimInput dkim = { "brand.example", BIMI_DMARC_AUTH_PASS };
    BimiDmarcInput input = { 0 };
    BimiDmarcOptions options = { .mode = modes[m] };
    BimiBimiInput bin = { 0 };
    guint dmarc_queries = 0, after_dmarc;

    g_assert_no_error(error);
    g_ptr_array_add(sigs, fake_sig("brand.example", BIMI_DKIM_RESULT_PASS, "from:to:subject"));
    input.author_domain = "mail.brand.example";
    input.dkim = &dkim;
    input.n_dkim = 1;
    bimi_dns_resolver_count_queries(resolver);
    ev = bimi_dmarc_evaluate(resolver, &options, &input, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
    after_dmarc = bimi_dns_resolver_get_query_count(resolver, NULL);
    bin.message = msg;
    bin.dmarc = ev;
    bin.dkim = sigs;
    r = bimi_bimi_evaluate(resolver, NULL, &bin, &error);
    g_assert_no_error(error);
    assert_result(r, BIMI_BIMI_RESULT_PASS, "record-found");
    g_assert_true(r->gate->ok);
    g_assert_false(r->gate->author.found);       /* no _dmarc.mail.brand.example: sp of the org applies */
    g_assert_cmpstr(r->gate->org.domain, ==, "brand.example");
    g_assert_true(r->gate->org.found);
    g_assert_cmpint(r->gate->org.sp, ==, BIMI_DMARC_POLICY_QUARANTINE);
    /* each "_dmarc" name once in the whole evaluation, all of them asked by DMARC */
    for (guint i = 0; i < ev->queries->len; i++) {
      const char *name = g_ptr_array_index(ev->queries, i);
      g_assert_cmpuint(bimi_dns_resolver_get_query_count(resolver, name), ==, 1);
      dmarc_queries++;
    }
    g_assert_cmpuint(bimi_dns_resolver_get_query_count(resolver, "_dmarc.mail.brand.example"), ==, 1);
    g_assert_cmpuint(bimi_dns_resolver_get_query_count(resolver, "_dmarc.brand.example"), ==, 1);
    /* BIMI asked only its own names: default._bimi.mail.brand.example, then the org's */
    g_assert_cmpuint(bimi_dns_resolver_get_query_count(resolver, NULL) - after_dmarc, ==, 2);
    g_assert_cmpuint(r->queries->len, ==, 2);
    for (guint i = 0; i < r->queries->len; i++)
      g_assert_false(g_str_has_prefix(g_ptr_array_index(r->queries, i), "_dmarc."));
    g_test_message("%s: %u DNS queries in all, %u of them _dmarc (DMARC's), %u by BIMI",
                   bimi_dmarc_mode_to_string(modes[m]), bimi_dns_resolver_get_query_count(resolver, NULL),
                   dmarc_queries, bimi_dns_resolver_get_query_count(resolver, NULL) - after_dmarc);
  }
}

static void
test_discovery_org_fallback(void)
{
  g_autoptr(BimiBimiResult) r = run_simple("news@mail.brand.example", "brand.example");
  assert_result(r, BIMI_BIMI_RESULT_PASS, "record-found");
  g_assert_true(r->org_fallback);
  g_assert_cmpstr(r->record_domain, ==, "brand.example");
  g_assert_cmpstr(r->org_domain, ==, "brand.example");
  g_assert_cmpuint(r->queries->len, >=, 2);
  g_assert_true(g_str_has_prefix(g_ptr_array_index(r->queries, r->queries->len - 2),
                                 "default._bimi.mail.brand.example NXDOMAIN"));
}

static void
test_discovery_same_selector(void)
{
  /* A custom selector missing everywhere does not fall back to "default" (spec §3 Decision). */
  g_autoptr(BimiDnsResolver) resolver = zone_resolver();
  g_autoptr(BimiBimiResult) r = bimi_bimi_result_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(bimi_bimi_discover(resolver, "missing", "mail.brand.example", "brand.example", NULL, r, &error));
  g_assert_no_error(error);
  assert_result(r, BIMI_BIMI_RESULT_NONE, "no-record");
  g_assert_cmpuint(r->queries->len, ==, 2);
  g_assert_cmpstr(r->reason, ==,
                  "no BIMI record at missing._bimi.mail.brand.example nor missing._bimi.brand.example");
}

static void
test_discovery_declined(void)
{
  g_autoptr(BimiBimiResult) r = run_simple("a@optout.brand.example", "brand.example");
  assert_result(r, BIMI_BIMI_RESULT_DECLINED, "declined");
  g_assert_false(r->org_fallback); /* the declination stops the fallback */
  g_assert_cmpstr(r->record_domain, ==, "optout.brand.example");
}

static void
test_discovery_noise_multi_cname_invalid(void)
{
  g_autoptr(BimiBimiResult) noise = run_simple("a@noise.brand.example", "brand.example");
  g_autoptr(BimiBimiResult) multi = run_simple("a@multi.example", "multi.example");
  g_autoptr(BimiBimiResult) cname = run_simple("a@cname.example", "cname.example");
  g_autoptr(BimiBimiResult) bad = run_simple("a@badrecord.example", "badrecord.example");
  /* non-BIMI TXT (and v=bimi1) at the subdomain discarded: org record used */
  assert_result(noise, BIMI_BIMI_RESULT_PASS, "record-found");
  g_assert_true(noise->org_fallback);
  assert_result(multi, BIMI_BIMI_RESULT_FAIL, "multiple-records");
  assert_result(cname, BIMI_BIMI_RESULT_PASS, "record-found");
  g_assert_cmpstr(cname->canonical_name, ==, "bimi.hosting.example");
  g_assert_cmpstr(cname->record_domain, ==, "cname.example");
  assert_result(bad, BIMI_BIMI_RESULT_FAIL, "invalid-record");
  g_assert_cmpstr(bad->record_text, ==, "v=BIMI1; l=http://badrecord.example/logo.svg");
}

static void
test_discovery_temperror(void)
{
  g_autoptr(BimiBimiResult) r = run_simple("a@slow.example", "slow.example");
  assert_result(r, BIMI_BIMI_RESULT_TEMPERROR, "dns-temperror");
  g_assert_cmpstr(r->reason, ==, "DNS temperror at default._bimi.slow.example: timeout");
}

static void
test_discovery_lps(void)
{
  g_autoptr(BimiBimiResult) match = run_simple("Brand_Indicators.News+x@lps.example", "lps.example");
  g_autoptr(BimiBimiResult) nomatch = run_simple("noreply@lps.example", "lps.example");
  assert_result(match, BIMI_BIMI_RESULT_PASS, "record-found");
  g_assert_true(match->lps_used);
  g_assert_cmpstr(match->record_selector, ==, "brand-indicators-news");
  g_assert_cmpstr(match->record->location, ==, "https://lps.example/news.svg");
  /* the original record (a declination) stays */
  assert_result(nomatch, BIMI_BIMI_RESULT_DECLINED, "declined");
  g_assert_false(nomatch->lps_used);
}

/* ---- output (spec §9) ------------------------------------------------------------------ */

static void
test_output_authres(void)
{
  g_autoptr(BimiBimiResult) pass = run_simple("a@brand.example", "brand.example");
  g_autoptr(BimiBimiResult) skipped = run_simple("a@brand.example", NULL);
  g_autoptr(BimiAuthres) ar = bimi_authres_new("mx.example.net");
  g_autoptr(BimiAuthres) ar2 = bimi_authres_new("mx.example.net");
  g_autofree char *text = NULL, *text2 = NULL;

  pass->authority = BIMI_BIMI_AUTHORITY_PASS;
  bimi_bimi_result_add_authres(pass, ar);
  text = bimi_authres_to_string(ar);
  g_assert_cmpstr(text, ==,
                  "mx.example.net; bimi=pass header.d=brand.example header.selector=default policy.authority=pass "
                  "policy.authority-uri=\"https://brand.example/vmc.pem\" "
                  "policy.indicator-uri=\"https://brand.example/logo.svg\" policy.logo-preference=brand");
  bimi_bimi_result_add_authres(skipped, ar2);
  text2 = bimi_authres_to_string(ar2);
  g_assert_cmpstr(text2, ==, "mx.example.net; bimi=skipped reason=\"message failed DMARC\"");
}

static void
test_output_location(void)
{
  g_autoptr(BimiBimiResult) pass = run_simple("a@brand.example", "brand.example");
  g_autoptr(BimiBimiResult) skipped = run_simple("a@brand.example", NULL);
  g_autofree char *l = bimi_bimi_location_header_value(pass, FALSE);
  g_autofree char *a = bimi_bimi_location_header_value(pass, TRUE);
  g_autofree char *none = bimi_bimi_location_header_value(skipped, FALSE);
  g_assert_cmpstr(l, ==, "v=BIMI1; l=https://brand.example/logo.svg");
  g_assert_cmpstr(a, ==, "v=BIMI1; a=https://brand.example/vmc.pem");
  g_assert_null(none);
  bimi_bimi_result_set(pass, BIMI_BIMI_RESULT_FAIL, BIMI_BIMI_REASON_INDICATOR, "Invalid SVG");
  g_assert_cmpint(pass->code, ==, BIMI_BIMI_RESULT_FAIL);
  g_assert_cmpint(pass->reason_id, ==, BIMI_BIMI_REASON_INDICATOR);
  g_assert_cmpstr(pass->reason_code, ==, "indicator");
  g_assert_cmpstr(pass->reason, ==, "Invalid SVG");
  g_clear_pointer(&l, g_free);
  l = bimi_bimi_location_header_value(pass, FALSE);
  g_assert_null(l); /* MUST NOT be added when validation failed */
}

static void
test_output_indicator(void)
{
  g_autoptr(GString) svg = g_string_new("<svg>");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  g_autofree char *joined = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree guchar *decoded = NULL;
  gsize dlen = 0;
  char *zeros;

  while (svg->len < 1000)
    g_string_append(svg, "<path d=\"M0 0h10v10z\"/>");
  bytes = g_bytes_new(svg->str, svg->len);
  value = bimi_bimi_indicator_header_value(bytes, &error);
  g_assert_no_error(error);
  lines = g_strsplit(value, "\r\n", -1);
  g_assert_cmpuint(strlen(lines[0]), ==, BIMI_BIMI_INDICATOR_FIRST_LINE_CHARS);
  for (guint i = 1; lines[i] != NULL; i++) {
    g_assert_true(lines[i][0] == ' ');
    g_assert_cmpuint(strlen(lines[i]), <=, 1 + BIMI_BIMI_INDICATOR_LINE_CHARS);
    g_assert_cmpuint(strlen(lines[i]), <=, 78);
  }
  g_assert_cmpuint(16 + strlen(lines[0]), <=, 78);
  {
    GString *clean = g_string_new(lines[0]);
    for (guint i = 1; lines[i] != NULL; i++)
      g_string_append(clean, lines[i] + 1); /* drop the folding SP */
    joined = g_string_free(clean, FALSE);
  }
  decoded = g_base64_decode(joined, &dlen);
  g_assert_cmpmem(decoded, dlen, svg->str, svg->len);
  zeros = g_malloc0(BIMI_SVG_MAX_BYTES + 1);
  big = g_bytes_new_take(zeros, BIMI_SVG_MAX_BYTES + 1);
  g_assert_null(bimi_bimi_indicator_header_value(big, &error));
  g_assert_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_LIMIT);
}

static void
test_output_json(void)
{
  g_autoptr(BimiBimiResult) r = run_simple("news@mail.brand.example", "brand.example");
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  g_autoptr(JsonNode) root = NULL;
  JsonObject *o, *rec, *gate;

  bimi_bimi_result_build_json(r, b);
  root = bimi_json_writer_get_node(b);
  o = json_node_get_object(root);
  g_assert_cmpstr(json_object_get_string_member(o, "result"), ==, "pass");
  rec = json_object_get_object_member(o, "record");
  g_assert_cmpstr(json_object_get_string_member(rec, "domain"), ==, "brand.example");
  g_assert_true(json_object_get_boolean_member(rec, "org_fallback"));
  g_assert_cmpstr(json_object_get_string_member(rec, "a"), ==, "https://brand.example/vmc.pem");
  gate = json_object_get_object_member(o, "gate");
  g_assert_true(json_object_get_boolean_member(gate, "ok"));
  g_assert_false(json_object_get_boolean_member(json_object_get_object_member(gate, "author"), "found"));
  g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(gate, "org"), "p"), ==, "reject");
  g_assert_cmpstr(json_object_get_string_member(gate, "effective_policy"), ==, "quarantine");
}

static void
test_output_receiver_headers(void)
{
  g_assert_true(bimi_bimi_is_receiver_header("BIMI-Location", 13));
  g_assert_true(bimi_bimi_is_receiver_header("bimi-indicator", 14));
  g_assert_true(bimi_bimi_is_receiver_header("BIMI-LOGO-PREFERENCE", 20));
  g_assert_false(bimi_bimi_is_receiver_header("BIMI-Selector", 13)); /* sender-set, DKIM-covered */
  g_assert_false(bimi_bimi_is_receiver_header("BIMI-Locations", 14));
  g_assert_false(bimi_bimi_is_receiver_header("BIMI-Location", 12));
}

/* bimi_bimi_result_new_for_domain(): the Organizational Domain DMARC found,
 * else the PSL's, else the domain itself; the selector's source. */
static void
test_result_new_for_domain(void)
{
  g_autoptr(BimiDmarcEvaluation) dmarc = g_new0(BimiDmarcEvaluation, 1);

  g_autoptr(BimiBimiResult) alone = bimi_bimi_result_new_for_domain("mail.example.com", "default", dmarc);
  g_assert_cmpstr(alone->author_domain, ==, "mail.example.com");
  g_assert_cmpstr(alone->org_domain, ==, "mail.example.com");
  g_assert_cmpstr(alone->selector, ==, "default");
  g_assert_cmpint(alone->selector_source, ==, BIMI_BIMI_SELECTOR_DEFAULT);
  g_assert_cmpint(alone->code, ==, BIMI_BIMI_RESULT_NONE);

  dmarc->org_domain_psl = g_strdup("example.com");
  g_autoptr(BimiBimiResult) psl = bimi_bimi_result_new_for_domain("mail.example.com", "brand", dmarc);
  g_assert_cmpstr(psl->org_domain, ==, "example.com");
  g_assert_cmpstr(psl->selector, ==, "brand");
  g_assert_cmpint(psl->selector_source, ==, BIMI_BIMI_SELECTOR_ARGUMENT);

  dmarc->org_domain = g_strdup("mail.example.com");
  g_autoptr(BimiBimiResult) walk = bimi_bimi_result_new_for_domain("a.mail.example.com", "default", dmarc);
  g_assert_cmpstr(walk->org_domain, ==, "mail.example.com");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/bimi/result/new-for-domain", test_result_new_for_domain);
  g_test_add_func("/bimi/record/full", test_record_full);
  g_test_add_func("/bimi/record/declined", test_record_declined);
  g_test_add_func("/bimi/record/errors", test_record_errors);
  g_test_add_func("/bimi/record/image-suffix", test_record_image_suffix);
  g_test_add_func("/bimi/record/empty-tag-spec", test_record_empty_tag_spec);
  g_test_add_func("/bimi/record/lps-avp", test_record_lps_avp);
  g_test_add_func("/bimi/record/limits", test_record_limits);
  g_test_add_func("/bimi/record/txt-records-limit", test_txt_records_limit);
  g_test_add_func("/bimi/selector/parse", test_selector_parse);
  g_test_add_func("/bimi/selector/local-part", test_local_part_selector);
  g_test_add_func("/bimi/reason/names", test_reason_names);
  g_test_add_func("/bimi/precondition/good", test_pre_good);
  g_test_add_func("/bimi/precondition/from", test_pre_from);
  g_test_add_func("/bimi/precondition/dmarc-pass", test_pre_dmarc);
  g_test_add_func("/bimi/precondition/enforcement", test_pre_gate);
  g_test_add_func("/bimi/precondition/options-and-org-record", test_pre_gate_options);
  g_test_add_func("/bimi/selector/covered", test_selector_covered);
  g_test_add_func("/bimi/selector/not-covered", test_selector_not_covered);
  g_test_add_func("/bimi/selector/two-headers", test_selector_two_headers);
  g_test_add_func("/bimi/selector/invalid-or-unaligned", test_selector_invalid_or_unaligned);
  g_test_add_func("/bimi/discovery/org-fallback", test_discovery_org_fallback);
  g_test_add_func("/bimi/gate/uses-dmarc-records", test_gate_uses_dmarc_records);
  g_test_add_func("/bimi/discovery/same-selector", test_discovery_same_selector);
  g_test_add_func("/bimi/discovery/declined", test_discovery_declined);
  g_test_add_func("/bimi/discovery/noise-multi-cname-invalid", test_discovery_noise_multi_cname_invalid);
  g_test_add_func("/bimi/discovery/temperror", test_discovery_temperror);
  g_test_add_func("/bimi/discovery/lps", test_discovery_lps);
  g_test_add_func("/bimi/output/authres", test_output_authres);
  g_test_add_func("/bimi/output/location", test_output_location);
  g_test_add_func("/bimi/output/indicator", test_output_indicator);
  g_test_add_func("/bimi/output/json", test_output_json);
  g_test_add_func("/bimi/output/receiver-headers", test_output_receiver_headers);
  g_test_add_func("/bimi/discover/version-case-explained", test_version_case_explained);
  return g_test_run();
}
