#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

enum { BAR_WIDTH = 30 };

void mgcli_progress_start(mgcli_progress *p, size_t total)
{
    p->on = isatty(STDERR_FILENO);
    p->total = total ? total : 1;
    p->shown = -1;
}

void mgcli_progress_update(mgcli_progress *p, size_t done, double loss)
{
    if (!p->on)
        return;
    int permille = (int)((double)done / (double)p->total * 1000.0);
    if (permille == p->shown)
        return;
    p->shown = permille;
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
