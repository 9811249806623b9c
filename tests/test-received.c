/* tests/test-received.c — RFC 5321 §4.4 Received fields and the envelope of the trusted hop.
 *
 * Real fields from ../shared/upstream (Stalwart's DMARC report messages,
 * Mail::DKIM's corpus, dkimpy, RFC 6376 A.2) and fixtures/, hand-written
 * variants of what Postfix, Exim, Sendmail, qmail, Exchange and Gmail write
 * (data: fixtures/received/hops.json),
 * malformed fields with their errors, every BIMI_RECEIVED_* limit, and
 * bimi_received_envelope() including forged-field and HELO-injection cases.
 */
#include "engine/limits.h"
#include "tests/lib/data.h"
#include "engine/received.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

static void
assert_hop(const char *value, const char *helo, const char *ip, const char *by, const char *with,
           const char *for_addr)
{
  BimiReceivedHop hop = { 0 };
  g_autoptr(GError) error = NULL;
  if (!bimi_received_parse(value, strlen(value), &hop, &error))
    g_error("\"%s\": %s", value, error->message);
  g_assert_cmpstr(hop.helo, ==, helo);
  g_assert_cmpstr(hop.client_ip, ==, ip);
  g_assert_cmpstr(hop.by_host, ==, by);
  g_assert_cmpstr(hop.with, ==, with);
  g_assert_cmpstr(hop.for_addr, ==, for_addr);
  bimi_received_hop_clear(&hop);
  g_assert_null(hop.helo);
}

static void
assert_error_len(const char *value, gsize len, int code, const char *needle)
{
  BimiReceivedHop hop = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_false(bimi_received_parse(value, len, &hop, &error));
  g_assert_error(error, BIMI_RECEIVED_ERROR, code);
  if (strstr(error->message, needle) == NULL)
    g_error("\"%.60s\": message \"%s\" lacks \"%s\"", value, error->message, needle);
  g_assert_null(hop.helo);
  g_assert_null(hop.client_ip);
  g_assert_null(hop.by_host);
  g_assert_null(hop.with);
  g_assert_null(hop.for_addr);
}

static void
assert_error(const char *value, int code, const char *needle)
{
  assert_error_len(value, strlen(value), code, needle);
}

/* ---- MTA variants: fixtures/received/hops.json ------------------------------ */

/* The file's families (postfix, exim, ...), each an array of {value, helo, ip, by, with, for,
 * comment}; parsed once, for the process's life. */
static JsonObject *hop_families;

static const char *
member_or_null(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  return n == NULL || JSON_NODE_HOLDS_NULL(n) ? NULL : json_node_get_string(n);
}

static void
test_hop_family(gconstpointer family)
{
  JsonArray *cases = json_object_get_array_member(hop_families, family);

  g_assert_cmpuint(json_array_get_length(cases), >, 0);
  for (guint i = 0; i < json_array_get_length(cases); i++) {
    JsonObject *c = json_array_get_object_element(cases, i);
    const char *value = member_or_null(c, "value");

    g_assert_nonnull(value);
    assert_hop(value, member_or_null(c, "helo"), member_or_null(c, "ip"), member_or_null(c, "by"),
               member_or_null(c, "with"), member_or_null(c, "for"));
  }
}

/* One test /received/FAMILY per member of the file (in its order). */
static void
add_hop_families(void)
{
  static JsonParser *parser;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) names = NULL;

  parser = json_parser_new();
  if (!json_parser_load_from_file(parser, "fixtures/received/hops.json", &error))
    g_error("fixtures/received/hops.json: %s", error->message);
  hop_families = json_node_get_object(json_parser_get_root(parser));
  names = json_object_get_members(hop_families);
  for (GList *l = names; l != NULL; l = l->next) {
    g_autofree char *path = NULL;

    if (g_str_has_prefix(l->data, "_"))
      continue;
    path = g_strconcat("/received/", (const char *) l->data, NULL);
    g_test_add_data_func(path, l->data, test_hop_family);
  }
}

/* ---- errors and limits ---------------------------------------------------- */

static void
test_malformed(void)
{
  static const struct {
    const char *value;
    int code;
    const char *needle;
  } cases[] = {
    /* Real (dkimpy ed25519test2.msg): an Exim field with a lost "(". */
    { "from jgh by myhost.test.ex with local (Exim x.yz)\n\tenvelope-from <jgh@myhost.test.ex>)\n"
      "\t 1dtXln-0000YP-Hb\n\t a@test.ex; Sun, 17 Sep 2017 12:29:51 +0100",
      BIMI_RECEIVED_ERROR_SYNTAX, "')' at offset 85 closes nothing" },
    { "from a.example (a.example [192.0.2.1] by mx.example.net; x", BIMI_RECEIVED_ERROR_SYNTAX,
      "unterminated comment opened at offset 15" },
    { "from a.example (a.example [192.0.2.1]) by [mx.example.net; x", BIMI_RECEIVED_ERROR_SYNTAX,
      "';' inside the address literal opened at offset 42" },
    { "from a.example (a.example [192.0.2.1]) by mx.example.net for <a@b; x", BIMI_RECEIVED_ERROR_SYNTAX,
      "';' inside the angle-addr opened at offset 61" },
    { "from a.example by mx.example.net for <a@b", BIMI_RECEIVED_ERROR_SYNTAX,
      "unterminated angle-addr opened at offset 37" },
    { "from a.example by mx.example.net ]", BIMI_RECEIVED_ERROR_SYNTAX, "']' at offset 33 closes nothing" },
    { "from a.example by mx.example.net for \"a b\"@c; x", BIMI_RECEIVED_ERROR_SYNTAX,
      "quoted-string outside an angle-addr at offset 37" },
    { "from a.example by mx.example.net for <\"a@b>; x", BIMI_RECEIVED_ERROR_SYNTAX,
      "unterminated quoted-string opened at offset 38" },
    { "from a.example by ; x", BIMI_RECEIVED_ERROR_SYNTAX, "by clause at offset 15 without a host" },
    { "from ; x", BIMI_RECEIVED_ERROR_SYNTAX, "from clause at offset 0 without a domain" },
    { "from a by b by c; x", BIMI_RECEIVED_ERROR_SYNTAX, "second by clause at offset 12" },
    { "from a from b by c; x", BIMI_RECEIVED_ERROR_SYNTAX, "second from clause at offset 7" },
    { "from a; by b; x", BIMI_RECEIVED_ERROR_SYNTAX, "';' at offset 6 before the one that starts the date-time" },
    { "from a (\x1b) by b; x", BIMI_RECEIVED_ERROR_SYNTAX, "control byte 0x1b at offset 8" },
    { "from a\xff by b; x", BIMI_RECEIVED_ERROR_SYNTAX, "8-bit byte that is not UTF-8 at offset 6" },
    /* Address literals that claim to be addresses must be addresses. */
    { "from a (a [300.1.2.3]) by b; x", BIMI_RECEIVED_ERROR_ADDRESS,
      "address literal [300.1.2.3] at offset 10 is not an IPv4 or IPv6 address" },
    { "from a (a [IPv6:2001:db8::zz]) by b; x", BIMI_RECEIVED_ERROR_ADDRESS, "[IPv6:2001:db8::zz] at offset 10" },
    { "from a (a [IPv6:192.0.2.1]) by b; x", BIMI_RECEIVED_ERROR_ADDRESS, "[IPv6:192.0.2.1]" },
    { "from a (a [fe80::1%eth0]) by b; x", BIMI_RECEIVED_ERROR_ADDRESS, "[fe80::1%eth0] at offset 10" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    assert_error(cases[i].value, cases[i].code, cases[i].needle);
  /* A NUL byte inside the field value. */
  assert_error_len("from a\0 by b; x", 15, BIMI_RECEIVED_ERROR_SYNTAX, "control byte 0x00 at offset 6");
}

/* A HELO (copied verbatim by Postfix) that imitates TCP-info, a ";" or a
 * second by clause makes the whole field unreadable, never a wrong envelope. */
static void
test_helo_injection(void)
{
  assert_error("from x (y [198.51.100.66]) (unknown [192.0.2.1]) by mx.example.net (Postfix) with ESMTP id 1; d",
               BIMI_RECEIVED_ERROR_ADDRESS,
               "two client addresses, 198.51.100.66 (offset 10) and 192.0.2.1 (offset 36)");
  assert_error("from x [198.51.100.66] (unknown [192.0.2.1]) by mx.example.net with ESMTP; d",
               BIMI_RECEIVED_ERROR_ADDRESS, "two client addresses");
  assert_error("from x (198.51.100.66) (unknown [192.0.2.1]) by mx.example.net with ESMTP; d",
               BIMI_RECEIVED_ERROR_ADDRESS, "two client addresses");
  assert_error("from x by mx.trusted.example (unknown [192.0.2.1]) by mx.example.net with ESMTP; d",
               BIMI_RECEIVED_ERROR_SYNTAX, "second by clause");
  assert_error("from x; by mx.trusted.example (unknown [192.0.2.1]) by mx.example.net with ESMTP; d",
               BIMI_RECEIVED_ERROR_SYNTAX, "before the one that starts the date-time");
  assert_error("from x< (unknown [192.0.2.1]) by mx.example.net with ESMTP id 1 for <a@example.net>; d",
               BIMI_RECEIVED_ERROR_SYNTAX, "'(' inside the angle-addr opened at offset 6");
  assert_error("from x\" (unknown [192.0.2.1]) by mx.example.net with ESMTP id 1 for <\"a\"@example.net>; d",
               BIMI_RECEIVED_ERROR_SYNTAX, "quoted-string outside an angle-addr at offset 6");
}

static void
test_limits(void)
{
  /* BIMI_RECEIVED_MAX_BYTES: a value of exactly the limit parses. */
  GString *s = g_string_new("from a.example (a.example [192.0.2.1]) by mx.example.net (");
  while (s->len < BIMI_RECEIVED_MAX_BYTES - 3)
    g_string_append_c(s, 'x');
  g_string_append(s, "); ");
  g_assert_cmpuint(s->len, ==, BIMI_RECEIVED_MAX_BYTES);
  assert_hop(s->str, "a.example", "192.0.2.1", "mx.example.net", NULL, NULL);
  g_string_append_c(s, 'd');
  assert_error(s->str, BIMI_RECEIVED_ERROR_LIMIT, "longer than BIMI_RECEIVED_MAX_BYTES (8192)");
  g_string_free(s, TRUE);

  /* BIMI_RECEIVED_MAX_TOKENS: "by m" + words up to the limit, then one more. */
  s = g_string_new("by m");
  for (guint k = 2; k < BIMI_RECEIVED_MAX_TOKENS; k++)
    g_string_append(s, " w");
  assert_hop(s->str, NULL, NULL, "m", NULL, NULL);
  g_string_append(s, " w");
  assert_error(s->str, BIMI_RECEIVED_ERROR_LIMIT, "more than BIMI_RECEIVED_MAX_TOKENS (256) tokens");
  g_string_free(s, TRUE);

  /* BIMI_RECEIVED_MAX_COMMENT_DEPTH: the address literal in comments nested to the limit, then one deeper. */
  {
    g_autofree char *at = bimi_test_nested("from a ", "(", BIMI_RECEIVED_MAX_COMMENT_DEPTH, "[192.0.2.1]", ")",
                                           " by m; d");
    g_autofree char *over = bimi_test_nested("from a ", "(", BIMI_RECEIVED_MAX_COMMENT_DEPTH + 1, "[192.0.2.1]", ")",
                                             " by m; d");
    assert_hop(at, "a", "192.0.2.1", "m", NULL, NULL);
    assert_error(over, BIMI_RECEIVED_ERROR_LIMIT, "deeper than BIMI_RECEIVED_MAX_COMMENT_DEPTH (16) at offset 23");
  }
}

/* ---- real fields ------------------------------------------------------------ */

typedef struct {
  const char *path;    /* under $BIMI_UPSTREAM_DIR, or "fixtures/..." */
  guint index;         /* 0-based among the Received fields, top first */
  const char *helo, *ip, *by, *with, *for_addr;
  const char *error;   /* expected error message part, or NULL */
} RealCase;

static const RealCase real_cases[] = {
  { "stalwart-mail-auth/dmarc-feedback/100.eml", 0, "mail.stalw.art", NULL, "127.0.0.1", "LMTP", NULL, NULL },
  { "stalwart-mail-auth/dmarc-feedback/100.eml", 1, "mail-qv1-xf4a.google.com", "2607:f8b0:4864:20::f4a",
    "mail.stalw.art", "ESMTPS", "domains@stalw.art", NULL },
  { "stalwart-mail-auth/dmarc-feedback/100.eml", 2, NULL, NULL, "mail-qv1-xf4a.google.com", "SMTP",
    "domains@stalw.art", NULL },
  { "stalwart-mail-auth/dmarc-feedback/101.eml", 1, "mx0.backschues.net", "85.183.142.13", "mail.stalw.art",
    "ESMTPS", "domains@stalw.art", NULL },
  { "stalwart-mail-auth/dmarc-feedback/101.eml", 2, "mx0.backschues.net", "127.0.0.1", "mx0.backschues.net", "SMTP",
    "domains@stalw.art", NULL },
  { "stalwart-mail-auth/dmarc-feedback/102.eml", 2, "60", "10.161.4.115", "relay7.m.smailru.net", "esmtp",
    "domains@stalw.art", NULL },
  { "stalwart-mail-auth/dmarc-feedback/103.eml", 1, "NAM12-MW2-obe.outbound.protection.outlook.com", "40.107.244.73",
    "mail.stalw.art", "ESMTPS", "domains@stalw.art", NULL },
  { "stalwart-mail-auth/dmarc-feedback/103.eml", 4, "nam10.map.protection.outlook.com", "2a01:111:f400:fe53::30",
    "BN7NAM10FT048.mail.protection.outlook.com", "Microsoft SMTP Server", NULL, NULL },
  { "stalwart-mail-auth/dmarc-feedback/104.eml", 1, "a14-92.smtp-out.amazonses.com", "54.240.14.92",
    "mail.stalw.art", "ESMTPS", "domains@stalw.art", NULL },
  { "stalwart-mail-auth/dkim/006.txt", 0, "[10.34.27.159]", "10.34.140.5", "mail01.resources.github.com", NULL,
    "mauro@stalw.art", NULL },
  { "stalwart-mail-auth/dkim/003.txt", 2, "mail.ietf.org", "50.223.129.194", "localhost", "ESMTP",
    "emailcore@ietfa.amsl.com", NULL },
  { "stalwart-mail-auth/dkim/003.txt", 3, "bsa2.jck.com", "70.88.254.51", "ietfa.amsl.com", "ESMTPS",
    "emailcore@ietf.org", NULL },
  { "stalwart-mail-auth/dkim/003.txt", 4, "PSB", "198.252.137.10", "bsa2.jck.com", "esmtp", "emailcore@ietf.org",
    NULL },
  { "stalwart-mail-auth/arc/001.txt", 4, "london.stalw.art", "159.65.62.60", "ietfa.amsl.com", "ESMTPS",
    "jmap@ietf.org", NULL },
  { "mail-dkim-perl/corpus/good_dk_gmail.txt", 1, "ug-out-1314.google.com", "66.249.92.174", "mx2.messiah.edu",
    "ESMTP", "test@dktest.jason.long.name", NULL },
  { "mail-dkim-perl/corpus/good_dk_1.txt", 0, "[153.42.34.240]", "153.42.34.240", "web34101.mail.mud.yahoo.com", NULL,
    NULL, NULL },
  { "mail-dkim-perl/corpus/good_dk_yahoo.txt", 1, "web34101.mail.mud.yahoo.com", "66.163.178.99", "mx2.messiah.edu",
    "SMTP", "test@dktest.jason.long.name", NULL },
  { "mail-dkim-perl/corpus/good_dk_yahoo.txt", 2, NULL, NULL, NULL, NULL, NULL, NULL },
  { "rfc-dkim-examples/rfc6376-appendix-A2.eml", 0, "client1.football.example.com", "192.0.2.1",
    "submitserver.example.com", "SUBMISSION", NULL, NULL },
  { "dkimpy/ed25519test2.msg", 0, NULL, NULL, NULL, NULL, NULL, "')' at offset 87 closes nothing" },
  { "fixtures/messages/folded.eml", 0, "relay.example.org", "198.51.100.7", "mx.example.net", "ESMTP",
    "alice@example.net", NULL },
  { "fixtures/messages/simple-lf.eml", 0, "mail.football.example.com", "192.0.2.10", "mx.shopping.example.net",
    "ESMTPS", "suzie@shopping.example.net", NULL },
  { "fixtures/arc/list-trusted-fwd.eml", 0, "lists.trusted.example", NULL, "fwd.example", NULL, NULL, NULL },
};

static char *
real_path(const char *rel)
{
  if (g_str_has_prefix(rel, "fixtures/"))
    return g_strdup(rel);
  const char *dir = bimi_test_upstream_dir();
  return g_build_filename(dir ? dir : "../shared/upstream", rel, NULL);
}

static BimiMessage *
load_message(const char *rel)
{
  g_autofree char *path = real_path(rel);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &text, &len, &error))
    g_error("%s", error->message);
  gsize off = 0;
  /* Stalwart's DKIM and ARC files: DNS lines, a blank line, then the message. */
  if (g_str_has_prefix(rel, "stalwart-mail-auth/dkim/") || g_str_has_prefix(rel, "stalwart-mail-auth/arc/")) {
    const char *blank = strstr(text, "\n\n");
    g_assert_nonnull(blank);
    off = (gsize) (blank + 2 - text);
  }
  g_autoptr(GBytes) raw = g_bytes_new(text + off, len - off);
  BimiMessage *msg = bimi_message_parse(raw, &error);
  if (msg == NULL)
    g_error("%s: %s", rel, error->message);
  return msg;
}

static void
test_real(void)
{
  for (gsize c = 0; c < G_N_ELEMENTS(real_cases); c++) {
    const RealCase *rc = &real_cases[c];
    g_autoptr(BimiMessage) msg = load_message(rc->path);
    g_autoptr(GArray) idx = bimi_message_find_fields(msg, "Received");
    g_assert_cmpuint(rc->index, <, idx->len);
    const BimiHeaderField *f = bimi_message_get_field(msg, g_array_index(idx, guint, rc->index));
    BimiReceivedHop hop = { 0 };
    g_autoptr(GError) error = NULL;
    gboolean ok = bimi_received_parse(f->value, f->value_length, &hop, &error);
    if (rc->error != NULL) {
      g_assert_false(ok);
      if (strstr(error->message, rc->error) == NULL)
        g_error("%s #%u: \"%s\" lacks \"%s\"", rc->path, rc->index, error->message, rc->error);
      continue;
    }
    if (!ok)
      g_error("%s #%u: %s", rc->path, rc->index, error->message);
    g_assert_cmpstr(hop.helo, ==, rc->helo);
    g_assert_cmpstr(hop.client_ip, ==, rc->ip);
    g_assert_cmpstr(hop.by_host, ==, rc->by);
    g_assert_cmpstr(hop.with, ==, rc->with);
    g_assert_cmpstr(hop.for_addr, ==, rc->for_addr);
    bimi_received_hop_clear(&hop);
  }
}

/* Every Received field of the real messages parses except the one known
 * malformed (dkimpy's hand-edited Exim field). */
static void
test_real_all(void)
{
  static const char *const files[] = {
    "stalwart-mail-auth/dmarc-feedback/100.eml", "stalwart-mail-auth/dmarc-feedback/101.eml",
    "stalwart-mail-auth/dmarc-feedback/102.eml", "stalwart-mail-auth/dmarc-feedback/103.eml",
    "stalwart-mail-auth/dmarc-feedback/104.eml", "stalwart-mail-auth/dkim/002.txt",
    "stalwart-mail-auth/dkim/003.txt", "stalwart-mail-auth/dkim/006.txt", "stalwart-mail-auth/arc/001.txt",
    "mail-dkim-perl/corpus/bad_1.txt", "mail-dkim-perl/corpus/good_dk_yahoo.txt", "dkimpy/test2.message",
    "dkimpy/test_extra.message", "fixtures/arc/list-trusted-spf-mfrom.eml",
  };
  guint fields = 0;
  for (gsize k = 0; k < G_N_ELEMENTS(files); k++) {
    g_autoptr(BimiMessage) msg = load_message(files[k]);
    g_autoptr(GArray) idx = bimi_message_find_fields(msg, "Received");
    g_assert_cmpuint(idx->len, >, 0);
    for (guint i = 0; i < idx->len; i++) {
      const BimiHeaderField *f = bimi_message_get_field(msg, g_array_index(idx, guint, i));
      BimiReceivedHop hop = { 0 };
      g_autoptr(GError) error = NULL;
      if (!bimi_received_parse(f->value, f->value_length, &hop, &error))
        g_error("%s #%u: %s", files[k], i, error->message);
      if (hop.client_ip != NULL) {
        g_autoptr(GInetAddress) a = g_inet_address_new_from_string(hop.client_ip);
        g_assert_nonnull(a);
      }
      bimi_received_hop_clear(&hop);
      fields++;
    }
  }
  g_assert_cmpuint(fields, >=, 30);
}

/* ---- the envelope ------------------------------------------------------------ */

static BimiMessage *
message(const char *text)
{
  g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
  g_autoptr(GError) error = NULL;
  BimiMessage *msg = bimi_message_parse(raw, &error);
  g_assert_no_error(error);
  return msg;
}

static const char *const trusted[] = { "mx1.example.net", "MX2.Example.Net.", NULL };

static void
assert_envelope(const char *text, const char *const *receivers, const char *ip, const char *helo,
                const char *mail_from)
{
  g_autoptr(BimiMessage) msg = message(text);
  g_autofree char *o_ip = NULL, *o_helo = NULL, *o_from = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = bimi_received_envelope(msg, receivers, &o_ip, &o_helo, &o_from, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_cmpstr(o_ip, ==, ip);
  g_assert_cmpstr(o_helo, ==, helo);
  g_assert_cmpstr(o_from, ==, mail_from);
}

static void
assert_no_envelope(const char *text, const char *const *receivers)
{
  g_autoptr(BimiMessage) msg = message(text);
  /* The outputs are set to NULL whatever they held. */
  g_autofree char *keep = g_strdup("x");
  char *o_ip = keep, *o_helo = keep, *o_from = keep;
  g_autoptr(GError) error = NULL;
  g_assert_false(bimi_received_envelope(msg, receivers, &o_ip, &o_helo, &o_from, &error));
  g_assert_no_error(error);
  g_assert_null(o_ip);
  g_assert_null(o_helo);
  g_assert_null(o_from);
}

static void
assert_envelope_error(const char *text, int code, const char *needle)
{
  g_autoptr(BimiMessage) msg = message(text);
  g_autofree char *o_ip = NULL, *o_helo = NULL, *o_from = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_false(bimi_received_envelope(msg, trusted, &o_ip, &o_helo, &o_from, &error));
  g_assert_error(error, BIMI_RECEIVED_ERROR, code);
  if (strstr(error->message, needle) == NULL)
    g_error("message \"%s\" lacks \"%s\"", error->message, needle);
  g_assert_null(o_ip);
  g_assert_null(o_helo);
  g_assert_null(o_from);
}

#define DELIVERY                                                                                                  \
  "Return-Path: <bounce+123@brand.example>\r\n"                                                                   \
  "Delivered-To: suzie@example.net\r\n"                                                                           \
  "Received: from mx1.example.net (mx1.example.net [10.1.1.1])\r\n\tby imap.example.net (Postfix) with LMTP id A;\r\n" \
  "\tTue, 2 Jan 2024 10:00:01 +0000\r\n"
#define TRUSTED_HOP                                                                                               \
  "Received: from mail.brand.example (mail.brand.example [192.0.2.10])\r\n"                                       \
  "\tby mx1.example.net (Postfix) with ESMTPS id B for <suzie@example.net>;\r\n\tTue, 2 Jan 2024 10:00:00 +0000\r\n"
#define SENDER_HOPS                                                                                               \
  "Received: from [10.9.9.9] (helo=app) by mail.brand.example with esmtp id C;\r\n"                               \
  "\tTue, 2 Jan 2024 09:59:59 +0000\r\n"
#define REST "From: Brand <news@brand.example>\r\nSubject: hi\r\n\r\nbody\r\n"

static void
test_envelope(void)
{
  /* The usual delivery: LMTP hop on top, our MX below it, the sender's hops below that. */
  assert_envelope(DELIVERY TRUSTED_HOP SENDER_HOPS REST, trusted, "192.0.2.10", "mail.brand.example",
                  "bounce+123@brand.example");
  /* Case-insensitive, trailing dot ignored on either side. */
  const char *const upper[] = { "MX1.EXAMPLE.NET.", NULL };
  assert_envelope(TRUSTED_HOP REST, upper, "192.0.2.10", "mail.brand.example", NULL);
  assert_envelope("Received: from a (b [IPv6:2001:db8::7]) by mx2.example.net with ESMTP; d\r\n" REST, trusted,
                  "2001:db8::7", "a", NULL);
  /* Null reverse-path, CFWS, source route, bare path. */
  assert_envelope("Return-Path: <>\r\n" TRUSTED_HOP REST, trusted, "192.0.2.10", "mail.brand.example", "");
  assert_envelope("Return-Path: (bounce) < >\r\n" TRUSTED_HOP REST, trusted, "192.0.2.10", "mail.brand.example", "");
  assert_envelope("Return-Path: <@relay.example,@b.example:u@brand.example>\r\n" TRUSTED_HOP REST, trusted,
                  "192.0.2.10", "mail.brand.example", "u@brand.example");
  assert_envelope("Return-Path: u@brand.example\r\n" TRUSTED_HOP REST, trusted, "192.0.2.10", "mail.brand.example",
                  "u@brand.example");
  assert_envelope("Return-Path: <\"a b\"@brand.example>\r\n" TRUSTED_HOP REST, trusted, "192.0.2.10",
                  "mail.brand.example", "\"a b\"@brand.example");
  /* The topmost Return-Path counts; one below the trusted hop came with the message. */
  assert_envelope("Return-Path: <a@x.example>\r\nReturn-Path: <b@y.example>\r\n" TRUSTED_HOP REST, trusted,
                  "192.0.2.10", "mail.brand.example", "a@x.example");
  assert_envelope(TRUSTED_HOP "Return-Path: <forged@brand.example>\r\n" REST, trusted, "192.0.2.10",
                  "mail.brand.example", NULL);
  /* A hop without an address (local submission on the trusted host). */
  assert_envelope("Received: by mx1.example.net (Postfix, from userid 0) id D; d\r\n" REST, trusted, NULL, NULL,
                  NULL);
  /* Fields below the trusted hop are never read, malformed or not. */
  assert_envelope(TRUSTED_HOP "Received: from x (y [300.1.1.1]) by z; d\r\nReceived: ((( ; d\r\n" REST, trusted,
                  "192.0.2.10", "mail.brand.example", NULL);
}

static void
test_envelope_none(void)
{
  /* No trusted receiver: FALSE without error. */
  assert_no_envelope(DELIVERY SENDER_HOPS REST, trusted);
  assert_no_envelope(REST, trusted);
  assert_no_envelope(DELIVERY TRUSTED_HOP REST, NULL);
  const char *const empty[] = { NULL };
  assert_no_envelope(DELIVERY TRUSTED_HOP REST, empty);
  /* Exact host match: no suffix, no parent, no wildcard. */
  const char *const parent[] = { "example.net", NULL };
  assert_no_envelope(TRUSTED_HOP REST, parent);
  const char *const suffix[] = { "1.example.net", NULL };
  assert_no_envelope(TRUSTED_HOP REST, suffix);
  const char *const wild[] = { "*.example.net", NULL };
  assert_no_envelope(TRUSTED_HOP REST, wild);
  /* The host in from (not by) is not the receiver. */
  assert_no_envelope("Received: from mx1.example.net (h [192.0.2.1]) by other.example; d\r\n" REST, trusted);
}

/* The sender can write Received fields below ours, never above: the topmost
 * trusted hop wins, and a hop above it we cannot read stops the walk. */
static void
test_envelope_forged(void)
{
  /* A forged "by mx1.example.net" below the real one. */
  assert_envelope(TRUSTED_HOP
                  "Received: from good.example (good.example [198.51.100.1]) by mx1.example.net; d\r\n" REST,
                  trusted, "192.0.2.10", "mail.brand.example", NULL);
  /* The real hop hidden by an injected HELO: error, not the forged one below. */
  assert_envelope_error("Received: from x (y [198.51.100.1]) (unknown [192.0.2.10]) by mx1.example.net with ESMTP; d\r\n"
                        "Received: from good.example (good.example [198.51.100.1]) by mx1.example.net; d\r\n" REST,
                        BIMI_RECEIVED_ERROR_ADDRESS, "Received field 1 (line 1): the from clause names two client addresses");
  assert_envelope_error(DELIVERY "Received: from x;by (unknown [192.0.2.10]) by mx1.example.net with ESMTP; d\r\n" REST,
                        BIMI_RECEIVED_ERROR_SYNTAX, "Received field 2 (line 6): ';' at offset 7");
  /* A from clause without a by clause above the trusted hop. */
  assert_envelope_error("Received: from x.example (x [192.0.2.10]) with ESMTP; d\r\n" TRUSTED_HOP REST,
                        BIMI_RECEIVED_ERROR_SYNTAX,
                        "Received field 1 (line 1): from clause without a by clause, above any trusted receiver");
  /* A comment-only field (qmail) above is fine. */
  assert_envelope("Received: (qmail 1 invoked by uid 3013); d\r\n" TRUSTED_HOP REST, trusted, "192.0.2.10",
                  "mail.brand.example", NULL);
}

static void
test_envelope_errors(void)
{
  assert_envelope_error("Return-Path: <a@b> c\r\n" TRUSTED_HOP REST, BIMI_RECEIVED_ERROR_SYNTAX,
                        "Return-Path field (line 1): Return-Path: unexpected 'c' after the path at offset 7");
  assert_envelope_error("Return-Path: <a b@c>\r\n" TRUSTED_HOP REST, BIMI_RECEIVED_ERROR_SYNTAX,
                        "white space or control inside the path at offset 3");
  assert_envelope_error("Return-Path: <@a.example>\r\n" TRUSTED_HOP REST, BIMI_RECEIVED_ERROR_SYNTAX,
                        "source route without ':'");
  assert_envelope_error("Return-Path: <a@b\r\n" TRUSTED_HOP REST, BIMI_RECEIVED_ERROR_SYNTAX,
                        "unterminated angle-addr");
  assert_envelope_error("Return-Path:\r\n" TRUSTED_HOP REST, BIMI_RECEIVED_ERROR_SYNTAX, "no path");
  /* BIMI_RECEIVED_MAX_PATH_BYTES: exactly the limit is read. */
  GString *s = g_string_new("Return-Path: <");
  gsize value_start = strlen("Return-Path:");
  while (s->len - value_start < BIMI_RECEIVED_MAX_PATH_BYTES - 1)
    g_string_append_c(s, 'a');
  g_string_append(s, ">\r\n" TRUSTED_HOP REST);
  {
    g_autoptr(BimiMessage) msg = message(s->str);
    g_autofree char *ip = NULL, *helo = NULL, *from = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(bimi_received_envelope(msg, trusted, &ip, &helo, &from, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(strlen(from), ==, BIMI_RECEIVED_MAX_PATH_BYTES - 3);
  }
  g_string_insert_c(s, 15, 'a');
  assert_envelope_error(s->str, BIMI_RECEIVED_ERROR_LIMIT, "longer than BIMI_RECEIVED_MAX_PATH_BYTES (1024)");
  g_string_free(s, TRUE);
}

static void
test_envelope_max_hops(void)
{
  /* BIMI_RECEIVED_MAX_HOPS internal hops: the trusted one is the last read. */
  GString *s = g_string_new(NULL);
  for (guint k = 1; k < BIMI_RECEIVED_MAX_HOPS; k++)
    g_string_append_printf(s, "Received: from h%u (h%u [10.0.0.1]) by h%u; d\r\n", k + 1, k + 1, k);
  g_string_append(s, TRUSTED_HOP REST);
  assert_envelope(s->str, trusted, "192.0.2.10", "mail.brand.example", NULL);
  g_string_prepend(s, "Received: from h1 (h1 [10.0.0.1]) by h0; d\r\n");
  assert_envelope_error(s->str, BIMI_RECEIVED_ERROR_LIMIT,
                        "no trusted receiver among the first BIMI_RECEIVED_MAX_HOPS (100) Received fields");
  g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  add_hop_families();
  g_test_add_func("/received/malformed", test_malformed);
  g_test_add_func("/received/helo-injection", test_helo_injection);
  g_test_add_func("/received/limits", test_limits);
  g_test_add_func("/received/real", test_real);
  g_test_add_func("/received/real-all", test_real_all);
  g_test_add_func("/received/envelope/trusted-hop", test_envelope);
  g_test_add_func("/received/envelope/none", test_envelope_none);
  g_test_add_func("/received/envelope/forged", test_envelope_forged);
  g_test_add_func("/received/envelope/errors", test_envelope_errors);
  g_test_add_func("/received/envelope/max-hops", test_envelope_max_hops);
  return g_test_run();
}
