/* The measurements of `ddistill bench engine`: inference and training
 * throughput of a network on one backend, and the backend's peak on a
 * large convolution. Runs on the thread that owns the backend (the engine
 * worker). */
#ifndef DD_TOOLS_BENCH_ENGINE_H
#define DD_TOOLS_BENCH_ENGINE_H

#include <stddef.h>

#include "nn/backend.h"

typedef struct dd_bench_config {
  const char *preset;           /* a preset name or a network JSON path */
  int batch, size;              /* images per step, square side in pixels */
  int warmup;                   /* untimed steps first */
  int repeats;                  /* timed runs; the median is kept */
  int iters;                    /* steps per timed run */
  int peak_batch;               /* batch of the peak convolution */
} dd_bench_config;

typedef struct dd_bench_result {
  char network[64];
  size_t params;
  double flops_per_image;       /* one forward, a multiply-add counted as 2 */
  double infer_s, train_s;      /* seconds per step, the median run */
  double peak_gflops;           /* the fastest of `repeats` runs */
} dd_bench_result;

/* The peak convolution: 256 -> 256 channels, 3x3, padding 1, on 56x56. */
#define DD_BENCH_PEAK_CHANNELS 256
#define DD_BENCH_PEAK_SIZE 56

/* Inference: the inference graph (batch norm folded, ReLU fused), eval
 * mode, input in and every output read back. Training: train-mode forward,
 * the loss sum over outputs of mean(o^2) and its gradient, backward, and an
 * SGD step (momentum 0.9, weight decay 1e-4). Returns 0, or -1 with a
 * message in err. */
int dd_bench_engine (dd_backend *be, const dd_bench_config *cfg, dd_bench_result *out,
                     char *err, size_t err_len);

#endif
