/* engine/util.h — small helpers shared by the engine and the programs.
 *
 * bimi_util_read_file() is the one way a whole file is read into memory:
 * every caller names the most it will take, and the limit holds for
 * regular files, devices (/dev/zero) and FIFOs alike, because it is checked
 * against the bytes actually read, never against a size reported by stat().
 */
#ifndef BIMI_UTIL_H
#define BIMI_UTIL_H

#include <glib.h>

G_BEGIN_DECLS

/**
 * bimi_util_read_file:
 * @path: file to read (regular file, character device, FIFO...); opened
 *        read-only, never as controlling terminal
 * @max_bytes: the most bytes accepted, at most G_MAXSIZE - 1; a file of
 *        exactly @max_bytes bytes is read
 * @error: G_FILE_ERROR: _NOSPC when the file holds more than @max_bytes
 *         bytes (message "PATH: more than MAX bytes"); otherwise the code of
 *         the failing open()/read() errno (_NOENT, _ACCES, _ISDIR...), with
 *         a message naming @path
 *
 * Reads until end of file, in chunks, never holding more than
 * @max_bytes + 1 bytes: reading stops as soon as one byte more than
 * @max_bytes has been read, so an endless source (/dev/zero, a FIFO whose
 * writer does not stop) costs at most @max_bytes of memory. A FIFO blocks
 * in open() until a writer appears, as with any reader.
 *
 * Returns: (transfer full): the contents (possibly empty), or NULL with
 * @error set.
 */
GBytes *bimi_util_read_file(const char *path, gsize max_bytes, GError **error);

/**
 * bimi_util_read_fd:
 * @fd: an open file descriptor, read from its current position; not closed
 * @name: what @fd is, for messages ("stdin", a path)
 * @max_bytes: as for bimi_util_read_file()
 * @error: as for bimi_util_read_file(), messages naming @name
 *
 * The loop of bimi_util_read_file() on a descriptor the caller owns (the
 * CLI's "-" = standard input).
 *
 * Returns: (transfer full): the bytes up to end of file, or NULL with @error.
 */
GBytes *bimi_util_read_fd(int fd, const char *name, gsize max_bytes, GError **error);

G_END_DECLS

#endif /* BIMI_UTIL_H */
