/* engine/config.c — GKeyFile → immutable BimiConfig (DESIGN.md §6, STYLE.md §8).
 *
 * Strict by design: unknown groups and keys are errors, numbers are range
 * checked, so that a misspelt security knob is reported instead of ignored.
 */
#include "engine/config.h"
#include "engine/limits.h"

#include <string.h>

G_DEFINE_QUARK(bimi-config-error-quark, bimi_config_error)

/* The refcount lives in front of the public struct, so BimiConfig stays plain data. */
typedef struct {
  gatomicrefcount ref;
  BimiConfig config;
} BimiConfigBox;

#define BOX_OF(c) ((BimiConfigBox *) ((char *) (c) - G_STRUCT_OFFSET(BimiConfigBox, config)))

typedef struct {
  const char *group;
  const char *const *keys;
} KnownGroup;

static const char *const dns_keys[] = { "forwarders", "zone_files", "fault_names", "trust_anchor", "timeout_ms", NULL };
static const char *const policy_keys[] = { "dmarc", "no_ptr_action", NULL };
static const KnownGroup known_groups[] = {
  { "dns", dns_keys },
  { "policy", policy_keys },
};

BimiConfig *
bimi_config_new_default(void)
{
  BimiConfigBox *box = g_new0(BimiConfigBox, 1);
  g_atomic_ref_count_init(&box->ref);
  box->config.dns_forwarders = g_new0(char *, 1);
  box->config.dns_zone_files = g_new0(char *, 1);
  box->config.dns_fault_names = g_new0(char *, 1);
  box->config.dns_timeout_ms = BIMI_DNS_DEFAULT_TIMEOUT_MS;
  box->config.policy_dmarc = BIMI_DMARC_MODE_RFC9989;
  box->config.policy_no_ptr_action = BIMI_RDNS_ACTION_TAG;
  return &box->config;
}

BimiConfig *
bimi_config_ref(BimiConfig *config)
{
  g_return_val_if_fail(config != NULL, NULL);
  g_atomic_ref_count_inc(&BOX_OF(config)->ref);
  return config;
}

void
bimi_config_unref(BimiConfig *config)
{
  BimiConfigBox *box;

  if (config == NULL)
    return;
  box = BOX_OF(config);
  if (!g_atomic_ref_count_dec(&box->ref))
    return;
  g_strfreev(config->dns_forwarders);
  g_strfreev(config->dns_zone_files);
  g_strfreev(config->dns_fault_names);
  g_free(config->dns_trust_anchor);
  g_free(box);
}

static gboolean
check_known_keys(GKeyFile *kf, const char *source, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

  for (guint i = 0; groups[i] != NULL; i++) {
    const KnownGroup *known = NULL;
    g_auto(GStrv) keys = NULL;

    for (gsize g = 0; g < G_N_ELEMENTS(known_groups); g++)
      if (strcmp(groups[i], known_groups[g].group) == 0)
        known = &known_groups[g];
    if (known == NULL) {
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY,
                  "%s: [%s]: unknown group", source, groups[i]);
      return FALSE;
    }
    keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
    for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
      if (!g_strv_contains(known->keys, keys[k])) {
        g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_UNKNOWN_KEY,
                    "%s: [%s] %s: unknown key", source, groups[i], keys[k]);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* A list key: "a, b, c" (GKeyFile's ';' separator is accepted too). */
static char **
get_list(GKeyFile *kf, const char *group, const char *key)
{
  g_autofree char *raw = g_key_file_get_string(kf, group, key, NULL);
  g_autoptr(GPtrArray) out = g_ptr_array_new();
  g_auto(GStrv) parts = NULL;

  if (raw == NULL)
    return g_new0(char *, 1);
  parts = g_strsplit_set(raw, ",;", -1);
  for (guint i = 0; parts[i] != NULL; i++) {
    char *item = g_strstrip(parts[i]);
    if (*item != '\0')
      g_ptr_array_add(out, g_strdup(item));
  }
  g_ptr_array_add(out, NULL);
  return (char **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

static gboolean
get_uint_in_range(GKeyFile *kf, const char *group, const char *key, guint min, guint max,
                  guint *inout, const char *source, GError **error)
{
  g_autofree char *raw = g_key_file_get_string(kf, group, key, NULL);
  guint64 v = 0;

  if (raw == NULL)
    return TRUE;
  g_strstrip(raw);
  if (!g_ascii_string_to_unsigned(raw, 10, min, max, &v, NULL)) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [%s] %s = '%s': expected an integer from %u to %u", source, group, key, raw, min, max);
    return FALSE;
  }
  *inout = (guint) v;
  return TRUE;
}

/* [policy] dmarc = rfc9989 | rfc7489 */
static gboolean
get_dmarc_mode(GKeyFile *kf, BimiDmarcMode *inout, const char *source, GError **error)
{
  g_autofree char *raw = g_key_file_get_string(kf, "policy", "dmarc", NULL);

  if (raw == NULL)
    return TRUE;
  g_strstrip(raw);
  if (!bimi_dmarc_mode_from_string(raw, inout)) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [policy] dmarc = '%s': expected rfc9989 or rfc7489", source, raw);
    return FALSE;
  }
  return TRUE;
}

/* [policy] no_ptr_action = accept | tag | greylist | reject */
static gboolean
get_no_ptr_action(GKeyFile *kf, BimiRdnsAction *inout, const char *source, GError **error)
{
  g_autofree char *raw = g_key_file_get_string(kf, "policy", "no_ptr_action", NULL);

  if (raw == NULL)
    return TRUE;
  g_strstrip(raw);
  if (!bimi_rdns_action_from_string(raw, inout)) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [policy] no_ptr_action = '%s': expected accept, tag, greylist or reject", source, raw);
    return FALSE;
  }
  return TRUE;
}

BimiConfig *
bimi_config_new_from_data(const char *data, gsize len, const char *source, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  g_autoptr(BimiConfig) config = NULL;
  g_autofree char *anchor = NULL;

  if (len > BIMI_MAX_CONFIG_BYTES) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: larger than %u bytes", source, BIMI_MAX_CONFIG_BYTES);
    return NULL;
  }
  if (memchr(data, '\0', len) != NULL) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_SYNTAX, "%s: contains a NUL byte", source);
    return NULL;
  }
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_SYNTAX, "%s: %s", source, local->message);
    return NULL;
  }
  if (!check_known_keys(kf, source, error))
    return NULL;

  config = bimi_config_new_default();
  g_strfreev(config->dns_forwarders);
  config->dns_forwarders = get_list(kf, "dns", "forwarders");
  g_strfreev(config->dns_zone_files);
  config->dns_zone_files = get_list(kf, "dns", "zone_files");
  g_strfreev(config->dns_fault_names);
  config->dns_fault_names = get_list(kf, "dns", "fault_names");
  anchor = g_key_file_get_string(kf, "dns", "trust_anchor", NULL);
  if (anchor != NULL && *g_strstrip(anchor) != '\0')
    config->dns_trust_anchor = g_steal_pointer(&anchor);
  if (!get_uint_in_range(kf, "dns", "timeout_ms", 100, 60000, &config->dns_timeout_ms, source, error))
    return NULL;
  if (!get_dmarc_mode(kf, &config->policy_dmarc, source, error))
    return NULL;
  if (!get_no_ptr_action(kf, &config->policy_no_ptr_action, source, error))
    return NULL;
  return g_steal_pointer(&config);
}

BimiConfig *
bimi_config_new_from_file(const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;

  if (!g_file_get_contents(path, &contents, &len, &local)) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_IO, "%s", local->message);
    return NULL;
  }
  return bimi_config_new_from_data(contents, len, path, error);
}

void
bimi_config_get_dns_config(const BimiConfig *config, BimiDnsConfig *out)
{
  memset(out, 0, sizeof *out);
  out->forwarders = (const char *const *) config->dns_forwarders;
  out->zone_files = (const char *const *) config->dns_zone_files;
  out->fault_names = (const char *const *) config->dns_fault_names;
  out->trust_anchor_file = config->dns_trust_anchor;
  out->timeout_ms = config->dns_timeout_ms;
}
