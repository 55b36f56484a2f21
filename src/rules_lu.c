/* rules_lu: the gradients that need a factorisation of X (seed 003's
 * d(X^-1) and d|X| rules): Y = X^-1, log|det X| and det X.
 *
 * Storage: LAPACK is called in column-major order on a contiguous n x n
 * buffer F.  F is filled with X itself (a transposed copy of the row-major
 * view), so a column-major result M left in a buffer reads, row by row, as
 * M^T: the row-major X^-T of the logdet gradient is dgetri's X^-1 read
 * straight out, with no transpose pass. */
#include "matgrad/rules.h"
#include "internal.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

typedef struct lu {
    size_t n;
    double *F;          /* n x n column-major: X, then its LU factors */
    lapack_int *ipiv;   /* row interchanges of the factorisation (1-based) */
} lu;

static void lu_free(lu *f)
{
    free(f->F);
    free(f->ipiv);
}

/* F(i, j) = M(i, j) in column-major order, from a row-major view. */
static void to_col_major(const mg_matrix *M, double *F)
{
    const size_t n = M->rows;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            F[j * n + i] = *mg_at(M, i, j);
}

/* P X = L U into f.  MG_ENONFINITE for NaN/Inf in X, MG_ESINGULAR for a zero
 * pivot or, when check_cond, an estimated 1-norm reciprocal condition below
 * n * DBL_EPSILON.  On error f holds nothing to free. */
static mg_status lu_factor(const mg_matrix *X, int check_cond, lu *f)
{
    MG__CHECK(mg_matrix_check(X));
    if (X->rows != X->cols)
        return MG_EDIM;
    const size_t n = X->rows;
    f->n = n;
    f->F = mg__alloc_doubles(n, n);
    f->ipiv = malloc(n * sizeof(lapack_int));
    if (!f->F || !f->ipiv) {
        lu_free(f);
        return MG_ENOMEM;
    }
    to_col_major(X, f->F);

    const lapack_int ni = (lapack_int)n;
    mg_status s = MG_OK;
    /* LAPACKE's own NaN checks answer with argument errors, so finiteness
     * is tested here (O(n^2) against the O(n^3) factorisation). */
    if (!mg__all_finite(f->F, n, n, n))
        s = MG_ENONFINITE;
    /* ||X||_1, for the condition estimate */
    const double anorm = s == MG_OK ? LAPACKE_dlange(LAPACK_COL_MAJOR, '1', ni, ni, f->F, ni) : 0.0;
    if (s == MG_OK) {
        /* P X = L U */
        lapack_int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, ni, ni, f->F, ni, f->ipiv);
        if (info != 0)
            s = info > 0 ? MG_ESINGULAR : MG_EINVAL;
    }
    if (s == MG_OK && check_cond) {
        double rcond = 0.0;
        /* rcond ~ 1 / (||X||_1 ||X^-1||_1) */
        if (LAPACKE_dgecon(LAPACK_COL_MAJOR, '1', ni, f->F, ni, anorm, &rcond) != 0)
            s = MG_ENOMEM;
        /* Below n eps a computed inverse has no correct digit. */
        else if (!(rcond >= (double)n * DBL_EPSILON))
            s = MG_ESINGULAR;
    }
    if (s != MG_OK)
        lu_free(f);
    return s;
}

/* det X = sign * mant * 2^exp from the diagonal of U and the pivots, the
 * product renormalised at each step so it never over- or underflows.
 * Also log|det X| when logabs != NULL.  An exactly singular X has no zero
 * pivot here (dgetrf succeeded). */
static void lu_det(const lu *f, double *sign, double *mant, int *exp2, double *logabs)
{
    double s = 1.0, m = 1.0, l = 0.0;
    int e = 0;
    for (size_t i = 0; i < f->n; i++) {
        const double u = f->F[i * f->n + i];
        int eu, ei;
        if (f->ipiv[i] != (lapack_int)(i + 1))
            s = -s;
        if (u < 0.0)
            s = -s;
        /* both factors in [0.5, 1): the product cannot underflow */
        m = frexp(m * frexp(fabs(u), &eu), &ei);
        e += eu + ei;
        l += log(fabs(u));
    }
    *sign = s;
    *mant = m;
    *exp2 = e;
    if (logabs)
        *logabs = l;
}

/* f->F = X^-1 (column-major), i.e. X^-T when read row-major. */
static mg_status lu_invert(lu *f)
{
    const lapack_int ni = (lapack_int)f->n;
    /* X^-1 = U^-1 L^-1 P   (the inverse is the gradient itself here) */
    lapack_int info = LAPACKE_dgetri(LAPACK_COL_MAJOR, ni, f->F, ni, f->ipiv);
    if (info > 0)
        return MG_ESINGULAR;
    return info == 0 ? MG_OK : MG_ENOMEM;
}

static mg_status check_square_output(const mg_matrix *X, const mg_matrix *G)
{
    MG__CHECK(mg_matrix_check(G));
    if (G->rows != X->rows || G->cols != X->cols)
        return MG_EDIM;
    return mg__overlaps(G, X) ? MG_EINVAL : MG_OK;
}

/* G(r, c) = scale * B[r n + c]: the row-major reading of a column-major
 * result.  MG_ENONFINITE, G untouched, if any entry is not finite. */
static mg_status copy_out(const double *B, size_t n, double scale, int exp2, mg_matrix *G)
{
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(ldexp(scale * B[i], exp2)))
            return MG_ENONFINITE;
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < n; c++)
            *mg_at(G, r, c) = ldexp(scale * B[r * n + c], exp2);
    return MG_OK;
}

mg_status mg_grad_logdet(const mg_matrix *X, mg_matrix *G)
{
    lu f;
    MG__CHECK(mg_matrix_check(X));
    MG__CHECK(check_square_output(X, G));
    MG__CHECK(lu_factor(X, 1, &f));
    /* d log|X| = tr(X^-1 dX) = tr((X^-T)^T dX)  =>  G = X^-T   (seed 003, d|X| rule) */
    mg_status s = lu_invert(&f);
    if (s == MG_OK)
        s = copy_out(f.F, f.n, 1.0, 0, G);
    lu_free(&f);
    return s;
}

mg_status mg_grad_det(const mg_matrix *X, mg_matrix *G)
{
    lu f;
    MG__CHECK(mg_matrix_check(X));
    MG__CHECK(check_square_output(X, G));
    MG__CHECK(lu_factor(X, 1, &f));
    double sign, mant;
    int e;
    lu_det(&f, &sign, &mant, &e, NULL);
    /* d|X| = |X| tr(X^-1 dX)  =>  G = det(X) X^-T, scaled by sign mant 2^e
     * entry by entry so det X itself is never formed */
    mg_status s = lu_invert(&f);
    if (s == MG_OK)
        s = copy_out(f.F, f.n, sign * mant, e, G);
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
    /* O(n^2) against the O(n^3) solves; LAPACKE's NaN check would refuse
     * it with an argument error */
    if (!mg__all_finite(GY->data, GY->rows, GY->cols, GY->stride))
        return MG_ENONFINITE;
    MG__CHECK(lu_factor(X, 1, &f));
    const size_t n = f.n;
    const lapack_int ni = (lapack_int)n;
    double *T = mg__alloc_doubles(n, n);
    mg_status s = MG_ENOMEM;
    if (T) {
        /* dY = -X^-1 dX X^-1, so df = -tr(GY^T X^-1 dX X^-1)
         *    = tr((-X^-T GY X^-T)^T dX)  =>  GX = -X^-T GY X^-T   (seed 003) */
        to_col_major(GY, T);
        /* T = X^-T GY   (solve X^T T = GY with the LU of X) */
        lapack_int info = LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'T', ni, ni, f.F, ni, f.ipiv, T, ni);
        transpose(T, n);
        /* T = X^-1 (X^-T GY)^T = (X^-T GY X^-T)^T   (solve X T' = T^T) */
        if (info == 0)
            info = LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'N', ni, ni, f.F, ni, f.ipiv, T, ni);
        /* Read row-major, the column-major (GX)^T is GX. */
        if (info == 0)
            s = copy_out(T, n, -1.0, 0, GX);
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
    MG__CHECK(lu_factor(X, 0, &f));
    double sg, mant, l;
    int e;
    lu_det(&f, &sg, &mant, &e, &l);
    lu_free(&f);
    *logabsdet = l;
    if (sign)
        *sign = sg;
    return MG_OK;
}

mg_status mg_det(const mg_matrix *X, double *det)
{
    lu f;
    if (!det)
        return MG_EINVAL;
    mg_status s = lu_factor(X, 0, &f);
    if (s == MG_ESINGULAR) {
        /* An exact zero pivot: det X = 0 exactly (unless X had NaN/Inf,
         * which lu_factor reports first). */
        *det = 0.0;
        return MG_OK;
    }
    MG__CHECK(s);
    double sg, mant;
    int e;
    lu_det(&f, &sg, &mant, &e, NULL);
    lu_free(&f);
    const double d = ldexp(sg * mant, e);
    if (!isfinite(d))
        return MG_ENONFINITE;
    *det = d;
    return MG_OK;
}
