/* report/send.h — mails the built aggregate reports (issue 15, RFC 9990 §3.2 and
 * §3.2.1 "Email" transport, RFC 6376 DKIM, RFC 5321 SMTP submission via libcurl).
 *
 * Each (report, destination) pending in the database becomes one MIME message
 * (Subject "Report Domain: <d> Submitter: <receiver> Report-ID: <id>", a short text
 * part, the report as an application/gzip attachment), DKIM-signed when a signer is
 * given, submitted over smtp:// (STARTTLS when the server offers it) or smtps://.
 *
 * The sent-log is the destination's state in the database:
 *   pending -> sending (committed before the SMTP transaction) -> sent (committed
 *   after the server's 250) | pending again on a failure (attempts counted) |
 *   failed after BIMI_REPORT_MAX_SEND_ATTEMPTS runs.
 * A second run sends nothing that is sent (idempotent by report_id and address). A
 * crash before the server's 250 leaves "sending", retried next run: a report is never
 * lost. Only a crash between the server's 250 and the commit of "sent" (one SQLite
 * commit) can send a report twice; the Message-ID is the same each time
 * (<report-id>.<hash of address>@<receiver>), so the duplicate is recognisable.
 */
#ifndef BIMI_REPORT_SEND_H
#define BIMI_REPORT_SEND_H

#include <glib.h>
#include "engine/dkim.h"
#include "report/report-db.h"

G_BEGIN_DECLS

#define BIMI_REPORT_SEND_ERROR (bimi_report_send_error_quark())
GQuark bimi_report_send_error_quark(void);

typedef enum {
  BIMI_REPORT_SEND_ERROR_CONFIG, /**< missing or unusable options (no smtp_url, no org_email) */
  BIMI_REPORT_SEND_ERROR_SMTP,   /**< one submission failed (the message has libcurl's and the server's text) */
} BimiReportSendError;

typedef struct {
  const char *smtp_url;       /**< smtp://HOST[:PORT] or smtps://HOST[:PORT] (required unless dry_run) */
  const char *smtp_user;      /**< (nullable): SMTP AUTH */
  const char *smtp_password;  /**< (nullable) */
  const char *org_name;       /**< the From display name (required) */
  const char *org_email;      /**< the From address and MAIL FROM (required) */
  BimiDkimSigner *signer;     /**< (nullable): sign each message */
  gboolean dry_run;           /**< list what would be sent, change nothing */
  gint64 now;                 /**< Date field, t=, sent_at: Unix seconds */
} BimiReportSendOptions;

typedef struct {
  guint sent;                 /**< messages the server accepted */
  guint failed;               /**< submissions that failed (retried next run, or failed for good) */
  guint would_send;           /**< dry run: messages that would be sent */
  guint deferred;             /**< left for the next run (BIMI_REPORT_MAX_SENDS_PER_RUN) */
  GPtrArray *lines;           /**< of char*: one line per message (sent, failed, would send) */
} BimiReportSendSummary;

/** Frees the lines of @summary (NULL-safe); the struct itself stays the caller's. */
void bimi_report_send_summary_clear(BimiReportSendSummary *summary);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BimiReportSendSummary, bimi_report_send_summary_clear)

/**
 * bimi_report_send:
 * @db: a database migrated with bimi_report_schema
 * @options: where and as whom
 * @summary: (out caller-allocates): what happened; clear with bimi_report_send_summary_clear()
 * @error: BIMI_REPORT_SEND_ERROR_CONFIG, BIMI_REPORT_DB_ERROR_* (the database failed)
 *
 * Sends every pending destination (at most BIMI_REPORT_MAX_SENDS_PER_RUN), oldest
 * report first. A failed submission is no error of the run: it is counted, logged in
 * the database (attempts, note) and retried by the next run.
 *
 * Returns: TRUE when the run completed.
 */
gboolean bimi_report_send(BimiReportDb *db, const BimiReportSendOptions *options, BimiReportSendSummary *summary,
                          GError **error);

/**
 * bimi_report_mime_message:
 * @options: org_name, org_email, now
 * @to: the destination address
 * @policy_domain: the report's domain
 * @report_id: its id
 * @file_name: the attachment's name (RFC 9990 §3.2)
 * @begin: @end: the period (end inclusive), for the text part
 * @gz: (transfer none): the gzip bytes
 *
 * The unsigned message, CRLF line ends, base64 lines of 76 characters.
 *
 * Returns: (transfer full): the message bytes.
 */
GBytes *bimi_report_mime_message(const BimiReportSendOptions *options, const char *to, const char *policy_domain,
                                 const char *report_id, const char *file_name, gint64 begin, gint64 end, GBytes *gz);

G_END_DECLS

#endif /* BIMI_REPORT_SEND_H */
