/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit` output: the summary table and the coefficient CSV. */
#ifndef MATGRAD_CLI_FIT_REPORT_H
#define MATGRAD_CLI_FIT_REPORT_H

#include "fit_data.h"

#include <stdio.h>

/* 0, or -1 when out of memory (nothing of the table printed). */
int mgcli_fit_print(FILE *out, const mgcli_fit_options *o, const mgcli_fit_data *d,
                     const mgcli_fit_result *r);

/* One row per coefficient: term, estimate, std_error, t_value, p_value,
 * conf_low, conf_high, aliased, then the model's statistics (the same on
 * every row) and, with --vcov, the row of the covariance matrix; numbers
 * at 17 significant digits (they read back exactly), NA where undefined.
 * 0, or -1 on a write error. */
int mgcli_fit_write_csv(FILE *out, const mgcli_fit_options *o, const mgcli_fit_data *d,
                        const mgcli_fit_result *r);

#endif
