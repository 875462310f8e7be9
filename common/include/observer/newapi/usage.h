// How a `logs` row counts as usage: the one definition shared by the exporter's counters, the aggregator's hourly
// table and the JSON API's reads of recent `logs`, so the three always agree. kUsageMeasures is that definition;
// AddUsage applies it to a row in C++, UsageRowSql writes it as SQL. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "observer/newapi/logs.h"

namespace observer::newapi {

struct UsageSums {
  int64_t reqs = 0;               // consume and error rows
  int64_t errors = 0;             // error rows
  int64_t prompt_tokens = 0;      // consume rows
  int64_t completion_tokens = 0;  // consume rows
  int64_t cached_tokens = 0;      // consume rows, other.cache_tokens (part of prompt_tokens)
  int64_t quota = 0;              // consume rows; a negative quota (a correction) counts as 0
  int64_t refunded_quota = 0;     // refund rows
  int64_t use_time_sum = 0;       // consume rows, seconds
  int64_t use_time_max = 0;       // consume rows, seconds

  void Add(const UsageSums& other);
  bool operator==(const UsageSums&) const = default;
};

// What a measure takes of each row of its types: 1 (the row) or a value, a negative value counting as 0.
enum class UsageSource { kRow, kPromptTokens, kCompletionTokens, kCacheTokens, kQuota, kUseTime };

// One usage measure: a UsageSums member and the agg_usage_hourly column of the same name.
struct UsageMeasure {
  const char* column;
  int64_t UsageSums::*member;
  LogTypes types;  // the rows it counts
  UsageSource source;
  bool largest = false;  // the largest value, not the sum
};

// The measures in column order (agg_usage_hourly and its rollups).
inline constexpr UsageMeasure kUsageMeasures[] = {
    {"reqs", &UsageSums::reqs, {kLogConsume, kLogError}, UsageSource::kRow},
    {"errors", &UsageSums::errors, {kLogError}, UsageSource::kRow},
    {"prompt_tokens", &UsageSums::prompt_tokens, {kLogConsume}, UsageSource::kPromptTokens},
    {"completion_tokens", &UsageSums::completion_tokens, {kLogConsume}, UsageSource::kCompletionTokens},
    {"cached_tokens", &UsageSums::cached_tokens, {kLogConsume}, UsageSource::kCacheTokens},
    {"quota", &UsageSums::quota, {kLogConsume}, UsageSource::kQuota},
    {"refunded_quota", &UsageSums::refunded_quota, {kLogRefund}, UsageSource::kQuota},
    {"use_time_sum", &UsageSums::use_time_sum, {kLogConsume}, UsageSource::kUseTime},
    {"use_time_max", &UsageSums::use_time_max, {kLogConsume}, UsageSource::kUseTime, true},
};

// The rows that are usage: the types any measure counts (consume, error, refund).
constexpr LogTypes UsageTypes() {
  LogTypes all;
  for (const UsageMeasure& m : kUsageMeasures) all = all | m.types;
  return all;
}
inline constexpr LogTypes kUsageTypes = UsageTypes();

// True for the usage types; adds the row's contribution to *sums.
bool AddUsage(const LogRow& row, UsageSums* sums);

// The measure of a UsageSums member.
const UsageMeasure& UsageMeasureOf(int64_t UsageSums::*member);

// One measure's contribution of a `logs` row as a SQL expression (CASE on type), to be summed: the SQL form of
// AddUsage. cached_tokens has none (it is parsed from `other`): "" for it.
std::string UsageRowSql(int64_t UsageSums::*member);

}  // namespace observer::newapi
