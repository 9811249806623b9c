/* engine/arc.h — ARC chain validation (RFC 8617), receive side only.
 *
 * bimi_arc_validate() collects the ARC sets of a message (ARC-Authentication-
 * Results, ARC-Message-Signature, ARC-Seal, grouped by i=), checks their
 * structure (RFC 8617 §4.2, §5.2), verifies the newest AMS and every AS with
 * the DKIM machinery of engine/dkim, and computes oldest-pass (§5.2 step 5).
 * The result is plain data (BimiArcChain). Sealing is not implemented.
 *
 * How DMARC uses it (local policy, RFC 8617 §7.2.1): bimi_arc_trusted_pass()
 * reads the AAR of the newest set when its sealer is trusted, with the
 * alignment modes of the DMARC evaluation; the caller then applies a TRUE with
 * bimi_dmarc_evaluation_apply_arc_override(). See that function for why BIMI still needs
 * a real DMARC pass.
 *
 * Thread-safety: no global state.
 */
#ifndef BIMI_ARC_H
#define BIMI_ARC_H

#include <glib.h>
#include "engine/base/base-json.h"
#include "engine/authres.h"
#include "engine/dkim.h"
#include "engine/dmarc.h"
#include "engine/message.h"

G_BEGIN_DECLS

#define BIMI_ARC_ERROR (bimi_arc_error_quark())
GQuark bimi_arc_error_quark(void);

/** What stopped an evaluation (a broken chain is a result, not an error). */
typedef enum {
  BIMI_ARC_ERROR_SYNTAX,   /**< an ARC-Authentication-Results value lacks its "i=N;" prefix (message says where) */
  BIMI_ARC_ERROR_INTERNAL, /**< OpenSSL failed where it should not */
} BimiArcError;

/** Chain validation status (RFC 8617 §4.4). */
typedef enum {
  BIMI_ARC_RESULT_NONE,
  BIMI_ARC_RESULT_PASS,
  BIMI_ARC_RESULT_FAIL,
} BimiArcResult;

/** "none" "pass" "fail". (transfer none) */
const char *bimi_arc_result_to_string(BimiArcResult result);

/**
 * BimiArcSet:
 * One instance of the chain, plain data; strings owned, NULL when unknown.
 */
typedef struct {
  guint instance;          /**< i=, 1-based */
  char *seal_domain;       /**< AS d= (the sealer), lower case */
  char *seal_selector;     /**< AS s= */
  char *cv;                /**< AS cv= as written */
  char *seal_result;       /**< "pass"/"fail"/NULL (not checked) */
  char *ams_domain;        /**< AMS d=, lower case */
  char *ams_selector;      /**< AMS s= */
  char *ams_result;        /**< "pass"/"fail"/NULL (not checked) */
  BimiAuthres *aar;        /**< the AAR payload parsed by engine/authres, or NULL */
  char *aar_error;         /**< why @aar is NULL, or NULL */
} BimiArcSet;

void bimi_arc_set_free(BimiArcSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiArcSet, bimi_arc_set_free)

/**
 * BimiArcChain:
 * The outcome, plain data. Free with bimi_arc_chain_free().
 */
typedef struct {
  BimiArcResult result;
  char *reason;            /**< one line, ASCII: why */
  guint instances;         /**< highest i= seen (0 with no ARC field) */
  /** RFC 8617 §5.2 step 5, when @result is pass: the lowest instance from
   * which every newer AMS still validates; 0 when all of them do. */
  guint oldest_pass;
  /** (element-type BimiArcSet): index k is instance k+1, only when the
   * structure was complete (empty otherwise). */
  GPtrArray *sets;
} BimiArcChain;

void bimi_arc_chain_free(BimiArcChain *chain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiArcChain, bimi_arc_chain_free)

/** Validation settings. Zero-initialise, then set what you need. */
typedef struct {
  gint64 now;                     /**< Unix seconds, for an x= tag if one appears */
  BimiDkimKeyFetchFunc key_fetch; /**< required: the same fetchers as DKIM */
  gpointer key_fetch_data;
  BimiDkimKeyCache *key_cache;    /**< optional: decoded keys, shared with DKIM */
} BimiArcOptions;

/**
 * bimi_arc_validate:
 * @msg: the message (transfer none)
 * @options: (transfer none)
 * @error: BIMI_ARC_ERROR_INTERNAL only
 *
 * RFC 8617 §5.2. none: no ARC field. fail: more than BIMI_ARC_MAX_FIELDS ARC
 * fields or an i= over BIMI_ARC_MAX_SETS; a set incomplete or duplicated; an
 * AAR without "i=N;"; an AMS or AS that does not parse (strict RFC 6376 §3.2
 * tag-list); cv= not "none" at i=1, not "pass" later, or "fail" anywhere; the
 * newest AMS does not verify (h= listing ARC-Seal, rsa-sha1, key missing or
 * under 1024 bits, body or header hash); any AS (newest first) does not
 * verify. pass otherwise, with oldest_pass.
 *
 * Returns: (transfer full): the chain, or NULL with @error set.
 */
BimiArcChain *bimi_arc_validate(const BimiMessage *msg, const BimiArcOptions *options, GError **error);

/**
 * bimi_arc_aar_parse:
 * @value: an ARC-Authentication-Results value, untrusted, @len bytes (at
 *   most BIMI_MAX_AUTHRES_BYTES)
 * @out_instance: (out): i=, 1..BIMI_ARC_MAX_SETS
 * @out_payload_offset: (out) (optional): where the authres-payload starts
 * @error: BIMI_ARC_ERROR_SYNTAX
 *
 * RFC 8617 §4.1.1: [CFWS] "i" [CFWS] "=" [CFWS] 1*2DIGIT [CFWS] ";" payload.
 * Only the prefix is read here (no comment is accepted inside it).
 * Returns: TRUE on success.
 */
gboolean bimi_arc_aar_parse(const char *value, gsize len, guint *out_instance, gsize *out_payload_offset,
                            GError **error);

/**
 * bimi_arc_chain_build_json:
 * @writer: where a value is expected (transfer none)
 *
 * {"result","instances","oldest_pass" (null unless pass),"reason","sets":[
 *  {"i","d","s","cv","seal_result","ams":{"d","s","result"},
 *   "aar" (the payload re-serialised, or null),"aar_error"}]}.
 */
void bimi_arc_chain_build_json(const BimiArcChain *chain, BimiJsonWriter *writer);

/**
 * bimi_arc_chain_add_authres:
 * @ar: where to append (transfer none)
 * @remote_ip: (nullable): the SMTP client address, written as smtp.remote-ip
 *
 * Appends "arc=pass|fail|none" with header.oldest-pass (pass only) and
 * smtp.remote-ip, the properties of RFC 8617 §10.1.
 */
void bimi_arc_chain_add_authres(const BimiArcChain *chain, BimiAuthres *ar, const char *remote_ip);

/**
 * bimi_arc_trusted_pass:
 * @trusted_sealers: (nullable): NULL-terminated domains ([policy]
 *   trusted_arc_sealers), compared case-insensitively
 * @author_domain: the RFC5322.From domain of the message
 * @adkim: DKIM Identifier Alignment mode of the DMARC record in force
 *   (BimiDmarcEvaluation.adkim)
 * @aspf: SPF Identifier Alignment mode of that record (BimiDmarcEvaluation.aspf)
 * @out_sealer: (out) (optional) (transfer none): the sealer's d= on TRUE
 *
 * RFC 8617 §7.2.1 local policy: TRUE when the chain passes, the newest set's
 * AS d= is in @trusted_sealers, and that set's AAR vouches for @author_domain:
 * - if the AAR has dmarc= entries whose header.from domain equals
 *   @author_domain, they decide: all pass → TRUE, anything else → FALSE;
 * - otherwise a dkim=pass whose header.d (or the domain of header.i when
 *   header.d is absent) aligns per @adkim, or an spf=pass whose
 *   smtp.mailfrom (or smtp.mfrom) domain aligns per @aspf, gives TRUE.
 * Alignment follows RFC 7489 §3.1: strict = the same domain (ASCII
 * case-insensitive), relaxed = the same Organizational Domain (Public Suffix
 * List; the RFC 9989 tree walk is not used for AAR identifiers).
 *
 * Call it after bimi_dmarc_evaluate() (which knows the record's modes) and
 * apply a TRUE with bimi_dmarc_evaluation_apply_arc_override().
 */
gboolean bimi_arc_trusted_pass(const BimiArcChain *chain, const char *const *trusted_sealers,
                               const char *author_domain, BimiDmarcAlignMode adkim, BimiDmarcAlignMode aspf,
                               const char **out_sealer);

G_END_DECLS

#endif /* BIMI_ARC_H */
