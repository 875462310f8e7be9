// Row-by-row evaluation of the four risk rules.
#include "observer/rules/streaming_rules.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace observer::rules {
namespace {

constexpr int64_t kLateSlackSeconds = 300;  // rows committed this late still land in their window
constexpr int64_t kHour = 3600;

int64_t FloorTo(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

}  // namespace

StreamingRules::StreamingRules(Thresholds thresholds, AllowList allow, size_t max_keys)
    : thresholds_(thresholds), allow_(std::move(allow)), max_keys_(max_keys) {}

void StreamingRules::SetRules(Thresholds thresholds, AllowList allow) {
  thresholds_ = thresholds;
  allow_ = std::move(allow);
}

void StreamingRules::SeedModelHours(const std::map<std::string, std::map<int64_t, SizeStats>>& hours) {
  for (const auto& [model, by_hour] : hours) {
    if (!HasRoom(model_sizes_, model)) continue;
    ModelSizes& m = model_sizes_[model];
    for (const auto& [hour, stats] : by_hour) m.hours.emplace(hour, stats);
    m.baseline_hour = INT64_MIN;
  }
}

template <typename Map>
bool StreamingRules::HasRoom(const Map& map, const typename Map::key_type& key) {
  if (map.size() < max_keys_ || map.count(key) != 0) return true;
  ++untracked_;
  return false;
}

std::vector<Hit> StreamingRules::Observe(const newapi::LogRow& row) {
  std::vector<Hit> hits;
  const bool allowed = allow_.AllowsRow(row);
  newest_ = std::max(newest_, row.created_at);
  if (!allowed && RowsOf(Rule::kBurst).Selects(row)) Burst(row, &hits);
  if (!allowed && RowsOf(Rule::kMultiUserToken).Selects(row)) {
    const uint64_t client =
        std::hash<std::string>{}(row.ip) * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(row.user_id);
    Distinct(token_clients_, Rule::kMultiUserToken, "token", row.token_id, row.token_name, client, row.created_at,
             thresholds_.token_clients_window_sec, thresholds_.token_clients_threshold, -1, &hits);
  }
  if (RowsOf(Rule::kBigRequest).Selects(row)) BigRequest(row, allowed, &hits);
  if (!allowed && RowsOf(Rule::kIpManyUsers).Selects(row)) {
    const int64_t baseline = thresholds_.ip_users_adaptive ? IpUsersBaseline(baselines_, row.ip) : -1;
    Distinct(ip_users_, Rule::kIpManyUsers, "ip", row.ip, "", static_cast<uint64_t>(row.user_id), row.created_at,
             thresholds_.ip_users_window_sec, IpUsersLimit(thresholds_, baseline), baseline, &hits);
  }
  return hits;
}

void StreamingRules::Burst(const newapi::LogRow& row, std::vector<Hit>* hits) {
  if (!HasRoom(bursts_, row.token_id)) return;
  BurstWindow& w = bursts_[row.token_id];
  const int64_t t = row.created_at, window = thresholds_.burst_window_sec;
  const int64_t baseline = thresholds_.burst_adaptive ? BurstBaseline(baselines_, row.token_id) : -1;
  const int64_t limit = BurstLimit(thresholds_, baseline);
  std::vector<int64_t>& times = w.times;
  times.insert(std::upper_bound(times.begin() + static_cast<ptrdiff_t>(w.head), times.end(), t), t);
  const int64_t newest = times.back();
  while (w.head < times.size() && times[w.head] <= newest - window - kLateSlackSeconds) ++w.head;
  if (w.head > 64 && w.head * 2 > times.size()) {  // drop the expired prefix now and then, not on every row
    times.erase(times.begin(), times.begin() + static_cast<ptrdiff_t>(w.head));
    w.head = 0;
  }
  const auto live = times.begin() + static_cast<ptrdiff_t>(w.head);
  // The row joins the windows (a - window, a] anchored at request times a in [t, t + window): for a row in order
  // that is its own time only; a row committed late also raises the windows of the requests after it.
  for (auto anchor = std::lower_bound(live, times.end(), t); anchor != times.end() && *anchor < t + window;) {
    const int64_t a = *anchor;
    const auto next = std::upper_bound(anchor, times.end(), a);
    const auto first = std::upper_bound(live, anchor, a - window);
    const auto count = static_cast<int64_t>(std::distance(first, next));
    const bool over = count >= limit;
    if (over) {
      Hit hit{Rule::kBurst,
              "token",
              std::to_string(row.token_id),
              row.token_name,
              static_cast<double>(count),
              static_cast<double>(limit),
              baseline,
              a - window + 1,
              a,
              a,
              !w.firing};
      hits->push_back(hit);
      if (a == newest) w.hit = hit;
    }
    if (a == newest) w.firing = over;
    anchor = next;
  }
}

template <typename Map>
void StreamingRules::Distinct(Map& windows, Rule rule, const char* subject_type, const typename Map::key_type& key,
                              const std::string& name, uint64_t value, int64_t at, int64_t window_sec,
                              int64_t threshold, int64_t baseline, std::vector<Hit>* hits) {
  if (!HasRoom(windows, key)) return;
  DistinctWindows& w = windows[key];
  w.newest = std::max(w.newest, at);
  const int64_t start = FloorTo(at, window_sec);
  std::unordered_set<uint64_t>& values = w.values[start];
  if (static_cast<int64_t>(values.size()) >= kMaxDistinctPerWindow || !values.insert(value).second) return;
  const auto distinct = static_cast<int64_t>(values.size());
  if (distinct >= threshold) {
    // Consecutive windows over the threshold are one episode.
    const bool continues = w.hits.count(start) != 0 || w.hits.count(start - window_sec) != 0;
    std::string subject_id;
    if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
      subject_id = key;
    } else {
      subject_id = std::to_string(key);
    }
    Hit hit{rule,
            subject_type,
            std::move(subject_id),
            name,
            static_cast<double>(distinct),
            static_cast<double>(threshold),
            baseline,
            start,
            start + window_sec - 1,
            at,
            !continues};
    w.hits[start] = hit;
    hits->push_back(std::move(hit));
  }
  const int64_t oldest_kept = FloorTo(w.newest - window_sec - kLateSlackSeconds, window_sec);
  if (w.values.begin()->first < oldest_kept) w.values.erase(w.values.begin(), w.values.lower_bound(oldest_kept));
  if (!w.hits.empty() && w.hits.begin()->first < oldest_kept - window_sec) {
    w.hits.erase(w.hits.begin(), w.hits.lower_bound(oldest_kept - window_sec));
  }
}

void StreamingRules::BigRequest(const newapi::LogRow& row, bool allowed, std::vector<Hit>* hits) {
  if (!HasRoom(model_sizes_, row.model_name)) return;
  ModelSizes& m = model_sizes_[row.model_name];
  const int64_t hour = FloorTo(row.created_at, kHour), baseline_sec = thresholds_.big_request_baseline_hours * kHour;
  if (m.baseline_hour != hour) {
    m.baseline = SizeStats{};
    for (auto it = m.hours.lower_bound(hour - baseline_sec); it != m.hours.end() && it->first < hour; ++it) {
      m.baseline.Add(it->second);
    }
    m.baseline_hour = hour;
  }
  const int64_t size = row.prompt_tokens + row.completion_tokens;
  const double limit = BigRequestLimit(m.baseline, thresholds_);
  if (!allowed && limit >= 0 && static_cast<double>(size) > limit) {
    hits->push_back({Rule::kBigRequest, "request", std::to_string(row.id), row.model_name, static_cast<double>(size),
                     limit, -1, row.created_at, row.created_at, row.created_at, true});
    big_requests_.push_back(hits->back());
    if (big_requests_.size() > 1000) big_requests_.pop_front();
  }
  m.hours[hour].Add(LogSize(size));
  // A row of an earlier hour changes the baseline of the hours after it.
  if (hour < m.baseline_hour && hour >= m.baseline_hour - baseline_sec) m.baseline_hour = INT64_MIN;
  // Hours older than the baseline can never be read again.
  const int64_t oldest = FloorTo(newest_, kHour) - baseline_sec - kHour;
  if (m.hours.begin()->first < oldest) m.hours.erase(m.hours.begin(), m.hours.lower_bound(oldest));
}

void StreamingRules::Expire() {
  for (auto it = bursts_.begin(); it != bursts_.end();) {
    const bool idle = it->second.head == it->second.times.size() ||
                      it->second.times.back() <= newest_ - thresholds_.burst_window_sec - kLateSlackSeconds;
    it = idle ? bursts_.erase(it) : std::next(it);
  }
  auto expire_distinct = [this](auto& windows, int64_t window) {
    for (auto it = windows.begin(); it != windows.end();) {
      it = it->second.newest <= newest_ - 2 * window - kLateSlackSeconds ? windows.erase(it) : std::next(it);
    }
  };
  expire_distinct(token_clients_, thresholds_.token_clients_window_sec);
  expire_distinct(ip_users_, thresholds_.ip_users_window_sec);
  for (auto it = model_sizes_.begin(); it != model_sizes_.end();) {
    const bool idle =
        it->second.hours.empty() ||
        it->second.hours.rbegin()->first < FloorTo(newest_, kHour) - thresholds_.big_request_baseline_hours * kHour;
    it = idle ? model_sizes_.erase(it) : std::next(it);
  }
}

std::vector<Hit> StreamingRules::ActiveHits(size_t max_per_rule) const {
  std::vector<Hit> by_rule[4];
  for (const auto& [token, w] : bursts_) {
    if (w.firing && w.hit.at > newest_ - thresholds_.burst_window_sec) by_rule[0].push_back(w.hit);
  }
  // A tumbling window's hit stays active through the window after it.
  auto distinct_active = [this](const auto& windows, int64_t window_sec, std::vector<Hit>* out) {
    for (const auto& [key, w] : windows) {
      if (!w.hits.empty() && w.hits.rbegin()->first + 2 * window_sec > newest_) out->push_back(w.hits.rbegin()->second);
    }
  };
  distinct_active(token_clients_, thresholds_.token_clients_window_sec, &by_rule[1]);
  distinct_active(ip_users_, thresholds_.ip_users_window_sec, &by_rule[2]);
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
  return bursts_.size() + token_clients_.size() + ip_users_.size() + model_sizes_.size();
}

}  // namespace observer::rules
