// burst's, multi_user_token's and ip_many_users's per-hour tables (agg_token_minute_peaks, agg_burst_windows,
// agg_rule_windows), computed from one hour's logs rows (and, for burst's windows, the consume rows of the minute
// before it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "observer/agg_tables.h"
#include "observer/newapi/logs.h"
#include "observer/rules/sql_rules.h"

namespace aggregator {

// The rows of one hour the three rules read (observer::rules::RowsOf), allow-listed rows included: consume rows per
// token and tumbling minute, and the distinct clients per token and users per IP of each stored window
// (observer::rules::kStoredRuleWindowSec). Distinct counts stop at observer::rules::kMaxDistinctPerWindow, as the
// rules'.
class RuleWindows {
 public:
  struct Window {
    std::string name;  // the largest token name of the window's rows (bytes), "" for an IP
    std::set<std::pair<int64_t, std::string>> distinct;
  };
  // (window start, subject): a token id as text, or the IP.
  using Windows = std::map<std::pair<int64_t, std::string>, Window>;

  // burst's sliding windows of one hour: per token and count of consume rows in the window, the anchors with that
  // count.
  struct BurstCount {
    int64_t anchors = 0, first_anchor = 0, last_anchor = 0;
    std::string name;  // the largest token name of the anchors' rows (bytes)
  };
  using BurstCounts = std::map<std::pair<int64_t, int64_t>, BurstCount>;  // (token, window rows)

  // Rows none of the rules reads are ignored.
  void Add(const observer::newapi::LogRow& row);
  // A consume row of a token in the observer::rules::kStoredBurstWindowSec - 1 seconds before the hour: it counts in
  // the windows of the hour's first anchors.
  void AddBurstRowBefore(int64_t token_id, int64_t created_at);
  // Per token: the most rows it had in one minute.
  std::map<int64_t, int64_t> TokenPeaks() const;
  // The windows anchored in the hour's seconds with at least observer::rules::kLeastStoredBurstRows rows.
  BurstCounts BurstWindows() const;
  const Windows& token_clients() const { return token_clients_; }
  const Windows& ip_users() const { return ip_users_; }
  // Adds the hour's token minutes and IP windows to the adaptive rules' baselines (their default 10-minute IP
  // windows are the stored ones).
  void AddToBaselines(observer::rules::BaselineCounts* counts) const;

  // The statements that replace the hour's rows of both tables with these (absolute: a re-run writes the same rows).
  // Only peaks and distinct counts of at least observer::rules::kLeastStoredCount are written (burst's windows: see
  // BurstWindows).
  std::vector<std::string> WriteStatements(const observer::agg::AggTables& tables, int64_t hour, size_t batch,
                                           const std::function<std::string(std::string_view)>& quote) const;

 private:
  struct Second {
    int64_t rows = 0;
    std::string name;  // the largest token name of its rows
  };
  std::map<int64_t, std::map<int64_t, int64_t>> token_minutes() const;  // token -> minute start -> rows
  std::map<std::pair<int64_t, int64_t>, Second> token_seconds_;         // (token, second) -> the hour's consume rows
  std::map<std::pair<int64_t, int64_t>, int64_t> seconds_before_;       // (token, second) -> consume rows before it
  Windows token_clients_;
  Windows ip_users_;
};

}  // namespace aggregator
