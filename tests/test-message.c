/* tests/test-message.c — engine/message: header index (exact byte ranges, line
 * endings, errors, limits), RFC5322.From parsing (RFC 5322 §3.4 and §4.4,
 * RFC 2047, IDN), every upstream message, and the `bimi headers` CLI. */
#include "engine/message.h"
#include "tests/lib/assert.h"
#include "tests/lib/data.h"
#include "engine/limits.h"
#include "tests/lib/expect.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

/* ---- helpers ------------------------------------------------------------ */

static BimiMessage *
parse_len(const char *s, gsize len, GError **error)
{
  g_autoptr(GBytes) b = g_bytes_new(s, len);
  return bimi_message_parse(b, error);
}

static BimiMessage *
parse(const char *s, GError **error)
{
  return parse_len(s, strlen(s), error);
}

static GPtrArray *
addrs(const char *s, GError **error)
{
  return bimi_message_parse_address_list(s, strlen(s), error);
}

/* Parses @list, which must parse into @n mailboxes. */
static GPtrArray *
addrs_ok(const char *list, guint n)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *a = addrs(list, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(a->len, ==, n);
  return a;
}

static const BimiMailbox *
mb(GPtrArray *a, guint i)
{
  g_assert_nonnull(a);
  g_assert_cmpuint(i, <, a->len);
  return a->pdata[i];
}

static void
assert_mailbox(const BimiMailbox *m, const char *display, const char *local, const char *domain,
               const char *domain_utf8, const char *group)
{
  g_assert_cmpstr(m->display_name, ==, display);
  g_assert_cmpstr(m->local_part, ==, local);
  g_assert_cmpstr(m->domain, ==, domain);
  g_assert_cmpstr(m->domain_utf8, ==, domain_utf8);
  g_assert_cmpstr(m->group, ==, group);
}

/* One address list that must parse to exactly one mailbox. */
static void
assert_single(const char *list, const char *display, const char *local, const char *domain)
{
  g_autoptr(GPtrArray) a = addrs_ok(list, 1);
  g_assert_cmpstr(mb(a, 0)->display_name, ==, display);
  g_assert_cmpstr(mb(a, 0)->local_part, ==, local);
  g_assert_cmpstr(mb(a, 0)->domain, ==, domain);
}

static void
assert_address_error(const char *list, gint code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) a = addrs(list, &error);
  g_assert_null(a);
  g_assert_error(error, BIMI_MESSAGE_ERROR, code);
  if (strstr(error->message, needle) == NULL)
    g_error("'%s': error '%s' lacks '%s'", list, error->message, needle);
}

/* Where a field lies in the canonical (CRLF) message: the whole field and its value. */
static void
assert_span(const BimiHeaderField *f, gsize field_offset, gsize field_length, gsize value_offset, gsize value_length)
{
  g_assert_cmpuint(f->field_offset, ==, field_offset);
  g_assert_cmpuint(f->field_length, ==, field_length);
  g_assert_cmpuint(f->value_offset, ==, value_offset);
  g_assert_cmpuint(f->value_length, ==, value_length);
}

/* Where a field lies in the message as received (before line endings were made CRLF). */
static void
assert_raw(const BimiHeaderField *f, gsize raw_offset, gsize raw_length)
{
  g_assert_cmpuint(f->raw_offset, ==, raw_offset);
  g_assert_cmpuint(f->raw_length, ==, raw_length);
}

/* A parse refused on a limit: the message names the limit's constant and, when given, where. */
static void
assert_limit_error(const GError *error, const char *constant, const char *where)
{
  g_assert_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_LIMIT);
  if (strstr(error->message, constant) == NULL || (where != NULL && strstr(error->message, where) == NULL))
    g_error("error '%s' lacks '%s' or '%s'", error->message, constant, where != NULL ? where : "");
}

static char *
field_name(const BimiHeaderField *f)
{
  return g_strndup(f->name, f->name_length);
}

static char *
field_bytes(const BimiHeaderField *f)
{
  return g_strndup(f->field, f->field_length);
}

/* What must hold for every parsed message: fields are contiguous from offset
 * 0, each ends with exactly one CRLF, its name is followed by *WSP ':' and its
 * value, the pointers agree with the offsets, the body follows the separator,
 * and the canonical buffer is the raw one with bare LFs made CRLF. */
static void
check_invariants(const BimiMessage *msg)
{
  gsize size, raw_size;
  const char *c = g_bytes_get_data(bimi_message_get_canonical(msg), &size);
  const char *raw = g_bytes_get_data(bimi_message_get_raw(msg), &raw_size);
  gsize expect = 0;
  guint n = bimi_message_get_n_fields(msg);
  gsize body_len = 0;
  const guint8 *body;

  for (guint i = 0; i < n; i++) {
    const BimiHeaderField *f = bimi_message_get_field(msg, i);
    gsize q;
    g_assert_cmpuint(f->field_offset, ==, expect);
    g_assert_cmpuint(f->name_offset, ==, f->field_offset);
    g_assert_true(f->field == c + f->field_offset);
    g_assert_true(f->name == c + f->name_offset);
    g_assert_true(f->value == c + f->value_offset);
    g_assert_cmpuint(f->name_length, >, 0);
    q = f->name_offset + f->name_length;
    while (c[q] == ' ' || c[q] == '\t')
      q++;
    g_assert_cmpint(c[q], ==, ':');
    g_assert_cmpuint(f->value_offset, ==, q + 1);
    g_assert_cmpuint(f->value_offset + f->value_length + 2, ==, f->field_offset + f->field_length);
    g_assert_cmpint(c[f->field_offset + f->field_length - 2], ==, '\r');
    g_assert_cmpint(c[f->field_offset + f->field_length - 1], ==, '\n');
    g_assert_cmpuint(f->field_length, <=, BIMI_MAX_HEADER_FIELD_BYTES);
    g_assert_cmpuint(f->raw_offset + f->raw_length, <=, raw_size);
    g_assert_cmpmem(raw + f->raw_offset, f->name_length, f->name, f->name_length);
    expect = f->field_offset + f->field_length;
  }
  body = bimi_message_get_body(msg, &body_len);
  if (bimi_message_has_body_separator(msg)) {
    g_assert_cmpint(c[expect], ==, '\r');
    g_assert_cmpint(c[expect + 1], ==, '\n');
    g_assert_cmpuint(bimi_message_get_body_offset(msg), ==, expect + 2);
  } else {
    g_assert_cmpuint(bimi_message_get_body_offset(msg), ==, size);
    g_assert_cmpuint(expect, ==, size);
  }
  g_assert_true(body == (const guint8 *) c + bimi_message_get_body_offset(msg) || size == 0);
  g_assert_cmpuint(bimi_message_get_body_offset(msg) + body_len, ==, size);
  /* No bare LF anywhere in the canonical form. */
  for (gsize i = 0; i < size; i++) {
    if (c[i] == '\n')
      g_assert_true(i > 0 && c[i - 1] == '\r');
  }
  g_assert_true(bimi_message_was_normalised(msg) == (raw != c || raw_size != size));
}

/* @s parsed with no error, its invariants checked (check_invariants()). (transfer full) */
static BimiMessage *
parse_valid(const char *s)
{
  g_autoptr(GError) error = NULL;
  BimiMessage *msg = parse(s, &error);

  g_assert_no_error(error);
  check_invariants(msg);
  return msg;
}

/* The canonical form of @msg is the @len bytes at @expect. */
static void
assert_canonical(const BimiMessage *msg, const char *expect, gsize len)
{
  gsize size;
  const char *c = g_bytes_get_data(bimi_message_get_canonical(msg), &size);

  g_assert_cmpmem(c, size, expect, len);
}

/* The body of @msg starts at byte @offset of the canonical form and is the @len bytes at @expect. */
static void
assert_body(const BimiMessage *msg, gsize offset, const char *expect, gsize len)
{
  gsize body_len = 99;
  const guint8 *body = bimi_message_get_body(msg, &body_len);

  g_assert_cmpuint(bimi_message_get_body_offset(msg), ==, offset);
  g_assert_nonnull(body);
  g_assert_cmpmem(body, body_len, expect, len);
}

/* ---- header index --------------------------------------------------------- */

static const char crlf_msg[] = "From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n";

static void
test_parse_crlf(void)
{
  g_autoptr(BimiMessage) msg = parse_valid(crlf_msg);
  const BimiHeaderField *f;

  g_assert_false(bimi_message_was_normalised(msg));
  g_assert_true(bimi_message_get_canonical(msg) == bimi_message_get_raw(msg));
  g_assert_cmpuint(bimi_message_get_n_fields(msg), ==, 2);

  f = bimi_message_get_field(msg, 0);
  assert_span(f, 0, 19, 5, 12);
  g_assert_cmpuint(f->name_length, ==, 4);
  g_assert_cmpmem(f->value, f->value_length, " a@b.example", 12);
  g_assert_cmpuint(f->line, ==, 1);
  g_assert_cmpuint(f->n_lines, ==, 1);

  f = bimi_message_get_field(msg, 1);
  assert_span(f, 19, 13, 27, 3);
  g_assert_cmpuint(f->name_length, ==, 7);
  assert_raw(f, 19, 13);
  g_assert_cmpuint(f->line, ==, 2);

  g_assert_true(bimi_message_has_body_separator(msg));
  assert_body(msg, 34, "body\r\n", 6);
}

static void
test_parse_lf(void)
{
  g_autoptr(BimiMessage) msg = parse_valid("From: a@b.example\nSubject: hi\n\nbody\n");
  const BimiHeaderField *f;

  g_assert_true(bimi_message_was_normalised(msg));
  assert_canonical(msg, crlf_msg, strlen(crlf_msg));
  g_assert_cmpuint(g_bytes_get_size(bimi_message_get_raw(msg)), ==, 36);

  /* Offsets into the canonical form equal those of the CRLF message. */
  f = bimi_message_get_field(msg, 1);
  assert_span(f, 19, 13, 27, 3);
  /* ... and the raw position is kept. */
  assert_raw(f, 18, 12);
  assert_body(msg, 34, "body\r\n", 6);
}

static void
test_parse_mixed(void)
{
  g_autoptr(BimiMessage) msg = parse_valid("A: 1\nB: 2\r\nC: 3\n\r\nx\ny");

  assert_canonical(msg, "A: 1\r\nB: 2\r\nC: 3\r\n\r\nx\r\ny", 24);
  g_assert_cmpuint(bimi_message_get_n_fields(msg), ==, 3);
  g_assert_cmpuint(bimi_message_get_field(msg, 1)->field_offset, ==, 6);
  assert_raw(bimi_message_get_field(msg, 1), 5, 6);
  g_assert_cmpuint(bimi_message_get_field(msg, 2)->field_offset, ==, 12);
  g_assert_cmpuint(bimi_message_get_field(msg, 2)->raw_offset, ==, 11);
  /* The body is normalised but never extended: no CRLF added after "y". */
  assert_body(msg, 20, "x\r\ny", 4);
}

static void
test_parse_folding(void)
{
  g_autoptr(BimiMessage) msg = parse_valid("Subject: a\r\n b\r\n\tc\r\nX: y\r\n\r\n");
  const BimiHeaderField *f;
  g_autofree char *v = NULL;
  g_autofree char *whole = NULL;
  gsize vlen = 0;

  g_assert_cmpuint(bimi_message_get_n_fields(msg), ==, 2);
  f = bimi_message_get_field(msg, 0);
  assert_span(f, 0, 20, 8, 10);
  g_assert_cmpmem(f->value, f->value_length, " a\r\n b\r\n\tc", 10);
  g_assert_cmpuint(f->n_lines, ==, 3);
  whole = field_bytes(f);
  g_assert_cmpstr(whole, ==, "Subject: a\r\n b\r\n\tc\r\n");
  v = bimi_header_field_dup_unfolded_value(f, &vlen);
  g_assert_cmpstr(v, ==, "a b\tc");
  g_assert_cmpuint(vlen, ==, 5);
  f = bimi_message_get_field(msg, 1);
  g_assert_cmpuint(f->field_offset, ==, 20);
  g_assert_cmpuint(f->field_length, ==, 6);
  g_assert_cmpuint(f->line, ==, 4);
  g_assert_true(bimi_message_has_body_separator(msg));
  assert_body(msg, 28, "", 0);
}

/* RFC 5322 Appendix A.6.3: WSP before the colon, a line of only WSP inside a
 * folded field, comments everywhere. */
static void
test_parse_rfc5322_a63(void)
{
  static const char text[] =
    "From: John Doe <jdoe@machine(comment).  example>\n"
    "To : Mary Smith\n"
    "  \n"
    "          <mary@example.net>\n"
    "Subject: Saying Hello\n"
    "Date: Fri, 21 Nov 1997 09(comment):   55  :  06 -0600\n"
    "Message-ID: <1234   @   local(blah)  .machine .example>\n"
    "\n"
    "This is a message just to say hello.\n"
    "So, \"Hello\".\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = parse(text, &error);
  g_autoptr(GPtrArray) from = NULL;
  g_autoptr(GPtrArray) to = NULL;
  const BimiHeaderField *f;
  g_autofree char *name = NULL;
  guint n_from = 0;

  g_assert_no_error(error);
  check_invariants(msg);
  g_assert_cmpuint(bimi_message_get_n_fields(msg), ==, 5);
  f = bimi_message_get_field(msg, 1);
  name = field_name(f);
  g_assert_cmpstr(name, ==, "To");
  g_assert_cmpuint(f->n_lines, ==, 3);
  g_assert_cmpuint(f->line, ==, 2);
  g_assert_true(bimi_header_field_has_name(f, "to"));
  to = bimi_message_parse_address_list(f->value, f->value_length, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(to->len, ==, 1);
  assert_mailbox(mb(to, 0), "Mary Smith", "mary", "example.net", "example.net", NULL);
  from = bimi_message_get_from_mailboxes(msg, &n_from, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(n_from, ==, 1);
  assert_mailbox(mb(from, 0), "John Doe", "jdoe", "machine.example", "machine.example", NULL);
  g_assert_cmpuint(bimi_message_get_field(msg, 4)->line, ==, 7);
}

static void
test_parse_no_body(void)
{
  {
    g_autoptr(BimiMessage) msg = parse_valid("From: a@b.example\r\nSubject: x\r\n");
    g_assert_false(bimi_message_has_body_separator(msg));
    g_assert_false(bimi_message_was_normalised(msg));
    assert_body(msg, 31, "", 0);
  }
  {
    /* No final line break: the canonical form gets one, the raw stays. */
    g_autoptr(BimiMessage) msg = parse_valid("From: a@b.example\nSubject: x");
    const BimiHeaderField *f;
    g_assert_true(bimi_message_was_normalised(msg));
    assert_canonical(msg, "From: a@b.example\r\nSubject: x\r\n", 31);
    f = bimi_message_get_field(msg, 1);
    g_assert_cmpuint(f->field_length, ==, 12);
    g_assert_cmpuint(f->value_length, ==, 2);
    g_assert_cmpuint(f->raw_offset, ==, 18);
    g_assert_cmpuint(f->raw_length, ==, 10);
    g_assert_false(bimi_message_has_body_separator(msg));
  }
  {
    /* A final lone CR is that line break. */
    g_autoptr(BimiMessage) msg = parse_valid("Subject: x\r");
    assert_canonical(msg, "Subject: x\r\n", 12);
    g_assert_cmpuint(bimi_message_get_field(msg, 0)->value_length, ==, 2);
  }
  {
    /* Empty body after the separator. */
    g_autoptr(BimiMessage) msg = parse_valid("Subject: x\r\n\r\n");
    g_assert_true(bimi_message_has_body_separator(msg));
    assert_body(msg, 14, "", 0);
  }
}

static void
test_parse_empty(void)
{
  {
    g_autoptr(BimiMessage) msg = parse_valid("");
    g_assert_cmpuint(bimi_message_get_n_fields(msg), ==, 0);
    g_assert_false(bimi_message_has_body_separator(msg));
    assert_body(msg, 0, "", 0);
  }
  {
    /* Starts with the empty line: no fields, all body. */
    g_autoptr(BimiMessage) msg = parse_valid("\nFrom: not a header\n");
    g_assert_cmpuint(bimi_message_get_n_fields(msg), ==, 0);
    g_assert_true(bimi_message_has_body_separator(msg));
    assert_body(msg, 2, "From: not a header\r\n", 20);
  }
}

static void
test_parse_no_colon(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = parse("From: a@b.example\nSubject: x\nnot a header\nTo: c@d\n\n", &error);

  g_assert_null(msg);
  g_assert_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX);
  g_assert_nonnull(strstr(error->message, "line 3"));
  g_assert_nonnull(strstr(error->message, "no colon"));
  g_assert_nonnull(strstr(error->message, "byte offset 29"));
}

static void
test_parse_bad_names(void)
{
  struct { const char *text; const char *needle; } cases[] = {
    { " Subject: x\n\n", "line 1: starts with whitespace" },
    { "\tSubject: x\n\n", "byte offset 0" },
    { "A: 1\n: empty\n", "line 2: empty header field name (byte offset 5)" },
    { "Fr\xc3\xb6m: x\n", "byte 0xc3 not allowed in a header field name (byte offset 2)" },
    { "A: 1\r\nX\x01Y: 2\r\n", "line 2: byte 0x01" },
    { "From joe@example.com Mon Mar  7 14:23:23 2011\nFrom: joe@example.com\n", "mbox \"From \" separator" },
    { "Sub ject: x\n", "whitespace inside a header field name" },
    { "A: 1\nB\n", "line 2: not a header field, no colon (byte offset 5)" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiMessage) msg = parse(cases[i].text, &error);
    g_assert_null(msg);
    bimi_test_assert_error_names(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX, cases[i].needle, i);
  }
}

static void
test_parse_8bit(void)
{
  static const char text[] = "Subject: Gr\xc3\xbc\xc3\x9f" "e \xe9t\xe9 \x00nul\rcr\r\nX-Raw: \xff\xfe\r\n\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = parse_len(text, sizeof text - 1, &error);
  const BimiHeaderField *f;
  g_autofree char *v = NULL;
  gsize vlen = 0;

  g_assert_no_error(error);
  check_invariants(msg);
  g_assert_false(bimi_message_was_normalised(msg));
  f = bimi_message_get_field(msg, 0);
  g_assert_cmpmem(f->value, f->value_length, " Gr\xc3\xbc\xc3\x9f" "e \xe9t\xe9 \x00nul\rcr", 20);
  v = bimi_header_field_dup_unfolded_value(f, &vlen);
  g_assert_cmpmem(v, vlen, "Gr\xc3\xbc\xc3\x9f" "e \xe9t\xe9 \x00nul\rcr", 19);
  f = bimi_message_get_field(msg, 1);
  g_assert_cmpmem(f->value, f->value_length, " \xff\xfe", 3);
}

static void
test_find_fields(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = parse("Received: a\nfrom: x@y\nReceived: b\nRECEIVED: c\nTo: z@w\n\n", &error);
  g_autoptr(GArray) r = NULL;
  g_autoptr(GArray) none = NULL;

  g_assert_no_error(error);
  r = bimi_message_find_fields(msg, "received");
  g_assert_cmpuint(r->len, ==, 3);
  g_assert_cmpuint(g_array_index(r, guint, 0), ==, 0);
  g_assert_cmpuint(g_array_index(r, guint, 1), ==, 2);
  g_assert_cmpuint(g_array_index(r, guint, 2), ==, 3);
  none = bimi_message_find_fields(msg, "Receive");
  g_assert_cmpuint(none->len, ==, 0);
  g_assert_cmpuint(bimi_message_count_fields(msg, "FROM"), ==, 1);
  g_assert_cmpuint(bimi_message_count_fields(msg, "Cc"), ==, 0);
}

static void
test_unfold(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = parse("A:\r\nB:   \t \r\nC: x \r\n  y\t\r\n\r\n", &error);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  gsize len = 9;

  g_assert_no_error(error);
  a = bimi_header_field_dup_unfolded_value(bimi_message_get_field(msg, 0), &len);
  g_assert_cmpstr(a, ==, "");
  g_assert_cmpuint(len, ==, 0);
  b = bimi_header_field_dup_unfolded_value(bimi_message_get_field(msg, 1), NULL);
  g_assert_cmpstr(b, ==, "");
  c = bimi_header_field_dup_unfolded_value(bimi_message_get_field(msg, 2), NULL);
  g_assert_cmpstr(c, ==, "x   y");
}

/* ---- limits --------------------------------------------------------------- */

static void
test_limit_fields(void)
{
  g_autoptr(GString) s = g_string_new(NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < BIMI_MAX_HEADER_FIELDS; i++)
    g_string_append(s, "X-A: b\n");
  {
    g_autoptr(GString) ok = g_string_new(s->str);
    g_autoptr(BimiMessage) msg = NULL;
    g_string_append(ok, "\nbody\n");
    msg = parse(ok->str, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(bimi_message_get_n_fields(msg), ==, BIMI_MAX_HEADER_FIELDS);
  }
  g_string_append(s, "X-A: one too many\n\n");
  {
    g_autoptr(BimiMessage) msg = parse(s->str, &error);
    g_assert_null(msg);
    assert_limit_error(error, "BIMI_MAX_HEADER_FIELDS", "line 1001");
  }
}

static void
test_limit_line(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) s = g_string_new("Subject: ");

  while (s->len < BIMI_MAX_HEADER_LINE_BYTES)
    g_string_append_c(s, 'x');
  {
    g_autoptr(GString) ok = g_string_new(s->str);
    g_autoptr(BimiMessage) msg = NULL;
    g_string_append(ok, "\r\n\r\n");
    msg = parse(ok->str, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(bimi_message_get_field(msg, 0)->field_length, ==, BIMI_MAX_HEADER_LINE_BYTES + 2);
  }
  g_string_append(s, "x\r\n\r\n");
  {
    g_autoptr(BimiMessage) msg = parse(s->str, &error);
    g_assert_null(msg);
    assert_limit_error(error, "BIMI_MAX_HEADER_LINE_BYTES", "16385 bytes");
    g_clear_error(&error);
  }
  /* Body lines are not header lines: no limit there. */
  {
    g_autoptr(GString) body = g_string_new("Subject: x\n\n");
    g_autoptr(BimiMessage) msg = NULL;
    for (guint i = 0; i < 2 * BIMI_MAX_HEADER_LINE_BYTES; i++)
      g_string_append_c(body, 'y');
    msg = parse(body->str, &error);
    g_assert_no_error(error);
  }
}

/* A folded field of exactly @total canonical bytes, lines under the line limit. */
static GString *
field_of_size(gsize total)
{
  GString *s = g_string_new("X-Big: v\r\n");

  while (s->len < total) {
    gsize left = total - s->len;
    gsize n = MIN(left, (gsize) 1000);
    g_assert_cmpuint(n, >=, 4);
    g_string_append_c(s, ' ');
    for (gsize i = 0; i < n - 3; i++)
      g_string_append_c(s, 'x');
    g_string_append(s, "\r\n");
    if (total - s->len < 4 && total != s->len) {
      /* Rebalance: shorten the last line so the rest fits in one more line. */
      gsize back = 4 - (total - s->len);
      g_string_truncate(s, s->len - 2 - back);
      g_string_append(s, "\r\n");
    }
  }
  g_assert_cmpuint(s->len, ==, total);
  return s;
}

static void
test_limit_field(void)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(GString) s = field_of_size(BIMI_MAX_HEADER_FIELD_BYTES);
    g_autoptr(BimiMessage) msg = NULL;
    g_string_append(s, "To: a@b\r\n\r\n");
    msg = parse(s->str, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(bimi_message_get_field(msg, 0)->field_length, ==, BIMI_MAX_HEADER_FIELD_BYTES);
  }
  {
    g_autoptr(GString) s = field_of_size(BIMI_MAX_HEADER_FIELD_BYTES + 1);
    g_autoptr(BimiMessage) msg = NULL;
    g_string_append(s, "\r\n");
    msg = parse(s->str, &error);
    g_assert_null(msg);
    assert_limit_error(error, "BIMI_MAX_HEADER_FIELD_BYTES", "line 1");
  }
}

static void
test_limit_message(void)
{
  g_autoptr(GError) error = NULL;
  gsize n = BIMI_MAX_MESSAGE_BYTES;
  char *data = g_malloc0(n + 1);
  g_autoptr(GBytes) ok = NULL;
  g_autoptr(GBytes) big = NULL;

  memcpy(data, "A: b\n\n", 6);
  ok = g_bytes_new_static(data, n);
  big = g_bytes_new_take(data, n + 1);
  {
    g_autoptr(BimiMessage) msg = bimi_message_parse(ok, &error);
    gsize body_len = 0;
    g_assert_no_error(error);
    bimi_message_get_body(msg, &body_len);
    g_assert_cmpuint(body_len, ==, n - 6);
  }
  {
    g_autoptr(BimiMessage) msg = bimi_message_parse(big, &error);
    g_assert_null(msg);
    assert_limit_error(error, "BIMI_MAX_MESSAGE_BYTES", NULL);
  }
}

static void
test_limit_addresses(void)
{
  g_autoptr(GString) s = g_string_new(NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < BIMI_MAX_ADDRESSES; i++)
    g_string_append_printf(s, "%su%u@example.com", i > 0 ? ", " : "", i);
  {
    g_autoptr(GPtrArray) a = addrs_ok(s->str, BIMI_MAX_ADDRESSES);
    g_assert_cmpstr(mb(a, 99)->local_part, ==, "u99");
  }
  g_string_append(s, ", one@too.many");
  assert_address_error(s->str, BIMI_MESSAGE_ERROR_LIMIT, "BIMI_MAX_ADDRESSES");

  /* Across From fields: 60 + 60 > 100. */
  {
    g_autoptr(GString) m = g_string_new(NULL);
    g_autoptr(BimiMessage) msg = NULL;
    g_autoptr(GPtrArray) from = NULL;
    guint n_from = 0;
    for (guint f = 0; f < 2; f++) {
      g_string_append(m, "From: ");
      for (guint i = 0; i < 60; i++)
        g_string_append_printf(m, "%su%u@example.com", i > 0 ? ",\r\n " : "", i);
      g_string_append(m, "\r\n");
    }
    g_string_append(m, "\r\n");
    msg = parse(m->str, &error);
    g_assert_no_error(error);
    from = bimi_message_get_from_mailboxes(msg, &n_from, &error);
    g_assert_null(from);
    g_assert_cmpuint(n_from, ==, 2);
    assert_limit_error(error, "BIMI_MAX_ADDRESSES", "From field 2");
  }
}

static void
test_limit_display_name(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) s = g_string_new("\"");

  for (guint i = 0; i < BIMI_MAX_DISPLAY_NAME_BYTES; i++)
    g_string_append_c(s, 'n');
  {
    g_autoptr(GString) ok = g_string_new(s->str);
    g_autoptr(GPtrArray) a = NULL;
    g_string_append(ok, "\" <a@b.example>");
    a = addrs(ok->str, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(strlen(mb(a, 0)->display_name), ==, BIMI_MAX_DISPLAY_NAME_BYTES);
  }
  g_string_append(s, "n\" <a@b.example>");
  assert_address_error(s->str, BIMI_MESSAGE_ERROR_LIMIT, "BIMI_MAX_DISPLAY_NAME_BYTES");
  /* The same through a group name. */
  {
    g_autoptr(GString) g = g_string_new(NULL);
    for (guint i = 0; i <= BIMI_MAX_DISPLAY_NAME_BYTES; i++)
      g_string_append(g, i > 0 ? " w" : "w");
    g_string_append(g, ": a@b.example;");
    assert_address_error(g->str, BIMI_MESSAGE_ERROR_LIMIT, "BIMI_MAX_DISPLAY_NAME_BYTES");
  }
}

static void
test_limit_comment_depth(void)
{
  g_autofree char *ok = bimi_test_nested("a@b.example ", "(", BIMI_MAX_ADDRESS_COMMENT_DEPTH, "", ")", "");
  g_autofree char *bad = bimi_test_nested("a@b.example ", "(", BIMI_MAX_ADDRESS_COMMENT_DEPTH + 1, "", ")", "");
  {
    g_autoptr(GPtrArray) a = addrs_ok(ok, 1);
  }
  assert_address_error(bad, BIMI_MESSAGE_ERROR_LIMIT, "BIMI_MAX_ADDRESS_COMMENT_DEPTH");
}

static void
test_limit_address_list_bytes(void)
{
  g_autoptr(GError) error = NULL;
  gsize n = BIMI_MAX_HEADER_FIELD_BYTES + 1;
  g_autofree char *s = g_malloc(n);
  g_autoptr(GPtrArray) a = NULL;

  memset(s, ' ', n);
  a = bimi_message_parse_address_list(s, n, &error);
  g_assert_null(a);
  assert_limit_error(error, "BIMI_MAX_HEADER_FIELD_BYTES", NULL);
}

/* ---- From / address lists ------------------------------------------------- */

static void
test_from_simple(void)
{
  assert_single("Joe SixPack <joe@football.example.com>", "Joe SixPack", "joe", "football.example.com");
  assert_single(" joe@football.example.com ", NULL, "joe", "football.example.com");
  assert_single("<joe@football.example.com>", NULL, "joe", "football.example.com");
  assert_single("Jason Long <JLONG@Messiah.Edu>", "Jason Long", "JLONG", "messiah.edu");
  assert_single("\"Facebook\" <notification@facebookmail.com>", "Facebook", "notification", "facebookmail.com");
  assert_single("\"\" <a@b.example>", NULL, "a", "b.example");
  /* RFC 5322 A.1.2 */
  assert_single("Who? <one@y.test>", "Who?", "one", "y.test");
  /* RFC 5322 A.6.1 obs-phrase with '.' */
  assert_single("Joe Q. Public <john.q.public@example.com>", "Joe Q. Public", "john.q.public", "example.com");
}

static void
test_from_comments(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) a = NULL;

  /* RFC 5322 A.5 */
  assert_single("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", "Pete", "pete", "silly.test");
  assert_single("(lead) a (x (nested (deep)) y) @ (mid) example . (dot) com (trail)", NULL, "a", "example.com");
  assert_single("jdoe@machine(comment).  example", NULL, "jdoe", "machine.example");
  assert_single("Joe (the man) Smith <js@example.com>", "Joe Smith", "js", "example.com");
  a = addrs("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
            "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)",
            &error);
  g_assert_no_error(error);
  g_assert_cmpuint(a->len, ==, 3);
  assert_mailbox(mb(a, 0), "Chris Jones", "c", "public.example", "public.example", "A Group");
  assert_mailbox(mb(a, 1), NULL, "joe", "example.org", "example.org", "A Group");
  assert_mailbox(mb(a, 2), "John", "jdoe", "one.test", "one.test", "A Group");
  assert_address_error("a@b.example (unterminated", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "unterminated comment at offset 12");
  assert_address_error("a@b.example)", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "')' without a matching '(' at offset 11");
}

static void
test_from_quoted(void)
{
  g_autoptr(GPtrArray) a = NULL;

  assert_single("\"john doe\"@example.com", NULL, "john doe", "example.com");
  assert_single("\"a\\\"b\\\\c\"@example.com", NULL, "a\"b\\c", "example.com");
  assert_single("\"\"@example.com", NULL, "", "example.com");
  assert_single("\"a\".\"b\"@example.com", NULL, "a.b", "example.com");
  assert_single("a..b@example.jp", NULL, "a..b", "example.jp");
  /* RFC 5322 A.1.2: a quoted display name with specials and escapes */
  a = addrs_ok("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>", 2);
  assert_mailbox(mb(a, 0), NULL, "boss", "nil.test", "nil.test", NULL);
  assert_mailbox(mb(a, 1), "Giant; \"Big\" Box", "sysservices", "example.net", "example.net", NULL);
  /* A fold inside a quoted string is removed; the WSP stays. */
  assert_single("\"Joe\r\n Six\" <j@example.com>", "Joe Six", "j", "example.com");
  /* UTF-8 (RFC 6532) in a quoted display name and a local part */
  assert_single("\"J\xc3\xb6rg\" <j\xc3\xb6rg@example.de>", "J\xc3\xb6rg", "j\xc3\xb6rg", "example.de");
  assert_address_error("\"unterminated <a@b>", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "unterminated quoted string at offset 0");
  assert_address_error("j\xf6rg@example.de", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "local part is not valid UTF-8");
  /* Raw 8-bit Latin-1 in a display name: kept, made valid UTF-8. */
  assert_single("J\xf6rg <j@example.de>", "J\xef\xbf\xbdrg", "j", "example.de");
}

static void
test_from_encoded_words(void)
{
  /* list, display name, local part, domain */
  static const struct {
    const char *list, *display, *local, *domain;
  } cases[] = {
    /* RFC 2047 §8 examples */
    { "=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore", "moore", "cs.utk.edu" },
    { "=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>", "Keld J\xc3\xb8rn Simonsen", "keld", "dkuug.dk" },
    { "=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", "Andr\xc3\xa9 Pirard", "PIRARD", "vm1.ulg.ac.be" },
    { "=?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>", "Olle J\xc3\xa4rnefors", "ojarnef", "admin.kth.se" },
    /* RFC 2047 §8: whitespace between adjacent encoded words is dropped */
    { "=?ISO-8859-1?Q?a?= <x@y.example>", "a", "x", "y.example" },
    { "=?ISO-8859-1?Q?a?= b <x@y.example>", "a b", "x", "y.example" },
    { "=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?= <x@y.example>", "ab", "x", "y.example" },
    { "=?ISO-8859-1?Q?a?=  \r\n  =?ISO-8859-1?Q?b?= <x@y.example>", "ab", "x", "y.example" },
    { "=?ISO-8859-1?Q?a_b?= <x@y.example>", "a b", "x", "y.example" },
    { "=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?= <x@y.example>", "a b", "x", "y.example" },
    /* B encoding, UTF-8 and ISO-8859-1; lower-case markers; RFC 2231 language */
    { "=?UTF-8?B?QsO8Y2hlcg==?= <a@b.example>", "B\xc3\xbc" "cher", "a", "b.example" },
    { "=?utf-8?b?QsO8Y2hlcg?= <a@b.example>", "B\xc3\xbc" "cher", "a", "b.example" },
    { "=?ISO-8859-1?B?R3L832U=?= <a@b.example>", "Gr\xc3\xbc\xc3\x9f" "e", "a", "b.example" },
    { "=?ISO-8859-1*de?Q?Gr=FC=DFe?= <a@b.example>", "Gr\xc3\xbc\xc3\x9f" "e", "a", "b.example" },
    /* A UTF-8 character split across two B words (same charset: joined). */
    { "=?UTF-8?B?QsM=?= =?UTF-8?B?vGNoZXI=?= <a@b.example>", "B\xc3\xbc" "cher", "a", "b.example" },
    /* Bad ones are kept as written. */
    { "=?UTF-8?B?!!!?= <a@b.example>", "=?UTF-8?B?!!!?=", "a", "b.example" },
    { "=?X-UNKNOWN-CHARSET?Q?abc?= <a@b.example>", "=?X-UNKNOWN-CHARSET?Q?abc?=", "a", "b.example" },
    { "=?UTF-8?Q?bad=ZZ?= <a@b.example>", "=?UTF-8?Q?bad=ZZ?=", "a", "b.example" },
    { "=?UTF-8?Q?\xff?= <a@b.example>", "=?UTF-8?Q?\xef\xbf\xbd?=", "a", "b.example" },
    { "=?UTF-8?X?abc?= <a@b.example>", "=?UTF-8?X?abc?=", "a", "b.example" },
    /* Invalid UTF-8 after decoding: the word stays raw. */
    { "=?UTF-8?Q?=FF?= <a@b.example>", "=?UTF-8?Q?=FF?=", "a", "b.example" },
    /* Encoded CR LF become spaces. */
    { "=?UTF-8?Q?a=0D=0Ab?= <a@b.example>", "a  b", "a", "b.example" },
    /* Not decoded inside a quoted string (RFC 2047 §5(3)). */
    { "\"=?UTF-8?Q?a?=\" <a@b.example>", "=?UTF-8?Q?a?=", "a", "b.example" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    assert_single(cases[i].list, cases[i].display, cases[i].local, cases[i].domain);
}

static void
test_from_groups(void)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(GPtrArray) a = addrs_ok("Undisclosed: a@b.example, c@d.example;", 2);
    assert_mailbox(mb(a, 0), NULL, "a", "b.example", "b.example", "Undisclosed");
    assert_mailbox(mb(a, 1), NULL, "c", "d.example", "d.example", "Undisclosed");
  }
  {
    /* RFC 5322 A.1.3 */
    g_autoptr(GPtrArray) a = addrs_ok("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;", 3);
    assert_mailbox(mb(a, 0), "Ed Jones", "c", "a.test", "a.test", "A Group");
    assert_mailbox(mb(a, 2), "John", "jdoe", "one.test", "one.test", "A Group");
  }
  {
    g_autoptr(GPtrArray) a = addrs_ok("Undisclosed recipients:;", 0);
  }
  {
    /* RFC 5322 A.5 */
    g_autoptr(GPtrArray) a = addrs_ok("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;", 0);
  }
  {
    g_autoptr(GPtrArray) a = addrs("x@y.example, G: , a@b.example, ; z@w.example", &error);
    g_assert_null(a);
    g_assert_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX);
    g_clear_error(&error);
  }
  {
    g_autoptr(GPtrArray) a = addrs_ok("x@y.example, G: , a@b.example, ;, z@w.example", 3);
    assert_mailbox(mb(a, 0), NULL, "x", "y.example", "y.example", NULL);
    assert_mailbox(mb(a, 1), NULL, "a", "b.example", "b.example", "G");
    assert_mailbox(mb(a, 2), NULL, "z", "w.example", "w.example", NULL);
  }
  assert_address_error("G: a@b.example", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "group not closed by ';' at offset 0");
  assert_address_error("G: H: a@b.example;;", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "a group inside a group at offset 4");
  assert_address_error(": a@b.example;", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "expected an address, found ':' at offset 0");
  assert_address_error("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=: a@b.example; x", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX,
                       "expected ',' or the end");
  {
    g_autoptr(GPtrArray) a = addrs("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=: a@b.example;", &error);
    g_assert_no_error(error);
    assert_mailbox(mb(a, 0), NULL, "a", "b.example", "b.example", "Gr\xc3\xbc\xc3\x9f" "e");
  }
}

static void
test_from_idn(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) a = addrs("user@b\xc3\xbc" "cher.example", &error);

  g_assert_no_error(error);
  assert_mailbox(mb(a, 0), NULL, "user", "xn--bcher-kva.example", "b\xc3\xbc" "cher.example", NULL);
  g_clear_pointer(&a, g_ptr_array_unref);
  /* Upper case, NFC input (u + combining diaeresis), an A-label given as such */
  assert_single("u@B\xc3\x9c" "CHER.Example", NULL, "u", "xn--bcher-kva.example");
  assert_single("u@bu\xcc\x88" "cher.example", NULL, "u", "xn--bcher-kva.example");
  a = addrs("u@XN--BCHER-KVA.example", &error);
  g_assert_no_error(error);
  assert_mailbox(mb(a, 0), NULL, "u", "xn--bcher-kva.example", "b\xc3\xbc" "cher.example", NULL);
  g_clear_pointer(&a, g_ptr_array_unref);
  /* Non-transitional: sharp s stays (not "fass.de"); ideographic full stop. */
  assert_single("u@fa\xc3\x9f.de", NULL, "u", "xn--fa-hia.de");
  assert_single("u@m\xc3\xbcnchen\xe3\x80\x82" "de", NULL, "u", "xn--mnchen-3ya.de");
  /* Disallowed by IDNA2008, accepted by the transitional fallback. */
  assert_single("u@\xf0\x9f\x98\x80.example", NULL, "u", "xn--e28h.example");
  /* Fails both ways; not UTF-8. */
  assert_address_error("u@-b\xc3\xbc" "cher.example", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX,
                       "not a valid internationalized domain name");
  assert_address_error("u@b\xfc" "cher.example", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "domain is not valid UTF-8 at offset 2");
  /* RFC 6532: UTF-8 local part and domain together */
  a = addrs("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", &error);
  g_assert_no_error(error);
  assert_mailbox(mb(a, 0), NULL, "\xe7\x94\xa8\xe6\x88\xb7", "xn--fsqu00a.xn--4rr70v",
                 "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", NULL);
}

static void
test_from_domain_literal(void)
{
  g_autoptr(GPtrArray) a = addrs_ok("Joe <joe@[192.0.2.1]>, x@[ IPv6:2001:DB8::1 ]", 2);
  assert_mailbox(mb(a, 0), "Joe", "joe", "[192.0.2.1]", "[192.0.2.1]", NULL);
  g_assert_true(mb(a, 0)->domain_is_literal);
  assert_mailbox(mb(a, 1), NULL, "x", "[ipv6:2001:db8::1]", "[ipv6:2001:db8::1]", NULL);
  assert_address_error("x@[1.2.3.4", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "unterminated domain literal at offset 2");
  assert_address_error("x@[1.[2]", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "'[' inside a domain literal");
  assert_address_error("x@[1.2.\xc3\xa9]", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "not allowed in a domain literal");
  {
    g_autoptr(GString) s = g_string_new("x@[");
    for (guint i = 0; i < BIMI_DNS_MAX_NAME_BYTES; i++)
      g_string_append_c(s, '1');
    g_string_append_c(s, ']');
    assert_address_error(s->str, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "domain literal longer than 253 bytes at offset 2");
  }
}

static void
test_from_multiple(void)
{
  g_autoptr(GPtrArray) a = addrs_ok("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>", 3);
  assert_mailbox(mb(a, 0), "Mary Smith", "mary", "x.test", "x.test", NULL);
  assert_mailbox(mb(a, 1), NULL, "jdoe", "example.org", "example.org", NULL);
  assert_mailbox(mb(a, 2), "Who?", "one", "y.test", "y.test", NULL);
  g_clear_pointer(&a, g_ptr_array_unref);
  /* obs-addr-list: empty elements (RFC 5322 A.6.1) */
  a = addrs_ok(", , a@b.example,,c@d.example ,", 2);
  g_clear_pointer(&a, g_ptr_array_unref);
  a = addrs_ok("", 0);
}

static void
test_from_fields(void)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(BimiMessage) msg = parse("From: a@one.example\nTo: x@y\nFrom: B <b@two.example>, c@three.example\n\n", &error);
    g_autoptr(GPtrArray) from = NULL;
    guint n = 0;
    g_assert_no_error(error);
    from = bimi_message_get_from_mailboxes(msg, &n, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpuint(from->len, ==, 3);
    assert_mailbox(mb(from, 0), NULL, "a", "one.example", "one.example", NULL);
    assert_mailbox(mb(from, 1), "B", "b", "two.example", "two.example", NULL);
    assert_mailbox(mb(from, 2), NULL, "c", "three.example", "three.example", NULL);
  }
  {
    g_autoptr(BimiMessage) msg = parse("To: x@y\n\n", &error);
    g_autoptr(GPtrArray) from = NULL;
    guint n = 7;
    g_assert_no_error(error);
    from = bimi_message_get_from_mailboxes(msg, &n, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(n, ==, 0);
    g_assert_cmpuint(from->len, ==, 0);
  }
  {
    g_autoptr(BimiMessage) msg = parse("From: ok@a.example\nSubject: s\nFROM: Joe Smith\n\n", &error);
    g_autoptr(GPtrArray) from = NULL;
    guint n = 0;
    g_assert_no_error(error);
    from = bimi_message_get_from_mailboxes(msg, &n, &error);
    g_assert_null(from);
    g_assert_cmpuint(n, ==, 2);
    g_assert_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX);
    g_assert_cmpstr(error->message, ==, "From field 2 (line 3): a display name without an <address> at offset 1");
  }
}

static void
test_from_obs_route(void)
{
  g_autoptr(GPtrArray) a = NULL;

  assert_single("<@route:user@example.com>", NULL, "user", "example.com");
  assert_single("Joe <@a.example,@b.example:joe@c.example>", "Joe", "joe", "c.example");
  assert_single("<,@a.example, ,@b.example:joe@c.example>", NULL, "joe", "c.example");
  /* RFC 5322 A.6.1 */
  a = addrs_ok("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example", 2);
  assert_mailbox(mb(a, 0), "Mary Smith", "mary", "example.net", "example.net", NULL);
  assert_mailbox(mb(a, 1), NULL, "jdoe", "test.example", "test.example", NULL);
  assert_address_error("<@route user@example.com>", BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX,
                       "expected ':' after the route");
}

static void
test_from_no_domain(void)
{
  g_autoptr(GPtrArray) a = addrs_ok("root, <postmaster>, Name <local.part>", 3);
  assert_mailbox(mb(a, 0), NULL, "root", NULL, NULL, NULL);
  assert_mailbox(mb(a, 1), NULL, "postmaster", NULL, NULL, NULL);
  assert_mailbox(mb(a, 2), "Name", "local.part", NULL, NULL, NULL);
}

static void
test_from_garbage(void)
{
  struct { const char *text; const char *needle; } cases[] = {
    { "Joe Smith", "a display name without an <address> at offset 0" },
    { "<>", "empty address '<>' at offset 0" },
    { "a@", "expected a domain after '@', found the end at offset 2" },
    { "@example.com", "expected an address, found '@' at offset 0" },
    { "a@example.com.", "expected a domain label after '.', found the end at offset 14" },
    { "a@b..c", "expected a domain label after '.', found '.' at offset 4" },
    { "a@\"quoted\".example", "expected a domain after '@', found a quoted string at offset 2" },
    { "john smith@example.com", "two words without a '.' between them in a local part at offset 5" },
    { "<a@b.example", "expected '>' to close the address opened at offset 0, found the end at offset 12" },
    { "<a@b.example> <c@d.example>", "expected ',' or the end after an address, found '<' at offset 14" },
    { "a@b.example; c@d.example", "expected ',' or the end after an address, found ';' at offset 11" },
    { "a@b.example\r\nc@d", "line break that is not a fold at offset 11" },
    { "a@b.example\n", "line break that is not a fold at offset 11" },
    { "a\\b@example.com", "backslash outside a quoted string at offset 1" },
    { "a\x01@example.com", "control byte 0x01 at offset 1" },
    { "]", "']' without a matching '[' at offset 0" },
    { "<a@b.example>>", "found '>' at offset 13" },
    { "\"a\\", "unterminated quoted string at offset 0" },
    { "\"a\r\nb\"@c", "line break in a quoted string at offset 2" },
    { "<a@b@c>", "expected '>' to close the address opened at offset 0, found '@'" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    assert_address_error(cases[i].text, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, cases[i].needle);
  /* NUL inside the value (the length is explicit). */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) a = bimi_message_parse_address_list("a@b\0c", 5, &error);
    g_assert_null(a);
    g_assert_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX);
    g_assert_nonnull(strstr(error->message, "control byte 0x00 at offset 3"));
  }
  /* Domain lengths: a 64-byte label, a 254-byte name. */
  {
    g_autoptr(GString) s = g_string_new("a@");
    for (guint i = 0; i < 64; i++)
      g_string_append_c(s, 'l');
    g_string_append(s, ".example");
    assert_address_error(s->str, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "domain label longer than 63 bytes");
    g_string_assign(s, "a@");
    for (guint i = 0; i < 127; i++)
      g_string_append(s, i > 0 ? ".x" : "x");
    g_string_append(s, "xx");
    assert_address_error(s->str, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, "domain longer than 253 bytes");
  }
}

/* ---- upstream messages ---------------------------------------------------- */

static const char *
upstream_dir(void)
{
  const char *d = bimi_test_upstream_dir();
  return d != NULL ? d : "../shared/upstream";
}

/* Stalwart dkim/ and arc/: DNS lines, an empty line, then the message. */
static GBytes *
strip_dns_preamble(GBytes *file)
{
  gsize len;
  const char *d = g_bytes_get_data(file, &len);
  const char *sep = g_strstr_len(d, (gssize) len, "\n\n");
  gsize start;

  g_assert_nonnull(sep);
  start = (gsize) (sep - d) + 2;
  return g_bytes_new_from_bytes(file, start, len - start);
}

static BimiMessage *
parse_upstream(const char *rel)
{
  g_autoptr(GBytes) file = bimi_test_read_upstream(rel);
  g_autoptr(GBytes) msgb = NULL;
  g_autoptr(GError) error = NULL;
  BimiMessage *msg;

  if (g_str_has_prefix(rel, "stalwart-mail-auth/dkim/") || g_str_has_prefix(rel, "stalwart-mail-auth/arc/"))
    msgb = strip_dns_preamble(file);
  else
    msgb = g_bytes_ref(file);
  msg = bimi_message_parse(msgb, &error);
  if (msg == NULL)
    g_error("%s: %s", rel, error->message);
  check_invariants(msg);
  return msg;
}

static void
assert_upstream_from(const char *rel, const char *display, const char *local, const char *domain)
{
  g_autoptr(BimiMessage) msg = parse_upstream(rel);
  g_autoptr(GError) error = NULL;
  guint n = 0;
  g_autoptr(GPtrArray) from = bimi_message_get_from_mailboxes(msg, &n, &error);

  g_assert_no_error(error);
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpuint(from->len, ==, 1);
  g_assert_cmpstr(mb(from, 0)->display_name, ==, display);
  g_assert_cmpstr(mb(from, 0)->local_part, ==, local);
  g_assert_cmpstr(mb(from, 0)->domain, ==, domain);
}

static void
test_upstream_all(void)
{
  /* Every message file of the suites (data files such as DNS records,
   * licences and XML are not messages). */
  static const struct { const char *dir; const char *suffix; } sets[] = {
    { "rfc-dkim-examples", ".eml" },
    { "mail-dkim-perl/corpus", ".txt" },
    { "mailauth-postalsys", ".eml" },
    { "stalwart-mail-auth/dkim", ".txt" },
    { "stalwart-mail-auth/arc", ".txt" },
    { "stalwart-mail-auth/dmarc-feedback", ".eml" },
    { "dkimpy", ".message" },
    { "dkimpy", ".msg" },
    { "dkimpy", ".mbox" },
  };
  guint n_files = 0, n_from_ok = 0;

  if (!g_file_test(upstream_dir(), G_FILE_TEST_IS_DIR))
    g_error("BIMI_UPSTREAM_DIR %s: no such directory", upstream_dir());
  for (gsize s = 0; s < G_N_ELEMENTS(sets); s++) {
    g_autofree char *dir = g_build_filename(upstream_dir(), sets[s].dir, NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d)) != NULL) {
      g_autofree char *rel = NULL;
      g_autoptr(BimiMessage) msg = NULL;
      g_autoptr(GPtrArray) from = NULL;
      g_autoptr(GError) error = NULL;
      guint n = 0;
      if (!g_str_has_suffix(name, sets[s].suffix) || g_str_has_prefix(name, "LICENSE"))
        continue;
      rel = g_build_filename(sets[s].dir, name, NULL);
      msg = parse_upstream(rel);
      g_assert_cmpuint(bimi_message_get_n_fields(msg), >, 0);
      from = bimi_message_get_from_mailboxes(msg, &n, &error);
      if (from == NULL)
        g_error("%s: %s", rel, error->message);
      if (n == 1 && from->len == 1 && mb(from, 0)->domain != NULL)
        n_from_ok++;
      n_files++;
    }
  }
  g_test_message("%u upstream messages parsed, %u with exactly one From mailbox", n_files, n_from_ok);
  /* 2 + 79 + 2 + 6 + 2 + 5 + 5 + 2 + 1 = 104 files; all but 2 (no From) have one. */
  g_assert_cmpuint(n_files, >=, 104);
  g_assert_cmpuint(n_from_ok, ==, n_files - 2);
}

static void
test_upstream_named(void)
{
  assert_upstream_from("rfc-dkim-examples/rfc8463-appendix-A3.eml", "Joe SixPack", "joe", "football.example.com");
  assert_upstream_from("stalwart-mail-auth/dkim/003.txt", "John C Klensin", "john-ietf", "jck.com");
  assert_upstream_from("stalwart-mail-auth/dkim/004.txt", "Facebook", "notification", "facebookmail.com");
  assert_upstream_from("stalwart-mail-auth/dkim/006.txt", "GitHub", "github", "github.com");
  assert_upstream_from("stalwart-mail-auth/arc/001.txt", "Mauro De Gennaro", "mauro", "stalw.art");
  assert_upstream_from("stalwart-mail-auth/arc/002.txt", NULL, "queso", "manchego.org");
  assert_upstream_from("mail-dkim-perl/corpus/good_dk_7.txt", "Jason Long", "jlong", "messiah.edu");
  assert_upstream_from("mail-dkim-perl/corpus/badkey1_ed25519.txt", NULL, "mail", "wander.science");
  assert_upstream_from("mailauth-postalsys/message1.eml", "Andris Test", "andris", "kreata.ee");
  assert_upstream_from("dkimpy/test.message", "Test User", "test", "example.com");

  {
    /* RFC 8463 A.3 is stored with LF: normalised; 7 fields; the second
     * DKIM-Signature spans 8 lines; the body is 5 lines. */
    g_autoptr(BimiMessage) msg = parse_upstream("rfc-dkim-examples/rfc8463-appendix-A3.eml");
    const BimiHeaderField *f = bimi_message_get_field(msg, 1);
    gsize body_len = 0;
    const guint8 *body = bimi_message_get_body(msg, &body_len);
    static const char expect_body[] = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";
    g_assert_true(bimi_message_was_normalised(msg));
    g_assert_cmpuint(bimi_message_get_n_fields(msg), ==, 7);
    g_assert_true(bimi_header_field_has_name(f, "DKIM-Signature"));
    g_assert_cmpuint(f->n_lines, ==, 8);
    g_assert_cmpuint(f->line, ==, 8);
    g_assert_cmpmem(body, body_len, expect_body, sizeof expect_body - 1);
    g_assert_cmpuint(bimi_message_count_fields(msg, "dkim-signature"), ==, 2);
  }
  {
    /* Mail::DKIM files are CRLF already: the canonical buffer is the input. */
    g_autoptr(BimiMessage) msg1 = parse_upstream("mail-dkim-perl/corpus/no_body_1.txt");
    g_autoptr(BimiMessage) msg2 = parse_upstream("mail-dkim-perl/corpus/no_body_2.txt");
    g_autoptr(BimiMessage) msg3 = parse_upstream("mail-dkim-perl/corpus/no_body_3.txt");
    gsize len = 9;
    g_assert_false(bimi_message_was_normalised(msg1));
    g_assert_false(bimi_message_has_body_separator(msg1));
    g_assert_true(bimi_message_has_body_separator(msg2));
    bimi_message_get_body(msg2, &len);
    g_assert_cmpuint(len, ==, 0);
    g_assert_true(bimi_message_has_body_separator(msg3));
    bimi_message_get_body(msg3, &len);
    g_assert_cmpuint(len, ==, 2);
  }
  {
    /* Two identical DKIM-Signature fields (list software). */
    g_autoptr(BimiMessage) msg = parse_upstream("stalwart-mail-auth/dkim/003.txt");
    g_autoptr(GArray) sigs = bimi_message_find_fields(msg, "DKIM-Signature");
    const BimiHeaderField *a, *b;
    g_assert_cmpuint(sigs->len, >=, 2);
    a = bimi_message_get_field(msg, g_array_index(sigs, guint, 0));
    b = bimi_message_get_field(msg, g_array_index(sigs, guint, 1));
    g_assert_cmpmem(a->field, a->field_length, b->field, b->field_length);
  }
  {
    /* No From field at all. */
    g_autoptr(BimiMessage) msg = parse_upstream("dkimpy/test_nofrom.message");
    g_autoptr(GError) error = NULL;
    guint n = 9;
    g_autoptr(GPtrArray) from = bimi_message_get_from_mailboxes(msg, &n, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(n, ==, 0);
    g_assert_cmpuint(from->len, ==, 0);
  }
  {
    /* Mail::DKIM's test5.txt has a line "Invalid header": rejected, with
     * its place. */
    g_autoptr(GBytes) file = bimi_test_read_upstream("mail-dkim-perl/test5.txt");
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiMessage) msg = bimi_message_parse(file, &error);
    g_assert_null(msg);
    g_assert_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX);
    g_assert_cmpstr(error->message, ==, "line 9: not a header field, no colon (byte offset 517)");
  }
}

/* ---- fixtures and the CLI ------------------------------------------------- */

static BimiMessage *
parse_fixture(const char *name, GError **error)
{
  g_autofree char *path = g_build_filename("fixtures", "messages", name, NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents(path, &contents, &len, error))
    return NULL;
  return parse_len(contents, len, error);
}

static void
test_fixtures(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) crlf = parse_fixture("simple-crlf.eml", &error);
  g_autoptr(BimiMessage) lf = parse_fixture("simple-lf.eml", &error);
  g_autoptr(BimiMessage) mixed = NULL;
  g_autoptr(BimiMessage) folded = NULL;
  g_autoptr(BimiMessage) enc = NULL;
  g_autoptr(BimiMessage) idn = NULL;
  g_autoptr(BimiMessage) nobody = NULL;
  g_autoptr(GPtrArray) from = NULL;
  guint n = 0;

  g_assert_no_error(error);
  check_invariants(crlf);
  check_invariants(lf);
  /* The LF file's canonical form is byte for byte the CRLF file. */
  g_assert_false(bimi_message_was_normalised(crlf));
  g_assert_true(bimi_message_was_normalised(lf));
  g_assert_true(g_bytes_equal(bimi_message_get_canonical(crlf), bimi_message_get_canonical(lf)));
  g_assert_cmpuint(bimi_message_get_n_fields(crlf), ==, 7);
  g_assert_cmpuint(bimi_message_get_field(crlf, 1)->n_lines, ==, 3);

  mixed = parse_fixture("mixed-endings.eml", &error);
  g_assert_no_error(error);
  check_invariants(mixed);
  g_assert_cmpuint(bimi_message_get_field(mixed, 2)->n_lines, ==, 2);

  folded = parse_fixture("folded.eml", &error);
  g_assert_no_error(error);
  check_invariants(folded);
  {
    const BimiHeaderField *subj = bimi_message_get_field(folded, 4);
    g_autofree char *v = bimi_header_field_dup_unfolded_value(subj, NULL);
    g_assert_true(bimi_header_field_has_name(subj, "Subject"));
    g_assert_cmpstr(v, ==, "A subject that is long enough to be folded over two lines by a careful mailer");
  }
  from = bimi_message_get_from_mailboxes(folded, &n, &error);
  g_assert_no_error(error);
  assert_mailbox(mb(from, 0), "Newsletter, Example Org", "news", "example.org", "example.org", NULL);
  g_clear_pointer(&from, g_ptr_array_unref);

  enc = parse_fixture("encoded-from.eml", &error);
  g_assert_no_error(error);
  from = bimi_message_get_from_mailboxes(enc, &n, &error);
  g_assert_no_error(error);
  assert_mailbox(mb(from, 0), "M\xc3\xbcller GmbH B\xc3\xbc" "cher", "info", "mueller-buecher.example",
                 "mueller-buecher.example", NULL);
  g_clear_pointer(&from, g_ptr_array_unref);

  idn = parse_fixture("idn-from.eml", &error);
  g_assert_no_error(error);
  from = bimi_message_get_from_mailboxes(idn, &n, &error);
  g_assert_no_error(error);
  assert_mailbox(mb(from, 0), "B\xc3\xbc" "cher Shop", "info", "xn--bcher-kva.example", "b\xc3\xbc" "cher.example", NULL);
  g_clear_pointer(&from, g_ptr_array_unref);

  nobody = parse_fixture("no-body.eml", &error);
  g_assert_no_error(error);
  check_invariants(nobody);
  g_assert_false(bimi_message_has_body_separator(nobody));
  g_assert_cmpuint(bimi_message_get_n_fields(nobody), ==, 3);
}

/* `bimi headers ARGS...`: asserts the exit status and what stdout contains. */
static BimiTestCliRun *
run_cli(const char *const *args, int status, const char *const *out_has)
{
  return bimi_test_cli_expect("headers", args, status, out_has);
}

static void
test_cli_text(void)
{
  const char *args[] = { "fixtures/messages/idn-from.eml", NULL };
  const char *out_has[] = { "header fields: 7", "[0] From  offset 0 length 45 (raw 0+44), line 1",
                            "display name \"B\xc3\xbc" "cher Shop\", local part \"info\", "
                            "domain xn--bcher-kva.example (U-label b\xc3\xbc" "cher.example)",
                            "body: offset 250 length 63", NULL };

  bimi_test_cli_run_free(run_cli(args, 0, out_has));
}

static void
test_cli_json(void)
{
  const char *args[] = { "--json", "fixtures/messages/encoded-from.eml", NULL };
  g_autoptr(BimiTestCliRun) run = run_cli(args, 0, NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *from, *m, *f0, *body;

  g_assert_true(json_parser_load_from_data(parser, run->out, -1, &error));
  g_assert_no_error(error);
  root = json_node_get_object(json_parser_get_root(parser));
  g_assert_false(json_object_get_boolean_member(root, "normalised"));
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(root, "fields")), ==, 8);
  f0 = json_array_get_object_element(json_object_get_array_member(root, "fields"), 0);
  g_assert_cmpstr(json_object_get_string_member(f0, "name"), ==, "From");
  g_assert_cmpint(json_object_get_int_member(f0, "offset"), ==, 0);
  g_assert_cmpint(json_object_get_int_member(f0, "value_offset"), ==, 5);
  body = json_object_get_object_member(root, "body");
  g_assert_true(json_object_get_boolean_member(body, "separator"));
  from = json_object_get_object_member(root, "from");
  g_assert_cmpint(json_object_get_int_member(from, "fields"), ==, 1);
  g_assert_true(json_object_get_null_member(from, "error"));
  m = json_array_get_object_element(json_object_get_array_member(from, "mailboxes"), 0);
  g_assert_cmpstr(json_object_get_string_member(m, "display_name"), ==, "M\xc3\xbcller GmbH B\xc3\xbc" "cher");
  g_assert_cmpstr(json_object_get_string_member(m, "domain"), ==, "mueller-buecher.example");
  g_assert_true(json_object_get_null_member(m, "group"));
}

static void
test_cli_exit_codes(void)
{
  struct { const char *file; gboolean json; int code; const char *in_err; const char *in_out; } cases[] = {
    { "fixtures/messages/group-from.eml", FALSE, 1, "lists no mailbox", "From: 1 field, 0 mailboxes" },
    { "fixtures/messages/no-colon.eml", FALSE, 2, "line 3: not a header field, no colon (byte offset 34)", NULL },
    { "fixtures/messages/does-not-exist.eml", FALSE, 2, "does-not-exist.eml", NULL },
    { "fixtures/messages/no-body.eml", TRUE, 0, NULL, "\"separator\" : false" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    const char *args[] = { cases[i].json ? "--json" : cases[i].file, cases[i].json ? cases[i].file : NULL, NULL };
    const char *out_has[] = { cases[i].in_out, NULL };
    g_autoptr(BimiTestCliRun) run = run_cli(args, cases[i].code, out_has);
    if (cases[i].in_err != NULL && strstr(run->err, cases[i].in_err) == NULL)
      g_error("%s: stderr '%s' lacks '%s'", cases[i].file, run->err, cases[i].in_err);
  }
  {
    /* No From field (but the index is printed), and usage errors. */
    g_autofree char *path = g_build_filename(upstream_dir(), "dkimpy", "test_nofrom.message", NULL);
    const char *args[] = { path, NULL };
    const char *out_has[] = { "From: 0 fields", NULL };
    const char *none[] = { NULL };
    const char *two[] = { "a", "b", NULL };
    g_autoptr(BimiTestCliRun) run = run_cli(args, 1, out_has);
    g_assert_nonnull(strstr(run->err, "no From field"));
    bimi_test_cli_run_free(run_cli(none, 2, NULL));
    bimi_test_cli_run_free(run_cli(two, 2, NULL));
  }
}

static JsonObject *
json_field(JsonParser *parser, guint index)
{
  JsonObject *root = json_node_get_object(json_parser_get_root(parser));
  return json_array_get_object_element(json_object_get_array_member(root, "fields"), index);
}

/* --json gives header values as they are (JSON-escaped by the generator,
 * not C-escaped first); bytes that are not UTF-8 become U+FFFD in "value"
 * and the exact bytes are in "value_base64", which is absent otherwise. */
static void
test_cli_json_values(void)
{
  static const char msg[] = "Subject: a\tb \"q\" \\ caf\xc3\xa9 \xff\xfe!\r\n"
                            "X-Ctl: tab\there\r\n"
                            "From: a@b.example\r\n\r\n";
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(BimiTestCliRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autofree guchar *bytes = NULL;
  gsize n = 0;
  int fd = g_file_open_tmp("bimi-msg-XXXXXX", &path, &error);
  JsonObject *subject, *ctl, *from;
  const char *args[] = { "--json", NULL, NULL };

  g_assert_no_error(error);
  g_assert_cmpint(write(fd, msg, sizeof msg - 1), ==, (gssize) (sizeof msg - 1));
  close(fd);
  args[1] = path;
  run = run_cli(args, 0, NULL);
  g_assert_true(json_parser_load_from_data(parser, run->out, -1, &error));
  g_assert_no_error(error);

  subject = json_field(parser, 0);
  g_assert_cmpstr(json_object_get_string_member(subject, "value"), ==,
                  "a\tb \"q\" \\ caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd!");
  bytes = g_base64_decode(json_object_get_string_member(subject, "value_base64"), &n);
  g_assert_cmpmem(bytes, n, "a\tb \"q\" \\ caf\xc3\xa9 \xff\xfe!", 19);
  ctl = json_field(parser, 1);
  g_assert_cmpstr(json_object_get_string_member(ctl, "value"), ==, "tab\there");
  g_assert_false(json_object_has_member(ctl, "value_base64"));
  from = json_field(parser, 2);
  g_assert_cmpstr(json_object_get_string_member(from, "value"), ==, "a@b.example");
  g_assert_false(json_object_has_member(from, "value_base64"));
  /* the text output still escapes for a terminal */
  args[0] = path;
  args[1] = NULL;
  {
    const char *out_has[] = { "a\\tb \"q\" \\\\ caf\xc3\xa9 \\xff\\xfe!", NULL };
    bimi_test_cli_run_free(run_cli(args, 0, out_has));
  }
  g_unlink(path);
}

/* --json and a header section that does not parse: an error object on
 * stdout with the line and byte offset, exit 2. */
static void
test_cli_json_error(void)
{
  const char *args[] = { "--json", "fixtures/messages/no-colon.eml", NULL };
  g_autoptr(BimiTestCliRun) run = run_cli(args, 2, NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  JsonObject *e;

  g_assert_true(json_parser_load_from_data(parser, run->out, -1, &error));
  g_assert_no_error(error);
  e = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)), "error");
  g_assert_nonnull(e);
  g_assert_cmpstr(json_object_get_string_member(e, "message"), ==,
                  "line 3: not a header field, no colon (byte offset 34)");
  g_assert_cmpint(json_object_get_int_member(e, "line"), ==, 3);
  g_assert_cmpint(json_object_get_int_member(e, "offset"), ==, 34);
  g_assert_nonnull(strstr(run->err, "line 3"));
}

/* The usage line names the subcommand as typed. */
static void
test_cli_help(void)
{
  const char *args[] = { "--help", NULL };
  const char *out_has[] = { "Usage:\n  bimi headers [OPTION", "--json", NULL };

  bimi_test_cli_run_free(run_cli(args, 0, out_has));
}

/* BIMI_MAX_MESSAGE_BYTES holds on the bytes read: /dev/zero (st_size 0) and
 * a file one byte over are refused (exit 2, the path and limit on stderr);
 * a file at the limit is read and parsed. */
static void
test_cli_size_limit(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *over = NULL;
  g_autofree char *at = NULL;
  g_autofree char *limit_text = g_strdup_printf("more than %u bytes", BIMI_MAX_MESSAGE_BYTES);
  int fd;

  fd = g_file_open_tmp("bimi-msg-XXXXXX", &over, &error);
  g_assert_no_error(error);
  g_assert_cmpint(ftruncate(fd, (off_t) BIMI_MAX_MESSAGE_BYTES + 1), ==, 0);
  close(fd);
  fd = g_file_open_tmp("bimi-msg-XXXXXX", &at, &error);
  g_assert_no_error(error);
  g_assert_cmpint(ftruncate(fd, (off_t) BIMI_MAX_MESSAGE_BYTES), ==, 0);
  close(fd);
  {
    const char *paths[] = { "/dev/zero", over };
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
      const char *args[] = { paths[i], NULL };
      g_autoptr(BimiTestCliRun) run = run_cli(args, 2, NULL);
      g_assert_nonnull(strstr(run->err, paths[i]));
      if (strstr(run->err, limit_text) == NULL)
        g_error("%s: stderr '%s' lacks '%s'", paths[i], run->err, limit_text);
    }
  }
  {
    /* read whole, then refused by the parser (a NUL byte), not by the reader */
    const char *args[] = { at, NULL };
    g_autoptr(BimiTestCliRun) run = run_cli(args, 2, NULL);
    g_assert_null(strstr(run->err, limit_text));
  }
  g_unlink(over);
  g_unlink(at);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);

  g_test_add_func("/message/parse/crlf", test_parse_crlf);
  g_test_add_func("/message/parse/lf", test_parse_lf);
  g_test_add_func("/message/parse/mixed", test_parse_mixed);
  g_test_add_func("/message/parse/folding", test_parse_folding);
  g_test_add_func("/message/parse/rfc5322-a6.3", test_parse_rfc5322_a63);
  g_test_add_func("/message/parse/no-body", test_parse_no_body);
  g_test_add_func("/message/parse/empty", test_parse_empty);
  g_test_add_func("/message/parse/no-colon", test_parse_no_colon);
  g_test_add_func("/message/parse/bad-names", test_parse_bad_names);
  g_test_add_func("/message/parse/8bit", test_parse_8bit);
  g_test_add_func("/message/find-fields", test_find_fields);
  g_test_add_func("/message/unfold", test_unfold);
  g_test_add_func("/message/limits/fields", test_limit_fields);
  g_test_add_func("/message/limits/line", test_limit_line);
  g_test_add_func("/message/limits/field", test_limit_field);
  g_test_add_func("/message/limits/message", test_limit_message);
  g_test_add_func("/message/limits/addresses", test_limit_addresses);
  g_test_add_func("/message/limits/display-name", test_limit_display_name);
  g_test_add_func("/message/limits/comment-depth", test_limit_comment_depth);
  g_test_add_func("/message/limits/address-list-bytes", test_limit_address_list_bytes);
  g_test_add_func("/message/from/simple", test_from_simple);
  g_test_add_func("/message/from/comments", test_from_comments);
  g_test_add_func("/message/from/quoted", test_from_quoted);
  g_test_add_func("/message/from/encoded-word", test_from_encoded_words);
  g_test_add_func("/message/from/group", test_from_groups);
  g_test_add_func("/message/from/idn", test_from_idn);
  g_test_add_func("/message/from/domain-literal", test_from_domain_literal);
  g_test_add_func("/message/from/multiple-mailboxes", test_from_multiple);
  g_test_add_func("/message/from/multiple-fields", test_from_fields);
  g_test_add_func("/message/from/obs-route", test_from_obs_route);
  g_test_add_func("/message/from/no-domain", test_from_no_domain);
  g_test_add_func("/message/from/garbage", test_from_garbage);
  g_test_add_func("/message/upstream/all", test_upstream_all);
  g_test_add_func("/message/upstream/named", test_upstream_named);
  g_test_add_func("/message/fixtures", test_fixtures);
  g_test_add_func("/message/cli/text", test_cli_text);
  g_test_add_func("/message/cli/json", test_cli_json);
  g_test_add_func("/message/cli/exit-codes", test_cli_exit_codes);
  g_test_add_func("/message/cli/size-limit", test_cli_size_limit);
  g_test_add_func("/message/cli/help", test_cli_help);
  g_test_add_func("/message/cli/json-values", test_cli_json_values);
  g_test_add_func("/message/cli/json-error", test_cli_json_error);
  return g_test_run();
}
