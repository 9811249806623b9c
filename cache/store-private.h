/* cache/store-private.h — test hooks of the logo store (tests only). */
#ifndef BIMI_CACHE_STORE_PRIVATE_H
#define BIMI_CACHE_STORE_PRIVATE_H

#include "cache/store.h"

/* When set, every write stops after write+fsync of the temp file, before the
 * rename, and fails with BIMI_CACHE_ERROR_IO: a crash between write and rename.
 * The temp file stays behind as a dead writer's would. */
void bimi_logo_store__set_crash_before_rename(BimiLogoStore *store, gboolean crash);

#endif /* BIMI_CACHE_STORE_PRIVATE_H */
