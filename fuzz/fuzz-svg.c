/* fuzz/fuzz-svg.c — libFuzzer target for engine/svg (SVG Tiny PS validation,
 * spec/bimi-receiver.md §6).
 *
 * Validates the input and checks the promises of svg.h: a verdict always
 * comes back (no GError for any input), valid iff no error, at most
 * BIMI_SVG_MAX_ISSUES of each kind, every issue with a known code and valid
 * UTF-8 text, a title only as valid UTF-8 without surrounding white space,
 * and an oversized input answered by the single "too-large" error without
 * parsing. Any breach aborts.
 */
#include "engine/limits.h"
#include "engine/svg.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_codes[] = {
  BIMI_SVG_CODE_TOO_LARGE, BIMI_SVG_CODE_NOT_XML, BIMI_SVG_CODE_TOO_DEEP, BIMI_SVG_CODE_TOO_MANY_NODES,
  BIMI_SVG_CODE_DOCTYPE_ENTITY, BIMI_SVG_CODE_DOCTYPE_SUBSET, BIMI_SVG_CODE_NOT_SVG, BIMI_SVG_CODE_VERSION,
  BIMI_SVG_CODE_BASE_PROFILE, BIMI_SVG_CODE_ROOT_X_Y, BIMI_SVG_CODE_TITLE_MISSING, BIMI_SVG_CODE_TITLE_NOT_FIRST,
  BIMI_SVG_CODE_TITLE_EMPTY, BIMI_SVG_CODE_TITLE_DUPLICATE, BIMI_SVG_CODE_SCRIPT, BIMI_SVG_CODE_ANIMATION,
  BIMI_SVG_CODE_LINK, BIMI_SVG_CODE_IMAGE, BIMI_SVG_CODE_MEDIA, BIMI_SVG_CODE_FOREIGN_OBJECT, BIMI_SVG_CODE_STYLE,
  BIMI_SVG_CODE_EVENT_ATTRIBUTE, BIMI_SVG_CODE_EXTERNAL_REF, BIMI_SVG_CODE_SCHEMA, BIMI_SVG_CODE_DOCTYPE,
  BIMI_SVG_CODE_XLINK_HREF, BIMI_SVG_CODE_VIEWBOX_MISSING, BIMI_SVG_CODE_NOT_SQUARE, BIMI_SVG_CODE_TITLE_LONG,
  BIMI_SVG_CODE_XML_WARNING,
};

static void
check_issues(const GPtrArray *issues)
{
  if (issues == NULL || issues->len > BIMI_SVG_MAX_ISSUES)
    abort();
  for (guint i = 0; i < issues->len; i++) {
    const BimiSvgIssue *issue = issues->pdata[i];
    gboolean known = FALSE;
    for (gsize k = 0; k < G_N_ELEMENTS(known_codes); k++)
      known = known || strcmp(issue->code, known_codes[k]) == 0;
    if (!known || issue->message == NULL || !g_utf8_validate(issue->message, -1, NULL))
      abort();
    if (i > 0 && ((const BimiSvgIssue *) issues->pdata[i - 1])->line > issue->line)
      abort();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSvgResult) r = bimi_svg_validate(bytes, &error);

  if (r == NULL || error != NULL)
    abort();
  if (r->size != size || r->valid != (r->errors->len == 0))
    abort();
  check_issues(r->errors);
  check_issues(r->warnings);
  if (r->title != NULL) {
    gsize n = strlen(r->title);
    if (n == 0 || !g_utf8_validate(r->title, -1, NULL) || g_ascii_isspace(r->title[0]) ||
        g_ascii_isspace(r->title[n - 1]))
      abort();
  }
  if (size > BIMI_SVG_MAX_BYTES &&
      (r->errors->len != 1 || strcmp(((BimiSvgIssue *) r->errors->pdata[0])->code, BIMI_SVG_CODE_TOO_LARGE) != 0 ||
       r->title != NULL))
    abort();
  return 0;
}
