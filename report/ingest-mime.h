/* report/ingest-mime.h — the report parts of a report e-mail (issue 16).
 *
 * RFC 7489 §7.2.1.1 / RFC 9990 §5.2: an aggregate report travels as a MIME part
 * of type application/gzip, application/zip or text/xml (attached or inline;
 * reporters also use application/x-gzip, application/x-zip-compressed,
 * application/xml and application/octet-stream with a report file name). The
 * message is parsed with GMime (RFC 2045-2049, RFC 2231 parameters); every leaf
 * part is looked at, message/rfc822 parts included (a forwarded report), within
 * BIMI_INGEST_MAX_MIME_PARTS parts and BIMI_INGEST_MAX_MIME_DEPTH levels.
 */
#ifndef BIMI_REPORT_INGEST_MIME_H
#define BIMI_REPORT_INGEST_MIME_H

#include <glib.h>

G_BEGIN_DECLS

/** A report part, its transfer encoding (base64, quoted-printable) undone. */
typedef struct {
  char *name;     /**< the part's file name (RFC 2183 filename, or Content-Type name), or "part N" */
  char *media_type;  /**< "application/gzip" ... lower case */
  GBytes *data;   /**< the decoded content: still gzip, zip or XML */
} BimiIngestPart;

void bimi_ingest_part_free(BimiIngestPart *part);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiIngestPart, bimi_ingest_part_free)

/**
 * bimi_ingest_mime_parts:
 * @message: (transfer none): a raw RFC 5322 message (at most BIMI_MAX_MESSAGE_BYTES)
 * @error: BIMI_INGEST_ERROR_UNSUPPORTED (not a MIME message; no report part),
 *   _LIMIT (BIMI_INGEST_MAX_MIME_PARTS, _MAX_MIME_DEPTH, BIMI_MAX_MESSAGE_BYTES)
 *
 * Finds the parts that carry a report: a report media type, or a file name
 * ending in .xml, .gz or .zip, whose content starts like XML, gzip or zip.
 *
 * Returns: (transfer full) (element-type BimiIngestPart): the parts in message
 * order (at least one), or NULL with @error.
 */
GPtrArray *bimi_ingest_mime_parts(GBytes *message, GError **error);

G_END_DECLS

#endif /* BIMI_REPORT_INGEST_MIME_H */
