/* cache/store.h — the content-addressed logo store on disk (issue 8, DESIGN.md §1, §4).
 *
 * Layout under DIR (nginx serves it directly with try_files):
 *   DIR/svg/ab/<sha256hex>.svg        the validated SVG; its name is the SHA-256 of its bytes
 *   DIR/png/ab/<sha256hex>-<px>.png   a rendering of that SVG, px x px
 * where "ab" is the first two hex digits. Writes are atomic (temp file in the
 * same directory, fsync, rename, fsync of the directory), so a crash leaves no
 * partial file under a final name. Reads verify the SVG's hash; a mismatch is
 * a miss and the file is deleted. A PNG that is unreadable is a miss too, and
 * bimi_logo_store_get_or_render_png() renders it again (single-flighted).
 *
 * The store is bounded by max_bytes with least-recently-used eviction that
 * survives restarts: each hit sets the file's access time (utimensat) to the
 * cache clock, and bimi_logo_store_open() rebuilds the order from the access
 * times. One process writes a directory at a time; any number may read it.
 * Every function is thread-safe.
 */
#ifndef BIMI_CACHE_STORE_H
#define BIMI_CACHE_STORE_H

#include <glib.h>
#include "cache/cache.h"

G_BEGIN_DECLS

/** Length of a logo hash in lowercase hex (SHA-256). */
#define BIMI_LOGO_HASH_HEX_LEN 64

typedef struct BimiLogoStore BimiLogoStore;

/** Counters of a logo store (the metrics endpoint exposes them). */
typedef struct {
  guint64 hits;        /**< SVG or PNG reads served */
  guint64 misses;      /**< reads that found no (valid) file */
  guint64 corrupt;     /**< files deleted because their hash or PNG structure was wrong */
  guint64 writes;      /**< files written */
  guint64 evictions;   /**< files deleted by the max_bytes bound */
  guint64 renders;     /**< render callbacks run by bimi_logo_store_get_or_render_png() */
  guint64 render_waits;/**< callers that waited for another caller's render */
  guint64 files;       /**< files indexed now */
  guint64 bytes;       /**< bytes indexed now */
} BimiLogoStoreStats;

/**
 * bimi_logo_store_open:
 * @dir: the store directory (created with parents, mode 0755, when missing)
 * @max_bytes: bound of the store's files together, bytes (>= 1)
 * @clock: (nullable): the wall clock for recency, NULL for g_get_real_time()
 * @clock_data: passed to @clock
 * @error: BIMI_CACHE_ERROR_IO (the directory cannot be made or read),
 *   BIMI_CACHE_ERROR_LIMIT (more than BIMI_CACHE_MAX_FILES files)
 *
 * Scans DIR: indexes every well-named file by its access time, deletes the
 * temp files of writers that died (no process holds their flock(2) lock: a
 * writer killed mid-write, even by SIGKILL; a live writer's stay), ignores
 * anything else, then evicts down to @max_bytes.
 *
 * Returns: (transfer full): the store, or NULL with @error.
 */
BimiLogoStore *bimi_logo_store_open(const char *dir, guint64 max_bytes, BimiCacheClockFunc clock,
                                    gpointer clock_data, GError **error);
void bimi_logo_store_free(BimiLogoStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiLogoStore, bimi_logo_store_free)

/**
 * bimi_logo_store_hash_is_valid:
 * @hash: (nullable): a candidate hash, NUL-terminated
 *
 * Returns: whether @hash is exactly 64 lowercase hex digits (the only form
 * the store and the /bimi/v1/logo/ routes accept, DESIGN.md §4).
 */
gboolean bimi_logo_store_hash_is_valid(const char *hash);

/**
 * bimi_logo_store_put_svg:
 * @store: the store
 * @svg: (transfer none): validated SVG bytes (engine/svg passed them), 1..BIMI_CACHE_MAX_OBJECT_BYTES
 * @hash_out: (out caller-allocates) (optional): BIMI_LOGO_HASH_HEX_LEN + 1 bytes for the hash
 * @error: BIMI_CACHE_ERROR_INVALID (empty), _LIMIT (larger than the limit or max_bytes), _IO
 *
 * Writes DIR/svg/ab/<sha256>.svg atomically (an existing one is kept and
 * marked recently used), then evicts down to max_bytes.
 *
 * Returns: TRUE when the file is in place.
 */
gboolean bimi_logo_store_put_svg(BimiLogoStore *store, GBytes *svg, char *hash_out, GError **error);

/**
 * bimi_logo_store_get_svg:
 * @store: the store
 * @hash: 64 lowercase hex digits
 * @error: BIMI_CACHE_ERROR_INVALID (bad hash), _IO (a read error other than absence)
 *
 * Reads the SVG and verifies that its SHA-256 is @hash; a mismatch deletes
 * the file and is a miss. A hit marks the file recently used.
 *
 * Returns: (transfer full) (nullable): the bytes, or NULL: a miss when @error is unset.
 */
GBytes *bimi_logo_store_get_svg(BimiLogoStore *store, const char *hash, GError **error);

/**
 * bimi_logo_store_put_png:
 * @store: the store
 * @hash: the SVG's hash (64 lowercase hex digits)
 * @px: edge in pixels, 1..BIMI_CACHE_MAX_PNG_PX
 * @png: (transfer none): the PNG: signature, IHDR of @px x @px, IEND at the end
 * @error: BIMI_CACHE_ERROR_INVALID (bad hash, px or PNG), _LIMIT, _IO
 *
 * Writes DIR/png/ab/<hash>-<px>.png atomically (replacing any), then evicts.
 *
 * Returns: TRUE when the file is in place.
 */
gboolean bimi_logo_store_put_png(BimiLogoStore *store, const char *hash, guint px, GBytes *png, GError **error);

/**
 * bimi_logo_store_get_png:
 * @store: @hash: @px: as for bimi_logo_store_put_png()
 * @error: BIMI_CACHE_ERROR_INVALID, _IO
 *
 * A PNG that is not structurally one of @px x @px (truncated, wrong IHDR) is
 * deleted and is a miss.
 *
 * Returns: (transfer full) (nullable): the bytes, or NULL: a miss when @error is unset.
 */
GBytes *bimi_logo_store_get_png(BimiLogoStore *store, const char *hash, guint px, GError **error);

/**
 * BimiLogoRenderFunc:
 * @svg: (transfer none): the verified SVG
 * @px: the edge to render, pixels
 * @user_data: as given
 * @error: why it could not render
 *
 * Returns: (transfer full) (nullable): the PNG, or NULL with @error.
 */
typedef GBytes *(*BimiLogoRenderFunc)(GBytes *svg, guint px, gpointer user_data, GError **error);

/**
 * bimi_logo_store_get_or_render_png:
 * @store: @hash: @px: as for bimi_logo_store_get_png()
 * @render: renders the SVG (renderer/ in its worker pool)
 * @user_data: for @render
 * @wait_ms: longest wait for another caller's render of the same (hash, px), ms
 * @error: those of get/put, @render's error, BIMI_CACHE_ERROR_TIMEOUT, or
 *   BIMI_CACHE_ERROR_FAILED (the render this caller waited for failed)
 *
 * The PNG from the store, or rendered once from the stored SVG and stored:
 * concurrent callers for one (hash, px) share one render.
 *
 * Returns: (transfer full) (nullable): the PNG; NULL without @error means the
 *   SVG itself is not in the store (fetch and validate the logo again).
 */
GBytes *bimi_logo_store_get_or_render_png(BimiLogoStore *store, const char *hash, guint px,
                                          BimiLogoRenderFunc render, gpointer user_data, guint wait_ms,
                                          GError **error);

/**
 * bimi_logo_store_svg_path:
 * @store: the store
 * @hash: 64 lowercase hex digits (checked)
 *
 * Returns: (transfer full) (nullable): DIR/svg/ab/<hash>.svg, or NULL for a bad hash.
 */
char *bimi_logo_store_svg_path(BimiLogoStore *store, const char *hash);

/**
 * bimi_logo_store_png_path:
 * @store: @hash: @px: as for bimi_logo_store_put_png()
 *
 * Returns: (transfer full) (nullable): DIR/png/ab/<hash>-<px>.png, or NULL for a bad hash or px.
 */
char *bimi_logo_store_png_path(BimiLogoStore *store, const char *hash, guint px);

/** bimi_logo_store_get_stats: a snapshot of the counters. */
void bimi_logo_store_get_stats(BimiLogoStore *store, BimiLogoStoreStats *out);

G_END_DECLS

#endif /* BIMI_CACHE_STORE_H */
