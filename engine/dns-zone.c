/* engine/dns-zone.c — RFC 1035 master files for engine/dns (names and RDATA
 * through engine/dns-name.c).
 *
 * Implements:
 *  - RFC 1035 §5.1 (master-file syntax: entries, $ORIGIN,
 *    $INCLUDE, "@", blank owner, "( )", ";", quoted character-strings);
 *  - RFC 2308 §4 ($TTL);
 *  - RFC 2181 §8 (TTL range) and §10.1 (a CNAME owner has no other data);
 *  - RFC 3597 §5 ("\# LEN HEX" generic RDATA) for the supported types;
 *
 * Deliberate deviations:
 *  - Class IN only, and only the types the engine asks for (A AAAA MX PTR TXT
 *    SPF CNAME NS) plus SOA, so that zone files written for a real server
 *    load too. Anything else is a syntax error, never silently skipped.
 *  - $INCLUDE is refused: offline data must be self-contained and a zone
 *    file must not be able to make us read other files.
 *  - A newline inside a quoted string is an error (BIND agrees), so that a
 *    missing quote is reported on its own line rather than pages later.
 *  - Parentheses do not nest (RFC 1035 gives no meaning to nesting).
 *  - TTLs accept BIND's unit suffixes (1w2d3h4m5s) besides plain seconds.
 *  - Records with the same owner and type beyond BIMI_DNS_MAX_ANSWER_RECORDS
 *    are refused: such an RRset could never be answered.
 *  - Wildcard owners ("*.example.com") are refused: libunbound's local data
 *    would serve them only under the literal name "*", silently unlike a
 *    real server (RFC 4592), so we say so instead.
 *  - A UTF-8 byte order mark (EF BB BF) at the very start of a text is
 *    skipped (editors add one; it is never part of a name); anywhere else
 *    those bytes are data as usual.
 *  - TXT/SPF RDATA with no character-string at all ("\# 0") is refused:
 *    RFC 1035 §3.3.14 wants one or more, and libunbound cannot serve it.
 *
 * Every reader works on (pointer, length) with explicit bounds; nothing
 * assumes NUL termination of the input.
 */
#include "engine/dns-zone.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-mem.h"

#include <string.h>

/* ---- the zone (cross-record state) --------------------------------------- */

enum { SLOT_A, SLOT_NS, SLOT_CNAME, SLOT_SOA, SLOT_PTR, SLOT_MX, SLOT_TXT, SLOT_AAAA, SLOT_SPF, N_SLOTS };

typedef struct {
  guint16 count[N_SLOTS]; /* records of each type at one owner */
} OwnerInfo;

struct _BimiDnsZone {
  GHashTable *owners; /* lower-case owner text -> OwnerInfo* */
  guint n_records;
  guint max_records;
};

static int
type_slot(guint16 type)
{
  switch (type) {
  case BIMI_DNS_TYPE_A: return SLOT_A;
  case BIMI_DNS_TYPE_NS: return SLOT_NS;
  case BIMI_DNS_TYPE_CNAME: return SLOT_CNAME;
  case BIMI_DNS__TYPE_SOA: return SLOT_SOA;
  case BIMI_DNS_TYPE_PTR: return SLOT_PTR;
  case BIMI_DNS_TYPE_MX: return SLOT_MX;
  case BIMI_DNS_TYPE_TXT: return SLOT_TXT;
  case BIMI_DNS_TYPE_AAAA: return SLOT_AAAA;
  case BIMI_DNS_TYPE_SPF: return SLOT_SPF;
  default: return -1;
  }
}

static const char *
zone_type_name(guint16 type)
{
  if (type == BIMI_DNS__TYPE_SOA)
    return "SOA";
  return bimi_dns_type_to_string((BimiDnsType) type);
}

BimiDnsZone *
bimi_dns__zone_new(guint max_records)
{
  BimiDnsZone *zone = g_new0(BimiDnsZone, 1);
  zone->owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  zone->max_records = max_records;
  return zone;
}

BIMI_DEFINE_FREE_FUNC(BimiDnsZone, bimi_dns__zone_free, zone)
{
  g_hash_table_unref(zone->owners);
}

guint
bimi_dns__zone_record_count(const BimiDnsZone *zone)
{
  return zone->n_records;
}

BIMI_DEFINE_FREE_FUNC(BimiDnsZoneRecord, bimi_dns__zone_record_free, record)
{
  g_free(record->rdata);
}

char *
bimi_dns__zone_record_to_string(const BimiDnsZoneRecord *record)
{
  g_autofree char *owner = bimi_dns__name_to_text(&record->owner, BIMI_DNS__NAME_TRAILING_DOT | BIMI_DNS__NAME_MASTER);
  return g_strdup_printf("%s %u IN %s %s", owner, record->ttl, zone_type_name(record->type), record->rdata);
}

/* ---- lexer (RFC 1035 §5.1) ---------------------------------------------- */

typedef enum { TOK_WORD, TOK_QUOTED, TOK_EOL, TOK_EOF } TokKind;

typedef struct {
  TokKind kind;
  const char *p;          /* raw bytes, escapes not decoded, quotes stripped */
  gsize len;
  guint line;
  gboolean line_indented; /* the physical line of the token starts with a blank */
} Token;

static void
token_set(Token *tok, TokKind kind, const char *p, gsize len)
{
  tok->kind = kind;
  tok->p = p;
  tok->len = len;
}

typedef struct {
  const char *text;
  gsize len;
  gsize pos;
  guint line;
  gsize line_start;
  gboolean in_paren;
  guint paren_line;
  const char *source;
  Token ahead;
  gboolean have_ahead;
} Lexer;

static void G_GNUC_PRINTF(5, 6)
zone_error(GError **error, int code, const char *source, guint line, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  va_start(ap, fmt);
  msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, BIMI_DNS_ERROR, code, "%s:%u: %s", source, line, msg);
}

/* A token for messages: escaped, at most 40 bytes of it. */
static char *
token_display(const Token *t)
{
  gsize n = MIN(t->len, 40);
  g_autofree char *raw = g_strndup(t->p, n);
  g_autofree char *esc = NULL;
  /* g_strndup stops at a NUL; escape what is there */
  esc = g_strescape(raw, NULL);
  return g_strdup_printf("%s%s", esc, t->len > n ? "..." : "");
}

static gboolean
lex_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

/* The backslash at lx->pos escapes the next byte (RFC 1035 §5.1 \X and \DDD),
 * which must be on the same line; on return lx->pos is on that byte. */
static gboolean
lex_escape(Lexer *lx, const Token *tok, GError **error)
{
  lx->pos++;
  if (lx->pos >= lx->len || lx->text[lx->pos] == '\n') {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, lx->source, tok->line, "backslash at the end of a line");
    return FALSE;
  }
  return TRUE;
}

static gboolean
lex_read(Lexer *lx, Token *tok, GError **error)
{
  for (;;) {
    char c;
    if (lx->pos >= lx->len) {
      if (lx->in_paren) {
        zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, lx->source, lx->paren_line,
                   "'(' is never closed");
        return FALSE;
      }
      tok->kind = TOK_EOF;
      tok->p = lx->text + lx->len;
      tok->len = 0;
      tok->line = lx->line;
      tok->line_indented = FALSE;
      return TRUE;
    }
    c = lx->text[lx->pos];
    if (lex_blank(c)) {
      lx->pos++;
      continue;
    }
    if (c == ';') {
      while (lx->pos < lx->len && lx->text[lx->pos] != '\n')
        lx->pos++;
      continue;
    }
    if (c == '\n') {
      guint line = lx->line;
      lx->pos++;
      lx->line++;
      lx->line_start = lx->pos;
      if (lx->in_paren)
        continue;
      tok->kind = TOK_EOL;
      tok->p = lx->text + lx->pos - 1;
      tok->len = 0;
      tok->line = line;
      tok->line_indented = FALSE;
      return TRUE;
    }
    if (c == '(') {
      if (lx->in_paren) {
        zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, lx->source, lx->line,
                   "nested '(' (the one open since line %u is not closed)", lx->paren_line);
        return FALSE;
      }
      lx->in_paren = TRUE;
      lx->paren_line = lx->line;
      lx->pos++;
      continue;
    }
    if (c == ')') {
      if (!lx->in_paren) {
        zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, lx->source, lx->line, "')' without '('");
        return FALSE;
      }
      lx->in_paren = FALSE;
      lx->pos++;
      continue;
    }
    tok->line = lx->line;
    /* pos < len and line_start <= pos, so this read is in bounds */
    tok->line_indented = lx->text[lx->line_start] == ' ' || lx->text[lx->line_start] == '\t';
    if (c == '"') {
      gsize start = ++lx->pos;
      for (;;) {
        char q;
        if (lx->pos >= lx->len) {
          zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, lx->source, tok->line, "quoted string is never closed");
          return FALSE;
        }
        q = lx->text[lx->pos];
        if (q == '"')
          break;
        if (q == '\n') {
          zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, lx->source, tok->line,
                     "quoted string is not closed on its line");
          return FALSE;
        }
        if (q == '\\' && !lex_escape(lx, tok, error))
          return FALSE;
        lx->pos++;
      }
      token_set(tok, TOK_QUOTED, lx->text + start, lx->pos - start);
      lx->pos++; /* closing quote */
      return TRUE;
    } else {
      gsize start = lx->pos;
      while (lx->pos < lx->len) {
        char w = lx->text[lx->pos];
        if (lex_blank(w) || w == '\n' || w == ';' || w == '(' || w == ')' || w == '"')
          break;
        if (w == '\\' && !lex_escape(lx, tok, error))
          return FALSE;
        lx->pos++;
      }
      token_set(tok, TOK_WORD, lx->text + start, lx->pos - start);
      return TRUE;
    }
  }
}

static gboolean
lex_next(Lexer *lx, Token *tok, GError **error)
{
  if (lx->have_ahead) {
    *tok = lx->ahead;
    lx->have_ahead = FALSE;
    return TRUE;
  }
  return lex_read(lx, tok, error);
}

static void
lex_unread(Lexer *lx, const Token *tok)
{
  g_assert(!lx->have_ahead);
  lx->ahead = *tok;
  lx->have_ahead = TRUE;
}

static gboolean
tok_is(const Token *t, const char *word)
{
  gsize n = strlen(word);
  return t->kind == TOK_WORD && t->len == n && g_ascii_strncasecmp(t->p, word, n) == 0;
}

static gboolean
tok_ends_entry(const Token *t)
{
  return t->kind == TOK_EOL || t->kind == TOK_EOF;
}

/* Decodes "\X" and "\DDD" of a token into @out (at most @cap bytes). */
typedef enum { UNESC_OK, UNESC_TOO_LONG, UNESC_BAD } UnescResult;

static UnescResult
unescape(const Token *t, guint8 *out, gsize cap, gsize *out_len)
{
  gsize i = 0, n = 0;
  while (i < t->len) {
    guint8 b;
    if (t->p[i] == '\\') {
      i++;
      if (i >= t->len)
        return UNESC_BAD;
      if (bimi_char_is_digit(t->p[i])) {
        guint v;
        if (i + 2 >= t->len || !bimi_char_is_digit(t->p[i + 1]) || !bimi_char_is_digit(t->p[i + 2]))
          return UNESC_BAD;
        v = (guint) (t->p[i] - '0') * 100u + (guint) (t->p[i + 1] - '0') * 10u + (guint) (t->p[i + 2] - '0');
        if (v > 255)
          return UNESC_BAD;
        b = (guint8) v;
        i += 3;
      } else {
        b = (guint8) t->p[i++];
      }
    } else {
      b = (guint8) t->p[i++];
    }
    if (n >= cap)
      return UNESC_TOO_LONG;
    out[n++] = b;
  }
  *out_len = n;
  return UNESC_OK;
}

/* ---- entry parser --------------------------------------------------------- */

typedef struct {
  Lexer lx;
  BimiDnsZone *zone;
  GHashTable *pending;  /* owner key -> OwnerInfo*, this source's view */
  GPtrArray *records;
  BimiDnsName origin;
  BimiDnsName last_owner;
  gboolean have_last_owner;
  guint32 dollar_ttl;
  gboolean have_dollar_ttl;
  guint32 last_ttl;
  gboolean have_last_ttl;
} Parser;

static gboolean
parse_name(Parser *ps, const Token *t, BimiDnsName *out, const char *what, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (t->kind != TOK_WORD) {
    if (tok_ends_entry(t))
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t->line, "%s missing", what);
    else
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t->line, "%s cannot be a quoted string", what);
    return FALSE;
  }
  if (t->len == 1 && t->p[0] == '@') {
    *out = ps->origin;
    return TRUE;
  }
  if (!bimi_dns__name_from_text(t->p, t->len, &ps->origin, out, &local)) {
    g_autofree char *shown = token_display(t);
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t->line, "%s '%s': %s", what, shown,
               local->message);
    return FALSE;
  }
  return TRUE;
}

typedef enum { TTL_NOT, TTL_OK, TTL_RANGE } TtlResult;

/* RFC 1035 decimal seconds, or BIND's "1w2d3h4m5s" units. */
static TtlResult
parse_ttl(const Token *t, guint32 *out)
{
  guint64 total = 0, cur = 0;
  gboolean digits = FALSE, any_unit = FALSE;

  if (t->kind != TOK_WORD || t->len == 0 || !bimi_char_is_digit(t->p[0]))
    return TTL_NOT;
  for (gsize i = 0; i < t->len; i++) {
    char c = t->p[i];
    if (bimi_char_is_digit(c)) {
      cur = cur * 10u + (guint64) (c - '0');
      if (cur > BIMI_DNS_MAX_TTL)
        return TTL_RANGE;
      digits = TRUE;
    } else {
      guint64 mult;
      switch (g_ascii_tolower(c)) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      case 'w': mult = 604800; break;
      default: return TTL_NOT;
      }
      if (!digits)
        return TTL_NOT;
      total += cur * mult;
      if (total > BIMI_DNS_MAX_TTL)
        return TTL_RANGE;
      cur = 0;
      digits = FALSE;
      any_unit = TRUE;
    }
  }
  if (digits) {
    if (any_unit)
      return TTL_NOT; /* "1h30": a number after a unit needs its own unit */
    total = cur;
  }
  if (total > BIMI_DNS_MAX_TTL)
    return TTL_RANGE;
  *out = (guint32) total;
  return TTL_OK;
}

static gboolean
expect_ttl(Parser *ps, const Token *t, guint32 *out, const char *what, GError **error)
{
  switch (parse_ttl(t, out)) {
  case TTL_OK:
    return TRUE;
  case TTL_RANGE:
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t->line, "%s above %u seconds", what,
               BIMI_DNS_MAX_TTL);
    return FALSE;
  case TTL_NOT:
  default: {
    g_autofree char *shown = token_display(t);
    if (tok_ends_entry(t))
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t->line, "%s missing", what);
    else
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t->line, "%s '%s' is not a number of seconds",
                 what, shown);
    return FALSE;
  }
  }
}

static gboolean
parse_u32(const Token *t, guint64 max, guint64 *out)
{
  guint64 v = 0;
  if (t->kind != TOK_WORD || t->len == 0)
    return FALSE;
  for (gsize i = 0; i < t->len; i++) {
    if (!bimi_char_is_digit(t->p[i]))
      return FALSE;
    v = v * 10u + (guint64) (t->p[i] - '0');
    if (v > max)
      return FALSE;
  }
  *out = v;
  return TRUE;
}

static gboolean
next_rdata_token(Parser *ps, Token *t, const char *what, GError **error)
{
  if (!lex_next(&ps->lx, t, error))
    return FALSE;
  if (tok_ends_entry(t)) {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t->line, "%s missing", what);
    return FALSE;
  }
  return TRUE;
}

static void
append_name(GString *s, const BimiDnsName *name)
{
  g_autofree char *text = bimi_dns__name_to_text(name, BIMI_DNS__NAME_TRAILING_DOT | BIMI_DNS__NAME_MASTER);
  g_string_append(s, text);
}

/* A character-string in presentation form that any master-file parser reads back. */
static void
append_quoted(GString *s, const guint8 *data, gsize len)
{
  g_string_append_c(s, '"');
  for (gsize i = 0; i < len; i++) {
    guint8 b = data[i];
    if (b == '"' || b == '\\') {
      g_string_append_c(s, '\\');
      g_string_append_c(s, (gchar) b);
    } else if (b < 0x20 || b > 0x7e) {
      g_string_append_printf(s, "\\%03u", (guint) b);
    } else {
      g_string_append_c(s, (gchar) b);
    }
  }
  g_string_append_c(s, '"');
}

static gboolean
parse_address(Parser *ps, guint16 type, GString *out, GError **error)
{
  Token t;
  guint8 buf[64];
  gsize n = 0;
  g_autoptr(GInetAddress) addr = NULL;
  GSocketFamily want = type == BIMI_DNS_TYPE_A ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;
  const char *tname = type == BIMI_DNS_TYPE_A ? "A" : "AAAA";
  char text[sizeof buf + 1];

  if (!next_rdata_token(ps, &t, type == BIMI_DNS_TYPE_A ? "A address" : "AAAA address", error))
    return FALSE;
  if (t.kind != TOK_WORD || unescape(&t, buf, sizeof buf, &n) != UNESC_OK) {
    g_autofree char *shown = token_display(&t);
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "%s address '%s' is not valid", tname, shown);
    return FALSE;
  }
  memcpy(text, buf, n);
  text[n] = '\0';
  /* a strict literal: no scope id, no NUL inside, the right family */
  if (memchr(buf, '\0', n) == NULL && memchr(buf, '%', n) == NULL)
    addr = g_inet_address_new_from_string(text);
  if (addr == NULL || g_inet_address_get_family(addr) != want) {
    g_autofree char *shown = token_display(&t);
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "%s address '%s' is not valid", tname, shown);
    return FALSE;
  }
  {
    g_autofree char *canon = g_inet_address_to_string(addr);
    g_string_append(out, canon);
  }
  return TRUE;
}

static gboolean
parse_txt(Parser *ps, guint16 type, const Token *first, GString *out, GError **error)
{
  Token t = *first;
  gsize wire = 0;
  guint count = 0;

  for (;;) {
    guint8 buf[255];
    gsize n = 0;
    if (tok_ends_entry(&t)) {
      lex_unread(&ps->lx, &t);
      break;
    }
    switch (unescape(&t, buf, sizeof buf, &n)) {
    case UNESC_TOO_LONG:
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line,
                 "character-string longer than 255 bytes (RFC 1035 §3.3); split it into several strings");
      return FALSE;
    case UNESC_BAD:
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line,
                 "bad escape in character-string (\\X or \\DDD with DDD <= 255)");
      return FALSE;
    case UNESC_OK:
    default:
      break;
    }
    wire += 1 + n;
    if (wire > BIMI_DNS_MAX_RDATA_BYTES) {
      zone_error(error, BIMI_DNS_ERROR_LIMIT, ps->lx.source, t.line, "%s RDATA longer than %u bytes",
                 zone_type_name(type), BIMI_DNS_MAX_RDATA_BYTES);
      return FALSE;
    }
    if (count++ > 0)
      g_string_append_c(out, ' ');
    append_quoted(out, buf, n);
    if (!lex_next(&ps->lx, &t, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
hex_value(char c, guint8 *v)
{
  if (c >= '0' && c <= '9') *v = (guint8) (c - '0');
  else if (c >= 'a' && c <= 'f') *v = (guint8) (c - 'a' + 10);
  else if (c >= 'A' && c <= 'F') *v = (guint8) (c - 'A' + 10);
  else return FALSE;
  return TRUE;
}

/* RFC 3597 §5: "\# LEN HEX..." — validated by decoding it as the type demands. */
static gboolean
parse_generic(Parser *ps, guint16 type, guint line, GString *out, GError **error)
{
  Token t;
  guint64 len64 = 0;
  gsize have = 0;
  g_autofree guint8 *data = NULL;
  gboolean high = TRUE;

  if (!next_rdata_token(ps, &t, "RDATA length after \\#", error))
    return FALSE;
  if (!parse_u32(&t, G_MAXUINT16, &len64)) {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "RDATA length after \\# is not 0..65535");
    return FALSE;
  }
  if (len64 > BIMI_DNS_MAX_RDATA_BYTES) {
    zone_error(error, BIMI_DNS_ERROR_LIMIT, ps->lx.source, t.line, "%s RDATA longer than %u bytes",
               zone_type_name(type), BIMI_DNS_MAX_RDATA_BYTES);
    return FALSE;
  }
  data = g_malloc0(len64 > 0 ? (gsize) len64 : 1);
  for (;;) {
    if (!lex_next(&ps->lx, &t, error))
      return FALSE;
    if (tok_ends_entry(&t)) {
      lex_unread(&ps->lx, &t);
      break;
    }
    if (t.kind != TOK_WORD) {
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "\\# RDATA must be hexadecimal");
      return FALSE;
    }
    for (gsize i = 0; i < t.len; i++) {
      guint8 v;
      if (!hex_value(t.p[i], &v)) {
        zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "\\# RDATA must be hexadecimal");
        return FALSE;
      }
      if (have >= len64) {
        zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line,
                   "\\# RDATA longer than its length %u", (guint) len64);
        return FALSE;
      }
      if (high) {
        data[have] = (guint8) (v << 4);
      } else {
        data[have] = (guint8) (data[have] | v);
        have++;
      }
      high = !high;
    }
  }
  if (have != len64 || !high) {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, line,
               "\\# RDATA has fewer hex digits than its length %u needs", (guint) len64);
    return FALSE;
  }
  if (type == BIMI_DNS__TYPE_SOA) {
    BimiDnsName n1, n2;
    gsize u1 = 0, u2 = 0;
    if (!bimi_dns__name_from_wire(data, have, &u1, &n1) || !bimi_dns__name_from_wire(data + u1, have - u1, &u2, &n2) ||
        have - u1 - u2 != 20) {
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, line, "\\# RDATA is not a valid SOA");
      return FALSE;
    }
  } else if ((type == BIMI_DNS_TYPE_TXT || type == BIMI_DNS_TYPE_SPF) && have == 0) {
    /* RFC 1035 §3.3.14: one or more strings (and libunbound cannot serve none) */
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, line,
               "%s RDATA needs at least one character-string", zone_type_name(type));
    return FALSE;
  } else {
    g_autoptr(GError) local = NULL;
    BimiDnsRecord *rec = bimi_dns__record_from_rdata((BimiDnsType) type, 0, data, have, &local);
    if (rec == NULL) {
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, line, "\\# RDATA: %s", local->message);
      return FALSE;
    }
    bimi_dns__record_free(rec);
  }
  g_string_append_printf(out, "\\# %u", (guint) have);
  if (have > 0) {
    g_string_append_c(out, ' ');
    for (gsize i = 0; i < have; i++)
      g_string_append_printf(out, "%02X", (guint) data[i]);
  }
  return TRUE;
}

static gboolean
parse_rdata(Parser *ps, guint16 type, guint line, GString *out, GError **error)
{
  Token t;
  BimiDnsName name;

  if (!lex_next(&ps->lx, &t, error))
    return FALSE;
  if (t.kind == TOK_WORD && t.len == 2 && t.p[0] == '\\' && t.p[1] == '#')
    return parse_generic(ps, type, line, out, error);
  lex_unread(&ps->lx, &t);

  switch (type) {
  case BIMI_DNS_TYPE_A:
  case BIMI_DNS_TYPE_AAAA:
    return parse_address(ps, type, out, error);
  case BIMI_DNS_TYPE_NS:
  case BIMI_DNS_TYPE_CNAME:
  case BIMI_DNS_TYPE_PTR: {
    const char *what = type == BIMI_DNS_TYPE_NS ? "NS target" : type == BIMI_DNS_TYPE_PTR ? "PTR target" : "CNAME target";
    if (!next_rdata_token(ps, &t, what, error) || !parse_name(ps, &t, &name, what, error))
      return FALSE;
    append_name(out, &name);
    return TRUE;
  }
  case BIMI_DNS_TYPE_MX: {
    guint64 pref = 0;
    if (!next_rdata_token(ps, &t, "MX preference", error))
      return FALSE;
    if (!parse_u32(&t, G_MAXUINT16, &pref)) {
      g_autofree char *shown = token_display(&t);
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "MX preference '%s' is not 0..65535", shown);
      return FALSE;
    }
    if (!next_rdata_token(ps, &t, "MX exchange", error) || !parse_name(ps, &t, &name, "MX exchange", error))
      return FALSE;
    g_string_append_printf(out, "%u ", (guint) pref);
    append_name(out, &name);
    return TRUE;
  }
  case BIMI_DNS_TYPE_TXT:
  case BIMI_DNS_TYPE_SPF:
    if (!next_rdata_token(ps, &t, "character-string", error))
      return FALSE;
    return parse_txt(ps, type, &t, out, error);
  case BIMI_DNS__TYPE_SOA: {
    static const char *const timers[] = { "SOA refresh", "SOA retry", "SOA expire", "SOA minimum" };
    guint64 serial = 0;
    if (!next_rdata_token(ps, &t, "SOA MNAME", error) || !parse_name(ps, &t, &name, "SOA MNAME", error))
      return FALSE;
    append_name(out, &name);
    g_string_append_c(out, ' ');
    if (!next_rdata_token(ps, &t, "SOA RNAME", error) || !parse_name(ps, &t, &name, "SOA RNAME", error))
      return FALSE;
    append_name(out, &name);
    if (!next_rdata_token(ps, &t, "SOA serial", error))
      return FALSE;
    if (!parse_u32(&t, G_MAXUINT32, &serial)) {
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "SOA serial is not 0..4294967295");
      return FALSE;
    }
    g_string_append_printf(out, " %u", (guint) serial);
    for (gsize i = 0; i < G_N_ELEMENTS(timers); i++) {
      guint32 v = 0;
      if (!lex_next(&ps->lx, &t, error) || !expect_ttl(ps, &t, &v, timers[i], error))
        return FALSE;
      g_string_append_printf(out, " %u", v);
    }
    return TRUE;
  }
  default:
    g_assert_not_reached();
  }
  return FALSE;
}

static gboolean
parse_type(const Token *t, guint16 *out)
{
  static const struct { const char *name; guint16 type; } types[] = {
    { "A", BIMI_DNS_TYPE_A }, { "NS", BIMI_DNS_TYPE_NS }, { "CNAME", BIMI_DNS_TYPE_CNAME },
    { "SOA", BIMI_DNS__TYPE_SOA }, { "PTR", BIMI_DNS_TYPE_PTR }, { "MX", BIMI_DNS_TYPE_MX },
    { "TXT", BIMI_DNS_TYPE_TXT }, { "AAAA", BIMI_DNS_TYPE_AAAA }, { "SPF", BIMI_DNS_TYPE_SPF },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
    if (tok_is(t, types[i].name)) {
      *out = types[i].type;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
is_class(const Token *t)
{
  static const char *const others[] = { "CH", "CS", "HS", "NONE", "ANY" };
  if (t->kind != TOK_WORD)
    return FALSE;
  if (t->len > 5 && g_ascii_strncasecmp(t->p, "CLASS", 5) == 0 && bimi_char_is_digit(t->p[5]))
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
    if (tok_is(t, others[i]))
      return TRUE;
  }
  return FALSE;
}

/* Owner-level rules: RFC 2181 §10.1 (CNAME alone) and the RRset size bound. */
static gboolean
check_owner(Parser *ps, const BimiDnsName *owner, guint16 type, guint line, GError **error)
{
  g_autofree char *key = bimi_dns__name_to_text(owner, BIMI_DNS__NAME_LOWER);
  OwnerInfo *info = g_hash_table_lookup(ps->pending, key);
  int slot = type_slot(type);
  guint others = 0;

  g_assert(slot >= 0);
  if (info == NULL) {
    OwnerInfo *committed = g_hash_table_lookup(ps->zone->owners, key);
    info = committed ? g_memdup2(committed, sizeof *info) : g_new0(OwnerInfo, 1);
    g_hash_table_insert(ps->pending, g_strdup(key), info);
  }
  for (int i = 0; i < N_SLOTS; i++) {
    if (i != SLOT_CNAME)
      others += info->count[i];
  }
  if (type == BIMI_DNS_TYPE_CNAME && (others > 0 || info->count[SLOT_CNAME] > 0)) {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, line,
               "%s: a CNAME owner can have no other record, not even another CNAME (RFC 2181 §10.1)", key);
    return FALSE;
  }
  if (type != BIMI_DNS_TYPE_CNAME && info->count[SLOT_CNAME] > 0) {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, line,
               "%s already has a CNAME and can have no other record (RFC 2181 §10.1)", key);
    return FALSE;
  }
  if (info->count[slot] >= BIMI_DNS_MAX_ANSWER_RECORDS) {
    zone_error(error, BIMI_DNS_ERROR_LIMIT, ps->lx.source, line, "%s has more than %u %s records", key,
               BIMI_DNS_MAX_ANSWER_RECORDS, zone_type_name(type));
    return FALSE;
  }
  info->count[slot]++;
  return TRUE;
}

static gboolean
parse_directive(Parser *ps, const Token *first, GError **error)
{
  Token t;
  if (tok_is(first, "$ORIGIN")) {
    BimiDnsName origin;
    if (!lex_next(&ps->lx, &t, error) || !parse_name(ps, &t, &origin, "$ORIGIN name", error))
      return FALSE;
    ps->origin = origin;
  } else if (tok_is(first, "$TTL")) {
    if (!lex_next(&ps->lx, &t, error) || !expect_ttl(ps, &t, &ps->dollar_ttl, "$TTL", error))
      return FALSE;
    ps->have_dollar_ttl = TRUE;
  } else if (tok_is(first, "$INCLUDE")) {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, first->line,
               "$INCLUDE is not supported: offline zone data must be self-contained");
    return FALSE;
  } else {
    g_autofree char *shown = token_display(first);
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, first->line, "unknown directive '%s'", shown);
    return FALSE;
  }
  if (!lex_next(&ps->lx, &t, error))
    return FALSE;
  if (!tok_ends_entry(&t)) {
    g_autofree char *shown = token_display(&t);
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "unexpected '%s' after the directive", shown);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_entry(Parser *ps, const Token *first, GError **error)
{
  Token t = *first;
  BimiDnsName owner;
  guint32 ttl = 0;
  gboolean have_ttl = FALSE, have_class = FALSE;
  guint16 type = 0;
  guint line = first->line;
  g_autoptr(GString) rdata = g_string_new(NULL);
  BimiDnsZoneRecord *rec;

  if (first->line_indented) {
    if (!ps->have_last_owner) {
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, line,
                 "line starts with a blank (same owner as before) but there is no previous owner");
      return FALSE;
    }
    owner = ps->last_owner;
  } else {
    if (!parse_name(ps, &t, &owner, "owner name", error))
      return FALSE;
    if (!lex_next(&ps->lx, &t, error))
      return FALSE;
  }
  if (owner.len > 2 && owner.wire[0] == 1 && owner.wire[1] == '*') {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, line,
               "wildcard owner names are not supported in offline data (no RFC 4592 synthesis)");
    return FALSE;
  }
  ps->last_owner = owner;
  ps->have_last_owner = TRUE;

  /* [TTL] [class] or [class] [TTL] (RFC 1035 §5.1) */
  for (int i = 0; i < 2; i++) {
    if (!have_ttl && t.kind == TOK_WORD && t.len > 0 && bimi_char_is_digit(t.p[0])) {
      if (!expect_ttl(ps, &t, &ttl, "TTL", error))
        return FALSE;
      have_ttl = TRUE;
    } else if (!have_class && tok_is(&t, "IN")) {
      have_class = TRUE;
    } else if (!have_class && is_class(&t)) {
      g_autofree char *shown = token_display(&t);
      zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "class '%s' is not supported (only IN)", shown);
      return FALSE;
    } else {
      break;
    }
    if (!lex_next(&ps->lx, &t, error))
      return FALSE;
  }
  if (tok_ends_entry(&t)) {
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "record type missing");
    return FALSE;
  }
  if (!parse_type(&t, &type)) {
    g_autofree char *shown = token_display(&t);
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line,
               "unsupported record type '%s' (supported: A AAAA CNAME MX NS PTR SOA SPF TXT)", shown);
    return FALSE;
  }
  if (!parse_rdata(ps, type, line, rdata, error))
    return FALSE;
  if (!lex_next(&ps->lx, &t, error))
    return FALSE;
  if (!tok_ends_entry(&t)) {
    g_autofree char *shown = token_display(&t);
    zone_error(error, BIMI_DNS_ERROR_ZONE_SYNTAX, ps->lx.source, t.line, "unexpected '%s' after the %s RDATA", shown,
               zone_type_name(type));
    return FALSE;
  }

  if (have_ttl) {
    ps->last_ttl = ttl;
    ps->have_last_ttl = TRUE;
  } else if (ps->have_dollar_ttl) {
    ttl = ps->dollar_ttl;
  } else if (ps->have_last_ttl) {
    ttl = ps->last_ttl;
  } else {
    ttl = BIMI_DNS_ZONE_DEFAULT_TTL;
  }

  if (ps->zone->n_records + ps->records->len >= ps->zone->max_records) {
    zone_error(error, BIMI_DNS_ERROR_LIMIT, ps->lx.source, line, "more than %u zone records", ps->zone->max_records);
    return FALSE;
  }
  if (!check_owner(ps, &owner, type, line, error))
    return FALSE;

  rec = g_new0(BimiDnsZoneRecord, 1);
  rec->owner = owner;
  rec->ttl = ttl;
  rec->type = type;
  rec->rdata = g_string_free(g_steal_pointer(&rdata), FALSE);
  rec->line = line;
  g_ptr_array_add(ps->records, rec);
  return TRUE;
}

GPtrArray *
bimi_dns__zone_parse(BimiDnsZone *zone, const char *text, gsize len, const char *source,
                     const char *default_origin, GError **error)
{
  Parser ps;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_dns__zone_record_free);
  g_autoptr(GHashTable) pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer key, value;

  g_return_val_if_fail(zone != NULL, NULL);
  g_return_val_if_fail(text != NULL || len == 0, NULL);
  if (source == NULL)
    source = "zone";

  /* A UTF-8 byte order mark (editors add one) is not part of the text. */
  if (text != NULL && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
    text += 3;
    len -= 3;
  }
  memset(&ps, 0, sizeof ps);
  ps.lx.text = text ? text : "";
  ps.lx.len = len;
  ps.lx.line = 1;
  ps.lx.source = source;
  ps.zone = zone;
  ps.pending = pending;
  ps.records = records;
  if (default_origin == NULL) {
    ps.origin.wire[0] = 0;
    ps.origin.len = 1;
  } else {
    g_autoptr(GError) local = NULL;
    if (!bimi_dns__name_from_text(default_origin, strlen(default_origin), NULL, &ps.origin, &local)) {
      g_set_error(error, BIMI_DNS_ERROR, BIMI_DNS_ERROR_ZONE_SYNTAX, "%s: default origin: %s", source, local->message);
      return NULL;
    }
  }

  for (;;) {
    Token t;
    if (!lex_next(&ps.lx, &t, error))
      return NULL;
    if (t.kind == TOK_EOF)
      break;
    if (t.kind == TOK_EOL)
      continue;
    if (t.kind == TOK_WORD && t.len > 0 && t.p[0] == '$') {
      if (!parse_directive(&ps, &t, error))
        return NULL;
      continue;
    }
    if (!parse_entry(&ps, &t, error))
      return NULL;
  }

  /* commit: this source parsed entirely */
  g_hash_table_iter_init(&it, pending);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    g_hash_table_iter_steal(&it);
    g_hash_table_replace(zone->owners, key, value);
  }
  zone->n_records += records->len;
  return g_steal_pointer(&records);
}
