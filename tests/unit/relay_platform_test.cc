// Relay unit tests per platform: request snapshots (tests/unit/relay_snapshots; RELAY_UPDATE_SNAPSHOTS=1 rewrites
// them for review), size limits, and the classification of the platforms' answers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "relay/platform.h"
#include "relay_fixtures.h"

namespace aggregator::relay {
namespace {

using nlohmann::json;
using testing::ManyAlerts;
using testing::Robot;
using testing::SampleNotification;

constexpr int64_t kNowMs = 1700000000000;
// Runbooks under https://example.com: the sample's runbook link lies there.
const MessageSettings kZh{Language::kZh, "http://127.0.0.1:8080", "https://example.com"};
const MessageSettings kEn{Language::kEn, "http://127.0.0.1:8080", "https://example.com"};

// Compares the request with the stored snapshot (URL and parsed body).
void ExpectSnapshot(const std::string& name, const OutgoingRequest& request) {
  const json actual = {{"url", request.url}, {"body", json::parse(request.body)}};
  const std::string path = std::string(RELAY_SNAPSHOT_DIR) + "/" + name + ".json";
  if (std::getenv("RELAY_UPDATE_SNAPSHOTS") != nullptr) {
    std::ofstream(path) << actual.dump(2, ' ', false) << "\n";
    return;
  }
  std::ifstream file(path);
  ASSERT_TRUE(file) << "no snapshot " << path << " (run with RELAY_UPDATE_SNAPSHOTS=1 and review it)";
  std::stringstream text;
  text << file.rdbuf();
  const json expected = json::parse(text.str());
  EXPECT_EQ(actual, expected) << name << " differs from its snapshot; actual:\n" << actual.dump(2);
}

HttpReply Reply(int status, const std::string& body) { return {true, "", status, body}; }
HttpReply NoAnswer() { return {false, "Connection", 0, ""}; }

TEST(RelayPlatformTest, DingTalkSignedMarkdownSnapshot) {
  const auto dingtalk = MakeDingTalk();
  const Target target =
      Robot("https://oapi.dingtalk.com/robot/send?access_token=TOKEN", "SEC0123456789abcdef0123456789abcdef");
  const OutgoingRequest request = dingtalk->Build(SampleNotification(), target, kZh, kNowMs);
  // The signature parameters carry the independently computed vector (see relay_message_test.cc).
  EXPECT_EQ(request.url,
            "https://oapi.dingtalk.com/robot/send?access_token=TOKEN&timestamp=1700000000000"
            "&sign=hJ95%2FXWePTzrSwXDHEJJY1Ta0B6qiG%2FYMxNzB4v4U2w%3D");
  ExpectSnapshot("dingtalk_zh", request);
  const OutgoingRequest unsigned_request = dingtalk->Build(SampleNotification(), Robot(target.url, ""), kEn, kNowMs);
  EXPECT_EQ(unsigned_request.url, target.url);
  ExpectSnapshot("dingtalk_en_unsigned", unsigned_request);
}

TEST(RelayPlatformTest, FeishuSignedCardSnapshot) {
  const auto feishu = MakeFeishu();
  const Target target =
      Robot("https://open.feishu.cn/open-apis/bot/v2/hook/HOOK", "SEC0123456789abcdef0123456789abcdef");
  const OutgoingRequest request = feishu->Build(SampleNotification(), target, kZh, kNowMs);
  EXPECT_EQ(request.url, target.url) << "Feishu signs in the body, not the URL";
  const json body = json::parse(request.body);
  EXPECT_EQ(body["timestamp"], "1700000000");
  EXPECT_EQ(body["sign"], "cJi2nEs/kts3q9bxE8LauCnTjItArjUsMjsbIH3/wuk=");
  EXPECT_EQ(body["card"]["header"]["template"], "red");
  ExpectSnapshot("feishu_zh", request);
}

TEST(RelayPlatformTest, WeComMarkdownSnapshot) {
  const auto wecom = MakeWeCom();
  ExpectSnapshot("wecom_zh",
                 wecom->Build(SampleNotification(),
                              Robot("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY", ""), kZh, kNowMs));
}

TEST(RelayPlatformTest, WebhookJsonSnapshot) {
  const auto webhook = MakeWebhook();
  ExpectSnapshot("webhook_en",
                 webhook->Build(SampleNotification(), Robot("http://127.0.0.1:9999/alerts", ""), kEn, kNowMs));
}

TEST(RelayPlatformTest, WeComContentStaysWithin4096Bytes) {
  const OutgoingRequest request = MakeWeCom()->Build(ManyAlerts(60, "阈值 120 次/60 秒，实际 130 次。"),
                                                     Robot("http://h/send?key=K", ""), kZh, kNowMs);
  const std::string content = json::parse(request.body)["markdown"]["content"];
  EXPECT_LE(content.size(), 4096u);
  EXPECT_GT(request.alerts_omitted, 0);
  EXPECT_NE(content.find("另有 " + std::to_string(request.alerts_omitted) + " 条未列出"), std::string::npos);
}

TEST(RelayPlatformTest, DingTalkAndFeishuBodiesStayWithin20000BytesEvenWhenEscapingGrowsThem) {
  // Quotes and backslashes double in JSON; the body must still fit.
  const Notification n = ManyAlerts(400, std::string(300, '"') + std::string(300, '\\'));
  for (const auto& platform : {MakeDingTalk(), MakeFeishu()}) {
    const OutgoingRequest request = platform->Build(n, Robot("http://h/x", "s"), kZh, kNowMs);
    EXPECT_LE(request.body.size(), 20000u) << platform->name();
    EXPECT_GT(request.alerts_shown, 0) << platform->name();
  }
}

TEST(RelayPlatformTest, FeishuResolvedCardIsGreen) {
  Notification n = SampleNotification();
  for (Alert& alert : n.alerts) alert.status = "resolved";
  const json body = json::parse(MakeFeishu()->Build(n, Robot("http://h/x", ""), kZh, kNowMs).body);
  EXPECT_EQ(body["card"]["header"]["template"], "green");
  EXPECT_FALSE(body.contains("sign")) << "no secret, no signature";
}

TEST(RelayClassifyTest, DingTalk) {
  const auto p = MakeDingTalk();
  EXPECT_EQ(p->Classify(Reply(200, R"({"errcode":0,"errmsg":"ok"})")).outcome, Outcome::kDelivered);
  const Verdict sign = p->Classify(Reply(200, R"({"errcode":310000,"errmsg":"sign not match"})"));
  EXPECT_EQ(sign.outcome, Outcome::kPermanent);
  EXPECT_EQ(sign.reason, "HTTP 200, code 310000: sign not match");
  EXPECT_EQ(p->Classify(Reply(200, R"({"errcode":130101,"errmsg":"send too fast"})")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(200, R"({"errcode":-1,"errmsg":"busy"})")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(200, "<html>proxy</html>")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(302, "")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(500, "")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(404, "")).outcome, Outcome::kPermanent);
  const Verdict none = p->Classify(NoAnswer());
  EXPECT_EQ(none.outcome, Outcome::kTransient);
  EXPECT_EQ(none.reason, "no answer: Connection");
}

TEST(RelayClassifyTest, Feishu) {
  const auto p = MakeFeishu();
  EXPECT_EQ(p->Classify(Reply(200, R"({"code":0,"data":{},"msg":"success"})")).outcome, Outcome::kDelivered);
  EXPECT_EQ(p->Classify(Reply(200, R"({"Extra":null,"StatusCode":0,"StatusMessage":"success"})")).outcome,
            Outcome::kDelivered);
  EXPECT_EQ(p->Classify(Reply(200, R"({"code":19021,"msg":"sign match fail"})")).outcome, Outcome::kPermanent);
  EXPECT_EQ(p->Classify(Reply(200, R"({"code":9499,"msg":"too many request"})")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(200, R"({"code":11232,"msg":"frequency limited"})")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(400, R"({"code":99991400,"msg":"request trigger frequency limit"})")).outcome,
            Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(400, R"({"code":9499,"msg":"Bad Request"})")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(Reply(400, R"({"code":19001,"msg":"param invalid"})")).outcome, Outcome::kPermanent);
  EXPECT_EQ(p->Classify(Reply(429, "")).outcome, Outcome::kTransient);
}

TEST(RelayClassifyTest, WeCom) {
  const auto p = MakeWeCom();
  EXPECT_EQ(p->Classify(Reply(200, R"({"errcode":0,"errmsg":"ok"})")).outcome, Outcome::kDelivered);
  EXPECT_EQ(p->Classify(Reply(200, R"({"errcode":40058,"errmsg":"markdown.content exceed max length 4096"})")).outcome,
            Outcome::kPermanent);
  EXPECT_EQ(p->Classify(Reply(200, R"({"errcode":93000,"errmsg":"invalid webhook url"})")).outcome,
            Outcome::kPermanent);
  EXPECT_EQ(p->Classify(Reply(200, R"({"errcode":45009,"errmsg":"api freq out of limit"})")).outcome,
            Outcome::kTransient);
}

TEST(RelayClassifyTest, GenericWebhookLooksAtHttpOnly) {
  const auto p = MakeWebhook();
  EXPECT_EQ(p->Classify(Reply(204, "")).outcome, Outcome::kDelivered);
  EXPECT_EQ(p->Classify(Reply(200, R"({"errcode":310000})")).outcome, Outcome::kDelivered);
  EXPECT_EQ(p->Classify(Reply(400, "")).outcome, Outcome::kPermanent);
  EXPECT_EQ(p->Classify(Reply(503, "")).outcome, Outcome::kTransient);
  EXPECT_EQ(p->Classify(NoAnswer()).outcome, Outcome::kTransient);
}

TEST(RelayUrlTest, ParsesWhatRobotsUse) {
  const auto dingtalk = ParseUrl("https://oapi.dingtalk.com/robot/send?access_token=abc");
  ASSERT_TRUE(dingtalk);
  EXPECT_EQ(dingtalk->scheme, "https");
  EXPECT_EQ(dingtalk->host, "oapi.dingtalk.com");
  EXPECT_EQ(dingtalk->port, 443);
  EXPECT_EQ(dingtalk->target, "/robot/send?access_token=abc");
  const auto local = ParseUrl("http://127.0.0.1:23401");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->port, 23401);
  EXPECT_EQ(local->target, "/");
  const auto query_only = ParseUrl("http://h?k=v");
  ASSERT_TRUE(query_only);
  EXPECT_EQ(query_only->target, "/?k=v");
  const auto v6 = ParseUrl("http://[::1]:8080/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  for (const char* bad : {"ftp://h/x", "oapi.dingtalk.com/robot", "http://", "http://h:0/", "http://h:99999/",
                          "http://h:12x/", "http://user:pw@h/", "http://h/x#frag", "http://[::1/"}) {
    EXPECT_FALSE(ParseUrl(bad)) << bad;
  }
}

TEST(RelayUrlTest, WithQuery) {
  EXPECT_EQ(WithQuery("http://h/send?access_token=t", "a=1"), "http://h/send?access_token=t&a=1");
  EXPECT_EQ(WithQuery("http://h/send", "a=1"), "http://h/send?a=1");
}

}  // namespace
}  // namespace aggregator::relay
