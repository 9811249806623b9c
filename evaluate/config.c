/* evaluate/config.c — GKeyFile → immutable BimiConfig (DESIGN.md §6, STYLE.md §8).
 *
 * Strict by design: unknown groups and keys are errors, numbers are range
 * checked, so that a misspelt security knob is reported instead of ignored.
 */
#include "evaluate/config.h"
#include "engine/limits.h"
#include "engine/util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(bimi-config-error-quark, bimi_config_error)

/* The refcount lives in front of the public struct, so BimiConfig stays plain data. */
typedef struct {
  gatomicrefcount ref;
  BimiConfig config;
} BimiConfigBox;

#define BOX_OF(c) ((BimiConfigBox *) ((char *) (c) - G_STRUCT_OFFSET(BimiConfigBox, config)))

/* ---- the key table ------------------------------------------------------------
 *
 * Every key is one row: group, name, type, where it lives in BimiConfig, its
 * default, its range or choices, and its documentation. The row drives the
 * default (bimi_config_new_default()), the parse, the refusal of unknown keys,
 * the example file (bimi_config_example_text(), checked against
 * conf/bimi.conf.example by tests/test-config.c) and the effective-value dump
 * of `bimi-fcgi --check-config`. Checks that span keys (min_ttl <= max_ttl,
 * trust_own_authres needs a signer) and the value syntax of listen,
 * logo_url_prefix and authserv_id follow the table in check_values().
 */

typedef enum {
  KEY_UINT,         /* guint, min..max */
  KEY_UINT64,       /* guint64, min..max */
  KEY_BOOL,         /* gboolean: true | false */
  KEY_CHOICE,       /* an enum (or gboolean) = the index of the spelling in choices (enum order asserted) */
  KEY_CHOICE_TEXT,  /* char *: one of choices, stored as its spelling */
  KEY_STRING,       /* char *: non-empty when given */
  KEY_OPTIONAL,     /* char *: empty means unset (NULL) */
  KEY_LIST,         /* char **: comma list, at most max entries (0: no bound) */
  KEY_DOMAIN_LIST,  /* char **: comma list of host names, lower-cased */
  KEY_DOMAIN,       /* char *: one host name, lower-cased, or NULL */
  KEY_HOSTNAME,     /* char *: letters, digits, '.', '-', '_' (authserv-id), empty = NULL */
  KEY_OCTAL,        /* guint: octal permission bits 0..max */
  KEY_SIZES,        /* render_sizes/render_n_sizes (bimi_render_parse_sizes()) */
  KEY_TIME,         /* gint64 epoch seconds: RFC 3339 or @EPOCH, empty = 0 (the clock) */
  KEY_CONSENT,      /* guint: a consent list, bits of BimiFilterKind (bimi_filter_consent_parse()) */
} KeyType;

typedef struct {
  const char *group;
  const char *name;
  KeyType type;
  gsize offset;                /* of the field in BimiConfig */
  guint64 min, max;            /* KEY_UINT, KEY_UINT64, KEY_OCTAL (max), KEY_LIST (max entries) */
  guint64 def;                 /* numeric default: value, choice index, or boolean */
  const char *def_text;        /* string default, or NULL */
  const char *const *choices;  /* KEY_CHOICE, KEY_CHOICE_TEXT: NULL-terminated spellings */
  const char *empty_hint;      /* KEY_STRING: why empty is refused, or NULL */
  const char *doc;             /* the comment above the key in the example, lines split by '\n', or NULL */
} ConfigKey;

/* Path kinds (PathKey.kind). */
enum {
  KEY_PATH_FILE = 1 << 0,  /* a file read at start: must be readable */
  KEY_PATH_DIR = 1 << 1,   /* a directory written: must exist and be writable, or be creatable */
  KEY_PATH_EXEC = 1 << 2,  /* a program started: must be executable */
};

#define AT(field) G_STRUCT_OFFSET(BimiConfig, field)
#define FIELD(c, k, T) ((T *) (void *) ((char *) (c) + (k)->offset))
#define CFIELD(c, k, T) ((T const *) (const void *) ((const char *) (c) + (k)->offset))

static const char *const dmarc_modes[] = { "rfc9989", "rfc7489", NULL };
G_STATIC_ASSERT(BIMI_DMARC_MODE_RFC9989 == 0 && BIMI_DMARC_MODE_RFC7489 == 1);
static const char *const no_ptr_actions[] = { "accept", "tag", "greylist", "reject", NULL };
G_STATIC_ASSERT(BIMI_RDNS_ACTION_ACCEPT == 0 && BIMI_RDNS_ACTION_TAG == 1 && BIMI_RDNS_ACTION_GREYLIST == 2 &&
                BIMI_RDNS_ACTION_REJECT == 3);
static const char *const revocation_modes[] = { "soft", "require", "off", NULL };
G_STATIC_ASSERT(BIMI_VMC_REVOCATION_SOFT == 0 && BIMI_VMC_REVOCATION_REQUIRE == 1 && BIMI_VMC_REVOCATION_OFF == 2);
static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };
static const char *const log_formats[] = { "text", "json", NULL };
static const char *const none_logo[] = { "none", "logo", NULL };        /* FALSE, TRUE */
static const char *const ignore_require[] = { "ignore", "require", NULL }; /* FALSE, TRUE */
static const char *const cache_backends[] = { "memory", "redis", NULL }; /* BimiConfigCacheBackend */
static const char *const filter_actions[] = { "deliver", "quarantine", "reject", NULL };
G_STATIC_ASSERT(BIMI_FILTER_ACTION_DELIVER == 0 && BIMI_FILTER_ACTION_QUARANTINE == 1 && BIMI_FILTER_ACTION_REJECT == 2);

/* Rows in the order of the example file. */
static const ConfigKey config_keys[] = {
  { "server", "listen", KEY_STRING, AT(server_listen), 0, 0, 0, BIMI_CONFIG_DEFAULT_LISTEN, NULL, NULL,
    "bimi-fcgi: where the FastCGI socket listens: \"unix:/PATH\" (or \"/PATH\") for a unix socket, or \"HOST:PORT\" "
    "for TCP.\n"
    "Not used when systemd passes the socket (conf/bimi-fcgi.socket, LISTEN_FDS=1): then that socket is served." },
  { "server", "socket_mode", KEY_OCTAL, AT(server_socket_mode), 0, 0777, 0660, NULL, NULL, NULL,
    "Permission bits of a unix socket (octal); nginx's user must be able to connect." },
  { "server", "threads", KEY_UINT, AT(server_threads), 1, BIMI_SERVER_MAX_THREADS, BIMI_SERVER_DEFAULT_THREADS,
    NULL, NULL, NULL, "Worker threads, each serving one request at a time, 1..256." },
  { "server", "max_message_bytes", KEY_UINT, AT(server_max_message_bytes), 1024, BIMI_MAX_MESSAGE_BYTES,
    BIMI_SERVER_DEFAULT_MAX_MESSAGE_BYTES, NULL, NULL, NULL,
    "Largest message accepted by POST /bimi/v1/evaluate, bytes, 1024..67108864. Larger bodies get 413 unread." },
  { "server", "max_queue", KEY_UINT, AT(server_max_queue), 1, 65536, BIMI_SERVER_DEFAULT_MAX_QUEUE, NULL, NULL, NULL,
    "Accepted connections waiting for a free worker, 1..65536; past it new requests get 503 with Retry-After." },
  { "server", "shutdown_timeout_ms", KEY_UINT, AT(server_shutdown_timeout_ms), 0, 600000,
    BIMI_SERVER_DEFAULT_SHUTDOWN_MS, NULL, NULL, NULL,
    "On SIGTERM: how long requests in flight may still run, milliseconds, 0..600000." },
  { "server", "log_level", KEY_CHOICE_TEXT, AT(server_log_level), 0, 0, 2, NULL, log_levels, NULL,
    "Log level of the per-request lines and diagnostics on stderr: error, warning, info or debug." },
  { "server", "log_format", KEY_CHOICE_TEXT, AT(server_log_format), 0, 0, 0, NULL, log_formats, NULL,
    "Format of the log lines: text (key=value, attacker-controlled values escaped) or json (one JSON\n"
    "object per line, for journald and log shippers)." },
  { "server", "logo_url_prefix", KEY_STRING, AT(server_logo_url_prefix), 0, 0, 0, "/bimi/v1/logo", NULL, NULL,
    "Prefix of the logo links in decisions: an absolute path (same origin as the API) or an https URL (a CDN)." },

  { "render", "sizes", KEY_SIZES, AT(render_sizes), 0, 0, 0, NULL, NULL, NULL,
    "PNG sizes served at /bimi/v1/logo/<sha256>/<px>.png, pixels (square), 1..2048, at most 32 sizes.\n"
    "Before a decision shows a logo, it is rendered once at the largest size (a probe); a logo that cannot\n"
    "be rendered within deadline_ms and the workers' memory cap gets none (svg-unrenderable), cached per logo\n"
    "for [cache] negative_ttl." },
  { "render", "workers", KEY_UINT, AT(render_workers), 1, BIMI_RENDER_MAX_WORKERS, 2, NULL, NULL, NULL,
    "Render worker processes (librsvg runs there, under resource limits and seccomp), 1..64. Probes hold at\n"
    "most half of them, so that hostile logos cannot starve the renders of logos known to be good." },
  { "render", "deadline_ms", KEY_UINT, AT(render_deadline_ms), 100, 60000, BIMI_RENDER_DEFAULT_DEADLINE_MS, NULL,
    NULL, NULL, "Deadline of one render, milliseconds, 100..60000; a worker past it is killed." },
  { "render", "worker_path", KEY_OPTIONAL, AT(render_worker_path), 0, 0, 0, NULL, NULL, NULL,
    "The bimi binary started as \"bimi __render-worker\". Empty: the bimi next to the running program, else\n"
    "../bin/bimi beside it (make install puts bimi-fcgi in PREFIX/sbin, bimi in PREFIX/bin)." },

  { "dns", "forwarders", KEY_LIST, AT(dns_forwarders), 0, 0, 0, NULL, NULL, NULL,
    "Resolvers to forward every query to, \"ADDR\" or \"ADDR@PORT\". Empty: the system resolver (/etc/resolv.conf)." },
  { "dns", "zone_files", KEY_LIST, AT(dns_zone_files), 0, 0, 0, NULL, NULL, NULL,
    "RFC 1035 zone files answered as authoritative local data, with no network at all (offline mode:\n"
    "tests, the demo, reproducible bug reports); fetch hosts resolve from them too. Empty: online." },
  { "dns", "fault_names", KEY_LIST, AT(dns_fault_names), 0, 0, 0, NULL, NULL, NULL,
    "Owner names whose NXDOMAIN/NODATA answers become a timeout (temperror) instead; types with records\n"
    "at the name still answer (the RFC 7208 test-suite convention)." },
  { "dns", "trust_anchor", KEY_OPTIONAL, AT(dns_trust_anchor), 0, 0, 0, NULL, NULL, NULL,
    "DNSSEC root trust anchor (RFC 5011 file, e.g. /usr/share/dns/root.key). Empty: no validation." },
  { "dns", "timeout_ms", KEY_UINT, AT(dns_timeout_ms), 100, 60000, BIMI_DNS_DEFAULT_TIMEOUT_MS, NULL, NULL, NULL,
    "Per-query deadline in milliseconds, 100..60000." },

  { "policy", "dmarc", KEY_CHOICE, AT(policy_dmarc), 0, 0, BIMI_DMARC_MODE_RFC9989, NULL, dmarc_modes, NULL,
    "DMARC specification: rfc9989 (DMARCbis: policy discovery and Organizational Domain by the DNS tree walk,\n"
    "psd/np/t honoured, pct/rf/ri ignored) or rfc7489 (Organizational Domain from the Public Suffix List of\n"
    "the Debian package publicsuffix, pct honoured). Either way the other method's Organizational Domain is\n"
    "computed too and reported as org_domain_divergence when they differ." },
  { "policy", "no_ptr_action", KEY_CHOICE, AT(policy_no_ptr_action), 0, 0, BIMI_RDNS_ACTION_TAG, NULL,
    no_ptr_actions, NULL,
    "Action advised (in the rdns result) when the client address has no forward-confirmed reverse name (FCrDNS none\n"
    "or fail): accept, tag, greylist or reject. A DNS failure (temperror) never rejects: it advises greylist, or\n"
    "accept when this is accept." },
  { "policy", "trusted_arc_sealers", KEY_DOMAIN_LIST, AT(policy_trusted_arc_sealers), 0, 0, 0, NULL, NULL, NULL,
    "ARC sealers (the d= of ARC-Seal) trusted to report the original authentication (RFC 8617 §7.2.1).\n"
    "When DMARC fails, the ARC chain passes and the newest set was sealed by one of these domains, its\n"
    "ARC-Authentication-Results are read: dmarc=pass for the same From domain (or aligned dkim=/spf=pass)\n"
    "relaxes the disposition to none, reported as policy.override=arc. The DMARC result stays fail." },
  { "policy", "bimi_accept_arc_override", KEY_BOOL, AT(policy_bimi_accept_arc_override), 0, 0, FALSE, NULL, NULL,
    NULL,
    "Whether such an ARC override also counts as a DMARC pass for BIMI. Default false: a logo is an\n"
    "identity claim of the brand and needs the brand's own DMARC pass, not an intermediary's word." },
  { "policy", "logo_without_evidence", KEY_CHOICE, AT(policy_logo_without_evidence), 0, 0, FALSE, NULL, none_logo,
    NULL,
    "The decision (DESIGN.md §3). A valid VMC with a Registered or Government Mark earns logo+checkmark.\n"
    "A valid logo whose record has no Evidence Document (no a=): none (default) or logo." },
  { "policy", "cmc", KEY_CHOICE, AT(policy_show_cmc), 0, 0, TRUE, NULL, none_logo, NULL,
    "A valid CMC (Prior Use or Modified Registered Mark): logo (default) or none." },
  { "policy", "fcrdns", KEY_CHOICE, AT(policy_require_fcrdns), 0, 0, TRUE, NULL, ignore_require, NULL,
    "Forward-confirmed reverse DNS of the client IP, when the envelope gives one: require (a sender without a\n"
    "confirmed PTR name gets no indicator, reason no-fcrdns) or ignore." },

  { "filter", "default_consent", KEY_CONSENT, AT(filter_default_consent), 0, 0, 0, NULL, NULL, NULL,
    "Consent-aware filtering (issue 17). Each decision carries filter.recommended (what DMARC and the no-PTR\n"
    "check support: deliver, quarantine or reject) and filter.applied (what the user consented to: never more,\n"
    "deliver without consent); a warning label is shown either way. Filtering a user's mail because of its\n"
    "DMARC result may need the user's valid consent (Japan: Telecommunications Business Act art. 4). Two lawful\n"
    "modes: opt-in (none here, each user switches a filter on: consent= on POST /bimi/v1/evaluate), or on by\n"
    "default (dmarc, no-ptr here) ONLY when every user can switch it off at any time on the same terms, the\n"
    "scope is clear and limited, an average user would agree, and the service explained it beforehand.\n"
    "The consent taken when a request gives none: none (default) or a comma list of dmarc, no-ptr." },
  { "filter", "no_ptr", KEY_CHOICE, AT(filter_no_ptr), 0, 0, BIMI_FILTER_ACTION_QUARANTINE, NULL, filter_actions,
    NULL,
    "What the no-ptr filter recommends for a message whose client has no forward-confirmed reverse name\n"
    "(FCrDNS none or fail; a DNS temperror never filters): deliver, quarantine or reject. The dmarc filter\n"
    "recommends the DMARC disposition after the overrides ([policy] trusted_arc_sealers, t=y, pct)." },

  { "fetch", "connect_timeout_ms", KEY_UINT, AT(fetch_connect_timeout_ms), 100, 60000, BIMI_FETCH_CONNECT_TIMEOUT_MS,
    NULL, NULL, NULL,
    "HTTPS fetches of BIMI logos (l=) and Evidence Documents (a=): attacker-chosen URLs. Only https (also on\n"
    "redirects), TLS 1.2+ verified, a public address on port 443 (checked on the socket actually opened).\n"
    "Connect deadline, milliseconds, 100..60000." },
  { "fetch", "timeout_ms", KEY_UINT, AT(fetch_timeout_ms), 100, 120000, BIMI_FETCH_TOTAL_TIMEOUT_MS, NULL, NULL,
    NULL,
    "Deadline of a whole fetch (redirects and waiting for a per-host slot included), milliseconds, 100..120000." },
  { "fetch", "max_redirects", KEY_UINT, AT(fetch_max_redirects), 0, BIMI_FETCH_MAX_REDIRECTS_LIMIT,
    BIMI_FETCH_MAX_REDIRECTS, NULL, NULL, NULL,
    "Redirects followed, 0..5. Every hop must be https with a DNS host name." },
  { "fetch", "logo_max_bytes", KEY_UINT, AT(fetch_logo_max_bytes), 1024, BIMI_FETCH_MAX_BODY_BYTES,
    BIMI_FETCH_LOGO_MAX_BYTES, NULL, NULL, NULL,
    "Largest logo after decompression (SVGZ and Content-Encoding), bytes, 1024..1048576. Bytes received may be\n"
    "at most twice the cap." },
  { "fetch", "evidence_max_bytes", KEY_UINT, AT(fetch_evidence_max_bytes), 1024, BIMI_FETCH_MAX_BODY_BYTES,
    BIMI_FETCH_EVIDENCE_MAX_BYTES, NULL, NULL, NULL,
    "Largest Evidence Document (PEM VMC/CMC chain), bytes, 1024..1048576." },
  { "fetch", "max_per_host", KEY_UINT, AT(fetch_max_per_host), 1, 256, BIMI_FETCH_MAX_PER_HOST, NULL, NULL, NULL,
    "Concurrent fetches to one host name, 1..256; more wait (within timeout_ms)." },
  { "fetch", "allow_private_addresses", KEY_BOOL, AT(fetch_allow_private_addresses), 0, 0, FALSE, NULL, NULL, NULL,
    "true lets fetches reach loopback, private, link-local and other special addresses, any port, and IP-literal\n"
    "hosts. For tests and the demo ONLY: on a real service it opens the internal network to every sender." },
  { "fetch", "ca_file", KEY_OPTIONAL, AT(fetch_ca_file), 0, 0, 0, NULL, NULL, NULL,
    "PEM file of TLS roots replacing the system web PKI (tests, the demo, a private mirror). Empty: system roots." },
  { "fetch", "resolve", KEY_LIST, AT(fetch_resolve), 0, BIMI_FETCH_MAX_RESOLVE_PINS, 0, NULL, NULL, "pins",
    "Pin host names to addresses, \"HOST:PORT:ADDRESS\" (tests and the demo), at most 64. The address rules above\n"
    "still apply. Empty: DNS — every fetch host (l=, a=, CRLs, each redirect hop) is resolved by [dns] (its\n"
    "forwarders, zone files, trust anchor and deadline; A and AAAA), never by the system resolver of libcurl." },
  { "fetch", "connect_to", KEY_LIST, AT(fetch_connect_to), 0, BIMI_FETCH_MAX_RESOLVE_PINS, 0, NULL, NULL, "entries",
    "Connect elsewhere than the URL says, \"HOST:PORT:CONNECT-HOST:CONNECT-PORT\" (tests and the demo: certificates\n"
    "name their CRLs on port 80), at most 64. The address rules above still apply to the socket opened. Empty: none." },

  { "trust", "bimi_roots", KEY_STRING, AT(trust_bimi_roots), 0, 0, 0, BIMI_CONFIG_DEFAULT_BIMI_ROOTS, NULL,
    "empty (the BIMI trust configuration cannot be disabled)",
    "BIMI trust anchors for Evidence Documents (VMC/CMC), PEM. Only these roots are trusted, never the\n"
    "system TLS store. A \"# distrust-after: YYYY-MM-DD\" line before a certificate distrusts leaves issued\n"
    "after that day under it. The defaults of bimi_roots and ct_logs are relative to the working directory." },
  { "trust", "ct_logs", KEY_STRING, AT(trust_ct_logs), 0, 0, 0, BIMI_CONFIG_DEFAULT_CT_LOGS, NULL,
    "empty (the BIMI trust configuration cannot be disabled)",
    "Certificate Transparency logs whose SCTs are accepted, OpenSSL ct_log_list.cnf format\n"
    "(enabled_logs = NAME,... then [NAME] description = ..., key = base64 SPKI). Default: DigiCert Gorgon." },
  { "trust", "revocation", KEY_CHOICE, AT(trust_revocation), 0, 0, BIMI_VMC_REVOCATION_SOFT, NULL, revocation_modes,
    NULL,
    "Revocation of the certificate chain through its CRL distribution points:\n"
    "  require  an unavailable CRL fails the certificate\n"
    "  soft     an unavailable CRL is a warning; a revoked serial still fails\n"
    "  off      CRLs are not consulted (the CRL distribution point is not required either)" },

  { "cache", "dir", KEY_STRING, AT(cache_dir), 0, 0, 0, BIMI_CACHE_DEFAULT_DIR, NULL, NULL,
    "Directory of the content-addressed logo store: svg/ab/<sha256>.svg and png/ab/<sha256>-<px>.png.\n"
    "nginx serves it directly (try_files); bimi-fcgi writes it. Created when missing." },
  { "cache", "max_bytes", KEY_UINT64, AT(cache_max_bytes), 1024u * 1024u, G_GUINT64_CONSTANT(1) << 40,
    BIMI_CACHE_DEFAULT_MAX_BYTES, NULL, NULL, NULL,
    "Bound of the logo store in bytes, 1048576..1099511627776; the least recently used files are deleted\n"
    "beyond it (recency is kept in the files' access times, so it survives restarts)." },
  { "cache", "min_ttl", KEY_UINT, AT(cache_min_ttl), 0, 604800, BIMI_CACHE_DEFAULT_MIN_TTL, NULL, NULL, NULL,
    "Record/evidence cache TTL = min(DNS TTL, HTTP max-age raised to min_ttl and lowered to max_ttl,\n"
    "seconds until the certificate's notAfter), never above max_ttl. Seconds; min_ttl 0..604800,\n"
    "max_ttl 60..2592000, min_ttl <= max_ttl." },
  { "cache", "max_ttl", KEY_UINT, AT(cache_max_ttl), 60, 2592000, BIMI_CACHE_DEFAULT_MAX_TTL, NULL, NULL, NULL,
    NULL },
  { "cache", "negative_ttl", KEY_UINT, AT(cache_negative_ttl), 0, 86400, BIMI_CACHE_DEFAULT_NEGATIVE_TTL, NULL, NULL,
    NULL, "TTL of negative entries (no record, declined, invalid), seconds, 0..86400." },
  { "cache", "max_entries", KEY_UINT, AT(cache_max_entries), 1, BIMI_CACHE_MAX_ENTRIES,
    BIMI_CACHE_DEFAULT_MAX_ENTRIES, NULL, NULL, NULL,
    "Most record/evidence entries kept in memory (least recently used evicted), 1..10000000." },
  { "cache", "max_stale", KEY_UINT, AT(cache_max_stale), 0, 604800, BIMI_CACHE_DEFAULT_MAX_STALE, NULL, NULL, NULL,
    "Stale-while-revalidate: seconds past expiry that a positive entry may still be served while one\n"
    "refresh runs, 0..604800 (0: never serve stale). Negative entries are never served stale." },
  { "cache", "wait_ms", KEY_UINT, AT(cache_wait_ms), 0, 60000, BIMI_CACHE_DEFAULT_WAIT_MS, NULL, NULL, NULL,
    "Longest wait, in milliseconds, for another request's lookup or render of the same key\n"
    "(single-flight), 0..60000; past it the request gets a temporary error." },
  { "cache", "backend", KEY_CHOICE, AT(cache_backend), 0, 0, BIMI_CONFIG_CACHE_MEMORY, NULL, cache_backends, NULL,
    "Where the record/evidence cache lives: memory (this process, default) or redis (one Redis or Valkey\n"
    "shared by a fleet of bimi-fcgi nodes: each brand's logo and Evidence Document are fetched, validated and\n"
    "rendered once for the fleet; node memory stays a first level and the fallback while Redis is away).\n"
    "With redis, wait_ms also bounds the wait for another node's lookup; past it this node fetches itself." },
  { "cache", "redis_url", KEY_STRING, AT(cache_redis_url), 0, 0, 0, BIMI_CACHE_REDIS_DEFAULT_URL, NULL,
    "empty (write redis://HOST:PORT/DB or unix:/PATH)",
    "The Redis server of backend = redis: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:/PATH[?db=N].\n"
    "No TLS (rediss://) with the hiredis of Debian 12: use a unix socket or a local TLS tunnel." },
  { "cache", "redis_password", KEY_OPTIONAL, AT(cache_redis_password), 0, 0, 0, NULL, NULL, NULL,
    "AUTH password (replaces one in redis_url). Empty: the URL's, or none." },
  { "cache", "redis_prefix", KEY_STRING, AT(cache_redis_prefix), 0, 0, 0, BIMI_CACHE_REDIS_DEFAULT_PREFIX, NULL,
    "empty (the fleet's keys need a namespace)",
    "Prefix of every key this service writes (PREFIX rec:..., PREFIX svg:...), at most 64 bytes. Nodes of one\n"
    "fleet use the same prefix; another application's keys under it are treated as misses." },
  { "cache", "redis_connect_timeout_ms", KEY_UINT, AT(cache_redis_connect_timeout_ms), 1, 10000,
    BIMI_CACHE_REDIS_DEFAULT_CONNECT_TIMEOUT_MS, NULL, NULL, NULL,
    "Deadline of a connect to Redis (with AUTH and SELECT), milliseconds, 1..10000." },
  { "cache", "redis_timeout_ms", KEY_UINT, AT(cache_redis_timeout_ms), 1, 10000, BIMI_CACHE_REDIS_DEFAULT_TIMEOUT_MS,
    NULL, NULL, NULL,
    "Deadline of one Redis command, milliseconds, 1..10000. A slower Redis counts as down: the node serves\n"
    "from its memory and tries again with backoff (100 ms doubling to 5 s)." },
  { "cache", "redis_lock_ms", KEY_UINT, AT(cache_redis_lock_ms), 100, 600000, BIMI_CACHE_REDIS_DEFAULT_LOCK_MS,
    NULL, NULL, NULL,
    "Life of a fleet single-flight lock (SET KEY:lock NX PX), milliseconds, 100..600000: the longest a\n"
    "crashed node's lock can hold the others back (each waits at most wait_ms anyway)." },

  { "auth", "authserv_id", KEY_HOSTNAME, AT(auth_authserv_id), 0, 0, 0, NULL, NULL, NULL,
    "authserv-id of the Authentication-Results this engine writes (RFC 8601 §2.5). Empty: the host name." },
  { "auth", "max_signatures", KEY_UINT, AT(auth_max_signatures), 1, BIMI_DKIM_MAX_SIGNATURES,
    BIMI_DKIM_DEFAULT_MAX_SIGNATURES, NULL, NULL, NULL,
    "DKIM-Signature fields verified per message, 1..50; the rest get permerror \"too many signatures\"." },
  { "auth", "verify_memo_entries", KEY_UINT, AT(auth_verify_memo_entries), 0, BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES,
    BIMI_DKIM_VERIFY_MEMO_DEFAULT_ENTRIES, NULL, NULL, NULL,
    "Outcomes of DKIM and ARC signature verifications remembered, 0..1048576 (0: none; about 100 bytes each).\n"
    "A verification is a pure function of the public key, the signed data's digest and the signature, so a\n"
    "message evaluated again (webmail asks on each view) skips the RSA or Ed25519 operation. One more and the\n"
    "memory starts empty." },
  { "auth", "trusted_receivers", KEY_DOMAIN_LIST, AT(auth_trusted_receivers), 0, 0, 0, NULL, NULL, NULL,
    "Receivers (the \"by\" host of a Received field) trusted to record the envelope: when a request gives no\n"
    "ip/helo/mail_from, they come from the topmost Received field added by one of these hosts (and MAIL FROM\n"
    "from Return-Path). Empty: no envelope, so rDNS and SPF are none." },
  { "auth", "trust_own_authres", KEY_BOOL, AT(auth_trust_own_authres), 0, 0, FALSE, NULL, NULL, NULL,
    "Use the Authentication-Results stamped by our own MTA (authserv_id above) instead of re-verifying DKIM,\n"
    "SPF and DMARC; BIMI discovery and the evidence are still checked live. Needs own_signing_domain or\n"
    "mta_strips_authres, else a sender could forge it." },
  { "auth", "own_signing_domain", KEY_DOMAIN, AT(auth_own_signing_domain), 0, 0, 0, NULL, NULL, NULL,
    "DKIM d= our MTA signs with after stamping its Authentication-Results (Apple Mail's model): only an A-R\n"
    "covered by a passing signature of this domain is trusted." },
  { "auth", "mta_strips_authres", KEY_BOOL, AT(auth_mta_strips_authres), 0, 0, FALSE, NULL, NULL, NULL,
    "true: our MTA removes inbound Authentication-Results carrying our authserv_id, so the topmost one is ours." },

  { "report", "db", KEY_OPTIONAL, AT(report_db), 0, 0, 0, NULL, NULL, NULL,
    "DMARC aggregate reports (RFC 9990). The SQLite database where every evaluation that reached a DMARC\n"
    "result is recorded once per message (e.g. /var/lib/bimi/reports.sqlite; its directory must exist and be\n"
    "writable). `bimi report build` and `bimi report send` read it. Empty: nothing is recorded." },
  { "report", "queue_size", KEY_UINT, AT(report_queue_size), 1, BIMI_REPORT_MAX_QUEUE, BIMI_REPORT_DEFAULT_QUEUE,
    NULL, NULL, NULL,
    "Records waiting for the database writer thread, 1..1000000. A request never waits for the disk: past this\n"
    "a record is dropped with a warning and counted (bimi_report_records_total{outcome=\"dropped\"})." },
  { "report", "org_name", KEY_OPTIONAL, AT(report_org_name), 0, 0, 0, NULL, NULL, NULL,
    "The Reporting Organization named in reports (report_metadata org_name) and their Subject." },
  { "report", "org_email", KEY_OPTIONAL, AT(report_org_email), 0, 0, 0, NULL, NULL, NULL,
    "Contact address in reports (report_metadata email) and the From of report mails; its domain is the\n"
    "receiver in report file names." },
  { "report", "dkim_domain", KEY_DOMAIN, AT(report_dkim_domain), 0, 0, 0, NULL, NULL, NULL,
    "Report mails are DKIM-signed (RFC 6376) with d= this domain, s= dkim_selector and the private key in\n"
    "dkim_key (PEM, RSA >= 1024 bits: rsa-sha256, or Ed25519: ed25519-sha256). Publish the public key at\n"
    "<dkim_selector>._domainkey.<dkim_domain>. Empty: mails are sent unsigned." },
  { "report", "dkim_selector", KEY_OPTIONAL, AT(report_dkim_selector), 0, 0, 0, NULL, NULL, NULL, NULL },
  { "report", "dkim_key", KEY_OPTIONAL, AT(report_dkim_key), 0, 0, 0, NULL, NULL, NULL, NULL },
  { "report", "smtp_url", KEY_OPTIONAL, AT(report_smtp_url), 0, 0, 0, NULL, NULL, NULL,
    "Where `bimi report send` submits report mails: smtp://HOST[:PORT] (STARTTLS when offered) or\n"
    "smtps://HOST[:PORT]. Publish an SPF record that allows this sending host for the org_email domain." },
  { "report", "smtp_user", KEY_OPTIONAL, AT(report_smtp_user), 0, 0, 0, NULL, NULL, NULL,
    "SMTP AUTH user; the password is read from smtp_password_file (one line). Empty: no authentication." },
  { "report", "smtp_password_file", KEY_OPTIONAL, AT(report_smtp_password_file), 0, 0, 0, NULL, NULL, NULL, NULL },

  { "caution", "enabled", KEY_BOOL, AT(caution_enabled), 0, 0, TRUE, NULL, NULL, NULL,
    "Brand-impersonation caution (issue 19): a message that gets no logo but claims a registered brand - its\n"
    "From display name holds the brand's name, or its author domain looks like one of the brand's domains - and\n"
    "is not authenticated (DMARC pass) as one of the brand's domains gets a \"caution\" member in its decision\n"
    "(\"Claims to be Acme Rockets - not verified\"). Advice to the reader: it warns, it proves nothing, and it\n"
    "changes neither the decision nor the Authentication-Results. Brands come from brands_file and, with learn,\n"
    "from every validated VMC and CMC (kept in the record cache's backend: shared by a fleet on Redis)." },
  { "caution", "brands_file", KEY_OPTIONAL, AT(caution_brands_file), 0, 0, 0, NULL, NULL, NULL,
    "The operator's brands, protected before any of their mail arrived: a key file with one group per brand,\n"
    "  [Acme Rockets]\n"
    "  domains = acme.example;acme-mail.example;\n"
    "  logo_sha256 = <64 hex, optional>\n"
    "Read at start (and by --check-config): an error names the file, the group and the key." },
  { "caution", "learn", KEY_BOOL, AT(caution_learn), 0, 0, TRUE, NULL, NULL, NULL,
    "Learn brands from validated Evidence Documents: the subject's organisation (legal form such as \"Inc.\"\n"
    "removed) and the logo's title, the SAN domains plus the BIMI record's domain; forgotten at the notAfter." },
  { "caution", "max_learned_brands", KEY_UINT, AT(caution_max_learned_brands), 1, BIMI_BRAND_REGISTRY_MAX_LEARNED,
    BIMI_BRAND_REGISTRY_DEFAULT_MAX_LEARNED, NULL, NULL, NULL,
    "Most learned brands kept, 1..5000; past it the brand whose certificate expires first is forgotten." },
  { "caution", "min_name_length", KEY_UINT, AT(caution_min_name_length), 3, 64, BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH,
    NULL, NULL, NULL,
    "Letters and digits a brand name needs before it may claim anything (a display name, a domain's labels),\n"
    "3..64; also the shortest registrable part compared by edit distance. Shorter names never trigger alone." },
  { "caution", "max_edit_distance", KEY_UINT, AT(caution_max_edit_distance), 0, BIMI_CAUTION_MAX_EDIT_DISTANCE,
    BIMI_CAUTION_DEFAULT_MAX_EDIT_DISTANCE, NULL, NULL, NULL,
    "Largest edit distance (insert, delete, replace, swap two neighbours) between an author domain's\n"
    "registrable part and a brand domain for a lookalike (vmc-demo.test for vmc.demo.test), 0..3; 0: only\n"
    "confusable skeletons (UTS #39) and the brand name spelt in the labels." },
  { "caution", "stop_words_file", KEY_OPTIONAL, AT(caution_stop_words_file), 0, 0, 0, NULL, NULL, NULL,
    "Names that never claim a brand alone (\"Support\", \"Security Team\"), one per line, '#' comments: replaces\n"
    "the built-in list. Empty: the built-in list." },

  { "testing", "now", KEY_TIME, AT(testing_now), 0, 0, 0, NULL, NULL, NULL,
    "Evaluation time replacing the clock, RFC 3339 or @EPOCH, for tests and demos that replay certificates\n"
    "outside their validity. Empty: the clock. Never set on a real service." },
};

/* The keys whose value is a path: a relative one given in a file is resolved
 * against the file's directory (resolve_paths()), and bimi_config_check_paths()
 * checks each as its kind says. */
static const struct {
  const char *group;
  const char *name;
  guint kind;
} path_keys[] = {
  { "render", "worker_path", KEY_PATH_EXEC },
  { "dns", "zone_files", KEY_PATH_FILE },
  { "dns", "trust_anchor", KEY_PATH_FILE },
  { "fetch", "ca_file", KEY_PATH_FILE },
  { "trust", "bimi_roots", KEY_PATH_FILE },
  { "trust", "ct_logs", KEY_PATH_FILE },
  { "cache", "dir", KEY_PATH_DIR },
  { "caution", "brands_file", KEY_PATH_FILE },
  { "caution", "stop_words_file", KEY_PATH_FILE },
};

/* The top of the example file. */
static const char example_header[] =
  "# bimi-engine configuration (GKeyFile / INI). Every key is shown with its default.\n"
  "# Unknown groups or keys and out-of-range values are errors, so a typo is reported, never ignored.\n"
  "# Lists take commas (or semicolons). A relative path given here (zone_files, trust_anchor, ca_file,\n"
  "# bimi_roots, ct_logs, dir, worker_path, brands_file, stop_words_file) is resolved against the directory\n"
  "# of this file.\n"
  "# A key given twice is an error. `bimi-fcgi -c FILE --check-config` lists every problem.\n";

/* Sets the default of one key in a zeroed configuration. */
static void
set_default(BimiConfig *c, const ConfigKey *k)
{
  switch (k->type) {
  case KEY_UINT:
  case KEY_OCTAL:
    *FIELD(c, k, guint) = (guint) k->def;
    break;
  case KEY_UINT64:
    *FIELD(c, k, guint64) = k->def;
    break;
  case KEY_BOOL:
    *FIELD(c, k, gboolean) = k->def != 0;
    break;
  case KEY_CHOICE:
    *FIELD(c, k, int) = (int) k->def;
    break;
  case KEY_CHOICE_TEXT:
    *FIELD(c, k, char *) = g_strdup(k->choices[k->def]);
    break;
  case KEY_STRING:
  case KEY_OPTIONAL:
  case KEY_DOMAIN:
  case KEY_HOSTNAME:
    *FIELD(c, k, char *) = g_strdup(k->def_text);
    break;
  case KEY_LIST:
  case KEY_DOMAIN_LIST:
    *FIELD(c, k, char **) = g_new0(char *, 1);
    break;
  case KEY_SIZES:
    c->render_n_sizes = G_N_ELEMENTS(bimi_render_default_sizes);
    c->render_sizes = g_memdup2(bimi_render_default_sizes, sizeof bimi_render_default_sizes);
    break;
  case KEY_TIME:
    *FIELD(c, k, gint64) = 0;
    break;
  case KEY_CONSENT:
    *FIELD(c, k, guint) = (guint) k->def;
    break;
  }
}

BimiConfig *
bimi_config_new_default(void)
{
  BimiConfigBox *box = g_new0(BimiConfigBox, 1);

  g_atomic_ref_count_init(&box->ref);
  for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++)
    set_default(&box->config, &config_keys[i]);
  return &box->config;
}

BimiConfig *
bimi_config_ref(BimiConfig *config)
{
  g_return_val_if_fail(config != NULL, NULL);
  g_atomic_ref_count_inc(&BOX_OF(config)->ref);
  return config;
}

void
bimi_config_unref(BimiConfig *config)
{
  BimiConfigBox *box;

  if (config == NULL)
    return;
  box = BOX_OF(config);
  if (!g_atomic_ref_count_dec(&box->ref))
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++) {
    const ConfigKey *k = &config_keys[i];
    switch (k->type) {
    case KEY_CHOICE_TEXT:
    case KEY_STRING:
    case KEY_OPTIONAL:
    case KEY_DOMAIN:
    case KEY_HOSTNAME:
      g_free(*FIELD(config, k, char *));
      break;
    case KEY_LIST:
    case KEY_DOMAIN_LIST:
      g_strfreev(*FIELD(config, k, char **));
      break;
    case KEY_SIZES:
      g_free(config->render_sizes);
      break;
    default:
      break;
    }
  }
  g_free(box);
}

static const ConfigKey *
find_key(const char *group, const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++)
    if (strcmp(config_keys[i].group, group) == 0 && (name == NULL || strcmp(config_keys[i].name, name) == 0))
      return &config_keys[i];
  return NULL;
}

/* The problems found so far: their messages in order, and the GError code of the first. */
typedef struct {
  GPtrArray *lines;
  int code;
} Problems;

/* Adds the message of @e (freed) to @p. */
static void
problems_take(Problems *p, GError *e)
{
  if (p->lines->len == 0)
    p->code = e->code;
  g_ptr_array_add(p->lines, g_strdup(e->message));
  g_error_free(e);
}

static void
check_known_keys(GKeyFile *kf, const char *source, Problems *p)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

  for (guint i = 0; groups[i] != NULL; i++) {
    g_auto(GStrv) keys = NULL;

    if (find_key(groups[i], NULL) == NULL) {
      problems_take(p, g_error_new(BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY,
                                   "%s: [%s]: unknown group", source, groups[i]));
      continue;
    }
    keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
    for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
      if (find_key(groups[i], keys[k]) == NULL)
        problems_take(p, g_error_new(BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY,
                                     "%s: [%s] %s: unknown key", source, groups[i], keys[k]));
  }
}

/* GKeyFile keeps the last of two values of one key silently; which one the
 * operator meant is unknown, so a key given twice (in one group, or in the same
 * group opened twice) is refused. @data holds no NUL (checked before). */
static void
check_duplicate_keys(const char *data, gsize len, const char *source, Problems *p)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *group = g_strdup("");
  gsize pos = 0;
  guint line_no = 0;

  while (pos < len) {
    const char *line = data + pos;
    const char *nl = memchr(line, '\n', len - pos);
    gsize n = nl != NULL ? (gsize) (nl - line) : len - pos;
    g_autofree char *text = g_strndup(line, n);
    char *t = g_strstrip(text);
    char *eq;
    gpointer first = NULL;

    pos += n + 1;
    line_no++;
    if (*t == '\0' || *t == '#')
      continue;
    if (*t == '[') {
      char *close = strchr(t, ']');
      if (close != NULL) {
        g_free(group);
        group = g_strndup(t + 1, (gsize) (close - t - 1));
      }
      continue;
    }
    if ((eq = strchr(t, '=')) == NULL)
      continue;
    *eq = '\0';
    g_autofree char *id = g_strdup_printf("[%s] %s", group, g_strstrip(t));
    if (g_hash_table_lookup_extended(seen, id, NULL, &first))
      problems_take(p, g_error_new(BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                                   "%s:%u: %s: given twice (first on line %u); give each key once",
                                   source, line_no, id, GPOINTER_TO_UINT(first)));
    else
      g_hash_table_insert(seen, g_steal_pointer(&id), GUINT_TO_POINTER(line_no));
  }
}

/* A list value: "a, b, c" (GKeyFile's ';' separator is accepted too). */
static char **
split_list(const char *raw)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new();
  g_auto(GStrv) parts = g_strsplit_set(raw, ",;", -1);

  for (guint i = 0; parts[i] != NULL; i++) {
    char *item = g_strstrip(parts[i]);
    if (*item != '\0')
      g_ptr_array_add(out, g_strdup(item));
  }
  g_ptr_array_add(out, NULL);
  return (char **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* Lower-cases @name in place; FALSE when it holds a character no host name has. */
static gboolean
lower_domain(char *name)
{
  for (char *c = name; *c != '\0'; c++) {
    if (!g_ascii_isalnum(*c) && *c != '-' && *c != '.' && *c != '_')
      return FALSE;
    *c = g_ascii_tolower(*c);
  }
  return TRUE;
}

static gboolean
value_error(GError **error, const char *source, const ConfigKey *k, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean
value_error(GError **error, const char *source, const ConfigKey *k, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *what = NULL;

  va_start(ap, fmt);
  what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE, "%s: [%s] %s%s", source, k->group, k->name, what);
  return FALSE;
}

/* Epoch seconds of "@EPOCH" or an RFC 3339 date-time; 0 when neither. */
static gint64
parse_time(const char *text)
{
  guint64 epoch = 0;

  if (text[0] == '@') {
    if (!g_ascii_string_to_unsigned(text + 1, 10, 1, G_MAXINT64, &epoch, NULL))
      return 0;
    return (gint64) epoch;
  } else {
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);
    return dt != NULL && g_date_time_to_unix(dt) > 0 ? g_date_time_to_unix(dt) : 0;
  }
}

/* Parses the (stripped) value @raw of key @k into @c. */
static gboolean
parse_value(BimiConfig *c, const ConfigKey *k, char *raw, const char *source, GError **error)
{
  guint64 v = 0;

  switch (k->type) {
  case KEY_UINT:
  case KEY_UINT64:
    if (!g_ascii_string_to_unsigned(raw, 10, k->min, k->max, &v, NULL))
      return value_error(error, source, k, " = '%s': expected an integer from %" G_GUINT64_FORMAT
                         " to %" G_GUINT64_FORMAT, raw, k->min, k->max);
    if (k->type == KEY_UINT)
      *FIELD(c, k, guint) = (guint) v;
    else
      *FIELD(c, k, guint64) = v;
    return TRUE;
  case KEY_OCTAL:
    if (!g_ascii_string_to_unsigned(raw, 8, 0, k->max, &v, NULL))
      return value_error(error, source, k, " = '%s': expected octal permission bits such as 0%" G_GINT64_MODIFIER "o",
                         raw, k->def);
    *FIELD(c, k, guint) = (guint) v;
    return TRUE;
  case KEY_BOOL:
    if (strcmp(raw, "true") != 0 && strcmp(raw, "false") != 0)
      return value_error(error, source, k, " = '%s': expected true or false", raw);
    *FIELD(c, k, gboolean) = raw[0] == 't';
    return TRUE;
  case KEY_CHOICE:
  case KEY_CHOICE_TEXT: {
    g_autoptr(GString) list = g_string_new(NULL);
    for (guint i = 0; k->choices[i] != NULL; i++) {
      if (g_ascii_strcasecmp(raw, k->choices[i]) != 0)
        continue;
      if (k->type == KEY_CHOICE) {
        *FIELD(c, k, int) = (int) i;
      } else {
        g_free(*FIELD(c, k, char *));
        *FIELD(c, k, char *) = g_strdup(k->choices[i]);
      }
      return TRUE;
    }
    for (guint i = 0; k->choices[i] != NULL; i++)
      g_string_append_printf(list, "%s%s", i > 0 ? ", " : "", k->choices[i]);
    return value_error(error, source, k, " = '%s': expected one of %s", raw, list->str);
  }
  case KEY_STRING:
    if (*raw == '\0')
      return value_error(error, source, k, ": %s", k->empty_hint != NULL ? k->empty_hint : "must not be empty");
    g_free(*FIELD(c, k, char *));
    *FIELD(c, k, char *) = g_strdup(raw);
    return TRUE;
  case KEY_OPTIONAL:
    g_free(*FIELD(c, k, char *));
    *FIELD(c, k, char *) = *raw != '\0' ? g_strdup(raw) : NULL;
    return TRUE;
  case KEY_HOSTNAME:
    for (const char *p = raw; *p != '\0'; p++)
      if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_')
        return value_error(error, source, k, " = '%s': expected a host name (RFC 8601 §2.5)", raw);
    g_free(*FIELD(c, k, char *));
    *FIELD(c, k, char *) = *raw != '\0' ? g_strdup(raw) : NULL;
    return TRUE;
  case KEY_LIST:
  case KEY_DOMAIN_LIST:
  case KEY_DOMAIN: {
    g_auto(GStrv) list = split_list(raw);
    if (k->max > 0 && g_strv_length(list) > k->max)
      return value_error(error, source, k, ": more than %" G_GUINT64_FORMAT " %s", k->max, k->empty_hint);
    for (guint i = 0; k->type != KEY_LIST && list[i] != NULL; i++)
      if (!lower_domain(list[i]))
        return value_error(error, source, k, ": '%s' is not a domain name", list[i]);
    if (k->type == KEY_DOMAIN) {
      if (list[0] != NULL && list[1] != NULL)
        return value_error(error, source, k, ": one domain expected");
      g_free(*FIELD(c, k, char *));
      *FIELD(c, k, char *) = g_strdup(list[0]);
      return TRUE;
    }
    g_strfreev(*FIELD(c, k, char **));
    *FIELD(c, k, char **) = g_steal_pointer(&list);
    return TRUE;
  }
  case KEY_SIZES: {
    g_autoptr(GError) bad = NULL;
    g_autoptr(GArray) arr = bimi_render_parse_sizes(raw, &bad);
    if (arr == NULL)
      return value_error(error, source, k, ": %s", bad->message);
    g_free(c->render_sizes);
    c->render_n_sizes = arr->len;
    c->render_sizes = g_memdup2(arr->data, sizeof(guint) * arr->len);
    return TRUE;
  }
  case KEY_CONSENT: {
    g_autoptr(GError) bad = NULL;
    guint set = 0;
    if (!bimi_filter_consent_parse(raw, &set, &bad))
      return value_error(error, source, k, " = '%s': %s", raw, bad->message);
    *FIELD(c, k, guint) = set;
    return TRUE;
  }
  case KEY_TIME:
    if (*raw == '\0')
      return TRUE;
    *FIELD(c, k, gint64) = parse_time(raw);
    if (*FIELD(c, k, gint64) == 0)
      return value_error(error, source, k, " = '%s': expected RFC 3339 (2026-06-01T00:00:00Z) or @EPOCH", raw);
    return TRUE;
  }
  g_return_val_if_reached(FALSE);
}

/* The checks a single row cannot express: value syntax of listen and logo_url_prefix, and rules between keys. */
static void
check_values(const BimiConfig *c, const char *source, Problems *p)
{
  const char *l = c->server_listen;
  const char *colon = strrchr(l, ':');
  guint64 port = 0;
  gboolean ok;
  GError *e = NULL;

  if (g_str_has_prefix(l, "unix:"))
    ok = l[5] == '/';
  else if (l[0] == '/')
    ok = TRUE;
  else
    ok = colon != NULL && colon != l && g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL);
  if (!ok) {
    value_error(&e, source, find_key("server", "listen"), " = '%s': expected unix:/PATH, /PATH or HOST:PORT", l);
    problems_take(p, e);
  }
  if (c->server_logo_url_prefix[0] != '/' && !g_str_has_prefix(c->server_logo_url_prefix, "https://")) {
    value_error(&e, source, find_key("server", "logo_url_prefix"),
                " = '%s': expected an absolute path or an https URL", c->server_logo_url_prefix);
    problems_take(p, g_steal_pointer(&e));
  }
  if (c->cache_backend == BIMI_CONFIG_CACHE_REDIS) {
    BimiRedisAddress addr;
    g_autoptr(GError) local = NULL;
    if (!bimi_redis_url_parse(c->cache_redis_url, &addr, &local)) {
      value_error(&e, source, find_key("cache", "redis_url"), " = '%s': %s", c->cache_redis_url, local->message);
      problems_take(p, g_steal_pointer(&e));
    } else {
      bimi_redis_address_clear(&addr);
    }
  }
  if (strlen(c->cache_redis_prefix) > BIMI_CACHE_REDIS_MAX_PREFIX_BYTES) {
    value_error(&e, source, find_key("cache", "redis_prefix"), ": longer than %u bytes",
                BIMI_CACHE_REDIS_MAX_PREFIX_BYTES);
    problems_take(p, g_steal_pointer(&e));
  } else if (strpbrk(c->cache_redis_prefix, " \t#") != NULL) {
    /* A key prefix never holds blanks or '#': such a value is a trailing comment taken as part of it,
     * and nodes whose comments differ would silently stop sharing. */
    value_error(&e, source, find_key("cache", "redis_prefix"),
                ": holds a blank or '#' (a comment goes on its own line)");
    problems_take(p, g_steal_pointer(&e));
  }
  if (c->cache_min_ttl > c->cache_max_ttl) {
    value_error(&e, source, find_key("cache", "min_ttl"), " = %u is larger than max_ttl = %u",
                c->cache_min_ttl, c->cache_max_ttl);
    problems_take(p, g_steal_pointer(&e));
  }
  if (c->auth_trust_own_authres && c->auth_own_signing_domain == NULL && !c->auth_mta_strips_authres) {
    value_error(&e, source, find_key("auth", "trust_own_authres"),
                " = true needs own_signing_domain or mta_strips_authres = true "
                "(else a sender could forge the Authentication-Results)");
    problems_take(p, g_steal_pointer(&e));
  }
  if ((c->report_dkim_domain != NULL) != (c->report_dkim_selector != NULL) ||
      (c->report_dkim_domain != NULL) != (c->report_dkim_key != NULL)) {
    value_error(&e, source, find_key("report", "dkim_domain"),
                ": dkim_domain, dkim_selector and dkim_key go together (all three or none)");
    problems_take(p, g_steal_pointer(&e));
  }
  if (c->report_smtp_url != NULL && !g_str_has_prefix(c->report_smtp_url, "smtp://") &&
      !g_str_has_prefix(c->report_smtp_url, "smtps://")) {
    value_error(&e, source, find_key("report", "smtp_url"), " = '%s': expected smtp:// or smtps://",
                c->report_smtp_url);
    problems_take(p, g_steal_pointer(&e));
  }
  if ((c->report_smtp_user != NULL) != (c->report_smtp_password_file != NULL)) {
    value_error(&e, source, find_key("report", "smtp_user"), ": smtp_user and smtp_password_file go together");
    problems_take(p, g_steal_pointer(&e));
  }
}

/* @path made absolute against @base_dir (NULL: the working directory). (transfer full) */
static char *
absolute_path(const char *path, const char *base_dir)
{
  return g_canonicalize_filename(path, base_dir);
}

/* Resolves the relative paths the file @kf gives (rows with a KEY_PATH_* flag)
 * against @base_dir, the directory of the configuration file. Defaults stay as
 * compiled in. */
static void
resolve_paths(BimiConfig *c, GKeyFile *kf, const char *base_dir)
{
  for (gsize i = 0; i < G_N_ELEMENTS(path_keys); i++) {
    const ConfigKey *k = find_key(path_keys[i].group, path_keys[i].name);

    if (!g_key_file_has_key(kf, k->group, k->name, NULL))
      continue;
    if (k->type == KEY_LIST) {
      for (char **v = *FIELD(c, k, char **); *v != NULL; v++) {
        char *abs = absolute_path(*v, base_dir);
        g_free(*v);
        *v = abs;
      }
    } else if (*FIELD(c, k, char *) != NULL) {
      char *abs = absolute_path(*FIELD(c, k, char *), base_dir);
      g_free(*FIELD(c, k, char *));
      *FIELD(c, k, char *) = abs;
    }
  }
}

/* Parses @data; every problem found (not only the first) goes into one GError,
 * one per line, with the code of the first — or, with @collect, into @collect,
 * and the configuration is returned with the refused keys at their defaults.
 * @base_dir: see resolve_paths(), or NULL. */
static BimiConfig *
parse_config(const char *data, gsize len, const char *source, const char *base_dir, GPtrArray *collect,
             GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  g_autoptr(BimiConfig) config = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  Problems p = { lines, 0 };

  if (len > BIMI_MAX_CONFIG_BYTES) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: larger than %u bytes", source, BIMI_MAX_CONFIG_BYTES);
    return NULL;
  }
  if (memchr(data, '\0', len) != NULL) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_SYNTAX, "%s: contains a NUL byte", source);
    return NULL;
  }
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_SYNTAX, "%s: %s", source, local->message);
    return NULL;
  }
  check_known_keys(kf, source, &p);
  check_duplicate_keys(data, len, source, &p);

  config = bimi_config_new_default();
  for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++) {
    const ConfigKey *k = &config_keys[i];
    g_autofree char *raw = g_key_file_get_string(kf, k->group, k->name, NULL);
    GError *e = NULL;
    if (raw != NULL && !parse_value(config, k, g_strstrip(raw), source, &e))
      problems_take(&p, e);
  }
  check_values(config, source, &p);
  if (collect != NULL) {
    for (guint i = 0; i < lines->len; i++)
      g_ptr_array_add(collect, g_strdup(lines->pdata[i]));
  } else if (lines->len > 0) {
    g_autofree char *all = NULL;
    g_ptr_array_add(lines, NULL);
    all = g_strjoinv("\n", (char **) lines->pdata);
    g_set_error_literal(error, BIMI_CONFIG_ERROR, p.code, all);
    return NULL;
  }
  if (base_dir != NULL)
    resolve_paths(config, kf, base_dir);
  return g_steal_pointer(&config);
}

BimiConfig *
bimi_config_new_from_data(const char *data, gsize len, const char *source, GError **error)
{
  return parse_config(data, len, source, NULL, NULL, error);
}

/* @prefix, then @text escaped as GKeyFile reads it back (g_key_file_get_string() unescapes "\\"). */
static void
append_text(GString *out, const char *text, const char *prefix)
{
  g_string_append(out, prefix);
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '\\')
      g_string_append_c(out, '\\');
    g_string_append_c(out, *p);
  }
}

/* Appends the value of @k in @c as the configuration file spells it. */
static void
append_value(GString *out, const BimiConfig *c, const ConfigKey *k)
{
  const char *text = NULL;

  switch (k->type) {
  case KEY_UINT:
    g_string_append_printf(out, "%u", *CFIELD(c, k, guint));
    return;
  case KEY_UINT64:
    g_string_append_printf(out, "%" G_GUINT64_FORMAT, *CFIELD(c, k, guint64));
    return;
  case KEY_OCTAL:
    g_string_append_printf(out, "0%o", *CFIELD(c, k, guint));
    return;
  case KEY_BOOL:
    text = *CFIELD(c, k, gboolean) ? "true" : "false";
    break;
  case KEY_CHOICE:
    text = k->choices[*CFIELD(c, k, int)];
    break;
  case KEY_CHOICE_TEXT:
  case KEY_STRING:
  case KEY_OPTIONAL:
  case KEY_DOMAIN:
  case KEY_HOSTNAME:
    text = *CFIELD(c, k, char *);
    break;
  case KEY_LIST:
  case KEY_DOMAIN_LIST:
    for (char **p = *CFIELD(c, k, char **); *p != NULL; p++)
      append_text(out, *p, p != *CFIELD(c, k, char **) ? ", " : "");
    return;
  case KEY_SIZES:
    for (guint i = 0; i < c->render_n_sizes; i++)
      g_string_append_printf(out, "%s%u", i > 0 ? ", " : "", c->render_sizes[i]);
    return;
  case KEY_CONSENT: {
    g_autofree char *list = bimi_filter_consent_to_string(*CFIELD(c, k, guint));
    append_text(out, list, "");
    return;
  }
  case KEY_TIME:
    if (*CFIELD(c, k, gint64) != 0)
      g_string_append_printf(out, "@%" G_GINT64_FORMAT, *CFIELD(c, k, gint64));
    return;
  }
  if (text != NULL)
    append_text(out, text, "");
}

/* Whether @k is a path key (path_keys) and @value a relative path. */
static gboolean
is_relative_path_key(const ConfigKey *k, const char *value)
{
  for (gsize i = 0; i < G_N_ELEMENTS(path_keys); i++)
    if (strcmp(path_keys[i].group, k->group) == 0 && strcmp(path_keys[i].name, k->name) == 0)
      return *value != '\0' && !g_path_is_absolute(value);
  return FALSE;
}

/* "[group]" lines and "key = value" lines of @c; with @docs the comments of the example too;
 * with @only_changed only the keys whose value differs from the default. */
static char *
format_config(const BimiConfig *c, gboolean docs, gboolean only_changed)
{
  g_autoptr(BimiConfig) defaults = bimi_config_new_default();
  GString *out = g_string_new(docs ? example_header : NULL);
  const char *group = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++) {
    const ConfigKey *k = &config_keys[i];
    g_autoptr(GString) value = g_string_new(NULL);

    append_value(value, c, k);
    if (only_changed) {
      g_autoptr(GString) def = g_string_new(NULL);
      append_value(def, defaults, k);
      if (g_string_equal(value, def))
        continue;
    }
    if (group == NULL || strcmp(group, k->group) != 0) {
      g_string_append_printf(out, "%s[%s]\n", out->len > 0 ? "\n" : "", k->group);
      group = k->group;
    }
    if (docs && k->doc != NULL) {
      g_auto(GStrv) lines = g_strsplit(k->doc, "\n", -1);
      for (guint l = 0; lines[l] != NULL; l++)
        g_string_append_printf(out, "# %s\n", lines[l]);
    }
    /* In the example, a relative default path is shown commented out: written in the file it
     * would be resolved against the file's directory, not the working directory it means. */
    g_string_append_printf(out, "%s%s =%s%s\n", docs && is_relative_path_key(k, value->str) ? "# " : "", k->name,
                           value->len > 0 ? " " : "", value->str);
  }
  return g_string_free(out, FALSE);
}

char *
bimi_config_example_text(void)
{
  g_autoptr(BimiConfig) defaults = bimi_config_new_default();

  return format_config(defaults, TRUE, FALSE);
}

char *
bimi_config_format_changed(const BimiConfig *config)
{
  return format_config(config, FALSE, TRUE);
}

/* bimi_config_new_from_file(), and with @collect bimi_config_load_collecting(). */
static BimiConfig *
load_file(const char *path, GPtrArray *collect, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *abs = NULL, *base_dir = NULL;
  gsize len = 0;
  const char *data;

  bytes = bimi_util_read_file(path, BIMI_MAX_CONFIG_BYTES, &local);
  if (bytes == NULL) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE, "%s", local->message);
    else
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_IO, "%s", local->message);
    return NULL;
  }
  data = g_bytes_get_data(bytes, &len);
  abs = absolute_path(path, NULL);
  base_dir = g_path_get_dirname(abs);
  return parse_config(data != NULL ? data : "", len, path, base_dir, collect, error);
}

BimiConfig *
bimi_config_new_from_file(const char *path, GError **error)
{
  return load_file(path, NULL, error);
}

BimiConfig *
bimi_config_load_collecting(const char *path, GPtrArray *problems, GError **error)
{
  g_return_val_if_fail(path != NULL && problems != NULL, NULL);
  return load_file(path, problems, error);
}

/* One path problem: "SOURCE: [group] key = ABSOLUTE-PATH: what". */
static void
path_problem(GPtrArray *problems, const char *source, const ConfigKey *k, const char *abs, const char *what)
{
  g_ptr_array_add(problems, g_strdup_printf("%s: [%s] %s = %s: %s", source, k->group, k->name, abs, what));
}

/* Checks the one path @value of key @k, of kind @kind (KEY_PATH_*). */
static void
check_path(GPtrArray *problems, const char *source, const ConfigKey *k, guint kind, const char *value)
{
  g_autofree char *abs = absolute_path(value, NULL);
  struct stat st;

  if (kind & KEY_PATH_DIR) {
    g_autofree char *parent = NULL;
    if (g_stat(abs, &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        path_problem(problems, source, k, abs, "not a directory");
      else if (g_access(abs, W_OK | X_OK) != 0)
        path_problem(problems, source, k, abs, "directory not writable by this user");
      return;
    }
    /* Missing: created at start (bimi_logo_store_open()) when its parent is a writable directory. */
    parent = g_path_get_dirname(abs);
    if (g_stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
      g_autofree char *why = g_strdup_printf("directory missing, and so is its parent %s", parent);
      path_problem(problems, source, k, abs, why);
    } else if (g_access(parent, W_OK | X_OK) != 0) {
      g_autofree char *why = g_strdup_printf("directory missing, and %s is not writable to create it", parent);
      path_problem(problems, source, k, abs, why);
    }
    return;
  }
  if (g_stat(abs, &st) != 0) {
    path_problem(problems, source, k, abs, g_strerror(errno));
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    path_problem(problems, source, k, abs, "not a regular file");
    return;
  }
  if (kind & KEY_PATH_EXEC) {
    if (g_access(abs, X_OK) != 0)
      path_problem(problems, source, k, abs, "not executable");
    return;
  }
  /* access(2) answers for the real uid; opening answers for the user the service runs as. */
  int fd = g_open(abs, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    g_autofree char *why = g_strdup_printf("cannot be read: %s", g_strerror(errno));
    path_problem(problems, source, k, abs, why);
    return;
  }
  close(fd);
}

void
bimi_config_check_paths(const BimiConfig *config, const char *source, GPtrArray *problems)
{
  g_return_if_fail(config != NULL && source != NULL && problems != NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(path_keys); i++) {
    const ConfigKey *k = find_key(path_keys[i].group, path_keys[i].name);

    if (k->type == KEY_LIST) {
      for (char *const *v = *CFIELD(config, k, char **); *v != NULL; v++)
        check_path(problems, source, k, path_keys[i].kind, *v);
    } else if (*CFIELD(config, k, char *) != NULL) {
      check_path(problems, source, k, path_keys[i].kind, *CFIELD(config, k, char *));
    }
  }
}

char **
bimi_config_warnings(const BimiConfig *config)
{
  GPtrArray *out = g_ptr_array_new();

  g_return_val_if_fail(config != NULL, NULL);
  if (config->testing_now != 0) {
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(config->testing_now);
    g_autofree char *when = t != NULL ? g_date_time_format_iso8601(t) : g_strdup("?");
    g_ptr_array_add(out, g_strdup_printf("[testing] now = %s: the clock is replaced, certificates and caches are "
                                         "judged at that time (tests and demos only, never on a real service)", when));
  }
  if (config->fetch_allow_private_addresses)
    g_ptr_array_add(out, g_strdup("[fetch] allow_private_addresses = true: senders can make this service fetch "
                                  "from loopback and the internal network (tests and demos only)"));
  if (config->trust_revocation == BIMI_VMC_REVOCATION_OFF)
    g_ptr_array_add(out, g_strdup("[trust] revocation = off: revoked VMCs and CMCs are accepted "
                                  "(CRLs are not consulted)"));
  g_ptr_array_add(out, NULL);
  return (char **) g_ptr_array_free(out, FALSE);
}

void
bimi_config_get_dns_config(const BimiConfig *config, BimiDnsConfig *out)
{
  memset(out, 0, sizeof *out);
  out->forwarders = (const char *const *) config->dns_forwarders;
  out->zone_files = (const char *const *) config->dns_zone_files;
  out->fault_names = (const char *const *) config->dns_fault_names;
  out->trust_anchor_file = config->dns_trust_anchor;
  out->timeout_ms = config->dns_timeout_ms;
}

void
bimi_config_get_fetch_config(const BimiConfig *config, BimiFetchConfig *out)
{
  memset(out, 0, sizeof *out);
  out->connect_timeout_ms = config->fetch_connect_timeout_ms;
  out->timeout_ms = config->fetch_timeout_ms;
  out->max_redirects = config->fetch_max_redirects;
  out->redirects_set = TRUE;
  out->logo_max_bytes = config->fetch_logo_max_bytes;
  out->evidence_max_bytes = config->fetch_evidence_max_bytes;
  out->max_per_host = config->fetch_max_per_host;
  out->allow_private_addresses = config->fetch_allow_private_addresses;
  out->ca_file = config->fetch_ca_file;
  out->resolve = (const char *const *) config->fetch_resolve;
  out->connect_to = (const char *const *) config->fetch_connect_to;
}

void
bimi_config_get_redis_config(const BimiConfig *config, BimiRedisConfig *out)
{
  memset(out, 0, sizeof *out);
  out->url = config->cache_redis_url;
  out->password = config->cache_redis_password;
  out->prefix = config->cache_redis_prefix;
  out->connect_timeout_ms = config->cache_redis_connect_timeout_ms;
  out->timeout_ms = config->cache_redis_timeout_ms;
}

void
bimi_config_get_record_cache_config(const BimiConfig *config, BimiRecordCacheConfig *out,
                                    BimiCacheTtlBounds *bounds)
{
  memset(out, 0, sizeof *out);
  out->max_ttl = config->cache_max_ttl;
  out->negative_ttl = config->cache_negative_ttl;
  out->max_stale = config->cache_max_stale;
  out->wait_ms = config->cache_wait_ms;
  if (bounds != NULL) {
    bounds->min_ttl = config->cache_min_ttl;
    bounds->max_ttl = config->cache_max_ttl;
  }
}
