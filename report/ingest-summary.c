/* report/ingest-summary.c — per-domain summary of received aggregate reports (issue 16).
 *
 * RFC 7489 §3.1 / RFC 9989 §4.4 (identifier alignment: relaxed, by
 * Organizational Domain through the PSL of engine/dmarc), RFC 9990 §3
 * (policy_evaluated, auth_results, PolicyOverrideType), FCrDNS through
 * engine/rdns. Three statements read the rows of the reports that match the
 * filter (records, their auth results, their reasons), all ordered by record,
 * and are merged in one pass; nothing but the per-source tallies is kept.
 */
#include "report/ingest-summary.h"

#include <math.h>
#include <string.h>

#include <sqlite3.h>

#include "engine/base/base-mem.h"
#include "engine/base/base-text.h"
#include "engine/dmarc.h"
#include "engine/limits.h"
#include "engine/rdns.h"

const char *
bimi_ingest_group_to_string(BimiIngestGroup group)
{
  switch (group) {
  case BIMI_INGEST_GROUP_AUTHORISED_PASSING:
    return "authorised-passing";
  case BIMI_INGEST_GROUP_AUTHORISED_FAILING:
    return "authorised-failing";
  case BIMI_INGEST_GROUP_UNKNOWN_FAILING:
  default:
    return "unknown-failing";
  }
}

static const char *const dispositions[] = { "none", "pass", "quarantine", "reject" };

/* ---- free ------------------------------------------------------------------- */

static void
tally_free(gpointer p)
{
  BimiIngestTally *t = p;
  BIMI_FREE_ALL(t->name, t);
}

static void
source_free(gpointer p)
{
  BimiIngestSource *s = p;
  BIMI_FREE_ALL(s->source_ip, s->ptr_name, s->fcrdns, s->label);
  g_ptr_array_unref(s->orgs);
  g_ptr_array_unref(s->dkim);
  g_ptr_array_unref(s->spf);
  g_ptr_array_unref(s->reasons);
  BIMI_FREE_ALL(s->why, s);
}

static void
domain_free(gpointer p)
{
  BimiIngestDomain *d = p;
  BIMI_FREE_ALL(d->domain, d->policy);
  g_ptr_array_unref(d->orgs);
  g_ptr_array_unref(d->days);
  g_ptr_array_unref(d->sources);
  BIMI_FREE_ALL(d->verdict, d->recommendation, d);
}

BIMI_DEFINE_FREE_FUNC(BimiIngestSummary, bimi_ingest_summary_free, s)
{
  g_ptr_array_unref(s->domains);
}

/* ---- accumulation --------------------------------------------------------- */

/* name → count, turned into a sorted BimiIngestTally array at the end. */
static void
tally_add(GHashTable *t, const char *name, guint64 n)
{
  guint64 *v = g_hash_table_lookup(t, name);
  if (v == NULL) {
    v = g_new0(guint64, 1);
    g_hash_table_insert(t, g_strdup(name), v);
  }
  *v += n;
}

static int
tally_cmp(gconstpointer a, gconstpointer b)
{
  const BimiIngestTally *x = *(BimiIngestTally *const *) a;
  const BimiIngestTally *y = *(BimiIngestTally *const *) b;
  if (x->messages != y->messages)
    return x->messages > y->messages ? -1 : 1;
  return strcmp(x->name, y->name);
}

static GPtrArray *
tally_array(GHashTable *t)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(tally_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, t);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    BimiIngestTally *tally = g_new0(BimiIngestTally, 1);
    tally->name = g_strdup(k);
    tally->messages = *(guint64 *) v;
    g_ptr_array_add(out, tally);
  }
  g_ptr_array_sort(out, tally_cmp);
  return out;
}

static GHashTable *
tally_table(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

typedef struct {
  BimiIngestSource *s;
  GHashTable *orgs, *dkim, *spf, *reasons;
  /* Failing messages and what they carried. */
  guint64 fail;
  guint64 fail_own_dkim_broken;   /* the domain's own (aligned) DKIM signature failed */
  guint64 fail_dkim_other;        /* DKIM passed for an unaligned d= */
  guint64 fail_spf_other;         /* SPF passed for an unaligned domain */
  guint64 fail_override;          /* the reporter named a policy override */
  char *dkim_other;               /* the unaligned d= that passed most recently */
  char *spf_other;
  char *override;
} SourceAcc;

static void
source_acc_free(gpointer p)
{
  SourceAcc *a = p;
  if (a->s != NULL)
    source_free(a->s);
  g_hash_table_unref(a->orgs);
  g_hash_table_unref(a->dkim);
  g_hash_table_unref(a->spf);
  g_hash_table_unref(a->reasons);
  BIMI_FREE_ALL(a->dkim_other, a->spf_other, a->override, a);
}

typedef struct {
  BimiIngestDomain *d;
  GHashTable *sources;   /* ip → SourceAcc */
  GHashTable *days;      /* gint64* → BimiIngestDay* */
  GHashTable *orgs;
  GHashTable *reports;   /* report row ids seen */
  gint64 newest_begin;
  char *org_domain;      /* of the policy domain, for alignment */
} DomainAcc;

static void
domain_acc_free(gpointer p)
{
  DomainAcc *a = p;
  if (a->d != NULL)
    domain_free(a->d);
  g_hash_table_unref(a->sources);
  g_hash_table_unref(a->days);
  g_hash_table_unref(a->orgs);
  g_hash_table_unref(a->reports);
  BIMI_FREE_ALL(a->org_domain, a);
}

/* Relaxed alignment (RFC 7489 §3.1.1): same Organizational Domain. */
static gboolean
aligned(GHashTable *org_cache, const char *org_domain, const char *domain)
{
  if (domain == NULL || org_domain == NULL)
    return FALSE;
  char *org = g_hash_table_lookup(org_cache, domain);
  if (org == NULL) {
    g_autoptr(GError) error = NULL;
    org = bimi_dmarc_org_domain_psl(domain, &error);
    if (org == NULL)
      org = g_strdup(domain);
    g_hash_table_insert(org_cache, g_strdup(domain), org);
  }
  return g_ascii_strcasecmp(org, org_domain) == 0;
}

typedef struct {
  sqlite3_stmt *st;
  gboolean done;
} Cursor;

static gboolean
cursor_step(BimiReportDb *db, Cursor *c, GError **error)
{
  if (c->done)
    return TRUE;
  int rc = sqlite3_step(c->st);
  if (rc == SQLITE_DONE)
    c->done = TRUE;
  else if (rc != SQLITE_ROW)
    return bimi_report_db_set_error(db, error, "read ingest rows");
  return TRUE;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
  return (const char *) sqlite3_column_text(st, i);
}

#define FILTER_JOIN \
  " FROM ingest_record rec JOIN ingest_report r ON rec.report = r.id" \
  " WHERE (?1 IS NULL OR r.policy_domain = lower(?1)) AND (?2 < 0 OR r.end_time > ?2)" \
  " AND (?3 < 0 OR r.begin_time < ?3)"

static gboolean
prepare_filtered(BimiReportDb *db, const char *sql, const char *domain, gint64 from, gint64 to, Cursor *c,
                 GError **error)
{
  c->st = bimi_report_db_prepare(db, sql, "prepare summary query", error);
  if (c->st == NULL)
    return FALSE;
  bimi_report_db_bind_text(c->st, 1, domain);
  sqlite3_bind_int64(c->st, 2, from);
  sqlite3_bind_int64(c->st, 3, to);
  return TRUE;
}

static DomainAcc *
domain_acc(GHashTable *domains, const char *name, GHashTable *org_cache)
{
  DomainAcc *a = g_hash_table_lookup(domains, name);
  if (a != NULL)
    return a;
  a = g_new0(DomainAcc, 1);
  a->d = g_new0(BimiIngestDomain, 1);
  a->d->domain = g_strdup(name);
  a->sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, source_acc_free);
  a->days = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  a->orgs = tally_table();
  a->reports = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  a->newest_begin = G_MININT64;
  g_autoptr(GError) error = NULL;
  a->org_domain = bimi_dmarc_org_domain_psl(name, &error);
  if (a->org_domain == NULL)
    a->org_domain = g_strdup(name);
  (void) org_cache;
  g_hash_table_insert(domains, g_strdup(name), a);
  return a;
}

static SourceAcc *
source_acc(DomainAcc *d, const char *ip)
{
  SourceAcc *a = g_hash_table_lookup(d->sources, ip);
  if (a != NULL)
    return a;
  a = g_new0(SourceAcc, 1);
  a->s = g_new0(BimiIngestSource, 1);
  a->s->source_ip = g_strdup(ip);
  a->orgs = tally_table();
  a->dkim = tally_table();
  a->spf = tally_table();
  a->reasons = tally_table();
  g_hash_table_insert(d->sources, g_strdup(ip), a);
  return a;
}

/* ---- grouping and the recommendation -------------------------------------- */

static char *
percent(guint64 part, guint64 whole)
{
  if (whole == 0)
    return g_strdup("0");
  double v = 100.0 * (double) part / (double) whole;
  /* Never round a non-zero share to 0 or a partial one to 100. */
  if (part > 0 && v < 0.1)
    return g_strdup("< 0.1");
  if (part < whole && v > 99.9)
    return g_strdup("> 99.9");
  char *s = g_strdup_printf("%.1f", v);
  if (g_str_has_suffix(s, ".0"))
    s[strlen(s) - 2] = '\0';
  return s;
}

static void
classify(SourceAcc *a, const char *domain)
{
  BimiIngestSource *s = a->s;
  if (a->fail == 0) {
    s->group = BIMI_INGEST_GROUP_AUTHORISED_PASSING;
    s->why = g_strdup_printf("all %" G_GUINT64_FORMAT " messages pass DMARC (%s)", s->messages,
                             s->dkim_pass > 0 && s->spf_pass > 0 ? "DKIM and SPF aligned"
                             : s->dkim_pass > 0                  ? "DKIM aligned"
                                                                 : "SPF aligned");
    return;
  }
  s->group = BIMI_INGEST_GROUP_AUTHORISED_FAILING;
  s->breaks_dkim = a->fail_own_dkim_broken > 0;
  g_autofree char *share = percent(a->fail, s->messages);
  if (a->fail_own_dkim_broken > 0)
    s->why = g_strdup_printf("%s %% of its mail fails DMARC: the DKIM signature of %s arrives broken "
                             "(a forwarder or mailing list that changes the message)%s%s", share, domain,
                             a->dkim_other != NULL ? "; it signs with d=" : "",
                             a->dkim_other != NULL ? a->dkim_other : "");
  else if (a->fail_override > 0)
    s->why = g_strdup_printf("%s %% of its mail fails DMARC; the reporter names it %s", share, a->override);
  else if (a->fail_dkim_other > 0)
    s->why = g_strdup_printf("%s %% of its mail fails DMARC: it signs with its own d=%s, not aligned with %s",
                             share, a->dkim_other, domain);
  else if (a->fail_spf_other > 0)
    s->why = g_strdup_printf("%s %% of its mail fails DMARC: SPF passes for %s, not aligned with %s, "
                             "and there is no aligned DKIM signature", share, a->spf_other, domain);
  else if (s->dmarc_pass > 0)
    s->why = g_strdup_printf("%s %% of its mail fails DMARC, the rest passes", share);
  else if (s->fcrdns != NULL && strcmp(s->fcrdns, "pass") == 0 && s->ptr_name != NULL &&
           (g_str_has_suffix(s->ptr_name, domain) &&
            (strlen(s->ptr_name) == strlen(domain) || s->ptr_name[strlen(s->ptr_name) - strlen(domain) - 1] == '.')))
    s->why = g_strdup_printf("a server of %s by its forward-confirmed name %s, but none of its mail passes "
                             "DMARC", domain, s->ptr_name);
  else {
    s->group = BIMI_INGEST_GROUP_UNKNOWN_FAILING;
    s->why = g_strdup("no DKIM or SPF pass for any domain: not a sender of yours (spoofing?)");
  }
}

static void
recommend(BimiIngestDomain *d)
{
  guint64 auth_fail = d->group_messages[BIMI_INGEST_GROUP_AUTHORISED_FAILING];
  guint64 unknown_fail = d->group_messages[BIMI_INGEST_GROUP_UNKNOWN_FAILING];
  guint64 authenticated = d->dmarc_pass + auth_fail;
  if (d->messages == 0) {
    d->verdict = g_strdup("no-data");
    d->recommendation = g_strdup("no data: no report counts any message");
    return;
  }
  const char *next = d->policy == NULL || strcmp(d->policy, "none") == 0 ? "quarantine" : "reject";
  gboolean at_reject = d->policy != NULL && strcmp(d->policy, "reject") == 0;
  if (auth_fail * 1000 <= (guint64) BIMI_INGEST_READY_MAX_FAIL_PERMILLE * d->messages) {
    g_autofree char *ok = percent(d->dmarc_pass, authenticated);
    g_autofree char *bad = percent(unknown_fail, d->messages);
    g_autofree char *tail = unknown_fail > 0
                                ? g_strdup_printf("; the failing %s %% comes from sources that are not yours", bad)
                                : g_strdup("; nothing fails");
    d->verdict = g_strdup(at_reject ? "enforcing" : "ready");
    d->recommendation = at_reject
                            ? g_strdup_printf("p=reject already: %s %% of your authenticated mail passes%s", ok, tail)
                            : g_strdup_printf("ready for p=%s: %s %% of your authenticated mail passes%s", next, ok,
                                              tail);
    return;
  }
  /* The authorised source that fails most. */
  const BimiIngestSource *worst = NULL;
  guint64 worst_fail = 0;
  for (guint i = 0; i < d->sources->len; i++) {
    const BimiIngestSource *s = g_ptr_array_index(d->sources, i);
    guint64 fail = s->messages - s->dmarc_pass;
    if (s->group == BIMI_INGEST_GROUP_AUTHORISED_FAILING && fail > worst_fail) {
      worst = s;
      worst_fail = fail;
    }
  }
  g_autofree char *share = percent(worst_fail, d->messages);
  g_autofree char *all = percent(auth_fail, d->messages);
  d->verdict = g_strdup("not-yet");
  if (worst != NULL && worst->breaks_dkim)
    d->recommendation = g_strdup_printf("not yet: %s forwards %s %% of your mail and breaks DKIM (%s %% of your mail "
                                        "comes from authorised sources and fails DMARC)", worst->label, share, all);
  else
    d->recommendation = g_strdup_printf("not yet: %s sends %s %% of your mail and it fails DMARC: %s (%s %% of your "
                                        "mail comes from authorised sources and fails DMARC)",
                                        worst != NULL ? worst->label : "?", share, worst != NULL ? worst->why : "",
                                        all);
}

static int
source_cmp(gconstpointer a, gconstpointer b)
{
  const BimiIngestSource *x = *(BimiIngestSource *const *) a;
  const BimiIngestSource *y = *(BimiIngestSource *const *) b;
  if (x->messages != y->messages)
    return x->messages > y->messages ? -1 : 1;
  return strcmp(x->source_ip, y->source_ip);
}

static int
day_cmp(gconstpointer a, gconstpointer b)
{
  const BimiIngestDay *x = *(BimiIngestDay *const *) a;
  const BimiIngestDay *y = *(BimiIngestDay *const *) b;
  return x->day < y->day ? -1 : x->day > y->day;
}

static void
ask_rdns(BimiIngestSource *s, BimiDnsResolver *resolver)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(s->source_ip);
  if (ip == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiRdnsResult) r = bimi_rdns_check(resolver, ip, NULL, &error);
  if (r == NULL)
    return;
  s->fcrdns = g_strdup(bimi_rdns_result_to_string(r->result));
  if (r->confirmed_name != NULL)
    s->ptr_name = g_strdup(r->confirmed_name);
  else if (r->ptr_names != NULL && r->ptr_names->len > 0)
    s->ptr_name = g_strdup(g_ptr_array_index(r->ptr_names, 0));
}

static BimiIngestDomain *
finish_domain(DomainAcc *a, BimiDnsResolver *resolver)
{
  BimiIngestDomain *d = g_steal_pointer(&a->d);
  d->orgs = tally_array(a->orgs);
  d->reports = g_hash_table_size(a->reports);
  /* Days: every day from the first to the last, empty ones included. */
  d->days = g_ptr_array_new_with_free_func(g_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, a->days);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    g_hash_table_iter_steal(&it);
    g_free(k);
    g_ptr_array_add(d->days, v);
  }
  g_ptr_array_sort(d->days, day_cmp);
  if (d->days->len > 1) {
    gint64 first = ((BimiIngestDay *) g_ptr_array_index(d->days, 0))->day;
    gint64 last = ((BimiIngestDay *) g_ptr_array_index(d->days, d->days->len - 1))->day;
    if ((last - first) / 86400 < 3660) {
      for (gint64 day = first + 86400; day < last; day += 86400) {
        gboolean have = FALSE;
        for (guint i = 0; i < d->days->len && !have; i++)
          have = ((BimiIngestDay *) g_ptr_array_index(d->days, i))->day == day;
        if (!have) {
          BimiIngestDay *empty = g_new0(BimiIngestDay, 1);
          empty->day = day;
          g_ptr_array_add(d->days, empty);
        }
      }
      g_ptr_array_sort(d->days, day_cmp);
    }
  }
  /* Sources, by volume; the largest get their PTR/FCrDNS asked. */
  d->sources = g_ptr_array_new_with_free_func(source_free);
  g_autoptr(GPtrArray) accs = g_ptr_array_new();
  g_hash_table_iter_init(&it, a->sources);
  while (g_hash_table_iter_next(&it, &k, &v))
    g_ptr_array_add(accs, v);
  for (guint i = 0; i < accs->len; i++)
    g_ptr_array_add(d->sources, ((SourceAcc *) g_ptr_array_index(accs, i))->s);
  g_ptr_array_sort(d->sources, source_cmp);
  for (guint i = 0; resolver != NULL && i < d->sources->len && i < BIMI_INGEST_SUMMARY_MAX_RDNS; i++)
    ask_rdns(g_ptr_array_index(d->sources, i), resolver);
  for (guint i = 0; i < accs->len; i++) {
    SourceAcc *sa = g_ptr_array_index(accs, i);
    BimiIngestSource *s = sa->s;
    s->orgs = tally_array(sa->orgs);
    s->dkim = tally_array(sa->dkim);
    s->spf = tally_array(sa->spf);
    s->reasons = tally_array(sa->reasons);
    classify(sa, d->domain);
    s->label = g_strdup(s->ptr_name != NULL ? s->ptr_name : sa->dkim_other != NULL ? sa->dkim_other : s->source_ip);
    if (s->group == BIMI_INGEST_GROUP_AUTHORISED_PASSING)
      d->group_messages[s->group] += s->messages;
    else {
      d->group_messages[BIMI_INGEST_GROUP_AUTHORISED_PASSING] += s->dmarc_pass;
      d->group_messages[s->group] += sa->fail;
    }
    sa->s = NULL;  /* owned by d->sources now */
  }
  recommend(d);
  return d;
}

/* ---- build ------------------------------------------------------------------ */

BimiIngestSummary *
bimi_ingest_summary_build(BimiReportDb *db, const char *domain, gint64 from, gint64 to, BimiDnsResolver *resolver,
                          GError **error)
{
  g_return_val_if_fail(db != NULL, NULL);
  Cursor rec = { 0 }, auth = { 0 }, reason = { 0 };
  g_autoptr(GHashTable) domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, domain_acc_free);
  g_autoptr(GHashTable) org_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) all_reports = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  BimiIngestSummary *summary = NULL;
  guint64 all_messages = 0;
  gboolean ok = FALSE;

  if (!prepare_filtered(db,
                        "SELECT rec.id, r.id, r.policy_domain, r.org_name, r.begin_time, r.end_time, r.p,"
                        " rec.source_ip, rec.count, rec.disposition, rec.dkim, rec.spf" FILTER_JOIN
                        " ORDER BY rec.id", domain, from, to, &rec, error) ||
      !prepare_filtered(db,
                        "SELECT a.record, a.method, a.domain, a.result FROM ingest_auth_result a"
                        " JOIN ingest_record rec ON a.record = rec.id JOIN ingest_report r ON rec.report = r.id"
                        " WHERE (?1 IS NULL OR r.policy_domain = lower(?1)) AND (?2 < 0 OR r.end_time > ?2)"
                        " AND (?3 < 0 OR r.begin_time < ?3) ORDER BY a.record, a.rowid", domain, from, to, &auth,
                        error) ||
      !prepare_filtered(db,
                        "SELECT x.record, x.type FROM ingest_reason x"
                        " JOIN ingest_record rec ON x.record = rec.id JOIN ingest_report r ON rec.report = r.id"
                        " WHERE (?1 IS NULL OR r.policy_domain = lower(?1)) AND (?2 < 0 OR r.end_time > ?2)"
                        " AND (?3 < 0 OR r.begin_time < ?3) ORDER BY x.record, x.rowid", domain, from, to,
                        &reason, error))
    goto out;
  if (!cursor_step(db, &auth, error) || !cursor_step(db, &reason, error))
    goto out;

  for (;;) {
    if (!cursor_step(db, &rec, error))
      goto out;
    if (rec.done)
      break;
    sqlite3_stmt *st = rec.st;
    sqlite3_int64 record_id = sqlite3_column_int64(st, 0);
    gint64 report_row = sqlite3_column_int64(st, 1);
    const char *policy_domain = col_text(st, 2);
    const char *org = col_text(st, 3);
    gint64 begin = sqlite3_column_int64(st, 4), end = sqlite3_column_int64(st, 5);
    const char *p = col_text(st, 6);
    const char *ip = col_text(st, 7);
    guint64 count = (guint64) sqlite3_column_int64(st, 8);
    const char *disposition = col_text(st, 9);
    gboolean dkim_pass = g_strcmp0(col_text(st, 10), "pass") == 0;
    gboolean spf_pass = g_strcmp0(col_text(st, 11), "pass") == 0;
    gboolean pass = dkim_pass || spf_pass;

    DomainAcc *da = domain_acc(domains, policy_domain, org_cache);
    BimiIngestDomain *d = da->d;
    if (!g_hash_table_contains(da->reports, &report_row)) {
      g_hash_table_add(da->reports, g_memdup2(&report_row, sizeof report_row));
      if (begin >= da->newest_begin) {
        da->newest_begin = begin;
        g_free(d->policy);
        d->policy = g_strdup(p);
      }
    }
    if (!g_hash_table_contains(all_reports, &report_row))
      g_hash_table_add(all_reports, g_memdup2(&report_row, sizeof report_row));
    tally_add(da->orgs, org, count);
    all_messages += count;
    d->messages += count;
    if (pass)
      d->dmarc_pass += count;
    for (guint i = 0; i < G_N_ELEMENTS(dispositions); i++) {
      if (g_strcmp0(disposition, dispositions[i]) == 0)
        d->disposition[i] += count;
    }
    gint64 mid = begin + (end - begin) / 2;
    gint64 day = mid - (((mid % 86400) + 86400) % 86400);
    BimiIngestDay *bucket = g_hash_table_lookup(da->days, &day);
    if (bucket == NULL) {
      bucket = g_new0(BimiIngestDay, 1);
      bucket->day = day;
      g_hash_table_insert(da->days, g_memdup2(&day, sizeof day), bucket);
    }
    if (pass)
      bucket->pass += count;
    else
      bucket->fail += count;

    SourceAcc *sa = source_acc(da, ip);
    BimiIngestSource *s = sa->s;
    s->messages += count;
    if (pass)
      s->dmarc_pass += count;
    if (dkim_pass)
      s->dkim_pass += count;
    if (spf_pass)
      s->spf_pass += count;
    tally_add(sa->orgs, org, count);
    if (!pass)
      sa->fail += count;

    /* This record's auth results and reasons (both cursors ordered by record). */
    gboolean own_broken = FALSE, dkim_other = FALSE, spf_other = FALSE, override = FALSE;
    while (!auth.done && sqlite3_column_int64(auth.st, 0) <= record_id) {
      if (sqlite3_column_int64(auth.st, 0) == record_id) {
        gboolean is_dkim = g_strcmp0(col_text(auth.st, 1), "dkim") == 0;
        const char *adomain = col_text(auth.st, 2);
        const char *result = col_text(auth.st, 3);
        gboolean is_aligned = aligned(org_cache, da->org_domain, adomain);
        g_autofree char *key = is_dkim ? g_strdup_printf("d=%s %s", adomain, result)
                                       : g_strdup_printf("%s %s", adomain, result);
        tally_add(is_dkim ? sa->dkim : sa->spf, key, count);
        if (is_dkim && is_aligned && g_strcmp0(result, "fail") == 0)
          own_broken = TRUE;
        if (g_strcmp0(result, "pass") == 0 && !is_aligned) {
          if (is_dkim) {
            dkim_other = TRUE;
            g_free(sa->dkim_other);
            sa->dkim_other = g_strdup(adomain);
          } else {
            spf_other = TRUE;
            g_free(sa->spf_other);
            sa->spf_other = g_strdup(adomain);
          }
        }
      }
      if (!cursor_step(db, &auth, error))
        goto out;
    }
    while (!reason.done && sqlite3_column_int64(reason.st, 0) <= record_id) {
      if (sqlite3_column_int64(reason.st, 0) == record_id) {
        const char *type = col_text(reason.st, 1);
        tally_add(sa->reasons, type, count);
        if (g_strcmp0(type, "forwarded") == 0 || g_strcmp0(type, "mailing_list") == 0 ||
            g_strcmp0(type, "trusted_forwarder") == 0 || g_strcmp0(type, "local_policy") == 0) {
          override = TRUE;
          g_free(sa->override);
          sa->override = g_strdup(type);
        }
      }
      if (!cursor_step(db, &reason, error))
        goto out;
    }
    if (!pass) {
      if (own_broken)
        sa->fail_own_dkim_broken += count;
      if (dkim_other)
        sa->fail_dkim_other += count;
      if (spf_other)
        sa->fail_spf_other += count;
      if (override)
        sa->fail_override += count;
    }
  }

  summary = g_new0(BimiIngestSummary, 1);
  summary->from = from;
  summary->to = to;
  summary->reports = g_hash_table_size(all_reports);
  summary->messages = all_messages;
  summary->domains = g_ptr_array_new_with_free_func(domain_free);
  GList *names = g_list_sort(g_hash_table_get_keys(domains), (GCompareFunc) strcmp);
  for (GList *l = names; l != NULL; l = l->next)
    g_ptr_array_add(summary->domains, finish_domain(g_hash_table_lookup(domains, l->data), resolver));
  g_list_free(names);
  ok = TRUE;
out:
  sqlite3_finalize(rec.st);
  sqlite3_finalize(auth.st);
  sqlite3_finalize(reason.st);
  return ok ? summary : NULL;
}

/* ---- output ------------------------------------------------------------------ */

static char *
date_of(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("?");
}

typedef void (*JsonItemFunc)(BimiJsonWriter *b, gconstpointer item);

/* "@name": [ the value @item_func writes for each element of @items, in order ]. */
static void
json_array(BimiJsonWriter *b, const char *name, const GPtrArray *items, JsonItemFunc item_func)
{
  bimi_json_set_member_name(b, name);
  bimi_json_begin_array(b);
  for (guint i = 0; i < items->len; i++)
    item_func(b, g_ptr_array_index(items, i));
  bimi_json_end_array(b);
}

/* {"name", "messages"} of a BimiIngestTally. */
static void
json_tally(BimiJsonWriter *b, gconstpointer item)
{
  const BimiIngestTally *t = item;

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sI", "name", t->name, "messages", (gint64) t->messages);
  bimi_json_end_object(b);
}

/* {"date", "pass", "fail"} of a BimiIngestDay. */
static void
json_day(BimiJsonWriter *b, gconstpointer item)
{
  const BimiIngestDay *day = item;
  g_autofree char *date = date_of(day->day);

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "sII", "date", date, "pass", (gint64) day->pass, "fail", (gint64) day->fail);
  bimi_json_end_object(b);
}

/* "@name": { one member per entry of @names: its count in @counts }. */
static void
json_counts(BimiJsonWriter *b, const char *name, const char *const *names, const guint64 *counts, guint n)
{
  bimi_json_set_member_name(b, name);
  bimi_json_begin_object(b);
  for (guint i = 0; i < n; i++) {
    bimi_json_set_member_name(b, names[i]);
    bimi_json_add_int_value(b, (gint64) counts[i]);
  }
  bimi_json_end_object(b);
}

/* A BimiIngestSource (docs/api.md's report summary). */
static void
json_source(BimiJsonWriter *b, gconstpointer item)
{
  const BimiIngestSource *src = item;

  bimi_json_begin_object(b);
  bimi_json_add_members(b, "ssssss IIII", "source_ip", src->source_ip, "ptr", src->ptr_name, "fcrdns", src->fcrdns,
                        "label", src->label, "group", bimi_ingest_group_to_string(src->group), "why", src->why,
                        "messages", (gint64) src->messages, "dmarc_pass", (gint64) src->dmarc_pass,
                        "dkim_aligned_pass", (gint64) src->dkim_pass, "spf_aligned_pass", (gint64) src->spf_pass);
  json_array(b, "orgs", src->orgs, json_tally);
  json_array(b, "dkim", src->dkim, json_tally);
  json_array(b, "spf", src->spf, json_tally);
  json_array(b, "reasons", src->reasons, json_tally);
  bimi_json_end_object(b);
}

/* A BimiIngestDomain, its days and sources included. */
static void
json_domain(BimiJsonWriter *b, gconstpointer item)
{
  const BimiIngestDomain *d = item;
  const char *groups[G_N_ELEMENTS(d->group_messages)];

  for (guint g = 0; g < G_N_ELEMENTS(groups); g++)
    groups[g] = bimi_ingest_group_to_string(g);
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "ssuII", "domain", d->domain, "policy", d->policy, "reports", d->reports,
                        "messages", (gint64) d->messages, "dmarc_pass", (gint64) d->dmarc_pass);
  bimi_json_set_member_name(b, "dmarc_pass_share");
  bimi_json_add_double_value(b, d->messages > 0 ? (double) d->dmarc_pass / (double) d->messages : 0.0);
  json_counts(b, "disposition", dispositions, d->disposition, G_N_ELEMENTS(dispositions));
  json_counts(b, "groups", groups, d->group_messages, G_N_ELEMENTS(groups));
  bimi_json_add_members(b, "ss", "verdict", d->verdict, "recommendation", d->recommendation);
  json_array(b, "orgs", d->orgs, json_tally);
  json_array(b, "days", d->days, json_day);
  json_array(b, "sources", d->sources, json_source);
  bimi_json_end_object(b);
}

void
bimi_ingest_summary_build_json(const BimiIngestSummary *s, BimiJsonWriter *b)
{
  bimi_json_begin_object(b);
  bimi_json_add_members(b, "?I?IuI", "from", s->from >= 0, s->from, "to", s->to >= 0, s->to, "reports", s->reports,
                        "messages", (gint64) s->messages);
  json_array(b, "domains", s->domains, json_domain);
  bimi_json_end_object(b);
}

static char *
join_tallies(GPtrArray *tallies, const char *sep)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < tallies->len; i++) {
    const BimiIngestTally *t = g_ptr_array_index(tallies, i);
    g_string_append_printf(s, "%s%s (%" G_GUINT64_FORMAT ")", i > 0 ? sep : "", t->name, t->messages);
  }
  return g_string_free(s, FALSE);
}

char *
bimi_ingest_summary_to_csv(const BimiIngestSummary *s)
{
  GString *out = g_string_new("domain,group,source_ip,ptr,fcrdns,messages,dmarc_pass,dkim,spf,orgs,why\r\n");
  for (guint i = 0; i < s->domains->len; i++) {
    const BimiIngestDomain *d = g_ptr_array_index(s->domains, i);
    for (guint j = 0; j < d->sources->len; j++) {
      const BimiIngestSource *src = g_ptr_array_index(d->sources, j);
      g_autofree char *messages = g_strdup_printf("%" G_GUINT64_FORMAT, src->messages);
      g_autofree char *pass = g_strdup_printf("%" G_GUINT64_FORMAT, src->dmarc_pass);
      g_autofree char *dkim = join_tallies(src->dkim, "; ");
      g_autofree char *spf = join_tallies(src->spf, "; ");
      g_autofree char *orgs = join_tallies(src->orgs, "; ");
      bimi_text_append_csv_field(out, d->domain, FALSE);
      bimi_text_append_csv_field(out, bimi_ingest_group_to_string(src->group), FALSE);
      bimi_text_append_csv_field(out, src->source_ip, FALSE);
      bimi_text_append_csv_field(out, src->ptr_name, FALSE);
      bimi_text_append_csv_field(out, src->fcrdns, FALSE);
      bimi_text_append_csv_field(out, messages, FALSE);
      bimi_text_append_csv_field(out, pass, FALSE);
      bimi_text_append_csv_field(out, dkim, FALSE);
      bimi_text_append_csv_field(out, spf, FALSE);
      bimi_text_append_csv_field(out, orgs, FALSE);
      bimi_text_append_csv_field(out, src->why, TRUE);
    }
  }
  return g_string_free(out, FALSE);
}

static const char *const group_titles[] = { "Authorised and passing", "Authorised but failing",
                                            "Unknown and failing" };

char *
bimi_ingest_summary_to_text(const BimiIngestSummary *s)
{
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "%u report(s), %" G_GUINT64_FORMAT " message(s), %u domain(s)\n", s->reports,
                         s->messages, s->domains->len);
  for (guint i = 0; i < s->domains->len; i++) {
    const BimiIngestDomain *d = g_ptr_array_index(s->domains, i);
    g_autofree char *share = percent(d->dmarc_pass, d->messages);
    g_autofree char *orgs = join_tallies(d->orgs, ", ");
    g_string_append_printf(out, "\n%s (p=%s): %" G_GUINT64_FORMAT " messages in %u report(s), DMARC pass %s %%\n",
                           d->domain, d->policy != NULL ? d->policy : "?", d->messages, d->reports, share);
    g_string_append_printf(out, "  dispositions: none %" G_GUINT64_FORMAT ", pass %" G_GUINT64_FORMAT
                           ", quarantine %" G_GUINT64_FORMAT ", reject %" G_GUINT64_FORMAT "\n",
                           d->disposition[0], d->disposition[1], d->disposition[2], d->disposition[3]);
    g_string_append_printf(out, "  reported by: %s\n", orgs);
    g_string_append_printf(out, "  recommendation: %s\n", d->recommendation);
    for (guint g = 0; g < 3; g++) {
      gboolean header = FALSE;
      for (guint j = 0; j < d->sources->len; j++) {
        const BimiIngestSource *src = g_ptr_array_index(d->sources, j);
        if (src->group != g)
          continue;
        if (!header) {
          g_string_append_printf(out, "  %s:\n", group_titles[g]);
          header = TRUE;
        }
        g_autofree char *dkim = join_tallies(src->dkim, ", ");
        g_autofree char *spf = join_tallies(src->spf, ", ");
        g_string_append_printf(out, "    %-39s %s%s%s%s %" G_GUINT64_FORMAT " msg, %" G_GUINT64_FORMAT " pass\n",
                               src->source_ip, src->ptr_name != NULL ? src->ptr_name : "(no PTR)",
                               src->fcrdns != NULL ? " [FCrDNS " : "", src->fcrdns != NULL ? src->fcrdns : "",
                               src->fcrdns != NULL ? "]" : "", src->messages, src->dmarc_pass);
        g_string_append_printf(out, "      DKIM: %s\n      SPF: %s\n      %s\n", dkim[0] ? dkim : "-",
                               spf[0] ? spf : "-", src->why);
      }
    }
  }
  return g_string_free(out, FALSE);
}
