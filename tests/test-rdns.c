/* tests/test-rdns.c — engine/rdns: FCrDNS against fixtures/dns/rdns.zone
 * (IPv4, IPv6 nibble names, two PTRs, a PTR name without address, CNAMEs on
 * both sides, temperror, none, the 10-name limit), the generic-name heuristic
 * and the recommended action.
 */
#include "engine/rdns.h"
#include "engine/limits.h"
#include "tests/silent-dns.h"
#include "tests/lib/data.h"

#include <string.h>

static BimiDnsResolver *
fixture_resolver(void)
{
  static const char *const zones[] = { "fixtures/dns/rdns.zone", NULL };
  static const char *const faults[] = { "7.2.0.192.in-addr.arpa", "slow.rdns.example", NULL };
  return bimi_test_resolver_zone_files(zones, faults);
}

static BimiRdnsResult *
check_with(const char *ip, const BimiRdnsPolicy *policy)
{
  g_autoptr(BimiDnsResolver) resolver = fixture_resolver();
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(ip);
  g_autoptr(GError) error = NULL;
  BimiRdnsResult *r;

  g_assert_nonnull(addr);
  r = bimi_rdns_check(resolver, addr, policy, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  g_test_message("%s: %s confirmed=%s problem=%s", ip, bimi_rdns_result_to_string(r->result),
                 r->confirmed_name, r->problem);
  return r;
}

static BimiRdnsResult *
check(const char *ip)
{
  return check_with(ip, NULL);
}

static void
test_ipv4(void)
{
  g_autoptr(BimiRdnsResult) r = check("192.0.2.1");
  g_autoptr(BimiRdnsResult) mapped = check("::ffff:192.0.2.1");

  g_assert_cmpint(r->result, ==, BIMI_RDNS_RESULT_PASS);
  g_assert_cmpstr(r->ip, ==, "192.0.2.1");
  g_assert_cmpstr(r->reverse_name, ==, "1.2.0.192.in-addr.arpa");
  g_assert_cmpuint(r->ptr_names->len, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(r->ptr_names, 0), ==, "mail.rdns.example");
  g_assert_cmpstr(r->confirmed_name, ==, "mail.rdns.example");
  g_assert_false(r->multiple_ptr);
  g_assert_false(r->generic_name);
  g_assert_null(r->problem);
  g_assert_cmpint(r->action, ==, BIMI_RDNS_ACTION_ACCEPT);
  g_assert_cmpuint(r->dns_queries, ==, 2);
  g_assert_cmpuint(r->names_tried, ==, 1);

  g_assert_cmpint(mapped->result, ==, BIMI_RDNS_RESULT_PASS);
  g_assert_cmpstr(mapped->ip, ==, "192.0.2.1");
  g_assert_cmpstr(mapped->reverse_name, ==, "1.2.0.192.in-addr.arpa");
}

static void
test_ipv6(void)
{
  g_autoptr(BimiRdnsResult) r = check("2001:db8::25");
  g_autoptr(BimiRdnsResult) none = check("2001:db8::26");

  g_assert_cmpint(r->result, ==, BIMI_RDNS_RESULT_PASS);
  g_assert_cmpstr(r->reverse_name, ==,
                  "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  g_assert_cmpstr(r->confirmed_name, ==, "mail6.rdns.example");
  g_assert_cmpint(none->result, ==, BIMI_RDNS_RESULT_NONE);
}

static void
test_two_ptrs(void)
{
  g_autoptr(BimiRdnsResult) r = check("192.0.2.2");

  g_assert_cmpint(r->result, ==, BIMI_RDNS_RESULT_PASS);
  g_assert_cmpuint(r->ptr_names->len, ==, 2);
  g_assert_true(r->multiple_ptr);
  g_assert_cmpstr(r->confirmed_name, ==, "b.rdns.example");
  g_assert_cmpint(r->action, ==, BIMI_RDNS_ACTION_ACCEPT);
}

static void
test_no_address(void)
{
  g_autoptr(BimiRdnsResult) noaddr = check("192.0.2.3");
  g_autoptr(BimiRdnsResult) other = check("192.0.2.4");

  g_assert_cmpint(noaddr->result, ==, BIMI_RDNS_RESULT_FAIL);
  g_assert_cmpstr(g_ptr_array_index(noaddr->ptr_names, 0), ==, "noaddr.rdns.example");
  g_assert_null(noaddr->confirmed_name);
  g_assert_null(noaddr->problem);
  g_assert_cmpint(noaddr->action, ==, BIMI_RDNS_ACTION_TAG);
  g_assert_cmpint(other->result, ==, BIMI_RDNS_RESULT_FAIL);
}

static void
test_cname(void)
{
  g_autoptr(BimiRdnsResult) delegated = check("192.0.2.5");
  g_autoptr(BimiRdnsResult) alias = check("192.0.2.6");

  /* RFC 2317: the reverse name is a CNAME into the delegated zone */
  g_assert_cmpint(delegated->result, ==, BIMI_RDNS_RESULT_PASS);
  g_assert_cmpstr(delegated->confirmed_name, ==, "delegated.rdns.example");
  /* the PTR name is an alias of the host */
  g_assert_cmpint(alias->result, ==, BIMI_RDNS_RESULT_PASS);
  g_assert_cmpstr(alias->confirmed_name, ==, "alias.rdns.example");
}

static void
test_temperror(void)
{
  g_autoptr(BimiRdnsResult) reverse = check("192.0.2.7");
  g_autoptr(BimiRdnsResult) forward = check("192.0.2.8");
  BimiRdnsPolicy accept = { BIMI_RDNS_ACTION_ACCEPT, 0 };
  g_autoptr(BimiRdnsResult) accepted = check_with("192.0.2.7", &accept);

  g_assert_cmpint(reverse->result, ==, BIMI_RDNS_RESULT_TEMPERROR);
  g_assert_nonnull(strstr(reverse->problem, "7.2.0.192.in-addr.arpa"));
  g_assert_cmpint(reverse->action, ==, BIMI_RDNS_ACTION_GREYLIST);
  g_assert_cmpint(forward->result, ==, BIMI_RDNS_RESULT_TEMPERROR);
  g_assert_nonnull(strstr(forward->problem, "slow.rdns.example"));
  g_assert_cmpstr(g_ptr_array_index(forward->ptr_names, 0), ==, "slow.rdns.example");
  g_assert_cmpint(accepted->action, ==, BIMI_RDNS_ACTION_ACCEPT);
}

static void
test_none(void)
{
  g_autoptr(BimiRdnsResult) nx = check("192.0.2.9");
  g_autoptr(BimiRdnsResult) nodata = check("192.0.2.10");
  BimiRdnsPolicy reject = { BIMI_RDNS_ACTION_REJECT, 0 };
  g_autoptr(BimiRdnsResult) rejected = check_with("192.0.2.9", &reject);

  g_assert_cmpint(nx->result, ==, BIMI_RDNS_RESULT_NONE);
  g_assert_cmpuint(nx->ptr_names->len, ==, 0);
  g_assert_null(nx->problem);
  g_assert_cmpint(nx->action, ==, BIMI_RDNS_ACTION_TAG);
  g_assert_cmpint(nodata->result, ==, BIMI_RDNS_RESULT_NONE);
  /* a PTR to the root is no name: none, nothing reported, nothing tried */
  {
    g_autoptr(BimiRdnsResult) root = check("192.0.2.13");
    g_assert_cmpint(root->result, ==, BIMI_RDNS_RESULT_NONE);
    g_assert_cmpuint(root->ptr_names->len, ==, 0);
    g_assert_cmpuint(root->names_tried, ==, 0);
    g_assert_cmpuint(root->dns_queries, ==, 1);
    g_assert_false(root->multiple_ptr);
    g_assert_null(root->problem);
  }
  g_assert_cmpint(rejected->action, ==, BIMI_RDNS_ACTION_REJECT);
}

static void
test_generic_result(void)
{
  g_autoptr(BimiRdnsResult) r = check("192.0.2.11");

  g_assert_cmpint(r->result, ==, BIMI_RDNS_RESULT_PASS);
  g_assert_true(r->generic_name);
  g_assert_cmpstr(r->generic_reason, ==, "192-0-2-11.pool.rdns.example: embeds the address (dashed)");
}

static void
test_limit_names(void)
{
  g_autoptr(BimiRdnsResult) r = check("192.0.2.12");

  g_assert_cmpint(r->result, ==, BIMI_RDNS_RESULT_FAIL);
  g_assert_cmpuint(r->ptr_names->len, ==, 12);
  g_assert_cmpuint(r->names_tried, ==, BIMI_RDNS_MAX_PTR_NAMES);
  g_assert_cmpuint(r->dns_queries, ==, 1 + BIMI_RDNS_MAX_PTR_NAMES);
}

typedef struct {
  const char *name;
  const char *ip;
  const char *reason; /* NULL = not generic */
} GenericCase;

static void
test_generic_heuristic(void)
{
  static const GenericCase cases[] = {
    { "192-0-2-1.pool.example.net", "192.0.2.1", "192-0-2-1.pool.example.net: embeds the address (dashed)" },
    { "host.192.0.2.1.example.net", "192.0.2.1", "host.192.0.2.1.example.net: embeds the address (dotted)" },
    { "1.2.0.192.static.example.net", "192.0.2.1", "1.2.0.192.static.example.net: embeds the address (dotted, reversed)" },
    { "ip-1-2-0-192.example.net", "192.0.2.1", "ip-1-2-0-192.example.net: embeds the address (dashed, reversed)" },
    { "c0000201.example.net", "192.0.2.1", "c0000201.example.net: embeds the address (hex)" },
    { "h192000002001.example.net", "192.0.2.1", "h192000002001.example.net: embeds the address (zero-padded)" },
    { "1192000002001.example.net", "192.0.2.1", NULL },
    { "h-192000002001.example.net", "192.0.2.1", "h-192000002001.example.net: embeds the address (zero-padded)" },
    { "ABC_192_0_2_1.Example.NET.", "192.0.2.1", "ABC_192_0_2_1.Example.NET.: embeds the address (underscored)" },
    { "dyn-77.example.net", NULL, "dyn-77.example.net: generic label token 'dyn'" },
    { "host.dhcp.example.net", NULL, "host.dhcp.example.net: generic label token 'dhcp'" },
    { "adsl42.isp.example", NULL, "adsl42.isp.example: generic label token 'adsl'" },
    { "cable-modem.isp.example", NULL, "cable-modem.isp.example: generic label token 'cable'" },
    { "client.example.com", NULL, "client.example.com: generic label token 'client'" },
    { "mail.example.com", "192.0.2.1", NULL },
    { "mx1.poolside.example", NULL, NULL },
    { "11192-0-2-1.example", "192.0.2.1", NULL },
    { "192-0-2-10.example", "192.0.2.1", NULL },
    { "20010db8000000000000000000000025.example", "2001:db8::25",
      "20010db8000000000000000000000025.example: embeds the address (hex)" },
    { "2001-db8--25.example", "2001:db8::25", "2001-db8--25.example: embeds the address (dashed)" },
    { "mail6.example", "2001:db8::25", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GInetAddress) ip = cases[i].ip ? g_inet_address_new_from_string(cases[i].ip) : NULL;
    g_autofree char *reason = NULL;
    gboolean generic = bimi_rdns_generic_name(cases[i].name, ip, &reason);
    g_test_message("%s", cases[i].name);
    g_assert_cmpint(generic, ==, cases[i].reason != NULL);
    g_assert_cmpstr(reason, ==, cases[i].reason);
  }
}

static void
test_names(void)
{
  BimiRdnsAction a;
  g_assert_cmpstr(bimi_rdns_result_to_string(BIMI_RDNS_RESULT_TEMPERROR), ==, "temperror");
  g_assert_cmpstr(bimi_rdns_action_to_string(BIMI_RDNS_ACTION_GREYLIST), ==, "greylist");
  g_assert_true(bimi_rdns_action_from_string("Reject", &a));
  g_assert_cmpint(a, ==, BIMI_RDNS_ACTION_REJECT);
  g_assert_false(bimi_rdns_action_from_string("drop", &a));
}

/* The elapsed-time budget: ten PTR names whose forward lookups never get an
 * answer cost at most the budget, not ten timeouts. Checked by the result
 * and by the number of names asked, never by the clock. */
static BimiRdnsResult *
check_silent(SilentDns *server, guint timeout_ms, guint budget_ms)
{
  g_autofree char *fwd = g_strdup_printf("127.0.0.1@%u", silent_dns_port(server));
  const char *fwds[] = { fwd, NULL };
  BimiDnsConfig config = { 0 };
  BimiRdnsPolicy policy = BIMI_RDNS_POLICY_DEFAULT;
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDnsResolver) resolver = NULL;
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string("192.0.2.1");
  BimiRdnsResult *r;

  config.forwarders = fwds;
  config.timeout_ms = timeout_ms;
  resolver = bimi_dns_resolver_new(&config, &error);
  g_assert_no_error(error);
  policy.budget_ms = budget_ms;
  r = bimi_rdns_check(resolver, ip, &policy, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  g_test_message("%s: names_tried %u, dns_queries %u, problem %s", bimi_rdns_result_to_string(r->result),
                 r->names_tried, r->dns_queries, r->problem);
  return r;
}

static void
test_budget(void)
{
  SilentDns *server = silent_dns_start(10, NULL);
  {
    /* default budget: 2 per-query timeouts, so at most 3 names are asked */
    g_autoptr(BimiRdnsResult) r = check_silent(server, 300, 0);
    g_assert_cmpint(r->result, ==, BIMI_RDNS_RESULT_TEMPERROR);
    g_assert_nonnull(strstr(r->problem, "deadline"));
    g_assert_cmpuint(r->ptr_names->len, ==, 10);
    g_assert_cmpuint(r->names_tried, >=, 1);
    g_assert_cmpuint(r->names_tried, <=, 3);
    g_assert_cmpuint(r->dns_queries, ==, 1 + r->names_tried);
    g_assert_cmpuint(silent_dns_names_asked(server, BIMI_DNS_TYPE_A), ==, r->names_tried);
    g_assert_cmpint(r->action, ==, BIMI_RDNS_ACTION_GREYLIST);
  }
  silent_dns_stop(server);
  server = silent_dns_start(10, NULL);
  {
    /* a budget shorter than one query: the first forward lookup ends at the
     * deadline and no other name is asked */
    g_autoptr(BimiRdnsResult) r = check_silent(server, 5000, 400);
    g_assert_cmpint(r->result, ==, BIMI_RDNS_RESULT_TEMPERROR);
    g_assert_nonnull(strstr(r->problem, "deadline"));
    g_assert_cmpuint(r->names_tried, <=, 1);
    g_assert_cmpuint(silent_dns_names_asked(server, BIMI_DNS_TYPE_A), <=, 1);
  }
  silent_dns_stop(server);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rdns/ipv4", test_ipv4);
  g_test_add_func("/rdns/ipv6-nibble", test_ipv6);
  g_test_add_func("/rdns/two-ptrs", test_two_ptrs);
  g_test_add_func("/rdns/ptr-name-without-address", test_no_address);
  g_test_add_func("/rdns/cname", test_cname);
  g_test_add_func("/rdns/temperror", test_temperror);
  g_test_add_func("/rdns/none", test_none);
  g_test_add_func("/rdns/generic-result", test_generic_result);
  g_test_add_func("/rdns/limit-ptr-names", test_limit_names);
  g_test_add_func("/rdns/budget", test_budget);
  g_test_add_func("/rdns/generic-heuristic", test_generic_heuristic);
  g_test_add_func("/rdns/names", test_names);
  return g_test_run();
}
