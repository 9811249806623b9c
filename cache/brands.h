/* cache/brands.h — the brand registry of the impersonation caution (issue 19).
 *
 * Which brands a message may be checked against: the operator's [caution]
 * brands_file (fixed for the process' life) and the brands learned from every
 * validated Evidence Document (VMC or CMC: the organisation's name, the logo's
 * <title>, the SAN domains plus the BIMI record's domain, the mark's SHA-256),
 * one per BIMI record domain, each until its certificate's notAfter.
 *
 * The learned brands live in this process and in the record cache's backend
 * (cache/records.h) under one key, BIMI_BRAND_REGISTRY_KEY: with [cache]
 * backend = redis a fleet shares what each node learned. The shared value is a
 * grow-only union with expiry: a node reads it at most every
 * BIMI_BRAND_REGISTRY_REFRESH_S, adds what it lacks, and writes the union back
 * when it knows brands the value lacks (a lost concurrent write, an eviction, a
 * Redis restart heal at the next read). The value is untrusted input
 * (engine/caution's registry form, fuzzed).
 *
 * Bounded: at most max_learned brands (past it the one whose certificate
 * expires first goes); the shared value at most BIMI_CACHE_MAX_VALUE_BYTES.
 * Time is the caller's explicit "now" (Unix seconds). Thread-safe.
 */
#ifndef BIMI_CACHE_BRANDS_H
#define BIMI_CACHE_BRANDS_H

#include <glib.h>
#include "cache/records.h"
#include "engine/caution.h"

G_BEGIN_DECLS

/** The record-cache key of the shared registry value. */
#define BIMI_BRAND_REGISTRY_KEY "caution.brands"

typedef struct _BimiBrandRegistry BimiBrandRegistry;

/**
 * bimi_brand_registry_new:
 * @operator_brands: (nullable) (element-type BimiCautionBrand) (transfer none): the brands_file's
 *   brands (copied); they never expire
 * @options: (transfer none): matching settings for the brand sets (copied, stop words too)
 * @backend: (nullable) (transfer none): the record cache's backend, shared by the fleet; must
 *   outlive the registry. NULL: this process only
 * @max_learned: most learned brands kept, 1..BIMI_BRAND_REGISTRY_MAX_LEARNED
 * @error: BIMI_CAUTION_ERROR_* of bimi_caution_set_new() (the operator brands cannot be
 *   indexed: more than BIMI_CAUTION_MAX_BRANDS)
 *
 * Returns: (transfer full): the registry; NULL with @error.
 */
BimiBrandRegistry *bimi_brand_registry_new(GPtrArray *operator_brands, const BimiCautionOptions *options,
                                           BimiRecordCacheBackend *backend, guint max_learned, GError **error);
void bimi_brand_registry_free(BimiBrandRegistry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiBrandRegistry, bimi_brand_registry_free)

/**
 * bimi_brand_registry_learn:
 * @brand: (transfer none): a brand from a validated VMC/CMC: record_domain, not_after and source
 *   VMC or CMC set (copied)
 * @now: Unix seconds
 *
 * Adds or replaces the brand of @brand->record_domain (a later notAfter wins) and, with a
 * backend, merges it into the shared value at once. A brand already expired at @now is ignored.
 *
 * Returns: TRUE when the registry changed (a new brand, or new facts about one).
 */
gboolean bimi_brand_registry_learn(BimiBrandRegistry *registry, const BimiCautionBrand *brand, gint64 now);

/**
 * bimi_brand_registry_get_set:
 * @now: Unix seconds
 *
 * The brands to check against at @now: the operator's and the learned ones whose notAfter is
 * after @now (expired ones are forgotten here), the shared value read again when
 * BIMI_BRAND_REGISTRY_REFRESH_S passed since the last read. The set is rebuilt only when
 * something changed; otherwise this is a reference count.
 *
 * Returns: (transfer full): the set (bimi_caution_set_unref()).
 */
BimiCautionSet *bimi_brand_registry_get_set(BimiBrandRegistry *registry, gint64 now);

/** Counters and sizes (metrics, tests). */
typedef struct {
  guint operator_brands; /**< brands from the brands_file */
  guint learned_brands;  /**< learned brands held now */
  guint64 learned;       /**< learn calls that changed the registry */
  guint64 expired;       /**< learned brands forgotten at their notAfter */
  guint64 evicted;       /**< learned brands dropped by max_learned */
  guint64 shared_reads;  /**< reads of the shared value that found one */
  guint64 shared_writes; /**< writes of the shared value */
  guint64 shared_invalid; /**< shared values that did not parse (ignored, then overwritten) */
} BimiBrandRegistryStats;

void bimi_brand_registry_get_stats(BimiBrandRegistry *registry, BimiBrandRegistryStats *out);

G_END_DECLS

#endif /* BIMI_CACHE_BRANDS_H */
