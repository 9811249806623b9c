/* report/ingest-mime.c — report parts of a report e-mail, through GMime (issue 16).
 *
 * RFC 2045 (Content-Transfer-Encoding), RFC 2046 (multipart, message/rfc822),
 * RFC 2183 + RFC 2231 (filename), RFC 7489 §7.2.1.1 and RFC 9990 §5.2 (the
 * report media types). GMime parses and decodes; this file only walks the tree,
 * with a bound on parts and depth (GMime itself has none), and picks the parts
 * whose type or name says "report" and whose first bytes agree.
 */
#include "report/ingest-mime.h"

#include <string.h>

#include <gmime/gmime.h>

#include "engine/base/base-mem.h"
#include "engine/limits.h"
#include "report/ingest-payload.h"
#include "report/ingest-xml.h"

BIMI_DEFINE_FREE_FUNC(BimiIngestPart, bimi_ingest_part_free, part)
{
  BIMI_FREE_ALL(part->name, part->media_type);
  g_bytes_unref(part->data);
}

static const char *const report_types[] = {
  "application/gzip", "application/x-gzip", "application/zip", "application/x-zip-compressed",
  "application/x-zip", "text/xml", "application/xml",
};

static gboolean
report_name(const char *name)
{
  if (name == NULL)
    return FALSE;
  g_autofree char *low = g_ascii_strdown(name, -1);
  return g_str_has_suffix(low, ".xml") || g_str_has_suffix(low, ".gz") || g_str_has_suffix(low, ".zip");
}

typedef struct {
  guint parts;
  GPtrArray *found;
} Walk;

static gboolean walk(Walk *w, GMimeObject *obj, guint depth, GError **error);

static gboolean
leaf(Walk *w, GMimePart *part, GError **error)
{
  GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
  g_autofree char *type = NULL;
  if (ct != NULL) {
    g_autofree char *mime = g_mime_content_type_get_mime_type(ct);
    type = g_ascii_strdown(mime != NULL ? mime : "", -1);
  } else {
    type = g_strdup("text/plain");
  }
  const char *filename = g_mime_part_get_filename(part);
  gboolean wanted = report_name(filename);
  for (gsize i = 0; !wanted && i < G_N_ELEMENTS(report_types); i++)
    wanted = strcmp(type, report_types[i]) == 0;
  if (!wanted)
    return TRUE;
  GMimeDataWrapper *content = g_mime_part_get_content(part);
  if (content == NULL)
    return TRUE;
  /* GMime 3.2 declares no autoptr cleanups: references are dropped by hand. */
  GMimeStream *out = g_mime_stream_mem_new();
  GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
  if (g_mime_data_wrapper_write_to_stream(content, out) < 0 ||
      bimi_ingest_payload_kind(array->data, array->len) == BIMI_INGEST_PAYLOAD_UNKNOWN) {
    g_object_unref(out);
    return TRUE;
  }
  BimiIngestPart *found = g_new0(BimiIngestPart, 1);
  found->name = filename != NULL ? g_strdup(filename) : g_strdup_printf("part %u", w->parts);
  found->media_type = g_steal_pointer(&type);
  found->data = g_bytes_new(array->data, array->len);
  g_object_unref(out);
  g_ptr_array_add(w->found, found);
  return TRUE;
}

static gboolean
walk(Walk *w, GMimeObject *obj, guint depth, GError **error)
{
  if (obj == NULL)
    return TRUE;
  if (depth > BIMI_INGEST_MAX_MIME_DEPTH) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT, "MIME parts nested deeper than %u",
                BIMI_INGEST_MAX_MIME_DEPTH);
    return FALSE;
  }
  if (++w->parts > BIMI_INGEST_MAX_MIME_PARTS) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT, "more than %u MIME parts",
                BIMI_INGEST_MAX_MIME_PARTS);
    return FALSE;
  }
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart *mp = GMIME_MULTIPART(obj);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; i++) {
      if (!walk(w, g_mime_multipart_get_part(mp, i), depth + 1, error))
        return FALSE;
    }
    return TRUE;
  }
  if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    return inner == NULL || walk(w, g_mime_message_get_mime_part(inner), depth + 1, error);
  }
  if (GMIME_IS_PART(obj))
    return leaf(w, GMIME_PART(obj), error);
  return TRUE;
}

static void
init_gmime(void)
{
  static gsize once;
  if (g_once_init_enter(&once)) {
    g_mime_init();
    g_once_init_leave(&once, 1);
  }
}

GPtrArray *
bimi_ingest_mime_parts(GBytes *message, GError **error)
{
  g_return_val_if_fail(message != NULL, NULL);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(message, &len);
  if (!bimi_ingest_check_size("message", len, BIMI_MAX_MESSAGE_BYTES, "BIMI_MAX_MESSAGE_BYTES", error))
    return NULL;
  init_gmime();
  GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *) data, len);
  GMimeParser *parser = g_mime_parser_new_with_stream(stream);
  g_object_unref(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
  GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
  g_object_unref(parser);
  if (msg == NULL) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_UNSUPPORTED,
                "not a report: neither XML, gzip, zip nor a MIME message");
    return NULL;
  }
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_ingest_part_free);
  Walk w = { .found = found };
  gboolean ok = walk(&w, g_mime_message_get_mime_part(msg), 1, error);
  g_object_unref(msg);
  if (!ok)
    return NULL;
  if (found->len == 0) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_UNSUPPORTED,
                "no report in the message: no application/gzip, application/zip or text/xml part "
                "holding gzip, zip or XML");
    return NULL;
  }
  return g_steal_pointer(&found);
}
