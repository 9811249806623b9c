/* survey/survey-json.c — `bimi survey --json`: the tables of survey-table.c as one JSON object
 * (the shape is documented in survey-output.h and docs/api.md). */
#include "survey/survey-output.h"


/* COUNTS: "messages" and one {"counts", "shares"} member per table. */
static void
add_counts(JsonBuilder *b, const BimiSurveyCounts *c)
{
  BimiSurveyTable tables[16];
  guint n = bimi_survey__tables(c, tables, G_N_ELEMENTS(tables));

  json_builder_set_member_name(b, "messages");
  json_builder_add_int_value(b, (gint64) c->messages);
  for (guint i = 0; i < n; i++) {
    const BimiSurveyTable *t = &tables[i];
    json_builder_set_member_name(b, t->name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "counts");
    json_builder_begin_object(b);
    for (guint j = 0; j < t->n; j++) {
      json_builder_set_member_name(b, t->names[j]);
      json_builder_add_int_value(b, (gint64) t->values[j]);
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "shares");
    json_builder_begin_object(b);
    for (guint j = 0; j < t->n; j++) {
      json_builder_set_member_name(b, t->names[j]);
      json_builder_add_double_value(b, bimi_survey__share(t->values[j], t->denominator));
    }
    json_builder_end_object(b);
    if (g_str_equal(t->name, "policy_domains")) {
      json_builder_set_member_name(b, "capped");
      json_builder_add_boolean_value(b, c->domains_capped);
    }
    json_builder_end_object(b);
  }
}

/* "name": the string made valid UTF-8 (file names and error messages may not be), or null. */
static void
add_string_or_null(JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name(b, name);
  if (value == NULL) {
    json_builder_add_null_value(b);
  } else {
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    json_builder_add_string_value(b, valid);
  }
}

static void
add_int(JsonBuilder *b, const char *name, guint64 value)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, (gint64) value);
}

static void
add_time_or_null(JsonBuilder *b, const char *name, gboolean has, gint64 t)
{
  g_autofree char *text = has ? bimi_survey_format_time(t) : NULL;

  add_string_or_null(b, name, text);
}

JsonNode *
bimi_survey_build_json(BimiSurveyStats *stats, const BimiSurveyReportInfo *info)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  GPtrArray *malformed = bimi_survey_stats_malformed(stats);
  gint64 width = bimi_survey_stats_bin_seconds(stats);

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "survey");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "inputs");
  json_builder_begin_array(b);
  for (guint i = 0; info->inputs != NULL && info->inputs[i] != NULL; i++) {
    g_autofree char *valid = g_utf8_make_valid(info->inputs[i], -1);
    json_builder_add_string_value(b, valid);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "bin_seconds");
  json_builder_add_int_value(b, width);
  add_time_or_null(b, "from", info->has_from, info->from);
  add_time_or_null(b, "to", info->has_to, info->to);
  json_builder_set_member_name(b, "jobs");
  json_builder_add_int_value(b, info->jobs);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "messages");
  json_builder_begin_object(b);
  add_int(b, "read", info->run->messages);
  add_int(b, "evaluated", info->run->evaluated);
  add_int(b, "malformed", bimi_survey_stats_n_malformed(stats));
  add_int(b, "outside_period", bimi_survey_stats_outside_period(stats));
  add_int(b, "undated", bimi_survey_stats_undated(stats));
  add_int(b, "beyond_bin_limit", bimi_survey_stats_beyond_bin_limit(stats));
  json_builder_end_object(b);
  json_builder_set_member_name(b, "elapsed_seconds");
  json_builder_add_double_value(b, info->run->elapsed);
  json_builder_set_member_name(b, "messages_per_second");
  json_builder_add_double_value(b, info->run->messages_per_second);

  json_builder_set_member_name(b, "total");
  json_builder_begin_object(b);
  add_counts(b, bimi_survey_stats_total(stats));
  json_builder_end_object(b);

  json_builder_set_member_name(b, "bins");
  json_builder_begin_array(b);
  for (guint i = 0; i < bimi_survey_stats_n_bins(stats); i++) {
    gint64 start = bimi_survey_stats_bin_start(stats, i);
    json_builder_begin_object(b);
    add_time_or_null(b, "start", TRUE, start);
    add_time_or_null(b, "end", TRUE, start + width);
    add_counts(b, bimi_survey_stats_bin(stats, i));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);

  json_builder_set_member_name(b, "malformed");
  json_builder_begin_array(b);
  for (guint i = 0; i < malformed->len; i++) {
    const BimiSurveyMalformed *m = malformed->pdata[i];
    json_builder_begin_object(b);
    add_string_or_null(b, "file", m->where);
    add_string_or_null(b, "reason", m->reason);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}
