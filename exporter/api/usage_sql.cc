// The JSON API's SQL builders.
#include "api/usage_sql.h"

#include <optional>

#include "observer/db_client.h"
#include "observer/newapi/logs.h"
#include "observer/newapi/usage.h"

namespace exporter::api {
namespace {

using observer::Dialect;

std::string Str(int64_t v) { return std::to_string(v); }

// The API's usage metrics, each the sum of usage measures (usage.h): read from the hourly tables' columns or from
// `logs` rows by the measures' own SQL, named alike so the union adds them up.
using observer::newapi::UsageSums;
struct UsageMetric {
  const char* name;
  std::vector<int64_t UsageSums::*> measures;
};
const UsageMetric kUsageMetrics[] = {{"reqs", {&UsageSums::reqs}},
                                     {"tokens", {&UsageSums::prompt_tokens, &UsageSums::completion_tokens}},
                                     {"quota", {&UsageSums::quota}},
                                     {"errors", {&UsageSums::errors}}};

// hourly: SUM(reqs) AS reqs, SUM(prompt_tokens + completion_tokens) AS tokens, ...; logs: the same of each row.
std::string MetricsSql(bool hourly) {
  std::string out;
  for (const UsageMetric& metric : kUsageMetrics) {
    std::string sum;
    for (auto member : metric.measures) {
      sum += (sum.empty() ? "" : " + ") + (hourly ? std::string(observer::newapi::UsageMeasureOf(member).column)
                                                  : observer::newapi::UsageRowSql(member));
    }
    out += (out.empty() ? "SUM(" : ", SUM(") + sum + ") AS " + metric.name;
  }
  return out;
}

// The rows that are requests: logs of the request types; hourly keys with requests (refund-only keys have none).
std::string LogsRows() { return observer::newapi::UsageMeasureOf(&UsageSums::reqs).types.Sql(); }
constexpr std::string_view kHourlyRows = "reqs > 0";

std::string Segments(const char* column, const std::vector<Segment>& segments) {
  std::string out;
  for (const Segment& s : segments) {
    out += std::string(out.empty() ? "(" : " OR ") + "(" + column + " >= " + Str(s.start) + " AND " + column + " < " +
           Str(s.end) + ")";
  }
  return out + ")";
}

std::vector<Segment> Joined(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  std::vector<Segment> out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Filters agg_usage_hourly_by_model_channel can answer (it has no user or token).
bool ModelChannelFiltered(const Filters& f) { return f.model || f.channel || f.group; }
bool Unfiltered(const Filters& f) { return !ModelChannelFiltered(f) && !f.user && !f.token; }

std::string FilterSql(const Dialect& d, const Filters& f, bool hourly) {
  std::string out;
  if (f.model)
    out += hourly ? " AND model_name = " + d.TextLiteral(*f.model)
                  : " AND " + d.Exact("COALESCE(model_name, '')") + " = " + d.TextLiteral(*f.model);
  if (f.channel) out += (hourly ? " AND channel_id = " : " AND COALESCE(channel_id, 0) = ") + Str(*f.channel);
  if (f.group)
    out += hourly ? " AND \"group\" = " + d.TextLiteral(*f.group)
                  : " AND " + d.Exact("COALESCE(\"group\", '')") + " = " + d.TextLiteral(*f.group);
  if (f.user) out += (hourly ? " AND user_id = " : " AND COALESCE(user_id, 0) = ") + Str(*f.user);
  if (f.token) out += (hourly ? " AND token_id = " : " AND COALESCE(token_id, 0) = ") + Str(*f.token);
  return out;
}

std::string BucketExpr(const Dialect& d, const char* column, const Plan& plan) {
  return d.BucketIndex(column, plan.bucket_starts);
}

std::string GroupBy(int keys) {
  std::string out = " GROUP BY 1";
  for (int i = 2; i <= keys; ++i) out += ", " + Str(i);
  return out;
}

// One part of a union: SELECT columns FROM table over the segments (hourly tables: hours with requests; logs:
// consume and error rows), filtered, grouped by its first `keys` columns; "" without segments.
std::string HourlyPart(const Dialect& d, const std::string& columns, const std::string& table,
                       const std::vector<Segment>& segments, const Filters& filters, int keys) {
  if (segments.empty()) return "";
  return "SELECT " + columns + " FROM " + table + " WHERE " + Segments("hour", segments) + " AND " +
         std::string(kHourlyRows) + FilterSql(d, filters, true) + GroupBy(keys);
}
std::string LogsPart(const Dialect& d, const std::string& columns, const Plan& plan, const Filters& filters, int keys) {
  if (plan.logs.empty()) return "";
  return "SELECT " + columns + " FROM logs WHERE " + Segments("created_at", plan.logs) + " AND " + LogsRows() +
         FilterSql(d, filters, false) + GroupBy(keys);
}
std::string UnionAll(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    if (!part.empty()) out += (out.empty() ? "" : " UNION ALL ") + part;
  }
  return out;
}

// The hourly table that answers sums by the given key: the smallest rollup whose key covers it and the filters.
// by_user and by_token hold one column each: the key or the filter (a user's series, a user's Top by user).
const std::string& SumsTable(const HourlySources& sources, const Filters& filters, std::optional<Dimension> by) {
  const observer::agg::AggTables& t = sources.tables;
  if (!sources.rollups) return t.usage();
  const bool user_only = !filters.token && (by == Dimension::kUser || (!by && filters.user));
  const bool token_only = !filters.user && (by == Dimension::kToken || (!by && filters.token));
  if (!ModelChannelFiltered(filters) && user_only) return t.usage_by_user();
  if (!ModelChannelFiltered(filters) && token_only) return t.usage_by_token();
  if (by == Dimension::kUser || by == Dimension::kToken || filters.user || filters.token) return t.usage();
  return t.usage_by_model_channel();
}

}  // namespace

bool CountsFromActive(const Plan& plan, const Filters& filters, const HourlySources& sources) {
  if (!sources.rollups) return false;
  if (Unfiltered(filters)) return true;
  const bool one_value = !filters.user && !filters.token &&
                         (filters.model ? 1 : 0) + (filters.channel ? 1 : 0) + (filters.group ? 1 : 0) == 1;
  return one_value && sources.active_values_from != observer::agg::Progress::kNone &&
         (plan.hourly_whole.empty() || plan.hourly_whole.front().start >= sources.active_values_from);
}

std::string UsageByBucketSql(const Plan& plan, const Filters& filters, const HourlySources& sources) {
  const Dialect& d = sources.tables.dialect();
  const std::string measures = MetricsSql(true);
  return "SELECT k, SUM(reqs), SUM(tokens), SUM(quota), SUM(errors) FROM (" +
         UnionAll({HourlyPart(d, BucketExpr(d, "hour", plan) + " AS k, " + measures,
                              SumsTable(sources, filters, std::nullopt), Joined(plan.hourly_whole, plan.hourly_mixed),
                              filters, 1),
                   LogsPart(d, BucketExpr(d, "created_at", plan) + " AS k, " + MetricsSql(false), plan, filters, 1)}) +
         ") u GROUP BY k ORDER BY k";
}

std::string DistinctByBucketSql(const Plan& plan, const Filters& filters, const HourlySources& sources) {
  const Dialect& d = sources.tables.dialect();
  const std::string k = BucketExpr(d, "hour", plan) + " AS k";
  std::vector<std::string> parts;
  if (CountsFromActive(plan, filters, sources) && Unfiltered(filters)) {
    parts.push_back(
        HourlyPart(d, k + ", user_id, 0 AS token_id", sources.tables.usage_by_user(), plan.hourly_mixed, filters, 2));
    parts.push_back(
        HourlyPart(d, k + ", 0 AS user_id, token_id", sources.tables.usage_by_token(), plan.hourly_mixed, filters, 3));
  } else if (CountsFromActive(plan, filters, sources)) {
    parts.push_back(HourlyPart(d, k + ", user_id, token_id", sources.tables.usage(), plan.hourly_mixed, filters, 3));
  } else {
    parts.push_back(HourlyPart(d, k + ", user_id, token_id", sources.tables.usage(),
                               Joined(plan.hourly_whole, plan.hourly_mixed), filters, 3));
  }
  parts.push_back(LogsPart(d,
                           BucketExpr(d, "created_at", plan) + " AS k, COALESCE(user_id, 0) AS user_id, "
                                                               "COALESCE(token_id, 0) AS token_id",
                           plan, filters, 3));
  const std::string rows = UnionAll(parts);
  if (rows.empty()) return "";
  return "SELECT k, COUNT(DISTINCT NULLIF(user_id, 0)), COUNT(DISTINCT NULLIF(token_id, 0)) FROM (" + rows +
         ") u GROUP BY k ORDER BY k";
}

std::string ActiveSql(const Plan& plan, const Filters& filters, const HourlySources& sources) {
  if (plan.hourly_whole.empty()) return "";
  const Dialect& d = sources.tables.dialect();
  std::string value;
  if (filters.model) value = "dimension = 'model' AND value = " + d.TextLiteral(*filters.model);
  if (filters.channel) value = "dimension = 'channel' AND value = " + d.TextLiteral(Str(*filters.channel));
  if (filters.group) value = "dimension = 'group' AND value = " + d.TextLiteral(*filters.group);
  return "SELECT kind, hour, hours_since_last, active FROM " +
         (value.empty() ? sources.tables.active() : sources.tables.active_by_value() + " WHERE " + value + " AND") +
         (value.empty() ? " WHERE " : " ") + Segments("hour", plan.hourly_whole);
}

std::string TopSql(const Plan& plan, const Filters& filters, const HourlySources& sources, Dimension by, Metric metric,
                   int limit) {
  const Dialect& d = sources.tables.dialect();
  std::string hourly_key, logs_key;
  switch (by) {
    case Dimension::kUser:
      hourly_key = "user_id";
      logs_key = "COALESCE(user_id, 0)";
      break;
    case Dimension::kToken:
      hourly_key = "token_id";
      logs_key = "COALESCE(token_id, 0)";
      break;
    case Dimension::kModel:
      hourly_key = d.Exact("model_name");
      logs_key = d.Exact("COALESCE(model_name, '')");
      break;
    case Dimension::kChannel:
      hourly_key = "channel_id";
      logs_key = "COALESCE(channel_id, 0)";
      break;
  }
  return "SELECT k, SUM(reqs) AS reqs, SUM(tokens) AS tokens, SUM(quota) AS quota, SUM(errors) AS errors FROM (" +
         UnionAll({HourlyPart(d, hourly_key + " AS k, " + MetricsSql(true), SumsTable(sources, filters, by),
                              Joined(plan.hourly_whole, plan.hourly_mixed), filters, 1),
                   LogsPart(d, logs_key + " AS k, " + MetricsSql(false), plan, filters, 1)}) +
         ") u GROUP BY k ORDER BY " + MetricName(metric) + " DESC, k LIMIT " + Str(limit);
}

bool LooksLikeIp(std::string_view text) {
  if (text.empty() || text.size() > 45) return false;
  for (char c : text) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string SubjectCondition(const Dialect& d, LogSubject subject, const std::string& value) {
  switch (subject) {
    case LogSubject::kUser: return "user_id = " + Str(std::stoll(value));
    case LogSubject::kToken: return "token_id = " + Str(std::stoll(value));
    // Validated addresses as text, so idx_logs_ip serves them; anything else byte for byte.
    case LogSubject::kIp: return "ip = " + (LooksLikeIp(value) ? "'" + value + "'" : d.TextLiteral(value));
  }
  return "FALSE";
}

std::string RequestCondition(int64_t id) { return "id = " + Str(id); }

std::string LogRowsSql(const std::string& condition, Range range, int limit) {
  return "SELECT " + std::string(observer::newapi::kLogColumns) +
         ", request_id FROM logs WHERE created_at >= " + Str(range.start) + " AND created_at < " + Str(range.end) +
         " AND " + condition + " ORDER BY created_at DESC, id DESC LIMIT " + Str(limit);
}

std::string BreakdownSql(const Dialect& d, Breakdown by, const std::string& condition, Range range, int limit) {
  std::string columns;
  switch (by) {
    case Breakdown::kIps: columns = "COALESCE(ip, ''), ''"; break;
    case Breakdown::kUsers: columns = "COALESCE(user_id, 0), MAX(username)"; break;
    case Breakdown::kModels: columns = d.Exact("COALESCE(model_name, '')") + ", ''"; break;
    case Breakdown::kChannels: columns = "COALESCE(channel_id, 0), ''"; break;
  }
  return "SELECT " + columns + ", COUNT(*) FROM logs WHERE created_at >= " + Str(range.start) + " AND created_at < " +
         Str(range.end) + " AND " + condition + " GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT " + Str(limit);
}

}  // namespace exporter::api
