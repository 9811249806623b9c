/* report/ingest-payload.h — a report payload (XML, gzip or zip) → reports, bounded (issue 16).
 *
 * RFC 7489 §7.2.1.1 and RFC 9990 §5: a report is sent as XML compressed with gzip
 * (".xml.gz") or in a zip archive (".zip", what Google and others still send), or
 * as plain XML. Decompression goes through libarchive (the gzip filter with the
 * raw format, and the zip format), streamed into the report parser: nothing is
 * inflated beyond BIMI_INGEST_MAX_XML_BYTES per document, and once more than
 * BIMI_INGEST_RATIO_FLOOR_BYTES came out the inflated size may be at most
 * BIMI_INGEST_MAX_INFLATE_RATIO times the payload: a zip bomb is refused when it
 * crosses either line, with that reason, after at most that many bytes.
 */
#ifndef BIMI_REPORT_INGEST_PAYLOAD_H
#define BIMI_REPORT_INGEST_PAYLOAD_H

#include <glib.h>

#include "report/ingest-xml.h"

G_BEGIN_DECLS

/** What a payload is, from its first bytes (never from its name). */
typedef enum {
  BIMI_INGEST_PAYLOAD_UNKNOWN,
  BIMI_INGEST_PAYLOAD_XML,   /**< '<' after an optional BOM and white space */
  BIMI_INGEST_PAYLOAD_GZIP,  /**< 1f 8b (RFC 1952 §2.3.1) */
  BIMI_INGEST_PAYLOAD_ZIP,   /**< "PK\x03\x04" (APPNOTE 4.3.7) */
} BimiIngestPayloadKind;

/**
 * bimi_ingest_payload_kind:
 * @data: (array length=len): the payload's first bytes (or all of it)
 * @len: their length in bytes
 *
 * Returns: the kind the bytes start like.
 */
BimiIngestPayloadKind bimi_ingest_payload_kind(const guint8 *data, gsize len);

/**
 * bimi_ingest_payload_parse:
 * @payload: (transfer none): the payload, at most BIMI_INGEST_MAX_PAYLOAD_BYTES
 * @error: BIMI_INGEST_ERROR_UNSUPPORTED (none of the three kinds; a zip without
 *   an .xml entry), _ARCHIVE (corrupt, truncated or encrypted gzip/zip data),
 *   _LIMIT (payload size, inflated size, ratio, zip entries; or a parser limit),
 *   or any error of bimi_ingest_xml_parser_feed()/_finish(); a zip entry's
 *   error names the entry
 *
 * Decompresses and parses every report in @payload: one for XML and gzip, one
 * per ".xml" entry of a zip archive (other entries are skipped). All or nothing:
 * one bad entry refuses the payload.
 *
 * Returns: (transfer full) (element-type BimiIngestReport): the reports (at
 * least one), or NULL with @error.
 */
GPtrArray *bimi_ingest_payload_parse(GBytes *payload, GError **error);

G_END_DECLS

#endif /* BIMI_REPORT_INGEST_PAYLOAD_H */
