/* report/mail-source.c — streaming reader of mbox files, Maildirs and directory trees.
 *
 * mbox: RFC 4155 (application/mbox): a message starts at a line beginning with
 * "From " (the From_ line, not part of the message); the blank line before the
 * next From_ line belongs to the format and is dropped. Lines ">From ", ">>From "
 * ... lose one '>' (the mboxrd convention; an mboxo writer's ">From " cannot be
 * told apart and is unquoted the same way, which is what mutt and Dovecot do).
 * The file is read in blocks of READ_BLOCK bytes; a line is never held whole,
 * only the message being built (at most BIMI_MAIL_SOURCE_MAX_ITEM_BYTES).
 *
 * Maildir: D. J. Bernstein's maildir(5): messages are the files of new/ and cur/;
 * tmp/ is being written to and is never read.
 */
#include "report/mail-source.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/base/base-mem.h"
#include "engine/limits.h"

G_DEFINE_QUARK(bimi-mail-source-error-quark, bimi_mail_source_error)

#define READ_BLOCK (64u * 1024u)

typedef enum { SOURCE_DIR, SOURCE_MBOX } SourceKind;

typedef struct {
  SourceKind kind;
  char *path;
  /* SOURCE_DIR */
  GPtrArray *children;  /* of char*: full paths, sorted */
  guint next_child;
  guint depth;
  gboolean maildir;     /* the children are Maildir messages */
  /* SOURCE_MBOX */
  GInputStream *stream;
  GByteArray *buf;      /* read, not yet consumed */
  gboolean eof;
  gboolean at_line_start;
  guint64 line;         /* lines consumed */
  guint messages;
  gboolean started;     /* a From_ line was seen */
  guint64 consumed;     /* bytes of the stream consumed (From_ lines and separators included) */
} Source;

struct BimiMailSource {
  GPtrArray *stack;     /* of Source*: the innermost last */
  char *root;           /* the path given, when it is a single file */
  gboolean root_done;
  guint64 count;
  guint64 bytes;        /* input bytes of the items returned and of the mbox sources finished */
};

BIMI_DEFINE_FREE_FUNC(BimiMailSourceItem, bimi_mail_source_item_free, item)
{
  g_free(item->where);
  if (item->data != NULL)
    g_bytes_unref(item->data);
  g_clear_error(&item->error);
}

static void
source_free(gpointer p)
{
  Source *s = p;
  g_free(s->path);
  if (s->children != NULL)
    g_ptr_array_unref(s->children);
  if (s->stream != NULL) {
    g_input_stream_close(s->stream, NULL, NULL);
    g_object_unref(s->stream);
  }
  if (s->buf != NULL)
    g_byte_array_unref(s->buf);
  g_free(s);
}

BIMI_DEFINE_FREE_FUNC(BimiMailSource, bimi_mail_source_free, mb)
{
  g_ptr_array_unref(mb->stack);
  g_free(mb->root);
}

guint64
bimi_mail_source_count(const BimiMailSource *mb)
{
  return mb->count;
}

guint64
bimi_mail_source_bytes(const BimiMailSource *mb)
{
  guint64 n = mb->bytes;

  for (guint i = 0; i < mb->stack->len; i++) {
    const Source *s = g_ptr_array_index(mb->stack, i);
    n += s->consumed;
  }
  return n;
}

static BimiMailSourceItem *
item_new(BimiMailSourceItemKind kind, char *where)
{
  BimiMailSourceItem *item = g_new0(BimiMailSourceItem, 1);
  item->kind = kind;
  item->where = where;
  return item;
}

static void
push_mbox(BimiMailSource *mb, GInputStream *stream, const char *path)
{
  Source *s = g_new0(Source, 1);
  s->kind = SOURCE_MBOX;
  s->path = g_strdup(path);
  s->stream = g_object_ref(stream);
  s->buf = g_byte_array_new();
  s->at_line_start = TRUE;
  g_ptr_array_add(mb->stack, s);
}

static int
compare_paths(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Lists @dir (sorted, dot-files left out) and appends full paths to @out. */
static gboolean
list_dir(const char *dir, GPtrArray *out, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) d = g_dir_open(dir, 0, &local);
  if (d == NULL) {
    g_set_error(error, BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO, "%s", local->message);
    return FALSE;
  }
  guint first = out->len;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (name[0] == '.')
      continue;
    g_ptr_array_add(out, g_build_filename(dir, name, NULL));
  }
  /* Sort only what this directory added (new/ before cur/ stays). */
  if (out->len > first + 1)
    qsort(out->pdata + first, out->len - first, sizeof(gpointer), compare_paths);
  return TRUE;
}

static gboolean
is_dir(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static gboolean
is_maildir(const char *path)
{
  g_autofree char *cur = g_build_filename(path, "cur", NULL);
  g_autofree char *new_dir = g_build_filename(path, "new", NULL);
  return is_dir(cur) && is_dir(new_dir);
}

static gboolean
push_dir(BimiMailSource *mb, const char *path, guint depth, GError **error)
{
  Source *s = g_new0(Source, 1);
  s->kind = SOURCE_DIR;
  s->path = g_strdup(path);
  s->children = g_ptr_array_new_with_free_func(g_free);
  s->depth = depth;
  gboolean ok;
  if (is_maildir(path)) {
    g_autofree char *new_dir = g_build_filename(path, "new", NULL);
    g_autofree char *cur = g_build_filename(path, "cur", NULL);
    s->maildir = TRUE;
    ok = list_dir(new_dir, s->children, error) && list_dir(cur, s->children, error);
  } else {
    ok = list_dir(path, s->children, error);
  }
  if (!ok) {
    source_free(s);
    return FALSE;
  }
  g_ptr_array_add(mb->stack, s);
  return TRUE;
}

BimiMailSource *
bimi_mail_source_open(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    g_set_error(error, BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO, "%s: %s", path, g_strerror(e));
    return NULL;
  }
  BimiMailSource *mb = g_new0(BimiMailSource, 1);
  mb->stack = g_ptr_array_new_with_free_func(source_free);
  if (S_ISDIR(st.st_mode)) {
    if (!push_dir(mb, path, 0, error)) {
      bimi_mail_source_free(mb);
      return NULL;
    }
  } else if (S_ISREG(st.st_mode)) {
    mb->root = g_strdup(path);
  } else {
    g_set_error(error, BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO, "%s: not a file or directory", path);
    bimi_mail_source_free(mb);
    return NULL;
  }
  return mb;
}

BimiMailSource *
bimi_mail_source_open_mbox_stream(GInputStream *stream, const char *name)
{
  BimiMailSource *mb = g_new0(BimiMailSource, 1);
  mb->stack = g_ptr_array_new_with_free_func(source_free);
  push_mbox(mb, stream, name);
  return mb;
}

/* ---- mbox ------------------------------------------------------------------ */

/* Makes sure @s->buf holds a whole line or READ_BLOCK bytes or the rest of the
 * stream. FALSE + @error on a read error. */
static gboolean
fill(Source *s, GError **error)
{
  while (!s->eof && (s->buf->len == 0 || memchr(s->buf->data, '\n', s->buf->len) == NULL) &&
         s->buf->len < READ_BLOCK) {
    guint8 block[4096];
    gssize n = g_input_stream_read(s->stream, block, sizeof block, NULL, error);
    if (n < 0) {
      g_prefix_error(error, "%s: ", s->path);
      if (error != NULL && *error != NULL && (*error)->domain != BIMI_MAIL_SOURCE_ERROR) {
        GError *e = *error;
        *error = g_error_new_literal(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO, e->message);
        g_error_free(e);
      }
      return FALSE;
    }
    if (n == 0)
      s->eof = TRUE;
    else
      g_byte_array_append(s->buf, block, (guint) n);
  }
  return TRUE;
}

/* Appends @len bytes to @msg unless that would pass the cap (then *@oversize). */
static void
append_capped(GByteArray *msg, const guint8 *data, gsize len, gboolean *oversize)
{
  if (*oversize)
    return;
  if (len > BIMI_MAIL_SOURCE_MAX_ITEM_BYTES - msg->len) {
    *oversize = TRUE;
    return;
  }
  g_byte_array_append(msg, data, (guint) len);
}

static gboolean
mbox_next(BimiMailSource *mb, Source *s, BimiMailSourceItem **item_out, GError **error)
{
  g_autoptr(GByteArray) msg = g_byte_array_new();
  gboolean oversize = FALSE;
  gboolean have = FALSE;  /* a message is being built */
  guint64 start_line = 0;

  for (;;) {
    if (!fill(s, error))
      return FALSE;
    if (s->buf->len == 0)
      break;  /* end of stream */
    guint8 *nl = memchr(s->buf->data, '\n', s->buf->len);
    gsize len = nl != NULL ? (gsize) (nl - s->buf->data) + 1 : s->buf->len;
    const guint8 *line = s->buf->data;
    gboolean line_start = s->at_line_start;
    if (line_start && len >= 5 && memcmp(line, "From ", 5) == 0) {
      if (have) {
        /* The next message begins: leave its From_ line for the next call. */
        break;
      }
      have = TRUE;
      s->started = TRUE;
      s->messages++;
      start_line = s->line + 1;
    } else if (!s->started && line_start) {
      /* Text before the first From_ line (not an mbox after all): one message. */
      s->started = TRUE;
      have = TRUE;
      s->messages++;
      start_line = s->line + 1;
      append_capped(msg, line, len, &oversize);
    } else {
      const guint8 *p = line;
      gsize n = len;
      if (line_start && n >= 6 && p[0] == '>') {
        gsize q = 0;
        while (q < n && p[q] == '>')
          q++;
        if (n - q >= 5 && memcmp(p + q, "From ", 5) == 0) {
          p++;
          n--;
        }
      }
      append_capped(msg, p, n, &oversize);
    }
    if (nl != NULL)
      s->line++;
    s->at_line_start = nl != NULL;
    s->consumed += len;
    g_byte_array_remove_range(s->buf, 0, (guint) len);
  }
  if (!have)
    return TRUE;  /* *item_out stays NULL: the stream is done */

  BimiMailSourceItem *item = item_new(BIMI_MAIL_SOURCE_ITEM_MBOX, g_strdup_printf("%s, message %u (line %" G_GUINT64_FORMAT ")",
                                                                     s->path, s->messages, start_line));
  if (oversize) {
    item->error = g_error_new(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_LIMIT,
                              "message larger than %u bytes (BIMI_MAIL_SOURCE_MAX_ITEM_BYTES): skipped",
                              BIMI_MAIL_SOURCE_MAX_ITEM_BYTES);
  } else {
    /* The blank line before the next From_ line is the format's, not the message's. */
    if (msg->len >= 4 && memcmp(msg->data + msg->len - 4, "\r\n\r\n", 4) == 0)
      g_byte_array_set_size(msg, msg->len - 2);
    else if (msg->len >= 2 && memcmp(msg->data + msg->len - 2, "\n\n", 2) == 0)
      g_byte_array_set_size(msg, msg->len - 1);
    item->data = g_byte_array_free_to_bytes(g_steal_pointer(&msg));
  }
  *item_out = item;
  return TRUE;
}

/* ---- files ------------------------------------------------------------------- */

/* A file found or given: an mbox becomes a source, anything else one item. */
static BimiMailSourceItem *
open_file(BimiMailSource *mb, const char *path, BimiMailSourceItemKind kind)
{
  g_autoptr(GFile) file = g_file_new_for_path(path);
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileInputStream) in = g_file_read(file, NULL, &local);
  BimiMailSourceItem *item;
  if (in == NULL) {
    item = item_new(kind, g_strdup(path));
    item->error = g_error_new(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO, "%s", local->message);
    return item;
  }
  g_autoptr(GFileInfo) info = g_file_input_stream_query_info(in, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
  goffset size = info != NULL ? g_file_info_get_size(info) : 0;
  guint8 head[5] = { 0 };
  gsize got = 0;
  if (!g_input_stream_read_all(G_INPUT_STREAM(in), head, sizeof head, &got, NULL, &local)) {
    item = item_new(kind, g_strdup(path));
    item->error = g_error_new(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO, "%s", local->message);
    return item;
  }
  if (kind != BIMI_MAIL_SOURCE_ITEM_MAILDIR && got == 5 && memcmp(head, "From ", 5) == 0) {
    if (!g_seekable_seek(G_SEEKABLE(in), 0, G_SEEK_SET, NULL, &local)) {
      item = item_new(kind, g_strdup(path));
      item->error = g_error_new(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO, "%s", local->message);
      return item;
    }
    push_mbox(mb, G_INPUT_STREAM(in), path);
    return NULL;
  }
  item = item_new(kind, g_strdup(path));
  mb->bytes += size > 0 ? (guint64) size : 0; /* read or skipped: the progress moves on */
  if (size < 0 || (guint64) size > BIMI_MAIL_SOURCE_MAX_ITEM_BYTES) {
    item->error = g_error_new(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_LIMIT,
                              "file of %" G_GOFFSET_FORMAT " bytes is larger than %u (BIMI_MAIL_SOURCE_MAX_ITEM_BYTES): skipped",
                              size, BIMI_MAIL_SOURCE_MAX_ITEM_BYTES);
    return item;
  }
  /* Read what is there now, never more than the cap (the file may grow). */
  g_autoptr(GByteArray) data = g_byte_array_sized_new((guint) size + 1);
  g_byte_array_append(data, head, (guint) got);
  guint8 block[READ_BLOCK];
  for (;;) {
    gssize n = g_input_stream_read(G_INPUT_STREAM(in), block, sizeof block, NULL, &local);
    if (n < 0) {
      item->error = g_error_new(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_IO, "%s", local->message);
      return item;
    }
    if (n == 0)
      break;
    if ((gsize) n > BIMI_MAIL_SOURCE_MAX_ITEM_BYTES - data->len) {
      item->error = g_error_new(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_LIMIT,
                                "file larger than %u bytes (BIMI_MAIL_SOURCE_MAX_ITEM_BYTES): skipped",
                                BIMI_MAIL_SOURCE_MAX_ITEM_BYTES);
      return item;
    }
    g_byte_array_append(data, block, (guint) n);
  }
  item->data = g_byte_array_free_to_bytes(g_steal_pointer(&data));
  return item;
}

gboolean
bimi_mail_source_next(BimiMailSource *mb, BimiMailSourceItem **item_out, GError **error)
{
  g_return_val_if_fail(mb != NULL && item_out != NULL, FALSE);
  *item_out = NULL;
  if (mb->root != NULL && !mb->root_done) {
    mb->root_done = TRUE;
    BimiMailSourceItem *item = open_file(mb, mb->root, BIMI_MAIL_SOURCE_ITEM_FILE);
    if (item != NULL) {
      mb->count++;
      *item_out = item;
      return TRUE;
    }
  }
  while (mb->stack->len > 0) {
    Source *s = g_ptr_array_index(mb->stack, mb->stack->len - 1);
    if (s->kind == SOURCE_MBOX) {
      BimiMailSourceItem *item = NULL;
      if (!mbox_next(mb, s, &item, error))
        return FALSE;
      if (item != NULL) {
        mb->count++;
        *item_out = item;
        return TRUE;
      }
      mb->bytes += s->consumed;
      g_ptr_array_remove_index(mb->stack, mb->stack->len - 1);
      continue;
    }
    if (s->next_child >= s->children->len) {
      g_ptr_array_remove_index(mb->stack, mb->stack->len - 1);
      continue;
    }
    const char *child = g_ptr_array_index(s->children, s->next_child++);
    struct stat st;
    if (lstat(child, &st) != 0)
      continue;  /* gone since the listing */
    if (S_ISDIR(st.st_mode) && !s->maildir) {
      BimiMailSourceItem *item = NULL;
      g_autoptr(GError) local = NULL;
      if (s->depth + 1 > BIMI_MAIL_SOURCE_MAX_DIR_DEPTH) {
        item = item_new(BIMI_MAIL_SOURCE_ITEM_FILE, g_strdup(child));
        item->error = g_error_new(BIMI_MAIL_SOURCE_ERROR, BIMI_MAIL_SOURCE_ERROR_LIMIT,
                                  "directory deeper than %u levels (BIMI_MAIL_SOURCE_MAX_DIR_DEPTH): skipped",
                                  BIMI_MAIL_SOURCE_MAX_DIR_DEPTH);
      } else if (!push_dir(mb, child, s->depth + 1, &local)) {
        item = item_new(BIMI_MAIL_SOURCE_ITEM_FILE, g_strdup(child));
        item->error = g_steal_pointer(&local);
      }
      if (item != NULL) {
        mb->count++;
        *item_out = item;
        return TRUE;
      }
      continue;
    }
    if (!S_ISREG(st.st_mode))
      continue;  /* symbolic links, sockets, devices */
    BimiMailSourceItem *item = open_file(mb, child, s->maildir ? BIMI_MAIL_SOURCE_ITEM_MAILDIR : BIMI_MAIL_SOURCE_ITEM_FILE);
    if (item != NULL) {
      mb->count++;
      *item_out = item;
      return TRUE;
    }
  }
  return FALSE;
}
