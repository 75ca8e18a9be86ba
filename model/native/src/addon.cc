// N-API surface of the kernels (model/native/index.ts wraps it):
//   forward(dims, weights, tokens, B, L, save)                  -> { logits: Float32Array [B*L*V], ctx }
//   lossForward(dims, weights, tokens, labels, posWeights, rowTask, nParts, B, L, save)
//                                                               -> { parts: Float64Array [nParts], ctx }
//   backward(ctx, dlogits | null, dParts | null)                -> Float32Array [all parameters, paramShapes order]
//   adamw(params, grads, m, v, decayed, hyper)                   in place on params, m, v
//   sumSquares(arrays)                                          -> number (double accumulation)
//   release(ctx), setThreads(n), threads(), blasCore()
// dims = [V, D, H, layers, F, ropeBase, normEps]; weights = one Float32Array per parameter tensor in
// paramShapes order. ctx (null unless save) holds what the backward needs; backward consumes it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "blas.h"
#include "forward.h"
#include "kernels.h"
#include "napi.h"
#include "pool.h"

namespace mmada {
namespace {

/** Elements summed per task when adding the shards' gradients (big enough to amortise a claim). */
constexpr size_t REDUCE_CHUNK = 1 << 16;

Dims readDims(napi_env env, napi_value v) {
  const double* x = typedOf<double>(env, v, napi_float64_array, 7, "dims");
  Dims d;
  d.V = int(x[0]), d.D = int(x[1]), d.H = int(x[2]), d.layers = int(x[3]), d.F = int(x[4]);
  d.ropeBase = float(x[5]), d.normEps = float(x[6]);
  if (d.V < 1 || d.D < 2 || d.H < 1 || d.D % d.H != 0 || (d.D / d.H) % 2 != 0 || d.layers < 1 || d.F < 1) {
    throw Failure{"mmada native: invalid dims (need D divisible by H into an even head size)"};
  }
  d.hd = d.D / d.H;
  return d;
}

/** Holds a Context between forward and backward; the JS side may drop it without a backward. */
// Not reported to V8 as external memory: that made V8 run a full GC every few steps (the arenas
// are tens of MB), and a context is freed as soon as its backward ran; only a forward recorded on
// a tape whose backward never reaches it waits for the garbage collector.
struct Handle {
  std::unique_ptr<Context> ctx;
};

void freeContext(napi_env, Handle* h) {
  if (!h->ctx) return;
  returnArena(std::move(h->ctx->arena));
  h->ctx.reset();
}

void finalizeHandle(napi_env env, void* data, void*) {
  Handle* h = static_cast<Handle*>(data);
  freeContext(env, h);
  delete h;
}

/** Reads the arguments common to both forwards and runs every shard's forward. */
std::unique_ptr<Context> prepare(napi_env env, const Args& a, size_t tokensArg, size_t bArg) {
  auto ctx = std::make_unique<Context>();
  Context& c = *ctx;
  c.dims = readDims(env, a[0]);
  c.B = int(number(env, a[bArg], "B"));
  c.L = int(number(env, a[bArg + 1], "L"));
  if (c.B < 1 || c.L < 1) throw Failure{"mmada native: B and L must be >= 1"};
  const Dims& d = c.dims;
  const Layout lay(d);
  // Parameters, in paramShapes order, into one contiguous buffer.
  uint32_t count;
  check(env, napi_get_array_length(env, a[1], &count), "weights must be an array");
  if (int(count) != lay.tensors()) {
    throw Failure{"mmada native: " + std::to_string(count) + " weight tensors, expected " + std::to_string(lay.tensors())};
  }
  c.weights.resize(lay.total);
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value w;
    check(env, napi_get_element(env, a[1], i, &w), "weights[i]");
    size_t n;
    const float* p = typed<float>(env, w, napi_float32_array, n, "a weight tensor");
    if (at + n > lay.total) throw Failure{"mmada native: weight tensors are larger than the config says"};
    std::memcpy(c.weights.data() + at, p, n * sizeof(float));
    at += n;
  }
  if (at != lay.total) throw Failure{"mmada native: weight tensors do not match the config's shapes"};
  const int32_t* tok = typedOf<int32_t>(env, a[tokensArg], napi_int32_array, size_t(c.B) * c.L, "tokens");
  for (size_t i = 0; i < size_t(c.B) * c.L; i++) {
    if (tok[i] < 0 || tok[i] >= d.V) throw Failure{"mmada native: token id " + std::to_string(tok[i]) + " outside the vocabulary"};
  }
  c.tokens.assign(tok, tok + size_t(c.B) * c.L);
  c.cos.resize(size_t(c.L) * d.hd);
  c.sin.resize(size_t(c.L) * d.hd);
  ropeTables(c.L, d.hd, d.ropeBase, c.cos.data(), c.sin.data());
  planShards(c);
  return ctx;
}

/** Returns { [key]: value, ctx } with ctx wrapping the context when save, else freeing it. */
napi_value result(napi_env env, const char* key, napi_value value, std::unique_ptr<Context> ctx, bool save) {
  napi_value out, handle;
  check(env, napi_create_object(env, &out), "object");
  check(env, napi_set_named_property(env, out, key, value), "object");
  if (save) {
    Handle* h = new Handle();
    h->ctx = std::move(ctx);
    check(env, napi_create_external(env, h, finalizeHandle, nullptr, &handle), "external");
  } else {
    returnArena(std::move(ctx->arena));
    check(env, napi_get_null(env, &handle), "null");
  }
  check(env, napi_set_named_property(env, out, "ctx", handle), "object");
  return out;
}

napi_value Forward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 6);
    auto ctx = prepare(env, a, 2, 3);
    const bool save = boolean(env, a[5]);
    Context& c = *ctx;
    float* logits;
    napi_value arr = newFloat32(env, size_t(c.B) * c.L * c.dims.V, &logits);
    pool().run(int(c.shards.size()), [&](int i) {
      Shard& s = c.shards[i];
      forwardShard(c, s, logits + size_t(s.row0) * c.L * c.dims.V);
    });
    return result(env, "logits", arr, std::move(ctx), save);
  });
}

napi_value LossForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 10);
    auto ctx = prepare(env, a, 2, 7);
    Context& c = *ctx;
    const size_t n = size_t(c.B) * c.L;
    const int32_t* labels = typedOf<int32_t>(env, a[3], napi_int32_array, n, "labels");
    const float* posW = typedOf<float>(env, a[4], napi_float32_array, n, "weights");
    const int32_t* task = typedOf<int32_t>(env, a[5], napi_int32_array, c.B, "rowTask");
    const int nParts = int(number(env, a[6], "nParts"));
    for (size_t i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= c.dims.V) throw Failure{"mmada native: label outside the vocabulary"};
    }
    for (int b = 0; b < c.B; b++) {
      if (task[b] < 0 || task[b] >= nParts) throw Failure{"mmada native: rowTask outside [0, nParts)"};
    }
    c.task.assign(task, task + c.B);
    c.lossMode = true;
    c.parts = nParts;
    const bool save = boolean(env, a[9]);
    std::vector<std::vector<double>> shardParts(c.shards.size(), std::vector<double>(nParts, 0.0));
    for (Shard& s : c.shards) {
      const float* w = posW + size_t(s.row0) * c.L;
      for (int m = 0; m < s.M; m++) if (w[m] != 0.0f) s.headRows.push_back(m);
    }
    pool().run(int(c.shards.size()), [&](int i) {
      Shard& s = c.shards[i];
      forwardShard(c, s, nullptr);
      const size_t off = size_t(s.row0) * c.L;
      weightedCrossEntropy(s.out, s.headRows.data(), int(s.headRows.size()), labels + off, posW + off, task + s.row0, c.L,
                           c.dims.V, shardParts[i].data());
    });
    double* parts;
    napi_value buf, arr;
    check(env, napi_create_arraybuffer(env, nParts * sizeof(double), reinterpret_cast<void**>(&parts), &buf), "allocating");
    check(env, napi_create_typedarray(env, napi_float64_array, nParts, buf, 0, &arr), "allocating");
    for (int k = 0; k < nParts; k++) {
      parts[k] = 0.0;
      for (const auto& sp : shardParts) parts[k] += sp[k];  // fixed order: thread count never matters
    }
    return result(env, "parts", arr, std::move(ctx), save);
  });
}

napi_value Backward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 3);
    Handle* h;
    if (napi_get_value_external(env, a[0], reinterpret_cast<void**>(&h)) != napi_ok || !h->ctx) {
      throw Failure{"mmada native: backward needs the ctx of a forward with save = true, used once"};
    }
    Context& c = *h->ctx;
    const Layout lay(c.dims);
    const int V = c.dims.V;
    const float* dlogits = nullptr;
    if (c.lossMode) {
      const float* dParts = typedOf<float>(env, a[2], napi_float32_array, size_t(c.parts), "dParts");
      // Each loss row holds w (softmax - onehot); the upstream gradient of its task scales it.
      for (Shard& s : c.shards) {
        for (size_t r = 0; r < s.headRows.size(); r++) {
          const float g = dParts[c.task[s.row0 + s.headRows[r] / c.L]];
          float* row = s.out + r * V;
          for (int j = 0; j < V; j++) row[j] *= g;
        }
      }
    } else {
      dlogits = typedOf<float>(env, a[1], napi_float32_array, size_t(c.B) * c.L * V, "dlogits");
    }
    float* grads;
    napi_value arr = newFloat32(env, lay.total, &grads);
    const bool single = c.shards.size() == 1;
    pool().run(int(c.shards.size()), [&](int i) {
      Shard& s = c.shards[i];
      const float* dl = c.lossMode ? s.out : dlogits + size_t(s.row0) * c.L * V;
      backwardShard(c, s, dl, single ? grads : s.grads);
    });
    if (!single) {
      const int chunks = int((lay.total + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
      pool().run(chunks, [&](int k) {
        const size_t from = size_t(k) * REDUCE_CHUNK, to = std::min(lay.total, from + REDUCE_CHUNK);
        std::memcpy(grads + from, c.shards[0].grads + from, (to - from) * sizeof(float));
        for (size_t s = 1; s < c.shards.size(); s++) {
          const float* g = c.shards[s].grads;
          for (size_t i = from; i < to; i++) grads[i] += g[i];
        }
      });
    }
    freeContext(env, h);
    return arr;
  });
}

napi_value Release(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 1);
    Handle* h;
    if (napi_get_value_external(env, a[0], reinterpret_cast<void**>(&h)) == napi_ok) freeContext(env, h);
    return nullptr;
  });
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 1);
    const double n = number(env, a[0], "threads");
    if (!(n >= 1 && n <= 256) || n != std::floor(n)) throw Failure{"mmada native: threads must be an integer in [1, 256]"};
    setThreads(int(n));
    return nullptr;
  });
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, pool().threads(), &v);
  return v;
}

napi_value BlasCore(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_string_utf8(env, scipy_openblas_get_corename(), NAPI_AUTO_LENGTH, &v);
  return v;
}

/** An exported function (writable, so a profiler can wrap it). */
napi_property_descriptor method(const char* name, napi_callback fn) {
  return {name, nullptr, fn, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_enumerable | napi_writable), nullptr};
}

napi_value Init(napi_env env, napi_value exports) {
  scipy_openblas_set_num_threads(1);
  const napi_property_descriptor props[] = {
      method("forward", Forward),       method("lossForward", LossForward), method("backward", Backward),
      method("adamw", AdamW),           method("sumSquares", SumSquares),   method("release", Release),
      method("setThreads", SetThreads), method("threads", Threads),         method("blasCore", BlasCore),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace
}  // namespace mmada

NAPI_MODULE(NODE_GYP_MODULE_NAME, mmada::Init)
