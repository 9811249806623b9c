/* engine/base/base-json.c — JSON member helpers (RFC 8259 §8.1 UTF-8). */
#include "engine/base/base-json.h"
#include "engine/base/base-mem.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- the writer ------------------------------------------------------------ */

struct _BimiJsonWriter {
  GString *out;
  guint depth;
  /* per depth: whether a value was written at this level (the next needs a comma) */
  gboolean filled[BIMI_BASE_JSON_WRITER_MAX_DEPTH + 1];
  gboolean after_name; /* a member name was written: its value needs no comma */
};

BimiJsonWriter *
bimi_json_writer_new(void)
{
  BimiJsonWriter *w = g_new0(BimiJsonWriter, 1);
  w->out = g_string_sized_new(1024);
  return w;
}

BIMI_DEFINE_FREE_FUNC(BimiJsonWriter, bimi_json_writer_free, w)
{
  g_string_free(w->out, TRUE);
}

const char *
bimi_json_writer_get_text(BimiJsonWriter *w, gsize *len)
{
  g_return_val_if_fail(w != NULL, NULL);
  if (len != NULL)
    *len = w->out->len;
  return w->out->str;
}

char *
bimi_json_writer_steal_text(BimiJsonWriter *w)
{
  g_return_val_if_fail(w != NULL, NULL);
  char *text = g_string_free(w->out, FALSE);
  w->out = g_string_sized_new(1024);
  w->depth = 0;
  w->filled[0] = w->after_name = FALSE;
  return text;
}

JsonNode *
bimi_json_writer_get_node(BimiJsonWriter *w)
{
  g_return_val_if_fail(w != NULL, NULL);
  if (w->out->len == 0 || w->depth != 0)
    return NULL;
  return json_from_string(w->out->str, NULL);
}

/* Before a value (or a member name): the comma that separates it from the previous one. */
static void
separate(BimiJsonWriter *w)
{
  if (w->after_name) {
    w->after_name = FALSE;
    return;
  }
  if (w->filled[w->depth])
    g_string_append_c(w->out, ',');
  w->filled[w->depth] = TRUE;
}

/* What the escaper does with each byte (issue 21: one table look-up per byte, in one
 * pass with the UTF-8 check of add_valid()): */
enum {
  BYTE_PLAIN = 0, /* copied */
  BYTE_ESCAPE,    /* '"' and '\\' backslashed; \b \f \n \r \t named; 0x01..0x1e and 0x7f as \u00XX */
  BYTE_HIGH,      /* >= 0x80: copied, but the text is UTF-8 only if it validates from here */
  BYTE_END,       /* NUL */
};
static const guint8 byte_class[256] = {
  [0] = BYTE_END,
  [0x01] = BYTE_ESCAPE, [0x02] = BYTE_ESCAPE, [0x03] = BYTE_ESCAPE, [0x04] = BYTE_ESCAPE, [0x05] = BYTE_ESCAPE,
  [0x06] = BYTE_ESCAPE, [0x07] = BYTE_ESCAPE, [0x08] = BYTE_ESCAPE, [0x09] = BYTE_ESCAPE, [0x0a] = BYTE_ESCAPE,
  [0x0b] = BYTE_ESCAPE, [0x0c] = BYTE_ESCAPE, [0x0d] = BYTE_ESCAPE, [0x0e] = BYTE_ESCAPE, [0x0f] = BYTE_ESCAPE,
  [0x10] = BYTE_ESCAPE, [0x11] = BYTE_ESCAPE, [0x12] = BYTE_ESCAPE, [0x13] = BYTE_ESCAPE, [0x14] = BYTE_ESCAPE,
  [0x15] = BYTE_ESCAPE, [0x16] = BYTE_ESCAPE, [0x17] = BYTE_ESCAPE, [0x18] = BYTE_ESCAPE, [0x19] = BYTE_ESCAPE,
  [0x1a] = BYTE_ESCAPE, [0x1b] = BYTE_ESCAPE, [0x1c] = BYTE_ESCAPE, [0x1d] = BYTE_ESCAPE, [0x1e] = BYTE_ESCAPE,
  ['"'] = BYTE_ESCAPE, ['\\'] = BYTE_ESCAPE, [0x7f] = BYTE_ESCAPE,
  [0x80 ... 0xff] = BYTE_HIGH,
};

/* Whether the last block of a string may be read as a whole 16 bytes when the string ends
 * inside it: the bytes past its NUL are never used, and a load that stays within
 * one 4 KiB page cannot fault. Not under the sanitizers, which rightly see such a load reach
 * past the object (ASan) or touch a neighbour's bytes (TSan). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TAIL_OVERREAD 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define TAIL_OVERREAD 0
#endif
#endif
#ifndef TAIL_OVERREAD
#define TAIL_OVERREAD 1
#endif

#ifdef __SSE2__
/* The bytes of @v that may need care: below 0x1f or above 0x7e, '"' or '\\', as a bit mask. */
static inline int
care_mask(__m128i v)
{
  const __m128i below = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                del = _mm_set1_epi8(0x7f);
  /* signed compare: bytes >= 0x80 are negative, so "below 0x1f" takes them too */
  __m128i care = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, below), _mm_cmpeq_epi8(v, quote)),
                              _mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmpeq_epi8(v, del)));
  return _mm_movemask_epi8(care);
}
#endif

/* The first byte in [@p, @end) that may need care, 16 at a time (issue 21): one below 0x1f
 * or above 0x7e, '"' or '\\' — a superset of the bytes byte_class does not call plain (0x1f
 * is plain there; the byte loop after this goes on over it), or @end (@p's NUL). The last block, shorter
 * than 16 bytes, is looked at in one load where TAIL_OVERREAD allows (the short strings —
 * member names, keywords — are most of a decision's); else the byte loop after this does it. */
static const guchar *
skip_plain_blocks(const guchar *p, const guchar *end)
{
#ifdef __SSE2__
  while (end - p >= 16) {
    int mask = care_mask(_mm_loadu_si128((const __m128i *) (const void *) p));
    if (mask != 0)
      return p + __builtin_ctz((unsigned) mask);
    p += 16;
  }
  if (TAIL_OVERREAD && p < end && ((guintptr) p & 4095) <= 4096 - 16) {
    /* the NUL at @end is a "care" byte itself: the answer is at most @end, whatever follows it */
    int mask = care_mask(_mm_loadu_si128((const __m128i *) (const void *) p));
    return p + __builtin_ctz((unsigned) mask);
  }
#endif
  return p;
}

/* Appends @s as a JSON string, escaped as json-glib's generator escapes it (json_strescape()
 * of json-glib 1.6): see byte_class; 0x1f and bytes >= 0x80 as they are. With @check_utf8,
 * text that is not valid UTF-8 appends nothing and returns FALSE. */
static gboolean
append_string(GString *out, const char *s, gboolean check_utf8)
{
  static const char hex[] = "0123456789abcdef";
  gsize len = strlen(s), room, at = out->len;
  const guchar *p = (const guchar *) s, *end = p + len;
  gboolean validated = !check_utf8;

  /* Written straight into @out's buffer, grown once to the worst case (every byte as
   * \u00XX, and the quotes): one GString call per string, not one per piece. */
  if (!g_size_checked_mul(&room, len, 6) || !g_size_checked_add(&room, room, at + 2))
    g_error("bimi_json_append_string: %" G_GSIZE_FORMAT " bytes", len);
  g_string_set_size(out, room);
  char *w = out->str + at;
  *w++ = '"';
  for (;;) {
    const guchar *run = p;
    p = skip_plain_blocks(p, end);
    while (byte_class[*p] == BYTE_PLAIN)
      p++;
    memcpy(w, run, (gsize) (p - run));
    w += p - run;
    guint8 kind = byte_class[*p];
    if (kind == BYTE_END)
      break;
    if (kind == BYTE_HIGH) {
      /* everything before is ASCII: the whole text is UTF-8 if the rest is */
      if (!validated && !g_utf8_validate_len((const char *) p, len - (gsize) ((const char *) p - s), NULL)) {
        g_string_truncate(out, at);
        return FALSE;
      }
      validated = TRUE;
      *w++ = (char) *p++;
      continue;
    }
    char named = 0;
    switch (*p) {
    case '"':  named = '"'; break;
    case '\\': named = '\\'; break;
    case '\b': named = 'b'; break;
    case '\f': named = 'f'; break;
    case '\n': named = 'n'; break;
    case '\r': named = 'r'; break;
    case '\t': named = 't'; break;
    default:
      break;
    }
    *w++ = '\\';
    if (named != 0) {
      *w++ = named;
    } else {
      memcpy(w, "u00", 3);
      w[3] = hex[*p >> 4];
      w[4] = hex[*p & 0xf];
      w += 5;
    }
    p++;
  }
  *w++ = '"';
  *w = '\0';
  out->len = (gsize) (w - out->str);
  return TRUE;
}

void
bimi_json_append_string(GString *out, const char *s)
{
  append_string(out, s, FALSE);
}

static void
open_level(BimiJsonWriter *w, char bracket)
{
  separate(w);
  if (w->depth >= BIMI_BASE_JSON_WRITER_MAX_DEPTH) {
    g_critical("BimiJsonWriter: nested deeper than %u", BIMI_BASE_JSON_WRITER_MAX_DEPTH);
    return;
  }
  g_string_append_c(w->out, bracket);
  w->depth++;
  w->filled[w->depth] = FALSE;
}

static void
close_level(BimiJsonWriter *w, char bracket)
{
  g_return_if_fail(w->depth > 0);
  g_string_append_c(w->out, bracket);
  w->depth--;
  w->after_name = FALSE;
}

void
bimi_json_begin_object(BimiJsonWriter *w)
{
  open_level(w, '{');
}

void
bimi_json_end_object(BimiJsonWriter *w)
{
  close_level(w, '}');
}

void
bimi_json_begin_array(BimiJsonWriter *w)
{
  open_level(w, '[');
}

void
bimi_json_end_array(BimiJsonWriter *w)
{
  close_level(w, ']');
}

void
bimi_json_reopen_object(BimiJsonWriter *w)
{
  gsize len = w->out->len;

  g_return_if_fail(len > 0 && w->out->str[len - 1] == '}' && w->depth < BIMI_BASE_JSON_WRITER_MAX_DEPTH);
  g_string_truncate(w->out, len - 1);
  w->depth++;
  w->filled[w->depth] = w->out->str[len - 2] != '{';
}

void
bimi_json_set_member_name(BimiJsonWriter *w, const char *name)
{
  GString *out = w->out;
  gsize n = 0, at;

  separate(w);
  /* Member names are the program's own and plain (issue 21: 200 per decision): '"', the
   * name and '":' written in one step; a name with a byte to escape goes the long way. */
  while (byte_class[(guchar) name[n]] == BYTE_PLAIN)
    n++;
  if (name[n] == '\0') {
    at = out->len;
    g_string_set_size(out, at + n + 3);
    out->str[at] = '"';
    memcpy(out->str + at + 1, name, n);
    memcpy(out->str + at + 1 + n, "\":", 2);
  } else {
    bimi_json_append_string(out, name);
    g_string_append_c(out, ':');
  }
  w->after_name = TRUE;
}

void
bimi_json_add_string_value(BimiJsonWriter *w, const char *value)
{
  separate(w);
  bimi_json_append_string(w->out, value != NULL ? value : "");
}

void
bimi_json_add_int_value(BimiJsonWriter *w, gint64 value)
{
  /* the digits from the end of a buffer (issue 21: printf's parsing and locale work cost
   * twenty times this per number); the magnitude as guint64, so G_MININT64 needs no care */
  char buf[24], *d = buf + sizeof buf;
  guint64 u = value < 0 ? -(guint64) value : (guint64) value;

  separate(w);
  do {
    *--d = (char) ('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (value < 0)
    *--d = '-';
  g_string_append_len(w->out, d, buf + sizeof buf - d);
}

void
bimi_json_add_double_value(BimiJsonWriter *w, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  separate(w);
  g_ascii_dtostr(buf, sizeof buf, value);
  g_string_append(w->out, buf);
  if (strpbrk(buf, ".eE") == NULL)
    g_string_append(w->out, ".0");
}

void
bimi_json_add_boolean_value(BimiJsonWriter *w, gboolean value)
{
  separate(w);
  g_string_append(w->out, value ? "true" : "false");
}

void
bimi_json_add_null_value(BimiJsonWriter *w)
{
  separate(w);
  g_string_append(w->out, "null");
}

void
bimi_json_add_value(BimiJsonWriter *w, JsonNode *node)
{
  g_autofree char *text = NULL;

  if (node == NULL) {
    bimi_json_add_null_value(w);
    return;
  }
  text = json_to_string(node, FALSE);
  json_node_unref(node); /* the call owns @node */
  separate(w);
  g_string_append(w->out, text);
}


static void
add_valid(BimiJsonWriter *b, const char *value)
{
  separate(b);
  if (!append_string(b->out, value, TRUE)) {
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    append_string(b->out, valid, FALSE);
  }
}

gboolean
bimi_json_set_member_or_null(BimiJsonWriter *b, const char *name, gboolean present)
{
  g_return_val_if_fail(b != NULL && name != NULL, FALSE);
  bimi_json_set_member_name(b, name);
  if (!present)
    bimi_json_add_null_value(b);
  return present;
}

void
bimi_json_add_string_or_null(BimiJsonWriter *b, const char *name, const char *value)
{
  g_return_if_fail(b != NULL && name != NULL);
  bimi_json_set_member_name(b, name);
  if (value == NULL)
    bimi_json_add_null_value(b);
  else
    add_valid(b, value);
}

void
bimi_json_add_strv(BimiJsonWriter *b, const char *name, char *const *values)
{
  g_return_if_fail(b != NULL && name != NULL);
  bimi_json_set_member_name(b, name);
  bimi_json_begin_array(b);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    add_valid(b, values[i]);
  bimi_json_end_array(b);
}

void
bimi_json_add_bytes(BimiJsonWriter *b, const char *name, const char *data, gsize len)
{
  const char *p = data != NULL ? data : "";
  g_autofree char *valid = g_utf8_make_valid(p, (gssize) len);

  g_return_if_fail(b != NULL && name != NULL);
  bimi_json_set_member_name(b, name);
  bimi_json_add_string_value(b, valid);
  if (len > 0 && (!g_utf8_validate_len(p, len, NULL) || memchr(p, '\0', len) != NULL)) {
    g_autofree char *b64 = g_base64_encode((const guchar *) p, len);
    g_autofree char *b64_name = g_strconcat(name, "_base64", NULL);
    bimi_json_set_member_name(b, b64_name);
    bimi_json_add_string_value(b, b64);
  }
}

static void
add_ptr_array(BimiJsonWriter *b, const GPtrArray *values)
{
  bimi_json_begin_array(b);
  for (guint i = 0; values != NULL && i < values->len; i++)
    add_valid(b, g_ptr_array_index(values, i));
  bimi_json_end_array(b);
}

/* An integer member's value, or null when the member is marked absent; TRUE. */
static gboolean
add_int_or_null(BimiJsonWriter *b, gboolean present, gint64 v)
{
  present ? bimi_json_add_int_value(b, v) : bimi_json_add_null_value(b);
  return TRUE;
}

/* Adds the value of one member, taking its argument(s) from @ap; FALSE on a
 * letter outside the format. */
static gboolean
add_value(BimiJsonWriter *b, char kind, gboolean present, va_list *ap)
{
  switch (kind) {
  case 's': {
    const char *s = va_arg(*ap, const char *);
    if (present && s != NULL)
      add_valid(b, s);
    else
      bimi_json_add_null_value(b);
    return TRUE;
  }
  case 'b': {
    gboolean v = va_arg(*ap, gboolean);
    present ? bimi_json_add_boolean_value(b, v) : bimi_json_add_null_value(b);
    return TRUE;
  }
  /* the argument is read as its own type even when absent (va_arg keeps the list in step) */
  case 'i':
    return add_int_or_null(b, present, va_arg(*ap, int));
  case 'u':
    return add_int_or_null(b, present, va_arg(*ap, guint));
  case 'I':
    return add_int_or_null(b, present, va_arg(*ap, gint64));
  case 'v': {
    char *const *v = va_arg(*ap, char *const *);
    if (!present) {
      bimi_json_add_null_value(b);
      return TRUE;
    }
    bimi_json_begin_array(b);
    for (guint i = 0; v != NULL && v[i] != NULL; i++)
      add_valid(b, v[i]);
    bimi_json_end_array(b);
    return TRUE;
  }
  case 'p': {
    const GPtrArray *v = va_arg(*ap, const GPtrArray *);
    present ? add_ptr_array(b, v) : bimi_json_add_null_value(b);
    return TRUE;
  }
  case 'n':
    bimi_json_add_null_value(b);
    return TRUE;
  default:
    return FALSE;
  }
}

void
bimi_json_add_members(BimiJsonWriter *b, const char *format, ...)
{
  va_list ap;

  g_return_if_fail(b != NULL && format != NULL);
  va_start(ap, format);
  for (const char *f = format; *f != '\0'; f++) {
    if (g_ascii_isspace(*f))
      continue;
    if (*f == '}') {
      bimi_json_end_object(b);
      continue;
    }
    bimi_json_set_member_name(b, va_arg(ap, const char *));
    if (*f == '{') {
      bimi_json_begin_object(b);
      continue;
    }
    gboolean present = TRUE;
    if (*f == '?') {
      present = va_arg(ap, gboolean);
      f++;
    }
    if (!add_value(b, *f, present, &ap)) {
      g_critical("bimi_json_add_members: unknown format letter '%c' in \"%s\"", *f, format);
      break;
    }
  }
  va_end(ap);
}
