/* report/ingest-summary.h — what the received aggregate reports say, per policy domain (issue 16).
 *
 * From the ingest tables (report/ingest-store.h): per policy domain the messages,
 * the DMARC pass share (RFC 7489 §3.1 / RFC 9989: policy_evaluated dkim or spf
 * "pass"), the dispositions, messages per day, and the sources (source IP, its
 * PTR name and FCrDNS result through engine/rdns when a resolver is given, the
 * reporting organisations, SPF/DKIM outcomes and the DKIM d= seen), grouped as a
 * domain owner thinks of them:
 *   - authorised and passing: every message passes DMARC;
 *   - authorised but failing: some fail, but something says the source handles
 *     the domain's mail: part of its mail passes, DKIM or SPF passes for another
 *     (unaligned) domain (an ESP signing with its own d=), the domain's own DKIM
 *     signature arrives broken (a forwarder or mailing list), the reporter names
 *     an override (forwarded, mailing_list, trusted_forwarder, local_policy), or
 *     its forward-confirmed PTR name is in the domain;
 *   - unknown and failing: nothing passes for anyone (spoofing, or an unknown
 *     sender of the domain's own).
 * and a recommendation with its reason (move to quarantine or reject, or not yet
 * and why).
 */
#ifndef BIMI_REPORT_INGEST_SUMMARY_H
#define BIMI_REPORT_INGEST_SUMMARY_H

#include <glib.h>
#include "engine/base/base-json.h"

#include "engine/dns.h"
#include "report/report-db.h"

G_BEGIN_DECLS

/** Share of a domain's mail (per mille) that authorised-but-failing sources may
 *  send for the summary to call the domain ready for a stricter policy. */
#define BIMI_INGEST_READY_MAX_FAIL_PERMILLE 5u

typedef enum {
  BIMI_INGEST_GROUP_AUTHORISED_PASSING,
  BIMI_INGEST_GROUP_AUTHORISED_FAILING,
  BIMI_INGEST_GROUP_UNKNOWN_FAILING,
} BimiIngestGroup;

/** "authorised-passing", "authorised-failing", "unknown-failing". */
const char *bimi_ingest_group_to_string(BimiIngestGroup group);

/** A count per distinct text (a DKIM d= with its result, an organisation). */
typedef struct {
  char *name;
  guint64 messages;
} BimiIngestTally;

/** One source IP sending as a domain. */
typedef struct {
  char *source_ip;
  char *ptr_name;        /**< the forward-confirmed name, else the first PTR name, else NULL */
  char *fcrdns;          /**< "pass", "fail", "none", "temperror"; NULL when not asked (no resolver) */
  char *label;           /**< how the summary names it: PTR name, else a passing DKIM d=, else the IP */
  guint64 messages;
  guint64 dmarc_pass;    /**< policy_evaluated dkim or spf pass */
  guint64 dkim_pass;     /**< policy_evaluated dkim pass (aligned) */
  guint64 spf_pass;      /**< policy_evaluated spf pass (aligned) */
  GPtrArray *orgs;       /**< of BimiIngestTally: reporting organisations */
  GPtrArray *dkim;       /**< of BimiIngestTally: "d=example.com pass" */
  GPtrArray *spf;        /**< of BimiIngestTally: "example.com pass" */
  GPtrArray *reasons;    /**< of BimiIngestTally: policy override types */
  BimiIngestGroup group;
  char *why;             /**< the evidence for the group, one sentence */
  gboolean breaks_dkim;  /**< the domain's own DKIM signature fails from here (forwarder, list) */
} BimiIngestSource;

/** Messages of one UTC day (the middle of each report's date range). */
typedef struct {
  gint64 day;            /**< Unix seconds of 00:00 UTC */
  guint64 pass;
  guint64 fail;
} BimiIngestDay;

typedef struct {
  char *domain;
  char *policy;          /**< p of the newest report */
  guint reports;
  guint64 messages;
  guint64 dmarc_pass;
  guint64 disposition[4];  /**< none, pass, quarantine, reject */
  guint64 group_messages[3];  /**< failing messages per group (passing: all DMARC-passing messages) */
  GPtrArray *orgs;       /**< of BimiIngestTally */
  GPtrArray *days;       /**< of BimiIngestDay, ascending, every day from first to last */
  GPtrArray *sources;    /**< of BimiIngestSource, most messages first */
  char *verdict;         /**< "ready", "not-yet", "enforcing", "no-data" */
  char *recommendation;  /**< the sentence, e.g. "ready for p=reject: 99.8 % ..." */
} BimiIngestDomain;

typedef struct {
  gint64 from;           /**< the filter, -1 when open */
  gint64 to;
  guint reports;
  guint64 messages;
  GPtrArray *domains;    /**< of BimiIngestDomain, by name */
} BimiIngestSummary;

void bimi_ingest_summary_free(BimiIngestSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiIngestSummary, bimi_ingest_summary_free)

/**
 * bimi_ingest_summary_build:
 * @db: the database (ingest tables migrated)
 * @domain: (nullable): only this policy domain (case-insensitive)
 * @from: Unix seconds: only reports whose date range ends after it; -1: no bound
 * @to: Unix seconds: only reports whose date range begins before it; -1: no bound
 * @resolver: (nullable) (transfer none): PTR and FCrDNS of the sources through
 *   engine/rdns (the BIMI_INGEST_SUMMARY_MAX_RDNS largest per domain, engine/limits.h); NULL: none asked
 * @error: BIMI_REPORT_DB_ERROR_*
 *
 * Returns: (transfer full): the summary, or NULL with @error.
 */
BimiIngestSummary *bimi_ingest_summary_build(BimiReportDb *db, const char *domain, gint64 from, gint64 to,
                                             BimiDnsResolver *resolver, GError **error);

/** The summary as one JSON object (the `bimi report summary --json` output). */
void bimi_ingest_summary_build_json(const BimiIngestSummary *summary, BimiJsonWriter *writer);

/** The sources as CSV (RFC 4180, a header line, CRLF): one line per domain and source. (transfer full) */
char *bimi_ingest_summary_to_csv(const BimiIngestSummary *summary);

/** The summary as text for a terminal. (transfer full) */
char *bimi_ingest_summary_to_text(const BimiIngestSummary *summary);

/**
 * bimi_ingest_summary_to_html:
 * @summary: the summary
 * @generated: Unix seconds, printed as the page's date
 *
 * One self-contained HTML page (no external assets, no script): per domain the
 * recommendation, messages per day as an inline SVG stacked bar chart (DMARC
 * pass / fail) and the source table by group. Every reported string is escaped.
 *
 * Returns: (transfer full): the page.
 */
char *bimi_ingest_summary_to_html(const BimiIngestSummary *summary, gint64 generated);

G_END_DECLS

#endif /* BIMI_REPORT_INGEST_SUMMARY_H */
