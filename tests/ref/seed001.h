/* SPDX-License-Identifier: BSD-3-Clause */
/* The seed 001 reference data (tests/data/seed/seed001.txt). */
#ifndef MGTEST_SEED001_H
#define MGTEST_SEED001_H

#include <stddef.h>

typedef struct seed001 {
    double A[9], Y[3], W0[3];
    double learning_rate;
    size_t epochs;
    size_t nloss;
    size_t loss_epoch[32];
    double loss[32];
    double W_final[3], AW_final[3];
} seed001;

/* Parses the file; 0 on success. */
int seed001_load(const char *path, seed001 *out);

#endif
