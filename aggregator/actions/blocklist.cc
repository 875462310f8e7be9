// The token blocklist: SHA-256 of a key, the Redis set and the atomically rewritten file.
#include "actions/blocklist.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <vector>

namespace aggregator::actions {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

// Writes text to path through a temporary file in the same directory and rename(), so a reader sees the old list or
// the new one, never half of one.
std::string WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create " + temp + ": " + ErrnoText();
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string error = "cannot write " + temp + ": " + ErrnoText();
      close(fd);
      unlink(temp.c_str());
      return error;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(temp.c_str());
    return "cannot write " + temp + ": " + ErrnoText();
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const std::string error = "cannot rename " + temp + " to " + path + ": " + ErrnoText();
    unlink(temp.c_str());
    return error;
  }
  return "";
}

}  // namespace

std::string TokenHash(std::string_view stored_key) {
  const std::string key = "sk-" + std::string(stored_key);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(key.data(), key.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

BlocklistResult PublishedBlocklist::Change(const std::string& hash, bool add) {
  BlocklistResult result{true, ""};
  auto note = [&](const std::string& place, const std::string& error) {
    if (!error.empty()) result.ok = false;
    result.message += (result.message.empty() ? "" : "; ") + (error.empty() ? place : place + ": " + error);
  };
  if (!configured()) {
    result.ok = false;
    result.message = "no blocklist: set ACTIONS_BLOCKLIST_REDIS and/or ACTIONS_BLOCKLIST_FILE";
    return result;
  }
  if (options_.use_redis) note("Redis set " + options_.redis_key, ChangeRedis(hash, add));
  if (!options_.file.empty()) note("file " + options_.file, ChangeFile(hash, add));
  return result;
}

std::string PublishedBlocklist::ChangeRedis(const std::string& hash, bool add) {
  const timeval timeout{options_.timeout_ms / 1000, static_cast<suseconds_t>((options_.timeout_ms % 1000) * 1000)};
  std::unique_ptr<redisContext, void (*)(redisContext*)> context(
      redisConnectWithTimeout(options_.redis.host.c_str(), options_.redis.port, timeout), redisFree);
  if (!context || context->err) {
    return "cannot connect to " + options_.redis.host + ":" + std::to_string(options_.redis.port) +
           (context ? std::string(" (") + context->errstr + ")" : "");
  }
  redisSetTimeout(context.get(), timeout);
  // run: one command; "" or Redis' error (never the password: AUTH's error text does not echo it).
  auto run = [&](const std::vector<std::string>& args) -> std::string {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    std::unique_ptr<redisReply, void (*)(void*)> reply(
        static_cast<redisReply*>(
            redisCommandArgv(context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())),
        freeReplyObject);
    if (!reply) return std::string("no answer (") + context->errstr + ")";
    if (reply->type == REDIS_REPLY_ERROR) return args[0] + ": " + std::string(reply->str, reply->len);
    return "";
  };
  if (!options_.redis.password.empty()) {
    if (std::string error = run({"AUTH", options_.redis.password}); !error.empty()) return "AUTH refused";
  }
  if (options_.redis.database != 0) {
    if (std::string error = run({"SELECT", std::to_string(options_.redis.database)}); !error.empty()) return error;
  }
  return run({add ? "SADD" : "SREM", options_.redis_key, hash});
}

std::string PublishedBlocklist::ChangeFile(const std::string& hash, bool add) {
  std::vector<std::string> lines;
  std::set<std::string> seen;
  {
    std::ifstream in(options_.file);
    if (!in && access(options_.file.c_str(), F_OK) == 0) return "cannot read " + options_.file;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && seen.insert(line).second) lines.push_back(line);
    }
  }
  // Already there (or already gone): the file stays as it is.
  if (seen.count(hash) == (add ? 1u : 0u)) return "";
  if (add) {
    lines.push_back(hash);
  } else {
    lines.erase(std::find(lines.begin(), lines.end(), hash));
  }
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return WriteAtomically(options_.file, text);
}

}  // namespace aggregator::actions
