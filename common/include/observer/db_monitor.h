// Keeps one database connection alive in the background: checks it on an interval, reconnects with capped
// backoff, and publishes the state as a db_up gauge. The process keeps serving whatever the database does.
#pragma once

#include <prometheus/gauge.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "observer/background_loop.h"
#include "observer/backoff.h"
#include "observer/db_client.h"

namespace observer {

class DbMonitor {
 public:
  DbMonitor(DbOptions options, std::chrono::milliseconds check_interval, std::chrono::milliseconds max_backoff,
            prometheus::Gauge& db_up);
  ~DbMonitor();

  void Start();  // returns at once; the first connect happens in the background
  void Stop();

  bool up() const { return up_.load(); }
  ServerInfo server() const;
  std::string last_error() const;

 private:
  // One check; returns the wait before the next.
  std::chrono::milliseconds Check();
  void SetState(bool up, const std::string& error);

  DbClient client_;
  std::chrono::milliseconds check_interval_;
  Backoff backoff_;
  prometheus::Gauge& db_up_;
  std::atomic<bool> up_{false};
  mutable std::mutex mutex_;  // guards server_ and last_error_
  ServerInfo server_;
  std::string last_error_;
  BackgroundLoop loop_;  // last: stopped before the members its checks use go away
};

}  // namespace observer
