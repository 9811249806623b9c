/* engine/fetch-crl.c — CRL retrieval for engine/vmc through engine/fetch.
 *
 * Implements the fetch half of RFC 5280 §6.3 (CRL processing) for Mark
 * Certificates (spec/bimi-receiver.md §7.2, issue 7 "revocation via the leaf's
 * CRL distribution point fetched through engine/fetch"): the distribution
 * point URLs are http (RFC 5280 §4.2.1.13), fetched with the same hardened
 * transfer as logos and Evidence Documents (SSRF guard on the socket, caps,
 * deadlines, redirects, pins). Plain http is acceptable because engine/vmc
 * uses a CRL only after verifying its signature with the issuing CA's key
 * (RFC 5280 §5, §6.3.3 (f)–(g)); see bimi_fetch_crl() in fetch.h.
 */
#include "engine/fetch.h"
#include "engine/vmc.h"

BimiFetchResult *
bimi_fetch_crl(BimiFetcher *fetcher, const char *url, GError **error)
{
  BimiFetchRequest req = { .kind = BIMI_FETCH_KIND_CRL };

  g_return_val_if_fail(fetcher != NULL && url != NULL, NULL);
  return bimi_fetch_url(fetcher, url, &req, error);
}

GBytes *
bimi_vmc_fetch_crl_with_fetcher(const char *url, gpointer user_data, GError **error)
{
  BimiFetcher *fetcher = user_data;
  g_autoptr(BimiFetchResult) r = NULL;

  g_return_val_if_fail(fetcher != NULL && url != NULL, NULL);
  r = bimi_fetch_crl(fetcher, url, error);
  if (r == NULL)
    return NULL;
  if (r->status != BIMI_FETCH_STATUS_OK || r->body == NULL) {
    gboolean transient = r->reason == BIMI_FETCH_REASON_DNS || r->reason == BIMI_FETCH_REASON_CONNECT ||
                         r->reason == BIMI_FETCH_REASON_TIMEOUT || r->reason == BIMI_FETCH_REASON_BUSY ||
                         (r->reason == BIMI_FETCH_REASON_HTTP_STATUS && r->http_status >= 500);
    g_set_error(error, BIMI_VMC_ERROR, transient ? BIMI_VMC_ERROR_FETCH_TRANSIENT : BIMI_VMC_ERROR_FETCH, "%s: %s",
                bimi_fetch_reason_to_string(r->reason),
                r->detail != NULL ? r->detail : bimi_fetch_status_to_string(r->status));
    return NULL;
  }
  return g_bytes_ref(r->body);
}
