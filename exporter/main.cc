// newapi-exporter entry point: options, self metrics, the database monitor and the HTTP server.
#include <prometheus/gauge.h>

#include "observer/app.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "options.h"

int main(int argc, char** argv) {
  const observer::AppInfo app{"newapi-exporter", "exporter",
                              "Read-only Prometheus exporter and JSON API for a new-api database."};
  exporter::ExporterOptions options;
  observer::LoadConfigOrExit(app, exporter::ExporterSettings(), argc, argv, [&](const observer::Config& config) {
    options = exporter::ParseExporterOptions(config);
    observer::log::Info("starting", {{"version", OBSERVER_VERSION}, {"settings", config.Describe()}});
  });

  auto registry = std::make_shared<prometheus::Registry>();
  observer::metrics::AddBuildInfo(*registry, "exporter");
  prometheus::Gauge& db_up = prometheus::BuildGauge()
                                 .Name(observer::metrics::Name("exporter", "db_up"))
                                 .Help("1 when the last check of the new-api database connection succeeded.")
                                 .Register(*registry)
                                 .Add({});
  observer::DbMonitor db(options.db, std::chrono::seconds(options.db_check_interval_seconds),
                         std::chrono::seconds(10), db_up);

  observer::HttpServer http("exporter", registry);
  observer::AddHealthRoute(http, db);
  return observer::ServeUntilTerminated(http, options.listen_host, options.listen_port, db, [] {
    observer::log::Info("SIGHUP received; the exporter has no reloadable settings yet");
  });
}
