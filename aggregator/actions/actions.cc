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
          } else if (key == "dry_run") {
            policy.dry_run = field.second.as<bool>();
          } else {
            throw std::runtime_error("rules." + name + ": unknown key '" + key + "' (disable_user, dry_run)");
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
  for (const AuditEntry& entry : entries_) if (entry.at >= since) found.push_back(entry);
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
                        {{"action", action}, {"user_id", user_id}, {"attempt", result.attempts},
                         {"error", result.message}, {"retry_in_ms", static_cast<int64_t>(wait.count())}});
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

std::vector<Outcome> Responder::Handle(const relay::Notification& notification) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Outcome> outcomes;
  for (const relay::Alert& alert : notification.alerts) {
    if (alert.resolved()) {
      outcomes.push_back({0, "resolved", ""});
      continue;
    }
    outcomes.push_back(Act(alert));
  }
  return outcomes;
}

Outcome Responder::Act(const relay::Alert& alert) {
  const std::string rule = alert.Label("rule");
  const auto policy = config_.rules.find(rule);
  if (policy == config_.rules.end() || !policy->second.disable_user) return {0, "not_enabled", ""};

  AuditEntry entry;
  entry.at = clock_();
  entry.actor = "rule:" + rule;
  entry.action = "disable_user";
  entry.rule = rule;
  entry.subject_type = alert.Label("subject_type");
  entry.subject_id = alert.Label("subject_id");
  entry.evidence = (alert.Label("alertname") + ": " + alert.Annotation("summary")).substr(0, 500);
  const bool dry_run = policy->second.dry_run;
  const std::string subject = entry.subject_type + " " + entry.subject_id;

  auto finish = [&](std::string result, std::string detail, std::string message) {
    entry.result = std::move(result);
    entry.detail = std::move(detail);
    const int64_t id = audit_.Append(entry);
    const nlohmann::json fields = {{"audit_id", id},        {"rule", rule},          {"subject", subject},
                                   {"user_id", entry.user_id}, {"result", entry.result}, {"detail", entry.detail}};
    if (entry.result == "failed") {
      observer::log::Error("actions: disabling the user failed", fields);
    } else {
      observer::log::Info("actions: " + message, fields);
    }
    return Outcome{id, entry.result, message};
  };

  // Only token subjects have an owner to stop; an IP or a request does not.
  const std::optional<int64_t> token_id = entry.subject_type == "token" ? ParseId(entry.subject_id) : std::nullopt;
  if (!token_id) return {0, "not_a_token", ""};
  if (config_.allow_tokens.count(*token_id)) {
    return finish("allow_listed", "token " + entry.subject_id + " is on the allow list",
                  "token " + entry.subject_id + " is allow-listed: nothing done");
  }
  const std::optional<int64_t> user_id = user_of_token_(*token_id);
  if (!user_id) {
    return finish("no_user", "no log row names the owner of token " + entry.subject_id,
                  "the owner of token " + entry.subject_id + " is unknown: nothing done");
  }
  entry.user_id = *user_id;
  const std::string user = "user " + std::to_string(*user_id);
  if (config_.allow_users.count(*user_id)) {
    return finish("allow_listed", user + " is on the allow list", user + " is allow-listed: nothing done");
  }
  if (audit_.ActiveDisable(*user_id)) return {0, "already_active", ""};
  int started = 0;
  for (const AuditEntry& past : audit_.Since(entry.at - 3600)) {
    if (past.action == "disable_user" && (past.result == "done" || past.result == "dry_run" || past.result == "failed")) {
      ++started;
    }
  }
  if (started >= options_.max_per_hour) {
    return finish("over_hourly_cap", std::to_string(started) + " actions in the last hour (ACTIONS_MAX_PER_HOUR)",
                  "hourly action cap reached: " + user + " (token " + entry.subject_id + ", " + rule +
                      ") was NOT disabled; act by hand if needed");
  }
  if (dry_run) {
    Outcome outcome = finish("dry_run", "dry run: new-api was not called",
                             "[dry run] would have disabled " + user + " (owner of token " + entry.subject_id +
                                 ") for " + rule);
    outcome.message += " (audit id " + std::to_string(outcome.audit_id) + ")";
    return outcome;
  }
  const AdminResult result = admin_.ManageUser(*user_id, "disable");
  const std::string attempts = " after " + std::to_string(result.attempts) + " attempt(s)";
  if (!result.ok) {
    return finish("failed", result.message + attempts,
                  "FAILED to disable " + user + " (owner of token " + entry.subject_id + ", " + rule +
                      "): " + result.message + attempts + "; act by hand");
  }
  Outcome outcome = finish("done", result.message, "disabled " + user + " in new-api");
  outcome.message = "disabled " + user + " (owner of token " + entry.subject_id + ") in new-api for " + rule +
                    "; undo: " + options_.undo_hint + " " + std::to_string(outcome.audit_id);
  return outcome;
}

Outcome Responder::Undo(int64_t audit_id, const std::string& who) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::optional<AuditEntry> original = audit_.Get(audit_id);
  if (!original || original->action != "disable_user" ||
      (original->result != "done" && original->result != "dry_run")) {
    return {0, "not_found", "audit entry " + std::to_string(audit_id) + " is not a disable_user action"};
  }
  if (original->undone_by != 0) {
    return {original->undone_by, "already_undone",
            "audit entry " + std::to_string(audit_id) + " was undone by entry " + std::to_string(original->undone_by)};
  }
  AuditEntry entry = *original;
  entry.id = 0;
  entry.at = clock_();
  entry.actor = "undo:" + who;
  entry.action = "enable_user";
  entry.undo_of = audit_id;
  entry.undone_by = 0;
  const std::string user = "user " + std::to_string(entry.user_id);
  if (original->result == "dry_run") {
    entry.result = "dry_run";
    entry.detail = "the disable was a dry run: new-api was not called";
  } else {
    const AdminResult result = admin_.ManageUser(entry.user_id, "enable");
    entry.result = result.ok ? "done" : "failed";
    entry.detail = result.message + " after " + std::to_string(result.attempts) + " attempt(s)";
  }
  entry.id = audit_.Append(entry);
  if (entry.result != "failed") audit_.MarkUndone(audit_id, entry.id);
  const std::string message = entry.result == "failed" ? "FAILED to re-enable " + user + ": " + entry.detail
                                                       : "re-enabled " + user + " (undo of entry " +
                                                             std::to_string(audit_id) + ")";
  observer::log::Info("actions: undo", {{"audit_id", entry.id}, {"undo_of", audit_id}, {"who", who},
                                        {"user_id", entry.user_id}, {"result", entry.result}});
  return {entry.id, entry.result, message};
}

}  // namespace aggregator::actions
