// Metric naming (the one helper every family name goes through) and text exposition of a registry.
#pragma once

#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>
#include <string_view>

namespace observer::metrics {

inline constexpr std::string_view kNamespace = "newapi";

// "newapi_<subsystem>_<name>", or "newapi_<name>" when subsystem is empty.
std::string Name(std::string_view subsystem, std::string_view name);

// The Prometheus text format (version 0.0.4) of everything the collectables hold (registries included).
std::string Serialize(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Registers <subsystem>_build_info{version,revision} = 1.
void AddBuildInfo(prometheus::Registry& registry, std::string_view subsystem);

}  // namespace observer::metrics
