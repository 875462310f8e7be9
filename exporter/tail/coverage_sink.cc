// The coverage sink.
#include "tail/coverage_sink.h"

#include "observer/metrics.h"
#include "tail/top_sink.h"

namespace exporter::tail {

CoverageSink::CoverageSink(int window_minutes, std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots,
                           LiveFacts& facts)
    : window_minutes_(window_minutes), snapshots_(std::move(snapshots)), facts_(facts) {}

void CoverageSink::Observe(const observer::newapi::LogRow& row, int64_t now) {
  if (row.type != observer::newapi::kLogConsume) return;
  const int64_t minute = now / 60;
  if (minutes_.empty() || minutes_.back().minute < minute) minutes_.push_back({minute, 0, 0, 0});
  Minute& bucket = minutes_.back();
  ++bucket.rows;
  if (!row.ip.empty()) ++bucket.with_ip;
  if (row.frt_ms) ++bucket.with_frt;
}

void CoverageSink::Publish(int64_t now) {
  if (now - last_published_ < 5) return;
  last_published_ = now;
  while (!minutes_.empty() && minutes_.front().minute <= now / 60 - window_minutes_) minutes_.pop_front();
  int64_t rows = 0, with_ip = 0, with_frt = 0;
  for (const Minute& m : minutes_) {
    rows += m.rows;
    with_ip += m.with_ip;
    with_frt += m.with_frt;
  }
  auto coverage = observer::metrics::GaugeFamily(
      observer::metrics::Name("", "data_coverage_ratio"),
      "Share of recent consume rows that carry a field: ip (users with record_ip_log) or frt (first-token latency).");
  if (rows > 0) {
    observer::metrics::AddGaugeSample(coverage, {{"field", "ip"}, {"window", WindowLabel(window_minutes_)}},
                                      static_cast<double>(with_ip) / static_cast<double>(rows));
    observer::metrics::AddGaugeSample(coverage, {{"field", "frt"}, {"window", WindowLabel(window_minutes_)}},
                                      static_cast<double>(with_frt) / static_cast<double>(rows));
  }
  facts_.ip_share.store(rows > 0 ? static_cast<double>(with_ip) / static_cast<double>(rows) : -1);
  auto rule_coverage = observer::metrics::GaugeFamily(observer::metrics::Name("", "rule_coverage_ratio"),
                                                      "Share of recent consume rows each risk rule can see.");
  for (const auto& [rule, share] : RuleCoverage(facts_.ip_share.load())) {
    observer::metrics::AddGaugeSample(rule_coverage, {{"rule", rule}}, share);
  }
  snapshots_->Replace("coverage", {std::move(coverage), std::move(rule_coverage)});
}

}  // namespace exporter::tail
