// The relay's only network I/O: one JSON POST over HTTP or HTTPS with bounded timeouts, and URL splitting.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aggregator::relay {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  int port = 0;
  std::string target;  // path and query, at least "/"
};

// Splits "http(s)://host[:port][/path][?query]"; nothing for any other shape (userinfo and fragments included).
std::optional<Url> ParseUrl(const std::string& url);

struct HttpReply {
  bool transport_ok = false;    // false: no HTTP answer (refused, timed out, TLS failure)
  std::string transport_error;  // e.g. "Connection", "Read" (httplib's names; never the URL)
  int status = 0;
  std::string body;
};

struct PostSettings {
  std::string ca_file;  // PEM bundle to verify HTTPS servers with; empty = the system's CA store
};

// POSTs body as application/json. Connect timeout 3 s, write and read 3.5 s each: an answer comes within about
// 10 s. Alertmanager abandons a notification that outlives its context deadline and sends it again later, so a
// hanging platform must turn into a quick 5xx, not a duplicate.
// headers: extra request headers (new-api's admin API wants Authorization and New-Api-User).
HttpReply PostJson(const Url& url, const std::string& body, const PostSettings& settings,
                   const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace aggregator::relay
