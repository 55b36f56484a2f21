/* SPDX-License-Identifier: BSD-3-Clause */
/* Separator detection from the header line (csv_sep.h). */
#include "csv_sep.h"

#include <stdio.h>

static const char SEPS[MGCLI_SEP_KINDS] = { ',', ';', '\t' };


int mgcli_sep_scan(const char *s, size_t n, size_t counts[MGCLI_SEP_KINDS])
{
    for (int k = 0; k < MGCLI_SEP_KINDS; k++)
        counts[k] = 0;
    size_t i = 0;
    for (;;) {
        /* a line of blanks only is skipped, as the loader skips it */
        size_t j = i;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j == n)
            break;
        if (s[j] != '\r' && s[j] != '\n')
            break;
        i = j + 1;
    }
    int quoted = 0;   /* RFC 4180: "" inside quotes toggles twice */
    for (; i < n; i++) {
        char c = s[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\r' || c == '\n'))
            return 1;
        else if (!quoted)
            for (int k = 0; k < MGCLI_SEP_KINDS; k++)
                counts[k] += c == SEPS[k];
    }
    return 0;
}

char mgcli_sep_choose(const size_t counts[MGCLI_SEP_KINDS])
{
    int best = MGCLI_SEP_COMMA;
    for (int k = 1; k < MGCLI_SEP_KINDS; k++)
        if (counts[k] > counts[best])
            best = k;
    return SEPS[best];
}

const char *mgcli_sep_hint(const size_t counts[MGCLI_SEP_KINDS], char sep, char *buf,
                           size_t size)
{
    buf[0] = '\0';
    int best = -1;
    for (int k = MGCLI_SEP_SEMICOLON; k < MGCLI_SEP_KINDS; k++)
        if (SEPS[k] != sep && counts[k] > 0 && (best < 0 || counts[k] > counts[best]))
            best = k;
    if (best == MGCLI_SEP_SEMICOLON)
        snprintf(buf, size, "(the file looks ';'-separated: try --sep ';')");
    else if (best == MGCLI_SEP_TAB)
        snprintf(buf, size, "(the file looks tab-separated: try --sep tab)");
    return buf;
}
