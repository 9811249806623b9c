/* engine/util.c — bounded whole-file reads (see engine/util.h).
 *
 * No RFC: this is plumbing. Deliberate choice: the size limit is enforced on
 * the bytes read, not on fstat()'s st_size, which is 0 for devices, FIFOs
 * and /proc files and may change while the file is read; st_size is only
 * a hint for the first allocation.
 */
#include "engine/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* Bytes asked of one read(): small enough that the buffer never outgrows
 * the limit by much, large enough that a big file costs few calls. */
#define READ_CHUNK (64u * 1024u)

static void
set_errno_error(GError **error, int errsv, const char *what, const char *name)
{
  g_autofree char *shown = g_filename_display_name(name);
  g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv), "%s: %s: %s", shown, what, g_strerror(errsv));
}

GBytes *
bimi_util_read_fd(int fd, const char *name, gsize max_bytes, GError **error)
{
  g_autofree guint8 *buf = NULL;
  gsize len = 0, cap;
  struct stat st;

  g_return_val_if_fail(fd >= 0, NULL);
  g_return_val_if_fail(name != NULL, NULL);
  g_return_val_if_fail(max_bytes < G_MAXSIZE, NULL);

  /* Room for max_bytes + 1 at most: the one extra byte proves "too large". */
  cap = READ_CHUNK;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    cap = (guint64) st.st_size < max_bytes ? (gsize) st.st_size + 1 : max_bytes + 1;
  cap = MIN(cap, max_bytes + 1);
  buf = g_malloc(cap > 0 ? cap : 1);

  for (;;) {
    gssize n;
    if (len == cap) {
      /* full: grow by doubling, never beyond max_bytes + 1 */
      gsize grown = cap <= (max_bytes + 1) / 2 ? cap * 2 : max_bytes + 1;
      if (grown == cap)
        break; /* len == max_bytes + 1: too large, reported below */
      buf = g_realloc(buf, grown);
      cap = grown;
    }
    n = read(fd, buf + len, MIN(cap - len, (gsize) G_MAXSSIZE));
    if (n < 0) {
      int errsv = errno;
      if (errsv == EINTR)
        continue;
      set_errno_error(error, errsv, "cannot read", name);
      return NULL;
    }
    if (n == 0)
      break;
    len += (gsize) n;
  }
  if (len > max_bytes) {
    g_autofree char *shown = g_filename_display_name(name);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "%s: more than %" G_GSIZE_FORMAT " bytes", shown,
                max_bytes);
    return NULL;
  }
  return g_bytes_new_take(g_steal_pointer(&buf), len);
}

GBytes *
bimi_util_read_file(const char *path, gsize max_bytes, GError **error)
{
  GBytes *bytes;
  int fd;

  g_return_val_if_fail(path != NULL, NULL);
  do
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    set_errno_error(error, errno, "cannot open", path);
    return NULL;
  }
  bytes = bimi_util_read_fd(fd, path, max_bytes, error);
  (void) close(fd);
  return bytes;
}
