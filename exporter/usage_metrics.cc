// Contract counters and histograms from tailed log rows.
#include "usage_metrics.h"

#include "observer/metrics.h"

namespace exporter {
namespace {

using observer::newapi::LogRow;

const prometheus::Histogram::BucketBoundaries kDurationBuckets = {1, 2, 5, 10, 20, 30, 60, 120, 300};
const prometheus::Histogram::BucketBoundaries kFirstTokenBuckets = {0.25, 0.5, 1, 2, 4, 8, 16, 32};
const prometheus::Histogram::BucketBoundaries kSizeBuckets = {100,   500,   1000,   2000,   5000,  10000,
                                                              20000, 50000, 100000, 200000, 500000};

}  // namespace

UsageMetrics::UsageMetrics(prometheus::Registry& registry, LabelLimits limits)
    : models_(limits.models),
      channels_(limits.channels),
      groups_(limits.groups),
      requests_(observer::metrics::RegisterCounters(registry, "", "requests_total",
                                                    "Relay requests logged by new-api (consume and error rows).")),
      errors_(observer::metrics::RegisterCounters(registry, "", "request_errors_total",
                                                  "Relay requests that failed on a channel (error rows).")),
      tokens_(observer::metrics::RegisterCounters(
          registry, "", "tokens_total", "Tokens billed: prompt, completion, and cached (the cached part of prompt).")),
      quota_(observer::metrics::RegisterCounters(registry, "", "quota_used_total",
                                                 "Quota units charged by consume rows.")),
      spend_(observer::metrics::RegisterCounters(registry, "", "spend_usd_total",
                                                 "Quota charged by consume rows in USD (quota / QuotaPerUnit).")),
      refunded_(observer::metrics::RegisterCounters(registry, "", "quota_refunded_total",
                                                    "Quota units given back by refund rows.")),
      duration_(observer::metrics::RegisterHistograms(
          registry, "", "request_duration_seconds",
          "Whole-request duration of consume rows (logs.use_time, whole seconds).")),
      first_token_(observer::metrics::RegisterHistograms(
          registry, "", "first_token_seconds", "First-token latency of consume rows that record it (other.frt).")),
      size_(observer::metrics::RegisterHistograms(registry, "", "request_size_tokens",
                                                  "Prompt plus completion tokens per consume row.")) {}

UsageMetrics::Series& UsageMetrics::SeriesFor(const std::string& raw_model, int64_t raw_channel,
                                              const std::string& raw_group, bool stream) {
  std::string key = raw_model;
  key.push_back('\x1f');
  key += std::to_string(raw_channel);
  key.push_back('\x1f');
  key += raw_group;
  key.push_back(stream ? '1' : '0');
  if (auto it = series_.find(key); it != series_.end()) return it->second;

  const std::string model = models_.Admit(raw_model);
  const std::string channel = channels_.Admit(std::to_string(raw_channel));
  const std::string group = groups_.Admit(raw_group);
  const std::map<std::string, std::string> base = {{"model", model}, {"channel", channel}, {"group", group}};
  auto with = [&base](const std::string& label, const std::string& value) {
    auto labels = base;
    labels[label] = value;
    return labels;
  };
  Series series{
      &requests_.Add(with("stream", stream ? "true" : "false")),
      &errors_.Add(base),
      &tokens_.Add(with("kind", "prompt")),
      &tokens_.Add(with("kind", "completion")),
      &tokens_.Add(with("kind", "cached")),
      &quota_.Add(base),
      &spend_.Add(base),
      &refunded_.Add(base),
      &duration_.Add({{"model", model}, {"channel", channel}}, kDurationBuckets),
      &first_token_.Add({{"model", model}, {"channel", channel}}, kFirstTokenBuckets),
      &size_.Add({{"model", model}}, kSizeBuckets),
  };
  return series_.emplace(std::move(key), series).first->second;
}

void UsageMetrics::Apply(Series& s, const observer::newapi::UsageSums& sums, double quota_per_unit) {
  s.requests->Increment(static_cast<double>(sums.reqs));
  s.errors->Increment(static_cast<double>(sums.errors));
  s.prompt_tokens->Increment(static_cast<double>(sums.prompt_tokens));
  s.completion_tokens->Increment(static_cast<double>(sums.completion_tokens));
  s.cached_tokens->Increment(static_cast<double>(sums.cached_tokens));
  s.quota->Increment(static_cast<double>(sums.quota));
  s.spend->Increment(static_cast<double>(sums.quota) / quota_per_unit);
  s.refunded->Increment(static_cast<double>(sums.refunded_quota));
}

void UsageMetrics::Observe(const LogRow& row, double quota_per_unit) {
  observer::newapi::UsageSums sums;
  if (!observer::newapi::AddUsage(row, &sums)) return;
  Series& s = SeriesFor(row.model_name, row.channel_id, row.group, row.is_stream);
  Apply(s, sums, quota_per_unit);
  // Histograms describe requests as they arrive; they have no baseline.
  if (row.type == observer::newapi::kLogConsume) {
    s.duration->Observe(static_cast<double>(row.use_time));
    if (row.frt_ms) s.first_token->Observe(*row.frt_ms / 1000.0);
    s.size->Observe(static_cast<double>(row.prompt_tokens + row.completion_tokens));
  }
}

void UsageMetrics::AddBaseline(const std::string& model, int64_t channel, const std::string& group, bool stream,
                               const observer::newapi::UsageSums& sums, double quota_per_unit) {
  Apply(SeriesFor(model, channel, group, stream), sums, quota_per_unit);
}

}  // namespace exporter
