/* renderer/worker.c — render worker processes and their pool (DESIGN.md §1, STYLE.md §6).
 *
 * No RFC governs this file; it implements the isolation that BIMI's security
 * considerations (draft-brand-indicators-for-message-identification §8: SVG
 * is attacker-supplied) call for. Protocol and guarantees: renderer/worker.h.
 *
 * Deliberate choices:
 *  - workers are spawned with g_spawn (never a bare fork() in a threaded
 *    process), with "/" as working directory, every descriptor but the channel
 *    and stderr closed by GLib, and the worker closes whatever remains itself;
 *  - the channel is an AF_UNIX stream socket, so the pool writes with
 *    MSG_NOSIGNAL and a dead worker costs an EPIPE, never a SIGPIPE;
 *  - the worker applies its own rlimits before reading any request: no
 *    child_setup callback is needed, so GLib can keep its async-signal-safe
 *    spawn path. RLIMIT_CPU is per process, so its soft limit is moved to
 *    "CPU used so far + cpu_s" before each request (the hard limit bounds the
 *    worker's whole life, which BIMI_RENDER_WORKER_MAX_REQUESTS ends);
 *  - RLIMIT_AS is not applied in AddressSanitizer builds: ASan reserves
 *    terabytes of shadow address space and could not allocate at all;
 *  - SIGXFSZ is ignored so that a write to a file fails with EFBIG (fontconfig
 *    may try to update its cache) instead of killing the worker;
 *  - fonts are warmed up (fontconfig, pango) with a built-in SVG before the
 *    limits apply, so the CPU budget pays for the logo only;
 *  - seccomp is a hand-built BPF deny list (libseccomp would be a new link
 *    dependency); see install_seccomp().
 */
#include "renderer/worker.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#if defined(__SANITIZE_ADDRESS__)
#define BIMI_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BIMI_ASAN 1
#endif
#endif

#define PNG_SIGNATURE "\x89PNG\r\n\x1a\n"
/* The frame a worker sends once its limits are in place. */
#define HELLO_FRAME "\0\0\0\1H"
/* How long a new worker may take to start, warm up and say hello, ms. */
#define WORKER_START_MS 10000

/* ---- protocol codec -------------------------------------------------------- */

static void
put_u32(guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static guint32
get_u32(const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | (guint32) p[3];
}

gboolean
bimi_render__frame_length(const guint8 *hdr, gsize *body_len, GError **error)
{
  guint32 n = get_u32(hdr);
  if (n == 0 || n > BIMI_RENDER_MAX_FRAME_BYTES) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER,
                "protocol: frame length %" G_GUINT32_FORMAT " at offset 0 out of range 1..%u", n,
                BIMI_RENDER_MAX_FRAME_BYTES);
    return FALSE;
  }
  *body_len = n;
  return TRUE;
}

/* header + tag + @extra bytes of fixed fields + @payload; returns the array to fill. */
static GByteArray *
frame_begin(guint8 tag, gsize body_len)
{
  GByteArray *f = g_byte_array_sized_new((guint) (4 + body_len));
  guint8 hdr[5];
  put_u32(hdr, (guint32) body_len);
  hdr[4] = tag;
  g_byte_array_append(f, hdr, 5);
  return f;
}

GBytes *
bimi_render__request_encode(guint size, GBytes *svg)
{
  gsize n = g_bytes_get_size(svg);
  GByteArray *f;
  guint8 s[4];

  g_return_val_if_fail(n <= BIMI_RENDER_MAX_SVG_BYTES, NULL);
  f = frame_begin('R', 1 + 4 + n);
  put_u32(s, size);
  g_byte_array_append(f, s, 4);
  g_byte_array_append(f, g_bytes_get_data(svg, NULL), (guint) n);
  return g_byte_array_free_to_bytes(f);
}

gboolean
bimi_render__request_decode(const guint8 *body, gsize len, guint *size, GBytes **svg, GError **error)
{
  if (len < 6 || body[0] != 'R') {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER,
                "protocol: request of %" G_GSIZE_FORMAT " bytes is not 'R' size:u32 svg (offset 0)", len);
    return FALSE;
  }
  if (len - 5 > BIMI_RENDER_MAX_SVG_BYTES) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_TOO_LARGE,
                "protocol: SVG of %" G_GSIZE_FORMAT " bytes at offset 5 exceeds %u", len - 5,
                BIMI_RENDER_MAX_SVG_BYTES);
    return FALSE;
  }
  *size = get_u32(body + 1);
  *svg = g_bytes_new(body + 5, len - 5);
  return TRUE;
}

GBytes *
bimi_render__response_encode(GBytes *png, const GError *render_error)
{
  GByteArray *f;

  if (png != NULL) {
    gsize n = g_bytes_get_size(png);
    g_return_val_if_fail(n + 1 <= BIMI_RENDER_MAX_FRAME_BYTES, NULL);
    f = frame_begin('P', 1 + n);
    g_byte_array_append(f, g_bytes_get_data(png, NULL), (guint) n);
  } else {
    const char *msg = render_error != NULL ? render_error->message : "unknown error";
    guint32 code = render_error != NULL && render_error->domain == BIMI_RENDER_ERROR ? (guint32) render_error->code
                                                                                     : BIMI_RENDER_ERROR_RENDER;
    gsize n = strlen(msg);
    guint8 c[4];
    if (n > BIMI_RENDER_MAX_ERROR_BYTES) {
      n = BIMI_RENDER_MAX_ERROR_BYTES;
      /* Do not cut a UTF-8 sequence in half. */
      while (n > 0 && ((guint8) msg[n] & 0xC0) == 0x80)
        n--;
    }
    f = frame_begin('E', 1 + 4 + n);
    put_u32(c, code);
    g_byte_array_append(f, c, 4);
    g_byte_array_append(f, (const guint8 *) msg, (guint) n);
  }
  return g_byte_array_free_to_bytes(f);
}

GBytes *
bimi_render__response_decode(const guint8 *body, gsize len, GError **error)
{
  if (len >= 1 && body[0] == 'P') {
    if (len - 1 < 8 || memcmp(body + 1, PNG_SIGNATURE, 8) != 0) {
      g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER,
                  "protocol: response at offset 1 is not a PNG (%" G_GSIZE_FORMAT " bytes)", len - 1);
      return NULL;
    }
    return g_bytes_new(body + 1, len - 1);
  }
  if (len >= 5 && body[0] == 'E') {
    guint32 code = get_u32(body + 1);
    gsize n = len - 5;
    g_autofree char *msg = NULL;
    if (n > BIMI_RENDER_MAX_ERROR_BYTES) {
      g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER,
                  "protocol: error message of %" G_GSIZE_FORMAT " bytes at offset 5 exceeds %u", n,
                  BIMI_RENDER_MAX_ERROR_BYTES);
      return NULL;
    }
    /* Codes a worker may legitimately report; anything else is a protocol break. */
    if (code < BIMI_RENDER_ERROR_SIZE || code > BIMI_RENDER_ERROR_DEADLINE) {
      g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER,
                  "protocol: unknown error code %" G_GUINT32_FORMAT " at offset 1", code);
      return NULL;
    }
    msg = g_utf8_make_valid((const char *) body + 5, (gssize) n);
    g_set_error(error, BIMI_RENDER_ERROR, (gint) code, "%s", msg);
    return NULL;
  }
  g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER,
              "protocol: response of %" G_GSIZE_FORMAT " bytes is neither 'P' nor 'E' (offset 0)", len);
  return NULL;
}

/* ---- the worker process ------------------------------------------------------ */

static gboolean
read_full(int fd, guint8 *buf, gsize len, gboolean *eof_at_start)
{
  gsize got = 0;
  while (got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      if (eof_at_start != NULL)
        *eof_at_start = r == 0 && got == 0;
      return FALSE;
    }
    got += (gsize) r;
  }
  return TRUE;
}

static gboolean
write_full(int fd, const guint8 *buf, gsize len)
{
  gsize done = 0;
  while (done < len) {
    ssize_t w = write(fd, buf + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return FALSE;
    done += (gsize) w;
  }
  return TRUE;
}

static void
close_inherited_fds(void)
{
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
    return;
#endif
  for (int fd = 3; fd < 4096; fd++)
    close(fd);
}

static gboolean
set_limit(int resource, rlim_t soft, rlim_t hard, const char *name)
{
  struct rlimit rl = { soft, hard };
  if (setrlimit(resource, &rl) != 0) {
    g_printerr("bimi __render-worker: setrlimit(%s): %s\n", name, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static double
cpu_seconds_used(void)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  return (double) ru.ru_utime.tv_sec + (double) ru.ru_stime.tv_sec +
         ((double) ru.ru_utime.tv_usec + (double) ru.ru_stime.tv_usec) / 1e6;
}

/* ---- seccomp filter (no libseccomp: the build links no extra library) ----------
 *
 * A deny list on top of the rlimits, installed after the warm-up and before
 * the first request: what a compromised librsvg would need to do harm —
 * run programs, open sockets, debug other processes, create processes, make
 * or change files, open files for writing — is refused (EPERM/EACCES) or kills
 * the worker (exec, ptrace, cross-process memory). An allow list would be
 * tighter but breaks with every libc, pango, fontconfig and sanitizer
 * release; this one only refuses calls a renderer never needs.
 */
#if defined(__x86_64__)
#define BIMI_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define BIMI_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef BIMI_AUDIT_ARCH
#define FILTER_ADD(arr, stmt)                          \
  do {                                                 \
    struct sock_filter f_ = stmt;                      \
    g_array_append_val(arr, f_);                       \
  } while (0)

static void
deny(GArray *prog, long nr, guint32 action)
{
  FILTER_ADD(prog, ((struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (guint32) nr, 0, 1)));
  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_RET | BPF_K, action)));
}

/* nr with flags in argument @arg: @action when any of @bits is set (@when_set) or clear. */
static void
deny_flags(GArray *prog, long nr, guint arg, guint32 bits, gboolean when_set, guint32 action)
{
  FILTER_ADD(prog, ((struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (guint32) nr, 0, 4)));
  /* Low 32 bits of the argument (little-endian: x86_64 and aarch64). */
  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                  (guint32) offsetof(struct seccomp_data, args[arg]))));
  FILTER_ADD(prog, ((struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, when_set ? 0 : 1,
                                                  when_set ? 1 : 0)));
  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_RET | BPF_K, action)));
  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)));
}

static gboolean
install_seccomp(void)
{
  static const long killed[] = {
    __NR_execve, __NR_execveat, __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,
  };
  static const long refused[] = {
    __NR_socket, __NR_socketpair, __NR_connect, __NR_bind, __NR_listen, __NR_accept, __NR_accept4,
    __NR_kill, __NR_unlinkat, __NR_renameat, __NR_renameat2, __NR_mkdirat, __NR_linkat, __NR_symlinkat,
    __NR_fchmod, __NR_fchmodat, __NR_fchown, __NR_fchownat, __NR_truncate, __NR_mknodat, __NR_memfd_create,
    __NR_io_uring_setup, __NR_bpf, __NR_perf_event_open, __NR_userfaultfd, __NR_keyctl, __NR_add_key,
    __NR_request_key, __NR_unshare, __NR_setns, __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot,
    __NR_reboot, __NR_kexec_load, __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_swapon,
    __NR_swapoff, __NR_sethostname, __NR_setdomainname, __NR_acct,
    /* Signals to other processes. tgkill stays: abort() signals the worker itself through it. */
    __NR_tkill, __NR_rt_sigqueueinfo, __NR_rt_tgsigqueueinfo,
#ifdef __NR_pidfd_open
    __NR_pidfd_open,
#endif
#ifdef __NR_pidfd_send_signal
    __NR_pidfd_send_signal,
#endif
#ifdef __NR_fork
    __NR_fork, __NR_vfork, __NR_unlink, __NR_rename, __NR_mkdir, __NR_rmdir, __NR_link, __NR_symlink,
    __NR_chmod, __NR_chown, __NR_lchown, __NR_mknod, __NR_creat,
#endif
  };
  const guint32 write_flags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
  g_autoptr(GArray) prog = g_array_new(FALSE, FALSE, sizeof(struct sock_filter));
  struct sock_fprog fprog;

  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                  (guint32) offsetof(struct seccomp_data, arch))));
  FILTER_ADD(prog, ((struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, BIMI_AUDIT_ARCH, 1, 0)));
  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)));
  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                  (guint32) offsetof(struct seccomp_data, nr))));
#if defined(__x86_64__)
  /* x32 system calls share the architecture value: refuse them all. */
  FILTER_ADD(prog, ((struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1)));
  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)));
#endif
  for (gsize i = 0; i < G_N_ELEMENTS(killed); i++)
    deny(prog, killed[i], SECCOMP_RET_KILL_PROCESS);
  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++)
    deny(prog, refused[i], SECCOMP_RET_ERRNO | EPERM);
  /* clone3 passes its flags in memory, out of the filter's sight: ENOSYS makes
   * glibc fall back to clone, whose flags we can see. */
  deny(prog, __NR_clone3, SECCOMP_RET_ERRNO | ENOSYS);
  deny(prog, __NR_openat2, SECCOMP_RET_ERRNO | ENOSYS);
  /* Threads yes, new processes no. */
  deny_flags(prog, __NR_clone, 0, CLONE_THREAD, FALSE, SECCOMP_RET_ERRNO | EPERM);
  /* Files open for reading only (fonts, fontconfig configuration). */
  deny_flags(prog, __NR_openat, 2, write_flags, TRUE, SECCOMP_RET_ERRNO | EACCES);
#ifdef __NR_open
  deny_flags(prog, __NR_open, 1, write_flags, TRUE, SECCOMP_RET_ERRNO | EACCES);
#endif
  FILTER_ADD(prog, ((struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)));

  fprog.len = (unsigned short) prog->len;
  fprog.filter = (struct sock_filter *) (void *) prog->data;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) {
    g_printerr("bimi __render-worker: seccomp: %s\n", g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}
#else
static gboolean
install_seccomp(void)
{
  g_printerr("bimi __render-worker: seccomp filter not available on this architecture; rlimits only\n");
  return TRUE;
}
#endif

/* `--seccomp-self-test`: proves the filter is in force (tests/test-render.c).
 * Exits 0 never: the final execve must kill the process with SIGSYS. */
static int
seccomp_self_test(void)
{
  int fd;
  pid_t pid;
  static char true_path[] = "/bin/true";
  char *const argv[] = { true_path, NULL };

  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd >= 0 || errno != EPERM)
    return 10;
  fd = open("/tmp/bimi-seccomp-self-test", O_WRONLY | O_CREAT, 0600);
  if (fd >= 0 || errno != EACCES)
    return 11;
  pid = fork();
  if (pid == 0)
    _exit(0);
  if (pid > 0 || errno != EPERM)
    return 12;
  execv(argv[0], argv);
  return 13;
}

static const char warmup_svg[] =
  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 16 16\">"
  "<title>warm-up</title><text x=\"1\" y=\"12\" font-size=\"10\">Ag</text></svg>";

static int
worker_serve(int argc, char **argv)
{
  gint as_mb = BIMI_RENDER_DEFAULT_WORKER_AS_MB, cpu_s = BIMI_RENDER_DEFAULT_WORKER_CPU_S;
  gint nofile = BIMI_RENDER_DEFAULT_WORKER_NOFILE, deadline_ms = BIMI_RENDER_DEFAULT_DEADLINE_MS;
  g_autofree char *sizes_text = NULL;
  gboolean self_test = FALSE;
  const GOptionEntry entries[] = {
    { "seccomp-self-test", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &self_test, "check the filter", NULL },
    { "as-mb", 0, 0, G_OPTION_ARG_INT, &as_mb, "RLIMIT_AS in MiB", "N" },
    { "cpu-s", 0, 0, G_OPTION_ARG_INT, &cpu_s, "CPU seconds per request", "N" },
    { "nofile", 0, 0, G_OPTION_ARG_INT, &nofile, "RLIMIT_NOFILE", "N" },
    { "deadline-ms", 0, 0, G_OPTION_ARG_INT, &deadline_ms, "render deadline", "MS" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_text, "allowed sizes", "LIST" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- render worker (internal)");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sizes = NULL;
  BimiRenderOptions options = { 0 };
  double used;
  rlim_t cpu_hard;
  int in_fd, out_fd, devnull;
  guint served = 0;

  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("bimi __render-worker: %s\n", error->message);
    return 2;
  }
  if (as_mb < 16 || cpu_s < 1 || nofile < 4 || deadline_ms < 1) {
    g_printerr("bimi __render-worker: limit out of range\n");
    return 2;
  }
  if (sizes_text != NULL) {
    sizes = bimi_render_parse_sizes(sizes_text, &error);
    if (sizes == NULL) {
      g_printerr("bimi __render-worker: %s\n", error->message);
      return 2;
    }
    options.sizes = (const guint *) (void *) sizes->data;
    options.n_sizes = sizes->len;
  }
  options.deadline_ms = (guint) deadline_ms;

  /* Keep 0, 1, 2; everything else inherited goes. Then move the channel off
   * 0 and 1 so that no library can print into the protocol stream. */
  close_inherited_fds();
  signal(SIGXFSZ, SIG_IGN);
  in_fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
  out_fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (in_fd < 0 || out_fd < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0) {
    g_printerr("bimi __render-worker: cannot set up descriptors: %s\n", g_strerror(errno));
    return 2;
  }
  close(devnull);

  {
    g_autoptr(GBytes) w = g_bytes_new_static(warmup_svg, sizeof warmup_svg - 1);
    BimiRenderOptions wo = { .sizes = (const guint[]) { 16 }, .n_sizes = 1, .deadline_ms = 10000 };
    g_autoptr(GBytes) png = bimi_render_png(w, 16, &wo, NULL);
    (void) png;
  }

  used = cpu_seconds_used();
  cpu_hard = (rlim_t) used + (rlim_t) cpu_s * (BIMI_RENDER_WORKER_MAX_REQUESTS + 1) + 1;
  if (!set_limit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE") || !set_limit(RLIMIT_FSIZE, 0, 0, "RLIMIT_FSIZE") ||
      !set_limit(RLIMIT_NOFILE, (rlim_t) nofile, (rlim_t) nofile, "RLIMIT_NOFILE") ||
      !set_limit(RLIMIT_CPU, (rlim_t) used + (rlim_t) cpu_s + 1, cpu_hard, "RLIMIT_CPU"))
    return 2;
#ifndef BIMI_ASAN
  if (!set_limit(RLIMIT_AS, (rlim_t) as_mb * 1024 * 1024, (rlim_t) as_mb * 1024 * 1024, "RLIMIT_AS"))
    return 2;
#endif

  if (!install_seccomp())
    return 2;
  if (self_test)
    return seccomp_self_test();

  /* Ready: the pool starts the request deadline only after this hello. */
  if (!write_full(out_fd, (const guint8 *) HELLO_FRAME, sizeof HELLO_FRAME - 1))
    return 2;

  for (;;) {
    guint8 hdr[4];
    gsize len;
    gboolean eof = FALSE;

    if (!read_full(in_fd, hdr, 4, &eof))
      return eof ? 0 : 2;
    if (!bimi_render__frame_length(hdr, &len, &error)) {
      g_printerr("bimi __render-worker: %s\n", error->message);
      return 2;
    }
    g_autofree guint8 *body = g_malloc(len);
    if (!read_full(in_fd, body, len, NULL))
      return 2;
    g_autoptr(GBytes) svg = NULL;
    g_autoptr(GBytes) png = NULL;
    g_autoptr(GError) render_error = NULL;
    guint size = 0;
    if (bimi_render__request_decode(body, len, &size, &svg, &render_error)) {
      /* A fresh CPU budget for this request (RLIMIT_CPU counts the process's life). */
      rlim_t soft = (rlim_t) cpu_seconds_used() + (rlim_t) cpu_s;
      if (soft > cpu_hard)
        soft = cpu_hard;
      set_limit(RLIMIT_CPU, soft, cpu_hard, "RLIMIT_CPU");
      png = bimi_render_png(svg, size, &options, &render_error);
    }
    g_autoptr(GBytes) reply = bimi_render__response_encode(png, render_error);
    if (!write_full(out_fd, g_bytes_get_data(reply, NULL), g_bytes_get_size(reply)))
      return 2;
    if (++served >= BIMI_RENDER_WORKER_MAX_REQUESTS)
      return 0;
  }
}

void
bimi_render_worker_main(int argc, char **argv)
{
  int status = worker_serve(argc, argv);
  /* A disposable process: no exit handlers, no leak report for the global
   * caches of fontconfig and pango (they live until exit by design). */
  fflush(stderr);
  _exit(status);
}

/* ---- the pool ------------------------------------------------------------------ */

typedef struct {
  GPid pid;      /* 0: no process */
  int fd;        /* our end of the channel, -1 without a process */
  guint served;
  gboolean busy;
} Worker;

struct _BimiRenderPool {
  GStrv argv;    /* worker argv with the limit options appended */
  BimiRenderPoolConfig config; /* sizes/argv pointers not used after new() */
  BimiRenderOptions check;     /* size checks before a worker is used */
  GArray *sizes;
  GMutex lock;
  GCond idle;    /* broadcast when a worker or a probe slot becomes free */
  Worker *workers;
  BimiRenderPoolStats stats;
  guint probe_cap;      /* most workers probes may hold at once */
  guint probes_running;
  int wake[2];          /* the monitor's wake-up pipe: [0] read, [1] write (both non-blocking) */
  GThread *monitor;     /* reaps and replaces workers that die while idle */
  gboolean stopping;    /* under @lock: bimi_render_pool_free() asked the monitor to end */
};

static gpointer monitor_run(gpointer data);

BimiRenderPool *
bimi_render_pool_new(const BimiRenderPoolConfig *config, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GString) sizes_text = g_string_new(NULL);
  BimiRenderPool *pool;
  BimiRenderPoolConfig c;

  g_return_val_if_fail(config != NULL, NULL);
  c = *config;
  if (c.worker_argv == NULL || c.worker_argv[0] == NULL || !g_path_is_absolute(c.worker_argv[0])) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG, "worker argv[0] must be an absolute path");
    return NULL;
  }
  if (c.n_workers == 0)
    c.n_workers = 2;
  if (c.deadline_ms == 0)
    c.deadline_ms = BIMI_RENDER_DEFAULT_DEADLINE_MS;
  if (c.wait_ms == 0)
    c.wait_ms = c.deadline_ms;
  if (c.as_mb == 0)
    c.as_mb = BIMI_RENDER_DEFAULT_WORKER_AS_MB;
  if (c.cpu_s == 0)
    c.cpu_s = BIMI_RENDER_DEFAULT_WORKER_CPU_S;
  if (c.nofile == 0)
    c.nofile = BIMI_RENDER_DEFAULT_WORKER_NOFILE;
  if (c.n_workers > BIMI_RENDER_MAX_WORKERS || c.deadline_ms > 600000 || c.wait_ms > 600000 || c.as_mb < 16 ||
      c.as_mb > 1024 * 1024 || c.cpu_s > 3600 || c.nofile < 4 || c.nofile > 65536 ||
      (c.sizes != NULL && (c.n_sizes == 0 || c.n_sizes > BIMI_RENDER_MAX_SIZES))) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG,
                "render pool: a value is out of range (workers 1..%u, deadline/wait <= 600000 ms, "
                "as_mb 16.., cpu_s <= 3600, nofile 4..65536, 1..%u sizes)",
                BIMI_RENDER_MAX_WORKERS, BIMI_RENDER_MAX_SIZES);
    return NULL;
  }

  pool = g_new0(BimiRenderPool, 1);
  pool->sizes = g_array_new(FALSE, FALSE, sizeof(guint));
  if (c.sizes != NULL)
    g_array_append_vals(pool->sizes, c.sizes, c.n_sizes);
  else
    g_array_append_vals(pool->sizes, bimi_render_default_sizes, G_N_ELEMENTS(bimi_render_default_sizes));
  for (guint i = 0; i < pool->sizes->len; i++)
    g_string_append_printf(sizes_text, "%s%u", i ? "," : "", g_array_index(pool->sizes, guint, i));

  for (guint i = 0; c.worker_argv[i] != NULL; i++)
    g_ptr_array_add(argv, g_strdup(c.worker_argv[i]));
  g_ptr_array_add(argv, g_strdup_printf("--as-mb=%u", c.as_mb));
  g_ptr_array_add(argv, g_strdup_printf("--cpu-s=%u", c.cpu_s));
  g_ptr_array_add(argv, g_strdup_printf("--nofile=%u", c.nofile));
  g_ptr_array_add(argv, g_strdup_printf("--deadline-ms=%u", c.deadline_ms));
  g_ptr_array_add(argv, g_strdup_printf("--sizes=%s", sizes_text->str));
  g_ptr_array_add(argv, NULL);
  pool->argv = (GStrv) g_ptr_array_steal(argv, NULL);

  c.worker_argv = NULL;
  c.sizes = NULL;
  pool->config = c;
  pool->check.sizes = (const guint *) (void *) pool->sizes->data;
  pool->check.n_sizes = pool->sizes->len;
  pool->check.deadline_ms = c.deadline_ms;
  g_mutex_init(&pool->lock);
  g_cond_init(&pool->idle);
  pool->workers = g_new0(Worker, c.n_workers);
  for (guint i = 0; i < c.n_workers; i++)
    pool->workers[i].fd = -1;
  /* Probes (first renders of a logo nobody has seen render) may hold at most
   * half the workers, so a stream of hostile logos leaves the other half to
   * logos known to render. */
  pool->probe_cap = MAX(1u, c.n_workers / 2);
  if (pipe2(pool->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_UNAVAILABLE, "render pool: monitor pipe: %s",
                g_strerror(errno));
    pool->wake[0] = pool->wake[1] = -1;
    bimi_render_pool_free(pool);
    return NULL;
  }
  pool->monitor = g_thread_new("bimi-render-monitor", monitor_run, pool);
  return pool;
}

/* Tells the monitor that the set of idle workers changed. */
static void
wake_monitor(BimiRenderPool *pool)
{
  ssize_t r;
  do
    r = write(pool->wake[1], "w", 1);
  while (r < 0 && errno == EINTR);
  /* EAGAIN: the pipe is full, so the monitor wakes anyway. */
}

typedef enum { IO_OK, IO_TIMEOUT, IO_CLOSED } IoResult;
static IoResult recv_all(int fd, guint8 *buf, gsize len, gint64 deadline_us);

/* SIGKILL + waitpid; describes how the worker ended into *@how (if non-NULL). */
static void
worker_stop(Worker *w, char **how)
{
  int status = 0;
  pid_t r;

  if (w->pid > 0) {
    kill(w->pid, SIGKILL);
    do
      r = waitpid(w->pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (how != NULL && r == w->pid) {
      if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGXCPU)
          *how = g_strdup("killed by SIGXCPU (CPU time limit)");
        else if (sig == SIGXFSZ)
          *how = g_strdup("killed by SIGXFSZ (file size limit)");
        else
          *how = g_strdup_printf("killed by signal %d (%s)", sig, g_strsignal(sig));
      } else if (WIFEXITED(status)) {
        *how = g_strdup_printf("exited with status %d", WEXITSTATUS(status));
      }
    }
  }
  if (w->fd >= 0)
    close(w->fd);
  w->pid = 0;
  w->fd = -1;
  w->served = 0;
}

static gboolean
worker_start(BimiRenderPool *pool, Worker *w, GError **error)
{
  int sv[2];
  GPid pid = 0;
  g_autoptr(GError) local = NULL;
  gboolean ok;

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_UNAVAILABLE, "socketpair: %s", g_strerror(errno));
    return FALSE;
  }
  ok = g_spawn_async_with_pipes_and_fds("/", (const char *const *) pool->argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                        NULL, NULL, sv[1], sv[1], -1, NULL, NULL, 0, &pid, NULL, NULL, NULL,
                                        &local);
  close(sv[1]);
  if (!ok) {
    close(sv[0]);
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_UNAVAILABLE, "cannot start render worker %s: %s",
                pool->argv[0], local->message);
    return FALSE;
  }
  w->pid = pid;
  w->fd = sv[0];
  w->served = 0;
  {
    guint8 hello[5];
    g_autofree char *how = NULL;
    if (recv_all(w->fd, hello, sizeof hello, g_get_monotonic_time() + (gint64) WORKER_START_MS * 1000) != IO_OK ||
        memcmp(hello, HELLO_FRAME, sizeof hello) != 0) {
      worker_stop(w, &how);
      g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_UNAVAILABLE, "render worker %s did not start: %s",
                  pool->argv[0], how != NULL ? how : "no hello");
      return FALSE;
    }
  }
  return TRUE;
}

/* Waits until @fd is ready for @events or the deadline passes. */
static gboolean
wait_fd(int fd, short events, gint64 deadline_us)
{
  for (;;) {
    struct pollfd p = { .fd = fd, .events = events };
    gint64 left = deadline_us - g_get_monotonic_time();
    int r;
    if (left <= 0)
      return FALSE;
    r = poll(&p, 1, (int) MIN((left + 999) / 1000, G_MAXINT));
    if (r > 0)
      return TRUE;
    if (r < 0 && errno != EINTR)
      return TRUE; /* let the following send/recv report the error */
  }
}

static IoResult
send_all(int fd, const guint8 *buf, gsize len, gint64 deadline_us)
{
  gsize done = 0;
  while (done < len) {
    ssize_t n;
    if (!wait_fd(fd, POLLOUT, deadline_us))
      return IO_TIMEOUT;
    n = send(fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      return IO_CLOSED;
    done += (gsize) n;
  }
  return IO_OK;
}

static IoResult
recv_all(int fd, guint8 *buf, gsize len, gint64 deadline_us)
{
  gsize got = 0;
  while (got < len) {
    ssize_t n;
    if (!wait_fd(fd, POLLIN, deadline_us))
      return IO_TIMEOUT;
    n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      return IO_CLOSED;
    got += (gsize) n;
  }
  return IO_OK;
}

/* One exchange with a running worker. On failure the worker must be stopped;
 * *@fatal says so, *@timed_out tells a deadline kill from a death, *@died a
 * worker that closed the channel before it answered. */
static GBytes *
exchange(BimiRenderPool *pool, Worker *w, GBytes *request, gint64 deadline_us, gboolean *fatal,
         gboolean *timed_out, gboolean *died, GError **error)
{
  guint8 hdr[4];
  gsize len;
  g_autofree guint8 *body = NULL;
  IoResult r;

  *fatal = TRUE;
  *timed_out = FALSE;
  *died = FALSE;
  r = send_all(w->fd, g_bytes_get_data(request, NULL), g_bytes_get_size(request), deadline_us);
  if (r == IO_OK)
    r = recv_all(w->fd, hdr, 4, deadline_us);
  if (r == IO_OK) {
    if (!bimi_render__frame_length(hdr, &len, error))
      return NULL;
    body = g_malloc(len);
    r = recv_all(w->fd, body, len, deadline_us);
  }
  if (r == IO_TIMEOUT) {
    *timed_out = TRUE;
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_DEADLINE,
                "render deadline of %u ms exceeded; worker %d killed", pool->config.deadline_ms, (int) w->pid);
    return NULL;
  }
  if (r == IO_CLOSED) {
    *died = TRUE;
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER, "render worker %d died", (int) w->pid);
    return NULL;
  }
  *fatal = FALSE;
  {
    GError *worker_error = NULL;
    GBytes *png = bimi_render__response_decode(body, len, &worker_error);
    if (png == NULL) {
      /* A malformed response means the worker cannot be trusted any more. */
      *fatal = worker_error->code == BIMI_RENDER_ERROR_WORKER;
      g_propagate_error(error, worker_error);
    }
    return png;
  }
}

/* Takes an idle worker (prefer one that is running) and marks it busy; NULL
 * with _BUSY when none became free by @wait_until. Called with @pool->lock held. */
static Worker *
take_worker(BimiRenderPool *pool, gint64 wait_until, GError **error)
{
  Worker *w = NULL;

  while (w == NULL) {
    for (guint i = 0; i < pool->config.n_workers; i++) {
      Worker *c = &pool->workers[i];
      if (!c->busy && (w == NULL || (w->pid == 0 && c->pid != 0)))
        w = c;
    }
    if (w == NULL && !g_cond_wait_until(&pool->idle, &pool->lock, wait_until)) {
      g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_BUSY, "no render worker became free within %u ms",
                  pool->config.wait_ms);
      return NULL;
    }
  }
  w->busy = TRUE;
  return w;
}

/* Gives @w back (idle) and wakes a waiter and the monitor. */
static void
release_worker(BimiRenderPool *pool, Worker *w)
{
  g_mutex_lock(&pool->lock);
  w->busy = FALSE;
  g_cond_broadcast(&pool->idle);
  g_mutex_unlock(&pool->lock);
  wake_monitor(pool);
}

static GBytes *
pool_render(BimiRenderPool *pool, GBytes *svg, guint size, gboolean probe, GError **error)
{
  gint64 wait_until;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *first_death = NULL;
  GBytes *png = NULL;
  gboolean holds_probe_slot = FALSE;

  g_return_val_if_fail(pool != NULL && svg != NULL, NULL);
  g_mutex_lock(&pool->lock);
  pool->stats.requests++;
  if (probe)
    pool->stats.probes++;
  g_mutex_unlock(&pool->lock);

  if (!bimi_render_size_allowed(&pool->check, size)) {
    g_set_error(&local, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_SIZE,
                "size %u px is not in the configured size set", size);
    goto out;
  }
  if (g_bytes_get_size(svg) == 0 || g_bytes_get_size(svg) > BIMI_RENDER_MAX_SVG_BYTES) {
    g_set_error(&local, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_TOO_LARGE,
                "SVG of %" G_GSIZE_FORMAT " bytes (must be 1..%u)", g_bytes_get_size(svg),
                BIMI_RENDER_MAX_SVG_BYTES);
    goto out;
  }
  request = bimi_render__request_encode(size, svg);
  wait_until = g_get_monotonic_time() + (gint64) pool->config.wait_ms * 1000;

  if (probe) {
    g_mutex_lock(&pool->lock);
    while (pool->probes_running >= pool->probe_cap) {
      if (!g_cond_wait_until(&pool->idle, &pool->lock, wait_until)) {
        g_mutex_unlock(&pool->lock);
        g_set_error(&local, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_BUSY,
                    "no probe slot (%u of %u workers) became free within %u ms", pool->probe_cap,
                    pool->config.n_workers, pool->config.wait_ms);
        goto out;
      }
    }
    pool->probes_running++;
    holds_probe_slot = TRUE;
    g_mutex_unlock(&pool->lock);
  }

  for (guint attempt = 0;; attempt++) {
    Worker *w;
    gboolean fatal = FALSE, timed_out = FALSE, died = FALSE, retire;
    g_autofree char *how = NULL;

    g_mutex_lock(&pool->lock);
    w = take_worker(pool, wait_until, &local);
    g_mutex_unlock(&pool->lock);
    if (w == NULL)
      goto out;
    if (w->pid == 0) {
      if (!worker_start(pool, w, &local)) {
        release_worker(pool, w);
        goto out;
      }
      g_mutex_lock(&pool->lock);
      pool->stats.spawned++;
      g_mutex_unlock(&pool->lock);
    }

    png = exchange(pool, w, request, g_get_monotonic_time() + (gint64) pool->config.deadline_ms * 1000, &fatal,
                   &timed_out, &died, &local);
    w->served++;
    retire = !fatal && w->served >= BIMI_RENDER_WORKER_MAX_REQUESTS;
    if (fatal || retire)
      worker_stop(w, fatal && !timed_out ? &how : NULL);
    g_mutex_lock(&pool->lock);
    if (fatal && timed_out)
      pool->stats.deadline_kills++;
    else if (fatal)
      pool->stats.deaths++;
    else if (retire)
      pool->stats.retired++;
    g_mutex_unlock(&pool->lock);
    release_worker(pool, w);

    if (png == NULL && died && attempt < BIMI_RENDER_MAX_RETRIES) {
      /* The worker may have died of something else (the OOM killer, an
       * operator, a leak over many requests): once more on a fresh one. */
      first_death = g_strdup(how != NULL ? how : "died");
      g_clear_error(&local);
      g_mutex_lock(&pool->lock);
      pool->stats.retries++;
      g_mutex_unlock(&pool->lock);
      continue;
    }
    if (how != NULL)
      g_prefix_error(&local, "%s: ", how);
    if (png == NULL && died && first_death != NULL)
      g_prefix_error(&local, "the SVG killed two workers (first %s): ", first_death);
    break;
  }

out:
  if (holds_probe_slot) {
    g_mutex_lock(&pool->lock);
    pool->probes_running--;
    g_cond_broadcast(&pool->idle);
    g_mutex_unlock(&pool->lock);
  }
  if (png == NULL) {
    g_mutex_lock(&pool->lock);
    pool->stats.failures++;
    g_mutex_unlock(&pool->lock);
    g_propagate_error(error, g_steal_pointer(&local));
  }
  return png;
}

gboolean
bimi_render_pool_check(BimiRenderPool *pool, GError **error)
{
  Worker *w;
  gboolean ok = TRUE;

  g_return_val_if_fail(pool != NULL, FALSE);
  g_mutex_lock(&pool->lock);
  for (guint i = 0; i < pool->config.n_workers; i++)
    if (pool->workers[i].pid != 0) {
      g_mutex_unlock(&pool->lock); /* a worker started and still runs (busy or idle) */
      return TRUE;
    }
  w = take_worker(pool, g_get_monotonic_time() + (gint64) pool->config.wait_ms * 1000, error);
  g_mutex_unlock(&pool->lock);
  if (w == NULL)
    return FALSE;
  if (w->pid == 0) {
    ok = worker_start(pool, w, error);
    if (ok) {
      g_mutex_lock(&pool->lock);
      pool->stats.spawned++;
      g_mutex_unlock(&pool->lock);
    }
  }
  release_worker(pool, w);
  return ok;
}

GBytes *
bimi_render_pool_render(BimiRenderPool *pool, GBytes *svg, guint size, GError **error)
{
  return pool_render(pool, svg, size, FALSE, error);
}

GBytes *
bimi_render_pool_probe(BimiRenderPool *pool, GBytes *svg, guint size, GError **error)
{
  return pool_render(pool, svg, size, TRUE, error);
}

/* ---- the monitor: workers that die while idle ------------------------------------ */

/* Called by the monitor when the channel of worker @i (process @pid) became
 * readable while it was idle: an idle worker never speaks, so EOF, an error or
 * stray bytes mean it is gone or broken. Reaps it at once and starts a
 * replacement, so no request ever meets a dead worker. */
static void
reap_if_dead(BimiRenderPool *pool, guint i, GPid pid)
{
  Worker *w = &pool->workers[i];
  g_autofree char *how = NULL;
  g_autoptr(GError) error = NULL;
  gboolean dead = FALSE, started;

  g_mutex_lock(&pool->lock);
  if (w->pid == pid && !w->busy && !pool->stopping) {
    struct pollfd p = { .fd = w->fd, .events = POLLIN };
    if (poll(&p, 1, 0) > 0) {
      dead = TRUE;
      w->busy = TRUE; /* ours until replaced */
    }
  }
  g_mutex_unlock(&pool->lock);
  if (!dead)
    return;
  worker_stop(w, &how);
  g_debug("render pool: idle worker %d %s; replacing it", (int) pid, how != NULL ? how : "closed its channel");
  started = worker_start(pool, w, &error);
  if (!started)
    g_debug("render pool: %s (a later request starts one)", error->message);
  g_mutex_lock(&pool->lock);
  pool->stats.deaths++;
  pool->stats.idle_deaths++;
  if (started)
    pool->stats.spawned++;
  w->busy = FALSE;
  g_cond_broadcast(&pool->idle);
  g_mutex_unlock(&pool->lock);
}

static gpointer
monitor_run(gpointer data)
{
  BimiRenderPool *pool = data;
  guint n = pool->config.n_workers;
  g_autofree struct pollfd *fds = g_new0(struct pollfd, n + 1);
  g_autofree GPid *pids = g_new0(GPid, n + 1);
  g_autofree guint *index = g_new0(guint, n + 1);

  for (;;) {
    guint m = 1;
    int r;

    fds[0] = (struct pollfd) { .fd = pool->wake[0], .events = POLLIN };
    g_mutex_lock(&pool->lock);
    if (pool->stopping) {
      g_mutex_unlock(&pool->lock);
      return NULL;
    }
    for (guint i = 0; i < n; i++) {
      const Worker *w = &pool->workers[i];
      if (w->pid > 0 && !w->busy) {
        fds[m] = (struct pollfd) { .fd = w->fd, .events = POLLIN };
        pids[m] = w->pid;
        index[m] = i;
        m++;
      }
    }
    g_mutex_unlock(&pool->lock);
    r = poll(fds, m, -1);
    if (r < 0)
      continue; /* EINTR; poll(2) reports nothing else for a valid set */
    if (fds[0].revents != 0) {
      char buf[64];
      while (read(pool->wake[0], buf, sizeof buf) > 0) {
      }
    }
    for (guint j = 1; j < m; j++)
      if (fds[j].revents != 0)
        reap_if_dead(pool, index[j], pids[j]);
  }
}

GPid
bimi_render__pool_worker_pid(BimiRenderPool *pool, guint i)
{
  GPid pid;

  g_return_val_if_fail(pool != NULL && i < pool->config.n_workers, 0);
  g_mutex_lock(&pool->lock);
  pid = pool->workers[i].pid;
  g_mutex_unlock(&pool->lock);
  return pid;
}

void
bimi_render_pool_get_stats(BimiRenderPool *pool, BimiRenderPoolStats *out)
{
  g_return_if_fail(pool != NULL && out != NULL);
  g_mutex_lock(&pool->lock);
  *out = pool->stats;
  g_mutex_unlock(&pool->lock);
}

BIMI_DEFINE_FREE_FUNC(BimiRenderPool, bimi_render_pool_free, pool)
{
  if (pool->monitor != NULL) {
    g_mutex_lock(&pool->lock);
    pool->stopping = TRUE;
    g_mutex_unlock(&pool->lock);
    wake_monitor(pool);
    g_thread_join(pool->monitor);
  }
  if (pool->wake[0] >= 0) {
    close(pool->wake[0]);
    close(pool->wake[1]);
  }
  for (guint i = 0; i < pool->config.n_workers; i++)
    worker_stop(&pool->workers[i], NULL);
  g_free(pool->workers);
  g_array_unref(pool->sizes);
  g_strfreev(pool->argv);
  g_mutex_clear(&pool->lock);
  g_cond_clear(&pool->idle);
}
