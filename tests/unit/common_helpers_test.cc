// Tests for the small shared helpers: backoff, bounded JSON parsing, log line format, metric names, SQL flavour
// handling.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "observer/backoff.h"
#include "observer/bounded_json.h"
#include "observer/db_client.h"
#include "observer/log.h"
#include "observer/metrics.h"
#include "observer/process_metrics.h"

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

TEST(BoundedJsonTest, AcceptsUpToTheDepthAndRefusesDeeper) {
  std::string error;
  ASSERT_TRUE(ParseJsonBounded(R"({"a":[{"b":1}]})", 3, &error));
  EXPECT_FALSE(ParseJsonBounded(R"({"a":[{"b":[1]}]})", 3, &error));
  EXPECT_EQ(error, "JSON nested deeper than 3 levels");
  EXPECT_EQ(*ParseJsonBounded("42", 0, &error), 42) << "a scalar has depth 0";
  EXPECT_TRUE(ParseJsonBounded("[[],[],{}]", 2, &error)) << "siblings do not add up";
}

TEST(BoundedJsonTest, BracketsInsideStringsDoNotCount) {
  std::string error;
  const auto value = ParseJsonBounded(R"({"a":"[[[[{{{{\"[[[[","b":"\\"})", 1, &error);
  ASSERT_TRUE(value) << error;
  EXPECT_EQ((*value)["a"], R"([[[[{{{{"[[[[)");
  EXPECT_EQ((*value)["b"], "\\");
}

TEST(BoundedJsonTest, HundredThousandLevelsAreRefusedWithoutRecursing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string error;
  EXPECT_FALSE(ParseJsonBounded(deep, 64, &error));
  EXPECT_EQ(error, "JSON nested deeper than 64 levels");
  EXPECT_FALSE(ParseJsonBounded(R"({"a":[}})", 64, &error));
  EXPECT_EQ(error, "not valid JSON");
  EXPECT_FALSE(ParseJsonBounded("\"\xff\"", 64, &error)) << "invalid UTF-8";
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

std::map<std::string, double> ProcessValues() {
  std::map<std::string, double> values;
  for (const prometheus::MetricFamily& family : metrics::ProcessCollectable().Collect()) {
    const prometheus::ClientMetric& m = family.metric.at(0);
    values[family.name] = family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return values;
}

TEST(ProcessMetricsTest, FollowTheProcess) {
  const std::map<std::string, double> before = ProcessValues();
  ASSERT_EQ(before.size(), 6u);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(before.at("process_start_time_seconds"), now - 3600);
  EXPECT_LE(before.at("process_start_time_seconds"), now + 1);
  EXPECT_GE(before.at("process_cpu_seconds_total"), 0);
  EXPECT_GE(before.at("process_max_fds"), before.at("process_open_fds"));
  EXPECT_GT(before.at("process_virtual_memory_bytes"), before.at("process_resident_memory_bytes"));
  // 20 more descriptors and 64 MB more touched memory show up.
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(open("/dev/null", O_RDONLY));
  std::vector<char> block(64 << 20, 1);
  const std::map<std::string, double> after = ProcessValues();
  EXPECT_GE(after.at("process_open_fds") - before.at("process_open_fds"), 20);
  EXPECT_GE(after.at("process_resident_memory_bytes") - before.at("process_resident_memory_bytes"), 60 << 20);
  EXPECT_EQ(block[block.size() / 2], 1);
  for (int fd : fds) close(fd);
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

TEST(QuoteTest, IdentifiersAndLiteralsAreEscaped) {
  EXPECT_EQ(QuoteIdentifier("new-api"), "\"new-api\"");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  DbClient unconnected(DbOptions{});
  EXPECT_EQ(unconnected.Quote("it's"), "'it\\'s'");
  EXPECT_EQ(unconnected.Quote("x\\'; DROP TABLE logs; --"), "'x\\\\\\'; DROP TABLE logs; --'");
  DbOptions postgres;
  postgres.engine = DbEngine::kPostgres;
  DbClient unconnected_pg(postgres);
  EXPECT_EQ(unconnected_pg.Quote("it's"), "'it''s'");
  EXPECT_EQ(unconnected_pg.Quote(std::string("a\\'\0b", 5)), "'a\\''b'");
}

TEST(DbStatusTest, ClassifiesMysqlErrors) {
  EXPECT_EQ(ClassifyMysqlError(1969, "Query execution was interrupted (max_statement_time exceeded)"),
            DbError::kTimeout);
  EXPECT_EQ(ClassifyMysqlError(3024, "maximum statement execution time exceeded"), DbError::kTimeout);
  EXPECT_EQ(ClassifyMysqlError(2013, "Lost connection to server during query"), DbError::kConnectionLost);
  EXPECT_EQ(ClassifyMysqlError(2013,
                               "Lost connection to server at 'handshake: reading initial communication packet', system "
                               "error: 110 (timeout)"),
            DbError::kClientTimeout);
  EXPECT_EQ(ClassifyMysqlError(2003, "Can't connect"), DbError::kConnectionLost);
  EXPECT_EQ(ClassifyMysqlError(1142, "SELECT command denied"), DbError::kPermissionDenied);
  EXPECT_EQ(ClassifyMysqlError(1143, "SELECT command denied for column"), DbError::kPermissionDenied);
  EXPECT_EQ(ClassifyMysqlError(1146, "Table doesn't exist"), DbError::kNoSuchTable);
  EXPECT_EQ(ClassifyMysqlError(1205, "Lock wait timeout exceeded"), DbError::kLockTimeout);
  EXPECT_EQ(ClassifyMysqlError(1226, "max_user_connections"), DbError::kTooManyConnections);
  EXPECT_EQ(ClassifyMysqlError(1792, "read only transaction"), DbError::kReadOnly);
  EXPECT_FALSE(DbStatus::Ok().IsTimeout());
  EXPECT_TRUE(DbStatus::Failure(DbError::kClientTimeout, "").IsTimeout());
  EXPECT_TRUE(DbStatus::Failure(DbError::kClientTimeout, "").IsConnectionLost());
}

TEST(DbStatusTest, ClassifiesPostgresSqlStates) {
  EXPECT_EQ(ClassifyPostgresError("57014"), DbError::kTimeout);
  EXPECT_EQ(ClassifyPostgresError("55P03"), DbError::kLockTimeout);
  EXPECT_EQ(ClassifyPostgresError("08006"), DbError::kConnectionLost);
  EXPECT_EQ(ClassifyPostgresError("57P01"), DbError::kConnectionLost);
  EXPECT_EQ(ClassifyPostgresError("53300"), DbError::kTooManyConnections);
  EXPECT_EQ(ClassifyPostgresError("42501"), DbError::kPermissionDenied);
  EXPECT_EQ(ClassifyPostgresError("42P01"), DbError::kNoSuchTable);
  EXPECT_EQ(ClassifyPostgresError("42703"), DbError::kNoSuchColumn);
  EXPECT_EQ(ClassifyPostgresError("3F000"), DbError::kNoSuchDatabase);
  EXPECT_EQ(ClassifyPostgresError("25006"), DbError::kReadOnly);
  EXPECT_EQ(ClassifyPostgresError("22P02"), DbError::kOther);
}

TEST(DsnTest, ReadsNewApiPostgresUri) {
  DbOptions o;
  EXPECT_EQ(ParseDsn("postgresql://root:123456@postgres:5432/new-api?sslmode=disable", &o), "");
  EXPECT_EQ(o.engine, DbEngine::kPostgres);
  EXPECT_EQ(o.host, "postgres");
  EXPECT_EQ(o.port, 5432);
  EXPECT_EQ(o.database, "new-api");
  EXPECT_EQ(o.user, "root");
  EXPECT_EQ(o.password, "123456");
  DbOptions encoded;
  EXPECT_EQ(ParseDsn("postgres://newapi_ro:p%40ss%3Aw@[::1]/db", &encoded), "");
  EXPECT_EQ(encoded.password, "p@ss:w");
  EXPECT_EQ(encoded.host, "::1");
  EXPECT_EQ(encoded.port, 5432);
}

TEST(DsnTest, ReadsNewApiMysqlForm) {
  DbOptions o;
  EXPECT_EQ(ParseDsn("root:123456@tcp(mysql:3307)/new-api?charset=utf8mb4&parseTime=true", &o), "");
  EXPECT_EQ(o.engine, DbEngine::kMySQL);
  EXPECT_EQ(o.host, "mysql");
  EXPECT_EQ(o.port, 3307);
  EXPECT_EQ(o.database, "new-api");
  EXPECT_EQ(o.user, "root");
  EXPECT_EQ(o.password, "123456");
  DbOptions at_in_password;
  EXPECT_EQ(ParseDsn("u:a@b@tcp(h)/d", &at_in_password), "");
  EXPECT_EQ(at_in_password.password, "a@b");
  EXPECT_EQ(at_in_password.port, 3306);
}

TEST(DsnTest, ErrorsNeverEchoThePassword) {
  const char* broken[] = {"postgresql://u:secret-pw@h:99999/db",
                          "postgresql://u:secret-pw@h:5432",
                          "u:secret-pw@unix(/tmp/sock)/db",
                          "u:secret-pw@tcp(h:5432",
                          "clickhouse://u:secret-pw@h/db",
                          "",
                          "local",
                          "postgresql://u:secret-pw%zz@h/db"};
  for (const char* dsn : broken) {
    DbOptions o;
    const std::string error = ParseDsn(dsn, &o);
    EXPECT_FALSE(error.empty()) << dsn;
    EXPECT_EQ(error.find("secret-pw"), std::string::npos) << error;
  }
}

TEST(DialectTest, DiffersWhereTheEnginesDo) {
  const Dialect my(DbEngine::kMySQL), pg(DbEngine::kPostgres);
  EXPECT_EQ(my.IntDiv("created_at", 60), "(created_at) DIV 60");
  EXPECT_EQ(pg.IntDiv("created_at", 60), "(created_at) / 60");
  EXPECT_EQ(my.TextLiteral("a'b"), "X'612762'");
  EXPECT_EQ(pg.TextLiteral("a'b"), "'a''b'");
  EXPECT_EQ(my.Exact("ip"), "CAST(ip AS BINARY)");
  EXPECT_EQ(pg.Exact("ip"), "ip");
  EXPECT_EQ(pg.ToText("token_id"), "(token_id)::text");
  EXPECT_EQ(my.CountDistinctPair("a", "b"), "COUNT(DISTINCT a, b)");
  EXPECT_EQ(pg.CountDistinctPair("a", "b"),
            "COUNT(DISTINCT CASE WHEN a IS NOT NULL AND b IS NOT NULL THEN (a, b) END)");
  EXPECT_EQ(my.UpsertClause("t", "k", {"v", "w"}), " ON DUPLICATE KEY UPDATE v = VALUES(v), w = VALUES(w)");
  EXPECT_EQ(pg.UpsertClause("t", "k", {"v", "w"}),
            " ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, w = EXCLUDED.w WHERE (\"t\".v, \"t\".w) IS DISTINCT FROM "
            "(EXCLUDED.v, EXCLUDED.w)");
  EXPECT_EQ(my.BucketIndex("hour", {10, 20}), "INTERVAL(hour, 10, 20)");
  EXPECT_EQ(pg.BucketIndex("hour", {10, 20}), "width_bucket(hour, ARRAY[10, 20]::bigint[])");
  EXPECT_EQ(my.Table("new-api", "logs"), "\"new-api\".\"logs\"");
  EXPECT_EQ(my.AddIndexSql("logs", "i", "a, b", false), "ALTER TABLE logs ADD INDEX i (a, b);");
  EXPECT_EQ(my.AddIndexSql("logs", "i", "a, b", true), "ALTER TABLE logs DROP INDEX i, ADD INDEX i (a, b);");
  EXPECT_EQ(pg.AddIndexSql("logs", "i", "a, b", false), "CREATE INDEX CONCURRENTLY i ON logs (a, b);");
  EXPECT_EQ(
      pg.AddIndexSql("logs", "i", "a, b", true),
      "CREATE INDEX CONCURRENTLY i_new ON logs (a, b); DROP INDEX CONCURRENTLY i; ALTER INDEX i_new RENAME TO i;");
  const unsigned char net[16] = {10, 1, 2, 3};
  EXPECT_EQ(my.IpInNetwork("ip", net, 4, 8),
            "(LENGTH(INET6_ATON(ip)) = 4 AND INET6_ATON(ip) BETWEEN X'0a000000' AND X'0affffff')");
  const std::string pg_net = pg.IpInNetwork("ip", net, 4, 8);
  EXPECT_NE(pg_net.find("ip::inet <<= '10.0.0.0/8'::inet"), std::string::npos) << pg_net;
  EXPECT_NE(pg_net.find("CASE WHEN ip ~ '"), std::string::npos) << pg_net;
}

}  // namespace
}  // namespace observer
