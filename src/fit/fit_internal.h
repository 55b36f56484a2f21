/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the fit state and the helpers its steps share.
 *
 * Every matrix inside the state is column-major (LAPACK's layout): element
 * (i, j) of an n-row buffer is at [j * n + i]. */
#ifndef MATGRAD_FIT_INTERNAL_H
#define MATGRAD_FIT_INTERNAL_H

#include "matgrad/fit.h"
#include "internal.h"
#include "kernels/xdot.h"

#include <lapacke.h>
#include <math.h>
#include <stddef.h>

/* Rows per block: QR copies them (weighted, column-major) for one
 * Householder fold (mg__fit_fold_block); GRAM hands them to the packed Gram kernel,
 * whose tiles keep their panels in L1 at this size (the Gram pass
 * measured 128 best of 64..512).  Small enough for the block to stay in
 * cache (MG__FIT_BLOCK x q doubles). */
enum { MG__FIT_BLOCK = 128 };

/* How the design part was factorised by the last finish. */
typedef enum mg__fit_fac { MG__FAC_NONE = 0, MG__FAC_TRI, MG__FAC_SVD, MG__FAC_CHOL,
                           MG__FAC_MEAN } mg__fit_fac;

struct mg_fit {
    mg_fit_options opt;
    size_t p, k, ic, m;     /* m = ic + p design columns */
    size_t n;               /* order of the stored square: QR q = m + k, GRAM p + k */

    /* the sums */
    size_t rows, nonzero;   /* rows seen, rows with w > 0 */
    double wsum;            /* sum of the weights */
    double *S;              /* QR: R (n x n upper); GRAM: co-moments (n x n, upper) */
    double *mean;           /* GRAM with intercept: weighted means (n) */
    double *cmax;           /* p + k: max |v_ij| sqrt(w_i) of each column of X and Y
                               (the range guard, MG__FIT_RANGE); then p + k more:
                               the same for the accumulate call in progress */
    double *xmin, *xmax;    /* p each, then p more for the call in progress: the
                               smallest and largest value of each column of X over
                               rows of nonzero weight (+Inf / -Inf before any): a
                               column with xmin == xmax != 0 is a constant, and the
                               model then has one (mg__fit_about_mean) */
    int xknown;             /* 0: xmin / xmax unknown (a state loaded from a
                               version-1 image, or merged with one) */
    double logw;            /* sum of log w_i over rows of nonzero weight (R's
                               logLik.lm); NaN when unknown (a version-1 image) */

    /* accumulate scratch */
    size_t mb;              /* block rows (>= n so that a triangle fits) */
    double *blk;            /* mb x n: QR column-major, GRAM row-major (row stride n) */
    double *sw;             /* mb: GRAM, sqrt(w) of blk's rows */
    double *P;              /* GRAM: the packed kernel's panels for mb rows of n columns */
    size_t nb;              /* rows of the T and tpwork scratch (GRAM's shift, deltas) */
    double *T, *tpwork;     /* nb x n each */
    double *bS, *bmean;     /* GRAM: the block's own sums (n x n, n); bS row-major
                             * upper while accumulating, column-major upper after */
    double wprev;           /* GRAM: the weight of the previous sub-block (its mean is the shift) */

    /* finish: factorisation of the design part, kept for refine_end */
    mg__fit_fac fac;
    size_t rank;
    double rcond;           /* reported: of the whole (equilibrated) design */
    double rkept;           /* of the part solved with: rcond, or s_r / s_1 of the SVD */
    double *D;              /* m: power-of-two column scales */
    double *F;              /* m x m: Cholesky factor (GRAM, of the scaled x part) */
    double *U, *s, *Vt;     /* m x m, m, m x m: SVD of a rank-deficient R_Z */
    double *A;              /* m x m scratch */
    double *tau, *lwork;    /* m, lwork_len */
    size_t lwork_len;
    lapack_int *iwork;      /* 8 m (dgesdd), also dgeqp3's pivots and dpocon's */

    /* refinement */
    int refining;
    size_t rrows, rnonzero;
    double *rb;             /* m x k: the B being refined */
    double *ghi, *glo;      /* m x k: Z^T W R in double-double */
    double *rsshi, *rsslo;  /* k: sum w r^2 in double-double */
    double prev_d;          /* size of the last applied correction (0: none) */

    /* the refined solution, if any */
    int solved;
    double *sol;            /* m x k */
    double *solrss;         /* k */

    size_t steps;           /* refinement steps applied since the sums last changed */

    /* exact option: [Z Y]^T W [Z Y] in double-double (q x q upper, q = m + k),
     * summed in three levels for accuracy (exact.c): Hhi/Hlo hold 3 q^2
     * doubles each, the total at [0, q^2), a partial sum of up to
     * MG__FIT_BLOCK blocks at [q^2, 2 q^2), of up to MG__FIT_BLOCK rows at
     * [2 q^2, 3 q^2) */
    size_t q;
    double *Hhi, *Hlo;
    size_t n0, n1;          /* rows in level 2, blocks in level 1 */
    double *arow;           /* q: one augmented row */
    double *V;              /* 2 m^2: (Z^T W Z)^-1 and its correction */

    int plain;              /* mg_normal_solve: GRAM refuses only a numerically singular
                               Gram matrix (rcond < m eps), no refinement follows */

    double *tmp;            /* m x k scratch */
    double *se;             /* m x k scratch (standard errors) */
    double *stat;           /* 5 k scratch (RSS, TSS, sd, R^2, adjusted R^2) */
    size_t *kept;           /* m: mg_fit_infer's identified columns (GRAM) */
    unsigned char *flags;   /* m: mg_fit_infer's aliased flags */
    double *inf;            /* mg__fit_infer_scratch(m, k) doubles: mg_fit_infer's
                               results before they are written out (infer.c) */
};

/* R's aliasing test (alias.c): alias[j] = 1 for the aliased columns of Z
 * (m flags); returns the number of identified columns r.  QR: work (q x q,
 * leading dimension q) <- the state's triangle with the aliased columns
 * deleted and re-triangularised.  GRAM: work (leading dimension ld) <- the
 * upper Cholesky factor of D M D over the identified columns of X, whose
 * indices go to kept[0 .. r - ic - 1]; D (p) <- the scales. */
size_t mg__fit_alias(const mg_fit *fit, double tol, unsigned char *alias, double *work,
                     size_t ld, double *D, size_t *kept);

/* The doubles of mg_fit_infer's scratch (infer.c): six m x k coefficient
 * tables, twelve k-vectors and m scales.  Its m x m work goes into buffers
 * the state has anyway (blk, A, and F or U / Vt, whichever the kind's
 * factor does not use). */
size_t mg__fit_infer_scratch(size_t m, size_t k);

/* s + e = a + b exactly (Knuth's TwoSum): the kernels' one definition. */
#define mg__two_sum mg__xdot_two_sum

/* p + e = a * b exactly (one fused multiply-add). */
static inline void mg__two_prod(double a, double b, double *p, double *e)
{
    *p = a * b;
    *e = fma(a, b, -*p);
}

/* (hi, lo) += a, double-double. */
static inline void mg__dd_add(double *hi, double *lo, double a)
{
    double e;
    mg__two_sum(*hi, a, hi, &e);
    *lo += e;
}

/* (gh, gl)_j += x_j (wh + wl) for j < n, double-double: the product split
 * exactly by FMA, the sum by TwoSum; independent in j (vectorisable). */
static inline __attribute__((always_inline)) void
mg__dd_axpy(double *restrict gh, double *restrict gl, const double *restrict x, size_t n,
            double wh, double wl)
{
    for (size_t j = 0; j < n; j++) {
        const double ph = x[j] * wh, pl = fma(x[j], wh, -ph);
        const double t = gh[j] + ph, bb = t - gh[j];
        const double e = (gh[j] - (t - bb)) + (ph - bb);
        gl[j] += e + fma(x[j], wl, pl);
        gh[j] = t;
    }
}

/* Exact option: folds rows [0, N) of [1 X Y] with weights into Hhi/Hlo. */
void mg__fit_exact_rows(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                        size_t N);

/* Exact option: the total of dst += the total of src (its three levels). */
void mg__fit_exact_merge(mg_fit *dst, const mg_fit *src);

/* Exact option: entry (i, j), i <= j, of the total sum, as a double-double
 * (the three levels added; the state is not changed). */
void mg__fit_exact_total(const mg_fit *fit, size_t i, size_t j, double *hi, double *lo);

/* Exact option: refines the factor's B in memory (sets sol, solrss,
 * solved, steps).  MG_ENOCONV when it cannot converge, MG_ENONFINITE for
 * non-finite sums. */
MG__MUST_USE mg_status mg__fit_exact_solve(mg_fit *fit);

/* Exact option, full-rank factor, no ridge: v (m) <- the diagonal of
 * (Z^T W Z)^-1 refined from the exact sums. */
void mg__fit_exact_variances(mg_fit *fit, double *v);

/* Refinement's contraction test and stopping rule, shared by the replayed
 * and the in-memory refinement (refine.c). */
int mg__fit_contracts(const mg_fit *f);
/* 1: apply dB (and *done says whether B + dB is final); 0: not shrinking.
 * stall_ok: a correction that stopped shrinking below eps / 8 normwise is
 * accepted as final (the exact option's noise floor, exact.c). */
int mg__fit_step_ok(mg_fit *f, const double *dB, const double *B, int stall_ok, int *done);

/* Checks one block of input rows: shapes against the state (X N x p or NULL
 * when p == 0, Y N x k, w N x 1 or NULL), sets *N.  Finiteness of X and Y
 * only when check_data is set; weights always (finite, >= 0). */
MG__MUST_USE mg_status mg__fit_check_rows(const mg_fit *fit, const mg_matrix *X,
                                          const mg_matrix *Y, const mg_matrix *w,
                                          int check_data, size_t *N);

/* Element (i, j) of the design row: 1 for the intercept column, else X. */
static inline double mg__fit_z(const mg_fit *fit, const mg_matrix *X, size_t i, size_t j)
{
    return j < fit->ic ? 1.0 : X->data[i * X->stride + (j - fit->ic)];
}

/* MG_OK if two states can be merged: MG_EINVAL for NULL or the same
 * state or different options, MG_EDIM for different p or k. */
MG__MUST_USE mg_status mg__fit_compatible(const mg_fit *a, const mg_fit *b);

/* Forget everything derived from the sums (factor, refinement, solution). */
void mg__fit_invalidate(mg_fit *fit);

/* QR: [R; B] = Q [R'; 0] for the n x n upper triangle R (column-major,
 * leading dimension n) and an r x n block B (column-major, leading
 * dimension ldb, overwritten) by Householder reflections in plain loops
 * (no BLAS: see accumulate.c). */
void mg__fit_fold_block(double *restrict R, size_t n, double *restrict B, size_t ldb, size_t r);
/* The same fold for an upper-triangular n x n block T (leading dimension
 * ldt; its zeros below the diagonal are never read: about n^3 / 3 flops
 * instead of n^3, and the same values as the block fold), and for one row
 * a of n entries (the window's push).  Both overwrite their block. */
void mg__fit_fold_triangle(double *restrict R, size_t n, double *restrict T, size_t ldt);
void mg__fit_fold_row(double *restrict R, size_t n, double *restrict a);

/* Chan-Golub-LeVeque merge of GRAM sums: (wa, ma, Sa) <- union with
 * (wb, mb, Sb); ma, mb NULL without the intercept (plain addition). */
void mg__fit_gram_merge(size_t n, double *wa, double *ma, double *Sa, double wb,
                        const double *mb, const double *Sb);

/* Factorises the design part of the state (sets fac, rank, rcond, D and
 * the factors).  MG_EINVAL with no rows of nonzero weight. */
MG__MUST_USE mg_status mg__fit_factor(mg_fit *fit);

/* Solves (Z^T W Z + ridge P) X = C in place for C (m x k, column-major,
 * leading dimension m) with the factor (pseudo-inverse when rank-deficient).
 * GRAM with intercept: C is in the original coordinates [1 X]. */
void mg__fit_normal_solve(mg_fit *fit, double *C, size_t ncols);

/* GRAM: (M_xx + ridge I) X = C for the first p rows of C (leading
 * dimension ld, ncols columns), with the Cholesky factor. */
void mg__fit_solve_x(mg_fit *fit, double *C, size_t ld, size_t ncols);

/* 2^-e with v in [2^(e-1), 2^e) (1 for 0 or non-finite v): an exact scale
 * that brings v into [1/2, 1). */
static inline double mg__fit_pow2_inv(double v)
{
    int e = 0;
    if (v > 0.0 && isfinite(v))
        (void)frexp(v, &e);
    return ldexp(1.0, -e);
}

/* The range the state can hold without its sums losing precision: every
 * column's largest weighted magnitude max |v_ij| sqrt(w_i) must be 0 or in
 * [2^-MG__FIT_RANGE, 2^MG__FIT_RANGE].  GRAM keeps sums of squares, which
 * must stay normal doubles (2^-1022 .. 2^1023) for 2^60 rows; QR's R and
 * the statistics square its entries too.  Outside, finish and refine
 * return MG_ERANGE instead of a state whose sums under- or overflowed. */
enum { MG__FIT_RANGE = MG_FIT_RANGE };

/* The range of one accumulate call, block by block while the rows are in
 * cache: begin zeroes the call's maxima (the second half of cmax), rows
 * folds rows [i0, i1) in (weights w may be NULL; the rows are finite),
 * commit folds the call's maxima into the state's once the call has
 * succeeded (a failed call leaves the state untouched). */
void mg__fit_range_begin(mg_fit *fit);
void mg__fit_range_rows(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                        size_t i0, size_t i1);
void mg__fit_range_commit(mg_fit *fit);

/* mg__fit_range_rows for unweighted rows whose X minima and maxima the Gram
 * kernel has already folded into xmin + p, xmax + p (its colmin, colmax):
 * the rest of the range. */
void mg__fit_range_rows_gram(mg_fit *fit, const mg_matrix *Y, size_t i0, size_t i1);

/* xmin / xmax <- the elementwise min / max with mn / mx (p each): the
 * union of two row sets (commit, merge). */
void mg__fit_xrange_merge(mg_fit *fit, const double *mn, const double *mx);

/* sum of log w_i over the N entries w_i > 0 of w (rounding error about
 * N u of long double, absolute; see accumulate.c). */
double mg__fit_sum_log_weights(const mg_matrix *w, size_t N);

/* MG_OK if every column is within the range above, MG_ERANGE otherwise. */
MG__MUST_USE mg_status mg__fit_check_range(const mg_fit *fit);

/* 1 when the model contains the constant: the intercept option, or a
 * column of X constant and nonzero over the rows of nonzero weight (an
 * intercept in all but name); *col is then that column of X (the first
 * such), or (size_t)-1 for the intercept option.  TSS, R^2, adjusted R^2
 * and F are about the weighted mean exactly when this is 1 (stats.c). */
int mg__fit_about_mean(const mg_fit *fit, size_t *col);

/* TSS of output c from the state, about the weighted mean when
 * mg__fit_about_mean, about zero otherwise (stats.c). */
long double mg__fit_state_tss(const mg_fit *fit, size_t c);

/* A state finish can use: MG_EINVAL without rows of nonzero weight,
 * MG_ERANGE outside the range, MG_ENONFINITE for non-finite sums. */
MG__MUST_USE mg_status mg__fit_check_sums(const mg_fit *fit);

/* The solution a finish reports, into fit->tmp (m x k, column-major): the
 * range and finiteness checks, the factor, B (refined from the exact sums
 * with the exact option; the refined solution when the state holds one).
 * The errors of mg_fit_finish that do not concern its outputs. */
MG__MUST_USE mg_status mg__fit_solution(mg_fit *fit);

/* RSS of each output for the coefficients B (m x k column-major) from the
 * state (rss: k); the refined RSS when the state holds a solution. */
void mg__fit_rss(mg_fit *fit, const double *B, double *rss);

/* The refinement of (Z^T W Z)^-1 from the exact sums (exact option,
 * full-rank factor): the whole matrix into fit->V (m x m column-major). */
void mg__fit_exact_inverse(mg_fit *fit);

/* (Z^T W Z)^-1 of a full-rank factor (TRI, CHOL, MEAN) into C (m x m,
 * column-major); A: m x m scratch that is not C.  MG_ESINGULAR for a zero
 * pivot. */
MG__MUST_USE mg_status mg__fit_inverse(mg_fit *fit, double *C, double *A);

/* A = U^-1 (n x n column-major) of the upper-triangular U (leading
 * dimension ldu) and v_i = ||row i of U^-1||^2 (v may be NULL).
 * MG_ESINGULAR for a zero pivot. */
MG__MUST_USE mg_status mg__fit_inverse_upper(const double *U, size_t n, size_t ldu, double *A,
                                             double *v);

/* The reciprocal condition number below which a GRAM factor of order
 * `order` is refused (factor.c). */
double mg__fit_gram_min_rcond(const mg_fit *fit, size_t order);

/* A TSS computed by a front end from rows it holds: tss[c] (k values),
 * about the (weighted) mean when centred, about zero otherwise. */
typedef struct mg__fit_tss {
    const long double *tss;
    int centred;
} mg__fit_tss;

/* mg_fit_finish, with the TSS of every output given by the front end
 * (NULL: the state's own).  mg_lstsq computes it from the rows in memory:
 * exactly (two passes, long double) where the state's TSS loses digits to
 * a big mean (QR's triangle holds y's mean in its first row), and about
 * the mean also for a constant column in X without the intercept option,
 * which the state cannot tell from its sums. */
MG__MUST_USE mg_status mg__fit_finish(mg_fit *fit, mg_matrix *B, mg_lstsq_result *res,
                                      const mg__fit_tss *tss);

/* The summary statistics of one output, shared by every fit path
 * (stats.c): residual sd sqrt(rss / df), R^2 = 1 - rss / tss and R's
 * adjusted R^2 = 1 - (rss / df) / (tss / dft) (dft = n - 1 about the
 * mean, n about zero); NaN where undefined (df == 0, tss == 0). */
void mg__fit_summary(long double rss, long double tss, size_t df, size_t dft, double *sd,
                     double *r2, double *ar2);

/* Copies the k-vectors sd, R^2 and adjusted R^2 into the result fields
 * the caller asked for (non-NULL): every fit path's last step. */
void mg__fit_result_vectors(mg_lstsq_result *res, size_t k, const double *sd, const double *r2,
                            const double *ar2);

/* refine_begin's work once B is checked: the refinement sums zeroed, B
 * kept as the estimate being refined. */
void mg__fit_refine_start(mg_fit *fit, const mg_matrix *B);

/* The in-memory front ends' threads (slices.c): N rows cut into slices
 * fixed by the shape, slice 0 accumulated into fit0, slice s > 0 into
 * st[s], merged into fit0 in slice order (bitwise the same result for any
 * thread count). */
typedef struct mg__fit_slices {
    mg_fit *fit0;
    mg_fit **st;      /* S states, st[0] = fit0; NULL when S == 1 */
    size_t S, N;
} mg__fit_slices;

/* Creates the slice states for N rows (none when one slice does). */
MG__MUST_USE mg_status mg__fit_slices_create(mg_fit *fit, size_t N, mg__fit_slices *sl);
void mg__fit_slices_free(mg__fit_slices *sl);
/* mg_fit_accumulate of all N rows, slice by slice. */
MG__MUST_USE mg_status mg__fit_slices_accumulate(mg__fit_slices *sl, const mg_matrix *X,
                                                 const mg_matrix *Y, const mg_matrix *w);
/* mg_fit_refine_begin(B) and the replay of all N rows into fit0, ready
 * for mg_fit_refine_end. */
MG__MUST_USE mg_status mg__fit_slices_refine(mg__fit_slices *sl, const mg_matrix *X,
                                             const mg_matrix *Y, const mg_matrix *w,
                                             const mg_matrix *B);

/* mg_normal_solve's and Gram-cached descent's state: GRAM, no intercept,
 * the given ridge, plain (fit->plain), holding [A Y]^T [A Y] of all rows
 * (in S, column-major upper), accumulated slice by slice.  *out is set only
 * on success. */
MG__MUST_USE mg_status mg__normal_state(const mg_matrix *A, const mg_matrix *Y, double ridge,
                                        mg_fit **out);

#endif /* MATGRAD_FIT_INTERNAL_H */
