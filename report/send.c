/* report/send.c — aggregate report mails: RFC 9990 §3.2 (Subject, the gzip
 * attachment, file name), RFC 2045/2046 MIME (multipart/mixed, base64), RFC 5322
 * (Date, Message-ID), RFC 6376 (the signature: engine/dkim's signer), RFC 5321 SMTP
 * through libcurl (smtp:// with STARTTLS when offered, smtps://), and the sent-log
 * states of report/send.h.
 */
#include "report/send.h"

#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <curl/curl.h>
#include <string.h>

G_DEFINE_QUARK(bimi-report-send-error-quark, bimi_report_send_error)

BIMI_DEFINE_CLEAR_FUNC(BimiReportSendSummary, bimi_report_send_summary_clear, s)
{
  g_clear_pointer(&s->lines, g_ptr_array_unref);
}

static const char *
receiver_of(const char *org_email)
{
  const char *at = strrchr(org_email, '@');
  return at != NULL ? at + 1 : org_email;
}

/* A display name as an RFC 5322 quoted-string (the configuration's org_name: ASCII
 * printable expected; anything else is replaced, never passed raw into a header). */
static void
append_quoted(GString *out, const char *s)
{
  g_string_append_c(out, '"');
  for (; *s != '\0'; s++) {
    guchar c = (guchar) *s;
    if (c == '"' || c == '\\')
      g_string_append_c(out, '\\');
    g_string_append_c(out, c >= 0x20 && c < 0x7f ? (char) c : '?');
  }
  g_string_append_c(out, '"');
}

GBytes *
bimi_report_mime_message(const BimiReportSendOptions *o, const char *to, const char *policy_domain,
                         const char *report_id, const char *file_name, gint64 begin, gint64 end, GBytes *gz)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(o->now);
  g_autoptr(GDateTime) b = g_date_time_new_from_unix_utc(begin);
  g_autoptr(GDateTime) e = g_date_time_new_from_unix_utc(end);
  g_autofree char *date = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S +0000");
  g_autofree char *bs = g_date_time_format_iso8601(b);
  g_autofree char *es = g_date_time_format_iso8601(e);
  g_autofree char *addr_hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, to, -1);
  g_autofree char *b64 = NULL;
  const char *receiver = receiver_of(o->org_email);
  GString *m = g_string_new(NULL);
  gsize n;

  g_string_append(m, "From: ");
  append_quoted(m, o->org_name);
  g_string_append_printf(m, " <%s>\r\n", o->org_email);
  g_string_append_printf(m, "To: <%s>\r\n", to);
  g_string_append_printf(m, "Subject: Report Domain: %s Submitter: %s\r\n Report-ID: <%s>\r\n", policy_domain,
                         receiver, report_id);
  g_string_append_printf(m, "Date: %s\r\n", date);
  g_string_append_printf(m, "Message-ID: <%s.%.16s@%s>\r\n", report_id, addr_hash, receiver);
  g_string_append(m, "MIME-Version: 1.0\r\n");
  g_string_append_printf(m, "Content-Type: multipart/mixed; boundary=\"bimi-report-%s\"\r\n\r\n", report_id);
  g_string_append(m, "This is a multi-part message in MIME format.\r\n\r\n");
  g_string_append_printf(m, "--bimi-report-%s\r\n", report_id);
  g_string_append(m, "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
  g_string_append_printf(m,
                         "This is a DMARC aggregate report (RFC 9990) for %s\r\n"
                         "covering %s to %s (UTC), from %s.\r\n"
                         "Report-ID: %s\r\n",
                         policy_domain, bs, es, receiver, report_id);
  g_string_append_printf(m, "\r\n--bimi-report-%s\r\n", report_id);
  g_string_append_printf(m,
                         "Content-Type: application/gzip; name=\"%s\"\r\n"
                         "Content-Disposition: attachment; filename=\"%s\"\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\n",
                         file_name, file_name);
  b64 = g_base64_encode(g_bytes_get_data(gz, NULL), g_bytes_get_size(gz));
  n = strlen(b64);
  for (gsize i = 0; i < n; i += 76) {
    g_string_append_len(m, b64 + i, (gssize) MIN((gsize) 76, n - i));
    g_string_append(m, "\r\n");
  }
  g_string_append_printf(m, "\r\n--bimi-report-%s--\r\n", report_id);
  return g_string_free_to_bytes(m);
}

/* ---- SMTP ------------------------------------------------------------------ */

typedef struct {
  const guint8 *data;
  gsize len, pos;
} Upload;

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *user)
{
  Upload *u = user;
  size_t room = size * nitems, take = MIN(room, u->len - u->pos);
  memcpy(buf, u->data + u->pos, take);
  u->pos += take;
  return take;
}

static gboolean
smtp_submit(const BimiReportSendOptions *o, const char *to, GBytes *message, char **response, GError **error)
{
  CURL *c = curl_easy_init();
  struct curl_slist *rcpt = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  g_autofree char *from = g_strdup_printf("<%s>", o->org_email);
  g_autofree char *rcpt_to = g_strdup_printf("<%s>", to);
  Upload u = { g_bytes_get_data(message, NULL), g_bytes_get_size(message), 0 };
  long code = 0;
  CURLcode rc;

  if (c == NULL) {
    g_set_error(error, BIMI_REPORT_SEND_ERROR, BIMI_REPORT_SEND_ERROR_SMTP, "libcurl: cannot start");
    return FALSE;
  }
  rcpt = curl_slist_append(rcpt, rcpt_to);
  curl_easy_setopt(c, CURLOPT_URL, o->smtp_url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &u);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) u.len);
  curl_easy_setopt(c, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, (long) BIMI_REPORT_SMTP_TIMEOUT_S);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  if (o->smtp_user != NULL) {
    curl_easy_setopt(c, CURLOPT_USERNAME, o->smtp_user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, o->smtp_password ? o->smtp_password : "");
  }
  rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    g_set_error(error, BIMI_REPORT_SEND_ERROR, BIMI_REPORT_SEND_ERROR_SMTP, "SMTP %s to %s: %s (server code %ld)",
                o->smtp_url, to, errbuf[0] ? errbuf : curl_easy_strerror(rc), code);
    return FALSE;
  }
  *response = g_strdup_printf("%ld", code);
  return TRUE;
}

/* ---- the run ------------------------------------------------------------------ */

typedef struct {
  char *report_id;
  char *address;
  char *policy_domain;
  char *file_name;
  GBytes *gz;
  gint64 begin, end;
  gint64 attempts;
} Pending;

static void
pending_free(Pending *p)
{
  BIMI_FREE_ALL(p->report_id, p->address, p->policy_domain, p->file_name);
  g_bytes_unref(p->gz);
  g_free(p);
}

static gboolean
set_state(BimiReportDb *db, const Pending *p, const char *state, const char *note, const char *response, gint64 now,
          gboolean count_attempt, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (!bimi_report_db_begin(db, error))
    return FALSE;
  st = bimi_report_db_prepare(db,
                              "UPDATE report_destination SET state = ?3, note = ?4, smtp_response = ?5,"
                              " sent_at = CASE WHEN ?3 = 'sent' THEN ?6 ELSE sent_at END,"
                              " attempts = attempts + ?7 WHERE report_id = ?1 AND address = ?2",
                              "update report_destination", error);
  if (st == NULL) {
    bimi_report_db_rollback(db);
    return FALSE;
  }
  sqlite3_bind_text(st, 1, p->report_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, p->address, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
  if (note != NULL)
    sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
  if (response != NULL)
    sqlite3_bind_text(st, 5, response, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, now);
  sqlite3_bind_int(st, 7, count_attempt ? 1 : 0);
  if (!bimi_report_db_finish(db, st, sqlite3_step(st), "update report_destination", error)) {
    bimi_report_db_rollback(db);
    return FALSE;
  }
  return bimi_report_db_commit(db, error);
}

static gboolean
load_pending(BimiReportDb *db, GPtrArray *out, guint *more, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc;

  *more = 0;
  st = bimi_report_db_prepare(db,
                              "SELECT d.report_id, d.address, r.policy_domain, r.file_name, r.gz, r.begin_time,"
                              " r.end_time, d.attempts FROM report_destination d JOIN report r USING (report_id)"
                              " WHERE d.state IN ('pending', 'sending') ORDER BY r.built_at, r.report_id, d.address",
                              "list pending reports", error);
  if (st == NULL)
    return FALSE;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Pending *p;
    if (out->len >= BIMI_REPORT_MAX_SENDS_PER_RUN) {
      (*more)++;
      continue;
    }
    p = g_new0(Pending, 1);
    p->report_id = g_strdup((const char *) sqlite3_column_text(st, 0));
    p->address = g_strdup((const char *) sqlite3_column_text(st, 1));
    p->policy_domain = g_strdup((const char *) sqlite3_column_text(st, 2));
    p->file_name = g_strdup((const char *) sqlite3_column_text(st, 3));
    p->gz = g_bytes_new(sqlite3_column_blob(st, 4), (gsize) sqlite3_column_bytes(st, 4));
    p->begin = sqlite3_column_int64(st, 5);
    p->end = sqlite3_column_int64(st, 6);
    p->attempts = sqlite3_column_int64(st, 7);
    g_ptr_array_add(out, p);
  }
  return bimi_report_db_finish(db, st, rc, "list pending reports", error);
}

gboolean
bimi_report_send(BimiReportDb *db, const BimiReportSendOptions *o, BimiReportSendSummary *s, GError **error)
{
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func((GDestroyNotify) pending_free);
  guint more = 0;

  g_return_val_if_fail(db != NULL && o != NULL && s != NULL, FALSE);
  memset(s, 0, sizeof *s);
  s->lines = g_ptr_array_new_with_free_func(g_free);
  if (o->org_name == NULL || o->org_email == NULL || strchr(o->org_email, '@') == NULL) {
    g_set_error(error, BIMI_REPORT_SEND_ERROR, BIMI_REPORT_SEND_ERROR_CONFIG,
                "report mails need org_name and org_email (an address)");
    return FALSE;
  }
  if (!o->dry_run && (o->smtp_url == NULL || *o->smtp_url == '\0')) {
    g_set_error(error, BIMI_REPORT_SEND_ERROR, BIMI_REPORT_SEND_ERROR_CONFIG,
                "no SMTP server: set [report] smtp_url (smtp://HOST[:PORT] or smtps://HOST[:PORT])");
    return FALSE;
  }
  if (!load_pending(db, pending, &more, error))
    return FALSE;
  s->deferred = more;

  for (guint i = 0; i < pending->len; i++) {
    const Pending *p = g_ptr_array_index(pending, i);
    g_autoptr(GBytes) mime = NULL;
    g_autoptr(GBytes) message = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *response = NULL;
    gint64 end_incl = p->end - 1;

    mime = bimi_report_mime_message(o, p->address, p->policy_domain, p->report_id, p->file_name, p->begin, end_incl,
                                    p->gz);
    if (o->signer != NULL) {
      g_autofree char *sig = bimi_dkim_signer_sign(o->signer, mime, o->now, &local);
      GByteArray *all;
      if (sig == NULL) {
        g_set_error(error, BIMI_REPORT_SEND_ERROR, BIMI_REPORT_SEND_ERROR_CONFIG, "DKIM signing failed: %s",
                    local->message);
        return FALSE;
      }
      all = g_byte_array_new();
      g_byte_array_append(all, (const guint8 *) sig, (guint) strlen(sig));
      g_byte_array_append(all, g_bytes_get_data(mime, NULL), (guint) g_bytes_get_size(mime));
      message = g_byte_array_free_to_bytes(all);
    } else {
      message = g_bytes_ref(mime);
    }
    if (o->dry_run) {
      g_ptr_array_add(s->lines, g_strdup_printf("would send %s (%s, %" G_GSIZE_FORMAT " bytes) to %s", p->report_id,
                                                p->policy_domain, g_bytes_get_size(message), p->address));
      s->would_send++;
      continue;
    }
    /* Committed before the SMTP transaction: a crash from here on retries, never loses. */
    if (!set_state(db, p, "sending", NULL, NULL, o->now, TRUE, error))
      return FALSE;
    if (smtp_submit(o, p->address, message, &response, &local)) {
      if (!set_state(db, p, "sent", NULL, response, o->now, FALSE, error))
        return FALSE;
      g_ptr_array_add(s->lines, g_strdup_printf("sent %s (%s) to %s", p->report_id, p->policy_domain, p->address));
      s->sent++;
    } else {
      gboolean give_up = p->attempts + 1 >= BIMI_REPORT_MAX_SEND_ATTEMPTS;
      if (!set_state(db, p, give_up ? "failed" : "pending", local->message, NULL, o->now, FALSE, error))
        return FALSE;
      g_ptr_array_add(s->lines, g_strdup_printf("%s %s (%s) to %s: %s", give_up ? "gave up on" : "will retry",
                                                p->report_id, p->policy_domain, p->address, local->message));
      s->failed++;
    }
  }
  return TRUE;
}
