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
 * @self: the name of the instance in the body that follows
 *
 * Defines the `_free` of a heap struct (STYLE.md §3); the block that follows
 * the macro releases what @self owns (not @self itself):
 *
 * |[<!-- language="C" -->
 * BIMI_DEFINE_FREE_FUNC(BimiMessage, bimi_message_free, msg)
 * {
 *   g_bytes_unref(msg->raw);
 *   g_array_unref(msg->fields);
 * }
 * ]|
 *
 * @func does nothing on NULL, otherwise runs that block and then g_free() on
 * @self. As with GLib's G_DEFINE_TYPE (whose class_init and init the caller
 * writes after it) and Linux's SYSCALL_DEFINEn, the macro writes the
 * boilerplate and the body is the type's own. The declaration of @func (and
 * its doc comment: ownership, what it releases) stays in the module's header;
 * BIMI_DEFINE_STATIC_FREE_FUNC() defines a file-local one.
 */
#define BIMI_DEFINE_FREE_FUNC(TypeName, func, self) BIMI_DEFINE_FREE_FUNC_FULL(, TypeName, func, self)
/** BIMI_DEFINE_STATIC_FREE_FUNC: BIMI_DEFINE_FREE_FUNC() for a `static` @func. */
#define BIMI_DEFINE_STATIC_FREE_FUNC(TypeName, func, self) BIMI_DEFINE_FREE_FUNC_FULL(static, TypeName, func, self)
/* What the two expand to; @scope is `static` or nothing. */
#define BIMI_DEFINE_FREE_FUNC_FULL(scope, TypeName, func, self) \
  static void func##__members(TypeName *self);                  \
  scope void func(TypeName *self)                               \
  {                                                             \
    if (self == NULL)                                           \
      return;                                                   \
    func##__members(self);                                      \
    g_free(self);                                               \
  }                                                             \
  static void func##__members(TypeName *self)

/**
 * BIMI_DEFINE_CLEAR_FUNC:
 * @TypeName: a struct type that lives in its owner's storage (a stack value, a member)
 * @func: the name of the function to define, `void func(TypeName *self)`
 * @self: the name of the instance in the body that follows
 *
 * Defines the `_clear` of a caller-allocated struct, the one that
 * G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC() names: @func does nothing on NULL,
 * otherwise runs the block that follows, which releases what @self owns and
 * leaves the members it cleared NULL (g_clear_pointer()), so that a second
 * clear is harmless. The declaration of @func stays in the module's header.
 */
#define BIMI_DEFINE_CLEAR_FUNC(TypeName, func, self) \
  static void func##__members(TypeName *self);       \
  void func(TypeName *self)                          \
  {                                                  \
    if (self != NULL)                                \
      func##__members(self);                         \
  }                                                  \
  static void func##__members(TypeName *self)

/**
 * BIMI_DECLARE_ATOMIC_RC_FUNCS:
 * @TypeName: a struct type whose instances come from g_atomic_rc_box_new0()
 * @prefix: the function prefix
 *
 * Declares, in a module's header, what BIMI_DEFINE_ATOMIC_RC_FUNCS() defines
 * in its `.c` (as GLib's G_DECLARE_FINAL_TYPE goes with G_DEFINE_TYPE):
 * `TypeName *prefix_ref(TypeName *self)` (transfer full; @self not NULL),
 * `void prefix_unref(TypeName *self)` (NULL does nothing), and g_autoptr(TypeName)
 * through G_DEFINE_AUTOPTR_CLEANUP_FUNC() with `prefix_unref`.
 */
#define BIMI_DECLARE_ATOMIC_RC_FUNCS(TypeName, prefix) \
  TypeName *prefix##_ref(TypeName *self);              \
  void prefix##_unref(TypeName *self);                 \
  G_DEFINE_AUTOPTR_CLEANUP_FUNC(TypeName, prefix##_unref)

/**
 * BIMI_DEFINE_ATOMIC_RC_FUNCS:
 * @TypeName: a struct type whose instances come from g_atomic_rc_box_new0()
 * @prefix: the function prefix: defines `prefix_ref` and `prefix_unref`
 * @self: the name of the instance in the body that follows
 *
 * Defines the reference counting of a type shared between threads, in the
 * manner of BIMI_DEFINE_FREE_FUNC(); the block that follows the macro is what
 * the last reference releases (the members, not the box itself):
 * - `TypeName *prefix_ref(TypeName *self)` takes a reference and returns
 *   @self (transfer full); @self must not be NULL;
 * - `void prefix_unref(TypeName *self)` drops one (NULL does nothing); the
 *   last one runs the block and g_atomic_rc_box_release_full() frees the box.
 * The declarations (and their doc comments) stay in the module's header.
 */
#define BIMI_DEFINE_ATOMIC_RC_FUNCS(TypeName, prefix, self)               \
  static void prefix##__members(TypeName *self);                          \
  static void prefix##__release(gpointer self)                            \
  {                                                                       \
    prefix##__members((TypeName *) self);                                 \
  }                                                                       \
  TypeName *prefix##_ref(TypeName *self)                                  \
  {                                                                       \
    g_return_val_if_fail(self != NULL, NULL);                             \
    return g_atomic_rc_box_acquire(self);                                 \
  }                                                                       \
  void prefix##_unref(TypeName *self)                                     \
  {                                                                       \
    if (self != NULL)                                                     \
      g_atomic_rc_box_release_full(self, prefix##__release);              \
  }                                                                       \
  static void prefix##__members(TypeName *self)
