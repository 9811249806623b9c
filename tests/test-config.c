/* tests/test-config.c — engine/config: defaults, [dns] keys, strictness. */
#include "engine/config.h"
#include "engine/limits.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

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

/* A file of @size bytes that reads as NULs (sparse); the path is returned. */
static char *
sparse_file(gsize size)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp("bimi-config-XXXXXX", &path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(ftruncate(fd, (off_t) size), ==, 0);
  close(fd);
  return path;
}

/* The file limit holds on the bytes read: a device (st_size 0) and a file
 * one byte over BIMI_MAX_CONFIG_BYTES are refused; at the limit the file is
 * read and parsed (and its NULs refused as syntax). */
static void
test_file_limit(void)
{
  g_autofree char *over = sparse_file(BIMI_MAX_CONFIG_BYTES + 1);
  g_autofree char *at = sparse_file(BIMI_MAX_CONFIG_BYTES);
  g_autofree char *limit_text = g_strdup_printf("more than %u bytes", BIMI_MAX_CONFIG_BYTES);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) c = bimi_config_new_from_file("/dev/zero", &error);

  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "/dev/zero"));
  g_assert_nonnull(strstr(error->message, limit_text));
  g_clear_error(&error);

  c = bimi_config_new_from_file(over, &error);
  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, limit_text));
  g_clear_error(&error);

  c = bimi_config_new_from_file(at, &error);
  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_SYNTAX);
  g_assert_nonnull(strstr(error->message, "NUL"));
  g_clear_error(&error);

  c = bimi_config_new_from_file("/nonexistent/bimi.conf", &error);
  g_assert_null(c);
  g_assert_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "/nonexistent/bimi.conf"));
  g_unlink(over);
  g_unlink(at);
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
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/defaults", test_defaults);
  g_test_add_func("/config/dns/keys", test_dns_keys);
  g_test_add_func("/config/strict/unknown-key", test_unknown_key);
  g_test_add_func("/config/strict/unknown-group", test_unknown_group);
  g_test_add_func("/config/strict/out-of-range", test_out_of_range);
  g_test_add_func("/config/strict/syntax-and-limits", test_syntax_and_limits);
  g_test_add_func("/config/strict/file-limit", test_file_limit);
  g_test_add_func("/config/refcount", test_refcount);
  g_test_add_func("/config/example-file", test_example_file);
  return g_test_run();
}
