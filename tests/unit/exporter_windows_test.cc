// Tests for the exporter's in-memory pieces: label caps, the Top-K window, `other` parsing and the usage metrics.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "label_guard.h"
#include "observer/metrics.h"
#include "observer/newapi/logs.h"
#include "top_usage.h"
#include "usage_metrics.h"

namespace exporter {
namespace {

using observer::newapi::LogRow;

TEST(LabelGuardTest, FoldsValuesPastTheCap) {
  LabelGuard guard(2);
  EXPECT_EQ(guard.Admit("a"), "a");
  EXPECT_EQ(guard.Admit("b"), "b");
  EXPECT_EQ(guard.Admit("c"), "other");
  EXPECT_EQ(guard.Admit("a"), "a");
  EXPECT_EQ(guard.Admit(""), "other");
  EXPECT_EQ(guard.Admit("c"), "other");
  EXPECT_EQ(guard.folded(), 2u) << "distinct folded values: c and unknown";
  LabelGuard roomy(5);
  EXPECT_EQ(roomy.Admit(""), "unknown");
  EXPECT_EQ(roomy.Admit("other"), "other") << "a real value named 'other' shares the overflow bucket";
}

TEST(TopUsageTest, RanksWithinTheWindowAndForgetsOldMinutes) {
  TopUsage top(/*window_minutes=*/10, /*k=*/2);
  const int64_t t0 = 1'000'020;  // inside minute 16667
  top.Add(TopDimension::kToken, 1, "a", 100, 5, t0);
  top.Add(TopDimension::kToken, 2, "b", 50, 50, t0);
  top.Add(TopDimension::kToken, 2, "b", 50, 50, t0 + 60);
  top.Add(TopDimension::kToken, 3, "c", 10, 1, t0 + 120);
  top.Advance(t0 + 120);
  auto by_tokens = top.Top(TopDimension::kToken, TopMetric::kTokens);
  ASSERT_EQ(by_tokens.size(), 2u);
  EXPECT_EQ(by_tokens[0].id, 1);  // 100 tokens; tie with b broken by the lower id
  EXPECT_EQ(by_tokens[1].id, 2);
  EXPECT_EQ(by_tokens[1].value, 100);
  auto by_reqs = top.Top(TopDimension::kToken, TopMetric::kReqs);
  EXPECT_EQ(by_reqs[0].id, 2);
  EXPECT_EQ(by_reqs[0].value, 2);
  EXPECT_EQ(by_reqs[0].name, "b");

  top.Advance(t0 + 10 * 60);  // the first minute left the window
  by_tokens = top.Top(TopDimension::kToken, TopMetric::kTokens);
  ASSERT_EQ(by_tokens.size(), 2u);
  EXPECT_EQ(by_tokens[0].id, 2);
  EXPECT_EQ(by_tokens[0].value, 50);
  EXPECT_EQ(top.tracked(TopDimension::kToken), 2u);
  top.Advance(t0 + 60 * 60);
  EXPECT_EQ(top.tracked(TopDimension::kToken), 0u) << "idle subjects are forgotten";
  EXPECT_TRUE(top.Top(TopDimension::kUser, TopMetric::kQuota).empty());
}

TEST(ParseOtherTest, ReadsFrtAndCacheTokensAndToleratesJunk) {
  LogRow row;
  observer::newapi::ParseOther(R"({"frt":734,"cache_tokens":128,"admin_info":{"frt":1}})", &row);
  EXPECT_EQ(row.frt_ms, 734.0);
  EXPECT_EQ(row.cache_tokens, 128);
  EXPECT_TRUE(row.other_valid);

  observer::newapi::ParseOther(R"({"frt":"1200.5","cache_tokens":"7"})", &row);
  EXPECT_EQ(row.frt_ms, 1200.5);
  EXPECT_EQ(row.cache_tokens, 7);

  observer::newapi::ParseOther(R"({"frt":-1000,"model_price":-1})", &row);
  EXPECT_FALSE(row.frt_ms.has_value()) << "non-positive frt means not recorded";

  observer::newapi::ParseOther(R"( { "a" : "x\"}" , "frt" : 12.5e2 , "n":[1,{"frt":9}],"b":null } )", &row);
  EXPECT_TRUE(row.other_valid);
  EXPECT_EQ(row.frt_ms, 1250.0) << "escaped quotes, nesting and spaces";

  for (const char* junk : {"{not json", "[1,2]", "null", "\"text\"", "{\"frt\":", "{\"a\":1} trailing", "{\"a\":\"x\\",
                           "{\"a\":[1,2}", "{\"frt\":1,}"}) {
    observer::newapi::ParseOther(junk, &row);
    EXPECT_FALSE(row.other_valid) << junk;
    EXPECT_FALSE(row.frt_ms.has_value()) << junk;
    EXPECT_EQ(row.cache_tokens, 0) << junk;
  }
  observer::newapi::ParseOther("", &row);
  EXPECT_TRUE(row.other_valid);
}

TEST(LogRowTest, NullColumnsBecomeZeroAndEmpty) {
  std::optional<std::string_view> values[17] = {"42", std::nullopt, std::nullopt, "2"};
  LogRow row = observer::newapi::LogRowFrom(observer::DbRowView(values, 17));
  EXPECT_EQ(row.id, 42);
  EXPECT_EQ(row.type, 2);
  EXPECT_EQ(row.group, "");
  EXPECT_FALSE(row.is_stream);
}

LogRow Consume(const std::string& model, int64_t channel, int64_t prompt, int64_t completion, int64_t quota) {
  LogRow row;
  row.type = observer::newapi::kLogConsume;
  row.model_name = model;
  row.channel_id = channel;
  row.group = "default";
  row.prompt_tokens = prompt;
  row.completion_tokens = completion;
  row.quota = quota;
  return row;
}

size_t CountSeries(const std::string& exposition, const std::string& family) {
  size_t count = 0;
  size_t pos = 0;
  while ((pos = exposition.find("\n" + family + "{", pos)) != std::string::npos) {
    ++count;
    ++pos;
  }
  return count;
}

TEST(UsageMetricsTest, CountsConsumeErrorAndRefundRows) {
  auto registry = std::make_shared<prometheus::Registry>();
  UsageMetrics usage(*registry, {});
  LogRow consume = Consume("gpt-4o", 3, 1000, 200, 500000);
  consume.is_stream = true;
  consume.cache_tokens = 100;
  consume.frt_ms = 800;
  consume.use_time = 4;
  usage.Observe(consume, 500000);
  usage.Observe(consume, 500000);
  LogRow error = Consume("gpt-4o", 3, 0, 0, 0);
  error.type = observer::newapi::kLogError;
  usage.Observe(error, 500000);
  LogRow refund = Consume("gpt-4o", 3, 0, 0, 250000);
  refund.type = observer::newapi::kLogRefund;
  usage.Observe(refund, 500000);
  LogRow login = Consume("gpt-4o", 3, 0, 0, 0);
  login.type = observer::newapi::kLogLogin;
  usage.Observe(login, 500000);

  const std::string text = observer::metrics::Serialize({registry});
  const std::string labels = "channel=\"3\",group=\"default\",model=\"gpt-4o\"";
  EXPECT_NE(text.find("newapi_requests_total{" + labels + ",stream=\"true\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("newapi_requests_total{" + labels + ",stream=\"false\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("newapi_request_errors_total{" + labels + "} 1"), std::string::npos);
  EXPECT_NE(text.find("newapi_tokens_total{channel=\"3\",group=\"default\",kind=\"prompt\",model=\"gpt-4o\"} 2000"),
            std::string::npos);
  EXPECT_NE(text.find("newapi_tokens_total{channel=\"3\",group=\"default\",kind=\"cached\",model=\"gpt-4o\"} 200"),
            std::string::npos);
  EXPECT_NE(text.find("newapi_quota_used_total{" + labels + "} 1000000"), std::string::npos);
  EXPECT_NE(text.find("newapi_spend_usd_total{" + labels + "} 2"), std::string::npos);
  EXPECT_NE(text.find("newapi_quota_refunded_total{" + labels + "} 250000"), std::string::npos);
  EXPECT_NE(text.find("newapi_first_token_seconds_count{channel=\"3\",model=\"gpt-4o\"} 2"), std::string::npos);
  EXPECT_NE(text.find("newapi_request_duration_seconds_sum{channel=\"3\",model=\"gpt-4o\"} 8"), std::string::npos);
}

TEST(UsageMetricsTest, TenThousandModelNamesStayBounded) {
  auto registry = std::make_shared<prometheus::Registry>();
  UsageMetrics usage(*registry, {.models = 50, .channels = 500, .groups = 50});
  for (int i = 0; i < 10000; ++i) usage.Observe(Consume("model-" + std::to_string(i), 1, 10, 10, 10), 500000);
  const std::string text = observer::metrics::Serialize({registry});
  EXPECT_EQ(CountSeries(text, "newapi_quota_used_total"), 51u) << "50 admitted models plus 'other'";
  EXPECT_NE(text.find("model=\"other\""), std::string::npos);
  EXPECT_EQ(usage.folded_models(), 9950u);
  // Every row is still counted: the totals do not depend on the cap.
  EXPECT_NE(text.find("newapi_quota_used_total{channel=\"1\",group=\"default\",model=\"other\"} 99500"),
            std::string::npos);
}

}  // namespace
}  // namespace exporter
