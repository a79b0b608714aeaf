/* ivrsm: check, draw, convert, simulate and test IVR machines. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ivrsm/ivrsm.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: ivrsm COMMAND [ARGS...]\n\ncommands:\n");
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(out, "  %-9s %s\n", c->name, c->summary);
    fprintf(out, "\nRun 'ivrsm COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ivrsm %s\n", ivrsm_version());
        return 0;
    }
    for (const cli_command *c = cli_commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "ivrsm: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
