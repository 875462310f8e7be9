// Contract counters and histograms from tailed log rows.
#include "usage_metrics.h"

#include <algorithm>

#include "observer/metrics.h"

namespace exporter {
namespace {

using observer::metrics::Name;
using observer::newapi::LogRow;

prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& registry, const std::string& name,
                                                       const std::string& help) {
  return prometheus::BuildCounter().Name(Name("", name)).Help(help).Register(registry);
}

prometheus::Family<prometheus::Histogram>& HistogramFamily(prometheus::Registry& registry, const std::string& name,
                                                           const std::string& help) {
  return prometheus::BuildHistogram().Name(Name("", name)).Help(help).Register(registry);
}

const prometheus::Histogram::BucketBoundaries kDurationBuckets = {1, 2, 5, 10, 20, 30, 60, 120, 300};
const prometheus::Histogram::BucketBoundaries kFirstTokenBuckets = {0.25, 0.5, 1, 2, 4, 8, 16, 32};
const prometheus::Histogram::BucketBoundaries kSizeBuckets = {100,   500,   1000,  2000,   5000,  10000,
                                                              20000, 50000, 100000, 200000, 500000};

}  // namespace

UsageMetrics::UsageMetrics(prometheus::Registry& registry, LabelLimits limits)
    : models_(limits.models),
      channels_(limits.channels),
      groups_(limits.groups),
      requests_(CounterFamily(registry, "requests_total",
                              "Relay requests logged by new-api (consume and error rows).")),
      errors_(CounterFamily(registry, "request_errors_total", "Relay requests that failed on a channel (error rows).")),
      tokens_(CounterFamily(registry, "tokens_total",
                            "Tokens billed: prompt, completion, and cached (the cached part of prompt).")),
      quota_(CounterFamily(registry, "quota_used_total", "Quota units charged by consume rows.")),
      spend_(CounterFamily(registry, "spend_usd_total", "Quota charged by consume rows in USD (quota / QuotaPerUnit).")),
      refunded_(CounterFamily(registry, "quota_refunded_total", "Quota units given back by refund rows.")),
      duration_(HistogramFamily(registry, "request_duration_seconds",
                                "Whole-request duration of consume rows (logs.use_time, whole seconds).")),
      first_token_(HistogramFamily(registry, "first_token_seconds",
                                   "First-token latency of consume rows that record it (other.frt).")),
      size_(HistogramFamily(registry, "request_size_tokens", "Prompt plus completion tokens per consume row.")) {}

UsageMetrics::Series& UsageMetrics::SeriesFor(const LogRow& row) {
  std::string key = row.model_name;
  key.push_back('\x1f');
  key += std::to_string(row.channel_id);
  key.push_back('\x1f');
  key += row.group;
  key.push_back(row.is_stream ? '1' : '0');
  if (auto it = series_.find(key); it != series_.end()) return it->second;

  const std::string model = models_.Admit(row.model_name);
  const std::string channel = channels_.Admit(std::to_string(row.channel_id));
  const std::string group = groups_.Admit(row.group);
  const std::map<std::string, std::string> base = {{"model", model}, {"channel", channel}, {"group", group}};
  auto with = [&base](const std::string& label, const std::string& value) {
    auto labels = base;
    labels[label] = value;
    return labels;
  };
  Series series{
      &requests_.Add(with("stream", row.is_stream ? "true" : "false")),
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

void UsageMetrics::Observe(const LogRow& row, double quota_per_unit) {
  using namespace observer::newapi;
  if (row.type != kLogConsume && row.type != kLogError && row.type != kLogRefund) return;
  Series& s = SeriesFor(row);
  // Counters only go up: a negative quota (a correction row) is not counted.
  const double quota = static_cast<double>(std::max<int64_t>(row.quota, 0));
  switch (row.type) {
    case kLogConsume:
      s.requests->Increment();
      s.prompt_tokens->Increment(static_cast<double>(std::max<int64_t>(row.prompt_tokens, 0)));
      s.completion_tokens->Increment(static_cast<double>(std::max<int64_t>(row.completion_tokens, 0)));
      s.cached_tokens->Increment(static_cast<double>(row.cache_tokens));
      s.quota->Increment(quota);
      s.spend->Increment(quota / quota_per_unit);
      s.duration->Observe(static_cast<double>(row.use_time));
      if (row.frt_ms) s.first_token->Observe(*row.frt_ms / 1000.0);
      s.size->Observe(static_cast<double>(row.prompt_tokens + row.completion_tokens));
      break;
    case kLogError:
      s.requests->Increment();
      s.errors->Increment();
      break;
    case kLogRefund:
      s.refunded->Increment(quota);
      break;
    default:
      break;
  }
}

}  // namespace exporter
