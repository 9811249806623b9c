/* report/record.h — one DMARC evaluation as the aggregate report needs it (issue 15,
 * RFC 9990 §3 "record"), and its tables in the report database.
 *
 * A BimiReportRecord is made from the outcome of one evaluation
 * (bimi_report_record_new_from_evaluation()) and written once per message:
 *
 * Deduplication key (the webmail may ask about one message many times): the
 * lowercase hex SHA-256 of
 *     "bimi-report-dedup-v1" NUL <header section> NUL <client IP> NUL <MAIL FROM> NUL <HELO>
 * where the header section is every byte of the message before the body (the blank
 * line included when present) as received, with line ends made CRLF (engine/message's
 * canonical buffer: an LF and a CRLF copy count once), and the envelope fields are
 * as the evaluation used them ("" when unknown). The same bytes from the same
 * connection count once; a resend (new Received field, new Message-ID) counts again.
 *
 * Row key: the lowercase hex SHA-256 of everything an RFC 9990 <record> shows except
 * the count — source IP, identifiers, policy_evaluated (disposition, dkim, spf,
 * reasons), auth_results — so that grouping by (policy domain, row key) gives the
 * rows of a report with their counts (RFC 9990 §3: one record per distinct tuple).
 *
 * Tables (module "report" of report/report-db.h): evaluation (one row per message;
 * dedup_key UNIQUE), evaluation_dkim and evaluation_reason (children), report (each
 * built report, its gzip bytes included), report_destination (each rua= address of a
 * report and its sending state: the sent-log), report_note (why a policy domain got
 * no report for a period; final notes are not retried).
 */
#ifndef BIMI_REPORT_RECORD_H
#define BIMI_REPORT_RECORD_H

#include <glib.h>
#include "engine/dkim.h"
#include "engine/dmarc.h"
#include "engine/spf.h"
#include "report/report-db.h"

G_BEGIN_DECLS

/** Length of a dedup or row key in lowercase hex (SHA-256). */
#define BIMI_REPORT_KEY_HEX_LEN 64

/** One RFC 9990 PolicyOverrideReason: a type and a free-text comment. Strings owned. */
typedef struct {
  char *type;     /**< "local_policy", "trusted_forwarder", "policy_test_mode", "mailing_list", "other",
                   *   or "sampled_out" (RFC 7489 only; written as "other" in RFC 9990 reports) */
  char *comment;  /**< or NULL */
} BimiReportReason;

/** One DKIM signature's result, uninterpreted by DMARC (RFC 9990 DKIMAuthResultType). Strings owned. */
typedef struct {
  char *domain;       /**< d= */
  char *selector;     /**< s= */
  char *result;       /**< RFC 8601 §2.7.1 name */
  char *human_result; /**< the verifier's reason, or NULL */
} BimiReportDkimAuth;

/**
 * BimiReportRecord:
 * One evaluation. Plain data, every string owned; free with bimi_report_record_free().
 * Values are the RFC 9990 spellings.
 */
typedef struct {
  char dedup_key[BIMI_REPORT_KEY_HEX_LEN + 1];
  char row_key[BIMI_REPORT_KEY_HEX_LEN + 1];   /**< filled by bimi_report_record_finish() */
  gint64 time;              /**< evaluation time, Unix seconds (UTC) */
  char *source_ip;          /**< the SMTP client address */
  char *header_from;        /**< RFC5322.From domain */
  char *envelope_from;      /**< RFC5321.MailFrom domain, or NULL (null reverse-path) */
  char *envelope_to;        /**< envelope recipient domain, or NULL (unknown) */
  /* policy_published as discovered */
  char *policy_domain;      /**< where the DMARC record was found */
  char *discovery_method;   /**< "treewalk" (RFC 9989) or "psl" (RFC 7489) */
  char *p;                  /**< "none" when p= was absent but rua= valid (RFC 9989 §4.7) */
  char *sp;                 /**< or NULL when absent */
  char *np;                 /**< or NULL when absent */
  char *adkim;              /**< "r" / "s" */
  char *aspf;
  char *testing;            /**< "y" / "n" (t=) */
  char *fo;                 /**< as written, or NULL */
  char *rua;                /**< the rua= URIs, comma-separated as published ("" when none) */
  /* policy_evaluated */
  char *dmarc_result;       /**< "pass" / "fail" */
  char *disposition;        /**< applied: "none", "pass", "quarantine", "reject" (ActionDispositionType) */
  char *dkim_aligned;       /**< "pass" / "fail" */
  char *spf_aligned;
  GPtrArray *reasons;       /**< of BimiReportReason*, maybe empty */
  /* auth_results */
  GPtrArray *dkim;          /**< of BimiReportDkimAuth*, maybe empty */
  char *spf_domain;         /**< or NULL when SPF was not evaluated */
  char *spf_scope;          /**< "mfrom" / "helo" */
  char *spf_result;         /**< RFC 8601 §2.7.2 name */
} BimiReportRecord;

BimiReportRecord *bimi_report_record_new(void);
void bimi_report_record_free(BimiReportRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiReportRecord, bimi_report_record_free)

/** Adds a reason (strings copied; @comment nullable). */
void bimi_report_record_add_reason(BimiReportRecord *record, const char *type, const char *comment);

/**
 * bimi_report_record_finish:
 * @record: a record whose fields are set
 *
 * Computes @record->row_key from the fields (see the top of this file). Call after
 * the last change.
 */
void bimi_report_record_finish(BimiReportRecord *record);

/**
 * bimi_report_dedup_key:
 * @header_section: (array length=header_len): the raw header section
 * @client_ip: @mail_from: @helo: (nullable): the envelope as used
 * @out: (out caller-allocates): BIMI_REPORT_KEY_HEX_LEN + 1 bytes
 *
 * The deduplication key of the top of this file.
 */
void bimi_report_dedup_key(const guint8 *header_section, gsize header_len, const char *client_ip,
                           const char *mail_from, const char *helo, char *out);

/** What the evaluation saw, for bimi_report_record_new_from_evaluation(). All (transfer none). */
typedef struct {
  GBytes *message;                    /**< the message in CRLF form (bimi_message_get_canonical()): its header
                                       *   section keys the dedup */
  gsize body_offset;                  /**< where the body starts in @message (bimi_message_get_body_offset()) */
  const char *client_ip;              /**< SMTP client address, or NULL (then nothing is recorded) */
  const char *helo;                   /**< or NULL */
  const char *mail_from;              /**< MAIL FROM address, "" or NULL for the null path */
  const char *envelope_to;            /**< a recipient domain, or NULL */
  const BimiDmarcEvaluation *dmarc;   /**< the evaluation, overrides applied */
  const BimiSpfResult *spf;           /**< the SPF check DMARC used, or NULL */
  GPtrArray *dkim;                    /**< of BimiDkimSignature*, or NULL */
  /* The disposition this receiver actually applied to the message: the consent-aware filter's
   * applied action (evaluate/filter.h: none without the user's consent). */
  BimiDmarcPolicy applied;
  const char *dedup_key;              /**< (nullable) bimi_report_evaluation_dedup_key() of this input when the
                                       *   caller has it (not computed again), or NULL */
  const char *applied_comment;        /**< why @applied differs from what the policy asked (the consent), added
                                       *   to the local_policy comment; or NULL */
  gint64 now;                         /**< evaluation time, Unix seconds */
} BimiReportEvaluationInput;

/**
 * bimi_report_record_new_from_evaluation:
 * @input: the evaluation's outcome
 *
 * The record of one evaluation that reached a DMARC result: pass or fail with a
 * policy record found, and a known client address (RFC 9990 rows need one). The
 * disposition is @input->applied for a fail ("pass" for a pass under p=quarantine or
 * reject, "none" under p=none); reasons (RFC 9990 PolicyOverrideType):
 * trusted_forwarder when a trusted ARC sealer relaxed the disposition,
 * policy_test_mode when t=y lowered it, sampled_out when RFC 7489 pct left the
 * message out, and local_policy when the disposition the policy asked for was not
 * the one applied (the user's consent, @input->applied_comment). A pass that this
 * receiver still quarantined or rejected (the no-ptr filter, with consent) is
 * recorded with that disposition and local_policy.
 *
 * Returns: (transfer full) (nullable): the finished record, or NULL when there is
 * nothing to report (no policy, result none/temperror/permerror, no client address).
 */
BimiReportRecord *bimi_report_record_new_from_evaluation(const BimiReportEvaluationInput *input);

/**
 * bimi_report_evaluation_dedup_key:
 * @input: the evaluation's outcome
 * @out: (out caller-allocates): BIMI_REPORT_KEY_HEX_LEN + 1 bytes
 *
 * The dedup key (bimi_report_dedup_key()) of the record
 * bimi_report_record_new_from_evaluation() makes of @input, without making it.
 *
 * Returns: FALSE (@out untouched) when @input makes no record.
 */
gboolean bimi_report_evaluation_dedup_key(const BimiReportEvaluationInput *input, char *out);

/** The report module's tables (module "report" in schema_version). */
extern const BimiReportDbSchema bimi_report_schema;

/**
 * bimi_report_record_insert:
 * @db: a database migrated with bimi_report_schema
 * @record: a finished record
 * @inserted: (out) (optional): FALSE when a record with the same dedup key was already there
 * @error: BIMI_REPORT_DB_ERROR_* (bimi_report_db_set_error())
 *
 * Inserts the record and its children inside the caller's transaction (the writer
 * thread batches many into one); a duplicate dedup key is ignored.
 *
 * Returns: TRUE unless the database failed.
 */
gboolean bimi_report_record_insert(BimiReportDb *db, const BimiReportRecord *record, gboolean *inserted,
                                   GError **error);

G_END_DECLS

#endif /* BIMI_REPORT_RECORD_H */
