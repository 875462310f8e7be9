// Tests for big_request's per-hour tables: size counts and sums as the rules compute them, the largest requests with
// ties, which rows count, and the statements that write an hour.
#include "request_sizes.h"

#include <gtest/gtest.h>

#include <cmath>

#include "observer/rules/rules.h"

namespace aggregator {
namespace {

using observer::newapi::LogRow;

LogRow Consume(int64_t id, const std::string& model, int64_t prompt, int64_t completion) {
  LogRow row;
  row.id = id;
  row.created_at = 1767225600 + id;
  row.type = observer::newapi::kLogConsume;
  row.model_name = model;
  row.prompt_tokens = prompt;
  row.completion_tokens = completion;
  row.user_id = 100 + id;
  row.token_id = 200 + id;
  row.channel_id = 3;
  row.ip = "10.0.0." + std::to_string(id % 250);
  return row;
}

std::string FakeQuote(std::string_view value) { return "'" + std::string(value) + "'"; }

TEST(RequestSizesTest, CountsSizesPerModelAndSkipsRowsTheRuleDoesNotRead) {
  RequestSizes sizes;
  sizes.Add(Consume(1, "gpt-4o", 100, 20));
  sizes.Add(Consume(2, "gpt-4o", 100, 20));
  sizes.Add(Consume(3, "gpt-4o", 0, 0));
  sizes.Add(Consume(4, "GPT-4o", 5, 5));  // another model: names are exact bytes
  LogRow error = Consume(5, "gpt-4o", 999, 0);
  error.type = observer::newapi::kLogError;
  sizes.Add(error);
  ASSERT_EQ(sizes.models().size(), 2u);
  const auto& m = sizes.models().at("gpt-4o");
  EXPECT_EQ(m.sizes, (observer::rules::SizeCounts{{0, 1}, {120, 2}}));
  EXPECT_EQ(m.largest.size(), 3u);
  EXPECT_EQ(sizes.models().at("GPT-4o").sizes, (observer::rules::SizeCounts{{10, 1}}));
}

TEST(RequestSizesTest, StatsAreTheRulesLogSizesSummed) {
  const observer::rules::SizeStats s = observer::rules::StatsOfSizes({{0, 1}, {120, 2}, {5000, 3}});
  EXPECT_EQ(s.n, 6);
  const double a = observer::rules::LogSize(120), b = observer::rules::LogSize(5000);
  EXPECT_NEAR(s.sum, 2 * a + 3 * b, 1e-12);
  EXPECT_NEAR(s.sum_squares, 2 * a * a + 3 * b * b, 1e-9);
  EXPECT_EQ(observer::rules::LogSize(0), 0);
  // Row by row in the streaming evaluator: the same statistics within rounding.
  observer::rules::SizeStats streamed;
  for (int64_t size : {5000, 0, 120, 5000, 120, 5000}) streamed.Add(observer::rules::LogSize(size));
  EXPECT_NEAR(streamed.sum, s.sum, 1e-9);
  EXPECT_NEAR(streamed.sum_squares, s.sum_squares, 1e-9);
}

TEST(RequestSizesTest, KeepsTheSixteenLargestWithTiesByLowestId) {
  RequestSizes sizes;
  // 40 requests: sizes 1000 + id % 20, so every size twice.
  for (int64_t id = 1; id <= 40; ++id) sizes.Add(Consume(id, "m", 1000 + id % 20, 0));
  const auto& largest = sizes.models().at("m").largest;
  ASSERT_EQ(largest.size(), observer::rules::kLargestPerModelHour);
  std::vector<std::pair<int64_t, int64_t>> got;
  for (const LargeRequest& r : largest) got.push_back({r.tokens, r.id});
  // Sizes 1019 down to 1012, each by ids id and id + 20.
  std::vector<std::pair<int64_t, int64_t>> want;
  for (int64_t size = 1019; size >= 1012; --size) {
    want.push_back({size, size - 1000});
    want.push_back({size, size - 1000 + 20});
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(largest.begin()->user_id, 119);
  EXPECT_EQ(largest.begin()->ip, "10.0.0.19");
  EXPECT_EQ(sizes.models().at("m").sizes.size(), 20u);
}

TEST(RequestSizesTest, WritesTheHourAbsolutelyWithExactDoubles) {
  RequestSizes sizes;
  sizes.Add(Consume(1, "gpt-4o", 100, 20));
  sizes.Add(Consume(2, "gpt-4o", 7, 0));
  const observer::agg::AggTables tables(observer::Dialect(observer::DbEngine::kMySQL), "obs");
  const std::vector<std::string> sql = sizes.WriteStatements(tables, 1767225600, 500, FakeQuote);
  ASSERT_EQ(sql.size(), 4u);
  EXPECT_NE(sql[0].find("DELETE FROM"), std::string::npos);
  EXPECT_NE(sql[0].find("agg_request_sizes_hourly"), std::string::npos);
  EXPECT_NE(sql[0].find("hour = 1767225600"), std::string::npos);
  EXPECT_NE(sql[1].find("agg_largest_requests"), std::string::npos);
  EXPECT_NE(sql[2].find("(1767225600, 'gpt-4o', 2, "), std::string::npos) << sql[2];
  // The sum parses back to the same double.
  const observer::rules::SizeStats s = observer::rules::StatsOfSizes({{7, 1}, {120, 1}});
  const size_t at = sql[2].find(", 2, ") + 5;
  EXPECT_EQ(std::strtod(sql[2].c_str() + at, nullptr), s.sum);
  EXPECT_NE(sql[3].find("(1767225600, 'gpt-4o', 1, 1767225601, 120, 101, 201, 3, '10.0.0.1')"), std::string::npos)
      << sql[3];
  // Batches of one: one INSERT per row.
  EXPECT_EQ(sizes.WriteStatements(tables, 1767225600, 1, FakeQuote).size(), 5u);
}

}  // namespace
}  // namespace aggregator
