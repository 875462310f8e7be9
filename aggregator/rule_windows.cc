// burst's, multi_user_token's and ip_many_users's per-hour tables, computed from one hour's logs rows.
#include "rule_windows.h"

#include <algorithm>
#include <cstdint>

#include "observer/rules/rules.h"
#include "observer/rules/window_rules_agg.h"

namespace aggregator {
namespace {

using observer::rules::kStoredRuleWindowSec;
using observer::rules::Rule;

int64_t WindowOf(int64_t at) {
  return at - ((at % kStoredRuleWindowSec) + kStoredRuleWindowSec) % kStoredRuleWindowSec;
}

void AddDistinct(RuleWindows::Window* w, std::pair<int64_t, std::string> value) {
  if (static_cast<int64_t>(w->distinct.size()) < observer::rules::kMaxDistinctPerWindow) {
    w->distinct.insert(std::move(value));
  }
}

}  // namespace

void RuleWindows::Add(const observer::newapi::LogRow& row) {
  if (observer::rules::RowsOf(Rule::kBurst).Selects(row)) {
    Second& second = token_seconds_[{row.token_id, row.created_at}];
    ++second.rows;
    if (row.token_name > second.name) second.name = row.token_name;
  }
  if (observer::rules::RowsOf(Rule::kMultiUserToken).Selects(row)) {
    Window& w = token_clients_[{WindowOf(row.created_at), std::to_string(row.token_id)}];
    w.name = std::max(w.name, row.token_name);
    AddDistinct(&w, {row.user_id, row.ip});
  }
  if (observer::rules::RowsOf(Rule::kIpManyUsers).Selects(row)) {
    AddDistinct(&ip_users_[{WindowOf(row.created_at), row.ip}], {row.user_id, ""});
  }
}

void RuleWindows::AddBurstRowBefore(int64_t token_id, int64_t created_at) { ++seconds_before_[{token_id, created_at}]; }

std::map<int64_t, std::map<int64_t, int64_t>> RuleWindows::token_minutes() const {
  std::map<int64_t, std::map<int64_t, int64_t>> minutes;
  for (const auto& [key, second] : token_seconds_) {
    minutes[key.first][key.second - ((key.second % 60) + 60) % 60] += second.rows;
  }
  return minutes;
}

std::map<int64_t, int64_t> RuleWindows::TokenPeaks() const {
  std::map<int64_t, int64_t> peaks;
  for (const auto& [token, minutes] : token_minutes()) {
    for (const auto& [minute, rows] : minutes) peaks[token] = std::max(peaks[token], rows);
  }
  return peaks;
}

RuleWindows::BurstCounts RuleWindows::BurstWindows() const {
  struct Anchor {
    int64_t at, rows;
    const std::string* name;  // null before the hour: not an anchor of it
  };
  BurstCounts counts;
  for (auto it = token_seconds_.begin(); it != token_seconds_.end();) {
    const int64_t token = it->first.first;
    std::vector<Anchor> seconds;
    for (auto b = seconds_before_.lower_bound({token, INT64_MIN});
         b != seconds_before_.end() && b->first.first == token; ++b) {
      seconds.push_back({b->first.second, b->second, nullptr});
    }
    for (; it != token_seconds_.end() && it->first.first == token; ++it) {
      seconds.push_back({it->first.second, it->second.rows, &it->second.name});
    }
    std::sort(seconds.begin(), seconds.end(), [](const Anchor& a, const Anchor& b) { return a.at < b.at; });
    // The window (a - W, a] of each second a: the rows from the oldest second still in it on.
    int64_t rows = 0;
    size_t oldest = 0;
    for (const Anchor& a : seconds) {
      rows += a.rows;
      for (; seconds[oldest].at <= a.at - observer::rules::kStoredBurstWindowSec; ++oldest)
        rows -= seconds[oldest].rows;
      if (a.name == nullptr || rows < observer::rules::kLeastStoredBurstRows) continue;
      BurstCount& c = counts[{token, rows}];
      if (c.anchors++ == 0) c.first_anchor = a.at;
      c.last_anchor = a.at;
      c.name = std::max(c.name, *a.name);
    }
  }
  return counts;
}

static_assert(observer::rules::Thresholds{}.ip_users_window_sec == kStoredRuleWindowSec);

void RuleWindows::AddToBaselines(observer::rules::BaselineCounts* counts) const {
  for (const auto& [token, minutes] : token_minutes()) {
    for (const auto& [minute, rows] : minutes) counts->AddTokenMinute(token, rows);
  }
  for (const auto& [key, w] : ip_users_) counts->AddIpWindow(key.second, static_cast<int64_t>(w.distinct.size()));
}

std::vector<std::string> RuleWindows::WriteStatements(const observer::agg::AggTables& tables, int64_t hour,
                                                      size_t batch,
                                                      const std::function<std::string(std::string_view)>& quote) const {
  const std::string h = std::to_string(hour), next = std::to_string(hour + 3600);
  std::vector<std::string> statements = {
      "DELETE FROM " + tables.token_minute_peaks() + " WHERE hour = " + h,
      "DELETE FROM " + tables.rule_windows() + " WHERE window_start >= " + h + " AND window_start < " + next};
  std::string values;
  size_t pending = 0;
  auto flush = [&](const std::string& head) {
    if (!values.empty()) statements.push_back(head + values);
    values.clear();
    pending = 0;
  };
  const std::string peaks_head = "INSERT INTO " + tables.token_minute_peaks() + " (hour, token_id, peak) VALUES ";
  for (const auto& [token, peak] : TokenPeaks()) {
    if (peak < observer::rules::kLeastStoredCount) continue;
    values += std::string(values.empty() ? "" : ", ") + "(" + h + ", " + std::to_string(token) + ", " +
              std::to_string(peak) + ")";
    if (++pending >= batch) flush(peaks_head);
  }
  flush(peaks_head);
  const std::string windows_head =
      "INSERT INTO " + tables.rule_windows() + " (rule, window_start, subject, name, distinct_count) VALUES ";
  for (const auto& [rule, windows] :
       {std::pair{Rule::kMultiUserToken, &token_clients_}, {Rule::kIpManyUsers, &ip_users_}}) {
    for (const auto& [key, w] : *windows) {
      if (static_cast<int64_t>(w.distinct.size()) < observer::rules::kLeastStoredCount) continue;
      values += std::string(values.empty() ? "" : ", ") + "('" + observer::rules::RuleName(rule) + "', " +
                std::to_string(key.first) + ", " + quote(key.second) + ", " + quote(w.name) + ", " +
                std::to_string(w.distinct.size()) + ")";
      if (++pending >= batch) flush(windows_head);
    }
  }
  flush(windows_head);
  statements.push_back("DELETE FROM " + tables.burst_windows() + " WHERE hour = " + h);
  const std::string bursts_head = "INSERT INTO " + tables.burst_windows() +
                                  " (hour, token_id, window_rows, anchors, first_anchor, last_anchor, name) VALUES ";
  for (const auto& [key, c] : BurstWindows()) {
    values += std::string(values.empty() ? "" : ", ") + "(" + h + ", " + std::to_string(key.first) + ", " +
              std::to_string(key.second) + ", " + std::to_string(c.anchors) + ", " + std::to_string(c.first_anchor) +
              ", " + std::to_string(c.last_anchor) + ", " + quote(c.name) + ")";
    if (++pending >= batch) flush(bursts_head);
  }
  flush(bursts_head);
  return statements;
}

}  // namespace aggregator
