/* engine/bimi.c — BIMI preconditions, selector choice, Assertion Record
 * discovery, and the receiver's output (A-R entry, BIMI-Location,
 * BIMI-Indicator, JSON).
 *
 * Implements draft-brand-indicators-for-message-identification-12 §7.1
 * (preconditions), §7.2 (discovery), §5.1/§5.5 (BIMI-Selector), §7.7 and §6
 * (headers, A-R), as read in spec/bimi-receiver.md §1, §3, §4 and §9.
 *
 * Decisions and deviations (each from the spec's "Decision" notes or issue 6):
 * - Fallback to the Organizational Domain uses the SAME selector (spec §3
 *   Decision, draft §7.2), never `default._bimi.<org>`.
 * - Two or more v=BIMI1 records at a name → fail "multiple-records" (spec §3
 *   step 5 "stop"; Mail::BIMI reports it as fail).
 * - A BIMI-Selector header is used only when it parses, is the only one, and
 *   the passing, DMARC-aligned DKIM signature's h= covers it (spec §3, §12
 *   item 12); else "default", with the reason in selector_note. Two headers
 *   give "default" (issue 6), not fail as mailauth does.
 * - DMARC gate (spec §4): author AND org record must enforce; absent/invalid
 *   p = none; any sp=none; t=y (RFC 9989) skips; pct is read as RFC 7489 reads
 *   it even when DMARC runs in RFC 9989 mode (which ignores pct) and must be
 *   100 where present (issue 6), unless BimiBimiOptions.allow_reject_partial_pct
 *   lets p=reject through with any pct (draft overview). The Organizational
 *   Domain must publish a record. A DMARC temperror on the message skips
 *   (reason "dmarc-temperror"); a DNS temperror on one of those records gives
 *   bimi=temperror. The gate reads the records the DMARC evaluation already
 *   fetched and parsed (BimiDmarcEvaluation.policy_records): no query of its own.
 * - lps= (spec §2.2): a DNS temperror on the local-part name gives temperror
 *   (the outcome is unknown), any other outcome keeps the original record.
 * - Inbound BIMI-Location / BIMI-Indicator / BIMI-Logo-Preference are never
 *   read (spec §9.2); evaluate/ strips them from what it shows.
 */
#include "engine/bimi.h"
#include "engine/base/base-json.h"
#include "engine/base/base-mem.h"
#include "engine/bimi-private.h"
#include "engine/base/base-text.h"
#include "engine/limits.h"
#include "engine/taglist.h"

#include <string.h>

/* ---- result ------------------------------------------------------------- */

const char *
bimi_bimi_result_code_to_string(BimiBimiResultCode code)
{
  switch (code) {
  case BIMI_BIMI_RESULT_NONE:
    return "none";
  case BIMI_BIMI_RESULT_PASS:
    return "pass";
  case BIMI_BIMI_RESULT_FAIL:
    return "fail";
  case BIMI_BIMI_RESULT_TEMPERROR:
    return "temperror";
  case BIMI_BIMI_RESULT_DECLINED:
    return "declined";
  case BIMI_BIMI_RESULT_SKIPPED:
    return "skipped";
  }
  return "none";
}

static void
policy_clear(BimiBimiDmarcPolicy *p)
{
  g_free(p->domain);
  p->domain = NULL;
}

BIMI_DEFINE_FREE_FUNC(BimiBimiGate, bimi_bimi_gate_free, gate)
{
  BIMI_FREE_ALL(gate->reason_code, gate->reason);
  policy_clear(&gate->author);
  policy_clear(&gate->org);
}

BimiBimiResult *
bimi_bimi_result_new(void)
{
  BimiBimiResult *r = g_new0(BimiBimiResult, 1);
  r->code = BIMI_BIMI_RESULT_NONE;
  r->reason_id = BIMI_BIMI_REASON_NO_RECORD;
  r->reason_code = g_strdup("no-record");
  r->reason = g_strdup("no BIMI record");
  r->selector = g_strdup("default");
  r->queries = g_ptr_array_new_with_free_func(g_free);
  r->ttl = G_MAXUINT32;
  return r;
}

BimiBimiResult *
bimi_bimi_result_new_for_domain(const char *domain, const char *selector, const BimiDmarcEvaluation *dmarc)
{
  g_return_val_if_fail(domain != NULL && selector != NULL && dmarc != NULL, NULL);
  BimiBimiResult *r = bimi_bimi_result_new();
  const char *org = dmarc->org_domain != NULL ? dmarc->org_domain : dmarc->org_domain_psl;

  r->author_domain = g_strdup(domain);
  r->org_domain = g_strdup(org != NULL ? org : domain);
  g_free(r->selector); /* bimi_bimi_result_new()'s "default" */
  r->selector = g_strdup(selector);
  r->selector_source = strcmp(selector, "default") == 0 ? BIMI_BIMI_SELECTOR_DEFAULT : BIMI_BIMI_SELECTOR_ARGUMENT;
  return r;
}

BIMI_DEFINE_FREE_FUNC(BimiBimiResult, bimi_bimi_result_free, r)
{
  BIMI_FREE_ALL(r->reason_code, r->reason, r->author_domain, r->org_domain, r->local_part, r->selector,
                r->selector_note);
  bimi_bimi_gate_free(r->gate);
  bimi_bimi_record_free(r->record);
  BIMI_FREE_ALL(r->record_text, r->record_domain, r->record_selector, r->record_name, r->canonical_name);
  if (r->queries != NULL)
    g_ptr_array_unref(r->queries);
}

/* Each reason: its stable code, and whether it is about the RFC5322.From
 * (spec §4 step 1: none, several, or one without a usable domain). */
static const struct {
  const char *name;
  gboolean from;
} reasons[] = {
  [BIMI_BIMI_REASON_NO_RECORD] = { "no-record", FALSE },
  [BIMI_BIMI_REASON_RECORD_FOUND] = { "record-found", FALSE },
  [BIMI_BIMI_REASON_DECLINED] = { "declined", FALSE },
  [BIMI_BIMI_REASON_NO_FROM] = { "no-from", TRUE },
  [BIMI_BIMI_REASON_MULTIPLE_FROM_FIELDS] = { "multiple-from-fields", TRUE },
  [BIMI_BIMI_REASON_MULTIPLE_FROM_MAILBOXES] = { "multiple-from-mailboxes", TRUE },
  [BIMI_BIMI_REASON_FROM_INVALID] = { "from-invalid", TRUE },
  [BIMI_BIMI_REASON_FROM_NO_DOMAIN] = { "from-no-domain", TRUE },
  [BIMI_BIMI_REASON_DMARC_NOT_PASS] = { "dmarc-not-pass", FALSE },
  [BIMI_BIMI_REASON_DMARC_TEMPERROR] = { "dmarc-temperror", FALSE },
  [BIMI_BIMI_REASON_GATE] = { "gate", FALSE },
  [BIMI_BIMI_REASON_DNS_TEMPERROR] = { "dns-temperror", FALSE },
  [BIMI_BIMI_REASON_MULTIPLE_RECORDS] = { "multiple-records", FALSE },
  [BIMI_BIMI_REASON_INVALID_RECORD] = { "invalid-record", FALSE },
  [BIMI_BIMI_REASON_INDICATOR] = { "indicator", FALSE },
  [BIMI_BIMI_REASON_EVIDENCE] = { "evidence", FALSE },
  [BIMI_BIMI_REASON_FETCH_TEMPERROR] = { "fetch-temperror", FALSE },
};
G_STATIC_ASSERT(G_N_ELEMENTS(reasons) == BIMI_BIMI_REASON_FETCH_TEMPERROR + 1);

const char *
bimi_bimi_reason_to_string(BimiBimiReason reason)
{
  return (guint) reason < G_N_ELEMENTS(reasons) ? reasons[reason].name : "unknown";
}

gboolean
bimi_bimi_reason_is_from(BimiBimiReason reason)
{
  return (guint) reason < G_N_ELEMENTS(reasons) && reasons[reason].from;
}

static void
set_code_text(BimiBimiResult *r, BimiBimiResultCode code, BimiBimiReason reason_id, const char *reason_code,
              const char *reason)
{
  r->code = code;
  r->reason_id = reason_id;
  g_free(r->reason_code);
  r->reason_code = g_strdup(reason_code);
  g_free(r->reason);
  r->reason = g_strdup(reason);
}

static void
set_code(BimiBimiResult *r, BimiBimiResultCode code, BimiBimiReason reason_id, const char *reason)
{
  set_code_text(r, code, reason_id, bimi_bimi_reason_to_string(reason_id), reason);
}

void
bimi_bimi_result_set(BimiBimiResult *result, BimiBimiResultCode code, BimiBimiReason reason_id, const char *reason)
{
  g_return_if_fail(result != NULL && reason != NULL && reason_id != BIMI_BIMI_REASON_GATE);
  set_code(result, code, reason_id, reason);
}

gboolean
bimi_bimi_result_apply_gate(BimiBimiResult *result)
{
  const BimiBimiGate *gate;

  g_return_val_if_fail(result != NULL && result->gate != NULL, FALSE);
  gate = result->gate;
  if (!gate->temperror && gate->ok)
    return FALSE;
  set_code_text(result, gate->temperror ? BIMI_BIMI_RESULT_TEMPERROR : BIMI_BIMI_RESULT_SKIPPED,
                BIMI_BIMI_REASON_GATE, gate->reason_code, gate->reason);
  return TRUE;
}

/* ---- DNS ---------------------------------------------------------------- */

typedef struct {
  BimiDnsStatus status;
  GPtrArray *texts;     /* of GBytes*: TXT texts starting with the wanted version */
  char *canonical;
  char *detail;
  char *near_miss;      /* the first TXT text that fails the filter but starts "v=bimi1" in another case, escaped */
} Query;

static void
query_clear(Query *q)
{
  if (q->texts != NULL)
    g_ptr_array_unref(q->texts);
  BIMI_FREE_ALL(q->canonical, q->detail, q->near_miss);
  memset(q, 0, sizeof *q);
}

typedef gboolean (*TextFilter)(const char *text, gsize len);

/* One TXT question. A name the resolver refuses (too long, bad label) cannot
 * hold a record: NXDOMAIN. Logs "NAME STATUS" into @queries. */
static gboolean
txt_query(BimiDnsResolver *resolver, const char *name, TextFilter filter, Query *q, GPtrArray *queries,
          guint32 *ttl, GError **error)
{
  g_autoptr(GError) local = NULL;
  gboolean invalid_name = FALSE;
  g_autoptr(BimiDnsAnswer) answer = bimi_dns_lookup_record(resolver, name, BIMI_DNS_TYPE_TXT, &invalid_name, &local);

  memset(q, 0, sizeof *q);
  q->texts = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  if (invalid_name) {
    q->status = BIMI_DNS_NXDOMAIN;
    if (queries != NULL)
      g_ptr_array_add(queries, g_strdup_printf("%s NXDOMAIN (not a valid name)", name));
    return TRUE;
  }
  if (answer == NULL) {
    g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_DNS, "%s: %s", name, local->message);
    return FALSE;
  }
  q->status = answer->status;
  q->canonical = g_strdup(answer->canonical_name);
  q->detail = g_strdup(answer->detail);
  if (ttl != NULL && answer->ttl < *ttl)
    *ttl = answer->ttl;
  if (answer->status == BIMI_DNS_NOERROR && answer->records != NULL) {
    for (guint i = 0; i < answer->records->len && i < BIMI_BIMI_MAX_TXT_RECORDS; i++) {
      const BimiDnsRecord *rr = g_ptr_array_index(answer->records, i);
      gsize len = 0;
      const char *text;
      if (rr->type != BIMI_DNS_TYPE_TXT || rr->text == NULL)
        continue;
      text = g_bytes_get_data(rr->text, &len);
      if (text != NULL && filter(text, len))
        g_ptr_array_add(q->texts, g_bytes_ref(rr->text));
      else if (text != NULL && q->near_miss == NULL && len >= 7 && g_ascii_strncasecmp(text, "v=bimi1", 7) == 0)
        /* A record meant as BIMI whose version tag is in the wrong case: it does not count (the
         * tag is case-sensitive, draft §4.2), and the operator should be told why. */
        q->near_miss = bimi_text_escape_ascii(text, len, 80, BIMI_TEXT_ESCAPE_QUOTE);
    }
  }
  if (queries != NULL) {
    if (answer->status == BIMI_DNS_TEMPERROR)
      g_ptr_array_add(queries, g_strdup_printf("%s TEMPERROR (%s)", name,
                                               answer->detail ? answer->detail : "no detail"));
    else
      g_ptr_array_add(queries, g_strdup_printf("%s %s%s%s (%u matching%s%s%s)", name,
                                               bimi_dns_status_to_string(answer->status),
                                               answer->canonical_name ? " via CNAME " : "",
                                               answer->canonical_name ? answer->canonical_name : "",
                                               q->texts->len, q->near_miss ? "; TXT \"" : "",
                                               q->near_miss ? q->near_miss : "",
                                               q->near_miss ? "\" does not count: the version must be "
                                                              "exactly v=BIMI1, upper case" : ""));
  }
  return TRUE;
}

/* ---- DMARC gate (spec §4) ----------------------------------------------- */

/* The record at "_dmarc.<domain>" as the DMARC evaluation read it (one query, one parse, RFC 9989 tags plus
 * pct read as RFC 7489 reads it). An answer DMARC never got (it stopped on a DNS temperror) is a temperror. */
static void
read_dmarc_policy(const BimiDmarcEvaluation *dmarc, const char *domain, BimiBimiDmarcPolicy *out,
                  gboolean *temperror, guint32 *ttl)
{
  const BimiDmarcPolicyRecord *pr = bimi_dmarc_evaluation_find_policy_record(dmarc, domain);
  const BimiDmarcRecord *rec;

  out->domain = g_strdup(domain);
  out->pct = 100;
  if (pr == NULL || pr->status == BIMI_DNS_TEMPERROR) {
    *temperror = TRUE;
    return;
  }
  if (ttl != NULL && pr->ttl < *ttl)
    *ttl = pr->ttl;
  /* RFC 7489 §6.6.3 / RFC 9989: more than one record = no record. */
  rec = pr->record;
  if (rec == NULL)
    return;
  *out = (BimiBimiDmarcPolicy) {
    .domain = out->domain,
    .found = TRUE,
    .has_p = rec->has_p,
    .p = rec->p,
    .has_sp = rec->has_sp,
    .sp = rec->sp,
    .has_np = rec->has_np,
    .np = rec->np,
    .has_pct = rec->has_pct,
    .pct = rec->pct_rfc7489, /* an invalid pct value: RFC 7489 §6.3 default 100 (record parser decides) */
    .testing = rec->testing,
  };
}

static gboolean
gate_check(BimiBimiGate *gate, const BimiBimiDmarcPolicy *p, const char *who, const BimiBimiOptions *options)
{
  const char *code = NULL;
  g_autofree char *why = NULL;

  if (!p->found)
    return TRUE;
  if (!p->has_p || p->p == BIMI_DMARC_POLICY_NONE) {
    code = "p-none";
    why = g_strdup_printf("DMARC record of %s has %s", p->domain, p->has_p ? "p=none" : "no valid p= (= none)");
  } else if (p->has_sp && p->sp == BIMI_DMARC_POLICY_NONE) {
    code = "sp-none";
    why = g_strdup_printf("DMARC record of %s has sp=none", p->domain);
  } else if (p->testing) {
    code = "testing";
    why = g_strdup_printf("DMARC record of %s has t=y (testing)", p->domain);
  } else if (p->pct < 100 && (p->p == BIMI_DMARC_POLICY_QUARANTINE || options == NULL ||
                              !options->allow_reject_partial_pct)) {
    code = "pct";
    why = g_strdup_printf("DMARC record of %s has pct=%u", p->domain, p->pct);
  }
  if (code == NULL)
    return TRUE;
  gate->reason_code = g_strdup_printf("%s-%s", who, code);
  gate->reason = g_strdup_printf("too lax DMARC policy: %s", why);
  return FALSE;
}

static void
copy_policy(BimiBimiDmarcPolicy *dst, const BimiBimiDmarcPolicy *src)
{
  *dst = *src;
  dst->domain = g_strdup(src->domain);
}

static BimiBimiGate *
dmarc_gate(const BimiBimiOptions *options, const BimiDmarcEvaluation *dmarc, const char *author, const char *org,
           guint32 *ttl)
{
  g_autoptr(BimiBimiGate) gate = g_new0(BimiBimiGate, 1);
  gboolean temperror = FALSE;

  read_dmarc_policy(dmarc, author, &gate->author, &temperror, ttl);
  if (org != NULL && g_ascii_strcasecmp(org, author) != 0)
    read_dmarc_policy(dmarc, org, &gate->org, &temperror, ttl);
  else
    copy_policy(&gate->org, &gate->author);
  if (dmarc != NULL && dmarc->has_policy) {
    gate->has_effective = TRUE;
    gate->effective = dmarc->policy;
  }
  if (temperror) {
    gate->temperror = TRUE;
    gate->reason_code = g_strdup("dmarc-record-temperror");
    gate->reason = g_strdup("DNS temperror on a DMARC record");
    return g_steal_pointer(&gate);
  }
  if (!gate_check(gate, &gate->author, "author", options) || !gate_check(gate, &gate->org, "org", options))
    return g_steal_pointer(&gate);
  if (!gate->org.found) {
    gate->reason_code = g_strdup("org-no-record");
    gate->reason = g_strdup_printf("DMARC not enabled: no DMARC record at the Organizational Domain %s",
                                   gate->org.domain);
    return g_steal_pointer(&gate);
  }
  if (gate->has_effective && gate->effective == BIMI_DMARC_POLICY_NONE) {
    gate->reason_code = g_strdup("effective-policy-none");
    gate->reason = g_strdup("too lax DMARC policy: the policy applied to the Author Domain is none");
    return g_steal_pointer(&gate);
  }
  gate->ok = TRUE;
  return g_steal_pointer(&gate);
}

static const char *
org_of(const BimiDmarcEvaluation *dmarc, const char *author)
{
  if (dmarc->org_domain != NULL)
    return dmarc->org_domain;
  if (dmarc->org_domain_psl != NULL)
    return dmarc->org_domain_psl;
  return author;
}

BimiBimiGate *
bimi_bimi_dmarc_gate(const BimiBimiOptions *options, const BimiDmarcEvaluation *dmarc)
{
  g_return_val_if_fail(dmarc != NULL && dmarc->author_domain != NULL, NULL);
  return dmarc_gate(options, dmarc, dmarc->author_domain, org_of(dmarc, dmarc->author_domain), NULL);
}

/* ---- discovery (spec §3, §2.2) ------------------------------------------ */

/* Exactly one v=BIMI1 record in @q that parses → (transfer full) it. */
static BimiBimiRecord *
single_record(const Query *q, char **out_text)
{
  gsize len = 0;
  const char *t;

  if (q->status != BIMI_DNS_NOERROR || q->texts->len != 1)
    return NULL;
  t = g_bytes_get_data(g_ptr_array_index(q->texts, 0), &len);
  *out_text = g_strndup(t, len);
  return bimi_bimi_record_parse(t, len, NULL);
}

gboolean
bimi_bimi_discover(BimiDnsResolver *resolver, const char *selector, const char *author_domain,
                   const char *org_domain, const char *local_part, BimiBimiResult *r, GError **error)
{
  const char *levels[2] = { author_domain, NULL };
  g_autofree char *near_miss = NULL;

  g_return_val_if_fail(resolver != NULL && selector != NULL && author_domain != NULL && r != NULL, FALSE);
  if (org_domain != NULL && g_ascii_strcasecmp(org_domain, author_domain) != 0)
    levels[1] = org_domain;

  for (guint level = 0; level < 2 && levels[level] != NULL; level++) {
    g_autofree char *name = g_strdup_printf("%s._bimi.%s", selector, levels[level]);
    g_autofree char *text = NULL;
    g_autofree char *used_selector = g_strdup(selector);
    g_autofree char *used_name = NULL;
    g_autofree char *canonical = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(BimiBimiRecord) rec = NULL;
    Query q;
    gsize len = 0;
    const char *t;

    if (!txt_query(resolver, name, bimi_bimi__has_version_prefix, &q, r->queries, &r->ttl, error))
      return FALSE;
    if (q.status == BIMI_DNS_TEMPERROR) {
      g_autofree char *why = g_strdup_printf("DNS temperror at %s: %s", name, q.detail ? q.detail : "no detail");
      set_code(r, BIMI_BIMI_RESULT_TEMPERROR, BIMI_BIMI_REASON_DNS_TEMPERROR, why);
      query_clear(&q);
      return TRUE;
    }
    if (q.texts->len == 0) { /* NXDOMAIN, NODATA, or no v=BIMI1 text: next level */
      if (q.near_miss != NULL && near_miss == NULL)
        near_miss = g_strdup_printf("; the TXT record \"%s\" at %s does not count: the version tag must be exactly "
                                    "\"v=BIMI1\" (case-sensitive, draft §4.2)", q.near_miss, name);
      query_clear(&q);
      continue;
    }
    g_free(r->record_domain);
    r->record_domain = g_strdup(levels[level]);
    g_free(r->record_name);
    r->record_name = g_strdup(name);
    r->org_fallback = level == 1;
    if (q.texts->len > 1) {
      g_autofree char *why = g_strdup_printf("%u BIMI records at %s", q.texts->len, name);
      set_code(r, BIMI_BIMI_RESULT_FAIL, BIMI_BIMI_REASON_MULTIPLE_RECORDS, why);
      query_clear(&q);
      return TRUE;
    }
    t = g_bytes_get_data(g_ptr_array_index(q.texts, 0), &len);
    text = g_strndup(t, len);
    canonical = g_steal_pointer(&q.canonical);
    used_name = g_strdup(name);
    query_clear(&q);
    rec = bimi_bimi_record_parse(text, len, &local);
    if (rec == NULL) {
      g_autofree char *why = g_strdup_printf("invalid BIMI record at %s: %s", name, local->message);
      g_free(r->record_text);
      r->record_text = g_steal_pointer(&text);
      set_code(r, BIMI_BIMI_RESULT_FAIL, BIMI_BIMI_REASON_INVALID_RECORD, why);
      return TRUE;
    }
    /* Spec §2.2: local-part selectors, at the level the record was found. */
    if (rec->has_lps && local_part != NULL) {
      g_autofree char *lsel = bimi_bimi_local_part_selector(local_part, (const char *const *) rec->lps);
      if (lsel != NULL && g_ascii_strcasecmp(lsel, selector) != 0) {
        g_autofree char *lname = g_strdup_printf("%s._bimi.%s", lsel, levels[level]);
        g_autofree char *ltext = NULL;
        g_autoptr(BimiBimiRecord) lrec = NULL;
        Query lq;
        if (!txt_query(resolver, lname, bimi_bimi__has_version_prefix, &lq, r->queries, &r->ttl, error))
          return FALSE;
        if (lq.status == BIMI_DNS_TEMPERROR) {
          g_autofree char *why = g_strdup_printf("DNS temperror at %s: %s", lname,
                                                 lq.detail ? lq.detail : "no detail");
          set_code(r, BIMI_BIMI_RESULT_TEMPERROR, BIMI_BIMI_REASON_DNS_TEMPERROR, why);
          query_clear(&lq);
          return TRUE;
        }
        lrec = single_record(&lq, &ltext);
        if (lrec != NULL) {
          bimi_bimi_record_free(rec);
          rec = g_steal_pointer(&lrec);
          g_free(text);
          text = g_steal_pointer(&ltext);
          g_free(canonical);
          canonical = g_steal_pointer(&lq.canonical);
          g_free(used_selector);
          used_selector = g_steal_pointer(&lsel);
          g_free(used_name);
          used_name = g_steal_pointer(&lname);
          r->lps_used = TRUE;
        }
        query_clear(&lq);
      }
    }
    g_free(r->record_text);
    r->record_text = g_steal_pointer(&text);
    g_free(r->record_selector);
    r->record_selector = g_steal_pointer(&used_selector);
    g_free(r->record_name);
    r->record_name = g_steal_pointer(&used_name);
    g_free(r->canonical_name);
    r->canonical_name = g_steal_pointer(&canonical);
    bimi_bimi_record_free(r->record);
    r->record = g_steal_pointer(&rec);
    if (r->record->declined) {
      g_autofree char *why = g_strdup_printf("declination record at %s", r->record_name);
      set_code(r, BIMI_BIMI_RESULT_DECLINED, BIMI_BIMI_REASON_DECLINED, why);
    } else {
      g_autofree char *why = g_strdup_printf("BIMI record at %s", r->record_name);
      set_code(r, BIMI_BIMI_RESULT_PASS, BIMI_BIMI_REASON_RECORD_FOUND, why);
    }
    return TRUE;
  }
  {
    g_autofree char *why = g_strdup_printf("no BIMI record at %s._bimi.%s%s%s%s", selector, author_domain,
                                           levels[1] ? " nor " : "", levels[1] ? selector : "",
                                           levels[1] ? "._bimi." : "");
    g_autofree char *full = g_strconcat(why, levels[1] ? levels[1] : "", near_miss ? near_miss : "", NULL);
    set_code(r, BIMI_BIMI_RESULT_NONE, BIMI_BIMI_REASON_NO_RECORD, full);
  }
  return TRUE;
}

/* ---- selector (spec §3) ------------------------------------------------- */

static void
choose_selector(const BimiBimiInput *input, BimiBimiResult *r)
{
  g_autoptr(GArray) idx = bimi_message_find_fields(input->message, "BIMI-Selector");
  g_autofree char *value = NULL;
  g_autofree char *sel = NULL;
  g_autoptr(GError) local = NULL;
  const BimiDkimSignature *covering = NULL;
  const BimiDkimSignature *aligned = NULL;
  gsize len = 0;

  r->selector_source = BIMI_BIMI_SELECTOR_DEFAULT;
  if (idx == NULL || idx->len == 0) {
    r->selector_note = g_strdup("no BIMI-Selector header");
    return;
  }
  if (idx->len > 1) {
    r->selector_note = g_strdup_printf("%u BIMI-Selector headers: all ignored", idx->len);
    return;
  }
  value = bimi_header_field_dup_unfolded_value(bimi_message_get_field(input->message, g_array_index(idx, guint, 0)),
                                               &len);
  if (value == NULL || !bimi_bimi_selector_parse(value, len, &sel, &local)) {
    r->selector_note = g_strdup_printf("BIMI-Selector ignored: %s", local ? local->message : "unreadable");
    return;
  }
  for (guint i = 0; input->dkim != NULL && i < input->dkim->len; i++) {
    const BimiDkimSignature *s = g_ptr_array_index(input->dkim, i);
    if (s->result != BIMI_DKIM_RESULT_PASS || s->aligned_with_from != BIMI_DKIM_ALIGNMENT_ALIGNED)
      continue;
    if (aligned == NULL)
      aligned = s;
    if (bimi_dkim_signature_covers_header(s, "BIMI-Selector")) {
      covering = s;
      break;
    }
  }
  if (covering == NULL) {
    if (aligned == NULL)
      r->selector_note = g_strdup("BIMI-Selector ignored: no passing DMARC-aligned DKIM signature");
    else
      r->selector_note = g_strdup_printf("BIMI-Selector ignored: not in h= of the aligned signature d=%s",
                                         aligned->domain ? aligned->domain : "?");
    return;
  }
  g_free(r->selector);
  r->selector = g_steal_pointer(&sel);
  r->selector_source = BIMI_BIMI_SELECTOR_HEADER;
  r->selector_note = g_strdup_printf("BIMI-Selector covered by the aligned signature d=%s",
                                     covering->domain ? covering->domain : "?");
}

/* ---- evaluate (spec §1) ------------------------------------------------- */

BimiBimiResult *
bimi_bimi_evaluate(BimiDnsResolver *resolver, const BimiBimiOptions *options, const BimiBimiInput *input,
                   GError **error)
{
  g_autoptr(BimiBimiResult) r = bimi_bimi_result_new();
  g_autoptr(GPtrArray) mailboxes = NULL;
  g_autoptr(GError) local = NULL;
  const BimiDmarcEvaluation *dmarc;
  const BimiMailbox *mb;
  guint n_from = 0;

  g_return_val_if_fail(resolver != NULL && input != NULL && input->message != NULL && input->dmarc != NULL, NULL);
  dmarc = input->dmarc;

  /* §4 step 1: exactly one From field with exactly one mailbox. */
  mailboxes = bimi_message_get_from_mailboxes(input->message, &n_from, &local);
  if (n_from == 0) {
    set_code(r, BIMI_BIMI_RESULT_SKIPPED, BIMI_BIMI_REASON_NO_FROM, "no From field");
    return g_steal_pointer(&r);
  }
  if (n_from > 1) {
    g_autofree char *why = g_strdup_printf("%u From fields", n_from);
    set_code(r, BIMI_BIMI_RESULT_SKIPPED, BIMI_BIMI_REASON_MULTIPLE_FROM_FIELDS, why);
    return g_steal_pointer(&r);
  }
  if (mailboxes == NULL) {
    g_autofree char *why = g_strdup_printf("From does not parse: %s", local->message);
    set_code(r, BIMI_BIMI_RESULT_SKIPPED, BIMI_BIMI_REASON_FROM_INVALID, why);
    return g_steal_pointer(&r);
  }
  if (mailboxes->len != 1) {
    g_autofree char *why = g_strdup_printf("From holds %u mailboxes", mailboxes->len);
    set_code(r, BIMI_BIMI_RESULT_SKIPPED,
             mailboxes->len == 0 ? BIMI_BIMI_REASON_NO_FROM : BIMI_BIMI_REASON_MULTIPLE_FROM_MAILBOXES, why);
    return g_steal_pointer(&r);
  }
  mb = g_ptr_array_index(mailboxes, 0);
  if (mb->domain == NULL || mb->domain_is_literal) {
    set_code(r, BIMI_BIMI_RESULT_SKIPPED, BIMI_BIMI_REASON_FROM_NO_DOMAIN, "the From mailbox has no domain name");
    return g_steal_pointer(&r);
  }
  r->author_domain = g_strdup(mb->domain);
  r->local_part = g_strdup(mb->local_part);
  r->org_domain = g_strdup(org_of(dmarc, r->author_domain));

  /* §4 steps 4–6: DMARC pass for the Author Domain. */
  if (dmarc->result != BIMI_DMARC_RESULT_PASS && !input->dmarc_pass_override) {
    if (dmarc->result == BIMI_DMARC_RESULT_TEMPERROR)
      set_code(r, BIMI_BIMI_RESULT_SKIPPED, BIMI_BIMI_REASON_DMARC_TEMPERROR, "DMARC temperror");
    else
      set_code(r, BIMI_BIMI_RESULT_SKIPPED, BIMI_BIMI_REASON_DMARC_NOT_PASS, "message failed DMARC");
    return g_steal_pointer(&r);
  }

  /* §4 steps 7–9: enforcement on both records. */
  r->gate = dmarc_gate(options, dmarc, r->author_domain, r->org_domain, &r->ttl);
  if (bimi_bimi_result_apply_gate(r))
    return g_steal_pointer(&r);

  choose_selector(input, r);
  if (!bimi_bimi_discover(resolver, r->selector, r->author_domain, r->org_domain, r->local_part, r, error))
    return NULL;
  return g_steal_pointer(&r);
}

/* ---- output (spec §9) --------------------------------------------------- */

gboolean
bimi_bimi_is_receiver_header(const char *name, gsize len)
{
  static const char *const names[] = { "BIMI-Location", "BIMI-Indicator", "BIMI-Logo-Preference" };

  g_return_val_if_fail(name != NULL || len == 0, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    if (strlen(names[i]) == len && g_ascii_strncasecmp(name, names[i], len) == 0)
      return TRUE;
  }
  return FALSE;
}

static const char *
authority_to_string(BimiBimiAuthority a)
{
  switch (a) {
  case BIMI_BIMI_AUTHORITY_PASS:
    return "pass";
  case BIMI_BIMI_AUTHORITY_FAIL:
    return "fail";
  case BIMI_BIMI_AUTHORITY_NONE:
    break;
  }
  return "none";
}

BimiAuthresResult *
bimi_bimi_result_add_authres(const BimiBimiResult *r, BimiAuthres *ar)
{
  BimiAuthresResult *res;

  g_return_val_if_fail(r != NULL && ar != NULL, NULL);
  res = bimi_authres_add_result(ar, "bimi", bimi_bimi_result_code_to_string(r->code));
  if (r->code != BIMI_BIMI_RESULT_PASS && r->code != BIMI_BIMI_RESULT_DECLINED && r->reason != NULL)
    bimi_authres_result_set_reason(res, r->reason);
  if ((r->code == BIMI_BIMI_RESULT_PASS || r->code == BIMI_BIMI_RESULT_DECLINED) && r->record_domain != NULL) {
    bimi_authres_result_add_property(res, "header", "d", r->record_domain);
    bimi_authres_result_add_property(res, "header", "selector",
                                     r->record_selector ? r->record_selector : r->selector);
  }
  if (r->code == BIMI_BIMI_RESULT_PASS && r->record != NULL) {
    bimi_authres_result_add_property(res, "policy", "authority", authority_to_string(r->authority));
    if (r->record->evidence != NULL)
      bimi_authres_result_add_property(res, "policy", "authority-uri", r->record->evidence);
    if (r->record->location != NULL)
      bimi_authres_result_add_property(res, "policy", "indicator-uri", r->record->location);
    if (r->record->has_avp)
      bimi_authres_result_add_property(res, "policy", "logo-preference", bimi_bimi_avp_to_string(r->record->avp));
  }
  return res;
}

char *
bimi_bimi_location_header_value(const BimiBimiResult *r, gboolean svg_from_evidence)
{
  g_return_val_if_fail(r != NULL, NULL);
  if (r->code != BIMI_BIMI_RESULT_PASS || r->record == NULL)
    return NULL;
  if (svg_from_evidence && r->record->evidence != NULL)
    return g_strdup_printf("v=BIMI1; a=%s", r->record->evidence);
  if (r->record->location != NULL)
    return g_strdup_printf("v=BIMI1; l=%s", r->record->location);
  return NULL;
}

char *
bimi_bimi_indicator_header_value(GBytes *svg, GError **error)
{
  gsize len = 0, b64len, pos;
  const guint8 *data;
  g_autofree char *b64 = NULL;
  GString *out;

  g_return_val_if_fail(svg != NULL, NULL);
  data = g_bytes_get_data(svg, &len);
  if (len > BIMI_SVG_MAX_BYTES) {
    g_set_error(error, BIMI_BIMI_ERROR, BIMI_BIMI_ERROR_LIMIT,
                "SVG is %" G_GSIZE_FORMAT " bytes, more than BIMI_SVG_MAX_BYTES (%u)", len, BIMI_SVG_MAX_BYTES);
    return NULL;
  }
  b64 = g_base64_encode(data, len);
  b64len = strlen(b64);
  out = g_string_sized_new(b64len + b64len / 20 + 8);
  pos = MIN(b64len, (gsize) BIMI_BIMI_INDICATOR_FIRST_LINE_CHARS);
  g_string_append_len(out, b64, (gssize) pos);
  while (pos < b64len) {
    gsize n = MIN(b64len - pos, (gsize) BIMI_BIMI_INDICATOR_LINE_CHARS);
    g_string_append(out, "\r\n ");
    g_string_append_len(out, b64 + pos, (gssize) n);
    pos += n;
  }
  return g_string_free(out, FALSE);
}

static void
add_policy_json(BimiJsonWriter *b, const char *name, const BimiBimiDmarcPolicy *p)
{
  bimi_json_add_members(b, "{sbsss?ub}", name, "domain", p->domain, "found", p->found,
                        "p", p->found && p->has_p ? bimi_dmarc_policy_to_string(p->p) : NULL,
                        "sp", p->found && p->has_sp ? bimi_dmarc_policy_to_string(p->sp) : NULL,
                        "np", p->found && p->has_np ? bimi_dmarc_policy_to_string(p->np) : NULL,
                        "pct", p->found && p->has_pct, p->pct, "testing", p->testing);
}

static const char *
selector_source_to_string(BimiBimiSelectorSource s)
{
  switch (s) {
  case BIMI_BIMI_SELECTOR_HEADER:
    return "header";
  case BIMI_BIMI_SELECTOR_ARGUMENT:
    return "argument";
  case BIMI_BIMI_SELECTOR_DEFAULT:
    break;
  }
  return "default";
}

void
bimi_bimi_result_build_json(const BimiBimiResult *r, BimiJsonWriter *b)
{
  g_return_if_fail(r != NULL && b != NULL);
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sssss {sss}", "result", bimi_bimi_result_code_to_string(r->code),
                        "reason_code", r->reason_code, "reason", r->reason, "author_domain", r->author_domain,
                        "org_domain", r->org_domain, "selector", "name", r->selector,
                        "source", selector_source_to_string(r->selector_source), "note", r->selector_note);

  bimi_json_set_member_name(b, "gate");
  if (r->gate != NULL) {
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "bss", "ok", r->gate->ok, "reason_code", r->gate->reason_code,
                          "reason", r->gate->reason);
    add_policy_json(b, "author", &r->gate->author);
    add_policy_json(b, "org", &r->gate->org);
    bimi_json_add_string_or_null(b, "effective_policy", r->gate->has_effective ? bimi_dmarc_policy_to_string(r->gate->effective) : NULL);
    bimi_json_end_object(b);
  } else {
    bimi_json_add_null_value(b);
  }

  bimi_json_set_member_name(b, "record");
  if (r->record_text != NULL || r->record != NULL) {
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "sssss bb", "text", r->record_text, "domain", r->record_domain,
                          "selector", r->record_selector, "name", r->record_name,
                          "canonical_name", r->canonical_name, "org_fallback", r->org_fallback,
                          "local_part_selector", r->lps_used);
    if (r->record != NULL)
      bimi_json_add_members(b, "ssbs?vv", "l", r->record->location, "a", r->record->evidence,
                            "declined", r->record->declined,
                            "avp", r->record->has_avp ? bimi_bimi_avp_to_string(r->record->avp) : NULL,
                            "lps", r->record->has_lps, r->record->lps, "warnings", r->record->warnings);
    bimi_json_end_object(b);
  } else {
    bimi_json_add_null_value(b);
  }

  bimi_json_add_members(b, "pus", "queries", r->queries, "ttl", r->ttl == G_MAXUINT32 ? 0 : r->ttl,
                        "authority", authority_to_string(r->authority));
  bimi_json_end_object(b);
}
