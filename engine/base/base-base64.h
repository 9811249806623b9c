/* engine/base/base-base64.h — strict, bounded base64 decoding (RFC 4648 §4).
 *
 * A wrapper over GLib's decoder that first checks what GLib does not: the
 * alphabet (the offset of the first bad byte), the length, '=' only as final
 * padding, and the decoded size against the caller's maximum before anything
 * is allocated. Unpadded input is accepted (RFC 6376 §3.5 b= and p= values
 * as signers write them, RFC 2047 §4.1 encoded words).
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
} BimiBase64Flags;

typedef struct {
  BimiBase64Status status;
  gsize offset;  /* BAD_CHAR: the offending byte in the input */
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
