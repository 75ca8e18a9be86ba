// The tiny MMaDA transformer (model/transformer.ts) as plain float32 buffers: dimensions, the
// parameter layout (paramShapes order: the flat gradient buffer uses it too), and the activations
// a training forward keeps for its backward, per shard of the batch.
//
// A shard is a fixed group of whole sequences (attention never crosses a sequence), so a shard's
// forward and backward need nothing from other shards except the final sum of weight gradients.
// Shards are sized from (B, L) only, never from the thread count: the numbers are the same with
// 1 or N threads.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace mmada {

struct Dims {
  int V = 0;       // vocabulary (text ids + image codes)
  int D = 0;       // dModel
  int H = 0;       // heads
  int hd = 0;      // head size D / H
  int layers = 0;  // nLayers
  int F = 0;       // SwiGLU hidden width (mlpHidden)
  float ropeBase = 10000.0f;
  float normEps = 1e-5f;
};

/** Offsets of every parameter in a flat float buffer, in paramShapes order (transformer.ts). */
struct Layout {
  struct LayerOffsets {
    size_t attnNorm, wq, wk, wv, wo, mlpNorm, wGate, wUp, wDown;
  };
  size_t embed = 0;
  std::vector<LayerOffsets> layer;
  size_t finalNorm = 0, head = 0, total = 0;
  explicit Layout(const Dims& d);
  /** Number of parameter tensors: 1 + 9 per layer + 2. */
  int tensors() const { return 3 + 9 * static_cast<int>(layer.size()); }
};

/** Activations of one layer of one shard (M = rows * L tokens), as the backward reads them. */
struct LayerActs {
  float* x0;    // [M, D] residual stream entering the layer
  float* inv1;  // [M] 1 / rms(x0)
  float* h1;    // [M, D] RMSNorm(x0) * attn_norm
  float* q;     // [M, D] RoPE(h1 Wq) / sqrt(hd)
  float* k;     // [M, D] RoPE(h1 Wk)
  float* v;     // [M, D] h1 Wv
  float* p;     // [rows, H, L, L] attention probabilities
  float* att;   // [M, D] heads merged, before Wo
  float* x1;    // [M, D] x0 + att Wo
  float* inv2;  // [M]
  float* h2;    // [M, D] RMSNorm(x1) * mlp_norm
  float* gate;  // [M, F] h2 Wgate
  float* up;    // [M, F] h2 Wup
  float* act;   // [M, F] silu(gate) * up
};

/** One shard's activations, its backward scratch and its partial weight gradients. */
struct Shard {
  int row0 = 0, rows = 0, M = 0;
  std::vector<LayerActs> layer;
  float* xf = nullptr;    // [M, D] residual stream after the last layer
  float* invf = nullptr;  // [M]
  float* hf = nullptr;    // [M, D] final RMSNorm
  float* out = nullptr;   // [M, V] the training loss's logits, then its gradient rows w (softmax - onehot)
  // backward scratch
  float *dx = nullptr, *dh = nullptr, *datt = nullptr, *dq = nullptr, *dk = nullptr, *dv = nullptr;
  float *dgate = nullptr, *dup = nullptr, *ds = nullptr;
  float* grads = nullptr;  // [Layout.total] this shard's weight gradients (unused with one shard)
  // Training loss: only the tokens that carry loss (weight != 0) go through the final norm and the
  // head; headRows lists them (shard-local), and xf, invf, hf, out hold those rows, compacted.
  std::vector<int32_t> headRows;
};

/** Everything one forward keeps for its backward; owns one arena (reused across calls). */
struct Context {
  Dims dims;
  int B = 0, L = 0;
  std::vector<float> weights;  // [Layout.total] the parameters of this call (backward multiplies by them)
  std::vector<int32_t> tokens; // [B * L]
  std::vector<int32_t> task;   // [B] loss part of each row (training loss only)
  std::vector<float> cos, sin; // [L, hd] rotary tables
  std::vector<Shard> shards;
  std::shared_ptr<std::vector<float>> arena;
  bool lossMode = false;
  int parts = 0;               // number of loss parts (training loss only)
};

/** Rows per shard: about TARGET_SHARD_TOKENS tokens, whole sequences. */
int rowsPerShard(int B, int L);
/** Builds the shards of a [B, L] batch and carves their buffers out of an arena of the right size. */
void planShards(Context& ctx);
/** Arenas are reused: allocating ~30 MB per step would page-fault every time. */
std::shared_ptr<std::vector<float>> takeArena(size_t floats);
void returnArena(std::shared_ptr<std::vector<float>> arena);

}  // namespace mmada
