// Where a Redis server is: the redis://[:password@]host[:port][/db] form of REDIS_URL (the exporter's API cache) and
// ACTIONS_BLOCKLIST_REDIS (the aggregator's token blocklist).
#pragma once

#include <string>

namespace observer {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  int database = 0;
};

// Parses redis://[:password@]host[:port][/db]; "" on success, else what is wrong (the password is never echoed).
std::string ParseRedisUrl(const std::string& url, RedisEndpoint* out);

}  // namespace observer
