#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sorts `perf report --no-children --sort symbol --stdio -q` lines (percent,
[.], symbol) into the stages of one mg_lstsq call and prints a markdown row
(scripts/profile_appsizes.sh).  A function belongs to the first stage whose
pattern matches its name; the rest is "other".  BLAS/LAPACK kernels used by
both the factorisation and the refinement (OpenBLAS's dgemv/daxpy of dlarf,
dtrsv) are split by their LAPACK caller only where the names allow."""
import re
import sys

# the driver's own set-up (its random data), not part of a call
SKIP = r"^(bc_random.*|clear_page.*|exc_page_fault|.*page_fault.*)$"

STAGES = [
    ("validation", r"^(mg__overlaps|mg_matrix_check|mg__check_all|check_args|mg__all_finite|"
                   r"mg__mul_overflows|mg__lsq_has_constant_column|small_fit|engine_kind|"
                   r"mg__fit_range_rows|rows4_.*|row_max|row_minmax|mg__fit_check_.*)$"),
    ("allocation", r"^(malloc|_int_malloc|_int_free|free|cfree.*|calloc|malloc_consolidate|"
                   r"mg__alloc_doubles|mg__batch_ws_alloc|mg__batch_ws_free|release|"
                   r"__libc_.*alloc.*|tcache.*|unlink_chunk.*|__memset.*)$"),
    ("scales and copy", r"^(mg__lsq_scales|mg__lsq_copy_design|column_max|scaled_design|__memmove.*|__memcpy.*|mg__copy|"
                        r"__scalbn|scalbn.*|ldexp|ilogb.*)$"),
    ("factorisation", r"^(householder_qr|reflector|exact_rcond|mg__batch_exact_rcond|tri_rcond|qr_householder|qr_blocked|"
                      r"mg__lsq_qr|dgeqr.*|dgeqrt.*|dlarf.*|dnrm2.*|dlapy2.*|dtrcon.*|dlatrs.*|"
                      r"dlacn2.*|idamax.*|dlamch.*|dlange.*|dlantr.*|ilaenv.*|iparmq.*|ieeeck.*|"
                      r"lsame.*|dger.*|dscal.*|dgemv_t.*|dgemv_n.*|dgemv_|daxpy.*|"
                      r"blas_memory.*|pthread_mutex.*|__GI___pthread_mutex.*|LAPACKE_.*|"
                      r"tile|cross|gram_block|mg__gram_packed.*|mg__gram_rows_block|tile_[od][0-9]+|rows_cross|mg__fit_gram_merge|dpotr.*|"
                      r"dpocon.*|dsyrk.*|dtrsm.*|dgemm.*|mg_fit_finish|mg__fit_finish.*)$"),
    # apply_reflector: 16 of a small fit's 22 reflector applications are its solves'
    ("refinement", r"^(solve_aug|apply_q|apply_reflector.*|batch_solve|tri_solve|mg__lsq_solve_aug|mg__lsq_refine|refine|"
                   r"residuals|xresid.*|mg__xresid.*|xgemv_t.*|mg__xgemv_t.*|mg__lsq_resid_update|"
                   r"mg__lsq_rel_change|mg__lsq_norm_change|mg__lsq_within_bound|contraction_bound|"
                   r"dorm2r.*|dormqr.*|dtrsv.*|cblas_dtrsv|ddot.*|dcopy.*|fmax.*|__fmax.*|"
                   r"refine_rows.*|mg_fit_refine_.*|mg__fit_refine.*|dd_merge)$"),
    ("statistics", r"^(mg__xsumsq|mg__xsum|mg__lsq_tss|mg__fit_summary|mg__fit_result_vectors|"
                   r"std_errors|statistics|mg__lsq_cov_diag|mg__lsq_cov_refine|refine_all|sqrtl?)$"),
]
NAMES = [n for n, _ in STAGES] + ["other"]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--header":
        print("| N x p | " + " | ".join(NAMES) + " |")
        print("|---" * (len(NAMES) + 1) + "|")
        return
    label = sys.argv[1] if len(sys.argv) > 1 else "-"
    share = dict.fromkeys(NAMES, 0.0)
    total = 0.0
    for line in sys.stdin:
        m = re.match(r"\s*([0-9.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if not m:
            continue
        pct, sym = float(m.group(1)), m.group(2)
        sym = sym.split("@")[0]
        if re.match(SKIP, sym):
            continue
        total += pct
        for name, pat in STAGES:
            if re.match(pat, sym):
                share[name] += pct
                break
        else:
            share["other"] += pct
    if total <= 0:
        sys.exit("profile_stages: no samples")
    print("| " + label + " | " + " | ".join("%.0f" % (100.0 * share[n] / total) for n in NAMES)
          + " |")


if __name__ == "__main__":
    main()
