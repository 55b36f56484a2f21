/* SPDX-License-Identifier: BSD-3-Clause */
/* rules_lu: the gradients that need a factorisation of X: Y = X^-1,
 * log|det X| and det X (docs/derivations.md, "Inverse" and "log|det X| and
 * det X").
 *
 * Storage: LAPACK is called in column-major order on a contiguous n x n
 * buffer F.  F is filled with X itself, scaled by powers of two (a
 * transposed copy of the row-major view), so a column-major result M left in a buffer reads, row by row, as
 * M^T: the row-major X^-T of the logdet gradient is the column-major X^-1
 * solved by dgetrs, read straight out with no transpose pass. */
#include "matgrad/rules.h"
#include "internal.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

typedef struct lu {
    size_t n;
    double *F;          /* n x n column-major: 2^k X, then its LU factors */
    lapack_int *ipiv;   /* row interchanges of the factorisation (1-based) */
    int k;              /* F was filled with 2^k X (rexp == NULL) ... */
    int *rexp;          /* ... or with D X, D = diag(2^rexp[i]) (n entries) */
} lu;

/* How X is scaled before LU.  The gradients scale X by one power of two
 * (rcond, which they test, is invariant under it, and an X that passes the
 * test loses nothing to the scaling); the values, which have no condition
 * test, scale each row on its own, so a tiny row next to a huge one (a
 * diagonal X with entries 2^1000 and 2^-60, say) keeps all its bits and
 * triangular X still give their exact determinant. */
enum lu_scaling { LU_SCALAR, LU_ROWS };

static void lu_free(lu *f)
{
    free(f->F);
    free(f->ipiv);
    free(f->rexp);
}

/* ldexp with a long exponent: beyond +-2^20 every finite nonzero double
 * over- or underflows anyway, so clamping there changes no result. */
static double scale2(double x, long e)
{
    const long lim = 1L << 20;
    return ldexp(x, (int)(e > lim ? lim : e < -lim ? -lim : e));
}

/* max_j |M_ij| over row i, or -1 if the row holds a NaN or Inf. */
static double row_max(const mg_matrix *M, size_t i)
{
    double mx = 0.0;
    for (size_t j = 0; j < M->cols; j++) {
        const double v = fabs(*mg_at(M, i, j));
        if (!isfinite(v))
            return -1.0;
        mx = v > mx ? v : mx;
    }
    return mx;
}

/* The k for which 2^k mx lies in [1/2, 1); 0 for mx = 0.  Never formed as
 * the double 2^k, which overflows for subnormal data. */
static int exponent_to_half(double mx)
{
    int e = 0;
    (void)frexp(mx, &e); /* mx = m 2^e, m in [1/2, 1), e = 0 for mx = 0 */
    return -e;
}

/* The k for which 2^k max|M_ij| lies in [1/2, 1), or MG_ENONFINITE for a
 * NaN or Inf in M.  Scaling by 2^k is exact, except that entries pushed
 * below 2^-1022 lose bits below 2^-1074 of a matrix of norm >= 1/2: a
 * backward error far below LU's own, n eps. */
MG__MUST_USE static mg_status scale_exponent(const mg_matrix *M, int *k)
{
    double mx = 0.0;
    for (size_t i = 0; i < M->rows; i++) {
        const double r = row_max(M, i);
        if (r < 0.0)
            return MG_ENONFINITE;
        mx = r > mx ? r : mx;
    }
    *k = exponent_to_half(mx);
    return MG_OK;
}

/* rexp[i] for which 2^rexp[i] max_j |M_ij| lies in [1/2, 1), or
 * MG_ENONFINITE.  The loss is as in scale_exponent, row by row. */
MG__MUST_USE static mg_status row_exponents(const mg_matrix *M, int *rexp)
{
    for (size_t i = 0; i < M->rows; i++) {
        const double r = row_max(M, i);
        if (r < 0.0)
            return MG_ENONFINITE;
        rexp[i] = exponent_to_half(r);
    }
    return MG_OK;
}

/* F(i, j) = 2^e_i M(i, j) in column-major order, from a row-major view,
 * with e_i = rexp[i], or k for every row when rexp is NULL. */
static void to_col_major(const mg_matrix *M, const int *rexp, int k, double *F)
{
    const size_t n = M->rows;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            F[j * n + i] = ldexp(*mg_at(M, i, j), rexp ? rexp[i] : k);
}

/* ||F||_1 = max_j sum_i |F_ij| of a column-major n x n buffer.  Computed
 * here rather than by LAPACKE_dlange, which reports a failed allocation of
 * its own by returning 0. */
static double norm1(const double *F, size_t n)
{
    double nrm = 0.0;
    for (size_t j = 0; j < n; j++) {
        double c = 0.0;
        for (size_t i = 0; i < n; i++)
            c += fabs(F[j * n + i]);
        nrm = c > nrm ? c : nrm;
    }
    return nrm;
}

/* MG_ESINGULAR when the reciprocal 1-norm condition number of the factored
 * matrix, estimated by dgecon, is below n eps: a computed inverse would
 * have no correct digit.  anorm is ||F||_1 before factoring.  rcond is
 * invariant under the scaling by 2^k, so the test judges X itself. */
MG__MUST_USE static mg_status check_condition(const lu *f, double anorm)
{
    const size_t n = f->n;
    const lapack_int ni = (lapack_int)n;
    double *work = mg__alloc_doubles(n, 4); /* dgecon: 4n doubles */
    lapack_int *iwork = malloc(n * sizeof *iwork); /* cannot overflow: n^2 doubles fit */
    mg_status s = MG_ENOMEM;
    if (work && iwork) {
        double rcond = 0.0;
        /* rcond ~ 1 / (||X||_1 ||X^-1||_1); info = 1 when the estimate
         * breaks down (a NaN/Inf rcond or ||X^-1|| estimated as 0): no
         * usable inverse either way */
        s = mg__lapack_status(LAPACKE_dgecon_work(LAPACK_COL_MAJOR, '1', ni, f->F, ni, anorm,
                                                  &rcond, work, iwork),
                              MG_ESINGULAR);
        if (s == MG_OK && !(rcond >= (double)n * DBL_EPSILON))
            s = MG_ESINGULAR;
    }
    free(work);
    free(iwork);
    return s;
}

/* P (S X) = L U into f, with S a power of two (LU_SCALAR) or a diagonal of
 * powers of two (LU_ROWS) that bring X's largest entry, or each row's,
 * into [1/2, 1): LU, dgecon and the results are then free of over- and
 * underflow whatever the scale of X.  MG_ENONFINITE for NaN/Inf in X,
 * MG_ESINGULAR for a zero pivot or, for LU_SCALAR, an ill-conditioned X
 * (check_condition).  On error f holds nothing to free. */
MG__MUST_USE static mg_status lu_factor(const mg_matrix *X, enum lu_scaling how, lu *f)
{
    MG__CHECK(mg_matrix_check(X));
    if (X->rows != X->cols)
        return MG_EDIM;
    const size_t n = X->rows;
    f->n = n;
    f->k = 0;
    f->F = mg__alloc_doubles(n, n);
    f->ipiv = f->F ? malloc(n * sizeof(lapack_int)) : NULL;
    f->rexp = f->ipiv && how == LU_ROWS ? malloc(n * sizeof(int)) : NULL;
    if (!f->F || !f->ipiv || (how == LU_ROWS && !f->rexp)) {
        lu_free(f);
        return MG_ENOMEM;
    }
    /* LAPACKE's own NaN checks answer with argument errors, so finiteness
     * is tested here (O(n^2) against the O(n^3) factorisation). */
    mg_status s = how == LU_ROWS ? row_exponents(X, f->rexp) : scale_exponent(X, &f->k);
    if (s == MG_OK) {
        to_col_major(X, f->rexp, f->k, f->F);
        const lapack_int ni = (lapack_int)n;
        const double anorm = norm1(f->F, n);
        /* P (2^k X) = L U; info > 0 is an exact zero pivot */
        s = mg__lapack_status(LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, ni, ni, f->F, ni, f->ipiv),
                              MG_ESINGULAR);
        if (s == MG_OK && how == LU_SCALAR)
            s = check_condition(f, anorm);
    }
    if (s != MG_OK)
        lu_free(f);
    return s;
}

/* det X = sign * mant * 2^exp2 from the diagonal of U, the pivots and the
 * scaling (det(S X) = det(S) det X, det S a power of two), the product renormalised at each
 * step so it never over- or underflows.  An exactly singular X has no zero
 * pivot here (dgetrf succeeded). */
static void lu_det(const lu *f, double *sign, double *mant, long *exp2)
{
    double s = 1.0, m = 1.0;
    long e = 0;
    for (size_t i = 0; i < f->n; i++) {
        const double u = f->F[i * f->n + i];
        int eu, ei;
        if (f->ipiv[i] != (lapack_int)(i + 1))
            s = -s;
        if (u < 0.0)
            s = -s;
        /* both factors in [0.5, 1): the product cannot underflow */
        m = frexp(m * frexp(fabs(u), &eu), &ei);
        e += (long)eu + ei;
    }
    *sign = s;
    *mant = m;
    long scale = (long)f->n * f->k;
    for (size_t i = 0; f->rexp && i < f->n; i++)
        scale += f->rexp[i];
    *exp2 = e - scale;
}

/* log|det X| = log(mant) + exp2 log 2, with mant moved into
 * [sqrt(1/2), sqrt(2)) so that a det near 1 does not come out as the
 * difference of two logs near +-log 2. */
static double log_abs_det(double mant, long exp2)
{
    const double sqrt_half = 0.70710678118654752440, ln2 = 0.69314718055994530942;
    if (mant < sqrt_half) {
        mant *= 2.0;
        exp2 -= 1;
    }
    return log(mant) + (double)exp2 * ln2;
}

/* *B = (2^k X)^-1 (n x n column-major, allocated here), i.e. 2^-k X^-T
 * when read row-major.  Solved from the LU on the identity (dgetrs), not
 * inverted in place (dgetri): OpenBLAS's dgetri calls dgemm, threaded
 * (already at n = 200) through its level-3 driver, which calls exit(1) when
 * it cannot allocate its job array; dgetrs's triangular solves allocate
 * nothing, as in mg_grad_inverse.  Same O(n^3) order of work. */
MG__MUST_USE static mg_status lu_inverse(const lu *f, double **B)
{
    const size_t n = f->n;
    const lapack_int ni = (lapack_int)n;
    double *b = mg__alloc_doubles(n, n);
    *B = NULL;
    if (!b)
        return MG_ENOMEM;
    for (size_t i = 0; i < n * n; i++)
        b[i] = 0.0;
    for (size_t i = 0; i < n; i++)
        b[i * n + i] = 1.0;
    /* X_s B = I  =>  B = X_s^-1 = U^-1 L^-1 P   (the inverse is the gradient itself here) */
    mg_status s = mg__lapack_status(LAPACKE_dgetrs_work(LAPACK_COL_MAJOR, 'N', ni, ni, f->F, ni,
                                                        f->ipiv, b, ni),
                                    MG_EINVAL);
    if (s != MG_OK) {
        free(b);
        return s;
    }
    *B = b;
    return MG_OK;
}

MG__MUST_USE static mg_status check_square_output(const mg_matrix *X, const mg_matrix *G)
{
    MG__CHECK(mg_matrix_check(G));
    if (G->rows != X->rows || G->cols != X->cols)
        return MG_EDIM;
    return mg__overlaps(G, X) ? MG_EINVAL : MG_OK;
}

/* G(r, c) = scale * B[r n + c] * 2^exp2: the row-major reading of a
 * column-major result.  |scale| <= 1 and B comes from a matrix scaled into
 * [1/2, 1) that passed the condition test, so only the final power of two
 * can over- or underflow: MG_ENONFINITE, G untouched, if an entry
 * overflows; underflow is gradual (IEEE), as rules.h states. */
MG__MUST_USE static mg_status copy_out(const double *B, size_t n, double scale, long exp2,
                                       mg_matrix *G)
{
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(scale2(scale * B[i], exp2)))
            return MG_ENONFINITE;
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < n; c++)
            *mg_at(G, r, c) = scale2(scale * B[r * n + c], exp2);
    return MG_OK;
}

mg_status mg_grad_logdet(const mg_matrix *X, mg_matrix *G)
{
    lu f;
    MG__CHECK(mg_matrix_check(X));
    MG__CHECK(check_square_output(X, G));
    MG__CHECK(lu_factor(X, LU_SCALAR, &f));
    /* d log|X| = tr(X^-1 dX) = tr((X^-T)^T dX)  =>  G = X^-T = 2^k (2^k X)^-T
     * (docs/derivations.md, "log|det X| and det X") */
    double *B;
    mg_status s = lu_inverse(&f, &B);
    if (s == MG_OK)
        s = copy_out(B, f.n, 1.0, f.k, G);
    free(B);
    lu_free(&f);
    return s;
}

mg_status mg_grad_det(const mg_matrix *X, mg_matrix *G)
{
    lu f;
    MG__CHECK(mg_matrix_check(X));
    MG__CHECK(check_square_output(X, G));
    MG__CHECK(lu_factor(X, LU_SCALAR, &f));
    double sign, mant;
    long e;
    lu_det(&f, &sign, &mant, &e);
    /* d|X| = |X| tr(X^-1 dX)  =>  G = det(X) X^-T = sign mant 2^(e + k) (2^k X)^-T,
     * applied entry by entry so det X itself is never formed */
    double *B;
    mg_status s = lu_inverse(&f, &B);
    if (s == MG_OK)
        s = copy_out(B, f.n, sign * mant, e + f.k, G);
    free(B);
    lu_free(&f);
    return s;
}

/* In-place transpose of a contiguous n x n buffer. */
static void transpose(double *T, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double t = T[i * n + j];
            T[i * n + j] = T[j * n + i];
            T[j * n + i] = t;
        }
}

/* T = -(X_s^-T GY_s X_s^-T)^T with X_s = 2^k X factored in f and
 * GY_s = 2^j GY (T column-major holds GX_s^T, i.e. row-major GX_s). */
MG__MUST_USE static mg_status inverse_sandwich(const lu *f, double *T)
{
    const lapack_int ni = (lapack_int)f->n;
    /* T = X_s^-T GY_s   (solve X_s^T T = GY_s with the LU of X_s) */
    MG__CHECK(mg__lapack_status(LAPACKE_dgetrs_work(LAPACK_COL_MAJOR, 'T', ni, ni, f->F, ni,
                                                    f->ipiv, T, ni),
                                MG_EINVAL));
    transpose(T, f->n);
    /* T = X_s^-1 (X_s^-T GY_s)^T = (X_s^-T GY_s X_s^-T)^T   (solve X_s T' = T^T) */
    return mg__lapack_status(LAPACKE_dgetrs_work(LAPACK_COL_MAJOR, 'N', ni, ni, f->F, ni,
                                                 f->ipiv, T, ni),
                             MG_EINVAL);
}

mg_status mg_grad_inverse(const mg_matrix *X, const mg_matrix *GY, mg_matrix *GX)
{
    lu f;
    MG__CHECK(mg_matrix_check(X));
    MG__CHECK(mg_matrix_check(GY));
    MG__CHECK(check_square_output(X, GX));
    if (GY->rows != X->rows || GY->cols != X->cols)
        return MG_EDIM;
    if (mg__overlaps(GX, GY))
        return MG_EINVAL;
    /* GY too is brought into [1/2, 1) by a power of two 2^j, so the solves
     * cannot overflow on the way to a representable GX; O(n^2) against the
     * O(n^3) solves, and LAPACKE's NaN check would refuse a NaN with an
     * argument error */
    int j = 0;
    MG__CHECK(scale_exponent(GY, &j));
    MG__CHECK(lu_factor(X, LU_SCALAR, &f));
    const size_t n = f.n;
    double *T = mg__alloc_doubles(n, n);
    mg_status s = MG_ENOMEM;
    if (T) {
        /* dY = -X^-1 dX X^-1, so df = -tr(GY^T X^-1 dX X^-1)
         *    = tr((-X^-T GY X^-T)^T dX)  =>  GX = -X^-T GY X^-T
         *    = -2^(2k - j) X_s^-T GY_s X_s^-T   (derivations.md, "Inverse") */
        to_col_major(GY, NULL, j, T);
        s = inverse_sandwich(&f, T);
        /* Read row-major, the column-major (GX_s)^T is GX_s. */
        if (s == MG_OK)
            s = copy_out(T, n, -1.0, 2L * f.k - j, GX);
    }
    free(T);
    lu_free(&f);
    return s;
}

mg_status mg_logdet(const mg_matrix *X, double *logabsdet, double *sign)
{
    lu f;
    if (!logabsdet)
        return MG_EINVAL;
    MG__CHECK(lu_factor(X, LU_ROWS, &f));
    double sg, mant;
    long e;
    lu_det(&f, &sg, &mant, &e);
    lu_free(&f);
    *logabsdet = log_abs_det(mant, e);
    if (sign)
        *sign = sg;
    return MG_OK;
}

mg_status mg_det(const mg_matrix *X, double *det)
{
    lu f;
    if (!det)
        return MG_EINVAL;
    mg_status s = lu_factor(X, LU_ROWS, &f);
    if (s == MG_ESINGULAR) {
        /* An exact zero pivot: det X = 0 exactly (unless X had NaN/Inf,
         * which lu_factor reports first). */
        *det = 0.0;
        return MG_OK;
    }
    MG__CHECK(s);
    double sg, mant;
    long e;
    lu_det(&f, &sg, &mant, &e);
    lu_free(&f);
    /* one rounding: to a subnormal or 0 on underflow, Inf on overflow */
    const double d = scale2(sg * mant, e);
    if (!isfinite(d))
        return MG_ENONFINITE;
    *det = d;
    return MG_OK;
}
