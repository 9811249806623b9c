/* engine/received.c — RFC 5321 §4.4 trace fields; the envelope of the trusted hop.
 *
 * Implements the Stamp of RFC 5321 §4.4 (From-domain with TCP-info, By-domain,
 * Via, With, ID, For, additional clauses) read with the tolerance of RFC 5322
 * §3.6.7 (received-token* ";" date-time) and §3.2.2 (nested comments), and the
 * Return-Path of RFC 5321 §4.4 / RFC 5322 §3.6.7 (path, null path "<>", the
 * obsolete source route of RFC 5321 §4.1.2 / Appendix C dropped).
 *
 * Deliberate choices (each explained where it is made):
 *  - The stamp ends at the LAST ";" outside comments, and any other ";" there
 *    is an error: date-time has no ";", so a ";" before it came from a HELO
 *    argument (Postfix copies HELO verbatim) and would otherwise cut the field
 *    before its real "by" clause.
 *  - Quoted-strings are read only inside angle-addrs (<"a b"@example>); a '"'
 *    elsewhere is an error, for the same reason: a quote in a HELO could
 *    otherwise swallow the rest of the field up to a quote in a recipient.
 *  - A second from or by clause is an error, not "take the first": the extra
 *    one can only come from a forged HELO.
 *  - The client address may be written in several places of the from clause
 *    (Postfix "(rdns [ip])", Exchange "(ip)", qmail "(HELO x) (ip)",
 *    Sendmail "(user@rdns [ip] (may be forged))", RFC 6376's example
 *    "client [ip]"). All of them are read; when they disagree the field is
 *    refused rather than guessing which one the MTA wrote.
 *  - The date-time is not parsed: nothing here needs it.
 */
#include "engine/received.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-rfc5322.h"
#include "engine/limits.h"

#include <gio/gio.h>
#include <string.h>

G_DEFINE_QUARK(bimi-received-error-quark, bimi_received_error)

/* ---- tokens ------------------------------------------------------------- */

typedef enum {
  TOK_WORD,    /* a run of bytes other than WSP, controls and ()[]<>;" */
  TOK_LITERAL, /* "[...]" */
  TOK_ANGLE,   /* "<...>" */
  TOK_COMMENT, /* "(...)", nested */
  TOK_SEMI,    /* ";" */
} TokKind;

typedef struct {
  TokKind kind;
  gsize off; /* first byte, in the value */
  gsize len; /* whole token, delimiters included */
} Tok;

/* WSP, CR and LF separate tokens; the other controls are errors. */
static gboolean
is_ctl(guchar c)
{
  return bimi_char_is_ctl(c) && !bimi_char_is_lwsp(c);
}

static gboolean
ctl_error(const char *v, gsize i, GError **error)
{
  g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX, "control byte 0x%02x at offset %" G_GSIZE_FORMAT,
              (guint) (guchar) v[i], i);
  return FALSE;
}

/* A comment starting at v[*i] == '(', nested up to BIMI_RECEIVED_MAX_COMMENT_DEPTH;
 * on return *i is past its ')'. */
static gboolean
scan_comment(const char *v, gsize len, gsize *i, GError **error)
{
  BimiLexError lex;

  if (bimi_rfc5322_skip_comment_at(v, len, i, BIMI_RECEIVED_MAX_COMMENT_DEPTH, BIMI_LEX_NO_CTL, &lex))
    return TRUE;
  switch (lex.status) {
  case BIMI_LEX_TOO_DEEP:
    g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_LIMIT,
                "comments nested deeper than BIMI_RECEIVED_MAX_COMMENT_DEPTH (%u) at offset %" G_GSIZE_FORMAT,
                BIMI_RECEIVED_MAX_COMMENT_DEPTH, lex.offset);
    return FALSE;
  case BIMI_LEX_BAD_BYTE:
    return ctl_error(v, lex.offset, error);
  default:
    g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                "unterminated comment opened at offset %" G_GSIZE_FORMAT, lex.offset);
    return FALSE;
  }
}

/* The three bracketed runs of a Received field, scanned by one loop:
 * an address literal (RFC 5321 §4.1.3: dtext only, no WSP), a quoted-string
 * (RFC 5322 §3.2.4, with quoted-pairs) and an angle-addr (a path, with quoted
 * local parts and domain literals; no comment, no second '<', no ';'). */
typedef struct {
  const char *name;       /* in messages */
  guchar close;           /* the byte that ends the run */
  const char *refused;    /* bytes refused inside; NULL: none */
  gboolean refuse_wsp;    /* WSP refused inside */
  gboolean quoted_pair;   /* '\\' takes the next byte along (RFC 5322 §3.2.1) */
  gboolean quoted_inside; /* a quoted-string may stand inside */
} Bracketed;

static const Bracketed LITERAL = { "address literal", ']', "[()<>;\"\\", TRUE, FALSE, FALSE };
static const Bracketed QUOTED = { "quoted-string", '"', NULL, FALSE, TRUE, FALSE };
static const Bracketed ANGLE = { "angle-addr", '>', "<();\\", FALSE, FALSE, TRUE };

/* The run of kind @k whose opening byte is v[*i]; on return *i is past its
 * closing byte. Control bytes and @k's refused bytes are syntax errors. */
static gboolean
scan_bracketed(const Bracketed *k, const char *v, gsize len, gsize *i, GError **error)
{
  gsize start = (*i)++;
  while (*i < len) {
    guchar c = v[*i];
    if (c == k->close) {
      (*i)++;
      return TRUE;
    }
    if (is_ctl(c))
      return ctl_error(v, *i, error);
    if (k->quoted_pair && c == '\\') {
      if (*i + 1 < len && is_ctl((guchar) v[*i + 1]))
        return ctl_error(v, *i + 1, error);
      *i += 2;
      continue;
    }
    if (k->quoted_inside && c == '"') {
      if (!scan_bracketed(&QUOTED, v, len, i, error))
        return FALSE;
      continue;
    }
    if ((k->refuse_wsp && bimi_char_is_lwsp(c)) || (k->refused != NULL && strchr(k->refused, c) != NULL)) {
      g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                  "'%c' inside the %s opened at offset %" G_GSIZE_FORMAT " (offset %" G_GSIZE_FORMAT ")",
                  bimi_char_is_lwsp(c) ? ' ' : c, k->name, start, *i);
      return FALSE;
    }
    (*i)++;
  }
  g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX, "unterminated %s opened at offset %" G_GSIZE_FORMAT,
              k->name, start);
  return FALSE;
}

/* RFC 6532 §3.2: 8-bit bytes in a field must be UTF-8. @what starts the
 * message ("" or "Return-Path: "). */
static gboolean
require_utf8(const char *v, gsize len, const char *what, GError **error)
{
  const char *bad = NULL;

  if (g_utf8_validate_len(v, len, &bad))
    return TRUE;
  g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
              "%s8-bit byte that is not UTF-8 at offset %" G_GSIZE_FORMAT, what, (gsize) (bad - v));
  return FALSE;
}

static gboolean
tokenize(const char *v, gsize len, GArray *toks, GError **error)
{
  gsize i = 0;
  while (i < len) {
    guchar c = v[i];
    if (bimi_char_is_lwsp(c)) {
      i++;
      continue;
    }
    if (is_ctl(c))
      return ctl_error(v, i, error);
    if (c == ')' || c == ']' || c == '>') {
      g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                  "'%c' at offset %" G_GSIZE_FORMAT " closes nothing", c, i);
      return FALSE;
    }
    if (c == '"') {
      g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                  "quoted-string outside an angle-addr at offset %" G_GSIZE_FORMAT, i);
      return FALSE;
    }
    if (toks->len == BIMI_RECEIVED_MAX_TOKENS) {
      g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_LIMIT,
                  "more than BIMI_RECEIVED_MAX_TOKENS (%u) tokens at offset %" G_GSIZE_FORMAT,
                  BIMI_RECEIVED_MAX_TOKENS, i);
      return FALSE;
    }
    Tok t = { .off = i };
    gboolean ok = TRUE;
    switch (c) {
    case '(':
      t.kind = TOK_COMMENT;
      ok = scan_comment(v, len, &i, error);
      break;
    case '[':
      t.kind = TOK_LITERAL;
      ok = scan_bracketed(&LITERAL, v, len, &i, error);
      break;
    case '<':
      t.kind = TOK_ANGLE;
      ok = scan_bracketed(&ANGLE, v, len, &i, error);
      break;
    case ';':
      t.kind = TOK_SEMI;
      i++;
      break;
    default:
      t.kind = TOK_WORD;
      while (i < len && !bimi_char_is_lwsp((guchar) v[i]) && !is_ctl((guchar) v[i]) && strchr("()[]<>;\"", v[i]) == NULL)
        i++;
      break;
    }
    if (!ok)
      return FALSE;
    t.len = i - t.off;
    g_array_append_val(toks, t);
  }
  return require_utf8(v, len, "", error);
}

/* ---- addresses ---------------------------------------------------------- */

/* Canonical text of an IP address, or NULL. IPv4-mapped IPv6 becomes IPv4. */
static char *
ip_canonical(const char *text, gsize len)
{
  if (len == 0 || len > 64 || memchr(text, '%', len) != NULL)
    return NULL;
  g_autofree char *s = g_strndup(text, len);
  if (strlen(s) != len)
    return NULL;
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(s);
  if (a == NULL)
    return NULL;
  if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6) {
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    const guint8 *b = g_inet_address_to_bytes(a);
    if (memcmp(b, mapped, sizeof mapped) == 0) {
      g_autoptr(GInetAddress) v4 = g_inet_address_new_from_bytes(b + 12, G_SOCKET_FAMILY_IPV4);
      return g_inet_address_to_string(v4);
    }
  }
  return g_inet_address_to_string(a);
}

/* Does the inside of "[...]" claim to be an address? "IPv6:..." or only
 * digits and dots, or only hex digits and colons (at least one ':'). A host
 * name in brackets ("[mail.example]", Stalwart writes it) does not. */
static gboolean
literal_claims_address(const char *in, gsize len)
{
  if (len >= 5 && g_ascii_strncasecmp(in, "IPv6:", 5) == 0)
    return TRUE;
  gboolean v4 = len > 0, v6 = len > 0, colon = FALSE;
  for (gsize k = 0; k < len; k++) {
    guchar c = in[k];
    if (c == '%' && colon) /* an IPv6 zone index ("fe80::1%eth0"): still an address claim */
      break;
    if (!(g_ascii_isdigit(c) || c == '.'))
      v4 = FALSE;
    if (!(g_ascii_isxdigit(c) || c == ':' || c == '.'))
      v6 = FALSE;
    if (c == ':')
      colon = TRUE;
  }
  return v4 || (v6 && colon);
}

/* The TCP-info of the from clause, read straight into its hop: hop->client_ip
 * is the one client address seen so far (canonical), hop->helo the "helo=X" /
 * "HELO X" of a comment; the hop's clear releases both. */
typedef struct {
  BimiReceivedHop *hop; /* (transfer none) */
  gsize ip_off;         /* where hop->client_ip was written */
} TcpInfo;

static gboolean
tcp_info_add_ip(TcpInfo *t, char *ip, gsize off, GError **error)
{
  if (t->hop->client_ip == NULL) {
    t->hop->client_ip = ip;
    t->ip_off = off;
    return TRUE;
  }
  gboolean same = strcmp(t->hop->client_ip, ip) == 0;
  if (!same)
    g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_ADDRESS,
                "the from clause names two client addresses, %s (offset %" G_GSIZE_FORMAT ") and %s (offset %" G_GSIZE_FORMAT ")",
                t->hop->client_ip, t->ip_off, ip, off);
  g_free(ip);
  return same;
}

/* The inside of a literal at @off (the '['), @len bytes between the brackets. */
static gboolean
tcp_info_literal(TcpInfo *t, const char *v, gsize off, gsize len, GError **error)
{
  const char *in = v + off + 1;
  if (!literal_claims_address(in, len))
    return TRUE;
  gsize skip = (len >= 5 && g_ascii_strncasecmp(in, "IPv6:", 5) == 0) ? 5 : 0;
  char *ip = ip_canonical(in + skip, len - skip);
  if (ip == NULL || (skip == 5 && strchr(ip, ':') == NULL && memchr(in + skip, ':', len - skip) == NULL)) {
    g_free(ip);
    g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_ADDRESS,
                "address literal [%.*s] at offset %" G_GSIZE_FORMAT " is not an IPv4 or IPv6 address",
                (int) MIN(len, 80), in, off);
    return FALSE;
  }
  return tcp_info_add_ip(t, ip, off, error);
}

static gboolean
is_comment_sep(guchar c)
{
  return bimi_char_is_lwsp(c) || c == '(' || c == ')' || c == ',';
}

/* Reads one comment (with its nested comments) for addresses and a HELO. */
static gboolean
tcp_info_comment(TcpInfo *t, const char *v, gsize off, gsize len, GError **error)
{
  gsize i = off, end = off + len;
  gboolean want_helo = FALSE; /* previous word was "HELO" (qmail) */
  while (i < end) {
    guchar c = v[i];
    if (is_comment_sep(c)) {
      i++;
      continue;
    }
    if (c == '[') {
      gsize s = i++;
      while (i < end && v[i] != ']' && !is_comment_sep((guchar) v[i]))
        i++;
      if (i >= end || v[i] != ']') /* "[" without "]" inside a comment: text */
        continue;
      i++;
      if (want_helo) {
        if (t->hop->helo == NULL)
          t->hop->helo = g_strndup(v + s, i - s);
        want_helo = FALSE;
        continue;
      }
      if (!tcp_info_literal(t, v, s, i - s - 2, error))
        return FALSE;
      /* Postfix with smtpd_client_port_logging writes "[ip]:port". */
      if (i < end && v[i] == ':')
        while (i < end && !is_comment_sep((guchar) v[i]))
          i++;
      continue;
    }
    gsize s = i;
    while (i < end && !is_comment_sep((guchar) v[i]) && v[i] != '[') {
      if (v[i] == '\\' && i + 1 < end)
        i++;
      i++;
    }
    gsize wl = i - s;
    const char *w = v + s;
    if (want_helo) {
      if (t->hop->helo == NULL && wl > 0)
        t->hop->helo = g_strndup(w, wl);
      want_helo = FALSE;
      continue;
    }
    if (wl == 4 && g_ascii_strncasecmp(w, "helo", 4) == 0) {
      want_helo = TRUE;
      continue;
    }
    if (wl >= 5 && g_ascii_strncasecmp(w, "helo=", 5) == 0) {
      if (wl == 5 && i < end && v[i] == '[')
        want_helo = TRUE; /* Exim: "helo=[192.0.2.1]" */
      else if (t->hop->helo == NULL && wl > 5)
        t->hop->helo = g_strndup(w + 5, wl - 5);
      continue;
    }
    /* A bare address: Exchange "(192.0.2.1)", qmail "(user@192.0.2.1)". */
    const char *at = NULL;
    for (gsize k = 0; k < wl; k++)
      if (w[k] == '@')
        at = w + k;
    if (at != NULL) {
      wl -= (gsize) (at + 1 - w);
      w = at + 1;
    }
    char *ip = ip_canonical(w, wl);
    if (ip != NULL && !tcp_info_add_ip(t, ip, (gsize) (w - v), error))
      return FALSE;
  }
  return TRUE;
}

/* ---- clauses ------------------------------------------------------------ */

typedef enum { KW_NONE, KW_FROM, KW_BY, KW_VIA, KW_WITH, KW_ID, KW_FOR } Keyword;

static Keyword
keyword(const char *v, const Tok *t)
{
  static const struct { const char *name; Keyword kw; } kws[] = {
    { "from", KW_FROM }, { "by", KW_BY }, { "via", KW_VIA }, { "with", KW_WITH }, { "id", KW_ID }, { "for", KW_FOR },
  };
  if (t->kind != TOK_WORD)
    return KW_NONE;
  for (gsize k = 0; k < G_N_ELEMENTS(kws); k++)
    if (strlen(kws[k].name) == t->len && g_ascii_strncasecmp(v + t->off, kws[k].name, t->len) == 0)
      return kws[k].kw;
  return KW_NONE;
}

static char *
tok_dup(const char *v, const Tok *t)
{
  return g_strndup(v + t->off, t->len);
}

/* What the envelope walk needs beyond the public hop. */
typedef struct {
  gboolean has_from;
  gboolean has_by;
} ParseInfo;

static gboolean
parse_hop(const char *value, gsize len, BimiReceivedHop *out, ParseInfo *info, GError **error)
{
  g_return_val_if_fail(value != NULL || len == 0, FALSE);
  g_return_val_if_fail(out != NULL, FALSE);
  memset(out, 0, sizeof *out);
  memset(info, 0, sizeof *info);
  if (len > BIMI_RECEIVED_MAX_BYTES) {
    g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_LIMIT,
                "Received value of %" G_GSIZE_FORMAT " bytes is longer than BIMI_RECEIVED_MAX_BYTES (%u)", len,
                BIMI_RECEIVED_MAX_BYTES);
    return FALSE;
  }
  g_autoptr(GArray) toks = g_array_new(FALSE, FALSE, sizeof(Tok));
  if (!tokenize(value, len, toks, error))
    return FALSE;

  /* The stamp ends at the last ';' (the date-time follows); no other ';'. */
  guint n = toks->len;
  for (guint k = toks->len; k > 0; k--)
    if (g_array_index(toks, Tok, k - 1).kind == TOK_SEMI) {
      n = k - 1;
      break;
    }
  for (guint k = 0; k < n; k++)
    if (g_array_index(toks, Tok, k).kind == TOK_SEMI) {
      g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                  "';' at offset %" G_GSIZE_FORMAT " before the one that starts the date-time",
                  g_array_index(toks, Tok, k).off);
      return FALSE;
    }

  BimiReceivedHop hop = { 0 };
  TcpInfo tcp = { .hop = &hop };
  const Tok *from_value = NULL;
  gboolean ok = TRUE;
  guint k = 0;
  while (ok && k < n) {
    const Tok *t = &g_array_index(toks, Tok, k);
    Keyword kw = keyword(value, t);
    k++;
    switch (kw) {
    case KW_FROM:
    case KW_BY: {
      const char *what = kw == KW_FROM ? "from" : "by";
      gboolean *seen = kw == KW_FROM ? &info->has_from : &info->has_by;
      if (*seen) {
        g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                    "second %s clause at offset %" G_GSIZE_FORMAT, what, t->off);
        ok = FALSE;
        break;
      }
      *seen = TRUE;
      /* RFC 5321 §4.4: the word after the keyword is the domain, whatever
       * it spells ("from by (unknown [192.0.2.1]) by mx" is a HELO "by"). */
      const Tok *val = k < n ? &g_array_index(toks, Tok, k) : NULL;
      gboolean has_val = val != NULL && (val->kind == TOK_WORD || val->kind == TOK_LITERAL);
      if (has_val)
        k++;
      if (kw == KW_BY) {
        if (!has_val) {
          g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                      "by clause at offset %" G_GSIZE_FORMAT " without a host", t->off);
          ok = FALSE;
          break;
        }
        hop.by_host = tok_dup(value, val);
        break;
      }
      /* from: Postfix "from (localhost[127.0.0.1])" has TCP-info and no domain. */
      if (!has_val && (val == NULL || val->kind != TOK_COMMENT)) {
        g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                    "from clause at offset %" G_GSIZE_FORMAT " without a domain", t->off);
        ok = FALSE;
        break;
      }
      from_value = has_val ? val : NULL;
      /* TCP-info: every comment and bare literal up to the next clause. */
      while (ok && k < n) {
        const Tok *u = &g_array_index(toks, Tok, k);
        if (keyword(value, u) != KW_NONE)
          break;
        if (u->kind == TOK_COMMENT)
          ok = tcp_info_comment(&tcp, value, u->off + 1, u->len - 2, error);
        else if (u->kind == TOK_LITERAL)
          ok = tcp_info_literal(&tcp, value, u->off, u->len - 2, error);
        k++;
      }
      break;
    }
    case KW_WITH: {
      GString *w = NULL;
      while (k < n) {
        const Tok *u = &g_array_index(toks, Tok, k);
        if (u->kind != TOK_WORD || keyword(value, u) != KW_NONE)
          break;
        if (w == NULL)
          w = g_string_new(NULL);
        else
          g_string_append_c(w, ' ');
        g_string_append_len(w, value + u->off, (gssize) u->len);
        k++;
      }
      if (w != NULL) {
        if (hop.with == NULL)
          hop.with = g_string_free(w, FALSE);
        else
          g_string_free(w, TRUE);
      }
      break;
    }
    case KW_FOR:
      if (k < n) {
        const Tok *u = &g_array_index(toks, Tok, k);
        if (u->kind == TOK_ANGLE || (u->kind == TOK_WORD && keyword(value, u) == KW_NONE)) {
          if (hop.for_addr == NULL)
            hop.for_addr = u->kind == TOK_ANGLE ? g_strndup(value + u->off + 1, u->len - 2) : tok_dup(value, u);
          k++;
        }
      }
      break;
    case KW_VIA:
    case KW_ID:
      if (k < n && keyword(value, &g_array_index(toks, Tok, k)) == KW_NONE)
        k++;
      break;
    case KW_NONE:
      break; /* additional clauses, comments, stray words */
    }
  }
  if (!ok) {
    bimi_received_hop_clear(&hop);
    return FALSE;
  }

  /* Without TCP-info, the From-domain is the HELO and a literal there the address. */
  if (hop.helo == NULL && from_value != NULL)
    hop.helo = tok_dup(value, from_value);
  if (hop.client_ip == NULL && from_value != NULL && from_value->kind == TOK_LITERAL) {
    /* Exim "from [192.0.2.1] (helo=x)", webmail "from [192.0.2.1] by". */
    const char *in = value + from_value->off + 1;
    gsize il = from_value->len - 2;
    gsize skip = (il >= 5 && g_ascii_strncasecmp(in, "IPv6:", 5) == 0) ? 5 : 0;
    hop.client_ip = ip_canonical(in + skip, il - skip);
  }
  *out = hop;
  return TRUE;
}

gboolean
bimi_received_parse(const char *value, gsize len, BimiReceivedHop *out, GError **error)
{
  ParseInfo info;
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  return parse_hop(value, len, out, &info, error);
}

void
bimi_received_hop_clear(BimiReceivedHop *hop)
{
  if (hop == NULL)
    return;
  BIMI_FREE_ALL(hop->helo, hop->client_ip, hop->by_host, hop->with, hop->for_addr);
  memset(hop, 0, sizeof *hop);
}

/* ---- Return-Path -------------------------------------------------------- */

static gsize
skip_cfws(const char *v, gsize len, gsize i, GError **error, gboolean *ok)
{
  *ok = TRUE;
  while (i < len) {
    if (bimi_char_is_lwsp((guchar) v[i])) {
      i++;
    } else if (v[i] == '(') {
      if (!scan_comment(v, len, &i, error)) {
        *ok = FALSE;
        return i;
      }
    } else {
      break;
    }
  }
  return i;
}

/* RFC 5322 §3.6.7 path = angle-addr / ([CFWS] "<" [CFWS] ">" [CFWS]); a
 * bare addr-spec is accepted too (some MTAs write one). */
static gboolean
parse_return_path(const char *v, gsize len, char **out, GError **error)
{
  if (len > BIMI_RECEIVED_MAX_PATH_BYTES) {
    g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_LIMIT,
                "Return-Path of %" G_GSIZE_FORMAT " bytes is longer than BIMI_RECEIVED_MAX_PATH_BYTES (%u)", len,
                BIMI_RECEIVED_MAX_PATH_BYTES);
    return FALSE;
  }
  if (!require_utf8(v, len, "Return-Path: ", error))
    return FALSE;
  gboolean ok;
  gsize i = skip_cfws(v, len, 0, error, &ok);
  if (!ok)
    return FALSE;
  gsize s, e;
  if (i < len && v[i] == '<') {
    gsize open = i;
    if (!scan_bracketed(&ANGLE, v, len, &i, error))
      return FALSE;
    s = open + 1;
    e = i - 1;
    /* "< >" (CFWS inside, RFC 5322 §3.6.7) is the null path too. */
    while (s < e && bimi_char_is_lwsp((guchar) v[s]))
      s++;
    while (e > s && bimi_char_is_lwsp((guchar) v[e - 1]))
      e--;
    /* Obsolete source route "@a,@b:user@d" (RFC 5321 §4.1.2, App. C). */
    if (s < e && v[s] == '@') {
      gsize c = s;
      while (c < e && v[c] != ':' && v[c] != '"')
        c++;
      if (c == e || v[c] != ':') {
        g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                    "Return-Path: source route without ':' at offset %" G_GSIZE_FORMAT, s);
        return FALSE;
      }
      s = c + 1;
    }
  } else {
    s = i;
    while (i < len && !bimi_char_is_lwsp((guchar) v[i]) && !is_ctl((guchar) v[i]) && strchr("()<>;\"[]", v[i]) == NULL)
      i++;
    e = i;
    if (s == e) {
      g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                  "Return-Path: no path at offset %" G_GSIZE_FORMAT, s);
      return FALSE;
    }
  }
  i = skip_cfws(v, len, i, error, &ok);
  if (!ok)
    return FALSE;
  if (i < len) {
    g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                "Return-Path: unexpected '%c' after the path at offset %" G_GSIZE_FORMAT,
                is_ctl((guchar) v[i]) ? '?' : v[i], i);
    return FALSE;
  }
  for (gsize k = s; k < e; k++)
    if (bimi_char_is_lwsp((guchar) v[k]) || is_ctl((guchar) v[k])) {
      gboolean quoted = FALSE; /* whitespace is fine inside a quoted local part */
      for (gsize q = s; q < k; q++)
        if (v[q] == '"' && (q == s || v[q - 1] != '\\'))
          quoted = !quoted;
      if (!quoted || is_ctl((guchar) v[k])) {
        g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                    "Return-Path: white space or control inside the path at offset %" G_GSIZE_FORMAT, k);
        return FALSE;
      }
    }
  *out = g_strndup(v + s, e - s);
  return TRUE;
}

/* ---- the envelope ------------------------------------------------------- */

static gboolean
is_trusted(const char *host, const char *const *trusted)
{
  for (gsize k = 0; trusted[k] != NULL; k++)
    if (bimi_domain_equal(host, trusted[k]))
      return TRUE;
  return FALSE;
}

gboolean
bimi_received_envelope(const BimiMessage *msg, const char *const *trusted_receivers, char **out_ip,
                       char **out_helo, char **out_mail_from, GError **error)
{
  g_return_val_if_fail(msg != NULL, FALSE);
  g_return_val_if_fail(out_ip != NULL && out_helo != NULL && out_mail_from != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  *out_ip = *out_helo = *out_mail_from = NULL;
  if (trusted_receivers == NULL || trusted_receivers[0] == NULL)
    return FALSE;

  const BimiHeaderField *return_path = NULL;
  guint hops = 0, n = bimi_message_get_n_fields(msg);
  for (guint i = 0; i < n; i++) {
    const BimiHeaderField *f = bimi_message_get_field(msg, i);
    if (bimi_header_field_has_name(f, "Return-Path")) {
      if (return_path == NULL)
        return_path = f;
      continue;
    }
    if (!bimi_header_field_has_name(f, "Received"))
      continue;
    if (hops == BIMI_RECEIVED_MAX_HOPS) {
      g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_LIMIT,
                  "no trusted receiver among the first BIMI_RECEIVED_MAX_HOPS (%u) Received fields",
                  BIMI_RECEIVED_MAX_HOPS);
      return FALSE;
    }
    hops++;
    BimiReceivedHop hop;
    ParseInfo info;
    GError *local = NULL;
    if (!parse_hop(f->value, f->value_length, &hop, &info, &local)) {
      g_propagate_prefixed_error(error, local, "Received field %u (line %u): ", hops, f->line);
      return FALSE;
    }
    if (hop.by_host != NULL && is_trusted(hop.by_host, trusted_receivers)) {
      g_autofree char *mail_from = NULL;
      if (return_path != NULL &&
          !parse_return_path(return_path->value, return_path->value_length, &mail_from, &local)) {
        g_propagate_prefixed_error(error, local, "Return-Path field (line %u): ", return_path->line);
        bimi_received_hop_clear(&hop);
        return FALSE;
      }
      *out_ip = g_steal_pointer(&hop.client_ip);
      *out_helo = g_steal_pointer(&hop.helo);
      *out_mail_from = g_steal_pointer(&mail_from);
      bimi_received_hop_clear(&hop);
      return TRUE;
    }
    bimi_received_hop_clear(&hop);
    /* A hop above the trusted one that says where the message came from but
     * not who wrote it: a HELO may have hidden its by clause (e.g. inside an
     * angle-addr), and skipping it could let a forged field below decide. */
    if (info.has_from && !info.has_by) {
      g_set_error(error, BIMI_RECEIVED_ERROR, BIMI_RECEIVED_ERROR_SYNTAX,
                  "Received field %u (line %u): from clause without a by clause, above any trusted receiver", hops,
                  f->line);
      return FALSE;
    }
  }
  return FALSE;
}
