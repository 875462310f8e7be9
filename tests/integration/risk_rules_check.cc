// The risk rules on a simulated database with injected anomalies and decoys: the streaming evaluator (fed every
// `logs` row in id order, as the exporter tails them) and the SQL evaluator give the same findings over the same
// ranges; every injected anomaly is found by both; no decoy and no normal traffic is; allow-listed subjects never
// fire. Run by risk_rules_test.sh with NEWAPI_CHECK_DB_PORT and NEWAPI_CHECK_INJECTIONS set.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "observer/db_client.h"
#include "observer/newapi/logs.h"
#include "observer/rules/big_request_agg.h"
#include "observer/rules/sql_rules.h"
#include "observer/rules/streaming_rules.h"
#include "observer/rules/window_rules_agg.h"
#include "test_env.h"

namespace observer::rules {
namespace {

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) ADD_FAILURE() << name << " is not set; run this through risk_rules_test.sh";
  return value == nullptr ? "" : value;
}

std::string Describe(const Finding& f) {
  return std::string(RuleName(f.rule)) + " " + f.subject_type + " " + f.subject_id + " peak " +
         std::to_string(f.peak_score) + " limit " + std::to_string(f.threshold) + " baseline " +
         std::to_string(f.baseline) + " windows " + std::to_string(f.windows) + " [" +
         std::to_string(f.first_window_start) + ", " + std::to_string(f.last_window_end) + "]";
}

class RiskRulesCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new DbClient(testing::CheckDbOptions(std::atoi(Env("NEWAPI_CHECK_DB_PORT"))));
    DbStatus connected = db_->Connect();
    ASSERT_TRUE(connected.ok) << connected.message;
    std::ifstream in(Env("NEWAPI_CHECK_INJECTIONS"));
    for (std::string line; std::getline(in, line);) injections_.push_back(nlohmann::json::parse(line));
    ASSERT_GE(injections_.size(), 16u) << "expected every anomaly kind and decoy at least twice";
    // big_request subjects are logs ids; the simulator names the request by its request_id.
    for (nlohmann::json& inj : injections_) {
      if (inj["subject_type"] != "request") continue;
      QueryResult result;
      ASSERT_TRUE(
          db_->Query("SELECT id FROM logs WHERE request_id = " + db_->Quote(inj["subject_id"].get<std::string>()),
                     &result)
              .ok);
      ASSERT_EQ(result.rows.size(), 1u) << inj.dump();
      inj["subject_id"] = *result.rows[0][0];
    }
    QueryResult range;
    ASSERT_TRUE(db_->Query("SELECT MIN(created_at), MAX(created_at) FROM logs", &range).ok);
    first_ = DbInt(range.rows[0][0]);
    last_ = DbInt(range.rows[0][1]);
  }
  static void TearDownTestSuite() { delete db_; }

  // Every row through the streaming evaluator in id order; all hits.
  static std::vector<Hit> Stream(const AllowList& allow, const Thresholds& t = {}, const Baselines& baselines = {}) {
    StreamingRules rules(t, allow);
    rules.SetBaselines(baselines);
    std::vector<Hit> hits;
    int64_t rows = 0;
    const auto started = std::chrono::steady_clock::now();
    DbStatus status = db_->QueryEach("SELECT " + std::string(newapi::kLogColumns) + " FROM logs ORDER BY id",
                                     [&](const DbRowView& row) {
                                       for (Hit& hit : rules.Observe(newapi::LogRowFrom(row))) hits.push_back(hit);
                                       if (++rows % 50000 == 0) rules.Expire();
                                     });
    EXPECT_TRUE(status.ok) << status.message;
    std::cout << "streamed " << rows << " rows in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s, "
              << hits.size() << " hits\n";
    return hits;
  }

  static std::vector<Finding> Sql(Rule rule, const AllowList& allow, TimeRange range, const Thresholds& t,
                                  const Baselines& baselines) {
    std::vector<Finding> findings;
    const auto started = std::chrono::steady_clock::now();
    DbStatus status = EvaluateRule(*db_, rule, t, allow, range, baselines, &findings);
    EXPECT_TRUE(status.ok) << RuleName(rule) << ": " << status.message;
    std::cout << "SQL " << RuleName(rule) << " over " << (range.end - range.start) / 3600 << " h: " << findings.size()
              << " findings in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
              << " s\n";
    return findings;
  }

  // The streaming and SQL findings of every rule over the range are identical; returns them.
  static std::vector<Finding> ExpectSameFindings(const std::vector<Hit>& hits, const AllowList& allow, TimeRange range,
                                                 const Thresholds& t = {}, const Baselines& baselines = {}) {
    const std::vector<Finding> streamed = Summarize(hits, range.start, range.end);
    std::vector<Finding> from_sql;
    for (Rule rule : kAllRules) {
      for (Finding& f : Sql(rule, allow, range, t, baselines)) from_sql.push_back(std::move(f));
    }
    std::set<std::string> a, b;
    for (const Finding& f : streamed) a.insert(Describe(f));
    for (const Finding& f : from_sql) b.insert(Describe(f));
    for (const std::string& f : a) EXPECT_TRUE(b.count(f)) << "streaming only: " << f;
    for (const std::string& f : b) EXPECT_TRUE(a.count(f)) << "SQL only: " << f;
    return streamed;
  }

  static std::set<std::pair<std::string, std::string>> Subjects(const std::string& kind_prefix) {
    std::set<std::pair<std::string, std::string>> out;
    for (const nlohmann::json& inj : injections_) {
      const std::string kind = inj["kind"];
      if (kind.rfind(kind_prefix, 0) == 0) {
        out.insert({inj["subject_type"].get<std::string>(), inj["subject_id"].get<std::string>()});
      }
    }
    return out;
  }

  // How many injections of each kind (anomalies, decoys, the adaptive pair) some rule flagged over their own range,
  // printed as one line per mode: the detection table of static against adaptive thresholds.
  class DetectionTally {
   public:
    void Add(const std::string& kind, bool flagged) {
      auto& [total, hit] = by_kind_[kind];
      ++total;
      hit += flagged;
    }
    void Print(const std::string& mode) const {
      std::cout << "detection (" << mode << "): flagged/injected";
      for (const auto& [kind, counts] : by_kind_)
        std::cout << " " << kind << " " << counts.second << "/" << counts.first;
      std::cout << "\n";
    }

   private:
    std::map<std::string, std::pair<int, int>> by_kind_;
  };

  static inline DbClient* db_ = nullptr;
  static inline std::vector<nlohmann::json> injections_;
  static inline int64_t first_ = 0, last_ = 0;
};

TEST_F(RiskRulesCheck, BothEvaluatorsFindEveryInjectionAndNothingElse) {
  const std::vector<Hit> hits = Stream(AllowList{});
  const std::vector<Finding> findings = ExpectSameFindings(hits, AllowList{}, {first_, last_ + 1});

  // Each injection over its own time range: an anomaly is found there by its rule, a decoy by no rule. Subjects may
  // repeat across injections (a quiet token can carry a burst one hour and a decoy the next), hence the ranges.
  int anomalies = 0, decoys = 0;
  DetectionTally tally;
  for (const nlohmann::json& inj : injections_) {
    const std::string kind = inj["kind"], subject = inj["subject_id"];
    const TimeRange range{inj["start"].get<int64_t>(), inj["end"].get<int64_t>() + 1};
    std::set<std::string> rules_firing;
    for (const Finding& f : Summarize(hits, range.start, range.end)) {
      if (f.subject_id == subject) rules_firing.insert(RuleName(f.rule));
    }
    tally.Add(kind, !rules_firing.empty());
    if (kind == "adaptive_heavy_token") {  // legitimate, but over the static limit
      EXPECT_TRUE(rules_firing.count("burst")) << "static mode missed the heavy token: " << inj.dump();
    } else if (kind == "adaptive_quiet_jump") {  // a tenfold jump under the static limit
      EXPECT_TRUE(rules_firing.empty()) << "static mode flagged the quiet token's jump: " << inj.dump();
    } else if (kind.rfind("decoy_", 0) == 0) {
      ++decoys;
      EXPECT_TRUE(rules_firing.empty()) << kind << " flagged: " << inj.dump();
    } else {
      ++anomalies;
      EXPECT_TRUE(rules_firing.count(kind)) << "injected " << kind << " not found: " << inj.dump();
    }
  }
  // Normal traffic stays quiet: every finding's windows overlap an injected anomaly of its rule and subject.
  for (const Finding& f : findings) {
    bool explained = false;
    for (const nlohmann::json& inj : injections_) {
      const bool heavy = inj["kind"] == "adaptive_heavy_token" && f.rule == Rule::kBurst;
      explained |= (heavy || inj["kind"] == RuleName(f.rule)) && inj["subject_id"] == f.subject_id &&
                   inj["start"].get<int64_t>() <= f.last_window_end &&
                   inj["end"].get<int64_t>() >= f.first_window_start;
    }
    EXPECT_TRUE(explained) << "normal traffic flagged: " << Describe(f);
  }
  std::cout << anomalies << " injected anomalies and " << decoys << " decoys, " << findings.size() << " findings\n";
  tally.Print("static");

  // Sub-ranges cut through windows: both evaluators still agree on what overlaps them.
  for (int64_t hours : {1, 6}) {
    const int64_t start = first_ + (last_ - first_) / 2 + 1234;
    ExpectSameFindings(hits, AllowList{}, {start, start + hours * 3600});
  }
}

// Adaptive mode on the same history, with the baselines the aggregator computes (7 days before the hour after the
// last row): both evaluators agree, every injected anomaly is still found, the quiet token's tenfold jump is found
// and the heavy token's usual rate is not (static mode: the reverse, checked above).
TEST_F(RiskRulesCheck, AdaptiveModeAgreesAndStillFindsEveryInjection) {
  Baselines baselines;
  const int64_t until = last_ - last_ % 3600 + 3600;
  const auto started = std::chrono::steady_clock::now();
  DbStatus status = ComputeBaselines(*db_, Thresholds{}, until, &baselines);
  ASSERT_TRUE(status.ok) << status.message;
  std::cout << "baselines of " << baselines.burst.size() << " tokens and " << baselines.ip_users.size() << " IPs in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
  Thresholds t;
  t.burst_adaptive = t.ip_users_adaptive = true;
  const std::vector<Hit> hits = Stream(AllowList{}, t, baselines);
  const std::vector<Finding> findings = ExpectSameFindings(hits, AllowList{}, {first_, last_ + 1}, t, baselines);
  int flagged_decoys = 0, unexplained = 0, adaptive_pair = 0;
  DetectionTally tally;
  for (const nlohmann::json& inj : injections_) {
    const std::string kind = inj["kind"], subject = inj["subject_id"];
    std::set<std::string> rules_firing;
    for (const Finding& f : Summarize(hits, inj["start"].get<int64_t>(), inj["end"].get<int64_t>() + 1)) {
      if (f.subject_id == subject) rules_firing.insert(RuleName(f.rule));
    }
    tally.Add(kind, !rules_firing.empty());
    if (kind == "adaptive_heavy_token") {
      ++adaptive_pair;
      EXPECT_TRUE(rules_firing.empty()) << "adaptive mode flagged the heavy token at its usual rate: " << inj.dump();
    } else if (kind == "adaptive_quiet_jump") {
      ++adaptive_pair;
      EXPECT_TRUE(rules_firing.count("burst")) << "adaptive mode missed the quiet token's jump: " << inj.dump();
    } else if (kind.rfind("decoy_", 0) == 0) {
      flagged_decoys += !rules_firing.empty();
      if (!rules_firing.empty()) std::cout << "adaptive flagged " << kind << " " << subject << "\n";
    } else {
      EXPECT_TRUE(rules_firing.count(kind)) << "adaptive: injected " << kind << " not found: " << inj.dump();
    }
  }
  for (const Finding& f : findings) {
    bool injected = false;
    for (const nlohmann::json& inj : injections_) {
      injected |= inj["subject_id"] == f.subject_id && inj["start"].get<int64_t>() <= f.last_window_end &&
                  inj["end"].get<int64_t>() >= f.first_window_start;
    }
    if (!injected) {
      ++unexplained;
      std::cout << "adaptive flagged normal traffic: " << Describe(f) << "\n";
    }
  }
  EXPECT_EQ(adaptive_pair, 2) << "the simulator's heavy and quiet tokens";
  std::cout << "adaptive: " << findings.size() << " findings, " << flagged_decoys << " decoys flagged, " << unexplained
            << " findings on normal traffic\n";
  tally.Print("adaptive");
  // The windows of the adaptive hits carry their subject's baseline.
  for (const Finding& f : findings) {
    if (f.rule == Rule::kBurst) {
      EXPECT_EQ(f.baseline, BurstBaseline(baselines, std::stoll(f.subject_id))) << Describe(f);
    }
  }
}

TEST_F(RiskRulesCheck, AllowListedSubjectsNeverFire) {
  AllowList allow;
  std::set<std::string> exempt;
  for (const auto& [type, id] : Subjects("burst")) {
    allow.token_ids.insert(std::stoll(id));
    exempt.insert(id);
  }
  for (const auto& [type, ip] : Subjects("ip_many_users")) {
    std::string error;
    ASSERT_TRUE(allow.AddNetwork(ip, &error)) << error;
    exempt.insert(ip);
  }
  ASSERT_FALSE(exempt.empty());
  const std::vector<Finding> findings = ExpectSameFindings(Stream(allow), allow, {first_, last_ + 1});
  for (const Finding& f : findings)
    EXPECT_FALSE(exempt.count(f.subject_id)) << "allow-listed but fired: " << Describe(f);
  bool others = false;
  for (const Finding& f : findings) others |= f.rule == Rule::kMultiUserToken || f.rule == Rule::kBigRequest;
  EXPECT_TRUE(others) << "the other rules still fire";
}

// big_request from the aggregator's per-hour tables (run by risk_rules_test.sh after a backfill, with
// NEWAPI_CHECK_AGG=1) equals the logs path exactly: same requests, scores and limits to the last bit, over ranges
// inside the finalized hours, across the boundary into the open hours, with an allow-list, and with a low sigma
// (many model-hours with more big requests than the table keeps: those hours come from logs).
TEST_F(RiskRulesCheck, BigRequestFromTheAggregatorsTablesEqualsLogs) {
  if (std::getenv("NEWAPI_CHECK_AGG") == nullptr) GTEST_SKIP() << "runs after the aggregator's backfill";
  const agg::AggTables tables(db_->dialect(), testing::CheckAggContainer(db_->options()));
  SizeTablesCover cover;
  ASSERT_TRUE(ReadSizeTablesCover(*db_, tables, &cover).ok);
  ASSERT_FALSE(cover.empty()) << "no finalized hours in the aggregator's tables";
  ASSERT_LT(cover.until, last_) << "the history should end in hours not finalized yet";
  auto exact = [](const Finding& f) {
    char limit[64];
    std::snprintf(limit, sizeof limit, "%.17g", f.threshold);
    return Describe(f) + " exact limit " + limit;
  };
  // The allow-list exempts the user of the first big request of the finalized hours, and a network.
  std::vector<Finding> finalized;
  ASSERT_TRUE(EvaluateRule(*db_, Rule::kBigRequest, {}, {}, {first_, cover.until}, {}, &finalized).ok);
  ASSERT_FALSE(finalized.empty());
  QueryResult owner;
  ASSERT_TRUE(db_->Query("SELECT user_id FROM logs WHERE id = " + finalized[0].subject_id, &owner).ok);
  AllowList allow;
  allow.user_ids.insert(DbInt(owner.rows.at(0)[0]));
  std::string error;
  ASSERT_TRUE(allow.AddNetwork("10.0.0.0/8", &error)) << error;
  int compared = 0;
  auto same = [&](const char* what, TimeRange range, const Thresholds& t, const AllowList& list) {
    std::vector<Finding> from_logs, from_tables;
    ASSERT_TRUE(EvaluateRule(*db_, Rule::kBigRequest, t, list, range, {}, &from_logs).ok);
    const auto started = std::chrono::steady_clock::now();
    DbStatus status = EvaluateBigRequestFrom(*db_, tables, t, list, range, &from_tables);
    ASSERT_TRUE(status.ok) << status.message;
    std::cout << "big_request from the tables, " << what << ": " << from_tables.size() << " findings in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
    std::vector<std::string> a, b;
    for (const Finding& f : from_logs) a.push_back(exact(f));
    for (const Finding& f : from_tables) b.push_back(exact(f));
    EXPECT_EQ(a, b) << what;
    compared += static_cast<int>(a.size());
  };
  const Thresholds defaults;
  Thresholds low = defaults;
  low.big_request_sigma = 1;
  // Inside the finalized hours, not on hour boundaries.
  same("finalized hours", {cover.until - 20 * 3600 + 77, cover.until - 3600 - 5}, defaults, AllowList{});
  same("finalized hours, allow-list", {cover.until - 20 * 3600 + 77, cover.until - 3600 - 5}, defaults, allow);
  // Across the boundary into the open hours, and the whole history.
  same("across the boundary", {cover.until - 6 * 3600 + 1, last_ + 1}, defaults, AllowList{});
  same("whole history", {first_, last_ + 1}, defaults, AllowList{});
  same("whole history, allow-list", {first_, last_ + 1}, defaults, allow);
  std::vector<Finding> all, allowed;
  ASSERT_TRUE(EvaluateBigRequestFrom(*db_, tables, defaults, {}, {first_, last_ + 1}, &all).ok);
  ASSERT_TRUE(EvaluateBigRequestFrom(*db_, tables, defaults, allow, {first_, last_ + 1}, &allowed).ok);
  EXPECT_LT(allowed.size(), all.size()) << "the allow-list exempts a big request";
  // Many big requests per model-hour: the tables' 16 are not enough and those hours are read from logs.
  same("sigma 1", {cover.until - 12 * 3600, last_ + 1}, low, AllowList{});
  same("sigma 1, allow-list", {cover.until - 12 * 3600, last_ + 1}, low, allow);
  EXPECT_GT(compared, 20) << "too few findings to compare";
}

// burst, multi_user_token and ip_many_users from the aggregator's per-hour tables (after the backfill, with
// NEWAPI_CHECK_AGG=1) equal the logs path exactly (names included), over ranges inside the finalized hours (read from
// the tables alone), across the boundary into the open hours and over the whole history; with an allow-list (the
// stored counts are then only upper bounds), in adaptive mode with the aggregator's baselines, with low limits (many
// candidates and findings), and with other window sizes (which read logs).
TEST_F(RiskRulesCheck, WindowRulesFromTheAggregatorsTablesEqualLogs) {
  if (std::getenv("NEWAPI_CHECK_AGG") == nullptr) GTEST_SKIP() << "runs after the aggregator's backfill";
  const agg::AggTables tables(db_->dialect(), testing::CheckAggContainer(db_->options()));
  agg::HourCover cover;
  ASSERT_TRUE(ReadRuleWindowsCover(*db_, tables, &cover).ok);
  ASSERT_FALSE(cover.empty()) << "no finalized hours in the aggregator's tables";
  ASSERT_LT(cover.until, last_) << "the history should end in hours not finalized yet";
  Baselines baselines;
  ASSERT_TRUE(LoadBaselines(*db_, tables.rule_baselines(), &baselines).ok);
  ASSERT_FALSE(baselines.burst.empty());
  // The allow-list exempts the token of the first burst and the user of the first IP farming accounts, and a network.
  const TimeRange finalized{first_, cover.until};
  std::vector<Finding> bursts, farms;
  ASSERT_TRUE(EvaluateRule(*db_, Rule::kBurst, {}, {}, finalized, {}, &bursts).ok);
  ASSERT_TRUE(EvaluateRule(*db_, Rule::kIpManyUsers, {}, {}, finalized, {}, &farms).ok);
  ASSERT_FALSE(bursts.empty());
  ASSERT_FALSE(farms.empty());
  AllowList allow;
  allow.token_ids.insert(DbInt(bursts[0].subject_id));
  QueryResult user;
  ASSERT_TRUE(db_->Query("SELECT MIN(user_id) FROM logs WHERE ip = " + db_->Quote(farms[0].subject_id), &user).ok);
  allow.user_ids.insert(DbInt(user.rows.at(0)[0]));
  std::string error;
  ASSERT_TRUE(allow.AddNetwork("10.0.0.0/8", &error)) << error;

  std::map<Rule, int> compared;
  auto same = [&](const char* what, TimeRange range, const Thresholds& t, const AllowList& list, const Baselines& b,
                  const char* expected_source) {
    for (Rule rule : {Rule::kBurst, Rule::kMultiUserToken, Rule::kIpManyUsers}) {
      std::vector<Finding> from_logs, from_tables;
      ASSERT_TRUE(EvaluateRule(*db_, rule, t, list, range, b, &from_logs).ok);
      std::string source;
      const auto started = std::chrono::steady_clock::now();
      DbStatus status = EvaluateRuleFrom(*db_, tables, rule, t, list, range, b, &from_tables, &source);
      ASSERT_TRUE(status.ok) << status.message;
      std::cout << RuleName(rule) << " from the tables, " << what << ": " << from_tables.size() << " findings from "
                << source << " in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
                << " s\n";
      std::vector<std::string> a, c;
      for (const Finding& f : from_logs) a.push_back(Describe(f) + " name " + f.subject_name);
      for (const Finding& f : from_tables) c.push_back(Describe(f) + " name " + f.subject_name);
      EXPECT_EQ(a, c) << RuleName(rule) << ", " << what;
      if (expected_source != nullptr) {
        EXPECT_EQ(source, expected_source) << RuleName(rule) << ", " << what;
      }
      compared[rule] += static_cast<int>(a.size());
    }
  };
  const Thresholds defaults;
  Thresholds adaptive = defaults;
  adaptive.burst_adaptive = adaptive.ip_users_adaptive = true;
  Thresholds low = defaults;
  low.burst_limit = 20;
  low.token_clients_threshold = 2;
  low.ip_users_threshold = 2;
  Thresholds other_windows = defaults;
  other_windows.burst_window_sec = 90;
  other_windows.token_clients_window_sec = 300;
  other_windows.ip_users_window_sec = 900;
  const TimeRange inside{cover.until - 20 * 3600 + 77, cover.until - 3600 - 5};
  const TimeRange whole{first_, last_ + 1};
  same("finalized hours", inside, defaults, AllowList{}, {}, "hourly");
  same("finalized hours, allow-list", inside, defaults, allow, {}, "hourly");
  same("across the boundary", {cover.until - 6 * 3600 + 1, last_ + 1}, defaults, AllowList{}, {}, "hourly+logs");
  same("whole history", whole, defaults, AllowList{}, {}, nullptr);
  same("whole history, allow-list", whole, defaults, allow, {}, nullptr);
  same("whole history, adaptive", whole, adaptive, AllowList{}, baselines, nullptr);
  same("whole history, adaptive, allow-list", whole, adaptive, allow, baselines, nullptr);
  same("low limits", {cover.until - 12 * 3600, last_ + 1}, low, AllowList{}, {}, nullptr);
  same("low limits, allow-list", {cover.until - 12 * 3600, last_ + 1}, low, allow, {}, nullptr);
  same("other windows", whole, other_windows, AllowList{}, {}, nullptr);
  for (Rule rule : {Rule::kBurst, Rule::kMultiUserToken, Rule::kIpManyUsers}) {
    EXPECT_GT(compared[rule], 20) << "too few findings of " << RuleName(rule) << " to compare";
  }
}

}  // namespace
}  // namespace observer::rules
