// The relay edge: settings, metrics, and the handler that turns one Alertmanager webhook into one chat message
// and an answer Alertmanager's retry logic understands.
#include "relay/relay.h"

#include <algorithm>
#include <cctype>
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
      settings.push_back({spec.secret_flag, spec.secret_env, "", spec.title + " signing secret (empty = unsigned)", true});
    }
  }
  settings.push_back({kLanguageFlag, "ALERT_LANGUAGE", "zh", "language of chat alerts: zh or en"});
  settings.push_back({kTimezoneFlag, "TIMEZONE", "UTC",
                      "time zone of the times in chat alerts: an IANA name (Asia/Shanghai) or +08:00"});
  settings.push_back({kZoneinfoFlag, "ZONEINFO_DIR", "/usr/share/zoneinfo", "directory of the IANA time zone files (package tzdata)"});
  settings.push_back({kFrontendFlag, "FRONTEND_URL", "http://127.0.0.1:8080", "base URL of drill-down links in alerts"});
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
    options.targets[spec.name] = {url, spec.secret_env.empty() ? "" : config.GetString(spec.secret_flag)};
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
    throw observer::ConfigError("RUNBOOK_BASE_URL (--relay.runbook-base-url) must be empty or an http:// or https:// URL");
  }
  while (!options.message.runbook_base_url.empty() && options.message.runbook_base_url.back() == '/') {
    options.message.runbook_base_url.pop_back();
  }
  options.post.ca_file = config.GetString(kCaFileFlag);
  options.token = config.GetString(kTokenFlag);
  options.basic_auth = basic_auth;
  if (basic_auth && !options.token.empty()) {
    throw observer::ConfigError(observer::TokenWithBasicAuthError("RELAY_TOKEN"));
  }
  if (options.token.empty() && !options.targets.empty() && !basic_auth) {
    // Without it anyone who reaches the port could post into the chat group through the signed robot.
    throw observer::ConfigError("RELAY_TOKEN is empty but a chat target is set: set RELAY_TOKEN (16+ characters) and "
                                "give Alertmanager the same token (alertmanager.yml http_config.authorization)");
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
  using observer::metrics::Name;
  auto& deliveries = prometheus::BuildCounter()
                         .Name(Name("aggregator", "relay_deliveries_total"))
                         .Help("Alertmanager notifications relayed to chat, by platform and outcome "
                               "(delivered, transient_failure, permanent_failure, not_configured: skipped).")
                         .Register(registry);
  auto& rate_limited = prometheus::BuildCounter()
                           .Name(Name("aggregator", "relay_rate_limited_total"))
                           .Help("Notifications not sent because the robot's rate limit was reached (answered 503).")
                           .Register(registry);
  auto& invalid = prometheus::BuildCounter()
                      .Name(Name("aggregator", "relay_invalid_payloads_total"))
                      .Help("Relay requests whose body was not an Alertmanager webhook payload (answered 400, or 415 when "
                            "not sent as application/json).")
                      .Register(registry);
  auto& unauthorized = prometheus::BuildCounter()
                           .Name(Name("aggregator", "relay_unauthorized_total"))
                           .Help("Relay requests refused for a missing or wrong RELAY_TOKEN bearer token (answered 401).")
                           .Register(registry);
  auto& omitted = prometheus::BuildCounter()
                      .Name(Name("aggregator", "relay_alerts_omitted_total"))
                      .Help("Alerts left out of chat messages for lack of room (the message says how many).")
                      .Register(registry);
  auto& duration = prometheus::BuildHistogram()
                       .Name(Name("aggregator", "relay_delivery_duration_seconds"))
                       .Help("Time to send one notification to the platform and read its answer.")
                       .Register(registry);
  auto& configured = prometheus::BuildGauge()
                         .Name(Name("aggregator", "relay_target_configured"))
                         .Help("1 when the platform's webhook URL is set, 0 when its relay path skips notifications.")
                         .Register(registry);
  for (const PlatformSpec& spec : Platforms()) {
    Route& route = routes_[spec.name];  // built in place: a Route holds an atomic and is never moved
    route.platform = spec.make();
    route.url_env = spec.url_env;
    const prometheus::Labels platform = {{"platform", spec.name}};
    auto outcome = [&](const char* name) { return &deliveries.Add({{"platform", spec.name}, {"outcome", name}}); };
    route.delivered = outcome("delivered");
    route.transient = outcome("transient_failure");
    route.permanent = outcome("permanent_failure");
    route.not_configured = outcome("not_configured");
    route.rate_limited = &rate_limited.Add(platform);
    route.invalid_payloads = &invalid.Add(platform);
    route.unauthorized = &unauthorized.Add(platform);
    route.alerts_omitted = &omitted.Add(platform);
    route.duration = &duration.Add(platform, prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    if (auto it = options_.targets.find(spec.name); it != options_.targets.end()) {
      route.configured = true;
      route.target = it->second;
      route.url = ParseUrl(route.target.url);
      route.limiter = std::make_unique<RateLimiter>(route.platform->rate_limits());
      route.secrets = CredentialParts(route.target, *route.url);
    }
    configured.Add(platform).Set(route.configured ? 1 : 0);
  }
}

void Relay::SetClocks(Clock wall, SteadyClock steady) {
  wall_clock_ = std::move(wall);
  steady_clock_ = std::move(steady);
}

void Relay::AddRoutes(observer::HttpServer& http) {
  for (const auto& [name, route] : routes_) {
    http.Post("/relay/" + name, [this, name = name](const httplib::Request& req, httplib::Response& res) {
      std::optional<RelayAnswer> refused = Refuse(req.get_header_value("Authorization"));
      if (refused) routes_.at(name).unauthorized->Increment();
      const RelayAnswer answer = refused ? *refused : Handle(name, req.get_header_value("Content-Type"), req.body);
      if (refused) res.set_header("WWW-Authenticate", "Bearer");
      if (answer.retry_after_seconds > 0) res.set_header("Retry-After", std::to_string(answer.retry_after_seconds));
      observer::WriteJson(res, answer.status, answer.body);
    });
  }
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

RelayAnswer Relay::Handle(const std::string& platform_name, std::string_view content_type, std::string_view body) {
  auto it = routes_.find(platform_name);
  if (it == routes_.end()) return {404, {{"error", "unknown platform"}, {"code", 404}}};
  Route& route = it->second;
  if (!IsJsonContentType(content_type)) {
    route.invalid_payloads->Increment();
    return {415, {{"error", "the body must be sent as application/json"}, {"code", 415}}};
  }
  if (!route.configured) {
    // Not a failure: alertmanager.yml posts to every platform's path, and the operator sets the ones they use.
    route.not_configured->Increment();
    const std::string reason = route.url_env + " is not set";
    if (!route.skip_logged.exchange(true)) {
      observer::log::Info("relay: platform not configured; its notifications are skipped (logged once)",
                          {{"platform", platform_name}, {"reason", reason}});
    }
    return {200, {{"status", "skipped"}, {"reason", reason + ": " + platform_name + " alerts are not sent"}}};
  }
  std::string error;
  std::optional<Notification> notification = ParseNotification(body, &error);
  if (!notification) {
    route.invalid_payloads->Increment();
    observer::log::Warn("relay: not an Alertmanager payload", {{"platform", platform_name}, {"error", error}});
    return {400, {{"error", "not an Alertmanager webhook payload: " + error}, {"code", 400}}};
  }
  if (notification->alerts.empty()) return {200, {{"status", "nothing to send"}, {"alerts", 0}}};
  return Deliver(route, *notification);
}

RelayAnswer Relay::Deliver(Route& route, const Notification& notification) {
  const std::string name = route.platform->name();
  std::chrono::milliseconds retry_after{0};
  if (!route.limiter->TryAcquire(steady_clock_(), &retry_after)) {
    route.rate_limited->Increment();
    const int seconds = static_cast<int>(std::chrono::ceil<std::chrono::seconds>(retry_after).count());
    observer::log::Warn("relay: robot rate limit reached; Alertmanager will retry",
                        {{"platform", name}, {"retry_after_seconds", seconds}});
    return {503, {{"error", name + " rate limit reached; retry later"}, {"code", 503}}, seconds};
  }

  const OutgoingRequest request = route.platform->Build(notification, route.target, options_.message,
                                                        UnixMillis(wall_clock_()));
  const std::optional<Url> url = ParseUrl(request.url);
  const auto start = std::chrono::steady_clock::now();
  const HttpReply reply = sender_(*url, request.body);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  route.duration->Observe(seconds);
  Verdict verdict = route.platform->Classify(reply);
  verdict.reason = Redact(verdict.reason, route.secrets);
  route.alerts_omitted->Increment(request.alerts_omitted);

  const nlohmann::json fields = {{"platform", name},
                                 {"host", url->host},
                                 {"alerts", request.alerts_shown},
                                 {"omitted", request.alerts_omitted},
                                 {"result", verdict.reason},
                                 {"duration_ms", static_cast<int64_t>(seconds * 1000)}};
  switch (verdict.outcome) {
    case Outcome::kDelivered:
      route.delivered->Increment();
      observer::log::Info("relay: delivered", fields);
      return {200, {{"status", "delivered"}, {"alerts", request.alerts_shown}, {"omitted", request.alerts_omitted}}};
    case Outcome::kTransient:
      route.transient->Increment();
      observer::log::Warn("relay: delivery failed; Alertmanager will retry", fields);
      return {502, {{"error", name + " delivery failed, retry later: " + verdict.reason}, {"code", 502}}};
    case Outcome::kPermanent:
      break;
  }
  route.permanent->Increment();
  observer::log::Error("relay: the platform refused the message; not retrying", fields);
  return {422, {{"error", name + " refused the message: " + verdict.reason}, {"code", 422}}};
}

}  // namespace aggregator::relay
