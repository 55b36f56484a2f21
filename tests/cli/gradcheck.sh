#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# matgrad gradcheck: every rule passes, on the default seed and another.
. "$(dirname "$0")/lib.sh"
for seed in 1 2024; do
    run "gradcheck_$seed" 0 "$MATGRAD" gradcheck --seed "$seed"
    expect_grep "gradcheck_$seed" "gradcheck_$seed.out" '^[0-9]+ checks, 0 failed'
    for rule in mse_grad grad_bilinear grad_a_exp_Xb grad_sandwich grad_inverse grad_logdet \
                grad_det dense_backward 'act_backward relu' fd_gradient; do
        expect_grep "gradcheck_$seed" "gradcheck_$seed.out" "^$rule .* pass$"
    done
done
finish
