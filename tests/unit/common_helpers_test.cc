// Tests for the small shared helpers: backoff, log line format, metric names, SQL flavour handling.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "observer/backoff.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "observer/mysql_client.h"

namespace observer {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DoublesUpToTheCapAndResets) {
  Backoff backoff(milliseconds(500), milliseconds(10000));
  EXPECT_EQ(backoff.Next(), milliseconds(500));
  EXPECT_EQ(backoff.Next(), milliseconds(1000));
  EXPECT_EQ(backoff.Next(), milliseconds(2000));
  EXPECT_EQ(backoff.Next(), milliseconds(4000));
  EXPECT_EQ(backoff.Next(), milliseconds(8000));
  EXPECT_EQ(backoff.Next(), milliseconds(10000));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(backoff.Next(), milliseconds(10000));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), milliseconds(500));
}

TEST(LogTest, LineIsOneJsonObjectWithTheContractFields) {
  const std::string line = log::FormatLine(log::Level::kWarn, "exporter", "db \"down\"\nretrying", "abc123",
                                           {{"port", 3306}}, 1764158400123LL);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["ts"], "2025-11-26T12:00:00.123Z");
  EXPECT_EQ(parsed["level"], "warn");
  EXPECT_EQ(parsed["component"], "exporter");
  EXPECT_EQ(parsed["msg"], "db \"down\"\nretrying");
  EXPECT_EQ(parsed["request_id"], "abc123");
  EXPECT_EQ(parsed["port"], 3306);
}

TEST(LogTest, InvalidUtf8DoesNotThrow) {
  std::string bad = "model \xff\xfe name";
  std::string line;
  EXPECT_NO_THROW(line = log::FormatLine(log::Level::kInfo, "c", bad, "", {{"model", bad}}, 0));
  EXPECT_TRUE(nlohmann::json::accept(line));
}

TEST(LogTest, ParseLevel) {
  log::Level level;
  EXPECT_TRUE(log::ParseLevel("debug", &level));
  EXPECT_EQ(level, log::Level::kDebug);
  EXPECT_FALSE(log::ParseLevel("verbose", &level));
}

TEST(MetricsTest, NamesCarryTheNamespace) {
  EXPECT_EQ(metrics::Name("exporter", "db_up"), "newapi_exporter_db_up");
  EXPECT_EQ(metrics::Name("", "requests_total"), "newapi_requests_total");
}

TEST(MysqlFlavorTest, DetectsMariaDbAndMySql) {
  EXPECT_EQ(FlavorFromVersion("10.11.19-MariaDB-0+deb12u1"), ServerFlavor::kMariaDB);
  EXPECT_EQ(FlavorFromVersion("8.0.36"), ServerFlavor::kMySQL);
  EXPECT_EQ(FlavorFromVersion("8.4.2-commercial"), ServerFlavor::kMySQL);
  EXPECT_EQ(FlavorFromVersion(""), ServerFlavor::kUnknown);
}

TEST(MysqlFlavorTest, StatementTimeoutSyntaxPerFlavor) {
  EXPECT_EQ(StatementTimeoutSql(ServerFlavor::kMySQL, 5000), "SET SESSION MAX_EXECUTION_TIME = 5000");
  EXPECT_EQ(StatementTimeoutSql(ServerFlavor::kMariaDB, 5000), "SET SESSION max_statement_time = 5.000");
  EXPECT_EQ(StatementTimeoutSql(ServerFlavor::kMariaDB, 1250), "SET SESSION max_statement_time = 1.250");
  EXPECT_EQ(StatementTimeoutSql(ServerFlavor::kMariaDB, 0), "");
  EXPECT_EQ(StatementTimeoutSql(ServerFlavor::kUnknown, 5000), "");
}

TEST(MysqlFlavorTest, PerStatementTimeout) {
  EXPECT_EQ(WithStatementTimeout(ServerFlavor::kMariaDB, "SELECT 1", 60000),
            "SET STATEMENT max_statement_time = 60.000 FOR SELECT 1");
  EXPECT_EQ(WithStatementTimeout(ServerFlavor::kMySQL, "SELECT a FROM t", 60000),
            "SELECT /*+ MAX_EXECUTION_TIME(60000) */ a FROM t");
}

TEST(MysqlQuoteTest, IdentifiersAndLiteralsAreEscaped) {
  EXPECT_EQ(QuoteIdentifier("new-api"), "`new-api`");
  EXPECT_EQ(QuoteIdentifier("a`b"), "`a``b`");
  MysqlClient unconnected(DbOptions{});
  EXPECT_EQ(unconnected.Quote("it's"), "'it\\'s'");
  EXPECT_EQ(unconnected.Quote("x\\'; DROP TABLE logs; --"), "'x\\\\\\'; DROP TABLE logs; --'");
}

TEST(DbStatusTest, ClassifiesTimeoutsAndLostConnections) {
  EXPECT_TRUE(DbStatus::Failure(1969, "Query execution was interrupted (max_statement_time exceeded)").IsTimeout());
  EXPECT_TRUE(DbStatus::Failure(3024, "maximum statement execution time exceeded").IsTimeout());
  EXPECT_TRUE(DbStatus::Failure(2013, "Lost connection to server during query").IsConnectionLost());
  EXPECT_TRUE(DbStatus::Failure(2003, "Can't connect").IsConnectionLost());
  EXPECT_FALSE(DbStatus::Failure(1142, "SELECT command denied").IsConnectionLost());
  EXPECT_FALSE(DbStatus::Ok().IsTimeout());
}

}  // namespace
}  // namespace observer
