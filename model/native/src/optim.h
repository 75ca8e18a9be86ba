// AdamW over flat float32 buffers, in place, in model/optim.ts's formula and operation order
// (PyTorch's update: decoupled decay p *= 1 - lr wd, then the bias-corrected Adam step), with the
// global-norm clip's scale applied to the gradient first (model/clip.ts).
#pragma once
#include <cstddef>

namespace mmada {

// Every constant is rounded to float32 from its double value, as tfjs does with JS numbers
// (e.g. 1 - beta2 = 0.001 exactly rounded, not 1 - float(0.999), which is off by 1e-5 relative).
struct AdamWStep {
  float beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps;
  float decayFactor;  // 1 - lr * weightDecay for decayed tensors, else 1
  float stepSize;     // lr / (1 - beta1^t)
  float sqrtBc2;      // sqrt(1 - beta2^t)
  float gradScale;    // clip scale, 1 when not clipping
};

void adamwUpdate(const AdamWStep& s, float* p, const float* g, float* m, float* v, size_t n);
/** Sum of squares in double (the global gradient norm's radicand). */
double sumSquares(const float* x, size_t n);

}  // namespace mmada
