/* engine/rdns.c — forward-confirmed reverse DNS: RFC 8601 §2.7.3 (iprev),
 * RFC 1035 §3.5 and RFC 3596 §2.5 (reverse names), RFC 2317 (CNAMEs in
 * in-addr.arpa, followed by the DNS layer), M3AAWG Sender BCP (one PTR per
 * sending address, forward-confirmed; generic names are a signal).
 *
 * Deliberate choices:
 *  - At most BIMI_RDNS_MAX_PTR_NAMES names get a forward query (the limit
 *    RFC 7208 §4.6.4 uses for the same data): PTR data belongs to whoever
 *    controls the address and must not cost unbounded queries.
 *  - "none" covers both NXDOMAIN and NODATA; RFC 8601 iprev would say
 *    "permerror" for NXDOMAIN: the CLI/JSON keep the engine's name.
 *  - A forward-query failure only yields temperror when no other name
 *    confirms; an invalid PTR name (not a DNS name) is skipped. A PTR to
 *    the root (".") names no host: it is neither reported nor tried, so
 *    an address whose only PTR is "." has no PTR name: none.
 *  - The recommended action never rejects on a temporary failure.
 *  - One elapsed-time budget for the whole check, by default
 *    BIMI_RDNS_BUDGET_QUERIES (2) per-query timeouts: the PTR query may use
 *    a whole timeout and the forward lookups share what is left, asked one
 *    after the other in answer order. Without it, ten PTR names on dead
 *    servers cost ten timeouts. Asking the forward lookups concurrently
 *    would bound the time by one timeout too, but costs every query even
 *    when the first name confirms (the common case: M3AAWG asks for one
 *    PTR), and makes names_tried and dns_queries depend on timing. A
 *    budget that runs out gives temperror, never fail: the names not
 *    asked might have confirmed.
 */
#include "engine/rdns.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-names.h"
#include "engine/limits.h"

#include <string.h>

G_DEFINE_QUARK(bimi-rdns-error-quark, bimi_rdns_error)

static const char *const result_names[] = {
  [BIMI_RDNS_RESULT_NONE] = "none",
  [BIMI_RDNS_RESULT_PASS] = "pass",
  [BIMI_RDNS_RESULT_FAIL] = "fail",
  [BIMI_RDNS_RESULT_TEMPERROR] = "temperror",
};

static const char *const action_names[] = {
  [BIMI_RDNS_ACTION_ACCEPT] = "accept",
  [BIMI_RDNS_ACTION_TAG] = "tag",
  [BIMI_RDNS_ACTION_GREYLIST] = "greylist",
  [BIMI_RDNS_ACTION_REJECT] = "reject",
};

BIMI_DEFINE_NAME_TO_STRING(BimiRdnsResultCode, bimi_rdns_result_to_string, result_names, NULL)
BIMI_DEFINE_NAME_TO_STRING(BimiRdnsAction, bimi_rdns_action_to_string, action_names, NULL)
BIMI_DEFINE_NAME_FROM_STRING(BimiRdnsAction, bimi_rdns_action_from_string, action_names, BIMI_NAMES_ASCII_CASELESS)

BIMI_DEFINE_FREE_FUNC(BimiRdnsResult, bimi_rdns_result_free, result)
{
  BIMI_FREE_ALL(result->ip, result->reverse_name);
  g_clear_pointer(&result->ptr_names, g_ptr_array_unref);
  BIMI_FREE_ALL(result->confirmed_name, result->generic_reason, result->problem);
}

/* ---- generic-name heuristic ------------------------------------------------ */

static const char *const generic_tokens[] = {
  "dyn", "dynamic", "dynip", "dhcp", "pool", "dsl", "adsl", "vdsl", "xdsl", "cable", "ppp",
  "pppoe", "client", "dialup", "dial", "broadband", "cpe", "customer",
};

/* Whether @needle occurs in @hay with no @boundary-class character right before or after it. */
static gboolean
contains_bounded(const char *hay, const char *needle, gboolean hex_boundary)
{
  gsize nl = strlen(needle);
  for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) {
    char before = p == hay ? '\0' : p[-1];
    char after = p[nl];
    gboolean bad_before = hex_boundary ? g_ascii_isalnum(before) : g_ascii_isdigit(before);
    gboolean bad_after = hex_boundary ? g_ascii_isalnum(after) : g_ascii_isdigit(after);
    if (!bad_before && !bad_after)
      return TRUE;
  }
  return FALSE;
}

static gboolean
embeds_address(const char *name, GInetAddress *ip, char **out_form)
{
  const guint8 *b = g_inet_address_to_bytes(ip);

  if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV4) {
    static const char seps[] = { '-', '.', '_' };
    static const char *const sep_names[] = { "dashed", "dotted", "underscored" };
    char buf[64];
    /* every decimal form below is made of digits: a name without one holds none of them */
    gboolean has_digit = strpbrk(name, "0123456789") != NULL;
    for (guint s = 0; has_digit && s < G_N_ELEMENTS(seps); s++) {
      g_snprintf(buf, sizeof buf, "%u%c%u%c%u%c%u", b[0], seps[s], b[1], seps[s], b[2], seps[s], b[3]);
      if (contains_bounded(name, buf, FALSE)) {
        *out_form = g_strdup(sep_names[s]);
        return TRUE;
      }
      g_snprintf(buf, sizeof buf, "%u%c%u%c%u%c%u", b[3], seps[s], b[2], seps[s], b[1], seps[s], b[0]);
      if (contains_bounded(name, buf, FALSE)) {
        *out_form = g_strdup_printf("%s, reversed", sep_names[s]);
        return TRUE;
      }
    }
    if (has_digit) {
      g_snprintf(buf, sizeof buf, "%03u%03u%03u%03u", b[0], b[1], b[2], b[3]);
      if (contains_bounded(name, buf, FALSE)) {
        *out_form = g_strdup("zero-padded");
        return TRUE;
      }
      g_snprintf(buf, sizeof buf, "%03u%03u%03u%03u", b[3], b[2], b[1], b[0]);
      if (contains_bounded(name, buf, FALSE)) {
        *out_form = g_strdup("zero-padded, reversed");
        return TRUE;
      }
    }
    g_snprintf(buf, sizeof buf, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
    if (contains_bounded(name, buf, TRUE)) {
      *out_form = g_strdup("hex");
      return TRUE;
    }
    return FALSE;
  } else {
    char hex[33];
    g_autofree char *text = g_inet_address_to_string(ip);
    for (int i = 0; i < 16; i++)
      g_snprintf(hex + 2 * i, 3, "%02x", b[i]);
    if (contains_bounded(name, hex, TRUE)) {
      *out_form = g_strdup("hex");
      return TRUE;
    }
    if (contains_bounded(name, hex + 16, TRUE)) {
      *out_form = g_strdup("hex interface identifier");
      return TRUE;
    }
    g_strdelimit(text, ":", '-');
    if (strlen(text) >= 6 && contains_bounded(name, text, TRUE)) {
      *out_form = g_strdup("dashed");
      return TRUE;
    }
    return FALSE;
  }
}

gboolean
bimi_rdns_generic_name(const char *name, GInetAddress *ip, char **out_reason)
{
  g_autofree char *lower = NULL;
  g_autofree char *form = NULL;

  g_return_val_if_fail(name != NULL, FALSE);
  if (out_reason != NULL)
    *out_reason = NULL;
  lower = g_ascii_strdown(name, -1);
  if (ip != NULL && embeds_address(lower, ip, &form)) {
    if (out_reason != NULL)
      *out_reason = g_strdup_printf("%s: embeds the address (%s)", name, form);
    return TRUE;
  }
  /* tokens: alphabetic runs of each label */
  for (const char *p = lower; *p != '\0';) {
    const char *start;
    gsize len;
    while (*p != '\0' && !g_ascii_isalpha(*p))
      p++;
    start = p;
    while (g_ascii_isalpha(*p))
      p++;
    len = (gsize) (p - start);
    if (len == 0)
      continue;
    for (guint i = 0; i < G_N_ELEMENTS(generic_tokens); i++) {
      if (strlen(generic_tokens[i]) == len && memcmp(start, generic_tokens[i], len) == 0) {
        if (out_reason != NULL)
          *out_reason = g_strdup_printf("%s: generic label token '%s'", name, generic_tokens[i]);
        return TRUE;
      }
    }
  }
  return FALSE;
}

/* ---- the check ----------------------------------------------------------------- */

static gboolean
answer_has(const BimiDnsAnswer *answer, GInetAddress *ip)
{
  for (guint i = 0; i < answer->records->len; i++) {
    const BimiDnsRecord *r = g_ptr_array_index(answer->records, i);
    if (r->address != NULL && g_inet_address_equal(r->address, ip))
      return TRUE;
  }
  return FALSE;
}

static BimiRdnsAction
recommend(BimiRdnsResultCode result, const BimiRdnsPolicy *policy)
{
  switch (result) {
  case BIMI_RDNS_RESULT_PASS:
    return BIMI_RDNS_ACTION_ACCEPT;
  case BIMI_RDNS_RESULT_TEMPERROR:
    return policy->no_ptr_action == BIMI_RDNS_ACTION_ACCEPT ? BIMI_RDNS_ACTION_ACCEPT
                                                            : BIMI_RDNS_ACTION_GREYLIST;
  case BIMI_RDNS_RESULT_NONE:
  case BIMI_RDNS_RESULT_FAIL:
  default:
    return policy->no_ptr_action;
  }
}

/* Looks up @name/@type before @deadline; NULL with *problem set on failure
 * (temperror), or the answer. */
static BimiDnsAnswer *
ask(BimiDnsResolver *resolver, BimiRdnsResult *res, const char *name, BimiDnsType type,
    gint64 deadline, gboolean *temperror)
{
  g_autoptr(GError) error = NULL;
  BimiDnsAnswer *answer;

  *temperror = FALSE;
  res->dns_queries++;
  answer = bimi_dns_lookup_deadline(resolver, name, type, deadline, &error);
  if (answer == NULL) {
    if (!g_error_matches(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME)) {
      *temperror = TRUE;
      if (res->problem == NULL)
        res->problem = g_strdup_printf("%s %s: %s", bimi_dns_type_to_string(type), name, error->message);
    }
    return NULL;
  }
  if (answer->status == BIMI_DNS_TEMPERROR) {
    *temperror = TRUE;
    if (res->problem == NULL)
      res->problem = g_strdup_printf("%s %s: %s", bimi_dns_type_to_string(type), name,
                                     answer->detail != NULL ? answer->detail : "temporary failure");
  }
  return answer;
}

BimiRdnsResult *
bimi_rdns_check(BimiDnsResolver *resolver, GInetAddress *ip, const BimiRdnsPolicy *policy,
                GError **error)
{
  static const BimiRdnsPolicy default_policy = BIMI_RDNS_POLICY_DEFAULT;
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(BimiRdnsResult) res = NULL;
  g_autoptr(BimiDnsAnswer) ptr = NULL;
  gboolean temperror = FALSE, forward_temperror = FALSE, out_of_time = FALSE;
  GSocketFamily family;
  gint64 deadline;
  guint budget_ms;

  g_return_val_if_fail(resolver != NULL, NULL);
  g_return_val_if_fail(G_IS_INET_ADDRESS(ip), NULL);
  if (policy == NULL)
    policy = &default_policy;
  budget_ms = policy->budget_ms != 0 ? policy->budget_ms
                                     : BIMI_RDNS_BUDGET_QUERIES * bimi_dns_resolver_get_timeout_ms(resolver);
  deadline = g_get_monotonic_time() + (gint64) budget_ms * G_TIME_SPAN_MILLISECOND;

  family = g_inet_address_get_family(ip);
  if (family == G_SOCKET_FAMILY_IPV6 && memcmp(g_inet_address_to_bytes(ip), mapped, 12) == 0)
    addr = g_inet_address_new_from_bytes(g_inet_address_to_bytes(ip) + 12, G_SOCKET_FAMILY_IPV4);
  else if (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6)
    addr = g_object_ref(ip);
  else {
    g_set_error(error, BIMI_RDNS_ERROR, BIMI_RDNS_ERROR_INPUT, "not an IPv4 or IPv6 address");
    return NULL;
  }
  family = g_inet_address_get_family(addr);

  res = g_new0(BimiRdnsResult, 1);
  res->ip = g_inet_address_to_string(addr);
  res->reverse_name = bimi_dns_reverse_name(addr);
  res->ptr_names = g_ptr_array_new_with_free_func(g_free);

  ptr = ask(resolver, res, res->reverse_name, BIMI_DNS_TYPE_PTR, deadline, &temperror);
  if (temperror) {
    res->result = BIMI_RDNS_RESULT_TEMPERROR;
  } else if (ptr == NULL || ptr->status != BIMI_DNS_NOERROR || ptr->records->len == 0) {
    res->result = BIMI_RDNS_RESULT_NONE;
  } else {
    for (guint i = 0; i < ptr->records->len; i++) {
      const BimiDnsRecord *r = g_ptr_array_index(ptr->records, i);
      gboolean seen = FALSE;
      if (r->name == NULL || r->name[0] == '\0' || strcmp(r->name, ".") == 0)
        continue; /* a PTR to the root names no host: no usable name */
      for (guint j = 0; j < res->ptr_names->len && !seen; j++)
        seen = g_ascii_strcasecmp(g_ptr_array_index(res->ptr_names, j), r->name) == 0;
      if (!seen)
        g_ptr_array_add(res->ptr_names, g_ascii_strdown(r->name, -1));
    }
    res->multiple_ptr = res->ptr_names->len > 1;
    for (guint i = 0; i < res->ptr_names->len && res->names_tried < BIMI_RDNS_MAX_PTR_NAMES; i++) {
      const char *name = g_ptr_array_index(res->ptr_names, i);
      g_autoptr(BimiDnsAnswer) fwd = NULL;
      gboolean t = FALSE;
      if (g_get_monotonic_time() >= deadline) {
        forward_temperror = out_of_time = TRUE; /* the budget is spent: the rest is not asked */
        break;
      }
      res->names_tried++;
      fwd = ask(resolver, res, name,
                family == G_SOCKET_FAMILY_IPV4 ? BIMI_DNS_TYPE_A : BIMI_DNS_TYPE_AAAA, deadline, &t);
      forward_temperror |= t;
      out_of_time |= t && fwd != NULL && g_strcmp0(fwd->detail, "deadline") == 0;
      if (fwd != NULL && fwd->status == BIMI_DNS_NOERROR && answer_has(fwd, addr)) {
        res->confirmed_name = g_strdup(name);
        break;
      }
    }
    if (res->confirmed_name == NULL && out_of_time) {
      /* the budget, not one name, is why nothing confirmed: say so first */
      char *first = res->problem;
      res->problem = g_strdup_printf("deadline: the %u ms budget ran out after %u of %u names%s%s%s", budget_ms,
                                     res->names_tried, MIN(res->ptr_names->len, BIMI_RDNS_MAX_PTR_NAMES),
                                     first != NULL ? " (" : "", first != NULL ? first : "", first != NULL ? ")" : "");
      g_free(first);
    }
    if (res->confirmed_name != NULL)
      res->result = BIMI_RDNS_RESULT_PASS;
    else if (forward_temperror)
      res->result = BIMI_RDNS_RESULT_TEMPERROR;
    else if (res->ptr_names->len == 0)
      res->result = BIMI_RDNS_RESULT_NONE;
    else
      res->result = BIMI_RDNS_RESULT_FAIL;
  }
  if (res->result != BIMI_RDNS_RESULT_TEMPERROR)
    g_clear_pointer(&res->problem, g_free);

  if (res->confirmed_name != NULL) {
    res->generic_name = bimi_rdns_generic_name(res->confirmed_name, addr, &res->generic_reason);
  } else {
    for (guint i = 0; i < res->ptr_names->len && !res->generic_name; i++)
      res->generic_name = bimi_rdns_generic_name(g_ptr_array_index(res->ptr_names, i), addr,
                                                 &res->generic_reason);
  }
  res->action = recommend(res->result, policy);
  return g_steal_pointer(&res);
}
