// Keeps agg_usage_hourly and its rollups up to date: under a MySQL named lock (one writer among several
// aggregators), recomputes every hour from the last finalized one to the current one from `logs`, writes absolute
// values, derives the hour's rollups, writes the risk rules' per-hour tables (request_sizes.h, rule_windows.h), and
// finalizes an hour AGG_FINALIZE_LAG_SECONDS after it ends, storing that progress in the same transaction. The first
// run is the backfill of all history, hour by hour, with progress lines; an installation whose finalized hours
// predate the rollups gets them built from agg_usage_hourly first.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "active_by_value.h"
#include "hourly_rollup.h"
#include "observer/agg_tables.h"
#include "observer/db_client.h"
#include "observer/rules/sql_rules.h"

namespace aggregator {

struct HourlyJobOptions {
  std::string agg_database;  // where agg_usage_hourly and agg_state live
  int64_t finalize_lag_seconds = 7200;
  int64_t chunk_seconds = 600;  // logs are read in created_at slices of this size
  size_t upsert_batch = 500;
};

enum class RunOutcome { kDone, kStandby };

class HourlyJob {
 public:
  HourlyJob(observer::DbOptions db, HourlyJobOptions options, prometheus::Registry& registry);

  // One pass at unix time now. kStandby when another aggregator holds the lock (nothing written).
  observer::DbStatus RunOnce(int64_t now, RunOutcome* outcome);
  // Whether this aggregator holds the writer lock (any thread): only the writer acts on alerts.
  bool holds_lock() const { return lock_held_; }

 private:
  observer::DbStatus EnsureLockAndTables(bool* acquired);
  observer::DbStatus ReadProgress(observer::agg::Progress* out);
  observer::DbStatus CatchUpRollups(const observer::agg::Progress& progress, int64_t now);
  // BEGIN, body, COMMIT; ROLLBACK when the body fails.
  observer::DbStatus InTransaction(const std::function<observer::DbStatus()>& body);
  // Runs the statements in order, adding their affected rows to *affected_rows (when not null).
  observer::DbStatus ExecuteAll(const std::vector<std::string>& statements, uint64_t* affected_rows);
  // baselines, when not null: the hour's counts are added to it if the hour is among the baselines' days before
  // baselines_until.
  observer::DbStatus RecomputeHour(int64_t hour, bool finalize, int64_t now, int64_t* rows_read,
                                   observer::rules::BaselineCounts* baselines, int64_t baselines_until);
  // Whether agg_rule_baselines is due (once a day; agg_state rule_baselines_until, so a restart or a --once run does
  // not redo it).
  static bool BaselinesDue(int64_t computed_until, int64_t until);
  // Rewrites agg_rule_baselines (the adaptive risk rules' per-subject baselines) of the 7 days before `until` (the
  // current hour), in one transaction: from `counted` when the pass counted every hour of those days (a backfill),
  // else from logs.
  observer::DbStatus WriteRuleBaselines(int64_t until, int64_t now, observer::rules::BaselineCounts* counted);
  // Records, once, the first hour the newer per-hour tables hold (agg_state request_sizes_from for big_request's,
  // rule_windows_from for the other rules', burst_windows_from for agg_burst_windows, active_values_from for
  // agg_active_by_value).
  observer::DbStatus MarkHourTablesFrom(int64_t first_hour, int64_t now);
  // Rebuilds active_values_ for the hours before `hour` from agg_usage_hourly.
  observer::DbStatus RebuildActiveValues(int64_t hour);
  std::string LockName() const;

  observer::DbClient db_;
  HourlyJobOptions options_;
  observer::agg::AggTables tables_;
  std::atomic<bool> lock_held_ = false;
  bool tables_ready_ = false;
  bool hour_tables_marked_ = false;
  ActiveByValue active_values_;
  // Where the current pass spends its time (seconds), for its "aggregation pass done" line.
  struct PassTimes {
    double logs_read = 0, diff = 0, active_values = 0, write = 0, baselines = 0;
  } pass_times_;

  prometheus::Gauge& lock_gauge_;
  prometheus::Gauge& last_success_;
  prometheus::Gauge& run_duration_;
  prometheus::Gauge& finalized_until_;
  prometheus::Counter& hours_recomputed_;
  prometheus::Counter& rows_upserted_;
  prometheus::Counter& rows_read_;
};

}  // namespace aggregator
