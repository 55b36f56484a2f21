/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: four fits of mg_lstsq_batch at once, one per lane of an AVX2
 * register (lstsq_batch.c chooses when).
 *
 * A 100 x 4 fit of lstsq_batch_fit.c is mostly chains of dependent
 * operations: the Householder reflectors applied one after another, the
 * double-double sums of Zd^T r down the rows, the triangular solves.  Each
 * waits on the latency of its adds, however the lanes of one fit are
 * arranged.  Four independent fits in the four lanes of every operation
 * share that latency instead.
 *
 * Every lane performs exactly the operations of lstsq_batch_fit.c, in the
 * same order (mg__dot8's eight partial sums, the reflectors, the solves,
 * the double-double residuals of xdot.c, mg__lsq_refine_ops's loop and
 * stopping rules), with no FMA where that file has none (the project
 * builds with -ffp-contract=off) and the one FMA where it has one, so each
 * lane's bits are the single fit's.  Comparisons and the decisions of the
 * refinement loop are taken lane by lane in scalar code, by the same
 * functions.
 *
 * A lane that leaves the common path (a non-finite entry, a zero column
 * below the diagonal, a rank not proven, a refinement that stalls or does
 * not converge) is marked not done; lstsq_batch.c then runs
 * mg__batch_fit on it, which reaches the same verdict the single fit
 * would.  Nothing is written for such a lane. */
#include "lstsq_batch.h"
#include "kernels/cpu.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef MG__CPU_X86
#include <immintrin.h>
#endif

/* The narrow rows of xdot.c's residual kernel (one chain per row): the
 * lanes replay that chain, so wider designs take the single fits.
 * LANE_ROWS_MAX bounds N (p + nx + 6), the lane arrays' doubles per lane:
 * 1 MiB of them in all, which stays in L2.  The lanes hide the latency of
 * short chains; a long design keeps its vector units busy on its own, and
 * four copies of it would only cost memory. */
enum { NARROW_COLS = 32, LANE_ROWS_MAX = 32768 };

void mg__lanes_ws_free(mg__lanes_ws *w)
{
    free(w->Z);
    memset(w, 0, sizeof *w);
}

int mg__lanes_usable(size_t N, size_t p, size_t nx, size_t k, const mg_lstsq_options *o)
{
#ifdef MG__CPU_X86
    /* N > p: a square fit's last reflector is the identity (tau = 0), the
     * single fit's path; max_refine 0 skips the loop the lanes replay */
    return mg__cpu_has_avx2_fma() && k == 1 && nx < NARROW_COLS && N > p &&
           p <= MG__BATCH_MAX_P && N <= LANE_ROWS_MAX / (p + nx + 6) && o->max_refine >= 1;
#else
    (void)N; (void)p; (void)nx; (void)k; (void)o;
    return 0;
#endif
}

mg_status mg__lanes_ws_alloc(mg__lanes_ws *w, size_t N, size_t p, size_t nx)
{
    enum { L = MG__LANES };
    memset(w, 0, sizeof *w);
    size_t cols = p + nx + 6, total;
    if (mg__mul_overflows(N, cols, &total) || total > (size_t)-1 / (8 * L) - 16 * p - 2 * p * p)
        return MG_ENOMEM;
    total = L * (total + 12 * p) + 2 * p * p;
    w->Z = mg__alloc_lines(total);
    if (!w->Z)
        return MG_ENOMEM;
    w->N = N;
    w->p = p;
    w->nx = nx;
    double *t = w->Z + L * N * p;
    w->X = t;    t += L * N * nx;
    w->y = t;    t += L * N;
    w->f = t;    t += L * N;
    w->r = t;    t += L * N;
    w->dr = t;   t += L * N;
    w->q = t;    t += L * N;
    w->res = t;  t += L * N;
    w->tau = t;  t += L * p;
    w->scale = t; t += L * p;
    w->scale_lo = t; t += L * p;
    w->x = t;    t += L * p;
    w->dx = t;   t += L * p;
    w->g = t;    t += L * p;
    w->bt = t;   t += L * p;
    w->d1 = t;   t += L * p;
    w->bt_kept = t; t += L * p;
    w->dx_kept = t; t += L * p;
    w->hi = t;   t += L * p;
    w->lo = t;   t += L * p;
    w->R = t;    t += p * p;
    w->Ri = t;
    return MG_OK;
}

#ifdef MG__CPU_X86

#define LANES_FN __attribute__((target("avx2,fma")))
typedef __m256d v4;

LANES_FN static inline v4 ld(const double *a) { return _mm256_load_pd(a); }
LANES_FN static inline void st(double *a, v4 v) { _mm256_store_pd(a, v); }
LANES_FN static inline v4 add(v4 a, v4 b) { return _mm256_add_pd(a, b); }
LANES_FN static inline v4 sub(v4 a, v4 b) { return _mm256_sub_pd(a, b); }
LANES_FN static inline v4 mul(v4 a, v4 b) { return _mm256_mul_pd(a, b); }
/* C's unary minus: the sign bit flipped */
LANES_FN static inline v4 neg(v4 a) { return _mm256_xor_pd(a, _mm256_set1_pd(-0.0)); }
/* a where the mask m is set, else b */
LANES_FN static inline v4 pick(v4 m, v4 a, v4 b) { return _mm256_blendv_pd(b, a, m); }

/* Lane views: entry i of a lane array is the 4 doubles at a + 4 i. */
#define AT(a, i) ((a) + (size_t)MG__LANES * (i))

/* mg__dot8 in every lane: the same partial sums, folded the same way. */
LANES_FN static v4 dot8(const double *u, const double *v, size_t r)
{
    if (r < 8) {
        v4 s = _mm256_setzero_pd();
        for (size_t i = 0; i < r; i++)
            s = add(s, mul(ld(AT(u, i)), ld(AT(v, i))));
        return s;
    }
    v4 a[8];
    for (int l = 0; l < 8; l++)
        a[l] = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= r; i += 8)
        for (int l = 0; l < 8; l++)
            a[l] = add(a[l], mul(ld(AT(u, i + l)), ld(AT(v, i + l))));
    for (; i < r; i++)
        a[0] = add(a[0], mul(ld(AT(u, i)), ld(AT(v, i))));
    return add(add(add(a[0], a[4]), add(a[1], a[5])), add(add(a[2], a[6]), add(a[3], a[7])));
}

/* lstsq_batch_fit.c's reflector in every lane.  A lane whose column is
 * zero below the diagonal (the single fit's H = I) is set in *off. */
LANES_FN static v4 reflector(double *col, size_t len, v4 *off)
{
    const v4 zero = _mm256_setzero_pd();
    const v4 xx = dot8(AT(col, 1), AT(col, 1), len - 1);
    *off = _mm256_or_pd(*off, _mm256_cmp_pd(xx, zero, _CMP_EQ_OQ));
    const v4 alpha = ld(col);
    const v4 norm = _mm256_sqrt_pd(add(mul(alpha, alpha), xx));
    /* beta = alpha >= 0 ? -norm : norm */
    const v4 beta = pick(_mm256_cmp_pd(alpha, zero, _CMP_GE_OQ), neg(norm), norm);
    const v4 scale = _mm256_div_pd(_mm256_set1_pd(1.0), sub(alpha, beta));
    for (size_t i = 1; i < len; i++)
        st(AT(col, i), mul(ld(AT(col, i)), scale));
    st(col, beta);
    return _mm256_div_pd(sub(beta, alpha), beta);
}

/* c <- H c in every lane (v_0 = 1 implied); tau = 0 lanes are already off. */
LANES_FN static void apply_reflector(const double *v, v4 tau, double *c, size_t len)
{
    /* s = tau (c_0 + v^T c) */
    const v4 s = mul(tau, add(ld(c), dot8(AT(v, 1), AT(c, 1), len - 1)));
    st(c, sub(ld(c), s));
    for (size_t i = 1; i < len; i++)
        st(AT(c, i), sub(ld(AT(c, i)), mul(s, ld(AT(v, i)))));
}

/* Z = Q R in every lane; *off marks the lanes with an identity reflector. */
LANES_FN static void householder_qr(mg__lanes_ws *w, v4 *off)
{
    const size_t N = w->N, p = w->p;
    for (size_t j = 0; j < p; j++) {
        double *col = AT(w->Z, j * N + j);
        const v4 tau = reflector(col, N - j, off);
        st(AT(w->tau, j), tau);
        for (size_t l = j + 1; l < p; l++)
            apply_reflector(col, tau, AT(w->Z, l * N + j), N - j);
    }
}

LANES_FN static void apply_q(const mg__lanes_ws *w, int trans, double *v)
{
    const size_t N = w->N, p = w->p;
    for (size_t t = 0; t < p; t++) {
        const size_t j = trans ? t : p - 1 - t;
        apply_reflector(AT(w->Z, j * N + j), ld(AT(w->tau, j)), AT(v, j), N - j);
    }
}

/* b <- R^-1 b (trans 0) or R^-T b (trans 1) in every lane. */
LANES_FN static void tri_solve(const mg__lanes_ws *w, int trans, double *b)
{
    const size_t N = w->N, p = w->p;
    const double *R = w->Z;
    if (!trans) {
        for (size_t i = p; i-- > 0;) {
            v4 s = ld(AT(b, i));
            for (size_t j = i + 1; j < p; j++)
                s = sub(s, mul(ld(AT(R, j * N + i)), ld(AT(b, j))));
            st(AT(b, i), _mm256_div_pd(s, ld(AT(R, i * N + i))));
        }
    } else {
        for (size_t i = 0; i < p; i++) {
            v4 s = ld(AT(b, i));
            for (size_t j = 0; j < i; j++)
                s = sub(s, mul(ld(AT(R, i * N + j)), ld(AT(b, j))));
            st(AT(b, i), _mm256_div_pd(s, ld(AT(R, i * N + i))));
        }
    }
}

/* lstsq_batch_fit.c's solve_aug in every lane (g NULL: 0). */
LANES_FN static void solve_aug(mg__lanes_ws *w, const double *f, const double *g, double *dr,
                               double *dx)
{
    const size_t N = w->N, p = w->p;
    double *q = w->q, *d1 = w->d1;
    memcpy(q, f, MG__LANES * N * sizeof *q);
    apply_q(w, 1, q);
    for (size_t i = 0; i < p; i++)
        st(AT(d1, i), g ? ld(AT(g, i)) : _mm256_setzero_pd());
    tri_solve(w, 1, d1);
    for (size_t i = 0; i < p; i++)
        st(AT(dx, i), sub(ld(AT(q, i)), ld(AT(d1, i))));
    tri_solve(w, 0, dx);
    for (size_t i = 0; i < p; i++)
        st(AT(q, i), sub(ld(AT(d1, i)), ld(AT(q, i))));
    memset(AT(q, p), 0, MG__LANES * (N - p) * sizeof *q);
    apply_q(w, 0, q);
    for (size_t i = 0; i < N; i++)
        st(AT(dr, i), add(ld(AT(f, i)), ld(AT(q, i))));
}

/* s + e = a + b exactly (xdot.h's TwoSum). */
LANES_FN static inline void two_sum(v4 a, v4 b, v4 *s, v4 *e)
{
    const v4 t = add(a, b), bb = sub(t, a);
    *e = add(sub(a, sub(t, bb)), sub(b, bb));
    *s = t;
}

/* (hi, lo) -= x b (xdot.h's mg__xdot_step). */
LANES_FN static inline void xstep(v4 *hi, v4 *lo, v4 x, v4 b)
{
    const v4 np = neg(mul(x, b));
    const v4 npe = _mm256_fmadd_pd(neg(x), b, neg(np));
    const v4 t = add(*hi, np), bb = sub(t, *hi);
    const v4 e = add(sub(*hi, sub(t, bb)), sub(np, bb));
    *lo = add(*lo, add(e, npe));
    *hi = t;
}

/* bt = D x (exact: powers of two) */
LANES_FN static void scaled(const mg__lanes_ws *w, const double *x, double *bt)
{
    for (size_t j = 0; j < w->p; j++)
        st(AT(bt, j), mul(mul(ld(AT(x, j)), ld(AT(w->scale, j))), ld(AT(w->scale_lo, j))));
}

/* f = y - r - Zd bt (xdot.c's narrow rows) and g = -D Zd^T r (its
 * mg__xgemv_t with c = 0), in double-double, every lane. */
LANES_FN static void residuals(mg__lanes_ws *w, int ic)
{
    const size_t N = w->N, p = w->p, nx = w->nx;
    const double *X = w->X;
    const v4 b0 = ic ? ld(w->bt) : _mm256_setzero_pd();
    for (size_t i = 0; i < N; i++) {
        /* (hi, lo) = y - r - b0 exactly */
        v4 hi, lo, e;
        two_sum(ld(AT(w->y, i)), neg(ld(AT(w->r, i))), &hi, &lo);
        two_sum(hi, neg(b0), &hi, &e);
        lo = add(lo, e);
        for (size_t j = 0; j < nx; j++)
            xstep(&hi, &lo, ld(AT(X, i * nx + j)), ld(AT(w->bt, ic + j)));
        st(AT(w->f, i), add(hi, lo));
    }
    double *hi = w->hi, *lo = w->lo;
    memset(hi, 0, MG__LANES * p * sizeof *hi);
    memset(lo, 0, MG__LANES * p * sizeof *lo);
    for (size_t i = 0; i < N; i++) {
        const v4 ri = ld(AT(w->r, i));
        if (ic) {
            v4 s, e;
            two_sum(ld(hi), mul(neg(ld(w->scale)), ri), &s, &e);
            st(hi, s);
            st(lo, add(ld(lo), e));
        }
        for (size_t j = 0; j < nx; j++) {
            const size_t c = (size_t)ic + j;
            const v4 xs = mul(ld(AT(w->scale, c)), ld(AT(X, i * nx + j)));
            const v4 np = neg(mul(xs, ri));
            const v4 npe = _mm256_fmadd_pd(neg(xs), ri, neg(np));
            v4 s, e;
            two_sum(ld(AT(hi, c)), np, &s, &e);
            st(AT(hi, c), s);
            st(AT(lo, c), add(ld(AT(lo, c)), add(e, npe)));
        }
    }
    for (size_t j = 0; j < p; j++) {
        v4 s, e;
        two_sum(ld(AT(hi, j)), _mm256_setzero_pd(), &s, &e);
        const v4 tail = add(ld(AT(lo, j)), e);
        st(AT(w->g, j), mul(add(s, tail), ld(AT(w->scale_lo, j))));
    }
}

/* The lanes' mask from per-lane flags. */
LANES_FN static v4 mask_of(const int *on)
{
    return _mm256_castsi256_pd(
        _mm256_set_epi64x(-(int64_t)(on[3] != 0), -(int64_t)(on[2] != 0),
                          -(int64_t)(on[1] != 0), -(int64_t)(on[0] != 0)));
}

/* Lane l of n lane entries into out (n doubles). */
static void lane_out(const double *a, size_t n, int l, double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = AT(a, i)[l];
}

/* Z (scaled, column-major per lane) and X (the design as given, row-major
 * per lane) from the four fits; the scales as lstsq_batch_fit.c's
 * scaled_design finds them.  ok[l] = 0 for a lane with a NaN or an Inf. */
LANES_FN static void load_design(mg__lanes_ws *w, const mg_matrix *const X[MG__LANES], int ic,
                                 int ok[MG__LANES])
{
    const size_t N = w->N, p = w->p, nx = w->nx;
    for (int l = 0; l < MG__LANES; l++) {
        if (ic)
            for (size_t i = 0; i < N; i++)
                AT(w->Z, i)[l] = 1.0;
        for (size_t i = 0; i < N; i++) {
            const double *xi = X[l]->data + i * X[l]->stride;
            for (size_t j = 0; j < nx; j++) {
                AT(w->Z, (ic + j) * N + i)[l] = xi[j];
                AT(w->X, i * nx + j)[l] = xi[j];
            }
        }
    }
    /* max |Z_ij| down each column on the bits, as column_max: with the
     * sign cleared they order as signed 64-bit integers too */
    const __m256i magnitude = _mm256_set1_epi64x(INT64_MAX);
    for (size_t j = 0; j < p; j++) {
        __m256i m = _mm256_setzero_si256();
        for (size_t i = 0; i < N; i++) {
            const __m256i b = _mm256_and_si256(
                _mm256_load_si256((const __m256i *)AT(w->Z, j * N + i)), magnitude);
            m = _mm256_blendv_epi8(m, b, _mm256_cmpgt_epi64(b, m));
        }
        _mm256_store_si256((__m256i *)AT(w->scale, j), m);
    }
    for (int l = 0; l < MG__LANES; l++) {
        double mx[MG__BATCH_MAX_P], sc[MG__BATCH_MAX_P], lo[MG__BATCH_MAX_P];
        lane_out(w->scale, p, l, mx);
        for (size_t j = 0; j < p; j++)
            if (!isfinite(mx[j])) {
                ok[l] = 0;
                mx[j] = 1.0; /* the lane is not used: any finite scale */
            }
        mg__lsq_scales_rule(mx, p, sc, lo);
        for (size_t j = 0; j < p; j++) {
            AT(w->scale, j)[l] = sc[j];
            AT(w->scale_lo, j)[l] = lo[j];
        }
    }
    for (size_t j = 0; j < p; j++) {
        const v4 s = ld(AT(w->scale, j)), sl = ld(AT(w->scale_lo, j));
        for (size_t i = 0; i < N; i++) {
            double *z = AT(w->Z, j * N + i);
            st(z, mul(mul(ld(z), s), sl)); /* exact */
        }
    }
}

/* The refinement loop's state of one lane (mg__lsq_refine_ops's locals). */
typedef struct lane_loop {
    int active, moved;
    double rho;
    mg__refine_track t;
} lane_loop;

/* One pass of mg__lsq_refine_ops's loop body for every active lane. */
LANES_FN static void refine_step(mg__lanes_ws *w, int ic, lane_loop *s)
{
    const size_t N = w->N, p = w->p;
    scaled(w, w->x, w->bt);
    residuals(w, ic);
    solve_aug(w, w->f, w->g, w->dr, w->dx);
    int upd[MG__LANES], act[MG__LANES];
    for (int l = 0; l < MG__LANES; l++) {
        act[l] = s[l].active;
        upd[l] = 0;
        if (!s[l].active)
            continue;
        s[l].moved = 0;
        double x[MG__BATCH_MAX_P], dx[MG__BATCH_MAX_P];
        lane_out(w->x, p, l, x);
        lane_out(w->dx, p, l, dx);
        if (mg__lsq_refine_stalled(&s[l].t, dx, x, p)) {
            s[l].active = 0;
            continue;
        }
        s[l].moved = 1;
        upd[l] = 1;
        for (size_t j = 0; j < p; j++)
            x[j] += dx[j];
        s[l].active = !mg__lsq_refine_converged(&s[l].t, s[l].rho, dx, x, p);
    }
    const v4 ma = mask_of(act), mu = mask_of(upd);
    /* resid = f + r, the last bt and dx: every lane still in the loop */
    for (size_t i = 0; i < N; i++)
        st(AT(w->res, i), pick(ma, add(ld(AT(w->f, i)), ld(AT(w->r, i))), ld(AT(w->res, i))));
    for (size_t j = 0; j < p; j++) {
        st(AT(w->bt_kept, j), pick(ma, ld(AT(w->bt, j)), ld(AT(w->bt_kept, j))));
        st(AT(w->dx_kept, j), pick(ma, ld(AT(w->dx, j)), ld(AT(w->dx_kept, j))));
    }
    /* x += dx, r += dr where the step was taken */
    for (size_t j = 0; j < p; j++)
        st(AT(w->x, j), pick(mu, add(ld(AT(w->x, j)), ld(AT(w->dx, j))), ld(AT(w->x, j))));
    for (size_t i = 0; i < N; i++)
        st(AT(w->r, i), pick(mu, add(ld(AT(w->r, i)), ld(AT(w->dr, i))), ld(AT(w->r, i))));
}

/* mg__lsq_resid_update in every lane where the last step moved x: res -=
 * Zd delta, delta = D x - bt (skipped where delta is all zero). */
LANES_FN static void resid_update(mg__lanes_ws *w, int ic, const lane_loop *s)
{
    const size_t N = w->N, p = w->p, nx = w->nx;
    double *delta = w->d1;
    int on[MG__LANES] = { 0 };
    scaled(w, w->x, delta);
    for (size_t j = 0; j < p; j++)
        st(AT(delta, j), sub(ld(AT(delta, j)), ld(AT(w->bt_kept, j))));
    for (int l = 0; l < MG__LANES; l++)
        for (size_t j = 0; j < p; j++)
            on[l] |= s[l].moved && AT(delta, j)[l] != 0.0;
    if (!(on[0] | on[1] | on[2] | on[3]))
        return;
    const v4 m = mask_of(on);
    for (size_t i = 0; i < N; i++) {
        v4 t = ic ? ld(delta) : _mm256_setzero_pd();
        for (size_t j = 0; j < nx; j++)
            t = add(t, mul(ld(AT(w->X, i * nx + j)), ld(AT(delta, ic + j))));
        st(AT(w->res, i), pick(m, sub(ld(AT(w->res, i)), t), ld(AT(w->res, i))));
    }
}

/* The full-rank proof of mg__batch_fit for each lane still ok. */
static void prove_rank(mg__lanes_ws *w, const mg_lstsq_options *o, int ok[MG__LANES],
                       double rho[MG__LANES])
{
    const size_t N = w->N, p = w->p;
    for (int l = 0; l < MG__LANES; l++) {
        if (!ok[l])
            continue;
        for (size_t j = 0; j < p; j++)
            for (size_t i = 0; i <= j; i++)
                w->R[j * p + i] = AT(w->Z, j * N + i)[l];
        const double rcond = mg__batch_exact_rcond(w->R, p, p, w->Ri);
        ok[l] = mg__batch_rank_proven(rcond, N, p, o);
        rho[l] = mg__lsq_rho(p, rcond);
    }
}

/* Outputs of a lane that finished: B = D x, and the statistics. */
static int write_lane(const mg__lanes_ws *w, int l, const mg_matrix *X, const mg_matrix *Y,
                      mg_matrix *B, int ic, const mg__batch_out *out)
{
    const size_t N = w->N, p = w->p;
    double b[MG__BATCH_MAX_P];
    for (size_t j = 0; j < p; j++)
        b[j] = (AT(w->x, j)[l] * AT(w->scale, j)[l]) * AT(w->scale_lo, j)[l];
    if (!mg__all_finite(b, p, 1, 1))
        return 0; /* the single fit reports it */
    for (size_t j = 0; j < p; j++)
        B->data[j * B->stride] = b[j];
    if (!out->stats)
        return 1;
    double sd, r2, ar2;
    mg__batch_summary(w->res + l, MG__LANES, Y->data, Y->stride, N, p,
                      mg__lsq_has_constant_column(X, ic), &sd, &r2, &ar2);
    if (out->sd)
        *out->sd = sd;
    if (out->r2)
        *out->r2 = r2;
    if (out->ar2)
        *out->ar2 = ar2;
    return 1;
}

LANES_FN static void fit_lanes(const mg_matrix *const X[MG__LANES],
                                const mg_matrix *const Y[MG__LANES], mg_matrix *const B[MG__LANES],
                                const mg_lstsq_options *o, mg__lanes_ws *w,
                                const mg__batch_out out[MG__LANES], int done[MG__LANES])
{
    const size_t N = w->N;
    const int ic = o->intercept ? 1 : 0;
    int ok[MG__LANES];
    for (int l = 0; l < MG__LANES; l++) {
        done[l] = 0;
        ok[l] = !out[l].std_err && mg__all_finite(Y[l]->data, N, 1, Y[l]->stride);
        for (size_t i = 0; i < N; i++)
            AT(w->y, i)[l] = Y[l]->data[i * Y[l]->stride];
    }
    load_design(w, X, ic, ok);
    v4 off = _mm256_setzero_pd();
    householder_qr(w, &off);
    const int offm = _mm256_movemask_pd(off);
    for (int l = 0; l < MG__LANES; l++)
        ok[l] &= !((offm >> l) & 1);
    double rho[MG__LANES] = { 0 };
    prove_rank(w, o, ok, rho);
    if (!(ok[0] | ok[1] | ok[2] | ok[3]))
        return;
    /* the first solve, from x = 0, r = 0 */
    memcpy(w->f, w->y, MG__LANES * N * sizeof *w->f);
    solve_aug(w, w->f, NULL, w->r, w->x);
    lane_loop s[MG__LANES];
    for (int l = 0; l < MG__LANES; l++)
        s[l] = (lane_loop){ ok[l], 0, rho[l], { INFINITY, 0.0, 0.0, 0 } };
    for (size_t step = 0; step < o->max_refine && (s[0].active | s[1].active | s[2].active |
                                                    s[3].active);
         step++)
        refine_step(w, ic, s);
    resid_update(w, ic, s);
    for (int l = 0; l < MG__LANES; l++)
        if (ok[l] && s[l].t.proven && !s[l].active)
            done[l] = write_lane(w, l, X[l], Y[l], B[l], ic, &out[l]);
}

void mg__batch_fit_lanes(const mg_matrix *const X[MG__LANES], const mg_matrix *const Y[MG__LANES],
                         mg_matrix *const B[MG__LANES], const mg_lstsq_options *o,
                         mg__lanes_ws *w, const mg__batch_out out[MG__LANES], int done[MG__LANES])
{
    fit_lanes(X, Y, B, o, w, out, done);
}

#else

void mg__batch_fit_lanes(const mg_matrix *const X[MG__LANES], const mg_matrix *const Y[MG__LANES],
                         mg_matrix *const B[MG__LANES], const mg_lstsq_options *o,
                         mg__lanes_ws *w, const mg__batch_out out[MG__LANES], int done[MG__LANES])
{
    (void)X; (void)Y; (void)B; (void)o; (void)w; (void)out;
    for (int l = 0; l < MG__LANES; l++)
        done[l] = 0;
}

#endif
