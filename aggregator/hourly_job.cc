// The hourly aggregation pass.
#include "hourly_job.h"

#include <chrono>
#include <functional>
#include <limits>
#include <optional>

#include "observer/agg_tables.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "observer/rules/sql_rules.h"
#include "observer/rules/window_rules_agg.h"
#include "observer/sql_script.h"
#include "observer_tables_postgres_sql.inc"
#include "observer_tables_sql.inc"
#include "request_sizes.h"
#include "rule_windows.h"

namespace aggregator {
namespace {

using observer::DbStatus;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

HourlyJob::HourlyJob(observer::DbOptions db, HourlyJobOptions options, prometheus::Registry& registry)
    : db_(std::move(db)),
      options_(options),
      tables_(db_.dialect(), options_.agg_database),
      lock_gauge_(
          observer::metrics::RegisterGauge(registry, "aggregator", "lock_held",
                                           "1 while this aggregator holds the writer lock (one writer at a time).")),
      last_success_(observer::metrics::RegisterGauge(registry, "aggregator", "last_success_timestamp_seconds",
                                                     "When the last aggregation pass finished.")),
      run_duration_(observer::metrics::RegisterGauge(registry, "aggregator", "run_duration_seconds",
                                                     "Time the last aggregation pass took.")),
      finalized_until_(observer::metrics::RegisterGauge(registry, "aggregator", "finalized_until_timestamp_seconds",
                                                        "Every hour before this time is final in agg_usage_hourly.")),
      hours_recomputed_(observer::metrics::RegisterCounter(registry, "aggregator", "hours_recomputed_total",
                                                           "Hours of agg_usage_hourly recomputed from logs.")),
      rows_upserted_(observer::metrics::RegisterCounter(registry, "aggregator", "rows_upserted_total",
                                                        "agg_usage_hourly rows written.")),
      rows_read_(observer::metrics::RegisterCounter(registry, "aggregator", "logs_rows_read_total",
                                                    "logs rows read by the aggregation.")) {}

std::string HourlyJob::LockName() const { return "newapi-observer.aggregator." + tables_.database(); }

DbStatus HourlyJob::EnsureLockAndTables(bool* acquired) {
  if (!db_.connected()) {
    lock_held_ = false;
    tables_ready_ = false;
    if (DbStatus s = db_.Connect(); !s.ok) return s;
  }
  // The lock lives on the connection that writes: if the connection drops, so do the lock and any open transaction.
  if (!lock_held_) {
    observer::QueryResult result;
    if (DbStatus s = db_.Query(db_.dialect().TryLockSql(LockName()), &result); !s.ok) return s;
    lock_held_ = !result.rows.empty() && result.rows[0][0] && *result.rows[0][0] == "1";
    if (lock_held_) observer::log::Info("writer lock acquired", {{"lock", LockName()}});
  }
  lock_gauge_.Set(lock_held_ ? 1 : 0);
  *acquired = lock_held_;
  if (lock_held_ && !tables_ready_) {
    // The schema file names its tables unqualified: create them from inside their database, then come back.
    const observer::Dialect& d = db_.dialect();
    std::vector<std::string> statements = {d.UseSql(tables_.database())};
    const char* script = d.engine() == observer::DbEngine::kPostgres ? kObserverTablesPostgresSql : kObserverTablesSql;
    for (std::string& statement : observer::SplitSqlScript(script)) statements.push_back(std::move(statement));
    statements.push_back(d.UseDefaultSql(db_.options().database));
    for (const std::string& statement : statements) {
      if (DbStatus s = db_.Execute(statement); !s.ok) return s;
    }
    tables_ready_ = true;
  }
  return DbStatus::Ok();
}

DbStatus HourlyJob::ReadProgress(observer::agg::Progress* out) {
  observer::QueryResult result;
  if (DbStatus s = db_.Query(tables_.ReadProgressSql(), &result); !s.ok) return s;
  *out = observer::agg::AggTables::ProgressFrom(result);
  return DbStatus::Ok();
}

DbStatus HourlyJob::CatchUpRollups(const observer::agg::Progress& progress, int64_t now) {
  if (progress.finalized_until == observer::agg::Progress::kNone || progress.rollups_ready()) return DbStatus::Ok();
  // An installation older than the rollups: build them for its finalized hours, oldest first (each hour's active
  // counts look back at the hours before it), one transaction per hour, resumable.
  const int64_t from = progress.rollups_until == observer::agg::Progress::kNone ? std::numeric_limits<int64_t>::min()
                                                                                : progress.rollups_until;
  std::vector<int64_t> hours;
  DbStatus listed =
      db_.QueryEach("SELECT DISTINCT hour FROM " + tables_.usage() + " WHERE hour >= " + std::to_string(from) +
                        " AND hour < " + std::to_string(progress.finalized_until) + " ORDER BY hour",
                    [&](const observer::DbRowView& row) { hours.push_back(observer::DbInt(row[0])); });
  if (!listed.ok) return listed;
  observer::log::Info("building the rollups of finalized hours", {{"hours", hours.size()}});
  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  for (size_t i = 0; i < hours.size(); ++i) {
    std::vector<std::string> statements = tables_.DeriveUsageRollupsSql(hours[i]);
    for (std::string& active : tables_.DeriveActiveSql(hours[i])) statements.push_back(std::move(active));
    const int64_t until = i + 1 < hours.size() ? hours[i + 1] : progress.finalized_until;
    statements.push_back(tables_.WriteStateSql("rollups_until", until, now));
    if (DbStatus s = InTransaction([&] { return ExecuteAll(statements, nullptr); }); !s.ok) return s;
    if (SecondsSince(last_progress) >= 2) {
      last_progress = std::chrono::steady_clock::now();
      observer::log::Info("rollup progress", {{"hours_done", i + 1}, {"hours_total", hours.size()}});
    }
  }
  if (hours.empty()) {
    if (DbStatus s = db_.Execute(tables_.WriteStateSql("rollups_until", progress.finalized_until, now)); !s.ok)
      return s;
  }
  observer::log::Info("rollups built", {{"hours", hours.size()}, {"seconds", SecondsSince(started)}});
  return DbStatus::Ok();
}

DbStatus HourlyJob::InTransaction(const std::function<DbStatus()>& body) {
  if (DbStatus s = db_.Execute("BEGIN"); !s.ok) return s;
  if (DbStatus s = body(); !s.ok) {
    if (db_.connected()) db_.Execute("ROLLBACK");
    return s;
  }
  return db_.Execute("COMMIT");
}

DbStatus HourlyJob::ExecuteAll(const std::vector<std::string>& statements, uint64_t* affected_rows) {
  for (const std::string& statement : statements) {
    uint64_t affected = 0;
    if (DbStatus s = db_.Execute(statement, &affected); !s.ok) return s;
    if (affected_rows != nullptr) *affected_rows += affected;
  }
  return DbStatus::Ok();
}

DbStatus HourlyJob::RunOnce(int64_t now, RunOutcome* outcome) {
  const auto started = std::chrono::steady_clock::now();
  bool acquired = false;
  if (DbStatus s = EnsureLockAndTables(&acquired); !s.ok) {
    if (!db_.connected()) lock_gauge_.Set(0);
    return s;
  }
  if (!acquired) {
    *outcome = RunOutcome::kStandby;
    return DbStatus::Ok();
  }
  *outcome = RunOutcome::kDone;
  pass_times_ = {};

  observer::agg::Progress progress;
  if (DbStatus s = ReadProgress(&progress); !s.ok) return s;
  if (DbStatus s = CatchUpRollups(progress, now); !s.ok) return s;
  int64_t first_hour;
  if (progress.finalized_until != observer::agg::Progress::kNone) {
    finalized_until_.Set(static_cast<double>(progress.finalized_until));
    first_hour = progress.finalized_until;
  } else {
    observer::QueryResult result;
    if (DbStatus s = db_.Query("SELECT MIN(created_at) FROM logs", &result); !s.ok) return s;
    if (result.rows.empty() || !result.rows[0][0]) {
      observer::log::Info("logs is empty; nothing to aggregate yet");
      return DbStatus::Ok();
    }
    first_hour = HourOf(std::stoll(*result.rows[0][0]));
    observer::log::Info("backfill starting", {{"from_hour", first_hour}, {"to_hour", HourOf(now)}});
  }
  // The newer per-hour tables hold every hour written from here on: readers take the finalized hours after this one
  // from them (an older installation's finalized hours stay with logs).
  if (DbStatus s = MarkHourTablesFrom(first_hour, now); !s.ok) return s;
  const int64_t final_boundary = HourOf(now - options_.finalize_lag_seconds);
  const int64_t last_hour = HourOf(now);
  // The baselines cover the days before the current hour. A pass that recomputes every hour of those days (a backfill)
  // counts them as it reads them, instead of reading those days of logs again.
  const int64_t baselines_until = last_hour;
  const bool baselines_due = BaselinesDue(progress.rule_baselines_until, baselines_until);
  std::optional<observer::rules::BaselineCounts> counted;
  if (baselines_due && (progress.finalized_until == observer::agg::Progress::kNone ||
                        first_hour <= baselines_until - observer::rules::kBaselineDays * 86400)) {
    counted.emplace(observer::rules::Thresholds{});
  }
  const int64_t total_hours = (last_hour - first_hour) / kHourSeconds + 1;
  auto last_progress = std::chrono::steady_clock::now();
  int64_t rows_total = 0;
  for (int64_t hour = first_hour; hour <= last_hour; hour += kHourSeconds) {
    int64_t rows = 0;
    const bool finalize = hour + kHourSeconds <= final_boundary;
    if (DbStatus s = RecomputeHour(hour, finalize, now, &rows, counted ? &*counted : nullptr, baselines_until); !s.ok) {
      return s;
    }
    rows_total += rows;
    if (finalize) finalized_until_.Set(static_cast<double>(hour + kHourSeconds));
    if (SecondsSince(last_progress) >= 2) {
      last_progress = std::chrono::steady_clock::now();
      const int64_t done = (hour - first_hour) / kHourSeconds + 1;
      observer::log::Info("aggregation progress", {{"hours_done", done},
                                                   {"hours_total", total_hours},
                                                   {"rows_read", rows_total},
                                                   {"rows_per_s", rows_total / SecondsSince(started)}});
    }
  }
  const auto baselines_started = std::chrono::steady_clock::now();
  if (baselines_due) {
    if (DbStatus s = WriteRuleBaselines(baselines_until, now, counted ? &*counted : nullptr); !s.ok) return s;
  }
  pass_times_.baselines = SecondsSince(baselines_started);
  const double seconds = SecondsSince(started);
  run_duration_.Set(seconds);
  last_success_.Set(static_cast<double>(now));
  observer::log::Info("aggregation pass done", {{"hours", total_hours},
                                                {"rows_read", rows_total},
                                                {"seconds", seconds},
                                                {"logs_read_s", pass_times_.logs_read},
                                                {"diff_s", pass_times_.diff},
                                                {"active_values_s", pass_times_.active_values},
                                                {"write_s", pass_times_.write},
                                                {"baselines_s", pass_times_.baselines}});
  return DbStatus::Ok();
}

DbStatus HourlyJob::MarkHourTablesFrom(int64_t first_hour, int64_t now) {
  if (hour_tables_marked_) return DbStatus::Ok();
  for (const char* name : {"request_sizes_from", "rule_windows_from", "burst_windows_from", "active_values_from"}) {
    observer::QueryResult result;
    if (DbStatus s = db_.Query("SELECT value FROM " + tables_.state() + " WHERE name = '" + name + "'", &result);
        !s.ok) {
      return s;
    }
    if (result.rows.empty()) {
      if (DbStatus s = db_.Execute(tables_.WriteStateSql(name, first_hour, now)); !s.ok) return s;
    }
  }
  hour_tables_marked_ = true;
  return DbStatus::Ok();
}

bool HourlyJob::BaselinesDue(int64_t computed_until, int64_t until) {
  return computed_until == observer::agg::Progress::kNone || until < computed_until || until >= computed_until + 86400;
}

DbStatus HourlyJob::WriteRuleBaselines(int64_t until, int64_t now, observer::rules::BaselineCounts* counted) {
  const auto started = std::chrono::steady_clock::now();
  observer::rules::Baselines baselines;
  if (counted != nullptr) {
    baselines = counted->Result();
  } else if (DbStatus s = observer::rules::ComputeBaselines(db_, observer::rules::Thresholds{}, until, &baselines);
             !s.ok) {  // the ip_many_users windows are the rule's default (10 minutes)
    return s;
  }
  std::vector<std::string> statements = {"DELETE FROM " + tables_.rule_baselines()};
  std::string values;
  size_t pending = 0;
  auto add = [&](const char* rule, const std::string& subject, int64_t baseline) {
    values += std::string(values.empty() ? "" : ", ") + "('" + rule + "', " + db_.Quote(subject) + ", " +
              std::to_string(baseline) + ", " + std::to_string(until) + ")";
    if (++pending < options_.upsert_batch) return;
    statements.push_back("INSERT INTO " + tables_.rule_baselines() + " (rule, subject, baseline, computed_at) VALUES " +
                         values);
    values.clear();
    pending = 0;
  };
  for (const auto& [token, baseline] : baselines.burst) add("burst", std::to_string(token), baseline);
  for (const auto& [ip, baseline] : baselines.ip_users) add("ip_many_users", ip, baseline);
  if (!values.empty()) {
    statements.push_back("INSERT INTO " + tables_.rule_baselines() + " (rule, subject, baseline, computed_at) VALUES " +
                         values);
  }
  statements.push_back(tables_.WriteStateSql("rule_baselines_until", until, now));
  if (DbStatus s = InTransaction([&] { return ExecuteAll(statements, nullptr); }); !s.ok) return s;
  observer::log::Info("rule baselines computed", {{"until", until},
                                                  {"tokens", baselines.burst.size()},
                                                  {"ips", baselines.ip_users.size()},
                                                  {"from", counted != nullptr ? "rows read by this pass" : "logs"},
                                                  {"seconds", SecondsSince(started)}});
  return DbStatus::Ok();
}

DbStatus HourlyJob::RebuildActiveValues(int64_t hour) {
  const auto started = std::chrono::steady_clock::now();
  active_values_.StartRebuild();
  int64_t keys = 0;
  DbStatus status =
      db_.QueryEach("SELECT hour, user_id, token_id, model_name, channel_id, \"group\", reqs FROM " + tables_.usage() +
                        " WHERE hour >= " + std::to_string(hour - observer::agg::kActiveHoursCap * kHourSeconds) +
                        " AND hour < " + std::to_string(hour) + " AND reqs > 0",
                    [&](const observer::DbRowView& r) {
                      const HourKey key{observer::DbInt(r[0]),
                                        observer::DbInt(r[1]),
                                        observer::DbInt(r[2]),
                                        observer::DbString(r[3]),
                                        observer::DbInt(r[4]),
                                        observer::DbString(r[5]),
                                        false};
                      active_values_.Note(key, observer::DbInt(r[6]));
                      ++keys;
                    });
  if (!status.ok) return status;
  active_values_.FinishRebuild(hour);
  observer::log::Info("active users and tokens per value recalled",
                      {{"until", hour}, {"keys", keys}, {"seconds", SecondsSince(started)}});
  return DbStatus::Ok();
}

DbStatus HourlyJob::RecomputeHour(int64_t hour, bool finalize, int64_t now, int64_t* rows_read,
                                  observer::rules::BaselineCounts* baselines, int64_t baselines_until) {
  auto phase_started = std::chrono::steady_clock::now();
  auto end_phase = [&phase_started](double* total) {
    *total += SecondsSince(phase_started);
    phase_started = std::chrono::steady_clock::now();
  };
  HourlyRollup rollup;
  RequestSizes sizes;
  RuleWindows windows;
  // The usage rows, and the login rows ip_many_users counts too.
  const observer::newapi::LogTypes types =
      observer::newapi::kUsageTypes | observer::rules::RowsOf(observer::rules::Rule::kIpManyUsers).types;
  for (int64_t from = hour; from < hour + kHourSeconds; from += options_.chunk_seconds) {
    const int64_t to = std::min(from + options_.chunk_seconds, hour + kHourSeconds);
    const std::string sql = "SELECT " + std::string(observer::newapi::kLogColumns) +
                            " FROM logs WHERE created_at >= " + std::to_string(from) + " AND created_at < " +
                            std::to_string(to) + " AND " + types.Sql();
    DbStatus status = db_.QueryEach(sql, [&](const observer::DbRowView& db_row) {
      const observer::newapi::LogRow row = observer::newapi::LogRowFrom(db_row);
      rollup.Add(row);
      sizes.Add(row);
      windows.Add(row);
      ++*rows_read;
    });
    if (!status.ok) return status;
  }
  // burst's windows anchored in the hour's first seconds count the token's consume rows of the seconds before it.
  const std::string before = "SELECT token_id, created_at FROM logs WHERE created_at >= " +
                             std::to_string(hour - observer::rules::kStoredBurstWindowSec + 1) + " AND created_at < " +
                             std::to_string(hour) + " AND " +
                             observer::rules::RowsOf(observer::rules::Rule::kBurst).Sql();
  if (DbStatus s = db_.QueryEach(before,
                                 [&windows](const observer::DbRowView& r) {
                                   windows.AddBurstRowBefore(observer::DbInt(r[0]), observer::DbInt(r[1]));
                                 });
      !s.ok) {
    return s;
  }
  rows_read_.Increment(static_cast<double>(*rows_read));
  if (baselines != nullptr && hour >= baselines_until - observer::rules::kBaselineDays * 86400 &&
      hour < baselines_until) {
    windows.AddToBaselines(baselines);
  }
  end_phase(&pass_times_.logs_read);

  // For agg_usage_hourly and each of its rollups (summed here from the hour's rows): keys the hour had before and no
  // longer has (their logs rows were deleted) are removed; keys whose sums changed or are new are upserted with
  // absolute values; unchanged keys are not sent at all, so a pass costs what changed.
  std::vector<std::string> statements;
  auto quote = [this](std::string_view value) { return db_.Quote(value); };
  const struct {
    KeyShape shape;
    const std::string& table;
    const char* name;
  } targets[] = {{KeyShape::kUsage, tables_.usage(), "agg_usage_hourly"},
                 {KeyShape::kByUser, tables_.usage_by_user(), "agg_usage_hourly_by_user"},
                 {KeyShape::kByToken, tables_.usage_by_token(), "agg_usage_hourly_by_token"},
                 {KeyShape::kByModelChannel, tables_.usage_by_model_channel(), "agg_usage_hourly_by_model_channel"}};
  for (const auto& target : targets) {
    HourRows summed;
    if (target.shape != KeyShape::kUsage) summed = RollupOf(rollup.rows(), target.shape);
    const HourRows& computed = target.shape == KeyShape::kUsage ? rollup.rows() : summed;
    HourRows stored;
    std::string stale;
    DbStatus listed = db_.QueryEach(
        "SELECT " + KeyColumnsOf(target.shape) + ", " + observer::agg::MeasureColumns() + " FROM " + target.table +
            " WHERE hour = " + std::to_string(hour),
        [&](const observer::DbRowView& r) {
          auto number = [&r](unsigned i) { return r[i] ? std::stoll(std::string(*r[i])) : 0LL; };
          HourKey key{hour, 0, 0, "", 0, "", false};
          unsigned column = 0;
          if (target.shape == KeyShape::kUsage || target.shape == KeyShape::kByUser) key.user_id = number(column++);
          if (target.shape == KeyShape::kUsage || target.shape == KeyShape::kByToken) key.token_id = number(column++);
          if (target.shape == KeyShape::kUsage || target.shape == KeyShape::kByModelChannel) {
            key.model_name = std::string(r[column++].value_or(""));
            key.channel_id = number(column++);
            key.group = std::string(r[column++].value_or(""));
            key.is_stream = number(column++) != 0;
          }
          if (computed.count(key) != 0) {
            observer::newapi::UsageSums& sums = stored[std::move(key)];
            for (const observer::newapi::UsageMeasure& m : observer::newapi::kUsageMeasures)
              sums.*m.member = number(column++);
            return;
          }
          stale += std::string(stale.empty() ? "" : ",") + "(" + KeyValuesOf(key, target.shape, quote) + ")";
        });
    if (!listed.ok) return listed;
    if (!stale.empty()) {
      statements.push_back("DELETE FROM " + target.table + " WHERE hour = " + std::to_string(hour) + " AND (" +
                           KeyColumnsOf(target.shape) + ") IN (" + stale + ")");
    }
    const std::string upsert =
        target.shape == KeyShape::kUsage
            ? observer::agg::UsageUpsertClause(db_.dialect())
            : observer::agg::UpsertClauseOf(db_.dialect(), target.name, KeyColumnsOf(target.shape));
    for (std::string& statement :
         UpsertRows(computed, target.shape, target.table, options_.upsert_batch, quote, upsert, stored)) {
      statements.push_back(std::move(statement));
    }
  }
  end_phase(&pass_times_.diff);
  // A finalized hour's active users and tokens, overall and per model, channel and group, against the 25 hours before
  // it.
  ActiveByValue::Counts active_counts;
  if (finalize) {
    if (!active_values_.ReadyFor(hour)) {
      if (DbStatus s = RebuildActiveValues(hour); !s.ok) return s;
    }
    active_counts = active_values_.CountsOf(hour, rollup.rows());
  }
  end_phase(&pass_times_.active_values);
  std::vector<std::string> progress;
  if (finalize) {
    progress.push_back(tables_.WriteStateSql("finalized_until", hour + kHourSeconds, now));
    progress.push_back(tables_.WriteStateSql("rollups_until", hour + kHourSeconds, now));
  }
  // One transaction with the rollups and the progress rows, so a crash at any point leaves either the old hour or the
  // new one. The active counts, which also depend on the hours before, are derived when the hour is finalized (the
  // API reads the hourly tables for finalized hours only).
  DbStatus status = InTransaction([&] {
    if (DbStatus s = ExecuteAll(statements, nullptr); !s.ok) return s;
    if (finalize) {
      if (DbStatus s = ExecuteAll(
              ActiveByValue::WriteStatements(tables_, hour, active_counts, options_.upsert_batch, quote), nullptr);
          !s.ok) {
        return s;
      }
    }
    if (DbStatus s = ExecuteAll(sizes.WriteStatements(tables_, hour, options_.upsert_batch, quote), nullptr); !s.ok) {
      return s;
    }
    if (DbStatus s = ExecuteAll(windows.WriteStatements(tables_, hour, options_.upsert_batch, quote), nullptr); !s.ok) {
      return s;
    }
    return ExecuteAll(progress, nullptr);
  });
  end_phase(&pass_times_.write);
  if (!status.ok) {
    active_values_.Invalidate();
    return status;
  }
  if (finalize) active_values_.Remember(hour, rollup.rows());
  end_phase(&pass_times_.active_values);
  hours_recomputed_.Increment();
  rows_upserted_.Increment(static_cast<double>(rollup.rows().size()));
  return DbStatus::Ok();
}

}  // namespace aggregator
