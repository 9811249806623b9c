/* engine/dns-private.h — helpers shared by engine/dns.c and engine/dns-zone.c
 * (domain names in wire and presentation form, RDATA decoding). Library
 * internal: only the DNS module, its tests and its fuzz target include it.
 */
#ifndef BIMI_DNS_PRIVATE_H
#define BIMI_DNS_PRIVATE_H

#include "engine/dns.h"
#include "engine/limits.h"

G_BEGIN_DECLS

/** Longest domain name in wire form, including the root label (RFC 1035 §2.3.4). */
#define BIMI_DNS__MAX_WIRE_NAME 255u

/**
 * BimiDnsName:
 * A domain name in uncompressed wire form (RFC 1035 §3.1): length-prefixed
 * labels ending with the zero-length root label. @len counts every byte
 * including the final zero, so the root name has len 1.
 */
typedef struct {
  guint8 wire[BIMI_DNS__MAX_WIRE_NAME];
  gsize len;
} BimiDnsName;

/**
 * bimi_dns__name_from_text:
 * @text: (array length=len): presentation form (RFC 1035 §5.1): labels
 *        separated by '.', "\X" quotes X, "\DDD" is the octet DDD (decimal)
 * @len: bytes of @text (not NUL-terminated)
 * @origin: (nullable): appended when @text does not end with an unescaped
 *          '.'; NULL means the root, so "example.com" and "example.com."
 *          are the same name
 * @out: (out caller-allocates): the name
 * @error: BIMI_DNS_ERROR_INVALID_NAME (empty name or label, label longer
 *         than 63 octets, name longer than 255 octets in wire form, bad escape)
 *
 * "." alone is the root. "@" has no special meaning here (the zone parser
 * handles it).
 */
gboolean bimi_dns__name_from_text(const char *text, gsize len, const BimiDnsName *origin,
                                  BimiDnsName *out, GError **error);

/** Flags of bimi_dns__name_to_text(). */
typedef enum {
  BIMI_DNS__NAME_LOWER = 1 << 0,        /**< ASCII letters to lower case */
  BIMI_DNS__NAME_TRAILING_DOT = 1 << 1, /**< absolute form "a.b." (the root is "." either way) */
  BIMI_DNS__NAME_MASTER = 1 << 2,       /**< also escape '"' '(' ')' ';' '@' '$' (master-file text) */
} BimiDnsNameFlags;

/**
 * bimi_dns__name_to_text:
 * @name: a valid wire name
 *
 * Presentation form: '.' and '\\' are written "\X", octets outside
 * 0x21..0x7e (space included) "\DDD" (RFC 1035 §5.1), so the text parses
 * back to the same name with bimi_dns__name_from_text(). With
 * BIMI_DNS__NAME_MASTER the characters a master file gives a meaning to are
 * escaped too, for text handed to a zone-file parser (ours, libunbound's).
 *
 * Returns: (transfer full): the text.
 */
char *bimi_dns__name_to_text(const BimiDnsName *name, BimiDnsNameFlags flags);

/**
 * bimi_dns__name_from_wire:
 * @data: (array length=len): RDATA bytes holding an uncompressed wire name
 * @len: bytes available
 * @consumed: (out): bytes of @data that the name took
 *
 * Reads a name as it appears inside RDATA handed out by libunbound (which
 * stores RRsets uncompressed). Compression pointers and extended label
 * types are refused rather than followed: there is no message to follow
 * them into.
 *
 * Returns: FALSE (no GError: the caller reports "malformed RDATA") when the
 * name runs past @len, exceeds 255 octets or uses a pointer.
 */
gboolean bimi_dns__name_from_wire(const guint8 *data, gsize len, gsize *consumed, BimiDnsName *out);

/** TRUE when both names are equal ignoring ASCII case (RFC 4343). */
gboolean bimi_dns__name_equal(const BimiDnsName *a, const BimiDnsName *b);

/**
 * bimi_dns__record_from_rdata:
 * @type: the RR type of the RDATA
 * @ttl: seconds, copied into the record
 * @rdata: (array length=len): RDATA in wire form (RFC 1035 §3.3, RFC 3596 §2.2)
 * @len: bytes of @rdata (at most 65535)
 * @error: BIMI_DNS_ERROR_RESOLVER with what is malformed (A not 4 bytes,
 *         TXT character-string longer than what is left, trailing bytes...)
 *
 * TXT/SPF: zero or more character-strings (RFC 1035 §3.3.14); the joined
 * text and each string. A/AAAA: the address. MX: preference and exchange.
 * NS/CNAME/PTR: the target name. Names come out lower case, no trailing dot.
 *
 * Returns: (transfer full): the record, or NULL with @error.
 */
BimiDnsRecord *bimi_dns__record_from_rdata(BimiDnsType type, guint32 ttl, const guint8 *rdata,
                                           gsize len, GError **error);

/** Frees one record (the GPtrArray free function of BimiDnsAnswer.records). */
void bimi_dns__record_free(BimiDnsRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDnsRecord, bimi_dns__record_free)

/* ---- the answer cache (engine/dns-cache.c) --------------------------------- */

/**
 * BimiDnsCache:
 * The in-process answer cache of one resolver: final answers (after CNAMEs,
 * after the fault list) keyed by (query name, type, class), each kept for its
 * TTL (RFC 1035 §3.2.1; RFC 2308 §5 for NXDOMAIN and NODATA). Shared by all
 * threads: the table is split into BIMI_DNS_CACHE_STRIPES stripes, each with
 * its own lock, entry and byte bounds (the limits divided by the stripe
 * count); when a stripe is full its oldest entries go first. A hit copies the
 * answer out on the calling thread; the records themselves are shared
 * (immutable, reference-counted).
 */
typedef struct _BimiDnsCache BimiDnsCache;

/* BIMI_DNS__SHARED_UNREF_FENCE(p): called just before dropping a reference to
 * @p, an object shared across threads whose reference count lives in GLib
 * (the records array of cached answers). GLib is not instrumented, so
 * ThreadSanitizer cannot see that the last unref — which frees — comes after
 * every other thread's reads; a release then an acquire on @p at every unref
 * tells it. Nothing outside a -fsanitize=thread build. */
#if defined(__SANITIZE_THREAD__)
#define BIMI_DNS__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BIMI_DNS__TSAN 1
#endif
#endif
#ifdef BIMI_DNS__TSAN
#include <sanitizer/tsan_interface.h>
#define BIMI_DNS__SHARED_UNREF_FENCE(p) (__tsan_release(p), __tsan_acquire(p))
#else
#define BIMI_DNS__SHARED_UNREF_FENCE(p) ((void) (p))
#endif

/**
 * bimi_dns__cache_new:
 * @max_entries: most answers held (BIMI_DNS_CACHE_MAX_ENTRIES in production)
 * @max_bytes: most bytes of answers held, as bimi_dns__cache_answer_bytes() counts them
 *
 * Returns: (transfer full): an empty cache.
 */
BimiDnsCache *bimi_dns__cache_new(guint max_entries, gsize max_bytes);
void bimi_dns__cache_free(BimiDnsCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDnsCache, bimi_dns__cache_free)

/**
 * bimi_dns__cache_lookup:
 * @qname: the question's name (any case: names compare case-insensitively, RFC 4343)
 * @type: the question's type; the class is always IN
 * @now_us: the resolver's clock, microseconds
 *
 * An entry whose TTL has run out by @now_us is dropped and is a miss.
 *
 * Returns: (transfer full) (nullable): a copy of the cached answer, with
 * the TTL it was received with (see engine/dns-cache.c for why not the time
 * left), or NULL on a miss.
 */
BimiDnsAnswer *bimi_dns__cache_lookup(BimiDnsCache *cache, const BimiDnsName *qname, BimiDnsType type,
                                      gint64 now_us);

/**
 * bimi_dns__cache_contains:
 *
 * bimi_dns__cache_lookup() without the copy: TRUE when a fresh answer is held.
 */
gboolean bimi_dns__cache_contains(BimiDnsCache *cache, const BimiDnsName *qname, BimiDnsType type, gint64 now_us);

/**
 * bimi_dns__cache_insert:
 * @qname: the question's name
 * @answer: (transfer none): the final answer; its ttl (seconds) is how long it is kept
 * @now_us: the resolver's clock, microseconds
 *
 * Stores @answer (replacing an older answer to the same question), evicting
 * the oldest entries of its stripe to stay within the bounds. Temperror and
 * TTL 0 answers are not stored (RFC 2308 §7: a server failure is cached, if
 * at all, for at most five minutes; we do not), nor an answer larger than a
 * stripe's byte bound.
 */
void bimi_dns__cache_insert(BimiDnsCache *cache, const BimiDnsName *qname, const BimiDnsAnswer *answer,
                            gint64 now_us);

/** Drops every entry (the zone data or the fault list changed). */
void bimi_dns__cache_clear(BimiDnsCache *cache);

/** The counters and the current size (questions, which the resolver counts, is 0). */
void bimi_dns__cache_get_stats(BimiDnsCache *cache, BimiDnsCacheStats *out);

/** The bytes @answer counts for against the byte bound: names, RDATA and fixed overhead. */
gsize bimi_dns__cache_answer_bytes(const BimiDnsAnswer *answer);

G_END_DECLS

#endif /* BIMI_DNS_PRIVATE_H */
