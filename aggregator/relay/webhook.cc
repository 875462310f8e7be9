// The generic JSON webhook (ALERT_WEBHOOK_URL): the alerts as clean JSON, with the rendered message alongside for
// receivers that only want to show text, and the target's mentions when they apply. Any 2xx is a delivery.
#include <nlohmann/json.hpp>

#include "relay/platform.h"

namespace aggregator::relay {
namespace {

constexpr size_t kTextBudget = 64 * 1024;

// The link annotations are sent only as the checked drilldown_url and runbook_url: a link elsewhere is dropped there
// and must not arrive through the raw annotations either.
nlohmann::json AlertJson(const Alert& alert, const MessageSettings& settings) {
  LabelSet annotations = alert.annotations;
  annotations.erase("drilldown_path");
  annotations.erase("runbook_url");
  return {
      {"status", alert.status},
      {"alertname", alert.Label("alertname")},
      {"severity", alert.Label("severity")},
      {"summary", alert.Annotation("summary")},
      {"description", alert.Annotation("description")},
      {"labels", alert.labels},
      {"annotations", annotations},
      {"starts_at", alert.starts_at},
      {"ends_at", alert.resolved() ? alert.ends_at : ""},
      {"drilldown_url", DrilldownUrl(alert, settings.frontend_url)},
      {"runbook_url", RunbookUrl(alert, settings.runbook_base_url)},
      {"fingerprint", alert.fingerprint},
  };
}

class Webhook : public Platform {
 public:
  std::string name() const override { return "webhook"; }

  std::vector<RateLimit> rate_limits() const override { return {}; }

  OutgoingRequest Build(const Notification& notification, const Target& target, const MessageSettings& settings,
                        int64_t /*now_ms*/) const override {
    const Message message = RenderMessage(
        notification, RenderOptionsFor(settings, {.heading = false, .paragraph_break = "\n"}, kTextBudget));
    nlohmann::json alerts = nlohmann::json::array();
    for (const Alert& alert : notification.alerts) alerts.push_back(AlertJson(alert, settings));
    nlohmann::json body = {
        {"source", "newapi-observer"},
        {"status", notification.status},
        {"firing", notification.firing_count()},
        {"resolved", notification.resolved_count()},
        {"truncated_alerts", notification.truncated_alerts},
        {"group_labels", notification.group_labels},
        {"common_labels", notification.common_labels},
        {"external_url", notification.external_url},
        {"title", message.title},
        {"text", message.text},
        {"alerts", alerts},
    };
    if (MentionsApply(notification, target.mentions)) {  // for receivers that page people themselves
      body["mentions"] = {
          {"all", target.mentions.all}, {"mobiles", target.mentions.mobiles}, {"user_ids", target.mentions.user_ids}};
    }
    return OutgoingRequest{target.url, body.dump(), static_cast<int>(notification.alerts.size()),
                           notification.truncated_alerts, ""};
  }

  Verdict Classify(const HttpReply& reply) const override { return ClassifyHttp(reply); }
};

}  // namespace

std::unique_ptr<Platform> MakeWebhook() { return std::make_unique<Webhook>(); }

}  // namespace aggregator::relay
