// Who may call /api/*: a bearer token (API_TOKEN, compared in constant time) and the origins allowed cross-origin
// (CORS_ORIGINS; none by default: the UI is served from the same origin).
#pragma once

#include <httplib.h>

#include <set>
#include <string>
#include <string_view>

#include "observer/bearer_token.h"

namespace exporter::api {

struct AccessOptions {
  std::string token;                // "" = no token required (only with API_AUTH=none)
  std::set<std::string> cors_origins;
};

// True when the Authorization header carries the token (or none is configured: API_AUTH=none).
bool Authorized(const std::string& authorization_header, const AccessOptions& access);
// Adds the CORS headers when the request's Origin is allowed; nothing otherwise (the browser then blocks it).
void ApplyCors(const httplib::Request& req, httplib::Response& res, const AccessOptions& access);

}  // namespace exporter::api
