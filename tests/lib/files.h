/* tests/lib/files.h — files the tests make or read: scratch files for the size limits on files read
 * (BIMI_MAX_CONFIG_BYTES, BIMI_MAX_ZONE_FILE_BYTES, BIMI_MAX_MESSAGE_BYTES), JSON test data.
 */
#ifndef BIMI_TESTS_LIB_FILES_H
#define BIMI_TESTS_LIB_FILES_H

#include <glib.h>
#include <json-glib/json-glib.h>

/** A new temporary file (g_file_open_tmp() with @tmpl, e.g. "bimi-config-XXXXXX") of @size bytes that
 * reads as NULs: sparse, so a file over a limit costs no disk. Asserts that it is made; the caller
 * removes it (g_unlink). Returns its path. (transfer full) */
char *bimi_test_sparse_file(const char *tmpl, gsize size);

/** The JSON file at @path (relative to the repository root, where tests run; e.g. from
 * bimi_test_upstream_path()), parsed. Aborts the test (g_error, naming the file and why) when it cannot
 * be read or parsed. (transfer full) */
JsonParser *bimi_test_load_json(const char *path);

#endif /* BIMI_TESTS_LIB_FILES_H */
