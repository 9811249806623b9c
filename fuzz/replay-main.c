/* fuzz/replay-main.c — runs a libFuzzer target without libFuzzer.
 *
 * `make check` links every fuzz/fuzz-*.c with this main() and runs it: it feeds
 * each file of fuzz/corpus/<target>/ to LLVMFuzzerTestOneInput (under ASan and
 * UBSan with SANITIZE=1) and prints TAP, so seeds and regressions stay clean
 * even on machines without clang.
 */
#include "fuzz/fuzz.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

static gint
compare_names(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(const char *const *) a, *(const char *const *) b);
}

int
main(int argc, char **argv)
{
  g_autofree char *base = g_path_get_basename(argv[0]);
  g_autofree char *dir = g_build_filename("fuzz", "corpus", base, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *n;

  (void) argc;
  if (d == NULL) {
    printf("1..0 # SKIP no corpus: %s\n", error->message);
    return 0;
  }
  while ((n = g_dir_read_name(d)) != NULL)
    g_ptr_array_add(names, g_strdup(n));
  g_ptr_array_sort(names, compare_names);
  printf("1..%u\n", names->len + 1);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
    g_autofree char *contents = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &contents, &len, NULL)) {
      printf("not ok %u - read %s\n", i + 1, path);
      continue;
    }
    LLVMFuzzerTestOneInput((const uint8_t *) contents, len);
    printf("ok %u - %s\n", i + 1, path);
  }
  /* The empty input, always. */
  LLVMFuzzerTestOneInput((const uint8_t *) "", 0);
  printf("ok %u - empty input\n", names->len + 1);
  return 0;
}
