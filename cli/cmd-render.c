/* cli/cmd-render.c — `bimi render LOGO.svg --size PX -o OUT.png` and
 * `bimi render LOGO.svg --sizes 32,64,128 -o DIR/` (DESIGN.md §5), plus the
 * hidden `bimi __render-worker` that renderer/worker.c pools spawn.
 *
 * The SVG must pass the SVG Tiny PS profile (engine/svg, as `bimi svg check`)
 * before librsvg sees it: the renderer's precondition (renderer/render.h) is
 * enforced here. Rendering runs, by default, in one worker process with the
 * service's limits (renderer/worker.h: the deadline kills it, RLIMIT_AS caps
 * its memory, seccomp): a logo that validates but cannot be rendered (a <use>
 * amplification, a CPU-heavy path) ends at the deadline with exit 1 instead
 * of running for a minute and taking a gigabyte (issue 13). --in-process
 * renders in this process (benchmarks, debugging): the deadline is then only
 * checked between phases and no memory cap applies.
 * Output files are written atomically (temporary file + rename): a failed
 * render leaves no file behind.
 *
 * Exit status: 0 every PNG written; 1 the SVG is not SVG Tiny PS or could not be
 * rendered; 2 usage or
 * internal error (bad size, unreadable input, unwritable output).
 */
#include "cli/commands.h"
#include "renderer/render.h"
#include "renderer/worker.h"
#include "engine/limits.h"
#include "engine/svg.h"

#include <stdio.h>
#include <string.h>

static int
render_exit_code(const GError *error)
{
  if (error->domain != BIMI_RENDER_ERROR)
    return BIMI_EXIT_USAGE;
  switch (error->code) {
  case BIMI_RENDER_ERROR_PARSE:
  case BIMI_RENDER_ERROR_NO_DIMENSIONS:
  case BIMI_RENDER_ERROR_RENDER:
  case BIMI_RENDER_ERROR_TOO_LARGE:
  case BIMI_RENDER_ERROR_DEADLINE:
  case BIMI_RENDER_ERROR_WORKER:
    return BIMI_EXIT_FAIL;
  default:
    return BIMI_EXIT_USAGE;
  }
}

int
bimi_cli_cmd_render(int argc, char **argv)
{
  gint size = 0, deadline_ms = 0;
  g_autofree char *sizes_text = NULL;
  g_autofree char *output = NULL;
  gboolean isolated = FALSE, in_process = FALSE;
  gint repeat = 1;
  const GOptionEntry entries[] = {
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Side of the square PNG in pixels (16 24 32 48 64 96 128 256 512)",
      "PX" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_text, "Several sizes, e.g. 32,64,128; -o is then a directory",
      "LIST" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Output PNG file (--size) or directory (--sizes)", "PATH" },
    { "deadline-ms", 0, 0, G_OPTION_ARG_INT, &deadline_ms, "Render deadline per size (default 2000)", "MS" },
    { "isolated", 0, 0, G_OPTION_ARG_NONE, &isolated,
      "Render in a worker process with the service's resource limits (the default)", NULL },
    { "in-process", 0, 0, G_OPTION_ARG_NONE, &in_process,
      "Render in this process: no memory cap, the deadline checked only between phases", NULL },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
      "Render each size N times and print the mean time per render (benchmarks)", "N" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) error = NULL;
  int status = BIMI_EXIT_PASS;

  const BimiCliSpec spec = {
    .name = "render", .parameters = "LOGO.svg - rasterise a validated SVG logo to PNG",
    .description = "The SVG must pass 'bimi svg check' first. It is rendered in a worker process\n"
                   "with the service's limits (deadline, memory cap, seccomp) unless --in-process.\n"
                   "Exit status: 0 written; 1 could not render; 2 usage or internal error.\n",
    .entries = entries, .n_args = 1, .args_usage = "expected one SVG file",
  };
  if (!bimi_cli_parse(&spec, &argc, &argv))
    return BIMI_EXIT_USAGE;
  if (output == NULL)
    return bimi_cli_usage_error("render", "-o PATH is required");
  if ((size != 0) == (sizes_text != NULL))
    return bimi_cli_usage_error("render", "give exactly one of --size PX and --sizes LIST");
  if (deadline_ms < 0)
    return bimi_cli_usage_error("render", "--deadline-ms must not be negative");
  if (isolated && in_process)
    return bimi_cli_usage_error("render", "give at most one of --isolated and --in-process");
  if (repeat < 1 || repeat > 100000)
    return bimi_cli_usage_error("render", "--repeat must be in 1..100000");
  BimiRenderOptions options = { .deadline_ms = (guint) deadline_ms };
  g_autoptr(GArray) sizes = NULL;
  if (sizes_text != NULL) {
    sizes = bimi_render_parse_sizes(sizes_text, &error);
    if (sizes == NULL)
      return bimi_cli_usage_error("render", error->message);
  } else {
    guint s = size < 0 ? 0 : (guint) size;
    sizes = g_array_new(FALSE, FALSE, sizeof(guint));
    g_array_append_val(sizes, s);
  }
  for (guint i = 0; i < sizes->len; i++) {
    guint s = g_array_index(sizes, guint, i);
    if (!bimi_render_size_allowed(NULL, s)) {
      g_autofree char *msg = g_strdup_printf("size %u px is not one of 16 24 32 48 64 96 128 256 512", s);
      return bimi_cli_usage_error("render", msg);
    }
  }
  g_autoptr(GBytes) svg = bimi_cli_read_file(argv[1], BIMI_RENDER_MAX_SVG_BYTES, &error);
  if (svg == NULL)
    return bimi_cli_fail(BIMI_EXIT_USAGE, "render: %s", error->message);
  /* Only SVGs that pass the SVG Tiny PS profile reach librsvg (DESIGN.md §3, issue 8). */
  {
    g_autoptr(BimiSvgResult) check = bimi_svg_validate(svg, &error);
    if (check == NULL)
      return bimi_cli_fail(BIMI_EXIT_USAGE, "render: %s", error->message);
    if (!check->valid) {
      const BimiSvgIssue *first = g_ptr_array_index(check->errors, 0);
      fprintf(stderr, "bimi render: %s is not SVG Tiny PS (%u error%s; first: line %u: %s); see bimi svg check\n",
              argv[1], check->errors->len, check->errors->len == 1 ? "" : "s", first->line, first->code);
      return BIMI_EXIT_FAIL;
    }
  }
  g_autofree char *stem = NULL;
  if (sizes_text != NULL) {
    g_autofree char *base = g_path_get_basename(argv[1]);
    if (g_str_has_suffix(base, ".svg"))
      base[strlen(base) - 4] = '\0';
    stem = g_steal_pointer(&base);
    if (g_mkdir_with_parents(output, 0755) != 0)
      return bimi_cli_fail(BIMI_EXIT_USAGE, "render: cannot create directory %s", output);
  }
  g_autoptr(BimiRenderPool) pool = NULL;
  if (!in_process) {
    g_autofree char *self = g_file_read_link("/proc/self/exe", &error);
    const char *wargv[] = { self, "__render-worker", NULL };
    BimiRenderPoolConfig config = { .worker_argv = wargv, .n_workers = 1, .deadline_ms = options.deadline_ms };
    if (self == NULL)
      return bimi_cli_fail(BIMI_EXIT_USAGE, "render: %s", error->message);
    pool = bimi_render_pool_new(&config, &error);
    if (pool == NULL)
      return bimi_cli_fail(BIMI_EXIT_USAGE, "render: %s", error->message);
  }

  for (guint i = 0; i < sizes->len; i++) {
    guint s = g_array_index(sizes, guint, i);
    g_autoptr(GBytes) png = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GError) e = NULL;

    gint64 t0 = g_get_monotonic_time();
    for (gint r = 0; r < repeat; r++) {
      g_clear_pointer(&png, g_bytes_unref);
      png = pool != NULL ? bimi_render_pool_render(pool, svg, s, &e) : bimi_render_png(svg, s, &options, &e);
      if (png == NULL)
        break;
    }
    if (png != NULL && repeat > 1)
      fprintf(stderr, "bimi render: %u px: %d renders, %.1f us per render (%s)\n", s, repeat,
              (double) (g_get_monotonic_time() - t0) / repeat, pool != NULL ? "worker" : "in process");
    if (png == NULL) {
      fprintf(stderr, "bimi render: %s at %u px: %s\n", argv[1], s, e->message);
      status = MAX(status, render_exit_code(e));
      continue;
    }
    if (stem != NULL) {
      g_autofree char *name = g_strdup_printf("%s-%u.png", stem, s);
      path = g_build_filename(output, name, NULL);
    } else {
      path = g_strdup(output);
    }
    /* A temporary file renamed over a regular file: no half-written PNG. */
    if (!bimi_cli_write_output(path, g_bytes_get_data(png, NULL), g_bytes_get_size(png), &e)) {
      fprintf(stderr, "bimi render: %s\n", e->message);
      status = BIMI_EXIT_USAGE;
      continue;
    }
    printf("%s %ux%u %" G_GSIZE_FORMAT " bytes\n", path, s, s, g_bytes_get_size(png));
  }
  return status;
}

int
bimi_cli_cmd_render_worker(int argc, char **argv)
{
  bimi_render_worker_main(argc, argv);
}
