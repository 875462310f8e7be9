// Tests for agg_active_hourly's and agg_active_by_value's counts: overall and per model, channel and group, users and
// tokens with requests, by the hours back to their previous hour under the same value (25 = 25 or more, or never),
// and the record's upkeep.
#include "active_by_value.h"

#include <gtest/gtest.h>

namespace aggregator {
namespace {

constexpr int64_t kHour0 = 1767225600;

HourKey Key(int64_t hour, int64_t user, int64_t token, const std::string& model, int64_t channel) {
  return {hour, user, token, model, channel, "default", false};
}

HourRows Rows(std::initializer_list<std::pair<HourKey, int64_t>> keys) {
  HourRows rows;
  for (const auto& [key, reqs] : keys) rows[key].reqs = reqs;
  return rows;
}

int64_t CountOf(const ActiveByValue::Counts& counts, const std::string& dimension, const std::string& value,
                const std::string& kind, int64_t since) {
  const auto it = counts.find({dimension, value, kind, since});
  return it == counts.end() ? 0 : it->second;
}

TEST(ActiveByValueTest, CountsSubjectsPerValueByHoursSinceTheirLastHourUnderIt) {
  ActiveByValue active;
  EXPECT_FALSE(active.ReadyFor(kHour0));
  active.StartRebuild();
  active.Note(Key(kHour0 - 3 * 3600, 7, 70, "gpt-4o", 1), 5);  // user 7 used gpt-4o three hours before
  active.FinishRebuild(kHour0);
  ASSERT_TRUE(active.ReadyFor(kHour0));
  const HourRows hour0 = Rows({{Key(kHour0, 7, 70, "gpt-4o", 1), 2},
                               {Key(kHour0, 7, 71, "gpt-4o", 2), 1},  // the same user with another token
                               {Key(kHour0, 8, 80, "claude", 1), 1},
                               {Key(kHour0, 9, 90, "claude", 1), 0},   // refund only: no requests
                               {Key(kHour0, 0, 0, "claude", 1), 4}});  // no user or token
  const ActiveByValue::Counts counts = active.CountsOf(kHour0, hour0);
  EXPECT_EQ(CountOf(counts, "model", "gpt-4o", "user", 3), 1);  // once, though in two keys
  EXPECT_EQ(CountOf(counts, "model", "gpt-4o", "token", 3), 1);
  EXPECT_EQ(CountOf(counts, "model", "gpt-4o", "token", 25), 1);  // token 71 is new
  EXPECT_EQ(CountOf(counts, "model", "claude", "user", 25), 1);
  EXPECT_EQ(CountOf(counts, "channel", "1", "user", 25), 1);  // user 8 (user 7 had channel 1 three hours before)
  EXPECT_EQ(CountOf(counts, "channel", "1", "user", 3), 1);
  EXPECT_EQ(CountOf(counts, "channel", "2", "token", 25), 1);
  EXPECT_EQ(CountOf(counts, "group", "default", "user", 3), 1);
  EXPECT_EQ(CountOf(counts, "group", "default", "user", 25), 1);
  EXPECT_EQ(CountOf(counts, "all", "", "user", 3), 1);  // overall: user 7 three hours before, user 8 new
  EXPECT_EQ(CountOf(counts, "all", "", "user", 25), 1);
  EXPECT_EQ(CountOf(counts, "all", "", "token", 3), 1);
  EXPECT_EQ(CountOf(counts, "all", "", "token", 25), 2);
  int64_t users = 0;
  for (const auto& [key, n] : counts) users += std::get<0>(key) == "model" && std::get<2>(key) == "user" ? n : 0;
  EXPECT_EQ(users, 2);

  active.Remember(kHour0, hour0);
  ASSERT_TRUE(active.ReadyFor(kHour0 + 3600));
  const HourRows hour1 = Rows({{Key(kHour0 + 3600, 8, 80, "gpt-4o", 1), 1}});
  const ActiveByValue::Counts next = active.CountsOf(kHour0 + 3600, hour1);
  EXPECT_EQ(CountOf(next, "model", "gpt-4o", "user", 25), 1);  // user 8 never used gpt-4o before
  EXPECT_EQ(CountOf(next, "channel", "1", "user", 1), 1);
  EXPECT_EQ(CountOf(next, "all", "", "user", 1), 1);

  // 25 hours on, the hour is forgotten: everyone counts as new again.
  const int64_t later = kHour0 + 26 * 3600;
  for (int64_t h = kHour0 + 3600; h < later; h += 3600) active.Remember(h, {});
  ASSERT_TRUE(active.ReadyFor(later));
  EXPECT_EQ(CountOf(active.CountsOf(later, Rows({{Key(later, 8, 80, "claude", 1), 1}})), "model", "claude", "user", 25),
            1);
  active.Invalidate();
  EXPECT_FALSE(active.ReadyFor(later));
}

TEST(ActiveByValueTest, WritesTheHour) {
  ActiveByValue::Counts counts;
  counts[{"model", "gpt-4o", "user", 1}] = 3;
  counts[{"all", "", "user", 1}] = 4;
  counts[{"all", "", "token", 25}] = 5;
  const observer::agg::AggTables tables(observer::Dialect(observer::DbEngine::kMySQL), "obs");
  const std::vector<std::string> statements = ActiveByValue::WriteStatements(
      tables, kHour0, counts, 500, [](std::string_view v) { return "'" + std::string(v) + "'"; });
  ASSERT_EQ(statements.size(), 4u);
  EXPECT_EQ(statements[0], "DELETE FROM \"obs\".\"agg_active_hourly\" WHERE hour = 1767225600");
  EXPECT_EQ(statements[1], "DELETE FROM \"obs\".\"agg_active_by_value\" WHERE hour = 1767225600");
  EXPECT_EQ(statements[2],
            "INSERT INTO \"obs\".\"agg_active_by_value\" (dimension, value, hour, kind, "
            "hours_since_last, active) VALUES ('model', 'gpt-4o', 1767225600, 'user', 1, 3)");
  EXPECT_EQ(statements[3],
            "INSERT INTO \"obs\".\"agg_active_hourly\" (hour, kind, hours_since_last, active) VALUES "
            "(1767225600, 'token', 25, 5), (1767225600, 'user', 1, 4)");
}

}  // namespace
}  // namespace aggregator
