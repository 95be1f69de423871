/* Batch norm as PyTorch's nn.BatchNorm2d (affine, tracking running stats).
 *   x, y [N, C, H, W]; gamma = weight [C], beta = bias [C]
 *   y = (x - mean_c) * invstd_c * gamma_c + beta_c,  invstd = 1/sqrt(var + eps)
 * Training: mean and the biased variance of the batch (over N, H, W), saved
 * for backward; the running averages take the UNBIASED variance, as PyTorch
 * does. Eval: the running statistics. */
#include <math.h>

#include "nn/reference_ops.h"

static void
batch_stats (const dd_layer *l, const float *x, int c, double *mean, double *var)
{
  dd_shape s = l->out_shape;
  size_t plane = (size_t) s.h * s.w;
  double m = (double) s.n * plane, sum = 0.0, sq = 0.0;
  for (int n = 0; n < s.n; n++) {
    const float *p = x + dd_ref_at (s, n, c, 0, 0);
    for (size_t k = 0; k < plane; k++)
      sum += p[k];
  }
  *mean = sum / m;
  for (int n = 0; n < s.n; n++) {
    const float *p = x + dd_ref_at (s, n, c, 0, 0);
    for (size_t k = 0; k < plane; k++)
      sq += (p[k] - *mean) * (p[k] - *mean);
  }
  *var = sq / m;
}

static void
update_running (dd_layer *l, int c, double mean, double var)
{
  dd_shape s = l->out_shape;
  double m = (double) s.n * s.h * s.w;
  double momentum = l->bn.momentum;
  /* prepare() guarantees m >= 2 for a training layer. */
  double unbiased = var * m / (m - 1.0);
  l->running_mean[c] = (float) ((1.0 - momentum) * l->running_mean[c] + momentum * mean);
  l->running_var[c] = (float) ((1.0 - momentum) * l->running_var[c] + momentum * unbiased);
}

void
dd_ref_batchnorm_forward (dd_layer *l, int training)
{
  dd_shape s = l->out_shape;
  const float *x = l->inputs[0]->y;
  size_t plane = (size_t) s.h * s.w;
  for (int c = 0; c < s.c; c++) {
    double mean, var;
    if (training) {
      batch_stats (l, x, c, &mean, &var);
      update_running (l, c, mean, var);
    } else {
      mean = l->running_mean[c];
      var = l->running_var[c];
    }
    double invstd = 1.0 / sqrt (var + l->bn.eps);
    if (training) {
      l->save_mean[c] = (float) mean;
      l->save_invstd[c] = (float) invstd;
    }
    for (int n = 0; n < s.n; n++) {
      size_t at = dd_ref_at (s, n, c, 0, 0);
      for (size_t k = 0; k < plane; k++)
        l->y[at + k] = (float) ((x[at + k] - mean) * invstd * l->weight[c] + l->bias[c]);
    }
  }
}

/* The full backward through the batch statistics, with xhat = (x - mean) *
 * invstd and M = N*H*W values per channel:
 *   dbeta = sum dy,  dgamma = sum dy * xhat,
 *   dx = gamma * invstd / M * (M * dy - dbeta - xhat * dgamma). */
void
dd_ref_batchnorm_backward (dd_layer *l)
{
  dd_shape s = l->out_shape;
  const float *x = l->inputs[0]->y;
  float *dx = l->inputs[0]->dy;
  size_t plane = (size_t) s.h * s.w;
  double m = (double) s.n * plane;
  for (int c = 0; c < s.c; c++) {
    double mean = l->save_mean[c], invstd = l->save_invstd[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int n = 0; n < s.n; n++) {
      size_t at = dd_ref_at (s, n, c, 0, 0);
      for (size_t k = 0; k < plane; k++) {
        sum_dy += l->dy[at + k];
        sum_dy_xhat += l->dy[at + k] * (x[at + k] - mean) * invstd;
      }
    }
    l->dbias[c] += (float) sum_dy;
    l->dweight[c] += (float) sum_dy_xhat;
    if (!dx)
      continue;
    double scale = l->weight[c] * invstd / m;
    for (int n = 0; n < s.n; n++) {
      size_t at = dd_ref_at (s, n, c, 0, 0);
      for (size_t k = 0; k < plane; k++) {
        double xhat = (x[at + k] - mean) * invstd;
        dx[at + k] += (float) (scale * (m * l->dy[at + k] - sum_dy - xhat * sum_dy_xhat));
      }
    }
  }
}
