// Connection settings of the test databases: the CTest fixture's MariaDB (tests/integration/test_services.sh) and
// the simulated databases of the integration scripts.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

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
inline DbOptions CheckDbOptions(int port) {
  DbOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.user = "observer_check";
  options.password = "observer-check";
  options.database = "new-api";
  options.statement_timeout_ms = 0;
  return options;
}

}  // namespace observer::testing
