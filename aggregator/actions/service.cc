// The response actions' edge: settings, observer_action_audit, the owner and token key lookups and the HTTP routes.
#include "actions/service.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "observer/log.h"
#include "observer/metrics.h"

namespace aggregator::actions {
namespace {

constexpr const char* kFileFlag = "actions.file";
constexpr const char* kMaxFlag = "actions.max-per-hour";
constexpr const char* kChatFlag = "actions.chat-target";
constexpr const char* kUrlFlag = "actions.newapi-url";
constexpr const char* kTokenFlag = "actions.newapi-token";
constexpr const char* kUserFlag = "actions.newapi-user-id";
constexpr const char* kBlocklistRedisFlag = "actions.blocklist-redis";
constexpr const char* kBlocklistKeyFlag = "actions.blocklist-redis-key";
constexpr const char* kBlocklistFileFlag = "actions.blocklist-file";

constexpr const char* kColumns =
    "id, at, actor, action, rule, subject_type, subject_id, user_id, evidence, result, detail, undo_of, undone_by";

int64_t ToInt(const std::optional<std::string_view>& cell) {
  int64_t value = 0;
  if (cell) std::from_chars(cell->data(), cell->data() + cell->size(), value);
  return value;
}

std::string ToText(const std::optional<std::string_view>& cell) { return cell ? std::string(*cell) : ""; }

}  // namespace

std::vector<observer::Setting> ActionsSettings() {
  return {
      {kFileFlag, "ACTIONS_FILE", "",
       "YAML file of the risk rules allowed to disable a token's owner in new-api, and the allow list "
       "(config/actions.example.yaml); reloaded on SIGHUP (empty = response actions are off)"},
      {kMaxFlag, "ACTIONS_MAX_PER_HOUR", "5", "at most this many response actions (and dry runs) start per hour"},
      {kChatFlag, "ACTIONS_CHAT_TARGET", "default", "chat target the relay reports each response action to"},
      {kUrlFlag, "NEWAPI_ADMIN_URL", "",
       "new-api's base URL for its admin API (response actions; empty = dry runs only)"},
      {kTokenFlag, "NEWAPI_ADMIN_TOKEN", "",
       "system access token of a new-api admin (personal settings) for POST /api/user/manage", true},
      {kUserFlag, "NEWAPI_ADMIN_USER_ID", "1", "that admin's user id, sent as New-Api-User"},
      {kBlocklistRedisFlag, "ACTIONS_BLOCKLIST_REDIS", "",
       "Redis (redis://[:password@]host[:port][/db]) holding the set of blocked tokens' key hashes (block_token; "
       "empty = no Redis set)",
       true},
      {kBlocklistKeyFlag, "ACTIONS_BLOCKLIST_REDIS_KEY", "newapi-observer:blocked-tokens",
       "name of that Redis set: the SHA-256 hex of each blocked key"},
      {kBlocklistFileFlag, "ACTIONS_BLOCKLIST_FILE", "",
       "file of blocked tokens' key hashes, one SHA-256 hex per line, rewritten atomically (block_token; empty = "
       "no file)"},
  };
}

ActionsOptions ParseActionsOptions(const observer::Config& config) {
  ActionsOptions options;
  options.file = config.GetString(kFileFlag);
  options.max_per_hour = static_cast<int>(config.GetInt(kMaxFlag, 0, 1000));
  options.chat_target = config.GetString(kChatFlag);
  options.admin.base_url = config.GetString(kUrlFlag);
  options.admin.access_token = config.GetString(kTokenFlag);
  options.admin.admin_user_id = config.GetInt(kUserFlag, 1, std::numeric_limits<int32_t>::max());
  if (!options.admin.base_url.empty() && !relay::ParseUrl(options.admin.base_url)) {
    throw observer::ConfigError("NEWAPI_ADMIN_URL (--actions.newapi-url) must be an http:// or https:// URL");
  }
  if (options.admin.base_url.empty() != options.admin.access_token.empty()) {
    throw observer::ConfigError("NEWAPI_ADMIN_URL and NEWAPI_ADMIN_TOKEN are set together or not at all");
  }
  if (const std::string url = config.GetString(kBlocklistRedisFlag); !url.empty()) {
    if (std::string error = observer::ParseRedisUrl(url, &options.blocklist.redis); !error.empty()) {
      throw observer::ConfigError("ACTIONS_BLOCKLIST_REDIS: " + error);
    }
    options.blocklist.use_redis = true;
  }
  options.blocklist.redis_key = config.GetString(kBlocklistKeyFlag);
  if (options.blocklist.redis_key.empty()) throw observer::ConfigError("ACTIONS_BLOCKLIST_REDIS_KEY must not be empty");
  options.blocklist.file = config.GetString(kBlocklistFileFlag);
  return options;
}

DbAuditStore::DbAuditStore(const observer::DbOptions& db, const std::string& container)
    : db_(db), table_(db_.dialect().Table(container, "observer_action_audit")) {}

observer::QueryResult DbAuditStore::Query(const std::string& sql) {
  if (!db_.connected()) {
    if (observer::DbStatus s = db_.Connect(); !s.ok) throw std::runtime_error("audit database: " + s.message);
  }
  observer::QueryResult result;
  if (observer::DbStatus s = db_.Query(sql, &result); !s.ok) throw std::runtime_error("audit database: " + s.message);
  return result;
}

void DbAuditStore::Execute(const std::string& sql) {
  if (!db_.connected()) {
    if (observer::DbStatus s = db_.Connect(); !s.ok) throw std::runtime_error("audit database: " + s.message);
  }
  if (observer::DbStatus s = db_.Execute(sql); !s.ok) throw std::runtime_error("audit database: " + s.message);
}

std::vector<AuditEntry> DbAuditStore::Select(const std::string& where) {
  std::vector<AuditEntry> entries;
  for (const observer::DbRow& row :
       Query(std::string("SELECT ") + kColumns + " FROM " + table_ + " WHERE " + where + " ORDER BY id").rows) {
    AuditEntry e;
    e.id = ToInt(row[0]);
    e.at = ToInt(row[1]);
    e.actor = ToText(row[2]);
    e.action = ToText(row[3]);
    e.rule = ToText(row[4]);
    e.subject_type = ToText(row[5]);
    e.subject_id = ToText(row[6]);
    e.user_id = ToInt(row[7]);
    e.evidence = ToText(row[8]);
    e.result = ToText(row[9]);
    e.detail = ToText(row[10]);
    e.undo_of = ToInt(row[11]);
    e.undone_by = ToInt(row[12]);
    entries.push_back(std::move(e));
  }
  return entries;
}

int64_t DbAuditStore::Append(const AuditEntry& e) {
  // The aggregator is the table's only writer and appends under one lock: MAX(id) + 1 is free.
  const observer::QueryResult last = Query("SELECT COALESCE(MAX(id), 0) + 1 FROM " + table_);
  const int64_t id = last.rows.empty() ? 1 : ToInt(last.rows[0][0]);
  const observer::Dialect& d = db_.dialect();
  auto text = [&](const std::string& value, size_t max) { return d.TextLiteral(value.substr(0, max)); };
  Execute("INSERT INTO " + table_ + " (" + kColumns + ") VALUES (" + std::to_string(id) + ", " + std::to_string(e.at) +
          ", " + text(e.actor, 191) + ", " + text(e.action, 32) + ", " + text(e.rule, 64) + ", " +
          text(e.subject_type, 32) + ", " + text(e.subject_id, 191) + ", " + std::to_string(e.user_id) + ", " +
          text(e.evidence, 1000) + ", " + text(e.result, 32) + ", " + text(e.detail, 1000) + ", " +
          std::to_string(e.undo_of) + ", " + std::to_string(e.undone_by) + ")");
  return id;
}

void DbAuditStore::MarkUndone(int64_t id, int64_t undo_id) {
  Execute("UPDATE " + table_ + " SET undone_by = " + std::to_string(undo_id) + " WHERE id = " + std::to_string(id));
}

std::optional<AuditEntry> DbAuditStore::Get(int64_t id) {
  std::vector<AuditEntry> found = Select("id = " + std::to_string(id));
  if (found.empty()) return std::nullopt;
  return found.front();
}

std::vector<AuditEntry> DbAuditStore::Since(int64_t since) { return Select("at >= " + std::to_string(since)); }

std::optional<AuditEntry> DbAuditStore::ActiveDisable(int64_t user_id) {
  std::vector<AuditEntry> found = Select("action = 'disable_user' AND user_id = " + std::to_string(user_id) +
                                         " AND undone_by = 0 AND result IN ('done', 'dry_run')");
  if (found.empty()) return std::nullopt;
  return found.front();
}

std::optional<AuditEntry> DbAuditStore::ActiveBlock(const std::string& token_id) {
  std::vector<AuditEntry> found =
      Select("action = 'block_token' AND subject_id = " + db_.dialect().TextLiteral(token_id) +
             " AND undone_by = 0 AND result IN ('done', 'dry_run')");
  if (found.empty()) return std::nullopt;
  return found.front();
}

std::optional<int64_t> DbAuditStore::UserOfToken(int64_t token_id) {
  const observer::QueryResult result =
      Query("SELECT user_id FROM logs WHERE token_id = " + std::to_string(token_id) + " ORDER BY id DESC LIMIT 1");
  if (result.rows.empty() || !result.rows[0][0]) return std::nullopt;
  return ToInt(result.rows[0][0]);
}

ActionService::ActionService(ActionsOptions options, const observer::DbOptions& db, const std::string& container,
                             relay::Relay& relay, prometheus::Registry& registry, std::function<bool()> is_writer)
    : options_(std::move(options)),
      relay_(relay),
      audit_(db, container),
      admin_(options_.admin),
      blocklist_(options_.blocklist),
      tokens_db_(options_.tokens_db),
      is_writer_(std::move(is_writer)),
      responder_({.max_per_hour = options_.max_per_hour, .undo_hint = "scripts/undo-action"}, audit_, admin_,
                 [this](int64_t token_id) { return audit_.UserOfToken(token_id); }) {
  responder_.UseBlocklist(blocklist_, [this](int64_t token_id) { return ReadTokenKey(token_id); });
  outcomes_ = &observer::metrics::RegisterCounters(
      registry, "aggregator", "actions_total",
      "Response actions by action (disable_user, enable_user, block_token, unblock_token) and result (done, dry_run, "
      "failed, allow_listed, over_hourly_cap, already_active, ...).");
}

void ActionService::Count(const Outcome& outcome) {
  if (outcome.action.empty() || outcome.result == "resolved" || outcome.result == "not_enabled") return;
  outcomes_->Add({{"action", outcome.action}, {"result", outcome.result}}).Increment();
}

TokenKey ActionService::ReadTokenKey(int64_t token_id) {
  if (!tokens_db_.connected()) {
    if (observer::DbStatus s = tokens_db_.Connect(); !s.ok) throw std::runtime_error("new-api database: " + s.message);
  }
  observer::QueryResult result;
  const observer::DbStatus s = tokens_db_.Query(
      "SELECT " + observer::QuoteIdentifier("key") + " FROM tokens WHERE id = " + std::to_string(token_id), &result);
  if (!s.ok && s.error == observer::DbError::kPermissionDenied) {
    return {TokenKey::Status::kNoGrant, "",
            "grant SELECT (id, key) ON tokens to " + options_.tokens_db.user +
                " to use block_token (schema/grants-block-token.sql; scripts/compose-setup accounts block-token)"};
  }
  if (!s.ok) throw std::runtime_error("new-api database: " + s.message);
  if (result.rows.empty() || !result.rows[0][0]) return {TokenKey::Status::kNotFound, "", ""};
  return {TokenKey::Status::kFound, std::string(*result.rows[0][0]), ""};
}

std::string ActionService::Reload() {
  if (options_.file.empty()) return "";
  std::ifstream in(options_.file);
  if (!in) return "cannot read the file";
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  std::optional<ActionsConfig> config = ParseActionsConfig(text.str(), &error);
  if (!config) return error;
  for (const auto& [rule, policy] : config->rules) {
    if (policy.disable_user && !policy.dry_run && !admin_.configured()) {
      return "rules." + rule + ": dry_run: false needs NEWAPI_ADMIN_URL and NEWAPI_ADMIN_TOKEN";
    }
    if (policy.block_token && !policy.dry_run && !blocklist_.configured()) {
      return "rules." + rule +
             ": block_token with dry_run: false needs ACTIONS_BLOCKLIST_REDIS or ACTIONS_BLOCKLIST_FILE";
    }
  }
  int acting = 0;
  for (const auto& [rule, policy] : config->rules) acting += policy.disable_user || policy.block_token ? 1 : 0;
  responder_.SetConfig(std::move(*config));
  observer::log::Info("actions: rules loaded", {{"file", options_.file}, {"rules_with_actions", acting}});
  return "";
}

void ActionService::Report(const std::string& summary, const std::string& summary_zh,
                           const std::vector<Outcome>& outcomes) {
  std::string description;
  std::string description_zh;
  for (const Outcome& outcome : outcomes) {
    if (outcome.message.empty()) continue;
    description += (description.empty() ? "" : "\n") + outcome.message;
    description_zh += (description_zh.empty() ? "" : "\n") + outcome.message_zh;
  }
  if (description.empty()) return;
  const nlohmann::json payload = {
      {"version", "4"},
      {"status", "firing"},
      {"receiver", "actions"},
      {"groupLabels", {{"alertname", "ResponseAction"}}},
      {"commonLabels", {{"alertname", "ResponseAction"}, {"severity", "warning"}, {"component", "actions"}}},
      {"commonAnnotations", nlohmann::json::object()},
      {"alerts",
       {{{"status", "firing"},
         {"labels", {{"alertname", "ResponseAction"}, {"severity", "warning"}, {"component", "actions"}}},
         {"annotations",
          {{"summary", summary},
           {"description", description},
           {"summary_zh", summary_zh},
           {"description_zh", description_zh}}},
         {"startsAt", ""},
         {"endsAt", ""}}}}};
  const relay::RelayAnswer answer = relay_.Handle(options_.chat_target, "application/json", payload.dump());
  if (answer.status != 200) {
    observer::log::Warn("actions: the chat report was not delivered",
                        {{"target", options_.chat_target}, {"status", answer.status}});
  }
}

void ActionService::AddRoutes(observer::HttpServer& http) {
  http.Post("/actions", [this](const httplib::Request& req, httplib::Response& res) {
    if (std::optional<relay::RelayAnswer> refused = relay_.Refuse(req.get_header_value("Authorization"))) {
      res.set_header("WWW-Authenticate", "Bearer");
      observer::WriteJson(res, refused->status, refused->body);
      return;
    }
    if (options_.file.empty()) {
      observer::WriteJson(res, 200, {{"status", "off"}, {"reason", "ACTIONS_FILE is not set"}});
      return;
    }
    if (!is_writer_()) {
      observer::WriteError(res, 503, "standby: another aggregator holds the writer lock and acts; nothing done");
      return;
    }
    std::string error;
    std::optional<relay::Notification> notification = relay::ParseNotification(req.body, &error);
    if (!notification) {
      observer::WriteError(res, 400, "not an Alertmanager webhook payload: " + error);
      return;
    }
    std::vector<Outcome> outcomes;
    try {
      std::lock_guard<std::mutex> lock(db_mutex_);
      outcomes = responder_.Handle(*notification);
    } catch (const std::exception& e) {
      // Nothing was done without its audit row; Alertmanager retries a 5xx.
      observer::log::Error("actions: the audit table is unavailable; nothing done", {{"error", e.what()}});
      observer::WriteError(res, 503, "the audit table is unavailable; nothing done");
      return;
    }
    nlohmann::json results = nlohmann::json::array();
    for (const Outcome& outcome : outcomes) {
      results.push_back({{"action", outcome.action}, {"result", outcome.result}, {"audit_id", outcome.audit_id}});
      Count(outcome);
    }
    Report("Response actions", "响应动作", outcomes);
    // Always 200: a failed action was already retried and reported; Alertmanager must not send it again.
    observer::WriteJson(res, 200, {{"status", "handled"}, {"results", results}});
  });
  http.Post(R"(/actions/undo/(\d{1,18}))", [this](const httplib::Request& req, httplib::Response& res) {
    if (std::optional<relay::RelayAnswer> refused = relay_.Refuse(req.get_header_value("Authorization"))) {
      res.set_header("WWW-Authenticate", "Bearer");
      observer::WriteJson(res, refused->status, refused->body);
      return;
    }
    if (!is_writer_()) {
      observer::WriteError(res, 503, "standby: another aggregator holds the writer lock; undo there");
      return;
    }
    const int64_t id = std::stoll(req.matches[1].str());
    std::string who = req.get_param_value("who");
    if (who.empty() || who.size() > 64) who = "api";
    Outcome outcome;
    try {
      std::lock_guard<std::mutex> lock(db_mutex_);
      outcome = responder_.Undo(id, who);
    } catch (const std::exception& e) {
      observer::log::Error("actions: the audit table is unavailable; nothing undone", {{"error", e.what()}});
      observer::WriteError(res, 503, "the audit table is unavailable; nothing undone");
      return;
    }
    Count(outcome);
    const int status = outcome.result == "not_found" ? 404 : outcome.result == "failed" ? 502 : 200;
    if (status != 404) Report("Response action undone", "响应动作已撤销", {outcome});
    observer::WriteJson(res, status,
                        {{"result", outcome.result}, {"audit_id", outcome.audit_id}, {"message", outcome.message}});
  });
}

}  // namespace aggregator::actions
