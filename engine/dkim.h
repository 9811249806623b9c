/* engine/dkim.h — DKIM signature verification (RFC 6376, RFC 8463, RFC 8301).
 *
 * bimi_dkim_verify() gives every DKIM-Signature field of a message a result
 * (RFC 8601 §2.7.1 names: pass fail neutral temperror permerror policy) and a
 * short reason. The results are plain data (BimiDkimSignature) that DMARC,
 * BIMI and the A-R writer consume: d=, i=, s=, the algorithm, the key size,
 * the h= list (bimi_dkim_signature_covers_header()), l= facts.
 *
 * The key lookup is a function (BimiDkimKeyFetchFunc) so that the verifier can
 * be driven by DNS (bimi_dkim_key_fetch_dns(), over engine/dns) or by a table
 * of records in tests.
 *
 * Policy choices (see engine/dkim.c for the RFC text behind each):
 *  - rsa-sha1 never passes (RFC 8301 §3.1): a cryptographically valid rsa-sha1
 *    signature is "policy", an invalid one "fail".
 *  - RSA keys under BIMI_DKIM_MIN_RSA_BITS (1024) give "fail" "key too short"
 *    (RFC 8301 §3.2); keys over BIMI_DKIM_MAX_KEY_BITS give "permerror".
 *  - x= is checked against the caller's "now"; a t= in the future is accepted
 *    (RFC 6376 §3.5 "MAY ignore"; real signers have clock skew).
 *
 * Thread-safety: no global state; a verification may run on any thread.
 */
#ifndef BIMI_DKIM_H
#define BIMI_DKIM_H

#include <glib.h>
#include "engine/message.h"
#include "engine/dns.h"
#include "engine/authres.h"
#include "engine/base/base-json.h"

G_BEGIN_DECLS

#define BIMI_DKIM_ERROR (bimi_dkim_error_quark())
GQuark bimi_dkim_error_quark(void);

/** What stopped an evaluation (results, including permerror, are data). */
typedef enum {
  BIMI_DKIM_ERROR_SYNTAX,   /**< a DKIM-Signature value or key record does not parse (message says where) */
  BIMI_DKIM_ERROR_INVALID,  /**< it parses but breaks an RFC 6376 rule (missing tag, bad value...) */
  BIMI_DKIM_ERROR_LIMIT,    /**< a limit of engine/limits.h was exceeded */
  BIMI_DKIM_ERROR_INTERNAL, /**< OpenSSL failed where it should not (allocation, context) */
} BimiDkimError;

/** Result of one signature (RFC 8601 §2.7.1). */
typedef enum {
  BIMI_DKIM_RESULT_PASS,
  BIMI_DKIM_RESULT_FAIL,
  BIMI_DKIM_RESULT_NEUTRAL,
  BIMI_DKIM_RESULT_TEMPERROR,
  BIMI_DKIM_RESULT_PERMERROR,
  BIMI_DKIM_RESULT_POLICY,
} BimiDkimResult;

/** "pass" "fail" "neutral" "temperror" "permerror" "policy". (transfer none) */
const char *bimi_dkim_result_to_string(BimiDkimResult result);

/** Signing algorithms (RFC 6376 §3.3, RFC 8463 §3). */
typedef enum {
  BIMI_DKIM_ALG_UNKNOWN,
  BIMI_DKIM_ALG_RSA_SHA1,
  BIMI_DKIM_ALG_RSA_SHA256,
  BIMI_DKIM_ALG_ED25519_SHA256,
} BimiDkimAlgorithm;

/** Canonicalization algorithms (RFC 6376 §3.4). */
typedef enum {
  BIMI_DKIM_CANON_SIMPLE,
  BIMI_DKIM_CANON_RELAXED,
} BimiDkimCanon;

/**
 * BimiDkimSignature:
 *
 * The verdict on one DKIM-Signature field, plain data. Strings are owned by
 * the struct, NUL-terminated, NULL when the tag was absent or the signature
 * did not parse far enough. Free with bimi_dkim_signature_free().
 */
/** Whether DMARC found a signature's d= aligned with the Author Domain. */
typedef enum {
  BIMI_DKIM_ALIGNMENT_UNKNOWN,  /**< DMARC has not looked at it (zero: the initial value) */
  BIMI_DKIM_ALIGNMENT_ALIGNED,
  BIMI_DKIM_ALIGNMENT_NOT_ALIGNED,
} BimiDkimAlignment;

typedef struct {
  BimiDkimResult result;
  /** Why (human-readable, ASCII, no attacker bytes unescaped): "body hash
   * mismatch", "signature verification failed", "key revoked", "no key",
   * "key too short", "signature expired", "h= lacks from"... Never NULL. */
  char *reason;
  guint field_index;          /**< index of the field in the message (bimi_message_get_field()) */
  guint signature_number;     /**< 0-based order among the DKIM-Signature fields, top first */
  char *domain;               /**< d=, lower case */
  char *identity;             /**< i= as written (or "@" + d= when absent) */
  char *identity_domain;      /**< the domain part of i=, lower case */
  char *selector;             /**< s= */
  char *algorithm_name;       /**< a= as written ("rsa-sha256") */
  BimiDkimAlgorithm algorithm;
  BimiDkimCanon header_canon; /**< c= header part (default simple) */
  BimiDkimCanon body_canon;   /**< c= body part (default simple) */
  /** h= names as written, in order (over-signed names repeat). NULL-terminated; NULL when unparsed. */
  char **signed_headers;
  char *b_prefix;             /**< first 8 base64 chars of b= (RFC 6008 header.b), or NULL */
  gint64 timestamp;           /**< t=, Unix seconds, -1 when absent */
  gint64 expiration;          /**< x=, Unix seconds, -1 when absent */
  guint key_bits;             /**< public key size in bits (RSA modulus; 256 for Ed25519), 0 when no key was used */
  gboolean key_testing;       /**< key record has t=y (RFC 6376 §3.6.1): the domain is testing DKIM */
  gboolean key_strict;        /**< key record has t=s */
  gboolean body_length_limited; /**< l= present: content after l bytes is unsigned (RFC 6376 §8.2) */
  guint64 body_length;        /**< l= value (canonical bytes signed) when body_length_limited */
  guint64 body_bytes_unsigned; /**< canonical body bytes after l= (0 without l=) */
  /** DMARC's Identifier Alignment of d= with the Author Domain (RFC 7489 §3.1.1, RFC 9989 §4.4.1), recorded
   * by bimi_dmarc_evaluate_message(); UNKNOWN until DMARC has looked at this signature. BIMI reads it to find
   * the aligned signature that must cover BIMI-Selector. */
  BimiDkimAlignment aligned_with_from;
} BimiDkimSignature;

void bimi_dkim_signature_free(BimiDkimSignature *sig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDkimSignature, bimi_dkim_signature_free)

/**
 * bimi_dkim_signature_covers_header:
 * @name: a header field name, compared ASCII case-insensitively
 *
 * Returns: TRUE when @name is listed in h= (the signature covers at least the
 * bottom-most instance of that field, RFC 6376 §5.4.2). BIMI uses it for
 * "does this passing signature cover BIMI-Selector".
 */
gboolean bimi_dkim_signature_covers_header(const BimiDkimSignature *sig, const char *name);

/**
 * bimi_dkim_signature_build_json:
 * @writer: a BimiJsonWriter where a value is expected (transfer none)
 *
 * Adds the signature as one JSON object, the shape of the service's
 * auth.dkim[] and of `bimi dkim --json`: result, reason, d, i, s, a, c, h,
 * t, x, key_bits, key_testing, body_length_limited, body_length (l=, or
 * null), body_bytes_unsigned, header_b, and aligned_with_from (true/false
 * once DMARC has recorded it in the signature, else null). Absent values are null.
 */
void bimi_dkim_signature_build_json(const BimiDkimSignature *sig, BimiJsonWriter *writer);

/** How a key lookup ended (RFC 6376 §6.1.2). */
typedef enum {
  BIMI_DKIM_KEY_FOUND,     /**< NOERROR with TXT records in *out_records */
  BIMI_DKIM_KEY_NONE,      /**< NXDOMAIN or NODATA → permerror "no key" */
  BIMI_DKIM_KEY_TEMPERROR, /**< SERVFAIL, timeout → temperror */
} BimiDkimKeyStatus;

/**
 * BimiDkimKeyFetchFunc:
 * @qname: "<selector>._domainkey.<domain>", lower case, no trailing dot
 * @out_records: (out) (transfer full) (element-type GBytes): on FOUND, each TXT
 *   record's character-strings joined (RFC 6376 §3.6.2.2); the caller frees it
 * @out_detail: (out) (transfer full) (optional): on TEMPERROR, a short cause
 * @out_ttl: (out): on FOUND, seconds the records may be kept (the DNS TTL);
 *   the caller sets it to 0 first, and 0 means "do not keep"
 * @user_data: the fetcher's data
 *
 * Looks up the key records of one signature.
 */
typedef BimiDkimKeyStatus (*BimiDkimKeyFetchFunc)(const char *qname, GPtrArray **out_records,
                                                  char **out_detail, guint32 *out_ttl, gpointer user_data);

/**
 * bimi_dkim_key_fetch_dns:
 * @user_data: a BimiDnsResolver * (transfer none)
 *
 * The DNS fetcher: a TXT query through engine/dns. NXDOMAIN and NODATA give
 * NONE, TEMPERROR gives TEMPERROR, an invalid name gives NONE.
 */
BimiDkimKeyStatus bimi_dkim_key_fetch_dns(const char *qname, GPtrArray **out_records,
                                          char **out_detail, guint32 *out_ttl, gpointer user_data);

/**
 * BimiDkimKeyCache:
 *
 * Decoded DKIM keys (RFC 6376 §3.6.1) by key name, each kept for the TTL of
 * its record (at most BIMI_DKIM_KEY_CACHE_MAX_TTL_SECONDS), at most
 * BIMI_DKIM_KEY_CACHE_MAX_ENTRIES names (the oldest entry goes first).
 * While an entry is fresh the verifier neither asks the fetcher nor decodes;
 * once it has expired the fetcher is asked again, and a record identical to
 * the one kept reuses its decoded key. Only usable keys' records are kept:
 * failures and "no key" are not. Thread-safe: one cache serves every thread
 * of a process.
 */
typedef struct _BimiDkimKeyCache BimiDkimKeyCache;

/** Counters of a key cache, for tests and metrics. */
typedef struct {
  guint64 hits;      /**< lookups answered from a fresh entry */
  guint64 misses;    /**< lookups that went to the fetcher */
  guint64 parses;    /**< records decoded, good or bad (a record seen again after expiry is not) */
  guint64 evictions; /**< entries dropped for room */
  guint entries;     /**< names held now */
  guint64 memo_hits;   /**< verifications answered by the verification memo */
  guint64 memo_misses; /**< verifications the memo did not know (then made) */
  guint memo_entries;  /**< outcomes the memo holds now */
} BimiDkimKeyCacheStats;

/**
 * bimi_dkim_key_cache_new:
 * @max_entries: names held at most; 0 or more than
 *   BIMI_DKIM_KEY_CACHE_MAX_ENTRIES means BIMI_DKIM_KEY_CACHE_MAX_ENTRIES
 *
 * Returns: (transfer full): an empty cache; free with bimi_dkim_key_cache_free()
 * once no verification uses it.
 */
BimiDkimKeyCache *bimi_dkim_key_cache_new(guint max_entries);
void bimi_dkim_key_cache_free(BimiDkimKeyCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDkimKeyCache, bimi_dkim_key_cache_free)

/**
 * bimi_dkim_key_cache_get_stats:
 * @out_stats: (out caller-allocates): the counters and size now
 */
void bimi_dkim_key_cache_get_stats(BimiDkimKeyCache *cache, BimiDkimKeyCacheStats *out_stats);

/**
 * bimi_dkim_key_cache_set_verify_memo:
 * @max_entries: outcomes kept at most (0: no memo, the default; more than
 *   BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES means BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES)
 *
 * Gives the keys this cache keeps from now on a verification memo (issue 21):
 * the outcome of each DKIM or ARC signature verification with such a key
 * (rsa-sha256 and ed25519-sha256, RFC 6376 §3.3, RFC 8463 §3), by
 * SHA-256(key fingerprint, algorithm, header-data digest, b=). A verification
 * is a pure function of those, so a message verified again gets the same
 * outcome without the public-key operation. One outcome more than
 * @max_entries and the memo starts empty. Call it before the first
 * verification; the counters are in bimi_dkim_key_cache_get_stats().
 */
void bimi_dkim_key_cache_set_verify_memo(BimiDkimKeyCache *cache, guint max_entries);

/** Verification settings. Zero-initialise, then set what you need. */
typedef struct {
  gint64 now;                    /**< Unix seconds used for x= (RFC 6376 §3.5); never read from the clock */
  guint max_signatures;          /**< signatures verified; 0 = BIMI_DKIM_DEFAULT_MAX_SIGNATURES; at most BIMI_DKIM_MAX_SIGNATURES */
  BimiDkimKeyFetchFunc key_fetch; /**< required */
  gpointer key_fetch_data;
  BimiDkimKeyCache *key_cache;   /**< optional: decoded keys kept across messages, `now` is its clock */
} BimiDkimOptions;

/**
 * bimi_dkim_verify:
 * @msg: a parsed message (transfer none)
 * @options: settings (transfer none)
 * @error: BIMI_DKIM_ERROR_LIMIT when @options->max_signatures exceeds
 *   BIMI_DKIM_MAX_SIGNATURES; BIMI_DKIM_ERROR_INTERNAL when OpenSSL fails
 *
 * Verifies every DKIM-Signature field (RFC 6376 §6.1), top first. The first
 * max_signatures get a full verification; the others get permerror "too many
 * signatures". The body is canonicalized and hashed in one pass per distinct
 * (body canonicalization, hash, l=) triple, straight from the message buffer.
 *
 * Returns: (transfer full) (element-type BimiDkimSignature): one entry per
 * DKIM-Signature field in message order (empty when there is none), or NULL
 * with @error set.
 */
GPtrArray *bimi_dkim_verify(const BimiMessage *msg, const BimiDkimOptions *options, GError **error);

/**
 * bimi_dkim_signatures_add_authres:
 * @signatures: (element-type BimiDkimSignature): the results of bimi_dkim_verify() (transfer none)
 * @ar: where to append (transfer none)
 *
 * Appends one "dkim=<result>" per signature (RFC 8601 §2.7.1) with header.d,
 * header.s and header.b (RFC 6008 prefix), and the reason when not pass; a
 * lone "dkim=none" when there is no signature.
 */
void bimi_dkim_signatures_add_authres(const GPtrArray *signatures, BimiAuthres *ar);

/* ---- signing (RFC 6376 §5, RFC 8463), engine/dkim-sign.c ---------------- */

/** A signing identity: d=, s= and the private key. Opaque; thread-safe once built. */
typedef struct _BimiDkimSigner BimiDkimSigner;

/**
 * bimi_dkim_signer_new:
 * @domain: d= (a host name, stored lower case)
 * @selector: s= (a DNS label sequence: letters, digits, '-', '_', '.')
 * @key_pem: (array length=key_len): the private key, PEM (PKCS#8 or traditional RSA)
 * @key_len: bytes of @key_pem
 * @error: BIMI_DKIM_ERROR_INVALID (bad domain or selector, not a PEM private key,
 *   a key type other than RSA and Ed25519), BIMI_DKIM_ERROR_LIMIT (RSA smaller than
 *   BIMI_DKIM_MIN_RSA_BITS or larger than BIMI_DKIM_MAX_KEY_BITS)
 *
 * RSA keys sign rsa-sha256 (RFC 6376 §3.3.1, RFC 8301), Ed25519 keys ed25519-sha256
 * (RFC 8463 §3).
 *
 * Returns: (transfer full): the signer, or NULL with @error.
 */
BimiDkimSigner *bimi_dkim_signer_new(const char *domain, const char *selector, const char *key_pem, gsize key_len,
                                     GError **error);
void bimi_dkim_signer_free(BimiDkimSigner *signer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDkimSigner, bimi_dkim_signer_free)

/** The algorithm the signer's key signs with. */
BimiDkimAlgorithm bimi_dkim_signer_get_algorithm(const BimiDkimSigner *signer);

/**
 * bimi_dkim_signer_sign:
 * @signer: the signer
 * @message: (transfer none): the message to sign (LF or CRLF line ends)
 * @now: t=, Unix seconds
 * @error: BIMI_DKIM_ERROR_SYNTAX (the message does not parse: engine/message's
 *   error text), BIMI_DKIM_ERROR_INVALID (no From field), BIMI_DKIM_ERROR_INTERNAL
 *   (OpenSSL failed)
 *
 * Signs with c=relaxed/relaxed over the header fields From, To, Cc, Subject, Date,
 * Message-ID, MIME-Version, Content-Type, Content-Transfer-Encoding present in
 * @message (each instance) plus one more From (over-signing, RFC 6376 §8.15). The
 * header data and the body hash come from the verifier's own canonicalization
 * (bimi_dkim__header_data(), the body hasher), so what this signs, bimi_dkim_verify()
 * checks byte for byte.
 *
 * Returns: (transfer full): the whole field "DKIM-Signature: ...\r\n", folded below
 * 78 columns, to put on top of the header section; NULL with @error.
 */
char *bimi_dkim_signer_sign(BimiDkimSigner *signer, GBytes *message, gint64 now, GError **error);

G_END_DECLS

#endif /* BIMI_DKIM_H */
