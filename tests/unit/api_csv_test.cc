// Tests for the API's CSV export: RFC 4180 quoting, formula-looking text neutralised, columns, heatmaps, MAX_ROWS, BOM.
#include <gtest/gtest.h>

#include "api/csv.h"

namespace exporter::api {
namespace {

using nlohmann::json;

TEST(CsvTest, QuotesOnlyWhatNeedsQuoting) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(" padded"), "\" padded\"");
  EXPECT_EQ(CsvField("中文令牌"), "中文令牌");
  EXPECT_EQ(CsvField(42), "42");
  EXPECT_EQ(CsvField(-3.5), "-3.5");
  EXPECT_EQ(CsvField(json()), "");
  EXPECT_EQ(CsvField(json::array({1, 2})), "\"[1,2]\"");
}

TEST(CsvTest, TextThatASpreadsheetWouldRunIsNeutralised) {
  EXPECT_EQ(CsvField("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(CsvField("+1"), "'+1");
  EXPECT_EQ(CsvField("@sum"), "'@sum");
  EXPECT_EQ(CsvField("-token"), "'-token");
  // OWASP's list: a leading TAB or CR starts a formula too, and a signed number is no excuse ("-2+3+cmd|...").
  EXPECT_EQ(CsvField("\t=1+1"), "'\t=1+1");
  EXPECT_EQ(CsvField("\r=1+1"), "\"'\r=1+1\"");
  EXPECT_EQ(CsvField("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
  EXPECT_EQ(CsvField("+1"), "'+1");
  // Numbers are data, not text: they keep their sign.
  EXPECT_EQ(CsvField(-2), "-2");
}

// A value nesting 100,000 deep (a forged cached answer) cannot be written by recursing into it.
nlohmann::json Nested(size_t depth) {
  json value = json::array();
  for (size_t i = 1; i < depth; ++i) value = json::array({std::move(value)});
  return value;
}

TEST(CsvTest, DeeplyNestedValuesAreRefusedNotRecursedInto) {
  const json deep = Nested(100000);
  EXPECT_EQ(CsvField(deep), "(nested too deep)");
  EXPECT_EQ(CsvField(Nested(kCsvMaxDepth)), std::string(kCsvMaxDepth, '[') + std::string(kCsvMaxDepth, ']'));
  json answer = json::array();  // built by moving: a copy of the test's own value would recurse too
  answer.push_back({{"name", "a"}});
  answer[0]["other"] = Nested(100000);
  const Csv rows = CsvFromAnswer(answer, 10, false);
  EXPECT_EQ(rows.text, "name,other\r\na,(nested too deep)\r\n");
  const Csv single = CsvFromAnswer(answer[0], 10, false);  // one object is one row
  EXPECT_EQ(single.text, rows.text);
  const Csv top = CsvFromAnswer(Nested(100000), 10, false);
  EXPECT_EQ(top.rows, 1u);
}

// Shapes no handler produces (a forged cached answer) give a CSV, never an exception or undefined behaviour.
TEST(CsvTest, ForgedShapesStillGiveACsv) {
  EXPECT_EQ(CsvFromAnswer(json::parse(R"({"cells":[[1,2]]})"), 10, false).rows, 2u);
  EXPECT_EQ(CsvFromAnswer(json::parse(R"({"cells":{"a":1},"weekdays":7})"), 10, false).rows, 0u);
  EXPECT_EQ(CsvFromAnswer(json::parse(R"({"cells":[3,[4]],"weekdays":[1]})"), 10, false).rows, 1u);
  EXPECT_EQ(CsvFromAnswer(json("text"), 10, false).rows, 1u);
}

TEST(CsvTest, RowsWithEveryColumnInFirstSeenOrder) {
  const json rows = json::array({{{"name", "a"}, {"reqs", 1}}, {{"name", "b,c"}, {"reqs", 2}, {"extra", true}}});
  const Csv csv = CsvFromAnswer(rows, 100, false);
  EXPECT_EQ(csv.text, "name,reqs,extra\r\na,1,\r\n\"b,c\",2,true\r\n");
  EXPECT_EQ(csv.rows, 2u);
  EXPECT_FALSE(csv.truncated);
  const Csv empty = CsvFromAnswer(json::array(), 100, false);
  EXPECT_EQ(empty.text, "\r\n");
  EXPECT_EQ(empty.rows, 0u);
}

TEST(CsvTest, MaxRowsTruncatesAndBomIsOptional) {
  json rows = json::array();
  for (int i = 0; i < 10; ++i) rows.push_back({{"i", i}});
  const Csv csv = CsvFromAnswer(rows, 3, true);
  EXPECT_EQ(csv.text, "\xEF\xBB\xBFi\r\n0\r\n1\r\n2\r\n");
  EXPECT_EQ(csv.rows, 3u);
  EXPECT_TRUE(csv.truncated);
}

TEST(CsvTest, HeatmapBecomesOneRowPerWeekdayAndHour) {
  json cells = json::array();
  for (int d = 0; d < 7; ++d) {
    json hours = json::array();
    for (int h = 0; h < 24; ++h) hours.push_back(d * 100 + h);
    cells.push_back(hours);
  }
  const json answer = {
      {"metric", "reqs"}, {"weekdays", {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}}, {"cells", cells}};
  const Csv csv = CsvFromAnswer(answer, 1000, false);
  EXPECT_EQ(csv.rows, 168u);
  EXPECT_EQ(csv.text.substr(0, csv.text.find("\r\n", csv.text.find("\r\n") + 2) + 2),
            "weekday,hour,reqs\r\nMon,0,0\r\n");
  EXPECT_NE(csv.text.find("Sun,23,623\r\n"), std::string::npos);
}

}  // namespace
}  // namespace exporter::api
