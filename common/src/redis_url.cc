// Parsing redis:// URLs.
#include "observer/redis_url.h"

#include <charconv>

namespace observer {
namespace {

bool ParsePort(const std::string& text, int* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out > 0 && *out < 65536;
}

}  // namespace

std::string ParseRedisUrl(const std::string& url, RedisEndpoint* out) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) return "expected redis://[:password@]host[:port][/db]";
  std::string rest = url.substr(scheme.size());
  RedisEndpoint e;
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string user_info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = user_info.find(':');
    e.password = colon == std::string::npos ? user_info : user_info.substr(colon + 1);
  }
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), e.database);
      if (ec != std::errc() || end != db.data() + db.size() || e.database < 0)
        return "bad database number '" + db + "'";
    }
  }
  if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    if (!ParsePort(rest.substr(colon + 1), &e.port)) return "bad port '" + rest.substr(colon + 1) + "'";
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return "missing host";
  e.host = rest;
  *out = e;
  return "";
}

}  // namespace observer
