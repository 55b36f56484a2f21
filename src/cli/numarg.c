/* SPDX-License-Identifier: BSD-3-Clause */
/* Numbers given as option arguments, read strictly: what the user typed is
 * either exactly a number of the expected kind or a usage error, never a
 * number strtoull or strtod made of it (" -5" as 2^64 - 5, " +5" as 5). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int mgcli_parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;   /* beyond max (and so never wraps) */
        v = 10 * v + d;
    }
    *out = v;
    return 0;
}

int mgcli_parse_real(const char *s, double *out)
{
    /* strtod skips leading white space; a number here has none */
    if (!*s || *s == ' ' || (*s >= '\t' && *s <= '\r'))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* the whole string, finite, not rounded to 0 or infinity by range */
    if (*end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}
