#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Exact least-squares statistics of the R lm() reference cases.

For each tests/data/r/lm/<case>_ref.txt, reads <case>_design.csv (the
doubles R fitted, %.17g: each value converts to the same double, taken here
as an exact binary fraction), fits the same model in 80-digit arithmetic
(mpmath) and writes <case>_exact.txt: coefficients, standard errors, sigma
and R^2 to 40 significant digits (records coef_exact NAME EST SE,
sigma_exact, r_squared_exact, read by tests/ref/rlm_ref.c), and in comments the relative error of
R's values against them.  It tells where R itself is inaccurate (longley),
so a test can hold matgrad to the exact answer where R's is off.

Run from the repository root (needs python3-mpmath):
    python3 scripts/ref_lm_exact.py
Deterministic; prints one summary line per case.

Model: the intercept and the aliased columns are those the case's
_ref.txt records (`intercept`, `aliased`): aliased columns are dropped,
as R does.  Weights: rows scaled by sqrt(w); zero-weight rows left out.
Normal equations solved by LU at 80 digits: the designs' condition
numbers squared stay below 1e25, so well over 40 digits survive.
R^2 as summary.lm defines it: mss / (mss + rss) with mss about the
weighted mean of the fitted values (intercept) or about zero (none).
"""
import csv
import glob
import os
import sys

import mpmath
from mpmath import mp, mpf

mp.dps = 80
OUT_DIGITS = 40
DIR = "tests/data/r/lm"


def read_ref(path):
    ic, names, aliased, rvals = None, [], {}, {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            t = line.split()
            if t[0] == "intercept":
                ic = int(t[1])
            elif t[0] == "coef":
                names.append(t[1])
                rvals[("coef", t[1])] = t[2]
                rvals[("se", t[1])] = t[3]
            elif t[0] == "aliased":
                aliased[t[1]] = t[2] == "1"
            elif t[0] in ("sigma", "r_squared"):
                rvals[(t[0], "")] = t[1]
    return ic, names, aliased, rvals


def read_design(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    cols = [[mpf(float(r[j])) for r in rows[1:]] for j in range(len(head))]
    return head, cols


def fmt(x):
    if x is None:
        return "NA"
    if mpmath.isnan(x):
        return "NaN"
    return mpmath.nstr(x, OUT_DIGITS, min_fixed=-mpmath.inf, max_fixed=mpmath.inf) if x != 0 else "0"


def relerr(r_text, exact):
    r = float(r_text)
    if exact is None or mpmath.isnan(exact):
        return None
    if exact == 0:
        return None  # no relative error; the file shows R's value against 0
    return abs((mpf(r) - exact) / exact)


def solve_case(case):
    ic, names, aliased, rvals = read_ref(os.path.join(DIR, case + "_ref.txt"))
    head, cols = read_design(os.path.join(DIR, case + "_design.csv"))
    weighted = head[-1] == "w"
    ycol = len(head) - 1 - weighted
    n = len(cols[0])
    w = cols[-1] if weighted else [mpf(1)] * n
    xcols = ([[mpf(1)] * n] if ic else []) + cols[:ycol]
    assert len(xcols) == len(names), case
    keep = [k for k, nm in enumerate(names) if not aliased[nm]]
    rows = [i for i in range(n) if w[i] != 0]
    sw = {i: mpmath.sqrt(w[i]) for i in rows}
    X = mpmath.matrix(len(rows), len(keep))
    y = mpmath.matrix(len(rows), 1)
    for a, i in enumerate(rows):
        for b, k in enumerate(keep):
            X[a, b] = sw[i] * xcols[k][i]
        y[a] = sw[i] * cols[ycol][i]
    G = X.T * X
    Ginv = mpmath.inverse(G)
    beta = Ginv * (X.T * y)
    # the 80-digit solve leaves ~1e-70 relative noise where the exact value
    # is 0 (constant_target's slope, a perfect fit's residuals): set to 0
    tiny = mpf(10) ** (20 - mp.dps)
    scale = max(abs(beta[b]) for b in range(len(keep)))
    beta = beta.apply(lambda v: v if abs(v) > tiny * scale else mpf(0))
    fitted = X * beta  # sqrt(w) f
    res = y - fitted
    rss = sum(res[a] ** 2 for a in range(len(rows)))
    if rss <= tiny * sum(y[a] ** 2 for a in range(len(rows))):
        rss = mpf(0)
    df = len(rows) - len(keep)
    sigma2 = rss / df
    if ic:
        sumw = sum(w[i] for i in rows)
        f = [fitted[a] / sw[i] for a, i in enumerate(rows)]
        m = sum(w[i] * f[a] for a, i in enumerate(rows)) / sumw
        mss = sum(w[i] * (f[a] - m) ** 2 for a, i in enumerate(rows))
    else:
        mss = sum(fitted[a] ** 2 for a in range(len(rows)))
    r2 = mss / (mss + rss) if mss + rss != 0 else mpf("nan")
    est, se = {}, {}
    for b, k in enumerate(keep):
        est[names[k]] = beta[b]
        se[names[k]] = mpmath.sqrt(sigma2 * Ginv[b, b])
    return ic, names, aliased, rvals, est, se, mpmath.sqrt(sigma2), r2


def write_case(case):
    ic, names, aliased, rvals, est, se, sigma, r2 = solve_case(case)
    lines = [
        "# exact least squares of %s_design.csv (scripts/ref_lm_exact.py, mpmath %s, %d digits)"
        % (case, mpmath.__version__, mp.dps),
        "# records: coef_exact NAME ESTIMATE SE, sigma_exact S, r_squared_exact R2 (%d significant digits)" % OUT_DIGITS,
        "# relerr lines: |R - exact| / |exact| of the value in %s_ref.txt" % case,
    ]
    worst = {}
    body = []
    for nm in names:
        if aliased[nm]:
            body.append("coef_exact %s NA NA" % nm)
            continue
        body.append("coef_exact %s %s %s" % (nm, fmt(est[nm]), fmt(se[nm])))
        for kind, val in (("coef", est[nm]), ("se", se[nm])):
            e = relerr(rvals[(kind, nm)], val)
            if e is not None and (kind not in worst or e > worst[kind][0]):
                worst[kind] = (e, nm)
    body.append("sigma_exact %s" % fmt(sigma))
    body.append("r_squared_exact %s" % fmt(r2))
    for kind, val in (("sigma", sigma), ("r_squared", r2)):
        e = relerr(rvals[(kind, "")], val)
        if e is not None:
            worst[kind] = (e, "")
    summary = []
    for kind in ("coef", "se", "sigma", "r_squared"):
        if kind in worst:
            e, nm = worst[kind]
            summary.append("%s %s%s" % (kind, mpmath.nstr(e, 3), (" (" + nm + ")") if nm else ""))
            lines.append("# relerr %s max %s%s" % (kind, mpmath.nstr(e, 3), (" " + nm) if nm else ""))
        else:
            lines.append("# relerr %s undefined (exact values 0 or NaN)" % kind)
    with open(os.path.join(DIR, case + "_exact.txt"), "w") as f:
        f.write("\n".join(lines + body) + "\n")
    print("%-22s R's largest relative errors: %s" % (case, ", ".join(summary) or "-"))


def main():
    cases = sorted(os.path.basename(p)[: -len("_ref.txt")] for p in glob.glob(os.path.join(DIR, "*_ref.txt")))
    if not cases:
        sys.exit("no %s/*_ref.txt: run from the repository root" % DIR)
    for case in cases:
        write_case(case)


if __name__ == "__main__":
    main()
