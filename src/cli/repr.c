/* SPDX-License-Identifier: BSD-3-Clause */
#include "cli.h"

#include <stdlib.h>

void mgcli_print_repr(FILE *out, double x)
{
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    fputs(buf, out);
}
