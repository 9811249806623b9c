/* tests/test-spf.c — engine/spf: record parser (RFC 7208 §4.5, §4.6, §5, §6,
 * §12), macros (§7, with the examples of §7.4) and check_host() against
 * fixtures/dns/spf-unit.zone, including every limit of §4.6.4 and of
 * engine/limits.h. The openspf suites run in tests/test-spf-suite.c.
 */
#include "engine/spf-private.h"
#include "engine/limits.h"
#include "tests/silent-dns.h"
#include "tests/lib/data.h"

#include <string.h>

/* ---- record parser ----------------------------------------------------------- */

static BimiSpfRecord *
parse(const char *text, GError **error)
{
  return bimi_spf__record_parse(text, strlen(text), error);
}

static void
test_record_basic(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSpfRecord) r = parse("v=spf1  ip4:192.0.2.0/24 ~a:mail.example.com/28//64 "
                                     "?mx -ptr:example.org ip6:2001:db8::/32 include:_spf.example.net "
                                     "exists:%{ir}.bl.example -all redirect=other.example "
                                     "exp=why.example foo=bar ", &error);
  const BimiSpfMechanism *m;

  g_assert_no_error(error);
  g_assert_nonnull(r);
  g_assert_cmpuint(r->mechanisms->len, ==, 8);
  m = g_ptr_array_index(r->mechanisms, 0);
  g_assert_cmpint(m->kind, ==, BIMI_SPF_MECH_IP4);
  g_assert_cmpint(m->qualifier, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpuint(m->cidr4, ==, 24);
  g_assert_cmpmem(m->network, 4, "\xc0\x00\x02\x00", 4);
  g_assert_cmpuint(m->offset, ==, 8);
  m = g_ptr_array_index(r->mechanisms, 1);
  g_assert_cmpint(m->kind, ==, BIMI_SPF_MECH_A);
  g_assert_cmpint(m->qualifier, ==, BIMI_SPF_RESULT_SOFTFAIL);
  g_assert_cmpstr(m->domain_spec, ==, "mail.example.com");
  g_assert_cmpuint(m->cidr4, ==, 28);
  g_assert_cmpuint(m->cidr6, ==, 64);
  g_assert_cmpstr(m->text, ==, "~a:mail.example.com/28//64");
  m = g_ptr_array_index(r->mechanisms, 2);
  g_assert_cmpint(m->kind, ==, BIMI_SPF_MECH_MX);
  g_assert_cmpint(m->qualifier, ==, BIMI_SPF_RESULT_NEUTRAL);
  g_assert_null(m->domain_spec);
  g_assert_cmpuint(m->cidr4, ==, 32);
  g_assert_cmpuint(m->cidr6, ==, 128);
  m = g_ptr_array_index(r->mechanisms, 3);
  g_assert_cmpint(m->kind, ==, BIMI_SPF_MECH_PTR);
  g_assert_cmpint(m->qualifier, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpstr(m->domain_spec, ==, "example.org");
  m = g_ptr_array_index(r->mechanisms, 4);
  g_assert_cmpint(m->kind, ==, BIMI_SPF_MECH_IP6);
  g_assert_cmpuint(m->cidr6, ==, 32);
  g_assert_cmpmem(m->network, 4, "\x20\x01\x0d\xb8", 4);
  m = g_ptr_array_index(r->mechanisms, 5);
  g_assert_cmpint(m->kind, ==, BIMI_SPF_MECH_INCLUDE);
  g_assert_cmpstr(m->domain_spec, ==, "_spf.example.net");
  m = g_ptr_array_index(r->mechanisms, 6);
  g_assert_cmpint(m->kind, ==, BIMI_SPF_MECH_EXISTS);
  g_assert_cmpstr(m->domain_spec, ==, "%{ir}.bl.example");
  m = g_ptr_array_index(r->mechanisms, 7);
  g_assert_cmpint(m->kind, ==, BIMI_SPF_MECH_ALL);
  g_assert_cmpint(m->qualifier, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpstr(r->redirect, ==, "other.example");
  g_assert_cmpstr(r->exp, ==, "why.example");
  g_assert_cmpuint(r->unknown_modifiers, ==, 1);
}

static void
test_record_version(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSpfRecord) empty = NULL;

  g_assert_true(bimi_spf__record_is_spf("v=spf1", 6));
  g_assert_true(bimi_spf__record_is_spf("V=SpF1 -all", 11));
  g_assert_false(bimi_spf__record_is_spf("v=spf10", 7));
  g_assert_false(bimi_spf__record_is_spf("v=spf1mx", 8));
  g_assert_false(bimi_spf__record_is_spf("v=spf1\t-all", 11));
  g_assert_false(bimi_spf__record_is_spf("v=spf", 5));
  g_assert_false(bimi_spf__record_is_spf(" v=spf1", 7));
  /* explicit length: the bytes after @len are not looked at */
  g_assert_true(bimi_spf__record_is_spf("v=spf1x", 6));

  empty = parse("v=spf1", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(empty->mechanisms->len, ==, 0);
  g_assert_null(parse("v=spf2 -all", &error));
  g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX);
}

typedef struct {
  const char *record;
  const char *message; /* a substring of the error message, offset included */
} SyntaxCase;

static void
test_record_syntax_errors(void)
{
  static const SyntaxCase cases[] = {
    { "v=spf1 ip4:1.2.3.4 -all moo", "offset 24: unknown mechanism 'moo'" },
    { "v=spf1 -all.", "offset 7: unknown mechanism 'all.'" },
    { "v=spf1 -all:foo", "offset 11: 'all' takes no argument" },
    { "v=spf1 -all/8", "'all' takes no argument" },
    { "v=spf1 a:foo.example.com\t-all", "offset 24: byte 0x09" },
    { "v=spf1 a:ctrl.example.com\rptr -all", "offset 25: byte 0x0d" },
    { "v=spf1 \x80" "a:example.net -all", "offset 7: byte 0x80" },
    { "v=spf1 moo.cow/far_out=man:dog/cat -all", "unknown mechanism 'moo.cow'" },
    { "v=spf1 =all", "offset 7: modifier without a name" },
    { "v=spf1 1up=foo", "must start with a letter" },
    { "v=spf1 redirect:example.com", "unknown mechanism 'redirect'" },
    { "v=spf1 redirect=a.example redirect=b.example", "offset 26: 'redirect' modifier appears twice" },
    { "v=spf1 exp=a.example -all exp=b.example", "'exp' modifier appears twice" },
    { "v=spf1 exp= -all", "offset 11: empty domain-spec" },
    { "v=spf1 exp=-all", "no '.' before its top label" },
    { "v=spf1 foo=%abc", "offset 11: '%' must be followed by" },
    { "v=spf1 a:", "offset 9: empty domain-spec" },
    { "v=spf1 a:museum", "no '.' before its top label" },
    { "v=spf1 a:museum.", "no '.' before its top label" },
    { "v=spf1 a:111.222.33.44", "offset 20: '44' is not a valid top label" },
    { "v=spf1 a:abc.123", "'123' is not a valid top label" },
    { "v=spf1 a:example.-com", "'-com' is not a valid top label" },
    { "v=spf1 a:example.com:8080", "'com:8080' is not a valid top label" },
    { "v=spf1 a/33", "offset 9: invalid ip4-cidr-length '33'" },
    { "v=spf1 a//129", "invalid ip6-cidr-length '129'" },
    { "v=spf1 a/24/64", "invalid ip4-cidr-length '64'" },
    { "v=spf1 ip4:1.2.3.4/032", "invalid ip4-cidr-length" },
    { "v=spf1 ip4:1.2.3.4/33", "invalid ip4-cidr-length" },
    { "v=spf1 ip4:1.2.3.4//32", "invalid ip4-cidr-length" },
    { "v=spf1 ip4:1.2.3", "offset 11: invalid ip4 network '1.2.3'" },
    { "v=spf1 ip4:1.2.3.04", "invalid ip4 network" },
    { "v=spf1 ip4:1.2.3.256", "invalid ip4 network" },
    { "v=spf1 ip4:1.2.3.4:8080", "invalid ip4 network" },
    { "v=spf1 ip4", "'ip4' requires ':' network" },
    { "v=spf1 -all ip6", "'ip6' requires ':' network" },
    { "v=spf1 ip6::CAFE::BABE", "invalid ip6 network" },
    { "v=spf1 ip6:1.2.3.4", "invalid ip6 network" },
    { "v=spf1 ip6:::1/129", "invalid ip6-cidr-length" },
    { "v=spf1 ip6:::1.1.1.1//33", "invalid ip6-cidr-length" },
    { "v=spf1 ptr/0 -all", "'ptr' takes only ':' domain-spec" },
    { "v=spf1 ptr:", "empty domain-spec" },
    { "v=spf1 include", "'include' requires ':' domain-spec" },
    { "v=spf1 include:ip5.example.com/24", "not a valid top label" },
    { "v=spf1 exists", "'exists' requires ':' domain-spec" },
    { "v=spf1 exists:%(ir).sbl.example.com", "offset 14: '%' must be followed by" },
    { "v=spf1 exists:foo%.sbl.example.com", "must be followed by" },
    { "v=spf1 a:%{a}.example.com", "'a' is not a macro letter" },
    { "v=spf1 -all exp=%{r}.example.com", "'r' is allowed only in explanation text" },
    { "v=spf1 a:%{d0}.example.com", "nonzero" },
    { "v=spf1 a:%{d2x}.example.com", "unexpected byte 0x78 in macro" },
    { "v=spf1 a:%{d", "unterminated macro" },
    { "v=spf1 a:foo%", "'%' at the end" },
    { "v=spf1 ax", "unknown mechanism 'ax'" },
    { "v=spf1 -", "has no mechanism name" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiSpfRecord) r = parse(cases[i].record, &error);
    g_autofree char *shown = g_strescape(cases[i].record, NULL);
    g_test_message("record: %s", shown);
    g_assert_null(r);
    g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX);
    if (strstr(error->message, cases[i].message) == NULL)
      g_error("%s: message '%s' lacks '%s'", cases[i].record, error->message, cases[i].message);
  }
}

static void
test_record_valid_syntax(void)
{
  static const char *const ok[] = {
    "v=spf1 a:foo.example.xn--zckzah -all",
    "v=spf1 a:foo:bar/baz.example.com",
    "v=spf1 mx:foo.example.com/24",
    "v=spf1 a:%{H}.bar -all",
    "v=spf1 redirect=%{d}.d.spf.example.com.",
    "v=spf1 include:o.spf.example.com. ~all",
    "v=spf1 a:mail.example...com -all",
    "v=spf1 exists:%{l2r+-}.user.%{d2}",
    "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
    "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
    "v=spf1 default=+",
    "v=spf1 ip4:1.1.1.1/0 ip6:::1.1.1.1/0 ip6:Cafe:Babe:8000::/33 a//0 mx/0",
    "v=spf1 a -all ",
    "v=spf1 foo=%{c}%{r}%{t}",
    "v=spf1 exists:%{d}",
    "v=spf1 exists:foo.%-",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiSpfRecord) r = parse(ok[i], &error);
    g_test_message("record: %s", ok[i]);
    g_assert_no_error(error);
    g_assert_nonnull(r);
  }
}

static void
test_record_limit_bytes(void)
{
  g_autoptr(GString) s = g_string_new("v=spf1");
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSpfRecord) at_limit = NULL;

  while (s->len + 20 <= BIMI_SPF_MAX_RECORD_BYTES)
    g_string_append(s, " ip4:192.0.2.1/32");
  while (s->len < BIMI_SPF_MAX_RECORD_BYTES)
    g_string_append_c(s, ' ');
  at_limit = bimi_spf__record_parse(s->str, s->len, &error);
  g_assert_no_error(error);
  g_assert_nonnull(at_limit);
  g_string_append_c(s, ' ');
  g_assert_null(bimi_spf__record_parse(s->str, s->len, &error));
  g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_LIMIT);
}

static void
test_record_limit_terms(void)
{
  g_autoptr(GString) s = g_string_new("v=spf1");
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSpfRecord) at_limit = NULL;

  for (guint i = 0; i < BIMI_SPF_MAX_TERMS; i++)
    g_string_append(s, " a");
  at_limit = parse(s->str, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(at_limit->mechanisms->len, ==, BIMI_SPF_MAX_TERMS);
  g_string_append(s, " a");
  g_assert_null(parse(s->str, &error));
  g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_LIMIT);
}

/* ---- macros ------------------------------------------------------------------ */

static char p_name[] = "mx.email.example.com";

static const char *
fixed_p(gpointer data, GError **error)
{
  return data;
}

/* RFC 7208 §7.4: sender strong-bad@email.example.com, IPv4 192.0.2.3, IPv6 2001:db8::cb01. */
static BimiSpfMacroContext
rfc_context(gboolean v6)
{
  BimiSpfMacroContext ctx = { 0 };
  ctx.sender = "strong-bad@email.example.com";
  ctx.local_part = "strong-bad";
  ctx.sender_domain = "email.example.com";
  ctx.domain = "email.example.com";
  ctx.ip_dotted = v6 ? "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1" : "192.0.2.3";
  ctx.ip_text = v6 ? "2001:db8::cb01" : "192.0.2.3";
  ctx.ip_version = v6 ? "ip6" : "in-addr";
  ctx.helo = "mx.example.org";
  ctx.receiver = "mx.receiver.example";
  ctx.now = 1700000000;
  return ctx;
}

static char *
expand(const BimiSpfMacroContext *ctx, BimiSpfMacroMode mode, const char *text, GError **error)
{
  g_autoptr(GString) out = g_string_new(NULL);
  if (!bimi_spf__macro_expand(text, strlen(text), mode, ctx, out, error))
    return NULL;
  return g_strdup(out->str);
}

/* @text expands under @ctx in @mode to exactly @want. */
static void
assert_expands(const BimiSpfMacroContext *ctx, BimiSpfMacroMode mode, const char *text, const char *want)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *got = expand(ctx, mode, text, &error);

  g_assert_no_error(error);
  g_assert_cmpstr(got, ==, want);
}

static void
test_macro_rfc_examples(void)
{
  static const char *const table[][2] = {
    { "%{s}", "strong-bad@email.example.com" },
    { "%{o}", "email.example.com" },
    { "%{d}", "email.example.com" },
    { "%{d4}", "email.example.com" },
    { "%{d3}", "email.example.com" },
    { "%{d2}", "example.com" },
    { "%{d1}", "com" },
    { "%{dr}", "com.example.email" },
    { "%{d2r}", "example.email" },
    { "%{l}", "strong-bad" },
    { "%{l-}", "strong.bad" },
    { "%{lr}", "strong-bad" },
    { "%{lr-}", "bad.strong" },
    { "%{l1r-}", "strong" },
    { "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
    { "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
    { "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
    { "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com" },
    { "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
  };
  BimiSpfMacroContext ctx = rfc_context(FALSE);
  BimiSpfMacroContext ctx6 = rfc_context(TRUE);

  for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
    assert_expands(&ctx, BIMI_SPF_MACRO_DOMAIN, table[i][0], table[i][1]);
  assert_expands(&ctx6, BIMI_SPF_MACRO_DOMAIN, "%{ir}.%{v}._spf.%{d2}",
                 "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

static void
test_macro_special(void)
{
  BimiSpfMacroContext ctx = rfc_context(FALSE);

  assert_expands(&ctx, BIMI_SPF_MACRO_DOMAIN, "macro%%percent%_%_space%-url-space.example.com",
                 "macro%percent  space%20url-space.example.com");
  /* §7.3: upper-case letters are URL-escaped after transformation (suite: upper-macro) */
  ctx.local_part = "~jack&jill=up-a_b3.c";
  assert_expands(&ctx, BIMI_SPF_MACRO_EXPLAIN, "http://example.com/why.html?l=%{L}",
                 "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c");
  /* several delimiters (suite: macro-multiple-delimiters, macro-reverse-split-on-dash) */
  ctx.local_part = "foo-bar+zip+quux";
  assert_expands(&ctx, BIMI_SPF_MACRO_DOMAIN, "%{l2r+-}.user.%{d2}", "bar.foo.user.example.com");
  ctx.local_part = "philip-gladstone-test";
  assert_expands(&ctx, BIMI_SPF_MACRO_DOMAIN, "%{i}.%{l2r-}.user.%{d2}", "192.0.2.3.gladstone.philip.user.example.com");
  /* explanation-only letters and spaces; %{p} without DNS is "unknown" */
  assert_expands(&ctx, BIMI_SPF_MACRO_EXPLAIN, "%{c} via %{r} at %{t} from %{p} (%{H})",
                 "192.0.2.3 via mx.receiver.example at 1700000000 from unknown (mx.example.org)");
  ctx.validated_name = fixed_p;
  ctx.validated_name_data = p_name;
  assert_expands(&ctx, BIMI_SPF_MACRO_DOMAIN, "%{p2}.%{pr}", "example.com.com.example.email.mx");
}

static void
test_macro_errors(void)
{
  static const char *const domain_errors[] = {
    "%", "foo%", "%x", "%{", "%{d", "%{d}x%{", "%{d0}", "%{a}", "%{c}", "%{r}", "%{t}", "%{d2x}",
    "%{dr2}", "%{}", "a b", "caf\xc3\xa9",
  };
  BimiSpfMacroContext ctx = rfc_context(FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS(domain_errors); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *got = expand(&ctx, BIMI_SPF_MACRO_DOMAIN, domain_errors[i], &error);
    g_autofree char *shown = g_strescape(domain_errors[i], NULL);
    g_test_message("macro-string: %s", shown);
    g_assert_null(got);
    g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX);
    g_clear_error(&error);
    g_assert_false(bimi_spf__macro_check(domain_errors[i], strlen(domain_errors[i]),
                                         BIMI_SPF_MACRO_DOMAIN, 0, NULL, &error));
    g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *got = expand(&ctx, BIMI_SPF_MACRO_EXPLAIN, "The %{x}-files.", &error);
    g_assert_null(got);
    g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_SYNTAX);
    g_assert_nonnull(strstr(error->message, "offset 6"));
  }
}

static void
test_macro_limit(void)
{
  BimiSpfMacroContext ctx = rfc_context(FALSE);
  g_autoptr(GString) text = g_string_new(NULL);
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(GError) error = NULL;
  gsize per = strlen(ctx.sender);
  guint n = BIMI_SPF_MAX_EXPANSION_BYTES / (guint) per;

  for (guint i = 0; i < n; i++)
    g_string_append(text, "%{s}");
  g_assert_true(bimi_spf__macro_expand(text->str, text->len, BIMI_SPF_MACRO_DOMAIN, &ctx, out, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(out->len, ==, n * per);
  g_string_truncate(out, 0);
  g_string_append(text, "%{s}");
  g_assert_false(bimi_spf__macro_expand(text->str, text->len, BIMI_SPF_MACRO_DOMAIN, &ctx, out, &error));
  g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_LIMIT);
}

static void
test_macro_domain_rules(void)
{
  g_autoptr(GString) longname = g_string_new(NULL);
  g_autofree char *truncated = NULL;
  g_autofree char *dot = bimi_spf__domain_from_expansion("example.com.");
  g_autofree char *label63 = NULL;
  g_autofree char *label64 = NULL;

  g_assert_cmpstr(dot, ==, "example.com");
  g_assert_null(bimi_spf__domain_from_expansion("mail.example...com"));
  g_assert_null(bimi_spf__domain_from_expansion(""));
  g_assert_null(bimi_spf__domain_from_expansion("."));
  {
    g_autofree char *l63 = g_strnfill(BIMI_DNS_MAX_LABEL_BYTES, 'a');
    g_autofree char *n63 = g_strconcat(l63, ".example", NULL);
    g_autofree char *n64 = g_strconcat(l63, "a.example", NULL);
    label63 = bimi_spf__domain_from_expansion(n63);
    g_assert_cmpstr(label63, ==, n63);
    label64 = bimi_spf__domain_from_expansion(n64);
    g_assert_null(label64);
  }
  /* §7.3: over 253 bytes, whole labels are removed from the left */
  for (int i = 0; i < 8; i++)
    g_string_append(longname, "somewhat.long.exp.example.com.");
  g_string_append(longname, "example.com");
  g_assert_cmpuint(longname->len, ==, 251);
  g_string_prepend(longname, "foobar.");
  truncated = bimi_spf__domain_from_expansion(longname->str);
  g_assert_cmpstr(truncated, ==, longname->str + 7);
  g_assert_cmpuint(strlen(truncated), <=, BIMI_DNS_MAX_NAME_BYTES);

  g_assert_true(bimi_spf__domain_is_valid("example.com"));
  g_assert_true(bimi_spf__domain_is_valid("example.com."));
  g_assert_false(bimi_spf__domain_is_valid("A2345678"));
  g_assert_false(bimi_spf__domain_is_valid("[192.0.2.1]"));
  g_assert_false(bimi_spf__domain_is_valid("a...example.com"));
  g_assert_false(bimi_spf__domain_is_valid(""));
  g_assert_false(bimi_spf__domain_is_valid(
      "A123456789012345678901234567890123456789012345678901234567890123.example.com"));
}

/* ---- check_host() ---------------------------------------------------------------- */

static BimiDnsResolver *
fixture_resolver(void)
{
  static const char *const zones[] = { "fixtures/dns/spf-unit.zone", NULL };
  static const char *const faults[] = { "slow.example", NULL };
  return bimi_test_resolver_zone_files(zones, faults);
}

static BimiSpfResult *
check(const char *ip, const char *helo, const char *mail_from, const BimiSpfOptions *options)
{
  g_autoptr(BimiDnsResolver) resolver = fixture_resolver();
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(ip);
  g_autoptr(GError) error = NULL;
  BimiSpfResult *r;

  g_assert_nonnull(addr);
  r = bimi_spf_check(resolver, addr, helo, mail_from, options, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  g_test_message("%s: result %s, mechanism %s, problem %s, explanation %s", mail_from,
                 bimi_spf_result_to_string(r->result), r->mechanism, r->problem, r->explanation);
  return r;
}

static void
test_check_basic(void)
{
  g_autoptr(BimiSpfResult) pass = check("192.0.2.1", "mx.example.org", "alice@pass.example", NULL);
  g_autoptr(BimiSpfResult) fail = check("192.0.2.1", "mx.example.org", "<bob@fail.example>", NULL);
  g_autoptr(BimiSpfResult) soft = check("192.0.2.1", "mx.example.org", "bob@softfail.example", NULL);
  g_autoptr(BimiSpfResult) neutral = check("192.0.2.1", "mx.example.org", "bob@neutral.example", NULL);
  g_autoptr(BimiSpfResult) none = check("192.0.2.1", "mx.example.org", "bob@norecord.example", NULL);
  g_autoptr(BimiSpfResult) nx = check("192.0.2.1", "mx.example.org", "bob@nowhere.example", NULL);
  g_autoptr(BimiSpfResult) split = check("192.0.2.1", "mx.example.org", "bob@split.example", NULL);

  g_assert_cmpint(pass->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpint(pass->identity, ==, BIMI_SPF_IDENTITY_MAILFROM);
  g_assert_cmpstr(pass->domain, ==, "pass.example");
  g_assert_cmpstr(pass->sender, ==, "alice@pass.example");
  g_assert_cmpstr(pass->ip, ==, "192.0.2.1");
  g_assert_cmpstr(pass->mechanism, ==, "ip4:192.0.2.0/24");
  g_assert_cmpstr(pass->mechanism_domain, ==, "pass.example");
  g_assert_cmpstr(pass->record, ==, "v=spf1 ip4:192.0.2.0/24 -all");
  g_assert_null(pass->explanation);
  g_assert_null(pass->problem);
  g_assert_cmpuint(pass->dns_lookups, ==, 0);
  g_assert_cmpuint(pass->dns_queries, ==, 1);

  g_assert_cmpint(fail->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpstr(fail->mechanism, ==, "-all");
  g_assert_cmpstr(fail->explanation, ==,
                  "192.0.2.1 is not one of fail.example's designated mail servers "
                  "(bob@fail.example, helo mx.example.org).");
  g_assert_cmpuint(fail->dns_queries, ==, 2);

  g_assert_cmpint(soft->result, ==, BIMI_SPF_RESULT_SOFTFAIL);
  g_assert_cmpstr(soft->mechanism, ==, "~all");
  g_assert_null(soft->explanation);
  g_assert_cmpint(neutral->result, ==, BIMI_SPF_RESULT_NEUTRAL);
  g_assert_null(neutral->mechanism); /* §4.7 default result */
  g_assert_cmpint(none->result, ==, BIMI_SPF_RESULT_NONE);
  g_assert_null(none->record);
  g_assert_nonnull(none->problem);
  g_assert_cmpint(nx->result, ==, BIMI_SPF_RESULT_NONE);
  g_assert_cmpint(split->result, ==, BIMI_SPF_RESULT_PASS); /* §3.3 strings joined */
  g_assert_cmpstr(split->record, ==, "v=spf1 ip4:192.0.2.0/24 -all");
}

static void
test_check_errors(void)
{
  g_autoptr(BimiSpfResult) twice = check("192.0.2.1", NULL, "bob@twice.example", NULL);
  g_autoptr(BimiSpfResult) broken = check("192.0.2.1", NULL, "bob@broken.example", NULL);
  g_autoptr(BimiSpfResult) slow = check("192.0.2.1", NULL, "bob@slow.example", NULL);
  g_autoptr(BimiSpfResult) literal = check("192.0.2.1", NULL, "bob@[192.0.2.1]", NULL);

  g_assert_cmpint(twice->result, ==, BIMI_SPF_RESULT_PERMERROR);
  g_assert_nonnull(strstr(twice->problem, "2 SPF records"));
  g_assert_null(twice->mechanism);
  g_assert_cmpint(broken->result, ==, BIMI_SPF_RESULT_PERMERROR);
  g_assert_nonnull(strstr(broken->problem, "offset 26: unknown mechanism 'moo'"));
  g_assert_cmpint(slow->result, ==, BIMI_SPF_RESULT_TEMPERROR);
  g_assert_nonnull(strstr(slow->problem, "slow.example"));
  g_assert_cmpint(literal->result, ==, BIMI_SPF_RESULT_NONE); /* §4.3 */
}

static void
test_check_identities(void)
{
  g_autoptr(BimiSpfResult) helo = check("192.0.2.20", "helo.example", "", NULL);
  g_autoptr(BimiSpfResult) helo_fail = check("192.0.2.21", "helo.example", NULL, NULL);
  g_autoptr(BimiSpfResult) nolocal = check("192.0.2.21", "mx.example.org", "@helo.example", NULL);
  g_autoptr(BimiDnsResolver) resolver = fixture_resolver();
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string("192.0.2.1");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint(helo->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpint(helo->identity, ==, BIMI_SPF_IDENTITY_HELO);
  g_assert_cmpstr(helo->sender, ==, "postmaster@helo.example");
  g_assert_cmpstr(helo->domain, ==, "helo.example");
  g_assert_cmpstr(helo->mechanism, ==, "a");
  g_assert_cmpuint(helo->dns_lookups, ==, 1);
  g_assert_cmpint(helo_fail->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpstr(helo_fail->explanation, ==, "sender postmaster@helo.example local postmaster");
  g_assert_cmpint(nolocal->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpint(nolocal->identity, ==, BIMI_SPF_IDENTITY_MAILFROM);
  g_assert_cmpstr(nolocal->explanation, ==, "sender postmaster@helo.example local postmaster");

  g_assert_null(bimi_spf_check(resolver, addr, NULL, "", NULL, &error));
  g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_INPUT);
  g_clear_error(&error);

  /* §4.3: the reported domain drops the root label's dot */
  {
    g_autoptr(BimiSpfResult) dot = check("192.0.2.1", NULL, "bob@fail.example.", NULL);
    g_autoptr(BimiSpfResult) helo_dot = check("192.0.2.20", "helo.example.", "", NULL);
    g_assert_cmpint(dot->result, ==, BIMI_SPF_RESULT_FAIL);
    g_assert_cmpstr(dot->domain, ==, "fail.example");
    g_assert_cmpstr(dot->mechanism_domain, ==, "fail.example");
    g_assert_cmpint(helo_dot->result, ==, BIMI_SPF_RESULT_PASS);
    g_assert_cmpstr(helo_dot->domain, ==, "helo.example");
  }
}

/* HELO only feeds %{h} when MAIL FROM is checked: an unusable one (too long,
 * a control byte) expands as "unknown" instead of stopping the check; as the
 * HELO identity it is the unusable <domain>: an input error. */
static void
test_check_unusable_helo(void)
{
  g_autoptr(BimiDnsResolver) resolver = fixture_resolver();
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string("192.0.2.1");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) long_helo = g_string_new(NULL);
  const char *helos[2];

  while (long_helo->len <= BIMI_SPF_MAX_SENDER_BYTES)
    g_string_append(long_helo, "a.");
  g_string_append(long_helo, "example");
  helos[0] = long_helo->str;
  helos[1] = "mx\001.example.org";
  for (gsize i = 0; i < G_N_ELEMENTS(helos); i++) {
    g_autoptr(BimiSpfResult) r = bimi_spf_check(resolver, addr, helos[i], "bob@fail.example", NULL, &error);
    g_autoptr(BimiSpfResult) as_helo = NULL;
    g_assert_no_error(error);
    g_assert_nonnull(r);
    g_assert_cmpint(r->result, ==, BIMI_SPF_RESULT_FAIL);
    g_assert_cmpstr(r->explanation, ==,
                    "192.0.2.1 is not one of fail.example's designated mail servers "
                    "(bob@fail.example, helo unknown).");
    as_helo = bimi_spf_check(resolver, addr, helos[i], NULL, NULL, &error);
    g_assert_null(as_helo);
    g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_INPUT);
    g_clear_error(&error);
  }
}

static void
test_check_mechanisms(void)
{
  g_autoptr(BimiSpfResult) mx = check("192.0.2.10", NULL, "x@withmx.example", NULL);
  g_autoptr(BimiSpfResult) mx6 = check("2001:db8::10", NULL, "x@withmx.example", NULL);
  g_autoptr(BimiSpfResult) mapped = check("::ffff:192.0.2.10", NULL, "x@withmx.example", NULL);
  g_autoptr(BimiSpfResult) chain = check("192.0.2.10", NULL, "x@chain.example", NULL);
  g_autoptr(BimiSpfResult) chain_fail = check("192.0.2.11", NULL, "x@chain.example", NULL);
  g_autoptr(BimiSpfResult) redir = check("192.0.2.5", NULL, "x@redir.example", NULL);
  g_autoptr(BimiSpfResult) exists = check("192.0.2.10", NULL, "x@exists.example", NULL);
  g_autoptr(BimiSpfResult) v6 = check("2001:db8:1::1", NULL, "x@ipv6.example", NULL);
  g_autoptr(BimiSpfResult) v4_on_v6 = check("192.0.2.1", NULL, "x@ipv6.example", NULL);
  g_autoptr(BimiSpfResult) ptr = check("192.0.2.10", NULL, "x@ptr.example", NULL);
  g_autoptr(BimiSpfResult) ptr_fail = check("192.0.2.11", NULL, "x@ptr.example", NULL);

  g_assert_cmpint(mx->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpstr(mx->mechanism, ==, "mx");
  g_assert_cmpuint(mx->dns_lookups, ==, 1);
  g_assert_cmpint(mx6->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpint(mapped->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpstr(mapped->ip, ==, "192.0.2.10");
  g_assert_cmpint(chain->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpstr(chain->mechanism, ==, "include:inner.example");
  g_assert_cmpuint(chain->dns_lookups, ==, 2);
  /* the include's softfail is a no-match: the outer -all decides (§5.2) */
  g_assert_cmpint(chain_fail->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpstr(chain_fail->mechanism, ==, "-all");
  g_assert_cmpint(redir->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpstr(redir->mechanism, ==, "ip4:192.0.2.0/24");
  g_assert_cmpstr(redir->mechanism_domain, ==, "pass.example");
  g_assert_cmpstr(redir->domain, ==, "redir.example");
  g_assert_cmpstr(redir->record, ==, "v=spf1 redirect=pass.example");
  g_assert_cmpint(exists->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpint(v6->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpint(v4_on_v6->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpint(ptr->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpint(ptr_fail->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpstr(ptr_fail->explanation, ==, "validated name unknown");
}

static void
test_check_p_macro(void)
{
  g_autoptr(BimiSpfResult) r = NULL;
  BimiSpfOptions options = { 0 };

  options.default_explanation = "no: %{p} %{c} %{r}";
  options.receiver = "mx.receiver.example";
  /* 192.0.2.10 has a validated PTR name (mta.ptr.example); only fail gets an explanation */
  r = check("192.0.2.10", NULL, "x@softfail.example", &options);
  g_assert_cmpint(r->result, ==, BIMI_SPF_RESULT_SOFTFAIL);
  g_assert_null(r->explanation);
  bimi_spf_result_free(g_steal_pointer(&r));
  r = check("192.0.2.10", NULL, "x@deny.example", &options);
  g_assert_cmpint(r->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpstr(r->explanation, ==, "no: mta.ptr.example 192.0.2.10 mx.receiver.example");
}

static void
test_check_limit_terms(void)
{
  g_autoptr(BimiSpfResult) over = check("192.0.2.1", NULL, "x@terms.example", NULL);
  g_autoptr(BimiSpfResult) at = check("198.51.100.10", NULL, "x@ten-terms.example", NULL);

  g_assert_cmpint(over->result, ==, BIMI_SPF_RESULT_PERMERROR);
  g_assert_cmpuint(over->dns_lookups, ==, BIMI_SPF_MAX_DNS_TERMS);
  g_assert_nonnull(strstr(over->problem, "more than 10 DNS-querying terms (at 'a:t11.example')"));
  g_assert_cmpint(at->result, ==, BIMI_SPF_RESULT_PASS);
  g_assert_cmpuint(at->dns_lookups, ==, BIMI_SPF_MAX_DNS_TERMS);
}

static void
test_check_limit_voids(void)
{
  g_autoptr(BimiSpfResult) over = check("192.0.2.1", NULL, "x@voids.example", NULL);
  g_autoptr(BimiSpfResult) at = check("192.0.2.1", NULL, "x@two-voids.example", NULL);
  g_autoptr(BimiSpfResult) configured = NULL;
  BimiSpfOptions options = { 0 };

  g_assert_cmpint(over->result, ==, BIMI_SPF_RESULT_PERMERROR);
  g_assert_cmpuint(over->void_lookups, ==, BIMI_SPF_MAX_VOID_LOOKUPS + 1);
  g_assert_nonnull(strstr(over->problem, "more than 2 void lookups (at 'a:nx3.example')"));
  g_assert_cmpint(at->result, ==, BIMI_SPF_RESULT_NEUTRAL);
  g_assert_cmpuint(at->void_lookups, ==, 2);
  options.max_void_lookups = 3;
  configured = check("192.0.2.1", NULL, "x@voids.example", &options);
  g_assert_cmpint(configured->result, ==, BIMI_SPF_RESULT_NEUTRAL);
}

static void
test_check_limit_mx(void)
{
  g_autoptr(BimiSpfResult) over = check("198.51.100.1", NULL, "x@mx11.example", NULL);
  g_autoptr(BimiSpfResult) at = check("192.0.2.10", NULL, "x@mx10.example", NULL);

  g_assert_cmpint(over->result, ==, BIMI_SPF_RESULT_PERMERROR);
  g_assert_nonnull(strstr(over->problem, "11 MX records, more than 10"));
  g_assert_cmpint(at->result, ==, BIMI_SPF_RESULT_PASS);
}

static void
test_check_limit_ptr(void)
{
  g_autoptr(BimiSpfResult) r = check("192.0.2.99", NULL, "x@ptr12.example", NULL);

  g_assert_cmpint(r->result, ==, BIMI_SPF_RESULT_FAIL);
  /* TXT + PTR + BIMI_SPF_MAX_PTR_NAMES address queries, not 12 */
  g_assert_cmpuint(r->dns_queries, ==, 2 + BIMI_SPF_MAX_PTR_NAMES);
}

/* §4.6.4 elapsed-time limit: ten PTR names whose address lookups are never
 * answered end the check with temperror "deadline" once the limit passes,
 * instead of ten timeouts and a fail. Checked by the result and by how many
 * names were asked, never by the clock. */
static BimiSpfResult *
check_silent(SilentDns *server, guint time_limit_ms)
{
  g_autofree char *fwd = g_strdup_printf("127.0.0.1@%u", silent_dns_port(server));
  const char *fwds[] = { fwd, NULL };
  BimiDnsConfig config = { 0 };
  BimiSpfOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) resolver = NULL;
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string("192.0.2.1");
  BimiSpfResult *r;

  config.forwarders = fwds;
  config.timeout_ms = 300;
  resolver = bimi_dns_resolver_new(&config, &error);
  g_assert_no_error(error);
  options.time_limit_ms = time_limit_ms;
  r = bimi_spf_check(resolver, ip, "helo.example", "x@slow.example", &options, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  g_test_message("%s: problem %s, %u queries", bimi_spf_result_to_string(r->result), r->problem, r->dns_queries);
  return r;
}

static void
test_check_limit_time(void)
{
  static const char *const records[] = { "v=spf1 ptr -all", "v=spf1 exists:%{p}.x.example -all" };

  for (gsize i = 0; i < G_N_ELEMENTS(records); i++) {
    SilentDns *server = silent_dns_start(10, records[i]);
    g_autoptr(BimiSpfResult) r = check_silent(server, 700);
    guint asked = silent_dns_names_asked(server, BIMI_DNS_TYPE_A);

    g_assert_cmpint(r->result, ==, BIMI_SPF_RESULT_TEMPERROR);
    g_assert_true(g_str_has_prefix(r->problem, "deadline: "));
    g_assert_nonnull(strstr(r->problem, "700 ms"));
    /* 300 ms per query, 700 ms in all: at most 3 of the 10 names asked */
    g_assert_cmpuint(asked, >=, 1);
    g_assert_cmpuint(asked, <=, 3);
    g_assert_cmpuint(r->dns_queries, ==, 2 + asked); /* TXT, PTR, the names asked */
    silent_dns_stop(server);
  }
}

static void
test_check_limit_input(void)
{
  g_autoptr(BimiDnsResolver) resolver = fixture_resolver();
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string("192.0.2.1");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) sender = g_string_new(NULL);
  g_autoptr(BimiSpfResult) at = NULL;

  while (sender->len + strlen("@pass.example") < BIMI_SPF_MAX_SENDER_BYTES)
    g_string_append_c(sender, 'a');
  g_string_append(sender, "@pass.example");
  g_assert_cmpuint(sender->len, ==, BIMI_SPF_MAX_SENDER_BYTES);
  at = bimi_spf_check(resolver, addr, NULL, sender->str, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(at->result, ==, BIMI_SPF_RESULT_PASS);
  g_string_prepend_c(sender, 'a');
  g_assert_null(bimi_spf_check(resolver, addr, NULL, sender->str, NULL, &error));
  g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_INPUT);
  g_clear_error(&error);
  g_assert_null(bimi_spf_check(resolver, addr, NULL, "a\nb@pass.example", NULL, &error));
  g_assert_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_INPUT);
}

static void
test_check_limit_explanation(void)
{
  g_autoptr(BimiSpfResult) at = check("192.0.2.1", NULL, "x@okexp.example", NULL);
  g_autoptr(BimiSpfResult) over = check("192.0.2.1", NULL, "x@longexp.example", NULL);
  g_autoptr(BimiSpfResult) expanded = check("192.0.2.1", NULL, "x@longexp2.example", NULL);
  g_autoptr(BimiSpfResult) fallback = NULL;
  BimiSpfOptions options = { 0 };

  g_assert_cmpint(at->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_cmpuint(strlen(at->explanation), ==, BIMI_SPF_MAX_EXPLANATION_BYTES);
  /* §6.2: an unusable explanation is as if there were no exp= */
  g_assert_cmpint(over->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_null(over->explanation);
  g_assert_null(over->problem);
  g_assert_cmpint(expanded->result, ==, BIMI_SPF_RESULT_FAIL);
  g_assert_null(expanded->explanation);
  options.default_explanation = "see https://example.com/spf?d=%{d}";
  fallback = check("192.0.2.1", NULL, "x@longexp2.example", &options);
  g_assert_cmpstr(fallback->explanation, ==, "see https://example.com/spf?d=longexp2.example");
}

static void
test_result_names(void)
{
  BimiSpfResultCode code;
  g_assert_cmpstr(bimi_spf_result_to_string(BIMI_SPF_RESULT_PERMERROR), ==, "permerror");
  g_assert_cmpstr(bimi_spf_result_to_string(BIMI_SPF_RESULT_SOFTFAIL), ==, "softfail");
  g_assert_true(bimi_spf_result_from_string("TempError", &code));
  g_assert_cmpint(code, ==, BIMI_SPF_RESULT_TEMPERROR);
  g_assert_false(bimi_spf_result_from_string("unknown", &code));
  g_assert_cmpstr(bimi_spf_identity_to_string(BIMI_SPF_IDENTITY_HELO), ==, "helo");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/spf/record/basic", test_record_basic);
  g_test_add_func("/spf/record/version", test_record_version);
  g_test_add_func("/spf/record/syntax-errors", test_record_syntax_errors);
  g_test_add_func("/spf/record/valid-syntax", test_record_valid_syntax);
  g_test_add_func("/spf/record/limit-bytes", test_record_limit_bytes);
  g_test_add_func("/spf/record/limit-terms", test_record_limit_terms);
  g_test_add_func("/spf/macro/rfc7208-examples", test_macro_rfc_examples);
  g_test_add_func("/spf/macro/special", test_macro_special);
  g_test_add_func("/spf/macro/errors", test_macro_errors);
  g_test_add_func("/spf/macro/limit-expansion", test_macro_limit);
  g_test_add_func("/spf/macro/domain-rules", test_macro_domain_rules);
  g_test_add_func("/spf/check/basic", test_check_basic);
  g_test_add_func("/spf/check/errors", test_check_errors);
  g_test_add_func("/spf/check/identities", test_check_identities);
  g_test_add_func("/spf/check/unusable-helo", test_check_unusable_helo);
  g_test_add_func("/spf/check/mechanisms", test_check_mechanisms);
  g_test_add_func("/spf/check/p-macro", test_check_p_macro);
  g_test_add_func("/spf/check/limit-dns-terms", test_check_limit_terms);
  g_test_add_func("/spf/check/limit-void-lookups", test_check_limit_voids);
  g_test_add_func("/spf/check/limit-mx-names", test_check_limit_mx);
  g_test_add_func("/spf/check/limit-ptr-names", test_check_limit_ptr);
  g_test_add_func("/spf/check/limit-input", test_check_limit_input);
  g_test_add_func("/spf/check/limit-time", test_check_limit_time);
  g_test_add_func("/spf/check/limit-explanation", test_check_limit_explanation);
  g_test_add_func("/spf/result-names", test_result_names);
  return g_test_run();
}
