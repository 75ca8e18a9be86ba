// Row-wise kernels of the transformer (everything that is not a GEMM), forward and backward, in
// the same formulas and operation order as model/transformer.ts so results agree to float32
// rounding. Matrices are row-major; M is a number of tokens.
#pragma once
#include <cstdint>

namespace mmada {

/** y = x / sqrt(mean(x^2) + eps) * g, keeping inv = 1 / sqrt(mean(x^2) + eps) per row. x, y [M, D]. */
void rmsNormForward(const float* x, const float* g, int M, int D, float eps, float* inv, float* y);
/** dx += RMSNorm'(x)^T dy, dg += sum over rows of dy * x * inv. */
void rmsNormBackward(const float* dy, const float* x, const float* inv, const float* g, int M, int D, float* dx,
                     float* dg);

/** Rotary tables in the rotate-half convention: angle(pos, j) = pos * base^(-2j/hd), both halves. */
void ropeTables(int L, int hd, float base, float* cos, float* sin);
/** In place on x [rows * L, H * hd]: x = (x cos + rotate_half(x) sin) * scale, rotate_half(x) = [-x2, x1]. */
void ropeForward(float* x, int M, int L, int H, int hd, const float* cos, const float* sin, float scale);
/** In place on dy: the adjoint of ropeForward, dy * scale * cos + rotate_half^T(dy * scale * sin). */
void ropeBackward(float* dy, int M, int L, int H, int hd, const float* cos, const float* sin, float scale);

/** Numerically stable softmax of each row of s [rows, cols], in place. */
void softmaxRows(float* s, int rows, int cols);
/** Softmax backward in place: ds = p * (dp - rowsum(dp * p)) for p, dp [rows, cols]. */
void softmaxBackwardRows(const float* p, float* dp, int rows, int cols);

/** act = silu(gate) * up, elementwise over n values. */
void swigluForward(const float* gate, const float* up, int n, float* act);
/** dgate, dup from dact: d(silu(g) u) = u silu'(g) dg + silu(g) du. */
void swigluBackward(const float* gate, const float* up, const float* dact, int n, float* dgate, float* dup);

/**
 * Weighted cross-entropy over logits rows z [count, V] in place: row r is token m = rows[r] (whose
 * weight w is not 0); it adds w * (logsumexp(z) - z[label]) to parts[task of m's sequence] and
 * becomes w * (softmax(z) - onehot). rowTask [M / L] gives each sequence's loss part.
 */
void weightedCrossEntropy(float* z, const int32_t* rows, int count, const int32_t* labels, const float* weights,
                          const int32_t* rowTask, int L, int V, double* parts);

}  // namespace mmada
