/* engine/base/base-mem.h — one call for the run of g_free() calls that ends
 * most `_free`/`_clear` functions of the result types (STYLE.md §3: every type
 * has a `_free`; the owned strings of a record leave together). */
#pragma once

#include <glib.h>

/**
 * bimi_free_all:
 * @ptrs: (array length=n): the blocks to free (each transfer full; NULL entries are skipped, as g_free() does)
 * @n: entries in @ptrs
 *
 * g_free() on each of @ptrs[0 .. @n-1], in order. Every pointer is read
 * before the first is freed, so a struct may stand last after its own
 * members: `BIMI_FREE_ALL(r->domain, r->reason, r)`. Only blocks from
 * g_malloc()/g_strdup() belong here; anything with its own destructor
 * (GPtrArray, GBytes, a `_free` of this library) is released by that.
 */
void bimi_free_all(gpointer const *ptrs, gsize n);

/**
 * BIMI_FREE_ALL:
 * @...: one or more pointers to free with g_free() (NULL allowed)
 *
 * bimi_free_all() on its arguments, counted at compile time (the arguments
 * are evaluated once).
 */
#define BIMI_FREE_ALL(...) \
  bimi_free_all((gpointer[]) { __VA_ARGS__ }, sizeof((gpointer[]) { __VA_ARGS__ }) / sizeof(gpointer))
