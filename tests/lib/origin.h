/* tests/lib/origin.h — the offline world of the evaluate tests (linked into
 * every test binary; see the Makefile's TEST_SUPPORT): a real nginx TLS
 * origin on free loopback ports serving the test PKI of fixtures/pki
 * (fixtures/evaluate/nginx.conf.in: logos and Evidence Documents on one port
 * as origin.test, CRLs over plain http on the other as crl.pki.test), the DNS
 * zone fixtures/evaluate/evaluate.zone.in with those ports filled in, and the
 * INI text of an evaluator that uses both, evaluated at 2026-06-01T00:00:00Z.
 * nginx is a child with PR_SET_PDEATHSIG and is stopped by PID.
 */
#ifndef BIMI_TESTS_LIB_ORIGIN_H
#define BIMI_TESTS_LIB_ORIGIN_H

#include "tests/lib/net.h"

/** The evaluation time of the test PKI: 2026-06-01T00:00:00Z, in seconds since the epoch. */
#define BIMI_TEST_ORIGIN_NOW ((gint64) 1780272000)
/** The authserv-id the evaluator configuration of bimi_test_origin_config() writes. */
#define BIMI_TEST_ORIGIN_AUTHSERV_ID "mx.webmail.test"

typedef struct {
  char *tmp;       /* the origin's temporary directory (nginx.conf, logs, caches) */
  char *repo;      /* the repository root (the current directory at start) */
  char *zone_path; /* the filled-in evaluate.zone */
  char *worker;    /* the render worker: $BIMI_BUILD/bimi or build/bimi */
  guint port;      /* HTTPS origin.test */
  guint port_crl;  /* http crl.pki.test */
  int pid;         /* nginx */
  guint n_cache_dirs;
} BimiTestOrigin;

/** TRUE when nginx is installed (the origin can start). */
gboolean bimi_test_origin_available(void);

/** Starts nginx in a fresh temporary directory; runs from the repository root.
 * Aborts the test program (g_error) when nginx does not come up. Free with
 * bimi_test_origin_stop(). */
BimiTestOrigin *bimi_test_origin_start(void);

/** The INI text of an evaluator against @origin (DNS from the zone file and
 * @extra_zones (NULL-terminated, may be NULL), fetches pinned to the origin,
 * the test roots and CT logs, [testing] now), with a cache directory of its
 * own under the origin's directory, followed by "[policy]\n" and @extra (INI
 * lines for [policy], or for any group they name again). Caller frees. */
char *bimi_test_origin_config(BimiTestOrigin *origin, const char *const *extra_zones, const char *extra);

/** The number of lines of the origin's access log @name ("access.log",
 * "crl-access.log") once the file has stopped growing for 300 ms (at most 5 s):
 * nginx writes the line after the response has gone out. */
guint bimi_test_origin_log_lines(BimiTestOrigin *origin, const char *name);

/** Stops nginx (by PID), removes the directory, frees @origin. NULL is a no-op. */
void bimi_test_origin_stop(BimiTestOrigin *origin);

#endif /* BIMI_TESTS_LIB_ORIGIN_H */
