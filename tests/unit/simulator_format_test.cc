// Tests of the simulator's encodings and plans: TSV escaping, SQL quoting, schema split, load decisions.
#include <gtest/gtest.h>

#include <algorithm>

#include "load_plan.h"
#include "random.h"
#include "schema_sql.h"
#include "text_format.h"
#include "traffic.h"

namespace sim {
namespace {

TEST(SimulatorFormat, TsvEscapesTabsNewlinesBackslashesAndNull) {
  std::string out;
  AppendTsvField(&out, std::string_view("a\tb\nc\\d\re"));
  EXPECT_EQ(out, "a\\tb\\nc\\\\d\\re");
  out.clear();
  AppendTsvField(&out, std::string_view("x\0y", 3));
  EXPECT_EQ(out, "x\\0y");
  out.clear();
  AppendTsvField(&out, std::nullopt);
  EXPECT_EQ(out, "\\N");
  out.clear();
  AppendTsvField(&out, std::string_view(""));
  EXPECT_EQ(out, "");
}

TEST(SimulatorFormat, LogRowIsOneLineOfTwentyOneFields) {
  LogRow row;
  row.id = 5;
  row.content = "status_code=502: <html>\r\n\t<body>\\</body>";
  row.other = R"({"a":"tab\there"})";
  std::string line;
  AppendLogTsv(row, &line);
  ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\t'), 20);
  EXPECT_NE(line.find("\t\\N\t"), std::string::npos);  // channel_name is NULL
  EXPECT_EQ(line.rfind("5\t", 0), 0u);
}

TEST(SimulatorFormat, SqlQuoteEscapes) {
  const observer::Dialect mysql(observer::DbEngine::kMySQL), postgres(observer::DbEngine::kPostgres);
  EXPECT_EQ(SqlQuote(mysql, "it's"), "'it\\'s'");
  EXPECT_EQ(SqlQuote(mysql, "a\\b\nc"), "'a\\\\b\\nc'");
  EXPECT_EQ(SqlQuote(postgres, "it's a\\b\nc"), "'it''s a\\b\nc'");  // standard_conforming_strings
  for (const observer::Dialect* dialect : {&mysql, &postgres}) {
    const std::string insert = LogInsertSql(*dialect, LogRow{});
    EXPECT_NE(insert.find("\"group\""), std::string::npos);
    EXPECT_EQ(insert.find("channel_name"), std::string::npos);                    // new-api never writes it
    EXPECT_NE(insert.find("," + dialect->Bool(false) + ","), std::string::npos);  // is_stream
  }
}

TEST(SimulatorFormat, NumbersPrintLikeGo) {
  EXPECT_EQ(FormatNumber(4), "4");
  EXPECT_EQ(FormatNumber(1.25), "1.25");
  EXPECT_EQ(FormatNumber(0.075), "0.075");
  EXPECT_EQ(FormatNumber(-1), "-1");
}

TEST(SimulatorFormat, SchemaSplitsLogsIndexesOut) {
  const SchemaPlan plan = PlanSchema(observer::DbEngine::kMySQL, false);
  EXPECT_EQ(plan.create_tables.size(), 34u);
  ASSERT_EQ(plan.logs_indexes.size(), 14u);
  EXPECT_EQ(plan.logs_indexes.front(), "KEY `idx_created_at_id` (`created_at`,`id`)");
  for (const std::string& create : plan.create_tables) {
    if (create.find("CREATE TABLE `logs`") == std::string::npos) continue;
    EXPECT_EQ(create.find("  KEY"), std::string::npos);
    EXPECT_NE(create.find("PRIMARY KEY (`id`)\n)"), std::string::npos);
  }
  ASSERT_EQ(plan.add_logs_indexes.size(), 1u);
  EXPECT_EQ(plan.add_logs_indexes[0].rfind("ALTER TABLE logs ADD KEY `idx_created_at_id`", 0), 0u);
  const SchemaPlan legacy = PlanSchema(observer::DbEngine::kMySQL, true);
  EXPECT_EQ(legacy.logs_indexes.front(), "KEY `idx_created_at_id` (`id`,`created_at`)");
}

TEST(SimulatorFormat, PostgresSchemaBuildsLogsIndexesAfterTheLoad) {
  const SchemaPlan plan = PlanSchema(observer::DbEngine::kPostgres, false);
  const auto tables = std::count_if(plan.create_tables.begin(), plan.create_tables.end(),
                                    [](const std::string& s) { return s.rfind("CREATE TABLE", 0) == 0; });
  EXPECT_EQ(tables, 34);
  ASSERT_EQ(plan.logs_indexes.size(), 14u);
  EXPECT_EQ(plan.add_logs_indexes, plan.logs_indexes);
  EXPECT_EQ(plan.logs_indexes.front(),
            "CREATE INDEX IF NOT EXISTS \"idx_created_at_id\" ON \"logs\" (\"created_at\",\"id\")");
  for (const std::string& statement : plan.create_tables) {
    EXPECT_EQ(statement.find(" ON \"logs\" "), std::string::npos) << statement;  // no logs index before the load
    EXPECT_EQ(statement.find(';'), std::string::npos);
  }
  const SchemaPlan legacy = PlanSchema(observer::DbEngine::kPostgres, true);
  EXPECT_NE(legacy.logs_indexes.front().find("(\"id\",\"created_at\")"), std::string::npos);
}

TEST(SimulatorFormat, LoadDecisions) {
  DatabaseState none;
  EXPECT_EQ(DecideLoad(none, false, true), LoadAction::kCreate);
  DatabaseState empty{true, 0, std::nullopt};
  EXPECT_EQ(DecideLoad(empty, false, false), LoadAction::kFill);
  DatabaseState foreign{true, 34, std::nullopt};
  EXPECT_EQ(DecideLoad(foreign, false, true), LoadAction::kRefuseForeign);
  EXPECT_EQ(DecideLoad(foreign, true, true), LoadAction::kRecreate);
  DatabaseState done{true, 34, nlohmann::json{{"state", "done"}}};
  EXPECT_EQ(DecideLoad(done, false, true), LoadAction::kSkip);
  EXPECT_EQ(DecideLoad(done, false, false), LoadAction::kRefuseLoaded);
  DatabaseState interrupted{true, 34, nlohmann::json{{"state", "loading"}}};
  EXPECT_EQ(DecideLoad(interrupted, false, true), LoadAction::kRecreate);
}

TEST(SimulatorFormat, CapSharesKeepsEveryShareUnderTheCap) {
  const std::vector<double> capped = CapShares({100, 10, 5, 1, 1, 1, 1, 1, 1, 1}, 0.2);
  double total = 0, largest = 0;
  for (double w : capped) total += w, largest = std::max(largest, w);
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_LE(largest, 0.2 + 1e-9);
  EXPECT_GT(capped[1], capped[3]);  // order preserved
}

}  // namespace
}  // namespace sim
