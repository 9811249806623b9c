/* tests/lib/files.c — see files.h. */
#include "tests/lib/files.h"

#include <unistd.h>

char *
bimi_test_sparse_file(const char *tmpl, gsize size)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp(tmpl, &path, &error);

  g_assert_no_error(error);
  g_assert_cmpint(ftruncate(fd, (off_t) size), ==, 0);
  close(fd);
  return path;
}

JsonParser *
bimi_test_load_json(const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_file(parser, path, &error))
    g_error("%s: %s", path, error->message);
  return g_steal_pointer(&parser);
}
