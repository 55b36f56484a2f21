/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit --method normal`: the normal equations from one streaming
 * pass, in memory independent of the number of rows.
 *
 * Rows [x y] are buffered in blocks of MOM_BLOCK; each full block is folded
 * into the running column means m and the centred cross-product matrix
 *     C = sum_i (z_i - m)(z_i - m)^T,   z_i = [x_i; y_i]   ((p+1) x (p+1))
 * with the pairwise update of Chan, Golub and LeVeque: for a block b of n_b
 * rows with mean m_b and centred cross products C_b, merged into n_a rows,
 *     C = C_a + C_b + (n_a n_b / n) (m_b - m_a)(m_b - m_a)^T,
 *     m = m_a + (n_b / n) (m_b - m_a).
 * Centring keeps the sums free of the cancellation that raw sums of squares
 * suffer when the means are large next to the spread (Longley's columns).
 * With an intercept the slopes solve C_xx b = C_xy and b0 = m_y - m_x . b;
 * without, the uncentred M = C + n m m^T gives M_xx b = M_xy.
 * docs/cli.md ("Methods") has the statistics. */
#include "cli.h"
#include "escape.h"
#include "fit_data.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <matgrad.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MOM_BLOCK = 512 };

struct mgcli_moments {
    size_t p1;        /* p predictors + y */
    size_t n;         /* rows folded in */
    size_t nb;        /* rows waiting in blk */
    double *mean;     /* p1 */
    double *C;        /* p1 x p1, upper triangle used */
    double *blk;      /* MOM_BLOCK x p1 */
    double *delta;    /* p1 scratch */
};

static struct mgcli_moments *moments_new(size_t p1)
{
    if (p1 > SIZE_MAX / sizeof(double) / (p1 > MOM_BLOCK ? p1 : MOM_BLOCK))
        return NULL;   /* the sizes below would overflow */
    struct mgcli_moments *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->p1 = p1;
    m->mean = calloc(p1, sizeof *m->mean);
    m->delta = calloc(p1, sizeof *m->delta);
    m->C = calloc(p1 * p1, sizeof *m->C);
    m->blk = malloc((size_t)MOM_BLOCK * p1 * sizeof *m->blk);
    if (!m->mean || !m->delta || !m->C || !m->blk) {
        mgcli_moments_free(m);
        return NULL;
    }
    return m;
}

void mgcli_moments_free(struct mgcli_moments *m)
{
    if (!m)
        return;
    free(m->mean);
    free(m->delta);
    free(m->C);
    free(m->blk);
    free(m);
}

/* Folds the buffered rows into (n, mean, C). */
static void flush(struct mgcli_moments *m)
{
    size_t nb = m->nb, p1 = m->p1;
    if (nb == 0)
        return;
    double *mb = m->delta;
    for (size_t j = 0; j < p1; j++)
        mb[j] = 0;
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < p1; j++)
            mb[j] += m->blk[i * p1 + j];
    for (size_t j = 0; j < p1; j++)
        mb[j] /= (double)nb;
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < p1; j++)
            m->blk[i * p1 + j] -= mb[j];
    /* C += Zc^T Zc, Zc the centred block (nb x p1): its cross products C_b */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p1, (int)nb, 1.0, m->blk, (int)p1,
                1.0, m->C, (int)p1);
    double na = (double)m->n, n = na + (double)nb;
    for (size_t j = 0; j < p1; j++)
        mb[j] -= m->mean[j];   /* now delta = m_b - m_a */
    /* C += (n_a n_b / n) delta delta^T   (the merge of the two means) */
    cblas_dsyr(CblasRowMajor, CblasUpper, (int)p1, na * (double)nb / n, m->delta, 1, m->C, (int)p1);
    for (size_t j = 0; j < p1; j++)
        m->mean[j] += m->delta[j] * (double)nb / n;
    m->n += nb;
    m->nb = 0;
}

static int on_row(void *ctx, size_t line, const double *v, size_t ncols, mgcli_csv_error *err)
{
    mgcli_fit_data *d = ctx;
    if (!d->mom && !(d->mom = moments_new(d->p + 1))) {
        char what[96];
        (void)line;
        snprintf(what, sizeof what, "the cross products of --method normal, %zu x %zu doubles",
                 d->p + 1, d->p + 1);
        return mgcli_csv_fail_nomem(err, what);
    }
    struct mgcli_moments *m = d->mom;
    double *z = m->blk + m->nb * m->p1;
    for (size_t j = 0; j < ncols; j++)
        if (j != d->target_col)
            *z++ = v[j];
    *z = v[d->target_col];
    d->n++;
    if (++m->nb == MOM_BLOCK)
        flush(m);
    return 0;
}

mgcli_csv_sink mgcli_fit_moments_sink(mgcli_fit_data *d)
{
    mgcli_csv_sink s = mgcli_fit_data_sink(d);
    s.row = on_row;
    return s;
}

/* Cross product (i, j) of the system to solve: centred with an intercept,
 * uncentred (C + n m m^T) without. */
static double cross(const struct mgcli_moments *m, int intercept, size_t i, size_t j)
{
    double c = i <= j ? m->C[i * m->p1 + j] : m->C[j * m->p1 + i];
    return intercept ? c : c + (double)m->n * m->mean[i] * m->mean[j];
}

static int not_pd(const char *why)
{
    fprintf(stderr, "matgrad: normal equations: %s; try --method qr\n", why);
    return MGCLI_EXIT_FAIL;
}

/* A LAPACKE return as one of the library's public statuses: 0 is MG_OK, the
 * routine's own failure (info > 0) is `positive`, LAPACKE's work or
 * transposition buffer that could not be allocated is MG_ENOMEM, and an
 * argument LAPACK rejects (info < 0: a bug here) is MG_EINVAL.  A local copy
 * of the library's rule, kept minimal: the command uses only the public
 * API, and moves onto the library's fit engine later. */
static mg_status lapack_status(lapack_int info, mg_status positive)
{
    if (info == 0)
        return MG_OK;
    if (info > 0)
        return positive;
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return MG_ENOMEM;
    return MG_EINVAL;
}

/* The message and exit status for a LAPACKE failure in step `what`. */
static int lapack_failed(mg_status s, const char *what)
{
    if (s == MG_ENOMEM)
        return mgcli_out_of_memory(what);
    if (s == MG_ENOTPD || s == MG_ESINGULAR)
        return not_pd("the design is rank-deficient (Cholesky failed)");
    fprintf(stderr, "matgrad: normal equations: %s: %s (an internal error)\n", what,
            mg_strerror(s));
    return MGCLI_EXIT_FAIL;
}

/* Solves for the coefficients and their statistics from the moments. */
int mgcli_fit_moments_solve(const mgcli_fit_options *o, mgcli_fit_data *d, mgcli_fit_result *r)
{
    struct mgcli_moments *m = d->mom;
    flush(m);
    size_t p = d->p, k = o->intercept ? 1 : 0, n = m->n;
    double *S = malloc(p * p * sizeof *S), *dinv = malloc(p * sizeof *dinv);
    double *z = malloc(p * sizeof *z), *w = malloc(p * sizeof *w);
    int rc = MGCLI_EXIT_OK;
    if (!S || !dinv || !z || !w) {
        rc = mgcli_out_of_memory("the normal equations");
        goto done;
    }
    /* Finite data can still overflow the sums of squares (|x| > ~1e154). */
    for (size_t i = 0; i <= p; i++)
        if (!isfinite(m->mean[i]) || !isfinite(m->C[i * (p + 1) + i])) {
            rc = not_pd("the sums of squares overflow (values beyond about 1e154)");
            goto done;
        }
    /* Equilibrate: S = D (X^T X + ridge I) D with D = diag(1/sqrt(diag)), so
     * that the rank test and the condition estimate do not depend on the
     * columns' units (Cholesky's accuracy does not, van der Sluis). */
    for (size_t j = 0; j < p; j++) {
        double djj = cross(m, o->intercept, j, j) + o->ridge;
        if (!(djj > 0)) {
            char why[200], name[64];
            size_t used = 0, len = strlen(d->names[j]);
            if (mgcli_escape(name, sizeof name - 3, &used, d->names[j], len) < len)
                strcpy(name + used, "...");
            snprintf(why, sizeof why, "column '%s' is %s", name,
                     o->intercept ? "constant (collinear with the intercept)" : "all zeros");
            rc = not_pd(why);
            goto done;
        }
        dinv[j] = 1 / sqrt(djj);
    }
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < p; j++)
            S[i * p + j] = (cross(m, o->intercept, i, j) + (i == j ? o->ridge : 0)) * dinv[i] * dinv[j];
        z[i] = cross(m, o->intercept, i, p) * dinv[i];
    }
    /* ||S||_1 = max_j sum_i |S_ij|, for dpocon.  Not LAPACKE_dlansy: it
     * returns 0 when its work array cannot be allocated, which would pass
     * for a singular matrix. */
    double anorm = 0;
    for (size_t j = 0; j < p; j++) {
        double col = 0;
        for (size_t i = 0; i < p; i++)
            col += fabs(S[i * p + j]);
        anorm = fmax(anorm, col);
    }
    mg_status st;
    /* S = U^T U   (Cholesky of the scaled normal matrix) */
    st = lapack_status(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, S, (lapack_int)p),
                       MG_ENOTPD);
    if (st != MG_OK) {
        rc = lapack_failed(st, "Cholesky factorization");
        goto done;
    }
    double rcond = 0;
    /* rcond(S) = 1 / (||S||_1 ||S^-1||_1), estimated from U */
    st = lapack_status(LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, S, (lapack_int)p, anorm,
                                      &rcond), MG_EINVAL);
    if (st != MG_OK) {
        rc = lapack_failed(st, "condition estimate");
        goto done;
    }
    /* as mg_normal_solve: below p eps the solution has no correct digit */
    if (!(rcond >= (double)p * DBL_EPSILON)) {
        rc = not_pd("the design is rank-deficient or too ill-conditioned");
        goto done;
    }
    /* U^T U z = D X^T y  ->  b = D z */
    st = lapack_status(LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, 1, S, (lapack_int)p, z, 1),
                       MG_EINVAL);
    if (st != MG_OK) {
        rc = lapack_failed(st, "Cholesky solve");
        goto done;
    }
    double *b = r->beta + k;
    for (size_t j = 0; j < p; j++)
        b[j] = z[j] * dinv[j];
    if (o->intercept) {
        r->beta[0] = m->mean[p];
        for (size_t j = 0; j < p; j++)
            r->beta[0] -= m->mean[j] * b[j];
    }
    /* RSS = S_yy - 2 b^T S_xy + b^T S_xx b, valid for any b (ridge too) */
    double rss = cross(m, o->intercept, p, p), tss = rss;
    for (size_t i = 0; i < p; i++) {
        double sb = 0;
        for (size_t j = 0; j < p; j++)
            sb += cross(m, o->intercept, i, j) * b[j];
        rss += b[i] * (sb - 2 * cross(m, o->intercept, i, p));
    }
    rss = fmax(rss, 0);
    r->df = n > r->q ? n - r->q : 0;
    r->residual_sd = r->df ? sqrt(rss / (double)r->df) : NAN;
    r->r_squared = tss > 0 ? 1 - rss / tss : NAN;
    r->rank = r->q;
    r->have_rank = 1;
    r->rcond = sqrt(rcond);   /* rcond(X^T X) = rcond(X)^2 */
    r->method = o->ridge > 0 ? "streamed normal equations with ridge (Cholesky)"
                             : "streamed normal equations (Cholesky)";
    if (o->ridge == 0 && r->df > 0) {
        /* (S)^-1 from U; (X^T X)^-1 = D S^-1 D */
        st = lapack_status(LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, S, (lapack_int)p),
                           MG_ESINGULAR);
        if (st != MG_OK) {
            rc = lapack_failed(st, "standard errors (inverse from Cholesky)");
            goto done;
        }
        double s2 = rss / (double)r->df, quad = 0;
        for (size_t i = 0; i < p; i++) {
            r->se[k + i] = sqrt(s2 * S[i * p + i]) * dinv[i];
            w[i] = m->mean[i] * dinv[i];
        }
        /* var(b0) = s^2 (1/n + m_x^T (X_c^T X_c)^-1 m_x) */
        for (size_t i = 0; i < p; i++)
            for (size_t j = 0; j < p; j++)
                quad += w[i] * (i <= j ? S[i * p + j] : S[j * p + i]) * w[j];
        if (o->intercept)
            r->se[0] = sqrt(s2 * (1 / (double)n + quad));
    }
done:
    free(S);
    free(dinv);
    free(z);
    free(w);
    return rc;
}
