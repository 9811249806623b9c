/* tests/test-base-domain.c — engine/base/base-domain: validation with flags,
 * RFC 4343 comparison, is-within (RFC 1035 §2.3.1, §2.3.4). */
#include "engine/base/base-domain.h"

#include <string.h>

static BimiDomainInfo
check(const char *s, gsize max_len, guint min_labels, guint flags, gboolean want)
{
  BimiDomainInfo info;
  gboolean ok = bimi_domain_check(s, strlen(s), max_len, min_labels, flags, &info);
  if (ok != want)
    g_error("bimi_domain_check(\"%s\", 0x%x) = %d, status %d at %" G_GSIZE_FORMAT, s, flags, ok, info.status,
            info.offset);
  return info;
}

static void
test_ldh(void)
{
  BimiDomainInfo i = check("mail.Example-1.com", 253, 2, BIMI_DOMAIN_LDH, TRUE);
  g_assert_cmpuint(i.labels, ==, 3);
  g_assert_cmpuint(i.last_label_offset, ==, 15);
  g_assert_cmpuint(i.last_label_len, ==, 3);

  i = check("-a.example", 253, 1, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_HYPHEN_EDGE);
  g_assert_cmpuint(i.offset, ==, 0);
  i = check("a.b-.example", 253, 1, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_HYPHEN_EDGE);
  g_assert_cmpuint(i.offset, ==, 2);
  check("a.b-.example", 253, 1, BIMI_DOMAIN_HYPHEN_EDGES, TRUE);
  i = check("a_b.example", 253, 1, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_BAD_BYTE);
  g_assert_cmpuint(i.offset, ==, 1);
  check("_dmarc.example", 253, 1, BIMI_DOMAIN_UNDERSCORE, TRUE);
  i = check("a..example", 253, 1, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_EMPTY_LABEL);
  g_assert_cmpuint(i.offset, ==, 2);
  i = check("example.", 253, 1, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_EMPTY_LABEL);
  i = check("example", 253, 2, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_TOO_FEW_LABELS);
  g_assert_cmpuint(i.labels, ==, 1);
  i = check("", 253, 1, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_EMPTY);
  /* Lengths only: any byte, empty labels. */
  check("a b..c", 253, 1, BIMI_DOMAIN_ANY_BYTES | BIMI_DOMAIN_EMPTY_LABELS, TRUE);
}

/* The limits: a 63-byte label and a 253-byte name pass, one more byte fails. */
static void
test_limits(void)
{
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < BIMI_BASE_DNS_MAX_LABEL_BYTES; i++)
    g_string_append_c(s, 'a');
  g_string_append(s, ".example");
  check(s->str, BIMI_BASE_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_LDH, TRUE);
  g_string_prepend_c(s, 'a');
  BimiDomainInfo i = check(s->str, BIMI_BASE_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_LABEL_TOO_LONG);
  check(s->str, BIMI_BASE_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_NO_LABEL_LIMIT, TRUE);

  g_string_truncate(s, 0);
  while (s->len + 2 <= BIMI_BASE_DNS_MAX_NAME_BYTES)
    g_string_append(s, "a.");
  g_string_append_c(s, 'b');
  g_assert_cmpuint(s->len, ==, BIMI_BASE_DNS_MAX_NAME_BYTES);
  check(s->str, BIMI_BASE_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_LDH, TRUE);
  g_string_prepend_c(s, 'c');
  i = check(s->str, BIMI_BASE_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_LDH, FALSE);
  g_assert_cmpint(i.status, ==, BIMI_DOMAIN_TOO_LONG);
  g_assert_cmpuint(i.offset, ==, BIMI_BASE_DNS_MAX_NAME_BYTES);
}

static void
test_compare(void)
{
  /* Pairs that are the same domain (RFC 4343) and pairs that are not; names within a domain and not. */
  static const char *const same[][2] = { { "Example.COM", "example.com." }, { "a.example.", "A.EXAMPLE" } };
  static const char *const different[][2] = { { "a.example", "b.example" }, { "", "" }, { "a.example", "a.example.." } };
  static const char *const within[][2] = { { "mail.Example.com", "example.COM." }, { "example.com", "example.com" } };
  static const char *const not_within[][2] = {
    { "badexample.com", "example.com" }, { "com", "example.com" }, { "example.com", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(same); i++)
    g_assert_true(bimi_domain_equal(same[i][0], same[i][1]));
  for (gsize i = 0; i < G_N_ELEMENTS(different); i++)
    g_assert_false(bimi_domain_equal(different[i][0], different[i][1]));
  for (gsize i = 0; i < G_N_ELEMENTS(within); i++)
    g_assert_true(bimi_domain_is_within(within[i][0], within[i][1]));
  for (gsize i = 0; i < G_N_ELEMENTS(not_within); i++)
    g_assert_false(bimi_domain_is_within(not_within[i][0], not_within[i][1]));
}

/* RFC 5891 §4/§5 through libidn2: U-labels in, lower-case A-labels out, and back. */
static void
test_idn(void)
{
  static const char bad_utf8[] = "b\xc3r.example";
  static const char umlaut[] = "B\xc3\xbc" "cher.Example";
  g_autofree char *a = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *u = NULL;
  g_autofree char *same = NULL;
  g_autofree char *untouched = NULL;
  const char *why = "unset";

  g_assert_cmpint(bimi_domain_to_ascii(umlaut, strlen(umlaut), &a, &why), ==, BIMI_DOMAIN_IDN_OK);
  g_assert_cmpstr(a, ==, "xn--bcher-kva.example");
  g_assert_null(why);
  g_assert_cmpint(bimi_domain_to_ascii("Mail.EXAMPLE.com", 11, &plain, NULL), ==, BIMI_DOMAIN_IDN_OK);
  g_assert_cmpstr(plain, ==, "mail.exampl");   /* @len bounds the read */
  g_assert_cmpint(bimi_domain_to_ascii(bad_utf8, strlen(bad_utf8), &untouched, &why), ==, BIMI_DOMAIN_IDN_BAD_UTF8);
  g_assert_null(untouched);
  g_assert_cmpint(bimi_domain_to_ascii("\xe2\x80\x8f.example", 11, &untouched, &why), ==, BIMI_DOMAIN_IDN_INVALID);
  g_assert_nonnull(why);
  g_assert_null(untouched);

  u = bimi_domain_to_unicode("xn--bcher-kva.example");
  g_assert_cmpstr(u, ==, "b\xc3\xbc" "cher.example");
  same = bimi_domain_to_unicode("mail.example");
  g_assert_cmpstr(same, ==, "mail.example");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/domain/ldh-flags", test_ldh);
  g_test_add_func("/base/domain/limits", test_limits);
  g_test_add_func("/base/domain/compare-within", test_compare);
  g_test_add_func("/base/domain/idn", test_idn);
  return g_test_run();
}
