/* tests/test-zone.c — RFC 1035 §5 master-file parser and domain names
 * (engine/dns-zone.c), without a resolver. */
#include "engine/dns-zone.h"
#include "tests/lib/data.h"

#include <string.h>

/* Parses @text as source "t.zone" into a fresh zone; returns the records. */
static GPtrArray *
parse(const char *text, const char *origin, GError **error)
{
  g_autoptr(BimiDnsZone) zone = bimi_dns__zone_new(BIMI_MAX_ZONE_RECORDS);
  return bimi_dns__zone_parse(zone, text, strlen(text), "t.zone", origin, error);
}

/* @text parsed without error (the test stops on one); the records. */
static GPtrArray *
parse_ok(const char *text, const char *origin)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records = parse(text, origin, &error);

  g_assert_no_error(error);
  g_assert_nonnull(records);
  return records;
}

static char *
rr(GPtrArray *records, guint i)
{
  g_assert_cmpuint(i, <, records->len);
  return bimi_dns__zone_record_to_string(records->pdata[i]);
}

#define assert_rr(records, i, expected)        \
  do {                                         \
    g_autofree char *_s = rr((records), (i));  \
    g_assert_cmpstr(_s, ==, (expected));       \
  } while (0)

/* The records of @r against @want (NULL: that record is not checked); @r has
 * exactly @n_want records when @exact, at least that many otherwise. */
static void
assert_records(GPtrArray *r, gboolean exact, const char *const *want, gsize n_want)
{
  if (exact)
    g_assert_cmpuint(r->len, ==, n_want);
  else
    g_assert_cmpuint(r->len, >=, n_want);
  for (gsize i = 0; i < n_want; i++) {
    if (want[i] != NULL)
      assert_rr(r, (guint) i, want[i]);
  }
}

#define ASSERT_RECORDS(records, exact, ...)                          \
  do {                                                              \
    static const char *const want_[] = { __VA_ARGS__ };             \
    assert_records((records), (exact), want_, G_N_ELEMENTS(want_)); \
  } while (0)

static void
assert_error(const char *text, int code, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = parse(text, NULL, &error);
  if (records != NULL)
    g_error("parsed but should fail with '%s':\n%s", expected, text);
  g_assert_error(error, BIMI_DNS_ERROR, code);
  if (strstr(error->message, expected) == NULL)
    g_error("message '%s' lacks '%s'", error->message, expected);
}

static void
test_basic(void)
{
  g_autoptr(GPtrArray) r = parse_ok("$ORIGIN example.com.\n"
                                    "$TTL 300\n"
                                    "@        IN A     192.0.2.1\n"
                                    "www      60 IN CNAME @\n"
                                    "mail.example.net.  IN  A 192.0.2.2\n"
                                    "sub      MX 10 mail\n"
                                    "rel      PTR host\n"
                                    "v6       AAAA 2001:DB8:0:0::1\n"
                                    "@        NS ns1.example.org.\n"
                                    "@        SPF \"v=spf1 -all\"\n",
                                    NULL);
  ASSERT_RECORDS(r, TRUE,
                 "example.com. 300 IN A 192.0.2.1",
                 "www.example.com. 60 IN CNAME example.com.",
                 "mail.example.net. 300 IN A 192.0.2.2",
                 "sub.example.com. 300 IN MX 10 mail.example.com.",
                 "rel.example.com. 300 IN PTR host.example.com.",
                 "v6.example.com. 300 IN AAAA 2001:db8::1",
                 "example.com. 300 IN NS ns1.example.org.",
                 "example.com. 300 IN SPF \"v=spf1 -all\"");
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[3])->line, ==, 6);
}

/* RFC 1035 §5.1: a line starting with a blank has the previous owner. */
static void
test_omitted_owner(void)
{
  g_autoptr(GPtrArray) r = parse_ok("a.example. 10 A 192.0.2.1\n"
                                    "  TXT \"x\"\n"
                                    "\t20 AAAA ::1\n"
                                    "; comment line between\n"
                                    "\n"
                                    "   MX 5 a.example.\n"
                                    "b.example. A 192.0.2.2\n"
                                    " A 192.0.2.3\n",
                                    NULL);
  ASSERT_RECORDS(r, TRUE,
                 NULL,
                 "a.example. 10 IN TXT \"x\"",
                 "a.example. 20 IN AAAA ::1",
                 "a.example. 20 IN MX 5 a.example.",
                 NULL,
                 "b.example. 20 IN A 192.0.2.3");
}

/* RFC 1035 §5.1 [TTL] [class] in either order; RFC 2308 §4 $TTL; without
 * $TTL the last explicit TTL; without either the default. */
static void
test_ttl_and_class(void)
{
  g_autoptr(GPtrArray) r = parse_ok("a. A 192.0.2.1\n"
                                    "b. 300 IN A 192.0.2.1\n"
                                    "c. IN 400 A 192.0.2.1\n"
                                    "d. in a 192.0.2.1\n"
                                    "$TTL 1h30m\n"
                                    "e. A 192.0.2.1\n"
                                    "f. 1W2d A 192.0.2.1\n"
                                    "g. 2147483647 A 192.0.2.1\n"
                                    "h. 0 A 192.0.2.1\n",
                                    NULL);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[0])->ttl, ==, BIMI_DNS_ZONE_DEFAULT_TTL);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[1])->ttl, ==, 300);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[2])->ttl, ==, 400);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[3])->ttl, ==, 400);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[4])->ttl, ==, 5400);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[5])->ttl, ==, 9 * 86400);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[6])->ttl, ==, 2147483647u);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[7])->ttl, ==, 0);
}

/* RFC 1035 §3.3.14 / RFC 6376 §3.6.2.2: several character-strings, here
 * across lines inside parentheses, with comments in between. */
static void
test_multi_string_txt(void)
{
  g_autoptr(GPtrArray) r = parse_ok("$ORIGIN example.com.\n"
                                    "sel._domainkey IN TXT ( \"v=DKIM1; k=rsa; \" ; first part\n"
                                    "    \"p=MIGfMA0\"   ; second part\n"
                                    "    unquoted\\032word\n"
                                    ")\n"
                                    "next A 192.0.2.9 ; after\n"
                                    "semi TXT \"a;b\" ; the first ';' is quoted\n"
                                    "empty TXT \"\"\n",
                                    NULL);
  ASSERT_RECORDS(r, TRUE,
                 "sel._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; \" \"p=MIGfMA0\" \"unquoted word\"",
                 "next.example.com. 3600 IN A 192.0.2.9",
                 "semi.example.com. 3600 IN TXT \"a;b\"",
                 "empty.example.com. 3600 IN TXT \"\"");
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[1])->line, ==, 6);
}

/* RFC 1035 §5.1: \X and \DDD, in strings and in names. */
static void
test_escapes(void)
{
  g_autoptr(GPtrArray) r = parse_ok("q. TXT \"say \\\"hi\\\"\\059 ok\" \"back\\\\slash\" \"\\000\\255\\t\"\n"
                                    "dot\\.ted.example. A 192.0.2.1\n"
                                    "sp\\032ace.example. CNAME t\\.x.example.\n"
                                    "\\@at.example. A 192.0.2.2\n",
                                    NULL);
  ASSERT_RECORDS(r, FALSE,
                 "q. 3600 IN TXT \"say \\\"hi\\\"; ok\" \"back\\\\slash\" \"\\000\\255t\"",
                 "dot\\.ted.example. 3600 IN A 192.0.2.1",
                 "sp\\032ace.example. 3600 IN CNAME t\\.x.example.",
                 "\\@at.example. 3600 IN A 192.0.2.2");
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[1])->owner.len, ==, 17);
}

/* $ORIGIN relative to the current origin; a default origin; "@" in RDATA. */
static void
test_origin(void)
{
  g_autoptr(GPtrArray) r = parse_ok("a A 192.0.2.1\n"
                                    "$ORIGIN sub\n"
                                    "b MX 1 @\n"
                                    "$ORIGIN other.test.\n"
                                    "@ PTR a.example.com\n",
                                    "Example.COM");
  ASSERT_RECORDS(r, FALSE,
                 "a.Example.COM. 3600 IN A 192.0.2.1",
                 "b.sub.Example.COM. 3600 IN MX 1 sub.Example.COM.",
                 "other.test. 3600 IN PTR a.example.com.other.test.");
}

/* Many unrelated owners in one file, CRLF line ends, no final newline. */
static void
test_unrelated_owners(void)
{
  g_autoptr(GPtrArray) r = parse_ok("example.com. A 192.0.2.1\r\n"
                                    "example.net TXT \"v=spf1 -all\"\r\n"
                                    "1.2.0.192.in-addr.arpa. PTR example.com.",
                                    NULL);
  ASSERT_RECORDS(r, TRUE,
                 NULL,
                 "example.net. 3600 IN TXT \"v=spf1 -all\"",
                 "1.2.0.192.in-addr.arpa. 3600 IN PTR example.com.");
}

/* RFC 3597 §5 generic RDATA, checked against the type. */
static void
test_generic_rdata(void)
{
  g_autoptr(GPtrArray) r = parse_ok("a. A \\# 4 C0000201\n"
                                    "t. TXT \\# 1 00\n"
                                    "s. SPF \\# 6 0561 62 6364 65\n",
                                    NULL);
  ASSERT_RECORDS(r, FALSE,
                 "a. 3600 IN A \\# 4 C0000201",
                 "t. 3600 IN TXT \\# 1 00",
                 "s. 3600 IN SPF \\# 6 056162636465");
  assert_error("t. TXT \\# 0\n", BIMI_DNS_ERROR_ZONE_SYNTAX, "t.zone:1: TXT RDATA needs at least one character-string");
  assert_error("a. A \\# 3 C00002\n", BIMI_DNS_ERROR_ZONE_SYNTAX, "t.zone:1: \\# RDATA: A RDATA has 3 bytes");
  assert_error("a. A \\# 4 C0000201FF\n", BIMI_DNS_ERROR_ZONE_SYNTAX, "longer than its length");
  assert_error("a. A \\# 4 C00002\n", BIMI_DNS_ERROR_ZONE_SYNTAX, "fewer hex digits");
  assert_error("a. A \\# 4 C00002G1\n", BIMI_DNS_ERROR_ZONE_SYNTAX, "hexadecimal");
  assert_error("t. TXT \\# 2 05AB\n", BIMI_DNS_ERROR_ZONE_SYNTAX, "runs past the RDATA");
  assert_error("t. TXT \\# 70000 00\n", BIMI_DNS_ERROR_ZONE_SYNTAX, "not 0..65535");
}

/* An SOA (zone files written for nsd or BIND) loads. */
static void
test_soa(void)
{
  g_autoptr(GPtrArray) r = parse_ok("$ORIGIN example.com.\n"
                                    "@ 3600 IN SOA ns1 hostmaster ( 2024010101 ; serial\n"
                                    "   1h 15m 1w 300 )\n"
                                    "  NS ns1\n",
                                    NULL);
  ASSERT_RECORDS(r, FALSE,
                 "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 300",
                 "example.com. 3600 IN NS ns1.example.com.");
}

/* Syntax errors name the source and the line of the fault. */
static void
test_errors(void)
{
  const int S = BIMI_DNS_ERROR_ZONE_SYNTAX;
  assert_error("a. A 192.0.2.1\nb. TXT ( \"x\"\n\n", S, "t.zone:2: '(' is never closed");
  assert_error("a. A 192.0.2.1 )\n", S, "t.zone:1: ')' without '('");
  assert_error("a. TXT ( ( \"x\" ) )\n", S, "t.zone:1: nested '('");
  assert_error("\n\na. TXT \"x\n", S, "t.zone:3: quoted string is not closed on its line");
  assert_error("a. TXT \"x", S, "t.zone:1: quoted string is never closed");
  assert_error("a. TXT x\\", S, "t.zone:1: backslash at the end");
  assert_error("a. SRV 0 0 25 b.\n", S, "t.zone:1: unsupported record type 'SRV'");
  assert_error("a. CH TXT \"x\"\n", S, "t.zone:1: class 'CH' is not supported");
  assert_error("a. 300\n", S, "t.zone:1: record type missing");
  assert_error("\n a. A 192.0.2.1\n", S, "t.zone:2: line starts with a blank");
  assert_error("a. A 192.0.2\n", S, "t.zone:1: A address '192.0.2' is not valid");
  assert_error("a. A 2001:db8::1\n", S, "A address '2001:db8::1' is not valid");
  assert_error("a. AAAA 192.0.2.1\n", S, "AAAA address '192.0.2.1' is not valid");
  assert_error("a. AAAA fe80::1%eth0\n", S, "AAAA address");
  assert_error("a. A\n", S, "t.zone:1: A address missing");
  assert_error("a. MX 70000 b.\n", S, "MX preference '70000' is not 0..65535");
  assert_error("a. MX 10\n", S, "MX exchange missing");
  assert_error("a. CNAME \"b.\"\n", S, "CNAME target cannot be a quoted string");
  assert_error("a. A 192.0.2.1 192.0.2.2\n", S, "t.zone:1: unexpected '192.0.2.2' after the A RDATA");
  assert_error("a. TXT \"\\256\"\n", S, "bad escape");
  assert_error("a. TXT \"\\25x\"\n", S, "bad escape");
  assert_error("\"a.\" A 192.0.2.1\n", S, "owner name cannot be a quoted string");
  assert_error("a..b. A 192.0.2.1\n", S, "t.zone:1: owner name 'a..b.': empty label");
  assert_error("a.\\25x. A 192.0.2.1\n", S, "\\DDD escape needs three digits");
  assert_error("$INCLUDE /etc/passwd\n", S, "t.zone:1: $INCLUDE is not supported");
  assert_error("$GENERATE 1-2 a$ A 192.0.2.$\n", S, "unknown directive '$GENERATE'");
  assert_error("$TTL soon\n", S, "$TTL 'soon' is not a number of seconds");
  assert_error("$TTL 1h30\n", S, "not a number of seconds");
  assert_error("$ORIGIN a. b.\n", S, "unexpected 'b.' after the directive");
  assert_error("a. 2147483648 A 192.0.2.1\n", S, "t.zone:1: TTL above 2147483647 seconds");
  assert_error("a. 9999999999999999999999 A 192.0.2.1\n", S, "TTL above");
  assert_error("a. 1w99999d A 192.0.2.1\n", S, "TTL above");
  assert_error("a. SOA b. c. 1 2 3 4\n", S, "SOA minimum missing");
  assert_error("a. SOA b. c. 4294967296 1 2 3 4\n", S, "SOA serial");
  /* RFC 2181 §10.1 */
  assert_error("a. A 192.0.2.1\na. CNAME b.\n", S, "t.zone:2: a: a CNAME owner can have no other record");
  assert_error("a. CNAME b.\nA. TXT \"x\"\n", S, "t.zone:2: a already has a CNAME");
  assert_error("a. CNAME b.\na. CNAME c.\n", S, "not even another CNAME");
  assert_error("a. A 192.0.2.1\n*.a. A 192.0.2.1\n", S, "t.zone:2: wildcard owner names are not supported");
}

/* RFC 1035 §2.3.4: labels of 63 octets, names of 255 octets in wire form. */
static void
test_name_limits(void)
{
  g_autofree char *l63 = g_strnfill(63, 'a');
  g_autofree char *l64 = g_strnfill(64, 'a');
  /* 3 labels of 63 + one of 61 = 4*1 + 250 + root 1 = 255 octets */
  g_autofree char *longest = bimi_test_longest_name('d');
  g_autofree char *ok = g_strdup_printf("%s. A 192.0.2.1\n", longest);
  g_autofree char *too_long = g_strdup_printf("%sd. A 192.0.2.1\n", longest);
  g_autofree char *label = g_strdup_printf("x. A 192.0.2.1\n%s.example. A 192.0.2.1\n", l64);
  g_autofree char *relative = g_strdup_printf("$ORIGIN %s.%s.%s.\n%s A 192.0.2.1\n", l63, l63, l63, l63);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = parse(ok, NULL, &error);

  g_assert_no_error(error);
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[0])->owner.len, ==, 255);
  assert_error(too_long, BIMI_DNS_ERROR_ZONE_SYNTAX, "t.zone:1: owner name");
  assert_error(too_long, BIMI_DNS_ERROR_ZONE_SYNTAX, "longer than 255 octets");
  assert_error(label, BIMI_DNS_ERROR_ZONE_SYNTAX, "t.zone:2: owner name");
  assert_error(label, BIMI_DNS_ERROR_ZONE_SYNTAX, "label longer than 63 octets");
  assert_error(relative, BIMI_DNS_ERROR_ZONE_SYNTAX, "t.zone:2: owner name");
  assert_error(relative, BIMI_DNS_ERROR_ZONE_SYNTAX, "once the origin is appended");
}

/* A character-string is at most 255 bytes; the RDATA at most
 * BIMI_DNS_MAX_RDATA_BYTES. */
static void
test_rdata_limits(void)
{
  g_autofree char *s255 = g_strnfill(255, 'x');
  g_autofree char *s256 = g_strnfill(256, 'x');
  g_autofree char *ok = g_strdup_printf("a. TXT \"%s\"\n", s255);
  g_autofree char *bad = g_strdup_printf("a. TXT \"%s\"\n", s256);
  g_autoptr(GString) big = g_string_new("a. TXT (\n");
  g_autoptr(GString) fits = g_string_new("a. TXT (\n");
  guint n_fit = BIMI_DNS_MAX_RDATA_BYTES / 256; /* each string: 1 + 255 bytes */
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = parse(ok, NULL, &error);

  g_assert_no_error(error);
  assert_error(bad, BIMI_DNS_ERROR_ZONE_SYNTAX, "t.zone:1: character-string longer than 255 bytes");
  for (guint i = 0; i < n_fit; i++)
    g_string_append_printf(fits, "\"%s\"\n", s255);
  g_string_append(fits, ")\n");
  g_clear_pointer(&r, g_ptr_array_unref);
  r = parse(fits->str, NULL, &error);
  g_assert_no_error(error);
  for (guint i = 0; i <= n_fit; i++)
    g_string_append_printf(big, "\"%s\"\n", s255);
  g_string_append(big, ")\n");
  assert_error(big->str, BIMI_DNS_ERROR_LIMIT, "TXT RDATA longer than 65000 bytes");
  /* the line is the one of the string that crosses the limit */
  {
    g_autofree char *where = g_strdup_printf("t.zone:%u:", n_fit + 2);
    assert_error(big->str, BIMI_DNS_ERROR_LIMIT, where);
  }
}

/* An RRset never larger than an answer may be. */
static void
test_rrset_limit(void)
{
  g_autoptr(GString) text = g_string_new("many.example. 60 IN A 192.0.2.1\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = NULL;

  for (guint i = 1; i < BIMI_DNS_MAX_ANSWER_RECORDS; i++)
    g_string_append_printf(text, " A 10.0.%u.%u\n", i / 256, i % 256);
  r = parse(text->str, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(r->len, ==, BIMI_DNS_MAX_ANSWER_RECORDS);
  g_string_append(text, " TXT \"other types still fit\"\n");
  g_string_append(text, " A 10.9.9.9\n");
  assert_error(text->str, BIMI_DNS_ERROR_LIMIT, "many.example has more than 256 A records");
}

/* BIMI_MAX_ZONE_RECORDS over all sources of one zone; a failed source
 * leaves the zone unchanged. */
static void
test_record_limit(void)
{
  g_autoptr(BimiDnsZone) zone = bimi_dns__zone_new(BIMI_MAX_ZONE_RECORDS);
  g_autoptr(GString) text = g_string_new("$ORIGIN example.\n$TTL 60\n");
  g_autoptr(GPtrArray) r = NULL;
  g_autoptr(GError) error = NULL;
  const char *one_more = "last.example. A 192.0.2.1\n";

  for (guint i = 0; i < BIMI_MAX_ZONE_RECORDS; i++)
    g_string_append_printf(text, "h%u A 192.0.2.1\n", i);
  r = bimi_dns__zone_parse(zone, text->str, text->len, "big.zone", NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(r->len, ==, BIMI_MAX_ZONE_RECORDS);
  g_assert_cmpuint(bimi_dns__zone_record_count(zone), ==, BIMI_MAX_ZONE_RECORDS);
  g_clear_pointer(&r, g_ptr_array_unref);
  r = bimi_dns__zone_parse(zone, one_more, strlen(one_more), "more.zone", NULL, &error);
  g_assert_null(r);
  g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_LIMIT);
  g_assert_nonnull(strstr(error->message, "more.zone:1: more than 200000 zone records"));
  g_assert_cmpuint(bimi_dns__zone_record_count(zone), ==, BIMI_MAX_ZONE_RECORDS);
}

/* Conflicts are checked across sources; a failing source commits nothing. */
static void
test_across_sources(void)
{
  g_autoptr(BimiDnsZone) zone = bimi_dns__zone_new(BIMI_MAX_ZONE_RECORDS);
  g_autoptr(GError) error = NULL;
  const char *first = "alias.example. CNAME target.example.\n";
  const char *second = "ok.example. A 192.0.2.1\nALIAS.example. TXT \"x\"\n";
  const char *third = "ok.example. CNAME elsewhere.example.\n";
  g_autoptr(GPtrArray) r1 = bimi_dns__zone_parse(zone, first, strlen(first), "one.zone", NULL, &error);
  g_autoptr(GPtrArray) r2 = NULL;
  g_autoptr(GPtrArray) r3 = NULL;

  g_assert_no_error(error);
  g_assert_cmpuint(r1->len, ==, 1);
  r2 = bimi_dns__zone_parse(zone, second, strlen(second), "two.zone", NULL, &error);
  g_assert_null(r2);
  g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_ZONE_SYNTAX);
  g_assert_nonnull(strstr(error->message, "two.zone:2: alias.example already has a CNAME"));
  g_clear_error(&error);
  g_assert_cmpuint(bimi_dns__zone_record_count(zone), ==, 1);
  /* ok.example was not committed by the failed source, so a CNAME is fine */
  r3 = bimi_dns__zone_parse(zone, third, strlen(third), "three.zone", NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(r3->len, ==, 1);
  g_assert_cmpuint(bimi_dns__zone_record_count(zone), ==, 2);
}

/* A UTF-8 byte order mark at the start is skipped: the first owner is
 * "example.", not a name starting with the bytes EF BB BF. */
static void
test_bom(void)
{
  g_autoptr(BimiDnsZone) zone = bimi_dns__zone_new(BIMI_MAX_ZONE_RECORDS);
  g_autoptr(GError) error = NULL;
  static const char text[] = "\xef\xbb\xbf" "example. 300 IN A 192.0.2.1\n" "www.example. 300 IN A 192.0.2.2\n";
  g_autoptr(GPtrArray) r = bimi_dns__zone_parse(zone, text, sizeof text - 1, "bom.zone", NULL, &error);
  g_autoptr(GPtrArray) only = NULL;
  g_autofree char *first = NULL;

  g_assert_no_error(error);
  g_assert_cmpuint(r->len, ==, 2);
  first = bimi_dns__zone_record_to_string(r->pdata[0]);
  g_assert_cmpstr(first, ==, "example. 300 IN A 192.0.2.1");
  g_assert_cmpuint(((BimiDnsZoneRecord *) r->pdata[0])->line, ==, 1);
  /* a BOM alone is an empty text */
  only = bimi_dns__zone_parse(zone, text, 3, "bom-only.zone", NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(only->len, ==, 0);
}

/* The upstream DKIM example zones (data only) load as they are. A missing
 * file is a failure unless BIMI_ALLOW_MISSING_UPSTREAM is set. */
static void
test_upstream_zones(void)
{
  const char *dir = bimi_test_upstream_dir();
  const char *files[] = { "rfc-dkim-examples/rfc8463-keys.zone", "rfc-dkim-examples/rfc6376-appendix-C.zone",
                          "bimi/dns/mail-bimi_zonefile.txt" };
  if (dir == NULL)
    dir = "../shared/upstream";
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *path = g_build_filename(dir, files[i], NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(BimiDnsZone) zone = bimi_dns__zone_new(BIMI_MAX_ZONE_RECORDS);
    g_autoptr(GPtrArray) r = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &text, &len, NULL)) {
      /* the same rule as tests/test-authres-suite.c: missing data fails */
      if (g_getenv("BIMI_ALLOW_MISSING_UPSTREAM") != NULL) {
        g_test_skip("upstream data not found");
        return;
      }
      g_test_message("%s: not found (set BIMI_ALLOW_MISSING_UPSTREAM=1 to skip)", path);
      g_test_fail();
      return;
    }
    r = bimi_dns__zone_parse(zone, text, len, path, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(r->len, >, 0);
  }
}

/* Presentation <-> wire names, RFC 1035 §3.1 and §5.1. */
static void
test_names(void)
{
  BimiDnsName n, o, back;
  g_autoptr(GError) error = NULL;
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL;
  gsize used = 0;
  static const guint8 wire[] = { 3, 'W', 'w', 'W', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0xff };
  static const guint8 pointer[] = { 3, 'w', 'w', 'w', 0xc0, 0x0c };
  static const guint8 truncated[] = { 3, 'w', 'w' };

  g_assert_true(bimi_dns__name_from_text("Mail.Example.COM", 16, NULL, &n, &error));
  g_assert_cmpuint(n.len, ==, 18);
  t1 = bimi_dns__name_to_text(&n, BIMI_DNS__NAME_LOWER);
  g_assert_cmpstr(t1, ==, "mail.example.com");
  t2 = bimi_dns__name_to_text(&n, BIMI_DNS__NAME_TRAILING_DOT);
  g_assert_cmpstr(t2, ==, "Mail.Example.COM.");
  g_assert_true(bimi_dns__name_from_text("mail.example.com.", 17, NULL, &o, &error));
  g_assert_true(bimi_dns__name_equal(&n, &o));
  g_assert_true(bimi_dns__name_from_text(".", 1, NULL, &o, &error));
  g_assert_cmpuint(o.len, ==, 1);
  t3 = bimi_dns__name_to_text(&o, 0);
  g_assert_cmpstr(t3, ==, ".");
  g_assert_true(bimi_dns__name_from_text("a\\.b\\000\\\\", 10, NULL, &n, &error));
  g_assert_cmpuint(n.wire[0], ==, 5);
  g_assert_cmpmem(n.wire + 1, 5, "a.b\0\\", 5);
  {
    g_autofree char *t = bimi_dns__name_to_text(&n, 0);
    g_assert_cmpstr(t, ==, "a\\.b\\000\\\\");
    g_assert_true(bimi_dns__name_from_text(t, strlen(t), NULL, &back, &error));
    g_assert_true(bimi_dns__name_equal(&n, &back));
  }
  g_assert_false(bimi_dns__name_from_text("", 0, NULL, &n, &error));
  g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME);
  g_clear_error(&error);
  g_assert_false(bimi_dns__name_from_text(".a", 2, NULL, &n, &error));
  g_clear_error(&error);
  g_assert_false(bimi_dns__name_from_text("a\\", 2, NULL, &n, &error));
  g_clear_error(&error);
  g_assert_false(bimi_dns__name_from_text("a\\999", 5, NULL, &n, &error));
  g_clear_error(&error);

  g_assert_true(bimi_dns__name_from_wire(wire, sizeof wire, &used, &n));
  g_assert_cmpuint(used, ==, 13);
  {
    g_autofree char *t = bimi_dns__name_to_text(&n, BIMI_DNS__NAME_LOWER);
    g_assert_cmpstr(t, ==, "www.example");
  }
  g_assert_false(bimi_dns__name_from_wire(pointer, sizeof pointer, &used, &n));
  g_assert_false(bimi_dns__name_from_wire(truncated, sizeof truncated, &used, &n));
  g_assert_false(bimi_dns__name_from_wire(wire, 0, &used, &n));
}

/* RDATA decoding as used for answers: RFC 1035 §3.3.9/§3.3.14, RFC 3596. */
static void
test_rdata(void)
{
  static const guint8 txt[] = { 3, 'a', 'b', 'c', 0, 2, 'd', 'e' };
  static const guint8 txt_bad[] = { 3, 'a', 'b' };
  static const guint8 mx[] = { 0, 10, 4, 'M', 'a', 'i', 'l', 2, 'e', 'x', 0 };
  static const guint8 a[] = { 192, 0, 2, 1 };
  static const guint8 aaaa[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsRecord) t = bimi_dns__record_from_rdata(BIMI_DNS_TYPE_TXT, 60, txt, sizeof txt, &error);
  g_autoptr(BimiDnsRecord) m = NULL, r4 = NULL, r6 = NULL, empty = NULL;

  g_assert_no_error(error);
  g_assert_cmpuint(t->strings->len, ==, 3);
  g_assert_cmpmem(g_bytes_get_data(t->text, NULL), g_bytes_get_size(t->text), "abcde", 5);
  g_assert_cmpuint(g_bytes_get_size(t->strings->pdata[1]), ==, 0);
  g_assert_cmpuint(t->ttl, ==, 60);
  g_assert_null(bimi_dns__record_from_rdata(BIMI_DNS_TYPE_TXT, 60, txt_bad, sizeof txt_bad, &error));
  g_assert_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER);
  g_clear_error(&error);
  empty = bimi_dns__record_from_rdata(BIMI_DNS_TYPE_SPF, 1, txt, 0, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(empty->strings->len, ==, 0);
  g_assert_cmpuint(g_bytes_get_size(empty->text), ==, 0);

  m = bimi_dns__record_from_rdata(BIMI_DNS_TYPE_MX, 1, mx, sizeof mx, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(m->preference, ==, 10);
  g_assert_cmpstr(m->name, ==, "mail.ex");
  g_assert_null(bimi_dns__record_from_rdata(BIMI_DNS_TYPE_MX, 1, mx, sizeof mx - 1, &error));
  g_clear_error(&error);
  g_assert_null(bimi_dns__record_from_rdata(BIMI_DNS_TYPE_PTR, 1, mx, sizeof mx, &error));
  g_clear_error(&error);

  r4 = bimi_dns__record_from_rdata(BIMI_DNS_TYPE_A, 1, a, sizeof a, &error);
  g_assert_no_error(error);
  {
    g_autofree char *s = g_inet_address_to_string(r4->address);
    g_assert_cmpstr(s, ==, "192.0.2.1");
  }
  r6 = bimi_dns__record_from_rdata(BIMI_DNS_TYPE_AAAA, 1, aaaa, sizeof aaaa, &error);
  g_assert_no_error(error);
  {
    g_autofree char *s = g_inet_address_to_string(r6->address);
    g_assert_cmpstr(s, ==, "2001:db8::1");
  }
  g_assert_null(bimi_dns__record_from_rdata(BIMI_DNS_TYPE_AAAA, 1, a, sizeof a, &error));
  g_clear_error(&error);
  g_assert_null(bimi_dns__record_from_rdata(BIMI_DNS_TYPE_A, 1, aaaa, sizeof aaaa, &error));
  g_clear_error(&error);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/zone/parse/basic", test_basic);
  g_test_add_func("/zone/parse/bom", test_bom);
  g_test_add_func("/zone/parse/omitted-owner", test_omitted_owner);
  g_test_add_func("/zone/parse/ttl-and-class", test_ttl_and_class);
  g_test_add_func("/zone/parse/multi-string-txt", test_multi_string_txt);
  g_test_add_func("/zone/parse/escapes", test_escapes);
  g_test_add_func("/zone/parse/origin", test_origin);
  g_test_add_func("/zone/parse/unrelated-owners", test_unrelated_owners);
  g_test_add_func("/zone/parse/generic-rdata", test_generic_rdata);
  g_test_add_func("/zone/parse/soa", test_soa);
  g_test_add_func("/zone/parse/upstream-zones", test_upstream_zones);
  g_test_add_func("/zone/errors/syntax", test_errors);
  g_test_add_func("/zone/errors/across-sources", test_across_sources);
  g_test_add_func("/zone/limits/names", test_name_limits);
  g_test_add_func("/zone/limits/rdata", test_rdata_limits);
  g_test_add_func("/zone/limits/rrset", test_rrset_limit);
  g_test_add_func("/zone/limits/records", test_record_limit);
  g_test_add_func("/zone/names", test_names);
  g_test_add_func("/zone/rdata", test_rdata);
  return g_test_run();
}
