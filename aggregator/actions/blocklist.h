// The token blocklist block_token publishes for a proxy in front of new-api to consult: the SHA-256 hex of each
// blocked key, in a Redis set and/or a file of one hash per line. Never the key itself.
#pragma once

#include <string>
#include <string_view>

#include "observer/redis_url.h"

namespace aggregator::actions {

// SHA-256 hex (lowercase) of the key as a client sends it: "sk-" + tokens.key (new-api stores the key without the
// prefix; its TokenAuth strips "Bearer ", "sk-" and anything after a further "-" before the lookup).
std::string TokenHash(std::string_view stored_key);

struct BlocklistResult {
  bool ok = false;
  std::string message;  // where the hash went, or what failed
};

// Adds or removes one hash. Tests use their own.
class Blocklist {
 public:
  virtual ~Blocklist() = default;
  virtual bool configured() const = 0;
  virtual BlocklistResult Add(const std::string& hash) = 0;
  virtual BlocklistResult Remove(const std::string& hash) = 0;
};

struct PublishedBlocklistOptions {
  bool use_redis = false;
  observer::RedisEndpoint redis;                             // ACTIONS_BLOCKLIST_REDIS (its password is a secret)
  std::string redis_key = "newapi-observer:blocked-tokens";  // ACTIONS_BLOCKLIST_REDIS_KEY: a set
  std::string file;  // ACTIONS_BLOCKLIST_FILE: one hash per line, rewritten atomically (temp file + rename)
  int timeout_ms = 2000;
};

// The Redis set (SADD / SREM, one connection per change) and/or the file. A change is ok when every configured
// place took it; a hash already present (or already absent) is no error.
class PublishedBlocklist : public Blocklist {
 public:
  explicit PublishedBlocklist(PublishedBlocklistOptions options) : options_(std::move(options)) {}
  bool configured() const override { return options_.use_redis || !options_.file.empty(); }
  BlocklistResult Add(const std::string& hash) override { return Change(hash, true); }
  BlocklistResult Remove(const std::string& hash) override { return Change(hash, false); }

 private:
  BlocklistResult Change(const std::string& hash, bool add);
  std::string ChangeRedis(const std::string& hash, bool add);  // "" or the error
  std::string ChangeFile(const std::string& hash, bool add);   // "" or the error

  PublishedBlocklistOptions options_;
};

}  // namespace aggregator::actions
