// The response actions inside newapi-aggregator: settings, the audit table, the owner lookup in logs, the token key
// lookup in new-api's tokens, and the routes Alertmanager's actions receiver (POST /actions) and the undo command
// (POST /actions/undo/<id>) call.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actions/actions.h"
#include "observer/config.h"
#include "observer/db_client.h"
#include "observer/http_server.h"
#include "relay/relay.h"

namespace aggregator::actions {

struct ActionsOptions {
  std::string file;  // ACTIONS_FILE: which rules act (config/actions.example.yaml); "" = response actions are off
  int max_per_hour = 5;
  std::string chat_target = relay::kDefaultTarget;  // where the relay reports each action
  AdminApiOptions admin;
  PublishedBlocklistOptions blocklist;
  observer::DbOptions tokens_db;  // new-api's main database (tokens), with the aggregator's account: block_token
};

// ACTIONS_FILE, ACTIONS_MAX_PER_HOUR, ACTIONS_CHAT_TARGET, NEWAPI_ADMIN_URL, NEWAPI_ADMIN_TOKEN (secret),
// NEWAPI_ADMIN_USER_ID, ACTIONS_BLOCKLIST_REDIS (secret: it may hold a password), ACTIONS_BLOCKLIST_REDIS_KEY,
// ACTIONS_BLOCKLIST_FILE.
std::vector<observer::Setting> ActionsSettings();
// Throws observer::ConfigError naming the setting (never the access token). tokens_db is the caller's to fill.
ActionsOptions ParseActionsOptions(const observer::Config& config);

// observer_action_audit through its own connection. Every method throws std::runtime_error when the database cannot
// be read or written: the caller then does nothing (no action without its audit row).
class DbAuditStore : public AuditStore {
 public:
  DbAuditStore(const observer::DbOptions& db, const std::string& container);
  int64_t Append(const AuditEntry& entry) override;
  void MarkUndone(int64_t id, int64_t undo_id) override;
  std::optional<AuditEntry> Get(int64_t id) override;
  std::vector<AuditEntry> Since(int64_t since) override;
  std::optional<AuditEntry> ActiveDisable(int64_t user_id) override;
  std::optional<AuditEntry> ActiveBlock(const std::string& token_id) override;
  // The owner of a token, from its newest log row.
  std::optional<int64_t> UserOfToken(int64_t token_id);

 private:
  observer::QueryResult Query(const std::string& sql);
  void Execute(const std::string& sql);
  std::vector<AuditEntry> Select(const std::string& where);

  observer::DbClient db_;
  std::string table_;
};

class ActionService {
 public:
  // is_writer: whether this aggregator holds the writer lock; a standby answers 503 and never acts, so
  // Alertmanager retries against the active one.
  ActionService(ActionsOptions options, const observer::DbOptions& db, const std::string& container,
                relay::Relay& relay, prometheus::Registry& registry, std::function<bool()> is_writer);
  // Reads ACTIONS_FILE again (at start, SIGHUP, POST /-/reload is the relay's): "" or the error naming the key (the
  // previous rules stay).
  std::string Reload();
  const std::string& file() const { return options_.file; }
  void AddRoutes(observer::HttpServer& http);

 private:
  // Posts the outcomes' lines to the chat target through the relay as one "ResponseAction" alert (English and
  // Chinese annotations: the relay picks by ALERT_LANGUAGE).
  void Report(const std::string& summary, const std::string& summary_zh, const std::vector<Outcome>& outcomes);
  void Count(const Outcome& outcome);
  // tokens.key of a token for block_token; kNoGrant without SELECT (key) on tokens. Throws when the database is
  // unreachable (the request then answers 503 and Alertmanager retries).
  TokenKey ReadTokenKey(int64_t token_id);

  ActionsOptions options_;
  relay::Relay& relay_;
  DbAuditStore audit_;
  AdminApi admin_;
  PublishedBlocklist blocklist_;
  observer::DbClient tokens_db_;  // opened at the first block_token
  std::function<bool()> is_writer_;
  std::mutex db_mutex_;  // the audit and tokens connections serve one request at a time
  Responder responder_;
  prometheus::Family<prometheus::Counter>* outcomes_ = nullptr;
};

}  // namespace aggregator::actions
