/* engine/spf.h — Sender Policy Framework: RFC 7208 check_host().
 *
 * One call evaluates one identity (MAIL FROM, or HELO when the reverse-path
 * is null) of one SMTP client address against the DNS, through the engine's
 * DNS layer (engine/dns.h). The result is data (RFC 8601 result names); a
 * GError only means the inputs could not be evaluated at all.
 *
 * The record parser and the macro expander used here are in
 * engine/spf-private.h (tests and fuzz targets include it).
 */
#ifndef BIMI_SPF_H
#define BIMI_SPF_H

#include <glib.h>
#include <gio/gio.h>
#include "engine/base/base-json.h"

#include "engine/dns.h"
#include "engine/authres.h"

G_BEGIN_DECLS

#define BIMI_SPF_ERROR (bimi_spf_error_quark())
GQuark bimi_spf_error_quark(void);

/** Why an evaluation could not run, or why a record/macro did not parse. */
typedef enum {
  BIMI_SPF_ERROR_INPUT,   /**< unusable input (bad address, sender over BIMI_SPF_MAX_SENDER_BYTES) */
  BIMI_SPF_ERROR_SYNTAX,  /**< SPF record or macro-string syntax (message gives the byte offset) */
  BIMI_SPF_ERROR_LIMIT,   /**< a limit of engine/limits.h was exceeded */
} BimiSpfError;

/** check_host() results, RFC 7208 §2.6 (names as in RFC 8601). */
typedef enum {
  BIMI_SPF_RESULT_NONE,
  BIMI_SPF_RESULT_NEUTRAL,
  BIMI_SPF_RESULT_PASS,
  BIMI_SPF_RESULT_FAIL,
  BIMI_SPF_RESULT_SOFTFAIL,
  BIMI_SPF_RESULT_TEMPERROR,
  BIMI_SPF_RESULT_PERMERROR,
} BimiSpfResultCode;

/** Which identity was checked (RFC 7208 §2.3, §2.4). */
typedef enum {
  BIMI_SPF_IDENTITY_MAILFROM,
  BIMI_SPF_IDENTITY_HELO,
} BimiSpfIdentity;

/** Evaluation settings; a zeroed struct (or NULL) gives the defaults. */
typedef struct {
  /** %{r}: domain name of the receiving host (RFC 7208 §7.3); NULL = "unknown". */
  const char *receiver;
  /** %{t}: the current time in Unix seconds, from the caller (the engine reads no clock, STYLE.md §7). */
  gint64 now;
  /** Macro-string (§6.2 explain-string) used when the record has no usable exp=;
   * NULL = no explanation (result->explanation stays NULL). */
  const char *default_explanation;
  /** Void-lookup limit (§4.6.4 "MAY be configurable"); 0 = BIMI_SPF_MAX_VOID_LOOKUPS. */
  guint max_void_lookups;
  /** Elapsed-time limit of the whole check_host(), exp= included, in
   * milliseconds (§4.6.4: "SHOULD impose a limit on the maximum amount of
   * elapsed time ... SHOULD allow at least 20 seconds"; exceeded →
   * temperror); 0 = BIMI_SPF_DEFAULT_TIME_LIMIT_MS. */
  guint time_limit_ms;
} BimiSpfOptions;

/** The outcome of one check_host(). All strings (transfer full, owned by the result). */
typedef struct {
  BimiSpfResultCode result;
  BimiSpfIdentity identity;
  char *domain;           /**< the <domain> checked (MAIL FROM domain or HELO name), without a trailing dot (§4.3) */
  char *sender;           /**< the <sender>: MAIL FROM, or "postmaster@" + HELO / the domain */
  char *ip;               /**< client address text (IPv4-mapped IPv6 shown as IPv4) */
  char *record;           /**< the SPF record of @domain, NULL when none was selected */
  /** The term that decided, as written, e.g. "-all", "ip4:192.0.2.0/24",
   * "?include:_spf.example.net"; NULL for the default result (no term matched,
   * no redirect), for none, and for errors. */
  char *mechanism;
  char *mechanism_domain; /**< domain whose record holds @mechanism (differs after redirect=) */
  char *explanation;      /**< fail only: exp= text expanded (§6.2), or the default explanation, or NULL */
  char *problem;          /**< permerror/temperror (and some none): what went wrong and where */
  guint dns_lookups;      /**< DNS-querying terms counted against BIMI_SPF_MAX_DNS_TERMS */
  guint void_lookups;     /**< void lookups counted against the void limit */
  guint dns_queries;      /**< every DNS question asked, exp= included */
} BimiSpfResult;

void bimi_spf_result_free(BimiSpfResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiSpfResult, bimi_spf_result_free)

/**
 * bimi_spf_check_host:
 * @resolver: the shared DNS resolver (transfer none)
 * @ip: the SMTP client address; IPv4-mapped IPv6 is evaluated as IPv4 (§5, §5.6)
 * @domain: <domain>, the domain whose policy is checked (presentation form, trailing dot optional)
 * @sender: <sender>, "local-part@domain" as received; a missing local-part
 *          becomes "postmaster" (§4.3)
 * @helo: (nullable): HELO/EHLO name for %{h}; NULL expands to "unknown", and
 *        so does a HELO that is longer than BIMI_SPF_MAX_SENDER_BYTES, not
 *        UTF-8 or has a control byte: it only feeds %{h} (RFC 7208 §7.3), so
 *        it does not stop the check of another identity
 * @options: (nullable): settings, NULL = defaults
 * @error: BIMI_SPF_ERROR_INPUT when @domain or @sender is longer than
 *         BIMI_SPF_MAX_SENDER_BYTES, is not UTF-8 or contains control bytes
 *
 * RFC 7208 §4: initial processing (§4.3: a malformed or single-label @domain
 * gives none before any query), record lookup and selection (§4.4, §4.5: TXT
 * only, exactly one "v=spf1" record), evaluation of mechanisms (§5) and
 * modifiers (§6), macros (§7), the limits of §4.6.4 and the explanation of a
 * fail (§6.2). DNS failures (also a failing resolver) give temperror,
 * exceeded limits and syntax errors permerror. Every DNS query shares one
 * deadline, @options->time_limit_ms from the call (§4.6.4): once it passes
 * nothing more is asked and the result is temperror with a problem that
 * starts "deadline" (also when the ptr mechanism or %{p} ran out of time,
 * whose DNS errors otherwise only skip names, §5.5); a fail whose exp= runs
 * out of time keeps its result, without the explanation. Thread-safe: no
 * shared state besides @resolver.
 *
 * Returns: (transfer full): the result, or NULL with @error set.
 */
BimiSpfResult *bimi_spf_check_host(BimiDnsResolver *resolver, GInetAddress *ip, const char *domain,
                                   const char *sender, const char *helo,
                                   const BimiSpfOptions *options, GError **error);

/**
 * bimi_spf_check:
 * @resolver: the shared DNS resolver (transfer none)
 * @ip: the SMTP client address
 * @helo: (nullable): HELO/EHLO name
 * @mail_from: (nullable): MAIL FROM reverse-path without angle brackets
 *             (brackets are tolerated); NULL or "" = null reverse-path
 * @options: (nullable): settings
 * @error: as bimi_spf_check_host() (for the HELO identity, an unusable
 *         @helo is the unusable <domain>); also BIMI_SPF_ERROR_INPUT when
 *         both @helo and @mail_from are empty
 *
 * Chooses the identity as an MTA does (RFC 7208 §2.4): the MAIL FROM
 * identity, or with a null reverse-path the HELO identity with
 * <sender> = "postmaster@" HELO; then runs bimi_spf_check_host().
 *
 * Returns: (transfer full): the result, or NULL with @error set.
 */
BimiSpfResult *bimi_spf_check(BimiDnsResolver *resolver, GInetAddress *ip, const char *helo,
                              const char *mail_from, const BimiSpfOptions *options, GError **error);

/**
 * bimi_spf_result_build_json:
 * @result: an SPF result (transfer none)
 * @helo: (nullable): the HELO name given to the check, reported as "helo"
 * @writer: a BimiJsonWriter where a value is expected (transfer none)
 *
 * Adds one object, the auth.spf value of the service and of `bimi spf --json`:
 * result, identity ("mailfrom"/"helo"), domain, sender, ip, helo, mechanism,
 * mechanism_domain, record, explanation, problem (strings or null), lookups,
 * void_lookups, dns_queries (integers).
 */
void bimi_spf_result_build_json(const BimiSpfResult *result, const char *helo, BimiJsonWriter *writer);

/**
 * bimi_spf_result_add_authres:
 * @result: an SPF result (transfer none)
 * @ar: where to append (transfer none)
 *
 * Appends "spf=<result>" with smtp.mailfrom (the MAIL FROM identity) or
 * smtp.helo (the HELO identity), RFC 8601 §2.7.2.
 */
void bimi_spf_result_add_authres(const BimiSpfResult *result, BimiAuthres *ar);

/** "none" "neutral" "pass" "fail" "softfail" "temperror" "permerror". (transfer none) */
const char *bimi_spf_result_to_string(BimiSpfResultCode result);
/** Parses the names above (case-insensitive); FALSE when unknown. */
gboolean bimi_spf_result_from_string(const char *text, BimiSpfResultCode *out_result);
/** "mailfrom" or "helo" (RFC 7208 §9.1 identity names). (transfer none) */
const char *bimi_spf_identity_to_string(BimiSpfIdentity identity);

/**
 * bimi_spf_check_helo:
 * @resolver: the shared DNS resolver (transfer none)
 * @ip: the SMTP client address
 * @helo: (nullable): HELO/EHLO name
 * @mail_from: (nullable): the result of bimi_spf_check() for the same session
 * @options: (nullable): settings
 *
 * RFC 7208 §2.3: the HELO identity checked on its own (<sender> =
 * "postmaster@" HELO), reported as smtp.helo next to the MAIL FROM result.
 * Only when @mail_from checked the MAIL FROM identity: with a null path that
 * check already was the HELO identity (§2.4). DMARC never aligns it.
 *
 * Returns: (transfer full) (nullable): the result (identity HELO), or NULL
 * when there is no separate HELO check to make or @helo is unusable.
 */
BimiSpfResult *bimi_spf_check_helo(BimiDnsResolver *resolver, GInetAddress *ip, const char *helo,
                                   const BimiSpfResult *mail_from, const BimiSpfOptions *options);

G_END_DECLS

#endif /* BIMI_SPF_H */
