/* fcgi/log.c — a GLib structured-log writer for bimi-fcgi: stderr, one line
 * per message ("2025-01-31T12:00:00.123Z bimi-fcgi[PID] info: TEXT"), the
 * level chosen by [server] log_level. Messages are escaped by their callers
 * where senders control the text (STYLE.md §7); this writer only makes sure
 * a line stays one line.
 */
#include "fcgi/log.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The most verbose GLogLevelFlags bit printed: ERROR/CRITICAL < WARNING < MESSAGE/INFO < DEBUG. */
static gint max_level = G_LOG_LEVEL_INFO;
/* [server] log_format: 0 text, 1 json. */
static gint json_format = 0;

static const char *
level_word(GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return "info";
  return "debug";
}

static GLogWriterOutput
writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *message = NULL;
  gint limit = g_atomic_int_get(&max_level);
  guint bit = level & G_LOG_LEVEL_MASK;

  /* Lower bits are more severe in GLib: print when the level is at most the limit. */
  if (bit > (guint) limit)
    return G_LOG_WRITER_HANDLED;
  (void) user_data;
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      message = fields[i].value;
  if (message == NULL)
    message = "";

  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
  g_autoptr(GString) line = g_string_sized_new(128 + strlen(message));
  if (g_atomic_int_get(&json_format)) {
    /* One JSON object per line (journald, log shippers): the request fields as members. */
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *ts = g_strdup_printf("%s.%03dZ", stamp, g_date_time_get_microsecond(now) / 1000);
    g_autofree char *text = NULL;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "time");
    json_builder_add_string_value(b, ts);
    json_builder_set_member_name(b, "level");
    json_builder_add_string_value(b, level_word(level));
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, (gint64) getpid());
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message);
    for (gsize i = 0; i < n_fields; i++) {
      if (!g_str_has_prefix(fields[i].key, "BIMI_") || fields[i].length >= 0)
        continue;
      g_autofree char *member = g_ascii_strdown(fields[i].key + 5, -1);
      json_builder_set_member_name(b, member);
      json_builder_add_string_value(b, fields[i].value);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    text = json_to_string(root, FALSE);
    g_string_append(line, text);
  } else {
    g_string_append_printf(line, "%s.%03dZ bimi-fcgi[%d] %s: ", stamp, g_date_time_get_microsecond(now) / 1000,
                           (int) getpid(), level_word(level));
    for (const char *p = message; *p != '\0'; p++)
      g_string_append_c(line, *p == '\n' || *p == '\r' ? ' ' : *p);
  }
  g_string_append_c(line, '\n');
  /* One write(2) per line: lines of concurrent threads never interleave. */
  if (write(STDERR_FILENO, line->str, line->len) < 0)
    return G_LOG_WRITER_UNHANDLED;
  return G_LOG_WRITER_HANDLED;
}

void
bimi_fcgi_log_init(void)
{
  g_log_set_writer_func(writer, NULL, NULL);
}

gboolean
bimi_fcgi_log_set_level(const char *level)
{
  gint value;

  if (g_strcmp0(level, "error") == 0)
    value = G_LOG_LEVEL_CRITICAL;
  else if (g_strcmp0(level, "warning") == 0)
    value = G_LOG_LEVEL_WARNING;
  else if (g_strcmp0(level, "info") == 0)
    value = G_LOG_LEVEL_INFO;
  else if (g_strcmp0(level, "debug") == 0)
    value = G_LOG_LEVEL_DEBUG;
  else
    return FALSE;
  g_atomic_int_set(&max_level, value);
  return TRUE;
}

gboolean
bimi_fcgi_log_enabled(GLogLevelFlags level)
{
  return (guint) (level & G_LOG_LEVEL_MASK) <= (guint) g_atomic_int_get(&max_level);
}

gboolean
bimi_fcgi_log_set_format(const char *format)
{
  if (g_strcmp0(format, "text") == 0)
    g_atomic_int_set(&json_format, 0);
  else if (g_strcmp0(format, "json") == 0)
    g_atomic_int_set(&json_format, 1);
  else
    return FALSE;
  return TRUE;
}

void
bimi_fcgi_log_request(const BimiFcgiLogField *fields, gsize n_fields)
{
  g_autoptr(GString) text = g_string_new(NULL);
  g_autoptr(GArray) log = g_array_new(FALSE, FALSE, sizeof(GLogField));
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
  GLogField f;

  for (gsize i = 0; i < n_fields; i++) {
    if (fields[i].value == NULL)
      continue;
    if (i < 2)
      g_string_append_printf(text, "%s%s", i > 0 ? " " : "", fields[i].value);
    else if (strcmp(fields[i].name, "status") == 0)
      g_string_append_printf(text, " %s", fields[i].value);
    else
      g_string_append_printf(text, " %s=%s", fields[i].name, fields[i].value);
  }
  f = (GLogField){ "MESSAGE", text->str, -1 };
  g_array_append_val(log, f);
  f = (GLogField){ "PRIORITY", "6", -1 };
  g_array_append_val(log, f);
  for (gsize i = 0; i < n_fields; i++) {
    char *key;
    if (fields[i].value == NULL)
      continue;
    key = g_ascii_strup(fields[i].name, -1);
    g_ptr_array_add(keys, g_strconcat("BIMI_", key, NULL));
    g_free(key);
    f = (GLogField){ g_ptr_array_index(keys, keys->len - 1), fields[i].value, -1 };
    g_array_append_val(log, f);
  }
  g_log_structured_array(G_LOG_LEVEL_INFO, (const GLogField *) (void *) log->data, log->len);
}

void
bimi_fcgi_log_brand(const char *domain, const char *selector, const char *failure, gpointer user_data)
{
  (void) user_data;
  if (failure != NULL)
    g_warning("%s: %s (selector %s)", domain, failure, selector);
  else
    g_warning("%s: indicator validates again (selector %s)", domain, selector);
}
