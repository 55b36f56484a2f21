/* SPDX-License-Identifier: BSD-3-Clause */
/* Loader for the R lm() reference files of tests/data/r/lm (written by
 * scripts/ref_lm.R; the format is in tests/data/r/lm/README.md).
 *
 * A <case>_ref.txt holds one record a line: a key, a fixed number of
 * labels for that key (coefficient names, a confidence level, a row
 * number, an HC type), then numbers.  Labels are kept as text, so a lookup
 * matches the file's spelling exactly ("0.95", "(Intercept)", "3").
 * `warning` records keep the rest of their line as text.  An unknown key, a
 * short record or a field that is not a number is a load error: a file
 * that drifts from the format fails the tests instead of being half read.
 *
 * A <case>_design.csv (and _new_design.csv) is a plain numeric table: one
 * header line of names, then rows of numbers, comma-separated, no NA.  It
 * is loaded column-major.
 *
 * Plain C with no test framework: functions return 0 on success, nonzero
 * with a message in err on failure (allocation failures included). */
#ifndef RLM_REF_H
#define RLM_REF_H

#include <stddef.h>

enum { RLM_MAX_LABELS = 3 };

typedef struct rlm_record {
    const char *key;
    const char *label[RLM_MAX_LABELS]; /* nlabels used, the rest NULL */
    size_t nlabels;
    const double *v;                   /* nv numbers; R's NA and NaN both NAN */
    const unsigned char *na;           /* na[i] = 1 where the file has NA (not NaN) */
    size_t nv;
    const char *text;                  /* `warning`: the text; else NULL */
    size_t line;                       /* 1-based line in the file */
} rlm_record;

typedef struct rlm_ref {
    rlm_record *rec;
    size_t nrec;
    char *buf;          /* the file, tokenised in place; owns every string */
    double *vals;       /* owns every record's numbers */
    unsigned char *nas;
} rlm_ref;

int rlm_ref_load(const char *path, rlm_ref *ref, char *err, size_t errlen);
void rlm_ref_free(rlm_ref *ref);

/* Number of records with this key, and the i-th of them in file order. */
size_t rlm_ref_count(const rlm_ref *ref, const char *key);
const rlm_record *rlm_ref_nth(const rlm_ref *ref, const char *key, size_t i);

/* The record with this key and these labels (nlabels of them; NULL if
 * none).  With duplicates, the first. */
const rlm_record *rlm_ref_find(const rlm_ref *ref, const char *key, size_t nlabels,
                               const char *const *labels);
/* Convenience: unlabelled record's first number; NAN if absent. */
double rlm_ref_scalar(const rlm_ref *ref, const char *key);

typedef struct rlm_table {
    size_t rows, cols;
    char **names;   /* cols names */
    double *data;   /* column-major: element (i, j) is data[j * rows + i] */
    char *buf;      /* header storage */
} rlm_table;

int rlm_table_load(const char *path, rlm_table *t, char *err, size_t errlen);
void rlm_table_free(rlm_table *t);
/* Index of the column of that name, or -1. */
long rlm_table_col(const rlm_table *t, const char *name);
/* Element (i, j). */
double rlm_table_get(const rlm_table *t, size_t i, size_t j);

#endif /* RLM_REF_H */
