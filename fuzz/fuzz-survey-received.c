/* fuzz/fuzz-survey-received.c — libFuzzer target for survey/survey-run's Received date: a whole message
 * (engine/message), the Received fields walked for the trusted hop "mx.example.net" and their
 * date-times (RFC 5322 §3.3, GMime's parser), by bimi_survey_received_time().
 * Checks: the date, when one is found, lies in GDateTime's UTC range (years 1..9999: a bin can be labelled);
 * the same message asked twice gives the same answer; without trusted receivers the answer is the
 * topmost dated field's, so it is found whenever it is found with them.
 */
#include "engine/message.h"
#include "fuzz/fuzz.h"
#include "survey/survey-run.h"

#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const trusted[] = { "mx.example.net", NULL };
  static gboolean init = FALSE;
  g_autoptr(GBytes) raw = g_bytes_new(data, size);
  g_autoptr(BimiMessage) msg = NULL;
  gint64 t1 = 0, t2 = 0, t3 = 0;
  gboolean f1, f2, f3;

  if (!init) {
    g_mime_init();
    init = TRUE;
  }
  msg = bimi_message_parse(raw, NULL);
  if (msg == NULL)
    return 0;
  f1 = bimi_survey_received_time(msg, trusted, &t1);
  f2 = bimi_survey_received_time(msg, trusted, &t2);
  f3 = bimi_survey_received_time(msg, NULL, &t3);
  if (f1 != f2 || (f1 && t1 != t2))
    abort();
  if (f1 && !f3)
    abort();
  /* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
  if (f1 && (t1 < G_GINT64_CONSTANT(-62135596800) || t1 > G_GINT64_CONSTANT(253402300799)))
    abort();
  return 0;
}
