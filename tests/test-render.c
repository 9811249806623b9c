/* tests/test-render.c — renderer/: in-process rendering (size set, limits,
 * geometry, transparency, no external resources), pixel comparison with
 * rsvg-convert on the upstream fixture logos and fixtures/render/, the worker
 * protocol codec, and the worker pool (a worker over its CPU limit, a worker
 * over the deadline, a busy pool, a worker that cannot start, concurrency).
 */
#include "renderer/render.h"
#include "renderer/worker.h"
#include "engine/limits.h"
#include "tests/lib/data.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <cairo.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#endif

static const char minimal_svg[] =
  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 100 100\">"
  "<title>t</title><rect x=\"0\" y=\"0\" width=\"100\" height=\"100\" fill=\"#ff0000\"/></svg>";

static GBytes *
bytes_str(const char *s)
{
  return g_bytes_new(s, strlen(s));
}

static GBytes *
read_fixture(const char *path)
{
  return bimi_test_read_bytes(path);
}

static char *
upstream_svg(const char *name)
{
  const char *dir = bimi_test_upstream_dir();
  return g_build_filename(dir != NULL ? dir : "../shared/upstream", "bimi", "svg", name, NULL);
}

/* ---- PNG decoding and comparison (cairo) ------------------------------------ */

typedef struct {
  const guint8 *p;
  gsize left;
} PngCursor;

static cairo_status_t
png_read(void *closure, unsigned char *data, unsigned int length)
{
  PngCursor *c = closure;
  if (length > c->left)
    return CAIRO_STATUS_READ_ERROR;
  memcpy(data, c->p, length);
  c->p += length;
  c->left -= length;
  return CAIRO_STATUS_SUCCESS;
}

/* Decodes @png into a premultiplied ARGB32 surface (RGB24 input becomes opaque). */
static cairo_surface_t *
decode_png(GBytes *png)
{
  PngCursor c = { g_bytes_get_data(png, NULL), g_bytes_get_size(png) };
  cairo_surface_t *in = cairo_image_surface_create_from_png_stream(png_read, &c);
  cairo_surface_t *out;
  cairo_t *cr;

  g_assert_cmpint(cairo_surface_status(in), ==, CAIRO_STATUS_SUCCESS);
  out = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cairo_image_surface_get_width(in),
                                   cairo_image_surface_get_height(in));
  cr = cairo_create(out);
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_set_source_surface(cr, in, 0, 0);
  cairo_paint(cr);
  cairo_destroy(cr);
  cairo_surface_destroy(in);
  cairo_surface_flush(out);
  return out;
}

static guint32
pixel(cairo_surface_t *s, int x, int y)
{
  const guint8 *data = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  guint32 v;
  memcpy(&v, data + (gsize) y * (gsize) stride + (gsize) x * 4, 4);
  return v;
}

/* Largest per-channel difference (premultiplied ARGB, both sides) and the number of differing pixels. */
static guint
max_channel_diff(cairo_surface_t *a, cairo_surface_t *b, guint *n_differing)
{
  int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
  guint max = 0;

  g_assert_cmpint(w, ==, cairo_image_surface_get_width(b));
  g_assert_cmpint(h, ==, cairo_image_surface_get_height(b));
  *n_differing = 0;
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      guint32 p = pixel(a, x, y), q = pixel(b, x, y);
      guint d = 0;
      for (int k = 0; k < 32; k += 8) {
        int c = (int) ((p >> k) & 0xff) - (int) ((q >> k) & 0xff);
        d = MAX(d, (guint) ABS(c));
      }
      if (d > 0)
        (*n_differing)++;
      max = MAX(max, d);
    }
  }
  return max;
}

static void
assert_png_square(GBytes *png, guint size)
{
  const guint8 *p = g_bytes_get_data(png, NULL);
  g_assert_cmpuint(g_bytes_get_size(png), >, 33);
  g_assert_cmpmem(p, 8, "\x89PNG\r\n\x1a\n", 8);
  g_assert_cmpmem(p + 12, 4, "IHDR", 4);
  g_assert_cmpuint(((guint) p[16] << 24) | ((guint) p[17] << 16) | ((guint) p[18] << 8) | p[19], ==, size);
  g_assert_cmpuint(((guint) p[20] << 24) | ((guint) p[21] << 16) | ((guint) p[22] << 8) | p[23], ==, size);
  g_assert_cmpuint(p[24], ==, 8); /* bit depth */
  /* Colour type: RGBA, or RGB when cairo finds every pixel opaque. */
  g_assert_true(p[25] == 6 || p[25] == 2);
}

/* ---- in process ---------------------------------------------------------------- */

static void
test_png_format(void)
{
  g_autoptr(GBytes) svg = bytes_str(minimal_svg);

  for (guint i = 0; i < G_N_ELEMENTS(bimi_render_default_sizes); i++) {
    guint size = bimi_render_default_sizes[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) png = bimi_render_png(svg, size, NULL, &error);
    cairo_surface_t *s;
    g_assert_no_error(error);
    assert_png_square(png, size);
    s = decode_png(png);
    /* Opaque red everywhere (premultiplied ARGB32 as a native guint32). */
    g_assert_cmphex(pixel(s, 0, 0), ==, 0xffff0000);
    g_assert_cmphex(pixel(s, (int) size - 1, (int) size - 1), ==, 0xffff0000);
    cairo_surface_destroy(s);
  }
}

static void
test_size_set(void)
{
  g_autoptr(GBytes) svg = bytes_str(minimal_svg);
  const guint custom[] = { 100, 2048 };
  BimiRenderOptions opts = { .sizes = custom, .n_sizes = G_N_ELEMENTS(custom) };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;

  g_assert_true(bimi_render_size_allowed(NULL, 64));
  g_assert_false(bimi_render_size_allowed(NULL, 100));
  g_assert_false(bimi_render_size_allowed(NULL, 0));
  png = bimi_render_png(svg, 100, NULL, &error);
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_SIZE);
  g_assert_null(png);
  g_clear_error(&error);
  /* A configured set replaces the default one. */
  png = bimi_render_png(svg, 100, &opts, &error);
  g_assert_no_error(error);
  assert_png_square(png, 100);
  g_clear_pointer(&png, g_bytes_unref);
  png = bimi_render_png(svg, 64, &opts, &error);
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_SIZE);
  g_clear_error(&error);
  /* Limit: BIMI_RENDER_MAX_SIZE_PX / BIMI_RENDER_MAX_PIXELS win over the set. */
  g_assert_cmpuint(2048, >, BIMI_RENDER_MAX_SIZE_PX);
  png = bimi_render_png(svg, 2048, &opts, &error);
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_SIZE);
  g_assert_null(png);
}

static void
test_parse_sizes(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) a = bimi_render_parse_sizes("64, 32 ,128,32", &error);
  g_autoptr(GString) many = g_string_new(NULL);
  const char *bad[] = { "", " , ", "0", "abc", "32,x", "12a", "1025", "99999999999999999999" };

  g_assert_no_error(error);
  g_assert_cmpuint(a->len, ==, 3);
  g_assert_cmpuint(g_array_index(a, guint, 0), ==, 32);
  g_assert_cmpuint(g_array_index(a, guint, 1), ==, 64);
  g_assert_cmpuint(g_array_index(a, guint, 2), ==, 128);
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    GArray *r = bimi_render_parse_sizes(bad[i], &error);
    g_assert_null(r);
    g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG);
    g_clear_error(&error);
  }
  /* Limit: BIMI_RENDER_MAX_SIZES. */
  for (guint i = 0; i <= BIMI_RENDER_MAX_SIZES; i++)
    g_string_append_printf(many, "%u,", i + 1);
  g_assert_null(bimi_render_parse_sizes(many->str, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG);
  g_assert_nonnull(strstr(error->message, "more than"));
}

static void
test_svg_bytes_limit(void)
{
  g_autofree char *big = g_malloc(BIMI_RENDER_MAX_SVG_BYTES + 1);
  g_autoptr(GBytes) svg = NULL;
  g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
  g_autoptr(GError) error = NULL;

  memset(big, ' ', BIMI_RENDER_MAX_SVG_BYTES + 1);
  memcpy(big, minimal_svg, strlen(minimal_svg));
  svg = g_bytes_new(big, BIMI_RENDER_MAX_SVG_BYTES + 1);
  g_assert_null(bimi_render_png(svg, 64, NULL, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_TOO_LARGE);
  g_clear_error(&error);
  g_assert_null(bimi_render_png(empty, 64, NULL, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_TOO_LARGE);
  g_clear_error(&error);
  /* At the limit exactly it renders (trailing whitespace after the root is fine). */
  g_clear_pointer(&svg, g_bytes_unref);
  svg = g_bytes_new(big, BIMI_RENDER_MAX_SVG_BYTES);
  {
    g_autoptr(GBytes) png = bimi_render_png(svg, 16, NULL, &error);
    g_assert_no_error(error);
    assert_png_square(png, 16);
  }
}

static void
test_errors(void)
{
  struct {
    const char *svg;
    int code;
  } cases[] = {
    { "this is not XML", BIMI_RENDER_ERROR_PARSE },
    { "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect", BIMI_RENDER_ERROR_PARSE },
    { "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" height=\"100%\"><title>t</title></svg>",
      BIMI_RENDER_ERROR_NO_DIMENSIONS },
    { "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 0 100\"><title>t</title></svg>",
      BIMI_RENDER_ERROR_NO_DIMENSIONS },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GBytes) svg = bytes_str(cases[i].svg);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) png = bimi_render_png(svg, 64, NULL, &error);
    g_assert_null(png);
    g_assert_error(error, BIMI_RENDER_ERROR, cases[i].code);
  }
}

static void
test_deadline(void)
{
  g_autoptr(GBytes) svg = read_fixture("fixtures/render/cpu-burner.svg");
  BimiRenderOptions opts = { .deadline_ms = 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;

  /* Cheap variant of the burner: 3 levels, so the in-process run is short. */
  {
    g_autofree char *text = g_strndup(g_bytes_get_data(svg, NULL), g_bytes_get_size(svg));
    char *last = g_strrstr(text, "#l4");
    g_assert_nonnull(last);
    last[2] = '2';
    g_bytes_unref(svg);
    svg = bytes_str(text);
  }
  png = bimi_render_png(svg, 64, &opts, &error);
  g_assert_null(png);
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_DEADLINE);
  g_assert_nonnull(strstr(error->message, "1 ms"));
}

/* Fitted and centred: 200x100 at 64 px is 64x32 at y 16; transparent bands above and below. */
static void
test_geometry(void)
{
  g_autoptr(GBytes) wide = read_fixture("fixtures/render/wide.svg");
  g_autoptr(GBytes) tall = read_fixture("fixtures/render/tall-width-height.svg");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = bimi_render_png(wide, 64, NULL, &error);
  cairo_surface_t *s;

  g_assert_no_error(error);
  assert_png_square(png, 64);
  g_assert_cmpuint(((const guint8 *) g_bytes_get_data(png, NULL))[25], ==, 6); /* RGBA: transparency kept */
  s = decode_png(png);
  g_assert_cmphex(pixel(s, 0, 0), ==, 0);
  g_assert_cmphex(pixel(s, 63, 15), ==, 0);
  g_assert_cmphex(pixel(s, 0, 16), ==, 0xffcc0000);
  g_assert_cmphex(pixel(s, 63, 47), ==, 0xffcc0000);
  g_assert_cmphex(pixel(s, 32, 32), ==, 0xff0000cc);
  g_assert_cmphex(pixel(s, 5, 48), ==, 0);
  g_assert_cmphex(pixel(s, 63, 63), ==, 0);
  cairo_surface_destroy(s);
  g_clear_pointer(&png, g_bytes_unref);

  /* width/height only, no viewBox: 50x100 → 32x64 at x 16. */
  png = bimi_render_png(tall, 64, NULL, &error);
  g_assert_no_error(error);
  s = decode_png(png);
  g_assert_cmphex(pixel(s, 15, 0), ==, 0);
  g_assert_cmphex(pixel(s, 16, 0), ==, 0xff00aa00);
  g_assert_cmphex(pixel(s, 47, 63), ==, 0xff00aa00);
  g_assert_cmphex(pixel(s, 48, 63), ==, 0);
  cairo_surface_destroy(s);
}

/* An external image (absolute file: URI to a real PNG) must not load: no base URI. */
static void
test_no_external_resources(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("bimi-render-XXXXXX", &error);
  g_autofree char *png_path = NULL, *uri = NULL, *text = NULL;
  g_autoptr(GBytes) svg = NULL;
  g_autoptr(GBytes) red = NULL;
  g_autoptr(GBytes) png = NULL;
  cairo_surface_t *s;

  g_assert_no_error(error);
  png_path = g_build_filename(dir, "red.png", NULL);
  svg = bytes_str(minimal_svg);
  red = bimi_render_png(svg, 64, NULL, &error);
  g_clear_pointer(&svg, g_bytes_unref);
  g_assert_no_error(error);
  g_assert_true(g_file_set_contents(png_path, g_bytes_get_data(red, NULL), (gssize) g_bytes_get_size(red), NULL));
  uri = g_filename_to_uri(png_path, NULL, &error);
  g_assert_no_error(error);
  text = g_strdup_printf("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
                         "viewBox=\"0 0 100 100\"><title>t</title>"
                         "<image x=\"0\" y=\"0\" width=\"100\" height=\"100\" xlink:href=\"%s\"/>"
                         "<image x=\"0\" y=\"0\" width=\"100\" height=\"100\" xlink:href=\"red.png\"/></svg>",
                         uri);
  svg = bytes_str(text);
  png = bimi_render_png(svg, 64, NULL, &error);
  g_assert_no_error(error);
  s = decode_png(png);
  for (int y = 0; y < 64; y += 7)
    for (int x = 0; x < 64; x += 7)
      g_assert_cmphex(pixel(s, x, y), ==, 0);
  cairo_surface_destroy(s);
  g_unlink(png_path);
  g_rmdir(dir);
}

/* ---- pixel comparison with rsvg-convert ---------------------------------------- */

typedef struct {
  const char *path; /* relative to upstream (u:) or the repo */
  guint aspect_w, aspect_h;
} Logo;

static const Logo logos[] = {
  { "u:extracted-from-vmc/cnn.svg", 1, 1 },
  { "u:extracted-from-vmc/globalsign-vmc.svg", 1, 1 },
  { "u:extracted-from-vmc/paypal_vmc.svg", 1, 1 },
  { "u:extracted-from-vmc/redshift.svg", 1, 1 },
  { "u:extracted-from-vmc/rspamd-valimail.svg", 1, 1 },
  { "u:extracted-from-vmc/xometry_cmc.svg", 1, 1 },
  { "u:synthetic/valid-minimal.svg", 1, 1 },
  { "u:synthetic/valid-defs-use-href.svg", 1, 1 },
  { "fixtures/render/wide.svg", 2, 1 },
  { "fixtures/render/tall-width-height.svg", 1, 2 },
  { "fixtures/render/text.svg", 1, 1 },
};

static GBytes *
rsvg_convert(const char *path, guint size, guint aw, guint ah)
{
  guint w = aw >= ah ? size : size * aw / ah, h = ah >= aw ? size : size * ah / aw;
  g_autofree char *ws = g_strdup_printf("%u", w), *hs = g_strdup_printf("%u", h);
  g_autofree char *left = g_strdup_printf("%u", (size - w) / 2), *top = g_strdup_printf("%u", (size - h) / 2);
  g_autofree char *page = g_strdup_printf("%u", size);
  const char *argv[] = { "rsvg-convert", "-w", ws, "-h", hs, "--left", left, "--top", top,
                         "--page-width", page, "--page-height", page, path, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  GBytes *out = NULL;

  g_assert_no_error(error);
  g_assert_true(g_subprocess_communicate(p, NULL, NULL, &out, NULL, &error));
  g_assert_no_error(error);
  g_assert_true(g_subprocess_get_successful(p));
  return out;
}

static void
test_matches_rsvg_convert(gconstpointer data)
{
  const Logo *logo = data;
  g_autofree char *path = NULL;
  g_autofree char *tool = g_find_program_in_path("rsvg-convert");
  g_autoptr(GBytes) svg = NULL;
  const guint sizes[] = { 64, 256 };

  if (tool == NULL) {
    g_test_skip("rsvg-convert not installed (Debian package librsvg2-bin)");
    return;
  }
  path = g_str_has_prefix(logo->path, "u:") ? upstream_svg(logo->path + 2) : g_strdup(logo->path);
  svg = read_fixture(path);
  for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) ours = bimi_render_png(svg, sizes[i], NULL, &error);
    g_autoptr(GBytes) ref = rsvg_convert(path, sizes[i], logo->aspect_w, logo->aspect_h);
    cairo_surface_t *a, *b;
    guint differing = 0, max;

    g_assert_no_error(error);
    assert_png_square(ours, sizes[i]);
    a = decode_png(ours);
    b = decode_png(ref);
    max = max_channel_diff(a, b, &differing);
    g_test_message("%s at %u px: max channel difference %u, %u pixels differ", path, sizes[i], max, differing);
    /* Same librsvg: antialiasing may differ by a unit, never more than 2 per channel. */
    g_assert_cmpuint(max, <=, 2);
    g_assert_cmpuint(differing, <=, sizes[i] * sizes[i] / 100);
    cairo_surface_destroy(a);
    cairo_surface_destroy(b);
  }
}

/* The comparison itself can fail: a logo against a different rendering of it. */
static void
test_comparison_detects_difference(void)
{
  g_autofree char *path = upstream_svg("extracted-from-vmc/cnn.svg");
  g_autoptr(GBytes) svg = read_fixture(path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) ours = bimi_render_png(svg, 64, NULL, &error);
  g_autoptr(GBytes) other = NULL;
  g_autofree char *tool = g_find_program_in_path("rsvg-convert");
  cairo_surface_t *a, *b;
  guint differing = 0;

  if (tool == NULL) {
    g_test_skip("rsvg-convert not installed");
    return;
  }
  other = rsvg_convert("fixtures/render/text.svg", 64, 1, 1);
  a = decode_png(ours);
  b = decode_png(other);
  g_assert_cmpuint(max_channel_diff(a, b, &differing), >, 2);
  g_assert_cmpuint(differing, >, 100);
  cairo_surface_destroy(a);
  cairo_surface_destroy(b);
}

/* ---- protocol codec --------------------------------------------------------------- */

static void
test_protocol_roundtrip(void)
{
  g_autoptr(GBytes) svg = bytes_str(minimal_svg);
  g_autoptr(GBytes) req = bimi_render__request_encode(128, svg);
  g_autoptr(GBytes) got_svg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = bimi_render_png(svg, 16, NULL, &error);
  g_autoptr(GBytes) resp = NULL;
  g_autoptr(GBytes) back = NULL;
  const guint8 *p = g_bytes_get_data(req, NULL);
  gsize len = 0;
  guint size = 0;
  GError *worker_error = NULL;

  g_assert_cmpuint(g_bytes_get_size(req), ==, 4 + 1 + 4 + strlen(minimal_svg));
  g_assert_true(bimi_render__frame_length(p, &len, &error));
  g_assert_cmpuint(len, ==, g_bytes_get_size(req) - 4);
  g_assert_true(bimi_render__request_decode(p + 4, len, &size, &got_svg, &error));
  g_assert_cmpuint(size, ==, 128);
  g_assert_true(g_bytes_equal(svg, got_svg));

  resp = bimi_render__response_encode(png, NULL);
  p = g_bytes_get_data(resp, NULL);
  g_assert_true(bimi_render__frame_length(p, &len, &error));
  back = bimi_render__response_decode(p + 4, len, &error);
  g_assert_no_error(error);
  g_assert_true(g_bytes_equal(back, png));
  g_clear_pointer(&resp, g_bytes_unref);

  g_set_error(&worker_error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_PARSE, "bad XML at line 3");
  resp = bimi_render__response_encode(NULL, worker_error);
  g_clear_error(&worker_error);
  p = g_bytes_get_data(resp, NULL);
  g_assert_true(bimi_render__frame_length(p, &len, &error));
  g_assert_null(bimi_render__response_decode(p + 4, len, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_PARSE);
  g_assert_cmpstr(error->message, ==, "bad XML at line 3");
}

static void
test_protocol_malformed(void)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  guint size = 0;
  GBytes *svg = NULL;
  guint8 big[4];
  g_autofree guint8 *huge = g_malloc0(BIMI_RENDER_MAX_SVG_BYTES + 6);

  /* Frame length limit: 0 and BIMI_RENDER_MAX_FRAME_BYTES + 1. */
  g_assert_false(bimi_render__frame_length((const guint8 *) "\0\0\0\0", &len, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
  g_clear_error(&error);
  big[0] = (guint8) ((BIMI_RENDER_MAX_FRAME_BYTES + 1) >> 24);
  big[1] = (guint8) ((BIMI_RENDER_MAX_FRAME_BYTES + 1) >> 16);
  big[2] = (guint8) ((BIMI_RENDER_MAX_FRAME_BYTES + 1) >> 8);
  big[3] = (guint8) (BIMI_RENDER_MAX_FRAME_BYTES + 1);
  g_assert_false(bimi_render__frame_length(big, &len, &error));
  g_assert_nonnull(strstr(error->message, "out of range"));
  g_clear_error(&error);
  /* Requests. */
  g_assert_false(bimi_render__request_decode((const guint8 *) "R\0\0\0@", 5, &size, &svg, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
  g_clear_error(&error);
  g_assert_false(bimi_render__request_decode((const guint8 *) "X\0\0\0@<", 6, &size, &svg, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
  g_clear_error(&error);
  huge[0] = 'R';
  g_assert_false(bimi_render__request_decode(huge, BIMI_RENDER_MAX_SVG_BYTES + 6, &size, &svg, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_TOO_LARGE);
  g_clear_error(&error);
  g_assert_null(svg);
  /* Responses: not a PNG, unknown code, a code only the pool may use, oversized message, unknown tag. */
  g_assert_null(bimi_render__response_decode((const guint8 *) "Pnot a png", 10, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
  g_clear_error(&error);
  g_assert_null(bimi_render__response_decode((const guint8 *) "E\0\0\0\x63oops", 9, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
  g_clear_error(&error);
  g_assert_null(bimi_render__response_decode((const guint8 *) "E\0\0\0\x08oops", 9, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
  g_clear_error(&error);
  {
    g_autofree guint8 *m = g_malloc0(5 + BIMI_RENDER_MAX_ERROR_BYTES + 1);
    memcpy(m, "E\0\0\0\x03", 5);
    g_assert_null(bimi_render__response_decode(m, 5 + BIMI_RENDER_MAX_ERROR_BYTES + 1, &error));
    g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
    g_clear_error(&error);
    g_assert_null(bimi_render__response_decode(m, 5 + BIMI_RENDER_MAX_ERROR_BYTES, &error));
    g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_PARSE);
    g_clear_error(&error);
  }
  g_assert_null(bimi_render__response_decode((const guint8 *) "Z", 1, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
  g_clear_error(&error);
  g_assert_null(bimi_render__response_decode((const guint8 *) "", 0, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
}

/* ---- worker pool --------------------------------------------------------------------- */

static char *
worker_path(void)
{
  const char *build = g_getenv("BIMI_BUILD");
  g_autofree char *p = NULL;
  if (build == NULL)
    return NULL;
  p = g_build_filename(build, "bimi", NULL);
  if (!g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
    return NULL;
  return g_canonicalize_filename(p, NULL);
}

static BimiRenderPool *
make_pool(BimiRenderPoolConfig *config)
{
  g_autofree char *path = worker_path();
  g_autoptr(GError) error = NULL;
  const char *argv[] = { path, "__render-worker", NULL };
  BimiRenderPool *pool;

  if (path == NULL)
    return NULL;
  config->worker_argv = argv;
  pool = bimi_render_pool_new(config, &error);
  g_assert_no_error(error);
  config->worker_argv = NULL;
  return pool;
}

#define NEED_POOL(pool)                                                      \
  do {                                                                       \
    if ((pool) == NULL) {                                                    \
      g_test_skip("BIMI_BUILD unset or $BIMI_BUILD/bimi missing");           \
      return;                                                                \
    }                                                                        \
  } while (0)

static void
test_pool_basic(void)
{
  BimiRenderPoolConfig config = { .n_workers = 1 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autofree char *path = upstream_svg("extracted-from-vmc/cnn.svg");
  g_autoptr(GBytes) svg = NULL;
  BimiRenderPoolStats st;

  NEED_POOL(pool);
  svg = read_fixture(path);
  for (int round = 0; round < 3; round++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) png = bimi_render_pool_render(pool, svg, 128, &error);
    g_autoptr(GBytes) local = bimi_render_png(svg, 128, NULL, &error);
    g_assert_no_error(error);
    /* The same code in another process: byte-identical PNG. */
    g_assert_true(g_bytes_equal(png, local));
  }
  /* Errors the worker reports keep the worker alive. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bad = bytes_str("<svg");
    g_assert_null(bimi_render_pool_render(pool, bad, 64, &error));
    g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_PARSE);
    g_clear_error(&error);
    g_assert_null(bimi_render_pool_render(pool, svg, 100, &error));
    g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_SIZE);
  }
  bimi_render_pool_get_stats(pool, &st);
  g_assert_cmpuint(st.requests, ==, 5);
  g_assert_cmpuint(st.failures, ==, 2);
  g_assert_cmpuint(st.spawned, ==, 1);
  g_assert_cmpuint(st.deaths, ==, 0);
}

/* The pool passes its own size set to the worker. */
static void
test_pool_size_set(void)
{
  const guint sizes[] = { 40 };
  BimiRenderPoolConfig config = { .n_workers = 1, .sizes = sizes, .n_sizes = 1 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autoptr(GBytes) svg = bytes_str(minimal_svg);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;

  NEED_POOL(pool);
  png = bimi_render_pool_render(pool, svg, 40, &error);
  g_assert_no_error(error);
  assert_png_square(png, 40);
  g_assert_null(bimi_render_pool_render(pool, svg, 64, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_SIZE);
}

static void
assert_next_request_succeeds(BimiRenderPool *pool)
{
  g_autoptr(GBytes) svg = bytes_str(minimal_svg);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = bimi_render_pool_render(pool, svg, 64, &error);
  g_assert_no_error(error);
  assert_png_square(png, 64);
}

/* A worker over its CPU limit (RLIMIT_CPU → SIGXCPU) dies; the request is sent
 * once more to a fresh worker, which dies too: a render failure; the next request works. */
static void
test_pool_cpu_limit(void)
{
  BimiRenderPoolConfig config = { .n_workers = 1, .cpu_s = 1, .deadline_ms = 120000 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autoptr(GBytes) burner = read_fixture("fixtures/render/cpu-burner.svg");
  g_autoptr(GError) error = NULL;
  BimiRenderPoolStats st;
  gint64 t0 = g_get_monotonic_time();

  NEED_POOL(pool);
  g_assert_null(bimi_render_pool_render(pool, burner, 64, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_WORKER);
  g_test_message("after %.2f s: %s", (double) (g_get_monotonic_time() - t0) / 1e6, error->message);
  g_assert_nonnull(strstr(error->message, "CPU time limit"));
  g_assert_nonnull(strstr(error->message, "killed two workers"));
  g_assert_true(bimi_render_error_is_input(error));
  assert_next_request_succeeds(pool);
  bimi_render_pool_get_stats(pool, &st);
  g_assert_cmpuint(st.deaths, ==, 2);
  g_assert_cmpuint(st.retries, ==, 1);
  g_assert_cmpuint(st.spawned, ==, 3);
  g_assert_cmpuint(st.failures, ==, 1);
}

/* Waits up to 20 s for @pred; FALSE on timeout. */
static gboolean
wait_for(gboolean (*pred)(BimiRenderPool *), BimiRenderPool *pool)
{
  for (int i = 0; i < 2000; i++) {
    if (pred(pool))
      return TRUE;
    g_usleep(10000);
  }
  return pred(pool);
}

static gboolean
idle_death_seen(BimiRenderPool *pool)
{
  BimiRenderPoolStats st;
  bimi_render_pool_get_stats(pool, &st);
  return st.idle_deaths == 1 && bimi_render__pool_worker_pid(pool, 0) != 0;
}

/* A worker that dies while idle is reaped at once (no zombie waits for the
 * next request) and replaced; the next request does not notice. */
static void
test_pool_idle_death(void)
{
  BimiRenderPoolConfig config = { .n_workers = 1 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  BimiRenderPoolStats st;
  GPid pid, fresh;

  NEED_POOL(pool);
  assert_next_request_succeeds(pool);
  pid = bimi_render__pool_worker_pid(pool, 0);
  g_assert_cmpint(pid, >, 0);
  g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
  g_assert_true(wait_for(idle_death_seen, pool));
  /* reaped: not even a zombie is left */
  g_assert_cmpint(kill(pid, 0), ==, -1);
  g_assert_cmpint(errno, ==, ESRCH);
  fresh = bimi_render__pool_worker_pid(pool, 0);
  g_assert_cmpint(fresh, !=, pid);
  assert_next_request_succeeds(pool);
  g_assert_cmpint(bimi_render__pool_worker_pid(pool, 0), ==, fresh);
  bimi_render_pool_get_stats(pool, &st);
  g_assert_cmpuint(st.failures, ==, 0);
  g_assert_cmpuint(st.deaths, ==, 1);
  g_assert_cmpuint(st.spawned, ==, 2);
  g_assert_cmpuint(st.retries, ==, 0);
}

typedef struct {
  BimiRenderPool *pool;
  GBytes *svg;
  GBytes *png;
  GError *error;
} RenderJob;

static gpointer
render_job(gpointer data)
{
  RenderJob *j = data;
  j->png = bimi_render_pool_render(j->pool, j->svg, 512, &j->error);
  return NULL;
}

/* A worker killed from outside while it renders (not the input's fault): the
 * request is retried once on a fresh worker and succeeds. */
static void
test_pool_retry_after_death(void)
{
  BimiRenderPoolConfig config = { .n_workers = 1, .deadline_ms = 120000, .cpu_s = 600 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autoptr(GBytes) heavy = read_fixture("fixtures/render/heavy-path.svg");
  RenderJob job = { 0 };
  BimiRenderPoolStats st;
  GThread *t;
  GPid pid;

  NEED_POOL(pool);
  assert_next_request_succeeds(pool);
  pid = bimi_render__pool_worker_pid(pool, 0);
  job.pool = pool;
  job.svg = heavy;
  t = g_thread_new("heavy", render_job, &job);
  g_usleep(300000); /* the heavy path takes seconds at 512 px */
  g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
  g_thread_join(t);
  g_assert_no_error(job.error);
  assert_png_square(job.png, 512);
  g_bytes_unref(job.png);
  bimi_render_pool_get_stats(pool, &st);
  g_assert_cmpuint(st.retries, ==, 1);
  g_assert_cmpuint(st.deaths, ==, 1);
  g_assert_cmpuint(st.failures, ==, 0);
}

static gpointer
probe_job(gpointer data)
{
  RenderJob *j = data;
  j->png = bimi_render_pool_probe(j->pool, j->svg, 64, &j->error);
  return NULL;
}

/* Probes hold at most half the workers: with two workers, a probe that runs
 * to its deadline leaves a second probe waiting (then _BUSY) while a normal
 * render still gets the other worker at once. */
static void
test_pool_probe_cap(void)
{
  BimiRenderPoolConfig config = { .n_workers = 2, .cpu_s = 600, .deadline_ms = 3000, .wait_ms = 300 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autoptr(GBytes) burner = read_fixture("fixtures/render/cpu-burner.svg");
  g_autoptr(GBytes) svg = bytes_str(minimal_svg);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  RenderJob job = { 0 };
  BimiRenderPoolStats st;
  GThread *t;

  NEED_POOL(pool);
  job.pool = pool;
  job.svg = burner;
  t = g_thread_new("probe", probe_job, &job);
  g_usleep(500000); /* the first probe holds its slot until the deadline */
  g_assert_null(bimi_render_pool_probe(pool, svg, 64, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_BUSY);
  g_assert_nonnull(strstr(error->message, "probe slot"));
  g_assert_false(bimi_render_error_is_input(error));
  png = bimi_render_pool_render(pool, svg, 64, NULL);
  assert_png_square(png, 64);
  g_thread_join(t);
  g_assert_null(job.png);
  g_assert_error(job.error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_DEADLINE);
  g_assert_true(bimi_render_error_is_input(job.error));
  g_clear_error(&job.error);
  bimi_render_pool_get_stats(pool, &st);
  g_assert_cmpuint(st.probes, ==, 2);
  g_assert_cmpuint(st.deadline_kills, ==, 1);
}

/* A worker over the wall-clock deadline is killed; the request errors, the next one works. */
static void
test_pool_deadline(void)
{
  BimiRenderPoolConfig config = { .n_workers = 1, .cpu_s = 600, .deadline_ms = 300 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autoptr(GBytes) burner = read_fixture("fixtures/render/cpu-burner.svg");
  g_autoptr(GError) error = NULL;
  BimiRenderPoolStats st;
  gint64 t0 = g_get_monotonic_time(), elapsed;

  NEED_POOL(pool);
  assert_next_request_succeeds(pool); /* worker started */
  t0 = g_get_monotonic_time();
  g_assert_null(bimi_render_pool_render(pool, burner, 64, &error));
  elapsed = g_get_monotonic_time() - t0;
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_DEADLINE);
  g_assert_cmpint(elapsed, >=, 300000);
  g_assert_cmpint(elapsed, <, 5000000);
  assert_next_request_succeeds(pool);
  bimi_render_pool_get_stats(pool, &st);
  g_assert_cmpuint(st.deadline_kills, ==, 1);
  g_assert_cmpuint(st.spawned, ==, 2);
}

typedef struct {
  BimiRenderPool *pool;
  GBytes *svg;
  guint size;
  int rounds;
  int ok;
  int code; /* last error code, 0 if none */
} Job;

static gpointer
job_run(gpointer data)
{
  Job *j = data;
  for (int i = 0; i < j->rounds; i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) png = bimi_render_pool_render(j->pool, j->svg, j->size, &error);
    if (png != NULL)
      j->ok++;
    else
      j->code = error->code;
  }
  return NULL;
}

static void
test_pool_busy(void)
{
  BimiRenderPoolConfig config = { .n_workers = 1, .cpu_s = 600, .deadline_ms = 1500, .wait_ms = 100 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autoptr(GBytes) burner = read_fixture("fixtures/render/cpu-burner.svg");
  g_autoptr(GBytes) svg = bytes_str(minimal_svg);
  g_autoptr(GError) error = NULL;
  Job job = { 0 };
  GThread *t;

  NEED_POOL(pool);
  assert_next_request_succeeds(pool);
  job = (Job) { .pool = pool, .svg = burner, .size = 64, .rounds = 1 };
  t = g_thread_new("burner", job_run, &job);
  g_usleep(300000);
  g_assert_null(bimi_render_pool_render(pool, svg, 64, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_BUSY);
  g_thread_join(t);
  g_assert_cmpint(job.ok, ==, 0);
  g_assert_cmpint(job.code, ==, BIMI_RENDER_ERROR_DEADLINE);
  assert_next_request_succeeds(pool);
}

static void
test_pool_concurrent(void)
{
  BimiRenderPoolConfig config = { .n_workers = 2, .deadline_ms = 20000, .wait_ms = 60000 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autofree char *path = upstream_svg("extracted-from-vmc/paypal_vmc.svg");
  g_autoptr(GBytes) svg = NULL;
  Job jobs[4];
  GThread *threads[4];
  BimiRenderPoolStats st;

  NEED_POOL(pool);
  svg = read_fixture(path);
  for (int i = 0; i < 4; i++) {
    jobs[i] = (Job) { .pool = pool, .svg = svg, .size = bimi_render_default_sizes[i * 2], .rounds = 5 };
    threads[i] = g_thread_new("render", job_run, &jobs[i]);
  }
  for (int i = 0; i < 4; i++) {
    g_thread_join(threads[i]);
    g_assert_cmpint(jobs[i].ok, ==, 5);
  }
  bimi_render_pool_get_stats(pool, &st);
  g_assert_cmpuint(st.requests, ==, 20);
  g_assert_cmpuint(st.failures, ==, 0);
  g_assert_cmpuint(st.spawned, <=, 2);
}

static void
test_pool_spawn_failure(void)
{
  const char *argv[] = { "/nonexistent/bimi", "__render-worker", NULL };
  const char *bad_argv[] = { "/bin/false", NULL };
  const char *relative[] = { "bimi", NULL };
  BimiRenderPoolConfig config = { .worker_argv = argv, .n_workers = 1 };
  g_autoptr(BimiRenderPool) pool = bimi_render_pool_new(&config, NULL);
  g_autoptr(BimiRenderPool) pool2 = NULL;
  g_autoptr(GBytes) svg = bytes_str(minimal_svg);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull(pool);
  g_assert_null(bimi_render_pool_render(pool, svg, 64, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_UNAVAILABLE);
  g_assert_false(bimi_render_error_is_input(error));
  g_clear_error(&error);
  /* A program that exits instead of saying hello. */
  config.worker_argv = bad_argv;
  pool2 = bimi_render_pool_new(&config, NULL);
  g_assert_null(bimi_render_pool_render(pool2, svg, 64, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_UNAVAILABLE);
  g_assert_nonnull(strstr(error->message, "did not start"));
  g_clear_error(&error);
  /* Configuration bounds. */
  config.worker_argv = relative;
  g_assert_null(bimi_render_pool_new(&config, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG);
  g_clear_error(&error);
  config.worker_argv = argv;
  config.n_workers = BIMI_RENDER_MAX_WORKERS + 1;
  g_assert_null(bimi_render_pool_new(&config, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_CONFIG);
}

/* bimi_render_pool_check() (the service's health check): a missing program and one that exits before its
 * hello fail with UNAVAILABLE; the real worker is started once and then found running. */
static void
test_pool_check(void)
{
  const char *missing[] = { "/nonexistent/bimi", "__render-worker", NULL };
  const char *exits[] = { "/bin/false", NULL };
  BimiRenderPoolConfig config = { .worker_argv = missing, .n_workers = 2 };
  g_autoptr(BimiRenderPool) bad = bimi_render_pool_new(&config, NULL);
  g_autoptr(BimiRenderPool) silent = NULL;
  g_autoptr(BimiRenderPool) good = NULL;
  g_autoptr(GError) error = NULL;
  BimiRenderPoolStats stats;

  g_assert_false(bimi_render_pool_check(bad, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_UNAVAILABLE);
  g_assert_nonnull(strstr(error->message, "/nonexistent/bimi"));
  g_clear_error(&error);
  config.worker_argv = exits;
  silent = bimi_render_pool_new(&config, NULL);
  g_assert_false(bimi_render_pool_check(silent, &error));
  g_assert_error(error, BIMI_RENDER_ERROR, BIMI_RENDER_ERROR_UNAVAILABLE);
  g_assert_nonnull(strstr(error->message, "did not start"));
  g_clear_error(&error);

  config.worker_argv = NULL;
  good = make_pool(&config);
  if (good == NULL) {
    g_test_skip("the bimi program is not built");
    return;
  }
  g_assert_true(bimi_render_pool_check(good, &error));
  g_assert_no_error(error);
  g_assert_true(bimi_render_pool_check(good, &error)); /* already running: no second start */
  bimi_render_pool_get_stats(good, &stats);
  g_assert_cmpuint(stats.spawned, ==, 1);
  g_assert_cmpint(bimi_render__pool_worker_pid(good, 0) + bimi_render__pool_worker_pid(good, 1), >, 0);
}

/* The worker refuses a protocol break (frame too long) and the pool never sees a PNG from it. */
static void
test_worker_rejects_bad_frame(void)
{
  g_autofree char *path = worker_path();
  const char *argv[] = { path, "__render-worker", NULL };
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) in = g_bytes_new_static("\xff\xff\xff\xff", 4);
  g_autoptr(GBytes) out = NULL;

  if (path == NULL) {
    g_test_skip("BIMI_BUILD unset");
    return;
  }
  p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error(error);
  g_assert_true(g_subprocess_communicate(p, in, NULL, &out, NULL, &error));
  g_assert_no_error(error);
  g_assert_true(g_subprocess_get_if_exited(p));
  g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 2);
  /* Only the hello frame came out. */
  g_assert_cmpuint(g_bytes_get_size(out), ==, 5);
  g_assert_cmpmem(g_bytes_get_data(out, NULL), 5, "\0\0\0\1H", 5);
}

/* The worker's seccomp filter is in force: socket → EPERM, open for writing →
 * EACCES, fork → EPERM, then execve kills it with SIGSYS. */
static void
test_worker_seccomp(void)
{
  g_autofree char *path = worker_path();
  const char *argv[] = { path, "__render-worker", "--seccomp-self-test", NULL };
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL) {
    g_test_skip("BIMI_BUILD unset");
    return;
  }
  p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
  g_assert_no_error(error);
  g_assert_true(g_subprocess_wait(p, NULL, &error));
  g_assert_no_error(error);
  if (g_subprocess_get_if_exited(p))
    g_test_message("self-test exit status %d (10 socket, 11 open, 12 fork, 13 exec allowed)",
                   g_subprocess_get_exit_status(p));
  g_assert_true(g_subprocess_get_if_signaled(p));
  g_assert_cmpint(g_subprocess_get_term_sig(p), ==, SIGSYS);
}

/* Text (pango, fontconfig) renders under the worker's limits and filter, as in process. */
static void
test_pool_text(void)
{
  BimiRenderPoolConfig config = { .n_workers = 1 };
  g_autoptr(BimiRenderPool) pool = make_pool(&config);
  g_autoptr(GBytes) svg = read_fixture("fixtures/render/text.svg");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GBytes) local = NULL;

  NEED_POOL(pool);
  png = bimi_render_pool_render(pool, svg, 256, &error);
  g_assert_no_error(error);
  local = bimi_render_png(svg, 256, NULL, &error);
  g_assert_no_error(error);
  g_assert_true(g_bytes_equal(png, local));
}

/* `bimi render`: one size, several sizes into a directory, and a failed render
 * that leaves no file behind. */
static int
run_cli(const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error(error);
  g_assert_true(g_subprocess_wait(p, NULL, &error));
  g_assert_true(g_subprocess_get_if_exited(p));
  return g_subprocess_get_exit_status(p);
}

static void
test_cli(void)
{
  const char *build = g_getenv("BIMI_BUILD");
  g_autofree char *bimi = build != NULL ? g_build_filename(build, "bimi", NULL) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("bimi-render-cli-XXXXXX", &error);
  g_autofree char *one = NULL, *bad_svg = NULL, *bad_png = NULL, *sub = NULL, *p32 = NULL, *p128 = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_assert_no_error(error);
  if (bimi == NULL || !g_file_test(bimi, G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip("BIMI_BUILD unset");
    return;
  }
  one = g_build_filename(dir, "wide.png", NULL);
  {
    const char *argv[] = { bimi, "render", "fixtures/render/wide.svg", "--size", "64", "-o", one, NULL };
    g_autoptr(GBytes) svg = read_fixture("fixtures/render/wide.svg");
    g_autoptr(GBytes) expect = bimi_render_png(svg, 64, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(run_cli(argv), ==, 0);
    g_assert_true(g_file_get_contents(one, &contents, &len, NULL));
    g_assert_cmpmem(contents, len, g_bytes_get_data(expect, NULL), g_bytes_get_size(expect));
    g_free(contents);
  }
  sub = g_build_filename(dir, "out", NULL);
  {
    const char *argv[] = { bimi, "render", "fixtures/render/text.svg", "--sizes", "128,32", "-o", sub, "--isolated",
                           NULL };
    g_assert_cmpint(run_cli(argv), ==, 0);
    p32 = g_build_filename(sub, "text-32.png", NULL);
    p128 = g_build_filename(sub, "text-128.png", NULL);
    g_assert_true(g_file_test(p32, G_FILE_TEST_IS_REGULAR));
    g_assert_true(g_file_test(p128, G_FILE_TEST_IS_REGULAR));
  }
  bad_svg = g_build_filename(dir, "bad.svg", NULL);
  bad_png = g_build_filename(dir, "bad.png", NULL);
  g_assert_true(g_file_set_contents(bad_svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect", -1, NULL));
  {
    const char *argv[] = { bimi, "render", bad_svg, "--size", "64", "-o", bad_png, NULL };
    const char *usage[] = { bimi, "render", "fixtures/render/wide.svg", "--size", "100", "-o", bad_png, NULL };
    g_assert_cmpint(run_cli(argv), ==, 1);
    g_assert_false(g_file_test(bad_png, G_FILE_TEST_EXISTS));
    g_assert_cmpint(run_cli(usage), ==, 2);
    g_assert_false(g_file_test(bad_png, G_FILE_TEST_EXISTS));
  }
  g_unlink(p32);
  g_unlink(p128);
  g_rmdir(sub);
  g_unlink(one);
  g_unlink(bad_svg);
  g_rmdir(dir);
}

/* `bimi render` runs with the service's limits by default: a <use>
 * amplification that validates as SVG Tiny PS ends at the deadline with exit 1
 * and a clear error (issue 13; in process it ran for 46-53 s). */
static void
test_cli_limits_by_default(void)
{
  const char *build = g_getenv("BIMI_BUILD");
  g_autofree char *bimi = build != NULL ? g_build_filename(build, "bimi", NULL) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("bimi-render-cli-XXXXXX", &error);
  g_autofree char *out = NULL;
  const char *hostile[] = { "fixtures/render/use-bomb.svg", "fixtures/render/heavy-path.svg" };

  g_assert_no_error(error);
  if (bimi == NULL || !g_file_test(bimi, G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip("BIMI_BUILD unset");
    return;
  }
  out = g_build_filename(dir, "out.png", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(hostile); i++) {
    const char *argv[] = { bimi, "render", hostile[i], "--size", "512", "--deadline-ms", "1000", "-o", out, NULL };
    g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                 &error);
    g_autofree char *err = NULL;
    gint64 t0 = g_get_monotonic_time();

    g_assert_no_error(error);
    g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, NULL, &err, &error));
    g_assert_no_error(error);
    g_test_message("%s: %.2f s (deadline 1 s + worker start): %s", hostile[i],
                   (double) (g_get_monotonic_time() - t0) / 1e6, err);
    g_assert_true(g_subprocess_get_if_exited(p));
    g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 1);
    g_assert_nonnull(strstr(err, "render deadline of 1000 ms exceeded"));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
  }
  {
    const char *both[] = { bimi, "render", "fixtures/render/wide.svg", "--size", "64", "--in-process", "--isolated",
                           "-o", out, NULL };
    g_assert_cmpint(run_cli(both), ==, 2);
  }
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/render/png/format-and-default-sizes", test_png_format);
  g_test_add_func("/render/size/set", test_size_set);
  g_test_add_func("/render/size/parse-list", test_parse_sizes);
  g_test_add_func("/render/limit/svg-bytes", test_svg_bytes_limit);
  g_test_add_func("/render/errors", test_errors);
  g_test_add_func("/render/limit/deadline-in-process", test_deadline);
  g_test_add_func("/render/geometry/fit-centre-transparent", test_geometry);
  g_test_add_func("/render/no-external-resources", test_no_external_resources);
  for (gsize i = 0; i < G_N_ELEMENTS(logos); i++) {
    g_autofree char *base = g_path_get_basename(logos[i].path);
    g_autofree char *name = g_strdup_printf("/render/rsvg-convert/%s", base);
    g_test_add_data_func(name, &logos[i], test_matches_rsvg_convert);
  }
  g_test_add_func("/render/rsvg-convert/comparison-can-fail", test_comparison_detects_difference);
  g_test_add_func("/render/protocol/roundtrip", test_protocol_roundtrip);
  g_test_add_func("/render/protocol/malformed", test_protocol_malformed);
  g_test_add_func("/render/pool/basic", test_pool_basic);
  g_test_add_func("/render/pool/check", test_pool_check);
  g_test_add_func("/render/pool/size-set", test_pool_size_set);
  g_test_add_func("/render/pool/cpu-limit", test_pool_cpu_limit);
  g_test_add_func("/render/pool/deadline", test_pool_deadline);
  g_test_add_func("/render/pool/idle-death-reaped", test_pool_idle_death);
  g_test_add_func("/render/pool/retry-after-death", test_pool_retry_after_death);
  g_test_add_func("/render/pool/probe-cap", test_pool_probe_cap);
  g_test_add_func("/render/pool/busy", test_pool_busy);
  g_test_add_func("/render/pool/concurrent", test_pool_concurrent);
  g_test_add_func("/render/pool/spawn-failure", test_pool_spawn_failure);
  g_test_add_func("/render/worker/bad-frame", test_worker_rejects_bad_frame);
  g_test_add_func("/render/worker/seccomp", test_worker_seccomp);
  g_test_add_func("/render/pool/text", test_pool_text);
  g_test_add_func("/render/cli", test_cli);
  g_test_add_func("/render/cli/limits-by-default", test_cli_limits_by_default);
  return g_test_run();
}
