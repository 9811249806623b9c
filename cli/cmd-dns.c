/* placeholder until engine/dns lands (replaced in this session) */
#include "cli/commands.h"
int bimi_cli_cmd_dns(int argc, char **argv) { (void) argc; (void) argv; return bimi_cli_usage_error("dns", "not built yet"); }
