/* tests/test-authres-trust.c — which Authentication-Results may be trusted as our own.
 *
 * The messages of fixtures/authres-trust/ (signed by dkimpy, see generate.py
 * and manifest.tsv) are verified through engine/dkim with the zone file on the
 * offline resolver — the production path — and then given to
 * bimi_authres_trusted_own() under the settings of [auth]:
 * authserv_id = mx.example.net, own_signing_domain = example.net,
 * mta_strips_authres. Our A-R and the sender's forged one differ in their
 * dmarc= result and in header.b, so each test knows which one it got.
 */
#include "engine/authres-trust.h"
#include "engine/dkim.h"
#include "engine/dns.h"
#include "engine/limits.h"

#include <string.h>

#define NOW 1700000100
#define ID "mx.example.net"
#define OWN "example.net"

static BimiDnsResolver *resolver;

typedef struct {
  BimiMessage *msg;
  GPtrArray *sigs;
} Case;

static void
case_clear(Case *c)
{
  g_clear_pointer(&c->msg, bimi_message_free);
  g_clear_pointer(&c->sigs, g_ptr_array_unref);
}

static Case
load_text(const char *text, gsize len)
{
  g_autoptr(GBytes) raw = g_bytes_new(text, len);
  g_autoptr(GError) error = NULL;
  Case c = { 0 };
  c.msg = bimi_message_parse(raw, &error);
  g_assert_no_error(error);
  BimiDkimOptions o = { .now = NOW, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = resolver };
  c.sigs = bimi_dkim_verify(c.msg, &o, &error);
  g_assert_no_error(error);
  return c;
}

static Case
load(const char *name)
{
  g_autofree char *path = g_strdup_printf("fixtures/authres-trust/%s.eml", name);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &text, &len, NULL));
  return load_text(text, len);
}

static void
assert_sig(const Case *c, guint i, const char *domain, BimiDkimResult result)
{
  g_assert_cmpuint(i, <, c->sigs->len);
  const BimiDkimSignature *s = c->sigs->pdata[i];
  g_assert_cmpstr(s->domain, ==, domain);
  if (s->result != result)
    g_error("signature %u d=%s: %s (%s)", i, domain, bimi_dkim_result_to_string(s->result), s->reason);
}

/* Trusted: returns the dmarc= result of the A-R it got, checks header.b. */
static void
assert_trusted(const Case *c, const char *authserv_id, const char *own, gboolean strips, const char *dmarc,
               const char *why)
{
  g_autofree char *out_why = NULL;
  g_autoptr(BimiAuthres) ar = bimi_authres_trusted_own(c->msg, authserv_id, own, strips, c->sigs, &out_why);
  if (ar == NULL)
    g_error("not trusted: %s", out_why);
  g_assert_cmpstr(ar->authserv_id, ==, authserv_id[0] == 'M' ? "mx.example.net" : authserv_id);
  const BimiAuthresResult *r = bimi_authres_find_result(ar, "dmarc");
  g_assert_nonnull(r);
  g_assert_cmpstr(r->result, ==, dmarc);
  if (strstr(out_why, why) == NULL)
    g_error("why \"%s\" lacks \"%s\"", out_why, why);
}

static void
assert_untrusted(const Case *c, const char *authserv_id, const char *own, gboolean strips, const char *why)
{
  g_autofree char *out_why = NULL;
  g_autoptr(BimiAuthres) ar = bimi_authres_trusted_own(c->msg, authserv_id, own, strips, c->sigs, &out_why);
  g_assert_null(ar);
  g_assert_nonnull(out_why);
  if (strstr(out_why, why) == NULL)
    g_error("why \"%s\" lacks \"%s\"", out_why, why);
}

static void
test_covered(void)
{
  Case c = load("covered");
  assert_sig(&c, 0, "example.net", BIMI_DKIM_RESULT_PASS);
  assert_sig(&c, 1, "brand.example", BIMI_DKIM_RESULT_PASS);
  assert_trusted(&c, ID, OWN, FALSE, "pass",
                 "the A-R from mx.example.net at line 7 is covered by the passing signature of d=example.net s=inbound (line 1)");
  /* authserv-id and domain compared case-insensitively, root dot ignored. */
  assert_trusted(&c, "MX.Example.NET", "EXAMPLE.net.", FALSE, "pass", "covered");
  /* Both settings: the covered A-R is also the topmost one. */
  assert_trusted(&c, ID, OWN, TRUE, "pass", "covered");
  /* The out_why argument is optional. */
  g_autoptr(BimiAuthres) ar = bimi_authres_trusted_own(c.msg, ID, OWN, FALSE, c.sigs, NULL);
  g_assert_nonnull(ar);
  /* Another signing domain: the sender's signature does not sign A-R. */
  assert_untrusted(&c, ID, "brand.example", FALSE,
                   "not covered by a passing signature of d=brand.example: the passing signature of d=brand.example s=sel "
                   "does not sign any Authentication-Results field");
  assert_untrusted(&c, ID, "other.example", FALSE,
                   "not covered by a passing signature of d=other.example: the message has none");
  /* Without the verification results nothing is covered. */
  g_autofree char *why = NULL;
  g_assert_null(bimi_authres_trusted_own(c.msg, ID, OWN, FALSE, NULL, &why));
  g_assert_cmpstr(why, ==, "not covered by a passing signature of d=example.net: the message has none");
  /* Neither setting: every A-R could be forged. */
  assert_untrusted(&c, ID, NULL, FALSE, "neither own_signing_domain nor mta_strips_authres is set");
  case_clear(&c);
}

/* Changing our A-R after signing breaks our signature: no longer trusted. */
static void
test_tampered(void)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents("fixtures/authres-trust/covered.eml", &text, &len, NULL));
  char *p = strstr(text, "dmarc=pass header.from=brand.example (ours)");
  g_assert_nonnull(p);
  memcpy(p, "dmarc=fail", 10);
  Case c = load_text(text, len);
  assert_sig(&c, 0, "example.net", BIMI_DKIM_RESULT_FAIL);
  assert_sig(&c, 1, "brand.example", BIMI_DKIM_RESULT_PASS);
  assert_untrusted(&c, ID, OWN, FALSE, "not covered by a passing signature of d=example.net: the message has none");
  case_clear(&c);
}

static void
test_forged(void)
{
  /* Forged below ours, our signature over-signs: ours (dmarc=fail) is used. */
  Case c = load("forged-below-oversigned");
  assert_sig(&c, 0, "example.net", BIMI_DKIM_RESULT_PASS);
  assert_sig(&c, 1, "brand.example", BIMI_DKIM_RESULT_PASS);
  assert_trusted(&c, ID, OWN, FALSE, "fail", "at line 8 is covered");
  {
    g_autoptr(BimiAuthres) ar = bimi_authres_trusted_own(c.msg, ID, OWN, FALSE, c.sigs, NULL);
    const BimiAuthresResult *dkim = bimi_authres_find_result(ar, "dkim");
    g_assert_cmpstr(bimi_authres_result_get_property(dkim, "header", "b"), ==, "AAAAAAAA");
  }
  case_clear(&c);

  /* Listed once, h= covers the bottom-most A-R: the sender's. Refused. */
  c = load("forged-below-undersigned");
  assert_sig(&c, 0, "example.net", BIMI_DKIM_RESULT_PASS);
  assert_untrusted(&c, ID, OWN, FALSE,
                   "the passing signature of d=example.net s=inbound lists authentication-results 1 time, which leaves "
                   "our A-R at line 7 below it unsigned: the signed one may be the sender's");
  case_clear(&c);

  /* Only the sender's A-R, signed by the sender (which covers it): ignored. */
  c = load("forged-alone");
  g_assert_cmpuint(c.sigs->len, ==, 1);
  assert_sig(&c, 0, "brand.example", BIMI_DKIM_RESULT_PASS);
  g_assert_true(bimi_dkim_signature_covers_header(c.sigs->pdata[0], "Authentication-Results"));
  assert_untrusted(&c, ID, OWN, FALSE, "not covered by a passing signature of d=example.net: the message has none");
  case_clear(&c);
}

static void
test_added_after_signing(void)
{
  Case c = load("added-after-signing");
  assert_sig(&c, 0, "example.net", BIMI_DKIM_RESULT_PASS);
  assert_untrusted(&c, ID, OWN, FALSE,
                   "the passing signature of d=example.net s=inbound does not sign any Authentication-Results field");
  case_clear(&c);

  /* A second A-R of ours above the signature: the covered one below is used. */
  c = load("added-after-signing-on-top");
  assert_sig(&c, 0, "example.net", BIMI_DKIM_RESULT_PASS);
  assert_trusted(&c, ID, OWN, FALSE, "pass", "the A-R from mx.example.net at line 11 is covered");
  /* ... unless only the topmost may be ours. */
  assert_untrusted(&c, ID, OWN, TRUE,
                   "the A-R covered by the signature of d=example.net (line 11) is not the topmost one");
  assert_trusted(&c, ID, NULL, TRUE, "none", "the topmost A-R (line 1) is from mx.example.net");
  case_clear(&c);
}

static void
test_wrong_authserv_id(void)
{
  Case c = load("wrong-authserv-id");
  assert_sig(&c, 0, "example.net", BIMI_DKIM_RESULT_PASS);
  assert_untrusted(&c, ID, OWN, FALSE, "no A-R from mx.example.net among the 1 Authentication-Results field");
  assert_untrusted(&c, ID, NULL, TRUE, "no A-R from mx.example.net");
  /* The same field is trusted for the authserv-id it names. */
  assert_trusted(&c, "mx.other.example", OWN, FALSE, "pass", "at line 7 is covered");
  /* A suffix or parent of our authserv-id is someone else. */
  assert_untrusted(&c, "other.example", OWN, FALSE, "no A-R from other.example");
  case_clear(&c);
}

static void
test_mta_strips(void)
{
  Case c = load("strips-topmost");
  g_assert_cmpuint(c.sigs->len, ==, 0);
  assert_trusted(&c, ID, NULL, TRUE, "fail", "the topmost A-R (line 1) is from mx.example.net and the MTA strips");
  /* Not stripping and unsigned: both of ours are forgeable. */
  assert_untrusted(&c, ID, OWN, FALSE, "the message has none");
  assert_untrusted(&c, ID, OWN, TRUE, "the message has none");
  case_clear(&c);

  c = load("strips-other-on-top");
  assert_untrusted(&c, ID, NULL, TRUE,
                   "the topmost A-R (line 1) is from filter.example.net, not from mx.example.net");
  assert_trusted(&c, "filter.example.net", NULL, TRUE, "pass", "the topmost A-R (line 1)");
  case_clear(&c);
}

static void
test_unusual(void)
{
  static const char rest[] = "From: a@brand.example\r\nSubject: x\r\n\r\nbody\r\n";
  /* No A-R field at all. */
  g_autofree char *none = g_strdup(rest);
  Case c = load_text(none, strlen(none));
  assert_untrusted(&c, ID, NULL, TRUE, "no A-R from mx.example.net: the message has no Authentication-Results field");
  case_clear(&c);

  /* A topmost A-R that does not parse is nobody's. */
  g_autofree char *bad = g_strconcat("Authentication-Results: mx.example.net\r\n"
                                     "Authentication-Results: mx.example.net; dmarc=pass\r\n", rest, NULL);
  c = load_text(bad, strlen(bad));
  assert_untrusted(&c, ID, NULL, TRUE, "the topmost A-R (line 1) does not parse");
  case_clear(&c);

  /* An authserv-id with bytes worth escaping is escaped in the explanation. */
  g_autofree char *odd = g_strconcat("Authentication-Results: \"mx\\\"x\"; dmarc=pass\r\n"
                                     "Authentication-Results: mx.example.net; dmarc=pass\r\n", rest, NULL);
  c = load_text(odd, strlen(odd));
  assert_untrusted(&c, ID, NULL, TRUE, "is from mx\\\"x, not from");
  case_clear(&c);
}

static void
test_limit(void)
{
  /* BIMI_AUTHRES_TRUST_MAX_FIELDS A-R fields are looked at; one more is refused. */
  GString *s = g_string_new(NULL);
  for (guint k = 0; k < BIMI_AUTHRES_TRUST_MAX_FIELDS; k++)
    g_string_append(s, "Authentication-Results: mx.example.net; dmarc=pass\r\n");
  g_string_append(s, "From: a@brand.example\r\n\r\nbody\r\n");
  Case c = load_text(s->str, s->len);
  assert_trusted(&c, ID, NULL, TRUE, "pass", "the topmost A-R (line 1)");
  case_clear(&c);
  g_string_prepend(s, "Authentication-Results: mx.example.net; dmarc=pass\r\n");
  c = load_text(s->str, s->len);
  assert_untrusted(&c, ID, NULL, TRUE,
                   "65 Authentication-Results fields, more than BIMI_AUTHRES_TRUST_MAX_FIELDS (64)");
  case_clear(&c);
  g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  const char *zones[] = { "fixtures/authres-trust/authres-trust.zone", NULL };
  BimiDnsConfig cfg = { .zone_files = zones };
  g_autoptr(GError) error = NULL;
  resolver = bimi_dns_resolver_new(&cfg, &error);
  g_assert_no_error(error);
  g_test_add_func("/authres-trust/covered", test_covered);
  g_test_add_func("/authres-trust/tampered", test_tampered);
  g_test_add_func("/authres-trust/forged", test_forged);
  g_test_add_func("/authres-trust/added-after-signing", test_added_after_signing);
  g_test_add_func("/authres-trust/wrong-authserv-id", test_wrong_authserv_id);
  g_test_add_func("/authres-trust/mta-strips", test_mta_strips);
  g_test_add_func("/authres-trust/unusual", test_unusual);
  g_test_add_func("/authres-trust/limit", test_limit);
  int rc = g_test_run();
  bimi_dns_resolver_unref(resolver);
  return rc;
}
