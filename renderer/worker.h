/* renderer/worker.h — isolated render workers: a pool of processes running
 * bimi_render_png() under resource limits, and the pipe protocol they speak.
 *
 * DESIGN.md §1, STYLE.md §6: librsvg runs on attacker-supplied SVG, so the
 * service renders in separate processes. A worker is the `bimi` executable
 * itself started as `bimi __render-worker [OPTIONS]` (a hidden subcommand);
 * the pool takes that argv from its caller. The worker sets its rlimits
 * (RLIMIT_AS, RLIMIT_CPU per request, RLIMIT_FSIZE 0, RLIMIT_NOFILE small,
 * RLIMIT_CORE 0), closes every inherited descriptor and installs a seccomp
 * filter (no exec, sockets, new processes, ptrace, file creation or opening
 * for writing; x86_64 and aarch64) before it reads any request, then sends a
 * hello frame (body "H"). A worker that dies, breaks the protocol or overruns the deadline is
 * killed (SIGKILL + waitpid) and replaced on the next request; the request gets
 * a BIMI_RENDER_ERROR, the caller lives on. A request whose worker died
 * before answering is sent once more to a fresh worker (BIMI_RENDER_MAX_RETRIES):
 * a second death is the input's fault. A monitor thread polls the channels of
 * idle workers: one that dies while idle (EOF on its channel) is reaped at once
 * and replaced, so no zombie waits for the next request and no request meets
 * a dead worker.
 *
 * Protocol (one request, one response, in order, over the worker's stdin and
 * stdout, which are one AF_UNIX stream socket):
 *   frame    = length:u32be body[length]      1 <= length <= BIMI_RENDER_MAX_FRAME_BYTES
 *   request  = 'R' size:u32be svg[...]        1 <= |svg| <= BIMI_RENDER_MAX_SVG_BYTES
 *   response = 'P' png[...]                    png starts with the PNG signature
 *            | 'E' code:u32be message[...]     code a BimiRenderErrorCode, |message| <= BIMI_RENDER_MAX_ERROR_BYTES, UTF-8
 */
#ifndef BIMI_RENDER_WORKER_H
#define BIMI_RENDER_WORKER_H

#include <glib.h>
#include "renderer/render.h"

G_BEGIN_DECLS

/** A pool of render worker processes. Thread-safe: any thread may render. */
typedef struct _BimiRenderPool BimiRenderPool;

/** Pool configuration. Zero-initialise, then set @worker_argv; 0 means the default. */
typedef struct {
  /** argv of a worker, e.g. { "/usr/bin/bimi", "__render-worker", NULL }; argv[0] must be a
   * path (no PATH search). The pool appends its limit options. (transfer none) */
  const char *const *worker_argv;
  /** Worker processes, 1..BIMI_RENDER_MAX_WORKERS; default 2. Started lazily. */
  guint n_workers;
  /** Wall-clock deadline per request, ms (send, render, receive); default BIMI_RENDER_DEFAULT_DEADLINE_MS. */
  guint deadline_ms;
  /** How long a request waits for an idle worker, ms; default = @deadline_ms. */
  guint wait_ms;
  /** Worker RLIMIT_AS in MiB; default BIMI_RENDER_DEFAULT_WORKER_AS_MB (not applied in ASan builds). */
  guint as_mb;
  /** Worker CPU seconds per request (RLIMIT_CPU soft limit); default BIMI_RENDER_DEFAULT_WORKER_CPU_S. */
  guint cpu_s;
  /** Worker RLIMIT_NOFILE; default BIMI_RENDER_DEFAULT_WORKER_NOFILE. */
  guint nofile;
  /** Allowed sizes, pixels (transfer none); NULL = bimi_render_default_sizes. */
  const guint *sizes;
  guint n_sizes;
} BimiRenderPoolConfig;

/** Counters since the pool was created (the metrics endpoint exposes them). */
typedef struct {
  guint64 requests;      /**< bimi_render_pool_render() calls */
  guint64 failures;      /**< requests that returned an error, of any kind */
  guint64 spawned;       /**< worker processes started */
  guint64 deaths;        /**< workers found dead (signal, exit, protocol break) and replaced */
  guint64 deadline_kills; /**< workers killed for overrunning the deadline */
  guint64 retired;       /**< workers stopped after BIMI_RENDER_WORKER_MAX_REQUESTS */
  guint64 idle_deaths;   /**< of @deaths: workers that died while idle, reaped and replaced at once */
  guint64 retries;       /**< requests sent again to a fresh worker after their worker died */
  guint64 probes;        /**< bimi_render_pool_probe() calls (first renders of a logo) */
} BimiRenderPoolStats;

/**
 * bimi_render_pool_new:
 * @config: (transfer none): copied; @config->worker_argv must be non-empty
 * @error: BIMI_RENDER_ERROR_CONFIG when a value is out of range
 *
 * Creates the pool; no process starts until the first request.
 * Returns: (transfer full): the pool, or NULL with @error set.
 */
BimiRenderPool *bimi_render_pool_new(const BimiRenderPoolConfig *config, GError **error);

/**
 * bimi_render_pool_render:
 * @pool: the pool
 * @svg: (transfer none): an SVG that MUST have passed engine/svg validation
 * @size: output square side, pixels, from the configured set
 * @error: BIMI_RENDER_ERROR_SIZE and _TOO_LARGE (checked before any worker is
 *   used), any code a worker reports (_PARSE, _NO_DIMENSIONS, _RENDER, _DEADLINE),
 *   _DEADLINE (worker killed after @config->deadline_ms), _WORKER (the worker
 *   died twice on this SVG — e.g. a resource limit — or broke the protocol),
 *   _UNAVAILABLE (no worker could be started), _BUSY (no worker became free
 *   within @config->wait_ms).
 *
 * Renders in a worker process; same output as bimi_render_png().
 * Blocks for at most wait_ms + 2 x deadline_ms (one retry after a worker
 * death; plus the time to start workers).
 * Returns: (transfer full): PNG bytes, or NULL with @error set.
 */
GBytes *bimi_render_pool_render(BimiRenderPool *pool, GBytes *svg, guint size, GError **error);

/**
 * bimi_render_pool_probe:
 * @pool: the pool
 * @svg: (transfer none): as for bimi_render_pool_render()
 * @size: as for bimi_render_pool_render()
 * @error: as for bimi_render_pool_render(); _BUSY also when no probe slot
 *   became free within @config->wait_ms
 *
 * A first render of a logo not yet known to render (the evaluator's check
 * before it promises PNG URLs). Probes hold at most half the workers (at least
 * one) at a time, so that hostile logos, which run to the deadline, cannot
 * starve the renders of logos known to be good.
 *
 * Returns: (transfer full): PNG bytes, or NULL with @error set.
 */
GBytes *bimi_render_pool_probe(BimiRenderPool *pool, GBytes *svg, guint size, GError **error);

/**
 * bimi_render_pool_check:
 * @pool: the pool
 * @error: BIMI_RENDER_ERROR_UNAVAILABLE (the worker program cannot be started, or it exited before its
 *   hello frame: a missing or wrong `bimi`, a seccomp or rlimit failure), _BUSY (every worker is being
 *   started by requests and none became free within the wait)
 *
 * Whether the pool can run a worker: TRUE at once when a worker process runs; otherwise starts one (it
 * stays in the pool, ready for the next request) and reports whether it said hello within
 * WORKER_START_MS. The service's health check (GET /bimi/v1/health) calls it.
 *
 * Returns: TRUE when a worker runs or could be started.
 */
gboolean bimi_render_pool_check(BimiRenderPool *pool, GError **error);

/** Copies the pool's counters into @out. */
void bimi_render_pool_get_stats(BimiRenderPool *pool, BimiRenderPoolStats *out);

/** Kills (SIGKILL) and reaps every worker, frees the pool. No request may be running. */
void bimi_render_pool_free(BimiRenderPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiRenderPool, bimi_render_pool_free)

/**
 * bimi_render_worker_main:
 * @argc, @argv: argv[0] is the subcommand name; options --as-mb N --cpu-s N
 *   --nofile N --deadline-ms N --sizes LIST (the pool passes them all)
 *
 * The body of `bimi __render-worker`: applies the limits, then serves requests
 * from fd 0 and answers on fd 1 until end of input. Never returns: the process
 * ends with _exit(0) at end of input or after BIMI_RENDER_WORKER_MAX_REQUESTS,
 * _exit(2) on a protocol or setup error.
 */
G_GNUC_NORETURN void bimi_render_worker_main(int argc, char **argv);

/* ---- library-internal: test hooks ---- */

/** The process id of worker @i (0..n_workers-1), 0 when it has no process (tests). */
GPid bimi_render__pool_worker_pid(BimiRenderPool *pool, guint i);

/* ---- library-internal: the protocol codec (tests and fuzz/fuzz-render-protocol.c) ---- */

/** Reads a frame header: @hdr holds 4 bytes. Sets *@body_len (1..BIMI_RENDER_MAX_FRAME_BYTES).
 * Error: BIMI_RENDER_ERROR_WORKER "frame length N out of range". */
gboolean bimi_render__frame_length(const guint8 *hdr, gsize *body_len, GError **error);

/** Encodes a request frame (header included). (transfer full) */
GBytes *bimi_render__request_encode(guint size, GBytes *svg);

/** Decodes a request body of @len bytes; *@svg is (transfer full).
 * Error: BIMI_RENDER_ERROR_WORKER (malformed), _TOO_LARGE (SVG size). */
gboolean bimi_render__request_decode(const guint8 *body, gsize len, guint *size, GBytes **svg, GError **error);

/** Encodes a response frame (header included) carrying @png, or @error when @png is NULL. (transfer full) */
GBytes *bimi_render__response_encode(GBytes *png, const GError *render_error);

/** Decodes a response body: the PNG (transfer full), or NULL with the worker's
 * error (its code, when a known BimiRenderErrorCode) or BIMI_RENDER_ERROR_WORKER (malformed). */
GBytes *bimi_render__response_decode(const guint8 *body, gsize len, GError **error);

G_END_DECLS

#endif /* BIMI_RENDER_WORKER_H */
