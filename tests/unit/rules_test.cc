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

std::vector<Hit> Feed(StreamingRules& rules, const std::vector<LogRow>& rows) {
  std::vector<Hit> all;
  for (const LogRow& row : rows) {
    auto hits = rules.Observe(row);
    all.insert(all.end(), hits.begin(), hits.end());
  }
  return all;
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
    rows.push_back(Consume(kT0 + i * 10, 100 + i, 100 + i, "", 900 + (i % 21) * 10));           // 900..1100
    rows.push_back(Consume(kT0 + i * 10, 400 + i, 400 + i, "", (i % 2) ? 100 : 40000, "wide"));  // huge spread
  }
  rows.push_back(Consume(kT0 + 2 * 3600, 1, 1, "", 1150));                   // normal next hour
  rows.push_back(Consume(kT0 + 2 * 3600 + 5, 2, 2, "", 50000));              // absurd
  rows.push_back(Consume(kT0 + 2 * 3600 + 9, 3, 3, "", 45000, "wide"));      // big, but within the model's spread
  auto hits = Feed(rules, rows);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].rule, Rule::kBigRequest);
  EXPECT_EQ(hits[0].subject_type, "request");
  EXPECT_EQ(hits[0].subject_name, "gpt-4o");
  EXPECT_EQ(hits[0].score, 50000);
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
