// The HTTP edge shared by both binaries: cpp-httplib with request ids, JSON access logs, a latency histogram,
// JSON errors for exceptions and unknown paths, the metrics of a prometheus-cpp registry at the telemetry path,
// security headers, refusal of what cannot be bounded before it is read (with the reception in http_reception.h), and
// the web configuration file's TLS and basic auth on every path.
#pragma once

#include <httplib.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <string_view>

#include "observer/http_reception.h"
#include "observer/web_config.h"

namespace observer {

// Sends a JSON body with the given status.
void WriteJson(httplib::Response& res, int status, const nlohmann::json& body);
// Sends the API's error shape {"error": message, "code": status}.
void WriteError(httplib::Response& res, int status, const std::string& message);
// Accepts a client's X-Request-Id if it is 1-64 characters of [A-Za-z0-9._-]; otherwise makes a new one.
std::string RequestIdFrom(const std::string& client_value);
// Names who made the request being served (identity and role), for its access log line.
void NoteRequestIdentity(const std::string& name, const std::string& role);

// Percent-encoding of everything but unreserved characters (RFC 3986), for query parameter values and cache keys.
std::string UrlEncode(std::string_view text);

class HttpServer {
 public:
  // subsystem names the self metrics, e.g. "exporter" -> newapi_exporter_http_request_duration_seconds, and the
  // landing page (newapi-exporter). web gives the telemetry path, TLS and the basic auth users (its listen addresses
  // are for ServeUntilTerminated()).
  HttpServer(std::string subsystem, std::shared_ptr<prometheus::Registry> registry, const WebOptions& web = {});

  // Adds more families to /metrics (besides the registry given to the constructor).
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable);
  // The telemetry path answers 401 unless the request carries "Authorization: Bearer <token>" (empty token: open). Call
  // before Serve().
  void RequireMetricsToken(std::string token) { metrics_token_ = std::move(token); }

  // Registers a GET route; its path becomes the histogram's handler label. A path with a regular-expression group,
  // such as R"(/relay/([^/]+))", is a pattern: its label shows each group as *, "/relay/*".
  void Get(const std::string& path, httplib::Server::Handler handler);
  void Post(const std::string& path, httplib::Server::Handler handler);
  // An OPTIONS route (CORS preflight).
  void Options(const std::string& path, httplib::Server::Handler handler);
  // A POST route that reads no body (an action such as /-/reload): served before the body is read, so a client's
  // `curl -X POST` without Content-Length works (cpp-httplib answers such POSTs 400 otherwise). Refused 403 with an
  // Origin header and 415 with a Content-Type other than application/json: what a web page's form or fetch sends.
  void Action(const std::string& path, httplib::Server::Handler handler);

  // Serves the files under dir at / (GET and HEAD, index.html for a directory): /assets/ (content-hashed names) may be
  // cached for a year, everything else is revalidated. Files reached through a symlink that leads out of dir are
  // not served (404). False when dir is not a directory.
  bool MountDirectory(const std::string& dir);

  // Binds one more address (throws std::runtime_error with the address when it cannot); Serve() serves all of them
  // until Stop(). Without a mounted UI, / answers a landing page linking to the telemetry path.
  void Bind(const std::string& host, int port);
  void Serve();
  void Stop();
  // The port of the first address bound.
  int port() const { return port_; }

 private:
  std::string HandlerLabel(const std::string& path) const;
  // Remembers a route's path (or pattern, with its label) for HandlerLabel.
  void AddRoute(const std::string& path);

  // Answers the request (and returns true) when it carries something the server cannot bound or must not serve.
  bool Refuse(const httplib::Request& req, httplib::Response& res) const;

  ReceptionServer server_{ReceptionLimits{}};
  std::string ui_root_;  // the real path of the mounted directory, empty when none
  std::string subsystem_;
  std::string telemetry_path_;
  // On every path when enabled; mutable: it remembers verified credentials.
  mutable BasicAuth basic_auth_;
  std::string metrics_token_;  // required on the telemetry path when set
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  prometheus::Family<prometheus::Histogram>* latency_ = nullptr;
  prometheus::Gauge* scrape_duration_ = nullptr;
  std::set<std::string> routes_;
  std::vector<std::pair<std::regex, std::string>> pattern_routes_;  // (pattern, label) of routes with a group
  std::map<std::string, httplib::Server::Handler> actions_;
  int port_ = 0;
};

}  // namespace observer
