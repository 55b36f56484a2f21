/* SPDX-License-Identifier: BSD-3-Clause */
#include "seed001.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads up to n numbers separated by spaces or ';' from s. */
static size_t numbers(const char *s, double *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        while (*s == ' ' || *s == ';')
            s++;
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            break;
        out[got++] = v;
        s = end;
    }
    return got;
}

int seed001_load(const char *path, seed001 *d)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int seen = 0;
    memset(d, 0, sizeof *d);
    while (fgets(line, sizeof line, f)) {
        double v[2];
        if (line[0] == '#')
            continue;
        if (!strncmp(line, "A:", 2))
            seen += numbers(line + 2, d->A, 9) == 9;
        else if (!strncmp(line, "Y:", 2))
            seen += numbers(line + 2, d->Y, 3) == 3;
        else if (!strncmp(line, "W0:", 3))
            seen += numbers(line + 3, d->W0, 3) == 3;
        else if (!strncmp(line, "learning_rate:", 14))
            seen += numbers(line + 14, &d->learning_rate, 1) == 1;
        else if (!strncmp(line, "epochs:", 7) && numbers(line + 7, v, 1) == 1) {
            d->epochs = (size_t)v[0];
            seen++;
        } else if (!strncmp(line, "loss ", 5) && d->nloss < 32) {
            char *colon = strchr(line, ':');
            if (colon && numbers(colon + 1, v, 1) == 1) {
                d->loss_epoch[d->nloss] = (size_t)strtoul(line + 5, NULL, 10);
                d->loss[d->nloss++] = v[0];
            }
        } else if (!strncmp(line, "W_final", 7))
            seen += numbers(strchr(line, ':') + 1, d->W_final, 3) == 3;
        else if (!strncmp(line, "AW_final", 8))
            seen += numbers(strchr(line, ':') + 1, d->AW_final, 3) == 3;
    }
    fclose(f);
    return (seen == 7 && d->nloss >= 2) ? 0 : -1;
}
