// Collector runner: own connection, interval, backoff and self metrics per collector.
#include "collector.h"

#include "observer/log.h"
#include "observer/metrics.h"

namespace exporter {

CollectorSelfMetrics::CollectorSelfMetrics(prometheus::Registry& registry)
    : success_(observer::metrics::RegisterGauges(registry, "exporter", "collector_success",
                                                 "1 when the collector's last refresh succeeded.")),
      duration_(observer::metrics::RegisterGauges(registry, "exporter", "collector_duration_seconds",
                                                  "Time the collector's last refresh took.")) {}

void CollectorSelfMetrics::Record(const std::string& collector, bool success, double seconds) {
  success_.Add({{"collector", collector}}).Set(success ? 1 : 0);
  duration_.Add({{"collector", collector}}).Set(seconds);
}

CollectorRunner::CollectorRunner(std::unique_ptr<Collector> collector, observer::DbOptions db,
                                 CollectorSelfMetrics& self)
    : collector_(std::move(collector)),
      db_(std::move(db)),
      self_(self),
      backoff_(std::chrono::milliseconds(500), std::chrono::seconds(10)) {
  self_.Record(collector_->name(), false, 0);
}

CollectorRunner::~CollectorRunner() { Stop(); }

void CollectorRunner::Start() {
  loop_.Start([this] { return Step(); });
}

void CollectorRunner::Stop() {
  loop_.Stop();
  db_.Close();
}

std::chrono::milliseconds CollectorRunner::Step() {
  const std::string name = collector_->name();
  const auto start = std::chrono::steady_clock::now();
  observer::DbStatus status = db_.connected() ? observer::DbStatus::Ok() : db_.Connect();
  // The runner is an edge: an unexpected exception (e.g. data that does not parse) fails this refresh only.
  try {
    if (status.ok) status = collector_->Refresh(db_);
  } catch (const std::exception& e) {
    status = observer::DbStatus::Failure(observer::DbError::kOther, std::string("unexpected error: ") + e.what());
  }
  const auto finished = std::chrono::steady_clock::now();
  self_.Record(name, status.ok, std::chrono::duration<double>(finished - start).count());
  if (!status.ok) {
    if (status.message != last_error_) {
      observer::log::Warn("collector failed", {{"collector", name}, {"code", status.code}, {"error", status.message}});
    }
    last_error_ = status.message;
    return backoff_.Next();
  }
  if (!last_error_.empty()) observer::log::Info("collector recovered", {{"collector", name}});
  last_error_.clear();
  backoff_.Reset();
  // Keep a steady cadence: a slow refresh shortens the following wait.
  return collector_->interval() - std::chrono::duration_cast<std::chrono::milliseconds>(finished - start);
}

}  // namespace exporter
