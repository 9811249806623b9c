/* engine/dns.h — the one DNS layer of bimi-engine: a wrapper over libunbound.
 *
 * Every module that asks DNS (rdns, spf, dkim, arc, dmarc, bimi) goes through
 * this API, so that NOERROR-with-data, NODATA, NXDOMAIN and temperror are told
 * apart the same way everywhere (RFC 7208 §2.6 and §4.4, RFC 6376 §6.1.2,
 * RFC 7489 §6.6.3 all depend on that distinction).
 *
 * Sources of answers:
 *  - the system resolver (/etc/resolv.conf) — the default;
 *  - forwarders, "ADDR" or "ADDR@PORT" (e.g. "127.0.0.1@5353");
 *  - zone files in RFC 1035 master format, loaded as authoritative local data
 *    with no network at all (offline mode: a name absent from the data is
 *    NXDOMAIN, a name that has other types only — or is an empty
 *    non-terminal — is NODATA).
 * A fault list names owners whose unanswerable queries time out (temperror)
 * instead of being NXDOMAIN/NODATA, while types that do have records there
 * still answer: the convention of the RFC 7208 test suite ("TIMEOUT").
 *
 * Answer cache: final answers are kept in the process for their TTL
 * (RFC 2308 §5 for NXDOMAIN/NODATA; temperror never), bounded by
 * BIMI_DNS_CACHE_MAX_ENTRIES and BIMI_DNS_CACHE_MAX_BYTES; a cached answer is
 * returned on the calling thread, a miss goes to libunbound.
 *
 * Thread-safety: one BimiDnsResolver is shared by all worker threads;
 * bimi_dns_lookup() may be called concurrently. Configuration (zone data,
 * fault names) is added before the first lookup (adding later is safe but
 * races with lookups in flight).
 *
 * Names are in presentation form (RFC 1035 §5.1): labels separated by '.',
 * "\X" quotes X and "\DDD" is the octet DDD; a trailing dot is optional.
 * Names handed out (qname, canonical_name, record names) are lower case,
 * without the trailing dot, escaped the same way only where a label holds
 * '.' ("\."), '\' ("\\") or a byte outside 0x21..0x7e ("\DDD", space
 * included), so they can be asked again; "user@example.com" stays as is.
 */
#ifndef BIMI_DNS_H
#define BIMI_DNS_H

#include <glib.h>
#include "engine/base/base-mem.h"
#include <gio/gio.h>

G_BEGIN_DECLS

#define BIMI_DNS_ERROR (bimi_dns_error_quark())
GQuark bimi_dns_error_quark(void);

/** Errors that stop a lookup from being asked at all (results are data). */
typedef enum {
  BIMI_DNS_ERROR_INVALID_NAME,   /**< query name not a valid domain name */
  BIMI_DNS_ERROR_ZONE_SYNTAX,    /**< zone file/data does not parse (message names file:line) */
  BIMI_DNS_ERROR_LIMIT,          /**< a limit of engine/limits.h was exceeded */
  BIMI_DNS_ERROR_CONFIG,         /**< bad forwarder, trust anchor, option; forwarders together with zone files or offline */
  BIMI_DNS_ERROR_IO,             /**< zone file could not be read */
  BIMI_DNS_ERROR_RESOLVER,       /**< libunbound itself failed (not a DNS answer) */
} BimiDnsError;

/** RR types the engine asks for (RFC 1035, RFC 3596, RFC 4408 type 99). */
typedef enum {
  BIMI_DNS_TYPE_A = 1,
  BIMI_DNS_TYPE_NS = 2,
  BIMI_DNS_TYPE_CNAME = 5,
  BIMI_DNS_TYPE_PTR = 12,
  BIMI_DNS_TYPE_MX = 15,
  BIMI_DNS_TYPE_TXT = 16,
  BIMI_DNS_TYPE_AAAA = 28,
  BIMI_DNS_TYPE_SPF = 99,
} BimiDnsType;

/** The four outcomes every caller must tell apart. */
typedef enum {
  BIMI_DNS_NOERROR,   /**< NOERROR with at least one record of the asked type */
  BIMI_DNS_NODATA,    /**< NOERROR, the name exists, no record of that type */
  BIMI_DNS_NXDOMAIN,  /**< the name does not exist (RCODE 3) */
  BIMI_DNS_TEMPERROR, /**< SERVFAIL (or FORMERR, NOTIMP, REFUSED), timeout,
                           bogus DNSSEC, CNAME loop or chain too long,
                           malformed answer, a name of the fault list */
} BimiDnsStatus;

/** One resource record of an answer. Which fields are set depends on type. */
typedef struct {
  BimiDnsType type;
  guint32 ttl;             /**< seconds */
  /* TXT/SPF: the character-strings joined with no separator (RFC 7208 §3.3,
   * RFC 6376 §3.6.2.2), and each one as it came. (transfer none, owned by the answer) */
  GBytes *text;
  GPtrArray *strings;      /**< of GBytes*, TXT/SPF only */
  GInetAddress *address;   /**< A/AAAA */
  char *name;              /**< PTR, CNAME, NS target; MX exchange; lower case, no trailing dot */
  guint16 preference;      /**< MX */
} BimiDnsRecord;

/** The answer to one (name, type) question, after following CNAMEs. */
typedef struct {
  char *qname;             /**< as asked: lower case, no trailing dot */
  BimiDnsType type;
  BimiDnsStatus status;
  /* seconds the answer may be cached: the smallest TTL met on the way
   * (CNAMEs, records); negative answers carry the RFC 2308 §5 negative
   * TTL (offline: of the closest SOA of the zone data, 0 without one);
   * temperror 0. From the answer cache: the TTL as received (the cache
   * never serves it past its expiry). */
  guint32 ttl;
  char *canonical_name;    /**< target after CNAMEs, NULL when no CNAME was followed */
  GPtrArray *records;      /**< of BimiDnsRecord*, empty unless status is NOERROR; read-only (shared with the answer cache) */
  /* temperror cause, else NULL: "timeout", "SERVFAIL" (or another RCODE
   * name), "bogus: <why>", "CNAME loop at <name>", "more than 8 CNAMEs",
   * "malformed answer: <what>", "resolver: <libunbound error>", "deadline"
   * (the caller's overall deadline of bimi_dns_lookup_deadline() passed) */
  char *detail;
} BimiDnsAnswer;

void bimi_dns_answer_free(BimiDnsAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDnsAnswer, bimi_dns_answer_free)

/** Resolver configuration. All strings are copied by bimi_dns_resolver_new(). */
typedef struct {
  /* NULL-terminated "ADDR[@PORT]" list (IPv4 or IPv6 literal, port 1..65535),
   * or NULL for the system resolver (/etc/resolv.conf and /etc/hosts) */
  const char *const *forwarders;
  const char *const *zone_files;   /**< NULL-terminated paths; non-empty means offline */
  const char *const *fault_names;  /**< NULL-terminated owner names that time out */
  /* DNSSEC trust anchor file (DS or DNSKEY records of the root, e.g.
   * /usr/share/dns/root.key), read once (no RFC 5011 rollover tracking),
   * or NULL for no validation; ignored offline */
  const char *trust_anchor_file;
  guint timeout_ms;                /**< deadline per bimi_dns_lookup() call; 0 = BIMI_DNS_DEFAULT_TIMEOUT_MS */
  gboolean offline;                /**< no network even without zone files */
} BimiDnsConfig;

typedef struct _BimiDnsResolver BimiDnsResolver;

/**
 * bimi_dns_resolver_new:
 * @config: (nullable): settings; NULL = system resolver, 4 s deadline
 * @error: BIMI_DNS_ERROR_CONFIG (bad forwarder, unreadable trust anchor,
 *         /etc/resolv.conf), _IO (zone file unreadable), _ZONE_SYNTAX,
 *         _LIMIT (zone file or record limits), _INVALID_NAME (a fault
 *         name), _RESOLVER (libunbound or thread creation failed)
 *
 * Creates the process-wide resolver: one libunbound context and one thread
 * that collects its answers. With zone files (or offline), the context
 * answers only from local data, authoritatively, and never touches the
 * network; libunbound's built-in local zones (localhost, test, invalid,
 * RFC 6303 reverse zones...) are then removed so that only the zone data
 * counts. Online, the RFC 6303 (AS112) local zones are unblocked: reverse
 * names of private and test networks go to the forwarders too.
 *
 * Returns: (transfer full): a new resolver (unref with bimi_dns_resolver_unref()), or NULL.
 */
BimiDnsResolver *bimi_dns_resolver_new(const BimiDnsConfig *config, GError **error);
BIMI_DECLARE_ATOMIC_RC_FUNCS(BimiDnsResolver, bimi_dns_resolver)

/**
 * bimi_dns_resolver_add_zone_data:
 * @resolver: a resolver before its first lookup
 * @text: (array length=len): RFC 1035 master-format text (untrusted: bounded, never NUL-terminated)
 * @len: bytes of @text, at most BIMI_MAX_ZONE_FILE_BYTES
 * @source: name used in error messages ("fixtures/dns/example.zone")
 * @default_origin: (nullable): origin before any $ORIGIN ("." when NULL)
 *
 * Parses master-format records (RFC 1035 §5.1: $ORIGIN, $TTL (RFC 2308),
 * @, relative names, an omitted owner, omitted TTL/class, ( ), ; comments,
 * multi-string TXT, \" and \DDD escapes, RFC 3597 \# generic RDATA; types
 * A AAAA MX PTR TXT SPF CNAME NS, and SOA so that real zone files load) and
 * adds them as authoritative local data. Switches the resolver offline.
 * One text may hold records of any number of unrelated owner names.
 * Refused: other types and classes, $INCLUDE, wildcard owners, a CNAME next
 * to other data at its owner (RFC 2181 §10.1), more than
 * BIMI_DNS_MAX_ANSWER_RECORDS records in one RRset. Identical records are
 * stored once (RFC 2181 §5). A record without TTL gets $TTL, else the last
 * explicit TTL, else BIMI_DNS_ZONE_DEFAULT_TTL. A text that fails adds nothing.
 *
 * Returns: FALSE with BIMI_DNS_ERROR_ZONE_SYNTAX ("SOURCE:LINE: what"),
 * _LIMIT (@len above BIMI_MAX_ZONE_FILE_BYTES, more than
 * BIMI_MAX_ZONE_RECORDS over all zone data, RDATA above
 * BIMI_DNS_MAX_RDATA_BYTES, an RRset too large) or _RESOLVER.
 */
gboolean bimi_dns_resolver_add_zone_data(BimiDnsResolver *resolver, const char *text, gsize len,
                                         const char *source, const char *default_origin,
                                         GError **error);

/**
 * bimi_dns_resolver_add_fault_name:
 * @name: owner name whose NXDOMAIN/NODATA answers become temperror ("timeout")
 *
 * The RFC 7208 test-suite "TIMEOUT" convention: a question about @name that
 * the data cannot answer times out, a question that has records still
 * answers. Applies online and offline, to the query name and to every CNAME
 * target on the way.
 *
 * Returns: FALSE with BIMI_DNS_ERROR_INVALID_NAME.
 */
gboolean bimi_dns_resolver_add_fault_name(BimiDnsResolver *resolver, const char *name, GError **error);

/**
 * bimi_dns_lookup:
 * @resolver: the shared resolver
 * @name: domain name, presentation form, trailing dot optional, case-insensitive;
 *        A-labels expected (callers convert IDNs with libidn2)
 * @type: RR type
 * @error: BIMI_DNS_ERROR_INVALID_NAME (empty name or label, label > 63
 *         octets, name > 255 octets in wire form, i.e. 253 characters
 *         without escapes; bad escape), BIMI_DNS_ERROR_LIMIT (more than
 *         BIMI_DNS_MAX_ANSWER_RECORDS records: refused rather than
 *         truncated) or BIMI_DNS_ERROR_RESOLVER (libunbound refused the query)
 *
 * Asks one question, follows CNAMEs as a resolver does (RFC 1034 §3.6.2; at
 * most BIMI_DNS_MAX_CNAME_CHAIN; a loop is temperror), and waits at most the
 * configured deadline for the whole chain (then temperror, detail
 * "timeout"). TXT/SPF records keep their character-strings apart and
 * joined (RFC 7208 §3.3). Thread-safe.
 *
 * Returns: (transfer full): the answer — NXDOMAIN, NODATA and temperror are
 * answers, not errors — or NULL with @error set.
 */
BimiDnsAnswer *bimi_dns_lookup(BimiDnsResolver *resolver, const char *name, BimiDnsType type,
                               GError **error);

/**
 * bimi_dns_lookup_record:
 * @resolver: the shared resolver
 * @name: as bimi_dns_lookup()
 * @type: RR type
 * @out_invalid_name: (out) (optional): TRUE when @name is not a valid domain name
 * @error: as bimi_dns_lookup(), except BIMI_DNS_ERROR_INVALID_NAME
 *
 * bimi_dns_lookup() for a record lookup built from hostile input (a
 * selector, a From domain): a name the resolver refuses (too long, empty
 * label) cannot hold a record, so it is answered NXDOMAIN (TTL 0, no
 * records) with @out_invalid_name set, instead of an error. DKIM key
 * (RFC 6376 §6.1.2), DMARC (RFC 9989 §4.10) and BIMI (RFC 9 draft §4.6)
 * discovery all treat it so.
 *
 * Returns: (transfer full): the answer, or NULL with @error set.
 */
BimiDnsAnswer *bimi_dns_lookup_record(BimiDnsResolver *resolver, const char *name, BimiDnsType type,
                                      gboolean *out_invalid_name, GError **error);

/**
 * bimi_dns_lookup_record_deadline:
 * @deadline_monotonic_us: as bimi_dns_lookup_deadline()
 *
 * bimi_dns_lookup_record() under an overall deadline (SPF's RFC 7208 §4.6.4
 * elapsed-time limit; §4.3: a name that cannot be queried does not exist).
 * Other parameters, errors and the return value as bimi_dns_lookup_record().
 */
BimiDnsAnswer *bimi_dns_lookup_record_deadline(BimiDnsResolver *resolver, const char *name, BimiDnsType type,
                                               gint64 deadline_monotonic_us, gboolean *out_invalid_name,
                                               GError **error);

/**
 * bimi_dns_lookup_deadline:
 * @resolver: the shared resolver
 * @name: as bimi_dns_lookup()
 * @type: RR type
 * @deadline_monotonic_us: absolute deadline on the g_get_monotonic_time()
 *        clock (microseconds), shared by the several lookups of one check;
 *        G_MAXINT64 = none
 * @error: as bimi_dns_lookup()
 *
 * bimi_dns_lookup() with an overall budget: waits until the earlier of the
 * per-query deadline (now + the configured timeout) and
 * @deadline_monotonic_us. When the caller's deadline is the one that passes,
 * the answer is temperror with detail "deadline" (not "timeout"); when it has
 * already passed, nothing is asked and the answer is at once temperror
 * "deadline" (the name is still checked: a bad name is an error). This is how
 * SPF (RFC 7208 §4.6.4 elapsed-time limit) and FCrDNS bound a whole check.
 *
 * Returns: (transfer full): the answer, or NULL with @error set.
 */
BimiDnsAnswer *bimi_dns_lookup_deadline(BimiDnsResolver *resolver, const char *name, BimiDnsType type,
                                        gint64 deadline_monotonic_us, GError **error);

/**
 * bimi_dns_resolver_count_queries:
 * @resolver: a resolver
 *
 * Starts (or restarts from zero) counting the questions bimi_dns_lookup() and
 * bimi_dns_lookup_deadline() are asked, per name: tests and diagnostics
 * (how many queries one evaluation makes). Off by default: the table grows
 * with every distinct name. Thread-safe.
 */
void bimi_dns_resolver_count_queries(BimiDnsResolver *resolver);

/**
 * bimi_dns_resolver_get_query_count:
 * @resolver: a resolver
 * @name: (nullable): a query name (any case, no trailing dot), or NULL for all names
 *
 * Returns: the questions asked for @name (every type; CNAME targets followed
 * are not counted apart) since bimi_dns_resolver_count_queries(); 0 when
 * counting is off.
 */
guint bimi_dns_resolver_get_query_count(BimiDnsResolver *resolver, const char *name);

/* ---- the answer cache ------------------------------------------------------- */

/**
 * BimiDnsClock:
 * @data: the pointer given to bimi_dns_resolver_set_clock()
 *
 * Returns: now on a monotonic clock, in microseconds (the default is
 * g_get_monotonic_time()).
 */
typedef gint64 (*BimiDnsClock)(gpointer data);

/**
 * bimi_dns_resolver_set_clock:
 * @resolver: a resolver before its first lookup
 * @clock: (nullable): the clock the answer cache ages its entries by; NULL
 *         for g_get_monotonic_time()
 * @data: (transfer none): passed to @clock; must outlive @resolver
 *
 * Injects the time of the answer cache (tests: a TTL that runs out without
 * waiting). Deadlines of questions on the network keep the real clock.
 */
void bimi_dns_resolver_set_clock(BimiDnsResolver *resolver, BimiDnsClock clock, gpointer data);

/** Counters of the answer cache of one resolver, since it was created. */
typedef struct {
  guint64 hits;       /**< lookups answered from the cache, on the calling thread */
  guint64 misses;     /**< lookups that were not (each then asks libunbound) */
  guint64 insertions; /**< answers stored */
  guint64 evictions;  /**< entries dropped to stay within BIMI_DNS_CACHE_MAX_ENTRIES / _MAX_BYTES */
  guint64 expirations; /**< entries dropped because their TTL ran out */
  guint64 questions;  /**< questions handed to libunbound (CNAME hops count one each) */
  guint entries;      /**< answers held now */
  gsize bytes;        /**< bytes held now (names, RDATA, overhead), at most BIMI_DNS_CACHE_MAX_BYTES */
} BimiDnsCacheStats;

/**
 * bimi_dns_resolver_get_cache_stats:
 * @resolver: a resolver
 * @out: (out caller-allocates): the counters
 *
 * Thread-safe; the counters of different stripes are read one after the
 * other, so under load they are a near, not an atomic, snapshot.
 */
void bimi_dns_resolver_get_cache_stats(BimiDnsResolver *resolver, BimiDnsCacheStats *out);

/**
 * bimi_dns_resolver_is_cached:
 * @resolver: a resolver
 * @name: as bimi_dns_lookup() (an invalid name is never cached: FALSE)
 * @type: RR type
 *
 * Whether bimi_dns_lookup() of (@name, @type) would be answered from the
 * answer cache now, without waiting for the network: callers decide with
 * it whether work is cheap enough to run inline rather than on a thread
 * pool. Counts neither a hit nor a miss. Thread-safe.
 */
gboolean bimi_dns_resolver_is_cached(BimiDnsResolver *resolver, const char *name, BimiDnsType type);

/** The per-query deadline of @resolver, in milliseconds (the configured value or the default). */
guint bimi_dns_resolver_get_timeout_ms(BimiDnsResolver *resolver);

/** Answers counted since the resolver was built (bimi_dns_resolver_get_stats()). */
typedef struct {
  guint64 answers[BIMI_DNS_TEMPERROR + 1]; /**< by BimiDnsStatus */
  guint64 timeouts;                        /**< of the TEMPERROR answers: the deadline passed */
} BimiDnsStats;

/**
 * bimi_dns_resolver_get_stats:
 * @resolver: a resolver
 * @out: (out caller-allocates): the answers of every bimi_dns_lookup*() call so far, by status, and the
 *   timeouts among them (the metrics endpoint exposes them). Thread-safe.
 */
void bimi_dns_resolver_get_stats(BimiDnsResolver *resolver, BimiDnsStats *out);

/** "NOERROR" "NODATA" "NXDOMAIN" "TEMPERROR". (transfer none) */
const char *bimi_dns_status_to_string(BimiDnsStatus status);
/** "A", "TXT"...; NULL for a type outside BimiDnsType. (transfer none) */
const char *bimi_dns_type_to_string(BimiDnsType type);
/** Parses "a"/"TXT"/... case-insensitively; FALSE when unknown. */
gboolean bimi_dns_type_from_string(const char *text, BimiDnsType *out_type);

/**
 * bimi_dns_reverse_name:
 * @address: IPv4 or IPv6 address
 *
 * Returns: (transfer full): "4.3.2.1.in-addr.arpa" or the 32-nibble
 * "....ip6.arpa" name (RFC 1035 §3.5, RFC 3596 §2.5), no trailing dot.
 */
char *bimi_dns_reverse_name(GInetAddress *address);

G_END_DECLS

#endif /* BIMI_DNS_H */
