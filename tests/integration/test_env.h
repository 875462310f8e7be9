// Connection settings of the test databases: the CTest fixture's MariaDB (tests/integration/test_services.sh) and
// the simulated databases of the integration scripts.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "observer/agg_tables.h"
#include "observer/db_client.h"

namespace observer::testing {

// Options for the fixture's test account; fails the test (not skips) when the fixture is not running, because an
// integration test that silently skips proves nothing.
inline DbOptions TestDbOptions(const std::string& database = "") {
  const char* port = std::getenv("NEWAPI_TEST_DB_PORT");
  DbOptions options;
  if (port == nullptr) {
    ADD_FAILURE() << "NEWAPI_TEST_DB_PORT is not set: run the integration tests through ctest (scripts/test)";
    return options;
  }
  options.host = "127.0.0.1";
  options.port = std::atoi(port);
  options.user = "observer_test";
  options.password = "observer-test";
  options.database = database;
  return options;
}

// The read-only ground-truth account that tests/integration/lib.sh's simulated_database creates, on the simulated
// new-api database at port, without a statement timeout (ground-truth queries may scan).
inline DbOptions CheckDbOptions(int port, const std::string& database = "new-api") {
  DbOptions options;
  const char* engine = std::getenv("DB_ENGINE");
  if (engine != nullptr && !ParseDbEngine(engine, &options.engine))
    ADD_FAILURE() << "DB_ENGINE=" << engine << " is unknown";
  options.host = "127.0.0.1";
  options.port = port;
  options.user = "observer_check";
  options.password = "observer-check";
  options.database = database;
  options.statement_timeout_ms = 0;
  return options;
}

// The same account on the database holding logs and the observer's tables: LOGS_DB, else new-api.
inline DbOptions CheckLogsDbOptions(int port) {
  const char* logs_db = std::getenv("LOGS_DB");
  return CheckDbOptions(port, logs_db != nullptr && *logs_db != '\0' ? logs_db : "new-api");
}

// Where simulated_database put the observer's tables: AGG_DB, else the engine's default container of the database
// holding logs (options: CheckLogsDbOptions).
inline std::string CheckAggContainer(const DbOptions& options) {
  const char* agg_db = std::getenv("AGG_DB");
  return agg_db != nullptr && *agg_db != '\0' ? agg_db : agg::DefaultContainer(options.engine, options.database);
}

}  // namespace observer::testing
