/* tests/lib/svg.c — see svg.h. */
#include "tests/lib/svg.h"

void
bimi_test_svg_dump(const BimiSvgResult *r)
{
  for (guint i = 0; i < r->errors->len; i++) {
    const BimiSvgIssue *e = r->errors->pdata[i];
    g_test_message("error %s line %u: %s", e->code, e->line, e->message);
  }
  for (guint i = 0; i < r->warnings->len; i++) {
    const BimiSvgIssue *w = r->warnings->pdata[i];
    g_test_message("warning %s line %u: %s", w->code, w->line, w->message);
  }
}
