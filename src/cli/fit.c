/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit FILE.csv --target COLUMN ...`: linear regression of one CSV
 * column on all the others, printed like R's summary(lm).
 *
 * The CSV is streamed (csv_load.c), never held in memory as text.  The
 * methods auto, qr and normal fold each block of rows into the library's
 * fit engine and drop it, so memory does not grow with the rows
 * (fit_engine.c); gradient descent needs the design matrix (N x p
 * doubles) itself (fit_solve.c).  A file with a factor column is the
 * exception: its rows are held as numbers until the levels, and so the
 * design's width, are known (fit_data.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "csv_load.h"
#include "fit_data.h"
#include "fit_mpi.h"
#include "diagnostics.h"
#include "fit_report.h"
#include "fit_save.h"
#include "outfile.h"
#include "plot.h"
#include "progress.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <math.h>
#include <matgrad.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fit_usage(FILE *out)
{
    fputs("usage: matgrad fit FILE.csv --target COLUMN [options]\n"
          "\n"
          "Fits COLUMN as a linear function of every other column of FILE.csv (a CSV\n"
          "file with a header row; '-' reads standard input), except a --weights\n"
          "column, and prints the coefficients with standard errors, like R's\n"
          "summary(lm).\n"
          "\n"
          "options:\n"
          "  -t, --target COLUMN   the column to predict (required)\n"
          "  -i, --intercept       add an intercept term\n"
          "  -m, --method M        auto (default), normal, qr or gd\n"
          "      --lr X            gradient-descent learning rate (default 0.01)\n"
          "      --epochs N        gradient-descent steps (default 1000)\n"
          "      --ridge X         ridge penalty X * ||b||^2 (method normal; default 0)\n"
          "  -w, --weights COLUMN  weighted least squares with the (finite, >= 0) weights\n"
          "                        in COLUMN, as R's lm(weights=); not a predictor\n"
          "  -p, --plot FILE.png   R's four diagnostic plots (residuals vs fitted, normal\n"
          "                        Q-Q, scale-location, residuals vs leverage); for gd, the\n"
          "                        loss curve with the least-squares optimum (needs gnuplot)\n"
          "      --conf-level X    confidence level of the intervals (default 0.95)\n"
          "      --robust TYPE     heteroskedasticity-consistent standard errors: hc0, hc1,\n"
          "                        hc2 or hc3 (R's sandwich::vcovHC)\n"
          "      --vcov            print the coefficients' covariance matrix (and add its\n"
          "                        rows to --output)\n"
          "      --save MODEL      write the fitted model for 'matgrad predict'\n"
          "  -o, --output FILE.csv write the coefficient table and every statistic as CSV\n"
          "                        ('-' for either: standard output; the report then\n"
          "                        goes to standard error)\n"
          "      --sep S           field separator: ',', ';', tab or auto (default: the\n"
          "                        most frequent of the three in the header line)\n"
          "      --na-action A     omit (default): drop rows with a missing value (NA,\n"
          "                        NaN or an empty cell) and count them, as R's lm;\n"
          "                        fail: a missing value is an error\n"
          "  -f, --factor COLS     read these columns (comma-separated) as factors even\n"
          "                        if numeric; a column whose first value is text is one\n"
          "                        anyway (as R's lm: one 0/1 column per level but the\n"
          "                        first, named <column><level>; without --intercept\n"
          "                        the first factor gets every level)\n"
          "  -h, --help            show this help\n"
          "\n"
          "R's write.csv output reads as it is: an empty first header name marks a\n"
          "column of row names, which is skipped; repeated names become x, x.1, ...\n"
          "See docs/cli.md for the input format and the methods.\n",
          out);
}

static int usage_error(const char *fmt, const char *arg)
{
    return mgcli_usage_error("fit", fmt, arg);
}

/* Gradient descent keeps one loss per epoch (8 bytes each): past 10^8
 * epochs the curve alone would be 800 MB. */
#define MAX_EPOCHS 100000000ULL

static int parse_method(const char *s, mgcli_method *m)
{
    static const struct { const char *name; mgcli_method m; } names[] = {
        { "auto", MGCLI_AUTO }, { "normal", MGCLI_NORMAL }, { "qr", MGCLI_QR }, { "gd", MGCLI_GD }
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(s, names[i].name)) {
            *m = names[i].m;
            return 0;
        }
    return -1;
}

static int parse_sep(const char *s, char *sep)
{
    if (!strcmp(s, ",") || !strcmp(s, ";"))
        *sep = s[0];
    else if (!strcmp(s, "tab") || !strcmp(s, "\t"))
        *sep = '\t';
    else if (!strcmp(s, "auto"))
        *sep = 0;
    else
        return -1;
    return 0;
}

static int parse_na_action(const char *s, int *na_fail)
{
    if (strcmp(s, "omit") && strcmp(s, "fail"))
        return -1;
    *na_fail = !strcmp(s, "fail");
    return 0;
}

/* Parses argv into o; returns -1 when done, else the exit status. */
static int parse_args(int argc, char **argv, mgcli_fit_options *o)
{
    enum { OPT_LR = 256, OPT_EPOCHS, OPT_RIDGE, OPT_SEP, OPT_NA, OPT_LEVEL, OPT_ROBUST, OPT_VCOV,
           OPT_SAVE };
    static const struct option longopts[] = {
        { "target", required_argument, NULL, 't' },
        { "intercept", no_argument, NULL, 'i' },
        { "method", required_argument, NULL, 'm' },
        { "lr", required_argument, NULL, OPT_LR },
        { "epochs", required_argument, NULL, OPT_EPOCHS },
        { "ridge", required_argument, NULL, OPT_RIDGE },
        { "weights", required_argument, NULL, 'w' },
        { "plot", required_argument, NULL, 'p' },
        { "output", required_argument, NULL, 'o' },
        { "sep", required_argument, NULL, OPT_SEP },
        { "na-action", required_argument, NULL, OPT_NA },
        { "factor", required_argument, NULL, 'f' },
        { "conf-level", required_argument, NULL, OPT_LEVEL },
        { "robust", required_argument, NULL, OPT_ROBUST },
        { "vcov", no_argument, NULL, OPT_VCOV },
        { "save", required_argument, NULL, OPT_SAVE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int lr_set = 0, epochs_set = 0, ridge_set = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:im:p:o:w:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 't': o->target = optarg; break;
        case 'i': o->intercept = 1; break;
        case 'm':
            if (parse_method(optarg, &o->method))
                return usage_error("unknown method '%s' (auto, normal, qr or gd)", optarg);
            break;
        case OPT_LR:
            if (mgcli_parse_real(optarg, &o->lr) || !(o->lr > 0))
                return usage_error("--lr needs a positive finite number, not '%s'", optarg);
            lr_set = 1;
            break;
        case OPT_EPOCHS:
        {
            unsigned long long n;
            if (mgcli_parse_count(optarg, MAX_EPOCHS, &n) || n == 0)
                return usage_error("--epochs needs a whole number from 1 to 100000000, not '%s'",
                                   optarg);
            o->epochs = (size_t)n;
            epochs_set = 1;
            break;
        }
        case OPT_RIDGE:
            if (mgcli_parse_real(optarg, &o->ridge) || o->ridge < 0)
                return usage_error("--ridge needs a finite number >= 0, not '%s'", optarg);
            ridge_set = 1;
            break;
        case 'p': o->plot = optarg; break;
        case 'w': o->weights = optarg; break;
        case 'o': o->output = optarg; break;
        case 'f':
            if (!*optarg || *optarg == ',' || optarg[strlen(optarg) - 1] == ',' ||
                strstr(optarg, ",,"))
                return usage_error("--factor needs column names separated by commas, not '%s'",
                                   optarg);
            o->factors = optarg;
            break;
        case OPT_SEP:
            if (parse_sep(optarg, &o->sep))
                return usage_error("--sep needs ',', ';', tab or auto, not '%s'", optarg);
            break;
        case OPT_NA:
            if (parse_na_action(optarg, &o->na_fail))
                return usage_error("--na-action needs omit or fail, not '%s'", optarg);
            break;
        case OPT_LEVEL:
            if (mgcli_parse_real(optarg, &o->level) || !(o->level > 0 && o->level < 1))
                return usage_error("--conf-level needs a number between 0 and 1, not '%s'",
                                   optarg);
            break;
        case OPT_ROBUST:
            if (strlen(optarg) != 3 || (optarg[0] != 'h' && optarg[0] != 'H') ||
                (optarg[1] != 'c' && optarg[1] != 'C') || optarg[2] < '0' || optarg[2] > '3')
                return usage_error("--robust needs hc0, hc1, hc2 or hc3, not '%s'", optarg);
            o->robust = optarg[2] - '0';
            break;
        case OPT_VCOV: o->vcov = 1; break;
        case OPT_SAVE: o->save = optarg; break;
        case 'h': fit_usage(stdout); return MGCLI_EXIT_OK;
        case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc)
        return usage_error("%s", "missing FILE.csv");
    if (optind + 1 < argc)
        return usage_error("unexpected argument '%s' (one FILE.csv at a time)", argv[optind + 1]);
    o->file = argv[optind];
    if (!o->target)
        return usage_error("%s", "missing --target COLUMN");
    if (o->method == MGCLI_AUTO && ridge_set)
        o->method = MGCLI_NORMAL;   /* a ridge penalty is a normal-equations solve */
    if (o->method != MGCLI_GD && (lr_set || epochs_set))
        return usage_error("%s", "--lr and --epochs apply to --method gd");
    if (o->method != MGCLI_NORMAL && ridge_set)
        return usage_error("%s", "--ridge applies to --method normal (or auto)");
    if (o->weights && o->method == MGCLI_GD)
        return usage_error("%s", "--weights applies to --method auto, qr or normal");
    if (o->weights && !strcmp(o->weights, o->target))
        return usage_error("--weights '%s' names the target column", o->weights);
    if ((o->method == MGCLI_GD || o->ridge > 0) && (o->robust >= 0 || o->vcov || o->save))
        return usage_error("%s", "--robust, --vcov and --save need a least-squares fit "
                                 "(--method auto, qr or normal without --ridge)");
    /* the diagnostics need a second reading of the rows: say so before any
     * work when the input is standard input (a pipe given by name is only
     * known once opened: the fit reports it then) */
    if (o->plot && o->method != MGCLI_GD && !strcmp(o->file, "-"))
        return usage_error("%s", "--plot: the diagnostic plots need a second reading of the "
                                 "rows, which standard input does not allow");
    if (o->ridge > 0 && o->plot)
        return usage_error("%s", "--plot draws least-squares diagnostics: not with --ridge");
    if (o->save && (mgcli_outfile_is_stdout(o->save) &&
                    (mgcli_outfile_is_stdout(o->output) || mgcli_outfile_is_stdout(o->plot))))
        return usage_error("%s", "only one of --output, --plot and --save can be standard "
                                 "output ('-')");
    if (mgcli_outfile_is_stdout(o->output) && mgcli_outfile_is_stdout(o->plot))
        return usage_error("%s", "--output and --plot cannot both be standard output ('-')");
    return -1;
}

const char *mgcli_fit_shown(const char *file)
{
    return strcmp(file, "-") ? file : "(stdin)";
}

int mgcli_fit_load_failed(const char *shown, const mgcli_csv_error *err)
{
    if (err->out_of_memory) {
        fprintf(stderr, "matgrad: out of memory (%s, reading %s)\n", err->msg, shown);
        return MGCLI_EXIT_FAIL;
    }
    const char *gap = err->hint[0] ? " " : "";
    if (err->line)
        fprintf(stderr, "matgrad: %s:%zu: %s%s%s\n", shown, err->line, err->msg, gap, err->hint);
    else
        fprintf(stderr, "matgrad: %s: %s%s%s\n", shown, err->msg, gap, err->hint);
    return MGCLI_EXIT_USAGE;
}

int mgcli_fit_no_rows(const mgcli_fit_options *o, const mgcli_fit_data *d)
{
    fprintf(stderr, "matgrad: %s: no complete rows: each of the %zu data rows has a missing "
                    "value\n", mgcli_fit_shown(o->file), d->deleted);
    return MGCLI_EXIT_USAGE;
}

FILE *mgcli_fit_open(const char *file, int *rc)
{
    FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
    if (!f) {
        int e = errno;
        fprintf(stderr, "matgrad: %s: %s\n", file, strerror(e));
        *rc = e == ENOMEM ? MGCLI_EXIT_FAIL : MGCLI_EXIT_USAGE;
    }
    return f;
}

/* Gradient descent's rows, all in memory. */
static int load(const mgcli_fit_options *o, mgcli_fit_data *d)
{
    int rc = MGCLI_EXIT_OK;
    FILE *f = mgcli_fit_open(o->file, &rc);
    if (!f)
        return rc;
    mgcli_csv_sink sink = mgcli_fit_data_sink(d);
    mgcli_csv_error err;
    int bad = mgcli_csv_read_stream(f, &sink, o->sep, &err);
    if (f != stdin)
        fclose(f);
    /* a file with factors: its design, from the rows held */
    if (!bad)
        bad = mgcli_fit_data_design(d, &err);
    if (bad)
        return mgcli_fit_load_failed(mgcli_fit_shown(o->file), &err);
    return d->n == 0 ? mgcli_fit_no_rows(o, d) : MGCLI_EXIT_OK;
}

/* Every output checked and prepared before the input is read, so that a bad
 * path fails at once; an output on standard output moves the report to
 * standard error, keeping the CSV or PNG stream clean. */
static int open_outputs(const mgcli_fit_options *o, mgcli_outfile *out, mgcli_outfile *plot,
                        mgcli_outfile *save)
{
    int rc = 0;
    if (o->output)
        rc = mgcli_outfile_open(out, o->output);
    if (rc == 0 && o->plot)
        rc = mgcli_plot_open(plot, o->plot);
    if (rc == 0 && o->save)
        rc = mgcli_outfile_open(save, o->save);
    if (rc == 0 && (mgcli_outfile_is_stdout(o->output) || mgcli_outfile_is_stdout(o->plot) ||
                    mgcli_outfile_is_stdout(o->save))) {
        fflush(stdout);
        if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
            perror("matgrad: standard output");
            rc = MGCLI_EXIT_FAIL;
        }
    }
    return rc;
}

/* The report, the CSV and the plot of a successful fit. */
/* The plot: gradient descent's loss curve against the least-squares
 * optimum, or R's diagnostic panels of a least-squares fit. */
static int draw_plot(const mgcli_fit_options *o, const mgcli_fit_result *r, mgcli_outfile *plot)
{
    int rc;
    if (o->method == MGCLI_GD) {
        mgcli_plot p = { .title = "matgrad fit: gradient descent", .xlabel = "epoch",
                         .ylabel = "loss (mean squared error)", .logy = 1,
                         .y = r->losses, .n = r->epochs_run + 1,
                         .ref_label = isfinite(r->gd_optimum) ? "least-squares optimum" : NULL,
                         .ref = r->gd_optimum };
        rc = mgcli_plot_png(plot, &p);
    } else {
        if (!r->hat) {
            fputs("matgrad: --plot: the diagnostic plots need a second reading of the rows, "
                  "which a pipe does not allow; no plot written\n", stderr);
            mgcli_outfile_discard(plot);
            return MGCLI_EXIT_FAIL;
        }
        char title[512];
        snprintf(title, sizeof title, "matgrad fit %s --target %s", o->file, o->target);
        mgcli_diag dg = { r->n_resid, r->fitted, r->resid, r->hat, r->residual_sd, r->rank,
                          title, r->row };
        rc = mgcli_plot_diagnostics(plot, &dg);
    }
    return rc == MGCLI_PLOT_FAILED ? MGCLI_EXIT_FAIL : MGCLI_EXIT_OK;
}

static int write_results(const mgcli_fit_options *o, const mgcli_fit_data *d,
                         const mgcli_fit_result *r, mgcli_outfile *out, mgcli_outfile *plot,
                         mgcli_outfile *save)
{
    if (mgcli_fit_print(stdout, o, d, r) != 0)
        return mgcli_out_of_memory("the report table");
    if (o->output && mgcli_fit_write_csv(out->f, o, d, r) != 0)
        return mgcli_out_of_memory("the coefficient table");
    if (o->output && mgcli_outfile_commit(out) != 0)
        return MGCLI_EXIT_FAIL;
    if (o->save && mgcli_fit_save_model(save->f, o, d, r) != 0)
        return mgcli_out_of_memory("the model file");
    if (o->save && mgcli_outfile_commit(save) != 0)
        return MGCLI_EXIT_FAIL;
    return o->plot ? draw_plot(o, r, plot) : MGCLI_EXIT_OK;
}

/* On MPI ranks (fit_mpi.h): what needs the rows in one place, or a
 * second reading of a stream, is refused on every rank alike (they parse
 * the same arguments).  -1 when none applies, else the exit status. */
static int mpi_refusals(const mgcli_fit_options *o)
{
    if (!mgcli_mpi_split())
        return -1;
    if (!strcmp(o->file, "-"))
        return usage_error("%s", "standard input is not split among MPI ranks (they split a "
                                 "regular file by byte ranges): give a file or run one "
                                 "process");
    return -1;
}

int mgcli_fit(int argc, char **argv)
{
    mgcli_fit_options o = { .method = MGCLI_AUTO, .lr = 0.01, .epochs = 1000, .level = 0.95,
                            .robust = -1 };
    int rc = parse_args(argc, argv, &o);
    if (rc < 0)
        rc = mpi_refusals(&o);
    if (rc >= 0)
        return rc;
    /* on MPI ranks, rank 0 alone prints and writes */
    const int writer = mgcli_mpi_rank() == 0;

    mgcli_outfile out = { 0 }, plot = { 0 }, save = { 0 };
    mgcli_fit_data d;
    mgcli_fit_data_init(&d, o.target, o.intercept && o.method == MGCLI_GD);
    d.weights = o.weights;
    d.factors = o.factors;
    d.na_fail = o.na_fail;
    d.no_intercept = !o.intercept;
    mgcli_fit_result r = { 0 };
    rc = writer ? open_outputs(&o, &out, &plot, &save) : MGCLI_EXIT_OK;
    rc = mgcli_mpi_bcast_rc(rc);
    if (rc == MGCLI_EXIT_OK && o.method == MGCLI_GD && mgcli_mpi_split()) {
        /* each rank holds its share of the rows (fit_mpi.h) */
        size_t total = 0;
        rc = mgcli_mpi_load(&o, &d, &total);
        if (rc == MGCLI_EXIT_OK && total == 0)
            rc = mgcli_fit_no_rows(&o, &d);
        if (rc == MGCLI_EXIT_OK)
            rc = mgcli_mpi_gd(&o, &d, total, &r);
    } else if (rc == MGCLI_EXIT_OK && o.method == MGCLI_GD) {
        rc = load(&o, &d);
        if (rc == MGCLI_EXIT_OK)
            rc = mgcli_fit_run(&o, &d, &r);
    } else if (rc == MGCLI_EXIT_OK) {
        rc = mgcli_fit_stream(&o, &d, &r);
    }
    if (d.note[0])
        fprintf(stderr, "matgrad: note: %s\n", d.note);
    r.n_deleted = d.deleted;
    if (rc == MGCLI_EXIT_OK && writer)
        rc = write_results(&o, &d, &r, &out, &plot, &save);
    /* on MPI ranks every rank agreed on the fit before this (fit_mpi.c):
     * all exit as rank 0, which wrote */
    rc = mgcli_mpi_bcast_rc(rc);
    mgcli_outfile_discard(&out);
    mgcli_outfile_discard(&plot);
    mgcli_outfile_discard(&save);
    mgcli_fit_result_free(&r);
    mgcli_fit_data_free(&d);
    return rc;
}
