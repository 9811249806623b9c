/* tests/test-dmarc.c — engine/dmarc: record parser, helpers, Author Domain,
 * alignment, policy selection, disposition, limits, and the table of exact
 * cases strict/relaxed × SPF/DKIM × Organizational Domain/subdomain ×
 * p/sp/np × RFC 9989/RFC 7489. DNS answers come from the in-memory zone of
 * dmarc-stub.h (same semantics as the upstream DMARC scenarios).
 */
#include "engine/dmarc.h"
#include "tests/lib/data.h"
#include "engine/dmarc-private.h"
#include "engine/limits.h"
#include "dmarc-stub.h"
#include "tests/lib/outcome.h"

#include <string.h>

/* ---- record parser ------------------------------------------------------- */

static BimiDmarcRecord *
parse_ok(const char *text, BimiDmarcMode mode)
{
  g_autoptr(GError) error = NULL;
  BimiDmarcRecord *r = bimi_dmarc_record_parse(text, strlen(text), mode, &error);
  return bimi_test_expect_ok(r, error);
}

static void
parse_fail(const char *text, gsize len, BimiDmarcMode mode, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDmarcRecord) r = bimi_dmarc_record_parse(text, len, mode, &error);
  bimi_test_expect_refused(r, error, BIMI_DMARC_ERROR, code, needle);
}

static gboolean
has_warning(const BimiDmarcRecord *r, const char *needle)
{
  for (guint i = 0; r->warnings[i] != NULL; i++)
    if (strstr(r->warnings[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

/* RFC 7489 Appendix B.2.1-B.2.4 style records, every tag read. */
static void
test_record_full_7489(void)
{
  g_autoptr(BimiDmarcRecord) r = parse_ok(
    "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=r; pct=25; fo=1:d; rf=afrf; ri=3600; "
    "rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; "
    "ruf=mailto:auth-reports@thirdparty.example.net; np=none; psd=y; t=y",
    BIMI_DMARC_MODE_RFC7489);
  g_assert_true(r->has_p);
  g_assert_cmpint(r->p, ==, BIMI_DMARC_POLICY_QUARANTINE);
  g_assert_true(r->has_sp);
  g_assert_cmpint(r->sp, ==, BIMI_DMARC_POLICY_REJECT);
  g_assert_cmpint(r->adkim, ==, BIMI_DMARC_ALIGN_STRICT);
  g_assert_cmpint(r->aspf, ==, BIMI_DMARC_ALIGN_RELAXED);
  g_assert_cmpuint(r->pct, ==, 25);
  g_assert_cmpstr(r->fo, ==, "1:d");
  g_assert_cmpstr(r->rf, ==, "afrf");
  g_assert_cmpuint(r->ri, ==, 3600);
  g_assert_cmpuint(g_strv_length(r->rua), ==, 2);
  g_assert_cmpstr(r->rua[1], ==, "mailto:tld-test@thirdparty.example.net!10m");
  g_assert_cmpuint(g_strv_length(r->ruf), ==, 1);
  /* RFC 9989 tags are unknown in RFC 7489 mode: ignored. */
  g_assert_false(r->has_np);
  g_assert_cmpint(r->psd, ==, BIMI_DMARC_PSD_U);
  g_assert_false(r->testing);
  g_assert_cmpuint(g_strv_length(r->warnings), ==, 0);
}

static void
test_record_full_9989(void)
{
  g_autoptr(BimiDmarcRecord) r = parse_ok(
    "v=DMARC1; p=reject; sp=quarantine; np=none; psd=n; t=y; adkim=r; aspf=s; pct=0; rf=iodef; ri=1; "
    "rua=mailto:d@example.com; fo=s",
    BIMI_DMARC_MODE_RFC9989);
  g_assert_cmpint(r->p, ==, BIMI_DMARC_POLICY_REJECT);
  g_assert_cmpint(r->sp, ==, BIMI_DMARC_POLICY_QUARANTINE);
  g_assert_true(r->has_np);
  g_assert_cmpint(r->np, ==, BIMI_DMARC_POLICY_NONE);
  g_assert_cmpint(r->psd, ==, BIMI_DMARC_PSD_N);
  g_assert_true(r->testing);
  g_assert_cmpint(r->aspf, ==, BIMI_DMARC_ALIGN_STRICT);
  /* pct, rf, ri are gone from RFC 9989 (A.6): ignored, defaults reported. */
  g_assert_cmpuint(r->pct, ==, 100);
  g_assert_null(r->rf);
  g_assert_cmpuint(r->ri, ==, 0);
  g_assert_cmpstr(r->fo, ==, "s");
}

static void
test_record_defaults(void)
{
  g_autoptr(BimiDmarcRecord) r = parse_ok("v=DMARC1", BIMI_DMARC_MODE_RFC7489);
  g_assert_false(r->has_p);
  g_assert_false(r->has_sp);
  g_assert_cmpint(r->adkim, ==, BIMI_DMARC_ALIGN_RELAXED);
  g_assert_cmpint(r->aspf, ==, BIMI_DMARC_ALIGN_RELAXED);
  g_assert_cmpuint(r->pct, ==, 100);
  g_assert_cmpstr(r->fo, ==, "0");
  g_assert_cmpstr(r->rf, ==, "afrf");
  g_assert_cmpuint(r->ri, ==, 86400);
  g_assert_cmpuint(g_strv_length(r->rua), ==, 0);
}

/* RFC 7489 §6.4 / RFC 9989 §4.7: v=DMARC1 first, value case-sensitive, WSP around "=". */
static void
test_record_version(void)
{
  g_autoptr(BimiDmarcRecord) a = parse_ok("v = DMARC1 ;p=none", BIMI_DMARC_MODE_RFC9989);
  g_autoptr(BimiDmarcRecord) b = parse_ok("V=DMARC1; p=none", BIMI_DMARC_MODE_RFC9989);
  g_autoptr(BimiDmarcRecord) c = parse_ok("v=DMARC1;", BIMI_DMARC_MODE_RFC9989);
  g_assert_true(a->has_p);
  g_assert_true(b->has_p);
  g_assert_false(c->has_p);
#define NOT_DMARC(s) parse_fail((s), strlen(s), BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_NOT_DMARC, "v=DMARC1")
  NOT_DMARC("v=dmarc1; p=reject");
  NOT_DMARC("v=DMARC1x; p=reject");
  NOT_DMARC("v=DMARC2; p=reject");
  NOT_DMARC("p=reject; v=DMARC1");
  NOT_DMARC("v=spf1 -all");
  NOT_DMARC("");
  NOT_DMARC("some other txt record");
#undef NOT_DMARC
  parse_fail("v=DMARC1\0; p=none", 17, BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_NOT_DMARC, NULL);
  parse_fail("v=DMARC1; p=no\0ne", 17, BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_SYNTAX, "14");
}

static void
test_record_case_insensitive_values(void)
{
  g_autoptr(BimiDmarcRecord) r = parse_ok("v=DMARC1; P=Reject; ADKIM=S; Sp=QUARANTINE; psd=Y", BIMI_DMARC_MODE_RFC9989);
  g_assert_cmpint(r->p, ==, BIMI_DMARC_POLICY_REJECT);
  g_assert_cmpint(r->sp, ==, BIMI_DMARC_POLICY_QUARANTINE);
  g_assert_cmpint(r->adkim, ==, BIMI_DMARC_ALIGN_STRICT);
  g_assert_cmpint(r->psd, ==, BIMI_DMARC_PSD_Y);
}

/* RFC 7489 §6.3: invalid values fall back to defaults, unknown tags ignored. */
static void
test_record_invalid_values(void)
{
  g_autoptr(BimiDmarcRecord) r = parse_ok(
    "v=DMARC1; p=block; sp=maybe; adkim=x; aspf=; pct=101; ri=-1; fo=2; rua=not a uri, mailto:ok@example.com; "
    "foo=bar; x_custom=1",
    BIMI_DMARC_MODE_RFC7489);
  g_assert_false(r->has_p);
  g_assert_false(r->has_sp);
  g_assert_true(r->sp_invalid);
  g_assert_cmpint(r->adkim, ==, BIMI_DMARC_ALIGN_RELAXED);
  g_assert_cmpuint(r->pct, ==, 100);
  g_assert_cmpuint(r->ri, ==, 86400);
  g_assert_cmpstr(r->fo, ==, "0");
  g_assert_cmpuint(g_strv_length(r->rua), ==, 1);
  g_assert_cmpstr(r->rua[0], ==, "mailto:ok@example.com");
  g_assert_true(has_warning(r, "p: invalid value \"block\" ignored (offset 12)"));
  g_assert_true(has_warning(r, "sp: invalid value"));
  g_assert_true(has_warning(r, "adkim: invalid"));
  g_assert_true(has_warning(r, "aspf: invalid"));
  g_assert_true(has_warning(r, "pct: invalid value \"101\""));
  g_assert_true(has_warning(r, "ri: invalid"));
  g_assert_true(has_warning(r, "fo: invalid"));
  g_assert_true(has_warning(r, "rua: invalid URI \"not a uri\""));
  g_assert_cmpuint(g_strv_length(r->warnings), ==, 8);
}

static void
test_record_syntax(void)
{
  parse_fail("v=DMARC1; p=none; P=reject", 26, BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_SYNTAX,
             "duplicate tag \"P\" at offset 18");
  parse_fail("v=DMARC1; p=none; p=reject", 26, BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_SYNTAX, "p");
  parse_fail("v=DMARC1; v=DMARC1", 18, BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_SYNTAX, NULL);
  parse_fail("v=DMARC1; p=none; 9x=1", 22, BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_SYNTAX, "18");
  parse_fail("v=DMARC1; p=r\xc3\xa9ject", 20, BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_SYNTAX, NULL);
  /* Empty tag-specs are skipped (lenient DMARC). */
  g_autoptr(BimiDmarcRecord) r = parse_ok("v=DMARC1;; ;p=none;", BIMI_DMARC_MODE_RFC9989);
  g_assert_true(r->has_p);
}

/* Limits: BIMI_DMARC_MAX_RECORD_BYTES and BIMI_DMARC_MAX_REPORT_URIS. */
static void
test_record_limits(void)
{
  g_autoptr(GString) big = g_string_new("v=DMARC1; p=none; rua=mailto:a@example.com");
  g_autoptr(GString) many = g_string_new("v=DMARC1; p=none; rua=");
  g_autoptr(BimiDmarcRecord) r = NULL;

  while (big->len < BIMI_DMARC_MAX_RECORD_BYTES)
    g_string_append(big, ",mailto:a@example.com");
  parse_fail(big->str, big->len, BIMI_DMARC_MODE_RFC9989, BIMI_DMARC_ERROR_LIMIT, "exceeds 4096");
  /* exactly at the limit is fine */
  g_string_truncate(big, BIMI_DMARC_MAX_RECORD_BYTES);
  g_autoptr(BimiDmarcRecord) at = NULL;
  {
    g_autoptr(GError) error = NULL;
    at = bimi_dmarc_record_parse(big->str, big->len, BIMI_DMARC_MODE_RFC9989, &error);
    g_assert_no_error(error);
  }
  for (guint i = 0; i < BIMI_DMARC_MAX_REPORT_URIS + 2; i++)
    g_string_append_printf(many, "%smailto:r%u@example.com", i ? ", " : "", i);
  r = parse_ok(many->str, BIMI_DMARC_MODE_RFC9989);
  g_assert_cmpuint(g_strv_length(r->rua), ==, BIMI_DMARC_MAX_REPORT_URIS);
  g_assert_cmpstr(r->rua[0], ==, "mailto:r0@example.com");
  g_assert_true(has_warning(r, "rua: 2 URIs beyond the first 8 ignored"));
}

/* ---- helpers ----------------------------------------------------------- */

static void
test_tree_walk_names(void)
{
  g_auto(GStrv) deep = bimi_dmarc__tree_walk_names("a.b.c.d.e.f.g.h.i.j.k.example.com");
  g_auto(GStrv) eight = bimi_dmarc__tree_walk_names("a.b.c.d.e.f.example.com");
  g_auto(GStrv) short_ = bimi_dmarc__tree_walk_names("mail.example.com");
  g_auto(GStrv) one = bimi_dmarc__tree_walk_names("com");
  const char *const want_deep[] = { "a.b.c.d.e.f.g.h.i.j.k.example.com", "g.h.i.j.k.example.com",
                                    "h.i.j.k.example.com", "i.j.k.example.com", "j.k.example.com",
                                    "k.example.com", "example.com", "com", NULL };
  const char *const want_short[] = { "mail.example.com", "example.com", "com", NULL };

  g_assert_true(g_strv_equal((const char *const *) deep, want_deep));
  g_assert_cmpuint(g_strv_length(deep), ==, BIMI_DMARC_MAX_TREE_WALK_QUERIES);
  /* 8 labels: the domain, then 7 labels and down: 8 queries, no jump needed. */
  g_assert_cmpuint(g_strv_length(eight), ==, 8);
  g_assert_cmpstr(eight[1], ==, "b.c.d.e.f.example.com");
  g_assert_true(g_strv_equal((const char *const *) short_, want_short));
  g_assert_cmpuint(g_strv_length(one), ==, 1);
}

static void
test_normalize_domain(void)
{
  g_autofree char *a = bimi_dmarc__normalize_domain("Mail.Example.COM.");
  g_autofree char *b = bimi_dmarc__normalize_domain("a..b");
  g_autofree char *c = bimi_dmarc__normalize_domain("[192.0.2.1]");
  g_autofree char *d = bimi_dmarc__normalize_domain("");
  g_autofree char *label64 = g_strnfill(64, 'a');
  g_autofree char *e = bimi_dmarc__normalize_domain(label64);
  g_assert_cmpstr(a, ==, "mail.example.com");
  g_assert_null(b);
  g_assert_null(c);
  g_assert_null(d);
  g_assert_null(e);
}

static void
test_strings(void)
{
  BimiDmarcMode m;
  g_assert_true(bimi_dmarc_mode_from_string("RFC7489", &m));
  g_assert_cmpint(m, ==, BIMI_DMARC_MODE_RFC7489);
  g_assert_true(bimi_dmarc_mode_from_string("rfc9989", &m));
  g_assert_cmpint(m, ==, BIMI_DMARC_MODE_RFC9989);
  g_assert_false(bimi_dmarc_mode_from_string("dmarcbis", &m));
  g_assert_cmpstr(bimi_dmarc_mode_to_string(BIMI_DMARC_MODE_RFC9989), ==, "rfc9989");
  g_assert_cmpstr(bimi_dmarc_result_to_string(BIMI_DMARC_RESULT_TEMPERROR), ==, "temperror");
  g_assert_cmpstr(bimi_dmarc_policy_to_string(BIMI_DMARC_POLICY_QUARANTINE), ==, "quarantine");
  g_assert_cmpstr(bimi_dmarc_policy_source_to_string(BIMI_DMARC_POLICY_FROM_NP), ==, "np");
}

static void
test_psl(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = bimi_dmarc_org_domain_psl("mail.example.co.uk", &error);
  g_autofree char *b = bimi_dmarc_org_domain_psl("co.uk", &error);
  g_autofree char *c = bimi_dmarc_org_domain_psl("a.b.giant.bank.example", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(a, ==, "example.co.uk");
  g_assert_null(b);
  g_assert_cmpstr(c, ==, "bank.example");
}

/* ---- Author Domain (RFC 7489 §6.6.1, RFC 9989 §4.2) -------------------- */

static void
author_case(const char *raw, const char *want_domain, const char *want_reason)
{
  g_autoptr(GBytes) bytes = g_bytes_new(raw, strlen(raw));
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = bimi_message_parse(bytes, &error);
  g_autofree char *domain = NULL;
  g_autofree char *reason = NULL;
  g_assert_no_error(error);
  gboolean ok = bimi_dmarc_author_domain(msg, &domain, &reason);
  g_assert_cmpint(ok, ==, want_domain != NULL);
  g_assert_cmpstr(domain, ==, want_domain);
  if (want_reason != NULL && (reason == NULL || strstr(reason, want_reason) == NULL))
    g_error("reason \"%s\" lacks \"%s\"", reason, want_reason);
}

static void
test_author_domain(void)
{
  author_case("From: Joe <joe@Football.Example.COM>\r\nTo: a@b.example\r\n\r\nbody\r\n", "football.example.com", NULL);
  author_case("From: =?utf-8?q?J=C3=B6?= <jo@b\xc3\xbc" "cher.example>\r\n\r\n", "xn--bcher-kva.example", NULL);
  author_case("To: a@b.example\r\n\r\n", NULL, "no From field");
  author_case("From: a@one.example\r\nFrom: b@two.example\r\n\r\n", NULL, "2 From fields");
  author_case("From: a@one.example, b@two.example\r\n\r\n", NULL, "holds 2 mailboxes");
  author_case("From: Undisclosed senders:;\r\n\r\n", NULL, "holds 0 mailboxes");
  author_case("From: root\r\n\r\n", NULL, "no domain");
  author_case("From: user@[192.0.2.1]\r\n\r\n", NULL, "domain literal");
  author_case("From: <<<\r\n\r\n", NULL, "does not parse");
}

/* ---- the evaluator ------------------------------------------------------ */

typedef struct {
  Stub *stub;
  BimiDmarcInput input;
  BimiDmarcDkimInput dkim[4];
  BimiDmarcOptions options;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  (void) data;
  memset(f, 0, sizeof *f);
  f->stub = stub_new();
  f->input.dkim = f->dkim;
  f->options.mode = BIMI_DMARC_MODE_RFC9989;
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_free(f->stub);
}

static BimiDmarcEvaluation *
evaluate(Fixture *f)
{
  g_autoptr(GError) error = NULL;
  BimiDmarcEvaluation *ev = bimi_dmarc__evaluate_with_lookup(stub_lookup, f->stub, &f->options, &f->input, &error);
  return bimi_test_expect_ok(ev, error);
}

static void
add_dkim(Fixture *f, const char *d, BimiDmarcAuthResult result)
{
  g_assert_cmpuint(f->input.n_dkim, <, G_N_ELEMENTS(f->dkim));
  f->dkim[f->input.n_dkim].domain = d;
  f->dkim[f->input.n_dkim].result = result;
  f->input.n_dkim++;
}

static void
assert_queries(const BimiDmarcEvaluation *ev, const char *const *want)
{
  guint n = 0;
  while (want[n] != NULL)
    n++;
  for (guint i = 0; i < ev->queries->len; i++)
    g_test_message("query %u: %s", i, (const char *) g_ptr_array_index(ev->queries, i));
  g_assert_cmpuint(ev->queries->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr(g_ptr_array_index(ev->queries, i), ==, want[i]);
}

/* RFC 7489 §4.1 and RFC 9989 §4.3 both say DMARC uses SPF's result for the
 * MAIL FROM identity only, and both point at RFC 7208 §2.4: with a null
 * MAIL FROM that identity is postmaster@<HELO domain>. So the HELO domain is
 * aligned exactly when the MAIL FROM check (run on postmaster@HELO) passed;
 * the separate HELO-identity check of RFC 7208 §2.3 never counts. Same
 * answer in both modes — pinned here. */
static void
test_spf_helo_identity(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject");
  f->input.author_domain = "example.com";
  for (guint m = 0; m < 2; m++) {
    f->options.mode = m == 0 ? BIMI_DMARC_MODE_RFC9989 : BIMI_DMARC_MODE_RFC7489;
    /* Null MAIL FROM, postmaster@mx.example.com passed: HELO domain aligned (relaxed). */
    f->input.spf_mail_from_domain = NULL;
    f->input.spf_helo_domain = "mx.example.com";
    f->input.spf_mail_from_result = BIMI_DMARC_AUTH_PASS;
    f->input.spf_helo_result = BIMI_DMARC_AUTH_NONE;
    {
      g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
      g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
      g_assert_true(ev->spf_aligned);
      g_assert_true(ev->spf_domain_is_helo);
      g_assert_cmpstr(ev->spf_domain, ==, "mx.example.com");
    }
    /* Only the HELO-identity check passed: not used by DMARC. */
    f->input.spf_mail_from_result = BIMI_DMARC_AUTH_NONE;
    f->input.spf_helo_result = BIMI_DMARC_AUTH_PASS;
    {
      g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
      g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
      g_assert_false(ev->spf_aligned);
    }
    /* A non-null MAIL FROM of another domain: the HELO domain is not looked at. */
    f->input.spf_mail_from_domain = "bounces.esp.example";
    f->input.spf_helo_domain = "example.com";
    f->input.spf_mail_from_result = BIMI_DMARC_AUTH_PASS;
    f->input.spf_helo_result = BIMI_DMARC_AUTH_PASS;
    {
      g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
      g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
      g_assert_false(ev->spf_domain_is_helo);
      g_assert_cmpstr(ev->spf_domain, ==, "bounces.esp.example");
    }
    /* The empty string is the null path too. */
    f->input.spf_mail_from_domain = "";
    {
      g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
      g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
      g_assert_true(ev->spf_domain_is_helo);
    }
  }
}

/* Only passing DKIM signatures align; every signature gets its flag. */
static void
test_dkim_per_signature(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject");
  f->input.author_domain = "news.example.com";
  add_dkim(f, "example.com", BIMI_DMARC_AUTH_FAIL);
  add_dkim(f, "esp.example", BIMI_DMARC_AUTH_PASS);
  add_dkim(f, "Mail.Example.com.", BIMI_DMARC_AUTH_PASS);
  add_dkim(f, "example.com", BIMI_DMARC_AUTH_PASS);
  g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
  g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
  g_assert_true(ev->dkim_aligned);
  g_assert_cmpstr(ev->dkim_aligned_domain, ==, "mail.example.com");
  g_assert_cmpuint(ev->dkim_signature_aligned->len, ==, 4);
  g_assert_false(g_array_index(ev->dkim_signature_aligned, gboolean, 0));
  g_assert_false(g_array_index(ev->dkim_signature_aligned, gboolean, 1));
  g_assert_true(g_array_index(ev->dkim_signature_aligned, gboolean, 2));
  g_assert_true(g_array_index(ev->dkim_signature_aligned, gboolean, 3));
  g_assert_cmpstr(ev->org_domain, ==, "example.com");
  g_assert_false(ev->org_domain_divergence);
}

/* RFC 7489 §6.6.4 / §6.3 pct: an unsampled failing message gets the next
 * lower policy; the sample is a SHA-256 bucket of Message-ID and Date, so
 * the same message always gets the same answer. RFC 9989 ignores pct. */
static void
test_pct_sampling(Fixture *f, gconstpointer data)
{
  static const char date[] = "Mon, 1 Jan 2024 00:00:00 +0000";
  (void) data;
  g_assert_cmpuint(bimi_dmarc__pct_bucket("<a@example.com>", date), ==, 79);
  g_assert_cmpuint(bimi_dmarc__pct_bucket("<b@example.com>", date), ==, 78);
  g_assert_cmpuint(bimi_dmarc__pct_bucket(NULL, NULL), ==, 13);

  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject; pct=79");
  f->input.author_domain = "example.com";
  f->input.message_id = "<a@example.com>";
  f->input.date = date;
  f->options.mode = BIMI_DMARC_MODE_RFC7489;
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_REJECT);
    g_assert_false(ev->pct_sampled);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_QUARANTINE);
  }
  f->input.message_id = "<b@example.com>";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_true(ev->pct_sampled);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_REJECT);
  }
  f->options.mode = BIMI_DMARC_MODE_RFC9989;
  f->input.message_id = "<a@example.com>";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_true(ev->pct_sampled);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_REJECT);
  }
}

static void
test_pct_zero_7489(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=quarantine; pct=0");
  f->input.author_domain = "example.com";
  f->options.mode = BIMI_DMARC_MODE_RFC7489;
  g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
  g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
  g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_QUARANTINE);
  g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_NONE);
}

/* The ARC hook (policy.override=arc): a trusted sealer's pass relaxes the
 * disposition of a failing message, never the result. */
static void
test_arc_override(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject");
  f->input.author_domain = "example.com";
  f->input.arc_trusted_pass = TRUE;
  f->input.arc_sealer = "lists.example.org";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_REJECT);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_NONE);
    g_assert_true(ev->arc_override);
    g_assert_cmpstr(ev->arc_sealer, ==, "lists.example.org");
  }
  f->input.arc_trusted_pass = FALSE;
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_REJECT);
    g_assert_false(ev->arc_override);
    g_assert_null(ev->arc_sealer);
  }
}

static void
test_permerrors(Fixture *f, gconstpointer data)
{
  (void) data;
  f->input.author_domain = NULL;
  f->input.author_domain_error = "2 From fields (exactly one required)";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PERMERROR);
    g_assert_cmpstr(ev->reason, ==, "2 From fields (exactly one required)");
    g_assert_cmpuint(ev->queries->len, ==, 0);
  }
  f->input.author_domain = "bad..example";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PERMERROR);
  }
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject; p=none");
  f->input.author_domain = "example.com";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PERMERROR);
    g_assert_cmpstr(ev->policy_domain, ==, "example.com");
    g_assert_false(ev->has_policy);
    g_assert_nonnull(strstr(ev->reason, "duplicate tag"));
  }
}

static void
test_temperror(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject");
  stub_timeout(f->stub, "_dmarc.mail.example.com");
  f->input.author_domain = "example.com";
  add_dkim(f, "mail.example.com", BIMI_DMARC_AUTH_PASS);
  /* The only candidate's Organizational Domain is hidden by a timeout. */
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_TEMPERROR);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_NONE);
  }
  /* Another identifier aligns: the timeout does not matter. */
  f->input.spf_mail_from_domain = "example.com";
  f->input.spf_mail_from_result = BIMI_DMARC_AUTH_PASS;
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
    g_assert_true(ev->spf_aligned);
    g_assert_false(ev->dkim_aligned);
  }
  /* The Author Domain's own Organizational Domain is hidden (a timeout above
   * the policy record): a relaxed-only identifier gives temperror, an
   * identical one still passes. */
  {
    Stub *other = stub_new();
    BimiDmarcInput in = { 0 };
    BimiDmarcDkimInput d = { "example.com", BIMI_DMARC_AUTH_PASS };
    g_autoptr(GError) error = NULL;
    stub_txt(other, "_dmarc.mail.example.com", "v=DMARC1; p=reject");
    stub_timeout(other, "_dmarc.example.com");
    in.author_domain = "mail.example.com";
    in.dkim = &d;
    in.n_dkim = 1;
    g_autoptr(BimiDmarcEvaluation) ev = bimi_dmarc__evaluate_with_lookup(stub_lookup, other, &f->options, &in, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_TEMPERROR);
    g_assert_null(ev->org_domain);
    g_assert_cmpstr(ev->policy_domain, ==, "mail.example.com");
    d.domain = "mail.example.com";
    g_autoptr(BimiDmarcEvaluation) ev2 = bimi_dmarc__evaluate_with_lookup(stub_lookup, other, &f->options, &in, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ev2->result, ==, BIMI_DMARC_RESULT_PASS);
    stub_free(other);
  }
  /* A policy query that times out: temperror, discovery stops there. */
  f->input.author_domain = "mail.example.com";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    const char *const want[] = { "_dmarc.mail.example.com", NULL };
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_TEMPERROR);
    g_assert_nonnull(strstr(ev->reason, "timeout"));
    g_assert_null(ev->org_domain_tree_walk);
    assert_queries(ev, want);
  }
}

/* RFC 9989 §3.2.13: a timeout in the existence test means "exists" here
 * (sp, the less specific policy), and the reason says so. */
static void
test_np_existence_temperror(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=none");
  stub_timeout(f->stub, "ghost.example.com");
  f->input.author_domain = "ghost.example.com";
  g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
  g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
  g_assert_cmpint(ev->author_domain_exists, ==, -1);
  g_assert_cmpint(ev->policy_source, ==, BIMI_DMARC_POLICY_FROM_SP);
  g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_QUARANTINE);
  g_assert_nonnull(strstr(ev->reason, "existence of the Author Domain unknown"));
  /* every existence query was asked: A, AAAA, MX */
  g_assert_true(g_ptr_array_find_with_equal_func(f->stub->log, "MX ghost.example.com", g_str_equal, NULL));
}

/* np absent: sp, then p, for a non-existent subdomain (RFC 9989 §4.7). */
static void
test_np_defaults(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine");
  stub_txt(f->stub, "_dmarc.example.net", "v=DMARC1; p=reject");
  f->input.author_domain = "ghost.example.com";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->policy_source, ==, BIMI_DMARC_POLICY_FROM_SP);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_QUARANTINE);
    /* no np tag: no existence queries at all */
    g_assert_cmpint(ev->author_domain_exists, ==, -1);
    g_assert_false(g_ptr_array_find_with_equal_func(f->stub->log, "A ghost.example.com", g_str_equal, NULL));
  }
  f->input.author_domain = "ghost.example.net";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->policy_source, ==, BIMI_DMARC_POLICY_FROM_P);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_REJECT);
  }
}

/* RFC 7489 §6.6.3 step 6: an invalid sp is handled like a missing p (p=none
 * when rua is valid, else no DMARC); RFC 9989 just ignores the bad sp. */
static void
test_invalid_sp(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com");
  stub_txt(f->stub, "_dmarc.example.net", "v=DMARC1; p=reject; sp=bogus");
  f->input.author_domain = "example.com";
  f->options.mode = BIMI_DMARC_MODE_RFC7489;
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_true(ev->p_defaulted);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_NONE);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
  }
  f->input.author_domain = "example.net";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_NONE);
    g_assert_false(ev->has_policy);
  }
  f->options.mode = BIMI_DMARC_MODE_RFC9989;
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_REJECT);
  }
}

/* RFC 7489 §6.6.3: Author Domain, then the PSL Organizational Domain only;
 * several records at the Organizational Domain end discovery. */
static void
test_rfc7489_discovery(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.co.uk", "v=DMARC1; p=reject");
  stub_txt(f->stub, "_dmarc.example.co.uk", "v=DMARC1; p=none");
  stub_txt(f->stub, "_dmarc.b.example.co.uk", "v=DMARC1; p=quarantine");
  f->input.author_domain = "a.b.example.co.uk";
  f->options.mode = BIMI_DMARC_MODE_RFC7489;
  g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
  g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_NONE);
  g_assert_nonnull(strstr(ev->reason, "2 DMARC records at _dmarc.example.co.uk"));
  g_assert_cmpstr(ev->org_domain, ==, "example.co.uk");
  g_assert_cmpstr(ev->org_domain_psl, ==, "example.co.uk");
  /* the RFC 9989 walk also ran (divergence check): its records are b.example.co.uk
   * (one) and example.co.uk (two: discarded), so its answer is b.example.co.uk. */
  g_assert_cmpstr(ev->org_domain_tree_walk, ==, "b.example.co.uk");
  g_assert_true(ev->org_domain_divergence);
  /* policy queries first: author, PSL org; then the tree walk (cached names asked once) */
  const char *const want[] = { "_dmarc.a.b.example.co.uk", "_dmarc.example.co.uk", "_dmarc.b.example.co.uk",
                               "_dmarc.co.uk", "_dmarc.uk", NULL };
  assert_queries(ev, want);
}

/* RFC 9989 B.4.3: the PSD's psd=y splits bank.example; PSL and tree walk disagree. */
static void
test_divergence(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.bank.example", "v=DMARC1; p=reject; psd=y; rua=mailto:psd@bank.example");
  stub_txt(f->stub, "_dmarc.giant.bank.example", "v=DMARC1; p=quarantine");
  f->input.author_domain = "mail.giant.bank.example";
  add_dkim(f, "mega.bank.example", BIMI_DMARC_AUTH_PASS);
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpstr(ev->org_domain, ==, "giant.bank.example");
    g_assert_cmpstr(ev->org_domain_tree_walk, ==, "giant.bank.example");
    g_assert_cmpstr(ev->org_domain_psl, ==, "bank.example");
    g_assert_true(ev->org_domain_divergence);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
    g_assert_cmpint(ev->policy_source, ==, BIMI_DMARC_POLICY_FROM_P);
    g_assert_cmpstr(ev->policy_domain, ==, "giant.bank.example");
  }
  /* RFC 7489: the PSL puts both under bank.example: aligned, and the
   * policy of the Organizational Domain bank.example (p, no sp) applies. */
  f->options.mode = BIMI_DMARC_MODE_RFC7489;
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpstr(ev->org_domain, ==, "bank.example");
    g_assert_true(ev->org_domain_divergence);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
    g_assert_cmpstr(ev->policy_domain, ==, "bank.example");
    g_assert_cmpint(ev->policy_source, ==, BIMI_DMARC_POLICY_FROM_P);
  }
}

/* psd=y at the start of the walk does not stop it (RFC 9989 §4.10.2). */
static void
test_psd_y_at_start(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.bank.example", "v=DMARC1; p=reject; psd=y");
  f->input.author_domain = "bank.example";
  g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
  g_assert_cmpstr(ev->org_domain_tree_walk, ==, "bank.example");
  g_assert_cmpint(ev->policy_source, ==, BIMI_DMARC_POLICY_FROM_P);
  g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_REJECT);
}

/* Limits: BIMI_DMARC_MAX_DKIM_INPUTS, and an over-long "_dmarc" name is never asked. */
static void
test_limits(Fixture *f, gconstpointer data)
{
  g_autofree BimiDmarcDkimInput *many = g_new0(BimiDmarcDkimInput, BIMI_DMARC_MAX_DKIM_INPUTS + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) longname = g_string_new(NULL);
  (void) data;

  for (guint i = 0; i <= BIMI_DMARC_MAX_DKIM_INPUTS; i++) {
    many[i].domain = "example.com";
    many[i].result = BIMI_DMARC_AUTH_PASS;
  }
  f->input.author_domain = "example.com";
  f->input.dkim = many;
  f->input.n_dkim = BIMI_DMARC_MAX_DKIM_INPUTS + 1;
  g_assert_null(bimi_dmarc__evaluate_with_lookup(stub_lookup, f->stub, &f->options, &f->input, &error));
  g_assert_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_LIMIT);
  g_clear_error(&error);
  f->input.n_dkim = BIMI_DMARC_MAX_DKIM_INPUTS;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject");
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
  }
  f->input.dkim = f->dkim;
  f->input.n_dkim = 0;
  /* 3 labels of 61 bytes, one of 50, then example.com: 248 bytes, a valid name. */
  for (guint i = 0; i < 4; i++)
    g_string_append_printf(longname, "%s.", i < 3 ? "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                                  : "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  g_string_append(longname, "example.com");
  g_assert_cmpuint(longname->len, ==, 248);
  f->input.author_domain = longname->str;
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    /* _dmarc.<248 bytes> = 255 > 253: not asked; the walk goes on upwards. */
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
    /* 6 labels: the Author Domain is skipped, its 5 ancestors are asked. */
    g_assert_cmpuint(ev->queries->len, ==, 5);
    for (guint i = 0; i < ev->queries->len; i++)
      g_assert_cmpuint(strlen(g_ptr_array_index(ev->queries, i)), <=, 253);
    g_assert_cmpstr(ev->policy_domain, ==, "example.com");
  }
}

/* ---- the table ------------------------------------------------------------
 * Zone: _dmarc.example.com "v=DMARC1; p=reject; sp=quarantine; np=none;
 * adkim=X; aspf=X", sub.example.com has an A record, ghost.example.com does
 * not exist. One identifier passes (SPF MAIL FROM or DKIM d=): the Author
 * Domain itself ("exact") or mail.example.com (same Organizational Domain).
 * Expected: strict aligns only exact; relaxed aligns both. Policy: p for the
 * Organizational Domain example.com; sp for the existing subdomain; for the
 * non-existent one np in RFC 9989 (§4.7, §3.2.13) and sp in RFC 7489 (np is
 * not an RFC 7489 tag). Disposition: none on pass, the policy on fail. */
typedef struct {
  BimiDmarcMode mode;
  char align;
  const char *mech;
  const char *author;
  const char *identifier;
  const char *result;
  const char *policy;
  const char *source;
  const char *disposition;
} TableRow;

static const TableRow table[] = {
  { BIMI_DMARC_MODE_RFC9989, 'r', "spf", "example.com", "example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "spf", "example.com", "mail.example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "spf", "sub.example.com", "sub.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "spf", "sub.example.com", "mail.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "spf", "ghost.example.com", "ghost.example.com", "pass", "none", "np", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "spf", "ghost.example.com", "mail.example.com", "pass", "none", "np", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "dkim", "example.com", "example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "dkim", "example.com", "mail.example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "dkim", "sub.example.com", "sub.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "dkim", "sub.example.com", "mail.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "dkim", "ghost.example.com", "ghost.example.com", "pass", "none", "np", "none" },
  { BIMI_DMARC_MODE_RFC9989, 'r', "dkim", "ghost.example.com", "mail.example.com", "pass", "none", "np", "none" },
  { BIMI_DMARC_MODE_RFC9989, 's', "spf", "example.com", "example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC9989, 's', "spf", "example.com", "mail.example.com", "fail", "reject", "p", "reject" },
  { BIMI_DMARC_MODE_RFC9989, 's', "spf", "sub.example.com", "sub.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC9989, 's', "spf", "sub.example.com", "mail.example.com", "fail", "quarantine", "sp", "quarantine" },
  { BIMI_DMARC_MODE_RFC9989, 's', "spf", "ghost.example.com", "ghost.example.com", "pass", "none", "np", "none" },
  { BIMI_DMARC_MODE_RFC9989, 's', "spf", "ghost.example.com", "mail.example.com", "fail", "none", "np", "none" },
  { BIMI_DMARC_MODE_RFC9989, 's', "dkim", "example.com", "example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC9989, 's', "dkim", "example.com", "mail.example.com", "fail", "reject", "p", "reject" },
  { BIMI_DMARC_MODE_RFC9989, 's', "dkim", "sub.example.com", "sub.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC9989, 's', "dkim", "sub.example.com", "mail.example.com", "fail", "quarantine", "sp", "quarantine" },
  { BIMI_DMARC_MODE_RFC9989, 's', "dkim", "ghost.example.com", "ghost.example.com", "pass", "none", "np", "none" },
  { BIMI_DMARC_MODE_RFC9989, 's', "dkim", "ghost.example.com", "mail.example.com", "fail", "none", "np", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "spf", "example.com", "example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "spf", "example.com", "mail.example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "spf", "sub.example.com", "sub.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "spf", "sub.example.com", "mail.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "spf", "ghost.example.com", "ghost.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "spf", "ghost.example.com", "mail.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "dkim", "example.com", "example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "dkim", "example.com", "mail.example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "dkim", "sub.example.com", "sub.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "dkim", "sub.example.com", "mail.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "dkim", "ghost.example.com", "ghost.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 'r', "dkim", "ghost.example.com", "mail.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 's', "spf", "example.com", "example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC7489, 's', "spf", "example.com", "mail.example.com", "fail", "reject", "p", "reject" },
  { BIMI_DMARC_MODE_RFC7489, 's', "spf", "sub.example.com", "sub.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 's', "spf", "sub.example.com", "mail.example.com", "fail", "quarantine", "sp", "quarantine" },
  { BIMI_DMARC_MODE_RFC7489, 's', "spf", "ghost.example.com", "ghost.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 's', "spf", "ghost.example.com", "mail.example.com", "fail", "quarantine", "sp", "quarantine" },
  { BIMI_DMARC_MODE_RFC7489, 's', "dkim", "example.com", "example.com", "pass", "reject", "p", "none" },
  { BIMI_DMARC_MODE_RFC7489, 's', "dkim", "example.com", "mail.example.com", "fail", "reject", "p", "reject" },
  { BIMI_DMARC_MODE_RFC7489, 's', "dkim", "sub.example.com", "sub.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 's', "dkim", "sub.example.com", "mail.example.com", "fail", "quarantine", "sp", "quarantine" },
  { BIMI_DMARC_MODE_RFC7489, 's', "dkim", "ghost.example.com", "ghost.example.com", "pass", "quarantine", "sp", "none" },
  { BIMI_DMARC_MODE_RFC7489, 's', "dkim", "ghost.example.com", "mail.example.com", "fail", "quarantine", "sp", "quarantine" },
};

/* Shared by the table's rows: each row is evaluated without it, then twice through it (a miss, then
 * a hit of the same text), and every pass must give the same answer (issue 21). */
static BimiDmarcRecordCache *table_cache;

static void
run_table_row_pass(const TableRow *row, BimiDmarcRecordCache *cache)
{
  Stub *stub = stub_new();
  g_autofree char *record = g_strdup_printf("v=DMARC1; p=reject; sp=quarantine; np=none; adkim=%c; aspf=%c",
                                            row->align, row->align);
  BimiDmarcDkimInput dkim = { row->identifier, BIMI_DMARC_AUTH_PASS };
  BimiDmarcInput input = { 0 };
  BimiDmarcOptions options = { .mode = row->mode, .record_cache = cache };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDmarcEvaluation) ev = NULL;

  stub_txt(stub, "_dmarc.example.com", record);
  stub_add(stub, "sub.example.com", BIMI_DNS_TYPE_A, "a", 1);
  input.author_domain = row->author;
  if (strcmp(row->mech, "dkim") == 0) {
    input.dkim = &dkim;
    input.n_dkim = 1;
  } else {
    input.spf_mail_from_domain = row->identifier;
    input.spf_helo_domain = "mx.elsewhere.example";
    input.spf_mail_from_result = BIMI_DMARC_AUTH_PASS;
  }
  ev = bimi_dmarc__evaluate_with_lookup(stub_lookup, stub, &options, &input, &error);
  g_assert_no_error(error);
  g_test_message("%s: %s", bimi_dmarc_result_to_string(ev->result), ev->reason);
  g_assert_cmpstr(bimi_dmarc_result_to_string(ev->result), ==, row->result);
  g_assert_true(ev->has_policy);
  g_assert_cmpstr(bimi_dmarc_policy_to_string(ev->policy), ==, row->policy);
  g_assert_cmpstr(bimi_dmarc_policy_source_to_string(ev->policy_source), ==, row->source);
  g_assert_cmpstr(bimi_dmarc_policy_to_string(ev->disposition), ==, row->disposition);
  g_assert_cmpstr(ev->policy_domain, ==, "example.com");
  g_assert_cmpstr(ev->org_domain, ==, "example.com");
  g_assert_false(ev->org_domain_divergence);
  if (strcmp(row->mech, "dkim") == 0) {
    g_assert_cmpint(ev->dkim_aligned, ==, strcmp(row->result, "pass") == 0);
    g_assert_false(ev->spf_aligned);
  } else {
    g_assert_cmpint(ev->spf_aligned, ==, strcmp(row->result, "pass") == 0);
    g_assert_false(ev->dkim_aligned);
  }
  stub_free(stub);
}

static void
run_table_row(gconstpointer data)
{
  run_table_row_pass(data, NULL);
  run_table_row_pass(data, table_cache);
  run_table_row_pass(data, table_cache);
  g_assert_cmpuint(bimi_dmarc_record_cache_size(table_cache), >=, 1);
}

/* The parsed-record cache (issue 21): a text parses once per mode, every caller gets its own copy,
 * an error comes back the same (domain, code, message) from the cache. */
static void
test_record_cache(void)
{
  g_autoptr(BimiDmarcRecordCache) cache = bimi_dmarc_record_cache_new();
  static const char text[] = "v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.com; pct=50; adkim=x";
  g_autoptr(GError) error = NULL;

  BimiDmarcRecord *first = bimi_dmarc_record_cache_parse(cache, text, strlen(text), BIMI_DMARC_MODE_RFC7489, &error);
  g_assert_no_error(error);
  g_autoptr(BimiDmarcRecord) plain = bimi_dmarc_record_parse(text, strlen(text), BIMI_DMARC_MODE_RFC7489, &error);
  g_assert_no_error(error);
  bimi_dmarc_record_free(first); /* the cache keeps its own */
  g_autoptr(BimiDmarcRecord) again = bimi_dmarc_record_cache_parse(cache, text, strlen(text), BIMI_DMARC_MODE_RFC7489,
                                                                   &error);
  g_assert_no_error(error);
  g_assert_cmpuint(bimi_dmarc_record_cache_size(cache), ==, 1);
  g_assert_cmpint(again->p, ==, plain->p);
  g_assert_cmpuint(again->pct, ==, 50);
  g_assert_cmpuint(again->pct, ==, plain->pct);
  g_assert_cmpstr(again->rf, ==, plain->rf);
  g_assert_cmpstr(again->fo, ==, plain->fo);
  g_assert_cmpuint(g_strv_length(again->rua), ==, 2);
  g_assert_cmpstr(again->rua[1], ==, plain->rua[1]);
  g_assert_cmpuint(g_strv_length(again->warnings), ==, g_strv_length(plain->warnings));
  g_assert_cmpuint(g_strv_length(again->warnings), >=, 1);
  /* the other RFC is another entry, parsed under its own rules */
  g_autoptr(BimiDmarcRecord) other = bimi_dmarc_record_cache_parse(cache, text, strlen(text), BIMI_DMARC_MODE_RFC9989,
                                                                   &error);
  g_assert_no_error(error);
  g_assert_cmpuint(bimi_dmarc_record_cache_size(cache), ==, 2);
  g_assert_null(other->rf);
  /* not DMARC: the same error twice, the second from the cache */
  for (guint i = 0; i < 2; i++) {
    g_assert_null(bimi_dmarc_record_cache_parse(cache, "v=spf1 -all", 11, BIMI_DMARC_MODE_RFC9989, &error));
    g_assert_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_NOT_DMARC);
    g_clear_error(&error);
  }
  g_assert_cmpuint(bimi_dmarc_record_cache_size(cache), ==, 3);
  /* NULL cache: the parser itself */
  g_autoptr(BimiDmarcRecord) direct = bimi_dmarc_record_cache_parse(NULL, text, strlen(text), BIMI_DMARC_MODE_RFC7489,
                                                                    &error);
  g_assert_no_error(error);
  g_assert_cmpuint(direct->pct, ==, 50);
}

/* BIMI_DMARC_RECORD_CACHE_MAX_ENTRIES bounds the cache: one text more and it starts empty again; a text
 * over BIMI_DMARC_MAX_RECORD_BYTES is refused as by the parser and never kept. */
static void
test_record_cache_limit(void)
{
  g_autoptr(BimiDmarcRecordCache) cache = bimi_dmarc_record_cache_new();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i <= BIMI_DMARC_RECORD_CACHE_MAX_ENTRIES; i++) {
    g_autofree char *text = g_strdup_printf("v=DMARC1; p=none; rua=mailto:r%u@example.com", i);
    g_autoptr(BimiDmarcRecord) r = bimi_dmarc_record_cache_parse(cache, text, strlen(text), BIMI_DMARC_MODE_RFC9989,
                                                                 &error);
    g_assert_no_error(error);
    g_assert_nonnull(r);
    g_assert_cmpuint(bimi_dmarc_record_cache_size(cache), ==, i < BIMI_DMARC_RECORD_CACHE_MAX_ENTRIES ? i + 1 : 1);
  }
  g_autofree char *huge = g_strnfill(BIMI_DMARC_MAX_RECORD_BYTES + 1, 'x');
  memcpy(huge, "v=DMARC1; p=none; ", 18);
  g_assert_null(bimi_dmarc_record_cache_parse(cache, huge, strlen(huge), BIMI_DMARC_MODE_RFC9989, &error));
  g_assert_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_LIMIT);
  g_assert_cmpuint(bimi_dmarc_record_cache_size(cache), ==, 1);
}

/* t=y (RFC 9989 §4.7 "t"): the policy reported and applied is one step
 * lower; RFC 7489 does not know t. */
static void
test_testing_mode(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; t=y");
  stub_add(f->stub, "sub.example.com", BIMI_DNS_TYPE_A, "a", 1);
  f->input.author_domain = "example.com";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->requested_policy, ==, BIMI_DMARC_POLICY_REJECT);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_QUARANTINE);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_QUARANTINE);
  }
  f->input.author_domain = "sub.example.com";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_NONE);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_NONE);
  }
  f->options.mode = BIMI_DMARC_MODE_RFC7489;
  f->input.author_domain = "example.com";
  {
    g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_REJECT);
    g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_REJECT);
  }
}

/* The "auth.dmarc" JSON object: every member, exact values. */
static void
test_json(Fixture *f, gconstpointer data)
{
  (void) data;
  stub_txt(f->stub, "_dmarc.bank.example", "v=DMARC1; p=reject; psd=y");
  stub_txt(f->stub, "_dmarc.giant.bank.example",
           "v=DMARC1; p=quarantine; sp=reject; np=reject; t=y; adkim=s; rua=mailto:d@giant.bank.example; fo=x");
  stub_add(f->stub, "mail.giant.bank.example", BIMI_DNS_TYPE_MX, "mx", 2);
  f->input.author_domain = "mail.giant.bank.example";
  f->input.spf_mail_from_domain = NULL;
  f->input.spf_helo_domain = "out.giant.bank.example";
  f->input.spf_mail_from_result = BIMI_DMARC_AUTH_PASS;
  add_dkim(f, "giant.bank.example", BIMI_DMARC_AUTH_PASS);
  g_autoptr(BimiDmarcEvaluation) ev = evaluate(f);
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  bimi_dmarc_evaluation_build_json(ev, b);
  g_autoptr(JsonNode) root = bimi_json_writer_get_node(b);
  g_assert_nonnull(root);
  g_autofree char *text = json_to_string(root, FALSE);
  g_test_message("%s", text);
  g_assert_cmpstr(text, ==,
    "{\"result\":\"pass\",\"reason\":\"SPF aligned with mail.giant.bank.example (policy at _dmarc.giant.bank.example)\","
    "\"mode\":\"rfc9989\",\"author_domain\":\"mail.giant.bank.example\",\"policy_domain\":\"giant.bank.example\","
    "\"policy\":\"quarantine\",\"policy_source\":\"sp\",\"requested_policy\":\"reject\",\"p_defaulted\":false,"
    "\"disposition\":\"none\",\"pct_sampled\":true,\"override\":null,\"arc_sealer\":null,"
    "\"author_domain_exists\":true,\"org_domain\":\"giant.bank.example\",\"org_domain_psl\":\"bank.example\","
    "\"org_domain_tree_walk\":\"giant.bank.example\",\"org_domain_divergence\":true,"
    "\"alignment\":{\"adkim\":\"s\",\"aspf\":\"r\",\"dkim_aligned\":false,\"dkim_domain\":null,"
    "\"dkim_signatures_aligned\":[false],\"spf_aligned\":true,\"spf_domain\":\"out.giant.bank.example\","
    "\"spf_identity\":\"helo\"},"
    "\"record\":{\"p\":\"quarantine\",\"sp\":\"reject\",\"np\":\"reject\",\"psd\":\"u\",\"t\":\"y\","
    "\"adkim\":\"s\",\"aspf\":\"r\",\"rua\":[\"mailto:d@giant.bank.example\"],\"ruf\":[],\"fo\":\"0\","
    "\"warnings\":[\"fo: invalid value \\\"x\\\" ignored (offset 96)\"]},"
    "\"queries\":[\"_dmarc.mail.giant.bank.example\",\"_dmarc.giant.bank.example\",\"_dmarc.bank.example\","
    "\"_dmarc.out.giant.bank.example\"]}");
}

/* End to end through engine/dns and a zone file: the Author Domain of the
 * RFC 8463 A.3 message, fixtures/dmarc/football.zone, DKIM d= as the
 * message's signatures say (verified elsewhere: engine/dkim). */
static void
test_resolver_fixture(void)
{
  const char *dir = bimi_test_upstream_dir();
  g_autofree char *eml = g_build_filename(dir != NULL ? dir : "../shared/upstream", "rfc-dkim-examples",
                                          "rfc8463-appendix-A3.eml", NULL);
  const char *zones[] = { "fixtures/dmarc/football.zone", NULL };
  BimiDnsConfig config = { .zone_files = zones };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) resolver = bimi_dns_resolver_new(&config, &error);
  g_autofree char *raw = NULL;
  gsize len = 0;
  g_autofree char *author = NULL;
  g_autofree char *why = NULL;

  g_assert_no_error(error);
  if (!g_file_get_contents(eml, &raw, &len, &error)) {
    if (g_getenv("BIMI_ALLOW_MISSING_UPSTREAM") != NULL) {
      g_test_skip(error->message);
      return;
    }
    g_error("%s", error->message);
  }
  g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&raw), len);
  g_autoptr(BimiMessage) msg = bimi_message_parse(bytes, &error);
  g_assert_no_error(error);
  g_assert_true(bimi_dmarc_author_domain(msg, &author, &why));
  g_assert_cmpstr(author, ==, "football.example.com");

  BimiDmarcDkimInput dkim[] = { { "football.example.com", BIMI_DMARC_AUTH_PASS },
                                { "football.example.com", BIMI_DMARC_AUTH_PASS } };
  BimiDmarcInput input = { .author_domain = author, .dkim = dkim, .n_dkim = 2,
                           .spf_mail_from_domain = "football.example.com",
                           .spf_mail_from_result = BIMI_DMARC_AUTH_FAIL };
  for (guint m = 0; m < 2; m++) {
    BimiDmarcOptions options = { .mode = m == 0 ? BIMI_DMARC_MODE_RFC9989 : BIMI_DMARC_MODE_RFC7489 };
    g_autoptr(BimiDmarcEvaluation) ev = bimi_dmarc_evaluate(resolver, &options, &input, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
    g_assert_true(ev->dkim_aligned);
    g_assert_false(ev->spf_aligned);
    g_assert_cmpstr(ev->policy_domain, ==, "example.com");
    g_assert_cmpint(ev->policy_source, ==, BIMI_DMARC_POLICY_FROM_SP);
    g_assert_cmpint(ev->policy, ==, BIMI_DMARC_POLICY_QUARANTINE);
    g_assert_cmpstr(ev->org_domain, ==, "example.com");
    g_assert_false(ev->org_domain_divergence);
    /* np is present, so RFC 9989 asked whether football.example.com exists (it has an A) */
    g_assert_cmpint(ev->author_domain_exists, ==, m == 0 ? 1 : -1);
  }
  /* A non-existent subdomain gets np=reject in RFC 9989, sp in RFC 7489. */
  input.author_domain = "ghost.example.com";
  input.n_dkim = 0;
  for (guint m = 0; m < 2; m++) {
    BimiDmarcOptions options = { .mode = m == 0 ? BIMI_DMARC_MODE_RFC9989 : BIMI_DMARC_MODE_RFC7489 };
    g_autoptr(BimiDmarcEvaluation) ev = bimi_dmarc_evaluate(resolver, &options, &input, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_FAIL);
    g_assert_cmpint(ev->disposition, ==, m == 0 ? BIMI_DMARC_POLICY_REJECT : BIMI_DMARC_POLICY_QUARANTINE);
    g_assert_cmpint(ev->policy_source, ==, m == 0 ? BIMI_DMARC_POLICY_FROM_NP : BIMI_DMARC_POLICY_FROM_SP);
  }
}

#define ADD_F(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)

/* Both overrides are DMARC operations with one report shape (issue 14): the ARC relaxation and our own
 * A-R's verdict are recorded as BimiDmarcOverride, and the A-R says what re-verification found. */
static void
test_overrides(void)
{
  g_autoptr(BimiDmarcEvaluation) ev = g_new0(BimiDmarcEvaluation, 1);
  g_autoptr(BimiAuthres) ar = bimi_authres_new("mx.example");
  g_autofree char *text = NULL;
  const BimiDmarcOverride *arc, *own;

  ev->result = BIMI_DMARC_RESULT_FAIL;
  ev->reason = g_strdup("no passing identifier aligned with brand.example");
  ev->author_domain = g_strdup("brand.example");
  ev->has_policy = TRUE;
  ev->policy = ev->disposition = BIMI_DMARC_POLICY_REJECT;
  g_assert_null(bimi_dmarc_evaluation_find_override(ev, BIMI_DMARC_OVERRIDE_ARC));
  g_assert_true(bimi_dmarc_evaluation_apply_arc_override(ev, "forwarder.example"));
  arc = bimi_dmarc_evaluation_find_override(ev, BIMI_DMARC_OVERRIDE_ARC);
  g_assert_nonnull(arc);
  g_assert_cmpstr(arc->by, ==, "forwarder.example");
  g_assert_cmpint(arc->reverified, ==, BIMI_DMARC_RESULT_FAIL);
  g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_NONE);
  bimi_dmarc_evaluation_apply_trusted_authres(ev, BIMI_DMARC_RESULT_PASS, "mx.example");
  own = bimi_dmarc_evaluation_find_override(ev, BIMI_DMARC_OVERRIDE_TRUSTED_AUTHRES);
  g_assert_nonnull(own);
  g_assert_cmpstr(own->by, ==, "mx.example");
  g_assert_cmpint(own->reverified, ==, BIMI_DMARC_RESULT_FAIL);
  g_assert_cmpstr(own->reverified_reason, ==, "no passing identifier aligned with brand.example");
  g_assert_cmpint(ev->result, ==, BIMI_DMARC_RESULT_PASS);
  g_assert_cmpstr(ev->reason, ==, "pass by our own Authentication-Results at delivery");
  g_assert_cmpuint(ev->overrides->len, ==, 2);
  bimi_dmarc_evaluation_add_authres(ev, ar);
  text = bimi_authres_to_string(ar);
  g_assert_nonnull(strstr(text, "dmarc=pass"));
  g_assert_nonnull(strstr(text, "reported by our own Authentication-Results (mx.example); re-verified now: fail"));
  g_assert_nonnull(strstr(text, "policy.override=arc"));
  /* a fail verdict takes the policy's disposition back, unless ARC relaxed it */
  bimi_dmarc_evaluation_apply_trusted_authres(ev, BIMI_DMARC_RESULT_FAIL, "mx.example");
  g_assert_cmpint(ev->disposition, ==, BIMI_DMARC_POLICY_NONE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/dmarc/record/full-rfc7489", test_record_full_7489);
  g_test_add_func("/dmarc/record/full-rfc9989", test_record_full_9989);
  g_test_add_func("/dmarc/record/defaults", test_record_defaults);
  g_test_add_func("/dmarc/record/version", test_record_version);
  g_test_add_func("/dmarc/record/case-insensitive-values", test_record_case_insensitive_values);
  g_test_add_func("/dmarc/record/invalid-values", test_record_invalid_values);
  g_test_add_func("/dmarc/record/syntax", test_record_syntax);
  g_test_add_func("/dmarc/record/limits", test_record_limits);
  g_test_add_func("/dmarc/helpers/tree-walk-names", test_tree_walk_names);
  g_test_add_func("/dmarc/helpers/normalize-domain", test_normalize_domain);
  g_test_add_func("/dmarc/helpers/strings", test_strings);
  g_test_add_func("/dmarc/helpers/psl", test_psl);
  g_test_add_func("/dmarc/author-domain", test_author_domain);
  g_test_add_func("/dmarc/overrides", test_overrides);
  g_test_add_func("/dmarc/record-cache", test_record_cache);
  g_test_add_func("/dmarc/limit/record-cache", test_record_cache_limit);
  ADD_F("/dmarc/eval/spf-helo-identity", test_spf_helo_identity);
  ADD_F("/dmarc/eval/dkim-per-signature", test_dkim_per_signature);
  ADD_F("/dmarc/eval/pct-sampling", test_pct_sampling);
  ADD_F("/dmarc/eval/pct-zero-rfc7489", test_pct_zero_7489);
  ADD_F("/dmarc/eval/arc-override", test_arc_override);
  ADD_F("/dmarc/eval/permerror", test_permerrors);
  ADD_F("/dmarc/eval/temperror", test_temperror);
  ADD_F("/dmarc/eval/np-existence-temperror", test_np_existence_temperror);
  ADD_F("/dmarc/eval/np-defaults", test_np_defaults);
  ADD_F("/dmarc/eval/invalid-sp", test_invalid_sp);
  ADD_F("/dmarc/eval/rfc7489-discovery", test_rfc7489_discovery);
  ADD_F("/dmarc/eval/org-domain-divergence", test_divergence);
  ADD_F("/dmarc/eval/psd-y-at-start", test_psd_y_at_start);
  ADD_F("/dmarc/eval/testing-mode", test_testing_mode);
  ADD_F("/dmarc/eval/limits", test_limits);
  ADD_F("/dmarc/eval/json", test_json);
  g_test_add_func("/dmarc/resolver/rfc8463-football", test_resolver_fixture);
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
    const TableRow *r = &table[i];
    g_autofree char *path = g_strdup_printf("/dmarc/table/%s/%s/%c/%s/%s", bimi_dmarc_mode_to_string(r->mode),
                                            r->mech, r->align, r->author, r->identifier);
    g_test_add_data_func(path, r, run_table_row);
  }
  table_cache = bimi_dmarc_record_cache_new();
  int rc = g_test_run();
  bimi_dmarc_record_cache_free(table_cache);
  return rc;
}
