/* tests/test-authres.c — RFC 8601 Authentication-Results writer and parser. */
#include "engine/authres.h"
#include "engine/limits.h"
#include "tests/lib/data.h"
#include "tests/lib/outcome.h"

#include <string.h>

BIMI_TEST_DEFINE_PARSE_OK(parse_ok, BimiAuthres, bimi_authres_parse)
BIMI_TEST_DEFINE_PARSE_OK(parse_field_ok, BimiAuthres, bimi_authres_parse_field)
BIMI_TEST_DEFINE_PARSE_REFUSED(parse_fail_len, BimiAuthres, bimi_authres_parse, BIMI_AUTHRES_ERROR)

static void
parse_fail(const char *value, const char *needle)
{
  parse_fail_len(value, strlen(value), BIMI_AUTHRES_ERROR_SYNTAX, needle);
}

static const BimiAuthresResult *
result_at(const BimiAuthres *ar, guint i)
{
  g_assert_cmpuint(i, <, ar->results->len);
  return ar->results->pdata[i];
}

static void
assert_result(const BimiAuthresResult *r, const char *method, int version, const char *result,
              const char *reason, guint n_props)
{
  g_assert_cmpstr(r->method, ==, method);
  g_assert_cmpint(r->method_version, ==, version);
  g_assert_cmpstr(r->result, ==, result);
  g_assert_cmpstr(r->reason, ==, reason);
  g_assert_cmpuint(r->properties->len, ==, n_props);
}

static void
assert_prop(const BimiAuthresResult *r, guint i, const char *ptype, const char *name,
            const char *value)
{
  g_assert_cmpuint(i, <, r->properties->len);
  const BimiAuthresProperty *p = r->properties->pdata[i];
  g_assert_cmpstr(p->ptype, ==, ptype);
  g_assert_cmpstr(p->name, ==, name);
  g_assert_cmpstr(p->value, ==, value);
}

/* Write → parse → equal, and the text is stable on a second round. */
static void
assert_roundtrip(const BimiAuthres *ar)
{
  g_autofree char *s = bimi_authres_to_string(ar);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiAuthres) back = bimi_authres_parse(s, strlen(s), &error);
  g_assert_no_error(error);
  if (!bimi_authres_equal(ar, back))
    g_error("round trip changed the structure: \"%s\"", s);
  g_autofree char *s2 = bimi_authres_to_string(back);
  g_assert_cmpstr(s, ==, s2);
}

/* ---- RFC 8601 Appendix B ------------------------------------------------ */

/* Parsing cases as data: each text (a whole field, or a value), what it parses
 * to, whether it makes the write → parse → equal round trip, and (when the text
 * is not already canonical) what it is written back as. The examples of RFC 8601
 * Appendix B come first; the parser's own cases follow below. */
typedef struct {
  const char *ptype, *name, *value;
} PropCase;

typedef struct {
  const char *method;
  int version;
  const char *result, *reason;
  PropCase props[4];  /* ptype NULL ends */
} ResultCase;

typedef struct {
  const char *field;    /* "Authentication-Results: ..." (bimi_authres_parse_field), else a value */
  const char *authserv_id;
  int version;
  guint n_results;
  ResultCase results[2];
  const char *written;  /* bimi_authres_to_string(), or NULL: not asserted */
  gboolean lossy;       /* the writer changes it (ASCII only): no round trip */
} FieldCase;

typedef struct {
  const char *path;
  FieldCase fields[2];  /* field NULL ends */
  void (*more)(void);   /* assertions beyond the table, or NULL */
} ParseCase;

static const ParseCase appendix_b[] = {
  /* B.2: service provided, no authentication done. */
  { "/authres/rfc8601/b2-none",
    { { "Authentication-Results: example.org 1; none", "example.org", 1, 0, { { 0 } }, "example.org 1; none", FALSE } },
    NULL },
  /* B.3: service provided, authentication done. */
  { "/authres/rfc8601/b3-spf",
    { { "Authentication-Results: example.com;\r\n"
        "          spf=pass smtp.mailfrom=example.net",
        "example.com", -1, 1, { { "spf", -1, "pass", NULL, { { "smtp", "mailfrom", "example.net" } } } }, NULL, FALSE } },
    NULL },
  /* B.4: several authentications done, single MTA (two fields). */
  { "/authres/rfc8601/b4-single-mta",
    { { "Authentication-Results: example.com;\r\n"
        "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
        "          spf=pass smtp.mailfrom=example.net",
        "example.com", -1, 2,
        { { "auth", -1, "pass", NULL, { { "smtp", "auth", "sender@example.net" } } },
          { "spf", -1, "pass", NULL, { { "smtp", "mailfrom", "example.net" } } } }, NULL, FALSE },
      { "Authentication-Results: example.com; iprev=pass\r\n"
        "          policy.iprev=192.0.2.200",
        "example.com", -1, 1, { { "iprev", -1, "pass", NULL, { { "policy", "iprev", "192.0.2.200" } } } }, NULL, FALSE } },
    NULL },
  /* B.5: several authentications done, different MTAs. */
  { "/authres/rfc8601/b5-different-mtas",
    { { "Authentication-Results: example.com;\r\n"
        "          dkim=pass (good signature) header.d=example.com",
        "example.com", -1, 1, { { "dkim", -1, "pass", NULL, { { "header", "d", "example.com" } } } }, NULL, FALSE },
      { "Authentication-Results: example.com;\r\n"
        "          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
        "          spf=fail smtp.mailfrom=example.com",
        "example.com", -1, 2,
        { { "auth", -1, "pass", NULL, { { "smtp", "auth", "sender@example.com" } } },
          { "spf", -1, "fail", NULL, { { "smtp", "mailfrom", "example.com" } } } }, NULL, FALSE } },
    NULL },
  /* B.6: multi-tiered authentication, reason= and header.i=@domain. */
  { "/authres/rfc8601/b6-multi-tiered",
    { { "Authentication-Results: example.com;\r\n"
        "      dkim=pass reason=\"good signature\"\r\n"
        "        header.i=@mail-router.example.net;\r\n"
        "      dkim=fail reason=\"bad signature\"\r\n"
        "        header.i=@newyork.example.com",
        "example.com", -1, 2,
        { { "dkim", -1, "pass", "good signature", { { "header", "i", "@mail-router.example.net" } } },
          { "dkim", -1, "fail", "bad signature", { { "header", "i", "@newyork.example.com" } } } },
        "example.com; dkim=pass reason=\"good signature\" header.i=@mail-router.example.net; "
        "dkim=fail reason=\"bad signature\" header.i=@newyork.example.com", FALSE },
      { "Authentication-Results: example.net;\r\n"
        "      dkim=pass (good signature) header.i=@newyork.example.com",
        "example.net", -1, 1, { { "dkim", -1, "pass", NULL, { { "header", "i", "@newyork.example.com" } } } },
        NULL, FALSE } }, NULL },
  /* B.7: comment-heavy example: comments between every token. */
  { "/authres/rfc8601/b7-comment-heavy",
    { { "Authentication-Results: foo.example.net (foobar) 1 (baz);\r\n"
        "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
        "      policy (A dot can go here) . (like that) expired\r\n"
        "      (this surprised me) = (as I wasn't expecting it) 1362471462",
        "foo.example.net", 1, 1, { { "dkim", 1, "fail", NULL, { { "policy", "expired", "1362471462" } } } },
        "foo.example.net 1; dkim/1=fail policy.expired=1362471462", FALSE } }, NULL },
};

static void
test_parse_case_data(gconstpointer data)
{
  const ParseCase *c = data;

  for (guint f = 0; f < G_N_ELEMENTS(c->fields) && c->fields[f].field != NULL; f++) {
    const FieldCase *fc = &c->fields[f];
    g_autoptr(BimiAuthres) ar = g_ascii_strncasecmp(fc->field, "Authentication-Results:", 23) == 0
                                    ? parse_field_ok(fc->field) : parse_ok(fc->field);

    g_assert_cmpstr(ar->authserv_id, ==, fc->authserv_id);
    g_assert_cmpint(ar->version, ==, fc->version);
    g_assert_cmpuint(ar->results->len, ==, fc->n_results);
    for (guint i = 0; i < fc->n_results; i++) {
      const ResultCase *rc = &fc->results[i];
      guint n_props = 0;

      while (n_props < G_N_ELEMENTS(rc->props) && rc->props[n_props].ptype != NULL)
        n_props++;
      assert_result(result_at(ar, i), rc->method, rc->version, rc->result, rc->reason, n_props);
      for (guint p = 0; p < n_props; p++)
        assert_prop(result_at(ar, i), p, rc->props[p].ptype, rc->props[p].name, rc->props[p].value);
    }
    if (!fc->lossy)
      assert_roundtrip(ar);
    if (fc->written != NULL) {
      g_autofree char *s = bimi_authres_to_string(ar);
      g_assert_cmpstr(s, ==, fc->written);
    }
  }
  if (c->more != NULL)
    c->more();
}

/* ---- writing ------------------------------------------------------------ */

static void
test_write_basic(void)
{
  g_autoptr(BimiAuthres) ar = bimi_authres_new("mx.example.org");
  BimiAuthresResult *r = bimi_authres_add_result(ar, "iprev", "pass");
  bimi_authres_result_add_property(r, "policy", "iprev", "192.0.2.1");
  r = bimi_authres_add_result(ar, "spf", "pass");
  bimi_authres_result_add_property(r, "smtp", "mailfrom", "user@example.com");
  r = bimi_authres_add_result(ar, "dkim", "pass");
  bimi_authres_result_set_reason(r, "good signature");
  bimi_authres_result_add_property(r, "header", "d", "example.com");
  bimi_authres_result_add_property(r, "header", "s", "sel1");
  bimi_authres_result_add_property(r, "header", "b", "Qgi/FoC0");
  r = bimi_authres_add_result(ar, "bimi", "pass");
  bimi_authres_result_add_property(r, "header", "d", "example.com");
  bimi_authres_result_add_property(r, "header", "selector", "default");
  bimi_authres_result_add_property(r, "policy", "authority", "pass");

  g_autofree char *s = bimi_authres_to_string(ar);
  g_assert_cmpstr(s, ==,
                  "mx.example.org; iprev=pass policy.iprev=192.0.2.1; "
                  "spf=pass smtp.mailfrom=user@example.com; "
                  "dkim=pass reason=\"good signature\" header.d=example.com header.s=sel1 "
                  "header.b=\"Qgi/FoC0\"; "
                  "bimi=pass header.d=example.com header.selector=default policy.authority=pass");
  g_autofree char *h = bimi_authres_to_header(ar);
  g_assert_cmpstr(h, ==, "Authentication-Results: mx.example.org; iprev=pass policy.iprev=192.0.2.1; "
                  "spf=pass smtp.mailfrom=user@example.com; "
                  "dkim=pass reason=\"good signature\" header.d=example.com header.s=sel1 "
                  "header.b=\"Qgi/FoC0\"; "
                  "bimi=pass header.d=example.com header.selector=default policy.authority=pass");
  assert_roundtrip(ar);

  g_assert_true(bimi_authres_find_result(ar, "DKIM") == ar->results->pdata[2]);
  g_assert_null(bimi_authres_find_result(ar, "arc"));
  g_assert_cmpstr(bimi_authres_result_get_property(bimi_authres_find_result(ar, "bimi"), "Header",
                                                   "selector"),
                  ==, "default");
  g_assert_null(bimi_authres_result_get_property(r, "header", "b"));
}

static void
test_write_none(void)
{
  g_autoptr(BimiAuthres) ar = bimi_authres_new("example.org");
  g_autofree char *s = bimi_authres_to_string(ar);
  g_assert_cmpstr(s, ==, "example.org; none");
  ar->version = 1;
  g_autofree char *v = bimi_authres_to_string(ar);
  g_assert_cmpstr(v, ==, "example.org 1; none");
  assert_roundtrip(ar);
}

static void
test_write_quoting(void)
{
  static const struct {
    const char *value, *written;
  } cases[] = {
    { "example.com", "example.com" },
    { "user@example.com", "user@example.com" },
    { "@example.com", "@example.com" },
    { "first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk" },
    { "SRS0=ab=cd=example.com=user@srs.example.net", "SRS0=ab=cd=example.com=user@srs.example.net" },
    { "2001:db8::1", "\"2001:db8::1\"" },
    { "Qgi/FoC0", "\"Qgi/FoC0\"" },
    { "", "\"\"" },
    { "two words", "\"two words\"" },
    { "a\"b\\c", "\"a\\\"b\\\\c\"" },
    { "user@localhost", "\"user@localhost\"" },
    { "a@b@example.com", "\"a@b@example.com\"" },
    { ".lead@example.com", "\".lead@example.com\"" },
    { "user@-bad.example", "\"user@-bad.example\"" },
    { "abc=", "\"abc=\"" },
    { "tab\there", "\"tab\there\"" },
    { "caf\xc3\xa9", "cafe" },                   /* ASCII output: GLib transliterates (RFC 6532 only for SMTPUTF8 mail) */
    { "\xc2\xa7" "6", "\"?6\"" },                      /* no ASCII form: ? */
    { "bad\xff" "byte", "\"bad?byte\"" },             /* invalid UTF-8 replaced */
    { "inj\r\nX-Evil: 1", "\"inj??X-Evil: 1\"" },     /* no header injection */
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(BimiAuthres) ar = bimi_authres_new("mx.example");
    BimiAuthresResult *r = bimi_authres_add_result(ar, "x-test", "pass");
    bimi_authres_result_add_property(r, "header", "v", cases[i].value);
    g_autofree char *s = bimi_authres_to_string(ar);
    g_autofree char *expect = g_strconcat("mx.example; x-test=pass header.v=", cases[i].written, NULL);
    g_assert_cmpstr(s, ==, expect);
    /* Everything but the replaced or transliterated bytes comes back exactly. */
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiAuthres) back = bimi_authres_parse(s, strlen(s), &error);
    g_assert_no_error(error);
    if (strchr(cases[i].written, '?') == NULL && g_str_is_ascii(cases[i].value))
      g_assert_true(bimi_authres_equal(ar, back));
  }

  /* authserv-id: token or quoted-string; reason always quoted. */
  g_autoptr(BimiAuthres) ar = bimi_authres_new("mx example");
  BimiAuthresResult *r = bimi_authres_add_result(ar, "dmarc", "fail");
  bimi_authres_result_set_reason(r, "p=reject \"quoted\"");
  g_autofree char *s = bimi_authres_to_string(ar);
  g_assert_cmpstr(s, ==, "\"mx example\"; dmarc=fail reason=\"p=reject \\\"quoted\\\"\"");
  assert_roundtrip(ar);
}

static void
test_write_keywords(void)
{
  g_autoptr(BimiAuthres) ar = bimi_authres_new("mx.example");
  BimiAuthresResult *r = bimi_authres_add_result(ar, "dk im\r\n", "pass;x");
  r->method_version = 2;
  bimi_authres_result_add_property(r, "hea.der", "d=", "ok");
  g_autofree char *s = bimi_authres_to_string(ar);
  g_assert_cmpstr(s, ==, "mx.example; dk-im--/2=pass-x hea-der.d-=ok");
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiAuthres) back = bimi_authres_parse(s, strlen(s), &error);
  g_assert_no_error(error);
  g_assert_cmpstr(result_at(back, 0)->method, ==, "dk-im--");
}

static void
test_roundtrip_built(void)
{
  g_autoptr(BimiAuthres) ar = bimi_authres_new("authserv.example.com");
  ar->version = 3;
  BimiAuthresResult *r = bimi_authres_add_result(ar, "dkim", "fail");
  r->method_version = 1;
  bimi_authres_result_set_reason(r, "");
  bimi_authres_result_add_property(r, "header", "d", "");
  bimi_authres_result_add_property(r, "header", "i", "\"quoted local\"@example.com");
  bimi_authres_result_add_property(r, "reason", "x", "y");
  r = bimi_authres_add_result(ar, "none", "pass");
  bimi_authres_result_add_property(r, "policy", "iprev", "2001:db8::2");
  bimi_authres_result_add_property(r, "smtp", "helo", "(not a comment)");
  r = bimi_authres_add_result(ar, "arc", "none");
  bimi_authres_result_set_reason(r, "cafe \\ ; ( ) \"");
  assert_roundtrip(ar);
}

/* ---- parsing ------------------------------------------------------------ */

/* Folding inside comments and quoted-strings: the CRLF goes, the WSP stays. */
static void
parse_folding(void)
{
  g_autoptr(BimiAuthres) f = parse_ok("mx.example; dkim=pass (a\r\n comment) reason=\"two\r\n\tlines\"");
  g_autoptr(BimiAuthres) lf = parse_ok("mx.example;\n dkim=pass\n\theader.d=example.com\n");

  g_assert_cmpstr(result_at(f, 0)->reason, ==, "two\tlines");
  assert_prop(result_at(lf, 0), 0, "header", "d", "example.com");
}

static const ParseCase parse_cases[] = {
  /* method, result and ptype lower-cased; authserv-id, reason and values as written */
  { "/authres/parse/case",
    { { "Example.COM; DKIM=Pass Header.D=Example.Com REASON=\"Good Sig\"; SPF/2=SoftFail smtp.MailFrom=A@B.example",
        "Example.COM", -1, 2,
        { { "dkim", -1, "pass", "Good Sig", { { "header", "d", "Example.Com" } } },
          { "spf", 2, "softfail", NULL, { { "smtp", "mailfrom", "A@B.example" } } } }, NULL, FALSE } },
    NULL },
  { "/authres/parse/comments-folding",
    { { "(lead) mx.example (a (nested (deeper)) \\) comment) ; (x)spf(y)=(z)pass(\xc3\xa9t\xc3\xa9)"
        "smtp.mailfrom=(c)u@example.com(d)(e) ;dkim=pass header.d=\"quoted (not a comment)\"",
        "mx.example", -1, 2,
        { { "spf", -1, "pass", NULL, { { "smtp", "mailfrom", "u@example.com" } } },
          { "dkim", -1, "pass", NULL, { { "header", "d", "quoted (not a comment)" } } } }, NULL, FALSE } },
    parse_folding },
  { "/authres/parse/quoted",
    { { "\"mx example\"; iprev=pass policy.iprev=\"2001:db8::1\" smtp.x=\"a\\\"b\\\\c\\d\" "
        "header.y=\"caf\xc3\xa9\" header.z=\"\"",
        "mx example", -1, 1,
        { { "iprev", -1, "pass", NULL,
            { { "policy", "iprev", "2001:db8::1" }, { "smtp", "x", "a\"b\\cd" }, { "header", "y", "caf\xc3\xa9" },
              { "header", "z", "" } } } },
        NULL, TRUE } },
    NULL },
  /* authres reference: "version=TLSv1.2" without ptype is dropped, the rest kept;
   * a ptype named "reason" is a property, not a reason. */
  { "/authres/parse/unprefixed-dropped",
    { { "mail.example.org; x-tls=pass version=TLSv1.2 smtp.tlsversion=TLSv1.2 bits=256 "
        "reason=late; compauth=pass reason=100",
        "mail.example.org", -1, 2,
        { { "x-tls", -1, "pass", "late", { { "smtp", "tlsversion", "TLSv1.2" } } },
          { "compauth", -1, "pass", "100", { { NULL } } } }, NULL, FALSE },
      { "mx; dkim=pass reason . code = 7", "mx", -1, 1,
        { { "dkim", -1, "pass", NULL, { { "reason", "code", "7" } } } }, NULL, FALSE } },
    NULL },
  { "/authres/parse/addresses",
    { { "mx; spf=pass smtp.mailfrom=SRS0=ab=cd=example.com=user@srs.example.net "
        "smtp.helo=mail_1.example.com header.b=Qgi/FoC0 header.i=@d_k.example",
        "mx", -1, 1,
        { { "spf", -1, "pass", NULL,
            { { "smtp", "mailfrom", "SRS0=ab=cd=example.com=user@srs.example.net" },
              { "smtp", "helo", "mail_1.example.com" }, { "header", "b", "Qgi/FoC0" },
              { "header", "i", "@d_k.example" } } } },
        NULL, FALSE } },
    NULL },
};

static void
test_parse_trailing_semicolon(void)
{
  g_autoptr(BimiAuthres) a = parse_ok("mx.example; dkim=pass;");
  g_assert_cmpuint(a->results->len, ==, 1);
  g_autoptr(BimiAuthres) b = parse_ok("mx.example; none ; (comment)\r\n");
  g_assert_cmpuint(b->results->len, ==, 0);
  parse_fail("mx.example;", "byte 11, found the end");
  parse_fail("mx.example; dkim=pass;;", "byte 22");
}

static void
test_parse_errors(void)
{
  parse_fail("", "expected the authserv-id");
  parse_fail("; spf=pass", "authserv-id (a token or a quoted-string) at byte 0, found ';'");
  parse_fail("\"\"; spf=pass", "empty authserv-id at byte 0");
  parse_fail("mx.example", "expected ';' and a result, or '; none' (RFC 8601 §2.2) at byte 10");
  parse_fail("mx.example none", "expected ';' at byte 11");
  parse_fail("mx.example; spf", "expected '=' after method 'spf' at byte 15");
  parse_fail("mx.example; spf=", "expected a result keyword at byte 16");
  parse_fail("mx.example; spf=pass@x", "byte 20, found '@'");
  parse_fail("mx.example; dkim/=pass", "method-version at byte 17");
  parse_fail("mx.example; none; spf=pass", "nothing may follow 'none' at byte 18");
  parse_fail("mx.example; spf=pass; none", "expected '=' after method 'none'");
  /* authres suite: an unquoted IPv6 address; ':' is not allowed bare. */
  parse_fail("mail.bmsi.com; iprev=pass policy.iprev=2001:748:100:40::2:2 (mout0.freenet.de)",
             "not allowed in a bare property value (quote it) at byte 43, found ':'");
  parse_fail("mx; dkim=pass header.d=", "expected a property value at byte 23");
  parse_fail("mx; dkim=pass header.d=a=b", "special character in a bare property value (quote it) at byte 24");
  parse_fail("mx; dkim=pass header.i=user@", "expected a domain name after '@' at byte 28");
  parse_fail("mx; dkim=pass header.i=a@b@c", "second '@'");
  parse_fail("mx; dkim=pass header.i=a@b/c", "domain of a property value");
  parse_fail("mx; dkim=pass header", "expected '.' or '=' after 'header'");
  parse_fail("mx; dkim=pass header.=x", "a property name after '.'");
  parse_fail("mx; dkim=pass header.d x", "expected '=' after property 'header.d'");
  parse_fail("mx; dkim=pass reason=a reason=b", "second reason= in one result at byte 23");
  parse_fail("mx; dkim=pass reason=", "expected the reason");
  parse_fail("mx; dkim=pass header.d=\"open", "unterminated quoted-string opened at byte 23");
  parse_fail("mx; dkim=pass (open (nested)", "unterminated comment opened at byte 14");
  parse_fail("mx; dkim=pass header.d=\"a\\\r\n b\"", "bad quoted-pair");
  parse_fail("mx; dkim=pass header.d=caf\xc3\xa9", "found byte 0xc3");
  parse_fail("mx; dkim=pass (\xff)", "invalid UTF-8 or NUL at byte 15");
  parse_fail("mx; dkim=pass\rheader.d=x", "CR not followed by WSP");
  parse_fail("mx; dkim=pass\r\nheader.d=x", "byte 13");
  parse_fail("mx; dkim=pass header.d=\"a\x01\"", "byte 0x01");
  parse_fail("mx; dkim=pass (a\x01)", "byte not allowed in a comment at byte 16");
  parse_fail_len("mx; dkim=pass\0", 14, BIMI_AUTHRES_ERROR_SYNTAX, "NUL at byte 13");
  /* authres suite: Microsoft's "header.d=none;thehesiod.com" */
  parse_fail("thehesiod.com; dkim=none (message not signed) header.d=none;thehesiod.com; "
             "dmarc=none action=none header.from=hotmail.com;",
             "expected '=' after method 'thehesiod'");
}

static void
test_parse_explicit_length(void)
{
  /* Bytes past len are never read, even if they would make the field invalid. */
  static const char s[] = "mx; spf=pass;;;garbage";
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiAuthres) ar = bimi_authres_parse(s, 12, &error);
  g_assert_no_error(error);
  assert_result(result_at(ar, 0), "spf", -1, "pass", NULL, 0);
}

static void
test_parse_field(void)
{
  g_autoptr(BimiAuthres) a = parse_field_ok("authentication-results: mx; none");
  g_assert_cmpstr(a->authserv_id, ==, "mx");
  g_autoptr(BimiAuthres) b = parse_field_ok("AUTHENTICATION-RESULTS \t:mx; spf=pass\r\n");
  assert_result(result_at(b, 0), "spf", -1, "pass", NULL, 0);

  g_autoptr(GError) error = NULL;
  static const char other[] = "ARC-Authentication-Results: i=1; mx; none";
  g_assert_null(bimi_authres_parse_field(other, strlen(other), &error));
  g_assert_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_SYNTAX);
  g_clear_error(&error);
  static const char noc[] = "Authentication-Results mx; none";
  g_assert_null(bimi_authres_parse_field(noc, strlen(noc), &error));
  g_assert_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_SYNTAX);
  g_assert_nonnull(strstr(error->message, "byte 23"));
  g_clear_error(&error);
  /* Offsets count from the start of the field. */
  static const char bad[] = "Authentication-Results: mx; spf";
  g_assert_null(bimi_authres_parse_field(bad, strlen(bad), &error));
  g_assert_nonnull(strstr(error->message, "at byte 31"));
}

static void
test_equal(void)
{
  g_autoptr(BimiAuthres) a = parse_ok("mx; dkim=pass header.d=example.com");
  g_autoptr(BimiAuthres) b = parse_ok("mx (c); DKIM = pass (x) header . d = \"example.com\"");
  g_assert_true(bimi_authres_equal(a, b));
  g_assert_true(bimi_authres_equal(NULL, NULL));
  g_assert_false(bimi_authres_equal(a, NULL));
  const char *different[] = {
    "MX; dkim=pass header.d=example.com",
    "mx 1; dkim=pass header.d=example.com",
    "mx; dkim/1=pass header.d=example.com",
    "mx; dkim=fail header.d=example.com",
    "mx; dkim=pass reason=\"\" header.d=example.com",
    "mx; dkim=pass header.d=Example.com",
    "mx; dkim=pass header.i=example.com",
    "mx; dkim=pass smtp.d=example.com",
    "mx; dkim=pass header.d=example.com header.d=example.com",
    "mx; dkim=pass header.d=example.com; dkim=pass header.d=example.com",
    "mx; arc=pass header.d=example.com",
    "mx; none",
  };
  for (guint i = 0; i < G_N_ELEMENTS(different); i++) {
    g_autoptr(BimiAuthres) c = parse_ok(different[i]);
    if (bimi_authres_equal(a, c))
      g_error("\"%s\" compared equal", different[i]);
  }
}

/* ---- limits ------------------------------------------------------------- */

static void
test_limit_bytes(void)
{
  /* A value exactly at the limit parses; one byte more is refused. */
  gsize n = BIMI_MAX_AUTHRES_BYTES;
  g_autofree char *s = g_malloc(n + 1);
  memcpy(s, "mx; dkim=pass header.b=", 23);
  memset(s + 23, 'A', n + 1 - 23);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiAuthres) ar = bimi_authres_parse(s, n, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(strlen(((BimiAuthresProperty *) result_at(ar, 0)->properties->pdata[0])->value), ==, n - 23);
  parse_fail_len(s, n + 1, BIMI_AUTHRES_ERROR_LIMIT, "65537 bytes");
}

/* A count limit: @limit items parse, one more is refused with the byte
 * offset of the item that is one too many. */
typedef struct {
  const char *path;
  const char *head;   /* the value before the items */
  const char *item;   /* one item */
  guint limit;
  gboolean in_result; /* the items are properties of the first result (else results): each gets a
                       * name of its own, @item then the index then "=v" */
  const char *extra;  /* the item one too many */
  guint skip;         /* bytes of @extra before the item's first byte */
  const char *what;   /* the error message names it */
} CountLimitCase;

static const CountLimitCase count_limits[] = {
  { "/authres/limit/results", "mx", "; spf=pass", BIMI_MAX_AUTHRES_RESULTS, FALSE, "; dkim=pass", 2, "result" },
  { "/authres/limit/properties", "mx; dkim=pass", " header.p", BIMI_MAX_AUTHRES_PROPERTIES, TRUE,
    " header.extra=v", 1, "property" },
};

static void
test_limit_count(gconstpointer data)
{
  const CountLimitCase *c = data;
  g_autoptr(GString) s = g_string_new(c->head);
  g_autofree char *needle = NULL;
  gsize where;

  for (guint i = 0; i < c->limit; i++) {
    g_string_append(s, c->item);
    if (c->in_result)
      g_string_append_printf(s, "%u=v", i);
  }
  {
    g_autoptr(BimiAuthres) ar = parse_ok(s->str);
    g_assert_cmpuint(c->in_result ? result_at(ar, 0)->properties->len : ar->results->len, ==, c->limit);
  }
  where = s->len + c->skip;
  g_string_append(s, c->extra);
  needle = g_strdup_printf("%s at byte %" G_GSIZE_FORMAT " is one too many", c->what, where);
  parse_fail_len(s->str, s->len, BIMI_AUTHRES_ERROR_LIMIT, needle);
}

static void
test_limit_comment_depth(void)
{
  g_autofree char *ok = bimi_test_nested("mx ", "(", BIMI_MAX_COMMENT_DEPTH, "", ")", "; none");
  {
    g_autoptr(BimiAuthres) ar = parse_ok(ok);
    g_assert_cmpstr(ar->authserv_id, ==, "mx");
  }
  g_autofree char *deep = bimi_test_nested("mx ", "(", BIMI_MAX_COMMENT_DEPTH + 1, "", "", "");
  g_autofree char *needle = g_strdup_printf("deeper than %u at byte %u", (unsigned) BIMI_MAX_COMMENT_DEPTH,
                                            (unsigned) (3 + BIMI_MAX_COMMENT_DEPTH));
  parse_fail_len(deep, strlen(deep), BIMI_AUTHRES_ERROR_LIMIT, needle);
}

static void
test_limit_version(void)
{
  g_autoptr(BimiAuthres) a = parse_ok("mx 2147483647; dkim/0002147483647=pass");
  g_assert_cmpint(a->version, ==, G_MAXINT);
  g_assert_cmpint(result_at(a, 0)->method_version, ==, G_MAXINT);
  parse_fail_len("mx 2147483648; none", 19, BIMI_AUTHRES_ERROR_LIMIT, "authres-version at byte 3 is larger");
  parse_fail_len("mx; dkim/99999999999=pass", 25, BIMI_AUTHRES_ERROR_LIMIT, "method-version at byte 9");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  BIMI_TEST_ADD_CASES(appendix_b, test_parse_case_data);
  g_test_add_func("/authres/write/basic", test_write_basic);
  g_test_add_func("/authres/write/none", test_write_none);
  g_test_add_func("/authres/write/quoting", test_write_quoting);
  g_test_add_func("/authres/write/keywords", test_write_keywords);
  g_test_add_func("/authres/write/roundtrip", test_roundtrip_built);
  BIMI_TEST_ADD_CASES(parse_cases, test_parse_case_data);
  g_test_add_func("/authres/parse/trailing-semicolon", test_parse_trailing_semicolon);
  g_test_add_func("/authres/parse/errors", test_parse_errors);
  g_test_add_func("/authres/parse/explicit-length", test_parse_explicit_length);
  g_test_add_func("/authres/parse/field", test_parse_field);
  g_test_add_func("/authres/equal", test_equal);
  g_test_add_func("/authres/limit/bytes", test_limit_bytes);
  BIMI_TEST_ADD_CASES(count_limits, test_limit_count);
  g_test_add_func("/authres/limit/comment-depth", test_limit_comment_depth);
  g_test_add_func("/authres/limit/version", test_limit_version);
  return g_test_run();
}
