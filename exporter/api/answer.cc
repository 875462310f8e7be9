// Database failures as HTTP answers.
#include "api/answer.h"

#include <mysqld_error.h>

#include "observer/log.h"

namespace exporter::api {

Answer DbFailure(const observer::DbStatus& status) {
  if (status.IsTimeout() || status.code == ER_LOCK_WAIT_TIMEOUT) {
    observer::log::Warn("API query timed out", {{"error", status.message}});
    return Answer::Error(504, "database timeout: the query took too long and was stopped; try a shorter range");
  }
  // Gone, or refusing more connections (the account's or the server's limit).
  if (status.IsConnectionLost() || status.code == ER_USER_LIMIT_REACHED || status.code == ER_CON_COUNT_ERROR) {
    observer::log::Warn("API database unavailable", {{"error", status.message}});
    return Answer::Error(503, "database unavailable");
  }
  observer::log::Error("API query failed", {{"code", status.code}, {"error", status.message}});
  return Answer::Error(500, "database error " + std::to_string(status.code));
}

}  // namespace exporter::api
