/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad predict MODEL new.csv`: predictions of a model saved by
 * `matgrad fit --save MODEL` for the rows of a CSV file, with standard
 * errors and confidence or prediction intervals (R's
 * predict.lm(se.fit = TRUE, interval =, level =)).
 *
 * The CSV goes through the command's loader (the same dialects as `fit`:
 * separators, row names, NA cells, quoting) and is streamed in blocks of
 * rows: each block's design rows (factor columns expanded into the model's
 * treatment dummies) go to mg_predict, and the predictions are written
 * before the next block is read.  A row with a missing value in a column
 * the model uses gets NA predictions (R's na.pass); a factor level the
 * model has not seen is an error naming the column and line. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "csv_load.h"
#include "escape.h"
#include "model_file.h"
#include "outfile.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <matgrad.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BLOCK = 1024 };

typedef struct predict_opts {
    const char *model, *file, *output;
    mg_interval interval;
    double level;
    char sep;
} predict_opts;

typedef struct predictor {
    const predict_opts *o;
    const mgcli_model *m;
    size_t p;              /* design columns (without the intercept) */
    size_t *col_of;        /* model column -> CSV column */
    size_t ncsv;
    double *X, *fit, *se, *lo, *hi;
    unsigned char *missing;
    size_t nb;
    mg_model model;
    mg_matrix B, C;
    FILE *out;
    mg_status status;
} predictor;

static void predict_usage(FILE *out)
{
    fputs("usage: matgrad predict MODEL NEW.csv [options]\n"
          "\n"
          "Predicts the target of a model saved by 'matgrad fit --save MODEL' for each\n"
          "row of NEW.csv ('-' reads standard input), which must hold the model's\n"
          "predictor columns (by name; other columns are ignored).  Writes a CSV with\n"
          "the columns fit and se_fit, and with an interval lwr and upr, one row per\n"
          "input row (NA where a value the model needs is missing).\n"
          "\n"
          "options:\n"
          "      --interval I     none (default), confidence (for the mean response)\n"
          "                       or prediction (for a new observation)\n"
          "      --level X        the intervals' level (default 0.95)\n"
          "      --sep S          field separator: ',', ';', tab or auto (default)\n"
          "  -o, --output FILE    write the predictions there (default: standard output)\n"
          "  -h, --help           show this help\n",
          out);
}

static int usage_error(const char *fmt, const char *arg)
{
    return mgcli_usage_error("predict", fmt, arg);
}

static int parse_args(int argc, char **argv, predict_opts *o)
{
    enum { OPT_INTERVAL = 256, OPT_LEVEL, OPT_SEP };
    static const struct option longopts[] = {
        { "interval", required_argument, NULL, OPT_INTERVAL },
        { "level", required_argument, NULL, OPT_LEVEL },
        { "sep", required_argument, NULL, OPT_SEP },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_INTERVAL:
            if (!strcmp(optarg, "none"))
                o->interval = MG_INTERVAL_NONE;
            else if (!strcmp(optarg, "confidence"))
                o->interval = MG_INTERVAL_CONFIDENCE;
            else if (!strcmp(optarg, "prediction"))
                o->interval = MG_INTERVAL_PREDICTION;
            else
                return usage_error("--interval needs none, confidence or prediction, not '%s'",
                                   optarg);
            break;
        case OPT_LEVEL:
            if (mgcli_parse_real(optarg, &o->level) || !(o->level > 0 && o->level < 1))
                return usage_error("--level needs a number between 0 and 1, not '%s'", optarg);
            break;
        case OPT_SEP:
            if (!strcmp(optarg, ",") || !strcmp(optarg, ";"))
                o->sep = optarg[0];
            else if (!strcmp(optarg, "tab") || !strcmp(optarg, "\t"))
                o->sep = '\t';
            else if (!strcmp(optarg, "auto"))
                o->sep = 0;
            else
                return usage_error("--sep needs ',', ';', tab or auto, not '%s'", optarg);
            break;
        case 'o': o->output = optarg; break;
        case 'h': predict_usage(stdout); return MGCLI_EXIT_OK;
        case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return usage_error("%s", "needs MODEL and NEW.csv");
    o->model = argv[optind];
    o->file = argv[optind + 1];
    return -1;
}

/* ---- the CSV sink ---- */

static void shown(char *buf, size_t size, const char *name)
{
    size_t used = 0, len = strlen(name);
    if (mgcli_escape(buf, size - 4, &used, name, len) < len)
        strcpy(buf + used, "...");
}

static int on_header(void *ctx, size_t line, mgcli_csv_header *h, mgcli_csv_error *err)
{
    predictor *pr = ctx;
    const mgcli_model *m = pr->m;
    pr->ncsv = h->ncols;
    for (size_t j = 0; j < m->ncols; j++) {
        size_t found = (size_t)-1;
        for (size_t c = 0; c < h->ncols; c++)
            if (!strcmp(h->names[c], m->cols[j].name)) {
                found = c;
                break;
            }
        if (found == (size_t)-1) {
            char name[64];
            shown(name, sizeof name, m->cols[j].name);
            return mgcli_csv_fail(err, line, "no column named '%s' (the model needs it)", name);
        }
        pr->col_of[j] = found;
        if (m->cols[j].nlevels)
            h->as_text[found] = 1;
    }
    return 0;
}

/* A factor cell: its level's index in the model. */
static int on_text(void *ctx, size_t line, size_t col, const char *s, size_t len, double *code,
                   mgcli_csv_error *err)
{
    predictor *pr = ctx;
    const mgcli_model *m = pr->m;
    for (size_t j = 0; j < m->ncols; j++) {
        const mgcli_model_column *c = &m->cols[j];
        if (pr->col_of[j] != col || !c->nlevels)
            continue;
        for (size_t l = 0; l < c->nlevels; l++)
            if (strlen(c->levels[l]) == len && !memcmp(c->levels[l], s, len)) {
                *code = (double)l;
                return 0;
            }
        /* numeric levels (--factor on a number column) match by value */
        char buf[64], *end;
        if (len < sizeof buf) {
            memcpy(buf, s, len);
            buf[len] = '\0';
            double v = strtod(buf, &end);
            for (size_t l = 0; *end == '\0' && end != buf && l < c->nlevels; l++) {
                char *e2;
                double lv = strtod(c->levels[l], &e2);
                if (*e2 == '\0' && lv == v) {
                    *code = (double)l;
                    return 0;
                }
            }
        }
        char name[64], level[64];
        shown(name, sizeof name, c->name);
        size_t used = 0;
        if (mgcli_escape(level, sizeof level - 4, &used, s, len) < len)
            strcpy(level + used, "...");
        return mgcli_csv_fail(err, line, "column '%s': level '%s' is not one of the model's %zu "
                              "levels", name, level, c->nlevels);
    }
    return mgcli_csv_fail(err, line, "a text value in a column the model does not use as a "
                          "factor");
}

static int flush_block(predictor *pr, mgcli_csv_error *err)
{
    if (pr->nb == 0)
        return 0;
    mg_matrix X = mg_matrix_view(pr->X, pr->nb, pr->p), F = mg_matrix_view(pr->fit, pr->nb, 1);
    mg_matrix S = mg_matrix_view(pr->se, pr->nb, 1), L = mg_matrix_view(pr->lo, pr->nb, 1);
    mg_matrix H = mg_matrix_view(pr->hi, pr->nb, 1);
    const int iv = pr->o->interval != MG_INTERVAL_NONE;
    mg_status s = mg_predict(&pr->model, pr->p ? &X : NULL, NULL, pr->o->interval, pr->o->level,
                             &F, &S, iv ? &L : NULL, iv ? &H : NULL);
    if (s != MG_OK) {
        pr->status = s;
        return mgcli_csv_fail(err, 0, "prediction: %s", mg_strerror(s));
    }
    for (size_t i = 0; i < pr->nb; i++) {
        const double v[4] = { pr->fit[i], pr->se[i], pr->lo[i], pr->hi[i] };
        for (int k = 0; k < (iv ? 4 : 2); k++) {
            if (k)
                fputc(',', pr->out);
            if (pr->missing[i] || isnan(v[k]))
                fputs("NA", pr->out);
            else
                fprintf(pr->out, "%.17g", v[k]);
        }
        fputc('\n', pr->out);
    }
    pr->nb = 0;
    return 0;
}

static int on_row(void *ctx, size_t line, const double *v, size_t ncols, mgcli_csv_error *err)
{
    predictor *pr = ctx;
    (void)line;
    (void)ncols;
    const mgcli_model *m = pr->m;
    double *x = pr->X + pr->nb * pr->p;
    int missing = 0;
    for (size_t j = 0; j < m->ncols; j++) {
        const double c = v[pr->col_of[j]];
        const mgcli_model_column *col = &m->cols[j];
        if (isnan(c))
            missing = 1;
        if (!col->nlevels) {
            *x++ = isnan(c) ? 0.0 : c;
            continue;
        }
        for (size_t l = 1; l < col->nlevels; l++)
            *x++ = !isnan(c) && (size_t)c == l ? 1.0 : 0.0;
    }
    pr->missing[pr->nb++] = (unsigned char)missing;
    return pr->nb == BLOCK ? flush_block(pr, err) : 0;
}

/* ---- the command ---- */

static int read_model(const char *path, mgcli_model *m)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "matgrad: %s: %s\n", path, strerror(errno));
        return MGCLI_EXIT_USAGE;
    }
    char err[256];
    int rc = mgcli_model_read(f, m, err, sizeof err);
    fclose(f);
    if (rc != 0) {
        fprintf(stderr, "matgrad: %s:%s\n", path, err);
        return MGCLI_EXIT_USAGE;
    }
    return MGCLI_EXIT_OK;
}

static int setup(predictor *pr, const mgcli_model *m)
{
    size_t p = 0;
    for (size_t j = 0; j < m->ncols; j++)
        p += m->cols[j].nlevels ? m->cols[j].nlevels - 1 : 1;
    if (p + (m->intercept ? 1u : 0u) != m->m) {
        fprintf(stderr, "matgrad: %s: the model's columns give %zu coefficients, it has %zu\n",
                pr->o->model, p + (m->intercept ? 1u : 0u), m->m);
        return MGCLI_EXIT_USAGE;
    }
    pr->p = p;
    pr->col_of = calloc(m->ncols ? m->ncols : 1, sizeof *pr->col_of);
    pr->X = malloc(BLOCK * (p ? p : 1) * sizeof *pr->X);
    pr->fit = malloc(BLOCK * sizeof *pr->fit);
    pr->se = malloc(BLOCK * sizeof *pr->se);
    pr->lo = malloc(BLOCK * sizeof *pr->lo);
    pr->hi = malloc(BLOCK * sizeof *pr->hi);
    pr->missing = malloc(BLOCK);
    if (!pr->col_of || !pr->X || !pr->fit || !pr->se || !pr->lo || !pr->hi || !pr->missing)
        return mgcli_out_of_memory("the prediction buffers");
    for (size_t i = 0; i < BLOCK; i++)
        pr->lo[i] = pr->hi[i] = NAN;
    pr->B = mg_matrix_view(m->coef, m->m, 1);
    pr->C = mg_matrix_view(m->cov, m->m, m->m);
    pr->model.p = p;
    pr->model.k = 1;
    pr->model.intercept = m->intercept;
    pr->model.coef = &pr->B;
    pr->model.cov_unscaled = &pr->C;
    pr->model.sigma = &m->sigma;
    pr->model.df_residual = m->df_residual;
    return MGCLI_EXIT_OK;
}

static void release(predictor *pr)
{
    free(pr->col_of);
    free(pr->X);
    free(pr->fit);
    free(pr->se);
    free(pr->lo);
    free(pr->hi);
    free(pr->missing);
}

static int run(const predict_opts *o, const mgcli_model *m, mgcli_outfile *out)
{
    predictor pr = { .o = o, .m = m, .out = out->f };
    int rc = setup(&pr, m);
    if (rc != MGCLI_EXIT_OK) {
        release(&pr);
        return rc;
    }
    fputs(o->interval == MG_INTERVAL_NONE ? "fit,se_fit\n" : "fit,se_fit,lwr,upr\n", out->f);
    FILE *f = strcmp(o->file, "-") ? fopen(o->file, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "matgrad: %s: %s\n", o->file, strerror(errno));
        release(&pr);
        return MGCLI_EXIT_USAGE;
    }
    mgcli_csv_sink sink = { on_header, on_row, on_text, &pr };
    mgcli_csv_error err;
    int bad = mgcli_csv_read_stream(f, &sink, o->sep, &err);
    if (f != stdin)
        fclose(f);
    if (!bad)
        bad = flush_block(&pr, &err);
    release(&pr);
    if (bad) {
        const char *name = strcmp(o->file, "-") ? o->file : "(stdin)";
        if (err.out_of_memory)
            return mgcli_out_of_memory(err.msg);
        if (err.line)
            fprintf(stderr, "matgrad: %s:%zu: %s%s%s\n", name, err.line, err.msg,
                    err.hint[0] ? " " : "", err.hint);
        else
            fprintf(stderr, "matgrad: %s: %s\n", name, err.msg);
        return pr.status != MG_OK ? MGCLI_EXIT_FAIL : MGCLI_EXIT_USAGE;
    }
    return mgcli_outfile_commit(out) == 0 ? MGCLI_EXIT_OK : MGCLI_EXIT_FAIL;
}

int mgcli_predict(int argc, char **argv)
{
    predict_opts o = { .level = 0.95, .interval = MG_INTERVAL_NONE, .output = "-" };
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    mgcli_model m;
    if ((rc = read_model(o.model, &m)) != MGCLI_EXIT_OK)
        return rc;
    if (m.weights && o.interval == MG_INTERVAL_PREDICTION) {
        char name[64];
        shown(name, sizeof name, m.weights);
        fprintf(stderr, "matgrad: note: the model was fitted with weights ('%s'); the prediction "
                        "intervals take weight 1 for the new rows (R's predict.lm warns the "
                        "same)\n", name);
    }
    mgcli_outfile out = { 0 };
    rc = mgcli_outfile_open(&out, o.output);
    if (rc == 0)
        rc = run(&o, &m, &out);
    mgcli_outfile_discard(&out);
    mgcli_model_free(&m);
    return rc;
}
