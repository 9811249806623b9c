/* report/rua.h — the rua= destinations of a DMARC record, as a report sender reads
 * them (RFC 9990 §2 "Verifying External Destinations", RFC 7489 §6.2 DMARC URIs with
 * the "!size" suffix, RFC 6068 mailto).
 */
#ifndef BIMI_REPORT_RUA_H
#define BIMI_REPORT_RUA_H

#include <glib.h>
#include "engine/dns.h"

G_BEGIN_DECLS

#define BIMI_REPORT_RUA_ERROR (bimi_report_rua_error_quark())
GQuark bimi_report_rua_error_quark(void);

typedef enum {
  BIMI_REPORT_RUA_ERROR_SCHEME,  /**< not a mailto: URI (this sender mails reports only) */
  BIMI_REPORT_RUA_ERROR_SYNTAX,  /**< a mailto: URI that is not one address (the message names the offset) */
  BIMI_REPORT_RUA_ERROR_LIMIT,   /**< longer than BIMI_REPORT_MAX_URI_BYTES, or a size that overflows */
} BimiReportRuaError;

/** One usable destination. Strings owned. */
typedef struct {
  char *uri;         /**< as published */
  char *address;     /**< local@domain, percent-decoded, domain lower case */
  char *domain;      /**< the domain part of @address */
  guint64 max_bytes; /**< the "!size" limit in bytes, 0 when none */
} BimiReportRua;

void bimi_report_rua_free(BimiReportRua *rua);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiReportRua, bimi_report_rua_free)

/**
 * bimi_report_rua_parse:
 * @uri: (array length=len): one DMARC URI, untrusted, not NUL-terminated necessarily
 * @len: bytes of @uri
 * @error: BIMI_REPORT_RUA_ERROR_SCHEME, _SYNTAX, _LIMIT
 *
 * "mailto:" (any case) then one addr-spec, percent-encoded per RFC 6068 §2, then an
 * optional "!" size with a unit k, m, g or t (powers of 1024; none: bytes). hfields
 * ("?subject=...") are refused: a report goes to one plain address. The local part
 * may be a dot-atom or a quoted-string; the domain must be a host name.
 *
 * Returns: (transfer full): the destination, or NULL with @error.
 */
BimiReportRua *bimi_report_rua_parse(const char *uri, gsize len, GError **error);

/** Outcome of the external destination verification (RFC 9990 §2). */
typedef enum {
  BIMI_REPORT_DEST_INTERNAL,   /**< same Organizational Domain as the policy domain: no check needed */
  BIMI_REPORT_DEST_VERIFIED,   /**< "<policy>._report._dmarc.<dest>" has a TXT record starting v=DMARC1 */
  BIMI_REPORT_DEST_REFUSED,    /**< no such record: never send there */
  BIMI_REPORT_DEST_TEMPERROR,  /**< DNS failed: try again on the next run */
} BimiReportDestStatus;

/**
 * bimi_report_verify_destination:
 * @resolver: the resolver (engine/dns: zone files, forwarders, deadline)
 * @policy_domain: the domain of the DMARC record that asked for reports
 * @dest_domain: the domain of the rua= address
 * @detail: (out) (transfer full) (optional): one line: what was asked and found
 *
 * RFC 9990 §2: when @dest_domain's Organizational Domain (by the Public Suffix List)
 * differs from @policy_domain's, asks TXT "<policy_domain>._report._dmarc.<dest_domain>";
 * a record whose text starts with "v=DMARC1" verifies it. A name too long for DNS is
 * refused. No error: every outcome is a status.
 *
 * Returns: the status.
 */
BimiReportDestStatus bimi_report_verify_destination(BimiDnsResolver *resolver, const char *policy_domain,
                                                    const char *dest_domain, char **detail);

G_END_DECLS

#endif /* BIMI_REPORT_RUA_H */
