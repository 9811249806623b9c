/* fcgi/log.h — bimi-fcgi's log: one line per event on stderr, filtered by
 * [server] log_level. Every GLib log call of the process (g_warning,
 * g_info, the engine's g_debug) goes through it.
 */
#ifndef BIMI_FCGI_LOG_H
#define BIMI_FCGI_LOG_H

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

G_END_DECLS

#endif /* BIMI_FCGI_LOG_H */
