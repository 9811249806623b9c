/* engine/dns-cache.c — the in-process DNS answer cache of engine/dns.c.
 *
 * Implements:
 *  - positive answers kept for their TTL (RFC 1035 §3.2.1, RFC 2181 §8), the
 *    smallest TTL met on the CNAME chain (RFC 2181 §5.2 / RFC 1034 §4.3.2);
 *  - NXDOMAIN and NODATA kept for the negative TTL the resolver computed from
 *    the SOA (RFC 2308 §5: min(SOA TTL, SOA MINIMUM)); an answer with TTL 0
 *    (a negative answer with no SOA, RFC 2308 §5 last paragraph) is not kept;
 *  - names compared case-insensitively (RFC 4343): the key is the lower-cased
 *    wire name with type and class.
 *
 * Design: BIMI_DNS_CACHE_STRIPES stripes chosen by the key's hash, each a
 * GHashTable under its own pthread mutex (GLib's futex locks are invisible to
 * ThreadSanitizer, which runs tests/test-cache-dns.c), plus a FIFO of its entries (embedded
 * links: no allocation to queue). A stripe holds at most max_entries/STRIPES
 * answers and max_bytes/STRIPES bytes; to make room the oldest entries go
 * first. An entry past its TTL is dropped when it is met. A hit copies the
 * answer struct and its two names and takes a reference on the records
 * array: the records are never changed once cached, so callers share them.
 *
 * Deliberate choices:
 *  - A hit carries the TTL the answer was received with, not the time left
 *    (as its records do: they are shared): decisions built from the same
 *    answers stay byte-identical from one second to the next (the service's
 *    ETags, the record cache's entries). The answer itself is never served
 *    past its expiry; a cache built on top may keep what it derived up to
 *    one TTL longer than the DNS data lives.
 *  - Temperror is never kept (RFC 2308 §7.1 allows up to five minutes; a
 *    mail verdict is better asked again than pinned to a transient failure).
 *  - First in, first out rather than least recently used: a hit then only
 *    reads the stripe, and answers expire by TTL anyway.
 */
#include "engine/dns-private.h"
#include "engine/base/base-mem.h"

#include <pthread.h>
#include <string.h>

/* Fixed bytes counted per entry besides names and RDATA: the entry, the
 * hash-table slot, the answer and record structs. */
#define ENTRY_OVERHEAD 256u
#define RECORD_OVERHEAD 96u

typedef struct {
  guint32 hash;
  guint16 type;
  guint16 klass;
  guint8 len;
  const guint8 *wire; /* lower case */
} Key;

typedef struct {
  Key key;             /* first: the hash table's key is &entry->key */
  GList link;          /* in the stripe's FIFO; data = the entry */
  gint64 expires_us;
  guint32 ttl;         /* as received */
  gsize bytes;
  BimiDnsStatus status;
  char *qname;
  char *canonical_name;
  GPtrArray *records;  /* shared with every copy handed out */
  guint8 wire[];
} Entry;

typedef struct {
  pthread_mutex_t lock;
  GHashTable *table;   /* Key* → Entry* */
  GQueue fifo;         /* oldest at the head */
  gsize bytes;
  guint64 hits, misses, insertions, evictions, expirations;
} Stripe;

struct _BimiDnsCache {
  guint max_entries;   /* per stripe */
  gsize max_bytes;     /* per stripe */
  Stripe stripes[BIMI_DNS_CACHE_STRIPES];
};

/* FNV-1a over the lower-cased name, type and class. */
static void
key_init(Key *k, guint8 *lower, const BimiDnsName *name, BimiDnsType type)
{
  guint32 h = 2166136261u;
  for (gsize i = 0; i < name->len; i++) {
    lower[i] = (guint8) g_ascii_tolower((gchar) name->wire[i]);
    h = (h ^ lower[i]) * 16777619u;
  }
  h = (h ^ (guint32) type) * 16777619u;
  k->hash = h ^ (h >> 15);
  k->type = (guint16) type;
  k->klass = 1; /* IN */
  k->len = (guint8) name->len;
  k->wire = lower;
}

static guint
key_hash(gconstpointer p)
{
  return ((const Key *) p)->hash;
}

static gboolean
key_equal(gconstpointer pa, gconstpointer pb)
{
  const Key *a = pa, *b = pb;
  return a->hash == b->hash && a->type == b->type && a->klass == b->klass && a->len == b->len &&
         memcmp(a->wire, b->wire, a->len) == 0;
}

static Stripe *
stripe_of(BimiDnsCache *cache, const Key *k)
{
  return &cache->stripes[(k->hash >> 8) % BIMI_DNS_CACHE_STRIPES];
}

static void
entry_free(Entry *e)
{
  BIMI_FREE_ALL(e->qname, e->canonical_name);
  BIMI_DNS__SHARED_UNREF_FENCE(e->records);
  g_ptr_array_unref(e->records);
  g_free(e);
}

/* Unlinks and frees @e; the stripe lock is held. */
static void
stripe_drop(Stripe *s, Entry *e)
{
  g_hash_table_remove(s->table, &e->key);
  g_queue_unlink(&s->fifo, &e->link);
  s->bytes -= e->bytes;
  entry_free(e);
}

BimiDnsCache *
bimi_dns__cache_new(guint max_entries, gsize max_bytes)
{
  BimiDnsCache *cache = g_new0(BimiDnsCache, 1);

  cache->max_entries = MAX(max_entries / BIMI_DNS_CACHE_STRIPES, 1u);
  cache->max_bytes = MAX(max_bytes / BIMI_DNS_CACHE_STRIPES, (gsize) ENTRY_OVERHEAD);
  for (guint i = 0; i < BIMI_DNS_CACHE_STRIPES; i++) {
    pthread_mutex_init(&cache->stripes[i].lock, NULL);
    cache->stripes[i].table = g_hash_table_new(key_hash, key_equal);
    g_queue_init(&cache->stripes[i].fifo);
  }
  return cache;
}

static void
stripe_clear(Stripe *s)
{
  GList *l;
  while ((l = s->fifo.head) != NULL)
    stripe_drop(s, l->data);
}

BIMI_DEFINE_FREE_FUNC(BimiDnsCache, bimi_dns__cache_free, cache)
{
  for (guint i = 0; i < BIMI_DNS_CACHE_STRIPES; i++) {
    stripe_clear(&cache->stripes[i]);
    g_hash_table_unref(cache->stripes[i].table);
    pthread_mutex_destroy(&cache->stripes[i].lock);
  }
}

void
bimi_dns__cache_clear(BimiDnsCache *cache)
{
  for (guint i = 0; i < BIMI_DNS_CACHE_STRIPES; i++) {
    pthread_mutex_lock(&cache->stripes[i].lock);
    stripe_clear(&cache->stripes[i]);
    pthread_mutex_unlock(&cache->stripes[i].lock);
  }
}

/* The fresh entry for @k, dropping it when expired; the stripe lock is held. */
static Entry *
stripe_find(Stripe *s, const Key *k, gint64 now_us)
{
  Entry *e = g_hash_table_lookup(s->table, k);
  if (e != NULL && e->expires_us <= now_us) {
    stripe_drop(s, e);
    s->expirations++;
    e = NULL;
  }
  return e;
}

BimiDnsAnswer *
bimi_dns__cache_lookup(BimiDnsCache *cache, const BimiDnsName *qname, BimiDnsType type, gint64 now_us)
{
  guint8 lower[BIMI_DNS__MAX_WIRE_NAME];
  BimiDnsAnswer *answer = NULL;
  Stripe *s;
  Entry *e;
  Key k;

  key_init(&k, lower, qname, type);
  s = stripe_of(cache, &k);
  pthread_mutex_lock(&s->lock);
  e = stripe_find(s, &k, now_us);
  if (e != NULL) {
    answer = g_new0(BimiDnsAnswer, 1);
    answer->qname = g_strdup(e->qname);
    answer->type = type;
    answer->status = e->status;
    answer->ttl = e->ttl;
    answer->canonical_name = g_strdup(e->canonical_name);
    answer->records = g_ptr_array_ref(e->records);
    s->hits++;
  } else {
    s->misses++;
  }
  pthread_mutex_unlock(&s->lock);
  return answer;
}

gboolean
bimi_dns__cache_contains(BimiDnsCache *cache, const BimiDnsName *qname, BimiDnsType type, gint64 now_us)
{
  guint8 lower[BIMI_DNS__MAX_WIRE_NAME];
  gboolean found;
  Stripe *s;
  Key k;

  key_init(&k, lower, qname, type);
  s = stripe_of(cache, &k);
  pthread_mutex_lock(&s->lock);
  found = stripe_find(s, &k, now_us) != NULL;
  pthread_mutex_unlock(&s->lock);
  return found;
}

gsize
bimi_dns__cache_answer_bytes(const BimiDnsAnswer *answer)
{
  gsize n = ENTRY_OVERHEAD + 2 * (strlen(answer->qname) + 1); /* wire key and text */

  if (answer->canonical_name != NULL)
    n += strlen(answer->canonical_name) + 1;
  for (guint i = 0; answer->records != NULL && i < answer->records->len; i++) {
    const BimiDnsRecord *rec = answer->records->pdata[i];
    n += RECORD_OVERHEAD;
    if (rec->text != NULL)
      n += 2 * g_bytes_get_size(rec->text); /* joined, and the strings one by one */
    if (rec->name != NULL)
      n += strlen(rec->name) + 1;
    if (rec->address != NULL)
      n += 64;
  }
  return n;
}

void
bimi_dns__cache_insert(BimiDnsCache *cache, const BimiDnsName *qname, const BimiDnsAnswer *answer, gint64 now_us)
{
  guint8 lower[BIMI_DNS__MAX_WIRE_NAME];
  gsize bytes;
  Stripe *s;
  Entry *e, *old;
  Key k;

  if (answer->status == BIMI_DNS_TEMPERROR || answer->ttl == 0 || answer->records == NULL)
    return;
  bytes = bimi_dns__cache_answer_bytes(answer);
  if (bytes > cache->max_bytes)
    return;
  key_init(&k, lower, qname, answer->type);

  e = g_malloc0(sizeof *e + k.len);
  memcpy(e->wire, lower, k.len);
  e->key = k;
  e->key.wire = e->wire;
  e->link.data = e;
  e->expires_us = now_us + (gint64) answer->ttl * G_USEC_PER_SEC;
  e->ttl = answer->ttl;
  e->bytes = bytes;
  e->status = answer->status;
  e->qname = g_strdup(answer->qname);
  e->canonical_name = g_strdup(answer->canonical_name);
  e->records = g_ptr_array_ref(answer->records);

  s = stripe_of(cache, &k);
  pthread_mutex_lock(&s->lock);
  old = g_hash_table_lookup(s->table, &k);
  if (old != NULL)
    stripe_drop(s, old);
  while (s->fifo.length > 0 && (s->fifo.length >= cache->max_entries || s->bytes + bytes > cache->max_bytes)) {
    stripe_drop(s, s->fifo.head->data);
    s->evictions++;
  }
  g_hash_table_insert(s->table, &e->key, e);
  g_queue_push_tail_link(&s->fifo, &e->link);
  s->bytes += bytes;
  s->insertions++;
  pthread_mutex_unlock(&s->lock);
}

void
bimi_dns__cache_get_stats(BimiDnsCache *cache, BimiDnsCacheStats *out)
{
  memset(out, 0, sizeof *out);
  for (guint i = 0; i < BIMI_DNS_CACHE_STRIPES; i++) {
    Stripe *s = &cache->stripes[i];
    pthread_mutex_lock(&s->lock);
    out->hits += s->hits;
    out->misses += s->misses;
    out->insertions += s->insertions;
    out->evictions += s->evictions;
    out->expirations += s->expirations;
    out->entries += s->fifo.length;
    out->bytes += s->bytes;
    pthread_mutex_unlock(&s->lock);
  }
}
