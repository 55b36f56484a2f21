/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: one fit of mg_lstsq_batch's parallel path (lstsq_batch.c has the
 * driver and the reasons).
 *
 * mg_lstsq's QR path written as small loops: the same equilibration by
 * powers of two (mg__lsq_scales_rule on the same column maxima),
 * Householder QR of the scaled design (sums in mg__dot8's lanes), a
 * full-rank proof from the condition number of R (here the exact 1-norm
 * condition from R^-1, never below LAPACK's estimate, so a fit proven here
 * is proven there), and Bjorck's refinement of the augmented system with
 * residuals in double-double (src/kernels/xdot.h) and the stopping rules
 * of mg__lsq_refine (lstsq_refine.c, the same loop): the same accuracy
 * contract.  No BLAS or LAPACK call: this runs on matgrad's worker
 * threads, beside the program's OpenBLAS calls.  mg_lstsq runs it too, for
 * small designs (lstsq.c). */
#include "lstsq_batch.h"
#include "fit/fit_internal.h"
#include "kernels/dot8.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void mg__batch_ws_free(mg__batch_ws *w)
{
    free(w->Z);
}

mg_status mg__batch_ws_alloc(mg__batch_ws *w, size_t N, size_t p, size_t k)
{
    memset(w, 0, sizeof *w);
    size_t np;
    if (mg__mul_overflows(N, p, &np) || np > (size_t)-1 / 16 - 16 * (N + p * p + p * k + k))
        return MG_ENOMEM;
    const size_t total = np + p * p + 7 * p + 4 * N + MG__REFINE_OPS_SCRATCH(N, p) + 2 * p * k +
                         3 * k;
    /* its own cache lines: another thread's fits run beside this one's */
    w->Z = mg__alloc_lines(total);
    if (!w->Z)
        return MG_ENOMEM;
    w->N = N;
    w->p = p;
    w->k = k;
    double *t = w->Z + np;
    w->Ri = t;        t += p * p;
    w->tau = t;       t += p;
    w->scale = t;     t += p;
    w->scale_lo = t;  t += p;
    w->x = t;         t += p;
    w->acc = t;       t += 2 * p;
    w->zero = t;      t += p;
    w->r = t;         t += N;
    w->w = t;         t += 2 * N;
    w->loop = t;      t += MG__REFINE_OPS_SCRATCH(N, p);
    w->Bs = t;        t += p * k;
    w->sd = t;        t += k;
    w->r2 = t;        t += k;
    w->ar2 = t;       t += k;
    w->se = t;        t += p * k;
    w->res = t;
    memset(w->zero, 0, p * sizeof *w->zero);
    return MG_OK;
}

/* max_i |c_i| over n entries, on the bits: with the sign cleared, the
 * order of IEEE doubles is the order of their bit patterns as unsigned
 * integers, Inf above every finite value and a NaN above Inf.  So a NaN
 * is the maximum when there is one and an Inf otherwise, as mg__tsqr_colmax
 * takes them, without a compare-and-branch per entry. */
static double column_max(const double *c, size_t n)
{
    const uint64_t magnitude = ~((uint64_t)1 << 63);
    uint64_t m[8] = { 0 };
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            uint64_t b;
            memcpy(&b, c + i + l, sizeof b);
            b &= magnitude;
            m[l] = b > m[l] ? b : m[l];
        }
    for (; i < n; i++) {
        uint64_t b;
        memcpy(&b, c + i, sizeof b);
        b &= magnitude;
        m[0] = b > m[0] ? b : m[0];
    }
    for (int l = 1; l < 8; l++)
        m[0] = m[l] > m[0] ? m[l] : m[0];
    double r;
    memcpy(&r, &m[0], sizeof r);
    return r;
}

/* Z = Zd D into the workspace, column-major, with mg_lstsq's scales
 * (mg__lsq_scales: the same rule on the same maxima, so the same powers
 * of two): the copy first, then the maxima and the scaling down its
 * contiguous columns, where mg__lsq_scales would walk X's rows with a
 * stride.  0 when X has a NaN or an Inf. */
static MG__MUST_USE int scaled_design(mg__batch_ws *w, const mg__design *d)
{
    const size_t N = d->N, p = d->p;
    mg__lsq_copy_design(d, NULL, NULL, w->Z);
    int finite = 1;
    for (size_t j = 0; j < p; j++) {
        w->scale[j] = column_max(w->Z + j * N, N);
        finite &= isfinite(w->scale[j]) != 0;
    }
    if (!finite)
        return 0;
    mg__lsq_scales_rule(w->scale, p, w->scale, w->scale_lo);
    for (size_t j = 0; j < p; j++) {
        double *c = w->Z + j * N;
        for (size_t i = 0; i < N; i++)
            c[i] = mg__lsq_scaled(w->scale, w->scale_lo, j, c[i]); /* exact */
    }
    return 1;
}

/* Column j's Householder reflector H = I - tau v v^T (v_0 = 1) that maps
 * Z[j:N, j] to beta e_1, as LAPACK's dlarfg; beta overwrites Z_jj, v the
 * rest.  Columns are equilibrated (largest entry in [1/2, 1)), so the sum
 * of squares cannot overflow. */
static double reflector(double *col, size_t len)
{
    const double xx = mg__dot8(col + 1, col + 1, len - 1);
    if (xx == 0.0)
        return 0.0; /* H = I */
    const double alpha = col[0], norm = sqrt(alpha * alpha + xx);
    const double beta = alpha >= 0.0 ? -norm : norm;
    const double scale = 1.0 / (alpha - beta);
    for (size_t i = 1; i < len; i++)
        col[i] *= scale;
    col[0] = beta;
    return (beta - alpha) / beta;
}

/* c <- H c for the reflector (v, tau) of length len (v_0 = 1 implied). */
static void apply_reflector(const double *v, double tau, double *c, size_t len)
{
    if (tau == 0.0)
        return;
    /* s = tau v^T c */
    const double s = tau * (c[0] + mg__dot8(v + 1, c + 1, len - 1));
    /* c -= tau (v^T c) v */
    c[0] -= s;
    for (size_t i = 1; i < len; i++)
        c[i] -= s * v[i];
}

/* Z = Q R by Householder reflections, column by column (Golub).  Kept out
 * of line, as exact_rcond: scripts/profile_appsizes.sh names the stages of
 * a fit by function. */
__attribute__((noinline)) static void householder_qr(mg__batch_ws *w)
{
    const size_t N = w->N, p = w->p;
    for (size_t j = 0; j < p; j++) {
        double *col = w->Z + j * N + j;
        w->tau[j] = reflector(col, N - j);
        for (size_t l = j + 1; l < p; l++)
            apply_reflector(col, w->tau[j], w->Z + l * N + j, N - j);
    }
}

/* v <- Q^T v (trans) or Q v: the reflectors in order or in reverse. */
static void apply_q(const mg__batch_ws *w, int trans, double *v)
{
    const size_t N = w->N, p = w->p;
    for (size_t t = 0; t < p; t++) {
        const size_t j = trans ? t : p - 1 - t;
        apply_reflector(w->Z + j * N + j, w->tau[j], v + j, N - j);
    }
}

/* b <- R^-1 b (trans 0) or R^-T b (trans 1), R the leading p x p of Z. */
static void tri_solve(const mg__batch_ws *w, int trans, double *b)
{
    const size_t N = w->N, p = w->p;
    const double *R = w->Z;
    if (!trans) {
        for (size_t i = p; i-- > 0;) {
            double s = b[i];
            for (size_t j = i + 1; j < p; j++)
                s -= R[j * N + i] * b[j];
            b[i] = s / R[i * N + i];
        }
    } else {
        for (size_t i = 0; i < p; i++) {
            double s = b[i];
            for (size_t j = 0; j < i; j++)
                s -= R[i * N + j] * b[j];
            b[i] = s / R[i * N + i];
        }
    }
}

double mg__batch_exact_rcond(const double *R, size_t ld, size_t p, double *Ri)
{
    double rn = 0.0, in = 0.0;
    for (size_t j = 0; j < p; j++) {
        if (R[j * ld + j] == 0.0)
            return 0.0;
        double s = 0.0;
        for (size_t i = 0; i <= j; i++)
            s += fabs(R[j * ld + i]);
        rn = fmax(rn, s);
    }
    for (size_t j = 0; j < p; j++) {
        double *c = Ri + j * p;
        memset(c, 0, p * sizeof *c);
        c[j] = 1.0;
        /* column j of R^-1: R c = e_j */
        for (size_t i = j + 1; i-- > 0;) {
            double s = c[i];
            for (size_t l = i + 1; l <= j; l++)
                s -= R[l * ld + i] * c[l];
            c[i] = s / R[i * ld + i];
        }
        double s = 0.0;
        for (size_t i = 0; i <= j; i++)
            s += fabs(c[i]);
        in = fmax(in, s);
    }
    const double rc = 1.0 / (rn * in);
    return isfinite(rc) ? rc : 0.0;
}

int mg__batch_rank_proven(double rcond, size_t N, size_t p, const mg_lstsq_options *o)
{
    const double rank_tol = o->rank_tol > 0.0 ? o->rank_tol
                                              : (double)(N > p ? N : p) * DBL_EPSILON;
    return rcond >= 10.0 * (double)p * rank_tol;
}

void mg__batch_summary(const double *res, size_t rs, const double *y, size_t ys, size_t N,
                       size_t p, int centred, double *sd, double *r2, double *ar2)
{
    /* RSS of the returned coefficients, from the residual the refinement left */
    const long double rss = mg__xsumsq(res, N, rs, 0.0);
    const long double tss = mg__lsq_tss(y, N, ys, NULL, centred);
    mg__fit_summary(rss, tss, N - p, N - (centred ? 1u : 0u), sd, r2, ar2);
}

/* Kept out of line: scripts/profile_appsizes.sh names the stages of a fit
 * by function. */
__attribute__((noinline)) static double exact_rcond(mg__batch_ws *w)
{
    return mg__batch_exact_rcond(w->Z, w->N, w->p, w->Ri);
}

/* [I Z; Z^T 0] [dr; dx] = [f; g] with Z = Q [R; 0] (g NULL: 0):
 *   R^T d1 = g,  R dx = Q_1^T f - d1,  dr = f + Q [d1 - Q_1^T f; 0]. */
static void solve_aug(mg__batch_ws *w, const double *f, const double *g, double *dr, double *dx)
{
    const size_t N = w->N, p = w->p;
    double *q = w->w, *d1 = w->w + N;
    memcpy(q, f, N * sizeof *q);
    apply_q(w, 1, q);
    for (size_t i = 0; i < p; i++)
        d1[i] = g ? g[i] : 0.0;
    tri_solve(w, 1, d1);
    for (size_t i = 0; i < p; i++)
        dx[i] = q[i] - d1[i];
    tri_solve(w, 0, dx);
    for (size_t i = 0; i < p; i++)
        q[i] = d1[i] - q[i];
    memset(q + p, 0, (N - p) * sizeof *q);
    apply_q(w, 0, q);
    for (size_t i = 0; i < N; i++)
        dr[i] = f[i] + q[i];
}

/* The refinement loop's operations (mg__lsq_refine_ops, the loop
 * mg_lstsq runs) on one fit's workspace. */
typedef struct batch_ops {
    mg__batch_ws *w;
    const mg__design *d;
} batch_ops;

/* f = y - r - Zd (D x) (r NULL: 0) and, when g != NULL, g = -D Zd^T r,
 * both in double-double (the residuals of lstsq_refine.c).  c is always
 * NULL here: the batch solves least squares only. */
static mg_status batch_residuals(void *ctx, const double *y, size_t ys, const double *c,
                                 const double *x, const double *r, double *f, double *g,
                                 double *bt)
{
    const batch_ops *o = ctx;
    mg__batch_ws *w = o->w;
    const mg__design *d = o->d;
    const size_t p = w->p;
    (void)c;
    for (size_t j = 0; j < p; j++)
        bt[j] = mg__lsq_scaled(w->scale, w->scale_lo, j, x[j]); /* exact */
    mg__xresid(d->X->data, d->X->stride, d->X->cols, d->intercept, bt, p, 1, y, ys, r, 1, f, 1,
               0, d->N);
    if (!g)
        return MG_OK;
    /* g = lo .* (0 - diag(scale) Zd^T r) */
    mg__xgemv_t(d->X->data, d->X->stride, d->N, d->X->cols, d->intercept, w->scale, r, 1,
                w->zero, g, w->acc);
    for (size_t j = 0; j < p; j++)
        g[j] *= w->scale_lo[j];
    return MG_OK;
}

static mg_status batch_solve(void *ctx, const double *f, const double *g, double *dr, double *dx)
{
    solve_aug(((const batch_ops *)ctx)->w, f, g, dr, dx);
    return MG_OK;
}

static void batch_resid_update(void *ctx, const double *x, const double *bt, double *res,
                               double *delta)
{
    const batch_ops *o = ctx;
    mg__lsq_resid_update(o->d, o->w->scale, o->w->scale_lo, x, bt, res, delta);
}

/* Bjorck's refinement of one output through mg_lstsq's loop: MG__FIT_DONE
 * with x (scaled coordinates) proven to rounding level and w->res its
 * residual, MG__FIT_DEFER otherwise. */
static MG__MUST_USE int refine(mg__batch_ws *w, const mg__design *d, const double *y, size_t ys,
                               size_t max_refine, double rho)
{
    batch_ops ctx = { w, d };
    const mg__refine_ops ops = { d->N, w->p, 1, max_refine, rho, batch_residuals, batch_solve,
                                 batch_resid_update, &ctx };
    size_t steps = 0;
    double delta;
    if (mg__lsq_refine_ops(&ops, y, ys, NULL, w->x, w->r, w->loop, &steps, &delta, w->res) !=
        MG_OK)
        return MG__FIT_DEFER;
    if (steps > w->steps)
        w->steps = steps;
    return MG__FIT_DONE;
}

/* Refined coefficients of every output into w->Bs and, when stats, the
 * statistics into w->sd, w->r2, w->ar2 (as mg_lstsq's); MG__FIT_DEFER when
 * a refinement fails. */
static MG__MUST_USE int refine_all(mg__batch_ws *w, const mg__design *d, const mg_matrix *Y,
                                   size_t max_refine, double rcond, int stats)
{
    /* the refinement's contraction bound, mg_lstsq's (lstsq_refine.c) */
    const double rho = mg__lsq_rho(d->p, rcond);
    const size_t N = d->N, p = d->p, k = Y->cols;
    const int centred = stats && mg__lsq_has_constant_column(d->X, d->intercept);
    for (size_t c = 0; c < k; c++) {
        if (refine(w, d, Y->data + c, Y->stride, max_refine, rho) != MG__FIT_DONE)
            return MG__FIT_DEFER;
        for (size_t j = 0; j < p; j++)
            w->Bs[j * k + c] = mg__lsq_scaled(w->scale, w->scale_lo, j, w->x[j]);
        if (stats)
            mg__batch_summary(w->res, 1, Y->data + c, Y->stride, N, p, centred, &w->sd[c],
                              &w->r2[c], &w->ar2[c]);
    }
    return MG__FIT_DONE;
}

/* se_jc = sd_c d_j sqrt(v_j), v_j = [(Z^T Z)^-1]_jj = ||row j of R^-1||^2
 * from the exact inverse in Ri (by columns), with d_j = D_jj (mg_lstsq's
 * statistics: long double, d_j may be up to 2^1074). */
static void std_errors(mg__batch_ws *w, size_t k)
{
    const size_t p = w->p;
    for (size_t j = 0; j < p; j++) {
        double v = 0.0;
        for (size_t l = j; l < p; l++)
            v += w->Ri[l * p + j] * w->Ri[l * p + j];
        const long double dj = (long double)w->scale[j] * w->scale_lo[j];
        for (size_t c = 0; c < k; c++)
            w->se[j * k + c] = (double)(w->sd[c] * dj * sqrtl(v));
    }
}

int mg__batch_fit(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                  const mg_lstsq_options *o, mg__batch_ws *w, const mg__batch_out *out,
                  mg_status *st)
{
    const size_t k = Y->cols;
    *st = MG_OK;
    /* X's entries are checked by the pass that finds its column scales */
    if (!mg__all_finite(Y->data, Y->rows, k, Y->stride)) {
        *st = MG_ENONFINITE;
        return MG__FIT_DONE;
    }
    const mg__design d = { X, o->intercept ? 1 : 0, X->rows, w->p };
    if (!scaled_design(w, &d)) {
        *st = MG_ENONFINITE;
        return MG__FIT_DONE;
    }
    householder_qr(w);
    const double rcond = exact_rcond(w);
    if (!mg__batch_rank_proven(rcond, d.N, d.p, o))
        return MG__FIT_DEFER;
    /* standard errors from R^-1 only where they keep about 12 digits */
    if (out->std_err && !(rcond >= MG__LSQ_COV_FACTOR_RCOND))
        return MG__FIT_DEFER;
    w->rcond = rcond;
    w->steps = 0;
    if (refine_all(w, &d, Y, o->max_refine, rcond, out->stats) != MG__FIT_DONE)
        return MG__FIT_DEFER;
    if (!mg__all_finite(w->Bs, d.p, k, k)) {
        *st = MG_ENONFINITE;
        return MG__FIT_DONE;
    }
    if (out->std_err)
        std_errors(w, k);
    mg__copy(B->data, B->stride, w->Bs, k, d.p, k);
    if (out->std_err)
        mg__copy(out->std_err->data, out->std_err->stride, w->se, k, d.p, k);
    if (out->sd)
        memcpy(out->sd, w->sd, k * sizeof *out->sd);
    if (out->r2)
        memcpy(out->r2, w->r2, k * sizeof *out->r2);
    if (out->ar2)
        memcpy(out->ar2, w->ar2, k * sizeof *out->ar2);
    return MG__FIT_DONE;
}
