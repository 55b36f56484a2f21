/* SPDX-License-Identifier: BSD-3-Clause */
/* fd: central finite differences of scalar and vector functions, and the
 * gradient check built on them (docs/derivations.md, "Finite differences"
 * and "Jacobians"). */
#include "matgrad/fd.h"
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* The two points x + h and x - h as stored, and the width of the interval
 * between them. */
typedef struct step { double up, down, width; } step;

static step make_step(double x, double h)
{
    step s = { x + h, x - h, 0.0 };
    s.width = s.up - s.down;
    return s;
}

/* A step is usable when both points are finite, each differs from x (h is
 * not lost against x on either side: otherwise the quotient is one-sided
 * or 0/0) and the width is finite (h = 1e308 would make it Inf and every
 * quotient 0). */
static int usable(double x, step s)
{
    return isfinite(s.up) && isfinite(s.down) && s.up > x && s.down < x && isfinite(s.width);
}

/* *q = (fu - fd) / width, the central difference.  When fu - fd overflows
 * the halves are subtracted instead (exact for the operand of magnitude
 * above DBL_MAX / 2 that caused it); MG_ENONFINITE if the quotient itself
 * is beyond DBL_MAX or an evaluation was not finite. */
MG__MUST_USE static mg_status quotient(double fu, double fd, double width, double *q)
{
    if (!isfinite(fu) || !isfinite(fd))
        return MG_ENONFINITE;
    const double diff = fu - fd;
    const double v = isfinite(diff) ? diff / width : (0.5 * fu - 0.5 * fd) / (0.5 * width);
    if (!isfinite(v))
        return MG_ENONFINITE;
    *q = v;
    return MG_OK;
}

MG__MUST_USE static mg_status check_h(double h)
{
    return h > 0.0 && isfinite(h) ? MG_OK : MG_EINVAL;
}

/* Every entry of X must admit the step (usable); MG_ENONFINITE first for a
 * non-finite entry. */
MG__MUST_USE static mg_status check_steps(const mg_matrix *X, double h)
{
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++)
            if (!isfinite(*mg_at(X, i, j)))
                return MG_ENONFINITE;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            const double x = *mg_at(X, i, j);
            if (!usable(x, make_step(x, h)))
                return MG_EINVAL;
        }
    return MG_OK;
}

/* g = central-difference gradient of f at X (contiguous, X's shape).  X is
 * restored entry by entry from the saved value. */
MG__MUST_USE static mg_status central_gradient(mg_scalar_fn f, void *ctx, mg_matrix *X, double h, double *g)
{
    const size_t cols = X->cols;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double *x = mg_at(X, i, j);
            const double saved = *x;
            const step s = make_step(saved, h);
            *x = s.up;
            const double up = f(X, ctx);
            *x = s.down;
            const double down = f(X, ctx);
            *x = saved;
            /* G_ij = (f(X + h E_ij) - f(X - h E_ij)) / (2h), 2h as stored */
            MG__CHECK(quotient(up, down, s.width, &g[i * cols + j]));
        }
    return MG_OK;
}

MG__MUST_USE static mg_status check_gradient_args(mg_scalar_fn f, const mg_matrix *X, double h,
                                     const mg_matrix *G)
{
    if (!f)
        return MG_EINVAL;
    const mg_matrix *all[] = { X, G };
    MG__CHECK(mg__check_all(all, 2));
    if (G->rows != X->rows || G->cols != X->cols)
        return MG_EDIM;
    if (mg__overlaps(G, X))
        return MG_EINVAL;
    MG__CHECK(check_h(h));
    return check_steps(X, h);
}

mg_status mg_fd_gradient(mg_scalar_fn f, void *ctx, mg_matrix *X, double h, mg_matrix *G)
{
    MG__CHECK(check_gradient_args(f, X, h, G));
    double *g = mg__alloc_doubles(X->rows, X->cols);
    if (!g)
        return MG_ENOMEM;
    mg_status s = central_gradient(f, ctx, X, h, g);
    if (s == MG_OK)
        mg__copy(G->data, G->stride, g, X->cols, X->rows, X->cols);
    free(g);
    return s;
}

mg_status mg_grad_check(mg_scalar_fn f, void *ctx, mg_matrix *X, const mg_matrix *G,
                        double h, double *max_rel_err)
{
    MG__CHECK(check_gradient_args(f, X, h, G));
    if (!max_rel_err)
        return MG_EINVAL;
    const size_t rows = X->rows, cols = X->cols;
    double *num = mg__alloc_doubles(rows, cols);
    if (!num)
        return MG_ENOMEM;
    mg_status s = central_gradient(f, ctx, X, h, num);
    if (s == MG_OK) {
        /* The floor s: the scale below which an entry is compared in
         * absolute terms (see fd.h). */
        double scale = 0.0, worst = 0.0;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                scale = fmax(scale, fmax(fabs(*mg_at(G, i, j)), fabs(num[i * cols + j])));
        const double s_floor = cbrt(DBL_EPSILON) * scale;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) {
                const double a = *mg_at(G, i, j), n = num[i * cols + j];
                const double den = fmax(fmax(fabs(a), fabs(n)), s_floor);
                const double e = den > 0.0 ? fabs(a - n) / den : 0.0;
                if (isnan(a) || isnan(e))
                    worst = NAN;
                else if (!isnan(worst))
                    worst = fmax(worst, e);
            }
        *max_rel_err = worst;
    }
    free(num);
    return s;
}

/* Column q of J from y(x + h e_q) and y(x - h e_q). */
MG__MUST_USE static mg_status jacobian_column(mg_vector_fn f, void *ctx, mg_matrix *x, double *xq, double h,
                                 double *yp, double *ym, size_t m, double *J, size_t n, size_t q)
{
    mg_matrix vp = mg_matrix_view(yp, m, 1), vm = mg_matrix_view(ym, m, 1);
    const double saved = *xq;
    const step s = make_step(saved, h);
    *xq = s.up;
    mg_status st = f(x, &vp, ctx);
    *xq = s.down;
    if (st == MG_OK)
        st = f(x, &vm, ctx);
    *xq = saved;
    MG__CHECK(st);
    for (size_t p = 0; p < m; p++)
        /* J_pq = (y_p(x + h e_q) - y_p(x - h e_q)) / (2h) */
        MG__CHECK(quotient(yp[p], ym[p], s.width, &J[p * n + q]));
    return MG_OK;
}

mg_status mg_fd_jacobian(mg_vector_fn f, void *ctx, mg_matrix *x, double h, mg_matrix *J)
{
    if (!f)
        return MG_EINVAL;
    const mg_matrix *all[] = { x, J };
    MG__CHECK(mg__check_all(all, 2));
    const size_t n = x->rows * x->cols, m = J->rows; /* n fits: x's extent does */
    if (J->cols != n)
        return MG_EDIM;
    if (mg__overlaps(J, x))
        return MG_EINVAL;
    MG__CHECK(check_h(h));
    MG__CHECK(check_steps(x, h));

    double *jac = mg__alloc_doubles(m, n);
    double *y = mg__alloc_doubles(m, 2);
    mg_status s = jac && y ? MG_OK : MG_ENOMEM;
    for (size_t q = 0; s == MG_OK && q < n; q++)
        s = jacobian_column(f, ctx, x, mg_at(x, q / x->cols, q % x->cols), h, y, y + m, m,
                            jac, n, q);
    if (s == MG_OK)
        mg__copy(J->data, J->stride, jac, n, m, n);
    free(jac);
    free(y);
    return s;
}
