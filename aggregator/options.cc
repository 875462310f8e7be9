// Aggregator settings: the writer account (DB_USER_AGG/DB_PASS_AGG), schedule, the chat relay's targets and the
// response actions.
#include "options.h"

#include "observer/app.h"

namespace aggregator {

std::vector<observer::Setting> AggregatorSettings() {
  std::vector<observer::Setting> settings =
      observer::DatabaseSettings("DB_USER_AGG", "newapi_agg", "DB_PASS_AGG", "DB_DSN_AGG", "LOG_DSN_AGG");
  std::vector<observer::Setting> own = {
      {"aggregate.interval", "AGG_INTERVAL_SECONDS", "300", "how often agg_usage_hourly is brought up to date"},
      {"aggregate.finalize-lag", "AGG_FINALIZE_LAG_SECONDS", "7200",
       "an hour becomes final (never recomputed again) this long after it ends"},
      {"aggregate.standby-retry", "AGG_STANDBY_RETRY_SECONDS", "10",
       "how often a standby aggregator tries to take over the writer lock"},
      {"once", "AGG_ONCE", "false",
       "run one aggregation pass and exit (0 done, 1 failed, 3 another aggregator writes)"},
      observer::LogLevelSetting(),
  };
  settings.insert(settings.end(), own.begin(), own.end());
  std::vector<observer::Setting> web =
      observer::WebSettings("AGGREGATOR", "8081", "port of /metrics and the alert relay");
  settings.insert(settings.end(), web.begin(), web.end());
  std::vector<observer::Setting> relay_settings = relay::RelaySettings();
  settings.insert(settings.end(), relay_settings.begin(), relay_settings.end());
  std::vector<observer::Setting> action_settings = actions::ActionsSettings();
  settings.insert(settings.end(), action_settings.begin(), action_settings.end());
  return settings;
}

AggregatorOptions ParseAggregatorOptions(const observer::Config& config) {
  AggregatorOptions options;
  // The aggregator reads only logs and writes its own tables beside them: it connects where logs live.
  options.db = observer::LogsDbOptionsFrom(config, observer::DbOptionsFrom(config, /*read_only=*/false));
  options.db_check_interval_seconds = static_cast<int>(config.GetInt("db.check-interval", 1, 3600));
  options.web = observer::WebOptionsFrom(config);
  options.agg_database = observer::AggContainerFrom(config, options.db);
  options.interval_seconds = static_cast<int>(config.GetInt("aggregate.interval", 1, 86400));
  options.finalize_lag_seconds = config.GetInt("aggregate.finalize-lag", 0, 3650LL * 86400);
  options.standby_retry_seconds = static_cast<int>(config.GetInt("aggregate.standby-retry", 1, 3600));
  options.once = config.GetBool("once");
  options.relay = relay::ParseRelayOptions(config, !options.web.config.users.empty());
  options.actions = actions::ParseActionsOptions(config);
  // block_token reads tokens.key where new-api keeps its tokens: the main database (DB_DSN_AGG or DB_HOST...).
  options.actions.tokens_db = observer::DbOptionsFrom(config, /*read_only=*/true);
  if (!options.actions.file.empty() && options.relay.token.empty() && !options.relay.basic_auth) {
    // POST /actions would refuse every request: Alertmanager authenticates with RELAY_TOKEN.
    throw observer::ConfigError(
        "ACTIONS_FILE is set but RELAY_TOKEN is empty: set RELAY_TOKEN (16+ characters) and "
        "give Alertmanager's actions receiver the same token");
  }
  return options;
}

}  // namespace aggregator
