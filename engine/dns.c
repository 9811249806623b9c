/* engine/dns.c — the DNS layer: one libunbound context shared by all threads.
 *
 * Implements:
 *  - the four outcomes every protocol needs told apart: NOERROR with data,
 *    NODATA (RFC 2308 §2.2), NXDOMAIN (RFC 1035 §4.1.1, RFC 2308 §2.1) and
 *    temperror (SERVFAIL, other error RCODEs, timeout, DNSSEC bogus) — as
 *    RFC 7208 §2.6/§4.4/§5, RFC 6376 §6.1.2 and RFC 7489 §6.6.3 use them;
 *  - CNAME following (RFC 1034 §3.6.2, §4.3.2 step 3a) with a loop guard;
 *  - TXT character-strings joined with nothing between them (RFC 7208 §3.3,
 *    RFC 6376 §3.6.2.2) and kept one by one;
 *  - reverse names (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa);
 *  - offline zone data (RFC 1035 §5 master files, parsed by engine/dns-zone.c)
 *    served by libunbound as one "static" local zone at the root.
 *
 * Design: queries go out with ub_resolve_async() on a threaded context;
 * one resolver thread polls ub_fd() and runs ub_process(), which calls the
 * completion callback. A caller waits on its query's condition variable until the
 * deadline; on timeout it ub_cancel()s. The per-query state holds two
 * references (caller and callback): when ub_cancel() succeeds libunbound
 * promises never to call back, so the caller drops the callback's reference
 * too; when it fails (UB_NOID) the callback has run or is running in the
 * resolver thread and drops its own. Nothing is ever freed under a callback.
 *
 * Deliberate deviations and choices:
 *  - Offline negative answers (NXDOMAIN, NODATA) take the RFC 2308 §5
 *    negative TTL of the closest SOA of the zone data at or above the name
 *    (libunbound reports a meaningless 32768 for local data), and TTL 0 when
 *    no SOA covers it.
 *  - Final answers are kept in an in-process cache (engine/dns-cache.c) for
 *    their TTL: a hit is answered on the calling thread without touching
 *    libunbound or the resolver thread. Temperror is never kept. Adding zone
 *    data or a fault name empties it.
 *  - libunbound answers local CNAMEs without chasing them, and reports the
 *    end of a chain only as lossy text (canonname turns unusual bytes into
 *    '?'). So whenever a CNAME takes part we walk the chain ourselves, one
 *    exact hop at a time (ask for the CNAME, continue at its wire-form
 *    target), at most BIMI_DNS_MAX_CNAME_CHAIN hops, a loop being
 *    temperror. Online libunbound has chased already: the hops are cache hits.
 *  - The RFC 6303 (AS112) local zones of libunbound are switched off
 *    ("unblock-lan-zones"): the engine wants the forwarder's view, and
 *    reverse names of test nets (2.0.192.in-addr.arpa) must reach zone data
 *    and test servers. Offline, libunbound's other built-in zones
 *    (localhost, test, invalid, onion, home.arpa, ...) are removed too, so a
 *    name absent from the zone data is NXDOMAIN, whatever it is.
 *  - The fault list makes NXDOMAIN/NODATA answers for listed names
 *    temperror "timeout" (the RFC 7208 test-suite TIMEOUT convention). A
 *    name counts when it is the query name or any CNAME target on the way.
 *  - Answers with more than BIMI_DNS_MAX_ANSWER_RECORDS records are
 *    BIMI_DNS_ERROR_LIMIT rather than silently truncated: dropping records
 *    could change an SPF or DMARC result.
 *  - Forwarders together with zone files (or offline) are a configuration
 *    error: offline means no network, so they could only be ignored.
 *  - The trust anchor is read with ub_ctx_add_ta_file(): read-only, no
 *    RFC 5011 rollover tracking (keep the file current with dns-root-data).
 *  - Records keep their order: "rrset-roundrobin: no" (libunbound rotates
 *    RRsets by default, so which MX or PTR name is tried first varied from
 *    run to run), and zone data is handed to libunbound last record first
 *    because it inserts each record at the head of its RRset. Offline, an
 *    RRset answers in zone-file order (records of one RRset added by a
 *    later text come before those of an earlier one); online, in the
 *    order the forwarder sent.
 */
#include "engine/dns.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-text.h"
#include "engine/dns-private.h"
#include "engine/dns-zone.h"
#include "engine/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>
#include <glib-unix.h>

G_DEFINE_QUARK(bimi-dns-error-quark, bimi_dns_error)

/* libunbound's built-in local zones besides the AS112 ones (RFC 6761,
 * RFC 7686, RFC 8375; newer versions add the last two). Offline they are
 * removed; removing an absent zone is harmless. */
static const char *const builtin_zones[] = {
  "localhost.",
  "127.in-addr.arpa.",
  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
  "home.arpa.",
  "onion.",
  "test.",
  "invalid.",
  "resolver.arpa.",
  "service.arpa.",
};

struct _BimiDnsResolver {
  struct ub_ctx *ctx;
  guint timeout_ms;
  GThread *thread;          /* polls ub_fd(), runs ub_process() */
  gint thread_failed;       /* atomic: the thread stopped on an error */
  int wake[2];              /* the thread stops once wake[0] is readable */
  pthread_mutex_t lock;     /* protects the fields below (pthread: visible to ThreadSanitizer) */
  gboolean offline;         /* local data only, "." is a static zone */
  BimiDnsZone *zone;        /* what the zone data loaded so far holds */
  GHashTable *fault_names;  /* lower-case name, no trailing dot */
  GHashTable *asked;        /* with bimi_dns_resolver_count_queries(): lower-case name → questions asked */
  guint n_asked;            /* with bimi_dns_resolver_count_queries(): every question */
  gint n_answers[BIMI_DNS_TEMPERROR + 1]; /* atomic: answers by status (bimi_dns_resolver_get_stats()) */
  gint n_timeouts;          /* atomic: temperror answers whose deadline passed */
  /* offline: SOA owner (lower-case wire name) → RFC 2308 §5 negative TTL, min(SOA TTL, MINIMUM) */
  GHashTable *negative_ttls;
  BimiDnsCache *cache;      /* final answers; locks of its own */
  BimiDnsClock clock;       /* the cache's clock, set before the first lookup */
  gpointer clock_data;
  guint64 questions;        /* atomic: questions handed to libunbound */
};

/* ---- small tables --------------------------------------------------------- */

const char *
bimi_dns_status_to_string(BimiDnsStatus status)
{
  switch (status) {
  case BIMI_DNS_NOERROR: return "NOERROR";
  case BIMI_DNS_NODATA: return "NODATA";
  case BIMI_DNS_NXDOMAIN: return "NXDOMAIN";
  case BIMI_DNS_TEMPERROR: return "TEMPERROR";
  default: return "?";
  }
}

char *
bimi_dns_reverse_name(GInetAddress *address)
{
  const guint8 *b;
  GString *s;

  g_return_val_if_fail(G_IS_INET_ADDRESS(address), NULL);
  b = g_inet_address_to_bytes(address);
  s = g_string_sized_new(73);
  /* written without printf (issue 21: two per evaluation, for FCrDNS) */
  if (g_inet_address_get_family(address) == G_SOCKET_FAMILY_IPV4) {
    for (int i = 3; i >= 0; i--) {
      bimi_text_append_uint(s, b[i]);
      g_string_append_c(s, '.');
    }
    g_string_append(s, "in-addr.arpa");
    return g_string_free(s, FALSE);
  }
  for (int i = 15; i >= 0; i--) {
    static const char hex[] = "0123456789abcdef";
    char nibbles[4] = { hex[b[i] & 0x0f], '.', hex[b[i] >> 4], '.' };
    g_string_append_len(s, nibbles, sizeof nibbles);
  }
  g_string_append(s, "ip6.arpa");
  return g_string_free(s, FALSE);
}

BIMI_DEFINE_FREE_FUNC(BimiDnsAnswer, bimi_dns_answer_free, answer)
{
  BIMI_FREE_ALL(answer->qname, answer->canonical_name);
  if (answer->records != NULL)
    BIMI_DNS__SHARED_UNREF_FENCE(answer->records); /* may be shared with the answer cache */
  g_clear_pointer(&answer->records, g_ptr_array_unref);
  g_free(answer->detail);
}

/* Attacker-controlled text for a message: escaped, at most 80 bytes. */
static char *
display(const char *text)
{
  gsize n = strlen(text);
  g_autofree char *head = g_strndup(text, MIN(n, 80));
  g_autofree char *esc = g_strescape(head, NULL);
  return g_strdup_printf("%s%s", esc, n > 80 ? "..." : "");
}

/* ---- the resolver thread and one asynchronous question ------------------- */

static gpointer
resolver_thread(gpointer data)
{
  BimiDnsResolver *r = data;
  struct pollfd fds[2];

  fds[0].fd = ub_fd(r->ctx);
  fds[0].events = POLLIN;
  fds[1].fd = r->wake[0];
  fds[1].events = POLLIN;
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      g_debug("dns: poll failed: %s", g_strerror(errno));
      g_atomic_int_set(&r->thread_failed, 1);
      break;
    }
    if (fds[1].revents != 0)
      break;
    if (fds[0].revents != 0) {
      int rc = ub_process(r->ctx);
      if (rc != 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
        g_debug("dns: libunbound result pipe failed: %s", ub_strerror(rc));
        g_atomic_int_set(&r->thread_failed, 1);
        break;
      }
    }
  }
  return NULL;
}

typedef struct {
  gint refs;                /* the caller's and the callback's; g_atomic_int (inline atomics ThreadSanitizer sees) */
  pthread_mutex_t lock;
  pthread_cond_t cond;      /* on CLOCK_MONOTONIC, the clock of g_get_monotonic_time() */
  gboolean done;
  int err;
  struct ub_result *result;
} Pending;

static void
pending_unref(Pending *p)
{
  if (!g_atomic_int_dec_and_test(&p->refs))
    return;
  if (p->result != NULL)
    ub_resolve_free(p->result);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->cond);
  g_free(p);
}

/* Runs in the resolver thread, inside ub_process(). */
static void
on_result(void *data, int err, struct ub_result *result)
{
  Pending *p = data;
  pthread_mutex_lock(&p->lock);
  p->err = err;
  p->result = result;
  p->done = TRUE;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->lock);
  pending_unref(p);
}

typedef enum { ASK_ANSWERED, ASK_TIMEOUT, ASK_FAILED } AskOutcome;

/* One question to libunbound. ASK_ANSWERED: *out_result (may be NULL when
 * *out_err says why). ASK_FAILED: @error is set. */
static AskOutcome
ask(BimiDnsResolver *r, const char *qname, BimiDnsType type, gint64 deadline, struct ub_result **out_result,
    int *out_err, GError **error)
{
  Pending *p;
  int id = 0, rc;

  if (g_atomic_int_get(&r->thread_failed)) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "the resolver thread has stopped on an error");
    return ASK_FAILED;
  }
  __atomic_fetch_add(&r->questions, 1, __ATOMIC_RELAXED);
  p = g_new0(Pending, 1);
  p->refs = 2;
  pthread_mutex_init(&p->lock, NULL);
  {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &attr);
    pthread_condattr_destroy(&attr);
  }
  *out_result = NULL;
  *out_err = 0;

  rc = ub_resolve_async(r->ctx, qname, (int) type, 1 /* IN */, p, on_result, &id);
  if (rc != 0) {
    pending_unref(p);
    pending_unref(p);
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "libunbound refused the query: %s", ub_strerror(rc));
    return ASK_FAILED;
  }
  pthread_mutex_lock(&p->lock);
  while (!p->done) {
    struct timespec ts = { .tv_sec = (time_t) (deadline / G_USEC_PER_SEC),
                           .tv_nsec = (long) (deadline % G_USEC_PER_SEC) * 1000 };
    if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) == ETIMEDOUT)
      break;
  }
  if (p->done) {
    *out_result = g_steal_pointer(&p->result);
    *out_err = p->err;
    pthread_mutex_unlock(&p->lock);
    pending_unref(p);
    return ASK_ANSWERED;
  }
  pthread_mutex_unlock(&p->lock);
  if (ub_cancel(r->ctx, id) == 0)
    pending_unref(p); /* libunbound will never call back: drop the callback's reference */
  pending_unref(p);
  return ASK_TIMEOUT;
}

/* ---- the resolver ---------------------------------------------------------- */

/* What the last reference releases; g_atomic_rc_box_release_full() frees the box. */
BIMI_DEFINE_ATOMIC_RC_FUNCS(BimiDnsResolver, bimi_dns_resolver, resolver)
{
  if (resolver->thread != NULL) {
    const char b = 'q';
    while (write(resolver->wake[1], &b, 1) < 0 && errno == EINTR)
      ;
    g_thread_join(resolver->thread);
  }
  for (int i = 0; i < 2; i++) {
    if (resolver->wake[i] >= 0)
      close(resolver->wake[i]);
  }
  if (resolver->ctx != NULL)
    ub_ctx_delete(resolver->ctx);
  g_hash_table_unref(resolver->fault_names);
  if (resolver->asked != NULL)
    g_hash_table_unref(resolver->asked);
  g_hash_table_unref(resolver->negative_ttls);
  bimi_dns__cache_free(resolver->cache);
  bimi_dns__zone_free(resolver->zone);
  pthread_mutex_destroy(&resolver->lock);
}

/* "ADDR" or "ADDR@PORT" with ADDR an IPv4 or IPv6 literal. */
static gboolean
check_forwarder(const char *fwd, GError **error)
{
  const char *at = strrchr(fwd, '@');
  g_autofree char *addr_text = g_strndup(fwd, at ? (gsize) (at - fwd) : strlen(fwd));
  g_autoptr(GInetAddress) addr = NULL;

  if (strchr(addr_text, '%') == NULL)
    addr = g_inet_address_new_from_string(addr_text);
  if (addr != NULL && at != NULL) {
    guint64 port = 0;
    if (!g_ascii_string_to_unsigned(at + 1, 10, 1, 65535, &port, NULL))
      g_clear_object(&addr);
  }
  if (addr == NULL) {
    g_autofree char *shown = display(fwd);
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG,
                "forwarder '%s': expected ADDR or ADDR@PORT with an IP address (e.g. 127.0.0.1@5353)", shown);
    return FALSE;
  }
  return TRUE;
}

/* Switches the context to local data only. Called with the lock held (or
 * before the resolver is shared). */
static gboolean
go_offline(BimiDnsResolver *r, GError **error)
{
  int rc;
  if (r->offline)
    return TRUE;
  rc = ub_ctx_zone_add(r->ctx, ".", "static");
  if (rc != 0) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "cannot create the local zone: %s", ub_strerror(rc));
    return FALSE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(builtin_zones); i++)
    (void) ub_ctx_zone_remove(r->ctx, builtin_zones[i]);
  r->offline = TRUE;
  return TRUE;
}

static gboolean
load_zone_file(BimiDnsResolver *r, const char *path, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  const char *text;

  bytes = bimi_util_read_file(path, BIMI_MAX_ZONE_FILE_BYTES, &local);
  if (bytes == NULL) {
    gboolean too_big = g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
    g_set_error(error, BIMI_DNS_ERROR, too_big ? BIMI_DNS_ERROR_LIMIT : BIMI_DNS_ERROR_IO, "%s", local->message);
    return FALSE;
  }
  text = g_bytes_get_data(bytes, &len);
  return bimi_dns_resolver_add_zone_data(r, text, len, path, NULL, error);
}

BimiDnsResolver *
bimi_dns_resolver_new(const BimiDnsConfig *config, GError **error)
{
  static const BimiDnsConfig defaults = { 0 };
  g_autoptr(BimiDnsResolver) r = NULL;
  gboolean offline;
  int rc;

  if (config == NULL)
    config = &defaults;
  offline = config->offline || (config->zone_files != NULL && config->zone_files[0] != NULL);
  if (offline && config->forwarders != NULL && config->forwarders[0] != NULL) {
    /* Offline answers come from the zone data only: a forwarder would be
     * silently ignored, which hides a mistaken configuration. */
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG,
                "forwarders and offline zone data are exclusive: give zone files or forwarders, not both");
    return NULL;
  }
  for (gsize i = 0; config->forwarders != NULL && config->forwarders[i] != NULL; i++) {
    if (!check_forwarder(config->forwarders[i], error))
      return NULL;
  }

  r = g_atomic_rc_box_new0(BimiDnsResolver);
  pthread_mutex_init(&r->lock, NULL);
  r->wake[0] = r->wake[1] = -1;
  r->timeout_ms = config->timeout_ms != 0 ? config->timeout_ms : BIMI_DNS_DEFAULT_TIMEOUT_MS;
  r->fault_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  r->zone = bimi_dns__zone_new(BIMI_MAX_ZONE_RECORDS);
  r->negative_ttls = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
  r->cache = bimi_dns__cache_new(BIMI_DNS_CACHE_MAX_ENTRIES, BIMI_DNS_CACHE_MAX_BYTES);

  r->ctx = ub_ctx_create();
  if (r->ctx == NULL) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "cannot create a libunbound context");
    return NULL;
  }
  if ((rc = ub_ctx_async(r->ctx, 1)) != 0 || (rc = ub_ctx_set_option(r->ctx, "unblock-lan-zones:", "yes")) != 0 ||
      (rc = ub_ctx_set_option(r->ctx, "rrset-roundrobin:", "no")) != 0) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "cannot configure libunbound: %s", ub_strerror(rc));
    return NULL;
  }

  if (!offline) {
    if (config->forwarders != NULL && config->forwarders[0] != NULL) {
      for (gsize i = 0; config->forwarders[i] != NULL; i++) {
        if ((rc = ub_ctx_set_fwd(r->ctx, config->forwarders[i])) != 0) {
          g_autofree char *shown = display(config->forwarders[i]);
          g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG, "forwarder '%s': %s", shown, ub_strerror(rc));
          return NULL;
        }
      }
    } else {
      if ((rc = ub_ctx_resolvconf(r->ctx, NULL)) != 0) {
        g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG, "system resolver (/etc/resolv.conf): %s",
                    ub_strerror(rc));
        return NULL;
      }
      rc = ub_ctx_hosts(r->ctx, NULL);
      if (rc != 0 && rc != UB_READFILE) {
        g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG, "/etc/hosts: %s", ub_strerror(rc));
        return NULL;
      }
    }
    if (config->trust_anchor_file != NULL) {
      if (!g_file_test(config->trust_anchor_file, G_FILE_TEST_IS_REGULAR)) {
        g_autofree char *shown = display(config->trust_anchor_file);
        g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG, "trust anchor file '%s' does not exist", shown);
        return NULL;
      }
      if ((rc = ub_ctx_add_ta_file(r->ctx, config->trust_anchor_file)) != 0) {
        g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG, "trust anchor: %s", ub_strerror(rc));
        return NULL;
      }
    }
    /* Finalize now, so that a bad setting (an unreadable trust anchor)
     * fails here and not at the first lookup: removing a zone that does
     * not exist is the side-effect-free call that finalizes. */
    if ((rc = ub_ctx_zone_remove(r->ctx, "bimi-engine-finalize.invalid.")) != 0) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_CONFIG, "libunbound rejected the configuration: %s%s",
                  ub_strerror(rc), config->trust_anchor_file ? " (check the trust anchor file)" : "");
      return NULL;
    }
    /* libunbound answers RFC 6761 §6.2 "test." names itself (NXDOMAIN) by
     * default. With explicit forwarders the configured server answers them:
     * test setups serve such zones (the demo's nsd serves demo.test). */
    if (config->forwarders != NULL && config->forwarders[0] != NULL)
      (void) ub_ctx_zone_remove(r->ctx, "test.");
  } else if (!go_offline(r, error)) {
    return NULL;
  }

  for (gsize i = 0; config->fault_names != NULL && config->fault_names[i] != NULL; i++) {
    if (!bimi_dns_resolver_add_fault_name(r, config->fault_names[i], error))
      return NULL;
  }
  for (gsize i = 0; config->zone_files != NULL && config->zone_files[i] != NULL; i++) {
    if (!load_zone_file(r, config->zone_files[i], error))
      return NULL;
  }

  if (!g_unix_open_pipe(r->wake, FD_CLOEXEC, error)) {
    g_prefix_error(error, "dns: ");
    return NULL;
  }
  r->thread = g_thread_try_new("bimi-dns", resolver_thread, r, error);
  if (r->thread == NULL)
    return NULL;
  return g_steal_pointer(&r);
}

/* An SOA of the zone data: its owner's negative TTL (RFC 2308 §5: the
 * smaller of the SOA record's TTL and its MINIMUM field, the last one of the
 * canonical RDATA). Called with the lock held. */
static void
add_negative_ttl(BimiDnsResolver *r, const BimiDnsZoneRecord *rec)
{
  const char *last = strrchr(rec->rdata, ' ');
  guint64 minimum = 0;
  guint8 lower[BIMI_DNS__MAX_WIRE_NAME];

  if (last == NULL || !g_ascii_string_to_unsigned(last + 1, 10, 0, G_MAXUINT32, &minimum, NULL))
    return; /* RFC 3597 generic RDATA: no negative TTL, negative answers are not cached */
  for (gsize i = 0; i < rec->owner.len; i++)
    lower[i] = (guint8) g_ascii_tolower((gchar) rec->owner.wire[i]);
  g_hash_table_insert(r->negative_ttls, g_bytes_new(lower, rec->owner.len),
                      GUINT_TO_POINTER(MIN(MIN(rec->ttl, (guint32) minimum), BIMI_DNS_MAX_TTL)));
}

/* Offline: the negative TTL of the closest SOA at or above @name, 0 when no
 * SOA of the zone data covers it (RFC 2308 §5: then the answer is not cached). */
static guint32
offline_negative_ttl(BimiDnsResolver *r, const BimiDnsName *name)
{
  guint8 lower[BIMI_DNS__MAX_WIRE_NAME];
  guint32 ttl = 0;

  for (gsize i = 0; i < name->len; i++)
    lower[i] = (guint8) g_ascii_tolower((gchar) name->wire[i]);
  pthread_mutex_lock(&r->lock);
  for (gsize at = 0; at < name->len; at += 1u + lower[at]) {
    g_autoptr(GBytes) suffix = g_bytes_new_static(lower + at, name->len - at);
    gpointer found = NULL;
    if (g_hash_table_lookup_extended(r->negative_ttls, suffix, NULL, &found)) {
      ttl = GPOINTER_TO_UINT(found);
      break;
    }
  }
  pthread_mutex_unlock(&r->lock);
  return ttl;
}

gboolean
bimi_dns_resolver_add_zone_data(BimiDnsResolver *resolver, const char *text, gsize len, const char *source,
                                const char *default_origin, GError **error)
{
  g_autoptr(GPtrArray) records = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail(resolver != NULL, FALSE);
  g_return_val_if_fail(text != NULL || len == 0, FALSE);
  if (source == NULL)
    source = "zone data";
  if (len > BIMI_MAX_ZONE_FILE_BYTES) {
    g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_LIMIT, "%s: %" G_GSIZE_FORMAT " bytes, more than %u", source,
                len, BIMI_MAX_ZONE_FILE_BYTES);
    return FALSE;
  }
  pthread_mutex_lock(&resolver->lock);
  records = bimi_dns__zone_parse(resolver->zone, text, len, source, default_origin, error);
  if (records == NULL || !go_offline(resolver, error)) {
    ok = FALSE;
  } else {
    /* libunbound inserts each record at the head of its RRset: adding them
     * last to first keeps the zone-file order within every RRset. */
    for (guint i = records->len; i-- > 0;) {
      const BimiDnsZoneRecord *rec = records->pdata[i];
      g_autofree char *line = bimi_dns__zone_record_to_string(rec);
      int rc = ub_ctx_data_add(resolver->ctx, line);
      if (rc != 0) {
        g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_RESOLVER, "%s:%u: libunbound refused the record: %s",
                    source, rec->line, ub_strerror(rc));
        ok = FALSE;
        break;
      }
      if (rec->type == BIMI_DNS__TYPE_SOA)
        add_negative_ttl(resolver, rec);
    }
  }
  pthread_mutex_unlock(&resolver->lock);
  bimi_dns__cache_clear(resolver->cache); /* answers may differ now */
  return ok;
}

gboolean
bimi_dns_resolver_add_fault_name(BimiDnsResolver *resolver, const char *name, GError **error)
{
  BimiDnsName wire;
  g_return_val_if_fail(resolver != NULL, FALSE);
  g_return_val_if_fail(name != NULL, FALSE);
  if (!bimi_dns__name_from_text(name, strlen(name), NULL, &wire, error)) {
    g_autofree char *shown = display(name);
    g_prefix_error(error, "fault name '%s': ", shown);
    return FALSE;
  }
  pthread_mutex_lock(&resolver->lock);
  g_hash_table_add(resolver->fault_names, bimi_dns__name_to_text(&wire, BIMI_DNS__NAME_LOWER));
  pthread_mutex_unlock(&resolver->lock);
  bimi_dns__cache_clear(resolver->cache); /* answers may differ now */
  return TRUE;
}

/* ---- lookups --------------------------------------------------------------- */

static gint64 cache_clock(BimiDnsResolver *r);

static const char *
rcode_name(int rcode)
{
  switch (rcode) {
  case 1: return "FORMERR";
  case 2: return "SERVFAIL";
  case 4: return "NOTIMP";
  case 5: return "REFUSED";
  default: return NULL;
  }
}

static void
set_temperror(BimiDnsAnswer *answer, char *detail /* transfer full */)
{
  answer->status = BIMI_DNS_TEMPERROR;
  g_free(answer->detail);
  answer->detail = detail;
  g_ptr_array_set_size(answer->records, 0);
}

static guint32
clamp_ttl(int ttl)
{
  if (ttl < 0)
    return 0;
  return (guint) ttl > BIMI_DNS_MAX_TTL ? BIMI_DNS_MAX_TTL : (guint32) ttl;
}

static gboolean
chain_contains(const GPtrArray *chain, const char *name)
{
  for (guint i = 0; i < chain->len; i++) {
    if (strcmp(chain->pdata[i], name) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The records of one answer; FALSE with @error only for the record limit,
 * a malformed RDATA becomes temperror. */
static gboolean
take_records(BimiDnsAnswer *answer, const struct ub_result *res, BimiDnsType type, GError **error)
{
  guint n = 0;
  guint32 ttl = clamp_ttl(res->ttl);

  while (res->data != NULL && res->data[n] != NULL) {
    if (n >= BIMI_DNS_MAX_ANSWER_RECORDS) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_LIMIT, "%s %s: more than %u records in the answer",
                  answer->qname, bimi_dns_type_to_string(type), BIMI_DNS_MAX_ANSWER_RECORDS);
      return FALSE;
    }
    n++;
  }
  for (guint i = 0; i < n; i++) {
    g_autoptr(GError) local = NULL;
    BimiDnsRecord *rec;
    if (res->len[i] < 0) {
      set_temperror(answer, g_strdup("malformed answer: negative RDATA length"));
      return TRUE;
    }
    rec = bimi_dns__record_from_rdata(type, ttl, (const guint8 *) res->data[i], (gsize) res->len[i], &local);
    if (rec == NULL) {
      set_temperror(answer, g_strdup_printf("malformed answer: %s", local->message));
      return TRUE;
    }
    g_ptr_array_add(answer->records, rec);
  }
  answer->status = answer->records->len > 0 ? BIMI_DNS_NOERROR : BIMI_DNS_NODATA;
  return TRUE;
}

/* One question. Returns the result when it is an answer (RCODE NOERROR or
 * NXDOMAIN, not bogus); otherwise sets temperror on @answer and returns
 * NULL, or returns NULL with *failed and @error when the query could not be
 * asked at all. */
static struct ub_result *
ask_answer(BimiDnsResolver *r, const BimiDnsName *name, BimiDnsType type, gint64 deadline, const char *expired,
           BimiDnsAnswer *answer, gboolean *failed, GError **error)
{
  g_autofree char *text = bimi_dns__name_to_text(name, BIMI_DNS__NAME_TRAILING_DOT | BIMI_DNS__NAME_MASTER);
  struct ub_result *res = NULL;
  int err = 0;

  switch (ask(r, text, type, deadline, &res, &err, error)) {
  case ASK_FAILED:
    *failed = TRUE;
    return NULL;
  case ASK_TIMEOUT:
    set_temperror(answer, g_strdup(expired));
    return NULL;
  case ASK_ANSWERED:
  default:
    break;
  }
  if (res == NULL || err != 0) {
    set_temperror(answer, g_strdup_printf("resolver: %s", ub_strerror(err)));
  } else if (res->bogus) {
    set_temperror(answer, g_strdup_printf("bogus: %s", res->why_bogus ? res->why_bogus : "DNSSEC validation failed"));
  } else if (res->rcode != 0 && res->rcode != 3) {
    const char *rn = rcode_name(res->rcode);
    set_temperror(answer, rn ? g_strdup(rn) : g_strdup_printf("RCODE %d", res->rcode));
  } else {
    return res;
  }
  if (res != NULL)
    ub_resolve_free(res);
  return NULL;
}

guint
bimi_dns_resolver_get_timeout_ms(BimiDnsResolver *resolver)
{
  g_return_val_if_fail(resolver != NULL, 0);
  return resolver->timeout_ms;
}

/* Counts @answer in the resolver's stats and returns it. */
static BimiDnsAnswer *
counted(BimiDnsResolver *resolver, BimiDnsAnswer *answer)
{
  if ((guint) answer->status < G_N_ELEMENTS(resolver->n_answers))
    g_atomic_int_inc(&resolver->n_answers[answer->status]);
  if (answer->status == BIMI_DNS_TEMPERROR && answer->detail != NULL &&
      (strcmp(answer->detail, "timeout") == 0 || strcmp(answer->detail, "deadline") == 0))
    g_atomic_int_inc(&resolver->n_timeouts);
  return answer;
}

BimiDnsAnswer *
bimi_dns_lookup(BimiDnsResolver *resolver, const char *name, BimiDnsType type, GError **error)
{
  return bimi_dns_lookup_deadline(resolver, name, type, G_MAXINT64, error);
}

BimiDnsAnswer *
bimi_dns_lookup_record(BimiDnsResolver *resolver, const char *name, BimiDnsType type, gboolean *out_invalid_name,
                       GError **error)
{
  return bimi_dns_lookup_record_deadline(resolver, name, type, G_MAXINT64, out_invalid_name, error);
}

BimiDnsAnswer *
bimi_dns_lookup_record_deadline(BimiDnsResolver *resolver, const char *name, BimiDnsType type,
                                gint64 deadline_monotonic_us, gboolean *out_invalid_name, GError **error)
{
  g_autoptr(GError) local = NULL;
  BimiDnsAnswer *answer = bimi_dns_lookup_deadline(resolver, name, type, deadline_monotonic_us, &local);

  if (out_invalid_name != NULL)
    *out_invalid_name = FALSE;
  if (answer != NULL)
    return answer;
  if (!g_error_matches(local, BIMI_DNS_ERROR, BIMI_DNS_ERROR_INVALID_NAME)) {
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  if (out_invalid_name != NULL)
    *out_invalid_name = TRUE;
  answer = g_new0(BimiDnsAnswer, 1);
  answer->qname = g_ascii_strdown(name, -1);
  answer->type = type;
  answer->status = BIMI_DNS_NXDOMAIN;
  answer->records = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_dns__record_free);
  return answer;
}

BimiDnsAnswer *
bimi_dns_lookup_deadline(BimiDnsResolver *resolver, const char *name, BimiDnsType type,
                         gint64 deadline_monotonic_us, GError **error)
{
  g_autoptr(BimiDnsAnswer) answer = NULL;
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func(g_free);
  BimiDnsName cur, qname;
  gint64 now, deadline, cache_now = 0;
  const char *expired = "timeout"; /* the detail when the effective deadline passes */
  guint32 ttl = BIMI_DNS_MAX_TTL;
  gboolean offline;

  g_return_val_if_fail(resolver != NULL, NULL);
  g_return_val_if_fail(name != NULL, NULL);
  g_return_val_if_fail(bimi_dns_type_to_string(type) != NULL, NULL);

  if (!bimi_dns__name_from_text(name, strlen(name), NULL, &cur, error)) {
    g_autofree char *shown = display(name);
    g_prefix_error(error, "query name '%s': ", shown);
    return NULL;
  }
  now = g_get_monotonic_time();
  deadline = now + (gint64) resolver->timeout_ms * G_TIME_SPAN_MILLISECOND;
  if (deadline_monotonic_us < deadline) {
    deadline = deadline_monotonic_us;
    expired = "deadline";
  }
  if (g_atomic_pointer_get(&resolver->asked) != NULL) {
    char *key = g_ascii_strdown(name, -1);
    gsize n = strlen(key);
    if (n > 1 && key[n - 1] == '.')
      key[n - 1] = '\0';
    pthread_mutex_lock(&resolver->lock);
    g_hash_table_insert(resolver->asked, key,
                        GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(resolver->asked, key)) + 1));
    resolver->n_asked++;
    pthread_mutex_unlock(&resolver->lock);
  }
  if (deadline > now) {
    /* the answer cache: a hit never leaves this thread */
    cache_now = cache_clock(resolver);
    answer = bimi_dns__cache_lookup(resolver->cache, &cur, type, cache_now);
    if (answer != NULL)
      return counted(resolver, g_steal_pointer(&answer)); /* answers from the cache count too */
  }
  pthread_mutex_lock(&resolver->lock);
  offline = resolver->offline;
  pthread_mutex_unlock(&resolver->lock);
  qname = cur;

  answer = g_new0(BimiDnsAnswer, 1);
  answer->qname = bimi_dns__name_to_text(&cur, BIMI_DNS__NAME_LOWER);
  answer->type = type;
  answer->records = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_dns__record_free);
  g_ptr_array_add(chain, g_strdup(answer->qname));
  if (deadline <= now) {
    set_temperror(answer, g_strdup(expired)); /* the caller's budget is spent: not asked */
    return counted(resolver, g_steal_pointer(&answer));
  }

  for (;;) {
    gboolean failed = FALSE;
    struct ub_result *res = ask_answer(resolver, &cur, type, deadline, expired, answer, &failed, error);
    struct ub_result *hop = NULL;
    BimiDnsName target;
    gsize used = 0;

    if (res == NULL) {
      if (failed)
        return NULL;
      break; /* temperror */
    }
    /* libunbound sets canonname only when a CNAME took part (libworker.c
     * fill_res), but as lossy text. Walk the chain one exact hop at a time
     * instead: ask for the CNAME at this name, continue at its target.
     * Offline libunbound does not chase local CNAMEs at all; online the
     * hops are cache hits. */
    if (res->canonname != NULL) {
      hop = ask_answer(resolver, &cur, BIMI_DNS_TYPE_CNAME, deadline, expired, answer, &failed, error);
      if (hop == NULL) {
        ub_resolve_free(res);
        if (failed)
          return NULL;
        break;
      }
      if (hop->rcode == 0 && hop->havedata && hop->data[0] != NULL && hop->len[0] > 0 &&
          bimi_dns__name_from_wire((const guint8 *) hop->data[0], (gsize) hop->len[0], &used, &target) &&
          used == (gsize) hop->len[0]) {
        g_autofree char *text = bimi_dns__name_to_text(&target, BIMI_DNS__NAME_LOWER);
        ttl = MIN(ttl, clamp_ttl(hop->ttl));
        ub_resolve_free(hop);
        ub_resolve_free(res);
        g_free(answer->canonical_name);
        answer->canonical_name = g_strdup(text);
        if (chain_contains(chain, text)) {
          set_temperror(answer, g_strdup_printf("CNAME loop at %s", text));
          break;
        }
        if (chain->len > BIMI_DNS_MAX_CNAME_CHAIN) {
          set_temperror(answer, g_strdup_printf("more than %u CNAMEs", BIMI_DNS_MAX_CNAME_CHAIN));
          break;
        }
        g_ptr_array_add(chain, g_steal_pointer(&text));
        cur = target;
        continue;
      }
      ub_resolve_free(hop); /* no CNAME here after all: take the answer as it is */
    }
    if (res->rcode == 3) {
      answer->status = BIMI_DNS_NXDOMAIN;
      ttl = MIN(ttl, offline ? offline_negative_ttl(resolver, &cur) : clamp_ttl(res->ttl));
    } else if (res->havedata) {
      if (!take_records(answer, res, type, error)) {
        ub_resolve_free(res);
        return NULL;
      }
      ttl = MIN(ttl, clamp_ttl(res->ttl));
    } else {
      answer->status = BIMI_DNS_NODATA;
      ttl = MIN(ttl, offline ? offline_negative_ttl(resolver, &cur) : clamp_ttl(res->ttl));
    }
    ub_resolve_free(res);
    break;
  }

  if (answer->status == BIMI_DNS_NXDOMAIN || answer->status == BIMI_DNS_NODATA) {
    gboolean faulted = FALSE;
    pthread_mutex_lock(&resolver->lock);
    if (g_hash_table_size(resolver->fault_names) > 0) {
      for (guint i = 0; i < chain->len && !faulted; i++)
        faulted = g_hash_table_contains(resolver->fault_names, chain->pdata[i]);
      if (!faulted && answer->canonical_name != NULL)
        faulted = g_hash_table_contains(resolver->fault_names, answer->canonical_name);
    }
    pthread_mutex_unlock(&resolver->lock);
    if (faulted)
      set_temperror(answer, g_strdup("timeout"));
  }
  answer->ttl = answer->status == BIMI_DNS_TEMPERROR ? 0 : ttl;
  bimi_dns__cache_insert(resolver->cache, &qname, answer, cache_now);
  return counted(resolver, g_steal_pointer(&answer));
}

void
bimi_dns_resolver_get_stats(BimiDnsResolver *resolver, BimiDnsStats *out)
{
  g_return_if_fail(resolver != NULL && out != NULL);
  memset(out, 0, sizeof *out);
  for (guint i = 0; i < G_N_ELEMENTS(resolver->n_answers); i++)
    out->answers[i] = (guint) g_atomic_int_get(&resolver->n_answers[i]);
  out->timeouts = (guint) g_atomic_int_get(&resolver->n_timeouts);
}

void
bimi_dns_resolver_count_queries(BimiDnsResolver *resolver)
{
  g_return_if_fail(resolver != NULL);
  pthread_mutex_lock(&resolver->lock);
  if (resolver->asked == NULL)
    resolver->asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_remove_all(resolver->asked);
  resolver->n_asked = 0;
  pthread_mutex_unlock(&resolver->lock);
}

guint
bimi_dns_resolver_get_query_count(BimiDnsResolver *resolver, const char *name)
{
  guint n;

  g_return_val_if_fail(resolver != NULL, 0);
  pthread_mutex_lock(&resolver->lock);
  if (resolver->asked == NULL) {
    n = 0;
  } else if (name == NULL) {
    n = resolver->n_asked;
  } else {
    g_autofree char *key = g_ascii_strdown(name, -1);
    n = GPOINTER_TO_UINT(g_hash_table_lookup(resolver->asked, key));
  }
  pthread_mutex_unlock(&resolver->lock);
  return n;
}

/* ---- the answer cache ------------------------------------------------------- */

static gint64
cache_clock(BimiDnsResolver *r)
{
  return r->clock != NULL ? r->clock(r->clock_data) : g_get_monotonic_time();
}

void
bimi_dns_resolver_set_clock(BimiDnsResolver *resolver, BimiDnsClock clock, gpointer data)
{
  g_return_if_fail(resolver != NULL);
  resolver->clock = clock;
  resolver->clock_data = data;
  bimi_dns__cache_clear(resolver->cache); /* expiry times were on the other clock */
}

void
bimi_dns_resolver_get_cache_stats(BimiDnsResolver *resolver, BimiDnsCacheStats *out)
{
  g_return_if_fail(resolver != NULL && out != NULL);
  bimi_dns__cache_get_stats(resolver->cache, out);
  out->questions = __atomic_load_n(&resolver->questions, __ATOMIC_RELAXED);
}

gboolean
bimi_dns_resolver_is_cached(BimiDnsResolver *resolver, const char *name, BimiDnsType type)
{
  BimiDnsName wire;

  g_return_val_if_fail(resolver != NULL && name != NULL, FALSE);
  if (!bimi_dns__name_from_text(name, strlen(name), NULL, &wire, NULL))
    return FALSE;
  return bimi_dns__cache_contains(resolver->cache, &wire, type, cache_clock(resolver));
}
