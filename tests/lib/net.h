/* tests/lib/net.h — the small helpers every test with a loopback server
 * needs (linked into every test binary; see the Makefile's TEST_SUPPORT):
 * free ports, waiting for a listener, children that die with the test, and
 * removing a temporary tree.
 */
#ifndef BIMI_TESTS_LIB_NET_H
#define BIMI_TESTS_LIB_NET_H

#include <glib.h>
#include <sys/socket.h>

/** One UDP datagram as a loopback test server received it: its bytes, and the
 * sender's address (to answer it with sendto). */
typedef struct {
  guint8 data[4096];
  gsize len;
  struct sockaddr_storage from;
  socklen_t fromlen;
} BimiTestDatagram;

/** A UDP socket bound to 127.0.0.1 on a port the kernel picks (returned in
 * @out_port); asserts that it works. The caller closes it. */
int bimi_test_udp_listen(guint16 *out_port);

/** Waits up to @wait_ms milliseconds for one datagram on @fd: TRUE with it in
 * @d, FALSE when none came (or an empty one, or an error). */
gboolean bimi_test_udp_receive(int fd, int wait_ms, BimiTestDatagram *d);

/** A TCP port on 127.0.0.1 that was free a moment ago. */
guint bimi_test_free_port(void);

/** Fills @ports with @n different ports that were free a moment ago. */
void bimi_test_free_ports(guint *ports, guint n);

/** TRUE when something accepts a TCP connection on 127.0.0.1:@port now. */
gboolean bimi_test_port_open(guint port);

/** Waits until something accepts on 127.0.0.1:@port (at most 5 s); FALSE when nothing does. */
gboolean bimi_test_wait_port(guint port);

/** A GSpawnChildSetupFunc: the child gets SIGTERM when the test process dies
 * (PR_SET_PDEATHSIG), so no server outlives a crashed test. */
void bimi_test_die_with_parent(gpointer data);

/** The path of the nginx binary the tests start (Debian's; scripts/install-deps installs it). */
#define BIMI_TEST_NGINX "/usr/sbin/nginx"

/** Reads the nginx.conf template @path (aborts the test when it cannot) and fills
 * in @USER@ ("user root;" when the tests run as root, nginx's workers would
 * otherwise drop to nobody). Free with g_string_free(). */
GString *bimi_test_nginx_conf(const char *path);

/** Replaces every @name (e.g. "@PORT@") in @conf with @port in decimal. */
void bimi_test_conf_set_port(GString *conf, const char *name, guint port);

/** Writes @conf to @dir/nginx.conf and starts BIMI_TEST_NGINX in the foreground
 * with @dir as its prefix and @dir/error.log as its error log, as a child that
 * dies with the test (the test aborts when it cannot be spawned). Returns its
 * pid: stop it with bimi_test_child_stop(). Wait for its ports with
 * bimi_test_wait_port(). */
GPid bimi_test_nginx_start(const char *dir, const GString *conf);

/** SIGTERM to the child *@pid, reaps it and sets *@pid to 0; nothing when it is 0. */
void bimi_test_child_stop(GPid *pid);

/** A new directory under the temporary directory, named after @tmpl (g_dir_make_tmp(): its
 * XXXXXX replaced); the test fails, naming it, when it cannot be made. The test removes it (bimi_test_remove_tree()). (transfer full) */
char *bimi_test_make_tmpdir(const char *tmpl);

/** Removes @path: a file, or a directory and everything under it (symlinks are removed, not followed). */
void bimi_test_remove_tree(const char *path);

/** Whether @program (an absolute path, a string that outlives the test run) is
 * installed. When it is not, registers one test at @testpath that is skipped
 * with "@program is not installed" and returns FALSE: main() then returns
 * g_test_run() without the tests that need it. */
gboolean bimi_test_require_program(const char *program, const char *testpath);

#endif /* BIMI_TESTS_LIB_NET_H */
