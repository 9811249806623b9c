/* engine/dns-zone.h — RFC 1035 §5 master-file parser of the DNS module (internal).
 *
 * bimi_dns_resolver_add_zone_data() is the public way in; this header exists
 * so the parser can be tested and fuzzed without a libunbound context.
 */
#ifndef BIMI_DNS_ZONE_H
#define BIMI_DNS_ZONE_H

#include "engine/dns-private.h"

G_BEGIN_DECLS

/** RR type SOA (RFC 1035 §3.3.13): accepted in zone files, never asked for. */
#define BIMI_DNS__TYPE_SOA 6

/**
 * BimiDnsZoneRecord:
 * One resource record of a master file, normalised: the owner absolute,
 * the RDATA re-written in a canonical presentation form that libunbound's
 * parser accepts unchanged (every escape resolved and re-escaped).
 */
typedef struct {
  BimiDnsName owner;
  guint32 ttl;      /**< seconds */
  guint16 type;     /**< a BimiDnsType, or BIMI_DNS__TYPE_SOA */
  char *rdata;      /**< canonical presentation RDATA */
  guint line;       /**< line of the record's first token in its source */
} BimiDnsZoneRecord;

void bimi_dns__zone_record_free(BimiDnsZoneRecord *record);

/**
 * bimi_dns__zone_record_to_string:
 *
 * Returns: (transfer full): "owner. TTL IN TYPE RDATA", the text
 * ub_ctx_data_add() takes.
 */
char *bimi_dns__zone_record_to_string(const BimiDnsZoneRecord *record);

/**
 * BimiDnsZone:
 * The records loaded so far from any number of sources, as far as the
 * cross-record rules need them: per owner name, how many records of each
 * type (CNAME exclusivity, RFC 2181 §10.1; RRset size) and the total count.
 */
typedef struct _BimiDnsZone BimiDnsZone;

/** @max_records: most records over all sources (BIMI_MAX_ZONE_RECORDS). (transfer full) */
BimiDnsZone *bimi_dns__zone_new(guint max_records);
void bimi_dns__zone_free(BimiDnsZone *zone);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDnsZone, bimi_dns__zone_free)

/** Records accepted so far over all sources. */
guint bimi_dns__zone_record_count(const BimiDnsZone *zone);

/**
 * bimi_dns__zone_parse:
 * @zone: the records loaded so far (checked against, updated on success)
 * @text: (array length=len): master-file text, untrusted, not NUL-terminated
 * @len: bytes of @text (the caller enforces BIMI_MAX_ZONE_FILE_BYTES)
 * @source: file name for messages
 * @default_origin: (nullable): origin before the first $ORIGIN ("." when NULL)
 * @error: BIMI_DNS_ERROR_ZONE_SYNTAX or BIMI_DNS_ERROR_LIMIT, message
 *         "SOURCE:LINE: what was wrong"
 *
 * RFC 1035 §5.1 with RFC 2308 §4 ($TTL): $ORIGIN (absolute or relative to
 * the current origin), $TTL, "@", relative names, an omitted owner (line
 * starting with a blank: the previous owner), TTL and class in either order
 * and each optional, TTL units (1h30m, as BIND), "( )" across lines, ";"
 * comments, quoted and unquoted character-strings with "\X" and "\DDD",
 * RFC 3597 "\# LEN HEX" generic RDATA. Types A AAAA MX PTR TXT SPF CNAME NS
 * SOA; class IN only. A record without TTL gets $TTL, else the last explicit
 * TTL (RFC 1035), else BIMI_DNS_ZONE_DEFAULT_TTL. $INCLUDE is refused
 * (offline data must be self-contained).
 *
 * All or nothing: on error @zone is unchanged.
 *
 * Returns: (transfer full) (element-type BimiDnsZoneRecord): the records of
 * this source in file order, or NULL with @error.
 */
GPtrArray *bimi_dns__zone_parse(BimiDnsZone *zone, const char *text, gsize len, const char *source,
                                const char *default_origin, GError **error);

G_END_DECLS

#endif /* BIMI_DNS_ZONE_H */
