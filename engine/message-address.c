/* engine/message-address.c — RFC 5322 address lists (the From field), part of the
 * message module (declared in engine/message.h).
 *
 * Implements: RFC 5322 §3.2.2 (CFWS, nested comments), §3.2.3 (atoms),
 * §3.2.4 (quoted strings, quoted-pairs), §3.2.5 (phrases), §3.4 (mailbox,
 * name-addr, angle-addr, group, address-list), §3.4.1 (addr-spec, domain
 * literals), §4.4 obsolete addressing (obs-route, obs-local-part, obs-domain,
 * empty list elements, obs-phrase with "."), §4.1 obs-qp; RFC 6532 §3.2
 * (UTF-8 in atoms, quoted strings and local parts); RFC 2047 §2, §4, §5(3),
 * §6.2 (encoded words in display names, "B" and "Q", adjacent words joined,
 * RFC 2231 §5 "*language" suffix dropped); RFC 5890/5891 via libidn2 (UTS #46
 * non-transitional processing, NFC input) to turn UTF-8 domains into A-labels.
 *
 * Deliberate deviations (all lenient, none changes which domain is found):
 *  - a local part may have empty dot-separated parts ("a..b@example.jp");
 *  - an address without a domain (bare local part, "<local>") is returned with
 *    domain NULL rather than rejected: callers that need one (DMARC) decide;
 *  - an encoded word that does not decode (bad base64, unknown charset, bytes
 *    invalid in its charset) is kept as written, never an error;
 *  - encoded words inside quoted strings are not decoded (RFC 2047 §5(3));
 *  - when UTS #46 non-transitional processing rejects a UTF-8 domain,
 *    transitional processing is tried before giving up (IDNA2003-era names).
 * Strict on purpose: a trailing dot in a domain, "<>", two words in a local
 * part without a dot, unbalanced comments/quotes/brackets, a CR or LF that is
 * not part of a fold, NUL and other control bytes outside comments.
 */
#include "engine/message.h"
#include "engine/base/base-base64.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-rfc5322.h"
#include "engine/limits.h"

#include <string.h>
#include <idn2.h>

typedef enum {
  TOK_END,
  TOK_ATOM,      /* 1*atext (incl. bytes >= 0x80, RFC 6532) */
  TOK_QUOTED,    /* "..." incl. the quotes */
  TOK_LITERAL,   /* [...] incl. the brackets */
  TOK_SPECIAL,   /* one of < > : ; @ , . */
} TokenType;

typedef struct {
  TokenType type;
  char special;
  gsize offset;           /* in the text, first byte of the token */
  gsize length;           /* raw bytes, delimiters included */
  gboolean space_before;  /* WSP, a fold or a comment precedes it */
  gboolean comment_before;
} Token;

typedef struct {
  const char *text;
  gsize len;
  const Token *toks;
  guint n_toks;
  guint i;
  GPtrArray *out;
  GError **error;
} Parser;

BIMI_DEFINE_FREE_FUNC(BimiMailbox, bimi_mailbox_free, mailbox)
{
  BIMI_FREE_ALL(mailbox->display_name, mailbox->local_part, mailbox->domain, mailbox->domain_utf8, mailbox->group);
}

/* RFC 5322 §3.2.3 atext, plus UTF8-non-ascii (RFC 6532 §3.2). */
static gboolean
is_atext(guchar c)
{
  return c >= 0x80 || bimi_char_is_atext(c);
}

static gboolean G_GNUC_PRINTF(4, 5)
fail(GError **error, gint code, gsize offset, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start(ap, fmt);
  msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, BIMI_MESSAGE_ERROR, code, "%s at offset %" G_GSIZE_FORMAT, msg, offset);
  return FALSE;
}

/* A fold inside a value: CRLF followed by WSP. */
static gboolean
is_fold(const char *s, gsize len, gsize i)
{
  return i + 2 < len && s[i] == '\r' && s[i + 1] == '\n' && bimi_char_is_wsp((guchar) s[i + 2]);
}

/* ---- tokenizer -------------------------------------------------------- */

/* A comment at s[*pos] == '(', nested up to BIMI_MAX_ADDRESS_COMMENT_DEPTH; its
 * content is dropped, so any byte and any quoted-pair (obs-qp) passes. */
static gboolean
skip_comment(const char *s, gsize len, gsize *pos, GError **error)
{
  BimiLexError lex;

  if (bimi_rfc5322_skip_comment_at(s, len, pos, BIMI_MAX_ADDRESS_COMMENT_DEPTH, BIMI_LEX_LAX, &lex))
    return TRUE;
  if (lex.status == BIMI_LEX_TOO_DEEP)
    return fail(error, BIMI_MESSAGE_ERROR_LIMIT, lex.offset,
                "comments nested deeper than BIMI_MAX_ADDRESS_COMMENT_DEPTH (%u)", BIMI_MAX_ADDRESS_COMMENT_DEPTH);
  return fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, lex.offset, "unterminated comment");
}

/* Scans a quoted string (@close '"') or a domain literal (@close ']') from the
 * opening delimiter at *pos. */
static gboolean
skip_delimited(const char *s, gsize len, gsize *pos, char close, GError **error)
{
  gsize start = *pos;
  gsize i = *pos + 1;
  const char *what = close == '"' ? "quoted string" : "domain literal";

  while (i < len) {
    guchar c = (guchar) s[i];
    if (c == (guchar) close) {
      *pos = i + 1;
      return TRUE;
    }
    if (c == '\\') {
      if (i + 1 >= len)
        break;
      if (s[i + 1] == '\r' || s[i + 1] == '\n' || s[i + 1] == '\0')
        return fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "bad quoted-pair in a %s", what);
      i += 2;
      continue;
    }
    if (c == '\r') {
      if (!is_fold(s, len, i))
        return fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "line break in a %s", what);
      i += 2;
      continue;
    }
    if (c == '\n' || c == '\0')
      return fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "byte 0x%02x in a %s", c, what);
    if (close == ']' && c == '[')
      return fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "'[' inside a domain literal");
    i++;
  }
  return fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, start, "unterminated %s", what);
}

static GArray *
tokenize(const char *s, gsize len, GError **error)
{
  g_autoptr(GArray) toks = g_array_new(FALSE, TRUE, sizeof(Token));
  gboolean space = FALSE, comment = FALSE;
  gsize i = 0;
  Token end = { 0 };

  while (i < len) {
    guchar c = (guchar) s[i];
    Token t = { 0 };

    if (bimi_char_is_wsp(c)) {
      space = TRUE;
      i++;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (!is_fold(s, len, i)) {
        fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "line break that is not a fold");
        return NULL;
      }
      space = TRUE;
      i += 2;
      continue;
    }
    if (c == '(') {
      if (!skip_comment(s, len, &i, error))
        return NULL;
      space = comment = TRUE;
      continue;
    }
    t.offset = i;
    t.space_before = space;
    t.comment_before = comment;
    space = comment = FALSE;
    if (c == '"' || c == '[') {
      t.type = c == '"' ? TOK_QUOTED : TOK_LITERAL;
      if (!skip_delimited(s, len, &i, c == '"' ? '"' : ']', error))
        return NULL;
    } else if (strchr("<>:;@,.", c) != NULL && c != '\0') {
      t.type = TOK_SPECIAL;
      t.special = (char) c;
      i++;
    } else if (is_atext(c)) {
      BimiCursor cur = bimi_cursor_init(s, len);
      BimiLexError lex;
      gsize n;
      t.type = TOK_ATOM;
      cur.pos = i;
      (void) bimi_rfc5322_read_atom(&cur, len, BIMI_LEX_UTF8, &n, &lex); /* len: the field bounds it already */
      i = cur.pos;
    } else if (c == ')') {
      fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "')' without a matching '('");
      return NULL;
    } else if (c == ']') {
      fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "']' without a matching '['");
      return NULL;
    } else if (c == '\\') {
      fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "backslash outside a quoted string");
      return NULL;
    } else {
      fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, i, "control byte 0x%02x", c);
      return NULL;
    }
    t.length = i - t.offset;
    g_array_append_val(toks, t);
  }
  end.type = TOK_END;
  end.offset = len;
  end.space_before = space;
  end.comment_before = comment;
  g_array_append_val(toks, end);
  return g_steal_pointer(&toks);
}

/* ---- token helpers ---------------------------------------------------- */

static const Token *
cur(const Parser *p)
{
  return &p->toks[p->i];
}

static gboolean
is_special(const Token *t, char c)
{
  return t->type == TOK_SPECIAL && t->special == c;
}

static gboolean
is_word(const Token *t)
{
  return t->type == TOK_ATOM || t->type == TOK_QUOTED;
}

static const char *
describe(const Token *t)
{
  switch (t->type) {
  case TOK_END: return "the end";
  case TOK_ATOM: return "a word";
  case TOK_QUOTED: return "a quoted string";
  case TOK_LITERAL: return "a domain literal";
  case TOK_SPECIAL:
    switch (t->special) {
    case '<': return "'<'";
    case '>': return "'>'";
    case ':': return "':'";
    case ';': return "';'";
    case '@': return "'@'";
    case ',': return "','";
    default: return "'.'";
    }
  }
  return "?";
}

/* Appends the content of a quoted string or domain literal (without the
 * delimiters): quoted-pairs resolved, fold CRLFs removed; @drop_wsp also
 * drops WSP (domain literals: FWS is not part of the domain). */
static void
append_delimited_content(GString *out, const Parser *p, const Token *t, gboolean drop_wsp)
{
  const char *s = p->text + t->offset + 1;
  gsize n = t->length - 2;

  for (gsize i = 0; i < n; i++) {
    if (s[i] == '\\' && i + 1 < n) {
      g_string_append_c(out, s[++i]);
    } else if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
      i++;
    } else if (drop_wsp && bimi_char_is_wsp((guchar) s[i])) {
      continue;
    } else {
      g_string_append_c(out, s[i]);
    }
  }
}

static void
append_word(GString *out, const Parser *p, const Token *t)
{
  if (t->type == TOK_QUOTED)
    append_delimited_content(out, p, t, FALSE);
  else if (t->type == TOK_SPECIAL)
    g_string_append_c(out, t->special);
  else
    g_string_append_len(out, p->text + t->offset, (gssize) t->length);
}

/* ---- RFC 2047 encoded words ------------------------------------------- */

typedef struct {
  const char *charset;  /* without "*language" */
  gsize charset_len;
  char encoding;        /* 'B' or 'Q' */
  const char *text;
  gsize text_len;
} EncodedWord;

static gboolean
split_encoded_word(const char *a, gsize n, EncodedWord *ew)
{
  const char *inner, *q1, *q2;
  gsize inner_len;

  if (n < 8 || a[0] != '=' || a[1] != '?' || a[n - 2] != '?' || a[n - 1] != '=')
    return FALSE;
  inner = a + 2;
  inner_len = n - 4;
  q1 = memchr(inner, '?', inner_len);
  if (q1 == NULL || q1 == inner)
    return FALSE;
  if ((gsize) (q1 - inner) + 3 > inner_len || q1[2] != '?')
    return FALSE;
  ew->encoding = g_ascii_toupper(q1[1]);
  if (ew->encoding != 'B' && ew->encoding != 'Q')
    return FALSE;
  ew->text = q1 + 3;
  ew->text_len = inner_len - (gsize) (ew->text - inner);
  q2 = memchr(ew->text, '?', ew->text_len);
  if (q2 != NULL)
    return FALSE;
  ew->charset = inner;
  ew->charset_len = (gsize) (q1 - inner);
  {
    const char *star = memchr(inner, '*', ew->charset_len);   /* RFC 2231 §5 */
    if (star != NULL)
      ew->charset_len = (gsize) (star - inner);
  }
  if (ew->charset_len == 0 || ew->charset_len > 40)
    return FALSE;
  /* Keep names passed to iconv tame. */
  for (gsize i = 0; i < ew->charset_len; i++) {
    char c = ew->charset[i];
    if (!g_ascii_isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':' && c != '+')
      return FALSE;
  }
  return TRUE;
}

static gboolean
decode_encoded_text(const EncodedWord *ew, GByteArray *out)
{
  if (ew->encoding == 'Q') {
    for (gsize i = 0; i < ew->text_len; i++) {
      char c = ew->text[i];
      if (c == '_') {
        g_byte_array_append(out, (const guint8 *) " ", 1);
      } else if (c == '=') {
        int hi, lo;
        guint8 b;
        if (i + 2 >= ew->text_len)
          return FALSE;
        hi = g_ascii_xdigit_value(ew->text[i + 1]);
        lo = g_ascii_xdigit_value(ew->text[i + 2]);
        if (hi < 0 || lo < 0)
          return FALSE;
        b = (guint8) (hi * 16 + lo);
        g_byte_array_append(out, &b, 1);
        i += 2;
      } else if ((guchar) c > 32 && (guchar) c < 127) {
        g_byte_array_append(out, (const guint8 *) &c, 1);
      } else {
        return FALSE;
      }
    }
    return TRUE;
  } else {
    /* The decoded bytes are never more than the encoded ones. */
    BimiBase64Error e;
    g_autoptr(GBytes) bin = bimi_base64_decode(ew->text, ew->text_len, ew->text_len, BIMI_BASE64_LOOSE_PADDING, &e);
    gsize bin_len = 0;
    const guint8 *bin_data;

    if (bin == NULL)
      return FALSE;
    bin_data = g_bytes_get_data(bin, &bin_len);
    g_byte_array_append(out, bin_data, (guint) bin_len);
    return TRUE;
  }
}

/* Converts @bytes in @charset to UTF-8 and appends it; FALSE when that fails
 * or the result holds a NUL. */
static gboolean
append_converted(GString *out, const char *charset, gsize charset_len, const GByteArray *bytes)
{
  g_autofree char *cs = g_strndup(charset, charset_len);
  g_autofree char *utf8 = NULL;
  gsize written = 0;

  if (bytes->len == 0)
    return TRUE;
  utf8 = g_convert((const char *) bytes->data, (gssize) bytes->len, "UTF-8", cs, NULL, &written, NULL);
  if (utf8 == NULL || memchr(utf8, '\0', written) != NULL)
    return FALSE;
  g_string_append_len(out, utf8, (gssize) written);
  return TRUE;
}

/* If toks[k] starts a run of encoded words that decodes, appends the run
 * to @s and returns the index after it; returns @k when it does not. A run is
 * adjacent encoded words of one charset separated by WSP only (RFC 2047 §6.2),
 * decoded together so that a character split across two words survives; the
 * WSP before it is dropped too when @after_encoded (the previous run, maybe of
 * another charset, decoded). An undecodable run is appended as written. */
static guint
append_encoded_run(GString *s, const Parser *p, guint k, guint end, gboolean after_encoded, gboolean *decoded)
{
  const Token *t = &p->toks[k];
  g_autoptr(GByteArray) bytes = NULL;
  EncodedWord first;
  guint run_start = k;
  gsize mark;

  *decoded = FALSE;
  if (t->type != TOK_ATOM || !split_encoded_word(p->text + t->offset, t->length, &first))
    return k;
  bytes = g_byte_array_new();
  if (!decode_encoded_text(&first, bytes))
    return k;
  k++;
  while (k < end) {
    const Token *u = &p->toks[k];
    EncodedWord next;
    guint before = bytes->len;
    if (u->type != TOK_ATOM || u->comment_before ||
        !split_encoded_word(p->text + u->offset, u->length, &next) ||
        next.charset_len != first.charset_len ||
        g_ascii_strncasecmp(next.charset, first.charset, first.charset_len) != 0)
      break;
    if (!decode_encoded_text(&next, bytes)) {
      g_byte_array_set_size(bytes, before);
      break;
    }
    k++;
  }
  mark = s->len;
  if (!(after_encoded && !t->comment_before) && s->len > 0 && t->space_before)
    g_string_append_c(s, ' ');
  if (append_converted(s, first.charset, first.charset_len, bytes)) {
    *decoded = TRUE;
  } else {
    g_string_truncate(s, mark);
    if (s->len > 0 && t->space_before)
      g_string_append_c(s, ' ');
    for (guint r = run_start; r < k; r++) {
      if (r > run_start && p->toks[r].space_before)
        g_string_append_c(s, ' ');
      append_word(s, p, &p->toks[r]);
    }
  }
  return k;
}

/* Decodes the phrase toks[start..end) (words and dots) into a display name:
 * UTF-8, words joined by one space, encoded words decoded, control
 * characters turned into spaces, ends stripped; *out NULL when empty. */
static gboolean
decode_phrase(const Parser *p, guint start, guint end, char **out)
{
  g_autoptr(GString) s = g_string_new(NULL);
  guint k = start;
  gboolean after_encoded = FALSE;
  char *res;

  *out = NULL;
  while (k < end) {
    gboolean decoded = FALSE;
    guint next = append_encoded_run(s, p, k, end, after_encoded, &decoded);
    after_encoded = decoded;
    if (next == k) {
      const Token *t = &p->toks[k];
      if (s->len > 0 && t->space_before)
        g_string_append_c(s, ' ');
      append_word(s, p, t);
      next = k + 1;
    }
    k = next;
    if (s->len > BIMI_MAX_DISPLAY_NAME_BYTES)
      return fail(p->error, BIMI_MESSAGE_ERROR_LIMIT, p->toks[start].offset,
                  "display name longer than BIMI_MAX_DISPLAY_NAME_BYTES (%u)", BIMI_MAX_DISPLAY_NAME_BYTES);
  }
  for (gsize i = 0; i < s->len; i++) {
    if ((guchar) s->str[i] < 0x20 || s->str[i] == 0x7f)
      s->str[i] = ' ';
  }
  res = g_utf8_make_valid(s->str, (gssize) s->len);
  g_strstrip(res);
  if (res[0] == '\0') {
    g_free(res);
    return TRUE;
  }
  *out = res;
  return TRUE;
}

/* ---- addr-spec pieces -------------------------------------------------- */

/* The local part from toks[start..end) (words and dots, RFC 5322 §3.4.1 and
 * obs-local-part §4.4). */
static gboolean
build_local_part(const Parser *p, guint start, guint end, char **out)
{
  g_autoptr(GString) s = g_string_new(NULL);

  for (guint k = start; k < end; k++) {
    const Token *t = &p->toks[k];
    if (k > start && is_word(t) && is_word(&p->toks[k - 1]))
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, t->offset,
                  "two words without a '.' between them in a local part");
    append_word(s, p, t);
  }
  if (!g_utf8_validate_len(s->str, s->len, NULL))
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, p->toks[start].offset,
                "local part is not valid UTF-8");
  *out = g_string_free(g_steal_pointer(&s), FALSE);
  return TRUE;
}

static gboolean
check_dns_lengths(const Parser *p, gsize offset, const char *domain)
{
  BimiDomainInfo info;
  gsize n = strlen(domain);

  if (n == 0 || bimi_domain_check(domain, n, BIMI_DNS_MAX_NAME_BYTES, 0, BIMI_DOMAIN_ANY_BYTES | BIMI_DOMAIN_EMPTY_LABELS,
                                  &info))
    return TRUE;
  if (info.status == BIMI_DOMAIN_TOO_LONG)
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset,
                "domain longer than %u bytes", BIMI_DNS_MAX_NAME_BYTES);
  return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset,
              "domain label longer than %u bytes", BIMI_DNS_MAX_LABEL_BYTES);
}

/* @name (dot-joined atoms, maybe UTF-8) → A-label lower-case form and
 * U-label form. */
static gboolean
normalise_domain(const Parser *p, gsize offset, const char *name, gsize name_len,
                 char **out_ascii, char **out_utf8)
{
  g_autofree char *a = NULL;
  const char *why = NULL;

  switch (bimi_domain_to_ascii(name, name_len, &a, &why)) {
  case BIMI_DOMAIN_IDN_OK:
    break;
  case BIMI_DOMAIN_IDN_BAD_UTF8:
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset, "domain is not valid UTF-8");
  case BIMI_DOMAIN_IDN_INVALID:
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset,
                "domain is not a valid internationalized domain name (%s)", why);
  }
  if (!check_dns_lengths(p, offset, a))
    return FALSE;
  *out_utf8 = bimi_domain_to_unicode(a);
  *out_ascii = g_steal_pointer(&a);
  return TRUE;
}

/* domain = dot-atom / domain-literal / obs-domain, at the current token. */
static gboolean
parse_domain(Parser *p, char **out_domain, char **out_utf8, gboolean *out_literal)
{
  const Token *t = cur(p);
  gsize offset = t->offset;
  g_autoptr(GString) s = g_string_new(NULL);

  if (t->type == TOK_LITERAL) {
    g_string_append_c(s, '[');
    append_delimited_content(s, p, t, TRUE);
    g_string_append_c(s, ']');
    for (gsize i = 1; i + 1 < s->len; i++) {
      guchar c = (guchar) s->str[i];
      if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\')
        return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset,
                    "byte 0x%02x not allowed in a domain literal", c);
    }
    if (s->len > BIMI_DNS_MAX_NAME_BYTES)
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset,
                  "domain literal longer than %u bytes", BIMI_DNS_MAX_NAME_BYTES);
    p->i++;
    *out_domain = g_ascii_strdown(s->str, (gssize) s->len);
    *out_utf8 = g_strdup(*out_domain);
    *out_literal = TRUE;
    return TRUE;
  }
  if (t->type != TOK_ATOM)
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, t->offset,
                "expected a domain after '@', found %s", describe(t));
  append_word(s, p, t);
  p->i++;
  while (is_special(cur(p), '.')) {
    p->i++;
    t = cur(p);
    if (t->type != TOK_ATOM)
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, t->offset,
                  "expected a domain label after '.', found %s", describe(t));
    g_string_append_c(s, '.');
    append_word(s, p, t);
    p->i++;
  }
  *out_literal = FALSE;
  return normalise_domain(p, offset, s->str, s->len, out_domain, out_utf8);
}

static gboolean
add_mailbox(Parser *p, gsize offset, char *display, char *local, char *domain, char *domain_utf8,
            gboolean literal, const char *group)
{
  BimiMailbox *m;

  if (p->out->len >= BIMI_MAX_ADDRESSES) {
    BIMI_FREE_ALL(display, local, domain, domain_utf8);
    return fail(p->error, BIMI_MESSAGE_ERROR_LIMIT, offset,
                "more than BIMI_MAX_ADDRESSES (%u) mailboxes", BIMI_MAX_ADDRESSES);
  }
  m = g_new0(BimiMailbox, 1);
  m->display_name = display;
  m->local_part = local;
  m->domain = domain;
  m->domain_utf8 = domain_utf8;
  m->domain_is_literal = literal;
  m->group = g_strdup(group);
  g_ptr_array_add(p->out, m);
  return TRUE;
}

/* angle-addr / obs-angle-addr at '<'. Takes @display. */
static gboolean
parse_angle_addr(Parser *p, char *display_in, const char *group)
{
  g_autofree char *display = display_in;
  g_autofree char *local = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *domain_utf8 = NULL;
  gboolean literal = FALSE;
  gsize offset = cur(p)->offset;
  guint start;

  p->i++;
  /* obs-route = obs-domain-list ":" ; obs-domain-list = *(CFWS / ",") "@" domain
   * *("," [CFWS] ["@" domain]). The route is dropped (RFC 5322 §4.4). */
  if (is_special(cur(p), '@') || is_special(cur(p), ',')) {
    for (;;) {
      while (is_special(cur(p), ','))
        p->i++;
      if (is_special(cur(p), '@')) {
        g_autofree char *rd = NULL;
        g_autofree char *ru = NULL;
        gboolean rl;
        p->i++;
        if (!parse_domain(p, &rd, &ru, &rl))
          return FALSE;
        continue;
      }
      break;
    }
    if (!is_special(cur(p), ':'))
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, cur(p)->offset,
                  "expected ':' after the route of an obsolete route address, found %s", describe(cur(p)));
    p->i++;
  }
  if (is_special(cur(p), '>'))
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset, "empty address '<>'");
  start = p->i;
  while (is_word(cur(p)) || is_special(cur(p), '.'))
    p->i++;
  if (p->i == start)
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, cur(p)->offset,
                "expected a local part after '<', found %s", describe(cur(p)));
  if (!build_local_part(p, start, p->i, &local))
    return FALSE;
  if (is_special(cur(p), '@')) {
    p->i++;
    if (!parse_domain(p, &domain, &domain_utf8, &literal))
      return FALSE;
  }
  if (!is_special(cur(p), '>'))
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, cur(p)->offset,
                "expected '>' to close the address opened at offset %" G_GSIZE_FORMAT ", found %s",
                offset, describe(cur(p)));
  p->i++;
  return add_mailbox(p, offset, g_steal_pointer(&display), g_steal_pointer(&local),
                     g_steal_pointer(&domain), g_steal_pointer(&domain_utf8), literal, group);
}

static gboolean parse_address(Parser *p, const char *group);

/* group = display-name ":" [group-list] ";" — toks[start..colon) is the name. */
static gboolean
parse_group(Parser *p, guint start, guint colon)
{
  g_autofree char *name = NULL;
  gsize offset = p->toks[start].offset;

  if (!decode_phrase(p, start, colon, &name))
    return FALSE;
  if (name == NULL)
    name = g_strdup("");
  p->i = colon + 1;
  for (;;) {
    while (is_special(cur(p), ','))
      p->i++;                   /* obs-group-list / empty elements */
    if (is_special(cur(p), ';')) {
      p->i++;
      return TRUE;
    }
    if (cur(p)->type == TOK_END)
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset, "group not closed by ';'");
    if (!parse_address(p, name))
      return FALSE;
    if (is_special(cur(p), ','))
      continue;
    if (cur(p)->type == TOK_END)
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, offset, "group not closed by ';'");
    if (!is_special(cur(p), ';'))
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, cur(p)->offset,
                  "expected ',' or ';' in a group, found %s", describe(cur(p)));
  }
}

/* address = mailbox / group (a group only when @group is NULL). */
static gboolean
parse_address(Parser *p, const char *group)
{
  guint start = p->i;
  guint j = start;
  const Token *t;

  while (is_word(&p->toks[j]) || is_special(&p->toks[j], '.'))
    j++;
  t = &p->toks[j];

  if (is_special(t, '<')) {
    char *display = NULL;
    if (!decode_phrase(p, start, j, &display))
      return FALSE;
    p->i = j;
    return parse_angle_addr(p, display, group);
  }
  if (is_special(t, ':') && j > start) {
    if (group != NULL)
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, t->offset, "a group inside a group");
    return parse_group(p, start, j);
  }
  if (j == start)
    return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, t->offset,
                "expected an address, found %s", describe(t));
  if (is_special(t, '@')) {
    g_autofree char *local = NULL;
    g_autofree char *domain = NULL;
    g_autofree char *domain_utf8 = NULL;
    gboolean literal = FALSE;

    if (!build_local_part(p, start, j, &local))
      return FALSE;
    p->i = j + 1;
    if (!parse_domain(p, &domain, &domain_utf8, &literal))
      return FALSE;
    return add_mailbox(p, p->toks[start].offset, NULL, g_steal_pointer(&local),
                       g_steal_pointer(&domain), g_steal_pointer(&domain_utf8), literal, group);
  }
  /* No '@' and no '<': a bare local part (domain NULL) if it has the form of
   * one, else a display name that lacks its address. */
  for (guint k = start + 1; k < j; k++) {
    if (is_word(&p->toks[k]) && is_word(&p->toks[k - 1]))
      return fail(p->error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, p->toks[start].offset,
                  "a display name without an <address>");
  }
  {
    g_autofree char *local = NULL;
    if (!build_local_part(p, start, j, &local))
      return FALSE;
    p->i = j;
    return add_mailbox(p, p->toks[start].offset, NULL, g_steal_pointer(&local), NULL, NULL, FALSE, group);
  }
}

GPtrArray *
bimi_message_parse_address_list(const char *text, gsize len, GError **error)
{
  g_autoptr(GArray) toks = NULL;
  g_autoptr(GPtrArray) out = NULL;
  Parser p = { 0 };

  g_return_val_if_fail(text != NULL || len == 0, NULL);
  if (len > BIMI_MAX_HEADER_FIELD_BYTES) {
    g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_LIMIT,
                "address list of %" G_GSIZE_FORMAT " bytes is longer than BIMI_MAX_HEADER_FIELD_BYTES (%u)",
                len, BIMI_MAX_HEADER_FIELD_BYTES);
    return NULL;
  }
  if (text == NULL)
    text = "";
  toks = tokenize(text, len, error);
  if (toks == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_mailbox_free);
  p.text = text;
  p.len = len;
  p.toks = (const Token *) toks->data;
  p.n_toks = toks->len;
  p.out = out;
  p.error = error;

  /* address-list / obs-addr-list: empty elements are skipped. */
  for (;;) {
    while (is_special(cur(&p), ','))
      p.i++;
    if (cur(&p)->type == TOK_END)
      break;
    if (!parse_address(&p, NULL))
      return NULL;
    if (is_special(cur(&p), ','))
      continue;
    if (cur(&p)->type == TOK_END)
      break;
    fail(error, BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX, cur(&p)->offset,
         "expected ',' or the end after an address, found %s", describe(cur(&p)));
    return NULL;
  }
  return g_steal_pointer(&out);
}
