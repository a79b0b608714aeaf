/* ivrsm: check, draw, convert, simulate and test IVR machines. */
#include <errno.h>
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

/*
 * The exit status of a command that returned `status`, once what it printed has reached
 * stdout: a full disk (/dev/full) or a write error lost the report, the JSON a script waits
 * for, the scenarios' verdicts. That is an I/O error, exit status 2, said on stderr, not the
 * command's 0 (gnulib's close_stdout(), lib/closeout.c, does the same for coreutils). A
 * command that already failed with 2 has said why.
 */
static int after_stdout(int status)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return status;
    if (status != 2)
        fprintf(stderr, "ivrsm: cannot write to stdout%s%s\n", errno ? ": " : "",
                errno ? strerror(errno) : "");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return after_stdout(0);
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ivrsm %s\n", ivrsm_version());
        return after_stdout(0);
    }
    for (const cli_command *c = cli_commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return after_stdout(c->run(argc - 1, argv + 1));
    fprintf(stderr, "ivrsm: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
