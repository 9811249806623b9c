/* engine/base/base-names.h — name tables: the stable text of an enum's values
 * (result codes, reasons, modes: the words of RFC 8601 Authentication-Results
 * and of our JSON), written once as an array indexed by the value,
 * `[BIMI_SPF_RESULT_PASS] = "pass"`, and read both ways through it. */
#pragma once

#include <glib.h>

/** Flags of bimi_names_find(). */
typedef enum {
  BIMI_NAMES_EXACT = 0,                /* byte for byte (strcmp) */
  BIMI_NAMES_ASCII_CASELESS = 1u << 0, /* ASCII letters compared without case (g_ascii_strcasecmp) */
} BimiNamesFlags;

/**
 * bimi_names_get:
 * @names: (array length=n_names): the name of each value, indexed by the value; NULL entries are gaps
 * @n_names: entries in @names
 * @value: the value (an enum cast to guint)
 * @fallback: (nullable): what a value past the table or at a gap gets
 *
 * Returns: (transfer none) (nullable): @names[@value], or @fallback.
 */
const char *bimi_names_get(const char *const *names, gsize n_names, guint value, const char *fallback);

/**
 * bimi_names_find:
 * @names: (array length=n_names): as for bimi_names_get()
 * @n_names: entries in @names
 * @text: (nullable): the name looked for, NUL-terminated; NULL finds nothing
 * @flags: #BimiNamesFlags
 * @out_value: (out): the index of the first entry equal to @text; unchanged when none is
 *
 * Returns: TRUE when an entry equals @text.
 */
gboolean bimi_names_find(const char *const *names, gsize n_names, const char *text, guint flags, guint *out_value);

/**
 * BIMI_DEFINE_NAME_TO_STRING:
 * @TypeName: the enum type
 * @func: the function to define, `const char *func(TypeName value)`
 * @names: a `static const char *const` array indexed by the values (its size known here)
 * @fallback: (nullable): the text of a value past the table or at a gap
 *
 * Defines the name of a value through bimi_names_get(); the declaration (and
 * its doc comment) stays in the module's header.
 */
#define BIMI_DEFINE_NAME_TO_STRING(TypeName, func, names, fallback)            \
  const char *func(TypeName value)                                             \
  {                                                                            \
    return bimi_names_get((names), G_N_ELEMENTS(names), (guint) value, (fallback)); \
  }

/**
 * BIMI_DEFINE_NAME_FROM_STRING:
 * @TypeName: the enum type
 * @func: the function to define, `gboolean func(const char *text, TypeName *out_value)`:
 *   TRUE and the value (when @out_value is not NULL) for a name of the table,
 *   FALSE for any other text and for NULL
 * @names: the same table as BIMI_DEFINE_NAME_TO_STRING()'s
 * @flags: #BimiNamesFlags
 */
#define BIMI_DEFINE_NAME_FROM_STRING(TypeName, func, names, flags)             \
  gboolean func(const char *text, TypeName *out_value)                         \
  {                                                                            \
    guint found;                                                               \
    if (!bimi_names_find((names), G_N_ELEMENTS(names), text, (flags), &found)) \
      return FALSE;                                                            \
    if (out_value != NULL)                                                     \
      *out_value = (TypeName) found;                                           \
    return TRUE;                                                               \
  }
