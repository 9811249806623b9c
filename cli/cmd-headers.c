/* placeholder until engine/message lands (replaced in this session) */
#include "cli/commands.h"
int bimi_cli_cmd_headers(int argc, char **argv) { (void) argc; (void) argv; return bimi_cli_usage_error("headers", "not built yet"); }
