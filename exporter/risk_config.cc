// rules.yaml parsing and the reloadable holder of the risk rules.
#include "risk_config.h"

#include <yaml-cpp/yaml.h>

#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "observer/log.h"
#include "observer/metrics.h"

namespace exporter {
namespace {

struct BadKey {
  std::string message;
};

template <typename T>
T Read(const YAML::Node& node, const std::string& path, const char* expected) {
  if (!node.IsScalar()) throw BadKey{path + ": expected " + expected};
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw BadKey{path + ": expected " + expected + ", got '" + node.Scalar() + "'"};
  }
}

// Calls on_key for each key of a mapping, rejecting keys not in `known`.
void ForEachKey(const YAML::Node& node, const std::string& path, const std::set<std::string>& known,
                const std::function<void(const std::string&, const YAML::Node&)>& on_key) {
  if (!node.IsMap()) throw BadKey{(path.empty() ? "the document" : path) + ": expected a mapping"};
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string key_path = path.empty() ? key : path + "." + key;
    if (known.count(key) == 0) throw BadKey{key_path + ": unknown key"};
    on_key(key_path, item.second);
  }
}

void ReadIds(const YAML::Node& node, const std::string& path, std::set<int64_t>* ids) {
  if (!node.IsSequence()) throw BadKey{path + ": expected a list of ids"};
  ids->clear();
  for (const auto& item : node) {
    const auto id = Read<int64_t>(item, path, "a positive integer id");
    if (id <= 0) throw BadKey{path + ": expected positive ids, got " + std::to_string(id)};
    ids->insert(id);
  }
}

}  // namespace

std::string ApplyRulesYaml(std::string_view yaml, RuleSet* rules) {
  RuleSet next = *rules;
  observer::rules::Thresholds& t = next.thresholds;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) return "";  // an empty file changes nothing
    const std::map<std::string, std::map<std::string, int64_t*>> integers = {
        {"burst", {{"window_sec", &t.burst_window_sec}, {"limit", &t.burst_limit}, {"floor", &t.burst_floor}}},
        {"multi_user_token", {{"window_sec", &t.token_clients_window_sec}, {"threshold", &t.token_clients_threshold}}},
        {"ip_many_users",
         {{"window_sec", &t.ip_users_window_sec}, {"threshold", &t.ip_users_threshold}, {"floor", &t.ip_users_floor}}},
        {"big_request",
         {{"min_samples", &t.big_request_min_samples},
          {"baseline_hours", &t.big_request_baseline_hours},
          {"active_sec", &t.big_request_active_sec}}},
    };
    ForEachKey(root, "", {"burst", "multi_user_token", "ip_many_users", "big_request", "allow"},
               [&](const std::string& section, const YAML::Node& node) {
                 if (section == "allow") {
                   ForEachKey(node, section, {"token_ids", "user_ids", "channel_ids", "ips"},
                              [&](const std::string& path, const YAML::Node& list) {
                                if (path == "allow.token_ids") ReadIds(list, path, &next.allow.token_ids);
                                if (path == "allow.user_ids") ReadIds(list, path, &next.allow.user_ids);
                                if (path == "allow.channel_ids") ReadIds(list, path, &next.allow.channel_ids);
                                if (path != "allow.ips") return;
                                if (!list.IsSequence()) throw BadKey{path + ": expected a list of IPs or CIDRs"};
                                next.allow.ClearNetworks();
                                for (const auto& item : list) {
                                  std::string error;
                                  if (!next.allow.AddNetwork(Read<std::string>(item, path, "an IP or CIDR"), &error)) {
                                    throw BadKey{path + ": " + error};
                                  }
                                }
                              });
                   return;
                 }
                 std::set<std::string> known;
                 for (const auto& [key, field] : integers.at(section)) known.insert(key);
                 if (section == "big_request") known.insert("sigma");
                 // The rules with per-subject baselines (rules.h): mode static|adaptive, floor and factor.
                 const bool adaptable = section == "burst" || section == "ip_many_users";
                 if (adaptable) known.insert({"mode", "factor"});
                 ForEachKey(node, section, known, [&](const std::string& path, const YAML::Node& value) {
                   if (path == "big_request.sigma") {
                     t.big_request_sigma = Read<double>(value, path, "a number");
                     return;
                   }
                   if (adaptable && path == section + ".mode") {
                     const auto mode = Read<std::string>(value, path, "static or adaptive");
                     if (mode != "static" && mode != "adaptive")
                       throw BadKey{path + ": expected static or adaptive, got '" + mode + "'"};
                     (section == "burst" ? t.burst_adaptive : t.ip_users_adaptive) = mode == "adaptive";
                     return;
                   }
                   if (adaptable && path == section + ".factor") {
                     (section == "burst" ? t.burst_factor : t.ip_users_factor) = Read<double>(value, path, "a number");
                     return;
                   }
                   *integers.at(section).at(path.substr(section.size() + 1)) = Read<int64_t>(value, path, "an integer");
                 });
               });
  } catch (const BadKey& e) {
    return e.message;
  } catch (const YAML::Exception& e) {
    return std::string("not valid YAML: ") + e.what();
  }
  if (std::string problem = t.Validate(); !problem.empty()) return problem;
  *rules = std::move(next);
  return "";
}

RiskConfig::RiskConfig(RuleSet from_environment, std::string file, prometheus::Registry& registry)
    : from_environment_(std::move(from_environment)),
      file_(std::move(file)),
      current_(std::make_shared<RuleSet>(from_environment_)),
      last_reload_successful_(observer::metrics::RegisterGauge(
          registry, "exporter", "config_last_reload_successful",
          "1 when the last load of the rules file succeeded (0: the previous rules run).")),
      last_reload_success_time_(
          observer::metrics::RegisterGauge(registry, "exporter", "config_last_reload_success_timestamp_seconds",
                                           "Unix time of the last successful load of the risk rules.")) {
  last_reload_successful_.Set(1);
  last_reload_success_time_.Set(static_cast<double>(std::time(nullptr)));
}

std::string RiskConfig::Reload() {
  RuleSet next = from_environment_;
  std::string error;
  if (!file_.empty()) {
    std::ifstream in(file_);
    std::stringstream text;
    text << in.rdbuf();
    error = !in ? "cannot read " + file_ : ApplyRulesYaml(text.str(), &next);
  }
  if (!error.empty()) {
    last_reload_successful_.Set(0);
    observer::log::Error("rules not reloaded; the previous rules stay", {{"file", file_}, {"error", error}});
    return error;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::make_shared<RuleSet>(std::move(next));
  }
  ++version_;
  last_reload_successful_.Set(1);
  last_reload_success_time_.Set(static_cast<double>(std::time(nullptr)));
  observer::log::Info("rules loaded", {{"file", file_}});
  return "";
}

std::shared_ptr<const RuleSet> RiskConfig::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

}  // namespace exporter
