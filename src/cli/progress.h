/* SPDX-License-Identifier: BSD-3-Clause */
/* A one-line progress bar on stderr, drawn only when stderr is a terminal
 * (so logs and pipes never see carriage returns). */
#ifndef MATGRAD_CLI_PROGRESS_H
#define MATGRAD_CLI_PROGRESS_H

#include <stddef.h>

typedef struct mgcli_progress {
    int on;             /* stderr is a terminal */
    size_t total;
    int shown;          /* permille last drawn, -1 before the first */
    double drawn_at;    /* monotonic seconds of the last redraw */
} mgcli_progress;

void mgcli_progress_start(mgcli_progress *p, size_t total);
/* Redraws when the bar moved by 0.1% and 0.1 s passed since the last
 * redraw (or at the end); cheap otherwise. */
void mgcli_progress_update(mgcli_progress *p, size_t done, double loss);
/* Erases the bar. */
void mgcli_progress_end(mgcli_progress *p);

#endif
