// The log tail collector: starts the tail (counter baseline, big_request seed, index advice), then on every refresh
// has the reader (tail/reader.h) hand each new row once to the sinks (usage counters, risk rules, Top-K, coverage)
// and publishes them.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <atomic>
#include <climits>
#include <memory>

#include "collectors/collector.h"
#include "live_facts.h"
#include "observer/snapshot_collectable.h"
#include "risk_config.h"
#include "tail/coverage_sink.h"
#include "tail/reader.h"
#include "tail/risk_sink.h"
#include "tail/top_sink.h"
#include "tail/usage_sink.h"

namespace exporter {

struct LogTailOptions {
  std::string agg_database;  // where agg_usage_hourly lives (the baseline); empty = the connection's database
  int64_t start_id = -1;     // read rows after this id; -1 = start at the end of the table
  tail::Reader::Options reader;
  std::chrono::milliseconds poll_interval{1000};
  int top_window_minutes = 60;
  size_t top_k = 20;
  int coverage_window_minutes = 15;
  LabelLimits labels;
  size_t max_hits_per_rule = 50;
};

class LogTailCollector : public Collector {
 public:
  // Reads facts.quota_per_unit (kept up to date by the entities collector) and keeps facts.ip_share.
  LogTailCollector(LogTailOptions options, prometheus::Registry& registry,
                   std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots, LiveFacts& facts,
                   std::shared_ptr<const RiskConfig> risk);

  std::string name() const override { return "log_tail"; }
  std::chrono::milliseconds interval() const override { return options_.poll_interval; }
  observer::DbStatus Refresh(observer::DbClient& db) override;

  // Seconds since the tailer last reached the end of `logs` (0 while it keeps up); computed at scrape time so it
  // grows while the database is unreachable.
  std::shared_ptr<prometheus::Collectable> lag_collectable() const;

 private:
  class Lag;

  observer::DbStatus Start(observer::DbClient& db);
  // Reads the counters' starting totals from agg_usage_hourly; *found is false when there is nothing to start from.
  observer::DbStatus LoadBaseline(observer::DbClient& db, bool* found);
  // Loads big_request's statistics of the hours before first_seen; without them the rule waits for new hours.
  void SeedRequestSizes(observer::DbClient& db, int64_t first_seen);
  // Logs the fix when `logs` has the old (id, created_at) index order of upgraded installs.
  void WarnAboutLogsIndexes(observer::DbClient& db);
  // In adaptive mode, reads the aggregator's per-subject baselines (agg_rule_baselines) every few minutes.
  void RefreshRuleBaselines(observer::DbClient& db, int64_t now, bool reloaded);
  observer::agg::AggTables TablesOn(const observer::DbClient& db) const;

  LogTailOptions options_;
  std::unique_ptr<tail::Reader> reader_;
  std::shared_ptr<const RiskConfig> risk_;
  uint64_t risk_version_ = 0;
  tail::UsageSink usage_;
  tail::RiskSink risk_sink_;
  tail::TopSink top_;
  tail::CoverageSink coverage_;
  tail::Sink* const sinks_[4] = {&usage_, &risk_sink_, &top_, &coverage_};
  LiveFacts& facts_;
  std::shared_ptr<Lag> lag_;
  int64_t rule_baselines_read_at_ = 0;
  int64_t count_from_created_at_ = INT64_MIN;  // rows before the baseline boundary are already in the baseline

  prometheus::Gauge& start_id_;
  prometheus::Gauge& last_id_;
  prometheus::Gauge& holes_;
  prometheus::Counter& rows_read_;
  prometheus::Counter& late_rows_;
  prometheus::Counter& holes_expired_;
  prometheus::Gauge& untracked_ids_;
  prometheus::Family<prometheus::Gauge>& baseline_info_;
  prometheus::Gauge& baseline_boundary_;
};

}  // namespace exporter
