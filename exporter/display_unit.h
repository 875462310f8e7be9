// The unit new-api shows money in (its "quota display type": USD, CNY, a custom currency or raw tokens), read from the
// options observer_options shows; the web app and the display metrics convert USD spend with it.
#pragma once

#include <map>
#include <string>

namespace exporter {

// The option keys the display comes from (new-api's general_setting, its exchange rate and the older on/off switch);
// schema/grants.sql's observer_options shows these and QuotaPerUnit, nothing else.
inline constexpr const char* kDisplayOptionKeys[] = {
    "general_setting.quota_display_type", "general_setting.custom_currency_symbol",
    "general_setting.custom_currency_exchange_rate", "USDExchangeRate", "DisplayInCurrencyEnabled"};
inline constexpr double kDefaultUsdExchangeRate = 7.3;  // new-api's default USDExchangeRate (1 USD in CNY)

struct DisplayUnit {
  std::string currency = "USD";  // USD, CNY, CUSTOM or TOKENS (new-api's names)
  std::string symbol = "$";      // "" for TOKENS
  // Display units per USD: 1 for USD, the exchange rate for CNY and CUSTOM, QuotaPerUnit for TOKENS (quota units),
  // so spend_usd × per_usd is always the number new-api shows.
  double per_usd = 1;
};

// As new-api decides it: general_setting.quota_display_type when set and known; otherwise DisplayInCurrencyEnabled
// "false" means tokens; otherwise USD. Missing or non-positive rates take new-api's defaults.
DisplayUnit DisplayFromOptions(const std::map<std::string, std::string>& options, double quota_per_unit);

}  // namespace exporter
