/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: the singular value decomposition solver (method SVD, and the
 * minimum-norm solve of every rank-deficient design). */
#include "lstsq_internal.h"
#include "internal.h"

#include <lapacke.h>
#include <limits.h>
#include <stdlib.h>

/* Z = U diag(s) V^T (thin: U N x m, Vt m x p, column-major) with workspace
 * allocated here: LAPACKE_dgesdd would allocate its own and fold a failure
 * into its return value. */
static MG__MUST_USE mg_status thin_svd(double *Z, size_t N, size_t p, double *s, double *U,
                                       double *Vt)
{
    const lapack_int n = (lapack_int)N, pp = (lapack_int)p;
    const size_t m = N < p ? N : p;
    const lapack_int mm = (lapack_int)m;
    lapack_int *iwork = malloc(8 * m * sizeof *iwork);
    double query = 0.0;
    if (!iwork)
        return MG_ENOMEM;
    /* workspace query: the optimal lwork in query */
    mg_status st = mg__lapack_status(LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', n, pp, Z, n, s, U,
                                                         n, Vt, mm, &query, -1, iwork),
                                     MG_EINVAL);
    double *work = NULL;
    if (st == MG_OK && !(query < (double)INT_MAX))
        st = MG_ENOMEM;
    if (st == MG_OK && !(work = mg__alloc_doubles((size_t)query, 1)))
        st = MG_ENOMEM;
    if (st == MG_OK)
        /* Z = U diag(s) V^T   (thin SVD, divide and conquer) */
        st = mg__lapack_status(LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', n, pp, Z, n, s, U, n,
                                                   Vt, mm, work, (lapack_int)query, iwork),
                               MG_ENOCONV);
    free(work);
    free(iwork);
    return st;
}

mg_status mg__lsq_svd(mg__lsq *q, size_t rank_hint)
{
    const size_t N = q->d.N, p = q->d.p, m = q->m;
    double *Z = mg__alloc_doubles(N, p);
    double *U = mg__alloc_doubles(N, m);
    double *s = mg__alloc_doubles(m, 1);
    double *Vt = mg__alloc_doubles(m, p);
    mg_status st = (Z && U && s && Vt) ? MG_OK : MG_ENOMEM;

    if (st == MG_OK) {
        mg__lsq_copy_design(&q->d, q->scale, q->scale_lo, Z);
        st = thin_svd(Z, N, p, s, U, Vt);
    }
    free(Z);
    if (st != MG_OK) {
        free(U); free(s); free(Vt);
        return st;
    }
    size_t rank = 0;
    if (rank_hint > 0) {
        rank = rank_hint;
        while (rank > 0 && !(s[rank - 1] > 0.0))
            rank--;
    } else {
        while (rank < m && s[0] > 0.0 && s[rank] > q->rank_tol * s[0])
            rank++;
    }
    q->kind = MG__LSQ_SVD;
    q->F = U;
    q->s = s;
    q->Vt = Vt;
    q->rank = rank;
    /* the 2-norm reciprocal condition number of Z */
    q->rcond = (s[0] > 0.0 && N >= p) ? s[m - 1] / s[0] : 0.0;
    return MG_OK;
}
