// The Top-K sink.
#include "tail/top_sink.h"

#include "observer/metrics.h"

namespace exporter::tail {

std::string WindowLabel(int minutes) {
  return minutes % 60 == 0 ? std::to_string(minutes / 60) + "h" : std::to_string(minutes) + "m";
}

TopSink::TopSink(int window_minutes, size_t k, std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots)
    : top_(window_minutes, k), snapshots_(std::move(snapshots)) {}

void TopSink::Observe(const observer::newapi::LogRow& row, int64_t now) {
  if (row.type != observer::newapi::kLogConsume) return;
  const int64_t tokens = row.prompt_tokens + row.completion_tokens;
  top_.Add(TopDimension::kUser, row.user_id, row.username, tokens, row.quota, now);
  top_.Add(TopDimension::kToken, row.token_id, row.token_name, tokens, row.quota, now);
}

void TopSink::Publish(int64_t now) {
  // Ranking every subject is the only non-trivial cost here; once every few seconds is plenty for a gauge.
  if (now - last_published_ < 5) return;
  last_published_ = now;
  top_.Advance(now);
  const std::string window = WindowLabel(top_.window_minutes());
  auto top = observer::metrics::GaugeFamily(
      observer::metrics::Name("", "top_usage"),
      "Usage of the top K users and tokens over a sliding window, by metric (tokens, reqs, quota).");
  for (TopDimension dimension : {TopDimension::kUser, TopDimension::kToken}) {
    for (TopMetric metric : {TopMetric::kTokens, TopMetric::kReqs, TopMetric::kQuota}) {
      for (const TopUsage::Entry& entry : top_.Top(dimension, metric)) {
        observer::metrics::AddGaugeSample(top,
                                          {{"dimension", DimensionName(dimension)},
                                           {"id", std::to_string(entry.id)},
                                           {"name", entry.name},
                                           {"metric", MetricName(metric)},
                                           {"window", window}},
                                          entry.value);
      }
    }
  }
  snapshots_->Replace("top_usage", {std::move(top)});
}

}  // namespace exporter::tail
