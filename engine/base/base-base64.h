/* engine/base/base-base64.h — strict, bounded base64 decoding (RFC 4648 §4).
 *
 * A wrapper over GLib's decoder that first checks what GLib does not: the
 * alphabet (the offset of the first bad byte), the length, '=' only as final
 * padding, and the decoded size against the caller's maximum before anything
 * is allocated or written. Unpadded input is accepted (RFC 6376 §3.5 b= and
 * p= values as signers write them, RFC 2047 §4.1 encoded words).
 */
#pragma once

#include <glib.h>

typedef enum {
  BIMI_BASE64_OK = 0,
  BIMI_BASE64_BAD_LENGTH, /* a quantum of one character, or padding that does not end a quantum */
  BIMI_BASE64_TOO_LONG,   /* decodes to more than the maximum (out_len says how much) */
  BIMI_BASE64_BAD_CHAR,   /* offset: the byte outside the alphabet ('=' before the padding included) */
} BimiBase64Status;

typedef enum {
  BIMI_BASE64_STRICT = 0,           /* padding, when present, completes the last quantum */
  BIMI_BASE64_LOOSE_PADDING = 1u << 0, /* 1 or 2 '=' accepted whatever the length (RFC 2047 decoders' habit) */
  BIMI_BASE64_SKIP_FWS = 1u << 1,      /* SP, HTAB, CR and LF skipped as if absent (RFC 6376 §3.5 b=, bh=:
                                          base64string allows FWS); offsets and lengths count the rest */
} BimiBase64Flags;

typedef struct {
  BimiBase64Status status;
  gsize offset;  /* BAD_CHAR: the offending byte in the input; BAD_LENGTH: the input's length */
  gsize out_len; /* TOO_LONG: the decoded size */
} BimiBase64Error;

/** TRUE for the 64 characters of the RFC 4648 §4 alphabet ('=' is not one). */
gboolean bimi_base64_is_alphabet(guchar c);

/**
 * bimi_base64_decode:
 * @text: the base64 text (transfer none), not NUL-terminated; no white space
 * @len: bytes in @text
 * @max_out: the largest decoded size accepted, in bytes
 * @flags: #BimiBase64Flags
 * @err: (out): what was wrong and where, when NULL is returned
 *
 * Decodes @text, at most two '=' of padding at its end, nothing else.
 * Checks, in this order: the length, @max_out, the alphabet.
 * Returns: (transfer full): the decoded bytes (possibly empty), or NULL with @err set.
 */
GBytes *bimi_base64_decode(const char *text, gsize len, gsize max_out, guint flags, BimiBase64Error *err);

/**
 * bimi_base64_decode_to:
 * @text: the base64 text (transfer none), not NUL-terminated
 * @len: bytes in @text
 * @flags: #BimiBase64Flags (BIMI_BASE64_SKIP_FWS for folded header values)
 * @out: (out caller-allocates): @out_size bytes
 * @out_size: the room in @out, in bytes: the largest decoded size accepted
 * @out_len: (out): the decoded size, in bytes
 * @err: (out): what was wrong and where, when FALSE is returned
 *
 * As bimi_base64_decode(), into the caller's buffer (no allocation: a DKIM
 * b= is decoded on every verification, issue 21). The same checks in the same
 * order; nothing is written when the length or the size check fails.
 * Returns: TRUE, or FALSE with @err set.
 */
gboolean bimi_base64_decode_to(const char *text, gsize len, guint flags, guint8 *out, gsize out_size, gsize *out_len,
                               BimiBase64Error *err);
