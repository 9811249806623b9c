/* tests/test-base-base64.c — engine/base/base-base64: strict, bounded RFC 4648 §4 decoding. */
#include "engine/base/base-base64.h"

#include <string.h>

static void
expect_ok(const char *in, guint flags, const char *want)
{
  BimiBase64Error e;
  g_autoptr(GBytes) b = bimi_base64_decode(in, strlen(in), 64, flags, &e);
  if (b == NULL)
    g_error("\"%s\": status %d at %" G_GSIZE_FORMAT, in, e.status, e.offset);
  gsize n;
  const char *d = g_bytes_get_data(b, &n);
  g_assert_cmpmem(d, n, want, strlen(want));
}

static void
expect_fail(const char *in, gsize max, guint flags, BimiBase64Status status, gsize offset)
{
  BimiBase64Error e = { BIMI_BASE64_OK, 999, 999 };
  g_autoptr(GBytes) b = bimi_base64_decode(in, strlen(in), max, flags, &e);
  g_assert_null(b);
  g_assert_cmpint(e.status, ==, status);
  if (status == BIMI_BASE64_BAD_CHAR)
    g_assert_cmpuint(e.offset, ==, offset);
  if (status == BIMI_BASE64_TOO_LONG)
    g_assert_cmpuint(e.out_len, ==, offset);
}

static void
test_rfc4648_vectors(void)
{
  /* RFC 4648 §10, padded and unpadded: the encoding, the bytes. */
  static const char *const vectors[][2] = {
    { "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" }, { "Zm9v", "foo" }, { "Zm9vYg==", "foob" },
    { "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" }, { "Zm9vYg", "foob" }, { "Zm9vYmE", "fooba" },
    { "+/+/", "\xfb\xff\xbf" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++)
    expect_ok(vectors[i][0], BIMI_BASE64_STRICT, vectors[i][1]);
}

static void
test_refused(void)
{
  expect_fail("Zm9vY", 64, BIMI_BASE64_STRICT, BIMI_BASE64_BAD_LENGTH, 0);
  expect_fail("Zm8==", 64, BIMI_BASE64_STRICT, BIMI_BASE64_BAD_LENGTH, 0);
  expect_fail("Zg=", 64, BIMI_BASE64_STRICT, BIMI_BASE64_BAD_LENGTH, 0);
  expect_fail("Zm9v\nYmF", 64, BIMI_BASE64_STRICT, BIMI_BASE64_BAD_CHAR, 4);
  expect_fail("Zm=vYmFy", 64, BIMI_BASE64_STRICT, BIMI_BASE64_BAD_CHAR, 2);
  expect_fail("Zm9v-_Fy", 64, BIMI_BASE64_STRICT, BIMI_BASE64_BAD_CHAR, 4);
  expect_fail("Zm9vY===", 64, BIMI_BASE64_STRICT, BIMI_BASE64_BAD_CHAR, 5);
  /* GLib alone would skip the NUL; the wrapper does not. */
  BimiBase64Error e;
  g_assert_null(bimi_base64_decode("Zm\0v", 4, 64, BIMI_BASE64_STRICT, &e));
  g_assert_cmpint(e.status, ==, BIMI_BASE64_BAD_CHAR);
  g_assert_cmpuint(e.offset, ==, 2);
}

static void
test_loose_padding(void)
{
  /* RFC 2047 decoders accept a short pad: "Zg=" is "f". */
  expect_ok("Zg=", BIMI_BASE64_LOOSE_PADDING, "f");
  expect_ok("Zm9v=", BIMI_BASE64_LOOSE_PADDING, "foo");
  expect_fail("Zm9vY=", 64, BIMI_BASE64_LOOSE_PADDING, BIMI_BASE64_BAD_LENGTH, 0);
}

/* The maximum is checked on the decoded size before anything is allocated:
 * exactly max passes, one more fails and says how much. */
static void
test_limit(void)
{
  BimiBase64Error e;
  g_autoptr(GBytes) six = bimi_base64_decode("Zm9vYmFy", 8, 6, BIMI_BASE64_STRICT, &e);
  g_assert_nonnull(six);
  g_assert_cmpuint(g_bytes_get_size(six), ==, 6);
  expect_fail("Zm9vYmFy", 5, BIMI_BASE64_STRICT, BIMI_BASE64_TOO_LONG, 6);
  expect_fail("Zm9vYmE", 4, BIMI_BASE64_STRICT, BIMI_BASE64_TOO_LONG, 5);
}

/* Into the caller's buffer, folding white space skipped (a DKIM b= as
 * written across lines): offsets and lengths count the symbols, the room is
 * the limit, and a failed length check writes nothing. */
static void
test_decode_to_fws(void)
{
  BimiBase64Error e = { BIMI_BASE64_OK, 999, 999 };
  guint8 out[6];
  gsize n = 999;
  const char *folded = "Zm9v\r\n\tYm Fy";
  g_assert_true(bimi_base64_decode_to(folded, strlen(folded), BIMI_BASE64_SKIP_FWS, out, sizeof out, &n, &e));
  g_assert_cmpmem(out, n, "foobar", 6);
  g_assert_true(bimi_base64_decode_to("Zg =\r\n =", 8, BIMI_BASE64_SKIP_FWS, out, sizeof out, &n, &e));
  g_assert_cmpmem(out, n, "f", 1);
  g_assert_true(bimi_base64_decode_to(" \t", 2, BIMI_BASE64_SKIP_FWS, out, sizeof out, &n, &e));
  g_assert_cmpuint(n, ==, 0);
  /* the bad byte's offset counts symbols only: '-' is the fifth */
  g_assert_false(bimi_base64_decode_to("Zm9v\r\n -mFy", 11, BIMI_BASE64_SKIP_FWS, out, sizeof out, &n, &e));
  g_assert_cmpint(e.status, ==, BIMI_BASE64_BAD_CHAR);
  g_assert_cmpuint(e.offset, ==, 4);
  /* without the flag white space is a bad byte like any other */
  g_assert_false(bimi_base64_decode_to("Zm9v Ym", 7, BIMI_BASE64_STRICT, out, sizeof out, &n, &e));
  g_assert_cmpint(e.status, ==, BIMI_BASE64_BAD_CHAR);
  g_assert_cmpuint(e.offset, ==, 4);
  /* a third '=' is not padding: a bad byte at its place */
  g_assert_false(bimi_base64_decode_to("Zm9vY= = =", 10, BIMI_BASE64_SKIP_FWS, out, sizeof out, &n, &e));
  g_assert_cmpint(e.status, ==, BIMI_BASE64_BAD_CHAR);
  g_assert_cmpuint(e.offset, ==, 5);
  /* 5 symbols: a quantum of one; the length reported is the symbols' */
  memset(out, 0x55, sizeof out);
  g_assert_false(bimi_base64_decode_to("Zm9v Y", 6, BIMI_BASE64_SKIP_FWS, out, sizeof out, &n, &e));
  g_assert_cmpint(e.status, ==, BIMI_BASE64_BAD_LENGTH);
  g_assert_cmpuint(e.offset, ==, 5);
  g_assert_cmpuint(out[0], ==, 0x55);
  /* the room is the limit: 6 bytes fit, 9 do not */
  g_assert_false(bimi_base64_decode_to("Zm9vYmFy Zm9v", 13, BIMI_BASE64_SKIP_FWS, out, sizeof out, &n, &e));
  g_assert_cmpint(e.status, ==, BIMI_BASE64_TOO_LONG);
  g_assert_cmpuint(e.out_len, ==, 9);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/base64/rfc4648-vectors", test_rfc4648_vectors);
  g_test_add_func("/base/base64/refused", test_refused);
  g_test_add_func("/base/base64/loose-padding", test_loose_padding);
  g_test_add_func("/base/base64/limit", test_limit);
  g_test_add_func("/base/base64/decode-to-fws", test_decode_to_fws);
  return g_test_run();
}
