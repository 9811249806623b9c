/* engine/vmc.c — BIMI Evidence Document (VMC / CMC) validation.
 *
 * Implements draft-fetch-validation-vmc-wchuang-11 §"Validation of VMC
 * Evidence Document" steps 2–10 and the receiver-relevant parts of the Mark
 * Certificate Requirements v1.7 (spec/bimi-receiver.md §7.2–§7.6, §8):
 * RFC 5280 §6.1 path validation with OpenSSL (X509_verify_cert at an explicit
 * time) to the configured BIMI roots only; RFC 5280 §6.3 revocation through
 * the CRL distribution points (CRL fetched by a caller callback, cached until
 * nextUpdate); RFC 6962 §3 SCT verification with OpenSSL's CT API; EKU
 * id-kp-BIMI (1.3.6.1.5.5.7.3.31) on leaf and issuing CA; policy
 * 1.3.6.1.4.1.53087.1.1; SAN ↔ record domain (§7.3, A-label comparison);
 * RFC 3709/9399 logotype (engine/vmc-logotype.c).
 *
 * Deliberate deviations / decisions:
 *  - All checks run and every failure is reported (the draft stops at the
 *    first); the verdict is the same.
 *  - The critical pilot extension 1.3.6.1.4.1.53087.4.1 is tolerated (MCR
 *    §7.1.2.7; pre-2025 CMCs); every other critical extension that neither
 *    OpenSSL nor this module processes fails ("critical-extension").
 *  - Out-of-order chains are refused (the draft says MAY reject).
 *  - Revocation: default "soft" (unreachable CRL = warning, listed serial =
 *    failure); "require" makes an unknown status a failure.
 *  - markType absent (2021 VMCs) ⇒ VMC; an unknown markType ⇒ CMC (no
 *    checkmark) plus a "mark-type" failure, since we cannot tell what was verified.
 */
#include "engine/vmc.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-names.h"
#include "engine/vmc-private.h"
#include "engine/limits.h"
#include "engine/svg.h"

#include <string.h>
#include <idn2.h>
#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

G_DEFINE_QUARK(bimi-vmc-error-quark, bimi_vmc_error)

#define OID_EKU_BIMI   "1.3.6.1.5.5.7.3.31"
#define OID_MARK_POLICY "1.3.6.1.4.1.53087.1.1"
#define OID_PILOT      "1.3.6.1.4.1.53087.4.1"
#define OID_LOGOTYPE   "1.3.6.1.5.5.7.1.12"
#define OID_MARK_TYPE  "1.3.6.1.4.1.53087.1.13"
#define OID_TM_OFFICE  "1.3.6.1.4.1.53087.1.2"
#define OID_TM_COUNTRY "1.3.6.1.4.1.53087.1.3"
#define OID_TM_ID      "1.3.6.1.4.1.53087.1.4"

static const char *const check_codes[BIMI_VMC_N_CHECKS] = {
  [BIMI_VMC_CHECK_PEM] = "pem",
  [BIMI_VMC_CHECK_LEAF_COUNT] = "leaf-count",
  [BIMI_VMC_CHECK_CHAIN_ORDER] = "chain-order",
  [BIMI_VMC_CHECK_CHAIN_INCOMPLETE] = "chain-incomplete",
  [BIMI_VMC_CHECK_CHAIN_UNTRUSTED] = "chain-untrusted",
  [BIMI_VMC_CHECK_SIGNATURE] = "signature",
  [BIMI_VMC_CHECK_EXPIRED] = "expired",
  [BIMI_VMC_CHECK_NOT_YET_VALID] = "not-yet-valid",
  [BIMI_VMC_CHECK_PATH] = "path",
  [BIMI_VMC_CHECK_DISTRUSTED] = "distrusted",
  [BIMI_VMC_CHECK_EKU_LEAF] = "eku-leaf",
  [BIMI_VMC_CHECK_EKU_ISSUER] = "eku-issuer",
  [BIMI_VMC_CHECK_POLICY] = "policy",
  [BIMI_VMC_CHECK_CRITICAL_EXTENSION] = "critical-extension",
  [BIMI_VMC_CHECK_SAN_MISSING] = "san-missing",
  [BIMI_VMC_CHECK_SAN_MISMATCH] = "san-mismatch",
  [BIMI_VMC_CHECK_SCT_MISSING] = "sct-missing",
  [BIMI_VMC_CHECK_SCT_UNKNOWN_LOG] = "sct-unknown-log",
  [BIMI_VMC_CHECK_SCT_INVALID] = "sct-invalid",
  [BIMI_VMC_CHECK_CRLDP_MISSING] = "crldp-missing",
  [BIMI_VMC_CHECK_REVOKED] = "revoked",
  [BIMI_VMC_CHECK_REVOCATION_UNKNOWN] = "revocation-unknown",
  [BIMI_VMC_CHECK_LOGOTYPE_MISSING] = "logotype-missing",
  [BIMI_VMC_CHECK_LOGOTYPE_INVALID] = "logotype-invalid",
  [BIMI_VMC_CHECK_LOGO_MEDIA_TYPE] = "logo-media-type",
  [BIMI_VMC_CHECK_LOGO_HASH] = "logo-hash",
  [BIMI_VMC_CHECK_LOGO_SVG] = "logo-svg",
  [BIMI_VMC_CHECK_LOGO_MISMATCH] = "logo-mismatch",
  [BIMI_VMC_CHECK_MARK_TYPE] = "mark-type",
};

const char *
bimi_vmc_check_code(BimiVmcCheck check)
{
  g_return_val_if_fail(check < BIMI_VMC_N_CHECKS, "unknown");
  return check_codes[check];
}

static const char *const revocation_mode_names[] = {
  [BIMI_VMC_REVOCATION_SOFT] = "soft",
  [BIMI_VMC_REVOCATION_REQUIRE] = "require",
  [BIMI_VMC_REVOCATION_OFF] = "off",
};

BIMI_DEFINE_NAME_FROM_STRING(BimiVmcRevocationMode, bimi_vmc_revocation_mode_from_string, revocation_mode_names,
                             BIMI_NAMES_EXACT)
BIMI_DEFINE_NAME_TO_STRING(BimiVmcRevocationMode, bimi_vmc_revocation_mode_to_string, revocation_mode_names, "soft")

const char *
bimi_vmc_cert_type_to_string(BimiVmcCertType t)
{
  return t == BIMI_VMC_CERT_VMC ? "vmc" : t == BIMI_VMC_CERT_CMC ? "cmc" : "none";
}

/* MCR v1.7 §7.1.4.2: each markType as the certificate spells it, and what it
 * makes of the certificate: a VMC (checkmark) or a CMC, and whether the pilot
 * identifier (§7.1.2.7, Prior Use and Modified Registered Marks) belongs on
 * it. ABSENT (no markType: a pre-2022 VMC) has no text; UNKNOWN is any other
 * text, a CMC that fails the mark-type check. */
static const struct {
  const char *text;
  BimiVmcCertType cert_type;
  gboolean pilot_allowed;
} mark_types[] = {
  [BIMI_VMC_MARK_ABSENT] = { NULL, BIMI_VMC_CERT_VMC, FALSE },
  [BIMI_VMC_MARK_REGISTERED] = { "Registered Mark", BIMI_VMC_CERT_VMC, FALSE },
  [BIMI_VMC_MARK_GOVERNMENT] = { "Government Mark", BIMI_VMC_CERT_VMC, FALSE },
  [BIMI_VMC_MARK_PRIOR_USE] = { "Prior Use Mark", BIMI_VMC_CERT_CMC, TRUE },
  [BIMI_VMC_MARK_MODIFIED_REGISTERED] = { "Modified Registered Mark", BIMI_VMC_CERT_CMC, TRUE },
  [BIMI_VMC_MARK_UNKNOWN] = { "unknown", BIMI_VMC_CERT_CMC, FALSE },
};

const char *
bimi_vmc_mark_type_to_string(BimiVmcMarkType t)
{
  return (guint) t < G_N_ELEMENTS(mark_types) ? mark_types[t].text : NULL;
}

const char *
bimi_vmc_revocation_status_to_string(BimiVmcRevocationStatus s)
{
  switch (s) {
  case BIMI_VMC_REVOCATION_GOOD: return "good";
  case BIMI_VMC_REVOCATION_REVOKED: return "revoked";
  case BIMI_VMC_REVOCATION_UNAVAILABLE: return "unavailable";
  case BIMI_VMC_REVOCATION_NOT_CHECKED: default: return "not-checked";
  }
}

static char *name_to_string(const X509_NAME *name);

/* MCR v1.7 §7.1.4.2 subject attributes get names, so RFC 2253 output reads
 * "markType=Registered Mark" instead of a hex dump. Registered once per process. */
static gpointer
register_oids(gpointer unused)
{
  static const char *const oids[][2] = {
    { "1.3.6.1.4.1.53087.1.13", "markType" },
    { "1.3.6.1.4.1.53087.1.2", "trademarkOfficeName" },
    { "1.3.6.1.4.1.53087.1.3", "trademarkCountryOrRegionName" },
    { "1.3.6.1.4.1.53087.1.4", "trademarkIdentifier" },
    { "1.3.6.1.4.1.53087.1.5", "legalEntityIdentifier" },
    { "1.3.6.1.4.1.53087.1.6", "wordMark" },
    { "1.3.6.1.4.1.53087.3.2", "statuteCountryName" },
    { "1.3.6.1.4.1.53087.3.3", "statuteStateOrProvinceName" },
    { "1.3.6.1.4.1.53087.3.4", "statuteLocalityName" },
    { "1.3.6.1.4.1.53087.3.5", "statuteCitation" },
    { "1.3.6.1.4.1.53087.3.6", "statuteURL" },
    { "1.3.6.1.4.1.53087.5.1", "priorUseMarkSourceURL" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(oids); i++)
    if (OBJ_txt2nid(oids[i][0]) == NID_undef)
      OBJ_create(oids[i][0], oids[i][1], oids[i][1]);
  ERR_clear_error();
  return NULL;
}

static GOnce oids_once = G_ONCE_INIT;

/* ------------------------------------------------------------------ trust */

typedef struct {
  X509 *cert;
  gint64 distrust_after;   /* Unix seconds, 0 = none */
} Anchor;

typedef struct {
  X509_CRL *crl;
  gint64 next_update;
} CachedCrl;

struct BimiVmcTrust {
  X509_STORE *store;
  GArray *anchors;         /* Anchor */
  CTLOG_STORE *logs;
  GMutex lock;             /* guards crls */
  GHashTable *crls;        /* url → CachedCrl* */
};

BIMI_DEFINE_STATIC_FREE_FUNC(CachedCrl, cached_crl_free, c)
{
  X509_CRL_free(c->crl);
}

static gint64
asn1_time_to_unix(const ASN1_TIME *t)
{
  struct tm tm;

  if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
    return 0;
  {
    g_autoptr(GDateTime) dt = g_date_time_new_utc(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return dt ? g_date_time_to_unix(dt) : 0;
  }
}

static gboolean
parse_distrust_date(const char *s, gsize n, gint64 *out)
{
  g_autofree char *iso = NULL;
  g_autoptr(GDateTime) dt = NULL;

  if (n != 10)
    return FALSE;
  iso = g_strdup_printf("%.*sT23:59:59Z", 10, s);
  dt = g_date_time_new_from_iso8601(iso, NULL);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix(dt);
  return TRUE;
}

BimiVmcTrust *
bimi_vmc_trust_new_from_files(const char *roots_path, const char *ct_logs_path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  g_autoptr(GArray) distrust = g_array_new(FALSE, TRUE, sizeof(gint64));
  BimiVmcTrust *trust;
  BIO *bio;
  gint64 pending = 0;
  gsize pos = 0, lineno = 0;

  if (!g_file_get_contents(roots_path, &text, &len, &local)) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_IO, "%s", local->message);
    return NULL;
  }
  if (len > BIMI_VMC_MAX_TRUST_FILE_BYTES) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT, "%s: larger than %u bytes", roots_path, BIMI_VMC_MAX_TRUST_FILE_BYTES);
    return NULL;
  }
  /* Pass 1: the "# distrust-after:" comment that precedes each certificate. */
  while (pos < len) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', len - pos);
    gsize n = nl ? (gsize) (nl - line) : len - pos;
    static const char tag[] = "# distrust-after:";

    pos += n + (nl ? 1 : 0);
    lineno++;
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
      n--;
    if (n >= strlen(tag) && memcmp(line, tag, strlen(tag)) == 0) {
      const char *d = line + strlen(tag);
      gsize dn = n - strlen(tag);
      while (dn > 0 && *d == ' ') {
        d++;
        dn--;
      }
      if (!parse_distrust_date(d, dn, &pending)) {
        g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE,
                    "%s:%" G_GSIZE_FORMAT ": distrust-after wants YYYY-MM-DD", roots_path, lineno);
        return NULL;
      }
    } else if (n >= 27 && memcmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0) {
      g_array_append_val(distrust, pending);
      pending = 0;
    }
  }
  if (!g_file_test(ct_logs_path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_IO, "%s: not a readable file", ct_logs_path);
    return NULL;
  }

  g_once(&oids_once, register_oids, NULL);
  trust = g_atomic_rc_box_new0(BimiVmcTrust);
  g_mutex_init(&trust->lock);
  trust->crls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) cached_crl_free);
  trust->anchors = g_array_new(FALSE, TRUE, sizeof(Anchor));
  trust->store = X509_STORE_new();
  trust->logs = CTLOG_STORE_new();

  bio = BIO_new_mem_buf(text, (int) len);
  for (;;) {
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    Anchor a = { 0 };
    if (x == NULL)
      break;
    if (trust->anchors->len >= BIMI_VMC_MAX_TRUST_ANCHORS) {
      X509_free(x);
      BIO_free(bio);
      bimi_vmc_trust_unref(trust);
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT, "%s: more than %u anchors", roots_path, BIMI_VMC_MAX_TRUST_ANCHORS);
      return NULL;
    }
    if (X509_check_ca(x) == 0) {
      g_autofree char *subj = name_to_string(X509_get_subject_name(x));
      X509_free(x);
      BIO_free(bio);
      bimi_vmc_trust_unref(trust);
      g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "%s: %s is not a CA certificate", roots_path, subj);
      return NULL;
    }
    a.cert = x;
    if (trust->anchors->len < distrust->len)
      a.distrust_after = g_array_index(distrust, gint64, trust->anchors->len);
    g_array_append_val(trust->anchors, a);
    X509_STORE_add_cert(trust->store, x);
  }
  BIO_free(bio);
  ERR_clear_error();
  if (trust->anchors->len == 0) {
    bimi_vmc_trust_unref(trust);
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "%s: no certificate", roots_path);
    return NULL;
  }
  if (CTLOG_STORE_load_file(trust->logs, ct_logs_path) != 1) {
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    bimi_vmc_trust_unref(trust);
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "%s: not a CT log list (%s)", ct_logs_path, buf);
    return NULL;
  }
  return trust;
}

/* What the last reference releases; g_atomic_rc_box_release_full() frees the box. */
BIMI_DEFINE_ATOMIC_RC_FUNCS(BimiVmcTrust, bimi_vmc_trust, trust)
{
  for (guint i = 0; i < trust->anchors->len; i++)
    X509_free(g_array_index(trust->anchors, Anchor, i).cert);
  g_array_unref(trust->anchors);
  X509_STORE_free(trust->store);
  CTLOG_STORE_free(trust->logs);
  g_hash_table_unref(trust->crls);
  g_mutex_clear(&trust->lock);
}

guint
bimi_vmc_trust_n_roots(const BimiVmcTrust *trust)
{
  return trust->anchors->len;
}

guint
bimi_vmc_trust_n_roots_valid_at(const BimiVmcTrust *trust, gint64 now)
{
  guint n = 0;

  g_return_val_if_fail(trust != NULL, 0);
  for (guint i = 0; i < trust->anchors->len; i++) {
    const X509 *cert = g_array_index(trust->anchors, Anchor, i).cert;
    if (ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), (time_t) now) <= 0 &&
        ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), (time_t) now) >= 0)
      n++;
  }
  return n;
}

/* ----------------------------------------------------------------- result */

static void
failure_free(gpointer p)
{
  BimiVmcFailure *f = p;
  BIMI_FREE_ALL(f->detail, f);
}

BIMI_DEFINE_FREE_FUNC(BimiVmcResult, bimi_vmc_result_free, r)
{
  BIMI_FREE_ALL(r->mark_type_text, r->subject, r->organization, r->trademark_country, r->trademark_office,
                r->trademark_id, r->issuer, r->serial_hex, r->leaf_sha256);
  g_strfreev(r->sans);
  g_strfreev(r->chain);
  g_strfreev(r->sct_logs);
  g_strfreev(r->revocation_crls);
  g_clear_pointer(&r->svg, g_bytes_unref);
  BIMI_FREE_ALL(r->logo_hash_alg, r->logo_hash_hex, r->svg_sha256);
  g_clear_pointer(&r->failures, g_ptr_array_unref);
  g_clear_pointer(&r->warnings, g_ptr_array_unref);
}

gboolean
bimi_vmc_result_has_failure(const BimiVmcResult *r, BimiVmcCheck check)
{
  for (guint i = 0; i < r->failures->len; i++)
    if (((BimiVmcFailure *) g_ptr_array_index(r->failures, i))->check == check)
      return TRUE;
  return FALSE;
}

G_GNUC_PRINTF(3, 4) static void
fail(BimiVmcResult *r, BimiVmcCheck check, const char *fmt, ...)
{
  BimiVmcFailure *f;
  va_list ap;

  /* One entry per check: the first detail is kept. */
  if (bimi_vmc_result_has_failure(r, check))
    return;
  f = g_new0(BimiVmcFailure, 1);
  f->check = check;
  va_start(ap, fmt);
  f->detail = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_ptr_array_add(r->failures, f);
}

G_GNUC_PRINTF(2, 3) static void
warn(BimiVmcResult *r, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_ptr_array_add(r->warnings, g_strdup_vprintf(fmt, ap));
  va_end(ap);
}

/* ---------------------------------------------------------------- helpers */

static char *
name_to_string(const X509_NAME *name)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *data = NULL;
  long n;
  char *out;

  X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
  n = BIO_get_mem_data(b, &data);
  out = g_strndup(data, (gsize) MAX(n, 0));
  BIO_free(b);
  return out;
}

static char *name_attr(const X509_NAME *name, const char *oid);

/* For messages: the CN, else the whole name. */
static char *
short_name(X509 *x)
{
  char *cn = name_attr(X509_get_subject_name(x), "2.5.4.3");
  return cn ? cn : name_to_string(X509_get_subject_name(x));
}

/* The first value of attribute @oid in @name, as UTF-8 with control characters escaped. */
static char *
name_attr(const X509_NAME *name, const char *oid)
{
  ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
  int idx = X509_NAME_get_index_by_OBJ(name, obj, -1);
  unsigned char *utf8 = NULL;
  int n;
  char *out = NULL;

  ASN1_OBJECT_free(obj);
  if (idx < 0)
    return NULL;
  n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
  if (n >= 0) {
    out = g_strndup((const char *) utf8, (gsize) n);
    for (char *p = out; *p; p++)
      if ((unsigned char) *p < 0x20 || *p == 0x7f)
        *p = '?';
    if (!g_utf8_validate(out, -1, NULL)) {
      char *v = g_utf8_make_valid(out, -1);
      g_free(out);
      out = v;
    }
  }
  OPENSSL_free(utf8);
  return out;
}

/* Whether extension @nid of @x lists @want: extKeyUsage (RFC 5280 §4.2.1.12)
 * is a SEQUENCE OF KeyPurposeId, certificatePolicies (§4.2.1.4) a SEQUENCE OF
 * PolicyInformation compared by policyIdentifier. One walk for both. */
static gboolean
ext_lists_oid(X509 *x, int nid, const ASN1_OBJECT *want)
{
  void *ext = X509_get_ext_d2i(x, nid, NULL, NULL);
  const OPENSSL_STACK *sk = ext;
  gboolean found = FALSE;

  if (ext == NULL)
    return FALSE;
  for (int i = 0; i < OPENSSL_sk_num(sk) && !found; i++) {
    const void *item = OPENSSL_sk_value(sk, i);
    const ASN1_OBJECT *oid = nid == NID_certificate_policies ? ((const POLICYINFO *) item)->policyid : item;
    found = OBJ_cmp(oid, want) == 0;
  }
  if (nid == NID_certificate_policies)
    CERTIFICATEPOLICIES_free(ext);
  else
    EXTENDED_KEY_USAGE_free(ext);
  return found;
}

static char *
hex_of(const guint8 *p, gsize n)
{
  GString *s = g_string_sized_new(n * 2);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf(s, "%02x", p[i]);
  return g_string_free(s, FALSE);
}

/* --------------------------------------------------------- path validation */

typedef struct {
  BimiVmcResult *r;
} VerifyState;

static int verify_state_idx = -1;
static GOnce verify_idx_once = G_ONCE_INIT;

static gpointer
init_verify_idx(gpointer unused)
{
  verify_state_idx = X509_STORE_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  return NULL;
}

static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
  VerifyState *st;
  int err, depth;
  X509 *cur;
  g_autofree char *subj = NULL;

  if (ok)
    return 1;
  st = X509_STORE_CTX_get_ex_data(ctx, verify_state_idx);
  err = X509_STORE_CTX_get_error(ctx);
  depth = X509_STORE_CTX_get_error_depth(ctx);
  cur = X509_STORE_CTX_get_current_cert(ctx);
  subj = cur ? short_name(cur) : g_strdup("?");
  switch (err) {
  case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
    break; /* our own allow-list decides (check_critical_extensions) */
  case X509_V_ERR_CERT_HAS_EXPIRED:
    fail(st->r, BIMI_VMC_CHECK_EXPIRED, "certificate %d (%s) has expired", depth, subj);
    break;
  case X509_V_ERR_CERT_NOT_YET_VALID:
    fail(st->r, BIMI_VMC_CHECK_NOT_YET_VALID, "certificate %d (%s) is not yet valid", depth, subj);
    break;
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    if (depth == 0)
    {
      /* Name the certificate that is missing (the issuer), not the one that was found. */
      g_autofree char *issuer = NULL;
      if (cur != NULL) {
        issuer = name_attr(X509_get_issuer_name(cur), "2.5.4.3");
        if (issuer == NULL)
          issuer = name_to_string(X509_get_issuer_name(cur));
      }
      fail(st->r, BIMI_VMC_CHECK_CHAIN_INCOMPLETE,
           "the issuer of the leaf, \"%s\", is neither in the document nor a BIMI root (leaf: %s)",
           issuer != NULL ? issuer : "?", subj);
    }
    else
      fail(st->r, BIMI_VMC_CHECK_CHAIN_UNTRUSTED, "certificate %d (%s) does not chain to a configured BIMI root", depth, subj);
    break;
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
  case X509_V_ERR_CERT_UNTRUSTED:
    fail(st->r, BIMI_VMC_CHECK_CHAIN_UNTRUSTED, "certificate %d (%s): %s", depth, subj, X509_verify_cert_error_string(err));
    break;
  case X509_V_ERR_CERT_SIGNATURE_FAILURE:
  case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
  case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    fail(st->r, BIMI_VMC_CHECK_SIGNATURE, "certificate %d (%s): %s", depth, subj, X509_verify_cert_error_string(err));
    break;
  default:
    fail(st->r, BIMI_VMC_CHECK_PATH, "certificate %d (%s): %s", depth, subj, X509_verify_cert_error_string(err));
    break;
  }
  return 1; /* keep going: report every failure */
}

/* Returns the validated chain (leaf first, anchor last when reached). */
static STACK_OF(X509) *
validate_path(BimiVmcResult *r, BimiVmcTrust *trust, X509 *leaf, GPtrArray *certs, gint64 now)
{
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  STACK_OF(X509) *untrusted = sk_X509_new_null();
  STACK_OF(X509) *chain = NULL;
  VerifyState st = { r };
  X509_VERIFY_PARAM *param;

  g_once(&verify_idx_once, init_verify_idx, NULL);
  for (guint i = 0; i < certs->len; i++)
    if (g_ptr_array_index(certs, i) != leaf)
      sk_X509_push(untrusted, g_ptr_array_index(certs, i));
  X509_STORE_CTX_init(ctx, trust->store, leaf, untrusted);
  X509_STORE_CTX_set_ex_data(ctx, verify_state_idx, &st);
  X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
  param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_time(param, (time_t) now);
  X509_VERIFY_PARAM_set_depth(param, (int) BIMI_VMC_MAX_CHAIN_CERTS);
  if (X509_verify_cert(ctx) != 1 && r->failures->len == 0)
    fail(r, BIMI_VMC_CHECK_PATH, "path validation failed: %s",
         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
  chain = X509_STORE_CTX_get1_chain(ctx);
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  ERR_clear_error();
  return chain;
}

/* Order and leaf count of the document itself (draft: leaf → issuer → ... → optional root). */
static X509 *
check_document(BimiVmcResult *r, GPtrArray *certs)
{
  X509 *leaf = NULL;
  guint leaves = 0;

  for (guint i = 0; i < certs->len; i++) {
    if (X509_check_ca(g_ptr_array_index(certs, i)) == 0) {
      leaves++;
      if (leaf == NULL)
        leaf = g_ptr_array_index(certs, i);
    }
  }
  if (leaves != 1)
    fail(r, BIMI_VMC_CHECK_LEAF_COUNT, "%u end-entity certificates in the document, expected exactly 1", leaves);
  else if (leaf != g_ptr_array_index(certs, 0))
    fail(r, BIMI_VMC_CHECK_LEAF_COUNT, "the end-entity certificate is not the first one in the document");
  if (leaf == NULL)
    leaf = g_ptr_array_index(certs, 0);

  for (guint i = 0; i + 1 < certs->len; i++) {
    X509 *cur = g_ptr_array_index(certs, i);
    if (X509_check_issued(g_ptr_array_index(certs, i + 1), cur) == X509_V_OK)
      continue;
    if (X509_check_issued(cur, cur) == X509_V_OK) {
      fail(r, BIMI_VMC_CHECK_CHAIN_ORDER, "certificate %u is self-signed but not last", i);
      break;
    }
    for (guint j = 0; j < certs->len; j++) {
      if (j != i + 1 && j != i && X509_check_issued(g_ptr_array_index(certs, j), cur) == X509_V_OK) {
        fail(r, BIMI_VMC_CHECK_CHAIN_ORDER, "certificate %u is issued by certificate %u, not by the next one", i, j);
        break;
      }
    }
  }
  return leaf;
}

/* RFC 5280 §4.2: a critical extension we neither process nor tolerate. */
static void
check_critical_extensions(BimiVmcResult *r, STACK_OF(X509) *chain, X509 *leaf)
{
  static const char *const handled[] = { OID_LOGOTYPE, "1.3.6.1.4.1.11129.2.4.2", "2.5.29.31", "1.3.6.1.5.5.7.1.1",
                                         "2.5.29.35", "2.5.29.14" };
  ASN1_OBJECT *pilot = OBJ_txt2obj(OID_PILOT, 1);
  int n = chain ? sk_X509_num(chain) : 0;

  for (int c = -1; c < n; c++) {
    X509 *x = c < 0 ? leaf : sk_X509_value(chain, c);
    if (c == 0 && x == leaf)
      continue;
    for (int i = 0; i < X509_get_ext_count(x); i++) {
      X509_EXTENSION *ext = X509_get_ext(x, i);
      ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
      char oid[80];
      gboolean ok = FALSE;

      if (OBJ_cmp(obj, pilot) == 0) {
        if (x == leaf)
          r->pilot = TRUE;
        continue;
      }
      if (!X509_EXTENSION_get_critical(ext) || X509_supported_extension(ext))
        continue;
      OBJ_obj2txt(oid, sizeof oid, obj, 1);
      for (gsize h = 0; h < G_N_ELEMENTS(handled); h++)
        if (strcmp(oid, handled[h]) == 0)
          ok = TRUE;
      if (!ok) {
        g_autofree char *subj = short_name(x);
        fail(r, BIMI_VMC_CHECK_CRITICAL_EXTENSION, "unknown critical extension %s in %s", oid, subj);
      }
    }
  }
  ASN1_OBJECT_free(pilot);
}

/* ------------------------------------------------------------------ SANs */

static void
check_san(BimiVmcResult *r, X509 *leaf, const BimiVmcOptions *opts)
{
  GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
  g_autoptr(GPtrArray) sans = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *domain = NULL, *selector = NULL, *selname = NULL;

  for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
    const unsigned char *d;
    int n;
    if (g->type != GEN_DNS)
      continue;
    d = ASN1_STRING_get0_data(g->d.dNSName);
    n = ASN1_STRING_length(g->d.dNSName);
    if (sans->len >= BIMI_VMC_MAX_SANS) {
      warn(r, "more than %u SAN dNSNames; the rest are ignored", BIMI_VMC_MAX_SANS);
      break;
    }
    {
      char *s = g_ascii_strdown((const char *) d, n);
      if (strlen(s) != (gsize) n) { /* embedded NUL: never matches */
        g_free(s);
        continue;
      }
      for (char *p = s; *p; p++)
        if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e)
          *p = '?';
      g_ptr_array_add(sans, s);
    }
  }
  GENERAL_NAMES_free(gens);
  g_ptr_array_add(sans, NULL);
  g_strfreev(r->sans);
  r->sans = g_strdupv((char **) sans->pdata);
  if (sans->len == 1) {
    fail(r, BIMI_VMC_CHECK_SAN_MISSING, "the leaf has no subjectAltName dNSName");
    return;
  }
  if (opts->domain == NULL) {
    warn(r, "no record domain given: SAN not matched");
    return;
  }
  {
    char *alabel = NULL;
    int rc = idn2_to_ascii_8z(opts->domain, &alabel, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
      fail(r, BIMI_VMC_CHECK_SAN_MISMATCH, "record domain is not a valid domain name (%s)", idn2_strerror(rc));
      return;
    }
    domain = g_ascii_strdown(alabel, -1);
    idn2_free(alabel);
  }
  if (g_str_has_suffix(domain, "."))
    domain[strlen(domain) - 1] = '\0';
  selector = g_ascii_strdown(opts->selector ? opts->selector : "default", -1);
  selname = g_strdup_printf("%s._bimi.%s", selector, domain);
  /* spec §7.3: <record-domain> in the domain-set, or <sel>._bimi.<record-domain> in the selector-set. */
  for (guint i = 0; r->sans[i] != NULL; i++)
    if (strcmp(r->sans[i], domain) == 0 || strcmp(r->sans[i], selname) == 0)
      return;
  fail(r, BIMI_VMC_CHECK_SAN_MISMATCH, "no SAN dNSName is %s or %s", domain, selname);
}

/* ------------------------------------------------------------------ SCTs */

static void
check_scts(BimiVmcResult *r, BimiVmcTrust *trust, X509 *leaf, X509 *issuer, gint64 now)
{
  int idx = X509_get_ext_by_NID(leaf, NID_ct_precert_scts, -1);
  ASN1_OCTET_STRING *data;
  g_autoptr(GPtrArray) parsed = NULL;
  g_autoptr(GError) local = NULL;
  STACK_OF(SCT) *scts;
  CT_POLICY_EVAL_CTX *ctx;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  guint unknown = 0, invalid = 0;

  if (idx < 0) {
    fail(r, BIMI_VMC_CHECK_SCT_MISSING, "the leaf has no SCT list extension (1.3.6.1.4.1.11129.2.4.2)");
    return;
  }
  data = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
  parsed = bimi_vmc__sct_list_from_extension(ASN1_STRING_get0_data(data), (gsize) ASN1_STRING_length(data), &local);
  if (parsed == NULL) {
    fail(r, BIMI_VMC_CHECK_SCT_INVALID, "%s", local->message);
    return;
  }
  if (parsed->len == 0) {
    fail(r, BIMI_VMC_CHECK_SCT_MISSING, "the SCT list is empty");
    return;
  }
  if (issuer == NULL) {
    warn(r, "SCTs not verified: the issuing CA is unknown");
    return;
  }
  scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
  if (scts == NULL) {
    ERR_clear_error();
    fail(r, BIMI_VMC_CHECK_SCT_INVALID, "OpenSSL could not decode the SCT list");
    return;
  }
  ctx = CT_POLICY_EVAL_CTX_new();
  CT_POLICY_EVAL_CTX_set1_cert(ctx, leaf);
  CT_POLICY_EVAL_CTX_set1_issuer(ctx, issuer);
  CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, trust->logs);
  CT_POLICY_EVAL_CTX_set_time(ctx, (uint64_t) now * 1000u);
  (void) SCT_LIST_validate(scts, ctx);
  ERR_clear_error();
  for (int i = 0; i < sk_SCT_num(scts); i++) {
    SCT *sct = sk_SCT_value(scts, i);
    unsigned char *id = NULL;
    size_t idlen = SCT_get0_log_id(sct, &id);
    switch (SCT_get_validation_status(sct)) {
    case SCT_VALIDATION_STATUS_VALID: {
      const CTLOG *log = CTLOG_STORE_get0_log_by_id(trust->logs, id, idlen);
      if (names->len < BIMI_VMC_MAX_SCTS)
        g_ptr_array_add(names, g_strdup(log ? CTLOG_get0_name(log) : "?"));
      break;
    }
    case SCT_VALIDATION_STATUS_UNKNOWN_LOG:
      unknown++;
      break;
    default:
      invalid++;
      break;
    }
  }
  SCT_LIST_free(scts);
  CT_POLICY_EVAL_CTX_free(ctx);
  g_ptr_array_add(names, NULL);
  g_strfreev(r->sct_logs);
  r->sct_logs = g_strdupv((char **) names->pdata);
  if (names->len > 1)
    return;
  if (invalid > 0)
    fail(r, BIMI_VMC_CHECK_SCT_INVALID, "%u SCT(s) from configured logs failed verification", invalid);
  else
    fail(r, BIMI_VMC_CHECK_SCT_UNKNOWN_LOG, "%u SCT(s), none from a configured CT log", unknown);
}

/* ------------------------------------------------------------- revocation */

static GPtrArray *
crl_urls(X509 *x)
{
  STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
  GPtrArray *urls = g_ptr_array_new_with_free_func(g_free);

  for (int i = 0; dps != NULL && i < sk_DIST_POINT_num(dps); i++) {
    DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
    if (dp->distpoint == NULL || dp->distpoint->type != 0)
      continue;
    for (int j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
      GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
      const char *u;
      int n;
      if (g->type != GEN_URI)
        continue;
      u = (const char *) ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
      n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
      if (n > 7 && (size_t) n == strnlen(u, (size_t) n) &&
          (g_ascii_strncasecmp(u, "http://", 7) == 0 || g_ascii_strncasecmp(u, "https://", 8) == 0) &&
          urls->len < 8)
        g_ptr_array_add(urls, g_strndup(u, (gsize) n));
    }
  }
  sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
  return urls;
}

guint
bimi_vmc__crl_cache_put(BimiVmcTrust *trust, const char *url, X509_CRL *crl, gint64 next_update)
{
  CachedCrl *c = g_new0(CachedCrl, 1);
  guint n;

  c->crl = crl;
  X509_CRL_up_ref(crl);
  c->next_update = next_update;
  g_mutex_lock(&trust->lock);
  if (g_hash_table_size(trust->crls) >= BIMI_VMC_MAX_CACHED_CRLS && !g_hash_table_contains(trust->crls, url))
    g_hash_table_remove_all(trust->crls); /* bounded and simple: a BIMI deployment sees a handful of CRLs */
  g_hash_table_replace(trust->crls, g_strdup(url), c);
  n = g_hash_table_size(trust->crls);
  g_mutex_unlock(&trust->lock);
  return n;
}

/* A verified, current CRL for @url issued by @issuer (cached), or NULL + why. */
static X509_CRL *
get_crl(BimiVmcTrust *trust, const BimiVmcOptions *opts, const char *url, X509 *issuer, char **why,
        gboolean *transient)
{
  CachedCrl *c;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local = NULL;
  X509_CRL *crl = NULL;
  const guint8 *p;
  gsize n;
  EVP_PKEY *key;
  gint64 this_update, next_update;

  g_mutex_lock(&trust->lock);
  c = g_hash_table_lookup(trust->crls, url);
  if (c != NULL && c->next_update > opts->now &&
      X509_NAME_cmp(X509_CRL_get_issuer(c->crl), X509_get_subject_name(issuer)) == 0) {
    crl = c->crl;
    X509_CRL_up_ref(crl);
  }
  g_mutex_unlock(&trust->lock);
  if (crl != NULL)
    return crl;
  if (opts->fetch_crl == NULL) {
    *why = g_strdup_printf("%s: no CRL fetcher configured", url);
    return NULL;
  }
  bytes = opts->fetch_crl(url, opts->fetch_user_data, &local);
  if (bytes == NULL) {
    *transient = g_error_matches(local, BIMI_VMC_ERROR, BIMI_VMC_ERROR_FETCH_TRANSIENT);
    *why = g_strdup_printf("%s: %s", url, local ? local->message : "fetch failed");
    return NULL;
  }
  p = g_bytes_get_data(bytes, &n);
  if (n > BIMI_VMC_MAX_CRL_BYTES) {
    *why = g_strdup_printf("%s: CRL larger than %u bytes", url, BIMI_VMC_MAX_CRL_BYTES);
    return NULL;
  }
  if (n > 0 && p[0] == 0x30) {
    const unsigned char *q = p;
    crl = d2i_X509_CRL(NULL, &q, (long) n);
  } else {
    BIO *b = BIO_new_mem_buf(p, (int) n);
    crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
    BIO_free(b);
  }
  ERR_clear_error();
  if (crl == NULL) {
    *why = g_strdup_printf("%s: not a CRL", url);
    return NULL;
  }
  key = X509_get0_pubkey(issuer);
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 || key == NULL ||
      X509_CRL_verify(crl, key) != 1) {
    ERR_clear_error();
    X509_CRL_free(crl);
    *why = g_strdup_printf("%s: CRL not signed by the issuing CA", url);
    return NULL;
  }
  this_update = asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl));
  next_update = asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl));
  if (this_update > opts->now || next_update == 0 || next_update <= opts->now) {
    X509_CRL_free(crl);
    *why = g_strdup_printf("%s: CRL not current at the evaluation time", url);
    return NULL;
  }
  bimi_vmc__crl_cache_put(trust, url, crl, next_update);
  return crl;
}

static void
check_revocation(BimiVmcResult *r, BimiVmcTrust *trust, STACK_OF(X509) *chain, const BimiVmcOptions *opts)
{
  int n = chain ? sk_X509_num(chain) : 0;
  gboolean unavailable = FALSE, revoked = FALSE, all_transient = TRUE;
  g_autoptr(GPtrArray) leaf_urls = NULL;
  g_autoptr(GPtrArray) tried = g_ptr_array_new_with_free_func(g_free);

  if (opts->revocation == BIMI_VMC_REVOCATION_OFF)
    return;
  if (n >= 1) {
    leaf_urls = crl_urls(sk_X509_value(chain, 0));
    if (leaf_urls->len == 0)
      fail(r, BIMI_VMC_CHECK_CRLDP_MISSING, "the leaf has no HTTP CRL distribution point");
  }
  if (opts->revocation == BIMI_VMC_REVOCATION_OFF || n < 2)
    return;
  /* Only a chain that reached a configured anchor is worth a CRL fetch: URLs of
   * an untrusted chain are attacker-chosen, and its verdict is already "fail". */
  {
    X509 *top = sk_X509_value(chain, n - 1);
    gboolean anchored = FALSE;
    for (guint i = 0; i < trust->anchors->len; i++)
      if (X509_cmp(g_array_index(trust->anchors, Anchor, i).cert, top) == 0)
        anchored = TRUE;
    if (!anchored)
      return;
  }
  /* Every certificate below the anchor, against its issuer's CRL (RFC 5280 §6.3). */
  for (int i = 0; i + 1 < n && !revoked; i++) {
    X509 *x = sk_X509_value(chain, i), *issuer = sk_X509_value(chain, i + 1);
    g_autoptr(GPtrArray) urls = crl_urls(x);
    gboolean decided = FALSE;
    g_autofree char *subj = short_name(x);

    if (urls->len == 0) {
      if (i > 0) { /* the leaf's case is the "crldp-missing" failure above */
        warn(r, "revocation: %s has no CRL distribution point", subj);
        unavailable = TRUE;
        all_transient = FALSE;
      }
      continue;
    }
    for (guint u = 0; u < urls->len && !decided; u++) {
      g_autofree char *why = NULL;
      gboolean transient = FALSE;
      X509_CRL *crl = get_crl(trust, opts, g_ptr_array_index(urls, u), issuer, &why, &transient);
      X509_REVOKED *rev = NULL;
      const char *url = g_ptr_array_index(urls, u);
      gboolean listed = FALSE;
      if (crl == NULL) {
        all_transient = all_transient && transient;
        warn(r, "revocation unavailable: %s", why);
        /* @why starts with the URL */
        g_ptr_array_add(tried, g_strdup_printf("%s (%s): unavailable: %s", url, subj,
                                               g_str_has_prefix(why, url) && why[strlen(url)] == ':'
                                                 ? why + strlen(url) + 2 : why));
        continue;
      }
      decided = TRUE;
      if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(x)) == 1) {
        gint64 when = asn1_time_to_unix(X509_REVOKED_get0_revocationDate(rev));
        if (when <= opts->now) {
          revoked = listed = TRUE;
          fail(r, BIMI_VMC_CHECK_REVOKED, "%s is revoked (CRL %s)", subj, url);
        }
      }
      g_ptr_array_add(tried, g_strdup_printf("%s (%s): %s", url, subj, listed ? "revoked" : "good"));
      X509_CRL_free(crl);
    }
    if (!decided)
      unavailable = TRUE;
  }
  g_ptr_array_add(tried, NULL);
  g_strfreev(r->revocation_crls);
  r->revocation_crls = (char **) g_ptr_array_steal(tried, NULL);
  if (revoked)
    r->revocation = BIMI_VMC_REVOCATION_REVOKED;
  else if (unavailable) {
    r->revocation = BIMI_VMC_REVOCATION_UNAVAILABLE;
    r->revocation_transient = all_transient;
    if (opts->revocation == BIMI_VMC_REVOCATION_REQUIRE)
      fail(r, BIMI_VMC_CHECK_REVOCATION_UNKNOWN, "revocation status unavailable and revocation=require");
  } else
    r->revocation = BIMI_VMC_REVOCATION_GOOD;
}

/* --------------------------------------------------------------- logotype */

static GBytes *
decode_logo(X509 *leaf, BimiLogotypeDetails **details_out, BimiVmcCheck *why_check, GError **error)
{
  ASN1_OBJECT *obj = OBJ_txt2obj(OID_LOGOTYPE, 1);
  int idx = X509_get_ext_by_OBJ(leaf, obj, -1);
  ASN1_OCTET_STRING *data;
  g_autoptr(BimiLogotypeDetails) d = NULL;
  GBytes *svg;

  ASN1_OBJECT_free(obj);
  if (idx < 0) {
    *why_check = BIMI_VMC_CHECK_LOGOTYPE_MISSING;
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "the leaf has no logotype extension (1.3.6.1.5.5.7.1.12)");
    return NULL;
  }
  data = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
  *why_check = BIMI_VMC_CHECK_LOGOTYPE_INVALID;
  d = bimi_vmc__logotype_parse(ASN1_STRING_get0_data(data), (gsize) ASN1_STRING_length(data), error);
  if (d == NULL)
    return NULL;
  if (g_ascii_strcasecmp(d->media_type, "image/svg+xml") != 0) {
    *why_check = BIMI_VMC_CHECK_LOGO_MEDIA_TYPE;
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_PARSE, "logotype mediaType is '%s', not image/svg+xml", d->media_type);
    return NULL;
  }
  svg = bimi_vmc__logo_data_uri_decode(g_ptr_array_index(d->uris, 0), error);
  if (svg == NULL)
    return NULL;
  if (details_out)
    *details_out = g_steal_pointer(&d);
  return svg;
}

static void
check_logo(BimiVmcResult *r, X509 *leaf, const BimiVmcOptions *opts)
{
  g_autoptr(BimiLogotypeDetails) d = NULL;
  g_autoptr(GError) local = NULL;
  BimiVmcCheck why = BIMI_VMC_CHECK_LOGOTYPE_INVALID;
  gboolean any_known = FALSE, all_ok = TRUE;
  BimiLogoHash *best = NULL;

  r->svg = decode_logo(leaf, &d, &why, &local);
  if (r->svg == NULL) {
    fail(r, why, "%s", local->message);
    return;
  }
  r->svg_sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, r->svg);
  for (guint i = 0; i < d->hashes->len; i++) {
    BimiLogoHash *h = g_ptr_array_index(d->hashes, i);
    GChecksumType t;
    g_autofree char *want = NULL, *got = NULL;
    gsize vlen;
    const guint8 *v = g_bytes_get_data(h->value, &vlen);

    switch (h->alg) {
    case BIMI_LOGO_HASH_SHA1: t = G_CHECKSUM_SHA1; break;
    case BIMI_LOGO_HASH_SHA256: t = G_CHECKSUM_SHA256; break;
    case BIMI_LOGO_HASH_SHA384: t = G_CHECKSUM_SHA384; break;
    case BIMI_LOGO_HASH_SHA512: t = G_CHECKSUM_SHA512; break;
    case BIMI_LOGO_HASH_UNKNOWN: default: continue;
    }
    any_known = TRUE;
    want = hex_of(v, vlen);
    got = g_compute_checksum_for_bytes(t, r->svg);
    if (g_ascii_strcasecmp(want, got) != 0)
      all_ok = FALSE;
    if (best == NULL || h->alg > best->alg)
      best = h;
  }
  if (best != NULL) {
    static const char *const names[] = { "unknown", "sha1", "sha256", "sha384", "sha512" };
    gsize vlen;
    const guint8 *v = g_bytes_get_data(best->value, &vlen);
    r->logo_hash_alg = g_strdup(names[best->alg]);
    r->logo_hash_hex = hex_of(v, vlen);
  }
  r->logo_hash_ok = any_known && all_ok;
  if (!any_known)
    fail(r, BIMI_VMC_CHECK_LOGO_HASH, "logotypeHash uses no supported algorithm (SHA-1/256/384/512)");
  else if (!all_ok)
    fail(r, BIMI_VMC_CHECK_LOGO_HASH, "logotypeHash does not match the uncompressed SVG");

  {
    g_autofree char *detail = NULL;
    BimiVmcSvgCheckFunc check = opts->svg_check ? opts->svg_check : bimi_vmc_svg_check_default;
    if (!check(r->svg, opts->svg_user_data, &detail))
      fail(r, BIMI_VMC_CHECK_LOGO_SVG, "the certificate's SVG is not SVG Tiny PS: %s", detail ? detail : "invalid");
  }
  if (opts->location_svg != NULL && !bimi_vmc_svg_equal(opts->location_svg, r->svg))
    fail(r, BIMI_VMC_CHECK_LOGO_MISMATCH, "the l= SVG differs from the certificate's SVG");
}

gboolean
bimi_vmc_svg_check_default(GBytes *svg, gpointer user_data, char **detail)
{
  g_autoptr(GError) error = NULL;
  BimiSvgResult *res = bimi_svg_validate(svg, &error);
  gboolean ok;

  if (res == NULL) { /* could not evaluate: fail closed */
    *detail = g_strdup_printf("SVG validator unavailable: %s", error->message);
    return FALSE;
  }
  ok = res->valid;
  if (!ok && res->errors->len > 0) {
    const BimiSvgIssue *i = g_ptr_array_index(res->errors, 0);
    g_autofree char *msg = g_strdup(i->message);
    for (char *c = msg; *c; c++) /* attacker text: no control characters in reports */
      if ((unsigned char) *c < 0x20 || *c == 0x7f)
        *c = ' ';
    *detail = g_strdup_printf("%s at line %u: %s%s", i->code, i->line, msg,
                              res->errors->len > 1 ? " (and more)" : "");
  }
  bimi_svg_result_free(res);
  return ok;
}

/* ----------------------------------------------------------------- verify */

static void
fill_subject(BimiVmcResult *r, X509 *leaf)
{
  const X509_NAME *subj = X509_get_subject_name(leaf);
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  ASN1_INTEGER *serial = X509_get_serialNumber(leaf);
  BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);

  r->subject = name_to_string(subj);
  r->issuer = name_to_string(X509_get_issuer_name(leaf));
  r->organization = name_attr(subj, "2.5.4.10");
  r->trademark_country = name_attr(subj, OID_TM_COUNTRY);
  r->trademark_office = name_attr(subj, OID_TM_OFFICE);
  r->trademark_id = name_attr(subj, OID_TM_ID);
  r->mark_type_text = name_attr(subj, OID_MARK_TYPE);
  r->not_before = asn1_time_to_unix(X509_get0_notBefore(leaf));
  r->not_after = asn1_time_to_unix(X509_get0_notAfter(leaf));
  if (bn != NULL) {
    char *h = BN_bn2hex(bn);
    r->serial_hex = g_ascii_strdown(h, -1);
    OPENSSL_free(h);
    BN_free(bn);
  }
  X509_digest(leaf, EVP_sha256(), md, &mdlen);
  r->leaf_sha256 = hex_of(md, mdlen);
}

static void
classify(BimiVmcResult *r, gboolean bimi_eku)
{
  r->mark_type = BIMI_VMC_MARK_ABSENT;
  if (r->mark_type_text != NULL) {
    r->mark_type = BIMI_VMC_MARK_UNKNOWN;
    /* the named values, between ABSENT (no text) and UNKNOWN (whatever else) */
    for (guint t = BIMI_VMC_MARK_ABSENT + 1; t < BIMI_VMC_MARK_UNKNOWN; t++)
      if (strcmp(r->mark_type_text, mark_types[t].text) == 0)
        r->mark_type = (BimiVmcMarkType) t;
  }
  if (!bimi_eku) {
    r->cert_type = BIMI_VMC_CERT_NONE;
    return;
  }
  r->cert_type = mark_types[r->mark_type].cert_type;
  if (r->mark_type == BIMI_VMC_MARK_UNKNOWN)
    fail(r, BIMI_VMC_CHECK_MARK_TYPE, "unknown markType '%s'", r->mark_type_text);
  /* Elsewhere the pilot identifier is an unknown critical extension. */
  if (r->pilot && !mark_types[r->mark_type].pilot_allowed)
    fail(r, BIMI_VMC_CHECK_CRITICAL_EXTENSION, "critical pilot identifier extension %s on a %s certificate",
         OID_PILOT, r->mark_type_text ? r->mark_type_text : "non-CMC");
}

static void
x509_free_cb(gpointer p)
{
  X509_free(p);
}

BimiVmcResult *
bimi_vmc_verify(GBytes *pem, BimiVmcTrust *trust, const BimiVmcOptions *opts, GError **error)
{
  g_autoptr(BimiVmcResult) r = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) local = NULL;
  STACK_OF(X509) *chain = NULL;
  X509 *leaf, *issuer = NULL;
  ASN1_OBJECT *eku_bimi, *mark_policy;
  gsize len;
  const guint8 *data;
  gboolean leaf_eku;

  g_return_val_if_fail(pem != NULL && trust != NULL && opts != NULL, NULL);
  data = g_bytes_get_data(pem, &len);
  if (len > BIMI_VMC_MAX_PEM_BYTES) {
    g_set_error(error, BIMI_VMC_ERROR, BIMI_VMC_ERROR_LIMIT,
                "Evidence Document of %" G_GSIZE_FORMAT " bytes exceeds %u", len, BIMI_VMC_MAX_PEM_BYTES);
    return NULL;
  }
  r = g_new0(BimiVmcResult, 1);
  r->failures = g_ptr_array_new_with_free_func(failure_free);
  r->warnings = g_ptr_array_new_with_free_func(g_free);
  r->sans = g_new0(char *, 1);
  r->sct_logs = g_new0(char *, 1);
  r->revocation_crls = g_new0(char *, 1);
  r->chain = g_new0(char *, 1);

  certs = bimi_vmc__pem_chain_parse(data, len, &local);
  if (certs == NULL) {
    fail(r, BIMI_VMC_CHECK_PEM, "%s", local->message);
    return g_steal_pointer(&r);
  }
  leaf = check_document(r, certs);
  fill_subject(r, leaf);

  chain = validate_path(r, trust, leaf, certs, opts->now);
  {
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
      g_ptr_array_add(names, name_to_string(X509_get_subject_name(sk_X509_value(chain, i))));
    g_ptr_array_add(names, NULL);
    g_strfreev(r->chain);
    r->chain = (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
  }
  if (chain != NULL && sk_X509_num(chain) >= 2 &&
      X509_check_issued(sk_X509_value(chain, 1), leaf) == X509_V_OK)
    issuer = sk_X509_value(chain, 1);

  /* Per-anchor distrust date (spec §8.3, Entrust VMCR1 after 2024-11-15). */
  if (chain != NULL && sk_X509_num(chain) >= 2) {
    X509 *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
    for (guint i = 0; i < trust->anchors->len; i++) {
      Anchor *a = &g_array_index(trust->anchors, Anchor, i);
      if (X509_cmp(a->cert, top) == 0 && a->distrust_after != 0 && r->not_before > a->distrust_after) {
        g_autofree char *an = short_name(top);
        fail(r, BIMI_VMC_CHECK_DISTRUSTED, "issued after the distrust date of %s", an);
      }
    }
  }

  eku_bimi = OBJ_txt2obj(OID_EKU_BIMI, 1);
  mark_policy = OBJ_txt2obj(OID_MARK_POLICY, 1);
  leaf_eku = ext_lists_oid(leaf, NID_ext_key_usage, eku_bimi);
  if (!leaf_eku)
    fail(r, BIMI_VMC_CHECK_EKU_LEAF, "the leaf lacks EKU id-kp-BrandIndicatorforMessageIdentification (%s)", OID_EKU_BIMI);
  if (issuer != NULL && !ext_lists_oid(issuer, NID_ext_key_usage, eku_bimi)) {
    g_autofree char *in = short_name(issuer);
    fail(r, BIMI_VMC_CHECK_EKU_ISSUER, "the issuing CA (%s) lacks EKU %s", in, OID_EKU_BIMI);
  }
  if (!ext_lists_oid(leaf, NID_certificate_policies, mark_policy))
    fail(r, BIMI_VMC_CHECK_POLICY, "the leaf lacks certificate policy %s", OID_MARK_POLICY);
  ASN1_OBJECT_free(eku_bimi);
  ASN1_OBJECT_free(mark_policy);

  check_critical_extensions(r, chain, leaf);
  classify(r, leaf_eku);
  check_san(r, leaf, opts);
  check_scts(r, trust, leaf, issuer, opts->now);
  check_revocation(r, trust, chain, opts);
  check_logo(r, leaf, opts);

  if (chain != NULL)
    sk_X509_pop_free(chain, X509_free);
  r->valid = r->failures->len == 0;
  return g_steal_pointer(&r);
}

GBytes *
bimi_vmc_extract_logo(GBytes *pem, GError **error)
{
  g_autoptr(GPtrArray) certs = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data(pem, &len);
  BimiVmcCheck why;

  g_once(&oids_once, register_oids, NULL);
  certs = bimi_vmc__pem_chain_parse(data, len, error);
  if (certs == NULL)
    return NULL;
  g_ptr_array_set_free_func(certs, x509_free_cb);
  /* the leaf as bimi_vmc_verify() finds it: the first end-entity certificate, even out of order */
  for (guint i = 0; i < certs->len; i++)
    if (X509_check_ca(g_ptr_array_index(certs, i)) == 0)
      return decode_logo(g_ptr_array_index(certs, i), NULL, &why, error);
  return decode_logo(g_ptr_array_index(certs, 0), NULL, &why, error);
}

static GBytes *
normalise_eol(GBytes *b)
{
  gsize n;
  const guint8 *p = g_bytes_get_data(b, &n);
  GByteArray *out = g_byte_array_sized_new((guint) n);

  for (gsize i = 0; i < n; i++) {
    if (p[i] == '\r') {
      g_byte_array_append(out, (const guint8 *) "\n", 1);
      if (i + 1 < n && p[i + 1] == '\n')
        i++;
    } else
      g_byte_array_append(out, p + i, 1);
  }
  return g_byte_array_free_to_bytes(out);
}

gboolean
bimi_vmc_svg_equal(GBytes *a, GBytes *b)
{
  g_autoptr(GBytes) na = normalise_eol(a);
  g_autoptr(GBytes) nb = normalise_eol(b);
  return g_bytes_equal(na, nb);
}
