// Per-robot send limits as sliding windows ("20 per 60 s", "5 per 1 s"); time is passed in so tests need no clock.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <vector>

namespace aggregator::relay {

struct RateLimit {
  int max_sends;
  std::chrono::milliseconds window;
};

class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // No limits = unlimited.
  explicit RateLimiter(std::vector<RateLimit> limits);

  // Records a send at now and returns true when every window still has room; otherwise records nothing and
  // returns false with *retry_after set to the wait until the fullest window frees a slot.
  bool TryAcquire(TimePoint now, std::chrono::milliseconds* retry_after);

 private:
  struct Window {
    RateLimit limit;
    std::deque<TimePoint> sends;  // at most limit.max_sends, oldest first
  };

  std::mutex mutex_;
  std::vector<Window> windows_;
};

}  // namespace aggregator::relay
