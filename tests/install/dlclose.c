/* SPDX-License-Identifier: BSD-3-Clause */
/* A program that loads libmatgrad with dlopen, runs a pass on two threads
 * and unloads it at once.  matgrad's idle workers live inside the
 * library's code for the life of the process (src/kernels/pool.c: they
 * poll for a while, then sleep there), so the library must stay mapped:
 * it is linked with -z nodelete.  Checks that dlclose leaves it loaded
 * (dlopen with RTLD_NOLOAD still finds it) and that the process survives
 * past the workers' poll.  Exit 0 when both hold.
 *   dlclose LIBMATGRAD_SO */
#define _POSIX_C_SOURCE 199309L
#include <matgrad.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef mg_status (*loss_fn)(const mg_matrix *, const mg_matrix *, const mg_matrix *, double *);

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    loss_fn loss;
    *(void **)&loss = dlsym(lib, "mg_mse_loss");
    /* N j = 2^20 elements: above the pass's one-thread limit (4 MiB) */
    const size_t N = (size_t)1 << 16, j = 16;
    double *A = calloc(N * j, sizeof *A), *y = calloc(N, sizeof *y), w[16] = { 0 }, l;
    if (!loss || !A || !y)
        return 2;
    const mg_matrix Av = { A, N, j, j }, Wv = { w, j, 1, 1 }, Yv = { y, N, 1, 1 };
    for (int rep = 0; rep < 20; rep++)
        if (loss(&Av, &Wv, &Yv, &l) != MG_OK)
            return 1;
    if (dlclose(lib) != 0)
        return 2;
    if (!dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD)) {
        fprintf(stderr, "dlclose: libmatgrad was unloaded under its worker threads\n");
        return 1;
    }
    const struct timespec wait = { 0, 200000000L }; /* the workers' poll is over by now */
    nanosleep(&wait, NULL);
    free(A);
    free(y);
    puts("dlclose: libmatgrad stayed loaded, and the process outlived its workers' poll");
    return 0;
}
