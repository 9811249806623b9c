/* survey/survey-chart.c — the survey's PNG charts, drawn with cairo (the library the renderer
 * already links); text with cairo's toy font API in DejaVu Sans (fonts-dejavu-core, a librsvg
 * dependency on Debian), sizes chosen to stay readable when the image is shown at half size.
 */
#include "survey/survey-chart.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "engine/limits.h"

#define W ((double) BIMI_SURVEY_CHART_WIDTH)
#define H ((double) BIMI_SURVEY_CHART_HEIGHT)
#define FONT "DejaVu Sans"
#define MAX_SERIES 8

typedef struct { double r, g, b; } Rgb;

#define RGB(hex) { ((hex) >> 16 & 0xff) / 255.0, ((hex) >> 8 & 0xff) / 255.0, ((hex) & 0xff) / 255.0 }

/* One chart panel: bars of stacked series. */
typedef struct {
  double x, y, w, h;          /* the plot area, pixels */
  guint n_bars, n_series;
  const double *values;       /* n_bars x n_series */
  const char *const *series;  /* legend names */
  const Rgb *colors;
  char **bar_labels;          /* n_bars: "06:00" or "06:00\nMar 02"; '\n' splits lines */
  const gint64 *bar_slots;    /* (nullable) n_bars: the bin's number since the epoch (start / width) */
  guint slots_per_day;        /* bins in a day (0: the width does not divide a day) */
  gboolean percent;           /* normalise each bar to 100 % */
  gboolean percent_axis;      /* the values are percentages already: label the axis in % */
  const char *y_title;
  gboolean value_labels;      /* write each bar's total share above it (percent charts of totals) */
} Panel;

static void
set_font(cairo_t *cr, double size, gboolean bold)
{
  cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

static void
set_rgb(cairo_t *cr, Rgb c)
{
  cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

/* Text with its anchor: @ax 0 left, 0.5 centre, 1 right; @ay likewise from the top. */
static void
text_at(cairo_t *cr, double x, double y, double ax, double ay, const char *s)
{
  cairo_text_extents_t e;
  cairo_font_extents_t fe;

  cairo_text_extents(cr, s, &e);
  cairo_font_extents(cr, &fe);
  cairo_move_to(cr, x - e.x_advance * ax, y - fe.height * ay + fe.ascent);
  cairo_show_text(cr, s);
}

/* The smallest "nice" step (1, 2, 5 x 10^k) giving at most about 6 ticks up to @max. */
static double
nice_step(double max)
{
  double raw = max / 5.0, p;

  if (raw <= 1.0)
    return 1.0; /* message counts are whole numbers: never a step of 0.2 or 0.5 (labels "0, 0, 1, 2, 2") */
  p = pow(10.0, floor(log10(raw)));

  if (raw <= p)
    return p;
  if (raw <= 2 * p)
    return 2 * p;
  if (raw <= 5 * p)
    return 5 * p;
  return 10 * p;
}

static void
draw_legend(cairo_t *cr, const Panel *p, double x, double y)
{
  set_font(cr, 15, FALSE);
  for (guint s = p->n_series; s-- > 0;) { /* top to bottom as the stack reads */
    guint row = p->n_series - 1 - s;
    set_rgb(cr, p->colors[s]);
    cairo_rectangle(cr, x, y + row * 26, 16, 16);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    text_at(cr, x + 24, y + row * 26 + 8, 0, 0.5, p->series[s]);
  }
}

/* Label every how many bins, so that labels (about 70 px wide) do not overlap: for time bins a divisor
 * of a day or a whole number of days, so that the first bin of each day (which carries the date) is
 * always labelled. */
static guint
label_step(const Panel *p, double slot)
{
  guint need = (guint) MAX(1.0, ceil(70.0 / slot));

  if (p->bar_slots == NULL || p->slots_per_day == 0)
    return need;
  for (guint k = 1; k <= p->slots_per_day; k++)
    if (p->slots_per_day % k == 0 && k >= need)
      return k;
  return ((need + p->slots_per_day - 1) / p->slots_per_day) * p->slots_per_day;
}

static void
draw_panel(cairo_t *cr, const Panel *p)
{
  double max = 0, step, top, slot, bar_w;
  guint label_every;

  for (guint b = 0; b < p->n_bars; b++) {
    double sum = 0;
    for (guint s = 0; s < p->n_series; s++)
      sum += p->values[b * p->n_series + s];
    max = MAX(max, p->percent ? 100.0 : sum);
  }
  if (p->percent) {
    step = 25;
    top = 100;
  } else {
    step = nice_step(MAX(max, 1));
    top = ceil(MAX(max, 1) / step) * step;
    if (p->value_labels && max > top - step * 0.25)
      top += step; /* room for the label above the highest bar */
  }

  /* grid and y axis */
  set_font(cr, 14, FALSE);
  for (double v = 0; v <= top + step / 2; v += step) {
    double y = p->y + p->h - v / top * p->h;
    char buf[32];
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, p->x, floor(y) + 0.5);
    cairo_line_to(cr, p->x + p->w, floor(y) + 0.5);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    if (p->percent || p->percent_axis)
      g_snprintf(buf, sizeof buf, "%.0f %%", v);
    else
      g_snprintf(buf, sizeof buf, "%.0f", v);
    text_at(cr, p->x - 8, y, 1, 0.5, buf);
  }
  cairo_save(cr);
  cairo_translate(cr, p->x - 62, p->y + p->h / 2);
  cairo_rotate(cr, -G_PI / 2);
  set_font(cr, 15, FALSE);
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  text_at(cr, 0, 0, 0.5, 0.5, p->y_title);
  cairo_restore(cr);

  /* bars */
  slot = p->w / MAX(p->n_bars, 1);
  bar_w = MIN(slot * 0.7, 120);
  label_every = label_step(p, slot);
  for (guint b = 0; b < p->n_bars; b++) {
    const double *v = &p->values[b * p->n_series];
    double sum = 0, y = p->y + p->h, x = p->x + slot * b + (slot - bar_w) / 2;
    for (guint s = 0; s < p->n_series; s++)
      sum += v[s];
    for (guint s = 0; s < p->n_series; s++) {
      double part = p->percent ? (sum > 0 ? v[s] / sum * 100.0 : 0) : v[s];
      double hh = part / top * p->h;
      if (hh <= 0)
        continue;
      set_rgb(cr, p->colors[s]);
      cairo_rectangle(cr, x, y - hh, bar_w, hh);
      cairo_fill(cr);
      y -= hh;
    }
    if (p->value_labels) {
      char buf[32];
      set_font(cr, 16, TRUE);
      cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
      g_snprintf(buf, sizeof buf, "%.1f %%", sum);
      text_at(cr, x + bar_w / 2, y - 6, 0.5, 1, buf);
    }
    if (p->bar_labels != NULL && p->bar_labels[b] != NULL &&
        (p->bar_slots != NULL ? p->bar_slots[b] % label_every == 0 : b % label_every == 0)) {
      g_auto(GStrv) lines = g_strsplit(p->bar_labels[b], "\n", -1);
      set_font(cr, 13, FALSE);
      cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
      for (guint l = 0; lines[l] != NULL; l++)
        text_at(cr, x + bar_w / 2, p->y + p->h + 8 + l * 17, 0.5, 0, lines[l]);
    }
  }
  /* x axis */
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  cairo_set_line_width(cr, 1.5);
  cairo_move_to(cr, p->x, p->y + p->h);
  cairo_line_to(cr, p->x + p->w, p->y + p->h);
  cairo_stroke(cr);
  draw_legend(cr, p, p->x + p->w + 24, p->y);
}

static void
draw_title(cairo_t *cr, const char *title, const char *subtitle)
{
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  set_font(cr, 24, TRUE);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  text_at(cr, 30, 22, 0, 0, title);
  set_font(cr, 15, FALSE);
  cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
  text_at(cr, 30, 56, 0, 0, subtitle);
}

/* The bins' labels: "06:00", with the date below on the first bin of a day and on the first bar
 * ("00:00\nMar 02"); the date alone for bins of a day or more. @slots gets each bin's number since the
 * epoch. */
static char **
bin_labels(BimiSurveyStats *stats, gint64 **slots)
{
  guint n = bimi_survey_stats_n_bins(stats);
  char **labels = g_new0(char *, n + 1);
  gint64 width = bimi_survey_stats_bin_seconds(stats);

  *slots = g_new0(gint64, MAX(n, 1));
  for (guint i = 0; i < n; i++) {
    gint64 start = bimi_survey_stats_bin_start(stats, i);
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(start);
    (*slots)[i] = start / width;
    if (dt == NULL)
      labels[i] = g_strdup("?");
    else if (width >= 86400)
      labels[i] = g_date_time_format(dt, "%b %d");
    else if (i == 0 || ((start % 86400) + 86400) % 86400 < width)
      labels[i] = g_date_time_format(dt, "%H:%M\n%b %d");
    else
      labels[i] = g_date_time_format(dt, "%H:%M");
  }
  return labels;
}

/* Bins in a day, 0 when the width does not divide a day. */
static guint
slots_per_day(BimiSurveyStats *stats)
{
  gint64 width = bimi_survey_stats_bin_seconds(stats);

  return width < 86400 && 86400 % width == 0 ? (guint) (86400 / width) : 0;
}

static gboolean
write_png(cairo_surface_t *surface, const char *dir, const char *name, GPtrArray *written, GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  cairo_status_t st = cairo_surface_write_to_png(surface, tmp);

  if (st != CAIRO_STATUS_SUCCESS) {
    g_unlink(tmp);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot write the PNG: %s", path,
                cairo_status_to_string(st));
    return FALSE;
  }
  if (g_rename(tmp, path) != 0) {
    int saved = errno;
    g_unlink(tmp);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", path, g_strerror(saved));
    return FALSE;
  }
  g_ptr_array_add(written, g_steal_pointer(&path));
  return TRUE;
}

/* One chart: title, subtitle and panels on a white canvas, written to DIR/@name. */
static gboolean
write_chart(const char *dir, const char *name, const char *title, const char *subtitle, const Panel *panels,
            guint n_panels, GPtrArray *written, GError **error)
{
  cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int) W, (int) H);
  cairo_t *cr = cairo_create(surface);
  gboolean ok;

  draw_title(cr, title, subtitle);
  for (guint i = 0; i < n_panels; i++)
    draw_panel(cr, &panels[i]);
  cairo_destroy(cr);
  ok = write_png(surface, dir, name, written, error);
  cairo_surface_destroy(surface);
  return ok;
}

static char *
bin_subtitle(BimiSurveyStats *stats, const char *what)
{
  const BimiSurveyCounts *t = bimi_survey_stats_total(stats);
  gint64 w = bimi_survey_stats_bin_seconds(stats);
  g_autofree char *unit = w % 3600 == 0 ? g_strdup_printf("%" G_GINT64_FORMAT "-hour", w / 3600)
                                        : g_strdup_printf("%" G_GINT64_FORMAT "-minute", w / 60);

  return g_strdup_printf("%s, %s bins by the Received date (UTC); %" G_GUINT64_FORMAT " messages", what, unit,
                         t->messages);
}

static gboolean
chart_fcrdns(BimiSurveyStats *stats, const char *dir, GPtrArray *written, GError **error)
{
  static const Rgb colors[] = { RGB(0x2e7d32), RGB(0xef6c00), RGB(0xc62828), RGB(0x757575), RGB(0xbdbdbd) };
  static const char *const names[] = { "FCrDNS pass", "fail (PTR not confirmed)", "none (no PTR)", "temperror",
                                       "no envelope" };
  guint n = bimi_survey_stats_n_bins(stats);
  g_autofree double *values = g_new0(double, (gsize) MAX(n, 1) * BIMI_SURVEY_FCRDNS_N);
  g_autofree gint64 *slots = NULL;
  g_auto(GStrv) labels = bin_labels(stats, &slots);
  g_autofree char *sub = bin_subtitle(stats, "Messages by the reverse DNS of the sending client");
  Panel p = { .x = 100, .y = 100, .w = W - 100 - 290, .h = H - 100 - 70, .n_bars = n,
              .n_series = BIMI_SURVEY_FCRDNS_N, .values = values, .series = names, .colors = colors,
              .bar_labels = labels, .bar_slots = slots, .slots_per_day = slots_per_day(stats),
              .y_title = "messages" };

  for (guint b = 0; b < n; b++)
    for (guint s = 0; s < BIMI_SURVEY_FCRDNS_N; s++)
      values[b * BIMI_SURVEY_FCRDNS_N + s] = (double) bimi_survey_stats_bin(stats, b)->fcrdns[s];
  return write_chart(dir, "fcrdns.png", "FCrDNS of the sending MTAs", sub, &p, 1, written, error);
}

static gboolean
chart_dmarc(BimiSurveyStats *stats, const char *dir, GPtrArray *written, GError **error)
{
  static const Rgb rcolors[] = { RGB(0x2e7d32), RGB(0xc62828), RGB(0x90a4ae), RGB(0x757575), RGB(0x6a1b9a),
                                 RGB(0xd7ccc8) };
  static const char *const rnames[] = { "DMARC pass", "fail", "none", "temperror", "permerror", "no From" };
  static const Rgb pcolors[] = { RGB(0xb71c1c), RGB(0xf57c00), RGB(0xfbc02d), RGB(0x9e9e9e), RGB(0xe0e0e0) };
  static const char *const pnames[] = { "p=reject", "p=quarantine", "p=none", "no DMARC record", "unknown" };
  guint n = bimi_survey_stats_n_bins(stats);
  g_autofree double *rv = g_new0(double, (gsize) MAX(n, 1) * BIMI_SURVEY_DMARC_N);
  g_autofree double *pv = g_new0(double, (gsize) MAX(n, 1) * BIMI_SURVEY_POLICY_N);
  g_autofree gint64 *slots = NULL;
  g_auto(GStrv) labels = bin_labels(stats, &slots);
  g_autofree char *sub = bin_subtitle(stats, "Shares of messages");
  double ph = (H - 100 - 60 - 70) / 2;
  Panel panels[2] = {
    { .x = 100, .y = 100, .w = W - 100 - 290, .h = ph, .n_bars = n, .n_series = BIMI_SURVEY_DMARC_N, .values = rv,
      .series = rnames, .colors = rcolors, .percent = TRUE, .y_title = "DMARC result" },
    { .x = 100, .y = 100 + ph + 60, .w = W - 100 - 290, .h = ph, .n_bars = n, .n_series = BIMI_SURVEY_POLICY_N,
      .values = pv, .series = pnames, .colors = pcolors, .bar_labels = labels, .bar_slots = slots,
      .slots_per_day = slots_per_day(stats), .percent = TRUE, .y_title = "published policy" },
  };

  for (guint b = 0; b < n; b++) {
    const BimiSurveyCounts *c = bimi_survey_stats_bin(stats, b);
    for (guint s = 0; s < BIMI_SURVEY_DMARC_N; s++)
      rv[b * BIMI_SURVEY_DMARC_N + s] = (double) c->dmarc[s];
    for (guint s = 0; s < BIMI_SURVEY_POLICY_N; s++)
      pv[b * BIMI_SURVEY_POLICY_N + s] = (double) c->policy[s];
  }
  return write_chart(dir, "dmarc.png", "DMARC results and the author domains' published policies", sub, panels, 2,
                     written, error);
}

static gboolean
chart_refused(BimiSurveyStats *stats, const char *dir, GPtrArray *written, GError **error)
{
  static const Rgb colors[] = { RGB(0xb71c1c), RGB(0xf57c00) };
  static const char *const names[] = { "rejected", "quarantined" };
  const BimiSurveyCounts *t = bimi_survey_stats_total(stats);
  char *labels[] = { g_strdup("today\n(no DMARC filter)"), g_strdup("published\npolicies applied"),
                     g_strdup("published policies +\np=none failures refused"),
                     g_strdup("published policies +\nclients without PTR refused"), NULL };
  double values[4 * 2] = { 0 };
  g_autofree char *sub = g_strdup_printf("Share of all %" G_GUINT64_FORMAT " messages a DMARC-enforcing receiver "
                                         "would not deliver to the inbox", t->messages);
  Panel p = { .x = 100, .y = 110, .w = W - 100 - 290, .h = H - 110 - 80, .n_bars = 4, .n_series = 2,
              .values = values, .series = names, .colors = colors, .bar_labels = labels, .percent_axis = TRUE,
              .y_title = "share of all messages", .value_labels = TRUE };
  gboolean ok;

  for (guint s = 0; s < BIMI_SURVEY_SCENARIO_N; s++) {
    values[(s + 1) * 2] = bimi_survey_counts_share(t, t->action[s][BIMI_SURVEY_ACTION_REJECT]) * 100.0;
    values[(s + 1) * 2 + 1] = bimi_survey_counts_share(t, t->action[s][BIMI_SURVEY_ACTION_QUARANTINE]) * 100.0;
  }
  ok = write_chart(dir, "refused.png", "Mail refused under each receiver policy: before / after", sub, &p, 1, written,
                   error);
  for (guint i = 0; labels[i] != NULL; i++)
    g_free(labels[i]);
  return ok;
}

gboolean
bimi_survey_write_charts(BimiSurveyStats *stats, const char *dir, GPtrArray *written, GError **error)
{
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    int saved = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", dir, g_strerror(saved));
    return FALSE;
  }
  return chart_fcrdns(stats, dir, written, error) && chart_dmarc(stats, dir, written, error) &&
         chart_refused(stats, dir, written, error);
}
