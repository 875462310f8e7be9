// Exporter settings: environment variables, with flags to override them.
#include "options.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>

#include "observer/app.h"

namespace exporter {

std::vector<observer::Setting> ExporterSettings() {
  std::vector<observer::Setting> settings =
      observer::DatabaseSettings("DB_USER_RO", "newapi_ro", "DB_PASS_RO", "DB_DSN_RO", "LOG_DSN_RO");
  std::vector<observer::Setting> own = {
      {"web.ui-dir", "UI_DIR", "", "directory of the built web UI (frontend/dist) served at /; empty = no UI"},
      {"redis.url", "REDIS_URL", "redis://127.0.0.1:6379/0",
       "Redis for the JSON API cache; keys start with newapi-observer:, nothing else is touched", true},
      {"cache.ttl", "CACHE_TTL_SECONDS", "60", "JSON API cache lifetime, seconds (0 = no cache)"},
      {"api.max-rows", "MAX_ROWS", "100000", "most rows in one CSV export (/api/export/csv)"},
      {"tail.batch-size", "TAIL_BATCH_SIZE", "5000", "rows per tail query"},
      {"tail.poll-interval", "TAIL_POLL_INTERVAL_MS", "1000", "how often new logs rows are read, milliseconds"},
      {"tail.start-id", "TAIL_START_ID", "-1", "read logs after this id at start; -1 = the end of the table"},
      {"tail.grace", "TAIL_GRACE_SECONDS", "60", "how long a skipped id is re-checked for a late commit"},
      {"tail.max-holes", "TAIL_MAX_HOLES", "20000", "most skipped ids tracked at once"},
      {"top.k", "TOP_K", "20", "users and tokens in each Top-K gauge"},
      {"top.window", "TOP_WINDOW_MINUTES", "60", "sliding window of the Top-K gauges, minutes"},
      {"entities.interval", "ENTITY_REFRESH_SECONDS", "60", "how often users/tokens/channels/options are read"},
      {"labels.max-models", "LABEL_MAX_MODELS", "200", "distinct model label values before folding into 'other'"},
      {"labels.max-channels", "LABEL_MAX_CHANNELS", "500", "distinct channel label values before 'other'"},
      {"labels.max-groups", "LABEL_MAX_GROUPS", "50", "distinct group label values before 'other'"},
      {"risk.burst-window", "BURST_WINDOW_SEC", "60", "burst rule window, seconds"},
      {"risk.burst-limit", "BURST_LIMIT_PER_TOKEN", "120", "burst rule: requests per token per window"},
      {"risk.ip-users-threshold", "IP_USERS_THRESHOLD", "5", "ip_many_users rule: distinct users per IP"},
      {"risk.token-clients-threshold", "TOKEN_MULTI_USER_THRESHOLD", "6",
       "multi_user_token rule: distinct client IPs per token in 10 minutes (2 would fire on home + mobile)"},
      {"risk.big-request-sigma", "BIG_REQUEST_SIGMA", "4",
       "big_request rule: standard deviations of log(request tokens) above the model's mean"},
      {"risk.allow-token-ids", "ALLOW_TOKEN_IDS", "", "token ids the rules never flag (comma-separated)"},
      {"risk.allow-user-ids", "ALLOW_USER_IDS", "", "user ids the rules never flag (comma-separated)"},
      {"risk.allow-channel-ids", "ALLOW_CHANNEL_IDS", "",
       "channel ids whose requests the rules ignore (comma-separated)"},
      {"risk.allow-ips", "ALLOW_IPS", "", "client IPs or CIDRs the rules ignore (comma-separated, IPv4 or IPv6)"},
      {"risk.rules-file", "RULES_FILE", "",
       "rules.yaml overriding the thresholds and allow-lists above; reloaded on SIGHUP and POST /-/reload"},
      {"check", "EXPORTER_CHECK", "false",
       "report on the database (server, grants, secrets, logs indexes, IP logging) and exit: 0 passed, 1 failed"},
      {"api.token", "API_TOKEN", "",
       "an admin's bearer token for /api/* (all but /api/health) and /-/reload, 16+ characters", true, 16},
      {"metrics.token", "METRICS_TOKEN", "",
       "bearer token required on /metrics, 16+ characters (empty = open to whoever reaches the port: /metrics shows "
       "the "
       "Top-K user and token names)",
       true, 16},
      {"api.auth", "API_AUTH", "token",
       "token: /api/* needs an identity (API_TOKEN, API_TOKENS_FILE, a trusted proxy); none: with none of them set, "
       "whoever reaches the port is admin (anonymous)"},
      {"api.tokens-file", "API_TOKENS_FILE", "",
       "YAML file of API tokens, each a name, a role (viewer, analyst, admin) and the token's sha256; reloaded on "
       "change, SIGHUP and POST /-/reload"},
      {"api.trusted-proxies", "API_TRUSTED_PROXIES", "",
       "addresses or CIDRs of the reverse proxy (oauth2-proxy) whose user and groups headers are trusted "
       "(comma-separated; empty = never)"},
      {"api.proxy-user-header", "API_PROXY_USER_HEADER", "X-Forwarded-User",
       "the trusted proxy's header naming the user"},
      {"api.proxy-groups-header", "API_PROXY_GROUPS_HEADER", "X-Forwarded-Groups",
       "the trusted proxy's header listing the user's groups (comma-separated)"},
      {"api.proxy-group-roles", "API_PROXY_GROUP_ROLES", "",
       "roles of the proxy's groups: group=role,... (*=viewer: every user it passes); the highest applies"},
      {"actions.aggregator-url", "AGGREGATOR_URL", "",
       "the aggregator's http(s)://host:port, where an admin's undo of a response action goes (empty = no undo)"},
      {"actions.relay-token", "RELAY_TOKEN", "", "the aggregator's bearer token, sent with an undo", true, 16},
      {"api.cors-origins", "CORS_ORIGINS", "",
       "origins allowed to call /api/* from a browser (comma-separated, e.g. https://ops.example.com; empty = same "
       "origin only)"},
      {"api.timezone", "TIMEZONE", "UTC", "default time zone of API buckets: an IANA name (Asia/Shanghai) or +08:00"},
      {"api.newapi-url", "NEWAPI_URL", "",
       "new-api's base URL (https://api.example.com): the UI links users, tokens and channels to its admin pages "
       "(empty = no links)"},
      {"api.zoneinfo", "ZONEINFO_DIR", "/usr/share/zoneinfo", "directory of the IANA time zone files (package tzdata)"},
      {"api.db-connections", "API_DB_CONNECTIONS", "2",
       "database connections of the JSON API (its own pool; more concurrent queries answer 429)"},
      {"api.query-timeout", "API_QUERY_TIMEOUT_MS", "10000",
       "server-side timeout of each JSON API query, milliseconds (a timeout answers 504)"},
      observer::LogLevelSetting(),
  };
  settings.insert(settings.end(), own.begin(), own.end());
  std::vector<observer::Setting> web = observer::WebSettings("API", "8080", "port of /metrics, /api and the UI");
  settings.insert(settings.end(), web.begin(), web.end());
  return settings;
}

namespace {

// Splits "a, b,c" into its non-empty items.
std::vector<std::string> CommaList(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  for (char c : text + ",") {
    if (c == ',') {
      if (!item.empty()) items.push_back(item);
      item.clear();
    } else if (c != ' ' && c != '\t') {
      item.push_back(c);
    }
  }
  return items;
}

observer::rules::AllowList ParseAllowList(const observer::Config& config) {
  observer::rules::AllowList allow;
  const std::pair<const char*, std::set<int64_t>*> id_lists[] = {{"risk.allow-token-ids", &allow.token_ids},
                                                                 {"risk.allow-user-ids", &allow.user_ids},
                                                                 {"risk.allow-channel-ids", &allow.channel_ids}};
  for (const auto& [flag, ids] : id_lists) {
    for (const std::string& item : CommaList(config.GetString(flag))) {
      char* end = nullptr;
      const long long id = std::strtoll(item.c_str(), &end, 10);
      if (*end != '\0' || id <= 0) {
        throw observer::ConfigError("invalid id '" + item + "' in --" + std::string(flag) +
                                    ": expected positive integers");
      }
      ids->insert(id);
    }
  }
  for (const std::string& item : CommaList(config.GetString("risk.allow-ips"))) {
    std::string error;
    if (!allow.AddNetwork(item, &error)) throw observer::ConfigError("ALLOW_IPS (--risk.allow-ips): " + error);
  }
  return allow;
}

}  // namespace

ExporterOptions ParseExporterOptions(const observer::Config& config) {
  ExporterOptions options;
  options.db = observer::DbOptionsFrom(config, /*read_only=*/true);
  options.logs_db = observer::LogsDbOptionsFrom(config, options.db);
  options.db_check_interval_seconds = static_cast<int>(config.GetInt("db.check-interval", 1, 3600));
  options.web = observer::WebOptionsFrom(config);
  options.ui_dir = config.GetString("web.ui-dir");
  if (!options.ui_dir.empty() &&
      !std::filesystem::is_regular_file(std::filesystem::path(options.ui_dir) / "index.html")) {
    throw observer::ConfigError("--web.ui-dir (UI_DIR): no index.html in '" + options.ui_dir +
                                "' (build the UI with `npm ci && npm run build` in frontend/)");
  }
  options.redis_url = config.GetString("redis.url");
  if (!options.redis_url.empty()) {
    if (std::string error = ParseRedisUrl(options.redis_url, &options.redis); !error.empty()) {
      throw observer::ConfigError("invalid --redis.url (REDIS_URL): " + error);
    }
  }
  options.cache_ttl_seconds = static_cast<int>(config.GetInt("cache.ttl", 0, 86400));
  observer::rules::Thresholds& rules = options.rules.thresholds;
  rules.burst_window_sec = config.GetInt("risk.burst-window", 1, 86400);
  rules.burst_limit = config.GetInt("risk.burst-limit", 2, 10000000);
  rules.ip_users_threshold = config.GetInt("risk.ip-users-threshold", 2, 1000000);
  rules.token_clients_threshold = config.GetInt("risk.token-clients-threshold", 2, 1000000);
  rules.big_request_sigma = config.GetDouble("risk.big-request-sigma", 0.5, 100);
  options.rules.allow = ParseAllowList(config);
  options.rules_file = config.GetString("risk.rules-file");
  options.tail.reader.batch_size = static_cast<int>(config.GetInt("tail.batch-size", 1, 100000));
  options.tail.poll_interval = std::chrono::milliseconds(config.GetInt("tail.poll-interval", 100, 60000));
  options.tail.agg_database = observer::AggContainerFrom(config, options.logs_db);
  options.tail.start_id = config.GetInt("tail.start-id", -1, INT64_MAX);
  options.tail.reader.cursor.grace_seconds = config.GetInt("tail.grace", 1, 3600);
  options.tail.reader.cursor.max_holes = static_cast<size_t>(config.GetInt("tail.max-holes", 0, 10000000));
  options.tail.top_k = static_cast<size_t>(config.GetInt("top.k", 1, 1000));
  options.tail.top_window_minutes = static_cast<int>(config.GetInt("top.window", 1, 1440));
  options.tail.labels.models = static_cast<size_t>(config.GetInt("labels.max-models", 1, 100000));
  options.tail.labels.channels = static_cast<size_t>(config.GetInt("labels.max-channels", 1, 100000));
  options.tail.labels.groups = static_cast<size_t>(config.GetInt("labels.max-groups", 1, 100000));
  options.entities_interval_seconds = static_cast<int>(config.GetInt("entities.interval", 1, 86400));
  api::AccessOptions& access = options.api.access;
  access.token = config.GetString("api.token");
  options.metrics_token = config.GetString("metrics.token");
  options.check = config.GetBool("check");
  if (const std::string& file = config.GetString("api.tokens-file"); !file.empty()) {
    access.tokens_file = std::make_shared<api::TokensFile>(file);
  }
  for (const std::string& item : CommaList(config.GetString("api.trusted-proxies"))) {
    std::string error;
    if (!access.proxy.addresses.AddNetwork(item, &error)) {
      throw observer::ConfigError("API_TRUSTED_PROXIES (--api.trusted-proxies): " + error);
    }
  }
  access.proxy.user_header = config.GetString("api.proxy-user-header");
  access.proxy.groups_header = config.GetString("api.proxy-groups-header");
  if (std::string error;
      !api::ParseGroupRoles(config.GetString("api.proxy-group-roles"), &access.proxy.group_roles, &error)) {
    throw observer::ConfigError("API_PROXY_GROUP_ROLES (--api.proxy-group-roles): " + error);
  }
  if (access.proxy.enabled() && access.proxy.group_roles.empty()) {
    throw observer::ConfigError(
        "API_TRUSTED_PROXIES is set without API_PROXY_GROUP_ROLES: no proxy user would have a "
        "role (e.g. observer-admins=admin,observer-analysts=analyst,*=viewer)");
  }
  access.basic_auth = !options.web.config.users.empty();
  // An open API is a choice, not what an empty or forgotten API_TOKEN silently gives.
  const bool identities = !access.token.empty() || access.tokens_file || access.proxy.enabled() || access.basic_auth;
  if (const std::string& auth = config.GetString("api.auth"); auth != "token" && auth != "none") {
    throw observer::ConfigError("invalid value '" + auth + "' for --api.auth (API_AUTH): expected token or none");
  } else if (auth == "token" && !identities && !options.check) {
    throw observer::ConfigError(
        "API_TOKEN is empty: set a bearer token of 16+ characters (API_TOKEN or API_TOKEN_FILE), "
        "API_TOKENS_FILE or API_TRUSTED_PROXIES, or API_AUTH=none to serve /api/* without one");
  } else {
    access.open = auth == "none" && !identities;  // a configured identity still applies, as API_TOKEN always did
  }
  options.api.aggregator_url = config.GetString("actions.aggregator-url");
  while (!options.api.aggregator_url.empty() && options.api.aggregator_url.back() == '/')
    options.api.aggregator_url.pop_back();
  if (!options.api.aggregator_url.empty() &&
      ((options.api.aggregator_url.rfind("http://", 0) != 0 && options.api.aggregator_url.rfind("https://", 0) != 0) ||
       options.api.aggregator_url.find('/', options.api.aggregator_url.find("//") + 2) != std::string::npos)) {
    throw observer::ConfigError("invalid --actions.aggregator-url (AGGREGATOR_URL) '" + options.api.aggregator_url +
                                "': expected http(s)://host:port");
  }
  options.api.relay_token = config.GetString("actions.relay-token");
  if (!options.web.config.users.empty()) {
    if (!options.metrics_token.empty()) throw observer::ConfigError(observer::TokenWithBasicAuthError("METRICS_TOKEN"));
    if (!access.token.empty()) throw observer::ConfigError(observer::TokenWithBasicAuthError("API_TOKEN"));
    if (access.tokens_file) throw observer::ConfigError(observer::TokenWithBasicAuthError("API_TOKENS_FILE"));
  }
  for (const std::string& origin : CommaList(config.GetString("api.cors-origins"))) {
    if (origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0) {
      throw observer::ConfigError("invalid origin '" + origin +
                                  "' in --api.cors-origins (CORS_ORIGINS): expected http(s)://host[:port]");
    }
    access.cors_origins.insert(origin);
  }
  options.api.newapi_url = config.GetString("api.newapi-url");
  while (!options.api.newapi_url.empty() && options.api.newapi_url.back() == '/') options.api.newapi_url.pop_back();
  if (!options.api.newapi_url.empty() && options.api.newapi_url.rfind("http://", 0) != 0 &&
      options.api.newapi_url.rfind("https://", 0) != 0) {
    throw observer::ConfigError("invalid --api.newapi-url (NEWAPI_URL) '" + options.api.newapi_url +
                                "': expected http(s)://host[:port][/path]");
  }
  options.api.zoneinfo_dir = config.GetString("api.zoneinfo");
  options.api.default_zone = config.GetString("api.timezone");
  if (std::string error; !api::TimeZone::Load(options.api.default_zone, options.api.zoneinfo_dir, &error)) {
    throw observer::ConfigError("--api.timezone (TIMEZONE): " + error);
  }
  options.api.connections = static_cast<int>(config.GetInt("api.db-connections", 1, 64));
  options.api.csv_max_rows = static_cast<size_t>(config.GetInt("api.max-rows", 1, 10000000));
  options.api.query_timeout_ms = static_cast<int>(config.GetInt("api.query-timeout", 1, 600000));
  return options;
}

}  // namespace exporter
