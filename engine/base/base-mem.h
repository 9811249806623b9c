/* engine/base/base-mem.h — freeing and reference counting the way every
 * type of the library does it (STYLE.md §3: every type has a `_free` or
 * ref/unref): one call for the run of g_free() calls that ends most `_free`
 * functions, and G_DEFINE_*-style macros that define `_free` and ref/unref. */
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

/**
 * BIMI_DEFINE_FREE_FUNC:
 * @TypeName: a struct type whose instances come from g_new()/g_new0()
 * @func: the name of the function to define, `void func(TypeName *self)`
 * @clear: `void clear(TypeName *self)`: releases what @self owns, not @self
 *
 * Defines the `_free` of a heap struct (STYLE.md §3) from its clear function,
 * in the manner of GLib's G_DEFINE_* macros: @func does nothing on NULL,
 * otherwise calls @clear and then g_free() on @self. Write `static` before
 * the macro for a file-local function. The declaration (and its doc comment:
 * ownership, what it releases) stays in the module's header.
 */
#define BIMI_DEFINE_FREE_FUNC(TypeName, func, clear) \
  void func(TypeName *self)                          \
  {                                                  \
    if (self == NULL)                                \
      return;                                        \
    clear(self);                                     \
    g_free(self);                                    \
  }

/**
 * BIMI_DEFINE_ATOMIC_RC_FUNCS:
 * @TypeName: a struct type whose instances come from g_atomic_rc_box_new0()
 * @prefix: the function prefix: defines `prefix_ref` and `prefix_unref`
 * @clear: `void clear(TypeName *self)`: what the last reference releases
 *   (the members, not the box itself)
 *
 * Defines the reference counting of a type shared between threads, in the
 * manner of GLib's G_DEFINE_* macros:
 * - `TypeName *prefix_ref(TypeName *self)` takes a reference and returns
 *   @self (transfer full); @self must not be NULL;
 * - `void prefix_unref(TypeName *self)` drops one (NULL does nothing); the
 *   last one calls @clear and g_atomic_rc_box_release_full() frees the box.
 * The declarations (and their doc comments) stay in the module's header.
 */
#define BIMI_DEFINE_ATOMIC_RC_FUNCS(TypeName, prefix, clear)              \
  static void prefix##__rc_clear(gpointer self)                           \
  {                                                                       \
    clear((TypeName *) self);                                             \
  }                                                                       \
  TypeName *prefix##_ref(TypeName *self)                                  \
  {                                                                       \
    g_return_val_if_fail(self != NULL, NULL);                             \
    return g_atomic_rc_box_acquire(self);                                 \
  }                                                                       \
  void prefix##_unref(TypeName *self)                                     \
  {                                                                       \
    if (self != NULL)                                                     \
      g_atomic_rc_box_release_full(self, prefix##__rc_clear);             \
  }
