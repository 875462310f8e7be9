// The chat relay inside newapi-aggregator: settings, self metrics, and POST /relay/<platform> for Alertmanager.
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
  std::map<std::string, Target> targets;  // by platform name; only configured platforms are present
  PostSettings post;
  std::string token;  // RELAY_TOKEN: Alertmanager's bearer token; "" = every relay request is refused
  // The web config's basic auth guards every path of the server, the relay included: RELAY_TOKEN is then not used
  // (a request carries one Authorization header) and must be empty.
  bool basic_auth = false;
};

// RELAY_TOKEN, DINGTALK_WEBHOOK_URL, DINGTALK_SECRET, FEISHU_WEBHOOK_URL, FEISHU_SECRET, WECOM_WEBHOOK_URL,
// ALERT_WEBHOOK_URL (all secrets), ALERT_LANGUAGE, TIMEZONE, ZONEINFO_DIR, FRONTEND_URL, RUNBOOK_BASE_URL,
// RELAY_CA_FILE.
std::vector<observer::Setting> RelaySettings();
// Throws observer::ConfigError naming the setting (never its value: URLs carry access tokens), also when a chat
// target is set without RELAY_TOKEN (unless basic_auth: the web config's basic auth guards the server instead).
RelayOptions ParseRelayOptions(const observer::Config& config, bool basic_auth = false);

// True for "application/json", with any parameters ("; charset=utf-8") and in any case.
bool IsJsonContentType(std::string_view content_type);

// What to answer Alertmanager.
struct RelayAnswer {
  int status = 200;
  nlohmann::json body;
  int retry_after_seconds = 0;  // sent as Retry-After when positive
};

class Relay {
 public:
  using Sender = std::function<HttpReply(const Url& url, const std::string& body)>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  using SteadyClock = std::function<RateLimiter::TimePoint()>;

  // sender does the network I/O (PostJson by default); tests pass a fake.
  Relay(RelayOptions options, prometheus::Registry& registry, Sender sender = {});

  // Registers POST /relay/<platform> for every platform (configured or not: an unconfigured one skips). Each answers
  // 401 unless the request carries "Authorization: Bearer <RELAY_TOKEN>" (before the body is looked at).
  void AddRoutes(observer::HttpServer& http);

  // One Alertmanager webhook for the named platform (content_type: the request's Content-Type header): parse, render,
  // rate-limit, send, classify. 200 delivered, or skipped when the platform is not configured (Alertmanager posts to
  // every platform; an unused one is not a failure); 400 not an Alertmanager payload (labels and annotations other
  // than strings, JSON nested deeper than Alertmanager's); 415 not sent as application/json (Alertmanager always
  // is; a web page's form or text/plain POST is not); 422 the platform refused the message for good; 502 a transient
  // failure; 503 over the robot's rate limit (Alertmanager retries 5xx only).
  RelayAnswer Handle(const std::string& platform_name, std::string_view content_type, std::string_view body);
  // The answer to a request whose Authorization header does not carry RELAY_TOKEN, or nothing when it does.
  std::optional<RelayAnswer> Refuse(std::string_view authorization_header);

  // For tests: fixed clocks.
  void SetClocks(Clock wall, SteadyClock steady);

 private:
  struct Route {
    std::unique_ptr<Platform> platform;
    std::string url_env;
    bool configured = false;
    Target target;
    std::optional<Url> url;
    std::unique_ptr<RateLimiter> limiter;
    std::vector<std::string> secrets;  // what must never appear in a log line
    prometheus::Counter* delivered = nullptr;
    prometheus::Counter* transient = nullptr;
    prometheus::Counter* permanent = nullptr;
    prometheus::Counter* not_configured = nullptr;
    std::atomic<bool> skip_logged{false};  // an unconfigured platform is logged once, not on every notification
    prometheus::Counter* rate_limited = nullptr;
    prometheus::Counter* invalid_payloads = nullptr;
    prometheus::Counter* unauthorized = nullptr;
    prometheus::Counter* alerts_omitted = nullptr;
    prometheus::Histogram* duration = nullptr;
  };

  RelayAnswer Deliver(Route& route, const Notification& notification);

  RelayOptions options_;
  Sender sender_;
  Clock wall_clock_;
  SteadyClock steady_clock_;
  std::map<std::string, Route> routes_;
};

}  // namespace aggregator::relay
