/* report/build.h — DMARC aggregate reports from the recorded evaluations (issue 15,
 * RFC 9990 §3; RFC 7489 §7.2 and Appendix C on request).
 *
 * One report per (policy domain, reporting period) whose latest recorded DMARC record
 * asked for reports (rua=): rows grouped per RFC 9990 (same source IP and same
 * results: one <record> with a count), report_metadata with a unique report_id,
 * date_range, generator; gzip (RFC 1952); the file name of RFC 9990 §3.2
 * "receiver!policy-domain!begin!end!unique-id.xml.gz". Each report is stored in the
 * database with its rua= destinations (table report_destination, state pending or
 * skipped with a note), for bimi_report_send(); and written to a directory if asked.
 *
 * Building is idempotent: a (policy domain, period, format) already built is not built
 * again; a policy domain skipped for good (malformed or unusable rua=, every external
 * destination refused) gets a final note and is not retried; a DNS temperror during
 * the external destination verification leaves no trace, so the next run tries again.
 */
#ifndef BIMI_REPORT_BUILD_H
#define BIMI_REPORT_BUILD_H

#include <glib.h>
#include "engine/dns.h"
#include "report/report-db.h"

G_BEGIN_DECLS

/** Which XML to write. */
typedef enum {
  BIMI_REPORT_FORMAT_RFC9990, /**< namespace urn:ietf:params:xml:ns:dmarc-2.0 (default) */
  BIMI_REPORT_FORMAT_RFC7489, /**< RFC 7489 Appendix C, no namespace */
} BimiReportFormat;

/** "rfc9990" / "rfc7489". (transfer none) */
const char *bimi_report_format_to_string(BimiReportFormat format);
/** Parses those names. FALSE when unknown. */
gboolean bimi_report_format_from_string(const char *text, BimiReportFormat *out);

typedef struct {
  gint64 begin;             /**< period start, Unix seconds, inclusive */
  gint64 end;               /**< period end, Unix seconds, exclusive (> begin) */
  const char *org_name;     /**< report_metadata org_name (required) */
  const char *org_email;    /**< report_metadata email (required); its domain names the receiver */
  BimiReportFormat format;
  const char *out_dir;      /**< (nullable): also write each .xml.gz there */
  BimiDnsResolver *resolver; /**< for the external destination verification (required) */
  gint64 now;               /**< built_at, Unix seconds */
} BimiReportBuildOptions;

/** What a run did. */
typedef struct {
  guint built;              /**< reports written */
  guint already;            /**< (domain, period) pairs already built or skipped for good earlier */
  guint skipped;            /**< policy domains skipped for good in this run (notes say why) */
  guint deferred;           /**< policy domains left for the next run (DNS temperror, run limit) */
  GPtrArray *files;         /**< of char*: file names written (or that would be, without out_dir) */
  GPtrArray *notes;         /**< of char*: one line per skipped or deferred domain and destination */
} BimiReportBuildSummary;

/** Frees the arrays of @summary (NULL-safe); the struct itself stays the caller's. */
void bimi_report_build_summary_clear(BimiReportBuildSummary *summary);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BimiReportBuildSummary, bimi_report_build_summary_clear)

/**
 * bimi_report_build:
 * @db: a database migrated with bimi_report_schema (report/record.h)
 * @options: the period and the reporter
 * @summary: (out caller-allocates): what was done; clear with bimi_report_build_summary_clear()
 * @error: BIMI_REPORT_DB_ERROR_* (the database failed; reports committed before
 *   stay), BIMI_REPORT_DB_ERROR_INVALID (bad options: empty org, end <= begin), or
 *   G_FILE_ERROR (out_dir not writable)
 *
 * Writes at most BIMI_REPORT_MAX_REPORTS_PER_RUN reports and at most
 * BIMI_REPORT_MAX_ROWS_PER_REPORT rows in each (more rows: more parts of the same
 * period). Hostile strings (From domains, human_result texts) reach the XML only
 * through libxml2's writer, which escapes them.
 *
 * Returns: TRUE when the run completed (some domains may be deferred or skipped).
 */
gboolean bimi_report_build(BimiReportDb *db, const BimiReportBuildOptions *options, BimiReportBuildSummary *summary,
                           GError **error);

/**
 * bimi_report_file_name:
 * @receiver: @policy_domain: domains
 * @begin: @end: the date_range values (end inclusive)
 * @unique_id: the report_id
 *
 * Returns: (transfer full): "receiver!policy-domain!begin!end!unique-id.xml.gz" (RFC 9990 §3.2).
 */
char *bimi_report_file_name(const char *receiver, const char *policy_domain, gint64 begin, gint64 end,
                            const char *unique_id);

G_END_DECLS

#endif /* BIMI_REPORT_BUILD_H */
