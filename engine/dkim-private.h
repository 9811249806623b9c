/* engine/dkim-private.h — DKIM internals shared by engine/dkim*.c, tests and fuzzers. */
#ifndef BIMI_DKIM_PRIVATE_H
#define BIMI_DKIM_PRIVATE_H

#include "engine/dkim.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"
#include "engine/taglist.h"

#include <openssl/evp.h>

G_BEGIN_DECLS

/* ---- DKIM-Signature (RFC 6376 §3.5), engine/dkim.c ------------------- */

/** Which signature header a tag-list is read as. ARC (RFC 8617 §4.1.2,
 * §4.1.3) reuses the DKIM-Signature rules with these differences:
 *  - AMS: no v=; i= is the ARC instance (1..50), not an identity; h= need not
 *    list From and may hold empty entries (they select nothing).
 *  - SEAL: no v=, no bh=, no c= (relaxed header canonicalization), h= is
 *    forbidden; cv= is required (its value is checked by engine/arc.c). */
typedef enum {
  BIMI_DKIM_SIG_KIND_DKIM,
  BIMI_DKIM_SIG_KIND_ARC_AMS,
  BIMI_DKIM_SIG_KIND_ARC_SEAL,
} BimiDkimSigKind;

/** A DKIM-Signature value that passed every syntax and semantic rule of §3.5. */
typedef struct {
  BimiTagList *tags;         /* owns the strings below that point into it */
  BimiDkimAlgorithm algorithm;
  const char *algorithm_name;
  BimiDkimCanon header_canon;
  BimiDkimCanon body_canon;
  char *domain;              /* d=, lower case */
  char *identity;            /* i= or "@" d= */
  char *identity_domain;     /* lower case */
  const char *selector;      /* s= */
  char **signed_headers;     /* h=, trimmed */
  guint8 b[BIMI_DKIM_MAX_SIGNATURE_BYTES]; /* decoded b=, b_len bytes */
  gsize b_len;
  guint8 bh[EVP_MAX_MD_SIZE];              /* decoded bh=, bh_len bytes (0: an ARC-Seal has none) */
  gsize bh_len;
  char *b_prefix;            /* the first 8 base64 characters of b= */
  gboolean has_length;
  guint64 length;            /* l= */
  gint64 timestamp;          /* t= or -1 */
  gint64 expiration;         /* x= or -1 */
  gsize b_raw_offset;        /* raw b= value range within the parsed value */
  gsize b_raw_len;
  guint instance;            /* ARC i= (1..BIMI_ARC_MAX_SETS); 0 for DKIM */
} BimiDkimSigParams;

void bimi_dkim__sig_params_free(BimiDkimSigParams *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDkimSigParams, bimi_dkim__sig_params_free)

/**
 * bimi_dkim__sig_parse:
 * @value: the DKIM-Signature field value (after the colon), untrusted, @len bytes
 * @error: BIMI_DKIM_ERROR_SYNTAX (tag-list), _INVALID (RFC 6376 §3.5 rule; the
 *   message names the tag), _LIMIT
 *
 * Returns: (transfer full): the parameters, or NULL.
 */
BimiDkimSigParams *bimi_dkim__sig_parse(const char *value, gsize len, GError **error);

/**
 * bimi_dkim__sig_parse_kind:
 * @kind: DKIM-Signature, ARC-Message-Signature or ARC-Seal rules (see
 *   BimiDkimSigKind)
 *
 * As bimi_dkim__sig_parse(), for any of the three signature fields. For
 * SEAL, @signed_headers is an empty list, @bh_len 0 and @header_canon relaxed.
 * Errors as bimi_dkim__sig_parse() (messages name the field).
 */
BimiDkimSigParams *bimi_dkim__sig_parse_kind(const char *value, gsize len, BimiDkimSigKind kind,
                                             GError **error);

/**
 * bimi_dkim__base64_decode: (in dkim-key.c, over bimi_base64_decode() of engine/base)
 * @text: base64 (RFC 6376 §2.7 base64string) with the FWS already removed, @len bytes
 * @max_out: most decoded bytes accepted
 * @what: tag name for messages ("b=", "p=")
 * @error: BIMI_DKIM_ERROR_INVALID (bad character, misplaced "=", impossible
 *   length) or _LIMIT (more than @max_out bytes)
 *
 * Strict decoding: only A-Z a-z 0-9 + / and at most two final "="; padding
 * may be omitted. Returns: (transfer full): the bytes, or NULL.
 */
GBytes *bimi_dkim__base64_decode(const char *text, gsize len, gsize max_out, const char *what,
                                 GError **error);

/**
 * bimi_dkim__base64_decode_fws:
 * @text: base64 with FWS (SP, HTAB, CR, LF) anywhere, @len bytes
 * @out: (out caller-allocates): @out_size bytes, the most accepted
 * @out_len: (out): decoded bytes
 *
 * As bimi_dkim__base64_decode(), skipping FWS (RFC 6376 §3.5 b=, bh=), into
 * @out: no allocation. Offsets and lengths in messages count the base64
 * characters only. Returns: TRUE, or FALSE with @error set.
 */
gboolean bimi_dkim__base64_decode_fws(const char *text, gsize len, guint8 *out, gsize out_size, gsize *out_len,
                                      const char *what, GError **error);

/**
 * bimi_dkim__header_data:
 * @sig_field: the DKIM-Signature field whose value @p was parsed from
 *
 * The data the signature covers (RFC 6376 §3.7, §5.4.2): the h= fields
 * chosen bottom-up and canonicalized, then @sig_field with the b= value
 * deleted and without its final CRLF. Returns: (transfer full).
 */
GByteArray *bimi_dkim__header_data(const BimiMessage *msg, const BimiHeaderField *sig_field,
                                   const BimiDkimSigParams *p);

/**
 * bimi_dkim__header_data_skip:
 * @skip: (nullable): one gboolean per header field of @msg (indexed like
 *   bimi_message_get_field()); TRUE fields are treated as absent
 *
 * As bimi_dkim__header_data(), on the message as it was before the @skip
 * fields were added (ARC: an older AMS is checked without the ARC sets that
 * later hops added, RFC 8617 §5.2 step 5). Returns: (transfer full).
 */
GByteArray *bimi_dkim__header_data_skip(const BimiMessage *msg, const BimiHeaderField *sig_field,
                                        const BimiDkimSigParams *p, const gboolean *skip);

/* ---- key records (RFC 6376 §3.6.1, RFC 8463 §4), engine/dkim-key.c ---- */

typedef enum {
  BIMI_DKIM_KEY_TYPE_RSA,
  BIMI_DKIM_KEY_TYPE_ED25519,
} BimiDkimKeyType;

typedef struct {
  BimiDkimKeyType type;
  EVP_PKEY *pkey;            /* NULL when revoked */
  gboolean revoked;          /* p= empty */
  guint bits;
  gboolean allows_sha1;      /* h= (absent = every hash) */
  gboolean allows_sha256;
  gboolean testing;          /* t=y */
  gboolean strict;           /* t=s */
  /* RSA: a verification context set up once (RSASSA-PKCS1-v1_5, SHA-256),
   * duplicated for each verification under @lock: setting one up costs
   * about as much as an RSA-2048 verification (provider fetches). */
  EVP_PKEY_CTX *rsa_sha256;
  GMutex *lock;              /* (owned) a key is shared read-only; this guards the dup */
  guint8 fingerprint[32];    /* SHA-256 of the decoded p= bytes: names the key in the verification memo */
  struct _BimiDkimVerifyMemo *memo; /* (owned ref) (nullable) set by a key cache with a memo, before sharing */
} BimiDkimKey;

/* SHA-256, fetched from the default provider once (an implicit fetch on each
 * EVP_DigestInit_ex takes a lock and a hash lookup). (transfer none) */
const EVP_MD *bimi_dkim__sha256(void);

/* RSASSA-PKCS1-v1_5 verification of @sig over the SHA-256 @hash with an RSA
 * key: 1 good, 0 bad, -1 OpenSSL failed. */
int bimi_dkim__key_verify_rsa_sha256(const BimiDkimKey *key, const guint8 *sig, gsize sig_len, const guint8 *hash);

/**
 * bimi_dkim__key_verify_memo_lookup:
 * @key: a key with a memo (@key->memo != NULL)
 * @algorithm: the signature's a= (BIMI_DKIM_ALG_RSA_SHA256 or _ED25519_SHA256)
 * @hash: the SHA-256 of the header data (32 bytes)
 * @sig, @sig_len: the decoded b= value
 * @id: (out caller-allocates): 32 bytes, the memo key SHA-256(key fingerprint, @algorithm, @hash, @sig)
 *   to give bimi_dkim__key_verify_memo_store() after a verification
 * @ok: (out): the remembered outcome, when known
 *
 * A signature verification is a pure function of the public key, the signed
 * data's digest and the signature: its outcome can be remembered.
 * Returns: TRUE when the outcome is known.
 */
gboolean bimi_dkim__key_verify_memo_lookup(const BimiDkimKey *key, BimiDkimAlgorithm algorithm, const guint8 *hash,
                                           const guint8 *sig, gsize sig_len, guint8 *id, gboolean *ok);
/* Remembers @ok for @id (from bimi_dkim__key_verify_memo_lookup()) in @key's memo. */
void bimi_dkim__key_verify_memo_store(const BimiDkimKey *key, const guint8 *id, gboolean ok);

/* Keys are reference-counted (the key cache shares them): _ref takes one
 * (@key not NULL), _unref drops one (NULL does nothing). */
BIMI_DECLARE_ATOMIC_RC_FUNCS(BimiDkimKey, bimi_dkim__key)

/**
 * bimi_dkim__key_parse:
 * @text: one key record (TXT strings joined), untrusted, @len bytes, at most
 *   BIMI_DKIM_MAX_KEY_RECORD_BYTES
 * @error: BIMI_DKIM_ERROR_SYNTAX, _INVALID (v= not first or not DKIM1, unknown
 *   k=, s= without email, bad base64, not a key of type k=, wrong Ed25519
 *   length), _LIMIT (record size, key larger than BIMI_DKIM_MAX_KEY_BITS)
 *
 * A revoked key (empty p=) is returned with @revoked set and no pkey.
 * Returns: (transfer full): the key, or NULL.
 */
BimiDkimKey *bimi_dkim__key_parse(const char *text, gsize len, GError **error);

/**
 * bimi_dkim__key_cache_lookup:
 * @qname: the key name, lower case
 * @now: Unix seconds
 *
 * Returns: (transfer full) (nullable): the key of a fresh entry (now before
 * its expiry), or NULL.
 */
BimiDkimKey *bimi_dkim__key_cache_lookup(BimiDkimKeyCache *cache, const char *qname, gint64 now);

/**
 * bimi_dkim__key_cache_parse:
 * @record: the one key record fetched for @qname (transfer none)
 * @ttl: seconds it may be kept (0 = not kept)
 * @error: as bimi_dkim__key_parse()
 *
 * bimi_dkim__key_parse() through the cache: the record of an entry for @qname
 * (even expired) gives its key back without decoding; else the record is
 * decoded and, when @ttl > 0, kept until @now + @ttl (at most
 * BIMI_DKIM_KEY_CACHE_MAX_TTL_SECONDS), evicting the oldest entry when full.
 * Returns: (transfer full): the key, or NULL.
 */
BimiDkimKey *bimi_dkim__key_cache_parse(BimiDkimKeyCache *cache, const char *qname, GBytes *record, guint32 ttl,
                                        gint64 now, GError **error);

/* ---- canonicalization (RFC 6376 §3.4), engine/dkim-canon.c ------------ */

/**
 * bimi_dkim__canon_header:
 * @out: bytes are appended here
 * @name, @name_len: the field name (no WSP before the colon)
 * @field, @field_len: the whole field as in the message (simple form)
 * @value, @value_len: the value after the colon, without the final CRLF
 *
 * Appends the field in @canon form (RFC 6376 §3.4.1 / §3.4.2), ending in CRLF.
 */
void bimi_dkim__canon_header(GByteArray *out, BimiDkimCanon canon, const char *name, gsize name_len,
                             const char *field, gsize field_len, const char *value, gsize value_len);

/**
 * bimi_dkim__canon_header_hole:
 * @out: bytes are appended here
 * @f: the header field (in the message's canonical buffer)
 * @hole_offset, @hole_len: bytes of @f's value left out, as if deleted
 *   before canonicalization: the b= value of a signature field (RFC 6376
 *   §3.7, "with the value of the b= tag ... deleted"). @hole_offset must not
 *   follow a CR (a tag value follows its '=').
 *
 * As bimi_dkim__canon_header() on @f with the hole deleted, without copying
 * the field.
 */
void bimi_dkim__canon_header_hole(GByteArray *out, BimiDkimCanon canon, const BimiHeaderField *f, gsize hole_offset,
                                  gsize hole_len);

/**
 * bimi_dkim__canon_set_vector:
 * @allow: FALSE: the relaxed body canonicalizer uses its SSE2 (or word)
 *   path even where the CPU has AVX-512 BW + VBMI2; TRUE: the default, the
 *   widest the CPU has
 *
 * For tests and the fuzz target, which check every path against the
 * byte-wise reference. Not thread-safe: call before hashing.
 * Returns: whether the path asked for is in use (FALSE for TRUE on a CPU or
 * build without AVX-512).
 */
gboolean bimi_dkim__canon_set_vector(gboolean allow);

/** Streaming body canonicalizer + hasher (RFC 6376 §3.4.3, §3.4.4, §3.7). */
typedef struct _BimiDkimBodyHasher BimiDkimBodyHasher;

/**
 * bimi_dkim__body_hasher_new:
 * @md: EVP_sha1() or EVP_sha256()
 * @limit: l= value, or G_MAXUINT64 for none
 */
BimiDkimBodyHasher *bimi_dkim__body_hasher_new(BimiDkimCanon canon, const EVP_MD *md, guint64 limit);
/** Feeds @len body bytes (CRLF line ends); any chunking gives the same hash. */
void bimi_dkim__body_hasher_update(BimiDkimBodyHasher *h, const guint8 *data, gsize len);
/**
 * bimi_dkim__body_hasher_finish:
 * @digest: (out caller-allocates): EVP_MAX_MD_SIZE bytes
 * @canon_len: (out): canonical body length in bytes (before the l= cut)
 * Returns: the digest length.
 */
guint bimi_dkim__body_hasher_finish(BimiDkimBodyHasher *h, guint8 *digest, guint64 *canon_len);
void bimi_dkim__body_hasher_free(BimiDkimBodyHasher *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiDkimBodyHasher, bimi_dkim__body_hasher_free)

/* ---- shared with engine/arc.c (RFC 8617 reuses DKIM verification) ---- */

/**
 * bimi_dkim__fetch_key:
 * @options: key_fetch and key_fetch_data are used (transfer none)
 * @p: a parsed signature (selector, domain, algorithm, identity)
 * @out_key: (out) (transfer full): the key, set whenever a record parsed
 *   (also when it is unusable), else NULL
 * @out_result: (out): the verdict when the key is unusable
 * @out_reason: (out) (transfer full): why, when unusable
 *
 * Looks up and checks the key of @p (RFC 6376 §6.1.2, §3.6.1; RFC 8301 §3.2
 * minimum RSA size). Returns: TRUE when the key can verify @p.
 */
gboolean bimi_dkim__fetch_key(const BimiDkimOptions *options, const BimiDkimSigParams *p,
                              BimiDkimKey **out_key, BimiDkimResult *out_result, char **out_reason);

/**
 * bimi_dkim__verify_data:
 * @data, @len: the header data (bimi_dkim__header_data())
 * @ok: (out): TRUE when b= verifies under @key
 * @error: BIMI_DKIM_ERROR_INTERNAL when OpenSSL cannot set up
 *
 * RSA PKCS#1 v1.5 with the hash of a=, or Ed25519 over SHA-256(data) (RFC
 * 8463 §3). Returns: FALSE only with @error set.
 */
gboolean bimi_dkim__verify_data(const BimiDkimSigParams *p, const BimiDkimKey *key,
                                const guint8 *data, gsize len, gboolean *ok, GError **error);

G_END_DECLS

#endif /* BIMI_DKIM_PRIVATE_H */
