// new-api's display unit from its options.
#include "display_unit.h"

#include <charconv>

namespace exporter {
namespace {

std::string Option(const std::map<std::string, std::string>& options, const std::string& key) {
  const auto found = options.find(key);
  return found == options.end() ? "" : found->second;
}

// A positive number, or the fallback (new-api keeps its default for values it cannot use).
double Rate(const std::string& text, double fallback) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && value > 0 ? value : fallback;
}

}  // namespace

DisplayUnit DisplayFromOptions(const std::map<std::string, std::string>& options, double quota_per_unit) {
  std::string type = Option(options, "general_setting.quota_display_type");
  if (type != "USD" && type != "CNY" && type != "CUSTOM" && type != "TOKENS") {
    type = Option(options, "DisplayInCurrencyEnabled") == "false" ? "TOKENS" : "USD";
  }
  if (type == "CNY") return {"CNY", "¥", Rate(Option(options, "USDExchangeRate"), kDefaultUsdExchangeRate)};
  if (type == "CUSTOM") {
    const std::string symbol = Option(options, "general_setting.custom_currency_symbol");
    return {"CUSTOM", symbol.empty() ? "¤" : symbol,
            Rate(Option(options, "general_setting.custom_currency_exchange_rate"), 1)};
  }
  if (type == "TOKENS") return {"TOKENS", "", quota_per_unit};
  return {};
}

}  // namespace exporter
