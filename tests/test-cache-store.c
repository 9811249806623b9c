/* tests/test-cache-store.c — cache/store: content addressing (FIPS 180-2
 * SHA-256 example "abc"), atomic writes with a crash before rename, hash
 * verification on read, PNG structure check, LRU eviction that survives a
 * restart, limits, render single-flight under 32 threads. */
#include "cache/store.h"
#include "cache/store-private.h"
#include "engine/limits.h"
#include "tests/lib/clock.h"
#include "tests/lib/net.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* Near the real time, so that relatime never rewrites an atime we set. */
static BimiTestClock
clock_at_real_now(void)
{
  BimiTestClock c = { (g_get_real_time() / G_USEC_PER_SEC) * G_USEC_PER_SEC };
  return c;
}

static char *
make_dir(void)
{
  return bimi_test_make_tmpdir("bimi-cache-XXXXXX");
}

/* A structurally complete px x px PNG (signature, IHDR, IEND), padded to @total bytes. */
static GBytes *
fake_png(guint px, gsize total)
{
  static const guchar sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guchar iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
  guchar *p;

  total = MAX(total, (gsize) 8 + 25 + 12);
  p = g_malloc0(total);
  memcpy(p, sig, 8);
  memcpy(p + 8, "\0\0\0\x0dIHDR", 8);
  p[16] = (guchar) (px >> 24); p[17] = (guchar) (px >> 16); p[18] = (guchar) (px >> 8); p[19] = (guchar) px;
  p[20] = (guchar) (px >> 24); p[21] = (guchar) (px >> 16); p[22] = (guchar) (px >> 8); p[23] = (guchar) px;
  p[24] = 8;
  p[25] = 6;
  memcpy(p + total - 12, iend, 12);
  return g_bytes_new_take(p, total);
}

static gboolean
exists(const char *dir, const char *rel)
{
  g_autofree char *path = g_build_filename(dir, rel, NULL);
  return g_file_test(path, G_FILE_TEST_EXISTS);
}

static guint
count_temps(const char *subdir)
{
  GDir *d = g_dir_open(subdir, 0, NULL);
  const char *name;
  guint n = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name(d)) != NULL)
    if (g_str_has_prefix(name, ".tmp-"))
      n++;
  g_dir_close(d);
  return n;
}

static void
test_svg_roundtrip(void)
{
  g_autofree char *dir = make_dir();
  BimiTestClock clock = clock_at_real_now();
  GError *error = NULL;
  g_autoptr(BimiLogoStore) store = bimi_logo_store_open(dir, 1 << 20, bimi_test_clock_now, &clock, &error);
  g_autoptr(GBytes) abc = g_bytes_new_static("abc", 3);
  g_autoptr(GBytes) got = NULL;
  g_autofree char *path = NULL;
  char hash[BIMI_LOGO_HASH_HEX_LEN + 1];
  struct stat st;
  BimiLogoStoreStats stats;

  g_assert_no_error(error);
  g_assert_true(bimi_logo_store_put_svg(store, abc, hash, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(hash, ==, ABC_SHA256);
  path = bimi_logo_store_svg_path(store, hash);
  g_assert_true(g_str_has_suffix(path, "/svg/ba/" ABC_SHA256 ".svg"));
  g_assert_cmpint(stat(path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0644);
  g_assert_cmpint(st.st_size, ==, 3);
  g_assert_cmpint((gint64) st.st_atim.tv_sec * G_USEC_PER_SEC, ==, clock.now);

  clock.now += 10 * G_USEC_PER_SEC;
  got = bimi_logo_store_get_svg(store, ABC_SHA256, &error);
  g_assert_no_error(error);
  g_assert_nonnull(got);
  g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got), "abc", 3);
  /* The hit set the access time to the cache clock. */
  g_assert_cmpint(stat(path, &st), ==, 0);
  g_assert_cmpint((gint64) st.st_atim.tv_sec * G_USEC_PER_SEC, ==, clock.now);

  /* Storing the same bytes again writes nothing, it only marks the file used. */
  clock.now += 10 * G_USEC_PER_SEC;
  g_assert_true(bimi_logo_store_put_svg(store, abc, NULL, &error));
  g_assert_cmpint(stat(path, &st), ==, 0);
  g_assert_cmpint((gint64) st.st_atim.tv_sec * G_USEC_PER_SEC, ==, clock.now);

  /* An absent hash is a miss without error. */
  g_assert_null(bimi_logo_store_get_svg(store, "000016bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", &error));
  g_assert_no_error(error);
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.hits, ==, 1);
  g_assert_cmpuint(stats.misses, ==, 1);
  g_assert_cmpuint(stats.writes, ==, 1);
  g_assert_cmpuint(stats.files, ==, 1);
  g_assert_cmpuint(stats.bytes, ==, 3);
  {
    g_autofree char *parent = g_path_get_dirname(path);
    g_assert_cmpuint(count_temps(parent), ==, 0);
  }
  bimi_test_remove_tree(dir);
}

static void
test_svg_hash_mismatch(void)
{
  g_autofree char *dir = make_dir();
  GError *error = NULL;
  g_autoptr(BimiLogoStore) store = bimi_logo_store_open(dir, 1 << 20, NULL, NULL, &error);
  g_autoptr(GBytes) abc = g_bytes_new_static("abc", 3);
  g_autofree char *path = NULL;
  BimiLogoStoreStats stats;

  g_assert_true(bimi_logo_store_put_svg(store, abc, NULL, &error));
  path = bimi_logo_store_svg_path(store, ABC_SHA256);
  /* Someone changes the file behind our back: same size, other bytes. */
  g_assert_true(g_file_set_contents(path, "abd", 3, NULL));
  g_assert_null(bimi_logo_store_get_svg(store, ABC_SHA256, &error));
  g_assert_no_error(error);
  g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.corrupt, ==, 1);
  g_assert_cmpuint(stats.files, ==, 0);
  g_assert_cmpuint(stats.bytes, ==, 0);
  /* A symlink in its place is not followed. */
  g_assert_true(bimi_logo_store_put_svg(store, abc, NULL, &error));
  g_assert_cmpint(unlink(path), ==, 0);
  g_assert_cmpint(symlink("/etc/hostname", path), ==, 0);
  g_assert_null(bimi_logo_store_get_svg(store, ABC_SHA256, &error));
  g_assert_no_error(error);
  bimi_test_remove_tree(dir);
}

static void
test_png(void)
{
  g_autofree char *dir = make_dir();
  GError *error = NULL;
  g_autoptr(BimiLogoStore) store = bimi_logo_store_open(dir, 1 << 20, NULL, NULL, &error);
  g_autoptr(GBytes) png64 = fake_png(64, 200);
  g_autoptr(GBytes) got = NULL;
  g_autofree char *path = NULL;
  BimiLogoStoreStats stats;

  g_assert_true(bimi_logo_store_put_png(store, ABC_SHA256, 64, png64, &error));
  g_assert_no_error(error);
  path = bimi_logo_store_png_path(store, ABC_SHA256, 64);
  g_assert_true(g_str_has_suffix(path, "/png/ba/" ABC_SHA256 "-64.png"));
  got = bimi_logo_store_get_png(store, ABC_SHA256, 64, &error);
  g_assert_true(g_bytes_equal(got, png64));
  /* A PNG whose IHDR says another size is refused. */
  g_assert_false(bimi_logo_store_put_png(store, ABC_SHA256, 32, png64, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_clear_error(&error);
  /* Truncated on disk (no IEND): a miss, and the file goes. */
  g_assert_cmpint(truncate(path, 100), ==, 0);
  g_assert_null(bimi_logo_store_get_png(store, ABC_SHA256, 64, &error));
  g_assert_no_error(error);
  g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  /* Missing: a miss. */
  g_assert_null(bimi_logo_store_get_png(store, ABC_SHA256, 64, &error));
  g_assert_no_error(error);
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.corrupt, ==, 1);
  g_assert_cmpuint(stats.misses, ==, 2);
  g_assert_cmpuint(stats.hits, ==, 1);
  bimi_test_remove_tree(dir);
}

/* A crash between write and rename (kill -9 mid-write): nothing visible under
 * the final name, and the orphan temp file is removed at the very next open. */
static void
test_crash_before_rename(void)
{
  g_autofree char *dir = make_dir();
  g_autofree char *subdir = g_build_filename(dir, "svg", "ba", NULL);
  BimiTestClock clock = clock_at_real_now();
  GError *error = NULL;
  BimiLogoStore *store = bimi_logo_store_open(dir, 1 << 20, bimi_test_clock_now, &clock, &error);
  g_autoptr(GBytes) abc = g_bytes_new_static("abc", 3);
  BimiLogoStoreStats stats;

  bimi_logo_store__set_crash_before_rename(store, TRUE);
  g_assert_false(bimi_logo_store_put_svg(store, abc, NULL, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_IO);
  g_clear_error(&error);
  g_assert_false(exists(dir, "svg/ba/" ABC_SHA256 ".svg"));
  g_assert_null(bimi_logo_store_get_svg(store, ABC_SHA256, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(count_temps(subdir), ==, 1);
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.files, ==, 0);
  bimi_logo_store_free(store);

  /* Restart at once, same clock: the dead writer holds no lock, its temp goes. */
  store = bimi_logo_store_open(dir, 1 << 20, bimi_test_clock_now, &clock, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(count_temps(subdir), ==, 0);
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.files, ==, 0);
  /* And writing works again. */
  g_assert_true(bimi_logo_store_put_svg(store, abc, NULL, &error));
  g_assert_true(exists(dir, "svg/ba/" ABC_SHA256 ".svg"));
  g_assert_cmpuint(count_temps(subdir), ==, 0);
  bimi_logo_store_free(store);
  bimi_test_remove_tree(dir);
}

/* A temp file whose writer is alive (it holds the flock) stays at open, even an
 * old one; the same file without the lock is an orphan and goes. */
static void
test_live_writer_temp_kept(void)
{
  g_autofree char *dir = make_dir();
  g_autofree char *subdir = g_build_filename(dir, "png", "0a", NULL);
  g_autofree char *live = g_build_filename(subdir, ".tmp-live01", NULL);
  g_autofree char *dead = g_build_filename(subdir, ".tmp-dead01", NULL);
  BimiTestClock clock = clock_at_real_now();
  GError *error = NULL;
  BimiLogoStore *store;
  int fd;

  g_assert_cmpint(g_mkdir_with_parents(subdir, 0755), ==, 0);
  g_assert_true(g_file_set_contents(dead, "half a png", -1, &error));
  fd = open(live, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(flock(fd, LOCK_EX), ==, 0);
  g_assert_cmpuint(count_temps(subdir), ==, 2);

  clock.now += (gint64) 3600 * G_USEC_PER_SEC; /* age plays no part */
  store = bimi_logo_store_open(dir, 1 << 20, bimi_test_clock_now, &clock, &error);
  g_assert_no_error(error);
  g_assert_true(g_file_test(live, G_FILE_TEST_EXISTS));
  g_assert_false(g_file_test(dead, G_FILE_TEST_EXISTS));
  bimi_logo_store_free(store);

  close(fd); /* the writer dies */
  store = bimi_logo_store_open(dir, 1 << 20, bimi_test_clock_now, &clock, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(count_temps(subdir), ==, 0);
  bimi_logo_store_free(store);
  bimi_test_remove_tree(dir);
}

static void
put_blob(BimiLogoStore *store, char c, char *hash_out)
{
  char buf[100];
  GError *error = NULL;
  g_autoptr(GBytes) b = NULL;

  memset(buf, c, sizeof buf);
  b = g_bytes_new(buf, sizeof buf);
  g_assert_true(bimi_logo_store_put_svg(store, b, hash_out, &error));
  g_assert_no_error(error);
}

static gboolean
has_svg(const char *dir, const char *hash)
{
  g_autofree char *rel = g_strdup_printf("svg/%.2s/%s.svg", hash, hash);
  return exists(dir, rel);
}

static void
test_eviction_and_restart(void)
{
  g_autofree char *dir = make_dir();
  BimiTestClock clock = clock_at_real_now();
  GError *error = NULL;
  BimiLogoStore *store = bimi_logo_store_open(dir, 350, bimi_test_clock_now, &clock, &error);
  char a[65], b[65], c[65], d[65];
  g_autoptr(GBytes) got = NULL;
  BimiLogoStoreStats stats;

  g_assert_no_error(error);
  put_blob(store, 'a', a);
  clock.now += G_USEC_PER_SEC;
  put_blob(store, 'b', b);
  clock.now += G_USEC_PER_SEC;
  put_blob(store, 'c', c);
  clock.now += G_USEC_PER_SEC;
  got = bimi_logo_store_get_svg(store, a, &error); /* a is now the most recent; b the least */
  g_assert_nonnull(got);
  clock.now += G_USEC_PER_SEC;
  put_blob(store, 'd', d); /* 400 > 350: b goes */
  g_assert_true(has_svg(dir, a));
  g_assert_false(has_svg(dir, b));
  g_assert_true(has_svg(dir, c));
  g_assert_true(has_svg(dir, d));
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.evictions, ==, 1);
  g_assert_cmpuint(stats.bytes, ==, 300);
  bimi_logo_store_free(store);

  /* Restart with a smaller bound: the order comes back from the access times
   * (c at t+2, a at t+3, d at t+4), so c goes first, then a. */
  store = bimi_logo_store_open(dir, 250, bimi_test_clock_now, &clock, &error);
  g_assert_no_error(error);
  g_assert_true(has_svg(dir, a));
  g_assert_false(has_svg(dir, c));
  g_assert_true(has_svg(dir, d));
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.files, ==, 2);
  g_assert_cmpuint(stats.evictions, ==, 1);
  bimi_logo_store_free(store);

  store = bimi_logo_store_open(dir, 150, bimi_test_clock_now, &clock, &error);
  g_assert_false(has_svg(dir, a));
  g_assert_true(has_svg(dir, d));
  bimi_logo_store_free(store);
  bimi_test_remove_tree(dir);
}

static void
test_foreign_files_ignored(void)
{
  g_autofree char *dir = make_dir();
  g_autofree char *readme = g_build_filename(dir, "svg", "README", NULL);
  g_autofree char *zz = g_build_filename(dir, "svg", "zz", NULL);
  g_autofree char *wrongsub = g_build_filename(dir, "svg", "00", NULL);
  g_autofree char *misplaced = g_build_filename(wrongsub, ABC_SHA256 ".svg", NULL);
  g_autofree char *badpx = g_build_filename(dir, "png", "ba", ABC_SHA256 "-064.png", NULL);
  g_autofree char *badpx_dir = g_path_get_dirname(badpx);
  GError *error = NULL;
  BimiLogoStore *store;
  BimiLogoStoreStats stats;

  g_assert_cmpint(g_mkdir_with_parents(zz, 0755), ==, 0);
  g_assert_cmpint(g_mkdir_with_parents(wrongsub, 0755), ==, 0);
  g_assert_cmpint(g_mkdir_with_parents(badpx_dir, 0755), ==, 0);
  g_assert_true(g_file_set_contents(readme, "x", 1, NULL));
  g_assert_true(g_file_set_contents(misplaced, "abc", 3, NULL));
  g_assert_true(g_file_set_contents(badpx, "x", 1, NULL));
  store = bimi_logo_store_open(dir, 1, NULL, NULL, &error);
  g_assert_no_error(error);
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.files, ==, 0);
  g_assert_true(g_file_test(readme, G_FILE_TEST_EXISTS));
  g_assert_true(g_file_test(misplaced, G_FILE_TEST_EXISTS));
  g_assert_true(g_file_test(badpx, G_FILE_TEST_EXISTS));
  bimi_logo_store_free(store);
  bimi_test_remove_tree(dir);
}

static void
test_limits(void)
{
  g_autofree char *dir = make_dir();
  GError *error = NULL;
  g_autoptr(BimiLogoStore) store = bimi_logo_store_open(dir, 2000, NULL, NULL, &error);
  g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
  g_autoptr(GBytes) big = g_bytes_new_take(g_malloc0(2001), 2001);
  g_autoptr(GBytes) huge = g_bytes_new_take(g_malloc0(BIMI_CACHE_MAX_OBJECT_BYTES + 1),
                                            BIMI_CACHE_MAX_OBJECT_BYTES + 1);
  g_autoptr(GBytes) png = fake_png(BIMI_CACHE_MAX_PNG_PX, 100);
  const char *bad_hashes[] = { ABC_SHA256 "0", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
                               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
                               "../16bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "" };

  g_assert_false(bimi_logo_store_put_svg(store, empty, NULL, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_clear_error(&error);
  /* Larger than max_bytes (2000): refused before writing. */
  g_assert_false(bimi_logo_store_put_svg(store, big, NULL, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT);
  g_clear_error(&error);
  g_assert_false(bimi_logo_store_put_svg(store, huge, NULL, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_LIMIT);
  g_clear_error(&error);
  for (gsize i = 0; i < G_N_ELEMENTS(bad_hashes); i++) {
    g_assert_null(bimi_logo_store_get_svg(store, bad_hashes[i], &error));
    g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(bimi_logo_store_svg_path(store, bad_hashes[i]));
  }
  /* px bounds: 1..BIMI_CACHE_MAX_PNG_PX. */
  g_assert_null(bimi_logo_store_get_png(store, ABC_SHA256, 0, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(bimi_logo_store_put_png(store, ABC_SHA256, BIMI_CACHE_MAX_PNG_PX + 1, png, &error));
  g_assert_error(error, BIMI_CACHE_ERROR, BIMI_CACHE_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_true(bimi_logo_store_put_png(store, ABC_SHA256, BIMI_CACHE_MAX_PNG_PX, png, &error));
  g_assert_no_error(error);
  g_assert_null(bimi_logo_store_png_path(store, ABC_SHA256, BIMI_CACHE_MAX_PNG_PX + 1));
  bimi_test_remove_tree(dir);
}

/* ---- render single-flight ----------------------------------------------- */

#define N_THREADS 32

typedef struct {
  atomic_uint calls;
  gboolean fail;
} Renderer;

static GBytes *
fake_render(GBytes *svg, guint px, gpointer user_data, GError **error)
{
  Renderer *r = user_data;

  atomic_fetch_add(&r->calls, 1);
  g_usleep(100 * 1000);
  if (r->fail) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "worker exceeded its address space");
    return NULL;
  }
  g_assert_cmpmem(g_bytes_get_data(svg, NULL), g_bytes_get_size(svg), "abc", 3);
  return fake_png(px, 300);
}

typedef struct {
  BimiLogoStore *store;
  Renderer *renderer;
  atomic_uint *gate;
  GBytes *png;
  GError *error;
} Worker;

static void *
worker_main(void *data)
{
  Worker *w = data;

  atomic_fetch_add(w->gate, 1);
  while (atomic_load(w->gate) < N_THREADS)
    sched_yield();
  w->png = bimi_logo_store_get_or_render_png(w->store, ABC_SHA256, 64, fake_render, w->renderer, 10000,
                                             &w->error);
  return NULL;
}

static void
run_workers(BimiLogoStore *store, Renderer *r, Worker *workers)
{
  atomic_uint gate = 0;
  pthread_t threads[N_THREADS];

  for (guint i = 0; i < N_THREADS; i++) {
    workers[i] = (Worker) { .store = store, .renderer = r, .gate = &gate };
    g_assert_cmpint(pthread_create(&threads[i], NULL, worker_main, &workers[i]), ==, 0);
  }
  for (guint i = 0; i < N_THREADS; i++)
    pthread_join(threads[i], NULL);
}

static void
test_render_single_flight(void)
{
  g_autofree char *dir = make_dir();
  GError *error = NULL;
  g_autoptr(BimiLogoStore) store = bimi_logo_store_open(dir, 1 << 20, NULL, NULL, &error);
  g_autoptr(GBytes) abc = g_bytes_new_static("abc", 3);
  Renderer r = { 0 };
  Worker workers[N_THREADS];
  BimiLogoStoreStats stats;

  /* No SVG in the store: NULL without error (fetch the logo again); nothing rendered. */
  g_assert_null(bimi_logo_store_get_or_render_png(store, ABC_SHA256, 64, fake_render, &r, 1000, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(atomic_load(&r.calls), ==, 0);

  /* The render fails: everybody gets an error, nothing is stored. */
  g_assert_true(bimi_logo_store_put_svg(store, abc, NULL, &error));
  r.fail = TRUE;
  run_workers(store, &r, workers);
  for (guint i = 0; i < N_THREADS; i++) {
    g_assert_null(workers[i].png);
    g_assert_nonnull(workers[i].error);
    g_clear_error(&workers[i].error);
  }
  g_assert_false(exists(dir, "png/ba/" ABC_SHA256 "-64.png"));

  /* 32 threads, one render. */
  atomic_store(&r.calls, 0);
  r.fail = FALSE;
  run_workers(store, &r, workers);
  g_assert_cmpuint(atomic_load(&r.calls), ==, 1);
  for (guint i = 0; i < N_THREADS; i++) {
    g_assert_no_error(workers[i].error);
    g_assert_nonnull(workers[i].png);
    g_assert_cmpuint(g_bytes_get_size(workers[i].png), ==, 300);
    g_bytes_unref(workers[i].png);
  }
  g_assert_true(exists(dir, "png/ba/" ABC_SHA256 "-64.png"));
  bimi_logo_store_get_stats(store, &stats);
  g_assert_cmpuint(stats.renders, >=, 2); /* at least one failed and one good */
  bimi_test_remove_tree(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache/store/svg/roundtrip", test_svg_roundtrip);
  g_test_add_func("/cache/store/svg/hash-mismatch", test_svg_hash_mismatch);
  g_test_add_func("/cache/store/png", test_png);
  g_test_add_func("/cache/store/atomic/crash-before-rename", test_crash_before_rename);
  g_test_add_func("/cache/store/atomic/live-writer-temp-kept", test_live_writer_temp_kept);
  g_test_add_func("/cache/store/lru/eviction-and-restart", test_eviction_and_restart);
  g_test_add_func("/cache/store/scan/foreign-files", test_foreign_files_ignored);
  g_test_add_func("/cache/store/limits", test_limits);
  g_test_add_func("/cache/store/render/single-flight", test_render_single_flight);
  return g_test_run();
}
