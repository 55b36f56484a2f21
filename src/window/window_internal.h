/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the sliding window's state (window.h).
 *
 * The window's rows sit in a ring of W augmented rows a_i = [z_i y_i]
 * (q = intercept + p + k doubles each).  They are split in two runs of
 * consecutive rows:
 *   front  the nfront oldest rows, ring positions head .. head + nfront - 1;
 *          suf + pos q^2 holds the triangle of the rows pos .. end of the
 *          front (a suffix), so dropping the oldest row is moving on one
 *          position;
 *   back   the n - nfront newest rows, all folded into the triangle run.
 * The window's triangle is the merge of the front's first suffix with run.
 * Triangles are q x q, column-major, upper (leading dimension q), in the
 * form mg__fit_fold_block keeps. */
#ifndef MATGRAD_WINDOW_INTERNAL_H
#define MATGRAD_WINDOW_INTERNAL_H

#include "matgrad/window.h"
#include "internal.h"

struct mg_window {
    size_t p, k, W, ic, m, q;   /* ic = intercept column (0/1), m = ic + p */
    double *rows;               /* W x q ring of augmented rows (row-major) */
    double *suf;                /* W triangles: the front's suffixes */
    double *run;                /* q x q: the back's triangle */
    double *tri;                /* q x q: the window's triangle (coef) */
    double *blk;                /* q x q: the fold's scratch block */
    double *work;               /* coef scratch: m^2 + m k + 2 k + 3 m doubles */
    size_t head, n, nfront;
};

/* The window's triangle of the rows it holds, into win->tri (n > 0). */
void mg__window_triangle(mg_window *win);

#endif /* MATGRAD_WINDOW_INTERNAL_H */
