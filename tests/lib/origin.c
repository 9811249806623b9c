/* tests/lib/origin.c — see origin.h. */
#include "tests/lib/origin.h"
#include "engine/base/base-mem.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

gboolean
bimi_test_origin_available(void)
{
  return g_file_test(BIMI_TEST_NGINX, G_FILE_TEST_IS_EXECUTABLE);
}

/* @path with @USER@, @PORT_CRL@, @PORT@, @TMP@ and @REPO@ filled in. */
static GString *
fill(const BimiTestOrigin *o, const char *path)
{
  GString *s = bimi_test_nginx_conf(path);

  bimi_test_conf_set_port(s, "@PORT_CRL@", o->port_crl);
  bimi_test_conf_set_port(s, "@PORT@", o->port);
  g_string_replace(s, "@TMP@", o->tmp, 0);
  g_string_replace(s, "@REPO@", o->repo, 0);
  return s;
}

BimiTestOrigin *
bimi_test_origin_start(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *zone = NULL;
  g_autoptr(GString) conf = NULL;
  const char *build = g_getenv("BIMI_BUILD");
  BimiTestOrigin *o = g_new0(BimiTestOrigin, 1);

  o->repo = g_get_current_dir();
  o->tmp = g_dir_make_tmp("bimi-origin-XXXXXX", &error);
  g_assert_no_error(error);
  {
    guint ports[2];
    bimi_test_free_ports(ports, 2);
    o->port = ports[0];
    o->port_crl = ports[1];
  }
  conf = fill(o, "fixtures/evaluate/nginx.conf.in");
  zone = g_string_free(fill(o, "fixtures/evaluate/evaluate.zone.in"), FALSE);
  o->zone_path = g_build_filename(o->tmp, "evaluate.zone", NULL);
  g_assert_true(g_file_set_contents(o->zone_path, zone, -1, NULL));
  o->worker = g_build_filename(o->repo, build ? build : "build", "bimi", NULL);
  o->pid = bimi_test_nginx_start(o->tmp, conf);
  if (!bimi_test_wait_port(o->port) || !bimi_test_wait_port(o->port_crl))
    g_error("nginx does not listen on 127.0.0.1:%u and :%u (see %s)", o->port, o->port_crl, o->tmp);
  return o;
}

/* @base with the keys of @extra (INI lines for [policy], or for groups they name) set over it: the
 * configuration refuses a key given twice, so an override replaces the key instead of repeating it. */
static char *
merge_extra(const char *base, const char *extra)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GKeyFile) over = g_key_file_new();
  g_autofree char *over_text = g_strconcat("[policy]\n", extra != NULL ? extra : "", "\n", NULL);
  g_auto(GStrv) groups = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_key_file_load_from_data(kf, base, (gsize) -1, G_KEY_FILE_NONE, &error) ||
      !g_key_file_load_from_data(over, over_text, (gsize) -1, G_KEY_FILE_NONE, &error))
    g_error("test configuration: %s", error->message);
  groups = g_key_file_get_groups(over, NULL);
  for (guint g = 0; groups[g] != NULL; g++) {
    g_auto(GStrv) keys = g_key_file_get_keys(over, groups[g], NULL, NULL);
    for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
      g_autofree char *v = g_key_file_get_value(over, groups[g], keys[k], NULL);
      g_key_file_set_value(kf, groups[g], keys[k], v);
    }
  }
  return g_key_file_to_data(kf, NULL, NULL);
}

char *
bimi_test_origin_config(BimiTestOrigin *o, const char *const *extra_zones, const char *extra)
{
  g_autofree char *cache = g_strdup_printf("%s/cache-%u", o->tmp, ++o->n_cache_dirs);
  g_autoptr(GString) zones = g_string_new(o->zone_path);
  /* Absolute: the text is also written to a file, where a relative path would be resolved against
   * the file's directory (bimi_config_new_from_file()). */
  g_autofree char *ca = g_canonicalize_filename("fixtures/tls/ca.pem", NULL);
  g_autofree char *roots = g_canonicalize_filename("fixtures/pki/root.pem", NULL);
  g_autofree char *ct_logs = g_canonicalize_filename("fixtures/pki/ct-logs.cnf", NULL);
  g_autofree char *base = NULL;

  for (guint i = 0; extra_zones != NULL && extra_zones[i] != NULL; i++) {
    g_autofree char *abs = g_canonicalize_filename(extra_zones[i], NULL);
    g_string_append_printf(zones, ", %s", abs);
  }
  base = g_strdup_printf("[dns]\nzone_files = %s\ntimeout_ms = 300\n"
                         "[fetch]\nca_file = %s\nallow_private_addresses = true\n"
                         "resolve = origin.test:%u:127.0.0.1, crl.pki.test:%u:127.0.0.1, origin.test:1:127.0.0.1\n"
                         "connect_to = crl.pki.test:80::%u\n"
                         "[trust]\nbimi_roots = %s\n"
                         "ct_logs = %s\n"
                         "[cache]\ndir = %s\n[render]\nworker_path = %s\nsizes = 32, 64\n"
                         "[auth]\nauthserv_id = " BIMI_TEST_ORIGIN_AUTHSERV_ID "\n"
                         "[testing]\nnow = 2026-06-01T00:00:00Z\n",
                         zones->str, ca, o->port, o->port_crl, o->port_crl, roots, ct_logs, cache, o->worker);
  return merge_extra(base, extra);
}

static guint
count_lines(const char *path)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents(path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

guint
bimi_test_origin_log_lines(BimiTestOrigin *o, const char *name)
{
  g_autofree char *path = g_build_filename(o->tmp, name, NULL);
  guint n = count_lines(path);
  guint stable_ms = 0;

  for (guint waited = 0; stable_ms < 300 && waited < 5000; waited += 50) {
    g_usleep(50 * 1000);
    guint m = count_lines(path);
    stable_ms = m == n ? stable_ms + 50 : 0;
    n = m;
  }
  return n;
}

void
bimi_test_origin_stop(BimiTestOrigin *o)
{
  if (o == NULL)
    return;
  if (o->pid > 0) {
    GPid pid = o->pid;
    bimi_test_child_stop(&pid);
  }
  bimi_test_remove_tree(o->tmp);
  BIMI_FREE_ALL(o->tmp, o->repo, o->zone_path, o->worker, o);
}
