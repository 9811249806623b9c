/* fcgi/log.h — bimi-fcgi's log: one line per event on stderr, filtered by
 * [server] log_level. Every GLib log call of the process (g_warning,
 * g_info, the engine's g_debug) goes through it.
 */
#ifndef BIMI_FCGI_LOG_H
#define BIMI_FCGI_LOG_H

#include "engine/base/base-text.h"

#include <glib.h>

G_BEGIN_DECLS

/** Installs the writer (once, before any thread logs). The level starts at "info". */
void bimi_fcgi_log_init(void);

/**
 * bimi_fcgi_log_set_level:
 * @level: "error", "warning", "info" or "debug" ([server] log_level)
 *
 * Thread-safe; takes effect for the next line.
 *
 * Returns: FALSE (level unchanged) for any other word.
 */
gboolean bimi_fcgi_log_set_level(const char *level);

/** Returns: whether a message at @level would be printed now (to skip building it). */
gboolean bimi_fcgi_log_enabled(GLogLevelFlags level);

/**
 * bimi_fcgi_log_set_format:
 * @format: "text" or "json" ([server] log_format)
 *
 * text: "TIME bimi-fcgi[PID] LEVEL: MESSAGE"; json: one object per line,
 * {"time", "level", "pid", "message"} plus the fields of a request line.
 * Thread-safe. Returns: FALSE (format unchanged) for any other word.
 */
gboolean bimi_fcgi_log_set_format(const char *format);

/**
 * BimiFcgiLogField:
 * One field of a request line.
 * @name: its key (the JSON member)
 * @value: (nullable): NULL: the field is left out
 * @len: bytes of @value, or -1: NUL-terminated
 * @escape_max: 0: @value is printed as it is (a fixed word, a number); else it is
 *   sender-controlled and escaped (bimi_text_append_escaped_ascii(), '"' too) with at
 *   most this many bytes shown
 * @escape_flags: further #BimiTextEscapeFlags (BIMI_TEXT_ESCAPE_SPACE: a value with
 *   spaces, such as a brand name, stays one key=value token)
 */
typedef struct {
  const char *name;
  const char *value;
  gssize len;
  gsize escape_max;
  guint escape_flags;
} BimiFcgiLogField;

/** Bytes of a bimi_fcgi_log_format_ms() buffer. */
#define BIMI_FCGI_LOG_MS_LEN 32

/**
 * bimi_fcgi_log_format_ms:
 * @buf: (out caller-allocates): the text, NUL-terminated
 * @ms: a duration in milliseconds (negative or not a number: 0)
 *
 * "12.3": @ms rounded to a tenth, for the *_ms fields of a request line, without printf.
 */
void bimi_fcgi_log_format_ms(char buf[BIMI_FCGI_LOG_MS_LEN], double ms);

/**
 * bimi_fcgi_log_request:
 * @fields: (array length=n_fields): method and path first (the text form starts
 *   "METHOD PATH STATUS"), then key=value fields; a NULL value is left out
 *
 * The request line, at info level: text "GET /p 200 decision=none reason=no-record ... total_ms=1.2";
 * json the same fields as members. Built in one per-thread buffer and written with one write(2)
 * (issue 21: no allocation per line); nothing when the level is above info.
 */
void bimi_fcgi_log_request(const BimiFcgiLogField *fields, gsize n_fields);

/**
 * bimi_fcgi_log_brand:
 * A BimiEvaluatorBrandFunc (evaluate/evaluate.h): a brand-side failure or recovery at warning level,
 * "vmc.example.com: VMC expired 2026-11-30T00:00:00Z (selector default)". @user_data is unused.
 */
void bimi_fcgi_log_brand(const char *domain, const char *selector, const char *failure, gpointer user_data);

G_END_DECLS

#endif /* BIMI_FCGI_LOG_H */
