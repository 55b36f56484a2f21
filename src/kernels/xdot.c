/* SPDX-License-Identifier: BSD-3-Clause */
/* Double-double accumulation (Ogita, Rump and Oishi's Dot2): every product
 * x*b is split exactly into p + pe with one fused multiply-add, every sum
 * into s + e with Knuth's TwoSum, and the error terms are carried in a
 * second double.  The result is as accurate as if computed with twice the
 * working precision and rounded once.
 *
 * The row kernel keeps sixteen independent lanes so that the compiler can
 * map them onto four AVX2 registers; on x86 an AVX2+FMA clone is selected at
 * run time when cpu.h allows it (the library itself targets any x86-64, and
 * other targets build the generic variant alone, whose fma() is the C
 * library's, exact on every conforming platform).
 *
 * Sums of squares (RSS, TSS) only need relative accuracy, not cancellation
 * resistance, so they are summed in x86-64 long double, whose exponent range
 * also rules out overflow. */
#include "xdot.h"
#include "cpu.h"

#include <math.h>
#include <string.h>

/* 16 lanes: four independent AVX2 accumulator chains hide the latency of
 * the TwoSum dependency chain. */
enum { LANES = 16, VEC = 4 };

#define MG__ALWAYS_INLINE static inline __attribute__((always_inline))

/* s + e = a + b exactly (Knuth's TwoSum). */
MG__ALWAYS_INLINE void two_sum(double a, double b, double *s, double *e)
{
    const double t = a + b, bb = t - a;
    *e = (a - (t - bb)) + (b - bb);
    *s = t;
}

/* start - sum_j x_j b_j, with start = s0 + s1 given as a double-double. */
MG__ALWAYS_INLINE double resid_row(const double *x, const double *b, size_t n, double s0, double s1)
{
    double hi[LANES] = { 0 }, lo[LANES] = { 0 };
    size_t j = 0;

    for (; j + LANES <= n; j += LANES) {
        for (int l = 0; l < LANES; l++) {
            /* -x b = np + npe exactly (FMA) */
            const double np = -(x[j + l] * b[j + l]);
            const double npe = fma(-x[j + l], b[j + l], -np);
            const double t = hi[l] + np, bb = t - hi[l];
            lo[l] += ((hi[l] - (t - bb)) + (np - bb)) + npe;
            hi[l] = t;
        }
    }
    for (; j < n; j++) {
        const double np = -(x[j] * b[j]);
        const double npe = fma(-x[j], b[j], -np);
        const double t = hi[0] + np, bb = t - hi[0];
        lo[0] += ((hi[0] - (t - bb)) + (np - bb)) + npe;
        hi[0] = t;
    }
    /* fold the 16 lanes into 4, vector-wise, then the 4 into one */
    for (int m = VEC; m < LANES; m += VEC)
        for (int l = 0; l < VEC; l++) {
            const double t = hi[l] + hi[l + m], bb = t - hi[l];
            lo[l] += ((hi[l] - (t - bb)) + (hi[l + m] - bb)) + lo[l + m];
            hi[l] = t;
        }
    double s = s0, e, tail = s1;
    for (int l = 0; l < VEC; l++) {
        two_sum(s, hi[l], &s, &e);
        tail += e + lo[l];
    }
    return s + tail;
}

MG__ALWAYS_INLINE void xresid_body(const mg__design *d, const double *Bt, size_t ldbt, size_t k,
                                   const double *Y, size_t ldy, const double *Rin, size_t ldr,
                                   double *F, size_t ldf, size_t i0, size_t i1)
{
    const mg_matrix *X = d->X;
    const size_t nx = X->cols, ic = (size_t)d->intercept;

    for (size_t i = i0; i < i1; i++) {
        const double *xi = X->data + i * X->stride;
        for (size_t c = 0; c < k; c++) {
            const double *bc = Bt + c * ldbt;
            double s0 = Y[i * ldy + c], s1 = 0.0, e;
            if (Rin)
                two_sum(s0, -Rin[i * ldr + c], &s0, &s1);
            if (ic) {
                /* the intercept term b_0 * 1 is exact */
                two_sum(s0, -bc[0], &s0, &e);
                s1 += e;
            }
            F[(i - i0) * ldf + c] = resid_row(xi, bc + ic, nx, s0, s1);
        }
    }
}

#ifdef MG__CPU_X86
__attribute__((target("avx2,fma")))
static void xresid_fma(const mg__design *d, const double *Bt, size_t ldbt, size_t k,
                       const double *Y, size_t ldy, const double *Rin, size_t ldr,
                       double *F, size_t ldf, size_t i0, size_t i1)
{
    xresid_body(d, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}
#endif

static void xresid_generic(const mg__design *d, const double *Bt, size_t ldbt, size_t k,
                           const double *Y, size_t ldy, const double *Rin, size_t ldr,
                           double *F, size_t ldf, size_t i0, size_t i1)
{
    xresid_body(d, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

void mg__xresid(const mg__design *d, const double *Bt, size_t ldbt, size_t k,
                const double *Y, size_t ldy, const double *Rin, size_t ldr,
                double *F, size_t ldf, size_t i0, size_t i1)
{
#ifdef MG__CPU_X86
    if (mg__cpu_has_avx2_fma()) {
        xresid_fma(d, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
        return;
    }
#endif
    xresid_generic(d, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

void mg__xgemv_t(const mg__design *d, const double *scale, const double *r, size_t rs,
                 const double *c, double *g, double *acc)
{
    const mg_matrix *X = d->X;
    const size_t nx = X->cols, ic = (size_t)d->intercept, p = d->p;
    double *hi = acc, *lo = acc + p;

    memset(acc, 0, 2 * p * sizeof(double));
    for (size_t i = 0; i < d->N; i++) {
        const double ri = r[i * rs];
        const double *xi = X->data + i * X->stride;
        if (ic) {
            double e;
            two_sum(hi[0], -scale[0] * ri, &hi[0], &e);
            lo[0] += e;
        }
        for (size_t j = 0; j < nx; j++) {
            /* -(d_j x) r = np + npe exactly (FMA); d_j x is exact */
            const double xs = scale[ic + j] * xi[j];
            const double np = -(xs * ri);
            const double npe = fma(-xs, ri, -np);
            double e;
            two_sum(hi[ic + j], np, &hi[ic + j], &e);
            lo[ic + j] += e + npe;
        }
    }
    for (size_t j = 0; j < p; j++) {
        double s = hi[j], e, tail = lo[j];
        if (c) {
            two_sum(s, c[j], &s, &e);
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
        two_sum(v[i * vs], -shift, &dh, &dl);
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
