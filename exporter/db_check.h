// `newapi-exporter --check`: connects with the exporter's settings and reports what an operator needs to know about
// the database before relying on it: server, grants present or missing (against schema/grants.sql and grants-logs.sql
// or their .postgres counterparts), secrets that must not be readable (columns, and new-api's options beyond the
// observer_options view), the account's connection limit against what the exporter opens, the `logs` indexes (with
// the exact statement for the old order), whether `logs` seems to live elsewhere (LOG_SQL_DSN), and how many users log
// their IP.
#pragma once

#include <string>
#include <vector>

#include "observer/db_client.h"

namespace exporter {

struct CheckItem {
  enum Level { kOk, kWarn, kFail } level = kOk;
  std::string topic;
  std::string message;
};

// A table the exporter's account must be able to read, and which of its columns.
struct Grant {
  std::string database;  // "@DB_NAME@" (the main database), "@LOGS_DB_NAME@" or "@AGG_DB_NAME@" (beside logs)
  std::string table;
  std::vector<std::string> columns;  // empty = whole table
};
// The exporter's account (newapi_ro) as a grants file sets it up.
struct ExporterAccount {
  std::vector<Grant> grants;
  int connection_limit = 0;  // MAX_USER_CONNECTIONS / CONNECTION LIMIT; 0 = none
};
// Reads schema/grants.sql with grants-logs.sql, or their .postgres counterparts. grants-logs.postgres.sql grants
// SELECT on every table of the observer's schema: those are the tables created by observer_tables_sql.
ExporterAccount ParseExporterAccount(const std::string& grants_sql, const std::string& grants_logs_sql,
                                     const std::string& observer_tables_sql);

// The database connections a running exporter holds on its main database's account, and how they add up.
struct ExporterConnections {
  int count = 0;
  std::string how;  // e.g. "API_DB_CONNECTIONS 2 + 2 collectors + 1 health check"
};
// From API_DB_CONNECTIONS and where logs live (main and logs: the exporter's two connection settings).
ExporterConnections CountExporterConnections(int api_connections, const observer::DbOptions& main,
                                             const observer::DbOptions& logs);

// main reads users, tokens, channels and observer_options; logs reads logs and the observer's tables (the same
// client unless new-api writes logs elsewhere: LOG_DSN_RO). exporter: what the exporter opens with the settings in
// use, which the account's limit must fit twice (room for reconnects).
std::vector<CheckItem> RunDbCheck(observer::DbClient& main, observer::DbClient& logs, const std::string& agg_database,
                                  const ExporterConnections& exporter);
// Prints the report; returns the exit code: 0 when nothing failed, 1 otherwise.
int PrintCheck(const std::vector<CheckItem>& items);

}  // namespace exporter
