/* cli/cmd-svg.c — `bimi svg check LOGO.svg [--json]`: validate an indicator
 * against the SVG Tiny Portable/Secure profile (engine/svg.h,
 * spec/bimi-receiver.md §6).
 *
 * Every violation is listed with its line and stable code, errors first, then
 * warnings, then the <title> (the logo's alt text). Attacker text in messages
 * is escaped for the terminal; --json prints one object:
 *   {"file", "valid", "size", "title", "truncated",
 *    "errors": [{"code", "line", "message"}...], "warnings": [...]}
 *
 * Exit: 0 valid (warnings allowed), 1 invalid, 2 usage, an unreadable file,
 * or a logo that could not be evaluated.
 */
#include "cli/commands.h"
#include "engine/base/base-json.h"
#include "engine/svg.h"
#include "engine/limits.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

/* The file read is bounded well above BIMI_SVG_MAX_BYTES so that an oversized
 * logo is reported as the "too-large" violation, not as an unreadable file. */
#define SVG_CLI_MAX_FILE_BYTES (16u * 1024u * 1024u)

static void
add_issues(BimiJsonWriter *b, const char *member, const GPtrArray *issues)
{
  bimi_json_set_member_name(b, member);
  bimi_json_begin_array(b);
  for (guint i = 0; i < issues->len; i++) {
    const BimiSvgIssue *issue = issues->pdata[i];
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "sus", "code", issue->code, "line", issue->line, "message", issue->message);
    bimi_json_end_object(b);
  }
  bimi_json_end_array(b);
}

static void
print_json(const char *file, const BimiSvgResult *r)
{
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sbIsb", "file", file, "valid", r->valid, "size", (gint64) r->size, "title", r->title,
                        "truncated", r->truncated);
  add_issues(b, "errors", r->errors);
  add_issues(b, "warnings", r->warnings);
  bimi_json_end_object(b);

  bimi_cli_print_writer(b);
}

static void
print_issues(const char *kind, const GPtrArray *issues)
{
  for (guint i = 0; i < issues->len; i++) {
    const BimiSvgIssue *issue = issues->pdata[i];
    g_autofree char *m = bimi_cli_escape_terminal(issue->message, strlen(issue->message));
    if (issue->line > 0)
      printf("  %s line %u [%s] %s\n", kind, issue->line, issue->code, m);
    else
      printf("  %s [%s] %s\n", kind, issue->code, m);
  }
}

static void
print_text(const char *file, const BimiSvgResult *r)
{
  g_autofree char *f = bimi_cli_escape_terminal(file, strlen(file));
  printf("%s: %s, %" G_GSIZE_FORMAT " bytes, %u error%s, %u warning%s%s\n", f,
         r->valid ? "valid SVG Tiny PS" : "INVALID", r->size, r->errors->len, r->errors->len == 1 ? "" : "s",
         r->warnings->len, r->warnings->len == 1 ? "" : "s",
         r->truncated ? " (more were found and dropped)" : "");
  print_issues("error  ", r->errors);
  print_issues("warning", r->warnings);
  if (r->title != NULL) {
    g_autofree char *t = bimi_cli_escape_terminal(r->title, strlen(r->title));
    printf("  title: \"%s\"\n", t);
  } else {
    printf("  title: none\n");
  }
}

int
bimi_cli_cmd_svg(int argc, char **argv)
{
  gboolean json = FALSE;
  g_autoptr(GError) error = NULL;

  const BimiCliSpec spec = {
    .name = "svg", .parameters = "check LOGO.svg",
    .summary = "Validate a BIMI indicator against the SVG Tiny Portable/Secure profile: size,\n"
               "safe XML, the BIMI Group RelaxNG schema and the rules it cannot express.\n"
               "Lists every violation with its line and code (\"-\" reads stdin).\n"
               "Exit: 0 valid, 1 invalid, 2 usage or unreadable file.",
    .entries = NULL, .n_args = -1,
    .json = &json, .json_help = "Print one JSON object",
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (argc < 2 || strcmp(argv[1], "check") != 0)
    return bimi_cli_usage_error("svg", "expected: bimi svg check LOGO.svg [--json]");
  if (argc != 3)
    return bimi_cli_usage_error("svg", "expected exactly one SVG file (or - for stdin)");

  g_autoptr(GBytes) bytes = bimi_cli_read_file(argv[2], SVG_CLI_MAX_FILE_BYTES, &error);
  if (bytes == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "svg: %s", error->message);
  g_autoptr(BimiSvgResult) result = bimi_svg_validate(bytes, &error);
  if (result == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "svg: %s: could not evaluate: %s", argv[2], error->message);
  if (json)
    print_json(argv[2], result);
  else
    print_text(argv[2], result);
  return result->valid ? BIMI_EXIT_PASS : BIMI_EXIT_FAIL;
}
