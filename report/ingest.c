/* report/ingest.c — an item into the database: payload or message, parse, store (issue 16).
 *
 * RFC 7489 §7.2.1.1 / RFC 9990 §5.2: the item is taken for a payload when its
 * first bytes are XML, gzip or zip, otherwise for a message (MIME) whose report
 * parts are the payloads.
 */
#include "report/ingest.h"

#include "report/ingest-mime.h"
#include "report/ingest-payload.h"
#include "report/ingest-store.h"

/* An item that does not parse is counted, handed to @refused, and ingestion goes on: TRUE. */
static gboolean
refuse(BimiIngestCounts *c, const char *where, const GError *why, BimiIngestRefusedFunc refused, gpointer user_data)
{
  c->refused++;
  if (refused != NULL)
    refused(where, why, user_data);
  return TRUE;
}

static gboolean
ingest_payload(BimiReportDb *db, GBytes *payload, const char *where, gint64 now, BimiIngestCounts *c,
               BimiIngestRefusedFunc refused, gpointer user_data, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) reports = bimi_ingest_payload_parse(payload, &local);
  if (reports == NULL)
    return refuse(c, where, local, refused, user_data);
  for (guint i = 0; i < reports->len; i++) {
    const BimiIngestReport *r = g_ptr_array_index(reports, i);
    gboolean duplicate = FALSE;
    c->reports++;
    if (!bimi_ingest_store_report(db, r, where, now, &duplicate, error))
      return FALSE;
    if (duplicate) {
      c->duplicates++;
    } else {
      c->stored++;
      c->messages += r->message_count;
    }
  }
  return TRUE;
}

gboolean
bimi_ingest_bytes(BimiReportDb *db, GBytes *data, const char *where, gint64 now, BimiIngestCounts *c,
                  BimiIngestRefusedFunc refused, gpointer user_data, GError **error)
{
  g_return_val_if_fail(db != NULL && data != NULL && where != NULL && c != NULL, FALSE);
  c->items++;
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data(data, &len);
  if (bimi_ingest_payload_kind(bytes, len) != BIMI_INGEST_PAYLOAD_UNKNOWN)
    return ingest_payload(db, data, where, now, c, refused, user_data, error);
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) parts = bimi_ingest_mime_parts(data, &local);
  if (parts == NULL)
    return refuse(c, where, local, refused, user_data);
  for (guint i = 0; i < parts->len; i++) {
    const BimiIngestPart *part = g_ptr_array_index(parts, i);
    g_autofree char *part_where = g_strdup_printf("%s: %s", where, part->name);
    if (!ingest_payload(db, part->data, part_where, now, c, refused, user_data, error))
      return FALSE;
  }
  return TRUE;
}
