// The transformer of model/transformer.ts on one shard: per layer
//   h = RMSNorm(x);  x += Wo Attn(RoPE(Wq h), RoPE(Wk h), Wv h)     (bidirectional: no mask)
//   h = RMSNorm(x);  x += Wdown (silu(Wgate h) * Wup h)
// then logits = RMSNorm(x) Whead. Dense layers are [M, in] x [in, out] GEMMs over the shard's
// M tokens; attention is two small GEMMs per (sequence, head) on strided views, no transposes.
#include "forward.h"

#include <cmath>
#include <cstring>

#include "blas.h"
#include "kernels.h"

namespace mmada {

void forwardShard(const Context& ctx, Shard& s, float* logits) {
  const Dims& d = ctx.dims;
  const Layout lay(d);
  const float* W = ctx.weights.data();
  const int M = s.M, D = d.D, F = d.F, L = ctx.L, hd = d.hd;
  const float scale = float(1.0 / std::sqrt(double(hd)));  // as transformer.ts rounds 1 / Math.sqrt(hd)
  const int32_t* tok = ctx.tokens.data() + size_t(s.row0) * L;

  float* x = s.layer.empty() ? s.xf : s.layer[0].x0;
  for (int m = 0; m < M; m++) std::memcpy(x + size_t(m) * D, W + lay.embed + size_t(tok[m]) * D, D * sizeof(float));

  for (int i = 0; i < d.layers; i++) {
    const Layout::LayerOffsets& o = lay.layer[i];
    LayerActs& a = s.layer[i];
    rmsNormForward(a.x0, W + o.attnNorm, M, D, d.normEps, a.inv1, a.h1);
    gemm(false, false, M, D, D, a.h1, D, W + o.wq, D, 0.0f, a.q, D);  // [M, D]
    gemm(false, false, M, D, D, a.h1, D, W + o.wk, D, 0.0f, a.k, D);
    gemm(false, false, M, D, D, a.h1, D, W + o.wv, D, 0.0f, a.v, D);
    ropeForward(a.q, M, L, d.H, hd, ctx.cos.data(), ctx.sin.data(), scale);
    ropeForward(a.k, M, L, d.H, hd, ctx.cos.data(), ctx.sin.data(), 1.0f);
    for (int r = 0; r < s.rows; r++) {
      for (int h = 0; h < d.H; h++) {
        const size_t at = size_t(r) * L * D + size_t(h) * hd;  // (sequence r, head h) view, row stride D
        float* p = a.p + (size_t(r) * d.H + h) * L * L;        // [L, L]
        gemm(false, true, L, L, hd, a.q + at, D, a.k + at, D, 0.0f, p, L);  // q k^T (q already / sqrt(hd))
        softmaxRows(p, L, L);
        gemm(false, false, L, hd, L, p, L, a.v + at, D, 0.0f, a.att + at, D);  // P v
      }
    }
    std::memcpy(a.x1, a.x0, size_t(M) * D * sizeof(float));
    gemm(false, false, M, D, D, a.att, D, W + o.wo, D, 1.0f, a.x1, D);  // x1 = x0 + att Wo
    rmsNormForward(a.x1, W + o.mlpNorm, M, D, d.normEps, a.inv2, a.h2);
    gemm(false, false, M, F, D, a.h2, D, W + o.wGate, F, 0.0f, a.gate, F);  // [M, F]
    gemm(false, false, M, F, D, a.h2, D, W + o.wUp, F, 0.0f, a.up, F);
    swigluForward(a.gate, a.up, M * F, a.act);
    float* next = i + 1 < d.layers ? s.layer[i + 1].x0 : s.xf;
    std::memcpy(next, a.x1, size_t(M) * D * sizeof(float));
    gemm(false, false, M, D, F, a.act, F, W + o.wDown, D, 1.0f, next, D);  // x1 + act Wdown
  }
  // The head: every row for logits; for the training loss only the rows that carry loss (the
  // others' logits would be multiplied by a zero weight), gathered to the front of xf.
  int rows = M;
  if (ctx.lossMode) {
    rows = int(s.headRows.size());
    for (int r = 0; r < rows; r++) std::memmove(s.xf + size_t(r) * D, s.xf + size_t(s.headRows[r]) * D, D * sizeof(float));
  }
  rmsNormForward(s.xf, W + lay.finalNorm, rows, D, d.normEps, s.invf, s.hf);
  if (rows > 0) gemm(false, false, rows, d.V, D, s.hf, D, W + lay.head, d.V, 0.0f, ctx.lossMode ? s.out : logits, d.V);  // [rows, V]
}

void backwardShard(const Context& ctx, Shard& s, const float* dlogits, float* G) {
  const Dims& d = ctx.dims;
  const Layout lay(d);
  const float* W = ctx.weights.data();
  const int M = s.M, D = d.D, F = d.F, L = ctx.L, hd = d.hd;
  const float scale = float(1.0 / std::sqrt(double(hd)));  // as transformer.ts rounds 1 / Math.sqrt(hd)
  const size_t MD = size_t(M) * D;
  // Norm gains and the embedding accumulate; every matrix gradient is written by one GEMM (beta 0).
  std::memset(G + lay.embed, 0, size_t(d.V) * D * sizeof(float));
  std::memset(G + lay.finalNorm, 0, D * sizeof(float));
  for (const auto& o : lay.layer) {
    std::memset(G + o.attnNorm, 0, D * sizeof(float));
    std::memset(G + o.mlpNorm, 0, D * sizeof(float));
  }

  // logits = hf Whead over the head's rows (all, or the compacted loss rows)
  const int rows = ctx.lossMode ? int(s.headRows.size()) : M;
  std::memset(s.dx, 0, MD * sizeof(float));
  if (rows == 0) {
    std::memset(G + lay.head, 0, size_t(D) * d.V * sizeof(float));
  } else {
    gemm(true, false, D, d.V, rows, s.hf, D, dlogits, d.V, 0.0f, G + lay.head, d.V);  // dWhead = hf^T dlogits
    gemm(false, true, rows, D, d.V, dlogits, d.V, W + lay.head, d.V, 0.0f, s.dh, D);   // dhf = dlogits Whead^T
  }
  for (int r = 0; r < rows; r++) {  // back to each row's own place in dx (the other rows get 0)
    const size_t to = ctx.lossMode ? size_t(s.headRows[r]) : size_t(r);
    rmsNormBackward(s.dh + size_t(r) * D, s.xf + size_t(r) * D, s.invf + r, W + lay.finalNorm, 1, D, s.dx + to * D,
                    G + lay.finalNorm);
  }

  for (int i = d.layers - 1; i >= 0; i--) {
    const Layout::LayerOffsets& o = lay.layer[i];
    const LayerActs& a = s.layer[i];
    // x_out = x1 + act Wdown: dx flows to x1 unchanged, and into the MLP.
    gemm(true, false, F, D, M, a.act, F, s.dx, D, 0.0f, G + o.wDown, D);  // dWdown = act^T dx
    gemm(false, true, M, F, D, s.dx, D, W + o.wDown, D, 0.0f, s.dgate, F);  // dact (held in dgate)
    swigluBackward(a.gate, a.up, s.dgate, M * F, s.dgate, s.dup);
    gemm(true, false, D, F, M, a.h2, D, s.dgate, F, 0.0f, G + o.wGate, F);
    gemm(true, false, D, F, M, a.h2, D, s.dup, F, 0.0f, G + o.wUp, F);
    gemm(false, true, M, D, F, s.dgate, F, W + o.wGate, F, 0.0f, s.dh, D);  // dh2
    gemm(false, true, M, D, F, s.dup, F, W + o.wUp, F, 1.0f, s.dh, D);
    rmsNormBackward(s.dh, a.x1, a.inv2, W + o.mlpNorm, M, D, s.dx, G + o.mlpNorm);

    // x1 = x0 + att Wo
    gemm(true, false, D, D, M, a.att, D, s.dx, D, 0.0f, G + o.wo, D);       // dWo = att^T dx
    gemm(false, true, M, D, D, s.dx, D, W + o.wo, D, 0.0f, s.datt, D);      // datt
    for (int r = 0; r < s.rows; r++) {
      for (int h = 0; h < d.H; h++) {
        const size_t at = size_t(r) * L * D + size_t(h) * hd;
        const float* p = a.p + (size_t(r) * d.H + h) * L * L;
        gemm(true, false, L, hd, L, p, L, s.datt + at, D, 0.0f, s.dv + at, D);     // dv = P^T dO
        gemm(false, true, L, L, hd, s.datt + at, D, a.v + at, D, 0.0f, s.ds, L);   // dP = dO v^T
        softmaxBackwardRows(p, s.ds, L, L);                                         // dS
        gemm(false, false, L, hd, L, s.ds, L, a.k + at, D, 0.0f, s.dq + at, D);    // dq = dS k
        gemm(true, false, L, hd, L, s.ds, L, a.q + at, D, 0.0f, s.dk + at, D);     // dk = dS^T q
      }
    }
    ropeBackward(s.dq, M, L, d.H, hd, ctx.cos.data(), ctx.sin.data(), scale);
    ropeBackward(s.dk, M, L, d.H, hd, ctx.cos.data(), ctx.sin.data(), 1.0f);
    gemm(true, false, D, D, M, a.h1, D, s.dq, D, 0.0f, G + o.wq, D);
    gemm(true, false, D, D, M, a.h1, D, s.dk, D, 0.0f, G + o.wk, D);
    gemm(true, false, D, D, M, a.h1, D, s.dv, D, 0.0f, G + o.wv, D);
    gemm(false, true, M, D, D, s.dq, D, W + o.wq, D, 0.0f, s.dh, D);  // dh1
    gemm(false, true, M, D, D, s.dk, D, W + o.wk, D, 1.0f, s.dh, D);
    gemm(false, true, M, D, D, s.dv, D, W + o.wv, D, 1.0f, s.dh, D);
    rmsNormBackward(s.dh, a.x0, a.inv1, W + o.attnNorm, M, D, s.dx, G + o.attnNorm);
  }

  // x = E[token]: scatter-add into the embedding rows.
  const int32_t* tok = ctx.tokens.data() + size_t(s.row0) * L;
  for (int m = 0; m < M; m++) {
    float* row = G + lay.embed + size_t(tok[m]) * D;
    const float* g = s.dx + size_t(m) * D;
    for (int j = 0; j < D; j++) row[j] += g[j];
  }
}

}  // namespace mmada
