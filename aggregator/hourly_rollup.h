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

// The key of a usage table: agg_usage_hourly's whole key, or one of its rollups' (by user, by token, by model,
// channel, group and stream). A rollup's HourKey keeps only its own columns; the others stay zero or empty.
enum class KeyShape { kUsage, kByUser, kByToken, kByModelChannel };
// Its key columns after hour: "user_id", ...
std::string KeyColumnsOf(KeyShape shape);
// The usage rows summed into a rollup's keys (the largest of a largest-value measure), as agg_usage_hourly's
// GROUP BY would.
HourRows RollupOf(const HourRows& rows, KeyShape shape);
// INSERT INTO table (hour, its key columns, measures) ... VALUES (...), ... upsert_clause (absolute values), at most
// batch rows per statement, in key order. Keys whose sums equal those in `stored` are left out.
std::vector<std::string> UpsertRows(const HourRows& rows, KeyShape shape, const std::string& table, size_t batch,
                                    const std::function<std::string(std::string_view)>& quote,
                                    std::string_view upsert_clause, const HourRows& stored = {});
// The key of a table's row: its key columns in KeyColumnsOf order, quoted.
std::string KeyValuesOf(const HourKey& key, KeyShape shape, const std::function<std::string(std::string_view)>& quote);

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
