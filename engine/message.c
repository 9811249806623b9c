/* engine/message.c — raw message header index.
 *
 * Implements: RFC 5322 §2.1 (header section, empty line, body), §2.2 (header
 * fields: name ":" value CRLF; field names are printable US-ASCII except the
 * colon, §3.6.8), §2.2.3 (folding and unfolding), §4.5 / §4.1 obsolete syntax
 * (WSP between the field name and the colon; obs-FWS continuation lines that
 * hold only WSP); RFC 6532 §3.2 (8-bit bytes in values are kept).
 * RFC 5321 §2.3.8: lines end in CRLF on the wire; we accept bare LF too and
 * build a CRLF copy (the canonical buffer) that DKIM (RFC 6376 §3.4) hashes.
 *
 * Deliberate choices:
 *  - One pass over the raw bytes: errors speak of the raw input (line, byte
 *    offset), the index speaks of the canonical buffer. Each line's offset in
 *    the canonical buffer is its raw offset plus the number of bare LFs before
 *    it, so no second scan is needed.
 *  - An mbox "From " separator line (RFC 4155) is not a header field: it is
 *    rejected with a message saying so, never skipped silently.
 *  - A line of WSP only is a continuation (obs-FWS), not the end of the header
 *    section; only a truly empty line ends it (as RFC 5322 and most MTAs do).
 *  - A bare CR is data, except a lone CR that ends the input inside the header
 *    section, which is taken as the final line break.
 */
#include "engine/message.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-cpu.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MESSAGE_AVX512 1
#include <immintrin.h>
#endif
#endif

G_DEFINE_QUARK(bimi-message-error-quark, bimi_message_error)

struct _BimiMessage {
  GBytes *raw;
  GBytes *canonical;   /* == raw (same ref) when no change was needed */
  GArray *fields;      /* of BimiHeaderField */
  gsize body_offset;   /* in canonical */
  gboolean has_separator;
};

/* RFC 5322 §3.6.8: ftext = %d33-57 / %d59-126 */
static gboolean
is_ftext(guchar c)
{
  return c >= 33 && c <= 126 && c != ':';
}

/* The error of a line that is not "name *WSP ':'". */
static void
set_name_error(const guint8 *data, gsize pos, gsize content_end, gsize name_end, guint line, GError **error)
{
  gsize q = name_end;

  while (q < content_end && bimi_char_is_wsp(data[q]))
    q++;
  if (name_end == pos && pos < content_end && data[pos] == ':') {
    g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX,
                "line %u: empty header field name (byte offset %" G_GSIZE_FORMAT ")", line, pos);
  } else if (line == 1 && name_end - pos == 4 && memcmp(data + pos, "From", 4) == 0 && q > name_end) {
    g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX,
                "line 1: an mbox \"From \" separator line is not a header field; "
                "remove it before parsing (byte offset 0)");
  } else if (memchr(data + pos, ':', content_end - pos) == NULL) {
    g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX,
                "line %u: not a header field, no colon (byte offset %" G_GSIZE_FORMAT ")", line, pos);
  } else if (name_end < content_end && !bimi_char_is_wsp(data[name_end])) {
    g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX,
                "line %u: byte 0x%02x not allowed in a header field name (byte offset %" G_GSIZE_FORMAT ")",
                line, data[name_end], name_end);
  } else {
    g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX,
                "line %u: whitespace inside a header field name, before the colon (byte offset %" G_GSIZE_FORMAT ")",
                line, q);
  }
}

#ifdef MESSAGE_AVX512
/* find_bare_lf() 64 bytes a step, where the CPU has AVX-512 BW:
 * the offset of the first bare LF at or after @k (>= 1), or where fewer than
 * 64 bytes are left. */
__attribute__((target("avx512f,avx512bw"))) static gsize
find_bare_lf_avx512(const guint8 *data, gsize k, gsize len)
{
  const __m512i lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r');
  for (; len - k >= 64; k += 64) {
    guint64 m = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *) (data + k)), lf) &
                ~(guint64) _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *) (data + k - 1)), cr);
    if (m != 0)
      return k + (gsize) __builtin_ctzll(m);
  }
  return k;
}

#endif

/* The offset of the first bare LF (an LF not preceded by CR) at or after
 * @from, or @len when there is none. SSE2 compares 16 bytes and the 16 bytes
 * before them at a time (AVX-512 BW: 64), elsewhere memchr() finds each LF.
 * The body of a well-formed message has none, so this one scan at memory
 * speed is all the body costs (issue 21). */
static gsize
find_bare_lf(const guint8 *data, gsize from, gsize len)
{
  gsize k = from;
  if (k < len && data[k] == '\n' && (k == 0 || data[k - 1] != '\r'))
    return k;
  k++;
#ifdef MESSAGE_AVX512
  if (k < len && (bimi_cpu_features() & BIMI_CPU_AVX512BW))
    k = find_bare_lf_avx512(data, k, len); /* the loops below go on from there */
#endif
#ifdef __SSE2__
  const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  for (; k + 16 <= len; k += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *) (data + k));
    __m128i prev = _mm_loadu_si128((const __m128i *) (data + k - 1));
    unsigned m = (unsigned) _mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(prev, cr), _mm_cmpeq_epi8(v, lf)));
    if (m != 0)
      return k + (gsize) __builtin_ctz(m);
  }
#endif
  while (k < len) {
    const guint8 *nl = memchr(data + k, '\n', len - k);
    if (nl == NULL)
      break;
    if (nl[-1] != '\r')
      return (gsize) (nl - data);
    k = (gsize) (nl - data) + 1;
  }
  return len;
}

/* Copies @data turning every bare LF into CRLF, then appends @tail: spans
 * between bare LFs are copied whole. */
static GBytes *
make_canonical(const guint8 *data, gsize len, gsize n_bare_lf, const char *tail)
{
  gsize tail_len = strlen(tail);
  gsize size;
  guint8 *out;
  gsize o = 0;

  /* len <= BIMI_MAX_MESSAGE_BYTES, so this cannot overflow; check anyway. */
  if (!g_size_checked_add(&size, len, n_bare_lf) || !g_size_checked_add(&size, size, tail_len))
    g_error("message: canonical size overflows");
  out = g_malloc(size > 0 ? size : 1);
  for (gsize i = 0; i < len;) {
    gsize lf = find_bare_lf(data, i, len);
    memcpy(out + o, data + i, lf - i);
    o += lf - i;
    if (lf == len)
      break;
    out[o++] = '\r';
    out[o++] = '\n';
    i = lf + 1;
  }
  memcpy(out + o, tail, tail_len);
  o += tail_len;
  g_assert(o == size);
  return g_bytes_new_take(out, size);
}

static gsize
count_bare_lf(const guint8 *data, gsize len)
{
  gsize n = 0;

  for (gsize k = find_bare_lf(data, 0, len); k < len; k = find_bare_lf(data, k + 1, len))
    n++;
  return n;
}

BimiMessage *
bimi_message_parse(GBytes *raw, GError **error)
{
  g_autoptr(GArray) fields = NULL;
  const guint8 *data;
  gsize len;
  gsize pos = 0;
  gsize delta = 0;            /* bare LFs (+ tail) before pos: canonical = raw + delta */
  guint line = 1;
  gboolean in_field = FALSE;
  BimiHeaderField cur = { 0 };
  gboolean separator = FALSE;
  gsize body_canonical = 0;
  const char *tail = "";
  BimiMessage *msg;

  g_return_val_if_fail(raw != NULL, NULL);

  data = g_bytes_get_data(raw, &len);
  if (len > BIMI_MAX_MESSAGE_BYTES) {
    g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_LIMIT,
                "message is %" G_GSIZE_FORMAT " bytes, more than BIMI_MAX_MESSAGE_BYTES (%u)",
                len, BIMI_MAX_MESSAGE_BYTES);
    return NULL;
  }
  fields = g_array_sized_new(FALSE, TRUE, sizeof(BimiHeaderField), 32); /* grown rarely: issue 21 */

  while (pos < len) {
    const guint8 *nl = memchr(data + pos, '\n', len - pos);
    gsize content_end, line_end, line_len, next_delta;
    gsize canon_content_end, canon_line_end;

    next_delta = delta;
    if (nl != NULL) {
      line_end = (gsize) (nl - data) + 1;
      content_end = line_end - 1;
      if (content_end > pos && data[content_end - 1] == '\r')
        content_end--;
      else
        next_delta++;           /* bare LF: becomes CRLF */
    } else {
      /* The input ends inside the header section without a line break. */
      line_end = len;
      content_end = len;
      if (data[len - 1] == '\r') {
        content_end--;
        tail = "\n";
      } else {
        tail = "\r\n";
      }
      next_delta += strlen(tail);
    }
    line_len = content_end - pos;
    if (line_len > BIMI_MAX_HEADER_LINE_BYTES) {
      g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_LIMIT,
                  "line %u: header line of %" G_GSIZE_FORMAT " bytes is longer than "
                  "BIMI_MAX_HEADER_LINE_BYTES (%u) (byte offset %" G_GSIZE_FORMAT ")",
                  line, line_len, BIMI_MAX_HEADER_LINE_BYTES, pos);
      return NULL;
    }
    canon_content_end = content_end + delta;
    canon_line_end = line_end + next_delta;

    if (line_len == 0) {
      /* The empty line: end of the header section (RFC 5322 §2.1). */
      separator = TRUE;
      body_canonical = canon_line_end;
      delta = next_delta;
      break;
    }

    if (bimi_char_is_wsp(data[pos])) {
      if (!in_field) {
        g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_SYNTAX,
                    "line %u: starts with whitespace, but no header field precedes it to continue "
                    "(byte offset %" G_GSIZE_FORMAT ")", line, pos);
        return NULL;
      }
      cur.n_lines++;
    } else {
      gsize name_end = pos;
      gsize q;

      if (in_field)
        g_array_append_val(fields, cur);
      in_field = FALSE;
      if (fields->len >= BIMI_MAX_HEADER_FIELDS) {
        g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_LIMIT,
                    "line %u: more than BIMI_MAX_HEADER_FIELDS (%u) header fields (byte offset %" G_GSIZE_FORMAT ")",
                    line, BIMI_MAX_HEADER_FIELDS, pos);
        return NULL;
      }
      while (name_end < content_end && is_ftext(data[name_end]))
        name_end++;
      q = name_end;
      while (q < content_end && bimi_char_is_wsp(data[q]))
        q++;
      if (name_end == pos || q >= content_end || data[q] != ':') {
        set_name_error(data, pos, content_end, name_end, line, error);
        return NULL;
      }
      memset(&cur, 0, sizeof cur);
      cur.field_offset = pos + delta;
      cur.name_offset = pos + delta;
      cur.name_length = name_end - pos;
      cur.value_offset = q + 1 + delta;
      cur.line = line;
      cur.n_lines = 1;
      cur.raw_offset = pos;
      in_field = TRUE;
    }
    cur.value_length = canon_content_end - cur.value_offset;
    cur.field_length = canon_line_end - cur.field_offset;
    cur.raw_length = line_end - cur.raw_offset;
    if (cur.field_length > BIMI_MAX_HEADER_FIELD_BYTES) {
      g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_LIMIT,
                  "line %u: the header field that starts there is longer than "
                  "BIMI_MAX_HEADER_FIELD_BYTES (%u) (byte offset %" G_GSIZE_FORMAT ")",
                  cur.line, BIMI_MAX_HEADER_FIELD_BYTES, cur.raw_offset);
      return NULL;
    }
    delta = next_delta;
    pos = line_end;
    line++;
  }
  if (in_field)
    g_array_append_val(fields, cur);

  msg = g_new0(BimiMessage, 1);
  msg->raw = g_bytes_ref(raw);
  {
    gsize n_bare = count_bare_lf(data, len);
    if (n_bare == 0 && tail[0] == '\0')
      msg->canonical = g_bytes_ref(raw);
    else
      msg->canonical = make_canonical(data, len, n_bare, tail);
  }
  msg->has_separator = separator;
  msg->body_offset = separator ? body_canonical : g_bytes_get_size(msg->canonical);
  {
    const char *base = g_bytes_get_data(msg->canonical, NULL);
    for (guint i = 0; i < fields->len; i++) {
      BimiHeaderField *f = &g_array_index(fields, BimiHeaderField, i);
      f->field = base + f->field_offset;
      f->name = base + f->name_offset;
      f->value = base + f->value_offset;
    }
  }
  msg->fields = g_steal_pointer(&fields);
  return msg;
}

BIMI_DEFINE_FREE_FUNC(BimiMessage, bimi_message_free, msg)
{
  g_bytes_unref(msg->raw);
  g_bytes_unref(msg->canonical);
  g_array_unref(msg->fields);
}

GBytes *
bimi_message_get_raw(const BimiMessage *msg)
{
  g_return_val_if_fail(msg != NULL, NULL);
  return msg->raw;
}

GBytes *
bimi_message_get_canonical(const BimiMessage *msg)
{
  g_return_val_if_fail(msg != NULL, NULL);
  return msg->canonical;
}

gboolean
bimi_message_was_normalised(const BimiMessage *msg)
{
  g_return_val_if_fail(msg != NULL, FALSE);
  return msg->canonical != msg->raw;
}

guint
bimi_message_get_n_fields(const BimiMessage *msg)
{
  g_return_val_if_fail(msg != NULL, 0);
  return msg->fields->len;
}

const BimiHeaderField *
bimi_message_get_field(const BimiMessage *msg, guint index)
{
  g_return_val_if_fail(msg != NULL, NULL);
  g_return_val_if_fail(index < msg->fields->len, NULL);
  return &g_array_index(msg->fields, BimiHeaderField, index);
}

gboolean
bimi_header_field_has_name(const BimiHeaderField *field, const char *name)
{
  gsize n;

  g_return_val_if_fail(field != NULL && name != NULL, FALSE);
  n = strlen(name);
  return n == field->name_length && g_ascii_strncasecmp(field->name, name, n) == 0;
}

GArray *
bimi_message_find_fields(const BimiMessage *msg, const char *name)
{
  GArray *out;

  g_return_val_if_fail(msg != NULL && name != NULL, NULL);
  out = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint i = 0; i < msg->fields->len; i++) {
    if (bimi_header_field_has_name(&g_array_index(msg->fields, BimiHeaderField, i), name))
      g_array_append_val(out, i);
  }
  return out;
}

guint
bimi_message_count_fields(const BimiMessage *msg, const char *name)
{
  guint n = 0;

  g_return_val_if_fail(msg != NULL && name != NULL, 0);
  for (guint i = 0; i < msg->fields->len; i++) {
    if (bimi_header_field_has_name(&g_array_index(msg->fields, BimiHeaderField, i), name))
      n++;
  }
  return n;
}

const guint8 *
bimi_message_get_body(const BimiMessage *msg, gsize *out_len)
{
  gsize size;
  const guint8 *data;

  g_return_val_if_fail(msg != NULL && out_len != NULL, NULL);
  data = g_bytes_get_data(msg->canonical, &size);
  *out_len = size - msg->body_offset;
  if (data == NULL)
    return (const guint8 *) "";
  return data + msg->body_offset;
}

gsize
bimi_message_get_body_offset(const BimiMessage *msg)
{
  g_return_val_if_fail(msg != NULL, 0);
  return msg->body_offset;
}

gboolean
bimi_message_has_body_separator(const BimiMessage *msg)
{
  g_return_val_if_fail(msg != NULL, FALSE);
  return msg->has_separator;
}

char *
bimi_header_field_dup_unfolded_value(const BimiHeaderField *field, gsize *out_len)
{
  const char *v;
  gsize n, start = 0, end;
  char *out;
  gsize o = 0;

  g_return_val_if_fail(field != NULL, NULL);
  v = field->value;
  n = field->value_length;
  out = g_malloc(n + 1);
  for (gsize i = 0; i < n; i++) {
    /* In the canonical buffer every CRLF inside a value is a fold. */
    if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n') {
      i++;
      continue;
    }
    out[o++] = v[i];
  }
  end = o;
  while (start < end && bimi_char_is_wsp((guchar) out[start]))
    start++;
  while (end > start && bimi_char_is_wsp((guchar) out[end - 1]))
    end--;
  memmove(out, out + start, end - start);
  out[end - start] = '\0';
  if (out_len != NULL)
    *out_len = end - start;
  return out;
}

GPtrArray *
bimi_message_get_from_mailboxes(const BimiMessage *msg, guint *n_from_fields, GError **error)
{
  g_autoptr(GPtrArray) all = NULL;
  guint n = 0;

  g_return_val_if_fail(msg != NULL, NULL);
  if (n_from_fields != NULL)
    *n_from_fields = bimi_message_count_fields(msg, "From");
  all = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_mailbox_free);
  for (guint i = 0; i < msg->fields->len; i++) {
    const BimiHeaderField *f = &g_array_index(msg->fields, BimiHeaderField, i);
    g_autoptr(GPtrArray) one = NULL;
    GError *local = NULL;

    if (!bimi_header_field_has_name(f, "From"))
      continue;
    n++;
    one = bimi_message_parse_address_list(f->value, f->value_length, &local);
    if (one == NULL) {
      g_propagate_prefixed_error(error, local, "From field %u (line %u): ", n, f->line);
      return NULL;
    }
    if (all->len + one->len > BIMI_MAX_ADDRESSES) {
      g_set_error(error, BIMI_MESSAGE_ERROR, BIMI_MESSAGE_ERROR_LIMIT,
                  "From field %u (line %u): the From fields list more than BIMI_MAX_ADDRESSES (%u) mailboxes",
                  n, f->line, BIMI_MAX_ADDRESSES);
      return NULL;
    }
    g_ptr_array_extend_and_steal(all, g_steal_pointer(&one));
  }
  return g_steal_pointer(&all);
}
