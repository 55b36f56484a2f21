/* SPDX-License-Identifier: BSD-3-Clause */
/* Factor levels and R's make.unique (factor.h): a string hash set with
 * open addressing, the levels' sort, the renaming. */
#include "factor.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Indices into a string array, hashed by content (FNV-1a). */
typedef struct strset {
    size_t *slot;     /* index + 1, 0 = empty */
    size_t cap;       /* a power of two */
} strset;

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The slot of s (holding it, or the empty one where it would go). */
static size_t find(const strset *t, char *const *str, const char *s, size_t len)
{
    size_t i = (size_t)hash(s, len) & (t->cap - 1);
    while (t->slot[i]) {
        const char *o = str[t->slot[i] - 1];
        if (strlen(o) == len && !memcmp(o, s, len))
            return i;
        i = (i + 1) & (t->cap - 1);
    }
    return i;
}

/* Room for n entries at a load of at most 1/2. */
static int reserve(strset *t, char *const *str, size_t n)
{
    if (t->cap && 2 * n <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 16;
    while (2 * n > cap) {
        if (cap > SIZE_MAX / 4 / sizeof(size_t))
            return -1;
        cap *= 2;
    }
    strset u = { calloc(cap, sizeof(size_t)), cap };
    if (!u.slot)
        return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i]) {
            const char *s = str[t->slot[i] - 1];
            u.slot[find(&u, str, s, strlen(s))] = t->slot[i];
        }
    free(t->slot);
    *t = u;
    return 0;
}

struct mgcli_levels {
    char **name;        /* by index (first appearance) */
    size_t *uses;       /* kept rows with each level */
    size_t n, cap;
    strset set;
    size_t *rank;       /* after mgcli_levels_order: by index */
    size_t *sorted;     /* rank -> the index whose name it shows */
    size_t nused;
};

mgcli_levels *mgcli_levels_new(void) { return calloc(1, sizeof(mgcli_levels)); }

void mgcli_levels_free(mgcli_levels *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->name[i]);
    free(l->name);
    free(l->uses);
    free(l->set.slot);
    free(l->rank);
    free(l->sorted);
    free(l);
}

int mgcli_levels_add(mgcli_levels *l, const char *s, size_t len, size_t *idx)
{
    if (l->n && l->set.cap) {
        size_t i = find(&l->set, l->name, s, len);
        if (l->set.slot[i]) {
            *idx = l->set.slot[i] - 1;
            return 0;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **nm = realloc(l->name, cap * sizeof *nm);
        if (!nm)
            return -1;
        l->name = nm;
        size_t *u = realloc(l->uses, cap * sizeof *u);
        if (!u)
            return -1;
        l->uses = u;
        l->cap = cap;
    }
    if (reserve(&l->set, l->name, l->n + 1) != 0)
        return -1;
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    l->name[l->n] = copy;
    l->uses[l->n] = 0;
    l->set.slot[find(&l->set, l->name, copy, len)] = l->n + 1;
    *idx = l->n++;
    return 0;
}

size_t mgcli_levels_count(const mgcli_levels *l) { return l->n; }

void mgcli_levels_use(mgcli_levels *l, size_t idx) { l->uses[idx]++; }

const char *mgcli_levels_at(const mgcli_levels *l, size_t idx) { return l->name[idx]; }

int mgcli_levels_used(const mgcli_levels *l, size_t idx) { return l->uses[idx] != 0; }

void mgcli_levels_unuse(mgcli_levels *l)
{
    for (size_t i = 0; i < l->n; i++)
        l->uses[i] = 0;
}

/* The sort keys: qsort's comparator has no context argument. */
typedef struct key {
    const char *name;
    double value;
    size_t idx;
} key;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const key *)a)->name, ((const key *)b)->name);
}

/* By value; equal values by first appearance, so that the first spelling
 * leads its group. */
static int by_value(const void *a, const void *b)
{
    const key *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The whole of s as a finite number (strtod, C locale). */
static int number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(*v) && !(errno == ERANGE && fabs(*v) > 1);
}

size_t mgcli_levels_order(mgcli_levels *l, int numeric)
{
    size_t m = 0;
    key *k = malloc((l->n ? l->n : 1) * sizeof *k);
    free(l->rank);
    free(l->sorted);
    l->rank = malloc((l->n ? l->n : 1) * sizeof *l->rank);
    l->sorted = malloc((l->n ? l->n : 1) * sizeof *l->sorted);
    if (!k || !l->rank || !l->sorted) {
        free(k);
        return (size_t)-1;
    }
    for (size_t i = 0; i < l->n; i++) {
        l->rank[i] = (size_t)-1;
        if (!l->uses[i])
            continue;
        k[m].name = l->name[i];
        k[m].idx = i;
        if (numeric && !number(l->name[i], &k[m].value))
            numeric = 0;
        m++;
    }
    qsort(k, m, sizeof *k, numeric ? by_value : by_name);
    size_t r = 0;
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && !(numeric && k[i].value == k[i - 1].value))
            r++;
        if (i == 0 || r != l->rank[k[i - 1].idx])   /* the first of its group */
            l->sorted[r] = k[i].idx;
        l->rank[k[i].idx] = r;
    }
    l->nused = m ? r + 1 : 0;
    free(k);
    return l->nused;
}

size_t mgcli_levels_rank(const mgcli_levels *l, size_t idx) { return l->rank[idx]; }

const char *mgcli_levels_name(const mgcli_levels *l, size_t k) { return l->name[l->sorted[k]]; }

/* name.cnt into a new string. */
static char *suffixed(const char *name, size_t cnt)
{
    size_t len = strlen(name) + 24;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%s.%zu", name, cnt);
    return s;
}

int mgcli_make_unique(char **names, size_t n, size_t *renamed, size_t *first)
{
    *renamed = 0;
    if (first)
        *first = n;
    /* every name (the originals, then each new one) goes into the set; a
     * name found there already came earlier, or is a suffix taken */
    char **all = calloc(2 * n + 1, sizeof *all);
    size_t *next = calloc(n + 1, sizeof *next);   /* per first occurrence: next suffix to try */
    strset t = { NULL, 0 };
    int rc = all && next && reserve(&t, all, 2 * n + 1) == 0 ? 0 : -1;
    size_t na = 0;
    for (size_t j = 0; rc == 0 && j < n; j++) {
        size_t i = find(&t, all, names[j], strlen(names[j]));
        all[na] = names[j];
        if (!t.slot[i])
            t.slot[i] = ++na;
    }
    size_t originals = na;
    for (size_t j = 0; rc == 0 && j < n; j++) {
        size_t i = find(&t, all, names[j], strlen(names[j]));
        size_t owner = t.slot[i] - 1;       /* the set entry of this name */
        if (owner >= originals || all[owner] == names[j])
            continue;                       /* the first with this name */
        size_t cnt = next[owner] ? next[owner] : 1;
        char *s = NULL;
        for (;; cnt++) {
            free(s);
            if (!(s = suffixed(names[j], cnt))) {
                rc = -1;
                break;
            }
            if (!t.slot[find(&t, all, s, strlen(s))])
                break;
        }
        if (rc)
            break;
        next[owner] = cnt + 1;
        all[na] = s;
        t.slot[find(&t, all, s, strlen(s))] = ++na;
        free(names[j]);
        names[j] = s;
        all[na - 1] = s;
        if (first && *renamed == 0)
            *first = j;
        ++*renamed;
    }
    free(t.slot);
    free(all);
    free(next);
    return rc;
}
