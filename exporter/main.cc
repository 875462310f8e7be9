// newapi-exporter entry point: options, self metrics, the collectors and the HTTP server.
#include <prometheus/gauge.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/api.h"
#include "collectors/entities.h"
#include "collectors/log_tail.h"
#include "db_check.h"
#include "observer/app.h"
#include "observer/build_info.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "options.h"

int main(int argc, char** argv) {
  const observer::AppInfo app{"newapi-exporter", "exporter",
                              "Read-only Prometheus exporter and JSON API for a new-api database."};
  exporter::ExporterOptions options;
  observer::LoadConfigOrExit(app, exporter::ExporterSettings(), argc, argv, [&](const observer::Config& config) {
    options = exporter::ParseExporterOptions(config);
    if (!options.check)
      observer::log::Info("starting", {{"version", observer::kBuildVersion}, {"settings", config.Describe()}});
  });

  if (options.check) {
    auto connect = [](observer::DbClient& db, const observer::DbOptions& o) {
      if (observer::DbStatus s = db.Connect(); !s.ok) {
        std::printf("FAIL  connect   cannot connect as %s to %s:%d/%s: %s\ncheck failed\n", o.user.c_str(),
                    o.host.c_str(), o.port, o.database.c_str(), s.message.c_str());
        return false;
      }
      return true;
    };
    observer::DbClient main_db(options.db);
    if (!connect(main_db, options.db)) return 1;
    const exporter::ExporterConnections opens =
        exporter::CountExporterConnections(options.api.connections, options.db, options.logs_db);
    if (observer::SameDatabase(options.db, options.logs_db)) {
      return exporter::PrintCheck(exporter::RunDbCheck(main_db, main_db, options.tail.agg_database, opens));
    }
    observer::DbClient logs_db(options.logs_db);
    if (!connect(logs_db, options.logs_db)) return 1;
    return exporter::PrintCheck(exporter::RunDbCheck(main_db, logs_db, options.tail.agg_database, opens));
  }

  auto registry = std::make_shared<prometheus::Registry>();
  auto snapshots = std::make_shared<observer::metrics::SnapshotCollectable>();
  observer::metrics::AddBuildInfo(*registry, "exporter");
  prometheus::Gauge& db_up = observer::metrics::RegisterGauge(
      *registry, "exporter", "db_up", "1 when the last check of the new-api database connection succeeded.");
  observer::DbMonitor db(options.db, std::chrono::seconds(options.db_check_interval_seconds), std::chrono::seconds(10),
                         db_up);
  observer::HttpServer http("exporter", registry, options.web);
  http.RequireMetricsToken(options.metrics_token);
  http.AddCollectable(snapshots);
  observer::AddHealthRoute(http, db);

  // The risk rules: a broken rules file stops the start; later it is rejected and the running rules stay.
  auto risk = std::make_shared<exporter::RiskConfig>(options.rules, options.rules_file, *registry);
  if (std::string error = risk->Reload(); !error.empty()) {
    std::cerr << app.program << ": config error: " << options.rules_file << ": " << error << "\n";
    return 2;
  }
  // The API's tokens file: the same, a broken file stops the start and later keeps the tokens loaded before.
  const std::shared_ptr<exporter::api::TokensFile> tokens = options.api.access.tokens_file;
  if (tokens) {
    if (std::string error = tokens->Reload(); !error.empty()) {
      std::cerr << app.program << ": config error: " << tokens->path() << ": " << error << "\n";
      return 2;
    }
  }

  // The web UI: its files at /, and index.html for the app's own paths (/top, /anomalies/detail?...) so links into
  // it work; /api/*, /metrics, /-/* and missing /assets/* files keep their JSON 404s.
  if (!options.ui_dir.empty()) {
    if (!http.MountDirectory(options.ui_dir)) {
      std::cerr << app.program << ": config error: --web.ui-dir (UI_DIR): '" << options.ui_dir
                << "' is not a directory\n";
      return 2;
    }
    const std::string index = options.ui_dir + "/index.html";
    http.Get(R"(/(?!api(?:/|$)|metrics$|-/|assets/).*)", [index](const httplib::Request&, httplib::Response& res) {
      std::ifstream in(index, std::ios::binary);
      if (!in) {
        observer::WriteError(res, 404, "not found");
        return;
      }
      std::ostringstream html;
      html << in.rdbuf();
      res.set_content(html.str(), "text/html; charset=utf-8");
      res.set_header("Cache-Control", "no-cache");
    });
    observer::log::Info("web UI served at /", {{"dir", options.ui_dir}});
  }

  // The JSON API: its own connection pool, separate from the collectors', and its answers cached in Redis.
  if (!options.redis_url.empty() && options.cache_ttl_seconds > 0) {
    exporter::ResponseCache::Options cache_options;
    cache_options.endpoint = options.redis;
    options.api.cache = std::make_shared<exporter::ResponseCache>(cache_options, *registry);
    options.api.cache_ttl = std::chrono::seconds(options.cache_ttl_seconds);
  }
  auto facts = std::make_shared<exporter::LiveFacts>();
  // logs and the observer's tables on options.logs_db; names of users, tokens and channels on options.db.
  exporter::api::Api api(
      options.api, options.logs_db, options.db,
      {.tables = observer::agg::AggTables(observer::Dialect(options.logs_db.engine), options.tail.agg_database),
       .risk = risk,
       .facts = facts});
  api.AddRoutes(http);
  // Reloads the rules and the API's tokens file; an admin's request.
  http.Action("/-/reload", [&risk, &api, tokens](const httplib::Request& req, httplib::Response& res) {
    if (!api.Admit(req, res)) return;
    std::string error = risk->Reload();
    if (!error.empty()) error = risk->file() + ": " + error;
    if (tokens) {
      if (std::string tokens_error = tokens->Reload(); !tokens_error.empty()) {
        error += (error.empty() ? "" : "; ") + tokens->path() + ": " + tokens_error;
      }
    }
    if (!error.empty()) {
      observer::WriteError(res, 400, error);
      return;
    }
    observer::WriteJson(res, 200, {{"ok", true}, {"file", risk->file()}});
  });

  // The collectors: each has its own connection and thread, so at most one query per collector is in flight. The
  // entities (users, tokens, channels, QuotaPerUnit) come from the main database, the tail from where logs live.
  exporter::CollectorSelfMetrics self(*registry);
  auto tail = std::make_unique<exporter::LogTailCollector>(options.tail, *registry, snapshots, *facts, risk);
  http.AddCollectable(tail->lag_collectable());
  std::vector<std::unique_ptr<exporter::CollectorRunner>> runners;
  runners.push_back(std::make_unique<exporter::CollectorRunner>(
      std::make_unique<exporter::EntitiesCollector>(std::chrono::seconds(options.entities_interval_seconds), snapshots,
                                                    *facts),
      options.db, self));
  runners.push_back(std::make_unique<exporter::CollectorRunner>(std::move(tail), options.logs_db, self));
  for (auto& runner : runners) runner->Start();

  const int code = observer::ServeUntilTerminated(http, options.web.listen, db, [&risk, tokens] {
    risk->Reload();
    if (tokens) tokens->Reload();
  });
  for (auto& runner : runners) runner->Stop();
  return code;
}
