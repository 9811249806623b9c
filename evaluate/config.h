/* evaluate/config.h — the one configuration file (DESIGN.md §6), parsed once.
 *
 * An INI file read with GKeyFile into an immutable BimiConfig. Unknown groups,
 * unknown keys and out-of-range values are errors (STYLE.md §8): a typo in a
 * security setting must not silently fall back to a default. Every key is one
 * row of the key table in evaluate/config.c (group, name, type, field, default,
 * range or choices, documentation): the row drives the default, the parse, the
 * refusal of unknown keys, `bimi-fcgi --check-config` and the example file.
 * conf/bimi.conf.example is `bimi config example` (tests/test-config.c asserts
 * that it is byte for byte; `make conf/bimi.conf.example` regenerates it).
 * A new key is a field here and a row there.
 */
#ifndef BIMI_CONFIG_H
#define BIMI_CONFIG_H

#include <glib.h>
#include "engine/dns.h"
#include "engine/dmarc.h"
#include "engine/dkim.h"
#include "engine/rdns.h"
#include "engine/fetch.h"
#include "engine/vmc.h"
#include "cache/records.h"
#include "cache/redis.h"
#include "renderer/render.h"
#include "evaluate/filter.h"

G_BEGIN_DECLS

#define BIMI_CONFIG_ERROR (bimi_config_error_quark())
GQuark bimi_config_error_quark(void);

/** [cache] backend: where the record/evidence cache lives (issue 18). */
typedef enum {
  BIMI_CONFIG_CACHE_MEMORY, /**< this process' LRU (default) */
  BIMI_CONFIG_CACHE_REDIS,  /**< a Redis/Valkey shared by the fleet, node memory in front */
} BimiConfigCacheBackend;

typedef enum {
  BIMI_CONFIG_ERROR_SYNTAX,       /**< not a valid key file (GKeyFile's message, with the line) */
  BIMI_CONFIG_ERROR_UNKNOWN_KEY,  /**< a group or key this version does not know */
  BIMI_CONFIG_ERROR_VALUE,        /**< a value of the wrong type or out of range */
  BIMI_CONFIG_ERROR_IO,           /**< the file could not be read */
} BimiConfigError;

/** The parsed configuration. Immutable once built; share with bimi_config_ref(). */
typedef struct {
  /* [dns] */
  char **dns_forwarders;     /**< "ADDR[@PORT]" list, NULL-terminated, maybe empty */
  char **dns_zone_files;     /**< offline zone files, NULL-terminated, maybe empty */
  char **dns_fault_names;    /**< owner names whose unanswerable queries time out */
  char *dns_trust_anchor;    /**< DNSSEC root anchor file, or NULL (no validation) */
  guint dns_timeout_ms;      /**< per-query deadline, 100..60000 ms, default 4000 */
  /* [policy] */
  BimiDmarcMode policy_dmarc; /**< "dmarc": rfc9989 (default) or rfc7489 — policy discovery and
                               *   Organizational Domain method (engine/dmarc.h) */
  /* [auth] */
  guint auth_max_signatures;  /**< DKIM signatures verified per message, 1..BIMI_DKIM_MAX_SIGNATURES, default 10 */
  guint auth_verify_memo_entries; /**< DKIM/ARC verification outcomes remembered, 0 (off)..
                                   *   BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES (engine/dkim.h) */
  char *auth_authserv_id;     /**< authserv-id of the Authentication-Results written (RFC 8601 §2.5), NULL = host name */
  BimiRdnsAction policy_no_ptr_action; /**< "no_ptr_action": accept|tag (default)|greylist|reject,
                                        *   advised when FCrDNS finds no confirmed name (engine/rdns.h) */

  /* [fetch] (engine/fetch.h) */
  guint fetch_connect_timeout_ms;   /**< 100..60000 ms, default 2000 */
  guint fetch_timeout_ms;           /**< whole fetch, 100..120000 ms, default 5000 */
  guint fetch_max_redirects;        /**< 0..5, default 2 */
  guint fetch_logo_max_bytes;       /**< 1024..1048576, default 32768 (after decompression) */
  guint fetch_evidence_max_bytes;   /**< 1024..1048576, default 65536 */
  guint fetch_max_per_host;         /**< 1..256 concurrent fetches per host name, default 4 */
  gboolean fetch_allow_private_addresses; /**< tests and demo only, default false */
  char *fetch_ca_file;              /**< PEM roots replacing the system store, or NULL */
  char **fetch_resolve;             /**< "HOST:PORT:ADDR" pins (tests, demo), NULL-terminated, maybe empty */
  char **fetch_connect_to;          /**< "HOST:PORT:CONNECT-HOST:CONNECT-PORT" (tests, demo: a CRL server
                                         on another port than 80), NULL-terminated, maybe empty */
  /* [trust] (engine/vmc) */
  char *trust_bimi_roots;    /**< BIMI trust anchors (PEM), default BIMI_CONFIG_DEFAULT_BIMI_ROOTS */
  char *trust_ct_logs;       /**< CT log list (ct_log_list.cnf), default BIMI_CONFIG_DEFAULT_CT_LOGS */
  BimiVmcRevocationMode trust_revocation; /**< require | soft | off, default soft */
  /* [cache] (cache/store.h, cache/records.h) */
  char *cache_dir;            /**< logo store directory, default BIMI_CACHE_DEFAULT_DIR */
  guint64 cache_max_bytes;    /**< logo store bound, 1 MiB..1 TiB, default 1 GiB */
  guint cache_min_ttl;        /**< smallest TTL an HTTP max-age is raised to, 0..604800 s, default 3600 */
  guint cache_max_ttl;        /**< largest TTL of a record-cache entry, 60..2592000 s (>= min_ttl), default 86400 */
  guint cache_negative_ttl;   /**< TTL of negative entries, 0..86400 s, default 300 */
  guint cache_max_entries;    /**< record-cache entries, 1..BIMI_CACHE_MAX_ENTRIES, default 100000 */
  guint cache_max_stale;      /**< stale-while-revalidate window, 0..604800 s, default 3600 */
  guint cache_wait_ms;        /**< single-flight wait bound, 0..60000 ms, default 10000 */
  BimiConfigCacheBackend cache_backend; /**< "backend": memory (default) | redis (issue 18) */
  char *cache_redis_url;      /**< "redis_url": redis://HOST:PORT/DB or unix:/PATH, default BIMI_CACHE_REDIS_DEFAULT_URL */
  char *cache_redis_password; /**< "redis_password": AUTH password, or NULL */
  char *cache_redis_prefix;   /**< "redis_prefix": key namespace, default BIMI_CACHE_REDIS_DEFAULT_PREFIX */
  guint cache_redis_connect_timeout_ms; /**< 1..10000 ms, default BIMI_CACHE_REDIS_DEFAULT_CONNECT_TIMEOUT_MS */
  guint cache_redis_timeout_ms;         /**< 1..10000 ms per command, default BIMI_CACHE_REDIS_DEFAULT_TIMEOUT_MS */
  guint cache_redis_lock_ms;            /**< single-flight lock life, 100..600000 ms, default 30000 */
  char **policy_trusted_arc_sealers; /**< "trusted_arc_sealers": ARC sealer domains (AS d=) whose
                                      *   AAR may relax a DMARC fail (RFC 8617 §7.2.1); lower case,
                                      *   NULL-terminated, empty by default */
  gboolean policy_bimi_accept_arc_override; /**< "bimi_accept_arc_override" (default false): let a
                                             *   DMARC fail relaxed by a trusted ARC sealer count as
                                             *   a pass for BIMI (see bimi_arc_trusted_pass()) */
  /* [policy], the decision (DESIGN.md §3 "decision"; evaluate/evaluate.h) */
  gboolean policy_logo_without_evidence; /**< "logo_without_evidence": none (FALSE, default) or logo (TRUE):
                                          *   a valid logo with no a= Evidence Document is shown without a checkmark */
  gboolean policy_show_cmc;          /**< "cmc": logo (TRUE, default) or none: a valid CMC earns a logo */
  gboolean policy_require_fcrdns;    /**< "fcrdns": require (TRUE, default) or ignore: when the client IP is known,
                                      *   FCrDNS none/fail means no indicator (reason "no-fcrdns") */
  /* [filter], consent-aware filtering (issue 17, evaluate/filter.h) */
  guint filter_default_consent;      /**< "default_consent": bits of BimiFilterKind taken when a request gives no
                                      *   consent; 0 ("none", default: opt-in) */
  BimiFilterAction filter_no_ptr;    /**< "no_ptr": what the no-ptr filter recommends for a client without a
                                      *   forward-confirmed reverse name: deliver, quarantine (default) or reject */
  /* [auth], the A-R this service may trust (DESIGN.md §3 "authres") and the envelope */
  char **auth_trusted_receivers;     /**< "trusted_receivers": host names (lower case) whose Received fields give the
                                      *   envelope when the request has none; NULL-terminated, empty by default */
  gboolean auth_trust_own_authres;   /**< "trust_own_authres" (default false) */
  char *auth_own_signing_domain;     /**< "own_signing_domain": DKIM d= that vouches for our A-R, or NULL */
  gboolean auth_mta_strips_authres;  /**< "mta_strips_authres" (default false): the topmost A-R is ours */

  /* [server] (fcgi/) */
  char *server_listen;               /**< "listen": "unix:/path", "/path" or "HOST:PORT"; default BIMI_CONFIG_DEFAULT_LISTEN */
  guint server_socket_mode;          /**< "socket_mode": octal permission bits of a unix socket, default 0660 */
  guint server_threads;              /**< "threads": worker threads 1..BIMI_SERVER_MAX_THREADS, default 8 */
  guint server_max_message_bytes;    /**< "max_message_bytes": 1024..BIMI_MAX_MESSAGE_BYTES, default 10 MiB */
  guint server_max_queue;            /**< "max_queue": accepted connections waiting for a worker, 1..65536, default 256 */
  guint server_shutdown_timeout_ms;  /**< "shutdown_timeout_ms": SIGTERM grace for requests in flight, 0..600000, default 10000 */
  char *server_log_level;            /**< "log_level": error | warning | info (default) | debug */
  char *server_log_format;           /**< "log_format": text (default) | json */
  char *server_logo_url_prefix;      /**< "logo_url_prefix": URL prefix of logo links in decisions, default "/bimi/v1/logo" */
  /* [render] (renderer/) */
  guint *render_sizes;               /**< "sizes": PNG sizes, ascending; default bimi_render_default_sizes */
  guint render_n_sizes;
  guint render_workers;              /**< "workers": render worker processes, 1..BIMI_RENDER_MAX_WORKERS, default 2 */
  guint render_deadline_ms;          /**< "deadline_ms": 100..60000, default BIMI_RENDER_DEFAULT_DEADLINE_MS */
  char *render_worker_path;          /**< "worker_path": the `bimi` binary run as `bimi __render-worker`; NULL =
                                      *   `bimi` next to the running program */
  /* [report] (report/: DMARC aggregate reports, issue 15) */
  char *report_db;                   /**< "db": the report database (SQLite); NULL = no recording */
  guint report_queue_size;           /**< "queue_size": records waiting for the writer, 1..BIMI_REPORT_MAX_QUEUE */
  char *report_org_name;             /**< "org_name": Reporting Organization (report_metadata org_name), or NULL */
  char *report_org_email;            /**< "org_email": its contact address and the From of report mails, or NULL */
  char *report_dkim_domain;          /**< "dkim_domain": d= of the report mails' DKIM signature, or NULL */
  char *report_dkim_selector;        /**< "dkim_selector": s=, or NULL */
  char *report_dkim_key;             /**< "dkim_key": PEM private key file (RSA or Ed25519), or NULL */
  char *report_smtp_url;             /**< "smtp_url": smtp://HOST[:PORT] or smtps://..., or NULL */
  char *report_smtp_user;            /**< "smtp_user": SMTP AUTH user, or NULL (no auth) */
  char *report_smtp_password_file;   /**< "smtp_password_file": file holding the SMTP AUTH password, or NULL */
  /* [caution] (issue 19: brand-impersonation caution; engine/caution.h, cache/brands.h) */
  gboolean caution_enabled;          /**< "enabled" (default true): look for claimed, unauthenticated brands */
  char *caution_brands_file;         /**< "brands_file": the operator's brands (GKeyFile), or NULL */
  gboolean caution_learn;            /**< "learn" (default true): learn brands from validated VMCs and CMCs */
  guint caution_max_learned_brands;  /**< "max_learned_brands": 1..BIMI_BRAND_REGISTRY_MAX_LEARNED */
  guint caution_min_name_length;     /**< "min_name_length": letters and digits a brand name needs, 3..64 */
  guint caution_max_edit_distance;   /**< "max_edit_distance": 0..BIMI_CAUTION_MAX_EDIT_DISTANCE */
  char *caution_stop_words_file;     /**< "stop_words_file": replaces the built-in stop list, or NULL */
  /* [testing] */
  gint64 testing_now;                /**< "now": RFC 3339 or @EPOCH evaluation time replacing the clock (tests and the
                                      *   demo replaying old certificates); 0 = the clock */
} BimiConfig;

/** Default [server] listen address. */
#define BIMI_CONFIG_DEFAULT_LISTEN "unix:/run/bimi/bimi-fcgi.sock"

/** Default [trust] files, relative to the working directory (the repository's data/). */
#define BIMI_CONFIG_DEFAULT_BIMI_ROOTS "data/bimi-roots.pem"
#define BIMI_CONFIG_DEFAULT_CT_LOGS    "data/ct-logs.cnf"

/**
 * bimi_config_new_default:
 *
 * Returns: (transfer full): the configuration with every default (system
 * resolver, 4 s DNS deadline, DMARC by RFC 9989). Free with bimi_config_unref().
 */
BimiConfig *bimi_config_new_default(void);

/**
 * bimi_config_new_from_data:
 * @data: (array length=len): key-file text, untrusted, need not be NUL-terminated
 * @len: bytes of @data, at most BIMI_MAX_CONFIG_BYTES
 * @source: name for error messages (the path)
 * @error: BIMI_CONFIG_ERROR_SYNTAX, _UNKNOWN_KEY ("SOURCE: [group] key: unknown key"), _VALUE
 *
 * Every problem is reported, not only the first: @error's message holds one
 * line per problem (an unknown key, a bad value, a key given twice —
 * "SOURCE:LINE: [group] key: given twice"), its code is that of the first.
 * Relative paths stay as written (relative to the process's cwd).
 *
 * Returns: (transfer full): the configuration, or NULL with @error set.
 */
BimiConfig *bimi_config_new_from_data(const char *data, gsize len, const char *source, GError **error);

/**
 * bimi_config_new_from_file:
 * @path: the INI file
 * @error: BIMI_CONFIG_ERROR_IO, or any error of bimi_config_new_from_data()
 *
 * A relative path the file gives (zone_files, trust_anchor, ca_file,
 * bimi_roots, ct_logs, [cache] dir, worker_path) is resolved against the
 * directory of @path; the configuration holds it absolute. Defaults stay as
 * compiled in.
 *
 * Returns: (transfer full): the configuration, or NULL with @error set.
 */
BimiConfig *bimi_config_new_from_file(const char *path, GError **error);

/**
 * bimi_config_load_collecting:
 * @path: the INI file
 * @problems: (element-type utf8): gets one message per refused key (unknown,
 *   bad value, given twice), appended
 * @error: BIMI_CONFIG_ERROR_IO, or _SYNTAX / _VALUE for a file that cannot be
 *   read as a key file at all
 *
 * bimi_config_new_from_file() for `--check-config`: a refused key is a line in
 * @problems and keeps its default, so that the checks after the parse still run
 * and every problem of the file is listed at once.
 *
 * Returns: (transfer full): the configuration, or NULL with @error set.
 */
BimiConfig *bimi_config_load_collecting(const char *path, GPtrArray *problems, GError **error);

/**
 * bimi_config_check_paths:
 * @config: a configuration
 * @source: the configuration file's name, for the messages
 * @problems: (element-type utf8): gets one message per problem
 *   ("SOURCE: [group] key = ABSOLUTE-PATH: what"), appended
 *
 * Checks every file and directory the configuration names, without opening
 * anything for writing: files read at start (zone files, trust anchor, CA file,
 * BIMI roots, CT log list) must be readable regular files, the render worker
 * executable, [cache] dir a writable directory or missing under a writable
 * parent (the start creates it). `bimi-fcgi --check-config` runs it.
 */
void bimi_config_check_paths(const BimiConfig *config, const char *source, GPtrArray *problems);

/**
 * bimi_config_warnings:
 * @config: a configuration
 *
 * Settings valid for tests and demos that must never be on in production:
 * [testing] now, [fetch] allow_private_addresses = true, [trust] revocation = off.
 * bimi-fcgi logs them at start and `--check-config` prints them; neither refuses.
 *
 * Returns: (transfer full): one message per such setting, NULL-terminated
 *   (maybe empty), free with g_strfreev().
 */
char **bimi_config_warnings(const BimiConfig *config);

BimiConfig *bimi_config_ref(BimiConfig *config);
void bimi_config_unref(BimiConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiConfig, bimi_config_unref)

/**
 * bimi_config_get_dns_config:
 * @config: the configuration
 * @out: (out caller-allocates): filled with pointers into @config (transfer none;
 *       valid while @config lives)
 *
 * The [dns] settings in the shape bimi_dns_resolver_new() takes.
 */
void bimi_config_get_dns_config(const BimiConfig *config, BimiDnsConfig *out);

/**
 * bimi_config_get_fetch_config:
 * @config: the configuration
 * @out: (out caller-allocates): filled with pointers into @config (transfer none;
 *       valid while @config lives)
 *
 * The [fetch] settings in the shape bimi_fetch_fetcher_new() takes.
 */
void bimi_config_get_fetch_config(const BimiConfig *config, BimiFetchConfig *out);

/**
 * bimi_config_get_redis_config:
 * @config: the configuration
 * @out: (out caller-allocates): the [cache] redis_* settings in the shape
 *   bimi_redis_new() takes (pointers into @config, valid while it lives)
 */
void bimi_config_get_redis_config(const BimiConfig *config, BimiRedisConfig *out);

/**
 * bimi_config_get_record_cache_config:
 * @config: the configuration
 * @out: (out caller-allocates): the [cache] policy of the record cache
 * @bounds: (out caller-allocates) (optional): min_ttl/max_ttl for bimi_cache_compute_ttl()
 *
 * The [cache] settings in the shapes bimi_record_cache_new() and
 * bimi_cache_compute_ttl() take.
 */
void bimi_config_get_record_cache_config(const BimiConfig *config, BimiRecordCacheConfig *out,
                                         BimiCacheTtlBounds *bounds);

/**
 * bimi_config_example_text:
 *
 * The example configuration: every key of the table with its documentation
 * and its default, in the file's syntax (conf/bimi.conf.example).
 *
 * Returns: (transfer full): UTF-8 text, free with g_free().
 */
char *bimi_config_example_text(void);

/**
 * bimi_config_format_changed:
 * @config: a configuration
 *
 * The keys of @config whose value differs from the default, as "[group]" and
 * "key = value" lines that parse back to the same values (an empty string
 * when everything is the default). `bimi-fcgi --check-config` prints it.
 *
 * Returns: (transfer full): UTF-8 text, free with g_free().
 */
char *bimi_config_format_changed(const BimiConfig *config);

G_END_DECLS

#endif /* BIMI_CONFIG_H */
