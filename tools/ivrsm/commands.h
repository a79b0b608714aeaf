/* The subcommands of the ivrsm tool. Each takes argv after the subcommand
 * name (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 the checked thing failed (invalid machine, failing test),
 * 2 usage or I/O error. */
#ifndef IVRSM_CLI_COMMANDS_H
#define IVRSM_CLI_COMMANDS_H

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

extern const cli_command cli_commands[];

#endif
