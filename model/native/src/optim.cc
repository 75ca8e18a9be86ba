#include "optim.h"

#include <cmath>

namespace mmada {

void adamwUpdate(const AdamWStep& s, float* p, const float* g, float* m, float* v, size_t n) {
  const float oneMinusB1 = s.oneMinusBeta1, oneMinusB2 = s.oneMinusBeta2;
  for (size_t i = 0; i < n; i++) {
    const float gi = s.gradScale == 1.0f ? g[i] : g[i] * s.gradScale;
    const float mi = m[i] * s.beta1 + gi * oneMinusB1;
    const float vi = v[i] * s.beta2 + gi * gi * oneMinusB2;
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / s.sqrtBc2 + s.eps;
    p[i] = p[i] * s.decayFactor - mi / denom * s.stepSize;
  }
}

double sumSquares(const float* x, size_t n) {
  double acc = 0.0;
#pragma omp simd reduction(+ : acc)
  for (size_t i = 0; i < n; i++) acc += double(x[i]) * double(x[i]);
  return acc;
}

}  // namespace mmada
