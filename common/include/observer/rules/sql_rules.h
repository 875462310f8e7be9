// The risk rules evaluated in SQL over a time range of `logs`, for the JSON API: the same definitions and findings
// as the streaming evaluator (rules.h says how windows are read). Query building is pure; Evaluate runs the queries.
// Every query reads `logs` by a created_at range (the idx_created_at_* indexes) and groups on the server, so what
// comes back is small: a pigeonhole pre-filter keeps the burst window function to the few tokens that can fire.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "observer/db_client.h"
#include "observer/rules/rules.h"

namespace observer::rules {

// [start, end) in created_at seconds; findings cover the windows that overlap it, read with all of their rows.
struct TimeRange {
  int64_t start = 0;
  int64_t end = 0;
};

// Column: token_id. The tokens with at least half the limit in one aligned bucket of the window's size: only they can
// reach it, since a window spans at most two such buckets.
std::string BurstCandidatesSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange range);
// Columns: token_id, token_name, peak, first_anchor, last_anchor, anchors; the window function over the candidates
// alone (a statement of its own: PostgreSQL, estimating few rows past its statistics, recomputed a subquery of them
// for every row). "" without candidates.
// The anchors a of the burst windows (a - window, a] overlapping a range: [range.start, range.end + window - 1).
TimeRange BurstAnchors(const Thresholds& t, TimeRange range);
// In adaptive mode each candidate with a baseline is held to its own limit (a CASE over the candidates).
// `anchors`: the anchors kept (BurstAnchors of a range: the windows overlapping it). `within`, when not empty, limits
// the rows read to these created_at ranges (they must hold every row of each window that can reach the limit).
std::string BurstSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange anchors,
                     const std::vector<int64_t>& candidates, const Baselines& baselines,
                     const std::vector<TimeRange>& within = {});
// BurstSql's findings, appended; in adaptive mode each holds its token's own limit and baseline.
DbStatus QueryBurstFindings(DbClient& db, const Thresholds& t, const std::string& sql, const Baselines& baselines,
                            std::vector<Finding>* out);
// Column: token_id. The tokens with at least `least` consume rows (allow-listed ones too) in one tumbling minute of
// [from, to) (minutes cut at its ends).
std::string BurstMinuteCandidatesSql(const Dialect& d, int64_t least, TimeRange part);
// Columns: subject, name, peak, first_window_start, last_window_start, windows.
std::string MultiUserTokenSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange range);
std::string IpManyUsersSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange range);
// Adaptive mode: columns subject, window start, users; every window at or over the lowest limit, ordered by subject
// and window, for the caller to hold each IP to its own limit.
std::string IpManyUsersWindowsSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange range);
// multi_user_token or ip_many_users: columns subject, name, window start, distinct count; every window of the range
// at or over `least`, ordered by subject and window. `extra`, when not "", is one more condition on the rows.
std::string DistinctWindowsSql(const Dialect& d, Rule rule, const Thresholds& t, const AllowList& allow,
                               TimeRange range, int64_t least, const std::string& extra);
// Requests per size (prompt + completion tokens, at least 0) of one model-hour.
using SizeCounts = std::map<int64_t, int64_t>;
// The statistics of these requests, summed in size order: the one computation of a model-hour's statistics, from
// logs (QueryModelHourStats) and in the aggregator (agg_request_sizes_hourly), so both give the same doubles.
SizeStats StatsOfSizes(const SizeCounts& counts);
// Columns: model (binary), hour, size, requests; every row big_request reads with from <= created_at < to.
std::string ModelHourSizesSql(const Dialect& d, int64_t from, int64_t to);
// Columns as ModelHourSizesSql: the baseline hours before the range and the range.
std::string ModelHourStatsSql(const Dialect& d, const Thresholds& t, TimeRange range);
using ModelHourStats = std::map<std::string, std::map<int64_t, SizeStats>>;
DbStatus QueryModelHourStats(DbClient& db, const Thresholds& t, TimeRange range, ModelHourStats* out);
// The statistics of the model-hours of [from, to) from logs, added to *out.
DbStatus QueryModelHourSizes(DbClient& db, int64_t from, int64_t to, ModelHourStats* out);
// The size limit of each (model, hour) of the range with enough baseline samples.
std::map<std::string, std::map<int64_t, double>> BigRequestLimits(const ModelHourStats& stats, const Thresholds& t,
                                                                  TimeRange range);
// The rows that may exceed one of their model's limits: (MODEL = model AND SIZE > the model's lowest limit) OR ...;
// "" when no model has a limit. MODEL compares byte for byte (Dialect::Exact, or a binary column).
std::string OverLowestLimitSql(const Dialect& d, const std::map<std::string, std::map<int64_t, double>>& limits,
                               const std::string& model, const std::string& size);
// Columns: id, model, created_at, tokens. "" when no model has a limit.
std::string BigRequestCandidatesSql(const Dialect& d, const std::map<std::string, std::map<int64_t, double>>& limits,
                                    const AllowList& allow, TimeRange range);
// The findings among BigRequestCandidatesSql's rows (appended, in id order).
DbStatus QueryBigRequestCandidates(DbClient& db, const std::map<std::string, std::map<int64_t, double>>& limits,
                                   const AllowList& allow, TimeRange range, std::vector<Finding>* out);
// agg_largest_requests keeps this many of each model-hour's largest requests.
inline constexpr size_t kLargestPerModelHour = 16;

// Runs the rule's queries; findings ordered by subject, as Summarize orders them. baselines matter in adaptive mode.
DbStatus EvaluateRule(DbClient& db, Rule rule, const Thresholds& t, const AllowList& allow, TimeRange range,
                      const Baselines& baselines, std::vector<Finding>* out);

// The baselines (agg_rule_baselines, the observer's table `table`): columns rule, subject, baseline.
std::string ReadBaselinesSql(const std::string& table);
DbStatus LoadBaselines(DbClient& db, const std::string& table, Baselines* out);
// The aggregator's computation over the days before `until` (an hour start): the busy minutes of each token
// (columns token_id, minute, requests) and the busy windows of each IP (columns ip, window, users) of one slice of
// those days, [from, to) (whole hours). Baselines come from them by P99OfWindows over all the minutes or windows of the
// days, read slice by slice (kBaselineSliceHours each, so no statement reads more than a few hours of logs) keeping
// each subject's largest counts only.
inline constexpr int64_t kBaselineDays = 7;
inline constexpr int64_t kBaselineSliceHours = 6;
std::string BurstBaselineMinutesSql(const Dialect& d, TimeRange slice);
std::string IpUsersBaselineWindowsSql(const Dialect& d, const Thresholds& t, TimeRange slice);
DbStatus ComputeBaselines(DbClient& db, const Thresholds& t, int64_t until, Baselines* out);

// The baselines from the counts of the kBaselineDays before an hour, added in any order: each token's consume rows
// per minute (burst) and each IP's distinct users per t.ip_users_window_sec window (ip_many_users). Keeps each
// subject's largest counts only, which is all P99OfWindows needs.
class BaselineCounts {
 public:
  explicit BaselineCounts(const Thresholds& t);
  void AddTokenMinute(int64_t token_id, int64_t rows);
  void AddIpWindow(const std::string& ip, int64_t users);
  Baselines Result();

 private:
  template <typename Subject>
  static void Add(std::map<Subject, std::vector<int64_t>>* counts, const Subject& subject, int64_t count, size_t keep);

  int64_t minutes_, windows_;
  std::map<int64_t, std::vector<int64_t>> burst_;
  std::map<std::string, std::vector<int64_t>> ip_users_;
};

}  // namespace observer::rules
