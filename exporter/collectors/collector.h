// The exporter's collector interface and the runner that gives each collector its own connection, thread,
// interval, reconnect backoff and self metrics: at most one query in flight per collector, never on a scrape.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>

#include "observer/background_loop.h"
#include "observer/backoff.h"
#include "observer/db_client.h"

namespace exporter {

class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string name() const = 0;
  virtual std::chrono::milliseconds interval() const = 0;
  // One bounded refresh on this collector's connection. A failed status makes the runner back off and retry.
  virtual observer::DbStatus Refresh(observer::DbClient& db) = 0;
};

// newapi_exporter_collector_success{collector} and newapi_exporter_collector_duration_seconds{collector}.
class CollectorSelfMetrics {
 public:
  explicit CollectorSelfMetrics(prometheus::Registry& registry);
  void Record(const std::string& collector, bool success, double seconds);

 private:
  prometheus::Family<prometheus::Gauge>& success_;
  prometheus::Family<prometheus::Gauge>& duration_;
};

class CollectorRunner {
 public:
  CollectorRunner(std::unique_ptr<Collector> collector, observer::DbOptions db, CollectorSelfMetrics& self);
  ~CollectorRunner();
  void Start();
  void Stop();

 private:
  // One refresh; returns the wait before the next.
  std::chrono::milliseconds Step();

  std::unique_ptr<Collector> collector_;
  observer::DbClient db_;
  CollectorSelfMetrics& self_;
  observer::Backoff backoff_;
  std::string last_error_;
  observer::BackgroundLoop loop_;  // last: stopped before the members its steps use go away
};

}  // namespace exporter
