/* SPDX-License-Identifier: BSD-3-Clause */
/* PNG line plots drawn by gnuplot (pngcairo terminal) through a pipe. */
#ifndef MATGRAD_CLI_PLOT_H
#define MATGRAD_CLI_PLOT_H

#include <stddef.h>
#include <stdio.h>

struct mgcli_outfile;

typedef struct mgcli_plot {
    const char *title, *xlabel, *ylabel;
    int logy;            /* logarithmic y axis */
    const double *y;     /* y[i] is plotted at x = i */
    size_t n;
    const char *ref_label; /* non-NULL: a dashed horizontal line at ref, so named */
    double ref;
} mgcli_plot;

enum { MGCLI_PLOT_OK = 0, MGCLI_PLOT_NO_GNUPLOT = 1, MGCLI_PLOT_FAILED = -1 };

/* 1 if an executable gnuplot is on PATH. */
int mgcli_have_gnuplot(void);

/* Checks and prepares the plot's destination before any work (outfile.h):
 * 0, or an exit status after printing why. */
int mgcli_plot_open(struct mgcli_outfile *out, const char *path);

/* Draws the plot into out (prepared by mgcli_plot_open) as a PNG and
 * commits it: nothing reaches the destination unless gnuplot succeeded.
 * Prints the reason on stderr unless MGCLI_PLOT_OK; MGCLI_PLOT_NO_GNUPLOT
 * when gnuplot is not installed.  out is discarded in every case. */
int mgcli_plot_png(struct mgcli_outfile *out, const mgcli_plot *plot);

/* The general form: write(g, png, ctx) sends a whole gnuplot script that
 * draws into the file png; the result is handled as for mgcli_plot_png. */
typedef void (*mgcli_plot_writer)(FILE *g, const char *png, const void *ctx);
int mgcli_plot_script(struct mgcli_outfile *out, mgcli_plot_writer write, const void *ctx);

/* "set WHAT 'TEXT'" with TEXT quoted for gnuplot. */
void mgcli_plot_setting(FILE *g, const char *what, const char *text);

#endif
