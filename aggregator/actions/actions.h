// Response actions: which risk rules may stop their subject, the decision for each alert (allow list, hourly cap,
// dry run, once per subject), new-api's admin call with bounded retries, the token blocklist, the audit trail and the
// undo.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "actions/blocklist.h"
#include "relay/alert.h"
#include "relay/http_post.h"

namespace aggregator::actions {

// What an operator allowed one rule to do. Everything is off and dry until ACTIONS_FILE says otherwise.
struct RulePolicy {
  bool disable_user = false;  // POST /api/user/manage {"id": <owner of the token>, "action": "disable"}
  bool block_token = false;   // publish the SHA-256 of the token's key to the blocklist (blocklist.h)
  bool dry_run = true;        // log and report what would have been done; call nothing
};

struct ActionsConfig {
  std::map<std::string, RulePolicy> rules;  // by the alert's `rule` label (burst, multi_user_token, ...)
  std::set<int64_t> allow_users;            // never disabled, their tokens never blocked, whatever fires
  std::set<int64_t> allow_tokens;           // never blocked, and their owners never disabled because of them
};

// Parses the ACTIONS_FILE YAML (config/actions.example.yaml). Returns nothing and sets *error naming the key on a
// malformed file or an unknown rule key.
std::optional<ActionsConfig> ParseActionsConfig(std::string_view yaml, std::string* error);

// One row of the audit trail: an action, a dry run, a refusal or an undo.
struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;      // unix seconds
  std::string actor;   // "rule:burst" for the automatic path, "undo:<who>" for the undo command
  std::string action;  // disable_user, block_token, or their undo: enable_user, unblock_token
  std::string rule;
  std::string subject_type;  // the alert's subject_type (token)
  std::string subject_id;    // the alert's subject_id (token id)
  int64_t user_id = 0;       // the user acted on (block_token: the token's owner)
  std::string evidence;      // the alert's summary and value, as Alertmanager sent them
  std::string result;        // done, dry_run, failed, allow_listed, over_hourly_cap, no_user
  std::string detail;        // the API's answer, where the hash went, or why nothing was done; never a key
  int64_t undo_of = 0;       // for enable_user / unblock_token: the entry it reverts
  int64_t undone_by = 0;     // for disable_user / block_token: the entry that reverted it
};

// Where audit rows live. The aggregator keeps them in observer_action_audit; tests in memory.
class AuditStore {
 public:
  virtual ~AuditStore() = default;
  // Stores the entry and returns its id.
  virtual int64_t Append(const AuditEntry& entry) = 0;
  virtual void MarkUndone(int64_t id, int64_t undo_id) = 0;
  virtual std::optional<AuditEntry> Get(int64_t id) = 0;
  // Entries since `since` (unix seconds), oldest first.
  virtual std::vector<AuditEntry> Since(int64_t since) = 0;
  // The disable_user entry (done or dry_run) for this user that no undo has reverted, if any.
  virtual std::optional<AuditEntry> ActiveDisable(int64_t user_id) = 0;
  // The block_token entry (done or dry_run) for this token that no undo has reverted, if any.
  virtual std::optional<AuditEntry> ActiveBlock(const std::string& token_id) = 0;
};

class MemoryAuditStore : public AuditStore {
 public:
  int64_t Append(const AuditEntry& entry) override;
  void MarkUndone(int64_t id, int64_t undo_id) override;
  std::optional<AuditEntry> Get(int64_t id) override;
  std::vector<AuditEntry> Since(int64_t since) override;
  std::optional<AuditEntry> ActiveDisable(int64_t user_id) override;
  std::optional<AuditEntry> ActiveBlock(const std::string& token_id) override;
  const std::vector<AuditEntry>& entries() const { return entries_; }

 private:
  std::vector<AuditEntry> entries_;
};

// new-api's admin API: the base URL, a system access token of an admin (a secret) and that admin's user id.
struct AdminApiOptions {
  std::string base_url;       // NEWAPI_ADMIN_URL, e.g. http://new-api:3000
  std::string access_token;   // NEWAPI_ADMIN_TOKEN: never logged, never in an answer
  int64_t admin_user_id = 0;  // NEWAPI_ADMIN_USER_ID: sent as New-Api-User (newer new-api requires it)
  int max_attempts = 3;
  std::chrono::milliseconds first_backoff{1000};  // doubled after each failed attempt
  relay::PostSettings post;
};

using Headers = std::vector<std::pair<std::string, std::string>>;
using AdminSender = std::function<relay::HttpReply(const relay::Url&, const Headers&, const std::string& body)>;
using Sleeper = std::function<void(std::chrono::milliseconds)>;

struct AdminResult {
  bool ok = false;
  int attempts = 0;
  std::string message;  // new-api's message or the transport error; never the token
};

// POST /api/user/manage with bounded retries: a transport failure, 429 or 5xx is retried after a doubling backoff
// up to max_attempts; {"success": false} or another 4xx is final (new-api refused: wrong token, higher role).
class AdminApi {
 public:
  AdminApi(AdminApiOptions options, AdminSender sender = {}, Sleeper sleep = {});
  bool configured() const { return !options_.base_url.empty() && !options_.access_token.empty(); }
  AdminResult ManageUser(int64_t user_id, const std::string& action);

 private:
  AdminApiOptions options_;
  AdminSender sender_;
  Sleeper sleep_;
};

// The user a token belongs to (from logs), or nothing when unknown.
using UserOfToken = std::function<std::optional<int64_t>(int64_t token_id)>;

// tokens.key of a token, read from new-api's database for block_token (needs an opt-in grant:
// schema/grants-block-token.sql). The reader throws std::runtime_error when the database cannot be read at all.
struct TokenKey {
  enum class Status { kFound, kNoGrant, kNotFound };
  Status status = Status::kNotFound;
  std::string key;     // as new-api stores it (without "sk-"); only hashed, never logged or stored
  std::string detail;  // kNoGrant: the grant to give
};
using TokenKeyOf = std::function<TokenKey(int64_t token_id)>;

// What one alert (or an undo) led to, for the log, the answer to Alertmanager and the chat message.
struct Outcome {
  int64_t audit_id = 0;
  std::string result;      // as AuditEntry::result, or "not_enabled" / "already_active" / "resolved" (not audited)
  std::string message;     // one line for chat: what was (or would have been) done and how to undo it
  std::string message_zh;  // the same in Chinese (ALERT_LANGUAGE=zh)
  std::string action;      // disable_user, block_token, enable_user or unblock_token ("" when nothing was enabled)
};

struct ResponderOptions {
  int max_per_hour = 5;  // ACTIONS_MAX_PER_HOUR: actions (and dry runs) started in the last hour, over all rules
  std::string undo_hint = "newapi-aggregator-undo";  // the undo command named in chat messages
};

class Responder {
 public:
  using Clock = std::function<int64_t()>;  // unix seconds
  Responder(ResponderOptions options, AuditStore& audit, AdminApi& admin, UserOfToken user_of_token, Clock clock = {});

  void SetConfig(ActionsConfig config);
  // Where block_token publishes and how it reads a token's key; without it block_token fails (audited).
  void UseBlocklist(Blocklist& blocklist, TokenKeyOf key_of);
  // Acts on each firing alert of an Alertmanager notification (one outcome per action its rule enables);
  // resolved alerts change nothing (undo is a person's decision).
  std::vector<Outcome> Handle(const relay::Notification& notification);
  // Reverts a done disable_user (re-enables the user, audited as enable_user) or block_token (removes the hash,
  // audited as unblock_token); a dry run is just marked undone.
  Outcome Undo(int64_t audit_id, const std::string& who);

 private:
  // action: disable_user or block_token.
  Outcome Act(const relay::Alert& alert, const std::string& action);
  // Publishes (add) or removes the hash of the token's key: "" or why not.
  std::string ChangeBlocklist(int64_t token_id, bool add, std::string* where);

  ResponderOptions options_;
  AuditStore& audit_;
  AdminApi& admin_;
  UserOfToken user_of_token_;
  Clock clock_;
  Blocklist* blocklist_ = nullptr;
  TokenKeyOf key_of_;
  std::mutex mutex_;  // one action at a time: the cap and the once-per-user check read what the last one wrote
  ActionsConfig config_;
};

}  // namespace aggregator::actions
