// The JSON API's routes and HTTP edge.
#include "api/api.h"

#include <algorithm>

#include "observer/log.h"

namespace exporter::api {
namespace {

observer::DbOptions ApiDbOptions(observer::DbOptions db, int query_timeout_ms) {
  db.statement_timeout_ms = query_timeout_ms;
  // The server stops a slow query first; the client gives up only if the server does not answer at all.
  db.read_timeout_seconds = std::max(db.read_timeout_seconds, query_timeout_ms / 1000 + 5);
  return db;
}

void WriteAnswer(httplib::Response& res, int status, std::string body, const std::string& source) {
  if (!source.empty()) res.set_header("X-Query-Source", source);
  if (status == 429) res.set_header("Retry-After", "1");
  res.status = status;
  res.set_content(std::move(body), "application/json");
}

std::string Dump(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Api::Api(ApiOptions options, observer::DbOptions db, ApiContext context)
    : options_(std::move(options)),
      pool_(ApiDbOptions(std::move(db), options_.query_timeout_ms), options_.connections),
      context_(std::move(context)) {}

std::shared_ptr<const TimeZone> Api::Zone(const std::string& requested, std::string* error) {
  const std::string name = requested.empty() ? options_.default_zone : requested;
  std::lock_guard<std::mutex> lock(zones_mutex_);
  if (auto it = zones_.find(name); it != zones_.end()) return it->second;
  std::optional<TimeZone> zone = TimeZone::Load(name, options_.zoneinfo_dir, error);
  if (!zone) return nullptr;
  auto loaded = std::make_shared<const TimeZone>(std::move(*zone));
  if (zones_.size() < 1000) zones_[name] = loaded;  // valid names only, so this stays small
  return loaded;
}

template <typename P, typename Run>
Answer Api::Execute(const P& params, Run run) {
  std::optional<DbPool::Lease> lease = pool_.Acquire(options_.pool_wait);
  if (!lease) return Answer::Error(429, "too many API queries at once; retry shortly");
  observer::MysqlClient& db = lease->db();
  if (!db.connected()) {
    if (observer::DbStatus s = db.Connect(); !s.ok) return DbFailure(s);
  }
  return run(params, db, context_);
}

template <typename P, typename Run>
void Api::Respond(const std::string& path, const P& params, Run run, httplib::Response& res) {
  if (!options_.cache || options_.cache_ttl.count() == 0) {
    const Answer answer = Execute(params, run);
    res.set_header("X-Cache", "off");
    WriteAnswer(res, answer.status, Dump(answer.body), answer.source);
    return;
  }
  // Parameters are normalized (ranges aligned to their slot), so repeated views of "the last 24 h" share a key.
  std::string source;
  const ResponseCache::Answer cached =
      options_.cache->Get(path + "?" + params.Key(), options_.cache_ttl, [&] {
        const Answer answer = Execute(params, run);
        source = answer.source;
        return ResponseCache::Answer{answer.status, Dump(answer.body), false};
      });
  res.set_header("X-Cache", cached.from_cache ? "hit" : "miss");
  WriteAnswer(res, cached.status, cached.body, source);
}

template <typename P, typename Parse, typename Run>
void Api::Route(observer::HttpServer& http, const std::string& path, Parse parse, Run run) {
  http.Get(path, [this, path, parse, run](const httplib::Request& req, httplib::Response& res) {
    ApplyCors(req, res, options_.access);
    if (!Authorized(req.get_header_value("Authorization"), options_.access)) {
      res.set_header("WWW-Authenticate", "Bearer");
      observer::WriteError(res, 401, "missing or wrong bearer token");
      return;
    }
    P params;
    if (std::optional<ParamError> error = parse(req.params, &params)) {
      observer::WriteJson(res, 400, {{"error", error->message}, {"param", error->param}, {"code", 400}});
      return;
    }
    Respond(path, params, run, res);
  });
  // CORS preflight: answered without a token (browsers send none), with headers only for allowed origins.
  http.Options(path, [this](const httplib::Request& req, httplib::Response& res) {
    ApplyCors(req, res, options_.access);
    res.status = 204;
  });
}

void Api::AddRoutes(observer::HttpServer& http) {
  const ZoneLookup zones = [this](const std::string& name, std::string* error) { return Zone(name, error); };
  Route<SeriesParams>(http, "/api/stats/series",
                      [zones](const QueryParams& q, SeriesParams* p) { return ParseSeries(q, zones, p); }, Series);
  Route<TopParams>(http, "/api/stats/top", ParseTop, Top);
  Route<HeatmapParams>(http, "/api/stats/heatmap",
                       [zones](const QueryParams& q, HeatmapParams* p) { return ParseHeatmap(q, zones, p); }, Heatmap);
  Route<AnomalyParams>(http, "/api/stats/anomalies", ParseAnomalies, Anomalies);
  Route<AnomalyParams>(http, "/api/stats/anomalies/detail", ParseAnomalyDetail, AnomalyDetail);
  Route<LogsParams>(http, "/api/logs", ParseLogs, Logs);
  observer::log::Info("JSON API ready", {{"connections", options_.connections},
                                         {"query_timeout_ms", options_.query_timeout_ms},
                                         {"token_required", !options_.access.token.empty()},
                                         {"cors_origins", options_.access.cors_origins.size()},
                                         {"timezone", options_.default_zone},
                                         {"cache_ttl_seconds", options_.cache ? options_.cache_ttl.count() : 0}});
}

}  // namespace exporter::api
