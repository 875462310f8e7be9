// The coverage sink: the share of recent consume rows that carry an IP or a first-token time, and from it how much
// of the traffic each risk rule can see (kept in LiveFacts::ip_share for /api/info).
#pragma once

#include <deque>
#include <memory>

#include "live_facts.h"
#include "observer/snapshot_collectable.h"
#include "tail/sink.h"

namespace exporter::tail {

class CoverageSink : public Sink {
 public:
  CoverageSink(int window_minutes, std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots, LiveFacts& facts);

  // Consume rows only, bucketed by the minute they were read.
  void Observe(const observer::newapi::LogRow& row, int64_t now) override;
  // Every few seconds: data_coverage_ratio, rule_coverage_ratio and facts.ip_share.
  void Publish(int64_t now) override;

 private:
  struct Minute {
    int64_t minute = 0, rows = 0, with_ip = 0, with_frt = 0;
  };
  int window_minutes_;
  std::deque<Minute> minutes_;
  std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots_;
  LiveFacts& facts_;
  int64_t last_published_ = 0;
};

}  // namespace exporter::tail
