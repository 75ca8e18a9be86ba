// The one BLAS routine the kernels use: single-precision GEMM, row-major, from OpenBLAS as PyPI's
// scipy-openblas32 wheel ships it (its symbols carry a "scipy_" prefix so they never clash with
// another OpenBLAS in the process). OpenBLAS runs single-threaded here: the kernels split the
// work themselves (pool.h), so two levels of threads never compete for the same cores.
#pragma once

extern "C" {
enum MmadaCblasOrder { MmadaRowMajor = 101 };
enum MmadaCblasTranspose { MmadaNoTrans = 111, MmadaTrans = 112 };
void scipy_cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,
                       const float* B, int ldb, float beta, float* C, int ldc);
void scipy_openblas_set_num_threads(int n);
char* scipy_openblas_get_corename(void);
}

namespace mmada {

/** C[M, N] = op(A) op(B) + beta C, with op(X) = X^T when the flag is set; ld* are row strides. */
inline void gemm(bool transA, bool transB, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc) {
  scipy_cblas_sgemm(MmadaRowMajor, transA ? MmadaTrans : MmadaNoTrans, transB ? MmadaTrans : MmadaNoTrans, M, N, K,
                    1.0f, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace mmada
