// burst's, multi_user_token's and ip_many_users's per-hour tables (agg_token_minute_peaks, agg_rule_windows), computed
// from one hour's logs rows.
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

  // Rows none of the rules reads are ignored.
  void Add(const observer::newapi::LogRow& row);
  // Per token: the most rows it had in one minute.
  std::map<int64_t, int64_t> TokenPeaks() const;
  const Windows& token_clients() const { return token_clients_; }
  const Windows& ip_users() const { return ip_users_; }
  // Adds the hour's token minutes and IP windows to the adaptive rules' baselines (their default 10-minute IP
  // windows are the stored ones).
  void AddToBaselines(observer::rules::BaselineCounts* counts) const;

  // The statements that replace the hour's rows of both tables with these (absolute: a re-run writes the same rows).
  // Only peaks and distinct counts of at least observer::rules::kLeastStoredCount are written.
  std::vector<std::string> WriteStatements(const observer::agg::AggTables& tables, int64_t hour, size_t batch,
                                           const std::function<std::string(std::string_view)>& quote) const;

 private:
  std::map<std::pair<int64_t, int64_t>, int64_t> token_minutes_;  // (token, minute start) -> rows
  Windows token_clients_;
  Windows ip_users_;
};

}  // namespace aggregator
