// Database failures as HTTP answers.
#include "api/answer.h"

#include "observer/log.h"

namespace exporter::api {

Answer DbFailure(const observer::DbStatus& status) {
  using observer::DbError;
  switch (status.error) {
    case DbError::kTimeout:
    case DbError::kClientTimeout:
    case DbError::kLockTimeout:
      observer::log::Warn("API query timed out", {{"code", status.Code()}, {"error", status.message}});
      return Answer::Error(504, "database timeout: the query took too long and was stopped; try a shorter range");
    case DbError::kConnectionLost:
    case DbError::kTooManyConnections:  // the account's or the server's limit
      observer::log::Warn("API database unavailable", {{"code", status.Code()}, {"error", status.message}});
      return Answer::Error(503, "database unavailable");
    default:
      observer::log::Error("API query failed", {{"code", status.Code()}, {"error", status.message}});
      return Answer::Error(500, "database error " + status.Code());
  }
}

}  // namespace exporter::api
