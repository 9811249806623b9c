/* tests/lib/zone-text.h — zone text (RFC 1035 §5 master format) written by the tests that turn an
 * upstream suite's JSON zone into a zone for the offline resolver.
 */
#ifndef BIMI_TESTS_LIB_ZONE_TEXT_H
#define BIMI_TESTS_LIB_ZONE_TEXT_H

#include <glib.h>

/** Appends to @zone a space and the @len bytes of @s as one quoted character-string (RFC 1035 §5.1:
 * '"' and '\' escaped with '\'). @len is the caller's to keep within 255 (RFC 1035 §3.3). */
void bimi_test_zone_append_string(GString *zone, const char *s, gsize len);

#endif /* BIMI_TESTS_LIB_ZONE_TEXT_H */
