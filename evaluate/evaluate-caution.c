/* evaluate/evaluate-caution.c — brand-impersonation caution in the pipeline (issue 19).
 *
 * Start: [caution] brands_file and stop_words_file are read (refused at start and by
 * --check-config, naming file, group and key) into the brand registry
 * (cache/brands.h), which shares learned brands through the record cache's backend.
 * Learning: every Evidence Document that validates (evaluate-evidence.c) gives a
 * brand — the subject organisation without its legal form, the logo's <title> as a
 * second name, the SAN dNSNames (a "<selector>._bimi.<domain>" SAN gives its domain)
 * plus the BIMI record's domain, the mark's SHA-256 — until the certificate's notAfter.
 * Check: after DMARC, for a message whose decision is none, the RFC5322.From display
 * names and domain against the brand set (engine/caution.h). The result is the
 * decision's "caution" member; the decision and the Authentication-Results are
 * untouched (the caution is advice to the reader, not an authentication result).
 */
#include "evaluate/evaluate-private.h"
#include "engine/base/base-json.h"
#include "engine/limits.h"

#include <string.h>

/* The brands and stop words of @c's files. */
static gboolean
load_files(const BimiConfig *c, GPtrArray **brands, char ***stop_words, GError **error)
{
  *brands = NULL;
  *stop_words = NULL;
  if (c->caution_brands_file != NULL) {
    *brands = bimi_caution_brands_load(c->caution_brands_file, error);
    if (*brands == NULL)
      return FALSE;
  }
  if (c->caution_stop_words_file != NULL) {
    *stop_words = bimi_caution_stop_words_load(c->caution_stop_words_file, error);
    if (*stop_words == NULL) {
      g_clear_pointer(brands, g_ptr_array_unref);
      return FALSE;
    }
  }
  return TRUE;
}

static BimiBrandRegistry *
registry_new(const BimiConfig *c, BimiRecordCacheBackend *backend, GError **error)
{
  g_autoptr(GPtrArray) brands = NULL;
  g_auto(GStrv) stop_words = NULL;
  BimiCautionOptions options = { 0 };

  if (!load_files(c, &brands, &stop_words, error))
    return NULL;
  options.min_name_length = c->caution_min_name_length;
  options.max_edit_distance = c->caution_max_edit_distance;
  options.stop_words = (const char *const *) stop_words;
  return bimi_brand_registry_new(brands, &options, backend, c->caution_max_learned_brands, error);
}

gboolean
bimi_evaluate__caution_init(BimiEvaluator *ev, GError **error)
{
  if (!ev->config->caution_enabled)
    return TRUE;
  ev->brands = registry_new(ev->config, ev->records_backend, error);
  if (ev->brands == NULL)
    return FALSE;
  /* bimi_cautions_total shows each signal from the start, at 0 */
  bimi_evaluate__count_declare(ev, BIMI_EVALUATE_METRIC_CAUTIONS,
                               bimi_caution_signal_to_string(BIMI_CAUTION_SIGNAL_DISPLAY_NAME), NULL);
  bimi_evaluate__count_declare(ev, BIMI_EVALUATE_METRIC_CAUTIONS,
                               bimi_caution_signal_to_string(BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN), NULL);
  bimi_evaluate__count_declare(ev, BIMI_EVALUATE_METRIC_CAUTIONS,
                               bimi_caution_signal_to_string(BIMI_CAUTION_SIGNAL_DISPLAY_NAME |
                                                             BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN), NULL);
  return TRUE;
}

void
bimi_evaluate__caution_check_config(const BimiConfig *config, const char *source, GPtrArray *problems)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiBrandRegistry) r = NULL;

  if (!config->caution_enabled)
    return;
  r = registry_new(config, NULL, &error);
  if (r == NULL)
    g_ptr_array_add(problems, g_strdup_printf("%s: [caution] %s", source, error->message));
}

void
bimi_evaluate__caution_check(BimiEvaluator *ev, BimiEvaluateRun *run, const BimiMessage *msg, gboolean dmarc_pass,
                             gint64 now)
{
  g_autoptr(BimiCautionSet) set = NULL;
  g_autoptr(GPtrArray) from = NULL;

  if (ev->brands == NULL || run->kind != BIMI_DECISION_NONE)
    return;
  set = bimi_brand_registry_get_set(ev->brands, now);
  if (bimi_caution_set_size(set) == 0)
    return;
  from = bimi_message_get_from_mailboxes(msg, NULL, NULL);
  /* DMARC's Author Domain is the one mailbox's; with several From mailboxes (no DMARC pass),
   * each mailbox is a claim of its own: the first caution found is the answer */
  for (guint i = 0; from != NULL && i < from->len && run->caution == NULL; i++) {
    const BimiMailbox *m = g_ptr_array_index(from, i);
    const char *domain = m->domain_is_literal ? NULL : m->domain;
    gboolean pass = dmarc_pass && domain != NULL && run->dmarc != NULL &&
                    g_strcmp0(run->dmarc->author_domain, domain) == 0;
    run->caution = bimi_caution_check(set, m->display_name, domain, pass);
  }
  if (run->caution != NULL)
    bimi_evaluate__count(ev, BIMI_EVALUATE_METRIC_CAUTIONS, bimi_caution_signal_to_string(run->caution->signals),
                         NULL);
}

/* The domain a SAN dNSName stands for: "<selector>._bimi.<domain>" gives <domain>, a
 * wildcard "*.<domain>" gives <domain>; NULL for anything else that is not a host name. */
static const char *
san_domain(const char *san)
{
  const char *bimi = strstr(san, "._bimi.");

  if (bimi != NULL)
    return bimi + strlen("._bimi.");
  if (g_str_has_prefix(san, "*."))
    return san + 2;
  return san;
}

void
bimi_evaluate__caution_learn(BimiEvaluator *ev, const BimiVmcResult *cert, const char *record_domain,
                             const char *title, const char *sha256, gint64 now)
{
  g_autofree char *name = NULL, *alias = NULL, *name_key = NULL, *alias_key = NULL;
  const char *domains[BIMI_CAUTION_MAX_BRAND_DOMAINS + 1];
  guint n = 0;
  g_autoptr(BimiCautionBrand) brand = NULL;
  g_autoptr(GError) error = NULL;

  if (ev->brands == NULL || !ev->config->caution_learn || cert == NULL || cert->not_after <= now)
    return;
  name = bimi_caution_brand_name_from_organization(cert->organization);
  alias = bimi_caution_brand_name_from_organization(title);
  if (name == NULL || strlen(name) > BIMI_CAUTION_MAX_NAME_BYTES) {
    g_clear_pointer(&name, g_free);
    name = g_steal_pointer(&alias);
  }
  if (name == NULL || strlen(name) > BIMI_CAUTION_MAX_NAME_BYTES)
    return;
  if (alias != NULL) {
    name_key = bimi_caution_skeleton(name, strlen(name), NULL);
    alias_key = bimi_caution_skeleton(alias, strlen(alias), NULL);
    if (strlen(alias) > BIMI_CAUTION_MAX_NAME_BYTES || g_strcmp0(name_key, alias_key) == 0)
      g_clear_pointer(&alias, g_free);
  }
  /* the record domain first, then the SANs, up to BIMI_CAUTION_MAX_BRAND_DOMAINS (bimi_caution_brand_new()
   * drops duplicates) */
  domains[n++] = record_domain;
  for (guint i = 0; cert->sans != NULL && cert->sans[i] != NULL && n < BIMI_CAUTION_MAX_BRAND_DOMAINS; i++)
    domains[n++] = san_domain(cert->sans[i]);
  domains[n] = NULL;
  brand = bimi_caution_brand_new(name, domains, &error);
  if (brand == NULL) {
    /* a SAN that is not a host name: the record domain alone, which the certificate covers */
    const char *only[] = { record_domain, NULL };
    g_debug("caution: learning %s: %s; the record domain alone", record_domain, error->message);
    g_clear_error(&error);
    brand = bimi_caution_brand_new(name, only, &error);
    if (brand == NULL)
      return;
  }
  brand->alias = g_steal_pointer(&alias);
  brand->source = cert->cert_type == BIMI_VMC_CERT_CMC ? BIMI_CAUTION_SOURCE_CMC : BIMI_CAUTION_SOURCE_VMC;
  brand->record_domain = g_strdup(brand->domains[0]);
  brand->not_after = cert->not_after;
  if (sha256 != NULL && strlen(sha256) == 64)
    brand->logo_sha256 = g_ascii_strdown(sha256, -1);
  if (bimi_brand_registry_learn(ev->brands, brand, now))
    g_debug("caution: learned brand \"%s\" (%s) until %" G_GINT64_FORMAT, brand->name, brand->record_domain,
            brand->not_after);
}

void
bimi_evaluate__caution_build_json(BimiJsonWriter *b, const BimiCautionMatch *m)
{
  if (m == NULL) {
    bimi_json_add_null_value(b);
    return;
  }
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "svsss", "brand", m->brand, "domains", m->domains, "signal",
                        bimi_caution_signal_to_string(m->signals), "matched", m->matched, "text", m->text);
  bimi_json_end_object(b);
}

void
bimi_evaluate__caution_metrics(BimiEvaluator *ev,
                               void (*add)(GArray *all, BimiEvaluateMetric m, const char *l1, const char *l2,
                                           guint64 value),
                               GArray *all)
{
  BimiBrandRegistryStats s;

  if (ev->brands == NULL)
    return;
  bimi_brand_registry_get_stats(ev->brands, &s);
  add(all, BIMI_EVALUATE_METRIC_CAUTION_BRANDS, "operator", NULL, s.operator_brands);
  add(all, BIMI_EVALUATE_METRIC_CAUTION_BRANDS, "learned", NULL, s.learned_brands);
  add(all, BIMI_EVALUATE_METRIC_CAUTION_REGISTRY, "learned", NULL, s.learned);
  add(all, BIMI_EVALUATE_METRIC_CAUTION_REGISTRY, "expired", NULL, s.expired);
  add(all, BIMI_EVALUATE_METRIC_CAUTION_REGISTRY, "evicted", NULL, s.evicted);
  add(all, BIMI_EVALUATE_METRIC_CAUTION_REGISTRY, "shared_read", NULL, s.shared_reads);
  add(all, BIMI_EVALUATE_METRIC_CAUTION_REGISTRY, "shared_write", NULL, s.shared_writes);
  add(all, BIMI_EVALUATE_METRIC_CAUTION_REGISTRY, "shared_invalid", NULL, s.shared_invalid);
}
