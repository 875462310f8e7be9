// Feishu (Lark) custom bot: an interactive card (red header while firing, green when resolved) with lark_md text;
// signed in the body (timestamp + sign) when the bot has a secret.
//
// Facts from Feishu's documentation: custom bots may send 100 messages per minute and 5 per second ("频控策略":
// 自定义机器人 100 次/分钟, 5 次/秒), a limit answered with code 11232 or 9499, or HTTP 429 / an HTTP 400 with code
// 99991400 from the gateway; a bad signature or a timestamp more than an hour off is code 19021; the custom bot
// guide caps the request body at 20 KB. Replies carry "code" (older deployments "StatusCode"), 0 on success.
// In a card's lark_md, <at id=all></at> mentions everybody and <at id=ou_...></at> one user by open_id.
#include <nlohmann/json.hpp>

#include "relay/platform.h"
#include "relay/signing.h"

namespace aggregator::relay {
namespace {

constexpr size_t kMaxBodyBytes = 20 * 1000;
constexpr size_t kTextBudget = 16000;

class Feishu : public Platform {
 public:
  std::string name() const override { return "feishu"; }

  std::vector<RateLimit> rate_limits() const override {
    return {{100, std::chrono::minutes(1)}, {5, std::chrono::seconds(1)}};
  }

  OutgoingRequest Build(const Notification& notification, const Target& target, const MessageSettings& settings,
                        int64_t now_ms) const override {
    std::string mention_line;  // from the targets file only, never from the alert
    if (MentionsApply(notification, target.mentions)) {
      if (target.mentions.all) mention_line += "<at id=all></at>";
      for (const std::string& id : target.mentions.user_ids)
        mention_line += (mention_line.empty() ? "" : " ") + ("<at id=" + id + "></at>");
    }
    return FitBody(kMaxBodyBytes, kTextBudget, [&](size_t budget) {
      // The card header shows the title, so the text has no heading of its own.
      const size_t room = mention_line.empty() ? 0 : mention_line.size() + 1;
      Message message = RenderMessage(
          notification,
          RenderOptionsFor(settings, {.heading = false, .paragraph_break = "\n"}, budget > room ? budget - room : 0));
      if (!mention_line.empty()) message.text += "\n" + mention_line;
      const nlohmann::json card = {
          {"config", {{"wide_screen_mode", true}}},
          {"header",
           {{"title", {{"tag", "plain_text"}, {"content", message.title}}},
            {"template", notification.firing_count() > 0 ? "red" : "green"}}},
          {"elements",
           nlohmann::json::array({{{"tag", "div"}, {"text", {{"tag", "lark_md"}, {"content", message.text}}}}})},
      };
      nlohmann::json body = {{"msg_type", "interactive"}, {"card", card}};
      if (!target.secret.empty()) {
        const int64_t now_s = now_ms / 1000;
        body["timestamp"] = std::to_string(now_s);  // a string in Feishu's examples
        body["sign"] = FeishuSign(target.secret, now_s);
      }
      return OutgoingRequest{target.url, body.dump(), message.alerts_shown, message.alerts_omitted, ""};
    });
  }

  Verdict Classify(const HttpReply& reply) const override {
    return ClassifyCodeReply(reply, {"code", "StatusCode"}, "msg", {9499, 11232, 99991400});
  }
};

}  // namespace

std::unique_ptr<Platform> MakeFeishu() { return std::make_unique<Feishu>(); }

}  // namespace aggregator::relay
