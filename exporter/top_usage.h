// Usage per user and per token over a sliding window of whole minutes, and the top K of each by tokens, requests
// and quota. Memory follows the (subject, minute) pairs that saw traffic inside the window, not the history. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace exporter {

enum class TopDimension { kUser = 0, kToken = 1 };
enum class TopMetric { kTokens = 0, kReqs = 1, kQuota = 2 };

const char* DimensionName(TopDimension dimension);
const char* MetricName(TopMetric metric);

class TopUsage {
 public:
  struct Entry {
    int64_t id = 0;
    std::string name;
    double value = 0;
  };

  TopUsage(int window_minutes, size_t k);

  // One consume request of `tokens` tokens and `quota` quota by this subject, seen at now_seconds.
  void Add(TopDimension dimension, int64_t id, const std::string& name, int64_t tokens, int64_t quota,
           int64_t now_seconds);
  // Drops the minutes that left the window ending at now_seconds.
  void Advance(int64_t now_seconds);
  // The K subjects with the largest value, largest first (ties: lower id first).
  std::vector<Entry> Top(TopDimension dimension, TopMetric metric) const;
  size_t tracked(TopDimension dimension) const;
  int window_minutes() const { return window_minutes_; }

 private:
  struct Usage {
    int64_t tokens = 0, reqs = 0, quota = 0;
  };
  struct Named {
    Usage usage;
    std::string name;
  };
  struct Minute {
    int64_t minute = 0;
    std::unordered_map<int64_t, Usage> usage;
  };
  struct Side {
    std::deque<Minute> minutes;
    std::unordered_map<int64_t, Named> totals;
  };

  int window_minutes_;
  size_t k_;
  Side sides_[2];
};

}  // namespace exporter
