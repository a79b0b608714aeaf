#include <stddef.h>

#include "commands.h"

/* One line per subcommand; the functions live in cmd_<name>.c. */

int cmd_validate(int, char **);
int cmd_graph(int, char **);
int cmd_convert(int, char **);

const cli_command cli_commands[] = {
    {"validate", "check machine files: errors and warnings, like a compiler", cmd_validate},
    {"graph", "draw a machine as Graphviz DOT or Mermaid", cmd_graph},
    {"convert", "rewrite a machine file from YAML to JSON or back", cmd_convert},
    {NULL, NULL, NULL},
};
