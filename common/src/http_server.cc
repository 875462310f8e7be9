// HTTP server set-up: request ids, access logging, latency histogram, error shapes, basic auth, the telemetry path
// and the landing page.
#include "observer/http_server.h"

#include <chrono>
#include <climits>
#include <cstdlib>
#include <random>

#include <sys/stat.h>

#include "observer/bearer_token.h"
#include "observer/build_info.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "observer/process_metrics.h"

namespace observer {
namespace {

// httplib serves one request at a time per worker thread, so the pre-routing hook and the logger of a request
// run on the same thread: the start time can travel in a thread_local.
thread_local std::chrono::steady_clock::time_point t_request_start;

std::string NewRequestId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string id(16, '0');
  uint64_t bits = generator();
  for (char& c : id) {
    c = kHex[bits & 0xF];
    bits >>= 4;
  }
  return id;
}

// Security headers on every answer. The UI keeps its API token in localStorage, so no script but its own may run
// and no other site may frame it; antd sets inline styles, hence style-src 'unsafe-inline'. deploy/nginx.conf
// sends the same set for the files it serves itself.
const httplib::Headers kSecurityHeaders = {
    {"X-Content-Type-Options", "nosniff"},
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
     "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
     "frame-ancestors 'none'"},
    {"Referrer-Policy", "same-origin"},
};

// Methods whose body httplib reads before a handler runs.
bool ReadsBody(const std::string& method) { return method == "POST" || method == "PUT" || method == "PATCH"; }

// The real path of path, or empty when it does not exist.
std::string RealPath(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : std::string();
}

bool IsDirectory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// httplib routes are regular expressions; a telemetry path holds only [A-Za-z0-9/_.-] (WebOptionsFrom checks).
std::string ExactPattern(const std::string& path) {
  std::string pattern;
  for (char c : path) {
    if (c == '.') pattern += '\\';
    pattern += c;
  }
  return pattern;
}

}  // namespace

void WriteJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void WriteError(httplib::Response& res, int status, const std::string& message) {
  WriteJson(res, status, {{"error", message}, {"code", status}});
}

std::string UrlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

namespace {
thread_local std::string t_identity, t_role;
}  // namespace

void NoteRequestIdentity(const std::string& name, const std::string& role) {
  t_identity = name;
  t_role = role;
}

std::string RequestIdFrom(const std::string& client_value) {
  if (client_value.empty() || client_value.size() > 64) return NewRequestId();
  for (char c : client_value) {
    const bool allowed =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) return NewRequestId();
  }
  return client_value;
}

HttpServer::HttpServer(std::string subsystem, std::shared_ptr<prometheus::Registry> registry, const WebOptions& web)
    : subsystem_(subsystem),
      telemetry_path_(web.telemetry_path),
      basic_auth_(web.config.users),
      registry_(std::move(registry)),
      collectables_{registry_, std::make_shared<metrics::ProcessCollectable>()} {
  server_.UseTls(web.tls_context);
  latency_ = &metrics::RegisterHistograms(*registry_, subsystem, "http_request_duration_seconds",
                                          "Time to answer HTTP requests, by route (unknown paths count as 'other').");
  scrape_duration_ = &metrics::RegisterGauge(*registry_, subsystem, "scrape_duration_seconds",
                                             "Time the previous /metrics answer took to build.");

  server_.set_default_headers(kSecurityHeaders);
  server_.set_read_timeout(10, 0);
  server_.set_write_timeout(10, 0);
  server_.set_payload_max_length(1 << 20);

  auto begin_request = [](const httplib::Request& req, httplib::Response& res) {
    t_request_start = std::chrono::steady_clock::now();
    std::string id = RequestIdFrom(req.get_header_value("X-Request-Id"));
    res.set_header("X-Request-Id", id);
    log::SetThreadRequestId(std::move(id));
  };
  // "Expect: 100-continue" is answered before routing: a request that will be refused gets its refusal instead of a
  // 100 that invites the client to send the body.
  server_.set_expect_100_continue_handler([this, begin_request](const httplib::Request& req, httplib::Response& res) {
    if (!Refuse(req, res)) return 100;  // Refuse() leaves res alone unless it refuses
    begin_request(req, res);
    return res.status;
  });
  server_.set_pre_routing_handler([this, begin_request](const httplib::Request& req, httplib::Response& res) {
    begin_request(req, res);
    // httplib answers N byte ranges with N copies of the body (300 ranges of a 1 MB asset: a 300 MB answer), on
    // every route and status: a request for more than one range gets the whole body, as if it had asked for none
    // (a server may ignore Range; browsers never ask for more than one). The request object is httplib's own,
    // not const: only this handler's signature is.
    if (req.ranges.size() > 1) const_cast<httplib::Request&>(req).ranges.clear();
    if (Refuse(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (auto action = actions_.find(req.path); action != actions_.end() && req.method == "POST") {
      action->second(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  server_.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::Error("request failed", {{"path", req.path}, {"error", what}});
    WriteError(res, 500, "internal error");
  });

  server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;  // the handler already wrote its own error body
    WriteError(res, res.status, res.status == 404 ? "not found" : "request failed");
  });

  server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_request_start).count();
    const std::string handler = HandlerLabel(req.path);
    latency_
        ->Add({{"handler", handler}},
              prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
        .Observe(seconds);
    nlohmann::json fields = {{"method", req.method},
                             {"path", req.path},
                             {"status", res.status},
                             {"duration_ms", seconds * 1000.0},
                             {"remote", req.remote_addr}};
    if (!t_identity.empty()) fields.update({{"identity", t_identity}, {"role", t_role}});
    log::Debug("http request", fields);
    log::SetThreadRequestId("");
    NoteRequestIdentity("", "");
  });

  // The metrics never touch a database: every family is kept in memory by the collectors.
  Get(telemetry_path_, [this](const httplib::Request& req, httplib::Response& res) {
    if (!metrics_token_.empty() && !BearerTokenMatches(req.get_header_value("Authorization"), metrics_token_)) {
      res.set_header("WWW-Authenticate", "Bearer");
      WriteError(res, 401, "missing or wrong bearer token (METRICS_TOKEN)");
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    res.set_content(metrics::Serialize(collectables_), metrics::kContentType);
    scrape_duration_->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  });
}

// The guards that run before httplib reads a body or a file. Each one stops a request that was measured to cost
// memory or to be served wrongly (issue 15); the reception (http_reception.cc) already bounds the head and its time.
bool HttpServer::Refuse(const httplib::Request& req, httplib::Response& res) const {
  // The web config's basic auth guards every path, before anything else is looked at. A wrong password and an unknown
  // user get the same answer in the same time.
  if (basic_auth_.enabled() && !basic_auth_.Allows(req.get_header_value("Authorization"))) {
    if (req.has_header("Transfer-Encoding") || req.has_header("Content-Length")) res.set_header("Connection", "close");
    res.set_header("WWW-Authenticate", "Basic realm=\"newapi-" + subsystem_ + "\", charset=\"UTF-8\"");
    WriteError(res, 401, "missing or wrong user name or password (basic auth of the web config file)");
    return true;
  }
  const bool has_body = req.has_header("Transfer-Encoding") || req.has_header("Content-Length");
  // Whatever is refused here leaves its body unread: the connection closes after the answer (the reception also
  // checks this), so the body is never parsed as the next request.
  auto refuse = [&](int status, const std::string& message) {
    if (has_body) res.set_header("Connection", "close");
    WriteError(res, status, message);
    return true;
  };
  // httplib 0.11.4 applies set_payload_max_length only to bodies with a Content-Length: a chunked body (100 MB:
  // +128 MB RSS) or one without a length (read until the client closes: +190 MB) would be read whole.
  if (req.has_header("Transfer-Encoding")) return refuse(411, "send a Content-Length instead of Transfer-Encoding");
  // httplib inflates gzip/deflate/br request bodies without a bound (306 KB of gzip: 609 MB). No client of ours
  // compresses requests.
  if (req.has_header("Content-Encoding")) return refuse(415, "compressed request bodies are not accepted");
  // A decoded %00 or other control character in the path: httplib's file handler would stop the file name at the
  // NUL but take the type from the full name (/index.html%00.js served index.html as JavaScript).
  for (unsigned char c : req.path) {
    if (c < 0x20 || c == 0x7F) return refuse(404, "not found");
  }
  if (actions_.count(req.path) != 0 && req.method == "POST") {
    // A web page can POST cross-site without a preflight only as a form or a simple fetch: both carry an Origin
    // header (browsers always send it on cross-site POSTs) and forms carry a form Content-Type. curl sends neither.
    if (req.has_header("Origin")) return refuse(403, "actions are not accepted from web pages");
    const std::string type = req.get_header_value("Content-Type");
    if (!type.empty() && type.rfind("application/json", 0) != 0) {
      return refuse(415, "send no body, or application/json");
    }
    return false;
  }
  if (ReadsBody(req.method) && !req.has_header("Content-Length")) return refuse(411, "a Content-Length is required");
  // Symlinks inside the UI directory must not lead out of it: httplib's file handler follows them.
  if (!ui_root_.empty() && (req.method == "GET" || req.method == "HEAD")) {
    std::string file = ui_root_ + req.path;
    if (IsDirectory(file)) file += "/index.html";
    const std::string real = RealPath(file);
    if (!real.empty() && real.rfind(ui_root_ + "/", 0) != 0) return refuse(404, "not found");
  }
  return false;
}

std::string HttpServer::HandlerLabel(const std::string& path) const {
  if (routes_.count(path) != 0) return path;
  for (const auto& [pattern, label] : pattern_routes_) {
    if (std::regex_match(path, pattern)) return label;
  }
  return "other";
}

void HttpServer::AddRoute(const std::string& path) {
  if (path.find('(') == std::string::npos) {
    routes_.insert(path);
    return;
  }
  // The label: the pattern with each (group) shown as *.
  std::string label;
  int depth = 0;
  for (const char c : path) {
    if (c == '(' && depth++ == 0) label += '*';
    if (depth == 0) label += c;
    if (c == ')') --depth;
  }
  pattern_routes_.emplace_back(std::regex(path), label);
}

void HttpServer::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  collectables_.push_back(std::move(collectable));
}

void HttpServer::Get(const std::string& path, httplib::Server::Handler handler) {
  AddRoute(path);
  server_.Get(path == telemetry_path_ ? ExactPattern(path) : path, std::move(handler));
}

void HttpServer::Post(const std::string& path, httplib::Server::Handler handler) {
  AddRoute(path);
  server_.Post(path, std::move(handler));
}

void HttpServer::Options(const std::string& path, httplib::Server::Handler handler) {
  AddRoute(path);
  server_.Options(path, std::move(handler));
}

void HttpServer::Action(const std::string& path, httplib::Server::Handler handler) {
  AddRoute(path);
  actions_[path] = std::move(handler);
}

bool HttpServer::MountDirectory(const std::string& dir) {
  if (!server_.set_mount_point("/", dir)) return false;
  ui_root_ = RealPath(dir);
  server_.set_file_request_handler([](const httplib::Request& req, httplib::Response& res) {
    const bool hashed = req.path.rfind("/assets/", 0) == 0;
    res.set_header("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
  });
  return true;
}

void HttpServer::Bind(const std::string& host, int port) {
  const int bound = server_.Listen(host, port);
  if (port_ == 0) port_ = bound;
}

void HttpServer::Serve() {
  if (ui_root_.empty() && routes_.count("/") == 0) {
    // What a browser pointed at the port finds: the program, its version and the way to its metrics.
    Get("/", [this](const httplib::Request&, httplib::Response& res) {
      const std::string name = "newapi-" + subsystem_;
      res.set_content("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + name +
                          "</title></head>\n<body><h1>" + name + "</h1>\n<p>Version " + kBuildVersion + " (" +
                          kBuildRevision + ")</p>\n<p><a href=\"" + telemetry_path_ +
                          "\">Metrics</a></p>\n</body></html>\n",
                      "text/html; charset=utf-8");
    });
  }
  server_.Run();
}

void HttpServer::Stop() { server_.Shutdown(); }

}  // namespace observer
