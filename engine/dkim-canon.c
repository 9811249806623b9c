/* engine/dkim-canon.c — DKIM canonicalization, RFC 6376 §3.4.
 *
 * §3.4.1 simple header, §3.4.2 relaxed header, §3.4.3 simple body, §3.4.4
 * relaxed body, §3.4.5 body length (l=), §3.7 body hash. The body side is a
 * streaming state machine: it hashes as it canonicalizes, keeps only a count
 * of withheld empty lines and one withheld WSP/CR, and never copies the body,
 * so any split of the input into chunks gives the same hash (mailauth issue
 * #115 is the classic bug this avoids).
 *
 * Input lines end in CRLF (engine/message normalises bare LF). A CR that is
 * not followed by LF, and a bare LF, are ordinary data bytes here.
 *
 * Empty bodies: simple → one CRLF (§3.4.3); relaxed → nothing (§3.4.4 as
 * corrected by erratum 1384, which all implementations follow).
 */
#include "engine/dkim-private.h"
#include "engine/base/base-chars.h"

#include <string.h>

#define BODY_BUF_BYTES 4096

struct _BimiDkimBodyHasher {
  BimiDkimCanon canon;
  EVP_MD_CTX *ctx;
  guint64 limit;        /* bytes of canonical body hashed at most */
  guint64 canon_len;    /* canonical bytes produced so far */
  guint64 pending_crlf; /* empty lines withheld: dropped if the body ends here */
  gboolean pending_cr;  /* a CR whose LF may come in the next chunk */
  gboolean pending_wsp; /* relaxed: a WSP run withheld */
  gboolean line_has_content;
  gsize buf_len;
  guint8 buf[BODY_BUF_BYTES];
};

static void
flush(BimiDkimBodyHasher *h)
{
  if (h->buf_len > 0) {
    EVP_DigestUpdate(h->ctx, h->buf, h->buf_len);
    h->buf_len = 0;
  }
}

static inline void
emit(BimiDkimBodyHasher *h, guint8 c)
{
  if (h->canon_len++ >= h->limit)
    return;
  if (h->buf_len == BODY_BUF_BYTES)
    flush(h);
  h->buf[h->buf_len++] = c;
}

static void
emit_pending_crlf(BimiDkimBodyHasher *h)
{
  for (; h->pending_crlf > 0; h->pending_crlf--) {
    emit(h, '\r');
    emit(h, '\n');
  }
}

static inline void
content(BimiDkimBodyHasher *h, guint8 c)
{
  if (h->canon == BIMI_DKIM_CANON_RELAXED) {
    if (bimi_char_is_wsp(c)) {
      h->pending_wsp = TRUE;
      return;
    }
    emit_pending_crlf(h);
    if (h->pending_wsp) {
      emit(h, ' ');
      h->pending_wsp = FALSE;
    }
  } else {
    emit_pending_crlf(h);
  }
  emit(h, c);
  h->line_has_content = TRUE;
}

static inline void
end_of_line(BimiDkimBodyHasher *h)
{
  h->pending_wsp = FALSE; /* relaxed: WSP at the end of a line is ignored */
  if (h->line_has_content) {
    emit(h, '\r');
    emit(h, '\n');
    h->line_has_content = FALSE;
  } else {
    h->pending_crlf++;
  }
}

BimiDkimBodyHasher *
bimi_dkim__body_hasher_new(BimiDkimCanon canon, const EVP_MD *md, guint64 limit)
{
  BimiDkimBodyHasher *h = g_new0(BimiDkimBodyHasher, 1);
  h->canon = canon;
  h->limit = limit;
  h->ctx = EVP_MD_CTX_new();
  if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
    g_error("dkim: cannot initialise a digest context");
  return h;
}

/* A run of bytes that are neither CR nor (relaxed) WSP: copied as they are. */
static inline void
emit_run(BimiDkimBodyHasher *h, const guint8 *data, gsize n)
{
  if (G_LIKELY(h->limit - h->canon_len >= n && h->canon_len <= h->limit && h->buf_len + n <= BODY_BUF_BYTES)) {
    memcpy(h->buf + h->buf_len, data, n); /* the common case: all of it hashed, room in the buffer */
    h->buf_len += n;
    h->canon_len += n;
    return;
  }
  guint64 room = h->canon_len < h->limit ? h->limit - h->canon_len : 0;
  gsize take = room < n ? (gsize) room : n;
  h->canon_len += n;
  if (take == 0)
    return;
  if (take >= BODY_BUF_BYTES) {
    flush(h);
    EVP_DigestUpdate(h->ctx, data, take);
    return;
  }
  if (h->buf_len + take > BODY_BUF_BYTES)
    flush(h);
  memcpy(h->buf + h->buf_len, data, take);
  h->buf_len += take;
}

void
bimi_dkim__body_hasher_update(BimiDkimBodyHasher *h, const guint8 *data, gsize len)
{
  const gboolean relaxed = h->canon == BIMI_DKIM_CANON_RELAXED;
  gsize i = 0;

  while (i < len) {
    guint8 c = data[i];
    if (h->pending_cr) {
      h->pending_cr = FALSE;
      if (c == '\n') {
        end_of_line(h);
        i++;
        continue;
      }
      content(h, '\r');
    }
    if (c == '\r') {
      h->pending_cr = TRUE;
      i++;
      continue;
    }
    if (relaxed && bimi_char_is_wsp(c)) {
      h->pending_wsp = TRUE;
      i++;
      continue;
    }
    /* the longest run of ordinary bytes from i, emitted in one go */
    gsize j;
    if (relaxed) {
      for (j = i + 1; j < len && data[j] != '\r' && data[j] != ' ' && data[j] != '\t'; j++)
        ;
    } else {
      const guint8 *cr = memchr(data + i + 1, '\r', len - i - 1);
      j = cr ? (gsize) (cr - data) : len;
    }
    /* what content() does for each byte, once for the run: withheld empty
     * lines, then the withheld WSP as one SP (relaxed), then the bytes */
    if (h->pending_crlf > 0)
      emit_pending_crlf(h);
    if (h->pending_wsp) {
      emit(h, ' ');
      h->pending_wsp = FALSE;
    }
    emit_run(h, data + i, j - i);
    h->line_has_content = TRUE;
    i = j;
  }
}

guint
bimi_dkim__body_hasher_finish(BimiDkimBodyHasher *h, guint8 *digest, guint64 *canon_len)
{
  unsigned int n = 0;
  if (h->pending_cr) {
    h->pending_cr = FALSE;
    content(h, '\r');
  }
  if (h->line_has_content) {
    /* a body that does not end in CRLF gets one (§3.4.3, §3.4.4) */
    emit(h, '\r');
    emit(h, '\n');
    h->line_has_content = FALSE;
  }
  if (h->canon == BIMI_DKIM_CANON_SIMPLE && h->canon_len == 0) {
    emit(h, '\r');
    emit(h, '\n');
  }
  flush(h);
  EVP_DigestFinal_ex(h->ctx, digest, &n);
  *canon_len = h->canon_len;
  return n;
}

void
bimi_dkim__body_hasher_free(BimiDkimBodyHasher *h)
{
  if (h == NULL)
    return;
  EVP_MD_CTX_free(h->ctx);
  g_free(h);
}

void
bimi_dkim__canon_header(GByteArray *out, BimiDkimCanon canon, const char *name, gsize name_len,
                        const char *field, gsize field_len, const char *value, gsize value_len)
{
  if (canon == BIMI_DKIM_CANON_SIMPLE) {
    /* §3.4.1: the field exactly as it is, final CRLF included */
    g_byte_array_append(out, (const guint8 *) field, (guint) field_len);
    return;
  }
  /* §3.4.2: lower-case name, unfold, WSP runs → one SP, no WSP at the ends
   * of the value or around the colon. */
  for (gsize i = 0; i < name_len; i++) {
    guint8 c = (guint8) g_ascii_tolower(name[i]);
    g_byte_array_append(out, &c, 1);
  }
  g_byte_array_append(out, (const guint8 *) ":", 1);
  gboolean pending_sp = FALSE, any = FALSE;
  for (gsize i = 0; i < value_len; i++) {
    guint8 c = (guint8) value[i];
    if (c == '\r' && i + 1 < value_len && value[i + 1] == '\n') {
      i++; /* unfold: the CRLF goes, the WSP after it counts as WSP */
      continue;
    }
    if (bimi_char_is_wsp(c)) {
      pending_sp = TRUE;
      continue;
    }
    if (pending_sp && any)
      g_byte_array_append(out, (const guint8 *) " ", 1);
    pending_sp = FALSE;
    any = TRUE;
    g_byte_array_append(out, &c, 1);
  }
  g_byte_array_append(out, (const guint8 *) "\r\n", 2);
}
