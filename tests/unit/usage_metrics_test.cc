// Tests of UsageMetrics: what consume, error and refund rows add to the usage families, and the label caps.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "observer/metrics.h"
#include "observer/newapi/logs.h"
#include "usage_metrics.h"

namespace exporter {
namespace {

using observer::newapi::LogRow;

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
