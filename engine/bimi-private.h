/* engine/bimi-private.h — helpers shared by the engine/bimi*.c files (and tests). */
#ifndef BIMI_BIMI_PRIVATE_H
#define BIMI_BIMI_PRIVATE_H

#include <glib.h>

G_BEGIN_DECLS

/* "v" *WSP "=" *WSP "BIMI1" at the start of @text (leading FWS tolerated),
 * followed by the end, WSP or ";" (spec §2 / §3; exact case). */
gboolean bimi_bimi__has_version_prefix(const char *text, gsize len);


G_END_DECLS

#endif /* BIMI_BIMI_PRIVATE_H */
