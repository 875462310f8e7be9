// Shared start-up: config loading with clear failures, signal mask, database settings.
#include "observer/app.h"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "observer/agg_tables.h"
#include "observer/build_info.h"
#include "observer/log.h"

namespace observer {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// A DSN's password is a secret too: .env.example's change-me placeholder refuses to start, naming the setting.
void RefusePlaceholderPassword(const DbOptions& options, const std::string& setting) {
  if (options.password.rfind(kPlaceholderSecretPrefix, 0) == 0) {
    throw ConfigError("the password in " + setting + " is still the placeholder of .env.example (" +
                      std::string(kPlaceholderSecretPrefix) + "...): set a real secret");
  }
}

}  // namespace

Setting LogLevelSetting() { return {"log.level", "LOG_LEVEL", "info", "log level: debug, info, warn or error"}; }

std::vector<Setting> DatabaseSettings(const std::string& user_env, const std::string& default_user,
                                      const std::string& password_env, const std::string& dsn_env,
                                      const std::string& logs_dsn_env) {
  return {
      {"db.type", "DB_TYPE", "mysql", "new-api's database engine: mysql (also MariaDB) or postgres"},
      {"db.host", "DB_HOST", "127.0.0.1", "new-api database host"},
      {"db.port", "DB_PORT", "", "new-api database port (empty = 3306 for mysql, 5432 for postgres)"},
      {"db.name", "DB_NAME", "new-api", "new-api database name"},
      {"db.user", user_env, default_user, "database account"},
      {"db.password", password_env, "", "password of that account", true},
      {"db.dsn", dsn_env, "",
       "all of the above in new-api's SQL_DSN form with this account: postgresql://user:pass@host:5432/new-api or "
       "user:pass@tcp(host:3306)/new-api (overrides DB_TYPE, DB_HOST, DB_PORT, DB_NAME and the account)",
       true},
      {"db.logs-dsn", logs_dsn_env, "",
       "where new-api's logs table lives when new-api runs with LOG_SQL_DSN: that DSN in the same forms with this "
       "account (empty = the database above); the observer's tables then live beside logs",
       true},
      {"aggregate.database", "AGG_DB_NAME", "",
       "where the observer's tables live: a database on mysql (empty = the logs database), a schema of the logs "
       "database on postgres (empty = observer)"},
      {"db.connect-timeout", "DB_CONNECT_TIMEOUT_SECONDS", "3", "connect timeout, seconds"},
      {"db.read-timeout", "DB_READ_TIMEOUT_SECONDS", "10", "client read/write timeout, seconds"},
      {"db.statement-timeout", "DB_STATEMENT_TIMEOUT_MS", "5000",
       "server-side statement timeout, milliseconds (MAX_EXECUTION_TIME / max_statement_time)"},
      {"db.lock-wait-timeout", "DB_LOCK_WAIT_TIMEOUT_SECONDS", "2", "lock_wait_timeout, seconds"},
      {"db.check-interval", "DB_CHECK_INTERVAL_SECONDS", "5", "how often the connection is checked, seconds"},
  };
}

DbOptions DbOptionsFrom(const Config& config, bool read_only) {
  DbOptions options;
  if (const std::string& dsn = config.GetString("db.dsn"); !dsn.empty()) {
    if (std::string error = ParseDsn(dsn, &options); !error.empty()) {
      throw ConfigError("invalid --db.dsn (DB_DSN_RO / DB_DSN_AGG): " + error);
    }
    RefusePlaceholderPassword(options, "--db.dsn (DB_DSN_RO / DB_DSN_AGG)");
  } else {
    if (!ParseDbEngine(config.GetString("db.type"), &options.engine)) {
      throw ConfigError("invalid value '" + config.GetString("db.type") +
                        "' for --db.type (DB_TYPE): expected mysql or postgres");
    }
    options.host = config.GetString("db.host");
    options.port = config.GetString("db.port").empty() ? DefaultPort(options.engine)
                                                       : static_cast<int>(config.GetInt("db.port", 1, 65535));
    options.database = config.GetString("db.name");
    options.user = config.GetString("db.user");
    options.password = config.GetString("db.password");
  }
  options.connect_timeout_seconds = static_cast<int>(config.GetInt("db.connect-timeout", 1, 60));
  options.read_timeout_seconds = static_cast<int>(config.GetInt("db.read-timeout", 1, 600));
  options.write_timeout_seconds = options.read_timeout_seconds;
  options.statement_timeout_ms = static_cast<int>(config.GetInt("db.statement-timeout", 0, 3600000));
  options.lock_wait_timeout_seconds = static_cast<int>(config.GetInt("db.lock-wait-timeout", 1, 3600));
  options.read_only = read_only;
  if (options.database.empty()) throw ConfigError("DB_NAME (--db.name) must not be empty");
  if (options.user.empty()) throw ConfigError("--db.user must not be empty");
  return options;
}

DbOptions LogsDbOptionsFrom(const Config& config, const DbOptions& main) {
  const std::string& dsn = config.GetString("db.logs-dsn");
  if (dsn.empty()) return main;
  DbOptions logs = main;
  if (std::string error = ParseDsn(dsn, &logs); !error.empty()) {
    throw ConfigError("invalid --db.logs-dsn (LOG_DSN_RO / LOG_DSN_AGG): " + error);
  }
  RefusePlaceholderPassword(logs, "--db.logs-dsn (LOG_DSN_RO / LOG_DSN_AGG)");
  return logs;
}

bool SameDatabase(const DbOptions& a, const DbOptions& b) {
  return a.engine == b.engine && a.host == b.host && a.port == b.port && a.database == b.database && a.user == b.user;
}

std::string AggContainerFrom(const Config& config, const DbOptions& logs_db) {
  const std::string& configured = config.GetString("aggregate.database");
  return configured.empty() ? agg::DefaultContainer(logs_db.engine, logs_db.database) : configured;
}

void LoadConfigOrExit(const AppInfo& app, const std::vector<Setting>& settings, int argc, char** argv,
                      const std::function<void(const Config&)>& parse) {
  log::SetComponent(app.component);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (HasFlag(args, "--help") || HasFlag(args, "-h")) {
    std::cout << Config::Usage(app.program, app.summary, settings);
    std::exit(0);
  }
  if (HasFlag(args, "--version")) {
    std::cout << app.program << " " << observer::kBuildVersion << " (" << observer::kBuildRevision << ")\n";
    std::exit(0);
  }
  try {
    Config config = Config::Load(settings, args, [](const char* name) { return std::getenv(name); });
    log::Level level;
    if (!log::ParseLevel(config.GetString("log.level"), &level)) {
      throw ConfigError("invalid value '" + config.GetString("log.level") +
                        "' for --log.level (LOG_LEVEL): expected debug, info, warn or error");
    }
    log::SetLevel(level);
    parse(config);
    sigset_t signals = TerminationSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  } catch (const ConfigError& e) {
    std::cerr << app.program << ": config error: " << e.what() << "\n";
    log::Error("config error", {{"error", e.what()}});
    std::exit(2);
  }
}

int WaitForSignal() {
  sigset_t signals = TerminationSignals();
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

}  // namespace observer

namespace observer {

void AddHealthRoute(HttpServer& http, const DbMonitor& db) {
  http.Get("/api/health", [&db](const httplib::Request&, httplib::Response& res) {
    const bool db_ok = db.up();
    // No database server version: anyone may call this, and a version tells an attacker which flaws to try.
    WriteJson(res, 200,
              {{"ok", db_ok}, {"version", observer::kBuildVersion}, {"components", {{"db", db_ok ? "up" : "down"}}}});
  });
}

int ServeUntilTerminated(HttpServer& http, const std::vector<ListenAddress>& addresses, DbMonitor& db,
                         const std::function<void()>& on_reload) {
  try {
    for (const ListenAddress& address : addresses) {
      http.Bind(address.host, address.port);
      log::Info("listening", {{"address", address.host}, {"port", address.port == 0 ? http.port() : address.port}});
    }
  } catch (const std::exception& e) {
    log::Error("cannot start HTTP server", {{"error", e.what()}});
    return 1;
  }
  db.Start();
  std::thread server([&http] { http.Serve(); });
  int signal = 0;
  while ((signal = WaitForSignal()) == SIGHUP) on_reload();
  log::Info("shutting down", {{"signal", signal}});
  http.Stop();
  server.join();
  db.Stop();
  return 0;
}

}  // namespace observer
