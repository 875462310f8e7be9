// newapi-aggregator entry point: options, self metrics, the database monitor and the HTTP server.
#include <prometheus/gauge.h>

#include "observer/app.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "options.h"

int main(int argc, char** argv) {
  const observer::AppInfo app{"newapi-aggregator", "aggregator",
                              "Keeps agg_usage_hourly up to date and relays Alertmanager alerts to chat groups."};
  aggregator::AggregatorOptions options;
  observer::LoadConfigOrExit(app, aggregator::AggregatorSettings(), argc, argv, [&](const observer::Config& config) {
    options = aggregator::ParseAggregatorOptions(config);
    observer::log::Info("starting", {{"version", OBSERVER_VERSION}, {"settings", config.Describe()}});
  });

  auto registry = std::make_shared<prometheus::Registry>();
  observer::metrics::AddBuildInfo(*registry, "aggregator");
  prometheus::Gauge& db_up = prometheus::BuildGauge()
                                 .Name(observer::metrics::Name("aggregator", "db_up"))
                                 .Help("1 when the last check of the aggregator's database connection succeeded.")
                                 .Register(*registry)
                                 .Add({});
  observer::DbMonitor db(options.db, std::chrono::seconds(options.db_check_interval_seconds),
                         std::chrono::seconds(10), db_up);

  observer::HttpServer http("aggregator", registry);
  observer::AddHealthRoute(http, db);
  return observer::ServeUntilTerminated(http, options.listen_host, options.listen_port, db, [] {
    observer::log::Info("SIGHUP received; the aggregator has no reloadable settings yet");
  });
}
