// agg_active_hourly and agg_active_by_value (the same per model, channel and group) from each finalized hour's usage
// rows and an in-memory record of when each (value, user or token) last had requests over the 25 hours before.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "hourly_rollup.h"
#include "observer/agg_tables.h"

namespace aggregator {

class ActiveByValue {
 public:
  // (dimension, value, kind, hours_since_last) -> subjects; dimension 'model', 'channel' or 'group', kind 'user' or
  // 'token', as agg_active_by_value keeps them, or dimension 'all' (value '') for agg_active_hourly.
  using Counts = std::map<std::tuple<std::string, std::string, std::string, int64_t>, int64_t>;

  // Whether the record holds exactly the hours before `hour` (else Rebuild it first).
  bool ReadyFor(int64_t hour) const { return until_ == hour; }
  // Starts a record of the hours [hour - kActiveHoursCap hours, hour): Note each of their usage keys, then
  // FinishRebuild(hour).
  void StartRebuild();
  void Note(const HourKey& key, int64_t reqs);
  void FinishRebuild(int64_t hour) { until_ = hour; }
  // The hour's counts from all its usage rows; the record must be ReadyFor(hour).
  Counts CountsOf(int64_t hour, const HourRows& rows);
  // Adds the hour to the record (once its rows are written).
  void Remember(int64_t hour, const HourRows& rows);
  // After a failed write: the record is rebuilt before its next use.
  void Invalidate() { until_ = kNone; }

  // The statements that replace the hour's rows of agg_active_hourly and agg_active_by_value with these counts.
  static std::vector<std::string> WriteStatements(const observer::agg::AggTables& tables, int64_t hour,
                                                  const Counts& counts, size_t batch,
                                                  const std::function<std::string(std::string_view)>& quote);

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  // One (dimension, value, kind, subject): value_kind = the (dimension, value)'s number in values_ x 2 + the kind.
  struct Entry {
    uint64_t value_kind;
    int64_t subject;
    bool operator==(const Entry&) const = default;
  };
  struct EntryHash {
    size_t operator()(const Entry& e) const {
      return std::hash<uint64_t>()(e.value_kind * 0x9e3779b97f4a7c15ULL ^ e.subject);
    }
  };
  // Calls f(entry) for each (value, subject) the key's requests make active.
  template <typename F>
  void ForEachActive(const HourKey& key, int64_t reqs, F&& f);
  uint64_t ValueNumber(int dimension, const std::string& value);

  int64_t until_ = kNone;
  std::unordered_map<Entry, int64_t, EntryHash> last_;      // the last hour with requests
  std::map<std::pair<int, std::string>, uint64_t> values_;  // (dimension, value) -> its number
  std::vector<std::pair<int, std::string>> value_names_;    // by number
};

}  // namespace aggregator
