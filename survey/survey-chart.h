/* survey/survey-chart.h — `bimi survey --charts DIR`: PNG charts of the survey (cairo).
 *
 *   fcrdns.png   per-bin stacked bars of messages by FCrDNS pass / fail / none / temperror / no
 *                envelope (the operator's "mail from PTR-less MTAs" slide);
 *   dmarc.png    per-bin 100 % bars of the DMARC result (top) and of the published policy (bottom);
 *   refused.png  the share of all mail refused (reject + quarantine) today (nothing refused) and
 *                under each receiver policy of survey-stats.h: before / after.
 * Each BIMI_SURVEY_CHART_WIDTH x BIMI_SURVEY_CHART_HEIGHT pixels, with title, axes, labels, legend.
 */
#ifndef BIMI_SURVEY_CHART_H
#define BIMI_SURVEY_CHART_H

#include <glib.h>
#include "survey/survey-stats.h"

G_BEGIN_DECLS

/**
 * bimi_survey_write_charts:
 * @dir: an existing directory, or one to create (mode 0755)
 * @written: (element-type filename): gets the path of each PNG written, appended
 * @error: G_FILE_ERROR (the directory cannot be made, a file cannot be written), naming the path
 *
 * Returns: TRUE when every chart was written.
 */
gboolean bimi_survey_write_charts(BimiSurveyStats *stats, const char *dir, GPtrArray *written, GError **error);

G_END_DECLS

#endif /* BIMI_SURVEY_CHART_H */
