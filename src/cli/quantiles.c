/* SPDX-License-Identifier: BSD-3-Clause */
/* Exact quartiles in bounded memory (see quantiles.h). */
#include "quantiles.h"

#include "rformat.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef MATGRAD_CLI_MPI
#include <limits.h>
#endif

enum { NT = 6, BINS = 1 << 16 };
enum { HIST, COLLECT, DONE };

typedef struct target {
    size_t rank;        /* among the values whose key starts with prefix */
    uint64_t prefix;    /* the key's top `level` bits */
    int level, mode;
    uint64_t *hist;     /* HIST: BINS counters of the next 16 bits */
    double *vals;       /* COLLECT: the values of the bin */
    size_t nv, cap;
    double value;       /* DONE */
} target;

struct mgcli_qsel {
    size_t n, seen;
    int keep, first;
    double *all;        /* keep: every value */
    double mn, mx;
    uint64_t *hist0;    /* the first pass's counters (shared by the targets) */
    target t[NT];
};

/* Doubles in order are these keys in order (-0 just below +0). */
static uint64_t key_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : u | (UINT64_C(1) << 63);
}

static double value_of(uint64_t k)
{
    uint64_t u = (k >> 63) ? k & ~(UINT64_C(1) << 63) : ~k;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The two ranks of each type-7 quartile (R's quantile): lo = floor and
 * hi = ceil of (n - 1) p for p = 1/4, 1/2, 3/4. */
static size_t rank_of(size_t n, int i)
{
    const double index = (double)(n - 1) * 0.25 * (double)(i / 2 + 1);
    return (size_t)(i % 2 ? ceil(index) : floor(index));
}

mgcli_qsel *mgcli_qsel_new(size_t n)
{
    mgcli_qsel *s = calloc(1, sizeof *s);
    if (!s || n == 0) {
        free(s);
        return NULL;
    }
    s->n = n;
    s->first = 1;
    s->keep = n <= MGCLI_QSEL_KEEP;
    s->mn = INFINITY;
    s->mx = -INFINITY;
    if (s->keep)
        s->all = malloc(n * sizeof *s->all);
    else
        s->hist0 = calloc(BINS, sizeof *s->hist0);
    if (s->keep ? !s->all : !s->hist0) {
        mgcli_qsel_free(s);
        return NULL;
    }
    for (int i = 0; i < NT; i++)
        s->t[i].rank = rank_of(n, i);
    return s;
}

static int push(target *t, double v)
{
    if (t->nv == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        double *p = realloc(t->vals, cap * sizeof *p);
        if (!p)
            return -1;
        t->vals = p;
        t->cap = cap;
    }
    t->vals[t->nv++] = v;
    return 0;
}

int mgcli_qsel_add(mgcli_qsel *s, const double *v, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const double x = v[i];
        s->seen++;
        if (s->first) {
            s->mn = x < s->mn ? x : s->mn;
            s->mx = x > s->mx ? x : s->mx;
            if (s->keep) {
                if (s->seen <= s->n)
                    s->all[s->seen - 1] = x;
            } else {
                s->hist0[key_of(x) >> 48]++;
            }
            continue;
        }
        const uint64_t k = key_of(x);
        for (int j = 0; j < NT; j++) {
            target *t = &s->t[j];
            if (t->mode == DONE || (k >> (64 - t->level)) != t->prefix)
                continue;
            if (t->mode == COLLECT) {
                if (push(t, x) != 0)
                    return -1;
            } else {
                t->hist[(k >> (48 - t->level)) & (BINS - 1)]++;
            }
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The bin of counts that holds t's rank: narrows t by 16 bits. */
static int narrow(target *t, const uint64_t *counts)
{
    size_t b = 0;
    uint64_t before = 0;
    while (b < BINS - 1 && before + counts[b] <= t->rank)
        before += counts[b++];
    t->rank -= (size_t)before;
    t->prefix = t->level ? (t->prefix << 16) | b : b;
    t->level += 16;
    if (t->level == 64) {
        t->mode = DONE;
        t->value = value_of(t->prefix);
        return 0;
    }
    if (counts[b] <= MGCLI_QSEL_COLLECT) {
        t->mode = COLLECT;
        t->nv = 0;
        return 0;
    }
    t->mode = HIST;
    if (!t->hist && !(t->hist = malloc(BINS * sizeof *t->hist)))
        return -1;
    memset(t->hist, 0, BINS * sizeof *t->hist);
    return 0;
}

int mgcli_qsel_end_pass(mgcli_qsel *s)
{
    if (s->seen != s->n)
        return -1;
    s->seen = 0;
    if (s->first && s->keep) {
        s->first = 0;
        qsort(s->all, s->n, sizeof *s->all, cmp_double);
        for (int j = 0; j < NT; j++) {
            s->t[j].mode = DONE;
            s->t[j].value = s->all[s->t[j].rank];
        }
        return 0;
    }
    int more = 0;
    for (int j = 0; j < NT; j++) {
        target *t = &s->t[j];
        if (s->first) {
            if (narrow(t, s->hist0) != 0)
                return -1;
        } else if (t->mode == COLLECT) {
            qsort(t->vals, t->nv, sizeof *t->vals, cmp_double);
            if (t->rank >= t->nv)
                return -1; /* the values changed between passes */
            t->value = t->vals[t->rank];
            t->mode = DONE;
        } else if (t->mode == HIST) {
            if (narrow(t, t->hist) != 0)
                return -1;
        }
        more |= t->mode != DONE;
    }
    s->first = 0;
    return more;
}

void mgcli_qsel_result(const mgcli_qsel *s, double q[5])
{
    q[0] = s->mn;
    q[4] = s->mx;
    for (int i = 0; i < 3; i++) {
        /* R's type 7: (1 - h) x[lo] + h x[hi] where they differ */
        const double index = (double)(s->n - 1) * 0.25 * (double)(i + 1);
        const double lo = s->t[2 * i].value, hi = s->t[2 * i + 1].value;
        const double h = index - floor(index);
        q[i + 1] = (index > floor(index) && hi != lo) ? (1.0 - h) * lo + h * hi : lo;
    }
}

mgcli_qsel *mgcli_qsel_child(const mgcli_qsel *parent)
{
    mgcli_qsel *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = parent->n;
    c->keep = parent->keep;
    c->first = parent->first;
    c->mn = INFINITY;
    c->mx = -INFINITY;
    int ok = 1;
    if (c->first && c->keep)
        ok = (c->all = malloc(c->n * sizeof *c->all)) != NULL;
    else if (c->first)
        ok = (c->hist0 = calloc(BINS, sizeof *c->hist0)) != NULL;
    for (int j = 0; ok && j < NT; j++) {
        const target *p = &parent->t[j];
        target *t = &c->t[j];
        t->rank = p->rank;
        t->prefix = p->prefix;
        t->level = p->level;
        t->mode = p->mode;
        t->value = p->value;
        if (t->mode == HIST)
            ok = (t->hist = calloc(BINS, sizeof *t->hist)) != NULL;
    }
    if (!ok) {
        mgcli_qsel_free(c);
        return NULL;
    }
    return c;
}

int mgcli_qsel_merge(mgcli_qsel *dst, mgcli_qsel *src)
{
    if (dst->seen + src->seen > dst->n && dst->first && dst->keep)
        return -1;
    if (src->first) {
        dst->mn = src->mn < dst->mn ? src->mn : dst->mn;
        dst->mx = src->mx > dst->mx ? src->mx : dst->mx;
        if (src->keep)
            memcpy(dst->all + dst->seen, src->all, src->seen * sizeof *src->all);
        else
            for (size_t b = 0; b < BINS; b++)
                dst->hist0[b] += src->hist0[b];
    } else {
        for (int j = 0; j < NT; j++) {
            target *d = &dst->t[j], *t = &src->t[j];
            if (t->mode == HIST) {
                for (size_t b = 0; b < BINS; b++)
                    d->hist[b] += t->hist[b];
                memset(t->hist, 0, BINS * sizeof *t->hist);
            } else if (t->mode == COLLECT) {
                for (size_t i = 0; i < t->nv; i++)
                    if (push(d, t->vals[i]) != 0)
                        return -1;
                t->nv = 0;
            }
        }
    }
    dst->seen += src->seen;
    src->seen = 0;
    src->mn = INFINITY;
    src->mx = -INFINITY;
    if (src->hist0)
        memset(src->hist0, 0, BINS * sizeof *src->hist0);
    return 0;
}

void mgcli_qsel_free(mgcli_qsel *s)
{
    if (!s)
        return;
    for (int j = 0; j < NT; j++) {
        free(s->t[j].hist);
        free(s->t[j].vals);
    }
    free(s->all);
    free(s->hist0);
    free(s);
}

#ifdef MATGRAD_CLI_MPI
/* 1 on every rank when ok on every rank. */
static int all_ok(int ok, MPI_Comm comm)
{
    return MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm) == MPI_SUCCESS && ok;
}

/* vals[0, mine) of every rank, in rank order, into a new array (*out, of
 * room for max(total, room) values; the caller frees it); *total on every
 * rank; -1 on every rank when out of memory or the total passes limit. */
static int gather_values(const double *vals, size_t mine, size_t room, size_t limit, double **out,
                         size_t *total, MPI_Comm comm)
{
    int size;
    *out = NULL;
    if (MPI_Comm_size(comm, &size) != MPI_SUCCESS)
        return -1;
    int *counts = malloc((size_t)size * sizeof *counts);
    int *displs = malloc((size_t)size * sizeof *displs);
    int n = (int)(mine <= INT_MAX ? mine : 0);
    size_t sum = 0;
    int ok = all_ok(counts && displs && mine <= INT_MAX, comm) &&
             MPI_Allgather(&n, 1, MPI_INT, counts, 1, MPI_INT, comm) == MPI_SUCCESS;
    for (int r = 0; ok && r < size; r++) {
        displs[r] = (int)sum;
        sum += (size_t)counts[r];
        ok = sum <= INT_MAX && sum <= limit;   /* the same on every rank */
    }
    if (ok) {
        const size_t cap = sum > room ? sum : room;
        *out = malloc((cap ? cap : 1) * sizeof **out);
        ok = all_ok(*out != NULL, comm) &&
             MPI_Allgatherv(vals, n, MPI_DOUBLE, *out, counts, displs, MPI_DOUBLE, comm) ==
                 MPI_SUCCESS;
    }
    free(counts);
    free(displs);
    if (!ok) {
        free(*out);
        *out = NULL;
        return -1;
    }
    *total = sum;
    return 0;
}

int mgcli_qsel_allreduce(mgcli_qsel *s, MPI_Comm comm)
{
    uint64_t seen = s->seen;
    if (MPI_Allreduce(MPI_IN_PLACE, &seen, 1, MPI_UINT64_T, MPI_SUM, comm) != MPI_SUCCESS)
        return -1;
    double *vals;
    size_t total;
    if (s->first) {
        double mm[2] = { s->mn, -s->mx };
        if (MPI_Allreduce(MPI_IN_PLACE, mm, 2, MPI_DOUBLE, MPI_MIN, comm) != MPI_SUCCESS)
            return -1;
        s->mn = mm[0];
        s->mx = -mm[1];
        if (s->keep) {
            if (gather_values(s->all, s->seen < s->n ? s->seen : s->n, s->n, s->n, &vals, &total,
                              comm) != 0)
                return -1;
            free(s->all);
            s->all = vals;
        } else if (MPI_Allreduce(MPI_IN_PLACE, s->hist0, BINS, MPI_UINT64_T, MPI_SUM, comm) !=
                   MPI_SUCCESS) {
            return -1;
        }
    } else {
        for (int j = 0; j < NT; j++) {
            target *t = &s->t[j];
            if (t->mode == HIST) {
                if (MPI_Allreduce(MPI_IN_PLACE, t->hist, BINS, MPI_UINT64_T, MPI_SUM, comm) !=
                    MPI_SUCCESS)
                    return -1;
            } else if (t->mode == COLLECT) {
                if (gather_values(t->vals, t->nv, 1, SIZE_MAX, &vals, &total, comm) != 0)
                    return -1;
                free(t->vals);
                t->vals = vals;
                t->nv = total;
                t->cap = total ? total : 1;
            }
        }
    }
    s->seen = (size_t)seen;
    return 0;
}
#endif
