/* renderer/render.h — validated SVG logo → PNG square, in process (librsvg + cairo).
 *
 * DESIGN.md §1: the renderer only ever sees SVG that passed engine/svg (SVG Tiny
 * Portable/Secure). That is a PRECONDITION of every function here, not
 * something they check: librsvg is a large parser run on attacker-supplied
 * bytes, so the service renders through the worker pool of renderer/worker.h
 * (resource limits, a killable process); the CLI may call bimi_render_png()
 * directly.
 */
#ifndef BIMI_RENDER_H
#define BIMI_RENDER_H

#include <glib.h>

G_BEGIN_DECLS

#define BIMI_RENDER_ERROR (bimi_render_error_quark())
GQuark bimi_render_error_quark(void);

/** Why a render did not produce a PNG (domain BIMI_RENDER_ERROR). */
typedef enum {
  /** The size is not in the configured set, or above BIMI_RENDER_MAX_SIZE_PX / BIMI_RENDER_MAX_PIXELS. */
  BIMI_RENDER_ERROR_SIZE = 1,
  /** The SVG is empty or larger than BIMI_RENDER_MAX_SVG_BYTES. */
  BIMI_RENDER_ERROR_TOO_LARGE,
  /** librsvg refused the document (not well-formed, over librsvg's own limits). */
  BIMI_RENDER_ERROR_PARSE,
  /** The document has no usable intrinsic size (no absolute width/height, no viewBox). */
  BIMI_RENDER_ERROR_NO_DIMENSIONS,
  /** librsvg or cairo failed while drawing or encoding the PNG. */
  BIMI_RENDER_ERROR_RENDER,
  /** The render deadline passed (in process: noticed after a phase; in a worker: the worker is killed). */
  BIMI_RENDER_ERROR_DEADLINE,
  /** A worker died (resource limit, crash), broke the protocol or could not be started. */
  BIMI_RENDER_ERROR_WORKER,
  /** Every worker stayed busy for the whole wait. */
  BIMI_RENDER_ERROR_BUSY,
  /** Bad configuration (size set, pool parameters). */
  BIMI_RENDER_ERROR_CONFIG,
  /** No worker could be started (spawn failed, no hello): the pool's fault, never the input's. */
  BIMI_RENDER_ERROR_UNAVAILABLE,
} BimiRenderErrorCode;

/**
 * bimi_render_error_is_input:
 * @error: (nullable): an error from bimi_render_png() or bimi_render_pool_render()
 *
 * Returns: TRUE when @error says the SVG itself cannot be rendered within the
 * limits (_TOO_LARGE, _PARSE, _NO_DIMENSIONS, _RENDER, _DEADLINE, or _WORKER:
 * the worker died on it twice), FALSE for what may pass on retry (_BUSY,
 * _UNAVAILABLE) and for misuse (_SIZE, _CONFIG, another domain).
 */
gboolean bimi_render_error_is_input(const GError *error);

/** The default size set, pixels, ascending: 16 24 32 48 64 96 128 256 512. */
extern const guint bimi_render_default_sizes[9];

/** Bounds of one render. Zero-initialise for the defaults. */
typedef struct {
  /** Allowed output sizes in pixels; NULL means bimi_render_default_sizes. (transfer none) */
  const guint *sizes;
  /** Number of entries in @sizes (ignored when @sizes is NULL). */
  guint n_sizes;
  /** Wall-clock deadline in milliseconds; 0 means BIMI_RENDER_DEFAULT_DEADLINE_MS. */
  guint deadline_ms;
} BimiRenderOptions;

/**
 * bimi_render_size_allowed:
 * @options: (nullable): bounds; NULL = defaults
 * @size: square side in pixels
 *
 * Returns: TRUE when @size is in the configured set and within
 * BIMI_RENDER_MAX_SIZE_PX and BIMI_RENDER_MAX_PIXELS.
 */
gboolean bimi_render_size_allowed(const BimiRenderOptions *options, guint size);

/**
 * bimi_render_parse_sizes:
 * @text: a size list such as "32,64,128" or "16 24 32" (commas and/or spaces), NUL-terminated
 * @error: BIMI_RENDER_ERROR_CONFIG when a token is not a decimal integer in
 *   1..BIMI_RENDER_MAX_SIZE_PX, when the list is empty, or when it has more than
 *   BIMI_RENDER_MAX_SIZES entries; the message names the token.
 *
 * Returns: (transfer full): a GArray of guint, sorted ascending, duplicates removed.
 */
GArray *bimi_render_parse_sizes(const char *text, GError **error);

/**
 * bimi_render_png:
 * @svg: (transfer none): the SVG document, which MUST have passed engine/svg validation
 * @size: the side of the output square, pixels; must be allowed by @options
 * @options: (nullable): size set and deadline; NULL = defaults
 * @error: BIMI_RENDER_ERROR_SIZE, _TOO_LARGE, _PARSE, _NO_DIMENSIONS, _RENDER, _DEADLINE
 *
 * Loads @svg with librsvg from memory with no base URI (no external file or URL
 * can be loaded), takes its intrinsic size (width/height in absolute units at
 * 96 dpi, else the viewBox), scales it uniformly to fit a @size x @size square,
 * centres it on a transparent background and encodes the cairo ARGB32 surface
 * as PNG. This is what `rsvg-convert -w W -h H --left X --top Y --page-width S
 * --page-height S` draws for the fitted W x H at offset X, Y.
 *
 * In process the deadline cannot interrupt librsvg: it is checked after
 * loading and after drawing, so an overrun is an error, not a late success.
 * Hard preemption is the worker pool's job (renderer/worker.h).
 *
 * Returns: (transfer full): the PNG bytes, or NULL with @error set.
 */
GBytes *bimi_render_png(GBytes *svg, guint size, const BimiRenderOptions *options, GError **error);

G_END_DECLS

#endif /* BIMI_RENDER_H */
