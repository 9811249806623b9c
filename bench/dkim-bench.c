/* bench/dkim-bench.c — DKIM verifications per second (engine/dkim), built and
 * run by bench/run (`make bench`).
 *
 * Cases: the dkimpy corpus of fixtures/dkim (small messages, one per key and
 * canonicalization), and for each fixture key one message with a 64 KiB and
 * one with a 1 MiB body, signed here (relaxed/relaxed) with the fixture
 * private key over the verifier's own canonical header data.
 *
 * A verification = bimi_message_parse() + bimi_dkim_verify() of the whole
 * message, with the key record served from memory (DNS time excluded) with a
 * TTL of an hour, through a BimiDkimKeyCache as in production (bimi-fcgi's
 * evaluator keeps one): the key is decoded once per case.
 *
 * Usage: dkim-bench [SECONDS [CASE]] — CPU seconds per case (default 1);
 * CASE runs only the cases whose name contains it (to profile one).
 *
 * Output, one TSV line per case: case, algorithm, key bits, bytes hashed
 * (canonical header data + canonical body), verifications per second, and
 * the same-process floor (inproc_limit(): SHA-256 of that many bytes + one
 * EVP verification of the real signature with a decoded key), measured right
 * after, so that a loaded machine skews both alike. Rates are per second of
 * this thread's CPU time.
 */
#include "engine/dkim-private.h"
#include "engine/limits.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/pem.h>

static GHashTable *keys; /* qname → record text */

/* CPU time of this thread, in microseconds: rates are per CPU second, as
 * `openssl speed` reports them, so that other work on the machine (a
 * shared 2-core box) does not move the figures. */
static gint64
cpu_usec(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static BimiDkimKeyStatus
fetch(const char *qname, GPtrArray **out, char **detail, guint32 *ttl, gpointer data)
{
  const char *rec = g_hash_table_lookup(keys, qname);
  if (rec == NULL)
    return BIMI_DKIM_KEY_NONE;
  *out = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add(*out, g_bytes_new_static(rec, strlen(rec)));
  *ttl = 3600;
  return BIMI_DKIM_KEY_FOUND;
}

/* The floor under one verification of @raw, measured here under the same
 * load as ours: SHA-256 over as many bytes as the verifier hashes, plus one
 * public-key verification of the real signature (EVP, key already decoded). */
static double
inproc_limit(GBytes *raw, guint64 bytes, double seconds)
{
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, NULL);
  const BimiHeaderField *f = bimi_message_get_field(msg, 0);
  g_autoptr(BimiDkimSigParams) p = bimi_dkim__sig_parse(f->value, f->value_length, NULL);
  g_autoptr(GByteArray) data = bimi_dkim__header_data(msg, f, p);
  g_autofree char *q = g_strdup_printf("%s._domainkey.%s", p->selector, p->domain);
  const char *rec = g_hash_table_lookup(keys, q);
  g_autoptr(BimiDkimKey) key = bimi_dkim__key_parse(rec, strlen(rec), NULL);
  g_autofree guint8 *buf = g_malloc0(bytes);
  gsize sig_len = p->b_len;
  const guint8 *sig = p->b;
  gboolean ed = p->algorithm == BIMI_DKIM_ALG_ED25519_SHA256;
  guint64 n = 0;
  gint64 start = cpu_usec(), end = start + (gint64) (seconds * G_USEC_PER_SEC), now;
  do {
    guint8 d[32];
    EVP_Digest(buf, bytes, d, NULL, EVP_sha256(), NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok;
    if (ed) {
      EVP_Digest(data->data, data->len, d, NULL, EVP_sha256(), NULL);
      EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey);
      ok = EVP_DigestVerify(ctx, sig, sig_len, d, 32);
    } else {
      EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey);
      ok = EVP_DigestVerify(ctx, sig, sig_len, data->data, data->len);
    }
    EVP_MD_CTX_free(ctx);
    if (ok != 1)
      exit(2);
    n++;
    now = cpu_usec();
  } while (now < end);
  return (double) n * G_USEC_PER_SEC / (double) (now - start);
}

static guint64
hashed_bytes(GBytes *raw)
{
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, NULL);
  const BimiHeaderField *f = bimi_message_get_field(msg, 0);
  g_autoptr(BimiDkimSigParams) p = bimi_dkim__sig_parse(f->value, f->value_length, NULL);
  g_autoptr(GByteArray) h = bimi_dkim__header_data(msg, f, p);
  gsize blen;
  const guint8 *body = bimi_message_get_body(msg, &blen);
  g_autoptr(BimiDkimBodyHasher) bh = bimi_dkim__body_hasher_new(p->body_canon, EVP_sha256(), G_MAXUINT64);
  bimi_dkim__body_hasher_update(bh, body, blen);
  guint8 d[EVP_MAX_MD_SIZE];
  guint64 clen;
  bimi_dkim__body_hasher_finish(bh, d, &clen);
  return h->len + clen;
}

/* The case filter of the command line (argv[2]): only cases whose name
 * contains it run (for profiling one case); NULL runs all. */
static const char *only;

static void
run_case(const char *name, GBytes *raw, double seconds)
{
  if (only != NULL && strstr(name, only) == NULL)
    return;
  g_autoptr(BimiDkimKeyCache) cache = bimi_dkim_key_cache_new(0);
  BimiDkimOptions o = { .now = 1700000000, .key_fetch = fetch, .key_cache = cache };
  g_autoptr(GError) error = NULL;
  guint64 n = 0;
  gint64 start = cpu_usec(), end = start + (gint64) (seconds * G_USEC_PER_SEC), now;
  BimiDkimAlgorithm alg = BIMI_DKIM_ALG_UNKNOWN;
  guint bits = 0;
  do {
    for (guint i = 0; i < 16; i++) {
      g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
      g_autoptr(GPtrArray) r = msg ? bimi_dkim_verify(msg, &o, &error) : NULL;
      if (r == NULL || r->len != 1 || ((BimiDkimSignature *) r->pdata[0])->result != BIMI_DKIM_RESULT_PASS) {
        fprintf(stderr, "dkim-bench: %s does not verify: %s\n", name,
                r && r->len ? ((BimiDkimSignature *) r->pdata[0])->reason : error ? error->message : "?");
        exit(1);
      }
      alg = ((BimiDkimSignature *) r->pdata[0])->algorithm;
      bits = ((BimiDkimSignature *) r->pdata[0])->key_bits;
      n++;
    }
    now = cpu_usec();
  } while (now < end);
  double ours = (double) n * G_USEC_PER_SEC / (double) (now - start);
  guint64 bytes = hashed_bytes(raw);
  printf("%s\t%s\t%u\t%" G_GUINT64_FORMAT "\t%.1f\t%.1f\n", name,
         alg == BIMI_DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256", bits, bytes, ours,
         inproc_limit(raw, bytes, seconds));
  fflush(stdout);
}

/* Signs @body under relaxed/relaxed with the PEM key at @pem_path. */
static GBytes *
sign_large(const char *pem_path, const char *selector, gboolean ed, gsize body_bytes)
{
  FILE *f = fopen(pem_path, "r");
  if (f == NULL) {
    fprintf(stderr, "dkim-bench: cannot open %s\n", pem_path);
    exit(1);
  }
  EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  g_assert(pkey != NULL);
  GString *body = g_string_sized_new(body_bytes + 128);
  while (body->len < body_bytes)
    g_string_append(body, "Lorem ipsum dolor sit amet,  consectetur\tadipiscing elit, sed do eiusmod tempor. \r\n");
  const char *headers = "From: Brand Example <news@example.com>\r\nTo: someone@example.net\r\n"
                        "Subject: a large message\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                        "Message-ID: <large@example.com>\r\n";
  g_autofree char *tags = g_strdup_printf("v=1; a=%s; c=relaxed/relaxed; d=example.com; s=%s; "
                                          "h=from:to:subject:date:message-id",
                                          ed ? "ed25519-sha256" : "rsa-sha256", selector);
  g_autoptr(BimiDkimBodyHasher) h = bimi_dkim__body_hasher_new(BIMI_DKIM_CANON_RELAXED, EVP_sha256(), G_MAXUINT64);
  bimi_dkim__body_hasher_update(h, (const guint8 *) body->str, body->len);
  guint8 digest[EVP_MAX_MD_SIZE];
  guint64 clen;
  guint dl = bimi_dkim__body_hasher_finish(h, digest, &clen);
  g_autofree char *bh = g_base64_encode(digest, dl);
  g_autofree char *draft = g_strdup_printf("DKIM-Signature: %s; bh=%s;\r\n b=AAAA\r\n%s\r\n%s", tags, bh, headers,
                                           body->str);
  g_autoptr(GBytes) draft_raw = g_bytes_new(draft, strlen(draft));
  g_autoptr(BimiMessage) msg = bimi_message_parse(draft_raw, NULL);
  const BimiHeaderField *sf = bimi_message_get_field(msg, 0);
  g_autoptr(BimiDkimSigParams) p = bimi_dkim__sig_parse(sf->value, sf->value_length, NULL);
  g_autoptr(GByteArray) data = bimi_dkim__header_data(msg, sf, p);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  guint8 sig[1024];
  size_t sl = sizeof sig;
  if (ed) {
    guint8 hash[32];
    EVP_Digest(data->data, data->len, hash, NULL, EVP_sha256(), NULL);
    EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey);
    EVP_DigestSign(ctx, sig, &sl, hash, 32);
  } else {
    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey);
    EVP_DigestSign(ctx, sig, &sl, data->data, data->len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  g_autofree char *b = g_base64_encode(sig, sl);
  char *text = g_strdup_printf("DKIM-Signature: %s; bh=%s;\r\n b=%s\r\n%s\r\n%s", tags, bh, b, headers, body->str);
  g_string_free(body, TRUE);
  return g_bytes_new_take(text, strlen(text));
}

int
main(int argc, char **argv)
{
  double seconds = argc > 1 ? g_ascii_strtod(argv[1], NULL) : 1.0;
  only = argc > 2 ? argv[2] : NULL;
  const char *dir = "fixtures/dkim";
  static const char *const names[] = { "rsa1024", "rsa2048", "rsa4096", "ed25519" };
  g_autoptr(GError) error = NULL;
  const char *zones[] = { "fixtures/dkim/dkim.zone", NULL };
  BimiDnsConfig cfg = { .zone_files = zones };
  g_autoptr(BimiDnsResolver) resolver = bimi_dns_resolver_new(&cfg, &error);
  if (resolver == NULL) {
    fprintf(stderr, "dkim-bench: %s\n", error->message);
    return 1;
  }
  keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *q = g_strdup_printf("%s._domainkey.example.com", names[i]);
    g_autoptr(GPtrArray) recs = NULL;
    guint32 ttl;
    if (bimi_dkim_key_fetch_dns(q, &recs, NULL, &ttl, resolver) != BIMI_DKIM_KEY_FOUND || recs->len != 1) {
      fprintf(stderr, "dkim-bench: no key at %s\n", q);
      return 1;
    }
    gsize len;
    const char *t = g_bytes_get_data(g_ptr_array_index(recs, 0), &len);
    g_hash_table_insert(keys, g_steal_pointer(&q), g_strndup(t, len));
  }
  printf("# case\talgorithm\tkey_bits\tbytes_hashed\tverifications_per_s\tinproc_limit_per_s\n");
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    static const char *const canons[] = { "simple-simple", "relaxed-relaxed" };
    for (guint c = 0; c < G_N_ELEMENTS(canons); c++) {
      g_autofree char *path = g_strdup_printf("%s/%s-%s.eml", dir, names[i], canons[c]);
      g_autofree char *text = NULL;
      gsize len;
      if (!g_file_get_contents(path, &text, &len, &error)) {
        fprintf(stderr, "dkim-bench: %s\n", error->message);
        return 1;
      }
      g_autoptr(GBytes) raw = g_bytes_new_take(g_steal_pointer(&text), len);
      g_autofree char *name = g_strdup_printf("%s-%s", names[i], canons[c]);
      run_case(name, raw, seconds);
    }
    static const gsize sizes[] = { 64 * 1024, 1024 * 1024 };
    for (guint s = 0; s < G_N_ELEMENTS(sizes); s++) {
      g_autofree char *name = g_strdup_printf("%s-relaxed-%zuk", names[i], sizes[s] / 1024);
      if (only != NULL && strstr(name, only) == NULL)
        continue; /* signing a large body is not free */
      g_autofree char *pem = g_strdup_printf("%s/keys/%s.pem", dir, names[i]);
      g_autoptr(GBytes) raw = sign_large(pem, names[i], i == 3, sizes[s]);
      run_case(name, raw, seconds);
    }
  }
  g_hash_table_unref(keys);
  return 0;
}
