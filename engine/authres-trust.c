/* engine/authres-trust.c — which Authentication-Results field is our own MTA's.
 *
 * Implements the trust rules of DESIGN.md §3 "authres" (issue 9) on top of
 * RFC 8601 §5 (an A-R field is only as good as the host that added it; a
 * border MTA removes or may remove inbound ones) and RFC 6376 §5.4.2 (the
 * instances of a field name listed k times in h= are the k bottom-most ones;
 * names listed more often than present stand for empty fields).
 *
 * Deliberate choices:
 *  - A signature that covers only some of our A-R fields present below it is
 *    refused: the covered ones are then the BOTTOM ones, which is where a
 *    sender's forged copy sits, while the MTA's own field (added last, on
 *    top) is not signed. Signers must list "authentication-results" once per
 *    field present, or more (over-signing).
 *  - The topmost signature that qualifies decides; no attempt is made to
 *    combine signatures.
 *  - An A-R field that does not parse is nobody's, but still counts as an
 *    instance when h= is matched bottom up (the signer hashed it).
 */
#include "engine/authres-trust.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-text.h"
#include "engine/dkim.h"
#include "engine/limits.h"

#include <string.h>


/* How many times h= lists "authentication-results" (RFC 6376 §3.5 h=). */
static guint
count_signed_authres(const BimiDkimSignature *sig)
{
  guint n = 0;
  if (sig->signed_headers == NULL)
    return 0;
  for (guint i = 0; sig->signed_headers[i] != NULL; i++) {
    const char *h = sig->signed_headers[i];
    gsize len = strlen(h);
    while (len > 0 && g_ascii_isspace(*h)) {
      h++;
      len--;
    }
    while (len > 0 && g_ascii_isspace(h[len - 1]))
      len--;
    if (len == strlen("authentication-results") && g_ascii_strncasecmp(h, "authentication-results", len) == 0)
      n++;
  }
  return n;
}

typedef struct {
  guint field_index;  /* in the message */
  guint line;
  BimiAuthres *ar;    /* NULL when it does not parse */
  gboolean ours;
} ArField;

static void
ar_fields_free(ArField *f, guint n)
{
  for (guint i = 0; i < n; i++)
    bimi_authres_free(f[i].ar);
  g_free(f);
}

/* The rules, once the A-R fields are parsed; may steal one f[j].ar. */
static BimiAuthres *
decide(const BimiMessage *msg, ArField *f, guint m, guint n_ours, const char *id_esc, const char *own_signing_domain,
       gboolean mta_strips_authres, const GPtrArray *dkim_signatures, char **out_why)
{
  if (n_ours == 0) {
    bimi_text_set_printf(out_why, "no A-R from %s among the %u Authentication-Results field%s", id_esc, m, m == 1 ? "" : "s");
    return NULL;
  }

  if (mta_strips_authres && !f[0].ours) {
    if (f[0].ar == NULL) {
      bimi_text_set_printf(out_why, "the topmost A-R (line %u) does not parse; the MTA strips inbound A-R, so only it may be ours",
              f[0].line);
    } else {
      g_autofree char *other = g_strescape(f[0].ar->authserv_id, NULL);
      bimi_text_set_printf(out_why, "the topmost A-R (line %u) is from %s, not from %s; the MTA strips inbound A-R, so only it may be ours",
              f[0].line, other, id_esc);
    }
    return NULL;
  }

  if (own_signing_domain == NULL) {
    bimi_text_set_printf(out_why, "the topmost A-R (line %u) is from %s and the MTA strips inbound A-R", f[0].line, id_esc);
    return g_steal_pointer(&f[0].ar);
  }

  g_autofree char *dom_esc = g_strescape(own_signing_domain, NULL);
  guint n_passing = 0;
  g_autofree char *last_why = NULL;
  for (guint s = 0; dkim_signatures != NULL && s < dkim_signatures->len; s++) {
    const BimiDkimSignature *sig = dkim_signatures->pdata[s];
    if (sig->result != BIMI_DKIM_RESULT_PASS || sig->domain == NULL || !bimi_domain_equal(sig->domain, own_signing_domain))
      continue;
    n_passing++;
    g_autofree char *sel = g_strescape(sig->selector ? sig->selector : "?", NULL);
    guint k = count_signed_authres(sig);
    if (k == 0) {
      g_free(last_why);
      last_why = g_strdup_printf("the passing signature of d=%s s=%s does not sign any Authentication-Results field",
                                 dom_esc, sel);
      continue;
    }
    /* Field j (0 = top) is covered when it is among the k bottom-most. */
    gint use = -1;
    gint uncovered = -1;
    for (guint j = 0; j < m; j++) {
      gboolean covered = m - 1 - j < k;
      if (!f[j].ours)
        continue;
      if (covered && use < 0)
        use = (gint) j;
      if (!covered && f[j].field_index > sig->field_index && uncovered < 0)
        uncovered = (gint) j;
    }
    if (uncovered >= 0) {
      g_free(last_why);
      last_why = g_strdup_printf("the passing signature of d=%s s=%s lists authentication-results %u time%s, "
                                 "which leaves our A-R at line %u below it unsigned: the signed one%s may be the sender's",
                                 dom_esc, sel, k, k == 1 ? "" : "s",
                                 f[uncovered].line, k == 1 ? "" : "s");
      continue;
    }
    if (use < 0) {
      g_free(last_why);
      last_why = g_strdup_printf("no A-R from %s is covered by the passing signature of d=%s s=%s", id_esc, dom_esc,
                                 sel);
      continue;
    }
    if (mta_strips_authres && use != 0) {
      g_free(last_why);
      last_why = g_strdup_printf("the A-R covered by the signature of d=%s (line %u) is not the topmost one",
                                 dom_esc, f[use].line);
      continue;
    }
    bimi_text_set_printf(out_why, "the A-R from %s at line %u is covered by the passing signature of d=%s s=%s (line %u)", id_esc,
            f[use].line, dom_esc, sel,
            sig->field_index < bimi_message_get_n_fields(msg) ? bimi_message_get_field(msg, sig->field_index)->line : 0);
    return g_steal_pointer(&f[use].ar);
  }
  if (n_passing == 0)
    bimi_text_set_printf(out_why, "not covered by a passing signature of d=%s: the message has none", dom_esc);
  else
    bimi_text_set_printf(out_why, "not covered by a passing signature of d=%s: %s", dom_esc, last_why);

  return NULL;
}

BimiAuthres *
bimi_authres_trusted_own(const BimiMessage *msg, const char *authserv_id, const char *own_signing_domain,
                         gboolean mta_strips_authres, const GPtrArray *dkim_signatures, char **out_why)
{
  g_return_val_if_fail(msg != NULL, NULL);
  g_return_val_if_fail(authserv_id != NULL && *authserv_id != '\0', NULL);
  if (out_why != NULL)
    *out_why = NULL;

  g_autofree char *id_esc = g_strescape(authserv_id, NULL);
  if (own_signing_domain == NULL && !mta_strips_authres) {
    bimi_text_set_printf(out_why,
            "neither own_signing_domain nor mta_strips_authres is set: any A-R from %s could be the sender's",
            id_esc);
    return NULL;
  }

  g_autoptr(GArray) idx = bimi_message_find_fields(msg, "Authentication-Results");
  guint m = idx->len;
  if (m == 0) {
    bimi_text_set_printf(out_why, "no A-R from %s: the message has no Authentication-Results field", id_esc);
    return NULL;
  }
  if (m > BIMI_AUTHRES_TRUST_MAX_FIELDS) {
    bimi_text_set_printf(out_why, "%u Authentication-Results fields, more than BIMI_AUTHRES_TRUST_MAX_FIELDS (%u)", m,
            BIMI_AUTHRES_TRUST_MAX_FIELDS);
    return NULL;
  }

  ArField *f = g_new0(ArField, m);
  guint n_ours = 0;
  for (guint j = 0; j < m; j++) {
    const BimiHeaderField *hf = bimi_message_get_field(msg, g_array_index(idx, guint, j));
    f[j].field_index = g_array_index(idx, guint, j);
    f[j].line = hf->line;
    f[j].ar = bimi_authres_parse(hf->value, hf->value_length, NULL);
    f[j].ours = f[j].ar != NULL && g_ascii_strcasecmp(f[j].ar->authserv_id, authserv_id) == 0;
    if (f[j].ours)
      n_ours++;
  }

  BimiAuthres *result = decide(msg, f, m, n_ours, id_esc, own_signing_domain, mta_strips_authres, dkim_signatures,
                               out_why);
  ar_fields_free(f, m);
  return result;
}
