// The risk rules evaluated row by row as the exporter tails `logs`. Memory is bounded: windows are keyed by token,
// IP or model, expire once no row can reach them, and at most max_keys are tracked per rule (new keys past the cap
// are counted in untracked(), not evaluated). Windows end at the newest created_at seen for their subject, so a row
// committed out of order counts in the current window. Pure; no I/O.
#pragma once

#include <climits>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "observer/rules/rules.h"

namespace observer::rules {

class StreamingRules {
 public:
  StreamingRules(Thresholds thresholds, AllowList allow, size_t max_keys = 200000);

  // Applies new thresholds and allow-lists; the windows and the big_request baselines are kept.
  void SetRules(Thresholds thresholds, AllowList allow);
  const Thresholds& thresholds() const { return thresholds_; }
  // Replaces the per-subject baselines of the adaptive mode (the aggregator's agg_rule_baselines).
  void SetBaselines(Baselines baselines) { baselines_ = std::move(baselines); }

  // Adds big_request statistics of hours this evaluator will not see rows of (model -> hour -> stats), so that a
  // restarted exporter judges request sizes at once; hours it already holds are kept.
  void SeedModelHours(const std::map<std::string, std::map<int64_t, SizeStats>>& hours);

  // Evaluates one row and returns every window it brought to or over its threshold; starts_episode marks the first
  // hit of a subject that was not firing.
  std::vector<Hit> Observe(const newapi::LogRow& row);
  // Forgets windows no new row can reach (older than their window plus a slack before the newest row seen).
  void Expire();
  // The subjects firing now, with their latest score: tokens whose latest burst window is over the limit, tokens and
  // IPs whose current or previous tumbling window reached the threshold, and big requests of the last
  // big_request_active_sec. At most max_per_rule per rule, highest score first.
  std::vector<Hit> ActiveHits(size_t max_per_rule) const;

  size_t tracked_keys() const;
  uint64_t untracked() const { return untracked_; }

 private:
  struct BurstWindow {  // request times of one token, sorted; times before `head` are expired
    std::vector<int64_t> times;
    size_t head = 0;
    bool firing = false;
    Hit hit;  // the latest evaluation at the newest time
  };
  // Per tumbling window start: the distinct values seen (as 64-bit hashes, capped) and the hit, if any. A hash
  // collision within one subject's window would undercount by one: about 1 in 10^15 for a thousand values.
  struct DistinctWindows {
    std::map<int64_t, std::unordered_set<uint64_t>> values;
    std::map<int64_t, Hit> hits;
    int64_t newest = 0;
  };
  struct ModelSizes {  // big_request: log-size statistics per hour, and the baseline of the last hour asked for
    std::map<int64_t, SizeStats> hours;
    int64_t baseline_hour = INT64_MIN;
    SizeStats baseline;
  };

  void Burst(const newapi::LogRow& row, std::vector<Hit>* hits);
  template <typename Map>
  void Distinct(Map& windows, Rule rule, const char* subject_type, const typename Map::key_type& key,
                const std::string& name, uint64_t value, int64_t at, int64_t window_sec, int64_t threshold,
                int64_t baseline, std::vector<Hit>* hits);
  void BigRequest(const newapi::LogRow& row, bool allowed, std::vector<Hit>* hits);
  template <typename Map>
  bool HasRoom(const Map& map, const typename Map::key_type& key);

  Thresholds thresholds_;
  AllowList allow_;
  Baselines baselines_;
  size_t max_keys_;
  int64_t newest_ = 0;
  uint64_t untracked_ = 0;
  std::unordered_map<int64_t, BurstWindow> bursts_;
  std::unordered_map<int64_t, DistinctWindows> token_clients_;
  std::unordered_map<std::string, DistinctWindows> ip_users_;
  std::unordered_map<std::string, ModelSizes> model_sizes_;
  std::deque<Hit> big_requests_;  // recent big_request hits, newest last
};

}  // namespace observer::rules
