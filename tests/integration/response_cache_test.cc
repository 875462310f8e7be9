// The API's Redis response cache against a real redis-server it starts on a private port: hits after the first
// computation, one computation per key for concurrent misses, errors never cached, and with Redis frozen (SIGSTOP)
// or killed every request is still answered with at most the 100 ms budget spent on Redis, caching coming back by
// itself once Redis does; forged values (100,000 deep, broken, oversized) are misses, recomputed and overwritten.
// Finally Redis' command statistics show we never scanned or flushed anything.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cache/response_cache.h"

extern char** environ;

namespace exporter {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int Port() {
  const char* port = std::getenv("CACHE_TEST_REDIS_PORT");
  return port != nullptr ? std::atoi(port) : 23396;
}

class Redis {
 public:
  // password: started with --requirepass, as compose's Redis is.
  void Start(const std::string& password = "") {
    const std::string port = std::to_string(Port());
    std::vector<std::string> args = {"redis-server", "--port", port,    "--bind", "127.0.0.1", "--save",   "",
                                     "--appendonly", "no",     "--dir", "/tmp",   "--logfile", "/dev/null"};
    if (!password.empty()) args.insert(args.end(), {"--requirepass", password});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ), 0);
    for (int i = 0; i < 100 && !Ping(password); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(Ping(password)) << "redis-server did not start on port " << port;
  }
  void Signal(int sig) { kill(pid_, sig); }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  ~Redis() { Kill(); }
  static bool Ping(const std::string& password = "") {
    const std::string auth = password.empty() ? "" : " --no-auth-warning -a " + password;
    return std::system(
               ("redis-cli -p " + std::to_string(Port()) + auth + " ping 2>/dev/null | grep -q PONG").c_str()) == 0;
  }
  static std::string Cli(const std::string& command) {
    std::string out;
    FILE* p = popen(("redis-cli -p " + std::to_string(Port()) + " " + command).c_str(), "r");
    char buf[4096];
    while (p != nullptr && fgets(buf, sizeof buf, p) != nullptr) out += buf;
    if (p != nullptr) pclose(p);
    return out;
  }

 private:
  pid_t pid_ = -1;
};

ResponseCache::Options TestOptions() {
  ResponseCache::Options o;
  o.endpoint.port = Port();
  o.retry_after = 300ms;
  return o;
}

ResponseCache::Answer Body(const std::string& body) { return {200, body, false}; }

TEST(RedisUrlTest, ParsesEveryPartAndNamesTheProblem) {
  RedisEndpoint e;
  EXPECT_EQ(ParseRedisUrl("redis://:s3cret@cache.internal:6380/2", &e), "");
  EXPECT_EQ(e.host, "cache.internal");
  EXPECT_EQ(e.port, 6380);
  EXPECT_EQ(e.password, "s3cret");
  EXPECT_EQ(e.database, 2);
  EXPECT_EQ(ParseRedisUrl("redis://localhost", &e), "");
  EXPECT_EQ(e.port, 6379);
  EXPECT_EQ(e.database, 0);
  EXPECT_NE(ParseRedisUrl("http://localhost", &e), "");
  EXPECT_NE(ParseRedisUrl("redis://:pw@host:99999", &e).find("port"), std::string::npos);
  EXPECT_EQ(ParseRedisUrl("redis://:pw@host:99999", &e).find("pw"), std::string::npos) << "never echo the password";
  EXPECT_NE(ParseRedisUrl("redis://host/x", &e).find("database"), std::string::npos);
}

class ResponseCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { redis_.Start(); }
  Redis redis_;
  prometheus::Registry registry_;
};

// Compose's Redis has requirepass (REDIS_PASSWORD): the password in REDIS_URL gets hits; without it (or a wrong one)
// every answer is still computed, nothing is cached, and the log says what to fix.
TEST(RedisPasswordTest, ThePasswordInRedisUrlIsSentAndItsAbsenceIsLoggedClearly) {
  Redis redis;
  redis.Start("redis-pass-0123456789");
  prometheus::Registry registry;
  int computed = 0;
  auto compute = [&] { return ++computed, Body(R"({"n":1})"); };
  ResponseCache::Options with = TestOptions();
  with.endpoint.password = "redis-pass-0123456789";
  ResponseCache authed(with, registry);
  EXPECT_FALSE(authed.Get("/api/a", 60s, compute).from_cache);
  EXPECT_TRUE(authed.Get("/api/a", 60s, compute).from_cache) << "AUTH with the URL's password";
  EXPECT_EQ(computed, 1);

  for (const std::string password : {"", "wrong-password"}) {
    prometheus::Registry other;
    ResponseCache::Options options = TestOptions();
    options.endpoint.password = password;
    ResponseCache cache(options, other);
    testing::internal::CaptureStdout();  // log lines go to stdout
    const auto first = cache.Get("/api/b", 60s, compute);
    std::this_thread::sleep_for(options.retry_after + 50ms);
    const auto second = cache.Get("/api/b", 60s, compute);
    const std::string log = testing::internal::GetCapturedStdout();
    EXPECT_FALSE(first.from_cache || second.from_cache) << "password '" << password << "'";
    EXPECT_EQ(second.body, R"({"n":1})") << "still answered";
    EXPECT_NE(log.find(password.empty() ? "Redis wants a password: put it in REDIS_URL" : "Redis refused the password"),
              std::string::npos)
        << log;
    EXPECT_EQ(log.find("redis-pass-0123456789"), std::string::npos);
  }
}

TEST_F(ResponseCacheTest, HitsAfterTheFirstComputationUnderOurPrefix) {
  ResponseCache cache(TestOptions(), registry_);
  int computed = 0;
  auto compute = [&] { return ++computed, Body(R"({"n":1})"); };
  EXPECT_FALSE(cache.Get("/api/stats/top?by=user", 60s, compute).from_cache);
  const auto second = cache.Get("/api/stats/top?by=user", 60s, compute);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.body, R"({"n":1})");
  EXPECT_EQ(computed, 1);
  EXPECT_EQ(Redis::Cli("GET 'newapi-observer:v2:/api/stats/top?by=user'"), "{\"n\":1}\n");
  const int ttl = std::atoi(Redis::Cli("TTL 'newapi-observer:v2:/api/stats/top?by=user'").c_str());
  EXPECT_GT(ttl, 50);
  EXPECT_LE(ttl, 60);
}

TEST_F(ResponseCacheTest, ErrorsAreNeverCached) {
  ResponseCache cache(TestOptions(), registry_);
  int computed = 0;
  auto failing = [&] { return ++computed, ResponseCache::Answer{504, R"({"error":"timeout","code":504})", false}; };
  EXPECT_EQ(cache.Get("k", 60s, failing).status, 504);
  EXPECT_EQ(cache.Get("k", 60s, failing).status, 504);
  EXPECT_EQ(computed, 2);
  auto throwing = []() -> ResponseCache::Answer { throw std::runtime_error("boom"); };
  EXPECT_EQ(cache.Get("k2", 60s, throwing).status, 500);
}

TEST_F(ResponseCacheTest, ConcurrentMissesOfOneKeyComputeOnce) {
  ResponseCache cache(TestOptions(), registry_);
  std::atomic<int> computed{0};
  std::vector<std::thread> threads;
  std::vector<std::string> bodies(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      bodies[static_cast<size_t>(i)] = cache
                                           .Get("slow", 60s,
                                                [&] {
                                                  ++computed;
                                                  std::this_thread::sleep_for(300ms);  // a slow database query
                                                  return Body(R"("answer")");
                                                })
                                           .body;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(computed.load(), 1);
  for (const auto& b : bodies) EXPECT_EQ(b, R"("answer")");
}

// Writes a value under one of our keys the way anyone who reaches Redis can (Redis has no password in compose).
void Forge(const std::string& key, const std::string& value) {
  redisContext* c = redisConnect("127.0.0.1", Port());
  ASSERT_TRUE(c != nullptr && c->err == 0);
  const std::string full = ResponseCache::Options().key_prefix + key;
  auto* reply =
      static_cast<redisReply*>(redisCommand(c, "SET %b %b", full.data(), full.size(), value.data(), value.size()));
  ASSERT_TRUE(reply != nullptr && reply->type == REDIS_REPLY_STATUS);
  freeReplyObject(reply);
  redisFree(c);
}

// Redis is not trusted: a value under our key is served only when it could be one of our answers (JSON, nesting at
// most max_depth, at most max_body_bytes); anything else is a miss, recomputed and overwritten, and nothing crashes.
TEST_F(ResponseCacheTest, ForgedValuesAreMissesAndGetOverwritten) {
  ResponseCache::Options options = TestOptions();
  options.max_body_bytes = 1000;
  ResponseCache cache(options, registry_);
  int computed = 0;
  auto compute = [&] { return ++computed, Body(R"({"n":1})"); };
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string nested_ok = std::string(static_cast<size_t>(options.max_depth), '[') +
                                std::string(static_cast<size_t>(options.max_depth), ']');
  const std::string too_big = "[" + std::string(1000, ' ') + "]";
  for (const std::string& forged : {deep, std::string("[1,"), std::string("not json"), too_big, std::string()}) {
    SCOPED_TRACE(forged.substr(0, 20));
    Forge("poisoned", forged);
    const int before = computed;
    const auto answer = cache.Get("poisoned", 60s, compute);
    EXPECT_FALSE(answer.from_cache);
    EXPECT_EQ(answer.body, R"({"n":1})");
    EXPECT_EQ(computed, before + 1);
    EXPECT_EQ(Redis::Cli("GET 'newapi-observer:v2:poisoned'"), "{\"n\":1}\n") << "the forged value was not replaced";
    EXPECT_TRUE(cache.Get("poisoned", 60s, compute).from_cache);
  }
  // Each forged value is counted (the empty one reads like a missing key).
  double rejected = -1;
  for (const auto& family : registry_.Collect()) {
    if (family.name == "newapi_exporter_cache_rejected_total") rejected = family.metric.at(0).counter.value;
  }
  EXPECT_EQ(rejected, 4);
  // Our own shapes, up to the bounds, are hits.
  Forge("deep-enough", nested_ok);
  EXPECT_TRUE(cache.Get("deep-enough", 60s, compute).from_cache);
  // An answer too big to be read back is not stored.
  EXPECT_FALSE(cache.Get("big", 60s, [&] { return Body(too_big); }).from_cache);
  EXPECT_EQ(Redis::Cli("EXISTS 'newapi-observer:v2:big'"), "0\n");
}

// The deepest nesting of arrays and objects in JSON text, by a scan of brackets outside strings (an oracle written
// apart from the cache's own check).
size_t ScanDepth(const std::string& text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// 400 random forged values (bytes, bracket runs around the depth bound, cut and spliced answers, long strings): each
// is served exactly when it is JSON within the bounds, and none crashes or hangs the cache. Deterministic (seed 15).
TEST_F(ResponseCacheTest, RandomForgedValuesAreServedOnlyWhenTheyCouldBeOurs) {
  ResponseCache::Options options = TestOptions();
  options.max_body_bytes = 20000;
  ResponseCache cache(options, registry_);
  std::mt19937 random(15);
  auto pick = [&](size_t n) { return static_cast<size_t>(random() % n); };
  const std::string answer = R"([{"user_id":7,"username":"a\"]b","tokens":12,"other":{"x":[1,2,{"y":null}]}}])";
  const std::string pieces[] = {"[",     "]",      "{",    "}", "\"k\":", "1",    ",",
                                "\"s\"", "\"\\\"", "null", " ", "\xff",   "[[[[", "]]]]"};
  int served = 0;
  for (int i = 0; i < 400; ++i) {
    std::string forged;
    switch (i % 4) {
      case 0:  // random bytes
        for (size_t n = pick(200); n > 0; --n) forged += static_cast<char>(pick(256));
        break;
      case 1: {  // nesting around the bound, sometimes unbalanced
        const size_t depth = static_cast<size_t>(options.max_depth) - 2 + pick(5);
        forged = std::string(depth, '[') + std::string(depth - pick(2), ']');
        break;
      }
      case 2:  // an answer cut or with a piece spliced in
        forged = answer;
        if (pick(2) == 0)
          forged.resize(pick(answer.size() + 1));
        else
          forged.insert(pick(answer.size() + 1), pieces[pick(std::size(pieces))]);
        break;
      default:  // pieces, sometimes long
        for (size_t n = pick(60); n > 0; --n) forged += pieces[pick(std::size(pieces))];
        if (pick(8) == 0) forged = "\"" + std::string(options.max_body_bytes - 2 + pick(4), 'x') + "\"";
        break;
    }
    const bool ours = !forged.empty() && forged.size() <= options.max_body_bytes && nlohmann::json::accept(forged) &&
                      ScanDepth(forged) <= static_cast<size_t>(options.max_depth);
    Forge("random", forged);
    const auto got = cache.Get("random", 60s, [] { return Body("0"); });
    ASSERT_EQ(got.from_cache, ours) << "case " << i << ": " << forged.substr(0, 80);
    EXPECT_EQ(got.body, ours ? forged : "0");
    served += ours ? 1 : 0;
  }
  std::cout << served << " of 400 random values could be ours and were served\n";
  EXPECT_GT(served, 40);
  EXPECT_LT(served, 360);
}

struct LoadResult {
  int requests = 0;
  std::chrono::milliseconds p99{0}, slowest{0};
};

// Requests from 4 threads, each every 2 ms, for `duration` (paced, so the figures measure waiting on Redis rather than
// a saturated CPU); compute is instant, so a Get's time is Redis time. Checks every answer.
LoadResult Load(ResponseCache& cache, std::chrono::milliseconds duration) {
  std::mutex mutex;
  std::vector<int64_t> latencies_us;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  const auto until = Clock::now() + duration;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int64_t> mine;
      for (int i = 0; Clock::now() < until; ++i) {
        const std::string key = "load:" + std::to_string(t) + ":" + std::to_string(i % 50);
        const auto started = Clock::now();
        const auto answer = cache.Get(key, 60s, [&] { return Body('"' + key + '"'); });
        mine.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
        if (answer.status != 200 || answer.body != '"' + key + '"') ++wrong;
        std::this_thread::sleep_for(2ms);
      }
      std::lock_guard<std::mutex> lock(mutex);
      latencies_us.insert(latencies_us.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  std::sort(latencies_us.begin(), latencies_us.end());
  LoadResult r;
  r.requests = static_cast<int>(latencies_us.size());
  if (!latencies_us.empty()) {
    r.p99 = std::chrono::milliseconds(latencies_us[latencies_us.size() * 99 / 100] / 1000);
    r.slowest = std::chrono::milliseconds(latencies_us.back() / 1000);
  }
  return r;
}

TEST_F(ResponseCacheTest, FrozenOrKilledRedisCostsAtMostTheBudget) {
  ResponseCache cache(TestOptions(), registry_);
  auto report = [](const char* what, const LoadResult& r) {
    std::cout << what << ": " << r.requests << " requests, p99 " << r.p99.count() << " ms, slowest "
              << r.slowest.count() << " ms\n";
  };
  report("healthy", Load(cache, 1s));

  // The budget is 100 ms; the bounds allow for scheduling on a busy 2-core machine (a broken budget hangs for
  // seconds: hiredis has no timeout of its own).
  redis_.Signal(SIGSTOP);
  const LoadResult frozen = Load(cache, 3s);
  report("frozen (SIGSTOP)", frozen);
  EXPECT_LE(frozen.p99.count(), 150) << "requests waited on a frozen Redis longer than the 100 ms budget";
  EXPECT_LE(frozen.slowest.count(), 1000) << "a request hung on a frozen Redis";
  EXPECT_GT(frozen.requests, 100);
  redis_.Signal(SIGCONT);

  // Caching comes back by itself.
  auto cached_again = [&] {
    cache.Get("back", 60s, [] { return Body("1"); });
    return cache.Get("back", 60s, [] { return Body("1"); }).from_cache;
  };
  bool back = false;
  for (int i = 0; i < 40 && !back; ++i, std::this_thread::sleep_for(100ms)) back = cached_again();
  EXPECT_TRUE(back) << "no cache hit within 4 s of Redis resuming";

  redis_.Kill();
  const LoadResult killed = Load(cache, 2s);
  report("killed", killed);
  EXPECT_LE(killed.p99.count(), 150);
  EXPECT_LE(killed.slowest.count(), 1000);
  redis_.Start();
  back = false;
  for (int i = 0; i < 40 && !back; ++i, std::this_thread::sleep_for(100ms)) back = cached_again();
  EXPECT_TRUE(back) << "no cache hit within 4 s of Redis restarting";

  // We only ever read and wrote our own keys.
  const std::string stats = Redis::Cli("INFO commandstats");
  for (const char* never : {"cmdstat_scan", "cmdstat_keys", "cmdstat_flushdb", "cmdstat_flushall", "cmdstat_del"}) {
    EXPECT_EQ(stats.find(never), std::string::npos) << never << " was used:\n" << stats;
  }
}

}  // namespace
}  // namespace exporter
