/* SPDX-License-Identifier: BSD-3-Clause */
/* fit engine: save/load (round trip bitwise, truncated and corrupted
 * images rejected), determinism, weights against repeated rows, rank
 * deficiency, standard errors against the exact rational solution, and
 * every error status. */
#include "mgtest.h"
#include "ref_lstsq.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A small random problem: X (N x p, stride p + 1), Y (N x k), weights. */
typedef struct data { size_t N, p, k; mgt_mat X, Y, w; } data;

static data make(uint64_t seed, size_t N, size_t p, size_t k)
{
    mgt_rng r = mgt_rng_seed(seed);
    data d = { N, p, k, mgt_random(&r, N, p, 1), mgt_random(&r, N, k, 0), mgt_alloc(N, 1, 0) };
    for (size_t i = 0; i < N; i++) {
        *mg_at(&d.w.v, i, 0) = (double)mgt_below(&r, 4);
        for (size_t c = 0; c < k; c++)
            *mg_at(&d.Y.v, i, c) += 3.0 * mgt_get(&d.X.v, i, 0) - (double)c;
    }
    return d;
}

static void data_free(data *d)
{
    mgt_free(&d->X); mgt_free(&d->Y); mgt_free(&d->w);
}

static mg_matrix rows(const mg_matrix *m, size_t i0, size_t n)
{
    return mg_matrix_block(m, i0, 0, n, m->cols);
}

static mg_fit *new_fit_x(size_t p, size_t k, mg_fit_kind kind, int ic, int exact)
{
    mg_fit_options o = mg_fit_defaults();
    o.kind = kind;
    o.intercept = ic;
    o.exact = exact;
    mg_fit *f = NULL;
    ck_assert_int_eq(mg_fit_create(p, k, &o, &f), MG_OK);
    return f;
}

static mg_fit *new_fit(size_t p, size_t k, mg_fit_kind kind, int ic)
{
    mg_fit_options o = mg_fit_defaults();
    o.kind = kind;
    o.intercept = ic;
    mg_fit *f = NULL;
    ck_assert_int_eq(mg_fit_create(p, k, &o, &f), MG_OK);
    return f;
}

/* A copy of the state's image (to check "unchanged" bitwise). */
static unsigned char *image(const mg_fit *f, size_t *len)
{
    size_t n = 0;
    ck_assert_int_eq(mg_fit_save_size(f, &n), MG_OK);
    unsigned char *b = malloc(n);
    ck_assert_int_eq(mg_fit_save(f, b, n, len), MG_OK);
    ck_assert_uint_eq(*len, n);
    return b;
}

static void assert_image(const mg_fit *f, const unsigned char *want, size_t want_len)
{
    size_t len;
    unsigned char *b = image(f, &len);
    ck_assert_uint_eq(len, want_len);
    ck_assert(memcmp(b, want, len) == 0);
    free(b);
}

static void feed(mg_fit *f, const data *d, size_t i0, size_t n, int weighted)
{
    mg_matrix X = rows(&d->X.v, i0, n), Y = rows(&d->Y.v, i0, n), w = rows(&d->w.v, i0, n);
    ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, weighted ? &w : NULL), MG_OK);
}

static void replay(mg_fit *f, const data *d, size_t i0, size_t n, int weighted)
{
    mg_matrix X = rows(&d->X.v, i0, n), Y = rows(&d->Y.v, i0, n), w = rows(&d->w.v, i0, n);
    ck_assert_int_eq(mg_fit_refine_accumulate(f, &X, &Y, weighted ? &w : NULL), MG_OK);
}

/* Save half-way, load into a fresh state, continue both: every later
 * result is bitwise the same (loading restores the exact doubles). */
START_TEST(save_load_round_trip)
{
    for (int variant = 0; variant < 4; variant++) {
        const int kind = variant % 2, exact = variant / 2;
        data d = make(5, 300, 4, 2);
        mg_fit *a = new_fit_x(4, 2, (mg_fit_kind)kind, 1, exact),
               *b = new_fit_x(4, 2, (mg_fit_kind)kind, 1, exact);
        feed(a, &d, 0, 150, 1);
        size_t len;
        unsigned char *img = image(a, &len);
        size_t p, k;
        mg_fit_options o;
        ck_assert_int_eq(mg_fit_peek(img, len, &p, &k, &o), MG_OK);
        ck_assert_uint_eq(p, 4);
        ck_assert_uint_eq(k, 2);
        ck_assert_int_eq((int)o.kind, kind);
        ck_assert_int_eq(o.intercept, 1);
        ck_assert_int_eq(o.exact, exact);
        ck_assert_int_eq(mg_fit_load(b, img, len), MG_OK);
        assert_image(b, img, len);
        if (exact) {
            /* an image holds the exact sums' total (their partial levels
             * folded, exact.c): continuing from it is the same problem, not
             * the same bits; both refine to the exact solution */
            mg_fit *t = new_fit_x(4, 2, (mg_fit_kind)kind, 1, 0);
            ck_assert_int_eq(mg_fit_load(t, img, len), MG_EINVAL);
            mg_fit_free(t);
        }
        feed(a, &d, 150, 150, 1);
        feed(b, &d, 150, 150, 1);
        mgt_mat Ba = mgt_alloc(5, 2, 0), Bb = mgt_alloc(5, 2, 0);
        ck_assert_int_eq(mg_fit_finish(a, &Ba.v, NULL), MG_OK);
        ck_assert_int_eq(mg_fit_finish(b, &Bb.v, NULL), MG_OK);
        if (exact)
            /* both are the exact solution rounded: 1 ulp apart at most */
            ck_assert_double_le(mgt_rel_err(&Ba.v, &Bb.v), 2.0 * DBL_EPSILON);
        else
            ck_assert(memcmp(Ba.buf, Bb.buf, Ba.len * sizeof(double)) == 0);

        /* a replay split across an image: half in a, saved, loaded into c,
         * the other half in b; c + b must give a's single-state answer */
        mg_fit *c = new_fit_x(4, 2, (mg_fit_kind)kind, 1, exact);
        ck_assert_int_eq(mg_fit_refine_begin(a, &Ba.v), MG_OK);
        replay(a, &d, 0, 100, 1);
        free(img);
        img = image(a, &len);
        ck_assert_int_eq(mg_fit_load(c, img, len), MG_OK);
        replay(a, &d, 100, 200, 1);
        ck_assert_int_eq(mg_fit_refine_begin(b, &Ba.v), MG_OK);
        replay(b, &d, 100, 200, 1);
        ck_assert_int_eq(mg_fit_refine_merge(c, b), MG_OK);
        mgt_mat Ra = mgt_alloc(5, 2, 0), Rc = mgt_alloc(5, 2, 0);
        ck_assert_int_eq(mg_fit_refine_end(a, &Ra.v, NULL), MG_OK);
        ck_assert_int_eq(mg_fit_refine_end(c, &Rc.v, NULL), MG_OK);
        /* the replay sums are added in a different order (a: rows in
         * sequence; c: two halves merged), in double-double: the corrections
         * agree to ~eps^2 relative, so B (rounded once) to 1 ulp */
        ck_assert_double_le(mgt_rel_err(&Rc.v, &Ra.v), 2.0 * DBL_EPSILON);
        mgt_free(&Ba); mgt_free(&Bb); mgt_free(&Ra); mgt_free(&Rc);
        free(img);
        mg_fit_free(a); mg_fit_free(b); mg_fit_free(c);
        data_free(&d);
    }
}
END_TEST

/* The byte layout is fixed: magic, little-endian integers and doubles. */
START_TEST(save_layout_little_endian)
{
    mg_fit *f = new_fit(1, 1, MG_FIT_GRAM, 0);
    double xv[1] = { 3.0 }, yv[1] = { 5.0 };
    mg_matrix X = mg_matrix_view(xv, 1, 1), Y = mg_matrix_view(yv, 1, 1);
    ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, NULL), MG_OK);
    size_t len;
    unsigned char *b = image(f, &len);
    static const unsigned char magic[8] = { 'M', 'G', 'F', 'I', 'T', 0, '\r', '\n' };
    ck_assert(memcmp(b, magic, 8) == 0);
    ck_assert_int_eq(b[8], 2);        /* version 2, least significant byte first */
    ck_assert_int_eq(b[32], 1);       /* p */
    ck_assert_int_eq(b[40], 1);       /* k */
    /* S_00 = x^2 = 9 = 0x4022000000000000, bytes reversed */
    static const unsigned char nine[8] = { 0, 0, 0, 0, 0, 0, 0x22, 0x40 };
    ck_assert(memcmp(b + 104, nine, 8) == 0);
    free(b);
    mg_fit_free(f);
}
END_TEST

static uint64_t fnv1a(const unsigned char *b, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}

static void put_hash(unsigned char *b, size_t len)
{
    const uint64_t h = fnv1a(b, len - 8);
    for (int i = 0; i < 8; i++)
        b[len - 8 + (size_t)i] = (unsigned char)(h >> (8 * i));
}

/* Every truncation and every single corrupted byte is rejected, and the
 * target state is left as it was. */
START_TEST(load_rejects_bad_images)
{
    data d = make(9, 40, 2, 1);
    mg_fit *src = new_fit(2, 1, MG_FIT_QR, 1), *dst = new_fit(2, 1, MG_FIT_QR, 1);
    feed(src, &d, 0, 40, 0);
    feed(dst, &d, 0, 10, 0);
    size_t len, dlen;
    unsigned char *img = image(src, &len), *before = image(dst, &dlen);
    unsigned char *bad = malloc(len);
    for (size_t n = 0; n < len; n++) {
        memcpy(bad, img, n);
        ck_assert_int_eq(mg_fit_load(dst, bad, n), MG_EPARSE);
        ck_assert_int_eq(mg_fit_peek(bad, n, NULL, NULL, NULL), MG_EPARSE);
    }
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, img, len);
        bad[i] ^= 0x5a;
        ck_assert_int_eq(mg_fit_load(dst, bad, len), MG_EPARSE);
    }
    assert_image(dst, before, dlen);
    /* a well-formed image (valid hash) with a NaN sum */
    memcpy(bad, img, len);
    const double nan = NAN;
    memcpy(bad + 104, &nan, 8); /* the test machine is little-endian x86-64 */
    put_hash(bad, len);
    ck_assert_int_eq(mg_fit_load(dst, bad, len), MG_ENONFINITE);
    /* nonzero rows > rows */
    memcpy(bad, img, len);
    bad[80] = 0xff;
    put_hash(bad, len);
    ck_assert_int_eq(mg_fit_load(dst, bad, len), MG_EPARSE);
    assert_image(dst, before, dlen);
    /* shape and options must match the state */
    mg_fit *p3 = new_fit(3, 1, MG_FIT_QR, 1), *gram = new_fit(2, 1, MG_FIT_GRAM, 1),
           *noic = new_fit(2, 1, MG_FIT_QR, 0);
    ck_assert_int_eq(mg_fit_load(p3, img, len), MG_EDIM);
    ck_assert_int_eq(mg_fit_load(gram, img, len), MG_EINVAL);
    ck_assert_int_eq(mg_fit_load(noic, img, len), MG_EINVAL);
    ck_assert_int_eq(mg_fit_load(NULL, img, len), MG_EINVAL);
    ck_assert_int_eq(mg_fit_load(dst, NULL, len), MG_EINVAL);
    size_t got;
    ck_assert_int_eq(mg_fit_save(src, bad, len - 1, &got), MG_EINVAL);
    ck_assert_int_eq(mg_fit_save(NULL, bad, len, &got), MG_EINVAL);
    ck_assert_int_eq(mg_fit_save_size(NULL, &got), MG_EINVAL);
    mg_fit_free(p3); mg_fit_free(gram); mg_fit_free(noic);
    free(bad); free(img); free(before);
    mg_fit_free(src); mg_fit_free(dst);
    data_free(&d);
}
END_TEST

/* The same sequence of calls gives bitwise the same answer. */
START_TEST(deterministic)
{
    data d = make(11, 2000, 6, 2);
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++) {
        mgt_mat B[2] = { mgt_alloc(7, 2, 0), mgt_alloc(7, 2, 0) };
        for (int run = 0; run < 2; run++) {
            mg_fit *f = new_fit(6, 2, (mg_fit_kind)kind, 1), *g = new_fit(6, 2, (mg_fit_kind)kind, 1);
            feed(f, &d, 0, 700, 1);
            feed(g, &d, 700, 1300, 1);
            ck_assert_int_eq(mg_fit_merge(f, g), MG_OK);
            ck_assert_int_eq(mg_fit_finish(f, &B[run].v, NULL), MG_OK);
            ck_assert_int_eq(mg_fit_refine_begin(f, &B[run].v), MG_OK);
            replay(f, &d, 0, 2000, 1);
            ck_assert_int_eq(mg_fit_refine_end(f, &B[run].v, NULL), MG_OK);
            mg_fit_free(f);
            mg_fit_free(g);
        }
        ck_assert(memcmp(B[0].buf, B[1].buf, B[0].len * sizeof(double)) == 0);
        /* a reset state is a fresh one: reuse gives the same bits */
        mg_fit *f = new_fit(6, 2, (mg_fit_kind)kind, 1);
        feed(f, &d, 0, 2000, 0);
        ck_assert_int_eq(mg_fit_refine_begin(f, &B[0].v), MG_OK);
        ck_assert_int_eq(mg_fit_reset(f), MG_OK);
        size_t n_rows = 1, n_nz = 1;
        ck_assert_int_eq(mg_fit_rows(f, &n_rows, &n_nz), MG_OK);
        ck_assert_uint_eq(n_rows + n_nz, 0);
        ck_assert_int_eq(mg_fit_refine_end(f, &B[0].v, NULL), MG_EINVAL);
        feed(f, &d, 0, 700, 1);
        mg_fit *g = new_fit(6, 2, (mg_fit_kind)kind, 1);
        feed(g, &d, 700, 1300, 1);
        ck_assert_int_eq(mg_fit_merge(f, g), MG_OK);
        ck_assert_int_eq(mg_fit_finish(f, &B[0].v, NULL), MG_OK);
        ck_assert_int_eq(mg_fit_refine_begin(f, &B[0].v), MG_OK);
        replay(f, &d, 0, 2000, 1);
        ck_assert_int_eq(mg_fit_refine_end(f, &B[0].v, NULL), MG_OK);
        ck_assert(memcmp(B[0].buf, B[1].buf, B[0].len * sizeof(double)) == 0);
        mg_fit_free(f);
        mg_fit_free(g);
        mgt_free(&B[0]);
        mgt_free(&B[1]);
    }
    data_free(&d);
}
END_TEST

/* Refines to convergence; returns the status. */
static mg_status solve(mg_fit *f, const data *d, int weighted, mg_matrix *B)
{
    mg_status s = mg_fit_finish(f, B, NULL);
    int done = 0;
    for (int it = 0; s == MG_OK && !done; it++) {
        ck_assert_int_lt(it, 40);
        ck_assert_int_eq(mg_fit_refine_begin(f, B), MG_OK);
        replay(f, d, 0, d->N, weighted);
        s = mg_fit_refine_end(f, B, &done);
    }
    return s;
}

/* An integer weight is the row repeated (lm(weights=) semantics): the same
 * exact least-squares problem, so both refined answers are the exact one
 * rounded (a few ulps each: 1e-15 normwise covers both); R^2 is the same
 * statistic (RSS and TSS scale alike), df differs: n_nonzero - rank for
 * weights, sum(w) - rank for repeats. */
START_TEST(weights_are_repeats)
{
    data d = make(13, 60, 3, 1);
    size_t reps = 0;
    for (size_t i = 0; i < d.N; i++)
        reps += (size_t)mgt_get(&d.w.v, i, 0);
    data r = { reps, 3, 1, mgt_alloc(reps, 3, 1), mgt_alloc(reps, 1, 0), mgt_alloc(reps, 1, 0) };
    size_t at = 0, nz = 0;
    for (size_t i = 0; i < d.N; i++) {
        const size_t w = (size_t)mgt_get(&d.w.v, i, 0);
        nz += w > 0;
        for (size_t t = 0; t < w; t++, at++) {
            for (size_t j = 0; j < 3; j++)
                *mg_at(&r.X.v, at, j) = mgt_get(&d.X.v, i, j);
            *mg_at(&r.Y.v, at, 0) = mgt_get(&d.Y.v, i, 0);
        }
    }
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++) {
        mg_fit *fw = new_fit(3, 1, (mg_fit_kind)kind, 1), *fr = new_fit(3, 1, (mg_fit_kind)kind, 1);
        feed(fw, &d, 0, d.N, 1);
        feed(fr, &r, 0, r.N, 0);
        size_t rows_w, nz_w;
        ck_assert_int_eq(mg_fit_rows(fw, &rows_w, &nz_w), MG_OK);
        ck_assert_uint_eq(rows_w, d.N);
        ck_assert_uint_eq(nz_w, nz);
        mgt_mat Bw = mgt_alloc(4, 1, 0), Br = mgt_alloc(4, 1, 0);
        ck_assert_int_eq(solve(fw, &d, 1, &Bw.v), MG_OK);
        ck_assert_int_eq(solve(fr, &r, 0, &Br.v), MG_OK);
        ck_assert_double_le(mgt_rel_err(&Bw.v, &Br.v), 1e-15);
        double r2w, r2r;
        mg_lstsq_result rw = { 0 }, rr = { 0 };
        rw.r_squared = &r2w;
        rr.r_squared = &r2r;
        ck_assert_int_eq(mg_fit_finish(fw, &Bw.v, &rw), MG_OK);
        ck_assert_int_eq(mg_fit_finish(fr, &Br.v, &rr), MG_OK);
        ck_assert_uint_eq(rw.df_residual, nz - 4);
        ck_assert_uint_eq(rr.df_residual, reps - 4);
        /* RSS refined (a few eps), TSS from the state (relative error about
         * (blocks + q) eps, sqrt(w) rounding included): 1e-12 absolute on an
         * R^2 of order 1 is 4500 eps */
        ck_assert_double_le(fabs(r2w - r2r), 1e-12);
        mgt_free(&Bw); mgt_free(&Br);
        mg_fit_free(fw); mg_fit_free(fr);
    }
    data_free(&r);
    data_free(&d);
}
END_TEST

/* Columns [a a b]: the minimum-norm solution splits a's coefficient evenly.
 * y = 2 beta a + gamma b + (+-e) pairs: B* = (beta, beta, gamma) exactly.
 * QR reports rank 2 (SVD path); GRAM refuses (a singular Gram matrix). */
START_TEST(rank_deficient)
{
    enum { H = 30, N = 2 * H };
    mgt_rng g = mgt_rng_seed(17);
    mgt_mat X = mgt_alloc(N, 3, 0), Y = mgt_alloc(N, 1, 0);
    const double beta = 3.0, gamma = -5.0;
    for (size_t i = 0; i < H; i++) {
        const double a = (double)mgt_below(&g, 33) - 16.0, b = (double)mgt_below(&g, 33) - 16.0;
        const double e = (double)mgt_below(&g, 9) - 4.0;
        for (size_t t = 0; t < 2; t++) {
            *mg_at(&X.v, i + t * H, 0) = a;
            *mg_at(&X.v, i + t * H, 1) = a;
            *mg_at(&X.v, i + t * H, 2) = b;
            *mg_at(&Y.v, i + t * H, 0) = 2.0 * beta * a + gamma * b + (t ? -e : e);
        }
    }
    mg_fit *q = new_fit(3, 1, MG_FIT_QR, 0), *gr = new_fit(3, 1, MG_FIT_GRAM, 0);
    ck_assert_int_eq(mg_fit_accumulate(q, &X.v, &Y.v, NULL), MG_OK);
    ck_assert_int_eq(mg_fit_accumulate(gr, &X.v, &Y.v, NULL), MG_OK);
    mgt_mat B = mgt_alloc(3, 1, 0), SE = mgt_alloc(3, 1, 0);
    ck_assert_int_eq(mg_fit_finish(gr, &B.v, NULL), MG_ENOTPD);
    mg_lstsq_result res = { 0 };
    res.std_err = &SE.v;
    ck_assert_int_eq(mg_fit_finish(q, &B.v, &res), MG_OK);
    ck_assert_uint_eq(res.rank, 2);
    ck_assert_int_eq(res.method, MG_LSTSQ_SVD);
    ck_assert_uint_eq(res.df_residual, N - 2);
    /* the pseudo-inverse solve of the 3 x 3 factor: kappa(kept part) eps */
    const double want[3] = { beta, beta, gamma };
    for (size_t j = 0; j < 3; j++)
        ck_assert_double_le(fabs(mgt_get(&B.v, j, 0) - want[j]), 1e-13 * 5.0);
    int done = 0;
    for (int it = 0; !done; it++) {
        ck_assert_int_lt(it, 40);
        ck_assert_int_eq(mg_fit_refine_begin(q, &B.v), MG_OK);
        ck_assert_int_eq(mg_fit_refine_accumulate(q, &X.v, &Y.v, NULL), MG_OK);
        ck_assert_int_eq(mg_fit_refine_end(q, &B.v, &done), MG_OK);
    }
    /* refined: the fixed point is the minimum-norm solution in the computed
     * row space V_r, whose angle to the exact one is O(eps): 8 ulp of |B|
     * normwise */
    for (size_t j = 0; j < 3; j++)
        ck_assert_double_le(fabs(mgt_get(&B.v, j, 0) - want[j]), 8.0 * DBL_EPSILON * 5.0);
    mgt_free(&B); mgt_free(&SE); mgt_free(&X); mgt_free(&Y);
    mg_fit_free(q); mg_fit_free(gr);
}
END_TEST

/* Standard errors, residual sd and R^2 against the exact rational solution
 * of the same data (tests/ref/ref_lstsq.c), unweighted, with intercept.
 * Refined RSS: sd to a few eps.  Standard errors come from the factor's
 * inverse: relative error about c m kappa(Z) eps (QR) or c m kappa(Z)^2 eps
 * (GRAM): 64 (m + 1) eps / rcond^2 bounds both (rcond as reported, of
 * the equilibrated design).  With the exact option they are refined:
 * 8 eps.  Two designs: random (rcond >= 0.05) and a cubic on [2, 3]
 * (rcond <= 1e-3, where the factor's variances keep only ~10 digits). */
START_TEST(statistics_match_exact)
{
    enum { N = 80, P = 3, M = P + 1 };
    data d = make(21, N, P, 1);
    if (_i == 1) {
        /* an ill-conditioned design: x, x^2, x^3 on [2, 3] (checked below:
         * rcond <= 1e-3), where the factor's variances lose digits */
        mgt_rng r = mgt_rng_seed(5);
        for (size_t i = 0; i < N; i++) {
            const double x = 2.0 + ((double)i + 0.5 + 0.3 * mgt_uniform(&r)) / N;
            for (size_t j = 0; j < P; j++)
                *mg_at(&d.X.v, i, j) = pow(x, (double)(j + 1));
            *mg_at(&d.Y.v, i, 0) = sin(3.0 * x) + 0.01 * mgt_uniform(&r);
        }
    }
    double Z[N * M], y[N];
    for (size_t i = 0; i < N; i++) {
        Z[i * M] = 1.0;
        for (size_t j = 0; j < P; j++)
            Z[i * M + 1 + j] = mgt_get(&d.X.v, i, j);
        y[i] = mgt_get(&d.Y.v, i, 0);
    }
    double bh[M], bl[M], cov[M];
    ref_lstsq ex = { bh, bl, cov, 0.0, 1, 0.0 };
    ck_assert_int_eq(ref_lstsq_exact(Z, M, N, M, y, 1, &ex), 0);
    for (int variant = 0; variant < 4; variant++) {
        const int kind = variant % 2, exact = variant / 2;
        mg_fit *f = new_fit_x(P, 1, (mg_fit_kind)kind, 1, exact);
        feed(f, &d, 0, N, 0);
        mgt_mat B = mgt_alloc(M, 1, 0), SE = mgt_alloc(M, 1, 1);
        ck_assert_int_eq(solve(f, &d, 0, &B.v), MG_OK);
        double sd, r2, ar2;
        mg_lstsq_result res = { 0 };
        res.std_err = &SE.v;
        res.residual_sd = &sd;
        res.r_squared = &r2;
        res.adj_r_squared = &ar2;
        ck_assert_int_eq(mg_fit_finish(f, &B.v, &res), MG_OK);
        ck_assert(mgt_padding_intact(&SE));
        if (_i == 0)
            ck_assert_double_ge(res.rcond, 0.05);
        else
            ck_assert_double_le(res.rcond, 1e-3);
        double bmax = 0.0;
        for (size_t j = 0; j < M; j++)
            bmax = fmax(bmax, fabs(bh[j]));
        /* 8 ulp normwise (the engine's convergence test is normwise for
         * coefficients far below the largest) */
        for (size_t j = 0; j < M; j++)
            ck_assert_double_le(fabs(mgt_get(&B.v, j, 0) - bh[j]), 8.0 * DBL_EPSILON * bmax);
        const double sd_ex = sqrt(ex.rss / (N - M));
        ck_assert_double_le(fabs(sd - sd_ex), 4.0 * DBL_EPSILON * sd_ex);
        ck_assert_double_le(fabs(r2 - ex.r_squared), 64.0 * (N + M) * DBL_EPSILON);
        const double ar2_ex = 1.0 - (1.0 - ex.r_squared) * (double)(N - 1) / (double)(N - M);
        ck_assert_double_le(fabs(ar2 - ar2_ex), 64.0 * (N + M) * DBL_EPSILON);
        /* exact option: the variances are refined from the double-double
         * sums (exact.c): cov_jj to a few eps, sd to 4 eps, sqrt halves:
         * 8 eps */
        const double tol = exact ? 8.0 * DBL_EPSILON
                                 : 64.0 * (M + 1) * DBL_EPSILON / (res.rcond * res.rcond);
        for (size_t j = 0; j < M; j++) {
            const double se = sd_ex * sqrt(cov[j]);
            ck_assert_double_le(fabs(mgt_get(&SE.v, j, 0) - se), tol * se);
        }
        mgt_free(&B); mgt_free(&SE);
        mg_fit_free(f);
    }
    data_free(&d);
}
END_TEST

START_TEST(create_errors)
{
    mg_fit *f = NULL;
    mg_fit_options o = mg_fit_defaults();
    ck_assert_int_eq(mg_fit_create(2, 1, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fit_create(2, 0, NULL, &f), MG_EINVAL);
    ck_assert_int_eq(mg_fit_create(0, 1, NULL, &f), MG_EINVAL); /* no columns at all */
    o.kind = (mg_fit_kind)7;
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &f), MG_EINVAL);
    o = mg_fit_defaults();
    o.ridge = 1.0; /* QR has no ridge */
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &f), MG_EINVAL);
    o.kind = MG_FIT_GRAM;
    o.ridge = -1.0;
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &f), MG_EINVAL);
    o.ridge = NAN;
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &f), MG_EINVAL);
    o.ridge = INFINITY;
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &f), MG_EINVAL);
    o = mg_fit_defaults();
    o.rank_tol = 1.0;
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &f), MG_EINVAL);
    o.rank_tol = NAN;
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &f), MG_EINVAL);
    ck_assert_int_eq(mg_fit_create((size_t)1 << 40, 1, NULL, &f), MG_ENOMEM);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(mg_fit_reset(NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fit_rows(NULL, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fit_shape(NULL, NULL, NULL, NULL), MG_EINVAL);
    mg_fit_free(NULL);
}
END_TEST

/* Each bad input gives its status and leaves the state bitwise unchanged. */
START_TEST(accumulate_errors)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++) {
        data d = make(3, 10, 2, 1);
        mg_fit *f = new_fit(2, 1, (mg_fit_kind)kind, 1);
        feed(f, &d, 0, 5, 1);
        size_t len;
        unsigned char *before = image(f, &len);
        mgt_mat X3 = mgt_random(&(mgt_rng){ 1 }, 10, 3, 0), W2 = mgt_alloc(10, 2, 0);
        mg_matrix X = d.X.v, Y = d.Y.v, w = d.w.v, X9 = rows(&X, 0, 9), w9 = rows(&w, 0, 9);
        ck_assert_int_eq(mg_fit_accumulate(NULL, &X, &Y, NULL), MG_EINVAL);
        ck_assert_int_eq(mg_fit_accumulate(f, &X, NULL, NULL), MG_EINVAL);
        ck_assert_int_eq(mg_fit_accumulate(f, NULL, &Y, NULL), MG_EINVAL);
        ck_assert_int_eq(mg_fit_accumulate(f, &X3.v, &Y, NULL), MG_EDIM);
        ck_assert_int_eq(mg_fit_accumulate(f, &X9, &Y, NULL), MG_EDIM);
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &X, NULL), MG_EDIM);
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, &W2.v), MG_EDIM);
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, &w9), MG_EDIM);
        const double keep = *mg_at(&X, 7, 1);
        *mg_at(&X, 7, 1) = NAN;
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, NULL), MG_ENONFINITE);
        ck_assert_int_eq(mg_fit_refine_accumulate(f, &X, &Y, NULL), MG_ENONFINITE);
        /* in a row of weight zero too */
        *mg_at(&w, 7, 0) = 0.0;
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, &w), MG_ENONFINITE);
        *mg_at(&X, 7, 1) = keep;
        *mg_at(&Y, 2, 0) = -INFINITY;
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, NULL), MG_ENONFINITE);
        *mg_at(&Y, 2, 0) = 1.0;
        *mg_at(&w, 4, 0) = NAN;
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, &w), MG_ENONFINITE);
        *mg_at(&w, 4, 0) = -1.0;
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, &w), MG_EINVAL);
        *mg_at(&w, 4, 0) = 1.0;
        assert_image(f, before, len);
        /* finite data whose sums overflow (GRAM: beyond the state's range,
         * MG_ERANGE, not NaN); QR's norms are safe (finish refuses later) */
        *mg_at(&X, 0, 0) = 1e200;
        ck_assert_int_eq(mg_fit_accumulate(f, &X, &Y, NULL),
                         kind == MG_FIT_GRAM ? MG_ERANGE : MG_OK);
        if (kind == MG_FIT_GRAM)
            assert_image(f, before, len);
        free(before);
        mgt_free(&X3); mgt_free(&W2);
        mg_fit_free(f);
        data_free(&d);
    }
}
END_TEST

START_TEST(merge_errors)
{
    mg_fit *a = new_fit(2, 1, MG_FIT_QR, 1);
    mg_fit *p3 = new_fit(3, 1, MG_FIT_QR, 1), *k2 = new_fit(2, 2, MG_FIT_QR, 1);
    mg_fit *gram = new_fit(2, 1, MG_FIT_GRAM, 1), *noic = new_fit(2, 1, MG_FIT_QR, 0);
    mg_fit_options o = mg_fit_defaults();
    o.kind = MG_FIT_GRAM;
    o.intercept = 1;
    o.ridge = 0.5;
    mg_fit *ridge = NULL;
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &ridge), MG_OK);
    ck_assert_int_eq(mg_fit_merge(a, a), MG_EINVAL);
    ck_assert_int_eq(mg_fit_merge(NULL, a), MG_EINVAL);
    ck_assert_int_eq(mg_fit_merge(a, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fit_merge(a, p3), MG_EDIM);
    ck_assert_int_eq(mg_fit_merge(a, k2), MG_EDIM);
    ck_assert_int_eq(mg_fit_merge(a, gram), MG_EINVAL);
    ck_assert_int_eq(mg_fit_merge(a, noic), MG_EINVAL);
    ck_assert_int_eq(mg_fit_merge(gram, ridge), MG_EINVAL);
    mg_fit *ex = new_fit_x(2, 1, MG_FIT_QR, 1, 1);
    ck_assert_int_eq(mg_fit_merge(a, ex), MG_EINVAL);
    mg_fit_free(ex);
    ck_assert_int_eq(mg_fit_refine_merge(a, p3), MG_EDIM);
    mg_fit_free(a); mg_fit_free(p3); mg_fit_free(k2); mg_fit_free(gram); mg_fit_free(noic);
    mg_fit_free(ridge);
}
END_TEST

/* A replay that meets NaN/Inf returns MG_ENONFINITE and leaves the
 * refining state bitwise unchanged: in a row of nonzero weight (found from
 * the call's sums), in a row of weight zero (which the replay skips), in X
 * or Y, for each kind; the clean replay then succeeds. */
START_TEST(replay_errors_leave_state)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++) {
        data d = make(6, 40, 3, 2);
        mg_fit *f = new_fit(3, 2, (mg_fit_kind)kind, 1);
        mgt_mat B = mgt_alloc(4, 2, 0);
        feed(f, &d, 0, 40, 1);
        ck_assert_int_eq(mg_fit_finish(f, &B.v, NULL), MG_OK);
        ck_assert_int_eq(mg_fit_refine_begin(f, &B.v), MG_OK);
        size_t len;
        unsigned char *before = image(f, &len);
        mg_matrix X = d.X.v, Y = d.Y.v, w = d.w.v;
        double *cells[] = { mg_at(&X, 13, 2), mg_at(&Y, 31, 1), mg_at(&X, 39, 0) };
        const double bad[] = { NAN, INFINITY, -INFINITY };
        for (int c = 0; c < 3; c++) {
            const double keep = *cells[c];
            *cells[c] = bad[c];
            ck_assert_int_eq(mg_fit_refine_accumulate(f, &X, &Y, NULL), MG_ENONFINITE);
            ck_assert_int_eq(mg_fit_refine_accumulate(f, &X, &Y, &w), MG_ENONFINITE);
            assert_image(f, before, len);
            *cells[c] = keep;
        }
        /* a bad value in a row of weight zero */
        const double wkeep = *mg_at(&w, 13, 0), keep = *mg_at(&X, 13, 2);
        *mg_at(&w, 13, 0) = 0.0;
        *mg_at(&X, 13, 2) = NAN;
        ck_assert_int_eq(mg_fit_refine_accumulate(f, &X, &Y, &w), MG_ENONFINITE);
        assert_image(f, before, len);
        *mg_at(&X, 13, 2) = keep;
        *mg_at(&w, 13, 0) = wkeep;
        replay(f, &d, 0, 40, 1);
        free(before);
        mgt_free(&B);
        mg_fit_free(f);
        data_free(&d);
    }
}
END_TEST

START_TEST(finish_and_refine_errors)
{
    data d = make(4, 20, 2, 1);
    mg_fit *f = new_fit(2, 1, MG_FIT_QR, 1), *g = new_fit(2, 1, MG_FIT_QR, 1);
    mgt_mat B = mgt_alloc(3, 1, 0), B2 = mgt_alloc(2, 1, 0), SE = mgt_alloc(2, 1, 0);
    ck_assert_int_eq(mg_fit_finish(f, &B.v, NULL), MG_EINVAL); /* empty */
    mgt_mat zero = mgt_alloc(20, 1, 0);
    ck_assert_int_eq(mg_fit_accumulate(f, &d.X.v, &d.Y.v, &zero.v), MG_OK);
    ck_assert_int_eq(mg_fit_finish(f, &B.v, NULL), MG_EINVAL); /* all weights zero */
    ck_assert_int_eq(mg_fit_reset(f), MG_OK);
    feed(f, &d, 0, 20, 0);
    ck_assert_int_eq(mg_fit_finish(NULL, &B.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fit_finish(f, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fit_finish(f, &B2.v, NULL), MG_EDIM);
    mg_lstsq_result res = { 0 };
    res.std_err = &SE.v;
    ck_assert_int_eq(mg_fit_finish(f, &B.v, &res), MG_EDIM);
    /* overlapping outputs */
    double v3[3];
    mg_matrix SE3 = mg_matrix_view(B.buf, 3, 1);
    res.std_err = &SE3;
    ck_assert_int_eq(mg_fit_finish(f, &B.v, &res), MG_EINVAL);
    res.std_err = NULL;
    res.residual_sd = B.buf + 2;
    ck_assert_int_eq(mg_fit_finish(f, &B.v, &res), MG_EINVAL);
    res.residual_sd = v3;
    res.r_squared = v3;
    ck_assert_int_eq(mg_fit_finish(f, &B.v, &res), MG_EINVAL);
    res.r_squared = v3 + 1;
    ck_assert_int_eq(mg_fit_finish(f, &B.v, &res), MG_OK);
    ck_assert_int_eq(mg_fit_finish(f, &B.v, NULL), MG_OK);
    /* refinement out of order or incomplete */
    ck_assert_int_eq(mg_fit_refine_accumulate(f, &d.X.v, &d.Y.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fit_refine_end(f, &B.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fit_refine_begin(f, &B2.v), MG_EDIM);
    const double keep = B.buf[0];
    B.buf[0] = NAN;
    ck_assert_int_eq(mg_fit_refine_begin(f, &B.v), MG_ENONFINITE);
    B.buf[0] = keep;
    ck_assert_int_eq(mg_fit_refine_begin(f, &B.v), MG_OK);
    replay(f, &d, 0, 10, 0);
    ck_assert_int_eq(mg_fit_refine_end(f, &B.v, NULL), MG_EDIM); /* half the rows */
    ck_assert_int_eq(mg_fit_refine_merge(f, g), MG_EINVAL);      /* g not refining */
    B.buf[0] += 1.0;
    ck_assert_int_eq(mg_fit_refine_begin(g, &B.v), MG_OK);
    ck_assert_int_eq(mg_fit_refine_merge(f, g), MG_EINVAL);      /* a different B */
    B.buf[0] = keep;
    ck_assert_int_eq(mg_fit_refine_begin(g, &B.v), MG_OK);
    replay(g, &d, 10, 10, 0);
    ck_assert_int_eq(mg_fit_refine_merge(f, g), MG_OK);
    ck_assert_int_eq(mg_fit_refine_end(f, &B.v, NULL), MG_OK);
    /* accumulating ends a refinement */
    ck_assert_int_eq(mg_fit_refine_begin(f, &B.v), MG_OK);
    feed(f, &d, 0, 1, 0);
    ck_assert_int_eq(mg_fit_refine_end(f, &B.v, NULL), MG_EINVAL);
    mgt_free(&B); mgt_free(&B2); mgt_free(&SE); mgt_free(&zero);
    mg_fit_free(f); mg_fit_free(g);
    data_free(&d);
}
END_TEST

/* An exactly collinear Gram matrix is refused; a ridge makes it definite,
 * and its standard errors are NaN (undefined for a penalised fit). */
START_TEST(gram_refusal_and_ridge)
{
    data d = make(8, 50, 2, 1);
    for (size_t i = 0; i < d.N; i++)
        *mg_at(&d.X.v, i, 1) = 2.0 * mgt_get(&d.X.v, i, 0);
    mg_fit *f = new_fit(2, 1, MG_FIT_GRAM, 1);
    feed(f, &d, 0, d.N, 0);
    mgt_mat B = mgt_alloc(3, 1, 0), SE = mgt_alloc(3, 1, 0);
    ck_assert_int_eq(mg_fit_finish(f, &B.v, NULL), MG_ENOTPD);
    mg_fit_options o = mg_fit_defaults();
    o.kind = MG_FIT_GRAM;
    o.intercept = 1;
    o.ridge = 1.0;
    mg_fit *r = NULL;
    ck_assert_int_eq(mg_fit_create(2, 1, &o, &r), MG_OK);
    feed(r, &d, 0, d.N, 0);
    mg_lstsq_result res = { 0 };
    res.std_err = &SE.v;
    ck_assert_int_eq(solve(r, &d, 0, &B.v), MG_OK);
    ck_assert_int_eq(mg_fit_finish(r, &B.v, &res), MG_OK);
    ck_assert(isnan(mgt_get(&SE.v, 1, 0)));
    /* ridge with a doubled column: the penalty splits the weight 1 : 2
     * between x and 2x (minimum ||b|| among equal fits), so b_2 = 2 b_1 */
    ck_assert_double_le(fabs(mgt_get(&B.v, 2, 0) - 2.0 * mgt_get(&B.v, 1, 0)),
                        1e-13 * fabs(mgt_get(&B.v, 2, 0)));
    /* the refined B solves the penalised normal equations
     * Z^T (y - Z B) = ridge P B: in long double, the gradient is at the
     * rounding level of B, |g_j| <= 16 eps (sum_i |z_ij| |z_i||B| + ridge |B|) */
    long double g[3] = { 0 }, scale[3] = { 0 };
    const double b[3] = { mgt_get(&B.v, 0, 0), mgt_get(&B.v, 1, 0), mgt_get(&B.v, 2, 0) };
    for (size_t i = 0; i < d.N; i++) {
        const double z[3] = { 1.0, mgt_get(&d.X.v, i, 0), mgt_get(&d.X.v, i, 1) };
        long double r = mgt_get(&d.Y.v, i, 0), zb = 0.0L;
        for (size_t j = 0; j < 3; j++) {
            r -= (long double)z[j] * b[j];
            zb += fabsl((long double)z[j] * b[j]);
        }
        for (size_t j = 0; j < 3; j++) {
            g[j] += z[j] * r;
            scale[j] += fabsl((long double)z[j]) * zb;
        }
    }
    for (size_t j = 1; j < 3; j++)
        ck_assert_double_le((double)fabsl(g[j] - 1.0L * b[j]),
                            16.0 * DBL_EPSILON * (double)(scale[j] + fabs(b[j])));
    mgt_free(&B); mgt_free(&SE);
    mg_fit_free(f); mg_fit_free(r);
    data_free(&d);
}
END_TEST

/* p = 0 with the intercept: the weighted mean, for both kinds (X may be
 * NULL); its standard error is sigma / sqrt(sum w). */
START_TEST(mean_model)
{
    double yv[6] = { 1, 2, 4, 8, 16, 32 }, wv[6] = { 1, 0, 2, 1, 3, 1 };
    mg_matrix Y = mg_matrix_view(yv, 6, 1), w = mg_matrix_view(wv, 6, 1);
    /* mean = (1 + 8 + 8 + 48 + 32) / 8 = 97 / 8, exact */
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++) {
        mg_fit *f = new_fit(0, 1, (mg_fit_kind)kind, 1);
        ck_assert_int_eq(mg_fit_accumulate(f, NULL, &Y, &w), MG_OK);
        double b, se, sd;
        mg_matrix B = mg_matrix_view(&b, 1, 1), SE = mg_matrix_view(&se, 1, 1);
        mg_lstsq_result res = { 0 };
        res.std_err = &SE;
        res.residual_sd = &sd;
        ck_assert_int_eq(mg_fit_finish(f, &B, &res), MG_OK);
        ck_assert_int_eq(mg_fit_refine_begin(f, &B), MG_OK);
        ck_assert_int_eq(mg_fit_refine_accumulate(f, NULL, &Y, &w), MG_OK);
        ck_assert_int_eq(mg_fit_refine_end(f, &B, NULL), MG_OK);
        ck_assert_double_eq(b, 97.0 / 8.0);
        ck_assert_int_eq(mg_fit_finish(f, &B, &res), MG_OK);
        ck_assert_uint_eq(res.df_residual, 4);
        /* RSS = sum w (y - 97/8)^2 = 5703/8, exact in long double: sd and
         * se within a few eps */
        const double sd_ex = sqrt(5703.0 / 8.0 / 4.0);
        ck_assert_double_le(fabs(sd - sd_ex), 4.0 * DBL_EPSILON * sd_ex);
        ck_assert_double_le(fabs(se - sd_ex / sqrt(8.0)), 8.0 * DBL_EPSILON * sd_ex);
        mg_fit_free(f);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fit_io");
    TCase *tc = tcase_create("io");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, save_load_round_trip);
    tcase_add_test(tc, save_layout_little_endian);
    tcase_add_test(tc, load_rejects_bad_images);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, weights_are_repeats);
    tcase_add_test(tc, rank_deficient);
    tcase_add_loop_test(tc, statistics_match_exact, 0, 2);
    tcase_add_test(tc, create_errors);
    tcase_add_test(tc, accumulate_errors);
    tcase_add_test(tc, merge_errors);
    tcase_add_test(tc, finish_and_refine_errors);
    tcase_add_test(tc, replay_errors_leave_state);
    tcase_add_test(tc, gram_refusal_and_ridge);
    tcase_add_test(tc, mean_model);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
