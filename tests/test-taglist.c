/* tests/test-taglist.c — RFC 6376 §3.2 tag-list parser. */
#include "engine/taglist.h"
#include "engine/limits.h"
#include "tests/lib/outcome.h"

#include <string.h>

static BimiTagList *
parse_ok(const char *s, BimiTaglistFlags flags)
{
  g_autoptr(GError) error = NULL;
  BimiTagList *l = bimi_taglist_parse(s, strlen(s), flags, &error);
  return bimi_test_expect_ok(l, error);
}

/* Parses, expects failure with @code, and checks the message mentions @needle. */
static void
parse_fail(const char *s, gsize len, BimiTaglistFlags flags, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiTagList) l = bimi_taglist_parse(s, len, flags, &error);
  bimi_test_expect_refused(l, error, BIMI_TAGLIST_ERROR, code, needle);
}

#define FAIL_STR(s, code, needle) parse_fail((s), strlen(s), BIMI_TAGLIST_FLAG_NONE, (code), (needle))

/* A tag-list that must be refused (strict flags): the error code and a part of the message. */
typedef struct {
  const char *text;
  int code;
  const char *needle;
} FailCase;

static void
assert_fails(const FailCase *cases, gsize n)
{
  for (gsize i = 0; i < n; i++)
    FAIL_STR(cases[i].text, cases[i].code, cases[i].needle);
}

/* Checks the invariants that bind a tag to its input. */
static void
assert_tag_ranges(const char *input, const BimiTag *t)
{
  g_assert_cmpmem(input + t->value_offset, t->value_len, t->value, strlen(t->value));
  g_assert_cmpuint(t->raw_value_offset, <=, t->value_offset);
  g_assert_cmpuint(t->raw_value_offset + t->raw_value_len, >=, t->value_offset + t->value_len);
  g_assert_cmpmem(input + t->name_offset, strlen(t->name), t->name, strlen(t->name));
  g_assert_cmpint(input[t->raw_value_offset - 1], ==, '=');
}

/* RFC 6376 Appendix A.2, the DKIM-Signature value as printed (folded with CRLF). */
static const char a2_sig[] =
  " v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
  "      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
  "      h=Received : From : To : Subject : Date : Message-ID;\r\n"
  "      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
  "      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
  "      4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
  "      KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
  "      4bmp/YzhwvcubU4=;\r\n";

static void
test_rfc6376_a2(void)
{
  g_autoptr(BimiTagList) l = parse_ok(a2_sig, BIMI_TAGLIST_FLAG_NONE);
  static const char *const names[] = { "v", "a", "s", "d", "c", "q", "i", "h", "bh", "b" };
  g_assert_cmpuint(bimi_taglist_get_n_tags(l), ==, G_N_ELEMENTS(names));
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    const BimiTag *t = bimi_taglist_get(l, i);
    g_assert_cmpstr(t->name, ==, names[i]);
    assert_tag_ranges(a2_sig, t);
  }
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "v"), ==, "1");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "a"), ==, "rsa-sha256");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "c"), ==, "simple/simple");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "i"), ==, "joe@football.example.com");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "h"), ==,
                  "Received : From : To : Subject : Date : Message-ID");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "bh"), ==,
                  "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
  g_assert_null(bimi_taglist_lookup(l, "x"));
  g_assert_null(bimi_taglist_lookup(l, "V")); /* names are case-sensitive */

  const BimiTag *b = bimi_taglist_lookup(l, "b");
  g_assert_nonnull(b);
  /* The value keeps its folding as written... */
  g_assert_true(g_str_has_prefix(b->value, "AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n      4nujc7"));
  g_assert_true(g_str_has_suffix(b->value, "4bmp/YzhwvcubU4="));
  /* ...and the base64 helper removes it. */
  g_autofree char *b64 = bimi_taglist_value_strip_ws(b);
  g_assert_cmpstr(b64, ==,
                  "AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB"
                  "4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut"
                  "KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV"
                  "4bmp/YzhwvcubU4=");
  gsize b_tag = (gsize) (strstr(a2_sig, " b=") - a2_sig) + 1;
  g_assert_cmpuint(b->name_offset, ==, b_tag);
  g_assert_cmpuint(b->raw_value_offset, ==, b_tag + 2);
  g_assert_cmpuint(b->value_offset, ==, b_tag + 2);
  /* The raw value ends right before the final ';'. */
  g_assert_cmpint(a2_sig[b->raw_value_offset + b->raw_value_len], ==, ';');
  g_assert_cmpuint(b->raw_value_offset + b->raw_value_len, ==, strlen(a2_sig) - 3);
}

/* RFC 6376 §3.5, the example signature: z= with '|' and '=' and a fold. */
static void
test_rfc6376_3_5(void)
{
  static const char sig[] =
    "v=1; a=rsa-sha256; d=example.net; s=brisbane;\r\n"
    "     c=simple; q=dns/txt; i=@eng.example.net;\r\n"
    "     t=1117574938; x=1118006938;\r\n"
    "     h=from:to:subject:date;\r\n"
    "     z=From:foo@eng.example.net|To:joe@example.com|\r\n"
    "       Subject:demo=20run|Date:July=205,=202005=203:44:08=20PM=20-0700;\r\n"
    "     bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;\r\n"
    "     b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR";
  g_autoptr(BimiTagList) l = parse_ok(sig, BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpuint(bimi_taglist_get_n_tags(l), ==, 13);
  g_assert_cmpstr(bimi_taglist_get(l, 0)->name, ==, "v");
  g_assert_cmpstr(bimi_taglist_get(l, 12)->name, ==, "b");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "t"), ==, "1117574938");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "h"), ==, "from:to:subject:date");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "z"), ==,
                  "From:foo@eng.example.net|To:joe@example.com|\r\n"
                  "       Subject:demo=20run|Date:July=205,=202005=203:44:08=20PM=20-0700");
  const BimiTag *b = bimi_taglist_lookup(l, "b");
  /* Unterminated last tag: the raw value runs to the end of the input. */
  g_assert_cmpuint(b->raw_value_offset + b->raw_value_len, ==, strlen(sig));
  for (guint i = 0; i < bimi_taglist_get_n_tags(l); i++)
    assert_tag_ranges(sig, bimi_taglist_get(l, i));
}

static void
test_fws_around(void)
{
  static const char s[] = " v = 1 ;\r\n\ta\r\n =\r\n b\r\n ; c=  x  y\t";
  g_autoptr(BimiTagList) l = parse_ok(s, BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpuint(bimi_taglist_get_n_tags(l), ==, 3);
  const BimiTag *v = bimi_taglist_get(l, 0), *a = bimi_taglist_get(l, 1), *c = bimi_taglist_get(l, 2);
  g_assert_cmpstr(v->value, ==, "1");
  g_assert_cmpuint(v->name_offset, ==, 1);
  g_assert_cmpuint(v->raw_value_offset, ==, 4);
  g_assert_cmpuint(v->raw_value_len, ==, 3); /* " 1 " */
  g_assert_cmpuint(v->value_offset, ==, 5);
  g_assert_cmpstr(a->name, ==, "a");
  g_assert_cmpstr(a->value, ==, "b");
  g_assert_cmpuint(a->raw_value_len, ==, 7); /* "\r\n b\r\n " */
  g_assert_cmpstr(c->value, ==, "x  y"); /* internal WSP kept, outer trimmed */
  g_assert_cmpuint(c->raw_value_len, ==, 7);
  for (guint i = 0; i < 3; i++)
    assert_tag_ranges(s, bimi_taglist_get(l, i));
}

static void
test_value_internal_fws(void)
{
  static const char s[] = "h=from:to\r\n :subject; p=MIGf MA0G\r\n\tCSqG";
  g_autoptr(BimiTagList) l = parse_ok(s, BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "h"), ==, "from:to\r\n :subject");
  const BimiTag *p = bimi_taglist_lookup(l, "p");
  g_assert_cmpstr(p->value, ==, "MIGf MA0G\r\n\tCSqG");
  g_autofree char *b64 = bimi_taglist_value_strip_ws(p);
  g_assert_cmpstr(b64, ==, "MIGfMA0GCSqG");
}

static void
test_value_empty(void)
{
  g_autoptr(BimiTagList) l = parse_ok("a=; b=  ;c=", BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpuint(bimi_taglist_get_n_tags(l), ==, 3);
  for (guint i = 0; i < 3; i++) {
    const BimiTag *t = bimi_taglist_get(l, i);
    g_assert_cmpstr(t->value, ==, "");
    g_assert_cmpuint(t->value_len, ==, 0);
  }
  g_assert_cmpuint(bimi_taglist_get(l, 1)->raw_value_len, ==, 2);
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "c"), ==, "");
  /* p= empty: a revoked DKIM key (RFC 6376 §3.6.1). */
  g_autoptr(BimiTagList) k = parse_ok("v=DKIM1; p=", BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpstr(bimi_taglist_lookup_value(k, "p"), ==, "");
}

static void
test_trailing_semicolon(void)
{
  const char *ok[] = { "a=1;", "a=1; ", "a=1;\r\n", "a=1;\r\n ", "a=1\r\n", "a=1 ;\t" };
  for (guint i = 0; i < G_N_ELEMENTS(ok); i++) {
    g_autoptr(BimiTagList) l = parse_ok(ok[i], BIMI_TAGLIST_FLAG_NONE);
    g_assert_cmpuint(bimi_taglist_get_n_tags(l), ==, 1);
    g_assert_cmpstr(bimi_taglist_lookup_value(l, "a"), ==, "1");
  }
}

static void
test_empty_spec(void)
{
  /* ValiMail ARC ams_format_tags_sc: "i=1; s=dummy;; t=12345" must fail. */
  static const FailCase fails[] = {
    { "i=1; s=dummy;; t=12345", BIMI_TAGLIST_ERROR_SYNTAX, "stray ';') at byte 13" },
    { ";a=1", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 0" },
    { "a=1; ;", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 5" },
    { "a=1;;", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 4" },
    { ";", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 0" },
    { "", BIMI_TAGLIST_ERROR_SYNTAX, "empty tag-list" },
    { " \r\n ", BIMI_TAGLIST_ERROR_SYNTAX, "empty tag-list" },
  };
  assert_fails(fails, G_N_ELEMENTS(fails));

  /* Lenient consumers skip them. */
  g_autoptr(BimiTagList) l = parse_ok(";v=DMARC1;; p=none ; ;", BIMI_TAGLIST_FLAG_ALLOW_EMPTY);
  g_assert_cmpuint(bimi_taglist_get_n_tags(l), ==, 2);
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "v"), ==, "DMARC1");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "p"), ==, "none");
  g_autoptr(BimiTagList) e = parse_ok("", BIMI_TAGLIST_FLAG_ALLOW_EMPTY);
  g_assert_cmpuint(bimi_taglist_get_n_tags(e), ==, 0);
}

static void
test_duplicate(void)
{
  FAIL_STR("a=1; b=2; a=3", BIMI_TAGLIST_ERROR_DUPLICATE, "'a' at byte 10 (first at byte 0)");
  FAIL_STR("d=x;d=x", BIMI_TAGLIST_ERROR_DUPLICATE, "at byte 4");
  /* Also with the lenient flag: duplicates are never allowed. */
  parse_fail("a=1;;a=1", 8, BIMI_TAGLIST_FLAG_ALLOW_EMPTY, BIMI_TAGLIST_ERROR_DUPLICATE, "byte 5");
  /* Names are case-sensitive, so these are two different tags. */
  g_autoptr(BimiTagList) l = parse_ok("a=1; A=2", BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "a"), ==, "1");
  g_assert_cmpstr(bimi_taglist_lookup_value(l, "A"), ==, "2");
}

static void
test_missing_equals(void)
{
  static const FailCase fails[] = {
    { "a=1; b", BIMI_TAGLIST_ERROR_SYNTAX, "after tag name 'b' at byte 6, found the end" },
    { "a=1; b 2", BIMI_TAGLIST_ERROR_SYNTAX, "'b' at byte 7, found '2'" },
    { "a=1; b; c=3", BIMI_TAGLIST_ERROR_SYNTAX, "found ';'" },
    /* ValiMail "Public Key": an unparsable key record. */
    { "v=DKIM1; k=rsa; omgwhatsgoingon", BIMI_TAGLIST_ERROR_SYNTAX, "'omgwhatsgoingon'" },
  };
  assert_fails(fails, G_N_ELEMENTS(fails));
}

static void
test_bad_name(void)
{
  static const FailCase fails[] = {
    { "1a=x", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 0, found '1'" },
    /* ValiMail as_format_inv_tag_key / ams_format_inv_tag_key. */
    { "s=dummy; _=; t=1", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 9, found '_'" },
    { "s=dummy; ==; t=1", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 9, found '='" },
    { "a-b=1", BIMI_TAGLIST_ERROR_SYNTAX, "found '-'" },
    { "a.b=1", BIMI_TAGLIST_ERROR_SYNTAX, "found '.'" },
    { "\xc3\xa9=1", BIMI_TAGLIST_ERROR_SYNTAX, "byte 0xc3" },
  };
  assert_fails(fails, G_N_ELEMENTS(fails));
  g_autoptr(BimiTagList) l = parse_ok("a_b9=1; Z=2", BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpstr(bimi_taglist_get(l, 0)->name, ==, "a_b9");
}

static void
test_bad_bytes(void)
{
  static const FailCase fails[] = {
    { "a=caf\xc3\xa9", BIMI_TAGLIST_ERROR_SYNTAX, "byte 0xc3 not allowed in the value of tag 'a' at byte 5" },
    { "a=\x01", BIMI_TAGLIST_ERROR_SYNTAX, "byte 0x01" },
    { "a=\x7f", BIMI_TAGLIST_ERROR_SYNTAX, "byte 0x7f" },
    { "a=1\rb", BIMI_TAGLIST_ERROR_SYNTAX, "CR" },
    { "a=1\nb", BIMI_TAGLIST_ERROR_SYNTAX, "LF" },
  };
  assert_fails(fails, G_N_ELEMENTS(fails));
  FAIL_STR("a=1\r\nb=2", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 3"); /* CRLF not followed by WSP */
  FAIL_STR("a=1;\r\n\r\n b=2", BIMI_TAGLIST_ERROR_SYNTAX, "at byte 4");
  /* An embedded NUL, with an explicit length. */
  parse_fail("a=1\0b", 5, BIMI_TAGLIST_FLAG_NONE, BIMI_TAGLIST_ERROR_SYNTAX, "byte 0x00");
  parse_fail("a\0=1", 4, BIMI_TAGLIST_FLAG_NONE, BIMI_TAGLIST_ERROR_SYNTAX, "byte 0x00");
}

static void
test_explicit_length(void)
{
  /* Only the first len bytes count; nothing after them is read. */
  static const char s[] = "a=1;b=2";
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiTagList) l = bimi_taglist_parse(s, 3, BIMI_TAGLIST_FLAG_NONE, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(bimi_taglist_get_n_tags(l), ==, 1);
  /* A buffer with no NUL at all. */
  char *heap = g_malloc(3);
  memcpy(heap, "x=y", 3);
  g_autoptr(BimiTagList) h = bimi_taglist_parse(heap, 3, BIMI_TAGLIST_FLAG_NONE, &error);
  g_free(heap);
  g_assert_no_error(error);
  g_assert_cmpstr(bimi_taglist_lookup_value(h, "x"), ==, "y");
}

static void
test_dmarc_bimi_records(void)
{
  g_autoptr(BimiTagList) d =
    parse_ok("v=DMARC1; p=reject; rua=mailto:d@rua.example.com; pct=100", BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpstr(bimi_taglist_lookup_value(d, "rua"), ==, "mailto:d@rua.example.com");
  g_autoptr(BimiTagList) b = parse_ok(
    "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem;",
    BIMI_TAGLIST_FLAG_ALLOW_EMPTY);
  g_assert_cmpuint(bimi_taglist_get_n_tags(b), ==, 3);
  g_assert_cmpstr(bimi_taglist_lookup_value(b, "l"), ==, "https://example.com/logo.svg");
  /* Declination record: empty l= and a=. */
  g_autoptr(BimiTagList) n = parse_ok("v=BIMI1; l=; a=;", BIMI_TAGLIST_FLAG_NONE);
  g_assert_cmpstr(bimi_taglist_lookup_value(n, "l"), ==, "");
}

static void
test_limit_bytes(void)
{
  gsize n = BIMI_MAX_TAGLIST_BYTES + 1;
  g_autofree char *s = g_malloc(n);
  s[0] = 'a';
  s[1] = '=';
  memset(s + 2, 'x', n - 2);
  parse_fail(s, n, BIMI_TAGLIST_FLAG_NONE, BIMI_TAGLIST_ERROR_LIMIT, "65537 bytes");
  /* Exactly at the limit it parses. */
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiTagList) l = bimi_taglist_parse(s, n - 1, BIMI_TAGLIST_FLAG_NONE, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(strlen(bimi_taglist_lookup_value(l, "a")), ==, n - 3);
}

static void
test_limit_tags(void)
{
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < BIMI_MAX_TAGS; i++)
    g_string_append_printf(s, "t%u=%u;", i, i);
  {
    g_autoptr(BimiTagList) l = parse_ok(s->str, BIMI_TAGLIST_FLAG_NONE);
    g_assert_cmpuint(bimi_taglist_get_n_tags(l), ==, BIMI_MAX_TAGS);
    g_assert_cmpstr(bimi_taglist_lookup_value(l, "t63"), ==, "63");
  }
  gsize where = s->len;
  g_string_append(s, "extra=1");
  g_autofree char *needle = g_strdup_printf("at byte %" G_GSIZE_FORMAT, where);
  FAIL_STR(s->str, BIMI_TAGLIST_ERROR_LIMIT, needle);
}

static void
test_limit_name(void)
{
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < BIMI_MAX_TAG_NAME_BYTES; i++)
    g_string_append_c(s, 'n');
  g_string_append(s, "=1");
  {
    g_autoptr(BimiTagList) l = parse_ok(s->str, BIMI_TAGLIST_FLAG_NONE);
    g_assert_cmpuint(strlen(bimi_taglist_get(l, 0)->name), ==, BIMI_MAX_TAG_NAME_BYTES);
  }
  g_string_prepend_c(s, 'n');
  FAIL_STR(s->str, BIMI_TAGLIST_ERROR_LIMIT, "65 bytes long");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/taglist/rfc6376/appendix-a2", test_rfc6376_a2);
  g_test_add_func("/taglist/rfc6376/section-3.5", test_rfc6376_3_5);
  g_test_add_func("/taglist/fws/around-equals-and-semicolon", test_fws_around);
  g_test_add_func("/taglist/fws/inside-value", test_value_internal_fws);
  g_test_add_func("/taglist/value/empty", test_value_empty);
  g_test_add_func("/taglist/trailing-semicolon", test_trailing_semicolon);
  g_test_add_func("/taglist/empty-tag-spec", test_empty_spec);
  g_test_add_func("/taglist/duplicate", test_duplicate);
  g_test_add_func("/taglist/missing-equals", test_missing_equals);
  g_test_add_func("/taglist/bad-tag-name", test_bad_name);
  g_test_add_func("/taglist/bad-bytes", test_bad_bytes);
  g_test_add_func("/taglist/explicit-length", test_explicit_length);
  g_test_add_func("/taglist/dmarc-bimi-records", test_dmarc_bimi_records);
  g_test_add_func("/taglist/limit/bytes", test_limit_bytes);
  g_test_add_func("/taglist/limit/tags", test_limit_tags);
  g_test_add_func("/taglist/limit/name-bytes", test_limit_name);
  return g_test_run();
}
