/* fcgi/log.c — a GLib structured-log writer for bimi-fcgi: stderr, one line
 * per message ("2025-01-31T12:00:00.123Z bimi-fcgi[PID] info: TEXT"), the
 * level chosen by [server] log_level. Messages are escaped by their callers
 * where senders control the text (STYLE.md §7); this writer only makes sure
 * a line stays one line.
 */
#include "fcgi/log.h"

#include "engine/base/base-json.h"
#include "engine/base/base-text.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
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

/* Per thread: the line being built, reused (issue 21: a request line costs no allocation). */
static void
line_free(gpointer data)
{
  g_string_free(data, TRUE);
}
static GPrivate line_key = G_PRIVATE_INIT(line_free);
static GPrivate message_key = G_PRIVATE_INIT(line_free);
static GPrivate value_key = G_PRIVATE_INIT(line_free);

static GString *
thread_buffer(GPrivate *key)
{
  GString *s = g_private_get(key);

  if (s == NULL) {
    s = g_string_sized_new(512);
    g_private_set(key, s);
  }
  g_string_truncate(s, 0);
  return s;
}

/* Per thread: the "YYYY-MM-DDTHH:MM:SS" of the last second a line was stamped in. */
typedef struct {
  gint64 second;
  char text[24];
} Stamp;
static GPrivate stamp_key = G_PRIVATE_INIT(g_free);

/* "2025-01-31T12:00:00.123Z" (UTC, milliseconds) of now. */
static void
append_stamp(GString *out)
{
  gint64 now_us = g_get_real_time();
  gint64 second = now_us / G_USEC_PER_SEC;
  guint ms = (guint) (now_us % G_USEC_PER_SEC / 1000);
  Stamp *st = g_private_get(&stamp_key);

  if (st == NULL) {
    st = g_new0(Stamp, 1);
    st->second = -1;
    g_private_set(&stamp_key, st);
  }
  if (st->second != second) {
    time_t t = (time_t) second;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(st->text, sizeof st->text, "%Y-%m-%dT%H:%M:%S", &tm);
    st->second = second;
  }
  char tail[6] = { '.', (char) ('0' + ms / 100), (char) ('0' + ms / 10 % 10), (char) ('0' + ms % 10), 'Z', '\0' };
  g_string_append(out, st->text);
  g_string_append_len(out, tail, 5);
}

/* The process id, read once (bimi-fcgi never forks a copy of itself that logs). */
static int
log_pid(void)
{
  static gint pid = 0;
  gint p = g_atomic_int_get(&pid);

  if (p == 0) {
    p = (gint) getpid();
    g_atomic_int_set(&pid, p);
  }
  return p;
}

static void
append_uint(GString *out, guint64 v)
{
  char buf[24];
  gsize i = sizeof buf;

  do
    buf[--i] = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  g_string_append_len(out, buf + i, (gssize) (sizeof buf - i));
}

/* Ends @line with '\n' and writes it: one write(2) per line, so lines of concurrent threads never interleave. */
static gboolean
write_line(GString *line)
{
  g_string_append_c(line, '\n');
  return write(STDERR_FILENO, line->str, line->len) >= 0;
}

/* A field's value: as it is, or escaped (bimi_text_append_escaped_ascii()). */
static void
append_value(GString *out, const BimiFcgiLogField *f)
{
  if (f->escape_max == 0)
    g_string_append(out, f->value);
  else
    bimi_text_append_escaped_ascii(out, f->value, f->len, f->escape_max, BIMI_TEXT_ESCAPE_QUOTE | f->escape_flags);
}

/* One whole line of @level with @message (text), and for a request line its @fields
 * (already safe: see append_field()) as JSON members. */
static gboolean
emit(GLogLevelFlags level, const char *message, gsize message_len, const BimiFcgiLogField *fields, gsize n_fields)
{
  GString *line = thread_buffer(&line_key);

  if (g_atomic_int_get(&json_format)) {
    /* One JSON object per line (journald, log shippers): the request fields as members. */
    g_string_append(line, "{\"time\":\"");
    append_stamp(line);
    g_string_append(line, "\",\"level\":\"");
    g_string_append(line, level_word(level));
    g_string_append(line, "\",\"pid\":");
    append_uint(line, (guint64) log_pid());
    g_string_append(line, ",\"message\":");
    bimi_json_append_string(line, message);
    for (gsize i = 0; i < n_fields; i++) {
      if (fields[i].value == NULL)
        continue;
      g_string_append_c(line, ',');
      bimi_json_append_string(line, fields[i].name);
      g_string_append_c(line, ':');
      GString *value = thread_buffer(&value_key);
      append_value(value, &fields[i]);
      bimi_json_append_string(line, value->str);
    }
    g_string_append_c(line, '}');
  } else {
    append_stamp(line);
    g_string_append(line, " bimi-fcgi[");
    append_uint(line, (guint64) log_pid());
    g_string_append(line, "] ");
    g_string_append(line, level_word(level));
    g_string_append(line, ": ");
    gsize at = line->len;
    g_string_append_len(line, message, (gssize) message_len);
    for (char *p = line->str + at; *p != '\0'; p++)
      if (*p == '\n' || *p == '\r')
        *p = ' ';
  }
  return write_line(line);
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
  return emit(level, message, strlen(message), NULL, 0) ? G_LOG_WRITER_HANDLED : G_LOG_WRITER_UNHANDLED;
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
  GString *text = thread_buffer(&message_key);

  if (!bimi_fcgi_log_enabled(G_LOG_LEVEL_INFO))
    return;
  for (gsize i = 0; i < n_fields; i++) {
    if (fields[i].value == NULL)
      continue;
    if (i > 0)
      g_string_append_c(text, ' ');
    if (i >= 2 && strcmp(fields[i].name, "status") != 0) {
      g_string_append(text, fields[i].name);
      g_string_append_c(text, '=');
    }
    append_value(text, &fields[i]);
  }
  emit(G_LOG_LEVEL_INFO, text->str, text->len, fields, n_fields);
}

void
bimi_fcgi_log_format_ms(char buf[BIMI_FCGI_LOG_MS_LEN], double ms)
{
  if (!(ms >= 0.0) || ms > 1e12)
    ms = 0.0;
  guint64 tenths = (guint64) (ms * 10.0 + 0.5);
  char digits[24];
  gsize n = 0, i = 0;
  guint64 whole = tenths / 10;
  do
    digits[n++] = (char) ('0' + whole % 10);
  while ((whole /= 10) != 0);
  while (n > 0)
    buf[i++] = digits[--n];
  buf[i++] = '.';
  buf[i++] = (char) ('0' + tenths % 10);
  buf[i] = '\0';
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
