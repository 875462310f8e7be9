// SQL of the JSON API, in one place: usage over a Plan (agg_usage_hourly for its hourly segments, `logs` for the rest,
// with the counting rules of observer/newapi/usage.h), log rows with a column allow-list, and the per-subject
// breakdowns of an anomaly. Pure: values are numbers, hex literals or validated IP text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/params.h"
#include "api/plan.h"

namespace exporter::api {

// Columns: bucket index (1 = the first bucket), reqs, tokens, [users, tokens_cnt,] quota, errors; only buckets with
// requests. users and tokens_cnt (distinct non-zero user and token ids) only when distinct is set.
std::string UsageByBucketSql(const Plan& plan, const Filters& filters, const std::string& hourly_table, bool distinct);

// Columns: key, name, user_id (token owner; NULL otherwise), reqs, tokens, quota, errors; the first `limit` keys by
// the metric, then by key.
std::string TopSql(const Plan& plan, const Filters& filters, const std::string& hourly_table, Dimension by,
                   Metric metric, int limit);

// A condition on `logs` selecting a subject: "user_id = 5", "token_id = 7", "ip = '10.0.0.1'", "id = 9".
std::string SubjectCondition(LogSubject subject, const std::string& value);
std::string RequestCondition(int64_t id);

// The newest rows of a subject in [start, end), newest first: newapi::kLogColumns (never content) and request_id.
std::string LogRowsSql(const std::string& condition, Range range, int limit);

// One breakdown of a subject's rows in [start, end): key, label, requests; the largest first.
enum class Breakdown { kIps, kUsers, kModels, kChannels };
std::string BreakdownSql(Breakdown by, const std::string& condition, Range range, int limit);

// True for text that can only be an IPv4 or IPv6 address (hex digits, dots, colons).
bool LooksLikeIp(std::string_view text);

}  // namespace exporter::api
