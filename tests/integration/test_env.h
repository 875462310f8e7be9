// Connection settings of the private test MariaDB that the CTest fixture starts (tests/integration/test_services.sh).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "observer/mysql_client.h"

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

}  // namespace observer::testing
