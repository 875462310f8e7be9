// The aggregator's settings table and its typed, validated options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actions/service.h"
#include "observer/config.h"
#include "observer/db_client.h"
#include "observer/web_config.h"
#include "relay/relay.h"

namespace aggregator {

struct AggregatorOptions {
  observer::DbOptions
      db;  // where logs live (LOG_DSN_AGG, else the DB_* settings): read logs, write the observer's tables
  int db_check_interval_seconds = 5;
  observer::WebOptions web;  // listen addresses, telemetry path, TLS and basic auth
  std::string agg_database;
  int interval_seconds = 300;
  int standby_retry_seconds = 10;
  int64_t finalize_lag_seconds = 7200;
  bool once = false;
  relay::RelayOptions relay;
  actions::ActionsOptions actions;
};

std::vector<observer::Setting> AggregatorSettings();
// Throws observer::ConfigError naming the key on a bad value.
AggregatorOptions ParseAggregatorOptions(const observer::Config& config);

}  // namespace aggregator
