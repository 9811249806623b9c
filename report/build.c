/* report/build.c — DMARC aggregate reports (RFC 9990 §3, §3.2 file names; RFC 7489
 * §7.2 and Appendix C for --format rfc7489) from the evaluation table.
 *
 * Rows: RFC 9990 §3 groups messages "with the same source IP and the same results"
 * into one <record> with a <count>: the row_key of report/record.c is that tuple.
 * Period: [begin, end) in UTC seconds; date_range is begin .. end - 1 (the RFC 9990
 * sample's "302832000 .. 302918399" form). report_id: the first 32 hex digits of
 * SHA-256("bimi-report-id-v2", database instance, receiver, policy domain, begin, end,
 * part, format): a rebuilt report keeps its id, and the random instance id (table
 * report_instance, made with the database) keeps two databases from ever giving one id
 * to two different reports. A period that overlaps one already built for the domain
 * is skipped with a note: each message is reported once. XML only through libxml2's xmlTextWriter (escaping).
 *
 * RFC 7489 deviations forced by its schema: disposition "pass" is written "none",
 * PolicyOverrideType policy_test_mode is "other", sp/pct/fo/envelope_from/spf are
 * required (defaults written), source_ip IPv6 is written in full 8-group form.
 * In RFC 9990 reports, sampled_out (RFC 7489 pct) is written "other".
 */
#include "report/build.h"

#include "report/record.h"
#include "report/rua.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libxml/xmlwriter.h>
#include <string.h>
#include <zlib.h>

#define NS_RFC9990 "urn:ietf:params:xml:ns:dmarc-2.0"

/* The name of each BimiReportFormat (--format, the format column of report and report_note). */
static const char *const format_names[] = {
  [BIMI_REPORT_FORMAT_RFC9990] = "rfc9990",
  [BIMI_REPORT_FORMAT_RFC7489] = "rfc7489",
};

const char *
bimi_report_format_to_string(BimiReportFormat format)
{
  return (guint) format < G_N_ELEMENTS(format_names) ? format_names[format] : format_names[BIMI_REPORT_FORMAT_RFC9990];
}

gboolean
bimi_report_format_from_string(const char *text, BimiReportFormat *out)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS(format_names); i++) {
    if (g_ascii_strcasecmp(text, format_names[i]) == 0) {
      *out = (BimiReportFormat) i;
      return TRUE;
    }
  }
  return FALSE;
}

BIMI_DEFINE_CLEAR_FUNC(BimiReportBuildSummary, bimi_report_build_summary_clear, s)
{
  g_clear_pointer(&s->files, g_ptr_array_unref);
  g_clear_pointer(&s->notes, g_ptr_array_unref);
}

char *
bimi_report_file_name(const char *receiver, const char *policy_domain, gint64 begin, gint64 end, const char *unique_id)
{
  return g_strdup_printf("%s!%s!%" G_GINT64_FORMAT "!%" G_GINT64_FORMAT "!%s.xml.gz", receiver, policy_domain, begin,
                         end, unique_id);
}

static void
note(BimiReportBuildSummary *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
note(BimiReportBuildSummary *s, const char *fmt, ...)
{
  va_list ap;
  char *line;

  va_start(ap, fmt);
  line = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_ptr_array_add(s->notes, line);
}

/* ---- reading the evaluations ---------------------------------------------- */

typedef struct {
  char *row_key;
  gint64 count;
  gint64 rep_id; /* the first evaluation of the group: the row's details */
} Group;

static void
group_free(Group *g)
{
  BIMI_FREE_ALL(g->row_key, g);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t != NULL ? g_strdup((const char *) t) : NULL;
}

/* The statement @sql of one evaluation: ?1 its @id. (transfer full) or NULL + @error. */
static sqlite3_stmt *
prepare_evaluation(BimiReportDb *db, const char *sql, const char *what, gint64 id, GError **error)
{
  sqlite3_stmt *st = bimi_report_db_prepare(db, sql, what, error);

  if (st != NULL)
    sqlite3_bind_int64(st, 1, id);
  return st;
}

/* The evaluation @id with its children, as a record. */
static BimiReportRecord *
load_record(BimiReportDb *db, gint64 id, GError **error)
{
  sqlite3_stmt *st = NULL;
  g_autoptr(BimiReportRecord) r = bimi_report_record_new();
  int rc, i = 0;

  st = prepare_evaluation(db,
                          "SELECT source_ip, header_from, envelope_from, envelope_to, policy_domain, discovery_method,"
                          " p, sp, np, adkim, aspf, testing, fo, rua, dmarc_result, disposition, dkim_aligned,"
                          " spf_aligned, spf_domain, spf_scope, spf_result, time FROM evaluation WHERE id = ?1",
                          "read evaluation", id, error);
  if (st == NULL)
    return NULL;
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    bimi_report_db_set_error(db, error, "read evaluation");
    return NULL;
  }
  r->source_ip = column_dup(st, i++);
  r->header_from = column_dup(st, i++);
  r->envelope_from = column_dup(st, i++);
  r->envelope_to = column_dup(st, i++);
  r->policy_domain = column_dup(st, i++);
  r->discovery_method = column_dup(st, i++);
  r->p = column_dup(st, i++);
  r->sp = column_dup(st, i++);
  r->np = column_dup(st, i++);
  r->adkim = column_dup(st, i++);
  r->aspf = column_dup(st, i++);
  r->testing = column_dup(st, i++);
  r->fo = column_dup(st, i++);
  r->rua = column_dup(st, i++);
  r->dmarc_result = column_dup(st, i++);
  r->disposition = column_dup(st, i++);
  r->dkim_aligned = column_dup(st, i++);
  r->spf_aligned = column_dup(st, i++);
  r->spf_domain = column_dup(st, i++);
  r->spf_scope = column_dup(st, i++);
  r->spf_result = column_dup(st, i++);
  r->time = sqlite3_column_int64(st, i++);
  sqlite3_finalize(st);

  st = prepare_evaluation(db,
                          "SELECT domain, selector, result, human_result FROM evaluation_dkim"
                          " WHERE evaluation_id = ?1 ORDER BY position",
                          "read evaluation_dkim", id, error);
  if (st == NULL)
    return NULL;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    BimiReportDkimAuth *a = g_new0(BimiReportDkimAuth, 1);
    a->domain = column_dup(st, 0);
    a->selector = column_dup(st, 1);
    a->result = column_dup(st, 2);
    a->human_result = column_dup(st, 3);
    g_ptr_array_add(r->dkim, a);
  }
  if (!bimi_report_db_finish(db, st, rc, "read evaluation_dkim", error))
    return NULL;
  st = prepare_evaluation(db, "SELECT type, comment FROM evaluation_reason WHERE evaluation_id = ?1 ORDER BY position",
                          "read evaluation_reason", id, error);
  if (st == NULL)
    return NULL;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    bimi_report_record_add_reason(r, (const char *) sqlite3_column_text(st, 0),
                                  (const char *) sqlite3_column_text(st, 1));
  if (!bimi_report_db_finish(db, st, rc, "read evaluation_reason", error))
    return NULL;
  return g_steal_pointer(&r);
}

/* ---- XML ------------------------------------------------------------------ */

static void
el(xmlTextWriterPtr w, const char *name, const char *text)
{
  xmlTextWriterWriteElement(w, (const xmlChar *) name, (const xmlChar *) text);
}

static void
el_opt(xmlTextWriterPtr w, const char *name, const char *text)
{
  if (text != NULL && *text != '\0')
    el(w, name, text);
}

static void
el_int(xmlTextWriterPtr w, const char *name, gint64 v)
{
  char buf[32];
  g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
  el(w, name, buf);
}

/* RFC 7489's IPAddress pattern knows only dotted quads and full 8-group IPv6. */
static char *
ip_for_rfc7489(const char *ip)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);
  const guint8 *b;

  if (a == NULL || g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV6)
    return g_strdup(ip);
  b = g_inet_address_to_bytes(a);
  return g_strdup_printf("%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3], b[4] << 8 | b[5],
                         b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11], b[12] << 8 | b[13],
                         b[14] << 8 | b[15]);
}

static void
write_record(xmlTextWriterPtr w, const BimiReportRecord *r, gint64 count, BimiReportFormat fmt)
{
  gboolean v9 = fmt == BIMI_REPORT_FORMAT_RFC9990;
  const char *disp = r->disposition;

  xmlTextWriterStartElement(w, (const xmlChar *) "record");
  xmlTextWriterStartElement(w, (const xmlChar *) "row");
  if (v9) {
    el(w, "source_ip", r->source_ip);
  } else {
    g_autofree char *ip = ip_for_rfc7489(r->source_ip);
    el(w, "source_ip", ip);
  }
  el_int(w, "count", count);
  xmlTextWriterStartElement(w, (const xmlChar *) "policy_evaluated");
  if (!v9 && g_strcmp0(disp, "pass") == 0)
    disp = "none";
  el(w, "disposition", disp);
  el(w, "dkim", r->dkim_aligned);
  el(w, "spf", r->spf_aligned);
  for (guint i = 0; i < r->reasons->len; i++) {
    const BimiReportReason *x = g_ptr_array_index(r->reasons, i);
    const char *type = x->type;
    g_autofree char *comment = NULL;
    if ((v9 && g_strcmp0(type, "sampled_out") == 0) || (!v9 && g_strcmp0(type, "policy_test_mode") == 0)) {
      comment = g_strdup_printf("%s%s%s", type, x->comment ? ": " : "", x->comment ? x->comment : "");
      type = "other";
    } else {
      comment = g_strdup(x->comment);
    }
    xmlTextWriterStartElement(w, (const xmlChar *) "reason");
    el(w, "type", type);
    el_opt(w, "comment", comment);
    xmlTextWriterEndElement(w);
  }
  xmlTextWriterEndElement(w); /* policy_evaluated */
  xmlTextWriterEndElement(w); /* row */

  xmlTextWriterStartElement(w, (const xmlChar *) "identifiers");
  if (v9) {
    el(w, "header_from", r->header_from);
    el_opt(w, "envelope_from", r->envelope_from);
    el_opt(w, "envelope_to", r->envelope_to);
  } else {
    el_opt(w, "envelope_to", r->envelope_to);
    el(w, "envelope_from", r->envelope_from ? r->envelope_from : "");
    el(w, "header_from", r->header_from);
  }
  xmlTextWriterEndElement(w);

  xmlTextWriterStartElement(w, (const xmlChar *) "auth_results");
  for (guint i = 0; i < r->dkim->len; i++) {
    const BimiReportDkimAuth *a = g_ptr_array_index(r->dkim, i);
    xmlTextWriterStartElement(w, (const xmlChar *) "dkim");
    el(w, "domain", a->domain);
    el(w, "selector", a->selector);
    el(w, "result", a->result);
    el_opt(w, "human_result", a->human_result);
    xmlTextWriterEndElement(w);
  }
  if (r->spf_domain != NULL) {
    xmlTextWriterStartElement(w, (const xmlChar *) "spf");
    el(w, "domain", r->spf_domain);
    /* RFC 9990 SPFDomainScope has mfrom only: the HELO identity goes without scope. */
    if (!v9 || g_strcmp0(r->spf_scope, "mfrom") == 0)
      el(w, "scope", r->spf_scope);
    el(w, "result", r->spf_result);
    xmlTextWriterEndElement(w);
  } else if (!v9) {
    xmlTextWriterStartElement(w, (const xmlChar *) "spf");
    el(w, "domain", r->envelope_from ? r->envelope_from : r->header_from);
    el(w, "scope", "mfrom");
    el(w, "result", "none");
    xmlTextWriterEndElement(w);
  }
  xmlTextWriterEndElement(w); /* auth_results */
  xmlTextWriterEndElement(w); /* record */
}

typedef struct {
  const BimiReportBuildOptions *o;
  const char *receiver;
  const char *report_id;
  gint64 begin, end_incl;
  const BimiReportRecord *policy; /* the latest evaluation: policy_published */
} Header;

/* The whole XML document of one report (part), or NULL with @error. */
static GBytes *
write_xml(BimiReportDb *db, const Header *hd, GPtrArray *groups, guint from, guint to, gint64 *messages,
          GError **error)
{
  xmlBufferPtr buf = xmlBufferCreate();
  xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
  gboolean v9 = hd->o->format == BIMI_REPORT_FORMAT_RFC9990;
  const BimiReportRecord *p = hd->policy;
  GBytes *out = NULL;

  *messages = 0;
  xmlTextWriterSetIndent(w, 1);
  xmlTextWriterSetIndentString(w, (const xmlChar *) "  ");
  xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
  xmlTextWriterStartElement(w, (const xmlChar *) "feedback");
  if (v9)
    xmlTextWriterWriteAttribute(w, (const xmlChar *) "xmlns", (const xmlChar *) NS_RFC9990);
  el(w, "version", "1.0");
  xmlTextWriterStartElement(w, (const xmlChar *) "report_metadata");
  el(w, "org_name", hd->o->org_name);
  el(w, "email", hd->o->org_email);
  el(w, "report_id", hd->report_id);
  xmlTextWriterStartElement(w, (const xmlChar *) "date_range");
  el_int(w, "begin", hd->begin);
  el_int(w, "end", hd->end_incl);
  xmlTextWriterEndElement(w);
  if (v9)
    el(w, "generator", "bimi-engine " BIMI_VERSION);
  xmlTextWriterEndElement(w); /* report_metadata */

  xmlTextWriterStartElement(w, (const xmlChar *) "policy_published");
  el(w, "domain", p->policy_domain);
  if (v9) {
    el(w, "p", p->p);
    el_opt(w, "sp", p->sp);
    el_opt(w, "np", p->np);
    el(w, "adkim", p->adkim);
    el(w, "aspf", p->aspf);
    el(w, "discovery_method", p->discovery_method);
    el_opt(w, "fo", p->fo);
    el(w, "testing", p->testing);
  } else {
    el(w, "adkim", p->adkim);
    el(w, "aspf", p->aspf);
    el(w, "p", p->p);
    el(w, "sp", p->sp ? p->sp : p->p);
    el(w, "pct", "100");
    el(w, "fo", p->fo ? p->fo : "0");
  }
  xmlTextWriterEndElement(w);

  for (guint i = from; i < to; i++) {
    const Group *g = g_ptr_array_index(groups, i);
    g_autoptr(BimiReportRecord) r = load_record(db, g->rep_id, error);
    if (r == NULL)
      goto out;
    write_record(w, r, g->count, hd->o->format);
    *messages += g->count;
  }
  xmlTextWriterEndElement(w); /* feedback */
  if (xmlTextWriterEndDocument(w) < 0) {
    g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID, "the XML writer failed");
    goto out;
  }
  xmlFreeTextWriter(w);
  w = NULL;
  out = g_bytes_new(xmlBufferContent(buf), (gsize) xmlBufferLength(buf));
out:
  if (w != NULL)
    xmlFreeTextWriter(w);
  xmlBufferFree(buf);
  return out;
}

/* RFC 1952 gzip of @data. */
static GBytes *
gzip_bytes(GBytes *data)
{
  z_stream z = { 0 };
  gsize len;
  const guint8 *in = g_bytes_get_data(data, &len);
  gsize cap;
  guint8 *out;
  int rc;

  rc = deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  g_assert(rc == Z_OK);
  cap = deflateBound(&z, (uLong) len) + 64;
  out = g_malloc(cap);
  z.next_in = (Bytef *) (guintptr) in;
  z.avail_in = (uInt) len;
  z.next_out = out;
  z.avail_out = (uInt) cap;
  rc = deflate(&z, Z_FINISH);
  g_assert(rc == Z_STREAM_END);
  len = z.total_out;
  deflateEnd(&z);
  return g_bytes_new_take(g_realloc(out, len), len);
}

static void
make_report_id(const char *instance, const char *receiver, const char *domain, gint64 begin, gint64 end, guint part,
               BimiReportFormat fmt, char out[33])
{
  g_autoptr(GString) s = g_string_new("bimi-report-id-v2");
  g_autofree char *hex = NULL;

  /* NUL-separated fields: no two inputs give the same bytes. */
  g_string_append_c(s, '\0');
  g_string_append(s, instance);
  g_string_append_c(s, '\0');
  g_string_append(s, receiver);
  g_string_append_c(s, '\0');
  g_string_append(s, domain);
  g_string_append_c(s, '\0');
  g_string_append_printf(s, "%" G_GINT64_FORMAT, begin);
  g_string_append_c(s, '\0');
  g_string_append_printf(s, "%" G_GINT64_FORMAT, end);
  g_string_append_c(s, '\0');
  g_string_append_printf(s, "%u", part);
  g_string_append_c(s, '\0');
  g_string_append(s, bimi_report_format_to_string(fmt));
  hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) s->str, s->len);
  memcpy(out, hex, 32);
  out[32] = '\0';
}

/* ---- the destinations ------------------------------------------------------ */

typedef struct {
  BimiReportRua *rua;
  gboolean skipped;
  char *note;
} Dest;

static void
dest_free(Dest *d)
{
  bimi_report_rua_free(d->rua);
  BIMI_FREE_ALL(d->note, d);
}

typedef enum { DESTS_OK, DESTS_SKIP, DESTS_DEFER } DestsOutcome;

/* Parses and verifies the rua= list of @domain. */
static DestsOutcome
resolve_destinations(const BimiReportBuildOptions *o, const char *domain, const char *rua, GPtrArray *dests,
                     char **why)
{
  g_auto(GStrv) uris = g_strsplit(rua, ",", -1);
  guint usable = 0;

  for (guint i = 0; uris[i] != NULL; i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *uri = g_strstrip(g_strdup(uris[i]));
    g_autoptr(BimiReportRua) r = NULL;
    g_autofree char *detail = NULL;
    BimiReportDestStatus st;
    Dest *d;
    gboolean dup = FALSE;

    if (*uri == '\0')
      continue;
    r = bimi_report_rua_parse(uri, strlen(uri), &error);
    if (r == NULL) {
      if (g_error_matches(error, BIMI_REPORT_RUA_ERROR, BIMI_REPORT_RUA_ERROR_SCHEME))
        continue; /* another scheme: not ours to use, not malformed */
      *why = g_strdup_printf("rua= URI \"%s\" is malformed: %s", uri, error->message);
      return DESTS_SKIP;
    }
    for (guint k = 0; k < dests->len; k++)
      dup |= g_ascii_strcasecmp(((Dest *) g_ptr_array_index(dests, k))->rua->address, r->address) == 0;
    if (dup)
      continue;
    st = bimi_report_verify_destination(o->resolver, domain, r->domain, &detail);
    if (st == BIMI_REPORT_DEST_TEMPERROR) {
      *why = g_strdup_printf("external destination %s: %s; retried next run", r->address, detail);
      return DESTS_DEFER;
    }
    d = g_new0(Dest, 1);
    d->rua = g_steal_pointer(&r);
    if (st == BIMI_REPORT_DEST_REFUSED) {
      d->skipped = TRUE;
      d->note = g_strdup_printf("external destination not verified (RFC 9990 §2): %s", detail);
    } else {
      usable++;
    }
    g_ptr_array_add(dests, d);
  }
  if (usable == 0) {
    GString *s = g_string_new("no usable rua= destination (mailto: only; external ones need verification)");
    for (guint k = 0; k < dests->len; k++) {
      const Dest *d = g_ptr_array_index(dests, k);
      g_string_append_printf(s, "; %s: %s", d->rua->address, d->note ? d->note : "");
    }
    *why = g_string_free(s, FALSE);
    return DESTS_SKIP;
  }
  return DESTS_OK;
}

/* ---- the run ---------------------------------------------------------------- */

/* The database's random identity (report_instance, schema version 2) into out. */
static gboolean
load_instance(BimiReportDb *db, char out[33], GError **error)
{
  sqlite3_stmt *st = NULL;
  const unsigned char *id;
  int rc;

  st = bimi_report_db_prepare(db, "SELECT id FROM report_instance LIMIT 1", "read report_instance", error);
  if (st == NULL)
    return FALSE;
  rc = sqlite3_step(st);
  id = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
  if (id == NULL || strlen((const char *) id) != 32) {
    sqlite3_finalize(st);
    g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID,
                "%s: table report_instance holds no 32-digit instance id", bimi_report_db_path(db));
    return FALSE;
  }
  memcpy(out, id, 33);
  sqlite3_finalize(st);
  return TRUE;
}

/* The statement @sql for one policy domain and reporting period: ?1 @domain, ?2 begin, ?3 end
 * and, with @format, ?4 the report format. (transfer full) or NULL + @error. */
static sqlite3_stmt *
prepare_period(BimiReportDb *db, const char *sql, const char *what, const char *domain,
               const BimiReportBuildOptions *o, gboolean format, GError **error)
{
  sqlite3_stmt *st = bimi_report_db_prepare(db, sql, what, error);

  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, o->begin);
  sqlite3_bind_int64(st, 3, o->end);
  if (format)
    sqlite3_bind_text(st, 4, bimi_report_format_to_string(o->format), -1, SQLITE_STATIC);
  return st;
}

static gboolean
exists(BimiReportDb *db, const char *sql, const char *domain, const BimiReportBuildOptions *o, gboolean *found,
       GError **error)
{
  sqlite3_stmt *st = prepare_period(db, sql, "read report", domain, o, TRUE, error);
  int rc;

  if (st == NULL)
    return FALSE;
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return bimi_report_db_set_error(db, error, "read report");
  *found = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
save_note(BimiReportDb *db, const BimiReportBuildOptions *o, const char *domain, const char *text, GError **error)
{
  sqlite3_stmt *st =
    prepare_period(db,
                   "INSERT INTO report_note (policy_domain, begin_time, end_time, format, final, note, at)"
                   " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6) ON CONFLICT DO UPDATE SET note = excluded.note,"
                   " at = excluded.at",
                   "write report_note", domain, o, TRUE, error);

  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, o->now);
  return bimi_report_db_finish(db, st, sqlite3_step(st), "write report_note", error);
}

static gboolean
load_groups(BimiReportDb *db, const BimiReportBuildOptions *o, const char *domain, GPtrArray *groups, GError **error)
{
  sqlite3_stmt *st = prepare_period(db,
                                    "SELECT row_key, count(*), min(id) FROM evaluation"
                                    " WHERE policy_domain = ?1 AND time >= ?2 AND time < ?3"
                                    " GROUP BY row_key ORDER BY min(id)",
                                    "group evaluations", domain, o, FALSE, error);
  int rc;

  if (st == NULL)
    return FALSE;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Group *g = g_new0(Group, 1);
    g->row_key = column_dup(st, 0);
    g->count = sqlite3_column_int64(st, 1);
    g->rep_id = sqlite3_column_int64(st, 2);
    g_ptr_array_add(groups, g);
  }
  return bimi_report_db_finish(db, st, rc, "group evaluations", error);
}

static gboolean
write_file(const char *dir, const char *name, GBytes *gz, GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  gsize n;
  const char *data = g_bytes_get_data(gz, &n);
  return g_file_set_contents_full(path, data, (gssize) n, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static gboolean
store_report(BimiReportDb *db, const BimiReportBuildOptions *o, const char *report_id, const char *domain, guint part,
             const char *file_name, GBytes *gz, guint records, gint64 messages, GPtrArray *dests, GError **error)
{
  sqlite3 *h = bimi_report_db_handle(db);
  sqlite3_stmt *st = NULL;
  gsize gz_len;
  const void *gz_data = g_bytes_get_data(gz, &gz_len);
  int rc;

  if (!bimi_report_db_begin(db, error))
    return FALSE;
  if (sqlite3_prepare_v2(h,
                         "INSERT INTO report (report_id, policy_domain, begin_time, end_time, part, format, file_name,"
                         " gz, records, messages, built_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &st, NULL) != SQLITE_OK)
    goto fail;
  sqlite3_bind_text(st, 1, report_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, domain, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, o->begin);
  sqlite3_bind_int64(st, 4, o->end);
  sqlite3_bind_int(st, 5, (int) part);
  sqlite3_bind_text(st, 6, bimi_report_format_to_string(o->format), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, file_name, -1, SQLITE_STATIC);
  sqlite3_bind_blob64(st, 8, gz_data, gz_len, SQLITE_STATIC);
  sqlite3_bind_int(st, 9, (int) records);
  sqlite3_bind_int64(st, 10, messages);
  sqlite3_bind_int64(st, 11, o->now);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    goto fail;
  for (guint i = 0; i < dests->len; i++) {
    const Dest *d = g_ptr_array_index(dests, i);
    g_autofree char *size_note = NULL;
    gboolean skip = d->skipped;
    if (!skip && d->rua->max_bytes > 0 && gz_len > d->rua->max_bytes) {
      skip = TRUE;
      size_note = g_strdup_printf("report is %" G_GSIZE_FORMAT " bytes (gzip), more than the %" G_GUINT64_FORMAT
                                  "-byte limit of %s",
                                  gz_len, d->rua->max_bytes, d->rua->uri);
    }
    if (sqlite3_prepare_v2(h,
                           "INSERT INTO report_destination (report_id, address, uri, max_bytes, state, note)"
                           " VALUES (?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
      goto fail;
    sqlite3_bind_text(st, 1, report_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->rua->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->rua->uri, -1, SQLITE_STATIC);
    if (d->rua->max_bytes > 0)
      sqlite3_bind_int64(st, 4, (sqlite3_int64) MIN(d->rua->max_bytes, (guint64) G_MAXINT64));
    else
      sqlite3_bind_null(st, 4);
    sqlite3_bind_text(st, 5, skip ? "skipped" : "pending", -1, SQLITE_STATIC);
    if (size_note != NULL || d->note != NULL)
      sqlite3_bind_text(st, 6, size_note ? size_note : d->note, -1, SQLITE_TRANSIENT);
    else
      sqlite3_bind_null(st, 6);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
      goto fail;
  }
  return bimi_report_db_commit(db, error);
fail:
  bimi_report_db_set_error(db, error, "store report");
  bimi_report_db_rollback(db);
  return FALSE;
}

/* The policy domains recorded in the period, sorted, into @domains (char *), and the id of the latest
 * evaluation of each into @latest (gint64): the policy record that says whether a report is asked for. */
static gboolean
load_policy_domains(BimiReportDb *db, const BimiReportBuildOptions *o, GPtrArray *domains, GArray *latest,
                    GError **error)
{
  sqlite3_stmt *st = bimi_report_db_prepare(db,
                                            "SELECT policy_domain, max(id) FROM evaluation"
                                            " WHERE time >= ?1 AND time < ?2"
                                            " GROUP BY policy_domain ORDER BY policy_domain",
                                            "list policy domains", error);
  int rc;

  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, o->begin);
  sqlite3_bind_int64(st, 2, o->end);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 id = sqlite3_column_int64(st, 1);
    g_ptr_array_add(domains, column_dup(st, 0));
    g_array_append_val(latest, id);
  }
  return bimi_report_db_finish(db, st, rc, "list policy domains", error);
}

/* Builds the reports (parts) of one policy domain. */
static gboolean
build_domain(BimiReportDb *db, const BimiReportBuildOptions *o, const char *instance, const char *receiver,
             const char *domain, gint64 latest_id, BimiReportBuildSummary *s, GError **error)
{
  g_autoptr(BimiReportRecord) policy = load_record(db, latest_id, error);
  g_autoptr(GPtrArray) dests = g_ptr_array_new_with_free_func((GDestroyNotify) dest_free);
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func((GDestroyNotify) group_free);
  g_autofree char *why = NULL;
  guint parts;

  if (policy == NULL)
    return FALSE;
  switch (resolve_destinations(o, domain, policy->rua, dests, &why)) {
  case DESTS_DEFER:
    note(s, "%s: deferred: %s", domain, why);
    s->deferred++;
    return TRUE;
  case DESTS_SKIP:
    note(s, "%s: skipped: %s", domain, why);
    s->skipped++;
    return save_note(db, o, domain, why, error);
  case DESTS_OK:
    break;
  }
  for (guint k = 0; k < dests->len; k++) {
    const Dest *d = g_ptr_array_index(dests, k);
    if (d->skipped)
      note(s, "%s: destination %s skipped: %s", domain, d->rua->address, d->note);
  }
  if (!load_groups(db, o, domain, groups, error))
    return FALSE;
  parts = (groups->len + BIMI_REPORT_MAX_ROWS_PER_REPORT - 1) / BIMI_REPORT_MAX_ROWS_PER_REPORT;
  for (guint part = 0; part < parts; part++) {
    char report_id[33];
    g_autofree char *file_name = NULL;
    g_autoptr(GBytes) xml = NULL;
    g_autoptr(GBytes) gz = NULL;
    guint from = part * BIMI_REPORT_MAX_ROWS_PER_REPORT;
    guint to = MIN(groups->len, from + BIMI_REPORT_MAX_ROWS_PER_REPORT);
    gint64 messages = 0;
    Header hd = { o, receiver, report_id, o->begin, o->end - 1, policy };

    if (s->built >= BIMI_REPORT_MAX_REPORTS_PER_RUN) {
      note(s, "%s: deferred: the run wrote %u reports (BIMI_REPORT_MAX_REPORTS_PER_RUN)", domain,
           BIMI_REPORT_MAX_REPORTS_PER_RUN);
      s->deferred++;
      return TRUE;
    }
    make_report_id(instance, receiver, domain, o->begin, o->end, part, o->format, report_id);
    xml = write_xml(db, &hd, groups, from, to, &messages, error);
    if (xml == NULL)
      return FALSE;
    gz = gzip_bytes(xml);
    file_name = bimi_report_file_name(receiver, domain, o->begin, o->end - 1, report_id);
    if (o->out_dir != NULL && !write_file(o->out_dir, file_name, gz, error))
      return FALSE;
    if (!store_report(db, o, report_id, domain, part, file_name, gz, to - from, messages, dests, error))
      return FALSE;
    g_ptr_array_add(s->files, g_steal_pointer(&file_name));
    s->built++;
  }
  return TRUE;
}

gboolean
bimi_report_build(BimiReportDb *db, const BimiReportBuildOptions *o, BimiReportBuildSummary *s, GError **error)
{
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GArray) latest = g_array_new(FALSE, FALSE, sizeof(gint64));
  const char *at;
  g_autofree char *receiver = NULL;
  char instance[33];

  g_return_val_if_fail(db != NULL && o != NULL && s != NULL && o->resolver != NULL, FALSE);
  memset(s, 0, sizeof *s);
  s->files = g_ptr_array_new_with_free_func(g_free);
  s->notes = g_ptr_array_new_with_free_func(g_free);
  at = o->org_email != NULL ? strrchr(o->org_email, '@') : NULL;
  if (o->org_name == NULL || *o->org_name == '\0' || at == NULL || at[1] == '\0') {
    g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID,
                "a report needs the Reporting Organization: org_name and org_email (an address)");
    return FALSE;
  }
  if (o->end <= o->begin) {
    g_set_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID,
                "the period is empty: end %" G_GINT64_FORMAT " <= begin %" G_GINT64_FORMAT, o->end, o->begin);
    return FALSE;
  }
  receiver = g_ascii_strdown(at + 1, -1);
  if (o->out_dir != NULL && g_mkdir_with_parents(o->out_dir, 0755) != 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", o->out_dir, g_strerror(e));
    return FALSE;
  }

  if (!load_instance(db, instance, error))
    return FALSE;

  if (!load_policy_domains(db, o, domains, latest, error))
    return FALSE;

  for (guint i = 0; i < domains->len; i++) {
    const char *domain = g_ptr_array_index(domains, i);
    gboolean found = FALSE;
    g_autoptr(BimiReportRecord) policy = load_record(db, g_array_index(latest, gint64, i), error);

    if (policy == NULL)
      return FALSE;
    if (policy->rua == NULL || *policy->rua == '\0')
      continue; /* no rua=: no report asked for */
    if (!exists(db, "SELECT 1 FROM report WHERE policy_domain = ?1 AND begin_time = ?2 AND end_time = ?3"
                    " AND format = ?4 LIMIT 1",
                domain, o, &found, error))
      return FALSE;
    if (!found &&
        !exists(db, "SELECT 1 FROM report_note WHERE policy_domain = ?1 AND begin_time = ?2 AND end_time = ?3"
                    " AND format = ?4 AND final = 1",
                domain, o, &found, error))
      return FALSE;
    if (found) {
      s->already++;
      continue;
    }
    if (s->built >= BIMI_REPORT_MAX_REPORTS_PER_RUN) {
      note(s, "%s: deferred: the run wrote %u reports (BIMI_REPORT_MAX_REPORTS_PER_RUN)", domain,
           BIMI_REPORT_MAX_REPORTS_PER_RUN);
      s->deferred++;
      continue;
    }
    if (!exists(db, "SELECT 1 FROM report WHERE policy_domain = ?1 AND begin_time < ?3 AND end_time > ?2"
                    " AND format = ?4 LIMIT 1",
                domain, o, &found, error))
      return FALSE;
    if (found) {
      note(s, "%s: skipped: the period overlaps a report already built for this domain"
              " (each message is reported once)", domain);
      s->skipped++;
      continue;
    }
    if (!build_domain(db, o, instance, receiver, domain, g_array_index(latest, gint64, i), s, error))
      return FALSE;
  }
  return TRUE;
}
