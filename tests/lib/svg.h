/* tests/lib/svg.h — what the SVG tests print about a validation result. */
#ifndef BIMI_TESTS_LIB_SVG_H
#define BIMI_TESTS_LIB_SVG_H

#include "engine/svg.h"

/** Every error and warning of @r (code, line, message) as g_test_message() lines. */
void bimi_test_svg_dump(const BimiSvgResult *r);

#endif /* BIMI_TESTS_LIB_SVG_H */
