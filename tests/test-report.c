/* tests/test-report.c — report/: records and their dedup key, the recorder's bounded
 * queue, rua= parsing and the external destination verification, the RFC 9990 / RFC 7489
 * XML against the published schemas, the limits, and the DKIM signer (engine/dkim-sign.c)
 * checked by our own verifier. The SMTP path is tests/report-cli.t (a real server). */
#include "report/build.h"
#include "report/record.h"
#include "report/recorder.h"
#include "report/rua.h"
#include "report/send.h"
#include "engine/dkim.h"
#include "engine/limits.h"
#include "engine/message.h"
#include "tests/lib/data.h"
#include "tests/lib/net.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#define QUERY_INT(db, sql) bimi_test_sqlite_int(bimi_report_db_handle(db), (sql))
#define QUERY_TEXT(db, sql) bimi_test_sqlite_text(bimi_report_db_handle(db), (sql))
#include <zlib.h>

#define T0 G_GINT64_CONSTANT(1767225600) /* 2026-01-01T00:00:00Z */

typedef struct {
  char *dir;
  char *path;
  BimiReportDb *db;
  BimiDnsResolver *resolver; /* the test zone's, made by the first build_opts() */
} Fixture;

static void
fx_setup(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  fx->dir = bimi_test_make_tmpdir("test-report-XXXXXX");
  fx->path = g_build_filename(fx->dir, "reports.sqlite", NULL);
  fx->db = bimi_report_db_open(fx->path, &error);
  g_assert_no_error(error);
  g_assert_true(bimi_report_db_migrate(fx->db, &bimi_report_schema, &error));
}

static void
fx_teardown(Fixture *fx, gconstpointer data)
{
  bimi_report_db_close(fx->db);
  g_clear_pointer(&fx->resolver, bimi_dns_resolver_unref);
  bimi_test_remove_tree(fx->dir);
  g_free(fx->path);
  g_free(fx->dir);
}

/* A record as an evaluation of a message from @from's domain, sent from @ip, makes it. */
static BimiReportRecord *
mk_record(const char *key_seed, const char *domain, const char *ip, const char *header_from, const char *rua,
          gboolean pass)
{
  BimiReportRecord *r = bimi_report_record_new();
  BimiReportDkimAuth *a = g_new0(BimiReportDkimAuth, 1);
  g_autofree char *hdr = g_strdup_printf("From: x@%s\r\nX-Seed: %s\r\n\r\n", header_from, key_seed);

  bimi_report_dedup_key((const guint8 *) hdr, strlen(hdr), ip, "b@" "bounce.example", "mx.example", r->dedup_key);
  r->time = T0 + 3600;
  r->source_ip = g_strdup(ip);
  r->header_from = g_strdup(header_from);
  r->envelope_from = g_strdup("bounce.example");
  r->policy_domain = g_strdup(domain);
  r->discovery_method = g_strdup("treewalk");
  r->p = g_strdup("reject");
  r->sp = g_strdup("quarantine");
  r->adkim = g_strdup("r");
  r->aspf = g_strdup("r");
  r->testing = g_strdup("n");
  r->rua = g_strdup(rua);
  r->dmarc_result = g_strdup(pass ? "pass" : "fail");
  r->disposition = g_strdup(pass ? "pass" : "none");
  r->dkim_aligned = g_strdup(pass ? "pass" : "fail");
  r->spf_aligned = g_strdup("fail");
  if (!pass)
    bimi_report_record_add_reason(r, "local_policy", "policy asked for reject; this receiver applied none");
  a->domain = g_strdup(domain);
  a->selector = g_strdup("sel");
  a->result = g_strdup(pass ? "pass" : "fail");
  a->human_result = pass ? NULL : g_strdup("signature did not verify <&\"'>");
  g_ptr_array_add(r->dkim, a);
  r->spf_domain = g_strdup("bounce.example");
  r->spf_scope = g_strdup("mfrom");
  r->spf_result = g_strdup("softfail");
  bimi_report_record_finish(r);
  return r;
}

static void
insert(BimiReportDb *db, BimiReportRecord *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRecord) owned = r;
  gboolean inserted = FALSE;
  g_assert_true(bimi_report_record_insert(db, r, &inserted, &error));
  g_assert_no_error(error);
}

/* @n passing records in one transaction: @n messages of example.com, each from its own IP
 * (10.x.y.z, one report row each), or with @per_domain one message for each of the @n
 * domains dN.example, each with its own rua= (one report each). */
static void
insert_many(Fixture *fx, guint n, gboolean per_domain)
{
  g_autoptr(GError) error = NULL;

  g_assert_true(bimi_report_db_begin(fx->db, &error));
  for (guint i = 0; i < n; i++) {
    if (per_domain) {
      g_autofree char *domain = g_strdup_printf("d%u.example", i);
      g_autofree char *rua = g_strdup_printf("mailto:r@%s", domain);
      insert(fx->db, mk_record(domain, domain, "192.0.2.1", domain, rua, TRUE));
    } else {
      g_autofree char *ip = g_strdup_printf("10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
      insert(fx->db, mk_record(ip, "example.com", ip, "example.com", "mailto:d@example.com", TRUE));
    }
  }
  g_assert_true(bimi_report_db_commit(fx->db, &error));
  g_assert_no_error(error);
}

/* ---- dedup key and records ------------------------------------------------ */

static void
test_dedup_key(void)
{
  char a[65], b[65], c[65], d[65];
  static const char hdr[] = "From: a@example.com\r\nMessage-ID: <1@x>\r\n\r\n";
  bimi_report_dedup_key((const guint8 *) hdr, strlen(hdr), "192.0.2.1", "a@example.com", "mx", a);
  bimi_report_dedup_key((const guint8 *) hdr, strlen(hdr), "192.0.2.1", "a@example.com", "mx", b);
  bimi_report_dedup_key((const guint8 *) hdr, strlen(hdr), "192.0.2.2", "a@example.com", "mx", c);
  bimi_report_dedup_key((const guint8 *) hdr, strlen(hdr) - 2, "192.0.2.1", "a@example.com", "mx", d);
  g_assert_cmpuint(strlen(a), ==, BIMI_REPORT_KEY_HEX_LEN);
  g_assert_cmpstr(a, ==, b);
  g_assert_cmpstr(a, !=, c);
  g_assert_cmpstr(a, !=, d);
  /* the key is SHA-256 of "bimi-report-dedup-v1", NUL, the header section, NUL, ip, NUL,
   * MAIL FROM, NUL, HELO: pinned, so that rows written before (GChecksum) and after
   * (OpenSSL, issue 21) deduplicate against each other */
  g_assert_cmpstr(a, ==, "c689f0c4a8bf4eb129d83182b8615a7058e5d5ffb6d775c24698ce113b86dd12");
}

static void
test_record_dedup(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRecord) r = mk_record("1", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com",
                                            FALSE);
  gboolean inserted = FALSE;

  g_assert_true(bimi_report_record_insert(fx->db, r, &inserted, &error));
  g_assert_true(inserted);
  g_assert_true(bimi_report_record_insert(fx->db, r, &inserted, &error));
  g_assert_false(inserted);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM evaluation"), ==, 1);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM evaluation_dkim"), ==, 1);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM evaluation_reason WHERE type = 'local_policy'"), ==, 1);
}

/* ---- the recorder ----------------------------------------------------------- */

static void
test_recorder_queue_limit(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRecorder) rec = bimi_report_recorder_new(fx->path, 3, &error);
  BimiReportRecorderStats s;
  g_autoptr(GString) metrics = g_string_new(NULL);

  g_assert_no_error(error);
  bimi_report_recorder__set_paused(rec, TRUE);
  /* One warning: for the first drop (then every BIMI_REPORT_DROP_WARN_EVERY-th). */
  g_test_expect_message("bimi", G_LOG_LEVEL_WARNING, "*queue full (3 records)*dropped (1 so far)*");
  for (guint i = 0; i < 5; i++) {
    g_autofree char *seed = g_strdup_printf("%u", i);
    gboolean queued = bimi_report_recorder_submit(
      rec, mk_record(seed, "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
    g_assert_cmpint(queued, ==, i < 3);
  }
  g_test_assert_expected_messages();
  bimi_report_recorder_get_stats(rec, &s);
  g_assert_cmpuint(s.dropped, ==, 2);
  g_assert_cmpuint(s.queued, ==, 3);
  bimi_report_recorder__set_paused(rec, FALSE);
  bimi_report_recorder_flush(rec);
  bimi_report_recorder_get_stats(rec, &s);
  g_assert_cmpuint(s.written, ==, 3);
  g_assert_cmpuint(s.queued, ==, 0);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM evaluation"), ==, 3);
  bimi_report_recorder_append_metrics(rec, metrics);
  g_assert_nonnull(strstr(metrics->str, "bimi_report_records_total{outcome=\"dropped\"} 2\n"));
  g_assert_nonnull(strstr(metrics->str, "bimi_report_records_total{outcome=\"written\"} 3\n"));

  /* BIMI_REPORT_MAX_QUEUE bounds the configured capacity. */
  g_assert_null(bimi_report_recorder_new(fx->path, BIMI_REPORT_MAX_QUEUE + 1, &error));
  g_assert_error(error, BIMI_REPORT_DB_ERROR, BIMI_REPORT_DB_ERROR_INVALID);
}

typedef struct {
  BimiReportRecorder *rec;
  guint thread;
} Submitter;

static gpointer
submit_many(gpointer data)
{
  Submitter *s = data;
  for (guint i = 0; i < 200; i++) {
    g_autofree char *seed = g_strdup_printf("%u-%u", s->thread, i % 100); /* each message twice */
    bimi_report_recorder_submit(s->rec,
                                mk_record(seed, "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
  }
  return NULL;
}

static void
test_recorder_threads(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRecorder) rec = bimi_report_recorder_new(fx->path, BIMI_REPORT_DEFAULT_QUEUE, &error);
  Submitter subs[8];
  GThread *threads[8];
  BimiReportRecorderStats s;

  for (guint t = 0; t < 8; t++) {
    subs[t].rec = rec;
    subs[t].thread = t;
    threads[t] = g_thread_new("submit", submit_many, &subs[t]);
  }
  for (guint t = 0; t < 8; t++)
    g_thread_join(threads[t]);
  bimi_report_recorder_flush(rec);
  bimi_report_recorder_get_stats(rec, &s);
  g_assert_cmpuint(s.dropped, ==, 0);
  g_assert_cmpuint(s.written, ==, 800);
  g_assert_cmpuint(s.duplicates, ==, 800);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM evaluation"), ==, 800);
}

/* The recorder's counters now, every one of them. */
static void
assert_counts(BimiReportRecorder *rec, guint64 submitted, guint64 written, guint64 duplicates, guint64 dropped,
              guint64 queued)
{
  BimiReportRecorderStats s;

  bimi_report_recorder_get_stats(rec, &s);
  g_assert_cmpuint(s.submitted, ==, submitted);
  g_assert_cmpuint(s.written, ==, written);
  g_assert_cmpuint(s.duplicates, ==, duplicates);
  g_assert_cmpuint(s.dropped, ==, dropped);
  g_assert_cmpuint(s.queued, ==, queued);
  g_assert_cmpuint(s.failed, ==, 0);
}

/* The recorded-key memo: a record committed once is a duplicate at submit, without the queue;
 * the database holds it once, and the counters say the same as without the memo. */
static void
test_recorder_memo(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRecorder) rec = bimi_report_recorder_new(fx->path, 3, &error);

  g_assert_no_error(error);
  g_assert_true(bimi_report_recorder_submit(
    rec, mk_record("m", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE)));
  bimi_report_recorder_flush(rec);
  g_assert_cmpuint(bimi_report_recorder__memo_size(rec), ==, 1);
  /* paused: the queue would keep a record it took, yet the known one never enters it */
  bimi_report_recorder__set_paused(rec, TRUE);
  for (guint i = 0; i < 5; i++)
    g_assert_true(bimi_report_recorder_submit(
      rec, mk_record("m", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE)));
  assert_counts(rec, 6, 1, 5, 0, 0); /* none dropped: five is more than the queue's 3 */
  /* another message is queued as before */
  g_assert_true(bimi_report_recorder_submit(
    rec, mk_record("n", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE)));
  assert_counts(rec, 7, 1, 5, 0, 1);
  bimi_report_recorder__set_paused(rec, FALSE);
  bimi_report_recorder_flush(rec);
  assert_counts(rec, 7, 2, 5, 0, 0);
  g_assert_cmpuint(bimi_report_recorder__memo_size(rec), ==, 2);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM evaluation"), ==, 2);
}

/* bimi_report_recorder_submit_evaluation(): the record new_from_evaluation makes, with the
 * same dedup key; once committed, a repeat is a duplicate without a record built; an
 * evaluation that makes no record counts nothing. */
static void
test_recorder_submit_evaluation(Fixture *fx, gconstpointer data)
{
  static const char text[] = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";
  static const char dmarc[] = "v=DMARC1; p=reject; rua=mailto:d@example.com";
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRecorder) rec = bimi_report_recorder_new(fx->path, 3, &error);
  g_autoptr(BimiDmarcRecord) policy = bimi_dmarc_record_parse(dmarc, strlen(dmarc),
                                                              BIMI_DMARC_MODE_RFC9989, &error);
  g_autoptr(GBytes) message = g_bytes_new_static(text, sizeof text - 1);
  char domain[] = "example.com";
  BimiDmarcEvaluation d = { 0 };
  BimiReportEvaluationInput in = { 0 };
  char key[BIMI_REPORT_KEY_HEX_LEN + 1];

  g_assert_no_error(error);
  d.result = BIMI_DMARC_RESULT_PASS;
  d.author_domain = domain;
  d.policy_domain = domain;
  d.record = policy;
  in.message = message;
  in.body_offset = strstr(text, "\r\n\r\n") + 4 - text;
  in.client_ip = "192.0.2.1";
  in.mail_from = "b@example.com";
  in.helo = "mx.example.com";
  in.dmarc = &d;
  in.now = T0;
  g_assert_true(bimi_report_evaluation_dedup_key(&in, key));
  {
    g_autoptr(BimiReportRecord) r = bimi_report_record_new_from_evaluation(&in);
    g_assert_cmpstr(r->dedup_key, ==, key);
  }
  bimi_report_recorder_submit_evaluation(rec, &in);
  bimi_report_recorder_flush(rec);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM evaluation"), ==, 1);
  {
    g_autofree char *stored = QUERY_TEXT(fx->db, "SELECT dedup_key FROM evaluation");
    g_assert_cmpstr(stored, ==, key);
  }
  bimi_report_recorder__set_paused(rec, TRUE);
  for (guint i = 0; i < 4; i++)
    bimi_report_recorder_submit_evaluation(rec, &in);
  assert_counts(rec, 5, 1, 4, 0, 0);
  /* no client address: no record, nothing counted */
  in.client_ip = NULL;
  g_assert_false(bimi_report_evaluation_dedup_key(&in, key));
  bimi_report_recorder_submit_evaluation(rec, &in);
  assert_counts(rec, 5, 1, 4, 0, 0);
  bimi_report_recorder__set_paused(rec, FALSE);
}

/* BIMI_REPORT_RECORDED_MEMO_MAX bounds the memo: one key more and it starts empty; a key it
 * forgot reaches the database again, which counts it as the duplicate it is. */
static void
test_recorder_memo_limit(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRecorder) rec = bimi_report_recorder_new(fx->path, BIMI_REPORT_DEFAULT_QUEUE, &error);

  g_assert_no_error(error);
  for (guint i = 0; i < BIMI_REPORT_RECORDED_MEMO_MAX; i++) {
    g_autofree char *seed = g_strdup_printf("%u", i);
    bimi_report_recorder_submit(rec,
                                mk_record(seed, "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
    if ((i + 1) % BIMI_REPORT_WRITE_BATCH == 0)
      bimi_report_recorder_flush(rec); /* the queue never fills */
  }
  bimi_report_recorder_flush(rec);
  g_assert_cmpuint(bimi_report_recorder__memo_size(rec), ==, BIMI_REPORT_RECORDED_MEMO_MAX);
  bimi_report_recorder_submit(rec, mk_record("over", "example.com", "192.0.2.1", "example.com",
                                             "mailto:d@example.com", TRUE));
  bimi_report_recorder_flush(rec);
  g_assert_cmpuint(bimi_report_recorder__memo_size(rec), ==, 1);
  bimi_report_recorder_submit(rec,
                              mk_record("0", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
  bimi_report_recorder_flush(rec);
  assert_counts(rec, BIMI_REPORT_RECORDED_MEMO_MAX + 2, BIMI_REPORT_RECORDED_MEMO_MAX + 1, 1, 0, 0);
  g_assert_cmpuint(bimi_report_recorder__memo_size(rec), ==, 2);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM evaluation"), ==, BIMI_REPORT_RECORDED_MEMO_MAX + 1);
}

/* ---- rua= ------------------------------------------------------------------ */

static void
rua_ok(const char *uri, const char *address, guint64 max_bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRua) r = bimi_report_rua_parse(uri, strlen(uri), &error);
  g_assert_no_error(error);
  g_assert_cmpstr(r->address, ==, address);
  g_assert_cmpuint(r->max_bytes, ==, max_bytes);
}

static void
rua_fail(const char *uri, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRua) r = bimi_report_rua_parse(uri, strlen(uri), &error);
  g_assert_null(r);
  g_assert_error(error, BIMI_REPORT_RUA_ERROR, code);
  if (strstr(error->message, needle) == NULL)
    g_error("\"%s\" lacks \"%s\"", error->message, needle);
}

static void
test_rua_parse(void)
{
  g_autoptr(GString) longest = g_string_new("mailto:");

  rua_ok("mailto:dmarc@example.com", "dmarc@example.com", 0);
  rua_ok("MAILTO:Dmarc@Example.COM!10m", "Dmarc@example.com", 10u << 20);
  rua_ok("mailto:a%2Bb@example.com!512", "a+b@example.com", 512);
  rua_ok("mailto:%22a%20b%22@example.com!2k", "\"a b\"@example.com", 2048);
  rua_fail("mailto:a%20b@example.com", BIMI_REPORT_RUA_ERROR_SYNTAX, "local part");
  rua_fail("https://example.com/rua", BIMI_REPORT_RUA_ERROR_SCHEME, "only mailto");
  rua_fail("mailto:a@example.com?subject=x", BIMI_REPORT_RUA_ERROR_SYNTAX, "hfields");
  rua_fail("mailto:example.com", BIMI_REPORT_RUA_ERROR_SYNTAX, "no \"@\"");
  rua_fail("mailto:a@b%2", BIMI_REPORT_RUA_ERROR_SYNTAX, "percent");
  rua_fail("mailto:a@example.com!10x", BIMI_REPORT_RUA_ERROR_SYNTAX, "unit");
  rua_fail("mailto:a@example.com!", BIMI_REPORT_RUA_ERROR_SYNTAX, "without a size");
  rua_fail("mailto:a@example.com!99999999999999999999", BIMI_REPORT_RUA_ERROR_LIMIT, "too large");
  rua_fail("mailto:a..b@example.com", BIMI_REPORT_RUA_ERROR_SYNTAX, "local part");
  rua_fail("mailto:a@exa_mple.com", BIMI_REPORT_RUA_ERROR_SYNTAX, "host name");
  rua_fail("mailto:a@x.com%0D%0ABcc:evil@x.com", BIMI_REPORT_RUA_ERROR_SYNTAX, "outside printable");
  /* BIMI_REPORT_MAX_URI_BYTES */
  while (longest->len < BIMI_REPORT_MAX_URI_BYTES - strlen("@example.com"))
    g_string_append_c(longest, 'a');
  g_string_append(longest, "@example.com");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiReportRua) r = bimi_report_rua_parse(longest->str, longest->len, &error);
    g_assert_null(r); /* the local part is too long, but the URI length is accepted */
    g_assert_error(error, BIMI_REPORT_RUA_ERROR, BIMI_REPORT_RUA_ERROR_SYNTAX);
  }
  g_string_append_c(longest, 'm');
  rua_fail(longest->str, BIMI_REPORT_RUA_ERROR_LIMIT, "longer than");
}

static const char zone[] =
  "$ORIGIN example.\n"
  "example.com._report._dmarc.reports.example. 300 IN TXT \"v=DMARC1\"\n"
  "example.com._report._dmarc.notdmarc.example. 300 IN TXT \"v=spf1 -all\"\n"
  "slow.example. 300 IN A 192.0.2.1\n";

static void
test_rua_verify(void)
{
  g_autoptr(BimiDnsResolver) r = bimi_test_resolver_zone_text(zone, strlen(zone), "report.zone");
  g_autofree char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL, *d5 = NULL;

  g_assert_true(bimi_dns_resolver_add_fault_name(r, "example.com._report._dmarc.slow.example", NULL));
  g_assert_cmpint(bimi_report_verify_destination(r, "example.com", "mail.example.com", &d1), ==,
                  BIMI_REPORT_DEST_INTERNAL);
  g_assert_cmpint(bimi_report_verify_destination(r, "example.com", "reports.example", &d2), ==,
                  BIMI_REPORT_DEST_VERIFIED);
  g_assert_cmpint(bimi_report_verify_destination(r, "example.com", "other.example", &d3), ==,
                  BIMI_REPORT_DEST_REFUSED);
  g_assert_nonnull(strstr(d3, "NXDOMAIN"));
  g_assert_cmpint(bimi_report_verify_destination(r, "example.com", "notdmarc.example", &d4), ==,
                  BIMI_REPORT_DEST_REFUSED);
  g_assert_cmpint(bimi_report_verify_destination(r, "example.com", "slow.example", &d5), ==,
                  BIMI_REPORT_DEST_TEMPERROR);
}

/* ---- build ------------------------------------------------------------------- */

static GBytes *
gunzip(const char *path)
{
  gzFile f = gzopen(path, "rb");
  GByteArray *out = g_byte_array_new();
  char buf[65536];
  int n;
  g_assert_nonnull(f);
  while ((n = gzread(f, buf, sizeof buf)) > 0)
    g_byte_array_append(out, (const guint8 *) buf, (guint) n);
  g_assert_cmpint(n, ==, 0);
  gzclose(f);
  return g_byte_array_free_to_bytes(out);
}

/* Validates @xml against the schema of @format; returns the parsed document. */
static xmlDocPtr
validate(GBytes *xml, BimiReportFormat format)
{
  const char *up = g_getenv("BIMI_UPSTREAM_DIR");
  g_autofree char *dir = g_build_filename(up ? up : "../shared/upstream", "dmarc-aggregate-reports", NULL);
  g_autofree char *xsd_path = NULL;
  g_autofree char *xsd_text = NULL;
  gsize xsd_len = 0;
  xmlSchemaParserCtxtPtr pc;
  xmlSchemaPtr schema;
  xmlSchemaValidCtxtPtr vc;
  xmlDocPtr doc;

  if (format == BIMI_REPORT_FORMAT_RFC9990) {
    xsd_path = g_build_filename(dir, "ietf-rfc9990", "dmarc-xml-0.2.xsd", NULL);
    g_assert_true(g_file_get_contents(xsd_path, &xsd_text, &xsd_len, NULL));
  } else {
    /* Two defects of the RFC 7489 schema as printed in the RFC, repaired here: it refers to its
     * own types unprefixed under a targetNamespace, which libxml2 refuses (FORMAT.md), so it is
     * used without the targetNamespace (real RFC 7489 reports carry no namespace); and the
     * IPAddress pattern was folded across lines, so its whitespace is removed. */
    g_autofree char *raw = NULL;
    g_autofree char *no_ns = NULL;
    g_autoptr(GRegex) re = g_regex_new("targetNamespace=\"[^\"]*\"", 0, 0, NULL);
    g_autoptr(GRegex) fold = g_regex_new("([|}])\\s*\\n\\s*\\(", 0, 0, NULL);
    xsd_path = g_build_filename(dir, "ietf-rfc7489", "dmarc-xml-0.1.xsd", NULL);
    g_assert_true(g_file_get_contents(xsd_path, &raw, NULL, NULL));
    no_ns = g_regex_replace_literal(re, raw, -1, 0, "", 0, NULL);
    xsd_text = g_regex_replace(fold, no_ns, -1, 0, "\\1(", 0, NULL);
    xsd_len = strlen(xsd_text);
  }
  pc = xmlSchemaNewMemParserCtxt(xsd_text, (int) xsd_len);
  schema = xmlSchemaParse(pc);
  g_assert_nonnull(schema);
  vc = xmlSchemaNewValidCtxt(schema);
  doc = xmlReadMemory(g_bytes_get_data(xml, NULL), (int) g_bytes_get_size(xml), "report.xml", NULL, XML_PARSE_NONET);
  g_assert_nonnull(doc);
  g_assert_cmpint(xmlSchemaValidateDoc(vc, doc), ==, 0);
  xmlSchemaFreeValidCtxt(vc);
  xmlSchemaFree(schema);
  xmlSchemaFreeParserCtxt(pc);
  return doc;
}

/* Sum of <count> and number of <record>. */
static void
count_rows(xmlDocPtr doc, gint64 *messages, guint *records)
{
  *messages = 0;
  *records = 0;
  for (xmlNodePtr r = xmlDocGetRootElement(doc)->children; r != NULL; r = r->next) {
    if (r->type != XML_ELEMENT_NODE || strcmp((const char *) r->name, "record") != 0)
      continue;
    (*records)++;
    for (xmlNodePtr row = r->children; row != NULL; row = row->next) {
      if (row->type != XML_ELEMENT_NODE || strcmp((const char *) row->name, "row") != 0)
        continue;
      for (xmlNodePtr c = row->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *) c->name, "count") == 0) {
          xmlChar *t = xmlNodeGetContent(c);
          *messages += g_ascii_strtoll((const char *) t, NULL, 10);
          xmlFree(t);
        }
      }
    }
  }
}

static void
build_opts(Fixture *fx, BimiReportBuildOptions *o, const char *out_dir, BimiReportFormat format)
{
  if (fx->resolver == NULL)
    fx->resolver = bimi_test_resolver_zone_text(zone, strlen(zone), "report.zone");
  memset(o, 0, sizeof *o);
  o->begin = T0;
  o->end = T0 + 86400;
  o->org_name = "Test Receiver";
  o->org_email = "dmarc-reports@receiver.example";
  o->format = format;
  o->out_dir = out_dir;
  o->resolver = fx->resolver;
  o->now = T0 + 90000;
}

/* One build run over @db with @o into @s; it must succeed (the outcomes are in @s). */
static void
build_ok(BimiReportDb *db, const BimiReportBuildOptions *o, BimiReportBuildSummary *s)
{
  g_autoptr(GError) error = NULL;

  g_assert_true(bimi_report_build(db, o, s, &error));
  g_assert_no_error(error);
}

static void
check_format(Fixture *fx, BimiReportFormat format)
{
  g_autofree char *out = g_build_filename(fx->dir, "out", NULL);
  BimiReportBuildOptions o;
  BimiReportBuildSummary s;

  /* example.com: 3 messages from one IP with the same results (one row, count 3), one fail from
   * another IP with a hostile From domain; example.net: no rua=, no report. */
  insert(fx->db, mk_record("a", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
  insert(fx->db, mk_record("b", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
  insert(fx->db, mk_record("c", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
  insert(fx->db, mk_record("d", "example.com", "2001:db8::1", "<evil>&\"x\".example.com", "mailto:d@example.com",
                           FALSE));
  insert(fx->db, mk_record("e", "example.net", "192.0.2.1", "example.net", "", TRUE));
  build_opts(fx, &o, out, format);
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, 1);
  g_assert_cmpuint(s.files->len, ==, 1);
  {
    const char *name = g_ptr_array_index(s.files, 0);
    g_autofree char *path = g_build_filename(out, name, NULL);
    g_autoptr(GBytes) xml = gunzip(path);
    g_autofree char *prefix = g_strdup_printf("receiver.example!example.com!%" G_GINT64_FORMAT "!%" G_GINT64_FORMAT "!",
                                              T0, T0 + 86399);
    xmlDocPtr doc = validate(xml, format);
    gint64 messages = 0;
    guint records = 0;
    g_assert_true(g_str_has_prefix(name, prefix));
    g_assert_true(g_str_has_suffix(name, ".xml.gz"));
    count_rows(doc, &messages, &records);
    g_assert_cmpint(messages, ==, 4);
    g_assert_cmpuint(records, ==, 2);
    xmlFreeDoc(doc);
    /* The hostile From domain is escaped, never pasted. */
    g_assert_nonnull(g_strstr_len(g_bytes_get_data(xml, NULL), (gssize) g_bytes_get_size(xml),
                                  "<header_from>&lt;evil&gt;&amp;"));
    g_assert_null(g_strstr_len(g_bytes_get_data(xml, NULL), (gssize) g_bytes_get_size(xml), "<evil>"));
    if (format == BIMI_REPORT_FORMAT_RFC9990) {
      g_assert_nonnull(g_strstr_len(g_bytes_get_data(xml, NULL), (gssize) g_bytes_get_size(xml),
                                    "<generator>bimi-engine " BIMI_VERSION "</generator>"));
      g_assert_nonnull(g_strstr_len(g_bytes_get_data(xml, NULL), (gssize) g_bytes_get_size(xml),
                                    "<type>local_policy</type>"));
    }
  }
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report_destination WHERE state = 'pending'"), ==, 1);
  bimi_report_build_summary_clear(&s);

  /* A second run builds nothing. */
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, 0);
  g_assert_cmpuint(s.already, ==, 1);
  bimi_report_build_summary_clear(&s);
}

static void
test_build_rfc9990(Fixture *fx, gconstpointer data)
{
  check_format(fx, BIMI_REPORT_FORMAT_RFC9990);
}

static void
test_build_rfc7489(Fixture *fx, gconstpointer data)
{
  check_format(fx, BIMI_REPORT_FORMAT_RFC7489);
}

static void
test_build_destinations(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  BimiReportBuildOptions o;
  BimiReportBuildSummary s;

  build_opts(fx, &o, NULL, BIMI_REPORT_FORMAT_RFC9990);
  g_assert_true(bimi_dns_resolver_add_fault_name(fx->resolver, "example.org._report._dmarc.slow.example", NULL));
  /* example.com: one verified external destination, one refused, one size-limited */
  insert(fx->db, mk_record("a", "example.com", "192.0.2.1", "example.com",
                           "mailto:x@reports.example,mailto:y@other.example,mailto:z@example.com!1", TRUE));
  /* example.org: temperror: deferred, nothing stored */
  insert(fx->db, mk_record("b", "example.org", "192.0.2.1", "example.org", "mailto:x@slow.example", TRUE));
  /* example.edu: malformed: skipped for good */
  insert(fx->db, mk_record("c", "example.edu", "192.0.2.1", "example.edu", "mailto:x@example.edu?subject=hi", TRUE));
  /* example.int: every destination refused */
  insert(fx->db, mk_record("d", "example.int", "192.0.2.1", "example.int", "mailto:x@other.example", TRUE));
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, 1);
  g_assert_cmpuint(s.deferred, ==, 1);
  g_assert_cmpuint(s.skipped, ==, 2);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report_destination WHERE state = 'pending'"
                                    " AND address = 'x@reports.example'"), ==, 1);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report_destination WHERE state = 'skipped'"
                                    " AND address = 'y@other.example' AND note LIKE '%not verified%'"), ==, 1);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report_destination WHERE state = 'skipped'"
                                    " AND address = 'z@example.com' AND note LIKE '%limit%'"), ==, 1);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report WHERE policy_domain = 'example.org'"), ==, 0);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report_note WHERE final = 1"), ==, 2);
  bimi_report_build_summary_clear(&s);
  /* Next run: only the deferred domain is tried again (and deferred again). */
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, 0);
  g_assert_cmpuint(s.deferred, ==, 1);
  g_assert_cmpuint(s.already, ==, 3);
  bimi_report_build_summary_clear(&s);
}

static void
test_limit_rows(Fixture *fx, gconstpointer data)
{
  BimiReportBuildOptions o;
  BimiReportBuildSummary s;

  insert_many(fx, BIMI_REPORT_MAX_ROWS_PER_REPORT + 1, FALSE);
  build_opts(fx, &o, NULL, BIMI_REPORT_FORMAT_RFC9990);
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, 2);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT max(records) FROM report"), ==, BIMI_REPORT_MAX_ROWS_PER_REPORT);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT sum(records) FROM report"), ==, BIMI_REPORT_MAX_ROWS_PER_REPORT + 1);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(DISTINCT report_id) FROM report"), ==, 2);
  bimi_report_build_summary_clear(&s);
}

/* Two databases (two receivers, or one receiver's two hosts) never give one report_id to
 * two reports of the same domain and period; a rebuild in one database keeps its id; a
 * period overlapping a built one is skipped (each message is reported once). */
static void
test_build_report_ids(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path2 = g_build_filename(fx->dir, "other.sqlite", NULL);
  g_autofree char *id1 = NULL, *id2 = NULL, *id1_again = NULL;
  BimiReportDb *db2 = bimi_report_db_open(path2, &error);
  BimiReportBuildOptions o;
  BimiReportBuildSummary s;

  g_assert_no_error(error);
  g_assert_true(bimi_report_db_migrate(db2, &bimi_report_schema, &error));
  insert(fx->db, mk_record("a", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
  insert(db2, mk_record("b", "example.com", "192.0.2.2", "example.com", "mailto:d@example.com", FALSE));
  build_opts(fx, &o, NULL, BIMI_REPORT_FORMAT_RFC9990);
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, 1);
  bimi_report_build_summary_clear(&s);
  build_ok(db2, &o, &s);
  g_assert_cmpuint(s.built, ==, 1);
  bimi_report_build_summary_clear(&s);
  id1 = QUERY_TEXT(fx->db, "SELECT report_id FROM report");
  id2 = QUERY_TEXT(db2, "SELECT report_id FROM report");
  g_assert_cmpuint(strlen(id1), ==, 32);
  g_assert_cmpstr(id1, !=, id2);
  /* The same period again: already built, same id. */
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.already, ==, 1);
  bimi_report_build_summary_clear(&s);
  id1_again = QUERY_TEXT(fx->db, "SELECT report_id FROM report");
  g_assert_cmpstr(id1, ==, id1_again);
  /* A period overlapping the built day: skipped with a note, nothing new stored. */
  o.begin = T0 + 3600;
  o.end = T0 + 86400 + 3600;
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, 0);
  g_assert_cmpuint(s.skipped, ==, 1);
  g_assert_nonnull(strstr(g_ptr_array_index(s.notes, 0), "overlaps a report already built"));
  bimi_report_build_summary_clear(&s);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report"), ==, 1);
  bimi_report_db_close(db2);
}

static void
test_limit_reports(Fixture *fx, gconstpointer data)
{
  BimiReportBuildOptions o;
  BimiReportBuildSummary s;

  insert_many(fx, BIMI_REPORT_MAX_REPORTS_PER_RUN + 1, TRUE);
  build_opts(fx, &o, NULL, BIMI_REPORT_FORMAT_RFC9990);
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, BIMI_REPORT_MAX_REPORTS_PER_RUN);
  g_assert_cmpuint(s.deferred, ==, 1);
  bimi_report_build_summary_clear(&s);
  build_ok(fx->db, &o, &s);
  g_assert_cmpuint(s.built, ==, 1);
  g_assert_cmpuint(s.deferred, ==, 0);
  bimi_report_build_summary_clear(&s);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report"), ==, BIMI_REPORT_MAX_REPORTS_PER_RUN + 1);
}

/* ---- DKIM signer ------------------------------------------------------------- */

static char *
public_txt(EVP_PKEY *key)
{
  g_autofree char *b64 = NULL;
  gboolean ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
  GString *z = g_string_new("sel._domainkey.signer.example. 300 IN TXT ");
  if (ed) {
    guint8 raw[32];
    gsize n = sizeof raw;
    g_assert_cmpint(EVP_PKEY_get_raw_public_key(key, raw, &n), ==, 1);
    b64 = g_base64_encode(raw, n);
  } else {
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key, &der);
    g_assert_cmpint(n, >, 0);
    b64 = g_base64_encode(der, (gsize) n);
    OPENSSL_free(der);
  }
  g_string_append_printf(z, "\"v=DKIM1; k=%s; p=\"", ed ? "ed25519" : "rsa");
  for (gsize i = 0, n = strlen(b64); i < n; i += 200)
    g_string_append_printf(z, " \"%.200s\"", b64 + i);
  g_string_append_c(z, '\n');
  return g_string_free(z, FALSE);
}

static void
check_signer(EVP_PKEY *key, const char *alg)
{
  g_autoptr(GError) error = NULL;
  BIO *bio = BIO_new(BIO_s_mem());
  char *pem = NULL;
  long pem_len;
  g_autoptr(BimiDkimSigner) signer = NULL;
  g_autofree char *txt = public_txt(key);
  g_autoptr(BimiDnsResolver) r = bimi_test_resolver_zone_text(txt, strlen(txt), "dkim.zone");
  BimiReportSendOptions so = { 0 };
  g_autoptr(GBytes) gz = g_bytes_new_static("\x1f\x8b not really gzip", 19);
  g_autoptr(GBytes) mime = NULL;
  g_autofree char *sig = NULL;
  g_autoptr(GByteArray) all = g_byte_array_new();
  g_autoptr(GBytes) signed_bytes = NULL;
  g_autoptr(BimiMessage) msg = NULL;
  g_autoptr(GPtrArray) results = NULL;
  BimiDkimOptions vo = { 0 };
  const BimiDkimSignature *res;

  g_assert_cmpint(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), ==, 1);
  pem_len = BIO_get_mem_data(bio, &pem);
  signer = bimi_dkim_signer_new("Signer.Example", "sel", pem, (gsize) pem_len, &error);
  BIO_free(bio);
  g_assert_no_error(error);

  so.org_name = "Test \"Receiver\"";
  so.org_email = "dmarc-reports@receiver.example";
  so.now = T0;
  mime = bimi_report_mime_message(&so, "d@example.com", "example.com", "0123abcd", "r!example.com!1!2!0123abcd.xml.gz",
                                  T0, T0 + 86399, gz);
  sig = bimi_dkim_signer_sign(signer, mime, T0, &error);
  g_assert_no_error(error);
  g_assert_true(g_str_has_prefix(sig, "DKIM-Signature: v=1; a="));
  g_assert_nonnull(strstr(sig, alg));
  for (const char *line = sig; *line != '\0';) {
    const char *nl = strstr(line, "\r\n");
    g_assert_nonnull(nl);
    g_assert_cmpint(nl - line, <=, 78);
    line = nl + 2;
  }
  g_byte_array_append(all, (const guint8 *) sig, (guint) strlen(sig));
  g_byte_array_append(all, g_bytes_get_data(mime, NULL), (guint) g_bytes_get_size(mime));
  signed_bytes = g_byte_array_free_to_bytes(g_steal_pointer(&all));
  msg = bimi_message_parse(signed_bytes, &error);
  g_assert_no_error(error);
  vo.now = T0;
  vo.key_fetch = bimi_dkim_key_fetch_dns;
  vo.key_fetch_data = r;
  results = bimi_dkim_verify(msg, &vo, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(results->len, ==, 1);
  res = g_ptr_array_index(results, 0);
  if (res->result != BIMI_DKIM_RESULT_PASS)
    g_error("DKIM %s: %s", bimi_dkim_result_to_string(res->result), res->reason ? res->reason : "");
  g_assert_cmpstr(res->domain, ==, "signer.example");
}

static void
test_dkim_sign_rsa(void)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
  g_assert_nonnull(key);
  check_signer(key, "rsa-sha256");
  EVP_PKEY_free(key);
}

static void
test_dkim_sign_ed25519(void)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  g_assert_nonnull(key);
  check_signer(key, "ed25519-sha256");
  EVP_PKEY_free(key);
}

static void
test_dkim_signer_refuses(void)
{
  g_autoptr(GError) error = NULL;
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 512);
  BIO *bio = BIO_new(BIO_s_mem());
  char *pem = NULL;
  long n;

  g_assert_null(bimi_dkim_signer_new("example.com", "sel", "not a key", 9, &error));
  g_assert_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_INVALID);
  g_clear_error(&error);
  PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
  n = BIO_get_mem_data(bio, &pem);
  g_assert_null(bimi_dkim_signer_new("example.com", "sel", pem, (gsize) n, &error));
  g_assert_error(error, BIMI_DKIM_ERROR, BIMI_DKIM_ERROR_LIMIT);
  BIO_free(bio);
  EVP_PKEY_free(key);
}

/* ---- send, dry run ------------------------------------------------------------- */

static void
test_send_dry_run(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  BimiReportBuildOptions o;
  BimiReportBuildSummary s;
  BimiReportSendOptions so = { 0 };
  BimiReportSendSummary ss;

  insert(fx->db, mk_record("a", "example.com", "192.0.2.1", "example.com", "mailto:d@example.com", TRUE));
  build_opts(fx, &o, NULL, BIMI_REPORT_FORMAT_RFC9990);
  build_ok(fx->db, &o, &s);
  bimi_report_build_summary_clear(&s);
  so.org_name = "Test";
  so.org_email = "dmarc-reports@receiver.example";
  so.dry_run = TRUE;
  so.now = T0 + 90000;
  g_assert_true(bimi_report_send(fx->db, &so, &ss, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(ss.would_send, ==, 1);
  g_assert_cmpuint(ss.sent, ==, 0);
  g_assert_nonnull(strstr(g_ptr_array_index(ss.lines, 0), "to d@example.com"));
  bimi_report_send_summary_clear(&ss);
  g_assert_cmpint(QUERY_INT(fx->db, "SELECT count(*) FROM report_destination WHERE state = 'pending'"
                                    " AND attempts = 0"), ==, 1);
  /* Without a server and not dry: a configuration error, nothing touched. */
  so.dry_run = FALSE;
  g_assert_false(bimi_report_send(fx->db, &so, &ss, &error));
  g_assert_error(error, BIMI_REPORT_SEND_ERROR, BIMI_REPORT_SEND_ERROR_CONFIG);
  bimi_report_send_summary_clear(&ss);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fx_setup, fn, fx_teardown)
  g_test_add_func("/report/dedup-key", test_dedup_key);
  ADD("/report/record/dedup", test_record_dedup);
  ADD("/report/recorder/queue-limit", test_recorder_queue_limit);
  ADD("/report/recorder/threads", test_recorder_threads);
  ADD("/report/recorder/memo", test_recorder_memo);
  ADD("/report/recorder/submit-evaluation", test_recorder_submit_evaluation);
  ADD("/report/limit/recorded-memo", test_recorder_memo_limit);
  g_test_add_func("/report/rua/parse", test_rua_parse);
  g_test_add_func("/report/rua/verify-destination", test_rua_verify);
  ADD("/report/build/rfc9990-xsd", test_build_rfc9990);
  ADD("/report/build/rfc7489-xsd", test_build_rfc7489);
  ADD("/report/build/destinations", test_build_destinations);
  ADD("/report/build/report-ids", test_build_report_ids);
  ADD("/report/limit/rows-per-report", test_limit_rows);
  ADD("/report/limit/reports-per-run", test_limit_reports);
  g_test_add_func("/report/dkim/sign-rsa", test_dkim_sign_rsa);
  g_test_add_func("/report/dkim/sign-ed25519", test_dkim_sign_ed25519);
  g_test_add_func("/report/dkim/refuses", test_dkim_signer_refuses);
  ADD("/report/send/dry-run", test_send_dry_run);
  return g_test_run();
}
