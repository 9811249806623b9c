/* tests/test-util.c — engine/util: the bounded whole-file reader. */
#include "engine/util.h"
#include "tests/lib/outcome.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

/* A temporary file of @size bytes ('a' repeated); the path is returned. */
static char *
temp_file(gsize size)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp("bimi-util-XXXXXX", &path, &error);
  g_autofree char *data = g_malloc(size + 1);

  g_assert_no_error(error);
  memset(data, 'a', size);
  g_assert_cmpint(write(fd, data, size), ==, (gssize) size);
  close(fd);
  return path;
}

/* Exactly the limit is read, one byte more is refused, whatever the size. */
static void
test_limit(void)
{
  static const gsize limits[] = { 0, 1, 10, 65535, 65536, 65537, 200000 };
  for (gsize i = 0; i < G_N_ELEMENTS(limits); i++) {
    g_autofree char *at = temp_file(limits[i]);
    g_autofree char *over = temp_file(limits[i] + 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) ok = bimi_util_read_file(at, limits[i], &error);
    g_autoptr(GBytes) bad = NULL;
    g_autofree char *limit_text = g_strdup_printf("more than %" G_GSIZE_FORMAT " bytes", limits[i]);

    g_assert_no_error(error);
    g_assert_cmpuint(g_bytes_get_size(ok), ==, limits[i]);
    if (limits[i] > 0)
      g_assert_cmpint(((const char *) g_bytes_get_data(ok, NULL))[limits[i] - 1], ==, 'a');
    bad = bimi_util_read_file(over, limits[i], &error);
    bimi_test_expect_refused(bad, error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, over);
    g_assert_nonnull(strstr(error->message, limit_text));
    g_unlink(at);
    g_unlink(over);
  }
}

/* bimi_util_read_file(@path, @limit) refuses with G_FILE_ERROR @code, a message naming @needle. */
static void
assert_read_refused(const char *path, gsize limit, gint code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = bimi_util_read_file(path, limit, &error);
  bimi_test_expect_refused(b, error, G_FILE_ERROR, code, needle);
}

/* Devices report st_size 0: the limit must hold on the bytes read. */
static void
test_dev_zero(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;

  assert_read_refused("/dev/zero", 4096, G_FILE_ERROR_NOSPC, "/dev/zero: more than 4096 bytes");
  b = bimi_util_read_file("/dev/null", 4096, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_bytes_get_size(b), ==, 0);
}

typedef struct {
  char *path;
  gsize n;
} Writer;

static gpointer
fifo_writer(gpointer data)
{
  Writer *w = data;
  int fd = open(w->path, O_WRONLY);
  char chunk[1000];
  gsize done = 0;
  memset(chunk, 'f', sizeof chunk);
  g_assert_cmpint(fd, >=, 0);
  while (done < w->n) {
    gssize n = write(fd, chunk, MIN(sizeof chunk, w->n - done));
    if (n <= 0)
      break; /* the reader stopped and closed: EPIPE (SIGPIPE is ignored) */
    done += (gsize) n;
  }
  close(fd);
  return NULL;
}

/* A FIFO: a short stream is read whole, a long one refused once past the limit. */
static void
test_fifo(void)
{
  g_autofree char *dir = g_dir_make_tmp("bimi-util-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "fifo", NULL);
  static const struct { gsize n; gboolean ok; } cases[] = { { 5000, TRUE }, { 5001, FALSE }, { 1000000, FALSE } };

  g_assert_nonnull(dir);
  g_assert_cmpint(mkfifo(path, 0600), ==, 0);
  signal(SIGPIPE, SIG_IGN);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    Writer w = { path, cases[i].n };
    GThread *t = g_thread_new("writer", fifo_writer, &w);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = bimi_util_read_file(path, 5000, &error);
    g_thread_join(t);
    if (cases[i].ok) {
      g_assert_no_error(error);
      g_assert_cmpuint(g_bytes_get_size(b), ==, cases[i].n);
    } else {
      g_assert_null(b);
      g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
    }
  }
  g_unlink(path);
  g_rmdir(dir);
}

static void
test_fd(void)
{
  g_autofree char *path = temp_file(300);
  int fd = open(path, O_RDONLY);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;

  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(lseek(fd, 100, SEEK_SET), ==, 100);
  b = bimi_util_read_fd(fd, "stdin", 200, &error); /* from the current position */
  g_assert_no_error(error);
  g_assert_cmpuint(g_bytes_get_size(b), ==, 200);
  g_clear_pointer(&b, g_bytes_unref);
  g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
  b = bimi_util_read_fd(fd, "stdin", 299, &error);
  bimi_test_expect_refused(b, error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, NULL);
  g_assert_cmpstr(error->message, ==, "stdin: more than 299 bytes");
  close(fd);
  g_unlink(path);
}

static void
test_errors(void)
{
  assert_read_refused("/nonexistent/file", 10, G_FILE_ERROR_NOENT, "/nonexistent/file");
  assert_read_refused("tests", 10, G_FILE_ERROR_ISDIR, "tests");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/util/read-file/limit", test_limit);
  g_test_add_func("/util/read-file/dev-zero", test_dev_zero);
  g_test_add_func("/util/read-file/fifo", test_fifo);
  g_test_add_func("/util/read-file/fd", test_fd);
  g_test_add_func("/util/read-file/errors", test_errors);
  return g_test_run();
}
