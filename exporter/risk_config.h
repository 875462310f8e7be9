// The risk rules' current thresholds and allow-lists: the environment's values overridden by an optional
// rules.yaml, reloaded on SIGHUP or POST /-/reload. A broken file is rejected and the running rules stay.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "observer/rules/rules.h"

namespace exporter {

struct RuleSet {
  observer::rules::Thresholds thresholds;
  observer::rules::AllowList allow;
};

// Applies a rules.yaml document over *rules; returns "" or a message naming the bad key, leaving *rules unchanged.
// Keys present override; allow-lists given replace the environment's; unknown keys are errors (a typo must not
// silently leave a default in place).
std::string ApplyRulesYaml(std::string_view yaml, RuleSet* rules);

class RiskConfig {
 public:
  // file may be empty (no rules.yaml): the environment's rules then stay as they are.
  RiskConfig(RuleSet from_environment, std::string file, prometheus::Registry& registry);

  // Reads the file again; "" on success, else the error (the previous rules stay).
  std::string Reload();
  std::shared_ptr<const RuleSet> current() const;
  // Changes on every successful reload, so readers can tell when to apply the rules again.
  uint64_t version() const { return version_.load(); }
  const std::string& file() const { return file_; }

 private:
  const RuleSet from_environment_;
  const std::string file_;
  mutable std::mutex mutex_;
  std::shared_ptr<const RuleSet> current_;
  std::atomic<uint64_t> version_{0};
  prometheus::Gauge& last_reload_successful_;
  prometheus::Gauge& last_reload_success_time_;
};

}  // namespace exporter
