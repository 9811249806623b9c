/* engine/rdns.h — forward-confirmed reverse DNS (FCrDNS) of an SMTP client.
 *
 * The "iprev" check of RFC 8601 §2.7.3, as M3AAWG's Sender Best Common
 * Practices ask it: the client address has a PTR record whose name
 * resolves back (A/AAAA) to the same address. Also reports the signals an MTA
 * or a webmail uses next to the verdict: every PTR name, more than one PTR,
 * and names that look like a dynamic/generic pool (a signal, not a verdict).
 */
#ifndef BIMI_RDNS_H
#define BIMI_RDNS_H

#include <glib.h>
#include "engine/base/base-json.h"
#include <gio/gio.h>

#include "engine/dns.h"

G_BEGIN_DECLS

#define BIMI_RDNS_ERROR (bimi_rdns_error_quark())
GQuark bimi_rdns_error_quark(void);

typedef enum {
  BIMI_RDNS_ERROR_INPUT, /**< unusable input (an address that is neither IPv4 nor IPv6) */
} BimiRdnsError;

/** FCrDNS results (RFC 8601 iprev names, "none" for no PTR at all). */
typedef enum {
  BIMI_RDNS_RESULT_NONE,      /**< no PTR record (NXDOMAIN or NODATA) */
  BIMI_RDNS_RESULT_PASS,      /**< a PTR name resolves back to the address */
  BIMI_RDNS_RESULT_FAIL,      /**< PTR names exist, none resolves back */
  BIMI_RDNS_RESULT_TEMPERROR, /**< DNS failure, nothing confirmed */
} BimiRdnsResultCode;

/** What the receiver is advised to do with the message. */
typedef enum {
  BIMI_RDNS_ACTION_ACCEPT,
  BIMI_RDNS_ACTION_TAG,
  BIMI_RDNS_ACTION_GREYLIST,
  BIMI_RDNS_ACTION_REJECT,
} BimiRdnsAction;

/** The [policy] settings that apply (conf: `no_ptr_action`). A zeroed struct is
 * NOT the default: use BIMI_RDNS_POLICY_DEFAULT or pass NULL. */
typedef struct {
  /** Action when the address has no forward-confirmed name (none or fail). Default tag. */
  BimiRdnsAction no_ptr_action;
  /** Elapsed-time budget of the whole check (PTR + forward lookups), in
   * milliseconds; 0 = BIMI_RDNS_BUDGET_QUERIES × the resolver's per-query
   * timeout. Passed → temperror with "deadline" in problem. */
  guint budget_ms;
} BimiRdnsPolicy;

#define BIMI_RDNS_POLICY_DEFAULT { BIMI_RDNS_ACTION_TAG, 0 }

typedef struct {
  BimiRdnsResultCode result;
  char *ip;               /**< the address as text (IPv4-mapped IPv6 shown as IPv4) */
  char *reverse_name;     /**< "4.3.2.1.in-addr.arpa" / nibble ".ip6.arpa" name asked */
  GPtrArray *ptr_names;   /**< of char*: every PTR name, answer order, lower case, no trailing dot ("." left out) */
  guint names_tried;      /**< PTR names whose addresses were asked (≤ BIMI_RDNS_MAX_PTR_NAMES) */
  char *confirmed_name;   /**< pass: the first name that resolves back; else NULL */
  gboolean multiple_ptr;  /**< more than one PTR name (M3AAWG: exactly one) */
  gboolean generic_name;  /**< a name looks generic/dynamic (see generic_reason) */
  char *generic_reason;   /**< e.g. "192-0-2-1.pool.example.net: embeds the address (dashed)" or NULL */
  BimiRdnsAction action;  /**< recommended action under the policy given */
  char *problem;          /**< temperror: the DNS failure; else NULL */
  guint dns_queries;      /**< DNS questions asked */
} BimiRdnsResult;

void bimi_rdns_result_free(BimiRdnsResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiRdnsResult, bimi_rdns_result_free)

/**
 * bimi_rdns_check:
 * @resolver: the shared DNS resolver (transfer none)
 * @ip: the client address; IPv4-mapped IPv6 is checked as IPv4
 * @policy: (nullable): the policy; NULL = BIMI_RDNS_POLICY_DEFAULT
 * @error: BIMI_RDNS_ERROR_INPUT for an address of another family
 *
 * PTR lookup of bimi_dns_reverse_name(@ip) (RFC 1035 §3.5, RFC 3596 §2.5;
 * CNAMEs such as RFC 2317 classless delegation are followed by the DNS
 * layer), then A (IPv4) or AAAA (IPv6) of at most BIMI_RDNS_MAX_PTR_NAMES
 * names in answer order, stopping at the first that contains @ip. All
 * lookups share one deadline (@policy->budget_ms from the start, see
 * bimi_dns_lookup_deadline()): once it passes, no more names are asked and,
 * unless a name confirmed already, the result is temperror whose problem
 * names the "deadline".
 *
 * Results: pass (confirmed); fail (PTRs but none confirmed, no DNS error on
 * any tried name); temperror (PTR query failed, or nothing confirmed and a
 * forward query failed); none (NXDOMAIN or NODATA for the PTR).
 * Action: pass → accept; none/fail → @policy->no_ptr_action; temperror →
 * greylist (accept when no_ptr_action is accept): a temporary failure never
 * rejects.
 *
 * Returns: (transfer full): the result, or NULL with @error set.
 */
BimiRdnsResult *bimi_rdns_check(BimiDnsResolver *resolver, GInetAddress *ip,
                                const BimiRdnsPolicy *policy, GError **error);

/**
 * bimi_rdns_generic_name:
 * @name: a host name (lower or upper case, trailing dot optional)
 * @ip: (nullable): the address the name was found for
 * @out_reason: (out) (optional) (transfer full): why it looks generic
 *
 * Heuristic (a signal, not a verdict): @name embeds @ip (IPv4 octets joined
 * by '-', '.', '_' or nothing with 3-digit padding, in either order, or the
 * 8-digit hex form; IPv6: the 32-nibble hex form or the lower 64 bits in hex),
 * or has a label token dyn, dynamic, dynip, dhcp, pool, dsl, adsl, vdsl, xdsl,
 * cable, ppp, pppoe, client, dialup, dial, broadband, cpe or customer
 * (tokens are the alphabetic runs of a label).
 *
 * Returns: whether the name looks generic.
 */
gboolean bimi_rdns_generic_name(const char *name, GInetAddress *ip, char **out_reason);

/** "none" "pass" "fail" "temperror". (transfer none) */
const char *bimi_rdns_result_to_string(BimiRdnsResultCode result);
/** "accept" "tag" "greylist" "reject". (transfer none) */
const char *bimi_rdns_action_to_string(BimiRdnsAction action);
/** Parses an action name (case-insensitive); FALSE when unknown. */
gboolean bimi_rdns_action_from_string(const char *text, BimiRdnsAction *out_action);

/**
 * bimi_rdns_result_build_json:
 * @result: an FCrDNS result (transfer none)
 * @writer: a BimiJsonWriter where a value is expected (transfer none)
 *
 * Adds one object, the auth.rdns value of the service and of `bimi rdns --json`:
 * result, ip, reverse_name, ptr_names (array), confirmed_name, multiple_ptr,
 * generic_name (booleans), generic_reason, action, problem (strings or null),
 * names_tried, dns_queries (integers).
 */
void bimi_rdns_result_build_json(const BimiRdnsResult *result, BimiJsonWriter *writer);

G_END_DECLS

#endif /* BIMI_RDNS_H */
