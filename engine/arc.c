/* engine/arc.c — ARC chain validation, RFC 8617 §4.1 (header fields), §4.2
 * (instances), §5.2 (validator actions), §7.2.1 (local policy), §10.1 (A-R).
 *
 * The AMS and AS tag-lists are read by the DKIM signature parser in its ARC
 * modes (bimi_dkim__sig_parse_kind(): strict RFC 6376 §3.2 tag-lists, no v=,
 * i= as the instance, AS without h=/bh=/c=); keys, canonicalization and the
 * RSA/Ed25519 verification are engine/dkim's.
 *
 * Validation (§5.2), in the RFC's order:
 *  1. no ARC field → none;
 *  2. structure: every ARC field names its instance, 1..N without gap or
 *     duplicate, one AAR+AMS+AS each, N ≤ 50 → else fail;
 *  3. cv= of every AS: "none" at i=1, "pass" above, "fail" anywhere → fail;
 *  4. the AMS of instance N must verify → else fail;
 *  5. oldest-pass: AMS N-1, N-2, ... 1 until one fails; oldest_pass is the
 *     instance above the failing one, 0 when all verify. Each older AMS is
 *     checked on the header as it was when it was signed: the ARC fields of
 *     newer instances are left out of the h= selection;
 *  6. every AS from N down to 1 over the sets 1..i (AAR, AMS, AS each,
 *     relaxed canonicalization, the AS's own b= emptied, §5.1.1) → else fail.
 *
 * Deliberate choices:
 *  - rsa-sha1 never verifies (RFC 8301 §3.1; the ValiMail suite's
 *    ams_fields_a_sha1 and as_fields_a_sha1 expect fail).
 *  - A key lookup failure (temporary or not) fails the chain: RFC 8617 has
 *    no temperror status. The reason says which.
 *  - An AMS without c= is verified as simple/simple only (RFC 6376 §3.5,
 *    which RFC 8617 §4.1.2 inherits). The ValiMail suite's ams_fields_c_na
 *    was signed relaxed/relaxed under an old ARC draft's default; it is an
 *    expected failure of tests/test-arc-suite.c, not a leniency here.
 *  - cv= values are compared case-sensitively (RFC 6376 §3.2: tag values are
 *    case-sensitive unless the tag says otherwise).
 *  - An AAR whose payload does not parse as RFC 8601 does not fail the chain
 *    (the seal covers the bytes, not their meaning); the set reports
 *    aar_error and DMARC local policy cannot use it.
 *  - Local policy (§7.2.1, bimi_arc_trusted_pass()): a trusted sealer's
 *    dmarc= entry for the From domain decides alone; otherwise its dkim=/spf=
 *    pass must align with the From domain in the DMARC record's adkim/aspf
 *    mode (RFC 7489 §3.1.1, §3.1.2). Relaxed uses the PSL Organizational
 *    Domain, not the RFC 9989 tree walk (an AAR identifier is not looked up).
 */
#include "engine/arc.h"
#include "engine/base/base-json.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-names.h"
#include "engine/base/base-text.h"
#include "engine/dkim-private.h"
#include "engine/dmarc.h"
#include "engine/limits.h"

#include <string.h>

G_DEFINE_QUARK(bimi-arc-error-quark, bimi_arc_error)

/* The RFC 8617 §4.4 chain validation status values. */
static const char *const result_names[] = {
  [BIMI_ARC_RESULT_NONE] = "none",
  [BIMI_ARC_RESULT_PASS] = "pass",
  [BIMI_ARC_RESULT_FAIL] = "fail",
};

BIMI_DEFINE_NAME_TO_STRING(BimiArcResult, bimi_arc_result_to_string, result_names, "none")

BIMI_DEFINE_FREE_FUNC(BimiArcSet, bimi_arc_set_free, set)
{
  BIMI_FREE_ALL(set->seal_domain, set->seal_selector, set->cv, set->seal_result, set->ams_domain, set->ams_selector,
                set->ams_result);
  bimi_authres_free(set->aar);
  g_free(set->aar_error);
}

BIMI_DEFINE_FREE_FUNC(BimiArcChain, bimi_arc_chain_free, chain)
{
  g_free(chain->reason);
  g_clear_pointer(&chain->sets, g_ptr_array_unref);
}

/* ---- ARC-Authentication-Results prefix (§4.1.1) ------------------------ */

static gsize
skip_fws(const char *v, gsize len, gsize i)
{
  while (i < len) {
    if (v[i] == ' ' || v[i] == '\t')
      i++;
    else if (v[i] == '\r' && i + 2 < len && v[i + 1] == '\n' && (v[i + 2] == ' ' || v[i + 2] == '\t'))
      i += 3;
    else if (v[i] == '\n' && i + 1 < len && (v[i + 1] == ' ' || v[i + 1] == '\t'))
      i += 2;
    else
      break;
  }
  return i;
}

gboolean
bimi_arc_aar_parse(const char *value, gsize len, guint *out_instance, gsize *out_payload_offset, GError **error)
{
  g_return_val_if_fail(value != NULL || len == 0, FALSE);
  if (len > BIMI_MAX_AUTHRES_BYTES) {
    g_set_error(error, BIMI_ARC_ERROR, BIMI_ARC_ERROR_SYNTAX,
                "ARC-Authentication-Results is %" G_GSIZE_FORMAT " bytes, more than BIMI_MAX_AUTHRES_BYTES", len);
    return FALSE;
  }
  gsize i = skip_fws(value, len, 0);
  if (i >= len || value[i] != 'i') {
    g_set_error(error, BIMI_ARC_ERROR, BIMI_ARC_ERROR_SYNTAX,
                "ARC-Authentication-Results does not start with i= (offset %" G_GSIZE_FORMAT ")", i);
    return FALSE;
  }
  i = skip_fws(value, len, i + 1);
  if (i >= len || value[i] != '=') {
    g_set_error(error, BIMI_ARC_ERROR, BIMI_ARC_ERROR_SYNTAX,
                "ARC-Authentication-Results: expected '=' after i (offset %" G_GSIZE_FORMAT ")", i);
    return FALSE;
  }
  i = skip_fws(value, len, i + 1);
  gsize start = i;
  guint n = 0;
  while (i < len && g_ascii_isdigit(value[i]) && i - start < 2) { /* i-value = 1*2DIGIT */
    n = n * 10 + (guint) (value[i] - '0');
    i++;
  }
  if (i == start || (i < len && g_ascii_isdigit(value[i])) || n < 1 || n > BIMI_ARC_MAX_SETS) {
    g_set_error(error, BIMI_ARC_ERROR, BIMI_ARC_ERROR_SYNTAX,
                "ARC-Authentication-Results: i= is not an instance 1..%u (offset %" G_GSIZE_FORMAT ")",
                BIMI_ARC_MAX_SETS, start);
    return FALSE;
  }
  i = skip_fws(value, len, i);
  if (i >= len || value[i] != ';') {
    g_set_error(error, BIMI_ARC_ERROR, BIMI_ARC_ERROR_SYNTAX,
                "ARC-Authentication-Results: expected ';' after i=%u (offset %" G_GSIZE_FORMAT ")", n, i);
    return FALSE;
  }
  *out_instance = n;
  if (out_payload_offset != NULL)
    *out_payload_offset = i + 1;
  return TRUE;
}

/* ---- collection and structure (§4.2, §5.2 steps 1-3) -------------------- */

enum { K_AAR, K_AMS, K_AS, K_N };
static const char *const kind_names[K_N] = { "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal" };

typedef struct {
  guint field[K_N];            /* message field index + 1; 0 = absent */
  BimiDkimSigParams *ams;
  BimiDkimSigParams *as;
  gsize aar_payload_offset;
} Slot;

typedef struct {
  const BimiMessage *msg;
  const BimiArcOptions *options;
  BimiArcChain *chain;
  Slot slots[BIMI_ARC_MAX_SETS];
  guint n;
  /* body hashes by canonicalization, computed on demand (sha256 only) */
  gboolean body_done[2];
  guint8 body_digest[2][EVP_MAX_MD_SIZE];
  guint body_digest_len[2];
} Ctx;

/* Sets the chain's result and its reason (printf-style, checked by bimi_text_set_printf()). */
#define finish(c, res, ...) ((c)->chain->result = (res), bimi_text_set_printf(&(c)->chain->reason, __VA_ARGS__))

static int
arc_kind(const BimiHeaderField *f)
{
  for (int k = 0; k < K_N; k++) {
    if (bimi_header_field_has_name(f, kind_names[k]))
      return k;
  }
  return -1;
}

/* Returns FALSE after finish() when the structure is broken. */
static gboolean
collect(Ctx *c)
{
  guint n_fields = bimi_message_get_n_fields(c->msg), n_arc = 0;
  for (guint fi = 0; fi < n_fields; fi++)
    n_arc += arc_kind(bimi_message_get_field(c->msg, fi)) >= 0;
  if (n_arc > BIMI_ARC_MAX_FIELDS) {
    finish(c, BIMI_ARC_RESULT_FAIL, "%u ARC header fields, more than %u", n_arc, BIMI_ARC_MAX_FIELDS);
    return FALSE;
  }
  for (guint fi = 0; fi < n_fields; fi++) {
    const BimiHeaderField *f = bimi_message_get_field(c->msg, fi);
    int k = arc_kind(f);
    if (k < 0)
      continue;
    guint inst = 0;
    gsize payload = 0;
    g_autoptr(GError) local = NULL;
    g_autoptr(BimiDkimSigParams) p = NULL;
    if (k == K_AAR) {
      if (!bimi_arc_aar_parse(f->value, f->value_length, &inst, &payload, &local)) {
        finish(c, BIMI_ARC_RESULT_FAIL, "line %u: %s", f->line, local->message);
        return FALSE;
      }
    } else {
      p = bimi_dkim__sig_parse_kind(f->value, f->value_length,
                                    k == K_AMS ? BIMI_DKIM_SIG_KIND_ARC_AMS : BIMI_DKIM_SIG_KIND_ARC_SEAL, &local);
      if (p == NULL) {
        finish(c, BIMI_ARC_RESULT_FAIL, "line %u: %s: %s", f->line, kind_names[k], local->message);
        return FALSE;
      }
      inst = p->instance;
    }
    g_assert(inst >= 1 && inst <= BIMI_ARC_MAX_SETS);
    Slot *s = &c->slots[inst - 1];
    if (s->field[k] != 0) {
      finish(c, BIMI_ARC_RESULT_FAIL, "two %s fields with i=%u", kind_names[k], inst);
      return FALSE;
    }
    s->field[k] = fi + 1;
    if (k == K_AMS)
      s->ams = g_steal_pointer(&p);
    else if (k == K_AS)
      s->as = g_steal_pointer(&p);
    else
      s->aar_payload_offset = payload;
    c->n = MAX(c->n, inst);
  }
  c->chain->instances = c->n;
  if (c->n == 0) {
    finish(c, BIMI_ARC_RESULT_NONE, "no ARC header fields");
    return FALSE;
  }
  for (guint i = 1; i <= c->n; i++) {
    for (int k = 0; k < K_N; k++) {
      if (c->slots[i - 1].field[k] == 0) {
        finish(c, BIMI_ARC_RESULT_FAIL, "ARC set %u of %u lacks its %s", i, c->n, kind_names[k]);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static void
fill_sets(Ctx *c)
{
  for (guint i = 1; i <= c->n; i++) {
    Slot *s = &c->slots[i - 1];
    BimiArcSet *set = g_new0(BimiArcSet, 1);
    set->instance = i;
    set->seal_domain = g_strdup(s->as->domain);
    set->seal_selector = g_strdup(s->as->selector);
    set->cv = g_strdup(bimi_taglist_lookup_value(s->as->tags, "cv"));
    set->ams_domain = g_strdup(s->ams->domain);
    set->ams_selector = g_strdup(s->ams->selector);
    const BimiHeaderField *f = bimi_message_get_field(c->msg, s->field[K_AAR] - 1);
    g_autoptr(GError) local = NULL;
    set->aar = bimi_authres_parse(f->value + s->aar_payload_offset, f->value_length - s->aar_payload_offset, &local);
    if (set->aar == NULL)
      set->aar_error = g_strdup(local->message);
    g_ptr_array_add(c->chain->sets, set);
  }
}

/* ---- verification (§5.2 steps 4-6) ------------------------------------- */

static BimiArcSet *
set_at(Ctx *c, guint i)
{
  return g_ptr_array_index(c->chain->sets, i - 1);
}

/* Checks what the key and algorithm allow; FALSE with *why set when unusable. */
static gboolean
get_key(Ctx *c, const BimiDkimSigParams *p, BimiDkimKey **key, char **why)
{
  BimiDkimOptions dopts = {
    .now = c->options->now,
    .key_fetch = c->options->key_fetch,
    .key_fetch_data = c->options->key_fetch_data,
    .key_cache = c->options->key_cache,
  };
  BimiDkimResult res;
  g_autofree char *reason = NULL;
  if (p->algorithm == BIMI_DKIM_ALG_RSA_SHA1) {
    *why = g_strdup("rsa-sha1 is not accepted (RFC 8301)");
    return FALSE;
  }
  if (p->expiration >= 0 && c->options->now > p->expiration) {
    *why = g_strdup("signature expired");
    return FALSE;
  }
  if (!bimi_dkim__fetch_key(&dopts, p, key, &res, &reason)) {
    *why = g_strdup_printf("%s (%s)", reason, bimi_dkim_result_to_string(res));
    return FALSE;
  }
  return TRUE;
}

static const guint8 *
body_digest(Ctx *c, BimiDkimCanon canon, guint *out_len)
{
  int k = canon == BIMI_DKIM_CANON_RELAXED ? 1 : 0;
  if (!c->body_done[k]) {
    gsize body_len;
    const guint8 *body = bimi_message_get_body(c->msg, &body_len);
    g_autoptr(BimiDkimBodyHasher) h = bimi_dkim__body_hasher_new(canon, EVP_sha256(), G_MAXUINT64);
    guint64 canon_len;
    bimi_dkim__body_hasher_update(h, body, body_len);
    c->body_digest_len[k] = bimi_dkim__body_hasher_finish(h, c->body_digest[k], &canon_len);
    c->body_done[k] = TRUE;
  }
  *out_len = c->body_digest_len[k];
  return c->body_digest[k];
}

/* Verifies @p's b= over @data with @key; a mismatch is a result (*ok FALSE,
 * @why set), an OpenSSL failure an error. */
static gboolean
verify_signed_data(const BimiDkimSigParams *p, const BimiDkimKey *key, const GByteArray *data, gboolean *ok, char **why,
                   GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!bimi_dkim__verify_data(p, key, data->data, data->len, ok, &local)) {
    g_set_error(error, BIMI_ARC_ERROR, BIMI_ARC_ERROR_INTERNAL, "%s", local->message);
    return FALSE;
  }
  if (!*ok)
    *why = g_strdup("signature verification failed");
  return TRUE;
}

/* Verifies the AMS of instance @i on the header without the ARC fields of
 * newer instances. An AMS without c= is simple/simple (RFC 6376 §3.5 via
 * RFC 8617 §4.1.2). Returns FALSE only with @error; ok and why give the verdict. */
static gboolean
verify_ams(Ctx *c, guint i, gboolean *ok, char **why, GError **error)
{
  Slot *s = &c->slots[i - 1];
  const BimiDkimSigParams *p = s->ams;
  g_autoptr(BimiDkimKey) key = NULL;
  *ok = FALSE;
  for (guint k = 0; p->signed_headers[k] != NULL; k++) {
    if (g_ascii_strcasecmp(p->signed_headers[k], "arc-seal") == 0) {
      *why = g_strdup("h= lists ARC-Seal (RFC 8617 §4.1.2)");
      return TRUE;
    }
  }
  if (!get_key(c, p, &key, why))
    return TRUE;
  guint dl;
  const guint8 *digest = body_digest(c, p->body_canon, &dl);
  if (p->bh_len != dl || memcmp(p->bh, digest, dl) != 0) {
    *why = g_strdup("body hash mismatch");
    return TRUE;
  }
  guint n_fields = bimi_message_get_n_fields(c->msg);
  g_autofree gboolean *skip = g_new0(gboolean, MAX(n_fields, 1));
  for (guint j = i + 1; j <= c->n; j++) {
    for (int k = 0; k < K_N; k++)
      skip[c->slots[j - 1].field[k] - 1] = TRUE;
  }
  const BimiHeaderField *f = bimi_message_get_field(c->msg, s->field[K_AMS] - 1);
  g_autoptr(GByteArray) data = bimi_dkim__header_data_skip(c->msg, f, p, skip);
  return verify_signed_data(p, key, data, ok, why, error);
}

/* §5.1.1: the AS of instance @i signs sets 1..i (AAR, AMS, AS in that order,
 * relaxed), its own b= emptied and without the final CRLF. */
static gboolean
verify_as(Ctx *c, guint i, gboolean *ok, char **why, GError **error)
{
  Slot *s = &c->slots[i - 1];
  const BimiDkimSigParams *p = s->as;
  g_autoptr(BimiDkimKey) key = NULL;
  *ok = FALSE;
  if (!get_key(c, p, &key, why))
    return TRUE;
  g_autoptr(GByteArray) data = g_byte_array_new();
  for (guint j = 1; j <= i; j++) {
    for (int k = 0; k < K_N; k++) {
      if (j == i && k == K_AS)
        break;
      const BimiHeaderField *f = bimi_message_get_field(c->msg, c->slots[j - 1].field[k] - 1);
      bimi_dkim__canon_header(data, BIMI_DKIM_CANON_RELAXED, f->name, f->name_length, f->field, f->field_length,
                              f->value, f->value_length);
    }
  }
  const BimiHeaderField *f = bimi_message_get_field(c->msg, s->field[K_AS] - 1);
  g_autoptr(GByteArray) own = bimi_dkim__header_data(c->msg, f, p); /* h= is empty: the seal alone */
  g_byte_array_append(data, own->data, own->len);
  return verify_signed_data(p, key, data, ok, why, error);
}

static gboolean
validate(Ctx *c, GError **error)
{
  if (!collect(c))
    return TRUE;
  fill_sets(c);

  /* Step 3: cv= (§4.1.3, §5.2). The newest seal's verdict first. */
  for (guint i = c->n; i >= 1; i--) {
    const char *cv = set_at(c, i)->cv;
    if (strcmp(cv, "fail") == 0) {
      finish(c, BIMI_ARC_RESULT_FAIL, "ARC-Seal i=%u records cv=fail", i);
      return TRUE;
    }
    if (strcmp(cv, i == 1 ? "none" : "pass") != 0) {
      finish(c, BIMI_ARC_RESULT_FAIL, "ARC-Seal i=%u has cv=%s, expected %s", i,
             strcmp(cv, "none") == 0 || strcmp(cv, "pass") == 0 ? cv : "(invalid)", i == 1 ? "none" : "pass");
      return TRUE;
    }
  }

  /* Step 4: the newest AMS. */
  gboolean ok;
  g_autofree char *why = NULL;
  if (!verify_ams(c, c->n, &ok, &why, error))
    return FALSE;
  set_at(c, c->n)->ams_result = g_strdup(ok ? "pass" : "fail");
  if (!ok) {
    finish(c, BIMI_ARC_RESULT_FAIL, "ARC-Message-Signature i=%u: %s", c->n, why);
    return TRUE;
  }

  /* Step 5: oldest-pass. */
  guint oldest = 0;
  for (guint i = c->n - 1; i >= 1; i--) {
    g_autofree char *w = NULL;
    if (!verify_ams(c, i, &ok, &w, error))
      return FALSE;
    set_at(c, i)->ams_result = g_strdup(ok ? "pass" : "fail");
    if (!ok) {
      oldest = i + 1;
      break;
    }
  }

  /* Step 6: every seal, newest first. */
  for (guint i = c->n; i >= 1; i--) {
    g_autofree char *w = NULL;
    if (!verify_as(c, i, &ok, &w, error))
      return FALSE;
    set_at(c, i)->seal_result = g_strdup(ok ? "pass" : "fail");
    if (!ok) {
      finish(c, BIMI_ARC_RESULT_FAIL, "ARC-Seal i=%u: %s", i, w);
      return TRUE;
    }
  }
  c->chain->oldest_pass = oldest;
  finish(c, BIMI_ARC_RESULT_PASS, "%u ARC set%s verified", c->n, c->n == 1 ? "" : "s");
  return TRUE;
}

BimiArcChain *
bimi_arc_validate(const BimiMessage *msg, const BimiArcOptions *options, GError **error)
{
  g_return_val_if_fail(msg != NULL && options != NULL && options->key_fetch != NULL, NULL);
  g_autoptr(BimiArcChain) chain = g_new0(BimiArcChain, 1);
  chain->sets = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_arc_set_free);
  Ctx *c = g_new0(Ctx, 1);
  c->msg = msg;
  c->options = options;
  c->chain = chain;
  gboolean ok = validate(c, error);
  for (guint i = 0; i < BIMI_ARC_MAX_SETS; i++) {
    bimi_dkim__sig_params_free(c->slots[i].ams);
    bimi_dkim__sig_params_free(c->slots[i].as);
  }
  g_free(c);
  if (!ok)
    return NULL;
  if (chain->result != BIMI_ARC_RESULT_PASS)
    chain->oldest_pass = 0;
  return g_steal_pointer(&chain);
}

/* ---- output ------------------------------------------------------------ */

void
bimi_arc_chain_build_json(const BimiArcChain *chain, BimiJsonWriter *b)
{
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "su?us", "result", bimi_arc_result_to_string(chain->result),
                        "instances", chain->instances,
                        "oldest_pass", chain->result == BIMI_ARC_RESULT_PASS, chain->oldest_pass,
                        "reason", chain->reason);
  bimi_json_set_member_name(b, "sets");
  bimi_json_begin_array(b);
  for (guint i = 0; i < chain->sets->len; i++) {
    const BimiArcSet *s = g_ptr_array_index(chain->sets, i);
    g_autofree char *aar = s->aar ? bimi_authres_to_string(s->aar) : NULL;
    bimi_json_begin_object(b);
    bimi_json_add_members(b, "ussss {sss} ss", "i", s->instance, "d", s->seal_domain, "s", s->seal_selector,
                          "cv", s->cv, "seal_result", s->seal_result, "ams", "d", s->ams_domain,
                          "s", s->ams_selector, "result", s->ams_result, "aar", aar, "aar_error", s->aar_error);
    bimi_json_end_object(b);
  }
  bimi_json_end_array(b);
  bimi_json_end_object(b);
}

void
bimi_arc_chain_add_authres(const BimiArcChain *chain, BimiAuthres *ar, const char *remote_ip)
{
  BimiAuthresResult *r = bimi_authres_add_result(ar, "arc", bimi_arc_result_to_string(chain->result));
  if (chain->result == BIMI_ARC_RESULT_PASS) {
    g_autofree char *op = g_strdup_printf("%u", chain->oldest_pass);
    bimi_authres_result_add_property(r, "header", "oldest-pass", op);
  }
  if (remote_ip != NULL && remote_ip[0] != '\0')
    bimi_authres_result_add_property(r, "smtp", "remote-ip", remote_ip);
}

/* ---- DMARC local policy (§7.2.1) ---------------------------------------- */

/* Identifier Alignment of an AAR-reported identifier with the Author Domain,
 * in the mode of the DMARC record in force (RFC 7489 §3.1.1/§3.1.2):
 * strict = identical, relaxed = same Organizational Domain (PSL). */
static gboolean
aar_aligned(const char *id, const char *author, BimiDmarcAlignMode mode)
{
  if (id == NULL || *id == '\0' || author == NULL)
    return FALSE;
  if (g_ascii_strcasecmp(id, author) == 0)
    return TRUE;
  if (mode == BIMI_DMARC_ALIGN_STRICT)
    return FALSE;
  g_autofree char *oa = bimi_dmarc_org_domain_psl(id, NULL);
  g_autofree char *ob = bimi_dmarc_org_domain_psl(author, NULL);
  return oa != NULL && ob != NULL && g_ascii_strcasecmp(oa, ob) == 0;
}

static const char *
domain_of(const char *v)
{
  if (v == NULL)
    return NULL;
  const char *at = strrchr(v, '@');
  return at ? at + 1 : v;
}

/*
 * Why BIMI still requires a real DMARC pass (the override only changes the
 * disposition): a trusted sealer's AAR is a statement by an intermediary
 * about what it saw, not a cryptographic proof by the brand. Letting the
 * message through (disposition none) is a delivery decision where a wrong
 * call costs little; showing a brand's logo is an identity assertion to the
 * reader, and BIMI (draft-brand-indicators-for-message-identification §4)
 * ties it to the Author Domain's own DMARC pass at enforcement. A compromised
 * or careless sealer on the trusted list could otherwise attach any brand's
 * logo to mail it relays. Operators who trust their sealers that much opt in
 * with [policy] bimi_accept_arc_override = true.
 */
gboolean
bimi_arc_trusted_pass(const BimiArcChain *chain, const char *const *trusted_sealers, const char *author_domain,
                      BimiDmarcAlignMode adkim, BimiDmarcAlignMode aspf, const char **out_sealer)
{
  if (chain == NULL || chain->result != BIMI_ARC_RESULT_PASS || chain->sets->len == 0 ||
      trusted_sealers == NULL || author_domain == NULL)
    return FALSE;
  const BimiArcSet *newest = g_ptr_array_index(chain->sets, chain->sets->len - 1);
  gboolean trusted = FALSE;
  for (guint i = 0; trusted_sealers[i] != NULL; i++)
    trusted = trusted || g_ascii_strcasecmp(trusted_sealers[i], newest->seal_domain) == 0;
  if (!trusted || newest->aar == NULL)
    return FALSE;
  /* The sealer's own DMARC verdict for this From domain decides when it
   * recorded one: every dmarc= entry for it must be pass. */
  gboolean has_dmarc = FALSE, dmarc_pass = TRUE, aligned_pass = FALSE;
  for (guint i = 0; i < newest->aar->results->len; i++) {
    const BimiAuthresResult *r = g_ptr_array_index(newest->aar->results, i);
    if (g_ascii_strcasecmp(r->method, "dmarc") == 0) {
      const char *from = bimi_authres_result_get_property(r, "header", "from");
      if (from == NULL || g_ascii_strcasecmp(domain_of(from), author_domain) != 0)
        continue;
      has_dmarc = TRUE;
      dmarc_pass = dmarc_pass && g_ascii_strcasecmp(r->result, "pass") == 0;
      continue;
    }
    if (g_ascii_strcasecmp(r->result, "pass") != 0)
      continue;
    if (g_ascii_strcasecmp(r->method, "dkim") == 0) {
      const char *d = bimi_authres_result_get_property(r, "header", "d");
      if (d == NULL)
        d = domain_of(bimi_authres_result_get_property(r, "header", "i"));
      aligned_pass = aligned_pass || aar_aligned(d, author_domain, adkim);
    } else if (g_ascii_strcasecmp(r->method, "spf") == 0) {
      const char *mf = bimi_authres_result_get_property(r, "smtp", "mailfrom");
      if (mf == NULL)
        mf = bimi_authres_result_get_property(r, "smtp", "mfrom");
      aligned_pass = aligned_pass || aar_aligned(domain_of(mf), author_domain, aspf);
    }
  }
  gboolean pass = has_dmarc ? dmarc_pass : aligned_pass;
  if (pass && out_sealer != NULL)
    *out_sealer = newest->seal_domain;
  return pass;
}
