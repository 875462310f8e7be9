// Keeps one database connection alive in the background: checks it on an interval, reconnects with capped
// backoff, and publishes the state as a db_up gauge. The process keeps serving whatever the database does.
#pragma once

#include <prometheus/gauge.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

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
  void Run();
  void SetState(bool up, const std::string& error);

  DbClient client_;
  std::chrono::milliseconds check_interval_;
  Backoff backoff_;
  prometheus::Gauge& db_up_;
  std::atomic<bool> up_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  ServerInfo server_;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace observer
