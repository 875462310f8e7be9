// The environment of a test that builds Config objects (config_test, web_config_test): variables from a map.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "observer/config.h"

namespace observer {

inline EnvLookup FakeEnv(std::map<std::string, std::string> values) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(values));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

}  // namespace observer
