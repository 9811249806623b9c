/* engine/spf.c — RFC 7208 check_host(): §2.3/§2.4 identities, §4 (initial
 * processing, record lookup and selection, evaluation, §4.6.4 limits), §5
 * (mechanisms), §6 (redirect=, exp=), §7 (macros, via spf-macro.c), §8
 * (results).
 *
 * Deliberate choices where RFC 7208 leaves room (each one matches the
 * openspf RFC 7208 test suite):
 *  - Only TXT records are asked (§3.1, §4.4: type SPF is no longer used).
 *  - DNS-querying terms are counted when evaluated, not when parsed (§4.6.4);
 *    the 11th is permerror. %{p} is not a term of its own: its PTR and
 *    address lookups are bounded by BIMI_SPF_MAX_PTR_NAMES, asked once per
 *    check_host() and shared with "ptr" (the validated names do not depend
 *    on the term, only the choice among them does).
 *  - Void lookups (§4.6.4) are counted for the first query of "a", "mx" and
 *    "exists". Not for "ptr"/%{p}: PTR data belongs to the connecting client,
 *    not to the policy publisher (the reasoning §4.6.4 gives for PTR limits),
 *    nor for the address lookups of MX names, nor for exp= (§6.2).
 *  - A target-name that is not a valid DNS name after expansion (empty label,
 *    label over 63 bytes) is treated as non-existent: "a", "mx", "ptr",
 *    "exists" do not match; include/redirect get none and so permerror
 *    (§4.3, §4.8 by analogy; the suite accepts fail or permerror).
 *  - "ptr": a DNS error on the PTR query is a no-match, on an address query
 *    that name is skipped (§5.5). Other mechanisms: temperror (§5, §2.6.6).
 *  - "mx" with more than BIMI_SPF_MAX_MX_NAMES MX records is permerror
 *    (§4.6.4); a null MX exchange (".") is skipped.
 *  - exp= is looked up once, after the result is known, and only for fail
 *    (§6.2); any problem with it falls back to the default explanation.
 *  - §4.6.4 elapsed-time limit: one deadline for every query of the check
 *    (default 20 s, the least the RFC allows; BimiSpfOptions.time_limit_ms).
 *    Passed → temperror "deadline...", also inside "ptr"/%{p}, where a DNS
 *    error would otherwise only skip a name (§5.5): ten PTR names on dead
 *    servers must not cost ten timeouts and then look like a clean no-match.
 */
#include "engine/spf-private.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-names.h"
#include "engine/base/base-text.h"
#include "engine/limits.h"

#include <string.h>

G_DEFINE_QUARK(bimi-spf-error-quark, bimi_spf_error)

static const char *const result_names[] = {
  [BIMI_SPF_RESULT_NONE] = "none",         [BIMI_SPF_RESULT_NEUTRAL] = "neutral",
  [BIMI_SPF_RESULT_PASS] = "pass",         [BIMI_SPF_RESULT_FAIL] = "fail",
  [BIMI_SPF_RESULT_SOFTFAIL] = "softfail", [BIMI_SPF_RESULT_TEMPERROR] = "temperror",
  [BIMI_SPF_RESULT_PERMERROR] = "permerror",
};

BIMI_DEFINE_NAME_TO_STRING(BimiSpfResultCode, bimi_spf_result_to_string, result_names, NULL)
BIMI_DEFINE_NAME_FROM_STRING(BimiSpfResultCode, bimi_spf_result_from_string, result_names, BIMI_NAMES_ASCII_CASELESS)

const char *
bimi_spf_identity_to_string(BimiSpfIdentity identity)
{
  return identity == BIMI_SPF_IDENTITY_HELO ? "helo" : "mailfrom";
}

BIMI_DEFINE_FREE_FUNC(BimiSpfResult, bimi_spf_result_free, result)
{
  BIMI_FREE_ALL(result->domain, result->sender, result->ip, result->record, result->mechanism, result->mechanism_domain,
                result->explanation, result->problem);
}

/* ---- evaluation state ----------------------------------------------------- */

typedef struct {
  BimiDnsResolver *resolver;
  gboolean v4;
  guint8 ip[16];               /* 4 or 16 significant bytes */
  char *ip_dotted;             /* %{i} */
  char *ip_text;               /* %{c} */
  char *sender;
  char *local_part;
  char *sender_domain;
  const char *helo;
  const char *receiver;
  gint64 now;
  guint max_void;
  guint dns_terms;
  guint void_lookups;
  guint dns_queries;
  gint64 deadline;             /* monotonic µs: §4.6.4 elapsed-time limit */
  guint time_limit_ms;
  gboolean expired;            /* the deadline passed: the result is temperror */
  GPtrArray *validated;        /* %{p}/ptr: validated names, NULL until asked */
  char *problem;               /* first problem found */
  gboolean quiet;              /* problems are not recorded (exp=, validated names) */
  char *record;                /* record of the top-level domain */
  GPtrArray *records;          /* every parsed record, alive for the whole check */
} Check;

/* What decided a (sub-)evaluation. */
typedef struct {
  char *mechanism;
  char *mechanism_domain;
  const char *exp_spec;        /* (transfer none) points into a record kept in @records */
  char *exp_domain;
} Outcome;

static void
outcome_clear(Outcome *o)
{
  BIMI_FREE_ALL(o->mechanism, o->mechanism_domain, o->exp_domain);
  *o = (Outcome) { 0 };
}

typedef enum {
  MECH_NO_MATCH,
  MECH_MATCH,
  MECH_TEMPERROR,
  MECH_PERMERROR,
} MechOutcome;

static void problem(Check *c, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
problem(Check *c, const char *format, ...)
{
  va_list ap;
  if (c->problem != NULL || c->quiet)
    return; /* the first (innermost) cause is the useful one */
  va_start(ap, format);
  c->problem = g_strdup_vprintf(format, ap);
  va_end(ap);
}

/* An include/redirect target gave "none": say which term turned it into permerror. */
static void
wrap_problem(Check *c, const char *domain, const char *term, const char *why)
{
  char *inner = c->problem;
  if (c->quiet)
    return;
  c->problem = g_strdup_printf("%s: '%s': %s (%s)", domain, term, inner != NULL ? inner : "no SPF record", why);
  g_free(inner);
}

/* Bytes → printable ASCII text (\xHH for the rest), for records in results and messages. */
static char *
printable(const char *data, gsize len)
{
  return bimi_text_escape_ascii(data, len, len, BIMI_TEXT_ESCAPE_DEFAULT);
}

/* §4.6.4: the elapsed-time limit ended the check. Recorded even when quiet
 * (inside ptr/%{p}): it is the cause of the temperror that follows. */
static void
expire(Check *c, BimiDnsType type, const char *name)
{
  if (!c->expired) {
    g_free(c->problem);
    c->problem = g_strdup_printf("deadline: the elapsed-time limit of %u ms passed at %s %s (RFC 7208 4.6.4)",
                                 c->time_limit_ms, bimi_dns_type_to_string(type), name);
  }
  c->expired = TRUE;
}

/* One DNS question. Returns the status; *out_answer is set for NOERROR only. */
static BimiDnsStatus
dns_query(Check *c, const char *name, BimiDnsType type, BimiDnsAnswer **out_answer)
{
  g_autoptr(GError) error = NULL;
  BimiDnsAnswer *answer;

  *out_answer = NULL;
  if (c->expired || g_get_monotonic_time() >= c->deadline) {
    expire(c, type, name); /* nothing more is asked */
    return BIMI_DNS_TEMPERROR;
  }
  c->dns_queries++;
  /* A name no query can be composed for is NXDOMAIN (§4.3). */
  answer = bimi_dns_lookup_record_deadline(c->resolver, name, type, c->deadline, NULL, &error);
  if (answer == NULL) {
    problem(c, "%s %s: %s", bimi_dns_type_to_string(type), name, error->message);
    return BIMI_DNS_TEMPERROR;
  }
  if (answer->status == BIMI_DNS_NOERROR && answer->records->len > 0) {
    *out_answer = answer;
    return BIMI_DNS_NOERROR;
  }
  {
    BimiDnsStatus status = answer->status == BIMI_DNS_NOERROR ? BIMI_DNS_NODATA : answer->status;
    if (status == BIMI_DNS_TEMPERROR && g_strcmp0(answer->detail, "deadline") == 0)
      expire(c, type, name);
    else if (status == BIMI_DNS_TEMPERROR)
      problem(c, "DNS temperror for %s %s (%s)", bimi_dns_type_to_string(type), name,
              answer->detail != NULL ? answer->detail : "no answer");
    bimi_dns_answer_free(answer);
    return status;
  }
}

static gboolean
address_in_network(const Check *c, const guint8 *addr, guint prefix)
{
  gsize full = prefix / 8;
  guint rest = prefix % 8;
  if (memcmp(c->ip, addr, full) != 0)
    return FALSE;
  if (rest != 0) {
    guint8 mask = (guint8) (0xffu << (8 - rest));
    if ((c->ip[full] & mask) != (addr[full] & mask))
      return FALSE;
  }
  return TRUE;
}

/* Whether any A/AAAA record of @answer is within the CIDR of the client address. */
static gboolean
answer_matches(const Check *c, const BimiDnsAnswer *answer, guint cidr4, guint cidr6)
{
  for (guint i = 0; i < answer->records->len; i++) {
    const BimiDnsRecord *r = g_ptr_array_index(answer->records, i);
    gsize size;
    const guint8 *bytes;
    if (r->address == NULL)
      continue;
    size = g_inet_address_get_native_size(r->address);
    bytes = g_inet_address_to_bytes(r->address);
    if (c->v4 && size == 4 && address_in_network(c, bytes, cidr4))
      return TRUE;
    if (!c->v4 && size == 16 && address_in_network(c, bytes, cidr6))
      return TRUE;
  }
  return FALSE;
}

static MechOutcome
count_term(Check *c, const char *domain, const BimiSpfMechanism *m, const char *term)
{
  if (c->dns_terms >= BIMI_SPF_MAX_DNS_TERMS) {
    problem(c, "%s: more than %u DNS-querying terms (at '%s')", domain, BIMI_SPF_MAX_DNS_TERMS,
            m != NULL ? m->text : term);
    return MECH_PERMERROR;
  }
  c->dns_terms++;
  return MECH_NO_MATCH;
}

static MechOutcome
count_void(Check *c, const char *domain, const char *term)
{
  c->void_lookups++;
  if (c->void_lookups > c->max_void) {
    problem(c, "%s: more than %u void lookups (at '%s')", domain, c->max_void, term);
    return MECH_PERMERROR;
  }
  return MECH_NO_MATCH;
}

/* ---- %{p} and "ptr": validated domain names (§5.5) ---------------------- */

static GPtrArray *
validated_names(Check *c)
{
  g_autoptr(BimiDnsAnswer) ptr = NULL;
  g_autofree char *reverse = NULL;
  g_autoptr(GInetAddress) addr = NULL;

  gboolean was_quiet = c->quiet;

  if (c->validated != NULL)
    return c->validated;
  c->validated = g_ptr_array_new_with_free_func(g_free);
  addr = g_inet_address_new_from_bytes(c->ip, c->v4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  reverse = bimi_dns_reverse_name(addr);
  c->quiet = TRUE; /* DNS errors here are never the cause of a result (§5.5) */
  if (dns_query(c, reverse, BIMI_DNS_TYPE_PTR, &ptr) != BIMI_DNS_NOERROR) {
    c->quiet = was_quiet;
    return c->validated; /* §5.5: a DNS error or no PTR: no validated names */
  }
  for (guint i = 0, tried = 0; i < ptr->records->len && tried < BIMI_SPF_MAX_PTR_NAMES; i++) {
    const BimiDnsRecord *r = g_ptr_array_index(ptr->records, i);
    g_autoptr(BimiDnsAnswer) a = NULL;
    if (r->name == NULL || r->name[0] == '\0' || strcmp(r->name, ".") == 0)
      continue; /* the root is no host name */
    tried++;
    if (dns_query(c, r->name, c->v4 ? BIMI_DNS_TYPE_A : BIMI_DNS_TYPE_AAAA, &a) != BIMI_DNS_NOERROR)
      continue; /* §5.5: an error on the address lookup skips that name */
    if (answer_matches(c, a, 32, 128))
      g_ptr_array_add(c->validated, g_strdup(r->name));
  }
  c->quiet = was_quiet;
  return c->validated;
}

typedef struct {
  Check *check;
  const char *domain;
} PContext;

/* §7.3 "p": <domain> itself if validated, else a subdomain of it, else any validated name. */
static const char *
validated_name_for(gpointer user_data, GError **error)
{
  PContext *pc = user_data;
  GPtrArray *names = validated_names(pc->check);
  const char *pick = NULL;
  for (guint i = 0; i < names->len && pick == NULL; i++) {
    const char *n = g_ptr_array_index(names, i);
    if (g_ascii_strcasecmp(n, pc->domain) == 0)
      pick = n;
  }
  for (guint i = 0; i < names->len && pick == NULL; i++) {
    const char *n = g_ptr_array_index(names, i);
    if (bimi_domain_is_within(n, pc->domain))
      pick = n;
  }
  if (pick == NULL && names->len > 0)
    pick = g_ptr_array_index(names, 0);
  return pick != NULL ? pick : "unknown";
}

static void
macro_context(Check *c, const char *domain, PContext *pc, BimiSpfMacroContext *ctx)
{
  pc->check = c;
  pc->domain = domain;
  *ctx = (BimiSpfMacroContext) {
    .sender = c->sender,
    .local_part = c->local_part,
    .sender_domain = c->sender_domain,
    .domain = domain,
    .ip_dotted = c->ip_dotted,
    .ip_text = c->ip_text,
    .ip_version = c->v4 ? "in-addr" : "ip6",
    .helo = c->helo,
    .receiver = c->receiver,
    .now = c->now,
    .validated_name = validated_name_for,
    .validated_name_data = pc,
  };
}

/* Expands a domain-spec (§4.8, §7). FALSE = permerror; TRUE with *out_name
 * NULL = not a usable DNS name (treated as non-existent). */
static gboolean
expand_domain(Check *c, const char *domain, const char *spec, const char *term, char **out_name)
{
  BimiSpfMacroContext ctx;
  PContext pc;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new(NULL);

  *out_name = NULL;
  if (spec == NULL) {
    *out_name = g_strdup(domain);
    return TRUE;
  }
  macro_context(c, domain, &pc, &ctx);
  if (!bimi_spf__macro_expand(spec, strlen(spec), BIMI_SPF_MACRO_DOMAIN, &ctx, out, &error)) {
    problem(c, "%s: '%s': %s", domain, term, error->message);
    return FALSE;
  }
  *out_name = bimi_spf__domain_from_expansion(out->str);
  return TRUE;
}

/* ---- record lookup and selection (§4.4, §4.5) ---------------------------- */

static BimiSpfResultCode evaluate(Check *c, const char *domain, Outcome *out, guint depth);

/* Returns PASS as "found" (with *out_record), or NONE / TEMPERROR / PERMERROR. */
static BimiSpfResultCode
fetch_record(Check *c, const char *domain, BimiSpfRecord **out_record, char **out_text)
{
  g_autoptr(BimiDnsAnswer) txt = NULL;
  const BimiDnsRecord *found = NULL;
  guint count = 0;
  BimiDnsStatus status;
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data;

  status = dns_query(c, domain, BIMI_DNS_TYPE_TXT, &txt);
  if (status == BIMI_DNS_TEMPERROR)
    return BIMI_SPF_RESULT_TEMPERROR;
  if (status != BIMI_DNS_NOERROR) {
    problem(c, "%s: no SPF record (%s)", domain, bimi_dns_status_to_string(status));
    return BIMI_SPF_RESULT_NONE;
  }
  for (guint i = 0; i < txt->records->len; i++) {
    const BimiDnsRecord *r = g_ptr_array_index(txt->records, i);
    const char *d;
    gsize l = 0;
    if (r->text == NULL)
      continue;
    d = g_bytes_get_data(r->text, &l);
    if (bimi_spf__record_is_spf(d, l)) {
      found = r;
      count++;
    }
  }
  if (count == 0) {
    problem(c, "%s: no SPF record among %u TXT records", domain, txt->records->len);
    return BIMI_SPF_RESULT_NONE;
  }
  if (count > 1) {
    problem(c, "%s: %u SPF records (RFC 7208 4.5: exactly one allowed)", domain, count);
    return BIMI_SPF_RESULT_PERMERROR;
  }
  data = g_bytes_get_data(found->text, &len);
  *out_text = printable(data, len);
  *out_record = bimi_spf__record_parse(data, len, &error);
  if (*out_record == NULL) {
    problem(c, "%s: SPF record: %s", domain, error->message);
    return BIMI_SPF_RESULT_PERMERROR;
  }
  return BIMI_SPF_RESULT_PASS;
}

/* ---- mechanisms (§5) ----------------------------------------------------- */

static MechOutcome
eval_addresses(Check *c, const char *domain, const BimiSpfMechanism *m, const char *target,
               gboolean count_voids)
{
  g_autoptr(BimiDnsAnswer) answer = NULL;
  BimiDnsStatus status = dns_query(c, target, c->v4 ? BIMI_DNS_TYPE_A : BIMI_DNS_TYPE_AAAA, &answer);
  if (status == BIMI_DNS_TEMPERROR)
    return MECH_TEMPERROR;
  if (status != BIMI_DNS_NOERROR)
    return count_voids ? count_void(c, domain, m->text) : MECH_NO_MATCH;
  return answer_matches(c, answer, m->cidr4, m->cidr6) ? MECH_MATCH : MECH_NO_MATCH;
}

static MechOutcome
eval_mx(Check *c, const char *domain, const BimiSpfMechanism *m, const char *target)
{
  g_autoptr(BimiDnsAnswer) mx = NULL;
  BimiDnsStatus status = dns_query(c, target, BIMI_DNS_TYPE_MX, &mx);

  if (status == BIMI_DNS_TEMPERROR)
    return MECH_TEMPERROR;
  if (status != BIMI_DNS_NOERROR)
    return count_void(c, domain, m->text);
  if (mx->records->len > BIMI_SPF_MAX_MX_NAMES) {
    problem(c, "%s: '%s': %s has %u MX records, more than %u", domain, m->text, target,
            mx->records->len, BIMI_SPF_MAX_MX_NAMES);
    return MECH_PERMERROR;
  }
  for (guint i = 0; i < mx->records->len; i++) {
    const BimiDnsRecord *r = g_ptr_array_index(mx->records, i);
    MechOutcome o;
    if (r->name == NULL || r->name[0] == '\0' || strcmp(r->name, ".") == 0)
      continue; /* null MX (RFC 7505) */
    o = eval_addresses(c, domain, m, r->name, FALSE);
    if (o != MECH_NO_MATCH)
      return o;
  }
  return MECH_NO_MATCH;
}

static MechOutcome
eval_mechanism(Check *c, const char *domain, const BimiSpfMechanism *m, guint depth)
{
  g_autofree char *target = NULL;
  MechOutcome o;

  switch (m->kind) {
  case BIMI_SPF_MECH_ALL:
    return MECH_MATCH;
  case BIMI_SPF_MECH_IP4:
    return c->v4 && address_in_network(c, m->network, m->cidr4) ? MECH_MATCH : MECH_NO_MATCH;
  case BIMI_SPF_MECH_IP6:
    return !c->v4 && address_in_network(c, m->network, m->cidr6) ? MECH_MATCH : MECH_NO_MATCH;
  default:
    break;
  }
  if ((o = count_term(c, domain, m, NULL)) != MECH_NO_MATCH)
    return o;
  if (!expand_domain(c, domain, m->domain_spec, m->text, &target))
    return MECH_PERMERROR;
  if (target == NULL && m->kind != BIMI_SPF_MECH_INCLUDE)
    return MECH_NO_MATCH;

  switch (m->kind) {
  case BIMI_SPF_MECH_A:
    return eval_addresses(c, domain, m, target, TRUE);
  case BIMI_SPF_MECH_MX:
    return eval_mx(c, domain, m, target);
  case BIMI_SPF_MECH_EXISTS: {
    g_autoptr(BimiDnsAnswer) a = NULL;
    BimiDnsStatus status = dns_query(c, target, BIMI_DNS_TYPE_A, &a); /* A even for IPv6 (§5.7) */
    if (status == BIMI_DNS_TEMPERROR)
      return MECH_TEMPERROR;
    if (status != BIMI_DNS_NOERROR)
      return count_void(c, domain, m->text);
    return MECH_MATCH;
  }
  case BIMI_SPF_MECH_PTR: {
    GPtrArray *names = validated_names(c);
    if (c->expired)
      return MECH_TEMPERROR;
    for (guint i = 0; i < names->len; i++) {
      if (bimi_domain_is_within(g_ptr_array_index(names, i), target))
        return MECH_MATCH;
    }
    return MECH_NO_MATCH;
  }
  case BIMI_SPF_MECH_INCLUDE: {
    Outcome sub = { 0 };
    BimiSpfResultCode r;
    if (target == NULL) {
      problem(c, "%s: '%s': target is not a valid domain name", domain, m->text);
      return MECH_PERMERROR;
    }
    r = evaluate(c, target, &sub, depth + 1);
    outcome_clear(&sub);
    switch (r) {
    case BIMI_SPF_RESULT_PASS:
      return MECH_MATCH;
    case BIMI_SPF_RESULT_FAIL:
    case BIMI_SPF_RESULT_SOFTFAIL:
    case BIMI_SPF_RESULT_NEUTRAL:
      return MECH_NO_MATCH;
    case BIMI_SPF_RESULT_TEMPERROR:
      return MECH_TEMPERROR;
    case BIMI_SPF_RESULT_NONE:
      wrap_problem(c, domain, m->text, "RFC 7208 5.2: permerror");
      return MECH_PERMERROR;
    case BIMI_SPF_RESULT_PERMERROR:
    default:
      return MECH_PERMERROR;
    }
  }
  default:
    g_assert_not_reached();
  }
  return MECH_NO_MATCH;
}

/* ---- check_host() (§4) ------------------------------------------------------ */

static BimiSpfResultCode
evaluate(Check *c, const char *domain, Outcome *out, guint depth)
{
  BimiSpfRecord *rec = NULL;
  g_autofree char *text = NULL;
  BimiSpfResultCode r;

  if (!bimi_spf__domain_is_valid(domain)) {
    problem(c, "'%s' is not a valid multi-label domain name (RFC 7208 4.3)", domain);
    return BIMI_SPF_RESULT_NONE;
  }
  r = fetch_record(c, domain, &rec, &text);
  if (r != BIMI_SPF_RESULT_PASS)
    return r;
  g_ptr_array_add(c->records, rec); /* Outcome.exp_spec may point into it */
  if (depth == 0)
    c->record = g_steal_pointer(&text);

  for (guint i = 0; i < rec->mechanisms->len; i++) {
    const BimiSpfMechanism *m = g_ptr_array_index(rec->mechanisms, i);
    MechOutcome o = eval_mechanism(c, domain, m, depth);
    if (c->expired)
      return BIMI_SPF_RESULT_TEMPERROR; /* §4.6.4, also when %{p} ran out of time */
    switch (o) {
    case MECH_NO_MATCH:
      continue;
    case MECH_MATCH:
      out->mechanism = g_strdup(m->text);
      out->mechanism_domain = g_strdup(domain);
      if (m->qualifier == BIMI_SPF_RESULT_FAIL && rec->exp != NULL) {
        out->exp_spec = rec->exp;
        out->exp_domain = g_strdup(domain);
      }
      return m->qualifier;
    case MECH_TEMPERROR:
      return BIMI_SPF_RESULT_TEMPERROR;
    case MECH_PERMERROR:
      return BIMI_SPF_RESULT_PERMERROR;
    }
  }
  if (rec->redirect != NULL) {
    g_autofree char *target = NULL;
    g_autofree char *term = g_strconcat("redirect=", rec->redirect, NULL);
    if (count_term(c, domain, NULL, term) != MECH_NO_MATCH)
      return BIMI_SPF_RESULT_PERMERROR;
    if (!expand_domain(c, domain, rec->redirect, term, &target))
      return BIMI_SPF_RESULT_PERMERROR;
    if (target == NULL) {
      problem(c, "%s: '%s': target is not a valid domain name (RFC 7208 6.1: permerror)", domain, term);
      return BIMI_SPF_RESULT_PERMERROR;
    }
    /* §6.1: the redirected record replaces this one, exp= included (§6.2). */
    r = evaluate(c, target, out, depth + 1);
    if (r == BIMI_SPF_RESULT_NONE) {
      wrap_problem(c, domain, term, "RFC 7208 6.1: permerror");
      return BIMI_SPF_RESULT_PERMERROR;
    }
    return r;
  }
  return BIMI_SPF_RESULT_NEUTRAL; /* §4.7 */
}

/* §6.2: the explanation of a fail. NULL when exp= is absent or unusable. */
static char *
explain(Check *c, const Outcome *o)
{
  g_autofree char *target = NULL;
  g_autoptr(BimiDnsAnswer) txt = NULL;
  BimiSpfMacroContext ctx;
  PContext pc;
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(GError) error = NULL;
  const char *data;
  gsize len;
  char *result = NULL;

  if (o->exp_spec == NULL)
    return NULL;
  /* Problems with exp= never change the result nor its problem. */
  c->quiet = TRUE;
  if (!expand_domain(c, o->exp_domain, o->exp_spec, "exp=", &target) || target == NULL)
    goto out;
  if (dns_query(c, target, BIMI_DNS_TYPE_TXT, &txt) != BIMI_DNS_NOERROR || txt->records->len != 1)
    goto out;
  {
    const BimiDnsRecord *r = g_ptr_array_index(txt->records, 0);
    if (r->text == NULL)
      goto out;
    data = g_bytes_get_data(r->text, &len);
  }
  if (len > BIMI_SPF_MAX_EXPLANATION_BYTES)
    goto out;
  macro_context(c, o->exp_domain, &pc, &ctx);
  if (!bimi_spf__macro_expand(data, len, BIMI_SPF_MACRO_EXPLAIN, &ctx, out, &error))
    goto out;
  if (out->len > BIMI_SPF_MAX_EXPLANATION_BYTES)
    goto out;
  result = g_strndup(out->str, out->len);
out:
  c->quiet = FALSE;
  return result;
}

static char *
default_explanation(Check *c, const char *domain, const char *text)
{
  BimiSpfMacroContext ctx;
  PContext pc;
  g_autoptr(GString) out = g_string_new(NULL);
  char *result = NULL;

  c->quiet = TRUE;
  macro_context(c, domain, &pc, &ctx);
  if (bimi_spf__macro_expand(text, strlen(text), BIMI_SPF_MACRO_EXPLAIN, &ctx, out, NULL) &&
      out->len <= BIMI_SPF_MAX_EXPLANATION_BYTES)
    result = g_strndup(out->str, out->len);
  c->quiet = FALSE;
  return result;
}

/* Accepts printable ASCII and UTF-8 (SMTPUTF8), no control bytes. */
static gboolean
check_input(const char *what, const char *value, GError **error)
{
  gsize len;
  if (value == NULL)
    return TRUE;
  len = strlen(value);
  if (len > BIMI_SPF_MAX_SENDER_BYTES) {
    g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_INPUT, "%s: %" G_GSIZE_FORMAT
                " bytes, more than %u", what, len, BIMI_SPF_MAX_SENDER_BYTES);
    return FALSE;
  }
  if (!g_utf8_validate_len(value, len, NULL)) {
    g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_INPUT, "%s: not UTF-8", what);
    return FALSE;
  }
  for (gsize i = 0; i < len; i++) {
    guint8 b = (guint8) value[i];
    if (b < 0x20 || b == 0x7f) {
      g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_INPUT,
                  "%s: control byte 0x%02x at offset %" G_GSIZE_FORMAT, what, b, i);
      return FALSE;
    }
  }
  return TRUE;
}

static void
setup_ip(Check *c, GInetAddress *ip)
{
  const guint8 *b = g_inet_address_to_bytes(ip);
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  g_autoptr(GInetAddress) norm = NULL;

  if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6 && memcmp(b, mapped, 12) == 0) {
    c->v4 = TRUE; /* §5: IPv4-mapped IPv6 is an IPv4 client */
    memcpy(c->ip, b + 12, 4);
  } else if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV4) {
    c->v4 = TRUE;
    memcpy(c->ip, b, 4);
  } else {
    c->v4 = FALSE;
    memcpy(c->ip, b, 16);
  }
  norm = g_inet_address_new_from_bytes(c->ip, c->v4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  c->ip_text = g_inet_address_to_string(norm);
  if (c->v4) {
    c->ip_dotted = g_strdup(c->ip_text);
  } else {
    /* §7.3: "dot-format", one nibble per label, most significant first (§7.4 example) */
    static const char hex[] = "0123456789abcdef";
    GString *s = g_string_sized_new(64);
    for (int i = 0; i < 16; i++) {
      if (i > 0)
        g_string_append_c(s, '.');
      g_string_append_c(s, hex[c->ip[i] >> 4]);
      g_string_append_c(s, '.');
      g_string_append_c(s, hex[c->ip[i] & 15]);
    }
    c->ip_dotted = g_string_free(s, FALSE);
  }
}

BimiSpfResult *
bimi_spf_check_host(BimiDnsResolver *resolver, GInetAddress *ip, const char *domain,
                    const char *sender, const char *helo, const BimiSpfOptions *options,
                    GError **error)
{
  Check c = { 0 };
  Outcome out = { 0 };
  BimiSpfResult *res;
  const char *at;

  g_return_val_if_fail(resolver != NULL, NULL);
  g_return_val_if_fail(G_IS_INET_ADDRESS(ip), NULL);
  g_return_val_if_fail(domain != NULL && sender != NULL, NULL);

  if (!check_input("domain", domain, error) || !check_input("sender", sender, error))
    return NULL;
  /* HELO only feeds %{h} here (the HELO identity passes it as @domain too,
   * where it was checked above): an unusable one expands as "unknown", as
   * an absent one does, instead of stopping the MAIL FROM check. */
  if (!check_input("HELO", helo, NULL))
    helo = NULL;

  c.resolver = resolver;
  c.helo = helo;
  c.receiver = options != NULL && options->receiver != NULL ? options->receiver : "unknown";
  c.now = options != NULL ? options->now : 0;
  c.max_void = options != NULL && options->max_void_lookups != 0 ? options->max_void_lookups
                                                                 : BIMI_SPF_MAX_VOID_LOOKUPS;
  c.time_limit_ms = options != NULL && options->time_limit_ms != 0 ? options->time_limit_ms
                                                                   : BIMI_SPF_DEFAULT_TIME_LIMIT_MS;
  c.deadline = g_get_monotonic_time() + (gint64) c.time_limit_ms * G_TIME_SPAN_MILLISECOND;
  setup_ip(&c, ip);

  /* §4.3: a sender without local-part gets "postmaster". */
  at = strrchr(sender, '@');
  if (at == NULL) {
    c.local_part = g_strdup("postmaster");
    c.sender_domain = g_strdup(sender);
  } else {
    c.local_part = at == sender ? g_strdup("postmaster") : g_strndup(sender, (gsize) (at - sender));
    c.sender_domain = g_strdup(at + 1);
  }
  c.sender = g_strconcat(c.local_part, "@", c.sender_domain, NULL);

  c.records = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_spf__record_free);

  res = g_new0(BimiSpfResult, 1);
  res->identity = BIMI_SPF_IDENTITY_MAILFROM;
  res->domain = g_strdup(domain);
  res->sender = g_strdup(c.sender);
  res->ip = g_strdup(c.ip_text);

  {
    /* §4.3: the domain without its root label, as evaluated and reported */
    gsize dl = strlen(res->domain);
    if (dl > 1 && res->domain[dl - 1] == '.')
      res->domain[dl - 1] = '\0';
    res->result = evaluate(&c, res->domain, &out, 0);
  }
  if (res->result == BIMI_SPF_RESULT_FAIL) {
    res->explanation = explain(&c, &out);
    if (res->explanation == NULL && options != NULL && options->default_explanation != NULL)
      res->explanation = default_explanation(&c, out.mechanism_domain != NULL ? out.mechanism_domain : domain,
                                             options->default_explanation);
  }
  if (res->result != BIMI_SPF_RESULT_TEMPERROR && res->result != BIMI_SPF_RESULT_PERMERROR &&
      res->result != BIMI_SPF_RESULT_NONE) {
    res->mechanism = g_steal_pointer(&out.mechanism);
    res->mechanism_domain = g_steal_pointer(&out.mechanism_domain);
  } else {
    res->problem = g_steal_pointer(&c.problem);
    if (res->problem == NULL && res->result != BIMI_SPF_RESULT_NONE)
      res->problem = g_strdup("unknown error");
  }
  res->record = g_steal_pointer(&c.record);
  res->dns_lookups = c.dns_terms;
  res->void_lookups = c.void_lookups;
  res->dns_queries = c.dns_queries;

  outcome_clear(&out);
  g_ptr_array_unref(c.records);
  g_clear_pointer(&c.validated, g_ptr_array_unref);
  BIMI_FREE_ALL(c.problem, c.record, c.ip_dotted, c.ip_text, c.sender, c.local_part, c.sender_domain);
  return res;
}

BimiSpfResult *
bimi_spf_check(BimiDnsResolver *resolver, GInetAddress *ip, const char *helo, const char *mail_from,
               const BimiSpfOptions *options, GError **error)
{
  g_autofree char *addr = NULL;
  BimiSpfResult *res;

  g_return_val_if_fail(resolver != NULL, NULL);
  g_return_val_if_fail(G_IS_INET_ADDRESS(ip), NULL);

  if (mail_from != NULL) {
    gsize len = strlen(mail_from);
    if (len >= 2 && mail_from[0] == '<' && mail_from[len - 1] == '>')
      addr = g_strndup(mail_from + 1, len - 2);
    else
      addr = g_strdup(mail_from);
  }
  if (addr != NULL && addr[0] != '\0') {
    const char *at = strrchr(addr, '@');
    return bimi_spf_check_host(resolver, ip, at != NULL ? at + 1 : addr, addr, helo, options, error);
  }
  if (helo == NULL || helo[0] == '\0') {
    g_set_error(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_INPUT,
                "neither a MAIL FROM address nor a HELO name to check");
    return NULL;
  }
  {
    /* §2.4: null reverse-path: check the HELO identity with postmaster@HELO. */
    g_autofree char *sender = g_strconcat("postmaster@", helo, NULL);
    res = bimi_spf_check_host(resolver, ip, helo, sender, helo, options, error);
  }
  if (res != NULL)
    res->identity = BIMI_SPF_IDENTITY_HELO;
  return res;
}

BimiSpfResult *
bimi_spf_check_helo(BimiDnsResolver *resolver, GInetAddress *ip, const char *helo, const BimiSpfResult *mail_from,
                    const BimiSpfOptions *options)
{
  g_autofree char *sender = NULL;
  g_autoptr(GError) ignored = NULL;
  BimiSpfResult *res;

  g_return_val_if_fail(resolver != NULL, NULL);
  g_return_val_if_fail(G_IS_INET_ADDRESS(ip), NULL);
  if (helo == NULL || helo[0] == '\0' || mail_from == NULL || mail_from->identity != BIMI_SPF_IDENTITY_MAILFROM)
    return NULL;
  sender = g_strconcat("postmaster@", helo, NULL);
  res = bimi_spf_check_host(resolver, ip, helo, sender, helo, options, &ignored);
  if (res != NULL)
    res->identity = BIMI_SPF_IDENTITY_HELO;
  return res;
}
