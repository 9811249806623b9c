/* engine/dkim-key.c — DKIM key records, RFC 6376 §3.6.1, RFC 8463 §4, RFC 8301 §3.2.
 *
 * Tags: v= (optional; when present it must be the first tag and equal
 * "DKIM1"), h= (acceptable hashes; absent = all), k= (rsa default, ed25519),
 * n= (ignored), p= (base64 with FWS allowed; empty = revoked), s= (service
 * types: "*" or "email" must be listed), t= (flags y and s; unknown flags are
 * ignored). Unknown tags are ignored (§3.6.1 "MUST be ignored").
 *
 * The key cache (BimiDkimKeyCache, the end of this file) keeps decoded keys
 * per key name for the TTL of their record, as OpenDKIM's QueryCache and
 * rspamd's key cache do: base64 and DER decoding cost more than an RSA-2048
 * verification (issue 21).
 *
 * The verification memo (bimi_dkim_key_cache_set_verify_memo(), off unless
 * asked for): the outcomes of signature verifications with the cache's keys,
 * by SHA-256(key fingerprint, algorithm, header-data digest, b= value). RSA
 * PKCS#1 v1.5 and Ed25519 verification are pure functions of those, so a
 * message verified again (webmail evaluates a message on each view) gets the
 * same outcome without the public-key operation. An outcome is remembered only
 * when OpenSSL gave one (never an internal failure). At most the memo's bound;
 * one more and it starts empty.
 *
 * Deliberate choices:
 *  - RSA p= is a SubjectPublicKeyInfo (§3.6.1 "RSAPublicKey ... wrapped in
 *    SubjectPublicKeyInfo"); a bare PKCS#1 RSAPublicKey is also accepted, as
 *    dkimpy and OpenDKIM do, because such records exist in the wild.
 *  - Ed25519 p= must be the raw 32-byte key (RFC 8463 §4); an SPKI-wrapped
 *    key is invalid (Mail::DKIM badkey1_ed25519 agrees).
 *  - The obsolete g= tag of RFC 4871 is ignored: RFC 6376 removed it.
 *  - The key size limit (BIMI_DKIM_MAX_KEY_BITS) is checked on the decoded
 *    DER length before OpenSSL parses it, and on the parsed modulus after.
 */
#include "engine/dkim-private.h"
#include "engine/base/base-base64.h"
#include "engine/base/base-der.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-text.h"
#include "engine/limits.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

static void
set_base64_error(const BimiBase64Error *e, gsize max_out, const char *what, GError **error)
{
  if (e->status == BIMI_BASE64_TOO_LONG)
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_LIMIT,
                "%s decodes to %" G_GSIZE_FORMAT " bytes, more than the %" G_GSIZE_FORMAT " allowed", what, e->out_len,
                max_out);
  else if (e->status == BIMI_BASE64_BAD_CHAR)
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID,
                "%s is not valid base64 (bad character at offset %" G_GSIZE_FORMAT ")", what, e->offset);
  else /* BAD_LENGTH: offset is the length */
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "%s is not valid base64 (length %" G_GSIZE_FORMAT ")",
                what, e->offset);
}

GBytes *
bimi_dkim__base64_decode(const char *text, gsize len, gsize max_out, const char *what, GError **error)
{
  BimiBase64Error e;
  GBytes *out = bimi_base64_decode(text, len, max_out, BIMI_BASE64_STRICT, &e);

  if (out == NULL)
    set_base64_error(&e, max_out, what, error);
  return out;
}

gboolean
bimi_dkim__base64_decode_fws(const char *text, gsize len, guint8 *out, gsize out_size, gsize *out_len, const char *what,
                             GError **error)
{
  BimiBase64Error e;

  if (bimi_base64_decode_to(text, len, BIMI_BASE64_SKIP_FWS, out, out_size, out_len, &e))
    return TRUE;
  set_base64_error(&e, out_size, what, error);
  return FALSE;
}

/* The verification memo, shared by a cache and the keys it decoded (keys may outlive the cache). */
typedef struct _BimiDkimVerifyMemo {
  GMutex lock;
  GHashTable *outcomes; /* 32-byte id (owned, with the outcome as a 33rd byte) → itself */
  guint max_entries;
  guint64 hits, misses;
} VerifyMemo;

static guint
id_hash(gconstpointer id)
{
  guint h;
  memcpy(&h, id, sizeof h); /* a SHA-256 output: any 4 bytes are uniform */
  return h;
}

static gboolean
id_equal(gconstpointer a, gconstpointer b)
{
  return memcmp(a, b, 32) == 0;
}

static void
memo_clear(VerifyMemo *m)
{
  g_hash_table_unref(m->outcomes);
  g_mutex_clear(&m->lock);
}

static VerifyMemo *
memo_new(guint max_entries)
{
  VerifyMemo *m = g_atomic_rc_box_new0(VerifyMemo);
  g_mutex_init(&m->lock);
  m->outcomes = g_hash_table_new_full(id_hash, id_equal, g_free, NULL);
  m->max_entries = max_entries;
  return m;
}

static void
memo_unref(VerifyMemo *m)
{
  if (m != NULL)
    g_atomic_rc_box_release_full(m, (GDestroyNotify) memo_clear);
}

gboolean
bimi_dkim__key_verify_memo_lookup(const BimiDkimKey *key, BimiDkimAlgorithm algorithm, const guint8 *hash,
                                  const guint8 *sig, gsize sig_len, guint8 *id, gboolean *ok)
{
  VerifyMemo *m = key->memo;
  guint8 alg = (guint8) algorithm;
  const guint8 *known;
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  unsigned int len = 0;

  g_return_val_if_fail(m != NULL, FALSE);
  if (c == NULL || EVP_DigestInit_ex(c, bimi_dkim__sha256(), NULL) != 1 ||
      EVP_DigestUpdate(c, key->fingerprint, sizeof key->fingerprint) != 1 || EVP_DigestUpdate(c, &alg, 1) != 1 ||
      EVP_DigestUpdate(c, hash, 32) != 1 || EVP_DigestUpdate(c, sig, sig_len) != 1 ||
      EVP_DigestFinal_ex(c, id, &len) != 1)
    g_error("dkim: SHA-256 failed");
  EVP_MD_CTX_free(c);
  g_mutex_lock(&m->lock);
  known = g_hash_table_lookup(m->outcomes, id);
  if (known != NULL) {
    *ok = known[32];
    m->hits++;
  } else {
    m->misses++;
  }
  g_mutex_unlock(&m->lock);
  return known != NULL;
}

void
bimi_dkim__key_verify_memo_store(const BimiDkimKey *key, const guint8 *id, gboolean ok)
{
  VerifyMemo *m = key->memo;
  guint8 *entry = g_malloc(33);

  g_return_if_fail(m != NULL);
  memcpy(entry, id, 32);
  entry[32] = ok ? 1 : 0;
  g_mutex_lock(&m->lock);
  if (g_hash_table_size(m->outcomes) >= m->max_entries)
    g_hash_table_remove_all(m->outcomes);
  g_hash_table_add(m->outcomes, entry); /* a racing twin is replaced: same outcome */
  g_mutex_unlock(&m->lock);
}

/* What the last reference releases; g_atomic_rc_box_release_full() frees the box. */
BIMI_DEFINE_ATOMIC_RC_FUNCS(BimiDkimKey, bimi_dkim__key, key)
{
  memo_unref(key->memo);
  EVP_PKEY_CTX_free(key->rsa_sha256);
  EVP_PKEY_free(key->pkey);
  g_mutex_clear(key->lock);
  g_free(key->lock);
}

const EVP_MD *
bimi_dkim__sha256(void)
{
  static gsize once = 0;
  static EVP_MD *md;
  if (g_once_init_enter(&once)) {
    md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (md == NULL)
      g_error("dkim: OpenSSL has no SHA-256");
    g_once_init_leave(&once, 1);
  }
  return md;
}

int
bimi_dkim__key_verify_rsa_sha256(const BimiDkimKey *key, const guint8 *sig, gsize sig_len, const guint8 *hash)
{
  g_mutex_lock(key->lock);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_dup(key->rsa_sha256);
  g_mutex_unlock(key->lock);
  if (ctx == NULL)
    return -1;
  int rc = EVP_PKEY_verify(ctx, sig, sig_len, hash, 32);
  EVP_PKEY_CTX_free(ctx);
  return rc == 1 ? 1 : 0;
}

/* The template context of bimi_dkim__key_verify_rsa_sha256(). */
static EVP_PKEY_CTX *
rsa_sha256_template(EVP_PKEY *pkey)
{
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
  if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx, bimi_dkim__sha256()) != 1) {
    EVP_PKEY_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

static gboolean
list_has(char **items, const char *a, const char *b)
{
  for (guint i = 0; items[i] != NULL; i++) {
    if (g_ascii_strcasecmp(items[i], a) == 0 || (b != NULL && g_ascii_strcasecmp(items[i], b) == 0))
      return TRUE;
  }
  return FALSE;
}

/* The colon-separated lists of RFC 6376 §3.6.1 whose items set a flag:
 * h= (acceptable hash algorithms; absent = every one) and t= (y testing,
 * s strict). A tag present sets each of its flags to whether it lists the item. */
static const struct {
  const char *tag;
  const char *item;
  glong offset; /* of a gboolean in BimiDkimKey */
} key_flags[] = {
  { "h", "sha1", G_STRUCT_OFFSET(BimiDkimKey, allows_sha1) },
  { "h", "sha256", G_STRUCT_OFFSET(BimiDkimKey, allows_sha256) },
  { "t", "y", G_STRUCT_OFFSET(BimiDkimKey, testing) },
  { "t", "s", G_STRUCT_OFFSET(BimiDkimKey, strict) },
};

/* One DER TLV (X.690 §8.1) of @tag at *p, at most 3 length octets, bounded by @end. */
static gboolean
der_read(const guint8 **p, const guint8 *end, guint8 tag, const guint8 **content, gsize *clen)
{
  BimiDerTlv tlv;
  if (!bimi_der_read_tlv(*p, (gsize) (end - *p), 3, &tlv, NULL) || tlv.tag != tag)
    return FALSE;
  *content = *p + tlv.header_len;
  *clen = tlv.body_len;
  *p = *content + tlv.body_len;
  return TRUE;
}

/* The RSAPublicKey inside a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) whose
 * algorithm is rsaEncryption (RFC 8017 A.1). OpenSSL 3's generic decoder
 * takes hundreds of microseconds per key; reading the two fixed layers here
 * and handing the PKCS#1 part to d2i_PublicKey() costs a few. */
static gboolean
spki_rsa_key(const guint8 *der, gsize len, const guint8 **key, gsize *key_len)
{
  static const guint8 rsa_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
  const guint8 *p = der, *end = der + len, *spki, *alg, *oid, *bits;
  gsize spki_len, alg_len, oid_len, bits_len;
  if (!der_read(&p, end, 0x30, &spki, &spki_len) || p != end)
    return FALSE;
  p = spki;
  end = spki + spki_len;
  if (!der_read(&p, end, 0x30, &alg, &alg_len) || !der_read(&p, end, 0x03, &bits, &bits_len) || p != end)
    return FALSE;
  const guint8 *a = alg;
  if (!der_read(&a, alg + alg_len, 0x06, &oid, &oid_len) || oid_len != sizeof rsa_oid ||
      memcmp(oid, rsa_oid, sizeof rsa_oid) != 0)
    return FALSE;
  if (bits_len < 2 || bits[0] != 0) /* no unused bits */
    return FALSE;
  *key = bits + 1;
  *key_len = bits_len - 1;
  return TRUE;
}

static EVP_PKEY *
rsa_from_der(const guint8 *der, gsize len)
{
  const guint8 *pkcs1 = der;
  gsize pkcs1_len = len;
  /* SPKI (the RFC 6376 form), else a bare RSAPublicKey (seen in the wild) */
  if (!spki_rsa_key(der, len, &pkcs1, &pkcs1_len)) {
    pkcs1 = der;
    pkcs1_len = len;
  }
  const unsigned char *p = pkcs1;
  EVP_PKEY *pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long) pkcs1_len);
  if (pkey != NULL && p == pkcs1 + pkcs1_len)
    return pkey;
  EVP_PKEY_free(pkey);
  return NULL;
}

BimiDkimKey *
bimi_dkim__key_parse(const char *text, gsize len, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (len > BIMI_DKIM_MAX_KEY_RECORD_BYTES) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_LIMIT,
                "key record of %" G_GSIZE_FORMAT " bytes exceeds BIMI_DKIM_MAX_KEY_RECORD_BYTES (%u)",
                len, BIMI_DKIM_MAX_KEY_RECORD_BYTES);
    return NULL;
  }
  g_autoptr(BimiTagList) tags = bimi_taglist_parse(text, len, BIMI_TAGLIST_FLAG_NONE, &local);
  if (tags == NULL) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_SYNTAX, "key record: %s", local->message);
    return NULL;
  }
  g_autoptr(BimiDkimKey) key = g_atomic_rc_box_new0(BimiDkimKey);
  key->lock = g_new0(GMutex, 1);
  g_mutex_init(key->lock);
  key->allows_sha1 = key->allows_sha256 = TRUE;

  const BimiTag *t = bimi_taglist_lookup(tags, "v");
  if (t != NULL) {
    if (bimi_taglist_get(tags, 0) != t) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "key record: v= is not the first tag");
      return NULL;
    }
    if (strcmp(t->value, "DKIM1") != 0) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "key record: v= is not DKIM1");
      return NULL;
    }
  }
  for (guint i = 0; i < G_N_ELEMENTS(key_flags); i++) {
    const char *v = bimi_taglist_lookup_value(tags, key_flags[i].tag);
    if (v != NULL) {
      g_auto(GStrv) items = bimi_text_split_trimmed(v, ':');
      G_STRUCT_MEMBER(gboolean, key, key_flags[i].offset) = list_has(items, key_flags[i].item, NULL);
    }
  }
  const char *v = bimi_taglist_lookup_value(tags, "k");
  if (v == NULL || strcmp(v, "rsa") == 0) {
    key->type = BIMI_DKIM_KEY_TYPE_RSA;
  } else if (strcmp(v, "ed25519") == 0) {
    key->type = BIMI_DKIM_KEY_TYPE_ED25519;
  } else {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "key record: unknown key type k=");
    return NULL;
  }
  v = bimi_taglist_lookup_value(tags, "s");
  if (v != NULL) {
    g_auto(GStrv) items = bimi_text_split_trimmed(v, ':');
    if (!list_has(items, "*", "email")) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID,
                  "key record: service types s= exclude email");
      return NULL;
    }
  }

  t = bimi_taglist_lookup(tags, "p");
  if (t == NULL) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "key record: no p= tag");
    return NULL;
  }
  g_autofree char *b64 = bimi_taglist_value_strip_ws(t);
  if (b64[0] == '\0') {
    key->revoked = TRUE;
    return g_steal_pointer(&key);
  }
  g_autoptr(GBytes) der = bimi_dkim__base64_decode(b64, strlen(b64), BIMI_DKIM_MAX_KEY_BITS / 8 + 128,
                                                   "p=", error);
  if (der == NULL)
    return NULL;
  gsize der_len;
  const guint8 *der_data = g_bytes_get_data(der, &der_len);
  if (EVP_Digest(der_data, der_len, key->fingerprint, NULL, bimi_dkim__sha256(), NULL) != 1)
    g_error("dkim: SHA-256 failed");
  if (key->type == BIMI_DKIM_KEY_TYPE_ED25519) {
    if (der_len != 32) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID,
                  "key record: Ed25519 p= is %" G_GSIZE_FORMAT " bytes, not 32 (RFC 8463 §4)", der_len);
      return NULL;
    }
    key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der_data, der_len);
    if (key->pkey == NULL) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "key record: p= is not an Ed25519 key");
      return NULL;
    }
    key->bits = 256;
    return g_steal_pointer(&key);
  }
  key->pkey = rsa_from_der(der_data, der_len);
  if (key->pkey == NULL || EVP_PKEY_get_base_id(key->pkey) != EVP_PKEY_RSA) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "key record: p= is not an RSA public key");
    return NULL;
  }
  int bits = EVP_PKEY_get_bits(key->pkey);
  if (bits <= 0 || (guint) bits > BIMI_DKIM_MAX_KEY_BITS) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_LIMIT,
                "key record: RSA key of %d bits exceeds BIMI_DKIM_MAX_KEY_BITS (%u)", bits,
                BIMI_DKIM_MAX_KEY_BITS);
    return NULL;
  }
  key->bits = (guint) bits;
  key->rsa_sha256 = rsa_sha256_template(key->pkey);
  ERR_clear_error();
  return g_steal_pointer(&key);
}

/* ---- the decoded-key cache ------------------------------------------------ */

typedef struct {
  char *qname;
  GBytes *record;   /* the record text the key was decoded from */
  BimiDkimKey *key; /* (owned) */
  gint64 expires;   /* Unix seconds: usable while now < expires */
  GList link;       /* in the cache's insertion order, oldest first */
} KeyEntry;

struct _BimiDkimKeyCache {
  GMutex lock;
  GHashTable *by_name; /* qname → KeyEntry* (owned) */
  GQueue order;        /* of KeyEntry*, oldest first: evicted first */
  guint max_entries;
  BimiDkimKeyCacheStats stats;
  VerifyMemo *memo;    /* (nullable) the verification memo, given to each key kept */
};

BIMI_DEFINE_STATIC_FREE_FUNC(KeyEntry, entry_free, e)
{
  g_free(e->qname);
  g_bytes_unref(e->record);
  bimi_dkim__key_unref(e->key);
}

BimiDkimKeyCache *
bimi_dkim_key_cache_new(guint max_entries)
{
  BimiDkimKeyCache *c = g_new0(BimiDkimKeyCache, 1);
  g_mutex_init(&c->lock);
  c->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) entry_free);
  g_queue_init(&c->order);
  c->max_entries = max_entries == 0 || max_entries > BIMI_DKIM_KEY_CACHE_MAX_ENTRIES
                     ? BIMI_DKIM_KEY_CACHE_MAX_ENTRIES
                     : max_entries;
  return c;
}

BIMI_DEFINE_FREE_FUNC(BimiDkimKeyCache, bimi_dkim_key_cache_free, cache)
{
  g_hash_table_destroy(cache->by_name);
  memo_unref(cache->memo);
  g_mutex_clear(&cache->lock);
}

BimiDkimKey *
bimi_dkim__key_cache_lookup(BimiDkimKeyCache *cache, const char *qname, gint64 now)
{
  BimiDkimKey *key = NULL;
  g_mutex_lock(&cache->lock);
  KeyEntry *e = g_hash_table_lookup(cache->by_name, qname);
  if (e != NULL && now < e->expires) {
    key = bimi_dkim__key_ref(e->key);
    cache->stats.hits++;
  } else {
    cache->stats.misses++;
  }
  g_mutex_unlock(&cache->lock);
  return key;
}

BimiDkimKey *
bimi_dkim__key_cache_parse(BimiDkimKeyCache *cache, const char *qname, GBytes *record, guint32 ttl, gint64 now,
                           GError **error)
{
  gsize len;
  const char *text = g_bytes_get_data(record, &len);
  gint64 expires = now + MIN(ttl, BIMI_DKIM_KEY_CACHE_MAX_TTL_SECONDS);

  /* The same record as the (maybe expired) entry: its key, for longer. */
  g_mutex_lock(&cache->lock);
  KeyEntry *e = g_hash_table_lookup(cache->by_name, qname);
  if (e != NULL && g_bytes_equal(e->record, record)) {
    BimiDkimKey *key = bimi_dkim__key_ref(e->key);
    e->expires = expires;
    g_mutex_unlock(&cache->lock);
    return key;
  }
  g_mutex_unlock(&cache->lock);

  /* Decoded outside the lock: two threads may both decode a new record;
   * the later one replaces the earlier, both keys are good. */
  BimiDkimKey *key = bimi_dkim__key_parse(text != NULL ? text : "", len, error);
  g_mutex_lock(&cache->lock);
  cache->stats.parses++;
  if (key == NULL || ttl == 0) {
    g_mutex_unlock(&cache->lock);
    return key;
  }
  e = g_hash_table_lookup(cache->by_name, qname);
  if (e != NULL) {
    g_queue_unlink(&cache->order, &e->link);
    g_hash_table_remove(cache->by_name, qname);
  }
  while (g_hash_table_size(cache->by_name) >= cache->max_entries) {
    KeyEntry *oldest = cache->order.head->data;
    g_queue_unlink(&cache->order, &oldest->link);
    g_hash_table_remove(cache->by_name, oldest->qname);
    cache->stats.evictions++;
  }
  if (cache->memo != NULL && key->pkey != NULL && key->memo == NULL) /* not yet shared: ours to set */
    key->memo = g_atomic_rc_box_acquire(cache->memo);
  e = g_new0(KeyEntry, 1);
  e->qname = g_strdup(qname);
  e->record = g_bytes_ref(record);
  e->key = bimi_dkim__key_ref(key);
  e->expires = expires;
  e->link.data = e;
  g_queue_push_tail_link(&cache->order, &e->link);
  g_hash_table_insert(cache->by_name, e->qname, e);
  g_mutex_unlock(&cache->lock);
  return key;
}

void
bimi_dkim_key_cache_get_stats(BimiDkimKeyCache *cache, BimiDkimKeyCacheStats *out_stats)
{
  g_mutex_lock(&cache->lock);
  *out_stats = cache->stats;
  out_stats->entries = g_hash_table_size(cache->by_name);
  g_mutex_unlock(&cache->lock);
  if (cache->memo != NULL) {
    g_mutex_lock(&cache->memo->lock);
    out_stats->memo_hits = cache->memo->hits;
    out_stats->memo_misses = cache->memo->misses;
    out_stats->memo_entries = g_hash_table_size(cache->memo->outcomes);
    g_mutex_unlock(&cache->memo->lock);
  }
}

void
bimi_dkim_key_cache_set_verify_memo(BimiDkimKeyCache *cache, guint max_entries)
{
  g_return_if_fail(cache != NULL);
  g_mutex_lock(&cache->lock);
  memo_unref(cache->memo);
  cache->memo = max_entries > 0 ? memo_new(MIN(max_entries, BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES)) : NULL;
  g_mutex_unlock(&cache->lock);
}
