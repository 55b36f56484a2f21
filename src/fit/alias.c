/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: R's test for aliased coefficients (lm's qr(tol = 1e-7), LINPACK's
 * dqrdc2 with limited pivoting; docs/inference.md, "Aliased coefficients").
 *
 * The columns z_j of the weighted design W^(1/2) Z are taken in order;
 * z_j is aliased when its distance to the span of the earlier non-aliased
 * columns is <= tol ||z_j||, and an aliased column is set aside (dqrdc2
 * moves it to the end), so the later distances are to the span of the
 * identified columns only.
 *
 * QR: the state's R has the columns' inner products, and processed in
 * order its diagonal entry |R_jj| is the distance of z_j to the span of
 * all earlier columns.  An aliased column is deleted from a working copy
 * of the whole triangle [R_Z R_ZY] and the columns after it are brought
 * back to triangular form by Givens rotations (orthogonal row operations:
 * the inner products of the remaining columns do not change), so the next
 * diagonal is the distance to the identified columns.  Householder QR and
 * the rotations are backward stable column by column: each distance is
 * that of a design whose column z_j moved by about c eps ||z_j||, against
 * a threshold tol ||z_j|| = 1e-7 ||z_j||: the decision is R's except for
 * distances within about 1e-8 relative of the threshold.
 * GRAM: the squared distances are the pivots of a Cholesky factorisation
 * of the Gram matrix in column order (with the intercept, of the centred
 * moments M: the intercept's own pivot is W > 0 and its Schur complement is
 * M), tested as pivot <= tol^2 ||z_j||^2.  The moments carry absolute
 * errors of about c eps ||z_i|| ||z_j||, so a pivot, a difference of
 * squares, is known to about c eps kappa ||z_j||^2 (kappa: the condition
 * of the identified columns before j): against tol^2 = 1e-14 that decides
 * distances to about sqrt(c eps kappa) ||z_j|| ~ 1.5e-8 sqrt(c kappa)
 * ||z_j||, so a column whose distance is within a small factor of the
 * threshold may be decided otherwise than by R (QR's test is the one
 * that matches R's digits). */
#include "fit_internal.h"

#include <string.h>

/* Deletes column pos of the order-cols upper triangle T (leading dimension
 * ld) and restores the triangle on the columns after it: a rotation of
 * rows (l, l + 1) zeroes T(l + 1, l) for l = pos .. cols - 2.  The last row
 * becomes zero. */
static void delete_column(double *T, size_t ld, size_t cols, size_t pos)
{
    for (size_t j = pos; j + 1 < cols; j++)
        memcpy(T + j * ld, T + (j + 1) * ld, cols * sizeof *T);
    for (size_t l = pos; l + 1 < cols; l++) {
        const double a = T[l * ld + l], b = T[l * ld + l + 1];
        if (b == 0.0)
            continue;
        /* [c s; -s c] [a; b] = [r; 0] */
        const double r = hypot(a, b), c = a / r, s = b / r;
        for (size_t j = l; j + 1 < cols; j++) {
            const double x = T[j * ld + l], y = T[j * ld + l + 1];
            T[j * ld + l] = c * x + s * y;
            T[j * ld + l + 1] = c * y - s * x;
        }
        T[l * ld + l + 1] = 0.0;
    }
    for (size_t j = 0; j + 1 < cols; j++)
        T[j * ld + cols - 1] = 0.0;
}

/* QR: T (q x q, leading dimension q = m + k) <- the state's triangle with
 * the aliased columns deleted: its first r columns are the identified
 * columns' triangle, the next k the outputs' (R_ZY rows 0 .. r - 1, then
 * the residual part in rows r .. r + c). */
static size_t alias_qr(const mg_fit *f, double tol, unsigned char *alias, double *T)
{
    const size_t q = f->n, m = f->m;
    for (size_t j = 0; j < q; j++)
        for (size_t i = 0; i < q; i++)
            T[j * q + i] = i <= j ? f->S[j * q + i] : 0.0;
    size_t cols = q, pos = 0;
    for (size_t j = 0; j < m; j++) {
        /* ||z_j||: the norm of column j of R (unchanged by the rotations) */
        double nrm = 0.0;
        for (size_t i = 0; i <= j; i++)
            nrm += f->S[j * q + i] * f->S[j * q + i];
        alias[j] = fabs(T[pos * q + pos]) <= tol * sqrt(nrm);
        if (!alias[j]) {
            pos++;
            continue;
        }
        delete_column(T, q, cols, pos);
        cols--;
    }
    return pos;
}

/* Element (i, j) of the state's GRAM moments of X (either triangle). */
static double moment(const mg_fit *f, size_t i, size_t j)
{
    return i <= j ? f->S[j * f->n + i] : f->S[i * f->n + j];
}

/* GRAM: U (leading dimension ld) <- the upper Cholesky factor of
 * G = D M D over the identified columns of X (D: powers of two, as the
 * engine's factor), kept[0 .. rx - 1] their indices; returns rx. */
static size_t alias_gram(const mg_fit *f, double tol, unsigned char *alias, double *U, size_t ld,
                         const double *D, size_t *kept)
{
    const size_t p = f->p, ic = f->ic;
    size_t rx = 0;
    if (ic)
        alias[0] = 0; /* its distance is sqrt(W) > 0 */
    for (size_t j = 0; j < p; j++) {
        double *u = U + rx * ld;
        /* U^T u = G[kept, j] (forward substitution, long double sums) */
        for (size_t a = 0; a < rx; a++) {
            long double t = (long double)moment(f, kept[a], j) * D[kept[a]] * D[j];
            for (size_t b = 0; b < a; b++)
                t -= (long double)U[a * ld + b] * u[b];
            u[a] = (double)(t / U[a * ld + a]);
        }
        /* the pivot: the squared distance of D_j z_j to the identified span */
        long double d = (long double)moment(f, j, j) * D[j] * D[j];
        for (size_t a = 0; a < rx; a++)
            d -= (long double)u[a] * u[a];
        /* ||z_j||^2: raw second moment (M_jj + W mu_j^2 with the intercept) */
        const double raw = moment(f, j, j) + (ic ? f->wsum * f->mean[j] * f->mean[j] : 0.0);
        const long double nz = (long double)raw * D[j] * D[j];
        alias[ic + j] = !(d > (long double)tol * tol * nz);
        if (alias[ic + j])
            continue;
        u[rx] = (double)sqrtl(d);
        kept[rx++] = j;
    }
    return rx;
}

size_t mg__fit_alias(const mg_fit *fit, double tol, unsigned char *alias, double *work,
                     size_t ld, double *D, size_t *kept)
{
    if (fit->opt.kind == MG_FIT_QR)
        return alias_qr(fit, tol, alias, work);
    for (size_t j = 0; j < fit->p; j++)
        D[j] = mg__fit_pow2_inv(sqrt(moment(fit, j, j)));
    return fit->ic + alias_gram(fit, tol, alias, work, ld, D, kept);
}
