// The log tail without a database: the reader over rows served by a fake query (batches, holes filled late, holes
// given up) and each sink fed rows directly (usage counters, Top-K, coverage, risk rules).
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "tail/coverage_sink.h"
#include "tail/reader.h"
#include "tail/risk_sink.h"
#include "tail/top_sink.h"
#include "tail/usage_sink.h"

namespace exporter::tail {
namespace {

using observer::newapi::LogRow;

// `logs` as a map by id, answering the reader's two statements.
struct FakeLogs {
  std::map<int64_t, LogRow> rows;
  int queries = 0;

  Reader::Query query() {
    return [this](const std::string& sql, const Reader::RowFn& row) {
      ++queries;
      long long after = 0;
      int limit = 0;
      if (const size_t at = sql.find("WHERE id > "); at != std::string::npos) {
        EXPECT_EQ(std::sscanf(sql.c_str() + at, "WHERE id > %lld ORDER BY id LIMIT %d", &after, &limit), 2) << sql;
        for (auto it = rows.upper_bound(after); it != rows.end() && limit-- > 0; ++it) row(it->second);
        return observer::DbStatus::Ok();
      }
      const size_t in = sql.find("WHERE id IN (");
      EXPECT_NE(in, std::string::npos) << sql;
      for (const char* p = sql.c_str() + in + 13; *p != '\0' && *p != ')';) {
        char* end = nullptr;
        const long long id = std::strtoll(p, &end, 10);
        if (rows.count(id) != 0) row(rows[id]);
        p = *end == ',' ? end + 1 : end;
      }
      return observer::DbStatus::Ok();
    };
  }
  void Add(int64_t id, int64_t type = observer::newapi::kLogConsume) {
    LogRow r;
    r.id = id;
    r.type = type;
    rows[id] = r;
  }
};

TEST(TailReaderTest, BatchesHandEachRowOnceAndHolesFilledLateAreLate) {
  FakeLogs logs;
  for (int64_t id : {1, 2, 3, 5, 6}) logs.Add(id);  // 4 is not committed yet
  Reader reader(0, {2, std::chrono::milliseconds(10000), {100, 60}});
  std::vector<std::pair<int64_t, bool>> seen;
  auto handler = [&seen](const LogRow& row, bool late) { seen.push_back({row.id, late}); };
  Reader::Poll poll;
  ASSERT_TRUE(reader.Read(logs.query(), 1000, handler, &poll).ok);
  EXPECT_TRUE(poll.caught_up);
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, bool>>{{1, false}, {2, false}, {3, false}, {5, false}, {6, false}}));
  EXPECT_EQ(reader.cursor().cursor(), 6);
  EXPECT_EQ(reader.cursor().hole_count(), 1u);
  EXPECT_GE(logs.queries, 3) << "batches of 2 rows until one comes back short";

  seen.clear();
  logs.Add(4);
  logs.Add(7);
  Reader::Poll again;
  ASSERT_TRUE(reader.Read(logs.query(), 1010, handler, &again).ok);
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, bool>>{{7, false}, {4, true}})) << "new rows first, then the hole";
  EXPECT_EQ(reader.cursor().hole_count(), 0u);

  seen.clear();
  Reader::Poll nothing;
  ASSERT_TRUE(reader.Read(logs.query(), 1020, handler, &nothing).ok);
  EXPECT_TRUE(seen.empty()) << "rows already handed over are never handed over again";
}

TEST(TailReaderTest, HolesAreGivenUpAfterTheGracePeriod) {
  FakeLogs logs;
  logs.Add(1);
  logs.Add(3);
  Reader reader(0, {100, std::chrono::milliseconds(10000), {100, 60}});
  auto ignore = [](const LogRow&, bool) {};
  Reader::Poll first, later;
  ASSERT_TRUE(reader.Read(logs.query(), 1000, ignore, &first).ok);
  EXPECT_EQ(first.holes_expired, 0u);
  ASSERT_TRUE(reader.Read(logs.query(), 1061, ignore, &later).ok);
  EXPECT_EQ(later.holes_expired, 1u);
  EXPECT_EQ(reader.cursor().hole_count(), 0u);
}

TEST(TailReaderTest, AFailedQueryStopsThePoll) {
  Reader reader(0, {});
  auto failing = [](const std::string&, const Reader::RowFn&) {
    return observer::DbStatus::Failure(observer::DbError::kOther, "gone");
  };
  Reader::Poll poll;
  EXPECT_FALSE(reader
                   .Read(
                       failing, 1000, [](const LogRow&, bool) {}, &poll)
                   .ok);
  EXPECT_FALSE(poll.caught_up);
}

// The value of the family's sample whose labels include all of `labels`; -1 when none.
double Sample(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [key, value] : labels) {
        match = match &&
                std::any_of(metric.label.begin(), metric.label.end(), [&](const prometheus::ClientMetric::Label& l) {
                  return l.name == key && l.value == value;
                });
      }
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter: return metric.counter.value;
        case prometheus::MetricType::Gauge: return metric.gauge.value;
        default: return -1;
      }
    }
  }
  return -1;
}

LogRow Consume(int64_t user, int64_t token, int64_t tokens, std::string ip = "") {
  LogRow r;
  r.type = observer::newapi::kLogConsume;
  r.user_id = user;
  r.username = "u" + std::to_string(user);
  r.token_id = token;
  r.token_name = "t" + std::to_string(token);
  r.prompt_tokens = tokens;
  r.quota = 2 * tokens;
  r.model_name = "m";
  r.ip = std::move(ip);
  return r;
}

TEST(UsageSinkTest, CountsRowsOnTopOfTheBaseline) {
  prometheus::Registry registry;
  LiveFacts facts;
  UsageSink sink(registry, {}, facts);
  observer::agg::BaselineRow baseline{"m", 0, "", false, {}};
  baseline.sums.reqs = 10;
  sink.AddBaseline({baseline}, facts.quota_per_unit.load());
  sink.Observe(Consume(1, 1, 5), 1000);
  LogRow error;
  error.type = observer::newapi::kLogError;
  error.model_name = "m";
  sink.Observe(error, 1000);
  sink.Publish(1000);
  const auto families = registry.Collect();
  EXPECT_EQ(Sample(families, "newapi_requests_total", {{"model", "m"}}), 12);
  EXPECT_EQ(Sample(families, "newapi_exporter_label_values_folded", {{"label", "model"}}), 0);
}

TEST(TopSinkTest, RanksConsumeRowsAndPublishesEveryFewSeconds) {
  auto snapshots = std::make_shared<observer::metrics::SnapshotCollectable>();
  TopSink sink(60, 2, snapshots);
  sink.Observe(Consume(1, 11, 100), 1000);
  sink.Observe(Consume(2, 12, 300), 1000);
  sink.Observe(Consume(3, 13, 200), 1000);
  LogRow login = Consume(4, 14, 900);
  login.type = observer::newapi::kLogLogin;
  sink.Observe(login, 1000);
  sink.Publish(1000);
  auto families = snapshots->Collect();
  EXPECT_EQ(Sample(families, "newapi_top_usage",
                   {{"dimension", "user"}, {"id", "2"}, {"metric", "tokens"}, {"window", "1h"}}),
            300);
  EXPECT_EQ(Sample(families, "newapi_top_usage", {{"dimension", "user"}, {"id", "1"}, {"metric", "tokens"}}), -1)
      << "top 2 only";
  EXPECT_EQ(Sample(families, "newapi_top_usage", {{"id", "4"}}), -1) << "consume rows only";
  sink.Observe(Consume(1, 11, 1000), 1002);
  sink.Publish(1002);
  EXPECT_EQ(
      Sample(snapshots->Collect(), "newapi_top_usage", {{"dimension", "user"}, {"id", "1"}, {"metric", "tokens"}}), -1)
      << "not republished within 5 s";
  sink.Publish(1005);
  EXPECT_EQ(
      Sample(snapshots->Collect(), "newapi_top_usage", {{"dimension", "user"}, {"id", "1"}, {"metric", "tokens"}}),
      1100);
}

TEST(CoverageSinkTest, ShareOfRecentConsumeRowsWithAnIp) {
  auto snapshots = std::make_shared<observer::metrics::SnapshotCollectable>();
  LiveFacts facts;
  CoverageSink sink(15, snapshots, facts);
  sink.Publish(1000);
  EXPECT_EQ(facts.ip_share.load(), -1) << "no rows yet";
  sink.Observe(Consume(1, 1, 1, "10.0.0.1"), 1000);
  sink.Observe(Consume(2, 2, 1), 1000);
  sink.Observe(Consume(3, 3, 1), 1000);
  LogRow frt = Consume(4, 4, 1, "10.0.0.2");
  frt.frt_ms = 120;
  sink.Observe(frt, 1000);
  sink.Publish(1010);
  auto families = snapshots->Collect();
  EXPECT_EQ(Sample(families, "newapi_data_coverage_ratio", {{"field", "ip"}, {"window", "15m"}}), 0.5);
  EXPECT_EQ(Sample(families, "newapi_data_coverage_ratio", {{"field", "frt"}}), 0.25);
  EXPECT_EQ(facts.ip_share.load(), 0.5);
  EXPECT_EQ(Sample(families, "newapi_rule_coverage_ratio", {{"rule", "ip_many_users"}}), 0.5);
  EXPECT_EQ(Sample(families, "newapi_rule_coverage_ratio", {{"rule", "burst"}}), 1);
  sink.Publish(1000 + 16 * 60);
  EXPECT_EQ(facts.ip_share.load(), -1) << "the minutes left the window";
}

TEST(RiskSinkTest, CountsEachEpisodeOnceAndPublishesActiveHits) {
  prometheus::Registry registry;
  auto snapshots = std::make_shared<observer::metrics::SnapshotCollectable>();
  observer::rules::Thresholds t;
  t.burst_limit = 3;
  RiskSink sink(registry, snapshots, t, {}, 50);
  for (int i = 0; i < 6; ++i) {
    LogRow row = Consume(1, 7, 10);
    row.id = i + 1;
    row.created_at = 1000;
    sink.Observe(row, 1000);
  }
  sink.Publish(1000);
  EXPECT_EQ(Sample(registry.Collect(), "newapi_anomaly_hits_total", {{"rule", "burst"}}), 1) << "one episode";
  EXPECT_EQ(Sample(registry.Collect(), "newapi_anomaly_hits_total", {{"rule", "big_request"}}), 0);
  const auto families = snapshots->Collect();
  EXPECT_EQ(Sample(families, "newapi_anomaly", {{"rule", "burst"}, {"subject_id", "7"}}), 6);
  EXPECT_EQ(Sample(families, "newapi_anomaly_threshold", {{"rule", "burst"}}), 3);
}

}  // namespace
}  // namespace exporter::tail
