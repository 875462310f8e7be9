// burst's, multi_user_token's and ip_many_users's per-hour tables, computed from one hour's logs rows.
#include "rule_windows.h"

#include <algorithm>

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
    ++token_minutes_[{row.token_id, row.created_at - ((row.created_at % 60) + 60) % 60}];
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

std::map<int64_t, int64_t> RuleWindows::TokenPeaks() const {
  std::map<int64_t, int64_t> peaks;
  for (const auto& [key, rows] : token_minutes_) {
    int64_t& peak = peaks[key.first];
    peak = std::max(peak, rows);
  }
  return peaks;
}

static_assert(observer::rules::Thresholds{}.ip_users_window_sec == kStoredRuleWindowSec);

void RuleWindows::AddToBaselines(observer::rules::BaselineCounts* counts) const {
  for (const auto& [key, rows] : token_minutes_) counts->AddTokenMinute(key.first, rows);
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
  return statements;
}

}  // namespace aggregator
