/* SPDX-License-Identifier: BSD-3-Clause */
/* Paired-row exact least-squares problems (mgt_pairs.h). */
#include "mgt_pairs.h"

#include <float.h>
#include <gmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double irand(mgt_rng *r, long lo, long hi)
{
    return (double)(lo + (long)mgt_below(r, (size_t)(hi - lo + 1)));
}

/* The largest |x_ij| column j of X can hold (before the shift). */
static double col_bound(size_t j, size_t p, double collinear)
{
    return collinear > 0.0 && p >= 2 && j < 2 ? collinear + 1.0 : 16.0;
}

/* The largest bits <= 23 with every response exact: |y| / unit <=
 * sum_j max|z_j| 2^bits + 64 / unit < 2^53 (y and the residual e are
 * multiples of unit, so they are exact while their size in units is). */
static int auto_bits(size_t p, int ic, double collinear, double shift, double unit)
{
    double zsum = ic ? 1.0 : 0.0;
    for (size_t j = 0; j < p; j++)
        zsum += col_bound(j, p, collinear) + fabs(shift);
    int bits = 23;
    while (bits > 1 && zsum * ldexp(1.0, bits) + 64.0 / unit >= ldexp(1.0, 52))
        bits--;
    return bits;
}

/* 1 if every pair of nonzero weight has responses x_i B* + e, x_i B* - e
 * exactly and the residuals add up to RSS* (long double holds x_i B* /
 * unit < 2^64 and each residual exactly). */
static int responses_exact(const mgt_pairs *pr)
{
    const size_t h = pr->N / 2;
    for (size_t c = 0; c < pr->k; c++) {
        long double rss = 0.0L;
        for (size_t i = 0; i < h; i++) {
            const long double wi = pr->w ? pr->w[i] : 1.0L;
            if (wi == 0.0L)
                continue;
            const double *x = pr->X + i * pr->xs;
            long double y = pr->ic ? (long double)pr->B[c] : 0.0L;
            for (size_t j = 0; j < pr->p; j++)
                y += (long double)x[j] * pr->B[(pr->ic + j) * pr->k + c];
            const long double up = pr->Y[i * pr->k + c] - y, dn = pr->Y[(i + h) * pr->k + c] - y;
            if (up != -dn)
                return 0;
            rss += 2.0L * wi * up * up;
        }
        if (rss != (long double)pr->rss[c])
            return 0;
    }
    return 1;
}

mgt_pairs mgt_pairs_make(uint64_t seed, size_t N, size_t p, size_t k, int ic, int weighted,
                         double collinear, double shift, int bits)
{
    return mgt_pairs_make_z(seed, N, p, k, ic, weighted, collinear, shift, bits, 1);
}

mgt_pairs mgt_pairs_make_z(uint64_t seed, size_t N, size_t p, size_t k, int ic, int weighted,
                           double collinear, double shift, int bits, int zero)
{
    mgt_rng r = mgt_rng_seed(seed);
    mgt_pairs pr = { N, p, k, p + (size_t)ic, p + 1, ic, NULL, NULL, NULL, NULL, NULL, 0.0, 0 };
    const size_t h = N / 2, m = pr.m;
    pr.X = calloc(N * pr.xs + 1, sizeof(double));
    pr.Y = calloc(N * k, sizeof(double));
    pr.w = weighted ? calloc(N, sizeof(double)) : NULL;
    pr.B = calloc(m * k, sizeof(double));
    pr.rss = calloc(k, sizeof(double));
    ck_assert(pr.X && pr.Y && (pr.w || !weighted) && pr.B && pr.rss);
    /* B* with bits + 1 significant bits (multiples of 2^-20), integers for
     * the largest S (where x B* would otherwise need bits below 2^-20 and
     * above 2^53 at once) */
    pr.unit = collinear >= 1e7 ? 1.0 : ldexp(1.0, -20);
    if (bits == 0)
        bits = auto_bits(p, ic, collinear, shift, pr.unit);
    const long bmax = 1L << bits;
    for (size_t j = 0; j < m; j++)
        for (size_t c = 0; c < k; c++)
            pr.B[j * k + c] = irand(&r, -bmax, bmax) * pr.unit;
    if (zero)
        pr.B[(m - 1) * k] = 0.0; /* an exact zero: the normwise criterion */
    pr.B[0] = 5.0;
    for (size_t i = 0; i < h; i++) {
        double *x = pr.X + i * pr.xs;
        for (size_t j = 0; j < p; j++)
            x[j] = irand(&r, -16, 16);
        if (collinear > 0.0 && p >= 2) {
            x[0] = irand(&r, -(long)collinear, (long)collinear);
            x[1] = x[0] + irand(&r, -1, 1);
        }
        for (size_t j = 0; j < p; j++)
            x[j] += shift;
        memcpy(pr.X + (i + h) * pr.xs, x, p * sizeof *x);
        /* the first 2 m pairs keep a nonzero weight: full rank */
        const double wi = weighted ? irand(&r, i < 2 * m ? 1 : 0, 3) : 1.0;
        if (weighted)
            pr.w[i] = pr.w[i + h] = wi;
        for (size_t c = 0; c < k; c++) {
            double y = ic ? pr.B[c] : 0.0;
            for (size_t j = 0; j < p; j++)
                y += x[j] * pr.B[(ic + j) * k + c];
            const double e = irand(&r, -64, 64);
            pr.Y[i * k + c] = y + e;
            pr.Y[(i + h) * k + c] = y - e;
            pr.rss[c] += 2.0 * wi * e * e;
            if (wi == 0.0) /* dropped rows: any response */
                pr.Y[i * k + c] = 1e6;
        }
    }
    pr.exact = responses_exact(&pr);
    return pr;
}

void mgt_pairs_free(mgt_pairs *pr)
{
    free(pr->X); free(pr->Y); free(pr->w); free(pr->B); free(pr->rss);
}

mg_matrix mgt_pairs_x(const mgt_pairs *pr, size_t i0, size_t n)
{
    return mg_matrix_view_stride(pr->X + i0 * pr->xs, n, pr->p, pr->xs);
}

mg_matrix mgt_pairs_y(const mgt_pairs *pr, size_t i0, size_t n)
{
    return mg_matrix_view(pr->Y + i0 * pr->k, n, pr->k);
}

mg_matrix mgt_pairs_w(const mgt_pairs *pr, size_t i0, size_t n)
{
    return mg_matrix_view(pr->w + i0, n, 1);
}

double mgt_ulp(double x)
{
    return x == 0.0 ? DBL_MIN : ldexp(1.0, ilogb(x) - 52);
}

double mgt_pairs_ulp_error(const mgt_pairs *pr, const double *B, size_t ldb)
{
    double worst = 0.0;
    for (size_t c = 0; c < pr->k; c++) {
        double big = 0.0;
        for (size_t j = 0; j < pr->m; j++)
            big = fmax(big, fabs(pr->B[j * pr->k + c]));
        for (size_t j = 0; j < pr->m; j++) {
            const double b = pr->B[j * pr->k + c], got = B[j * ldb + c];
            if (!isfinite(got))
                return INFINITY;
            worst = fmax(worst, fabs(got - b) / mgt_ulp(b != 0.0 ? b : big));
        }
    }
    return worst;
}

size_t mgt_pairs_nonzero(const mgt_pairs *pr)
{
    size_t nz = 0;
    for (size_t i = 0; i < pr->N; i++)
        nz += !pr->w || pr->w[i] != 0.0;
    return nz;
}

/* ---- exact quantities (GMP) ---- */

/* Exact integer sums: |z| < 2^35, |y / unit| < 2^53, w <= 3, N < 2^20, so
 * sum w z z < 2^92 and sum w z y / unit < 2^110 fit 127 bits. */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

static void mpz_set_i128(mpz_t out, i128 v)
{
    const int neg = v < 0;
    u128 u = neg ? -(u128)v : (u128)v;
    mpz_set_ui(out, (unsigned long)(uint64_t)(u >> 64));
    mpz_mul_2exp(out, out, 64);
    mpz_add_ui(out, out, (unsigned long)(uint64_t)u);
    if (neg)
        mpz_neg(out, out);
}

/* Row i of Z as integers (the intercept's 1 first). */
static void zrow(const mgt_pairs *pr, size_t i, int64_t *z)
{
    size_t a = 0;
    if (pr->ic)
        z[a++] = 1;
    for (size_t j = 0; j < pr->p; j++)
        z[a++] = (int64_t)pr->X[i * pr->xs + j];
}

/* num / den rounded to double (mpq_get_d truncates: within an ulp) */
static double ratio(const mpz_t num, const mpz_t den)
{
    mpq_t q;
    mpq_init(q);
    mpq_set_num(q, num);
    mpq_set_den(q, den);
    mpq_canonicalize(q);
    const double d = mpq_get_d(q);
    mpq_clear(q);
    return d;
}

/* [G | I | C] -> [det I | det G^-1 | det G^-1 C] by fraction-free
 * Gauss-Jordan (Bareiss): every entry stays an integer (a minor of the
 * input), every division is exact.  G is symmetric positive definite, so
 * the leading minors (pivots) are positive: no pivoting.  Returns 0 if a
 * pivot is zero (G singular). */
static int bareiss(mpz_t *M, size_t m, size_t w)
{
    mpz_t prev, t;
    mpz_inits(prev, t, NULL);
    mpz_set_ui(prev, 1);
    int ok = 1;
    for (size_t k = 0; k < m && ok; k++) {
        if (mpz_sgn(M[k * w + k]) == 0) {
            ok = 0;
            break;
        }
        for (size_t i = 0; i < m; i++) {
            if (i == k)
                continue;
            mpz_t *row = M + i * w, *prow = M + k * w;
            for (size_t j = 0; j < w; j++) {
                if (j == k)
                    continue;
                /* a_ij <- (a_kk a_ij - a_ik a_kj) / prev */
                mpz_mul(t, prow[k], row[j]);
                mpz_submul(t, row[k], prow[j]);
                mpz_divexact(row[j], t, prev);
            }
            mpz_set_ui(row[k], 0);
        }
        mpz_set(prev, M[k * w + k]);
    }
    mpz_clears(prev, t, NULL);
    return ok;
}

/* TSS of output c in units^2: about the weighted mean with the intercept
 * (sum w y^2 - (sum w y)^2 / sum w), about zero without; rounded. */
static double exact_tss(const mgt_pairs *pr, size_t c)
{
    mpz_t sw, sy, syy, t;
    mpz_inits(sw, sy, syy, t, NULL);
    for (size_t i = 0; i < pr->N; i++) {
        const unsigned long wi = pr->w ? (unsigned long)pr->w[i] : 1ul;
        if (wi == 0)
            continue;
        const long y = (long)(pr->Y[i * pr->k + c] / pr->unit);
        mpz_add_ui(sw, sw, wi);
        mpz_set_si(t, y);
        mpz_mul_ui(t, t, wi);
        mpz_add(sy, sy, t);
        mpz_mul_si(t, t, y);
        mpz_add(syy, syy, t);
    }
    double tss;
    if (pr->ic) {
        /* (sw syy - sy^2) / sw */
        mpz_mul(syy, syy, sw);
        mpz_submul(syy, sy, sy);
        tss = ratio(syy, sw);
    } else {
        tss = mpz_get_d(syy);
    }
    mpz_clears(sw, sy, syy, t, NULL);
    return tss * pr->unit * pr->unit;
}

mgt_pairs_exact mgt_pairs_exact_make(const mgt_pairs *pr, double ridge)
{
    const size_t m = pr->m, k = pr->k, h = pr->N / 2, w = 2 * m + k;
    mgt_pairs_exact ex = { m, k, malloc(m * m * sizeof(double)), malloc(m * m * sizeof(double)),
                           malloc(m * k * sizeof(double)), malloc(k * sizeof(double)) };
    i128 *g = calloc(m * m + m * k, sizeof *g), *cy = g + m * m;
    int64_t *z = malloc(m * sizeof *z);
    mpz_t *M = malloc(m * w * sizeof *M);
    ck_assert(ex.G && ex.inv && ex.x && ex.tss && g && z && M);
    ck_assert(ridge >= 0.0 && ridge == floor(ridge) && ridge < 0x1p62);
    /* G = 2 sum_pairs w z z^T, c = sum_pairs w z (y_i + y_{i+h}) / unit:
     * a pair's rows are equal and share their weight */
    for (size_t i = 0; i < h; i++) {
        const int64_t wi = pr->w ? (int64_t)pr->w[i] : 1;
        if (wi == 0)
            continue;
        zrow(pr, i, z);
        for (size_t a = 0; a < m; a++) {
            for (size_t b = 0; b <= a; b++)
                g[a * m + b] += (i128)(2 * wi * z[a]) * z[b];
            for (size_t c = 0; c < k; c++) {
                const int64_t ys = (int64_t)(pr->Y[i * k + c] / pr->unit) +
                                   (int64_t)(pr->Y[(i + h) * k + c] / pr->unit);
                cy[a * k + c] += (i128)(wi * z[a]) * ys;
            }
        }
    }
    for (size_t a = 0; a < m; a++)
        g[a * m + a] += (i128)ridge;
    for (size_t i = 0; i < m * w; i++)
        mpz_init(M[i]);
    for (size_t a = 0; a < m; a++) {
        for (size_t b = 0; b < m; b++) {
            mpz_set_i128(M[a * w + b], a >= b ? g[a * m + b] : g[b * m + a]);
            ex.G[a * m + b] = mpz_get_d(M[a * w + b]);
        }
        mpz_set_ui(M[a * w + m + a], 1);
        for (size_t c = 0; c < k; c++)
            mpz_set_i128(M[a * w + 2 * m + c], cy[a * k + c]);
    }
    ck_assert_msg(bareiss(M, m, w), "exact Gram matrix singular");
    /* every diagonal entry is det G now: M[0] */
    for (size_t a = 0; a < m; a++) {
        for (size_t b = 0; b < m; b++)
            ex.inv[a * m + b] = ratio(M[a * w + m + b], M[0]);
        for (size_t c = 0; c < k; c++)
            ex.x[a * k + c] = ratio(M[a * w + 2 * m + c], M[0]) * pr->unit;
    }
    for (size_t c = 0; c < k; c++)
        ex.tss[c] = exact_tss(pr, c);
    for (size_t i = 0; i < m * w; i++)
        mpz_clear(M[i]);
    free(M);
    free(z);
    free(g);
    return ex;
}

void mgt_pairs_exact_free(mgt_pairs_exact *ex)
{
    free(ex->G); free(ex->inv); free(ex->x); free(ex->tss);
}
