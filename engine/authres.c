/* engine/authres.c — RFC 8601 Authentication-Results: writer and parser.
 *
 * Implements RFC 8601 §2.2 (authres-payload, resinfo, methodspec, reasonspec,
 * propspec, pvalue), §2.3 (ptype.property), §2.5 (authserv-id), §2.7.6
 * (unknown methods are kept, not rejected), with CFWS, quoted-string and
 * comments from RFC 5322 §3.2.2-§3.2.4, "value" from RFC 2045 §5.1 and 8-bit
 * UTF-8 inside quoted-strings and comments per RFC 6532 §3.2.
 *
 * Deliberate deviations when parsing (each met in real headers; all listed in
 * authres.h):
 *  - '/' is accepted in bare values (base64 "header.b=Qgi/FoC0"), although it
 *    is an RFC 2045 tspecial; ':' and the other specials are not (an IPv6
 *    address must be quoted, as the authres suite expects).
 *  - A "name=value" without "ptype." among the properties is parsed and then
 *    dropped, as the authres reference implementation does (RFC 8601 has no
 *    such production; rejecting the whole field would lose the other results).
 *    "reason=" is recognised there too, so a reason after properties counts.
 *  - One ";" after the last resinfo (or after "none") is tolerated; a ";"
 *    after the authserv-id with nothing after it is still an error.
 *  - LF + WSP folds like CRLF + WSP; one CRLF (or LF) ending the input is ignored.
 *  - A quoted local-part in a pvalue ("john doe"@example.com) is not supported.
 * When writing, nothing deviates: values that are not RFC 2045 tokens or
 * [local-part]@domain-name are quoted, so our own output is strict RFC 8601.
 * The writer does not fold (one line); callers may fold at any space.
 */
#include "engine/authres.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-rfc5322.h"
#include "engine/limits.h"

#include <string.h>

G_DEFINE_QUARK(bimi-authres-error-quark, bimi_authres_error)

/* ---- plain data --------------------------------------------------------- */

/* A zeroed struct of @size bytes with copies of the @n strings @in right after it, in one
 * allocation (issue 21: the A-R of one evaluation has some 25 properties, each one block
 * instead of four); the copy of @in[i] is stored in the char * member at offset @at[i].
 * Freed with g_free() alone. */
static gpointer
alloc_with_strings(gsize size, guint n, const char *const *in, const gsize *at)
{
  gsize len[3], total = size;

  g_assert(n <= G_N_ELEMENTS(len));
  for (guint i = 0; i < n; i++) {
    len[i] = strlen(in[i]) + 1;
    if (!g_size_checked_add(&total, total, len[i]))
      g_error("authres: %" G_GSIZE_FORMAT " bytes", len[i]);
  }
  guint8 *block = g_malloc0(total);
  char *copy = (char *) block + size;
  for (guint i = 0; i < n; i++) {
    char **member = (char **) (void *) (block + at[i]);
    *member = memcpy(copy, in[i], len[i]);
    copy += len[i];
  }
  return block;
}

BimiAuthresProperty *
bimi_authres_property_new(const char *ptype, const char *name, const char *value)
{
  g_return_val_if_fail(ptype != NULL && *ptype != '\0', NULL);
  g_return_val_if_fail(name != NULL && *name != '\0', NULL);
  g_return_val_if_fail(value != NULL, NULL);
  const char *const in[] = { ptype, name, value };
  static const gsize at[] = { G_STRUCT_OFFSET(BimiAuthresProperty, ptype), G_STRUCT_OFFSET(BimiAuthresProperty, name),
                              G_STRUCT_OFFSET(BimiAuthresProperty, value) };
  return alloc_with_strings(sizeof(BimiAuthresProperty), G_N_ELEMENTS(in), in, at);
}

/* ptype, name and value live in the property's own block (alloc_with_strings). */
void
bimi_authres_property_free(BimiAuthresProperty *p)
{
  g_free(p);
}

BimiAuthresResult *
bimi_authres_result_new(const char *method, const char *result)
{
  g_return_val_if_fail(method != NULL && *method != '\0', NULL);
  g_return_val_if_fail(result != NULL && *result != '\0', NULL);
  const char *const in[] = { method, result };
  static const gsize at[] = { G_STRUCT_OFFSET(BimiAuthresResult, method), G_STRUCT_OFFSET(BimiAuthresResult, result) };
  BimiAuthresResult *r = alloc_with_strings(sizeof(BimiAuthresResult), G_N_ELEMENTS(in), in, at);
  r->method_version = -1;
  r->properties = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_authres_property_free);
  return r;
}

/* method and result live in the result's own block; the reason is set apart. */
BIMI_DEFINE_FREE_FUNC(BimiAuthresResult, bimi_authres_result_free, r)
{
  g_free(r->reason);
  g_ptr_array_unref(r->properties); /* always set by bimi_authres_result_new() */
}

BimiAuthres *
bimi_authres_new(const char *authserv_id)
{
  g_return_val_if_fail(authserv_id != NULL && *authserv_id != '\0', NULL);
  static const gsize at[] = { G_STRUCT_OFFSET(BimiAuthres, authserv_id) };
  BimiAuthres *ar = alloc_with_strings(sizeof(BimiAuthres), 1, &authserv_id, at);
  ar->version = -1;
  ar->results = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_authres_result_free);
  return ar;
}

/* The authserv-id lives in the header's own block, as a result's method does. */
BIMI_DEFINE_FREE_FUNC(BimiAuthres, bimi_authres_free, ar)
{
  g_ptr_array_unref(ar->results); /* always set by bimi_authres_new() */
}

BimiAuthresResult *
bimi_authres_add_result(BimiAuthres *ar, const char *method, const char *result)
{
  g_return_val_if_fail(ar != NULL, NULL);
  BimiAuthresResult *r = bimi_authres_result_new(method, result);
  g_return_val_if_fail(r != NULL, NULL);
  g_ptr_array_add(ar->results, r);
  return r;
}

void
bimi_authres_result_set_reason(BimiAuthresResult *r, const char *reason)
{
  g_return_if_fail(r != NULL);
  g_free(r->reason);
  r->reason = g_strdup(reason);
}

BimiAuthresProperty *
bimi_authres_result_add_property(BimiAuthresResult *r, const char *ptype, const char *name,
                                 const char *value)
{
  g_return_val_if_fail(r != NULL, NULL);
  BimiAuthresProperty *p = bimi_authres_property_new(ptype, name, value);
  g_return_val_if_fail(p != NULL, NULL);
  g_ptr_array_add(r->properties, p);
  return p;
}

const BimiAuthresResult *
bimi_authres_find_result(const BimiAuthres *ar, const char *method)
{
  g_return_val_if_fail(ar != NULL && method != NULL, NULL);
  for (guint i = 0; i < ar->results->len; i++) {
    const BimiAuthresResult *r = ar->results->pdata[i];
    if (g_ascii_strcasecmp(r->method, method) == 0)
      return r;
  }
  return NULL;
}

const char *
bimi_authres_result_get_property(const BimiAuthresResult *r, const char *ptype, const char *name)
{
  g_return_val_if_fail(r != NULL && ptype != NULL && name != NULL, NULL);
  for (guint i = 0; i < r->properties->len; i++) {
    const BimiAuthresProperty *p = r->properties->pdata[i];
    if (g_ascii_strcasecmp(p->ptype, ptype) == 0 && g_ascii_strcasecmp(p->name, name) == 0)
      return p->value;
  }
  return NULL;
}

gboolean
bimi_authres_equal(const BimiAuthres *a, const BimiAuthres *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (g_strcmp0(a->authserv_id, b->authserv_id) != 0 || a->version != b->version ||
      a->results->len != b->results->len)
    return FALSE;
  for (guint i = 0; i < a->results->len; i++) {
    const BimiAuthresResult *ra = a->results->pdata[i], *rb = b->results->pdata[i];
    if (g_strcmp0(ra->method, rb->method) != 0 || ra->method_version != rb->method_version ||
        g_strcmp0(ra->result, rb->result) != 0 || g_strcmp0(ra->reason, rb->reason) != 0 ||
        ra->properties->len != rb->properties->len)
      return FALSE;
    for (guint j = 0; j < ra->properties->len; j++) {
      const BimiAuthresProperty *pa = ra->properties->pdata[j], *pb = rb->properties->pdata[j];
      if (g_strcmp0(pa->ptype, pb->ptype) != 0 || g_strcmp0(pa->name, pb->name) != 0 ||
          g_strcmp0(pa->value, pb->value) != 0)
        return FALSE;
    }
  }
  return TRUE;
}

/* ---- character classes -------------------------------------------------- */

/* RFC 8601 Keyword = ldh-str (RFC 5321): letters, digits, '-'. */
static gboolean
is_keyword_char(guchar c)
{
  return bimi_char_is_alpha(c) || bimi_char_is_digit(c) || c == '-';
}

/* Bytes a bare value may be made of when parsing (token plus our '/' leniency). */
static gboolean
is_bare_value_char(guchar c)
{
  return bimi_char_is_token(c) || c == '/';
}

/* Bytes a bare pvalue run may be made of: token, '/', and the atext specials
 * plus '@' of "local-part@domain" (RFC 8601 §2.2 pvalue). */
static gboolean
is_bare_pvalue_char(guchar c)
{
  return bimi_char_is_token(c) || c == '/' || c == '=' || c == '?' || c == '@';
}

/* Domain part of a bare pvalue when parsing: LDH labels, dots, and '_' (found in
 * real DKIM d= values; harmless). */
static gboolean
is_domain_char(guchar c)
{
  return bimi_char_is_alpha(c) || bimi_char_is_digit(c) || c == '-' || c == '.' || c == '_';
}

/* ---- the cursor --------------------------------------------------------- */

/* The base cursor over the value, and where the value starts in the field. */
typedef struct {
  BimiCursor b;
  gsize base; /* added to every offset in error messages */
} Cursor;

static gboolean
at_end(const Cursor *c)
{
  return bimi_cursor_at_end(&c->b);
}

static guchar
peek(const Cursor *c)
{
  return bimi_cursor_peek(&c->b);
}

/* Describes the byte at the cursor for an error message, escaped. */
static char *
describe_here(const Cursor *c)
{
  if (at_end(c))
    return g_strdup("the end");
  guchar ch = peek(c);
  if (ch > 0x20 && ch < 0x7f)
    return g_strdup_printf("'%c'", ch);
  if (ch == ' ')
    return g_strdup("a space");
  if (ch == '\r' || ch == '\n')
    return g_strdup_printf("%s not followed by WSP (bad folding)", ch == '\r' ? "CR" : "LF");
  return g_strdup_printf("byte 0x%02x", ch);
}

static gboolean G_GNUC_PRINTF(3, 4)
fail_at(const Cursor *c, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *found = describe_here(c);
  g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_SYNTAX,
              "%s at byte %" G_GSIZE_FORMAT ", found %s", what, c->base + c->b.pos, found);
  return FALSE;
}

/* Runs a base lexer reader on the cursor's text; on a lexical error the cursor
 * moves to the offending byte and the error is worded for A-R. */
static gboolean
lex_error(Cursor *c, const BimiLexError *lex, const char *where, GError **error)
{
  switch (lex->status) {
  case BIMI_LEX_UNTERMINATED:
    g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_SYNTAX, "unterminated %s opened at byte %" G_GSIZE_FORMAT,
                where, c->base + lex->offset);
    return FALSE;
  case BIMI_LEX_TOO_DEEP:
    g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_LIMIT,
                "comments nested deeper than %u at byte %" G_GSIZE_FORMAT, (unsigned) BIMI_MAX_COMMENT_DEPTH,
                c->base + lex->offset);
    return FALSE;
  case BIMI_LEX_BAD_QUOTED_PAIR:
    c->b.pos = lex->offset;
    return fail_at(c, error, "bad quoted-pair in %s", where);
  default:
    c->b.pos = lex->offset;
    return fail_at(c, error, "byte not allowed in a %s", where);
  }
}

/* [CFWS]: WSP, folding (CRLF or LF before WSP) and comments nested up to
 * BIMI_MAX_COMMENT_DEPTH. */
static gboolean
skip_cfws(Cursor *c, GError **error)
{
  BimiLexError lex;
  if (!bimi_rfc5322_skip_cfws(&c->b, BIMI_MAX_COMMENT_DEPTH, BIMI_LEX_STRICT | BIMI_LEX_BARE_LF, &lex))
    return lex_error(c, &lex, "comment", error);
  return TRUE;
}

/* A quoted-string at the cursor ('"'); returns its content, unescaped and
 * unfolded (RFC 5322 §3.2.4). */
static char *
read_quoted(Cursor *c, GError **error)
{
  BimiLexError lex;
  char *out = bimi_rfc5322_read_quoted(&c->b, c->b.len, BIMI_LEX_STRICT | BIMI_LEX_BARE_LF, &lex);
  if (out == NULL)
    return lex_error(c, &lex, "quoted-string", error), NULL;
  return out;
}

/* Reads the run of bytes in @in_class at the cursor (the field is already
 * bounded: no maximum of its own): its start and length, or FALSE with
 * @error "expected WHAT@detail" when there is none. */
static gboolean
read_run(Cursor *c, gboolean (*in_class)(guchar), const char *what, const char *detail, gsize *out_start,
         gsize *out_len, GError **error)
{
  *out_start = c->b.pos;
  bimi_cursor_span(&c->b, in_class, G_MAXSIZE, out_len);
  if (*out_len == 0)
    return fail_at(c, error, "expected %s%s", what, detail);
  return TRUE;
}

/* Reads a Keyword (RFC 8601 §2.2) at the cursor; returns it lower-cased, or
 * NULL with @error naming @what was expected. */
static char *
read_keyword(Cursor *c, const char *what, GError **error)
{
  gsize start, len;

  if (!read_run(c, is_keyword_char, what, "", &start, &len, error))
    return NULL;
  return g_ascii_strdown(c->b.p + start, (gssize) len);
}

/* Reads 1*DIGIT as a version number (RFC 8601 authres-version,
 * method-version); a value that does not fit an int is a limit error. */
static gboolean
read_version(Cursor *c, const char *what, int *out, GError **error)
{
  gsize start = c->b.pos;
  int v = 0;
  if (!bimi_char_is_digit(peek(c)) || at_end(c))
    return fail_at(c, error, "expected digits of the %s", what);
  while (!at_end(c) && bimi_char_is_digit(peek(c))) {
    int d = peek(c) - '0';
    if (v > (G_MAXINT - d) / 10) {
      g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_LIMIT,
                  "%s at byte %" G_GSIZE_FORMAT " is larger than %d", what,
                  c->base + start, G_MAXINT);
      return FALSE;
    }
    v = v * 10 + d;
    c->b.pos++;
  }
  *out = v;
  return TRUE;
}

/* value = token / quoted-string (RFC 2045 §5.1; '/' tolerated). @what names
 * it in errors. Returns NULL on error. */
static char *
read_value(Cursor *c, const char *what, GError **error)
{
  if (peek(c) == '"' && !at_end(c))
    return read_quoted(c, error);
  gsize start, len;
  if (!read_run(c, is_bare_value_char, what, " (a token or a quoted-string)", &start, &len, error))
    return NULL;
  return g_strndup(c->b.p + start, len);
}

/* pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
 * (RFC 8601 §2.2). The surrounding CFWS is left to the caller. */
static char *
read_pvalue(Cursor *c, GError **error)
{
  if (peek(c) == '"' && !at_end(c))
    return read_quoted(c, error);
  gsize start = c->b.pos;
  gsize at = G_MAXSIZE;
  while (!at_end(c) && is_bare_pvalue_char(peek(c))) {
    if (peek(c) == '@') {
      if (at != G_MAXSIZE)
        return fail_at(c, error, "second '@' in a property value (quote it)"), NULL;
      at = c->b.pos;
    }
    c->b.pos++;
  }
  gsize end = c->b.pos;
  if (end == start) {
    fail_at(c, error, "expected a property value");
    return NULL;
  }
  /* What ends a bare value must be CFWS, ';' or the end: "2001:db8::1" stops
   * at ':', which needs quoting. */
  guchar next = peek(c);
  if (!at_end(c) && !bimi_char_is_wsp(next) && next != '\r' && next != '\n' && next != '(' && next != ';')
    return fail_at(c, error, "character not allowed in a bare property value (quote it)"), NULL;
  if (at == G_MAXSIZE) {
    /* A bare value: no '=' or '?' (RFC 2045 tspecials) outside an address. */
    for (gsize i = start; i < end; i++) {
      if (c->b.p[i] == '=' || c->b.p[i] == '?') {
        c->b.pos = i;
        return fail_at(c, error, "special character in a bare property value (quote it)"), NULL;
      }
    }
  } else {
    /* [local-part] "@" domain-name: the domain must be there and be LDH + dots. */
    if (at + 1 == end) {
      c->b.pos = end;
      return fail_at(c, error, "expected a domain name after '@'"), NULL;
    }
    for (gsize i = at + 1; i < end; i++) {
      if (!is_domain_char((guchar) c->b.p[i])) {
        c->b.pos = i;
        return fail_at(c, error, "byte not allowed in the domain of a property value (quote it)"),
               NULL;
      }
    }
  }
  return g_strndup(c->b.p + start, end - start);
}

/* ---- the parser (RFC 8601 §2.2) ----------------------------------------- */

/* Properties and reason of one resinfo, after "method=result". */
static gboolean
parse_properties(Cursor *c, BimiAuthresResult *r, GError **error)
{
  for (;;) {
    if (!skip_cfws(c, error))
      return FALSE;
    if (at_end(c) || peek(c) == ';')
      return TRUE;
    gsize kw_start = c->b.pos;
    g_autofree char *kw = read_keyword(c, "a property (ptype.property=value) or ';'", error);
    if (kw == NULL)
      return FALSE;
    if (!skip_cfws(c, error))
      return FALSE;

    if (peek(c) == '.' && !at_end(c)) {
      /* propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue */
      c->b.pos++;
      if (!skip_cfws(c, error))
        return FALSE;
      g_autofree char *name = read_keyword(c, "a property name after '.'", error);
      if (name == NULL || !skip_cfws(c, error))
        return FALSE;
      if (peek(c) != '=' || at_end(c))
        return fail_at(c, error, "expected '=' after property '%s.%s'", kw, name);
      c->b.pos++;
      if (!skip_cfws(c, error))
        return FALSE;
      g_autofree char *value = read_pvalue(c, error);
      if (value == NULL)
        return FALSE;
      if (r->properties->len >= BIMI_MAX_AUTHRES_PROPERTIES) {
        g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_LIMIT,
                    "more than %u properties in one result: property at byte %" G_GSIZE_FORMAT
                    " is one too many",
                    (unsigned) BIMI_MAX_AUTHRES_PROPERTIES, c->base + kw_start);
        return FALSE;
      }
      g_ptr_array_add(r->properties, bimi_authres_property_new(kw, name, value));
    } else if (peek(c) == '=' && !at_end(c)) {
      c->b.pos++;
      if (!skip_cfws(c, error))
        return FALSE;
      if (strcmp(kw, "reason") == 0) {
        /* reasonspec = "reason" [CFWS] "=" [CFWS] value */
        if (r->reason != NULL) {
          c->b.pos = kw_start;
          return fail_at(c, error, "second reason= in one result");
        }
        r->reason = read_value(c, "the reason", error);
        if (r->reason == NULL)
          return FALSE;
      } else {
        /* name=value without ptype: parsed, then dropped (see the top comment). */
        g_autofree char *dropped = read_pvalue(c, error);
        if (dropped == NULL)
          return FALSE;
      }
    } else {
      return fail_at(c, error, "expected '.' or '=' after '%s'", kw);
    }
  }
}

static BimiAuthres *
parse_payload(Cursor *c, GError **error)
{
  if (c->b.len - c->b.pos > BIMI_MAX_AUTHRES_BYTES) {
    g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_LIMIT,
                "Authentication-Results value of %" G_GSIZE_FORMAT
                " bytes exceeds the limit of %u bytes",
                c->b.len - c->b.pos, (unsigned) BIMI_MAX_AUTHRES_BYTES);
    return NULL;
  }
  /* 8-bit only as UTF-8 (RFC 6532); where it may appear is checked below. */
  const char *bad = NULL;
  if (!g_utf8_validate_len(c->b.p + c->b.pos, c->b.len - c->b.pos, &bad)) {
    g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_SYNTAX,
                "invalid UTF-8 or NUL at byte %" G_GSIZE_FORMAT,
                c->base + (gsize) (bad - c->b.p));
    return NULL;
  }
  /* One line break ending the field. */
  if (c->b.len - c->b.pos >= 2 && c->b.p[c->b.len - 2] == '\r' && c->b.p[c->b.len - 1] == '\n')
    c->b.len -= 2;
  else if (c->b.len - c->b.pos >= 1 && c->b.p[c->b.len - 1] == '\n')
    c->b.len -= 1;

  if (!skip_cfws(c, error))
    return NULL;
  /* authserv-id = value (RFC 8601 §2.5), never empty. */
  gsize id_start = c->b.pos;
  g_autofree char *id = read_value(c, "the authserv-id", error);
  if (id == NULL)
    return NULL;
  if (*id == '\0') {
    c->b.pos = id_start;
    fail_at(c, error, "empty authserv-id");
    return NULL;
  }
  g_autoptr(BimiAuthres) ar = bimi_authres_new(id);
  if (!skip_cfws(c, error))
    return NULL;
  if (bimi_char_is_digit(peek(c)) && !at_end(c)) {
    if (!read_version(c, "authres-version", &ar->version, error) || !skip_cfws(c, error))
      return NULL;
  }

  gboolean none = FALSE;
  for (;;) {
    if (at_end(c)) {
      if (!none && ar->results->len == 0) {
        fail_at(c, error, "expected ';' and a result, or '; none' (RFC 8601 §2.2)");
        return NULL;
      }
      break;
    }
    if (peek(c) != ';') {
      fail_at(c, error, "expected ';'");
      return NULL;
    }
    c->b.pos++;
    if (!skip_cfws(c, error))
      return NULL;
    if (at_end(c)) {
      if (none || ar->results->len > 0)
        break; /* tolerated trailing ';' */
      fail_at(c, error, "expected a method or 'none' after ';'");
      return NULL;
    }
    if (none) {
      fail_at(c, error, "nothing may follow 'none'");
      return NULL;
    }
    gsize method_start = c->b.pos;
    g_autofree char *method = read_keyword(c, "a method name (method=result) or 'none'", error);
    if (method == NULL || !skip_cfws(c, error))
      return NULL;
    if (ar->results->len == 0 && strcmp(method, "none") == 0 && (at_end(c) || peek(c) == ';')) {
      none = TRUE; /* no-result = [CFWS] ";" [CFWS] "none" */
      continue;
    }
    int method_version = -1;
    if (peek(c) == '/' && !at_end(c)) {
      c->b.pos++;
      if (!skip_cfws(c, error) || !read_version(c, "method-version", &method_version, error) ||
          !skip_cfws(c, error))
        return NULL;
    }
    if (peek(c) != '=' || at_end(c)) {
      fail_at(c, error, "expected '=' after method '%s'", method);
      return NULL;
    }
    c->b.pos++;
    if (!skip_cfws(c, error))
      return NULL;
    g_autofree char *result = read_keyword(c, "a result keyword", error);
    if (result == NULL)
      return NULL;
    if (ar->results->len >= BIMI_MAX_AUTHRES_RESULTS) {
      g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_LIMIT,
                  "more than %u results: result at byte %" G_GSIZE_FORMAT " is one too many",
                  (unsigned) BIMI_MAX_AUTHRES_RESULTS, c->base + method_start);
      return NULL;
    }
    BimiAuthresResult *r = bimi_authres_add_result(ar, method, result);
    r->method_version = method_version;
    if (!parse_properties(c, r, error))
      return NULL;
  }
  return g_steal_pointer(&ar);
}

BimiAuthres *
bimi_authres_parse(const char *value, gsize len, GError **error)
{
  g_return_val_if_fail(value != NULL || len == 0, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  Cursor c = { bimi_cursor_init(value, len), 0 };
  return parse_payload(&c, error);
}

BimiAuthres *
bimi_authres_parse_field(const char *field, gsize len, GError **error)
{
  static const char name[] = "Authentication-Results";
  const gsize name_len = sizeof name - 1;
  g_return_val_if_fail(field != NULL || len == 0, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  if (len < name_len || g_ascii_strncasecmp(field, name, name_len) != 0) {
    g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_SYNTAX,
                "not an Authentication-Results header field (byte 0)");
    return NULL;
  }
  gsize pos = name_len;
  while (pos < len && bimi_char_is_wsp((guchar) field[pos]))
    pos++;
  if (pos >= len || field[pos] != ':') {
    g_set_error(error, BIMI_AUTHRES_ERROR, BIMI_AUTHRES_ERROR_SYNTAX,
                "expected ':' after the field name at byte %" G_GSIZE_FORMAT, pos);
    return NULL;
  }
  pos++;
  /* The value starts after the colon; offsets stay relative to the field. */
  Cursor c = { bimi_cursor_init(field + pos, len - pos), pos };
  return parse_payload(&c, error);
}

/* ---- the writer --------------------------------------------------------- */

/* Keywords: letters, digits, '-'; anything else becomes '-'. */
static void
append_keyword(GString *out, const char *kw)
{
  if (kw == NULL || *kw == '\0') {
    g_string_append_c(out, '-');
    return;
  }
  for (const char *p = kw; *p != '\0'; p++)
    g_string_append_c(out, is_keyword_char((guchar) *p) ? *p : '-');
}

/* Our own output is ASCII: RFC 6532 UTF-8 is allowed only in internationalized
 * messages, and this field is added to any message, so non-ASCII text (a reason
 * quoting an SVG, "§" in our own messages) is transliterated by GLib (unknown
 * → '?'); invalid UTF-8 and controls become '?'. Returns the printable ASCII form. */
static char *
to_ascii(const char *v)
{
  char *a = g_utf8_validate(v, -1, NULL) ? g_str_to_ascii(v, "C") : g_strdup(v);

  for (char *p = a; *p != '\0'; p++) {
    guchar ch = (guchar) *p;
    if (ch != '\t' && (ch < 0x20 || ch >= 0x7f))
      *p = '?';
  }
  return a;
}

/* @v as this writer's ASCII: @v itself when it is printable ASCII already (the common case,
 * issue 21: no copy, no transliteration), else to_ascii(@v), kept in *@owned. */
static const char *
ascii_form(const char *v, char **owned)
{
  *owned = NULL;
  for (const guchar *p = (const guchar *) v; *p != '\0'; p++)
    if (*p != '\t' && (*p < 0x20 || *p >= 0x7f))
      return *owned = to_ascii(v);
  return v;
}

/* @v must be to_ascii() output: a quoted-string (RFC 5322 §3.2.4), the text
 * between the quoted-pairs of '"' and '\\' appended in runs. */
static void
append_quoted(GString *out, const char *v)
{
  g_string_append_c(out, '"');
  for (;;) {
    gsize run = strcspn(v, "\"\\");
    g_string_append_len(out, v, (gssize) run);
    v += run;
    if (*v == '\0')
      break;
    g_string_append_c(out, '\\');
    g_string_append_c(out, *v++);
  }
  g_string_append_c(out, '"');
}

static gboolean
is_strict_token(const char *v)
{
  if (*v == '\0')
    return FALSE;
  for (const char *p = v; *p != '\0'; p++)
    if (!bimi_char_is_token((guchar) *p))
      return FALSE;
  return TRUE;
}

/* RFC 5322 dot-atom-text (may be empty here: "@domain" has no local-part). */
static gboolean
is_dot_atom_or_empty(const char *v, gsize n)
{
  if (n == 0)
    return TRUE;
  if (v[0] == '.' || v[n - 1] == '.')
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    if (v[i] == '.') {
      if (v[i + 1] == '.')
        return FALSE;
    } else if (!bimi_char_is_atext((guchar) v[i])) {
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
is_strict_pvalue(const char *v)
{
  if (is_strict_token(v))
    return TRUE;
  const char *at = strchr(v, '@');
  if (at == NULL || strchr(at + 1, '@') != NULL)
    return FALSE;
  return is_dot_atom_or_empty(v, (gsize) (at - v)) &&
         bimi_domain_check(at + 1, strlen(at + 1), G_MAXSIZE, 2, BIMI_DOMAIN_NO_LABEL_LIMIT, NULL);
}

char *
bimi_authres_to_string(const BimiAuthres *ar)
{
  g_return_val_if_fail(ar != NULL, NULL);
  g_return_val_if_fail(ar->authserv_id != NULL && *ar->authserv_id != '\0', NULL);
  GString *out = g_string_sized_new(512); /* an evaluation's value is 300-600 bytes */

  g_autofree char *id_owned = NULL;
  const char *id = ascii_form(ar->authserv_id, &id_owned);

  if (is_strict_token(id))
    g_string_append(out, id);
  else
    append_quoted(out, id);
  if (ar->version >= 0)
    g_string_append_printf(out, " %d", ar->version);
  if (ar->results == NULL || ar->results->len == 0) {
    g_string_append(out, "; none");
    return g_string_free(out, FALSE);
  }
  for (guint i = 0; i < ar->results->len; i++) {
    const BimiAuthresResult *r = ar->results->pdata[i];
    g_string_append(out, "; ");
    append_keyword(out, r->method);
    if (r->method_version >= 0)
      g_string_append_printf(out, "/%d", r->method_version);
    g_string_append_c(out, '=');
    append_keyword(out, r->result);
    if (r->reason != NULL) {
      g_autofree char *reason_owned = NULL;
      const char *reason = ascii_form(r->reason, &reason_owned);
      g_string_append(out, " reason=");
      append_quoted(out, reason);
    }
    for (guint j = 0; r->properties != NULL && j < r->properties->len; j++) {
      const BimiAuthresProperty *p = r->properties->pdata[j];
      g_autofree char *v_owned = NULL;
      const char *v = ascii_form(p->value != NULL ? p->value : "", &v_owned);
      g_string_append_c(out, ' ');
      append_keyword(out, p->ptype);
      g_string_append_c(out, '.');
      append_keyword(out, p->name);
      g_string_append_c(out, '=');
      if (is_strict_pvalue(v))
        g_string_append(out, v);
      else
        append_quoted(out, v);
    }
  }
  return g_string_free(out, FALSE);
}

char *
bimi_authres_to_header(const BimiAuthres *ar)
{
  g_autofree char *v = bimi_authres_to_string(ar);
  if (v == NULL)
    return NULL;
  return g_strconcat("Authentication-Results: ", v, NULL);
}
