/* cache/flight.h — single-flight: one leader per key, the others wait (bounded).
 *
 * Used by the memory backend of the record cache (the "claim" of DESIGN.md §8)
 * and by the logo store for renders. The result itself never travels through
 * the flight: the leader writes it into its cache, then releases; the waiters
 * read the cache again. That is what a shared (Redis) backend can do as well.
 */
#ifndef BIMI_CACHE_FLIGHT_H
#define BIMI_CACHE_FLIGHT_H

#include <glib.h>

G_BEGIN_DECLS

/** What bimi_flight_group_claim() found. */
typedef enum {
  BIMI_FLIGHT_LEADER,  /**< the caller owns the key now: do the work, then bimi_flight_group_release() */
  BIMI_FLIGHT_DONE,    /**< another caller led and succeeded while we waited: read the cache again */
  BIMI_FLIGHT_FAILED,  /**< another caller led and failed while we waited */
  BIMI_FLIGHT_BUSY,    /**< someone leads and wait_ms was 0: nothing waited */
  BIMI_FLIGHT_TIMEOUT, /**< someone leads and did not finish within wait_ms */
} BimiFlightClaim;

typedef struct BimiFlightGroup BimiFlightGroup;

/**
 * bimi_flight_group_new:
 *
 * Returns: (transfer full): an empty group. Thread-safe; free with
 * bimi_flight_group_free() once no thread uses it.
 */
BimiFlightGroup *bimi_flight_group_new(void);
void bimi_flight_group_free(BimiFlightGroup *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiFlightGroup, bimi_flight_group_free)

/**
 * bimi_flight_group_claim:
 * @group: the group
 * @key: (transfer none): the key, NUL-terminated
 * @wait_ms: longest wait for a running flight, milliseconds of the monotonic clock; 0: never wait
 *
 * Becomes the leader of @key when no flight runs for it; otherwise waits for
 * the running flight to be released, at most @wait_ms.
 *
 * Returns: the outcome; only BIMI_FLIGHT_LEADER obliges the caller to release.
 */
BimiFlightClaim bimi_flight_group_claim(BimiFlightGroup *group, const char *key, guint wait_ms);

/**
 * bimi_flight_group_release:
 * @group: the group
 * @key: a key the caller leads
 * @ok: whether the work succeeded (waiters see BIMI_FLIGHT_DONE or _FAILED)
 *
 * Ends the flight and wakes every waiter.
 */
void bimi_flight_group_release(BimiFlightGroup *group, const char *key, gboolean ok);

/** Flights running now (for tests and metrics). */
guint bimi_flight_group_size(BimiFlightGroup *group);

G_END_DECLS

#endif /* BIMI_CACHE_FLIGHT_H */
