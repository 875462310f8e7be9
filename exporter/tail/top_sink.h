// The Top-K sink: usage of the top K users and tokens over a sliding window (TopUsage), published as top_usage.
#pragma once

#include <memory>

#include "observer/snapshot_collectable.h"
#include "tail/sink.h"
#include "top_usage.h"

namespace exporter::tail {

class TopSink : public Sink {
 public:
  TopSink(int window_minutes, size_t k, std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots);

  // Consume rows only.
  void Observe(const observer::newapi::LogRow& row, int64_t now) override;
  // Ranks and publishes every few seconds.
  void Publish(int64_t now) override;

 private:
  TopUsage top_;
  std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots_;
  int64_t last_published_ = 0;
};

// "15m", "1h": the window label of the tail's gauges.
std::string WindowLabel(int minutes);

}  // namespace exporter::tail
