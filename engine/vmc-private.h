/* engine/vmc-private.h — parsers shared inside engine/vmc (and its tests and
 * fuzz targets): PEM chain loader, logotype DER parser, SCT list parser.
 * Not part of the public API (STYLE.md §1: bimi_vmc__name).
 */
#ifndef BIMI_VMC_PRIVATE_H
#define BIMI_VMC_PRIVATE_H

#include <glib.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* ---- engine/vmc-pem.c ------------------------------------------------ */

/**
 * bimi_vmc__pem_chain_parse:
 * @data: (array length=len): PEM text (RFC 7468), untrusted, need not be NUL-terminated
 * @len: bytes of @data, at most BIMI_VMC_MAX_PEM_BYTES
 * @error: BIMI_VMC_ERROR_PARSE (bad base64, bad DER, unterminated block, a
 *         non-CERTIFICATE block, no certificate; message names the line),
 *         BIMI_VMC_ERROR_LIMIT (size, line length, cert count, cert size)
 *
 * Explanatory text outside blocks is skipped (RFC 7468 §2).
 *
 * Returns: (transfer full) (element-type X509): certificates in file order,
 * never empty, or NULL with @error set.
 */
GPtrArray *bimi_vmc__pem_chain_parse(const guint8 *data, gsize len, GError **error);

/* ---- engine/vmc-logotype.c ------------------------------------------------ */

/** Hash algorithms the logotype may name (RFC 9399 §4.1 HashAlgAndValue). */
typedef enum {
  BIMI_LOGO_HASH_UNKNOWN = 0,
  BIMI_LOGO_HASH_SHA1,
  BIMI_LOGO_HASH_SHA256,
  BIMI_LOGO_HASH_SHA384,
  BIMI_LOGO_HASH_SHA512,
} BimiLogoHashAlg;

typedef struct {
  BimiLogoHashAlg alg;
  GBytes *value;            /* the hashValue octets */
} BimiLogoHash;

/** subjectLogo → direct → image[0] → imageDetails. */
typedef struct {
  char *media_type;         /* mediaType, NUL-terminated (IA5, checked printable) */
  GPtrArray *hashes;        /* (element-type BimiLogoHash) logotypeHash, ≥ 1 */
  GPtrArray *uris;          /* (element-type utf8) logotypeURI, ≥ 1 */
} BimiLogotypeDetails;

void bimi_vmc__logotype_details_free(BimiLogotypeDetails *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiLogotypeDetails, bimi_vmc__logotype_details_free)

/**
 * bimi_vmc__logotype_parse:
 * @der: (array length=len): the extnValue contents of id-pe-logotype
 *       (1.3.6.1.5.5.7.1.12), i.e. the DER LogotypeExtn, untrusted
 * @len: bytes of @der
 * @error: BIMI_VMC_ERROR_PARSE (malformed DER, no subjectLogo, indirect
 *         logotype, no image; message gives the offset), BIMI_VMC_ERROR_LIMIT
 *
 * RFC 3709 §4.1 / RFC 9399 §4.1. Only subjectLogo.direct.image[0] is read.
 *
 * Returns: (transfer full): the details, or NULL with @error set.
 */
BimiLogotypeDetails *bimi_vmc__logotype_parse(const guint8 *der, gsize len, GError **error);

/**
 * bimi_vmc__logo_data_uri_decode:
 * @uri: a logotypeURI (NUL-terminated, at most BIMI_VMC_MAX_LOGO_URI_BYTES)
 * @error: BIMI_VMC_ERROR_PARSE (not a base64 data: URI of image/svg+xml, bad
 *         base64, bad gzip), BIMI_VMC_ERROR_LIMIT (SVG > BIMI_VMC_MAX_SVG_BYTES)
 *
 * RFC 2397 data: URI → base64 → gunzip when gzip-compressed (RFC 6170 §4,
 * MCR: MUST be compressed; an uncompressed payload is accepted as is).
 *
 * Returns: (transfer full): the uncompressed SVG bytes, or NULL with @error.
 */
GBytes *bimi_vmc__logo_data_uri_decode(const char *uri, GError **error);

/* ---- engine/vmc-sct.c ----------------------------------------------------- */

/** One SignedCertificateTimestamp (RFC 6962 §3.2), structure only. */
typedef struct {
  guint8 version;
  guint8 log_id[32];
  guint64 timestamp_ms;
  guint8 hash_alg;
  guint8 sig_alg;
  gsize extensions_len;
  gsize signature_len;
  GBytes *raw;              /* the serialized SCT (without its length prefix) */
} BimiSct;

void bimi_vmc__sct_free(BimiSct *sct);

/**
 * bimi_vmc__sct_list_parse:
 * @data: (array length=len): the SignedCertificateTimestampList TLS structure
 *        (RFC 6962 §3.3), i.e. the inner OCTET STRING of extension
 *        1.3.6.1.4.1.11129.2.4.2, untrusted
 * @len: bytes of @data
 * @error: BIMI_VMC_ERROR_PARSE (truncated or trailing bytes, offset given),
 *         BIMI_VMC_ERROR_LIMIT (more than BIMI_VMC_MAX_SCTS)
 *
 * v1 SCTs are decoded; SCTs of another version are kept with only
 * version and raw bytes set (RFC 6962 §3.2: clients ignore them).
 *
 * Returns: (transfer full) (element-type BimiSct): the SCTs, possibly empty,
 * or NULL with @error set.
 */
GPtrArray *bimi_vmc__sct_list_parse(const guint8 *data, gsize len, GError **error);

/**
 * bimi_vmc__sct_list_from_extension:
 * @data/@len: the extnValue contents (DER OCTET STRING wrapping the TLS list)
 *
 * Unwraps the DER OCTET STRING then calls bimi_vmc__sct_list_parse().
 */
GPtrArray *bimi_vmc__sct_list_from_extension(const guint8 *data, gsize len, GError **error);

/* ---- engine/vmc.c ----------------------------------------------------- */

struct BimiVmcTrust;

/**
 * bimi_vmc__crl_cache_put:
 * @trust: the trust object whose CRL cache gets the entry
 * @url: the distribution point URL (key)
 * @crl: (transfer none): a verified CRL (a reference is taken)
 * @next_update: its nextUpdate, Unix seconds (entries are used while now < this)
 *
 * At most BIMI_VMC_MAX_CACHED_CRLS entries: inserting a new URL into a full
 * cache empties it first.
 *
 * Returns: the number of cached CRLs after the insertion.
 */
guint bimi_vmc__crl_cache_put(struct BimiVmcTrust *trust, const char *url, X509_CRL *crl, gint64 next_update);

G_END_DECLS

#endif /* BIMI_VMC_PRIVATE_H */
