/* SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { BAR_WIDTH = 30 };

void mgcli_progress_start(mgcli_progress *p, size_t total)
{
    p->on = isatty(STDERR_FILENO);
    p->total = total ? total : 1;
    p->shown = -1;
    p->drawn_at = 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void mgcli_progress_update(mgcli_progress *p, size_t done, double loss)
{
    if (!p->on)
        return;
    int permille = (int)((double)done / (double)p->total * 1000.0);
    if (permille == p->shown)
        return;
    double t = now();
    if (p->shown >= 0 && done < p->total && t - p->drawn_at < 0.1)
        return;
    p->shown = permille;
    p->drawn_at = t;
    char bar[BAR_WIDTH + 1];
    int fill = permille * BAR_WIDTH / 1000;
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %5.1f%%  epoch %zu/%zu  loss %.6g\033[K", bar, permille / 10.0,
            done, p->total, loss);
    fflush(stderr);
}

void mgcli_progress_end(mgcli_progress *p)
{
    if (p->on && p->shown >= 0)
        fputs("\r\033[K", stderr);
}
