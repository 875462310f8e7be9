// The chat relay inside newapi-aggregator: settings, self metrics, the named targets and POST /relay/<target> for
// Alertmanager.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observer/config.h"
#include "observer/http_server.h"
#include "relay/platform.h"

namespace aggregator::relay {

struct RelayOptions {
  MessageSettings message;
  // The environment's robots (DINGTALK_WEBHOOK_URL, ...) as targets named after their platform; only configured ones.
  std::map<std::string, Target> targets;
  std::string targets_file;  // CHAT_TARGETS_FILE: more named targets, reloadable; "" = none
  PostSettings post;
  std::string token;  // RELAY_TOKEN: Alertmanager's bearer token; "" = every relay request is refused
  // The web config's basic auth guards every path of the server, the relay included: RELAY_TOKEN is then not used
  // (a request carries one Authorization header) and must be empty.
  bool basic_auth = false;
};

// RELAY_TOKEN, DINGTALK_WEBHOOK_URL, DINGTALK_SECRET, FEISHU_WEBHOOK_URL, FEISHU_SECRET, WECOM_WEBHOOK_URL,
// ALERT_WEBHOOK_URL (all secrets), CHAT_TARGETS_FILE, ALERT_LANGUAGE, TIMEZONE, ZONEINFO_DIR, FRONTEND_URL,
// RUNBOOK_BASE_URL, RELAY_CA_FILE.
std::vector<observer::Setting> RelaySettings();
// Throws observer::ConfigError naming the setting (never its value: URLs carry access tokens), also when a chat
// target or a targets file is set without RELAY_TOKEN (unless basic_auth: the web config's basic auth guards the
// server instead).
RelayOptions ParseRelayOptions(const observer::Config& config, bool basic_auth = false);

// True for "application/json", with any parameters ("; charset=utf-8") and in any case.
bool IsJsonContentType(std::string_view content_type);

// What to answer Alertmanager.
struct RelayAnswer {
  int status = 200;
  nlohmann::json body;
  int retry_after_seconds = 0;  // sent as Retry-After when positive
};

// The name Alertmanager's default receiver posts to: the target of that name in the targets file, else every robot
// of the environment (none configured: skipped).
inline constexpr const char* kDefaultTarget = "default";

class Relay {
 public:
  using Sender = std::function<HttpReply(const Url& url, const std::string& body)>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  using SteadyClock = std::function<RateLimiter::TimePoint()>;

  // sender does the network I/O (PostJson by default); tests pass a fake. The environment's targets are in place;
  // call Reload() to read the targets file.
  Relay(RelayOptions options, prometheus::Registry& registry, Sender sender = {});

  // Reads the targets file again (SIGHUP, POST /-/reload, and once at start): "" on success, else the error naming
  // the key (the previous targets stay, newapi_aggregator_relay_config_last_reload_successful is 0).
  std::string Reload();
  const std::string& targets_file() const { return options_.targets_file; }

  // Registers POST /relay/<target> and POST /-/reload. Each relay request answers 401 unless it carries
  // "Authorization: Bearer <RELAY_TOKEN>" (before the body is looked at).
  void AddRoutes(observer::HttpServer& http);

  // One Alertmanager webhook for the named target (content_type: the request's Content-Type header): parse, render,
  // rate-limit, send, classify. 200 delivered (or skipped: "default" with no target configured); 404 no such
  // target; 400 not an Alertmanager payload (labels and annotations other than strings, JSON nested deeper than
  // Alertmanager's); 415 not sent as application/json (Alertmanager always is; a web page's form or text/plain POST
  // is not); 422 the platform refused the message for good; 502 a transient failure; 503 over the robot's rate
  // limit (Alertmanager retries 5xx only).
  RelayAnswer Handle(const std::string& target_name, std::string_view content_type, std::string_view body);
  // The answer to a request whose Authorization header does not carry RELAY_TOKEN, or nothing when it does.
  std::optional<RelayAnswer> Refuse(std::string_view authorization_header);

  // For tests: fixed clocks.
  void SetClocks(Clock wall, SteadyClock steady);

 private:
  // One configured target.
  struct Route {
    std::string name;
    Target target;
    bool from_environment = false;
    std::unique_ptr<Platform> platform;
    Url url;
    std::shared_ptr<RateLimiter> limiter;  // per robot URL, kept across reloads
    std::vector<std::string> secrets;      // what must never appear in a log line
  };
  using Routes = std::map<std::string, std::shared_ptr<const Route>>;

  // Puts the environment's targets and these from the file in place; "" or why not (nothing changes then).
  std::string Install(const std::map<std::string, Target>& from_file);
  std::shared_ptr<const Routes> routes() const;
  RelayAnswer Deliver(const Route& route, const Notification& notification);
  // Sends request.follow_up_body after the message was delivered (WeCom's mentions).
  void SendFollowUp(const Route& route, const OutgoingRequest& request);
  prometheus::Labels LabelsOf(const Route& route) const;

  RelayOptions options_;
  Sender sender_;
  Clock wall_clock_;
  SteadyClock steady_clock_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Routes> routes_;
  std::map<std::string, std::shared_ptr<RateLimiter>> limiters_;  // by robot URL; guarded by mutex_
  std::atomic<bool> skip_logged_{false};  // "default" without any target is logged once, not per notification

  prometheus::Family<prometheus::Counter>* deliveries_ = nullptr;
  prometheus::Family<prometheus::Counter>* rate_limited_ = nullptr;
  prometheus::Family<prometheus::Counter>* invalid_payloads_ = nullptr;
  prometheus::Family<prometheus::Counter>* alerts_omitted_ = nullptr;
  prometheus::Family<prometheus::Counter>* mention_failures_ = nullptr;
  prometheus::Family<prometheus::Histogram>* duration_ = nullptr;
  prometheus::Family<prometheus::Gauge>* configured_ = nullptr;
  std::vector<prometheus::Gauge*> configured_gauges_;  // guarded by mutex_
  prometheus::Counter* unauthorized_ = nullptr;
  prometheus::Counter* unknown_target_ = nullptr;
  prometheus::Gauge* last_reload_successful_ = nullptr;
  prometheus::Gauge* last_reload_success_time_ = nullptr;
};

}  // namespace aggregator::relay
