#include <stddef.h>

#include "commands.h"

/* One line per subcommand; the functions live in cmd_<name>.c. */

const cli_command cli_commands[] = {
    {NULL, NULL, NULL},
};
