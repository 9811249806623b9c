/* engine/dmarc.c — DMARC evaluation: RFC 9989 (default) and RFC 7489.
 *
 * Implements:
 *  - Author Domain: RFC 7489 §6.6.1, RFC 9989 §4.2 (exactly one From field,
 *    exactly one mailbox with a domain; otherwise permerror with the reason).
 *  - Policy discovery: RFC 9989 §4.10 and §4.10.1 (DNS tree walk: the Author
 *    Domain, then at most 7 labels, then one label less, at most 8 queries;
 *    the first DMARC record found is the policy record); RFC 7489 §6.6.3
 *    (Author Domain, then the Organizational Domain). In both, a set holding
 *    several DMARC records ends discovery with no policy (RFC 7489 §6.6.3
 *    step 5; upstream scenario multiple-records-no-fallback for RFC 9989).
 *  - A record without a valid p: treated as p=none when rua holds a valid URI,
 *    otherwise no DMARC processing (result none) (RFC 7489 §6.6.3 step 6,
 *    RFC 9989 §4.7 "p"). RFC 7489 mode applies the same to an invalid sp.
 *  - Organizational Domain: RFC 9989 §4.10.2 (tree walk: a record with psd=n
 *    is the Organizational Domain; a record with psd=y above the start makes
 *    the name one label below it the Organizational Domain; otherwise the
 *    record with the fewest labels; with no record at all, the domain itself)
 *    and RFC 7489 §3.2 (libpsl, Debian's list). The other method is computed
 *    too and a difference reported (org_domain_divergence).
 *  - Identifier Alignment: RFC 7489 §3.1.1, §3.1.2 and RFC 9989 §4.4.1, §4.4.2 (strict:
 *    identical; relaxed: same Organizational Domain), SPF on the MAIL FROM
 *    identity, the HELO domain when MAIL FROM is null (RFC 7208 §2.4, as both
 *    RFC 7489 §4.1 and RFC 9989 §4.3 point there).
 *  - Policy selection: RFC 9989 §4.10.1 (p when the record is the Author
 *    Domain's own, else np for a non-existent Author Domain — no A, AAAA or MX
 *    record, RFC 9989 §3.2.13 — else sp, each defaulting to the next); t=y
 *    downgrades reject→quarantine→none (RFC 9989 §4.7 "t", A.6). RFC 7489
 *    §6.6.3: p at the Author Domain, else sp; pct sampling with the next lower
 *    policy for unsampled messages (§6.6.4), deterministic per message.
 *
 * Deliberate choices (each tested):
 *  - A timeout in a policy query is temperror. A timeout while walking for an
 *    Organizational Domain (the Author Domain's or an identifier's, RFC 9989)
 *    makes the result temperror only when nothing aligned.
 *  - A timeout in the np existence test is "exists" (sp applies), noted in
 *    the reason: the less specific policy, never a guess towards np.
 *  - "_dmarc.<name>" longer than 253 bytes is never asked: no record there.
 */
#include "engine/dmarc.h"
#include "engine/base/base-json.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-names.h"
#include "engine/dmarc-private.h"
#include "engine/limits.h"

#include <libpsl.h>
#include <string.h>

#define DEBIAN_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"

/* ---- small helpers ------------------------------------------------------ */

static const char *const mode_names[] = {
  [BIMI_DMARC_MODE_RFC9989] = "rfc9989",
  [BIMI_DMARC_MODE_RFC7489] = "rfc7489",
};

BIMI_DEFINE_NAME_TO_STRING(BimiDmarcMode, bimi_dmarc_mode_to_string, mode_names, "rfc9989")
BIMI_DEFINE_NAME_FROM_STRING(BimiDmarcMode, bimi_dmarc_mode_from_string, mode_names, BIMI_NAMES_ASCII_CASELESS)

/* The p=, sp= and np= values (RFC 9989 §4.7, RFC 7489 §6.3); the record parser reads them without case. */
static const char *const policy_names[] = {
  [BIMI_DMARC_POLICY_NONE] = "none",
  [BIMI_DMARC_POLICY_QUARANTINE] = "quarantine",
  [BIMI_DMARC_POLICY_REJECT] = "reject",
};

BIMI_DEFINE_NAME_TO_STRING(BimiDmarcPolicy, bimi_dmarc_policy_to_string, policy_names, "none")
BIMI_DEFINE_NAME_FROM_STRING(BimiDmarcPolicy, bimi_dmarc__policy_from_string, policy_names, BIMI_NAMES_ASCII_CASELESS)

const char *
bimi_dmarc_result_to_string(BimiDmarcResult result)
{
  switch (result) {
  case BIMI_DMARC_RESULT_PASS: return "pass";
  case BIMI_DMARC_RESULT_FAIL: return "fail";
  case BIMI_DMARC_RESULT_TEMPERROR: return "temperror";
  case BIMI_DMARC_RESULT_PERMERROR: return "permerror";
  case BIMI_DMARC_RESULT_NONE: default: return "none";
  }
}

const char *
bimi_dmarc_policy_source_to_string(BimiDmarcPolicySource source)
{
  switch (source) {
  case BIMI_DMARC_POLICY_FROM_P: return "p";
  case BIMI_DMARC_POLICY_FROM_SP: return "sp";
  case BIMI_DMARC_POLICY_FROM_NP: return "np";
  case BIMI_DMARC_POLICY_FROM_NONE: default: return "";
  }
}

void
bimi_dmarc__dns_reply_clear(BimiDmarcDnsReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer(&reply->texts, g_ptr_array_unref);
  g_free(reply->detail);
  *reply = (BimiDmarcDnsReply) { 0 };
}

BIMI_DEFINE_FREE_FUNC(BimiDmarcEvaluation, bimi_dmarc_evaluation_free, ev)
{
  BIMI_FREE_ALL(ev->reason, ev->author_domain, ev->policy_domain, ev->arc_sealer, ev->org_domain, ev->org_domain_psl,
                ev->org_domain_tree_walk, ev->dkim_aligned_domain);
  if (ev->dkim_signature_aligned != NULL)
    g_array_unref(ev->dkim_signature_aligned);
  g_free(ev->spf_domain);
  if (ev->queries != NULL)
    g_ptr_array_unref(ev->queries);
  if (ev->policy_records != NULL)
    g_ptr_array_unref(ev->policy_records);
  if (ev->overrides != NULL)
    g_ptr_array_unref(ev->overrides);
}

static void
override_free(gpointer p)
{
  BimiDmarcOverride *o = p;

  BIMI_FREE_ALL(o->by, o->reverified_reason, o);
}

/* Records an override of @kind with what the evaluation said before it. */
static void
add_override(BimiDmarcEvaluation *ev, BimiDmarcOverrideKind kind, const char *by)
{
  BimiDmarcOverride *o = g_new0(BimiDmarcOverride, 1);

  o->kind = kind;
  o->by = g_strdup(by);
  o->reverified = ev->result;
  o->reverified_reason = g_strdup(ev->reason);
  if (ev->overrides == NULL)
    ev->overrides = g_ptr_array_new_with_free_func(override_free);
  g_ptr_array_add(ev->overrides, o);
}

const BimiDmarcOverride *
bimi_dmarc_evaluation_find_override(const BimiDmarcEvaluation *evaluation, BimiDmarcOverrideKind kind)
{
  g_return_val_if_fail(evaluation != NULL, NULL);
  for (guint i = 0; evaluation->overrides != NULL && i < evaluation->overrides->len; i++) {
    const BimiDmarcOverride *o = g_ptr_array_index(evaluation->overrides, i);
    if (o->kind == kind)
      return o;
  }
  return NULL;
}

BIMI_DEFINE_STATIC_FREE_FUNC(BimiDmarcPolicyRecord, policy_record_free, r)
{
  BIMI_FREE_ALL(r->domain, r->detail, r->problem);
  bimi_dmarc_record_free(r->record);
  bimi_dmarc_record_free(r->record_rfc7489);
  if (r->valid_text != NULL)
    g_bytes_unref(r->valid_text);
}

const BimiDmarcPolicyRecord *
bimi_dmarc_evaluation_find_policy_record(const BimiDmarcEvaluation *evaluation, const char *domain)
{
  g_autofree char *want = NULL;

  g_return_val_if_fail(evaluation != NULL && domain != NULL, NULL);
  want = bimi_dmarc__normalize_domain(domain);
  for (guint i = 0; want != NULL && evaluation->policy_records != NULL && i < evaluation->policy_records->len; i++) {
    const BimiDmarcPolicyRecord *r = g_ptr_array_index(evaluation->policy_records, i);
    if (g_ascii_strcasecmp(r->domain, want) == 0)
      return r;
  }
  return NULL;
}

char *
bimi_dmarc__normalize_domain(const char *domain)
{
  gsize len, label = 0;
  g_autofree char *out = NULL;

  if (domain == NULL)
    return NULL;
  len = strlen(domain);
  if (len > 0 && domain[len - 1] == '.')
    len--;
  if (len == 0 || len > BIMI_DNS_MAX_NAME_BYTES)
    return NULL;
  out = g_ascii_strdown(domain, (gssize) len);
  for (gsize i = 0; i < len; i++) {
    char c = out[i];
    if (c == '.') {
      if (label == 0)
        return NULL;
      label = 0;
      continue;
    }
    if (!(g_ascii_isalnum(c) || c == '-' || c == '_'))
      return NULL;
    if (++label > BIMI_DNS_MAX_LABEL_BYTES)
      return NULL;
  }
  if (label == 0)
    return NULL;
  return g_steal_pointer(&out);
}

static guint
count_labels(const char *domain)
{
  guint n = 1;
  for (const char *p = domain; *p != '\0'; p++)
    if (*p == '.')
      n++;
  return n;
}

/* The last @n labels of @domain (a pointer into it). */
static const char *
last_labels(const char *domain, guint n)
{
  guint total = count_labels(domain);
  const char *p = domain;

  while (total > n) {
    p = strchr(p, '.') + 1;
    total--;
  }
  return p;
}

char **
bimi_dmarc__tree_walk_names(const char *domain)
{
  GPtrArray *out = g_ptr_array_new();
  guint n = count_labels(domain);

  g_ptr_array_add(out, g_strdup(domain));
  for (guint k = MIN(n - 1, BIMI_DMARC_MAX_TREE_WALK_QUERIES - 1); k >= 1; k--)
    g_ptr_array_add(out, g_strdup(last_labels(domain, k)));
  g_ptr_array_add(out, NULL);
  return (char **) g_ptr_array_free(out, FALSE);
}

guint
bimi_dmarc__pct_bucket(const char *message_id, const char *date)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  guint32 v;

  if (message_id != NULL)
    g_checksum_update(sum, (const guchar *) message_id, (gssize) strlen(message_id));
  g_checksum_update(sum, (const guchar *) "\n", 1);
  if (date != NULL)
    g_checksum_update(sum, (const guchar *) date, (gssize) strlen(date));
  g_checksum_get_digest(sum, digest, &digest_len);
  v = ((guint32) digest[0] << 24) | ((guint32) digest[1] << 16) | ((guint32) digest[2] << 8) | digest[3];
  return v % 100u;
}

/* ---- Public Suffix List (RFC 7489 §3.2) ---------------------------------- */

static psl_ctx_t *
get_psl(GError **error)
{
  static gsize once = 0;
  static psl_ctx_t *psl = NULL;

  if (g_once_init_enter(&once)) {
    psl_ctx_t *ctx = psl_load_file(DEBIAN_PSL_FILE);
    if (ctx == NULL)
      ctx = psl_latest(NULL);
    psl = ctx;
    g_once_init_leave(&once, 1);
  }
  if (psl == NULL)
    g_set_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_PSL,
                "no Public Suffix List: %s unreadable and libpsl has no built-in list "
                "(install the Debian package publicsuffix)", DEBIAN_PSL_FILE);
  return psl;
}

char *
bimi_dmarc_org_domain_psl(const char *domain, GError **error)
{
  psl_ctx_t *psl;
  char *lower = NULL;
  const char *reg;
  char *out;

  g_return_val_if_fail(domain != NULL, NULL);
  psl = get_psl(error);
  if (psl == NULL)
    return NULL;
  if (*domain == '\0' || *domain == '.')
    return NULL;
  if (psl_str_to_utf8lower(domain, "utf-8", NULL, &lower) != PSL_SUCCESS)
    return NULL;
  reg = psl_registrable_domain(psl, lower);
  out = reg != NULL ? g_strdup(reg) : NULL;
  psl_free_string(lower);
  return out;
}

/* ---- Author Domain (RFC 7489 §6.6.1, RFC 9989 §4.2) --------------------- */

gboolean
bimi_dmarc_author_domain(const BimiMessage *msg, char **out_domain, char **out_reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) boxes = NULL;
  guint n_fields = 0;
  const BimiMailbox *box;

  g_return_val_if_fail(msg != NULL && out_domain != NULL && out_reason != NULL, FALSE);
  *out_domain = NULL;
  *out_reason = NULL;
  boxes = bimi_message_get_from_mailboxes(msg, &n_fields, &error);
  if (n_fields == 0) {
    *out_reason = g_strdup("no From field");
    return FALSE;
  }
  if (n_fields > 1) {
    *out_reason = g_strdup_printf("%u From fields (exactly one required)", n_fields);
    return FALSE;
  }
  if (boxes == NULL) {
    *out_reason = g_strdup_printf("From field does not parse: %s", error->message);
    return FALSE;
  }
  if (boxes->len != 1) {
    *out_reason = g_strdup_printf("From field holds %u mailboxes (exactly one required)", boxes->len);
    return FALSE;
  }
  box = g_ptr_array_index(boxes, 0);
  if (box->domain == NULL) {
    *out_reason = g_strdup("From mailbox has no domain");
    return FALSE;
  }
  if (box->domain_is_literal) {
    *out_reason = g_strdup_printf("From mailbox has a domain literal %s", box->domain);
    return FALSE;
  }
  *out_domain = bimi_dmarc__normalize_domain(box->domain);
  if (*out_domain == NULL) {
    *out_reason = g_strdup_printf("From domain \"%s\" is not a valid DNS name", box->domain);
    return FALSE;
  }
  return TRUE;
}

/* ---- the evaluation context --------------------------------------------- */

typedef struct {
  BimiDmarcLookupFunc lookup;
  gpointer user_data;
  GHashTable *txt;       /* "_dmarc.<name>" → BimiDmarcPolicyRecord* in @records (transfer none) */
  GPtrArray *records;    /* of BimiDmarcPolicyRecord*, in query order (the evaluation's policy_records) */
  GPtrArray *queries;    /* names asked, in order */
  GError *fatal;         /* a query could not be asked: stops the evaluation */
  BimiDmarcRecordCache *record_cache; /* (nullable) parsed records by text (issue 21) */
} Ctx;

/* Reads the TXT set of one answer into @r: the v=DMARC1 records, each parsed once under RFC 9989. */
static void
read_policy_record(BimiDmarcRecordCache *cache, BimiDmarcPolicyRecord *r, const BimiDmarcDnsReply *reply)
{
  r->status = reply->status;
  r->detail = g_strdup(reply->detail);
  if (reply->status != BIMI_DNS_NOERROR || reply->texts == NULL)
    return;
  for (guint i = 0; i < reply->texts->len; i++) {
    GBytes *b = g_ptr_array_index(reply->texts, i);
    gsize len = 0;
    const char *text = g_bytes_get_data(b, &len);
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDmarcRecord) rec = bimi_dmarc_record_cache_parse(cache, text != NULL ? text : "", len,
                                                                   BIMI_DMARC_MODE_RFC9989, &error);

    if (rec == NULL && g_error_matches(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_NOT_DMARC))
      continue;
    r->n_dmarc++;
    if (rec == NULL) {
      if (r->n_dmarc == 1)
        r->problem = g_strdup(error->message);
      continue;
    }
    r->n_valid++;
    if (r->n_valid == 1) {
      r->record = g_steal_pointer(&rec);
      r->valid_text = g_bytes_ref(b);
    }
  }
  if (r->n_dmarc > 1)
    g_clear_pointer(&r->problem, g_free);
  if (r->n_valid > 1) {
    g_clear_pointer(&r->record, bimi_dmarc_record_free);
    g_clear_pointer(&r->valid_text, g_bytes_unref);
  }
}

/* The TXT answer at "_dmarc.<domain>", asked once per evaluation. NULL only
 * after a fatal error (ctx->fatal set). */
static BimiDmarcPolicyRecord *
dmarc_txt(Ctx *ctx, const char *domain)
{
  g_autofree char *name = g_strconcat("_dmarc.", domain, NULL);
  BimiDmarcPolicyRecord *r = g_hash_table_lookup(ctx->txt, name);
  BimiDmarcDnsReply reply = { 0 };

  if (r != NULL)
    return r;
  if (ctx->fatal != NULL)
    return NULL;
  if (strlen(name) > BIMI_DNS_MAX_NAME_BYTES) {
    reply.status = BIMI_DNS_NXDOMAIN;  /* cannot exist: never asked */
    reply.ttl = G_MAXUINT32;
  } else {
    g_ptr_array_add(ctx->queries, g_strdup(name));
    if (!ctx->lookup(ctx->user_data, name, BIMI_DNS_TYPE_TXT, &reply, &ctx->fatal)) {
      bimi_dmarc__dns_reply_clear(&reply);
      return NULL;
    }
  }
  r = g_new0(BimiDmarcPolicyRecord, 1);
  r->domain = g_ascii_strdown(domain, -1);
  r->ttl = reply.ttl;
  read_policy_record(ctx->record_cache, r, &reply);
  bimi_dmarc__dns_reply_clear(&reply);
  g_ptr_array_add(ctx->records, r);
  g_hash_table_insert(ctx->txt, g_steal_pointer(&name), r);
  return r;
}

/* What a "_dmarc" TXT set holds for DMARC (RFC 7489 §6.6.3, RFC 9989 §4.10). */
typedef struct {
  BimiDnsStatus status;
  guint n_dmarc;                 /* records that start with v=DMARC1 */
  const BimiDmarcRecord *record; /* the one record, parsed under the mode asked (n_dmarc == 1) */
  const char *problem;           /* why that one record is unusable (permerror) */
  const char *detail;            /* temperror detail */
} DmarcSet;

/* FALSE only on a fatal error. Everything in @set is (transfer none), owned by the evaluation. */
static gboolean
fetch_set(Ctx *ctx, const char *domain, BimiDmarcMode mode, DmarcSet *set)
{
  BimiDmarcPolicyRecord *r = dmarc_txt(ctx, domain);

  memset(set, 0, sizeof *set);
  if (r == NULL)
    return FALSE;
  set->status = r->status;
  set->detail = r->detail;
  set->n_dmarc = r->n_dmarc;
  if (r->n_dmarc != 1)
    return TRUE;
  if (r->record == NULL) {
    set->problem = r->problem;
    return TRUE;
  }
  if (mode == BIMI_DMARC_MODE_RFC9989) {
    set->record = r->record;
    return TRUE;
  }
  if (r->record_rfc7489 == NULL) {
    gsize len = 0;
    const char *text = g_bytes_get_data(r->valid_text, &len);
    g_autoptr(GError) error = NULL;
    r->record_rfc7489 = bimi_dmarc_record_cache_parse(ctx->record_cache, text != NULL ? text : "", len,
                                                      BIMI_DMARC_MODE_RFC7489, &error);
    if (r->record_rfc7489 == NULL) {
      set->problem = r->problem = g_strdup(error->message);
      return TRUE;
    }
  }
  set->record = r->record_rfc7489;
  return TRUE;
}

/* RFC 9989 §4.10.2. Returns the Organizational Domain of @domain, or NULL
 * with *@temperror set when a query timed out (or on a fatal error). */
static char *
org_domain_tree_walk(Ctx *ctx, const char *domain, gboolean *temperror)
{
  g_auto(GStrv) names = bimi_dmarc__tree_walk_names(domain);
  const char *fewest = NULL;

  *temperror = FALSE;
  for (guint i = 0; names[i] != NULL; i++) {
    DmarcSet set;
    BimiDmarcPsd psd;

    if (!fetch_set(ctx, names[i], BIMI_DMARC_MODE_RFC9989, &set))
      return NULL;
    if (set.status == BIMI_DNS_TEMPERROR) {
      *temperror = TRUE;
      return NULL;
    }
    if (set.record == NULL)
      continue;
    psd = set.record->psd;
    if (psd == BIMI_DMARC_PSD_N)
      return g_strdup(names[i]);
    if (psd == BIMI_DMARC_PSD_Y && i > 0)
      return g_strdup(last_labels(domain, count_labels(names[i]) + 1));
    fewest = names[i];
  }
  return g_strdup(fewest != NULL ? fewest : domain);
}

static BimiDmarcPolicy
downgrade(BimiDmarcPolicy p)
{
  return p == BIMI_DMARC_POLICY_REJECT ? BIMI_DMARC_POLICY_QUARANTINE : BIMI_DMARC_POLICY_NONE;
}

/* RFC 9989 §3.2.13 / A.4: a domain exists when A, AAAA or MX has a record.
 * Returns 1, 0, or -1 when a query timed out and none answered. */
static int
author_exists(Ctx *ctx, const char *domain)
{
  static const BimiDnsType types[] = { BIMI_DNS_TYPE_A, BIMI_DNS_TYPE_AAAA, BIMI_DNS_TYPE_MX };
  gboolean temp = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
    BimiDmarcDnsReply reply = { 0 };
    BimiDnsStatus status;

    if (!ctx->lookup(ctx->user_data, domain, types[i], &reply, &ctx->fatal))
      return -1;
    status = reply.status;
    bimi_dmarc__dns_reply_clear(&reply);
    if (status == BIMI_DNS_NOERROR)
      return 1;
    if (status == BIMI_DNS_TEMPERROR)
      temp = TRUE;
  }
  return temp ? -1 : 0;
}

static gboolean
names_equal(const char *a, const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp(a, b) == 0;
}

/* Is @id aligned with the Author Domain? Sets *@temperror when a tree walk
 * needed for the relaxed check timed out. */
static gboolean
aligned(Ctx *ctx, BimiDmarcMode mode, BimiDmarcAlignMode how, const char *author, const char *author_org,
        const char *id_in, gboolean *temperror, GError **error)
{
  g_autofree char *id = bimi_dmarc__normalize_domain(id_in);
  g_autofree char *org = NULL;
  gboolean temp = FALSE;

  if (id == NULL)
    return FALSE;
  if (names_equal(id, author))
    return TRUE;
  if (how == BIMI_DMARC_ALIGN_STRICT || author_org == NULL)
    return FALSE;
  if (mode == BIMI_DMARC_MODE_RFC7489) {
    org = bimi_dmarc_org_domain_psl(id, error);
  } else {
    org = org_domain_tree_walk(ctx, id, &temp);
    if (temp)
      *temperror = TRUE;
  }
  return names_equal(org, author_org);
}

static void
set_reason(BimiDmarcEvaluation *ev, BimiDmarcResult result, char *reason)
{
  ev->result = result;
  g_free(ev->reason);
  ev->reason = reason;
}

/* ---- policy discovery ---------------------------------------------------- */

typedef enum { FOUND, NOT_FOUND, STOPPED } Discovery;

/* Looks at one name; fills @ev and returns FOUND when a policy record is
 * there, STOPPED when discovery ends with a result, NOT_FOUND to go on. */
static Discovery
discover_at(Ctx *ctx, BimiDmarcEvaluation *ev, const char *name)
{
  DmarcSet set;

  if (!fetch_set(ctx, name, ev->mode, &set))
    return STOPPED;
  if (set.status == BIMI_DNS_TEMPERROR) {
    set_reason(ev, BIMI_DMARC_RESULT_TEMPERROR,
               g_strdup_printf("DNS error for _dmarc.%s: %s", name, set.detail ? set.detail : "temperror"));
    return STOPPED;
  }
  if (set.n_dmarc == 0)
    return NOT_FOUND;
  if (set.n_dmarc > 1) {
    set_reason(ev, BIMI_DMARC_RESULT_NONE,
               g_strdup_printf("%u DMARC records at _dmarc.%s: discovery ends, no policy", set.n_dmarc, name));
    return STOPPED;
  }
  ev->policy_domain = g_strdup(name);
  if (set.record == NULL) {
    set_reason(ev, BIMI_DMARC_RESULT_PERMERROR, g_strdup_printf("_dmarc.%s: %s", name, set.problem));
    return STOPPED;
  }
  ev->record = set.record;
  return FOUND;
}

static gboolean
discover_policy(Ctx *ctx, BimiDmarcEvaluation *ev, GError **error)
{
  if (ev->mode == BIMI_DMARC_MODE_RFC9989) {
    g_auto(GStrv) names = bimi_dmarc__tree_walk_names(ev->author_domain);
    for (guint i = 0; names[i] != NULL; i++) {
      Discovery d = discover_at(ctx, ev, names[i]);
      if (d == FOUND)
        return TRUE;
      if (d == STOPPED)
        return FALSE;
    }
  } else {
    Discovery d = discover_at(ctx, ev, ev->author_domain);
    if (d == FOUND)
      return TRUE;
    if (d == STOPPED)
      return FALSE;
    if (ev->org_domain_psl != NULL && !names_equal(ev->org_domain_psl, ev->author_domain)) {
      d = discover_at(ctx, ev, ev->org_domain_psl);
      if (d == FOUND)
        return TRUE;
      if (d == STOPPED)
        return FALSE;
    }
  }
  set_reason(ev, BIMI_DMARC_RESULT_NONE, g_strdup_printf("no DMARC record for %s", ev->author_domain));
  return FALSE;
}

/* RFC 9989 §4.10.1 / RFC 7489 §6.6.3: which of p, sp, np applies. */
static void
select_policy(Ctx *ctx, BimiDmarcEvaluation *ev)
{
  const BimiDmarcRecord *r = ev->record;
  BimiDmarcPolicy p = ev->p_defaulted ? BIMI_DMARC_POLICY_NONE : r->p;

  ev->has_policy = TRUE;
  if (names_equal(ev->policy_domain, ev->author_domain)) {
    ev->policy_source = BIMI_DMARC_POLICY_FROM_P;
    ev->requested_policy = p;
  } else {
    ev->policy_source = r->has_sp ? BIMI_DMARC_POLICY_FROM_SP : BIMI_DMARC_POLICY_FROM_P;
    ev->requested_policy = r->has_sp ? r->sp : p;
    if (ev->mode == BIMI_DMARC_MODE_RFC9989 && r->has_np) {
      ev->author_domain_exists = author_exists(ctx, ev->author_domain);
      if (ev->author_domain_exists == 0) {
        ev->policy_source = BIMI_DMARC_POLICY_FROM_NP;
        ev->requested_policy = r->np;
      }
    }
  }
  ev->policy = ev->requested_policy;
  if (ev->mode == BIMI_DMARC_MODE_RFC9989 && r->testing)
    ev->policy = downgrade(ev->policy);
}

/* ---- the evaluator -------------------------------------------------------- */

/* The records of the Author Domain and of its Organizational Domain (org_domain, else org_domain_psl), which
 * BIMI's enforcement gate reads from the evaluation: discovery and the tree walk have almost always asked for
 * them already (then no query is made). FALSE on a fatal error. */
static gboolean
ask_gate_records(Ctx *ctx, const BimiDmarcEvaluation *ev)
{
  const char *org = ev->org_domain != NULL ? ev->org_domain : ev->org_domain_psl;

  if (dmarc_txt(ctx, ev->author_domain) == NULL)
    return FALSE;
  return org == NULL || dmarc_txt(ctx, org) != NULL;
}

BimiDmarcEvaluation *
bimi_dmarc__evaluate_with_lookup(BimiDmarcLookupFunc lookup, gpointer user_data, const BimiDmarcOptions *options,
                                 const BimiDmarcInput *input, GError **error)
{
  g_autoptr(BimiDmarcEvaluation) ev = NULL;
  g_autoptr(GHashTable) cache = NULL;  /* "_dmarc.<name>" → its entry in ev->policy_records */
  Ctx ctx = { 0 };
  gboolean walk_temperror = FALSE;
  GError *local = NULL;
  const char *spf_id;
  gboolean temp = FALSE;

  g_return_val_if_fail(lookup != NULL && input != NULL, NULL);
  g_return_val_if_fail(input->n_dkim == 0 || input->dkim != NULL, NULL);

  if (input->n_dkim > BIMI_DMARC_MAX_DKIM_INPUTS) {
    g_set_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_LIMIT,
                "%u DKIM results exceed BIMI_DMARC_MAX_DKIM_INPUTS (%u)", input->n_dkim, BIMI_DMARC_MAX_DKIM_INPUTS);
    return NULL;
  }

  cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  ev = g_new0(BimiDmarcEvaluation, 1);
  ev->mode = options != NULL ? options->mode : BIMI_DMARC_MODE_RFC9989;
  ev->queries = g_ptr_array_new_with_free_func(g_free);
  ev->dkim_signature_aligned = g_array_sized_new(FALSE, TRUE, sizeof(gboolean), input->n_dkim);
  g_array_set_size(ev->dkim_signature_aligned, input->n_dkim);
  ev->author_domain_exists = -1;
  ev->pct_sampled = TRUE;
  ev->adkim = ev->aspf = BIMI_DMARC_ALIGN_RELAXED;
  ctx.lookup = lookup;
  ctx.user_data = user_data;
  ctx.record_cache = options != NULL ? options->record_cache : NULL;
  ctx.txt = cache;
  ev->policy_records = g_ptr_array_new_with_free_func((GDestroyNotify) policy_record_free);
  ctx.records = ev->policy_records;
  ctx.queries = ev->queries;

  /* Author Domain. */
  if (input->author_domain == NULL) {
    set_reason(ev, BIMI_DMARC_RESULT_PERMERROR,
               g_strdup(input->author_domain_error != NULL ? input->author_domain_error : "no Author Domain"));
    return g_steal_pointer(&ev);
  }
  ev->author_domain = bimi_dmarc__normalize_domain(input->author_domain);
  if (ev->author_domain == NULL) {
    set_reason(ev, BIMI_DMARC_RESULT_PERMERROR,
               g_strdup_printf("Author Domain \"%s\" is not a valid DNS name", input->author_domain));
    return g_steal_pointer(&ev);
  }

  /* Organizational Domain by the PSL first: RFC 7489 discovery needs it. */
  ev->org_domain_psl = bimi_dmarc_org_domain_psl(ev->author_domain, &local);
  if (local != NULL) {
    g_propagate_error(error, local);
    return NULL;
  }

  /* Policy discovery. */
  if (discover_policy(&ctx, ev, error)) {
    const BimiDmarcRecord *r = ev->record;
    gboolean p_missing = !r->has_p || (ev->mode == BIMI_DMARC_MODE_RFC7489 && r->sp_invalid);
    if (p_missing && r->rua[0] != NULL) {
      ev->p_defaulted = TRUE;
    } else if (p_missing) {
      set_reason(ev, BIMI_DMARC_RESULT_NONE,
                 g_strdup_printf("_dmarc.%s has no valid p and no valid rua: no DMARC processing", ev->policy_domain));
      ev->record = NULL;
    }
  }
  if (ctx.fatal != NULL)
    goto fatal;

  /* Organizational Domain by the tree walk (always: BIMI and the divergence
   * note need it), then the one of the mode in force. */
  ev->org_domain_tree_walk = org_domain_tree_walk(&ctx, ev->author_domain, &temp);
  if (ctx.fatal != NULL)
    goto fatal;
  ev->org_domain = g_strdup(ev->mode == BIMI_DMARC_MODE_RFC9989 ? ev->org_domain_tree_walk : ev->org_domain_psl);
  /* Without the Author Domain's Organizational Domain no relaxed check can
   * succeed: a failure to align is then a temperror, not a fail. */
  if (ev->mode == BIMI_DMARC_MODE_RFC9989 && temp)
    walk_temperror = TRUE;
  ev->org_domain_divergence = ev->org_domain_psl != NULL && ev->org_domain_tree_walk != NULL &&
                              !names_equal(ev->org_domain_psl, ev->org_domain_tree_walk);

  if (ev->record == NULL) {
    /* BIMI's gate may still run (our own A-R's verdict can replace this one): it reads the records from here. */
    if (ev->result != BIMI_DMARC_RESULT_TEMPERROR && !ask_gate_records(&ctx, ev))
      goto fatal;
    return g_steal_pointer(&ev);
  }

  select_policy(&ctx, ev);
  if (ctx.fatal != NULL)
    goto fatal;
  ev->adkim = ev->record->adkim;
  ev->aspf = ev->record->aspf;

  /* DKIM alignment: every passing signature. */
  for (guint i = 0; i < input->n_dkim; i++) {
    const BimiDmarcDkimInput *d = &input->dkim[i];
    gboolean ok;

    if (d->result != BIMI_DMARC_AUTH_PASS)
      continue;
    ok = aligned(&ctx, ev->mode, ev->adkim, ev->author_domain, ev->org_domain, d->domain, &walk_temperror, &local);
    if (local != NULL) {
      g_propagate_error(error, local);
      return NULL;
    }
    if (ctx.fatal != NULL)
      goto fatal;
    g_array_index(ev->dkim_signature_aligned, gboolean, i) = ok;
    if (ok && !ev->dkim_aligned) {
      ev->dkim_aligned = TRUE;
      ev->dkim_aligned_domain = bimi_dmarc__normalize_domain(d->domain);
    }
  }

  /* SPF alignment: the MAIL FROM identity; postmaster@HELO when null (RFC 7208 §2.4). */
  if (input->spf_mail_from_domain != NULL && *input->spf_mail_from_domain != '\0') {
    spf_id = input->spf_mail_from_domain;
  } else {
    spf_id = input->spf_helo_domain;
    ev->spf_domain_is_helo = spf_id != NULL;
  }
  ev->spf_domain = spf_id != NULL ? g_ascii_strdown(spf_id, -1) : NULL;
  if (spf_id != NULL && input->spf_mail_from_result == BIMI_DMARC_AUTH_PASS) {
    ev->spf_aligned = aligned(&ctx, ev->mode, ev->aspf, ev->author_domain, ev->org_domain, spf_id,
                              &walk_temperror, &local);
    if (local != NULL) {
      g_propagate_error(error, local);
      return NULL;
    }
    if (ctx.fatal != NULL)
      goto fatal;
  }

  /* Result and disposition. A pass or a fail has asked for the records BIMI's gate reads (spec §4). */
  if ((ev->dkim_aligned || ev->spf_aligned || !walk_temperror) && !ask_gate_records(&ctx, ev))
    goto fatal;
  if (ev->dkim_aligned || ev->spf_aligned) {
    set_reason(ev, BIMI_DMARC_RESULT_PASS,
               g_strdup_printf("%s aligned with %s (policy at _dmarc.%s)",
                               ev->dkim_aligned ? "DKIM" : "SPF", ev->author_domain, ev->policy_domain));
    ev->disposition = BIMI_DMARC_POLICY_NONE;
    return g_steal_pointer(&ev);
  }
  if (walk_temperror) {
    set_reason(ev, BIMI_DMARC_RESULT_TEMPERROR,
               g_strdup("no aligned identifier, and a DNS error hid an Organizational Domain"));
    ev->disposition = BIMI_DMARC_POLICY_NONE;
    return g_steal_pointer(&ev);
  }
  set_reason(ev, BIMI_DMARC_RESULT_FAIL,
             g_strdup_printf("no passing identifier aligned with %s", ev->author_domain));
  ev->disposition = ev->policy;
  if (ev->mode == BIMI_DMARC_MODE_RFC7489 && ev->record->pct < 100) {
    ev->pct_sampled = bimi_dmarc__pct_bucket(input->message_id, input->date) < ev->record->pct;
    if (!ev->pct_sampled)
      ev->disposition = downgrade(ev->disposition);
  }
  if (input->arc_trusted_pass)
    bimi_dmarc_evaluation_apply_arc_override(ev, input->arc_sealer);
  if (ev->author_domain_exists == -1 && ev->record->has_np && ev->policy_source != BIMI_DMARC_POLICY_FROM_P &&
      ev->mode == BIMI_DMARC_MODE_RFC9989) {
    char *r = g_strconcat(ev->reason, "; existence of the Author Domain unknown (DNS error): sp applied", NULL);
    g_free(ev->reason);
    ev->reason = r;
  }
  return g_steal_pointer(&ev);

fatal:
  g_set_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_DNS, "DMARC: %s", ctx.fatal->message);
  g_clear_error(&ctx.fatal);
  return NULL;
}

gboolean
bimi_dmarc_evaluation_apply_arc_override(BimiDmarcEvaluation *evaluation, const char *sealer)
{
  g_return_val_if_fail(evaluation != NULL, FALSE);
  if (evaluation->result != BIMI_DMARC_RESULT_FAIL || evaluation->disposition == BIMI_DMARC_POLICY_NONE)
    return FALSE;
  add_override(evaluation, BIMI_DMARC_OVERRIDE_ARC, sealer);
  evaluation->arc_override = TRUE;
  g_free(evaluation->arc_sealer);
  evaluation->arc_sealer = g_strdup(sealer);
  evaluation->disposition = BIMI_DMARC_POLICY_NONE;
  return TRUE;
}

void
bimi_dmarc_evaluation_apply_trusted_authres(BimiDmarcEvaluation *evaluation, BimiDmarcResult verdict,
                                            const char *authserv_id)
{
  g_return_if_fail(evaluation != NULL);
  add_override(evaluation, BIMI_DMARC_OVERRIDE_TRUSTED_AUTHRES, authserv_id);
  evaluation->result = verdict;
  g_free(evaluation->reason);
  evaluation->reason = g_strdup_printf("%s by our own Authentication-Results at delivery",
                                       bimi_dmarc_result_to_string(verdict));
  if (verdict == BIMI_DMARC_RESULT_FAIL && evaluation->has_policy && !evaluation->arc_override)
    evaluation->disposition = evaluation->policy;
  else if (verdict != BIMI_DMARC_RESULT_FAIL)
    evaluation->disposition = BIMI_DMARC_POLICY_NONE;
}

/* ---- JSON ------------------------------------------------------------------ */

static const char *
align_name(BimiDmarcAlignMode mode)
{
  return mode == BIMI_DMARC_ALIGN_STRICT ? "s" : "r";
}

static void
build_record_json(const BimiDmarcRecord *r, BimiJsonWriter *b)
{
  static const char *const psd[] = { "u", "y", "n" };

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "ss", "p", r->has_p ? bimi_dmarc_policy_to_string(r->p) : NULL,
                        "sp", r->has_sp ? bimi_dmarc_policy_to_string(r->sp) : NULL);
  if (r->mode == BIMI_DMARC_MODE_RFC9989)
    bimi_json_add_members(b, "sss", "np", r->has_np ? bimi_dmarc_policy_to_string(r->np) : NULL,
                          "psd", psd[r->psd], "t", r->testing ? "y" : "n");
  bimi_json_add_members(b, "ssvvs", "adkim", align_name(r->adkim), "aspf", align_name(r->aspf),
                        "rua", r->rua, "ruf", r->ruf, "fo", r->fo);
  if (r->mode == BIMI_DMARC_MODE_RFC7489)
    bimi_json_add_members(b, "usu", "pct", r->pct, "rf", r->rf, "ri", r->ri);
  bimi_json_add_members(b, "v", "warnings", r->warnings);
  bimi_json_end_object(b);
}

void
bimi_dmarc_evaluation_build_json(const BimiDmarcEvaluation *ev, BimiJsonWriter *b)
{
  g_return_if_fail(ev != NULL && b != NULL);

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sssss sss bsb ss ?b sssb", "result", bimi_dmarc_result_to_string(ev->result),
                        "reason", ev->reason, "mode", bimi_dmarc_mode_to_string(ev->mode),
                        "author_domain", ev->author_domain, "policy_domain", ev->policy_domain,
                        "policy", ev->has_policy ? bimi_dmarc_policy_to_string(ev->policy) : NULL,
                        "policy_source", ev->has_policy ? bimi_dmarc_policy_source_to_string(ev->policy_source) : NULL,
                        "requested_policy", ev->has_policy ? bimi_dmarc_policy_to_string(ev->requested_policy) : NULL,
                        "p_defaulted", ev->p_defaulted,
                        "disposition", bimi_dmarc_policy_to_string(ev->disposition),
                        "pct_sampled", ev->pct_sampled, "override", ev->arc_override ? "arc" : NULL,
                        "arc_sealer", ev->arc_sealer,
                        "author_domain_exists", ev->author_domain_exists >= 0, ev->author_domain_exists == 1,
                        "org_domain", ev->org_domain, "org_domain_psl", ev->org_domain_psl,
                        "org_domain_tree_walk", ev->org_domain_tree_walk,
                        "org_domain_divergence", ev->org_domain_divergence);
  bimi_json_set_member_name(b, "alignment");
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "ssbs", "adkim", align_name(ev->adkim), "aspf", align_name(ev->aspf),
                        "dkim_aligned", ev->dkim_aligned, "dkim_domain", ev->dkim_aligned_domain);
  bimi_json_set_member_name(b, "dkim_signatures_aligned");
  bimi_json_begin_array(b);
  for (guint i = 0; ev->dkim_signature_aligned != NULL && i < ev->dkim_signature_aligned->len; i++)
    bimi_json_add_boolean_value(b, g_array_index(ev->dkim_signature_aligned, gboolean, i));
  bimi_json_end_array(b);
  bimi_json_add_members(b, "bss", "spf_aligned", ev->spf_aligned, "spf_domain", ev->spf_domain,
                        "spf_identity", ev->spf_domain == NULL ? NULL : ev->spf_domain_is_helo ? "helo" : "mailfrom");
  bimi_json_end_object(b);

  if (bimi_json_set_member_or_null(b, "record", ev->record != NULL))
    build_record_json(ev->record, b);
  bimi_json_add_members(b, "p", "queries", ev->queries);
  bimi_json_end_object(b);
}

BimiDmarcAuthResult
bimi_dmarc_auth_result_from_spf(BimiSpfResultCode result)
{
  switch (result) {
  case BIMI_SPF_RESULT_PASS: return BIMI_DMARC_AUTH_PASS;
  case BIMI_SPF_RESULT_FAIL: return BIMI_DMARC_AUTH_FAIL;
  case BIMI_SPF_RESULT_SOFTFAIL: return BIMI_DMARC_AUTH_SOFTFAIL;
  case BIMI_SPF_RESULT_NEUTRAL: return BIMI_DMARC_AUTH_NEUTRAL;
  case BIMI_SPF_RESULT_TEMPERROR: return BIMI_DMARC_AUTH_TEMPERROR;
  case BIMI_SPF_RESULT_PERMERROR: return BIMI_DMARC_AUTH_PERMERROR;
  case BIMI_SPF_RESULT_NONE:
  default: return BIMI_DMARC_AUTH_NONE;
  }
}

BimiDmarcAuthResult
bimi_dmarc_auth_result_from_dkim(BimiDkimResult result)
{
  switch (result) {
  case BIMI_DKIM_RESULT_PASS: return BIMI_DMARC_AUTH_PASS;
  case BIMI_DKIM_RESULT_FAIL: return BIMI_DMARC_AUTH_FAIL;
  case BIMI_DKIM_RESULT_NEUTRAL: return BIMI_DMARC_AUTH_NEUTRAL;
  case BIMI_DKIM_RESULT_TEMPERROR: return BIMI_DMARC_AUTH_TEMPERROR;
  case BIMI_DKIM_RESULT_PERMERROR: return BIMI_DMARC_AUTH_PERMERROR;
  case BIMI_DKIM_RESULT_POLICY: return BIMI_DMARC_AUTH_POLICY;
  default: return BIMI_DMARC_AUTH_NONE;
  }
}

void
bimi_dmarc_evaluation_add_authres(const BimiDmarcEvaluation *ev, BimiAuthres *ar)
{
  BimiAuthresResult *r;

  g_return_if_fail(ev != NULL && ar != NULL);
  r = bimi_authres_add_result(ar, "dmarc", bimi_dmarc_result_to_string(ev->result));
  if (ev->author_domain != NULL)
    bimi_authres_result_add_property(r, "header", "from", ev->author_domain);
  if (ev->has_policy)
    bimi_authres_result_add_property(r, "policy", "dmarc", bimi_dmarc_policy_to_string(ev->disposition));
  if (ev->record != NULL && ev->record->has_p)
    bimi_authres_result_add_property(r, "polrec", "p", bimi_dmarc_policy_to_string(ev->record->p));
  if (ev->policy_domain != NULL && ev->author_domain != NULL &&
      g_ascii_strcasecmp(ev->policy_domain, ev->author_domain) != 0)
    bimi_authres_result_add_property(r, "polrec", "domain", ev->policy_domain);
  if (ev->arc_override) {
    bimi_authres_result_add_property(r, "policy", "override", "arc");
    if (ev->arc_sealer != NULL)
      bimi_authres_result_add_property(r, "policy", "arc-sealer", ev->arc_sealer);
  }
  {
    /* trust_own_authres: the verdict is our MTA's, from delivery time; say so, and what
     * re-verifying found now (DKIM keys may have rotated since). */
    const BimiDmarcOverride *own = bimi_dmarc_evaluation_find_override(ev, BIMI_DMARC_OVERRIDE_TRUSTED_AUTHRES);
    if (own != NULL) {
      g_autofree char *why = g_strdup_printf("reported by our own Authentication-Results (%s); re-verified now: %s",
                                             own->by != NULL ? own->by : "?",
                                             bimi_dmarc_result_to_string(own->reverified));
      bimi_authres_result_set_reason(r, why);
    }
  }
}
