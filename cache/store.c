/* cache/store.c — content-addressed logo store (issue 8; DESIGN.md §1, §4, §8).
 *
 * Names: SHA-256 (FIPS 180-4) of the validated SVG bytes, lowercase hex.
 * Atomic replacement: temp file in the target directory (O_EXCL, 0644), write,
 * fsync, rename(2), fsync of the directory (POSIX rename is atomic within one
 * file system; the directory fsync makes the new name durable).
 * PNG check: signature, first chunk IHDR with the expected width and height,
 * last chunk IEND (PNG, ISO/IEC 15948 §5.2, §11.2.2, §11.2.5) — enough to
 * catch a truncated or foreign file; CRCs are not verified (the renderer that
 * wrote it is ours, the check is against truncation, not forgery).
 * Recency: the access time, set explicitly with utimensat(2) on every hit
 * (the mtime keeps the write time, so nginx's ETag/Last-Modified stay stable).
 * Orphans: a writer holds flock(2) LOCK_EX on its temp file from creation
 * until the rename; the kernel drops the lock when the writer dies (even by
 * SIGKILL), so at open a temp file whose lock can be taken has no writer and
 * is deleted at once, whatever its age, while a live writer's (another
 * process sharing the directory) stays.
 */
#include "cache/store.h"
#include "cache/store-private.h"
#include "cache/flight.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  char *rel;       /* "svg/ab/<hash>.svg" or "png/ab/<hash>-<px>.png"; the table key */
  guint64 size;
  gint64 used;     /* microseconds, cache clock */
  GList link;      /* in lru, head = most recent */
} Item;

struct BimiLogoStore {
  char *dir;
  guint64 max_bytes;
  BimiCacheClockFunc clock;
  gpointer clock_data;
  gboolean crash_before_rename;
  BimiFlightGroup *renders;

  pthread_mutex_t lock; /* guards everything below */
  GHashTable *items;    /* rel -> Item* */
  GQueue lru;
  guint64 bytes;
  BimiLogoStoreStats stats; /* files and bytes filled on read */
};

static const guchar png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const guchar png_iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };

void
bimi_logo_store__set_crash_before_rename(BimiLogoStore *store, gboolean crash)
{
  store->crash_before_rename = crash;
}

gboolean
bimi_logo_store_hash_is_valid(const char *hash)
{
  if (hash == NULL)
    return FALSE;
  for (gsize i = 0; i < BIMI_LOGO_HASH_HEX_LEN; i++)
    if (!((hash[i] >= '0' && hash[i] <= '9') || (hash[i] >= 'a' && hash[i] <= 'f')))
      return FALSE;
  return hash[BIMI_LOGO_HASH_HEX_LEN] == '\0';
}

static char *
svg_rel(const char *hash)
{
  return g_strdup_printf("svg/%.2s/%s.svg", hash, hash);
}

static char *
png_rel(const char *hash, guint px)
{
  return g_strdup_printf("png/%.2s/%s-%u.png", hash, hash, px);
}

static gboolean
check_hash_px(const char *hash, guint px, gboolean with_px, GError **error)
{
  if (!bimi_logo_store_hash_is_valid(hash)) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID,
                "logo hash must be %d lowercase hex digits", BIMI_LOGO_HASH_HEX_LEN);
    return FALSE;
  }
  if (with_px && (px == 0 || px > BIMI_CACHE_MAX_PNG_PX)) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID,
                "PNG size %u px is outside 1..%u", px, BIMI_CACHE_MAX_PNG_PX);
    return FALSE;
  }
  return TRUE;
}

gboolean
bimi_logo_store__png_is_valid(const guchar *p, gsize len, guint px)
{
  guint32 w, h;

  if (len < 8 + 25 + 12 || memcmp(p, png_signature, 8) != 0)
    return FALSE;
  if (memcmp(p + 8, "\0\0\0\x0dIHDR", 8) != 0)
    return FALSE;
  w = ((guint32) p[16] << 24) | ((guint32) p[17] << 16) | ((guint32) p[18] << 8) | p[19];
  h = ((guint32) p[20] << 24) | ((guint32) p[21] << 16) | ((guint32) p[22] << 8) | p[23];
  return w == px && h == px && memcmp(p + len - 12, png_iend, 12) == 0;
}

static void
sha256_hex(const guchar *data, gsize len, char out[BIMI_LOGO_HASH_HEX_LEN + 1])
{
  g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);

  g_checksum_update(ck, data, (gssize) len);
  memcpy(out, g_checksum_get_string(ck), BIMI_LOGO_HASH_HEX_LEN + 1);
}

static void
set_io_error(GError **error, const char *what, const char *path, int err)
{
  g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_IO, "%s %s: %s", what, path, g_strerror(err));
}

/* ---- the index ---------------------------------------------------------- */

static void
item_free(Item *it)
{
  if (it == NULL)
    return; /* slots of the scan array already moved into the index */
  BIMI_FREE_ALL(it->rel, it);
}

static void
index_drop_locked(BimiLogoStore *s, Item *it)
{
  s->bytes -= it->size;
  g_queue_unlink(&s->lru, &it->link);
  g_hash_table_remove(s->items, it->rel); /* frees it */
}

/* Insert or update @rel as the most recently used. */
static void
index_put_locked(BimiLogoStore *s, const char *rel, guint64 size, gint64 used)
{
  Item *it = g_hash_table_lookup(s->items, rel);

  if (it != NULL) {
    s->bytes -= it->size;
    g_queue_unlink(&s->lru, &it->link);
  } else {
    it = g_new0(Item, 1);
    it->rel = g_strdup(rel);
    it->link.data = it;
    g_hash_table_insert(s->items, it->rel, it);
  }
  it->size = size;
  it->used = used;
  s->bytes += size;
  g_queue_push_head_link(&s->lru, &it->link);
}

static void
index_forget(BimiLogoStore *s, const char *rel)
{
  Item *it;

  pthread_mutex_lock(&s->lock);
  it = g_hash_table_lookup(s->items, rel);
  if (it != NULL)
    index_drop_locked(s, it);
  pthread_mutex_unlock(&s->lock);
}

/* Evicts least-recently-used files until the store fits max_bytes; @keep (the
 * file just written) is never evicted. */
static void
evict_locked(BimiLogoStore *s, const char *keep)
{
  GList *l = s->lru.tail;

  while (s->bytes > s->max_bytes && l != NULL) {
    Item *it = l->data;
    GList *prev = l->prev;

    if (keep == NULL || strcmp(it->rel, keep) != 0) {
      g_autofree char *path = g_build_filename(s->dir, it->rel, NULL);
      if (unlink(path) != 0 && errno != ENOENT)
        g_debug("cache: evicting %s: %s", path, g_strerror(errno));
      index_drop_locked(s, it);
      s->stats.evictions++;
    }
    l = prev;
  }
}

static void
set_atime(const char *path, gint64 used)
{
  struct timespec ts[2];

  ts[0].tv_sec = (time_t) (used / G_USEC_PER_SEC);
  ts[0].tv_nsec = (long) (used % G_USEC_PER_SEC) * 1000L;
  ts[1].tv_sec = 0;
  ts[1].tv_nsec = UTIME_OMIT;
  if (utimensat(AT_FDCWD, path, ts, 0) != 0)
    g_debug("cache: utimensat %s: %s", path, g_strerror(errno));
}

/* ---- open: scan --------------------------------------------------------- */

static gboolean
is_hex_lower(const char *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
      return FALSE;
  return TRUE;
}

/* Does @name (in subdirectory @sub of @kind) name a store file? */
gboolean
bimi_logo_store__name_is_store_file(const char *kind, const char *sub, const char *name)
{
  gsize len = strlen(name);

  if (len < BIMI_LOGO_HASH_HEX_LEN + 4 || !is_hex_lower(name, BIMI_LOGO_HASH_HEX_LEN) ||
      memcmp(name, sub, 2) != 0)
    return FALSE;
  if (strcmp(kind, "svg") == 0)
    return strcmp(name + BIMI_LOGO_HASH_HEX_LEN, ".svg") == 0;
  /* png: "-<px>.png" with px 1..BIMI_CACHE_MAX_PNG_PX written canonically */
  {
    const char *p = name + BIMI_LOGO_HASH_HEX_LEN;
    const char *end = name + len - 4;
    guint64 px = 0;
    g_autofree char *digits = NULL;
    g_autofree char *canon = NULL;

    if (*p != '-' || strcmp(end, ".png") != 0 || end - p < 2 || end - p > 6)
      return FALSE;
    digits = g_strndup(p + 1, (gsize) (end - p - 1));
    if (!g_ascii_string_to_unsigned(digits, 10, 1, BIMI_CACHE_MAX_PNG_PX, &px, NULL))
      return FALSE;
    canon = g_strdup_printf("%" G_GUINT64_FORMAT, px);
    return strcmp(canon, digits) == 0;
  }
}

static int
item_cmp_used(gconstpointer a, gconstpointer b)
{
  const Item *x = *(Item *const *) a, *y = *(Item *const *) b;

  if (x->used != y->used)
    return x->used < y->used ? -1 : 1;
  return strcmp(x->rel, y->rel);
}

/* Deletes the temp file @path when no writer holds its lock (the writer died
 * between mkstemp and rename). The unlink happens while we hold the lock, so a
 * writer that locks after us sees st_nlink == 0 and starts over (store_file). */
static void
remove_orphan(const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

  if (fd < 0)
    return;
  if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0)
    g_debug("cache: removed the orphan temp file %s", path);
  close(fd);
}

static gboolean
scan_kind(BimiLogoStore *s, const char *kind, GPtrArray *found, GError **error)
{
  g_autofree char *top = g_build_filename(s->dir, kind, NULL);
  g_autoptr(GDir) d = NULL;
  g_autoptr(GError) local = NULL;
  const char *sub;

  if (g_mkdir_with_parents(top, 0755) != 0) {
    set_io_error(error, "cannot create", top, errno);
    return FALSE;
  }
  d = g_dir_open(top, 0, &local);
  if (d == NULL) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_IO, "%s", local->message);
    return FALSE;
  }
  while ((sub = g_dir_read_name(d)) != NULL) {
    g_autofree char *subdir = NULL;
    g_autoptr(GDir) sd = NULL;
    const char *name;

    if (strlen(sub) != 2 || !is_hex_lower(sub, 2))
      continue;
    subdir = g_build_filename(top, sub, NULL);
    sd = g_dir_open(subdir, 0, NULL);
    if (sd == NULL)
      continue;
    while ((name = g_dir_read_name(sd)) != NULL) {
      g_autofree char *path = g_build_filename(subdir, name, NULL);
      struct stat st;
      Item *it;

      if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        continue;
      if (g_str_has_prefix(name, ".tmp-")) {
        remove_orphan(path);
        continue;
      }
      if (!bimi_logo_store__name_is_store_file(kind, sub, name))
        continue;
      if (found->len >= BIMI_CACHE_MAX_FILES) {
        g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT,
                    "%s: more than %u files", s->dir, BIMI_CACHE_MAX_FILES);
        return FALSE;
      }
      it = g_new0(Item, 1);
      it->rel = g_strdup_printf("%s/%s/%s", kind, sub, name);
      it->size = (guint64) st.st_size;
      it->used = (gint64) st.st_atim.tv_sec * G_USEC_PER_SEC + st.st_atim.tv_nsec / 1000;
      it->link.data = it;
      g_ptr_array_add(found, it);
    }
  }
  return TRUE;
}

BimiLogoStore *
bimi_logo_store_open(const char *dir, guint64 max_bytes, BimiCacheClockFunc clock, gpointer clock_data,
                     GError **error)
{
  BimiLogoStore *s;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify) item_free);

  g_return_val_if_fail(dir != NULL && max_bytes >= 1, NULL);
  BIMI_CACHE_REGISTER_QUARK();
  s = g_new0(BimiLogoStore, 1);
  s->dir = g_strdup(dir);
  s->max_bytes = max_bytes;
  s->clock = clock;
  s->clock_data = clock_data;
  s->renders = bimi_flight_group_new();
  pthread_mutex_init(&s->lock, NULL);
  s->items = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) item_free);
  g_queue_init(&s->lru);

  if (!scan_kind(s, "svg", found, error) || !scan_kind(s, "png", found, error)) {
    bimi_logo_store_free(s);
    return NULL;
  }
  g_ptr_array_sort(found, item_cmp_used);
  for (guint i = 0; i < found->len; i++) {
    Item *it = found->pdata[i];
    found->pdata[i] = NULL;
    g_hash_table_insert(s->items, it->rel, it);
    g_queue_push_head_link(&s->lru, &it->link); /* oldest first: the newest ends at the head */
    s->bytes += it->size;
  }
  pthread_mutex_lock(&s->lock);
  evict_locked(s, NULL);
  pthread_mutex_unlock(&s->lock);
  return s;
}

BIMI_DEFINE_FREE_FUNC(BimiLogoStore, bimi_logo_store_free, store)
{
  g_hash_table_destroy(store->items);
  bimi_flight_group_free(store->renders);
  pthread_mutex_destroy(&store->lock);
  g_free(store->dir);
}

/* ---- writes ------------------------------------------------------------- */

static gboolean
write_all(int fd, const guchar *p, gsize len)
{
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return FALSE;
    }
    p += n;
    len -= (gsize) n;
  }
  return TRUE;
}

static gboolean
fsync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

/* Writes @data to DIR/@rel atomically and indexes it; evicts after. */
static gboolean
store_file(BimiLogoStore *s, const char *rel, const guchar *data, gsize len, GError **error)
{
  g_autofree char *path = g_build_filename(s->dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname(path);
  g_autofree char *tmp = g_build_filename(parent, ".tmp-XXXXXX", NULL);
  gint64 now;
  int fd;

  if (len > BIMI_CACHE_MAX_OBJECT_BYTES || len > s->max_bytes) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT, "%s: %" G_GSIZE_FORMAT
                " bytes exceed the limit (%u bytes per file, %" G_GUINT64_FORMAT " for the store)",
                rel, len, BIMI_CACHE_MAX_OBJECT_BYTES, s->max_bytes);
    return FALSE;
  }
  if (g_mkdir_with_parents(parent, 0755) != 0) {
    set_io_error(error, "cannot create", parent, errno);
    return FALSE;
  }
  /* Locked from creation to rename (see the top of the file): a store opening
   * meanwhile leaves it alone. If one removed it between mkstemp and flock
   * (its link count is then 0), take a new name. */
  for (guint attempt = 0;; attempt++) {
    struct stat st;
    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
      set_io_error(error, "cannot create temp file in", parent, errno);
      return FALSE;
    }
    if (flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
      int err = errno;
      close(fd);
      unlink(tmp);
      set_io_error(error, "cannot lock", tmp, err);
      return FALSE;
    }
    if (st.st_nlink > 0)
      break;
    close(fd);
    if (attempt == 1) {
      set_io_error(error, "temp file removed under us in", parent, ENOENT);
      return FALSE;
    }
    memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
  }
  if (fchmod(fd, 0644) != 0 || !write_all(fd, data, len) || fsync(fd) != 0) {
    int err = errno;
    unlink(tmp);
    close(fd);
    set_io_error(error, "cannot write", tmp, err);
    return FALSE;
  }
  if (s->crash_before_rename) {
    /* As a writer killed here: the descriptor (and with it the lock) goes, the file stays. */
    close(fd);
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_IO, "%s: simulated crash before rename", tmp);
    return FALSE;
  }
  if (rename(tmp, path) != 0) {
    int err = errno;
    unlink(tmp);
    close(fd);
    set_io_error(error, "cannot rename into", path, err);
    return FALSE;
  }
  close(fd); /* fsync succeeded: the bytes are on disk */
  if (!fsync_dir(parent))
    g_debug("cache: fsync of %s: %s", parent, g_strerror(errno));
  now = bimi_cache_now(s->clock, s->clock_data);
  set_atime(path, now);

  pthread_mutex_lock(&s->lock);
  index_put_locked(s, rel, len, now);
  s->stats.writes++;
  evict_locked(s, rel);
  pthread_mutex_unlock(&s->lock);
  return TRUE;
}

gboolean
bimi_logo_store_put_svg(BimiLogoStore *store, GBytes *svg, char *hash_out, GError **error)
{
  char hash[BIMI_LOGO_HASH_HEX_LEN + 1];
  g_autofree char *rel = NULL;
  gsize len = 0;
  const guchar *data;

  g_return_val_if_fail(store != NULL && svg != NULL, FALSE);
  data = g_bytes_get_data(svg, &len);
  if (len == 0) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID, "empty SVG");
    return FALSE;
  }
  if (len > BIMI_CACHE_MAX_OBJECT_BYTES) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT, "SVG of %" G_GSIZE_FORMAT
                " bytes exceeds %u", len, BIMI_CACHE_MAX_OBJECT_BYTES);
    return FALSE;
  }
  sha256_hex(data, len, hash);
  if (hash_out != NULL)
    memcpy(hash_out, hash, sizeof hash);
  rel = svg_rel(hash);
  /* Content-addressed: an indexed file of that name holds these bytes (reads
   * verify it), so it is only marked recently used. */
  pthread_mutex_lock(&store->lock);
  if (g_hash_table_contains(store->items, rel)) {
    g_autofree char *path = g_build_filename(store->dir, rel, NULL);
    gint64 now = bimi_cache_now(store->clock, store->clock_data);
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
      index_put_locked(store, rel, len, now);
      pthread_mutex_unlock(&store->lock);
      set_atime(path, now);
      return TRUE;
    }
  }
  pthread_mutex_unlock(&store->lock);
  return store_file(store, rel, data, len, error);
}

gboolean
bimi_logo_store_put_png(BimiLogoStore *store, const char *hash, guint px, GBytes *png, GError **error)
{
  g_autofree char *rel = NULL;
  gsize len = 0;
  const guchar *data;

  g_return_val_if_fail(store != NULL && png != NULL, FALSE);
  if (!check_hash_px(hash, px, TRUE, error))
    return FALSE;
  data = g_bytes_get_data(png, &len);
  if (len > BIMI_CACHE_MAX_OBJECT_BYTES) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT, "PNG of %" G_GSIZE_FORMAT
                " bytes exceeds %u", len, BIMI_CACHE_MAX_OBJECT_BYTES);
    return FALSE;
  }
  if (data == NULL || !bimi_logo_store__png_is_valid(data, len, px)) {
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID,
                "not a complete %u x %u PNG (signature, IHDR, IEND)", px, px);
    return FALSE;
  }
  rel = png_rel(hash, px);
  return store_file(store, rel, data, len, error);
}

/* ---- reads -------------------------------------------------------------- */

/* Reads DIR/@rel: NULL without error when absent (or not a regular file). */
static GBytes *
read_file(BimiLogoStore *s, const char *path, GError **error)
{
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  guchar *buf;
  gsize got = 0, cap;

  if (fd < 0) {
    if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
      return NULL;
    set_io_error(error, "cannot open", path, errno);
    return NULL;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
      (guint64) st.st_size > BIMI_CACHE_MAX_OBJECT_BYTES) {
    close(fd);
    return NULL; /* not ours: a miss (the caller deletes it) */
  }
  cap = (gsize) st.st_size + 1; /* one more byte to notice growth */
  buf = g_malloc(cap);
  while (got < cap) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0) {
      int err = errno;
      if (err == EINTR)
        continue;
      close(fd);
      g_free(buf);
      set_io_error(error, "cannot read", path, err);
      return NULL;
    }
    if (n == 0)
      break;
    got += (gsize) n;
  }
  close(fd);
  if (got != (gsize) st.st_size) {
    g_free(buf);
    return NULL; /* changed under us: a writer replaced it; treat as a miss */
  }
  return g_bytes_new_take(buf, got);
}

static void
count(BimiLogoStore *s, guint64 *field)
{
  pthread_mutex_lock(&s->lock);
  (*field)++;
  pthread_mutex_unlock(&s->lock);
}

/* A hit: mark @rel recently used in the index and on disk. */
static void
touch(BimiLogoStore *s, const char *rel, const char *path, gsize size)
{
  gint64 now = bimi_cache_now(s->clock, s->clock_data);

  set_atime(path, now);
  pthread_mutex_lock(&s->lock);
  index_put_locked(s, rel, size, now);
  s->stats.hits++;
  evict_locked(s, rel); /* a file another process added may push us over */
  pthread_mutex_unlock(&s->lock);
}

static void
discard_corrupt(BimiLogoStore *s, const char *rel, const char *path)
{
  g_debug("cache: deleting corrupt %s", path);
  if (unlink(path) != 0 && errno != ENOENT)
    g_debug("cache: unlink %s: %s", path, g_strerror(errno));
  index_forget(s, rel);
  pthread_mutex_lock(&s->lock);
  s->stats.corrupt++;
  s->stats.misses++;
  pthread_mutex_unlock(&s->lock);
}

/* The bytes of the entry at @rel (@path under the store): NULL with *@error
 * set on an I/O error, NULL without one when it is absent (a miss; its index
 * entry forgotten) or oversized or not a regular file (discarded). */
static GBytes *
read_entry(BimiLogoStore *store, const char *rel, const char *path, GError **error)
{
  GError *local = NULL;
  GBytes *bytes = read_file(store, path, &local);

  if (local != NULL) {
    g_propagate_error(error, local);
    return NULL;
  }
  if (bytes == NULL) {
    if (g_file_test(path, G_FILE_TEST_EXISTS))
      discard_corrupt(store, rel, path); /* oversized, not regular */
    else {
      index_forget(store, rel);
      count(store, &store->stats.misses);
    }
  }
  return bytes;
}

GBytes *
bimi_logo_store_get_svg(BimiLogoStore *store, const char *hash, GError **error)
{
  g_autofree char *rel = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = NULL;
  char actual[BIMI_LOGO_HASH_HEX_LEN + 1];
  gsize len = 0;
  const guchar *data;

  g_return_val_if_fail(store != NULL, NULL);
  if (!check_hash_px(hash, 0, FALSE, error))
    return NULL;
  rel = svg_rel(hash);
  path = g_build_filename(store->dir, rel, NULL);
  bytes = read_entry(store, rel, path, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data(bytes, &len);
  sha256_hex(data, len, actual);
  if (len == 0 || strcmp(actual, hash) != 0) {
    discard_corrupt(store, rel, path);
    return NULL;
  }
  touch(store, rel, path, len);
  return g_steal_pointer(&bytes);
}

GBytes *
bimi_logo_store_get_png(BimiLogoStore *store, const char *hash, guint px, GError **error)
{
  g_autofree char *rel = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len = 0;
  const guchar *data;

  g_return_val_if_fail(store != NULL, NULL);
  if (!check_hash_px(hash, px, TRUE, error))
    return NULL;
  rel = png_rel(hash, px);
  path = g_build_filename(store->dir, rel, NULL);
  bytes = read_entry(store, rel, path, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data(bytes, &len);
  if (!bimi_logo_store__png_is_valid(data, len, px)) {
    discard_corrupt(store, rel, path);
    return NULL;
  }
  touch(store, rel, path, len);
  return g_steal_pointer(&bytes);
}

GBytes *
bimi_logo_store_get_or_render_png(BimiLogoStore *store, const char *hash, guint px,
                                  BimiLogoRenderFunc render, gpointer user_data, guint wait_ms,
                                  GError **error)
{
  g_autofree char *key = NULL;
  GError *local = NULL;
  GBytes *png;

  g_return_val_if_fail(store != NULL && render != NULL, NULL);
  png = bimi_logo_store_get_png(store, hash, px, &local);
  if (png != NULL || local != NULL) {
    if (local != NULL)
      g_propagate_error(error, local);
    return png;
  }
  key = g_strdup_printf("%s-%u", hash, px);
  switch (bimi_flight_group_claim(store->renders, key, wait_ms)) {
  case BIMI_FLIGHT_LEADER: {
    g_autoptr(GBytes) svg = NULL;
    gboolean ok = FALSE;

    /* Another leader may have finished between our miss and our claim. */
    png = bimi_logo_store_get_png(store, hash, px, &local);
    if (png == NULL && local == NULL)
      svg = bimi_logo_store_get_svg(store, hash, &local);
    if (svg != NULL) {
      count(store, &store->stats.renders);
      png = render(svg, px, user_data, &local);
      if (png != NULL && !bimi_logo_store_put_png(store, hash, px, png, &local))
        g_clear_pointer(&png, g_bytes_unref);
    }
    ok = png != NULL;
    bimi_flight_group_release(store->renders, key, ok);
    if (local != NULL)
      g_propagate_error(error, local);
    return png; /* NULL without error: the SVG is not in the store */
  }
  case BIMI_FLIGHT_DONE:
    count(store, &store->stats.render_waits);
    png = bimi_logo_store_get_png(store, hash, px, error);
    if (png == NULL && error != NULL && *error == NULL)
      g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_FAILED,
                  "%s: rendered PNG vanished before it could be read", key);
    return png;
  case BIMI_FLIGHT_FAILED:
    count(store, &store->stats.render_waits);
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_FAILED,
                "%s: the render this request waited for failed", key);
    return NULL;
  case BIMI_FLIGHT_BUSY:
  case BIMI_FLIGHT_TIMEOUT:
    count(store, &store->stats.render_waits);
    g_set_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_TIMEOUT,
                "%s: another render did not finish within %u ms", key, wait_ms);
    return NULL;
  }
  g_return_val_if_reached(NULL);
}

char *
bimi_logo_store_svg_path(BimiLogoStore *store, const char *hash)
{
  g_autofree char *rel = NULL;

  if (!bimi_logo_store_hash_is_valid(hash))
    return NULL;
  rel = svg_rel(hash);
  return g_build_filename(store->dir, rel, NULL);
}

char *
bimi_logo_store_png_path(BimiLogoStore *store, const char *hash, guint px)
{
  g_autofree char *rel = NULL;

  if (!check_hash_px(hash, px, TRUE, NULL))
    return NULL;
  rel = png_rel(hash, px);
  return g_build_filename(store->dir, rel, NULL);
}

void
bimi_logo_store_get_stats(BimiLogoStore *store, BimiLogoStoreStats *out)
{
  g_return_if_fail(store != NULL && out != NULL);
  pthread_mutex_lock(&store->lock);
  *out = store->stats;
  out->files = g_hash_table_size(store->items);
  out->bytes = store->bytes;
  pthread_mutex_unlock(&store->lock);
}
