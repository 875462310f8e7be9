// The relay edge: settings, metrics, and the handler that turns one Alertmanager webhook into one chat message
// and an answer Alertmanager's retry logic understands.
#include "relay/relay.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <optional>

#include "observer/bearer_token.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "observer/web_config.h"
#include "relay/text.h"

namespace aggregator::relay {
namespace {

constexpr const char* kLanguageFlag = "relay.language";
constexpr const char* kTimezoneFlag = "relay.timezone";
constexpr const char* kZoneinfoFlag = "relay.zoneinfo";
constexpr const char* kFrontendFlag = "relay.frontend-url";
constexpr const char* kCaFileFlag = "relay.ca-file";
constexpr const char* kRunbookFlag = "relay.runbook-base-url";
constexpr const char* kTokenFlag = "relay.token";
constexpr const char* kTargetsFileFlag = "relay.targets-file";

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// What must never reach a log line or an answer: the URL, its path and query, each query value (access_token=,
// key=) and a long last path segment (Feishu's hook id), and the signing secret.
std::vector<std::string> CredentialParts(const Target& target, const Url& url) {
  std::vector<std::string> parts = {target.url, target.secret};
  if (url.target.size() > 1) parts.push_back(url.target);
  const size_t query = url.target.find('?');
  const std::string path = url.target.substr(0, query);
  if (const std::string last = path.substr(path.rfind('/') + 1); last.size() >= 16) parts.push_back(last);
  if (query != std::string::npos) {
    for (size_t at = query + 1; at < url.target.size();) {
      const size_t end = std::min(url.target.find('&', at), url.target.size());
      const std::string pair = url.target.substr(at, end - at);
      if (const size_t equals = pair.find('='); equals != std::string::npos && pair.size() - equals > 4) {
        parts.push_back(pair.substr(equals + 1));
      }
      at = end + 1;
    }
  }
  return parts;
}

}  // namespace

std::vector<observer::Setting> RelaySettings() {
  std::vector<observer::Setting> settings;
  settings.push_back({kTokenFlag, "RELAY_TOKEN", "",
                      "bearer token Alertmanager sends to /relay/* (16+ characters; required with any chat target; "
                      "empty = every relay request is refused)",
                      true, 16});
  for (const PlatformSpec& spec : Platforms()) {
    settings.push_back({spec.url_flag, spec.url_env, "", spec.title + " webhook URL for alerts (empty = off)", true});
    if (!spec.secret_env.empty()) {
      settings.push_back(
          {spec.secret_flag, spec.secret_env, "", spec.title + " signing secret (empty = unsigned)", true});
    }
  }
  settings.push_back({kTargetsFileFlag, "CHAT_TARGETS_FILE", "",
                      "YAML file of named chat targets (/relay/<name>, @-mentions; config/chat-targets.example.yaml); "
                      "reloaded on SIGHUP and POST /-/reload (empty = only the robots above)"});
  settings.push_back({kLanguageFlag, "ALERT_LANGUAGE", "zh", "language of chat alerts: zh or en"});
  settings.push_back({kTimezoneFlag, "TIMEZONE", "UTC",
                      "time zone of the times in chat alerts: an IANA name (Asia/Shanghai) or +08:00"});
  settings.push_back(
      {kZoneinfoFlag, "ZONEINFO_DIR", "/usr/share/zoneinfo", "directory of the IANA time zone files (package tzdata)"});
  settings.push_back(
      {kFrontendFlag, "FRONTEND_URL", "http://127.0.0.1:8080", "base URL of drill-down links in alerts"});
  settings.push_back({kRunbookFlag, "RUNBOOK_BASE_URL", "",
                      "base URL of this repository's browsable files, making runbook paths links (empty = text)"});
  settings.push_back({kCaFileFlag, "RELAY_CA_FILE", "", "PEM CA bundle for HTTPS targets (empty = the system's)"});
  return settings;
}

RelayOptions ParseRelayOptions(const observer::Config& config, bool basic_auth) {
  RelayOptions options;
  for (const PlatformSpec& spec : Platforms()) {
    const std::string& url = config.GetString(spec.url_flag);
    if (url.empty()) continue;
    // The message names the setting only: the value holds the robot's access token.
    if (!ParseUrl(url)) {
      throw observer::ConfigError(spec.url_env + " (--" + spec.url_flag +
                                  ") must be an http:// or https:// URL without user info or fragment");
    }
    options.targets[spec.name] = {
        url, spec.secret_env.empty() ? "" : config.GetString(spec.secret_flag), spec.name, {}};
  }
  const std::string& language = config.GetString(kLanguageFlag);
  if (language != "zh" && language != "en") {
    throw observer::ConfigError("ALERT_LANGUAGE (--relay.language) must be zh or en, got '" + language + "'");
  }
  options.message.language = language == "zh" ? Language::kZh : Language::kEn;
  std::string zone_error;
  std::optional<observer::TimeZone> zone =
      observer::TimeZone::Load(config.GetString(kTimezoneFlag), config.GetString(kZoneinfoFlag), &zone_error);
  if (!zone) throw observer::ConfigError("TIMEZONE (--relay.timezone): " + zone_error);
  options.message.zone = std::move(*zone);
  options.message.frontend_url = config.GetString(kFrontendFlag);
  if (!ParseUrl(options.message.frontend_url)) {
    throw observer::ConfigError("FRONTEND_URL (--relay.frontend-url) must be an http:// or https:// URL");
  }
  while (options.message.frontend_url.back() == '/') options.message.frontend_url.pop_back();
  options.message.runbook_base_url = config.GetString(kRunbookFlag);
  if (!options.message.runbook_base_url.empty() && !ParseUrl(options.message.runbook_base_url)) {
    throw observer::ConfigError(
        "RUNBOOK_BASE_URL (--relay.runbook-base-url) must be empty or an http:// or https:// URL");
  }
  while (!options.message.runbook_base_url.empty() && options.message.runbook_base_url.back() == '/') {
    options.message.runbook_base_url.pop_back();
  }
  options.post.ca_file = config.GetString(kCaFileFlag);
  options.token = config.GetString(kTokenFlag);
  options.targets_file = config.GetString(kTargetsFileFlag);
  options.basic_auth = basic_auth;
  if (basic_auth && !options.token.empty()) {
    throw observer::ConfigError(observer::TokenWithBasicAuthError("RELAY_TOKEN"));
  }
  if (options.token.empty() && !basic_auth && (!options.targets.empty() || !options.targets_file.empty())) {
    // Without it anyone who reaches the port could post into the chat group through the signed robot.
    throw observer::ConfigError(std::string("RELAY_TOKEN is empty but ") +
                                (options.targets.empty() ? "CHAT_TARGETS_FILE" : "a chat target") +
                                " is set: set RELAY_TOKEN (16+ characters) and give Alertmanager the same token "
                                "(alertmanager.yml http_config.authorization)");
  }
  return options;
}

Relay::Relay(RelayOptions options, prometheus::Registry& registry, Sender sender)
    : options_(std::move(options)),
      sender_(std::move(sender)),
      wall_clock_([] { return std::chrono::system_clock::now(); }),
      steady_clock_([] { return std::chrono::steady_clock::now(); }) {
  if (!sender_) {
    sender_ = [post = options_.post](const Url& url, const std::string& body) { return PostJson(url, body, post); };
  }
  for (auto& [name, target] : options_.targets) {
    if (target.platform.empty()) target.platform = name;
  }
  deliveries_ = &observer::metrics::RegisterCounters(
      registry, "aggregator", "relay_deliveries_total",
      "Alertmanager notifications relayed to chat, by target, platform and outcome (delivered, transient_failure, "
      "permanent_failure, not_configured: the default target with no robot).");
  rate_limited_ = &observer::metrics::RegisterCounters(
      registry, "aggregator", "relay_rate_limited_total",
      "Notifications not sent because the robot's rate limit was reached (answered 503).");
  invalid_payloads_ = &observer::metrics::RegisterCounters(
      registry, "aggregator", "relay_invalid_payloads_total",
      "Relay requests whose body was not an Alertmanager webhook payload (answered 400, or 415 when not sent as "
      "application/json), by target.");
  alerts_omitted_ = &observer::metrics::RegisterCounters(
      registry, "aggregator", "relay_alerts_omitted_total",
      "Alerts left out of chat messages for lack of room (the message says how many).");
  mention_failures_ = &observer::metrics::RegisterCounters(
      registry, "aggregator", "relay_mention_failures_total",
      "WeCom mention messages (sent after the alert message) that were not delivered.");
  duration_ =
      &observer::metrics::RegisterHistograms(registry, "aggregator", "relay_delivery_duration_seconds",
                                             "Time to send one notification to the platform and read its answer.");
  configured_ =
      &observer::metrics::RegisterGauges(registry, "aggregator", "relay_target_configured",
                                         "1 for each chat target Alertmanager may post to (/relay/<target>).");
  unauthorized_ = &observer::metrics::RegisterCounter(
      registry, "aggregator", "relay_unauthorized_total",
      "Relay requests refused for a missing or wrong RELAY_TOKEN bearer token (answered 401).");
  unknown_target_ =
      &observer::metrics::RegisterCounter(registry, "aggregator", "relay_unknown_target_total",
                                          "Relay requests to a target that is not configured (answered 404).");
  last_reload_successful_ = &observer::metrics::RegisterGauge(
      registry, "aggregator", "relay_config_last_reload_successful",
      "1 when the last load of CHAT_TARGETS_FILE succeeded (0: the previous targets run).");
  last_reload_success_time_ =
      &observer::metrics::RegisterGauge(registry, "aggregator", "relay_config_last_reload_success_timestamp_seconds",
                                        "Unix time of the last successful load of the chat targets.");
  Install({});  // the environment's targets cannot collide with an empty file
  last_reload_successful_->Set(1);
  last_reload_success_time_->Set(static_cast<double>(std::time(nullptr)));
}

std::string Relay::Install(const std::map<std::string, Target>& from_file) {
  for (const auto& [name, target] : from_file) {
    if (auto it = options_.targets.find(name); it != options_.targets.end()) {
      const PlatformSpec* spec = nullptr;
      for (const PlatformSpec& candidate : Platforms())
        if (candidate.name == name) spec = &candidate;
      return "targets." + name + ": the name is taken by " + (spec ? spec->url_env : name) + "; choose another name";
    }
  }
  if (!from_file.empty() && options_.token.empty() && !options_.basic_auth) {
    return "RELAY_TOKEN is empty: a chat target needs it (alertmanager.yml http_config.authorization)";
  }
  auto next = std::make_shared<Routes>();
  std::lock_guard<std::mutex> lock(mutex_);
  auto add = [&](const std::string& name, const Target& target, bool from_environment) {
    auto route = std::make_shared<Route>();
    route->name = name;
    route->target = target;
    route->from_environment = from_environment;
    for (const PlatformSpec& spec : Platforms())
      if (spec.name == target.platform) route->platform = spec.make();
    route->url = *ParseUrl(target.url);
    std::shared_ptr<RateLimiter>& limiter = limiters_[target.url];  // one robot, one budget, whatever its names
    if (!limiter) limiter = std::make_shared<RateLimiter>(route->platform->rate_limits());
    route->limiter = limiter;
    route->secrets = CredentialParts(target, route->url);
    (*next)[name] = std::move(route);
  };
  for (const auto& [name, target] : options_.targets) add(name, target, true);
  for (const auto& [name, target] : from_file) add(name, target, false);
  for (prometheus::Gauge* gauge : configured_gauges_) configured_->Remove(gauge);
  configured_gauges_.clear();
  for (const auto& [name, route] : *next) {
    prometheus::Gauge& gauge = configured_->Add(LabelsOf(*route));
    gauge.Set(1);
    configured_gauges_.push_back(&gauge);
  }
  routes_ = std::move(next);
  return "";
}

std::string Relay::Reload() {
  std::map<std::string, Target> from_file;
  std::string error;
  const std::string& file = options_.targets_file;
  if (!file.empty()) {
    const FileReader read = ReadFromDisk();
    const std::optional<std::string> text = read(file);
    const size_t slash = file.rfind('/');
    error = !text ? "cannot read " + file
                  : ParseTargetsYaml(*text, slash == std::string::npos ? "" : file.substr(0, slash), read, &from_file);
  }
  if (error.empty()) error = Install(from_file);
  if (!error.empty()) {
    last_reload_successful_->Set(0);
    observer::log::Error("chat targets not reloaded; the previous targets stay", {{"file", file}, {"error", error}});
    return error;
  }
  last_reload_successful_->Set(1);
  last_reload_success_time_->Set(static_cast<double>(std::time(nullptr)));
  std::vector<std::string> names;
  for (const auto& [name, route] : *routes()) names.push_back(name);
  observer::log::Info("chat targets loaded", {{"file", file}, {"targets", names}});
  return "";
}

std::shared_ptr<const Relay::Routes> Relay::routes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return routes_;
}

prometheus::Labels Relay::LabelsOf(const Route& route) const {
  return {{"target", route.name}, {"platform", route.target.platform}};
}

void Relay::SetClocks(Clock wall, SteadyClock steady) {
  wall_clock_ = std::move(wall);
  steady_clock_ = std::move(steady);
}

void Relay::AddRoutes(observer::HttpServer& http) {
  http.Post(R"(/relay/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::optional<RelayAnswer> refused = Refuse(req.get_header_value("Authorization"));
    if (refused) unauthorized_->Increment();
    const RelayAnswer answer =
        refused ? *refused : Handle(req.matches[1].str(), req.get_header_value("Content-Type"), req.body);
    if (refused) res.set_header("WWW-Authenticate", "Bearer");
    if (answer.retry_after_seconds > 0) res.set_header("Retry-After", std::to_string(answer.retry_after_seconds));
    observer::WriteJson(res, answer.status, answer.body);
  });
  http.Action("/-/reload", [this](const httplib::Request&, httplib::Response& res) {
    if (std::string error = Reload(); !error.empty()) {
      observer::WriteError(res, 400, options_.targets_file + ": " + error);
      return;
    }
    std::vector<std::string> names;
    for (const auto& [name, route] : *routes()) names.push_back(name);
    observer::WriteJson(res, 200, {{"ok", true}, {"file", options_.targets_file}, {"targets", names}});
  });
}

bool IsJsonContentType(std::string_view content_type) {
  std::string_view media_type = content_type.substr(0, content_type.find(';'));
  while (!media_type.empty() && (media_type.back() == ' ' || media_type.back() == '\t')) media_type.remove_suffix(1);
  while (!media_type.empty() && (media_type.front() == ' ' || media_type.front() == '\t')) media_type.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  return media_type.size() == kJson.size() &&
         std::equal(media_type.begin(), media_type.end(), kJson.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

std::optional<RelayAnswer> Relay::Refuse(std::string_view authorization_header) {
  if (options_.basic_auth) return std::nullopt;  // the server's edge has checked the user and password
  if (observer::BearerTokenMatches(authorization_header, options_.token)) return std::nullopt;
  return RelayAnswer{401,
                     {{"error", options_.token.empty() ? "the relay is off: RELAY_TOKEN is not set"
                                                       : "missing or wrong bearer token (RELAY_TOKEN)"},
                      {"code", 401}}};
}

RelayAnswer Relay::Handle(const std::string& target_name, std::string_view content_type, std::string_view body) {
  const std::shared_ptr<const Routes> routes = this->routes();
  std::vector<const Route*> chosen;
  if (auto it = routes->find(target_name); it != routes->end()) {
    chosen.push_back(it->second.get());
  } else if (target_name == kDefaultTarget) {
    for (const auto& [name, route] : *routes)
      if (route->from_environment) chosen.push_back(route.get());
  } else {
    unknown_target_->Increment();
    observer::log::Warn("relay: no such chat target",
                        {{"target", NeutralizeMarkup(TruncateUtf8(target_name, 64), false)}});
    return {
        404,
        {{"error", "no chat target of this name (CHAT_TARGETS_FILE or the *_WEBHOOK_URL settings)"}, {"code", 404}}};
  }
  if (!IsJsonContentType(content_type)) {
    invalid_payloads_->Add({{"target", target_name}}).Increment();
    return {415, {{"error", "the body must be sent as application/json"}, {"code", 415}}};
  }
  if (chosen.empty()) {
    // Not a failure: the default receiver of alertmanager.yml posts here before any robot is set up.
    deliveries_->Add({{"target", target_name}, {"platform", ""}, {"outcome", "not_configured"}}).Increment();
    if (!skip_logged_.exchange(true)) {
      observer::log::Info(
          "relay: no chat target is configured; notifications to the default target are skipped "
          "(logged once)");
    }
    return {
        200,
        {{"status", "skipped"}, {"reason", "no chat target is configured: set a *_WEBHOOK_URL or CHAT_TARGETS_FILE"}}};
  }
  std::string error;
  std::optional<Notification> notification = ParseNotification(body, &error);
  if (!notification) {
    invalid_payloads_->Add({{"target", target_name}}).Increment();
    observer::log::Warn("relay: not an Alertmanager payload", {{"target", target_name}, {"error", error}});
    return {400, {{"error", "not an Alertmanager webhook payload: " + error}, {"code", 400}}};
  }
  if (notification->alerts.empty()) return {200, {{"status", "nothing to send"}, {"alerts", 0}}};
  if (chosen.size() == 1) return Deliver(*chosen.front(), *notification);
  // The default target with several robots of the environment: each gets the message; Alertmanager hears the worst
  // answer (a retry after a 5xx sends again to those that had it).
  RelayAnswer worst;
  worst.body = {{"status", "delivered"}, {"targets", nlohmann::json::object()}};
  for (const Route* route : chosen) {
    const RelayAnswer answer = Deliver(*route, *notification);
    worst.body["targets"][route->name] = answer.body;
    const auto rank = [](int status) { return status >= 500 ? 2 : status >= 400 ? 1 : 0; };
    if (rank(answer.status) > rank(worst.status)) {
      worst.status = answer.status;
      worst.retry_after_seconds = answer.retry_after_seconds;
      worst.body["status"] = answer.status >= 500 ? "retry" : "refused";
      worst.body["error"] = answer.body.value("error", "");
      worst.body["code"] = answer.status;
    }
  }
  return worst;
}

RelayAnswer Relay::Deliver(const Route& route, const Notification& notification) {
  const std::string& name = route.name;
  const prometheus::Labels labels = LabelsOf(route);
  auto outcome = [&](const char* value) {
    prometheus::Labels with = labels;
    with["outcome"] = value;
    deliveries_->Add(with).Increment();
  };
  std::chrono::milliseconds retry_after{0};
  if (!route.limiter->TryAcquire(steady_clock_(), &retry_after)) {
    rate_limited_->Add(labels).Increment();
    const int seconds = static_cast<int>(std::chrono::ceil<std::chrono::seconds>(retry_after).count());
    observer::log::Warn("relay: robot rate limit reached; Alertmanager will retry",
                        {{"target", name}, {"platform", route.target.platform}, {"retry_after_seconds", seconds}});
    return {503, {{"error", name + " rate limit reached; retry later"}, {"code", 503}}, seconds};
  }

  const OutgoingRequest request =
      route.platform->Build(notification, route.target, options_.message, UnixMillis(wall_clock_()));
  const std::optional<Url> url = ParseUrl(request.url);
  const auto start = std::chrono::steady_clock::now();
  const HttpReply reply = sender_(*url, request.body);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  duration_->Add(labels, prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}).Observe(seconds);
  Verdict verdict = route.platform->Classify(reply);
  verdict.reason = Redact(verdict.reason, route.secrets);
  alerts_omitted_->Add(labels).Increment(request.alerts_omitted);

  const nlohmann::json fields = {{"target", name},
                                 {"platform", route.target.platform},
                                 {"host", url->host},
                                 {"alerts", request.alerts_shown},
                                 {"omitted", request.alerts_omitted},
                                 {"result", verdict.reason},
                                 {"duration_ms", static_cast<int64_t>(seconds * 1000)}};
  switch (verdict.outcome) {
    case Outcome::kDelivered:
      outcome("delivered");
      observer::log::Info("relay: delivered", fields);
      if (!request.follow_up_body.empty()) SendFollowUp(route, request);
      return {200, {{"status", "delivered"}, {"alerts", request.alerts_shown}, {"omitted", request.alerts_omitted}}};
    case Outcome::kTransient:
      outcome("transient_failure");
      observer::log::Warn("relay: delivery failed; Alertmanager will retry", fields);
      return {502, {{"error", name + " delivery failed, retry later: " + verdict.reason}, {"code", 502}}};
    case Outcome::kPermanent: break;
  }
  outcome("permanent_failure");
  observer::log::Error("relay: the platform refused the message; not retrying", fields);
  return {422, {{"error", name + " refused the message: " + verdict.reason}, {"code", 422}}};
}

void Relay::SendFollowUp(const Route& route, const OutgoingRequest& request) {
  // The alert itself has arrived, so a failure here is logged and counted, not retried (a retry would repeat the
  // alert message too).
  std::chrono::milliseconds retry_after{0};
  Verdict verdict{Outcome::kTransient, "robot rate limit reached"};
  if (route.limiter->TryAcquire(steady_clock_(), &retry_after)) {
    verdict = route.platform->Classify(sender_(*ParseUrl(request.url), request.follow_up_body));
    verdict.reason = Redact(verdict.reason, route.secrets);
  }
  if (verdict.outcome == Outcome::kDelivered) return;
  mention_failures_->Add(LabelsOf(route)).Increment();
  observer::log::Warn("relay: the mention message was not delivered",
                      {{"target", route.name}, {"platform", route.target.platform}, {"result", verdict.reason}});
}

}  // namespace aggregator::relay
