/* engine/base/base-json.h — the JSON member helpers every result writer uses
 * (RFC 8259 §8.1: JSON text is UTF-8; values from hostile input may not be). */
#pragma once

#include <json-glib/json-glib.h>

/**
 * bimi_json_add_string_or_null:
 * @b: a builder inside an object
 * @name: the member name
 * @value: (nullable): a NUL-terminated string (transfer none)
 *
 * Adds "@name": null when @value is NULL, else "@name": @value, with invalid
 * UTF-8 sequences replaced by U+FFFD (g_utf8_make_valid()).
 */
void bimi_json_add_string_or_null(JsonBuilder *b, const char *name, const char *value);

/**
 * bimi_json_add_strv:
 * @b: a builder inside an object
 * @name: the member name
 * @values: (nullable) (array zero-terminated=1): strings (transfer none)
 *
 * Adds "@name": [ ... ] (an empty array for NULL), each string made valid UTF-8.
 */
void bimi_json_add_strv(JsonBuilder *b, const char *name, char *const *values);

/**
 * bimi_json_add_bytes:
 * @b: a builder inside an object
 * @name: the member name
 * @data: (nullable) (array length=len): bytes, not NUL-terminated (transfer none)
 * @len: their length in bytes
 *
 * Adds "@name": the bytes as a string when they are UTF-8 (a consumer gets the
 * real text); otherwise invalid sequences become U+FFFD in "@name" and the
 * exact bytes go to "@name_base64" as well (RFC 4648 §4). A NUL byte counts as
 * not UTF-8: json-glib strings end at NUL.
 */
void bimi_json_add_bytes(JsonBuilder *b, const char *name, const char *data, gsize len);

/**
 * bimi_json_add_members:
 * @b: a builder inside an object
 * @format: one letter a member (white space between them is ignored), in the
 *   spirit of jansson's json_pack(); each member takes its name (const char *)
 *   from the arguments, then its value:
 *   - `s` const char *: a string made valid UTF-8 as bimi_json_add_string_or_null(), NULL → null
 *   - `b` gboolean: true/false
 *   - `i` int, `u` guint, `I` gint64: a number
 *   - `v` char *const *: a NULL-terminated string array as bimi_json_add_strv() (NULL → [])
 *   - `p` const GPtrArray * of char *: a string array likewise (NULL → [])
 *   - `n`: null (no value argument)
 *   - `{`: an object member: its members follow up to the matching `}` (in the same @format)
 *   - `?` before a value letter: a gboolean "present" argument comes first (after the
 *     name); when it is FALSE the value argument is still taken, and null is written
 * @...: the names and values, in the order of @format
 *
 * Adds the members in order: the one place where the result writers
 * (`engine/ *-json.c`, `evaluate/evaluate-json.c`, the CLI) spell a JSON object,
 * instead of a set-name/add-value pair per member. A letter outside the list is
 * a programmer error (g_critical, the rest of @format is skipped).
 */
void bimi_json_add_members(JsonBuilder *b, const char *format, ...);
