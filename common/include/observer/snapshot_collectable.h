// Metric families computed elsewhere and replaced as a whole after each refresh, so a label set that disappears from
// the data also disappears from /metrics (entity gauges, Top-K, anomalies). Thread-safe.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace observer::metrics {

class SnapshotCollectable : public prometheus::Collectable {
 public:
  // Replaces the families published under this key (one key per producer).
  void Replace(const std::string& key, std::vector<prometheus::MetricFamily> families);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<prometheus::MetricFamily>> families_;
};

// Builds a gauge family; add samples with AddGaugeSample.
prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help);
void AddGaugeSample(prometheus::MetricFamily& family, const std::map<std::string, std::string>& labels, double value);

}  // namespace observer::metrics
