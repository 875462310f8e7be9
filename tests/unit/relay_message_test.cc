// Relay unit tests for the pure text parts: signatures against independently computed vectors, UTF-8 truncation,
// markup neutralising, payload parsing and message rendering with "and N more".
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "relay/message.h"
#include "relay/signing.h"
#include "relay/text.h"
#include "relay_fixtures.h"

namespace aggregator::relay {
namespace {

using testing::ManyAlerts;
using testing::SampleNotification;

// Rendering for these tests: drill-down links on base_url, runbooks under https://example.com (the sample's), the
// default markdown style.
RenderOptions Options(Language language, size_t max_bytes, const std::string& base_url = "http://ui") {
  return {.language = language,
          .frontend_url = base_url,
          .runbook_base_url = "https://example.com",
          .style = {},
          .max_bytes = max_bytes};
}

// True when text is well-formed UTF-8 (no cut characters).
bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

// Vectors computed outside this code base, during development, with
//   printf '%s\n%s' "$TS" "$SECRET" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64      (DingTalk)
//   printf '' | openssl dgst -sha256 -hmac "$(printf '%s\n%s' "$TS" "$SECRET")" -binary | base64 (Feishu)
// and cross-checked with Python's hmac module.
TEST(RelaySigningTest, DingTalkVector) {
  EXPECT_EQ(DingTalkSign("SEC0123456789abcdef0123456789abcdef", 1700000000000),
            "hJ95/XWePTzrSwXDHEJJY1Ta0B6qiG/YMxNzB4v4U2w=");
  EXPECT_EQ(UrlEncode(DingTalkSign("SEC0123456789abcdef0123456789abcdef", 1700000000000)),
            "hJ95%2FXWePTzrSwXDHEJJY1Ta0B6qiG%2FYMxNzB4v4U2w%3D");
  EXPECT_EQ(DingTalkSign("密钥-secret", 1700000000123), "kUMNqcMrmZMIRvFj/uG5pSJxs2sq75W2C/KLPeVuzcw=");
}

TEST(RelaySigningTest, FeishuVector) {
  EXPECT_EQ(FeishuSign("SEC0123456789abcdef0123456789abcdef", 1700000000),
            "cJi2nEs/kts3q9bxE8LauCnTjItArjUsMjsbIH3/wuk=");
}

TEST(RelaySigningTest, HmacAndBase64Primitives) {
  // RFC 4231 test case 2.
  EXPECT_EQ(Base64(HmacSha256("Jefe", "what do ya want for nothing?")),
            Base64(std::string("\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26\x08\x95\x75\xc7"
                               "\x5a\x00\x3f\x08\x9d\x27\x39\x83\x9d\xec\x58\xb9\x64\xec\x38\x43",
                               32)));
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(UrlEncode("a+b/c=d e~_.-"), "a%2Bb%2Fc%3Dd%20e~_.-");
}

TEST(RelayTextTest, TruncateNeverSplitsACharacter) {
  const std::string text = "ab中文🔥é!";  // 1+1+3+3+4+2+1 bytes
  EXPECT_EQ(TruncateUtf8(text, 100), text);
  EXPECT_EQ(TruncateUtf8(text, 2), "ab");
  EXPECT_EQ(TruncateUtf8(text, 3), "ab");
  EXPECT_EQ(TruncateUtf8(text, 4), "ab");
  EXPECT_EQ(TruncateUtf8(text, 5), "ab中");
  EXPECT_EQ(TruncateUtf8(text, 11), "ab中文");
  EXPECT_EQ(TruncateUtf8(text, 12), "ab中文🔥");
  for (size_t max = 0; max <= text.size(); ++max) {
    const std::string_view cut = TruncateUtf8(text, max);
    EXPECT_LE(cut.size(), max);
    EXPECT_TRUE(IsValidUtf8(cut)) << "max " << max;
    EXPECT_GE(cut.size() + 3, max) << "gives up at most one character's bytes";
  }
}

TEST(RelayTextTest, NeutralizesMentionsAndLinksFromData) {
  const std::string out = NeutralizeMarkup("<at id=all></at>[x](http://evil)\nnext\tline", /*keep_newlines=*/false);
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('['), std::string::npos);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out, "＜at id=all＞＜/at＞［x］(http://evil) next line");
  EXPECT_EQ(NeutralizeMarkup("a\nb", /*keep_newlines=*/true), "a\nb");
}

TEST(RelayTextTest, RedactsEverySecret) {
  EXPECT_EQ(Redact("url http://h/send?access_token=abc and abc", {"abc", ""}),
            "url http://h/send?access_token=<redacted> and <redacted>");
}

TEST(RelayAlertTest, ParsesAlertmanagerPayload) {
  const Notification n = SampleNotification();
  EXPECT_EQ(n.version, "4");
  EXPECT_EQ(n.status, "firing");
  ASSERT_EQ(n.alerts.size(), 3u);
  EXPECT_EQ(n.firing_count(), 2);
  EXPECT_EQ(n.resolved_count(), 1);
  EXPECT_EQ(n.alerts[0].Label("subject_name"), "张三的key");
  EXPECT_EQ(n.alerts[0].Annotation("runbook_url"), "https://example.com/runbook.md#newapiburst");
  EXPECT_EQ(n.alerts[1].ends_at, "2024-05-01T11:30:00Z");
  EXPECT_EQ(n.external_url, "http://127.0.0.1:9093");
}

TEST(RelayAlertTest, RejectsWhatIsNotAPayload) {
  std::string error;
  EXPECT_FALSE(ParseNotification("not json", &error));
  EXPECT_EQ(error, "the body is not valid JSON");
  EXPECT_FALSE(ParseNotification(R"({"status":"firing"})", &error));
  EXPECT_EQ(error, "alerts is missing or not an array");
  EXPECT_FALSE(ParseNotification(R"({"alerts":[{"labels":["a"]}]})", &error));
  EXPECT_EQ(error, "alerts[0].labels is not an object");
  EXPECT_FALSE(ParseNotification("{\"alerts\":[{\"status\":\"\xff\"}]}", &error)) << "invalid UTF-8";
  EXPECT_TRUE(ParseNotification(R"({"alerts":[]})", &error));
}

// Alertmanager sends label and annotation values as strings only; anything else is refused, naming the field (it was
// dumped into the message before, recursing once per level of nesting).
TEST(RelayAlertTest, LabelsAndAnnotationsMustBeStrings) {
  std::string error;
  EXPECT_FALSE(ParseNotification(R"({"alerts":[{"labels":{"alertname":"X","n":7}}]})", &error));
  EXPECT_EQ(error, "alerts[0].labels.n is not a string");
  EXPECT_FALSE(ParseNotification(R"({"alerts":[{},{"annotations":{"summary":{"a":"b"}}}]})", &error));
  EXPECT_EQ(error, "alerts[1].annotations.summary is not a string");
  EXPECT_FALSE(ParseNotification(R"({"alerts":[],"commonLabels":{"x":null}})", &error));
  EXPECT_EQ(error, "commonLabels.x is not a string");
  EXPECT_FALSE(ParseNotification(R"({"alerts":[],"groupLabels":{"x":["a"]}})", &error));
  EXPECT_EQ(error, "groupLabels.x is not a string");
  EXPECT_FALSE(ParseNotification(R"({"alerts":[{"status":1}]})", &error));
  EXPECT_EQ(error, "alerts[0].status is not a string");
}

TEST(RelayAlertTest, DeepNestingIsRefusedBeforeParsing) {
  constexpr int kDepth = 100000;
  const std::string deep = R"({"alerts":[{"status":"firing","labels":{"alertname":"X","deep":)" +
                           std::string(kDepth, '[') + std::string(kDepth, ']') + "}}]}";
  std::string error;
  EXPECT_FALSE(ParseNotification(deep, &error));
  EXPECT_EQ(error, "the body is JSON nested deeper than 16 levels");
}

observer::TimeZone Zone(const std::string& name) {
  std::string error;
  std::optional<observer::TimeZone> zone = observer::TimeZone::Load(name, "/usr/share/zoneinfo", &error);
  EXPECT_TRUE(zone) << error;
  return zone.value_or(observer::TimeZone());
}

TEST(RelayMessageTest, ReadableTime) {
  EXPECT_EQ(ReadableTime("2024-05-01T12:00:00.123456789Z"), "2024-05-01 12:00:00 UTC");
  EXPECT_EQ(ReadableTime("2024-05-01T12:00:00Z"), "2024-05-01 12:00:00 UTC");
  EXPECT_EQ(ReadableTime("2024-05-01T20:00:00+08:00"), "2024-05-01 12:00:00 UTC");
  EXPECT_EQ(ReadableTime("yesterday"), "yesterday");
  EXPECT_EQ(ReadableTime("2024-05-01T12:00:00+0800"), "2024-05-01T12:00:00+0800");  // not RFC 3339: as is
}

TEST(RelayMessageTest, ReadableTimeInTheConfiguredZone) {
  EXPECT_EQ(ReadableTime("2024-05-01T12:00:00.5Z", Zone("Asia/Shanghai")), "2024-05-01 20:00:00 +08:00");
  EXPECT_EQ(ReadableTime("2024-12-31T20:30:00-05:00", Zone("Asia/Shanghai")), "2025-01-01 09:30:00 +08:00");
  // New York across its DST change (2024-03-10 07:00 UTC).
  EXPECT_EQ(ReadableTime("2024-03-10T06:59:59Z", Zone("America/New_York")), "2024-03-10 01:59:59 -05:00");
  EXPECT_EQ(ReadableTime("2024-03-10T07:00:00Z", Zone("America/New_York")), "2024-03-10 03:00:00 -04:00");
  EXPECT_EQ(ReadableTime("2024-05-01T12:00:00Z", Zone("+05:30")), "2024-05-01 17:30:00 +05:30");
}

TEST(RelayMessageTest, ChineseAnnotationsAndLocalTimes) {
  Notification notification;
  notification.status = "firing";
  Alert alert;
  alert.status = "firing";
  alert.labels = {{"alertname", "RiskBurst"}, {"severity", "critical"}};
  alert.annotations = {{"summary", "Token sk-team is sending a burst of requests"},
                       {"summary_zh", "令牌 sk-team 请求突增"},
                       {"description", "Token sk-team sent 150 requests within the burst window; the limit is 120."},
                       {"description_zh", "令牌 sk-team 在突增窗口内发出 150 次请求，上限为 120。"}};
  alert.starts_at = "2026-12-03T04:15:00Z";
  notification.alerts.push_back(alert);
  RenderOptions zh = Options(Language::kZh, 4096);
  zh.zone = Zone("Asia/Shanghai");
  const std::string text_zh = RenderMessage(notification, zh).text;
  EXPECT_NE(text_zh.find("令牌 sk-team 请求突增"), std::string::npos) << text_zh;
  EXPECT_NE(text_zh.find("上限为 120。"), std::string::npos) << text_zh;
  EXPECT_NE(text_zh.find("2026-12-03 12:15:00 +08:00"), std::string::npos) << text_zh;
  EXPECT_EQ(text_zh.find("burst window"), std::string::npos) << text_zh;
  const std::string text_en = RenderMessage(notification, Options(Language::kEn, 4096)).text;
  EXPECT_NE(text_en.find("the limit is 120."), std::string::npos) << text_en;
  EXPECT_NE(text_en.find("2026-12-03 04:15:00 UTC"), std::string::npos) << text_en;
  EXPECT_EQ(text_en.find("令牌"), std::string::npos) << text_en;
  // An alert without Chinese texts (a rule of the operator's own) keeps its English ones in a Chinese message.
  notification.alerts[0].annotations.erase("summary_zh");
  EXPECT_NE(RenderMessage(notification, zh).text.find("Token sk-team is sending"), std::string::npos);
}

TEST(RelayMessageTest, DrilldownUrl) {
  Alert alert;
  EXPECT_EQ(DrilldownUrl(alert, "http://ui"), "");
  alert.annotations["drilldown_path"] = "/anomalies/detail?rule=burst";
  EXPECT_EQ(DrilldownUrl(alert, "http://ui"), "http://ui/anomalies/detail?rule=burst");
  alert.annotations["drilldown_path"] = "anomalies";
  EXPECT_EQ(DrilldownUrl(alert, "http://ui"), "http://ui/anomalies");
}

// Anyone who reaches the relay writes the annotations: a drill-down link elsewhere is dropped, not forwarded.
TEST(RelayMessageTest, DrilldownLinksElsewhereAreDropped) {
  Alert alert;
  for (const char* path :
       {"https://evil.example/login", "HTTP://evil.example", "//evil.example/login", "/\\evil.example",
        "/\t/evil.example", "javascript:alert(1)", "data:text/html,x", "mailto:a@evil.example"}) {
    alert.annotations["drilldown_path"] = path;
    EXPECT_EQ(DrilldownUrl(alert, "http://ui"), "") << path;
  }
  alert.annotations["drilldown_path"] = "/anomalies?at=12:00";
  EXPECT_EQ(DrilldownUrl(alert, "http://ui"), "http://ui/anomalies?at=12:00")
      << "a colon after the path starts is data";
  EXPECT_TRUE(IsRelativePath("prometheus/runbook.md#riskburst"));
  EXPECT_FALSE(IsRelativePath(""));

  Notification n = SampleNotification();
  n.alerts[0].annotations["drilldown_path"] = "https://evil.example/login";
  const Message m = RenderMessage(n, Options(Language::kEn, 20000));
  EXPECT_EQ(m.text.find("evil.example/login"), std::string::npos) << m.text;
  EXPECT_EQ(m.alerts_shown, 3) << "the alert itself is still sent";
}

TEST(RelayMessageTest, ChineseMessageCarriesTheEvidenceAndLinks) {
  const Message m = RenderMessage(SampleNotification(), Options(Language::kZh, 20000, "http://ui:8080"));
  EXPECT_EQ(m.title, "[告警] NewApiBurst 等 3 条");
  EXPECT_EQ(m.alerts_shown, 3);
  EXPECT_EQ(m.alerts_omitted, 0);
  for (const char* expected :
       {"### [告警] NewApiBurst 等 3 条", "告警 2 条，已恢复 1 条", "**🔥 NewApiBurst** · 严重",
        "Token 42 made 130 requests in 60 s", "Threshold 120 requests per 60 s.\n\nScore 130.",
        "对象: token 42 (张三的key) · 规则: burst", "开始: 2024-05-01 12:00:00 UTC",
        "[查看详情](http://ui:8080/anomalies/detail?rule=burst&subject_type=token&subject_id=42)",
        "[处理手册](https://example.com/runbook.md#newapiburst)", "**✅ 已恢复 NewApiChannelErrorRatioHigh** · 警告",
        "标签: channel=7", "恢复: 2024-05-01 11:30:00 UTC"}) {
    EXPECT_NE(m.text.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << m.text;
  }
  EXPECT_EQ(m.text.find("job="), std::string::npos) << "Prometheus' own labels are noise";
  // Firing before resolved, whatever order Alertmanager sent them in.
  EXPECT_LT(m.text.find("subject_id=7"), m.text.find("NewApiChannelErrorRatioHigh"));
  // A user-chosen token name can neither mention everybody nor become a link.
  EXPECT_EQ(m.text.find("<at"), std::string::npos);
  EXPECT_EQ(m.text.find("[x]"), std::string::npos);
}

TEST(RelayMessageTest, EnglishMessage) {
  const Message m = RenderMessage(SampleNotification(), Options(Language::kEn, 20000));
  EXPECT_EQ(m.title, "[FIRING:2] NewApiBurst");
  for (const char* expected : {"2 firing, 1 resolved", "· critical", "Subject: token 42 (张三的key) · Rule: burst",
                               "[Details](http://ui/anomalies/", "[Runbook](",
                               "**✅ RESOLVED NewApiChannelErrorRatioHigh**", "Resolved: 2024-05-01 11:30:00 UTC"}) {
    EXPECT_NE(m.text.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << m.text;
  }
}

TEST(RelayMessageTest, RunbookThatIsNotAUrlIsShownAsText) {
  Notification n = SampleNotification();
  n.alerts[0].annotations["runbook_url"] = "prometheus/runbook.md#riskburst";
  RenderOptions options = Options(Language::kEn, 20000);
  options.runbook_base_url = "";
  const Message m = RenderMessage(n, options);
  EXPECT_NE(m.text.find(") | Runbook: prometheus/runbook.md#riskburst"), std::string::npos) << m.text;
}

TEST(RelayMessageTest, RunbookBaseUrlMakesRunbookPathsLinks) {
  Notification n = SampleNotification();
  n.alerts[0].annotations["runbook_url"] = "prometheus/runbook.md#riskburst";
  n.alerts[1].annotations["runbook_url"] = "https://example.com/runbook.md#other";
  const Message m = RenderMessage(n, {.language = Language::kEn,
                                      .frontend_url = "http://ui",
                                      .runbook_base_url = "https://git.example/observer/blob/main",
                                      .style = {},
                                      .max_bytes = 20000});
  EXPECT_NE(m.text.find("[Runbook](https://git.example/observer/blob/main/prometheus/runbook.md#riskburst)"),
            std::string::npos)
      << m.text;
  EXPECT_EQ(m.text.find("Runbook: prometheus/"), std::string::npos) << m.text;
  // An absolute runbook URL outside the base is dropped.
  EXPECT_EQ(m.text.find("example.com"), std::string::npos) << m.text;
  EXPECT_EQ(ResolveUrl("https://base", "/docs/a.md"), "https://base/docs/a.md");
  EXPECT_EQ(ResolveUrl("", "docs/a.md"), "docs/a.md");
  EXPECT_EQ(ResolveUrl("https://base", ""), "");
  EXPECT_EQ(ResolveUrl("https://base", "https://other/a.md"), "");
}

TEST(RelayMessageTest, AbsoluteRunbookLinksOnlyUnderTheBase) {
  const std::string base = "https://git.example/observer/blob/main";
  Alert alert;
  const std::vector<std::string> kept_links = {base + "/prometheus/runbook.md#x", base + "#x", base + "?plain=1", base};
  for (const std::string& kept : kept_links) {
    alert.annotations["runbook_url"] = kept;
    EXPECT_EQ(RunbookUrl(alert, base), kept);
  }
  const std::vector<std::string> dropped_links = {"https://evil.example/runbook", "//evil.example/runbook",
                                                  base + ".evil.example/x",       base + "-evil/x",
                                                  base + "@evil.example",         "javascript:alert(1)"};
  for (const std::string& dropped : dropped_links) {
    alert.annotations["runbook_url"] = dropped;
    EXPECT_EQ(RunbookUrl(alert, base), "") << dropped;
    EXPECT_EQ(RunbookUrl(alert, ""), "") << dropped << " without a base";
  }
  alert.annotations["runbook_url"] = "prometheus/runbook.md#x";
  EXPECT_EQ(RunbookUrl(alert, ""), "prometheus/runbook.md#x") << "a path without a base stays text";
}

TEST(RelayMessageTest, ResolvedOnlyTitle) {
  Notification n = SampleNotification();
  n.status = "resolved";
  for (Alert& alert : n.alerts) alert.status = "resolved";
  EXPECT_EQ(MessageTitle(n, Language::kZh), "[告警恢复] NewApiBurst 等 3 条");
  EXPECT_EQ(MessageTitle(n, Language::kEn), "[RESOLVED:3] NewApiBurst");
}

TEST(RelayMessageTest, ListsWhatFitsThenSaysHowManyMore) {
  Notification n = ManyAlerts(50, "阈值 120，实际 130。");
  n.truncated_alerts = 5;  // Alertmanager's own max_alerts cut counts as omitted too
  for (Language language : {Language::kZh, Language::kEn}) {
    const Message m = RenderMessage(n, Options(language, 4096));
    EXPECT_LE(m.text.size(), 4096u);
    EXPECT_TRUE(IsValidUtf8(m.text));
    EXPECT_GT(m.alerts_shown, 3);
    EXPECT_LT(m.alerts_shown, 50);
    EXPECT_EQ(m.alerts_shown + m.alerts_omitted, 55);
    const std::string footer = language == Language::kZh
                                   ? "另有 " + std::to_string(m.alerts_omitted) + " 条未列出"
                                   : "and " + std::to_string(m.alerts_omitted) + " more not listed";
    ASSERT_GE(m.text.size(), footer.size());
    EXPECT_EQ(m.text.substr(m.text.size() - footer.size()), footer);
  }
}

TEST(RelayMessageTest, OneHugeAlertIsCutNotDropped) {
  std::string description;
  for (int i = 0; i < 3000; ++i) description += "证据";  // 18000 bytes
  const Message m = RenderMessage(ManyAlerts(2, description), Options(Language::kZh, 4096));
  EXPECT_LE(m.text.size(), 4096u);
  EXPECT_TRUE(IsValidUtf8(m.text));
  EXPECT_EQ(m.alerts_shown, 1);
  EXPECT_EQ(m.alerts_omitted, 1);
  EXPECT_NE(m.text.find("…"), std::string::npos);
  EXPECT_NE(m.text.find("另有 1 条未列出"), std::string::npos);
}

TEST(RelayMessageTest, AnyBudgetGivesValidUtf8WithinIt) {
  const Notification n = SampleNotification();
  for (size_t budget = 0; budget < 1200; budget += 7) {
    const Message m = RenderMessage(n, Options(Language::kZh, budget));
    EXPECT_LE(m.text.size(), budget);
    EXPECT_TRUE(IsValidUtf8(m.text)) << "budget " << budget;
  }
}

}  // namespace
}  // namespace aggregator::relay
