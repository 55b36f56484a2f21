/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: a portable byte image of a state (format version 2; version 1
 * images load too).
 *
 *   magic "MGFIT\0\r\n" (8 bytes: the CR LF catches text-mode mangling)
 *   u64 version, kind, intercept, p, k;  f64 ridge, rank_tol;  u64 exact
 *   u64 rows, nonzero;  f64 wsum;  u64 refining
 *   f64 S: the upper triangle, column by column (n (n + 1) / 2 values)
 *   f64 mean (n values)
 *   with the exact option: f64 Hhi, Hlo, upper triangles column by column
 *   when refining: f64 rb, ghi, glo (m k each, column-major), rsshi,
 *                  rsslo (k each);  u64 rrows, rnonzero
 *   version 2 only: u64 known (bit 0: sum log w, bit 1: the ranges of X);
 *                  f64 sum log w_i over rows of nonzero weight, then the
 *                  smallest and the largest value of each column of X over
 *                  those rows (p each); 0 where unknown or without rows
 *   u64 FNV-1a (64-bit) hash of every byte before it
 * A version-1 image lacks the last section: it loads as a state whose sum
 * of log weights and column ranges are unknown (logLik, AIC, BIC are then
 * NaN, and only the intercept option puts TSS about the mean, as version 1
 * did).
 * u64 is 8 bytes little-endian; f64 is the little-endian byte order of the
 * IEEE 754 binary64 bit pattern, so an image moves between any two
 * machines whose double is binary64 (every platform matgrad builds on). */
#include "fit_internal.h"
#include "image_bytes.h"

#include <stdint.h>
#include <string.h>

enum { MG__FIT_VERSION = 2, HEADER = 104 };
static const unsigned char MAGIC[8] = { 'M', 'G', 'F', 'I', 'T', 0, '\r', '\n' };

typedef struct writer { unsigned char *p; } writer;
typedef struct reader { const unsigned char *p; } reader;

static void put_u64(writer *w, uint64_t v)
{
    mg__put_u64(&w->p, v);
}

static void put_f64(writer *w, double x)
{
    mg__put_f64(&w->p, x);
}

static uint64_t get_u64(reader *r)
{
    return mg__get_u64(&r->p);
}

static double get_f64(reader *r)
{
    return mg__get_f64(&r->p);
}

static size_t image_size(const mg_fit *f, int refining, uint64_t version)
{
    const size_t n = f->n, mk = f->m * f->k;
    size_t doubles = n * (n + 1) / 2 + n + f->p + f->k + (f->opt.exact ? f->q * (f->q + 1) : 0);
    if (refining)
        doubles += 3 * mk + 2 * f->k + 2;
    if (version >= 2)
        doubles += 2 + 2 * f->p;
    return HEADER + 8 * doubles + 8;
}

mg_status mg_fit_save_size(const mg_fit *fit, size_t *size)
{
    if (!fit || !size)
        return MG_EINVAL;
    *size = image_size(fit, fit->refining, MG__FIT_VERSION);
    return MG_OK;
}

static void put_doubles(writer *w, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_f64(w, x[i]);
}

mg_status mg_fit_save(const mg_fit *fit, void *buf, size_t cap, size_t *len)
{
    if (!fit || !buf || !len)
        return MG_EINVAL;
    const size_t size = image_size(fit, fit->refining, MG__FIT_VERSION), n = fit->n,
                 mk = fit->m * fit->k;
    if (cap < size)
        return MG_EINVAL;
    writer w = { buf };
    memcpy(w.p, MAGIC, sizeof MAGIC);
    w.p += sizeof MAGIC;
    put_u64(&w, MG__FIT_VERSION);
    put_u64(&w, (uint64_t)fit->opt.kind);
    put_u64(&w, (uint64_t)fit->ic);
    put_u64(&w, fit->p);
    put_u64(&w, fit->k);
    put_f64(&w, fit->opt.ridge);
    put_f64(&w, fit->opt.rank_tol);
    put_u64(&w, (uint64_t)fit->opt.exact);
    put_u64(&w, fit->rows);
    put_u64(&w, fit->nonzero);
    put_f64(&w, fit->wsum);
    put_u64(&w, (uint64_t)fit->refining);
    for (size_t j = 0; j < n; j++)
        put_doubles(&w, fit->S + j * n, j + 1);
    put_doubles(&w, fit->mean, n);
    put_doubles(&w, fit->cmax, fit->p + fit->k);
    for (size_t j = 0; fit->opt.exact && j < fit->q; j++) {
        /* the total of the three levels: hi parts of column j, then lo */
        double hi, lo;
        for (size_t i = 0; i <= j; i++) {
            mg__fit_exact_total(fit, i, j, &hi, &lo);
            put_f64(&w, hi);
        }
        for (size_t i = 0; i <= j; i++) {
            mg__fit_exact_total(fit, i, j, &hi, &lo);
            put_f64(&w, lo);
        }
    }
    if (fit->refining) {
        put_doubles(&w, fit->rb, mk);
        put_doubles(&w, fit->ghi, mk);
        put_doubles(&w, fit->glo, mk);
        put_doubles(&w, fit->rsshi, fit->k);
        put_doubles(&w, fit->rsslo, fit->k);
        put_u64(&w, fit->rrows);
        put_u64(&w, fit->rnonzero);
    }
    const int logw_known = !isnan(fit->logw), x_known = fit->xknown && fit->nonzero > 0;
    put_u64(&w, (uint64_t)logw_known | (uint64_t)x_known << 1);
    put_f64(&w, logw_known ? fit->logw : 0.0);
    for (size_t j = 0; j < fit->p; j++)
        put_f64(&w, x_known ? fit->xmin[j] : 0.0);
    for (size_t j = 0; j < fit->p; j++)
        put_f64(&w, x_known ? fit->xmax[j] : 0.0);
    put_u64(&w, mg__fnv1a(buf, size - 8));
    *len = size;
    return MG_OK;
}

/* The fixed header, checked for magic, version, hash and field ranges. */
typedef struct header {
    mg_fit_options opt;
    uint64_t version, p, k, rows, nonzero, refining;
    double wsum;
} header;

static mg_status read_header(const void *buf, size_t len, header *h)
{
    if (!buf || !h)
        return MG_EINVAL;
    if (len < HEADER + 8 || memcmp(buf, MAGIC, sizeof MAGIC) != 0)
        return MG_EPARSE;
    reader r = { (const unsigned char *)buf + sizeof MAGIC };
    h->version = get_u64(&r);
    if (h->version != 1 && h->version != MG__FIT_VERSION)
        return MG_EPARSE;
    reader t = { (const unsigned char *)buf + len - 8 };
    if (get_u64(&t) != mg__fnv1a(buf, len - 8))
        return MG_EPARSE;
    const uint64_t kind = get_u64(&r), ic = get_u64(&r);
    if (kind > (uint64_t)MG_FIT_GRAM || ic > 1)
        return MG_EPARSE;
    h->opt.kind = (mg_fit_kind)kind;
    h->opt.intercept = (int)ic;
    h->p = get_u64(&r);
    h->k = get_u64(&r);
    h->opt.ridge = get_f64(&r);
    h->opt.rank_tol = get_f64(&r);
    const uint64_t exact = get_u64(&r);
    if (exact > 1)
        return MG_EPARSE;
    h->opt.exact = (int)exact;
    h->rows = get_u64(&r);
    h->nonzero = get_u64(&r);
    h->wsum = get_f64(&r);
    h->refining = get_u64(&r);
    if (h->nonzero > h->rows || h->refining > 1 || !(h->wsum >= 0.0))
        return MG_EPARSE;
    return MG_OK;
}

mg_status mg_fit_peek(const void *buf, size_t len, size_t *p, size_t *k, mg_fit_options *opt)
{
    header h;
    MG__CHECK(read_header(buf, len, &h));
    if (p)
        *p = (size_t)h.p;
    if (k)
        *k = (size_t)h.k;
    if (opt)
        *opt = h.opt;
    return MG_OK;
}

/* 1 if the next count doubles of r are finite (r advances). */
static int finite_run(reader *r, size_t count)
{
    int ok = 1;
    for (size_t i = 0; i < count; i++)
        ok &= isfinite(get_f64(r)) != 0;
    return ok;
}

static void get_doubles(reader *r, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = get_f64(r);
}

/* Version 2's last section (validated by the caller): sum log w and the
 * ranges of X, or "unknown" (NaN, xknown = 0) where the image lacks them. */
static void load_extension(mg_fit *fit, reader *r, uint64_t version, uint64_t known)
{
    fit->logw = NAN;
    fit->xknown = 0;
    for (size_t j = 0; j < fit->p; j++) {
        fit->xmin[j] = INFINITY;
        fit->xmax[j] = -INFINITY;
    }
    if (version < 2) {
        /* no rows: nothing unknown */
        if (fit->nonzero == 0) {
            fit->logw = 0.0;
            fit->xknown = 1;
        }
        return;
    }
    (void)get_u64(r);
    const double lw = get_f64(r);
    fit->logw = (known & 1) ? lw : NAN;
    fit->xknown = (known & 2) || fit->nonzero == 0;
    for (size_t j = 0; j < fit->p; j++) {
        const double v = get_f64(r);
        if (known & 2)
            fit->xmin[j] = v;
    }
    for (size_t j = 0; j < fit->p; j++) {
        const double v = get_f64(r);
        if (known & 2)
            fit->xmax[j] = v;
    }
}

mg_status mg_fit_load(mg_fit *fit, const void *buf, size_t len)
{
    if (!fit)
        return MG_EINVAL;
    header h;
    MG__CHECK(read_header(buf, len, &h));
    if (h.p != fit->p || h.k != fit->k)
        return MG_EDIM;
    if (h.opt.kind != fit->opt.kind || h.opt.intercept != fit->opt.intercept ||
        h.opt.exact != fit->opt.exact ||
        memcmp(&h.opt.ridge, &fit->opt.ridge, sizeof(double)) != 0 ||
        memcmp(&h.opt.rank_tol, &fit->opt.rank_tol, sizeof(double)) != 0)
        return MG_EINVAL;
    if (len != image_size(fit, (int)h.refining, h.version))
        return MG_EPARSE;
    const size_t n = fit->n, mk = fit->m * fit->k;
    const size_t body = n * (n + 1) / 2 + n + fit->p + fit->k + (fit->opt.exact ? fit->q * (fit->q + 1) : 0) +
                        (h.refining ? 3 * mk + 2 * fit->k : 0);
    reader r = { (const unsigned char *)buf + HEADER };
    /* validate everything before the state is touched */
    if (!finite_run(&r, body))
        return MG_ENONFINITE;
    if (h.refining) {
        const uint64_t rrows = get_u64(&r), rnz = get_u64(&r);
        if (rnz > rrows)
            return MG_EPARSE;
    }
    uint64_t known = 0;
    if (h.version >= 2) {
        known = get_u64(&r);
        if (known > 3)
            return MG_EPARSE;
        if (!finite_run(&r, 1 + 2 * fit->p))
            return MG_ENONFINITE;
        /* each column's smallest value is at most its largest */
        const unsigned char *ranges = r.p - 16 * fit->p;
        for (size_t j = 0; (known & 2) && j < fit->p; j++) {
            reader a = { ranges + 8 * j }, b = { ranges + 8 * (fit->p + j) };
            if (!(get_f64(&a) <= get_f64(&b)) || h.nonzero == 0)
                return MG_EPARSE;
        }
    }
    r.p = (const unsigned char *)buf + HEADER;
    memset(fit->S, 0, n * n * sizeof *fit->S);
    for (size_t j = 0; j < n; j++)
        get_doubles(&r, fit->S + j * n, j + 1);
    get_doubles(&r, fit->mean, n);
    get_doubles(&r, fit->cmax, fit->p + fit->k);
    if (fit->opt.exact) {
        memset(fit->Hhi, 0, 3 * fit->q * fit->q * sizeof *fit->Hhi);
        memset(fit->Hlo, 0, 3 * fit->q * fit->q * sizeof *fit->Hlo);
        fit->n0 = fit->n1 = 0;
    }
    for (size_t j = 0; fit->opt.exact && j < fit->q; j++) {
        get_doubles(&r, fit->Hhi + j * fit->q, j + 1);
        get_doubles(&r, fit->Hlo + j * fit->q, j + 1);
    }
    mg__fit_invalidate(fit);
    fit->rows = (size_t)h.rows;
    fit->nonzero = (size_t)h.nonzero;
    fit->wsum = h.wsum;
    if (h.refining) {
        get_doubles(&r, fit->rb, mk);
        get_doubles(&r, fit->ghi, mk);
        get_doubles(&r, fit->glo, mk);
        get_doubles(&r, fit->rsshi, fit->k);
        get_doubles(&r, fit->rsslo, fit->k);
        fit->rrows = (size_t)get_u64(&r);
        fit->rnonzero = (size_t)get_u64(&r);
        fit->refining = 1;
    }
    load_extension(fit, &r, h.version, known);
    return MG_OK;
}
