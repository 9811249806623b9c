/* engine/authres-trust.h — the Authentication-Results a sender cannot forge.
 *
 * With [auth] trust_own_authres = true the service uses the verdicts its own
 * MTA stamped at delivery (RFC 8601 §5: an A-R field is only as trustworthy as
 * the host that added it) instead of verifying again later, when DKIM keys may
 * have rotated. Anyone can write "Authentication-Results: mx.example.net;
 * dmarc=pass" into a message, so an A-R field is used only when the sender
 * provably did not write it (DESIGN.md §3 "authres", issue 9):
 *
 *  - own_signing_domain: the MTA adds its A-R and then signs the message with
 *    DKIM under the operator's domain, listing "authentication-results" in h=
 *    (Apple Mail's model). A passing signature of that d= covering our A-R
 *    field proves the MTA saw it when it signed.
 *  - mta_strips_authres: the MTA removes every inbound A-R field (RFC 8601 §5
 *    allows removing all of them at the border) before adding its own, so only
 *    the topmost A-R field of the message can be ours.
 */
#ifndef BIMI_AUTHRES_TRUST_H
#define BIMI_AUTHRES_TRUST_H

#include <glib.h>
#include "engine/authres.h"
#include "engine/message.h"

G_BEGIN_DECLS

/**
 * bimi_authres_trusted_own:
 * @msg: the message (transfer none)
 * @authserv_id: our authserv-id (RFC 8601 §2.5, [auth] authserv_id), compared
 *   ASCII case-insensitively with each field's; non-empty
 * @own_signing_domain: (nullable): [auth] own_signing_domain, the DKIM d= that
 *   vouches for our A-R (compared case-insensitively, one trailing dot
 *   ignored); NULL = not configured
 * @mta_strips_authres: [auth] mta_strips_authres
 * @dkim_signatures: (element-type BimiDkimSignature) (nullable): the result of
 *   bimi_dkim_verify() for @msg, one entry per DKIM-Signature field (transfer
 *   none); NULL = no signature. Only entries with result PASS are used.
 * @out_why: (out) (optional) (transfer full): on NULL, why no A-R is trusted
 *   ("no A-R from mx.example.net", "not covered by a passing signature of
 *   d=example.net", ...); on success, which field was used and why it is
 *   trusted. ASCII; attacker-supplied text is not copied into it except
 *   authserv-ids, escaped with g_strescape().
 *
 * Finds our own Authentication-Results field, if one exists that the sender
 * cannot have forged. Only fields whose authserv-id equals @authserv_id count
 * ("ours"); a field that does not parse with bimi_authres_parse() is nobody's.
 * At least one of @own_signing_domain and @mta_strips_authres must be set:
 * with neither, any A-R could be the sender's, and NULL is returned.
 *
 * With @mta_strips_authres, only the topmost A-R field of the message may be
 * used, and only if it is ours.
 *
 * With @own_signing_domain, the field must be covered by a passing DKIM
 * signature of that d=. RFC 6376 §5.4.2: h= selects the instances of a field
 * name from the bottom of the header up, so a signature listing
 * "authentication-results" k times covers the k bottom-most A-R fields (all of
 * them when there are fewer: over-signing). Among the covered fields that are
 * ours, the topmost one is used — the one the MTA added just before signing.
 * A field of ours that sits below the signature but is NOT covered makes that
 * signature unusable: the signer listed fewer A-R than were present, so the
 * covered ones may be a sender's forgeries rather than the MTA's own. When
 * several signatures qualify, the topmost signature decides.
 * With both settings, the topmost A-R field must be ours and covered.
 *
 * Returns: (transfer full) (nullable): our A-R, parsed, or NULL when none can
 * be trusted (never an error: the caller then verifies the message itself).
 */
BimiAuthres *bimi_authres_trusted_own(const BimiMessage *msg, const char *authserv_id,
                                      const char *own_signing_domain, gboolean mta_strips_authres,
                                      const GPtrArray *dkim_signatures, char **out_why);

G_END_DECLS

#endif /* BIMI_AUTHRES_TRUST_H */
