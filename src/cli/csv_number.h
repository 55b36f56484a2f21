/* SPDX-License-Identifier: BSD-3-Clause */
/* Exact decimal-to-double conversion without strtod for the common case
 * (Clinger's fast path), for the CSV loader's hot loop.
 *
 * mgcli_decimal() reads the whole of [s, e) (no surrounding blanks) as
 *     [+-]? ( D+ ( '.' D* )? | '.' D+ ) ( [eE] [+-]? D+ )?      D = [0-9]
 * and returns
 *   MGCLI_DEC_EXACT   *out is the value, bitwise what strtod returns;
 *   MGCLI_DEC_STRTOD  the text has that form (so strtod would read all of
 *                     it) but the fast path does not apply: too many
 *                     significant digits or too large a power of ten;
 *   MGCLI_DEC_OTHER   anything else (empty, other characters, hexadecimal,
 *                     inf, nan, a lone sign or point, "1e"): the caller
 *                     must use strtod and its own checks.
 *
 * Why the fast path is exact.  Write the text as (-1)^s w 10^k, w the
 * integer of the significant digits (leading zeros dropped) and k the
 * exponent minus the number of digits after the point.  When w has at
 * most 15 digits, w < 10^15 < 2^53, so w converts to a double exactly.
 * When |k| <= 22, 10^|k| = 2^|k| 5^|k| with 5^22 < 2^53, so 10^|k| is a
 * double exactly too (the table below holds the exact values).  Then
 * w * 10^k (k >= 0) or w / 10^-k (k < 0) is one IEEE 754 multiplication
 * or division of exact operands, which the hardware rounds correctly
 * (round to nearest, ties to even: the only rounding mode the command
 * uses), and the result lies between 1e-22 and 1e37, far from overflow
 * and underflow.  strtod (glibc, C locale) also returns the correctly
 * rounded value of the decimal text, so the two are the same double; the
 * sign is applied exactly by negation (strtod("-0") is -0.0 here too).
 * w = 0 is +-0 whatever the exponent, as strtod gives.  This needs double
 * arithmetic evaluated in double (FLT_EVAL_METHOD == 0, as on x86-64 with
 * SSE2): elsewhere (x87 extended precision would round twice) the fast
 * path is off and everything goes to strtod.
 * (W. D. Clinger, "How to read floating point numbers accurately", PLDI
 * 1990.)  tests/test_csv_number.c compares it with strtod. */
#ifndef MATGRAD_CLI_CSV_NUMBER_H
#define MATGRAD_CLI_CSV_NUMBER_H

#include <float.h>
#include <stdint.h>

enum mgcli_dec { MGCLI_DEC_EXACT, MGCLI_DEC_STRTOD, MGCLI_DEC_OTHER };

#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0 && DBL_MANT_DIG == 53
#define MGCLI_DEC_FAST 1
#else
#define MGCLI_DEC_FAST 0
#endif

static inline int mgcli_dec_digit(char c) { return c >= '0' && c <= '9'; }

static inline enum mgcli_dec mgcli_decimal(const char *s, const char *e, double *out)
{
    static const double pow10[23] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
    const char *c = s;
    int neg = 0;
    if (c < e && (*c == '+' || *c == '-'))
        neg = *c++ == '-';
    uint64_t w = 0;
    int sig = 0;        /* significant digits in w (at most 16 kept) */
    int digits = 0;     /* mantissa digits of any kind */
    long scale = 0;     /* digits after the point, and significant digits dropped */
    for (; c < e && mgcli_dec_digit(*c); c++, digits++) {
        if (w == 0 && *c == '0')
            continue;
        if (sig < 16)
            w = 10 * w + (uint64_t)(*c - '0');
        else
            scale--;    /* not kept: the value is beyond the fast path anyway */
        sig++;
    }
    if (c < e && *c == '.')
        for (c++; c < e && mgcli_dec_digit(*c); c++, digits++) {
            scale++;
            if (w == 0 && *c == '0')
                continue;
            if (sig < 16)
                w = 10 * w + (uint64_t)(*c - '0');
            else
                scale--;
            sig++;
        }
    if (digits == 0)
        return MGCLI_DEC_OTHER;
    long x = 0;
    if (c < e && (*c == 'e' || *c == 'E')) {
        c++;
        int xneg = 0;
        if (c < e && (*c == '+' || *c == '-'))
            xneg = *c++ == '-';
        if (c == e || !mgcli_dec_digit(*c))
            return MGCLI_DEC_OTHER;
        for (; c < e && mgcli_dec_digit(*c); c++)
            if (x < 100000)   /* saturates: any such exponent is beyond the fast path */
                x = 10 * x + (*c - '0');
        if (xneg)
            x = -x;
    }
    if (c != e)
        return MGCLI_DEC_OTHER;
    if (w == 0) {
        *out = neg ? -0.0 : 0.0;
        return MGCLI_DEC_EXACT;
    }
    long k = x - scale;
    if (!MGCLI_DEC_FAST || sig > 15 || k < -22 || k > 22)
        return MGCLI_DEC_STRTOD;
    /* one correctly rounded operation on exact operands (see above) */
    double v = k >= 0 ? (double)w * pow10[k] : (double)w / pow10[-k];
    *out = neg ? -v : v;
    return MGCLI_DEC_EXACT;
}

#endif
