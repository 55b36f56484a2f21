/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit --save MODEL`: see model_file.h for the format. */
#ifndef MATGRAD_CLI_FIT_SAVE_H
#define MATGRAD_CLI_FIT_SAVE_H

#include "fit_data.h"

#include <stdio.h>

/* Writes the model of a least-squares fit (r->have_infer).  0, or -1 when
 * out of memory or on a write error. */
int mgcli_fit_save_model(FILE *out, const mgcli_fit_options *o, const mgcli_fit_data *d,
                         const mgcli_fit_result *r);

#endif
