/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad: the command-line tool.  Subcommands live in their own files. */
#include "cli.h"
#include "fit_mpi.h"

#include <matgrad.h>
#include <stdio.h>
#include <string.h>

int mgcli_out_of_memory(const char *what)
{
    fprintf(stderr, "matgrad: out of memory (%s)\n", what);
    return MGCLI_EXIT_FAIL;
}

int mgcli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "matgrad %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'matgrad %s --help' for more information.\n", cmd);
    return MGCLI_EXIT_USAGE;
}

static void usage(FILE *out)
{
    fputs("usage: matgrad <command> [options]\n"
          "\n"
          "commands:\n"
          "  demo       the worked example: gradient descent on a singular 3x3\n"
          "             regression, then the closed-form minimum-norm answer\n"
          "  fit        linear regression of one column of a CSV file on the others\n"
          "  gradcheck  check every analytic gradient rule against finite differences\n"
          "  predict    predictions of a model saved by 'fit --save' for new rows\n"
          "\n"
          "options:\n"
          "  -h, --help     show this help\n"
          "  -V, --version  show the version\n"
          "\n"
          "'matgrad <command> --help' describes a command's options.\n",
          out);
}

static int run(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = { { "demo", mgcli_demo }, { "fit", mgcli_fit }, { "gradcheck", mgcli_gradcheck },
                     { "predict", mgcli_predict } };

    if (argc < 2) {
        usage(stderr);
        return MGCLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return MGCLI_EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("matgrad %s\n", matgrad_version());
        return MGCLI_EXIT_OK;
    }
    /* on MPI ranks (fit_mpi.h) only fit works with the others; any other
     * command runs on rank 0 alone */
    if (mgcli_mpi_rank() > 0 && strcmp(cmd, "fit"))
        return MGCLI_EXIT_OK;
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(cmd, commands[i].name)) {
            int rc = commands[i].run(argc - 1, argv + 1);
            /* output that could not be written (full disk, closed pipe) is a failure */
            if (fflush(stdout) != 0 || ferror(stdout)) {
                perror("matgrad: standard output");
                return rc ? rc : MGCLI_EXIT_FAIL;
            }
            return rc;
        }
    fprintf(stderr, "matgrad: unknown command '%s'\n", cmd);
    fputs("Try 'matgrad --help' for more information.\n", stderr);
    return MGCLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* MPI_Init only under an MPI launcher: a plain run never meets MPI */
    mgcli_mpi_start(&argc, &argv);
    int rc = run(argc, argv);
    mgcli_mpi_stop();
    return rc;
}
