/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit --save MODEL`: the fitted model (model_file.h) from the
 * fit's columns and statistics. */
#include "fit_save.h"

#include "model_file.h"

#include <stdlib.h>
#include <string.h>

int mgcli_fit_save_model(FILE *out, const mgcli_fit_options *o, const mgcli_fit_data *d,
                         const mgcli_fit_result *r)
{
    mgcli_model m = { 0 };
    m.target = (char *)o->target;
    m.weights = (char *)o->weights;
    m.intercept = o->intercept;
    m.df_residual = r->df;
    m.sigma = r->residual_sd;
    m.m = r->q;
    m.coef = r->beta;
    m.aliased = r->aliased;
    m.cov = r->cov;
    size_t ncols = 0;
    for (size_t j = 0; j < d->ncols; j++)
        ncols += mgcli_fit_data_is_predictor(d, j);
    m.cols = calloc(ncols ? ncols : 1, sizeof *m.cols);
    m.names = malloc(r->q * sizeof *m.names);
    char ***levels = calloc(ncols ? ncols : 1, sizeof *levels);
    int rc = m.cols && m.names && levels ? 0 : -1;
    for (size_t j = 0, k = 0; rc == 0 && j < d->ncols; j++) {
        if (!mgcli_fit_data_is_predictor(d, j))
            continue;
        mgcli_model_column *c = &m.cols[k];
        c->name = d->colnames[j];
        if (d->lev && d->lev[j]) {
            c->nlevels = d->nlev[j];
            levels[k] = malloc(c->nlevels * sizeof **levels);
            if (!levels[k]) {
                rc = -1;
                break;
            }
            for (size_t l = 0; l < c->nlevels; l++)
                levels[k][l] = (char *)mgcli_levels_name(d->lev[j], l);
            c->levels = levels[k];
        }
        k++;
    }
    m.ncols = ncols;
    const size_t lead = r->q - d->p;
    for (size_t i = 0; rc == 0 && i < r->q; i++)
        m.names[i] = i < lead ? (char *)"(Intercept)" : d->names[i - lead];
    if (rc == 0)
        rc = mgcli_model_write(out, &m);
    for (size_t k = 0; levels && k < ncols; k++)
        free(levels[k]);
    free(levels);
    free(m.cols);
    free(m.names);
    return rc;
}
