/* evaluate/filter.h — consent-aware filtering in the decision (issue 17).
 *
 * Filtering a message (rejecting, discarding or moving it to a spam folder)
 * because of its DMARC result or its client's missing reverse DNS reads the
 * user's mail for a purpose the user may not have agreed to; in some
 * jurisdictions (Japan, Telecommunications Business Act art. 4) it is lawful
 * only with the user's valid consent. Labelling (Authentication-Results, a
 * warning banner) is not filtering. So this module keeps apart:
 *
 *   recommended  what the evidence supports: the DMARC disposition after the
 *                overrides the pipeline already applied (trusted ARC sealer,
 *                our own trusted Authentication-Results, t=y test mode, RFC
 *                7489 pct sampling — RFC 9989 §4.7, RFC 7489 §6.6.4, RFC 8617
 *                §7.2.1) and the no-PTR action ([filter] no_ptr) for a client
 *                without a forward-confirmed reverse name (RFC 8601 §2.7.3
 *                iprev none or fail; a temperror never filters);
 *   applied      the strongest recommended action among the filters the user
 *                consented to: never more than recommended, deliver without
 *                consent;
 *   label        a warning the webmail may show whatever the consent.
 *
 * Filters ("consent" items): "dmarc", "no-ptr". Actions, weakest first:
 * "deliver", "quarantine", "reject".
 */
#ifndef BIMI_FILTER_H
#define BIMI_FILTER_H

#include <glib.h>
#include "engine/base/base-json.h"
#include "engine/dmarc.h"
#include "engine/rdns.h"

G_BEGIN_DECLS

#define BIMI_FILTER_ERROR (bimi_filter_error_quark())
GQuark bimi_filter_error_quark(void);

typedef enum {
  BIMI_FILTER_ERROR_CONSENT = 1, /**< a consent list naming an unknown filter, or longer than
                                  *   BIMI_FILTER_MAX_CONSENT_BYTES (→ HTTP 400, field "consent") */
} BimiFilterError;

/** The filters, as bits of a consent set. */
typedef enum {
  BIMI_FILTER_DMARC = 1u << 0,  /**< "dmarc": the DMARC disposition of a failing message */
  BIMI_FILTER_NO_PTR = 1u << 1, /**< "no-ptr": a client without forward-confirmed reverse DNS */
} BimiFilterKind;

/** Every filter. */
#define BIMI_FILTER_ALL (BIMI_FILTER_DMARC | BIMI_FILTER_NO_PTR)

/** "dmarc", "no-ptr"; NULL for anything else. (transfer none) */
const char *bimi_filter_kind_to_string(BimiFilterKind kind);

/** What to do with a message, weakest first (the order compares actions). */
typedef enum {
  BIMI_FILTER_ACTION_DELIVER,
  BIMI_FILTER_ACTION_QUARANTINE,
  BIMI_FILTER_ACTION_REJECT,
} BimiFilterAction;

/** "deliver", "quarantine", "reject". (transfer none) */
const char *bimi_filter_action_to_string(BimiFilterAction action);

/**
 * bimi_filter_consent_parse:
 * @text: a consent list: filter names ("dmarc", "no-ptr") separated by commas,
 *   blanks around them ignored, each at most once counted; "" or "none" is the
 *   empty set. Untrusted (a query parameter), at most BIMI_FILTER_MAX_CONSENT_BYTES.
 * @out_filters: (out): the set, bits of BimiFilterKind
 * @error: BIMI_FILTER_ERROR_CONSENT naming the unknown item ("consent: 'spam' is not a
 *   filter (dmarc, no-ptr, or none)"), an empty item between commas, "none" beside a
 *   filter, or the length limit
 *
 * Returns: TRUE when @text is a valid list.
 */
gboolean bimi_filter_consent_parse(const char *text, guint *out_filters, GError **error);

/**
 * bimi_filter_consent_to_string:
 * @filters: a set (bits of BimiFilterKind)
 *
 * Returns: (transfer full): "none", or the names in a fixed order joined by ", "
 *   (what bimi_filter_consent_parse() reads back).
 */
char *bimi_filter_consent_to_string(guint filters);

/** One reason of a recommended action. Plain data, owned by the outcome. */
typedef struct {
  BimiFilterKind filter;    /**< which filter recommends it */
  BimiFilterAction action;  /**< quarantine or reject (a filter recommending deliver gives no reason) */
  char *detail;             /**< one line, human: why */
} BimiFilterReason;

/** What the filters made of one evaluation. Plain data; free with bimi_filter_outcome_free(). */
typedef struct {
  BimiFilterAction recommended; /**< the strongest action of @reasons; deliver when there is none */
  GPtrArray *reasons;           /**< of BimiFilterReason*: dmarc first, then no-ptr; maybe empty */
  BimiFilterAction applied;     /**< the strongest action of the reasons whose filter is in @consent */
  guint consent;                /**< the consent taken into account (bits of BimiFilterKind) */
  gboolean consent_from_request; /**< the request gave it; else it is [filter] default_consent */
  const char *label_code;       /**< "dmarc-fail-reject", "dmarc-fail-quarantine", "no-ptr"; NULL: no label */
  const char *label_text;       /**< the human sentence of @label_code (static), or NULL */
} BimiFilterOutcome;

void bimi_filter_outcome_free(BimiFilterOutcome *outcome);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiFilterOutcome, bimi_filter_outcome_free)

/** Whether @outcome's applied action covers @reason (its filter is in the consent). */
gboolean bimi_filter_reason_applied(const BimiFilterOutcome *outcome, const BimiFilterReason *reason);

/** The evaluation a decision rests on, for bimi_filter_evaluate(). All (transfer none). */
typedef struct {
  const BimiDmarcEvaluation *dmarc; /**< the DMARC evaluation, overrides applied; NULL: not evaluated */
  const BimiRdnsResult *rdns;       /**< FCrDNS of the client; NULL: no client address */
  BimiFilterAction no_ptr_action;   /**< [filter] no_ptr: what a client without a confirmed name earns */
  guint consent;                    /**< the user's consent (bits of BimiFilterKind) */
  gboolean consent_from_request;    /**< @consent came with the request (else the configured default) */
} BimiFilterInput;

/**
 * bimi_filter_evaluate:
 * @input: the evaluation and the consent
 *
 * The dmarc filter recommends the DMARC disposition (quarantine, reject) of a
 * message whose result is fail after the overrides (a trusted ARC sealer, our
 * own trusted A-R, t=y and pct sampling already lowered @input->dmarc's
 * disposition); pass, none, temperror and permerror recommend nothing. The
 * no-ptr filter recommends @input->no_ptr_action when FCrDNS is none (no PTR)
 * or fail (no PTR name resolves back); pass, temperror and an unknown client
 * recommend nothing. The label follows the strongest DMARC reason, else the
 * no-PTR reason; without a reason there is no label.
 *
 * Returns: (transfer full): the outcome; never NULL.
 */
BimiFilterOutcome *bimi_filter_evaluate(const BimiFilterInput *input);

/**
 * bimi_filter_outcome_build_json:
 * @outcome: (nullable): NULL writes null (domain status)
 * @b: a builder where a value is expected
 *
 * The "filter" member of the decision (docs/api.md):
 * {"recommended": {"action", "reasons": [{"filter", "action", "detail"}]},
 *  "applied": {"action", "reasons": [the recommended reasons the consent covered]},
 *  "consent": ["dmarc", "no-ptr"], "consent_source": "request" | "default",
 *  "label": null | {"code", "text"}}.
 */
void bimi_filter_outcome_build_json(const BimiFilterOutcome *outcome, BimiJsonWriter *b);

G_END_DECLS

#endif /* BIMI_FILTER_H */
