// The risk sink.
#include "tail/risk_sink.h"

#include "observer/log.h"
#include "observer/metrics.h"

namespace exporter::tail {

using observer::rules::RuleName;

RiskSink::RiskSink(prometheus::Registry& registry, std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots,
                   const observer::rules::Thresholds& thresholds, const observer::rules::AllowList& allow,
                   size_t max_hits_per_rule)
    : rules_(thresholds, allow),
      snapshots_(std::move(snapshots)),
      max_hits_per_rule_(max_hits_per_rule),
      hits_(observer::metrics::RegisterCounters(
          registry, "", "anomaly_hits_total",
          "Times a risk rule started firing for a subject (each hit is also logged once).")) {
  for (observer::rules::Rule rule : observer::rules::kAllRules) hits_.Add({{"rule", RuleName(rule)}});
}

void RiskSink::Observe(const observer::newapi::LogRow& row, int64_t) {
  for (const observer::rules::Hit& hit : rules_.Observe(row)) {
    if (!hit.starts_episode) continue;
    hits_.Add({{"rule", RuleName(hit.rule)}}).Increment();
    observer::log::Warn("anomaly", {{"rule", RuleName(hit.rule)},
                                    {"subject_type", hit.subject_type},
                                    {"subject_id", hit.subject_id},
                                    {"subject_name", hit.subject_name},
                                    {"score", hit.score},
                                    {"threshold", hit.threshold},
                                    {"window_start", hit.window_start},
                                    {"window_end", hit.window_end},
                                    {"created_at", hit.at},
                                    {"log_id", row.id}});
  }
}

void RiskSink::Publish(int64_t) {
  rules_.Expire();
  const observer::rules::Thresholds& t = rules_.thresholds();
  auto anomaly = observer::metrics::GaugeFamily(
      observer::metrics::Name("", "anomaly"),
      "Score of each active risk-rule hit (requests, distinct IPs or users, request tokens).");
  for (const observer::rules::Hit& hit : rules_.ActiveHits(max_hits_per_rule_)) {
    observer::metrics::AddGaugeSample(anomaly,
                                      {{"rule", RuleName(hit.rule)},
                                       {"subject_type", hit.subject_type},
                                       {"subject_id", hit.subject_id},
                                       {"subject_name", hit.subject_name}},
                                      hit.score);
  }
  auto threshold =
      observer::metrics::GaugeFamily(observer::metrics::Name("", "anomaly_threshold"),
                                     "The score at which each rule fires (big_request: standard deviations).");
  observer::metrics::AddGaugeSample(threshold, {{"rule", "burst"}}, static_cast<double>(t.burst_limit));
  observer::metrics::AddGaugeSample(threshold, {{"rule", "multi_user_token"}},
                                    static_cast<double>(t.token_clients_threshold));
  observer::metrics::AddGaugeSample(threshold, {{"rule", "ip_many_users"}}, static_cast<double>(t.ip_users_threshold));
  observer::metrics::AddGaugeSample(threshold, {{"rule", "big_request"}}, t.big_request_sigma);
  snapshots_->Replace("anomalies", {std::move(anomaly), std::move(threshold)});
}

}  // namespace exporter::tail
