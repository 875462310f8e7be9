// Tests for the per-hour tables of burst, multi_user_token and ip_many_users: minute peaks per token, distinct clients
// per token and users per IP per stored window, which rows count, the cap, and the statements that write an hour.
#include "rule_windows.h"

#include <gtest/gtest.h>

#include "observer/rules/rules.h"
#include "observer/rules/window_rules_agg.h"

namespace aggregator {
namespace {

using observer::newapi::LogRow;

constexpr int64_t kHour = 1767225600;  // 2026-01-01 00:00 UTC

LogRow Row(int64_t type, int64_t at, int64_t user, int64_t token, const std::string& ip) {
  LogRow row;
  row.type = type;
  row.created_at = at;
  row.user_id = user;
  row.token_id = token;
  row.token_name = "key-" + std::to_string(token);
  row.ip = ip;
  return row;
}

std::string FakeQuote(std::string_view value) { return "'" + std::string(value) + "'"; }

TEST(RuleWindowsTest, PeaksAreTheBusiestTumblingMinuteOfEachToken) {
  RuleWindows w;
  for (int i = 0; i < 5; ++i) w.Add(Row(observer::newapi::kLogConsume, kHour + 50 + i, 1, 7, "1.1.1.1"));  // 5 at :00
  for (int i = 0; i < 3; ++i) w.Add(Row(observer::newapi::kLogConsume, kHour + 60 + i, 1, 7, "1.1.1.1"));  // 3 at :01
  w.Add(Row(observer::newapi::kLogError, kHour + 1, 1, 7, "1.1.1.1"));  // errors are not burst rows
  w.Add(Row(observer::newapi::kLogConsume, kHour + 10, 2, 8, "2.2.2.2"));
  w.Add(Row(observer::newapi::kLogConsume, kHour + 10, 2, 0, "2.2.2.2"));  // no token
  const std::map<int64_t, int64_t> peaks = w.TokenPeaks();
  EXPECT_EQ(peaks, (std::map<int64_t, int64_t>{{7, 5}, {8, 1}}));
}

TEST(RuleWindowsTest, CountsDistinctClientsPerTokenAndUsersPerIpInEachWindow) {
  RuleWindows w;
  const int64_t second_window = kHour + observer::rules::kStoredRuleWindowSec;
  w.Add(Row(observer::newapi::kLogConsume, kHour + 1, 1, 7, "1.1.1.1"));
  w.Add(Row(observer::newapi::kLogConsume, kHour + 2, 1, 7, "1.1.1.1"));  // same client
  w.Add(Row(observer::newapi::kLogConsume, kHour + 3, 1, 7, "1.1.1.2"));  // same user, another IP
  w.Add(Row(observer::newapi::kLogConsume, kHour + 4, 2, 7, ""));         // no IP: not a client
  w.Add(Row(observer::newapi::kLogConsume, second_window, 3, 7, "1.1.1.1"));
  w.Add(Row(observer::newapi::kLogLogin, kHour + 5, 4, 0, "1.1.1.1"));  // a login counts for the IP, not a token
  w.Add(Row(observer::newapi::kLogTopup, kHour + 6, 5, 0, "1.1.1.1"));  // other types count for neither
  const auto& clients = w.token_clients();
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients.at({kHour, "7"}).distinct.size(), 2u);
  EXPECT_EQ(clients.at({kHour, "7"}).name, "key-7");
  EXPECT_EQ(clients.at({second_window, "7"}).distinct.size(), 1u);
  const auto& users = w.ip_users();
  EXPECT_EQ(users.at({kHour, "1.1.1.1"}).distinct.size(), 2u);  // users 1 and 4
  EXPECT_EQ(users.at({kHour, "1.1.1.2"}).distinct.size(), 1u);
  EXPECT_EQ(users.count({kHour, ""}), 0u);
}

TEST(RuleWindowsTest, DistinctCountsStopAtTheRulesCap) {
  RuleWindows w;
  for (int64_t user = 1; user <= observer::rules::kMaxDistinctPerWindow + 50; ++user) {
    w.Add(Row(observer::newapi::kLogConsume, kHour + 1, user, 7, "9.9.9.9"));
  }
  EXPECT_EQ(static_cast<int64_t>(w.ip_users().at({kHour, "9.9.9.9"}).distinct.size()),
            observer::rules::kMaxDistinctPerWindow);
}

TEST(RuleWindowsTest, WritesTheHourWithoutCountsBelowTwo) {
  RuleWindows w;
  for (int i = 0; i < 3; ++i) w.Add(Row(observer::newapi::kLogConsume, kHour + i, 1 + i, 7, "1.1.1.1"));
  w.Add(Row(observer::newapi::kLogConsume, kHour + 100, 9, 8, "3.3.3.3"));  // peak 1, one client, one user
  const observer::agg::AggTables tables(observer::Dialect(observer::DbEngine::kMySQL), "newapi");
  const std::vector<std::string> statements = w.WriteStatements(tables, kHour, 500, FakeQuote);
  ASSERT_EQ(statements.size(), 5u);
  EXPECT_EQ(statements[0], "DELETE FROM \"newapi\".\"agg_token_minute_peaks\" WHERE hour = 1767225600");
  EXPECT_EQ(
      statements[1],
      "DELETE FROM \"newapi\".\"agg_rule_windows\" WHERE window_start >= 1767225600 AND window_start < 1767229200");
  EXPECT_EQ(statements[2],
            "INSERT INTO \"newapi\".\"agg_token_minute_peaks\" (hour, token_id, peak) VALUES "
            "(1767225600, 7, 3)");
  EXPECT_EQ(statements[3],
            "INSERT INTO \"newapi\".\"agg_rule_windows\" (rule, window_start, subject, name, "
            "distinct_count) VALUES ('multi_user_token', 1767225600, '7', 'key-7', 3), "
            "('ip_many_users', 1767225600, '1.1.1.1', '', 3)");
  EXPECT_EQ(statements[4], "DELETE FROM \"newapi\".\"agg_burst_windows\" WHERE hour = 1767225600");  // no count of 20
}

TEST(RuleWindowsTest, BurstWindowsCountTheMinuteBeforeTheHourAndKeepOneRowPerCount) {
  RuleWindows w;
  constexpr int64_t kLeast = observer::rules::kLeastStoredBurstRows;
  // Token 7: kLeast - 2 rows 30 s before the hour, then one row per second from the hour on for 40 s.
  for (int64_t i = 0; i < kLeast - 2; ++i) w.AddBurstRowBefore(7, kHour - 30);
  w.AddBurstRowBefore(7, kHour - 60);  // outside every window of the hour (a - 60 < t is false for a = kHour)
  for (int64_t i = 0; i < 40; ++i) w.Add(Row(observer::newapi::kLogConsume, kHour + i, 1, 7, "1.1.1.1"));
  // Token 8: rows before the hour only count; a token with too few rows stores nothing.
  w.AddBurstRowBefore(8, kHour - 1);
  w.Add(Row(observer::newapi::kLogConsume, kHour, 2, 8, "2.2.2.2"));
  const RuleWindows::BurstCounts counts = w.BurstWindows();
  // Anchor kHour + i holds the kLeast - 2 rows of kHour - 30 while i < 30, plus i + 1 rows of the hour.
  for (int64_t i = 0; i < 40; ++i) {
    const int64_t rows = (i < 30 ? kLeast - 2 : 0) + i + 1;
    if (rows < kLeast) continue;
    const auto it = counts.find({7, rows});
    ASSERT_NE(it, counts.end()) << "anchor " << i << " with " << rows << " rows";
    EXPECT_LE(it->second.first_anchor, kHour + i);
    EXPECT_GE(it->second.last_anchor, kHour + i);
    EXPECT_EQ(it->second.name, "key-7");
  }
  // The counts of anchors 30..39 (31..40 rows of the hour alone) came earlier too, while the rows before the hour
  // were in the window: one row per count holds both anchors.
  int64_t anchors = 0;
  for (const auto& [key, c] : counts) {
    EXPECT_EQ(key.first, 7);
    EXPECT_EQ(c.anchors, c.first_anchor == c.last_anchor ? 1 : 2);
    anchors += c.anchors;
  }
  EXPECT_EQ(anchors, 39);  // all but the first, which holds kLeast - 1 rows
  EXPECT_EQ(counts.at({7, 31}).anchors, 2);
}

}  // namespace
}  // namespace aggregator
