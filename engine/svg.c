/* engine/svg.c — SVG Tiny Portable/Secure validation of BIMI indicators.
 *
 * Implements spec/bimi-receiver.md §6 (our reading of draft-svg-tiny-ps-
 * abrotman: the BIMI Group RelaxNG schema, MCR v1.7 "SVG Guidelines", RFC 6170
 * §5.2 "no script, no external resources") and the hardening of §6 rule 12
 * and §12 pitfalls 8, 9 and 16:
 *
 *   1. size: more than BIMI_SVG_MAX_BYTES (draft §2.4 "SHOULD NOT exceed 32
 *      kilobytes, evaluated uncompressed", a hard limit here) → "too-large",
 *      checked before anything is parsed;
 *   2. libxml2 parse from memory: XML_PARSE_NONET, no DTD loading, no entity
 *      substitution, no XInclude, no default attributes; SAX hooks refuse any
 *      entity declaration ("doctype-entity") or other markup declaration
 *      ("doctype-subset") before libxml2 stores it, and bound nesting
 *      (BIMI_SVG_MAX_DEPTH) and node count (BIMI_SVG_MAX_NODES) while parsing;
 *   3. the profile rules RelaxNG cannot express or reports only vaguely: root
 *      <svg> with version="1.2" and baseProfile="tiny-ps", no root x/y,
 *      <title> the first child element and non-empty, forbidden elements by
 *      name (script, animation, a, image, foreignObject, style, audio/video),
 *      style and on* attributes, references that leave the document (href,
 *      xlink:href or url() not "#fragment", XInclude, xml-stylesheet);
 *      warnings for a missing or non-square viewBox (§6 rule 11: a
 *      recommendation only, §12 pitfall 9) and titles over 64 characters;
 *   4. RelaxNG validation against the embedded data/schema/SVG_PS-latest.rng
 *      (compiled once per process), every error kept with its line.
 *
 * Decisions (deliberate deviations, spec §6 rule 8 and §12 pitfall 8):
 *  - <use xlink:href="#id">: ACCEPTED with the warning "xlink-href". The
 *    schema only knows an unprefixed href on <use>, so strict RelaxNG
 *    validators (Mail::BIMI, Halon) reject the SVG Tiny 1.2 spelling, while
 *    the draft's rule is "no external references" and mailauth accepts it.
 *    An internal fragment is exactly as safe in either spelling, so before
 *    RelaxNG runs, xlink:href="#..." on an SVG <use> that has no href is
 *    renamed to href in our private tree (the caller's bytes are unchanged).
 *    The warning tells the sender that other receivers may refuse the logo.
 *    Any other xlink:href (on another element, or not "#...") is left for the
 *    schema and, when it leaves the document, is "external-reference".
 *  - A DOCTYPE that declares nothing (e.g. the SVG 1.1 public identifier) is
 *    a warning "doctype": its DTD is never loaded. Any declaration in an
 *    internal subset is an error: entities (billion laughs, XXE) and default
 *    attributes would make our tree differ from the renderer's.
 *  - A RelaxNG engine failure (xmlRelaxNGValidateDoc < 0) is an error
 *    "schema" in the result, not a GError: fail closed on hostile input.
 *  - Gzip input (SVGZ) is "not-xml": the fetcher decompresses, bounded.
 *
 * Thread safety: xmlInitParser() and the schema compile run once (g_once).
 * Each call owns its parser and validation contexts (libxml2 RelaxNG
 * validation contexts must not be shared; the compiled schema is read-only).
 * Errors reach us through per-context structured handlers; libxml2's
 * per-thread fallback handlers are swapped for collecting ones for the
 * duration of a call and restored before it returns, so nothing is printed
 * and no global handler stays installed.
 */
#include "engine/svg.h"
#include "engine/base/base-mem.h"
#include "engine/svg-private.h"
#include "engine/limits.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

G_DEFINE_QUARK(bimi-svg-error-quark, bimi_svg_error)

#define SVG_NS "http://www.w3.org/2000/svg"
#define XLINK_NS "http://www.w3.org/1999/xlink"
#define XINCLUDE_NS "http://www.w3.org/2001/XInclude"
#define XINCLUDE_OLD_NS "http://www.w3.org/2003/XInclude"

/* Longest attacker text quoted in one message, in bytes. */
#define QUOTE_MAX 64u
/* Longest message kept (libxml2's own messages quote names in full), bytes. */
#define MESSAGE_MAX 512u

/* ---- results ------------------------------------------------------------ */

static void
issue_free(gpointer p)
{
  BimiSvgIssue *i = p;
  if (i == NULL)
    return;
  BIMI_FREE_ALL(i->message, i);
}

BIMI_DEFINE_FREE_FUNC(BimiSvgResult, bimi_svg_result_free, result)
{
  g_ptr_array_unref(result->errors);
  g_ptr_array_unref(result->warnings);
  g_free(result->title);
}

/* GEqualFunc: @issue (a BimiSvgIssue) has the code @code. */
static gboolean
issue_has_code(gconstpointer issue, gconstpointer code)
{
  return strcmp(((const BimiSvgIssue *) issue)->code, code) == 0;
}

static gboolean
has_code(GPtrArray *list, const char *code)
{
  return g_ptr_array_find_with_equal_func(list, code, issue_has_code, NULL);
}

gboolean
bimi_svg_result_has_error(const BimiSvgResult *result, const char *code)
{
  g_return_val_if_fail(result != NULL && code != NULL, FALSE);
  return has_code(result->errors, code);
}

gboolean
bimi_svg_result_has_warning(const BimiSvgResult *result, const char *code)
{
  g_return_val_if_fail(result != NULL && code != NULL, FALSE);
  return has_code(result->warnings, code);
}

GBytes *
bimi_svg_get_schema(void)
{
  return g_bytes_new_static(bimi_svg__schema_rng, bimi_svg__schema_rng_len);
}

static void
add_issue_v(BimiSvgResult *r, gboolean is_error, const char *code, guint line, const char *fmt, va_list ap)
  G_GNUC_PRINTF(5, 0);

static void
add_issue_v(BimiSvgResult *r, gboolean is_error, const char *code, guint line, const char *fmt, va_list ap)
{
  GPtrArray *list = is_error ? r->errors : r->warnings;
  if (list->len >= BIMI_SVG_MAX_ISSUES) {
    r->truncated = TRUE;
    return;
  }
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  gsize n = strlen(msg);
  if (n > MESSAGE_MAX) {
    gsize cut = MESSAGE_MAX;
    while (cut > 0 && ((guchar) msg[cut] & 0xc0) == 0x80)
      cut--;
    msg[cut] = '\0';
    char *shorter = g_strconcat(msg, "...", NULL);
    g_free(msg);
    msg = shorter;
  }
  BimiSvgIssue *issue = g_new0(BimiSvgIssue, 1);
  issue->code = code;
  issue->line = line;
  issue->message = g_utf8_make_valid(msg, -1);
  g_ptr_array_add(list, issue);
}

static void add_issue(BimiSvgResult *r, gboolean is_error, const char *code, guint line, const char *fmt, ...)
  G_GNUC_PRINTF(5, 6);

static void
add_issue(BimiSvgResult *r, gboolean is_error, const char *code, guint line, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  add_issue_v(r, is_error, code, line, fmt, ap);
  va_end(ap);
}

/* One varargs path; the names say which list an issue lands in. */
#define add_error(r, ...) add_issue((r), TRUE, __VA_ARGS__)
#define add_warning(r, ...) add_issue((r), FALSE, __VA_ARGS__)

/* Attacker text for a message: at most QUOTE_MAX bytes, cut on a character
 * boundary, "..." appended when cut. Invalid UTF-8 is repaired later. */
static char *
quote(const xmlChar *s)
{
  const char *c = (const char *) s;
  if (c == NULL)
    return g_strdup("");
  gsize n = strlen(c);
  if (n <= QUOTE_MAX)
    return g_strdup(c);
  gsize cut = QUOTE_MAX;
  while (cut > 0 && ((guchar) c[cut] & 0xc0) == 0x80)
    cut--;
  return g_strdup_printf("%.*s...", (int) cut, c);
}

/* libxml2 messages end with a newline. */
static char *
trim_message(const char *m)
{
  return g_strstrip(g_strdup(m != NULL ? m : "(no message)"));
}

static guint
node_line(const xmlNode *n)
{
  long l = xmlGetLineNo(n);
  return l > 0 && l <= G_MAXUINT ? (guint) l : 0;
}

static gint
issue_cmp(gconstpointer a, gconstpointer b)
{
  const BimiSvgIssue *x = *(const BimiSvgIssue *const *) a;
  const BimiSvgIssue *y = *(const BimiSvgIssue *const *) b;
  return (x->line > y->line) - (x->line < y->line);
}

/* ---- error routing -------------------------------------------------------- */

/* Where errors raised outside a per-context handler go during one call. */
typedef struct {
  BimiSvgResult *result;
  const char *stray_code; /* not-xml while parsing, schema while validating */
} Collector;

static void
collect_structured(Collector *c, const xmlError *err, const char *code)
{
  g_autofree char *m = trim_message(err->message);
  guint line = err->line > 0 ? (guint) err->line : 0;
  if (line == 0 && err->node != NULL)
    line = node_line(err->node);
  if (err->level == XML_ERR_WARNING)
    add_warning(c->result, BIMI_SVG_CODE_XML_WARNING, line, "%s", m);
  else
    add_error(c->result, code, line, "%s", m);
}

static void
stray_structured_error(void *user, xmlErrorPtr err)
{
  Collector *c = user;
  if (c == NULL || err == NULL)
    return;
  collect_structured(c, err, c->stray_code);
}

static void stray_generic_error(void *user, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* libxml2's unstructured channel (internal diagnostics only): debug log. */
static void
stray_generic_error(void *user, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *m = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *e = g_strescape(m, NULL);
  g_debug("svg: libxml2: %s", e);
}

/* The calling thread's libxml2 fallback handlers, saved and restored. */
typedef struct {
  xmlStructuredErrorFunc serror;
  void *serror_ctx;
  xmlGenericErrorFunc gerror;
  void *gerror_ctx;
} HandlerGuard;

static void
guard_install(HandlerGuard *g, Collector *c)
{
  g->serror = xmlStructuredError;
  g->serror_ctx = xmlStructuredErrorContext;
  g->gerror = xmlGenericError;
  g->gerror_ctx = xmlGenericErrorContext;
  xmlSetStructuredErrorFunc(c, stray_structured_error);
  xmlSetGenericErrorFunc(c, stray_generic_error);
}

static void
guard_restore(const HandlerGuard *g)
{
  xmlSetStructuredErrorFunc(g->serror_ctx, g->serror);
  xmlSetGenericErrorFunc(g->gerror_ctx, g->gerror);
}

/* ---- the schema, compiled once ------------------------------------------ */

typedef struct {
  xmlRelaxNGPtr schema;
  char *error; /* why it did not compile */
} SchemaOnce;

static void
schema_parse_error(void *user, xmlErrorPtr err)
{
  GString *s = user;
  if (err == NULL || err->level == XML_ERR_WARNING)
    return;
  g_autofree char *m = trim_message(err->message);
  if (s->len < 4096)
    g_string_append_printf(s, "%sline %d: %s", s->len > 0 ? "; " : "", err->line, m);
}

static gpointer
compile_schema(gpointer data)
{
  SchemaOnce *once = g_new0(SchemaOnce, 1);
  g_autoptr(GString) errors = g_string_new(NULL);
  BimiSvgResult sink = { 0 };
  Collector c = { &sink, BIMI_SVG_CODE_SCHEMA };
  HandlerGuard guard;

  xmlInitParser();
  sink.errors = g_ptr_array_new_with_free_func(issue_free);
  sink.warnings = g_ptr_array_new_with_free_func(issue_free);
  guard_install(&guard, &c);

  xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewMemParserCtxt(bimi_svg__schema_rng, (int) bimi_svg__schema_rng_len);
  if (pctxt != NULL) {
    xmlRelaxNGSetParserStructuredErrors(pctxt, schema_parse_error, errors);
    once->schema = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
  }
  guard_restore(&guard);

  if (once->schema == NULL) {
    for (guint i = 0; i < sink.errors->len; i++)
      g_string_append_printf(errors, "; %s", ((BimiSvgIssue *) sink.errors->pdata[i])->message);
    once->error = g_strdup_printf("the embedded SVG Tiny PS schema (%" G_GSIZE_FORMAT " bytes) does not compile: %s",
                                  bimi_svg__schema_rng_len, errors->len > 0 ? errors->str : "libxml2 gave no reason");
  }
  g_ptr_array_unref(sink.errors);
  g_ptr_array_unref(sink.warnings);
  return once;
}

static xmlRelaxNGPtr
get_schema(GError **error)
{
  static GOnce once = G_ONCE_INIT;
  const SchemaOnce *s = g_once(&once, compile_schema, NULL);
  if (s->schema == NULL) {
    g_set_error_literal(error, BIMI_SVG_ERROR, BIMI_SVG_ERROR_SCHEMA, s->error);
    return NULL;
  }
  return s->schema;
}

gboolean
bimi_svg_init(GError **error)
{
  return get_schema(error) != NULL;
}

/* ---- parsing (§6 rule 12) ------------------------------------------------ */

typedef struct {
  Collector *collector;
  guint depth;
  guint nodes;
  gboolean refused; /* we stopped the parser: the document is not evaluated further */
  gboolean doctype;
  guint doctype_line;
} ParseState;

static ParseState *
state_of(void *ctx)
{
  return ((xmlParserCtxtPtr) ctx)->_private;
}

static guint
parser_line(void *ctx)
{
  int l = xmlSAX2GetLineNumber(ctx);
  return l > 0 ? (guint) l : 0;
}

static void refuse(void *ctx, const char *code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Records one error and stops the parser: nothing after it is looked at. */
static void
refuse(void *ctx, const char *code, const char *fmt, ...)
{
  ParseState *st = state_of(ctx);
  va_list ap;
  if (st->refused)
    return;
  va_start(ap, fmt);
  add_issue_v(st->collector->result, TRUE, code, parser_line(ctx), fmt, ap);
  va_end(ap);
  st->refused = TRUE;
  xmlStopParser(ctx);
}

static gboolean
count_node(void *ctx)
{
  ParseState *st = state_of(ctx);
  if (st->refused)
    return FALSE;
  if (st->nodes >= BIMI_SVG_MAX_NODES) {
    refuse(ctx, BIMI_SVG_CODE_TOO_MANY_NODES,
           "more than %u elements, comments, processing instructions and CDATA sections", BIMI_SVG_MAX_NODES);
    return FALSE;
  }
  st->nodes++;
  return TRUE;
}

/* libxml2 stamps an element with the line where its start tag ENDS; a
 * multi-line start tag (common in editor output) should be reported where it
 * begins. At this callback the input still holds the whole tag (libxml2
 * shrinks its buffer only before a tag, keeping the "<"), and "<" cannot occur
 * inside a tag (not even in attribute values), so the last "<" before the
 * cursor opens it; the newlines in between are subtracted. */
static guint
tag_start_line(void *ctx)
{
  xmlParserCtxtPtr ctxt = ctx;
  xmlParserInputPtr in = ctxt->input;
  guint line = parser_line(ctx);
  guint newlines = 0;

  if (in == NULL || in->base == NULL || in->cur == NULL || in->cur < in->base)
    return line;
  for (const xmlChar *p = in->cur; p > in->base;) {
    p--;
    if (*p == '<')
      return line > newlines ? line - newlines : 1;
    if (*p == '\n')
      newlines++;
  }
  return line;
}

static void
sax_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri, int nb_namespaces,
                  const xmlChar **namespaces, int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
  ParseState *st = state_of(ctx);
  if (!count_node(ctx))
    return;
  if (st->depth >= BIMI_SVG_MAX_DEPTH) {
    g_autofree char *q = quote(localname);
    refuse(ctx, BIMI_SVG_CODE_TOO_DEEP, "element <%s> nested deeper than %u levels", q, BIMI_SVG_MAX_DEPTH);
    return;
  }
  st->depth++;
  guint line = tag_start_line(ctx);
  xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                        attributes);
  xmlParserCtxtPtr ctxt = ctx;
  if (ctxt->node != NULL && line > 0 && line < 65535)
    ctxt->node->line = (unsigned short) line;
}

static void
sax_end_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
  ParseState *st = state_of(ctx);
  if (st->refused)
    return;
  if (st->depth > 0)
    st->depth--;
  xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

static void
sax_comment(void *ctx, const xmlChar *value)
{
  if (count_node(ctx))
    xmlSAX2Comment(ctx, value);
}

static void
sax_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
  if (count_node(ctx))
    xmlSAX2ProcessingInstruction(ctx, target, data);
}

static void
sax_cdata(void *ctx, const xmlChar *value, int len)
{
  if (count_node(ctx))
    xmlSAX2CDataBlock(ctx, value, len);
}

/* <!DOCTYPE name ...>: noted (a warning if nothing is declared); no DTD node is
 * built and no external subset is ever loaded. */
static void
sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
  ParseState *st = state_of(ctx);
  st->doctype = TRUE;
  st->doctype_line = parser_line(ctx);
}

static void
sax_external_subset(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
}

static xmlParserInputPtr
sax_resolve_entity(void *ctx, const xmlChar *public_id, const xmlChar *system_id)
{
  return NULL;
}

static void
sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id, const xmlChar *system_id,
                xmlChar *content)
{
  g_autofree char *q = quote(name);
  refuse(ctx, BIMI_SVG_CODE_DOCTYPE_ENTITY, "the DOCTYPE declares the %sentity \"%s\"%s; entities are refused",
         type == XML_INTERNAL_PARAMETER_ENTITY || type == XML_EXTERNAL_PARAMETER_ENTITY ? "parameter " : "", q,
         system_id != NULL ? " (external)" : "");
}

static void
sax_unparsed_entity_decl(void *ctx, const xmlChar *name, const xmlChar *public_id, const xmlChar *system_id,
                         const xmlChar *notation)
{
  g_autofree char *q = quote(name);
  refuse(ctx, BIMI_SVG_CODE_DOCTYPE_ENTITY, "the DOCTYPE declares the unparsed entity \"%s\"; entities are refused",
         q);
}

static void
sax_element_decl(void *ctx, const xmlChar *name, int type, xmlElementContentPtr content)
{
  g_autofree char *q = quote(name);
  refuse(ctx, BIMI_SVG_CODE_DOCTYPE_SUBSET, "the DOCTYPE declares the element \"%s\"; DTD declarations are refused",
         q);
}

static void
sax_attribute_decl(void *ctx, const xmlChar *elem, const xmlChar *fullname, int type, int def,
                   const xmlChar *default_value, xmlEnumerationPtr tree)
{
  g_autofree char *q = quote(fullname);
  /* libxml2 hands the enumeration over to the callback. */
  xmlFreeEnumeration(tree);
  refuse(ctx, BIMI_SVG_CODE_DOCTYPE_SUBSET,
         "the DOCTYPE declares the attribute \"%s\"; DTD declarations (default attributes) are refused", q);
}

static void
sax_notation_decl(void *ctx, const xmlChar *name, const xmlChar *public_id, const xmlChar *system_id)
{
  g_autofree char *q = quote(name);
  refuse(ctx, BIMI_SVG_CODE_DOCTYPE_SUBSET, "the DOCTYPE declares the notation \"%s\"; DTD declarations are refused",
         q);
}

static void
parse_error(void *user, xmlErrorPtr err)
{
  /* userData of a parser context is the context itself. */
  ParseState *st = state_of(user);
  if (err == NULL || st->refused)
    return;
  collect_structured(st->collector, err, BIMI_SVG_CODE_NOT_XML);
}

/* Parses @data into *@out; *@out = NULL when it is not well-formed or was
 * refused (the reason is in the result). FALSE + @error only when libxml2
 * cannot make a context. */
static gboolean
parse_document(const guint8 *data, gsize len, Collector *c, xmlDocPtr *out, GError **error)
{
  ParseState st = { .collector = c };
  guint errors_before = c->result->errors->len;
  xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt((const char *) data, (int) len);
  xmlDocPtr doc;
  gboolean well_formed;

  if (ctxt == NULL) {
    g_set_error(error, BIMI_SVG_ERROR, BIMI_SVG_ERROR_INTERNAL, "libxml2 could not create a parser context");
    return FALSE;
  }
  xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
  /* Whatever process-wide defaults another library set: no entity
   * substitution, no DTD loading or validation, no default attributes. */
  ctxt->replaceEntities = 0;
  ctxt->loadsubset = 0;
  ctxt->validate = 0;
  ctxt->recovery = 0;
  ctxt->linenumbers = 1;
  ctxt->_private = &st;

  xmlSAXHandlerPtr sax = ctxt->sax;
  sax->serror = parse_error;
  sax->startElementNs = sax_start_element;
  sax->endElementNs = sax_end_element;
  sax->comment = sax_comment;
  sax->processingInstruction = sax_pi;
  sax->cdataBlock = sax_cdata;
  sax->internalSubset = sax_internal_subset;
  sax->externalSubset = sax_external_subset;
  sax->resolveEntity = sax_resolve_entity;
  sax->entityDecl = sax_entity_decl;
  sax->unparsedEntityDecl = sax_unparsed_entity_decl;
  sax->elementDecl = sax_element_decl;
  sax->attributeDecl = sax_attribute_decl;
  sax->notationDecl = sax_notation_decl;

  xmlParseDocument(ctxt);
  doc = ctxt->myDoc;
  ctxt->myDoc = NULL;
  well_formed = ctxt->wellFormed && !st.refused;
  if (!well_formed && c->result->errors->len == errors_before)
    add_error(c->result, BIMI_SVG_CODE_NOT_XML, 0, "not well-formed XML");
  if (well_formed && doc != NULL && st.doctype)
    add_warning(c->result, BIMI_SVG_CODE_DOCTYPE, st.doctype_line,
                "DOCTYPE ignored: its DTD is not loaded (SVG Tiny PS needs none)");
  xmlFreeParserCtxt(ctxt);
  if (!well_formed || doc == NULL) {
    xmlFreeDoc(doc);
    doc = NULL;
  }
  *out = doc;
  return TRUE;
}

/* ---- profile rules (§6 rules 1–8, 11) ------------------------------------ */

static gboolean
is_ns(const xmlNode *n, const char *ns)
{
  return n->ns != NULL && n->ns->href != NULL && strcmp((const char *) n->ns->href, ns) == 0;
}

static gboolean
is_svg(const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && is_ns(n, SVG_NS) && strcmp((const char *) n->name, name) == 0;
}

/* The profile's rules against elements: each rule's code and reason once,
 * then the elements it forbids (all are also outside the schema's 23
 * elements; the schema reports the rest). */
typedef struct {
  const char *code;
  const char *why;
  const char *const elements[7]; /* NULL-terminated: at most 6 */
} ForbiddenRule;

static const ForbiddenRule forbidden_rules[] = {
  { BIMI_SVG_CODE_SCRIPT, "scripts are not allowed (RFC 6170 §5.2, SVG Tiny 1.2 §15)", { "script" } },
  { BIMI_SVG_CODE_SCRIPT, "event handlers are not allowed (SVG Tiny 1.2 §15)", { "handler" } },
  { BIMI_SVG_CODE_SCRIPT, "event listeners are not allowed (SVG Tiny 1.2 §15)", { "listener" } },
  { BIMI_SVG_CODE_ANIMATION, "animation is not allowed (SVG Tiny 1.2 §16)",
    { "animate", "set", "animateMotion", "animateColor", "animateTransform", "discard" } },
  { BIMI_SVG_CODE_ANIMATION, "embedded animations are not allowed (SVG Tiny 1.2 §12)", { "animation" } },
  { BIMI_SVG_CODE_LINK, "links are not allowed (SVG Tiny 1.2 §14)", { "a" } },
  { BIMI_SVG_CODE_IMAGE, "raster images are not allowed (draft §2.3, SVG Tiny 1.2 §5.7)", { "image" } },
  { BIMI_SVG_CODE_MEDIA, "media are not allowed (SVG Tiny 1.2 §12)", { "audio", "video" } },
  { BIMI_SVG_CODE_FOREIGN_OBJECT, "foreign content is not allowed", { "foreignObject" } },
  { BIMI_SVG_CODE_STYLE, "CSS is not allowed: use presentation attributes (§6 rule 6)", { "style" } },
};

/* The rule that forbids the element @name (local name), or NULL. */
static const ForbiddenRule *
forbidden_rule(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(forbidden_rules); i++)
    if (g_strv_contains(forbidden_rules[i].elements, name))
      return &forbidden_rules[i];
  return NULL;
}

static char *
attr_value(const xmlAttr *a)
{
  xmlChar *v = xmlNodeGetContent((const xmlNode *) a);
  char *copy = g_strdup(v != NULL ? (const char *) v : "");
  xmlFree(v);
  return copy;
}

/* Every url(...) in @value must be url(#...) (optionally quoted). CSS
 * function names are ASCII case-insensitive, so URL( counts too. */
static gboolean
urls_are_internal(const char *value)
{
  for (const char *p = value; *p != '\0'; p++) {
    if (g_ascii_strncasecmp(p, "url(", 4) != 0)
      continue;
    p += 4;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (*p == '"' || *p == '\'')
      p++;
    if (*p != '#')
      return FALSE;
  }
  return TRUE;
}

static void
check_attributes(xmlNode *el, BimiSvgResult *r)
{
  guint line = node_line(el);
  g_autofree char *qe = quote(el->name);

  for (xmlAttr *a = el->properties; a != NULL; a = a->next) {
    g_autofree char *v = attr_value(a);
    g_autofree char *qn = quote(a->name);
    g_autofree char *qv = quote((const xmlChar *) v);
    gboolean xlink = a->ns != NULL && a->ns->href != NULL && strcmp((const char *) a->ns->href, XLINK_NS) == 0;
    const char *prefix = a->ns != NULL && a->ns->prefix != NULL ? (const char *) a->ns->prefix : NULL;
    g_autofree char *name = prefix != NULL ? g_strdup_printf("%.32s:%s", prefix, qn) : g_strdup(qn);

    if (a->ns == NULL && strcmp((const char *) a->name, "style") == 0)
      add_error(r, BIMI_SVG_CODE_STYLE, line, "<%s> has a style attribute; CSS is not allowed (§6 rule 6)", qe);
    if (a->ns == NULL && g_ascii_strncasecmp((const char *) a->name, "on", 2) == 0 && a->name[2] != '\0')
      add_error(r, BIMI_SVG_CODE_EVENT_ATTRIBUTE, line, "<%s> has the event attribute %s (no scripting, §6 rule 6)",
                qe, qn);
    if (strcmp((const char *) a->name, "href") == 0 && (a->ns == NULL || xlink) && v[0] != '#')
      add_error(r, BIMI_SVG_CODE_EXTERNAL_REF, line,
                "<%s %s=\"%s\">: only references inside the document (\"#id\") are allowed (§6 rule 8)", qe, name,
                qv);
    if (!urls_are_internal(v))
      add_error(r, BIMI_SVG_CODE_EXTERNAL_REF, line,
                "<%s %s=\"%s\">: url() must name an element of the document (\"url(#id)\", §6 rule 8)", qe, name,
                qv);
  }
}

/* The xlink:href decision (file comment): <use xlink:href="#id"> becomes
 * <use href="#id"> in our tree, with a warning. */
static void
accept_internal_xlink_href(xmlNode *el, BimiSvgResult *r)
{
  xmlAttr *xa = xmlHasNsProp(el, (const xmlChar *) "href", (const xmlChar *) XLINK_NS);
  if (xa == NULL || xmlHasNsProp(el, (const xmlChar *) "href", NULL) != NULL)
    return;
  g_autofree char *v = attr_value(xa);
  if (v[0] != '#')
    return;
  g_autofree char *qv = quote((const xmlChar *) v);
  add_warning(r, BIMI_SVG_CODE_XLINK_HREF, node_line(el),
              "<use xlink:href=\"%s\"> accepted as href (internal reference); the BIMI Group schema allows only "
              "href, so strict validators reject this logo",
              qv);
  xmlRemoveProp(xa);
  xmlNewNsProp(el, NULL, (const xmlChar *) "href", (const xmlChar *) v);
}

static void
check_tree(xmlNode *el, BimiSvgResult *r)
{
  for (xmlNode *n = el; n != NULL; n = n->next) {
    if (n->type == XML_PI_NODE) {
      if (strcmp((const char *) n->name, "xml-stylesheet") == 0)
        add_error(r, BIMI_SVG_CODE_STYLE, node_line(n),
                  "<?xml-stylesheet?> is not allowed: no CSS, no external resources (§6 rules 6 and 8)");
      continue;
    }
    if (n->type != XML_ELEMENT_NODE)
      continue;
    if (is_ns(n, XINCLUDE_NS) || is_ns(n, XINCLUDE_OLD_NS))
    {
      g_autofree char *q = quote(n->name);
      add_error(r, BIMI_SVG_CODE_EXTERNAL_REF, node_line(n), "XInclude <%s> is not allowed (§6 rule 12)", q);
    }
    const ForbiddenRule *rule = is_ns(n, SVG_NS) ? forbidden_rule((const char *) n->name) : NULL;
    if (rule != NULL)
      add_error(r, rule->code, node_line(n), "<%s>: %s", (const char *) n->name, rule->why);
    check_attributes(n, r);
    if (is_svg(n, "use"))
      accept_internal_xlink_href(n, r);
    /* Depth is bounded by BIMI_SVG_MAX_DEPTH while parsing. */
    check_tree(n->children, r);
  }
}

/* Trims @value and checks it equals @want (the schema compares tokens). */
static gboolean
token_equals(const char *value, const char *want)
{
  g_autofree char *t = g_strstrip(g_strdup(value));
  return strcmp(t, want) == 0;
}

static void
check_fixed_root_attribute(xmlNode *root, const char *name, const char *want, const char *code, BimiSvgResult *r)
{
  xmlAttr *a = xmlHasNsProp(root, (const xmlChar *) name, NULL);
  if (a == NULL) {
    add_error(r, code, node_line(root), "the root <svg> lacks %s=\"%s\" (§6 rule 2)", name, want);
    return;
  }
  g_autofree char *v = attr_value(a);
  if (!token_equals(v, want)) {
    g_autofree char *q = quote((const xmlChar *) v);
    add_error(r, code, node_line(root), "the root <svg> has %s=\"%s\"; SVG Tiny PS requires \"%s\" (§6 rule 2)", name,
              q, want);
  }
}

/* viewBox = four numbers separated by white space and/or one comma. */
static gboolean
parse_viewbox(const char *s, double out[4])
{
  const char *p = s;
  for (int i = 0; i < 4; i++) {
    char *end = NULL;
    while (g_ascii_isspace(*p))
      p++;
    if (i > 0 && *p == ',') {
      p++;
      while (g_ascii_isspace(*p))
        p++;
    }
    if (!(g_ascii_isdigit(*p) || *p == '-' || *p == '+' || *p == '.'))
      return FALSE;
    out[i] = g_ascii_strtod(p, &end);
    if (end == p || !isfinite(out[i]))
      return FALSE;
    p = end;
  }
  while (g_ascii_isspace(*p))
    p++;
  return *p == '\0';
}

static void
check_viewbox(xmlNode *root, BimiSvgResult *r)
{
  xmlAttr *a = xmlHasNsProp(root, (const xmlChar *) "viewBox", NULL);
  double vb[4];
  if (a == NULL) {
    add_warning(r, BIMI_SVG_CODE_VIEWBOX_MISSING, node_line(root),
                "the root <svg> has no viewBox; a square viewBox is recommended (§6 rule 11)");
    return;
  }
  g_autofree char *v = attr_value(a);
  g_autofree char *q = quote((const xmlChar *) v);
  if (!parse_viewbox(v, vb) || vb[2] <= 0 || vb[3] <= 0) {
    add_warning(r, BIMI_SVG_CODE_VIEWBOX_MISSING, node_line(root),
                "viewBox=\"%s\" is not four numbers with a positive width and height; a square viewBox is "
                "recommended (§6 rule 11)",
                q);
    return;
  }
  if (fabs(vb[2] - vb[3]) > 1e-9 * MAX(vb[2], vb[3]))
    add_warning(r, BIMI_SVG_CODE_NOT_SQUARE, node_line(root),
                "viewBox=\"%s\" is not square (%g x %g); a square aspect ratio is recommended (§6 rule 11)", q, vb[2],
                vb[3]);
}

/* Title text for display: white space runs collapsed to one space, trimmed. */
static char *
title_text(xmlNode *title)
{
  xmlChar *content = xmlNodeGetContent(title);
  const char *p = content != NULL ? (const char *) content : "";
  GString *out = g_string_new(NULL);
  gboolean space = FALSE;
  for (; *p != '\0'; p++) {
    if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
      space = out->len > 0;
      continue;
    }
    if (space)
      g_string_append_c(out, ' ');
    space = FALSE;
    g_string_append_c(out, *p);
  }
  xmlFree(content);
  char *s = g_string_free(out, FALSE);
  char *valid = g_utf8_make_valid(s, -1);
  g_free(s);
  return valid;
}

static void
check_title(xmlNode *root, BimiSvgResult *r)
{
  xmlNode *first_element = NULL;
  xmlNode *title = NULL;

  for (xmlNode *n = root->children; n != NULL; n = n->next) {
    if (n->type != XML_ELEMENT_NODE)
      continue;
    if (first_element == NULL)
      first_element = n;
    if (!is_svg(n, "title"))
      continue;
    if (title == NULL)
      title = n;
    else
      add_error(r, BIMI_SVG_CODE_TITLE_DUPLICATE, node_line(n),
                "a second <title> (the first is on line %u); exactly one is allowed (§6 rule 4)", node_line(title));
  }
  if (title == NULL) {
    add_error(r, BIMI_SVG_CODE_TITLE_MISSING, node_line(root),
              "the root <svg> has no <title> child; it is required and becomes the logo's alt text (§6 rule 4)");
    return;
  }
  if (title != first_element) {
    g_autofree char *q = quote(first_element->name);
    add_error(r, BIMI_SVG_CODE_TITLE_NOT_FIRST, node_line(title),
              "<title> must be the first child element of <svg>, but <%s> (line %u) comes first (§6 rule 4)", q,
              node_line(first_element));
  }
  g_autofree char *text = title_text(title);
  if (text[0] == '\0') {
    add_error(r, BIMI_SVG_CODE_TITLE_EMPTY, node_line(title), "<title> is empty (§6 rule 4)");
    return;
  }
  if (g_utf8_strlen(text, -1) > (glong) BIMI_SVG_TITLE_RECOMMENDED_CHARS)
    add_warning(r, BIMI_SVG_CODE_TITLE_LONG, node_line(title),
                "<title> has %ld characters; at most %u are recommended (§6 rule 4)", g_utf8_strlen(text, -1),
                BIMI_SVG_TITLE_RECOMMENDED_CHARS);
  r->title = g_steal_pointer(&text);
}

static void
check_profile(xmlDocPtr doc, BimiSvgResult *r)
{
  xmlNode *root = xmlDocGetRootElement(doc);
  if (root == NULL) {
    add_error(r, BIMI_SVG_CODE_NOT_XML, 0, "no root element");
    return;
  }
  if (!is_svg(root, "svg")) {
    g_autofree char *q = quote(root->name);
    add_error(r, BIMI_SVG_CODE_NOT_SVG, node_line(root),
              "the root element is <%s>%s%s; it must be <svg> in the namespace " SVG_NS " (§6 rule 1)", q,
              root->ns != NULL ? " in the namespace " : " in no namespace",
              root->ns != NULL ? (const char *) root->ns->href : "");
  } else {
    check_fixed_root_attribute(root, "version", "1.2", BIMI_SVG_CODE_VERSION, r);
    check_fixed_root_attribute(root, "baseProfile", "tiny-ps", BIMI_SVG_CODE_BASE_PROFILE, r);
    if (xmlHasNsProp(root, (const xmlChar *) "x", NULL) != NULL)
      add_error(r, BIMI_SVG_CODE_ROOT_X_Y, node_line(root), "the root <svg> must not have an x attribute (§6 rule 3)");
    if (xmlHasNsProp(root, (const xmlChar *) "y", NULL) != NULL)
      add_error(r, BIMI_SVG_CODE_ROOT_X_Y, node_line(root), "the root <svg> must not have a y attribute (§6 rule 3)");
    check_viewbox(root, r);
    check_title(root, r);
  }
  check_tree(doc->children, r);
}

/* ---- RelaxNG (§6) ------------------------------------------------------------ */

static void
schema_valid_error(void *user, xmlErrorPtr err)
{
  Collector *c = user;
  if (err == NULL)
    return;
  collect_structured(c, err, BIMI_SVG_CODE_SCHEMA);
}

static gboolean
validate_schema(xmlRelaxNGPtr schema, xmlDocPtr doc, Collector *c, GError **error)
{
  guint before = c->result->errors->len;
  gboolean truncated_before = c->result->truncated;
  xmlRelaxNGValidCtxtPtr v = xmlRelaxNGNewValidCtxt(schema);
  xmlNode *root = xmlDocGetRootElement(doc);
  guint root_line = root != NULL ? node_line(root) : 0;
  int rc;

  if (v == NULL) {
    g_set_error(error, BIMI_SVG_ERROR, BIMI_SVG_ERROR_INTERNAL, "libxml2 could not create a RelaxNG validation context");
    return FALSE;
  }
  xmlRelaxNGSetValidStructuredErrors(v, schema_valid_error, c);
  rc = xmlRelaxNGValidateDoc(v, doc);
  xmlRelaxNGFreeValidCtxt(v);
  if (rc < 0)
    add_error(c->result, BIMI_SVG_CODE_SCHEMA, root_line, "the RelaxNG validator failed on this document (refused)");
  else if (rc > 0 && c->result->errors->len == before && c->result->truncated == truncated_before)
    add_error(c->result, BIMI_SVG_CODE_SCHEMA, root_line, "the document does not match the SVG Tiny PS schema");

  /* libxml2 raises some summaries ("Element svg failed to validate
   * attributes") without a node: give them the line of the detail that
   * follows (or precedes) them, else the root's. */
  GPtrArray *errs = c->result->errors;
  for (guint i = before; i < errs->len; i++) {
    BimiSvgIssue *issue = errs->pdata[i];
    if (issue->line != 0 || strcmp(issue->code, BIMI_SVG_CODE_SCHEMA) != 0)
      continue;
    guint line = 0;
    for (guint j = i + 1; j < errs->len && line == 0; j++)
      line = ((BimiSvgIssue *) errs->pdata[j])->line;
    for (guint j = i; j > before && line == 0; j--)
      line = ((BimiSvgIssue *) errs->pdata[j - 1])->line;
    issue->line = line != 0 ? line : root_line;
  }
  return TRUE;
}

/* ---- entry point ------------------------------------------------------------- */

BimiSvgResult *
bimi_svg_validate(GBytes *svg, GError **error)
{
  gsize len = 0;
  const guint8 *data;
  xmlRelaxNGPtr schema;
  g_autoptr(BimiSvgResult) r = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail(svg != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  schema = get_schema(error);
  if (schema == NULL)
    return NULL;

  data = g_bytes_get_data(svg, &len);
  r = g_new0(BimiSvgResult, 1);
  r->errors = g_ptr_array_new_with_free_func(issue_free);
  r->warnings = g_ptr_array_new_with_free_func(issue_free);
  r->size = len;

  if (len > BIMI_SVG_MAX_BYTES) {
    add_error(r, BIMI_SVG_CODE_TOO_LARGE, 0,
              "%" G_GSIZE_FORMAT " bytes; an SVG Tiny PS indicator may have at most %u bytes uncompressed (§6 rule 9)",
              len, BIMI_SVG_MAX_BYTES);
  } else if (len == 0) {
    add_error(r, BIMI_SVG_CODE_NOT_XML, 0, "empty document");
  } else if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    add_error(r, BIMI_SVG_CODE_NOT_XML, 0, "gzip-compressed data (SVGZ): decompress it before validation");
  } else {
    Collector c = { r, BIMI_SVG_CODE_NOT_XML };
    HandlerGuard guard;
    xmlDocPtr doc = NULL;

    guard_install(&guard, &c);
    ok = parse_document(data, len, &c, &doc, error);
    if (ok && doc != NULL) {
      check_profile(doc, r);
      c.stray_code = BIMI_SVG_CODE_SCHEMA;
      ok = validate_schema(schema, doc, &c, error);
    }
    xmlFreeDoc(doc);
    guard_restore(&guard);
  }
  if (!ok)
    return NULL;

  g_ptr_array_sort(r->errors, issue_cmp);
  g_ptr_array_sort(r->warnings, issue_cmp);
  r->valid = r->errors->len == 0;
  return g_steal_pointer(&r);
}
