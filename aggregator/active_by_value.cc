// agg_active_by_value from the finalized hours' usage rows.
#include "active_by_value.h"

#include <algorithm>
#include <set>

namespace aggregator {
namespace {

using observer::agg::kActiveHoursCap;

// One text per (dimension, kind, subject, value): the record's key.
std::string EntryOf(char dimension, char kind, int64_t subject, const std::string& value) {
  std::string entry{dimension, kind};
  entry += std::to_string(subject);
  entry += '\x1f';
  entry += value;
  return entry;
}

const char* DimensionName(char d) { return d == 'm' ? "model" : d == 'c' ? "channel" : "group"; }

}  // namespace

template <typename F>
void ActiveByValue::ForEachActive(const HourKey& key, int64_t reqs, F&& f) {
  if (reqs <= 0) return;  // refund-only keys have no requests
  const std::string channel = std::to_string(key.channel_id);
  for (const auto& [dimension, value] :
       {std::pair<char, const std::string*>{'m', &key.model_name}, {'c', &channel}, {'g', &key.group}}) {
    if (key.user_id != 0) f(dimension, *value, 'u', key.user_id);
    if (key.token_id != 0) f(dimension, *value, 't', key.token_id);
  }
}

void ActiveByValue::StartRebuild() {
  last_.clear();
  until_ = kNone;
}

void ActiveByValue::Note(const HourKey& key, int64_t reqs) {
  ForEachActive(key, reqs, [&](char dimension, const std::string& value, char kind, int64_t subject) {
    int64_t& last = last_[EntryOf(dimension, kind, subject, value)];
    last = std::max(last, key.hour);
  });
}

ActiveByValue::Counts ActiveByValue::CountsOf(int64_t hour, const HourRows& rows) const {
  std::set<std::string> seen;  // each (value, subject) once per hour
  Counts counts;
  for (const auto& [key, sums] : rows) {
    ForEachActive(key, sums.reqs, [&](char dimension, const std::string& value, char kind, int64_t subject) {
      std::string entry = EntryOf(dimension, kind, subject, value);
      const auto last = last_.find(entry);
      if (!seen.insert(std::move(entry)).second) return;
      int64_t since = kActiveHoursCap;
      if (last != last_.end() && last->second >= hour - kActiveHoursCap * kHourSeconds && last->second < hour) {
        since = (hour - last->second) / kHourSeconds;
      }
      ++counts[{DimensionName(dimension), value, kind == 'u' ? "user" : "token", since}];
    });
  }
  return counts;
}

void ActiveByValue::Remember(int64_t hour, const HourRows& rows) {
  for (const auto& [key, sums] : rows) Note(key, sums.reqs);
  // Hours older than the cap count as never: forget them.
  const int64_t oldest = hour + kHourSeconds - kActiveHoursCap * kHourSeconds;
  for (auto it = last_.begin(); it != last_.end();) it = it->second < oldest ? last_.erase(it) : std::next(it);
  until_ = hour + kHourSeconds;
}

std::vector<std::string> ActiveByValue::WriteStatements(const observer::agg::AggTables& tables, int64_t hour,
                                                        const Counts& counts, size_t batch,
                                                        const std::function<std::string(std::string_view)>& quote) {
  const std::string h = std::to_string(hour);
  std::vector<std::string> statements = {"DELETE FROM " + tables.active_by_value() + " WHERE hour = " + h};
  std::string values;
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
    values += std::string(values.empty() ? "" : ", ") + "('" + dimension + "', " + quote(value) + ", " + h + ", '" +
              kind + "', " + std::to_string(since) + ", " + std::to_string(active) + ")";
    if (++pending >= batch) flush();
  }
  flush();
  return statements;
}

}  // namespace aggregator
