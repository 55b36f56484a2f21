/* Private to the matgrad command. */
#ifndef MATGRAD_CLI_H
#define MATGRAD_CLI_H

#include <stdio.h>

enum {
    MGCLI_EXIT_OK = 0,
    MGCLI_EXIT_FAIL = 1,   /* the computation failed or a check did not pass */
    MGCLI_EXIT_USAGE = 2   /* bad command line or bad input data */
};

/* Prints x the way Python's repr does: the shortest decimal that reads back
 * to the same double. */
void mgcli_print_repr(FILE *out, double x);

/* The subcommands; argv[0] is the subcommand's name. */
int mgcli_demo(int argc, char **argv);
int mgcli_fit(int argc, char **argv);
int mgcli_gradcheck(int argc, char **argv);

#endif
