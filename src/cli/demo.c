/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad demo`: the worked example of docs/derivations.md ("Gradient
 * descent"), embedded.  A 3x3 singular design, Y = A [1 2 3]^T, trained by
 * gradient descent from numpy's seed-0 draws with learning rate 0.01 (the
 * example program's "/ 2*h" with h = 0.1 makes its step the gradient times
 * h^2). */
#include "cli.h"
#include "outfile.h"
#include "plot.h"

#include <math.h>
#include <matgrad.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static double DEMO_A[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static double DEMO_Y[3] = { 14, 32, 50 };
static const double DEMO_W0[3] = { 1.764052345967664, 0.4001572083672233, 0.9787379841057392 };
/* A spans only a plane: A [1 -2 1]^T = 0 (each row is an arithmetic
 * progression), so [1 -2 1] spans its null space. */
static const double DEMO_NULL[3] = { 1, -2, 1 };
enum { DEMO_EPOCHS = 1000 };

/* Prints the loss table as the example program does: the start, epochs 1-5, the last 4,
 * and keeps every loss for the plot. */
static void print_epoch(size_t e, double loss, void *ctx)
{
    ((double *)ctx)[e] = loss;
    if (e == 0) {
        fputs("Loss: ", stdout);
    } else if (e <= 5 || e > DEMO_EPOCHS - 4) {
        printf("Loss (%zu): ", e);
    } else {
        if (e == 6)
            puts("...");
        return;
    }
    mgcli_print_repr(stdout, loss);
    putchar('\n');
}

static void print_vector(const double *v, size_t n, const char *fmt)
{
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            putchar(' ');
        printf(fmt, v[i]);
    }
    putchar(']');
}

/* The coefficient of W along the null-space direction n: (W . n) / (n . n). */
static double null_component(const double *w)
{
    double wn = 0, nn = 0;
    for (int i = 0; i < 3; i++) {
        wn += w[i] * DEMO_NULL[i];
        nn += DEMO_NULL[i] * DEMO_NULL[i];
    }
    return wn / nn;
}

/* The closed-form answer and why gradient descent does not reach it. */
static int print_closed_form(const double *w_gd)
{
    double b[3];
    mg_matrix A = mg_matrix_view(DEMO_A, 3, 3), Y = mg_matrix_view(DEMO_Y, 3, 1);
    mg_matrix B = mg_matrix_view(b, 3, 1);
    mg_lstsq_result res = { 0 };
    mg_status s = mg_lstsq(&A, &Y, &B, NULL, &res);
    if (s != MG_OK) {
        fprintf(stderr, "matgrad demo: least squares: %s\n", mg_strerror(s));
        return MGCLI_EXIT_FAIL;
    }
    printf("\nClosed form (mg_lstsq): rank %zu of 3 detected; minimum-norm W = ", res.rank);
    print_vector(b, 3, "%.8f");
    double c0 = null_component(DEMO_W0), c1 = null_component(w_gd);
    printf("\n\nWhy gradient descent ends elsewhere: A is singular, every W + t [1 -2 1]\n"
           "fits equally well, and the gradient -(2/N) A^T (Y - A W) is orthogonal to\n"
           "[1 -2 1], so no step changes W's component along it.  The start has\n"
           "%.8f x [1 -2 1]; after %d epochs W still has %.8f x [1 -2 1].\n"
           "Minimum norm means component 0; remove it from the gradient-descent W:\n"
           "W - %.8f x [1 -2 1] = ",
           c0, DEMO_EPOCHS, c1, c1);
    double w0[3];
    for (int i = 0; i < 3; i++)
        w0[i] = w_gd[i] - c1 * DEMO_NULL[i];
    print_vector(w0, 3, "%.8f");
    puts(" (still converging to [1 2 3])");
    return MGCLI_EXIT_OK;
}

static void demo_usage(FILE *out)
{
    fputs("usage: matgrad demo [--plot FILE.png]\n"
          "\n"
          "Runs the worked example: gradient descent (learning rate 0.01, 1000 epochs)\n"
          "on Y = A W with the singular A = [1 2 3; 4 5 6; 7 8 9] and Y = [14 32 50],\n"
          "printing the loss table as the example program does, then the closed-form\n"
          "minimum-norm solution and why the two differ.\n"
          "\n"
          "options:\n"
          "  -p, --plot FILE.png  the loss curve (log scale) as a PNG (needs gnuplot;\n"
          "                       '-': standard output, the text then goes to\n"
          "                       standard error)\n"
          "  -h, --help           show this help\n",
          out);
}

static int run_demo(mgcli_outfile *out);

int mgcli_demo(int argc, char **argv)
{
    const char *plot = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            demo_usage(stdout);
            return MGCLI_EXIT_OK;
        }
        if ((!strcmp(argv[i], "-p") || !strcmp(argv[i], "--plot")) && i + 1 < argc) {
            plot = argv[++i];
            continue;
        }
        if (!strncmp(argv[i], "--plot=", 7)) {
            plot = argv[i] + 7;
            continue;
        }
        fprintf(stderr, "matgrad demo: %s '%s'\n"
                        "Try 'matgrad demo --help' for more information.\n",
                strcmp(argv[i], "-p") && strcmp(argv[i], "--plot") ? "unknown argument"
                                                                   : "missing FILE.png after",
                argv[i]);
        return MGCLI_EXIT_USAGE;
    }

    /* the plot's destination is checked before the work; on standard
     * output it moves the text to standard error */
    mgcli_outfile out = { 0 };
    if (plot) {
        int rc = mgcli_plot_open(&out, plot);
        if (rc != 0)
            return rc;
        if (mgcli_outfile_is_stdout(plot) && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
            perror("matgrad: standard output");
            mgcli_outfile_discard(&out);
            return MGCLI_EXIT_FAIL;
        }
    }
    int rc = run_demo(plot ? &out : NULL);
    mgcli_outfile_discard(&out);
    return rc;
}

/* The example, then the plot into out when not NULL. */
static int run_demo(mgcli_outfile *out)
{
    double w[3], losses[DEMO_EPOCHS + 1];
    memcpy(w, DEMO_W0, sizeof w);
    mg_matrix A = mg_matrix_view(DEMO_A, 3, 3), Y = mg_matrix_view(DEMO_Y, 3, 1);
    mg_matrix W = mg_matrix_view(w, 3, 1);
    mg_gd_options o = mg_gd_defaults();
    o.learning_rate = 0.01;
    o.epochs = DEMO_EPOCHS;
    o.on_epoch = print_epoch;
    o.ctx = losses;

    mg_status s = mg_gd_fit(&A, &Y, &W, &o, NULL);
    if (s != MG_OK) {
        fprintf(stderr, "matgrad demo: %s\n", mg_strerror(s));
        return MGCLI_EXIT_FAIL;
    }
    double aw[3];
    for (int i = 0; i < 3; i++)
        aw[i] = DEMO_A[3 * i] * w[0] + DEMO_A[3 * i + 1] * w[1] + DEMO_A[3 * i + 2] * w[2];
    fputs("W: ", stdout);
    print_vector(DEMO_W0, 3, "%.8f");
    fputs(" -> ", stdout);
    print_vector(w, 3, "%.8f");
    fputs("\nY: ", stdout);
    print_vector(DEMO_Y, 3, "%g");
    fputs(" ~= ", stdout);
    print_vector(aw, 3, "%.8f");
    putchar('\n');

    int rc = print_closed_form(w);
    if (rc == MGCLI_EXIT_OK && out) {
        mgcli_plot p = { .title = "matgrad demo: gradient descent on the worked example",
                         .xlabel = "epoch", .ylabel = "loss (mean squared error)",
                         .logy = 1, .y = losses, .n = DEMO_EPOCHS + 1 };
        if (mgcli_plot_png(out, &p) == MGCLI_PLOT_FAILED)
            rc = MGCLI_EXIT_FAIL;
    }
    return rc;
}
