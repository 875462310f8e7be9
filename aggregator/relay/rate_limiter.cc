// Sliding-window rate limiting: a send is allowed when fewer than max_sends happened in the last window.
#include "relay/rate_limiter.h"

#include <algorithm>

namespace aggregator::relay {

RateLimiter::RateLimiter(std::vector<RateLimit> limits) {
  // A window that allows nothing would block a robot forever: at least one send per window.
  for (RateLimit limit : limits) {
    limit.max_sends = std::max(1, limit.max_sends);
    windows_.push_back({limit, {}});
  }
}

bool RateLimiter::TryAcquire(TimePoint now, std::chrono::milliseconds* retry_after) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::chrono::milliseconds wait{0};
  for (Window& window : windows_) {
    while (!window.sends.empty() && now - window.sends.front() >= window.limit.window) window.sends.pop_front();
    if (static_cast<int>(window.sends.size()) >= window.limit.max_sends) {
      const auto frees_at = window.sends.front() + window.limit.window;
      wait = std::max(wait, std::chrono::ceil<std::chrono::milliseconds>(frees_at - now));
    }
  }
  if (wait.count() > 0) {
    *retry_after = wait;
    return false;
  }
  for (Window& window : windows_) window.sends.push_back(now);
  return true;
}

}  // namespace aggregator::relay
