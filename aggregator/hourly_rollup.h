// Sums `logs` rows into agg_usage_hourly rows, keyed by (hour, user, token, model, channel, group, stream), and
// writes them as absolute-value upserts. Pure: the SQL text is built with a caller-supplied quoting function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "observer/newapi/logs.h"
#include "observer/newapi/usage.h"

namespace aggregator {

inline constexpr int64_t kHourSeconds = 3600;
inline int64_t HourOf(int64_t unix_seconds) {
  return unix_seconds >= 0 ? unix_seconds / kHourSeconds * kHourSeconds
                           : (unix_seconds - kHourSeconds + 1) / kHourSeconds * kHourSeconds;
}

struct HourKey {
  int64_t hour = 0;
  int64_t user_id = 0;
  int64_t token_id = 0;
  std::string model_name;
  int64_t channel_id = 0;
  std::string group;
  bool is_stream = false;
  bool operator==(const HourKey&) const = default;
};

struct HourKeyHash {
  size_t operator()(const HourKey& key) const;
};

using HourRows = std::unordered_map<HourKey, observer::newapi::UsageSums, HourKeyHash>;

class HourlyRollup {
 public:
  // Adds a row if it is usage (consume, error, refund); returns whether it was.
  bool Add(const observer::newapi::LogRow& row);
  const HourRows& rows() const { return rows_; }
  void Clear() { rows_.clear(); }

  // INSERT INTO table ... VALUES (...), ... upsert_clause (observer::agg::UsageUpsertClause: absolute values), at most
  // batch rows per statement. Keys whose sums equal those in `stored` (what the table holds) are left out, so that a
  // pass sends only what changed.
  std::vector<std::string> UpsertStatements(const std::string& table, size_t batch,
                                            const std::function<std::string(std::string_view)>& quote,
                                            std::string_view upsert_clause, const HourRows& stored = {}) const;

 private:
  HourRows rows_;
};

}  // namespace aggregator
