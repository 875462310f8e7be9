// agg_active_hourly and agg_active_by_value from the finalized hours' usage rows.
#include "active_by_value.h"

#include <algorithm>
#include <unordered_set>

namespace aggregator {
namespace {

using observer::agg::kActiveHoursCap;

constexpr const char* kDimensions[] = {"model", "channel", "group", "all"};
constexpr const char* kAll = "all";
constexpr int kUser = 0, kToken = 1;

}  // namespace

uint64_t ActiveByValue::ValueNumber(int dimension, const std::string& value) {
  auto [it, fresh] = values_.try_emplace({dimension, value}, value_names_.size());
  if (fresh) value_names_.emplace_back(dimension, value);
  return it->second;
}

template <typename F>
void ActiveByValue::ForEachActive(const HourKey& key, int64_t reqs, F&& f) {
  if (reqs <= 0) return;  // refund-only keys have no requests
  const uint64_t values[] = {ValueNumber(0, key.model_name), ValueNumber(1, std::to_string(key.channel_id)),
                             ValueNumber(2, key.group), ValueNumber(3, "")};
  for (uint64_t value : values) {
    if (key.user_id != 0) f(Entry{value * 2 + kUser, key.user_id});
    if (key.token_id != 0) f(Entry{value * 2 + kToken, key.token_id});
  }
}

void ActiveByValue::StartRebuild() {
  last_.clear();
  until_ = kNone;
}

void ActiveByValue::Note(const HourKey& key, int64_t reqs) {
  ForEachActive(key, reqs, [&](const Entry& e) {
    int64_t& last = last_[e];
    last = std::max(last, key.hour);
  });
}

ActiveByValue::Counts ActiveByValue::CountsOf(int64_t hour, const HourRows& rows) {
  std::unordered_set<Entry, EntryHash> seen;                 // each (value, subject) once per hour
  std::map<std::pair<uint64_t, int64_t>, int64_t> numbered;  // (value and kind, hours_since_last) -> subjects
  for (const auto& [key, sums] : rows) {
    ForEachActive(key, sums.reqs, [&](const Entry& e) {
      if (!seen.insert(e).second) return;
      int64_t since = kActiveHoursCap;
      if (const auto last = last_.find(e);
          last != last_.end() && last->second >= hour - kActiveHoursCap * kHourSeconds && last->second < hour) {
        since = (hour - last->second) / kHourSeconds;
      }
      ++numbered[{e.value_kind, since}];
    });
  }
  Counts counts;
  for (const auto& [value_since, subjects] : numbered) {
    const auto& [dimension, value] = value_names_[value_since.first / 2];
    counts[{kDimensions[dimension], value, value_since.first % 2 == kUser ? "user" : "token", value_since.second}] =
        subjects;
  }
  return counts;
}

void ActiveByValue::Remember(int64_t hour, const HourRows& rows) {
  for (const auto& [key, sums] : rows) Note(key, sums.reqs);
  until_ = hour + kHourSeconds;
  // Hours older than the cap count as never (CountsOf ignores them): forget them once a day.
  if (hour % 86400 != 0) return;
  const int64_t oldest = until_ - kActiveHoursCap * kHourSeconds;
  for (auto it = last_.begin(); it != last_.end();) it = it->second < oldest ? last_.erase(it) : std::next(it);
}

std::vector<std::string> ActiveByValue::WriteStatements(const observer::agg::AggTables& tables, int64_t hour,
                                                        const Counts& counts, size_t batch,
                                                        const std::function<std::string(std::string_view)>& quote) {
  const std::string h = std::to_string(hour);
  std::vector<std::string> statements = {"DELETE FROM " + tables.active() + " WHERE hour = " + h,
                                         "DELETE FROM " + tables.active_by_value() + " WHERE hour = " + h};
  std::string all_values, values;
  size_t pending = 0;
  auto flush = [&] {
    if (values.empty()) return;
    statements.push_back("INSERT INTO " + tables.active_by_value() +
                         " (dimension, value, hour, kind, hours_since_last, active) VALUES " + values);
    values.clear();
    pending = 0;
  };
  for (const auto& [key, active] : counts) {
    const auto& [dimension, value, kind, since] = key;
    const std::string counted = "'" + kind + "', " + std::to_string(since) + ", " + std::to_string(active) + ")";
    if (dimension == kAll) {  // a few dozen rows per hour
      all_values += std::string(all_values.empty() ? "" : ", ") + "(" + h + ", " + counted;
      continue;
    }
    values +=
        std::string(values.empty() ? "" : ", ") + "('" + dimension + "', " + quote(value) + ", " + h + ", " + counted;
    if (++pending >= batch) flush();
  }
  flush();
  if (!all_values.empty()) {
    statements.push_back("INSERT INTO " + tables.active() + " (hour, kind, hours_since_last, active) VALUES " +
                         all_values);
  }
  return statements;
}

}  // namespace aggregator
