// The risk sink: the streaming risk rules over every row, each new hit counted and logged once, the active hits and
// the thresholds published as anomaly and anomaly_threshold.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <memory>

#include "observer/rules/streaming_rules.h"
#include "observer/snapshot_collectable.h"
#include "tail/sink.h"

namespace exporter::tail {

class RiskSink : public Sink {
 public:
  RiskSink(prometheus::Registry& registry, std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots,
           const observer::rules::Thresholds& thresholds, const observer::rules::AllowList& allow,
           size_t max_hits_per_rule);

  void Observe(const observer::newapi::LogRow& row, int64_t now) override;
  // Every refresh: a burst committed now shows within a poll interval.
  void Publish(int64_t now) override;

  // New thresholds and allow-list (a reload), the aggregator's baselines and big_request's seed reach the rules here.
  observer::rules::StreamingRules& rules() { return rules_; }

 private:
  observer::rules::StreamingRules rules_;
  std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots_;
  size_t max_hits_per_rule_;
  prometheus::Family<prometheus::Counter>& hits_;
};

}  // namespace exporter::tail
