// SQL of the JSON API, in one place: usage over a Plan (for its hourly segments the smallest hourly table whose key
// covers the question: agg_usage_hourly, its rollups by user, token or model/channel, agg_active_hourly for distinct
// counts; `logs` for the rest, with the counting rules of observer/newapi/usage.h), log rows with a column
// allow-list, and the per-subject breakdowns of an anomaly. Pure: values are numbers, the dialect's text literals or
// validated IP text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/params.h"
#include "api/plan.h"
#include "observer/agg_tables.h"

namespace exporter::api {

// Which hourly tables a query may read: agg_usage_hourly, or also its rollups when they cover every finalized hour
// (rollups_ready) and the exporter's account may read them; agg_active_by_value for the finalized hours from
// active_values_from on (kNone: not at all).
struct HourlySources {
  const observer::agg::AggTables& tables;
  bool rollups = false;
  int64_t active_values_from = observer::agg::Progress::kNone;
};

// Distinct users and tokens of the plan's wholly hourly buckets come from agg_active_hourly (ActiveSql) for unfiltered
// questions over the rollups, and from agg_active_by_value for a filter on one model, channel or group when it holds
// those buckets' hours; otherwise DistinctByBucketSql counts every bucket.
bool CountsFromActive(const Plan& plan, const Filters& filters, const HourlySources& sources);

// Columns: bucket index (1 = the first bucket), reqs, tokens, quota, errors; only buckets with requests.
std::string UsageByBucketSql(const Plan& plan, const Filters& filters, const HourlySources& sources);

// Columns: bucket index, users, tokens_cnt (distinct non-zero user and token ids) of the buckets CountsFromActive
// leaves out (all of them when it is false); "" when there are none.
std::string DistinctByBucketSql(const Plan& plan, const Filters& filters, const HourlySources& sources);

// Columns: kind ('user' or 'token'), hour, hours_since_last, active: the agg_active_hourly rows (agg_active_by_value's
// of the filter's value when filtered) of plan.hourly_whole (see NewInBucket); "" when it is empty.
std::string ActiveSql(const Plan& plan, const Filters& filters, const HourlySources& sources);

// Columns: key, reqs, tokens, quota, errors; the first `limit` keys by the metric, then by key. Names come from
// EntityNames (users, tokens and channels may live in another database than logs).
std::string TopSql(const Plan& plan, const Filters& filters, const HourlySources& sources, Dimension by, Metric metric,
                   int limit);

// A condition on `logs` selecting a subject: "user_id = 5", "token_id = 7", "ip = '10.0.0.1'", "id = 9".
std::string SubjectCondition(const observer::Dialect& d, LogSubject subject, const std::string& value);
std::string RequestCondition(int64_t id);

// The newest rows of a subject in [start, end), newest first: newapi::kLogColumns (never content) and request_id.
std::string LogRowsSql(const std::string& condition, Range range, int limit);

// One breakdown of a subject's rows in [start, end): key, label, requests; the largest first.
enum class Breakdown { kIps, kUsers, kModels, kChannels };
std::string BreakdownSql(const observer::Dialect& d, Breakdown by, const std::string& condition, Range range,
                         int limit);

// True for text that can only be an IPv4 or IPv6 address (hex digits, dots, colons).
bool LooksLikeIp(std::string_view text);

}  // namespace exporter::api
