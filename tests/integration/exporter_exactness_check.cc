// Compares every usage counter of a running exporter with the SQL ground truth over the same rows of `logs` and the
// same label sets: 0 rows missed, 0 counted twice. The rows are those after the exporter's start id, or with
// NEWAPI_CHECK_ALL_TIME=1 (counters started from agg_usage_hourly) every row of `logs`.
// Run by the exactness test scripts with NEWAPI_CHECK_DB_PORT and NEWAPI_CHECK_EXPORTER_PORT set.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "exposition.h"
#include "observer/db_client.h"
#include "test_env.h"

namespace observer {
namespace {

int EnvInt(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) {
    ADD_FAILURE() << name << " is not set; run this through exporter_exactness_test.sh";
    return 0;
  }
  return std::atoi(value);
}

// The label values the exporter derives from a row, as SQL expressions valid on both engines (the channel label,
// which needs the dialect, is ExactnessTest::channel_).
constexpr const char* kModel = "CASE WHEN COALESCE(model_name, '') = '' THEN 'unknown' ELSE model_name END";
constexpr const char* kGroup = "CASE WHEN COALESCE(\"group\", '') = '' THEN 'unknown' ELSE \"group\" END";
constexpr const char* kStream = "CASE WHEN is_stream THEN 'true' ELSE 'false' END";  // tinyint(1) or boolean

// A number at the top level of `other` (JSON text), NULL when absent.
std::string OtherNumber(const Dialect& dialect, const std::string& key) {
  if (dialect.engine() == DbEngine::kPostgres)
    return "CAST(CAST(other AS jsonb) ->> '" + key + "' AS double precision)";
  return "CAST(JSON_VALUE(other, '$." + key + "') AS DOUBLE)";
}

class ExactnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<DbClient>(testing::CheckLogsDbOptions(EnvInt("NEWAPI_CHECK_DB_PORT")));
    DbStatus connected = db_->Connect();
    ASSERT_TRUE(connected.ok) << connected.message;
    samples_ = testing::ParseExposition(testing::Scrape(EnvInt("NEWAPI_CHECK_EXPORTER_PORT")));
    ASSERT_FALSE(samples_.empty()) << "could not scrape the exporter";
    start_id_ = static_cast<int64_t>(samples_["newapi_exporter_tail_start_id"][""]);
    const char* all_time = std::getenv("NEWAPI_CHECK_ALL_TIME");
    all_time_ = all_time != nullptr && std::string(all_time) == "1";
    rows_ = all_time_ ? "1 = 1" : "id > " + std::to_string(start_id_);
    channel_ = db_->dialect().ToText("COALESCE(channel_id, 0)");
    base_ = {{"channel", channel_}, {"group", kGroup}, {"model", kModel}};
    if (all_time_) {
      ASSERT_EQ(samples_["newapi_exporter_baseline_info"].count("source=\"agg_usage_hourly\""), 1u)
          << "the exporter did not start from agg_usage_hourly";
    }
  }

  // Runs SELECT <label exprs>, <value expr> ... and returns the canonical label string -> value. Label names must be
  // given in sorted order, as the exposition sorts them.
  std::map<std::string, double> GroundTruth(const std::vector<std::pair<std::string, std::string>>& labels,
                                            const std::string& value, const std::string& where) {
    std::string select, group_by;
    for (size_t i = 0; i < labels.size(); ++i) {
      select += labels[i].second + ", ";
      group_by += (i ? ", " : "") + std::to_string(i + 1);
    }
    const std::string sql =
        "SELECT " + select + value + " FROM logs WHERE " + rows_ + " AND " + where + " GROUP BY " + group_by;
    QueryResult result;
    DbStatus status = db_->Query(sql, &result);
    EXPECT_TRUE(status.ok) << status.message << "\n" << sql;
    std::map<std::string, double> out;
    for (const auto& row : result.rows) {
      std::string key;
      for (size_t i = 0; i < labels.size(); ++i) {
        key += (i ? "," : "") + labels[i].first + "=\"" + row[i].value_or("") + "\"";
      }
      out[key] = std::stod(row[labels.size()].value_or("0"));
    }
    return out;
  }

  // Every non-zero exported series equals the SQL value, and every SQL group is exported. Unless the rows are rare
  // (refunds), there must be something to compare.
  void ExpectEqual(const std::string& family, const std::map<std::string, double>& truth, double tolerance = 0,
                   bool may_be_empty = false) {
    const auto& exported = samples_[family];
    size_t compared = 0;
    for (const auto& [labels, value] : truth) {
      if (value == 0) continue;
      auto it = exported.find(labels);
      if (it == exported.end()) {
        ADD_FAILURE() << family << "{" << labels << "} missing; SQL says " << value;
        continue;
      }
      EXPECT_NEAR(it->second, value, tolerance * std::max(1.0, std::fabs(value))) << family << "{" << labels << "}";
      ++compared;
    }
    for (const auto& [labels, value] : exported) {
      if (value != 0 && truth.count(labels) == 0)
        ADD_FAILURE() << family << "{" << labels << "} = " << value << " not in SQL";
    }
    if (!may_be_empty) {
      EXPECT_GT(compared, 0u) << family << ": nothing to compare";
    }
  }

  std::unique_ptr<DbClient> db_;
  testing::Samples samples_;
  int64_t start_id_ = 0;
  bool all_time_ = false;
  std::string rows_;
  std::string channel_;                                    // the channel label
  std::vector<std::pair<std::string, std::string>> base_;  // channel, group and model
};

TEST_F(ExactnessTest, RequestsAndErrors) {
  ExpectEqual("newapi_requests_total",
              GroundTruth({{"channel", channel_}, {"group", kGroup}, {"model", kModel}, {"stream", kStream}},
                          "COUNT(*)", "type IN (2, 5)"));
  ExpectEqual("newapi_request_errors_total", GroundTruth(base_, "COUNT(*)", "type = 5"));
}

TEST_F(ExactnessTest, Tokens) {
  std::map<std::string, double> truth;
  for (const auto& [kind, expr] : std::vector<std::pair<std::string, std::string>>{
           {"prompt", "SUM(GREATEST(prompt_tokens, 0))"},
           {"completion", "SUM(GREATEST(completion_tokens, 0))"},
           {"cached", "SUM(GREATEST(COALESCE(" + OtherNumber(db_->dialect(), "cache_tokens") + ", 0), 0))"}}) {
    truth.merge(GroundTruth({{"channel", channel_}, {"group", kGroup}, {"kind", "'" + kind + "'"}, {"model", kModel}},
                            expr, "type = 2"));
  }
  ExpectEqual("newapi_tokens_total", truth);
}

TEST_F(ExactnessTest, QuotaSpendAndRefunds) {
  ExpectEqual("newapi_quota_used_total", GroundTruth(base_, "SUM(GREATEST(quota, 0))", "type = 2"));
  const double qpu = samples_["newapi_quota_per_unit"][""];
  ASSERT_GT(qpu, 0);
  // Divided here, not in SQL: SQL division rounds to div_precision_increment digits.
  auto spend = GroundTruth(base_, "SUM(GREATEST(quota, 0))", "type = 2");
  for (auto& [labels, value] : spend) value /= qpu;
  ExpectEqual("newapi_spend_usd_total", spend, 1e-9);
  ExpectEqual("newapi_quota_refunded_total", GroundTruth(base_, "SUM(GREATEST(quota, 0))", "type = 6"), 0,
              /*may_be_empty=*/true);
}

TEST_F(ExactnessTest, HistogramCounts) {
  if (all_time_) GTEST_SKIP() << "histograms have no baseline: they count rows since the start only";
  const std::vector<std::pair<std::string, std::string>> by_channel = {{"channel", channel_}, {"model", kModel}};
  ExpectEqual("newapi_request_duration_seconds_count", GroundTruth(by_channel, "COUNT(*)", "type = 2"));
  ExpectEqual("newapi_request_duration_seconds_sum", GroundTruth(by_channel, "SUM(use_time)", "type = 2"));
  ExpectEqual("newapi_first_token_seconds_count",
              GroundTruth(by_channel, "COUNT(*)", "type = 2 AND " + OtherNumber(db_->dialect(), "frt") + " > 0"));
  ExpectEqual("newapi_request_size_tokens_count", GroundTruth({{"model", kModel}}, "COUNT(*)", "type = 2"));
}

TEST_F(ExactnessTest, RowsReadEqualsRowsAfterTheStart) {
  if (all_time_) GTEST_SKIP() << "with a baseline, rows before the boundary are read but not counted";
  QueryResult result;
  ASSERT_TRUE(db_->Query("SELECT COUNT(*) FROM logs WHERE id > " + std::to_string(start_id_), &result).ok);
  EXPECT_EQ(samples_["newapi_exporter_rows_read_total"][""], std::stod(*result.rows[0][0]));
}

}  // namespace
}  // namespace observer
