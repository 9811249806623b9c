/* tests/lib/net.c — see net.h. */
#include "tests/lib/net.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <gio/gio.h>

void
bimi_test_die_with_parent(gpointer data)
{
  (void) data;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
}

guint
bimi_test_free_port(void)
{
  g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true(g_socket_bind(s, any, TRUE, NULL));
  bound = g_socket_get_local_address(s, NULL);
  return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

void
bimi_test_free_ports(guint *ports, guint n)
{
  for (guint i = 0; i < n; i++) {
    gboolean taken;
    do {
      ports[i] = bimi_test_free_port();
      taken = FALSE;
      for (guint j = 0; j < i; j++)
        taken = taken || ports[j] == ports[i];
    } while (taken);
  }
}

gboolean
bimi_test_port_open(guint port)
{
  g_autoptr(GSocketClient) c = g_socket_client_new();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(c, "127.0.0.1", (guint16) port, NULL, NULL);
  return conn != NULL;
}

gboolean
bimi_test_wait_port(guint port)
{
  for (int i = 0; i < 200; i++) {
    if (bimi_test_port_open(port))
      return TRUE;
    g_usleep(25000);
  }
  return FALSE;
}

void
bimi_test_remove_tree(const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test(path, G_FILE_TEST_IS_SYMLINK) || !g_file_test(path, G_FILE_TEST_IS_DIR)) {
    (void) unlink(path);
    return;
  }
  dir = g_dir_open(path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    bimi_test_remove_tree(child);
  }
  (void) rmdir(path);
}

GString *
bimi_test_nginx_conf(const char *path)
{
  g_autofree char *text = NULL;
  GString *conf;

  if (!g_file_get_contents(path, &text, NULL, NULL))
    g_error("cannot read %s", path);
  conf = g_string_new(text);
  g_string_replace(conf, "@USER@", getuid() == 0 ? "user root;" : "", 0);
  return conf;
}

void
bimi_test_conf_set_port(GString *conf, const char *name, guint port)
{
  g_autofree char *v = g_strdup_printf("%u", port);

  g_string_replace(conf, name, v, 0);
}

GPid
bimi_test_nginx_start(const char *dir, const GString *conf)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conf_path = g_build_filename(dir, "nginx.conf", NULL);
  g_autofree char *errlog = g_build_filename(dir, "error.log", NULL);
  const char *args[] = { BIMI_TEST_NGINX, "-p", dir, "-e", errlog, "-c", conf_path, "-g", "daemon off;", NULL };
  g_auto(GStrv) argv = g_strdupv((char **) (void *) args);
  GPid pid = 0;

  g_assert_true(g_file_set_contents(conf_path, conf->str, (gssize) conf->len, NULL));
  g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, bimi_test_die_with_parent,
                NULL, &pid, &error);
  g_assert_no_error(error);
  return pid;
}

void
bimi_test_child_stop(GPid *pid)
{
  if (*pid <= 0)
    return;
  kill(*pid, SIGTERM);
  waitpid(*pid, NULL, 0);
  g_spawn_close_pid(*pid);
  *pid = 0;
}

static void
skip_missing(gconstpointer program)
{
  g_autofree char *why = g_strdup_printf("%s is not installed", (const char *) program);
  g_test_skip(why);
}

gboolean
bimi_test_require_program(const char *program, const char *testpath)
{
  if (g_file_test(program, G_FILE_TEST_IS_EXECUTABLE))
    return TRUE;
  g_test_add_data_func(testpath, program, skip_missing);
  return FALSE;
}

int
bimi_test_udp_listen(guint16 *out_port)
{
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);

  g_assert_cmpint(fd, >=, 0);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_assert_cmpint(bind(fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint(getsockname(fd, (struct sockaddr *) &sa, &len), ==, 0);
  *out_port = ntohs(sa.sin_port);
  return fd;
}

gboolean
bimi_test_udp_receive(int fd, int wait_ms, BimiTestDatagram *d)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  ssize_t n;

  if (poll(&p, 1, wait_ms) <= 0)
    return FALSE;
  d->fromlen = sizeof d->from;
  n = recvfrom(fd, d->data, sizeof d->data, 0, (struct sockaddr *) &d->from, &d->fromlen);
  if (n <= 0)
    return FALSE;
  d->len = (gsize) n;
  return TRUE;
}

char *
bimi_test_make_tmpdir(const char *tmpl)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp(tmpl, &error);

  if (dir == NULL)
    g_error("no temporary directory %s for the test: %s", tmpl, error->message);
  return dir;
}
