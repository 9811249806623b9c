/* evaluate/evaluate-evidence.c — the indicator and the Evidence Document of one
 * Assertion Record, validated once and cached (spec/bimi-receiver.md §5, §7,
 * §7.5; DESIGN.md §1 "cache").
 *
 * For an (l=, a=) pair found at <selector>._bimi.<record domain>:
 *   1. a= present: fetch the Evidence Document (engine/fetch, evidence kind);
 *   2. l= present: fetch the logo (logo kind, SVGZ inflated) and validate it
 *      as SVG Tiny PS (engine/svg);
 *   3. a= present: bimi_vmc_verify() with the l= logo to compare (§7.5:
 *      line-ending-normalised equality, else "logo-mismatch"); the
 *      certificate's SVG is the one displayed (the trusted one);
 *   4. a logo that no decision would show ([policy] cmc = none, or no a= and
 *      logo_without_evidence = none) stops here: its hash names it, nothing
 *      is stored (the public store hosts only what a decision shows);
 *   5. the displayed SVG must render (evaluate-logo.c: one probe render at the
 *      largest [render] size, single-flight per hash, failures remembered):
 *      else "svg-unrenderable"; then it goes into the content-addressed logo
 *      store with the probe's PNG, the SHA-256 names it from then on; its
 *      <title> is the alt text.
 * The outcome (a BimiEvaluateVerdict) is stored in the record cache under
 * (selector, record domain), single-flighted, with the TTL of
 * bimi_cache_compute_ttl() (DNS TTL, HTTP max-age, certificate notAfter);
 * failures are negative entries ([cache] negative_ttl); a failure that may
 * pass on retry (DNS, connect, timeout, 5xx, a busy host, the store's disk)
 * is a temperror, cached for BIMI_EVALUATE_TEMPERROR_TTL_S only (at most
 * negative_ttl): long enough that a burst of messages from one brand does not
 * refetch from a struggling origin, short enough to retry soon.
 *
 * The cached value is this file's own GKeyFile serialization; the decoder
 * treats it as untrusted (a shared backend holds bytes other processes
 * wrote) and has a libFuzzer target, fuzz/fuzz-evaluate-cache.c.
 */
#include "evaluate/evaluate-private.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-text.h"
#include "engine/limits.h"
#include "engine/svg.h"

#include <string.h>

/* The strings of a verdict, in cache-value order: one table frees, encodes and
 * decodes them (the key is the member's name; "detail" is never NULL). */
static const struct {
  const char *key;
  gsize offset;
  gboolean required;
} verdict_strings[] = {
#define VERDICT_STRING(member, required) { #member, G_STRUCT_OFFSET(BimiEvaluateVerdict, member), required }
  VERDICT_STRING(detail, TRUE), VERDICT_STRING(location, FALSE), VERDICT_STRING(evidence, FALSE),
  VERDICT_STRING(sha256, FALSE), VERDICT_STRING(title, FALSE), VERDICT_STRING(cert_type, FALSE),
  VERDICT_STRING(mark_type, FALSE), VERDICT_STRING(organization, FALSE), VERDICT_STRING(issuer, FALSE),
  VERDICT_STRING(trademark_country, FALSE), VERDICT_STRING(trademark_office, FALSE),
  VERDICT_STRING(trademark_id, FALSE),
#undef VERDICT_STRING
};

/* Where the string verdict_strings[@i] of @v is. */
static char **
verdict_string_slot(BimiEvaluateVerdict *v, gsize i)
{
  return (char **) (void *) ((guint8 *) v + verdict_strings[i].offset);
}

static const char *
verdict_string(const BimiEvaluateVerdict *v, gsize i)
{
  return *(char *const *) (const void *) ((const guint8 *) v + verdict_strings[i].offset);
}

BIMI_DEFINE_FREE_FUNC(BimiEvaluateVerdict, bimi_evaluate__verdict_free, v)
{
  for (gsize i = 0; i < G_N_ELEMENTS(verdict_strings); i++)
    g_free(*verdict_string_slot(v, i));
}

void
bimi_evaluate__verdict_set_not_after(BimiEvaluateVerdict *v, gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  g_autofree char *text = dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;

  v->not_after = t;
  v->not_after_text[0] = '\0';
  if (text != NULL && strlen(text) < sizeof v->not_after_text)
    memcpy(v->not_after_text, text, strlen(text) + 1);
}

BimiEvaluateVerdict *
bimi_evaluate__verdict_copy(const BimiEvaluateVerdict *v)
{
  BimiEvaluateVerdict *copy = g_memdup2(v, sizeof *v);

  for (gsize i = 0; i < G_N_ELEMENTS(verdict_strings); i++)
    *verdict_string_slot(copy, i) = g_strdup(verdict_string(v, i));
  return copy;
}

/* ---- the decoded-verdict memo (issue 21) ---------------------------------
 * A cached verdict is read per request; parsing its key-file form each time cost
 * more than the rest of the evidence step. The memo maps the value's bytes to the
 * verdict decoded from them: decoding is a function of the bytes alone, so an
 * entry is never stale (the record cache decides freshness), and a value from
 * Redis with the same bytes hits too. */

void
bimi_evaluate__verdict_memo_init(BimiEvaluator *ev)
{
  g_mutex_init(&ev->verdicts_lock);
  ev->verdicts = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref,
                                       (GDestroyNotify) bimi_evaluate__verdict_free);
}

void
bimi_evaluate__verdict_memo_clear(BimiEvaluator *ev)
{
  g_clear_pointer(&ev->verdicts, g_hash_table_unref);
  g_mutex_clear(&ev->verdicts_lock);
}

BimiEvaluateVerdict *
bimi_evaluate__verdict_decode_memo(BimiEvaluator *ev, GBytes *value, GError **error)
{
  BimiEvaluateVerdict *v = NULL;

  if (value == NULL || g_bytes_get_size(value) == 0 || g_bytes_get_size(value) > BIMI_EVALUATE_MAX_CACHE_VALUE_BYTES)
    return bimi_evaluate__verdict_decode(value, error); /* its error, never remembered */
  g_mutex_lock(&ev->verdicts_lock);
  const BimiEvaluateVerdict *known = g_hash_table_lookup(ev->verdicts, value);
  if (known != NULL)
    v = bimi_evaluate__verdict_copy(known);
  g_mutex_unlock(&ev->verdicts_lock);
  if (v != NULL)
    return v;
  v = bimi_evaluate__verdict_decode(value, error);
  if (v == NULL)
    return NULL;
  BimiEvaluateVerdict *keep = bimi_evaluate__verdict_copy(v);
  g_mutex_lock(&ev->verdicts_lock);
  if (g_hash_table_size(ev->verdicts) >= BIMI_EVALUATE_MAX_VERDICT_MEMO && !g_hash_table_contains(ev->verdicts, value))
    g_hash_table_remove_all(ev->verdicts);
  g_hash_table_replace(ev->verdicts, g_bytes_ref(value), keep);
  g_mutex_unlock(&ev->verdicts_lock);
  return v;
}

guint
bimi_evaluate__verdict_memo_size(BimiEvaluator *ev)
{
  return bimi_evaluate__locked_size(&ev->verdicts_lock, ev->verdicts);
}

/* Valid UTF-8, no control characters, at most BIMI_EVALUATE_MAX_DETAIL_BYTES
 * (cut at a character boundary): attacker text (servers, certificates) made
 * safe for JSON, logs and A-R comments. */
static char *
clean_text(const char *text)
{
  g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
  GString *out = g_string_new(NULL);

  for (char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    gsize n = (gsize) (g_utf8_next_char(p) - p);
    if (out->len + n > BIMI_EVALUATE_MAX_DETAIL_BYTES)
      break;
    if (g_unichar_iscntrl(c))
      g_string_append_c(out, '?');
    else
      g_string_append_len(out, p, (gssize) n);
  }
  return g_string_free(out, FALSE);
}

static void G_GNUC_PRINTF(4, 5)
set_fail(BimiEvaluateVerdict *v, BimiDecisionReason reason, gboolean temperror, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start(ap, format);
  text = g_strdup_vprintf(format, ap);
  va_end(ap);
  v->kind = BIMI_EVALUATE_VERDICT_FAIL;
  v->reason = temperror ? BIMI_DECISION_REASON_TEMPERROR : reason;
  g_free(v->detail);
  v->detail = clean_text(text);
  v->temperror = temperror;
}

/* DNS, connect, timeout, a busy host and server errors may pass on retry. */
static gboolean
fetch_is_temporary(const BimiFetchResult *r)
{
  switch (r->reason) {
  case BIMI_FETCH_REASON_DNS:
  case BIMI_FETCH_REASON_CONNECT:
  case BIMI_FETCH_REASON_TIMEOUT:
  case BIMI_FETCH_REASON_BUSY:
    return TRUE;
  case BIMI_FETCH_REASON_HTTP_STATUS:
    return r->http_status >= 500;
  default:
    return FALSE;
  }
}

static BimiFetchResult *
fetch(BimiEvaluator *ev, const char *url, BimiFetchKind kind, gint64 now, gint64 *max_age)
{
  BimiFetchRequest request = { 0 };
  g_autoptr(GError) error = NULL;
  BimiFetchResult *r;

  request.kind = kind;
  request.now = now;
  r = bimi_fetch_url(ev->fetcher, url, &request, &error);
  if (r == NULL) {
    r = g_new0(BimiFetchResult, 1);
    r->status = BIMI_FETCH_STATUS_FAILED;
    r->reason = BIMI_FETCH_REASON_BUSY;
    r->detail = g_strdup(error->message);
    r->max_age = -1;
  }
  bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_FETCHES, kind == BIMI_FETCH_KIND_LOGO ? "logo" : "evidence",
                       r->status == BIMI_FETCH_STATUS_OK ? "ok"
                       : r->status == BIMI_FETCH_STATUS_NOT_MODIFIED ? "not-modified"
                       : bimi_fetch_reason_to_string(r->reason));
  if (r->status == BIMI_FETCH_STATUS_FAILED && error != NULL)
    return r;
  if (r->status == BIMI_FETCH_STATUS_OK && r->max_age >= 0 && (*max_age < 0 || r->max_age < *max_age))
    *max_age = r->max_age;
  return r;
}

typedef struct {
  char *title;
} SvgCheck;

/* engine/vmc's SVG hook: engine/svg, keeping the <title> for the alt text. */
static gboolean
svg_check(GBytes *svg, gpointer user_data, char **detail)
{
  SvgCheck *check = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiSvgResult) r = bimi_svg_validate(svg, &error);

  if (r == NULL) {
    *detail = g_strdup(error->message);
    return FALSE;
  }
  if (!r->valid) {
    const BimiSvgIssue *i = r->errors->len > 0 ? g_ptr_array_index(r->errors, 0) : NULL;
    *detail = i ? g_strdup_printf("%s at line %u: %s", i->code, i->line, i->message) : g_strdup("invalid");
    return FALSE;
  }
  g_free(check->title);
  check->title = g_strdup(r->title);
  return TRUE;
}

static void
take_certificate(BimiEvaluateVerdict *v, const BimiVmcResult *r)
{
  const char *mark = bimi_vmc_mark_type_to_string(r->mark_type);

  v->kind = r->cert_type == BIMI_VMC_CERT_VMC ? BIMI_EVALUATE_VERDICT_VMC : BIMI_EVALUATE_VERDICT_CMC;
  v->reason = r->cert_type == BIMI_VMC_CERT_VMC ? BIMI_DECISION_REASON_VMC : BIMI_DECISION_REASON_CMC;
  v->cert_type = g_strdup(bimi_vmc_cert_type_to_string(r->cert_type));
  v->mark_type = mark ? g_strdup(mark) : (r->mark_type_text ? clean_text(r->mark_type_text) : NULL);
  v->organization = r->organization ? clean_text(r->organization) : NULL;
  v->issuer = r->issuer ? clean_text(r->issuer) : NULL;
  v->trademark_country = r->trademark_country ? clean_text(r->trademark_country) : NULL;
  v->trademark_office = r->trademark_office ? clean_text(r->trademark_office) : NULL;
  v->trademark_id = r->trademark_id ? clean_text(r->trademark_id) : NULL;
  v->pilot = r->pilot;
  bimi_evaluate__verdict_set_not_after(v, r->not_after);
  v->authority = BIMI_BIMI_AUTHORITY_PASS;
  v->svg_from_evidence = TRUE;
}

/* The failure codes of @r, "code: detail; ..." for the verdict detail. */
static char *
vmc_failures(const BimiVmcResult *r, gboolean *only_mismatch)
{
  GString *s = g_string_new(NULL);

  *only_mismatch = r->failures->len > 0;
  for (guint i = 0; i < r->failures->len; i++) {
    const BimiVmcFailure *f = g_ptr_array_index(r->failures, i);
    if (f->check != BIMI_VMC_CHECK_LOGO_MISMATCH)
      *only_mismatch = FALSE;
    g_string_append_printf(s, "%s%s: %s", i ? "; " : "", bimi_vmc_check_code(f->check), f->detail);
  }
  return g_string_free(s, FALSE);
}

/* Whether a decision would show the logo of a verdict of @kind ([policy] cmc, logo_without_evidence). */
static gboolean
verdict_is_shown(const BimiConfig *c, BimiEvaluateVerdictKind kind)
{
  switch (kind) {
  case BIMI_EVALUATE_VERDICT_VMC:
    return TRUE;
  case BIMI_EVALUATE_VERDICT_CMC:
    return c->policy_show_cmc;
  case BIMI_EVALUATE_VERDICT_NO_EVIDENCE:
    return c->policy_logo_without_evidence;
  case BIMI_EVALUATE_VERDICT_FAIL:
    break;
  }
  return FALSE;
}

/* The whole validation, without the cache. *@out_ttl: the positive TTL. */
static BimiEvaluateVerdict *
validate(BimiEvaluator *ev, const char *domain, const char *selector, const char *location, const char *evidence,
         guint dns_ttl, gint64 now, guint *out_ttl)
{
  g_autoptr(BimiEvaluateVerdict) v = g_new0(BimiEvaluateVerdict, 1);
  g_autoptr(BimiFetchResult) logo = NULL, pem = NULL;
  g_autoptr(BimiVmcResult) cert = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *display = NULL;
  SvgCheck check = { NULL };
  gint64 max_age = -1;
  char hash[BIMI_LOGO_HASH_HEX_LEN + 1];

  g_atomic_int_inc(&ev->n_validations);
  *out_ttl = 0;
  v->location = g_strdup(location);
  v->evidence = g_strdup(evidence);
  v->kind = BIMI_EVALUATE_VERDICT_FAIL;
  v->reason = BIMI_DECISION_REASON_TEMPERROR;
  v->detail = g_strdup("");

  /* 1. the Evidence Document (spec §7.1) */
  if (evidence != NULL) {
    pem = fetch(ev, evidence, BIMI_FETCH_KIND_EVIDENCE, now, &max_age);
    if (pem->status != BIMI_FETCH_STATUS_OK) {
      gboolean temp = fetch_is_temporary(pem);
      set_fail(v, BIMI_DECISION_REASON_EVIDENCE_FETCH_FAILED, temp, "a= %s: %s (%s)", evidence, bimi_fetch_reason_to_string(pem->reason),
               pem->detail ? pem->detail : "");
      v->authority = temp ? BIMI_BIMI_AUTHORITY_NONE : BIMI_BIMI_AUTHORITY_FAIL;
      return g_steal_pointer(&v);
    }
  }
  /* 2. the indicator (spec §5) */
  if (location != NULL) {
    g_autoptr(BimiSvgResult) svg = NULL;
    logo = fetch(ev, location, BIMI_FETCH_KIND_LOGO, now, &max_age);
    if (logo->status != BIMI_FETCH_STATUS_OK) {
      set_fail(v, BIMI_DECISION_REASON_LOGO_FETCH_FAILED, fetch_is_temporary(logo), "l= %s: %s (%s)", location,
               bimi_fetch_reason_to_string(logo->reason), logo->detail ? logo->detail : "");
      return g_steal_pointer(&v);
    }
    svg = bimi_svg_validate(logo->body, &error);
    if (svg == NULL) {
      set_fail(v, BIMI_DECISION_REASON_SVG_INVALID, TRUE, "l= %s: %s", location, error->message);
      return g_steal_pointer(&v);
    }
    if (!svg->valid) {
      const BimiSvgIssue *i = svg->errors->len > 0 ? g_ptr_array_index(svg->errors, 0) : NULL;
      set_fail(v, BIMI_DECISION_REASON_SVG_INVALID, FALSE, "l= is not SVG Tiny PS: %s at line %u: %s", i ? i->code : "?",
               i ? i->line : 0, i ? i->message : "");
      if (evidence != NULL)
        v->authority = BIMI_BIMI_AUTHORITY_NONE;
      return g_steal_pointer(&v);
    }
    check.title = g_strdup(svg->title);
    display = logo->body;
  }
  /* 3. the certificate, compared with the l= logo (spec §7.2, §7.5) */
  if (evidence != NULL) {
    BimiVmcOptions opts = { 0 };
    opts.domain = domain;
    opts.selector = selector;
    opts.now = now;
    opts.revocation = ev->config->trust_revocation;
    opts.fetch_crl = bimi_vmc_fetch_crl_with_fetcher; /* CRLs through engine/fetch; cached by the trust store */
    opts.fetch_user_data = ev->fetcher;
    opts.svg_check = svg_check;
    opts.svg_user_data = &check;
    opts.location_svg = logo ? logo->body : NULL;
    cert = bimi_vmc_verify(pem->body, ev->trust, &opts, &error);
    if (cert != NULL) {
      const BimiVmcFailure *first = cert->failures->len > 0 ? g_ptr_array_index(cert->failures, 0) : NULL;
      bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_CERT_VERDICTS, bimi_vmc_cert_type_to_string(cert->cert_type),
                           first != NULL ? bimi_vmc_check_code(first->check) : cert->svg != NULL ? "valid" : "no-logo");
    } else {
      bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_CERT_VERDICTS, "none", "unparsable");
    }
    if (cert == NULL) {
      set_fail(v, BIMI_DECISION_REASON_EVIDENCE_INVALID, FALSE, "a= %s: %s", evidence, error->message);
      v->authority = BIMI_BIMI_AUTHORITY_FAIL;
      g_free(check.title);
      return g_steal_pointer(&v);
    }
    if (!cert->valid || cert->svg == NULL) {
      gboolean only_mismatch = FALSE;
      g_autofree char *why = vmc_failures(cert, &only_mismatch);
      /* revocation = require and the CRLs out of reach for a reason that passes: no verdict on the
       * certificate yet, a temperror (retry), as `bimi cert verify` exits 3 */
      gboolean crl_temp = cert->revocation_transient && cert->failures->len == 1 &&
        ((const BimiVmcFailure *) g_ptr_array_index(cert->failures, 0))->check == BIMI_VMC_CHECK_REVOCATION_UNKNOWN;
      set_fail(v, only_mismatch ? BIMI_DECISION_REASON_LOGO_MISMATCH : BIMI_DECISION_REASON_EVIDENCE_INVALID, crl_temp,
               "a= %s: %s", evidence, *why ? why : "no logo");
      bimi_evaluate__verdict_set_not_after(v, cert->not_after); /* for the brand's warning: "VMC expired <notAfter>" */
      v->authority = BIMI_BIMI_AUTHORITY_FAIL;
      g_free(check.title);
      return g_steal_pointer(&v);
    }
    take_certificate(v, cert);
    display = cert->svg;
    /* issue 19: a CA vouched for this brand: the caution's registry learns it */
    bimi_evaluate__caution_learn(ev, cert, domain, check.title, cert->svg_sha256, now);
  } else {
    v->kind = BIMI_EVALUATE_VERDICT_NO_EVIDENCE;
      v->reason = BIMI_DECISION_REASON_EVIDENCE_MISSING;
    v->authority = BIMI_BIMI_AUTHORITY_NONE;
  }
  g_free(v->detail);
  v->detail = g_strdup(v->kind == BIMI_EVALUATE_VERDICT_NO_EVIDENCE ? "valid SVG Tiny PS logo, no evidence"
                       : v->kind == BIMI_EVALUATE_VERDICT_VMC  ? "valid VMC"
                                                               : "valid CMC");
  v->title = check.title ? clean_text(check.title) : NULL;
  g_free(check.title);

  /* 4. a logo no decision would show stays out of the public store (its hash
   * is computable offline: the store must not host what anyone can post) */
  if (!verdict_is_shown(ev->config, v->kind)) {
    v->sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, display);
    *out_ttl = bimi_cache_compute_ttl(&ev->ttl_bounds, now, dns_ttl, max_age, v->not_after);
    return g_steal_pointer(&v);
  }
  /* 5. shown only if it renders (evaluate-logo.c), then the displayed SVG and
   * the probe's PNG into the logo store */
  {
    g_autofree char *sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, display);
    g_autofree char *why = NULL;
    g_autoptr(GBytes) png = NULL;
    const BimiConfig *c = ev->config;

    switch (bimi_evaluate__probe(ev, display, sum, now, &png, &why)) {
    case BIMI_EVALUATE_PROBE_OK:
      break;
    case BIMI_EVALUATE_PROBE_UNRENDERABLE:
      set_fail(v, BIMI_DECISION_REASON_SVG_UNRENDERABLE, FALSE, "%s %s %s", v->svg_from_evidence ? "a= logo" : "l=",
               v->svg_from_evidence ? evidence : location, why);
      return g_steal_pointer(&v);
    case BIMI_EVALUATE_PROBE_TEMPORARY:
      set_fail(v, BIMI_DECISION_REASON_TEMPERROR, TRUE, "%s", why);
      return g_steal_pointer(&v);
    }
    if (!bimi_logo_store_put_svg(ev->store, display, hash, &error)) {
      set_fail(v, BIMI_DECISION_REASON_TEMPERROR, TRUE, "logo store: %s", error->message);
      return g_steal_pointer(&v);
    }
    bimi_evaluate__logo_share(ev, hash, display);
    if (png != NULL && !bimi_logo_store_put_png(ev->store, hash, c->render_sizes[c->render_n_sizes - 1], png, &error)) {
      g_debug("evaluate: logo store: %s (the PNG is rendered again on request)", error->message);
      g_clear_error(&error);
    }
  }
  v->sha256 = g_strdup(hash);
  *out_ttl = bimi_cache_compute_ttl(&ev->ttl_bounds, now, dns_ttl, max_age, v->not_after);
  return g_steal_pointer(&v);
}

typedef struct {
  BimiEvaluator *ev;
  const char *location;
  const char *evidence;
  guint dns_ttl;
  gint64 now;
  BimiEvaluateVerdict *fresh;
  guint ttl;
} FetchContext;

static gboolean
cache_fetch(const char *selector, const char *domain, gpointer user_data, GBytes **value, gboolean *negative,
            guint *ttl_s, GError **error)
{
  FetchContext *c = user_data;

  g_clear_pointer(&c->fresh, bimi_evaluate__verdict_free);
  c->fresh = validate(c->ev, domain, selector, c->location, c->evidence, c->dns_ttl, c->now, &c->ttl);
  if (c->fresh->temperror && c->ev->config->cache_negative_ttl == 0) {
    g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_INTERNAL, "temperror: %s", c->fresh->detail);
    return FALSE; /* negative caching off: not cached at all */
  }
  *value = bimi_evaluate__verdict_encode(c->fresh);
  *negative = c->fresh->kind == BIMI_EVALUATE_VERDICT_FAIL;
  *ttl_s = c->fresh->temperror ? MIN(BIMI_EVALUATE_TEMPERROR_TTL_S, c->ev->config->cache_negative_ttl)
           : *negative     ? c->ev->config->cache_negative_ttl
                           : c->ttl;
  return TRUE;
}

static gboolean
same_uri(const char *a, const char *b)
{
  return g_strcmp0(a, b) == 0;
}

/* The brand-side failure of @v for the operator's log, or NULL when the brand's indicator is fine or the
 * verdict says nothing about the brand (a temperror is ours). (transfer full) */
static char *
brand_failure(const BimiEvaluateVerdict *v)
{
  if (v->temperror)
    return NULL;
  if (v->kind != BIMI_EVALUATE_VERDICT_FAIL)
    return g_strdup("");
  if (v->reason == BIMI_DECISION_REASON_EVIDENCE_INVALID && v->detail != NULL && strstr(v->detail, "expired:") != NULL
      && v->not_after > 0) {
    return g_strdup_printf("%s expired %s", v->cert_type != NULL ? v->cert_type : "VMC",
                           v->not_after_text[0] != '\0' ? v->not_after_text : "?");
  }
  if (v->reason == BIMI_DECISION_REASON_EVIDENCE_INVALID && v->detail != NULL && strstr(v->detail, "revoked:") != NULL)
    return g_strdup_printf("VMC revoked (%s)", v->detail);
  return g_strdup_printf("%s: %s", bimi_decision_reason_to_string(v->reason), v->detail ? v->detail : "");
}

void
bimi_evaluate__note_brand(BimiEvaluator *ev, const char *domain, const char *selector, const char *failure)
{
  g_autofree char *key = g_strdup_printf("%s\x1f%s", domain, selector);
  const char *state = failure != NULL ? failure : "";
  const char *before;
  gboolean changed;

  g_mutex_lock(&ev->brands_lock);
  before = g_hash_table_lookup(ev->brand_states, key);
  changed = before != NULL ? strcmp(before, state) != 0 : *state != '\0';
  if (changed) {
    if (before == NULL && g_hash_table_size(ev->brand_states) >= BIMI_EVALUATE_MAX_BRAND_STATES)
      g_hash_table_remove_all(ev->brand_states); /* bounded: forget, at worst a state is logged again */
    g_hash_table_replace(ev->brand_states, g_steal_pointer(&key), g_strdup(state));
  }
  g_mutex_unlock(&ev->brands_lock);
  if (!changed)
    return;
  {
    g_autofree char *d = bimi_text_escape_ascii(domain, strlen(domain), 255, 0);
    g_autofree char *sel = bimi_text_escape_ascii(selector, strlen(selector), 64, 0);
    g_autofree char *what = bimi_text_escape_ascii(state, strlen(state), 400, 0);
    if (ev->brand_func != NULL)
      ev->brand_func(d, sel, *state != '\0' ? what : NULL, ev->brand_data);
    else
      g_debug("brand %s (selector %s): %s", d, sel, *state != '\0' ? what : "validates again");
  }
}

void
bimi_evaluator_set_brand_func(BimiEvaluator *ev, BimiEvaluatorBrandFunc func, gpointer user_data)
{
  g_return_if_fail(ev != NULL);
  ev->brand_func = func;
  ev->brand_data = user_data;
}

guint
bimi_evaluate__brand_states_size(BimiEvaluator *ev)
{
  return bimi_evaluate__locked_size(&ev->brands_lock, ev->brand_states);
}

/* The verdict for the record, and the brand's state change logged (bimi_evaluate__note_brand()). */
static BimiEvaluateVerdict *evidence_cached(BimiEvaluator *ev, const char *record_domain, const char *selector,
                                            const char *location, const char *evidence, guint dns_ttl, gint64 now);

BimiEvaluateVerdict *
bimi_evaluate__evidence(BimiEvaluator *ev, const char *record_domain, const char *selector, const char *location,
                        const char *evidence, guint dns_ttl, gint64 now)
{
  BimiEvaluateVerdict *v = evidence_cached(ev, record_domain, selector, location, evidence, dns_ttl, now);
  g_autofree char *failure = v != NULL ? brand_failure(v) : NULL;

  if (failure != NULL)
    bimi_evaluate__note_brand(ev, record_domain, selector, *failure != '\0' ? failure : NULL);
  return v;
}

static BimiEvaluateVerdict *
evidence_cached(BimiEvaluator *ev, const char *record_domain, const char *selector, const char *location,
                const char *evidence, guint dns_ttl, gint64 now)
{
  FetchContext c = { ev, location, evidence, dns_ttl, now, NULL, 0 };
  BimiCacheEntry entry = { 0 };
  BimiRecordCacheStatus status;
  g_autoptr(GError) error = NULL;
  BimiEvaluateVerdict *v = NULL;

  g_return_val_if_fail(ev != NULL && record_domain != NULL && selector != NULL, NULL);
  g_return_val_if_fail(location != NULL || evidence != NULL, NULL);

  if (!bimi_record_cache_get(ev->records, selector, record_domain, cache_fetch, &c, &entry, &status, &error)) {
    if (c.fresh != NULL)
      return c.fresh; /* this caller led and hit a temperror: not cached */
    if (g_error_matches(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID)) {
      /* a selector the cache cannot key (longer than a label): validate uncached */
      guint ttl;
      return validate(ev, record_domain, selector, location, evidence, dns_ttl, now, &ttl);
    }
    v = g_new0(BimiEvaluateVerdict, 1);
    v->location = g_strdup(location);
    v->evidence = g_strdup(evidence);
    set_fail(v, BIMI_DECISION_REASON_TEMPERROR, TRUE, "record cache: %s", error->message);
    return v;
  }
  if (status == BIMI_RECORD_CACHE_REFRESHED && c.fresh != NULL) {
    v = g_steal_pointer(&c.fresh);
  } else {
    g_clear_pointer(&c.fresh, bimi_evaluate__verdict_free);
    v = bimi_evaluate__verdict_decode_memo(ev, entry.value, &error);
    if (v == NULL)
      g_debug("evaluate: %s._bimi.%s: %s; validating again", selector, record_domain, error->message);
    else
      v->cached = TRUE;
  }
  if (v != NULL) {
    v->expires_at = entry.expires_at / G_USEC_PER_SEC;
    if (!same_uri(v->location, location) || !same_uri(v->evidence, evidence)) {
      /* The record changed within the cached verdict's life (its TTL is at
       * most the record's DNS TTL): judge the new pair, uncached. */
      g_clear_pointer(&v, bimi_evaluate__verdict_free);
    }
  }
  bimi_cache_entry_clear(&entry);
  if (v == NULL) {
    guint ttl;
    v = validate(ev, record_domain, selector, location, evidence, dns_ttl, now, &ttl);
    v->expires_at = now + (v->temperror                          ? BIMI_EVALUATE_TEMPERROR_TTL_S
                           : v->kind == BIMI_EVALUATE_VERDICT_FAIL ? ev->config->cache_negative_ttl
                                                                   : ttl);
  }
  return v;
}

/* ---- the cached value -------------------------------------------------- */

#define GROUP "verdict"

static const char *const kind_names[] = { "vmc", "cmc", "no-evidence", "fail" };
static const char *const authority_names[] = { "none", "pass", "fail" };
/* The decision reasons a verdict may carry (BimiEvaluateVerdict.reason); the
 * first three belong to a kind, the rest to a failure. */
static const BimiDecisionReason verdict_reasons[] = {
  BIMI_DECISION_REASON_VMC,           BIMI_DECISION_REASON_CMC,
  BIMI_DECISION_REASON_EVIDENCE_MISSING, BIMI_DECISION_REASON_SVG_INVALID,
  BIMI_DECISION_REASON_LOGO_FETCH_FAILED, BIMI_DECISION_REASON_EVIDENCE_FETCH_FAILED,
  BIMI_DECISION_REASON_EVIDENCE_INVALID, BIMI_DECISION_REASON_LOGO_MISMATCH,
  BIMI_DECISION_REASON_TEMPERROR,     BIMI_DECISION_REASON_SVG_UNRENDERABLE,
};
/* The reason that goes with each verdict kind but FAIL. */
static const BimiDecisionReason kind_reasons[] = {
  [BIMI_EVALUATE_VERDICT_VMC] = BIMI_DECISION_REASON_VMC,
  [BIMI_EVALUATE_VERDICT_CMC] = BIMI_DECISION_REASON_CMC,
  [BIMI_EVALUATE_VERDICT_NO_EVIDENCE] = BIMI_DECISION_REASON_EVIDENCE_MISSING,
};

static void
put_string(GKeyFile *kf, const char *key, const char *value)
{
  if (value != NULL)
    g_key_file_set_string(kf, GROUP, key, value);
}

GBytes *
bimi_evaluate__verdict_encode(const BimiEvaluateVerdict *v)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  gsize len = 0;
  char *text;

  g_key_file_set_integer(kf, GROUP, "format", BIMI_EVALUATE_CACHE_FORMAT);
  g_key_file_set_string(kf, GROUP, "kind", kind_names[v->kind]);
  g_key_file_set_string(kf, GROUP, "reason", bimi_decision_reason_to_string(v->reason));
  g_key_file_set_string(kf, GROUP, "authority", authority_names[v->authority]);
  for (gsize i = 0; i < G_N_ELEMENTS(verdict_strings); i++)
    put_string(kf, verdict_strings[i].key, verdict_string(v, i));
  g_key_file_set_boolean(kf, GROUP, "svg_from_evidence", v->svg_from_evidence);
  g_key_file_set_boolean(kf, GROUP, "pilot", v->pilot);
  g_key_file_set_boolean(kf, GROUP, "temperror", v->temperror);
  g_key_file_set_int64(kf, GROUP, "not_after", v->not_after);
  text = g_key_file_to_data(kf, &len, NULL);
  return g_bytes_new_take(text, len);
}

static gboolean G_GNUC_PRINTF(2, 3)
decode_error(GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start(ap, format);
  text = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error(error, BIMI_EVALUATE_ERROR, BIMI_EVALUATE_ERROR_INTERNAL, "cache value: %s", text);
  return FALSE;
}

/* A string key: absent → NULL (unless @required); present → valid UTF-8
 * (g_key_file_get_string checks) of at most BIMI_EVALUATE_MAX_CACHE_STRING_BYTES. */
static gboolean
get_string(GKeyFile *kf, const char *key, gboolean required, char **out, GError **error)
{
  g_autoptr(GError) local = NULL;
  char *s;

  *out = NULL;
  if (!g_key_file_has_key(kf, GROUP, key, NULL))
    return required ? decode_error(error, "%s: missing", key) : TRUE;
  s = g_key_file_get_string(kf, GROUP, key, &local);
  if (s == NULL)
    return decode_error(error, "%s: %s", key, local->message);
  if (strlen(s) > BIMI_EVALUATE_MAX_CACHE_STRING_BYTES) {
    g_free(s);
    return decode_error(error, "%s: longer than BIMI_EVALUATE_MAX_CACHE_STRING_BYTES", key);
  }
  *out = s;
  return TRUE;
}

static gboolean
get_name(GKeyFile *kf, const char *key, const char *const *names, gsize n_names, guint *out, GError **error)
{
  g_autofree char *s = NULL;

  if (!get_string(kf, key, TRUE, &s, error))
    return FALSE;
  for (gsize i = 0; i < n_names && names[i] != NULL; i++) {
    if (strcmp(s, names[i]) == 0) {
      *out = (guint) i;
      return TRUE;
    }
  }
  return decode_error(error, "%s: unknown value", key);
}

/* The "reason" key: a decision reason name (bimi_decision_reason_from_string())
 * that a verdict may carry. */
static gboolean
get_reason(GKeyFile *kf, BimiDecisionReason *out, GError **error)
{
  g_autofree char *s = NULL;

  if (!get_string(kf, "reason", TRUE, &s, error))
    return FALSE;
  if (bimi_decision_reason_from_string(s, out))
    for (gsize i = 0; i < G_N_ELEMENTS(verdict_reasons); i++)
      if (*out == verdict_reasons[i])
        return TRUE;
  return decode_error(error, "reason: unknown value");
}

static gboolean
get_flag(GKeyFile *kf, const char *key, gboolean *out, GError **error)
{
  g_autoptr(GError) local = NULL;

  *out = g_key_file_get_boolean(kf, GROUP, key, &local);
  if (local != NULL)
    return decode_error(error, "%s: %s", key, local->message);
  return TRUE;
}

BimiEvaluateVerdict *
bimi_evaluate__verdict_decode(GBytes *value, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(BimiEvaluateVerdict) v = g_new0(BimiEvaluateVerdict, 1);
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  const char *data = value ? g_bytes_get_data(value, &len) : NULL;
  guint kind = 0, authority = 0;
  gint64 format;

  if (data == NULL || len == 0)
    return decode_error(error, "empty"), NULL;
  if (len > BIMI_EVALUATE_MAX_CACHE_VALUE_BYTES)
    return decode_error(error, "%" G_GSIZE_FORMAT " bytes, more than BIMI_EVALUATE_MAX_CACHE_VALUE_BYTES", len), NULL;
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local))
    return decode_error(error, "%s", local->message), NULL;
  format = g_key_file_get_int64(kf, GROUP, "format", &local);
  if (local != NULL || format != BIMI_EVALUATE_CACHE_FORMAT)
    return decode_error(error, "format: not %d", BIMI_EVALUATE_CACHE_FORMAT), NULL;
  if (!get_name(kf, "kind", kind_names, G_N_ELEMENTS(kind_names), &kind, error) ||
      !get_name(kf, "authority", authority_names, G_N_ELEMENTS(authority_names), &authority, error) ||
      !get_reason(kf, &v->reason, error))
    return NULL;
  v->kind = (BimiEvaluateVerdictKind) kind;
  v->authority = (BimiBimiAuthority) authority;
  for (gsize i = 0; i < G_N_ELEMENTS(verdict_strings); i++)
    if (!get_string(kf, verdict_strings[i].key, verdict_strings[i].required, verdict_string_slot(v, i), error))
      return NULL;
  if (!get_flag(kf, "svg_from_evidence", &v->svg_from_evidence, error) || !get_flag(kf, "pilot", &v->pilot, error) ||
      !get_flag(kf, "temperror", &v->temperror, error))
    return NULL;
  gint64 not_after = g_key_file_get_int64(kf, GROUP, "not_after", &local);
  if (local != NULL || not_after < 0)
    return decode_error(error, "not_after: not a time"), NULL;
  bimi_evaluate__verdict_set_not_after(v, not_after);
  if (v->location == NULL && v->evidence == NULL)
    return decode_error(error, "neither location nor evidence"), NULL;
  /* consistency: the kind and its reason, a valid verdict names its logo */
  switch (v->kind) {
  case BIMI_EVALUATE_VERDICT_VMC:
  case BIMI_EVALUATE_VERDICT_CMC:
    if (v->reason != kind_reasons[v->kind] || v->evidence == NULL ||
        g_strcmp0(v->cert_type, kind_names[v->kind]) != 0 || v->authority != BIMI_BIMI_AUTHORITY_PASS)
      return decode_error(error, "kind %s: inconsistent reason, cert_type, evidence or authority",
                          kind_names[v->kind]), NULL;
    break;
  case BIMI_EVALUATE_VERDICT_NO_EVIDENCE:
    if (v->reason != kind_reasons[v->kind] || v->evidence != NULL || v->location == NULL)
      return decode_error(error, "kind no-evidence: inconsistent reason or URIs"), NULL;
    break;
  case BIMI_EVALUATE_VERDICT_FAIL:
    for (gsize i = 0; i < G_N_ELEMENTS(kind_reasons); i++)
      if (v->reason == kind_reasons[i])
        return decode_error(error, "kind fail: reason %s", bimi_decision_reason_to_string(v->reason)), NULL;
    break;
  }
  if (v->temperror != (v->reason == BIMI_DECISION_REASON_TEMPERROR))
    return decode_error(error, "temperror: inconsistent with reason %s", bimi_decision_reason_to_string(v->reason)),
           NULL;
  if (v->kind != BIMI_EVALUATE_VERDICT_FAIL && !bimi_logo_store_hash_is_valid(v->sha256))
    return decode_error(error, "sha256: not 64 lowercase hex digits"), NULL;
  if (v->kind == BIMI_EVALUATE_VERDICT_FAIL && v->sha256 != NULL)
    return decode_error(error, "sha256: set on a failure"), NULL;
  return g_steal_pointer(&v);
}
