/* fcgi/main.c — bimi-fcgi, the FastCGI service (DESIGN.md §4).
 *
 * The service arrives with issue 9; until then this program only says what it
 * is and refuses to pretend to serve.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
  if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
    printf("bimi-fcgi %s\n", BIMI_VERSION);
    return 0;
  }
  fprintf(stderr, "bimi-fcgi %s: the FastCGI service is not built yet (only --version works).\n", BIMI_VERSION);
  return 2;
}
