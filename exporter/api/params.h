// The JSON API's query parameters: parsed, validated and normalized (ranges aligned to the slot or the minute before
// anything else, so repeated relative ranges give the same key). Pure: bad input gives a ParamError naming the
// parameter, which the HTTP edge answers with 400. Each Key() is the response cache's key: every parameter that
// changes the answer, values percent-encoded, so two different questions never share one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "observer/rules/rules.h"
#include "observer/time_zone.h"

namespace exporter::api {

using observer::kTimeZoneHorizon;
using observer::LocalIso;
using observer::TimeZone;

using QueryParams = std::multimap<std::string, std::string>;  // httplib::Params

struct ParamError {
  std::string param;
  std::string message;  // starts with the parameter's name
};

// Finds a time zone by the name a request gives ("" = the configured default); nullptr with *error otherwise.
using ZoneLookup = std::function<std::shared_ptr<const TimeZone>(const std::string& name, std::string* error)>;

// Allowed bucket sizes (each divides a day) and the most buckets a series may have.
inline constexpr int64_t kSlotSizes[] = {60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
inline constexpr int64_t kMaxBuckets = 1500;
// Range caps of the endpoints without a slot.
inline constexpr int64_t kMaxTopRange = 93 * 86400;
inline constexpr int64_t kMaxHeatmapRange = 93 * 86400;
inline constexpr int64_t kMaxAnomalyRange = 7 * 86400;
inline constexpr int64_t kMaxLogsRange = 31 * 86400;
inline constexpr int kMaxLimit = 1000;

// Optional filters of the usage endpoints (exact, case-sensitive matches; user and token are ids).
struct Filters {
  std::optional<std::string> model;
  std::optional<int64_t> channel;
  std::optional<std::string> group;
  std::optional<int64_t> user;
  std::optional<int64_t> token;
  std::string Key() const;
};

// [start, end) in unix seconds, already aligned.
struct Range {
  int64_t start = 0;
  int64_t end = 0;
};

struct SeriesParams {
  Range range;
  int64_t slot = 60;
  std::shared_ptr<const TimeZone> zone;
  std::vector<int64_t> boundaries;  // bucket starts and the range's end
  Filters filters;
  std::string Key() const;
};

enum class Dimension { kUser, kToken, kModel, kChannel };
const char* DimensionName(Dimension d);
// Series fields: reqs, tokens, quota, errors (top calls quota "quota_sum", the name its clients know).
enum class Metric { kReqs, kTokens, kQuota, kErrors };
const char* MetricName(Metric m);

struct TopParams {
  Range range;
  Dimension by = Dimension::kUser;
  Metric metric = Metric::kTokens;
  int limit = 50;
  Filters filters;
  std::string Key() const;
};

// Distinct users and tokens of a whole range (whole minutes, as top).
struct ActiveParams {
  Range range;
  Filters filters;
  std::string Key() const;
};

struct HeatmapParams {
  Range range;
  Metric metric = Metric::kReqs;
  std::shared_ptr<const TimeZone> zone;
  std::vector<int64_t> boundaries;  // local hours
  Filters filters;
  std::string Key() const;
};

// Threshold parameters overriding the current rules for one request.
struct RuleOverrides {
  std::optional<int64_t> window_sec;
  std::optional<int64_t> threshold;
  std::optional<double> sigma;
  // The thresholds with these overrides applied; "" or a message naming the bad value.
  std::string ApplyTo(observer::rules::Rule rule, observer::rules::Thresholds* t) const;
  std::string Key() const;
};

struct AnomalyParams {
  Range range;
  observer::rules::Rule rule = observer::rules::Rule::kBurst;
  RuleOverrides overrides;
  std::string subject_id;  // detail only: the finding's subject
  std::string Key() const;
};

enum class LogSubject { kUser, kToken, kIp };
struct LogsParams {
  Range range;
  LogSubject subject = LogSubject::kUser;
  std::string subject_value;  // a user or token id, or an IP
  int limit = 100;
  std::string Key() const;
};

std::optional<ParamError> ParseSeries(const QueryParams& q, const ZoneLookup& zones, SeriesParams* out);
std::optional<ParamError> ParseTop(const QueryParams& q, TopParams* out);
std::optional<ParamError> ParseActive(const QueryParams& q, ActiveParams* out);
std::optional<ParamError> ParseHeatmap(const QueryParams& q, const ZoneLookup& zones, HeatmapParams* out);
std::optional<ParamError> ParseAnomalies(const QueryParams& q, AnomalyParams* out);
std::optional<ParamError> ParseAnomalyDetail(const QueryParams& q, AnomalyParams* out);
std::optional<ParamError> ParseLogs(const QueryParams& q, LogsParams* out);

// The local bucket boundaries of [start, end) (start and end are boundaries): the starts and the end; empty when
// there would be more than max_buckets.
std::vector<int64_t> BucketBoundaries(const TimeZone& zone, int64_t slot, int64_t start, int64_t end,
                                      int64_t max_buckets);

}  // namespace exporter::api
