// /api/stats/series, /api/stats/top and /api/stats/heatmap.
#include <mysqld_error.h>

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

// The plan of these bucket boundaries against the hourly table's current progress.
DbStatus PlanFor(observer::MysqlClient& db, const ApiContext& ctx, const std::vector<int64_t>& boundaries, Plan* plan) {
  int64_t finalized_until = kNothingFinalized;
  DbStatus status = ReadFinalizedUntil(db, ctx.tables, &finalized_until);
  if (status.ok) *plan = MakePlan(boundaries, finalized_until);
  return status;
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

DbStatus ReadFinalizedUntil(observer::MysqlClient& db, const observer::agg::AggTables& tables, int64_t* out) {
  *out = kNothingFinalized;
  observer::QueryResult result;
  DbStatus status = db.Query(tables.ReadFinalizedUntilSql(), &result);
  if (!status.ok && (status.code == ER_NO_SUCH_TABLE || status.code == ER_TABLEACCESS_DENIED_ERROR ||
                     status.code == ER_BAD_DB_ERROR)) {
    observer::log::Warn("agg_state is not readable; the JSON API reads logs only", {{"error", status.message}});
    return DbStatus::Ok();
  }
  if (status.ok && !result.rows.empty() && result.rows[0][0]) *out = DbInt(*result.rows[0][0]);
  return status;
}

Answer Series(const SeriesParams& p, observer::MysqlClient& db, const ApiContext& ctx) {
  Plan plan;
  if (DbStatus s = PlanFor(db, ctx, p.boundaries, &plan); !s.ok) return DbFailure(s);
  // Every bucket, zeros where nothing happened.
  nlohmann::json buckets = nlohmann::json::array();
  for (int64_t start : plan.bucket_starts) {
    buckets.push_back({{"bucket", LocalIso(*p.zone, start)}, {"bucket_ms", start * 1000}, {"reqs", 0}, {"tokens", 0},
                       {"users", 0}, {"tokens_cnt", 0}, {"quota", 0}, {"errors", 0}});
  }
  DbStatus status = db.QueryEach(UsageByBucketSql(plan, p.filters, ctx.tables.usage(), true), [&](const DbRowView& row) {
    const int64_t index = DbInt(row[0]) - 1;
    if (index < 0 || index >= static_cast<int64_t>(buckets.size())) return;
    nlohmann::json& b = buckets[static_cast<size_t>(index)];
    b["reqs"] = DbInt(row[1]);
    b["tokens"] = DbInt(row[2]);
    b["users"] = DbInt(row[3]);
    b["tokens_cnt"] = DbInt(row[4]);
    b["quota"] = DbInt(row[5]);
    b["errors"] = DbInt(row[6]);
  });
  if (!status.ok) return DbFailure(status);
  return Answer::Ok(std::move(buckets), PlanSources(plan));
}

Answer Top(const TopParams& p, observer::MysqlClient& db, const ApiContext& ctx) {
  Plan plan;
  if (DbStatus s = PlanFor(db, ctx, {p.range.start, p.range.end}, &plan); !s.ok) return DbFailure(s);
  nlohmann::json rows = nlohmann::json::array();
  DbStatus status = db.QueryEach(TopSql(plan, p.filters, ctx.tables.usage(), p.by, p.metric, p.limit),
                                 [&](const DbRowView& row) {
    nlohmann::json entry;
    switch (p.by) {
      case Dimension::kUser: entry = {{"user_id", DbInt(row[0])}, {"username", DbString(row[1])}}; break;
      case Dimension::kToken:
        entry = {{"token_id", DbInt(row[0])}, {"token_name", DbString(row[1])}, {"user_id", DbInt(row[2])}};
        break;
      case Dimension::kModel: entry = {{"model_name", DbString(row[0])}}; break;
      case Dimension::kChannel: entry = {{"channel_id", DbInt(row[0])}, {"channel_name", DbString(row[1])}}; break;
    }
    entry["reqs"] = DbInt(row[3]);
    entry["tokens"] = DbInt(row[4]);
    entry["quota_sum"] = DbInt(row[5]);
    entry["errors"] = DbInt(row[6]);
    rows.push_back(std::move(entry));
  });
  if (!status.ok) return DbFailure(status);
  return Answer::Ok(std::move(rows), PlanSources(plan));
}

Answer Heatmap(const HeatmapParams& p, observer::MysqlClient& db, const ApiContext& ctx) {
  Plan plan;
  if (DbStatus s = PlanFor(db, ctx, p.boundaries, &plan); !s.ok) return DbFailure(s);
  // Rows Monday..Sunday, columns local hours 0..23; each local hour of the range adds to its cell.
  std::vector<std::vector<int64_t>> cells(7, std::vector<int64_t>(24, 0));
  DbStatus status = db.QueryEach(UsageByBucketSql(plan, p.filters, ctx.tables.usage(), false), [&](const DbRowView& row) {
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
  if (!status.ok) return DbFailure(status);
  return Answer::Ok({{"metric", MetricName(p.metric)},
                     {"tz", p.zone->name()},
                     {"start_ms", p.range.start * 1000},
                     {"end_ms", p.range.end * 1000},
                     {"weekdays", {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}},
                     {"cells", cells}},
                    PlanSources(plan));
}

}  // namespace exporter::api
