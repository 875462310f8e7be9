// Response actions: the ACTIONS_FILE parser, the in-memory audit store, new-api's admin call and the decisions.
#include "actions/actions.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "observer/log.h"

namespace aggregator::actions {
namespace {

std::optional<int64_t> ParseId(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value <= 0) return std::nullopt;
  return value;
}

std::set<int64_t> ReadIds(const YAML::Node& node, const std::string& key) {
  std::set<int64_t> ids;
  if (!node) return ids;
  if (!node.IsSequence()) throw std::runtime_error(key + " must be a list of ids");
  for (const YAML::Node& item : node) {
    std::optional<int64_t> id = ParseId(item.as<std::string>());
    if (!id) throw std::runtime_error(key + " must hold positive integer ids, got '" + item.as<std::string>() + "'");
    ids.insert(*id);
  }
  return ids;
}

}  // namespace

std::optional<ActionsConfig> ParseActionsConfig(std::string_view yaml, std::string* error) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    ActionsConfig config;
    if (!root || root.IsNull()) return config;
    if (!root.IsMap()) throw std::runtime_error("the file must be a mapping with rules and allow");
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      if (key != "rules" && key != "allow") throw std::runtime_error("unknown key '" + key + "' (rules, allow)");
    }
    if (const YAML::Node rules = root["rules"]) {
      if (!rules.IsMap()) throw std::runtime_error("rules must map rule names to their actions");
      for (const auto& entry : rules) {
        const std::string name = entry.first.as<std::string>();
        RulePolicy policy;
        for (const auto& field : entry.second) {
          const std::string key = field.first.as<std::string>();
          if (key == "disable_user") {
            policy.disable_user = field.second.as<bool>();
          } else if (key == "block_token") {
            policy.block_token = field.second.as<bool>();
          } else if (key == "dry_run") {
            policy.dry_run = field.second.as<bool>();
          } else {
            throw std::runtime_error("rules." + name + ": unknown key '" + key +
                                     "' (disable_user, block_token, dry_run)");
          }
        }
        config.rules[name] = policy;
      }
    }
    if (const YAML::Node allow = root["allow"]) {
      config.allow_users = ReadIds(allow["users"], "allow.users");
      config.allow_tokens = ReadIds(allow["tokens"], "allow.tokens");
    }
    return config;
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

int64_t MemoryAuditStore::Append(const AuditEntry& entry) {
  entries_.push_back(entry);
  entries_.back().id = static_cast<int64_t>(entries_.size());
  return entries_.back().id;
}

void MemoryAuditStore::MarkUndone(int64_t id, int64_t undo_id) {
  if (id >= 1 && id <= static_cast<int64_t>(entries_.size())) entries_[id - 1].undone_by = undo_id;
}

std::optional<AuditEntry> MemoryAuditStore::Get(int64_t id) {
  if (id < 1 || id > static_cast<int64_t>(entries_.size())) return std::nullopt;
  return entries_[id - 1];
}

std::vector<AuditEntry> MemoryAuditStore::Since(int64_t since) {
  std::vector<AuditEntry> found;
  for (const AuditEntry& entry : entries_)
    if (entry.at >= since) found.push_back(entry);
  return found;
}

std::optional<AuditEntry> MemoryAuditStore::ActiveDisable(int64_t user_id) {
  for (const AuditEntry& entry : entries_) {
    if (entry.action == "disable_user" && entry.user_id == user_id && entry.undone_by == 0 &&
        (entry.result == "done" || entry.result == "dry_run")) {
      return entry;
    }
  }
  return std::nullopt;
}

std::optional<AuditEntry> MemoryAuditStore::ActiveBlock(const std::string& token_id) {
  for (const AuditEntry& entry : entries_) {
    if (entry.action == "block_token" && entry.subject_id == token_id && entry.undone_by == 0 &&
        (entry.result == "done" || entry.result == "dry_run")) {
      return entry;
    }
  }
  return std::nullopt;
}

AdminApi::AdminApi(AdminApiOptions options, AdminSender sender, Sleeper sleep)
    : options_(std::move(options)), sender_(std::move(sender)), sleep_(std::move(sleep)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  if (!sender_) {
    sender_ = [post = options_.post](const relay::Url& url, const Headers& headers, const std::string& body) {
      return relay::PostJson(url, body, post, headers);
    };
  }
  if (!sleep_) sleep_ = [](std::chrono::milliseconds wait) { std::this_thread::sleep_for(wait); };
}

AdminResult AdminApi::ManageUser(int64_t user_id, const std::string& action) {
  AdminResult result;
  const std::optional<relay::Url> url = relay::ParseUrl(options_.base_url + "/api/user/manage");
  if (!url || !configured()) {
    result.message = "NEWAPI_ADMIN_URL or NEWAPI_ADMIN_TOKEN is not set";
    return result;
  }
  const Headers headers = {{"Authorization", "Bearer " + options_.access_token},
                           {"New-Api-User", std::to_string(options_.admin_user_id)}};
  const std::string body = nlohmann::json{{"id", user_id}, {"action", action}}.dump();
  std::chrono::milliseconds wait = options_.first_backoff;
  for (result.attempts = 1;; ++result.attempts) {
    const relay::HttpReply reply = sender_(*url, headers, body);
    bool retry = false;
    if (!reply.transport_ok) {
      result.message = "no answer from new-api (" + reply.transport_error + ")";
      retry = true;
    } else if (reply.status == 429 || reply.status >= 500) {
      result.message = "new-api answered HTTP " + std::to_string(reply.status);
      retry = true;
    } else {
      const nlohmann::json answer = nlohmann::json::parse(reply.body, nullptr, false);
      const bool success = answer.is_object() && answer.value("success", false);
      std::string message = answer.is_object() && answer.contains("message") && answer["message"].is_string()
                                ? answer["message"].get<std::string>()
                                : "";
      if (reply.status == 200 && success) {
        result.ok = true;
        result.message = "new-api: success";
        return result;
      }
      // new-api said no (wrong or expired access token, the user outranks the admin, no such user): final.
      result.message = "new-api refused (HTTP " + std::to_string(reply.status) + ")" +
                       (message.empty() ? "" : ": " + message.substr(0, 200));
      return result;
    }
    if (!retry || result.attempts >= options_.max_attempts) return result;
    observer::log::Warn("actions: new-api admin call failed; retrying",
                        {{"action", action},
                         {"user_id", user_id},
                         {"attempt", result.attempts},
                         {"error", result.message},
                         {"retry_in_ms", static_cast<int64_t>(wait.count())}});
    sleep_(wait);
    wait *= 2;
  }
}

Responder::Responder(ResponderOptions options, AuditStore& audit, AdminApi& admin, UserOfToken user_of_token,
                     Clock clock)
    : options_(std::move(options)),
      audit_(audit),
      admin_(admin),
      user_of_token_(std::move(user_of_token)),
      clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

void Responder::SetConfig(ActionsConfig config) {
  std::lock_guard<std::mutex> lock(mutex_);
  config_ = std::move(config);
}

void Responder::UseBlocklist(Blocklist& blocklist, TokenKeyOf key_of) {
  std::lock_guard<std::mutex> lock(mutex_);
  blocklist_ = &blocklist;
  key_of_ = std::move(key_of);
}

std::vector<Outcome> Responder::Handle(const relay::Notification& notification) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Outcome> outcomes;
  for (const relay::Alert& alert : notification.alerts) {
    if (alert.resolved()) {
      outcomes.push_back({0, "resolved", "", "", ""});
      continue;
    }
    const auto policy = config_.rules.find(alert.Label("rule"));
    const bool disable = policy != config_.rules.end() && policy->second.disable_user;
    const bool block = policy != config_.rules.end() && policy->second.block_token;
    if (disable) outcomes.push_back(Act(alert, "disable_user"));
    if (block) outcomes.push_back(Act(alert, "block_token"));
    if (!disable && !block) outcomes.push_back({0, "not_enabled", "", "", ""});
  }
  return outcomes;
}

std::string Responder::ChangeBlocklist(int64_t token_id, bool add, std::string* where) {
  if (blocklist_ == nullptr || !blocklist_->configured() || !key_of_) {
    return "no blocklist: set ACTIONS_BLOCKLIST_REDIS and/or ACTIONS_BLOCKLIST_FILE";
  }
  const TokenKey key = key_of_(token_id);
  if (key.status == TokenKey::Status::kNoGrant) return key.detail;
  if (key.status == TokenKey::Status::kNotFound || key.key.empty()) {
    return "token " + std::to_string(token_id) + " is not in new-api's tokens";
  }
  const std::string hash = TokenHash(key.key);
  const BlocklistResult result = add ? blocklist_->Add(hash) : blocklist_->Remove(hash);
  *where = result.message;
  return result.ok ? "" : result.message;
}

Outcome Responder::Act(const relay::Alert& alert, const std::string& action) {
  const bool block = action == "block_token";
  const std::string rule = alert.Label("rule");
  const bool dry_run = config_.rules.at(rule).dry_run;

  AuditEntry entry;
  entry.at = clock_();
  entry.actor = "rule:" + rule;
  entry.action = action;
  entry.rule = rule;
  entry.subject_type = alert.Label("subject_type");
  entry.subject_id = alert.Label("subject_id");
  entry.evidence = (alert.Label("alertname") + ": " + alert.Annotation("summary")).substr(0, 500);
  const std::string subject = entry.subject_type + " " + entry.subject_id;

  auto finish = [&](std::string result, std::string detail, std::string message, std::string message_zh) {
    entry.result = std::move(result);
    entry.detail = std::move(detail);
    const int64_t id = audit_.Append(entry);
    const nlohmann::json fields = {{"audit_id", id},        {"action", action},         {"rule", rule},
                                   {"subject", subject},    {"user_id", entry.user_id}, {"result", entry.result},
                                   {"detail", entry.detail}};
    if (entry.result == "failed") {
      observer::log::Error(block ? "actions: blocking the token failed" : "actions: disabling the user failed", fields);
    } else {
      observer::log::Info("actions: " + message, fields);
    }
    return Outcome{id, entry.result, message, message_zh, action};
  };

  // Only token subjects have a key and an owner to stop; an IP or a request does not.
  const std::optional<int64_t> token_id = entry.subject_type == "token" ? ParseId(entry.subject_id) : std::nullopt;
  if (!token_id) return {0, "not_a_token", "", "", action};
  const std::string token = "token " + entry.subject_id;
  const std::string token_zh = "令牌 " + entry.subject_id;
  if (config_.allow_tokens.count(*token_id)) {
    return finish("allow_listed", token + " is on the allow list", token + " is allow-listed: nothing done",
                  token_zh + " 在白名单中：未处理");
  }
  const std::optional<int64_t> user_id = user_of_token_(*token_id);
  if (!user_id) {
    return finish("no_user", "no log row names the owner of " + token,
                  "the owner of " + token + " is unknown: nothing done", token_zh + " 的所属用户未知：未处理");
  }
  entry.user_id = *user_id;
  const std::string user = "user " + std::to_string(*user_id);
  const std::string user_zh = "用户 " + std::to_string(*user_id);
  if (config_.allow_users.count(*user_id)) {
    return finish("allow_listed", user + " is on the allow list", user + " is allow-listed: nothing done",
                  user_zh + " 在白名单中：未处理");
  }
  if (block ? audit_.ActiveBlock(entry.subject_id).has_value() : audit_.ActiveDisable(*user_id).has_value()) {
    return {0, "already_active", "", "", action};
  }
  int started = 0;
  for (const AuditEntry& past : audit_.Since(entry.at - 3600)) {
    if ((past.action == "disable_user" || past.action == "block_token") &&
        (past.result == "done" || past.result == "dry_run" || past.result == "failed")) {
      ++started;
    }
  }
  // How chat names what is acted on, and the verb.
  const std::string target = block ? token + " (" + user + ")" : user + " (owner of " + token + ")";
  const std::string target_zh = block ? token_zh + "（" + user_zh + "）" : user_zh + "（" + token_zh + " 的所属用户）";
  const std::string verb_zh = block ? "封禁" : "禁用";
  if (started >= options_.max_per_hour) {
    return finish("over_hourly_cap", std::to_string(started) + " actions in the last hour (ACTIONS_MAX_PER_HOUR)",
                  "hourly action cap reached: " + (block ? token + " (" + user : user + " (" + token) + ", " + rule +
                      ") was NOT " + (block ? "blocked" : "disabled") + "; act by hand if needed",
                  "已达每小时动作上限：" + target_zh + "（规则 " + rule + "）未" + verb_zh + "，如需请人工处理");
  }
  if (dry_run) {
    Outcome outcome =
        finish("dry_run", block ? "dry run: the blocklist was not changed" : "dry run: new-api was not called",
               "[dry run] would have " + std::string(block ? "blocked " : "disabled ") + target + " for " + rule,
               "[演练] 本应" + verb_zh + target_zh + "，规则 " + rule);
    outcome.message += " (audit id " + std::to_string(outcome.audit_id) + ")";
    outcome.message_zh += "（审计 id " + std::to_string(outcome.audit_id) + "）";
    return outcome;
  }
  if (block) {
    std::string where;
    if (std::string error = ChangeBlocklist(*token_id, true, &where); !error.empty()) {
      return finish("failed", error, "FAILED to block " + target + " for " + rule + ": " + error + "; act by hand",
                    verb_zh + target_zh + "失败（规则 " + rule + "）：" + error + "；请人工处理");
    }
    Outcome outcome = finish("done", "SHA-256 of the key added to " + where, "blocked " + target, "");
    outcome.message = "blocked " + target + " for " + rule + ": its key's SHA-256 is on the blocklist (" + where +
                      "); undo: " + options_.undo_hint + " " + std::to_string(outcome.audit_id);
    outcome.message_zh = "已封禁" + target_zh + "，规则 " + rule + "：其密钥的 SHA-256 已加入封禁列表（" + where +
                         "）；撤销：" + options_.undo_hint + " " + std::to_string(outcome.audit_id);
    return outcome;
  }
  const AdminResult result = admin_.ManageUser(*user_id, "disable");
  const std::string attempts = " after " + std::to_string(result.attempts) + " attempt(s)";
  if (!result.ok) {
    return finish("failed", result.message + attempts,
                  "FAILED to disable " + user + " (owner of " + token + ", " + rule + "): " + result.message +
                      attempts + "; act by hand",
                  "禁用" + target_zh + "失败（规则 " + rule + "）：" + result.message + "，共尝试 " +
                      std::to_string(result.attempts) + " 次；请人工处理");
  }
  Outcome outcome = finish("done", result.message, "disabled " + user + " in new-api", "");
  outcome.message = "disabled " + target + " in new-api for " + rule + "; undo: " + options_.undo_hint + " " +
                    std::to_string(outcome.audit_id);
  outcome.message_zh = "已在 new-api 中禁用" + target_zh + "，规则 " + rule + "；撤销：" + options_.undo_hint + " " +
                       std::to_string(outcome.audit_id);
  return outcome;
}

Outcome Responder::Undo(int64_t audit_id, const std::string& who) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::optional<AuditEntry> original = audit_.Get(audit_id);
  const std::string id_text = std::to_string(audit_id);
  if (!original || (original->action != "disable_user" && original->action != "block_token") ||
      (original->result != "done" && original->result != "dry_run")) {
    return {0, "not_found", "audit entry " + id_text + " is not a disable_user or block_token action",
            "审计记录 " + id_text + " 不是 disable_user 或 block_token 动作", ""};
  }
  const bool block = original->action == "block_token";
  const std::string undo_action = block ? "unblock_token" : "enable_user";
  if (original->undone_by != 0) {
    const std::string by = std::to_string(original->undone_by);
    return {original->undone_by, "already_undone", "audit entry " + id_text + " was undone by entry " + by,
            "审计记录 " + id_text + " 已被记录 " + by + " 撤销", undo_action};
  }
  AuditEntry entry = *original;
  entry.id = 0;
  entry.at = clock_();
  entry.actor = "undo:" + who;
  entry.action = undo_action;
  entry.undo_of = audit_id;
  entry.undone_by = 0;
  const std::string target = block ? "token " + entry.subject_id : "user " + std::to_string(entry.user_id);
  const std::string target_zh = block ? "令牌 " + entry.subject_id : "用户 " + std::to_string(entry.user_id);
  if (original->result == "dry_run") {
    entry.result = "dry_run";
    entry.detail = block ? "the block was a dry run: the blocklist was not changed"
                         : "the disable was a dry run: new-api was not called";
  } else if (block) {
    std::string where;
    const std::optional<int64_t> token_id = ParseId(entry.subject_id);
    const std::string error = token_id ? ChangeBlocklist(*token_id, false, &where) : "not a token id";
    entry.result = error.empty() ? "done" : "failed";
    entry.detail = error.empty() ? "SHA-256 of the key removed from " + where : error;
  } else {
    const AdminResult result = admin_.ManageUser(entry.user_id, "enable");
    entry.result = result.ok ? "done" : "failed";
    entry.detail = result.message + " after " + std::to_string(result.attempts) + " attempt(s)";
  }
  entry.id = audit_.Append(entry);
  if (entry.result != "failed") audit_.MarkUndone(audit_id, entry.id);
  Outcome outcome{entry.id, entry.result, "", "", undo_action};
  if (entry.result == "failed") {
    outcome.message = "FAILED to " + std::string(block ? "unblock " : "re-enable ") + target + ": " + entry.detail;
    outcome.message_zh = std::string(block ? "解除封禁" : "重新启用") + target_zh + "失败：" + entry.detail;
  } else {
    outcome.message = std::string(block ? "unblocked " : "re-enabled ") + target + " (undo of entry " + id_text + ")";
    outcome.message_zh =
        std::string(block ? "已解除封禁" : "已重新启用") + target_zh + "（撤销审计记录 " + id_text + "）";
  }
  observer::log::Info("actions: undo", {{"audit_id", entry.id},
                                        {"undo_of", audit_id},
                                        {"who", who},
                                        {"action", undo_action},
                                        {"user_id", entry.user_id},
                                        {"result", entry.result}});
  return outcome;
}

}  // namespace aggregator::actions
