/* SPDX-License-Identifier: BSD-3-Clause */
/* The diagnostics pass (see fit_diag.h). */
#include "fit_diag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mgcli_diag_init(mgcli_diag_acc *a, const mgcli_fit_result *r, size_t p, int intercept,
                    int hc_type, int keep_plot, size_t rows, size_t nonzero)
{
    memset(a, 0, sizeof *a);
    a->one = 1.0;
    a->keep_plot = keep_plot;
    /* plots: every stride-th row of nonzero weight, at most PLOT_MAX */
    a->stride = nonzero > MGCLI_DIAG_PLOT_MAX
                    ? (nonzero + MGCLI_DIAG_PLOT_MAX - 1) / MGCLI_DIAG_PLOT_MAX
                    : 1;
    /* views of r's arrays (r outlives the pass); B is q x 1 */
    a->B = mg_matrix_view(r->beta, r->q, 1);
    a->C = mg_matrix_view(r->cov, r->q, r->q);
    a->model.p = p;
    a->model.k = 1;
    a->model.intercept = intercept;
    a->model.coef = &a->B;
    a->model.cov_unscaled = &a->C;
    a->model.sigma = &a->one;
    a->model.df_residual = r->df;
    if (!(a->qsel = mgcli_qsel_new(rows))) {
        a->status = MG_ENOMEM;
        return -1;
    }
    if (hc_type >= 0) {
        a->hc_type = hc_type;
        a->status = mg_hc_create(&a->model, 0, (mg_hc_type)hc_type, &a->hc);
        if (a->status != MG_OK)
            return -1;
    }
    return 0;
}

/* Room for one more kept row. */
static int grow(mgcli_diag_acc *a)
{
    if (a->n < a->cap)
        return 0;
    size_t cap = a->cap ? 2 * a->cap : 1024;
    double *r = realloc(a->resid, cap * sizeof *r);
    if (r)
        a->resid = r;
    double *f = realloc(a->fitted, cap * sizeof *f);
    if (f)
        a->fitted = f;
    double *h = realloc(a->hat, cap * sizeof *h);
    if (h)
        a->hat = h;
    size_t *w = realloc(a->row, cap * sizeof *w);
    if (w)
        a->row = w;
    if (!r || !f || !h || !w)
        return -1;
    a->cap = cap;
    return 0;
}

static int block_scratch(mgcli_diag_acc *a, size_t nb)
{
    if (nb <= a->blk_cap)
        return 0;
    free(a->fit_blk);
    free(a->se_blk);
    free(a->q_blk);
    a->fit_blk = malloc(nb * sizeof *a->fit_blk);
    a->se_blk = malloc(nb * sizeof *a->se_blk);
    a->q_blk = malloc(nb * sizeof *a->q_blk);
    a->blk_cap = a->fit_blk && a->se_blk && a->q_blk ? nb : 0;
    return a->blk_cap ? 0 : -1;
}

int mgcli_diag_block(mgcli_diag_acc *a, const mgcli_fit_data *d, mgcli_csv_error *err)
{
    const size_t nb = d->nb;
    if (nb == 0)
        return 0;
    if (block_scratch(a, nb) != 0)
        return mgcli_csv_fail_nomem(err, "the diagnostics pass");
    mg_matrix X = mg_matrix_view(d->X, nb, d->p), Y = mg_matrix_view(d->y, nb, 1);
    mg_matrix W = mg_matrix_view(d->w, nb, 1), F = mg_matrix_view(a->fit_blk, nb, 1);
    mg_matrix S = mg_matrix_view(a->se_blk, nb, 1);
    const mg_matrix *w = d->w ? &W : NULL;
    const int plot = a->keep_plot && !a->resid_only;
    /* fitted values z^T b, and with plots se_fit = sqrt(z^T C z) (sigma 1) */
    mg_status s = mg_predict(&a->model, d->p ? &X : NULL, NULL, MG_INTERVAL_NONE, 0.95, &F,
                             plot ? &S : NULL, NULL, NULL);
    if (s == MG_OK && a->hc && !a->resid_only)
        s = mg_hc_accumulate(a->hc, d->p ? &X : NULL, &Y, w);
    if (s != MG_OK) {
        a->status = s;
        return mgcli_csv_fail(err, 0, "diagnostics: %s", mg_strerror(s));
    }
    for (size_t i = 0; i < nb; i++) {
        const double wi = d->w ? d->w[i] : 1.0;
        /* R's weighted residual; a row of zero weight is 0 in its quartiles
         * and not in the fit (nor in the plots) */
        const double e = wi == 0.0 ? 0.0 : sqrt(wi) * (d->y[i] - a->fit_blk[i]);
        a->q_blk[i] = e;
        if (a->resid_only || wi == 0.0)
            continue;
        const size_t k = a->seen++;
        /* kept for the plots (every stride-th row), or all of them when few
         * enough to list (print.summary.lm with df <= 5) */
        if ((plot && k % a->stride == 0) || (!plot && k < MGCLI_QSEL_KEEP)) {
            if (grow(a) != 0)
                return mgcli_csv_fail_nomem(err, "the residuals");
            a->resid[a->n] = e;
            a->fitted[a->n] = a->fit_blk[i];
            a->hat[a->n] = plot ? wi * a->se_blk[i] * a->se_blk[i] : NAN;
            a->row[a->n++] = k + 1;
        }
    }
    if (mgcli_qsel_add(a->qsel, a->q_blk, nb) != 0)
        return mgcli_csv_fail_nomem(err, "the residual quartiles");
    return 0;
}

int mgcli_diag_end_pass(mgcli_diag_acc *a)
{
    int rc = mgcli_qsel_end_pass(a->qsel);
    if (rc < 0) {
        a->status = MG_ENOMEM;
        return -1;
    }
    a->resid_only = 1;
    return rc;
}

int mgcli_diag_finish(mgcli_diag_acc *a, mgcli_fit_result *r)
{
    mgcli_qsel_result(a->qsel, r->quantiles);
    r->have_quantiles = 1;
    if (a->hc) {
        mg_matrix V = mg_matrix_view(r->vcov, r->q, r->q);
        a->status = mg_hc_finish(a->hc, &V);
        if (a->status != MG_OK)
            return -1;
    }
    free(r->resid);
    free(r->fitted);
    free(r->hat);
    free(r->row);
    r->resid = a->resid;
    r->fitted = a->fitted;
    r->hat = a->hat;
    r->row = a->row;
    r->n_resid = a->n;
    r->resid_all = !a->split && a->n == a->seen; /* every residual kept (the listing) */
    a->resid = a->fitted = a->hat = NULL;
    a->row = NULL;
    return 0;
}

int mgcli_diag_parallel(const mgcli_diag_acc *a)
{
    /* the quartiles' counts merge exactly; a robust covariance's sums and
     * the plots' sample do not (rounding, row positions) */
    return !a->hc && !a->keep_plot;
}

int mgcli_diag_child(mgcli_diag_acc *c, const mgcli_diag_acc *parent)
{
    memset(c, 0, sizeof *c);
    c->model = parent->model; /* parent's views: read only, outlive the child */
    c->resid_only = 1;        /* no rows kept: the parent's listing is of small inputs only */
    c->stride = 1;
    if (!(c->qsel = mgcli_qsel_child(parent->qsel))) {
        c->status = MG_ENOMEM;
        return -1;
    }
    return 0;
}

int mgcli_diag_merge(mgcli_diag_acc *a, mgcli_diag_acc *child)
{
    a->split = 1;
    if (mgcli_qsel_merge(a->qsel, child->qsel) != 0) {
        a->status = MG_ENOMEM;
        return -1;
    }
    return 0;
}

void mgcli_diag_free(mgcli_diag_acc *a)
{
    mg_hc_free(a->hc);
    mgcli_qsel_free(a->qsel);
    free(a->resid);
    free(a->fitted);
    free(a->hat);
    free(a->row);
    free(a->fit_blk);
    free(a->se_blk);
    free(a->q_blk);
    memset(a, 0, sizeof *a);
}

#ifdef MATGRAD_CLI_MPI
#include "mpi_internal.h"

#include <limits.h>
#include <stdint.h>

/* The first pass's kept rows of every rank, in rank order.  Each rank
 * began its count of rows of nonzero weight (a->seen) at the rows of the
 * ranks before it (fit_mpi.c), so its choice of rows (every stride-th, or
 * the first MGCLI_QSEL_KEEP) and their positions are one process's. */
static int gather_kept(mgcli_diag_acc *a, MPI_Comm comm)
{
    int size;
    if (MPI_Comm_size(comm, &size) != MPI_SUCCESS)
        return -1;
    /* the last rank's count is the file's (ranks after the last row end
     * where it does): the largest */
    uint64_t seen = a->seen;
    if (MPI_Allreduce(MPI_IN_PLACE, &seen, 1, MPI_UINT64_T, MPI_MAX, comm) != MPI_SUCCESS)
        return -1;
    int *counts = malloc((size_t)size * sizeof *counts), *displs = malloc((size_t)size * sizeof *displs);
    double *pos = malloc((a->n + 1) * sizeof *pos);
    int ok = counts && displs && pos && a->n <= INT_MAX;
    if (MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
        ok = 0;
    int n = ok ? (int)a->n : 0;
    if (ok && MPI_Allgather(&n, 1, MPI_INT, counts, 1, MPI_INT, comm) != MPI_SUCCESS)
        ok = 0;
    size_t all = 0;
    for (int r = 0; ok && r < size; r++) {
        displs[r] = (int)all;
        all += (size_t)counts[r];
        ok = all <= INT_MAX;   /* the same on every rank */
    }
    double *buf = NULL;
    size_t *row = NULL;
    if (ok) {
        buf = malloc((4 * all + 1) * sizeof *buf);
        row = malloc((all + 1) * sizeof *row);
        ok = buf && row;
        if (MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
            ok = 0;
    }
    /* positions travel as doubles: exact below 2^53 */
    for (size_t i = 0; ok && i < a->n; i++)
        pos[i] = (double)a->row[i];
    const double *src[4] = { a->resid, a->fitted, a->hat, pos };
    for (int v = 0; ok && v < 4; v++)
        ok = MPI_Allgatherv(src[v], n, MPI_DOUBLE, buf + (size_t)v * all, counts, displs,
                            MPI_DOUBLE, comm) == MPI_SUCCESS;
    if (ok) {
        double *fitted = malloc((all + 1) * sizeof *fitted), *hat = malloc((all + 1) * sizeof *hat);
        ok = fitted && hat;
        if (ok) {
            memcpy(fitted, buf + all, all * sizeof *buf);
            memcpy(hat, buf + 2 * all, all * sizeof *buf);
            for (size_t i = 0; i < all; i++)
                row[i] = (size_t)buf[3 * all + i];
            free(a->resid);
            free(a->fitted);
            free(a->hat);
            free(a->row);
            a->resid = buf;   /* its first `all` values */
            a->fitted = fitted;
            a->hat = hat;
            a->row = row;
            a->n = a->cap = all;
            a->seen = (size_t)seen;
            buf = NULL;
            row = NULL;
        } else {
            free(fitted);
            free(hat);
        }
    }
    free(counts);
    free(displs);
    free(buf);
    free(pos);
    free(row);
    return ok ? 0 : -1;
}

/* The robust covariance states through the tree (mpi_internal.h): save
 * this rank's, load a child's into a spare state and merge it. */
typedef struct hc_ops {
    mg_hc *hc, *spare;
} hc_ops;

static mg_status hc_save(void *ctx, unsigned char *buf, size_t cap, size_t *len)
{
    const hc_ops *h = ctx;
    return mg_hc_save(h->hc, buf, cap, len);
}

static mg_status hc_absorb(void *ctx, const unsigned char *buf, size_t len, int merge)
{
    const hc_ops *h = ctx;
    if (!merge)
        return mg_hc_load(h->hc, buf, len);
    mg_status s = mg_hc_load(h->spare, buf, len);
    return s == MG_OK ? mg_hc_merge(h->hc, h->spare) : s;
}

/* Every rank's robust covariance sums merged into rank 0's, which every
 * rank then loads.  The spare state and the buffer are made before the
 * tree, and their failure agreed on (the tree needs every rank). */
static mg_status reduce_hc(mgcli_diag_acc *a, MPI_Comm comm)
{
    hc_ops h = { a->hc, NULL };
    const mg__mpi_image im = { hc_save, hc_absorb, &h };
    mg__mpi_fit t;
    memset(&t, 0, sizeof t);
    size_t size = 0;
    mg_status s = mg_hc_save_size(a->hc, &size);
    if (s == MG_OK)
        s = mg_hc_create(&a->model, 0, (mg_hc_type)a->hc_type, &h.spare);
    if (s == MG_OK)
        s = mg__mpi_attach_image(&t, comm, size);
    int64_t worst = (int64_t)s;
    if (MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT64_T, MPI_MAX, comm) != MPI_SUCCESS)
        worst = MG_EIO;
    s = (mg_status)worst;
    if (s == MG_OK)
        s = mg__mpi_reduce_image(&t, MG_OK, &im);
    if (worst == MG_OK)
        s = mg__mpi_share_image(&t, s, &im);
    mg__mpi_detach(&t);
    mg_hc_free(h.spare);
    return s;
}

int mgcli_diag_allreduce(mgcli_diag_acc *a, MPI_Comm comm)
{
    if (a->hc && !a->resid_only) {
        const mg_status s = reduce_hc(a, comm);
        if (s != MG_OK) {
            a->status = s;   /* the same on every rank */
            return -1;
        }
    }
    int ok = a->resid_only || gather_kept(a, comm) == 0;
    /* a failure after the messages is one rank's: agree before the next */
    if (MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
        ok = 0;
    if (ok)
        ok = mgcli_qsel_allreduce(a->qsel, comm) == 0;
    if (MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
        ok = 0;
    if (!ok)
        a->status = MG_ENOMEM;
    return ok ? 0 : -1;
}
#endif
