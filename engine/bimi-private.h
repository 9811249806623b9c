/* engine/bimi-private.h — helpers shared by the engine/bimi*.c files (and tests). */
#ifndef BIMI_BIMI_PRIVATE_H
#define BIMI_BIMI_PRIVATE_H

#include <glib.h>

G_BEGIN_DECLS

/* "v" *WSP "=" *WSP "BIMI1" at the start of @text (leading FWS tolerated),
 * followed by the end, WSP or ";" (spec §2 / §3; exact case). */
gboolean bimi_bimi__has_version_prefix(const char *text, gsize len);

/**
 * bimi_bimi__location_image_suffix:
 * @uri: an l= URI that passed bimi_bimi_uri_check() (NUL-terminated)
 *
 * Spec §2 `l=`: the suffix of the URI's last path segment (percent-decoded,
 * compared ASCII case-insensitively; query and fragment ignored) when it names
 * an image format other than SVG (png, jpg, jpeg, gif, ico, webp, bmp, tif,
 * tiff, avif, heic, ...).
 *
 * Returns: (transfer none) (nullable): the lower-case suffix without the dot,
 *   or NULL for .svg, .svgz, another suffix or none.
 */
const char *bimi_bimi__location_image_suffix(const char *uri);


G_END_DECLS

#endif /* BIMI_BIMI_PRIVATE_H */
