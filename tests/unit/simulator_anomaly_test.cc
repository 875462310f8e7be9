// Tests of the simulator's anomaly and decoy plans: each injection must clear its rule's threshold, each decoy
// must stay under it.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "anomalies.h"

namespace sim {
namespace {

constexpr int64_t kStart = 1767225600;

class SimulatorAnomaly : public ::testing::Test {
 protected:
  Population population = BuildPopulation(DefaultCatalog(), {42, 2000, 12, kStart - 7 * 86400});
  TrafficGenerator gen{DefaultCatalog(), population, 99, 1.0};
};

// Largest number of rows of one subject within any window of `seconds`.
size_t MaxInWindow(std::vector<double> times, double seconds) {
  std::sort(times.begin(), times.end());
  size_t best = 0;
  for (size_t lo = 0, hi = 0; hi < times.size(); ++hi) {
    while (times[hi] - times[lo] >= seconds) ++lo;
    best = std::max(best, hi - lo + 1);
  }
  return best;
}

TEST_F(SimulatorAnomaly, BurstHasAtLeast150RequestsOfOneTokenIn60Seconds) {
  const Injection inj = PlanBurst(gen, kStart);
  EXPECT_EQ(inj.kind, "burst");
  std::map<int64_t, std::vector<double>> by_token;
  for (const PlannedRow& r : inj.rows) {
    EXPECT_EQ(r.row.type, newapi::kLogConsume);
    by_token[r.row.token_id].push_back(r.at_seconds);
  }
  ASSERT_EQ(by_token.size(), 1u);
  EXPECT_EQ(std::to_string(by_token.begin()->first), inj.subject_id);
  EXPECT_GE(MaxInWindow(by_token.begin()->second, 60), 150u);
  // Also in whole seconds, as the database stores created_at.
  std::vector<double> stamps;
  for (const PlannedRow& r : inj.rows) stamps.push_back(static_cast<double>(r.row.created_at));
  EXPECT_GE(MaxInWindow(stamps, 60), 150u);
}

TEST_F(SimulatorAnomaly, SharedKeyUsesTwelveOrMoreIpsInTenMinutes) {
  const Injection inj = PlanSharedKey(gen, kStart);
  std::set<std::string> ips;
  std::set<int64_t> tokens;
  for (const PlannedRow& r : inj.rows) {
    ASSERT_FALSE(r.row.ip.empty());  // only visible because the owner records IPs
    ASSERT_LT(r.at_seconds, 600);
    ips.insert(r.row.ip);
    tokens.insert(r.row.token_id);
  }
  EXPECT_EQ(tokens.size(), 1u);
  EXPECT_GE(ips.size(), 12u);
}

TEST_F(SimulatorAnomaly, OneIpServesEightOrMoreUsersInTenMinutes) {
  const Injection inj = PlanIpManyUsers(gen, kStart);
  std::set<int64_t> users, login_users;
  for (const PlannedRow& r : inj.rows) {
    ASSERT_LT(r.at_seconds, 600);
    if (r.row.ip != inj.subject_id) continue;
    users.insert(r.row.user_id);
    if (r.row.type == newapi::kLogLogin) login_users.insert(r.row.user_id);
  }
  EXPECT_GE(users.size(), 8u);
  EXPECT_GE(login_users.size(), 8u);  // logins alone reveal it, whatever the users' record_ip_log
}

TEST_F(SimulatorAnomaly, BigRequestExceedsTenSigmaAndNormalTrafficNeverDoes) {
  const Injection inj = PlanBigRequest(gen, kStart);
  ASSERT_EQ(inj.rows.size(), 1u);
  const LogRow& r = inj.rows[0].row;
  const ModelSpec& m = *DefaultCatalog().FindModel(r.model_name);
  EXPECT_GT(static_cast<double>(r.prompt_tokens + r.completion_tokens),
            ExpectedTotalTokens(m) + 10 * TotalTokensStddev(m));
  EXPECT_GE(r.prompt_tokens, 400000);
  for (const ModelSpec& model : DefaultCatalog().models) {
    if (model.fixed_price()) continue;
    EXPECT_LT(MaxTotalTokens(model), ExpectedTotalTokens(model) + 10 * TotalTokensStddev(model)) << model.name;
  }
}

TEST_F(SimulatorAnomaly, DecoysStayUnderTheRules) {
  const Injection steady = PlanSteadyToken(gen, kStart);
  std::vector<double> times, stamps;
  for (const PlannedRow& r : steady.rows) {
    times.push_back(r.at_seconds);
    stamps.push_back(static_cast<double>(r.row.created_at));
  }
  EXPECT_GE(MaxInWindow(times, 60), 95u);
  EXPECT_LT(MaxInWindow(stamps, 60), 120u);
  EXPECT_GE(steady.end - steady.start, 240);

  const Injection family = PlanFamilyIp(gen, kStart);
  std::set<int64_t> family_users;
  for (const PlannedRow& r : family.rows) {
    if (r.row.ip == family.subject_id) family_users.insert(r.row.user_id);
  }
  EXPECT_EQ(family_users.size(), 3u);

  const Injection roaming = PlanHomeAndMobile(gen, kStart);
  ASSERT_FALSE(roaming.rows.empty());
  std::set<std::string> ips;
  for (const PlannedRow& r : roaming.rows) ips.insert(r.row.ip);
  EXPECT_EQ(ips.size(), 2u);

  const Injection wide = PlanWideModelRequest(gen, kStart);
  const LogRow& w = wide.rows.at(0).row;
  const ModelSpec& m = *DefaultCatalog().FindModel(w.model_name);
  const double total = static_cast<double>(w.prompt_tokens + w.completion_tokens);
  EXPECT_LT(total, ExpectedTotalTokens(m) + 3 * TotalTokensStddev(m));
  EXPECT_GT(total, ExpectedTotalTokens(m) + 1.5 * TotalTokensStddev(m));
}

TEST_F(SimulatorAnomaly, KindsCycleInOrder) {
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(PlanAnomaly(i, gen, kStart).kind, kAnomalyKinds[i % 4]);
    EXPECT_EQ(PlanDecoy(i, gen, kStart).kind.rfind("decoy_", 0), 0u);
  }
}

}  // namespace
}  // namespace sim
