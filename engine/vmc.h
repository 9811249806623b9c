/* engine/vmc.h — BIMI Evidence Document (VMC/CMC) validation.
 *
 * draft-fetch-validation-vmc-wchuang-11 §"Validation of VMC Evidence Document"
 * and Mark Certificate Requirements v1.7 (spec/bimi-receiver.md §7–§8):
 * PEM chain → path to the configured BIMI roots (never the system TLS store)
 * at an explicit `now` → EKU, mark policy, critical extensions → SAN ↔
 * record domain → SCTs against the configured CT logs → revocation (CRL via a
 * caller-supplied fetch callback) → logotype (data: URI, gzip, hash) → the
 * SVG. Every failed check is a BimiVmcFailure with a stable reason code;
 * a GError only means the input could not be evaluated at all.
 */
#ifndef BIMI_VMC_H
#define BIMI_VMC_H

#include <glib.h>
#include "engine/base/base-mem.h"

G_BEGIN_DECLS

#define BIMI_VMC_ERROR (bimi_vmc_error_quark())
GQuark bimi_vmc_error_quark(void);

typedef enum {
  BIMI_VMC_ERROR_PARSE,   /**< input (PEM, DER, trust file, CT log list) malformed */
  BIMI_VMC_ERROR_LIMIT,   /**< a limit of engine/limits.h was exceeded */
  BIMI_VMC_ERROR_IO,      /**< a trust file could not be read */
  BIMI_VMC_ERROR_FETCH,   /**< the CRL fetch callback failed (reported to it, not by bimi_vmc_verify) */
  BIMI_VMC_ERROR_FETCH_TRANSIENT, /**< the same, for a reason that passes (DNS, connect, timeout, busy,
                                   *   HTTP 5xx): the revocation status is a temperror, not a verdict */
} BimiVmcError;

/** Every check, with a stable reason code (bimi_vmc_check_code()). */
typedef enum {
  BIMI_VMC_CHECK_PEM,                 /**< "pem": the document is not a PEM certificate chain */
  BIMI_VMC_CHECK_LEAF_COUNT,          /**< "leaf-count": not exactly one end-entity certificate, or it is not first */
  BIMI_VMC_CHECK_CHAIN_ORDER,         /**< "chain-order": certificates not ordered leaf → issuer → ... */
  BIMI_VMC_CHECK_CHAIN_INCOMPLETE,    /**< "chain-incomplete": an issuer is neither in the file nor a trust anchor */
  BIMI_VMC_CHECK_CHAIN_UNTRUSTED,     /**< "chain-untrusted": the path does not end at a configured BIMI root */
  BIMI_VMC_CHECK_SIGNATURE,           /**< "signature": a certificate signature does not verify */
  BIMI_VMC_CHECK_EXPIRED,             /**< "expired": a certificate's notAfter is before now */
  BIMI_VMC_CHECK_NOT_YET_VALID,       /**< "not-yet-valid": a certificate's notBefore is after now */
  BIMI_VMC_CHECK_PATH,                /**< "path": other RFC 5280 §6.1 failure (basic constraints, ...) */
  BIMI_VMC_CHECK_DISTRUSTED,          /**< "distrusted": issued after the anchor's distrust date */
  BIMI_VMC_CHECK_EKU_LEAF,            /**< "eku-leaf": leaf lacks id-kp-BIMI 1.3.6.1.5.5.7.3.31 */
  BIMI_VMC_CHECK_EKU_ISSUER,          /**< "eku-issuer": issuing CA lacks id-kp-BIMI */
  BIMI_VMC_CHECK_POLICY,              /**< "policy": leaf lacks policy 1.3.6.1.4.1.53087.1.1 */
  BIMI_VMC_CHECK_CRITICAL_EXTENSION,  /**< "critical-extension": an unknown critical extension */
  BIMI_VMC_CHECK_SAN_MISSING,         /**< "san-missing": no SAN dNSName */
  BIMI_VMC_CHECK_SAN_MISMATCH,        /**< "san-mismatch": no SAN matches the record domain / selector */
  BIMI_VMC_CHECK_SCT_MISSING,         /**< "sct-missing": no SCT list / no SCT */
  BIMI_VMC_CHECK_SCT_UNKNOWN_LOG,     /**< "sct-unknown-log": SCTs only from logs not configured */
  BIMI_VMC_CHECK_SCT_INVALID,         /**< "sct-invalid": SCT from a known log whose signature (or timestamp) fails */
  BIMI_VMC_CHECK_CRLDP_MISSING,       /**< "crldp-missing": leaf has no HTTP CRL distribution point */
  BIMI_VMC_CHECK_REVOKED,             /**< "revoked": a certificate's serial is on its issuer's CRL */
  BIMI_VMC_CHECK_REVOCATION_UNKNOWN,  /**< "revocation-unknown": no usable CRL (failure only with revocation=require) */
  BIMI_VMC_CHECK_LOGOTYPE_MISSING,    /**< "logotype-missing": no logotype extension */
  BIMI_VMC_CHECK_LOGOTYPE_INVALID,    /**< "logotype-invalid": malformed logotype / data: URI / gzip */
  BIMI_VMC_CHECK_LOGO_MEDIA_TYPE,     /**< "logo-media-type": mediaType is not image/svg+xml */
  BIMI_VMC_CHECK_LOGO_HASH,           /**< "logo-hash": logotypeHash does not match the SVG (or unsupported alg) */
  BIMI_VMC_CHECK_LOGO_SVG,            /**< "logo-svg": the embedded SVG fails the SVG Tiny PS validator */
  BIMI_VMC_CHECK_LOGO_MISMATCH,       /**< "logo-mismatch": the l= SVG differs from the certificate's */
  BIMI_VMC_CHECK_MARK_TYPE,           /**< "mark-type": markType present but unknown */
  BIMI_VMC_N_CHECKS
} BimiVmcCheck;

/** Stable reason code of @check ("eku-leaf", ...). (transfer none) */
const char *bimi_vmc_check_code(BimiVmcCheck check);

typedef enum { BIMI_VMC_REVOCATION_SOFT = 0, BIMI_VMC_REVOCATION_REQUIRE, BIMI_VMC_REVOCATION_OFF } BimiVmcRevocationMode;
/** "soft" | "require" | "off" → mode; FALSE when unknown. */
gboolean bimi_vmc_revocation_mode_from_string(const char *s, BimiVmcRevocationMode *out);
const char *bimi_vmc_revocation_mode_to_string(BimiVmcRevocationMode mode);

typedef enum { BIMI_VMC_CERT_NONE = 0, BIMI_VMC_CERT_VMC, BIMI_VMC_CERT_CMC } BimiVmcCertType;
typedef enum {
  BIMI_VMC_MARK_ABSENT = 0,           /**< no markType (pre-2022 VMC; treated as VMC) */
  BIMI_VMC_MARK_REGISTERED,
  BIMI_VMC_MARK_GOVERNMENT,
  BIMI_VMC_MARK_PRIOR_USE,
  BIMI_VMC_MARK_MODIFIED_REGISTERED,
  BIMI_VMC_MARK_UNKNOWN,              /**< another value (e.g. MCR v1.8 drafts): CMC, no checkmark */
} BimiVmcMarkType;

typedef enum {
  BIMI_VMC_REVOCATION_NOT_CHECKED = 0, /**< revocation=off, or the chain failed before */
  BIMI_VMC_REVOCATION_GOOD,            /**< every CRL fetched, verified, serial not listed */
  BIMI_VMC_REVOCATION_REVOKED,
  BIMI_VMC_REVOCATION_UNAVAILABLE,     /**< some CRL could not be fetched or verified */
} BimiVmcRevocationStatus;

const char *bimi_vmc_cert_type_to_string(BimiVmcCertType t);        /* "none" "vmc" "cmc" */
const char *bimi_vmc_mark_type_to_string(BimiVmcMarkType t);        /* NULL for ABSENT, else MCR text */
const char *bimi_vmc_revocation_status_to_string(BimiVmcRevocationStatus s); /* "not-checked" "good" "revoked" "unavailable" */

/**
 * BimiVmcFetchCrlFunc:
 * @url: the HTTP(S) CRL distribution point URL (NUL-terminated)
 * @user_data: the caller's pointer
 * @error: any error (its message goes into the warning / failure detail)
 *
 * Returns: (transfer full): the CRL bytes (DER or PEM), or NULL with @error.
 * Called synchronously from bimi_vmc_verify(); engine/fetch plugs in here:
 * bimi_vmc_fetch_crl_with_fetcher() (engine/fetch.h) with the BimiFetcher as
 * user data.
 */
typedef GBytes *(*BimiVmcFetchCrlFunc)(const char *url, gpointer user_data, GError **error);

/**
 * BimiVmcSvgCheckFunc:
 * @svg: the uncompressed SVG from the certificate
 * @user_data: the caller's pointer
 * @detail: (out) (transfer full): on FALSE, why (e.g. engine/svg's first violation)
 *
 * Returns: TRUE when the SVG passes the SVG Tiny PS profile (engine/svg plugs in here).
 */
typedef gboolean (*BimiVmcSvgCheckFunc)(GBytes *svg, gpointer user_data, char **detail);

/**
 * bimi_vmc_svg_check_default:
 *
 * The default BimiVmcSvgCheckFunc: engine/svg's bimi_svg_validate() (SVG Tiny
 * PS, spec §6). @detail gets the first violation ("code at line N: message").
 * An SVG that cannot be evaluated fails (closed).
 */
gboolean bimi_vmc_svg_check_default(GBytes *svg, gpointer user_data, char **detail);

/** Trust configuration: BIMI roots, CT logs and the CRL cache. Opaque, thread-safe, refcounted. */
typedef struct BimiVmcTrust BimiVmcTrust;

/**
 * bimi_vmc_trust_new_from_files:
 * @roots_path: PEM trust anchors ([trust] bimi_roots). A comment line
 *   "# distrust-after: YYYY-MM-DD" before a certificate marks leaves whose
 *   notBefore is after that day (UTC) under this anchor as distrusted (spec §8.3).
 *   At most BIMI_VMC_MAX_TRUST_FILE_BYTES, BIMI_VMC_MAX_TRUST_ANCHORS anchors.
 * @ct_logs_path: CT log list ([trust] ct_logs) in OpenSSL's ct_log_list.cnf
 *   format (enabled_logs = a,b / [a] description = NAME, key = base64 SPKI),
 *   loaded with CTLOG_STORE_load_file().
 * @error: BIMI_VMC_ERROR_IO (unreadable), BIMI_VMC_ERROR_PARSE (no certificate,
 *   a certificate that is not a CA, bad date, bad log list), BIMI_VMC_ERROR_LIMIT
 *
 * Never the system TLS store: only these anchors are trusted.
 *
 * Returns: (transfer full): the trust object, or NULL with @error.
 */
BimiVmcTrust *bimi_vmc_trust_new_from_files(const char *roots_path, const char *ct_logs_path, GError **error);
BIMI_DECLARE_ATOMIC_RC_FUNCS(BimiVmcTrust, bimi_vmc_trust)
/** Number of trust anchors loaded. */
guint bimi_vmc_trust_n_roots(const BimiVmcTrust *trust);
/**
 * bimi_vmc_trust_n_roots_valid_at:
 * @trust: (transfer none): the trust store
 * @now: Unix seconds
 *
 * Counts the trust anchors whose validity (notBefore..notAfter, RFC 5280 §4.1.2.5) covers @now: with
 * none, no Evidence Document can validate (the service's health check reports the trust store).
 *
 * Returns: the number of anchors valid at @now, 0..bimi_vmc_trust_n_roots().
 */
guint bimi_vmc_trust_n_roots_valid_at(const BimiVmcTrust *trust, gint64 now);

/** Inputs of one validation. Zero-initialise, then set what applies. */
typedef struct {
  const char *domain;           /**< record domain (U- or A-label); NULL: SAN match not checked (warning) */
  const char *selector;         /**< BIMI selector; NULL means "default" */
  gint64 now;                   /**< evaluation time, Unix seconds (required) */
  BimiVmcRevocationMode revocation;
  BimiVmcFetchCrlFunc fetch_crl;   /**< NULL: CRLs unavailable; engine/fetch: bimi_vmc_fetch_crl_with_fetcher */
  gpointer fetch_user_data;
  BimiVmcSvgCheckFunc svg_check;   /**< NULL: bimi_vmc_svg_check_default() (engine/svg) */
  gpointer svg_user_data;
  GBytes *location_svg;         /**< the l= SVG (uncompressed) to compare, or NULL */
} BimiVmcOptions;

typedef struct {
  BimiVmcCheck check;
  char *detail;                 /**< human-readable, escaped of control characters */
} BimiVmcFailure;

/** The result: plain data. */
typedef struct {
  gboolean valid;               /**< no failure */
  BimiVmcCertType cert_type;    /**< from markType; NONE when not a mark certificate */
  BimiVmcMarkType mark_type;
  char *mark_type_text;         /**< raw markType, or NULL */
  gboolean pilot;               /**< pilot identifier extension 1.3.6.1.4.1.53087.4.1 present */
  char *subject;                /**< leaf subject, RFC 2253 */
  char *organization;           /**< subject O, or NULL */
  char *trademark_country;      /**< 53087.1.3, or NULL */
  char *trademark_office;       /**< 53087.1.2, or NULL */
  char *trademark_id;           /**< 53087.1.4, or NULL */
  char *issuer;                 /**< leaf issuer, RFC 2253 */
  gint64 not_before, not_after; /**< leaf validity, Unix seconds */
  char *serial_hex;             /**< leaf serial, lower-case hex */
  char *leaf_sha256;            /**< SHA-256 of the leaf DER, lower-case hex */
  char **sans;                  /**< SAN dNSNames, lower case, NULL-terminated */
  char **chain;                 /**< subjects of the validated (or file) chain, leaf first */
  char **sct_logs;              /**< names of the logs whose SCT verified */
  BimiVmcRevocationStatus revocation;
  gboolean revocation_transient; /**< UNAVAILABLE only because CRL fetches failed with
                                  *   BIMI_VMC_ERROR_FETCH_TRANSIENT: retry later (temperror) */
  char **revocation_crls;       /**< one line per CRL distribution point tried, leaf's first, NULL-terminated:
                                     "URL (SUBJECT): good", "URL (SUBJECT): revoked" or
                                     "URL (SUBJECT): unavailable: WHY" (WHY from the fetch callback or the
                                     CRL checks, e.g. "connect: ...", "CRL not signed by the issuing CA") */
  GBytes *svg;                  /**< the certificate's SVG (uncompressed), or NULL */
  char *logo_hash_alg;          /**< "sha1" "sha256" ..., or NULL */
  char *logo_hash_hex;          /**< the logotypeHash value in hex, or NULL */
  gboolean logo_hash_ok;
  char *svg_sha256;             /**< SHA-256 of the SVG, hex, or NULL */
  GPtrArray *failures;          /**< (element-type BimiVmcFailure) */
  GPtrArray *warnings;          /**< (element-type utf8) */
} BimiVmcResult;

void bimi_vmc_result_free(BimiVmcResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiVmcResult, bimi_vmc_result_free)
/** TRUE when @r has a failure of @check. */
gboolean bimi_vmc_result_has_failure(const BimiVmcResult *r, BimiVmcCheck check);

/**
 * bimi_vmc_verify:
 * @pem: the Evidence Document (leaf first, then intermediates, optional root)
 * @trust: (transfer none): roots, CT logs, CRL cache
 * @opts: domain, selector, now, revocation mode, callbacks
 * @error: BIMI_VMC_ERROR_LIMIT (document larger than BIMI_VMC_MAX_PEM_BYTES)
 *
 * Runs every check of spec §7.2 (all of them, not stopping at the first
 * failure, so the report is complete). A malformed PEM is a result with a
 * "pem" failure, not a GError.
 *
 * Returns: (transfer full): the result, or NULL with @error set.
 */
BimiVmcResult *bimi_vmc_verify(GBytes *pem, BimiVmcTrust *trust, const BimiVmcOptions *opts, GError **error);

/**
 * bimi_vmc_extract_logo:
 * @pem: the Evidence Document
 * @error: BIMI_VMC_ERROR_PARSE / _LIMIT
 *
 * Decodes the leaf's logotype without any trust decision (for `bimi cert logo`):
 * the first end-entity certificate of the document, wherever it stands (else the first).
 *
 * Returns: (transfer full): the uncompressed SVG, or NULL with @error.
 */
GBytes *bimi_vmc_extract_logo(GBytes *pem, GError **error);

/** Line-ending-normalised comparison (CRLF and CR → LF), spec §7.5. */
gboolean bimi_vmc_svg_equal(GBytes *a, GBytes *b);

G_END_DECLS

#endif /* BIMI_VMC_H */
