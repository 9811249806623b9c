/* tests/helpers/report-writer.c — `report-writer DB`: a recorder (report/recorder.h)
 * fed without end, for tests/report-crash.t, which kills it with SIGKILL mid-write.
 *
 * Submits distinct evaluation records as fast as the queue takes them (flushing every
 * 500), printing "written N" after each flush so the test knows commits happened.
 * Exit: never on its own; 2 when the database cannot be opened.
 */
#include "report/recorder.h"
#include "engine/limits.h"

#include <stdio.h>
#include <string.h>

static BimiReportRecord *
record(guint64 n)
{
  BimiReportRecord *r = bimi_report_record_new();
  g_autofree char *hdr = g_strdup_printf("From: x@crash.example\r\nMessage-ID: <%" G_GUINT64_FORMAT "@x>\r\n\r\n", n);
  BimiReportDkimAuth *a = g_new0(BimiReportDkimAuth, 1);

  bimi_report_dedup_key((const guint8 *) hdr, strlen(hdr), "192.0.2.1", "", "mx.example", r->dedup_key);
  r->time = 1767225600 + (gint64) (n % 86400);
  r->source_ip = g_strdup_printf("10.%u.%u.%u", (guint) (n >> 16) & 255, (guint) (n >> 8) & 255, (guint) n & 255);
  r->header_from = g_strdup("crash.example");
  r->policy_domain = g_strdup("crash.example");
  r->discovery_method = g_strdup("treewalk");
  r->p = g_strdup("reject");
  r->adkim = g_strdup("r");
  r->aspf = g_strdup("r");
  r->testing = g_strdup("n");
  r->rua = g_strdup("mailto:d@crash.example");
  r->dmarc_result = g_strdup("pass");
  r->disposition = g_strdup("pass");
  r->dkim_aligned = g_strdup("pass");
  r->spf_aligned = g_strdup("pass");
  a->domain = g_strdup("crash.example");
  a->selector = g_strdup("s");
  a->result = g_strdup("pass");
  g_ptr_array_add(r->dkim, a);
  bimi_report_record_finish(r);
  return r;
}

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiReportRecorder) rec = NULL;
  BimiReportRecorderStats s;

  if (argc != 2) {
    fprintf(stderr, "usage: report-writer DB\n");
    return 2;
  }
  rec = bimi_report_recorder_new(argv[1], BIMI_REPORT_DEFAULT_QUEUE, &error);
  if (rec == NULL) {
    fprintf(stderr, "report-writer: %s\n", error->message);
    return 2;
  }
  /* Distinct messages in every run over the same file: numbered from the clock. */
  for (guint64 n = (guint64) g_get_real_time(), i = 0;; n++, i++) {
    bimi_report_recorder_submit(rec, record(n));
    if (i % 500 == 499) {
      bimi_report_recorder_flush(rec);
      bimi_report_recorder_get_stats(rec, &s);
      printf("written %" G_GUINT64_FORMAT "\n", s.written);
      fflush(stdout);
    }
  }
}
