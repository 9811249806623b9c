/* tests/lib/expect.h — what a test expects in a text: a `bimi` run's exit status and
 * output, and the sample lines of a Prometheus text exposition. */
#ifndef BIMI_TESTS_LIB_EXPECT_H
#define BIMI_TESTS_LIB_EXPECT_H

#include <glib.h>

/**
 * BimiTestCliRun:
 * @status: the exit status of `bimi`
 * @out: (transfer full): what it wrote to stdout
 * @err: (transfer full): what it wrote to stderr
 *
 * One run of the `bimi` CLI (tests/lib/cli.h).
 */
typedef struct {
  int status;
  char *out;
  char *err;
} BimiTestCliRun;

void bimi_test_cli_run_free(BimiTestCliRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiTestCliRun, bimi_test_cli_run_free)

/**
 * bimi_test_cli_expect:
 * @command: the subcommand (`headers`, `svg`, ...), or NULL for none
 * @args: the arguments after it, NULL-terminated
 * @status: the exit status the run must end with
 * @out_has: (nullable): strings stdout must each contain, NULL-terminated
 *
 * Runs `bimi @command @args...` and asserts its exit status and that stdout contains every
 * string of @out_has (g_error() names the first one missing and shows stdout).
 *
 * Returns: (transfer full): the run, for further checks of stdout or stderr.
 */
BimiTestCliRun *bimi_test_cli_expect(const char *command, const char *const *args, int status,
                                     const char *const *out_has);

/**
 * bimi_test_assert_samples:
 * @text: a Prometheus text exposition
 * @samples: sample lines (`name{labels} value`), NULL-terminated
 *
 * Asserts that every line of @samples stands in @text as a whole line after the first
 * (`"\n" sample "\n"`); g_error() names the first one missing.
 */
void bimi_test_assert_samples(const char *text, const char *const *samples);

#endif /* BIMI_TESTS_LIB_EXPECT_H */
