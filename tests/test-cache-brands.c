/* tests/test-cache-brands.c — cache/brands (issue 19): the brand registry learns brands,
 * forgets them at their notAfter (explicit "now"), keeps at most max_learned (the brand
 * expiring first goes), shares them through a record-cache backend (two registries on one
 * memory backend stand for two nodes on one Redis), heals a lost or invalid shared value,
 * and keeps the operator's brands for good.
 */
#include "cache/brands.h"
#include "engine/limits.h"

#include <string.h>

#define T0 ((gint64) 1780272000) /* 2026-06-01T00:00:00Z */

static BimiCautionBrand *
learned(const char *name, const char *record_domain, gint64 not_after)
{
  const char *const domains[] = { record_domain, NULL };
  BimiCautionBrand *b = bimi_caution_brand_new(name, domains, NULL);

  g_assert_nonnull(b);
  b->source = BIMI_CAUTION_SOURCE_VMC;
  b->record_domain = g_strdup(record_domain);
  b->not_after = not_after;
  return b;
}

static const BimiCautionOptions options = { BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH, 1, NULL };

/* Whether the registry's set at @now flags "@name" <x@unrelated.example>. */
static gboolean
flags(BimiBrandRegistry *r, const char *name, gint64 now)
{
  g_autoptr(BimiCautionSet) set = bimi_brand_registry_get_set(r, now);
  g_autoptr(BimiCautionMatch) m = bimi_caution_check(set, name, "unrelated.example", TRUE);

  return m != NULL;
}

static void
test_learn_and_expire(void)
{
  g_autoptr(BimiBrandRegistry) r = bimi_brand_registry_new(NULL, &options, NULL, 10, NULL);
  g_autoptr(BimiCautionBrand) acme = learned("Acme Rockets", "vmc.demo.test", T0 + 3600);
  g_autoptr(BimiCautionBrand) later = learned("Acme Rockets", "vmc.demo.test", T0 + 7200);
  g_autoptr(BimiCautionBrand) expired = learned("Old Brand", "old.demo.test", T0);
  BimiBrandRegistryStats s;

  g_assert_false(flags(r, "Acme Rockets", T0));
  g_assert_true(bimi_brand_registry_learn(r, acme, T0));
  g_assert_false(bimi_brand_registry_learn(r, acme, T0)); /* nothing new */
  g_assert_false(bimi_brand_registry_learn(r, expired, T0)); /* already expired */
  g_assert_true(flags(r, "Acme Rockets", T0));
  g_assert_true(flags(r, "Acme Rockets", T0 + 3599));
  g_assert_false(flags(r, "Acme Rockets", T0 + 3600)); /* forgotten at the notAfter */
  bimi_brand_registry_get_stats(r, &s);
  g_assert_cmpuint(s.learned_brands, ==, 0);
  g_assert_cmpuint(s.expired, ==, 1);
  /* a renewal: learned again, until the new notAfter */
  g_assert_true(bimi_brand_registry_learn(r, acme, T0 + 10));
  g_assert_true(bimi_brand_registry_learn(r, later, T0 + 10));
  g_assert_false(bimi_brand_registry_learn(r, acme, T0 + 10)); /* an older certificate does not replace it */
  g_assert_true(flags(r, "Acme Rockets", T0 + 7000));
  g_assert_false(flags(r, "Acme Rockets", T0 + 7200));
}

static void
test_bound(void)
{
  g_autoptr(BimiBrandRegistry) r = bimi_brand_registry_new(NULL, &options, NULL, 2, NULL);
  g_autoptr(BimiCautionBrand) a = learned("Alpha Rockets", "alpha.example", T0 + 300);
  g_autoptr(BimiCautionBrand) b = learned("Bravo Rockets", "bravo.example", T0 + 100);
  g_autoptr(BimiCautionBrand) c = learned("Charlie Rockets", "charlie.example", T0 + 200);
  BimiBrandRegistryStats s;

  g_assert_true(bimi_brand_registry_learn(r, a, T0));
  g_assert_true(bimi_brand_registry_learn(r, b, T0));
  g_assert_true(bimi_brand_registry_learn(r, c, T0));
  bimi_brand_registry_get_stats(r, &s);
  g_assert_cmpuint(s.learned_brands, ==, 2);
  g_assert_cmpuint(s.evicted, ==, 1);
  g_assert_true(flags(r, "Alpha Rockets", T0));
  g_assert_false(flags(r, "Bravo Rockets", T0)); /* the one expiring first went */
  g_assert_true(flags(r, "Charlie Rockets", T0));
}

/* BIMI_BRAND_REGISTRY_MAX_LEARNED is the largest max_learned accepted, and it is held. */
static void
test_max_learned_limit(void)
{
  g_autoptr(BimiBrandRegistry) r = bimi_brand_registry_new(NULL, &options, NULL, BIMI_BRAND_REGISTRY_MAX_LEARNED, NULL);
  BimiBrandRegistryStats s;

  for (guint i = 0; i <= BIMI_BRAND_REGISTRY_MAX_LEARNED; i++) {
    g_autofree char *name = g_strdup_printf("Brand%u Rockets", i);
    g_autofree char *domain = g_strdup_printf("b%u.example", i);
    g_autoptr(BimiCautionBrand) b = learned(name, domain, T0 + 1000 + i);
    bimi_brand_registry_learn(r, b, T0);
  }
  bimi_brand_registry_get_stats(r, &s);
  g_assert_cmpuint(s.learned_brands, ==, BIMI_BRAND_REGISTRY_MAX_LEARNED);
  g_assert_cmpuint(s.evicted, ==, 1);
  {
    gint64 t = g_get_monotonic_time();
    g_assert_false(flags(r, "Brand0 Rockets", T0));
    g_test_message("a set of %u learned brands built and checked in %.1f ms", BIMI_BRAND_REGISTRY_MAX_LEARNED,
                   (double) (g_get_monotonic_time() - t) / 1000.0);
    {
      g_autoptr(BimiCautionSet) set = bimi_brand_registry_get_set(r, T0);
      t = g_get_monotonic_time();
      for (guint i = 0; i < 200; i++) {
        g_autoptr(BimiCautionMatch) m = bimi_caution_check(set, "Brand1 Rockets Support", "mailer.example", TRUE);
        g_assert_nonnull(m);
      }
      g_test_message("a check against them (the set built): %.3f ms (mean of 200)",
                     (double) (g_get_monotonic_time() - t) / 1000.0 / 200);
    }
  }
  if (g_test_undefined()) {
    g_test_expect_message("bimi", G_LOG_LEVEL_CRITICAL, "*max_learned*");
    g_assert_null(bimi_brand_registry_new(NULL, &options, NULL, BIMI_BRAND_REGISTRY_MAX_LEARNED + 1, NULL));
    g_test_assert_expected_messages();
  }
}

static void
test_operator_brands(void)
{
  static const char text[] = "[Acme Rockets]\ndomains = vmc.demo.test\n";
  g_autoptr(GPtrArray) brands = bimi_caution_brands_parse(text, strlen(text), "b", BIMI_CAUTION_BRANDS_OPERATOR, NULL);
  g_autoptr(BimiBrandRegistry) r = bimi_brand_registry_new(brands, &options, NULL, 10, NULL);
  g_autoptr(BimiCautionBrand) same = learned("ACME ROCKETS", "acme.demo.test", T0 + 60);
  g_autoptr(BimiCautionSet) set = NULL;
  g_autoptr(BimiCautionMatch) m = NULL;
  BimiBrandRegistryStats s;

  g_assert_true(flags(r, "Acme Rockets", T0 + 10 * 365 * 86400)); /* never expires */
  g_assert_true(bimi_brand_registry_learn(r, same, T0));
  set = bimi_brand_registry_get_set(r, T0);
  g_assert_cmpuint(bimi_caution_set_size(set), ==, 1); /* one brand, both domains */
  m = bimi_caution_check(set, "Acme Rockets", "acme.demo.test", TRUE);
  g_assert_null(m);
  m = bimi_caution_check(set, "Acme Rockets", "acme.demo.test", FALSE);
  g_assert_nonnull(m);
  g_assert_cmpstr(m->brand, ==, "Acme Rockets"); /* the operator's spelling */
  bimi_brand_registry_get_stats(r, &s);
  g_assert_cmpuint(s.operator_brands, ==, 1);
}

static void
test_shared(void)
{
  g_autoptr(BimiRecordCacheBackend) backend = bimi_record_cache_backend_new_memory(100);
  g_autoptr(BimiBrandRegistry) node1 = bimi_brand_registry_new(NULL, &options, backend, 10, NULL);
  g_autoptr(BimiBrandRegistry) node2 = bimi_brand_registry_new(NULL, &options, backend, 10, NULL);
  g_autoptr(BimiCautionBrand) acme = learned("Acme Rockets", "vmc.demo.test", T0 + 86400);
  g_autoptr(BimiCautionBrand) bakery = learned("Bluebird Bakery", "cmc.demo.test", T0 + 86400);
  g_autoptr(GBytes) junk = g_bytes_new_static("not a registry", 14);
  BimiCacheEntry e = { 0 };
  BimiBrandRegistryStats s;

  g_assert_false(flags(node2, "Acme Rockets", T0)); /* reads the (empty) shared value now */
  g_assert_true(bimi_brand_registry_learn(node1, acme, T0));
  g_assert_false(flags(node2, "Acme Rockets", T0 + 1)); /* not before BIMI_BRAND_REGISTRY_REFRESH_S */
  g_assert_true(flags(node2, "Acme Rockets", T0 + BIMI_BRAND_REGISTRY_REFRESH_S));
  /* node2 learns another brand: the shared value is the union */
  g_assert_true(bimi_brand_registry_learn(node2, bakery, T0 + BIMI_BRAND_REGISTRY_REFRESH_S));
  g_assert_true(backend->vtable->get(backend, BIMI_BRAND_REGISTRY_KEY, (T0 + 100) * G_USEC_PER_SEC, &e));
  g_assert_nonnull(g_strstr_len(g_bytes_get_data(e.value, NULL), (gssize) g_bytes_get_size(e.value), "vmc.demo.test"));
  g_assert_nonnull(g_strstr_len(g_bytes_get_data(e.value, NULL), (gssize) g_bytes_get_size(e.value), "cmc.demo.test"));
  bimi_cache_entry_clear(&e);
  g_assert_true(flags(node1, "Bluebird Bakery", T0 + 2 * BIMI_BRAND_REGISTRY_REFRESH_S));
  /* an invalid shared value (another writer, a corrupt entry) is ignored and written again */
  g_assert_true(backend->vtable->put_with_ttl(backend, BIMI_BRAND_REGISTRY_KEY, junk, FALSE,
                                              (T0 + 200) * G_USEC_PER_SEC, 3600, 0, NULL));
  g_assert_true(flags(node1, "Acme Rockets", T0 + 4 * BIMI_BRAND_REGISTRY_REFRESH_S));
  bimi_brand_registry_get_stats(node1, &s);
  g_assert_cmpuint(s.shared_invalid, ==, 1);
  g_assert_true(backend->vtable->get(backend, BIMI_BRAND_REGISTRY_KEY, (T0 + 300) * G_USEC_PER_SEC, &e));
  g_assert_nonnull(g_strstr_len(g_bytes_get_data(e.value, NULL), (gssize) g_bytes_get_size(e.value), "vmc.demo.test"));
  bimi_cache_entry_clear(&e);
  /* a fresh node (a restart) starts from the shared value */
  {
    g_autoptr(BimiBrandRegistry) node3 = bimi_brand_registry_new(NULL, &options, backend, 10, NULL);
    g_assert_true(flags(node3, "Acme Rockets", T0 + 400));
    g_assert_true(flags(node3, "Bluebird Bakery", T0 + 400));
    g_assert_false(flags(node3, "Acme Rockets", T0 + 86400)); /* and forgets at the notAfter */
  }
}

/* The shared value stays within BIMI_CACHE_MAX_VALUE_BYTES: the brands expiring first are left out. */
static void
test_shared_value_bound(void)
{
  g_autoptr(BimiRecordCacheBackend) backend = bimi_record_cache_backend_new_memory(100);
  g_autoptr(BimiBrandRegistry) r = bimi_brand_registry_new(NULL, &options, backend, BIMI_BRAND_REGISTRY_MAX_LEARNED,
                                                           NULL);
  g_autoptr(GPtrArray) back = NULL;
  BimiCacheEntry e = { 0 };

  for (guint i = 0; i < 1500; i++) {
    g_autofree char *name = g_strdup_printf("Brand %u", i);
    g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(BimiCautionBrand) b = NULL;
    for (guint k = 0; k < 8; k++)
      g_ptr_array_add(domains, g_strdup_printf("a-rather-long-domain-name-%u-%u.example", i, k));
    g_ptr_array_add(domains, NULL);
    b = bimi_caution_brand_new(name, (const char *const *) domains->pdata, NULL);
    b->source = BIMI_CAUTION_SOURCE_CMC;
    b->record_domain = g_strdup(b->domains[0]);
    b->not_after = T0 + 1000 + i;
    bimi_brand_registry_learn(r, b, T0);
  }
  g_assert_true(flags(r, "Brand 0", T0 + 1)); /* the writes of one second go out at once */
  g_assert_true(backend->vtable->get(backend, BIMI_BRAND_REGISTRY_KEY, (T0 + 1) * G_USEC_PER_SEC, &e));
  g_assert_cmpuint(g_bytes_get_size(e.value), <=, BIMI_CACHE_MAX_VALUE_BYTES);
  back = bimi_caution_brands_parse(g_bytes_get_data(e.value, NULL), g_bytes_get_size(e.value), NULL,
                                   BIMI_CAUTION_BRANDS_REGISTRY, NULL);
  g_assert_nonnull(back);
  g_assert_cmpuint(back->len, <, 1500);
  g_assert_cmpuint(back->len, >, 100);
  for (guint i = 0; i < back->len; i++) /* the latest-expiring ones were kept */
    g_assert_cmpint(((BimiCautionBrand *) g_ptr_array_index(back, i))->not_after, >=, T0 + 1000 + 1500 - back->len);
  bimi_cache_entry_clear(&e);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache/brands/learn-and-expire", test_learn_and_expire);
  g_test_add_func("/cache/brands/bound", test_bound);
  g_test_add_func("/cache/brands/limit/max-learned", test_max_learned_limit);
  g_test_add_func("/cache/brands/operator", test_operator_brands);
  g_test_add_func("/cache/brands/shared", test_shared);
  g_test_add_func("/cache/brands/limit/shared-value", test_shared_value_bound);
  return g_test_run();
}
