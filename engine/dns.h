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
 * Thread-safety: one BimiDnsResolver is shared by all worker threads;
 * bimi_dns_lookup() may be called concurrently. Configuration (zone data,
 * fault names) is added before the first lookup.
 */
#ifndef BIMI_DNS_H
#define BIMI_DNS_H

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define BIMI_DNS_ERROR (bimi_dns_error_quark())
GQuark bimi_dns_error_quark(void);

/** Errors that stop a lookup from being asked at all (results are data). */
typedef enum {
  BIMI_DNS_ERROR_INVALID_NAME,   /**< query name not a valid domain name */
  BIMI_DNS_ERROR_ZONE_SYNTAX,    /**< zone file/data does not parse (message names file:line) */
  BIMI_DNS_ERROR_LIMIT,          /**< a limit of engine/limits.h was exceeded */
  BIMI_DNS_ERROR_CONFIG,         /**< bad forwarder, trust anchor, option */
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
  BIMI_DNS_TEMPERROR, /**< SERVFAIL, timeout, bogus DNSSEC, CNAME loop */
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
  guint32 ttl;             /**< seconds: min TTL of the records, or the negative TTL */
  char *canonical_name;    /**< target after CNAMEs, NULL when no CNAME was followed */
  GPtrArray *records;      /**< of BimiDnsRecord*, empty unless status is NOERROR */
  char *detail;            /**< temperror cause ("timeout", "SERVFAIL", "bogus: ..."), else NULL */
} BimiDnsAnswer;

void bimi_dns_answer_free(BimiDnsAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDnsAnswer, bimi_dns_answer_free)

/** Resolver configuration. All strings are copied by bimi_dns_resolver_new(). */
typedef struct {
  const char *const *forwarders;   /**< NULL-terminated "ADDR[@PORT]" list, or NULL */
  const char *const *zone_files;   /**< NULL-terminated paths; non-empty means offline */
  const char *const *fault_names;  /**< NULL-terminated owner names that time out */
  const char *trust_anchor_file;   /**< DNSSEC root anchor (RFC 5011 file), or NULL */
  guint timeout_ms;                /**< per-query deadline; 0 = BIMI_DNS_DEFAULT_TIMEOUT_MS */
  gboolean offline;                /**< no network even without zone files */
} BimiDnsConfig;

typedef struct _BimiDnsResolver BimiDnsResolver;

/**
 * bimi_dns_resolver_new:
 * @config: (nullable): settings; NULL = system resolver, 4 s deadline
 * @error: BIMI_DNS_ERROR_CONFIG, _IO, _ZONE_SYNTAX, _LIMIT, _RESOLVER
 *
 * Creates the process-wide resolver: one libunbound context. With zone files
 * (or offline), the context answers only from local data, authoritatively.
 *
 * Returns: (transfer full): a new resolver (unref with bimi_dns_resolver_unref()), or NULL.
 */
BimiDnsResolver *bimi_dns_resolver_new(const BimiDnsConfig *config, GError **error);
BimiDnsResolver *bimi_dns_resolver_ref(BimiDnsResolver *resolver);
void bimi_dns_resolver_unref(BimiDnsResolver *resolver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDnsResolver, bimi_dns_resolver_unref)

/**
 * bimi_dns_resolver_add_zone_data:
 * @resolver: a resolver before its first lookup
 * @text: (array length=len): RFC 1035 master-format text (untrusted: bounded, never NUL-terminated)
 * @len: bytes of @text, at most BIMI_MAX_ZONE_FILE_BYTES
 * @source: name used in error messages ("fixtures/dns/example.zone")
 * @default_origin: (nullable): origin before any $ORIGIN ("." when NULL)
 *
 * Parses master-format records ($ORIGIN, $TTL, @, relative names, ( ),
 * multi-string TXT, \" and \DDD escapes; types A AAAA MX PTR TXT SPF CNAME NS)
 * and adds them as authoritative local data. Switches the resolver offline.
 *
 * Returns: FALSE with BIMI_DNS_ERROR_ZONE_SYNTAX ("SOURCE:LINE: what") or _LIMIT.
 */
gboolean bimi_dns_resolver_add_zone_data(BimiDnsResolver *resolver, const char *text, gsize len,
                                         const char *source, const char *default_origin,
                                         GError **error);

/**
 * bimi_dns_resolver_add_fault_name:
 * @name: owner name whose NXDOMAIN/NODATA answers become temperror ("timeout")
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
 * @error: BIMI_DNS_ERROR_INVALID_NAME (empty label, label > 63, name > 253)
 *         or BIMI_DNS_ERROR_RESOLVER (libunbound refused the query)
 *
 * Asks one question, follows CNAMEs as a resolver does (at most
 * BIMI_DNS_MAX_CNAME_CHAIN; a loop is temperror), and waits at most the
 * configured deadline (then temperror, detail "timeout").
 *
 * Returns: (transfer full): the answer — NXDOMAIN, NODATA and temperror are
 * answers, not errors — or NULL with @error set.
 */
BimiDnsAnswer *bimi_dns_lookup(BimiDnsResolver *resolver, const char *name, BimiDnsType type,
                               GError **error);

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
