// The process's own resource use in /metrics under the names every Prometheus client library uses (process_*): CPU
// seconds, resident and virtual memory, open and allowed file descriptors, start time. Read from /proc at each scrape.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace observer::metrics {

class ProcessCollectable : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace observer::metrics
