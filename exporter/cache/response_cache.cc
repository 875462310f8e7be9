// Redis GET/SET under a per-request time budget, a small connection pool, a back-off after errors, and per-key
// single flight.
#include "cache/response_cache.h"

#include <sys/time.h>

#include <string_view>
#include <thread>

#include "observer/bounded_json.h"
#include "observer/log.h"
#include "observer/metrics.h"

namespace exporter {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

timeval ToTimeval(std::chrono::milliseconds ms) {
  const auto us = std::max<int64_t>(1000, std::chrono::duration_cast<std::chrono::microseconds>(ms).count());
  return {static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

}  // namespace

ResponseCache::ResponseCache(Options options, prometheus::Registry& registry)
    : options_(std::move(options)),
      lookups_(observer::metrics::RegisterCounters(
          registry, "exporter", "cache_lookups_total",
          "JSON API cache lookups by result: hit, miss (computed and stored) or bypass (Redis skipped, down or slower "
          "than the budget).")),
      redis_errors_(observer::metrics::RegisterCounter(
          registry, "exporter", "cache_redis_errors_total",
          "Redis commands that failed or ran out of time (each pauses Redis use briefly).")),
      rejected_(observer::metrics::RegisterCounter(
          registry, "exporter", "cache_rejected_total",
          "Cached values that could not be our answers (not JSON, nested too deep or too large): treated as misses, "
          "recomputed and overwritten. Anything above 0 means someone else writes our keys.")),
      redis_up_(observer::metrics::RegisterGauge(registry, "exporter", "cache_redis_up",
                                                 "1 when the last Redis command succeeded.")) {
  for (const char* result : {"hit", "miss", "bypass"}) lookups_.Add({{"result", result}});
  for (size_t i = 0; i < options_.connections; ++i) connections_.push_back(std::make_unique<Connection>());
}

ResponseCache::~ResponseCache() {
  for (auto& c : connections_) {
    if (c->context != nullptr) redisFree(c->context);
  }
}

void ResponseCache::MarkDown() {
  redis_errors_.Increment();
  redis_up_.Set(0);
  skip_until_ns_ = NowNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(options_.retry_after).count();
}

redisContext* ResponseCache::Connect(std::chrono::milliseconds timeout) {
  redisContext* c = redisConnectWithTimeout(options_.endpoint.host.c_str(), options_.endpoint.port, ToTimeval(timeout));
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, ToTimeval(timeout));
  auto ok = [c](redisReply* reply) {
    const bool good = reply != nullptr && reply->type != REDIS_REPLY_ERROR;
    if (reply != nullptr) freeReplyObject(reply);
    return good;
  };
  if (!options_.endpoint.password.empty() &&
      !ok(static_cast<redisReply*>(
          redisCommand(c, "AUTH %b", options_.endpoint.password.data(), options_.endpoint.password.size())))) {
    observer::log::Error("Redis refused the password in REDIS_URL; the API answers without its cache",
                         {{"host", options_.endpoint.host}, {"port", options_.endpoint.port}});
    redisFree(c);
    return nullptr;
  }
  if (options_.endpoint.database != 0 &&
      !ok(static_cast<redisReply*>(redisCommand(c, "SELECT %d", options_.endpoint.database)))) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

redisReply* ResponseCache::Command(std::chrono::nanoseconds* budget, const std::vector<std::string>& args) {
  if (NowNs() < skip_until_ns_.load() || budget->count() <= 0) return nullptr;
  const auto started = Clock::now();
  const auto deadline = started + *budget;
  struct Charge {  // whatever happens below, the time spent comes off the budget
    std::chrono::nanoseconds* budget;
    Clock::time_point started;
    ~Charge() { *budget -= Clock::now() - started; }
  } charge{budget, started};
  // A free connection, waiting for one only within the budget.
  Connection* conn = nullptr;
  std::unique_lock<std::mutex> lock;
  while (conn == nullptr && Clock::now() < deadline) {
    for (auto& c : connections_) {
      std::unique_lock<std::mutex> attempt(c->mutex, std::try_to_lock);
      if (attempt.owns_lock()) {
        conn = c.get();
        lock = std::move(attempt);
        break;
      }
    }
    if (conn == nullptr) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (conn == nullptr || left.count() <= 0) return nullptr;
  if (conn->context == nullptr) conn->context = Connect(left);
  if (conn->context == nullptr) {
    MarkDown();
    return nullptr;
  }
  redisSetTimeout(conn->context, ToTimeval(left));
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(conn->context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
    if (reply != nullptr && std::string_view(reply->str, reply->len).rfind("NOAUTH", 0) == 0) {
      // Logged at most once per pause (retry_after): compose's Redis has requirepass.
      observer::log::Error(
          "Redis wants a password: put it in REDIS_URL (redis://:PASSWORD@host:6379/0); the API "
          "answers without its cache",
          {{"host", options_.endpoint.host}, {"port", options_.endpoint.port}});
    }
    // A timed-out or broken connection cannot be reused: its reply may still arrive.
    if (reply != nullptr) freeReplyObject(reply);
    redisFree(conn->context);
    conn->context = nullptr;
    MarkDown();
    return nullptr;
  }
  redis_up_.Set(1);
  return reply;
}

bool ResponseCache::Trusted(const std::string& body) const {
  if (body.empty() || body.size() > options_.max_body_bytes) return false;
  std::string error;
  return observer::ParseJsonBounded(body, options_.max_depth, &error).has_value();
}

ResponseCache::Answer ResponseCache::Get(const std::string& key, std::chrono::seconds ttl,
                                         const std::function<Answer()>& compute) {
  std::chrono::nanoseconds budget = options_.budget;
  const std::string redis_key = options_.key_prefix + key;
  // GETRANGE reads at most one byte past the bound, so a huge forged value is never read whole (a missing key reads
  // as "", which no answer of ours is).
  if (redisReply* reply = Command(&budget, {"GETRANGE", redis_key, "0", std::to_string(options_.max_body_bytes)})) {
    Answer answer{200, reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : std::string(), true};
    freeReplyObject(reply);
    if (Trusted(answer.body)) {
      lookups_.Add({{"result", "hit"}}).Increment();
      return answer;
    }
    if (!answer.body.empty()) {
      rejected_.Increment();
      observer::log::Warn("cached value rejected: not one of our answers; recomputing", {{"key", key}});
    }
  }
  return Compute(key, ttl, compute, &budget);
}

ResponseCache::Answer ResponseCache::Compute(const std::string& key, std::chrono::seconds ttl,
                                             const std::function<Answer()>& compute, std::chrono::nanoseconds* budget) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard<std::mutex> lock(flights_mutex_);
    auto& slot = flights_[key];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (!leader) {  // the same answer, computed by the first caller
    std::unique_lock<std::mutex> lock(flight->mutex);
    flight->done_signal.wait(lock, [&flight] { return flight->done; });
    return flight->answer;
  }
  Answer answer;
  try {
    answer = compute();
  } catch (...) {
    answer = {500, R"({"error":"internal error","code":500})", false};
  }
  answer.from_cache = false;
  bool stored = false;
  if (answer.status == 200 && ttl.count() > 0 && answer.body.size() <= options_.max_body_bytes) {
    if (redisReply* reply =
            Command(budget, {"SET", options_.key_prefix + key, answer.body, "EX", std::to_string(ttl.count())})) {
      freeReplyObject(reply);
      stored = true;
    }
  }
  lookups_.Add({{"result", stored ? "miss" : "bypass"}}).Increment();
  {
    std::lock_guard<std::mutex> lock(flights_mutex_);
    flights_.erase(key);
  }
  {
    std::lock_guard<std::mutex> lock(flight->mutex);
    flight->answer = answer;
    flight->done = true;
  }
  flight->done_signal.notify_all();
  return answer;
}

}  // namespace exporter
