// One JSON POST with cpp-httplib (built by Debian with OpenSSL, so https:// verifies the server's certificate).
#include "relay/http_post.h"

#include <httplib.h>

#include <charconv>

namespace aggregator::relay {

std::optional<Url> ParseUrl(const std::string& text) {
  Url url;
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  url.scheme = text.substr(0, scheme_end);
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  const size_t authority_start = scheme_end + 3;
  const size_t authority_end = text.find_first_of("/?", authority_start);
  const std::string authority = text.substr(authority_start, authority_end - authority_start);
  if (authority.empty() || authority.find('@') != std::string::npos || text.find('#') != std::string::npos) {
    return std::nullopt;
  }
  // "[::1]:8080" keeps its brackets out of the host; whatever follows the host must be ":port".
  std::string after_host;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    url.host = authority.substr(1, close - 1);
    after_host = authority.substr(close + 1);
  } else {
    const size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    after_host = colon == std::string::npos ? "" : authority.substr(colon);
  }
  url.port = url.scheme == "https" ? 443 : 80;
  if (!after_host.empty()) {
    if (after_host.front() != ':') return std::nullopt;
    const char* first = after_host.data() + 1;
    const char* last = after_host.data() + after_host.size();
    auto [end, error] = std::from_chars(first, last, url.port);
    if (error != std::errc() || end != last || first == last || url.port < 1 || url.port > 65535) return std::nullopt;
  }
  if (url.host.empty()) return std::nullopt;
  url.target = authority_end == std::string::npos ? "/" : text.substr(authority_end);
  if (url.target.front() == '?') url.target.insert(0, "/");
  return url;
}

HttpReply PostJson(const Url& url, const std::string& body, const PostSettings& settings,
                   const std::vector<std::pair<std::string, std::string>>& headers) {
  const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  httplib::Client client(url.scheme + "://" + host + ":" + std::to_string(url.port));
  client.set_connection_timeout(3, 0);
  client.set_write_timeout(3, 500000);
  client.set_read_timeout(3, 500000);
  client.set_keep_alive(false);
  if (url.scheme == "https" && !settings.ca_file.empty()) client.set_ca_cert_path(settings.ca_file.c_str());
  client.enable_server_certificate_verification(true);

  HttpReply reply;
  httplib::Headers extra;
  for (const auto& [name, value] : headers) extra.emplace(name, value);
  httplib::Result result = client.Post(url.target, extra, body, "application/json; charset=utf-8");
  if (!result) {
    reply.transport_error = httplib::to_string(result.error());
    return reply;
  }
  reply.transport_ok = true;
  reply.status = result->status;
  reply.body = result->body;
  return reply;
}

}  // namespace aggregator::relay
