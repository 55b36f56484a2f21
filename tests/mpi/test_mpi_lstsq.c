/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_mpi_lstsq on 1 to 4 ranks (tests/mpi.cmake), the rows split unevenly
 * with rank 1 holding none (mpitest.h).
 *
 * Yardsticks:
 *   - NIST StRD (tests/data/nist): the exact least-squares solution of the
 *     double data (tests/ref/ref_lstsq.c) and the single-process engine
 *     (mg_fit QR, refined by replays, as tests/test_fit_nist.c).  The
 *     engine promises B within 8 ulp of the exact solution after
 *     refinement, or a refusal (MG_ENOCONV); where it refuses an
 *     unweighted fit (Filip), the ranks take mg_lstsq's Householder path
 *     (QR with Q distributed on the tree, src/mpi/lstsq_q.c) and must
 *     reach mg_lstsq's accuracy: B within 8 ulp of the exact solution,
 *     the statistics within the bounds mg_lstsq meets (ref_check_lstsq),
 *     on the default split and on one where rank 0 holds 3 rows (< p).
 *     Weighted, they keep the engine's refusal, as mg_lstsq does.
 *   - paired-row problems whose answer B* is exact (tests/ref/mgt_pairs.h),
 *     weighted and not: within 8 ulp of B*.
 *   - every output bitwise the same on every rank, and the same when the
 *     fit runs again on the same ranks.
 *   - bad input on one rank: the same status on every rank, outputs
 *     untouched. */
#include "mpitest.h"

#include "matgrad/mpi.h"
#include "mgt_pairs.h"
#include "ref_lstsq.h"

#include <float.h>
#include <math.h>

#include "mgtest.h"

static const char *const SETS[] = { "Norris",   "NoInt1",   "NoInt2",   "Longley",
                                    "Wampler1", "Pontius",  "Wampler2", "Wampler3",
                                    "Wampler4", "Wampler5", "Filip" };
enum { NSETS = sizeof SETS / sizeof SETS[0] };

/* Every output of a fit, flattened: status, the result's scalars, B, the
 * standard errors and the k-vectors. */
typedef struct fit_out {
    double v[8 + 2 * NIST_MAXP * 2 + 3 * 2];
    size_t n;
} fit_out;

static mg_status mpi_fit(const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w, int ic,
                         size_t m, size_t k, fit_out *o)
{
    double B[NIST_MAXP * 2], se[NIST_MAXP * 2], sd[2], r2[2], adj[2];
    mg_matrix Bv = mg_matrix_view(B, m, k), Ev = mg_matrix_view(se, m, k);
    mg_lstsq_result res = { 0 };
    res.std_err = &Ev;
    res.residual_sd = sd;
    res.r_squared = r2;
    res.adj_r_squared = adj;
    mg_mpi_lstsq_options opt = mg_mpi_lstsq_defaults();
    opt.intercept = ic;
    const mg_status s = mg_mpi_lstsq(MPI_COMM_WORLD, X, Y, w, &opt, &Bv, &res);
    size_t n = 0;
    memset(o, 0, sizeof *o);
    o->v[n++] = (double)s;
    o->v[n++] = (double)res.rank;
    o->v[n++] = res.rcond;
    o->v[n++] = (double)res.refine_steps;
    o->v[n++] = (double)res.method;
    o->v[n++] = (double)res.df_residual;
    for (size_t i = 0; s == MG_OK && i < m * k; i++) {
        o->v[n + i] = B[i];
        o->v[n + m * k + i] = se[i];
    }
    n += 2 * m * k;
    for (size_t c = 0; s == MG_OK && c < k; c++) {
        o->v[n + c] = sd[c];
        o->v[n + k + c] = r2[c];
        o->v[n + 2 * k + c] = adj[c];
    }
    o->n = n + 3 * k;
    return s;
}

/* Finishes an accumulated state and refines it by replays of X, Y until
 * it converges (at most 20 steps: MG_ENOCONV after). */
static mg_status refined(mg_fit *f, const mg_matrix *X, const mg_matrix *Y, mg_matrix *Bv)
{
    mg_status s = mg_fit_finish(f, Bv, NULL);
    int done = 0;
    for (int step = 0; s == MG_OK && !done; step++) {
        s = step < 20 ? mg_fit_refine_begin(f, Bv) : MG_ENOCONV;
        if (s == MG_OK)
            s = mg_fit_refine_accumulate(f, X, Y, NULL);
        if (s == MG_OK)
            s = mg_fit_refine_end(f, Bv, &done);
    }
    return s;
}

/* One process, every row: the engine's QR state refined by replays until
 * it converges (the algorithm the ranks distribute). */
static mg_status single_fit(const nist_set *S, double *B, double *se, double *rsd, double *r2)
{
    mg_fit_options fo = mg_fit_defaults();
    fo.intercept = S->intercept;
    mg_fit *f = NULL;
    mg_matrix X = mg_matrix_view((double *)S->X, S->N, S->nx),
              Y = mg_matrix_view((double *)S->y, S->N, 1), Bv = mg_matrix_view(B, S->p, 1);
    if (mg_fit_create(S->nx, 1, &fo, &f) != MG_OK || mg_fit_accumulate(f, &X, &Y, NULL) != MG_OK)
        abort();
    mg_status s = refined(f, &X, &Y, &Bv);
    mg_matrix Ev = mg_matrix_view(se, S->p, 1);
    mg_lstsq_result res = { 0 };
    res.std_err = &Ev;
    res.residual_sd = rsd;
    res.r_squared = r2;
    if (s == MG_OK)
        s = mg_fit_finish(f, &Bv, &res);
    mg_fit_free(f);
    return s;
}

static double ulp(double x)
{
    return x == 0.0 ? DBL_MIN : ldexp(1.0, ilogb(x) - 52);
}

/* The statistics of the ranks' fit against one process's.  Both B lie
 * within 8 ulp of b* (checked by the caller), so each replayed residual
 * (double-double, then rounded) moves by at most 16 eps (|Z| |b*|)_i and
 * the residual sd by at most
 *     d_rsd = 16 eps sqrt(sum_i (|Z| |b*|)_i^2 / df)   (+ its own rounding);
 * std_err = rsd sqrt(diag((Z^T Z)^-1)) from the factor, whose relative
 * error is about kappa(Z) eps (fit.h) on each side: within d_rsd / rsd +
 * 4 m eps / rcond relative (rcond, a 1-norm estimate, within a factor m
 * of 1 / kappa); R^2 = 1 - RSS / TSS moves by (2 rsd + d_rsd) d_rsd df /
 * TSS plus (1 - R^2) times TSS's relative error from the merged states
 * (a few N eps). */
static void stats(const nist_set *S, const double *bh, const fit_out *a, const double *se1,
                  double rsd1, double r21)
{
    const double eps = DBL_EPSILON, df = (double)(S->N - S->p), m = (double)S->p;
    double ssq = 0.0, mean = 0.0, tss = 0.0;
    for (size_t i = 0; i < S->N; i++) {
        double t = 0.0;
        for (size_t j = 0; j < S->p; j++)
            t += fabs(S->Z[i * S->p + j] * bh[j]);
        ssq += t * t;
        mean += S->y[i] / (double)S->N;
    }
    for (size_t i = 0; i < S->N; i++) {
        const double c = S->y[i] - (S->intercept ? mean : 0.0);
        tss += c * c;
    }
    const double d_rsd = 16.0 * eps * sqrt(ssq / df) + 4.0 * eps * rsd1;
    const double rsd = a->v[6 + 2 * S->p], r2 = a->v[6 + 2 * S->p + 1], rc = a->v[2];
    MPIT_CHECK(fabs(rsd - rsd1) <= d_rsd, "%s: residual sd %.17g, one process %.17g", S->name, rsd,
               rsd1);
    double dse = 0.0;
    for (size_t j = 0; j < S->p; j++) {
        const double se = a->v[6 + S->p + j],
                     tol = rsd1 > 0.0 ? se1[j] * (d_rsd / rsd1 + 4.0 * m * eps / rc) : 0.0;
        MPIT_CHECK(fabs(se - se1[j]) <= tol, "%s: std_err %zu %.17g, one process %.17g", S->name, j,
                   se, se1[j]);
        if (se1[j] > 0.0)
            dse = fmax(dse, fabs(se - se1[j]) / se1[j]);
    }
    const double tol_r2 = (2.0 * rsd1 + d_rsd) * d_rsd * df / tss + (1.0 - r21) * 4.0 * (double)S->N * eps;
    MPIT_CHECK(fabs(r2 - r21) <= tol_r2, "%s: R^2 %.17g, one process %.17g", S->name, r2, r21);
    if (mpit_rank == 0)
        printf("%-9s statistics against one process: std_err %.1e, residual_sd %.1e, R^2 %.1e "
               "(bounds %.1e, %.1e)\n",
               S->name, dse, rsd1 > 0.0 ? fabs(rsd - rsd1) / rsd1 : fabs(rsd - rsd1), fabs(r2 - r21),
               d_rsd / (rsd1 > 0.0 ? rsd1 : 1.0), tol_r2);
}

/* Rows i0 .. i0 + n - 1 of N on a split where rank 0 holds 3 rows (fewer
 * than Filip's p = 11) and rank 1 none (from 3 ranks on); the others share
 * the rest. */
static void split_small(size_t N, size_t *i0, size_t *n)
{
    size_t cnt[64] = { 0 }, at = 0;
    const size_t P = (size_t)mpit_size;
    if (P == 1) {
        cnt[0] = N;
    } else {
        cnt[0] = 3;
        const size_t first = P > 2 ? 2 : 1, share = (N - 3) / (P - first);
        for (size_t r = first; r < P; r++)
            cnt[r] = r + 1 < P ? share : N - 3 - share * (P - 1 - first);
    }
    for (int r = 0; r < mpit_rank; r++)
        at += cnt[r];
    *i0 = at;
    *n = cnt[mpit_rank];
}

/* ||Z (b - b*)||_2 for b (p) against b* = bh + bl, in long double. */
static double resid_shift(const nist_set *S, const ref_lstsq *ref, const double *b)
{
    long double ss = 0.0L;
    for (size_t i = 0; i < S->N; i++) {
        long double t = 0.0L;
        for (size_t j = 0; j < S->p; j++)
            t += (long double)S->Z[i * S->p + j] * ((b[j] - ref->b_hi[j]) - ref->b_lo[j]);
        ss += t * t;
    }
    return (double)sqrtl(ss);
}

/* The statistics of a fit with coefficients b (the Householder path on
 * the ranks, or mg_lstsq) against the exact ones (ref: b*, rss*, TSS,
 * diag((Z^T Z)^-1)).  Error analysis, u = eps / 2:
 *   residual sd: b* minimises the RSS, so RSS(b) = rss* + ||Z (b - b*)||^2
 *     exactly (Pythagoras), e = ||Z (b - b*)|| computed from the returned
 *     b; the library's residuals are each within a few ulp of y - Z b
 *     (double-double, rounded; docs/accuracy.md, step 5: 4 ulp <= 8 u
 *     relative), summed in long double, then rss / df and the square
 *     root (2 u); the reference rsd* = sqrt(rss* / df) has its own (rss*
 *     rounded, the division and the root: 2 u), so
 *       rsd_rel = e^2 / (2 rss*) + 8 u + 2 u + 2 u;
 *   R^2 = 1 - RSS / TSS: RSS within 2 rsd_rel, TSS (two passes in long
 *     double) within 4 u, our rounding and the reference's:
 *     (1 - R^2) (2 rsd_rel + 4 u) + 2 u;
 *     adjusted R^2 the same times (N - 1) / df plus three roundings;
 *   std_err_j = rsd d_j sqrt(v_j): v_j refined to within 8 ulp (16 u)
 *     of itself, normwise for a small one (the refinement's floor
 *     eps max_i |x_i| of the column, and |x_i| <= sqrt(v_i v_j), relative
 *     to v_j: 2 u sqrt(vr), vr = max_i v_i / v_j in equilibrated
 *     coordinates), half of it through the square root, and 2 u of
 *     roundings on each side (ours; the reference's rounded v_j, root and
 *     product):  rsd_rel + 8 u max(1, 2 u sqrt(vr)) + 4 u.
 * Returns the largest error over the statistics relative to its bound
 * (<= 1 passes) and prints the figures. */
static double check_stats(const nist_set *S, const ref_lstsq *ref, const double *b,
                          const double *se, double rsd, double r2, double ar2, const char *who)
{
    const double u = DBL_EPSILON / 2.0, df = (double)(S->N - S->p);
    double vmax = 0.0, d[NIST_MAXP];
    for (size_t j = 0; j < S->p; j++) {
        double m = 0.0;
        for (size_t i = 0; i < S->N; i++)
            m = fmax(m, fabs(S->Z[i * S->p + j]));
        d[j] = ldexp(1.0, -(ilogb(m) + 1)); /* the library's scale: max |Z_ij| d_j in [1/2, 1) */
        vmax = fmax(vmax, ref->cov[j] / (d[j] * d[j]));
    }
    const double e = resid_shift(S, ref, b), rsd_x = sqrt(ref->rss / df);
    const double rsd_rel = e * e / (2.0 * ref->rss) + 12.0 * u;
    const double tol_r2 = (1.0 - ref->r_squared) * (2.0 * rsd_rel + 4.0 * u) + 2.0 * u;
    const double dft = (double)(S->N - (size_t)S->intercept);
    const double ar2_x = 1.0 - (1.0 - ref->r_squared) * dft / df;
    const double tol_ar2 = tol_r2 * dft / df + 3.0 * u * fmax(1.0, fabs(ar2_x));
    double worst = fabs(rsd - rsd_x) / (rsd_rel * rsd_x), se_err = 0.0;
    worst = fmax(worst, fabs(r2 - ref->r_squared) / tol_r2);
    worst = fmax(worst, fabs(ar2 - ar2_x) / tol_ar2);
    for (size_t j = 0; j < S->p; j++) {
        const double want = rsd_x * sqrt(ref->cov[j]), vr = vmax / (ref->cov[j] / (d[j] * d[j]));
        const double t = rsd_rel + 8.0 * u * fmax(1.0, 2.0 * u * sqrt(vr)) + 4.0 * u;
        worst = fmax(worst, fabs(se[j] - want) / (t * want));
        se_err = fmax(se_err, fabs(se[j] - want) / want);
    }
    if (mpit_rank == 0)
        printf("%-9s %s: std_err within %.1e of exact, residual_sd %.1e (bound %.1e), R^2 %.1e "
               "(bound %.1e), adjusted R^2 %.1e: %.2f of the bounds\n",
               S->name, who, se_err, fabs(rsd - rsd_x) / rsd_x, rsd_rel, fabs(r2 - ref->r_squared),
               tol_r2, fabs(ar2 - ar2_x), worst);
    return worst;
}

/* The Householder path where the engine refuses (unweighted): B within 8
 * ulp of the exact solution b* = bh + bl on the given split, statistics as
 * above, outputs bitwise the same on every rank and on a second run;
 * weighted (all weights 1), the engine's refusal stands, as mg_lstsq's. */
static void householder(const nist_set *S, const ref_lstsq *ref, size_t i0, size_t n,
                        const char *split)
{
    mg_matrix X = mg_matrix_view((double *)S->X + i0 * S->nx, n, S->nx),
              Y = mg_matrix_view((double *)S->y + i0, n, 1);
    static fit_out a, b;
    const mg_status s = mpi_fit(n ? &X : NULL, n ? &Y : NULL, NULL, S->intercept, S->p, 1, &a);
    MPIT_CHECK(s == MG_OK, "%s (%s split): status %d", S->name, split, (int)s);
    MPIT_CHECK(mpit_same(a.v, a.n), "%s (%s split): outputs differ between ranks", S->name, split);
    MPIT_CHECK(mpi_fit(n ? &X : NULL, n ? &Y : NULL, NULL, S->intercept, S->p, 1, &b) == s &&
                   memcmp(a.v, b.v, sizeof a.v) == 0,
               "%s (%s split): a second run differs", S->name, split);
    if (s != MG_OK)
        return;
    /* mg_lstsq on one process, every statistic */
    double b1[NIST_MAXP], se1[NIST_MAXP], rsd1, r21, ar21;
    mg_matrix Xa = mg_matrix_view((double *)S->X, S->N, S->nx), Ya = mg_matrix_view((double *)S->y, S->N, 1),
              Bv = mg_matrix_view(b1, S->p, 1), Ev = mg_matrix_view(se1, S->p, 1);
    mg_lstsq_options lo = mg_lstsq_defaults();
    lo.intercept = S->intercept;
    mg_lstsq_result r1 = { 0 };
    r1.std_err = &Ev;
    r1.residual_sd = &rsd1;
    r1.r_squared = &r21;
    r1.adj_r_squared = &ar21;
    MPIT_CHECK(mg_lstsq(&Xa, &Ya, &Bv, &lo, &r1) == MG_OK, "%s: mg_lstsq", S->name);
    double big = 0.0, worst = 0.0, worst1 = 0.0;
    for (size_t j = 0; j < S->p; j++)
        big = fmax(big, fabs(ref->b_hi[j]));
    for (size_t j = 0; j < S->p; j++) {
        const double bh = ref->b_hi[j], u = ulp(bh != 0.0 ? bh : big);
        /* |b - (bh + bl)| in ulps of the exact value */
        worst = fmax(worst, fabs((a.v[6 + j] - bh) - ref->b_lo[j]) / u);
        worst1 = fmax(worst1, fabs((b1[j] - bh) - ref->b_lo[j]) / u);
    }
    if (mpit_rank == 0)
        printf("%-9s %d ranks (%s split), Householder path: %.2f ulp from the exact solution "
               "(mg_lstsq %.2f), %g steps (mg_lstsq %zu)\n",
               S->name, mpit_size, split, worst, worst1, a.v[3], r1.refine_steps);
    /* mg_lstsq's promise (lstsq.h) and the issue's: within 8 ulp */
    MPIT_CHECK(worst <= 8.0, "%s (%s split): %.2f ulp", S->name, split, worst);
    /* the statistics: the ranks' and mg_lstsq's within the same bounds */
    const size_t o = 6 + 2 * S->p;
    const double wr = check_stats(S, ref, a.v + 6, a.v + 6 + S->p, a.v[o], a.v[o + 1], a.v[o + 2],
                                  "ranks   ");
    const double w1 = check_stats(S, ref, b1, se1, rsd1, r21, ar21, "mg_lstsq");
    MPIT_CHECK(wr <= 1.0 && w1 <= 1.0, "%s (%s split): statistics at %.2f (ranks), %.2f "
               "(mg_lstsq) of their bounds", S->name, split, wr, w1);
    /* rank, df and method as mg_lstsq's; rcond: both 1-norm estimates
     * (dtrcon) of R factors of the same equilibrated Z, each the exact R of
     * Z + dZ with ||dZ|| ~ p u ||Z||, so their exact condition numbers agree
     * to a relative kappa p u (kappa ~6e9 here: 1e-5); the estimator only
     * bounds ||R^-1||_1 from below, within a factor p in the worst case
     * known for triangular R (Higham, ASNA, Sec. 15.3): within p */
    const double p = (double)S->p;
    MPIT_CHECK(a.v[1] == p && a.v[5] == (double)r1.df_residual && a.v[4] == (double)r1.method,
               "%s: rank %g, df %g, method %g", S->name, a.v[1], a.v[5], a.v[4]);
    MPIT_CHECK(a.v[2] <= p * r1.rcond && r1.rcond <= p * a.v[2], "%s: rcond %.3g, mg_lstsq %.3g",
               S->name, a.v[2], r1.rcond);
    if (mpit_rank == 0)
        printf("%-9s rcond %.4g (mg_lstsq %.4g)\n", S->name, a.v[2], r1.rcond);

    /* weighted: the engine's answer or refusal, as mg_lstsq with weights */
    double ones[NIST_MAXN], B[NIST_MAXP];
    for (size_t i = 0; i < S->N; i++)
        ones[i] = 1.0;
    mg_matrix W = mg_matrix_view(ones, n, 1), Wa = mg_matrix_view(ones, S->N, 1),
              Bw = mg_matrix_view(B, S->p, 1);
    lo.weights = &Wa;
    const mg_status sw1 = mg_lstsq(&Xa, &Ya, &Bw, &lo, NULL);
    static fit_out c;
    const mg_status sw = mpi_fit(n ? &X : NULL, n ? &Y : NULL, n ? &W : NULL, S->intercept, S->p, 1, &c);
    MPIT_CHECK(sw == sw1 && sw != MG_OK, "%s weighted: status %d on ranks, %d in mg_lstsq", S->name,
               (int)sw, (int)sw1);

    /* a NaN in the last row-holding rank's y: MG_ENONFINITE on every rank
     * (the engine meets it before the Householder path would), nothing
     * written */
    int last = 0;
    {
        int holder = n > 0 ? mpit_rank : -1;
        MPI_Allreduce(MPI_IN_PLACE, &holder, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        last = holder == mpit_rank;
    }
    static double ybad[NIST_MAXN];
    memcpy(ybad, S->y + i0, n * sizeof *ybad);
    if (last)
        ybad[n - 1] = NAN;
    mg_matrix Yb = mg_matrix_view(ybad, n, 1);
    double Bn[NIST_MAXP];
    for (size_t j = 0; j < S->p; j++)
        Bn[j] = -7.0;
    mg_matrix Bnv = mg_matrix_view(Bn, S->p, 1);
    mg_mpi_lstsq_options on = mg_mpi_lstsq_defaults();
    on.intercept = S->intercept;
    const mg_status sn = mg_mpi_lstsq(MPI_COMM_WORLD, n ? &X : NULL, n ? &Yb : NULL, NULL, &on,
                                      &Bnv, NULL);
    MPIT_CHECK(sn == MG_ENONFINITE && Bn[0] == -7.0, "%s (%s split): NaN on one rank: status %d",
               S->name, split, (int)sn);
}

static void nist(const char *name)
{
    static nist_set S;
    char path[1024];
    snprintf(path, sizeof path, "%s/nist/%s.txt", MG_DATA_DIR, name);
    if (nist_load(path, &S) != 0) {
        MPIT_CHECK(0, "cannot load %s", path);
        return;
    }
    double bh[NIST_MAXP], bl[NIST_MAXP], cov[NIST_MAXP], b1[NIST_MAXP], se1[NIST_MAXP], rsd1, r21;
    ref_lstsq ref = { bh, bl, cov, 0.0, S.intercept, 0.0 };
    MPIT_CHECK(ref_lstsq_exact(S.Z, S.p, S.N, S.p, S.y, 1, &ref) == 0, "%s: reference", name);
    const mg_status s1 = single_fit(&S, b1, se1, &rsd1, &r21);

    size_t i0, n;
    mpit_split(S.N, &i0, &n);
    mg_matrix X = mg_matrix_view(S.X + i0 * S.nx, n, S.nx), Y = mg_matrix_view(S.y + i0, n, 1);
    static fit_out a, b;
    const mg_status s = mpi_fit(n ? &X : NULL, n ? &Y : NULL, NULL, S.intercept, S.p, 1, &a);
    MPIT_CHECK(mpit_same(a.v, a.n), "%s: outputs differ between ranks", name);
    MPIT_CHECK(mpi_fit(n ? &X : NULL, n ? &Y : NULL, NULL, S.intercept, S.p, 1, &b) == s
                   && memcmp(a.v, b.v, sizeof a.v) == 0,
               "%s: a second run differs", name);
    if (s1 != MG_OK) {
        /* the engine refuses (Filip): mg_lstsq's Householder path on the
         * ranks, on this split and on one with 3 rows on rank 0 */
        if (mpit_rank == 0)
            printf("%-9s the engine refuses (status %d) on one process\n", name, (int)s1);
        householder(&S, &ref, i0, n, "default");
        split_small(S.N, &i0, &n);
        householder(&S, &ref, i0, n, "3-row");
        return;
    }
    MPIT_CHECK(s == MG_OK, "%s: status %d on ranks, one process MG_OK", name, (int)s);
    if (s != MG_OK)
        return;
    double big = 0.0, worst = 0.0, worst1 = 0.0, lre = INFINITY, lre1 = INFINITY;
    for (size_t j = 0; j < S.p; j++)
        big = fmax(big, fabs(bh[j]));
    for (size_t j = 0; j < S.p; j++) {
        const double u = ulp(bh[j] != 0.0 ? bh[j] : big), bj = a.v[6 + j];
        /* |b - (bh + bl)| in ulps of the exact value */
        worst = fmax(worst, fabs((bj - bh[j]) - bl[j]) / u);
        worst1 = fmax(worst1, fabs((b1[j] - bh[j]) - bl[j]) / u);
        lre = fmin(lre, ref_lre(bj, S.beta[j], 0.0));
        lre1 = fmin(lre1, ref_lre(b1[j], S.beta[j], 0.0));
    }
    /* against mg_lstsq (its own path, Householder QR with Q) and the
     * certified values c: both fits lie within 8 ulp of the exact solution
     * b* (lstsq.h, fit.h), so |b_mpi - c| <= |b_lstsq - c| + 16 ulp(b*)
     * per coefficient: the same LRE up to that */
    double bl1[NIST_MAXP];
    mg_matrix Xa = mg_matrix_view(S.X, S.N, S.nx), Ya = mg_matrix_view(S.y, S.N, 1),
              Bl = mg_matrix_view(bl1, S.p, 1);
    mg_lstsq_options lo = mg_lstsq_defaults();
    lo.intercept = S.intercept;
    MPIT_CHECK(mg_lstsq(&Xa, &Ya, &Bl, &lo, NULL) == MG_OK, "%s: mg_lstsq", name);
    double lre_l = INFINITY;
    for (size_t j = 0; j < S.p; j++) {
        const double u = ulp(bh[j] != 0.0 ? bh[j] : big);
        MPIT_CHECK(fabs(a.v[6 + j] - S.beta[j]) <= fabs(bl1[j] - S.beta[j]) + 16.0 * u,
                   "%s: coefficient %zu farther from the certified value than mg_lstsq's", name, j);
        lre_l = fmin(lre_l, ref_lre(bl1[j], S.beta[j], 0.0));
    }
    stats(&S, bh, &a, se1, rsd1, r21);
    if (mpit_rank == 0)
        printf("%-9s %d ranks: %.2f ulp from the exact solution (one process %.2f), "
               "LRE %.1f (one process %.1f, mg_lstsq %.1f), %g steps\n",
               name, mpit_size, worst, worst1, lre, lre1, lre_l, a.v[3]);
    /* the engine's promise (fit.h): within 8 ulp of the exact solution */
    MPIT_CHECK(worst <= 8.0, "%s: %.2f ulp", name, worst);
}

/* The single-process engine's status on every row of pr (unweighted):
 * MG_ENOCONV where its semi-normal refinement cannot prove the answer. */
static mg_status engine_status(const mgt_pairs *pr)
{
    mg_fit_options fo = mg_fit_defaults();
    fo.intercept = pr->ic;
    mg_fit *f = NULL;
    double B[64];
    mg_matrix X = mgt_pairs_x(pr, 0, pr->N), Y = mgt_pairs_y(pr, 0, pr->N),
              Bv = mg_matrix_view(B, pr->m, pr->k);
    if (pr->m * pr->k > 64 || mg_fit_create(pr->p, pr->k, &fo, &f) != MG_OK ||
        mg_fit_accumulate(f, &X, &Y, NULL) != MG_OK)
        abort();
    mg_status s = refined(f, &X, &Y, &Bv);
    mg_fit_free(f);
    return s;
}

/* Exact-answer problems, weighted and not, 1 and 2 outputs. */
static void pairs(int ic, int weighted, size_t k, double collinear)
{
    mgt_pairs pr = mgt_pairs_make(11 + (uint64_t)weighted, 400, 4, k, ic, weighted, collinear, 0.0, 0);
    size_t i0, n;
    mpit_split(pr.N, &i0, &n);
    mg_matrix X = mgt_pairs_x(&pr, i0, n), Y = mgt_pairs_y(&pr, i0, n), w = mgt_pairs_w(&pr, i0, n);
    static fit_out a;
    const mg_status s = mpi_fit(n ? &X : NULL, n ? &Y : NULL, n && weighted ? &w : NULL, ic, pr.m,
                                k, &a);
    MPIT_CHECK(s == MG_OK, "pairs: status %d", (int)s);
    MPIT_CHECK(mpit_same(a.v, a.n), "pairs: outputs differ between ranks");
    MPIT_CHECK(pr.exact, "pairs: responses not exact");
    /* kappa ~1e8 (collinear 1e8): the engine declines on one process, so
     * the ranks' answer is the Householder path's */
    if (collinear >= 1e8)
        MPIT_CHECK(!weighted && engine_status(&pr) == MG_ENOCONV, "pairs: the engine does not decline");
    /* the exact B* is the least-squares solution: within 8 ulp (fit.h) */
    const double e = mgt_pairs_ulp_error(&pr, a.v + 6, k);
    if (mpit_rank == 0)
        printf("pairs ic %d weighted %d k %zu collinear %g: %.2f ulp\n", ic, weighted, k,
               collinear, e);
    MPIT_CHECK(e <= 8.0, "pairs: %.2f ulp", e);
    /* the degrees of freedom count the rows of nonzero weight on every rank */
    MPIT_CHECK(a.v[5] == (double)(mgt_pairs_nonzero(&pr) - pr.m), "df %g", a.v[5]);
    mgt_pairs_free(&pr);
}

/* Bad input on one rank only, the last one that holds rows: every rank
 * returns its status, nothing is written anywhere. */
static void errors(void)
{
    mgt_pairs pr = mgt_pairs_make(5, 40, 3, 1, 1, 0, 0.0, 0.0, 0);
    size_t i0, n;
    mpit_split(pr.N, &i0, &n);
    const int last = mpit_rank == (mpit_size == 2 ? 0 : mpit_size - 1);
    double x[3 * 40], y[40];
    for (size_t i = 0; i < n; i++) {
        memcpy(x + 3 * i, pr.X + (i0 + i) * pr.xs, 3 * sizeof *x);
        y[i] = pr.Y[(i0 + i) * pr.k];
    }
    mg_matrix X = mg_matrix_view(x, n, 3), Y = mg_matrix_view(y, n, 1);
    double B[5] = { -7, -7, -7, -7, -7 }, sd = -7;
    mg_lstsq_result res = { 0 };
    res.residual_sd = &sd;
    mg_matrix Bv = mg_matrix_view(B, 4, 1);
    mg_mpi_lstsq_options o = mg_mpi_lstsq_defaults();
    o.intercept = 1;

    /* a NaN among the last rank's rows */
    if (last && n > 0)
        x[n - 1] = NAN;
    mg_status s = mg_mpi_lstsq(MPI_COMM_WORLD, n ? &X : NULL, n ? &Y : NULL, NULL, &o, &Bv, &res);
    MPIT_CHECK(s == MG_ENONFINITE, "NaN: status %d", (int)s);
    MPIT_CHECK(B[0] == -7 && B[3] == -7 && sd == -7 && res.rank == 0, "NaN: outputs written");
    if (last && n > 0)
        x[n - 1] = 1.0;

    /* a B of another shape on the last rank (a wrong p there) */
    mg_matrix B3 = mg_matrix_view(B, 3, 1);
    s = mg_mpi_lstsq(MPI_COMM_WORLD, n ? &X : NULL, n ? &Y : NULL, NULL, &o, last ? &B3 : &Bv, &res);
    MPIT_CHECK(s == MG_EDIM, "shape: status %d", (int)s);

    /* a different option on the last rank */
    mg_mpi_lstsq_options o2 = o;
    o2.max_refine = last ? 3 : 20;
    s = mg_mpi_lstsq(MPI_COMM_WORLD, n ? &X : NULL, n ? &Y : NULL, NULL, &o2, &Bv, &res);
    MPIT_CHECK(s == (mpit_size > 1 ? MG_EDIM : MG_OK), "options: status %d", (int)s);
    if (mpit_size > 1)
        MPIT_CHECK(B[0] == -7 && sd == -7, "options: outputs written");

    /* NULL B on the last rank */
    s = mg_mpi_lstsq(MPI_COMM_WORLD, n ? &X : NULL, n ? &Y : NULL, NULL, &o, last ? NULL : &Bv, &res);
    MPIT_CHECK(s == MG_EINVAL, "NULL B: status %d", (int)s);

    /* a negative weight on that rank */
    double wv[40];
    for (size_t i = 0; i < n; i++)
        wv[i] = last && i == 0 ? -1.0 : 1.0;
    mg_matrix W = mg_matrix_view(wv, n, 1);
    B[0] = -7;
    s = mg_mpi_lstsq(MPI_COMM_WORLD, n ? &X : NULL, n ? &Y : NULL, n ? &W : NULL, &o, &Bv, &res);
    MPIT_CHECK(s == MG_EINVAL, "negative weight: status %d", (int)s);
    MPIT_CHECK(B[0] == -7, "negative weight: outputs written");

    /* no rows anywhere */
    s = mg_mpi_lstsq(MPI_COMM_WORLD, NULL, NULL, NULL, &o, &Bv, &res);
    MPIT_CHECK(s == MG_EINVAL, "no rows: status %d", (int)s);
    mgt_pairs_free(&pr);
}

START_TEST(mpi_lstsq)
{
    for (size_t i = 0; i < NSETS; i++)
        nist(SETS[i]);
    pairs(1, 0, 1, 0.0);
    pairs(1, 1, 2, 0.0);
    pairs(0, 1, 2, 0.0);
    pairs(1, 0, 1, 1e3); /* kappa(Z) ~ 1e3: refinement passes at work */
    pairs(1, 0, 2, 1e8); /* kappa(Z) ~ 1e8: the engine declines, the Householder path */
    pairs(0, 0, 1, 1e8);
    errors();
}
END_TEST

int main(int argc, char **argv)
{
    mpit_init(&argc, &argv);
    return mpit_run(mpi_lstsq);
}
