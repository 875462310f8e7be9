// What an API handler returns: a status and a JSON body computed from normalized parameters (so a cache can wrap the
// handlers by path + parameter key), and the mapping of database failures to HTTP statuses.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "observer/db_client.h"

namespace exporter::api {

struct Answer {
  int status = 200;
  nlohmann::json body;
  std::string source;  // which tables answered (X-Query-Source), when it is a usage query

  static Answer Ok(nlohmann::json body, std::string source = "") { return {200, std::move(body), std::move(source)}; }
  static Answer Error(int status, const std::string& message) {
    return {status, {{"error", message}, {"code", status}}, ""};
  }
};

// 504 for a statement or lock-wait timeout (the server stopped the query), 503 when the database cannot be reached,
// 500 otherwise; the message names the failure, never the query.
Answer DbFailure(const observer::DbStatus& status);

}  // namespace exporter::api
