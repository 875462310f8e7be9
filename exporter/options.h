// The exporter's settings table and its typed, validated options.
#pragma once

#include <string>
#include <vector>

#include "api/api.h"
#include "cache/response_cache.h"
#include "collectors/log_tail.h"
#include "observer/config.h"
#include "observer/db_client.h"
#include "observer/web_config.h"
#include "risk_config.h"

namespace exporter {

struct ExporterOptions {
  observer::DbOptions db;       // users, tokens, channels, options
  observer::DbOptions logs_db;  // logs and the observer's tables: db unless new-api writes logs elsewhere (LOG_DSN_RO)
  int db_check_interval_seconds = 5;
  observer::WebOptions web;  // listen addresses, telemetry path, TLS and basic auth
  std::string ui_dir;        // the built web UI served at / ("" = none)
  std::string redis_url;     // empty = no cache
  RedisEndpoint redis;
  int cache_ttl_seconds = 60;
  LogTailOptions tail;
  RuleSet rules;  // from the environment; rules_file overrides
  std::string rules_file;
  int entities_interval_seconds = 60;
  api::ApiOptions api;
  std::string metrics_token;  // required on /metrics when set (METRICS_TOKEN)
  bool check = false;         // report on the database and exit
};

std::vector<observer::Setting> ExporterSettings();
// Throws observer::ConfigError naming the key on a bad value.
ExporterOptions ParseExporterOptions(const observer::Config& config);

}  // namespace exporter
