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

void AddBuildInfo(prometheus::Registry& registry, std::string_view subsystem) {
  prometheus::BuildGauge()
      .Name(Name(subsystem, "build_info"))
      .Help("Build information of this binary; always 1.")
      .Register(registry)
      .Add({{"version", kBuildVersion}, {"revision", kBuildRevision}})
      .Set(1);
}

}  // namespace observer::metrics
