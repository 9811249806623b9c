/* tests/lib/cache-origin.h — a counting fake origin for the record cache
 * (cache/records.h, BimiRecordFetchFunc): each fetch answers
 * "v<n>" (n = 1 for the first fetch) with the TTL and negative flag the test
 * set, after an optional delay, or fails. Shared by the in-memory and the
 * Redis cache tests, which count the fetches to prove single-flight. */
#ifndef BIMI_TESTS_LIB_CACHE_ORIGIN_H
#define BIMI_TESTS_LIB_CACHE_ORIGIN_H

#include <glib.h>
#include <stdatomic.h>

/** What the fake origin answers, and how often it was asked. */
typedef struct {
  atomic_uint calls;      /* fetches so far (any thread) */
  guint ttl_s;            /* the TTL of each answer, seconds */
  gboolean negative;      /* answer "no record" (a negative entry) */
  gboolean fail;          /* fail with G_FILE_ERROR_AGAIN "origin slow" instead of answering */
  guint sleep_ms;         /* wait this long first, milliseconds (to hold a fetch in flight) */
  gboolean name_in_value; /* answer "v<n>:<selector>/<domain>" instead of "v<n>" */
} BimiTestOrigin;

/** The fetch callback: @user_data is a BimiTestOrigin. @value (transfer full)
 * is the answer as a NUL-terminated string whose NUL is part of the bytes,
 * so that a test can read an entry's value as a C string. Fails (FALSE,
 * G_FILE_ERROR_AGAIN) when the origin's `fail` is set. */
gboolean bimi_test_origin_fetch(const char *selector, const char *domain, gpointer user_data, GBytes **value,
                                gboolean *negative, guint *ttl_s, GError **error);

#endif /* BIMI_TESTS_LIB_CACHE_ORIGIN_H */
