/* fuzz/fuzz-filter-consent.c — libFuzzer target for the consent list parser of
 * evaluate/filter.c (consent= of POST /bimi/v1/evaluate, `bimi evaluate
 * --consent`, [filter] default_consent; issue 17).
 *
 * The input, NUL-terminated at its first NUL, is parsed. A list that parses
 * holds only known filter bits, is at most BIMI_FILTER_MAX_CONSENT_BYTES, and
 * reads back to the same set from bimi_filter_consent_to_string(); a refusal
 * is BIMI_FILTER_ERROR_CONSENT with a message starting "consent: ". Then the
 * set drives bimi_filter_evaluate() over every FCrDNS result and DMARC
 * disposition: applied is never more than recommended, and deliver without
 * consent. Any breach aborts.
 */
#include "engine/limits.h"
#include "evaluate/filter.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char ip_text[] = "192.0.2.1";
static char domain_text[] = "example.test";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *) data, size);
  g_autoptr(GError) error = NULL;
  guint set = 0;

  if (!bimi_filter_consent_parse(text, &set, &error)) {
    if (error == NULL || error->domain != BIMI_FILTER_ERROR || error->code != BIMI_FILTER_ERROR_CONSENT ||
        !g_str_has_prefix(error->message, "consent: ") || set != 0)
      abort();
    return 0;
  }
  if (error != NULL || (set & ~(guint) BIMI_FILTER_ALL) != 0 || strlen(text) > BIMI_FILTER_MAX_CONSENT_BYTES)
    abort();
  {
    g_autofree char *back = bimi_filter_consent_to_string(set);
    guint again = 0;
    if (!bimi_filter_consent_parse(back, &again, NULL) || again != set)
      abort();
  }
  for (BimiDmarcPolicy disp = BIMI_DMARC_POLICY_NONE; disp <= BIMI_DMARC_POLICY_REJECT; disp++) {
    for (BimiRdnsResultCode rc = BIMI_RDNS_RESULT_NONE; rc <= BIMI_RDNS_RESULT_TEMPERROR; rc++) {
      BimiDmarcEvaluation d;
      BimiRdnsResult r;
      memset(&d, 0, sizeof d);
      memset(&r, 0, sizeof r);
      d.result = BIMI_DMARC_RESULT_FAIL;
      d.author_domain = d.policy_domain = domain_text;
      d.requested_policy = d.policy = d.disposition = disp;
      r.result = rc;
      r.ip = ip_text;
      BimiFilterInput in = { &d, &r, BIMI_FILTER_ACTION_REJECT, set, TRUE };
      g_autoptr(BimiFilterOutcome) o = bimi_filter_evaluate(&in);
      if (o->applied > o->recommended || (set == 0 && o->applied != BIMI_FILTER_ACTION_DELIVER) ||
          (o->label_code == NULL) != (o->recommended == BIMI_FILTER_ACTION_DELIVER))
        abort();
    }
  }
  return 0;
}
