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
