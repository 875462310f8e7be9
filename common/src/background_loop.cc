// The background loop's thread.
#include "observer/background_loop.h"

namespace observer {

void BackgroundLoop::Start(Step step) {
  thread_ = std::thread([this, step = std::move(step)] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      const std::chrono::milliseconds wait = step();
      lock.lock();
      if (wait.count() > 0) wake_.wait_for(lock, wait, [this] { return stopping_; });
    }
  });
}

void BackgroundLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace observer
