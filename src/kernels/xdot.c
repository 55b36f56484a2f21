/* Double-double accumulation (Ogita, Rump and Oishi's Dot2): every product
 * x*b is split exactly into p + pe with one fused multiply-add, every sum
 * into s + e with Knuth's TwoSum, and the error terms are carried in a
 * second double.  The result is as accurate as if computed with twice the
 * working precision and rounded once.
 *
 * The row kernel keeps four independent lanes so that the compiler can map
 * them onto one AVX2 register; an AVX2+FMA clone is selected at run time
 * when the CPU has it (the library itself targets any x86-64). */
#include "xdot.h"

#include <math.h>
#include <string.h>

enum { LANES = 4 };

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
    double s = s0, e, tail = s1;
    for (int l = 0; l < LANES; l++) {
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

__attribute__((target("avx2,fma")))
static void xresid_fma(const mg__design *d, const double *Bt, size_t ldbt, size_t k,
                       const double *Y, size_t ldy, const double *Rin, size_t ldr,
                       double *F, size_t ldf, size_t i0, size_t i1)
{
    xresid_body(d, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

static void xresid_generic(const mg__design *d, const double *Bt, size_t ldbt, size_t k,
                           const double *Y, size_t ldy, const double *Rin, size_t ldr,
                           double *F, size_t ldf, size_t i0, size_t i1)
{
    xresid_body(d, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

static int have_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

void mg__xresid(const mg__design *d, const double *Bt, size_t ldbt, size_t k,
                const double *Y, size_t ldy, const double *Rin, size_t ldr,
                double *F, size_t ldf, size_t i0, size_t i1)
{
    if (have_fma())
        xresid_fma(d, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
    else
        xresid_generic(d, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

void mg__xgemv_t(const mg__design *d, const double *r, size_t rs, const double *c,
                 double *g, double *acc)
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
            two_sum(hi[0], -ri, &hi[0], &e);
            lo[0] += e;
        }
        for (size_t j = 0; j < nx; j++) {
            /* -x r = np + npe exactly (FMA) */
            const double np = -(xi[j] * ri);
            const double npe = fma(-xi[j], ri, -np);
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

double mg__xsumsq(const double *v, size_t n, size_t vs, double shift)
{
    double hi = 0.0, lo = 0.0;
    for (size_t i = 0; i < n; i++) {
        /* d = dh + dl = v - shift exactly, then d^2 to double-double */
        double dh, dl, e;
        two_sum(v[i * vs], -shift, &dh, &dl);
        const double sq = dh * dh;
        const double sqe = fma(dh, dh, -sq) + 2.0 * dh * dl;
        two_sum(hi, sq, &hi, &e);
        lo += e + sqe;
    }
    return hi + lo;
}

double mg__xsum(const double *v, size_t n, size_t vs)
{
    double hi = 0.0, lo = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e;
        two_sum(hi, v[i * vs], &hi, &e);
        lo += e;
    }
    return hi + lo;
}
