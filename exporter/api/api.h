// The JSON API (/api/stats/*, /api/logs, /api/actions): its settings, and the HTTP edge that checks access (401 for
// an unknown caller, 403 naming the role a request needs), parses parameters (400 naming the parameter), leases a
// connection from its own bounded pool (429 with Retry-After when none frees up) and runs a handler (504 when the
// database stops a query that took too long).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/access.h"
#include "api/db_pool.h"
#include "api/handlers.h"
#include "api/params.h"
#include "cache/response_cache.h"
#include "observer/http_server.h"

namespace exporter::api {

struct ApiOptions {
  AccessOptions access;
  std::string default_zone = "UTC";  // TIMEZONE
  std::string newapi_url;            // NEWAPI_URL without a trailing slash; "" = no links to new-api
  std::string zoneinfo_dir = "/usr/share/zoneinfo";
  int connections = 2;
  int query_timeout_ms = 10000;
  std::chrono::milliseconds pool_wait{250};
  std::shared_ptr<ResponseCache> cache;  // null = answers are not cached
  std::chrono::seconds cache_ttl{60};
  size_t csv_max_rows = 100000;  // MAX_ROWS
  std::string aggregator_url;    // AGGREGATOR_URL, http(s)://host:port: where undo requests go ("" = no undo)
  std::string relay_token;       // RELAY_TOKEN: the aggregator's bearer token
};

class Api {
 public:
  // logs_db: where logs and the observer's tables live; main_db: users, tokens and channels (the same database
  // unless new-api writes logs elsewhere). The exporter's read-only account; the pools' sessions get
  // query_timeout_ms as their statement timeout.
  Api(ApiOptions options, observer::DbOptions logs_db, observer::DbOptions main_db, ApiContext context);

  void AddRoutes(observer::HttpServer& http);
  // The caller when it may make this request (its role is at least RequiredRole()); otherwise answers 401 or 403 and
  // returns nullopt. Notes the caller for the access log line. matrix_path: the path to look up in the permission
  // matrix when it is not the request's own (a route with an id in it).
  std::optional<Identity> Admit(const httplib::Request& req, httplib::Response& res,
                                const std::string& matrix_path = "") const;
  // The zone a request names ("" = the default), loaded once and kept.
  std::shared_ptr<const TimeZone> Zone(const std::string& name, std::string* error);

 private:
  template <typename P, typename Parse, typename Run>
  void Route(observer::HttpServer& http, const std::string& path, Parse parse, Run run);
  template <typename P, typename Run>
  Answer Execute(const P& params, Run run);
  struct Fetched {
    ResponseCache::Answer answer;  // the JSON text
    std::string source;            // X-Query-Source, when computed now
    const char* cache = "off";     // X-Cache: off, hit or miss
  };
  // The answer from the cache when there is one (key: path + normalized parameters), else computed.
  template <typename P, typename Run>
  Fetched Fetch(const std::string& path, const P& params, Run run);
  // GET /api/export/csv?query=<name>&<that endpoint's parameters>: the same answer (and cache entry) as CSV.
  template <typename P, typename Parse, typename Run>
  void AddExport(const std::string& query, const std::string& path, Parse parse, Run run);
  // GET /api/actions: the response actions' audit, newest first; POST /api/actions/<id>/undo: forwarded to the
  // aggregator with the caller as who undid it.
  void ActionsList(const httplib::Request& req, httplib::Response& res);
  void ActionUndo(const httplib::Request& req, httplib::Response& res, const Identity& who);

  ApiOptions options_;
  DbPool pool_;
  ApiContext context_;
  std::mutex zones_mutex_;
  std::map<std::string, std::shared_ptr<const TimeZone>> zones_;
  using Export = std::function<void(const QueryParams&, bool excel_bom, httplib::Response&)>;
  std::map<std::string, Export> exports_;
};

}  // namespace exporter::api
