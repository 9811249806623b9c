/* tests/lib/cli.h — running the `bimi` CLI from a test (linked into every test
 * binary; see the Makefile's TEST_SUPPORT).
 */
#ifndef BIMI_TESTS_LIB_CLI_H
#define BIMI_TESTS_LIB_CLI_H

#include <glib.h>

/** The `bimi` executable under test: $BIMI_BUILD/bimi, else build/bimi (relative to
 * the repository root, where tests run). Caller frees. */
char *bimi_test_cli_path(void);

/**
 * bimi_test_cli_run:
 * @command: the subcommand ("dns", "svg", ...), or NULL for none
 * @args: NULL-terminated arguments after it
 * @out, @err: (out) (transfer full) (optional): what it printed
 *
 * Runs `bimi COMMAND ARGS...` to its end. Aborts the test (g_error) when the
 * program is not built or cannot be started, and fails it when the program
 * does not exit normally.
 *
 * Returns: the exit status (0..255).
 */
int bimi_test_cli_run(const char *command, const char *const *args, char **out, char **err);

#endif /* BIMI_TESTS_LIB_CLI_H */
