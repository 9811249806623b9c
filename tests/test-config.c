/* tests/test-config.c — evaluate/config: defaults, [dns] keys, strictness. */
#include "evaluate/config.h"
#include "engine/limits.h"
#include "tests/lib/files.h"
#include "tests/lib/outcome.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

static BimiConfig *
parse(const char *text, GError **error)
{
  return bimi_config_new_from_data(text, strlen(text), "test.conf", error);
}

/* The @len bytes of @text are refused with BIMI_CONFIG_ERROR @code, and the message contains @needle
 * (NULL: any message); a configuration that loads fails the test naming @text. */
static void
assert_refused_len(const char *text, gsize len, BimiConfigError code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = bimi_config_new_from_data(text, len, "test.conf", &error);

  if (c != NULL)
    g_error("accepted: %s", text);
  bimi_test_expect_refused(c, error, BIMI_CONFIG_ERROR, code, needle);
}

/* assert_refused_len() on the NUL-terminated @text. */
static void
assert_refused(const char *text, BimiConfigError code, const char *needle)
{
  assert_refused_len(text, strlen(text), code, needle);
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
  g_assert_cmpstr(c->cache_dir, ==, "/var/cache/bimi");
  g_assert_cmpuint(c->cache_max_bytes, ==, G_GUINT64_CONSTANT(1) << 30);
  g_assert_cmpuint(c->cache_min_ttl, ==, 3600);
  g_assert_cmpuint(c->cache_max_ttl, ==, 86400);
  g_assert_cmpuint(c->cache_negative_ttl, ==, 300);
  g_assert_cmpuint(c->cache_max_entries, ==, 100000);
  g_assert_cmpuint(c->cache_max_stale, ==, 3600);
  g_assert_cmpuint(c->cache_wait_ms, ==, 10000);
  g_assert_cmpint(c->policy_no_ptr_action, ==, BIMI_RDNS_ACTION_TAG);
}

static void
test_auth_keys(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) d = bimi_config_new_default();
  g_autoptr(BimiConfig) c = parse("[auth]\nauthserv_id = mx.example.net\nmax_signatures = 3\n", &error);

  g_assert_cmpuint(d->auth_max_signatures, ==, 10);
  g_assert_null(d->auth_authserv_id);
  g_assert_no_error(error);
  g_assert_cmpstr(c->auth_authserv_id, ==, "mx.example.net");
  g_assert_cmpuint(c->auth_max_signatures, ==, 3);
  /* [auth] verify_memo_entries: 0 turns the memo off; BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES bounds it */
  g_assert_cmpuint(d->auth_verify_memo_entries, ==, BIMI_DKIM_VERIFY_MEMO_DEFAULT_ENTRIES);
  {
    g_autoptr(BimiConfig) off = parse("[auth]\nverify_memo_entries = 0\n", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(off->auth_verify_memo_entries, ==, 0);
    g_autoptr(BimiConfig) max = parse("[auth]\nverify_memo_entries = 1048576\n", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(max->auth_verify_memo_entries, ==, BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES);
  }
  assert_refused("[auth]\nmax_signatures = 0\n", BIMI_CONFIG_ERROR_VALUE, NULL);
  assert_refused("[auth]\nmax_signatures = 51\n", BIMI_CONFIG_ERROR_VALUE, NULL);
  assert_refused("[auth]\nauthserv_id = mx;evil\n", BIMI_CONFIG_ERROR_VALUE, NULL);
  assert_refused("[auth]\nverify_memo_entries = 1048577\n", BIMI_CONFIG_ERROR_VALUE, NULL);
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

  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    g_autofree char *text = g_strdup_printf("[policy]\nno_ptr_action = %s\n", ok[i].text);
    g_autoptr(BimiConfig) c = parse(text, &error);
    g_assert_no_error(error);
    g_assert_cmpint(c->policy_no_ptr_action, ==, ok[i].action);
    g_assert_cmpint(c->policy_dmarc, ==, BIMI_DMARC_MODE_RFC9989);
  }
  assert_refused("[policy]\nno_ptr_action = drop\n", BIMI_CONFIG_ERROR_VALUE, "[policy] no_ptr_action = 'drop'");
  assert_refused("[policy]\nno-ptr-action = tag\n", BIMI_CONFIG_ERROR_UNKNOWN_KEY, NULL);
}

static void
test_policy_dmarc(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[policy]\ndmarc = RFC7489 \n", &error);

  g_assert_no_error(error);
  g_assert_cmpint(c->policy_dmarc, ==, BIMI_DMARC_MODE_RFC7489);
  assert_refused("[policy]\ndmarc = dmarcbis\n", BIMI_CONFIG_ERROR_VALUE, "[policy] dmarc = 'dmarcbis'");
  assert_refused("[policy]\ndmarc_mode = rfc7489\n", BIMI_CONFIG_ERROR_UNKNOWN_KEY, NULL);
}

static void
test_policy_arc(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) def = parse("", &error);
  g_assert_no_error(error);
  g_assert_null(def->policy_trusted_arc_sealers[0]);
  g_assert_false(def->policy_bimi_accept_arc_override);

  g_autoptr(BimiConfig) c = parse("[policy]\ntrusted_arc_sealers = Google.com, lists.example.org\n"
                                  "bimi_accept_arc_override = true\n", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(c->policy_trusted_arc_sealers), ==, 2);
  g_assert_cmpstr(c->policy_trusted_arc_sealers[0], ==, "google.com");
  g_assert_cmpstr(c->policy_trusted_arc_sealers[1], ==, "lists.example.org");
  g_assert_true(c->policy_bimi_accept_arc_override);

  assert_refused("[policy]\nbimi_accept_arc_override = yes\n", BIMI_CONFIG_ERROR_VALUE, "bimi_accept_arc_override");
  assert_refused("[policy]\ntrusted_arc_sealers = good.example, bad domain\n", BIMI_CONFIG_ERROR_VALUE,
                 "'bad domain'");
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
test_fetch_defaults(void)
{
  g_autoptr(BimiConfig) c = bimi_config_new_default();
  BimiFetchConfig f;

  g_assert_cmpuint(c->fetch_connect_timeout_ms, ==, 2000);
  g_assert_cmpuint(c->fetch_timeout_ms, ==, 5000);
  g_assert_cmpuint(c->fetch_max_redirects, ==, 2);
  g_assert_cmpuint(c->fetch_logo_max_bytes, ==, 32768);
  g_assert_cmpuint(c->fetch_evidence_max_bytes, ==, 65536);
  g_assert_cmpuint(c->fetch_max_per_host, ==, 4);
  g_assert_false(c->fetch_allow_private_addresses);
  g_assert_null(c->fetch_ca_file);
  g_assert_null(c->fetch_resolve[0]);
  bimi_config_get_fetch_config(c, &f);
  g_assert_cmpuint(f.timeout_ms, ==, 5000);
  g_assert_true(f.redirects_set);
  g_assert_cmpuint(f.max_redirects, ==, 2);
  g_assert_false(f.allow_private_addresses);
  g_assert_null(f.resolve[0]);
}

static void
test_fetch_keys(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[fetch]\nconnect_timeout_ms = 500\ntimeout_ms = 1500\nmax_redirects = 0\n"
                                  "logo_max_bytes = 1024\nevidence_max_bytes = 1048576\nmax_per_host = 1\n"
                                  "allow_private_addresses = true\nca_file = fixtures/tls/ca.pem\n"
                                  "resolve = origin.test:443:127.0.0.1, v6.origin.test:443:[::1]\n", &error);
  BimiFetchConfig f;

  g_assert_no_error(error);
  g_assert_cmpuint(c->fetch_connect_timeout_ms, ==, 500);
  g_assert_cmpuint(c->fetch_timeout_ms, ==, 1500);
  g_assert_cmpuint(c->fetch_max_redirects, ==, 0);
  g_assert_cmpuint(c->fetch_logo_max_bytes, ==, 1024);
  g_assert_cmpuint(c->fetch_evidence_max_bytes, ==, 1048576);
  g_assert_cmpuint(c->fetch_max_per_host, ==, 1);
  g_assert_true(c->fetch_allow_private_addresses);
  g_assert_cmpstr(c->fetch_ca_file, ==, "fixtures/tls/ca.pem");
  g_assert_cmpuint(g_strv_length(c->fetch_resolve), ==, 2);
  g_assert_cmpstr(c->fetch_resolve[1], ==, "v6.origin.test:443:[::1]");
  bimi_config_get_fetch_config(c, &f);
  g_assert_cmpuint(f.max_redirects, ==, 0);
  g_assert_true(f.redirects_set);
  g_assert_cmpstr(f.ca_file, ==, "fixtures/tls/ca.pem");
  {
    /* The settings build a fetcher as they are. */
    g_autoptr(BimiFetcher) fetcher = bimi_fetch_fetcher_new(&f, &error);
    g_assert_no_error(error);
    g_assert_nonnull(fetcher);
  }
}

static void
test_fetch_out_of_range(void)
{
  const char *bad[] = { "[fetch]\nconnect_timeout_ms = 99\n", "[fetch]\ntimeout_ms = 120001\n",
                        "[fetch]\nmax_redirects = 6\n", "[fetch]\nlogo_max_bytes = 1048577\n",
                        "[fetch]\nevidence_max_bytes = 1023\n", "[fetch]\nmax_per_host = 0\n",
                        "[fetch]\nmax_per_host = 257\n", "[fetch]\nallow_private_addresses = yes\n",
                        "[fetch]\nallow_private_addresses = 1\n" };
  g_autoptr(GString) pins = g_string_new("[fetch]\nresolve = ");

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_refused(bad[i], BIMI_CONFIG_ERROR_VALUE, NULL);
  /* BIMI_FETCH_MAX_RESOLVE_PINS + 1 pins. */
  for (guint i = 0; i <= BIMI_FETCH_MAX_RESOLVE_PINS; i++)
    g_string_append_printf(pins, "h%u.test:443:127.0.0.1,", i);
  g_string_append_c(pins, '\n');
  assert_refused(pins->str, BIMI_CONFIG_ERROR_VALUE, "pins");
}

static void
test_unknown_key(void)
{
  assert_refused("[dns]\ntimout_ms = 250\n", BIMI_CONFIG_ERROR_UNKNOWN_KEY, "timout_ms");
}

static void
test_unknown_group(void)
{
  assert_refused("[dnss]\n", BIMI_CONFIG_ERROR_UNKNOWN_KEY, NULL);
}

static void
test_out_of_range(void)
{
  const char *bad[] = { "[dns]\ntimeout_ms = 99\n", "[dns]\ntimeout_ms = 60001\n",
                        "[dns]\ntimeout_ms = 4s\n", "[dns]\ntimeout_ms = -1\n" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_refused(bad[i], BIMI_CONFIG_ERROR_VALUE, NULL);
}

static void
test_syntax_and_limits(void)
{
  g_autofree char *big = g_malloc0(BIMI_MAX_CONFIG_BYTES + 1);

  assert_refused("[dns\n", BIMI_CONFIG_ERROR_SYNTAX, NULL);
  assert_refused_len("[dns]\0x", 7, BIMI_CONFIG_ERROR_SYNTAX, NULL);
  memset(big, '#', BIMI_MAX_CONFIG_BYTES);
  assert_refused_len(big, BIMI_MAX_CONFIG_BYTES + 1, BIMI_CONFIG_ERROR_VALUE, NULL);
}

/* The file limit holds on the bytes read: a device (st_size 0) and a file
 * one byte over BIMI_MAX_CONFIG_BYTES are refused; at the limit the file is
 * read and parsed (and its NULs refused as syntax). */
static void
test_file_limit(void)
{
  g_autofree char *over = bimi_test_sparse_file("bimi-config-XXXXXX", BIMI_MAX_CONFIG_BYTES + 1);
  g_autofree char *at = bimi_test_sparse_file("bimi-config-XXXXXX", BIMI_MAX_CONFIG_BYTES);
  g_autofree char *limit_text = g_strdup_printf("more than %u bytes", BIMI_MAX_CONFIG_BYTES);
  const struct {
    const char *path;
    BimiConfigError code;
    const char *needles[2]; /* what the message contains; NULL: no more */
  } cases[] = {
    { "/dev/zero", BIMI_CONFIG_ERROR_VALUE, { "/dev/zero", limit_text } },
    { over, BIMI_CONFIG_ERROR_VALUE, { limit_text, NULL } },
    { at, BIMI_CONFIG_ERROR_SYNTAX, { "NUL", NULL } },
    { "/nonexistent/bimi.conf", BIMI_CONFIG_ERROR_IO, { "/nonexistent/bimi.conf", NULL } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiConfig) c = bimi_config_new_from_file(cases[i].path, &error);
    bimi_test_expect_refused(c, error, BIMI_CONFIG_ERROR, cases[i].code, NULL);
    for (gsize j = 0; j < G_N_ELEMENTS(cases[i].needles) && cases[i].needles[j] != NULL; j++)
      g_assert_nonnull(strstr(error->message, cases[i].needles[j]));
  }
  g_unlink(over);
  g_unlink(at);
}

/* [cache] backend = redis and its keys (issue 18); a bad redis_url is refused at load. */
static void
test_cache_redis_keys(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) d = parse("", &error);
  g_autoptr(BimiConfig) c = parse("[cache]\nbackend = redis\nredis_url = unix:/run/redis/r.sock?db=2\n"
                                  "redis_password = s3cret\nredis_prefix = fleet1:\nredis_connect_timeout_ms = 50\n"
                                  "redis_timeout_ms = 20\nredis_lock_ms = 1000\n", &error);
  BimiRedisConfig rc;

  g_assert_no_error(error);
  g_assert_cmpint(d->cache_backend, ==, BIMI_CONFIG_CACHE_MEMORY);
  g_assert_cmpstr(d->cache_redis_url, ==, "redis://127.0.0.1:6379/0");
  g_assert_cmpstr(d->cache_redis_prefix, ==, "bimi:");
  g_assert_null(d->cache_redis_password);
  g_assert_cmpint(c->cache_backend, ==, BIMI_CONFIG_CACHE_REDIS);
  bimi_config_get_redis_config(c, &rc);
  g_assert_cmpstr(rc.url, ==, "unix:/run/redis/r.sock?db=2");
  g_assert_cmpstr(rc.password, ==, "s3cret");
  g_assert_cmpstr(rc.prefix, ==, "fleet1:");
  g_assert_cmpuint(rc.connect_timeout_ms, ==, 50);
  g_assert_cmpuint(rc.timeout_ms, ==, 20);
  g_assert_cmpuint(c->cache_redis_lock_ms, ==, 1000);

  static const struct {
    const char *text, *says;
  } bad[] = {
    { "[cache]\nbackend = memcached\n", "backend" },
    { "[cache]\nbackend = redis\nredis_url = rediss://h/0\n", "TLS" },
    { "[cache]\nbackend = redis\nredis_url = redis://h/999\n", "database" },
    { "[cache]\nredis_prefix = 0123456789012345678901234567890123456789012345678901234567890123456789\n",
      "redis_prefix" },
    { "[cache]\nredis_prefix = bimi:   # fleet\n", "comment goes on its own line" },
    { "[cache]\nredis_timeout_ms = 0\n", "redis_timeout_ms" },
    { "[cache]\nredis_lock_ms = 99\n", "redis_lock_ms" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_refused(bad[i].text, BIMI_CONFIG_ERROR_VALUE, bad[i].says);
}

static void
test_cache_keys(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[cache]\ndir = /srv/bimi \nmax_bytes = 1048576\nmin_ttl = 0\n"
                                  "max_ttl = 60\nnegative_ttl = 86400\nmax_entries = 10000000\n"
                                  "max_stale = 0\nwait_ms = 0\n", &error);
  BimiRecordCacheConfig rc;
  BimiCacheTtlBounds b;

  g_assert_no_error(error);
  g_assert_cmpstr(c->cache_dir, ==, "/srv/bimi");
  g_assert_cmpuint(c->cache_max_bytes, ==, 1048576);
  g_assert_cmpuint(c->cache_min_ttl, ==, 0);
  g_assert_cmpuint(c->cache_max_ttl, ==, 60);
  g_assert_cmpuint(c->cache_negative_ttl, ==, 86400);
  g_assert_cmpuint(c->cache_max_entries, ==, BIMI_CACHE_MAX_ENTRIES);
  g_assert_cmpuint(c->cache_max_stale, ==, 0);
  g_assert_cmpuint(c->cache_wait_ms, ==, 0);
  bimi_config_get_record_cache_config(c, &rc, &b);
  g_assert_cmpuint(rc.max_ttl, ==, 60);
  g_assert_cmpuint(rc.negative_ttl, ==, 86400);
  g_assert_cmpuint(rc.max_stale, ==, 0);
  g_assert_cmpuint(rc.wait_ms, ==, 0);
  g_assert_cmpuint(b.min_ttl, ==, 0);
  g_assert_cmpuint(b.max_ttl, ==, 60);
  g_clear_pointer(&c, bimi_config_unref);

  /* The upper bounds are accepted. */
  c = parse("[cache]\nmax_bytes = 1099511627776\nmin_ttl = 604800\nmax_ttl = 2592000\n"
            "max_stale = 604800\nwait_ms = 60000\n", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(c->cache_max_bytes, ==, G_GUINT64_CONSTANT(1) << 40);
  g_assert_cmpuint(c->cache_max_ttl, ==, 2592000);
}

static void
test_cache_out_of_range(void)
{
  const char *bad[] = { "[cache]\nmax_bytes = 1048575\n", "[cache]\nmax_bytes = 1099511627777\n",
                        "[cache]\nmax_bytes = 1G\n", "[cache]\nmin_ttl = 604801\n",
                        "[cache]\nmax_ttl = 59\n", "[cache]\nmax_ttl = 2592001\n",
                        "[cache]\nnegative_ttl = 86401\n", "[cache]\nmax_entries = 0\n",
                        "[cache]\nmax_entries = 10000001\n", "[cache]\nmax_stale = 604801\n",
                        "[cache]\nwait_ms = 60001\n", "[cache]\nwait_ms = -1\n", "[cache]\ndir =  \n",
                        "[cache]\nmin_ttl = 7200\nmax_ttl = 3600\n" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_refused(bad[i], BIMI_CONFIG_ERROR_VALUE, "[cache]");
  assert_refused("[cache]\nmax_size = 5\n", BIMI_CONFIG_ERROR_UNKNOWN_KEY, NULL);
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
  g_assert_cmpuint(c->auth_max_signatures, ==, d->auth_max_signatures);
  g_assert_null(c->auth_authserv_id);
  g_assert_cmpuint(c->fetch_connect_timeout_ms, ==, d->fetch_connect_timeout_ms);
  g_assert_cmpuint(c->fetch_timeout_ms, ==, d->fetch_timeout_ms);
  g_assert_cmpuint(c->fetch_max_redirects, ==, d->fetch_max_redirects);
  g_assert_cmpuint(c->fetch_logo_max_bytes, ==, d->fetch_logo_max_bytes);
  g_assert_cmpuint(c->fetch_evidence_max_bytes, ==, d->fetch_evidence_max_bytes);
  g_assert_cmpuint(c->fetch_max_per_host, ==, d->fetch_max_per_host);
  g_assert_false(c->fetch_allow_private_addresses);
  g_assert_null(c->fetch_ca_file);
  g_assert_null(c->fetch_resolve[0]);
  g_assert_cmpstr(c->trust_bimi_roots, ==, d->trust_bimi_roots);
  g_assert_cmpstr(c->trust_ct_logs, ==, d->trust_ct_logs);
  g_assert_cmpint(c->trust_revocation, ==, d->trust_revocation);
  g_assert_cmpstr(c->cache_dir, ==, d->cache_dir);
  g_assert_cmpuint(c->cache_max_bytes, ==, d->cache_max_bytes);
  g_assert_cmpuint(c->cache_min_ttl, ==, d->cache_min_ttl);
  g_assert_cmpuint(c->cache_max_ttl, ==, d->cache_max_ttl);
  g_assert_cmpuint(c->cache_negative_ttl, ==, d->cache_negative_ttl);
  g_assert_cmpuint(c->cache_max_entries, ==, d->cache_max_entries);
  g_assert_cmpuint(c->cache_max_stale, ==, d->cache_max_stale);
  g_assert_cmpuint(c->cache_wait_ms, ==, d->cache_wait_ms);
  g_assert_cmpint(c->policy_logo_without_evidence, ==, d->policy_logo_without_evidence);
  g_assert_cmpint(c->policy_show_cmc, ==, d->policy_show_cmc);
  g_assert_cmpint(c->policy_require_fcrdns, ==, d->policy_require_fcrdns);
  g_assert_null(c->auth_trusted_receivers[0]);
  g_assert_false(c->auth_trust_own_authres);
  g_assert_null(c->auth_own_signing_domain);
  g_assert_false(c->auth_mta_strips_authres);
  g_assert_cmpstr(c->server_listen, ==, d->server_listen);
  g_assert_cmpuint(c->server_socket_mode, ==, d->server_socket_mode);
  g_assert_cmpuint(c->server_threads, ==, d->server_threads);
  g_assert_cmpuint(c->server_max_message_bytes, ==, d->server_max_message_bytes);
  g_assert_cmpuint(c->server_max_queue, ==, d->server_max_queue);
  g_assert_cmpuint(c->server_shutdown_timeout_ms, ==, d->server_shutdown_timeout_ms);
  g_assert_cmpstr(c->server_log_level, ==, d->server_log_level);
  g_assert_cmpstr(c->server_logo_url_prefix, ==, d->server_logo_url_prefix);
  g_assert_cmpuint(c->render_n_sizes, ==, d->render_n_sizes);
  g_assert_cmpmem(c->render_sizes, c->render_n_sizes * sizeof(guint), d->render_sizes, d->render_n_sizes * sizeof(guint));
  g_assert_cmpuint(c->render_workers, ==, d->render_workers);
  g_assert_cmpuint(c->render_deadline_ms, ==, d->render_deadline_ms);
  g_assert_null(c->render_worker_path);
  g_assert_cmpint(c->testing_now, ==, 0);
}

/* [policy] decision keys, [auth] A-R trust, [server], [render], [testing]: values and refusals. */
static void
test_service_keys(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) d = bimi_config_new_default();
  g_autoptr(BimiConfig) c = parse("[policy]\nlogo_without_evidence = logo\ncmc = none\nfcrdns = ignore\n"
                                  "[auth]\ntrusted_receivers = MX1.Example.net, mx2.example.net\n"
                                  "trust_own_authres = true\nown_signing_domain = Example.net\n"
                                  "[server]\nlisten = 127.0.0.1:9000\nsocket_mode = 0600\nthreads = 4\n"
                                  "max_message_bytes = 2048\nmax_queue = 3\nshutdown_timeout_ms = 500\n"
                                  "log_level = debug\nlogo_url_prefix = https://cdn.example/bimi\n"
                                  "[render]\nsizes = 64, 32\nworkers = 3\ndeadline_ms = 900\nworker_path = /usr/bin/bimi\n"
                                  "[testing]\nnow = 2026-06-01T00:00:00Z\n", &error);

  g_assert_no_error(error);
  g_assert_true(d->policy_show_cmc);
  g_assert_true(d->policy_require_fcrdns);
  g_assert_false(d->policy_logo_without_evidence);
  g_assert_cmpstr(d->server_listen, ==, "unix:/run/bimi/bimi-fcgi.sock");
  g_assert_cmpuint(d->server_socket_mode, ==, 0660);
  g_assert_cmpuint(d->server_threads, ==, 8);
  g_assert_cmpuint(d->render_n_sizes, ==, 9);
  g_assert_true(c->policy_logo_without_evidence);
  g_assert_false(c->policy_show_cmc);
  g_assert_false(c->policy_require_fcrdns);
  g_assert_cmpstr(c->auth_trusted_receivers[0], ==, "mx1.example.net");
  g_assert_cmpstr(c->auth_trusted_receivers[1], ==, "mx2.example.net");
  g_assert_true(c->auth_trust_own_authres);
  g_assert_cmpstr(c->auth_own_signing_domain, ==, "example.net");
  g_assert_cmpstr(c->server_listen, ==, "127.0.0.1:9000");
  g_assert_cmpuint(c->server_socket_mode, ==, 0600);
  g_assert_cmpuint(c->server_threads, ==, 4);
  g_assert_cmpuint(c->server_max_message_bytes, ==, 2048);
  g_assert_cmpuint(c->server_max_queue, ==, 3);
  g_assert_cmpuint(c->server_shutdown_timeout_ms, ==, 500);
  g_assert_cmpstr(c->server_log_level, ==, "debug");
  g_assert_cmpstr(c->server_logo_url_prefix, ==, "https://cdn.example/bimi");
  g_assert_cmpuint(c->render_n_sizes, ==, 2);
  g_assert_cmpuint(c->render_sizes[0], ==, 32);
  g_assert_cmpuint(c->render_sizes[1], ==, 64);
  g_assert_cmpuint(c->render_workers, ==, 3);
  g_assert_cmpuint(c->render_deadline_ms, ==, 900);
  g_assert_cmpstr(c->render_worker_path, ==, "/usr/bin/bimi");
  g_assert_cmpint(c->testing_now, ==, 1780272000);

  static const char *const bad[] = {
    "[policy]\ncmc = maybe\n",
    "[policy]\nlogo_without_evidence = yes\n",
    "[auth]\ntrust_own_authres = true\n",            /* forgeable: no signing domain, no stripping MTA */
    "[auth]\nown_signing_domain = a.example, b.example\n",
    "[auth]\ntrusted_receivers = mx example\n",
    "[server]\nlisten = nowhere\n",
    "[server]\nlisten = host:99999\n",
    "[server]\nsocket_mode = 0999\n",
    "[server]\nthreads = 0\n",
    "[server]\nmax_message_bytes = 10\n",
    "[server]\nlog_level = loud\n",
    "[server]\nlogo_url_prefix = http://cdn.example\n",
    "[render]\nsizes = 0\n",
    "[render]\nworkers = 1000\n",
    "[testing]\nnow = yesterday\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_refused(bad[i], BIMI_CONFIG_ERROR_VALUE, NULL);
  {
    g_autoptr(GError) e = NULL;
    g_autoptr(BimiConfig) b = parse("[auth]\ntrust_own_authres = true\nmta_strips_authres = true\n", &e);
    g_assert_no_error(e);
    g_assert_true(b->auth_mta_strips_authres);
  }
}

static void
test_trust_defaults(void)
{
  g_autoptr(BimiConfig) c = bimi_config_new_default();

  g_assert_cmpstr(c->trust_bimi_roots, ==, "data/bimi-roots.pem");
  g_assert_cmpstr(c->trust_ct_logs, ==, "data/ct-logs.cnf");
  g_assert_cmpint(c->trust_revocation, ==, BIMI_VMC_REVOCATION_SOFT);
}

static void
test_trust_keys(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[trust]\nbimi_roots = /etc/bimi/roots.pem \nct_logs=/etc/bimi/ct.cnf\n"
                                  "revocation = require\n", &error);

  g_assert_no_error(error);
  g_assert_cmpstr(c->trust_bimi_roots, ==, "/etc/bimi/roots.pem");
  g_assert_cmpstr(c->trust_ct_logs, ==, "/etc/bimi/ct.cnf");
  g_assert_cmpint(c->trust_revocation, ==, BIMI_VMC_REVOCATION_REQUIRE);
  bimi_config_unref(g_steal_pointer(&c));
  c = parse("[trust]\nrevocation = off\n", &error);
  g_assert_no_error(error);
  g_assert_cmpint(c->trust_revocation, ==, BIMI_VMC_REVOCATION_OFF);
  g_assert_cmpstr(c->trust_bimi_roots, ==, "data/bimi-roots.pem");
}

static void
test_trust_bad_values(void)
{
  static const char *const bad[] = {
    "[trust]\nrevocation = hard\n",
    "[trust]\nrevocation =\n",
    "[trust]\nbimi_roots =\n",
    "[trust]\nct_logs =  \n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_refused(bad[i], BIMI_CONFIG_ERROR_VALUE, NULL);
  assert_refused("[trust]\nsystem_store = yes\n", BIMI_CONFIG_ERROR_UNKNOWN_KEY, NULL);
}

/* [filter] (issue 17): default_consent is none or a list of the known filters, no_ptr an action. */
static void
test_filter_keys(void)
{
  g_autoptr(BimiConfig) def = bimi_config_new_default();
  g_assert_cmpuint(def->filter_default_consent, ==, 0);
  g_assert_cmpint(def->filter_no_ptr, ==, BIMI_FILTER_ACTION_QUARANTINE);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiConfig) c = parse("[filter]\ndefault_consent = no-ptr, dmarc\nno_ptr = reject\n", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(c->filter_default_consent, ==, BIMI_FILTER_DMARC | BIMI_FILTER_NO_PTR);
    g_assert_cmpint(c->filter_no_ptr, ==, BIMI_FILTER_ACTION_REJECT);
    g_autofree char *changed = bimi_config_format_changed(c);
    g_assert_cmpstr(changed, ==, "[filter]\ndefault_consent = dmarc, no-ptr\nno_ptr = reject\n");
  }
  assert_refused("[filter]\ndefault_consent = dmarc, spam\n", BIMI_CONFIG_ERROR_VALUE,
                 "[filter] default_consent = 'dmarc, spam': consent: 'spam' is not a filter");
  assert_refused("[filter]\nno_ptr = tag\n", BIMI_CONFIG_ERROR_VALUE, "expected one of deliver, quarantine, reject");
}

/* conf/bimi.conf.example is the key table's example text byte for byte: every key, no other, each with its
 * real default (`make conf/bimi.conf.example` regenerates it). */
static void
test_example_generated(void)
{
  g_autofree char *want = bimi_config_example_text();
  g_autofree char *have = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) parsed = NULL;
  g_autoptr(BimiConfig) d = bimi_config_new_default();
  g_autofree char *changed = NULL;

  g_assert_true(g_file_get_contents("conf/bimi.conf.example", &have, NULL, &error));
  g_assert_no_error(error);
  if (strcmp(have, want) != 0)
    g_test_message("conf/bimi.conf.example differs from `bimi config example`; run make conf/bimi.conf.example");
  g_assert_cmpstr(have, ==, want);
  g_assert_nonnull(strstr(want, "\nlisten = unix:/run/bimi/bimi-fcgi.sock\n"));
  g_assert_nonnull(strstr(want, "\nsizes = 16, 24, 32, 48, 64, 96, 128, 256, 512\n"));
  g_assert_nonnull(strstr(want, "\nsocket_mode = 0660\n"));
  /* It parses back to the defaults. */
  parsed = parse(want, &error);
  g_assert_no_error(error);
  changed = bimi_config_format_changed(parsed);
  g_assert_cmpstr(changed, ==, "");
  g_assert_cmpuint(parsed->cache_max_bytes, ==, d->cache_max_bytes);
  g_assert_cmpstr(parsed->server_log_level, ==, "info");
}

/* --check-config's dump: only the keys set away from their default, in the file's syntax, parsing back. */
static void
test_format_changed(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[render]\nsizes = 32,64\n[server]\nsocket_mode = 600\nthreads = 8\n"
                                  "[auth]\ntrusted_receivers = MX.example, b.example\n[testing]\nnow = @1700000000\n"
                                  "[policy]\ncmc = none\n", &error);
  g_autofree char *text = NULL;
  g_autoptr(BimiConfig) again = NULL;
  g_autofree char *text2 = NULL;

  g_assert_no_error(error);
  text = bimi_config_format_changed(c);
  g_assert_cmpstr(text, ==,
                  "[server]\nsocket_mode = 0600\n\n[render]\nsizes = 32, 64\n\n[policy]\ncmc = none\n\n"
                  "[auth]\ntrusted_receivers = mx.example, b.example\n\n[testing]\nnow = @1700000000\n");
  again = parse(text, &error);
  g_assert_no_error(error);
  text2 = bimi_config_format_changed(again);
  g_assert_cmpstr(text2, ==, text);
}

/* A key given twice is refused, naming both lines; every problem is in the one error. */
static void
test_duplicate_and_all_problems(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = parse("[server]\nthreads = 4\n[dns]\ntimeout_ms = 5\n[server]\nthreads = 4\n"
                                  "[policy]\ncmc = maybe\nbogus = 1\n", &error);
  g_auto(GStrv) lines = NULL;

  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY); /* the first problem's code */
  g_assert_nonnull(strstr(error->message, "test.conf:6: [server] threads: given twice (first on line 2)"));
  g_assert_nonnull(strstr(error->message, "[dns] timeout_ms = '5'"));
  g_assert_nonnull(strstr(error->message, "[policy] cmc = 'maybe'"));
  g_assert_nonnull(strstr(error->message, "[policy] bogus: unknown key"));
  lines = g_strsplit(error->message, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 4);
}

/* Relative paths in a file are resolved against its directory; defaults stay as compiled in. */
static void
test_relative_paths(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("bimi-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename(dir, "bimi.conf", NULL);
  g_autofree char *want_zone = g_build_filename(dir, "zones", "a.zone", NULL);
  g_autofree char *want_ca = g_build_filename(dir, "ca.pem", NULL);
  g_autoptr(BimiConfig) c = NULL;
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

  g_assert_no_error(error);
  g_assert_true(g_file_set_contents(path, "[dns]\nzone_files = zones/a.zone, /abs/b.zone\n[fetch]\nca_file = ca.pem\n"
                                    "[cache]\ndir = cache\n", -1, &error));
  c = bimi_config_new_from_file(path, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(c->dns_zone_files[0], ==, want_zone);
  g_assert_cmpstr(c->dns_zone_files[1], ==, "/abs/b.zone");
  g_assert_cmpstr(c->fetch_ca_file, ==, want_ca);
  g_assert_true(g_str_has_prefix(c->cache_dir, dir));
  g_assert_cmpstr(c->trust_bimi_roots, ==, BIMI_CONFIG_DEFAULT_BIMI_ROOTS);

  /* bimi_config_check_paths(): the missing files, by absolute path; the missing cache dir is creatable. */
  bimi_config_check_paths(c, path, problems);
  g_assert_cmpuint(problems->len, >=, 3);
  g_assert_nonnull(strstr(problems->pdata[0], want_zone));
  g_assert_nonnull(strstr(problems->pdata[1], "/abs/b.zone"));
  g_assert_nonnull(strstr(problems->pdata[2], want_ca));
  for (guint i = 0; i < problems->len; i++)
    g_assert_null(strstr(problems->pdata[i], "[cache]"));
  g_unlink(path);
  g_rmdir(dir);
}

/* bimi_config_load_collecting(): refused keys are listed and keep their defaults. */
static void
test_load_collecting(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp("bimi-config-XXXXXX.conf", &path, &error);
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(BimiConfig) c = NULL;

  g_assert_cmpint(fd, >=, 0);
  close(fd);
  g_assert_true(g_file_set_contents(path, "[server]\nthreads = 0\nmax_queue = 7\n[dns]\ntimeout_ms = 1\n", -1, &error));
  c = bimi_config_load_collecting(path, problems, &error);
  g_assert_no_error(error);
  g_assert_nonnull(c);
  g_assert_cmpuint(problems->len, ==, 2);
  g_assert_cmpuint(c->server_threads, ==, BIMI_SERVER_DEFAULT_THREADS);
  g_assert_cmpuint(c->server_max_queue, ==, 7);
  g_unlink(path);
}

/* Test-only settings are warnings, one per setting. */
static void
test_warnings(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) d = bimi_config_new_default();
  g_autoptr(BimiConfig) c = parse("[testing]\nnow = 2026-06-01T00:00:00Z\n[fetch]\nallow_private_addresses = true\n"
                                  "[trust]\nrevocation = off\n", &error);
  g_auto(GStrv) none = bimi_config_warnings(d);
  g_auto(GStrv) three = NULL;

  g_assert_no_error(error);
  three = bimi_config_warnings(c);
  g_assert_cmpuint(g_strv_length(none), ==, 0);
  g_assert_cmpuint(g_strv_length(three), ==, 3);
  g_assert_true(g_str_has_prefix(three[0], "[testing] now = 2026-06-01T00:00:00Z"));
  g_assert_true(g_str_has_prefix(three[1], "[fetch] allow_private_addresses = true"));
  g_assert_true(g_str_has_prefix(three[2], "[trust] revocation = off"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/defaults", test_defaults);
  g_test_add_func("/config/example-generated", test_example_generated);
  g_test_add_func("/config/format-changed", test_format_changed);
  g_test_add_func("/config/dns/keys", test_dns_keys);
  g_test_add_func("/config/policy/dmarc", test_policy_dmarc);
  g_test_add_func("/config/policy/no-ptr-action", test_policy_no_ptr_action);
  g_test_add_func("/config/auth/keys", test_auth_keys);
  g_test_add_func("/config/fetch/defaults", test_fetch_defaults);
  g_test_add_func("/config/fetch/keys", test_fetch_keys);
  g_test_add_func("/config/fetch/out-of-range", test_fetch_out_of_range);
  g_test_add_func("/config/policy/arc", test_policy_arc);
  g_test_add_func("/config/filter/keys", test_filter_keys);
  g_test_add_func("/config/strict/unknown-key", test_unknown_key);
  g_test_add_func("/config/strict/unknown-group", test_unknown_group);
  g_test_add_func("/config/strict/out-of-range", test_out_of_range);
  g_test_add_func("/config/strict/syntax-and-limits", test_syntax_and_limits);
  g_test_add_func("/config/cache/keys", test_cache_keys);
  g_test_add_func("/config/cache/redis-keys", test_cache_redis_keys);
  g_test_add_func("/config/cache/out-of-range", test_cache_out_of_range);
  g_test_add_func("/config/strict/file-limit", test_file_limit);
  g_test_add_func("/config/refcount", test_refcount);
  g_test_add_func("/config/example-file", test_example_file);
  g_test_add_func("/config/service-keys", test_service_keys);
  g_test_add_func("/config/trust/defaults", test_trust_defaults);
  g_test_add_func("/config/trust/keys", test_trust_keys);
  g_test_add_func("/config/trust/bad-values", test_trust_bad_values);
  g_test_add_func("/config/duplicate-and-all-problems", test_duplicate_and_all_problems);
  g_test_add_func("/config/relative-paths", test_relative_paths);
  g_test_add_func("/config/load-collecting", test_load_collecting);
  g_test_add_func("/config/warnings", test_warnings);
  return g_test_run();
}
