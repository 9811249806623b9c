/* fcgi/server.h — bimi-fcgi's connection handling: the listening socket, a
 * dispatcher that polls idle (kept-alive) FastCGI connections, a bounded work
 * queue served by [server] threads workers, 503s past [server] max_queue,
 * and the signals (SIGTERM: drain and exit 0; SIGHUP: reload).
 *
 * Why a dispatcher: with nginx `fastcgi_keep_conn on`, a worker that loops
 * on FCGX_Accept_r() stays pinned to its connection between requests, so
 * more nginx connections than workers starve in the listen backlog. Here a
 * worker holds a connection only while one request runs on it, and gets it
 * only once that request has arrived whole (a slow client holds no worker).
 */
#ifndef BIMI_FCGI_SERVER_H
#define BIMI_FCGI_SERVER_H

#include <glib.h>
#include "evaluate/config.h"
#include "evaluate/evaluate.h"

G_BEGIN_DECLS

#define BIMI_FCGI_SERVER_ERROR (bimi_fcgi_server_error_quark())
GQuark bimi_fcgi_server_error_quark(void);

typedef enum {
  BIMI_FCGI_SERVER_ERROR_LISTEN = 1, /**< bad [server] listen, or the socket cannot be made */
  BIMI_FCGI_SERVER_ERROR_SYSTEM,     /**< epoll, signalfd, pipe or thread creation failed */
} BimiFcgiServerError;

/** Where to listen, from [server] listen. */
typedef struct {
  char *unix_path; /**< a unix socket path, or NULL */
  char *host;      /**< TCP host (name or literal, no brackets), or NULL */
  char *port;      /**< TCP port, decimal */
} BimiFcgiListen;

/**
 * bimi_fcgi_listen_parse:
 * @spec: "unix:/PATH", "/PATH", "HOST:PORT" or "[IPV6]:PORT"
 * @out: (out caller-allocates): free with bimi_fcgi_listen_clear()
 * @error: BIMI_FCGI_SERVER_ERROR_LISTEN naming what is wrong
 *
 * Returns: TRUE when @spec is well-formed (it may still fail to bind).
 */
gboolean bimi_fcgi_listen_parse(const char *spec, BimiFcgiListen *out, GError **error);
void bimi_fcgi_listen_clear(BimiFcgiListen *listen);

typedef struct _BimiFcgiServer BimiFcgiServer;

/**
 * bimi_fcgi_server_new:
 * @config_path: the file SIGHUP reloads
 * @evaluator: (transfer none): referenced; its configuration's [server] group is used
 * @error: BIMI_FCGI_SERVER_ERROR_LISTEN (bad listen address, the socket cannot
 *   be made, or LISTEN_FDS is not 1 / fd 3 is not a listening stream socket), _SYSTEM
 *
 * Takes the listening socket from the service manager when LISTEN_PID is our
 * pid and LISTEN_FDS is 1 (systemd socket activation, sd_listen_fds(3): fd 3;
 * [server] listen is then not used), else opens [server] listen (a unix socket
 * gets [server] socket_mode; a stale socket file is replaced, a live one is an
 * error). Opens the signalfd. Raises the RLIMIT_NOFILE soft limit (up to the
 * hard limit) for BIMI_SERVER_MAX_CONNECTIONS connections beside
 * BIMI_SERVER_FD_RESERVE other descriptors; when it cannot, connections are
 * bounded lower (a warning says to what).
 * SIGTERM, SIGINT and SIGHUP must already be blocked in every thread
 * (bimi_fcgi_server_block_signals() before any thread starts).
 *
 * Returns: (transfer full): the server, or NULL with @error.
 */
BimiFcgiServer *bimi_fcgi_server_new(const char *config_path, BimiEvaluator *evaluator, GError **error);

/** Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and the threads it starts), ignores SIGPIPE. */
void bimi_fcgi_server_block_signals(void);

/**
 * bimi_fcgi_server_run:
 *
 * Serves until SIGTERM or SIGINT, then stops accepting (an own socket: what
 * is already in its backlog is still accepted and served, and its file is
 * removed unless a successor replaced it; an inherited socket is left to the
 * service manager, its backlog to the next instance), closes idle connections
 * that carry no request, lets queued and running requests finish for at most
 * [server] shutdown_timeout_ms, and returns.
 *
 * Returns: the process exit status, 0. When requests are still running at
 *   the deadline the process ends at once with _exit(0) (after a warning):
 *   their threads still use what a return would free.
 */
int bimi_fcgi_server_run(BimiFcgiServer *server);

/** Frees a server whose run has returned (or never started). Removes its own unix socket file (not an inherited one). */
void bimi_fcgi_server_free(BimiFcgiServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiFcgiServer, bimi_fcgi_server_free)

G_END_DECLS

#endif /* BIMI_FCGI_SERVER_H */
