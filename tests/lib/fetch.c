/* tests/lib/fetch.c — see fetch.h. */
#include "tests/lib/fetch.h"

void
bimi_test_fetch_log(const char *url, const BimiFetchResult *r)
{
  if (g_test_verbose())
    g_test_message("%s → %s %s (%s)", url, bimi_fetch_status_to_string(r->status),
                   bimi_fetch_reason_to_string(r->reason), r->detail ? r->detail : "");
}

void
bimi_test_fetch_assert_failed(const BimiFetchResult *r, BimiFetchReason reason)
{
  if (r->status != BIMI_FETCH_STATUS_FAILED || r->reason != reason)
    g_error("expected failed/%s, got %s/%s (%s)", bimi_fetch_reason_to_string(reason),
            bimi_fetch_status_to_string(r->status), bimi_fetch_reason_to_string(r->reason),
            r->detail ? r->detail : "");
  g_assert_null(r->body);
  g_assert_nonnull(r->detail);
}
