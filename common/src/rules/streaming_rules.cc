// Row-by-row evaluation of the four risk rules.
#include "observer/rules/streaming_rules.h"

#include <algorithm>
#include <cmath>

namespace observer::rules {
namespace {

constexpr int64_t kLateSlackSeconds = 300;  // rows committed this late still land in their window
constexpr int64_t kHour = 3600;

int64_t HourOf(int64_t t) { return t - ((t % kHour) + kHour) % kHour; }

}  // namespace

StreamingRules::StreamingRules(Thresholds thresholds, AllowList allow, size_t max_keys)
    : thresholds_(thresholds), allow_(std::move(allow)), max_keys_(max_keys) {}

template <typename Map>
bool StreamingRules::HasRoom(const Map& map, const typename Map::key_type& key) {
  if (map.size() < max_keys_ || map.count(key) != 0) return true;
  ++untracked_;
  return false;
}

std::vector<Hit> StreamingRules::Observe(const newapi::LogRow& row) {
  std::vector<Hit> hits;
  if (allow_.AllowsRow(row)) return hits;
  newest_ = std::max(newest_, row.created_at);
  if (row.type == newapi::kLogConsume) {
    if (row.token_id > 0) Burst(row, &hits);
    if (row.token_id > 0 && !row.ip.empty()) {
      Distinct(token_ips_, Rule::kMultiUserToken, "token", std::to_string(row.token_id), row.token_name, row.ip,
               row.created_at, thresholds_.token_clients_window_sec, thresholds_.token_clients_threshold, &hits);
    }
    BigRequest(row, &hits);
  }
  const bool user_activity =
      row.type == newapi::kLogConsume || row.type == newapi::kLogError || row.type == newapi::kLogLogin;
  if (user_activity && !row.ip.empty() && row.user_id > 0) {
    Distinct(ip_users_, Rule::kIpManyUsers, "ip", row.ip, "", std::to_string(row.user_id), row.created_at,
             thresholds_.ip_users_window_sec, thresholds_.ip_users_threshold, &hits);
  }
  return hits;
}

void StreamingRules::Burst(const newapi::LogRow& row, std::vector<Hit>* hits) {
  if (!HasRoom(bursts_, row.token_id)) return;
  CountWindow& w = bursts_[row.token_id];
  w.times.insert(std::upper_bound(w.times.begin(), w.times.end(), row.created_at), row.created_at);
  const int64_t end = w.times.back();
  while (!w.times.empty() && w.times.front() <= end - thresholds_.burst_window_sec - kLateSlackSeconds) {
    w.times.pop_front();
  }
  // Requests in (end - window, end].
  const auto first = std::upper_bound(w.times.begin(), w.times.end(), end - thresholds_.burst_window_sec);
  const auto count = static_cast<int64_t>(std::distance(first, w.times.end()));
  if (count >= thresholds_.burst_limit) {
    w.hit = {Rule::kBurst, "token", std::to_string(row.token_id), row.token_name, static_cast<double>(count),
             static_cast<double>(thresholds_.burst_limit), row.created_at};
    if (!w.firing) hits->push_back(w.hit);
    w.firing = true;
  } else {
    w.firing = false;
  }
}

void StreamingRules::Distinct(std::unordered_map<std::string, DistinctWindow>& windows, Rule rule,
                              const char* subject_type, const std::string& key, const std::string& name,
                              const std::string& value, int64_t at, int64_t window_sec, int64_t threshold,
                              std::vector<Hit>* hits) {
  if (!HasRoom(windows, key)) return;
  DistinctWindow& w = windows[key];
  int64_t& seen = w.last_seen[value];
  seen = std::max(seen, at);
  w.newest = std::max(w.newest, at);
  int64_t distinct = 0;
  for (auto it = w.last_seen.begin(); it != w.last_seen.end();) {
    if (it->second <= w.newest - window_sec - kLateSlackSeconds) {
      it = w.last_seen.erase(it);
      continue;
    }
    if (it->second > w.newest - window_sec) ++distinct;
    ++it;
  }
  if (distinct >= threshold) {
    w.hit = {rule, subject_type, key, name, static_cast<double>(distinct), static_cast<double>(threshold), at};
    if (!w.firing) hits->push_back(w.hit);
    w.firing = true;
  } else {
    w.firing = false;
  }
}

void StreamingRules::BigRequest(const newapi::LogRow& row, std::vector<Hit>* hits) {
  if (!HasRoom(model_hours_, row.model_name)) return;
  auto& hours = model_hours_[row.model_name];
  const int64_t hour = HourOf(row.created_at);
  HourStats baseline;
  for (auto it = hours.lower_bound(hour - thresholds_.big_request_baseline_hours * kHour);
       it != hours.end() && it->first < hour; ++it) {
    baseline.n += it->second.n;
    baseline.sum += it->second.sum;
    baseline.sum_squares += it->second.sum_squares;
  }
  const double size = static_cast<double>(row.prompt_tokens + row.completion_tokens);
  if (baseline.n >= static_cast<double>(thresholds_.big_request_min_samples)) {
    const double mean = baseline.sum / baseline.n;
    const double variance = std::max(0.0, baseline.sum_squares / baseline.n - mean * mean);
    const double limit = mean + thresholds_.big_request_sigma * std::sqrt(variance);
    if (size > limit) {
      hits->push_back({Rule::kBigRequest, "request", std::to_string(row.id), row.model_name, size, limit,
                       row.created_at});
      big_requests_.push_back(hits->back());
      if (big_requests_.size() > 1000) big_requests_.pop_front();
    }
  }
  HourStats& bucket = hours[hour];
  bucket.n += 1;
  bucket.sum += size;
  bucket.sum_squares += size * size;
  // Hours older than the baseline can never be read again.
  hours.erase(hours.begin(), hours.lower_bound(HourOf(newest_) - (thresholds_.big_request_baseline_hours + 1) * kHour));
}

void StreamingRules::Expire() {
  for (auto it = bursts_.begin(); it != bursts_.end();) {
    const bool idle = it->second.times.empty() ||
                      it->second.times.back() <= newest_ - thresholds_.burst_window_sec - kLateSlackSeconds;
    it = idle ? bursts_.erase(it) : std::next(it);
  }
  for (auto* windows : {&token_ips_, &ip_users_}) {
    const int64_t window = windows == &token_ips_ ? thresholds_.token_clients_window_sec : thresholds_.ip_users_window_sec;
    for (auto it = windows->begin(); it != windows->end();) {
      it = it->second.newest <= newest_ - window - kLateSlackSeconds ? windows->erase(it) : std::next(it);
    }
  }
  for (auto it = model_hours_.begin(); it != model_hours_.end();) {
    const bool idle = it->second.empty() ||
                      it->second.rbegin()->first < HourOf(newest_) - thresholds_.big_request_baseline_hours * kHour;
    it = idle ? model_hours_.erase(it) : std::next(it);
  }
}

std::vector<Hit> StreamingRules::ActiveHits(size_t max_per_rule) const {
  std::vector<Hit> by_rule[4];
  // A window is firing while its latest evaluation is over the threshold and it has not gone idle.
  for (const auto& [token, w] : bursts_) {
    if (w.firing && w.hit.at > newest_ - thresholds_.burst_window_sec) by_rule[0].push_back(w.hit);
  }
  for (const auto& [token, w] : token_ips_) {
    if (w.firing && w.newest > newest_ - thresholds_.token_clients_window_sec) by_rule[1].push_back(w.hit);
  }
  for (const auto& [ip, w] : ip_users_) {
    if (w.firing && w.newest > newest_ - thresholds_.ip_users_window_sec) by_rule[2].push_back(w.hit);
  }
  for (const Hit& hit : big_requests_) {
    if (hit.at > newest_ - thresholds_.big_request_active_sec) by_rule[3].push_back(hit);
  }
  std::vector<Hit> out;
  for (auto& hits : by_rule) {
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      return a.score != b.score ? a.score > b.score : a.subject_id < b.subject_id;
    });
    if (hits.size() > max_per_rule) hits.resize(max_per_rule);
    out.insert(out.end(), hits.begin(), hits.end());
  }
  return out;
}

size_t StreamingRules::tracked_keys() const {
  return bursts_.size() + token_ips_.size() + ip_users_.size() + model_hours_.size();
}

}  // namespace observer::rules
