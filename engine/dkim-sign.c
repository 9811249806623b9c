/* engine/dkim-sign.c — the DKIM signer (RFC 6376 §5: §5.4 header selection, §5.5
 * computing the hashes, §3.5 the field; RFC 8463 §3 ed25519-sha256; RFC 8301 key
 * sizes), for the mails that carry aggregate reports (issue 15).
 *
 * It shares the verifier's canonicalization instead of having its own: the body hash
 * comes from the verifier's body hasher, and the header data from
 * bimi_dkim__header_data() applied to the message with the new field on top (its b=
 * holding a placeholder that the function deletes, as it deletes the real one when
 * verifying). What this code signs is therefore exactly what engine/dkim verifies.
 */
#include "engine/dkim.h"
#include "engine/base/base-mem.h"
#include "engine/dkim-private.h"
#include "engine/base/base-domain.h"
#include "engine/limits.h"
#include "engine/message.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

struct _BimiDkimSigner {
  char *domain;
  char *selector;
  EVP_PKEY *key;
  BimiDkimAlgorithm algorithm;
};

/* RFC 6376 §5.4.1 recommends these; each instance present is signed. */
static const char *const signed_names[] = {
  "from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding",
};

BIMI_DEFINE_FREE_FUNC(BimiDkimSigner, bimi_dkim_signer_free, s)
{
  BIMI_FREE_ALL(s->domain, s->selector);
  EVP_PKEY_free(s->key);
}

BimiDkimAlgorithm
bimi_dkim_signer_get_algorithm(const BimiDkimSigner *s)
{
  g_return_val_if_fail(s != NULL, BIMI_DKIM_ALG_UNKNOWN);
  return s->algorithm;
}

BimiDkimSigner *
bimi_dkim_signer_new(const char *domain, const char *selector, const char *key_pem, gsize key_len, GError **error)
{
  g_autoptr(BimiDkimSigner) s = NULL;
  BIO *bio;
  int bits;

  g_return_val_if_fail(domain != NULL && selector != NULL && key_pem != NULL, NULL);
  if (!bimi_domain_check(domain, strlen(domain), BIMI_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_UNDERSCORE, NULL)) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "signing domain \"%s\" is not a domain name", domain);
    return NULL;
  }
  if (!bimi_domain_check(selector, strlen(selector), BIMI_DNS_MAX_NAME_BYTES, 1, BIMI_DOMAIN_UNDERSCORE, NULL)) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "selector \"%s\" is not a sequence of DNS labels",
                selector);
    return NULL;
  }
  if (key_len > G_MAXINT) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "private key too large");
    return NULL;
  }
  s = g_new0(BimiDkimSigner, 1);
  s->domain = g_ascii_strdown(domain, -1);
  s->selector = g_strdup(selector);
  bio = BIO_new_mem_buf(key_pem, (int) key_len);
  s->key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  if (s->key == NULL) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "not a PEM private key");
    return NULL;
  }
  switch (EVP_PKEY_get_base_id(s->key)) {
  case EVP_PKEY_RSA:
    bits = EVP_PKEY_get_bits(s->key);
    if (bits < (int) BIMI_DKIM_MIN_RSA_BITS || bits > (int) BIMI_DKIM_MAX_KEY_BITS) {
      g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_LIMIT, "RSA key of %d bits: outside %u..%u (RFC 8301 §3.2)",
                  bits, BIMI_DKIM_MIN_RSA_BITS, BIMI_DKIM_MAX_KEY_BITS);
      return NULL;
    }
    s->algorithm = BIMI_DKIM_ALG_RSA_SHA256;
    break;
  case EVP_PKEY_ED25519:
    s->algorithm = BIMI_DKIM_ALG_ED25519_SHA256;
    break;
  default:
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "key type is neither RSA nor Ed25519");
    return NULL;
  }
  return g_steal_pointer(&s);
}

/* The signature of @data by @s (RFC 6376 §3.7; RFC 8463 §3: Ed25519 signs the SHA-256). */
static GBytes *
sign_data(const BimiDkimSigner *s, const guint8 *data, gsize len, GError **error)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  guint8 hash[32];
  unsigned int hl = 0;
  gsize sig_len = 0;
  guint8 *sig = NULL;
  gboolean ok;

  if (ctx == NULL)
    goto fail;
  if (s->algorithm == BIMI_DKIM_ALG_ED25519_SHA256) {
    ok = EVP_Digest(data, len, hash, &hl, EVP_sha256(), NULL) == 1 &&
         EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->key) == 1 &&
         EVP_DigestSign(ctx, NULL, &sig_len, hash, hl) == 1;
    if (ok) {
      sig = g_malloc(sig_len);
      ok = EVP_DigestSign(ctx, sig, &sig_len, hash, hl) == 1;
    }
  } else {
    ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->key) == 1 &&
         EVP_DigestSign(ctx, NULL, &sig_len, data, len) == 1;
    if (ok) {
      sig = g_malloc(sig_len);
      ok = EVP_DigestSign(ctx, sig, &sig_len, data, len) == 1;
    }
  }
  EVP_MD_CTX_free(ctx);
  if (ok)
    return g_bytes_new_take(sig, sig_len);
  g_free(sig);
fail:
  g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INTERNAL, "OpenSSL: signing failed");
  return NULL;
}

/* Appends @b64 folded: lines of at most 76 columns after a tab. */
static void
append_folded(GString *out, const char *b64, gsize first_room)
{
  gsize n = strlen(b64), i = 0, room = first_room;

  while (i < n) {
    gsize take = MIN(room, n - i);
    g_string_append_len(out, b64 + i, (gssize) take);
    i += take;
    if (i < n)
      g_string_append(out, "\r\n\t ");
    room = 72;
  }
}

char *
bimi_dkim_signer_sign(BimiDkimSigner *s, GBytes *message, gint64 now, GError **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail(s != NULL && message != NULL, NULL);
  g_autoptr(BimiMessage) msg = bimi_message_parse(message, &local);
  if (msg == NULL) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_SYNTAX, "message: %s", local->message);
    return NULL;
  }
  if (bimi_message_count_fields(msg, "from") == 0) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID, "message: no From field to sign (RFC 6376 §5.4)");
    return NULL;
  }

  /* §5.5 body hash, relaxed. */
  g_autoptr(BimiDkimBodyHasher) hasher = bimi_dkim__body_hasher_new(BIMI_DKIM_CANON_RELAXED, EVP_sha256(),
                                                                    G_MAXUINT64);
  gsize body_len;
  const guint8 *body = bimi_message_get_body(msg, &body_len);
  guint8 digest[EVP_MAX_MD_SIZE];
  guint64 canon_len = 0;
  bimi_dkim__body_hasher_update(hasher, body, body_len);
  guint digest_len = bimi_dkim__body_hasher_finish(hasher, digest, &canon_len);
  g_autofree char *bh = g_base64_encode(digest, digest_len);

  /* The field without its signature. */
  g_autoptr(GString) field = g_string_new("DKIM-Signature: v=1; a=");
  g_string_append(field, s->algorithm == BIMI_DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256");
  g_string_append_printf(field, "; c=relaxed/relaxed;\r\n\td=%s; s=%s; t=%" G_GINT64_FORMAT ";\r\n\th=", s->domain,
                         s->selector, now);
  guint n_names = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(signed_names); i++) {
    guint count = bimi_message_count_fields(msg, signed_names[i]) + (strcmp(signed_names[i], "from") == 0 ? 1 : 0);
    for (guint k = 0; k < count; k++) {
      if (n_names > 0)
        g_string_append(field, n_names % 5 == 0 ? ":\r\n\t " : ":");
      g_string_append(field, signed_names[i]);
      n_names++;
    }
  }
  g_string_append_printf(field, ";\r\n\tbh=%s;\r\n\tb=", bh);

  /* §5.5: hash the header fields as the verifier will, on the message with the field on top.
   * The placeholder b= value is deleted by bimi_dkim__header_data() like the real one. */
  gsize canon_size;
  const guint8 *canon_data = g_bytes_get_data(bimi_message_get_canonical(msg), &canon_size);
  g_autoptr(GByteArray) both = g_byte_array_new();
  g_byte_array_append(both, (const guint8 *) field->str, (guint) field->len);
  g_byte_array_append(both, (const guint8 *) "AAAA\r\n", 6);
  g_byte_array_append(both, canon_data, (guint) canon_size);
  g_autoptr(GBytes) both_bytes = g_byte_array_free_to_bytes(g_steal_pointer(&both));
  g_autoptr(BimiMessage) signed_msg = bimi_message_parse(both_bytes, &local);
  if (signed_msg == NULL) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_SYNTAX, "message with signature: %s", local->message);
    return NULL;
  }
  const BimiHeaderField *f = bimi_message_get_field(signed_msg, 0);
  g_autoptr(BimiDkimSigParams) p = bimi_dkim__sig_parse(f->value, f->value_length, &local);
  if (p == NULL) {
    g_set_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INTERNAL, "the signature field does not parse: %s",
                local->message);
    return NULL;
  }
  g_autoptr(GByteArray) data = bimi_dkim__header_data(signed_msg, f, p);
  g_autoptr(GBytes) sig = sign_data(s, data->data, data->len, error);
  if (sig == NULL)
    return NULL;
  g_autofree char *b = g_base64_encode(g_bytes_get_data(sig, NULL), g_bytes_get_size(sig));
  append_folded(field, b, 72);
  g_string_append(field, "\r\n");
  return g_string_free(g_steal_pointer(&field), FALSE);
}
