// Start-up and shutdown shared by the binaries: --help/--version, config loading that exits with a clear message
// on bad input, log set-up, and waiting for SIGINT/SIGTERM.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "observer/config.h"
#include "observer/db_client.h"
#include "observer/db_monitor.h"
#include "observer/http_server.h"

namespace observer {

struct AppInfo {
  std::string program;    // e.g. "newapi-exporter"
  std::string component;  // the "component" field of every log line, e.g. "exporter"
  std::string summary;    // one line for --help
};

// Prints --help / --version and exits 0. Otherwise loads the settings and hands them to parse, which turns them
// into the binary's typed options (throwing ConfigError on a bad value). On any ConfigError prints
// "<program>: config error: ..." to stderr, logs it, and exits 2. Sets the log level from LOG_LEVEL (--log.level).
// Blocks SIGINT, SIGTERM and SIGHUP in this thread so threads started afterwards inherit the mask and
// WaitForSignal() receives them.
void LoadConfigOrExit(const AppInfo& app, const std::vector<Setting>& settings, int argc, char** argv,
                      const std::function<void(const Config&)>& parse);

// Blocks until SIGINT, SIGTERM or SIGHUP arrives and returns its number.
int WaitForSignal();

// Registers GET /api/health: {"ok": db up, "version", "components": {"db": "up"|"down"}} (unauthenticated, so
// nothing about the database server).
void AddHealthRoute(HttpServer& http, const DbMonitor& db);

// Binds the server to every address (returns 1 with a log line when one cannot be bound), starts the database
// monitor, serves until SIGINT or SIGTERM, then stops both and returns 0. on_reload runs for each SIGHUP.
int ServeUntilTerminated(HttpServer& http, const std::vector<ListenAddress>& addresses, DbMonitor& db,
                         const std::function<void()>& on_reload);

// Settings every binary shares.
Setting LogLevelSetting();
// The database settings; user_env/password_env/dsn_env/logs_dsn_env name the account (DB_USER_RO/DB_PASS_RO/
// DB_DSN_RO/LOG_DSN_RO for the exporter, DB_USER_AGG/DB_PASS_AGG/DB_DSN_AGG/LOG_DSN_AGG for the aggregator).
std::vector<Setting> DatabaseSettings(const std::string& user_env, const std::string& default_user,
                                      const std::string& password_env, const std::string& dsn_env,
                                      const std::string& logs_dsn_env);
// Builds the connection options from DatabaseSettings(): the DSN when set, else the separate settings.
DbOptions DbOptionsFrom(const Config& config, bool read_only);
// Where `logs` lives, and with it the observer's tables: the logs DSN (new-api's LOG_SQL_DSN) with main's timeouts
// and session settings, or main itself when no logs DSN is set.
DbOptions LogsDbOptionsFrom(const Config& config, const DbOptions& main);
// Whether logs live in another database than users, tokens and channels.
bool SameDatabase(const DbOptions& a, const DbOptions& b);
// The database (MySQL) or schema (PostgreSQL) of the observer's tables (AGG_DB_NAME or the engine's default), on the
// logs database's server.
std::string AggContainerFrom(const Config& config, const DbOptions& logs_db);

}  // namespace observer
