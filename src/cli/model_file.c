/* SPDX-License-Identifier: BSD-3-Clause */
/* The fitted-model file: see model_file.h for the format. */
#define _POSIX_C_SOURCE 200809L
#include "model_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

static void put_name(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        switch (*s) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default: fputc(*s, out);
        }
    }
    fputc('"', out);
}

static void put_double(FILE *out, double x)
{
    if (isnan(x))
        fputs("NaN", out);
    else
        fprintf(out, "%.17g", x);
}

int mgcli_model_write(FILE *out, const mgcli_model *m)
{
    fprintf(out, "matgrad-model %d\ntarget ", MGCLI_MODEL_VERSION);
    put_name(out, m->target);
    fputc('\n', out);
    if (m->weights) {
        fputs("weights ", out);
        put_name(out, m->weights);
        fputc('\n', out);
    }
    fprintf(out, "intercept %d\ndf_residual %zu\nsigma ", m->intercept ? 1 : 0, m->df_residual);
    put_double(out, m->sigma);
    fprintf(out, "\ncolumns %zu\n", m->ncols);
    for (size_t j = 0; j < m->ncols; j++) {
        const mgcli_model_column *c = &m->cols[j];
        if (c->nlevels)
            fprintf(out, "factor %zu ", c->nlevels);
        else
            fputs("numeric ", out);
        put_name(out, c->name);
        fputc('\n', out);
        for (size_t l = 0; l < c->nlevels; l++) {
            fputs("level ", out);
            put_name(out, c->levels[l]);
            fputc('\n', out);
        }
    }
    fprintf(out, "coefficients %zu\n", m->m);
    for (size_t i = 0; i < m->m; i++) {
        fprintf(out, "coef %d ", m->aliased[i] ? 1 : 0);
        put_double(out, m->coef[i]);
        fputc(' ', out);
        put_name(out, m->names[i]);
        fputc('\n', out);
    }
    for (size_t i = 0; i < m->m; i++) {
        fputs("cov", out);
        for (size_t j = 0; j < m->m; j++) {
            fputc(' ', out);
            put_double(out, m->cov[i * m->m + j]);
        }
        fputc('\n', out);
    }
    fputs("end\n", out);
    return ferror(out) ? -1 : 0;
}

/* ---- reading ---- */

typedef struct reader {
    FILE *f;
    char *line;
    size_t cap, lineno;
    const char *p;       /* cursor in line */
    char *err;
    size_t errlen;
} reader;

static int fail(reader *r, const char *fmt, ...)
{
    int n = snprintf(r->err, r->errlen, "%zu: ", r->lineno);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < r->errlen)
        vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The next line, without its line end; -1 at the end of the file. */
static int next_line(reader *r)
{
    errno = 0;
    ssize_t n = getline(&r->line, &r->cap, r->f);
    if (n < 0) {
        if (errno == ENOMEM) {
            snprintf(r->err, r->errlen, "0: out of memory");
            return -2;
        }
        return -1;
    }
    r->lineno++;
    while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
        r->line[--n] = '\0';
    if (strlen(r->line) != (size_t)n)
        return fail(r, "a NUL byte"), -2;
    r->p = r->line;
    return 0;
}

/* The line must start with keyword and a space (or end after it). */
static int expect_line(reader *r, const char *keyword)
{
    int rc = next_line(r);
    if (rc == -1)
        return fail(r, "the file ends where '%s' is expected", keyword);
    if (rc < 0)
        return -1;
    size_t k = strlen(keyword);
    if (strncmp(r->p, keyword, k) != 0 || (r->p[k] != ' ' && r->p[k] != '\0'))
        return fail(r, "'%s' expected", keyword);
    r->p += k;
    return 0;
}

static void skip_space(reader *r)
{
    while (*r->p == ' ')
        r->p++;
}

static int read_size(reader *r, size_t *out)
{
    skip_space(r);
    if (*r->p < '0' || *r->p > '9')
        return fail(r, "a count expected");
    errno = 0;
    char *end;
    unsigned long long v = strtoull(r->p, &end, 10);
    if (errno || v > SIZE_MAX / 64)
        return fail(r, "a count out of range");
    r->p = end;
    *out = (size_t)v;
    return 0;
}

static int read_double(reader *r, double *out)
{
    skip_space(r);
    if (!strncmp(r->p, "NaN", 3) && (r->p[3] == ' ' || r->p[3] == '\0')) {
        r->p += 3;
        *out = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(r->p, &end);
    if (end == r->p || (*end != ' ' && *end != '\0') || !isfinite(v))
        return fail(r, "a finite number or NaN expected");
    r->p = end;
    *out = v;
    return 0;
}

static int read_name(reader *r, char **out)
{
    skip_space(r);
    if (*r->p != '"')
        return fail(r, "a quoted name expected");
    const char *s = ++r->p;
    char *buf = malloc(strlen(s) + 1), *d = buf;
    if (!buf)
        return fail(r, "out of memory");
    for (; *s && *s != '"'; s++) {
        if (*s != '\\') {
            *d++ = *s;
            continue;
        }
        s++;
        switch (*s) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        default: free(buf); return fail(r, "a bad escape in a name");
        }
    }
    if (*s != '"') {
        free(buf);
        return fail(r, "an unterminated name");
    }
    *d = '\0';
    r->p = s + 1;
    *out = buf;
    return 0;
}

static int end_of_line(reader *r)
{
    skip_space(r);
    return *r->p ? fail(r, "unexpected text at the end of the line") : 0;
}

static int read_header(reader *r, mgcli_model *m)
{
    size_t version = 0;
    if (expect_line(r, "matgrad-model") || read_size(r, &version) || end_of_line(r))
        return fail(r, "not a matgrad model file");
    if (version != MGCLI_MODEL_VERSION)
        return fail(r, "model format version %zu (this matgrad reads version %d)", version,
                    MGCLI_MODEL_VERSION);
    if (expect_line(r, "target") || read_name(r, &m->target) || end_of_line(r))
        return -1;
    int rc = next_line(r);
    if (rc < 0)
        return rc == -1 ? fail(r, "the file ends early") : -1;
    if (!strncmp(r->p, "weights ", 8)) {
        r->p += 8;
        if (read_name(r, &m->weights) || end_of_line(r) || expect_line(r, "intercept"))
            return -1;
    } else if (!strncmp(r->p, "intercept ", 10)) {
        r->p += 9;
    } else {
        return fail(r, "'intercept' expected");
    }
    size_t ic = 0;
    if (read_size(r, &ic) || end_of_line(r))
        return -1;
    if (ic > 1)
        return fail(r, "intercept must be 0 or 1");
    m->intercept = (int)ic;
    if (expect_line(r, "df_residual") || read_size(r, &m->df_residual) || end_of_line(r))
        return -1;
    if (expect_line(r, "sigma") || read_double(r, &m->sigma) || end_of_line(r))
        return -1;
    if (!(m->sigma >= 0.0) && !isnan(m->sigma))
        return fail(r, "sigma must be >= 0");
    return 0;
}

static int read_columns(reader *r, mgcli_model *m)
{
    size_t n = 0;
    if (expect_line(r, "columns") || read_size(r, &n) || end_of_line(r))
        return -1;
    m->cols = calloc(n ? n : 1, sizeof *m->cols);
    if (!m->cols)
        return fail(r, "out of memory");
    m->ncols = n;
    for (size_t j = 0; j < n; j++) {
        mgcli_model_column *c = &m->cols[j];
        int rc = next_line(r);
        if (rc < 0)
            return rc == -1 ? fail(r, "the file ends inside the columns") : -1;
        if (!strncmp(r->p, "numeric ", 8)) {
            r->p += 8;
            if (read_name(r, &c->name) || end_of_line(r))
                return -1;
            continue;
        }
        if (strncmp(r->p, "factor ", 7))
            return fail(r, "'numeric' or 'factor' expected");
        r->p += 7;
        size_t L = 0;
        if (read_size(r, &L) || read_name(r, &c->name) || end_of_line(r))
            return -1;
        if (L < 1)
            return fail(r, "a factor needs at least one level");
        c->levels = calloc(L, sizeof *c->levels);
        if (!c->levels)
            return fail(r, "out of memory");
        c->nlevels = L;
        for (size_t l = 0; l < L; l++)
            if (expect_line(r, "level") || read_name(r, &c->levels[l]) || end_of_line(r))
                return -1;
    }
    return 0;
}

static int read_coefficients(reader *r, mgcli_model *m)
{
    size_t n = 0;
    if (expect_line(r, "coefficients") || read_size(r, &n) || end_of_line(r))
        return -1;
    if (n == 0)
        return fail(r, "a model needs coefficients");
    if (n > 1 << 16)
        return fail(r, "too many coefficients");
    m->names = calloc(n, sizeof *m->names);
    m->coef = calloc(n, sizeof *m->coef);
    m->aliased = calloc(n, 1);
    m->cov = calloc(n * n, sizeof *m->cov);
    if (!m->names || !m->coef || !m->aliased || !m->cov)
        return fail(r, "out of memory");
    m->m = n;
    for (size_t i = 0; i < n; i++) {
        size_t a = 0;
        if (expect_line(r, "coef") || read_size(r, &a) || read_double(r, &m->coef[i]) ||
            read_name(r, &m->names[i]) || end_of_line(r))
            return -1;
        if (a > 1 || (a == 1) != (isnan(m->coef[i]) != 0))
            return fail(r, "the aliased flag must be 1 exactly where the estimate is NaN");
        m->aliased[i] = (unsigned char)a;
    }
    for (size_t i = 0; i < n; i++) {
        if (expect_line(r, "cov"))
            return -1;
        for (size_t j = 0; j < n; j++) {
            double v;
            if (read_double(r, &v))
                return -1;
            if (isnan(v) != (m->aliased[i] || m->aliased[j]))
                return fail(r, "C must be NaN exactly in the rows and columns of aliased coefficients");
            m->cov[i * n + j] = v;
        }
        if (end_of_line(r))
            return -1;
    }
    if (expect_line(r, "end") || end_of_line(r))
        return -1;
    return next_line(r) == -1 ? 0 : fail(r, "text after 'end'");
}

int mgcli_model_read(FILE *f, mgcli_model *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    reader r = { f, NULL, 0, 0, "", err, errlen };
    int rc = read_header(&r, m);
    if (rc == 0)
        rc = read_columns(&r, m);
    if (rc == 0)
        rc = read_coefficients(&r, m);
    if (rc == 0 && ferror(f))
        rc = fail(&r, "read error");
    free(r.line);
    if (rc != 0)
        mgcli_model_free(m);
    return rc == 0 ? 0 : -1;
}

void mgcli_model_free(mgcli_model *m)
{
    free(m->target);
    free(m->weights);
    for (size_t j = 0; m->cols && j < m->ncols; j++) {
        for (size_t l = 0; l < m->cols[j].nlevels; l++)
            free(m->cols[j].levels[l]);
        free(m->cols[j].levels);
        free(m->cols[j].name);
    }
    free(m->cols);
    for (size_t i = 0; m->names && i < m->m; i++)
        free(m->names[i]);
    free(m->names);
    free(m->coef);
    free(m->aliased);
    free(m->cov);
    memset(m, 0, sizeof *m);
}
