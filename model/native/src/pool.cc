#include "pool.h"

#include <memory>

namespace mmada {

Pool::Pool(int threads) {
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { work(); });
}

Pool::~Pool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

bool Pool::claim(std::unique_lock<std::mutex>&, int& index) {
  if (task_ == nullptr || next_ >= count_) return false;
  index = next_++;
  return true;
}

void Pool::run(int n, const std::function<void(int)>& task) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int i = 0; i < n; i++) task(i);
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  task_ = &task;
  count_ = n;
  next_ = finished_ = 0;
  wake_.notify_all();
  int i;
  while (claim(lock, i)) {
    lock.unlock();
    task(i);
    lock.lock();
    finished_++;
  }
  done_.wait(lock, [this] { return finished_ == count_; });
  task_ = nullptr;
}

void Pool::work() {
  FlushDenormals::forThisThread();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    int i;
    wake_.wait(lock, [&] { return stop_ || (task_ != nullptr && next_ < count_); });
    if (stop_) return;
    const std::function<void(int)>* task = task_;
    while (claim(lock, i)) {
      lock.unlock();
      (*task)(i);
      lock.lock();
      if (++finished_ == count_) done_.notify_one();
    }
  }
}

namespace {
std::unique_ptr<Pool>& instance() {
  static std::unique_ptr<Pool> p = std::make_unique<Pool>(1);
  return p;
}
}  // namespace

Pool& pool() { return *instance(); }

void setThreads(int n) {
  if (n < 1) n = 1;
  if (instance()->threads() != n) instance() = std::make_unique<Pool>(n);
}

std::mutex& callMutex() {
  static std::mutex m;
  return m;
}

}  // namespace mmada
