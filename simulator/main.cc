// newapi-sim: fills a new-api database with realistic history (`load`), appends live traffic with injected
// anomalies (`live`), or both (`run`, what the demo stack uses).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "anomalies.h"
#include "bulk_loader.h"
#include "catalog.h"
#include "database.h"
#include "entities.h"
#include "live.h"
#include "load_plan.h"
#include "observer/app.h"
#include "observer/build_info.h"
#include "observer/db_client.h"
#include "observer/log.h"
#include "schema_sql.h"
#include "text_format.h"
#include "traffic.h"

namespace {

struct SimOptions {
  std::string command;
  observer::DbOptions db;
  observer::DbOptions logs_db;  // db, or another database of the same server (--db.logs-name)
  uint64_t seed = 42;
  int history_days = 7;
  int64_t history_rows = 500000;
  int64_t history_end = 0;
  int users = 2000;
  int channels = 12;
  double live_rate = 20;
  int live_writers = 3;
  int anomaly_interval = 120;
  int64_t history_anomaly_interval = 0;
  std::string injections_file;
  bool legacy_index = false;
  bool reset = false;
  std::string display_currency = "USD";
};

const char* const kBoolFlags[] = {"--reset", "--legacy-index"};

std::vector<observer::Setting> SimSettings() {
  return {
      {"db.type", "SIM_DB_TYPE", "mysql", "database engine: mysql (also MariaDB) or postgres"},
      {"db.host", "SIM_DB_HOST", "127.0.0.1", "database host"},
      {"db.port", "SIM_DB_PORT", "", "database port (default 3306 on mysql, 5432 on postgres)"},
      {"db.user", "SIM_DB_USER", "root", "account that may create the database"},
      {"db.password", "SIM_DB_PASS", "", "password of that account", true},
      {"db.name", "SIM_DB_NAME", "new-api", "database name (created if absent)"},
      {"db.logs-name", "SIM_DB_LOGS_NAME", "",
       "put logs in this database of the same server, as new-api does with LOG_SQL_DSN (empty = --db.name)"},
      {"seed", "SIM_SEED", "42", "random seed: same seed, end and sizes give identical tables"},
      {"history.days", "SIM_HISTORY_DAYS", "7", "days of history before --history.end"},
      {"history.rows", "SIM_HISTORY_ROWS", "500000", "rows of history in logs"},
      {"history.end", "SIM_HISTORY_END", "now", "end of the history, unix seconds (history covers [end-days, end))"},
      {"users", "SIM_USERS", "2000", "number of users"},
      {"channels", "SIM_CHANNELS", "12", "number of channels"},
      {"live.rate", "SIM_LIVE_RATE", "20", "live rows per second, all writers together"},
      {"live.writers", "SIM_LIVE_WRITERS", "3", "concurrent live connections"},
      {"anomaly.interval", "SIM_ANOMALY_INTERVAL", "120", "seconds between anomaly injections (0 = none)"},
      {"injections.file", "SIM_INJECTIONS_FILE", "", "JSONL file to append one line per injected anomaly"},
      {"history.anomaly-interval", "SIM_HISTORY_ANOMALY_INTERVAL", "0",
       "seconds between anomaly + decoy pairs placed in the history after its first day (0 = none)"},
      {"legacy-index", "SIM_LEGACY_INDEX", "false",
       "create idx_created_at_id as (id, created_at) like upgraded installs"},
      {"reset", "SIM_RESET", "false", "drop and recreate the database before loading"},
      {"display.currency", "SIM_DISPLAY_CURRENCY", "USD",
       "the unit new-api displays money in (options general_setting.quota_display_type): USD, CNY or TOKENS"},
      observer::LogLevelSetting(),
  };
}

SimOptions ParseSimOptions(const observer::Config& c) {
  SimOptions o;
  if (!observer::ParseDbEngine(c.GetString("db.type"), &o.db.engine)) {
    throw observer::ConfigError("--db.type (SIM_DB_TYPE) must be mysql or postgres");
  }
  o.db.host = c.GetString("db.host");
  o.db.port = c.GetString("db.port").empty() ? observer::DefaultPort(o.db.engine)
                                             : static_cast<int>(c.GetInt("db.port", 1, 65535));
  o.db.user = c.GetString("db.user");
  o.db.password = c.GetString("db.password");
  o.db.database = c.GetString("db.name");
  if (o.db.database.empty()) throw observer::ConfigError("--db.name (SIM_DB_NAME) must not be empty");
  o.db.statement_timeout_ms = 0;  // index builds on 10M rows take minutes
  o.db.read_timeout_seconds = 3600;
  o.db.write_timeout_seconds = 3600;
  o.db.lock_wait_timeout_seconds = 60;
  o.logs_db = o.db;
  if (const std::string& logs = c.GetString("db.logs-name"); !logs.empty()) o.logs_db.database = logs;
  o.seed = static_cast<uint64_t>(c.GetInt("seed", 0, INT64_MAX));
  o.history_days = static_cast<int>(c.GetInt("history.days", 1, 3650));
  o.history_rows = c.GetInt("history.rows", 0, 2'000'000'000);
  const std::string& end = c.GetString("history.end");
  o.history_end = (end.empty() || end == "now") ? static_cast<int64_t>(std::time(nullptr))
                                                : c.GetInt("history.end", 86400LL * 3650, 4102444800LL);
  o.users = static_cast<int>(c.GetInt("users", 1, 10'000'000));
  o.channels = static_cast<int>(c.GetInt("channels", 1, 10000));
  o.live_rate = c.GetDouble("live.rate", 0.01, 100000);
  o.live_writers = static_cast<int>(c.GetInt("live.writers", 1, 256));
  o.anomaly_interval = static_cast<int>(c.GetInt("anomaly.interval", 0, 86400));
  o.history_anomaly_interval = c.GetInt("history.anomaly-interval", 0, 86400 * 30);
  o.injections_file = c.GetString("injections.file");
  o.legacy_index = c.GetBool("legacy-index");
  o.reset = c.GetBool("reset");
  o.display_currency = c.GetString("display.currency");
  if (o.display_currency != "USD" && o.display_currency != "CNY" && o.display_currency != "TOKENS") {
    throw observer::ConfigError("--display.currency (SIM_DISPLAY_CURRENCY) must be USD, CNY or TOKENS");
  }
  return o;
}

int64_t HistoryStart(const SimOptions& o) { return o.history_end - int64_t{86400} * o.history_days; }

nlohmann::json Marker(const SimOptions& o, const std::string& state) {
  return {{"state", state},
          {"seed", o.seed},
          {"users", o.users},
          {"channels", o.channels},
          {"history_end", o.history_end},
          {"history_days", o.history_days},
          {"history_rows", o.history_rows},
          {"legacy_index", o.legacy_index},
          {"logs_database", o.logs_db.database}};
}

observer::DbStatus WriteMarker(observer::DbClient& db, const nlohmann::json& marker) {
  return db.Execute(std::string("INSERT INTO options (\"key\", value) VALUES ('") + sim::kMarkerKey + "', " +
                    sim::SqlQuote(db.dialect(), marker.dump()) + ")" +
                    db.dialect().UpsertClause("options", "\"key\"", {"value"}));
}

// The display options as new-api's admin page saves them (its default exchange rate beside the type).
observer::DbStatus WriteDisplay(observer::DbClient& db, const SimOptions& o) {
  const std::pair<const char*, std::string> rows[] = {{"general_setting.quota_display_type", o.display_currency},
                                                      {"USDExchangeRate", "7.3"}};
  for (const auto& [key, value] : rows) {
    observer::DbStatus st = db.Execute(std::string("INSERT INTO options (\"key\", value) VALUES ('") + key + "', " +
                                       sim::SqlQuote(db.dialect(), value) + ")" +
                                       db.dialect().UpsertClause("options", "\"key\"", {"value"}));
    if (!st.ok) return st;
  }
  return observer::DbStatus::Ok();
}

[[noreturn]] void Fail(const std::string& what, const observer::DbStatus& status) {
  observer::log::Error(what, {{"error", status.message}, {"code", status.Code()}});
  std::exit(1);
}

void Must(observer::DbClient& db, const std::string& sql, const std::string& what) {
  if (observer::DbStatus st = db.Execute(sql); !st.ok) Fail(what, st);
}

// A connection to the simulator's database prepared for the bulk load.
void ConnectBulk(observer::DbClient& db) {
  if (observer::DbStatus st = db.Connect(); !st.ok) Fail("cannot connect to the database", st);
  if (observer::DbStatus st = sim::PrepareBulkSession(db); !st.ok) Fail("cannot prepare the session", st);
}

// Returns true when the database holds a finished load (loaded now or before).
bool Load(SimOptions& o, const std::atomic<bool>& stop) {
  const bool is_run = o.command == "run";
  const observer::DbEngine engine = o.db.engine;
  observer::DbClient server(sim::ServerOptions(o.db));
  if (observer::DbStatus st = server.Connect(); !st.ok) Fail("cannot connect to the database server", st);

  const sim::DatabaseState state = sim::InspectDatabase(server, o.db);
  const sim::LoadAction action = sim::DecideLoad(state, o.reset, is_run);
  observer::log::Info("database inspected", {{"database", o.db.database},
                                             {"engine", observer::EngineName(engine)},
                                             {"exists", state.exists},
                                             {"tables", state.table_count},
                                             {"marker", state.marker ? *state.marker : nlohmann::json()},
                                             {"action", sim::LoadActionName(action)}});
  switch (action) {
    case sim::LoadAction::kSkip:
      observer::log::Info("database already holds the simulator's data; skipping the history load");
      return true;
    case sim::LoadAction::kRefuseLoaded:
      observer::log::Error("database already loaded by newapi-sim; use --reset to reload",
                           {{"database", o.db.database}});
      std::exit(1);
    case sim::LoadAction::kRefuseForeign:
      observer::log::Error("database has tables that newapi-sim did not create; refusing (use --reset to drop it)",
                           {{"database", o.db.database}, {"tables", state.table_count}});
      std::exit(1);
    case sim::LoadAction::kRecreate:
      Must(server, sim::DropDatabaseSql(engine, o.db.database), "cannot drop the database");
      [[fallthrough]];
    case sim::LoadAction::kCreate:
      Must(server, sim::CreateDatabaseSql(engine, o.db.database), "cannot create the database");
      [[fallthrough]];
    case sim::LoadAction::kFill: break;
  }
  // logs in a database of their own, like new-api with LOG_SQL_DSN: that database is the simulator's too.
  const bool logs_apart = o.logs_db.database != o.db.database;
  if (logs_apart) {
    Must(server, sim::DropDatabaseSql(engine, o.logs_db.database), "cannot drop the logs database");
    Must(server, sim::CreateDatabaseSql(engine, o.logs_db.database), "cannot create the logs database");
  }
  server.Close();
  observer::DbOptions bulk_options = o.db;
  bulk_options.allow_local_infile = true;
  observer::DbClient db(bulk_options);
  ConnectBulk(db);
  observer::DbOptions logs_bulk_options = o.logs_db;
  logs_bulk_options.allow_local_infile = true;
  observer::DbClient logs_apart_db(logs_bulk_options);
  if (logs_apart) ConnectBulk(logs_apart_db);
  observer::DbClient& logs_db = logs_apart ? logs_apart_db : db;

  const auto started = std::chrono::steady_clock::now();
  const sim::SchemaPlan schema = sim::PlanSchema(engine, o.legacy_index);
  for (const std::string& create : schema.create_tables) {
    Must(sim::CreatesLogsTable(create) ? logs_db : db, create, "cannot create a table");
  }
  if (observer::DbStatus st = WriteMarker(db, Marker(o, "loading")); !st.ok) Fail("cannot write the marker", st);

  const sim::Catalog& catalog = sim::DefaultCatalog();
  const sim::Population population = sim::BuildPopulation(catalog, {o.seed, o.users, o.channels, HistoryStart(o)});
  sim::HistoryGenerator generator(catalog, population, {o.seed, HistoryStart(o), o.history_end, o.history_rows});
  // Injections start after a day of history, so big_request has its baseline, and end before the history does.
  const std::vector<sim::Injection> injections = sim::ScheduleHistoryInjections(
      generator, HistoryStart(o) + 86400, o.history_end - 900, o.history_anomaly_interval);
  for (const sim::Injection& inj : injections) sim::AppendInjection(inj, o.injections_file);
  sim::UsageTotals totals(population);
  observer::log::Info("loading history", {{"rows", o.history_rows},
                                          {"start", HistoryStart(o)},
                                          {"end", o.history_end},
                                          {"users", o.users},
                                          {"channels", o.channels},
                                          {"injections", injections.size()},
                                          {"busiest_user_share", generator.max_user_share()}});
  const sim::BulkLoadResult loaded = sim::LoadHistory(logs_db, generator, totals, stop);
  if (!loaded.status.ok) Fail("history load failed", loaded.status);
  observer::log::Info("history rows loaded",
                      {{"rows", loaded.rows},
                       {"seconds", loaded.seconds},
                       {"rows_per_s", std::llround(static_cast<double>(loaded.rows) / loaded.seconds)}});

  // The logs index build is single-threaded on the server; quota_data and the entity tables load meanwhile on a
  // second connection so the other core is used.
  int64_t quota_data_rows = 0;
  observer::DbStatus side_status;
  std::thread side([&] {
    observer::DbClient side_db(bulk_options);
    side_status = side_db.Connect();
    if (side_status.ok) side_status = sim::PrepareBulkSession(side_db);
    if (side_status.ok) side_status = sim::LoadQuotaData(side_db, loaded.quota_data_file, &quota_data_rows);
    for (const std::string& insert :
         sim::EntityInsertStatements(side_db.dialect(), catalog, population, totals.entities, o.history_end)) {
      if (!side_status.ok) break;
      side_status = side_db.Execute(insert);
    }
  });
  const auto index_started = std::chrono::steady_clock::now();
  observer::log::Info("building logs indexes", {{"indexes", schema.logs_indexes.size()}});
  observer::DbStatus index_status;
  for (const std::string& add : schema.add_logs_indexes) {
    if (index_status = logs_db.Execute(add); !index_status.ok) break;
  }
  side.join();
  std::remove(loaded.quota_data_file.c_str());
  if (!index_status.ok) Fail("cannot build the logs indexes", index_status);
  if (!side_status.ok) Fail("cannot load quota_data / entity tables", side_status);
  for (const std::string& sql : sim::AdvanceEntityIdsSql(engine)) Must(db, sql, "cannot advance the ids");
  for (const std::string& sql : sim::AdvanceLogsIdSql(engine, loaded.last_id + 1)) {
    Must(logs_db, sql, "cannot advance the logs ids");
  }
  const double index_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - index_started).count();

  if (observer::DbStatus st = WriteDisplay(db, o); !st.ok) Fail("cannot write the display options", st);
  if (observer::DbStatus st = WriteMarker(db, Marker(o, "done")); !st.ok) Fail("cannot write the marker", st);
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  observer::log::Info("load finished", {{"rows", loaded.rows},
                                        {"last_id", loaded.last_id},
                                        {"seconds", total},
                                        {"rows_seconds", loaded.seconds},
                                        {"index_seconds", index_seconds},
                                        {"rows_per_s", std::llround(static_cast<double>(loaded.rows) / total)},
                                        {"quota_data_rows", quota_data_rows},
                                        {"users", population.users.size()},
                                        {"tokens", population.tokens.size()},
                                        {"channels", population.channels.size()}});
  return true;
}

int Live(SimOptions& o, const std::atomic<bool>& stop) {
  observer::DbClient db(o.db);
  if (observer::DbStatus st = db.Connect(); !st.ok) Fail("cannot connect to the database", st);
  observer::QueryResult r;
  if (observer::DbStatus st =
          db.Query(std::string("SELECT value FROM options WHERE \"key\" = '") + sim::kMarkerKey + "'", &r);
      !st.ok || r.rows.empty() || !r.rows[0][0]) {
    observer::log::Error("the database was not loaded by newapi-sim; run `newapi-sim load` first",
                         {{"database", o.db.database}});
    return 1;
  }
  const nlohmann::json marker = nlohmann::json::parse(*r.rows[0][0], nullptr, false);
  if (!marker.is_object() || marker.value("state", "") != "done") {
    observer::log::Error("the simulator's history load did not finish; run `newapi-sim load --reset`");
    return 1;
  }
  if (observer::DbStatus st = WriteDisplay(db, o); !st.ok) Fail("cannot write the display options", st);
  // The population must match the loaded entity tables, so it is rebuilt from the load's own parameters.
  o.seed = marker.value("seed", o.seed);
  o.users = marker.value("users", o.users);
  o.channels = marker.value("channels", o.channels);
  o.history_end = marker.value("history_end", o.history_end);
  o.history_days = marker.value("history_days", o.history_days);
  o.logs_db.database = marker.value("logs_database", o.db.database);
  db.Close();
  const sim::Catalog& catalog = sim::DefaultCatalog();
  const sim::Population population = sim::BuildPopulation(catalog, {o.seed, o.users, o.channels, HistoryStart(o)});
  sim::LiveOptions live;
  live.db = o.db;
  live.db.read_timeout_seconds = 30;
  live.db.write_timeout_seconds = 30;
  live.logs_db = live.db;
  live.logs_db.database = o.logs_db.database;
  live.seed = o.seed;
  live.rate = o.live_rate;
  live.writers = o.live_writers;
  live.anomaly_interval = o.anomaly_interval;
  live.injections_file = o.injections_file;
  return sim::RunLive(catalog, population, live, stop);
}

// Turns "cmd --reset --x=1" into "--x=1 --reset=true": the config loader wants a value on every flag.
std::vector<std::string> NormalizeArgs(int argc, char** argv, std::string* command) {
  std::vector<std::string> out = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (command->empty() && !arg.empty() && arg[0] != '-') {
      *command = arg;
      continue;
    }
    for (const char* flag : kBoolFlags) {
      const bool next_is_value = i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0 &&
                                 (std::string(argv[i + 1]) == "true" || std::string(argv[i + 1]) == "false");
      if (arg == flag && !next_is_value) arg += "=true";
    }
    out.push_back(arg);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command;
  std::vector<std::string> args = NormalizeArgs(argc, argv, &command);
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  const observer::AppInfo app{
      "newapi-sim", "simulator",
      "Commands: load | live | run.\n"
      "  load  create the new-api database from the real schema and load entities + history (LOAD DATA / COPY)\n"
      "  live  append live traffic with scheduled anomaly injections until SIGINT/SIGTERM\n"
      "  run   load (skipped when the database already holds the simulator's data), then live"};
  SimOptions options;
  observer::LoadConfigOrExit(
      app, SimSettings(), static_cast<int>(cargs.size()), cargs.data(), [&](const observer::Config& config) {
        options = ParseSimOptions(config);
        if (command != "load" && command != "live" && command != "run") {
          throw observer::ConfigError("expected a command: load, live or run (got '" + command + "')");
        }
        options.command = command;
        observer::log::Info(
            "starting", {{"command", command}, {"version", observer::kBuildVersion}, {"settings", config.Describe()}});
      });
  // Signals are blocked in every thread (LoadConfigOrExit); this one receives them and asks everyone to stop.
  static std::atomic<bool> stop{false};
  std::thread([] {
    const int signal = observer::WaitForSignal();
    observer::log::Info("signal received, stopping", {{"signal", signal}});
    stop = true;
  }).detach();

  if (options.command == "load" || options.command == "run") {
    Load(options, stop);
    if (stop) return 1;
  }
  if (options.command == "live" || options.command == "run") return Live(options, stop);
  return 0;
}
