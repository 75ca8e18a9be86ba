// The optimizer's entry points: AdamW over all parameters in one call, the global norm's radicand.
#include <algorithm>
#include <cmath>

#include "napi.h"
#include "optim.h"

namespace mmada {
namespace {
/** Elements per AdamW task. */
constexpr size_t ADAMW_CHUNK = 1 << 16;
}  // namespace

napi_value AdamW(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 6);
    auto p = float32List(env, a[0], "params"), g = float32List(env, a[1], "grads");
    auto m = float32List(env, a[2], "m"), v = float32List(env, a[3], "v");
    const uint8_t* decayed = typedOf<uint8_t>(env, a[4], napi_uint8_array, p.size(), "decayed");
    const double* h = typedOf<double>(env, a[5], napi_float64_array, 8, "hyper");
    // hyper = [lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2, gradScale]
    for (size_t i = 0; i < p.size(); i++) {
      if (g.size() != p.size() || m.size() != p.size() || v.size() != p.size() || g[i].second != p[i].second ||
          m[i].second != p[i].second || v[i].second != p[i].second) {
        throw Failure{"mmada native: adamw needs params, grads, m and v of the same shapes"};
      }
    }
    // Elementwise, so any split gives the same bits: slices of ADAMW_CHUNK elements over the pool.
    struct Slice {
      size_t tensor, from, to;
    };
    std::vector<Slice> slices;
    for (size_t i = 0; i < p.size(); i++) {
      for (size_t from = 0; from < p[i].second; from += ADAMW_CHUNK) slices.push_back({i, from, std::min(p[i].second, from + ADAMW_CHUNK)});
    }
    pool().run(int(slices.size()), [&](int k) {
      const Slice& sl = slices[k];
      const size_t i = sl.tensor;
      AdamWStep s;
      s.beta1 = float(h[1]), s.beta2 = float(h[2]), s.eps = float(h[3]);
      s.oneMinusBeta1 = float(1.0 - h[1]), s.oneMinusBeta2 = float(1.0 - h[2]);
      s.decayFactor = decayed[i] ? float(1.0 - h[0] * h[4]) : 1.0f;
      s.stepSize = float(h[0] / h[5]);
      s.sqrtBc2 = float(std::sqrt(h[6]));
      s.gradScale = float(h[7]);
      adamwUpdate(s, p[i].first + sl.from, g[i].first + sl.from, m[i].first + sl.from, v[i].first + sl.from, sl.to - sl.from);
    });
    return nullptr;
  });
}

napi_value SumSquares(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 1);
    double total = 0.0;
    for (auto& [data, n] : float32List(env, a[0], "arrays")) total += sumSquares(data, n);
    napi_value out;
    check(env, napi_create_double(env, total, &out), "number");
    return out;
  });
}

}  // namespace mmada
