/* engine/base/base-text.h — small helpers on already-bounded text: lists and
 * escaping for logs (STYLE.md §7: logs escape attacker-controlled strings). */
#pragma once

#include <glib.h>

/**
 * bimi_text_split_trimmed:
 * @value: a NUL-terminated list (transfer none), bounded by the caller's parser
 * @sep: the separator byte (':' for DKIM h= / s= / h= of key records, RFC 6376 §3.5, §3.6.1)
 *
 * Splits @value at every @sep and strips ASCII white space from each item;
 * empty items are kept ("a::b" has three).
 * Returns: (transfer full): a NULL-terminated vector (empty for "").
 */
char **bimi_text_split_trimmed(const char *value, char sep);

/** Flags of bimi_text_escape_ascii(). */
typedef enum {
  BIMI_TEXT_ESCAPE_DEFAULT = 0,
  BIMI_TEXT_ESCAPE_QUOTE = 1u << 0, /* '"' as \x22 too (inside a quoted log field) */
  BIMI_TEXT_ESCAPE_SPACE = 1u << 1, /* ' ' as \x20 too (a key=value token that must stay one word) */
} BimiTextEscapeFlags;

/**
 * bimi_text_escape_ascii:
 * @data: the bytes (transfer none), not NUL-terminated; hostile
 * @len: bytes in @data
 * @max: the most input bytes shown; "..." follows when @len is more
 * @flags: #BimiTextEscapeFlags
 *
 * Text for a log line or a message: printable ASCII (0x20-0x7e) kept, '\'
 * and every other byte (controls, DEL, 8-bit) written as \xHH, so that an
 * attacker cannot forge or break lines (STYLE.md §7).
 * Returns: (transfer full): the escaped text.
 */
char *bimi_text_escape_ascii(const char *data, gsize len, gsize max, guint flags);

/**
 * bimi_text_append_escaped_ascii:
 * @out: where the escaped text is appended
 * @data: (nullable): the bytes (transfer none), hostile; NULL: "-" is appended
 * @len: bytes in @data, or -1: @data is NUL-terminated (only its first @max + 1 bytes are read)
 * @max: the most input bytes shown; "..." follows when there are more
 * @flags: #BimiTextEscapeFlags
 *
 * bimi_text_escape_ascii() into @out, without a string of its own (a log line is built in one buffer).
 */
void bimi_text_append_escaped_ascii(GString *out, const char *data, gssize len, gsize max, guint flags);

/**
 * bimi_text_append_uint:
 * @out: where the digits are appended
 * @value: the number
 *
 * Appends @value in decimal, without printf (issue 21: the format parsing and locale work of
 * printf cost several times the digits in a response header or a reverse-DNS name).
 */
void bimi_text_append_uint(GString *out, guint64 value);

/**
 * bimi_text_set_printf:
 * @slot: (nullable) (inout): where a string owned by the caller lives; NULL: nothing happens
 * @format: printf-style format, then its arguments
 *
 * Formats the text, then frees *@slot and stores the text there (transfer
 * full): the one path of the engine's "result with a reason" setters.
 */
void bimi_text_set_printf(char **slot, const char *format, ...) G_GNUC_PRINTF(2, 3);

/**
 * bimi_text_append_csv_field:
 * @out: the CSV text being written
 * @value: (nullable): the field (NULL: empty)
 * @last: the last field of its record: CRLF follows instead of ","
 *
 * Appends one RFC 4180 field: quoted when it holds a comma, a quote or a line break, its quotes
 * doubled (the CSV of `bimi report summary --csv` and `bimi survey --csv`).
 */
void bimi_text_append_csv_field(GString *out, const char *value, gboolean last);
