/* A small deterministic random number generator (PCG32, O'Neill 2014) used
 * wherever ddistill draws randomness: weight initialisation, synthetic
 * scenes, augmentation, sampling. Same seed, same numbers, on any machine:
 * integer arithmetic only, and floats are built from integers exactly.
 * Header-only and libc-only, so every layer of the project can use it. */
#ifndef DD_NN_RNG_H
#define DD_NN_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct dd_rng {
  uint64_t state;
  uint64_t inc;
} dd_rng;

static inline uint32_t
dd_rng_u32 (dd_rng *r)
{
  uint64_t old = r->state;
  r->state = old * 6364136223846793005ULL + r->inc;
  uint32_t xorshifted = (uint32_t) (((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t) (old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

/* `stream` selects one of 2^63 independent sequences for the same seed, so
 * parts of a program (one per image, per worker) draw without interfering. */
static inline void
dd_rng_seed (dd_rng *r, uint64_t seed, uint64_t stream)
{
  r->state = 0;
  r->inc = (stream << 1u) | 1u;
  dd_rng_u32 (r);
  r->state += seed;
  dd_rng_u32 (r);
}

/* Uniform in [0, 1), 24 random bits: exactly representable as a float. */
static inline float
dd_rng_uniform (dd_rng *r)
{
  return (float) (dd_rng_u32 (r) >> 8) * (1.0f / 16777216.0f);
}

static inline float
dd_rng_range (dd_rng *r, float lo, float hi)
{
  return lo + (hi - lo) * dd_rng_uniform (r);
}

/* Uniform integer in [0, n), without modulo bias (Lemire's method). */
static inline uint32_t
dd_rng_below (dd_rng *r, uint32_t n)
{
  uint64_t m = (uint64_t) dd_rng_u32 (r) * n;
  uint32_t low = (uint32_t) m;
  if (low < n) {
    uint32_t threshold = (uint32_t) (-n) % n;
    while (low < threshold) {
      m = (uint64_t) dd_rng_u32 (r) * n;
      low = (uint32_t) m;
    }
  }
  return (uint32_t) (m >> 32);
}

/* Standard normal by Box-Muller. */
static inline float
dd_rng_normal (dd_rng *r)
{
  float u1 = dd_rng_uniform (r);
  float u2 = dd_rng_uniform (r);
  if (u1 < 1e-12f)
    u1 = 1e-12f;
  return sqrtf (-2.0f * logf (u1)) * cosf (6.28318530718f * u2);
}

#endif
