// The log tailer collector.
#include "collectors/log_tail.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "db_check.h"
#include "observer/agg_tables.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "observer/rules/rules.h"
#include "observer/rules/sql_rules.h"

namespace exporter {
namespace {

using observer::DbStatus;
using observer::metrics::Name;
using observer::newapi::LogRow;

constexpr size_t kHolesPerQuery = 1000;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

prometheus::Gauge& SelfGauge(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(Name("exporter", name)).Help(help).Register(registry).Add({});
}

prometheus::Counter& SelfCounter(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(Name("exporter", name)).Help(help).Register(registry).Add({});
}

std::string WindowLabel(int minutes) {
  return minutes % 60 == 0 ? std::to_string(minutes / 60) + "h" : std::to_string(minutes) + "m";
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
                                   std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots,
                                   LiveFacts& facts, std::shared_ptr<const RiskConfig> risk)
    : options_(options),
      usage_(registry, options.labels),
      top_(options.top_window_minutes, options.top_k),
      risk_(std::move(risk)),
      risk_version_(risk_->version()),
      rules_(risk_->current()->thresholds, risk_->current()->allow),
      snapshots_(std::move(snapshots)),
      facts_(facts),
      lag_(std::make_shared<Lag>()),
      start_id_(SelfGauge(registry, "tail_start_id", "The logs id the tailer started after (by default the end of the table at start).")),
      last_id_(SelfGauge(registry, "tail_last_id", "The tail cursor: the highest logs id read.")),
      holes_(SelfGauge(registry, "tail_holes", "Ids below the cursor not seen yet, re-checked until the grace period ends.")),
      rows_read_(SelfCounter(registry, "rows_read_total", "Rows of logs read and counted by the tailer.")),
      late_rows_(SelfCounter(registry, "tail_late_rows_total", "Rows found when a hole was re-checked (committed late).")),
      holes_expired_(SelfCounter(registry, "tail_holes_expired_total",
                                 "Holes given up after the grace period (rolled-back inserts, or rows committed later still).")),
      untracked_ids_(SelfGauge(registry, "tail_untracked_ids",
                               "Ids in gaps too wide to track as holes (never re-checked).")),
      folded_(prometheus::BuildGauge()
                  .Name(Name("exporter", "label_values_folded"))
                  .Help("Distinct label values folded into 'other' by the cardinality cap, by label.")
                  .Register(registry)),
      baseline_info_(prometheus::BuildGauge()
                         .Name(Name("exporter", "baseline_info"))
                         .Help("Where the usage counters started, always 1: agg_usage_hourly (all-time totals), tail "
                               "(the end of logs: no aggregate table yet) or start_id (TAIL_START_ID).")
                         .Register(registry)),
      anomaly_hits_(prometheus::BuildCounter()
                        .Name(Name("", "anomaly_hits_total"))
                        .Help("Times a risk rule started firing for a subject (each hit is also logged once).")
                        .Register(registry)),
      baseline_boundary_(SelfGauge(registry, "baseline_boundary_timestamp_seconds",
                                   "Rows created before this time came from agg_usage_hourly; 0 without a baseline.")) {
  for (observer::rules::Rule rule : observer::rules::kAllRules) anomaly_hits_.Add({{"rule", observer::rules::RuleName(rule)}});
}

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
      const std::string sql = "SELECT id FROM logs WHERE created_at >= " + std::to_string(count_from_created_at_ - 3600) +
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
  cursor_ = std::make_unique<TailCursor>(start, options_.cursor);
  start_id_.Set(static_cast<double>(start));
  last_id_.Set(static_cast<double>(start));
  baseline_info_.Add({{"source", source}}).Set(1);
  if (source == "tail") {
    observer::log::Warn("no finalized hours in agg_usage_hourly: counters start at the end of logs, not at all-time "
                        "totals (run newapi-aggregator)", {{"start_id", start}});
  } else {
    observer::log::Info("log tail started", {{"start_id", start}, {"baseline", source}});
  }
  return DbStatus::Ok();
}

void LogTailCollector::WarnAboutLogsIndexes(observer::DbClient& db) {
  observer::QueryResult rows;
  if (!db.Query(db.dialect().IndexColumnsSql("", "logs"), &rows).ok) return;
  std::vector<std::vector<std::string>> index;
  for (const auto& r : rows.rows) index.push_back({r[0].value_or(""), r[1].value_or("0"), r[2].value_or("")});
  if (std::string fix = LogsIndexAdvice(db.dialect(), index); !fix.empty()) {
    observer::log::Warn("logs has no index starting with (created_at, id), as upgraded installs keep the old "
                        "(id, created_at) order: the JSON API's time-range queries scan. Fix on the primary, off-peak",
                        {{"fix", fix}});
  }
}

void LogTailCollector::SeedRequestSizes(observer::DbClient& db, int64_t first_seen) {
  // The whole hours before the first row the rules will see: big_request's baseline, read once in SQL.
  const int64_t hour = first_seen - first_seen % 3600;
  observer::rules::ModelHourStats stats;
  const auto started = std::chrono::steady_clock::now();
  DbStatus status = observer::rules::QueryModelHourStats(db, rules_.thresholds(), {hour, hour}, &stats);
  if (!status.ok) {
    observer::log::Warn("big_request starts without a baseline: it fires once enough requests are seen",
                        {{"error", status.message}});
    return;
  }
  rules_.SeedModelHours(stats);
  observer::log::Info("big_request baseline loaded",
                      {{"models", stats.size()},
                       {"until", hour},
                       {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
}

DbStatus LogTailCollector::LoadBaseline(observer::DbClient& db, bool* found) {
  *found = false;
  observer::QueryResult result;
  const observer::agg::AggTables tables(db.dialect(), options_.agg_database.empty()
                                                          ? observer::agg::DefaultContainer(db.options().engine, db.options().database)
                                                          : options_.agg_database);
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
  for (const observer::agg::BaselineRow& row : observer::agg::BaselineRowsFrom(totals)) {
    usage_.AddBaseline(row.model_name, row.channel_id, row.group, row.is_stream, row.sums, quota_per_unit);
  }
  count_from_created_at_ = boundary;
  baseline_boundary_.Set(static_cast<double>(boundary));
  *found = true;
  observer::log::Info("counters start at all-time totals", {{"finalized_until", boundary}, {"label_sets", totals.rows.size()}});
  return DbStatus::Ok();
}

DbStatus LogTailCollector::Refresh(observer::DbClient& db) {
  if (!cursor_) {
    if (DbStatus s = Start(db); !s.ok) return s;
  }
  const bool reloaded = risk_->version() != risk_version_;
  if (reloaded) {  // a reload: new thresholds, same windows
    risk_version_ = risk_->version();
    const auto rules = risk_->current();
    rules_.SetRules(rules->thresholds, rules->allow);
  }
  const int64_t now = NowSeconds();
  RefreshRuleBaselines(db, now, reloaded);
  bool caught_up = false;
  if (DbStatus s = ReadNewRows(db, now, &caught_up); !s.ok) return s;
  if (DbStatus s = RecheckHoles(db, now); !s.ok) return s;
  holes_expired_.Increment(static_cast<double>(cursor_->ExpireHoles(now)));
  holes_.Set(static_cast<double>(cursor_->hole_count()));
  untracked_ids_.Set(static_cast<double>(cursor_->untracked_ids()));
  last_id_.Set(static_cast<double>(cursor_->cursor()));
  if (caught_up) lag_->CaughtUp(now);
  folded_.Add({{"label", "model"}}).Set(static_cast<double>(usage_.folded_models()));
  folded_.Add({{"label", "channel"}}).Set(static_cast<double>(usage_.folded_channels()));
  folded_.Add({{"label", "group"}}).Set(static_cast<double>(usage_.folded_groups()));
  PublishWindows(now);
  PublishAnomalies();
  return DbStatus::Ok();
}

void LogTailCollector::RefreshRuleBaselines(observer::DbClient& db, int64_t now, bool reloaded) {
  constexpr int64_t kEverySeconds = 300;  // the aggregator rewrites them hourly
  const observer::rules::Thresholds& t = rules_.thresholds();
  if (!t.burst_adaptive && !t.ip_users_adaptive) return;
  if (!reloaded && now - rule_baselines_read_at_ < kEverySeconds) return;
  rule_baselines_read_at_ = now;
  const observer::agg::AggTables tables(db.dialect(), options_.agg_database.empty()
                                                          ? observer::agg::DefaultContainer(db.options().engine, db.options().database)
                                                          : options_.agg_database);
  observer::rules::Baselines baselines;
  const DbStatus status = observer::rules::LoadBaselines(db, tables.rule_baselines(), &baselines);
  if (!status.ok) {  // the rules keep the baselines they had; subjects without one use the static limits
    observer::log::Warn("agg_rule_baselines is not readable", {{"error", status.message}});
    return;
  }
  observer::log::Info("rule baselines read", {{"tokens", baselines.burst.size()}, {"ips", baselines.ip_users.size()}});
  rules_.SetBaselines(std::move(baselines));
}

DbStatus LogTailCollector::ReadNewRows(observer::DbClient& db, int64_t now, bool* caught_up) {
  // Batches follow each other until the tail is reached; a backlog (a start far behind, an outage) is bounded per
  // refresh by time, so holes and gauges stay fresh, and the runner starts the next refresh at once.
  const auto deadline = std::chrono::steady_clock::now() + options_.max_read_per_poll;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string sql = "SELECT " + std::string(observer::newapi::kLogColumns) + " FROM logs WHERE id > " +
                            std::to_string(cursor_->cursor()) + " ORDER BY id LIMIT " +
                            std::to_string(options_.batch_size);
    int rows = 0;
    DbStatus status = db.QueryEach(sql, [&](const observer::DbRowView& db_row) {
      ++rows;
      LogRow row = observer::newapi::LogRowFrom(db_row);
      if (cursor_->Accept(row.id, now) && row.created_at >= count_from_created_at_) Count(row, now);
    });
    if (!status.ok) return status;
    if (rows < options_.batch_size) {
      *caught_up = true;
      return DbStatus::Ok();
    }
  }
  return DbStatus::Ok();
}

DbStatus LogTailCollector::RecheckHoles(observer::DbClient& db, int64_t now) {
  // Every hole is looked up by primary key on every poll, in chunks, so a late commit shows within one interval.
  const std::vector<int64_t> holes = cursor_->Holes(options_.cursor.max_holes);
  for (size_t begin = 0; begin < holes.size(); begin += kHolesPerQuery) {
    const size_t end = std::min(holes.size(), begin + kHolesPerQuery);
    std::string sql = "SELECT " + std::string(observer::newapi::kLogColumns) + " FROM logs WHERE id IN (";
    for (size_t i = begin; i < end; ++i) {
      if (i != begin) sql.push_back(',');
      sql += std::to_string(holes[i]);
    }
    sql.push_back(')');
    DbStatus status = db.QueryEach(sql, [&](const observer::DbRowView& db_row) {
      LogRow row = observer::newapi::LogRowFrom(db_row);
      if (cursor_->Accept(row.id, now)) {
        late_rows_.Increment();
        if (row.created_at >= count_from_created_at_) Count(row, now);
      }
    });
    if (!status.ok) return status;
  }
  return DbStatus::Ok();
}

void LogTailCollector::Count(const LogRow& row, int64_t now) {
  rows_read_.Increment();
  usage_.Observe(row, facts_.quota_per_unit.load());
  for (const observer::rules::Hit& hit : rules_.Observe(row)) {
    if (!hit.starts_episode) continue;
    anomaly_hits_.Add({{"rule", observer::rules::RuleName(hit.rule)}}).Increment();
    observer::log::Warn("anomaly", {{"rule", observer::rules::RuleName(hit.rule)},
                                    {"subject_type", hit.subject_type},
                                    {"subject_id", hit.subject_id},
                                    {"subject_name", hit.subject_name},
                                    {"score", hit.score},
                                    {"threshold", hit.threshold},
                                    {"window_start", hit.window_start},
                                    {"window_end", hit.window_end},
                                    {"created_at", hit.at},
                                    {"log_id", row.id}});
  }
  if (row.type != observer::newapi::kLogConsume) return;
  const int64_t tokens = row.prompt_tokens + row.completion_tokens;
  top_.Add(TopDimension::kUser, row.user_id, row.username, tokens, row.quota, now);
  top_.Add(TopDimension::kToken, row.token_id, row.token_name, tokens, row.quota, now);
  const int64_t minute = now / 60;
  if (coverage_.empty() || coverage_.back().minute < minute) coverage_.push_back({minute, 0, 0, 0});
  CoverageMinute& bucket = coverage_.back();
  ++bucket.rows;
  if (!row.ip.empty()) ++bucket.with_ip;
  if (row.frt_ms) ++bucket.with_frt;
}

void LogTailCollector::PublishAnomalies() {
  // Every refresh: a burst committed now shows within a poll interval, not a publishing period.
  rules_.Expire();
  using observer::rules::Rule;
  const observer::rules::Thresholds& t = rules_.thresholds();
  auto anomaly = observer::metrics::GaugeFamily(
      Name("", "anomaly"), "Score of each active risk-rule hit (requests, distinct IPs or users, request tokens).");
  for (const observer::rules::Hit& hit : rules_.ActiveHits(options_.max_hits_per_rule)) {
    observer::metrics::AddGaugeSample(anomaly,
                                      {{"rule", observer::rules::RuleName(hit.rule)},
                                       {"subject_type", hit.subject_type},
                                       {"subject_id", hit.subject_id},
                                       {"subject_name", hit.subject_name}},
                                      hit.score);
  }
  auto threshold = observer::metrics::GaugeFamily(
      Name("", "anomaly_threshold"), "The score at which each rule fires (big_request: standard deviations).");
  observer::metrics::AddGaugeSample(threshold, {{"rule", "burst"}}, static_cast<double>(t.burst_limit));
  observer::metrics::AddGaugeSample(threshold, {{"rule", "multi_user_token"}}, static_cast<double>(t.token_clients_threshold));
  observer::metrics::AddGaugeSample(threshold, {{"rule", "ip_many_users"}}, static_cast<double>(t.ip_users_threshold));
  observer::metrics::AddGaugeSample(threshold, {{"rule", "big_request"}}, t.big_request_sigma);
  snapshots_->Replace("anomalies", {std::move(anomaly), std::move(threshold)});
}

void LogTailCollector::PublishWindows(int64_t now) {
  // Ranking every subject is the only non-trivial cost here; once every few seconds is plenty for a gauge.
  if (now - last_published_ < 5) return;
  last_published_ = now;
  top_.Advance(now);
  const std::string window = WindowLabel(top_.window_minutes());
  auto top = observer::metrics::GaugeFamily(
      Name("", "top_usage"), "Usage of the top K users and tokens over a sliding window, by metric (tokens, reqs, quota).");
  for (TopDimension dimension : {TopDimension::kUser, TopDimension::kToken}) {
    for (TopMetric metric : {TopMetric::kTokens, TopMetric::kReqs, TopMetric::kQuota}) {
      for (const TopUsage::Entry& entry : top_.Top(dimension, metric)) {
        observer::metrics::AddGaugeSample(top,
                                          {{"dimension", DimensionName(dimension)},
                                           {"id", std::to_string(entry.id)},
                                           {"name", entry.name},
                                           {"metric", MetricName(metric)},
                                           {"window", window}},
                                          entry.value);
      }
    }
  }

  while (!coverage_.empty() && coverage_.front().minute <= now / 60 - options_.coverage_window_minutes) {
    coverage_.pop_front();
  }
  int64_t rows = 0, with_ip = 0, with_frt = 0;
  for (const CoverageMinute& m : coverage_) {
    rows += m.rows;
    with_ip += m.with_ip;
    with_frt += m.with_frt;
  }
  auto coverage = observer::metrics::GaugeFamily(
      Name("", "data_coverage_ratio"),
      "Share of recent consume rows that carry a field: ip (users with record_ip_log) or frt (first-token latency).");
  if (rows > 0) {
    observer::metrics::AddGaugeSample(coverage, {{"field", "ip"}, {"window", WindowLabel(options_.coverage_window_minutes)}},
                                      static_cast<double>(with_ip) / static_cast<double>(rows));
    observer::metrics::AddGaugeSample(coverage, {{"field", "frt"}, {"window", WindowLabel(options_.coverage_window_minutes)}},
                                      static_cast<double>(with_frt) / static_cast<double>(rows));
  }
  facts_.ip_share.store(rows > 0 ? static_cast<double>(with_ip) / static_cast<double>(rows) : -1);
  auto rule_coverage = observer::metrics::GaugeFamily(
      Name("", "rule_coverage_ratio"), "Share of recent consume rows each risk rule can see.");
  for (const auto& [rule, share] : RuleCoverage(facts_.ip_share.load())) {
    observer::metrics::AddGaugeSample(rule_coverage, {{"rule", rule}}, share);
  }
  snapshots_->Replace("log_tail", {std::move(top), std::move(coverage), std::move(rule_coverage)});
}

}  // namespace exporter
