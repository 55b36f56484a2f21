/* SPDX-License-Identifier: BSD-3-Clause */
/* Loader for the R lm() reference files (rlm_ref.h; format in
 * tests/data/r/lm/README.md). */
#include "rlm_ref.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Number of labels each key carries before its numbers; -1: free text. */
static const struct {
    const char *key;
    int nlabels;
    size_t nv; /* exact count of numbers; 0 = any count >= 1 */
} schema[] = {
    {"intercept", 0, 1},     {"n", 0, 1},          {"nobs", 0, 1},
    {"deleted", 0, 1},       {"rank", 0, 1},       {"df_residual", 0, 1},
    {"sigma", 0, 1},         {"r_squared", 0, 1},  {"adj_r_squared", 0, 1},
    {"fstatistic", 0, 3},    {"f_pvalue", 0, 1},   {"loglik", 0, 2},
    {"aic", 0, 1},           {"bic", 0, 1},        {"resid_quantiles", 0, 5},
    {"coef", 1, 4},          {"aliased", 1, 1},    {"confint", 2, 2},
    {"vcov", 2, 1},          {"cov_unscaled", 2, 1}, {"hc", 3, 1},
    {"predict", 1, 6},       {"hat", 1, 1},        {"cooks", 1, 1},
    {"resid", 1, 1},         {"fitted", 1, 1},     {"warning", -1, 0},
    /* <case>_exact.txt (scripts/ref_lm_exact.py) */
    {"coef_exact", 1, 2},    {"sigma_exact", 0, 1}, {"r_squared_exact", 0, 1},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return 1;
}

/* The whole file, NUL-terminated; NULL on any failure. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 4096) {
            if (cap > SIZE_MAX / 2 - 4096)
                break;
            size_t ncap = cap * 2 + 4096;
            char *p = realloc(buf, ncap);
            if (!p)
                break;
            buf = p;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                break;
            fclose(f);
            buf[n] = '\0';
            *len = n;
            return buf;
        }
    }
    fclose(f);
    free(buf);
    return NULL;
}

/* One field as a double: "NA" (R's missing value) gives NAN with *na = 1;
 * otherwise the whole field must be a number strtod reads (NaN, Inf,
 * -Inf included). */
static int parse_number(const char *s, double *v, unsigned char *na)
{
    *na = 0;
    if (strcmp(s, "NA") == 0) {
        *na = 1;
        *v = NAN;
        return 0;
    }
    char *end;
    *v = strtod(s, &end);
    return (end == s || *end != '\0') ? 1 : 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Splits a line in place into whitespace-separated fields. */
static size_t split_ws(char *line, char **field, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (*p) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        if (n == max)
            return max + 1;
        field[n++] = p;
        while (*p && !is_space(*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int schema_of(const char *key)
{
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
        if (strcmp(schema[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* Fields of one line: the key, labels, numbers (at most this many). */
enum { MAX_FIELDS = 16 };

static int parse_record(char *line, size_t lineno, rlm_record *r, double *vals,
                        unsigned char *nas, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->line = lineno;
    while (is_space(*line))
        line++;
    char *key = line;
    while (*line && !is_space(*line))
        line++;
    if (*line)
        *line++ = '\0';
    const int s = schema_of(key);
    if (s < 0)
        return fail(err, errlen, "line %zu: unknown key '%s'", lineno, key);
    r->key = key;
    if (schema[s].nlabels < 0) {
        while (is_space(*line))
            line++;
        r->text = line;
        return 0;
    }
    char *field[MAX_FIELDS];
    const size_t nf = split_ws(line, field, MAX_FIELDS);
    const size_t nl = (size_t)schema[s].nlabels;
    if (nf > MAX_FIELDS || nf <= nl)
        return fail(err, errlen, "line %zu: %zu fields after '%s'", lineno, nf, key);
    const size_t nv = nf - nl;
    if (schema[s].nv != 0 && nv != schema[s].nv)
        return fail(err, errlen, "line %zu: '%s' needs %zu numbers, has %zu", lineno, key,
                    schema[s].nv, nv);
    for (size_t i = 0; i < nl; i++)
        r->label[i] = field[i];
    r->nlabels = nl;
    for (size_t i = 0; i < nv; i++)
        if (parse_number(field[nl + i], &vals[i], &nas[i]))
            return fail(err, errlen, "line %zu: '%s' is not a number", lineno, field[nl + i]);
    r->v = vals;
    r->na = nas;
    r->nv = nv;
    return 0;
}

int rlm_ref_load(const char *path, rlm_ref *ref, char *err, size_t errlen)
{
    memset(ref, 0, sizeof *ref);
    size_t len;
    char *buf = read_all(path, &len);
    if (!buf)
        return fail(err, errlen, "cannot read %s", path);
    /* Upper bounds: records <= lines, numbers <= fields <= MAX_FIELDS a line. */
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    if (lines > SIZE_MAX / (MAX_FIELDS * sizeof(double))) {
        free(buf);
        return fail(err, errlen, "%s: too many lines", path);
    }
    rlm_ref r = {.buf = buf};
    r.rec = malloc(lines * sizeof *r.rec);
    r.vals = malloc(lines * MAX_FIELDS * sizeof *r.vals);
    r.nas = malloc(lines * MAX_FIELDS);
    if (!r.rec || !r.vals || !r.nas) {
        rlm_ref_free(&r);
        return fail(err, errlen, "%s: out of memory", path);
    }
    size_t used = 0, lineno = 0;
    char *p = buf;
    while (*p) {
        char *line = p;
        char *nl = strchr(p, '\n');
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p += strlen(p);
        }
        lineno++;
        char *q = line;
        while (is_space(*q))
            q++;
        if (*q == '\0' || *q == '#')
            continue;
        char msg[256];
        if (parse_record(line, lineno, &r.rec[r.nrec], r.vals + used, r.nas + used, msg,
                         sizeof msg)) {
            rlm_ref_free(&r);
            return fail(err, errlen, "%s: %s", path, msg);
        }
        used += r.rec[r.nrec].nv;
        r.nrec++;
    }
    *ref = r;
    return 0;
}

void rlm_ref_free(rlm_ref *ref)
{
    free(ref->rec);
    free(ref->vals);
    free(ref->nas);
    free(ref->buf);
    memset(ref, 0, sizeof *ref);
}

size_t rlm_ref_count(const rlm_ref *ref, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < ref->nrec; i++)
        n += strcmp(ref->rec[i].key, key) == 0;
    return n;
}

const rlm_record *rlm_ref_nth(const rlm_ref *ref, const char *key, size_t k)
{
    for (size_t i = 0; i < ref->nrec; i++)
        if (strcmp(ref->rec[i].key, key) == 0 && k-- == 0)
            return &ref->rec[i];
    return NULL;
}

const rlm_record *rlm_ref_find(const rlm_ref *ref, const char *key, size_t nlabels,
                               const char *const *labels)
{
    for (size_t i = 0; i < ref->nrec; i++) {
        const rlm_record *r = &ref->rec[i];
        if (strcmp(r->key, key) != 0 || r->nlabels != nlabels)
            continue;
        size_t j = 0;
        while (j < nlabels && strcmp(r->label[j], labels[j]) == 0)
            j++;
        if (j == nlabels)
            return r;
    }
    return NULL;
}

double rlm_ref_scalar(const rlm_ref *ref, const char *key)
{
    const rlm_record *r = rlm_ref_find(ref, key, 0, NULL);
    return r && r->nv > 0 ? r->v[0] : NAN;
}

/* ------------------------------------------------------------ tables */

/* Splits a line in place at commas; strips one pair of double quotes. */
static size_t split_csv(char *line, char **field, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *end = strchr(p, ',');
        if (end)
            *end = '\0';
        size_t len = strlen(p);
        while (len > 0 && p[len - 1] == '\r')
            p[--len] = '\0';
        if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
            p[len - 1] = '\0';
            p++;
        }
        if (n < max)
            field[n] = p;
        n++;
        if (!end)
            return n;
        p = end + 1;
    }
}

static size_t count_fields(const char *line)
{
    size_t n = 1;
    for (; *line && *line != '\n'; line++)
        n += *line == ',';
    return n;
}

static int blank(const char *s)
{
    while (is_space(*s))
        s++;
    return *s == '\0';
}

int rlm_table_load(const char *path, rlm_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    size_t len;
    char *buf = read_all(path, &len);
    if (!buf)
        return fail(err, errlen, "cannot read %s", path);
    rlm_table r = {.buf = buf};
    r.cols = count_fields(buf);
    size_t rows = 0;
    for (const char *q = strchr(buf, '\n'); q && q[1]; q = strchr(q + 1, '\n'))
        rows++;
    if (r.cols > SIZE_MAX / sizeof(char *) || (rows && r.cols > SIZE_MAX / sizeof(double) / rows)) {
        free(buf);
        return fail(err, errlen, "%s: too large", path);
    }
    r.names = malloc(r.cols * sizeof *r.names);
    r.data = malloc((rows ? rows : 1) * r.cols * sizeof *r.data);
    char **field = malloc(r.cols * sizeof *field);
    if (!r.names || !r.data || !field) {
        free(field);
        rlm_table_free(&r);
        return fail(err, errlen, "%s: out of memory", path);
    }
    char *p = buf;
    size_t lineno = 0;
    int bad = 0;
    char msg[256] = "";
    while (*p && !bad) {
        char *line = p;
        char *nl = strchr(p, '\n');
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p += strlen(p);
        }
        lineno++;
        if (lineno > 1 && blank(line))
            continue;
        const size_t nf = split_csv(line, lineno == 1 ? r.names : field, r.cols);
        if (nf != r.cols) {
            snprintf(msg, sizeof msg, "line %zu has %zu fields, the header %zu", lineno, nf,
                     r.cols);
            bad = 1;
            break;
        }
        if (lineno == 1)
            continue;
        for (size_t j = 0; j < r.cols && !bad; j++) {
            char *end;
            const double v = strtod(field[j], &end);
            if (end == field[j] || *end != '\0' || !isfinite(v)) {
                snprintf(msg, sizeof msg, "line %zu: '%s' is not a finite number", lineno,
                         field[j]);
                bad = 1;
            }
            r.data[j * rows + r.rows] = v;
        }
        r.rows++;
    }
    free(field);
    if (bad || r.rows != rows) {
        rlm_table_free(&r);
        return fail(err, errlen, "%s: %s", path, bad ? msg : "blank lines inside the table");
    }
    *t = r;
    return 0;
}

void rlm_table_free(rlm_table *t)
{
    free(t->names);
    free(t->data);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

long rlm_table_col(const rlm_table *t, const char *name)
{
    for (size_t j = 0; j < t->cols; j++)
        if (strcmp(t->names[j], name) == 0)
            return (long)j;
    return -1;
}

double rlm_table_get(const rlm_table *t, size_t i, size_t j) { return t->data[j * t->rows + i]; }
