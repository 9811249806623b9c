/* engine/dmarc-private.h — library-internal DMARC helpers (tests may include it).
 *
 * The evaluator asks DNS through one function pointer, so that unit tests
 * and the upstream scenario runner can answer from in-memory data with the
 * exact NOERROR / NODATA / NXDOMAIN / timeout semantics they need, and
 * bimi_dmarc_evaluate() plugs in engine/dns.
 */
#ifndef BIMI_DMARC_PRIVATE_H
#define BIMI_DMARC_PRIVATE_H

#include "engine/dmarc.h"

G_BEGIN_DECLS

/** One DNS answer as DMARC needs it. */
typedef struct {
  BimiDnsStatus status;
  GPtrArray *texts;   /**< of GBytes*: TXT records, strings joined (status NOERROR, type TXT); else NULL */
  char *detail;       /**< temperror cause, or NULL */
  guint32 ttl;        /**< seconds the answer may be cached (0 when the lookup does not say) */
} BimiDmarcDnsReply;

/** Frees the members of @reply (not @reply itself) and zeroes it. */
void bimi_dmarc__dns_reply_clear(BimiDmarcDnsReply *reply);

/**
 * BimiDmarcLookupFunc:
 * @name: lower-case name, no trailing dot, at most 253 bytes
 * @out: (out caller-allocates): zeroed on entry; filled on success
 *
 * Returns: FALSE with @error when the query could not be asked at all.
 */
typedef gboolean (*BimiDmarcLookupFunc)(gpointer user_data, const char *name, BimiDnsType type,
                                        BimiDmarcDnsReply *out, GError **error);

/** bimi_dmarc_evaluate() with its DNS access given as a function. */
BimiDmarcEvaluation *bimi_dmarc__evaluate_with_lookup(BimiDmarcLookupFunc lookup, gpointer user_data,
                                                      const BimiDmarcOptions *options,
                                                      const BimiDmarcInput *input, GError **error);

/**
 * bimi_dmarc__tree_walk_names:
 * @domain: a normalized domain
 *
 * RFC 9989 §4.10: the names a tree walk from @domain visits, in order: the
 * domain, then (when it has more than 8 labels) its last 7 labels, then one
 * label less each time down to the top-level label; at most
 * BIMI_DMARC_MAX_TREE_WALK_QUERIES.
 *
 * Returns: (transfer full): NULL-terminated list.
 */
char **bimi_dmarc__tree_walk_names(const char *domain);

/**
 * bimi_dmarc__normalize_domain:
 * Lower-cases, drops one trailing dot, checks RFC 1035 lengths (labels 1..63,
 * name ≤ 253) and characters (letters, digits, '-', '_').
 * Returns: (transfer full) (nullable): the name, or NULL when invalid.
 */
char *bimi_dmarc__normalize_domain(const char *domain);

/** The pct sampling bucket 0..99 of a message (SHA-256 of Message-ID "\n" Date). */
guint bimi_dmarc__pct_bucket(const char *message_id, const char *date);

/**
 * bimi_dmarc__policy_from_string:
 * @text: (nullable): a p=, sp= or np= value (RFC 9989 §4.7), NUL-terminated
 * @out_value: (out) (optional): the policy
 *
 * Reads "none", "quarantine" or "reject", ASCII letters without case.
 * Returns: FALSE for any other text and for NULL (@out_value unchanged).
 */
gboolean bimi_dmarc__policy_from_string(const char *text, BimiDmarcPolicy *out_value);

G_END_DECLS

#endif /* BIMI_DMARC_PRIVATE_H */
