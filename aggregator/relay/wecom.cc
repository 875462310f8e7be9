// WeCom (企业微信) group robot: a markdown message; the robot's key in the URL is its only credential.
//
// Facts from WeCom's group robot documentation ("群机器人配置说明"): markdown content is at most 4096 bytes of
// UTF-8 (errcode 40058 beyond); each robot may send 20 messages per minute (errcode 45009 when exceeded).
// Markdown messages cannot mention by mobile or @all (only text messages carry mentioned_list and
// mentioned_mobile_list), so mentions follow as a short text message with the title.
#include <nlohmann/json.hpp>

#include "relay/platform.h"

namespace aggregator::relay {
namespace {

constexpr size_t kMaxContentBytes = 4096;

class WeCom : public Platform {
 public:
  std::string name() const override { return "wecom"; }

  std::vector<RateLimit> rate_limits() const override { return {{20, std::chrono::minutes(1)}}; }

  OutgoingRequest Build(const Notification& notification, const Target& target, const MessageSettings& settings,
                        int64_t /*now_ms*/) const override {
    // The limit is on the content itself, so the message is fitted to it directly.
    const Message message = RenderMessage(
        notification, RenderOptionsFor(settings, {.heading = true, .paragraph_break = "\n"}, kMaxContentBytes));
    const nlohmann::json body = {{"msgtype", "markdown"}, {"markdown", {{"content", message.text}}}};
    OutgoingRequest request{target.url, body.dump(), message.alerts_shown, message.alerts_omitted, ""};
    if (MentionsApply(notification, target.mentions)) {
      nlohmann::json users = target.mentions.user_ids;
      if (target.mentions.all) users.push_back("@all");
      const nlohmann::json follow_up = {{"msgtype", "text"},
                                        {"text",
                                         {{"content", message.title},
                                          {"mentioned_list", users},
                                          {"mentioned_mobile_list", target.mentions.mobiles}}}};
      request.follow_up_body = follow_up.dump();
    }
    return request;
  }

  Verdict Classify(const HttpReply& reply) const override {
    // 45009: API frequency limit; -1: system busy.
    return ClassifyCodeReply(reply, {"errcode"}, "errmsg", {45009, -1});
  }
};

}  // namespace

std::unique_ptr<Platform> MakeWeCom() { return std::make_unique<WeCom>(); }

}  // namespace aggregator::relay
