/* fuzz/fuzz-render-protocol.c — libFuzzer target for the render worker
 * protocol (renderer/worker.h): bytes that one process reads from another.
 *
 * The input is a stream of frames, as the worker reads requests and the pool
 * reads responses: each frame header is checked against its limit before its
 * body is used, then the body is decoded both as a request and as a response.
 * Checks the promises of worker.h: decoded sizes within their limits, the SVG
 * equal to the bytes after the fixed fields, a PNG response starting with the
 * PNG signature, worker error codes within the set a worker may send, and a
 * re-encoded request/response decoding to the same values. Any breach aborts.
 * librsvg itself is not run here: it only sees validated SVG.
 */
#include "engine/limits.h"
#include "fuzz/fuzz.h"
#include "renderer/worker.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_request(const guint8 *body, gsize len)
{
  guint px = 0;
  GBytes *svg = NULL;
  GError *error = NULL;

  if (!bimi_render__request_decode(body, len, &px, &svg, &error)) {
    if (error == NULL || error->domain != BIMI_RENDER_ERROR || svg != NULL)
      abort();
    g_error_free(error);
    return;
  }
  if (error != NULL || svg == NULL || g_bytes_get_size(svg) > BIMI_RENDER_MAX_SVG_BYTES ||
      g_bytes_get_size(svg) != len - 5 || memcmp(g_bytes_get_data(svg, NULL), body + 5, len - 5) != 0)
    abort();
  {
    GBytes *again = bimi_render__request_encode(px, svg);
    gsize n = 0;
    guint px2 = 0;
    GBytes *svg2 = NULL;
    const guint8 *p = g_bytes_get_data(again, NULL);
    if (!bimi_render__frame_length(p, &n, NULL) || n != len || memcmp(p + 4, body, len) != 0 ||
        !bimi_render__request_decode(p + 4, n, &px2, &svg2, NULL) || px2 != px || !g_bytes_equal(svg, svg2))
      abort();
    g_bytes_unref(svg2);
    g_bytes_unref(again);
  }
  g_bytes_unref(svg);
}

static void
check_response(const guint8 *body, gsize len)
{
  GError *error = NULL;
  GBytes *png = bimi_render__response_decode(body, len, &error);

  if (png != NULL) {
    if (error != NULL || g_bytes_get_size(png) < 8 || memcmp(g_bytes_get_data(png, NULL), "\x89PNG\r\n\x1a\n", 8) != 0)
      abort();
    g_bytes_unref(png);
    return;
  }
  if (error == NULL || error->domain != BIMI_RENDER_ERROR || error->code < BIMI_RENDER_ERROR_SIZE ||
      error->code > BIMI_RENDER_ERROR_DEADLINE + 1 || !g_utf8_validate(error->message, -1, NULL))
    abort();
  if (error->code != BIMI_RENDER_ERROR_WORKER && strlen(error->message) <= BIMI_RENDER_MAX_ERROR_BYTES) {
    /* A worker's error: re-encoding it gives the same code and message (invalid
     * UTF-8 replaced by U+FFFD may have made it longer than the encoder keeps). */
    GBytes *again = bimi_render__response_encode(NULL, error);
    gsize n = 0;
    GError *e2 = NULL;
    const guint8 *p = g_bytes_get_data(again, NULL);
    if (!bimi_render__frame_length(p, &n, NULL) || bimi_render__response_decode(p + 4, n, &e2) != NULL ||
        e2 == NULL || e2->code != error->code || strcmp(e2->message, error->message) != 0)
      abort();
    g_error_free(e2);
    g_bytes_unref(again);
  }
  g_error_free(error);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  gsize off = 0;

  while (size - off >= 4) {
    gsize len = 0;
    GError *error = NULL;
    if (!bimi_render__frame_length(data + off, &len, &error)) {
      if (error == NULL)
        abort();
      g_error_free(error);
      break;
    }
    if (len == 0 || len > BIMI_RENDER_MAX_FRAME_BYTES)
      abort();
    off += 4;
    if (len > size - off)
      break; /* truncated: the reader would wait for more */
    check_request(data + off, len);
    check_response(data + off, len);
    off += len;
  }
  return 0;
}
