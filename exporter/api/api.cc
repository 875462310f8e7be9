// The JSON API's routes and HTTP edge.
#include "api/api.h"

#include <algorithm>
#include <optional>

#include "api/csv.h"
#include "observer/app.h"
#include "observer/build_info.h"
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

void WriteParamError(httplib::Response& res, const ParamError& error) {
  observer::WriteJson(res, 400, {{"error", error.message}, {"param", error.param}, {"code", 400}});
}

std::string Dump(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The findings without the subjects they name (tokens, users, IPs), for roles below analyst.
std::string WithoutSubjects(const std::string& body) {
  nlohmann::json findings = nlohmann::json::parse(body, nullptr, false);
  if (!findings.is_array()) return body;
  for (nlohmann::json& finding : findings) {
    for (const char* field : kSubjectFields) finding.erase(field);
  }
  return Dump(findings);
}

}  // namespace

Api::Api(ApiOptions options, observer::DbOptions logs_db, observer::DbOptions main_db, ApiContext context)
    : options_(std::move(options)),
      pool_(ApiDbOptions(logs_db, options_.query_timeout_ms), options_.connections),
      context_(std::move(context)) {
  std::optional<observer::DbOptions> names_db;
  if (!observer::SameDatabase(logs_db, main_db)) names_db = ApiDbOptions(std::move(main_db), options_.query_timeout_ms);
  // One connection for names when they live elsewhere: a short query per answer, after the answer's own.
  context_.names = std::make_shared<EntityNames>(std::move(names_db), 1, options_.pool_wait);
}

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
  observer::DbClient& db = lease->db();
  if (!db.connected()) {
    if (observer::DbStatus s = db.Connect(); !s.ok) return DbFailure(s);
  }
  return run(params, db, context_);
}

template <typename P, typename Run>
Api::Fetched Api::Fetch(const std::string& path, const P& params, Run run) {
  Fetched fetched;
  auto compute = [&] {
    const Answer answer = Execute(params, run);
    fetched.source = answer.source;
    return ResponseCache::Answer{answer.status, Dump(answer.body), false};
  };
  if (!options_.cache || options_.cache_ttl.count() == 0) {
    fetched.answer = compute();
    return fetched;
  }
  // Parameters are normalized (ranges aligned to their slot), so repeated views of "the last 24 h" share a key.
  fetched.answer = options_.cache->Get(path + "?" + params.Key(), options_.cache_ttl, compute);
  fetched.cache = fetched.answer.from_cache ? "hit" : "miss";
  return fetched;
}

std::optional<Identity> Api::Admit(const httplib::Request& req, httplib::Response& res,
                                   const std::string& matrix_path) const {
  ApplyCors(req, res, options_.access);
  std::optional<Identity> who = Authenticate(req, options_.access);
  if (!who) {
    res.set_header("WWW-Authenticate", "Bearer");
    observer::WriteError(res, 401, "missing or wrong bearer token");
    return std::nullopt;
  }
  observer::NoteRequestIdentity(who->name, RoleName(who->role));
  const Role required = RequiredRole(matrix_path.empty() ? req.path : matrix_path, req.params);
  if (who->role < required) {
    observer::WriteJson(res, 403,
                        {{"error", "forbidden: this request needs the " + std::string(RoleName(required)) + " role; " +
                                       who->name + " is " + RoleName(who->role)},
                         {"code", 403},
                         {"required_role", RoleName(required)},
                         {"role", RoleName(who->role)}});
    return std::nullopt;
  }
  return who;
}

void Api::ActionsList(const httplib::Request& req, httplib::Response& res) {
  int limit = 100;
  if (auto it = req.params.find("limit"); it != req.params.end()) {
    char* end = nullptr;
    const long value = std::strtol(it->second.c_str(), &end, 10);
    if (*end != '\0' || value < 1 || value > kMaxLimit) {
      return WriteParamError(res, {"limit", "limit: expected 1.." + std::to_string(kMaxLimit)});
    }
    limit = static_cast<int>(value);
  }
  const std::string sql =
      "SELECT id, at, actor, action, rule, subject_type, subject_id, user_id, evidence, result, "
      "detail, undo_of, undone_by FROM " +
      context_.tables.dialect().Table(context_.tables.database(), "observer_action_audit") +
      " ORDER BY id DESC LIMIT " + std::to_string(limit);
  const Answer answer = Execute(0, [&sql](int, observer::DbClient& db, const ApiContext&) {
    nlohmann::json rows = nlohmann::json::array();
    observer::DbStatus status = db.QueryEach(sql, [&rows](const observer::DbRowView& row) {
      rows.push_back({{"id", observer::DbInt(row[0])},
                      {"at_ms", observer::DbInt(row[1]) * 1000},
                      {"actor", observer::DbString(row[2])},
                      {"action", observer::DbString(row[3])},
                      {"rule", observer::DbString(row[4])},
                      {"subject_type", observer::DbString(row[5])},
                      {"subject_id", observer::DbString(row[6])},
                      {"user_id", observer::DbInt(row[7])},
                      {"evidence", observer::DbString(row[8])},
                      {"result", observer::DbString(row[9])},
                      {"detail", observer::DbString(row[10])},
                      {"undo_of", observer::DbInt(row[11])},
                      {"undone_by", observer::DbInt(row[12])}});
    });
    if (observer::agg::NotReadable(status)) {
      return Answer::Error(503,
                           "observer_action_audit is missing or not readable: run the aggregator once and the grants "
                           "of schema/grants-logs.sql");
    }
    if (!status.ok) return DbFailure(status);
    return Answer::Ok(std::move(rows));
  });
  WriteAnswer(res, answer.status, Dump(answer.body), "");
}

void Api::ActionUndo(const httplib::Request& req, httplib::Response& res, const Identity& who) {
  if (options_.aggregator_url.empty() || options_.relay_token.empty()) {
    return observer::WriteError(res, 503, "undo is not configured: set AGGREGATOR_URL and RELAY_TOKEN");
  }
  // A web page of another site cannot send this without a preflight, which only lists GET.
  if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
    return observer::WriteError(res, 415, "send Content-Type: application/json");
  }
  httplib::Client client(options_.aggregator_url);
  client.set_connection_timeout(3, 0);
  client.set_read_timeout(60, 0);
  client.set_keep_alive(false);
  const std::string target = "/actions/undo/" + req.matches[1].str() +
                             "?who=" + observer::UrlEncode(who.name.substr(0, 64));  // the audit's actor: undo:<name>
  httplib::Result result =
      client.Post(target, {{"Authorization", "Bearer " + options_.relay_token}}, "", "application/json");
  if (!result) {
    observer::log::Error("API: undo: the aggregator did not answer",
                         {{"error", httplib::to_string(result.error())}, {"identity", who.name}});
    return observer::WriteError(res, 502, "the aggregator did not answer: " + httplib::to_string(result.error()));
  }
  observer::log::Info("API: undo forwarded", {{"audit_id", req.matches[1].str()},
                                              {"identity", who.name},
                                              {"role", RoleName(who.role)},
                                              {"status", result->status}});
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
  if (body.is_discarded()) body = {{"error", "the aggregator answered " + std::to_string(result->status)}};
  observer::WriteJson(res, result->status, body);
}

template <typename P, typename Parse, typename Run>
void Api::Route(observer::HttpServer& http, const std::string& path, Parse parse, Run run) {
  http.Get(path, [this, path, parse, run](const httplib::Request& req, httplib::Response& res) {
    const std::optional<Identity> who = Admit(req, res);
    if (!who) return;
    P params;
    if (std::optional<ParamError> error = parse(req.params, &params)) return WriteParamError(res, *error);
    Fetched fetched = Fetch(path, params, run);
    res.set_header("X-Cache", fetched.cache);
    if (path == "/api/stats/anomalies" && who->role < Role::kAnalyst && fetched.answer.status == 200) {
      fetched.answer.body = WithoutSubjects(fetched.answer.body);
    }
    WriteAnswer(res, fetched.answer.status, std::move(fetched.answer.body), fetched.source);
  });
  // CORS preflight: answered without a token (browsers send none), with headers only for allowed origins.
  http.Options(path, [this](const httplib::Request& req, httplib::Response& res) {
    ApplyCors(req, res, options_.access);
    res.status = 204;
  });
}

template <typename P, typename Parse, typename Run>
void Api::AddExport(const std::string& query, const std::string& path, Parse parse, Run run) {
  exports_[query] = [this, query, path, parse, run](const QueryParams& q, bool excel_bom, httplib::Response& res) {
    P params;
    if (std::optional<ParamError> error = parse(q, &params)) return WriteParamError(res, *error);
    Fetched fetched = Fetch(path, params, run);
    res.set_header("X-Cache", fetched.cache);
    if (fetched.answer.status != 200) {  // errors stay JSON
      WriteAnswer(res, fetched.answer.status, std::move(fetched.answer.body), fetched.source);
      return;
    }
    const Csv csv = CsvFromAnswer(nlohmann::json::parse(fetched.answer.body), options_.csv_max_rows, excel_bom);
    res.set_header("Content-Disposition", "attachment; filename=\"newapi-" + query + ".csv\"");
    res.set_header("X-Rows", std::to_string(csv.rows));
    if (csv.truncated) res.set_header("X-Truncated", "MAX_ROWS=" + std::to_string(options_.csv_max_rows));
    res.status = 200;
    res.set_content(csv.text, "text/csv; charset=utf-8");
  };
}

void Api::AddRoutes(observer::HttpServer& http) {
  const ZoneLookup zones = [this](const std::string& name, std::string* error) { return Zone(name, error); };
  Route<SeriesParams>(
      http, "/api/stats/series", [zones](const QueryParams& q, SeriesParams* p) { return ParseSeries(q, zones, p); },
      Series);
  Route<TopParams>(http, "/api/stats/top", ParseTop, Top);
  Route<ActiveParams>(http, "/api/stats/active", ParseActive, Active);
  Route<HeatmapParams>(
      http, "/api/stats/heatmap", [zones](const QueryParams& q, HeatmapParams* p) { return ParseHeatmap(q, zones, p); },
      Heatmap);
  Route<AnomalyParams>(http, "/api/stats/anomalies", ParseAnomalies, Anomalies);
  Route<AnomalyParams>(http, "/api/stats/anomalies/detail", ParseAnomalyDetail, AnomalyDetail);
  Route<LogsParams>(http, "/api/logs", ParseLogs, Logs);
  AddExport<SeriesParams>(
      "series", "/api/stats/series",
      [zones](const QueryParams& q, SeriesParams* p) { return ParseSeries(q, zones, p); }, Series);
  AddExport<TopParams>("top", "/api/stats/top", ParseTop, Top);
  AddExport<HeatmapParams>(
      "heatmap", "/api/stats/heatmap",
      [zones](const QueryParams& q, HeatmapParams* p) { return ParseHeatmap(q, zones, p); }, Heatmap);
  AddExport<AnomalyParams>("anomalies", "/api/stats/anomalies", ParseAnomalies, Anomalies);
  AddExport<LogsParams>("logs", "/api/logs", ParseLogs, Logs);
  // What the UI needs to know about this gateway and exporter (no database query; never cached).
  http.Get("/api/info", [this](const httplib::Request& req, httplib::Response& res) {
    const std::optional<Identity> who = Admit(req, res);
    if (!who) return;
    nlohmann::json coverage = nlohmann::json::object();
    for (const auto& [rule, share] : RuleCoverage(context_.facts->ip_share.load())) coverage[rule] = share;
    const DisplayUnit unit = context_.facts->display();
    observer::WriteJson(res, 200,
                        {{"version", observer::kBuildVersion},
                         {"revision", observer::kBuildRevision},
                         {"timezone", options_.default_zone},
                         {"quota_per_unit", context_.facts->quota_per_unit.load()},
                         {"display", {{"currency", unit.currency}, {"symbol", unit.symbol}, {"per_usd", unit.per_usd}}},
                         {"newapi_url", options_.newapi_url},
                         {"rule_coverage", coverage},
                         {"identity", {{"name", who->name}, {"role", RoleName(who->role)}, {"via", who->via}}},
                         {"undo", !options_.aggregator_url.empty() && !options_.relay_token.empty()}});
  });
  http.Get("/api/actions", [this](const httplib::Request& req, httplib::Response& res) {
    if (Admit(req, res)) ActionsList(req, res);
  });
  http.Post(R"(/api/actions/(\d{1,18})/undo)", [this](const httplib::Request& req, httplib::Response& res) {
    // One row of the permission matrix for every id.
    if (std::optional<Identity> who = Admit(req, res, "/api/actions/undo")) ActionUndo(req, res, *who);
  });
  http.Get("/api/export/csv", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Admit(req, res)) return;
    QueryParams rest = req.params;
    const auto query = req.params.find("query");
    std::string names;
    for (const auto& [name, run] : exports_) names += (names.empty() ? "" : ", ") + name;
    if (query == req.params.end() || exports_.count(query->second) == 0 || req.params.count("query") > 1) {
      return WriteParamError(res, {"query", "query: expected one of " + names});
    }
    const auto bom = req.params.find("bom");
    if (bom != req.params.end() && bom->second != "0" && bom->second != "1") {
      return WriteParamError(res, {"bom", "bom: expected 0 or 1 (1: a byte-order mark for Excel)"});
    }
    rest.erase("query");
    rest.erase("bom");
    exports_.at(query->second)(rest, bom != req.params.end() && bom->second == "1", res);
  });
  observer::log::Info("JSON API ready",
                      {{"connections", options_.connections},
                       {"query_timeout_ms", options_.query_timeout_ms},
                       {"token_required", !options_.access.open},
                       {"tokens_file", options_.access.tokens_file ? options_.access.tokens_file->path() : ""},
                       {"trusted_proxy", options_.access.proxy.enabled()},
                       {"undo", !options_.aggregator_url.empty() && !options_.relay_token.empty()},
                       {"cors_origins", options_.access.cors_origins.size()},
                       {"timezone", options_.default_zone},
                       {"cache_ttl_seconds", options_.cache ? options_.cache_ttl.count() : 0}});
}

}  // namespace exporter::api
