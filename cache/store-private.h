/* cache/store-private.h — test hooks of the logo store (tests only). */
#ifndef BIMI_CACHE_STORE_PRIVATE_H
#define BIMI_CACHE_STORE_PRIVATE_H

#include "cache/store.h"

/* When set, every write stops after write+fsync of the temp file, before the
 * rename, and fails with BIMI_CACHE_ERROR_IO: a crash between write and rename.
 * The temp file stays behind as a dead writer's would. */
void bimi_logo_store__set_crash_before_rename(BimiLogoStore *store, gboolean crash);

/* The PNG structure check of reads and writes: signature, IHDR of @px x @px
 * first, IEND last (exposed for fuzz/fuzz-cache.c). */
gboolean bimi_logo_store__png_is_valid(const guchar *p, gsize len, guint px);

/* Whether @name in DIR/@kind/@sub/ is a store file ("svg": "<hash>.svg";
 * "png": "<hash>-<px>.png", px canonical decimal 1..BIMI_CACHE_MAX_PNG_PX)
 * whose hash starts with @sub (exposed for fuzz/fuzz-cache.c). */
gboolean bimi_logo_store__name_is_store_file(const char *kind, const char *sub, const char *name);

#endif /* BIMI_CACHE_STORE_PRIVATE_H */
