// Parsing of Alertmanager's webhook payload with nlohmann::json; strict about shape and depth (labels and annotations
// are strings), lenient about absent fields.
#include "relay/alert.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "observer/bounded_json.h"

namespace aggregator::relay {
namespace {

using nlohmann::json;

std::string Find(const LabelSet& set, const std::string& name) {
  auto it = set.find(name);
  return it == set.end() ? std::string() : it->second;
}

// Alertmanager's payload nests 4 deep (body, alerts, alert, labels); the bound leaves room for new fields and keeps
// nlohmann's recursive dump and copies far from the stack's end.
constexpr int kMaxDepth = 16;

// A string member, "" when absent or null; throws std::invalid_argument naming where + name otherwise.
std::string StringMember(const json& object, const std::string& where, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return "";
  if (!it->is_string()) throw std::invalid_argument(where + name + " is not a string");
  return it->get<std::string>();
}

// Alertmanager sends labels and annotations as strings only: any other value is refused, named by its path.
LabelSet LabelSetMember(const json& object, const std::string& where, const char* name) {
  LabelSet set;
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return set;
  if (!it->is_object()) throw std::invalid_argument(where + name + " is not an object");
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) throw std::invalid_argument(where + name + "." + key + " is not a string");
    set[key] = value.get<std::string>();
  }
  return set;
}

Alert ParseAlert(const json& item, const std::string& where) {
  if (!item.is_object()) throw std::invalid_argument(where + " is not an object");
  const std::string prefix = where + ".";
  Alert alert;
  alert.status = StringMember(item, prefix, "status");
  alert.labels = LabelSetMember(item, prefix, "labels");
  alert.annotations = LabelSetMember(item, prefix, "annotations");
  alert.starts_at = StringMember(item, prefix, "startsAt");
  alert.ends_at = StringMember(item, prefix, "endsAt");
  alert.generator_url = StringMember(item, prefix, "generatorURL");
  alert.fingerprint = StringMember(item, prefix, "fingerprint");
  return alert;
}

}  // namespace

std::string Alert::Label(const std::string& name) const { return Find(labels, name); }
std::string Alert::Annotation(const std::string& name) const { return Find(annotations, name); }

int Notification::firing_count() const {
  return static_cast<int>(std::count_if(alerts.begin(), alerts.end(), [](const Alert& a) { return !a.resolved(); }));
}

int Notification::resolved_count() const { return static_cast<int>(alerts.size()) - firing_count(); }

std::optional<Notification> ParseNotification(std::string_view body, std::string* error) {
  // Invalid UTF-8 makes the parse fail, so everything rendered later is valid UTF-8.
  std::optional<json> parsed = observer::ParseJsonBounded(body, kMaxDepth, error);
  if (!parsed) {
    *error = "the body is " + *error;  // "not valid JSON" or "JSON nested deeper than 16 levels"
    return std::nullopt;
  }
  json root = std::move(*parsed);
  try {
    if (!root.is_object()) throw std::invalid_argument("the body is not a JSON object");
    auto alerts = root.find("alerts");
    if (alerts == root.end() || !alerts->is_array()) throw std::invalid_argument("alerts is missing or not an array");
    Notification notification;
    notification.version = StringMember(root, "", "version");
    notification.status = StringMember(root, "", "status");
    notification.receiver = StringMember(root, "", "receiver");
    notification.group_key = StringMember(root, "", "groupKey");
    if (auto truncated = root.find("truncatedAlerts"); truncated != root.end() && truncated->is_number_integer()) {
      // Alertmanager sends a small count; anything outside [0, 1,000,000] is clamped rather than overflowing an int.
      notification.truncated_alerts = static_cast<int>(std::clamp<int64_t>(truncated->get<int64_t>(), 0, 1000000));
    }
    for (const json& item : *alerts) {
      notification.alerts.push_back(ParseAlert(item, "alerts[" + std::to_string(notification.alerts.size()) + "]"));
    }
    notification.group_labels = LabelSetMember(root, "", "groupLabels");
    notification.common_labels = LabelSetMember(root, "", "commonLabels");
    notification.common_annotations = LabelSetMember(root, "", "commonAnnotations");
    notification.external_url = StringMember(root, "", "externalURL");
    return notification;
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

}  // namespace aggregator::relay
