/* tests/test-report-ingest.c — DMARC aggregate report ingest (issue 16): the XML
 * parser (report/ingest-xml), bounded decompression (report/ingest-payload), the
 * report parts of a message (report/ingest-mime) and the mailbox reader
 * (report/mail-source). The upstream samples: every report of
 * dmarc-aggregate-reports/ parses (the deliberately malformed one is refused),
 * and Stalwart's samples match their JSON field by field. Every BIMI_INGEST_* and
 * BIMI_MAILBOX_* limit is hit here. */
#include <string.h>
#include <sys/resource.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "engine/dns.h"
#include "engine/limits.h"
#include "report/ingest-store.h"
#include "report/ingest-summary.h"
#include "report/ingest-mime.h"
#include "report/ingest-payload.h"
#include "report/ingest-xml.h"
#include "report/mail-source.h"
#include "tests/lib/data.h"
#include "tests/lib/outcome.h"

static const char *
upstream(void)
{
  const char *dir = g_getenv("BIMI_UPSTREAM_DIR");
  return dir != NULL ? dir : "../shared/upstream";
}

static GBytes *
read_bytes(const char *path)
{
  char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &data, &len, &error))
    g_error("%s", error->message);
  return g_bytes_new_take(data, len);
}

static BimiIngestReport *
parse_text(const char *xml, GError **error)
{
  return bimi_ingest_xml_parse(xml, strlen(xml), error);
}

/* A minimal valid report around @records (the <record> elements). */
static char *
report_with(const char *metadata_extra, const char *records)
{
  return g_strdup_printf("<?xml version=\"1.0\"?>\n<feedback>\n"
                         "<report_metadata><org_name>Example Org</org_name><email>r@example.org</email>"
                         "<report_id>id-1</report_id><date_range><begin>1000</begin><end>2000</end></date_range>%s"
                         "</report_metadata>\n"
                         "<policy_published><domain>Example.COM</domain><p>reject</p></policy_published>\n%s"
                         "</feedback>\n", metadata_extra, records);
}

#define RECORD(ip, count) \
  "<record><row><source_ip>" ip "</source_ip><count>" count "</count><policy_evaluated>" \
  "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>" \
  "<identifiers><header_from>example.com</header_from></identifiers>" \
  "<auth_results><dkim><domain>example.com</domain><result>pass</result></dkim>" \
  "<spf><domain>example.com</domain><result>fail</result></spf></auth_results></record>\n"

/* ---- the parser ------------------------------------------------------------ */

static void
test_minimal(void)
{
  g_autofree char *xml = report_with("", RECORD("192.0.2.1", "3") RECORD("2001:DB8::1", "4"));
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiIngestReport) r = parse_text(xml, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(r->org_name, ==, "Example Org");
  g_assert_cmpstr(r->report_id, ==, "id-1");
  g_assert_cmpint(r->begin, ==, 1000);
  g_assert_cmpint(r->end, ==, 2000);
  g_assert_cmpstr(r->domain, ==, "example.com");
  g_assert_cmpstr(r->p, ==, "reject");
  g_assert_null(r->sp);
  g_assert_cmpint(r->pct, ==, -1);
  g_assert_cmpuint(r->records->len, ==, 2);
  g_assert_cmpuint(r->message_count, ==, 7);
  BimiIngestRecord *rec = g_ptr_array_index(r->records, 1);
  g_assert_cmpstr(rec->source_ip, ==, "2001:db8::1");
  g_assert_cmpuint(rec->count, ==, 4);
  g_assert_cmpstr(rec->dkim, ==, "pass");
  g_assert_cmpstr(rec->spf, ==, "fail");
  g_assert_cmpuint(rec->dkim_results->len, ==, 1);
}

static void
assert_refused(const char *xml, BimiIngestError code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiIngestReport) r = parse_text(xml, &error);
  bimi_test_expect_refused(r, error, BIMI_INGEST_ERROR, (gint) code, needle);
}

static void
test_invalid(void)
{
  g_autofree char *no_ip = report_with("", "<record><row><count>1</count><policy_evaluated><disposition>none"
                                       "</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>"
                                       "<identifiers><header_from>a.example</header_from></identifiers></record>");
  assert_refused(no_ip, BIMI_INGEST_ERROR_INVALID, "record 1: <row><source_ip> is missing");
  g_autofree char *bad_ip = report_with("", RECORD("192.0.2.300", "1"));
  assert_refused(bad_ip, BIMI_INGEST_ERROR_INVALID, "not an IPv4 or IPv6 address");
  g_autofree char *bad_count = report_with("", RECORD("192.0.2.1", "-1"));
  assert_refused(bad_count, BIMI_INGEST_ERROR_INVALID, "<count> \"-1\" is not a non-negative integer");
  g_autofree char *big_count = report_with("", RECORD("192.0.2.1", "99999999999999999999"));
  assert_refused(big_count, BIMI_INGEST_ERROR_INVALID, "is larger than");
  /* BIMI_INGEST_MAX_RECORD_COUNT: the limit itself is taken, one more is refused. */
  g_autofree char *max_count = report_with("", RECORD("192.0.2.1", "4294967295"));
  g_autoptr(GError) max_error = NULL;
  g_autoptr(BimiIngestReport) max_report = parse_text(max_count, &max_error);
  g_assert_no_error(max_error);
  g_assert_cmpuint(max_report->message_count, ==, BIMI_INGEST_MAX_RECORD_COUNT);
  g_autofree char *over_count = report_with("", RECORD("192.0.2.1", "4294967296"));
  assert_refused(over_count, BIMI_INGEST_ERROR_INVALID, "<count> 4294967296 is larger than 4294967295");
  g_autofree char *twice = report_with("<report_id>id-2</report_id>", "");
  assert_refused(twice, BIMI_INGEST_ERROR_INVALID, "<report_id> given twice");
  assert_refused("<feedback><report_metadata><org_name>x</org_name></report_metadata></feedback>",
                 BIMI_INGEST_ERROR_INVALID, "<report_metadata><report_id> is missing");
  assert_refused("<html/>", BIMI_INGEST_ERROR_INVALID, "the root element is <html>, not <feedback>");
  g_autofree char *truncated = report_with("", RECORD("192.0.2.1", "1"));
  truncated[strlen(truncated) - 40] = '\0';
  assert_refused(truncated, BIMI_INGEST_ERROR_NOT_XML, NULL);
  g_autofree char *bad_enum = report_with("", "<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
                                          "<policy_evaluated><disposition>maybe</disposition><dkim>pass</dkim>"
                                          "<spf>pass</spf></policy_evaluated></row><identifiers><header_from>a"
                                          "</header_from></identifiers></record>");
  assert_refused(bad_enum, BIMI_INGEST_ERROR_INVALID, "<disposition> is \"maybe\", not one of none, pass, quarantine, reject");
  g_autofree char *backwards = report_with("", "");
  char *pos = strstr(backwards, "<begin>1000");
  memcpy(pos + 7, "3000", 4);
  assert_refused(backwards, BIMI_INGEST_ERROR_INVALID, "ends (2000) before it begins (3000)");
}

static void
test_lenient(void)
{
  /* Fractional timestamps (163.com), RFC 7489 SPF "unknown", unknown elements,
   * another namespace, extensions, upper-case enumerations. */
  g_autofree char *xml = g_strdup_printf(
      "<feedback xmlns:x=\"urn:x\"><x:foo><bar/></x:foo><unknown>text<deep/></unknown>"
      "<report_metadata><org_name>o</org_name><report_id>r</report_id>"
      "<date_range><begin>1337270400.0</begin><end>1337356799.00</end></date_range></report_metadata>"
      "<policy_published><domain>d.example</domain><p>NONE</p><pct>50</pct></policy_published>"
      "<record><row><source_ip>192.0.2.9</source_ip><count>2</count><policy_evaluated>"
      "<disposition>none</disposition><dkim>FAIL</dkim><spf>fail</spf><reason><type>mailing_list</type>"
      "<comment>list &amp; co</comment></reason></policy_evaluated></row>"
      "<identifiers><header_from>d.example</header_from></identifiers><auth_results>"
      "<spf><domain>d.example</domain><scope>mfrom</scope><result>unknown</result></spf></auth_results>"
      "<extensions><extension name=\"e1\" definition=\"https://e.example/1\"><data>x</data></extension>"
      "</extensions></record><extensions><extension name=\"top\"/></extensions></feedback>");
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiIngestReport) r = parse_text(xml, &error);
  g_assert_no_error(error);
  g_assert_cmpint(r->begin, ==, 1337270400);
  g_assert_cmpint(r->end, ==, 1337356799);
  g_assert_cmpstr(r->p, ==, "none");
  g_assert_cmpint(r->pct, ==, 50);
  BimiIngestRecord *rec = g_ptr_array_index(r->records, 0);
  g_assert_cmpstr(rec->dkim, ==, "fail");
  BimiIngestReason *reason = g_ptr_array_index(rec->reasons, 0);
  g_assert_cmpstr(reason->type, ==, "mailing_list");
  g_assert_cmpstr(reason->comment, ==, "list & co");
  BimiIngestAuthResult *spf = g_ptr_array_index(rec->spf_results, 0);
  g_assert_cmpstr(spf->result, ==, "permerror");
  g_assert_cmpstr(spf->scope, ==, "mfrom");
  BimiIngestExtension *e = g_ptr_array_index(rec->extensions, 0);
  g_assert_cmpstr(e->name, ==, "e1");
  g_assert_cmpstr(e->definition, ==, "https://e.example/1");
  e = g_ptr_array_index(r->extensions, 0);
  g_assert_cmpstr(e->name, ==, "top");
  g_assert_null(e->definition);
}

/* The hostile documents of engine/svg's fixtures (XXE, billion laughs, parameter
 * entities) in a report: refused at the DOCTYPE, nothing expanded or fetched. */
static void
test_dtd_refused(void)
{
  const char *files[] = { "invalid-doctype-xxe.svg", "invalid-doctype-billion-laughs.svg",
                          "invalid-parameter-entity.svg" };
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *path = g_build_filename("fixtures/svg", files[i], NULL);
    g_autoptr(GBytes) svg = read_bytes(path);
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiIngestReport) r = bimi_ingest_xml_parse(g_bytes_get_data(svg, NULL), g_bytes_get_size(svg), &error);
    bimi_test_expect_refused(r, error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_DTD, "DOCTYPE refused");
  }
  /* The same in a report: XXE reading /etc/passwd into org_name. */
  assert_refused("<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                 "<feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>",
                 BIMI_INGEST_ERROR_DTD, "line 2: DOCTYPE refused");
  /* An entity reference without a DOCTYPE is not well-formed. */
  assert_refused("<feedback><report_metadata><org_name>&lol;</org_name></report_metadata></feedback>",
                 BIMI_INGEST_ERROR_NOT_XML, NULL);
}

static void
test_limit_field(void)
{
  g_autofree char *long_id = g_strnfill(BIMI_INGEST_MAX_FIELD_BYTES + 1, 'a');
  g_autofree char *meta = g_strdup_printf("<generator>%s</generator>", long_id);
  g_autofree char *xml = report_with(meta, "");
  assert_refused(xml, BIMI_INGEST_ERROR_LIMIT, "longer than 1024 bytes");
  /* Exactly at the limit: accepted. */
  long_id[BIMI_INGEST_MAX_FIELD_BYTES] = '\0';
  g_autofree char *meta_ok = g_strdup_printf("<generator>%s</generator>", long_id);
  g_autofree char *ok = report_with(meta_ok, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiIngestReport) r = parse_text(ok, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(strlen(r->generator), ==, BIMI_INGEST_MAX_FIELD_BYTES);
}

static void
test_limit_depth(void)
{
  g_autofree char *s = bimi_test_nested("<feedback><extensions>", "<a>", BIMI_INGEST_MAX_XML_DEPTH, "", "</a>",
                                        "</extensions></feedback>");
  assert_refused(s, BIMI_INGEST_ERROR_LIMIT, "nested deeper than 24");
}

static void
test_limit_lists(void)
{
  g_autoptr(GString) auth = g_string_new(NULL);
  for (guint i = 0; i <= BIMI_INGEST_MAX_AUTH_RESULTS; i++)
    g_string_append(auth, "<dkim><domain>x.example</domain><result>pass</result></dkim>");
  g_autofree char *rec = g_strdup_printf("<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
                                         "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim>"
                                         "<spf>pass</spf></policy_evaluated></row><identifiers><header_from>x"
                                         "</header_from></identifiers><auth_results>%s</auth_results></record>",
                                         auth->str);
  g_autofree char *xml = report_with("", rec);
  assert_refused(xml, BIMI_INGEST_ERROR_LIMIT, "more than 32 <auth_results><dkim> entries");

  g_autoptr(GString) errors = g_string_new(NULL);
  for (guint i = 0; i <= BIMI_INGEST_MAX_LIST_ITEMS; i++)
    g_string_append(errors, "<error>e</error>");
  g_autofree char *xml2 = report_with(errors->str, "");
  assert_refused(xml2, BIMI_INGEST_ERROR_LIMIT, "more than 32 <error> elements");
}

static gsize
max_rss_kib(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (gsize) ru.ru_maxrss;
}

/* A 10 M-row report, generated as it is fed: refused at BIMI_INGEST_MAX_RECORDS,
 * long before its end, in bounded memory. */
static void
test_limit_records(void)
{
  gsize rss_before = max_rss_kib();
  g_autoptr(BimiIngestXmlParser) p = bimi_ingest_xml_parser_new();
  g_autofree char *head = report_with("", "");
  *strstr(head, "</feedback>") = '\0';
  g_autoptr(GError) error = NULL;
  g_assert_true(bimi_ingest_xml_parser_feed(p, head, strlen(head), &error));
  g_autoptr(GString) chunk = g_string_new(NULL);
  guint64 rows = 0;
  gboolean ok = TRUE;
  while (ok && rows < 10000000) {
    g_string_truncate(chunk, 0);
    for (guint i = 0; i < 1000; i++, rows++)
      g_string_append_printf(chunk, "<record><row><source_ip>10.%u.%u.%u</source_ip><count>1</count>"
                             "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf>"
                             "</policy_evaluated></row><identifiers><header_from>example.com</header_from>"
                             "</identifiers></record>\n",
                             (guint) (rows >> 16) & 255, (guint) (rows >> 8) & 255, (guint) rows & 255);
    ok = bimi_ingest_xml_parser_feed(p, chunk->str, chunk->len, &error);
  }
  g_assert_false(ok);
  g_assert_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT);
  g_assert_nonnull(strstr(error->message, "more than 100000 <record> elements"));
  g_assert_cmpuint(rows, <=, BIMI_INGEST_MAX_RECORDS + 1000);
  gsize rss_after = max_rss_kib();
  g_test_message("10 M-row report: refused after %" G_GUINT64_FORMAT " rows; peak RSS %zu KiB -> %zu KiB", rows,
                 rss_before, rss_after);
  /* Bounded: the records kept, not the document (which would be > 2 GB). */
  g_assert_cmpuint(rss_after - MIN(rss_before, rss_after), <, 512 * 1024);
}

/* BIMI_INGEST_MAX_XML_BYTES: skipped elements count too. */
static void
test_limit_xml_bytes(void)
{
  g_autoptr(BimiIngestXmlParser) p = bimi_ingest_xml_parser_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(bimi_ingest_xml_parser_feed(p, "<feedback>", 10, &error));
  g_autofree char *filler = g_malloc(1024 * 1024);
  for (gsize i = 0; i + 5 <= 1024 * 1024; i += 5)
    memcpy(filler + i, "<x/>\n", 5);
  memset(filler + (1024 * 1024 / 5) * 5, ' ', 1024 * 1024 - (1024 * 1024 / 5) * 5);
  gsize fed = 10;
  gboolean ok = TRUE;
  while (ok && fed < 2u * BIMI_INGEST_MAX_XML_BYTES) {
    ok = bimi_ingest_xml_parser_feed(p, filler, 1024 * 1024, &error);
    fed += 1024 * 1024;
  }
  g_assert_false(ok);
  g_assert_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT);
  g_assert_nonnull(strstr(error->message, "larger than 67108864 bytes"));
  g_assert_cmpuint(fed, <=, BIMI_INGEST_MAX_XML_BYTES + 1024 * 1024 + 10);
}

/* ---- upstream samples -------------------------------------------------------- */

static void
test_upstream_samples(void)
{
  const char *files[] = {
    "opendmarc/163.com!example.com!1337270400!1337356799.20120518163.xml",
    "opendmarc/yeah.net!example.com!1337270400!1337356799.20120518.xml",
    "ietf-rfc9990/dmarc-xml-0.2.xml",
    "ietf-rfc9990/dmarc-xmlalt-0.2.xml",
  };
  const guint records[] = { 50, 254, 1, 1 };
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *path = g_build_filename(upstream(), "dmarc-aggregate-reports", files[i], NULL);
    g_autoptr(GBytes) data = read_bytes(path);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) reports = bimi_ingest_payload_parse(data, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(reports->len, ==, 1);
    BimiIngestReport *r = g_ptr_array_index(reports, 0);
    g_assert_cmpuint(r->records->len, ==, records[i]);
    guint64 sum = 0;
    for (guint j = 0; j < r->records->len; j++)
      sum += ((BimiIngestRecord *) g_ptr_array_index(r->records, j))->count;
    g_assert_cmpuint(r->message_count, ==, sum);
  }
  /* OpenDMARC's deliberately malformed AOL report (a stray "<foo"). */
  g_autofree char *bad = g_build_filename(upstream(), "dmarc-aggregate-reports/opendmarc",
                                          "bad.com!example.com!1337140800!1337227200.xml", NULL);
  g_autoptr(GBytes) data = read_bytes(bad);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) reports = bimi_ingest_payload_parse(data, &error);
  g_assert_null(reports);
  /* Its first record already has an empty <disposition> (line 4), before the stray "<foo". */
  g_assert_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_INVALID);
  g_assert_cmpstr(error->message, ==, "line 4, record 1: <disposition> is \"\", not one of none, pass, quarantine, reject");
}

/* Stalwart's serde names of the enumerations. */
static const char *
camel(const char *value)
{
  static const char *const map[][2] = {
    { "r", "Relaxed" }, { "s", "Strict" }, { "none", "None" }, { "quarantine", "Quarantine" },
    { "reject", "Reject" }, { "pass", "Pass" }, { "fail", "Fail" }, { "psl", "Psl" },
    { "treewalk", "Treewalk" }, { "mfrom", "MailFrom" }, { "helo", "Helo" }, { "softfail", "SoftFail" },
    { "neutral", "Neutral" }, { "temperror", "TempError" }, { "permerror", "PermError" }, { "policy", "Policy" },
    { "forwarded", "Forwarded" }, { "trusted_forwarder", "TrustedForwarder" }, { "mailing_list", "MailingList" },
    { "local_policy", "LocalPolicy" }, { "policy_test_mode", "PolicyTestMode" }, { "other", "Other" },
    /* Stalwart folds RFC 7489's sampled_out into Other (its RFC 9990 enum has no such value). */
    { "sampled_out", "Other" },
  };
  if (value == NULL)
    return "Unspecified";
  for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
    if (strcmp(map[i][0], value) == 0)
      return map[i][1];
  }
  g_error("no Stalwart name for %s", value);
}

/* JSON string or null against ours; @absent is what Stalwart writes for "not given". */
static void
check_str(JsonObject *o, const char *member, const char *ours, const char *absent, const char *where)
{
  if (!json_object_has_member(o, member)) {
    g_assert_true(ours == NULL);
    return;
  }
  JsonNode *n = json_object_get_member(o, member);
  const char *theirs = JSON_NODE_HOLDS_NULL(n) ? NULL : json_node_get_string(n);
  const char *mine = ours != NULL ? ours : absent;
  if (g_strcmp0(theirs, mine) != 0)
    g_error("%s.%s: Stalwart %s, ours %s", where, member, theirs ? theirs : "null", mine ? mine : "null");
}

static void
check_int(JsonObject *o, const char *member, gint64 ours, const char *where)
{
  gint64 theirs = json_object_get_int_member(o, member);
  if (theirs != ours)
    g_error("%s.%s: Stalwart %" G_GINT64_FORMAT ", ours %" G_GINT64_FORMAT, where, member, theirs, ours);
}

static void
check_extensions(JsonArray *a, GPtrArray *ours, const char *where)
{
  g_assert_cmpuint(json_array_get_length(a), ==, ours->len);
  for (guint i = 0; i < ours->len; i++) {
    BimiIngestExtension *e = g_ptr_array_index(ours, i);
    JsonObject *o = json_array_get_object_element(a, i);
    check_str(o, "name", e->name, NULL, where);
    check_str(o, "definition", e->definition, NULL, where);
  }
}

static void
compare_with_stalwart(const BimiIngestReport *r, const char *json_path)
{
  g_autoptr(JsonParser) jp = json_parser_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(json_parser_load_from_file(jp, json_path, &error));
  JsonObject *root = json_node_get_object(json_parser_get_root(jp));
  double version = json_object_get_double_member(root, "version");
  double ours = r->version != NULL ? g_ascii_strtod(r->version, NULL) : 0.0;
  g_assert_cmpfloat_with_epsilon(version, ours, 1e-9);

  JsonObject *meta = json_object_get_object_member(root, "report_metadata");
  check_str(meta, "org_name", r->org_name, NULL, "report_metadata");
  check_str(meta, "email", r->email, NULL, "report_metadata");
  check_str(meta, "extra_contact_info", r->extra_contact_info, NULL, "report_metadata");
  check_str(meta, "report_id", r->report_id, NULL, "report_metadata");
  check_str(meta, "generator", r->generator, NULL, "report_metadata");
  JsonObject *range = json_object_get_object_member(meta, "date_range");
  check_int(range, "begin", r->begin, "date_range");
  check_int(range, "end", r->end, "date_range");
  JsonArray *errors = json_object_get_array_member(meta, "error");
  g_assert_cmpuint(json_array_get_length(errors), ==, r->errors->len);

  JsonObject *pp = json_object_get_object_member(root, "policy_published");
  check_str(pp, "domain", r->domain, NULL, "policy_published");
  check_str(pp, "version_published", r->version_published, NULL, "policy_published");
  check_str(pp, "adkim", camel(r->adkim), NULL, "policy_published");
  check_str(pp, "aspf", camel(r->aspf), NULL, "policy_published");
  check_str(pp, "p", camel(r->p), NULL, "policy_published");
  check_str(pp, "sp", camel(r->sp), NULL, "policy_published");
  if (json_object_has_member(pp, "np"))
    check_str(pp, "np", camel(r->np), NULL, "policy_published");
  if (json_object_has_member(pp, "discovery_method"))
    check_str(pp, "discovery_method", camel(r->discovery_method), NULL, "policy_published");
  g_assert_cmpint(json_object_get_boolean_member(pp, "testing"), ==, g_strcmp0(r->testing, "y") == 0);
  check_str(pp, "fo", r->fo, NULL, "policy_published");

  JsonArray *records = json_object_get_array_member(root, "record");
  g_assert_cmpuint(json_array_get_length(records), ==, r->records->len);
  for (guint i = 0; i < r->records->len; i++) {
    BimiIngestRecord *rec = g_ptr_array_index(r->records, i);
    g_autofree char *where = g_strdup_printf("%s record %u", json_path, i);
    JsonObject *jr = json_array_get_object_element(records, i);
    JsonObject *row = json_object_get_object_member(jr, "row");
    check_str(row, "source_ip", rec->source_ip, NULL, where);
    check_int(row, "count", (gint64) rec->count, where);
    JsonObject *pe = json_object_get_object_member(row, "policy_evaluated");
    check_str(pe, "disposition", camel(rec->disposition), NULL, where);
    check_str(pe, "dkim", camel(rec->dkim), NULL, where);
    check_str(pe, "spf", camel(rec->spf), NULL, where);
    JsonArray *reasons = json_object_get_array_member(pe, "reason");
    g_assert_cmpuint(json_array_get_length(reasons), ==, rec->reasons->len);
    for (guint j = 0; j < rec->reasons->len; j++) {
      BimiIngestReason *reason = g_ptr_array_index(rec->reasons, j);
      JsonObject *jo = json_array_get_object_element(reasons, j);
      check_str(jo, "type_", camel(reason->type), NULL, where);
      check_str(jo, "comment", reason->comment, NULL, where);
    }
    JsonObject *ids = json_object_get_object_member(jr, "identifiers");
    check_str(ids, "envelope_to", rec->envelope_to, NULL, where);
    check_str(ids, "envelope_from", rec->envelope_from, "", where);
    check_str(ids, "header_from", rec->header_from, NULL, where);
    JsonObject *auth = json_object_get_object_member(jr, "auth_results");
    JsonArray *dkim = json_object_get_array_member(auth, "dkim");
    g_assert_cmpuint(json_array_get_length(dkim), ==, rec->dkim_results->len);
    for (guint j = 0; j < rec->dkim_results->len; j++) {
      BimiIngestAuthResult *a = g_ptr_array_index(rec->dkim_results, j);
      JsonObject *jo = json_array_get_object_element(dkim, j);
      check_str(jo, "domain", a->domain, NULL, where);
      check_str(jo, "selector", a->selector, "", where);
      check_str(jo, "result", camel(a->result), NULL, where);
      check_str(jo, "human_result", a->human_result, NULL, where);
    }
    JsonArray *spf = json_object_get_array_member(auth, "spf");
    g_assert_cmpuint(json_array_get_length(spf), ==, rec->spf_results->len);
    for (guint j = 0; j < rec->spf_results->len; j++) {
      BimiIngestAuthResult *a = g_ptr_array_index(rec->spf_results, j);
      JsonObject *jo = json_array_get_object_element(spf, j);
      check_str(jo, "domain", a->domain, NULL, where);
      check_str(jo, "scope", camel(a->scope), NULL, where);
      check_str(jo, "result", camel(a->result), NULL, where);
      check_str(jo, "human_result", a->human_result, NULL, where);
    }
    check_extensions(json_object_get_array_member(jr, "extensions"), rec->extensions, where);
  }
  check_extensions(json_object_get_array_member(root, "extensions"), r->extensions, json_path);
}

static void
test_stalwart(void)
{
  g_autofree char *dir = g_build_filename(upstream(), "stalwart-mail-auth/dmarc-feedback", NULL);
  const char *names[] = { "001", "002", "003", "004", "005", "100", "101", "102", "103", "104" };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    gboolean eml = names[i][0] == '1';
    g_autofree char *file = g_strdup_printf("%s/%s.%s", dir, names[i], eml ? "eml" : "xml");
    g_autofree char *json = g_strdup_printf("%s/%s.json", dir, names[i]);
    g_autoptr(GBytes) data = read_bytes(file);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) payload = NULL;
    if (eml) {
      g_autoptr(GPtrArray) parts = bimi_ingest_mime_parts(data, &error);
      g_assert_no_error(error);
      g_assert_cmpuint(parts->len, ==, 1);
      payload = g_bytes_ref(((BimiIngestPart *) g_ptr_array_index(parts, 0))->data);
    } else {
      payload = g_bytes_ref(data);
    }
    g_autoptr(GPtrArray) reports = bimi_ingest_payload_parse(payload, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(reports->len, ==, 1);
    compare_with_stalwart(g_ptr_array_index(reports, 0), json);
    g_test_message("%s: %u records match", names[i], ((BimiIngestReport *) g_ptr_array_index(reports, 0))->records->len);
  }
}

/* ---- payloads ------------------------------------------------------------------ */

typedef struct {
  GByteArray *out;
} Sink;

static la_ssize_t
sink_write(struct archive *a, void *data, const void *buf, size_t len)
{
  Sink *s = data;
  g_byte_array_append(s->out, buf, (guint) len);
  return (la_ssize_t) len;
}

/* A gzip or zip payload made with libarchive: @entries pairs of name and content
 * (NULL content: "<feedback>" then white space, @filler_bytes in all). */
static GBytes *
make_archive(gboolean zip, const char *const *entries, gsize n_entries, gsize filler_bytes)
{
  Sink sink = { g_byte_array_new() };
  struct archive *a = archive_write_new();
  if (zip) {
    archive_write_set_format_zip(a);
  } else {
    archive_write_add_filter_gzip(a);
    archive_write_set_format_raw(a);
  }
  archive_write_set_bytes_in_last_block(a, 1);
  g_assert_cmpint(archive_write_open(a, &sink, NULL, sink_write, NULL), ==, ARCHIVE_OK);
  for (gsize i = 0; i < n_entries; i++) {
    const char *content = entries[2 * i + 1];
    gsize len = content != NULL ? strlen(content) : filler_bytes;
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, entries[2 * i]);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t) len);
    g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
    if (content != NULL) {
      archive_write_data(a, content, len);
    } else {
      /* A document that opens well and goes on in white space. */
      g_autofree char *spaces = g_malloc(1024 * 1024);
      memset(spaces, ' ', 1024 * 1024);
      memcpy(spaces, "<feedback>", 10);
      for (gsize done = 0; done < len; done += 1024 * 1024) {
        archive_write_data(a, spaces, MIN(1024 * 1024, len - done));
        memset(spaces, ' ', 10);
      }
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return g_byte_array_free_to_bytes(sink.out);
}

static void
test_payload_gzip_zip(void)
{
  g_autofree char *xml = report_with("", RECORD("192.0.2.1", "5"));
  g_autofree char *xml2 = report_with("", RECORD("192.0.2.2", "6"));
  const char *gz_entries[] = { "data", xml };
  g_autoptr(GBytes) gz = make_archive(FALSE, gz_entries, 1, 0);
  g_autoptr(GError) error = NULL;
  g_assert_cmpint(bimi_ingest_payload_kind(g_bytes_get_data(gz, NULL), g_bytes_get_size(gz)), ==,
                  BIMI_INGEST_PAYLOAD_GZIP);
  g_autoptr(GPtrArray) r1 = bimi_ingest_payload_parse(gz, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(((BimiIngestReport *) g_ptr_array_index(r1, 0))->message_count, ==, 5);

  const char *zip_entries[] = { "a.xml", xml, "README.txt", "not a report", "b.XML", xml2 };
  g_autoptr(GBytes) zip = make_archive(TRUE, zip_entries, 3, 0);
  g_autoptr(GPtrArray) r2 = bimi_ingest_payload_parse(zip, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(r2->len, ==, 2);
  g_assert_cmpuint(((BimiIngestReport *) g_ptr_array_index(r2, 1))->message_count, ==, 6);

  /* Truncated gzip and zip. */
  g_autoptr(GBytes) gz_cut = g_bytes_new_from_bytes(gz, 0, g_bytes_get_size(gz) / 2);
  g_autoptr(GPtrArray) r3 = bimi_ingest_payload_parse(gz_cut, &error);
  g_assert_null(r3);
  g_assert_true(g_error_matches(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_ARCHIVE) ||
                g_error_matches(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_NOT_XML));
  g_test_message("truncated gzip: %s", error->message);
  g_clear_error(&error);
  g_autoptr(GBytes) zip_cut = g_bytes_new_from_bytes(zip, 0, 60);
  g_autoptr(GPtrArray) r4 = bimi_ingest_payload_parse(zip_cut, &error);
  g_assert_null(r4);
  g_test_message("truncated zip: %s", error->message);
  g_clear_error(&error);

  /* A zip without a report; not a report at all. */
  const char *no_xml[] = { "README.txt", "hello" };
  g_autoptr(GBytes) zip_none = make_archive(TRUE, no_xml, 1, 0);
  g_autoptr(GPtrArray) r5 = bimi_ingest_payload_parse(zip_none, &error);
  g_assert_null(r5);
  g_assert_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_UNSUPPORTED);
  g_clear_error(&error);
  g_autoptr(GBytes) text = g_bytes_new_static("hello", 5);
  g_autoptr(GPtrArray) r6 = bimi_ingest_payload_parse(text, &error);
  bimi_test_expect_refused(r6, error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_UNSUPPORTED, "neither XML, gzip nor zip");
}

/* A zip bomb (256 MiB of white space in about 256 KiB) and a gzip bomb: refused on the
 * ratio after a bounded amount of inflation. */
static void
test_payload_bomb(void)
{
  const char *bomb[] = { "report.xml", NULL };
  for (int zip = 0; zip <= 1; zip++) {
    gsize rss_before = max_rss_kib();
    g_autoptr(GBytes) b = make_archive(zip, bomb, 1, 256u * 1024u * 1024u);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) r = bimi_ingest_payload_parse(b, &error);
    bimi_test_expect_refused(r, error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT, "decompression bomb");
    g_test_message("%s bomb of %zu bytes: %s (peak RSS %zu -> %zu KiB)", zip ? "zip" : "gzip",
                   g_bytes_get_size(b), error->message, rss_before, max_rss_kib());
  }
}

/* The zip entry count limit. */
static void
test_payload_entries(void)
{
  const char *entries[2 * (BIMI_INGEST_MAX_ARCHIVE_ENTRIES + 1)];
  char names[BIMI_INGEST_MAX_ARCHIVE_ENTRIES + 1][16];
  for (guint i = 0; i <= BIMI_INGEST_MAX_ARCHIVE_ENTRIES; i++) {
    g_snprintf(names[i], sizeof names[i], "n%u.txt", i);
    entries[2 * i] = names[i];
    entries[2 * i + 1] = "x";
  }
  g_autoptr(GBytes) zip = make_archive(TRUE, entries, BIMI_INGEST_MAX_ARCHIVE_ENTRIES + 1, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = bimi_ingest_payload_parse(zip, &error);
  bimi_test_expect_refused(r, error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT, "more than 16 entries");
}

static void
test_payload_size(void)
{
  gsize len = BIMI_INGEST_MAX_PAYLOAD_BYTES + 1;
  g_autoptr(GBytes) big = g_bytes_new_take(g_malloc0(len), len);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = bimi_ingest_payload_parse(big, &error);
  bimi_test_expect_refused(r, error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT, "BIMI_INGEST_MAX_PAYLOAD_BYTES");
}

/* ---- MIME ---------------------------------------------------------------------- */

static void
test_mime(void)
{
  g_autofree char *xml = report_with("", RECORD("192.0.2.1", "5"));
  /* Inline text/xml body, quoted-printable. */
  g_autofree char *inline_msg = g_strdup_printf("From: r@example.org\nTo: d@example.com\nSubject: Report\n"
                                                "MIME-Version: 1.0\nContent-Type: text/xml\n"
                                                "Content-Transfer-Encoding: 7bit\n\n%s", xml);
  g_autoptr(GBytes) m1 = g_bytes_new(inline_msg, strlen(inline_msg));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) p1 = bimi_ingest_mime_parts(m1, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(p1->len, ==, 1);
  g_assert_cmpstr(((BimiIngestPart *) g_ptr_array_index(p1, 0))->media_type, ==, "text/xml");

  /* A forwarded report: message/rfc822 holding a multipart with a base64 gzip. */
  const char *gz_entries[] = { "data", xml };
  g_autoptr(GBytes) gz = make_archive(FALSE, gz_entries, 1, 0);
  g_autofree char *b64 = g_base64_encode(g_bytes_get_data(gz, NULL), g_bytes_get_size(gz));
  g_autofree char *fwd = g_strdup_printf(
      "From: me@example.com\nSubject: Fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"outer\"\n\n"
      "--outer\nContent-Type: text/plain\n\nsee attached\n--outer\nContent-Type: message/rfc822\n\n"
      "From: r@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"inner\"\n\n"
      "--inner\nContent-Type: text/plain\n\nreport\n--inner\nContent-Type: application/octet-stream\n"
      "Content-Disposition: attachment;\n filename*=UTF-8''example.org%%21example.com%%211000%%212000.xml.gz\n"
      "Content-Transfer-Encoding: base64\n\n%s\n--inner--\n\n--outer--\n", b64);
  g_autoptr(GBytes) m2 = g_bytes_new(fwd, strlen(fwd));
  g_autoptr(GPtrArray) p2 = bimi_ingest_mime_parts(m2, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(p2->len, ==, 1);
  BimiIngestPart *part = g_ptr_array_index(p2, 0);
  g_assert_cmpstr(part->name, ==, "example.org!example.com!1000!2000.xml.gz");
  g_assert_true(g_bytes_equal(part->data, gz));

  /* No report in it. */
  const char *plain = "From: a@example.com\nSubject: hi\n\nhello\n";
  g_autoptr(GBytes) m3 = g_bytes_new_static(plain, strlen(plain));
  g_autoptr(GPtrArray) p3 = bimi_ingest_mime_parts(m3, &error);
  g_assert_null(p3);
  g_assert_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_UNSUPPORTED);
  g_clear_error(&error);

  /* BIMI_INGEST_MAX_MIME_PARTS and _MAX_MIME_DEPTH. */
  g_autoptr(GString) many = g_string_new("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n");
  for (guint i = 0; i < BIMI_INGEST_MAX_MIME_PARTS; i++)
    g_string_append(many, "--b\nContent-Type: text/plain\n\nx\n");
  g_string_append(many, "--b--\n");
  g_autoptr(GBytes) m4 = g_bytes_new(many->str, many->len);
  g_autoptr(GPtrArray) p4 = bimi_ingest_mime_parts(m4, &error);
  bimi_test_expect_refused(p4, error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT, "more than 64 MIME parts");
  g_clear_error(&error);
  g_autoptr(GString) deep = g_string_new("MIME-Version: 1.0\n");
  for (guint i = 0; i <= BIMI_INGEST_MAX_MIME_DEPTH; i++)
    g_string_append_printf(deep, "Content-Type: multipart/mixed; boundary=b%u\n\n--b%u\n", i, i);
  g_string_append(deep, "Content-Type: text/plain\n\nx\n");
  g_autoptr(GBytes) m5 = g_bytes_new(deep->str, deep->len);
  g_autoptr(GPtrArray) p5 = bimi_ingest_mime_parts(m5, &error);
  bimi_test_expect_refused(p5, error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT, "nested deeper than 8");
}

/* ---- mailbox -------------------------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(path, text, -1, &error))
    g_error("%s", error->message);
}

static GPtrArray *
read_all(BimiMailSource *mb)
{
  GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_mail_source_item_free);
  BimiMailSourceItem *item;
  g_autoptr(GError) error = NULL;
  while (bimi_mail_source_next(mb, &item, &error))
    g_ptr_array_add(items, item);
  g_assert_no_error(error);
  return items;
}

/* The item's bytes as a string (items are not NUL-terminated); kept until the next call. */
static const char *
item_text(BimiMailSourceItem *item)
{
  static char *last;
  g_assert_no_error(item->error);
  g_free(last);
  last = g_strndup(g_bytes_get_data(item->data, NULL), g_bytes_get_size(item->data));
  return last;
}

static void
test_mailbox(void)
{
  g_autofree char *tmp = g_dir_make_tmp("mailbox-XXXXXX", NULL);
  /* An mbox with mboxrd quoting and a CRLF message. */
  g_autofree char *mbox = g_build_filename(tmp, "box.mbox", NULL);
  write_file(mbox, "From a@example.com Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n>From here\n>>From there\n\n"
                   "From b@example.com Mon Jan  1 00:00:01 2024\r\nSubject: two\r\n\r\nsecond\r\n\r\n"
                   "From c@example.com Mon Jan  1 00:00:02 2024\nSubject: three\n\nFrom-less\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMailSource) mb = bimi_mail_source_open(mbox, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) items = read_all(mb);
  g_assert_cmpuint(items->len, ==, 3);
  BimiMailSourceItem *first = g_ptr_array_index(items, 0);
  g_assert_cmpint(first->kind, ==, BIMI_MAIL_SOURCE_ITEM_MBOX);
  g_assert_cmpstr(item_text(first), ==,
                  "Subject: one\n\nbody\nFrom here\n>From there\n");
  BimiMailSourceItem *second = g_ptr_array_index(items, 1);
  g_assert_cmpmem(g_bytes_get_data(second->data, NULL), g_bytes_get_size(second->data),
                  "Subject: two\r\n\r\nsecond\r\n", 24);
  g_autofree char *third = g_strdup_printf("%s, message 3 (line 13)", mbox);
  g_assert_cmpstr(((BimiMailSourceItem *) g_ptr_array_index(items, 2))->where, ==, third);
  /* every byte of the file consumed, From_ lines and separators included (the survey's progress) */
  g_assert_cmpuint(bimi_mail_source_bytes(mb), ==, 88 + 71 + 70);

  /* A Maildir inside a directory tree, with a file and a dot-file beside it. */
  g_autofree char *tree = g_build_filename(tmp, "tree", NULL);
  g_autofree char *md = g_build_filename(tree, "Maildir", NULL);
  for (const char *sub = "cur"; sub != NULL; sub = strcmp(sub, "cur") == 0 ? "new" : strcmp(sub, "new") == 0 ? "tmp" : NULL) {
    g_autofree char *d = g_build_filename(md, sub, NULL);
    g_assert_cmpint(g_mkdir_with_parents(d, 0700), ==, 0);
  }
  g_autofree char *m1 = g_build_filename(md, "cur", "1.host:2,S", NULL);
  g_autofree char *m2 = g_build_filename(md, "new", "2.host", NULL);
  g_autofree char *m3 = g_build_filename(md, "tmp", "3.host", NULL);
  g_autofree char *f1 = g_build_filename(tree, "a-report.xml", NULL);
  g_autofree char *f2 = g_build_filename(tree, ".hidden", NULL);
  write_file(m1, "Subject: cur\n\n");
  write_file(m2, "Subject: new\n\n");
  write_file(m3, "Subject: tmp (being written)\n\n");
  write_file(f1, "<feedback/>");
  write_file(f2, "no");
  g_autoptr(BimiMailSource) mb2 = bimi_mail_source_open(tree, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) items2 = read_all(mb2);
  g_assert_cmpuint(items2->len, ==, 3);
  g_assert_cmpstr(((BimiMailSourceItem *) g_ptr_array_index(items2, 0))->where, ==, m2);  /* Maildir: new/ first */
  g_assert_cmpint(((BimiMailSourceItem *) g_ptr_array_index(items2, 0))->kind, ==, BIMI_MAIL_SOURCE_ITEM_MAILDIR);
  g_assert_cmpstr(((BimiMailSourceItem *) g_ptr_array_index(items2, 1))->where, ==, m1);
  g_assert_cmpstr(((BimiMailSourceItem *) g_ptr_array_index(items2, 2))->where, ==, f1);
  g_assert_cmpstr(item_text(g_ptr_array_index(items2, 2)), ==, "<feedback/>");
  g_assert_cmpuint(bimi_mail_source_count(mb2), ==, 3);
  g_assert_cmpuint(bimi_mail_source_bytes(mb2), ==, 14 + 14 + 11); /* the three files returned */

  /* BIMI_MAIL_SOURCE_MAX_DIR_DEPTH. */
  g_autoptr(GString) deep = g_string_new(tmp);
  g_string_append(deep, "/deep");
  g_autofree char *deep_root = g_strdup(deep->str);
  for (guint i = 0; i <= BIMI_MAIL_SOURCE_MAX_DIR_DEPTH; i++)
    g_string_append(deep, "/d");
  g_assert_cmpint(g_mkdir_with_parents(deep->str, 0700), ==, 0);
  g_autoptr(BimiMailSource) mb3 = bimi_mail_source_open(deep_root, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) items3 = read_all(mb3);
  g_assert_cmpuint(items3->len, ==, 1);
  g_assert_error(((BimiMailSourceItem *) g_ptr_array_index(items3, 0))->error, BIMI_MAIL_SOURCE_ERROR,
                 BIMI_MAIL_SOURCE_ERROR_LIMIT);

  /* Missing input. */
  g_autofree char *missing = g_build_filename(tmp, "missing", NULL);
  g_assert_null(bimi_mail_source_open(missing, &error));
  g_assert_error(error, BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO);
  g_clear_error(&error);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
  g_assert_cmpint(system(cmd), ==, 0);
}

/* BIMI_MAIL_SOURCE_MAX_ITEM_BYTES: an over-long mbox message is skipped (streamed,
 * never held), the next one is read. */
static void
test_mailbox_item_limit(void)
{
  gsize big = BIMI_MAIL_SOURCE_MAX_ITEM_BYTES + 1;
  GByteArray *data = g_byte_array_sized_new((guint) big + 200);
  const char *head = "From a@example.com Mon Jan  1 00:00:00 2024\nSubject: big\n\n";
  g_byte_array_append(data, (const guint8 *) head, (guint) strlen(head));
  gsize start = data->len;
  g_byte_array_set_size(data, (guint) (start + big));
  for (gsize i = start; i < start + big; i++)
    data->data[i] = (i % 100 == 99) ? '\n' : 'x';
  const char *next = "\nFrom b@example.com Mon Jan  1 00:00:00 2024\nSubject: small\n\nok\n";
  g_byte_array_append(data, (const guint8 *) next, (guint) strlen(next));
  g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(data);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes(bytes);
  g_autoptr(BimiMailSource) mb = bimi_mail_source_open_mbox_stream(in, "mem");
  g_autoptr(GPtrArray) items = read_all(mb);
  g_assert_cmpuint(items->len, ==, 2);
  g_assert_error(((BimiMailSourceItem *) g_ptr_array_index(items, 0))->error, BIMI_MAIL_SOURCE_ERROR,
                 BIMI_MAIL_SOURCE_ERROR_LIMIT);
  g_assert_cmpstr(item_text(g_ptr_array_index(items, 1)), ==, "Subject: small\n\nok\n");
}

/* ---- store and summary ------------------------------------------------------ */

/* A report of @n sources 10.0.0.1.. (source i sends i + 1 messages, all passing)
 * plus one spoofer; stored twice (the second time a duplicate); the summary asks
 * PTR/FCrDNS of only the BIMI_INGEST_SUMMARY_MAX_RDNS largest sources. */
static void
test_store_summary(void)
{
  guint n = BIMI_INGEST_SUMMARY_MAX_RDNS + 2;
  g_autoptr(GString) records = g_string_new(NULL);
  g_autoptr(GString) zone = g_string_new("$TTL 60\n");
  guint64 total = 0;
  for (guint i = 0; i < n; i++) {
    g_string_append_printf(records, "<record><row><source_ip>10.0.0.%u</source_ip><count>%u</count>"
                           "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf>"
                           "</policy_evaluated></row><identifiers><header_from>example.com</header_from>"
                           "</identifiers><auth_results><dkim><domain>example.com</domain><result>pass</result>"
                           "</dkim></auth_results></record>", i + 1, i + 1);
    g_string_append_printf(zone, "%u.0.0.10.in-addr.arpa. IN PTR mx%u.example.com.\nmx%u.example.com. IN A 10.0.0.%u\n",
                           i + 1, i + 1, i + 1, i + 1);
    total += i + 1;
  }
  /* The spoofer: nothing passes, no DKIM signature at all. */
  g_string_append(records, "<record><row><source_ip>192.0.2.66</source_ip><count>1</count><policy_evaluated>"
                           "<disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated>"
                           "</row><identifiers><header_from>example.com</header_from></identifiers><auth_results>"
                           "<spf><domain>example.com</domain><result>fail</result></spf></auth_results></record>");
  g_autofree char *xml = report_with("", records->str);
  total += 1;

  g_autofree char *tmp = g_dir_make_tmp("ingest-db-XXXXXX", NULL);
  g_autofree char *db_path = g_build_filename(tmp, "r.db", NULL);
  g_autofree char *zone_path = g_build_filename(tmp, "z.zone", NULL);
  write_file(zone_path, zone->str);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportDb) db = bimi_report_db_open(db_path, &error);
  g_assert_no_error(error);
  g_assert_true(bimi_ingest_store_migrate(db, &error));
  g_autoptr(BimiIngestReport) r = parse_text(xml, &error);
  g_assert_no_error(error);
  gboolean dup = TRUE;
  g_assert_true(bimi_ingest_store_report(db, r, "test", 5000, &dup, &error));
  g_assert_false(dup);
  g_assert_true(bimi_ingest_store_report(db, r, "test again", 5001, &dup, &error));
  g_assert_true(dup);

  const char *zones[] = { zone_path, NULL };
  BimiDnsConfig config = { .zone_files = zones };
  g_autoptr(BimiDnsResolver) resolver = bimi_dns_resolver_new(&config, &error);
  g_assert_no_error(error);
  g_autoptr(BimiIngestSummary) s = bimi_ingest_summary_build(db, "EXAMPLE.com", -1, -1, resolver, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(s->reports, ==, 1);
  g_assert_cmpuint(s->messages, ==, total);
  BimiIngestDomain *d = g_ptr_array_index(s->domains, 0);
  g_assert_cmpstr(d->domain, ==, "example.com");
  g_assert_cmpuint(d->dmarc_pass, ==, total - 1);
  g_assert_cmpuint(d->sources->len, ==, n + 1);
  g_assert_cmpuint(d->group_messages[BIMI_INGEST_GROUP_UNKNOWN_FAILING], ==, 1);
  guint asked = 0;
  for (guint i = 0; i < d->sources->len; i++) {
    BimiIngestSource *src = g_ptr_array_index(d->sources, i);
    if (src->fcrdns != NULL)
      asked++;
    /* Largest first: the first BIMI_INGEST_SUMMARY_MAX_RDNS are asked, the rest not. */
    g_assert_true((src->fcrdns != NULL) == (i < BIMI_INGEST_SUMMARY_MAX_RDNS));
  }
  g_assert_cmpuint(asked, ==, BIMI_INGEST_SUMMARY_MAX_RDNS);
  BimiIngestSource *top = g_ptr_array_index(d->sources, 0);
  g_autofree char *top_ptr = g_strdup_printf("mx%u.example.com", n);
  g_assert_cmpstr(top->ptr_name, ==, top_ptr);
  g_assert_cmpstr(top->fcrdns, ==, "pass");
  g_assert_cmpstr(d->verdict, ==, "enforcing");
  g_assert_true(g_str_has_prefix(d->recommendation, "p=reject already: 100 % of your authenticated mail passes; "
                                                    "the failing < 0.1 % comes from sources that are not yours"));
  /* A time filter that excludes the report (its range is 1000..2000). */
  g_autoptr(BimiIngestSummary) none = bimi_ingest_summary_build(db, NULL, 2000, -1, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(none->domains->len, ==, 0);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
  g_assert_cmpint(system(cmd), ==, 0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/report/ingest/xml/minimal", test_minimal);
  g_test_add_func("/report/ingest/xml/invalid", test_invalid);
  g_test_add_func("/report/ingest/xml/lenient", test_lenient);
  g_test_add_func("/report/ingest/xml/dtd-refused", test_dtd_refused);
  g_test_add_func("/report/ingest/xml/limit-field", test_limit_field);
  g_test_add_func("/report/ingest/xml/limit-depth", test_limit_depth);
  g_test_add_func("/report/ingest/xml/limit-lists", test_limit_lists);
  g_test_add_func("/report/ingest/xml/limit-records-10m", test_limit_records);
  g_test_add_func("/report/ingest/xml/limit-xml-bytes", test_limit_xml_bytes);
  g_test_add_func("/report/ingest/upstream/samples", test_upstream_samples);
  g_test_add_func("/report/ingest/upstream/stalwart-json", test_stalwart);
  g_test_add_func("/report/ingest/payload/gzip-zip", test_payload_gzip_zip);
  g_test_add_func("/report/ingest/payload/bomb", test_payload_bomb);
  g_test_add_func("/report/ingest/payload/limit-entries", test_payload_entries);
  g_test_add_func("/report/ingest/payload/limit-size", test_payload_size);
  g_test_add_func("/report/ingest/mime", test_mime);
  g_test_add_func("/report/ingest/store-summary", test_store_summary);
  g_test_add_func("/report/mail-source/read", test_mailbox);
  g_test_add_func("/report/mail-source/limit-item", test_mailbox_item_limit);
  return g_test_run();
}
