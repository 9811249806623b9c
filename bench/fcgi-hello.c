/* bench/fcgi-hello.c — the ceiling of "nginx + FastCGI round trip" for bench/service.sh.
 *
 *   build/bench/fcgi-hello -c BIMI.CONF [--listen ADDR]
 *
 * A trivial libfcgi responder: every request gets the same small JSON object
 * (HELLO_BODY below, 200, application/json). It takes its worker thread count,
 * listen address, unix-socket mode and accept backlog from the [server] group of
 * the same bimi.conf that bimi-fcgi runs with (evaluate/config), so the two are
 * measured with the same pool; --listen overrides the address only.
 *
 * Connection model: nginx keeps FastCGI connections open (fastcgi_keep_conn on,
 * FCGI_KEEP_CONN) and may open more of them than there are threads. A thread that
 * blocked in FCGX_Accept_r() on an idle kept connection would starve the requests
 * queued on the others, so one dispatcher thread watches the listening socket and
 * every idle connection with epoll (one-shot) and hands a connection that became
 * readable to the pool through a GAsyncQueue; a worker serves one request on it
 * and gives it back to epoll if nginx asked to keep it.
 *
 * libfcgi 2.4 has no public call for "serve a request on this already-accepted
 * connection", but FCGX_Accept_r() reads from FCGX_Request.ipcFd when it is
 * already open (fcgiapp.c), and FCGX_Finish_r() closes it only when keepConnection
 * is clear; the worker relies on exactly those two fields. The request's
 * listen_sock is -1, so a connection that fails mid-request is closed by libfcgi
 * and its accept() fails at once instead of blocking a worker.
 *
 * Runs until SIGTERM or SIGINT (bench/service.sh stops it by PID). Exit 2 on usage or setup errors.
 */
#include "evaluate/config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The answer: about the size of a short decision object. */
#define HELLO_BODY "{\"decision\":\"none\",\"reason\":\"no-record\",\"ttl\":3600}\n"
#define HELLO_HEADERS "Status: 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=3600\r\n"

#define EPOLL_BATCH 64

static int epfd = -1;
static int listen_fd = -1;
static GAsyncQueue *ready;  /* connection fds + 1, readable, owned by whoever popped them */

/* Gives @fd back to epoll (one-shot) or registers it the first time. */
static gboolean
watch(int fd, int op)
{
  struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.fd = fd };

  if (epoll_ctl(epfd, op, fd, &ev) < 0) {
    g_warning("fcgi-hello: epoll_ctl(%d): %s", fd, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static void *
dispatcher(void *data)
{
  struct epoll_event evs[EPOLL_BATCH];

  for (;;) {
    int n = epoll_wait(epfd, evs, EPOLL_BATCH, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      g_error("fcgi-hello: epoll_wait: %s", g_strerror(errno));
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == listen_fd) {
        int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) {
          if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            g_warning("fcgi-hello: accept: %s", g_strerror(errno));
          continue;
        }
        if (!watch(conn, EPOLL_CTL_ADD))
          close(conn);
      } else {
        g_async_queue_push(ready, GINT_TO_POINTER(fd + 1));
      }
    }
  }
  return NULL;
}

/* Serves one request on the readable connection @fd, then re-arms or closes it. */
static void
serve(int fd)
{
  char probe;
  ssize_t got = recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    close(fd);  /* nginx closed an idle kept connection */
    return;
  }

  FCGX_Request req;
  FCGX_InitRequest(&req, -1, 0);
  req.ipcFd = fd;
  req.keepConnection = 1;  /* so the Finish_r() inside Accept_r() leaves fd open */
  if (FCGX_Accept_r(&req) < 0)
    return;  /* protocol error or EOF: libfcgi closed fd */

  char buf[4096];
  while (FCGX_GetStr(buf, sizeof buf, req.in) > 0)
    ;  /* the request body, if any, is read and dropped */
  /* libfcgi's own printf knows no %zu: the length is formatted here. */
  char head[256];
  int head_len = g_snprintf(head, sizeof head, HELLO_HEADERS "Content-Length: %zu\r\n\r\n", strlen(HELLO_BODY));
  FCGX_PutStr(head, head_len, req.out);
  FCGX_PutStr(HELLO_BODY, (int) strlen(HELLO_BODY), req.out);
  FCGX_Finish_r(&req);

  if (req.ipcFd >= 0 && !watch(req.ipcFd, EPOLL_CTL_MOD))
    close(req.ipcFd);
}

static void *
worker(void *data)
{
  for (;;)
    serve(GPOINTER_TO_INT(g_async_queue_pop(ready)) - 1);
  return NULL;
}

int
main(int argc, char **argv)
{
  const char *conf_path = NULL, *listen_override = NULL;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
      conf_path = argv[++i];
    else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
      listen_override = argv[++i];
    else {
      fprintf(stderr, "usage: fcgi-hello -c BIMI.CONF [--listen unix:/PATH|HOST:PORT]\n");
      return 2;
    }
  }
  if (!conf_path) {
    fprintf(stderr, "fcgi-hello: -c BIMI.CONF is required (threads and listen come from its [server] group)\n");
    return 2;
  }

  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = bimi_config_new_from_file(conf_path, &error);
  if (!config) {
    fprintf(stderr, "fcgi-hello: %s\n", error->message);
    return 2;
  }

  const char *addr = listen_override ? listen_override : config->server_listen;
  gboolean is_unix = g_str_has_prefix(addr, "unix:") || addr[0] == '/';
  const char *path = g_str_has_prefix(addr, "unix:") ? addr + strlen("unix:") : addr;

  if (FCGX_Init() != 0) {
    fprintf(stderr, "fcgi-hello: FCGX_Init failed\n");
    return 2;
  }
  if (is_unix)
    unlink(path);  /* a stale socket from an earlier run */
  listen_fd = FCGX_OpenSocket(path, (int) config->server_max_queue);
  if (listen_fd < 0) {
    fprintf(stderr, "fcgi-hello: cannot listen on %s\n", addr);
    return 2;
  }
  if (is_unix && chmod(path, config->server_socket_mode) < 0) {
    fprintf(stderr, "fcgi-hello: chmod %s: %s\n", path, g_strerror(errno));
    return 2;
  }

  /* FCGX_Init() makes SIGTERM only set libfcgi's "shutdown pending" flag, which
   * this accept loop never reads: the benchmark stops the responder with SIGTERM. */
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);  /* nginx may close a connection before it reads the answer */
  ready = g_async_queue_new();
  epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = listen_fd };
  if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
    fprintf(stderr, "fcgi-hello: epoll: %s\n", g_strerror(errno));
    return 2;
  }

  for (guint i = 0; i < config->server_threads; i++)
    g_thread_unref(g_thread_new("fcgi-hello", worker, NULL));
  fprintf(stderr, "fcgi-hello: %u threads on %s\n", config->server_threads, addr);
  dispatcher(NULL);
  return 0;
}
