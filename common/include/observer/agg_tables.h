// SQL for newapi-observer's own tables (schema/observer-tables.sql): the aggregator writes them, the exporter reads
// them for its restart-safe counter baseline.
#pragma once

#include <string_view>

namespace observer::agg {

inline constexpr std::string_view kFinalizedUntilKey = "finalized_until";

inline constexpr std::string_view kReadFinalizedUntilSql =
    "SELECT value FROM agg_state WHERE name = 'finalized_until'";

// Totals per exporter label set over the finalized hours; append the boundary ("hour < F").
inline constexpr std::string_view kBaselineSqlPrefix =
    "SELECT model_name, channel_id, `group`, is_stream, SUM(reqs), SUM(errors), SUM(prompt_tokens), "
    "SUM(completion_tokens), SUM(cached_tokens), SUM(quota), SUM(refunded_quota), SUM(use_time_sum), "
    "MAX(use_time_max) FROM agg_usage_hourly WHERE hour < ";
inline constexpr std::string_view kBaselineSqlSuffix = " GROUP BY model_name, channel_id, `group`, is_stream";

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
