/* report/record.c — one DMARC evaluation as RFC 9990 §3 rows need it, and the
 * report module's tables (issue 15).
 *
 * RFC 9990 §3 (the aggregate report: policy_published, row, identifiers,
 * auth_results), its PolicyOverrideType, RFC 8617 §7.2.1 (a trusted ARC sealer
 * relaxes the disposition: trusted_forwarder), RFC 9989 §4.7 (t=y: policy_test_mode),
 * RFC 7489 §6.6.4 (pct: sampled_out).
 */
#include "report/record.h"
#include "engine/base/base-mem.h"

#include <openssl/evp.h>
#include <string.h>

BimiReportRecord *
bimi_report_record_new(void)
{
  BimiReportRecord *r = g_new0(BimiReportRecord, 1);
  r->reasons = g_ptr_array_new();
  r->dkim = g_ptr_array_new();
  return r;
}

static void
reason_free(BimiReportReason *r)
{
  BIMI_FREE_ALL(r->type, r->comment, r);
}

static void
dkim_auth_free(BimiReportDkimAuth *d)
{
  BIMI_FREE_ALL(d->domain, d->selector, d->result, d->human_result, d);
}

void
bimi_report_record_free(BimiReportRecord *r)
{
  if (r == NULL)
    return;
  BIMI_FREE_ALL(r->source_ip, r->header_from, r->envelope_from, r->envelope_to, r->policy_domain, r->discovery_method,
                r->p, r->sp, r->np, r->adkim, r->aspf, r->testing, r->fo, r->rua, r->dmarc_result, r->disposition,
                r->dkim_aligned, r->spf_aligned);
  g_ptr_array_foreach(r->reasons, (GFunc) (void (*)(void)) reason_free, NULL);
  g_ptr_array_unref(r->reasons);
  g_ptr_array_foreach(r->dkim, (GFunc) (void (*)(void)) dkim_auth_free, NULL);
  g_ptr_array_unref(r->dkim);
  BIMI_FREE_ALL(r->spf_domain, r->spf_scope, r->spf_result, r);
}

void
bimi_report_record_add_reason(BimiReportRecord *record, const char *type, const char *comment)
{
  BimiReportReason *r;

  g_return_if_fail(record != NULL && type != NULL);
  r = g_new0(BimiReportReason, 1);
  r->type = g_strdup(type);
  r->comment = g_strdup(comment);
  g_ptr_array_add(record->reasons, r);
}

/* ---- the SHA-256 keys (OpenSSL's: GLib's GChecksum hashed the header section at a
 * fraction of the speed, issue 21) ---- */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_MD_CTX, EVP_MD_CTX_free)

/* SHA-256, fetched once (an implicit fetch per EVP_DigestInit_ex costs a lock and a lookup). (transfer none) */
static const EVP_MD *
sha256(void)
{
  static gsize once = 0;
  static EVP_MD *md = NULL;

  if (g_once_init_enter(&once)) {
    md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    g_once_init_leave(&once, 1);
  }
  return md != NULL ? md : EVP_sha256();
}

/* A SHA-256 context; aborts as GLib does on out-of-memory when OpenSSL cannot make one. (transfer full) */
static EVP_MD_CTX *
key_new(void)
{
  EVP_MD_CTX *c = EVP_MD_CTX_new();

  if (c == NULL || EVP_DigestInit_ex(c, sha256(), NULL) != 1)
    g_error("report: SHA-256 unavailable from OpenSSL");
  return c;
}

static void
key_update(EVP_MD_CTX *c, const void *data, gssize len)
{
  if (len > 0)
    EVP_DigestUpdate(c, data, (gsize) len);
}

/* One field of a key: a tag byte (0 absent, 1 present), the bytes, a NUL. */
static void
key_field(EVP_MD_CTX *c, const char *s)
{
  static const guint8 absent = 0, present = 1, nul = 0;
  if (s == NULL) {
    key_update(c, &absent, 1);
  } else {
    key_update(c, &present, 1);
    key_update(c, (const guint8 *) s, (gssize) strlen(s));
  }
  key_update(c, &nul, 1);
}

/* The lowercase hex digest of @c (its end: @c takes no more updates). */
static void
key_hex(EVP_MD_CTX *c, char *out)
{
  static const char hex[] = "0123456789abcdef";
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (EVP_DigestFinal_ex(c, digest, &len) != 1 || len * 2 < BIMI_REPORT_KEY_HEX_LEN)
    g_error("report: SHA-256 failed");
  for (guint i = 0; i < BIMI_REPORT_KEY_HEX_LEN / 2; i++) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xf];
  }
  out[BIMI_REPORT_KEY_HEX_LEN] = '\0';
}

void
bimi_report_dedup_key(const guint8 *header_section, gsize header_len, const char *client_ip, const char *mail_from,
                      const char *helo, char *out)
{
  g_autoptr(EVP_MD_CTX) c = key_new();
  static const guint8 nul = 0;

  g_return_if_fail(out != NULL);
  key_update(c, (const guint8 *) "bimi-report-dedup-v1", 20);
  key_update(c, &nul, 1);
  if (header_len > 0)
    key_update(c, header_section, (gssize) header_len);
  key_update(c, &nul, 1);
  key_update(c, (const guint8 *) (client_ip ? client_ip : ""), (gssize) strlen(client_ip ? client_ip : ""));
  key_update(c, &nul, 1);
  key_update(c, (const guint8 *) (mail_from ? mail_from : ""), (gssize) strlen(mail_from ? mail_from : ""));
  key_update(c, &nul, 1);
  key_update(c, (const guint8 *) (helo ? helo : ""), (gssize) strlen(helo ? helo : ""));
  key_hex(c, out);
}

void
bimi_report_record_finish(BimiReportRecord *r)
{
  g_autoptr(EVP_MD_CTX) c = key_new();

  g_return_if_fail(r != NULL);
  key_field(c, "bimi-report-row-v1");
  key_field(c, r->policy_domain);
  key_field(c, r->source_ip);
  key_field(c, r->header_from);
  key_field(c, r->envelope_from);
  key_field(c, r->envelope_to);
  key_field(c, r->disposition);
  key_field(c, r->dkim_aligned);
  key_field(c, r->spf_aligned);
  for (guint i = 0; i < r->reasons->len; i++) {
    const BimiReportReason *x = g_ptr_array_index(r->reasons, i);
    key_field(c, "reason");
    key_field(c, x->type);
    key_field(c, x->comment);
  }
  for (guint i = 0; i < r->dkim->len; i++) {
    const BimiReportDkimAuth *d = g_ptr_array_index(r->dkim, i);
    key_field(c, "dkim");
    key_field(c, d->domain);
    key_field(c, d->selector);
    key_field(c, d->result);
    key_field(c, d->human_result);
  }
  key_field(c, "spf");
  key_field(c, r->spf_domain);
  key_field(c, r->spf_scope);
  key_field(c, r->spf_result);
  key_hex(c, r->row_key);
}

static const char *
align_name(BimiDmarcAlignMode m)
{
  return m == BIMI_DMARC_ALIGN_STRICT ? "s" : "r";
}

static char *
mail_from_domain(const char *mail_from)
{
  const char *at;
  gsize n;

  if (mail_from == NULL || *mail_from == '\0')
    return NULL;
  at = strrchr(mail_from, '@');
  if (at == NULL || at[1] == '\0')
    return NULL;
  n = strlen(at + 1);
  if (n > 0 && at[n] == '>') /* tolerated angle brackets, as engine/spf tolerates them */
    n--;
  return n > 0 ? g_ascii_strdown(at + 1, (gssize) n) : NULL;
}

/* Whether @in makes a record: a DMARC pass or fail with a policy record, and a client address. */
static gboolean
recordable(const BimiReportEvaluationInput *in)
{
  const BimiDmarcEvaluation *d = in->dmarc;

  return in->client_ip != NULL && *in->client_ip != '\0' && d->policy_domain != NULL && d->record != NULL &&
         d->author_domain != NULL && (d->result == BIMI_DMARC_RESULT_PASS || d->result == BIMI_DMARC_RESULT_FAIL);
}

gboolean
bimi_report_evaluation_dedup_key(const BimiReportEvaluationInput *in, char *out)
{
  gsize raw_len = 0;
  const guint8 *raw;

  g_return_val_if_fail(in != NULL && in->message != NULL && in->dmarc != NULL && out != NULL, FALSE);
  if (!recordable(in))
    return FALSE;
  raw = g_bytes_get_data(in->message, &raw_len);
  bimi_report_dedup_key(raw, MIN(in->body_offset, raw_len), in->client_ip, in->mail_from, in->helo, out);
  return TRUE;
}

BimiReportRecord *
bimi_report_record_new_from_evaluation(const BimiReportEvaluationInput *in)
{
  const BimiDmarcEvaluation *d;
  const BimiDmarcRecord *rec;
  g_autoptr(BimiReportRecord) r = NULL;
  BimiDmarcPolicy asked;

  g_return_val_if_fail(in != NULL && in->message != NULL && in->dmarc != NULL, NULL);
  d = in->dmarc;
  rec = d->record;
  if (!recordable(in))
    return NULL;

  r = bimi_report_record_new();
  if (in->dedup_key != NULL)
    g_strlcpy(r->dedup_key, in->dedup_key, sizeof r->dedup_key);
  else
    bimi_report_evaluation_dedup_key(in, r->dedup_key);
  r->time = in->now;
  r->source_ip = g_strdup(in->client_ip);
  r->header_from = g_ascii_strdown(d->author_domain, -1);
  r->envelope_from = mail_from_domain(in->mail_from);
  r->envelope_to = in->envelope_to ? g_ascii_strdown(in->envelope_to, -1) : NULL;

  r->policy_domain = g_ascii_strdown(d->policy_domain, -1);
  r->discovery_method = g_strdup(d->mode == BIMI_DMARC_MODE_RFC7489 ? "psl" : "treewalk");
  r->p = g_strdup(bimi_dmarc_policy_to_string(rec->has_p ? rec->p : BIMI_DMARC_POLICY_NONE));
  r->sp = rec->has_sp ? g_strdup(bimi_dmarc_policy_to_string(rec->sp)) : NULL;
  r->np = rec->has_np ? g_strdup(bimi_dmarc_policy_to_string(rec->np)) : NULL;
  r->adkim = g_strdup(align_name(rec->adkim));
  r->aspf = g_strdup(align_name(rec->aspf));
  r->testing = g_strdup(rec->testing ? "y" : "n");
  r->fo = rec->fo != NULL ? g_strdup(rec->fo) : NULL;
  r->rua = rec->rua != NULL ? g_strjoinv(",", rec->rua) : g_strdup("");

  r->dmarc_result = g_strdup(d->result == BIMI_DMARC_RESULT_PASS ? "pass" : "fail");
  r->dkim_aligned = g_strdup(d->dkim_aligned ? "pass" : "fail");
  r->spf_aligned = g_strdup(d->spf_aligned ? "pass" : "fail");

  if (d->result == BIMI_DMARC_RESULT_PASS) {
    /* RFC 9990 ActionDispositionType "pass": no action, passing DMARC with an enforcing policy. */
    r->disposition = g_strdup(d->has_policy && d->policy != BIMI_DMARC_POLICY_NONE ? "pass" : "none");
    if (in->applied != BIMI_DMARC_POLICY_NONE) {
      /* DMARC passed, and this receiver still acted on the message for another reason (local policy) */
      g_free(r->disposition);
      r->disposition = g_strdup(bimi_dmarc_policy_to_string(in->applied));
      bimi_report_record_add_reason(r, "local_policy", in->applied_comment);
    }
  } else {
    r->disposition = g_strdup(bimi_dmarc_policy_to_string(in->applied));
    asked = d->disposition;
    if (d->arc_override) {
      g_autofree char *c = g_strdup_printf("ARC chain sealed by %s reported a pass before forwarding",
                                           d->arc_sealer ? d->arc_sealer : "a trusted sealer");
      bimi_report_record_add_reason(r, "trusted_forwarder", c);
    }
    if (d->has_policy && d->requested_policy != d->policy && rec->testing)
      bimi_report_record_add_reason(r, "policy_test_mode", "t=y");
    if (d->mode == BIMI_DMARC_MODE_RFC7489 && !d->pct_sampled)
      bimi_report_record_add_reason(r, "sampled_out", "pct");
    if (in->applied != asked) {
      g_autofree char *c = g_strdup_printf("policy asked for %s; this receiver applied %s%s%s",
                                           bimi_dmarc_policy_to_string(asked), bimi_dmarc_policy_to_string(in->applied),
                                           in->applied_comment != NULL ? ": " : "",
                                           in->applied_comment != NULL ? in->applied_comment : "");
      bimi_report_record_add_reason(r, "local_policy", c);
    }
  }

  for (guint i = 0; in->dkim != NULL && i < in->dkim->len; i++) {
    const BimiDkimSignature *s = g_ptr_array_index(in->dkim, i);
    BimiReportDkimAuth *a;
    if (s->domain == NULL || s->selector == NULL)
      continue; /* a signature too broken to name its signer is no DKIMAuthResultType */
    a = g_new0(BimiReportDkimAuth, 1);
    a->domain = g_strdup(s->domain);
    a->selector = g_strdup(s->selector);
    a->result = g_strdup(bimi_dkim_result_to_string(s->result));
    a->human_result = s->result != BIMI_DKIM_RESULT_PASS && s->reason != NULL ? g_strdup(s->reason) : NULL;
    g_ptr_array_add(r->dkim, a);
  }
  if (in->spf != NULL && in->spf->domain != NULL) {
    r->spf_domain = g_ascii_strdown(in->spf->domain, -1);
    r->spf_scope = g_strdup(in->spf->identity == BIMI_SPF_IDENTITY_HELO ? "helo" : "mfrom");
    r->spf_result = g_strdup(bimi_spf_result_to_string(in->spf->result));
  }
  bimi_report_record_finish(r);
  return g_steal_pointer(&r);
}

/* ---- the tables ---------------------------------------------------------- */

static const char *const report_migrations[] = {
  /* version 1 (issue 15) */
  "CREATE TABLE evaluation ("
  "  id INTEGER PRIMARY KEY,"
  "  dedup_key TEXT NOT NULL UNIQUE,"
  "  row_key TEXT NOT NULL,"
  "  time INTEGER NOT NULL,"
  "  source_ip TEXT NOT NULL,"
  "  header_from TEXT NOT NULL,"
  "  envelope_from TEXT,"
  "  envelope_to TEXT,"
  "  policy_domain TEXT NOT NULL,"
  "  discovery_method TEXT NOT NULL,"
  "  p TEXT NOT NULL, sp TEXT, np TEXT,"
  "  adkim TEXT NOT NULL, aspf TEXT NOT NULL, testing TEXT NOT NULL, fo TEXT,"
  "  rua TEXT NOT NULL,"
  "  dmarc_result TEXT NOT NULL,"
  "  disposition TEXT NOT NULL,"
  "  dkim_aligned TEXT NOT NULL, spf_aligned TEXT NOT NULL,"
  "  spf_domain TEXT, spf_scope TEXT, spf_result TEXT"
  ") STRICT;"
  "CREATE INDEX evaluation_time ON evaluation (time, policy_domain);"
  "CREATE TABLE evaluation_dkim ("
  "  evaluation_id INTEGER NOT NULL REFERENCES evaluation (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  domain TEXT NOT NULL, selector TEXT NOT NULL, result TEXT NOT NULL, human_result TEXT,"
  "  PRIMARY KEY (evaluation_id, position)"
  ") STRICT;"
  "CREATE TABLE evaluation_reason ("
  "  evaluation_id INTEGER NOT NULL REFERENCES evaluation (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  type TEXT NOT NULL, comment TEXT,"
  "  PRIMARY KEY (evaluation_id, position)"
  ") STRICT;"
  "CREATE TABLE report ("
  "  report_id TEXT PRIMARY KEY NOT NULL,"
  "  policy_domain TEXT NOT NULL,"
  "  begin_time INTEGER NOT NULL, end_time INTEGER NOT NULL,"
  "  part INTEGER NOT NULL,"
  "  format TEXT NOT NULL,"
  "  file_name TEXT NOT NULL,"
  "  gz BLOB NOT NULL,"
  "  records INTEGER NOT NULL, messages INTEGER NOT NULL,"
  "  built_at INTEGER NOT NULL,"
  "  UNIQUE (policy_domain, begin_time, end_time, part, format)"
  ") STRICT;"
  "CREATE TABLE report_destination ("
  "  report_id TEXT NOT NULL REFERENCES report (report_id) ON DELETE CASCADE,"
  "  address TEXT NOT NULL,"
  "  uri TEXT NOT NULL,"
  "  max_bytes INTEGER,"
  "  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed')),"
  "  note TEXT,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  sent_at INTEGER,"
  "  smtp_response TEXT,"
  "  PRIMARY KEY (report_id, address)"
  ") STRICT;"
  "CREATE TABLE report_note ("
  "  policy_domain TEXT NOT NULL,"
  "  begin_time INTEGER NOT NULL, end_time INTEGER NOT NULL,"
  "  format TEXT NOT NULL,"
  "  final INTEGER NOT NULL,"
  "  note TEXT NOT NULL,"
  "  at INTEGER NOT NULL,"
  "  PRIMARY KEY (policy_domain, begin_time, end_time, format)"
  ") STRICT;",
  /* version 2: a random identity per database, part of every report_id, so that two
   * receivers (or two databases of one receiver) never give the same report_id to
   * different reports of one domain and period. */
  "CREATE TABLE report_instance (id TEXT NOT NULL) STRICT;"
  "INSERT INTO report_instance (id) VALUES (lower(hex(randomblob(16))));",
};

const BimiReportDbSchema bimi_report_schema = { "report", report_migrations, G_N_ELEMENTS(report_migrations) };

gboolean
bimi_report_record_insert(BimiReportDb *db, const BimiReportRecord *r, gboolean *inserted, GError **error)
{
  sqlite3 *h = bimi_report_db_handle(db);
  sqlite3_stmt *st = NULL;
  sqlite3_int64 id;
  int rc, i = 1;

  g_return_val_if_fail(db != NULL && r != NULL, FALSE);
  if (inserted != NULL)
    *inserted = FALSE;
  st = bimi_report_db_prepare_cached(db,
                         "INSERT INTO evaluation (dedup_key, row_key, time, source_ip, header_from, envelope_from,"
                         " envelope_to, policy_domain, discovery_method, p, sp, np, adkim, aspf, testing, fo, rua,"
                         " dmarc_result, disposition, dkim_aligned, spf_aligned, spf_domain, spf_scope, spf_result)"
                         " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                         " ON CONFLICT (dedup_key) DO NOTHING",
                         "insert evaluation", error);
  if (st == NULL)
    return FALSE;
  bimi_report_db_bind_text(st, i++, r->dedup_key);
  bimi_report_db_bind_text(st, i++, r->row_key);
  sqlite3_bind_int64(st, i++, r->time);
  bimi_report_db_bind_text(st, i++, r->source_ip);
  bimi_report_db_bind_text(st, i++, r->header_from);
  bimi_report_db_bind_text(st, i++, r->envelope_from);
  bimi_report_db_bind_text(st, i++, r->envelope_to);
  bimi_report_db_bind_text(st, i++, r->policy_domain);
  bimi_report_db_bind_text(st, i++, r->discovery_method);
  bimi_report_db_bind_text(st, i++, r->p);
  bimi_report_db_bind_text(st, i++, r->sp);
  bimi_report_db_bind_text(st, i++, r->np);
  bimi_report_db_bind_text(st, i++, r->adkim);
  bimi_report_db_bind_text(st, i++, r->aspf);
  bimi_report_db_bind_text(st, i++, r->testing);
  bimi_report_db_bind_text(st, i++, r->fo);
  bimi_report_db_bind_text(st, i++, r->rua ? r->rua : "");
  bimi_report_db_bind_text(st, i++, r->dmarc_result);
  bimi_report_db_bind_text(st, i++, r->disposition);
  bimi_report_db_bind_text(st, i++, r->dkim_aligned);
  bimi_report_db_bind_text(st, i++, r->spf_aligned);
  bimi_report_db_bind_text(st, i++, r->spf_domain);
  bimi_report_db_bind_text(st, i++, r->spf_scope);
  bimi_report_db_bind_text(st, i++, r->spf_result);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return bimi_report_db_set_error(db, error, "insert evaluation");
  if (sqlite3_changes(h) == 0)
    return TRUE; /* the same message again */
  id = sqlite3_last_insert_rowid(h);

  for (guint k = 0; k < r->dkim->len; k++) {
    const BimiReportDkimAuth *a = g_ptr_array_index(r->dkim, k);
    st = bimi_report_db_prepare_cached(db,
                                       "INSERT INTO evaluation_dkim (evaluation_id, position, domain, selector,"
                                       " result, human_result) VALUES (?,?,?,?,?,?)",
                                       "insert evaluation_dkim", error);
    if (st == NULL)
      return FALSE;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, (int) k);
    bimi_report_db_bind_text(st, 3, a->domain);
    bimi_report_db_bind_text(st, 4, a->selector);
    bimi_report_db_bind_text(st, 5, a->result);
    bimi_report_db_bind_text(st, 6, a->human_result);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
      return bimi_report_db_set_error(db, error, "insert evaluation_dkim");
  }
  for (guint k = 0; k < r->reasons->len; k++) {
    const BimiReportReason *x = g_ptr_array_index(r->reasons, k);
    st = bimi_report_db_prepare_cached(db,
                                       "INSERT INTO evaluation_reason (evaluation_id, position, type, comment)"
                                       " VALUES (?,?,?,?)",
                                       "insert evaluation_reason", error);
    if (st == NULL)
      return FALSE;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, (int) k);
    bimi_report_db_bind_text(st, 3, x->type);
    bimi_report_db_bind_text(st, 4, x->comment);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
      return bimi_report_db_set_error(db, error, "insert evaluation_reason");
  }
  if (inserted != NULL)
    *inserted = TRUE;
  return TRUE;
}
