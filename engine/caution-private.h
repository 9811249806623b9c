/* engine/caution-private.h — what engine/caution's files share, and its tests see. */
#ifndef BIMI_CAUTION_PRIVATE_H
#define BIMI_CAUTION_PRIVATE_H

#include "engine/caution.h"

G_BEGIN_DECLS

/**
 * bimi_caution__read_file:
 * @path: an operator's file (the brands file, the stop words), NUL-terminated
 * @out_data: (out) (transfer full): its bytes, NUL-terminated (g_file_get_contents())
 * @out_len: (out): bytes in @out_data
 * @error: BIMI_CAUTION_ERROR_IO ("PATH: why")
 *
 * Returns: FALSE when the file cannot be read (the outputs are then unset).
 */
gboolean bimi_caution__read_file(const char *path, char **out_data, gsize *out_len, GError **error);

/**
 * bimi_caution__tokens:
 * @text: UTF-8, not NUL-terminated; @len: bytes, at most BIMI_CAUTION_MAX_TEXT_BYTES
 * @skeleton_first: map confusables before the case fold too ("PayPaI" with a capital I reads
 *   "paypal" only this way; the fold-first form keeps "i" and "l" apart)
 * @out_chars: (out) (optional): letters and digits of @text after NFKC (before the skeleton)
 * @error: BIMI_CAUTION_ERROR_INPUT, _LIMIT
 *
 * Returns: (transfer full) (element-type utf8): the skeleton tokens (letters, digits and the
 *   marks on them; separators dropped); NULL with @error.
 */
GPtrArray *bimi_caution__tokens(const char *text, gsize len, gboolean skeleton_first, guint *out_chars,
                                GError **error);

/**
 * bimi_caution__token_is_unspaced:
 * @token: a token of bimi_caution__tokens() (UTF-8, NUL-terminated)
 *
 * Returns: TRUE when the token's first character belongs to a script written without spaces
 *   between words (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar): ICU's dictionary cut it,
 *   and may cut the same name differently in another text.
 */
gboolean bimi_caution__token_is_unspaced(const char *token);

/**
 * bimi_caution__edit_distance:
 * @a, @b: code points; @alen, @blen: their counts
 * @max: the largest distance of interest
 *
 * Optimal string alignment distance (Levenshtein plus the swap of two neighbours), computed
 * in the band |i - j| <= @max only.
 *
 * Returns: the distance, or @max + 1 when it is larger.
 */
guint bimi_caution__edit_distance(const gunichar *a, gsize alen, const gunichar *b, gsize blen, guint max);

G_END_DECLS

#endif /* BIMI_CAUTION_PRIVATE_H */
