// big_request from the aggregator's per-hour tables for the hours they cover, from logs for the others.
#include "observer/rules/big_request_agg.h"

#include <algorithm>

namespace observer::rules {
namespace {

constexpr int64_t kHour = 3600;

int64_t FloorTo(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

std::string Str(int64_t v) { return std::to_string(v); }

// One stored row of agg_largest_requests.
struct Stored {
  int64_t id, created_at, tokens;
  newapi::LogRow allow_fields;
};

// The limits of the hours in [from, to).
std::map<std::string, std::map<int64_t, double>> LimitsWithin(
    const std::map<std::string, std::map<int64_t, double>>& limits, int64_t from, int64_t to) {
  std::map<std::string, std::map<int64_t, double>> within;
  for (const auto& [model, hours] : limits) {
    for (auto it = hours.lower_bound(from); it != hours.end() && it->first < to; ++it)
      within[model][it->first] = it->second;
  }
  return within;
}

// The logs path's candidates over [from, to) for these limits.
DbStatus CandidatesFromLogs(DbClient& db, const std::map<std::string, std::map<int64_t, double>>& limits,
                            const AllowList& allow, TimeRange range, std::vector<Finding>* out) {
  if (range.start >= range.end || limits.empty()) return DbStatus::Ok();
  return QueryBigRequestCandidates(db, limits, allow, range, out);
}

}  // namespace

DbStatus ReadSizeTablesCover(DbClient& db, const agg::AggTables& tables, SizeTablesCover* out) {
  return agg::ReadHourCover(db, tables, "request_sizes_from", {tables.request_sizes(), tables.largest_requests()}, out);
}

DbStatus QueryModelHourStatsFrom(DbClient& db, const agg::AggTables& tables, const Thresholds& t, TimeRange range,
                                 ModelHourStats* out, std::string* source) {
  SizeTablesCover cover;
  if (DbStatus s = ReadSizeTablesCover(db, tables, &cover); !s.ok) return s;
  const int64_t from = FloorTo(range.start, kHour) - t.big_request_baseline_hours * kHour, to = range.end;
  // The hours read from the table: [agg_from, agg_to), whole hours (the last hour of the range, partial in logs, is
  // never a baseline hour of the range).
  const int64_t agg_from = std::max(from, cover.from), agg_to = std::min(FloorTo(to - 1, kHour) + kHour, cover.until);
  if (cover.empty() || agg_from >= agg_to) {
    *source = "logs";
    return QueryModelHourSizes(db, from, to, out);
  }
  std::vector<std::string> sources;
  if (from < agg_from) {
    if (DbStatus s = QueryModelHourSizes(db, from, agg_from, out); !s.ok) return s;
    sources.push_back("logs");
  }
  DbStatus status =
      db.QueryEach("SELECT model_name, hour, requests, log_size_sum, log_size_squares FROM " + tables.request_sizes() +
                       " WHERE hour >= " + Str(agg_from) + " AND hour < " + Str(agg_to),
                   [out](const DbRowView& row) {
                     SizeStats& s = (*out)[DbString(row[0])][DbInt(row[1])];
                     s.n = DbDouble(row[2]);
                     s.sum = DbDouble(row[3]);
                     s.sum_squares = DbDouble(row[4]);
                   });
  if (!status.ok) return status;
  sources.push_back("agg_request_sizes_hourly");
  if (agg_to < to) {
    if (DbStatus s = QueryModelHourSizes(db, agg_to, to, out); !s.ok) return s;
    if (sources.back() != "logs") sources.push_back("logs");
  }
  source->clear();
  for (const std::string& s : sources) *source += (source->empty() ? "" : "+") + s;
  return DbStatus::Ok();
}

DbStatus EvaluateBigRequestFrom(DbClient& db, const agg::AggTables& tables, const Thresholds& t, const AllowList& allow,
                                TimeRange range, std::vector<Finding>* out) {
  SizeTablesCover cover;
  if (DbStatus s = ReadSizeTablesCover(db, tables, &cover); !s.ok) return s;
  ModelHourStats stats;
  std::string source;
  if (DbStatus s = QueryModelHourStatsFrom(db, tables, t, range, &stats, &source); !s.ok) return s;
  const auto limits = BigRequestLimits(stats, t, range);
  const size_t first = out->size();
  // The range's hours the tables cover: [from, to) (hour starts).
  const int64_t from = std::max(FloorTo(range.start, kHour), cover.from);
  const int64_t to = std::min(FloorTo(range.end - 1, kHour) + kHour, cover.until);
  if (cover.empty() || from >= to) {
    if (DbStatus s = CandidatesFromLogs(db, limits, allow, range, out); !s.ok) return s;
  } else {
    if (DbStatus s = CandidatesFromLogs(db, LimitsWithin(limits, INT64_MIN, from), allow,
                                        {range.start, std::min(range.end, from)}, out);
        !s.ok) {
      return s;
    }
    if (DbStatus s = CandidatesFromLogs(db, LimitsWithin(limits, to, INT64_MAX), allow,
                                        {std::max(range.start, to), range.end}, out);
        !s.ok) {
      return s;
    }
    // The stored rows of each model-hour that may exceed its limit, largest first.
    const auto stored_limits = LimitsWithin(limits, from, to);
    const std::string over = OverLowestLimitSql(db.dialect(), stored_limits, "model_name", "tokens");
    std::map<std::string, std::map<int64_t, std::vector<Stored>>> stored;
    if (!over.empty()) {
      const std::string sql =
          "SELECT model_name, hour, id, created_at, tokens, user_id, token_id, channel_id, ip FROM " +
          tables.largest_requests() + " WHERE hour >= " + Str(from) + " AND hour < " + Str(to) + " AND (" + over +
          ") ORDER BY tokens DESC, id";
      DbStatus status = db.QueryEach(sql, [&stored](const DbRowView& row) {
        Stored s{DbInt(row[2]), DbInt(row[3]), DbInt(row[4]), {}};
        s.allow_fields.id = s.id;
        s.allow_fields.user_id = DbInt(row[5]);
        s.allow_fields.token_id = DbInt(row[6]);
        s.allow_fields.channel_id = DbInt(row[7]);
        s.allow_fields.ip = DbString(row[8]);
        stored[DbString(row[0])][DbInt(row[1])].push_back(std::move(s));
      });
      if (!status.ok) return status;
    }
    for (const auto& [model, hours] : stored_limits) {
      for (const auto& [hour, limit] : hours) {
        const std::vector<Stored>* rows = nullptr;
        if (auto m = stored.find(model); m != stored.end()) {
          if (auto h = m->second.find(hour); h != m->second.end()) rows = &h->second;
        }
        if (rows == nullptr) continue;  // no request of the model-hour over the model's lowest limit
        const TimeRange hour_range{std::max(range.start, hour), std::min(range.end, hour + kHour)};
        const auto over_limit = std::count_if(
            rows->begin(), rows->end(), [limit](const Stored& r) { return static_cast<double>(r.tokens) > limit; });
        if (static_cast<size_t>(over_limit) >= kLargestPerModelHour) {
          // More requests over the limit than the table keeps: that model-hour from logs.
          if (DbStatus s = CandidatesFromLogs(db, {{model, {{hour, limit}}}}, allow, hour_range, out); !s.ok) return s;
          continue;
        }
        for (const Stored& r : *rows) {
          if (static_cast<double>(r.tokens) <= limit) break;
          if (r.created_at < hour_range.start || r.created_at >= hour_range.end) continue;
          if (allow.AllowsRow(r.allow_fields)) continue;
          out->push_back({Rule::kBigRequest, "request", Str(r.id), model, static_cast<double>(r.tokens), limit,
                          r.created_at, r.created_at, 1, -1});
        }
      }
    }
  }
  // EvaluateRule's order: by subject id as text.
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(),
            [](const Finding& a, const Finding& b) { return a.subject_id < b.subject_id; });
  return DbStatus::Ok();
}

}  // namespace observer::rules
