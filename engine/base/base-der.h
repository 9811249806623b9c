/* engine/base/base-der.h — one DER TLV reader (ITU-T X.690 §8.1.2-§8.1.3, §10.1).
 *
 * Reads the identifier and the definite length of one TLV and checks that its
 * contents fit in the bytes given; callers walk structures with it (DKIM's
 * SubjectPublicKeyInfo, the VMC logotype extension). Only single-byte tags
 * (tag numbers < 31) and definite lengths of at most @max_len_octets octets.
 */
#pragma once

#include <glib.h>

typedef enum {
  BIMI_DER_OK = 0,
  BIMI_DER_TRUNCATED,        /* fewer than the two bytes of a tag and a length */
  BIMI_DER_MULTIBYTE_TAG,    /* tag number 31 or more (X.690 §8.1.2.4) */
  BIMI_DER_LENGTH_FORM,      /* indefinite length, or more length octets than allowed */
  BIMI_DER_TRUNCATED_LENGTH, /* the length octets run past the input */
  BIMI_DER_OVERRUN,          /* the contents run past the input */
} BimiDerStatus;

typedef struct {
  guint8 tag;        /* the identifier octet */
  gsize header_len;  /* tag + length octets */
  gsize body_len;    /* contents octets; the contents start at header_len */
} BimiDerTlv;

/**
 * bimi_der_read_tlv:
 * @p: the bytes (transfer none)
 * @len: bytes available at @p: the TLV must fit in them
 * @max_len_octets: the most long-form length octets accepted (1..8; 3 is 16 MiB)
 * @out: (out): the TLV's tag and sizes, when TRUE is returned (and with
 *   %BIMI_DER_OVERRUN, to name the length that does not fit)
 * @status: (out) (optional): why FALSE was returned
 *
 * Returns: TRUE when a whole TLV is at @p; FALSE with @status set otherwise.
 */
gboolean bimi_der_read_tlv(const guint8 *p, gsize len, guint max_len_octets, BimiDerTlv *out, BimiDerStatus *status);
