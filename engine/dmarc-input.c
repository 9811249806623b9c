/* engine/dmarc-input.c — the one builder of a message's DMARC input
 * (BimiDmarcMessageInput): the service, `bimi dmarc`, `bimi lookup` and the
 * domain endpoint all hand DMARC the same identities, so that they report
 * the same result and write the same Authentication-Results.
 *
 * RFC 7489 §4.1 / RFC 9989 §4.3: SPF of the MAIL FROM identity (postmaster@HELO
 * for a null path, RFC 7208 §2.4), the HELO identity as context only; every
 * DKIM signature (RFC 6376) with its result; the Author Domain of the one
 * RFC5322.From mailbox; Message-ID and Date as the RFC 7489 pct sampling key.
 * After the evaluation the alignment DMARC found for each signature is written
 * into that signature (BimiDkimSignature.aligned_with_from).
 */
#include "engine/dmarc.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"

#include <string.h>

/* The unfolded value of the first @name field, or NULL. */
static char *
first_value(const BimiMessage *msg, const char *name)
{
  g_autoptr(GArray) idx = bimi_message_find_fields(msg, name);

  if (idx == NULL || idx->len == 0)
    return NULL;
  return bimi_header_field_dup_unfolded_value(bimi_message_get_field(msg, g_array_index(idx, guint, 0)), NULL);
}

static void
add_signatures(BimiDmarcMessageInput *in, GPtrArray *signatures)
{
  in->dkim = g_array_new(FALSE, TRUE, sizeof(BimiDmarcDkimInput));
  if (signatures != NULL) {
    in->signatures = g_ptr_array_ref(signatures);
    for (guint i = 0; i < signatures->len && i < BIMI_DMARC_MAX_DKIM_INPUTS; i++) {
      const BimiDkimSignature *s = g_ptr_array_index(signatures, i);
      BimiDmarcDkimInput d = { s->domain, bimi_dmarc_auth_result_from_dkim(s->result) };
      g_array_append_val(in->dkim, d);
    }
  }
  in->input.dkim = (const BimiDmarcDkimInput *) (void *) in->dkim->data;
  in->input.n_dkim = in->dkim->len;
}

void
bimi_dmarc_message_input_init(BimiDmarcMessageInput *in, const BimiMessage *msg, const BimiSpfResult *spf,
                              const BimiSpfResult *spf_helo, const char *helo, GPtrArray *signatures)
{
  g_return_if_fail(in != NULL && msg != NULL);
  memset(in, 0, sizeof *in);
  if (bimi_dmarc_author_domain(msg, &in->author, &in->author_reason))
    in->input.author_domain = in->author;
  else
    in->input.author_domain_error = in->author_reason;
  if (spf != NULL) {
    in->input.spf_mail_from_domain = spf->identity == BIMI_SPF_IDENTITY_MAILFROM ? spf->domain : NULL;
    in->input.spf_mail_from_result = bimi_dmarc_auth_result_from_spf(spf->result);
  } else {
    in->input.spf_mail_from_result = BIMI_DMARC_AUTH_NONE;
  }
  if (spf_helo != NULL)
    in->input.spf_helo_result = bimi_dmarc_auth_result_from_spf(spf_helo->result);
  in->input.spf_helo_domain = helo;
  add_signatures(in, signatures);
  in->message_id = first_value(msg, "Message-ID");
  in->date = first_value(msg, "Date");
  in->input.message_id = in->message_id;
  in->input.date = in->date;
}

void
bimi_dmarc_message_input_init_domain(BimiDmarcMessageInput *in, const char *domain)
{
  g_return_if_fail(in != NULL && domain != NULL);
  memset(in, 0, sizeof *in);
  in->author = g_strdup(domain);
  in->input.author_domain = in->author;
  in->input.spf_mail_from_result = BIMI_DMARC_AUTH_NONE;
  in->domain_dkim.domain = in->author;
  in->domain_dkim.result = BIMI_DMARC_AUTH_PASS;
  in->input.dkim = &in->domain_dkim;
  in->input.n_dkim = 1;
}

void
bimi_dmarc_message_input_clear(BimiDmarcMessageInput *in)
{
  if (in == NULL)
    return;
  BIMI_FREE_ALL(in->author, in->author_reason, in->message_id, in->date);
  g_clear_pointer(&in->dkim, g_array_unref);
  g_clear_pointer(&in->signatures, g_ptr_array_unref);
  *in = (BimiDmarcMessageInput) { 0 };
}

BimiDmarcEvaluation *
bimi_dmarc_evaluate_message(BimiDnsResolver *resolver, const BimiDmarcOptions *options, BimiDmarcMessageInput *in,
                            GError **error)
{
  BimiDmarcEvaluation *ev;

  g_return_val_if_fail(resolver != NULL && in != NULL, NULL);
  ev = bimi_dmarc_evaluate(resolver, options, &in->input, error);
  if (ev == NULL)
    return NULL;
  /* the signatures given to DMARC are the first n_dkim of in->signatures, in order */
  for (guint i = 0; in->signatures != NULL && i < in->signatures->len; i++) {
    BimiDkimSignature *s = g_ptr_array_index(in->signatures, i);
    if (i < ev->dkim_signature_aligned->len)
      s->aligned_with_from = g_array_index(ev->dkim_signature_aligned, gboolean, i) ? BIMI_DKIM_ALIGNMENT_ALIGNED
                                                                                   : BIMI_DKIM_ALIGNMENT_NOT_ALIGNED;
  }
  return ev;
}
