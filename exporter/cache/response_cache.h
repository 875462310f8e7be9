// The JSON API's response cache in Redis: answers by key (path + normalized parameters) with a TTL, one computation
// per key at a time, and a hard bound on how long any request waits for Redis, so a dead or frozen Redis only costs
// the cache, never the answer. Redis is not trusted: a value is served only when it could be one of our answers
// (JSON within the depth and size bounds); anything else is a miss, recomputed and overwritten.
#pragma once

#include <hiredis/hiredis.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "observer/redis_url.h"

namespace exporter {

using observer::ParseRedisUrl;
using observer::RedisEndpoint;

class ResponseCache {
 public:
  struct Options {
    RedisEndpoint endpoint;
    // Every key we write starts with it; we never scan or flush. v2: parameter values are percent-encoded.
    std::string key_prefix = "newapi-observer:v2:";
    std::chrono::milliseconds budget{100};        // the most a request waits on Redis, all commands together
    std::chrono::milliseconds retry_after{1000};  // after a Redis error, requests skip Redis this long
    size_t connections = 4;
    size_t max_body_bytes = 4 << 20;  // larger answers are neither stored nor read back (ours are well under 1 MB)
    int max_depth = 32;               // JSON nesting a cached value may have (ours: a few levels)
  };
  struct Answer {
    int status = 200;
    std::string body;
    bool from_cache = false;
  };

  ResponseCache(Options options, prometheus::Registry& registry);
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // The cached answer for key, else compute()'s (computed once for concurrent callers of the same key, stored for
  // ttl when its status is 200).
  Answer Get(const std::string& key, std::chrono::seconds ttl, const std::function<Answer()>& compute);

 private:
  struct Connection {
    std::mutex mutex;
    redisContext* context = nullptr;
  };
  struct Flight {
    std::mutex mutex;
    std::condition_variable done_signal;
    bool done = false;
    Answer answer;
  };
  // Runs one command on a free connection within what is left of the request's Redis budget (and takes the time
  // it used from it); nullptr when Redis is skipped, down or too slow.
  redisReply* Command(std::chrono::nanoseconds* budget, const std::vector<std::string>& args);
  redisContext* Connect(std::chrono::milliseconds timeout);
  // Whether a value read from Redis could be one of our answers: at most max_body_bytes of JSON nesting at most
  // max_depth (observer::ParseJsonBounded: the depth is checked before a tree is built).
  bool Trusted(const std::string& body) const;
  void MarkDown();
  Answer Compute(const std::string& key, std::chrono::seconds ttl, const std::function<Answer()>& compute,
                 std::chrono::nanoseconds* budget);

  const Options options_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::atomic<int64_t> skip_until_ns_{0};
  std::mutex flights_mutex_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;

  prometheus::Family<prometheus::Counter>& lookups_;
  prometheus::Counter& redis_errors_;
  prometheus::Counter& rejected_;
  prometheus::Gauge& redis_up_;
};

}  // namespace exporter
