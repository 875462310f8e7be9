// /api/stats/series, /api/stats/top, /api/stats/active and /api/stats/heatmap.
#include <functional>
#include <map>
#include <vector>

#include "api/handlers.h"
#include "api/plan.h"
#include "api/usage_sql.h"
#include "observer/log.h"

namespace exporter::api {
namespace {

using observer::DbInt;
using observer::DbRowView;
using observer::DbStatus;
using observer::DbString;

// The aggregator's progress; everything reads logs when its tables are missing or not readable.
DbStatus ReadProgress(observer::DbClient& db, const ApiContext& ctx, observer::agg::Progress* out) {
  *out = {};
  observer::QueryResult result;
  DbStatus status = db.Query(ctx.tables.ReadProgressSql(), &result);
  if (observer::agg::NotReadable(status)) {
    observer::log::Warn("agg_state is not readable; the JSON API reads logs only", {{"error", status.message}});
    return DbStatus::Ok();
  }
  if (status.ok) *out = observer::agg::AggTables::ProgressFrom(result);
  return status;
}

// Runs a usage answer over the plan of these boundaries, from the rollups when they cover the finalized hours. An
// account without SELECT on them (grants older than the rollups) gets the answer from agg_usage_hourly, with a
// warning once per process.
Answer WithPlan(observer::DbClient& db, const ApiContext& ctx, const std::vector<int64_t>& boundaries,
                const std::function<Answer(const Plan&, const HourlySources&, DbStatus*)>& answer) {
  observer::agg::Progress progress;
  if (DbStatus s = ReadProgress(db, ctx, &progress); !s.ok) return DbFailure(s);
  const Plan plan = MakePlan(boundaries, progress.finalized_until);  // kNone is kNothingFinalized
  const bool rollups = progress.rollups_ready() && ctx.rollups_readable->load();
  const int64_t active_values_from =
      ctx.active_values_readable->load() ? progress.active_values_from : observer::agg::Progress::kNone;
  DbStatus status;
  Answer result = answer(plan, HourlySources{ctx.tables, rollups, active_values_from}, &status);
  if (rollups && active_values_from != observer::agg::Progress::kNone && observer::agg::NotReadable(status)) {
    // Maybe agg_active_by_value alone (grants older than it): without it first.
    if (ctx.active_values_readable->exchange(false)) {
      observer::log::Warn(
          "agg_active_by_value is not readable (grant SELECT per schema/grants-logs.sql); filtered distinct counts "
          "read agg_usage_hourly",
          {{"error", status.message}});
    }
    status = DbStatus::Ok();
    result = answer(plan, HourlySources{ctx.tables, rollups}, &status);
  }
  if (rollups && observer::agg::NotReadable(status)) {
    if (ctx.rollups_readable->exchange(false)) {
      observer::log::Warn(
          "the rollup tables are not readable (grant SELECT per schema/grants.sql; newapi-exporter "
          "--check lists what is missing); the JSON API reads agg_usage_hourly",
          {{"error", status.message}});
    }
    status = DbStatus::Ok();
    result = answer(plan, HourlySources{ctx.tables, false}, &status);
  }
  if (!status.ok) return DbFailure(status);
  return result;
}

struct DistinctCount {
  int64_t users = 0;
  int64_t tokens = 0;
};

// Distinct users and tokens of each bucket of the plan (indexed like plan.bucket_starts): a bucket read wholly from
// the hourly tables counts them with agg_active_hourly when CountsFromActive allows it, any other over the union of
// its parts' rows (DistinctByBucketSql).
DbStatus CountDistinct(observer::DbClient& db, const Plan& plan, const Filters& filters, const HourlySources& sources,
                       std::vector<DistinctCount>* counts) {
  counts->assign(plan.bucket_starts.size(), DistinctCount{});
  if (const std::string sql = DistinctByBucketSql(plan, filters, sources); !sql.empty()) {
    DbStatus status = db.QueryEach(sql, [&](const DbRowView& row) {
      const int64_t index = DbInt(row[0]) - 1;
      if (index < 0 || index >= static_cast<int64_t>(counts->size())) return;
      (*counts)[static_cast<size_t>(index)] = {DbInt(row[1]), DbInt(row[2])};
    });
    if (!status.ok) return status;
  }
  if (CountsFromActive(plan, filters, sources) && !plan.hourly_whole.empty()) {
    // The wholly hourly buckets, which DistinctByBucketSql left out.
    return db.QueryEach(ActiveSql(plan, filters, sources), [&](const DbRowView& row) {
      size_t index = 0;
      if (!NewInBucket(plan, DbInt(row[1]), DbInt(row[2]), &index)) return;
      DistinctCount& count = (*counts)[index];
      (DbString(row[0]) == "user" ? count.users : count.tokens) += DbInt(row[3]);
    });
  }
  return DbStatus::Ok();
}

int64_t MetricValue(Metric metric, int64_t reqs, int64_t tokens, int64_t quota, int64_t errors) {
  switch (metric) {
    case Metric::kReqs: return reqs;
    case Metric::kTokens: return tokens;
    case Metric::kQuota: return quota;
    case Metric::kErrors: return errors;
  }
  return reqs;
}

}  // namespace

Answer Series(const SeriesParams& p, observer::DbClient& db, const ApiContext& ctx) {
  return WithPlan(db, ctx, p.boundaries, [&](const Plan& plan, const HourlySources& sources, DbStatus* status) {
    // Every bucket, zeros where nothing happened.
    nlohmann::json buckets = nlohmann::json::array();
    for (int64_t start : plan.bucket_starts) {
      buckets.push_back({{"bucket", LocalIso(*p.zone, start)},
                         {"bucket_ms", start * 1000},
                         {"reqs", 0},
                         {"tokens", 0},
                         {"users", 0},
                         {"tokens_cnt", 0},
                         {"quota", 0},
                         {"errors", 0}});
    }
    auto bucket_at = [&](const DbRowView& row) -> nlohmann::json* {
      const int64_t index = DbInt(row[0]) - 1;
      if (index < 0 || index >= static_cast<int64_t>(buckets.size())) return nullptr;
      return &buckets[static_cast<size_t>(index)];
    };
    *status = db.QueryEach(UsageByBucketSql(plan, p.filters, sources), [&](const DbRowView& row) {
      if (nlohmann::json* b = bucket_at(row)) {
        (*b)["reqs"] = DbInt(row[1]);
        (*b)["tokens"] = DbInt(row[2]);
        (*b)["quota"] = DbInt(row[3]);
        (*b)["errors"] = DbInt(row[4]);
      }
    });
    if (!status->ok) return Answer();
    std::vector<DistinctCount> counts;
    *status = CountDistinct(db, plan, p.filters, sources, &counts);
    if (!status->ok) return Answer();
    for (size_t i = 0; i < counts.size(); ++i) {
      buckets[i]["users"] = counts[i].users;
      buckets[i]["tokens_cnt"] = counts[i].tokens;
    }
    return Answer::Ok(std::move(buckets), PlanSources(plan));
  });
}

Answer Top(const TopParams& p, observer::DbClient& db, const ApiContext& ctx) {
  return WithPlan(
      db, ctx, {p.range.start, p.range.end}, [&](const Plan& plan, const HourlySources& sources, DbStatus* status) {
        nlohmann::json rows = nlohmann::json::array();
        std::vector<int64_t> ids;
        *status = db.QueryEach(TopSql(plan, p.filters, sources, p.by, p.metric, p.limit), [&](const DbRowView& row) {
          nlohmann::json entry;
          if (p.by == Dimension::kModel) {
            entry["model_name"] = DbString(row[0]);
          } else {
            ids.push_back(DbInt(row[0]));
          }
          entry["reqs"] = DbInt(row[1]);
          entry["tokens"] = DbInt(row[2]);
          entry["quota_sum"] = DbInt(row[3]);
          entry["errors"] = DbInt(row[4]);
          rows.push_back(std::move(entry));
        });
        if (!status->ok) return Answer();
        std::map<int64_t, EntityName> names;
        *status = ctx.names->Lookup(db, p.by, ids, &names);
        if (!status->ok) return Answer();
        for (size_t i = 0; i < ids.size(); ++i) {
          const auto found = names.find(ids[i]);
          const EntityName name = found == names.end() ? EntityName{} : found->second;
          nlohmann::json& entry = rows[i];
          switch (p.by) {
            case Dimension::kUser: entry.update({{"user_id", ids[i]}, {"username", name.name}}); break;
            case Dimension::kToken:
              entry.update({{"token_id", ids[i]}, {"token_name", name.name}, {"user_id", name.owner_id}});
              break;
            case Dimension::kChannel: entry.update({{"channel_id", ids[i]}, {"channel_name", name.name}}); break;
            case Dimension::kModel: break;
          }
        }
        return Answer::Ok(std::move(rows), PlanSources(plan));
      });
}

Answer Active(const ActiveParams& p, observer::DbClient& db, const ApiContext& ctx) {
  // The range as one bucket: exact from agg_active_hourly when it is whole finalized hours (at most
  // kActiveHoursCap of them) and unfiltered, otherwise COUNT(DISTINCT) over the rollups' and logs' rows.
  return WithPlan(db, ctx, {p.range.start, p.range.end},
                  [&](const Plan& plan, const HourlySources& sources, DbStatus* status) {
                    std::vector<DistinctCount> counts;
                    *status = CountDistinct(db, plan, p.filters, sources, &counts);
                    if (!status->ok) return Answer();
                    return Answer::Ok({{"start_ms", p.range.start * 1000},
                                       {"end_ms", p.range.end * 1000},
                                       {"users", counts.at(0).users},
                                       {"tokens_cnt", counts.at(0).tokens}},
                                      PlanSources(plan));
                  });
}

Answer Heatmap(const HeatmapParams& p, observer::DbClient& db, const ApiContext& ctx) {
  return WithPlan(db, ctx, p.boundaries, [&](const Plan& plan, const HourlySources& sources, DbStatus* status) {
    // Rows Monday..Sunday, columns local hours 0..23; each local hour of the range adds to its cell.
    std::vector<std::vector<int64_t>> cells(7, std::vector<int64_t>(24, 0));
    *status = db.QueryEach(UsageByBucketSql(plan, p.filters, sources), [&](const DbRowView& row) {
      const int64_t index = DbInt(row[0]) - 1;
      if (index < 0 || index >= static_cast<int64_t>(plan.bucket_starts.size())) return;
      const int64_t start = plan.bucket_starts[static_cast<size_t>(index)];
      const int64_t local = start + p.zone->OffsetAt(start);
      const int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
      const int64_t weekday = ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday: Monday = 0
      const int64_t hour = (local - days * 86400) / 3600;
      cells[static_cast<size_t>(weekday)][static_cast<size_t>(hour)] +=
          MetricValue(p.metric, DbInt(row[1]), DbInt(row[2]), DbInt(row[3]), DbInt(row[4]));
    });
    if (!status->ok) return Answer();
    return Answer::Ok({{"metric", MetricName(p.metric)},
                       {"tz", p.zone->name()},
                       {"start_ms", p.range.start * 1000},
                       {"end_ms", p.range.end * 1000},
                       {"weekdays", {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}},
                       {"cells", cells}},
                      PlanSources(plan));
  });
}

}  // namespace exporter::api
