// The display unit as new-api decides it from its options (type, custom symbol and rate, exchange rate, old switch).
#include "display_unit.h"

#include <gtest/gtest.h>

namespace exporter {
namespace {

TEST(DisplayUnitTest, FollowsNewApisOptions) {
  const DisplayUnit usd = DisplayFromOptions({}, 500000);
  EXPECT_EQ(usd.currency, "USD");
  EXPECT_EQ(usd.symbol, "$");
  EXPECT_EQ(usd.per_usd, 1);

  const DisplayUnit cny =
      DisplayFromOptions({{"general_setting.quota_display_type", "CNY"}, {"USDExchangeRate", "7.1"}}, 500000);
  EXPECT_EQ(cny.currency, "CNY");
  EXPECT_EQ(cny.symbol, "¥");
  EXPECT_DOUBLE_EQ(cny.per_usd, 7.1);
  // new-api's default rate when the option is missing or unusable.
  EXPECT_DOUBLE_EQ(DisplayFromOptions({{"general_setting.quota_display_type", "CNY"}}, 500000).per_usd, 7.3);
  EXPECT_DOUBLE_EQ(
      DisplayFromOptions({{"general_setting.quota_display_type", "CNY"}, {"USDExchangeRate", "-2"}}, 500000).per_usd,
      7.3);

  const DisplayUnit custom = DisplayFromOptions({{"general_setting.quota_display_type", "CUSTOM"},
                                                 {"general_setting.custom_currency_symbol", "€"},
                                                 {"general_setting.custom_currency_exchange_rate", "0.92"}},
                                                500000);
  EXPECT_EQ(custom.currency, "CUSTOM");
  EXPECT_EQ(custom.symbol, "€");
  EXPECT_DOUBLE_EQ(custom.per_usd, 0.92);
  EXPECT_EQ(DisplayFromOptions({{"general_setting.quota_display_type", "CUSTOM"}}, 500000).symbol, "¤");

  // Tokens: quota units, so spend in USD × per_usd is the raw quota new-api shows.
  const DisplayUnit tokens = DisplayFromOptions({{"general_setting.quota_display_type", "TOKENS"}}, 250000);
  EXPECT_EQ(tokens.currency, "TOKENS");
  EXPECT_EQ(tokens.symbol, "");
  EXPECT_EQ(tokens.per_usd, 250000);
  // The older switch counts only when the newer type is absent, as in new-api.
  EXPECT_EQ(DisplayFromOptions({{"DisplayInCurrencyEnabled", "false"}}, 500000).currency, "TOKENS");
  EXPECT_EQ(DisplayFromOptions({{"DisplayInCurrencyEnabled", "true"}}, 500000).currency, "USD");
  EXPECT_EQ(
      DisplayFromOptions({{"DisplayInCurrencyEnabled", "false"}, {"general_setting.quota_display_type", "CNY"}}, 500000)
          .currency,
      "CNY");
  EXPECT_EQ(DisplayFromOptions({{"general_setting.quota_display_type", "GBP"}}, 500000).currency, "USD");
}

}  // namespace
}  // namespace exporter
