// Metric naming and exposition helpers.
#include "observer/metrics.h"

#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "observer/build_info.h"

namespace observer::metrics {

std::string Name(std::string_view subsystem, std::string_view name) {
  std::string out(kNamespace);
  out.push_back('_');
  if (!subsystem.empty()) {
    out.append(subsystem);
    out.push_back('_');
  }
  out.append(name);
  return out;
}

std::string Serialize(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& collectable : collectables) {
    auto collected = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

prometheus::Family<prometheus::Counter>& RegisterCounters(prometheus::Registry& registry, std::string_view subsystem,
                                                          std::string_view name, const std::string& help) {
  return prometheus::BuildCounter().Name(Name(subsystem, name)).Help(help).Register(registry);
}

prometheus::Family<prometheus::Gauge>& RegisterGauges(prometheus::Registry& registry, std::string_view subsystem,
                                                      std::string_view name, const std::string& help) {
  return prometheus::BuildGauge().Name(Name(subsystem, name)).Help(help).Register(registry);
}

prometheus::Family<prometheus::Histogram>& RegisterHistograms(prometheus::Registry& registry,
                                                              std::string_view subsystem, std::string_view name,
                                                              const std::string& help) {
  return prometheus::BuildHistogram().Name(Name(subsystem, name)).Help(help).Register(registry);
}

prometheus::Counter& RegisterCounter(prometheus::Registry& registry, std::string_view subsystem, std::string_view name,
                                     const std::string& help) {
  return RegisterCounters(registry, subsystem, name, help).Add({});
}

prometheus::Gauge& RegisterGauge(prometheus::Registry& registry, std::string_view subsystem, std::string_view name,
                                 const std::string& help) {
  return RegisterGauges(registry, subsystem, name, help).Add({});
}

void AddBuildInfo(prometheus::Registry& registry, std::string_view subsystem) {
  RegisterGauges(registry, subsystem, "build_info", "Build information of this binary; always 1.")
      .Add({{"version", kBuildVersion}, {"revision", kBuildRevision}})
      .Set(1);
}

}  // namespace observer::metrics
