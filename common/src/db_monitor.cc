// Background connection check and reconnect loop behind the db_up gauge.
#include "observer/db_monitor.h"

#include "observer/log.h"

namespace observer {

DbMonitor::DbMonitor(DbOptions options, std::chrono::milliseconds check_interval, std::chrono::milliseconds max_backoff,
                     prometheus::Gauge& db_up)
    : client_(std::move(options)),
      check_interval_(check_interval),
      backoff_(std::chrono::milliseconds(500), max_backoff),
      db_up_(db_up) {
  db_up_.Set(0);
}

DbMonitor::~DbMonitor() { Stop(); }

void DbMonitor::Start() {
  loop_.Start([this] { return Check(); });
}

void DbMonitor::Stop() {
  loop_.Stop();
  client_.Close();
}

ServerInfo DbMonitor::server() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return server_;
}

std::string DbMonitor::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void DbMonitor::SetState(bool up, const std::string& error) {
  const bool was_up = up_.exchange(up);
  db_up_.Set(up ? 1 : 0);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = error;
    if (up) server_ = client_.server();
  }
  const auto& options = client_.options();
  const nlohmann::json where = {{"host", options.host}, {"port", options.port}, {"user", options.user}};
  if (up && !was_up) {
    log::Info("database connected", {{"host", options.host},
                                     {"port", options.port},
                                     {"server", client_.server().version},
                                     {"flavor", FlavorName(client_.server().flavor)}});
  } else if (!up && was_up) {
    log::Warn("database connection lost", {{"host", options.host}, {"port", options.port}, {"error", error}});
  } else if (!up) {
    nlohmann::json fields = where;
    fields["error"] = error;
    log::Warn("database unreachable, retrying", fields);
  }
}

std::chrono::milliseconds DbMonitor::Check() {
  DbStatus status = client_.connected() ? client_.Ping() : client_.Connect();
  if (status.ok) {
    if (!up_.load()) SetState(true, "");
    backoff_.Reset();
    return check_interval_;
  }
  client_.Close();
  SetState(false, status.message);
  return backoff_.Next();
}

}  // namespace observer
