// DingTalk custom robot: a markdown message, signed in the query string when the robot has a secret.
//
// Facts from DingTalk's custom robot documentation ("自定义机器人接入"): at most 20 messages per minute per robot,
// beyond that the robot is throttled for 10 minutes (errcode 130101 "send too fast"); the request body must stay
// within 20000 bytes; a bad signature, stale timestamp, missing keyword or IP not allowed is errcode 310000.
// A single "\n" in DingTalk markdown renders as a space, hence paragraph breaks of two. @-mentions go in "at"
// (atMobiles, atUserIds, isAtAll); a markdown message shows them only when the text also names each "@<mobile>".
#include <nlohmann/json.hpp>

#include "relay/platform.h"
#include "relay/signing.h"

namespace aggregator::relay {
namespace {

constexpr size_t kMaxBodyBytes = 20000;
constexpr size_t kTextBudget = 16000;  // leaves room for the title, the JSON around it and escaping

class DingTalk : public Platform {
 public:
  std::string name() const override { return "dingtalk"; }

  std::vector<RateLimit> rate_limits() const override { return {{20, std::chrono::minutes(1)}}; }

  OutgoingRequest Build(const Notification& notification, const Target& target, const MessageSettings& settings,
                        int64_t now_ms) const override {
    std::string url = target.url;
    if (!target.secret.empty()) {
      url = WithQuery(
          url, "timestamp=" + std::to_string(now_ms) + "&sign=" + UrlEncode(DingTalkSign(target.secret, now_ms)));
    }
    const bool mention = MentionsApply(notification, target.mentions);
    std::string mention_line;  // from the targets file only, never from the alert
    if (mention) {
      for (const std::string& mobile : target.mentions.mobiles)
        mention_line += (mention_line.empty() ? "@" : " @") + mobile;
      for (const std::string& id : target.mentions.user_ids) mention_line += (mention_line.empty() ? "@" : " @") + id;
    }
    return FitBody(kMaxBodyBytes, kTextBudget, [&](size_t budget) {
      const size_t room = mention_line.empty() ? 0 : mention_line.size() + 2;
      const Message message = RenderMessage(
          notification,
          RenderOptionsFor(settings, {.heading = true, .paragraph_break = "\n\n"}, budget > room ? budget - room : 0));
      nlohmann::json body = {
          {"msgtype", "markdown"},
          {"markdown",
           {{"title", message.title}, {"text", message.text + (mention_line.empty() ? "" : "\n\n" + mention_line)}}}};
      if (mention) {
        body["at"] = {{"atMobiles", target.mentions.mobiles},
                      {"atUserIds", target.mentions.user_ids},
                      {"isAtAll", target.mentions.all}};
      }
      return OutgoingRequest{url, body.dump(), message.alerts_shown, message.alerts_omitted, ""};
    });
  }

  Verdict Classify(const HttpReply& reply) const override {
    // 130101: too many messages this minute; -1: "system busy". Both clear up on their own.
    return ClassifyCodeReply(reply, {"errcode"}, "errmsg", {130101, -1});
  }
};

}  // namespace

std::unique_ptr<Platform> MakeDingTalk() { return std::make_unique<DingTalk>(); }

}  // namespace aggregator::relay
