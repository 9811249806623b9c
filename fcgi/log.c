/* fcgi/log.c — a GLib structured-log writer for bimi-fcgi: stderr, one line
 * per message ("2025-01-31T12:00:00.123Z bimi-fcgi[PID] info: TEXT"), the
 * level chosen by [server] log_level. Messages are escaped by their callers
 * where senders control the text (STYLE.md §7); this writer only makes sure
 * a line stays one line.
 */
#include "fcgi/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The most verbose GLogLevelFlags bit printed: ERROR/CRITICAL < WARNING < MESSAGE/INFO < DEBUG. */
static gint max_level = G_LOG_LEVEL_INFO;

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
  g_string_append_printf(line, "%s.%03dZ bimi-fcgi[%d] %s: ", stamp, g_date_time_get_microsecond(now) / 1000,
                         (int) getpid(), level_word(level));
  for (const char *p = message; *p != '\0'; p++)
    g_string_append_c(line, *p == '\n' || *p == '\r' ? ' ' : *p);
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
