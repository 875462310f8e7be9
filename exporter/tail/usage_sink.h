// The usage sink: the contract counters and histograms (UsageMetrics) of every row, started at the restart-safe
// baseline, and how many label values the cardinality caps folded.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <vector>

#include "live_facts.h"
#include "observer/agg_tables.h"
#include "tail/sink.h"
#include "usage_metrics.h"

namespace exporter::tail {

class UsageSink : public Sink {
 public:
  // Reads facts.quota_per_unit for spend.
  UsageSink(prometheus::Registry& registry, LabelLimits labels, const LiveFacts& facts);

  void Observe(const observer::newapi::LogRow& row, int64_t now) override;
  void Publish(int64_t now) override;
  // Starts the counters at the aggregator's totals (agg_tables.h BaselineSql).
  void AddBaseline(const std::vector<observer::agg::BaselineRow>& rows, double quota_per_unit);

 private:
  UsageMetrics usage_;
  const LiveFacts& facts_;
  prometheus::Family<prometheus::Gauge>& folded_;
};

}  // namespace exporter::tail
