// Tests for the hourly rollup: hour boundaries, keys, the shared usage rules, the absolute-value upserts and the
// rollups by user, token and model/channel summed from the hour's rows.
#include "hourly_rollup.h"

#include "observer/agg_tables.h"

#include <gtest/gtest.h>

namespace aggregator {
namespace {

using observer::newapi::LogRow;

LogRow Row(int64_t created_at, int64_t type, const std::string& model, int64_t quota) {
  LogRow row;
  row.created_at = created_at;
  row.type = type;
  row.user_id = 7;
  row.token_id = 9;
  row.model_name = model;
  row.channel_id = 3;
  row.group = "default";
  row.quota = quota;
  row.prompt_tokens = 100;
  row.completion_tokens = 20;
  row.use_time = 4;
  return row;
}

std::string FakeQuote(std::string_view value) { return "'" + std::string(value) + "'"; }

TEST(HourlyRollupTest, HourBoundaries) {
  EXPECT_EQ(HourOf(1767225599), 1767222000);  // HH:59:59
  EXPECT_EQ(HourOf(1767225600), 1767225600);  // HH+1:00:00
  EXPECT_EQ(HourOf(0), 0);
  EXPECT_EQ(HourOf(-1), -3600);
}

TEST(HourlyRollupTest, SumsByHourAndKeyWithTheSharedRules) {
  HourlyRollup rollup;
  EXPECT_TRUE(rollup.Add(Row(1767225599, 2, "gpt-4o", 50)));
  EXPECT_TRUE(rollup.Add(Row(1767225000, 2, "gpt-4o", -10)));  // a negative quota counts as 0
  EXPECT_TRUE(rollup.Add(Row(1767225600, 2, "gpt-4o", 5)));    // the next hour
  EXPECT_TRUE(rollup.Add(Row(1767225100, 5, "gpt-4o", 0)));    // an error
  EXPECT_TRUE(rollup.Add(Row(1767225200, 6, "gpt-4o", 30)));   // a refund
  EXPECT_FALSE(rollup.Add(Row(1767225300, 7, "", 0)));         // a login is not usage
  EXPECT_TRUE(rollup.Add(Row(1767225400, 2, "GPT-4o", 1)));    // another model
  ASSERT_EQ(rollup.rows().size(), 3u);
  const auto& sums = rollup.rows().at(HourKey{1767222000, 7, 9, "gpt-4o", 3, "default", false});
  EXPECT_EQ(sums.reqs, 3);
  EXPECT_EQ(sums.errors, 1);
  EXPECT_EQ(sums.quota, 50);
  EXPECT_EQ(sums.refunded_quota, 30);
  EXPECT_EQ(sums.prompt_tokens, 200);
  EXPECT_EQ(sums.use_time_max, 4);
}

TEST(HourlyRollupTest, UpsertsAreBatchedSortedAndAbsolute) {
  const std::string kMysqlUpsert = observer::agg::UsageUpsertClause(observer::Dialect(observer::DbEngine::kMySQL));
  HourlyRollup rollup;
  for (int i = 0; i < 5; ++i) rollup.Add(Row(1767225600 + i, 2, "m" + std::to_string(4 - i), 10));
  auto statements = rollup.UpsertStatements("agg_usage_hourly", 2, FakeQuote, kMysqlUpsert);
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_NE(statements[0].find("'m0'"), std::string::npos) << "sorted by key: m0 first";
  EXPECT_NE(statements[0].find("'m1'"), std::string::npos);
  EXPECT_NE(statements[2].find("'m4'"), std::string::npos);
  for (const auto& sql : statements) {
    EXPECT_EQ(sql.rfind("INSERT INTO agg_usage_hourly (", 0), 0u);
    EXPECT_NE(sql.find("reqs = VALUES(reqs)"), std::string::npos) << "absolute values, never reqs = reqs + ...";
    EXPECT_EQ(sql.find("reqs + "), std::string::npos);
  }
  EXPECT_EQ(rollup.UpsertStatements("agg_usage_hourly", 2, FakeQuote, kMysqlUpsert), statements)
      << "the same data gives the same statements";
}

TEST(HourlyRollupTest, UnchangedKeysAreNotSent) {
  const std::string kMysqlUpsert = observer::agg::UsageUpsertClause(observer::Dialect(observer::DbEngine::kMySQL));
  HourlyRollup rollup;
  for (int i = 0; i < 3; ++i) rollup.Add(Row(1767225600 + i, 2, "m" + std::to_string(i), 10));
  HourRows stored;
  const HourKey m0{1767225600, 7, 9, "m0", 3, "default", false}, m1{1767225600, 7, 9, "m1", 3, "default", false};
  stored[m0] = rollup.rows().at(m0);  // as written by the last pass
  stored[m1] = rollup.rows().at(m1);
  stored[m1].quota += 1;  // the table holds an older sum
  auto statements = rollup.UpsertStatements("agg_usage_hourly", 10, FakeQuote, kMysqlUpsert, stored);
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0].find("'m0'"), std::string::npos) << "unchanged: not sent";
  EXPECT_NE(statements[0].find("'m1'"), std::string::npos) << "changed";
  EXPECT_NE(statements[0].find("'m2'"), std::string::npos) << "new";
  stored[m1] = rollup.rows().at(m1);
  stored[HourKey{1767225600, 7, 9, "m2", 3, "default", false}] =
      rollup.rows().at(HourKey{1767225600, 7, 9, "m2", 3, "default", false});
  EXPECT_TRUE(rollup.UpsertStatements("agg_usage_hourly", 10, FakeQuote, kMysqlUpsert, stored).empty())
      << "nothing changed: no statement";
}

TEST(HourlyRollupTest, RollupsSumTheRowsOfTheirKeysAndWriteOnlyTheirColumns) {
  HourlyRollup rollup;
  LogRow other_user = Row(1767222100, 2, "gpt-4o", 5);
  other_user.user_id = 8;
  other_user.use_time = 9;
  rollup.Add(Row(1767222000, 2, "gpt-4o", 50));
  rollup.Add(Row(1767222001, 2, "gpt-4o-mini", 20));
  rollup.Add(other_user);
  const HourKey none{1767222000, 0, 0, "", 0, "", false};
  const HourRows by_user = RollupOf(rollup.rows(), KeyShape::kByUser);
  ASSERT_EQ(by_user.size(), 2u);
  HourKey user7 = none;
  user7.user_id = 7;
  EXPECT_EQ(by_user.at(user7).reqs, 2);
  EXPECT_EQ(by_user.at(user7).quota, 70);
  const HourRows by_token = RollupOf(rollup.rows(), KeyShape::kByToken);
  ASSERT_EQ(by_token.size(), 1u);
  HourKey token9 = none;
  token9.token_id = 9;
  EXPECT_EQ(by_token.at(token9).reqs, 3);
  EXPECT_EQ(by_token.at(token9).use_time_max, 9);  // the largest, not the sum
  const HourRows by_model = RollupOf(rollup.rows(), KeyShape::kByModelChannel);
  ASSERT_EQ(by_model.size(), 2u);
  HourKey model = none;
  model.model_name = "gpt-4o";
  model.channel_id = 3;
  model.group = "default";
  EXPECT_EQ(by_model.at(model).reqs, 2);
  EXPECT_EQ(by_model.at(model).quota, 55);

  const std::string upsert = observer::agg::UpsertClauseOf(observer::Dialect(observer::DbEngine::kMySQL), "t",
                                                           KeyColumnsOf(KeyShape::kByUser));
  const std::vector<std::string> statements = UpsertRows(by_user, KeyShape::kByUser, "t", 10, FakeQuote, upsert);
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0].rfind("INSERT INTO t (hour, user_id, reqs, ", 0), 0u) << statements[0];
  EXPECT_NE(statements[0].find("VALUES (1767222000,7,2,"), std::string::npos) << statements[0];
  EXPECT_NE(statements[0].find("),(1767222000,8,1,"), std::string::npos) << statements[0];
  HourRows stored = by_user;
  stored.at(user7).quota = 1;  // changed since: only user 7 is written again
  const std::vector<std::string> changed = UpsertRows(by_user, KeyShape::kByUser, "t", 10, FakeQuote, upsert, stored);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0].find("(1767222000,7,"), std::string::npos);
  EXPECT_EQ(changed[0].find("(1767222000,8,"), std::string::npos);
  EXPECT_EQ(KeyValuesOf(model, KeyShape::kByModelChannel, FakeQuote), "'gpt-4o',3,'default',0");
}

}  // namespace
}  // namespace aggregator
