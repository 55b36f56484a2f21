/* lstsq: the singular value decomposition solver (method SVD, and the
 * minimum-norm solve of every rank-deficient design). */
#include "lstsq_internal.h"
#include "internal.h"

#include <lapacke.h>
#include <stdlib.h>

mg_status mg__lsq_svd(mg__lsq *q, size_t rank_hint)
{
    const size_t N = q->d.N, p = q->d.p, m = q->m;
    double *Z = mg__alloc_doubles(N, p);
    double *U = mg__alloc_doubles(N, m);
    double *s = mg__alloc_doubles(m, 1);
    double *Vt = mg__alloc_doubles(m, p);

    if (!Z || !U || !s || !Vt) {
        free(Z); free(U); free(s); free(Vt);
        return MG_ENOMEM;
    }
    mg__lsq_copy_design(&q->d, q->scale, Z);
    /* Z = U diag(s) V^T   (thin SVD, divide and conquer) */
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)N, (lapack_int)p, Z,
                                     (lapack_int)N, s, U, (lapack_int)N, Vt, (lapack_int)m);
    free(Z);
    if (info != 0) {
        free(U); free(s); free(Vt);
        return info > 0 ? MG_ENOCONV : MG_ENOMEM;
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
