/* tests/lib/data.c — see data.h. */
#include "tests/lib/data.h"

#include <stdio.h>
#include <stdlib.h>

const char *
bimi_test_upstream_dir(void)
{
  const char *env = g_getenv("BIMI_UPSTREAM_DIR");
  const char *dir = env != NULL && *env != '\0' ? env : "../shared/upstream";

  if (!g_file_test(dir, G_FILE_TEST_IS_DIR) && g_getenv("BIMI_ALLOW_MISSING_UPSTREAM") == NULL) {
    /* One line TAP understands, instead of a GLib assertion deep in a suite. */
    g_autofree char *abs = g_canonicalize_filename(dir, NULL);
    printf("Bail out! upstream test data missing: %s is not a directory%s. It is the project's shared/upstream "
           "(third-party suites, data only), checked out next to the repository; or set "
           "BIMI_UPSTREAM_DIR=/path/to/shared/upstream\n", abs, env != NULL ? " (from BIMI_UPSTREAM_DIR)" : "");
    fflush(stdout);
    exit(1);
  }
  return dir;
}

GBytes *
bimi_test_read_bytes(const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents(path, &contents, &len, &error))
    g_error("%s", error->message);
  return g_bytes_new_take(contents, len);
}

char *
bimi_test_upstream_path(const char *rel)
{
  const char *dir = bimi_test_upstream_dir();
  return g_build_filename(dir != NULL ? dir : "../shared/upstream", rel, NULL);
}

GBytes *
bimi_test_read_upstream(const char *rel)
{
  g_autofree char *path = bimi_test_upstream_path(rel);
  return bimi_test_read_bytes(path);
}

void
bimi_test_missing_suite(gconstpointer why)
{
  if (g_getenv("BIMI_ALLOW_MISSING_UPSTREAM") != NULL) {
    g_test_skip(why);
    return;
  }
  g_test_message("%s (set BIMI_ALLOW_MISSING_UPSTREAM=1 to skip)", (const char *) why);
  g_test_fail();
}

BimiDnsAnswer *
bimi_test_lookup(BimiDnsResolver *r, const char *name, BimiDnsType type)
{
  g_autoptr(GError) error = NULL;
  BimiDnsAnswer *a = bimi_dns_lookup(r, name, type, &error);

  g_assert_no_error(error);
  g_assert_nonnull(a);
  return a;
}

BimiDnsResolver *
bimi_test_resolver_new(const BimiDnsConfig *config)
{
  g_autoptr(GError) error = NULL;
  BimiDnsResolver *r = bimi_dns_resolver_new(config, &error);

  g_assert_no_error(error);
  g_assert_nonnull(r);
  return r;
}

BimiDnsResolver *
bimi_test_resolver_zone_files(const char *const *zones, const char *const *fault_names)
{
  BimiDnsConfig config = { 0 };

  config.zone_files = zones;
  config.fault_names = fault_names;
  return bimi_test_resolver_new(&config);
}

BimiDnsResolver *
bimi_test_resolver_zone_text(const char *zone_text, gsize len, const char *name)
{
  BimiDnsConfig config = { .offline = TRUE };
  g_autoptr(GError) error = NULL;
  BimiDnsResolver *r = bimi_test_resolver_new(&config);

  if (zone_text != NULL) {
    bimi_dns_resolver_add_zone_data(r, zone_text, len, name, NULL, &error);
    g_assert_no_error(error);
  }
  return r;
}

gint64
bimi_test_sqlite_int(sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  gint64 v;

  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

char *
bimi_test_sqlite_text(sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  char *v;

  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  v = g_strdup((const char *) sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return v;
}

GStrv
bimi_test_json_txt_records(JsonObject *types)
{
  g_autoptr(GStrvBuilder) out = g_strv_builder_new();

  if (json_object_has_member(types, "TXT")) {
    JsonArray *rrs = json_object_get_array_member(types, "TXT");
    for (guint i = 0; i < json_array_get_length(rrs); i++) {
      JsonArray *strings = json_array_get_array_element(rrs, i);
      g_autoptr(GString) joined = g_string_new(NULL);
      for (guint k = 0; k < json_array_get_length(strings); k++)
        g_string_append(joined, json_array_get_string_element(strings, k));
      g_strv_builder_add(out, joined->str);
    }
  }
  return g_strv_builder_end(out);
}

char *
bimi_test_nested(const char *before, const char *open, guint depth, const char *inner, const char *close,
                 const char *after)
{
  GString *s = g_string_new(before);

  for (guint i = 0; i < depth; i++)
    g_string_append(s, open);
  g_string_append(s, inner);
  for (guint i = 0; i < depth; i++)
    g_string_append(s, close);
  g_string_append(s, after);
  return g_string_free(s, FALSE);
}

char *
bimi_test_longest_name(char last)
{
  g_autofree char *l63 = g_strnfill(63, 'a');
  g_autofree char *l61 = g_strnfill(61, last);

  return g_strdup_printf("%s.%s.%s.%s", l63, l63, l63, l61);
}
