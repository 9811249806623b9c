/* tests/test-base-der.c — engine/base/base-der: one DER TLV (X.690 §8.1.2, §8.1.3). */
#include "engine/base/base-der.h"

static void
expect_tlv(const guint8 *p, gsize len, guint max_octets, guint8 tag, gsize hdr, gsize body)
{
  BimiDerTlv t;
  BimiDerStatus st = BIMI_DER_TRUNCATED;
  g_assert_true(bimi_der_read_tlv(p, len, max_octets, &t, &st));
  g_assert_cmpint(st, ==, BIMI_DER_OK);
  g_assert_cmpuint(t.tag, ==, tag);
  g_assert_cmpuint(t.header_len, ==, hdr);
  g_assert_cmpuint(t.body_len, ==, body);
}

static void
expect_fail(const guint8 *p, gsize len, guint max_octets, BimiDerStatus want)
{
  BimiDerTlv t;
  BimiDerStatus st = BIMI_DER_OK;
  g_assert_false(bimi_der_read_tlv(p, len, max_octets, &t, &st));
  g_assert_cmpint(st, ==, want);
}

static void
test_forms(void)
{
  static const guint8 short_form[] = { 0x30, 0x03, 0x02, 0x01, 0x05, 0xff };
  static const guint8 long1[] = { 0x04, 0x81, 0x02, 'a', 'b' };
  static const guint8 long2[] = { 0x04, 0x82, 0x00, 0x01, 'a' };
  static const guint8 empty_body[] = { 0x05, 0x00 };

  /* Trailing bytes after the TLV are the caller's business. */
  expect_tlv(short_form, sizeof short_form, 3, 0x30, 2, 3);
  expect_tlv(long1, sizeof long1, 3, 0x04, 3, 2);
  expect_tlv(long2, sizeof long2, 3, 0x04, 4, 1);
  expect_tlv(empty_body, sizeof empty_body, 1, 0x05, 2, 0);
}

static void
test_refused(void)
{
  static const guint8 one[] = { 0x30 };
  static const guint8 multibyte[] = { 0x1f, 0x81, 0x01, 0x00 };
  static const guint8 indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
  static const guint8 four_octets[] = { 0x04, 0x84, 0x00, 0x00, 0x00, 0x01, 'a' };
  static const guint8 cut_length[] = { 0x04, 0x82, 0x01 };
  static const guint8 overrun[] = { 0x30, 0x05, 0x02, 0x01 };

  expect_fail(one, sizeof one, 3, BIMI_DER_TRUNCATED);
  expect_fail(one, 0, 3, BIMI_DER_TRUNCATED);
  expect_fail(multibyte, sizeof multibyte, 3, BIMI_DER_MULTIBYTE_TAG);
  expect_fail(indefinite, sizeof indefinite, 3, BIMI_DER_LENGTH_FORM);
  /* The maximum of length octets: 4 is refused at 3 and read at 4. */
  expect_fail(four_octets, sizeof four_octets, 3, BIMI_DER_LENGTH_FORM);
  expect_tlv(four_octets, sizeof four_octets, 4, 0x04, 6, 1);
  expect_fail(cut_length, sizeof cut_length, 3, BIMI_DER_TRUNCATED_LENGTH);

  /* An overrun still names the length that does not fit. */
  BimiDerTlv t;
  BimiDerStatus st;
  g_assert_false(bimi_der_read_tlv(overrun, sizeof overrun, 3, &t, &st));
  g_assert_cmpint(st, ==, BIMI_DER_OVERRUN);
  g_assert_cmpuint(t.body_len, ==, 5);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/der/forms", test_forms);
  g_test_add_func("/base/der/refused", test_refused);
  return g_test_run();
}
