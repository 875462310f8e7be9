// Reply classification shared by the platforms, body fitting, and the table of platforms.
#include "relay/platform.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "observer/bounded_json.h"
#include "relay/text.h"

namespace aggregator::relay {

Verdict ClassifyHttp(const HttpReply& reply) {
  if (!reply.transport_ok) return {Outcome::kTransient, "no answer: " + reply.transport_error};
  const std::string status = "HTTP " + std::to_string(reply.status);
  if (reply.status >= 200 && reply.status < 300) return {Outcome::kDelivered, status};
  if (reply.status == 429 || reply.status >= 500 || (reply.status >= 300 && reply.status < 400)) {
    return {Outcome::kTransient, status};
  }
  return {Outcome::kPermanent, status};
}

Verdict ClassifyCodeReply(const HttpReply& reply, std::initializer_list<const char*> code_fields,
                          const char* message_field, std::initializer_list<long long> transient_codes) {
  Verdict http = ClassifyHttp(reply);
  if (http.outcome == Outcome::kTransient) return http;
  // The platform's answer is a flat object; anything nested deeper is no answer the relay understands.
  std::string error;
  const nlohmann::json body = observer::ParseJsonBounded(reply.body, 8, &error).value_or(nlohmann::json());
  const nlohmann::json* code = nullptr;
  if (body.is_object()) {
    for (const char* field : code_fields) {
      if (auto it = body.find(field); it != body.end() && it->is_number_integer()) {
        code = &*it;
        break;
      }
    }
  }
  if (code == nullptr) {
    if (http.outcome == Outcome::kPermanent) return http;
    return {Outcome::kTransient, http.reason + " without a result code"};
  }
  const long long value = code->get<long long>();
  std::string message;
  if (auto it = body.find(message_field); it != body.end() && it->is_string()) {
    message = std::string(TruncateUtf8(it->get<std::string>(), 200));
  }
  const std::string reason = http.reason + ", code " + std::to_string(value) + (message.empty() ? "" : ": " + message);
  if (std::find(transient_codes.begin(), transient_codes.end(), value) != transient_codes.end()) {
    return {Outcome::kTransient, reason};
  }
  if (http.outcome == Outcome::kPermanent) return {Outcome::kPermanent, reason};
  return {value == 0 ? Outcome::kDelivered : Outcome::kPermanent, reason};
}

RenderOptions RenderOptionsFor(const MessageSettings& settings, MarkdownStyle style, size_t max_bytes) {
  return {.language = settings.language,
          .zone = settings.zone,
          .frontend_url = settings.frontend_url,
          .runbook_base_url = settings.runbook_base_url,
          .style = std::move(style),
          .max_bytes = max_bytes};
}

OutgoingRequest FitBody(size_t max_body_bytes, size_t text_budget,
                        const std::function<OutgoingRequest(size_t text_budget)>& build) {
  OutgoingRequest request = build(text_budget);
  // Each round shrinks the budget by the overshoot and a margin; escaping at most doubles the text, so few rounds
  // are needed, and a budget of zero still gives a title-only message that fits.
  while (request.body.size() > max_body_bytes && text_budget > 0) {
    const size_t overshoot = request.body.size() - max_body_bytes;
    text_budget = text_budget > overshoot + 256 ? text_budget - overshoot - 256 : 0;
    request = build(text_budget);
  }
  return request;
}

std::string WithQuery(const std::string& target_url, const std::string& parameters) {
  return target_url + (target_url.find('?') == std::string::npos ? "?" : "&") + parameters;
}

const std::vector<PlatformSpec>& Platforms() {
  static const std::vector<PlatformSpec> kPlatforms = {
      {"dingtalk", "DingTalk robot", "relay.dingtalk-url", "DINGTALK_WEBHOOK_URL", "relay.dingtalk-secret",
       "DINGTALK_SECRET", MakeDingTalk},
      {"feishu", "Feishu bot", "relay.feishu-url", "FEISHU_WEBHOOK_URL", "relay.feishu-secret", "FEISHU_SECRET",
       MakeFeishu},
      {"wecom", "WeCom group robot", "relay.wecom-url", "WECOM_WEBHOOK_URL", "", "", MakeWeCom},
      {"webhook", "generic JSON", "relay.webhook-url", "ALERT_WEBHOOK_URL", "", "", MakeWebhook},
  };
  return kPlatforms;
}

}  // namespace aggregator::relay
