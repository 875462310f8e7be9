// newapi-aggregator entry point: options, the hourly aggregation loop (or one pass with --once), self metrics and
// the HTTP server with the chat relay's and the response actions' routes.
#include <prometheus/gauge.h>

#include <ctime>
#include <iostream>

#include "actions/service.h"
#include "hourly_job.h"
#include "observer/app.h"
#include "observer/background_loop.h"
#include "observer/backoff.h"
#include "observer/build_info.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "options.h"
#include "relay/relay.h"

namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// One pass of the job; returns the wait before the next: the interval, a shorter retry of the writer lock on a
// standby aggregator, a backoff after a failure.
class JobStep {
 public:
  JobStep(aggregator::HourlyJob& job, const aggregator::AggregatorOptions& options) : job_(job), options_(options) {}

  std::chrono::milliseconds operator()() {
    aggregator::RunOutcome outcome = aggregator::RunOutcome::kDone;
    observer::DbStatus status;
    try {
      status = job_.RunOnce(Now(), &outcome);
    } catch (const std::exception& e) {
      status = observer::DbStatus::Failure(observer::DbError::kOther, std::string("unexpected error: ") + e.what());
    }
    if (!status.ok) {
      observer::log::Warn("aggregation pass failed", {{"code", status.code}, {"error", status.message}});
      return backoff_.Next();
    }
    backoff_.Reset();
    const bool standby = outcome == aggregator::RunOutcome::kStandby;
    if (standby && !was_standby_) observer::log::Info("another aggregator holds the writer lock; standing by");
    was_standby_ = standby;
    return std::chrono::seconds(standby ? options_.standby_retry_seconds : options_.interval_seconds);
  }

 private:
  aggregator::HourlyJob& job_;
  const aggregator::AggregatorOptions& options_;
  observer::Backoff backoff_{std::chrono::seconds(1), std::chrono::seconds(60)};
  bool was_standby_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const observer::AppInfo app{"newapi-aggregator", "aggregator",
                              "Keeps agg_usage_hourly up to date and relays Alertmanager alerts to chat groups."};
  aggregator::AggregatorOptions options;
  observer::LoadConfigOrExit(app, aggregator::AggregatorSettings(), argc, argv, [&](const observer::Config& config) {
    options = aggregator::ParseAggregatorOptions(config);
    observer::log::Info("starting", {{"version", observer::kBuildVersion}, {"settings", config.Describe()}});
  });

  auto registry = std::make_shared<prometheus::Registry>();
  aggregator::HourlyJob job(
      options.db, {.agg_database = options.agg_database, .finalize_lag_seconds = options.finalize_lag_seconds},
      *registry);
  if (options.once) {
    aggregator::RunOutcome outcome = aggregator::RunOutcome::kDone;
    observer::DbStatus status = job.RunOnce(Now(), &outcome);
    if (!status.ok) {
      observer::log::Error("aggregation pass failed", {{"code", status.code}, {"error", status.message}});
      return 1;
    }
    if (outcome == aggregator::RunOutcome::kStandby) {
      observer::log::Warn("another aggregator holds the writer lock; nothing written");
      return 3;
    }
    return 0;
  }

  observer::metrics::AddBuildInfo(*registry, "aggregator");
  prometheus::Gauge& db_up = observer::metrics::RegisterGauge(
      *registry, "aggregator", "db_up", "1 when the last check of the aggregator's database connection succeeded.");
  observer::DbMonitor db(options.db, std::chrono::seconds(options.db_check_interval_seconds), std::chrono::seconds(10),
                         db_up);
  observer::HttpServer http("aggregator", registry, options.web);
  observer::AddHealthRoute(http, db);
  aggregator::relay::Relay relay(options.relay, *registry);
  // A broken targets file stops the start; later it is rejected and the running targets stay.
  if (std::string error = relay.Reload(); !error.empty()) {
    std::cerr << app.program << ": config error: " << relay.targets_file() << ": " << error << "\n";
    return 2;
  }
  relay.AddRoutes(http);
  aggregator::actions::ActionService actions(options.actions, options.db, options.agg_database, relay, *registry,
                                             [&job] { return job.holds_lock(); });
  if (std::string error = actions.Reload(); !error.empty()) {
    std::cerr << app.program << ": config error: " << actions.file() << ": " << error << "\n";
    return 2;
  }
  actions.AddRoutes(http);
  observer::BackgroundLoop loop;
  loop.Start(JobStep(job, options));
  const int code = observer::ServeUntilTerminated(http, options.web.listen, db, [&relay, &actions] {
    relay.Reload();
    if (std::string error = actions.Reload(); !error.empty()) {
      observer::log::Error("actions: reload failed; the previous rules stay",
                           {{"file", actions.file()}, {"error", error}});
    }
  });
  loop.Stop();
  return code;
}
