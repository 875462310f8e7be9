// The contract counters and histograms fed by tailed `logs` rows (exporter/metrics.md), with every label value bounded.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>
#include <unordered_map>

#include "label_guard.h"
#include "observer/newapi/logs.h"
#include "observer/newapi/usage.h"

namespace exporter {

struct LabelLimits {
  size_t models = 200;
  size_t channels = 500;
  size_t groups = 50;
};

class UsageMetrics {
 public:
  UsageMetrics(prometheus::Registry& registry, LabelLimits limits);

  // Counts one row by the shared usage rules (observer/newapi/usage.h); quota_per_unit converts quota to USD.
  void Observe(const observer::newapi::LogRow& row, double quota_per_unit);
  // Starts the counters of one label set at totals read from the database (the restart-safe baseline).
  void AddBaseline(const std::string& model, int64_t channel, const std::string& group, bool stream,
                   const observer::newapi::UsageSums& sums, double quota_per_unit);

  // How many label values were folded into "other", per label.
  uint64_t folded_models() const { return models_.folded(); }
  uint64_t folded_channels() const { return channels_.folded(); }
  uint64_t folded_groups() const { return groups_.folded(); }

 private:
  struct Series {
    prometheus::Counter* requests;
    prometheus::Counter* errors;
    prometheus::Counter* prompt_tokens;
    prometheus::Counter* completion_tokens;
    prometheus::Counter* cached_tokens;
    prometheus::Counter* quota;
    prometheus::Counter* spend;
    prometheus::Counter* refunded;
    prometheus::Histogram* duration;
    prometheus::Histogram* first_token;
    prometheus::Histogram* size;
  };
  Series& SeriesFor(const std::string& model, int64_t channel, const std::string& group, bool stream);
  void Apply(Series& series, const observer::newapi::UsageSums& sums, double quota_per_unit);

  LabelGuard models_;
  LabelGuard channels_;
  LabelGuard groups_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& tokens_;
  prometheus::Family<prometheus::Counter>& quota_;
  prometheus::Family<prometheus::Counter>& spend_;
  prometheus::Family<prometheus::Counter>& refunded_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Histogram>& first_token_;
  prometheus::Family<prometheus::Histogram>& size_;
  // Keyed by the raw (model, channel, group, stream) of the row, so the guards run once per new combination.
  std::unordered_map<std::string, Series> series_;
};

}  // namespace exporter
