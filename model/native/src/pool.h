// A small blocking thread pool: run(n, task) executes task(0..n-1) on the calling thread plus
// (threads - 1) workers that take task indices from a shared counter. Idle workers sleep on a
// condition variable (no spinning), so several processes can share a few cores without stealing
// each other's time; dynamic task assignment keeps a step moving when one core is busy elsewhere.
// Which thread runs a task never changes its arithmetic (each task writes its own outputs), so the
// numbers do not depend on the thread count.
#pragma once
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mmada {

/**
 * Subnormal floats (below 1.2e-38) read and written as zero while the kernels run (SSE's FTZ and DAZ
 * bits), as TensorFlow's and PyTorch's CPU threads can. Arithmetic on subnormals goes through
 * microcode assists, ~100x slower: a high learning rate that pushes attention probabilities or
 * gradients that small made a training step 15x slower. Scoped: the calling thread's mode is
 * restored, so JavaScript and other libraries on it see theirs.
 */
class FlushDenormals {
 public:
#if defined(__SSE2__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtzDaz); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
  /** The bits for a thread that only ever runs kernels (a pool worker). */
  static void forThisThread() { _mm_setcsr(_mm_getcsr() | kFtzDaz); }

 private:
  static constexpr unsigned kFtzDaz = 0x8040;  // FTZ (bit 15) | DAZ (bit 6)
  unsigned saved_;
#else
  FlushDenormals() = default;
  static void forThisThread() {}
#endif
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

class Pool {
 public:
  explicit Pool(int threads);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  /** Runs task(i) for i in [0, n) and returns when all are done. One run at a time per pool. */
  void run(int n, const std::function<void(int)>& task);

 private:
  void work();
  /** Claims the next task index under the lock; false when none is left. */
  bool claim(std::unique_lock<std::mutex>& lock, int& index);

  std::vector<std::thread> workers_;
  // Tasks are coarse (a shard of the batch, a slice of the gradients), so claiming one under a
  // mutex costs nothing measurable, and a worker that wakes late can never see a finished run.
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* task_ = nullptr;
  int count_ = 0, next_ = 0, finished_ = 0;
  bool stop_ = false;
};

/** The process-wide pool the kernels use (created with 1 thread, resized by setThreads). */
Pool& pool();
void setThreads(int n);
/** Serialises kernel calls from several Node worker threads (each call uses the whole pool). */
std::mutex& callMutex();

}  // namespace mmada
