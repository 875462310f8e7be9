// Exponential backoff for reconnect loops: initial, doubled after each failure, capped, reset on success.
#pragma once

#include <chrono>

namespace observer {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) : initial_(initial), max_(max) {}
  // The delay to wait before the next attempt; grows each call until Reset().
  std::chrono::milliseconds Next();
  void Reset() { attempts_ = 0; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  int attempts_ = 0;
};

}  // namespace observer
