// The Alertmanager webhook payload (version 4) as the relay uses it, and its parser.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aggregator::relay {

using LabelSet = std::map<std::string, std::string>;

struct Alert {
  std::string status;  // "firing" or "resolved"
  LabelSet labels;
  LabelSet annotations;
  std::string starts_at;  // RFC 3339, as Alertmanager sent it
  std::string ends_at;
  std::string generator_url;
  std::string fingerprint;

  bool resolved() const { return status == "resolved"; }
  // The label or annotation, or "" when absent.
  std::string Label(const std::string& name) const;
  std::string Annotation(const std::string& name) const;
};

struct Notification {
  std::string version;
  std::string status;  // of the group: "firing" while any alert fires
  std::string receiver;
  std::string group_key;
  int truncated_alerts = 0;  // alerts Alertmanager itself left out (max_alerts)
  std::vector<Alert> alerts;
  LabelSet group_labels;
  LabelSet common_labels;
  LabelSet common_annotations;
  std::string external_url;

  int firing_count() const;
  int resolved_count() const;
};

// Parses the JSON body Alertmanager POSTs. Returns nothing and sets *error on a body that is not such a payload
// (not JSON, no alerts array, wrong types); fields Alertmanager may leave out default to empty.
std::optional<Notification> ParseNotification(std::string_view body, std::string* error);

}  // namespace aggregator::relay
