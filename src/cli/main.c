/* matgrad: the command-line tool.  Subcommands live in their own files. */
#include "cli.h"

#include <matgrad.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: matgrad <command> [options]\n"
            "\n"
            "commands:\n"
            "  demo        the seed 001 example: gradient descent on a 3x3 regression\n"
            "\n"
            "options:\n"
            "  -h, --help     show this help\n"
            "  -V, --version  show the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MGCLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("matgrad %s\n", mg_version());
        return 0;
    }
    if (!strcmp(cmd, "demo"))
        return mgcli_demo(argc - 1, argv + 1);
    fprintf(stderr, "matgrad: unknown command '%s'\n", cmd);
    usage(stderr);
    return MGCLI_EXIT_USAGE;
}
