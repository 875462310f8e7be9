// Parsing of Alertmanager's webhook payload with nlohmann::json; strict about shape, lenient about absent fields.
#include "relay/alert.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace aggregator::relay {
namespace {

using nlohmann::json;

std::string Find(const LabelSet& set, const std::string& name) {
  auto it = set.find(name);
  return it == set.end() ? std::string() : it->second;
}

// A string member, "" when absent or null; throws std::invalid_argument naming the member otherwise.
std::string StringMember(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return "";
  if (!it->is_string()) throw std::invalid_argument(std::string(name) + " is not a string");
  return it->get<std::string>();
}

LabelSet LabelSetMember(const json& object, const char* name) {
  LabelSet set;
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return set;
  if (!it->is_object()) throw std::invalid_argument(std::string(name) + " is not an object");
  for (const auto& [key, value] : it->items()) {
    set[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return set;
}

Alert ParseAlert(const json& item) {
  if (!item.is_object()) throw std::invalid_argument("an alert is not an object");
  Alert alert;
  alert.status = StringMember(item, "status");
  alert.labels = LabelSetMember(item, "labels");
  alert.annotations = LabelSetMember(item, "annotations");
  alert.starts_at = StringMember(item, "startsAt");
  alert.ends_at = StringMember(item, "endsAt");
  alert.generator_url = StringMember(item, "generatorURL");
  alert.fingerprint = StringMember(item, "fingerprint");
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
  json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    *error = "the body is not valid JSON";
    return std::nullopt;
  }
  try {
    if (!root.is_object()) throw std::invalid_argument("the body is not a JSON object");
    auto alerts = root.find("alerts");
    if (alerts == root.end() || !alerts->is_array()) throw std::invalid_argument("alerts is missing or not an array");
    Notification notification;
    notification.version = StringMember(root, "version");
    notification.status = StringMember(root, "status");
    notification.receiver = StringMember(root, "receiver");
    notification.group_key = StringMember(root, "groupKey");
    if (auto truncated = root.find("truncatedAlerts"); truncated != root.end() && truncated->is_number_integer()) {
      notification.truncated_alerts = std::max(0, truncated->get<int>());
    }
    for (const json& item : *alerts) notification.alerts.push_back(ParseAlert(item));
    notification.group_labels = LabelSetMember(root, "groupLabels");
    notification.common_labels = LabelSetMember(root, "commonLabels");
    notification.common_annotations = LabelSetMember(root, "commonAnnotations");
    notification.external_url = StringMember(root, "externalURL");
    return notification;
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

}  // namespace aggregator::relay
