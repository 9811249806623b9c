/* tests/test-config.c — engine/config: defaults, [dns] keys, strictness. */
#include "engine/config.h"
#include "engine/limits.h"

#include <string.h>

static BimiConfig *
parse(const char *text, GError **error)
{
  return bimi_config_new_from_data(text, strlen(text), "test.conf", error);
}

static void
test_defaults(void)
{
  g_autoptr(BimiConfig) c = bimi_config_new_default();
  BimiDnsConfig dns;

  g_assert_cmpuint(c->dns_timeout_ms, ==, 4000);
  g_assert_null(c->dns_forwarders[0]);
  g_assert_null(c->dns_trust_anchor);
  bimi_config_get_dns_config(c, &dns);
  g_assert_cmpuint(dns.timeout_ms, ==, 4000);
  g_assert_null(dns.zone_files[0]);
  g_assert_cmpint(c->policy_dmarc, ==, BIMI_DMARC_MODE_RFC9989);
  g_assert_cmpint(c->policy_no_ptr_action, ==, BIMI_RDNS_ACTION_TAG);
}

static void
test_policy_no_ptr_action(void)
{
  static const struct {
    const char *text;
    BimiRdnsAction action;
  } ok[] = {
    { "accept", BIMI_RDNS_ACTION_ACCEPT },
    { "tag", BIMI_RDNS_ACTION_TAG },
    { " Greylist ", BIMI_RDNS_ACTION_GREYLIST },
    { "reject", BIMI_RDNS_ACTION_REJECT },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) bad = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    g_autofree char *text = g_strdup_printf("[policy]\nno_ptr_action = %s\n", ok[i].text);
    g_autoptr(BimiConfig) c = parse(text, &error);
    g_assert_no_error(error);
    g_assert_cmpint(c->policy_no_ptr_action, ==, ok[i].action);
    g_assert_cmpint(c->policy_dmarc, ==, BIMI_DMARC_MODE_RFC9989);
  }
  bad = parse("[policy]\nno_ptr_action = drop\n", &error);
  g_assert_null(bad);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "[policy] no_ptr_action = 'drop'"));
  g_clear_error(&error);
  bad = parse("[policy]\nno-ptr-action = tag\n", &error);
  g_assert_null(bad);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY);
}

static void
test_policy_dmarc(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[policy]\ndmarc = RFC7489 \n", &error);
  g_autoptr(BimiConfig) d = NULL;

  g_assert_no_error(error);
  g_assert_cmpint(c->policy_dmarc, ==, BIMI_DMARC_MODE_RFC7489);
  d = parse("[policy]\ndmarc = dmarcbis\n", &error);
  g_assert_null(d);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "[policy] dmarc = 'dmarcbis'"));
  g_clear_error(&error);
  d = parse("[policy]\ndmarc_mode = rfc7489\n", &error);
  g_assert_null(d);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY);
}

static void
test_dns_keys(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("# comment\n[dns]\nforwarders = 127.0.0.1@5353, ::1@53\n"
                                  "zone_files = a.zone;b.zone\nfault_names = slow.example\n"
                                  "timeout_ms = 250\ntrust_anchor = /etc/unbound/root.key\n", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(c->dns_forwarders), ==, 2);
  g_assert_cmpstr(c->dns_forwarders[0], ==, "127.0.0.1@5353");
  g_assert_cmpstr(c->dns_forwarders[1], ==, "::1@53");
  g_assert_cmpstr(c->dns_zone_files[1], ==, "b.zone");
  g_assert_cmpstr(c->dns_fault_names[0], ==, "slow.example");
  g_assert_cmpuint(c->dns_timeout_ms, ==, 250);
  g_assert_cmpstr(c->dns_trust_anchor, ==, "/etc/unbound/root.key");
}

static void
test_unknown_key(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[dns]\ntimout_ms = 250\n", &error);
  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY);
  g_assert_nonnull(strstr(error->message, "timout_ms"));
}

static void
test_unknown_group(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[dnss]\n", &error);
  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY);
}

static void
test_out_of_range(void)
{
  const char *bad[] = { "[dns]\ntimeout_ms = 99\n", "[dns]\ntimeout_ms = 60001\n",
                        "[dns]\ntimeout_ms = 4s\n", "[dns]\ntimeout_ms = -1\n" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiConfig) c = parse(bad[i], &error);
    g_assert_null(c);
    g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE);
  }
}

static void
test_syntax_and_limits(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[dns\n", &error);
  g_autofree char *big = NULL;

  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_SYNTAX);
  g_clear_error(&error);

  c = bimi_config_new_from_data("[dns]\0x", 7, "nul.conf", &error);
  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_SYNTAX);
  g_clear_error(&error);

  big = g_malloc0(BIMI_MAX_CONFIG_BYTES + 1);
  memset(big, '#', BIMI_MAX_CONFIG_BYTES);
  c = bimi_config_new_from_data(big, BIMI_MAX_CONFIG_BYTES + 1, "big.conf", &error);
  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE);
}

static void
test_refcount(void)
{
  BimiConfig *c = bimi_config_new_default();
  BimiConfig *r = bimi_config_ref(c);
  g_assert_true(r == c);
  bimi_config_unref(c);
  g_assert_cmpuint(r->dns_timeout_ms, ==, 4000);
  bimi_config_unref(r);
}

/* The shipped example documents every key with its default: it must parse to the defaults. */
static void
test_example_file(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = bimi_config_new_from_file("conf/bimi.conf.example", &error);
  g_autoptr(BimiConfig) d = bimi_config_new_default();

  g_assert_no_error(error);
  g_assert_cmpuint(c->dns_timeout_ms, ==, d->dns_timeout_ms);
  g_assert_null(c->dns_forwarders[0]);
  g_assert_null(c->dns_zone_files[0]);
  g_assert_null(c->dns_fault_names[0]);
  g_assert_null(c->dns_trust_anchor);
  g_assert_cmpint(c->policy_dmarc, ==, d->policy_dmarc);
  g_assert_cmpint(c->policy_no_ptr_action, ==, d->policy_no_ptr_action);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/defaults", test_defaults);
  g_test_add_func("/config/dns/keys", test_dns_keys);
  g_test_add_func("/config/policy/dmarc", test_policy_dmarc);
  g_test_add_func("/config/policy/no-ptr-action", test_policy_no_ptr_action);
  g_test_add_func("/config/strict/unknown-key", test_unknown_key);
  g_test_add_func("/config/strict/unknown-group", test_unknown_group);
  g_test_add_func("/config/strict/out-of-range", test_out_of_range);
  g_test_add_func("/config/strict/syntax-and-limits", test_syntax_and_limits);
  g_test_add_func("/config/refcount", test_refcount);
  g_test_add_func("/config/example-file", test_example_file);
  return g_test_run();
}
