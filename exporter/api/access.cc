// Bearer-token check and CORS headers.
#include "api/access.h"

namespace exporter::api {

bool Authorized(const std::string& header, const AccessOptions& access) {
  if (access.token.empty()) return true;
  return observer::BearerTokenMatches(header, access.token);
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
