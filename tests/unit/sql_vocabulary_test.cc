// The SQL vocabulary of `logs`: log types, the usage measures and each rule's rows, whose SQL and C++ forms come from
// one definition. The SQL texts are pinned to what the evaluators wrote before they were generated.
#include <gtest/gtest.h>

#include "observer/agg_tables.h"
#include "observer/newapi/usage.h"
#include "observer/rules/rules.h"

namespace {

using namespace observer::newapi;
using observer::rules::RowsOf;
using observer::rules::Rule;

TEST(LogTypesTest, TestAndSqlAgree) {
  EXPECT_EQ(LogTypes{kLogConsume}.Sql(), "type = 2");
  EXPECT_EQ((LogTypes{kLogLogin, kLogConsume, kLogError}.Sql()), "type IN (2, 5, 7)");
  EXPECT_EQ(kUsageTypes.Sql(), "type IN (2, 5, 6)");
  for (int64_t type = -1; type <= 8; ++type) {
    EXPECT_EQ(kUsageTypes.Has(type), type == 2 || type == 5 || type == 6) << type;
  }
}

TEST(UsageMeasuresTest, SqlIsTheRuleOfAddUsage) {
  EXPECT_EQ(UsageRowSql(&UsageSums::reqs), "CASE WHEN type IN (2, 5) THEN 1 ELSE 0 END");
  EXPECT_EQ(UsageRowSql(&UsageSums::errors), "CASE WHEN type = 5 THEN 1 ELSE 0 END");
  EXPECT_EQ(UsageRowSql(&UsageSums::prompt_tokens),
            "CASE WHEN type = 2 THEN GREATEST(COALESCE(prompt_tokens, 0), 0) ELSE 0 END");
  EXPECT_EQ(UsageRowSql(&UsageSums::refunded_quota),
            "CASE WHEN type = 6 THEN GREATEST(COALESCE(quota, 0), 0) ELSE 0 END");
  EXPECT_EQ(UsageRowSql(&UsageSums::cached_tokens), "") << "parsed from other: no SQL form";

  LogRow consume;
  consume.type = kLogConsume;
  consume.prompt_tokens = 10;
  consume.completion_tokens = -3;
  consume.quota = 7;
  consume.use_time = 4;
  consume.cache_tokens = 2;
  LogRow error;
  error.type = kLogError;
  error.quota = 99;
  LogRow refund;
  refund.type = kLogRefund;
  refund.quota = 5;
  LogRow login;
  login.type = kLogLogin;
  UsageSums sums;
  EXPECT_TRUE(AddUsage(consume, &sums));
  EXPECT_TRUE(AddUsage(error, &sums));
  EXPECT_TRUE(AddUsage(refund, &sums));
  EXPECT_FALSE(AddUsage(login, &sums));
  const UsageSums expected{2, 1, 10, 0, 2, 7, 5, 4, 4};
  EXPECT_EQ(sums, expected);
  UsageSums twice = sums;
  twice.Add(sums);
  EXPECT_EQ(twice, (UsageSums{4, 2, 20, 0, 4, 14, 10, 8, 4})) << "sums add, use_time_max takes the largest";
}

TEST(UsageMeasuresTest, OneColumnListForEveryTable) {
  EXPECT_EQ(observer::agg::MeasureColumns(),
            "reqs, errors, prompt_tokens, completion_tokens, cached_tokens, quota, refunded_quota, use_time_sum, "
            "use_time_max");
  EXPECT_EQ(observer::agg::UsageColumns(),
            "hour, user_id, token_id, model_name, channel_id, \"group\", is_stream, reqs, errors, prompt_tokens, "
            "completion_tokens, cached_tokens, quota, refunded_quota, use_time_sum, use_time_max");
  EXPECT_EQ(observer::agg::MeasureValues({1, 2, 3, 4, 5, 6, 7, 8, 9}), "1,2,3,4,5,6,7,8,9");
  const observer::agg::AggTables tables(observer::Dialect(observer::DbEngine::kMySQL), "db");
  EXPECT_EQ(tables.BaselineSql(3600, false),
            "SELECT model_name, channel_id, \"group\", is_stream, SUM(reqs), SUM(errors), SUM(prompt_tokens), "
            "SUM(completion_tokens), SUM(cached_tokens), SUM(quota), SUM(refunded_quota), SUM(use_time_sum), "
            "MAX(use_time_max) FROM \"db\".\"agg_usage_hourly\" WHERE hour < 3600 GROUP BY model_name, channel_id, "
            "\"group\", is_stream");
}

TEST(UsageMeasuresTest, BaselineRowsAreTyped) {
  observer::QueryResult result;
  result.rows.push_back({"gpt", "3", "vip", "1", "10", "2", "100", "50", "5", "700", "9", "30", "8"});
  result.rows.push_back(
      {std::nullopt, std::nullopt, std::nullopt, "0", "1", std::nullopt, "0", "0", "0", "0", "0", "0", "0"});
  const auto rows = observer::agg::BaselineRowsFrom(result);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].model_name, "gpt");
  EXPECT_EQ(rows[0].channel_id, 3);
  EXPECT_EQ(rows[0].group, "vip");
  EXPECT_TRUE(rows[0].is_stream);
  EXPECT_EQ(rows[0].sums, (UsageSums{10, 2, 100, 50, 5, 700, 9, 30, 8}));
  EXPECT_EQ(rows[1].model_name, "");
  EXPECT_FALSE(rows[1].is_stream);
  EXPECT_EQ(rows[1].sums, (UsageSums{1, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(RowSelectionTest, EachRuleReadsTheSameRowsInSqlAndCpp) {
  EXPECT_EQ(RowsOf(Rule::kBurst).Sql(), "type = 2 AND token_id > 0");
  EXPECT_EQ(RowsOf(Rule::kMultiUserToken).Sql(), "type = 2 AND token_id > 0 AND ip <> ''");
  EXPECT_EQ(RowsOf(Rule::kIpManyUsers).Sql(), "type IN (2, 5, 7) AND user_id > 0 AND ip <> ''");
  EXPECT_EQ(RowsOf(Rule::kBigRequest).Sql(), "type = 2");

  LogRow row;
  row.type = kLogLogin;
  row.user_id = 4;
  row.ip = "10.0.0.1";
  EXPECT_FALSE(RowsOf(Rule::kBurst).Selects(row));
  EXPECT_TRUE(RowsOf(Rule::kIpManyUsers).Selects(row));
  row.type = kLogConsume;
  EXPECT_FALSE(RowsOf(Rule::kBurst).Selects(row)) << "no token";
  EXPECT_TRUE(RowsOf(Rule::kBigRequest).Selects(row));
  row.token_id = 9;
  EXPECT_TRUE(RowsOf(Rule::kBurst).Selects(row));
  EXPECT_TRUE(RowsOf(Rule::kMultiUserToken).Selects(row));
  row.ip = "";
  EXPECT_FALSE(RowsOf(Rule::kMultiUserToken).Selects(row));
  EXPECT_FALSE(RowsOf(Rule::kIpManyUsers).Selects(row));
  row.ip = "10.0.0.1";
  row.user_id = 0;
  EXPECT_FALSE(RowsOf(Rule::kIpManyUsers).Selects(row));
}

}  // namespace
