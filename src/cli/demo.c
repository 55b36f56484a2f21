/* `matgrad demo`: seed 001's example, embedded.  A 3x3 singular design,
 * Y = A [1 2 3]^T, trained by gradient descent from numpy's seed-0 draws with
 * learning rate 0.01 (the seed's "/ 2*h" with h = 0.1 makes its step the
 * gradient times h^2). */
#include "cli.h"

#include <matgrad.h>
#include <stdio.h>
#include <string.h>

static double DEMO_A[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static double DEMO_Y[3] = { 14, 32, 50 };
static const double DEMO_W0[3] = { 1.764052345967664, 0.4001572083672233, 0.9787379841057392 };
enum { DEMO_EPOCHS = 1000 };

/* Prints the loss table as the seed does: the start, epochs 1-5, the last 4. */
static void print_epoch(size_t e, double loss, void *ctx)
{
    (void)ctx;
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

int mgcli_demo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    double w[3];
    memcpy(w, DEMO_W0, sizeof w);
    mg_matrix A = mg_matrix_view(DEMO_A, 3, 3), Y = mg_matrix_view(DEMO_Y, 3, 1);
    mg_matrix W = mg_matrix_view(w, 3, 1);
    mg_gd_options o = mg_gd_defaults();
    o.learning_rate = 0.01;
    o.epochs = DEMO_EPOCHS;
    o.on_epoch = print_epoch;

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
    return MGCLI_EXIT_OK;
}
