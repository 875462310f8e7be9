// newapi-aggregator entry point: options, the hourly aggregation loop (or one pass with --once), self metrics and
// the HTTP server with the chat relay's and the response actions' routes.
#include <prometheus/gauge.h>

#include <condition_variable>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "hourly_job.h"
#include "observer/app.h"
#include "observer/backoff.h"
#include "observer/build_info.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "actions/service.h"
#include "options.h"
#include "relay/relay.h"

namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// Runs the job every interval until stopped; a standby aggregator retries the lock more often, a failure backs off.
class JobLoop {
 public:
  JobLoop(aggregator::HourlyJob& job, const aggregator::AggregatorOptions& options) : job_(job), options_(options) {}
  void Start() { thread_ = std::thread([this] { Run(); }); }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    observer::Backoff backoff(std::chrono::seconds(1), std::chrono::seconds(60));
    bool was_standby = false;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      aggregator::RunOutcome outcome = aggregator::RunOutcome::kDone;
      observer::DbStatus status;
      try {
        status = job_.RunOnce(Now(), &outcome);
      } catch (const std::exception& e) {
        status = observer::DbStatus::Failure(observer::DbError::kOther, std::string("unexpected error: ") + e.what());
      }
      std::chrono::milliseconds wait = std::chrono::seconds(options_.interval_seconds);
      if (!status.ok) {
        observer::log::Warn("aggregation pass failed", {{"code", status.code}, {"error", status.message}});
        wait = backoff.Next();
      } else {
        backoff.Reset();
        if (outcome == aggregator::RunOutcome::kStandby) {
          if (!was_standby) observer::log::Info("another aggregator holds the writer lock; standing by");
          wait = std::chrono::seconds(options_.standby_retry_seconds);
        }
        was_standby = outcome == aggregator::RunOutcome::kStandby;
      }
      lock.lock();
      wake_.wait_for(lock, wait, [this] { return stopping_; });
    }
  }

  aggregator::HourlyJob& job_;
  const aggregator::AggregatorOptions& options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
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
      options.db, {.agg_database = options.agg_database, .finalize_lag_seconds = options.finalize_lag_seconds}, *registry);
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
  prometheus::Gauge& db_up = prometheus::BuildGauge()
                                 .Name(observer::metrics::Name("aggregator", "db_up"))
                                 .Help("1 when the last check of the aggregator's database connection succeeded.")
                                 .Register(*registry)
                                 .Add({});
  observer::DbMonitor db(options.db, std::chrono::seconds(options.db_check_interval_seconds),
                         std::chrono::seconds(10), db_up);
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
  JobLoop loop(job, options);
  loop.Start();
  const int code = observer::ServeUntilTerminated(http, options.web.listen, db, [&relay, &actions] {
    relay.Reload();
    if (std::string error = actions.Reload(); !error.empty()) {
      observer::log::Error("actions: reload failed; the previous rules stay", {{"file", actions.file()}, {"error", error}});
    }
  });
  loop.Stop();
  return code;
}
