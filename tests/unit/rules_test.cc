// Tests for the risk rules: thresholds, allow-lists (IPs and CIDRs) and the streaming evaluator on each rule's
// anomaly and its decoy.
#include <gtest/gtest.h>

#include "observer/rules/rules.h"
#include "observer/rules/streaming_rules.h"

namespace observer::rules {
namespace {

using newapi::LogRow;

int64_t next_id = 1;

LogRow Consume(int64_t at, int64_t token, int64_t user, const std::string& ip = "", int64_t tokens = 1000,
               const std::string& model = "gpt-4o") {
  LogRow row;
  row.id = next_id++;
  row.type = newapi::kLogConsume;
  row.created_at = at;
  row.token_id = token;
  row.token_name = "t" + std::to_string(token);
  row.user_id = user;
  row.ip = ip;
  row.model_name = model;
  row.prompt_tokens = tokens;
  return row;
}

// Every hit the rows produce; Feed keeps the first of each episode (what the exporter counts and logs).
std::vector<Hit> FeedAll(StreamingRules& rules, const std::vector<LogRow>& rows) {
  std::vector<Hit> all;
  for (const LogRow& row : rows) {
    auto hits = rules.Observe(row);
    all.insert(all.end(), hits.begin(), hits.end());
  }
  return all;
}

std::vector<Hit> Feed(StreamingRules& rules, const std::vector<LogRow>& rows) {
  std::vector<Hit> episodes;
  for (Hit& hit : FeedAll(rules, rows)) {
    if (hit.starts_episode) episodes.push_back(std::move(hit));
  }
  return episodes;
}

const int64_t kT0 = 1'767'225'600;

TEST(ThresholdsTest, ValidateNamesTheBadField) {
  EXPECT_EQ(Thresholds{}.Validate(), "");
  Thresholds bad;
  bad.ip_users_threshold = -3;
  EXPECT_NE(bad.Validate().find("ip_many_users.threshold"), std::string::npos);
  bad = Thresholds{};
  bad.big_request_sigma = 0;
  EXPECT_NE(bad.Validate().find("big_request.sigma"), std::string::npos);
}

TEST(AllowListTest, MatchesAddressesAndNetworks) {
  AllowList allow;
  std::string error;
  ASSERT_TRUE(allow.AddNetwork("10.0.0.0/8", &error)) << error;
  ASSERT_TRUE(allow.AddNetwork("192.168.1.7", &error)) << error;
  ASSERT_TRUE(allow.AddNetwork("2001:db8::/32", &error)) << error;
  ASSERT_TRUE(allow.AddNetwork("172.16.0.0/12", &error)) << error;
  EXPECT_TRUE(allow.AllowsIp("10.200.3.4"));
  EXPECT_TRUE(allow.AllowsIp("192.168.1.7"));
  EXPECT_FALSE(allow.AllowsIp("192.168.1.8"));
  EXPECT_TRUE(allow.AllowsIp("172.31.255.1"));
  EXPECT_FALSE(allow.AllowsIp("172.32.0.1"));
  EXPECT_TRUE(allow.AllowsIp("2001:db8:1::5"));
  EXPECT_FALSE(allow.AllowsIp("2001:db9::5"));
  EXPECT_FALSE(allow.AllowsIp(""));
  EXPECT_FALSE(allow.AllowsIp("not-an-ip"));
  for (const char* bad : {"10.0.0.0/33", "300.1.1.1", "10.0.0.0/", "10.0.0.0/x", "::1/129", "host.example"}) {
    EXPECT_FALSE(allow.AddNetwork(bad, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

TEST(StreamingRulesTest, BurstFiresOnceAndTheSteadyDecoyStaysQuiet) {
  StreamingRules rules({}, {});
  std::vector<LogRow> rows;
  for (int i = 0; i < 150; ++i) rows.push_back(Consume(kT0 + i * 56 / 150, 1, 1));  // 150 requests in 56 s
  for (int i = 0; i < 500; ++i) rows.push_back(Consume(kT0 + i * 60 / 100, 2, 2));  // 100 per minute, 5 minutes
  auto hits = Feed(rules, rows);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].rule, Rule::kBurst);
  EXPECT_EQ(hits[0].subject_id, "1");
  EXPECT_EQ(hits[0].score, 120);
  // While the window stays over the limit the hit is active, with its latest score; then it ends.
  auto active = rules.ActiveHits(50);
  ASSERT_EQ(active.size(), 0u) << "the decoy ran 5 minutes after the burst: the burst window is over";
  StreamingRules fresh({}, {});
  Feed(fresh, std::vector<LogRow>(rows.begin(), rows.begin() + 150));
  active = fresh.ActiveHits(50);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].score, 150);
}

TEST(AdaptiveTest, LimitIsTheFloorOrTheFactorTimesTheBaselineAndStaticWithoutOne) {
  Thresholds t;
  EXPECT_EQ(BurstLimit(t, 500), 120) << "static mode ignores baselines";
  t.burst_adaptive = true;
  EXPECT_EQ(BurstLimit(t, -1), 120) << "no baseline: the static limit";
  EXPECT_EQ(BurstLimit(t, 0), 30) << "an idle week: the floor";
  EXPECT_EQ(BurstLimit(t, 6), 30);
  EXPECT_EQ(BurstLimit(t, 320), 960);
  t.burst_factor = 2.5;
  EXPECT_EQ(BurstLimit(t, 13), 33) << "rounded up: counts compare with whole numbers";
  EXPECT_EQ(LowestBurstLimit(t), 30);
  t.ip_users_adaptive = true;
  EXPECT_EQ(IpUsersLimit(t, 10), 30);
  EXPECT_EQ(IpUsersLimit(t, 1), 5);
  EXPECT_EQ(IpUsersLimit(t, -1), 5);
  Thresholds bad;
  bad.burst_factor = 0;
  EXPECT_NE(bad.Validate().find("burst.factor"), std::string::npos);
}

TEST(AdaptiveTest, P99CountsIdleWindowsAsZero) {
  std::vector<int64_t> few(100, 50);
  EXPECT_EQ(P99OfWindows(&few, 10080), 0) << "busy in under 1 % of the minutes";
  std::vector<int64_t> counts;
  for (int i = 0; i < 300; ++i) counts.push_back(i + 1);  // 1..300
  EXPECT_EQ(P99OfWindows(&counts, 10080), 200) << "the 101st busiest minute";
  std::vector<int64_t> all(1000, 7);
  EXPECT_EQ(P99OfWindows(&all, 1000), 7);
}

TEST(StreamingRulesTest, AdaptiveBurstFlagsTheQuietTokenAndNotTheHeavyOne) {
  Thresholds t;
  t.burst_adaptive = true;
  StreamingRules rules(t, {});
  rules.SetBaselines({.burst = {{1, 6}, {2, 320}}, .ip_users = {}});
  std::vector<LogRow> rows;
  for (int i = 0; i < 60; ++i) rows.push_back(Consume(kT0 + i, 1, 1));       // quiet token: 6/min -> 60/min
  for (int i = 0; i < 300; ++i) rows.push_back(Consume(kT0 + i / 5, 2, 2));  // heavy token: its usual 300/min
  for (int i = 0; i < 60; ++i) rows.push_back(Consume(kT0 + i, 3, 3));       // no baseline: the static 120
  auto hits = Feed(rules, rows);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].subject_id, "1");
  EXPECT_EQ(hits[0].threshold, 30);
  EXPECT_EQ(hits[0].baseline, 6);
  EXPECT_EQ(hits[0].score, 30);
  // Static mode: the reverse.
  StreamingRules fixed({}, {});
  fixed.SetBaselines({.burst = {{1, 6}, {2, 320}}, .ip_users = {}});
  hits = Feed(fixed, rows);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].subject_id, "2");
  EXPECT_EQ(hits[0].baseline, -1);
}

TEST(StreamingRulesTest, AdaptiveIpManyUsersUsesTheIpsUsualUsers) {
  Thresholds t;
  t.ip_users_adaptive = true;
  StreamingRules rules(t, {});
  rules.SetBaselines({.burst = {}, .ip_users = {{"192.0.2.1", 10}, {"192.0.2.2", 1}}});
  std::vector<LogRow> rows;
  for (int user = 1; user <= 12; ++user) rows.push_back(Consume(kT0 + user, user, user, "192.0.2.1"));  // office
  for (int user = 1; user <= 6; ++user) rows.push_back(Consume(kT0 + user, user, user, "192.0.2.2"));   // a home IP
  auto hits = Feed(rules, rows);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].subject_id, "192.0.2.2");
  EXPECT_EQ(hits[0].threshold, 5) << "the floor";
  EXPECT_EQ(hits[0].baseline, 1);
  StreamingRules fixed({}, {});
  hits = Feed(fixed, rows);
  ASSERT_EQ(hits.size(), 2u) << "static mode flags the office too";
}

TEST(StreamingRulesTest, SharedKeyFiresAndHomePlusMobileDoesNot) {
  StreamingRules rules({}, {});
  std::vector<LogRow> rows;
  for (int i = 0; i < 12; ++i) rows.push_back(Consume(kT0 + i * 30, 5, 5, "203.0.113." + std::to_string(i)));
  for (int i = 0; i < 60; ++i) rows.push_back(Consume(kT0 + i * 10, 6, 6, i % 2 ? "198.51.100.1" : "198.51.100.2"));
  auto hits = Feed(rules, rows);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].rule, Rule::kMultiUserToken);
  EXPECT_EQ(hits[0].subject_id, "5");
  EXPECT_EQ(hits[0].score, 6);
}

TEST(StreamingRulesTest, IpManyUsersCountsLoginsAndAFamilyIpStaysQuiet) {
  StreamingRules rules({}, {});
  std::vector<LogRow> rows;
  for (int user = 10; user < 18; ++user) {
    LogRow login = Consume(kT0 + user, 0, user, "192.0.2.50");
    login.type = newapi::kLogLogin;
    rows.push_back(login);
  }
  for (int i = 0; i < 30; ++i) rows.push_back(Consume(kT0 + i, 30 + i % 3, 30 + i % 3, "192.0.2.99"));
  auto hits = Feed(rules, rows);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].rule, Rule::kIpManyUsers);
  EXPECT_EQ(hits[0].subject_id, "192.0.2.50");
  EXPECT_EQ(hits[0].score, 5);
}

TEST(StreamingRulesTest, BigRequestAgainstThePreviousHoursAndAWideModelStaysQuiet) {
  StreamingRules rules({}, {});
  std::vector<LogRow> rows;
  for (int i = 0; i < 200; ++i) {
    rows.push_back(Consume(kT0 + i * 10, 100 + i, 100 + i, "", 900 + (i % 21) * 10));            // 900..1100
    rows.push_back(Consume(kT0 + i * 10, 400 + i, 400 + i, "", (i % 2) ? 100 : 40000, "wide"));  // huge spread
  }
  rows.push_back(Consume(kT0 + 2 * 3600, 1, 1, "", 1150));               // normal next hour
  rows.push_back(Consume(kT0 + 2 * 3600 + 5, 2, 2, "", 50000));          // absurd
  rows.push_back(Consume(kT0 + 2 * 3600 + 9, 3, 3, "", 45000, "wide"));  // big, but within the model's spread
  auto hits = Feed(rules, rows);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].rule, Rule::kBigRequest);
  EXPECT_EQ(hits[0].subject_type, "request");
  EXPECT_EQ(hits[0].subject_name, "gpt-4o");
  EXPECT_EQ(hits[0].score, 50000);
}

TEST(StreamingRulesTest, ALateRowRaisesTheWindowsItJoins) {
  StreamingRules rules({}, {});
  std::vector<LogRow> rows;
  for (int i = 0; i < 119; ++i) rows.push_back(Consume(kT0 + 10 + i / 4, 1, 1));  // 119 in [10, 39]
  rows.push_back(Consume(kT0 + 200, 1, 1));                                       // the token moves on
  rows.push_back(Consume(kT0 + 5, 1, 1));  // committed late: the window ending at 39 now holds 120
  const auto findings = Summarize(FeedAll(rules, rows), kT0, kT0 + 3600);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].peak_score, 120);
  EXPECT_EQ(findings[0].first_window_start, kT0 + 39 - 59) << "only the window anchored at the last request of 39";
  EXPECT_EQ(findings[0].last_window_end, kT0 + 39);
  EXPECT_EQ(findings[0].windows, 1);
}

TEST(StreamingRulesTest, TumblingWindowsSplitAtTheirBoundary) {
  StreamingRules rules({}, {});
  std::vector<LogRow> rows;
  // 4 IPs at the end of one window and 4 at the start of the next: neither window reaches 6.
  for (int i = 0; i < 8; ++i) rows.push_back(Consume(kT0 + 596 + i, 7, 7, "198.51.100." + std::to_string(i)));
  EXPECT_TRUE(Feed(rules, rows).empty());
  // Persisting into a whole window fires it, once per episode across consecutive windows.
  rows.clear();
  for (int w = 2; w <= 4; ++w) {
    for (int i = 0; i < 7; ++i)
      rows.push_back(Consume(kT0 + 600 * w + 10 + i, 7, 7, "198.51.101." + std::to_string(i)));
  }
  const auto all = FeedAll(rules, rows);
  EXPECT_EQ(Feed(rules, {}).size(), 0u);
  int episodes = 0;
  for (const Hit& hit : all) episodes += hit.starts_episode ? 1 : 0;
  EXPECT_EQ(episodes, 1);
  const auto findings = Summarize(all, kT0, kT0 + 7200);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].windows, 3);
  EXPECT_EQ(findings[0].peak_score, 7);
  EXPECT_EQ(findings[0].first_window_start, kT0 + 1200);
  EXPECT_EQ(findings[0].last_window_end, kT0 + 2999);
  // Only the windows overlapping the range are summarised.
  EXPECT_EQ(Summarize(all, kT0 + 1900, kT0 + 2000).at(0).windows, 1);
}

TEST(SummarizeTest, DeduplicatesWindowsAndKeepsTheirBestScore) {
  std::vector<Hit> hits = {
      {Rule::kIpManyUsers, "ip", "192.0.2.1", "", 5, 5, -1, 600, 1199, 610, true},
      {Rule::kIpManyUsers, "ip", "192.0.2.1", "", 6, 5, -1, 600, 1199, 650, false},
      {Rule::kBurst, "token", "9", "t9", 130, 120, -1, 41, 100, 100, true},
  };
  const auto findings = Summarize(hits, 0, 2000);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].rule, Rule::kBurst);
  EXPECT_EQ(findings[1].windows, 1);
  EXPECT_EQ(findings[1].peak_score, 6);
  EXPECT_TRUE(Summarize(hits, 1200, 2000).empty());
}

TEST(AllowListTest, SqlConditionCoversIdsAndNetworks) {
  AllowList allow;
  const Dialect mysql(DbEngine::kMySQL);
  EXPECT_EQ(allow.SqlCondition(mysql), "");
  allow.token_ids = {3, 1};
  allow.channel_ids = {7};
  std::string error;
  ASSERT_TRUE(allow.AddNetwork("10.1.0.0/15", &error));
  ASSERT_TRUE(allow.AddNetwork("2001:db8::/32", &error));
  EXPECT_EQ(allow.SqlCondition(mysql),
            "COALESCE(token_id IN (1,3) OR channel_id IN (7) OR "
            "(LENGTH(INET6_ATON(ip)) = 4 AND INET6_ATON(ip) BETWEEN X'0a000000' AND X'0a01ffff') OR "
            "(LENGTH(INET6_ATON(ip)) = 16 AND INET6_ATON(ip) BETWEEN X'20010db8000000000000000000000000' AND "
            "X'20010db8ffffffffffffffffffffffff'), FALSE)");
}

TEST(StreamingRulesTest, AllowListedSubjectsNeverFire) {
  AllowList allow;
  allow.token_ids.insert(1);
  std::string error;
  ASSERT_TRUE(allow.AddNetwork("203.0.113.0/24", &error));
  StreamingRules rules({}, allow);
  std::vector<LogRow> rows;
  for (int i = 0; i < 200; ++i) rows.push_back(Consume(kT0 + i / 4, 1, 1));
  for (int i = 0; i < 12; ++i) rows.push_back(Consume(kT0 + i, 5, 5, "203.0.113." + std::to_string(i)));
  EXPECT_TRUE(Feed(rules, rows).empty());
}

TEST(StreamingRulesTest, MemoryIsBoundedAndIdleWindowsExpire) {
  StreamingRules rules({}, {}, /*max_keys=*/100);
  for (int token = 1; token <= 1000; ++token) rules.Observe(Consume(kT0, token, token));
  EXPECT_LE(rules.tracked_keys(), 200u) << "100 burst windows plus the model";
  EXPECT_GT(rules.untracked(), 0u);
  rules.Observe(Consume(kT0 + 3 * 3600, 5000, 5000));
  rules.Expire();
  EXPECT_LE(rules.tracked_keys(), 3u) << "only the newest token and its model remain";
}

}  // namespace
}  // namespace observer::rules
