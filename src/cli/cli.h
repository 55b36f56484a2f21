/* SPDX-License-Identifier: BSD-3-Clause */
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

/* Option arguments, read strictly (numarg.c).  A count is decimal digits
 * only (no sign, no white space), at most max; a real is a finite number
 * read by strtod from the whole string, without surrounding white space and
 * not out of the double range.  0, or -1 with *out untouched. */
int mgcli_parse_count(const char *s, unsigned long long max, unsigned long long *out);
int mgcli_parse_real(const char *s, double *out);

/* "matgrad: out of memory (what)" on stderr; returns MGCLI_EXIT_FAIL.  An
 * allocation failure is never the input's fault. */
int mgcli_out_of_memory(const char *what);

/* "matgrad CMD: " + the message (fmt with one string argument), then the
 * --help hint, on stderr; returns MGCLI_EXIT_USAGE. */
int mgcli_usage_error(const char *cmd, const char *fmt, const char *arg)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 0)))
#endif
    ;

/* The subcommands; argv[0] is the subcommand's name. */
int mgcli_demo(int argc, char **argv);
int mgcli_fit(int argc, char **argv);
int mgcli_gradcheck(int argc, char **argv);
int mgcli_predict(int argc, char **argv);

#endif
