// DbClient against a real MariaDB: session preparation, server-side statement timeout, read-only sessions,
// escaping round trips and recovery after the server drops the connection.
#include <gtest/gtest.h>

#include <chrono>

#include "observer/db_client.h"
#include "test_env.h"

namespace observer {
namespace {

class DbClientIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DbClient admin(testing::TestDbOptions());
    ASSERT_TRUE(admin.Connect().ok);
    ASSERT_TRUE(admin.Execute("CREATE DATABASE IF NOT EXISTS `observer-client-test`").ok);
    ASSERT_TRUE(admin.Execute("CREATE TABLE IF NOT EXISTS `observer-client-test`.t (id INT PRIMARY KEY, v TEXT)").ok);
    ASSERT_TRUE(admin.Execute("DELETE FROM `observer-client-test`.t").ok);
  }
};

TEST_F(DbClientIntegrationTest, PreparesTheSession) {
  DbClient client(testing::TestDbOptions("observer-client-test"));
  DbStatus connected = client.Connect();
  ASSERT_TRUE(connected.ok) << connected.message;
  EXPECT_EQ(client.server().flavor, ServerFlavor::kMariaDB);
  QueryResult result;
  ASSERT_TRUE(client
                  .Query("SELECT @@session.time_zone, @@session.lock_wait_timeout, @@session.max_statement_time, "
                         "@@character_set_client",
                         &result)
                  .ok);
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_EQ(*result.rows[0][0], "+00:00");
  EXPECT_EQ(*result.rows[0][1], "2");
  EXPECT_DOUBLE_EQ(std::stod(*result.rows[0][2]), 5.0);
  EXPECT_EQ(*result.rows[0][3], "utf8mb4");
}

TEST_F(DbClientIntegrationTest, ServerStopsAStatementAtTheTimeout) {
  DbOptions options = testing::TestDbOptions();
  options.statement_timeout_ms = 700;
  DbClient client(options);
  ASSERT_TRUE(client.Connect().ok);
  const auto start = std::chrono::steady_clock::now();
  // SLEEP() returns 1 when interrupted instead of failing, so the timeout is proven with a real scan that cannot
  // finish in time: a large cross join.
  DbStatus status = client.Query(
      "SELECT COUNT(*) FROM information_schema.columns a, information_schema.columns b, "
      "information_schema.columns c",
      nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(status.ok) << "the query finished within the timeout; make it heavier";
  EXPECT_TRUE(status.IsTimeout()) << status.code << " " << status.message;
  EXPECT_LT(seconds, 3.0);
  // The connection stays usable after a statement timeout.
  EXPECT_TRUE(client.Query("SELECT 1", nullptr).ok);
}

TEST_F(DbClientIntegrationTest, ReadOnlySessionRejectsWrites) {
  DbOptions options = testing::TestDbOptions("observer-client-test");
  options.read_only = true;
  DbClient client(options);
  ASSERT_TRUE(client.Connect().ok);
  DbStatus status = client.Execute("INSERT INTO t VALUES (1, 'x')");
  EXPECT_FALSE(status.ok);
  EXPECT_EQ(status.code, 1792u) << status.message;  // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
}

TEST_F(DbClientIntegrationTest, QuotedValuesRoundTrip) {
  DbClient client(testing::TestDbOptions("observer-client-test"));
  ASSERT_TRUE(client.Connect().ok);
  const std::string nasty = "it's a \"test\" \\ with ' ; DROP TABLE t; -- 中文 \n tab\t";
  ASSERT_TRUE(client.Execute("INSERT INTO t VALUES (2, " + client.Quote(nasty) + ")").ok);
  QueryResult result;
  ASSERT_TRUE(client.Query("SELECT v FROM t WHERE id = 2", &result).ok);
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_EQ(*result.rows[0][0], nasty);
  ASSERT_TRUE(client.Query("SELECT NULL", &result).ok);
  EXPECT_FALSE(result.rows[0][0].has_value());
}

TEST_F(DbClientIntegrationTest, KilledConnectionIsReportedAndReconnects) {
  DbClient victim(testing::TestDbOptions());
  ASSERT_TRUE(victim.Connect().ok);
  QueryResult id;
  ASSERT_TRUE(victim.Query("SELECT CONNECTION_ID()", &id).ok);
  DbClient admin(testing::TestDbOptions());
  ASSERT_TRUE(admin.Connect().ok);
  ASSERT_TRUE(admin.Execute("KILL CONNECTION " + *id.rows[0][0]).ok);
  DbStatus status = victim.Query("SELECT 1", nullptr);
  EXPECT_FALSE(status.ok);
  EXPECT_TRUE(status.IsConnectionLost()) << status.code << " " << status.message;
  EXPECT_FALSE(victim.connected());
  EXPECT_TRUE(victim.Connect().ok);
  EXPECT_TRUE(victim.Query("SELECT 1", nullptr).ok);
}

TEST(DbClientConnectTest, UnreachableServerFailsWithinTheConnectTimeout) {
  DbOptions options = testing::TestDbOptions();
  options.port = 1;  // nothing listens there
  options.connect_timeout_seconds = 2;
  DbClient client(options);
  const auto start = std::chrono::steady_clock::now();
  DbStatus status = client.Connect();
  EXPECT_FALSE(status.ok);
  EXPECT_TRUE(status.IsConnectionLost()) << status.code << " " << status.message;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 3.0);
}

}  // namespace
}  // namespace observer
