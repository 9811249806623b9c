/* tests/test-dkim.c — engine/dkim: canonicalization (RFC 6376 §3.4), the
 * DKIM-Signature and key record rules (§3.5, §3.6.1), verification results
 * and reasons (§6.1, RFC 8301, RFC 8463), every DKIM limit.
 *
 * Canonicalization is checked against the RFC's own example (§3.4.6) and
 * hand-written expectations; signatures are made here with OpenSSL over the
 * verifier's canonical header data, to pin the *semantics* (over-signing,
 * l=, key rules, expiry). Interoperability with other signers is the job of
 * tests/test-dkim-suite.c and the dkimpy corpus in fixtures/dkim/.
 */
#include "engine/dkim-private.h"
#include "engine/limits.h"
#include "tests/lib/outcome.h"

#include <string.h>
#include <openssl/x509.h>

/* ---- key table fetcher ------------------------------------------------- */

typedef struct {
  GHashTable *records; /* name → GPtrArray of GBytes */
  GHashTable *tempfail; /* names that time out */
  guint lookups;
  guint32 ttl;          /* reported with every record found */
} Keys;

static Keys *
keys_new(void)
{
  Keys *k = g_new0(Keys, 1);
  k->records = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  k->tempfail = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return k;
}

static void
keys_free(Keys *k)
{
  g_hash_table_unref(k->records);
  g_hash_table_unref(k->tempfail);
  g_free(k);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Keys, keys_free)

static void
keys_add(Keys *k, const char *name, const char *text)
{
  GPtrArray *a = g_hash_table_lookup(k->records, name);
  if (a == NULL) {
    a = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    g_hash_table_insert(k->records, g_strdup(name), a);
  }
  g_ptr_array_add(a, g_bytes_new(text, strlen(text)));
}

static BimiDkimKeyStatus
keys_fetch(const char *qname, GPtrArray **out, char **detail, guint32 *ttl, gpointer data)
{
  Keys *k = data;
  k->lookups++;
  *out = NULL;
  if (g_hash_table_contains(k->tempfail, qname)) {
    *detail = g_strdup("SERVFAIL");
    return BIMI_DKIM_KEY_TEMPERROR;
  }
  GPtrArray *a = g_hash_table_lookup(k->records, qname);
  if (a == NULL)
    return BIMI_DKIM_KEY_NONE;
  *out = g_ptr_array_ref(a);
  *ttl = k->ttl;
  return BIMI_DKIM_KEY_FOUND;
}

/* ---- a test signer ------------------------------------------------------ */

static EVP_PKEY *
gen_key(const char *type, guint bits)
{
  EVP_PKEY *k = bits ? EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t) bits) : EVP_PKEY_Q_keygen(NULL, NULL, type);
  g_assert_nonnull(k);
  return k;
}

/* The key record text for @pkey: "v=DKIM1; k=...; p=..." + @extra. */
static char *
key_record(EVP_PKEY *pkey, const char *extra)
{
  g_autofree char *p = NULL;
  if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
    guint8 raw[32];
    size_t n = sizeof raw;
    g_assert_cmpint(EVP_PKEY_get_raw_public_key(pkey, raw, &n), ==, 1);
    p = g_base64_encode(raw, n);
    return g_strdup_printf("v=DKIM1; k=ed25519;%s p=%s", extra ? extra : "", p);
  }
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(pkey, &der);
  g_assert_cmpint(n, >, 0);
  p = g_base64_encode(der, (gsize) n);
  OPENSSL_free(der);
  return g_strdup_printf("v=DKIM1; k=rsa;%s p=%s", extra ? extra : "", p);
}

/* Signs @headers (CRLF lines) + @body with @tags (everything but bh= and b=)
 * and returns the whole message with the DKIM-Signature on top. */
static char *
sign(const char *headers, const char *body, const char *tags, EVP_PKEY *pkey)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *probe = g_strdup_printf("%s; bh=AAAA; b=AAAA", tags);
  g_autoptr(BimiDkimSigParams) pp = bimi_dkim__sig_parse(probe, strlen(probe), &error);
  g_assert_no_error(error);
  gboolean sha1 = pp->algorithm == BIMI_DKIM_ALG_RSA_SHA1;
  g_autoptr(BimiDkimBodyHasher) h =
      bimi_dkim__body_hasher_new(pp->body_canon, sha1 ? EVP_sha1() : EVP_sha256(), pp->has_length ? pp->length : G_MAXUINT64);
  bimi_dkim__body_hasher_update(h, (const guint8 *) body, strlen(body));
  guint8 digest[EVP_MAX_MD_SIZE];
  guint64 clen;
  guint dl = bimi_dkim__body_hasher_finish(h, digest, &clen);
  g_autofree char *bh = g_base64_encode(digest, dl);

  g_autofree char *unsigned_msg = g_strdup_printf("DKIM-Signature: %s; bh=%s;\r\n b=AAAA\r\n%s\r\n%s", tags, bh,
                                                  headers, body);
  g_autoptr(GBytes) raw = g_bytes_new(unsigned_msg, strlen(unsigned_msg));
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  g_assert_no_error(error);
  const BimiHeaderField *f = bimi_message_get_field(msg, 0);
  g_autoptr(BimiDkimSigParams) p = bimi_dkim__sig_parse(f->value, f->value_length, &error);
  g_assert_no_error(error);
  g_autoptr(GByteArray) data = bimi_dkim__header_data(msg, f, p);

  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  guint8 sig[1024];
  size_t sl = sizeof sig;
  if (p->algorithm == BIMI_DKIM_ALG_ED25519_SHA256) {
    guint8 hash[32];
    g_assert_cmpint(EVP_Digest(data->data, data->len, hash, NULL, EVP_sha256(), NULL), ==, 1);
    g_assert_cmpint(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey), ==, 1);
    g_assert_cmpint(EVP_DigestSign(ctx, sig, &sl, hash, 32), ==, 1);
  } else {
    g_assert_cmpint(EVP_DigestSignInit(ctx, NULL, sha1 ? EVP_sha1() : EVP_sha256(), NULL, pkey), ==, 1);
    g_assert_cmpint(EVP_DigestSign(ctx, sig, &sl, data->data, data->len), ==, 1);
  }
  EVP_MD_CTX_free(ctx);
  g_autofree char *b = g_base64_encode(sig, sl);
  return g_strdup_printf("DKIM-Signature: %s; bh=%s;\r\n b=%s\r\n%s\r\n%s", tags, bh, b, headers, body);
}

static GPtrArray *
verify_full(const char *text, Keys *k, gint64 now, guint max)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  g_assert_no_error(error);
  BimiDkimOptions o = { .now = now, .max_signatures = max, .key_fetch = keys_fetch, .key_fetch_data = k };
  GPtrArray *r = bimi_dkim_verify(msg, &o, &error);
  g_assert_no_error(error);
  return r;
}

static GPtrArray *
verify(const char *text, Keys *k)
{
  return verify_full(text, k, 1700000000, 0);
}

static void
expect(const GPtrArray *r, guint i, BimiDkimResult want, const char *reason)
{
  g_assert_cmpuint(i, <, r->len);
  const BimiDkimSignature *s = g_ptr_array_index(r, i);
  if (s->result != want || (reason && strstr(s->reason, reason) == NULL))
    g_error("signature %u: got %s (%s), want %s (%s)", i, bimi_dkim_result_to_string(s->result), s->reason,
            bimi_dkim_result_to_string(want), reason ? reason : "");
}

static const char headers[] =
  "From: Joe SixPack <joe@football.example.com>\r\n"
  "To: Suzie Q <suzie@shopping.example.net>\r\n"
  "Subject:  Is dinner   ready?\r\n"
  "\tfolded\r\n"
  "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
  "BIMI-Selector: v=BIMI1; s=brand\r\n";
static const char body[] = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n\r\n";

/* ---- canonicalization -------------------------------------------------- */

static char *
canon_body(BimiDkimCanon c, const char *b, gsize len, guint64 limit, guint64 *clen)
{
  g_autoptr(BimiDkimBodyHasher) h = bimi_dkim__body_hasher_new(c, EVP_sha256(), limit);
  bimi_dkim__body_hasher_update(h, (const guint8 *) b, len);
  guint8 d[EVP_MAX_MD_SIZE];
  guint n = bimi_dkim__body_hasher_finish(h, d, clen);
  return g_base64_encode(d, n);
}

static void
assert_body(BimiDkimCanon c, const char *in, const char *want)
{
  guint64 clen, lim = G_MAXUINT64;
  g_autofree char *got = canon_body(c, in, strlen(in), lim, &clen);
  guint8 d[32];
  EVP_Digest(want, strlen(want), d, NULL, EVP_sha256(), NULL);
  g_autofree char *exp = g_base64_encode(d, 32);
  if (strcmp(got, exp) != 0)
    g_error("%s body of \"%s\" does not hash as \"%s\"", c == BIMI_DKIM_CANON_SIMPLE ? "simple" : "relaxed",
            g_strescape(in, NULL), g_strescape(want, NULL));
  g_assert_cmpuint(clen, ==, strlen(want));
}

/* RFC 6376 §3.4.6 example. */
static void
test_canon_rfc_example(void)
{
  const char *fields[][2] = { { "A", " X" }, { "B", " Y\t\r\n\tZ  " } };
  const char *raw[] = { "A: X\r\n", "B : Y\t\r\n\tZ  \r\n" };
  g_autoptr(GByteArray) rel = g_byte_array_new();
  g_autoptr(GByteArray) sim = g_byte_array_new();
  for (guint i = 0; i < 2; i++) {
    bimi_dkim__canon_header(rel, BIMI_DKIM_CANON_RELAXED, fields[i][0], 1, raw[i], strlen(raw[i]), fields[i][1],
                            strlen(fields[i][1]));
    bimi_dkim__canon_header(sim, BIMI_DKIM_CANON_SIMPLE, fields[i][0], 1, raw[i], strlen(raw[i]), fields[i][1],
                            strlen(fields[i][1]));
  }
  g_assert_cmpmem(rel->data, rel->len, "a:X\r\nb:Y Z\r\n", 12);
  g_assert_cmpmem(sim->data, sim->len, "A: X\r\nB : Y\t\r\n\tZ  \r\n", 20);
  const char *b = " C \r\nD \t E\r\n\r\n\r\n";
  assert_body(BIMI_DKIM_CANON_RELAXED, b, " C\r\nD E\r\n");
  assert_body(BIMI_DKIM_CANON_SIMPLE, b, " C \r\nD \t E\r\n");
}

/* A signature field with its b= value deleted (RFC 6376 §3.7), in place:
 * the same bytes as canonicalizing a copy without it. */
static void
test_canon_header_hole(void)
{
  const char *raw = "DKIM-Signature : a=rsa-sha256;  b= AbC\r\n dEf ;\r\n\th=from  \r\n";
  const char *value = strchr(raw, ':') + 1;
  BimiHeaderField f = {
    .field = raw, .field_length = strlen(raw), .name = raw, .name_length = 14, .value = value,
    .value_length = strlen(value) - 2,
  };
  gsize at = (gsize) (strstr(value, "b=") + 2 - value);
  gsize hole = (gsize) (strchr(value + at, ';') - value) - at; /* " AbC\r\n dEf " */
  g_autoptr(GByteArray) rel = g_byte_array_new();
  g_autoptr(GByteArray) sim = g_byte_array_new();
  bimi_dkim__canon_header_hole(rel, BIMI_DKIM_CANON_RELAXED, &f, at, hole);
  bimi_dkim__canon_header_hole(sim, BIMI_DKIM_CANON_SIMPLE, &f, at, hole);
  const char *want_rel = "dkim-signature:a=rsa-sha256; b=; h=from\r\n";
  const char *want_sim = "DKIM-Signature : a=rsa-sha256;  b=;\r\n\th=from  \r\n";
  g_assert_cmpmem(rel->data, rel->len, want_rel, strlen(want_rel));
  g_assert_cmpmem(sim->data, sim->len, want_sim, strlen(want_sim));
  /* no hole: the whole field */
  g_byte_array_set_size(rel, 0);
  bimi_dkim__canon_header_hole(rel, BIMI_DKIM_CANON_RELAXED, &f, 0, 0);
  want_rel = "dkim-signature:a=rsa-sha256; b= AbC dEf ; h=from\r\n";
  g_assert_cmpmem(rel->data, rel->len, want_rel, strlen(want_rel));
}

static void
test_canon_body_edges(void)
{
  assert_body(BIMI_DKIM_CANON_SIMPLE, "", "\r\n");
  assert_body(BIMI_DKIM_CANON_RELAXED, "", "");
  assert_body(BIMI_DKIM_CANON_SIMPLE, "\r\n\r\n", "\r\n");
  assert_body(BIMI_DKIM_CANON_RELAXED, " \t\r\n  \r\n", "");
  assert_body(BIMI_DKIM_CANON_SIMPLE, "abc", "abc\r\n");
  assert_body(BIMI_DKIM_CANON_RELAXED, "abc  ", "abc\r\n");
  assert_body(BIMI_DKIM_CANON_SIMPLE, "a\rb\r\n", "a\rb\r\n");      /* lone CR is data */
  assert_body(BIMI_DKIM_CANON_RELAXED, "a \r b\r\n", "a \r b\r\n"); /* CR is not WSP */
  assert_body(BIMI_DKIM_CANON_SIMPLE, "x\r", "x\r\r\n");
  assert_body(BIMI_DKIM_CANON_RELAXED, "\r\n\r\nx\r\n \r\n\r\ny\r\n \r\n", "\r\n\r\nx\r\n\r\n\r\ny\r\n");
  assert_body(BIMI_DKIM_CANON_RELAXED, "\t lead\r\n", " lead\r\n");
  assert_body(BIMI_DKIM_CANON_SIMPLE, "a \r\n\r\n \r\n", "a \r\n\r\n \r\n"); /* WSP line is not empty in simple */
}

/* l= counts canonical bytes and may cut a line; the canonical length is reported. */
static void
test_canon_length(void)
{
  const char *b = "line one  \r\nline two\r\n";
  guint64 clen;
  g_autofree char *got = canon_body(BIMI_DKIM_CANON_RELAXED, b, strlen(b), 12, &clen);
  guint8 d[32];
  EVP_Digest("line one\r\nli", 12, d, NULL, EVP_sha256(), NULL);
  g_autofree char *exp = g_base64_encode(d, 32);
  g_assert_cmpstr(got, ==, exp);
  g_assert_cmpuint(clen, ==, strlen("line one\r\nline two\r\n"));
}

/* ---- DKIM-Signature parsing ------------------------------------------- */

BIMI_TEST_DEFINE_PARSE_REFUSED(sig_refused, BimiDkimSigParams, bimi_dkim__sig_parse, BIMI_DKIM_ERROR)

static void
test_signature_errors(void)
{
  static const struct { const char *tags; int code; const char *needle; } cases[] = {
    { "a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s", BIMI_DKIM_ERROR_INVALID, "missing tag v=" },
    { "v=2; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s", BIMI_DKIM_ERROR_INVALID, "v= is not 1" },
    { "v=1; a=rsa-md5; b=AAAA; bh=AAAA; d=x.org; h=from; s=s", BIMI_DKIM_ERROR_INVALID, "unknown algorithm" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=to:subject; s=s", BIMI_DKIM_ERROR_INVALID, "h= lacks from" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; c=fancy", BIMI_DKIM_ERROR_INVALID, "header canonicalization" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; c=simple/x", BIMI_DKIM_ERROR_INVALID, "body canonicalization" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; i=a@y.org", BIMI_DKIM_ERROR_INVALID, "i= not within d=" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; i=a@evilx.org", BIMI_DKIM_ERROR_INVALID, "i= not within d=" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; i=nobody", BIMI_DKIM_ERROR_INVALID, "i= has no @" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; t=100; x=100", BIMI_DKIM_ERROR_INVALID, "x= is not after t=" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; t=200; x=100", BIMI_DKIM_ERROR_INVALID, "x= is not after t=" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; t=12a", BIMI_DKIM_ERROR_INVALID, "t= is not" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; l=-1", BIMI_DKIM_ERROR_INVALID, "l= is not" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=s; q=http", BIMI_DKIM_ERROR_INVALID, "q= does not" },
    { "v=1; a=rsa-sha256; b=AA!A; bh=AAAA; d=x.org; h=from; s=s", BIMI_DKIM_ERROR_INVALID, "b= is not valid base64" },
    { "v=1; a=rsa-sha256; b=AAAAA; bh=AAAA; d=x.org; h=from; s=s", BIMI_DKIM_ERROR_INVALID, "b= is not valid base64" },
    { "v=1; a=rsa-sha256; b=A=AA; bh=AAAA; d=x.org; h=from; s=s", BIMI_DKIM_ERROR_INVALID, "b= is not valid base64" },
    { "v=1; a=rsa-sha256; b=; bh=AAAA; d=x.org; h=from; s=s", BIMI_DKIM_ERROR_INVALID, "empty b=" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x..org; h=from; s=s", BIMI_DKIM_ERROR_INVALID, "d= is not a domain" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from; s=a/b", BIMI_DKIM_ERROR_INVALID, "s= is not a selector" },
    { "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; h=from::to; s=s", BIMI_DKIM_ERROR_INVALID, "h= entry 2" },
    { "v=1; v=1; a=rsa-sha256", BIMI_DKIM_ERROR_SYNTAX, "duplicate" },
    { "v=1;; a=rsa-sha256", BIMI_DKIM_ERROR_SYNTAX, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
    sig_refused(cases[i].tags, strlen(cases[i].tags), cases[i].code, cases[i].needle);
}

static void
test_signature_fields(void)
{
  const char *v = "v=1; a=ed25519-sha256; c=relaxed; d=Example.COM; s=sel; h=From : To;\r\n"
                  " i=user=40dept@mail.example.com; l=77; t=1; x=2; q=dns/txt:other/x; z=From:x;\r\n"
                  " bh=AAAA; b=AB CD\r\n EF==; unknown=tag";
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiDkimSigParams) p = bimi_dkim__sig_parse(v, strlen(v), &error);
  g_assert_no_error(error);
  g_assert_cmpint(p->algorithm, ==, BIMI_DKIM_ALG_ED25519_SHA256);
  g_assert_cmpint(p->header_canon, ==, BIMI_DKIM_CANON_RELAXED);
  g_assert_cmpint(p->body_canon, ==, BIMI_DKIM_CANON_SIMPLE); /* "relaxed" alone = relaxed/simple */
  g_assert_cmpstr(p->domain, ==, "example.com");
  g_assert_cmpstr(p->identity, ==, "user@dept@mail.example.com");
  g_assert_cmpstr(p->identity_domain, ==, "mail.example.com");
  g_assert_cmpstr(p->signed_headers[0], ==, "From");
  g_assert_cmpstr(p->signed_headers[1], ==, "To");
  g_assert_null(p->signed_headers[2]);
  g_assert_true(p->has_length);
  g_assert_cmpuint(p->length, ==, 77);
  g_assert_cmpint(p->timestamp, ==, 1);
  g_assert_cmpint(p->expiration, ==, 2);
  g_assert_cmpuint(p->b_len, ==, 4); /* "ABCDEF==": 6 symbols, 36 bits */
  g_assert_cmpmem(p->b, p->b_len, "\x00\x10\x83\x10", 4);
  g_assert_cmpstr(p->b_prefix, ==, "ABCDEF==");
  g_assert_cmpmem(v + p->b_raw_offset, p->b_raw_len, "AB CD\r\n EF==", 12);
}

static void
test_signature_limits(void)
{
  g_autoptr(GString) h = g_string_new("v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=x.org; s=s; h=from");
  for (guint i = 1; i < BIMI_DKIM_MAX_SIGNED_HEADERS; i++)
    g_string_append(h, ":to");
  g_autoptr(GError) e1 = NULL;
  g_autoptr(BimiDkimSigParams) ok = bimi_dkim__sig_parse(h->str, h->len, &e1);
  g_assert_no_error(e1);
  g_string_append(h, ":to");
  sig_refused(h->str, h->len, BIMI_DKIM_ERROR_LIMIT, "BIMI_DKIM_MAX_SIGNED_HEADERS");

  g_autoptr(GString) b = g_string_new("v=1; a=rsa-sha256; bh=AAAA; d=x.org; s=s; h=from; b=");
  for (guint i = 0; i < (BIMI_DKIM_MAX_SIGNATURE_BYTES / 3) + 1; i++)
    g_string_append(b, "AAAA");
  sig_refused(b->str, b->len, BIMI_DKIM_ERROR_LIMIT, NULL);
}

/* ---- key records -------------------------------------------------------- */

/* 512-bit RSA key of the Mail::DKIM corpus, in SPKI form. */
#define K512 "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALgSoqXVSEmfcIsOzw7oRuCCOwsmtX/SJnTWxYyj2leFxfS/AVJ+dYfY+hXqMsT7l+MZvvh/R1WzN4MO/kI/7XsCAwEAAQ=="

BIMI_TEST_DEFINE_PARSE_REFUSED(key_refused, BimiDkimKey, bimi_dkim__key_parse, BIMI_DKIM_ERROR)

static void
test_key_records(void)
{
  static const struct { const char *rec; int code; const char *needle; } bad[] = {
    { "v=DKIM3; p=" K512, BIMI_DKIM_ERROR_INVALID, "v= is not DKIM1" },
    { "k=rsa; v=DKIM1; p=" K512, BIMI_DKIM_ERROR_INVALID, "v= is not the first tag" },
    { "k=rsa; t; p=" K512, BIMI_DKIM_ERROR_SYNTAX, NULL },
    { "k=foobar; p=" K512, BIMI_DKIM_ERROR_INVALID, "unknown key type" },
    { "v=DKIM1; s=chat; p=" K512, BIMI_DKIM_ERROR_INVALID, "s= exclude email" },
    { "v=DKIM1; k=rsa", BIMI_DKIM_ERROR_INVALID, "no p= tag" },
    { "v=DKIM1; k=ed25519; p=" K512, BIMI_DKIM_ERROR_INVALID, "not 32" },
    { "v=DKIM1; k=ed25519; p=MCowBQYDK2VwAyEA3SUqa9UbfciWkk7tlcJ9P1VD5pXAasg0JUn/OgjVbKE=", BIMI_DKIM_ERROR_INVALID, "not 32" },
    { "v=DKIM1; p=AAAAAAAA", BIMI_DKIM_ERROR_INVALID, "not an RSA public key" },
    /* an Ed25519 SubjectPublicKeyInfo under k=rsa (wrong algorithm OID) */
    { "v=DKIM1; k=rsa; p=MCowBQYDK2VwAyEA3SUqa9UbfciWkk7tlcJ9P1VD5pXAasg0JUn/OgjVbKE=", BIMI_DKIM_ERROR_INVALID, "not an RSA public key" },
    /* the 512-bit SPKI cut short by one byte: the DER lengths no longer fit */
    { "p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALgSoqXVSEmfcIsOzw7oRuCCOwsmtX/SJnTWxYyj2leFxfS/AVJ+dYfY+hXqMsT7l+MZvvh/R1WzN4MO/kI/7XsCAwEA", BIMI_DKIM_ERROR_INVALID, "not an RSA public key" },
    { "v=DKIM1; p=MFww!", BIMI_DKIM_ERROR_INVALID, "base64" },
    { "", BIMI_DKIM_ERROR_SYNTAX, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
    key_refused(bad[i].rec, strlen(bad[i].rec), bad[i].code, bad[i].needle);
  static const struct { const char *rec; gboolean revoked, testing, strict, sha1, sha256; guint bits; } good[] = {
    { "p=" K512, FALSE, FALSE, FALSE, TRUE, TRUE, 512 },
    { "v=DKIM1; s=email:web:fine; x1 = extra ; t = y:n:extra; h=md5:sha1; p=" K512 " ; ", FALSE, TRUE, FALSE, TRUE, FALSE, 512 },
    { "v=DKIM1; t=s; s=*; h=sha256; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALgSoqXVSEmfcIsOzw7oRuCCOwsmtX/SJnTWxYyj2leFxfS/AVJ+dYfY+hXqMsT7l+MZ\r\n vvh/R1WzN4MO/kI/7XsCAwEAAQ==", FALSE, FALSE, TRUE, FALSE, TRUE, 512 },
    { "k=rsa; t=y; p=", TRUE, TRUE, FALSE, TRUE, TRUE, 0 },
    { "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", FALSE, FALSE, FALSE, TRUE, TRUE, 256 },
    /* a bare PKCS#1 RSAPublicKey (the SPKI above without its wrapper) */
    { "p=MEgCQQC4EqKl1UhJn3CLDs8O6EbggjsLJrV/0iZ01sWMo9pXhcX0vwFSfnWH2PoV6jLE+5fjGb74f0dVszeDDv5CP+17AgMBAAE=", FALSE, FALSE, FALSE, TRUE, TRUE, 512 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDkimKey) k = bimi_dkim__key_parse(good[i].rec, strlen(good[i].rec), &error);
    if (error)
      g_error("good key %u: %s", i, error->message);
    g_assert_cmpint(k->revoked, ==, good[i].revoked);
    g_assert_cmpint(k->testing, ==, good[i].testing);
    g_assert_cmpint(k->strict, ==, good[i].strict);
    g_assert_cmpint(k->allows_sha1, ==, good[i].sha1);
    g_assert_cmpint(k->allows_sha256, ==, good[i].sha256);
    g_assert_cmpuint(k->bits, ==, good[i].bits);
  }
}

static void
test_key_limits(void)
{
  g_autoptr(GString) rec = g_string_new("v=DKIM1; n=");
  while (rec->len < BIMI_DKIM_MAX_KEY_RECORD_BYTES - 4)
    g_string_append_c(rec, 'x');
  g_string_append(rec, "; p=");
  g_assert_cmpuint(rec->len, ==, BIMI_DKIM_MAX_KEY_RECORD_BYTES);
  g_autoptr(GError) e0 = NULL;
  g_autoptr(BimiDkimKey) k0 = bimi_dkim__key_parse(rec->str, rec->len, &e0);
  g_assert_no_error(e0);
  g_assert_true(k0->revoked);
  g_string_append_c(rec, ' ');
  key_refused(rec->str, rec->len, BIMI_DKIM_ERROR_LIMIT, NULL);

  /* a p= that decodes to more than an 8192-bit key can need */
  g_autoptr(GString) big = g_string_new("p=");
  for (guint i = 0; i < (BIMI_DKIM_MAX_KEY_BITS / 8 + 129) / 3 + 1; i++)
    g_string_append(big, "AAAA");
  key_refused(big->str, big->len, BIMI_DKIM_ERROR_LIMIT, NULL);

  /* a 9000-bit RSA public key (PKCS#1, any odd modulus will do): small enough
   * in DER to be decoded, then refused for its size */
  GByteArray *der = g_byte_array_new();
  const guint8 head[] = { 0x30, 0x82, 0x04, 0x6f, 0x02, 0x82, 0x04, 0x66, 0x00 };
  g_byte_array_append(der, head, sizeof head);
  for (guint i = 0; i < 1125; i++) {
    guint8 b = i == 0 ? 0x80 : (i == 1124 ? 0x01 : 0x5a);
    g_byte_array_append(der, &b, 1);
  }
  const guint8 tail[] = { 0x02, 0x03, 0x01, 0x00, 0x01 };
  g_byte_array_append(der, tail, sizeof tail);
  g_autofree char *b64 = g_base64_encode(der->data, der->len);
  g_byte_array_unref(der);
  g_autofree char *rec9000 = g_strconcat("v=DKIM1; k=rsa; p=", b64, NULL);
  key_refused(rec9000, strlen(rec9000), BIMI_DKIM_ERROR_LIMIT, "9000 bits");
}

/* ---- verification ------------------------------------------------------- */

typedef struct {
  EVP_PKEY *ed;
  EVP_PKEY *rsa;
} Fixture;

static Fixture fx;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)

static void
test_verify_roundtrip(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autofree char *ked = key_record(fx.ed, NULL), *krsa = key_record(fx.rsa, NULL);
  keys_add(k, "ed._domainkey.example.com", ked);
  keys_add(k, "rsa._domainkey.example.com", krsa);
  const char *canons[] = { "simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed" };
  for (guint c = 0; c < G_N_ELEMENTS(canons); c++) {
    for (guint alg = 0; alg < 2; alg++) {
      g_autofree char *tags = g_strdup_printf("v=1; a=%s; c=%s; d=example.com; s=%s; h=from:to:subject:date:bimi-selector",
                                              alg ? "rsa-sha256" : "ed25519-sha256", canons[c], alg ? "rsa" : "ed");
      g_autofree char *m = sign(headers, body, tags, alg ? fx.rsa : fx.ed);
      g_autoptr(GPtrArray) r = verify(m, k);
      g_assert_cmpuint(r->len, ==, 1);
      expect(r, 0, BIMI_DKIM_RESULT_PASS, "signature verified");
      const BimiDkimSignature *s = g_ptr_array_index(r, 0);
      g_assert_cmpuint(s->key_bits, ==, alg ? 2048 : 256);
      g_assert_true(bimi_dkim_signature_covers_header(s, "BIMI-Selector"));
      g_assert_false(bimi_dkim_signature_covers_header(s, "Message-ID"));
      g_assert_false(s->body_length_limited);

      /* a changed header byte: signature fails; a changed body byte: body hash */
      g_autofree char *h1 = g_strdup(m);
      char *p = strstr(h1, "Is dinner");
      p[0] = 'I', p[1] = 'S';
      g_autoptr(GPtrArray) r1 = verify(h1, k);
      expect(r1, 0, BIMI_DKIM_RESULT_FAIL, "signature verification failed");
      g_autofree char *b1 = g_strdup(m);
      p = strstr(b1, "hungry");
      p[0] = 'H';
      g_autoptr(GPtrArray) r2 = verify(b1, k);
      expect(r2, 0, BIMI_DKIM_RESULT_FAIL, "body hash mismatch");

      /* whitespace changes: relaxed survives, simple does not */
      g_autofree char *w = g_strdup(m);
      p = strstr(w, "Are you");
      p[3] = '\t';
      g_autoptr(GPtrArray) r3 = verify(w, k);
      if (g_str_has_suffix(canons[c], "relaxed"))
        expect(r3, 0, BIMI_DKIM_RESULT_PASS, NULL);
      else
        expect(r3, 0, BIMI_DKIM_RESULT_FAIL, "body hash mismatch");
      g_autoptr(GString) wh = g_string_new(m);
      gssize at = strstr(wh->str, "Subject:") - wh->str;
      g_string_insert(wh, at + 8, " \t ");
      g_autoptr(GPtrArray) r4 = verify(wh->str, k);
      if (g_str_has_prefix(canons[c], "relaxed"))
        expect(r4, 0, BIMI_DKIM_RESULT_PASS, NULL);
      else
        expect(r4, 0, BIMI_DKIM_RESULT_FAIL, "signature verification failed");
    }
  }
}

/* §5.4.2: a name listed twice with one instance present: the second hashes as
 * nothing, so adding that field later breaks the signature. */
static void
test_verify_oversigned(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autofree char *ked = key_record(fx.ed, NULL);
  keys_add(k, "ed._domainkey.example.com", ked);
  g_autofree char *m = sign(headers, body,
                            "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=ed; h=from:from:subject:subject:reply-to",
                            fx.ed);
  g_autoptr(GPtrArray) r = verify(m, k);
  expect(r, 0, BIMI_DKIM_RESULT_PASS, NULL);
  /* add a second From after the signature: the bottom-up choice now finds it */
  g_autoptr(GString) s = g_string_new(m);
  g_string_insert(s, strstr(s->str, "\r\n\r\n") - s->str + 2, "From: evil@example.org\r\n");
  g_autoptr(GPtrArray) r2 = verify(s->str, k);
  expect(r2, 0, BIMI_DKIM_RESULT_FAIL, "signature verification failed");
  /* a Reply-To added: also covered, also fails */
  g_autoptr(GString) s3 = g_string_new(m);
  g_string_insert(s3, strstr(s3->str, "\r\n\r\n") - s3->str + 2, "Reply-To: x@example.org\r\n");
  g_autoptr(GPtrArray) r3 = verify(s3->str, k);
  expect(r3, 0, BIMI_DKIM_RESULT_FAIL, NULL);
  /* a field not in h= may be added freely */
  g_autoptr(GString) s4 = g_string_new(m);
  g_string_insert(s4, strstr(s4->str, "\r\n\r\n") - s4->str + 2, "Cc: x@example.org\r\n");
  g_autoptr(GPtrArray) r4 = verify(s4->str, k);
  expect(r4, 0, BIMI_DKIM_RESULT_PASS, NULL);
}

static void
test_verify_length(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autofree char *ked = key_record(fx.ed, NULL);
  keys_add(k, "ed._domainkey.example.com", ked);
  g_autofree char *m = sign(headers, body, "v=1; a=ed25519-sha256; c=simple/simple; d=example.com; s=ed; h=from; l=10", fx.ed);
  g_autoptr(GPtrArray) r = verify(m, k);
  expect(r, 0, BIMI_DKIM_RESULT_PASS, NULL);
  const BimiDkimSignature *s = g_ptr_array_index(r, 0);
  g_assert_true(s->body_length_limited);
  g_assert_cmpuint(s->body_length, ==, 10);
  g_assert_cmpuint(s->body_bytes_unsigned, ==, strlen("Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n") - 10);
  /* content appended after l=: still pass, reported */
  g_autofree char *more = g_strconcat(m, "APPENDED BY SOMEONE ELSE\r\n", NULL);
  g_autoptr(GPtrArray) r2 = verify(more, k);
  expect(r2, 0, BIMI_DKIM_RESULT_PASS, NULL);
  g_assert_cmpuint(((BimiDkimSignature *) g_ptr_array_index(r2, 0))->body_bytes_unsigned, >, s->body_bytes_unsigned);
  /* l= beyond the body */
  g_autofree char *m2 = sign(headers, "short\r\n", "v=1; a=ed25519-sha256; d=example.com; s=ed; h=from; l=7", fx.ed);
  g_autofree char *cut = g_strndup(m2, strlen(m2) - 3);
  g_autoptr(GPtrArray) r3 = verify(cut, k);
  expect(r3, 0, BIMI_DKIM_RESULT_FAIL, "l= exceeds the body length");
}

static void
test_verify_rfc8301(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autoptr(EVP_PKEY) small = gen_key("RSA", 768);
  g_autofree char *krsa = key_record(fx.rsa, NULL), *ksmall = key_record(small, NULL);
  keys_add(k, "rsa._domainkey.example.com", krsa);
  keys_add(k, "small._domainkey.example.com", ksmall);
  g_autofree char *m1 = sign(headers, body, "v=1; a=rsa-sha1; d=example.com; s=rsa; h=from", fx.rsa);
  g_autoptr(GPtrArray) r1 = verify(m1, k);
  expect(r1, 0, BIMI_DKIM_RESULT_POLICY, "rsa-sha1");
  g_autofree char *m1b = g_strconcat(m1, "x", NULL);
  g_autoptr(GPtrArray) r1b = verify(m1b, k);
  expect(r1b, 0, BIMI_DKIM_RESULT_FAIL, "body hash mismatch");
  g_autofree char *m2 = sign(headers, body, "v=1; a=rsa-sha256; d=example.com; s=small; h=from", small);
  g_autoptr(GPtrArray) r2 = verify(m2, k);
  expect(r2, 0, BIMI_DKIM_RESULT_FAIL, "key too short (768 bits");
  g_assert_cmpuint(((BimiDkimSignature *) g_ptr_array_index(r2, 0))->key_bits, ==, 768);
}

static void
test_verify_expiry(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autofree char *ked = key_record(fx.ed, NULL);
  keys_add(k, "ed._domainkey.example.com", ked);
  g_autofree char *m = sign(headers, body, "v=1; a=ed25519-sha256; d=example.com; s=ed; h=from; t=1000; x=2000", fx.ed);
  g_autoptr(GPtrArray) r1 = verify_full(m, k, 2000, 0);
  expect(r1, 0, BIMI_DKIM_RESULT_PASS, NULL);
  g_autoptr(GPtrArray) r2 = verify_full(m, k, 2001, 0);
  expect(r2, 0, BIMI_DKIM_RESULT_PERMERROR, "signature expired");
  g_assert_cmpint(((BimiDkimSignature *) g_ptr_array_index(r2, 0))->expiration, ==, 2000);
  g_autoptr(GPtrArray) r3 = verify_full(m, k, 10, 0); /* t= in the future is accepted */
  expect(r3, 0, BIMI_DKIM_RESULT_PASS, NULL);
}

static void
test_verify_key_results(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autofree char *ked = key_record(fx.ed, NULL);
  g_autofree char *ked_strict = key_record(fx.ed, " t=s:y;");
  g_autofree char *krsa = key_record(fx.rsa, NULL);
  g_autofree char *krsa_sha1 = key_record(fx.rsa, " h=sha1;");
  keys_add(k, "two._domainkey.example.com", ked);
  keys_add(k, "two._domainkey.example.com", ked);
  keys_add(k, "strict._domainkey.example.com", ked_strict);
  keys_add(k, "revoked._domainkey.example.com", "v=DKIM1; k=ed25519; p=");
  keys_add(k, "typ._domainkey.example.com", krsa);
  keys_add(k, "hash._domainkey.example.com", krsa_sha1);
  keys_add(k, "bad._domainkey.example.com", "v=DKIM1; k=ed25519; p=AAAA");
  g_hash_table_add(k->tempfail, g_strdup("temp._domainkey.example.com"));
  static const struct { const char *sel; const char *extra; BimiDkimResult want; const char *reason; } cases[] = {
    { "none", "", BIMI_DKIM_RESULT_PERMERROR, "no key" },
    { "temp", "", BIMI_DKIM_RESULT_TEMPERROR, "SERVFAIL" },
    { "two", "", BIMI_DKIM_RESULT_PERMERROR, "several key records" },
    { "revoked", "", BIMI_DKIM_RESULT_PERMERROR, "key revoked" },
    { "strict", "; i=@sub.example.com", BIMI_DKIM_RESULT_PERMERROR, "t=s" },
    { "strict", "; i=joe@example.com", BIMI_DKIM_RESULT_PASS, NULL },
    { "typ", "", BIMI_DKIM_RESULT_PERMERROR, "does not match a=" },
    { "bad", "", BIMI_DKIM_RESULT_PERMERROR, "not 32" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *tags = g_strdup_printf("v=1; a=ed25519-sha256; d=example.com; s=%s; h=from%s", cases[i].sel,
                                            cases[i].extra);
    g_autofree char *m = sign(headers, body, tags, fx.ed);
    g_autoptr(GPtrArray) r = verify(m, k);
    expect(r, 0, cases[i].want, cases[i].reason);
  }
  g_autofree char *m = sign(headers, body, "v=1; a=rsa-sha256; d=example.com; s=hash; h=from", fx.rsa);
  g_autoptr(GPtrArray) r = verify(m, k);
  expect(r, 0, BIMI_DKIM_RESULT_PERMERROR, "key h= does not allow");
  g_autofree char *ms = sign(headers, body, "v=1; a=ed25519-sha256; d=example.com; s=strict; h=from", fx.ed);
  g_autoptr(GPtrArray) rs = verify(ms, k);
  g_assert_true(((BimiDkimSignature *) g_ptr_array_index(rs, 0))->key_testing);
  g_assert_true(((BimiDkimSignature *) g_ptr_array_index(rs, 0))->key_strict);
}

static void
test_verify_max_signatures(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autofree char *ked = key_record(fx.ed, NULL);
  keys_add(k, "ed._domainkey.example.com", ked);
  g_autofree char *m = sign(headers, body, "v=1; a=ed25519-sha256; d=example.com; s=ed; h=from", fx.ed);
  const char *sig_end = strstr(m, "\r\nFrom:");
  g_autofree char *sig = g_strndup(m, (gsize) (sig_end - m) + 2);
  /* 11 copies of the same signature: the default verifies 10 */
  g_autoptr(GString) all = g_string_new(NULL);
  for (guint i = 0; i < BIMI_DKIM_DEFAULT_MAX_SIGNATURES; i++)
    g_string_append(all, sig);
  g_string_append(all, m);
  g_autoptr(GPtrArray) r = verify(all->str, k);
  g_assert_cmpuint(r->len, ==, BIMI_DKIM_DEFAULT_MAX_SIGNATURES + 1);
  for (guint i = 0; i < BIMI_DKIM_DEFAULT_MAX_SIGNATURES; i++)
    expect(r, i, BIMI_DKIM_RESULT_PASS, NULL);
  expect(r, BIMI_DKIM_DEFAULT_MAX_SIGNATURES, BIMI_DKIM_RESULT_PERMERROR, "too many signatures");
  const BimiDkimSignature *last = g_ptr_array_index(r, BIMI_DKIM_DEFAULT_MAX_SIGNATURES);
  g_assert_cmpstr(last->domain, ==, "example.com");
  g_assert_cmpuint(last->signature_number, ==, BIMI_DKIM_DEFAULT_MAX_SIGNATURES);
  g_assert_cmpuint(k->lookups, ==, BIMI_DKIM_DEFAULT_MAX_SIGNATURES);

  g_autoptr(GPtrArray) r2 = verify_full(all->str, k, 1700000000, 2);
  expect(r2, 1, BIMI_DKIM_RESULT_PASS, NULL);
  expect(r2, 2, BIMI_DKIM_RESULT_PERMERROR, "too many signatures");

  /* the configurable maximum itself is bounded */
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new(m, strlen(m));
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  BimiDkimOptions o = { .now = 0, .max_signatures = BIMI_DKIM_MAX_SIGNATURES + 1, .key_fetch = keys_fetch, .key_fetch_data = k };
  g_autoptr(GPtrArray) r3 = bimi_dkim_verify(msg, &o, &error);
  bimi_test_expect_refused(r3, error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_LIMIT, NULL);
}

static void
test_verify_unparsable(void)
{
  g_autoptr(Keys) k = keys_new();
  const char *m = "DKIM-Signature: v=1; a=rsa-sha256; d=Example.org; s=sel; h=to; bh=AAAA; b=AAAA\r\n"
                  "DKIM-Signature: garbage without equals\r\n"
                  "From: a@example.org\r\n\r\nbody\r\n";
  g_autoptr(GPtrArray) r = verify(m, k);
  g_assert_cmpuint(r->len, ==, 2);
  expect(r, 0, BIMI_DKIM_RESULT_PERMERROR, "h= lacks from");
  const BimiDkimSignature *s = g_ptr_array_index(r, 0);
  g_assert_cmpstr(s->domain, ==, "example.org");
  g_assert_cmpstr(s->selector, ==, "sel");
  g_assert_cmpuint(s->field_index, ==, 0);
  expect(r, 1, BIMI_DKIM_RESULT_PERMERROR, "DKIM-Signature:");
  g_assert_null(((BimiDkimSignature *) g_ptr_array_index(r, 1))->domain);
  g_assert_cmpuint(k->lookups, ==, 0);

  g_autoptr(GPtrArray) none = verify("From: a@example.org\r\n\r\nbody\r\n", k);
  g_assert_cmpuint(none->len, ==, 0);
}

static void
test_json(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autofree char *ked = key_record(fx.ed, " t=y;");
  keys_add(k, "ed._domainkey.example.com", ked);
  g_autofree char *m = sign(headers, body, "v=1; a=ed25519-sha256; d=example.com; s=ed; h=from:subject; l=5; t=1", fx.ed);
  g_autoptr(GPtrArray) r = verify(m, k);
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  bimi_dkim_signature_build_json(g_ptr_array_index(r, 0), b);
  g_autoptr(JsonNode) root = bimi_json_writer_get_node(b);
  JsonObject *o = json_node_get_object(root);
  g_assert_cmpstr(json_object_get_string_member(o, "result"), ==, "pass");
  g_assert_cmpstr(json_object_get_string_member(o, "d"), ==, "example.com");
  g_assert_cmpstr(json_object_get_string_member(o, "s"), ==, "ed");
  g_assert_cmpstr(json_object_get_string_member(o, "a"), ==, "ed25519-sha256");
  g_assert_cmpstr(json_object_get_string_member(o, "c"), ==, "simple/simple");
  g_assert_cmpint(json_object_get_int_member(o, "key_bits"), ==, 256);
  g_assert_true(json_object_get_boolean_member(o, "key_testing"));
  g_assert_true(json_object_get_null_member(o, "aligned_with_from"));
  g_assert_true(json_object_get_boolean_member(o, "body_length_limited"));
  g_assert_cmpint(json_object_get_int_member(o, "body_length"), ==, 5);
  g_assert_cmpint(json_object_get_int_member(o, "t"), ==, 1);
  g_assert_true(json_object_get_null_member(o, "x"));
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "h")), ==, 2);
}

/* ---- the decoded-key cache (engine/dkim-key.c) --------------------------- */

static BimiDkimResult
verify_cached(const char *text, Keys *k, gint64 now, BimiDkimKeyCache *cache, char **reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  g_assert_no_error(error);
  BimiDkimOptions o = { .now = now, .key_fetch = keys_fetch, .key_fetch_data = k, .key_cache = cache };
  g_autoptr(GPtrArray) r = bimi_dkim_verify(msg, &o, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(r->len, ==, 1);
  const BimiDkimSignature *s = g_ptr_array_index(r, 0);
  if (reason != NULL)
    *reason = g_strdup(s->reason);
  return s->result;
}

/* A key is fetched and decoded once, used until its TTL runs out under the
 * injected clock, fetched again then (and not decoded again when the record
 * is the same), and a rotated record replaces it. TTL 0 keeps nothing. */
static void
test_key_cache_ttl(void)
{
  const gint64 t = 1700000000;
  g_autoptr(Keys) k = keys_new();
  g_autoptr(BimiDkimKeyCache) cache = bimi_dkim_key_cache_new(0);
  g_autofree char *ked = key_record(fx.ed, NULL), *krsa = key_record(fx.rsa, NULL);
  keys_add(k, "ed._domainkey.example.com", ked);
  k->ttl = 300;
  g_autofree char *m = sign(headers, body, "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=ed; h=from:to",
                            fx.ed);
  BimiDkimKeyCacheStats st;

  g_assert_cmpint(verify_cached(m, k, t, cache, NULL), ==, BIMI_DKIM_RESULT_PASS);
  g_assert_cmpuint(k->lookups, ==, 1);
  g_assert_cmpint(verify_cached(m, k, t + 299, cache, NULL), ==, BIMI_DKIM_RESULT_PASS);
  g_assert_cmpuint(k->lookups, ==, 1); /* fresh: the fetcher is not asked */
  bimi_dkim_key_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.hits, ==, 1);
  g_assert_cmpuint(st.misses, ==, 1);
  g_assert_cmpuint(st.parses, ==, 1);
  g_assert_cmpuint(st.entries, ==, 1);

  g_assert_cmpint(verify_cached(m, k, t + 300, cache, NULL), ==, BIMI_DKIM_RESULT_PASS);
  g_assert_cmpuint(k->lookups, ==, 2); /* expired: asked again */
  bimi_dkim_key_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.parses, ==, 1); /* the same record: its decoded key is reused */
  g_assert_cmpint(verify_cached(m, k, t + 599, cache, NULL), ==, BIMI_DKIM_RESULT_PASS);
  g_assert_cmpuint(k->lookups, ==, 2); /* and kept for another TTL */

  /* the owner rotates the record (now an RSA key under the same name) */
  g_hash_table_remove(k->records, "ed._domainkey.example.com");
  keys_add(k, "ed._domainkey.example.com", krsa);
  g_assert_cmpint(verify_cached(m, k, t + 599, cache, NULL), ==, BIMI_DKIM_RESULT_PASS); /* still the kept key */
  g_autofree char *reason = NULL;
  g_assert_cmpint(verify_cached(m, k, t + 600, cache, &reason), ==, BIMI_DKIM_RESULT_PERMERROR);
  g_assert_cmpstr(reason, ==, "key type k= does not match a=");
  g_assert_cmpuint(k->lookups, ==, 3);
  bimi_dkim_key_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.parses, ==, 2);
  g_assert_cmpuint(st.entries, ==, 1);

  /* TTL 0: nothing is kept, every verification asks */
  g_autoptr(BimiDkimKeyCache) none = bimi_dkim_key_cache_new(0);
  k->ttl = 0;
  verify_cached(m, k, t, none, NULL);
  verify_cached(m, k, t, none, NULL);
  g_assert_cmpuint(k->lookups, ==, 5);
  bimi_dkim_key_cache_get_stats(none, &st);
  g_assert_cmpuint(st.entries, ==, 0);
}

/* A TTL above BIMI_DKIM_KEY_CACHE_MAX_TTL_SECONDS counts as that. */
static void
test_key_cache_max_ttl(void)
{
  const gint64 t = 1700000000;
  g_autoptr(Keys) k = keys_new();
  g_autoptr(BimiDkimKeyCache) cache = bimi_dkim_key_cache_new(0);
  g_autofree char *ked = key_record(fx.ed, NULL);
  keys_add(k, "ed._domainkey.example.com", ked);
  k->ttl = 2147483647; /* RFC 2181 §8: the largest TTL */
  g_autofree char *m = sign(headers, body, "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=ed; h=from:to",
                            fx.ed);
  verify_cached(m, k, t, cache, NULL);
  verify_cached(m, k, t + BIMI_DKIM_KEY_CACHE_MAX_TTL_SECONDS - 1, cache, NULL);
  g_assert_cmpuint(k->lookups, ==, 1);
  verify_cached(m, k, t + BIMI_DKIM_KEY_CACHE_MAX_TTL_SECONDS, cache, NULL);
  g_assert_cmpuint(k->lookups, ==, 2);
}

/* BIMI_DKIM_KEY_CACHE_MAX_ENTRIES names at most: one more evicts the oldest;
 * a larger max_entries is cut to the limit, a smaller one is honoured. */
static void
test_key_cache_limit(void)
{
  const gint64 t = 1700000000;
  g_autofree char *ked = key_record(fx.ed, NULL);
  g_autoptr(GBytes) record = g_bytes_new(ked, strlen(ked));
  const guint sizes[] = { 0, BIMI_DKIM_KEY_CACHE_MAX_ENTRIES + 10, 5 };
  for (guint s = 0; s < G_N_ELEMENTS(sizes); s++) {
    guint bound = sizes[s] == 5 ? 5 : BIMI_DKIM_KEY_CACHE_MAX_ENTRIES;
    g_autoptr(BimiDkimKeyCache) cache = bimi_dkim_key_cache_new(sizes[s]);
    for (guint i = 0; i <= bound; i++) {
      g_autofree char *name = g_strdup_printf("s%u._domainkey.example.com", i);
      g_autoptr(GError) error = NULL;
      g_autoptr(BimiDkimKey) key = bimi_dkim__key_cache_parse(cache, name, record, 3600, t, &error);
      g_assert_no_error(error);
      g_assert_nonnull(key->pkey);
    }
    BimiDkimKeyCacheStats st;
    bimi_dkim_key_cache_get_stats(cache, &st);
    g_assert_cmpuint(st.entries, ==, bound);
    g_assert_cmpuint(st.evictions, ==, 1);
    g_assert_null(bimi_dkim__key_cache_lookup(cache, "s0._domainkey.example.com", t)); /* the oldest went */
    g_autoptr(BimiDkimKey) k1 = bimi_dkim__key_cache_lookup(cache, "s1._domainkey.example.com", t);
    g_assert_nonnull(k1);
    g_autofree char *last = g_strdup_printf("s%u._domainkey.example.com", bound);
    g_autoptr(BimiDkimKey) kl = bimi_dkim__key_cache_lookup(cache, last, t);
    g_assert_nonnull(kl);
  }
}

/* The verification memo: a message verified again is answered from it, pass or fail alike; a
 * changed signed header, another key under the same name or a cache without a memo verify anew. */
static void
test_verify_memo(void)
{
  const gint64 t = 1700000000;
  g_autoptr(Keys) k = keys_new();
  g_autoptr(BimiDkimKeyCache) cache = bimi_dkim_key_cache_new(0);
  g_autoptr(BimiDkimKeyCache) plain = bimi_dkim_key_cache_new(0);
  g_autofree char *ked = key_record(fx.ed, NULL), *krsa = key_record(fx.rsa, NULL);
  keys_add(k, "rsa._domainkey.example.com", krsa);
  keys_add(k, "ed._domainkey.example.com", ked);
  k->ttl = 300;
  g_autofree char *mrsa = sign(headers, body, "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=rsa; h=from:to",
                               fx.rsa);
  g_autofree char *med = sign(headers, body, "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=ed; h=from:to",
                              fx.ed);
  g_autoptr(GString) forged = g_string_new(mrsa);
  g_string_replace(forged, "To: Suzie Q", "To: Suzie X", 1);
  BimiDkimKeyCacheStats st;
  g_autofree char *reason = NULL;

  bimi_dkim_key_cache_set_verify_memo(cache, BIMI_DKIM_VERIFY_MEMO_DEFAULT_ENTRIES);
  for (guint i = 0; i < 2; i++) {
    g_assert_cmpint(verify_cached(mrsa, k, t, cache, NULL), ==, BIMI_DKIM_RESULT_PASS);
    g_assert_cmpint(verify_cached(med, k, t, cache, NULL), ==, BIMI_DKIM_RESULT_PASS);
    g_assert_cmpint(verify_cached(forged->str, k, t, cache, NULL), ==, BIMI_DKIM_RESULT_FAIL);
    bimi_dkim_key_cache_get_stats(cache, &st);
    g_assert_cmpuint(st.memo_misses, ==, 3);
    g_assert_cmpuint(st.memo_hits, ==, 3 * i);
    g_assert_cmpuint(st.memo_entries, ==, 3);
  }

  /* the owner puts another key under the same name: the memo knows nothing of it */
  g_hash_table_remove(k->records, "rsa._domainkey.example.com");
  g_autoptr(EVP_PKEY) other = gen_key("RSA", 2048);
  g_autofree char *kother = key_record(other, NULL);
  keys_add(k, "rsa._domainkey.example.com", kother);
  g_assert_cmpint(verify_cached(mrsa, k, t + 300, cache, &reason), ==, BIMI_DKIM_RESULT_FAIL);
  bimi_dkim_key_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.memo_misses, ==, 4);
  g_assert_cmpuint(st.memo_hits, ==, 3);

  /* no memo unless asked for */
  verify_cached(mrsa, k, t, plain, NULL);
  verify_cached(mrsa, k, t, plain, NULL);
  bimi_dkim_key_cache_get_stats(plain, &st);
  g_assert_cmpuint(st.memo_hits + st.memo_misses + st.memo_entries, ==, 0);
}

/* A memo of N outcomes holds N: one more and it starts empty (BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES
 * bounds N: tests/test-config.c refuses a larger [auth] verify_memo_entries). */
static void
test_verify_memo_limit(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autoptr(BimiDkimKeyCache) cache = bimi_dkim_key_cache_new(0);
  g_autofree char *krsa = key_record(fx.rsa, NULL);
  keys_add(k, "rsa._domainkey.example.com", krsa);
  k->ttl = 300;
  BimiDkimKeyCacheStats st;

  bimi_dkim_key_cache_set_verify_memo(cache, 2);
  for (guint i = 0; i < 3; i++) {
    g_autofree char *h = g_strdup_printf("%sX-Seq: %u\r\n", headers, i);
    g_autofree char *m = sign(h, body, "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=rsa; h=from:to:x-seq",
                              fx.rsa);
    g_assert_cmpint(verify_cached(m, k, 1700000000, cache, NULL), ==, BIMI_DKIM_RESULT_PASS);
    bimi_dkim_key_cache_get_stats(cache, &st);
    g_assert_cmpuint(st.memo_entries, ==, i < 2 ? i + 1 : 1);
  }
  g_assert_cmpuint(st.memo_misses, ==, 3);
}

typedef struct {
  const char *message;
  BimiDkimKeyCache *cache;
  Keys *keys;
  GMutex *keys_lock;
  guint passes;
} CacheThread;

static BimiDkimKeyStatus
locked_fetch(const char *qname, GPtrArray **out, char **detail, guint32 *ttl, gpointer data)
{
  CacheThread *c = data;
  g_mutex_lock(c->keys_lock);
  BimiDkimKeyStatus st = keys_fetch(qname, out, detail, ttl, c->keys);
  g_mutex_unlock(c->keys_lock);
  return st;
}

static gpointer
cache_thread(gpointer data)
{
  CacheThread *c = data;
  for (guint i = 0; i < 200; i++) {
    g_autoptr(GBytes) raw = g_bytes_new_static(c->message, strlen(c->message));
    g_autoptr(BimiMessage) msg = bimi_message_parse(raw, NULL);
    /* the clock moves: entries expire and are refreshed while others read */
    BimiDkimOptions o = { .now = 1700000000 + i, .key_fetch = locked_fetch, .key_fetch_data = c, .key_cache = c->cache };
    g_autoptr(GPtrArray) r = bimi_dkim_verify(msg, &o, NULL);
    if (r != NULL && r->len == 1 && ((BimiDkimSignature *) r->pdata[0])->result == BIMI_DKIM_RESULT_PASS)
      c->passes++;
  }
  return NULL;
}

/* Four threads verify through one cache (run under TSan by SANITIZE=thread). */
static void
test_key_cache_threads(void)
{
  g_autoptr(Keys) k = keys_new();
  g_autoptr(BimiDkimKeyCache) cache = bimi_dkim_key_cache_new(0);
  g_autofree char *ked = key_record(fx.ed, NULL), *krsa = key_record(fx.rsa, NULL);
  keys_add(k, "ed._domainkey.example.com", ked);
  keys_add(k, "rsa._domainkey.example.com", krsa);
  k->ttl = 10;
  g_autofree char *med = sign(headers, body, "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=ed; h=from:to",
                              fx.ed);
  g_autofree char *mrsa = sign(headers, body, "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=rsa; h=from:to",
                               fx.rsa);
  bimi_dkim_key_cache_set_verify_memo(cache, 1); /* shared by the threads, and full at once */
  GMutex lock;
  g_mutex_init(&lock);
  CacheThread c[4];
  GThread *th[4];
  for (guint i = 0; i < 4; i++) {
    c[i] = (CacheThread){ .message = i % 2 ? mrsa : med, .cache = cache, .keys = k, .keys_lock = &lock };
    th[i] = g_thread_new("dkim-cache", cache_thread, &c[i]);
  }
  for (guint i = 0; i < 4; i++) {
    g_thread_join(th[i]);
    g_assert_cmpuint(c[i].passes, ==, 200);
  }
  g_mutex_clear(&lock);
  /* 200 s of clock, TTL 10 s, 2 names: about 40 fetches, not 800 */
  g_assert_cmpuint(k->lookups, <, 800);
  BimiDkimKeyCacheStats st;
  bimi_dkim_key_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.entries, ==, 2);
  g_assert_cmpuint(st.parses, <=, k->lookups);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  fx.ed = gen_key("ED25519", 0);
  fx.rsa = gen_key("RSA", 2048);
  g_test_add_func("/dkim/canon/rfc6376-example", test_canon_rfc_example);
  g_test_add_func("/dkim/canon/body-edges", test_canon_body_edges);
  g_test_add_func("/dkim/canon/header-hole", test_canon_header_hole);
  g_test_add_func("/dkim/canon/length", test_canon_length);
  g_test_add_func("/dkim/signature/errors", test_signature_errors);
  g_test_add_func("/dkim/signature/fields", test_signature_fields);
  g_test_add_func("/dkim/signature/limits", test_signature_limits);
  g_test_add_func("/dkim/key/records", test_key_records);
  g_test_add_func("/dkim/key/limits", test_key_limits);
  g_test_add_func("/dkim/verify/roundtrip", test_verify_roundtrip);
  g_test_add_func("/dkim/verify/oversigned", test_verify_oversigned);
  g_test_add_func("/dkim/verify/length", test_verify_length);
  g_test_add_func("/dkim/verify/rfc8301", test_verify_rfc8301);
  g_test_add_func("/dkim/verify/expiry", test_verify_expiry);
  g_test_add_func("/dkim/verify/key-results", test_verify_key_results);
  g_test_add_func("/dkim/verify/max-signatures", test_verify_max_signatures);
  g_test_add_func("/dkim/verify/unparsable", test_verify_unparsable);
  g_test_add_func("/dkim/json", test_json);
  g_test_add_func("/dkim/key-cache/ttl", test_key_cache_ttl);
  g_test_add_func("/dkim/key-cache/max-ttl", test_key_cache_max_ttl);
  g_test_add_func("/dkim/key-cache/limit", test_key_cache_limit);
  g_test_add_func("/dkim/key-cache/threads", test_key_cache_threads);
  g_test_add_func("/dkim/key-cache/verify-memo", test_verify_memo);
  g_test_add_func("/dkim/limit/verify-memo", test_verify_memo_limit);
  int rc = g_test_run();
  EVP_PKEY_free(fx.ed);
  EVP_PKEY_free(fx.rsa);
  return rc;
}
