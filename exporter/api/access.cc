// Bearer-token check and CORS headers.
#include "api/access.h"

#include <algorithm>

namespace exporter::api {

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

bool Authorized(const std::string& header, const AccessOptions& access) {
  if (access.token.empty()) return true;
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size() || header.compare(0, kScheme.size(), kScheme) != 0) return false;
  return ConstantTimeEquals(std::string_view(header).substr(kScheme.size()), access.token);
}

void ApplyCors(const httplib::Request& req, httplib::Response& res, const AccessOptions& access) {
  const std::string origin = req.get_header_value("Origin");
  if (origin.empty() || access.cors_origins.count(origin) == 0) return;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Allow-Methods", "GET, OPTIONS");
  res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
  res.set_header("Access-Control-Expose-Headers", "X-Request-Id, X-Query-Source, Retry-After");
  res.set_header("Access-Control-Max-Age", "600");
}

}  // namespace exporter::api
