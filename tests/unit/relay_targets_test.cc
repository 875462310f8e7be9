// Relay unit tests of the chat targets file: parsing and its errors (naming the key, never a secret), @-mentions per
// platform (only from the file, only while a listed severity fires), and reloading (a bad file keeps the targets).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "relay/relay.h"
#include "relay_fixtures.h"

namespace aggregator::relay {
namespace {

using nlohmann::json;
using testing::SampleNotification;
using testing::SamplePayload;

constexpr int64_t kNowMs = 1700000000000;
const MessageSettings kZh{Language::kZh, "http://127.0.0.1:8080", ""};

// Files the targets file may name, as a fake disk.
FileReader FakeDisk(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

std::string Parse(const std::string& yaml, std::map<std::string, Target>* targets,
                  const FileReader& disk = FakeDisk({})) {
  return ParseTargetsYaml(yaml, "/etc/observer", disk, targets);
}

constexpr const char* kTwoRobots = R"yaml(
targets:
  oncall:
    platform: dingtalk
    url: https://oapi.dingtalk.com/robot/send?access_token=ONCALL
    secret_file: oncall.secret
    mention:
      all: false
      mobiles: ["13800000000", "+86-13900000000"]
      user_ids: [manager01]
  ops:
    platform: feishu
    url_file: /run/secrets/ops-url
    mention: {all: true, severities: [critical, warning]}
)yaml";

TEST(RelayTargetsTest, ParsesNamedTargetsWithSecretsFromFiles) {
  std::map<std::string, Target> targets;
  const FileReader disk = FakeDisk({{"/etc/observer/oncall.secret", "SEC-oncall"},
                                    {"/run/secrets/ops-url", "https://open.feishu.cn/open-apis/bot/v2/hook/OPS"}});
  ASSERT_EQ(Parse(kTwoRobots, &targets, disk), "");
  ASSERT_EQ(targets.size(), 2u);
  const Target& oncall = targets.at("oncall");
  EXPECT_EQ(oncall.platform, "dingtalk");
  EXPECT_EQ(oncall.secret, "SEC-oncall") << "a relative secret_file lies beside the targets file";
  EXPECT_EQ(oncall.mentions.mobiles, (std::vector<std::string>{"13800000000", "+86-13900000000"}));
  EXPECT_EQ(oncall.mentions.user_ids, std::vector<std::string>{"manager01"});
  EXPECT_EQ(oncall.mentions.severities, std::vector<std::string>{"critical"}) << "the default: critical only";
  const Target& ops = targets.at("ops");
  EXPECT_EQ(ops.url, "https://open.feishu.cn/open-apis/bot/v2/hook/OPS");
  EXPECT_TRUE(ops.mentions.all);
  EXPECT_EQ(ops.mentions.severities, (std::vector<std::string>{"critical", "warning"}));
  EXPECT_EQ(Parse("", &targets), "") << "an empty file names no targets";
  EXPECT_TRUE(targets.empty());
}

TEST(RelayTargetsTest, ErrorsNameTheKeyAndKeepTheTargets) {
  std::map<std::string, Target> targets;
  ASSERT_EQ(Parse("targets:\n  a: {platform: webhook, url: 'http://h/x'}\n", &targets), "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"targets:\n  a: {platform: slack, url: 'http://h/x'}",
       "targets.a.platform: expected dingtalk, feishu, wecom or webhook"},
      {"targets:\n  a: {url: 'http://h/x'}", "targets.a.platform: missing"},
      {"targets:\n  a: {platform: webhook}", "targets.a: give exactly one of url and url_file"},
      {"targets:\n  a: {platform: webhook, url: 'ftp://h/SECRET-PATH'}",
       "targets.a.url: expected an http:// or https:// URL"},
      {"targets:\n  a: {platform: webhook, url_file: missing.txt}", "targets.a.url_file: cannot read missing.txt"},
      {"targets:\n  a: {platform: webhook, url: 'http://h/x', secret: s}", "targets.a: webhook robots are not signed"},
      {"targets:\n  a: {platform: webhook, url: 'http://h/x', mentions: {all: true}}",
       "targets.a.mentions: unknown key"},
      {"targets:\n  a: {platform: dingtalk, url: 'http://h/x', mention: {all: yes-please}}",
       "targets.a.mention.all: expected true or false"},
      {"targets:\n  a: {platform: dingtalk, url: 'http://h/x', mention: {mobiles: ['138<at id=all>']}}",
       "targets.a.mention.mobiles: '138<at id=all>' is not a mobile number"},
      {"targets:\n  a: {platform: feishu, url: 'http://h/x', mention: {user_ids: ['ou_1></at><at id=all']}}",
       "targets.a.mention.user_ids:"},
      {"targets:\n  a: {platform: feishu, url: 'http://h/x', mention: {mobiles: ['13800000000']}}",
       "targets.a.mention.mobiles: Feishu bots mention by user_ids"},
      {"targets:\n  'a/b': {platform: webhook, url: 'http://h/x'}", "targets.a/b: a name is 1-64 letters"},
      {"target:\n  a: {}", "the document.target: unknown key"},
      {"targets: [", "not valid YAML"},
  };
  for (const auto& [yaml, expected] : cases) {
    const std::string error = Parse(yaml, &targets);
    EXPECT_EQ(error.rfind(expected, 0), 0u) << yaml << "\n gave: " << error;
    EXPECT_EQ(error.find("SECRET-PATH"), std::string::npos) << "an error never echoes a URL";
  }
  EXPECT_EQ(targets.size(), 1u) << "a bad file leaves the previous targets";
}

Notification Resolved() {
  Notification n = SampleNotification();
  for (Alert& alert : n.alerts) alert.status = "resolved";
  return n;
}

Target Mentioning(const std::string& platform) {
  Target target = testing::Robot("http://h/send?key=K");
  target.platform = platform;
  target.mentions.all = true;
  target.mentions.mobiles = {"13800000000"};
  target.mentions.user_ids = {"ou_abc"};
  return target;
}

TEST(RelayMentionsTest, OnlyWhileAListedSeverityFires) {
  const Target target = Mentioning("dingtalk");
  EXPECT_TRUE(MentionsApply(SampleNotification(), target.mentions)) << "the sample has firing critical alerts";
  EXPECT_FALSE(MentionsApply(Resolved(), target.mentions)) << "a resolved message pings nobody";
  Mentions warnings_only = target.mentions;
  warnings_only.severities = {"warning"};
  EXPECT_FALSE(MentionsApply(SampleNotification(), warnings_only)) << "the sample's warning is resolved";
  EXPECT_FALSE(MentionsApply(SampleNotification(), Mentions{})) << "nobody to mention";
}

TEST(RelayMentionsTest, DingTalkAtBlockAndMobilesInTheText) {
  const json body = json::parse(MakeDingTalk()->Build(SampleNotification(), Mentioning("dingtalk"), kZh, kNowMs).body);
  EXPECT_EQ(body["at"], json({{"atMobiles", {"13800000000"}}, {"atUserIds", {"ou_abc"}}, {"isAtAll", true}}));
  const std::string text = body["markdown"]["text"];
  EXPECT_NE(text.find("\n\n@13800000000 @ou_abc"), std::string::npos) << text;
  const json quiet = json::parse(MakeDingTalk()->Build(Resolved(), Mentioning("dingtalk"), kZh, kNowMs).body);
  EXPECT_FALSE(quiet.contains("at"));
  EXPECT_EQ(quiet["markdown"]["text"].get<std::string>().find("@1380"), std::string::npos);
}

TEST(RelayMentionsTest, FeishuAtTagsInTheCard) {
  Target target = Mentioning("feishu");
  target.mentions.mobiles.clear();
  const json body = json::parse(MakeFeishu()->Build(SampleNotification(), target, kZh, kNowMs).body);
  const std::string text = body["card"]["elements"][0]["text"]["content"];
  EXPECT_NE(text.find("\n<at id=all></at> <at id=ou_abc></at>"), std::string::npos) << text;
  // The sample's token named "<at id=all></at>" is still neutralised: the only live tag is the file's.
  EXPECT_EQ(text.find("<at id=all>"), text.rfind("<at id=all>"));
}

TEST(RelayMentionsTest, WeComTextMessageFollowsTheMarkdown) {
  const OutgoingRequest request = MakeWeCom()->Build(SampleNotification(), Mentioning("wecom"), kZh, kNowMs);
  EXPECT_EQ(json::parse(request.body)["msgtype"], "markdown");
  ASSERT_FALSE(request.follow_up_body.empty());
  const json follow_up = json::parse(request.follow_up_body);
  EXPECT_EQ(follow_up["msgtype"], "text");
  EXPECT_EQ(follow_up["text"]["mentioned_mobile_list"], json({"13800000000"}));
  EXPECT_EQ(follow_up["text"]["mentioned_list"], json({"ou_abc", "@all"}));
  EXPECT_EQ(follow_up["text"]["content"], "[告警] NewApiBurst 等 3 条");
  EXPECT_TRUE(MakeWeCom()->Build(Resolved(), Mentioning("wecom"), kZh, kNowMs).follow_up_body.empty());
}

TEST(RelayMentionsTest, WebhookCarriesTheMentions) {
  const json body = json::parse(MakeWebhook()->Build(SampleNotification(), Mentioning("webhook"), kZh, kNowMs).body);
  EXPECT_EQ(body["mentions"]["mobiles"], json({"13800000000"}));
  EXPECT_FALSE(
      json::parse(MakeWebhook()->Build(Resolved(), Mentioning("webhook"), kZh, kNowMs).body).contains("mentions"));
}

// A DingTalk robot with the keyword check refuses messages without one of its keywords: every message the relay
// sends in Chinese carries "告警" (firing, resolved, mixed, one alert cut short), in English "FIRING" or "RESOLVED".
TEST(RelayMentionsTest, EveryDingTalkMessageCarriesTheKeyword) {
  Notification firing = SampleNotification();
  firing.alerts.resize(1);
  const Notification huge = testing::ManyAlerts(1, std::string(30000, 'x'));
  const MessageSettings en{Language::kEn, "http://ui", ""};
  for (const Notification& n : {SampleNotification(), firing, Resolved(), huge}) {
    const json zh = json::parse(MakeDingTalk()->Build(n, testing::Robot("http://h/x"), kZh, kNowMs).body);
    const std::string zh_text = zh["markdown"]["text"];
    EXPECT_NE(zh_text.find("告警"), std::string::npos) << zh_text.substr(0, 300);
    const json english = json::parse(MakeDingTalk()->Build(n, testing::Robot("http://h/x"), en, kNowMs).body);
    const std::string en_text = english["markdown"]["text"];
    EXPECT_TRUE(en_text.find("FIRING") != std::string::npos || en_text.find("RESOLVED") != std::string::npos)
        << en_text.substr(0, 300);
  }
}

// The relay reads the targets file at start and on reload; a bad file keeps the running targets and says so in the
// gauge; a name of the environment's robots cannot be taken by the file.
TEST(RelayReloadTest, BadFileKeepsThePreviousTargets) {
  const std::string file = ::testing::TempDir() + "/chat-targets-test.yaml";
  auto write = [&file](const std::string& text) { std::ofstream(file) << text; };
  RelayOptions options;
  options.message = kZh;
  options.token = "relay-token-0123456789";
  options.targets["dingtalk"] = testing::Robot("http://127.0.0.1:1/robot/send?access_token=ENV");
  options.targets["dingtalk"].platform = "dingtalk";
  options.targets_file = file;
  prometheus::Registry registry;
  std::vector<std::string> sent_to;
  Relay relay(options, registry, [&](const Url& url, const std::string&) {
    sent_to.push_back(url.target);
    return HttpReply{true, "", 200, R"({"errcode":0,"errmsg":"ok"})"};
  });
  auto gauge = [&registry](const std::string& name) {
    for (const auto& family : registry.Collect()) {
      if (family.name == name && !family.metric.empty()) return family.metric[0].gauge.value;
    }
    return -1.0;
  };
  write("targets:\n  oncall: {platform: dingtalk, url: 'http://127.0.0.1:1/oncall?access_token=A'}\n");
  ASSERT_EQ(relay.Reload(), "");
  EXPECT_EQ(relay.Handle("oncall", "application/json", SamplePayload()).status, 200);
  write(
      "targets:\n  oncall: {platform: dingtalk, url: 'http://127.0.0.1:1/oncall?access_token=A'}\n  bad: {platform: "
      "x}\n");
  EXPECT_EQ(relay.Reload().rfind("targets.bad.platform", 0), 0u);
  EXPECT_EQ(gauge("newapi_aggregator_relay_config_last_reload_successful"), 0);
  EXPECT_EQ(relay.Handle("oncall", "application/json", SamplePayload()).status, 200) << "the previous targets stay";
  write("targets:\n  dingtalk: {platform: dingtalk, url: 'http://127.0.0.1:1/x'}\n");
  EXPECT_EQ(relay.Reload(), "targets.dingtalk: the name is taken by DINGTALK_WEBHOOK_URL; choose another name");
  write("targets:\n  ops: {platform: dingtalk, url: 'http://127.0.0.1:1/ops?access_token=B'}\n");
  ASSERT_EQ(relay.Reload(), "");
  EXPECT_EQ(gauge("newapi_aggregator_relay_config_last_reload_successful"), 1);
  EXPECT_EQ(relay.Handle("oncall", "application/json", SamplePayload()).status, 404) << "removed by the reload";
  EXPECT_EQ(relay.Handle("ops", "application/json", SamplePayload()).status, 200);
  EXPECT_EQ(relay.Handle("dingtalk", "application/json", SamplePayload()).status, 200)
      << "the environment's robot stays";
  EXPECT_EQ(sent_to.size(), 4u);
  std::remove(file.c_str());
}

TEST(RelayReloadTest, ATargetsFileNeedsARelayToken) {
  RelayOptions options;
  options.targets_file = ::testing::TempDir() + "/chat-targets-token-test.yaml";
  std::ofstream(options.targets_file) << "targets:\n  a: {platform: webhook, url: 'http://127.0.0.1:1/x'}\n";
  prometheus::Registry registry;
  Relay relay(options, registry, [](const Url&, const std::string&) { return HttpReply{}; });
  EXPECT_NE(relay.Reload().find("RELAY_TOKEN"), std::string::npos);
  std::remove(options.targets_file.c_str());
}

}  // namespace
}  // namespace aggregator::relay
