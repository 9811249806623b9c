/* report/ingest-xml.h — DMARC aggregate report (rua) XML → BimiIngestReport (issue 16).
 *
 * Parses the <feedback> documents of RFC 7489 Appendix C (no namespace, or the
 * draft namespaces "http://dmarc.org/dmarc-xml/0.1"/"0.2") and RFC 9990 §3
 * (namespace "urn:ietf:params:xml:ns:dmarc-2.0": <version>, <generator>, <np>,
 * <testing>, <discovery_method>, the DKIM <selector>, <human_result>,
 * <extension>). The parser streams (libxml2 SAX, push mode): a report is fed in
 * chunks as the decompressor produces them and never held whole as a tree, so
 * memory is bounded by what is kept (BIMI_INGEST_MAX_RECORDS records of
 * BIMI_INGEST_MAX_FIELD_BYTES fields), not by the document.
 *
 * Hostile input: no network, no DTD (a DOCTYPE is refused before libxml2 reads
 * its internal subset's entities: XXE and billion laughs never expand), no
 * entity substitution; document size, depth, record count, field length and list
 * lengths bounded by the BIMI_INGEST_* constants of engine/limits.h.
 */
#ifndef BIMI_REPORT_INGEST_XML_H
#define BIMI_REPORT_INGEST_XML_H

#include <glib.h>

G_BEGIN_DECLS

#define BIMI_INGEST_ERROR (bimi_ingest_error_quark())
GQuark bimi_ingest_error_quark(void);

/** Why a report (or the payload carrying it) was refused. */
typedef enum {
  BIMI_INGEST_ERROR_NOT_XML,     /**< not well-formed XML (libxml2's message, with the line) */
  BIMI_INGEST_ERROR_DTD,         /**< a DOCTYPE, entity declaration or entity reference (XXE, billion laughs) */
  BIMI_INGEST_ERROR_LIMIT,       /**< a BIMI_INGEST_* limit: size, inflate ratio, records, depth, field length */
  BIMI_INGEST_ERROR_INVALID,     /**< well-formed but not a valid aggregate report (the element and the value) */
  BIMI_INGEST_ERROR_UNSUPPORTED, /**< not a report: neither XML, gzip nor zip; no report part in a message */
  BIMI_INGEST_ERROR_ARCHIVE,     /**< gzip or zip data that does not decompress (truncated, corrupt, encrypted) */
} BimiIngestError;

/**
 * bimi_ingest_check_size:
 * @what: what the input is, for the message ("message", "report payload")
 * @len: its size in bytes
 * @max: the limit in bytes (an engine/limits.h constant)
 * @max_name: the name of that constant, for the message
 * @error: BIMI_INGEST_ERROR_LIMIT "WHAT of LEN bytes is larger than MAX (MAX_NAME)" when @len > @max
 *
 * The size check an ingestion step makes before it reads an input.
 *
 * Returns: TRUE when @len is at most @max.
 */
gboolean bimi_ingest_check_size(const char *what, gsize len, guint max, const char *max_name, GError **error);

/** <reason> of <policy_evaluated> (RFC 9990 §3, PolicyOverrideType). */
typedef struct {
  char *type;     /**< forwarded, sampled_out, trusted_forwarder, mailing_list, local_policy, policy_test_mode, other */
  char *comment;  /**< or NULL */
} BimiIngestReason;

/** One DKIM or SPF entry of <auth_results>. */
typedef struct {
  char *domain;        /**< d= (DKIM) or the checked domain (SPF), lower case */
  char *selector;      /**< DKIM s=, or NULL (SPF, or absent) */
  char *scope;         /**< SPF: "mfrom" or "helo", or NULL when absent; DKIM: NULL */
  char *result;        /**< DKIM: none pass fail policy neutral temperror permerror;
                            SPF: none neutral pass fail softfail temperror permerror */
  char *human_result;  /**< or NULL */
} BimiIngestAuthResult;

/** An <extension> (name and definition attributes; its content is not kept). */
typedef struct {
  char *name;
  char *definition;  /**< or NULL */
} BimiIngestExtension;

/** One <record>: a row (source IP and count) with its identifiers and results. */
typedef struct {
  char *source_ip;      /**< normalised text form (g_inet_address_to_string) */
  guint64 count;        /**< messages this row stands for */
  char *disposition;    /**< none, pass (RFC 9990), quarantine, reject */
  char *dkim;           /**< policy_evaluated DKIM: pass or fail */
  char *spf;            /**< policy_evaluated SPF: pass or fail */
  GPtrArray *reasons;   /**< of BimiIngestReason */
  char *header_from;    /**< RFC5322.From domain, lower case */
  char *envelope_from;  /**< or NULL */
  char *envelope_to;    /**< or NULL */
  GPtrArray *dkim_results;  /**< of BimiIngestAuthResult, document order */
  GPtrArray *spf_results;   /**< of BimiIngestAuthResult */
  GPtrArray *extensions;    /**< of BimiIngestExtension */
} BimiIngestRecord;

/** A parsed aggregate report. Strings are UTF-8, trimmed; optional ones NULL when absent. */
typedef struct {
  char *xml_namespace;       /**< the <feedback> namespace, or NULL (RFC 7489 reports) */
  char *version;             /**< <version> text ("1.0"), or NULL */
  char *org_name;            /**< report_metadata (required) */
  char *email;
  char *extra_contact_info;
  char *report_id;           /**< required */
  char *generator;           /**< RFC 9990 */
  gint64 begin;              /**< date_range, Unix seconds (a trailing ".0" is accepted) */
  gint64 end;
  GPtrArray *errors;         /**< of char*: <error> texts */
  char *domain;              /**< policy_published (required), lower case */
  char *adkim;               /**< "r", "s" or NULL */
  char *aspf;
  char *p;                   /**< none, quarantine, reject (required) */
  char *sp;
  char *np;                  /**< RFC 9990 */
  gint pct;                  /**< RFC 7489 pct, -1 when absent */
  char *fo;
  char *testing;             /**< RFC 9990 "y"/"n", or NULL */
  char *discovery_method;    /**< RFC 9990 "psl"/"treewalk", or NULL */
  char *version_published;   /**< <version_published>, or NULL */
  GPtrArray *records;        /**< of BimiIngestRecord, document order */
  GPtrArray *extensions;     /**< of BimiIngestExtension (report level) */
  guint64 message_count;     /**< sum of the records' counts */
} BimiIngestReport;

void bimi_ingest_report_free(BimiIngestReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiIngestReport, bimi_ingest_report_free)

typedef struct BimiIngestXmlParser BimiIngestXmlParser;

/**
 * bimi_ingest_xml_parser_new:
 *
 * A push parser for one report document (libxml2 SAX2, XML_PARSE_NONET, no
 * entity substitution, no DTD loading).
 *
 * Returns: (transfer full): the parser; free with bimi_ingest_xml_parser_free().
 */
BimiIngestXmlParser *bimi_ingest_xml_parser_new(void);
void bimi_ingest_xml_parser_free(BimiIngestXmlParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiIngestXmlParser, bimi_ingest_xml_parser_free)

/**
 * bimi_ingest_xml_parser_feed:
 * @parser: the parser
 * @data: (array length=len): the next bytes of the document
 * @len: their length in bytes (any size: fed to libxml2 in 64 KiB pieces)
 * @error: BIMI_INGEST_ERROR_NOT_XML, _DTD, _LIMIT (BIMI_INGEST_MAX_XML_BYTES,
 *   _MAX_RECORDS, _MAX_XML_DEPTH, _MAX_FIELD_BYTES, _MAX_AUTH_RESULTS,
 *   _MAX_LIST_ITEMS), _INVALID; the message names the element, the record number
 *   and the line
 *
 * Parses the next piece. After a FALSE the parser refuses every further call.
 *
 * Returns: TRUE while the document is acceptable so far.
 */
gboolean bimi_ingest_xml_parser_feed(BimiIngestXmlParser *parser, const void *data, gsize len, GError **error);

/**
 * bimi_ingest_xml_parser_finish:
 * @parser: the parser (fed the whole document)
 * @error: as bimi_ingest_xml_parser_feed(), and BIMI_INGEST_ERROR_NOT_XML for a
 *   truncated document, _INVALID for a missing required element
 *
 * Returns: (transfer full): the report, or NULL with @error.
 */
BimiIngestReport *bimi_ingest_xml_parser_finish(BimiIngestXmlParser *parser, GError **error);

/**
 * bimi_ingest_xml_parse:
 * @data: (array length=len): a whole report document
 * @len: its length in bytes (at most BIMI_INGEST_MAX_XML_BYTES)
 * @error: as bimi_ingest_xml_parser_finish()
 *
 * new + feed + finish.
 *
 * Returns: (transfer full): the report, or NULL with @error.
 */
BimiIngestReport *bimi_ingest_xml_parse(const void *data, gsize len, GError **error);

G_END_DECLS

#endif /* BIMI_REPORT_INGEST_XML_H */
