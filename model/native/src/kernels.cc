#include "kernels.h"

#include <cmath>
#include <cstring>

namespace mmada {

// exp(x) in a form the compiler vectorises (libm's expf is a call per element, ~a third of the
// non-GEMM time): x = n ln2 + r, |r| <= ln2/2, exp(r) by Cephes' degree-6 polynomial (about
// 1 ulp, like expf), times 2^n built in the exponent bits. Inputs are clamped to [-87, 88] so
// 2^n stays a normal float; below -87 the true value (< 1.7e-38) is negligible next to the
// softmax and sigmoid terms it meets.
constexpr float EXP_MIN = -87.0f, EXP_MAX = 88.0f;
constexpr float LOG2E = 1.44269504088896341f;
constexpr float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
constexpr float ROUND_MAGIC = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer

static inline float expApprox(float x) {
  x = x < EXP_MIN ? EXP_MIN : (x > EXP_MAX ? EXP_MAX : x);
  const float n = (x * LOG2E + ROUND_MAGIC) - ROUND_MAGIC;
  const float r = (x - n * LN2_HI) - n * LN2_LO;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * (r * r) + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

void rmsNormForward(const float* x, const float* g, int M, int D, float eps, float* inv, float* y) {
  for (int m = 0; m < M; m++) {
    const float* xr = x + size_t(m) * D;
    float* yr = y + size_t(m) * D;
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int j = 0; j < D; j++) ss += xr[j] * xr[j];
    const float r = 1.0f / std::sqrt(ss / D + eps);
    inv[m] = r;
    for (int j = 0; j < D; j++) yr[j] = xr[j] * r * g[j];
  }
}

void rmsNormBackward(const float* dy, const float* x, const float* inv, const float* g, int M, int D, float* dx,
                     float* dg) {
  for (int m = 0; m < M; m++) {
    const float* dyr = dy + size_t(m) * D;
    const float* xr = x + size_t(m) * D;
    float* dxr = dx + size_t(m) * D;
    const float r = inv[m];
    // With u = dy * g:  dx = r u - x r^3 (u . x) / D.
    float ux = 0.0f;
#pragma omp simd reduction(+ : ux)
    for (int j = 0; j < D; j++) {
      const float u = dyr[j] * g[j];
      ux += u * xr[j];
      dg[j] += dyr[j] * xr[j] * r;
    }
    const float c = r * r * r * ux / D;
    for (int j = 0; j < D; j++) dxr[j] += r * dyr[j] * g[j] - xr[j] * c;
  }
}

void ropeTables(int L, int hd, float base, float* cos, float* sin) {
  const int half = hd / 2;
  for (int pos = 0; pos < L; pos++) {
    for (int j = 0; j < half; j++) {
      // Angles in double as transformer.ts computes them (Math.pow, Math.cos), then rounded.
      const double angle = pos * std::pow(double(base), -2.0 * j / hd);
      cos[pos * hd + j] = cos[pos * hd + j + half] = float(std::cos(angle));
      sin[pos * hd + j] = sin[pos * hd + j + half] = float(std::sin(angle));
    }
  }
}

void ropeForward(float* x, int M, int L, int H, int hd, const float* cos, const float* sin, float scale) {
  const int half = hd / 2;
  for (int m = 0; m < M; m++) {
    const float* c = cos + (m % L) * hd;
    const float* s = sin + (m % L) * hd;
    for (int h = 0; h < H; h++) {
      float* xh = x + (size_t(m) * H + h) * hd;
      for (int j = 0; j < half; j++) {
        const float a = xh[j], b = xh[j + half];
        xh[j] = (a * c[j] + -b * s[j]) * scale;
        xh[j + half] = (b * c[j + half] + a * s[j + half]) * scale;
      }
    }
  }
}

void ropeBackward(float* dy, int M, int L, int H, int hd, const float* cos, const float* sin, float scale) {
  const int half = hd / 2;
  for (int m = 0; m < M; m++) {
    const float* c = cos + (m % L) * hd;
    const float* s = sin + (m % L) * hd;
    for (int h = 0; h < H; h++) {
      float* g = dy + (size_t(m) * H + h) * hd;
      for (int j = 0; j < half; j++) {
        const float a = g[j] * scale, b = g[j + half] * scale;
        // rotate_half^T(z) = [z2, -z1]
        g[j] = a * c[j] + b * s[j + half];
        g[j + half] = b * c[j + half] - a * s[j];
      }
    }
  }
}

void softmaxRows(float* s, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    float* row = s + size_t(r) * cols;
    float mx = row[0];
    for (int j = 1; j < cols; j++) mx = row[j] > mx ? row[j] : mx;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < cols; j++) {
      row[j] = expApprox(row[j] - mx);
      sum += row[j];
    }
    const float inv = 1.0f / sum;
    for (int j = 0; j < cols; j++) row[j] *= inv;
  }
}

void softmaxBackwardRows(const float* p, float* dp, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float* pr = p + size_t(r) * cols;
    float* dr = dp + size_t(r) * cols;
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < cols; j++) dot += dr[j] * pr[j];
    for (int j = 0; j < cols; j++) dr[j] = pr[j] * (dr[j] - dot);
  }
}

static inline float sigmoid(float x) { return 1.0f / (1.0f + expApprox(-x)); }

void swigluForward(const float* gate, const float* up, int n, float* act) {
  for (int i = 0; i < n; i++) act[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

void swigluBackward(const float* gate, const float* up, const float* dact, int n, float* dgate, float* dup) {
  for (int i = 0; i < n; i++) {
    const float g = gate[i], s = sigmoid(g), silu = g * s;
    dup[i] = dact[i] * silu;
    dgate[i] = dact[i] * up[i] * (s + g * s * (1.0f - s));
  }
}

void weightedCrossEntropy(float* z, const int32_t* rows, int count, const int32_t* labels, const float* weights,
                          const int32_t* rowTask, int L, int V, double* parts) {
  for (int r = 0; r < count; r++) {
    float* row = z + size_t(r) * V;
    const int m = rows[r];
    const float w = weights[m];
    float mx = row[0];
    for (int j = 1; j < V; j++) mx = row[j] > mx ? row[j] : mx;
    const float target = row[labels[m]];
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < V; j++) {
      row[j] = expApprox(row[j] - mx);
      sum += row[j];
    }
    const float lse = mx + std::log(sum);
    parts[rowTask[m / L]] += double(w) * double(lse - target);
    const float scale = w / sum;
    for (int j = 0; j < V; j++) row[j] *= scale;
    row[labels[m]] -= w;
  }
}

}  // namespace mmada
