// The risk rules evaluated row by row as the exporter tails `logs`. Memory is bounded: windows are keyed by token,
// IP or model, expire once no row can reach them, and at most max_keys are tracked per rule (new keys past the cap
// are counted in untracked(), not evaluated). Windows end at the newest created_at seen for their subject, so a row
// committed out of order counts in the current window. Pure; no I/O.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "observer/rules/rules.h"

namespace observer::rules {

class StreamingRules {
 public:
  StreamingRules(Thresholds thresholds, AllowList allow, size_t max_keys = 200000);

  // Evaluates one row and returns the hits it starts. A subject fires once per episode: it fires again only after
  // its window has fallen back under the threshold.
  std::vector<Hit> Observe(const newapi::LogRow& row);
  // Forgets windows no new row can reach (older than their window plus a slack before the newest row seen).
  void Expire();
  // The subjects firing now, with their latest score: tokens and IPs whose window is at or over the threshold, and
  // big requests seen within the last big_request_active_sec. At most max_per_rule per rule, highest score first.
  std::vector<Hit> ActiveHits(size_t max_per_rule) const;

  size_t tracked_keys() const;
  uint64_t untracked() const { return untracked_; }

 private:
  struct CountWindow {  // burst: request times of one token
    std::deque<int64_t> times;
    bool firing = false;
    Hit hit;  // the latest evaluation while firing
  };
  struct DistinctWindow {  // distinct values (IPs of a token, users of an IP) with the last time each was seen
    std::unordered_map<std::string, int64_t> last_seen;
    int64_t newest = 0;
    bool firing = false;
    Hit hit;
  };
  struct HourStats {
    double n = 0, sum = 0, sum_squares = 0;
  };

  void Burst(const newapi::LogRow& row, std::vector<Hit>* hits);
  void Distinct(std::unordered_map<std::string, DistinctWindow>& windows, Rule rule, const char* subject_type,
                const std::string& key, const std::string& name, const std::string& value, int64_t at,
                int64_t window_sec, int64_t threshold, std::vector<Hit>* hits);
  void BigRequest(const newapi::LogRow& row, std::vector<Hit>* hits);
  template <typename Map>
  bool HasRoom(const Map& map, const typename Map::key_type& key);

  Thresholds thresholds_;
  AllowList allow_;
  size_t max_keys_;
  int64_t newest_ = 0;
  uint64_t untracked_ = 0;
  std::unordered_map<int64_t, CountWindow> bursts_;
  std::unordered_map<std::string, DistinctWindow> token_ips_;
  std::unordered_map<std::string, DistinctWindow> ip_users_;
  std::unordered_map<std::string, std::map<int64_t, HourStats>> model_hours_;
  std::deque<Hit> big_requests_;  // recent big_request hits, newest last
};

}  // namespace observer::rules
