// The one background loop: a thread that runs a step again and again, waiting between steps as long as the step
// says, until Stop, which wakes it at once. Behind the database monitor, the exporter's collector runners and the
// aggregator's job loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace observer {

class BackgroundLoop {
 public:
  // One step; returns how long to wait before the next (zero or less: at once).
  using Step = std::function<std::chrono::milliseconds()>;

  BackgroundLoop() = default;
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;
  ~BackgroundLoop() { Stop(); }

  void Start(Step step);
  // Returns once the step in progress, if any, has finished and the thread has ended. Idempotent.
  void Stop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace observer
