// HTTP server set-up: request ids, access logging, latency histogram, error shapes, /metrics.
#include "observer/http_server.h"

#include <chrono>
#include <random>

#include "observer/log.h"
#include "observer/metrics.h"

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

std::string RequestIdFrom(const std::string& client_value) {
  if (client_value.empty() || client_value.size() > 64) return NewRequestId();
  for (char c : client_value) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                         c == '_' || c == '-';
    if (!allowed) return NewRequestId();
  }
  return client_value;
}

HttpServer::HttpServer(std::string subsystem, std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)), collectables_{registry_} {
  latency_ = &prometheus::BuildHistogram()
                  .Name(metrics::Name(subsystem, "http_request_duration_seconds"))
                  .Help("Time to answer HTTP requests, by route (unknown paths count as 'other').")
                  .Register(*registry_);
  scrape_duration_ = &prometheus::BuildGauge()
                          .Name(metrics::Name(subsystem, "scrape_duration_seconds"))
                          .Help("Time the previous /metrics answer took to build.")
                          .Register(*registry_)
                          .Add({});

  server_.set_read_timeout(10, 0);
  server_.set_write_timeout(10, 0);
  server_.set_payload_max_length(1 << 20);
  // httplib's default also sets SO_REUSEPORT, which lets a second process silently share the port; a taken port
  // must be a start-up error instead.
  server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  // Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm holds the body until the
  // client's delayed ACK (40 ms on Linux) on every keep-alive request.
  server_.set_tcp_nodelay(true);

  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request_start = std::chrono::steady_clock::now();
    std::string id = RequestIdFrom(req.get_header_value("X-Request-Id"));
    res.set_header("X-Request-Id", id);
    log::SetThreadRequestId(std::move(id));
    // httplib answers N byte ranges with N copies of the body (300 ranges of a 1 MB asset: a 300 MB answer), on
    // every route and status: a request for more than one range gets the whole body, as if it had asked for none
    // (a server may ignore Range; browsers never ask for more than one). The request object is httplib's own,
    // not const: only this handler's signature is.
    if (req.ranges.size() > 1) const_cast<httplib::Request&>(req).ranges.clear();
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
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_request_start).count();
    const std::string handler = HandlerLabel(req.path);
    latency_->Add({{"handler", handler}}, prometheus::Histogram::BucketBoundaries{
                                              0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
        .Observe(seconds);
    log::Debug("http request", {{"method", req.method},
                                {"path", req.path},
                                {"status", res.status},
                                {"duration_ms", seconds * 1000.0},
                                {"remote", req.remote_addr}});
    log::SetThreadRequestId("");
  });

  // /metrics never touches a database: every family is kept in memory by the collectors.
  Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    res.set_content(metrics::Serialize(collectables_), metrics::kContentType);
    scrape_duration_->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  });
}

std::string HttpServer::HandlerLabel(const std::string& path) const {
  return routes_.count(path) != 0 ? path : "other";
}

void HttpServer::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  collectables_.push_back(std::move(collectable));
}

void HttpServer::Get(const std::string& path, httplib::Server::Handler handler) {
  routes_.insert(path);
  server_.Get(path, std::move(handler));
}

void HttpServer::Post(const std::string& path, httplib::Server::Handler handler) {
  routes_.insert(path);
  server_.Post(path, std::move(handler));
}

void HttpServer::Options(const std::string& path, httplib::Server::Handler handler) {
  routes_.insert(path);
  server_.Options(path, std::move(handler));
}

void HttpServer::Action(const std::string& path, httplib::Server::Handler handler) {
  routes_.insert(path);
  actions_[path] = std::move(handler);
}

bool HttpServer::MountDirectory(const std::string& dir) {
  if (!server_.set_mount_point("/", dir)) return false;
  server_.set_file_request_handler([](const httplib::Request& req, httplib::Response& res) {
    const bool hashed = req.path.rfind("/assets/", 0) == 0;
    res.set_header("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
  });
  return true;
}

void HttpServer::Bind(const std::string& host, int port) {
  if (port == 0) {
    port_ = server_.bind_to_any_port(host);
    if (port_ <= 0) throw std::runtime_error("cannot listen on " + host + ": no free port");
    return;
  }
  if (!server_.bind_to_port(host, port)) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                             " (address in use or not available)");
  }
  port_ = port;
}

void HttpServer::Serve() { server_.listen_after_bind(); }

void HttpServer::Stop() { server_.stop(); }

}  // namespace observer
