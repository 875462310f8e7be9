// Tests of the simulator's pure generator: determinism, quota maths, diurnal shape, streaming, IP rules, ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "catalog.h"
#include "entities.h"
#include "traffic.h"

namespace sim {
namespace {

constexpr int64_t kEnd = 1767225600;  // 2026-01-01 00:00 UTC
constexpr int64_t kWeek = 7 * 86400;

struct Generated {
  Population population;
  std::vector<LogRow> rows;
};

Generated Generate(uint64_t seed, int64_t rows, int64_t span = kWeek, int users = 2000) {
  Generated g{BuildPopulation(DefaultCatalog(), {seed, users, 12, kEnd - span}), {}};
  HistoryGenerator gen(DefaultCatalog(), g.population, {seed, kEnd - span, kEnd, rows});
  LogRow row;
  while (gen.Next(&row)) g.rows.push_back(row);
  return g;
}

std::string AllTsv(const Generated& g) {
  std::string out;
  for (const LogRow& r : g.rows) AppendLogTsv(r, &out);
  return out;
}

TEST(SimulatorGenerator, SameSeedGivesIdenticalRowsAndKeys) {
  const Generated a = Generate(7, 20000), b = Generate(7, 20000), c = Generate(8, 20000);
  EXPECT_EQ(AllTsv(a), AllTsv(b));
  EXPECT_NE(AllTsv(a), AllTsv(c));
  ASSERT_EQ(a.population.tokens.size(), b.population.tokens.size());
  for (size_t i = 0; i < a.population.tokens.size(); ++i)
    EXPECT_EQ(a.population.tokens[i].key, b.population.tokens[i].key);
  EXPECT_NE(a.population.tokens[0].key, c.population.tokens[0].key);
  const EntityTotals totals(a.population);
  const observer::Dialect dialect(observer::DbEngine::kMySQL);
  EXPECT_EQ(EntityInsertStatements(dialect, DefaultCatalog(), a.population, totals, kEnd),
            EntityInsertStatements(dialect, DefaultCatalog(), b.population, totals, kEnd));
}

TEST(SimulatorGenerator, ExactRowCountInsideTheWindow) {
  const Generated g = Generate(1, 30000);
  ASSERT_EQ(g.rows.size(), 30000u);
  for (const LogRow& r : g.rows) {
    ASSERT_GE(r.created_at, kEnd - kWeek);
    ASSERT_LT(r.created_at, kEnd);
  }
}

TEST(SimulatorGenerator, QuotaFormula) {
  const Catalog& c = DefaultCatalog();
  // gpt-4o: ratio 1.25, completion 4, cache 0.5: (800 uncached + 200·0.5 + 100·4)·1.25 = 1625.
  EXPECT_EQ(ComputeQuota(*c.FindModel("gpt-4o"), 1.0, 1000, 100, 200), 1625);
  EXPECT_EQ(ComputeQuota(*c.FindModel("gpt-4o"), 0.8, 1000, 100, 200), 1300);
  // dall-e-3: USD 0.04 per call · 500000 · group ratio.
  EXPECT_EQ(ComputeQuota(*c.FindModel("dall-e-3"), 1.0, 60, 0, 0), 20000);
  EXPECT_EQ(ComputeQuota(*c.FindModel("dall-e-3"), 0.9, 60, 0, 0), 18000);
  // Tiny cheap requests still cost one unit.
  EXPECT_EQ(ComputeQuota(*c.FindModel("text-embedding-3-small"), 1.0, 3, 0, 0), 1);
}

TEST(SimulatorGenerator, ConsumeQuotaMatchesTokensAndTheRatiosInOther) {
  const Generated g = Generate(3, 40000);
  int ratio_rows = 0, priced_rows = 0, cached_rows = 0;
  for (const LogRow& r : g.rows) {
    if (r.type != newapi::kLogConsume) continue;
    const nlohmann::json other = nlohmann::json::parse(r.other);
    const ModelSpec* m = DefaultCatalog().FindModel(r.model_name);
    ASSERT_NE(m, nullptr);
    const double group_ratio = other.at("group_ratio");
    const int64_t cache = other.at("cache_tokens");
    if (other.at("model_price").get<double>() > 0) {
      ++priced_rows;
      EXPECT_EQ(r.quota, std::llround(other.at("model_price").get<double>() * 500000 * group_ratio));
    } else {
      ++ratio_rows;
      const double expected = (static_cast<double>(r.prompt_tokens - cache) +
                               static_cast<double>(cache) * other.at("cache_ratio").get<double>() +
                               static_cast<double>(r.completion_tokens) * other.at("completion_ratio").get<double>()) *
                              other.at("model_ratio").get<double>() * group_ratio;
      EXPECT_NEAR(static_cast<double>(r.quota), std::max(1.0, expected), 1.0) << r.model_name;
      if (cache > 0) ++cached_rows;
    }
    EXPECT_EQ(other.at("model_ratio").get<double>(), m->model_ratio);
    EXPECT_EQ(group_ratio, DefaultCatalog().FindGroup(r.group).ratio);
  }
  EXPECT_GT(ratio_rows, 30000);
  EXPECT_GT(priced_rows, 100);
  EXPECT_GT(cached_rows, 3000);
}

TEST(SimulatorGenerator, NightIsFarQuieterThanEvening) {
  const Generated g = Generate(5, 100000);
  std::map<int, int> per_hour;
  for (const LogRow& r : g.rows) ++per_hour[LocalHour(r.created_at)];
  const double night = (per_hour[3] + per_hour[4] + per_hour[5]) / 3.0;
  const double evening = (per_hour[20] + per_hour[21] + per_hour[22]) / 3.0;
  EXPECT_LT(night, 0.15 * evening) << night << " vs " << evening;
}

TEST(SimulatorGenerator, WeekendsAreQuieter) {
  const Generated g = Generate(5, 100000);
  std::map<int, int> per_weekday;
  for (const LogRow& r : g.rows) ++per_weekday[static_cast<int>(((r.created_at + 8 * 3600) / 86400 + 4) % 7)];
  const double weekend = (per_weekday[0] + per_weekday[6]) / 2.0;
  const double weekday = (per_weekday[1] + per_weekday[2] + per_weekday[3] + per_weekday[4] + per_weekday[5]) / 5.0;
  EXPECT_NEAR(weekend / weekday, 0.6, 0.08);
}

TEST(SimulatorGenerator, AboutSixtyPercentStreamWithFirstResponseTime) {
  const Generated g = Generate(9, 40000);
  int consume = 0, stream = 0;
  for (const LogRow& r : g.rows) {
    if (r.type != newapi::kLogConsume) continue;
    ++consume;
    const nlohmann::json other = nlohmann::json::parse(r.other);
    if (r.is_stream) {
      ++stream;
      ASSERT_TRUE(other.contains("frt"));
      EXPECT_GT(other.at("frt").get<double>(), 0);
    } else {
      EXPECT_FALSE(other.contains("frt"));
    }
    EXPECT_EQ(other.at("admin_info").at("use_channel").back(), std::to_string(r.channel_id));
  }
  EXPECT_NEAR(static_cast<double>(stream) / consume, 0.6, 0.07);
}

TEST(SimulatorGenerator, IpOnlyForRecordIpUsersAndAlwaysOnLogins) {
  const Generated g = Generate(11, 60000);
  int logins = 0, recorded = 0;
  for (const LogRow& r : g.rows) {
    const User& u = g.population.users[static_cast<size_t>(r.user_id - 1)];
    ASSERT_EQ(u.id, r.user_id);
    EXPECT_EQ(r.username, u.username);
    if (r.type == newapi::kLogConsume || r.type == newapi::kLogError) {
      EXPECT_EQ(!r.ip.empty(), u.record_ip_log) << "user " << u.id;
      if (!r.ip.empty()) {
        ++recorded;
        EXPECT_TRUE(r.ip == u.home_ip || r.ip == u.mobile_ip);
      }
    }
    if (r.type == newapi::kLogLogin) {
      ++logins;
      EXPECT_FALSE(r.ip.empty());
      EXPECT_TRUE(nlohmann::json::parse(r.other).contains("login_method"));
    }
  }
  EXPECT_GT(logins, 500);
  EXPECT_GT(recorded, 1000);
}

TEST(SimulatorGenerator, NoIpIsSharedByMoreThanThreeUsers) {
  const Population p = BuildPopulation(DefaultCatalog(), {42, 2000, 12, kEnd - kWeek});
  std::map<std::string, std::set<int64_t>> users_by_ip;
  for (const User& u : p.users) {
    users_by_ip[u.home_ip].insert(u.id);
    if (!u.mobile_ip.empty()) users_by_ip[u.mobile_ip].insert(u.id);
  }
  for (const auto& [ip, users] : users_by_ip) EXPECT_LE(users.size(), 3u) << ip;
  EXPECT_EQ(users_by_ip[p.family_ip].size(), 3u);
}

TEST(SimulatorGenerator, IdsHaveGapsAndSomeCommitsAreOutOfOrder) {
  const Generated g = Generate(13, 50000);
  int gaps = 0, out_of_order = 0;
  for (size_t i = 1; i < g.rows.size(); ++i) {
    ASSERT_GT(g.rows[i].id, g.rows[i - 1].id);
    if (g.rows[i].id > g.rows[i - 1].id + 1) ++gaps;
    if (g.rows[i].created_at < g.rows[i - 1].created_at) {
      ++out_of_order;
      EXPECT_LE(g.rows[i - 1].created_at - g.rows[i].created_at, 5);
    }
  }
  EXPECT_GT(gaps, 50);
  EXPECT_NEAR(out_of_order / 50000.0, 0.01, 0.004);
}

TEST(SimulatorGenerator, ErrorsConcentrateOnTheFlakyChannel) {
  const Generated g = Generate(17, 60000);
  const int64_t flaky = g.population.channels[g.population.flaky_channel].id;
  int errors = 0, on_flaky = 0;
  for (const LogRow& r : g.rows) {
    if (r.type != newapi::kLogError) continue;
    ++errors;
    if (r.channel_id == flaky) ++on_flaky;
    EXPECT_EQ(r.quota, 0);
    EXPECT_EQ(r.content.rfind("status_code=", 0), 0u);
  }
  EXPECT_NEAR(static_cast<double>(errors) / 60000, 0.02, 0.005);
  EXPECT_GT(static_cast<double>(on_flaky) / errors, 0.6);
}

// The busiest token's requests in any 60 s window, over a dense day (1M rows/day ≈ 1400/min at peak).
TEST(SimulatorGenerator, NormalTrafficStaysFarBelowTheBurstRule) {
  const Generated g = Generate(19, 400000, 86400 / 2);
  std::map<int64_t, std::vector<int64_t>> times;
  for (const LogRow& r : g.rows) {
    if (r.type == newapi::kLogConsume) times[r.token_id].push_back(r.created_at);
  }
  size_t busiest = 0;
  for (auto& [token, t] : times) {
    std::sort(t.begin(), t.end());
    for (size_t lo = 0, hi = 0; hi < t.size(); ++hi) {
      while (t[hi] - t[lo] >= 60) ++lo;
      busiest = std::max(busiest, hi - lo + 1);
    }
  }
  EXPECT_LE(busiest, 80u);
  EXPECT_GE(busiest, 20u);  // heavy users exist
}

TEST(SimulatorGenerator, TrafficIsHeavyTailed) {
  const Generated g = Generate(23, 100000);
  std::map<int64_t, int> per_user;
  int consume = 0;
  for (const LogRow& r : g.rows) {
    if (r.type == newapi::kLogConsume) ++per_user[r.user_id], ++consume;
  }
  std::vector<int> counts;
  for (const auto& [u, n] : per_user) counts.push_back(n);
  std::sort(counts.rbegin(), counts.rend());
  int top = 0;
  for (size_t i = 0; i < 100 && i < counts.size(); ++i) top += counts[i];
  EXPECT_GT(static_cast<double>(top) / consume, 0.5);  // 5 % of users make most of the traffic
}

}  // namespace
}  // namespace sim
