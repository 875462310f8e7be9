// Replace-as-a-whole metric families.
#include "observer/snapshot_collectable.h"

namespace observer::metrics {

void SnapshotCollectable::Replace(const std::string& key, std::vector<prometheus::MetricFamily> families) {
  std::lock_guard<std::mutex> lock(mutex_);
  families_[key] = std::move(families);
}

std::vector<prometheus::MetricFamily> SnapshotCollectable::Collect() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<prometheus::MetricFamily> out;
  for (const auto& [key, families] : families_) {
    for (const auto& family : families) {
      if (!family.metric.empty()) out.push_back(family);
    }
  }
  return out;
}

prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Gauge;
  return family;
}

void AddGaugeSample(prometheus::MetricFamily& family, const std::map<std::string, std::string>& labels, double value) {
  prometheus::ClientMetric metric;
  for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

}  // namespace observer::metrics
