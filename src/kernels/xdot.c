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
#ifdef MG__CPU_X86
#include <immintrin.h>
#endif

int mg__xdot_fma_variant(void)
{
#ifdef MG__CPU_X86
    return mg__cpu_has_avx2_fma();
#else
    return 0;
#endif
}

/* Rows of fewer than XRESID_NARROW entries are summed one chain per row,
 * four or eight rows at a time in vector lanes (xresid_rows4_fma): each
 * row's sum is latency-bound, and lanes along so short a row would spend
 * more on folding than they save (at p = 10 the lanes along the row took
 * 4.5 ns a row).  Longer rows take mg__xdot_resid's lanes along the row. */
enum { XRESID_NARROW = MG__XDOT_WIDE_MIN };

/* (s0, s1) = y - rin - b0 exactly (two TwoSums; b0 the intercept's
 * coefficient, 0 without one): where a row's double-double chain starts. */
MG__XDOT_INLINE void xresid_start(double y, double rin, double b0, double *s0, double *s1)
{
    double e;
    mg__xdot_two_sum(y, -rin, s0, s1);
    mg__xdot_two_sum(*s0, -b0, s0, &e);
    *s1 += e;
}

/* One narrow row: the chain from (s0, s1) through every term in order. */
MG__XDOT_INLINE double xresid_narrow_row(const double *xi, const double *b, size_t n, double y,
                                         double rin, double b0)
{
    double hi, lo;
    xresid_start(y, rin, b0, &hi, &lo);
    for (size_t j = 0; j < n; j++)
        mg__xdot_step(&hi, &lo, xi[j], b[j]);
    return hi + lo;
}

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
            const double rin = Rin ? Rin[i * ldr + c] : 0.0, b0 = ic ? bc[0] : 0.0;
            if (nx < XRESID_NARROW) {
                F[(i - i0) * ldf + c] = xresid_narrow_row(xi, bc + ic, nx, Y[i * ldy + c], rin, b0);
                continue;
            }
            double s0, s1, rh, rl;
            xresid_start(Y[i * ldy + c], rin, b0, &s0, &s1);
            mg__xdot_resid(xi, bc + ic, nx, s0, s1, &rh, &rl);
            F[(i - i0) * ldf + c] = rh + rl;
        }
    }
}

#ifdef MG__CPU_X86
/* Lanes l = 0..3 hold rows i + l: the 4 x 4 block of their entries j..j+3
 * transposed, so that column t holds entry j + t of each row. */
__attribute__((target("avx2,fma")))
static inline void transpose4(const double *x0, size_t ldx, __m256d c[4])
{
    const __m256d r0 = _mm256_loadu_pd(x0), r1 = _mm256_loadu_pd(x0 + ldx);
    const __m256d r2 = _mm256_loadu_pd(x0 + 2 * ldx), r3 = _mm256_loadu_pd(x0 + 3 * ldx);
    const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    c[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    c[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    c[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    c[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* mg__xdot_step in four lanes: the same operations (negation by the sign
 * bit, as C's unary minus), so the same bits. */
__attribute__((target("avx2,fma")))
static inline __m256d neg4(__m256d v)
{
    return _mm256_xor_pd(v, _mm256_set1_pd(-0.0));
}

__attribute__((target("avx2,fma")))
static inline void step4(__m256d *hi, __m256d *lo, __m256d x, __m256d b)
{
    const __m256d np = neg4(_mm256_mul_pd(x, b));
    /* npe = -x b - np exactly */
    const __m256d npe = _mm256_fmadd_pd(neg4(x), b, neg4(np));
    const __m256d t = _mm256_add_pd(*hi, np), bb = _mm256_sub_pd(t, *hi);
    const __m256d e = _mm256_add_pd(_mm256_sub_pd(*hi, _mm256_sub_pd(t, bb)),
                                    _mm256_sub_pd(np, bb));
    *lo = _mm256_add_pd(*lo, _mm256_add_pd(e, npe));
    *hi = t;
}

/* Four narrow rows i..i+3 of output c, each lane the chain of
 * xresid_narrow_row for its row. */
__attribute__((target("avx2,fma")))
static void xresid_rows4_fma(const double *xi, size_t ldx, size_t nx, const double *b,
                             const double *y, size_t ldy, const double *rin, size_t ldr,
                             double b0, double *f, size_t ldf)
{
    double s0[4], s1[4];
    for (int l = 0; l < 4; l++)
        xresid_start(y[l * ldy], rin ? rin[l * ldr] : 0.0, b0, &s0[l], &s1[l]);
    __m256d hi = _mm256_loadu_pd(s0), lo = _mm256_loadu_pd(s1);
    size_t j = 0;
    for (; j + 4 <= nx; j += 4) {
        __m256d col[4];
        transpose4(xi + j, ldx, col);
        for (int t = 0; t < 4; t++)
            step4(&hi, &lo, col[t], _mm256_set1_pd(b[j + t]));
    }
    for (; j < nx; j++) {
        const __m256d col = _mm256_set_pd(xi[3 * ldx + j], xi[2 * ldx + j], xi[ldx + j], xi[j]);
        step4(&hi, &lo, col, _mm256_set1_pd(b[j]));
    }
    double out[4];
    _mm256_storeu_pd(out, _mm256_add_pd(hi, lo));
    for (int l = 0; l < 4; l++)
        f[l * ldf] = out[l];
}

__attribute__((target("avx2,fma")))
static void xresid_fma(const double *X, size_t ldx, size_t nx, int intercept, const double *Bt,
                       size_t ldbt, size_t k, const double *Y, size_t ldy, const double *Rin,
                       size_t ldr, double *F, size_t ldf, size_t i0, size_t i1)
{
    const size_t ic = (size_t)intercept;
    size_t i = i0;
    if (nx < XRESID_NARROW)
        for (; i + 4 <= i1; i += 4)
            for (size_t c = 0; c < k; c++) {
                const double *bc = Bt + c * ldbt;
                xresid_rows4_fma(X + i * ldx, ldx, nx, bc + ic, Y + i * ldy + c, ldy,
                                 Rin ? Rin + i * ldr + c : NULL, ldr, ic ? bc[0] : 0.0,
                                 F + (i - i0) * ldf + c, ldf);
            }
    /* the rows left over (and every row of a wide design), one at a time:
     * the generic body's operations, hence its bits */
    if (i < i1)
        xresid_body(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F + (i - i0) * ldf,
                    ldf, i, i1);
}
#endif

static void xresid_generic(const double *X, size_t ldx, size_t nx, int intercept,
                           const double *Bt, size_t ldbt, size_t k, const double *Y, size_t ldy,
                           const double *Rin, size_t ldr, double *F, size_t ldf, size_t i0,
                           size_t i1)
{
    xresid_body(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

void mg__xresid_isa(const double *X, size_t ldx, size_t nx, int intercept, const double *Bt,
                    size_t ldbt, size_t k, const double *Y, size_t ldy, const double *Rin,
                    size_t ldr, double *F, size_t ldf, size_t i0, size_t i1, int fma_variant)
{
#ifdef MG__CPU_X86
    if (fma_variant) {
        xresid_fma(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
        return;
    }
#else
    (void)fma_variant;
#endif
    xresid_generic(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1);
}

void mg__xresid(const double *X, size_t ldx, size_t nx, int intercept, const double *Bt,
                size_t ldbt, size_t k, const double *Y, size_t ldy, const double *Rin,
                size_t ldr, double *F, size_t ldf, size_t i0, size_t i1)
{
    mg__xresid_isa(X, ldx, nx, intercept, Bt, ldbt, k, Y, ldy, Rin, ldr, F, ldf, i0, i1,
                   mg__xdot_fma_variant());
}

MG__XDOT_INLINE void xgemv_t_body(const double *restrict X, size_t ldx, size_t N, size_t nx,
                                  int intercept, const double *restrict scale,
                                  const double *restrict r, size_t rs, double *restrict hi,
                                  double *restrict lo)
{
    const size_t ic = (size_t)intercept;

    for (size_t i = 0; i < N; i++) {
        const double ri = r[i * rs];
        const double *xi = X + i * ldx;
        if (ic) {
            double e;
            mg__xdot_two_sum(hi[0], -scale[0] * ri, &hi[0], &e);
            lo[0] += e;
        }
        /* the columns' sums are independent chains: the AVX2 clone runs
         * them in vector lanes, each in the same order as the generic one */
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
}

#ifdef MG__CPU_X86
/* The AVX2+FMA clone: fma() becomes one instruction instead of a call
 * into the C library (most of this kernel's time in the generic build). */
__attribute__((target("avx2,fma")))
static void xgemv_t_fma(const double *X, size_t ldx, size_t N, size_t nx, int intercept,
                        const double *scale, const double *r, size_t rs, double *hi, double *lo)
{
    xgemv_t_body(X, ldx, N, nx, intercept, scale, r, rs, hi, lo);
}
#endif

static void xgemv_t_generic(const double *X, size_t ldx, size_t N, size_t nx, int intercept,
                            const double *scale, const double *r, size_t rs, double *hi,
                            double *lo)
{
    xgemv_t_body(X, ldx, N, nx, intercept, scale, r, rs, hi, lo);
}

void mg__xgemv_t_isa(const double *X, size_t ldx, size_t N, size_t nx, int intercept,
                     const double *scale, const double *r, size_t rs, const double *c,
                     double *g, double *acc, int fma_variant)
{
    const size_t p = (size_t)intercept + nx;
    double *hi = acc, *lo = acc + p;

    memset(acc, 0, 2 * p * sizeof(double));
#ifdef MG__CPU_X86
    if (fma_variant)
        xgemv_t_fma(X, ldx, N, nx, intercept, scale, r, rs, hi, lo);
    else
#else
    (void)fma_variant;
#endif
        xgemv_t_generic(X, ldx, N, nx, intercept, scale, r, rs, hi, lo);
    for (size_t j = 0; j < p; j++) {
        double s = hi[j], e, tail = lo[j];
        if (c) {
            mg__xdot_two_sum(s, c[j], &s, &e);
            tail += e;
        }
        g[j] = s + tail;
    }
}

void mg__xgemv_t(const double *X, size_t ldx, size_t N, size_t nx, int intercept,
                 const double *scale, const double *r, size_t rs, const double *c, double *g,
                 double *acc)
{
    mg__xgemv_t_isa(X, ldx, N, nx, intercept, scale, r, rs, c, g, acc, mg__xdot_fma_variant());
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
