// Constant-time bearer-token comparison shared by the exporter's API and the aggregator's relay.
#include "observer/bearer_token.h"

#include <algorithm>

namespace observer {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

bool BearerTokenMatches(std::string_view header, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme) return false;
  return ConstantTimeEquals(header.substr(kScheme.size()), token);
}

}  // namespace observer
