// Metric naming and registration (the one way every family is named and built) and text exposition of a registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace observer::metrics {

inline constexpr std::string_view kNamespace = "newapi";

// "newapi_<subsystem>_<name>", or "newapi_<name>" when subsystem is empty.
std::string Name(std::string_view subsystem, std::string_view name);

// Families registered under Name(subsystem, name), and single unlabelled series: every registered metric is built
// through these (snapshot families, rebuilt on each refresh, through snapshot_collectable.h's GaugeFamily).
prometheus::Family<prometheus::Counter>& RegisterCounters(prometheus::Registry& registry, std::string_view subsystem,
                                                          std::string_view name, const std::string& help);
prometheus::Family<prometheus::Gauge>& RegisterGauges(prometheus::Registry& registry, std::string_view subsystem,
                                                      std::string_view name, const std::string& help);
prometheus::Family<prometheus::Histogram>& RegisterHistograms(prometheus::Registry& registry,
                                                              std::string_view subsystem, std::string_view name,
                                                              const std::string& help);
prometheus::Counter& RegisterCounter(prometheus::Registry& registry, std::string_view subsystem, std::string_view name,
                                     const std::string& help);
prometheus::Gauge& RegisterGauge(prometheus::Registry& registry, std::string_view subsystem, std::string_view name,
                                 const std::string& help);

// The Prometheus text format (version 0.0.4) of everything the collectables hold (registries included).
std::string Serialize(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Registers <subsystem>_build_info{version,revision} = 1.
void AddBuildInfo(prometheus::Registry& registry, std::string_view subsystem);

}  // namespace observer::metrics
