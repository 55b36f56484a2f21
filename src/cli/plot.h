/* PNG line plots drawn by gnuplot (pngcairo terminal) through a pipe. */
#ifndef MATGRAD_CLI_PLOT_H
#define MATGRAD_CLI_PLOT_H

#include <stddef.h>

typedef struct mgcli_plot {
    const char *title, *xlabel, *ylabel;
    int logy;            /* logarithmic y axis */
    const double *y;     /* y[i] is plotted at x = i */
    size_t n;
} mgcli_plot;

enum { MGCLI_PLOT_OK = 0, MGCLI_PLOT_NO_GNUPLOT = 1, MGCLI_PLOT_FAILED = -1 };

/* 1 if an executable gnuplot is on PATH. */
int mgcli_have_gnuplot(void);

/* Writes the plot to path as a PNG, atomically (nothing at path unless
 * gnuplot succeeded).  Prints the reason on stderr unless MGCLI_PLOT_OK;
 * MGCLI_PLOT_NO_GNUPLOT when gnuplot is not installed. */
int mgcli_plot_png(const char *path, const mgcli_plot *plot);

#endif
