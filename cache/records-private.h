/* cache/records-private.h — what cache/records.c shares with the other
 * backends of cache/ (the Redis backend keeps a memory backend as its first
 * level). Library-internal; tests may include it.
 */
#ifndef BIMI_CACHE_RECORDS_PRIVATE_H
#define BIMI_CACHE_RECORDS_PRIVATE_H

#include "cache/records.h"

G_BEGIN_DECLS

/**
 * bimi_record_cache__memory_put_entry:
 * @memory: a backend of bimi_record_cache_backend_new_memory()
 * @key: the key (as the backend interface takes it)
 * @entry: (transfer none): the entry with its absolute times (another level
 *   read it), value not NULL
 * @now: when this level got it, microseconds (the cache clock)
 *
 * Stores @entry as it is (the LRU bound applies), replacing any entry of @key.
 */
void bimi_record_cache__memory_put_entry(BimiRecordCacheBackend *memory, const char *key,
                                         const BimiCacheEntry *entry, gint64 now);

/**
 * bimi_record_cache__memory_get:
 * @memory: a backend of bimi_record_cache_backend_new_memory()
 * @key: @now: @out: as for the backend's get
 * @local_at: (out) (optional): when this level got the entry (its put's
 *   now, or the @now of bimi_record_cache__memory_put_entry())
 *
 * Returns: TRUE with @out filled, as the backend's get.
 */
gboolean bimi_record_cache__memory_get(BimiRecordCacheBackend *memory, const char *key, gint64 now,
                                       BimiCacheEntry *out, gint64 *local_at);

G_END_DECLS

#endif /* BIMI_CACHE_RECORDS_PRIVATE_H */
