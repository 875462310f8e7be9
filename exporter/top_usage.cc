// Sliding-window top-K bookkeeping.
#include "top_usage.h"

#include <algorithm>

namespace exporter {

const char* DimensionName(TopDimension dimension) { return dimension == TopDimension::kUser ? "user" : "token"; }

const char* MetricName(TopMetric metric) {
  switch (metric) {
    case TopMetric::kTokens: return "tokens";
    case TopMetric::kReqs: return "reqs";
    case TopMetric::kQuota: return "quota";
  }
  return "tokens";
}

TopUsage::TopUsage(int window_minutes, size_t k) : window_minutes_(window_minutes), k_(k) {}

void TopUsage::Add(TopDimension dimension, int64_t id, const std::string& name, int64_t tokens, int64_t quota,
                   int64_t now_seconds) {
  Side& side = sides_[static_cast<int>(dimension)];
  const int64_t minute = now_seconds / 60;
  if (side.minutes.empty() || side.minutes.back().minute < minute) side.minutes.push_back({minute, {}});
  Usage& bucket = side.minutes.back().usage[id];
  bucket.tokens += tokens;
  bucket.reqs += 1;
  bucket.quota += quota;
  Named& total = side.totals[id];
  total.usage.tokens += tokens;
  total.usage.reqs += 1;
  total.usage.quota += quota;
  if (!name.empty()) total.name = name;
}

void TopUsage::Advance(int64_t now_seconds) {
  const int64_t oldest_kept = now_seconds / 60 - window_minutes_ + 1;
  for (Side& side : sides_) {
    while (!side.minutes.empty() && side.minutes.front().minute < oldest_kept) {
      for (const auto& [id, usage] : side.minutes.front().usage) {
        auto it = side.totals.find(id);
        if (it == side.totals.end()) continue;
        it->second.usage.tokens -= usage.tokens;
        it->second.usage.reqs -= usage.reqs;
        it->second.usage.quota -= usage.quota;
        if (it->second.usage.reqs <= 0) side.totals.erase(it);
      }
      side.minutes.pop_front();
    }
  }
}

std::vector<TopUsage::Entry> TopUsage::Top(TopDimension dimension, TopMetric metric) const {
  const Side& side = sides_[static_cast<int>(dimension)];
  auto value_of = [metric](const Usage& u) -> int64_t {
    switch (metric) {
      case TopMetric::kTokens: return u.tokens;
      case TopMetric::kReqs: return u.reqs;
      case TopMetric::kQuota: return u.quota;
    }
    return 0;
  };
  std::vector<std::pair<int64_t, int64_t>> ranked;  // (value, id)
  ranked.reserve(side.totals.size());
  for (const auto& [id, named] : side.totals) ranked.emplace_back(value_of(named.usage), id);
  const size_t n = std::min(k_, ranked.size());
  std::partial_sort(
      ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(),
      [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<Entry> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& named = side.totals.at(ranked[i].second);
    out.push_back({ranked[i].second, named.name, static_cast<double>(ranked[i].first)});
  }
  return out;
}

size_t TopUsage::tracked(TopDimension dimension) const { return sides_[static_cast<int>(dimension)].totals.size(); }

}  // namespace exporter
