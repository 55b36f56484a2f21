/* Gradient descent on the MSE loss (seed 001, trained with the analytic
 * gradient of seed 000 instead of finite differences). */
#include "matgrad/linreg.h"
#include "internal.h"
#include "linreg_internal.h"
#include "kernels/mse_pass.h"

#include <math.h>
#include <stdlib.h>

mg_gd_options mg_gd_defaults(void)
{
    mg_gd_options o = { 0.01, 1000, 0.0, NULL, NULL, MG_GD_AUTO };
    return o;
}

static mg_status check_options(const mg_gd_options *o)
{
    if (!(o->learning_rate > 0.0) || !isfinite(o->learning_rate))
        return MG_EINVAL;
    if (!(o->tolerance >= 0.0) || !isfinite(o->tolerance))
        return MG_EINVAL;
    if (o->strategy != MG_GD_AUTO && o->strategy != MG_GD_DIRECT && o->strategy != MG_GD_GRAM)
        return MG_EINVAL;
    return MG_OK;
}

/* Runs the descent on the working copy w (j x k, contiguous); *steps gets
 * the number of steps taken. */
static mg_status descend(const mg_matrix *A, const mg_matrix *Y, double *w, size_t k,
                         const mg_gd_options *o, double *G, double *scratch, size_t *steps)
{
    const size_t jk = A->cols * k;
    mg_matrix Wv = mg_matrix_view(w, A->cols, k);

    for (size_t e = 0;; e++) {
        double loss;
        /* loss(W_e) and G = dloss/dW at W_e, from one pass over A */
        mg_status s = mg__mse_eval(A, &Wv, Y, e < o->epochs ? G : NULL, &loss, scratch);
        if (s != MG_OK)
            return (e == 0) ? s : MG_ENOCONV; /* finite start, then non-finite: diverged */
        if (o->on_epoch)
            o->on_epoch(e, loss, o->ctx);
        if (e == o->epochs || loss <= o->tolerance) {
            *steps = e;
            return MG_OK;
        }
        /* W_{e+1} = W_e - lr * G */
        for (size_t i = 0; i < jk; i++)
            w[i] -= o->learning_rate * G[i];
    }
}

mg_status mg_gd_fit(const mg_matrix *A, const mg_matrix *Y, mg_matrix *W,
                    const mg_gd_options *opt, size_t *epochs_run)
{
    const mg_gd_options o = opt ? *opt : mg_gd_defaults();
    MG__CHECK(mg__check_model(A, W, Y));
    MG__CHECK(check_options(&o));
    if (mg__overlaps(W, A) || mg__overlaps(W, Y))
        return MG_EINVAL;
    if (!mg__all_finite(W->data, W->rows, W->cols, W->stride))
        return MG_ENONFINITE;

    const size_t j = A->cols, k = W->cols;
    double *w = mg__alloc_doubles(j, k);
    double *G = mg__alloc_doubles(j, k);
    double *scratch = mg__alloc_doubles(mg__mse_scratch_len(A->rows, j, k), 1);
    mg_status s = MG_ENOMEM;
    size_t steps = 0;
    if (w && G && scratch) {
        mg__copy(w, k, W->data, W->stride, j, k);
        s = descend(A, Y, w, k, &o, G, scratch, &steps);
    }
    if (s == MG_OK) {
        mg__copy(W->data, W->stride, w, k, j, k);
        if (epochs_run)
            *epochs_run = steps;
    }
    free(w);
    free(G);
    free(scratch);
    return s;
}
