/* SPDX-License-Identifier: BSD-3-Clause */
/* Double-double accumulation (Ogita, Rump and Oishi's Dot2): every product
 * x*b is split exactly into p + pe with one fused multiply-add, every sum
 * into s + e with Knuth's TwoSum, and the error terms are carried in a
 * second double.  The result is as accurate as if computed with twice the
 * working precision and rounded once.
 *
 * The row kernel (mg__xdot_resid in xdot.h, shared with the fit engine's
 * replay) is always inlined; on x86 an AVX2+FMA clone of its caller is
 * selected at run time when cpu.h allows it (the library itself targets
 * any x86-64, and other targets build the generic variant alone, whose
 * fma() is the C library's, exact on every conforming platform).
 *
 * Sums of squares (RSS, TSS) only need relative accuracy, not cancellation
 * resistance, so they are summed in x86-64 long double, whose exponent range
 * also rules out overflow. */
#include "xdot.h"
#include "cpu.h"

#include <math.h>
#include <string.h>

MG__XDOT_INLINE void xresid_body(const double *X, size_t ldx, size_t nx, int intercept,
                                 const double *Bt, size_t ldbt, size_t k, const double *Y,
                                 size_t ldy, const double *Rin, size_t ldr, double *F,
                                 size_t ldf, size_t i0, size_t i1)
{
    const size_t ic = (size_t)intercept;

    for (size_t i = i0; i < i1; i++) {
        const double *xi = X + i * ldx;
        for (size_t c = 0; c < k; c++) {
            const double *bc = Bt + c * ldbt;
            double s0 = Y[i * ldy + c], s1 = 0.0, e, rh, rl;
            if (Rin)
                mg__xdot_two_sum(s0, -Rin[i * ldr + c], &s0, &s1);
            if (ic) {
                /* the intercept term b_0 * 1 is exact */
                mg__xdot_two_sum(s0, -bc[0], &s0, &e);
                s1 += e;
            }
            mg__xdot_resid(xi, bc + ic, nx, s0, s1, &rh, &rl);
            F[(i - i0) * ldf + c] = rh + rl;
        }
    }
}

#ifdef MG__CPU_X86
__attribute__((target("avx2,fma")))
static void xresid_fma(const double *X, size_t ldx, size_t nx, int intercept, const double *Bt,
                       size_t ldbt, size_t k, const double *Y, size_t ldy, const double *Rin,
                       size_t ldr, double *F, size_t ldf, size_t i0, size_t i1)
{
    xresid_body(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}
#endif

static void xresid_generic(const double *X, size_t ldx, size_t nx, int intercept,
                           const double *Bt, size_t ldbt, size_t k, const double *Y, size_t ldy,
                           const double *Rin, size_t ldr, double *F, size_t ldf, size_t i0,
                           size_t i1)
{
    xresid_body(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

void mg__xresid(const double *X, size_t ldx, size_t nx, int intercept, const double *Bt,
                size_t ldbt, size_t k, const double *Y, size_t ldy, const double *Rin,
                size_t ldr, double *F, size_t ldf, size_t i0, size_t i1)
{
#ifdef MG__CPU_X86
    if (mg__cpu_has_avx2_fma()) {
        xresid_fma(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
        return;
    }
#endif
    xresid_generic(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

void mg__xgemv_t(const double *X, size_t ldx, size_t N, size_t nx, int intercept,
                 const double *scale, const double *r, size_t rs, const double *c, double *g,
                 double *acc)
{
    const size_t ic = (size_t)intercept, p = ic + nx;
    double *hi = acc, *lo = acc + p;

    memset(acc, 0, 2 * p * sizeof(double));
    for (size_t i = 0; i < N; i++) {
        const double ri = r[i * rs];
        const double *xi = X + i * ldx;
        if (ic) {
            double e;
            mg__xdot_two_sum(hi[0], -scale[0] * ri, &hi[0], &e);
            lo[0] += e;
        }
        for (size_t j = 0; j < nx; j++) {
            /* -(d_j x) r = np + npe exactly (FMA); d_j x is exact */
            const double xs = scale[ic + j] * xi[j];
            const double np = -(xs * ri);
            const double npe = fma(-xs, ri, -np);
            double e;
            mg__xdot_two_sum(hi[ic + j], np, &hi[ic + j], &e);
            lo[ic + j] += e + npe;
        }
    }
    for (size_t j = 0; j < p; j++) {
        double s = hi[j], e, tail = lo[j];
        if (c) {
            mg__xdot_two_sum(s, c[j], &s, &e);
            tail += e;
        }
        g[j] = s + tail;
    }
}

long double mg__xsumsq(const double *v, size_t n, size_t vs, double shift)
{
    long double s = 0.0L;
    for (size_t i = 0; i < n; i++) {
        /* d = dh + dl = v - shift exactly (TwoSum) */
        double dh, dl;
        mg__xdot_two_sum(v[i * vs], -shift, &dh, &dl);
        const long double d = (long double)dh + dl;
        s += d * d;
    }
    return s;
}

long double mg__xsum(const double *v, size_t n, size_t vs)
{
    long double s = 0.0L;
    for (size_t i = 0; i < n; i++)
        s += v[i * vs];
    return s;
}
