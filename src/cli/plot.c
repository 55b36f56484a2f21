/* SPDX-License-Identifier: BSD-3-Clause */
/* Plots through gnuplot: the script and the data go down one pipe (gnuplot
 * reads inline data after `plot '-'`); gnuplot writes the PNG to a file the
 * output module provides (outfile.h), which reaches the destination only
 * once gnuplot exits cleanly. */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"

#include "cli.h"
#include "outfile.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int mgcli_have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return 0;
    char buf[4096];
    while (*path) {
        size_t len = strcspn(path, ":");
        /* an empty PATH element means the current directory */
        int n = len ? snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)len, path)
                    : snprintf(buf, sizeof buf, "./gnuplot");
        if (n > 0 && (size_t)n < sizeof buf && access(buf, X_OK) == 0)
            return 1;
        path += len;
        if (*path == ':')
            path++;
    }
    return 0;
}

/* s as a gnuplot single-quoted string ('' stands for one quote). */
static void put_quoted(FILE *g, const char *s)
{
    fputc('\'', g);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', g);
        fputc(*s, g);
    }
    fputc('\'', g);
}

void mgcli_plot_setting(FILE *g, const char *what, const char *text)
{
    fprintf(g, "set %s ", what);
    put_quoted(g, text);
    fputc('\n', g);
}

static void write_script(FILE *g, const char *out, const mgcli_plot *p)
{
    fputs("set terminal pngcairo size 800,500 font 'sans,10'\n", g);
    mgcli_plot_setting(g, "output", out);
    mgcli_plot_setting(g, "title", p->title);
    mgcli_plot_setting(g, "xlabel", p->xlabel);
    mgcli_plot_setting(g, "ylabel", p->ylabel);
    fputs("set grid\nset key off\n", g);
    if (p->logy)
        fputs("set logscale y\nset format y '10^{%L}'\n", g);
    if (p->ref_label) {
        /* the reference level as a dashed line, named in the key */
        fputs("set key top right\n", g);
        fprintf(g, "plot '-' using 1:2 with lines linewidth 2 title 'loss', %.17g with lines "
                   "dashtype 2 linewidth 1.5 title ", p->ref);
        put_quoted(g, p->ref_label);
        fputc('\n', g);
    } else {
        fputs("plot '-' using 1:2 with lines linewidth 2\n", g);
    }
    for (size_t i = 0; i < p->n; i++)
        fprintf(g, "%zu %.17g\n", i, p->y[i]);
    fputs("e\nunset output\nexit\n", g);
}

int mgcli_plot_open(mgcli_outfile *out, const char *path)
{
    int rc = mgcli_outfile_open(out, path);
    if (rc != 0)
        return rc;
    const char *file = mgcli_outfile_program_path(out);
    if (!file) {
        mgcli_outfile_discard(out);
        return MGCLI_EXIT_FAIL;
    }
    /* gnuplot's script is line-based: a name with a line break cannot be
     * passed to it */
    if (strpbrk(file, "\n\r")) {
        fprintf(stderr, "matgrad: %s: a line break in the plot file name\n", path);
        mgcli_outfile_discard(out);
        return MGCLI_EXIT_USAGE;
    }
    return 0;
}

int mgcli_plot_script(mgcli_outfile *out, mgcli_plot_writer write, const void *ctx)
{
    if (!mgcli_have_gnuplot()) {
        fprintf(stderr, "matgrad: gnuplot not found; no plot written\n");
        mgcli_outfile_discard(out);
        return MGCLI_PLOT_NO_GNUPLOT;
    }
    fflush(NULL);   /* nothing of ours may be written twice by the child */
    /* A gnuplot that dies early must not kill us with SIGPIPE: the failed
     * writes and its exit status say what happened. */
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    FILE *g = popen("gnuplot", "w");
    if (!g) {
        signal(SIGPIPE, old);
        perror("matgrad: cannot run gnuplot");
        mgcli_outfile_discard(out);
        return MGCLI_PLOT_FAILED;
    }
    write(g, mgcli_outfile_program_path(out), ctx);
    int st = pclose(g);
    signal(SIGPIPE, old);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "matgrad: gnuplot failed (status %d); no plot written\n",
                st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        mgcli_outfile_discard(out);
        return MGCLI_PLOT_FAILED;
    }
    return mgcli_outfile_commit(out) == 0 ? MGCLI_PLOT_OK : MGCLI_PLOT_FAILED;
}

static void write_line_plot(FILE *g, const char *png, const void *ctx)
{
    write_script(g, png, ctx);
}

int mgcli_plot_png(mgcli_outfile *out, const mgcli_plot *plot)
{
    return mgcli_plot_script(out, write_line_plot, plot);
}
