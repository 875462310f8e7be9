// The usage sink.
#include "tail/usage_sink.h"

#include "observer/metrics.h"

namespace exporter::tail {

UsageSink::UsageSink(prometheus::Registry& registry, LabelLimits labels, const LiveFacts& facts)
    : usage_(registry, labels),
      facts_(facts),
      folded_(observer::metrics::RegisterGauges(
          registry, "exporter", "label_values_folded",
          "Distinct label values folded into 'other' by the cardinality cap, by label.")) {}

void UsageSink::Observe(const observer::newapi::LogRow& row, int64_t) {
  usage_.Observe(row, facts_.quota_per_unit.load());
}

void UsageSink::Publish(int64_t) {
  folded_.Add({{"label", "model"}}).Set(static_cast<double>(usage_.folded_models()));
  folded_.Add({{"label", "channel"}}).Set(static_cast<double>(usage_.folded_channels()));
  folded_.Add({{"label", "group"}}).Set(static_cast<double>(usage_.folded_groups()));
}

void UsageSink::AddBaseline(const std::vector<observer::agg::BaselineRow>& rows, double quota_per_unit) {
  for (const observer::agg::BaselineRow& row : rows) {
    usage_.AddBaseline(row.model_name, row.channel_id, row.group, row.is_stream, row.sums, quota_per_unit);
  }
}

}  // namespace exporter::tail
