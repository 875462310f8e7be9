// Collector runner: own connection, interval, backoff and self metrics per collector.
#include "collector.h"

#include "observer/log.h"
#include "observer/metrics.h"

namespace exporter {

CollectorSelfMetrics::CollectorSelfMetrics(prometheus::Registry& registry)
    : success_(prometheus::BuildGauge()
                   .Name(observer::metrics::Name("exporter", "collector_success"))
                   .Help("1 when the collector's last refresh succeeded.")
                   .Register(registry)),
      duration_(prometheus::BuildGauge()
                    .Name(observer::metrics::Name("exporter", "collector_duration_seconds"))
                    .Help("Time the collector's last refresh took.")
                    .Register(registry)) {}

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

void CollectorRunner::Start() { thread_ = std::thread([this] { Run(); }); }

void CollectorRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CollectorRunner::Run() {
  const std::string name = collector_->name();
  std::string last_error;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
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
    std::chrono::milliseconds wait = collector_->interval();
    if (status.ok) {
      if (!last_error.empty()) observer::log::Info("collector recovered", {{"collector", name}});
      last_error.clear();
      backoff_.Reset();
      // Keep a steady cadence: a slow refresh shortens the following wait.
      wait -= std::chrono::duration_cast<std::chrono::milliseconds>(finished - start);
    } else {
      if (status.message != last_error) {
        observer::log::Warn("collector failed", {{"collector", name}, {"code", status.code}, {"error", status.message}});
      }
      last_error = status.message;
      wait = backoff_.Next();
    }
    lock.lock();
    if (wait.count() > 0) wake_.wait_for(lock, wait, [this] { return stopping_; });
  }
  db_.Close();
}

}  // namespace exporter
