/* tests/lib/fetch.h — checks shared by the tests of engine/fetch against
 * loopback servers (test-fetch-nginx, test-fetch-crl). */
#ifndef BIMI_TESTS_LIB_FETCH_H
#define BIMI_TESTS_LIB_FETCH_H

#include "engine/fetch.h"

/** Under --verbose (g_test_verbose()), one line: @url → status reason (detail). */
void bimi_test_fetch_log(const char *url, const BimiFetchResult *r);

/** Asserts that @r failed for @reason (the test stops naming both outcomes
 * otherwise), with no body and a detail. */
void bimi_test_fetch_assert_failed(const BimiFetchResult *r, BimiFetchReason reason);

#endif /* BIMI_TESTS_LIB_FETCH_H */
