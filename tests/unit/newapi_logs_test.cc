// Tests of observer/newapi/logs.h: rows from result rows (NULLs) and the `other` JSON's frt and cache_tokens.
#include <gtest/gtest.h>

#include "observer/newapi/logs.h"

namespace observer::newapi {
namespace {

TEST(ParseOtherTest, ReadsFrtAndCacheTokensAndToleratesJunk) {
  LogRow row;
  observer::newapi::ParseOther(R"({"frt":734,"cache_tokens":128,"admin_info":{"frt":1}})", &row);
  EXPECT_EQ(row.frt_ms, 734.0);
  EXPECT_EQ(row.cache_tokens, 128);
  EXPECT_TRUE(row.other_valid);

  observer::newapi::ParseOther(R"({"frt":"1200.5","cache_tokens":"7"})", &row);
  EXPECT_EQ(row.frt_ms, 1200.5);
  EXPECT_EQ(row.cache_tokens, 7);

  observer::newapi::ParseOther(R"({"frt":-1000,"model_price":-1})", &row);
  EXPECT_FALSE(row.frt_ms.has_value()) << "non-positive frt means not recorded";

  observer::newapi::ParseOther(R"( { "a" : "x\"}" , "frt" : 12.5e2 , "n":[1,{"frt":9}],"b":null } )", &row);
  EXPECT_TRUE(row.other_valid);
  EXPECT_EQ(row.frt_ms, 1250.0) << "escaped quotes, nesting and spaces";

  for (const char* junk : {"{not json", "[1,2]", "null", "\"text\"", "{\"frt\":", "{\"a\":1} trailing", "{\"a\":\"x\\",
                           "{\"a\":[1,2}", "{\"frt\":1,}"}) {
    observer::newapi::ParseOther(junk, &row);
    EXPECT_FALSE(row.other_valid) << junk;
    EXPECT_FALSE(row.frt_ms.has_value()) << junk;
    EXPECT_EQ(row.cache_tokens, 0) << junk;
  }
  observer::newapi::ParseOther("", &row);
  EXPECT_TRUE(row.other_valid);
}

TEST(LogRowTest, NullColumnsBecomeZeroAndEmpty) {
  std::optional<std::string_view> values[17] = {"42", std::nullopt, std::nullopt, "2"};
  LogRow row = observer::newapi::LogRowFrom(observer::DbRowView(values, 17));
  EXPECT_EQ(row.id, 42);
  EXPECT_EQ(row.type, 2);
  EXPECT_EQ(row.group, "");
  EXPECT_FALSE(row.is_stream);
}

}  // namespace
}  // namespace observer::newapi
