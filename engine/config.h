/* engine/config.h — the one configuration file (DESIGN.md §6), parsed once.
 *
 * An INI file read with GKeyFile into an immutable BimiConfig. Unknown groups,
 * unknown keys and out-of-range values are errors (STYLE.md §8): a typo in a
 * security setting must not silently fall back to a default. Every key and its
 * default is documented in conf/bimi.conf.example; each issue that adds a
 * section adds its keys here and there.
 */
#ifndef BIMI_CONFIG_H
#define BIMI_CONFIG_H

#include <glib.h>
#include "engine/dns.h"
#include "engine/dmarc.h"
#include "engine/rdns.h"

G_BEGIN_DECLS

#define BIMI_CONFIG_ERROR (bimi_config_error_quark())
GQuark bimi_config_error_quark(void);

typedef enum {
  BIMI_CONFIG_ERROR_SYNTAX,       /**< not a valid key file (GKeyFile's message, with the line) */
  BIMI_CONFIG_ERROR_UNKNOWN_KEY,  /**< a group or key this version does not know */
  BIMI_CONFIG_ERROR_VALUE,        /**< a value of the wrong type or out of range */
  BIMI_CONFIG_ERROR_IO,           /**< the file could not be read */
} BimiConfigError;

/** The parsed configuration. Immutable once built; share with bimi_config_ref(). */
typedef struct {
  /* [dns] */
  char **dns_forwarders;     /**< "ADDR[@PORT]" list, NULL-terminated, maybe empty */
  char **dns_zone_files;     /**< offline zone files, NULL-terminated, maybe empty */
  char **dns_fault_names;    /**< owner names whose unanswerable queries time out */
  char *dns_trust_anchor;    /**< DNSSEC root anchor file, or NULL (no validation) */
  guint dns_timeout_ms;      /**< per-query deadline, 100..60000 ms, default 4000 */
  /* [policy] */
  BimiDmarcMode policy_dmarc; /**< "dmarc": rfc9989 (default) or rfc7489 — policy discovery and
                               *   Organizational Domain method (engine/dmarc.h) */
  BimiRdnsAction policy_no_ptr_action; /**< "no_ptr_action": accept|tag (default)|greylist|reject,
                                        *   advised when FCrDNS finds no confirmed name (engine/rdns.h) */
} BimiConfig;

/**
 * bimi_config_new_default:
 *
 * Returns: (transfer full): the configuration with every default (system
 * resolver, 4 s DNS deadline, DMARC by RFC 9989). Free with bimi_config_unref().
 */
BimiConfig *bimi_config_new_default(void);

/**
 * bimi_config_new_from_data:
 * @data: (array length=len): key-file text, untrusted, need not be NUL-terminated
 * @len: bytes of @data, at most BIMI_MAX_CONFIG_BYTES
 * @source: name for error messages (the path)
 * @error: BIMI_CONFIG_ERROR_SYNTAX, _UNKNOWN_KEY ("SOURCE: [group] key: unknown key"), _VALUE
 *
 * Relative zone-file paths stay as written (relative to the process's cwd).
 *
 * Returns: (transfer full): the configuration, or NULL with @error set.
 */
BimiConfig *bimi_config_new_from_data(const char *data, gsize len, const char *source, GError **error);

/**
 * bimi_config_new_from_file:
 * @path: the INI file
 * @error: BIMI_CONFIG_ERROR_IO, or any error of bimi_config_new_from_data()
 *
 * Returns: (transfer full): the configuration, or NULL with @error set.
 */
BimiConfig *bimi_config_new_from_file(const char *path, GError **error);

BimiConfig *bimi_config_ref(BimiConfig *config);
void bimi_config_unref(BimiConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiConfig, bimi_config_unref)

/**
 * bimi_config_get_dns_config:
 * @config: the configuration
 * @out: (out caller-allocates): filled with pointers into @config (transfer none;
 *       valid while @config lives)
 *
 * The [dns] settings in the shape bimi_dns_resolver_new() takes.
 */
void bimi_config_get_dns_config(const BimiConfig *config, BimiDnsConfig *out);

G_END_DECLS

#endif /* BIMI_CONFIG_H */
