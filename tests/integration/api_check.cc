// The JSON API of a running exporter against SQL ground truth computed here from `logs` alone (never from
// agg_usage_hourly): series, top and heatmap over ranges served by logs, by the hourly table and across their seam,
// in UTC, a DST zone (America/New_York over its autumn change) and half-hour zones; distinct users and tokens of a
// range; anomalies against the SQL evaluator; anomaly detail and logs by subject with the column allow-list; 400s
// naming the parameter; and no token key in any answer. The ground truth's SQL is written here for each engine
// (MariaDB's CONVERT_TZ with its time zone tables loaded, PostgreSQL's AT TIME ZONE), never with the API's query
// builders. Run by api_integration_test.sh with NEWAPI_CHECK_DB_PORT, NEWAPI_CHECK_EXPORTER_PORT,
// NEWAPI_CHECK_HISTORY_END and DB_ENGINE set.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "observer/agg_tables.h"
#include "observer/db_client.h"
#include "observer/rules/sql_rules.h"
#include "test_env.h"

namespace observer {
namespace {

using nlohmann::json;

int64_t EnvInt(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) ADD_FAILURE() << name << " is not set; run this through api_integration_test.sh";
  return value == nullptr ? 0 : std::atoll(value);
}

struct Reply {
  int status = 0;
  json body;
  std::string source;
  double ms = 0;
};

// The usage of a logs row, written here independently of the exporter: consume and error rows are requests; tokens
// and quota from consume rows, negatives as 0.
const std::string kTruthTokens =
    "SUM(CASE WHEN type = 2 THEN GREATEST(COALESCE(prompt_tokens, 0), 0) + GREATEST(COALESCE(completion_tokens, 0), 0) "
    "ELSE 0 END)";
const std::string kTruthQuota = "SUM(CASE WHEN type = 2 THEN GREATEST(COALESCE(quota, 0), 0) ELSE 0 END)";
const std::string kTruthMeasures = "COUNT(*), " + kTruthTokens +
                                   ", COUNT(DISTINCT NULLIF(COALESCE(user_id, 0), 0)), "
                                   "COUNT(DISTINCT NULLIF(COALESCE(token_id, 0), 0)), " +
                                   kTruthQuota + ", SUM(CASE WHEN type = 5 THEN 1 ELSE 0 END)";
const char* kSeriesFields[] = {"reqs", "tokens", "users", "tokens_cnt", "quota", "errors"};

class ApiCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new DbClient(testing::CheckDbOptions(static_cast<int>(EnvInt("NEWAPI_CHECK_DB_PORT"))));
    DbStatus connected = db_->Connect();
    ASSERT_TRUE(connected.ok) << connected.message;
    client_ = new httplib::Client("127.0.0.1", static_cast<int>(EnvInt("NEWAPI_CHECK_EXPORTER_PORT")));
    client_->set_read_timeout(60, 0);
    end_ = EnvInt("NEWAPI_CHECK_HISTORY_END");
    postgres_ = db_->options().engine == DbEngine::kPostgres;
    first_ = Int("SELECT MIN(created_at) FROM logs");
    const agg::AggTables tables(db_->dialect(), testing::CheckAggContainer(db_->options()));
    finalized_ = Int("SELECT value FROM " + tables.state() + " WHERE name = 'finalized_until'");
    ASSERT_GT(finalized_, first_ + 24 * 3600) << "the hourly table must cover most of the history";
    ASSERT_LT(finalized_, end_ - 3 * 3600) << "the last hours must not be finalized (the seam)";
  }
  static void TearDownTestSuite() {
    delete client_;
    delete db_;
  }

  static int64_t Int(const std::string& sql) {
    QueryResult r;
    DbStatus s = db_->Query(sql, &r);
    EXPECT_TRUE(s.ok) << s.message << "\n" << sql;
    return r.rows.empty() || !r.rows[0][0] ? 0 : std::stoll(*r.rows[0][0]);
  }
  static std::vector<DbRow> Rows(const std::string& sql) {
    QueryResult r;
    DbStatus s = db_->Query(sql, &r);
    EXPECT_TRUE(s.ok) << s.message << "\n" << sql;
    return r.rows;
  }

  static Reply Get(const std::string& path) {
    Reply reply;
    const auto started = std::chrono::steady_clock::now();
    auto res = client_->Get(path);
    reply.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (!res) {
      ADD_FAILURE() << "no answer for " << path;
      return reply;
    }
    reply.status = res->status;
    reply.source = res->get_header_value("X-Query-Source");
    bodies_.push_back(res->body);
    reply.body = json::parse(res->body, nullptr, false);
    std::cout << "  " << reply.status << " " << reply.source << " " << static_cast<int>(reply.ms) << " ms  "
              << path.substr(0, 140) << "\n";
    return reply;
  }

  static std::string Range(int64_t start, int64_t end) {
    return "start_ms=" + std::to_string(start * 1000) + "&end_ms=" + std::to_string(end * 1000);
  }

  // Ground truth per bucket label (the label expression over created_at, e.g. a local date).
  static std::map<std::string, std::vector<int64_t>> TruthByLabel(const std::string& label, int64_t start, int64_t end,
                                                                  const std::string& filter = "") {
    std::map<std::string, std::vector<int64_t>> out;
    for (const DbRow& row :
         Rows("SELECT " + label + " AS b, " + kTruthMeasures +
              " FROM logs WHERE type IN (2, 5) AND "
              "created_at >= " +
              std::to_string(start) + " AND created_at < " + std::to_string(end) + filter + " GROUP BY b")) {
      std::vector<int64_t>& v = out[row[0].value_or("")];
      for (size_t i = 1; i < row.size(); ++i) v.push_back(row[i] ? std::stoll(*row[i]) : 0);
    }
    return out;
  }

  // Every bucket of the series equals the truth of its label (label_chars of "bucket", or bucket_ms when 0); buckets
  // without rows are zeros. Returns the buckets compared.
  static size_t ExpectSeries(const Reply& reply, const std::map<std::string, std::vector<int64_t>>& truth,
                             size_t label_chars) {
    EXPECT_EQ(reply.status, 200) << reply.body.dump();
    if (!reply.body.is_array()) return 0;
    size_t with_data = 0;
    std::set<std::string> seen;
    for (const json& b : reply.body) {
      const std::string label = label_chars == 0 ? std::to_string(b["bucket_ms"].get<int64_t>() / 1000)
                                                 : b["bucket"].get<std::string>().substr(0, label_chars);
      seen.insert(label);
      auto it = truth.find(label);
      for (size_t i = 0; i < 6; ++i) {
        const int64_t expected = it == truth.end() ? 0 : it->second[i];
        EXPECT_EQ(b[kSeriesFields[i]].get<int64_t>(), expected) << kSeriesFields[i] << " of bucket " << b["bucket"];
      }
      if (it != truth.end()) ++with_data;
    }
    for (const auto& [label, values] : truth) EXPECT_TRUE(seen.count(label)) << "bucket " << label << " missing";
    EXPECT_GT(with_data, 0u);
    return with_data;
  }

  // The ground truth's engine-specific SQL. created_at as a local time in zone (a name, or a fixed offset such as
  // "+05:30": PostgreSQL reads such text as a POSIX zone, sign reversed, so it goes in as an interval).
  static std::string Local(const std::string& zone) {
    if (!postgres_) return "CONVERT_TZ(FROM_UNIXTIME(created_at), '+00:00', '" + zone + "')";
    const bool offset = zone[0] == '+' || zone[0] == '-';
    return "(to_timestamp(created_at) AT TIME ZONE " + std::string(offset ? "INTERVAL " : "") + "'" + zone + "')";
  }
  static std::string LocalDate(const std::string& zone) { return "CAST(" + Local(zone) + " AS DATE)"; }
  // 2026-11-01T01: the local hour, as the start of the API's bucket label.
  static std::string LocalHour(const std::string& zone) {
    return postgres_ ? "to_char(" + Local(zone) + ", 'YYYY-MM-DD\"T\"HH24')"
                     : "DATE_FORMAT(" + Local(zone) + ", '%Y-%m-%dT%H')";
  }
  // Monday = 0.
  static std::string LocalWeekday(const std::string& zone) {
    return postgres_ ? "CAST(EXTRACT(ISODOW FROM " + Local(zone) + ") AS INTEGER) - 1" : "WEEKDAY(" + Local(zone) + ")";
  }
  static std::string LocalHourOfDay(const std::string& zone) {
    return postgres_ ? "CAST(EXTRACT(HOUR FROM " + Local(zone) + ") AS INTEGER)" : "HOUR(" + Local(zone) + ")";
  }
  // channels.name of an id, "" for a channel new-api no longer has.
  static std::string ChannelName(int64_t id) {
    const std::vector<DbRow> rows = Rows("SELECT name FROM channels WHERE id = " + std::to_string(id));
    return rows.empty() ? "" : rows[0][0].value_or("");
  }
  // Text compared, grouped and sorted byte for byte.
  static std::string Bytes(const std::string& expr) {
    return postgres_ ? expr + " COLLATE \"C\"" : "CAST(" + expr + " AS BINARY)";
  }

  static inline DbClient* db_ = nullptr;
  static inline bool postgres_ = false;
  static inline httplib::Client* client_ = nullptr;
  static inline int64_t first_ = 0, end_ = 0, finalized_ = 0;
  static inline std::vector<std::string> bodies_;
};

TEST_F(ApiCheck, SeriesByHourAcrossTheSeam) {
  const int64_t start = first_ - first_ % 3600;
  const Reply r = Get("/api/stats/series?" + Range(start, end_) + "&slot_sec=3600");
  EXPECT_EQ(r.source, "hourly+logs");
  EXPECT_EQ(r.body.size(), static_cast<size_t>((end_ - start + 3599) / 3600));
  ExpectSeries(r, TruthByLabel("created_at - created_at % 3600", start, end_), 0);
}

TEST_F(ApiCheck, SeriesFromTheHourlyTableOnly) {
  // Two-hour buckets wholly inside the history and the finalized hours.
  const int64_t start = (first_ / 7200 + 1) * 7200, end = finalized_ - finalized_ % 7200;
  const Reply r = Get("/api/stats/series?" + Range(start, end) + "&slot_sec=7200");
  EXPECT_EQ(r.source, "hourly");
  ExpectSeries(r, TruthByLabel("created_at - created_at % 7200", start, end), 0);
}

TEST_F(ApiCheck, SeriesByMinuteFromLogs) {
  const int64_t start = end_ - 3 * 3600 + 17;  // not aligned: the API widens it to whole minutes
  const Reply r = Get("/api/stats/series?" + Range(start, end_ - 5) + "&slot_sec=60");
  EXPECT_EQ(r.source, "logs");
  EXPECT_EQ(r.body.size(), 180u);
  ExpectSeries(r, TruthByLabel("created_at - created_at % 60", start - 17, end_), 0);
}

TEST_F(ApiCheck, SeriesByLocalDayOverADaylightSavingChange) {
  const Reply r = Get("/api/stats/series?" + Range(first_, end_) + "&slot_sec=86400&tz=America/New_York");
  EXPECT_EQ(r.source, "hourly+logs");
  const int64_t start = r.body.at(0)["bucket_ms"].get<int64_t>() / 1000;
  ExpectSeries(r, TruthByLabel(LocalDate("America/New_York"), start, end_ + 86400), 10);
  // 2026-11-01 is 25 hours long in New York.
  bool long_day = false;
  for (size_t i = 0; i + 1 < r.body.size(); ++i) {
    const int64_t length = (r.body[i + 1]["bucket_ms"].get<int64_t>() - r.body[i]["bucket_ms"].get<int64_t>()) / 1000;
    if (r.body[i]["bucket"].get<std::string>().substr(0, 10) == "2026-11-01") long_day = length == 25 * 3600;
  }
  EXPECT_TRUE(long_day) << r.body.dump();
  // Local hours over the change: the repeated 01:00 is one bucket holding both hours.
  const Reply hours = Get("/api/stats/series?" + Range(1793505600, 1793527200) + "&slot_sec=3600&tz=America/New_York");
  ExpectSeries(hours, TruthByLabel(LocalHour("America/New_York"), 1793505600, 1793527200), 13);
}

TEST_F(ApiCheck, SeriesInHalfHourZones) {
  // Local hours start at :30 UTC: no whole hour fits a bucket, so logs answer.
  const int64_t start = end_ - 30 * 3600;
  const Reply hours = Get("/api/stats/series?" + Range(start, end_) + "&slot_sec=3600&tz=Asia/Kolkata");
  EXPECT_EQ(hours.source, "logs");
  ExpectSeries(hours, TruthByLabel(LocalHour("Asia/Kolkata"), start - 1800, end_ + 1800), 13);
  // Local days: whole hours from the hourly table, the half hours at their edges from logs.
  const Reply days = Get("/api/stats/series?" + Range(first_, end_) + "&slot_sec=86400&tz=%2B05:30");
  EXPECT_EQ(days.source, "hourly+logs");
  ExpectSeries(days, TruthByLabel(LocalDate("+05:30"), first_, end_), 10);
}

TEST_F(ApiCheck, SeriesWithFilters) {
  const std::vector<DbRow> top = Rows(
      "SELECT model_name, channel_id, \"group\" FROM logs WHERE type = 2 GROUP BY 1, 2, 3 "
      "ORDER BY COUNT(*) DESC LIMIT 1");
  ASSERT_EQ(top.size(), 1u);
  const std::string model = top[0][0].value_or(""), channel = top[0][1].value_or("0"), group = top[0][2].value_or("");
  const int64_t start = first_ - first_ % 3600;
  const Reply r = Get("/api/stats/series?" + Range(start, end_) +
                      "&slot_sec=21600&model=" + httplib::detail::encode_query_param(model) + "&channel=" + channel +
                      "&group=" + httplib::detail::encode_query_param(group));
  EXPECT_EQ(r.source, "hourly+logs");
  ExpectSeries(r,
               TruthByLabel("created_at - created_at % 21600", start - start % 21600, end_,
                            " AND " + Bytes("model_name") + " = " + db_->Quote(model) + " AND channel_id = " + channel +
                                " AND " + Bytes("\"group\"") + " = " + db_->Quote(group)),
               0);
  // One filter: distinct users and tokens of the whole hourly buckets from agg_active_by_value's rows of the value.
  for (const auto& [param, where] :
       {std::pair<std::string, std::string>{"&model=" + httplib::detail::encode_query_param(model),
                                            " AND " + Bytes("model_name") + " = " + db_->Quote(model)},
        {"&channel=" + channel, " AND channel_id = " + channel},
        {"&group=" + httplib::detail::encode_query_param(group),
         " AND " + Bytes("\"group\"") + " = " + db_->Quote(group)}}) {
    const Reply one = Get("/api/stats/series?" + Range(start, end_) + "&slot_sec=7200" + param);
    EXPECT_EQ(one.source, "hourly+logs") << param;
    ExpectSeries(one, TruthByLabel("created_at - created_at % 7200", start - start % 7200, end_, where), 0);
  }
}

// One user's or one token's traffic: the series (by_user / by_token rollups, or agg_usage_hourly beside another
// filter) and Top within it equal the rows of logs with that id.
TEST_F(ApiCheck, SeriesAndTopForOneUserOrToken) {
  const int64_t start = first_ - first_ % 3600;
  for (const char* key : {"user", "token"}) {
    const std::string column = std::string(key) + "_id";
    const std::string id = Rows("SELECT " + column + " FROM logs WHERE type = 2 AND " + column +
                                " > 0 GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
                               .at(0)[0]
                               .value_or("0");
    const Reply series = Get("/api/stats/series?" + Range(start, end_) + "&slot_sec=21600&" + key + "=" + id);
    EXPECT_EQ(series.source, "hourly+logs");
    EXPECT_GT(ExpectSeries(series,
                           TruthByLabel("created_at - created_at % 21600", start - start % 21600, end_,
                                        " AND " + column + " = " + id),
                           0),
              0u)
        << key;
    // Beside a model filter: agg_usage_hourly, which has both columns.
    const std::string model = Rows("SELECT model_name FROM logs WHERE type = 2 AND " + column + " = " + id +
                                   " GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
                                  .at(0)[0]
                                  .value_or("");
    const Reply both = Get("/api/stats/series?" + Range(start, end_) + "&slot_sec=21600&" + key + "=" + id +
                           "&model=" + httplib::detail::encode_query_param(model));
    ExpectSeries(
        both,
        TruthByLabel("created_at - created_at % 21600", start - start % 21600, end_,
                     " AND " + column + " = " + id + " AND " + Bytes("model_name") + " = " + db_->Quote(model)),
        0);
    const int64_t top_start = first_ - first_ % 60, top_end = end_ + (60 - end_ % 60) % 60;
    for (const char* by : {"model", "channel", "user", "token"}) {
      const std::string by_key =
          std::string(by) == "model" ? Bytes("COALESCE(model_name, '')") : "COALESCE(" + std::string(by) + "_id, 0)";
      const Reply top =
          Get("/api/stats/top?" + Range(first_, end_) + "&by=" + by + "&metric=reqs&limit=10&" + key + "=" + id);
      ASSERT_EQ(top.status, 200) << top.body.dump();
      const std::vector<DbRow> truth =
          Rows("SELECT " + by_key + " AS k, COUNT(*) AS m FROM logs WHERE type IN (2, 5) AND created_at >= " +
               std::to_string(top_start) + " AND created_at < " + std::to_string(top_end) + " AND " + column + " = " +
               id + " GROUP BY k ORDER BY m DESC, k LIMIT 10");
      ASSERT_EQ(top.body.size(), truth.size()) << key << " " << by;
      for (size_t i = 0; i < truth.size(); ++i) {
        EXPECT_EQ(top.body[i]["reqs"].get<int64_t>(), std::stoll(truth[i][1].value_or("0")))
            << key << " " << by << " #" << i;
      }
    }
  }
}

// Distinct users and tokens of a whole range: from agg_active_hourly (up to 25 whole finalized hours, no filter) or
// agg_active_by_value (one model, channel or group), from the rollups and logs across the seam, from logs alone, and
// under other filters; each equals COUNT(DISTINCT) on logs.
TEST_F(ApiCheck, ActiveUsersAndTokensOfARange) {
  const std::vector<DbRow> top = Rows(
      "SELECT model_name, user_id FROM logs WHERE type = 2 AND user_id > 0 "
      "GROUP BY 1, 2 ORDER BY COUNT(*) DESC LIMIT 1");
  ASSERT_EQ(top.size(), 1u);
  const std::string model = top[0][0].value_or(""), user = top[0][1].value_or("0");
  const std::vector<DbRow> busiest =
      Rows("SELECT channel_id, \"group\" FROM logs WHERE type = 2 GROUP BY 1, 2 ORDER BY COUNT(*) DESC LIMIT 1");
  ASSERT_EQ(busiest.size(), 1u);
  const std::string channel = busiest[0][0].value_or("0"), group = busiest[0][1].value_or("");
  // agg_active_by_value holds the 25 finalized hours the filtered cases below read.
  const agg::AggTables tables(db_->dialect(), testing::CheckAggContainer(db_->options()));
  const int64_t hour_of_last = finalized_ - finalized_ % 3600;
  EXPECT_LE(Int("SELECT value FROM " + tables.state() + " WHERE name = 'active_values_from'"),
            hour_of_last - 25 * 3600);
  EXPECT_GT(Int("SELECT COUNT(*) FROM " + tables.active_by_value() +
                " WHERE dimension = 'group' AND hour >= " + std::to_string(hour_of_last - 25 * 3600)),
            0);
  const std::string model_param = "&model=" + httplib::detail::encode_query_param(model);
  const std::string model_sql = " AND " + Bytes("model_name") + " = " + db_->Quote(model);
  const int64_t hour = finalized_ - finalized_ % 3600;
  const int64_t first_minute = first_ - first_ % 60, end_minute = end_ + (60 - end_ % 60) % 60;
  struct Case {
    int64_t start, end;
    std::string params, where, source;
  };
  const std::vector<Case> cases = {
      {hour - 24 * 3600, hour, "", "", "hourly"},
      {hour - 25 * 3600, hour, "", "", "hourly"},
      {hour - 72 * 3600, hour, "", "", "hourly"},
      {first_minute, end_minute, "", "", "hourly+logs"},
      {end_minute - 2 * 3600, end_minute, "", "", "logs"},
      {first_minute, end_minute, model_param, model_sql, "hourly+logs"},
      {hour - 24 * 3600, hour, model_param, model_sql, "hourly"},
      {hour - 24 * 3600, hour, "&channel=" + channel, " AND channel_id = " + channel, "hourly"},
      {hour - 25 * 3600, hour, "&group=" + httplib::detail::encode_query_param(group),
       " AND " + Bytes("\"group\"") + " = " + db_->Quote(group), "hourly"},
      {first_minute, end_minute, "&user=" + user, " AND user_id = " + user, "hourly+logs"},
  };
  for (const Case& c : cases) {
    const Reply r = Get("/api/stats/active?" + Range(c.start, c.end) + c.params);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.source, c.source) << c.params;
    const std::vector<DbRow> truth = Rows(
        "SELECT COUNT(DISTINCT NULLIF(COALESCE(user_id, 0), 0)), COUNT(DISTINCT NULLIF(COALESCE(token_id, 0), 0)) "
        "FROM logs WHERE type IN (2, 5) AND created_at >= " +
        std::to_string(c.start) + " AND created_at < " + std::to_string(c.end) + c.where);
    const int64_t users = std::stoll(truth.at(0)[0].value_or("0")), tokens = std::stoll(truth.at(0)[1].value_or("0"));
    EXPECT_GT(users, 0) << c.start << " " << c.params;
    EXPECT_EQ(r.body["users"].get<int64_t>(), users) << (c.end - c.start) / 3600 << " h " << c.params;
    EXPECT_EQ(r.body["tokens_cnt"].get<int64_t>(), tokens) << (c.end - c.start) / 3600 << " h " << c.params;
    EXPECT_EQ(r.body["start_ms"].get<int64_t>(), c.start * 1000);
  }
}

TEST_F(ApiCheck, TopByEveryDimensionAndMetric) {
  struct Case {
    const char* name;
    int64_t start, end;
    const char* source;
  };
  const int64_t hour0 = first_ - first_ % 3600 + 3600;
  const Case cases[] = {{"hourly", hour0, hour0 + 24 * 3600, "hourly"},
                        {"logs", end_ - 2 * 3600, end_, "logs"},
                        {"seam", first_ + 1234, end_ - 600, "hourly+logs"}};
  const std::map<std::string, std::pair<std::string, std::string>> keys = {
      {"user", {"COALESCE(user_id, 0)", "user_id"}},
      {"token", {"COALESCE(token_id, 0)", "token_id"}},
      {"model", {Bytes("COALESCE(model_name, '')"), "model_name"}},
      {"channel", {"COALESCE(channel_id, 0)", "channel_id"}}};
  const std::map<std::string, std::pair<std::string, std::string>> metrics = {
      {"tokens", {kTruthTokens, "tokens"}}, {"reqs", {"COUNT(*)", "reqs"}}, {"quota_sum", {kTruthQuota, "quota_sum"}}};
  for (const Case& c : cases) {
    // The API widens ranges to whole minutes.
    const int64_t start = c.start - c.start % 60, end = c.end + (60 - c.end % 60) % 60;
    for (const auto& [by, key] : keys) {
      for (const auto& [metric, expr] : metrics) {
        const Reply r =
            Get("/api/stats/top?" + Range(c.start, c.end) + "&by=" + by + "&metric=" + metric + "&limit=15");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.source, c.source) << c.name;
        const std::vector<DbRow> truth =
            Rows("SELECT " + key.first + " AS k, " + expr.first +
                 " AS m FROM logs WHERE type IN (2, 5) AND created_at >= " + std::to_string(start) +
                 " AND created_at < " + std::to_string(end) + " GROUP BY k ORDER BY m DESC, k LIMIT 15");
        ASSERT_EQ(r.body.size(), truth.size()) << c.name << " " << by << " " << metric;
        for (size_t i = 0; i < truth.size(); ++i) {
          const json& got = r.body[i];
          const std::string got_key = got[key.second].is_string() ? got[key.second].get<std::string>()
                                                                  : std::to_string(got[key.second].get<int64_t>());
          EXPECT_EQ(got_key, truth[i][0].value_or("")) << c.name << " " << by << " " << metric << " #" << i;
          EXPECT_EQ(got[expr.second].get<int64_t>(), std::stoll(truth[i][1].value_or("0")))
              << c.name << " " << by << " " << metric << " #" << i;
        }
      }
    }
  }
  // Names come from the entity tables.
  const Reply users = Get("/api/stats/top?" + Range(first_, end_) + "&by=user&limit=3");
  for (const json& u : users.body) {
    EXPECT_EQ(u["username"],
              Rows("SELECT username FROM users WHERE id = " + std::to_string(u["user_id"].get<int64_t>()))
                  .at(0)[0]
                  .value_or(""));
  }
}

TEST_F(ApiCheck, HeatmapByLocalWeekdayAndHour) {
  for (const char* zone : {"Asia/Shanghai", "America/New_York"}) {
    const Reply r = Get("/api/stats/heatmap?" + Range(first_, end_) + "&metric=tokens&tz=" + zone);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.source, "hourly+logs");
    const int64_t start = r.body["start_ms"].get<int64_t>() / 1000, end = r.body["end_ms"].get<int64_t>() / 1000;
    std::vector<std::vector<int64_t>> truth(7, std::vector<int64_t>(24, 0));
    for (const DbRow& row : Rows("SELECT " + LocalWeekday(zone) + ", " + LocalHourOfDay(zone) + ", " + kTruthTokens +
                                 " FROM logs WHERE type IN (2, 5) AND created_at >= " + std::to_string(start) +
                                 " AND created_at < " + std::to_string(end) + " GROUP BY 1, 2")) {
      truth[std::stoul(*row[0])][std::stoul(*row[1])] = std::stoll(row[2].value_or("0"));
    }
    EXPECT_EQ(r.body["cells"].get<std::vector<std::vector<int64_t>>>(), truth) << zone;
  }
}

TEST_F(ApiCheck, AnomaliesEqualTheSqlEvaluator) {
  const int64_t start = end_ - 2 * 86400, end = end_;
  size_t total = 0;
  for (const char* rule : {"burst", "multi_user_token", "ip_many_users", "big_request"}) {
    const Reply r = Get("/api/stats/anomalies?" + Range(start, end) + "&rule=" + rule);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    std::vector<rules::Finding> expected;
    rules::Rule id = rules::Rule::kBurst;
    for (rules::Rule candidate : rules::kAllRules) {
      if (std::string(rules::RuleName(candidate)) == rule) id = candidate;
    }
    ASSERT_TRUE(rules::EvaluateRule(*db_, id, rules::Thresholds{}, rules::AllowList{}, {start, end}, rules::Baselines{},
                                    &expected)
                    .ok);
    ASSERT_EQ(r.body.size(), expected.size()) << rule;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(r.body[i]["subject_id"], expected[i].subject_id);
      EXPECT_EQ(r.body[i]["score"].get<double>(), expected[i].peak_score);
      EXPECT_EQ(r.body[i]["windows"].get<int64_t>(), expected[i].windows);
    }
    total += expected.size();
  }
  EXPECT_GT(total, 0u) << "the history has injected anomalies";
  // A threshold override applies to this request only.
  rules::Thresholds lower;
  lower.burst_limit = 40;
  std::vector<rules::Finding> expected;
  ASSERT_TRUE(rules::EvaluateRule(*db_, rules::Rule::kBurst, lower, rules::AllowList{}, {start, end},
                                  rules::Baselines{}, &expected)
                  .ok);
  const Reply r = Get("/api/stats/anomalies?" + Range(start, end) + "&rule=burst&threshold=40");
  EXPECT_EQ(r.body.size(), expected.size());
}

TEST_F(ApiCheck, AnomalyDetailShowsTheSubjectsRows) {
  const int64_t start = end_ - 2 * 86400;
  size_t checked = 0;
  for (const char* rule : {"burst", "multi_user_token", "ip_many_users", "big_request"}) {
    const Reply list = Get("/api/stats/anomalies?" + Range(start, end_) + "&rule=" + rule);
    if (list.body.empty()) continue;
    const json& finding = list.body[0];
    const std::string subject = finding["subject_id"];
    const Reply r = Get("/api/stats/anomalies/detail?" + Range(start, end_) + "&rule=" + rule +
                        "&subject_id=" + httplib::detail::encode_query_param(subject));
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["finding"], finding);
    const int64_t from = finding["first_window_start_ms"].get<int64_t>() / 1000;
    const int64_t to = finding["last_window_end_ms"].get<int64_t>() / 1000;
    const std::string type = finding["subject_type"];
    const std::string condition = type == "request" ? "id = " + subject
                                  : type == "ip"    ? "ip = " + db_->Quote(subject) + " AND type IN (2, 5, 7)"
                                                    : "token_id = " + subject + " AND type = 2";
    const std::string where = " FROM logs WHERE created_at >= " + std::to_string(from) + " AND created_at < " +
                              std::to_string(to) + " AND " + condition;
    EXPECT_EQ(r.body["requests"].size(), static_cast<size_t>(std::min<int64_t>(100, Int("SELECT COUNT(*)" + where))));
    for (const json& row : r.body["requests"]) {
      EXPECT_FALSE(row.contains("content") || row.contains("other")) << row.dump();
      if (type == "token") {
        EXPECT_EQ(std::to_string(row["token_id"].get<int64_t>()), subject);
      }
      if (type == "ip") {
        EXPECT_EQ(row["ip"], subject);
      }
    }
    int64_t ip_reqs = 0;
    for (const json& ip : r.body["ips"]) ip_reqs += ip["reqs"].get<int64_t>();
    if (r.body["ips"].size() < 50) {
      EXPECT_EQ(ip_reqs, Int("SELECT COUNT(*)" + where)) << rule;
    }
    EXPECT_EQ(r.body["users"].size(),
              static_cast<size_t>(std::min<int64_t>(50, Int("SELECT COUNT(DISTINCT user_id)" + where))));
    // Channels by name, in the breakdown and on every request.
    EXPECT_FALSE(r.body["channels"].empty()) << rule;
    for (const json& rows : {r.body["channels"], r.body["requests"]}) {
      for (const json& c : rows) {
        EXPECT_EQ(c["channel_name"], ChannelName(c["channel_id"].get<int64_t>())) << rule << " " << c.dump();
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 0u);
  const Reply missing = Get("/api/stats/anomalies/detail?" + Range(start, end_) + "&rule=burst&subject_id=999999999");
  EXPECT_EQ(missing.status, 404);
}

TEST_F(ApiCheck, LogsBySubjectWithTheColumnAllowList) {
  const std::set<std::string> allowed = {"id",
                                         "created_at",
                                         "created_at_ms",
                                         "type",
                                         "user_id",
                                         "username",
                                         "token_id",
                                         "token_name",
                                         "model_name",
                                         "channel_id",
                                         "group",
                                         "is_stream",
                                         "prompt_tokens",
                                         "completion_tokens",
                                         "quota",
                                         "use_time",
                                         "ip",
                                         "request_id",
                                         "cache_tokens",
                                         "frt_ms",
                                         "channel_name"};
  const int64_t start = end_ - 86400;
  const std::string user = Rows("SELECT user_id FROM logs WHERE created_at >= " + std::to_string(start) +
                                " GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
                               .at(0)[0]
                               .value_or("");
  const std::string token =
      Rows("SELECT token_id FROM logs WHERE token_id > 0 AND created_at >= " + std::to_string(start) +
           " GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
          .at(0)[0]
          .value_or("");
  const std::string ip = Rows("SELECT ip FROM logs WHERE ip <> '' AND created_at >= " + std::to_string(start) +
                              " GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
                             .at(0)[0]
                             .value_or("");
  for (const auto& [param, condition] :
       std::vector<std::pair<std::string, std::string>>{{"user_id=" + user, "user_id = " + user},
                                                        {"token_id=" + token, "token_id = " + token},
                                                        {"ip=" + ip, "ip = " + db_->Quote(ip)}}) {
    const Reply r = Get("/api/logs?" + Range(start, end_) + "&" + param + "&limit=40");
    ASSERT_EQ(r.status, 200) << r.body.dump();
    std::vector<int64_t> expected;
    for (const DbRow& row :
         Rows("SELECT id FROM logs WHERE created_at >= " + std::to_string(start) + " AND created_at < " +
              std::to_string(end_) + " AND " + condition + " ORDER BY created_at DESC, id DESC LIMIT 40")) {
      expected.push_back(std::stoll(*row[0]));
    }
    std::vector<int64_t> got;
    for (const json& row : r.body) {
      got.push_back(row["id"].get<int64_t>());
      for (const auto& [name, value] : row.items()) EXPECT_TRUE(allowed.count(name)) << name;
      EXPECT_EQ(row["channel_name"], ChannelName(row["channel_id"].get<int64_t>())) << row.dump();
    }
    EXPECT_EQ(got, expected) << param;
    EXPECT_FALSE(got.empty()) << param;
  }
}

TEST_F(ApiCheck, BadParametersAnswer400NamingThem) {
  const std::string range = Range(first_, end_);
  const std::pair<std::string, std::string> cases[] = {
      {"/api/stats/series?end_ms=5", "start_ms"},
      {"/api/stats/series?" + Range(end_, first_), "end_ms"},
      {"/api/stats/series?" + range + "&slot_sec=7", "slot_sec"},
      {"/api/stats/series?" + range + "&slot_sec=60", "end_ms"},
      {"/api/stats/series?" + range + "&slot_sec=3600&tz=Nowhere/City", "tz"},
      {"/api/stats/top?" + range + "&by=ip", "by"},
      {"/api/stats/top?" + range + "&limit=100000", "limit"},
      {"/api/stats/heatmap?" + range + "&metric=x", "metric"},
      {"/api/stats/anomalies?" + range + "&rule=burst&sigma=2", "sigma"},
      {"/api/stats/anomalies?" + range, "rule"},
      {"/api/logs?" + range + "&ip=1.2.3.4%27%20OR%201", "ip"},
      {"/api/logs?" + range + "&user_id=1&unknown=2", "unknown"},
  };
  for (const auto& [path, param] : cases) {
    const Reply r = Get(path);
    EXPECT_EQ(r.status, 400) << path;
    ASSERT_TRUE(r.body.is_object() && r.body.contains("param") && r.body.contains("error"))
        << path << " " << r.body.dump();
    EXPECT_EQ(r.body["param"], param) << path << " " << r.body.dump();
    EXPECT_EQ(r.body["code"], 400);
    EXPECT_NE(r.body["error"].get<std::string>().find(param), std::string::npos);
  }
}

// Last: every answer above, scanned for the simulator's token keys.
TEST_F(ApiCheck, ZzNoTokenKeyInAnyAnswer) {
  const std::vector<DbRow> keys = Rows("SELECT \"key\" FROM tokens WHERE \"key\" <> ''");
  ASSERT_GT(keys.size(), 10u);
  ASSERT_GT(bodies_.size(), 50u);
  size_t found = 0;
  for (const std::string& body : bodies_) {
    for (const DbRow& key : keys) found += body.find(*key[0]) != std::string::npos;
  }
  EXPECT_EQ(found, 0u);
  std::cout << "scanned " << bodies_.size() << " answers for " << keys.size() << " token keys: " << found << " found\n";
}

}  // namespace
}  // namespace observer
