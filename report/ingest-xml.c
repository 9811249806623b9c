/* report/ingest-xml.c — DMARC aggregate report XML parser (issue 16).
 *
 * RFC 7489 Appendix C (the XML schema of aggregate reports, no namespace in
 * practice) and RFC 9990 §3 + Appendix A (namespace urn:ietf:params:xml:ns:dmarc-2.0,
 * <np>, <testing>, <discovery_method>, <generator>, <extension>).
 *
 * libxml2 SAX2 in push mode: each element is handled as it closes; nothing but
 * the fields below is kept. Hardening as engine/svg.c: XML_PARSE_NONET, no
 * entity substitution (replaceEntities 0), no DTD loading; a DOCTYPE is refused
 * at its internalSubset callback, before any entity of it is declared, so XXE
 * and billion laughs never run. Every limit is a BIMI_INGEST_* constant.
 *
 * Deliberate leniency, for the reports real receivers send:
 *  - <begin>/<end> with a fractional part ("1337270400.0", 163.com and
 *    yeah.net reports of OpenDMARC's test files) are accepted: the fraction is dropped;
 *  - enumerated values compare case-insensitively and are stored lower case;
 *  - unknown elements (and every element of another namespace) are skipped with
 *    their subtree; <extension> keeps its name and definition attributes only
 *    (RFC 9990 §3.1.4: receivers ignore extensions they do not understand);
 *  - the RFC 7489 SPF results "unknown" and "error" are kept as permerror and
 *    temperror (RFC 7208 §2.6 names; RFC 7489 App. C spells the older ones).
 */
#include "report/ingest-xml.h"

#include <string.h>

#include <gio/gio.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "engine/base/base-mem.h"
#include "engine/limits.h"

G_DEFINE_QUARK(bimi-ingest-error-quark, bimi_ingest_error)

/* Bytes handed to one xmlParseChunk() call. */
#define FEED_CHUNK (64u * 1024u)

gboolean
bimi_ingest_check_size(const char *what, gsize len, guint max, const char *max_name, GError **error)
{
  if (len <= max)
    return TRUE;
  g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_LIMIT,
              "%s of %" G_GSIZE_FORMAT " bytes is larger than %u (%s)", what, len, max, max_name);
  return FALSE;
}

/* ---- the report -------------------------------------------------------- */

static void
reason_free(gpointer p)
{
  BimiIngestReason *r = p;
  BIMI_FREE_ALL(r->type, r->comment, r);
}

static void
auth_result_free(gpointer p)
{
  BimiIngestAuthResult *a = p;
  BIMI_FREE_ALL(a->domain, a->selector, a->scope, a->result, a->human_result, a);
}

static void
extension_free(gpointer p)
{
  BimiIngestExtension *e = p;
  BIMI_FREE_ALL(e->name, e->definition, e);
}

BIMI_DEFINE_STATIC_FREE_FUNC(BimiIngestRecord, record_free, r)
{
  BIMI_FREE_ALL(r->source_ip, r->disposition, r->dkim, r->spf);
  g_ptr_array_unref(r->reasons);
  BIMI_FREE_ALL(r->header_from, r->envelope_from, r->envelope_to);
  g_ptr_array_unref(r->dkim_results);
  g_ptr_array_unref(r->spf_results);
  g_ptr_array_unref(r->extensions);
}

static BimiIngestRecord *
record_new(void)
{
  BimiIngestRecord *r = g_new0(BimiIngestRecord, 1);
  r->reasons = g_ptr_array_new_with_free_func(reason_free);
  r->dkim_results = g_ptr_array_new_with_free_func(auth_result_free);
  r->spf_results = g_ptr_array_new_with_free_func(auth_result_free);
  r->extensions = g_ptr_array_new_with_free_func(extension_free);
  return r;
}

BIMI_DEFINE_FREE_FUNC(BimiIngestReport, bimi_ingest_report_free, r)
{
  BIMI_FREE_ALL(r->xml_namespace, r->version, r->org_name, r->email, r->extra_contact_info, r->report_id, r->generator);
  g_ptr_array_unref(r->errors);
  BIMI_FREE_ALL(r->domain, r->adkim, r->aspf, r->p, r->sp, r->np, r->fo, r->testing, r->discovery_method,
                r->version_published);
  g_ptr_array_unref(r->records);
  g_ptr_array_unref(r->extensions);
}

static BimiIngestReport *
report_new(void)
{
  BimiIngestReport *r = g_new0(BimiIngestReport, 1);
  r->begin = -1;
  r->end = -1;
  r->pct = -1;
  r->errors = g_ptr_array_new_with_free_func(g_free);
  r->records = g_ptr_array_new_with_free_func((GDestroyNotify) record_free);
  r->extensions = g_ptr_array_new_with_free_func(extension_free);
  return r;
}

/* ---- the element table --------------------------------------------------- */

/* Paths below <feedback>, joined by '/'. A leaf's text is kept (at most
 * BIMI_INGEST_MAX_FIELD_BYTES); anything not in the table is skipped whole. */
typedef enum { NODE_CONTAINER, NODE_LEAF } NodeKind;

typedef struct {
  const char *path;
  NodeKind kind;
} KnownNode;

static const KnownNode known_nodes[] = {
  { "version", NODE_LEAF },
  { "report_metadata", NODE_CONTAINER },
  { "report_metadata/org_name", NODE_LEAF },
  { "report_metadata/email", NODE_LEAF },
  { "report_metadata/extra_contact_info", NODE_LEAF },
  { "report_metadata/report_id", NODE_LEAF },
  { "report_metadata/date_range", NODE_CONTAINER },
  { "report_metadata/date_range/begin", NODE_LEAF },
  { "report_metadata/date_range/end", NODE_LEAF },
  { "report_metadata/error", NODE_LEAF },
  { "report_metadata/generator", NODE_LEAF },
  { "policy_published", NODE_CONTAINER },
  { "policy_published/domain", NODE_LEAF },
  { "policy_published/version_published", NODE_LEAF },
  { "policy_published/adkim", NODE_LEAF },
  { "policy_published/aspf", NODE_LEAF },
  { "policy_published/p", NODE_LEAF },
  { "policy_published/sp", NODE_LEAF },
  { "policy_published/np", NODE_LEAF },
  { "policy_published/pct", NODE_LEAF },
  { "policy_published/fo", NODE_LEAF },
  { "policy_published/testing", NODE_LEAF },
  { "policy_published/discovery_method", NODE_LEAF },
  { "record", NODE_CONTAINER },
  { "record/row", NODE_CONTAINER },
  { "record/row/source_ip", NODE_LEAF },
  { "record/row/count", NODE_LEAF },
  { "record/row/policy_evaluated", NODE_CONTAINER },
  { "record/row/policy_evaluated/disposition", NODE_LEAF },
  { "record/row/policy_evaluated/dkim", NODE_LEAF },
  { "record/row/policy_evaluated/spf", NODE_LEAF },
  { "record/row/policy_evaluated/reason", NODE_CONTAINER },
  { "record/row/policy_evaluated/reason/type", NODE_LEAF },
  { "record/row/policy_evaluated/reason/comment", NODE_LEAF },
  { "record/identifiers", NODE_CONTAINER },
  { "record/identifiers/header_from", NODE_LEAF },
  { "record/identifiers/envelope_from", NODE_LEAF },
  { "record/identifiers/envelope_to", NODE_LEAF },
  { "record/auth_results", NODE_CONTAINER },
  { "record/auth_results/dkim", NODE_CONTAINER },
  { "record/auth_results/dkim/domain", NODE_LEAF },
  { "record/auth_results/dkim/selector", NODE_LEAF },
  { "record/auth_results/dkim/result", NODE_LEAF },
  { "record/auth_results/dkim/human_result", NODE_LEAF },
  { "record/auth_results/spf", NODE_CONTAINER },
  { "record/auth_results/spf/domain", NODE_LEAF },
  { "record/auth_results/spf/scope", NODE_LEAF },
  { "record/auth_results/spf/result", NODE_LEAF },
  { "record/auth_results/spf/human_result", NODE_LEAF },
  { "record/extensions", NODE_CONTAINER },
  { "extensions", NODE_CONTAINER },
};

static const KnownNode *
known_node(const char *path)
{
  for (gsize i = 0; i < G_N_ELEMENTS(known_nodes); i++) {
    if (strcmp(known_nodes[i].path, path) == 0)
      return &known_nodes[i];
  }
  return NULL;
}

/* Enumerated values (RFC 9990 Appendix A; RFC 7489 Appendix C). NULL-terminated. */
static const char *const v_alignment[] = { "r", "s", NULL };
static const char *const v_policy[] = { "none", "quarantine", "reject", NULL };
static const char *const v_disposition[] = { "none", "pass", "quarantine", "reject", NULL };
static const char *const v_pass_fail[] = { "pass", "fail", NULL };
static const char *const v_testing[] = { "y", "n", NULL };
static const char *const v_discovery[] = { "psl", "treewalk", NULL };
static const char *const v_reason[] = { "forwarded", "sampled_out", "trusted_forwarder", "mailing_list",
                                        "local_policy", "policy_test_mode", "other", NULL };
static const char *const v_dkim_result[] = { "none", "pass", "fail", "policy", "neutral",
                                             "temperror", "permerror", NULL };
static const char *const v_spf_result[] = { "none", "neutral", "pass", "fail", "softfail",
                                            "temperror", "permerror", NULL };
static const char *const v_spf_scope[] = { "mfrom", "helo", NULL };

/* ---- parser state -------------------------------------------------------- */

struct BimiIngestXmlParser {
  xmlParserCtxtPtr ctxt;
  BimiIngestReport *report;
  GError *error;            /* the first error; the parser is stopped */
  gboolean finished;
  gsize fed;                /* bytes fed so far */
  guint depth;              /* open elements; <feedback> is 1 */
  guint skip_depth;         /* > 0: inside a skipped subtree opened at this depth */
  gboolean have_root;
  GString *path;            /* known path below <feedback> ("" at the root) */
  gsize path_len[BIMI_INGEST_MAX_XML_DEPTH + 2];
  const KnownNode *node;    /* the innermost open known element */
  GString *text;            /* text of the open leaf */
  gboolean in_leaf;
  BimiIngestRecord *record; /* the open <record> */
  BimiIngestReason *reason; /* the open <reason> */
  BimiIngestAuthResult *auth;
};

static int
line_of(BimiIngestXmlParser *p)
{
  if (p->ctxt == NULL || p->ctxt->input == NULL)
    return 0;
  return p->ctxt->input->line;
}

static void fail(BimiIngestXmlParser *p, BimiIngestError code, const char *format, ...) G_GNUC_PRINTF(3, 4);

/* Records the first error with the line and the record number, and stops libxml2. */
static void
fail(BimiIngestXmlParser *p, BimiIngestError code, const char *format, ...)
{
  if (p->error != NULL)
    return;
  va_list ap;
  va_start(ap, format);
  g_autofree char *what = g_strdup_vprintf(format, ap);
  va_end(ap);
  if (p->record != NULL)
    p->error = g_error_new(BIMI_INGEST_ERROR, code, "line %d, record %u: %s", line_of(p),
                           p->report->records->len + 1, what);
  else
    p->error = g_error_new(BIMI_INGEST_ERROR, code, "line %d: %s", line_of(p), what);
  if (p->ctxt != NULL)
    xmlStopParser(p->ctxt);
}

/* ---- SAX callbacks --------------------------------------------------------- */

static void
sax_refuse_dtd(BimiIngestXmlParser *p, const char *what)
{
  fail(p, BIMI_INGEST_ERROR_DTD, "%s refused: aggregate reports need no DTD or entities "
       "(XXE and entity expansion are never processed)", what);
}

static void
sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
  sax_refuse_dtd(ctx, "DOCTYPE");
}

static void
sax_external_subset(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
  sax_refuse_dtd(ctx, "DOCTYPE");
}

static void
sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pid, const xmlChar *sid, xmlChar *content)
{
  sax_refuse_dtd(ctx, "entity declaration");
}

static void
sax_unparsed_entity_decl(void *ctx, const xmlChar *name, const xmlChar *pid, const xmlChar *sid,
                         const xmlChar *notation)
{
  sax_refuse_dtd(ctx, "entity declaration");
}

static xmlParserInputPtr
sax_resolve_entity(void *ctx, const xmlChar *pid, const xmlChar *sid)
{
  sax_refuse_dtd(ctx, "external entity");
  return NULL;
}

static xmlEntityPtr
sax_get_entity(void *ctx, const xmlChar *name)
{
  /* Only the five predefined entities exist (libxml2 resolves them itself). */
  return xmlGetPredefinedEntity(name);
}

static void
sax_reference(void *ctx, const xmlChar *name)
{
  sax_refuse_dtd(ctx, "entity reference");
}

static void
sax_structured_error(void *ctx, xmlErrorPtr err)
{
  BimiIngestXmlParser *p = ctx;
  if (err == NULL || err->level < XML_ERR_ERROR)
    return;
  g_autofree char *msg = g_strchomp(g_strdup(err->message != NULL ? err->message : "malformed"));
  if (p->error == NULL)
    p->error = g_error_new(BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_NOT_XML, "line %d: not well-formed XML: %s",
                           err->line, msg);
}

static const char *
attr_value(int nb_attributes, const xmlChar **attributes, const char *name, gsize *len_out)
{
  for (int i = 0; i < nb_attributes; i++) {
    const xmlChar **a = attributes + 5 * i;
    if (a[2] == NULL && strcmp((const char *) a[0], name) == 0) {
      *len_out = (gsize) (a[4] - a[3]);
      return (const char *) a[3];
    }
  }
  return NULL;
}

/* A bounded, trimmed copy of an attribute value; FALSE (error set) when too long. */
static gboolean
attr_copy(BimiIngestXmlParser *p, int nb, const xmlChar **attrs, const char *name, char **out)
{
  gsize len = 0;
  const char *v = attr_value(nb, attrs, name, &len);
  *out = NULL;
  if (v == NULL)
    return TRUE;
  if (len > BIMI_INGEST_MAX_FIELD_BYTES) {
    fail(p, BIMI_INGEST_ERROR_LIMIT, "<extension %s=\"...\"> is longer than %u bytes", name,
         BIMI_INGEST_MAX_FIELD_BYTES);
    return FALSE;
  }
  *out = g_strstrip(g_strndup(v, len));
  return TRUE;
}

static void
add_extension(BimiIngestXmlParser *p, GPtrArray *list, int nb, const xmlChar **attrs)
{
  if (list->len >= BIMI_INGEST_MAX_LIST_ITEMS) {
    fail(p, BIMI_INGEST_ERROR_LIMIT, "more than %u <extension> elements", BIMI_INGEST_MAX_LIST_ITEMS);
    return;
  }
  BimiIngestExtension *e = g_new0(BimiIngestExtension, 1);
  g_ptr_array_add(list, e);
  if (!attr_copy(p, nb, attrs, "name", &e->name) || !attr_copy(p, nb, attrs, "definition", &e->definition))
    return;
  if (e->name == NULL)
    e->name = g_strdup("");
}

static void
sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri, int nb_namespaces,
          const xmlChar **namespaces, int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
  BimiIngestXmlParser *p = ctx;
  const char *name = (const char *) localname;

  if (p->error != NULL)
    return;
  p->depth++;
  if (p->depth > BIMI_INGEST_MAX_XML_DEPTH) {
    fail(p, BIMI_INGEST_ERROR_LIMIT, "elements nested deeper than %u", BIMI_INGEST_MAX_XML_DEPTH);
    return;
  }
  if (p->skip_depth > 0)
    return;
  if (p->depth == 1) {
    if (strcmp(name, "feedback") != 0) {
      fail(p, BIMI_INGEST_ERROR_INVALID, "the root element is <%s>, not <feedback>", name);
      return;
    }
    p->have_root = TRUE;
    p->report->xml_namespace = uri != NULL ? g_strdup((const char *) uri) : NULL;
    p->path_len[1] = 0;
    return;
  }
  /* Another namespace than the report's: an extension of someone else's. */
  if (uri != NULL && g_strcmp0((const char *) uri, p->report->xml_namespace) != 0) {
    p->skip_depth = p->depth;
    return;
  }
  if (p->in_leaf) {
    fail(p, BIMI_INGEST_ERROR_INVALID, "<%s> inside the text element <%s>", name,
         strrchr(p->path->str, '/') != NULL ? strrchr(p->path->str, '/') + 1 : p->path->str);
    return;
  }
  /* <extension> under an <extensions>: its attributes, then its subtree skipped. */
  if (strcmp(name, "extension") == 0 && p->node != NULL && g_str_has_suffix(p->node->path, "extensions")) {
    add_extension(p, p->record != NULL ? p->record->extensions : p->report->extensions, nb_attributes,
                  attributes);
    p->skip_depth = p->depth;
    return;
  }
  gsize before = p->path->len;
  if (p->path->len > 0)
    g_string_append_c(p->path, '/');
  g_string_append(p->path, name);
  const KnownNode *node = known_node(p->path->str);
  if (node == NULL) {
    g_string_truncate(p->path, before);
    p->skip_depth = p->depth;
    return;
  }
  p->path_len[p->depth] = before;
  p->node = node;
  g_string_truncate(p->text, 0);
  p->in_leaf = node->kind == NODE_LEAF;

  if (strcmp(node->path, "record") == 0) {
    if (p->report->records->len >= BIMI_INGEST_MAX_RECORDS) {
      fail(p, BIMI_INGEST_ERROR_LIMIT, "more than %u <record> elements", BIMI_INGEST_MAX_RECORDS);
      return;
    }
    p->record = record_new();
  } else if (strcmp(node->path, "record/row/policy_evaluated/reason") == 0) {
    if (p->record->reasons->len >= BIMI_INGEST_MAX_LIST_ITEMS) {
      fail(p, BIMI_INGEST_ERROR_LIMIT, "more than %u <reason> elements", BIMI_INGEST_MAX_LIST_ITEMS);
      return;
    }
    p->reason = g_new0(BimiIngestReason, 1);
    g_ptr_array_add(p->record->reasons, p->reason);
  } else if (strcmp(node->path, "record/auth_results/dkim") == 0 ||
             strcmp(node->path, "record/auth_results/spf") == 0) {
    GPtrArray *list = node->path[20] == 'd' ? p->record->dkim_results : p->record->spf_results;
    if (list->len >= BIMI_INGEST_MAX_AUTH_RESULTS) {
      fail(p, BIMI_INGEST_ERROR_LIMIT, "more than %u <auth_results><%s> entries", BIMI_INGEST_MAX_AUTH_RESULTS,
           name);
      return;
    }
    p->auth = g_new0(BimiIngestAuthResult, 1);
    g_ptr_array_add(list, p->auth);
  }
}

static void
sax_characters(void *ctx, const xmlChar *ch, int len)
{
  BimiIngestXmlParser *p = ctx;
  if (p->error != NULL || p->skip_depth > 0 || !p->in_leaf || len <= 0)
    return;
  if (p->text->len + (gsize) len > BIMI_INGEST_MAX_FIELD_BYTES) {
    fail(p, BIMI_INGEST_ERROR_LIMIT, "the text of <%s> is longer than %u bytes", p->path->str,
         BIMI_INGEST_MAX_FIELD_BYTES);
    return;
  }
  g_string_append_len(p->text, (const char *) ch, len);
}

/* ---- leaf values ----------------------------------------------------------- */

/* Sets *slot to @value (taken) unless it is set already: a second occurrence of a
 * single-valued element is an error. */
static void
set_once(BimiIngestXmlParser *p, char **slot, char *value, const char *element)
{
  if (*slot != NULL) {
    g_free(value);
    fail(p, BIMI_INGEST_ERROR_INVALID, "<%s> given twice", element);
    return;
  }
  *slot = value;
}

/* Lower-cased @text when it is one of @allowed; else an error naming both. */
static char *
enum_value(BimiIngestXmlParser *p, const char *text, const char *const *allowed, const char *element)
{
  g_autofree char *low = g_ascii_strdown(text, -1);
  for (gsize i = 0; allowed[i] != NULL; i++) {
    if (strcmp(low, allowed[i]) == 0)
      return g_steal_pointer(&low);
  }
  g_autoptr(GString) list = g_string_new(NULL);
  for (gsize i = 0; allowed[i] != NULL; i++)
    g_string_append_printf(list, "%s%s", i > 0 ? ", " : "", allowed[i]);
  g_autofree char *shown = g_strescape(text, NULL);
  fail(p, BIMI_INGEST_ERROR_INVALID, "<%s> is \"%s\", not one of %s", element, shown, list->str);
  return NULL;
}

/* Unsigned decimal, at most @max; a fraction of zeros only is allowed when @fraction. */
static gboolean
parse_uint(BimiIngestXmlParser *p, const char *text, guint64 max, gboolean fraction, guint64 *out,
           const char *element)
{
  guint64 v = 0;
  const char *s = text;
  if (*s == '+')
    s++;
  if (!g_ascii_isdigit(*s))
    goto bad;
  for (; g_ascii_isdigit(*s); s++) {
    guint d = (guint) (*s - '0');
    if (v > (max - d) / 10) {
      fail(p, BIMI_INGEST_ERROR_INVALID, "<%s> %s is larger than %" G_GUINT64_FORMAT, element, text, max);
      return FALSE;
    }
    v = v * 10 + d;
  }
  if (fraction && *s == '.') {
    for (s++; *s == '0'; s++)
      ;
  }
  if (*s != '\0')
    goto bad;
  *out = v;
  return TRUE;
bad:;
  g_autofree char *shown = g_strescape(text, NULL);
  fail(p, BIMI_INGEST_ERROR_INVALID, "<%s> \"%s\" is not a non-negative integer", element, shown);
  return FALSE;
}

static void
leaf_report(BimiIngestXmlParser *p, const char *path, char *text)
{
  BimiIngestReport *r = p->report;
  guint64 n;

  if (strcmp(path, "version") == 0)
    set_once(p, &r->version, text, "version");
  else if (strcmp(path, "report_metadata/org_name") == 0)
    set_once(p, &r->org_name, text, "org_name");
  else if (strcmp(path, "report_metadata/email") == 0)
    set_once(p, &r->email, text, "email");
  else if (strcmp(path, "report_metadata/extra_contact_info") == 0)
    set_once(p, &r->extra_contact_info, text, "extra_contact_info");
  else if (strcmp(path, "report_metadata/report_id") == 0)
    set_once(p, &r->report_id, text, "report_id");
  else if (strcmp(path, "report_metadata/generator") == 0)
    set_once(p, &r->generator, text, "generator");
  else if (strcmp(path, "report_metadata/error") == 0) {
    if (r->errors->len >= BIMI_INGEST_MAX_LIST_ITEMS) {
      g_free(text);
      fail(p, BIMI_INGEST_ERROR_LIMIT, "more than %u <error> elements", BIMI_INGEST_MAX_LIST_ITEMS);
    } else {
      g_ptr_array_add(r->errors, text);
    }
  } else if (strcmp(path, "report_metadata/date_range/begin") == 0 ||
             strcmp(path, "report_metadata/date_range/end") == 0) {
    gboolean begin = g_str_has_suffix(path, "begin");
    gint64 *slot = begin ? &r->begin : &r->end;
    if (*slot >= 0)
      fail(p, BIMI_INGEST_ERROR_INVALID, "<%s> given twice", begin ? "begin" : "end");
    else if (parse_uint(p, text, G_MAXINT64, TRUE, &n, begin ? "begin" : "end"))
      *slot = (gint64) n;
    g_free(text);
  } else if (strcmp(path, "policy_published/domain") == 0) {
    set_once(p, &r->domain, g_ascii_strdown(text, -1), "domain");
    g_free(text);
  } else if (strcmp(path, "policy_published/version_published") == 0)
    set_once(p, &r->version_published, text, "version_published");
  else if (strcmp(path, "policy_published/fo") == 0)
    set_once(p, &r->fo, text, "fo");
  else if (strcmp(path, "policy_published/pct") == 0) {
    if (r->pct >= 0)
      fail(p, BIMI_INGEST_ERROR_INVALID, "<pct> given twice");
    else if (parse_uint(p, text, 100, FALSE, &n, "pct"))
      r->pct = (gint) n;
    g_free(text);
  } else {
    static const struct {
      const char *path;
      gsize offset;
      const char *const *allowed;
    } enums[] = {
      { "policy_published/adkim", G_STRUCT_OFFSET(BimiIngestReport, adkim), v_alignment },
      { "policy_published/aspf", G_STRUCT_OFFSET(BimiIngestReport, aspf), v_alignment },
      { "policy_published/p", G_STRUCT_OFFSET(BimiIngestReport, p), v_policy },
      { "policy_published/sp", G_STRUCT_OFFSET(BimiIngestReport, sp), v_policy },
      { "policy_published/np", G_STRUCT_OFFSET(BimiIngestReport, np), v_policy },
      { "policy_published/testing", G_STRUCT_OFFSET(BimiIngestReport, testing), v_testing },
      { "policy_published/discovery_method", G_STRUCT_OFFSET(BimiIngestReport, discovery_method), v_discovery },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(enums); i++) {
      if (strcmp(path, enums[i].path) == 0) {
        const char *element = strchr(path, '/') + 1;
        char *v = enum_value(p, text, enums[i].allowed, element);
        if (v != NULL)
          set_once(p, G_STRUCT_MEMBER_P(r, enums[i].offset), v, element);
        break;
      }
    }
    g_free(text);
  }
}

static void
leaf_record(BimiIngestXmlParser *p, const char *path, char *text)
{
  BimiIngestRecord *rec = p->record;
  const char *element = strrchr(path, '/') + 1;
  guint64 n;

  if (strcmp(path, "record/row/source_ip") == 0) {
    g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(text);
    if (ip == NULL) {
      g_autofree char *shown = g_strescape(text, NULL);
      fail(p, BIMI_INGEST_ERROR_INVALID, "<source_ip> \"%s\" is not an IPv4 or IPv6 address", shown);
    } else {
      set_once(p, &rec->source_ip, g_inet_address_to_string(ip), element);
    }
    g_free(text);
  } else if (strcmp(path, "record/row/count") == 0) {
    if (rec->count > 0)
      fail(p, BIMI_INGEST_ERROR_INVALID, "<count> given twice");
    else if (parse_uint(p, text, BIMI_INGEST_MAX_RECORD_COUNT, FALSE, &n, "count")) {
      if (n == 0)
        fail(p, BIMI_INGEST_ERROR_INVALID, "<count> is 0");
      rec->count = n;
    }
    g_free(text);
  } else if (strcmp(path, "record/row/policy_evaluated/disposition") == 0) {
    char *v = enum_value(p, text, v_disposition, element);
    if (v != NULL)
      set_once(p, &rec->disposition, v, element);
    g_free(text);
  } else if (strcmp(path, "record/row/policy_evaluated/dkim") == 0 ||
             strcmp(path, "record/row/policy_evaluated/spf") == 0) {
    char *v = enum_value(p, text, v_pass_fail, element);
    if (v != NULL)
      set_once(p, element[0] == 'd' ? &rec->dkim : &rec->spf, v, element);
    g_free(text);
  } else if (strcmp(path, "record/row/policy_evaluated/reason/type") == 0) {
    char *v = enum_value(p, text, v_reason, "reason><type");
    if (v != NULL)
      set_once(p, &p->reason->type, v, "reason><type");
    g_free(text);
  } else if (strcmp(path, "record/row/policy_evaluated/reason/comment") == 0) {
    set_once(p, &p->reason->comment, text, "reason><comment");
  } else if (strcmp(path, "record/identifiers/header_from") == 0) {
    set_once(p, &rec->header_from, g_ascii_strdown(text, -1), element);
    g_free(text);
  } else if (strcmp(path, "record/identifiers/envelope_from") == 0) {
    set_once(p, &rec->envelope_from, g_ascii_strdown(text, -1), element);
    g_free(text);
  } else if (strcmp(path, "record/identifiers/envelope_to") == 0) {
    set_once(p, &rec->envelope_to, g_ascii_strdown(text, -1), element);
    g_free(text);
  } else {
    /* auth_results/dkim/... or auth_results/spf/... */
    gboolean dkim = path[20] == 'd';
    BimiIngestAuthResult *a = p->auth;
    if (strcmp(element, "domain") == 0) {
      set_once(p, &a->domain, g_ascii_strdown(text, -1), "domain");
      g_free(text);
    } else if (strcmp(element, "selector") == 0) {
      set_once(p, &a->selector, text, "selector");
    } else if (strcmp(element, "human_result") == 0) {
      set_once(p, &a->human_result, text, "human_result");
    } else if (strcmp(element, "scope") == 0) {
      char *v = enum_value(p, text, v_spf_scope, "scope");
      if (v != NULL)
        set_once(p, &a->scope, v, "scope");
      g_free(text);
    } else if (strcmp(element, "result") == 0) {
      g_autofree char *low = g_ascii_strdown(text, -1);
      /* RFC 7489 App. C SPF results "unknown" and "error": RFC 7208 §2.6 names. */
      const char *mapped = low;
      if (!dkim && strcmp(low, "unknown") == 0)
        mapped = "permerror";
      else if (!dkim && strcmp(low, "error") == 0)
        mapped = "temperror";
      char *v = enum_value(p, mapped, dkim ? v_dkim_result : v_spf_result, dkim ? "dkim><result" : "spf><result");
      if (v != NULL)
        set_once(p, &a->result, v, "result");
      g_free(text);
    } else {
      g_free(text);
    }
  }
}

static void
close_record(BimiIngestXmlParser *p)
{
  BimiIngestRecord *rec = p->record;
  const char *missing = rec->source_ip == NULL   ? "row><source_ip"
                        : rec->count == 0        ? "row><count"
                        : rec->disposition == NULL ? "policy_evaluated><disposition"
                        : rec->dkim == NULL      ? "policy_evaluated><dkim"
                        : rec->spf == NULL       ? "policy_evaluated><spf"
                        : rec->header_from == NULL ? "identifiers><header_from"
                                                   : NULL;
  if (missing != NULL) {
    fail(p, BIMI_INGEST_ERROR_INVALID, "<%s> is missing", missing);
    return;
  }
  for (guint i = 0; i < rec->dkim_results->len + rec->spf_results->len; i++) {
    gboolean dkim = i < rec->dkim_results->len;
    BimiIngestAuthResult *a = dkim ? g_ptr_array_index(rec->dkim_results, i)
                                   : g_ptr_array_index(rec->spf_results, i - rec->dkim_results->len);
    if (a->domain == NULL || a->result == NULL) {
      fail(p, BIMI_INGEST_ERROR_INVALID, "<auth_results><%s> without <%s>", dkim ? "dkim" : "spf",
           a->domain == NULL ? "domain" : "result");
      return;
    }
  }
  for (guint i = 0; i < rec->reasons->len; i++) {
    BimiIngestReason *reason = g_ptr_array_index(rec->reasons, i);
    if (reason->type == NULL) {
      fail(p, BIMI_INGEST_ERROR_INVALID, "<reason> without <type>");
      return;
    }
  }
  if (!g_uint64_checked_add(&p->report->message_count, p->report->message_count, rec->count) ||
      p->report->message_count > G_MAXINT64) {
    fail(p, BIMI_INGEST_ERROR_INVALID, "the sum of the <count> values overflows");
    return;
  }
  g_ptr_array_add(p->report->records, g_steal_pointer(&p->record));
}

static void
sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
  BimiIngestXmlParser *p = ctx;
  if (p->error != NULL)
    return;
  guint depth = p->depth--;
  if (p->skip_depth > 0) {
    if (depth == p->skip_depth)
      p->skip_depth = 0;
    return;
  }
  if (depth <= 1)
    return;
  const char *path = p->path->str;
  if (p->in_leaf) {
    char *text = g_strstrip(g_strndup(p->text->str, p->text->len));
    if (!g_utf8_validate(text, -1, NULL)) {
      g_free(text);
      fail(p, BIMI_INGEST_ERROR_INVALID, "<%s> is not UTF-8", path);
      return;
    }
    if (g_str_has_prefix(path, "record/"))
      leaf_record(p, path, text);
    else
      leaf_report(p, path, text);
    p->in_leaf = FALSE;
  } else if (strcmp(path, "record") == 0) {
    close_record(p);
  } else if (strcmp(path, "record/row/policy_evaluated/reason") == 0) {
    p->reason = NULL;
  } else if (g_str_has_prefix(path, "record/auth_results/") && strchr(path + 20, '/') == NULL) {
    p->auth = NULL;
  }
  g_string_truncate(p->path, p->path_len[depth]);
  p->node = p->path->len > 0 ? known_node(p->path->str) : NULL;
  g_string_truncate(p->text, 0);
}

static void
sax_cdata(void *ctx, const xmlChar *value, int len)
{
  sax_characters(ctx, value, len);
}

/* ---- public ------------------------------------------------------------------ */

BimiIngestXmlParser *
bimi_ingest_xml_parser_new(void)
{
  static gsize once;
  if (g_once_init_enter(&once)) {
    xmlInitParser();
    g_once_init_leave(&once, 1);
  }
  BimiIngestXmlParser *p = g_new0(BimiIngestXmlParser, 1);
  p->report = report_new();
  p->path = g_string_new(NULL);
  p->text = g_string_new(NULL);

  xmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  xmlSAXVersion(&sax, 2);
  sax.startElementNs = sax_start;
  sax.endElementNs = sax_end;
  sax.characters = sax_characters;
  sax.ignorableWhitespace = NULL;
  sax.cdataBlock = sax_cdata;
  sax.comment = NULL;
  sax.processingInstruction = NULL;
  sax.internalSubset = sax_internal_subset;
  sax.externalSubset = sax_external_subset;
  sax.entityDecl = sax_entity_decl;
  sax.unparsedEntityDecl = sax_unparsed_entity_decl;
  sax.resolveEntity = sax_resolve_entity;
  sax.getEntity = sax_get_entity;
  sax.getParameterEntity = NULL;
  sax.reference = sax_reference;
  sax.elementDecl = NULL;
  sax.attributeDecl = NULL;
  sax.notationDecl = NULL;
  sax.warning = NULL;
  sax.error = NULL;
  sax.fatalError = NULL;
  sax.serror = sax_structured_error;
  /* No tree is built: the SAX2 document callbacks stay out. */
  sax.startDocument = NULL;
  sax.endDocument = NULL;
  sax.setDocumentLocator = NULL;

  p->ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, "report.xml");
  if (p->ctxt == NULL) {
    p->error = g_error_new_literal(BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_NOT_XML,
                                   "libxml2 could not create a parser context");
    return p;
  }
  xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET);
  p->ctxt->replaceEntities = 0;
  p->ctxt->loadsubset = 0;
  p->ctxt->validate = 0;
  p->ctxt->recovery = 0;
  p->ctxt->linenumbers = 1;
  return p;
}

void
bimi_ingest_xml_parser_free(BimiIngestXmlParser *p)
{
  if (p == NULL)
    return;
  if (p->ctxt != NULL) {
    if (p->ctxt->myDoc != NULL)
      xmlFreeDoc(p->ctxt->myDoc);
    xmlFreeParserCtxt(p->ctxt);
  }
  bimi_ingest_report_free(p->report);
  record_free(p->record);
  g_string_free(p->path, TRUE);
  g_string_free(p->text, TRUE);
  g_clear_error(&p->error);
  g_free(p);
}

static gboolean
take_error(BimiIngestXmlParser *p, GError **error)
{
  if (p->error == NULL)
    return TRUE;
  g_propagate_error(error, g_error_copy(p->error));
  return FALSE;
}

gboolean
bimi_ingest_xml_parser_feed(BimiIngestXmlParser *p, const void *data, gsize len, GError **error)
{
  g_return_val_if_fail(p != NULL && !p->finished, FALSE);
  if (!take_error(p, error))
    return FALSE;
  if (len > BIMI_INGEST_MAX_XML_BYTES - p->fed) {
    fail(p, BIMI_INGEST_ERROR_LIMIT, "the report XML is larger than %u bytes", BIMI_INGEST_MAX_XML_BYTES);
    return take_error(p, error);
  }
  p->fed += len;
  const char *s = data;
  while (len > 0) {
    gsize n = MIN(len, FEED_CHUNK);
    int rc = xmlParseChunk(p->ctxt, s, (int) n, 0);
    if (p->error == NULL && rc != 0)
      fail(p, BIMI_INGEST_ERROR_NOT_XML, "not well-formed XML (libxml2 error %d)", rc);
    if (p->error != NULL)
      return take_error(p, error);
    s += n;
    len -= n;
  }
  return TRUE;
}

BimiIngestReport *
bimi_ingest_xml_parser_finish(BimiIngestXmlParser *p, GError **error)
{
  g_return_val_if_fail(p != NULL && !p->finished, NULL);
  p->finished = TRUE;
  if (!take_error(p, error))
    return NULL;
  int rc = xmlParseChunk(p->ctxt, NULL, 0, 1);
  if (p->error == NULL && (rc != 0 || !p->ctxt->wellFormed))
    fail(p, BIMI_INGEST_ERROR_NOT_XML, "not well-formed XML (truncated?)");
  if (p->error == NULL && !p->have_root)
    fail(p, BIMI_INGEST_ERROR_NOT_XML, "no root element");
  if (!take_error(p, error))
    return NULL;

  BimiIngestReport *r = p->report;
  const char *missing = r->org_name == NULL    ? "report_metadata><org_name"
                        : r->report_id == NULL ? "report_metadata><report_id"
                        : r->begin < 0         ? "date_range><begin"
                        : r->end < 0           ? "date_range><end"
                        : r->domain == NULL    ? "policy_published><domain"
                        : r->p == NULL         ? "policy_published><p"
                                               : NULL;
  if (missing != NULL) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_INVALID, "<%s> is missing", missing);
    return NULL;
  }
  if (r->org_name[0] == '\0' || r->report_id[0] == '\0' || r->domain[0] == '\0') {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_INVALID, "<%s> is empty",
                r->org_name[0] == '\0' ? "org_name" : r->report_id[0] == '\0' ? "report_id" : "domain");
    return NULL;
  }
  if (r->end < r->begin) {
    g_set_error(error, BIMI_INGEST_ERROR, BIMI_INGEST_ERROR_INVALID,
                "<date_range> ends (%" G_GINT64_FORMAT ") before it begins (%" G_GINT64_FORMAT ")", r->end, r->begin);
    return NULL;
  }
  p->report = report_new();
  return r;
}

BimiIngestReport *
bimi_ingest_xml_parse(const void *data, gsize len, GError **error)
{
  g_autoptr(BimiIngestXmlParser) p = bimi_ingest_xml_parser_new();
  if (!bimi_ingest_xml_parser_feed(p, data, len, error))
    return NULL;
  return bimi_ingest_xml_parser_finish(p, error);
}
