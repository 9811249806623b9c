/* cache/flight.c — single-flight groups (issue 8: "N concurrent requests for
 * the same uncached key cause exactly one DNS chain, one fetch of each URL and
 * one render per size; the others wait (bounded) and share the result").
 *
 * pthread mutexes and condition variables rather than GMutex/GCond: GLib's
 * futex-based locks are invisible to ThreadSanitizer, and this file is what
 * `make check SANITIZE=1` runs under TSan.
 */
#include "cache/flight.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

typedef struct {
  guint refs;        /* the table's reference + one per waiter; under group->lock */
  gboolean done;
  gboolean ok;
  pthread_cond_t cond;
} Flight;

struct BimiFlightGroup {
  pthread_mutex_t lock;
  GHashTable *flights; /* char* key (owned) -> Flight* */
};

static void
flight_unref_locked(Flight *f)
{
  if (--f->refs == 0) {
    pthread_cond_destroy(&f->cond);
    g_free(f);
  }
}

BimiFlightGroup *
bimi_flight_group_new(void)
{
  BimiFlightGroup *g = g_new0(BimiFlightGroup, 1);
  pthread_mutex_init(&g->lock, NULL);
  g->flights = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return g;
}

void
bimi_flight_group_free(BimiFlightGroup *group)
{
  GHashTableIter it;
  gpointer value;

  if (group == NULL)
    return;
  g_hash_table_iter_init(&it, group->flights);
  while (g_hash_table_iter_next(&it, NULL, &value))
    flight_unref_locked(value);
  g_hash_table_destroy(group->flights);
  pthread_mutex_destroy(&group->lock);
  g_free(group);
}

BimiFlightClaim
bimi_flight_group_claim(BimiFlightGroup *group, const char *key, guint wait_ms)
{
  Flight *f;
  struct timespec deadline;
  BimiFlightClaim out;

  g_return_val_if_fail(group != NULL && key != NULL, BIMI_FLIGHT_BUSY);

  pthread_mutex_lock(&group->lock);
  f = g_hash_table_lookup(group->flights, key);
  if (f == NULL) {
    pthread_condattr_t attr;
    f = g_new0(Flight, 1);
    f->refs = 1;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cond, &attr);
    pthread_condattr_destroy(&attr);
    g_hash_table_insert(group->flights, g_strdup(key), f);
    pthread_mutex_unlock(&group->lock);
    return BIMI_FLIGHT_LEADER;
  }
  if (wait_ms == 0) {
    pthread_mutex_unlock(&group->lock);
    return BIMI_FLIGHT_BUSY;
  }
  f->refs++;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += wait_ms / 1000u;
  deadline.tv_nsec += (long) (wait_ms % 1000u) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  while (!f->done) {
    if (pthread_cond_timedwait(&f->cond, &group->lock, &deadline) == ETIMEDOUT && !f->done)
      break;
  }
  out = !f->done ? BIMI_FLIGHT_TIMEOUT : f->ok ? BIMI_FLIGHT_DONE : BIMI_FLIGHT_FAILED;
  flight_unref_locked(f);
  pthread_mutex_unlock(&group->lock);
  return out;
}

void
bimi_flight_group_release(BimiFlightGroup *group, const char *key, gboolean ok)
{
  Flight *f;

  g_return_if_fail(group != NULL && key != NULL);
  pthread_mutex_lock(&group->lock);
  f = g_hash_table_lookup(group->flights, key);
  if (f == NULL) {
    pthread_mutex_unlock(&group->lock);
    g_return_if_reached();
  }
  g_hash_table_remove(group->flights, key);
  f->done = TRUE;
  f->ok = ok;
  pthread_cond_broadcast(&f->cond);
  flight_unref_locked(f);
  pthread_mutex_unlock(&group->lock);
}

guint
bimi_flight_group_size(BimiFlightGroup *group)
{
  guint n;

  pthread_mutex_lock(&group->lock);
  n = g_hash_table_size(group->flights);
  pthread_mutex_unlock(&group->lock);
  return n;
}
