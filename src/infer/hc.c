/* SPDX-License-Identifier: BSD-3-Clause */
/* Heteroskedasticity-consistent covariances HC0..HC3 of one output's
 * coefficients (sandwich::vcovHC of an lm; docs/derivations.md, "Robust
 * covariances and prediction"), over the identified columns:
 *   V = C M C,  M = sum_i omega_i z_i z_i^T,
 *   e_i = y_i - z_i^T b,  h_i = w_i z_i^T C z_i,
 *   omega_i = w_i^2 e_i^2 a_i,  a_i = 1 (HC0, HC1), 1 / (1 - h_i) (HC2),
 *             1 / (1 - h_i)^2 (HC3),
 *   HC1: V scaled by n / (n - rank) at finish (n: rows of nonzero weight).
 * Rows of zero weight contribute nothing and are not counted in n.
 *
 * The state holds C_id and b_id (copies), the upper triangle of M, n and a
 * flag for a row of leverage 1; accumulate folds rows in blocks of
 * MG__INFER_BLOCK into M with one call of the packed Gram kernel per block
 * (kernels/gram_packed.h), on scratch allocated by create (no other call
 * but finish allocates).
 *
 * No OpenBLAS level-3 call: OpenBLAS runs dsyrk and dsymm (at any size)
 * and dgemm (above a size) on its threaded level-3 driver, which calls
 * exit(1) when it cannot allocate its job array (docs/reliability.md).
 * The Gram kernel is the library's replacement for dsyrk (the fit
 * engine's GRAM pass), with the same register-tiled BLAS-3 shape; the
 * products with C are level-2 (dgemv, and sym_mv for the symmetric ones:
 * no allocation), O(m^2) per row on a C that stays in cache. */
#include "model.h"

#include "image_bytes.h"
#include "kernels/gram_packed.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mg_hc {
    mg_hc_type type;
    int intercept;
    size_t p, k, m, m_id, output;
    size_t *idx;        /* m_id identified columns of Z */
    double *b;          /* m_id: coef[idx, output] */
    double *C;          /* m_id x m_id: cov_unscaled[idx, idx] */
    double *M;          /* m_id x m_id: upper triangle of sum omega_i z_i z_i^T */
    size_t n;           /* rows of nonzero weight */
    double c_inf;       /* || |C| ||_inf, for the leverage's rounding bound */
    int leverage_one;   /* some row had a leverage of 1 (leverage_slack) */
    /* Scratch for one block of rows: */
    double *Zb;         /* MG__INFER_BLOCK x m_id: z_i, then sqrt(omega_i) z_i */
    double *P;          /* the packed Gram kernel's panels for Zb */
    double *t;          /* m_id: C z_i (HC2, HC3) */
    double *r;          /* MG__INFER_BLOCK: y_i, then e_i */
    double *wb;         /* MG__INFER_BLOCK: w_i */
};

/* A row's leverage counts as 1 when 1 - h_i <= max(8 eps, dh_i), dh_i the
 * rounding bound of the computed h_i (two dot products of length m_id,
 * Higham's gamma model): |h^_i - h_i| <= gamma_(2m+1) w_i |z_i|^T |C| |z_i|
 * <= gamma_(2m+1) w_i ||z_i||_2^2 || |C| ||_inf (|C| symmetric, so its
 * 2-norm is at most its infinity norm).  Within that distance of 1 the
 * factor 1 / (1 - h_i) is not known to one digit, or infinite. */
static double leverage_slack(const mg_hc *hc, double w, const double *z)
{
    double zz = 0.0;
    for (size_t l = 0; l < hc->m_id; l++)
        zz += z[l] * z[l];
    double g = (double)(2 * hc->m_id + 2) * (DBL_EPSILON / 2.0);
    return fmax(8.0 * DBL_EPSILON, g * w * zz * hc->c_inf);
}

/* y = A x for a symmetric m x m A of which one triangle is read (upper:
 * A[a][b] for a <= b; else the lower).  Loops, not dsymv: OpenBLAS
 * (0.3.21) runs dsymv on its threads even for a small matrix, splitting
 * the sums by the thread count, so the last bits of V followed
 * OPENBLAS_NUM_THREADS (at m = 6 and 8; test_hc's thread_count_bitwise)
 * and the cores an MPI launcher binds, and a per-row call on a small C
 * may pay a thread handoff.  Each y_a is one sum in the order of b: the same bits
 * on any thread count.  Its error is dsymv's: gamma_m |A| |x|. */
static void sym_mv(const double *A, size_t m, int upper, const double *x, double *y)
{
    for (size_t a = 0; a < m; a++) {
        double s = 0.0;
        for (size_t b = 0; b < m; b++) {
            const size_t lo = a < b ? a : b, hi = a < b ? b : a;
            s += (upper ? A[lo * m + hi] : A[hi * m + lo]) * x[b];
        }
        y[a] = s;
    }
}

void mg_hc_free(mg_hc *hc)
{
    if (!hc)
        return;
    free(hc->idx);
    free(hc->b);
    free(hc->C);
    free(hc->M);
    free(hc->Zb);
    free(hc->P);
    free(hc->t);
    free(hc->r);
    free(hc->wb);
    free(hc);
}

/* Sizes are at least 1 so that malloc(0) never reads as a failure. */
static mg_status hc_alloc(mg_hc *hc)
{
    const size_t mi = hc->m_id ? hc->m_id : 1;
    hc->b = mg__alloc_doubles(mi, 1);
    hc->C = mg__alloc_doubles(mi, mi);
    hc->M = calloc(mi * mi, sizeof *hc->M);
    hc->Zb = mg__alloc_doubles(MG__INFER_BLOCK, mi);
    hc->P = mg__alloc_doubles(mg__gram_packed_len(MG__INFER_BLOCK, mi, 0), 1);
    hc->t = mg__alloc_doubles(mi, 1);
    hc->r = mg__alloc_doubles(MG__INFER_BLOCK, 1);
    hc->wb = mg__alloc_doubles(MG__INFER_BLOCK, 1);
    if (!hc->b || !hc->C || !hc->M || !hc->Zb || !hc->P || !hc->t || !hc->r || !hc->wb)
        return MG_ENOMEM;
    return MG_OK;
}

mg_status mg_hc_create(const mg_model *model, size_t output, mg_hc_type type, mg_hc **out)
{
    if (!out || !model)
        return MG_EINVAL;
    if (type != MG_HC0 && type != MG_HC1 && type != MG_HC2 && type != MG_HC3)
        return MG_EINVAL;
    MG__CHECK(mg__model_check(model, 1));
    if (output >= model->k)
        return MG_EINVAL;
    mg_hc *hc = calloc(1, sizeof *hc);
    if (!hc)
        return MG_ENOMEM;
    hc->type = type;
    hc->intercept = model->intercept != 0;
    hc->p = model->p;
    hc->k = model->k;
    hc->m = model->coef->rows;
    hc->output = output;
    hc->idx = malloc(hc->m * sizeof *hc->idx);
    if (!hc->idx) {
        mg_hc_free(hc);
        return MG_ENOMEM;
    }
    hc->m_id = mg__model_identified(model, hc->idx);
    if (hc_alloc(hc) != MG_OK) {
        mg_hc_free(hc);
        return MG_ENOMEM;
    }
    const mg_matrix *B = model->coef;
    for (size_t l = 0; l < hc->m_id; l++)
        hc->b[l] = B->data[hc->idx[l] * B->stride + output];
    mg__gather_sym(model->cov_unscaled, hc->idx, hc->m_id, hc->C);
    for (size_t a = 0; a < hc->m_id; a++) {
        double rs = 0.0;
        for (size_t b = 0; b < hc->m_id; b++)
            rs += fabs(hc->C[a * hc->m_id + b]);
        hc->c_inf = fmax(hc->c_inf, rs);
    }
    *out = hc;
    return MG_OK;
}

/* ---- accumulate ---- */

static mg_status check_rows(const mg_hc *hc, const mg_matrix *X, const mg_matrix *Y,
                            const mg_matrix *w)
{
    if (!hc || !Y || (hc->p > 0 && !X))
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(Y));
    if (X)
        MG__CHECK(mg_matrix_check(X));
    if (w)
        MG__CHECK(mg_matrix_check(w));
    const size_t N = Y->rows;
    if (Y->cols != hc->k || (X && (X->rows != N || X->cols != hc->p)) ||
        (w && (w->rows != N || w->cols != 1)))
        return MG_EDIM;
    if ((X && !mg__all_finite(X->data, N, X->cols, X->stride)) ||
        !mg__all_finite(Y->data + hc->output, N, 1, Y->stride) ||
        (w && !mg__all_finite(w->data, N, 1, w->stride)))
        return MG_ENONFINITE;
    for (size_t i = 0; w && i < N; i++)
        if (w->data[i * w->stride] < 0.0)
            return MG_EINVAL;
    return MG_OK;
}

/* sqrt(a_i) of the type from the leverage h_i; 0 (with the flag set) for a
 * leverage of 1, where a_i is undefined and finish refuses. */
static double sqrt_a(mg_hc *hc, double h, double slack)
{
    if (hc->type < MG_HC2)
        return 1.0;
    if (1.0 - h <= slack) {
        hc->leverage_one = 1;
        return 0.0;
    }
    return hc->type == MG_HC2 ? 1.0 / sqrt(1.0 - h) : 1.0 / (1.0 - h);
}

/* hs[r] = h_i = w_i z_i^T C z_i for the block's rows, slack[r] its
 * rounding bound (leverage_slack). */
static void block_leverage(const mg_hc *hc, size_t nb, double *hs, double *slack)
{
    const size_t mi = hc->m_id;
    for (size_t r = 0; r < nb; r++) {
        const double *z = hc->Zb + r * mi;
        /* t = C z_i   (C symmetric: its lower triangle is read) */
        sym_mv(hc->C, mi, 0, z, hc->t);
        double v = 0.0;
        for (size_t l = 0; l < mi; l++)
            v += hc->t[l] * z[l];
        hs[r] = hc->wb[r] * v;
        slack[r] = leverage_slack(hc, hc->wb[r], hc->Zb + r * mi);
    }
}

/* Folds the nb gathered rows (Zb, r = y, wb) into M. */
static void fold_block(mg_hc *hc, size_t nb)
{
    const size_t mi = hc->m_id;
    hc->n += nb;
    if (mi == 0)
        return; /* nothing identified: the rows only count */
    /* e = y - Z_b b */
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)nb, (int)mi, -1.0, hc->Zb, (int)mi, hc->b, 1,
                1.0, hc->r, 1);
    double hs[MG__INFER_BLOCK] = { 0 }, slack[MG__INFER_BLOCK] = { 0 };
    if (hc->type >= MG_HC2)
        block_leverage(hc, nb, hs, slack);
    for (size_t r = 0; r < nb; r++) {
        /* sqrt(omega_i) = |w_i e_i| sqrt(a_i): the row of W E A^(1/2) Z */
        double s = fabs(hc->wb[r] * hc->r[r]) * sqrt_a(hc, hs[r], slack[r]);
        for (size_t l = 0; l < mi; l++)
            hc->Zb[r * mi + l] *= s;
    }
    /* M += S^T S,  S = diag(sqrt(omega)) Z_b   (upper triangle) */
    mg__gram_packed_block(hc->Zb, mi, NULL, 0, nb, mi, 0, hc->M, mi, hc->P, NULL, 0, NULL, NULL);
}

mg_status mg_hc_accumulate(mg_hc *hc, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w)
{
    MG__CHECK(check_rows(hc, X, Y, w));
    const size_t mi = hc->m_id;
    size_t nb = 0;
    for (size_t i = 0; i < Y->rows; i++) {
        double wi = w ? w->data[i * w->stride] : 1.0;
        if (wi == 0.0)
            continue; /* no contribution, and not one of the n rows */
        mg__gather_z(X ? X->data + i * X->stride : NULL, hc->intercept, hc->idx, mi,
                     hc->Zb + nb * mi);
        hc->r[nb] = Y->data[i * Y->stride + hc->output];
        hc->wb[nb] = wi;
        if (++nb == MG__INFER_BLOCK) {
            fold_block(hc, nb);
            nb = 0;
        }
    }
    if (nb > 0)
        fold_block(hc, nb);
    return MG_OK;
}

/* ---- merge ---- */

static int same_model(const mg_hc *a, const mg_hc *b)
{
    if (a->type != b->type || a->intercept != b->intercept || a->p != b->p || a->k != b->k ||
        a->m != b->m || a->m_id != b->m_id || a->output != b->output)
        return 0;
    const size_t mi = a->m_id;
    return memcmp(a->idx, b->idx, mi * sizeof *a->idx) == 0 &&
           memcmp(a->b, b->b, mi * sizeof *a->b) == 0 &&
           memcmp(a->C, b->C, mi * mi * sizeof *a->C) == 0;
}

mg_status mg_hc_merge(mg_hc *dst, const mg_hc *src)
{
    if (!dst || !src || dst == src || !same_model(dst, src))
        return MG_EINVAL;
    for (size_t l = 0; l < dst->m_id * dst->m_id; l++)
        dst->M[l] += src->M[l];
    dst->n += src->n;
    dst->leverage_one |= src->leverage_one;
    return MG_OK;
}

/* ---- finish ---- */

/* Vid = C M C (symmetrised), scaled by HC1's n / (n - rank); MG_ERANGE if
 * not finite (finite data whose meat overflowed).  One symmetric product
 * per column (sym_mv, not dsymm or dsymv: see there and the file
 * comment).  col: m_id scratch for a column of C. */
static mg_status sandwich(const mg_hc *hc, double *UT, double *Vid, double *col)
{
    const int mi = (int)hc->m_id;
    for (int c = 0; c < mi; c++) {
        /* C(:, c) from C's lower triangle */
        for (int b = 0; b < mi; b++)
            col[b] = b >= c ? hc->C[b * mi + c] : hc->C[c * mi + b];
        /* row c of U^T = M C(:, c),  U = M C   (M: the upper triangle the
         * Gram kernel wrote) */
        sym_mv(hc->M, hc->m_id, 1, col, UT + c * mi);
    }
    for (int c = 0; c < mi; c++)
        /* row c of V^T = C U(:, c) = (C M C)(:, c)   (C's lower triangle) */
        sym_mv(hc->C, hc->m_id, 0, UT + c * mi, Vid + c * mi);
    const double f =
        hc->type == MG_HC1 ? (double)hc->n / (double)(hc->n - hc->m_id) : 1.0;
    /* The two triangles differ by rounding; their mean is as accurate and
     * makes V exactly symmetric (a covariance callers may factor). */
    for (int a = 0; a < mi; a++)
        for (int b = 0; b <= a; b++) {
            double v = f * (0.5 * (Vid[a * mi + b] + Vid[b * mi + a]));
            if (!isfinite(v))
                return MG_ERANGE;
            Vid[a * mi + b] = Vid[b * mi + a] = v;
        }
    return MG_OK;
}

static void write_v(const mg_hc *hc, const double *Vid, mg_matrix *V)
{
    for (size_t a = 0; a < hc->m; a++)
        for (size_t b = 0; b < hc->m; b++)
            V->data[a * V->stride + b] = NAN;
    for (size_t a = 0; a < hc->m_id; a++)
        for (size_t b = 0; b < hc->m_id; b++)
            V->data[hc->idx[a] * V->stride + hc->idx[b]] = Vid[a * hc->m_id + b];
}

static mg_status check_finish(const mg_hc *hc, const mg_matrix *V)
{
    if (!hc || !V)
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(V));
    if (V->rows != hc->m || V->cols != hc->m)
        return MG_EDIM;
    if (hc->n == 0)
        return MG_EINVAL;
    /* HC2, HC3: 1 / (1 - h_i) at h_i = 1; HC1: n / (n - rank) without
     * residual degrees of freedom. */
    if ((hc->type >= MG_HC2 && hc->leverage_one) || (hc->type == MG_HC1 && hc->n <= hc->m_id))
        return MG_ERANGE;
    return MG_OK;
}

mg_status mg_hc_finish(const mg_hc *hc, mg_matrix *V)
{
    MG__CHECK(check_finish(hc, V));
    const size_t mi = hc->m_id ? hc->m_id : 1;
    double *T2 = mg__alloc_doubles(mi, mi), *Vid = mg__alloc_doubles(mi, mi);
    double *col = mg__alloc_doubles(mi, 1);
    mg_status st = T2 && Vid && col ? MG_OK : MG_ENOMEM;
    if (st == MG_OK && hc->m_id > 0)
        st = sandwich(hc, T2, Vid, col);
    if (st == MG_OK)
        write_v(hc, Vid, V);
    free(T2);
    free(Vid);
    free(col);
    return st;
}

mg_status mg_hc_cov(const mg_model *model, size_t output, mg_hc_type type, const mg_matrix *X,
                    const mg_matrix *Y, const mg_matrix *w, mg_matrix *V)
{
    /* V first: a bad output should not cost a pass over the rows. */
    if (!V)
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(V));
    mg_hc *hc = NULL;
    MG__CHECK(mg_hc_create(model, output, type, &hc));
    mg_status st = mg_hc_accumulate(hc, X, Y, w);
    if (st == MG_OK)
        st = mg_hc_finish(hc, V);
    mg_hc_free(hc);
    return st;
}

/* ---- image ----
 *
 * A portable byte image of a state (format version 1), with the fit
 * engine's conventions (src/fit/serialize.c):
 *   magic "MGHC\0\0\r\n" (8 bytes: the CR LF catches text-mode mangling)
 *   u64 version, type, intercept, p, k, m, output, m_id, n, leverage_one
 *   u64 idx (m_id values: the identified columns of Z)
 *   f64 b (m_id), C (m_id x m_id, row-major), M (m_id x m_id, row-major,
 *       both triangles as held: the lower is the zeros create left)
 *   u64 FNV-1a (64-bit) hash of every byte before it
 * u64 is 8 bytes little-endian, f64 the little-endian byte order of the
 * binary64 bit pattern.  The model (idx, b, C) travels with the sums so
 * that a load can refuse an image of another model exactly as merge
 * refuses its state; the scratch does not travel (create made it). */

enum { HC_VERSION = 1, HC_HEADER = 8 + 10 * 8 };
static const unsigned char HC_MAGIC[8] = { 'M', 'G', 'H', 'C', 0, 0, '\r', '\n' };

static void put_f64s(unsigned char **p, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mg__put_f64(p, x[i]);
}

/* The bytes of an image with m_id identified columns: header, idx, b, C,
 * M, hash.  0 when the count would overflow (an image that claims such a
 * shape is damaged). */
static size_t image_bytes(uint64_t m_id)
{
    const size_t most = (SIZE_MAX - HC_HEADER - 8) / 16;
    if (m_id > most || (m_id > 0 && m_id > (most - m_id) / m_id))
        return 0;
    /* idx and b: 2 m_id words; C and M: 2 m_id^2 */
    return HC_HEADER + 16 * ((size_t)m_id * (size_t)m_id + (size_t)m_id) + 8;
}

mg_status mg_hc_save_size(const mg_hc *hc, size_t *size)
{
    if (!hc || !size)
        return MG_EINVAL;
    const size_t s = image_bytes(hc->m_id);
    if (s == 0)
        return MG_ENOMEM;
    *size = s;
    return MG_OK;
}

mg_status mg_hc_save(const mg_hc *hc, void *buf, size_t cap, size_t *len)
{
    size_t need = 0;
    if (!buf || !len)
        return MG_EINVAL;
    MG__CHECK(mg_hc_save_size(hc, &need));
    if (cap < need)
        return MG_EINVAL;
    unsigned char *p = buf;
    memcpy(p, HC_MAGIC, sizeof HC_MAGIC);
    p += sizeof HC_MAGIC;
    const uint64_t head[10] = { HC_VERSION, (uint64_t)hc->type, (uint64_t)hc->intercept, hc->p,
                                hc->k, hc->m, hc->output, hc->m_id, hc->n,
                                (uint64_t)hc->leverage_one };
    for (int i = 0; i < 10; i++)
        mg__put_u64(&p, head[i]);
    const size_t mi = hc->m_id;
    for (size_t l = 0; l < mi; l++)
        mg__put_u64(&p, hc->idx[l]);
    put_f64s(&p, hc->b, mi);
    put_f64s(&p, hc->C, mi * mi);
    put_f64s(&p, hc->M, mi * mi);
    mg__put_u64(&p, mg__fnv1a(buf, need - 8));
    *len = need;
    return MG_OK;
}

/* The image's header, its length and its hash: MG_EPARSE unless whole
 * and intact.  head[] gets the 10 header words. */
static mg_status image_check(const unsigned char *b, size_t len, uint64_t head[10])
{
    if (len < HC_HEADER || memcmp(b, HC_MAGIC, sizeof HC_MAGIC) != 0)
        return MG_EPARSE;
    const unsigned char *p = b + sizeof HC_MAGIC;
    for (int i = 0; i < 10; i++)
        head[i] = mg__get_u64(&p);
    const size_t want = image_bytes(head[7]);
    if (head[0] != HC_VERSION || want == 0 || len != want)
        return MG_EPARSE;
    const unsigned char *h = b + len - 8;
    if (mg__get_u64(&h) != mg__fnv1a(b, len - 8))
        return MG_EPARSE;
    /* an intact image of a state that could not exist */
    if (head[1] > MG_HC3 || head[2] > 1 || head[6] >= head[4] || head[5] != head[3] + head[2] ||
        head[7] > head[5] || head[9] > 1 || (size_t)head[8] != head[8])
        return MG_EPARSE;
    return MG_OK;
}

/* The image's model against the state's: MG_EDIM for another shape of
 * design (p, k, intercept), MG_EINVAL for another model of that shape
 * (type, output, identified columns, coefficients or C, compared bit for
 * bit as mg_hc_merge does). */
static mg_status image_model(const mg_hc *hc, const unsigned char *b, const uint64_t head[10])
{
    if (head[3] != hc->p || head[4] != hc->k || head[2] != (uint64_t)hc->intercept)
        return MG_EDIM;
    if (head[1] != (uint64_t)hc->type || head[6] != hc->output || head[7] != hc->m_id)
        return MG_EINVAL;
    const size_t mi = hc->m_id;
    const unsigned char *p = b + HC_HEADER;
    for (size_t l = 0; l < mi; l++)
        if (mg__get_u64(&p) != hc->idx[l])
            return MG_EINVAL;
    for (size_t l = 0; l < mi; l++) {
        const double x = mg__get_f64(&p);
        if (memcmp(&x, &hc->b[l], sizeof x) != 0)
            return MG_EINVAL;
    }
    for (size_t l = 0; l < mi * mi; l++) {
        const double x = mg__get_f64(&p);
        if (memcmp(&x, &hc->C[l], sizeof x) != 0)
            return MG_EINVAL;
    }
    return MG_OK;
}

mg_status mg_hc_load(mg_hc *hc, const void *buf, size_t len)
{
    if (!hc || !buf)
        return MG_EINVAL;
    uint64_t head[10];
    MG__CHECK(image_check(buf, len, head));
    MG__CHECK(image_model(hc, buf, head));
    /* the sums: after idx, b and C */
    const size_t mi = hc->m_id;
    const unsigned char *p = (const unsigned char *)buf + HC_HEADER + 8 * (2 * mi + mi * mi);
    for (size_t l = 0; l < mi * mi; l++)
        hc->M[l] = mg__get_f64(&p);
    hc->n = (size_t)head[8];
    hc->leverage_one = (int)head[9];
    return MG_OK;
}
