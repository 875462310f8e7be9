// SQL text and result handling of the risk rules over a time range.
#include "observer/rules/sql_rules.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace observer::rules {
namespace {

constexpr int64_t kHour = 3600;

int64_t FloorTo(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

std::string Str(int64_t v) { return std::to_string(v); }

// " AND NOT <allow-list condition>", or "" without an allow-list.
std::string ExcludeAllowed(const Dialect& d, const AllowList& allow) {
  const std::string condition = allow.SqlCondition(d);
  return condition.empty() ? "" : " AND NOT " + condition;
}

// Per tumbling window of one subject column: subject, name, w (window start), n (distinct count, capped).
// subject and distinct are expressions; distinct counts complete values only (rows with a NULL part are skipped).
std::string WindowsSql(const std::string& subject, const char* name, const std::string& distinct,
                       const std::string& where, int64_t window, TimeRange range) {
  const int64_t from = FloorTo(range.start, window), to = FloorTo(range.end - 1, window) + window;
  return "SELECT subject, MAX(name) AS name, w, LEAST(" + distinct + ", " + Str(kMaxDistinctPerWindow) +
         ") AS n FROM ("
         "SELECT " +
         subject + " AS subject, " + name + " AS name, created_at - created_at % " + Str(window) +
         " AS w, user_id, ip FROM logs WHERE created_at >= " + Str(from) + " AND created_at < " + Str(to) + " AND " +
         where + ") r GROUP BY subject, w";
}

// Tumbling windows of one subject column with a distinct count, summarised per subject.
std::string DistinctSql(const std::string& subject, const char* name, const std::string& distinct,
                        const std::string& where, int64_t window, int64_t threshold, TimeRange range) {
  return "SELECT subject, MAX(name), MAX(n), MIN(w), MAX(w), COUNT(*) FROM (" +
         WindowsSql(subject, name, distinct, where, window, range) + ") windows WHERE n >= " + Str(threshold) +
         " GROUP BY subject ORDER BY subject";
}

Finding FindingFrom(const DbRow& row, Rule rule, const char* subject_type, double threshold, int64_t window) {
  auto text = [&row](size_t i) { return row[i].value_or(""); };
  Finding f;
  f.rule = rule;
  f.subject_type = subject_type;
  f.subject_id = text(0);
  f.subject_name = text(1);
  f.peak_score = DbDouble(text(2));
  f.threshold = threshold;
  f.windows = DbInt(text(5));
  if (rule == Rule::kBurst) {  // anchors: windows (a - window, a]
    f.first_window_start = DbInt(text(3)) - window + 1;
    f.last_window_end = DbInt(text(4));
  } else {
    f.first_window_start = DbInt(text(3));
    f.last_window_end = DbInt(text(4)) + window - 1;
  }
  return f;
}

DbStatus QueryFindings(DbClient& db, const std::string& sql, Rule rule, const char* subject_type, double threshold,
                       int64_t window, std::vector<Finding>* out) {
  QueryResult result;
  DbStatus status = db.Query(sql, &result);
  if (!status.ok) return status;
  for (const DbRow& row : result.rows) out->push_back(FindingFrom(row, rule, subject_type, threshold, window));
  return status;
}

// The consume rows the burst windows of the anchors in `anchors` read: [anchors.start - window + 1, anchors.end).
// `within`, when not empty, keeps the rows of these created_at ranges only.
std::string BurstRows(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange anchors,
                      const std::vector<TimeRange>& within = {}) {
  std::string ranges;
  for (const TimeRange& r : within) {
    ranges += std::string(ranges.empty() ? "" : " OR ") + "(created_at >= " + Str(r.start) + " AND created_at < " +
              Str(r.end) + ")";
  }
  return "FROM logs WHERE created_at >= " + Str(anchors.start - t.burst_window_sec + 1) + " AND created_at < " +
         Str(anchors.end) + (ranges.empty() ? "" : " AND (" + ranges + ")") + " AND " + RowsOf(Rule::kBurst).Sql() +
         ExcludeAllowed(d, allow);
}

DbStatus EvaluateBurst(DbClient& db, const Thresholds& t, const AllowList& allow, TimeRange range,
                       const Baselines& baselines, std::vector<Finding>* out) {
  std::vector<int64_t> candidates;
  DbStatus status = db.QueryEach(BurstCandidatesSql(db.dialect(), t, allow, range),
                                 [&candidates](const DbRowView& row) { candidates.push_back(DbInt(row[0])); });
  if (!status.ok) return status;
  return QueryBurstFindings(db, t, BurstSql(db.dialect(), t, allow, BurstAnchors(t, range), candidates, baselines),
                            baselines, out);
}

DbStatus EvaluateIpManyUsersAdaptive(DbClient& db, const Thresholds& t, const AllowList& allow, TimeRange range,
                                     const Baselines& baselines, std::vector<Finding>* out) {
  const int64_t window = t.ip_users_window_sec;
  return db.QueryEach(IpManyUsersWindowsSql(db.dialect(), t, allow, range), [&](const DbRowView& row) {
    const std::string ip = DbString(row[0]);
    const int64_t start = DbInt(row[1]), users = DbInt(row[2]);
    const int64_t baseline = IpUsersBaseline(baselines, ip), limit = IpUsersLimit(t, baseline);
    if (users < limit) return;
    if (out->empty() || out->back().rule != Rule::kIpManyUsers || out->back().subject_id != ip) {
      out->push_back(
          {Rule::kIpManyUsers, "ip", ip, "", 0, static_cast<double>(limit), start, start + window - 1, 0, baseline});
    }
    Finding& f = out->back();
    f.peak_score = std::max(f.peak_score, static_cast<double>(users));
    f.last_window_end = start + window - 1;
    ++f.windows;
  });
}

DbStatus EvaluateBigRequest(DbClient& db, const Thresholds& t, const AllowList& allow, TimeRange range,
                            std::vector<Finding>* out) {
  ModelHourStats stats;
  DbStatus status = QueryModelHourStats(db, t, range, &stats);
  if (!status.ok) return status;
  return QueryBigRequestCandidates(db, BigRequestLimits(stats, t, range), allow, range, out);
}

}  // namespace

DbStatus QueryBurstFindings(DbClient& db, const Thresholds& t, const std::string& sql, const Baselines& baselines,
                            std::vector<Finding>* out) {
  if (sql.empty()) return DbStatus::Ok();
  const size_t first = out->size();
  DbStatus status =
      QueryFindings(db, sql, Rule::kBurst, "token", static_cast<double>(t.burst_limit), t.burst_window_sec, out);
  for (size_t i = first; t.burst_adaptive && i < out->size(); ++i) {
    Finding& f = (*out)[i];
    f.baseline = BurstBaseline(baselines, DbInt(f.subject_id));
    f.threshold = static_cast<double>(BurstLimit(t, f.baseline));
  }
  return status;
}

SizeStats StatsOfSizes(const SizeCounts& counts) {
  SizeStats s;
  for (const auto& [size, requests] : counts) {
    const double n = static_cast<double>(requests), log_size = LogSize(size);
    s.n += n;
    s.sum += n * log_size;
    s.sum_squares += n * (log_size * log_size);
  }
  return s;
}

DbStatus QueryModelHourSizes(DbClient& db, int64_t from, int64_t to, ModelHourStats* out) {
  std::map<std::string, std::map<int64_t, SizeCounts>> counts;
  DbStatus status = db.QueryEach(ModelHourSizesSql(db.dialect(), from, to), [&counts](const DbRowView& row) {
    counts[DbString(row[0])][DbInt(row[1])][DbInt(row[2])] += DbInt(row[3]);
  });
  if (!status.ok) return status;
  for (const auto& [model, hours] : counts) {
    for (const auto& [hour, sizes] : hours) (*out)[model][hour] = StatsOfSizes(sizes);
  }
  return status;
}

DbStatus QueryModelHourStats(DbClient& db, const Thresholds& t, TimeRange range, ModelHourStats* out) {
  return QueryModelHourSizes(db, FloorTo(range.start, kHour) - t.big_request_baseline_hours * kHour, range.end, out);
}

DbStatus QueryBigRequestCandidates(DbClient& db, const std::map<std::string, std::map<int64_t, double>>& limits,
                                   const AllowList& allow, TimeRange range, std::vector<Finding>* out) {
  const std::string candidates = BigRequestCandidatesSql(db.dialect(), limits, allow, range);
  if (candidates.empty()) return DbStatus::Ok();
  return db.QueryEach(candidates, [&](const DbRowView& row) {
    const std::string model = DbString(row[1]);
    const int64_t at = DbInt(row[2]), tokens = DbInt(row[3]);
    const auto& hours = limits.at(model);
    const auto limit = hours.find(FloorTo(at, kHour));
    if (limit == hours.end() || static_cast<double>(tokens) <= limit->second) return;
    out->push_back({Rule::kBigRequest, "request", DbString(row[0]), model, static_cast<double>(tokens), limit->second,
                    at, at, 1, -1});
  });
}

std::string BurstCandidatesSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange range) {
  return "SELECT DISTINCT token_id FROM (SELECT token_id " + BurstRows(d, t, allow, BurstAnchors(t, range)) +
         " GROUP BY token_id, " + d.IntDiv("created_at", t.burst_window_sec) +
         " HAVING COUNT(*) >= " + Str((LowestBurstLimit(t) + 1) / 2) + ") busy ORDER BY token_id";
}

std::string BurstMinuteCandidatesSql(const Dialect& d, int64_t least, TimeRange part) {
  return "SELECT DISTINCT token_id FROM (SELECT token_id FROM logs WHERE created_at >= " + Str(part.start) +
         " AND created_at < " + Str(part.end) + " AND " + RowsOf(Rule::kBurst).Sql() + " GROUP BY token_id, " +
         d.IntDiv("created_at", 60) + " HAVING COUNT(*) >= " + Str(least) + ") busy ORDER BY token_id";
}

TimeRange BurstAnchors(const Thresholds& t, TimeRange range) {
  return {range.start, range.end + t.burst_window_sec - 1};
}

std::string BurstSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange anchors,
                     const std::vector<int64_t>& candidates, const Baselines& baselines,
                     const std::vector<TimeRange>& within) {
  if (candidates.empty()) return "";
  std::string list, limits;
  for (int64_t token : candidates) {
    list += (list.empty() ? "" : ", ") + Str(token);
    const int64_t baseline = t.burst_adaptive ? BurstBaseline(baselines, token) : -1;
    if (baseline >= 0) limits += " WHEN " + Str(token) + " THEN " + Str(BurstLimit(t, baseline));
  }
  const std::string limit =
      limits.empty() ? Str(t.burst_limit) : "CASE token_id" + limits + " ELSE " + Str(t.burst_limit) + " END";
  return "SELECT token_id, MAX(token_name), MAX(n), MIN(created_at), MAX(created_at), COUNT(DISTINCT created_at) "
         "FROM (SELECT token_id, token_name, created_at, COUNT(*) OVER (PARTITION BY token_id ORDER BY created_at "
         "RANGE BETWEEN " +
         Str(t.burst_window_sec - 1) + " PRECEDING AND CURRENT ROW) AS n " + BurstRows(d, t, allow, anchors, within) +
         " AND token_id IN (" + list + ")) anchors WHERE n >= " + limit + " AND created_at >= " + Str(anchors.start) +
         " GROUP BY token_id ORDER BY token_id";
}

std::string MultiUserTokenSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange range) {
  return DistinctSql(d.ToText("token_id"), "token_name", d.CountDistinctPair("user_id", d.Exact("ip")),
                     RowsOf(Rule::kMultiUserToken).Sql() + ExcludeAllowed(d, allow), t.token_clients_window_sec,
                     t.token_clients_threshold, range);
}

std::string IpManyUsersSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange range) {
  return DistinctSql(d.Exact("ip"), "''", "COUNT(DISTINCT user_id)",
                     RowsOf(Rule::kIpManyUsers).Sql() + ExcludeAllowed(d, allow), t.ip_users_window_sec,
                     t.ip_users_threshold, range);
}

std::string IpManyUsersWindowsSql(const Dialect& d, const Thresholds& t, const AllowList& allow, TimeRange range) {
  return "SELECT subject, w, n FROM (" +
         WindowsSql(d.Exact("ip"), "''", "COUNT(DISTINCT user_id)",
                    RowsOf(Rule::kIpManyUsers).Sql() + ExcludeAllowed(d, allow), t.ip_users_window_sec, range) +
         ") windows WHERE n >= " + Str(LowestIpUsersLimit(t)) + " ORDER BY subject, w";
}

std::string DistinctWindowsSql(const Dialect& d, Rule rule, const Thresholds& t, const AllowList& allow,
                               TimeRange range, int64_t least, const std::string& extra) {
  const bool token = rule == Rule::kMultiUserToken;
  const std::string where = RowsOf(rule).Sql() + ExcludeAllowed(d, allow) + (extra.empty() ? "" : " AND " + extra);
  return "SELECT subject, name, w, n FROM (" +
         (token ? WindowsSql(d.ToText("token_id"), "token_name", d.CountDistinctPair("user_id", d.Exact("ip")), where,
                             t.token_clients_window_sec, range)
                : WindowsSql(d.Exact("ip"), "''", "COUNT(DISTINCT user_id)", where, t.ip_users_window_sec, range)) +
         ") windows WHERE n >= " + Str(least) + " ORDER BY subject, w";
}

std::string ModelHourSizesSql(const Dialect& d, int64_t from, int64_t to) {
  return "SELECT " + d.Exact("model_name") +
         " AS model, created_at - created_at % 3600 AS hour_start, "
         "GREATEST(COALESCE(prompt_tokens, 0) + COALESCE(completion_tokens, 0), 0) AS size, COUNT(*) "
         "FROM logs WHERE created_at >= " +
         Str(from) + " AND created_at < " + Str(to) + " AND " + RowsOf(Rule::kBigRequest).Sql() + " GROUP BY 1, 2, 3";
}

std::string ModelHourStatsSql(const Dialect& d, const Thresholds& t, TimeRange range) {
  return ModelHourSizesSql(d, FloorTo(range.start, kHour) - t.big_request_baseline_hours * kHour, range.end);
}

std::map<std::string, std::map<int64_t, double>> BigRequestLimits(const ModelHourStats& stats, const Thresholds& t,
                                                                  TimeRange range) {
  std::map<std::string, std::map<int64_t, double>> limits;
  for (const auto& [model, hours] : stats) {
    for (int64_t hour = FloorTo(range.start, kHour); hour < range.end; hour += kHour) {
      SizeStats baseline;
      for (auto it = hours.lower_bound(hour - t.big_request_baseline_hours * kHour);
           it != hours.end() && it->first < hour; ++it) {
        baseline.Add(it->second);
      }
      const double limit = BigRequestLimit(baseline, t);
      if (limit >= 0) limits[model][hour] = limit;
    }
  }
  return limits;
}

std::string OverLowestLimitSql(const Dialect& d, const std::map<std::string, std::map<int64_t, double>>& limits,
                               const std::string& model, const std::string& size) {
  std::string models;
  for (const auto& [name, hours] : limits) {
    double lowest = hours.begin()->second;
    for (const auto& [hour, limit] : hours) lowest = std::min(lowest, limit);
    models += std::string(models.empty() ? "" : " OR ") + "(" + model + " = " + d.TextLiteral(name) + " AND " + size +
              " > " + Str(static_cast<int64_t>(std::floor(lowest))) + ")";
  }
  return models;
}

std::string BigRequestCandidatesSql(const Dialect& d, const std::map<std::string, std::map<int64_t, double>>& limits,
                                    const AllowList& allow, TimeRange range) {
  const std::string size = "COALESCE(prompt_tokens, 0) + COALESCE(completion_tokens, 0)";
  const std::string models = OverLowestLimitSql(d, limits, d.Exact("model_name"), size);
  if (models.empty()) return "";
  return "SELECT id, " + d.Exact("model_name") + ", created_at, " + size +
         " FROM logs WHERE created_at >= " + Str(range.start) + " AND created_at < " + Str(range.end) + " AND " +
         RowsOf(Rule::kBigRequest).Sql() + " AND (" + models + ")" + ExcludeAllowed(d, allow) + " ORDER BY id";
}

DbStatus EvaluateRule(DbClient& db, Rule rule, const Thresholds& t, const AllowList& allow, TimeRange range,
                      const Baselines& baselines, std::vector<Finding>* out) {
  DbStatus status;
  switch (rule) {
    case Rule::kBurst: status = EvaluateBurst(db, t, allow, range, baselines, out); break;
    case Rule::kMultiUserToken:
      status = QueryFindings(db, MultiUserTokenSql(db.dialect(), t, allow, range), rule, "token",
                             static_cast<double>(t.token_clients_threshold), t.token_clients_window_sec, out);
      break;
    case Rule::kIpManyUsers:
      if (t.ip_users_adaptive) {
        status = EvaluateIpManyUsersAdaptive(db, t, allow, range, baselines, out);
        break;
      }
      status = QueryFindings(db, IpManyUsersSql(db.dialect(), t, allow, range), rule, "ip",
                             static_cast<double>(t.ip_users_threshold), t.ip_users_window_sec, out);
      break;
    case Rule::kBigRequest: status = EvaluateBigRequest(db, t, allow, range, out); break;
  }
  // Summarize's order: by subject id as text.
  std::sort(out->begin(), out->end(), [](const Finding& a, const Finding& b) {
    return a.rule != b.rule ? a.rule < b.rule : a.subject_id < b.subject_id;
  });
  return status;
}

std::string ReadBaselinesSql(const std::string& table) { return "SELECT rule, subject, baseline FROM " + table; }

DbStatus LoadBaselines(DbClient& db, const std::string& table, Baselines* out) {
  Baselines loaded;
  DbStatus status = db.QueryEach(ReadBaselinesSql(table), [&loaded](const DbRowView& row) {
    const std::string rule = DbString(row[0]), subject = DbString(row[1]);
    if (rule == RuleName(Rule::kBurst)) loaded.burst[DbInt(subject)] = DbInt(row[2]);
    if (rule == RuleName(Rule::kIpManyUsers)) loaded.ip_users[subject] = DbInt(row[2]);
  });
  if (status.ok) *out = std::move(loaded);
  return status;
}

std::string BurstBaselineMinutesSql(const Dialect& d, TimeRange slice) {
  return "SELECT token_id, " + d.IntDiv("created_at", 60) +
         " AS minute, COUNT(*) FROM logs WHERE created_at >= " + Str(slice.start) + " AND created_at < " +
         Str(slice.end) + " AND " + RowsOf(Rule::kBurst).Sql() + " GROUP BY token_id, minute";
}

std::string IpUsersBaselineWindowsSql(const Dialect& d, const Thresholds& t, TimeRange slice) {
  return "SELECT subject, w, n FROM (" +
         WindowsSql(d.Exact("ip"), "''", "COUNT(DISTINCT user_id)", RowsOf(Rule::kIpManyUsers).Sql(),
                    t.ip_users_window_sec, slice) +
         ") windows WHERE w >= " + Str(slice.start);
}

BaselineCounts::BaselineCounts(const Thresholds& t)
    : minutes_(kBaselineDays * 86400 / 60), windows_(kBaselineDays * 86400 / t.ip_users_window_sec) {}

template <typename Subject>
void BaselineCounts::Add(std::map<Subject, std::vector<int64_t>>* counts, const Subject& subject, int64_t count,
                         size_t keep) {
  std::vector<int64_t>& kept = (*counts)[subject];
  kept.push_back(count);
  if (kept.size() >= 2 * keep) {  // trim now and then: the largest `keep` stay
    std::nth_element(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(keep), kept.end(), std::greater<>());
    kept.resize(keep);
  }
}

// P99OfWindows takes the (windows / 100 + 1)-th largest count.
void BaselineCounts::AddTokenMinute(int64_t token_id, int64_t rows) {
  Add(&burst_, token_id, rows, static_cast<size_t>(minutes_ / 100 + 1));
}

void BaselineCounts::AddIpWindow(const std::string& ip, int64_t users) {
  Add(&ip_users_, ip, users, static_cast<size_t>(windows_ / 100 + 1));
}

Baselines BaselineCounts::Result() {
  Baselines out;
  for (auto& [token, counts] : burst_) out.burst[token] = P99OfWindows(&counts, minutes_);
  for (auto& [ip, counts] : ip_users_) out.ip_users[ip] = P99OfWindows(&counts, windows_);
  return out;
}

DbStatus ComputeBaselines(DbClient& db, const Thresholds& t, int64_t until, Baselines* out) {
  const int64_t from = until - kBaselineDays * 86400, slice = kBaselineSliceHours * kHour;
  BaselineCounts counts(t);
  for (int64_t start = from; start < until; start += slice) {
    const TimeRange part{start, std::min(start + slice, until)};
    DbStatus status = db.QueryEach(BurstBaselineMinutesSql(db.dialect(), part),
                                   [&](const DbRowView& row) { counts.AddTokenMinute(DbInt(row[0]), DbInt(row[2])); });
    if (!status.ok) return status;
    status = db.QueryEach(IpUsersBaselineWindowsSql(db.dialect(), t, part),
                          [&](const DbRowView& row) { counts.AddIpWindow(DbString(row[0]), DbInt(row[2])); });
    if (!status.ok) return status;
  }
  *out = counts.Result();
  return DbStatus::Ok();
}

}  // namespace observer::rules
