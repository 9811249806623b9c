/* engine/base/base-json.c — JSON member helpers (RFC 8259 §8.1 UTF-8). */
#include "engine/base/base-json.h"

#include <string.h>

static void
add_valid(JsonBuilder *b, const char *value)
{
  if (g_utf8_validate(value, -1, NULL)) {
    json_builder_add_string_value(b, value);
  } else {
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    json_builder_add_string_value(b, valid);
  }
}

void
bimi_json_add_string_or_null(JsonBuilder *b, const char *name, const char *value)
{
  g_return_if_fail(b != NULL && name != NULL);
  json_builder_set_member_name(b, name);
  if (value == NULL)
    json_builder_add_null_value(b);
  else
    add_valid(b, value);
}

void
bimi_json_add_strv(JsonBuilder *b, const char *name, char *const *values)
{
  g_return_if_fail(b != NULL && name != NULL);
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    add_valid(b, values[i]);
  json_builder_end_array(b);
}

void
bimi_json_add_bytes(JsonBuilder *b, const char *name, const char *data, gsize len)
{
  const char *p = data != NULL ? data : "";
  g_autofree char *valid = g_utf8_make_valid(p, (gssize) len);

  g_return_if_fail(b != NULL && name != NULL);
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, valid);
  if (len > 0 && (!g_utf8_validate_len(p, len, NULL) || memchr(p, '\0', len) != NULL)) {
    g_autofree char *b64 = g_base64_encode((const guchar *) p, len);
    g_autofree char *b64_name = g_strconcat(name, "_base64", NULL);
    json_builder_set_member_name(b, b64_name);
    json_builder_add_string_value(b, b64);
  }
}

static void
add_ptr_array(JsonBuilder *b, const GPtrArray *values)
{
  json_builder_begin_array(b);
  for (guint i = 0; values != NULL && i < values->len; i++)
    add_valid(b, g_ptr_array_index(values, i));
  json_builder_end_array(b);
}

/* Adds the value of one member, taking its argument(s) from @ap; FALSE on a
 * letter outside the format. */
static gboolean
add_value(JsonBuilder *b, char kind, gboolean present, va_list *ap)
{
  switch (kind) {
  case 's': {
    const char *s = va_arg(*ap, const char *);
    if (present && s != NULL)
      add_valid(b, s);
    else
      json_builder_add_null_value(b);
    return TRUE;
  }
  case 'b': {
    gboolean v = va_arg(*ap, gboolean);
    present ? json_builder_add_boolean_value(b, v) : json_builder_add_null_value(b);
    return TRUE;
  }
  case 'i': {
    int v = va_arg(*ap, int);
    present ? json_builder_add_int_value(b, v) : json_builder_add_null_value(b);
    return TRUE;
  }
  case 'u': {
    guint v = va_arg(*ap, guint);
    present ? json_builder_add_int_value(b, v) : json_builder_add_null_value(b);
    return TRUE;
  }
  case 'I': {
    gint64 v = va_arg(*ap, gint64);
    present ? json_builder_add_int_value(b, v) : json_builder_add_null_value(b);
    return TRUE;
  }
  case 'v': {
    char *const *v = va_arg(*ap, char *const *);
    if (!present) {
      json_builder_add_null_value(b);
      return TRUE;
    }
    json_builder_begin_array(b);
    for (guint i = 0; v != NULL && v[i] != NULL; i++)
      add_valid(b, v[i]);
    json_builder_end_array(b);
    return TRUE;
  }
  case 'p': {
    const GPtrArray *v = va_arg(*ap, const GPtrArray *);
    present ? add_ptr_array(b, v) : json_builder_add_null_value(b);
    return TRUE;
  }
  case 'n':
    json_builder_add_null_value(b);
    return TRUE;
  default:
    return FALSE;
  }
}

void
bimi_json_add_members(JsonBuilder *b, const char *format, ...)
{
  va_list ap;

  g_return_if_fail(b != NULL && format != NULL);
  va_start(ap, format);
  for (const char *f = format; *f != '\0'; f++) {
    if (g_ascii_isspace(*f))
      continue;
    if (*f == '}') {
      json_builder_end_object(b);
      continue;
    }
    json_builder_set_member_name(b, va_arg(ap, const char *));
    if (*f == '{') {
      json_builder_begin_object(b);
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
