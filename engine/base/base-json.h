/* engine/base/base-json.h — the JSON writer and the member helpers every result
 * writer uses (RFC 8259 §8.1: JSON text is UTF-8; values from hostile input may not be).
 *
 * BimiJsonWriter writes JSON text as it goes (no tree: issue 21 measured json-glib's
 * JsonBuilder tree, its serialization and its free at 27 % of an evaluation). Its calls
 * mirror JsonBuilder's, and its output is byte for byte what json_to_string(root, FALSE)
 * gives for the same calls: compact, members in call order, strings escaped as
 * json-glib escapes them. Who needs a tree (the CLI's pretty printing, tests) takes one
 * with bimi_json_writer_get_node(). */
#pragma once

#include "engine/base/base-limits.h"

#include <json-glib/json-glib.h>

typedef struct _BimiJsonWriter BimiJsonWriter;

/** bimi_json_writer_new: Returns: (transfer full): an empty writer. */
BimiJsonWriter *bimi_json_writer_new(void);
/** bimi_json_writer_free: frees @w (nullable). */
void bimi_json_writer_free(BimiJsonWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiJsonWriter, bimi_json_writer_free)

/**
 * bimi_json_writer_get_text:
 * @w: a writer holding one complete value
 * @len: (out) (optional): its length in bytes
 *
 * Returns: (transfer none): the JSON text written so far, NUL-terminated (valid until
 * the next call on @w).
 */
const char *bimi_json_writer_get_text(BimiJsonWriter *w, gsize *len);
/** bimi_json_writer_steal_text: the text as bimi_json_writer_get_text(); @w is empty after.
 *  Returns: (transfer full). */
char *bimi_json_writer_steal_text(BimiJsonWriter *w);
/**
 * bimi_json_writer_get_node:
 * @w: a writer holding one complete value
 *
 * Returns: (transfer full) (nullable): the value as a json-glib tree (parsed from the
 * text), NULL when @w holds no complete value.
 */
JsonNode *bimi_json_writer_get_node(BimiJsonWriter *w);

/**
 * bimi_json_append_string:
 * @out: where the JSON string is appended
 * @s: NUL-terminated text (transfer none), written as given (no UTF-8 repair)
 *
 * @s as a JSON string (RFC 8259 §7), quotes included, escaped exactly as json-glib's
 * generator does (json_strescape() of json-glib 1.6), for one-line writers such as
 * bimi-fcgi's JSON log.
 */
void bimi_json_append_string(GString *out, const char *s);

/* The JsonBuilder calls, same order rules: inside an object a member name comes
 * before each value. Strings are written as given (no UTF-8 repair: see
 * bimi_json_add_string_or_null() for that); NULL is written as "". */
void bimi_json_begin_object(BimiJsonWriter *w);
void bimi_json_end_object(BimiJsonWriter *w);
void bimi_json_begin_array(BimiJsonWriter *w);
void bimi_json_end_array(BimiJsonWriter *w);
void bimi_json_set_member_name(BimiJsonWriter *w, const char *name);
void bimi_json_add_string_value(BimiJsonWriter *w, const char *value);
void bimi_json_add_int_value(BimiJsonWriter *w, gint64 value);
/** A double as json-glib writes one: g_ascii_dtostr(), ".0" added when it reads as an integer. */
void bimi_json_add_double_value(BimiJsonWriter *w, double value);
void bimi_json_add_boolean_value(BimiJsonWriter *w, gboolean value);
void bimi_json_add_null_value(BimiJsonWriter *w);
/** Writes the json-glib value @node (transfer full, like json_builder_add_value()). */
void bimi_json_add_value(BimiJsonWriter *w, JsonNode *node);
/**
 * bimi_json_reopen_object:
 * @w: a writer whose last call closed an object (bimi_json_end_object())
 *
 * Opens that object again, so that members can be added to what a module's
 * *_build_json wrote; close it with bimi_json_end_object() again.
 */
void bimi_json_reopen_object(BimiJsonWriter *w);

/**
 * bimi_json_add_string_or_null:
 * @b: a writer inside an object
 * @name: the member name
 * @value: (nullable): a NUL-terminated string (transfer none)
 *
 * Adds "@name": null when @value is NULL, else "@name": @value, with invalid
 * UTF-8 sequences replaced by U+FFFD (g_utf8_make_valid()).
 */
void bimi_json_add_string_or_null(BimiJsonWriter *b, const char *name, const char *value);

/**
 * bimi_json_set_member_or_null:
 * @b: a writer inside an object
 * @name: the member name
 * @present: whether the member has a value
 *
 * Starts the member "@name". When @present is FALSE, writes its value, null,
 * and returns FALSE; when TRUE, returns TRUE and the caller writes the value
 * (an object or array of its own builder):
 *
 * |[<!-- language="C" -->
 * if (bimi_json_set_member_or_null(b, "arc", run->arc != NULL))
 *   bimi_arc_chain_build_json(run->arc, b);
 * ]|
 *
 * Returns: @present.
 */
gboolean bimi_json_set_member_or_null(BimiJsonWriter *b, const char *name, gboolean present);

/**
 * bimi_json_add_strv:
 * @b: a writer inside an object
 * @name: the member name
 * @values: (nullable) (array zero-terminated=1): strings (transfer none)
 *
 * Adds "@name": [ ... ] (an empty array for NULL), each string made valid UTF-8.
 */
void bimi_json_add_strv(BimiJsonWriter *b, const char *name, char *const *values);

/**
 * bimi_json_add_bytes:
 * @b: a writer inside an object
 * @name: the member name
 * @data: (nullable) (array length=len): bytes, not NUL-terminated (transfer none)
 * @len: their length in bytes
 *
 * Adds "@name": the bytes as a string when they are UTF-8 (a consumer gets the
 * real text); otherwise invalid sequences become U+FFFD in "@name" and the
 * exact bytes go to "@name_base64" as well (RFC 4648 §4). A NUL byte counts as
 * not UTF-8: json-glib strings end at NUL.
 */
void bimi_json_add_bytes(BimiJsonWriter *b, const char *name, const char *data, gsize len);

/**
 * bimi_json_add_members:
 * @b: a writer inside an object
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
void bimi_json_add_members(BimiJsonWriter *b, const char *format, ...);
