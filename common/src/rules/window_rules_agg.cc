// burst, multi_user_token and ip_many_users from the aggregator's per-hour tables for the hours they cover, from logs
// for the others.
#include "observer/rules/window_rules_agg.h"

#include <algorithm>
#include <map>
#include <set>

#include "observer/rules/big_request_agg.h"

namespace observer::rules {
namespace {

constexpr int64_t kHour = 3600;

int64_t FloorTo(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

std::string Str(int64_t v) { return std::to_string(v); }

// What a range read: the tables, logs, or both.
struct Sources {
  bool hourly = false, logs = false;
  std::string Text() const { return hourly && logs ? "hourly+logs" : hourly ? "hourly" : "logs"; }
};

// Sorted and merged: overlapping or touching ranges become one.
std::vector<TimeRange> Merged(std::vector<TimeRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](TimeRange a, TimeRange b) { return a.start < b.start; });
  std::vector<TimeRange> merged;
  for (const TimeRange& r : ranges) {
    if (!merged.empty() && r.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

// The fewest rows a tumbling minute of a burst window reaching the lowest limit has: a window overlaps at most
// ceil(W / 60) + 1 minutes.
int64_t LeastBurstMinuteRows(const Thresholds& t) {
  const int64_t minutes = (t.burst_window_sec + 59) / 60 + 1;
  return (LowestBurstLimit(t) + minutes - 1) / minutes;
}

DbStatus EvaluateBurstFromPeaks(DbClient& db, const agg::AggTables& tables, const agg::HourCover& cover,
                                const Thresholds& t, const AllowList& allow, TimeRange range,
                                const Baselines& baselines, std::vector<Finding>* out, Sources* sources) {
  const int64_t window = t.burst_window_sec, least = LeastBurstMinuteRows(t);
  // Every row of a window that can fire (anchors from range.start on) lies in `rows`.
  const TimeRange rows{range.start - window + 1, range.end + window - 1};
  const int64_t covered_from = std::max(FloorTo(rows.start, kHour), cover.from);
  const int64_t covered_to = std::min(FloorTo(rows.end - 1, kHour) + kHour, cover.until);
  if (cover.empty() || least < kLeastStoredCount || covered_from >= covered_to) {
    sources->logs = true;
    return EvaluateRule(db, Rule::kBurst, t, allow, range, baselines, out);
  }
  std::set<int64_t> tokens;
  std::vector<TimeRange> within;
  sources->hourly = true;
  DbStatus status =
      db.QueryEach("SELECT token_id, hour FROM " + tables.token_minute_peaks() + " WHERE hour >= " + Str(covered_from) +
                       " AND hour < " + Str(covered_to) + " AND peak >= " + Str(least),
                   [&](const DbRowView& row) {
                     tokens.insert(DbInt(row[0]));
                     const int64_t hour = DbInt(row[1]);
                     within.push_back({hour - window, hour + kHour + window});
                   });
  if (!status.ok) return status;
  for (const TimeRange part : {TimeRange{rows.start, covered_from}, TimeRange{covered_to, rows.end}}) {
    if (part.start >= part.end) continue;
    sources->logs = true;
    bool any = false;
    status = db.QueryEach(BurstMinuteCandidatesSql(db.dialect(), least, part), [&](const DbRowView& row) {
      tokens.insert(DbInt(row[0]));
      any = true;
    });
    if (!status.ok) return status;
    if (any) within.push_back({part.start - window, part.end + window});
  }
  if (tokens.empty()) return DbStatus::Ok();
  const std::vector<int64_t> candidates(tokens.begin(), tokens.end());
  return QueryBurstFindings(
      db, t, BurstSql(db.dialect(), t, allow, BurstAnchors(t, range), candidates, baselines, Merged(within)), baselines,
      out);
}

// burst's findings per token from its anchors, added in any order: stored windows and BurstSql's findings of other
// anchors.
class BurstFindings {
 public:
  BurstFindings(const Thresholds& t, const Baselines& baselines) : t_(t), baselines_(baselines) {}

  int64_t BaselineOf(int64_t token) const { return t_.burst_adaptive ? BurstBaseline(baselines_, token) : -1; }
  int64_t LimitOf(int64_t token) const { return BurstLimit(t_, BaselineOf(token)); }
  // `anchors` anchors from first_anchor to last_anchor whose windows hold `rows` rows each.
  void AddWindows(int64_t token, const std::string& name, int64_t rows, int64_t anchors, int64_t first_anchor,
                  int64_t last_anchor) {
    if (rows < LimitOf(token)) return;
    Add({Rule::kBurst, "token", Str(token), name, static_cast<double>(rows), static_cast<double>(LimitOf(token)),
         first_anchor - t_.burst_window_sec + 1, last_anchor, anchors, BaselineOf(token)});
  }
  // A finding of QueryBurstFindings over other anchors.
  void Add(const Finding& other) {
    auto [it, fresh] = findings_.try_emplace(DbInt(other.subject_id), other);
    if (fresh) return;
    Finding& f = it->second;
    f.subject_name = std::max(f.subject_name, other.subject_name);
    f.peak_score = std::max(f.peak_score, other.peak_score);
    f.first_window_start = std::min(f.first_window_start, other.first_window_start);
    f.last_window_end = std::max(f.last_window_end, other.last_window_end);
    f.windows += other.windows;
  }
  void AppendTo(std::vector<Finding>* out) const {
    for (const auto& [token, f] : findings_) out->push_back(f);
  }

 private:
  const Thresholds& t_;
  const Baselines& baselines_;
  std::map<int64_t, Finding> findings_;
};

// BurstSql's findings over the anchors `part`, for the candidates, added to `findings`.
DbStatus AddBurstPart(DbClient& db, const Thresholds& t, TimeRange part, const std::set<int64_t>& candidates,
                      const Baselines& baselines, BurstFindings* findings) {
  if (candidates.empty()) return DbStatus::Ok();
  std::vector<Finding> found;
  const std::vector<int64_t> list(candidates.begin(), candidates.end());
  DbStatus status = QueryBurstFindings(db, t, BurstSql(db.dialect(), t, {}, part, list, baselines), baselines, &found);
  for (const Finding& f : found) findings->Add(f);
  return status;
}

// burst from agg_burst_windows (no allow-list, the stored window, a lowest limit it holds): the hours the range's
// anchors fill from the table alone; in the hours it cuts, the tokens with a stored window at their limit are counted
// in logs over the cut part; anchors outside the covered hours from logs, candidates by their minutes.
DbStatus EvaluateBurstFromWindows(DbClient& db, const agg::AggTables& tables, const agg::HourCover& cover,
                                  const Thresholds& t, TimeRange range, const Baselines& baselines,
                                  std::vector<Finding>* out, Sources* sources) {
  const TimeRange anchors = BurstAnchors(t, range);
  const int64_t covered_from = std::max(FloorTo(anchors.start, kHour), cover.from);
  const int64_t covered_to = std::min(FloorTo(anchors.end - 1, kHour) + kHour, cover.until);
  BurstFindings findings(t, baselines);
  std::map<int64_t, std::set<int64_t>> cut_hours;  // hour -> candidates
  sources->hourly = true;
  DbStatus status =
      db.QueryEach("SELECT hour, token_id, name, window_rows, anchors, first_anchor, last_anchor FROM " +
                       tables.burst_windows() + " WHERE hour >= " + Str(covered_from) + " AND hour < " +
                       Str(covered_to) + " AND window_rows >= " + Str(LowestBurstLimit(t)),
                   [&](const DbRowView& row) {
                     const int64_t hour = DbInt(row[0]), token = DbInt(row[1]), rows = DbInt(row[3]);
                     if (hour >= anchors.start && hour + kHour <= anchors.end) {
                       findings.AddWindows(token, DbString(row[2]), rows, DbInt(row[4]), DbInt(row[5]), DbInt(row[6]));
                     } else if (rows >= findings.LimitOf(token)) {
                       cut_hours[hour].insert(token);
                     }
                   });
  if (!status.ok) return status;
  for (const auto& [hour, candidates] : cut_hours) {
    status = AddBurstPart(db, t, {std::max(hour, anchors.start), std::min(hour + kHour, anchors.end)}, candidates,
                          baselines, &findings);
    if (!status.ok) return status;
  }
  for (const TimeRange part : {TimeRange{anchors.start, covered_from}, TimeRange{covered_to, anchors.end}}) {
    if (part.start >= part.end) continue;
    sources->logs = true;
    std::set<int64_t> candidates;
    const TimeRange rows{part.start - t.burst_window_sec + 1, part.end};
    status = db.QueryEach(BurstMinuteCandidatesSql(db.dialect(), LeastBurstMinuteRows(t), rows),
                          [&candidates](const DbRowView& row) { candidates.insert(DbInt(row[0])); });
    if (status.ok) status = AddBurstPart(db, t, part, candidates, baselines, &findings);
    if (!status.ok) return status;
  }
  findings.AppendTo(out);
  return DbStatus::Ok();
}

// burst from agg_burst_windows where they apply, else from agg_token_minute_peaks (EvaluateBurstFromPeaks).
DbStatus EvaluateBurstFrom(DbClient& db, const agg::AggTables& tables, const Thresholds& t, const AllowList& allow,
                           TimeRange range, const Baselines& baselines, std::vector<Finding>* out, Sources* sources) {
  agg::HourCover windows, peaks;
  if (allow.empty() && t.burst_window_sec == kStoredBurstWindowSec && LowestBurstLimit(t) >= kLeastStoredBurstRows) {
    if (DbStatus s = ReadBurstWindowsCover(db, tables, &windows); !s.ok) return s;
  }
  const TimeRange anchors = BurstAnchors(t, range);
  const int64_t first_hour = FloorTo(anchors.start, kHour);
  bool use_windows = !windows.empty() && first_hour < windows.until && anchors.end > windows.from;
  // A range starting before the windows' first hour (an installation older than them) takes the peaks when they hold
  // those hours.
  if (!use_windows || first_hour < windows.from) {
    if (DbStatus s = ReadRuleWindowsCover(db, tables, &peaks); !s.ok) return s;
    use_windows = use_windows && (peaks.empty() || peaks.from >= windows.from);
  }
  return use_windows ? EvaluateBurstFromWindows(db, tables, windows, t, range, baselines, out, sources)
                     : EvaluateBurstFromPeaks(db, tables, peaks, t, allow, range, baselines, out, sources);
}

// A distinct rule's findings from its windows (any order of windows), per subject.
class DistinctFindings {
 public:
  DistinctFindings(Rule rule, const Thresholds& t, const Baselines& baselines)
      : rule_(rule), t_(t), baselines_(baselines) {}

  void Add(const std::string& subject, const std::string& name, int64_t start, int64_t count) {
    const bool token = rule_ == Rule::kMultiUserToken;
    const int64_t baseline = !token && t_.ip_users_adaptive ? IpUsersBaseline(baselines_, subject) : -1;
    const int64_t limit = token                  ? t_.token_clients_threshold
                          : t_.ip_users_adaptive ? IpUsersLimit(t_, baseline)
                                                 : t_.ip_users_threshold;
    if (count < limit) return;
    const int64_t window = token ? t_.token_clients_window_sec : t_.ip_users_window_sec;
    auto [it, fresh] = findings_.try_emplace(subject);
    Finding& f = it->second;
    if (fresh) {
      f = {rule_, token ? "token" : "ip", subject, name,    0, static_cast<double>(limit),
           start, start + window - 1,     0,       baseline};
    }
    f.subject_name = std::max(f.subject_name, name);
    f.peak_score = std::max(f.peak_score, static_cast<double>(count));
    f.first_window_start = std::min(f.first_window_start, start);
    f.last_window_end = std::max(f.last_window_end, start + window - 1);
    ++f.windows;
  }
  // Columns subject, name, window start, count (DistinctWindowsSql's).
  DbStatus AddRows(DbClient& db, const std::string& sql) {
    return db.QueryEach(
        sql, [this](const DbRowView& row) { Add(DbString(row[0]), DbString(row[1]), DbInt(row[2]), DbInt(row[3])); });
  }
  void AppendTo(std::vector<Finding>* out) const {
    for (const auto& [subject, f] : findings_) out->push_back(f);
  }

 private:
  Rule rule_;
  const Thresholds& t_;
  const Baselines& baselines_;
  std::map<std::string, Finding> findings_;  // by subject: EvaluateRule's order
};

DbStatus EvaluateDistinctFrom(DbClient& db, const agg::AggTables& tables, const agg::HourCover& cover, Rule rule,
                              const Thresholds& t, const AllowList& allow, TimeRange range, const Baselines& baselines,
                              std::vector<Finding>* out, Sources* sources) {
  const bool token = rule == Rule::kMultiUserToken;
  const int64_t window = token ? t.token_clients_window_sec : t.ip_users_window_sec;
  const int64_t least = token ? t.token_clients_threshold : LowestIpUsersLimit(t);
  // The windows overlapping the range: [from, to).
  const int64_t from = FloorTo(range.start, window), to = FloorTo(range.end - 1, window) + window;
  const int64_t covered_from = std::max(from, cover.from), covered_to = std::min(to, cover.until);
  if (cover.empty() || window != kStoredRuleWindowSec || least < kLeastStoredCount || covered_from >= covered_to) {
    sources->logs = true;
    return EvaluateRule(db, rule, t, allow, range, baselines, out);
  }
  DistinctFindings findings(rule, t, baselines);
  const Dialect& d = db.dialect();
  for (const TimeRange part : {TimeRange{from, covered_from}, TimeRange{covered_to, to}}) {
    if (part.start >= part.end) continue;
    sources->logs = true;
    if (DbStatus s = findings.AddRows(db, DistinctWindowsSql(d, rule, t, allow, part, least, "")); !s.ok) return s;
  }
  sources->hourly = true;
  const std::string stored = "SELECT subject, name, window_start, distinct_count FROM " + tables.rule_windows() +
                             " WHERE rule = '" + RuleName(rule) + "' AND window_start >= " + Str(covered_from) +
                             " AND window_start < " + Str(covered_to) + " AND distinct_count >= " + Str(least);
  if (allow.empty()) {
    if (DbStatus s = findings.AddRows(db, stored); !s.ok) return s;
  } else {
    // The stored counts include allow-listed rows: count the candidate windows again without them.
    std::set<std::string> subjects;
    std::vector<TimeRange> windows;
    DbStatus status = db.QueryEach(stored, [&](const DbRowView& row) {
      subjects.insert(DbString(row[0]));
      windows.push_back({DbInt(row[2]), DbInt(row[2]) + window});
    });
    if (!status.ok) return status;
    if (!subjects.empty()) {
      std::string list, ranges;
      for (const std::string& subject : subjects) {
        list += (list.empty() ? "" : ", ") + (token ? Str(DbInt(subject)) : d.TextLiteral(subject));
      }
      for (const TimeRange& r : Merged(windows)) {
        ranges += std::string(ranges.empty() ? "" : " OR ") + "(created_at >= " + Str(r.start) + " AND created_at < " +
                  Str(r.end) + ")";
      }
      const std::string extra = std::string(token ? "token_id" : "ip") + " IN (" + list + ") AND (" + ranges + ")";
      status = findings.AddRows(db, DistinctWindowsSql(d, rule, t, allow, {covered_from, covered_to}, least, extra));
      if (!status.ok) return status;
    }
  }
  findings.AppendTo(out);
  return DbStatus::Ok();
}

}  // namespace

DbStatus ReadRuleWindowsCover(DbClient& db, const agg::AggTables& tables, agg::HourCover* out) {
  return agg::ReadHourCover(db, tables, "rule_windows_from", {tables.token_minute_peaks(), tables.rule_windows()}, out);
}

DbStatus ReadBurstWindowsCover(DbClient& db, const agg::AggTables& tables, agg::HourCover* out) {
  return agg::ReadHourCover(db, tables, "burst_windows_from", {tables.burst_windows()}, out);
}

DbStatus EvaluateRuleFrom(DbClient& db, const agg::AggTables& tables, Rule rule, const Thresholds& t,
                          const AllowList& allow, TimeRange range, const Baselines& baselines,
                          std::vector<Finding>* out, std::string* source) {
  Sources sources;
  agg::HourCover cover;
  const size_t first = out->size();
  DbStatus status;
  if (rule == Rule::kBigRequest) {
    status = ReadSizeTablesCover(db, tables, &cover);
    if (status.ok) status = EvaluateBigRequestFrom(db, tables, t, allow, range, out);
    // The range's hours and the baseline hours before them.
    const int64_t from = FloorTo(range.start, kHour) - t.big_request_baseline_hours * kHour;
    sources.hourly = !cover.empty() && std::max(from, cover.from) < std::min(range.end, cover.until);
    sources.logs = !sources.hourly || from < cover.from || range.end > cover.until;
  } else {
    if (rule == Rule::kBurst) {
      status = EvaluateBurstFrom(db, tables, t, allow, range, baselines, out, &sources);
    } else {
      status = ReadRuleWindowsCover(db, tables, &cover);
      if (status.ok) status = EvaluateDistinctFrom(db, tables, cover, rule, t, allow, range, baselines, out, &sources);
    }
  }
  if (!status.ok) return status;
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(),
            [](const Finding& a, const Finding& b) { return a.subject_id < b.subject_id; });
  if (source != nullptr) *source = sources.Text();
  return DbStatus::Ok();
}

}  // namespace observer::rules
