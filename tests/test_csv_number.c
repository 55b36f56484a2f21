/* SPDX-License-Identifier: BSD-3-Clause */
/* The CSV loader's fast decimal conversion (src/cli/csv_number.h) against
 * strtod: wherever it answers MGCLI_DEC_EXACT its double must be bitwise
 * strtod's (the tolerance is zero: both are the correctly rounded value of
 * the text), and wherever the text has the decimal form it must not answer
 * MGCLI_DEC_OTHER (strtod reads all of such text). */
#include "mgtest.h"

#include "cli/csv_number.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Checks s: the fast path agrees with strtod; returns its answer. */
static enum mgcli_dec check(const char *s)
{
    double v = 12345.0;
    enum mgcli_dec got = mgcli_decimal(s, s + strlen(s), &v);
    char *end;
    double ref = strtod(s, &end);
    if (got == MGCLI_DEC_EXACT) {
        ck_assert_msg(*s != '\0' && *end == '\0', "'%s': fast path accepted what strtod stops in", s);
        ck_assert_msg(memcmp(&v, &ref, sizeof v) == 0, "'%s': fast %.17g, strtod %.17g", s, v, ref);
    } else if (got == MGCLI_DEC_STRTOD) {
        ck_assert_msg(*s != '\0' && *end == '\0', "'%s': not all of it is a number", s);
    }
    return got;
}

START_TEST(edge_cases_match_strtod)
{
    static const char *exact[] = {
        "0", "-0", "+0", "0.0", "-0.000", ".5", "-.5", "5.", "+5.", "1e0", "1E+2", "1e-2",
        "007", "0.1", "0.2", "0.3", "-0.0452058963", "34.2838122", "123456789012345",
        "999999999999999", "0.999999999999999", "9.99999999999999e22", "1e22", "1e-22",
        "123456789012345e-22", "123456789012345e7", "0.000000000000001", "4.35", "1.005",
        "2.675", "8.41e21", "5e-20", "0e999", "-0e-999", "0.0000000000000000000000000000",
        "0.1e1", "10e-1", "123456789012345e8", "-9007199254740.99",
    };
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        ck_assert_msg(check(exact[i]) == MGCLI_DEC_EXACT, "'%s' not on the fast path", exact[i]);
    /* decimal form, but beyond the fast path: strtod's job */
    static const char *slow[] = {
        "1234567890123456", "9007199254740993", "0.12345678901234567", "1e23", "1e-23",
        "1e308", "1e-400", "1e400", "1234567890123456e0", "1e100000000000000000000",
        "1.7976931348623157", "2.2250738585072014", "4503599627370497",
        "4.9406564584124654e-324", "2.4703282292062327e-324", "1.0000000000000001",
    };
    for (size_t i = 0; i < sizeof slow / sizeof *slow; i++)
        ck_assert_msg(check(slow[i]) == MGCLI_DEC_STRTOD, "'%s' should go to strtod", slow[i]);
    /* not of the decimal form (strtod may read some of them: inf, hex) */
    static const char *other[] = {
        "", "+", "-", ".", "-.", "e5", ".e5", "1e", "1e+", "1e-", "1.2.3", "1,5", "1 ", " 1",
        "0x10", "0x1p3", "inf", "-Infinity", "nan", "NaN", "1d5", "1f", "--1", "+-1", "1e5.5",
        "1e--5", "\"1\"", "1\r", "1\n",
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        ck_assert_msg(check(other[i]) == MGCLI_DEC_OTHER, "'%s' should be left alone", other[i]);
}
END_TEST

/* "[sign]digits[.digits][e[sign]digits]" with random lengths around the
 * fast path's limits (15 significant digits, |power| <= 22), leading and
 * trailing zeros, and random exponents. */
static void random_decimal(mgt_rng *r, char *buf, size_t cap)
{
    size_t n = 0;
    size_t ip = mgt_below(r, 19), fp = mgt_below(r, 19);
    if (ip + fp == 0)
        ip = 1;
    int zeros = mgt_below(r, 4) == 0;   /* leading zeros */
    if (mgt_below(r, 3) == 0)
        buf[n++] = mgt_below(r, 2) ? '-' : '+';
    for (size_t i = 0; i < ip; i++)
        buf[n++] = (char)('0' + (zeros && i < 3 ? 0 : (int)mgt_below(r, 10)));
    if (fp || mgt_below(r, 2)) {
        buf[n++] = '.';
        for (size_t i = 0; i < fp; i++)
            buf[n++] = (char)('0' + (int)mgt_below(r, 10));
    }
    if (mgt_below(r, 2)) {
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", mgt_below(r, 2) ? "e" : "E",
                              (int)mgt_below(r, 61) - 30);
    }
    buf[n] = '\0';
}

START_TEST(random_decimals_match_strtod)
{
    mgt_rng r = mgt_rng_seed(20261129);
    char buf[96];
    size_t fast = 0, total = 200000;
    for (size_t t = 0; t < total; t++) {
        random_decimal(&r, buf, sizeof buf);
        enum mgcli_dec got = check(buf);
        ck_assert_msg(got != MGCLI_DEC_OTHER, "'%s' is decimal", buf);
        fast += got == MGCLI_DEC_EXACT;
    }
    /* the generator puts about a quarter of its numbers on the fast path:
     * the bitwise checks above did run on many */
    ck_assert_uint_gt(fast, total / 10);
}
END_TEST

/* Doubles printed as a CSV writer would (%.Ng, N = 1..17): the texts the
 * command reads in practice, including halfway-looking cases. */
START_TEST(printed_doubles_match_strtod)
{
    mgt_rng r = mgt_rng_seed(7);
    char buf[64];
    for (int t = 0; t < 100000; t++) {
        double x = ldexp(mgt_uniform(&r), (int)mgt_below(&r, 120) - 60);
        snprintf(buf, sizeof buf, "%.*g", 1 + (int)mgt_below(&r, 17), x);
        ck_assert_msg(check(buf) != MGCLI_DEC_OTHER, "'%s' is decimal", buf);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv_number");
    TCase *tc = tcase_create("csv_number");
    tcase_add_test(tc, edge_cases_match_strtod);
    tcase_add_test(tc, random_decimals_match_strtod);
    tcase_add_test(tc, printed_doubles_match_strtod);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
