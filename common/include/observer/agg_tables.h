// SQL for newapi-observer's own tables (schema/observer-tables.sql): the aggregator writes them, the exporter reads
// them for its restart-safe counter baseline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "observer/mysql_client.h"

namespace observer::agg {

// The observer's tables, qualified with the database that holds them (AGG_DB_NAME; by default new-api's own).
class AggTables {
 public:
  explicit AggTables(const std::string& database)
      : database_(database),
        usage_(QuoteIdentifier(database) + ".`agg_usage_hourly`"),
        state_(QuoteIdentifier(database) + ".`agg_state`") {}

  const std::string& database() const { return database_; }
  const std::string& usage() const { return usage_; }
  const std::string& state() const { return state_; }

  std::string ReadFinalizedUntilSql() const { return "SELECT value FROM " + state_ + " WHERE name = 'finalized_until'"; }
  std::string WriteFinalizedUntilSql(int64_t value, int64_t now) const {
    return "INSERT INTO " + state_ + " (name, value, updated_at) VALUES ('finalized_until', " + std::to_string(value) +
           ", " + std::to_string(now) + ") ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at)";
  }

  // Totals per exporter label set over the finalized hours (hour < boundary).
  std::string BaselineSql(int64_t boundary) const {
    return "SELECT model_name, channel_id, `group`, is_stream, SUM(reqs), SUM(errors), SUM(prompt_tokens), "
           "SUM(completion_tokens), SUM(cached_tokens), SUM(quota), SUM(refunded_quota), SUM(use_time_sum), "
           "MAX(use_time_max) FROM " + usage_ + " WHERE hour < " + std::to_string(boundary) +
           " GROUP BY model_name, channel_id, `group`, is_stream";
  }

 private:
  std::string database_;
  std::string usage_;
  std::string state_;
};

inline constexpr std::string_view kUpsertColumns =
    "hour, user_id, token_id, model_name, channel_id, `group`, is_stream, reqs, errors, prompt_tokens, "
    "completion_tokens, cached_tokens, quota, refunded_quota, use_time_sum, use_time_max";

// Absolute values: a re-run writes the same numbers, never adds to them.
inline constexpr std::string_view kUpsertUpdate =
    " ON DUPLICATE KEY UPDATE reqs = VALUES(reqs), errors = VALUES(errors), prompt_tokens = VALUES(prompt_tokens), "
    "completion_tokens = VALUES(completion_tokens), cached_tokens = VALUES(cached_tokens), quota = VALUES(quota), "
    "refunded_quota = VALUES(refunded_quota), use_time_sum = VALUES(use_time_sum), "
    "use_time_max = VALUES(use_time_max)";

}  // namespace observer::agg
