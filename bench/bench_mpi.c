/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_mpi: the MPI layer (include/matgrad/mpi.h) on 1..P ranks, for
 * docs/scaling.md.  Run under mpirun by bench/run_mpi.sh, never alone.
 *
 *   bench_mpi strong N p   N rows in all, split evenly over the ranks
 *   bench_mpi weak   n p   n rows on every rank (N = n P)
 *
 * Rows are [X y] with X uniform in [-1, 1) and y = 1 + sum_j b_j x_j +
 * noise, generated from the global row index: the same N rows whatever the
 * rank count.  Timed, each with one untimed call first and then
 * MG_BENCH_REPS (default 5) repetitions, each repetition after a barrier,
 * its time the largest over the ranks (the fit ends when its last rank
 * does):
 *   lstsq   mg_mpi_lstsq, intercept, k = 1, default refinement
 *   normal  mg_mpi_normal_solve, A = X, ridge 0
 *   grad    mg_mpi_mse_grad (one gradient: what one epoch costs)
 *   gd10    mg_mpi_gd_fit, 10 epochs (11 gradients)
 * and each function's local share alone, the same way: the row passes a
 * rank makes on its own rows with the single-process engine (QR accumulate
 * and as many refinement replays as the fit took; GRAM accumulate; one or
 * eleven mg_mse_grad), timed in rounds alternating with the call's (load
 * that drifts over seconds hits both alike).  Call minus local is what
 * the ranks add: messages, merges, waiting, the finish on rank 0.
 *
 * Messages are counted, not assumed: this executable defines MPI_Send,
 * MPI_Recv, MPI_Bcast, ... (exported: CMake ENABLE_EXPORTS), so the calls
 * that libmatgrad_mpi makes resolve here; each counts the call and its
 * bytes and forwards to PMPI_*.  The bench's own barriers and reductions
 * call PMPI_* directly and are not counted.  The counts are those of the
 * untimed first call of each function.
 *
 * Also: on 2 ranks, a ping-pong between ranks 0 and 1 (the transport's
 * latency and bandwidth); on 1 rank, in strong mode, the cost of loading
 * and merging one state image of each kind (the tree's work per level),
 * each call on few rows (its fixed cost) and the heap bytes of one state; each rank's peak resident memory.
 *
 * Output (rank 0), one record per line, read by bench/mpi_report.py:
 *   MPI  mode= np= fn= rows= rows_per_rank= p= reps= median_s= min_s=
 *        local_median_s= refine=
 *   COMM mode= np= p= fn= op= calls_sum= bytes_sum= calls_max= bytes_max=
 *   PING np=2 p= bytes= half_rtt_s=
 *   PART p= part= image_bytes= median_s=
 *   FIXED p= fn= rows= median_s= refine=   (a call on 4 (p + 1) and 8 (p + 1) rows)
 *   STATE kind= p= bytes=      (heap bytes of one state, glibc's mallinfo2)
 *   MEM  mode= np= p= rows_per_rank= data_bytes= maxrss_kb=
 *   CHECK mode= np= p= max_coef_err= refine= */
#include "bench_common.h"

#include <malloc.h>
#include <math.h>
#include <matgrad/mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- counting interposers --------------------------------------------- */

enum { OP_SEND, OP_RECV, OP_ISEND, OP_IRECV, OP_SENDRECV, OP_BCAST, OP_REDUCE, OP_ALLREDUCE,
       OP_ALLGATHER, OP_BARRIER, OP_COMM_DUP, OP_COMM_FREE, NOPS };
static const char *const OP_NAME[NOPS] = { "MPI_Send", "MPI_Recv", "MPI_Isend", "MPI_Irecv",
                                           "MPI_Sendrecv", "MPI_Bcast", "MPI_Reduce",
                                           "MPI_Allreduce", "MPI_Allgather", "MPI_Barrier",
                                           "MPI_Comm_dup", "MPI_Comm_free" };
/* calls and bytes per operation, as doubles for one PMPI_Reduce */
static double g_count[2 * NOPS];

static void tally(int op, int count, MPI_Datatype type)
{
    int size = 0;
    if (type != MPI_DATATYPE_NULL)
        PMPI_Type_size(type, &size);
    g_count[op] += 1.0;
    g_count[NOPS + op] += (double)count * (double)size;
}

int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
    tally(OP_SEND, count, type);
    return PMPI_Send(buf, count, type, dest, tag, comm);
}

/* Bytes received: what arrived (the status), not the buffer's capacity. */
int MPI_Recv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
             MPI_Status *status)
{
    MPI_Status own;
    MPI_Status *st = status == MPI_STATUS_IGNORE ? &own : status;
    const int rc = PMPI_Recv(buf, count, type, source, tag, comm, st);
    int got = 0;
    if (rc == MPI_SUCCESS)
        PMPI_Get_count(st, MPI_BYTE, &got);
    g_count[OP_RECV] += 1.0;
    g_count[NOPS + OP_RECV] += (double)got;
    return rc;
}

int MPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
              MPI_Request *req)
{
    tally(OP_ISEND, count, type);
    return PMPI_Isend(buf, count, type, dest, tag, comm, req);
}

int MPI_Irecv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
              MPI_Request *req)
{
    tally(OP_IRECV, count, type);
    return PMPI_Irecv(buf, count, type, source, tag, comm, req);
}

int MPI_Sendrecv(const void *sbuf, int scount, MPI_Datatype stype, int dest, int stag, void *rbuf,
                 int rcount, MPI_Datatype rtype, int source, int rtag, MPI_Comm comm,
                 MPI_Status *status)
{
    tally(OP_SENDRECV, scount, stype);
    return PMPI_Sendrecv(sbuf, scount, stype, dest, stag, rbuf, rcount, rtype, source, rtag, comm,
                         status);
}

/* Collectives: the payload on this rank (the root's data, or what a
 * non-root receives), not the transport's internal messages. */
int MPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm)
{
    tally(OP_BCAST, count, type);
    return PMPI_Bcast(buf, count, type, root, comm);
}

int MPI_Reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, int root,
               MPI_Comm comm)
{
    tally(OP_REDUCE, count, type);
    return PMPI_Reduce(sbuf, rbuf, count, type, op, root, comm);
}

int MPI_Allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                  MPI_Comm comm)
{
    tally(OP_ALLREDUCE, count, type);
    return PMPI_Allreduce(sbuf, rbuf, count, type, op, comm);
}

int MPI_Allgather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount,
                  MPI_Datatype rtype, MPI_Comm comm)
{
    tally(OP_ALLGATHER, scount, stype);
    return PMPI_Allgather(sbuf, scount, stype, rbuf, rcount, rtype, comm);
}

int MPI_Barrier(MPI_Comm comm)
{
    tally(OP_BARRIER, 0, MPI_DATATYPE_NULL);
    return PMPI_Barrier(comm);
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *out)
{
    tally(OP_COMM_DUP, 0, MPI_DATATYPE_NULL);
    return PMPI_Comm_dup(comm, out);
}

int MPI_Comm_free(MPI_Comm *comm)
{
    tally(OP_COMM_FREE, 0, MPI_DATATYPE_NULL);
    return PMPI_Comm_free(comm);
}

/* ---- data ------------------------------------------------------------- */

/* uniform [-1, 1) from (stream, index): splitmix64, order-independent */
static double unif(unsigned long long stream, unsigned long long i)
{
    unsigned long long z = stream * 0x9E3779B97F4A7C15ULL + i + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* the true coefficient of predictor j (the intercept is 1) */
static double beta(size_t j, size_t p)
{
    return 1.0 + (double)j / (double)p;
}

typedef struct bench {
    MPI_Comm comm;
    int rank, size;
    size_t n, p, lo;        /* this rank's rows [lo, lo + n) of N */
    double *X, *y;          /* n x p, n x 1 */
    mg_matrix Xv, Yv;
    double *B, *W, *G;      /* (1 + p) x 1, p x 1, p x 1 */
    size_t refine;          /* refinement passes of the last mg_mpi_lstsq */
    mg_fit *qr, *gram;      /* local states for the row passes alone */
} bench;

static void fail(const bench *b, const char *what, mg_status s)
{
    fprintf(stderr, "bench_mpi: rank %d: %s: %s\n", b->rank, what, mg_strerror(s));
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static void generate(bench *b)
{
    b->X = malloc((b->n ? b->n : 1) * b->p * sizeof *b->X);
    b->y = malloc((b->n ? b->n : 1) * sizeof *b->y);
    b->B = calloc(b->p + 1, sizeof *b->B);
    b->W = calloc(b->p, sizeof *b->W);
    b->G = calloc(b->p, sizeof *b->G);
    if (!b->X || !b->y || !b->B || !b->W || !b->G)
        fail(b, "data", MG_ENOMEM);
    for (size_t i = 0; i < b->n; i++) {
        const unsigned long long g = b->lo + i;
        double s = 1.0 + 0.01 * unif(2, g);
        for (size_t j = 0; j < b->p; j++) {
            const double x = unif(1, g * b->p + j);
            b->X[i * b->p + j] = x;
            s += beta(j, b->p) * x;
        }
        b->y[i] = s;
    }
    b->Xv = mg_matrix_view(b->X, b->n, b->p);
    b->Yv = mg_matrix_view(b->y, b->n, 1);
    mg_fit_options o = mg_fit_defaults();
    o.kind = MG_FIT_QR;
    o.intercept = 1;
    mg_status s = mg_fit_create(b->p, 1, &o, &b->qr);
    o = mg_fit_defaults();
    o.kind = MG_FIT_GRAM;
    if (s == MG_OK)
        s = mg_fit_create(b->p, 1, &o, &b->gram);
    if (s != MG_OK)
        fail(b, "mg_fit_create", s);
}

/* ---- the timed calls -------------------------------------------------- */

static void call_lstsq(bench *b)
{
    mg_mpi_lstsq_options o = mg_mpi_lstsq_defaults();
    o.intercept = 1;
    mg_matrix Bv = mg_matrix_view(b->B, b->p + 1, 1);
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    const mg_status s = mg_mpi_lstsq(b->comm, &b->Xv, b->n ? &b->Yv : NULL, NULL, &o, &Bv, &res);
    if (s != MG_OK)
        fail(b, "mg_mpi_lstsq", s);
    b->refine = res.refine_steps;
}

static void call_normal(bench *b)
{
    mg_matrix Wv = mg_matrix_view(b->W, b->p, 1);
    const mg_status s = mg_mpi_normal_solve(b->comm, &b->Xv, b->n ? &b->Yv : NULL, 0.0, &Wv);
    if (s != MG_OK)
        fail(b, "mg_mpi_normal_solve", s);
}

static void set_w(bench *b)
{
    for (size_t j = 0; j < b->p; j++)
        b->W[j] = 0.5;
}

static void call_grad(bench *b)
{
    set_w(b);
    mg_matrix Wv = mg_matrix_view(b->W, b->p, 1), Gv = mg_matrix_view(b->G, b->p, 1);
    double loss = 0.0;
    const mg_status s = mg_mpi_mse_grad(b->comm, &b->Xv, &Wv, b->n ? &b->Yv : NULL, &Gv, &loss);
    if (s != MG_OK)
        fail(b, "mg_mpi_mse_grad", s);
}

enum { GD_EPOCHS = 10 };

static void call_gd(bench *b)
{
    set_w(b);
    mg_matrix Wv = mg_matrix_view(b->W, b->p, 1);
    mg_gd_options o = mg_gd_defaults();
    o.learning_rate = 0.05;
    o.epochs = GD_EPOCHS;
    o.tolerance = 0.0;
    size_t run = 0;
    const mg_status s = mg_mpi_gd_fit(b->comm, &b->Xv, b->n ? &b->Yv : NULL, &Wv, &o, &run);
    if (s != MG_OK)
        fail(b, "mg_mpi_gd_fit", s);
}

/* ---- the local shares: the same row passes, no messages ---------------- */

static void local_lstsq(bench *b)
{
    mg_status s = mg_fit_reset(b->qr);
    if (s == MG_OK && b->n)
        s = mg_fit_accumulate(b->qr, &b->Xv, &b->Yv, NULL);
    mg_matrix Bv = mg_matrix_view(b->B, b->p + 1, 1);
    for (size_t r = 0; s == MG_OK && r < b->refine; r++) {
        s = mg_fit_refine_begin(b->qr, &Bv);
        if (s == MG_OK && b->n)
            s = mg_fit_refine_accumulate(b->qr, &b->Xv, &b->Yv, NULL);
    }
    if (s != MG_OK)
        fail(b, "local QR passes", s);
}

static void local_normal(bench *b)
{
    mg_status s = mg_fit_reset(b->gram);
    if (s == MG_OK && b->n)
        s = mg_fit_accumulate(b->gram, &b->Xv, &b->Yv, NULL);
    if (s != MG_OK)
        fail(b, "local GRAM pass", s);
}

static void local_grads(bench *b, int count)
{
    set_w(b);
    mg_matrix Wv = mg_matrix_view(b->W, b->p, 1), Gv = mg_matrix_view(b->G, b->p, 1);
    for (int e = 0; e < count && b->n; e++) {
        double loss = 0.0;
        const mg_status s = mg_mse_grad(&b->Xv, &Wv, &b->Yv, &Gv, &loss);
        if (s != MG_OK)
            fail(b, "local mg_mse_grad", s);
    }
}

static void local_grad(bench *b)
{
    local_grads(b, 1);
}

static void local_gd(bench *b)
{
    local_grads(b, GD_EPOCHS + 1);
}

/* ---- measurement ------------------------------------------------------ */

typedef struct workload {
    const char *name;
    void (*call)(bench *);
    void (*local)(bench *);
} workload;

/* The slowest rank's time of one call of fn, after a barrier. */
static double slowest(bench *b, void (*fn)(bench *))
{
    PMPI_Barrier(b->comm);
    const double t0 = bc_now();
    fn(b);
    double dt = bc_now() - t0, top = 0.0;
    PMPI_Allreduce(&dt, &top, 1, MPI_DOUBLE, MPI_MAX, b->comm);
    return top;
}

/* The call and its local share in alternating rounds (load on the shared
 * machine that drifts over seconds then hits both alike): medians of each,
 * and the call's fastest round. */
static void timed(bench *b, const workload *w, int reps, double *med, double *min, double *lmed)
{
    double *t = malloc(2 * (size_t)reps * sizeof *t);
    if (!t)
        fail(b, "timing", MG_ENOMEM);
    for (int r = 0; r < reps; r++) {
        t[r] = slowest(b, w->call);
        t[reps + r] = slowest(b, w->local);
    }
    *min = t[0];
    for (int r = 1; r < reps; r++)
        *min = t[r] < *min ? t[r] : *min;
    *med = bc_median(t, (size_t)reps);
    *lmed = bc_median(t + reps, (size_t)reps);
    free(t);
}

/* One call of fn with the counters from zero: its messages, summed over
 * the ranks and the largest rank's, printed by rank 0. */
static void counted(bench *b, void (*fn)(bench *), const char *mode, const char *name)
{
    double sum[2 * NOPS], max[2 * NOPS];
    PMPI_Barrier(b->comm);
    memset(g_count, 0, sizeof g_count);
    fn(b);
    PMPI_Reduce(g_count, sum, 2 * NOPS, MPI_DOUBLE, MPI_SUM, 0, b->comm);
    PMPI_Reduce(g_count, max, 2 * NOPS, MPI_DOUBLE, MPI_MAX, 0, b->comm);
    if (b->rank != 0)
        return;
    for (int op = 0; op < NOPS; op++)
        if (sum[op] > 0)
            printf("COMM mode=%s np=%d p=%zu fn=%s op=%s calls_sum=%.0f bytes_sum=%.0f calls_max=%.0f "
                   "bytes_max=%.0f\n",
                   mode, b->size, b->p, name, OP_NAME[op], sum[op], sum[NOPS + op], max[op],
                   max[NOPS + op]);
}

static void run_workload(bench *b, const workload *w, const char *mode, size_t N, int reps)
{
    counted(b, w->call, mode, w->name); /* also the warm-up */
    w->local(b); /* its warm-up */
    double med, min, lmed;
    timed(b, w, reps, &med, &min, &lmed);
    if (b->rank == 0)
        printf("MPI mode=%s np=%d fn=%s rows=%zu rows_per_rank=%zu p=%zu reps=%d median_s=%.6g "
               "min_s=%.6g local_median_s=%.6g refine=%zu\n",
               mode, b->size, w->name, N, b->n, b->p, reps, med, min, lmed,
               w->call == call_lstsq ? b->refine : (size_t)0);
    fflush(stdout);
}

/* Ranks 0 and 1: half the round trip of a message of each size. */
static void ping_pong(bench *b)
{
    static const int sizes[] = { 8, 64, 512, 4096, 8192, 32768, 262144, 1048576 };
    unsigned char *buf = calloc(1048576, 1);
    if (!buf)
        fail(b, "ping-pong", MG_ENOMEM);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int bytes = sizes[s], iters = bytes <= 8192 ? 2000 : 200;
        double t[5];
        for (int rep = 0; rep < 5; rep++) {
            PMPI_Barrier(b->comm);
            const double t0 = bc_now();
            for (int i = 0; i < iters; i++) {
                if (b->rank == 0) {
                    PMPI_Send(buf, bytes, MPI_BYTE, 1, 1, b->comm);
                    PMPI_Recv(buf, bytes, MPI_BYTE, 1, 1, b->comm, MPI_STATUS_IGNORE);
                } else if (b->rank == 1) {
                    PMPI_Recv(buf, bytes, MPI_BYTE, 0, 1, b->comm, MPI_STATUS_IGNORE);
                    PMPI_Send(buf, bytes, MPI_BYTE, 0, 1, b->comm);
                }
            }
            t[rep] = (bc_now() - t0) / (2.0 * iters);
        }
        if (b->rank == 0)
            printf("PING np=%d p=%zu bytes=%d half_rtt_s=%.6g\n", b->size, b->p, bytes, bc_median(t, 5));
    }
    free(buf);
}

/* Rank 0 alone: what one level of the tree computes, per kind: load a
 * child's image and merge it (plain, and the refinement sums). */
static void part(bench *b, mg_fit *dst, mg_fit *child, const unsigned char *img, size_t len,
                 int refine, const char *name)
{
    enum { REPS = 7, ITERS = 200 };
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        const double t0 = bc_now();
        for (int i = 0; i < ITERS; i++) {
            mg_status s = mg_fit_load(child, img, len);
            if (s == MG_OK)
                s = refine ? mg_fit_refine_merge(dst, child) : mg_fit_merge(dst, child);
            if (s != MG_OK)
                fail(b, name, s);
        }
        t[r] = (bc_now() - t0) / ITERS;
    }
    printf("PART p=%zu part=%s image_bytes=%zu median_s=%.6g\n", b->p, name, len, bc_median(t, REPS));
}

static void parts_of_kind(bench *b, mg_fit *f, const char *name, int with_refine)
{
    const size_t rows = b->n < 10000 ? b->n : 10000;
    mg_fit *child = NULL;
    size_t p = 0, k = 0, cap = 0, len = 0;
    mg_fit_options o;
    mg_status s = mg_fit_shape(f, &p, &k, &o);
    if (s == MG_OK)
        s = mg_fit_create(p, k, &o, &child);
    mg_matrix Xs = mg_matrix_view(b->X, rows, b->p), Ys = mg_matrix_view(b->y, rows, 1);
    if (s == MG_OK)
        s = mg_fit_reset(f);
    if (s == MG_OK)
        s = mg_fit_accumulate(f, &Xs, &Ys, NULL);
    mg_matrix Bv = mg_matrix_view(b->B, b->p + (o.intercept ? 1u : 0u), 1);
    if (s == MG_OK && with_refine)
        s = mg_fit_refine_begin(f, &Bv); /* the larger image: refinement sums too */
    if (s == MG_OK)
        s = mg_fit_save_size(f, &cap);
    unsigned char *img = s == MG_OK ? malloc(cap) : NULL;
    if (s == MG_OK && !img)
        s = MG_ENOMEM;
    if (s == MG_OK)
        s = mg_fit_save(f, img, cap, &len);
    if (s != MG_OK)
        fail(b, "state image", s);
    char label[64];
    if (with_refine) {
        snprintf(label, sizeof label, "%s_refine_load_merge", name);
        part(b, f, child, img, len, 1, label);
    } else {
        snprintf(label, sizeof label, "%s_load_merge", name);
        part(b, f, child, img, len, 0, label);
    }
    free(img);
    mg_fit_free(child);
}

/* Heap bytes of one state of f's shape (glibc's count of the bytes in
 * use, before and after mg_fit_create): the layer keeps two per rank. */
static void state_bytes(bench *b, const mg_fit *f, const char *name)
{
    size_t p = 0, k = 0;
    mg_fit_options o;
    mg_fit *g = NULL;
    mg_status s = mg_fit_shape(f, &p, &k, &o);
    const struct mallinfo2 before = mallinfo2();
    if (s == MG_OK)
        s = mg_fit_create(p, k, &o, &g);
    const struct mallinfo2 after = mallinfo2();
    if (s != MG_OK)
        fail(b, "state size", s);
    printf("STATE kind=%s p=%zu bytes=%zu\n", name, p,
           (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd));
    mg_fit_free(g);
}

/* What a call costs beyond its row passes (the agreement, the finish,
 * the statistics, the copies: rank 0's fixed work), timed on one rank
 * with r = 4 (p + 1) rows (enough for a full-rank fit) and with 2 r: the
 * report extrapolates to no rows, 2 T(r) - T(2 r). */
static void fixed_costs(bench *b, const workload *W, size_t nw)
{
    enum { REPS = 21 };
    const size_t n = b->n;
    for (size_t rows = 4 * (b->p + 1); rows <= 8 * (b->p + 1) && rows <= n; rows *= 2) {
        b->n = rows;
        b->Xv.rows = b->Yv.rows = rows;
        for (size_t i = 0; i < nw; i++) {
            double t[REPS];
            W[i].call(b); /* warm-up */
            for (int r = 0; r < REPS; r++)
                t[r] = slowest(b, W[i].call);
            printf("FIXED p=%zu fn=%s rows=%zu median_s=%.6g refine=%zu\n", b->p, W[i].name, rows,
                   bc_median(t, REPS), W[i].call == call_lstsq ? b->refine : (size_t)0);
        }
    }
    b->n = n;
    b->Xv.rows = b->Yv.rows = n;
}

static void parts(bench *b, const workload *W, size_t nw)
{
    if (b->n == 0)
        return;
    fixed_costs(b, W, nw);
    state_bytes(b, b->qr, "qr");
    state_bytes(b, b->gram, "gram");
    parts_of_kind(b, b->qr, "qr", 0);
    parts_of_kind(b, b->qr, "qr", 1);
    parts_of_kind(b, b->gram, "gram", 0);
}

static void memory(bench *b, const char *mode)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    double kb = (double)u.ru_maxrss, top = 0.0;
    PMPI_Reduce(&kb, &top, 1, MPI_DOUBLE, MPI_MAX, 0, b->comm);
    if (b->rank == 0)
        printf("MEM mode=%s np=%d p=%zu rows_per_rank=%zu data_bytes=%zu maxrss_kb=%.0f\n", mode, b->size,
               b->p, b->n, b->n * (b->p + 1) * sizeof(double), top);
}

static void check(bench *b, const char *mode)
{
    double err = fabs(b->B[0] - 1.0);
    for (size_t j = 0; j < b->p; j++)
        err = fmax(err, fabs(b->B[1 + j] - beta(j, b->p)));
    if (b->rank == 0)
        printf("CHECK mode=%s np=%d p=%zu max_coef_err=%.3g refine=%zu\n", mode, b->size, b->p, err,
               b->refine);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    bench b;
    memset(&b, 0, sizeof b);
    b.comm = MPI_COMM_WORLD;
    MPI_Comm_rank(b.comm, &b.rank);
    MPI_Comm_size(b.comm, &b.size);
    const char *mode = argc > 1 ? argv[1] : "strong";
    const int weak = strcmp(mode, "weak") == 0;
    const size_t rows = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000, P = (size_t)b.size;
    b.p = argc > 3 ? strtoull(argv[3], NULL, 10) : 32;
    if ((!weak && strcmp(mode, "strong") != 0) || rows == 0 || b.p == 0) {
        if (b.rank == 0)
            fprintf(stderr, "usage: mpirun -np P bench_mpi strong|weak ROWS P_COLS\n");
        MPI_Finalize();
        return 2;
    }
    const size_t N = weak ? rows * P : rows;
    b.lo = weak ? rows * (size_t)b.rank : N * (size_t)b.rank / P;
    b.n = (weak ? rows * (size_t)(b.rank + 1) : N * (size_t)(b.rank + 1) / P) - b.lo;
    const int reps = bc_reps(5);
    generate(&b);
    if (b.rank == 0) {
        int threads = 1;
#ifdef _OPENMP
        threads = omp_get_max_threads();
#endif
        printf("ENV mode=%s np=%d omp_max_threads=%d N=%zu p=%zu reps=%d\n", mode, b.size, threads,
               N, b.p, reps);
    }
    static const workload W[] = { { "lstsq", call_lstsq, local_lstsq },
                                  { "normal", call_normal, local_normal },
                                  { "grad", call_grad, local_grad },
                                  { "gd10", call_gd, local_gd } };
    for (size_t i = 0; i < sizeof W / sizeof W[0]; i++) {
        run_workload(&b, &W[i], mode, N, reps);
        if (W[i].call == call_lstsq)
            check(&b, mode);
    }
    if (b.size == 2 && !weak)
        ping_pong(&b);
    if (b.size == 1 && !weak)
        parts(&b, W, sizeof W / sizeof W[0]);
    memory(&b, mode);
    mg_fit_free(b.qr);
    mg_fit_free(b.gram);
    free(b.X);
    free(b.y);
    free(b.B);
    free(b.W);
    free(b.G);
    MPI_Finalize();
    return 0;
}
