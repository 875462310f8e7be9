// `newapi-exporter --check`: connects with the exporter's settings and reports what an operator needs to know about
// the database before relying on it: server, grants present or missing (against schema/grants.sql), secrets that
// must not be readable, the `logs` indexes (with the exact ALTER for the old order), whether `logs` seems to live
// elsewhere (LOG_SQL_DSN), and how many users log their IP.
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

// What the exporter's account must be able to read: table -> columns ("*" = the whole table), from grants.sql.
struct Grant {
  std::string database;  // "@DB_NAME@" or "@AGG_DB_NAME@"
  std::string table;
  std::vector<std::string> columns;  // empty = whole table
};
std::vector<Grant> ExporterGrants(const std::string& grants_sql);

// The index advice for `logs` from SHOW INDEX rows (key name, position in the key, column): "" when
// (created_at, id) is there, else the statement that fixes it.
std::string LogsIndexAdvice(const std::vector<std::vector<std::string>>& show_index_rows);

std::vector<CheckItem> RunDbCheck(observer::DbClient& db, const std::string& database,
                                  const std::string& agg_database);
// Prints the report; returns the exit code: 0 when nothing failed, 1 otherwise.
int PrintCheck(const std::vector<CheckItem>& items);

}  // namespace exporter
