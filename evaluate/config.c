/* evaluate/config.c — GKeyFile → immutable BimiConfig (DESIGN.md §6, STYLE.md §8).
 *
 * Strict by design: unknown groups and keys are errors, numbers are range
 * checked, so that a misspelt security knob is reported instead of ignored.
 */
#include "evaluate/config.h"
#include "engine/limits.h"
#include "engine/util.h"

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
static const char *const policy_keys[] = { "dmarc", "no_ptr_action", "trusted_arc_sealers", "bimi_accept_arc_override",
                                           "logo_without_evidence", "cmc", "fcrdns", NULL };
static const char *const fetch_keys[] = { "connect_timeout_ms", "timeout_ms", "max_redirects", "logo_max_bytes",
                                          "evidence_max_bytes", "max_per_host", "allow_private_addresses",
                                          "ca_file", "resolve", "connect_to", NULL };
static const char *const trust_keys[] = { "bimi_roots", "ct_logs", "revocation", NULL };
static const char *const cache_keys[] = { "dir", "max_bytes", "min_ttl", "max_ttl", "negative_ttl",
                                          "max_entries", "max_stale", "wait_ms", NULL };
static const char *const auth_keys[] = { "authserv_id", "max_signatures", "trusted_receivers", "trust_own_authres",
                                         "own_signing_domain", "mta_strips_authres", NULL };
static const char *const server_keys[] = { "listen", "socket_mode", "threads", "max_message_bytes", "max_queue",
                                           "shutdown_timeout_ms", "log_level", "logo_url_prefix", NULL };
static const char *const render_keys[] = { "sizes", "workers", "deadline_ms", "worker_path", NULL };
static const char *const testing_keys[] = { "now", NULL };
static const KnownGroup known_groups[] = {
  { "dns", dns_keys },
  { "policy", policy_keys },
  { "fetch", fetch_keys },
  { "trust", trust_keys },
  { "cache", cache_keys },
  { "auth", auth_keys },
  { "server", server_keys },
  { "render", render_keys },
  { "testing", testing_keys },
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
  box->config.auth_max_signatures = BIMI_DKIM_DEFAULT_MAX_SIGNATURES;
  box->config.fetch_connect_timeout_ms = BIMI_FETCH_CONNECT_TIMEOUT_MS;
  box->config.fetch_timeout_ms = BIMI_FETCH_TOTAL_TIMEOUT_MS;
  box->config.fetch_max_redirects = BIMI_FETCH_MAX_REDIRECTS;
  box->config.fetch_logo_max_bytes = BIMI_FETCH_LOGO_MAX_BYTES;
  box->config.fetch_evidence_max_bytes = BIMI_FETCH_EVIDENCE_MAX_BYTES;
  box->config.fetch_max_per_host = BIMI_FETCH_MAX_PER_HOST;
  box->config.fetch_resolve = g_new0(char *, 1);
  box->config.fetch_connect_to = g_new0(char *, 1);
  box->config.trust_bimi_roots = g_strdup(BIMI_CONFIG_DEFAULT_BIMI_ROOTS);
  box->config.trust_ct_logs = g_strdup(BIMI_CONFIG_DEFAULT_CT_LOGS);
  box->config.trust_revocation = BIMI_VMC_REVOCATION_SOFT;
  box->config.cache_dir = g_strdup(BIMI_CACHE_DEFAULT_DIR);
  box->config.cache_max_bytes = BIMI_CACHE_DEFAULT_MAX_BYTES;
  box->config.cache_min_ttl = BIMI_CACHE_DEFAULT_MIN_TTL;
  box->config.cache_max_ttl = BIMI_CACHE_DEFAULT_MAX_TTL;
  box->config.cache_negative_ttl = BIMI_CACHE_DEFAULT_NEGATIVE_TTL;
  box->config.cache_max_entries = BIMI_CACHE_DEFAULT_MAX_ENTRIES;
  box->config.cache_max_stale = BIMI_CACHE_DEFAULT_MAX_STALE;
  box->config.cache_wait_ms = BIMI_CACHE_DEFAULT_WAIT_MS;
  box->config.policy_trusted_arc_sealers = g_new0(char *, 1);
  box->config.policy_show_cmc = TRUE;
  box->config.policy_require_fcrdns = TRUE;
  box->config.auth_trusted_receivers = g_new0(char *, 1);
  box->config.server_listen = g_strdup(BIMI_CONFIG_DEFAULT_LISTEN);
  box->config.server_socket_mode = 0660;
  box->config.server_threads = BIMI_SERVER_DEFAULT_THREADS;
  box->config.server_max_message_bytes = BIMI_SERVER_DEFAULT_MAX_MESSAGE_BYTES;
  box->config.server_max_queue = BIMI_SERVER_DEFAULT_MAX_QUEUE;
  box->config.server_shutdown_timeout_ms = BIMI_SERVER_DEFAULT_SHUTDOWN_MS;
  box->config.server_log_level = g_strdup("info");
  box->config.server_logo_url_prefix = g_strdup("/bimi/v1/logo");
  box->config.render_n_sizes = G_N_ELEMENTS(bimi_render_default_sizes);
  box->config.render_sizes = g_memdup2(bimi_render_default_sizes, sizeof bimi_render_default_sizes);
  box->config.render_workers = 2;
  box->config.render_deadline_ms = BIMI_RENDER_DEFAULT_DEADLINE_MS;
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
  g_free(config->auth_authserv_id);
  g_free(config->trust_bimi_roots);
  g_free(config->trust_ct_logs);
  g_free(config->fetch_ca_file);
  g_strfreev(config->fetch_resolve);
  g_strfreev(config->fetch_connect_to);
  g_free(config->cache_dir);
  g_strfreev(config->policy_trusted_arc_sealers);
  g_strfreev(config->auth_trusted_receivers);
  g_free(config->auth_own_signing_domain);
  g_free(config->server_listen);
  g_free(config->server_log_level);
  g_free(config->server_logo_url_prefix);
  g_free(config->render_sizes);
  g_free(config->render_worker_path);
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

static gboolean
get_uint64_in_range(GKeyFile *kf, const char *group, const char *key, guint64 min, guint64 max,
                    guint64 *inout, const char *source, GError **error)
{
  g_autofree char *raw = g_key_file_get_string(kf, group, key, NULL);
  guint64 v = 0;

  if (raw == NULL)
    return TRUE;
  g_strstrip(raw);
  if (!g_ascii_string_to_unsigned(raw, 10, min, max, &v, NULL)) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [%s] %s = '%s': expected an integer from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
                source, group, key, raw, min, max);
    return FALSE;
  }
  *inout = v;
  return TRUE;
}

/* [cache] (cache/store.h, cache/records.h) */
static gboolean
get_cache(GKeyFile *kf, BimiConfig *c, const char *source, GError **error)
{
  g_autofree char *dir = g_key_file_get_string(kf, "cache", "dir", NULL);

  if (dir != NULL) {
    g_strstrip(dir);
    if (*dir == '\0') {
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                  "%s: [cache] dir: must not be empty", source);
      return FALSE;
    }
    g_free(c->cache_dir);
    c->cache_dir = g_steal_pointer(&dir);
  }
  if (!get_uint64_in_range(kf, "cache", "max_bytes", 1024u * 1024u, (guint64) 1 << 40, &c->cache_max_bytes,
                           source, error) ||
      !get_uint_in_range(kf, "cache", "min_ttl", 0, 604800, &c->cache_min_ttl, source, error) ||
      !get_uint_in_range(kf, "cache", "max_ttl", 60, 2592000, &c->cache_max_ttl, source, error) ||
      !get_uint_in_range(kf, "cache", "negative_ttl", 0, 86400, &c->cache_negative_ttl, source, error) ||
      !get_uint_in_range(kf, "cache", "max_entries", 1, BIMI_CACHE_MAX_ENTRIES, &c->cache_max_entries,
                         source, error) ||
      !get_uint_in_range(kf, "cache", "max_stale", 0, 604800, &c->cache_max_stale, source, error) ||
      !get_uint_in_range(kf, "cache", "wait_ms", 0, 60000, &c->cache_wait_ms, source, error))
    return FALSE;
  if (c->cache_min_ttl > c->cache_max_ttl) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [cache] min_ttl = %u is larger than max_ttl = %u", source, c->cache_min_ttl,
                c->cache_max_ttl);
    return FALSE;
  }
  return TRUE;
}

static gboolean
get_bool(GKeyFile *kf, const char *group, const char *key, gboolean *inout, const char *source, GError **error)
{
  g_autofree char *raw = g_key_file_get_string(kf, group, key, NULL);

  if (raw == NULL)
    return TRUE;
  g_strstrip(raw);
  if (strcmp(raw, "true") == 0)
    *inout = TRUE;
  else if (strcmp(raw, "false") == 0)
    *inout = FALSE;
  else {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [%s] %s = '%s': expected true or false", source, group, key, raw);
    return FALSE;
  }
  return TRUE;
}

/* [fetch]: engine/fetch.h; ranges from engine/limits.h. */
static gboolean
parse_fetch(GKeyFile *kf, BimiConfig *config, const char *source, GError **error)
{
  g_autofree char *ca = NULL;

  if (!get_uint_in_range(kf, "fetch", "connect_timeout_ms", 100, 60000, &config->fetch_connect_timeout_ms,
                         source, error) ||
      !get_uint_in_range(kf, "fetch", "timeout_ms", 100, 120000, &config->fetch_timeout_ms, source, error) ||
      !get_uint_in_range(kf, "fetch", "max_redirects", 0, BIMI_FETCH_MAX_REDIRECTS_LIMIT,
                         &config->fetch_max_redirects, source, error) ||
      !get_uint_in_range(kf, "fetch", "logo_max_bytes", 1024, BIMI_FETCH_MAX_BODY_BYTES,
                         &config->fetch_logo_max_bytes, source, error) ||
      !get_uint_in_range(kf, "fetch", "evidence_max_bytes", 1024, BIMI_FETCH_MAX_BODY_BYTES,
                         &config->fetch_evidence_max_bytes, source, error) ||
      !get_uint_in_range(kf, "fetch", "max_per_host", 1, 256, &config->fetch_max_per_host, source, error) ||
      !get_bool(kf, "fetch", "allow_private_addresses", &config->fetch_allow_private_addresses, source, error))
    return FALSE;
  ca = g_key_file_get_string(kf, "fetch", "ca_file", NULL);
  if (ca != NULL && *g_strstrip(ca) != '\0')
    config->fetch_ca_file = g_steal_pointer(&ca);
  g_strfreev(config->fetch_connect_to);
  config->fetch_connect_to = get_list(kf, "fetch", "connect_to");
  if (g_strv_length(config->fetch_connect_to) > BIMI_FETCH_MAX_RESOLVE_PINS) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [fetch] connect_to: more than %u entries", source, BIMI_FETCH_MAX_RESOLVE_PINS);
    return FALSE;
  }
  g_strfreev(config->fetch_resolve);
  config->fetch_resolve = get_list(kf, "fetch", "resolve");
  if (g_strv_length(config->fetch_resolve) > BIMI_FETCH_MAX_RESOLVE_PINS) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [fetch] resolve: more than %u pins", source, BIMI_FETCH_MAX_RESOLVE_PINS);
    return FALSE;
  }
  return TRUE;
}

/* [trust]: file paths (non-empty when given) and the revocation mode. */
static gboolean
get_trust(GKeyFile *kf, BimiConfig *config, const char *source, GError **error)
{
  static const char *const path_keys[] = { "bimi_roots", "ct_logs" };
  char **slots[] = { &config->trust_bimi_roots, &config->trust_ct_logs };
  g_autofree char *mode = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS(path_keys); i++) {
    g_autofree char *v = g_key_file_get_string(kf, "trust", path_keys[i], NULL);
    if (v == NULL)
      continue;
    g_strstrip(v);
    if (*v == '\0') {
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                  "%s: [trust] %s: empty (the BIMI trust configuration cannot be disabled)", source, path_keys[i]);
      return FALSE;
    }
    g_free(*slots[i]);
    *slots[i] = g_steal_pointer(&v);
  }
  mode = g_key_file_get_string(kf, "trust", "revocation", NULL);
  if (mode != NULL && !bimi_vmc_revocation_mode_from_string(g_strstrip(mode), &config->trust_revocation)) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [trust] revocation = '%s': expected require, soft or off", source, mode);
    return FALSE;
  }
  return TRUE;
}

/* A string key with a fixed set of spellings (ASCII case-insensitive); *inout is set to the index in @choices. */
static gboolean
get_choice(GKeyFile *kf, const char *group, const char *key, const char *const *choices, guint *inout,
           const char *source, GError **error)
{
  g_autofree char *raw = g_key_file_get_string(kf, group, key, NULL);
  g_autoptr(GString) list = g_string_new(NULL);

  if (raw == NULL)
    return TRUE;
  g_strstrip(raw);
  for (guint i = 0; choices[i] != NULL; i++) {
    if (g_ascii_strcasecmp(raw, choices[i]) == 0) {
      *inout = i;
      return TRUE;
    }
  }
  for (guint i = 0; choices[i] != NULL; i++)
    g_string_append_printf(list, "%s%s", i > 0 ? ", " : "", choices[i]);
  g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
              "%s: [%s] %s = '%s': expected one of %s", source, group, key, raw, list->str);
  return FALSE;
}

/* A two-way choice stored as a gboolean: @choices[0] is FALSE, @choices[1] TRUE. */
static gboolean
get_flag_choice(GKeyFile *kf, const char *group, const char *key, const char *off, const char *on,
                gboolean *inout, const char *source, GError **error)
{
  const char *const choices[] = { off, on, NULL };
  guint v = *inout ? 1 : 0;

  if (!get_choice(kf, group, key, choices, &v, source, error))
    return FALSE;
  *inout = v == 1;
  return TRUE;
}

/* [policy] dmarc = rfc9989 | rfc7489 (engine/dmarc.h spellings, in enum order) */
static gboolean
get_dmarc_mode(GKeyFile *kf, BimiDmarcMode *inout, const char *source, GError **error)
{
  static const char *const modes[] = { "rfc9989", "rfc7489", NULL };
  guint v = (guint) *inout;

  G_STATIC_ASSERT(BIMI_DMARC_MODE_RFC9989 == 0 && BIMI_DMARC_MODE_RFC7489 == 1);
  if (!get_choice(kf, "policy", "dmarc", modes, &v, source, error))
    return FALSE;
  *inout = (BimiDmarcMode) v;
  return TRUE;
}

/* [policy] no_ptr_action = accept | tag | greylist | reject (engine/rdns.h, in enum order) */
static gboolean
get_no_ptr_action(GKeyFile *kf, BimiRdnsAction *inout, const char *source, GError **error)
{
  static const char *const actions[] = { "accept", "tag", "greylist", "reject", NULL };
  guint v = (guint) *inout;

  G_STATIC_ASSERT(BIMI_RDNS_ACTION_ACCEPT == 0 && BIMI_RDNS_ACTION_TAG == 1 && BIMI_RDNS_ACTION_GREYLIST == 2 &&
                  BIMI_RDNS_ACTION_REJECT == 3);
  if (!get_choice(kf, "policy", "no_ptr_action", actions, &v, source, error))
    return FALSE;
  *inout = (BimiRdnsAction) v;
  return TRUE;
}

/* A lower-cased list of host names; @what names the key in errors. */
static gboolean
get_domain_list(GKeyFile *kf, const char *group, const char *key, char ***inout, const char *source, GError **error)
{
  char **list = get_list(kf, group, key);

  for (guint i = 0; list[i] != NULL; i++) {
    for (char *c = list[i]; *c != '\0'; c++) {
      if (!g_ascii_isalnum(*c) && *c != '-' && *c != '.' && *c != '_') {
        g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                    "%s: [%s] %s: '%s' is not a domain name", source, group, key, list[i]);
        g_strfreev(list);
        return FALSE;
      }
      *c = g_ascii_tolower(*c);
    }
  }
  g_strfreev(*inout);
  *inout = list;
  return TRUE;
}

/* A non-empty string key replacing *inout when present. */
static gboolean
get_nonempty_string(GKeyFile *kf, const char *group, const char *key, char **inout, const char *source,
                    GError **error)
{
  g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);

  if (v == NULL)
    return TRUE;
  g_strstrip(v);
  if (*v == '\0') {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE, "%s: [%s] %s: must not be empty", source, group, key);
    return FALSE;
  }
  g_free(*inout);
  *inout = g_steal_pointer(&v);
  return TRUE;
}

/* A string key where empty means unset (NULL). */
static gboolean
get_optional_path(GKeyFile *kf, const char *group, const char *key, char **inout)
{
  g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);

  if (v == NULL)
    return TRUE;
  g_strstrip(v);
  g_free(*inout);
  *inout = *v != '\0' ? g_steal_pointer(&v) : NULL;
  return TRUE;
}

/* [policy] decision keys and [auth] envelope/A-R trust keys. */
static gboolean
get_decision_policy(GKeyFile *kf, BimiConfig *c, const char *source, GError **error)
{
  g_autofree char *own = NULL;

  if (!get_flag_choice(kf, "policy", "logo_without_evidence", "none", "logo", &c->policy_logo_without_evidence,
                       source, error) ||
      !get_flag_choice(kf, "policy", "cmc", "none", "logo", &c->policy_show_cmc, source, error) ||
      !get_flag_choice(kf, "policy", "fcrdns", "ignore", "require", &c->policy_require_fcrdns, source, error) ||
      !get_domain_list(kf, "auth", "trusted_receivers", &c->auth_trusted_receivers, source, error) ||
      !get_bool(kf, "auth", "trust_own_authres", &c->auth_trust_own_authres, source, error) ||
      !get_bool(kf, "auth", "mta_strips_authres", &c->auth_mta_strips_authres, source, error))
    return FALSE;
  {
    char **one = NULL;
    if (!get_domain_list(kf, "auth", "own_signing_domain", &one, source, error))
      return FALSE;
    if (one != NULL && one[0] != NULL) {
      if (one[1] != NULL) {
        g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                    "%s: [auth] own_signing_domain: one domain expected", source);
        g_strfreev(one);
        return FALSE;
      }
      own = g_strdup(one[0]);
    }
    g_strfreev(one);
  }
  if (own != NULL) {
    g_free(c->auth_own_signing_domain);
    c->auth_own_signing_domain = g_steal_pointer(&own);
  }
  if (c->auth_trust_own_authres && c->auth_own_signing_domain == NULL && !c->auth_mta_strips_authres) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [auth] trust_own_authres = true needs own_signing_domain or mta_strips_authres = true "
                "(else a sender could forge the Authentication-Results)", source);
    return FALSE;
  }
  return TRUE;
}

/* [server], [render], [testing] */
static gboolean
get_service(GKeyFile *kf, BimiConfig *c, const char *source, GError **error)
{
  static const char *const levels[] = { "error", "warning", "info", "debug", NULL };
  guint level = 2;
  g_autofree char *mode = NULL;
  g_autofree char *sizes = NULL;
  g_autofree char *now = NULL;

  if (!get_nonempty_string(kf, "server", "listen", &c->server_listen, source, error) ||
      !get_uint_in_range(kf, "server", "threads", 1, BIMI_SERVER_MAX_THREADS, &c->server_threads, source, error) ||
      !get_uint_in_range(kf, "server", "max_message_bytes", 1024, BIMI_MAX_MESSAGE_BYTES,
                         &c->server_max_message_bytes, source, error) ||
      !get_uint_in_range(kf, "server", "max_queue", 1, 65536, &c->server_max_queue, source, error) ||
      !get_uint_in_range(kf, "server", "shutdown_timeout_ms", 0, 600000, &c->server_shutdown_timeout_ms, source,
                         error) ||
      !get_choice(kf, "server", "log_level", levels, &level, source, error) ||
      !get_nonempty_string(kf, "server", "logo_url_prefix", &c->server_logo_url_prefix, source, error) ||
      !get_uint_in_range(kf, "render", "workers", 1, BIMI_RENDER_MAX_WORKERS, &c->render_workers, source, error) ||
      !get_uint_in_range(kf, "render", "deadline_ms", 100, 60000, &c->render_deadline_ms, source, error) ||
      !get_optional_path(kf, "render", "worker_path", &c->render_worker_path))
    return FALSE;
  g_free(c->server_log_level);
  c->server_log_level = g_strdup(levels[level]);
  mode = g_key_file_get_string(kf, "server", "socket_mode", NULL);
  if (mode != NULL) {
    guint64 v = 0;
    g_strstrip(mode);
    if (!g_ascii_string_to_unsigned(mode, 8, 0, 0777, &v, NULL)) {
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                  "%s: [server] socket_mode = '%s': expected octal permission bits such as 0660", source, mode);
      return FALSE;
    }
    c->server_socket_mode = (guint) v;
  }
  {
    const char *l = c->server_listen;
    const char *colon = strrchr(l, ':');
    guint64 port = 0;
    gboolean ok;
    if (g_str_has_prefix(l, "unix:"))
      ok = l[5] == '/';
    else if (l[0] == '/')
      ok = TRUE;
    else
      ok = colon != NULL && colon != l && g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL);
    if (!ok) {
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                  "%s: [server] listen = '%s': expected unix:/PATH, /PATH or HOST:PORT", source, l);
      return FALSE;
    }
  }
  if (c->server_logo_url_prefix[0] != '/' && !g_str_has_prefix(c->server_logo_url_prefix, "https://")) {
    g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                "%s: [server] logo_url_prefix = '%s': expected an absolute path or an https URL", source,
                c->server_logo_url_prefix);
    return FALSE;
  }
  sizes = g_key_file_get_string(kf, "render", "sizes", NULL);
  if (sizes != NULL) {
    g_autoptr(GError) bad = NULL;
    g_autoptr(GArray) arr = bimi_render_parse_sizes(sizes, &bad);
    if (arr == NULL) {
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE, "%s: [render] sizes: %s", source, bad->message);
      return FALSE;
    }
    g_free(c->render_sizes);
    c->render_n_sizes = arr->len;
    c->render_sizes = g_memdup2(arr->data, sizeof(guint) * arr->len);
  }
  now = g_key_file_get_string(kf, "testing", "now", NULL);
  if (now != NULL && *g_strstrip(now) != '\0') {
    guint64 epoch = 0;
    if (now[0] == '@') {
      if (!g_ascii_string_to_unsigned(now + 1, 10, 1, G_MAXINT64, &epoch, NULL))
        epoch = 0;
    } else {
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(now, NULL);
      if (dt != NULL && g_date_time_to_unix(dt) > 0)
        epoch = (guint64) g_date_time_to_unix(dt);
    }
    if (epoch == 0) {
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                  "%s: [testing] now = '%s': expected RFC 3339 (2026-06-01T00:00:00Z) or @EPOCH", source, now);
      return FALSE;
    }
    c->testing_now = (gint64) epoch;
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
  /* [auth] */
  if (!get_uint_in_range(kf, "auth", "max_signatures", 1, BIMI_DKIM_MAX_SIGNATURES, &config->auth_max_signatures,
                         source, error))
    return NULL;
  {
    g_autofree char *id = g_key_file_get_string(kf, "auth", "authserv_id", NULL);
    if (id != NULL && *g_strstrip(id) != '\0') {
      for (const char *p = id; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_') {
          g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                      "%s: [auth] authserv_id = '%s': expected a host name (RFC 8601 §2.5)", source, id);
          return NULL;
        }
      }
      config->auth_authserv_id = g_steal_pointer(&id);
    }
  }
  if (!parse_fetch(kf, config, source, error))
    return NULL;
  if (!get_trust(kf, config, source, error))
    return NULL;
  if (!get_cache(kf, config, source, error))
    return NULL;
  g_strfreev(config->policy_trusted_arc_sealers);
  config->policy_trusted_arc_sealers = get_list(kf, "policy", "trusted_arc_sealers");
  for (guint i = 0; config->policy_trusted_arc_sealers[i] != NULL; i++) {
    char *d = config->policy_trusted_arc_sealers[i];
    for (char *c = d; *c != '\0'; c++) {
      if (!g_ascii_isalnum(*c) && *c != '-' && *c != '.' && *c != '_') {
        g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                    "%s: [policy] trusted_arc_sealers: '%s' is not a domain name", source, d);
        return NULL;
      }
      *c = g_ascii_tolower(*c);
    }
  }
  if (!get_decision_policy(kf, config, source, error) || !get_service(kf, config, source, error))
    return NULL;
  if (g_key_file_has_key(kf, "policy", "bimi_accept_arc_override", NULL)) {
    g_autoptr(GError) bad = NULL;
    config->policy_bimi_accept_arc_override =
      g_key_file_get_boolean(kf, "policy", "bimi_accept_arc_override", &bad);
    if (bad != NULL) {
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE,
                  "%s: [policy] bimi_accept_arc_override: expected true or false", source);
      return NULL;
    }
  }
  return g_steal_pointer(&config);
}

BimiConfig *
bimi_config_new_from_file(const char *path, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  const char *data;

  bytes = bimi_util_read_file(path, BIMI_MAX_CONFIG_BYTES, &local);
  if (bytes == NULL) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_VALUE, "%s", local->message);
    else
      g_set_error(error, BIMI_CONFIG_ERROR, BIMI_CONFIG_ERROR_IO, "%s", local->message);
    return NULL;
  }
  data = g_bytes_get_data(bytes, &len);
  return bimi_config_new_from_data(data != NULL ? data : "", len, path, error);
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

void
bimi_config_get_fetch_config(const BimiConfig *config, BimiFetchConfig *out)
{
  memset(out, 0, sizeof *out);
  out->connect_timeout_ms = config->fetch_connect_timeout_ms;
  out->timeout_ms = config->fetch_timeout_ms;
  out->max_redirects = config->fetch_max_redirects;
  out->redirects_set = TRUE;
  out->logo_max_bytes = config->fetch_logo_max_bytes;
  out->evidence_max_bytes = config->fetch_evidence_max_bytes;
  out->max_per_host = config->fetch_max_per_host;
  out->allow_private_addresses = config->fetch_allow_private_addresses;
  out->ca_file = config->fetch_ca_file;
  out->resolve = (const char *const *) config->fetch_resolve;
  out->connect_to = (const char *const *) config->fetch_connect_to;
}

void
bimi_config_get_record_cache_config(const BimiConfig *config, BimiRecordCacheConfig *out,
                                    BimiCacheTtlBounds *bounds)
{
  memset(out, 0, sizeof *out);
  out->max_ttl = config->cache_max_ttl;
  out->negative_ttl = config->cache_negative_ttl;
  out->max_stale = config->cache_max_stale;
  out->wait_ms = config->cache_wait_ms;
  if (bounds != NULL) {
    bounds->min_ttl = config->cache_min_ttl;
    bounds->max_ttl = config->cache_max_ttl;
  }
}
