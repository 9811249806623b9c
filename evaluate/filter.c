/* evaluate/filter.c — consent-aware filtering in the decision (issue 17;
 * evaluate/filter.h says what is recommended, applied and labelled).
 *
 * The DMARC disposition is RFC 9989 §4.7 / RFC 7489 §6.3 "p"/"sp"/"np" of a
 * failing message, as engine/dmarc left it after t=y (RFC 9989 §4.7), pct
 * sampling (RFC 7489 §6.6.4) and the local-policy overrides the pipeline
 * applied (RFC 8617 §7.2.1 trusted ARC sealer; our own trusted
 * Authentication-Results). The no-PTR filter reads the FCrDNS result (RFC
 * 8601 §2.7.3 iprev): none or fail earn [filter] no_ptr; temperror never
 * filters (a DNS failure is not the sender's fault).
 *
 * Nothing here writes the Authentication-Results: it states facts, and is the
 * same whatever the consent.
 */
#include "evaluate/filter.h"
#include "engine/base/base-json.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <string.h>

G_DEFINE_QUARK(bimi-filter-error-quark, bimi_filter_error)

/* The filters in their fixed order (JSON, consent strings). */
static const struct {
  BimiFilterKind kind;
  const char *name;
} filters[] = {
  { BIMI_FILTER_DMARC, "dmarc" },
  { BIMI_FILTER_NO_PTR, "no-ptr" },
};

const char *
bimi_filter_kind_to_string(BimiFilterKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS(filters); i++)
    if (filters[i].kind == kind)
      return filters[i].name;
  return NULL;
}

const char *
bimi_filter_action_to_string(BimiFilterAction action)
{
  switch (action) {
  case BIMI_FILTER_ACTION_QUARANTINE:
    return "quarantine";
  case BIMI_FILTER_ACTION_REJECT:
    return "reject";
  case BIMI_FILTER_ACTION_DELIVER:
    break;
  }
  return "deliver";
}

/* ---- consent lists ------------------------------------------------------ */

gboolean
bimi_filter_consent_parse(const char *text, guint *out_filters, GError **error)
{
  gsize len;
  guint set = 0;
  gboolean none = FALSE;
  const char *p, *end;

  g_return_val_if_fail(text != NULL && out_filters != NULL, FALSE);
  *out_filters = 0;
  len = strnlen(text, BIMI_FILTER_MAX_CONSENT_BYTES + 1);
  if (len > BIMI_FILTER_MAX_CONSENT_BYTES) {
    g_set_error(error, BIMI_FILTER_ERROR, BIMI_FILTER_ERROR_CONSENT,
                "consent: longer than %u bytes (a comma list of dmarc, no-ptr)", BIMI_FILTER_MAX_CONSENT_BYTES);
    return FALSE;
  }
  end = text + len;
  /* blanks only: the empty set */
  for (p = text; p < end && (*p == ' ' || *p == '\t'); p++)
    ;
  if (p == end)
    return TRUE;
  for (p = text; p <= end;) {
    const char *comma = memchr(p, ',', (gsize) (end - p));
    const char *stop = comma != NULL ? comma : end;
    const char *a = p, *b = stop;
    gboolean known = FALSE;

    while (a < b && (*a == ' ' || *a == '\t'))
      a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
      b--;
    if (a == b) {
      g_set_error(error, BIMI_FILTER_ERROR, BIMI_FILTER_ERROR_CONSENT,
                  "consent: empty item at byte %u (a comma list of dmarc, no-ptr)", (guint) (a - text));
      return FALSE;
    }
    if ((gsize) (b - a) == 4 && g_ascii_strncasecmp(a, "none", 4) == 0) {
      none = TRUE;
      known = TRUE;
    }
    for (gsize i = 0; !known && i < G_N_ELEMENTS(filters); i++) {
      if (strlen(filters[i].name) == (gsize) (b - a) && g_ascii_strncasecmp(a, filters[i].name, (gsize) (b - a)) == 0) {
        set |= filters[i].kind;
        known = TRUE;
      }
    }
    if (!known) {
      g_autofree char *item = g_strndup(a, (gsize) (b - a));
      g_autofree char *shown = g_strescape(item, NULL);
      g_set_error(error, BIMI_FILTER_ERROR, BIMI_FILTER_ERROR_CONSENT,
                  "consent: '%s' is not a filter (dmarc, no-ptr, or none)", shown);
      return FALSE;
    }
    if (comma == NULL)
      break;
    p = comma + 1;
  }
  if (none && set != 0) {
    g_set_error_literal(error, BIMI_FILTER_ERROR, BIMI_FILTER_ERROR_CONSENT,
                        "consent: 'none' cannot be given with a filter");
    return FALSE;
  }
  *out_filters = set;
  return TRUE;
}

char *
bimi_filter_consent_to_string(guint set)
{
  g_autoptr(GString) out = g_string_new(NULL);

  for (gsize i = 0; i < G_N_ELEMENTS(filters); i++)
    if (set & filters[i].kind)
      g_string_append_printf(out, "%s%s", out->len > 0 ? ", " : "", filters[i].name);
  if (out->len == 0)
    g_string_append(out, "none");
  return g_string_free(g_steal_pointer(&out), FALSE);
}

/* ---- the outcome -------------------------------------------------------- */

static void
reason_free(gpointer p)
{
  BimiFilterReason *r = p;
  BIMI_FREE_ALL(r->detail, r);
}

BIMI_DEFINE_FREE_FUNC(BimiFilterOutcome, bimi_filter_outcome_free, o)
{
  g_clear_pointer(&o->reasons, g_ptr_array_unref);
}

gboolean
bimi_filter_reason_applied(const BimiFilterOutcome *o, const BimiFilterReason *r)
{
  return (o->consent & r->filter) != 0;
}

static void
add_reason(BimiFilterOutcome *o, BimiFilterKind filter, BimiFilterAction action, char *detail)
{
  BimiFilterReason *r = g_new0(BimiFilterReason, 1);

  r->filter = filter;
  r->action = action;
  r->detail = detail;
  g_ptr_array_add(o->reasons, r);
  o->recommended = MAX(o->recommended, action);
  if (bimi_filter_reason_applied(o, r))
    o->applied = MAX(o->applied, action);
}

/* The dmarc filter: a failing message's disposition after the overrides. */
static void
dmarc_reason(BimiFilterOutcome *o, const BimiDmarcEvaluation *d)
{
  BimiFilterAction action;
  g_autoptr(GString) detail = NULL;

  if (d == NULL || d->result != BIMI_DMARC_RESULT_FAIL || d->disposition == BIMI_DMARC_POLICY_NONE)
    return;
  action = d->disposition == BIMI_DMARC_POLICY_REJECT ? BIMI_FILTER_ACTION_REJECT : BIMI_FILTER_ACTION_QUARANTINE;
  detail = g_string_new(NULL);
  g_string_append_printf(detail, "DMARC fail for %s (%s): %s=%s at _dmarc.%s",
                         d->author_domain != NULL ? d->author_domain : "?", d->reason != NULL ? d->reason : "",
                         bimi_dmarc_policy_source_to_string(d->policy_source),
                         bimi_dmarc_policy_to_string(d->requested_policy),
                         d->policy_domain != NULL ? d->policy_domain : "?");
  if (d->requested_policy != d->policy)
    g_string_append_printf(detail, ", t=y test mode: %s", bimi_dmarc_policy_to_string(d->policy));
  if (d->policy != d->disposition)
    g_string_append_printf(detail, ", outside pct: %s", bimi_dmarc_policy_to_string(d->disposition));
  add_reason(o, BIMI_FILTER_DMARC, action, g_string_free(g_steal_pointer(&detail), FALSE));
}

/* The no-ptr filter: no forward-confirmed reverse name. */
static void
no_ptr_reason(BimiFilterOutcome *o, const BimiRdnsResult *rdns, BimiFilterAction action)
{
  char *detail;

  if (rdns == NULL || action == BIMI_FILTER_ACTION_DELIVER)
    return;
  if (rdns->result == BIMI_RDNS_RESULT_NONE)
    detail = g_strdup_printf("the client %s has no PTR record (FCrDNS none)", rdns->ip != NULL ? rdns->ip : "?");
  else if (rdns->result == BIMI_RDNS_RESULT_FAIL)
    detail = g_strdup_printf("no PTR name of the client %s resolves back to it (FCrDNS fail)",
                             rdns->ip != NULL ? rdns->ip : "?");
  else
    return;
  add_reason(o, BIMI_FILTER_NO_PTR, action, detail);
}

BimiFilterOutcome *
bimi_filter_evaluate(const BimiFilterInput *in)
{
  BimiFilterOutcome *o;

  g_return_val_if_fail(in != NULL, NULL);
  o = g_new0(BimiFilterOutcome, 1);
  o->reasons = g_ptr_array_new_with_free_func(reason_free);
  o->consent = in->consent & BIMI_FILTER_ALL;
  o->consent_from_request = in->consent_from_request;
  o->recommended = o->applied = BIMI_FILTER_ACTION_DELIVER;
  dmarc_reason(o, in->dmarc);
  no_ptr_reason(o, in->rdns, in->no_ptr_action);

  /* The label: a warning, shown with or without consent (labelling is not filtering). */
  for (guint i = 0; i < o->reasons->len && o->label_code == NULL; i++) {
    const BimiFilterReason *r = g_ptr_array_index(o->reasons, i);
    if (r->filter == BIMI_FILTER_DMARC && r->action == BIMI_FILTER_ACTION_REJECT) {
      o->label_code = "dmarc-fail-reject";
      o->label_text = "Failed sender authentication for a domain that asks to reject its unauthenticated mail";
    } else if (r->filter == BIMI_FILTER_DMARC) {
      o->label_code = "dmarc-fail-quarantine";
      o->label_text = "Failed sender authentication for a domain that asks to quarantine its unauthenticated mail";
    } else {
      o->label_code = "no-ptr";
      o->label_text = "Sent from a server without a verified host name (no forward-confirmed reverse DNS)";
    }
  }
  return o;
}

/* ---- JSON --------------------------------------------------------------- */

static void
build_reasons(BimiJsonWriter *b, const BimiFilterOutcome *o, gboolean applied_only)
{
  bimi_json_set_member_name(b, "reasons");
  bimi_json_begin_array(b);
  for (guint i = 0; i < o->reasons->len; i++) {
    const BimiFilterReason *r = g_ptr_array_index(o->reasons, i);
    if (applied_only && !bimi_filter_reason_applied(o, r))
      continue;
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "sss", "filter", bimi_filter_kind_to_string(r->filter), "action",
                          bimi_filter_action_to_string(r->action), "detail", r->detail);
    bimi_json_end_object(b);
  }
  bimi_json_end_array(b);
}

void
bimi_filter_outcome_build_json(const BimiFilterOutcome *o, BimiJsonWriter *b)
{
  g_return_if_fail(b != NULL);
  if (o == NULL) {
    bimi_json_add_null_value(b);
    return;
  }
  bimi_json_begin_object(b);
  bimi_json_set_member_name(b, "recommended");
  bimi_json_begin_object(b);
  bimi_json_add_string_or_null(b, "action", bimi_filter_action_to_string(o->recommended));
  build_reasons(b, o, FALSE);
  bimi_json_end_object(b);
  bimi_json_set_member_name(b, "applied");
  bimi_json_begin_object(b);
  bimi_json_add_string_or_null(b, "action", bimi_filter_action_to_string(o->applied));
  build_reasons(b, o, TRUE);
  bimi_json_end_object(b);
  bimi_json_set_member_name(b, "consent");
  bimi_json_begin_array(b);
  for (gsize i = 0; i < G_N_ELEMENTS(filters); i++)
    if (o->consent & filters[i].kind)
      bimi_json_add_string_value(b, filters[i].name);
  bimi_json_end_array(b);
  bimi_json_add_string_or_null(b, "consent_source", o->consent_from_request ? "request" : "default");
  bimi_json_set_member_name(b, "label");
  if (o->label_code == NULL) {
    bimi_json_add_null_value(b);
  } else {
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "ss", "code", o->label_code, "text", o->label_text);
    bimi_json_end_object(b);
  }
  bimi_json_end_object(b);
}
