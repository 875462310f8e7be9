// The log tail collector: the start of the tail, and each refresh through the reader to the sinks.
#include "collectors/log_tail.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "observer/agg_tables.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "observer/rules/big_request_agg.h"
#include "observer/rules/sql_rules.h"

namespace exporter {
namespace {

using observer::DbStatus;
using observer::metrics::Name;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

class LogTailCollector::Lag : public prometheus::Collectable {
 public:
  void CaughtUp(int64_t now) { caught_up_at_.store(now); }
  std::vector<prometheus::MetricFamily> Collect() const override {
    const int64_t at = caught_up_at_.load();
    if (at == 0) return {};
    auto family = observer::metrics::GaugeFamily(
        Name("exporter", "tail_lag_seconds"),
        "Seconds since the tailer last reached the end of the logs table (0 while it keeps up).");
    observer::metrics::AddGaugeSample(family, {}, static_cast<double>(std::max<int64_t>(NowSeconds() - at, 0)));
    return {family};
  }

 private:
  std::atomic<int64_t> caught_up_at_{0};
};

LogTailCollector::LogTailCollector(LogTailOptions options, prometheus::Registry& registry,
                                   std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots, LiveFacts& facts,
                                   std::shared_ptr<const RiskConfig> risk)
    : options_(options),
      risk_(std::move(risk)),
      risk_version_(risk_->version()),
      usage_(registry, options.labels, facts),
      risk_sink_(registry, snapshots, risk_->current()->thresholds, risk_->current()->allow, options.max_hits_per_rule),
      top_(options.top_window_minutes, options.top_k, snapshots),
      coverage_(options.coverage_window_minutes, snapshots, facts),
      facts_(facts),
      lag_(std::make_shared<Lag>()),
      start_id_(observer::metrics::RegisterGauge(
          registry, "exporter", "tail_start_id",
          "The logs id the tailer started after (by default the end of the table at start).")),
      last_id_(observer::metrics::RegisterGauge(registry, "exporter", "tail_last_id",
                                                "The tail cursor: the highest logs id read.")),
      holes_(observer::metrics::RegisterGauge(
          registry, "exporter", "tail_holes",
          "Ids below the cursor not seen yet, re-checked until the grace period ends.")),
      rows_read_(observer::metrics::RegisterCounter(registry, "exporter", "rows_read_total",
                                                    "Rows of logs read and counted by the tailer.")),
      late_rows_(observer::metrics::RegisterCounter(registry, "exporter", "tail_late_rows_total",
                                                    "Rows found when a hole was re-checked (committed late).")),
      holes_expired_(observer::metrics::RegisterCounter(
          registry, "exporter", "tail_holes_expired_total",
          "Holes given up after the grace period (rolled-back inserts, or rows committed later still).")),
      untracked_ids_(observer::metrics::RegisterGauge(registry, "exporter", "tail_untracked_ids",
                                                      "Ids in gaps too wide to track as holes (never re-checked).")),
      baseline_info_(observer::metrics::RegisterGauges(
          registry, "exporter", "baseline_info",
          "Where the usage counters started, always 1: agg_usage_hourly (all-time totals), tail (the end of logs: no "
          "aggregate table yet) or start_id (TAIL_START_ID).")),
      baseline_boundary_(observer::metrics::RegisterGauge(
          registry, "exporter", "baseline_boundary_timestamp_seconds",
          "Rows created before this time came from agg_usage_hourly; 0 without a baseline.")) {}

std::shared_ptr<prometheus::Collectable> LogTailCollector::lag_collectable() const { return lag_; }

DbStatus LogTailCollector::Start(observer::DbClient& db) {
  int64_t start = options_.start_id;
  std::string source = "start_id";
  if (start < 0) {
    // A baseline already applied by an earlier, failed attempt is kept, never loaded twice.
    bool found = count_from_created_at_ != INT64_MIN;
    if (!found) {
      if (DbStatus s = LoadBaseline(db, &found); !s.ok) return s;
    }
    if (found) {
      // The first row at or after an hour before the boundary: rows are stamped before they get their id, so ids and
      // created_at disagree by seconds, never by an hour. Rows read before the boundary are skipped in Refresh.
      observer::QueryResult first;
      const std::string sql =
          "SELECT id FROM logs WHERE created_at >= " + std::to_string(count_from_created_at_ - 3600) +
          " ORDER BY created_at, id LIMIT 1";
      if (DbStatus s = db.Query(sql, &first); !s.ok) return s;
      if (!first.rows.empty() && first.rows[0][0]) start = std::stoll(*first.rows[0][0]) - 1;
      source = "agg_usage_hourly";
    } else {
      source = "tail";
    }
    if (start < 0) {
      observer::QueryResult result;
      if (DbStatus s = db.Query("SELECT COALESCE(MAX(id), 0) FROM logs", &result); !s.ok) return s;
      start = result.rows.empty() || !result.rows[0][0] ? 0 : std::stoll(*result.rows[0][0]);
    }
  }
  if (source != "start_id") SeedRequestSizes(db, source == "tail" ? NowSeconds() : count_from_created_at_);
  WarnAboutLogsIndexes(db);
  reader_ = std::make_unique<tail::Reader>(start, options_.reader);
  start_id_.Set(static_cast<double>(start));
  last_id_.Set(static_cast<double>(start));
  baseline_info_.Add({{"source", source}}).Set(1);
  if (source == "tail") {
    observer::log::Warn(
        "no finalized hours in agg_usage_hourly: counters start at the end of logs, not at all-time "
        "totals (run newapi-aggregator)",
        {{"start_id", start}});
  } else {
    observer::log::Info("log tail started", {{"start_id", start}, {"baseline", source}});
  }
  return DbStatus::Ok();
}

void LogTailCollector::WarnAboutLogsIndexes(observer::DbClient& db) {
  observer::QueryResult rows;
  if (!db.Query(db.dialect().IndexColumnsSql("", "logs"), &rows).ok) return;
  if (std::string fix = observer::newapi::LogsIndexAdvice(db.dialect(), rows); !fix.empty()) {
    observer::log::Warn(
        "logs has no index starting with (created_at, id), as upgraded installs keep the old "
        "(id, created_at) order: the JSON API's time-range queries scan. Fix on the primary, off-peak",
        {{"fix", fix}});
  }
}

void LogTailCollector::SeedRequestSizes(observer::DbClient& db, int64_t first_seen) {
  // The whole hours before the first row the rules will see: big_request's baseline, read once, from the
  // aggregator's agg_request_sizes_hourly for the hours it holds (the usual case: the boundary is finalized_until),
  // else from logs.
  const int64_t hour = first_seen - first_seen % 3600;
  observer::rules::ModelHourStats stats;
  std::string source;
  const auto started = std::chrono::steady_clock::now();
  DbStatus status = observer::rules::QueryModelHourStatsFrom(db, TablesOn(db), risk_sink_.rules().thresholds(),
                                                             {hour, hour}, &stats, &source);
  if (!status.ok) {
    observer::log::Warn("big_request starts without a baseline: it fires once enough requests are seen",
                        {{"error", status.message}});
    return;
  }
  risk_sink_.rules().SeedModelHours(stats);
  observer::log::Info("big_request baseline loaded",
                      {{"models", stats.size()},
                       {"until", hour},
                       {"source", source},
                       {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
}

DbStatus LogTailCollector::LoadBaseline(observer::DbClient& db, bool* found) {
  *found = false;
  observer::QueryResult result;
  const observer::agg::AggTables tables = TablesOn(db);
  DbStatus status = db.Query(tables.ReadProgressSql(), &result);
  if (observer::agg::NotReadable(status)) {
    observer::log::Warn("agg_usage_hourly is not readable", {{"error", status.message}});
    return DbStatus::Ok();
  }
  if (!status.ok) return status;
  const observer::agg::Progress progress = observer::agg::AggTables::ProgressFrom(result);
  if (progress.finalized_until == observer::agg::Progress::kNone) return DbStatus::Ok();
  const int64_t boundary = progress.finalized_until;

  // Spend in the baseline needs the instance's QuotaPerUnit, which the entities collector reads from the main database
  // (logs may live in another one) when the exporter starts: wait for it briefly, else retry this start later.
  for (int waited_ms = 0; !facts_.quota_per_unit_read.load(); waited_ms += 50) {
    if (waited_ms >= 5000) {
      return DbStatus::Failure(observer::DbError::kOther,
                               "QuotaPerUnit not read yet: the entities collector reads it from the main database");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double quota_per_unit = facts_.quota_per_unit.load();

  // One grouped pass over the finalized hours; allowed a minute, since it runs once per start.
  // From the model/channel rollup when it covers the finalized hours and the account may read it.
  auto query_totals = [&](bool from_rollup, observer::QueryResult* out) {
    return db.QueryWithTimeout(tables.BaselineSql(boundary, from_rollup), 60000, out);
  };
  observer::QueryResult totals;
  status = query_totals(progress.rollups_ready(), &totals);
  if (progress.rollups_ready() && observer::agg::NotReadable(status)) {
    observer::log::Warn("the rollups are not readable (grant SELECT per schema/grants.sql); reading agg_usage_hourly",
                        {{"error", status.message}});
    status = query_totals(false, &totals);
  }
  if (!status.ok) return status;
  // Applied only once every query has succeeded, so a failed start can be retried without counting twice.
  usage_.AddBaseline(observer::agg::BaselineRowsFrom(totals), quota_per_unit);
  count_from_created_at_ = boundary;
  baseline_boundary_.Set(static_cast<double>(boundary));
  *found = true;
  observer::log::Info("counters start at all-time totals",
                      {{"finalized_until", boundary}, {"label_sets", totals.rows.size()}});
  return DbStatus::Ok();
}

DbStatus LogTailCollector::Refresh(observer::DbClient& db) {
  if (!reader_) {
    if (DbStatus s = Start(db); !s.ok) return s;
  }
  const bool reloaded = risk_->version() != risk_version_;
  if (reloaded) {  // a reload: new thresholds, same windows
    risk_version_ = risk_->version();
    const auto rules = risk_->current();
    risk_sink_.rules().SetRules(rules->thresholds, rules->allow);
  }
  const int64_t now = NowSeconds();
  RefreshRuleBaselines(db, now, reloaded);
  tail::Reader::Poll poll;
  DbStatus status = reader_->Read(
      tail::QueryOn(db), now,
      [&](const observer::newapi::LogRow& row, bool late) {
        if (late) late_rows_.Increment();
        if (row.created_at < count_from_created_at_) return;  // already in the baseline
        rows_read_.Increment();
        for (tail::Sink* sink : sinks_) sink->Observe(row, now);
      },
      &poll);
  if (!status.ok) return status;
  holes_expired_.Increment(static_cast<double>(poll.holes_expired));
  const TailCursor& cursor = reader_->cursor();
  holes_.Set(static_cast<double>(cursor.hole_count()));
  untracked_ids_.Set(static_cast<double>(cursor.untracked_ids()));
  last_id_.Set(static_cast<double>(cursor.cursor()));
  if (poll.caught_up) lag_->CaughtUp(now);
  for (tail::Sink* sink : sinks_) sink->Publish(now);
  return DbStatus::Ok();
}

observer::agg::AggTables LogTailCollector::TablesOn(const observer::DbClient& db) const {
  const std::string& container = options_.agg_database.empty()
                                     ? observer::agg::DefaultContainer(db.options().engine, db.options().database)
                                     : options_.agg_database;
  return observer::agg::AggTables(db.dialect(), container);
}

void LogTailCollector::RefreshRuleBaselines(observer::DbClient& db, int64_t now, bool reloaded) {
  constexpr int64_t kEverySeconds = 300;  // the aggregator rewrites them hourly
  const observer::rules::Thresholds& t = risk_sink_.rules().thresholds();
  if (!t.burst_adaptive && !t.ip_users_adaptive) return;
  if (!reloaded && now - rule_baselines_read_at_ < kEverySeconds) return;
  rule_baselines_read_at_ = now;
  const observer::agg::AggTables tables = TablesOn(db);
  observer::rules::Baselines baselines;
  const DbStatus status = observer::rules::LoadBaselines(db, tables.rule_baselines(), &baselines);
  if (!status.ok) {  // the rules keep the baselines they had; subjects without one use the static limits
    observer::log::Warn("agg_rule_baselines is not readable", {{"error", status.message}});
    return;
  }
  observer::log::Info("rule baselines read", {{"tokens", baselines.burst.size()}, {"ips", baselines.ip_users.size()}});
  risk_sink_.rules().SetBaselines(std::move(baselines));
}

}  // namespace exporter
