/* report/ingest-html.c — the summary as one self-contained HTML page (issue 16).
 *
 * HTML5 with an inline <style> and, per domain, an inline SVG chart (SVG 1.1
 * basic shapes: one <rect> per day and outcome, stacked DMARC pass under fail)
 * and the source table by group. No script, no external asset (a page that
 * works from a file or an attachment). Every string that came from a report
 * goes through g_markup_escape_text(): reports are attacker-controlled.
 */
#include "report/ingest-summary.h"

#include <string.h>

/* Chart geometry, CSS pixels. */
#define CHART_W 720
#define CHART_H 220
#define PAD_L 56
#define PAD_R 12
#define PAD_T 12
#define PAD_B 40

static void
esc(GString *out, const char *s)
{
  g_autofree char *e = g_markup_escape_text(s != NULL ? s : "", -1);
  g_string_append(out, e);
}

static char *
pct(guint64 part, guint64 whole)
{
  if (whole == 0)
    return g_strdup("0");
  char *s = g_strdup_printf("%.1f", 100.0 * (double) part / (double) whole);
  if (g_str_has_suffix(s, ".0"))
    s[strlen(s) - 2] = '\0';
  return s;
}

/* A "nice" axis maximum (1, 2, 5 × 10^n) at or above @v. */
static guint64
nice_max(guint64 v)
{
  guint64 m = 1;
  while (m < v) {
    if (m * 2 >= v)
      return m * 2;
    if (m * 5 >= v)
      return m * 5;
    m *= 10;
  }
  return m;
}

static void
chart(GString *out, const BimiIngestDomain *d)
{
  guint n = d->days->len;
  guint64 top = 0;
  for (guint i = 0; i < n; i++) {
    const BimiIngestDay *day = g_ptr_array_index(d->days, i);
    top = MAX(top, day->pass + day->fail);
  }
  top = nice_max(MAX(top, 1));
  double plot_w = CHART_W - PAD_L - PAD_R, plot_h = CHART_H - PAD_T - PAD_B;
  double slot = n > 0 ? plot_w / n : plot_w;
  double bar = MAX(1.0, slot * 0.7);
  g_autofree char *title = g_markup_printf_escaped("Messages per day for %s: DMARC pass and fail", d->domain);
  g_string_append_printf(out, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                         "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\" data-days=\"%u\">\n",
                         CHART_W, CHART_H, CHART_W, CHART_H, title, n);
  g_string_append_printf(out, "<title>%s</title>\n", title);
  /* Grid and y axis: 0, half, top. */
  for (int k = 0; k <= 2; k++) {
    double y = PAD_T + plot_h - plot_h * k / 2.0;
    g_string_append_printf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
                           "<text x=\"%d\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%" G_GUINT64_FORMAT "</text>\n",
                           PAD_L, y, CHART_W - PAD_R, y, PAD_L - 6, y + 4, top * (guint64) k / 2);
  }
  guint label_every = MAX(1u, n / 8);
  /* Month-day labels, unless the days span more than one year. */
  gboolean with_year = n > 0 && ((const BimiIngestDay *) g_ptr_array_index(d->days, n - 1))->day -
                                        ((const BimiIngestDay *) g_ptr_array_index(d->days, 0))->day > 366 * 86400;
  for (guint i = 0; i < n; i++) {
    const BimiIngestDay *day = g_ptr_array_index(d->days, i);
    double x = PAD_L + slot * i + (slot - bar) / 2;
    double hp = plot_h * (double) day->pass / (double) top;
    double hf = plot_h * (double) day->fail / (double) top;
    double base = PAD_T + plot_h;
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(day->day);
    g_autofree char *date = dt != NULL ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("?");
    if (day->pass > 0)
      g_string_append_printf(out, "<rect class=\"pass\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                             "<title>%s: %" G_GUINT64_FORMAT " pass</title></rect>\n",
                             x, base - hp, bar, hp, date, day->pass);
    if (day->fail > 0)
      g_string_append_printf(out, "<rect class=\"fail\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                             "<title>%s: %" G_GUINT64_FORMAT " fail</title></rect>\n",
                             x, base - hp - hf, bar, hf, date, day->fail);
    if (i % label_every == 0)
      g_string_append_printf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">%s</text>\n",
                             x + bar / 2, base + 16, with_year ? date : date + 5);
  }
  g_string_append_printf(out, "<rect class=\"pass\" x=\"%d\" y=\"%d\" width=\"10\" height=\"10\"/>"
                         "<text x=\"%d\" y=\"%d\" class=\"axis\">DMARC pass</text>"
                         "<rect class=\"fail\" x=\"%d\" y=\"%d\" width=\"10\" height=\"10\"/>"
                         "<text x=\"%d\" y=\"%d\" class=\"axis\">DMARC fail</text>\n",
                         PAD_L, CHART_H - 14, PAD_L + 14, CHART_H - 5, PAD_L + 110, CHART_H - 14, PAD_L + 124,
                         CHART_H - 5);
  g_string_append(out, "</svg>\n");
}

static void
tallies(GString *out, GPtrArray *list)
{
  for (guint i = 0; i < list->len; i++) {
    const BimiIngestTally *t = g_ptr_array_index(list, i);
    if (i > 0)
      g_string_append(out, "<br>");
    esc(out, t->name);
    g_string_append_printf(out, " <span class=\"n\">(%" G_GUINT64_FORMAT ")</span>", t->messages);
  }
  if (list->len == 0)
    g_string_append(out, "&#8212;");
}

static const char *const group_titles[] = { "Authorised and passing", "Authorised but failing",
                                            "Unknown and failing" };

static void
source_table(GString *out, const BimiIngestDomain *d)
{
  g_string_append(out, "<table class=\"sources\">\n<thead><tr><th>Source</th><th>PTR (FCrDNS)</th>"
                       "<th>Messages</th><th>DMARC pass</th><th>DKIM</th><th>SPF</th><th>Reported by</th>"
                       "<th>Why</th></tr></thead>\n");
  for (guint g = 0; g < 3; g++) {
    guint rows = 0;
    for (guint j = 0; j < d->sources->len; j++)
      rows += ((const BimiIngestSource *) g_ptr_array_index(d->sources, j))->group == g;
    if (rows == 0)
      continue;
    g_string_append_printf(out, "<tbody class=\"group %s\"><tr><th colspan=\"8\">%s (%u)</th></tr>\n",
                           bimi_ingest_group_to_string(g), group_titles[g], rows);
    for (guint j = 0; j < d->sources->len; j++) {
      const BimiIngestSource *s = g_ptr_array_index(d->sources, j);
      if (s->group != g)
        continue;
      g_autofree char *share = pct(s->dmarc_pass, s->messages);
      g_string_append(out, "<tr data-source=\"");
      esc(out, s->source_ip);
      g_string_append(out, "\"><td>");
      esc(out, s->source_ip);
      g_string_append(out, "</td><td>");
      if (s->ptr_name != NULL) {
        esc(out, s->ptr_name);
        g_string_append(out, " (");
        esc(out, s->fcrdns);
        g_string_append(out, ")");
      } else {
        g_string_append(out, s->fcrdns != NULL ? "no PTR" : "&#8212;");
      }
      g_string_append_printf(out, "</td><td class=\"n\">%" G_GUINT64_FORMAT "</td><td class=\"n\">%s %%</td><td>",
                             s->messages, share);
      tallies(out, s->dkim);
      g_string_append(out, "</td><td>");
      tallies(out, s->spf);
      g_string_append(out, "</td><td>");
      tallies(out, s->orgs);
      g_string_append(out, "</td><td>");
      esc(out, s->why);
      g_string_append(out, "</td></tr>\n");
    }
    g_string_append(out, "</tbody>\n");
  }
  g_string_append(out, "</table>\n");
}

char *
bimi_ingest_summary_to_html(const BimiIngestSummary *s, gint64 generated)
{
  GString *out = g_string_new(NULL);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(generated);
  g_autofree char *stamp = now != NULL ? g_date_time_format(now, "%Y-%m-%d %H:%M UTC") : g_strdup("?");
  g_string_append(out,
                  "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>DMARC aggregate reports</title>\n<style>\n"
                  "body{font-family:'DejaVu Sans',sans-serif;margin:24px;color:#1d2330;background:#fff}\n"
                  "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccd}\n"
                  ".verdict{padding:8px 12px;border-radius:4px;margin:8px 0}\n"
                  ".verdict.ready,.verdict.enforcing{background:#e3f5e6;border-left:4px solid #2e8b3a}\n"
                  ".verdict.not-yet{background:#fdf0dc;border-left:4px solid #d08a12}\n"
                  ".verdict.no-data{background:#eee}\n"
                  "svg.chart rect.pass{fill:#2e8b3a}svg.chart rect.fail{fill:#c8332b}\n"
                  "svg.chart line.grid{stroke:#dde;stroke-width:1}svg.chart text.axis{font-size:11px;fill:#555}\n"
                  "table.sources{border-collapse:collapse;font-size:13px;margin-top:12px}\n"
                  "table.sources td,table.sources th{border:1px solid #ccd;padding:4px 6px;vertical-align:top;"
                  "text-align:left}\n"
                  "tbody.authorised-passing th{background:#e3f5e6}tbody.authorised-failing th{background:#fdf0dc}\n"
                  "tbody.unknown-failing th{background:#f9e0de}.n{text-align:right;color:#555}\n"
                  "</style>\n</head>\n<body>\n<h1>DMARC aggregate reports</h1>\n");
  g_string_append_printf(out, "<p class=\"totals\">%u report(s), %" G_GUINT64_FORMAT " message(s), %u domain(s); "
                         "generated %s.</p>\n", s->reports, s->messages, s->domains->len, stamp);
  for (guint i = 0; i < s->domains->len; i++) {
    const BimiIngestDomain *d = g_ptr_array_index(s->domains, i);
    g_autofree char *share = pct(d->dmarc_pass, d->messages);
    g_string_append(out, "<section class=\"domain\" data-domain=\"");
    esc(out, d->domain);
    g_string_append_printf(out, "\" data-messages=\"%" G_GUINT64_FORMAT "\">\n<h2>", d->messages);
    esc(out, d->domain);
    g_string_append(out, " <small>p=");
    esc(out, d->policy);
    g_string_append_printf(out, "</small></h2>\n<p>%" G_GUINT64_FORMAT " messages in %u report(s); DMARC pass %s %%; "
                           "dispositions: none %" G_GUINT64_FORMAT ", quarantine %" G_GUINT64_FORMAT
                           ", reject %" G_GUINT64_FORMAT ".</p>\n",
                           d->messages, d->reports, share, d->disposition[0], d->disposition[2], d->disposition[3]);
    g_string_append(out, "<p class=\"verdict ");
    esc(out, d->verdict);
    g_string_append(out, "\">");
    esc(out, d->recommendation);
    g_string_append(out, "</p>\n");
    chart(out, d);
    source_table(out, d);
    g_string_append(out, "</section>\n");
  }
  g_string_append(out, "</body>\n</html>\n");
  return g_string_free(out, FALSE);
}
