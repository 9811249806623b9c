/* renderer/render.c — validated SVG logo → PNG square with librsvg + cairo.
 *
 * Implements the rasterisation step of DESIGN.md §1 for BIMI indicators
 * (draft-brand-indicators-for-message-identification §5.4 leaves display to
 * the receiver; SVG Tiny PS requires a square-ish viewBox but not a square).
 * Geometry: SVG 1.1 §7.8 / SVG Tiny 1.2 §7.7 — the intrinsic size is the root's
 * absolute width/height (96 dpi), else its viewBox; the picture is scaled
 * uniformly to fit the output square and centred ("xMidYMid meet" of the whole
 * document), which is what rsvg-convert draws for the same fitted rectangle.
 *
 * Deliberate choices:
 *  - the document is loaded from memory with no base file and without
 *    RSVG_HANDLE_FLAG_UNLIMITED, so librsvg can resolve no external reference
 *    and keeps its own size limits;
 *  - the deadline cannot preempt librsvg in process; it is checked between
 *    phases. The worker pool (renderer/worker.c) kills an overrunning worker.
 */
#include "renderer/render.h"
#include "engine/limits.h"

#include <math.h>
#include <cairo.h>
#include <librsvg/rsvg.h>

G_DEFINE_QUARK(bimi-render-error-quark, bimi_render_error)

gboolean
bimi_render_error_is_input(const GError *error)
{
  if (error == NULL || error->domain != BIMI_RENDER_ERROR)
    return FALSE;
  switch ((BimiRenderErrorCode) error->code) {
  case BIMI_RENDER_ERROR_TOO_LARGE:
  case BIMI_RENDER_ERROR_PARSE:
  case BIMI_RENDER_ERROR_NO_DIMENSIONS:
  case BIMI_RENDER_ERROR_RENDER:
  case BIMI_RENDER_ERROR_DEADLINE:
  case BIMI_RENDER_ERROR_WORKER:
    return TRUE;
  case BIMI_RENDER_ERROR_SIZE:
  case BIMI_RENDER_ERROR_BUSY:
  case BIMI_RENDER_ERROR_CONFIG:
  case BIMI_RENDER_ERROR_UNAVAILABLE:
    return FALSE;
  }
  return FALSE;
}

/* LeakSanitizer hook (only called in SANITIZE builds): pango keeps its
 * fontconfig font map, patterns and caches until exit, by design. Any program
 * that links this file renders text and would otherwise report them. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
  return "leak:libfontconfig.so\n";
}
const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
  return "print_suppressions=0";
}

const guint bimi_render_default_sizes[9] = { 16, 24, 32, 48, 64, 96, 128, 256, 512 };

gboolean
bimi_render_size_allowed(const BimiRenderOptions *options, guint size)
{
  const guint *sizes = bimi_render_default_sizes;
  guint n = G_N_ELEMENTS(bimi_render_default_sizes);

  if (size == 0 || size > BIMI_RENDER_MAX_SIZE_PX || (guint64) size * size > BIMI_RENDER_MAX_PIXELS)
    return FALSE;
  if (options != NULL && options->sizes != NULL) {
    sizes = options->sizes;
    n = options->n_sizes;
  }
  for (guint i = 0; i < n; i++) {
    if (sizes[i] == size)
      return TRUE;
  }
  return FALSE;
}

static gint
compare_guint(gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

GArray *
bimi_render_parse_sizes(const char *text, GError **error)
{
  g_autoptr(GArray) sizes = g_array_new(FALSE, FALSE, sizeof(guint));
  const char *p = text;

  g_return_val_if_fail(text != NULL, NULL);
  for (;;) {
    const char *start;
    guint64 value = 0;
    while (*p == ',' || *p == ' ' || *p == '\t')
      p++;
    if (*p == '\0')
      break;
    start = p;
    while (*p >= '0' && *p <= '9' && value <= BIMI_RENDER_MAX_SIZE_PX) {
      value = value * 10 + (guint64) (*p - '0');
      p++;
    }
    if (p == start || (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t') || value == 0 ||
        value > BIMI_RENDER_MAX_SIZE_PX) {
      gsize end = (gsize) (p - start);
      while (start[end] != '\0' && start[end] != ',' && start[end] != ' ' && end < 32)
        end++;
      g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG,
                  "size list: \"%.*s\" at offset %" G_GSIZE_FORMAT " is not a size in 1..%u pixels",
                  (int) end, start, (gsize) (start - text), BIMI_RENDER_MAX_SIZE_PX);
      return NULL;
    }
    if (sizes->len >= BIMI_RENDER_MAX_SIZES) {
      g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG,
                  "size list: more than %u sizes (offset %" G_GSIZE_FORMAT ")", BIMI_RENDER_MAX_SIZES,
                  (gsize) (start - text));
      return NULL;
    }
    {
      guint v = (guint) value;
      g_array_append_val(sizes, v);
    }
  }
  if (sizes->len == 0) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG, "size list: no size given");
    return NULL;
  }
  g_array_sort(sizes, compare_guint);
  for (guint i = 1; i < sizes->len;) {
    if (g_array_index(sizes, guint, i) == g_array_index(sizes, guint, i - 1))
      g_array_remove_index(sizes, i);
    else
      i++;
  }
  return g_steal_pointer(&sizes);
}

/* The PNG encoder writes here; refuses to grow past the frame cap. */
static cairo_status_t
png_write(void *closure, const unsigned char *data, unsigned int length)
{
  GByteArray *out = closure;
  if ((gsize) out->len + length > BIMI_RENDER_MAX_FRAME_BYTES - 1)
    return CAIRO_STATUS_WRITE_ERROR;
  g_byte_array_append(out, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
deadline_check(gint64 deadline_us, const char *phase, guint deadline_ms, GError **error)
{
  if (g_get_monotonic_time() <= deadline_us)
    return TRUE;
  g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_DEADLINE, "render deadline of %u ms passed while %s",
              deadline_ms, phase);
  return FALSE;
}

/* Intrinsic size in CSS pixels (96 dpi): absolute width/height, else the viewBox. */
static gboolean
intrinsic_size(RsvgHandle *handle, double *out_w, double *out_h, GError **error)
{
  double w = 0, h = 0;
  gboolean has_vb = FALSE;
  RsvgRectangle vb = { 0 };

  if (!rsvg_handle_get_intrinsic_size_in_pixels(handle, &w, &h)) {
    rsvg_handle_get_intrinsic_dimensions(handle, NULL, NULL, NULL, NULL, &has_vb, &vb);
    if (!has_vb) {
      g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_NO_DIMENSIONS,
                  "the root <svg> has neither absolute width/height nor a viewBox");
      return FALSE;
    }
    w = vb.width;
    h = vb.height;
  }
  if (!isfinite(w) || !isfinite(h) || w <= 0 || h <= 0 || w > 1e9 || h > 1e9) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_NO_DIMENSIONS,
                "unusable intrinsic size %g x %g", w, h);
    return FALSE;
  }
  *out_w = w;
  *out_h = h;
  return TRUE;
}

GBytes *
bimi_render_png(GBytes *svg, guint size, const BimiRenderOptions *options, GError **error)
{
  guint deadline_ms = options != NULL && options->deadline_ms != 0 ? options->deadline_ms
                                                                    : BIMI_RENDER_DEFAULT_DEADLINE_MS;
  gint64 deadline_us = g_get_monotonic_time() + (gint64) deadline_ms * 1000;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GObject) handle_ref = NULL; /* owns handle: librsvg 2.54 has no autoptr for RsvgHandle */
  RsvgHandle *handle;
  g_autoptr(GError) local = NULL;
  g_autoptr(GByteArray) png = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  RsvgRectangle viewport;
  double w, h, scale;
  gboolean ok;
  cairo_status_t status;

  g_return_val_if_fail(svg != NULL, NULL);
  if (!bimi_render_size_allowed(options, size)) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_SIZE,
                "size %u px is not in the configured size set (or above %u px / %u pixels)", size,
                BIMI_RENDER_MAX_SIZE_PX, BIMI_RENDER_MAX_PIXELS);
    return NULL;
  }
  if (g_bytes_get_size(svg) == 0 || g_bytes_get_size(svg) > BIMI_RENDER_MAX_SVG_BYTES) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_TOO_LARGE,
                "SVG of %" G_GSIZE_FORMAT " bytes (must be 1..%u)", g_bytes_get_size(svg),
                BIMI_RENDER_MAX_SVG_BYTES);
    return NULL;
  }

  /* No base file: nothing outside these bytes can be referenced. */
  stream = g_memory_input_stream_new_from_bytes(svg);
  handle = rsvg_handle_new_from_stream_sync(stream, NULL, RSVG_HANDLE_FLAGS_NONE, NULL, &local);
  if (handle == NULL) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_PARSE, "librsvg could not load the SVG: %s",
                local != NULL ? local->message : "unknown error");
    return NULL;
  }
  handle_ref = G_OBJECT(handle);
  rsvg_handle_set_dpi(handle, 96.0);
  if (!deadline_check(deadline_us, "loading", deadline_ms, error))
    return NULL;
  if (!intrinsic_size(handle, &w, &h, error))
    return NULL;

  scale = (double) size / MAX(w, h);
  viewport.width = w * scale;
  viewport.height = h * scale;
  viewport.x = ((double) size - viewport.width) / 2.0;
  viewport.y = ((double) size - viewport.height) / 2.0;

  /* A new image surface is fully transparent. */
  surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int) size, (int) size);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_RENDER, "cairo surface %u x %u: %s", size, size,
                cairo_status_to_string(cairo_surface_status(surface)));
    cairo_surface_destroy(surface);
    return NULL;
  }
  cr = cairo_create(surface);
  ok = rsvg_handle_render_document(handle, cr, &viewport, &local);
  status = cairo_status(cr);
  cairo_destroy(cr);
  if (!ok || status != CAIRO_STATUS_SUCCESS) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_RENDER, "librsvg could not draw the SVG: %s",
                local != NULL ? local->message : cairo_status_to_string(status));
    cairo_surface_destroy(surface);
    return NULL;
  }
  if (!deadline_check(deadline_us, "drawing", deadline_ms, error)) {
    cairo_surface_destroy(surface);
    return NULL;
  }
  cairo_surface_flush(surface);
  png = g_byte_array_new();
  status = cairo_surface_write_to_png_stream(surface, png_write, png);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    g_set_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_RENDER, "PNG encoding failed: %s",
                cairo_status_to_string(status));
    return NULL;
  }
  if (!deadline_check(deadline_us, "encoding", deadline_ms, error))
    return NULL;
  return g_byte_array_free_to_bytes(g_steal_pointer(&png));
}
