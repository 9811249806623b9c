/* fcgi/server.c — listener, dispatcher, work queue, workers, signals.
 *
 * Threads and who owns a connection (its fd) when:
 *   main (dispatcher)  accepts, polls the connections in its hands with epoll
 *                      (edge-triggered; each connection stays registered from
 *                      accept to close), and hands one whose request is whole to
 *                      the work queue — or, when more than [server] max_queue are
 *                      already waiting, to the overload queue. Reads signals from
 *                      a signalfd.
 *   workers            pop a connection, run ONE request on it with libfcgi
 *                      (FCGX_InitRequest once, then per request: set ipcFd,
 *                      FCGX_Accept_r reads the request from that open fd),
 *                      FCGX_Finish_r, then give the connection back, kept or
 *                      closed: a lock-free stack the dispatcher takes whole, woken
 *                      by an eventfd only when the stack was empty (issue 21: no
 *                      pipe write, epoll_ctl DEL/ADD pair or allocation per
 *                      request). EPOLL_CTL_MOD re-arms a kept connection, which
 *                      raises an event at once if its next request came while a
 *                      worker had it.
 *   overload           the same for the overload queue: 503 + Retry-After.
 *   reload             SIGHUP: reads the configuration, builds a new evaluator,
 *                      swaps it in; requests in flight finish on the old one.
 * The dispatcher never blocks on a peer, and a worker never waits for one: the
 * dispatcher peeks (MSG_PEEK, nothing consumed) at what has arrived on a
 * connection and hands it to a worker only once a whole request is there
 * (BEGIN_REQUEST, PARAMS and FCGI_STDIN each to its end, fcgi/http.c
 * bimi_fcgi_scan_request), or its parameters announce a body over
 * max_message_bytes (413, unread), or BIMI_SERVER_READAHEAD_BYTES are waiting
 * (a sender that fast is not trickling). A request still incomplete after
 * BIMI_SERVER_REQUEST_TIMEOUT_S is closed. So clients that trickle a request
 * hold a descriptor, never a worker. Connections are bounded (RLIMIT_NOFILE
 * raised for BIMI_SERVER_MAX_CONNECTIONS): past the bound a new connection
 * closes the one idle the longest, so idle connections cannot lock out new ones.
 *
 * FastCGI 1.0 (fastcgi-spec §3.5): FCGI_KEEP_CONN in FCGI_BEGIN_REQUEST says
 * whether the web server wants the connection kept; we keep it only when the
 * request's FCGI_STDIN was read to its end, so the next request starts on a
 * record boundary.
 */
#include "fcgi/server.h"
#include "fcgi/handlers.h"
#include "fcgi/log.h"
#include "fcgi/metrics.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <fcgiapp.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

G_DEFINE_QUARK(bimi-fcgi-server-error-quark, bimi_fcgi_server_error)

/* Events taken from epoll per wait. */
#define EPOLL_BATCH 64
/* While draining on SIGTERM, how often the dispatcher checks the count, ms. */
#define DRAIN_TICK_MS 20
/* After accept(2) fails for lack of descriptors, the listener rests this long, ms. */
#define ACCEPT_BACKOFF_MS 100

/* One FastCGI connection, from accept to close. It stays registered with epoll all
 * along: its event carries its fd and generation (conn_key()), looked up in the
 * dispatcher's table conns[fd], so a late event never reaches a connection that
 * has gone or a successor on the same fd. In the dispatcher's hands (in_hand):
 * kept alive between requests, or a request arriving; otherwise a worker has it,
 * or it is on the returned stack. */
typedef struct Conn Conn;
struct Conn {
  int fd;
  guint32 gen;       /* != 0 */
  gboolean in_hand;  /* dispatcher only */
  gboolean closed;   /* set by the worker that closed it before returning it: to be freed */
  gint64 started_us; /* dispatcher only: first byte of a request seen (monotonic), 0: none yet */
  gsize need;        /* dispatcher only: bytes that must be waiting before the next look */
  gint64 ready_us;   /* when the dispatcher saw the request arrive (read by the worker) */
  GList link;        /* dispatcher only: in lru while in hand; head = in hand the longest */
  Conn *next;        /* on the returned stack */
};

/* Popped by a worker: stop. */
static Conn stop_item;

struct _BimiFcgiServer {
  char *config_path;
  GMutex lock;                /* guards evaluator */
  BimiEvaluator *evaluator;
  char *listen_spec;          /* in force; a reload cannot move the socket */
  guint n_workers;
  guint shutdown_timeout_ms;

  int listen_fd;
  gboolean inherited;         /* listen_fd came from the service manager (LISTEN_FDS) */
  char *unix_path;            /* to unlink at exit, if it is still our socket */
  dev_t unix_dev;             /* the socket file we bound, to tell it from a successor's */
  ino_t unix_ino;
  int epoll_fd;
  int signal_fd;
  int wake_fd;                /* eventfd: a worker returned connections to an empty stack */
  Conn *returned;             /* atomic: stack of connections workers are done with (kept or closed) */

  GAsyncQueue *work;
  GAsyncQueue *overload;
  GThread **workers;
  GThread *overload_thread;
  BimiFcgiMetrics *metrics;

  gint max_queue;             /* atomic: [server] max_queue in force */
  gint n_conns;               /* atomic: open connections */
  gint busy;                  /* atomic: requests running */
  gint pending;               /* atomic: requests queued or running */
  gint stopping;              /* atomic */
  Conn **conns;               /* dispatcher only: fd → its connection (n_fds slots, grown on demand) */
  guint n_fds;
  guint32 last_gen;           /* dispatcher only */
  GQueue lru;                 /* dispatcher only: the connections in hand, oldest first */
  guchar *peek;               /* dispatcher only: BIMI_SERVER_READAHEAD_BYTES */
  gint64 sweep_us;            /* dispatcher only: last look for overdue requests */
  guint max_conns;            /* BIMI_SERVER_MAX_CONNECTIONS, or less when RLIMIT_NOFILE is lower */
  gint max_message_bytes;     /* atomic: [server] max_message_bytes in force */
  gint64 accept_resume_us;    /* dispatcher only: listener paused until then (0: armed) */

  GMutex reload_lock;         /* guards the three below */
  GThread *reload_thread;
  gboolean reload_running;
  gboolean reload_again;
};

/* ---- [server] listen --------------------------------------------------- */

void
bimi_fcgi_listen_clear(BimiFcgiListen *listen)
{
  g_clear_pointer(&listen->unix_path, g_free);
  g_clear_pointer(&listen->host, g_free);
  g_clear_pointer(&listen->port, g_free);
}

static gboolean
listen_error(GError **error, const char *spec, const char *why)
{
  g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN, "[server] listen = %s: %s", spec, why);
  return FALSE;
}

gboolean
bimi_fcgi_listen_parse(const char *spec, BimiFcgiListen *out, GError **error)
{
  const char *path = NULL;
  const char *colon;
  guint64 port;

  memset(out, 0, sizeof *out);
  if (spec == NULL || spec[0] == '\0')
    return listen_error(error, "", "empty");
  if (g_str_has_prefix(spec, "unix:"))
    path = spec + 5;
  else if (spec[0] == '/')
    path = spec;
  if (path != NULL) {
    if (path[0] != '/')
      return listen_error(error, spec, "a unix socket path must be absolute");
    if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
      return listen_error(error, spec, "unix socket path too long");
    out->unix_path = g_strdup(path);
    return TRUE;
  }
  if (spec[0] == '[') {
    const char *close = strchr(spec, ']');
    if (close == NULL || close[1] != ':')
      return listen_error(error, spec, "expected [IPV6]:PORT");
    out->host = g_strndup(spec + 1, (gsize) (close - spec - 1));
    colon = close + 1;
  } else {
    colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || memchr(spec, ':', (gsize) (colon - spec)) != NULL)
      return listen_error(error, spec, "expected unix:/PATH, HOST:PORT or [IPV6]:PORT");
    out->host = g_strndup(spec, (gsize) (colon - spec));
  }
  if (!g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL)) {
    bimi_fcgi_listen_clear(out);
    return listen_error(error, spec, "port must be 1..65535");
  }
  out->port = g_strdup(colon + 1);
  return TRUE;
}

static int
listen_unix(const char *path, guint mode, GError **error)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  struct stat st;
  int fd;

  memcpy(sa.sun_path, path, strlen(path) + 1);
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN, "%s exists and is not a socket", path);
      return -1;
    }
    /* A socket someone answers on belongs to a running instance; a dead one is ours to replace. */
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof sa) == 0) {
      close(probe);
      g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN,
                  "%s: another process is listening there", path);
      return -1;
    }
    if (probe >= 0)
      close(probe);
    unlink(path);
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) != 0 || chmod(path, mode) != 0 ||
      listen(fd, SOMAXCONN) != 0) {
    int e = errno;
    g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN, "%s: %s", path, g_strerror(e));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

static int
listen_tcp(const BimiFcgiListen *l, GError **error)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                            .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
  struct addrinfo *res = NULL;
  int rc = getaddrinfo(l->host, l->port, &hints, &res);
  int fd = -1, e = 0;

  if (rc != 0) {
    g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN, "%s:%s: %s", l->host, l->port,
                gai_strerror(rc));
    return -1;
  }
  for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
    int one = 1;
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      e = errno;
      continue;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      e = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0)
    g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN, "%s:%s: %s", l->host, l->port,
                g_strerror(e));
  return fd;
}

/* systemd socket activation, sd_listen_fds(3): the service manager passes the
 * listening socket as fd 3 (SD_LISTEN_FDS_START) with LISTEN_PID = our pid and
 * LISTEN_FDS = 1. The socket then outlives us: connections made while no
 * instance runs wait in its backlog for the next one. Returns the fd, -1 with
 * @error when the variables are there but wrong, or -1 without @error when
 * there is no activation. The variables are removed (the render workers must
 * not see them). */
#define LISTEN_FDS_START 3

static int
listen_inherited(GError **error)
{
  const char *pid_text = g_getenv("LISTEN_PID");
  const char *fds_text = g_getenv("LISTEN_FDS");
  guint64 pid = 0, n = 0;
  int fd = LISTEN_FDS_START, accepting = 0, type = 0;
  socklen_t len = sizeof accepting;

  if (pid_text == NULL || fds_text == NULL)
    return -1;
  gboolean for_us = g_ascii_string_to_unsigned(pid_text, 10, 1, G_MAXINT, &pid, NULL) && (pid_t) pid == getpid();
  g_unsetenv("LISTEN_PID");
  g_unsetenv("LISTEN_FDS");
  g_unsetenv("LISTEN_FDNAMES");
  if (!for_us)
    return -1; /* meant for another process (a parent that exec'd us without them) */
  if (!g_ascii_string_to_unsigned(fds_text, 10, 0, G_MAXINT, &n, NULL) || n != 1) {
    g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN,
                "socket activation: LISTEN_FDS=%s, expected exactly 1 socket", fds_text);
    return -1;
  }
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting ||
      (len = sizeof type, getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) || type != SOCK_STREAM) {
    g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN,
                "socket activation: fd %d is not a listening stream socket", fd);
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_LISTEN, "socket activation: fd %d: %s", fd,
                g_strerror(errno));
    return -1;
  }
  return fd;
}

/* ---- evaluator (swapped by SIGHUP) ------------------------------------- */

static BimiEvaluator *
current_evaluator(BimiFcgiServer *s)
{
  g_mutex_lock(&s->lock);
  BimiEvaluator *e = bimi_evaluator_ref(s->evaluator);
  g_mutex_unlock(&s->lock);
  return e;
}

static void
gauges(gpointer data, BimiFcgiGauges *out)
{
  BimiFcgiServer *s = data;
  gint queued = g_async_queue_length(s->work);

  out->workers = s->n_workers;
  out->in_flight = (guint) MAX(0, g_atomic_int_get(&s->busy));
  out->queued = (guint) MAX(0, queued);
  out->connections = (guint) MAX(0, g_atomic_int_get(&s->n_conns));
  out->max_queue = (guint) g_atomic_int_get(&s->max_queue);
}

/* ---- connections -------------------------------------------------------- */

/* Closes a connection. @linger: the peer may still be sending (a 413, a 503 with
 * a body we did not read): stop writing, read and drop what comes for a short
 * while, so it reads our answer rather than a reset. */
static void
close_conn(BimiFcgiServer *s, int fd, gboolean linger)
{
  if (linger && shutdown(fd, SHUT_WR) == 0) {
    gint64 deadline = g_get_monotonic_time() + (gint64) BIMI_SERVER_LINGER_MS * 1000;
    gsize dropped = 0;
    char buf[8192];
    for (;;) {
      gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (left_ms <= 0 || poll(&p, 1, (int) left_ms) <= 0)
        break;
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
        break;
      dropped += n > 0 ? (gsize) n : 0;
      if (dropped > BIMI_MAX_MESSAGE_BYTES)
        break;
    }
  }
  close(fd);
  g_atomic_int_add(&s->n_conns, -1);
}

/* Its epoll event data: generation above, fd below (the listener, signalfd and
 * eventfd have generation 0). */
static guint64
conn_key(const Conn *c)
{
  return (guint64) c->gen << 32 | (guint32) c->fd;
}

/* A worker is done with @c (kept: give it back; @closed: freed by the dispatcher).
 * Lock-free push (many workers, one dispatcher that takes the whole stack); the
 * dispatcher is woken only when the stack was empty, so under load one wake-up
 * returns many connections. After the push @c is the dispatcher's. */
static void
give_back(BimiFcgiServer *s, Conn *c, gboolean closed)
{
  Conn *head;

  c->closed = closed;
  do {
    head = g_atomic_pointer_get(&s->returned);
    c->next = head;
  } while (!g_atomic_pointer_compare_and_exchange(&s->returned, head, c));
  if (head == NULL) {
    guint64 one = 1;
    ssize_t n;
    do
      n = write(s->wake_fd, &one, sizeof one);
    while (n < 0 && errno == EINTR); /* EAGAIN: the counter is full, the dispatcher wakes anyway */
  }
}

/* One request on @c with @req; then the connection goes back to the dispatcher or is closed. */
static void
serve(BimiFcgiServer *s, FCGX_Request *req, Conn *c, gboolean overload)
{
  /* FCGX_Accept_r first "finishes" the previous request and would close ipcFd
   * unless keepConnection is set; then it reads BEGIN_REQUEST and PARAMS from
   * the open fd. With listen_sock -1 it never blocks in accept(): a peer that
   * closed or spoke garbage makes it close the fd and return < 0. */
  req->ipcFd = c->fd;
  req->keepConnection = 1;
  if (FCGX_Accept_r(req) < 0) {
    req->ipcFd = -1;
    g_atomic_int_add(&s->n_conns, -1); /* libfcgi closed it (and so epoll forgot it) */
    give_back(s, c, TRUE);
    return;
  }
  gboolean peer_keeps = req->keepConnection != 0;
  g_autoptr(BimiEvaluator) evaluator = current_evaluator(s);
  BimiFcgiContext ctx = { .evaluator = evaluator, .metrics = s->metrics, .gauges = gauges, .gauges_data = s };
  gboolean body_done = overload ? bimi_fcgi_handle_overload(req, &ctx, c->ready_us)
                                : bimi_fcgi_handle_request(req, &ctx, c->ready_us);

  /* Finish (flush FCGI_STDOUT, FCGI_END_REQUEST) but keep the fd ourselves;
   * libfcgi still closes it after a stream error (ipcFd is then -1). */
  req->keepConnection = 1;
  FCGX_Finish_r(req);
  int fd = req->ipcFd;
  req->ipcFd = -1;
  if (fd < 0) {
    g_atomic_int_add(&s->n_conns, -1);
    give_back(s, c, TRUE);
  } else if (body_done && peer_keeps && !g_atomic_int_get(&s->stopping)) {
    give_back(s, c, FALSE);
  } else {
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, fd, NULL); /* before close: a forked child may hold a copy */
    close_conn(s, fd, !body_done);
    give_back(s, c, TRUE);
  }
}

typedef struct {
  BimiFcgiServer *server;
  GAsyncQueue *queue;
  gboolean overload;
} WorkerArgs;

static gpointer
worker_main(gpointer data)
{
  WorkerArgs *args = data;
  BimiFcgiServer *s = args->server;
  FCGX_Request req;

  FCGX_InitRequest(&req, -1, 0);
  for (;;) {
    Conn *c = g_async_queue_pop(args->queue);
    if (c == &stop_item)
      break;
    g_atomic_int_inc(&s->busy);
    serve(s, &req, c, args->overload);
    g_atomic_int_add(&s->busy, -1);
    g_atomic_int_add(&s->pending, -1);
  }
  g_free(args);
  return NULL;
}

/* ---- the dispatcher ----------------------------------------------------- */

/* Into the dispatcher's hands: polled for its next request. */
static void
take_in_hand(BimiFcgiServer *s, Conn *c)
{
  c->in_hand = TRUE;
  c->started_us = 0;
  c->need = 0;
  c->link.data = c;
  g_queue_push_tail_link(&s->lru, &c->link);
}

/* A new connection @fd, registered with epoll for good. Edge-triggered: a request
 * that is not all there wakes the dispatcher again only when more bytes arrive. */
static void
watch(BimiFcgiServer *s, int fd)
{
  Conn *c;

  if ((guint) fd >= s->n_fds) {
    guint n = MAX(s->n_fds * 2, (guint) fd + 1);
    s->conns = g_renew(Conn *, s->conns, n);
    memset(s->conns + s->n_fds, 0, (n - s->n_fds) * sizeof *s->conns);
    s->n_fds = n;
  }
  c = g_new0(Conn, 1);
  c->fd = fd;
  if (++s->last_gen == 0)
    s->last_gen = 1;
  c->gen = s->last_gen;
  struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = conn_key(c) };
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    g_warning("epoll_ctl(%d): %s", fd, g_strerror(errno));
    close_conn(s, fd, FALSE);
    g_free(c);
    return;
  }
  s->conns[fd] = c;
  take_in_hand(s, c);
}

/* Out of the dispatcher's hands, to a worker (still registered with epoll:
 * its events are ignored until the worker gives it back). */
static void
forget(BimiFcgiServer *s, Conn *c)
{
  g_queue_unlink(&s->lru, &c->link);
  c->in_hand = FALSE;
}

/* Frees @c, a connection out of the lru whose fd is closed or about to be. */
static void
conn_free(BimiFcgiServer *s, Conn *c)
{
  if ((guint) c->fd < s->n_fds && s->conns[c->fd] == c)
    s->conns[c->fd] = NULL;
  g_free(c);
}

/* Closes @c, out of the lru. */
static void
drop_conn(BimiFcgiServer *s, Conn *c)
{
  epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
  close_conn(s, c->fd, FALSE);
  conn_free(s, c);
}

static void
forget_and_close(BimiFcgiServer *s, Conn *c)
{
  forget(s, c);
  drop_conn(s, c);
}

static void
accept_all(BimiFcgiServer *s)
{
  for (;;) {
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* Level-triggered: pause the listener instead of spinning on it. */
        g_warning("accept: %s; pausing the listener %u ms", g_strerror(errno), ACCEPT_BACKOFF_MS);
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->listen_fd, NULL);
        s->accept_resume_us = g_get_monotonic_time() + ACCEPT_BACKOFF_MS * 1000;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        g_warning("accept: %s", g_strerror(errno));
      }
      return;
    }
    if ((guint) g_atomic_int_get(&s->n_conns) >= s->max_conns) {
      /* Full: the connection idle the longest makes room (nginx opens another
       * when it needs one); only when none is idle is the new one refused. */
      Conn *oldest = g_queue_peek_head(&s->lru);
      bimi_fcgi_metrics_count_dropped(s->metrics);
      if (oldest == NULL) {
        close(fd);
        continue;
      }
      g_debug("connection %d: closed to make room (%u connections)", oldest->fd, s->max_conns);
      forget_and_close(s, oldest);
    }
    /* Blocking I/O for libfcgi (a worker reads a request that is all there, or
     * one over BIMI_SERVER_READAHEAD_BYTES), bounded per call. */
    struct timeval tv = { .tv_sec = BIMI_SERVER_IO_TIMEOUT_S };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    g_atomic_int_inc(&s->n_conns);
    watch(s, fd);
  }
}

/* Whether the request waiting on @it is ready for a worker (see the top of the
 * file); closes the connection when it never can be. */
static gboolean
request_ready(BimiFcgiServer *s, Conn *it, guint32 events)
{
  int waiting = 0;
  gboolean peer_done = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;

  if (it->need == 0) {
    /* The first look at a request (the common case: nginx sends it whole): peek at once,
     * one system call instead of FIONREAD and then the peek (issue 21). */
    waiting = (int) BIMI_SERVER_READAHEAD_BYTES;
  } else if (ioctl(it->fd, FIONREAD, &waiting) != 0 || waiting <= 0) {
    /* Part of it came before: count what is waiting before copying it again, so a
     * client that trickles costs an ioctl per packet, not a peek of what it sent so far. */
    char byte;
    ssize_t n = recv(it->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || (n < 0 && peer_done)) {
      forget_and_close(s, it); /* the peer closed (an idle connection, or mid-request) */
      return FALSE;
    }
    if (n < 0)
      return FALSE; /* spurious */
    waiting = 1;
  }
  if ((gsize) waiting < it->need) {
    if (peer_done)
      forget_and_close(s, it); /* it stopped sending before the request was whole */
    return FALSE;
  }
  ssize_t got = recv(it->fd, s->peek, MIN((gsize) waiting, BIMI_SERVER_READAHEAD_BYTES), MSG_PEEK | MSG_DONTWAIT);
  if (got <= 0) {
    if (got == 0 || (errno != EAGAIN && errno != EINTR) || peer_done)
      forget_and_close(s, it); /* the peer closed (an idle connection, or mid-request) */
    return FALSE; /* spurious */
  }
  if (it->started_us == 0)
    it->started_us = g_get_monotonic_time(); /* a request has begun to arrive */
  g_autoptr(GError) error = NULL;
  gsize need = 0;
  guint64 content_length = 0;
  BimiFcgiScan scan = bimi_fcgi_scan_request(s->peek, (gsize) got, &need, &content_length, &error);
  if (error != NULL) {
    g_debug("connection %d: %s; closed", it->fd, error->message);
    bimi_fcgi_metrics_count_dropped(s->metrics);
    forget_and_close(s, it);
    return FALSE;
  }
  if (scan == BIMI_FCGI_SCAN_READY || (gsize) got >= BIMI_SERVER_READAHEAD_BYTES ||
      (scan == BIMI_FCGI_SCAN_HEADERS && content_length != G_MAXUINT64 &&
       content_length > (guint64) g_atomic_int_get(&s->max_message_bytes)))
    return TRUE;
  if (peer_done) {
    forget_and_close(s, it);
    return FALSE;
  }
  it->need = MAX(need, (gsize) got + 1);
  return FALSE;
}

static void
dispatch(BimiFcgiServer *s, guint64 key, guint32 events)
{
  guint fd = (guint) (key & G_MAXUINT32);
  Conn *c = fd < s->n_fds ? s->conns[fd] : NULL;

  if (c == NULL || c->gen != (guint32) (key >> 32) || !c->in_hand || !request_ready(s, c, events))
    return; /* gone, a successor's fd, with a worker (the give-back re-arms it), or not whole yet */
  forget(s, c);
  c->ready_us = g_get_monotonic_time();
  gint max_queue = g_atomic_int_get(&s->max_queue);
  gint waiting = g_async_queue_length(s->work);
  if (waiting < max_queue) {
    g_atomic_int_inc(&s->pending);
    g_async_queue_push(s->work, c);
    g_debug("connection %u: request queued (%d waiting before it)", fd, MAX(waiting, 0));
    return;
  }
  /* More than max_queue waiting: answer 503 quickly, without evaluating. */
  bimi_fcgi_metrics_count_rejected(s->metrics);
  if (g_async_queue_length(s->overload) >= max_queue) {
    bimi_fcgi_metrics_count_dropped(s->metrics);
    drop_conn(s, c);
    return;
  }
  g_atomic_int_inc(&s->pending);
  g_async_queue_push(s->overload, c);
}

/* Takes the connections workers gave back: closed ones are freed, kept ones are
 * polled again. EPOLL_CTL_MOD re-arms a kept one: an event is queued at once when
 * its next request has already arrived (its edge came while a worker had it). */
static void
take_back(BimiFcgiServer *s)
{
  guint64 count;
  Conn *list, *rev = NULL;

  /* Read the eventfd before taking the stack: a push after the take writes it again. */
  while (read(s->wake_fd, &count, sizeof count) < 0 && errno == EINTR)
    ;
  list = g_atomic_pointer_exchange(&s->returned, NULL);
  while (list != NULL) { /* oldest first */
    Conn *next = list->next;
    list->next = rev;
    rev = list;
    list = next;
  }
  for (Conn *c = rev, *next; c != NULL; c = next) {
    next = c->next;
    c->next = NULL;
    if (c->closed) {
      conn_free(s, c);
      continue;
    }
    if (g_atomic_int_get(&s->stopping)) {
      drop_conn(s, c);
      continue;
    }
    take_in_hand(s, c);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = conn_key(c) };
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
      g_warning("epoll_ctl(%d): %s", c->fd, g_strerror(errno));
      forget_and_close(s, c);
    }
  }
}

/* Closes connections whose request began more than BIMI_SERVER_REQUEST_TIMEOUT_S ago
 * and is still not whole (a trickle), at most once a second. */
static void
sweep_overdue(BimiFcgiServer *s, gint64 now)
{
  gint64 limit = (gint64) BIMI_SERVER_REQUEST_TIMEOUT_S * G_USEC_PER_SEC;
  GList *l = s->lru.head;

  if (now - s->sweep_us < G_USEC_PER_SEC)
    return;
  s->sweep_us = now;
  while (l != NULL) {
    Conn *it = l->data;
    l = l->next;
    if (it->started_us != 0 && now - it->started_us > limit) {
      g_message("connection %d: request not complete after %u s; closed", it->fd, BIMI_SERVER_REQUEST_TIMEOUT_S);
      bimi_fcgi_metrics_count_dropped(s->metrics);
      forget_and_close(s, it);
    }
  }
}

/* ---- SIGHUP: reload ----------------------------------------------------- */

static gboolean
reload_once(BimiFcgiServer *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiConfig) config = bimi_config_new_from_file(s->config_path, &error);

  if (config == NULL) {
    g_warning("reload: %s; keeping the running configuration", error->message);
    return FALSE;
  }
  if (g_strcmp0(config->server_listen, s->listen_spec) != 0 || config->server_threads != s->n_workers)
    g_warning("reload: [server] listen and threads take effect at the next restart only");
  g_autoptr(BimiEvaluator) fresh = bimi_evaluator_new(config, g_get_host_name(), &error);
  if (fresh == NULL) {
    g_warning("reload: %s; keeping the running configuration", error->message);
    return FALSE;
  }
  bimi_evaluator_set_brand_func(fresh, bimi_fcgi_log_brand, NULL);
  g_mutex_lock(&s->lock);
  BimiEvaluator *old = s->evaluator;
  s->evaluator = g_steal_pointer(&fresh);
  g_mutex_unlock(&s->lock);
  /* Requests in flight hold their own reference: the old evaluator goes when the last one ends. */
  bimi_evaluator_unref(old);
  g_atomic_int_set(&s->max_queue, (gint) config->server_max_queue);
  g_atomic_int_set(&s->max_message_bytes, (gint) config->server_max_message_bytes);
  s->shutdown_timeout_ms = config->server_shutdown_timeout_ms;
  bimi_fcgi_log_set_level(config->server_log_level);
  bimi_fcgi_log_set_format(config->server_log_format);
  g_message("reload: %s in force", s->config_path);
  return TRUE;
}

static gpointer
reload_main(gpointer data)
{
  BimiFcgiServer *s = data;

  for (;;) {
    bimi_fcgi_metrics_count_reload(s->metrics, reload_once(s));
    g_mutex_lock(&s->reload_lock);
    if (!s->reload_again) {
      s->reload_running = FALSE;
      g_mutex_unlock(&s->reload_lock);
      return NULL;
    }
    s->reload_again = FALSE;
    g_mutex_unlock(&s->reload_lock);
  }
}

static void
request_reload(BimiFcgiServer *s)
{
  g_mutex_lock(&s->reload_lock);
  if (s->reload_running) {
    s->reload_again = TRUE; /* a SIGHUP during a reload: read the file once more after it */
  } else {
    if (s->reload_thread != NULL)
      g_thread_join(s->reload_thread);
    s->reload_running = TRUE;
    s->reload_thread = g_thread_new("bimi-reload", reload_main, s);
  }
  g_mutex_unlock(&s->reload_lock);
}

/* ---- setup, run, teardown ----------------------------------------------- */

void
bimi_fcgi_server_block_signals(void)
{
  sigset_t set;

  signal(SIGPIPE, SIG_IGN); /* a peer gone mid-answer is EPIPE, not death */
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Raises RLIMIT_NOFILE (soft, up to the hard limit) so that BIMI_SERVER_MAX_CONNECTIONS
 * connections fit beside BIMI_SERVER_FD_RESERVE other descriptors; returns the bound
 * on connections that the limit in force allows. */
static guint
connection_bound(void)
{
  struct rlimit rl;
  rlim_t want = (rlim_t) BIMI_SERVER_MAX_CONNECTIONS + BIMI_SERVER_FD_RESERVE + 64; /* + listener, epoll, pipes, stdio */

  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return BIMI_SERVER_MAX_CONNECTIONS;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    struct rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : MIN(want, rl.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
      rl = raised;
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
    return BIMI_SERVER_MAX_CONNECTIONS;
  guint bound = rl.rlim_cur > (rlim_t) BIMI_SERVER_FD_RESERVE + 64 + 16
                  ? (guint) (rl.rlim_cur - BIMI_SERVER_FD_RESERVE - 64) : 16;
  g_warning("RLIMIT_NOFILE is %lu: at most %u FastCGI connections (raise the hard limit for %u)",
            (unsigned long) rl.rlim_cur, bound, BIMI_SERVER_MAX_CONNECTIONS);
  return bound;
}

BimiFcgiServer *
bimi_fcgi_server_new(const char *config_path, BimiEvaluator *evaluator, GError **error)
{
  BimiConfig *config = bimi_evaluator_get_config(evaluator);
  g_autoptr(BimiFcgiServer) s = g_new0(BimiFcgiServer, 1);
  BimiFcgiListen l;
  sigset_t set;

  s->listen_fd = s->epoll_fd = s->signal_fd = s->wake_fd = -1;
  g_mutex_init(&s->lock);
  g_mutex_init(&s->reload_lock);
  s->config_path = g_strdup(config_path);
  s->evaluator = bimi_evaluator_ref(evaluator);
  s->listen_spec = g_strdup(config->server_listen);
  s->n_workers = config->server_threads;
  s->shutdown_timeout_ms = config->server_shutdown_timeout_ms;
  s->max_queue = (gint) config->server_max_queue;
  s->max_message_bytes = (gint) config->server_max_message_bytes;
  s->max_conns = connection_bound();
  s->metrics = bimi_fcgi_metrics_new();
  s->n_fds = 1024;
  s->conns = g_new0(Conn *, s->n_fds);
  g_queue_init(&s->lru);
  s->peek = g_malloc(BIMI_SERVER_READAHEAD_BYTES);
  s->work = g_async_queue_new();
  s->overload = g_async_queue_new();

  if (!bimi_fcgi_listen_parse(config->server_listen, &l, error))
    return NULL;
  GError *activation = NULL;
  s->listen_fd = listen_inherited(&activation);
  if (s->listen_fd >= 0) {
    s->inherited = TRUE;
  } else if (activation != NULL) {
    g_propagate_error(error, activation);
    bimi_fcgi_listen_clear(&l);
    return NULL;
  } else if (l.unix_path != NULL) {
    struct stat st;
    s->listen_fd = listen_unix(l.unix_path, config->server_socket_mode, error);
    s->unix_path = g_strdup(l.unix_path);
    if (s->listen_fd >= 0 && stat(l.unix_path, &st) == 0) {
      s->unix_dev = st.st_dev;
      s->unix_ino = st.st_ino;
    }
  } else {
    s->listen_fd = listen_tcp(&l, error);
  }
  bimi_fcgi_listen_clear(&l);
  if (s->listen_fd < 0) {
    g_clear_pointer(&s->unix_path, g_free); /* not ours to unlink */
    return NULL;
  }

  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->signal_fd < 0 || s->epoll_fd < 0 || s->wake_fd < 0) {
    g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_SYSTEM, "signalfd/epoll/eventfd: %s",
                g_strerror(errno));
    return NULL;
  }
  int fds[] = { s->listen_fd, s->signal_fd, s->wake_fd };
  for (guint i = 0; i < G_N_ELEMENTS(fds); i++) {
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (guint64) fds[i] }; /* generation 0 */
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fds[i], &ev) != 0) {
      g_set_error(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_SYSTEM, "epoll_ctl: %s", g_strerror(errno));
      return NULL;
    }
  }
  if (FCGX_Init() != 0) {
    g_set_error_literal(error, BIMI_FCGI_SERVER_ERROR, BIMI_FCGI_SERVER_ERROR_SYSTEM, "FCGX_Init failed");
    return NULL;
  }
  return g_steal_pointer(&s);
}

static GThread *
start_worker(BimiFcgiServer *s, GAsyncQueue *queue, gboolean overload, const char *name)
{
  WorkerArgs *args = g_new(WorkerArgs, 1);
  args->server = s;
  args->queue = queue;
  args->overload = overload;
  return g_thread_new(name, worker_main, args);
}

/* Removes the socket file, unless a successor has put its own in its place. */
static void
unlink_own_socket(BimiFcgiServer *s)
{
  struct stat st;

  if (s->unix_path != NULL && lstat(s->unix_path, &st) == 0 && st.st_dev == s->unix_dev && st.st_ino == s->unix_ino)
    unlink(s->unix_path);
  g_clear_pointer(&s->unix_path, g_free);
}

/* Whether a request has started to arrive on the idle connection @fd. */
static gboolean
has_input(int fd)
{
  char byte;
  return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

static void
begin_shutdown(BimiFcgiServer *s)
{
  g_atomic_int_set(&s->stopping, 1);
  epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->listen_fd, NULL);
  if (!s->inherited) {
    /* Our own socket dies with us: what is already in its backlog (nginx
     * connected, the request may be on its way) is served, not reset. An
     * inherited socket stays with the service manager, and its backlog
     * with the next instance. */
    accept_all(s);
  }
  close(s->listen_fd);
  s->listen_fd = -1;
  unlink_own_socket(s);
  /* Idle kept-alive connections that carry no request are closed now; one
   * whose request has started to arrive is served (then closed). */
  for (GList *l = s->lru.head; l != NULL;) {
    Conn *idle = l->data;
    l = l->next;
    if (!has_input(idle->fd))
      forget_and_close(s, idle);
  }
}

static gboolean
read_signals(BimiFcgiServer *s)
{
  struct signalfd_siginfo si;
  gboolean stop = FALSE;

  while (read(s->signal_fd, &si, sizeof si) == (ssize_t) sizeof si) {
    if (si.ssi_signo == SIGHUP && !g_atomic_int_get(&s->stopping)) {
      g_message("SIGHUP: reloading %s", s->config_path);
      request_reload(s);
    } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
      stop = TRUE;
    }
  }
  return stop;
}

int
bimi_fcgi_server_run(BimiFcgiServer *s)
{
  struct epoll_event events[EPOLL_BATCH];
  gint64 deadline = 0;
  g_autofree char *name = NULL;

  s->workers = g_new0(GThread *, s->n_workers);
  for (guint i = 0; i < s->n_workers; i++) {
    g_free(name);
    name = g_strdup_printf("bimi-worker-%u", i);
    s->workers[i] = start_worker(s, s->work, FALSE, name);
  }
  s->overload_thread = start_worker(s, s->overload, TRUE, "bimi-overload");
  g_message("listening on %s with %u workers (max_queue %d)",
            s->inherited ? "the socket passed by the service manager (fd 3)" : s->listen_spec, s->n_workers,
            g_atomic_int_get(&s->max_queue));

  for (;;) {
    int timeout = -1;
    if (deadline != 0)
      timeout = DRAIN_TICK_MS;
    else if (s->accept_resume_us != 0)
      timeout = ACCEPT_BACKOFF_MS;
    else if (s->lru.length > 0)
      timeout = 1000; /* sweep_overdue() */
    int n = epoll_wait(s->epoll_fd, events, EPOLL_BATCH, timeout);
    if (n < 0 && errno != EINTR) {
      g_critical("epoll_wait: %s", g_strerror(errno));
      break;
    }
    for (int i = 0; i < n; i++) {
      guint64 key = events[i].data.u64;
      int fd = key >> 32 == 0 ? (int) key : -1;
      if (fd >= 0 && fd == s->listen_fd)
        accept_all(s);
      else if (fd >= 0 && fd == s->wake_fd)
        take_back(s);
      else if (fd == s->signal_fd) {
        if (read_signals(s) && deadline == 0) {
          g_message("SIGTERM: no new connections; finishing %d request(s), at most %u ms",
                    g_atomic_int_get(&s->pending), s->shutdown_timeout_ms);
          begin_shutdown(s);
          deadline = g_get_monotonic_time() + (gint64) s->shutdown_timeout_ms * 1000;
        }
      } else if (fd < 0) {
        dispatch(s, key, events[i].events);
      }
    }
    if (s->lru.length > 0)
      sweep_overdue(s, g_get_monotonic_time());
    if (s->accept_resume_us != 0 && deadline == 0 && g_get_monotonic_time() >= s->accept_resume_us) {
      struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (guint64) s->listen_fd };
      epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev);
      s->accept_resume_us = 0;
    }
    if (deadline != 0) {
      /* Done when nothing runs or waits, and no connection kept for its request is left. */
      if (g_atomic_int_get(&s->pending) == 0 && s->lru.length == 0 && g_atomic_pointer_get(&s->returned) == NULL)
        break;
      if (g_get_monotonic_time() >= deadline) {
        /* Workers are still inside requests: freeing what they use is not an
         * option, so the process ends here. */
        g_warning("shutdown: %d request(s) still running after %u ms; exiting", g_atomic_int_get(&s->pending),
                  s->shutdown_timeout_ms);
        _exit(0);
      }
    }
  }

  for (guint i = 0; i < s->n_workers; i++)
    g_async_queue_push(s->work, &stop_item);
  g_async_queue_push(s->overload, &stop_item);
  for (guint i = 0; i < s->n_workers; i++)
    g_thread_join(s->workers[i]);
  g_thread_join(s->overload_thread);
  g_clear_pointer(&s->workers, g_free);
  s->overload_thread = NULL;
  g_mutex_lock(&s->reload_lock);
  GThread *reload = g_steal_pointer(&s->reload_thread);
  g_mutex_unlock(&s->reload_lock);
  if (reload != NULL)
    g_thread_join(reload);
  g_message("stopped");
  return 0;
}

void
bimi_fcgi_server_free(BimiFcgiServer *s)
{
  if (s == NULL)
    return;
  if (s->listen_fd >= 0)
    close(s->listen_fd);
  unlink_own_socket(s);
  /* The workers are gone: every connection is either given back or in hand. */
  for (Conn *c = s->returned, *next; c != NULL; c = next) {
    next = c->next;
    if (!c->closed)
      close(c->fd);
    g_free(c);
  }
  for (GList *l = s->lru.head, *next; l != NULL; l = next) {
    next = l->next;
    close(((Conn *) l->data)->fd);
    g_free(l->data);
  }
  g_free(s->conns);
  g_free(s->peek);
  int fds[] = { s->epoll_fd, s->signal_fd, s->wake_fd };
  for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  if (s->work != NULL)
    g_async_queue_unref(s->work);
  if (s->overload != NULL)
    g_async_queue_unref(s->overload);
  bimi_fcgi_metrics_free(s->metrics);
  if (s->evaluator != NULL)
    bimi_evaluator_unref(s->evaluator);
  g_mutex_clear(&s->lock);
  g_mutex_clear(&s->reload_lock);
  BIMI_FREE_ALL(s->config_path, s->listen_spec, s->unix_path, s);
}
