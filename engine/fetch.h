/* engine/fetch.h — HTTPS GET of attacker-chosen URLs (BIMI l= and a=).
 *
 * spec/bimi-receiver.md §5 (indicator retrieval), §7.1 (evidence fetch),
 * §12 item 15 and §13 item 6 (SSRF/DoS). One BimiFetcher is built from the
 * configuration and shared by all threads; each bimi_fetch_url() is one
 * blocking transfer (libcurl easy API, one handle per call) that returns its
 * outcome as data: a failure is a BimiFetchResult with a reason code, never a
 * GError.
 *
 * What every fetch enforces:
 *  - https only, on the first URL and on every redirect hop (followed by this
 *    module, at most max_redirects), a DNS host name checked in its final
 *    form (after the UTS #46 mapping of an IDN: "１２７.０.０.１" is the IP
 *    literal 127.0.0.1; IP literals only with allow_private_addresses), GET,
 *    TLS ≥ 1.2 verified against the system web PKI or the configured ca_file,
 *    no proxy from the environment;
 *  - every host name is resolved by engine/dns (BimiFetchConfig.resolver:
 *    A and AAAA, offline zone data included) and its addresses are pinned for
 *    libcurl, on every hop; libcurl never asks the system resolver;
 *  - the socket's actual peer address (after DNS, on every hop) must be public
 *    (engine/fetch-netaddr.c) and the port 443, unless allow_private_addresses;
 *  - connect and total deadlines; the body cap after content decoding, plus a
 *    cap on bytes received (BIMI_FETCH_WIRE_FACTOR × the body cap); a
 *    Content-Length over the cap stops the transfer before the body;
 *  - SVGZ (spec §5: allowed for l=): a logo whose body is gzip (with or
 *    without Content-Encoding) is inflated with the same cap;
 *  - the media type the caller accepts;
 *  - at most max_per_host concurrent fetches per host name.
 *
 * One exception to "https only": Certificate Revocation Lists
 * (BIMI_FETCH_KIND_CRL, bimi_fetch_crl()) may be fetched over plain http on
 * port 80, because CRL distribution points of Mark Certificates are http
 * URLs and a CRL is signed by its issuing CA and verified by engine/vmc
 * (RFC 5280 §5, §6.3.3; RFC 5280 §4.2.1.13 says http is the expected scheme).
 * Every other rule (SSRF guard, caps, deadlines, redirects, pins) holds.
 */
#ifndef BIMI_FETCH_H
#define BIMI_FETCH_H

#include <glib.h>

#include "engine/dns.h"

G_BEGIN_DECLS

#define BIMI_FETCH_ERROR (bimi_fetch_error_quark())
GQuark bimi_fetch_error_quark(void);

/** Errors that stop a fetcher from being built or a fetch from being tried. */
typedef enum {
  BIMI_FETCH_ERROR_CONFIG,     /**< a bad setting (cap, resolve pin, unreadable ca_file) */
  BIMI_FETCH_ERROR_INTERNAL,   /**< libcurl could not be initialised */
} BimiFetchError;

/** What is fetched: selects the default cap and the accepted media types. */
typedef enum {
  BIMI_FETCH_KIND_LOGO,        /**< l=: SVG or SVGZ, image/svg+xml */
  BIMI_FETCH_KIND_EVIDENCE,    /**< a=: PEM Evidence Document */
  BIMI_FETCH_KIND_CRL,         /**< a CRL distribution point: http or https, port 80 / 443, any media type */
} BimiFetchKind;

typedef enum {
  BIMI_FETCH_STATUS_OK,            /**< 200 with an acceptable body */
  BIMI_FETCH_STATUS_NOT_MODIFIED,  /**< 304 to a conditional request: the caller's copy is current */
  BIMI_FETCH_STATUS_FAILED,        /**< see reason */
} BimiFetchStatus;

/** Why a fetch failed; the token of each is what bimi_fetch_reason_to_string() returns. */
typedef enum {
  BIMI_FETCH_REASON_NONE = 0,         /**< "none": not failed */
  BIMI_FETCH_REASON_URL,              /**< "url": unparsable, too long, userinfo, IP literal host (also one
                                           an IDN maps to), not a valid (internationalized) host name */
  BIMI_FETCH_REASON_SCHEME,           /**< "scheme": not https (CRL: not http or https), first URL or a redirect hop */
  BIMI_FETCH_REASON_DNS,              /**< "dns": the host name did not resolve through engine/dns
                                           (NXDOMAIN, no A/AAAA, temperror, no resolver) */
  BIMI_FETCH_REASON_CONNECT,          /**< "connect": no TCP connection */
  BIMI_FETCH_REASON_FORBIDDEN_ADDRESS,/**< "forbidden-address": a special-purpose address, or a port other than
                                           443 (http CRL hops: 80) */
  BIMI_FETCH_REASON_TLS,              /**< "tls": handshake or certificate verification failed */
  BIMI_FETCH_REASON_TIMEOUT,          /**< "timeout": connect or total deadline passed */
  BIMI_FETCH_REASON_TOO_LARGE,        /**< "too-large": Content-Length, wire bytes or decoded bytes over the cap,
                                           a response header line over libcurl's CURL_MAX_HTTP_HEADER */
  BIMI_FETCH_REASON_HTTP_STATUS,      /**< "http-status": a status other than 200 (or 304 when conditional) */
  BIMI_FETCH_REASON_CONTENT_TYPE,     /**< "content-type": a media type the caller does not accept */
  BIMI_FETCH_REASON_REDIRECT,         /**< "redirect": too many redirects, or a redirect without a usable Location */
  BIMI_FETCH_REASON_PROTOCOL,         /**< "protocol": malformed or truncated response, bad gzip */
  BIMI_FETCH_REASON_BUSY,             /**< "busy": no per-host slot freed before the deadline */
} BimiFetchReason;

/** Fetcher settings (the [fetch] group of the configuration). Pointers are
 * borrowed during bimi_fetch_fetcher_new() only. Zero means "default" for
 * every number. */
typedef struct {
  guint connect_timeout_ms;      /**< default BIMI_FETCH_CONNECT_TIMEOUT_MS */
  guint timeout_ms;              /**< whole fetch; default BIMI_FETCH_TOTAL_TIMEOUT_MS */
  guint max_redirects;           /**< see redirects_set; default BIMI_FETCH_MAX_REDIRECTS */
  gboolean redirects_set;        /**< TRUE: max_redirects is meant even when 0 */
  guint logo_max_bytes;          /**< decoded cap for logos; default BIMI_FETCH_LOGO_MAX_BYTES */
  guint evidence_max_bytes;      /**< cap for evidence; default BIMI_FETCH_EVIDENCE_MAX_BYTES */
  guint max_per_host;            /**< default BIMI_FETCH_MAX_PER_HOST */
  gboolean allow_private_addresses; /**< tests and the demo only: no address, port or IP-literal checks */
  const char *ca_file;           /**< PEM bundle replacing the system roots, or NULL */
  const char *const *resolve;    /**< NULL-terminated "HOST:PORT:ADDR" pins (curl's CURLOPT_RESOLVE
                                      form; tests and demo), or NULL. The SSRF guard still applies. */
  guint crl_max_bytes;           /**< cap for CRLs; default BIMI_FETCH_CRL_MAX_BYTES */
  /* The resolver of every fetch host name, on every hop (A and AAAA, with
   * its forwarders, zone files, trust anchor and per-query deadline, bounded
   * by the fetch deadline); the fetcher takes a reference. libcurl never
   * resolves a name itself: a name that is neither pinned by `resolve` nor
   * resolvable here (NULL) fails with reason "dns". */
  BimiDnsResolver *resolver;
  const char *const *connect_to; /**< NULL-terminated "HOST:PORT:CONNECT-HOST:CONNECT-PORT" redirections
                                      (curl's CURLOPT_CONNECT_TO form; an empty CONNECT-HOST keeps the
                                      host, whose address `resolve` may pin), or NULL. Tests and demo:
                                      a CRL URL of a certificate names port 80, a test server listens
                                      elsewhere. The SSRF guard still checks the socket actually opened,
                                      so a redirected port passes only with allow_private_addresses
                                      (or the test exemption). At most BIMI_FETCH_MAX_RESOLVE_PINS. */
} BimiFetchConfig;

/** One request. */
typedef struct {
  BimiFetchKind kind;
  const char *if_none_match;      /**< ETag of the caller's copy (sent as If-None-Match), or NULL */
  const char *if_modified_since;  /**< Last-Modified of the caller's copy, or NULL */
  const char *const *accept_types;/**< NULL-terminated lower-case media types accepted, or NULL for
                                       the kind's defaults (bimi_fetch_default_types()) */
  gboolean accept_missing_type;   /**< with accept_types: also accept a response without Content-Type */
  gint64 now;                     /**< Unix seconds, the caller's clock: the receive time that stands in
                                       for a missing Date when freshness comes from Expires (RFC 9111
                                       §4.2.1); 0 or less: Expires without Date gives max_age -1 */
} BimiFetchRequest;

/** The outcome of one fetch. Plain data; free with bimi_fetch_result_free(). */
typedef struct {
  BimiFetchStatus status;
  BimiFetchReason reason;    /**< BIMI_FETCH_REASON_NONE unless status is FAILED */
  char *detail;              /**< human text: what exactly failed (may quote the server), or NULL */
  guint http_status;         /**< last HTTP status seen, 0 if none */
  GBytes *body;              /**< decoded (and, for SVGZ, inflated) body when OK; else NULL */
  gboolean inflated;         /**< TRUE: body was SVGZ (gzip content) and was inflated here */
  char *content_type;        /**< Content-Type as sent (parameters included), or NULL */
  char *etag;                /**< ETag, or NULL */
  char *last_modified;       /**< Last-Modified, or NULL */
  gint64 max_age;            /**< freshness lifetime in seconds from Cache-Control s-maxage/max-age
                                  (no-store/no-cache → 0) or Expires − Date (Date missing:
                                  Expires − the request's now); -1 when not given */
  char *final_url;           /**< the URL of the last hop tried, or NULL */
  char *remote_ip;           /**< peer address of the last hop, or NULL */
  guint redirects;           /**< redirects followed */
} BimiFetchResult;

/** Frees @result and everything it owns; NULL is accepted. */
void bimi_fetch_result_free(BimiFetchResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiFetchResult, bimi_fetch_result_free)

typedef struct _BimiFetcher BimiFetcher;

/**
 * bimi_fetch_fetcher_new:
 * @config: the settings (copied)
 * @error: BIMI_FETCH_ERROR_CONFIG (cap over BIMI_FETCH_MAX_BODY_BYTES,
 *   redirects over BIMI_FETCH_MAX_REDIRECTS_LIMIT, more than
 *   BIMI_FETCH_MAX_RESOLVE_PINS pins or connect_to entries, a malformed
 *   pin or connect_to entry, ca_file unreadable),
 *   BIMI_FETCH_ERROR_INTERNAL (curl_global_init failed)
 *
 * Initialises libcurl once per process. The fetcher is thread-safe.
 *
 * Returns: (transfer full): the fetcher, or NULL with @error set.
 */
BimiFetcher *bimi_fetch_fetcher_new(const BimiFetchConfig *config, GError **error);
/** Frees @fetcher (NULL is accepted). No fetch may be running on it. */
void bimi_fetch_fetcher_free(BimiFetcher *fetcher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiFetcher, bimi_fetch_fetcher_free)

/**
 * bimi_fetch_url:
 * @fetcher: the fetcher
 * @url: the absolute https URL, untrusted (NUL-terminated)
 * @request: kind and conditional-request inputs
 * @error: BIMI_FETCH_ERROR_INTERNAL only (no curl handle could be made)
 *
 * Blocks for at most the total deadline (plus the time to notice it).
 * A fetch that fails for any reason the URL or the server is responsible for
 * returns a result with status FAILED and a reason; only an internal failure
 * returns NULL.
 *
 * Returns: (transfer full): the result, or NULL with @error set.
 */
BimiFetchResult *bimi_fetch_url(BimiFetcher *fetcher, const char *url, const BimiFetchRequest *request,
                                GError **error);

/** The default accepted media types of @kind, NULL-terminated. (transfer none)
 * Logo: image/svg+xml. Evidence: application/pem-certificate-chain (RFC 8555
 * §9.1), application/x-pem-file, application/x-x509-ca-cert (what nginx's and
 * Apache's mime.types give .pem), text/plain, application/octet-stream; a
 * missing Content-Type is accepted for evidence only (its content is checked
 * as PEM by engine/vmc; spec §7.1 names no media type, only the .pem suffix).
 * CRL: an empty list, meaning any media type or none — see bimi_fetch_crl(). */
const char *const *bimi_fetch_default_types(BimiFetchKind kind);

/**
 * bimi_fetch_crl:
 * @fetcher: the fetcher
 * @url: an absolute http or https URL of a CRL distribution point (RFC 5280
 *   §4.2.1.13), untrusted (NUL-terminated)
 * @error: BIMI_FETCH_ERROR_INTERNAL only (no curl handle could be made)
 *
 * bimi_fetch_url() with BIMI_FETCH_KIND_CRL: GET; the first URL and every
 * redirect hop (at most max_redirects) must be http or https with a DNS host
 * name; the socket must reach a public address on port 80 (http) or 443
 * (https) unless allow_private_addresses; body at most crl_max_bytes
 * (default BIMI_FETCH_CRL_MAX_BYTES, ≤ BIMI_VMC_MAX_CRL_BYTES), the same
 * deadlines, per-host slots, resolve pins and connect_to redirections.
 *
 * Plain http and any Content-Type are accepted on purpose: the body is only
 * ever parsed as a CRL by OpenSSL and used after engine/vmc verified its
 * signature with the issuing CA's key, its issuer name and its
 * thisUpdate/nextUpdate (RFC 5280 §5, §6.3.3), so neither TLS nor the media
 * type adds integrity; servers label CRLs application/pkix-crl (RFC 2585 §4.2),
 * application/x-pkcs7-crl, application/octet-stream or worse, and refusing a
 * label would only turn a signed answer into "revocation unavailable".
 * Confidentiality is not needed (the CRL is public; the URL comes from a
 * certificate of a chain that already reached a configured BIMI root).
 *
 * Returns: (transfer full): the result (status FAILED with a reason when the
 *   fetch failed), or NULL with @error set.
 */
BimiFetchResult *bimi_fetch_crl(BimiFetcher *fetcher, const char *url, GError **error);

/**
 * bimi_vmc_fetch_crl_with_fetcher:
 * @url: the CRL distribution point URL engine/vmc asks for
 * @user_data: (type BimiFetcher*): the fetcher, borrowed
 * @error: BIMI_VMC_ERROR_FETCH when the fetch failed; its message is
 *   "REASON: DETAIL" (REASON a bimi_fetch_reason_to_string() token, e.g.
 *   "connect", "too-large", "forbidden-address", "scheme", "http-status"),
 *   which engine/vmc puts into its revocation warning or failure after the URL
 *
 * The BimiVmcFetchCrlFunc (engine/vmc.h) backed by engine/fetch: set
 * `BimiVmcOptions.fetch_crl = bimi_vmc_fetch_crl_with_fetcher` and
 * `.fetch_user_data = fetcher`. Calls bimi_fetch_crl(); thread-safe as the
 * fetcher is.
 *
 * Returns: (transfer full): the CRL body (DER or PEM, not yet verified: that
 *   is engine/vmc's job), or NULL with @error set.
 */
GBytes *bimi_vmc_fetch_crl_with_fetcher(const char *url, gpointer user_data, GError **error);

/** Stable token of a reason ("too-large", "forbidden-address", ...). (transfer none) */
const char *bimi_fetch_reason_to_string(BimiFetchReason reason);
/** "ok", "not-modified" or "failed". (transfer none) */
const char *bimi_fetch_status_to_string(BimiFetchStatus status);

G_END_DECLS

#endif /* BIMI_FETCH_H */
