#include <stddef.h>

#include "commands.h"

/* One line per subcommand; the functions live in cmd_<name>.c. */

int cmd_validate(int, char **);
int cmd_graph(int, char **);
int cmd_convert(int, char **);
int cmd_sim(int, char **);
int cmd_test(int, char **);
int cmd_replay(int, char **);
int cmd_bench(int, char **);
int cmd_view(int, char **);
int cmd_paths(int, char **);

const cli_command cli_commands[] = {
    {"validate", "check machine files: errors and warnings, like a compiler", cmd_validate},
    {"graph", "draw a machine as Graphviz DOT or Mermaid", cmd_graph},
    {"convert", "rewrite a machine file from YAML to JSON or back", cmd_convert},
    {"sim", "run one call, the caller's side typed or piped on stdin", cmd_sim},
    {"test", "run scenario files (scripted calls) and check their expectations", cmd_test},
    {"replay", "run a call recorded by 'sim --trace' again and report any divergence", cmd_replay},
    {"view", "write an HTML page: the machine drawn, calls replayed, coverage coloured", cmd_view},
    {"paths", "write scenarios that together take every transition of a machine", cmd_paths},
    {"bench", "measure how fast a machine loads and runs on this computer", cmd_bench},
    {NULL, NULL, NULL},
};
