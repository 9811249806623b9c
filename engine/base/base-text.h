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
 * Returns: (transfer full): a NULL-terminated vector, at least one item.
 */
char **bimi_text_split_trimmed(const char *value, char sep);
