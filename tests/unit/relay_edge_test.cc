// Relay unit tests for the edge: per-robot rate limiting, the answers Alertmanager gets for each outcome (with a
// fake sender instead of the network), redaction of secrets, and the relay settings.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "relay/relay.h"
#include "relay/signing.h"
#include "relay_fixtures.h"

namespace aggregator::relay {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Robot;
using testing::SamplePayload;

constexpr const char* kJson = "application/json";  // Alertmanager's Content-Type

TEST(RelayRateLimiterTest, TwentyPerMinuteThenWaitForTheOldestToExpire) {
  RateLimiter limiter({{20, std::chrono::minutes(1)}});
  const RateLimiter::TimePoint t0{};
  milliseconds retry_after{0};
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(limiter.TryAcquire(t0 + seconds(i), &retry_after)) << i;
  EXPECT_FALSE(limiter.TryAcquire(t0 + seconds(30), &retry_after));
  EXPECT_EQ(retry_after, seconds(30)) << "the send at t0 frees its slot at t0 + 60 s";
  EXPECT_FALSE(limiter.TryAcquire(t0 + milliseconds(59999), &retry_after));
  EXPECT_EQ(retry_after, milliseconds(1));
  EXPECT_TRUE(limiter.TryAcquire(t0 + seconds(60), &retry_after)) << "sliding: one slot freed";
  EXPECT_FALSE(limiter.TryAcquire(t0 + seconds(60), &retry_after));
  EXPECT_TRUE(limiter.TryAcquire(t0 + seconds(61), &retry_after));
}

TEST(RelayRateLimiterTest, RefusedSendsDoNotCount) {
  RateLimiter limiter({{2, seconds(10)}});
  const RateLimiter::TimePoint t0{};
  milliseconds retry_after{0};
  EXPECT_TRUE(limiter.TryAcquire(t0, &retry_after));
  EXPECT_TRUE(limiter.TryAcquire(t0, &retry_after));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.TryAcquire(t0 + seconds(5), &retry_after));
  EXPECT_TRUE(limiter.TryAcquire(t0 + seconds(10), &retry_after));
}

TEST(RelayRateLimiterTest, EveryWindowMustHaveRoom) {
  RateLimiter limiter({{100, std::chrono::minutes(1)}, {5, seconds(1)}});  // Feishu
  const RateLimiter::TimePoint t0{};
  milliseconds retry_after{0};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.TryAcquire(t0, &retry_after));
  EXPECT_FALSE(limiter.TryAcquire(t0 + milliseconds(500), &retry_after));
  EXPECT_EQ(retry_after, milliseconds(500));
  EXPECT_TRUE(limiter.TryAcquire(t0 + seconds(1), &retry_after));
  RateLimiter unlimited({});
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.TryAcquire(t0, &retry_after));
}

// A relay whose sender records requests and answers with the next canned reply.
class RelayEdgeTest : public ::testing::Test {
 protected:
  static constexpr const char* kDingTalkUrl = "http://127.0.0.1:1/robot/send?access_token=TOKEN-abc123";
  static constexpr const char* kSecret = "SEC-secret-value";

  void SetUp() override {
    RelayOptions options;
    options.message = {Language::kZh, "http://ui", ""};
    options.targets["dingtalk"] = Robot(kDingTalkUrl, kSecret);
    options.targets["webhook"] = Robot("http://127.0.0.1:1/alerts");
    relay_ = std::make_unique<Relay>(options, registry_, [this](const Url& url, const std::string& body) {
      sent_.push_back({url, body});
      return reply_;
    });
    relay_->SetClocks([] { return std::chrono::system_clock::time_point(milliseconds(1700000000000)); },
                      [this] { return now_; });
  }

  prometheus::Registry registry_;
  std::unique_ptr<Relay> relay_;
  std::vector<std::pair<Url, std::string>> sent_;
  HttpReply reply_{true, "", 200, R"({"errcode":0,"errmsg":"ok"})"};
  RateLimiter::TimePoint now_{};
};

TEST_F(RelayEdgeTest, DeliversSigned) {
  const RelayAnswer answer = relay_->Handle("dingtalk", kJson, SamplePayload());
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body["status"], "delivered");
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].first.target, "/robot/send?access_token=TOKEN-abc123&timestamp=1700000000000&sign=" +
                                       UrlEncode(DingTalkSign(kSecret, 1700000000000)));
  EXPECT_EQ(nlohmann::json::parse(sent_[0].second)["msgtype"], "markdown");
}

// The value of the series of family with all of these labels, or -1.
double MetricValue(prometheus::Registry& registry, const std::string& family_name,
                   const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != family_name) continue;
    for (const auto& metric : family.metric) {
      size_t matched = 0;
      for (const auto& label : metric.label) {
        auto it = labels.find(label.name);
        matched += it != labels.end() && it->second == label.value;
      }
      if (matched == labels.size()) {
        return family.type == prometheus::MetricType::Gauge ? metric.gauge.value : metric.counter.value;
      }
    }
  }
  return -1;
}

// Only configured targets exist: a name that is not one answers 404 and is counted, not "skipped" with 200.
TEST_F(RelayEdgeTest, UnknownTargetIs404AndCounted) {
  for (const char* name : {"wecom", "nosuch"}) {
    const RelayAnswer answer = relay_->Handle(name, kJson, SamplePayload());
    EXPECT_EQ(answer.status, 404) << name;
  }
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(MetricValue(registry_, "newapi_aggregator_relay_unknown_target_total", {}), 2);
  EXPECT_EQ(MetricValue(registry_, "newapi_aggregator_relay_target_configured", {{"target", "wecom"}}), -1);
  EXPECT_EQ(MetricValue(registry_, "newapi_aggregator_relay_target_configured",
                        {{"target", "dingtalk"}, {"platform", "dingtalk"}}),
            1);
}

// alertmanager.yml's default receiver posts to /relay/default: without a target of that name, every robot of the
// environment gets the message; with none at all it is skipped (a demo stack without robots is not failing).
TEST_F(RelayEdgeTest, DefaultTargetIsEveryEnvironmentRobot) {
  const RelayAnswer answer = relay_->Handle("default", kJson, SamplePayload());
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[0].first.target.rfind("/robot/send?access_token=TOKEN-abc123", 0), 0u);
  EXPECT_EQ(sent_[1].first.target, "/alerts");
  reply_ = {true, "", 500, ""};
  EXPECT_EQ(relay_->Handle("default", kJson, SamplePayload()).status, 502) << "the worst answer wins";

  prometheus::Registry registry;
  RelayOptions none;
  Relay empty(none, registry, [](const Url&, const std::string&) { return HttpReply{}; });
  const RelayAnswer skipped = empty.Handle("default", kJson, SamplePayload());
  EXPECT_EQ(skipped.status, 200);
  EXPECT_EQ(skipped.body["status"], "skipped");
  EXPECT_EQ(MetricValue(registry, "newapi_aggregator_relay_deliveries_total",
                        {{"target", "default"}, {"outcome", "not_configured"}}),
            1);
  EXPECT_EQ(empty.Handle("other", kJson, SamplePayload()).status, 404);
}

TEST_F(RelayEdgeTest, BadPayloadIs400) {
  EXPECT_EQ(relay_->Handle("dingtalk", kJson, "{not json").status, 400);
  EXPECT_EQ(relay_->Handle("dingtalk", kJson, R"({"status":"firing"})").status, 400);
  EXPECT_TRUE(sent_.empty());
}

// What a web page can send without a preflight (text/plain, forms) never reaches the parser: 415.
TEST_F(RelayEdgeTest, BodiesNotSentAsJsonAre415) {
  for (const char* content_type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "",
                                   "application/jsonx", "text/json", "application/json-seq"}) {
    const RelayAnswer answer = relay_->Handle("dingtalk", content_type, SamplePayload());
    EXPECT_EQ(answer.status, 415) << content_type;
    EXPECT_EQ(answer.body["error"], "the body must be sent as application/json");
  }
  EXPECT_EQ(relay_->Handle("default", "text/plain", SamplePayload()).status, 415) << "also on the default target";
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(relay_->Handle("dingtalk", "Application/JSON; charset=utf-8", SamplePayload()).status, 200);
  EXPECT_TRUE(IsJsonContentType(" application/json ;charset=UTF-8"));
}

// A label value nested 100,000 deep crashed the aggregator (recursion in dump()): now a 400 naming the cause.
TEST_F(RelayEdgeTest, DeepOrNonStringLabelsAre400) {
  const std::string deep = R"({"alerts":[{"status":"firing","labels":{"alertname":"X","deep":)" +
                           std::string(100000, '[') + std::string(100000, ']') + "}}]}";
  for (const char* platform : {"dingtalk", "webhook"}) {
    const RelayAnswer answer = relay_->Handle(platform, kJson, deep);
    EXPECT_EQ(answer.status, 400);
    EXPECT_EQ(answer.body["error"],
              "not an Alertmanager webhook payload: the body is JSON nested deeper than 16 levels");
  }
  const RelayAnswer answer = relay_->Handle("webhook", kJson, R"({"alerts":[{"labels":{"alertname":{"a":1}}}]})");
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body["error"], "not an Alertmanager webhook payload: alerts[0].labels.alertname is not a string");
  EXPECT_TRUE(sent_.empty());
}

TEST_F(RelayEdgeTest, EmptyAlertListSendsNothing) {
  EXPECT_EQ(relay_->Handle("dingtalk", kJson, R"({"status":"firing","alerts":[]})").status, 200);
  EXPECT_TRUE(sent_.empty());
}

TEST_F(RelayEdgeTest, TransientFailuresAre5xxPermanentOnes4xx) {
  reply_ = {false, "Read", 0, ""};
  EXPECT_EQ(relay_->Handle("dingtalk", kJson, SamplePayload()).status, 502);
  reply_ = {true, "", 503, ""};
  EXPECT_EQ(relay_->Handle("dingtalk", kJson, SamplePayload()).status, 502);
  reply_ = {true, "", 200, R"({"errcode":130101,"errmsg":"send too fast"})"};
  EXPECT_EQ(relay_->Handle("dingtalk", kJson, SamplePayload()).status, 502);
  reply_ = {true, "", 200, R"({"errcode":310000,"errmsg":"sign not match"})"};
  EXPECT_EQ(relay_->Handle("dingtalk", kJson, SamplePayload()).status, 422);
  reply_ = {true, "", 404, ""};
  EXPECT_EQ(relay_->Handle("webhook", kJson, SamplePayload()).status, 422);
}

TEST_F(RelayEdgeTest, SecretsEchoedByThePlatformAreRedacted) {
  reply_ = {true, "", 200,
            std::string(R"({"errcode":310000,"errmsg":"bad token TOKEN-abc123 with )") + kSecret + R"("})"};
  const std::string answer = relay_->Handle("dingtalk", kJson, SamplePayload()).body.dump();
  EXPECT_EQ(answer.find("TOKEN-abc123"), std::string::npos) << answer;
  EXPECT_EQ(answer.find(kSecret), std::string::npos) << answer;
  EXPECT_NE(answer.find("<redacted>"), std::string::npos) << answer;
}

TEST_F(RelayEdgeTest, TwentyFirstMessageInAMinuteIs503WithRetryAfter) {
  for (int i = 0; i < 20; ++i) EXPECT_EQ(relay_->Handle("dingtalk", kJson, SamplePayload()).status, 200) << i;
  const RelayAnswer limited = relay_->Handle("dingtalk", kJson, SamplePayload());
  EXPECT_EQ(limited.status, 503);
  EXPECT_EQ(limited.retry_after_seconds, 60);
  EXPECT_EQ(sent_.size(), 20u) << "a rate-limited message is not sent";
  now_ += seconds(60);
  EXPECT_EQ(relay_->Handle("dingtalk", kJson, SamplePayload()).status, 200);
  // The generic webhook has no limit.
  for (int i = 0; i < 30; ++i) EXPECT_EQ(relay_->Handle("webhook", kJson, SamplePayload()).status, 200);
}

// Settings through the real Config loader with a fake environment.
observer::Config LoadConfig(const std::map<std::string, std::string>& env) {
  return observer::Config::Load(RelaySettings(), {}, [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(RelayOptionsTest, DefaultsAndTargets) {
  const RelayOptions none = ParseRelayOptions(LoadConfig({}));
  EXPECT_TRUE(none.targets.empty());
  EXPECT_EQ(none.message.language, Language::kZh);
  EXPECT_EQ(none.message.frontend_url, "http://127.0.0.1:8080");
  const RelayOptions some =
      ParseRelayOptions(LoadConfig({{"RELAY_TOKEN", "relay-token-0123456789"},
                                    {"DINGTALK_WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send?access_token=t"},
                                    {"DINGTALK_SECRET", "s"},
                                    {"ALERT_WEBHOOK_URL", "http://127.0.0.1:9/x"},
                                    {"ALERT_LANGUAGE", "en"},
                                    {"FRONTEND_URL", "https://observer.example.com/"}}));
  EXPECT_EQ(some.targets.size(), 2u);
  EXPECT_EQ(some.targets.at("dingtalk").secret, "s");
  EXPECT_EQ(some.message.language, Language::kEn);
  EXPECT_EQ(some.message.frontend_url, "https://observer.example.com");
  EXPECT_EQ(none.message.runbook_base_url, "") << "runbook paths stay text by default";
  const RelayOptions runbooks =
      ParseRelayOptions(LoadConfig({{"RUNBOOK_BASE_URL", "https://git.example/observer/blob/main/"}}));
  EXPECT_EQ(runbooks.message.runbook_base_url, "https://git.example/observer/blob/main");
}

TEST(RelayOptionsTest, AChatTargetNeedsARelayToken) {
  try {
    ParseRelayOptions(LoadConfig({{"ALERT_WEBHOOK_URL", "http://127.0.0.1:9/x"}}));
    FAIL() << "accepted a chat target without RELAY_TOKEN";
  } catch (const observer::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("RELAY_TOKEN"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LoadConfig({{"RELAY_TOKEN", "short"}}), observer::ConfigError) << "16 characters at least";
  EXPECT_EQ(ParseRelayOptions(LoadConfig({{"RELAY_TOKEN", "0123456789abcdef"}})).token, "0123456789abcdef");
}

TEST_F(RelayEdgeTest, OnlyTheRelayTokenGetsIn) {
  RelayOptions options;
  options.token = "relay-token-0123456789";
  prometheus::Registry registry;
  Relay relay(options, registry, [](const Url&, const std::string&) { return HttpReply{}; });
  EXPECT_FALSE(relay.Refuse("Bearer relay-token-0123456789").has_value());
  for (const char* header : {"", "Bearer ", "Bearer relay-token-012345678", "Bearer relay-token-01234567890",
                             "bearer relay-token-0123456789", "Basic relay-token-0123456789"}) {
    const std::optional<RelayAnswer> refused = relay.Refuse(header);
    ASSERT_TRUE(refused.has_value()) << header;
    EXPECT_EQ(refused->status, 401) << header;
  }
  prometheus::Registry other;
  Relay off(RelayOptions{}, other, [](const Url&, const std::string&) { return HttpReply{}; });
  EXPECT_TRUE(off.Refuse("Bearer ").has_value()) << "no RELAY_TOKEN: nothing gets in";
}

TEST(RelayOptionsTest, ErrorsNameTheSettingButNeverEchoAUrl) {
  try {
    ParseRelayOptions(LoadConfig({{"FEISHU_WEBHOOK_URL", "open.feishu.cn/open-apis/bot/v2/hook/SECRET-HOOK"}}));
    FAIL() << "accepted a URL without a scheme";
  } catch (const observer::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("FEISHU_WEBHOOK_URL"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("SECRET-HOOK"), std::string::npos);
  }
  EXPECT_THROW(ParseRelayOptions(LoadConfig({{"ALERT_LANGUAGE", "fr"}})), observer::ConfigError);
  EXPECT_THROW(ParseRelayOptions(LoadConfig({{"FRONTEND_URL", "localhost:8080"}})), observer::ConfigError);
  EXPECT_THROW(ParseRelayOptions(LoadConfig({{"RUNBOOK_BASE_URL", "git.example/observer"}})), observer::ConfigError);
}

TEST(RelayOptionsTest, UrlsAndSecretsAreSecretSettings) {
  for (const observer::Setting& setting : RelaySettings()) {
    const bool holds_credentials = setting.env.find("URL") != std::string::npos && setting.env != "FRONTEND_URL" &&
                                   setting.env != "RUNBOOK_BASE_URL";
    if (holds_credentials || setting.env.find("SECRET") != std::string::npos) {
      EXPECT_TRUE(setting.secret) << setting.env;
    }
  }
}

}  // namespace
}  // namespace aggregator::relay
