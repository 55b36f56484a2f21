/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: iterative refinement of the augmented system (Bjorck, 1967).
 *
 * The least-squares solution x and residual r = y - Z x are the solution of
 *     [ I   Z ] [r]   [y]
 *     [ Z^T 0 ] [x] = [c]      (c = 0 for least squares).
 * Each step computes the residuals of both block rows in double-double,
 *     f = y - r - Z x,   g = c - Z^T r,
 * solves for the correction with the double-precision factors, and adds it.
 * Each step shrinks the error by about kappa(Z) * eps, and the attainable
 * accuracy is set by the double-double residuals, not by kappa(Z)^2 * eps
 * as for the normal equations (docs/accuracy.md). */
#include "lstsq_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

double mg__lsq_rel_change(const double *dx, const double *x, size_t n)
{
    double xn = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++)
        xn = fmax(xn, fabs(x[i]));
    const double floor = DBL_EPSILON * xn;
    for (size_t i = 0; i < n; i++) {
        if (dx[i] == 0.0)
            continue;
        const double den = fmax(fabs(x[i]), floor);
        const double rel = den > 0.0 ? fabs(dx[i]) / den : INFINITY;
        if (!(rel <= DBL_MAX))
            return INFINITY; /* NaN or Inf: fmax would drop a NaN */
        worst = fmax(worst, rel);
    }
    return worst;
}

double mg__lsq_norm_change(const double *dx, const double *x, size_t n)
{
    double xn = 0.0, dn = 0.0;
    for (size_t i = 0; i < n; i++) {
        xn = fmax(xn, fabs(x[i]));
        dn = fmax(dn, fabs(dx[i]));
    }
    if (dn == 0.0)
        return 0.0;
    return xn > 0.0 ? dn / xn : INFINITY;
}

/* An a-priori bound on the contraction of one step, from the condition
 * estimate of the factor: Bjorck's iteration with a backward-stable QR (or
 * SVD) solve contracts the error by at most c kappa_2(Z) eps (Higham, ASNA,
 * Sec. 20.5); c = 8 (p + 1) as for the fit engine's bound (docs/derivations.md
 * "When to stop"), and kappa_2 <= p / rcond with rcond the 1-norm estimate
 * of R (||R||_2 <= sqrt(p) ||R||_1 and the same for R^-1; for the SVD rcond
 * is already s_min / s_max, and p / rcond only overstates it).  Infinite
 * when the rank is not full (no exact answer to bound). */
double mg__lsq_rho(size_t p, double rcond)
{
    const double pp = (double)p;
    if (!(rcond > 0.0))
        return INFINITY;
    return 8.0 * (pp + 1.0) * pp * DBL_EPSILON / rcond;
}

static double contraction_bound(const mg__lsq *q)
{
    return q->rank != q->d.p ? INFINITY : mg__lsq_rho(q->d.p, q->rcond);
}

/* 1 if x (after the correction dx) is within a quarter ulp of the exact
 * solution by the bound: with e the error before the step and ||e + dx||
 * <= rho ||e||, ||e|| <= ||dx|| / (1 - rho), so the error after it is at
 * most rho / (1 - rho) ||dx||_2 <= rho / (1 - rho) sqrt(p) max |dx_i|.
 * When that is below a quarter ulp of every |x_j| (of eps max |x| for the
 * coefficients near zero, as mg__lsq_rel_change measures them), another
 * step could not change x: the one that would only confirm it is saved. */
int mg__lsq_within_bound(double rho, const double *dx, const double *x, size_t p)
{
    if (!(rho <= 0.25))
        return 0;
    double dmax = 0.0, xn = 0.0;
    for (size_t j = 0; j < p; j++) {
        dmax = fmax(dmax, fabs(dx[j]));
        xn = fmax(xn, fabs(x[j]));
    }
    const double err = rho / (1.0 - rho) * sqrt((double)p) * dmax;
    for (size_t j = 0; j < p; j++)
        if (!(err <= 0.25 * DBL_EPSILON * fmax(fabs(x[j]), DBL_EPSILON * xn)))
            return 0;
    return 1;
}

int mg__lsq_refine_stalled(mg__refine_track *t, const double *dx, const double *x, size_t p)
{
    t->d = mg__lsq_rel_change(dx, x, p);
    t->dn = mg__lsq_norm_change(dx, x, p);
    if (t->dn < t->prev)
        return 0;
    /* The corrections stopped shrinking.  That is the noise floor only if
     * this correction, the estimate of x's remaining error, is at rounding
     * level; above it the stall is kappa(Z) eps ~ 1 and x is not proven. */
    t->proven = t->proven || t->d <= MG__LSQ_STALL_ULPS * DBL_EPSILON;
    return 1;
}

int mg__lsq_refine_converged(mg__refine_track *t, double rho, const double *dx, const double *x,
                             size_t p)
{
    /* at rounding level, or the next correction would be about d times
     * the observed contraction dn / prev, or the a-priori bound puts x
     * within a quarter ulp: below the last bit of x, so another pass
     * cannot change the answer */
    if (t->d <= 2.0 * DBL_EPSILON ||
        (isfinite(t->prev) && t->d * (t->dn / t->prev) <= 0.25 * DBL_EPSILON) ||
        mg__lsq_within_bound(rho, dx, x, p)) {
        t->proven = 1;
        return 1;
    }
    t->prev = t->dn;
    return 0;
}

/* f = y - r - Zd (D x) and, when g != NULL, g = c - D Zd^T r.  The kernel
 * takes the representable factor scale of D; for the rest, scale_lo,
 * g_j = lo_j (c_j / lo_j - scale_j Zd_j^T r) with c_j / lo_j exact, so c
 * still enters the double-double sum.  cs: p doubles of scratch. */
static void residuals(const mg__lsq *q, const double *y, size_t ys, const double *c,
                      const double *x, const double *r, double *f, double *g, double *bt,
                      double *acc, double *cs)
{
    const size_t p = q->d.p;

    for (size_t j = 0; j < p; j++)
        bt[j] = mg__lsq_scaled(q->scale, q->scale_lo, j, x[j]); /* exact: a power of two */
    mg__xresid(q->d.X->data, q->d.X->stride, q->d.X->cols, q->d.intercept, bt, p, 1, y, ys,
               r, 1, f, 1, 0, q->d.N);
    if (!g)
        return;
    for (size_t j = 0; j < p; j++)
        cs[j] = c ? c[j] / q->scale_lo[j] : 0.0;
    /* g = lo .* (c ./ lo - diag(scale) Zd^T r) */
    mg__xgemv_t(q->d.X->data, q->d.X->stride, q->d.N, q->d.X->cols, q->d.intercept,
                q->scale, r, 1, cs, g, acc);
    for (size_t j = 0; j < p; j++)
        g[j] *= q->scale_lo[j];
}

void mg__lsq_resid_update(const mg__design *d, const double *scale, const double *scale_lo,
                          const double *x, const double *bt, double *res, double *delta)
{
    const mg_matrix *X = d->X;
    const size_t ic = (size_t)d->intercept;
    int moved = 0;
    for (size_t j = 0; j < d->p; j++) {
        delta[j] = mg__lsq_scaled(scale, scale_lo, j, x[j]) - bt[j];
        moved |= delta[j] != 0.0;
    }
    if (!moved)
        return;
    for (size_t i = 0; i < d->N; i++) {
        const double *xi = X->data + i * X->stride;
        double s = ic ? delta[0] : 0.0;
        for (size_t j = 0; j < X->cols; j++)
            s += xi[j] * delta[ic + j];
        res[i] -= s;
    }
}

/* mg_lstsq's operations: the design and factors of q. */
typedef mg__lsq_single_ctx single_ctx;

static mg_status single_residuals(void *ctx, const double *y, size_t ys, const double *c,
                                  const double *x, const double *r, double *f, double *g,
                                  double *bt)
{
    const single_ctx *s = ctx;
    residuals(s->q, y, ys, c, x, r, f, g, bt, s->acc, s->cs);
    return MG_OK;
}

static mg_status single_solve(void *ctx, const double *f, const double *g, double *dr, double *dx)
{
    const single_ctx *s = ctx;
    return mg__lsq_solve_aug(s->q, f, g, dr, dx);
}

static void single_resid_update(void *ctx, const double *x, const double *bt, double *res,
                                double *delta)
{
    const single_ctx *s = ctx;
    mg__lsq_resid_update(&s->q->d, s->q->scale, s->q->scale_lo, x, bt, res, delta);
}

void mg__lsq_single_ops(const mg__lsq *q, double *scratch, mg__refine_ops *ops,
                        mg__lsq_single_ctx *s)
{
    s->q = q;
    s->acc = scratch;
    s->cs = scratch + 2 * q->d.p;
    ops->n = q->d.N;
    ops->p = q->d.p;
    ops->full = q->rank == q->d.p;
    ops->max_refine = q->max_refine;
    ops->rho = contraction_bound(q);
    ops->residuals = single_residuals;
    ops->solve = single_solve;
    ops->resid_update = single_resid_update;
    ops->ctx = s;
}

mg_status mg__lsq_refine(const mg__lsq *q, const double *y, size_t ys, const double *c,
                         double *x, double *r, double *scratch, size_t *steps_out,
                         double *delta, double *resid)
{
    const size_t N = q->d.N, p = q->d.p;
    mg__refine_ops ops;
    mg__lsq_single_ctx ctx;
    /* the loop's vectors first, the residuals' scratch after them */
    mg__lsq_single_ops(q, scratch + MG__REFINE_OPS_SCRATCH(N, p), &ops, &ctx);
    return mg__lsq_refine_ops(&ops, y, ys, c, x, r, scratch, steps_out, delta, resid);
}

mg_status mg__lsq_refine_ops(const mg__refine_ops *ops, const double *y, size_t ys,
                             const double *c, double *x, double *r, double *scratch,
                             size_t *steps_out, double *delta, double *resid)
{
    const size_t N = ops->n, p = ops->p;
    const int full = ops->full;
    double *f = scratch, *dr = f + N, *y0 = dr + N, *g = y0 + N, *dx = g + p, *bt = dx + p;

    if (!y) {
        memset(y0, 0, N * sizeof *y0);
        y = y0;
        ys = 1;
    }
    for (size_t i = 0; i < N; i++)
        f[i] = y[i * ys];
    /* the first solve, from x = 0, r = 0 */
    MG__CHECK(ops->solve(ops->ctx, f, full ? c : NULL, r, x));

    /* Two measures of a correction (as the fit engine's, src/fit/refine.c):
     * d, each coefficient against itself (normwise for those near zero),
     * says when it is at rounding level; dn = max |dx| / max |x| shows the
     * contraction (a coefficient whose exact value is 0 keeps a relative
     * correction of 1 while the error shrinks). */
    size_t steps = 0;
    double last = 1.0;
    /* Only a full-rank x has an exact answer to prove; a rank-deficient
     * one is the truncated factorisation's minimum-norm solution, which the
     * steps only polish.  0 steps: the factorisation's own answer. */
    mg__refine_track t = { INFINITY, 0.0, 0.0, !full || ops->max_refine == 0 };
    int moved = 0; /* x changed after resid was last set */
    while (steps < ops->max_refine) {
        moved = 0;
        if (full) {
            MG__CHECK(ops->residuals(ops->ctx, y, ys, c, x, r, f, g, bt));
        } else {
            /* rank-deficient: refine x alone against the truncated
             * factorisation (minimum-norm corrections) */
            MG__CHECK(ops->residuals(ops->ctx, y, ys, NULL, x, NULL, f, NULL, bt));
        }
        MG__CHECK(ops->solve(ops->ctx, f, full ? g : NULL, dr, dx));
        const int stalled = mg__lsq_refine_stalled(&t, dx, x, p);
        /* y - Zd D x = f + r exactly, but for f's one rounding: the
         * residual of x at no extra pass over Zd */
        if (resid)
            for (size_t i = 0; i < N; i++)
                resid[i] = full ? f[i] + r[i] : f[i];
        if (stalled)
            break;
        moved = 1;
        for (size_t j = 0; j < p; j++)
            x[j] += dx[j];
        if (full)
            for (size_t i = 0; i < N; i++)
                r[i] += dr[i];
        steps++;
        last = t.d;
        if (mg__lsq_refine_converged(&t, ops->rho, dx, x, p))
            break;
    }
    if (!t.proven)
        return MG_ENOCONV; /* max_refine steps, or a stall above rounding level */
    if (resid && steps == 0 && !moved && ops->max_refine == 0) {
        /* no step: the factorisation's x, its residual in double-double */
        MG__CHECK(ops->residuals(ops->ctx, y, ys, NULL, x, NULL, resid, NULL, bt));
    } else if (resid && moved) {
        /* resid is y - Zd bt (bt = D x before the last step) */
        ops->resid_update(ops->ctx, x, bt, resid, dx);
    }
    *delta = last;
    *steps_out = steps;
    return MG_OK;
}
