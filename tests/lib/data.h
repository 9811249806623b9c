/* tests/lib/data.h — test data in: files as bytes, and resolvers over zone files
 * or zone text (linked into every test binary; see the Makefile's TEST_SUPPORT).
 */
#ifndef BIMI_TESTS_LIB_DATA_H
#define BIMI_TESTS_LIB_DATA_H

#include <glib.h>
#include "engine/dns.h"
#include <json-glib/json-glib.h>
#include <sqlite3.h>

/** Registers one GTest per element of the static array @cases (each a struct whose `path` member is the
 * test path), calling @func (a GTestDataFunc) with a pointer to that element: a table-driven test. */
#define BIMI_TEST_ADD_CASES(cases, func)                                    \
  for (gsize bimi_test_i_ = 0; bimi_test_i_ < G_N_ELEMENTS(cases); bimi_test_i_++) \
    g_test_add_data_func((cases)[bimi_test_i_].path, &(cases)[bimi_test_i_], (func))

/** Like BIMI_TEST_ADD_CASES for a table whose elements have a `name` member instead of a path: each
 * test's path is @prefix followed by that name. */
#define BIMI_TEST_ADD_NAMED_CASES(prefix, cases, func)                                        \
  for (gsize bimi_test_i_ = 0; bimi_test_i_ < G_N_ELEMENTS(cases); bimi_test_i_++) {          \
    g_autofree char *bimi_test_path_ = g_strconcat((prefix), (cases)[bimi_test_i_].name, NULL); \
    g_test_add_data_func(bimi_test_path_, &(cases)[bimi_test_i_], (func));                   \
  }

/** The whole file at @path (relative to the repository root, where tests run).
 * Aborts the test (g_error, naming the file) when it cannot be read. (transfer full) */
GBytes *bimi_test_read_bytes(const char *path);

/** The directory of the upstream test suites: $BIMI_UPSTREAM_DIR, else ../shared/upstream
 * (relative to the repository root, where tests run). When it is missing, prints one
 * "Bail out!" line naming it and how to get it, and exits 1 (unless
 * BIMI_ALLOW_MISSING_UPSTREAM is set: the suites that allow it skip). (transfer none) */
const char *bimi_test_upstream_dir(void);

/** @rel under bimi_test_upstream_dir() (../shared/upstream where that may be missing). (transfer full) */
char *bimi_test_upstream_path(const char *rel);

/** The whole upstream file @rel (bimi_test_upstream_path()); aborts the test, naming it, when it
 * cannot be read. (transfer full) */
GBytes *bimi_test_read_upstream(const char *rel);

/** The test of a suite whose upstream files are missing (a GTestDataFunc; @why: a string saying
 * what is missing): skipped when BIMI_ALLOW_MISSING_UPSTREAM is set, else a failure. */
void bimi_test_missing_suite(gconstpointer why);

/** bimi_dns_resolver_new(@config), asserting that it builds. (transfer full) */
BimiDnsResolver *bimi_test_resolver_new(const BimiDnsConfig *config);

/** A resolver answering only from the zone files @zones (NULL-terminated), with
 * @fault_names (NULL-terminated, may be NULL) timing out. Asserts it builds. (transfer full) */
BimiDnsResolver *bimi_test_resolver_zone_files(const char *const *zones, const char *const *fault_names);

/** An offline resolver answering only from @zone_text (@len bytes; NULL: no data),
 * loaded under the file name @name (error messages cite it). Asserts it builds. (transfer full) */
BimiDnsResolver *bimi_test_resolver_zone_text(const char *zone_text, gsize len, const char *name);

/** The longest DNS name in text form (RFC 1035 §2.3.4: 255 octets on the wire, 253 characters
 * without the root's dot): three 63-octet labels of 'a' and one 61-octet label of @last. (transfer full) */
char *bimi_test_longest_name(char last);

/** Nested text for the depth limits: @before, then @open @depth times, @inner, @close
 * @depth times, and @after (e.g. "mx " "((" "" "))" "; none"). (transfer full) */
char *bimi_test_nested(const char *before, const char *open, guint depth, const char *inner, const char *close,
                       const char *after);

/** The TXT records of one owner name in the upstream suites' JSON zones ({"TXT": [["part", ...], ...],
 * "A": ...}): each record's character-strings joined into one string (RFC 6376 §3.6.2.2, RFC 7208 §3.3),
 * in order; none when @types has no TXT member. (transfer full) */
GStrv bimi_test_json_txt_records(JsonObject *types);

/** bimi_dns_lookup(@r, @name, @type), asserting that it answers (any status) without a GError. (transfer full) */
BimiDnsAnswer *bimi_test_lookup(BimiDnsResolver *r, const char *name, BimiDnsType type);

/** The first column of the first row of @sql on @db, as an integer; asserts that @sql
 * prepares and returns a row (the report database tests). */
gint64 bimi_test_sqlite_int(sqlite3 *db, const char *sql);

/** The first column of the first row of @sql on @db, as a string (NULL for SQL NULL);
 * asserts that @sql prepares and returns a row. (transfer full) */
char *bimi_test_sqlite_text(sqlite3 *db, const char *sql);

#endif /* BIMI_TESTS_LIB_DATA_H */
