// Tests of TopUsage: the Top-K ranking over a sliding window of minutes.
#include <gtest/gtest.h>

#include "top_usage.h"

namespace exporter {
namespace {

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

}  // namespace
}  // namespace exporter
