/* report/ingest-payload.c — bounded decompression of report payloads (issue 16).
 *
 * RFC 7489 §7.2.1.1 / RFC 9990 §5.2 (gzip, zip; the media types
 * application/gzip and application/zip). libarchive reads from memory with only
 * the formats a report uses enabled: zip, and raw behind the gzip filter (RFC
 * 1952; several members are read as one stream). Every block libarchive inflates
 * goes straight to the report parser (report/ingest-xml.c), so the XML is never
 * held whole; the counts below are checked before each block is fed.
 */
#include "report/ingest-payload.h"

#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "engine/limits.h"

/* Bytes asked of libarchive at a time. */
#define READ_BLOCK (64u * 1024u)

BimiIngestPayloadKind
bimi_ingest_payload_kind(const guint8 *d, gsize len)
{
  if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b)
    return BIMI_INGEST_PAYLOAD_GZIP;
  if (len >= 4 && memcmp(d, "PK\x03\x04", 4) == 0)
    return BIMI_INGEST_PAYLOAD_ZIP;
  gsize i = 0;
  if (len >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
    i++;
  if (i < len && d[i] == '<')
    return BIMI_INGEST_PAYLOAD_XML;
  return BIMI_INGEST_PAYLOAD_UNKNOWN;
}

/* Inflated bytes so far, against the payload size: the two zip-bomb lines. */
typedef struct {
  gsize payload_len;
  guint64 inflated;   /* all entries together */
} Budget;

static gboolean
budget_add(Budget *b, gsize n, guint64 document_bytes, GError **error)
{
  b->inflated += n;
  if (document_bytes > BIMI_INGEST_MAX_XML_BYTES) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT,
                "decompressed report larger than %u bytes (BIMI_INGEST_MAX_XML_BYTES): refused as a "
                "decompression bomb", BIMI_INGEST_MAX_XML_BYTES);
    return FALSE;
  }
  if (b->inflated > BIMI_INGEST_RATIO_FLOOR_BYTES &&
      b->inflated / MAX(b->payload_len, 1) >= BIMI_INGEST_MAX_INFLATE_RATIO) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT,
                "decompression bomb: %" G_GUINT64_FORMAT " bytes inflated from %" G_GSIZE_FORMAT
                " (ratio over %u:1, BIMI_INGEST_MAX_INFLATE_RATIO)", b->inflated, b->payload_len,
                BIMI_INGEST_MAX_INFLATE_RATIO);
    return FALSE;
  }
  return TRUE;
}

static void
archive_error(struct archive *a, const char *what, GError **error)
{
  const char *msg = archive_error_string(a);
  g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_ARCHIVE, "%s: %s", what,
              msg != NULL ? msg : "corrupt or truncated data");
}

/* Streams the current entry of @a into a new report parser. */
static BimiIngestReport *
parse_entry(struct archive *a, Budget *b, const char *format, GError **error)
{
  g_autoptr(BimiIngestXmlParser) parser = bimi_ingest_xml_parser_new();
  g_autofree guint8 *buf = g_malloc(READ_BLOCK);
  guint64 document = 0;
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, READ_BLOCK);
    if (n == 0)
      break;
    if (n < 0) {
      archive_error(a, format, error);
      return NULL;
    }
    document += (guint64) n;
    if (!budget_add(b, (gsize) n, document, error))
      return NULL;
    if (!bimi_ingest_xml_parser_feed(parser, buf, (gsize) n, error))
      return NULL;
  }
  return bimi_ingest_xml_parser_finish(parser, error);
}

static GPtrArray *
parse_archive(GBytes *payload, BimiIngestPayloadKind kind, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(payload, &len);
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_ingest_report_free);
  Budget budget = { .payload_len = len };
  struct archive *a = archive_read_new();
  if (a == NULL)
    g_error("libarchive: out of memory");
  if (kind == BIMI_INGEST_PAYLOAD_GZIP) {
    archive_read_support_filter_gzip(a);
    archive_read_support_format_raw(a);
  } else {
    archive_read_support_format_zip(a);
  }
  if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
    archive_error(a, kind == BIMI_INGEST_PAYLOAD_GZIP ? "gzip" : "zip", error);
    archive_read_free(a);
    return NULL;
  }
  guint entries = 0;
  for (;;) {
    struct archive_entry *entry = NULL;
    int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      archive_error(a, kind == BIMI_INGEST_PAYLOAD_GZIP ? "gzip" : "zip", error);
      archive_read_free(a);
      return NULL;
    }
    if (++entries > BIMI_INGEST_MAX_ARCHIVE_ENTRIES) {
      g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT, "zip: more than %u entries",
                  BIMI_INGEST_MAX_ARCHIVE_ENTRIES);
      archive_read_free(a);
      return NULL;
    }
    g_autofree char *what = NULL;
    if (kind == BIMI_INGEST_PAYLOAD_ZIP) {
      const char *name = archive_entry_pathname(entry);
      if (name == NULL)
        name = "";
      what = g_strdup_printf("zip entry %s", name);
      g_autofree char *low = g_ascii_strdown(name, -1);
      if (archive_entry_filetype(entry) != AE_IFREG || !g_str_has_suffix(low, ".xml"))
        continue;
      if (archive_entry_is_encrypted(entry)) {
        g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_ARCHIVE, "%s is encrypted", what);
        archive_read_free(a);
        return NULL;
      }
    } else {
      what = g_strdup("gzip");
    }
    g_autoptr(GError) local = NULL;
    BimiIngestReport *r = parse_entry(a, &budget, kind == BIMI_INGEST_PAYLOAD_ZIP ? "zip" : "gzip", &local);
    if (r == NULL) {
      if (kind == BIMI_INGEST_PAYLOAD_ZIP)
        g_set_error(error, local->domain, local->code, "%s: %s", what, local->message);
      else
        g_propagate_error(error, g_steal_pointer(&local));
      archive_read_free(a);
      return NULL;
    }
    g_ptr_array_add(reports, r);
  }
  archive_read_free(a);
  if (reports->len == 0) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_UNSUPPORTED, "%s", kind == BIMI_INGEST_PAYLOAD_ZIP
                ? "zip archive without an .xml entry" : "gzip stream without data");
    return NULL;
  }
  return g_steal_pointer(&reports);
}

GPtrArray *
bimi_ingest_payload_parse(GBytes *payload, GError **error)
{
  g_return_val_if_fail(payload != NULL, NULL);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(payload, &len);
  if (!bimi_ingest_check_size("report payload", len, BIMI_INGEST_MAX_PAYLOAD_BYTES, "BIMI_INGEST_MAX_PAYLOAD_BYTES",
                              error))
    return NULL;
  BimiIngestPayloadKind kind = bimi_ingest_payload_kind(data, len);
  switch (kind) {
  case BIMI_INGEST_PAYLOAD_XML: {
    BimiIngestReport *r = bimi_ingest_xml_parse(data, len, error);
    if (r == NULL)
      return NULL;
    GPtrArray *reports = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_ingest_report_free);
    g_ptr_array_add(reports, r);
    return reports;
  }
  case BIMI_INGEST_PAYLOAD_GZIP:
  case BIMI_INGEST_PAYLOAD_ZIP:
    return parse_archive(payload, kind, error);
  case BIMI_INGEST_PAYLOAD_UNKNOWN:
  default:
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_UNSUPPORTED,
                "not a report: neither XML, gzip nor zip (%" G_GSIZE_FORMAT " bytes)", len);
    return NULL;
  }
}
