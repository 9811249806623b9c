/* cache/brands.c — the brand registry of the impersonation caution (issue 19; the
 * sharing scheme is in cache/brands.h).
 *
 * One mutex guards the learned table and the current set. A set is immutable and
 * reference counted: readers take a reference and check without the lock. The set is
 * rebuilt (its skeletons computed by engine/caution) only when the learned table
 * changed or a learned brand reached its notAfter, so the per-message cost is a lock,
 * a comparison and a reference. The shared value is read at most every
 * BIMI_BRAND_REGISTRY_REFRESH_S seconds and written on a learn or when it lacks brands
 * this node holds.
 */
#include "cache/brands.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <string.h>

struct _BimiBrandRegistry {
  GMutex lock;
  GPtrArray *operator_brands;   /* BimiCautionBrand*, owned */
  BimiCautionOptions options;
  char **stop_words;            /* owned copy behind options.stop_words, or NULL */
  BimiRecordCacheBackend *backend;
  guint max_learned;
  GHashTable *learned;          /* record domain -> BimiCautionBrand* (owned) */
  BimiCautionSet *set;          /* the newest set built; never NULL */
  guint64 generation;           /* bumped by every change of the learned table */
  guint64 set_generation;       /* the generation @set was built from */
  gboolean building;            /* a thread builds a set outside the lock */
  gint64 next_read;             /* Unix seconds: when the shared value is read again */
  gint64 next_write;            /* Unix seconds: the earliest next write (at most one a second) */
  gboolean pending;             /* learned brands the shared value does not have yet */
  BimiBrandRegistryStats stats;
};

static gboolean
strv_equal0(char **a, char **b)
{
  return (a == NULL && b == NULL) || (a != NULL && b != NULL && g_strv_equal((const char *const *) a,
                                                                             (const char *const *) b));
}

static gboolean
brand_equal(const BimiCautionBrand *a, const BimiCautionBrand *b)
{
  return g_strcmp0(a->name, b->name) == 0 && g_strcmp0(a->alias, b->alias) == 0 &&
         strv_equal0(a->domains, b->domains) && g_strcmp0(a->logo_sha256, b->logo_sha256) == 0 &&
         a->source == b->source && a->not_after == b->not_after;
}

BimiBrandRegistry *
bimi_brand_registry_new(GPtrArray *operator_brands, const BimiCautionOptions *options, BimiRecordCacheBackend *backend,
                        guint max_learned, GError **error)
{
  BimiBrandRegistry *r;
  g_autoptr(BimiCautionSet) probe = NULL;

  g_return_val_if_fail(options != NULL, NULL);
  g_return_val_if_fail(max_learned >= 1 && max_learned <= BIMI_BRAND_REGISTRY_MAX_LEARNED, NULL);
  BIMI_CACHE_REGISTER_QUARK();
  /* the operator's brands must index on their own: refuse at start, not at the first message */
  probe = bimi_caution_set_new(operator_brands, options, error);
  if (probe == NULL)
    return NULL;
  r = g_new0(BimiBrandRegistry, 1);
  g_mutex_init(&r->lock);
  r->operator_brands = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_caution_brand_free);
  for (guint i = 0; operator_brands != NULL && i < operator_brands->len; i++)
    g_ptr_array_add(r->operator_brands, bimi_caution_brand_copy(g_ptr_array_index(operator_brands, i)));
  r->options = *options;
  if (options->stop_words != NULL) {
    g_autoptr(GStrvBuilder) words = g_strv_builder_new();
    for (gsize i = 0; options->stop_words[i] != NULL; i++)
      g_strv_builder_add(words, options->stop_words[i]);
    r->stop_words = g_strv_builder_end(words);
  }
  r->options.stop_words = (const char *const *) r->stop_words;
  r->backend = backend;
  r->max_learned = max_learned;
  r->learned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) bimi_caution_brand_free);
  r->set = g_steal_pointer(&probe); /* the operator's brands; generation 0 */
  r->stats.operator_brands = r->operator_brands->len;
  return r;
}

BIMI_DEFINE_FREE_FUNC(BimiBrandRegistry, bimi_brand_registry_free, r)
{
  g_clear_pointer(&r->set, bimi_caution_set_unref);
  g_hash_table_destroy(r->learned);
  g_ptr_array_unref(r->operator_brands);
  g_strfreev(r->stop_words);
  g_mutex_clear(&r->lock);
}

/* Drops the learned brand that expires first until at most @max remain. Under lock. */
static void
bound_locked(BimiBrandRegistry *r, guint max)
{
  while (g_hash_table_size(r->learned) > max) {
    GHashTableIter it;
    gpointer key, value;
    const char *first = NULL;
    gint64 first_at = G_MAXINT64;
    g_hash_table_iter_init(&it, r->learned);
    while (g_hash_table_iter_next(&it, &key, &value)) {
      const BimiCautionBrand *b = value;
      if (b->not_after < first_at || (b->not_after == first_at && strcmp(key, first) < 0)) {
        first = key;
        first_at = b->not_after;
      }
    }
    g_hash_table_remove(r->learned, first);
    r->stats.evicted++;
    r->generation++;
  }
}

/* Puts @b (owned) into the table unless an entry of its record domain expires later. Under lock.
 * Returns TRUE when the table changed (@b is consumed either way). */
static gboolean
put_locked(BimiBrandRegistry *r, BimiCautionBrand *b)
{
  const BimiCautionBrand *old = g_hash_table_lookup(r->learned, b->record_domain);

  if (old != NULL && (old->not_after > b->not_after || brand_equal(old, b))) {
    bimi_caution_brand_free(b);
    return FALSE;
  }
  g_hash_table_replace(r->learned, g_strdup(b->record_domain), b);
  r->generation++;
  return TRUE;
}

/* Forgets the learned brands whose notAfter is not after @now. Under lock. */
static void
expire_locked(BimiBrandRegistry *r, gint64 now)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, r->learned);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    if (((const BimiCautionBrand *) value)->not_after <= now) {
      g_hash_table_iter_remove(&it);
      r->stats.expired++;
      r->generation++;
    }
  }
}

/* The learned brands (owned by the table). */
static GPtrArray *
learned_values_locked(BimiBrandRegistry *r)
{
  GPtrArray *all = g_ptr_array_sized_new(g_hash_table_size(r->learned));
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, r->learned);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_ptr_array_add(all, value);
  return all;
}

static gint
later_first(gconstpointer a, gconstpointer b)
{
  const BimiCautionBrand *x = *(BimiCautionBrand *const *) a, *y = *(BimiCautionBrand *const *) b;

  if (x->not_after != y->not_after)
    return x->not_after > y->not_after ? -1 : 1;
  return strcmp(x->record_domain, y->record_domain);
}

/* Reads the shared value and adds what it holds; returns TRUE when the value lacks
 * something this node holds (or is absent, or invalid): then it should be written. Under lock. */
static gboolean
read_shared_locked(BimiBrandRegistry *r, gint64 now)
{
  BimiCacheEntry entry = { 0 };
  g_autoptr(GPtrArray) brands = NULL;
  g_autoptr(GError) error = NULL;
  guint present = 0;

  if (!r->backend->vtable->get(r->backend, BIMI_BRAND_REGISTRY_KEY, now * G_USEC_PER_SEC, &entry))
    return g_hash_table_size(r->learned) > 0;
  brands = bimi_caution_brands_parse(g_bytes_get_data(entry.value, NULL), g_bytes_get_size(entry.value),
                                     "registry", BIMI_CAUTION_BRANDS_REGISTRY, &error);
  bimi_cache_entry_clear(&entry);
  if (brands == NULL) {
    g_debug("caution: shared brand registry: %s; written again", error->message);
    r->stats.shared_invalid++;
    return TRUE;
  }
  r->stats.shared_reads++;
  for (guint i = 0; i < brands->len; i++) {
    BimiCautionBrand *b = g_ptr_array_index(brands, i);
    const BimiCautionBrand *mine = g_hash_table_lookup(r->learned, b->record_domain);
    if (b->not_after <= now)
      continue;
    if (mine != NULL && brand_equal(mine, b))
      present++;
    g_ptr_array_index(brands, i) = NULL;
    (void) put_locked(r, b);
  }
  bound_locked(r, r->max_learned);
  return present < g_hash_table_size(r->learned);
}

/* Writes the learned brands as the shared value (the ones expiring last, as many as fit). Under lock. */
static void
write_shared_locked(BimiBrandRegistry *r, gint64 now)
{
  g_autoptr(GPtrArray) all = learned_values_locked(r);
  g_autoptr(GBytes) value = NULL;
  g_autoptr(GError) error = NULL;
  gint64 last = now;

  g_ptr_array_sort(all, later_first);
  for (;;) {
    g_clear_pointer(&value, g_bytes_unref);
    value = bimi_caution_brands_to_registry(all);
    if (g_bytes_get_size(value) <= BIMI_CACHE_MAX_VALUE_BYTES || all->len == 0)
      break;
    g_ptr_array_set_size(all, all->len * 9 / 10); /* the ones expiring first are left out */
  }
  for (guint i = 0; i < all->len; i++)
    last = MAX(last, ((const BimiCautionBrand *) g_ptr_array_index(all, i))->not_after);
  if (last <= now)
    return;
  if (!r->backend->vtable->put_with_ttl(r->backend, BIMI_BRAND_REGISTRY_KEY, value, FALSE, now * G_USEC_PER_SEC,
                                        (guint) MIN(last - now, (gint64) G_MAXINT32), 0, &error)) {
    g_debug("caution: shared brand registry: %s", error->message);
    return;
  }
  r->stats.shared_writes++;
}

/* Merges what this node learned into the shared value: read (the value is a union), then write; at
 * most once a second (a burst of learning at start-up writes once), the rest at a later learn or
 * bimi_brand_registry_get_set(). Under lock. */
static void
flush_locked(BimiBrandRegistry *r, gint64 now)
{
  if (!r->pending || now < r->next_write)
    return;
  (void) read_shared_locked(r, now);
  write_shared_locked(r, now);
  r->pending = FALSE;
  r->next_write = now + 1;
  r->next_read = now + BIMI_BRAND_REGISTRY_REFRESH_S;
}

gboolean
bimi_brand_registry_learn(BimiBrandRegistry *r, const BimiCautionBrand *brand, gint64 now)
{
  gboolean changed;

  g_return_val_if_fail(r != NULL && brand != NULL && brand->record_domain != NULL, FALSE);
  g_return_val_if_fail(brand->source != BIMI_CAUTION_SOURCE_OPERATOR, FALSE);
  if (brand->not_after <= now)
    return FALSE;
  g_mutex_lock(&r->lock);
  changed = put_locked(r, bimi_caution_brand_copy(brand));
  if (changed) {
    r->stats.learned++;
    bound_locked(r, r->max_learned);
    r->pending = r->backend != NULL;
    flush_locked(r, now);
  }
  g_mutex_unlock(&r->lock);
  return changed;
}

/* The brands of a new set: the operator's first (their names win a merge), then the learned
 * ones expiring last, as many as BIMI_CAUTION_MAX_BRANDS leaves room for. Copies. Under lock. */
static GPtrArray *
snapshot_locked(BimiBrandRegistry *r)
{
  GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_caution_brand_free);
  g_autoptr(GPtrArray) learned = learned_values_locked(r);
  guint room = BIMI_CAUTION_MAX_BRANDS - MIN(r->operator_brands->len, BIMI_CAUTION_MAX_BRANDS);

  g_ptr_array_sort(learned, later_first);
  if (learned->len > room)
    g_ptr_array_set_size(learned, room);
  for (guint i = 0; i < r->operator_brands->len; i++)
    g_ptr_array_add(all, bimi_caution_brand_copy(g_ptr_array_index(r->operator_brands, i)));
  for (guint i = 0; i < learned->len; i++)
    g_ptr_array_add(all, bimi_caution_brand_copy(g_ptr_array_index(learned, i)));
  return all;
}

BimiCautionSet *
bimi_brand_registry_get_set(BimiBrandRegistry *r, gint64 now)
{
  BimiCautionSet *set;

  g_return_val_if_fail(r != NULL, NULL);
  g_mutex_lock(&r->lock);
  flush_locked(r, now);
  if (r->backend != NULL && now >= r->next_read) {
    if (read_shared_locked(r, now))
      write_shared_locked(r, now);
    r->next_read = now + BIMI_BRAND_REGISTRY_REFRESH_S;
  }
  expire_locked(r, now);
  if (r->set_generation != r->generation && !r->building) {
    /* Built outside the lock (skeletons of every brand: milliseconds per hundred brands): the
     * other threads go on with the previous set meanwhile, and learning during the build is
     * picked up by the next call. */
    g_autoptr(GPtrArray) brands = snapshot_locked(r);
    g_autoptr(GError) error = NULL;
    guint64 generation = r->generation;
    BimiCautionSet *fresh;

    r->building = TRUE;
    g_mutex_unlock(&r->lock);
    fresh = bimi_caution_set_new(brands, &r->options, &error);
    if (fresh == NULL) /* the names passed the same checks at learning: only ICU could refuse one */
      g_debug("caution: brand set: %s; the previous one stays", error->message);
    g_mutex_lock(&r->lock);
    r->building = FALSE;
    if (fresh != NULL) {
      bimi_caution_set_unref(r->set);
      r->set = fresh;
    }
    r->set_generation = generation;
  }
  set = bimi_caution_set_ref(r->set);
  g_mutex_unlock(&r->lock);
  return set;
}

void
bimi_brand_registry_get_stats(BimiBrandRegistry *r, BimiBrandRegistryStats *out)
{
  g_return_if_fail(r != NULL && out != NULL);
  g_mutex_lock(&r->lock);
  *out = r->stats;
  out->learned_brands = g_hash_table_size(r->learned);
  g_mutex_unlock(&r->lock);
}
