/* SPDX-License-Identifier: BSD-3-Clause */
/* R's number formatting (see rformat.h): the rules of R's formatReal,
 * signif, round, zapsmall and format.pval, written from their documented
 * behaviour and checked against R's output (tests/test_cli_rformat.c). */
#include "rformat.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A finite x rounded to `digits` significant digits, in R's terms: its
 * decimal exponent kpower, the significant digits left after dropping
 * trailing zeros (nsig), and whether it is negative. */
typedef struct sci_parts {
    int neg, kpower, nsig;
} sci_parts;

static sci_parts scientific(double x, int digits)
{
    sci_parts s = { x < 0, 0, 1 };
    if (x == 0.0)
        return s;
    char buf[64];
    /* %.*e rounds correctly to `digits` significant digits and renormalises
     * (9.9996 -> 1.000e+01), as R's scientific() does */
    snprintf(buf, sizeof buf, "%.*e", digits - 1, fabs(x));
    char *e = strchr(buf, 'e');
    s.kpower = atoi(e + 1);
    int nsig = digits;
    for (char *c = e - 1; nsig > 1 && (*c == '0' || *c == '.'); c--)
        if (*c == '0')
            nsig--;
    s.nsig = nsig;
    return s;
}

static void nonfinite(double x, mgcli_rnum out)
{
    snprintf(out, MGCLI_RNUM, "%s", isnan(x) ? "NA" : x > 0 ? "Inf" : "-Inf");
}

void mgcli_rformat(const double *x, size_t n, int digits, mgcli_rnum *out)
{
    if (digits < 1)
        digits = 1;
    if (digits > 15)
        digits = 15;
    int any = 0, neg = 0, rgt = 0, mxsl = 0, mxns = 0, mxe = 0, mne = 0, mxl = -1000;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        sci_parts s = scientific(x[i], digits);
        int left = s.kpower + 1;
        /* rounding carried into a new digit (99.996 at 4 digits is 1.000e2)
         * while the value itself still has kpower integer digits */
        if (s.kpower > 0 && fabs(x[i]) < pow(10.0, s.kpower))
            left--;
        const int sleft = s.neg + (left <= 0 ? 1 : left);
        const int right = s.nsig - left;
        if (s.neg)
            neg = 1;
        if (!any || right > rgt)
            rgt = right;
        if (!any || left > mxl)
            mxl = left;
        if (!any || sleft > mxsl)
            mxsl = sleft;
        if (!any || s.nsig > mxns)
            mxns = s.nsig;
        if (!any || s.kpower > mxe)
            mxe = s.kpower;
        if (!any || s.kpower < mne)
            mne = s.kpower;
        any = 1;
    }
    int fixed = 1, decimals = 0;
    if (any) {
        if (mxl < 0)
            mxsl = 1 + neg;
        if (rgt < 0)
            rgt = 0;
        const int wF = mxsl + rgt + (rgt != 0);
        const int e = (mxe >= 100 || mne <= -99) ? 2 : 1;
        const int d = mxns - 1;
        const int wE = neg + (d > 0) + d + 4 + e;
        fixed = wF <= wE; /* R's default scipen = 0 */
        decimals = fixed ? rgt : d;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            nonfinite(x[i], out[i]);
        else if (fixed)
            snprintf(out[i], MGCLI_RNUM, "%.*f", decimals, x[i]);
        else
            snprintf(out[i], MGCLI_RNUM, "%.*e", decimals, x[i]);
    }
}

const char *mgcli_rformat1(double x, int digits, mgcli_rnum out)
{
    mgcli_rformat(&x, 1, digits, (mgcli_rnum *)out);
    return out;
}

double mgcli_rsignif(double x, int digits)
{
    if (!isfinite(x) || x == 0.0)
        return x;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*e", digits < 1 ? 0 : digits - 1, x);
    return strtod(buf, NULL);
}

double mgcli_rround(double x, int decimals)
{
    if (!isfinite(x))
        return x;
    if (decimals < 0) {
        const double s = pow(10.0, -decimals);
        return nearbyint(x / s) * s;
    }
    if (decimals > 300)
        return x;
    char buf[400];
    /* the decimal nearest to the double's exact value */
    snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return strtod(buf, NULL);
}

void mgcli_rzapsmall(double *x, size_t n, int digits)
{
    double mx = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            mx = fmax(mx, fabs(x[i]));
    /* R: round(x, max(0, digits - log10(mx))), and round() takes the
     * nearest whole number of digits (half up) */
    int d = digits;
    if (mx > 0.0) {
        const double r = floor((double)digits - log10(mx) + 0.5);
        d = r > 0.0 ? (int)r : 0;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = mgcli_rround(x[i], d);
}

/* format() of the values of p selected by sel (common notation among
 * them), into out at the same places. */
static void format_subset(const double *p, size_t n, const int *sel, int digits, mgcli_rnum *out)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    mgcli_rnum *s = malloc((n ? n : 1) * sizeof *s);
    if (!v || !s) {
        /* one at a time: the same digits, only without the common notation */
        for (size_t i = 0; i < n; i++)
            if (sel[i])
                mgcli_rformat1(p[i], digits, out[i]);
        free(v);
        free(s);
        return;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (sel[i])
            v[m++] = p[i];
    mgcli_rformat(v, m, digits, s);
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (sel[i])
            memcpy(out[i], s[m++], MGCLI_RNUM);
    free(v);
    free(s);
}

void mgcli_rformat_pval(const double *p, size_t n, int digits, double eps, mgcli_rnum *out)
{
    int *cls = malloc((n ? n : 1) * sizeof *cls); /* 0 NA, 1 tiny, 2 fixed, 3 other */
    int *sel = malloc((n ? n : 1) * sizeof *sel);
    if (!cls || !sel) {
        for (size_t i = 0; i < n; i++)
            mgcli_rformat1(p[i], digits, out[i]);
        free(cls);
        free(sel);
        return;
    }
    int any_tiny = 0, any_other = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i]))
            cls[i] = 0;
        else if (p[i] < eps)
            cls[i] = 1, any_tiny = 1;
        else {
            const double ex = floor(log10(p[i] > 0 ? p[i] : 1e-50));
            cls[i] = (ex >= -3 || (ex == -4 && digits > 1)) ? 2 : 3;
            any_other = 1;
        }
    }
    for (int c = 2; c <= 3; c++) {
        for (size_t i = 0; i < n; i++)
            sel[i] = cls[i] == c;
        format_subset(p, n, sel, digits, out);
    }
    if (any_tiny) {
        int d = digits - 2 < 1 ? 1 : digits - 2;
        const char *sep;
        if (any_other) {
            size_t nc = 0;
            for (size_t i = 0; i < n; i++)
                if (cls[i] >= 2 && strlen(out[i]) > nc)
                    nc = strlen(out[i]);
            if (d > 1 && (size_t)d + 6 > nc)
                d = nc > 8 ? (int)nc - 7 : 1;
            sep = (d == 1 && nc <= 6) ? "" : " ";
        } else {
            sep = d == 1 ? "" : " ";
        }
        mgcli_rnum e;
        mgcli_rformat1(eps, d, e);
        for (size_t i = 0; i < n; i++)
            if (cls[i] == 1)
                snprintf(out[i], MGCLI_RNUM, "<%s%.40s", sep, e);
    }
    for (size_t i = 0; i < n; i++)
        if (cls[i] == 0)
            snprintf(out[i], MGCLI_RNUM, "NA");
    free(cls);
    free(sel);
}

double mgcli_rquantile7(const double *sorted, size_t n, double prob)
{
    /* R: index = 1 + (n - 1) prob; lo = floor, hi = ceiling;
     * q = (1 - h) x[lo] + h x[hi], h = index - lo, where x[hi] differs */
    const double index = (double)(n - 1) * prob;
    const size_t lo = (size_t)floor(index), hi = (size_t)ceil(index);
    const double q = sorted[lo];
    if (index > (double)lo && sorted[hi] != q) {
        const double h = index - (double)lo;
        return (1.0 - h) * q + h * sorted[hi];
    }
    return q;
}
