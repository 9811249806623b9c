/* cli/cmd-headers.c — `bimi headers MSG.eml [--json]`: the header index and the
 * parsed RFC5322.From of a message (engine/message.h).
 *
 * Exit: 0 the message parses and From yields at least one mailbox; 1 the
 * index is printed but From is missing, empty or does not parse; 2 usage, an
 * unreadable file, or a header section that does not parse (the error, with
 * line and byte offset, on stderr; with --json also as {"error": {"message",
 * "line", "offset"}} on stdout).
 *
 * Text output escapes attacker bytes for a terminal (bimi_cli_escape_terminal()); JSON
 * output carries header values as they are (JSON-escaped by json-glib), with
 * "value_base64" holding the exact bytes when they are not UTF-8.
 */
#include "cli/commands.h"
#include "engine/base/base-json.h"
#include "engine/message.h"
#include "engine/limits.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

static char *
field_value(const BimiHeaderField *f)
{
  gsize len = 0;
  g_autofree char *v = bimi_header_field_dup_unfolded_value(f, &len);
  return bimi_cli_escape_terminal(v, len);
}

/* The number after @prefix in @text ("line 3: ...", "(byte offset 34)"), or -1. */
static gint64
number_after(const char *text, const char *prefix)
{
  const char *p = strstr(text, prefix);
  gsize n = 0;
  g_autofree char *digits = NULL;
  guint64 v = 0;

  if (p == NULL)
    return -1;
  p += strlen(prefix);
  while (g_ascii_isdigit(p[n]))
    n++;
  digits = g_strndup(p, n);
  if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXINT64, &v, NULL))
    return -1;
  return (gint64) v;
}

static void
print_json_node(BimiJsonWriter *b)
{
  bimi_cli_print_writer(b);
}

/* --json and the header section does not parse: {"error": {"message": ...,
 * "line": N, "offset": N}} on stdout; line (1-based) and offset (bytes into
 * the raw input) are null when the error has none (engine/message.h puts
 * them in the text as "line N: ... (byte offset N)"). */
static void
print_json_error(const GError *error)
{
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  gint64 line = g_str_has_prefix(error->message, "line ") ? number_after(error->message, "line ") : -1;
  gint64 offset = number_after(error->message, "(byte offset ");

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "{s?I?I}", "error", "message", error->message, "line", line >= 0, line,
                        "offset", offset >= 0, offset);
  bimi_json_end_object(b);
  print_json_node(b);
}

static void
print_json(const BimiMessage *msg, const GPtrArray *from, guint n_from, const GError *from_error)
{
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  gsize body_len = 0;

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "IIb", "size", (gint64) g_bytes_get_size(bimi_message_get_raw(msg)),
                        "canonical_size", (gint64) g_bytes_get_size(bimi_message_get_canonical(msg)),
                        "normalised", bimi_message_was_normalised(msg));

  bimi_json_set_member_name(b, "fields");
  bimi_json_begin_array(b);
  for (guint i = 0; i < bimi_message_get_n_fields(msg); i++) {
    const BimiHeaderField *f = bimi_message_get_field(msg, i);
    g_autofree char *name = g_strndup(f->name, f->name_length);
    gsize value_len = 0;
    g_autofree char *value = bimi_header_field_dup_unfolded_value(f, &value_len);
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "usuu IIII II", "index", i, "name", name, "line", f->line, "lines", f->n_lines,
                          "offset", (gint64) f->field_offset, "length", (gint64) f->field_length,
                          "value_offset", (gint64) f->value_offset, "value_length", (gint64) f->value_length,
                          "raw_offset", (gint64) f->raw_offset, "raw_length", (gint64) f->raw_length);
    bimi_json_add_bytes(b, "value", value, value_len);
    bimi_json_end_object(b);
  }
  bimi_json_end_array(b);

  bimi_message_get_body(msg, &body_len);
  bimi_json_add_members(b, "{bII}", "body", "separator", bimi_message_has_body_separator(msg),
                        "offset", (gint64) bimi_message_get_body_offset(msg), "length", (gint64) body_len);
  bimi_json_set_member_name(b, "from");
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "u", "fields", n_from);
  bimi_json_set_member_name(b, "mailboxes");
  bimi_json_begin_array(b);
  for (guint i = 0; from != NULL && i < from->len; i++) {
    const BimiMailbox *m = from->pdata[i];
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "sssss b", "display_name", m->display_name, "local_part", m->local_part,
                          "domain", m->domain, "domain_utf8", m->domain_utf8, "group", m->group,
                          "domain_literal", m->domain_is_literal);
    bimi_json_end_object(b);
  }
  bimi_json_end_array(b);
  bimi_json_add_string_or_null(b, "error", from_error != NULL ? from_error->message : NULL);
  bimi_json_end_object(b);
  bimi_json_end_object(b);
  print_json_node(b);
}

static void
print_text(const BimiMessage *msg, const GPtrArray *from, guint n_from, const GError *from_error)
{
  gsize raw_size = g_bytes_get_size(bimi_message_get_raw(msg));
  gsize canon_size = g_bytes_get_size(bimi_message_get_canonical(msg));
  gboolean normalised = bimi_message_was_normalised(msg);
  gsize body_len = 0;

  printf("message: %" G_GSIZE_FORMAT " bytes", raw_size);
  if (normalised)
    printf(", %" G_GSIZE_FORMAT " in CRLF form (offsets below are in the CRLF form; raw= gives the input's)",
           canon_size);
  printf("\nheader fields: %u\n", bimi_message_get_n_fields(msg));
  for (guint i = 0; i < bimi_message_get_n_fields(msg); i++) {
    const BimiHeaderField *f = bimi_message_get_field(msg, i);
    g_autofree char *value = field_value(f);
    printf("  [%u] %.*s  offset %" G_GSIZE_FORMAT " length %" G_GSIZE_FORMAT, i, (int) f->name_length, f->name,
           f->field_offset, f->field_length);
    if (normalised)
      printf(" (raw %" G_GSIZE_FORMAT "+%" G_GSIZE_FORMAT ")", f->raw_offset, f->raw_length);
    printf(", line %u", f->line);
    if (f->n_lines > 1)
      printf(", %u lines", f->n_lines);
    printf("\n      %s\n", value);
  }
  bimi_message_get_body(msg, &body_len);
  if (bimi_message_has_body_separator(msg))
    printf("body: offset %" G_GSIZE_FORMAT " length %" G_GSIZE_FORMAT "\n", bimi_message_get_body_offset(msg), body_len);
  else
    printf("body: none (no empty line after the header section)\n");

  printf("From: %u field%s", n_from, n_from == 1 ? "" : "s");
  if (from_error != NULL) {
    g_autofree char *e = bimi_cli_escape_terminal(from_error->message, strlen(from_error->message));
    printf(", does not parse: %s\n", e);
    return;
  }
  printf(", %u mailbox%s\n", from->len, from->len == 1 ? "" : "es");
  for (guint i = 0; i < from->len; i++) {
    const BimiMailbox *m = from->pdata[i];
    g_autofree char *dn =
      m->display_name != NULL ? bimi_cli_escape_terminal(m->display_name, strlen(m->display_name)) : NULL;
    g_autofree char *lp = bimi_cli_escape_terminal(m->local_part, strlen(m->local_part));
    g_autofree char *gr = m->group != NULL ? bimi_cli_escape_terminal(m->group, strlen(m->group)) : NULL;
    printf("  mailbox %u:", i + 1);
    if (gr != NULL)
      printf(" group \"%s\",", gr);
    if (dn != NULL)
      printf(" display name \"%s\",", dn);
    else
      printf(" no display name,");
    printf(" local part \"%s\",", lp);
    if (m->domain != NULL)
      printf(" domain %s (U-label %s)%s\n", m->domain, m->domain_utf8, m->domain_is_literal ? " literal" : "");
    else
      printf(" no domain\n");
  }
}

int
bimi_cli_cmd_headers(int argc, char **argv)
{
  gboolean json = FALSE;
  g_autoptr(GError) error = NULL;

  g_set_prgname("bimi headers"); /* usage line "bimi headers [OPTION…] MSG.eml" */
  const BimiCliSpec spec = {
    .name = "headers", .parameters = "MSG.eml",
    .summary = "Show the header index (byte offsets in the CRLF form) and the parsed From of a\n"
               "message (\"-\" reads stdin).\n"
               "Exit: 0 parsed with a From mailbox, 1 From missing or unparseable, 2 usage or\n"
               "a message that does not parse.",
    .entries = NULL, .n_args = 1, .args_usage = BIMI_CLI_USAGE_ONE_MESSAGE,
    .json = &json, .json_help = "Print one JSON object",
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;

  g_autoptr(GBytes) raw = bimi_cli_read_file(argv[1], BIMI_MAX_MESSAGE_BYTES, &error);
  if (raw == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "headers: %s", error->message);
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  if (msg == NULL) {
    if (json)
      print_json_error(error);
    return bimi_cli_fail(BIMI_EXIT_USAGE, "headers: %s: %s", argv[1], error->message);
  }
  g_autoptr(GError) from_error = NULL;
  guint n_from = 0;
  g_autoptr(GPtrArray) from = bimi_message_get_from_mailboxes(msg, &n_from, &from_error);
  if (json)
    print_json(msg, from, n_from, from_error);
  else
    print_text(msg, from, n_from, from_error);

  if (from_error != NULL)
    return bimi_cli_fail(BIMI_EXIT_FAIL, "headers: %s: %s", argv[1], from_error->message);
  if (n_from == 0)
    return bimi_cli_fail(BIMI_EXIT_FAIL, "headers: %s: no From field", argv[1]);
  if (from->len == 0)
    return bimi_cli_fail(BIMI_EXIT_FAIL, "headers: %s: the From field lists no mailbox", argv[1]);
  return BIMI_EXIT_PASS;
}
